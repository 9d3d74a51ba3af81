"""`cgrad gradcheck` output: reverse mode against central differences (core/gradcheck.py) as a table with
a summary line, or as JSON."""
from __future__ import annotations

from ..core.ops import shape_text
from .width import prose
from ..core.show import number, show
from .json import header, warning_entries, warning

def _err(x: float | None) -> str:
    return "-" if x is None else "0" if x == 0 else f"{x:.1e}"


_FLAG = {"ok": "✓ ok", "mismatch": "✗ MISMATCH", "kink": "⚠ kink", "domain": "⚠ domain", "index": "⚠ index"}


def _shape(shape) -> str:
    return shape_text(shape) if len(shape) != 1 else str(shape[0])


def render(check) -> str:
    """The table: one row per input (for arrays, per input with its worst element), then the summary."""
    ev = check.evaluation
    g = ev.graph
    at = ", ".join(f"{name} = {show(ev.values[i])}" for name, i in g.inputs.items())
    lines = [prose(f"{ev.output_name} = {number(float(ev.value))}" + (f" at {at}" if at else ""), indent="    "),
             f"reverse mode against central differences: h = {check.eps:.3g}·max(1, |x|);",
             f"ok when |reverse - numeric| ≤ {check.atol:g} + {check.rtol:g}·max(|reverse|, |numeric|)"]
    if not check:
        lines.append(summary(check))
        return "\n".join(lines)
    if check.tensor:
        return "\n".join(lines + _tensor_table(check) + [prose(summary(check))])
    rows = [["input", "value", "reverse", "numeric", "abs error", "rel error", "check"]]
    for r in check:
        rows.append([r.name, number(r.value), number(r.reverse), "-" if r.numeric is None else number(r.numeric),
                     _err(r.abs_error), _err(r.rel_error), _FLAG[r.status]])
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    lines.append(prose(summary(check)))
    return "\n".join(lines)


_SHOWN = 5  # mismatched elements listed under the table, per input


def _tensor_table(check) -> list:
    """One row per input (its shape, elements checked, largest errors, worst element), then the worst
    mismatched elements of each input that has some."""
    rows = [["input", "shape", "checked", "max abs error", "max rel error", "worst", "check"]]
    for r in check:
        counts = r.counts
        size = len(r.element_list())
        flag = _FLAG[r.status]
        if r.status == "mismatch" and r.shape is not None:
            flag += f" ({counts['mismatched']} of {size})"
        elif r.status == "ok" and counts["unchecked"]:
            flag += f" ({counts['unchecked']} not checked)"
        checked = counts["checked"] > 0  # the errors of elements not checked (a kink) are not shown here
        rows.append([r.name, _shape(r.shape or ()), f"{counts['checked']} of {size}",
                     _err(r.abs_error if checked else None), _err(r.rel_error if checked else None),
                     r.label(r.worst or ()) if checked else "-", flag])
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])] + \
                [c.rjust(w) for c, w in zip(row[2:-2], widths[2:-2])] + [row[-2].ljust(widths[-2]), row[-1]]
        lines.append("  ".join(cells).rstrip())
    for r in check.mismatches:
        bad = r.mismatched(check.rtol, check.atol)
        for e in bad[:_SHOWN]:
            lines.append(prose(f"  ✗ {r.label(e.index)}: reverse {number(e.reverse)}, numeric {number(e.numeric)} "
                               f"(abs error {_err(e.abs_error)}, rel error {_err(e.rel_error)})", indent="    "))
        if len(bad) > _SHOWN:
            lines.append(f"  … and {len(bad) - _SHOWN} more mismatched elements of {r.name}")
    return lines


def _tensor_summary(check) -> str:
    n, totals = len(check), check.elements
    elements = totals["checked"] + totals["unchecked"]
    checked = [e for r in check for e in r.element_list() if e.status in ("ok", "mismatch")]
    worst = ""
    if checked:
        worst = (f": max abs error {_err(max(e.abs_error for e in checked))}, "
                 f"max rel error {_err(max(e.rel_error for e in checked))}")
    unchecked = [f"{r.label(e.index)} ({e.status})" for r in check for e in r.element_list()
                 if e.status not in ("ok", "mismatch")]
    skipped = ""
    if unchecked:
        more = f" and {len(unchecked) - 6} more" if len(unchecked) > 6 else ""
        skipped = "; not checked: " + ", ".join(unchecked[:6]) + more
    inputs = f"input{'s' if n > 1 else ''}"
    if check.mismatches:
        bad = "; ".join(r.name if r.shape is None else
                        f"{r.name}: {r.counts['mismatched']} of {len(r.elements)} elements, worst "
                        f"{r.label(r.worst)}" for r in check.mismatches)
        return f"FAILED: {len(check.mismatches)} of {n} {inputs} disagree ({bad}){worst}{skipped}"
    if not unchecked:
        return (f"ok: all {n} inputs agree, {elements} elements" if n > 1 else
                f"ok: the input agrees, {elements} element{'s' if elements > 1 else ''}") + worst
    return f"no mismatch: {len(checked)} of {elements} elements agree{worst}{skipped}"


def summary(check) -> str:
    n = len(check)
    if not n:
        return "no inputs to check"
    if check.tensor:
        return _tensor_summary(check)
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
    ev = check.evaluation
    return {
        **header("gradcheck"),
        "output": ev.output_name,
        "output_node": ev.output,
        "value": float(ev.value),
        "ok": check.ok,
        "verified": check.verified,
        "elements": check.elements,
        "inputs": {r.name: r.to_json() for r in check},
        "step": check.eps,
        "rtol": check.rtol,
        "atol": check.atol,
        "warnings": warning_entries(ev.warnings) + input_warnings(check),
        "source": ev.graph.source,
    }


def input_warnings(check) -> list:
    """Per scalar input not checked, why; per array input, one entry per reason some elements were not.

    Each is a "warnings" entry {node, kind, message} (node: the kink, or where x ± h left the domain; null
    when there is no such node) with the input's name, and for an array the indices of those elements."""
    out = []
    for r in check:
        if r.shape is None:
            if r.note:
                out.append(warning(r.node, r.status, r.note, input=r.name))
            continue
        for status, elements, message, node in r.unchecked_group_nodes:
            out.append(warning(node, status, message, input=r.name, elements=elements))
    return out
