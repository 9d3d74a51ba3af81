"""Formulas (expr.Expr) as cgrad program text and as LaTeX.

The text form is cgrad's own syntax, so a printed derivative is a program that
cgrad can parse and differentiate again.  Printing walks the DAG children
first with an explicit stack and keeps each node's text once, so deep formulas
print without recursion.
"""
from __future__ import annotations

from .expr import FN, MUL, NUM, POW, VAR, Expr, children, postorder
from .latex import latex_name

ATOM, POWER, UNARY, PRODUCT, SUM = 100, 40, 30, 20, 10


def number(x: float) -> str:
    """Shortest text that reads back as the same float: 2, 0.5, 0.1, 1e-06."""
    return str(int(x)) if x == int(x) and abs(x) < 1e16 else repr(x)


class _Style:
    """How one notation writes the pieces; `text` and `latex` differ only here."""

    times, power_open, power_close = "*", "^", ""

    def num(self, x):
        return number(x)

    def var(self, name):
        return name

    def call(self, name, args):
        return f"{name}({', '.join(args)})"

    def frac(self, top, bottom, bottom_prec):
        return f"{top}/{bottom if bottom_prec > PRODUCT else '(' + bottom + ')'}"

    def wrap(self, text):
        return f"({text})"


class _Latex(_Style):
    times, power_open, power_close = " \\cdot ", "^{", "}"
    _NAMES = {"sin": "\\sin", "cos": "\\cos", "tan": "\\tan", "asin": "\\arcsin", "acos": "\\arccos",
              "atan": "\\arctan", "sinh": "\\sinh", "cosh": "\\cosh", "tanh": "\\tanh", "exp": "\\exp",
              "log": "\\ln", "min": "\\min", "max": "\\max"}
    def var(self, name):
        return latex_name(name)

    def call(self, name, args):
        if name == "sqrt":
            return f"\\sqrt{{{args[0]}}}"
        if name == "abs":
            return f"\\left|{args[0]}\\right|"
        head = self._NAMES.get(name, f"\\operatorname{{{name}}}")
        return f"{head}\\left({', '.join(args)}\\right)"

    def frac(self, top, bottom, bottom_prec):
        return f"\\frac{{{top}}}{{{bottom}}}"

    def wrap(self, text):
        return f"\\left({text}\\right)"


def text(e: Expr) -> str:
    """The formula in cgrad syntax, e.g. `2*x*sin(x) + x^2*cos(x)`."""
    return _render(e, _Style())


def latex(e: Expr) -> str:
    """The formula in LaTeX, e.g. `2 x \\sin\\left(x\\right) + x^{2} \\cos\\left(x\\right)`."""
    return _render(e, _Latex())


def _render(root: Expr, style: _Style) -> str:
    done: dict = {}  # node -> (text, precedence)
    for node in postorder(root):
        done[node] = _node(node, style, done)
    return done[root][0]


def _node(e: Expr, style, done, named=()):
    kind, data = e.kind, e.data
    if kind == NUM:
        return style.num(data), ATOM if data >= 0 else UNARY
    if kind == VAR:
        return style.var(data), ATOM
    if kind == FN:
        name, args = data
        return style.call(name, [done[a][0] for a in args]), ATOM
    if kind == POW:
        return _power(style, done[data[0]], done[data[1]]), POWER
    if kind == MUL:
        return _product(style, data[0], data[1], done)
    return _sum(style, data, done, named)


def _power(style, base, exponent) -> str:
    b = base[0] if base[1] > POWER else style.wrap(base[0])
    x = exponent[0] if exponent[1] >= UNARY or style.power_close else style.wrap(exponent[0])
    return f"{b}{style.power_open}{x}{style.power_close}"


def _factor(style, base, power, done) -> tuple:
    if power == 1.0:
        return done[base]
    return _power(style, done[base], (number(power), ATOM if power >= 0 else UNARY)), POWER


