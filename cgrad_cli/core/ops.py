"""The table of operations: each op's forward rule beside its local-derivative rules.

Adding an op is one `_op(...)` line here (plus a grammar line if it needs new
syntax); the parser, evaluator, renderers and the finite-difference tests all
read this table and find it by themselves.

Derivative rules follow HIPS autograd / JAX: one rule per argument, each a
function ``rule(m, out, *args) -> ∂out/∂arg``.  Rules only use Python's
arithmetic operators and the functions of the namespace ``m``, so the same rule
runs over floats (``m = NUMERIC``), over text for display (``symbolic.SYMBOLIC``),
over formulas (``symbolic.expr.Exprs``) and over numpy arrays (``array_namespace()``); a rule
that chooses by value says ``m.where(test, value, lambda: otherwise)``.  There is one rule set,
never two.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable

from .records import record


@record
class Op:
    name: str
    arity: int
    forward: Callable  # floats -> float; raises ValueError/OverflowError/ZeroDivisionError off its domain
    partials: tuple  # one rule per argument: (m, out, *args) -> ∂out/∂arg
    syntax: str  # how the op is written, with {0}, {1} for its arguments
    domain: tuple = ()  # per argument (lo, hi): where the op is defined and smooth (tests sample here)
    kink: Callable | None = None  # (*args) -> True where the op is not differentiable
    convention: str | None = None  # the derivative used at the kink, and whose convention it is
    precedence: int = 100  # binding strength of `syntax` when printed (100: atomic, a function call)
    # Tensors.  Elementwise ops name their numpy forward in `array` and reuse `partials` (broadcast
    # gradients are summed back to each argument's shape).  Ops whose Jacobian is not diagonal give a
    # vector-Jacobian product instead: vjp(m, g, out, *args, **params) -> one contribution per argument
    # (None for an argument with no gradient, such as an index).
    array: object = None  # numpy forward: the name of a numpy function, or a function
    vjp: Callable | None = None
    shape: Callable | None = None  # (*argument shapes, **params) -> output shape; None: broadcasting
    params: tuple | None = None  # (name, least, most): trailing integer literals, as in sum(x, 0)
    keywords: tuple = ()  # further parameters given only by name, one integer each: keepdims=1, ddof=1
    examples: tuple = ()  # (program, {input: shape}) the tests differentiate; tensor ops must give some
    branches: bool = False  # a rule chooses by value (m.where): over arrays numpy computes both sides
    indices: int | None = None  # the arguments from this position on are integer indices: no derivative
    # The local Jacobian ∂out/∂arg_k in the lecture's words, for explain, the eval tree and the graph:
    # jacobian(k, out, *args, **params) -> Jac, where out and args are Arg(label, shape).  Elementwise
    # ops need none (theirs is diagonal, the diagonal being their `partials` rule run over text).
    jacobian: Callable | None = None
    cuts: bool = False  # no gradient flows through (comparisons, detach): to reverse mode the node is a constant


@record
class Arg:
    """A node as a Jacobian description sees it: its label (`y`, `(W @ x)`) and its shape."""
    text: str
    shape: tuple


@record
class Jac:
    """What the local Jacobian ∂out/∂arg looks like and what backprop does with it.

    kind: 'diagonal', 'identity', 'full', 'matrix' (the Jacobian is a matrix of the program, W),
    'row' (a gradient: the output is a scalar), 'tensor' (3-D or more, never built), 'selection'
    (rows of the identity), 'sum', 'broadcast', 'permutation'.  formula: the Jacobian itself, or
    its diagonal for a diagonal one.  vjp: the row vector g = ∂C/∂out mapped to ∂C/∂arg."""
    kind: str
    formula: str
    vjp: str


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


# numpy, bound by `array_namespace()` the first time a tensor program runs: a scalar program never
# imports it.  The functions below that use it only run on tensor programs.
np = None


def _identity(x):
    return x


def _sigmoid_array(x):
    return np.exp(-np.logaddexp(0.0, -x))  # never overflows, keeps sigmoid(-40) = 4e-18 exact


def _softplus_array(x):
    return np.logaddexp(0.0, x)


def _relu_array(x):
    return np.maximum(x, 0.0)


def _step_array(x):
    return np.where(x > 0, 1.0, 0.0)


def choose(cond, value, otherwise):
    """`m.where` over floats, text and formulas: `value` if cond, else `otherwise()` (only computed then).
    A test on text or a formula is never true: it shows the general rule."""
    return value if cond else otherwise()


def _where_array(cond, value, otherwise):
    """`m.where` over arrays: both sides, numpy's errors silenced in the one the where() discards
    (x^(y-1) at x = 0); backward checks the gradients for inf and nan after a rule that branches."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cond, value, otherwise())


OPS: dict[str, Op] = {}


def _op(name, arity, forward, *partials, syntax=None, **kw):
    if syntax is None:
        syntax = name + "(" + (", ".join("{%d}" % i for i in range(arity)) if arity >= 0 else "…") + ")"
    OPS[name] = Op(name, arity, forward, partials, syntax, **kw)


# Rules the scalar backward sweep applies without calling them (autodiff._scalar_sweep): a constant local
# derivative, and x*y's pair, whose derivative for one argument is the other.  Everywhere else they are
# rules like any other.
_ONE = lambda m, o, *a: 1.0  # noqa: E731
_MINUS_ONE = lambda m, o, *a: -1.0  # noqa: E731
_X = lambda m, o, x, y: x  # noqa: E731
_Y = lambda m, o, x, y: y  # noqa: E731
_ZERO = lambda m, o, *a: 0.0  # noqa: E731
CONSTANT_RULES = {_ONE: 1.0, _MINUS_ONE: -1.0, _ZERO: 0.0}
PRODUCT_RULES = (_Y, _X)
_LN2 = math.log(2.0)
# What the scalar sweep does at a node, from its op's rules and which of its arguments depend on an input
# (only those get a share): a local derivative of 1 passes the gradient on as it is (add, copy), another
# constant one is its number (sub, neg), x*y reads the other factor, other rules are called.  Planned for
# each pattern of wanted arguments, so the sweep tests no argument at a node of one or two arguments.
(SWEEP_SUM, SWEEP_SUM_A, SWEEP_SUM_B, SWEEP_PRODUCT, SWEEP_PRODUCT_A, SWEEP_PRODUCT_B, SWEEP_SCALE, SWEEP_SCALE_A,
 SWEEP_SCALE_B, SWEEP_UNARY, SWEEP_BINARY, SWEEP_NARY, SWEEP_NONE) = range(13)
SWEEP_PLANS: dict = {}  # (id of an op's rules, wanted) -> (what to do, first, second), worked out once
_PLANNED: list = []  # those rules, kept alive: an id in SWEEP_PLANS is never reused by another tuple


