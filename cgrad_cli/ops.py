"""The table of operations: each op's forward rule beside its local-derivative rules.

Adding an op is one `_op(...)` line here (plus a grammar line if it needs new
syntax); the parser, evaluator, renderers and the finite-difference tests all
read this table and find it by themselves.

Derivative rules follow HIPS autograd / JAX: one rule per argument, each a
function ``rule(m, out, *args) -> ∂out/∂arg``.  Rules only use Python's
arithmetic operators and the functions of the namespace ``m``, so the same rule
runs over floats (``m = NUMERIC``), over text for display (``symbolic.SYMBOLIC``)
and, later, over graphs and arrays.  There is one rule set, never two.
"""
from __future__ import annotations

import math
import operator
from typing import Callable, NamedTuple


class Op(NamedTuple):
    name: str
    arity: int
    forward: Callable  # floats -> float; raises ValueError/OverflowError/ZeroDivisionError off its domain
    partials: tuple  # one rule per argument: (m, out, *args) -> ∂out/∂arg
    syntax: str  # how the op is written, with {0}, {1} for its arguments
    domain: tuple = ()  # per argument (lo, hi): where the op is defined and smooth (tests sample here)
    kink: Callable | None = None  # (*args) -> True where the op is not differentiable
    convention: str | None = None  # the derivative used at the kink, and whose convention it is
    precedence: int = 100  # binding strength of `syntax` when printed (100: atomic, a function call)


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sign(x):
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _step(x):
    return 1.0 if x > 0 else 0.0


def _div(x, y):
    return x / y  # ZeroDivisionError on 1/0 is the domain error we want


OPS: dict[str, Op] = {}


def _op(name, arity, forward, *partials, syntax=None, **kw):
    if syntax is None:
        syntax = name + "(" + ", ".join("{%d}" % i for i in range(arity)) + ")"
    OPS[name] = Op(name, arity, forward, partials, syntax, **kw)


_ONE = lambda m, o, *a: 1.0  # noqa: E731
_TIE = dict(kink=lambda x, y: x == y,
            convention="a tie splits the gradient half and half (PyTorch; JAX agrees)")

# Leaves and plumbing: an input, a literal, and `d = c` (a second name for a node).
_op("input", 0, None, syntax="{name}")
_op("const", 0, None, syntax="{name}")
_op("copy", 1, lambda x: x, _ONE, syntax="{0}")
# Arithmetic.
_op("add", 2, operator.add, _ONE, _ONE, syntax="{0} + {1}", precedence=10)
_op("sub", 2, operator.sub, _ONE, lambda m, o, x, y: -1.0, syntax="{0} - {1}", precedence=10)
_op("mul", 2, operator.mul, lambda m, o, x, y: y, lambda m, o, x, y: x, syntax="{0}*{1}", precedence=20)
_op("div", 2, _div, lambda m, o, x, y: 1.0 / y, lambda m, o, x, y: -o / y, syntax="{0}/{1}",
    precedence=20, domain=((-3, 3), (0.5, 3)))
_op("neg", 1, operator.neg, lambda m, o, x: -1.0, syntax="-{0}", precedence=30)
# x^y: math.pow raises for 0^-1 and (-8)^(1/3) instead of returning inf or a complex number.
# The exponent's rule (with its ln x) only runs when the exponent depends on an input.  At x = 0,
# where y*x^(y-1) and ln x break down, x^0 and 0^y (y > 0) are constant: derivative 0, as PyTorch.
_op("pow", 2, math.pow,
    lambda m, o, x, y: 0.0 if y == 0 else y * m.pow(x, y - 1.0),
    lambda m, o, x, y: 0.0 if x == 0 else o * m.log(x),
    syntax="{0}^{1}", precedence=40, domain=((0.2, 3), (-2, 2)))
# Functions.
_op("sin", 1, math.sin, lambda m, o, x: m.cos(x))
_op("cos", 1, math.cos, lambda m, o, x: -m.sin(x))
_op("tan", 1, math.tan, lambda m, o, x: 1.0 + o * o, domain=((-1.2, 1.2),))
_op("asin", 1, math.asin, lambda m, o, x: 1.0 / m.sqrt(1.0 - x * x), domain=((-0.9, 0.9),))
_op("acos", 1, math.acos, lambda m, o, x: -1.0 / m.sqrt(1.0 - x * x), domain=((-0.9, 0.9),))
_op("atan", 1, math.atan, lambda m, o, x: 1.0 / (1.0 + x * x))
_op("sinh", 1, math.sinh, lambda m, o, x: m.cosh(x))
_op("cosh", 1, math.cosh, lambda m, o, x: m.sinh(x))
_op("tanh", 1, math.tanh, lambda m, o, x: 1.0 - o * o)
_op("exp", 1, math.exp, lambda m, o, x: o)
_op("log", 1, math.log, lambda m, o, x: 1.0 / x, domain=((0.1, 5),))
_op("sqrt", 1, math.sqrt, lambda m, o, x: 0.5 / o, domain=((0.1, 5),))
_op("abs", 1, abs, lambda m, o, x: m.sign(x), kink=lambda x: x == 0,
    convention="abs'(0) = 0 (PyTorch; JAX uses 1)")
_op("sigmoid", 1, _sigmoid, lambda m, o, x: o * (1.0 - o))
_op("relu", 1, lambda x: x if x > 0 else 0.0, lambda m, o, x: m.step(x), kink=lambda x: x == 0,
    convention="relu'(0) = 0 (PyTorch and JAX)")
_op("softplus", 1, _softplus, lambda m, o, x: m.sigmoid(x))
_op("sign", 1, _sign, lambda m, o, x: 0.0, kink=lambda x: x == 0, convention="sign'(0) = 0 (PyTorch and JAX)")
_op("step", 1, _step, lambda m, o, x: 0.0, kink=lambda x: x == 0, convention="step'(0) = 0, step(0) = 0")
_op("min", 2, min, lambda m, o, x, y: 0.5 - 0.5 * m.sign(x - y), lambda m, o, x, y: 0.5 + 0.5 * m.sign(x - y),
    **_TIE)
_op("max", 2, max, lambda m, o, x, y: 0.5 + 0.5 * m.sign(x - y), lambda m, o, x, y: 0.5 - 0.5 * m.sign(x - y),
    **_TIE)

# Names a program can call, and the op each one builds.
FUNCTIONS: dict[str, Op] = {
    name: op for name, op in OPS.items() if op.syntax.startswith(name + "(")
}
FUNCTIONS.update(ln=OPS["log"], pow=OPS["pow"])
CONSTANTS = {"pi": math.pi}


class _Namespace:
    """Op names as attributes: ``m.cos(x)`` inside a derivative rule."""

    def __init__(self, functions):
        self.__dict__.update(functions)


# The namespace the rules use on floats: every op's own forward function.
NUMERIC = _Namespace({name: op.forward for name, op in OPS.items() if op.forward})
