"""`cgrad gradcheck`: reverse-mode gradients against central finite differences."""
from __future__ import annotations

import sys

import click

from .common import load, names, output_option, program_command

EXIT_MISMATCH = 1



def _num(x: float) -> str:
    from ..symbolic import number

    return number(x)


def _err(x: float | None) -> str:
    return "-" if x is None else "0" if x == 0 else f"{x:.1e}"


_FLAG = {"ok": "✓ ok", "mismatch": "✗ MISMATCH", "kink": "⚠ kink", "domain": "⚠ domain"}


def render(check) -> str:
    ev = check.evaluation
    g = ev.graph
    at = ", ".join(f"{name} = {_num(ev.values[i])}" for name, i in g.inputs.items())
    lines = [f"{ev.output_name} = {_num(ev.value)}" + (f" at {at}" if at else ""),
             f"reverse mode against central differences: h = {check.eps:.3g}·max(1, |x|); "
             f"ok when |reverse - numeric| ≤ {check.atol:g} + {check.rtol:g}·max(|reverse|, |numeric|)"]
    if not check:
        lines.append(summary(check))
        return "\n".join(lines)
    rows = [["input", "value", "reverse", "numeric", "abs error", "rel error", "check"]]
    for r in check:
        rows.append([r.name, _num(r.value), _num(r.reverse), "-" if r.numeric is None else _num(r.numeric),
                     _err(r.abs_error), _err(r.rel_error), _FLAG[r.status]])
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    lines.append(summary(check))
    return "\n".join(lines)


def summary(check) -> str:
    n = len(check)
    if not n:
        return "no inputs to check"
    errors = [r for r in check if r.status in ("ok", "mismatch")]
    worst = ""
    if errors:
        worst = (f": max abs error {_err(max(r.abs_error for r in errors))}, "
                 f"max rel error {_err(max(r.rel_error for r in errors))}")
    inputs = f"input{'s' if n > 1 else ''}"
    unchecked = check.unchecked
    skipped = ("; not checked: " + ", ".join(f"{r.name} ({r.status})" for r in unchecked)) if unchecked else ""
    if check.mismatches:
        bad = check.mismatches
        return f"FAILED: {len(bad)} of {n} {inputs} disagree ({', '.join(r.name for r in bad)}){worst}{skipped}"
    agree = n - len(unchecked)
    if not unchecked:
        return f"ok: all {n} inputs agree{worst}" if n > 1 else f"ok: the input agrees{worst}"
    return f"no mismatch: {agree} of {n} {inputs} agree{worst}{skipped}"


def document(check) -> dict:
    from .. import __version__

    ev = check.evaluation
    return {
        "version": __version__,
        "output": ev.output_name,
        "value": ev.value,
        "ok": check.ok,
        "inputs": {r.name: r.to_json() for r in check},
        "step": check.eps,
        "rtol": check.rtol,
        "atol": check.atol,
        "warnings": [{"node": i, "kind": "kink", "message": m} for i, m in ev.warnings]
                    + [{"input": r.name, "kind": r.status, "message": r.note} for r in check if r.note],
    }


@program_command("gradcheck", failed="a gradient disagrees with its finite difference")
@click.option("--wrt", metavar="A,B", help="Check the gradient with respect to these inputs only (default: all).")
@output_option
@click.option("--eps", default=None, type=click.FloatRange(0, 1, min_open=True), metavar="EPS",
              help="Relative step: h = EPS·max(1, |x|).  [default: cube root of float64 epsilon, ≈ 6.06e-6]")
@click.option("--rtol", default=1e-5, show_default=True, type=click.FloatRange(0), metavar="R",
              help="Relative tolerance.")
@click.option("--atol", default=1e-8, show_default=True, type=click.FloatRange(0), metavar="A",
              help="Absolute tolerance.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def command(words, file, sets, inputs_file, wrt, output, eps, rtol, atol, as_json, debug):
    """Check PROGRAM's reverse-mode gradient against central finite
    differences, input by input.

    For each input x (scalars: one element each) the program runs forward at
    x + h and x - h, h = EPS·max(1, |x|), and numeric = (f(x+h) - f(x-h)) / 2h
    is compared with reverse mode's ∂f/∂x.  An input passes when
    |reverse - numeric| ≤ ATOL + RTOL·max(|reverse|, |numeric|); the table
    shows each input's absolute and relative error.

    A kink inside [x - h, x + h] (relu or abs at 0, a max/min tie) makes the
    two sides disagree by construction, and a step off an op's domain (log
    just above 0) cannot be taken: both are warned about and reported as not
    checked, not as a mismatch.

    \b
    Examples:
      cgrad gradcheck "c = a+b; d = b+1; e = c*d" --a 2 --b 1
      cgrad gradcheck "y = x*exp(x^2)" --x 0.5 --rtol 1e-7 --json
      cgrad gradcheck "y = relu(x) + x" --x 0 --wrt x
    """
    from ..gradcheck import EPS, check_gradients

    graph, inputs = load(words, file, sets, inputs_file)
    check = check_gradients(graph, inputs, wrt=names(wrt), output=output, eps=EPS if eps is None else eps,
                            rtol=rtol, atol=atol)
    for _, message in check.evaluation.warnings:
        click.echo("warning: " + message, err=True)
    for r in check:
        if r.note:
            click.echo(f"warning: {r.name}: {r.note}", err=True)
    if as_json:
        from ..render_json import dumps

        sys.stdout.write(dumps(document(check)) + "\n")
    else:
        click.echo(render(check))
    if not check.ok:
        raise click.exceptions.Exit(EXIT_MISMATCH)