def sweep_plan(rules: tuple, wanted: int) -> tuple:
    """(what to do, first, second): the scalar backward sweep's way with these rules (autodiff) when the
    arguments in `wanted` (bit k: argument k; ignored past two arguments) depend on an input; first and
    second are a rule or a constant local derivative (None where nothing flows).  None for ops that only
    run over arrays."""
    plan = SWEEP_PLANS.get((id(rules), wanted))
    if plan is not None:
        return plan
    if len(rules) > 2:  # where(c, a, b): every rule called, over the node's arguments (the sweep tests each)
        plan = (SWEEP_NARY, rules, None)
    elif not rules:
        plan = None
    else:
        a, b = (rule if wanted >> k & 1 else None for k, rule in enumerate((rules + (None,))[:2]))
        which = 0 if a and b else 1 if a else 2 if b else None  # both, the first only, the second only
        if which is None:
            plan = (SWEEP_NONE, None, None)
        elif rules == PRODUCT_RULES:
            plan = ((SWEEP_PRODUCT, SWEEP_PRODUCT_A, SWEEP_PRODUCT_B)[which], None, None)
        elif all(rule is _ONE for rule in (a, b) if rule):
            plan = ((SWEEP_SUM, SWEEP_SUM_A, SWEEP_SUM_B)[which], None, None)
        elif all(rule in CONSTANT_RULES for rule in (a, b) if rule):
            plan = ((SWEEP_SCALE, SWEEP_SCALE_A, SWEEP_SCALE_B)[which],
                    *(CONSTANT_RULES.get(rule) for rule in (a, b)))
        else:
            plan = (SWEEP_BINARY if len(rules) == 2 else SWEEP_UNARY, a, b)
    _PLANNED.append(rules)
    SWEEP_PLANS[(id(rules), wanted)] = plan
    return plan


_TIE = dict(kink=lambda x, y: x == y,
            convention="a tie splits the gradient half and half (PyTorch; JAX agrees)")

# Leaves and plumbing: an input, a literal, and `d = c` (a second name for a node).
_op("input", 0, None, syntax="{name}")
_op("const", 0, None, syntax="{name}")
_op("copy", 1, lambda x: x, _ONE, syntax="{0}", array=_identity)
# Arithmetic.
_op("add", 2, operator.add, _ONE, _ONE, syntax="{0} + {1}", precedence=10, array="add")
_op("sub", 2, operator.sub, _ONE, _MINUS_ONE, syntax="{0} - {1}", precedence=10, array="subtract")
_op("mul", 2, operator.mul, *PRODUCT_RULES, syntax="{0}*{1}", precedence=20,
    array="multiply")
_op("div", 2, _div, lambda m, o, x, y: 1.0 / y, lambda m, o, x, y: -o / y, syntax="{0}/{1}",
    precedence=20, domain=((-3, 3), (0.5, 3)), array="divide")
_op("neg", 1, operator.neg, _MINUS_ONE, syntax="-{0}", precedence=30, array="negative")
# x^y: math.pow raises for 0^-1 and (-8)^(1/3) instead of returning inf or a complex number.
# The exponent's rule (with its ln x) only runs when the exponent depends on an input.  At x = 0,
# where y*x^(y-1) and ln x break down, x^0 and 0^y (y > 0) are constant: derivative 0, as PyTorch.
_op("pow", 2, math.pow,
    lambda m, o, x, y: m.where(y == 0, 0.0, lambda: y * m.pow(x, y - 1.0)),
    lambda m, o, x, y: m.where(x == 0, 0.0, lambda: o * m.log(x)),
    syntax="{0}^{1}", precedence=40, domain=((0.2, 3), (-2, 2)), array="power", branches=True)
# Functions.
_op("sin", 1, math.sin, lambda m, o, x: m.cos(x), array="sin")
_op("cos", 1, math.cos, lambda m, o, x: -m.sin(x), array="cos")
_op("tan", 1, math.tan, lambda m, o, x: 1.0 + o * o, domain=((-1.2, 1.2),), array="tan")
_op("asin", 1, math.asin, lambda m, o, x: 1.0 / m.sqrt(1.0 - x * x), domain=((-0.9, 0.9),), array="arcsin")
_op("acos", 1, math.acos, lambda m, o, x: -1.0 / m.sqrt(1.0 - x * x), domain=((-0.9, 0.9),), array="arccos")
_op("atan", 1, math.atan, lambda m, o, x: 1.0 / (1.0 + x * x), array="arctan")
_op("sinh", 1, math.sinh, lambda m, o, x: m.cosh(x), array="sinh")
_op("cosh", 1, math.cosh, lambda m, o, x: m.sinh(x), array="cosh")
_op("tanh", 1, math.tanh, lambda m, o, x: 1.0 - o * o, array="tanh")
_op("exp", 1, math.exp, lambda m, o, x: o, array="exp")
_op("log", 1, math.log, lambda m, o, x: 1.0 / x, domain=((0.1, 5),), array="log")
_op("sqrt", 1, math.sqrt, lambda m, o, x: 0.5 / o, domain=((0.1, 5),), array="sqrt")
_op("abs", 1, abs, lambda m, o, x: m.sign(x), kink=lambda x: x == 0,
    convention="abs'(0) = 0 (PyTorch; JAX uses 1)", array="abs")
_op("sigmoid", 1, _sigmoid, lambda m, o, x: o * (1.0 - o), array=_sigmoid_array)
_op("relu", 1, lambda x: x if x > 0 else 0.0, lambda m, o, x: m.step(x), kink=lambda x: x == 0,
    convention="relu'(0) = 0 (PyTorch and JAX)", array=_relu_array)
_op("softplus", 1, _softplus, lambda m, o, x: m.sigmoid(x), array=_softplus_array)
_op("sign", 1, _sign, lambda m, o, x: 0.0, kink=lambda x: x == 0, convention="sign'(0) = 0 (PyTorch and JAX)",
    array="sign")
_op("step", 1, _step, lambda m, o, x: 0.0, kink=lambda x: x == 0, convention="step'(0) = 0, step(0) = 0",
    array=_step_array)
_op("min", 2, min, lambda m, o, x, y: 0.5 - 0.5 * m.sign(x - y), lambda m, o, x, y: 0.5 + 0.5 * m.sign(x - y),
    **_TIE, array="minimum")
_op("max", 2, max, lambda m, o, x, y: 0.5 + 0.5 * m.sign(x - y), lambda m, o, x, y: 0.5 - 0.5 * m.sign(x - y),
    **_TIE, array="maximum")

_op("log1p", 1, math.log1p, lambda m, o, x: 1.0 / (1.0 + x), domain=((-0.9, 5),), array="log1p")
_op("expm1", 1, math.expm1, lambda m, o, x: o + 1.0, array="expm1")
_op("log2", 1, math.log2, lambda m, o, x: 1.0 / (x * _LN2), domain=((0.1, 5),), array="log2")
_op("exp2", 1, lambda x: math.pow(2.0, x), lambda m, o, x: o * _LN2, array="exp2")
_op("asinh", 1, math.asinh, lambda m, o, x: 1.0 / m.sqrt(x * x + 1.0), array="arcsinh")
_op("acosh", 1, math.acosh, lambda m, o, x: 1.0 / m.sqrt(x * x - 1.0), domain=((1.1, 5),), array="arccosh")
_op("atanh", 1, math.atanh, lambda m, o, x: 1.0 / (1.0 - x * x), domain=((-0.9, 0.9),), array="arctanh")
_op("atan2", 2, math.atan2, lambda m, o, y, x: x / (x * x + y * y), lambda m, o, y, x: -y / (x * x + y * y),
    domain=((-3, 3), (0.2, 3)), array="arctan2")  # smooth away from the origin and the cut along x < 0, y = 0
