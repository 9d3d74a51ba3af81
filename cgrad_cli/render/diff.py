"""`cgrad diff` output: each derivative (symbolic.derive.Derivatives) as a formula in text or LaTeX, as a
program with its shared parts named when it is too big to write out, or as JSON."""
from __future__ import annotations

from ..core.show import number, show
from ..symbolic.derive import Derivatives
from ..symbolic.expr import size
from ..symbolic.notation import LATEX, latex, text, to_program
from .width import fold

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
INLINE = 400  # a derivative bigger than this many nodes (written as a tree) is printed as a program


def notation(out: str, wrt: str, order: int, as_latex: bool = False) -> str:
    """∂y/∂x, ∂²y/∂x², or \\frac{\\partial^{2} y}{\\partial x^{2}}."""
    if as_latex:
        o, x, p = LATEX.var(out), LATEX.var(wrt), "" if order == 1 else f"^{{{order}}}"
        return f"\\frac{{\\partial{p} {o}}}{{\\partial {x}{p}}}"
    p = "" if order == 1 else str(order).translate(SUPERSCRIPT)
    return f"∂{p}{out}/∂{wrt}{p}"


def value_text(value) -> str:
    """A scalar exactly (it reads back as the same float); an array as `cgrad eval` shows one."""
    return show(value) if getattr(value, "shape", ()) else number(float(value), None)


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else value


def lines(d: Derivatives, reserved, as_latex: bool = False) -> list:
    """`∂y/∂x = formula` (` = value` at a point) per name; a formula past INLINE nodes as a program."""
    out = []
    for name, e in d.formulas.items():
        head = notation(d.output, name, d.order, as_latex)
        if size(e) <= INLINE:
            body = latex(e) if as_latex else text(e)
            value = d.values.get(name)
            if getattr(value, "shape", ()):  # an array's value on a line of its own, below its formula
                out += [_fold(f"{head} = {body}", as_latex), _fold(f"  = {value_text(value)}", as_latex)]
            else:
                said = value_text(value) if name in d.values else body  # a constant is not said twice (= 0 = 0)
                out.append(_fold(f"{head} = {body}" + (f" = {said}" if said != body else ""), as_latex))
        else:  # expression swell: the derivative as a program, its shared parts named once
            out.append(f"{head} = d_{name}, written with its shared parts named:")
            out.append("  " + to_program({f"d_{name}": e}, reserved=reserved).replace("\n", "\n  "))
            if name in d.values:
                out.append(f"  = {value_text(d.values[name])}")
    if d.constants:  # written by name in the formulas: their values once (in LaTeX, as a comment)
        said = ", ".join(f"{name} = {value_text(value)}" for name, value in d.constants.items())
        out.append(_fold(("% " if as_latex else "") + f"with {said} "
                         f"({'a constant' if len(d.constants) == 1 else 'constants'})", as_latex))
    return out


def _fold(line: str, as_latex: bool) -> str:
    """A text line folded to 80 columns between terms (inside parentheses only when it must); LaTeX is data."""
    return line if as_latex else fold([(line, None)])[0][0]


def document(d: Derivatives, graph) -> dict:
    from .json import header, warning_entries

    def entry(name, e):
        small = size(e) <= INLINE
        return {"text": text(e) if small else None, "latex": latex(e) if small else None,
                "program": None if small else to_program({f"d_{name}": e}, reserved=graph.named),
                "value": _plain(d.values.get(name))}

    return {**header("diff"), "output": d.output, "output_node": d.output_node, "order": d.order,
            "at": {k: _plain(v) for k, v in d.point.items()} or None,
            "constants": {k: _plain(v) for k, v in d.constants.items()},
            "derivatives": {name: entry(name, e) for name, e in d.formulas.items()},
            "warnings": warning_entries(d.warnings), "source": graph.source}
