"""`cgrad diff`: the derivative as a formula in the program's inputs (and `--order N`)."""
from __future__ import annotations

import sys

import click

from ..errors import InputError
from .common import load, names, number, output_option, program_command

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
INLINE = 400  # a derivative bigger than this many nodes (written as a tree) is printed as a program


def parse_at(text: str | None) -> dict:
    """`--at a=2,b=1` -> {'a': 2.0, 'b': 1.0}."""
    point = {}
    for item in (text or "").split(","):
        if item.strip():
            name, eq, value = item.partition("=")
            if not eq:
                raise InputError(f"--at expects NAME=VALUE pairs, as in --at a=2,b=1; not {item!r}")
            point[name.strip()] = number(name.strip(), value)
    return point


def notation(out: str, wrt: str, order: int, latex: bool = False) -> str:
    """∂y/∂x, ∂²y/∂x², or \\frac{\\partial^{2} y}{\\partial x^{2}}."""
    if latex:
        from ..symbolic.notation import LATEX

        o, x, p = LATEX.var(out), LATEX.var(wrt), "" if order == 1 else f"^{{{order}}}"
        return f"\\frac{{\\partial{p} {o}}}{{\\partial {x}{p}}}"
    p = "" if order == 1 else str(order).translate(SUPERSCRIPT)
    return f"∂{p}{out}/∂{wrt}{p}"


def kinks_at(graph, point: dict, output: str | None) -> list:
    """(node id, message) for each kink the program meets at `point`, as `cgrad eval` warns about them:
    there the derivative's formula gives the convention's value (step(0) = 0 for relu, ...).  Empty when
    the program itself cannot be evaluated there (the point leaves out an input the derivative does not use)."""
    from ..core.autodiff import evaluate
    from ..errors import CgradError

    try:
        return evaluate(graph, {k: v for k, v in point.items() if k in graph.inputs}, output=output).warnings
    except CgradError:
        return []


@program_command("diff")
@click.option("--wrt", metavar="X,Y", help="Differentiate with respect to these names (default: every input).")
@click.option("--at", "at", metavar="A=2,B=1", help="Also evaluate the derivative at this point.")
@click.option("--order", default=1, show_default=True, type=click.IntRange(1, 8), help="Differentiate this many times.")
@click.option("--keep", is_flag=True, help="Keep named intermediates (c = a+b) as names instead of writing them out.")
@output_option
@click.option("--latex", is_flag=True, help="Print LaTeX.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: each derivative's text, LaTeX and value.")
def command(words, file, sets, inputs_file, wrt, at, order, keep, output, latex, as_json, debug):
    """Print the derivative of PROGRAM's output as a formula in its inputs.

    The reverse-mode sweep runs over the program's graph and builds the
    derivative's graph (source to source), simplified as it goes: no 1*,
    no + 0, like terms collected.  Give a point (--at a=2 or --a 2) to
    evaluate it there too.

    \b
    Examples:
      cgrad diff "y = x^2*sin(x)" --wrt x
      cgrad diff "e=(a+b)*(b+1)" --at a=2,b=1
      cgrad diff "c=a+b; d=b+1; e=c*d" --keep --wrt b
      cgrad diff "y = x^3" --order 2 --latex
    """
    from ..core.autodiff import output_node
    from ..symbolic.derive import as_program, derivatives, value_at
    from ..symbolic.expr import size
    from ..core.show import number as shown
    from ..symbolic.notation import latex as to_latex, text, to_program

    graph, point = load(words, file, sets, inputs_file, scalar_only="diff")
    point.update(parse_at(at))
    wrt_names = names(wrt) or list(graph.inputs)
    if not wrt_names:
        raise InputError("the program has no inputs to differentiate with respect to")
    out = output or graph.label(graph.output)
    results = {}
    for name in wrt_names:
        g, target = graph, output
        for step in range(order):
            d = derivatives(g, [name], output=target, keep=keep)[name]
            if step + 1 < order:
                g, target = as_program({"d_": d}, g), "d_"
        results[name] = d
    value = {}
    if point:
        program = as_program({f"d{k}_": d for k, d in enumerate(results.values())}, graph)
        missing = [n for n in program.inputs if n not in point]
        if missing:
            raise InputError("--at: missing value" + ("s" if len(missing) > 1 else "") + " for " + ", ".join(missing))
        value = {name: value_at(program, f"d{k}_", point) for k, name in enumerate(results)}
    small = {name: size(d) <= INLINE for name, d in results.items()}
    if as_json:
        from ..render.json import dumps

        from ..render.json import header, kink_warnings

        doc = {**header("diff"), "output": out, "output_node": output_node(graph, output), "order": order,
               "at": point or None, "derivatives": {
                   name: {"text": text(d) if small[name] else None, "latex": to_latex(d) if small[name] else None,
                          "program": None if small[name] else to_program({f"d_{name}": d}, reserved=graph.named),
                          "value": value.get(name)}
                   for name, d in results.items()},
               "warnings": kink_warnings(kinks_at(graph, point, output)) if point else [],
               "source": graph.source}
        sys.stdout.write(dumps(doc) + "\n")
        return
    for name, d in results.items():
        head = notation(out, name, order, latex)
        if small[name]:
            body = to_latex(d) if latex else text(d)
            click.echo(f"{head} = {body}" + (f" = {shown(value[name], None)}" if name in value else ""))
        else:  # expression swell: the derivative as a program, its shared parts named once
            click.echo(f"{head} = d_{name}, written with its shared parts named:")
            click.echo("  " + to_program({f"d_{name}": d}, reserved=graph.named).replace("\n", "\n  "))
            if name in value:
                click.echo(f"  = {shown(value[name], None)}")