_op("hypot", 2, math.hypot, lambda m, o, x, y: x / o, lambda m, o, x, y: y / o, domain=((0.2, 3), (-3, 3)),
    array="hypot")
# x % y = x - y*floor(x/y) (Python's and numpy's sign: that of y); off its jumps ∂/∂y = -floor(x/y) = (o - x)/y.
_op("mod", 2, operator.mod, _ONE, lambda m, o, x, y: (o - x) / y, syntax="{0} % {1}", precedence=20,
    domain=((0.1, 0.9), (1, 3)), array="mod")  # the tests sample between its jumps
# Comparisons give 0 or 1 and cut the graph: a step has derivative 0 wherever it has one.
for _name, _test, _symbol in (("lt", operator.lt, "<"), ("le", operator.le, "<="), ("gt", operator.gt, ">"),
                              ("ge", operator.ge, ">="), ("eq", operator.eq, "==")):
    _op(_name, 2, lambda x, y, test=_test: 1.0 if test(x, y) else 0.0, _ZERO, _ZERO, syntax="{0} %s {1}" % _symbol,
        precedence=5, cuts=True, array=lambda x, y, test=_test: np.where(test(x, y), 1.0, 0.0))
# where(c, a, b): a where c is non-zero, else b; the gradient goes to the chosen side only.
# (Named `select` in the table: `m.where` is the rules' own helper for a rule that branches.)
_op("select", 3, lambda c, a, b: a if c else b, _ZERO, lambda m, o, c, a, b: m.select(c, 1.0, 0.0),
    lambda m, o, c, a, b: m.select(c, 0.0, 1.0), syntax="where({0}, {1}, {2})", array="where",
    examples=(("where(x > 0, x, 0.1*x)", {"x": (2, 3)}), ("where(c, a, b)", {"c": (3,), "a": (2, 3), "b": ()}),
              ("where(x <= y, x^2, y)", {"x": (3,), "y": (2, 3)})))
_op("detach", 1, lambda x: x, _ZERO, array=_identity, cuts=True)

# Tensor ops: numpy forward, vector-Jacobian product and shape rule side by side.  Each gives
# example programs, which the tests differentiate against finite differences.
class ShapeMismatch(ValueError):
    """An op's arguments have shapes it cannot combine (the message says why)."""


class BadIndex(LookupError):
    """An index that is not an integer, or out of range (known only once its value is)."""


def shape_text(s) -> str:
    """`scalar`, `2-vector`, `2×3`; a size past 10^15 (onehot(1, 1e300)'s) as 1.0e+300, not 301 digits."""
    s = tuple(str(n) if n < 10 ** 15 else f"{float(n):.1e}" for n in s)
    return "scalar" if not s else f"{s[0]}-vector" if len(s) == 1 else "×".join(s)



def _broadcast(*shapes):
    out = []
    for k in range(1, max(map(len, shapes)) + 1):
        sizes = {s[-k] for s in shapes if len(s) >= k and s[-k] != 1}
        if len(sizes) > 1:
            raise ShapeMismatch("elementwise ops need equal shapes, or sizes of 1 to broadcast (numpy's rule)")
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))


def _axes(n):
    return f"{n} axis" if n == 1 else f"{n} axes"


def _axis(shape, axis):
    if axis is not None and not -len(shape) <= axis < len(shape):
        raise ShapeMismatch(f"axis {axis} does not exist: the argument has {_axes(len(shape))}")
    return axis % len(shape) if axis is not None else None


def _reduced(shape, axis=None, keepdims=0, ddof=0):
    """A reduction's shape: the axis (every axis if None) dropped, or kept with size 1 (keepdims=1, numpy's)."""
    axis = _axis(shape, axis)
    if ddof and ddof >= (math.prod(shape) if axis is None else shape[axis]):
        raise ShapeMismatch(f"ddof={ddof} leaves no degrees of freedom: it must be less than the count reduced")
    if keepdims:
        return tuple(1 if axis in (None, k) else n for k, n in enumerate(shape))
    return () if axis is None else shape[:axis] + shape[axis + 1:]


def _expand(m, g, axis, keepdims=0):
    """A reduction's gradient with the reduced axis put back, ready to broadcast (keepdims kept it already)."""
    return g if axis is None or keepdims else m.expand_dims(g, axis)


def _sum_vjp(m, g, o, x, axis=None, keepdims=0):
    return (m.broadcast_to(_expand(m, g, axis, keepdims), x.shape),)


def _mean(x, axis=None, keepdims=0):
    return np.mean(x, axis=axis, keepdims=bool(keepdims))


def _mean_vjp(m, g, o, x, axis=None, keepdims=0):
    count = x.size if axis is None else x.shape[axis]
    return (m.broadcast_to(_expand(m, g, axis, keepdims) / count, x.shape),)


def _logsumexp(x, axis=None, keepdims=0):
    top = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out.reshape(_reduced(x.shape, axis, keepdims))


def _logsumexp_vjp(m, g, o, x, axis=None, keepdims=0):
    return (_expand(m, g, axis, keepdims) * m.exp(x - _expand(m, o, axis, keepdims)),)


def _last_axis(shape):
    if not shape:
        raise ShapeMismatch("it works along the last axis: give it a vector (or a matrix, row by row)")
    return shape


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _matmul_shape(a, b):
    if not a or not b:
        raise ShapeMismatch("@ multiplies vectors and matrices, not scalars: use * to scale")
    if len(a) > 2 or len(b) > 2:
        raise ShapeMismatch("@ takes vectors and matrices (at most 2 axes)")
    if a[-1] != b[0]:
        raise ShapeMismatch(f"the inner sizes differ: {a[-1]} and {b[0]}")
    return a[:-1] + b[1:]