def _product(style, coef, factors, done) -> tuple:
    """coef · Π base^power, with negative powers written as a division."""
    top = [_factor(style, b, p, done) for b, p in factors if p > 0]
    bottom = [_factor(style, b, -p, done) for b, p in factors if p < 0]
    sign, coef = ("-", -coef) if coef < 0 else ("", coef)
    # a*(b*c) is written a*b*c; a sum, or a product with a division in it, keeps its parentheses
    parts = [t if prec > PRODUCT or prec == PRODUCT and _undivided(b) else style.wrap(t)
             for (t, prec), (b, _) in zip(top, [f for f in factors if f[1] > 0])]
    if coef != 1.0 or not parts:
        parts.insert(0, style.num(coef))
    out = _join_factors(style, parts)
    if bottom:
        if len(bottom) == 1:
            under, prec = bottom[0]
        else:
            under, prec = _join_factors(style, [t if p > PRODUCT else style.wrap(t) for t, p in bottom]), PRODUCT
        out = style.frac(out, under, prec)
    if sign:
        return "-" + out, UNARY
    if len(parts) > 1 or bottom:
        return out, PRODUCT
    return out, top[0][1] if top else ATOM  # one factor keeps its own binding strength: x, sin(x), x^2


def _undivided(base: Expr) -> bool:
    return base.kind == MUL and base.data[0] > 0 and all(p > 0 for _, p in base.data[1])


def _join_factors(style, parts) -> str:
    if style.times == "*":
        return "*".join(parts)
    out = parts[0]
    for part in parts[1:]:  # 2 x \sin(x), but 2 \cdot 3^{x}
        out += (style.times if part[:1].isdigit() else " ") + part
    return out


def _sum(style, data, done, named=()) -> tuple:
    const, terms = data
    out = []
    positive = [k for k, (t, c) in enumerate(terms) if c * (t.data[0] if t.kind == MUL else 1.0) > 0]
    if positive and positive[0] > 0:  # cos(x)^2 - sin(x)^2 rather than -sin(x)^2 + cos(x)^2
        k = positive[0]
        terms = (terms[k],) + terms[:k] + terms[k + 1:]
    elif not positive and const > 0:  # 1 - tanh(x)^2 rather than -tanh(x)^2 + 1
        out.append(style.num(const))
        const = 0.0
    for term, coef in terms:
        if term.kind == MUL and term not in named:
            t, _ = _product(style, coef * term.data[0], term.data[1], done)
        else:
            t, _ = _product(style, coef, ((term, 1.0),), done)
        if out:
            out.append(" - " + t[1:] if t.startswith("-") else " + " + t)
        else:
            out.append(t)
    if const:
        out.append((" - " if const < 0 else " + ") + style.num(abs(const)))
    return "".join(out), SUM


def to_program(exprs: dict, reserved=(), inline_limit: int = 400) -> str:
    """Formulas as a cgrad program, one statement per formula (`name = text`).

    A formula that would print longer than `inline_limit` nodes as a tree has
    its shared subexpressions given names (t1, t2, ... avoiding `reserved`) as
    they are met, children first, so the program stays the size of the DAG
    instead of the size of the tree: the expression swell is never written out.
    One pass over the DAG, shared by all the formulas.
    """
    style, lines, done, named = _Style(), [], {}, set()
    used, counter = set(reserved) | set(exprs), 0
    for target, e in exprs.items():
        order = [node for node in postorder(e) if node not in done]
        sizes, uses = {}, {}
        for node in order:
            sizes[node] = 1 + sum(sizes.get(c, 1) for c in children(node))
            for c in children(node):
                uses[c] = uses.get(c, 0) + 1
        big = sizes.get(e, 1) > inline_limit
        for node in order:
            done[node] = _node(node, style, done, named)
            if big and node is not e and uses.get(node, 0) > 1 and sizes[node] > 3:
                counter += 1
                while f"t{counter}" in used:
                    counter += 1
                lines.append(f"t{counter} = {done[node][0]}")
                done[node] = (f"t{counter}", ATOM)
                named.add(node)
        lines.append(f"{target} = {done[e][0]}")
    return "\n".join(lines)


__all__ = ["text", "latex", "to_program", "number", "children"]
