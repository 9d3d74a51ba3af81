"""The derivative rules of ops.py run over text instead of numbers.

Running ``mul``'s rule for ∂(c*d)/∂c with Sym("d") gives Sym("d"): that is how
the tree can print ∂e/∂c = d = 2.  It is the same rule the evaluator runs on
floats; only the namespace ``m`` and the argument types change.  Just enough
simplification (1*x, x+0, x^1, constant folding) to keep the text readable.
"""
from __future__ import annotations

from ..core.ops import OPS, _Namespace
from ..core.show import number

_ATOM = 100


class Sym:
    """A formula as text, with the binding strength of its outermost operator."""

    __slots__ = ("text", "prec")

    def __init__(self, text: str, prec: int = _ATOM):
        self.text, self.prec = text, prec

    def __str__(self):
        return self.text

    def _wrap(self, prec: int) -> str:
        return f"({self.text})" if self.prec < prec else self.text

    def __add__(self, other):
        return _add(self, other)

    def __radd__(self, other):
        return _add(other, self)

    def __sub__(self, other):
        return _sub(self, other)

    def __rsub__(self, other):
        return _sub(other, self)

    def __mul__(self, other):
        return _mul(self, other)

    def __rmul__(self, other):
        return _mul(other, self)

    def __truediv__(self, other):
        return _div(self, other)

    def __rtruediv__(self, other):
        return _div(other, self)

    def __neg__(self):
        return Sym("-" + self._wrap(31), 30)


def _sym(x) -> Sym:
    if isinstance(x, Sym):
        return x
    return Sym(number(x), _ATOM if x >= 0 else 30)


def _infix(a, b, sep, prec, right_prec=None):
    a, b = _sym(a), _sym(b)
    return Sym(a._wrap(prec) + sep + b._wrap(prec + 1 if right_prec is None else right_prec), prec)


def _add(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a + b
    if b == 0:
        return a
    if a == 0:
        return b
    return _infix(a, b, " + ", 10)


def _sub(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a - b
    if b == 0:
        return a
    if a == 0:
        return -_sym(b)
    return _infix(a, b, " - ", 10)


def _mul(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a * b
    if a == 0 or b == 0:
        return 0.0
    if a == 1:
        return b
    if b == 1:
        return a
    if a == -1:
        return -_sym(b)
    return _infix(a, b, "*", 20)


def _div(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a / b
    if b == 1:
        return a
    return _infix(a, b, "/", 20)


def _pow(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a ** b
    if b == 1:
        return a
    if b == 0:
        return 1.0
    return _infix(a, b, "^", 40, right_prec=40)


def _call(name):
    return lambda *args: Sym(name + "(" + ", ".join(_sym(a).text for a in args) + ")")


# The namespace the rules use on text: one function per op, x^y written infix.
SYMBOLIC = _Namespace({name: _call(name) for name, op in OPS.items() if op.forward})
SYMBOLIC.pow = _pow


def rule_text(ev, parent: int, k: int) -> str | None:
    """The local derivative ∂parent/∂arg_k as a formula in the graph's names: `d` for ∂(c*d)/∂c.

    The op's own derivative rule, run over text.  A named node enters as its
    name; an unnamed one as its source text with the binding strength of its
    op, so ∂((y - t)^2)/∂(y - t) reads `2*(y - t)`; an unnamed literal as its
    number.  None when the rule is just a number (nothing to add to the value).
    """
    g = ev.graph

    def sym(i: int):
        if g.ops[i].name == "const" and g.names[i] is None:
            return ev.values[i]
        return Sym(g.label(i, 24), g.ops[i].precedence if g.names[i] is None else _ATOM)

    try:
        formula = g.ops[parent].partials[k](SYMBOLIC, sym(parent), *(sym(a) for a in g.args[parent]))
    except Exception:  # a rule that cannot be shown as text is simply not shown
        return None
    return formula.text if isinstance(formula, Sym) else None
