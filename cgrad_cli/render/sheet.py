"""A student's problem sheet (grading.sheet.Sheet) as Markdown, LaTeX or JSON; with the key, the correct
values and, for scalar programs, cgrad explain's derivation of each derivative."""
from __future__ import annotations

from ..grading.check import point_text, value_text
from .check import point_json
from ..core.autodiff import to_json, warning_kind


def _derivation(p, at: dict, quantity, style: str) -> str | None:
    """cgrad explain's working of dOUT/dNAME at `at` (Markdown or LaTeX); None for a value or a tensor program."""
    if quantity.wrt is None or p.graph.tensor or any(isinstance(v, list) or hasattr(v, "shape") for v in at.values()):
        return None
    from ..core.autodiff import evaluate
    from ..core.sums import grouped
    from ..symbolic.explain import explain
    from . import explain as shown

    ex = explain(grouped(evaluate(p.graph, at, output=quantity.of)), [quantity.wrt])
    return shown.markdown(ex) if style == "markdown" else shown.latex(ex)


def markdown(sheet, problems) -> str:
    """`problems`: the assignment's Problems, in the sheet's order (for the key's derivations)."""
    out = [f"# {sheet.title}", "", f"Student: **{sheet.student}**", ""]
    for sp, p in zip(sheet.problems, problems):
        out += [f"## {sp.title}", "", "    " + sp.program, ""]  # an indented code block
        for k, at in enumerate(sp.sets):
            where = f"At {point_text(at)}" if at else "With no inputs"
            drawn = f" (your own values of {', '.join(sp.drawn[k])})" if sp.drawn[k] else ""
            out.append(f"{where}{drawn}, compute: " + ", ".join(sp.quantities) + ".")
        out += ["", f"Precision: {sp.precision}.", ""]
        for q, answer, values in sp.key:
            shown = "; ".join(value_text(v) for v in values)
            formula = f" (`{answer}`)" if isinstance(answer, str) else ""
            out.append(f"- **{q.label}** = {shown}{formula}")
            for at in sp.sets:
                working = _derivation(p, at, q, "markdown")
                if working:
                    out += ["", "  " + working.strip().replace("\n", "\n  ")]
        if sp.key:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


_TEX = {"\\": r"\textbackslash{}", "_": r"\_", "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$", "{": r"\{",
        "}": r"\}", "^": r"\^{}", "~": r"\~{}"}


def _tex(text: str) -> str:
    """Text set as LaTeX text: its special characters escaped."""
    return "".join(_TEX.get(c, c) for c in text)


def latex(sheet, problems) -> str:
    out = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\usepackage[utf8]{inputenc}",
           r"\begin{document}", rf"\section*{{{_tex(sheet.title)}}}", rf"Student: \textbf{{{_tex(sheet.student)}}}"]
    for sp, p in zip(sheet.problems, problems):
        out += [rf"\subsection*{{{_tex(sp.title)}}}", r"\begin{verbatim}", sp.program, r"\end{verbatim}"]
        for at in sp.sets:
            out.append(rf"At {_tex(point_text(at)) or 'no inputs'}, compute: {_tex(', '.join(sp.quantities))}.\\")
        out.append(rf"Precision: {_tex(sp.precision)}.")
        for q, answer, values in sp.key:
            out.append(rf"\paragraph{{{_tex(q.label)}}} {_tex('; '.join(value_text(v) for v in values))}")
            for at in sp.sets:
                working = _derivation(p, at, q, "latex")
                if working:
                    out.append(working)
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def json_doc(sheet) -> dict:
    from .json import header, warning

    return {**header("sheet"), "title": sheet.title, "student": sheet.student,
            "problems": [{"id": sp.id, "title": sp.title, "program": sp.program,
                          "at": [point_json(at) for at in sp.sets], "drawn": sp.drawn, "compute": sp.quantities,
                          "precision": sp.precision,
                          "key": [{"quantity": q.label, "answer": answer if isinstance(answer, str) else to_json(answer),
                                   "values": [to_json(v) for v in values]} for q, answer, values in sp.key]}
                         for sp in sheet.problems],
            "warnings": [warning(node, warning_kind(message), message, problem=pid)
                         for pid, node, message in sheet.warnings]}
