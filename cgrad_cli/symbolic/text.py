"""The derivative rules of ops.py run over text instead of numbers.

Running ``mul``'s rule for ∂(c*d)/∂c with Sym("d") gives Sym("d"): that is how
the tree can print ∂e/∂c = d = 2.  It is the same rule the evaluator runs on
floats; only the namespace ``m`` and the argument types change.  A Sym is
written in a notation (notation.TEXT or notation.LATEX), so the same run gives
`cgrad explain --latex` its LaTeX.  Just enough simplification (1*x, x+0, x^1,
constant folding) to keep the text readable.
"""
from __future__ import annotations

import math

from ..core.autodiff import Evaluation
from ..core.ops import CONSTANT_RULES, OPS, _Namespace
from .notation import ATOM, TEXT, Notation

DIGITS = 6  # a number in a formula shown to people: as core.show writes values


class Sym:
    """A formula as text in a notation, with the binding strength of its outermost operator."""

    __slots__ = ("text", "prec", "nota")

    def __init__(self, text: str, prec: int = ATOM, nota: Notation = TEXT):
        self.text, self.prec, self.nota = text, prec, nota

    def __str__(self):
        return self.text

    def _wrap(self, prec: int) -> str:
        return self.nota.paren((self.text, self.prec), prec)

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
        return Sym(*self.nota.neg((self.text, self.prec)), self.nota)


def _piece(x, nota: Notation) -> tuple:
    return (x.text, x.prec) if isinstance(x, Sym) else nota.num(x, DIGITS)


def _nota(a, b) -> Notation:
    return a.nota if isinstance(a, Sym) else b.nota


def _add(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a + b
    if b == 0:
        return a
    if a == 0:
        return b
    nota = _nota(a, b)
    return Sym(*nota.sum(_piece(a, nota), "+", _piece(b, nota)), nota)


def _sub(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a - b
    if b == 0:
        return a
    nota = _nota(a, b)
    if a == 0:
        return Sym(*nota.neg(_piece(b, nota)), nota)
    return Sym(*nota.sum(_piece(a, nota), "-", _piece(b, nota)), nota)


def _mul(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a * b
    if a == 0 or b == 0:
        return 0.0
    if a == 1:
        return b
    if b == 1:
        return a
    nota = _nota(a, b)
    if a == -1:
        return Sym(*nota.neg(_piece(b, nota)), nota)
    return Sym(*nota.times(_piece(a, nota), _piece(b, nota)), nota)


def _div(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a / b
    if b == 1:
        return a
    nota = _nota(a, b)
    return Sym(*nota.frac(_piece(a, nota), _piece(b, nota)), nota)


def _pow(a, b):
    if not isinstance(a, Sym) and not isinstance(b, Sym):
        return a ** b
    if b == 1:
        return a
    if b == 0:
        return 1.0
    nota = _nota(a, b)
    return Sym(*nota.power(_piece(a, nota), _piece(b, nota)), nota)


_NAMESPACES: dict = {}


def namespace(nota: Notation = TEXT) -> _Namespace:
    """The namespace the rules use on text in a notation: one function per op, x^y written infix."""
    m = _NAMESPACES.get(nota)
    if m is None:
        def call(name):
            return lambda *args: Sym(nota.call(name, [_piece(a, nota)[0] for a in args]), ATOM, nota)

        m = _NAMESPACES[nota] = _Namespace({name: call(name) for name, op in OPS.items() if op.forward})
        m.pow = _pow
    return m


SYMBOLIC = namespace(TEXT)


def local_formula(ev: Evaluation, parent: int, k: int, atom, nota: Notation = TEXT) -> Sym | float | None:
    """∂parent/∂arg_k as a formula over the labels `atom(node)` (a Sym), e.g. Sym('d') for ∂(c*d)/∂c.

    The op's own derivative rule run over text in the notation of the atoms (text.namespace); None
    where a rule cannot be shown as a formula.  A literal argument stands as its value (`2*x`), `pi`
    as itself.
    """
    g = ev.graph
    rule = g.ops[parent].partials[k]
    if rule in CONSTANT_RULES:  # 1 for a term of a sum: its arguments need not be written (an n-ary sum has n)
        return CONSTANT_RULES[rule]
    names, argss = g.names, g.args
    xs = []
    for a in argss[parent]:
        if names[a] is None and not argss[a]:  # a literal
            text = g.text(a)
            xs.append(g.consts[a] if _is_number(text) else Sym(*nota.literal(text), nota))
        else:
            xs.append(atom(a))
    try:
        formula = rule(namespace(nota), atom(parent), *xs)
    except Exception:  # a rule that cannot be shown as text is shown as its value
        return None
    if isinstance(formula, Sym) or (isinstance(formula, float) and math.isfinite(formula)):
        return formula
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def rule_text(ev, parent: int, k: int) -> str | None:
    """The local derivative ∂parent/∂arg_k as a formula in the graph's names: `d` for ∂(c*d)/∂c.

    local_formula over the nodes' labels: a named node enters as its name, an unnamed one as its
    source text with the binding strength of its op, so ∂((y - t)^2)/∂(y - t) reads `2*(y - t)`.
    None when the rule is just a number (nothing to add to the value).
    """
    g = ev.graph
    formula = local_formula(ev, parent, k, lambda i: Sym(g.label(i, 24), ATOM if g.names[i] else g.ops[i].precedence))
    return formula.text if isinstance(formula, Sym) else None