def _matmul_vjp(m, g, o, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T, a.T @ g
    if a.ndim == 2:  # W @ x: the weight's share is an outer product
        return m.outer(g, b), g @ a
    if b.ndim == 2:  # x @ W
        return b @ g, m.outer(a, g)
    return g * b, g * a


def _raise(why):
    raise ShapeMismatch(why)


def _dot_shape(a, b):
    if len(a) != 1 or a != b:
        raise ShapeMismatch("dot takes two vectors of the same length")
    return ()


def _index(value, size):
    """An index value as a Python int in [0, size), Python's negative indices counted from the end."""
    k = int(value)
    if k != value:
        raise BadIndex(f"index {value:g} is not an integer")
    if not -size <= k < size:
        raise BadIndex(f"index {value:g} is out of range for an axis of size {size} (indices count from 0)")
    return k % size


def _indices(value, size):
    """An array of indices (fancy indexing, onehot of a batch) as integers in [0, size)."""
    k = value.astype(np.int64)
    for bad, why in ((k != value, "is not an integer"), ((k < -size) | (k >= size),
                                                          f"is out of range for an axis of size {size}")):
        if bad.any():
            raise BadIndex(f"index {value[bad].flat[0]:g} {why} (in the index array {value.tolist()})")
    return k % size


def _key(x, idx, key):
    it = iter(idx)
    return tuple(k if k is not None else _index(v, x.shape[axis]) if not (v := next(it)).shape
                 else _indices(v, x.shape[axis]) for axis, k in enumerate(key))


def _getitem(x, *idx, key):
    return x[_key(x, idx, key)]


@record
class Scatter:
    """A share that is zero except at x[key]: x[k]'s gradient, added in place instead of as a full array
    (an RNN reading x[0], ..., x[T-1] would otherwise add T arrays of x's size)."""

    key: tuple
    value: object
    shape: tuple

    def add_to(self, acc):
        """acc[key] += value, where an element picked twice (probs[[0, 0], y]) gets both shares."""
        if any(k.__class__ is np.ndarray for k in self.key):
            np.add.at(acc, self.key, self.value)
        else:
            acc[self.key] += self.value

    def dense(self):
        out = np.zeros(self.shape)
        self.add_to(out)
        return out


def _scatter(g, x, idx, key):
    return Scatter(_key(x, idx, key), g, x.shape)


def _getitem_vjp(m, g, o, x, *idx, key):
    return (m.place(g, x, idx, key),) + (None,) * len(idx)


def _getitem_shape(x, *idx, key):
    if len(key) > len(x):
        raise ShapeMismatch(f"{len(key)} ind{'ex' if len(key) == 1 else 'ices'} for {_axes(len(x))}")
    for k, size in zip(key, x):
        if isinstance(k, int) and not -size <= k < size:
            raise ShapeMismatch(f"index {k} is out of range for an axis of size {size} (indices count from 0)")
    if any(s != () for s in idx):  # integer arrays: numpy's rules, read off an empty probe of x's shape
        it = iter(idx)
        probe = tuple(k if k is not None else np.zeros(next(it), dtype=np.int64) for k in key)
        try:
            return np.broadcast_to(np.empty(()), x)[probe].shape
        except IndexError as e:
            raise ShapeMismatch(f"the index arrays do not fit together: {e}") from None
    kept = tuple(len(range(*k.indices(size))) for k, size in zip(key, x) if isinstance(k, slice))
    return kept + x[len(key):]


def _reshape_shape(x, shape):
    size = math.prod(x)
    known = math.prod(d for d in shape if d != -1)
    if shape.count(-1) > 1 or any(d < -1 or d == 0 for d in shape):
        raise ShapeMismatch("sizes are positive, with at most one -1 (meaning: whatever is left)")
    if -1 in shape:
        if size % known:
            raise ShapeMismatch(f"{size} elements do not divide into rows of {known}")
        return tuple(size // known if d == -1 else d for d in shape)
    if known != size:
        raise ShapeMismatch(f"{size} elements cannot take the shape {shape_text(shape)}")
    return tuple(shape)


def _concat_shape(*shapes, axis=0):
    first = shapes[0]
    if not first:
        raise ShapeMismatch("concat joins vectors or matrices, not numbers: use [a, b] or stack(a, b)")
    axis = _axis(first, axis)
    if any(len(s) != len(first) or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:] for s in shapes):
        raise ShapeMismatch(f"the arguments must have equal sizes on every axis but the one joined (axis {axis})")
    return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]


def _concat(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _along_axis(g, axis, part):
    """g[..., part] with `part` (an index or a slice) on `axis`: the way shares are cut from g."""
    return g[(slice(None),) * (axis % g.ndim) + (part,)]


def _concat_vjp(m, g, o, *xs, axis=0):
    ends = [0]
    for x in xs:
        ends.append(ends[-1] + x.shape[axis])
    return tuple(_along_axis(g, axis, slice(a, b)) for a, b in zip(ends, ends[1:]))


def _stack_shape(*shapes, axis=0):
    if any(s != shapes[0] for s in shapes):
        raise ShapeMismatch("the elements of an array must all have the same shape")
    axis = _axis(shapes[0] + (1,), axis)
    return shapes[0][:axis] + (len(shapes),) + shapes[0][axis:]


def _stack(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _onehot(r, n):
    if not r.shape:
        out = np.zeros(n)
        out[_index(r, n)] = 1.0
        return out
    return np.eye(n)[_indices(r, n)]


def _onehot_shape(r, n):
    if n < 1:
        raise ShapeMismatch(f"onehot(r, n) needs n >= 1 classes, not {n}")
    return r + (n,)


class SingularMatrix(ValueError):
    """inv, solve or logdet of a matrix with no inverse (to float64's precision)."""


def _square(x):
    if len(x) != 2 or x[0] != x[1]:
        raise ShapeMismatch("it takes a square matrix")
    return x


def _nonsingular(a):
    """`a`, or SingularMatrix when its condition number is beyond float64 (numpy's matrix_rank tolerance)."""
    s = np.linalg.svd(a, compute_uv=False)
    if not s[-1] > s[0] * len(s) * np.finfo(float).eps:
        raise SingularMatrix("the matrix is singular")
    return a


def _inv(a):
    return np.linalg.inv(_nonsingular(a))


def _solve(a, b):
    return np.linalg.solve(_nonsingular(a), b)


def _solve_shape(a, b):
    _square(a)
    if not b or len(b) > 2 or b[0] != a[0]:
        raise ShapeMismatch(f"b must be a vector of {a[0]} or a matrix of {a[0]} rows")
    return b


def _solve_vjp(m, g, o, a, b):
    gb = m.solve(a.T, g)
    return -(m.outer(gb, o) if o.ndim == 1 else gb @ o.T), gb


def _cofactors(a, o):
    """The cofactor matrix adj(A)ᵀ (det's gradient), the adjugate from the SVD A = U S Vᵀ: adj(A) =
    det(U) det(Vᵀ) · V diag(Π_{j≠i} s_j) Uᵀ.  Defined for every matrix, a singular one included (where
    det(A)·A⁻ᵀ, the formula cgrad diff writes, is not)."""
    u, s, vt = np.linalg.svd(a)
    others = np.array([np.prod(np.delete(s, i)) for i in range(len(s))])
    return (np.linalg.det(u) * np.linalg.det(vt) * ((vt.T * others) @ u.T)).T


def _logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    if sign == 0 or not np.isfinite(logabs):
        raise SingularMatrix("the matrix is singular: det = 0")
    _nonsingular(a)
    return logabs


def _norm(x, ord=2, axis=None, keepdims=0):
    """The 2-norm (of every element, or of each slice along `axis`), or with ord=1 the sum of |x|."""
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=bool(keepdims))
    if axis is None and not keepdims:
        return np.linalg.norm(x.ravel())
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=bool(keepdims)))


def _norm_vjp(m, g, o, x, ord=2, axis=None, keepdims=0):
    g = _expand(m, g, axis, keepdims)
    if ord == 1:
        return (g * m.sign(x),)
    o = _expand(m, o, axis, keepdims)
    return (m.where(o == 0, 0.0 * x, lambda: g * x / o),)


def _norm_shape(x, ord=2, axis=None, keepdims=0):
    if ord not in (1, 2):
        raise ShapeMismatch(f"norm(x) is the 2-norm (Frobenius for a matrix), norm(x, 1) the sum of |x|: not {ord}")
    return _reduced(x, axis, keepdims)


def _diag(x):
    return np.diag(x) if x.ndim == 1 else np.diagonal(x).copy()


def _diag_vjp(m, g, o, x):
    """diag(v)'s gradient is g's diagonal; diag(X)'s is g on the diagonal of X's shape, zeros elsewhere."""
    if x.ndim == 1:
        return (m.diag(g),)
    rows, cols = x.shape
    return (m.diag(g) if rows == cols else m.diag(g) @ m.eye(x.shape) if rows < cols else m.eye(x.shape) @ m.diag(g),)


def _diag_shape(x):
    if len(x) == 1:
        return x + x
    if len(x) == 2:
        return (min(x),)
    raise ShapeMismatch("diag takes a vector (giving the diagonal matrix) or a matrix (giving its diagonal)")


def _extreme(pick):
    def forward(x, axis=None, keepdims=0):
        return pick(x, axis=axis, keepdims=bool(keepdims))
    return forward


def _extreme_vjp(m, g, o, x, axis=None, keepdims=0):
    hit = m.eq(x, _expand(m, o, axis, keepdims))
    return (_expand(m, g, axis, keepdims) * hit / m.sum(hit, axis, keepdims=axis is not None),)


def _tie(pick: str):
    def kink(x, axis=None, keepdims=0):
        return bool((np.sum(x == getattr(np, pick)(x, axis=axis, keepdims=True), axis=axis) > 1).any())
    return kink


def _arg(pick):
    def forward(x, axis=None):
        return np.asarray(pick(x, axis=axis), dtype=float)
    return forward


def _prod(x, axis=None, keepdims=0):
    return np.prod(x, axis=axis, keepdims=bool(keepdims))


def _prod_vjp(m, g, o, x, axis=None, keepdims=0):
    """Each element's share is g times the product of the others (exact with zeros: o / x would divide by them)."""
    return (_expand(m, g, axis, keepdims) * m.others(x, axis),)


def _others(x, axis=None):
    """The product of the other elements (along `axis`) for each element, by prefix and suffix products."""
    y = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
    ones = np.ones(y.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, y[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, y[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = left * right
    return others.reshape(x.shape) if axis is None else np.moveaxis(others, -1, axis)


def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(m, g, o, x, axis=None):
    """The running sum of g from the end: cumsum of g reversed, reversed back."""
    axis = 0 if axis is None else axis
    back = slice(None, None, -1)
    return (m.reshape(_along_axis(m.cumsum(_along_axis(g, axis, back), axis), axis, back), x.shape),)


def _cumsum_shape(x, axis=None):
    return (math.prod(x),) if axis is None else (_axis(x, axis), x)[1]


def _var(x, axis=None, keepdims=0, ddof=0):
    return np.var(x, axis=axis, keepdims=bool(keepdims), ddof=ddof)


def _var_vjp(m, g, o, x, axis=None, keepdims=0, ddof=0):
    count = (x.size if axis is None else x.shape[axis]) - ddof
    return (_expand(m, g, axis, keepdims) * 2.0 * (x - _expand(m, m.mean(x, axis), axis)) / count,)


def _std(x, axis=None, keepdims=0, ddof=0):
    return np.std(x, axis=axis, keepdims=bool(keepdims), ddof=ddof)


def _std_vjp(m, g, o, x, axis=None, keepdims=0, ddof=0):
    count = (x.size if axis is None else x.shape[axis]) - ddof
    return (_expand(m, g, axis, keepdims) * (x - _expand(m, m.mean(x, axis), axis))
            / (count * _expand(m, o, axis, keepdims)),)


def _trace_shape(x):
    if len(x) != 2:
        raise ShapeMismatch("trace takes a matrix")
    return ()


def _like(fill):
    def forward(x):
        return np.full(np.shape(x), fill)
    return forward


def _sizes(what, least=1):
    def shape(**params):
        sizes = next(iter(params.values()))
        sizes = sizes if isinstance(sizes, tuple) else (sizes,)
        if any(n < least for n in sizes):
            raise ShapeMismatch(f"{what} must be at least {least}, not {min(sizes)}")
        return sizes
    return shape


def _arange_shape(bounds):
    bounds = bounds if isinstance(bounds, tuple) else (bounds,)
    if len(bounds) == 3 and bounds[2] == 0:
        raise ShapeMismatch("the step cannot be 0")
    if not range(*bounds):
        raise ShapeMismatch(f"arange({', '.join(map(str, bounds))}) has no elements")
    return (len(range(*bounds)),)


def _arange(bounds):
    return np.arange(*(bounds if isinstance(bounds, tuple) else (bounds,)), dtype=float)


def _eye_shape(size):
    sizes = size if isinstance(size, tuple) else (size, size)
    return _sizes("a size")(size=sizes)


def _det(a):
    return np.linalg.det(a)


# --- each tensor op's local Jacobian in words (Jac above): what explain, the tree and the graph say ---

def _along(axis):
    return "every element" if axis is None else f"axis {axis}"


def _matmul_jac(k, o, a, b):
    A, B = a.text, b.text
    if len(a.shape) == 2 and len(b.shape) == 1:  # W @ x: z_i = Σ_k W_ik x_k
        return Jac("tensor", f"δ_ij {B}_k", f"g ⊗ {B} (outer)") if k == 0 else Jac("matrix", A, f"{A}ᵀ g")
    if len(a.shape) == 1 and len(b.shape) == 2:  # x @ W: z_j = Σ_i x_i W_ij
        return Jac("matrix", f"{B}ᵀ", f"{B} g") if k == 0 else Jac("tensor", f"{A}_i δ_jk", f"{A} ⊗ g (outer)")
    if len(a.shape) == 2:  # A @ B: Z_ij = Σ_m A_im B_mj
        return Jac("tensor", f"δ_ik {B}_lj", f"g {B}ᵀ") if k == 0 else Jac("tensor", f"{A}_ik δ_jl", f"{A}ᵀ g")
    return Jac("row", B if k == 0 else A, f"g {B if k == 0 else A}")  # u @ v: a dot product


def _sum_jac(k, o, x, axis=None, keepdims=0):
    return Jac("sum", "a row of ones, 1ᵀ" if axis is None else f"ones along axis {axis}",
               f"g copied to {_along(axis)} of {x.text}")


def _mean_jac(k, o, x, axis=None, keepdims=0):
    n = math.prod(x.shape) if axis is None else x.shape[axis]
    return Jac("sum", f"1/{n} along {_along(axis)}", f"g/{n} copied to {_along(axis)} of {x.text}")


def _softmax_jac(k, y, z):
    Y = y.text
    return Jac("full" if len(z.shape) == 1 else "tensor", f"diag({Y}) − {Y} {Y}ᵀ" +
               ("" if len(z.shape) == 1 else " for each row (zero between rows)"), f"{Y} ⊙ (g − g·{Y})")


def _log_softmax_jac(k, o, z):
    Z = z.text
    return Jac("full" if len(z.shape) == 1 else "tensor", f"I − 1 softmax({Z})ᵀ" +
               ("" if len(z.shape) == 1 else " for each row (zero between rows)"), f"g − softmax({Z}) Σg")


def _logsumexp_jac(k, o, z, axis=None, keepdims=0):
    Z = z.text
    if axis is None:
        return Jac("row", f"softmax({Z}) over every element", f"g softmax({Z})")
    return Jac("tensor", f"softmax({Z}) along axis {axis}", f"g ⊙ softmax({Z}) along axis {axis}")


def _index_text(x, idx, key):
    it, parts = iter(idx), []
    for k in key:
        if k is None:
            parts.append(next(it).text)
        elif isinstance(k, slice):
            parts.append(":".join("" if v is None else str(v) for v in (k.start, k.stop))
                         + ("" if k.step in (None, 1) else f":{k.step}"))
        else:
            parts.append(str(k))
    return ", ".join(parts)


def _getitem_jac(k, o, x, *idx, key):
    where = _index_text(x, idx, key)
    place = f"g placed at [{where}], zeros elsewhere"
    if not o.shape and len(x.shape) == 1:
        return Jac("selection", f"onehot({where}) (a one-hot row)", place)
    if not o.shape:
        return Jac("selection", f"1 at [{where}], 0 elsewhere", place)
    return Jac("selection", f"rows of the identity: picks {x.text}[{where}]", place)


def _concat_jac(k, o, *xs, axis=0):
    start = sum(x.shape[axis] for x in xs[:k])
    end = start + xs[k].shape[axis]
    where = f"g[{start}:{end}]" if axis % len(o.shape) == 0 else f"g[{', '.join([':'] * (axis % len(o.shape)))}, {start}:{end}]"
    return Jac("selection", f"rows {start}:{end} of the identity", where)


def _reduction_jac(formula, vjp):
    """The Jacobian of a reduction: a row for the whole tensor (scalar out), a tensor along an axis."""
    def jac(k, o, x, axis=None, keepdims=0, ddof=0):
        return Jac("row" if axis is None else "tensor", formula(x.text, o.text) + f" along {_along(axis)}",
                   vjp(x.text, o.text))
    return jac


def _solve_jac(k, o, a, b):
    if k == 0:
        return Jac("tensor", f"−({a.text}⁻¹)_ik {o.text}_l", f"−({a.text}⁻ᵀ g) ⊗ {o.text}")
    return Jac("full" if len(b.shape) == 1 else "tensor", f"{a.text}⁻¹", f"{a.text}⁻ᵀ g")


def _diag_jac(k, o, x):
    if len(x.shape) == 1:
        return Jac("selection", f"puts {x.text} on the diagonal (δ_ij δ_ik)", "the diagonal of g")
    return Jac("selection", f"picks the diagonal of {x.text} (δ_ij δ_ik)", "g on the diagonal, zeros elsewhere")


_AXIS = ("axis", 0, 1)
_KEEPDIMS = ("keepdims",)
_W_X = {"W": (2, 3), "x": (3,)}
_op("matmul", 2, None, syntax="{0} @ {1}", precedence=20, array="matmul", vjp=_matmul_vjp, shape=_matmul_shape,
    jacobian=_matmul_jac,
    examples=(("W @ x", _W_X), ("x @ W", {"x": (2,), "W": (2, 3)}), ("A @ B", {"A": (2, 3), "B": (3, 2)}),
              ("u @ v", {"u": (3,), "v": (3,)})))
_op("transpose", 1, None, array="transpose", vjp=lambda m, g, o, x: (m.transpose(g),),
    shape=lambda x: x[::-1], jacobian=lambda k, o, x: Jac("permutation", "δ_il δ_jk", "gᵀ"), examples=(("transpose(W) @ y", {"W": (2, 3), "y": (2,)}), ("W.T", {"W": (3, 2)})))
_op("sum", 1, None, array="sum", vjp=_sum_vjp, shape=_reduced, params=_AXIS, keywords=_KEEPDIMS, jacobian=_sum_jac,
    examples=(("sum(W)", {"W": (2, 3)}), ("sum(W, 0)", {"W": (2, 3)}), ("sum(W, -1)", {"W": (2, 3)}),
              ("W / sum(W, axis=0, keepdims=True)", {"W": (2, 3)}), ("sum(W, keepdims=1)", {"W": (2, 3)})))
_op("mean", 1, None, array=_mean, vjp=_mean_vjp, shape=_reduced, params=_AXIS, keywords=_KEEPDIMS,
    jacobian=_mean_jac, examples=(("mean(x)", {"x": (4,)}), ("mean(W, 1)", {"W": (2, 3)}),
                                  ("W - mean(W, axis=1, keepdims=True)", {"W": (2, 3)})))
_op("outer", 2, None, array="outer", vjp=lambda m, g, o, u, v: (g @ v, u @ g),
    shape=lambda u, v: u + v if len(u) == len(v) == 1 else _raise("outer takes two vectors"),
    jacobian=lambda k, o, u, v: Jac("tensor", f"δ_ik {v.text}_j", f"g {v.text}") if k == 0 else
    Jac("tensor", f"{u.text}_i δ_jk", f"gᵀ {u.text}"),
    examples=(("outer(u, v)", {"u": (2,), "v": (3,)}),))
_op("dot", 2, None, array="dot", vjp=lambda m, g, o, u, v: (g * v, g * u), shape=_dot_shape,
    jacobian=lambda k, o, u, v: Jac("row", (v, u)[k].text, f"g {(v, u)[k].text}"),
    examples=(("dot(u, v)", {"u": (3,), "v": (3,)}),))
_op("softmax", 1, None, array=_softmax, vjp=lambda m, g, o, z: (o * (g - m.sum(g * o, -1, keepdims=True)),),
    shape=_last_axis, jacobian=_softmax_jac, examples=(("softmax(z)", {"z": (4,)}), ("softmax(Z)", {"Z": (2, 3)})))
_op("log_softmax", 1, None, array=_log_softmax,
    vjp=lambda m, g, o, z: (g - m.exp(o) * m.sum(g, -1, keepdims=True),), shape=_last_axis,
    jacobian=_log_softmax_jac,
    examples=(("log_softmax(z)", {"z": (4,)}), ("log_softmax(Z)", {"Z": (2, 3)})))
_op("logsumexp", 1, None, array=_logsumexp, vjp=_logsumexp_vjp, shape=_reduced, params=_AXIS, keywords=_KEEPDIMS,
    jacobian=_logsumexp_jac,
    examples=(("logsumexp(z)", {"z": (4,)}), ("logsumexp(Z, 1)", {"Z": (2, 3)}),
              ("Z - logsumexp(Z, axis=1, keepdims=True)", {"Z": (2, 3)})))
_op("getitem", -1, None, syntax="{0}[…]", array=_getitem, vjp=_getitem_vjp, shape=_getitem_shape, indices=1,
    jacobian=_getitem_jac,
    examples=(("y[2]", {"y": (4,)}), ("W[1, 2]", {"W": (2, 3)}), ("x[1:3]", {"x": (4,)}),
              ("W[:, 0]", {"W": (2, 3)}), ("x[-1] * x[0]", {"x": (3,)}), ("W[1]", {"W": (2, 3)}),
              ("x[::-1] * x", {"x": (4,)}), ("x[1::2]", {"x": (5,)}), ("W[::-1, ::2]", {"W": (3, 3)}),
              ("-mean(log_softmax(P)[[0, 1, 2], [1, 0, 1]])", {"P": (3, 2)}), ("x[[0, 0, 2]]", {"x": (3,)}),
              ("W[[1, 0], 1:]", {"W": (2, 3)}), ("W[:, [2, 2, 0]]", {"W": (2, 3)})))
_op("reshape", 1, None, array="reshape", vjp=lambda m, g, o, x, shape: (m.reshape(g, x.shape),),
    shape=_reshape_shape, params=("shape", 1, 8),
    jacobian=lambda k, o, x, shape: Jac("permutation", "the identity, reshaped", f"g reshaped to {x.text}'s shape"),
    examples=(("reshape(x, 2, 3)", {"x": (6,)}), ("reshape(W, -1)", {"W": (2, 3)})))
_op("concat", -1, None, array=_concat, vjp=_concat_vjp, shape=_concat_shape, params=_AXIS, jacobian=_concat_jac,
    examples=(("concat(u, v)", {"u": (2,), "v": (3,)}), ("concat(A, B, axis=1)", {"A": (2, 3), "B": (2, 1)}),
              ("concat(A, B, axis=-2)", {"A": (2, 3), "B": (1, 3)})))
_op("stack", -1, None, array=_stack, vjp=lambda m, g, o, *xs, axis=0: tuple(_along_axis(g, axis, k)
                                                                             for k in range(len(xs))),
    shape=_stack_shape, params=_AXIS,
    jacobian=lambda k, o, *xs, axis=0: Jac("selection", f"picks slice {k} along axis {axis}", f"g[{k}]" if axis in (0, None)
                                            else f"g's slice {k} along axis {axis}"),
    examples=(("stack(u, v)", {"u": (2,), "v": (2,)}), ("[a, b, a*b]", {"a": (), "b": ()}),
              ("stack(u, v, t, axis=1)", {"u": (2,), "v": (2,), "t": (2,)}),
              ("stack(A, B, axis=-1)", {"A": (2, 3), "B": (2, 3)})))
_op("onehot", 1, None, array=_onehot, vjp=lambda m, g, o, r, n: (None,), shape=_onehot_shape, indices=0,
    params=("n", 1, 1), examples=(("onehot(2, 4) * x", {"x": (4,)}), ("sum(onehot([0, 2, 1], 3) * P)", {"P": (3, 3)})))

# Linear algebra, as matrix-calculus tools write it (matrixcalculus.org: tr, det, logdet, inv, norm1, norm2, diag).
_A = {"A": (3, 3)}
_op("trace", 1, None, array="trace", vjp=lambda m, g, o, x: (g * m.eye(x.shape),), shape=_trace_shape,
    jacobian=lambda k, o, x: Jac("row", "I (the identity matrix)", "g I"),
    examples=(("trace(A)", _A), ("trace(A @ X.T @ B @ X)", {"A": (2, 2), "X": (3, 2), "B": (3, 3)}),
              ("trace(W)", {"W": (2, 3)})))
_op("det", 1, None, array=_det, vjp=lambda m, g, o, a: (g * m.cofactors(a, o),),
    jacobian=lambda k, o, a: Jac("row", f"adj({a.text})ᵀ = {o.text}·{a.text}⁻ᵀ", f"g adj({a.text})ᵀ"),
    shape=lambda a: _square(a) and (), examples=(("det(A)", _A), ("det(B)", {"B": (1, 1)}),
                                                ("log(det(inv(X) @ inv(X).T))", {"X": (2, 2)})))
_op("logdet", 1, None, array=_logdet, vjp=lambda m, g, o, a: (g * m.inv(a).T,),
    jacobian=lambda k, o, a: Jac("row", f"{a.text}⁻ᵀ", f"g {a.text}⁻ᵀ"),
    shape=lambda a: _square(a) and (), examples=(("logdet(A)", _A), ("logdet(A @ A.T + eye(2))", {"A": (2, 2)})))
_op("inv", 1, None, array=_inv, vjp=lambda m, g, o, a: (-(o.T @ g @ o.T),), shape=_square,
    jacobian=lambda k, o, a: Jac("tensor", f"−{o.text}_ik {o.text}_lj", f"−{o.text}ᵀ g {o.text}ᵀ"),
    examples=(("inv(A)", _A), ("sum(inv(A) @ b)", {"A": (2, 2), "b": (2,)})))
_op("solve", 2, None, array=_solve, vjp=_solve_vjp, shape=_solve_shape, jacobian=_solve_jac,
    examples=(("solve(A, b)", {"A": (3, 3), "b": (3,)}), ("solve(A, B)", {"A": (2, 2), "B": (2, 3)})))
_op("norm", 1, None, array=_norm, vjp=_norm_vjp, shape=_norm_shape, params=("ord", 0, 1),
    keywords=("axis",) + _KEEPDIMS,
    jacobian=lambda k, o, x, ord=2, axis=None, keepdims=0: Jac(
        "row" if axis is None else "tensor", (f"sign({x.text})" if ord == 1 else f"{x.text}/{o.text}")
        + ("" if axis is None else f" along axis {axis}"), f"g sign({x.text})" if ord == 1 else f"g {x.text}/{o.text}"),
    kink=lambda x, ord=2, axis=None, keepdims=0: bool((x == 0).any()) if ord == 1 else bool(
        (~np.any(x, axis=axis)).any()),
    convention="the norm's derivative at 0 (and |x|'s at x = 0 in norm(x, 1)) is 0 (PyTorch)",
    examples=(("norm(x)", {"x": (3,)}), ("norm(W)", {"W": (2, 3)}), ("norm(A @ x - y)^2", {"A": (2, 3),
              "x": (3,), "y": (2,)}), ("norm(x, 1)", {"x": (4,)}), ("norm(W, ord=1)", {"W": (2, 2)}),
              ("W / norm(W, axis=1, keepdims=True)", {"W": (2, 3)}), ("norm(W, 1, axis=0)", {"W": (2, 3)})))
_op("diag", 1, None, array=_diag, vjp=_diag_vjp, shape=_diag_shape, jacobian=_diag_jac,
    examples=(("diag(x)", {"x": (3,)}), ("diag(A)", _A), ("diag(W)", {"W": (2, 3)}),
              ("sum(diag(x) @ A)", {"x": (3,), "A": (3, 3)})))
# Reductions and scans; max(x) and min(x) with one argument (amax, amin) are these, max(x, y) is elementwise.
_TIES = "a tie splits the gradient equally among the tied elements (PyTorch's amax, JAX's max)"
_op("amax", 1, None, syntax="max({0})", array=_extreme(lambda x, **kw: np.max(x, **kw)), vjp=_extreme_vjp,
    shape=_reduced, params=_AXIS, keywords=_KEEPDIMS, kink=_tie("max"), convention=_TIES,
    jacobian=lambda k, o, x, axis=None, keepdims=0: Jac("selection", f"1 at the largest element along {_along(axis)} (ties "
                                            "share it)", "g placed at the largest elements"),
    examples=(("max(x)", {"x": (4,)}), ("max(W, axis=0)", {"W": (3, 2)}), ("max(W, axis=1)", {"W": (2, 3)}),
              ("max(A @ x)", {"A": (2, 3), "x": (3,)}),
              ("W - max(W, axis=1, keepdims=True)", {"W": (2, 3)})))
_op("amin", 1, None, syntax="min({0})", array=_extreme(lambda x, **kw: np.min(x, **kw)), vjp=_extreme_vjp,
    shape=_reduced, params=_AXIS, keywords=_KEEPDIMS, kink=_tie("min"), convention=_TIES,
    jacobian=lambda k, o, x, axis=None, keepdims=0: Jac("selection", f"1 at the smallest element along {_along(axis)} (ties "
                                            "share it)", "g placed at the smallest elements"),
    examples=(("min(x)", {"x": (4,)}), ("min(W, axis=-1)", {"W": (2, 3)}),
              ("min(W, axis=0, keepdims=True) * W", {"W": (3, 2)})))
_op("argmax", 1, None, array=_arg(lambda x, axis: np.argmax(x, axis=axis)), vjp=lambda m, g, o, x, axis=None: (None,),
    shape=_reduced, params=_AXIS, cuts=True,
    examples=(("x[argmax(x)]", {"x": (4,)}), ("argmax(W, axis=1) * x", {"W": (2, 3), "x": (2,)})))
_op("argmin", 1, None, array=_arg(lambda x, axis: np.argmin(x, axis=axis)), vjp=lambda m, g, o, x, axis=None: (None,),
    shape=_reduced, params=_AXIS, cuts=True, examples=(("x[argmin(x)]", {"x": (4,)}),))
_op("prod", 1, None, array=_prod, vjp=_prod_vjp, shape=_reduced, params=_AXIS, keywords=_KEEPDIMS,
    jacobian=_reduction_jac(lambda x, o: "the product of the other elements",
                            lambda x, o: "g times the product of the others"),
    examples=(("prod(x)", {"x": (4,)}), ("prod(W, axis=0)", {"W": (3, 2)}), ("prod(W, 1)", {"W": (2, 3)}),
              ("prod(x * onehot(1, 3))", {"x": (3,)}),
              ("prod(W, axis=1, keepdims=True) * W", {"W": (2, 3)})))
_op("cumsum", 1, None, array=_cumsum, vjp=_cumsum_vjp, shape=_cumsum_shape, params=_AXIS,
    jacobian=lambda k, o, x, axis=None: Jac("full" if len(x.shape) == 1 else "tensor",
                                            "lower-triangular ones (each sum counts the elements up to it)",
                                            "the running sum of g from the end"),
    examples=(("cumsum(x)", {"x": (4,)}), ("cumsum(W, axis=1)", {"W": (2, 3)}), ("cumsum(W)", {"W": (2, 3)})))
_op("var", 1, None, array=_var, vjp=_var_vjp, shape=_reduced, params=_AXIS, keywords=_KEEPDIMS + ("ddof",),
    jacobian=_reduction_jac(lambda x, o: f"2({x} − mean({x}))/n", lambda x, o: f"g·2({x} − mean({x}))/n"),
    examples=(("var(x)", {"x": (4,)}), ("var(W, axis=0)", {"W": (3, 2)}), ("var(x, ddof=1)", {"x": (4,)}),
              ("W / var(W, axis=0, keepdims=True, ddof=1)", {"W": (3, 2)})))
_op("std", 1, None, array=_std, vjp=_std_vjp, shape=_reduced, params=_AXIS, keywords=_KEEPDIMS + ("ddof",),
    jacobian=_reduction_jac(lambda x, o: f"({x} − mean({x}))/(n·{o})", lambda x, o: f"g·({x} − mean({x}))/(n·{o})"),
    examples=(("std(x)", {"x": (4,)}), ("std(W, axis=1)", {"W": (2, 3)}), ("std(x, ddof=1)", {"x": (4,)}),
              ("(W - mean(W, 0, keepdims=1)) / std(W, 0, keepdims=1, ddof=1)", {"W": (3, 2)})))
# Constants: made while parsing, from integer sizes (their shape rule runs first).
_op("eye", 0, None, array=lambda size: np.eye(*_eye_shape(size)), shape=_eye_shape, params=("size", 1, 2))
_op("zeros", 0, None, array=lambda shape: np.zeros(shape), shape=_sizes("a size"), params=("shape", 1, 8))
_op("ones", 0, None, array=lambda shape: np.ones(shape), shape=_sizes("a size"), params=("shape", 1, 8))
_op("arange", 0, None, array=_arange, shape=_arange_shape, params=("bounds", 1, 3))
_op("zeros_like", 1, None, array=_like(0.0), vjp=lambda m, g, o, x: (None,), shape=lambda x: x, cuts=True,
    examples=(("zeros_like(x) + x", {"x": (3,)}),))
_op("ones_like", 1, None, array=_like(1.0), vjp=lambda m, g, o, x: (None,), shape=lambda x: x, cuts=True,
    examples=(("sum(ones_like(W) * W)", {"W": (2, 3)}),))

# Names a program can call, and the op each one builds.
FUNCTIONS: dict[str, Op] = {
    name: op for name, op in OPS.items() if op.syntax.startswith(name + "(")
}
FUNCTIONS.update(ln=OPS["log"], pow=OPS["pow"], where=OPS["select"], stop_gradient=OPS["detach"], arctan2=OPS["atan2"], amax=OPS["amax"],
                 amin=OPS["amin"], tr=OPS["trace"], concatenate=OPS["concat"])
ONE_ARGUMENT = {"max": OPS["amax"], "min": OPS["amin"]}  # max(x): the largest element; max(x, y): elementwise
CONSTANTS = {"pi": math.pi, "True": 1.0, "False": 0.0}  # keepdims=True, as numpy programs say


class _Namespace:
    """Op names as attributes: ``m.cos(x)`` inside a derivative rule, and ``m.where`` for a rule that
    chooses by value."""

    def __init__(self, functions, where=choose):
        self.__dict__.update(functions)
        self.where = where


_ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
               "neg": operator.neg, "copy": lambda x: x}


def apply(m, name: str, args):
    """Op `name` applied to `args` in the rules' namespace m, arithmetic by Python's operators as the
    rules write it: a node's formula (symbolic.derive) or its definition over labels (symbolic.explain)."""
    arithmetic = _ARITHMETIC.get(name)
    return arithmetic(*args) if arithmetic else getattr(m, name)(*args)


# The namespace the rules use on floats: every op's own forward function.
NUMERIC = _Namespace({name: op.forward for name, op in OPS.items() if op.forward})


ARRAY = None  # the namespace over numpy arrays, made by array_namespace()


def array_namespace() -> _Namespace:
    """The rules' namespace over numpy arrays (imports numpy the first time)."""
    global np, ARRAY
    if ARRAY is None:
        import numpy

        np = numpy
        ARRAY = _Namespace({name: getattr(numpy, op.array) if isinstance(op.array, str) else op.array
                            for name, op in OPS.items() if op.array is not None}, _where_array)
        # what the vjp rules say besides op names: broadcast g back to a shape, place g at x[key]
        ARRAY.broadcast_to, ARRAY.place, ARRAY.cofactors = numpy.broadcast_to, _scatter, _cofactors
        ARRAY.expand_dims, ARRAY.others = numpy.expand_dims, _others
    return ARRAY


def load_numpy():
    """numpy, imported the first time a tensor program needs it: a scalar program never does."""
    array_namespace()
    return np
