"""Formulas that know their shapes: the op table's vector-Jacobian rules run over them unchanged.

`cgrad diff` on a tensor program is the same reverse sweep as on scalars (symbolic.derive), with the
namespace `m` a `TensorExprs`: a formula knows its shape (`W.shape`, `g.ndim`, `a.T`, `g @ b`), so a
tensor op's `vjp` rule in core/ops.py, written for numpy arrays, builds the formula of its share
instead of numbers: `m.outer(g, b)` becomes outer(g, x), `m.place(g, x, idx, key)` (y[r]'s share)
becomes g*onehot(r, n).  A few rewrites keep the answer index-free and readable, each an identity of
linear algebra: sum(c*X) = c*sum(X), sum(onehot(r, n)*v) = v[r], v @ M = M.T @ v for a vector v,
(M.T).T = M, a vector's .T is itself, M1 @ v + M2 @ v = (M1 + M2) @ v,
onehot(r, n)*v = onehot(r, n)*v[r], sum(onehot(r, n)) = 1, v*(a + b) = v*a + v*b where a term holds a onehot, and ones(shape)*X = X where X already has that shape.
An op with no formula here raises NoFormula, which `cgrad diff` reports naming the op.
"""
from __future__ import annotations

import math

from ..core.ops import OPS, _broadcast, _reduced
from .expr import ADD, FN, MUL, NUM, POW, SLICE, VAR, Expr, Exprs

# The tensor ops whose vjp rules run over formulas (the others are refused by name).
FORMULA_OPS = ("matmul", "transpose", "outer", "dot", "sum", "mean", "softmax", "log_softmax", "logsumexp",
               "onehot", "getitem", "trace", "det", "logdet", "inv", "solve", "norm", "diag", "amax", "amin",
               "var", "std", "reshape", "cumsum", "concat", "stack", "prod", "argmax", "argmin", "zeros_like",
               "ones_like")
# What the rules ask of the namespace besides the ops: constants of a shape, det's cofactor matrix, an
# axis put back (a reduction's gradient) and x == y (max's ties).
_HELPERS = ("ones", "zeros", "eye", "cofactors", "expand_dims", "eq", "others")


def _identity(value):
    """The identity matrix of a square array's size."""
    return (OPS["eye"].array(len(value)))


def _is(e: Expr, name: str) -> bool:
    """Is the formula a call of op `name`?"""
    return e.kind == FN and e.data[0] == name


def _inverses(a: Expr, b: Expr) -> bool:
    """Is a = inv(b), or a = inv(M).T with b = M.T?"""
    if _is(a, "transpose") and _is(b, "transpose"):
        a, b = a.data[1][0], b.data[1][0]
    return _is(a, "inv") and a.data[1][0] is b


def _onehots(e: Expr) -> list:
    """The onehot(r, n) factors of a product (or the formula itself if it is one), r one index."""
    factors = e.data[1] if e.kind == MUL else ((e, 1.0),)
    return [f for f, p in factors if p == 1.0 and _is(f, "onehot") and not f.data[1][0].ndim]


class NoFormula(Exception):
    """A tensor op (or a use of one) whose derivative cgrad cannot write as a formula yet: the message says why."""


class TensorExprs(Exprs):
    """A space of formulas over named tensors of known shapes (`shapes`: input name -> shape)."""

    def __init__(self, order=(), shapes=None):
        super().__init__(order)
        self.inputs = dict(shapes or {})
        self.shapes: dict = {}
        for name in FORMULA_OPS + _HELPERS:
            if name != "var":  # m.var is the variable constructor: the op is op_var (derive looks there first)
                setattr(self, name, getattr(self, "_" + name, None) or self._tensor(name))
        self.op_var = self._tensor("var")
        self._exp_of = self.exp
        self.exp = self._exp

    def shape_of(self, e: Expr) -> tuple:
        return self.shapes[e]

    def _make(self, kind, data):
        e = self._interned.get((kind, data))
        if e is None:
            shape = self._infer(kind, data)
            e = super()._make(kind, data)
            self.shapes[e] = shape
        return e

    def _infer(self, kind, data) -> tuple:
        shapes = self.shapes
        if kind in (NUM, SLICE):
            return ()
        if kind == VAR:
            return tuple(self.inputs.get(data, ()))
        if kind in (ADD, MUL):
            return _broadcast((), *(shapes[t] for t, _ in data[1]))
        if kind == POW:
            return _broadcast(shapes[data[0]], shapes[data[1]])
        name, args = data
        op = OPS[name]
        if name in ("ones", "zeros"):
            return tuple(int(a.data) for a in args)
        if name == "eye":
            return tuple(int(a.data) for a in args) * (3 - len(args))
        if name == "getitem":  # x[k], x[1:3], P[[0, 1], y]: one part per axis indexed
            parts = args[1:]
            key = tuple(slice(*p.data) if p.kind == SLICE else int(p.data) if p.kind == NUM else None for p in parts)
            return tuple(op.shape(shapes[args[0]], *(shapes[p] for p in parts if p.kind not in (SLICE, NUM)), key=key))
        if op.shape is None:
            return _broadcast((), *(shapes[a] for a in args))
        if op.arity < 0:  # stack, concat: the axis last
            return tuple(op.shape(*(shapes[a] for a in args[:-1]), axis=int(args[-1].data)))
        k = op.arity
        values = tuple(int(a.data) for a in args[k:])
        params = {op.params[0]: values if op.params[2] > 1 else values[0]} if values else {}
        return tuple(op.shape(*(shapes[a] for a in args[:k]), **params))

    def _tensor(self, name):
        """An op as a formula node; its integer parameters (sum's axis, onehot's n, reshape's sizes) as
        trailing numbers.  keepdims and ddof become formulas of their own: the result reshaped, a factor."""
        def call(*args, keepdims=0, ddof=0, **params):
            extra = tuple(self.num(v) for p in params.values() if p is not None
                          for v in (p if isinstance(p, tuple) else (p,)))
            args = tuple(self.lift(a) for a in args if a is not None)
            out = self._make(FN, (name, args + extra))
            if ddof:  # var(x, ddof=1) = n/(n - 1)*var(x); std is the square root of var
                n = args[0].size // out.size
                out = self.mul(n / (n - ddof) if name == "var" else math.sqrt(n / (n - ddof)), out)
            return self._kept(out, args[0], params.get("axis")) if keepdims else out
        return call

    def _norm(self, x, ord=None, axis=None, keepdims=0):
        """norm(x) and norm(x, 1) are formula nodes; a norm along an axis is written out: sqrt(sum(x^2, 1))."""
        x = self.lift(x)
        if axis is None:
            return self._tensor("norm")(x, ord=ord, keepdims=keepdims)
        out = self.sum(self.abs(x), axis) if ord == 1 else self.sqrt(self.sum(x * x, axis))
        return self._kept(out, x, axis) if keepdims else out

    def _kept(self, out, x, axis):
        """A reduction's result with the reduced axes kept, size 1 (numpy's keepdims=True): a reshape."""
        return self._reshape(out, _reduced(x.shape, axis, keepdims=1))

    def _exp(self, x):
        """exp(log_softmax(Z)) = softmax(Z), and exp(Z - logsumexp(Z) put back along the last axis) too."""
        x = self.lift(x)
        if _is(x, "log_softmax"):
            return self.softmax(x.data[1][0])
        if x.kind == ADD and x.data[0] == 0.0 and len(x.data[1]) == 2:
            (a, ca), (b, cb) = x.data[1]
            for z, total in (((a, b) if ca == 1.0 and cb == -1.0 else (b, a)) if {ca, cb} == {1.0, -1.0} else (),):
                if _is(total, "reshape"):
                    total = total.data[1][0]
                if _is(total, "logsumexp") and total.data[1][0] is z and z.ndim and (
                        z.ndim == 1 or total.data[1][1:] == (self.num(z.ndim - 1),)):
                    return self.softmax(z)
        return self._exp_of(x)

    def _diag(self, x):
        """diag(c*v) = c*diag(v), diag(ones(n)) = eye(n)."""
        x = self.lift(x)
        coef, scalars, rest = self._split(x)
        if coef != 1.0 or scalars.kind != NUM:
            return self.mul(self.mul(coef, scalars), self._diag(rest))
        if _is(x, "ones") and x.ndim == 1:
            return self._eye(x.shape * 2)
        return self._make(FN, ("diag", (x,)))

    def _others(self, x, axis=None):
        """prod's share: for each element the product of the others, exact where some are 0 (prod(x)/x is
        not): row i of x + eye(n)*(1 - x) is x with element i made 1, so prod(..., axis=1) is it.  Along an
        axis of a matrix, one such product per row (axis 0) or column (axis 1), stacked."""
        x = self.lift(x)
        if axis is not None and x.ndim == 2:
            axis %= 2
            rows, cols = x.shape
            one = self.add(1.0, self.mul(-1.0, x))
            made_one = [self._outer(self.onehot(i, n=rows), self.ones(cols)) if axis == 0 else
                        self._outer(self.ones(rows), self.onehot(i, n=cols)) for i in range(x.shape[axis])]
            return self._stack(*(self.prod(self.add(x, self.mul(hot, one)), axis=axis) for hot in made_one),
                               axis=axis)
        if axis is not None and x.ndim > 2:
            raise NoFormula("prod along an axis of a tensor of 3 or more axes has no formula in cgrad diff yet")
        v = self._reshape(x, (x.size,))
        rows = self.add(v, self.mul(self._eye((x.size, x.size)), self.add(1.0, self.mul(-1.0, v))))
        return self._reshape(self.prod(rows, axis=1), x.shape)

    def _zeros_like(self, x):
        return self.zeros(*x.shape) if x.ndim else self.num(0.0)

    def _ones_like(self, x):
        return self.ones(*x.shape) if x.ndim else self.num(1.0)

    def _eq(self, a, b):
        return self._make(FN, ("eq", (self.lift(a), self.lift(b))))

    def _reshape(self, x, shape):
        """x with another shape (-1: what is left); reshape of a reshape is one, a constant stays one, scalar
        factors stay outside: reshape(2*g, 2, 1) = 2*reshape(g, 2, 1)."""
        x = self.lift(x)
        shape = tuple(OPS["reshape"].shape(x.shape, tuple(shape)))
        while _is(x, "reshape"):
            x = x.data[1][0]
        if x.shape == shape:
            return x
        coef, scalars, rest = self._split(x)
        if coef != 1.0 or scalars.kind != NUM:
            return self.mul(self.mul(coef, scalars), self._reshape(rest, shape))
        if _is(x, "ones") or _is(x, "zeros"):
            return getattr(self, x.data[0])(*shape)
        return self._make(FN, ("reshape", (x,) + tuple(self.num(n) for n in shape)))

    def _expand_dims(self, g, axis):
        """g with an axis of size 1 put back at `axis`: reshape(g, 2, 1) for a sum along axis 1."""
        g = self.lift(g)
        axis = axis % (g.ndim + 1)
        return self._reshape(g, g.shape[:axis] + (1,) + g.shape[axis:])

    # -- the rewrites (see the module's docstring)

    def _split(self, e: Expr):
        """(number, scalar factors, the rest): c*s*X -> (c, s, X), for pulling scalars out of linear ops."""
        if e.kind == ADD and not e.data[0] and len({abs(c) for _, c in e.data[1]}) == 1 != abs(e.data[1][0][1]):
            c = abs(e.data[1][0][1])  # 0.5*a - 0.5*b = 0.5*(a - b): the common factor comes out too
            c = c if any(k > 0 for _, k in e.data[1]) else -c
            return c, self.num(1.0), self._make(ADD, (0.0, tuple((t, k / c) for t, k in e.data[1])))
        coef, factors = (e.data[0], e.data[1]) if e.kind == MUL else (1.0, ((e, 1.0),))
        scalars = tuple(fp for fp in factors if self.shapes[fp[0]] == ())
        rest = tuple(fp for fp in factors if self.shapes[fp[0]] != ())
        return coef, self._mul_node(1.0, scalars), self._mul_node(1.0, rest)

    def pow(self, a, b):
        a, b = self.lift(a), self.lift(b)
        e = super().pow(a, b)  # v^0 = 1: the number keeps the shape the tensor had, as in mul
        return self._shaped(e, _broadcast(a.shape, b.shape)) if e.kind == NUM else e

    def mul(self, a, b):
        a, b = self.lift(a), self.lift(b)
        for s, other in ((a, b), (b, a)):  # v*(1 - onehot(r, n)/v[r]) = v - onehot(r, n): distributed
            if s.kind == ADD and other.kind != ADD and other.ndim and any(_onehots(t) for t, _ in s.data[1]):
                out = self.mul(other, s.data[0])
                for t, c in s.data[1]:
                    out = self.add(out, self.mul(self.mul(c, other), t))
                return out
        if _is(a, "zeros") or _is(b, "zeros"):  # zeros(n)*v = zeros(n)
            return self._shaped(self.num(0.0), _broadcast(a.shape, b.shape))
        e = super().mul(a, b)
        if e.kind == NUM:  # 0*v, v - v: the number keeps the shape the tensor had
            return self._shaped(e, _broadcast(a.shape, b.shape))
        if e.kind != MUL:
            return e
        factors = e.data[1]
        ones = [fp for fp in factors if fp[0].kind == FN and fp[0].data[0] == "ones"]
        rest = tuple(fp for fp in factors if fp not in ones)
        if ones and rest and _broadcast((), *(self.shapes[f] for f, _ in rest)) == self.shapes[e]:
            return self._mul_node(e.data[0], rest)
        if len(ones) == 1 and len(rest) == 1 and rest[0][1] == 1.0:  # ones(2, 3)*reshape(v, 2, 1): spread
            spread = self._spread(rest[0][0], e.shape)
            if spread is not None:
                return self.mul(e.data[0], spread)
        if ones and not rest and (len(ones) > 1 or ones[0][1] != 1.0):  # ones(3)^2 = ones(3)
            return self._mul_node(e.data[0], ((self.ones(*self.shapes[e]), 1.0),))
        hot = _onehots(e)
        picked = [(v, p) for v, p in factors if hot and v.shape == hot[0].shape and v not in hot]
        if picked:  # onehot(r, n)*v = onehot(r, n)*v[r]: only element r survives
            r = hot[0].data[1][0]
            out = self._mul_node(e.data[0], tuple(fp for fp in factors if fp not in picked))
            for v, p in picked:
                out = self.mul(out, self.pow(self._make(FN, ("getitem", (v, r))), p))
            return out
        return e

    def add(self, a, b):
        a, b = self.lift(a), self.lift(b)
        shape = _broadcast(a.shape, b.shape)
        for zero, other in ((a, b), (b, a)):  # zeros(n) + v = v
            if _is(zero, "zeros") and other.shape == shape:
                return other
        e = super().add(a, b)
        if e.kind == NUM:
            return self._shaped(e, shape)
        if e.kind != ADD:
            return e
        # M1 @ v + M2 @ v = (M1 + M2) @ v, M @ u - M @ v = M @ (u - v), and outer products alike
        bilinear = [(t, c) for t, c in e.data[1] if _is(t, "matmul") or _is(t, "outer")]
        for side in (1, 0):
            groups: dict = {}
            for t, c in bilinear:
                groups.setdefault((t.data[0], t.data[1][side], t.data[1][1 - side].shape), []).append((t, c))
            group = next((g for g in groups.values() if len(g) > 1), None)
            if group is None:
                continue
            name, shared = group[0][0].data[0], group[0][0].data[1][side]
            other = self.num(0.0)
            for u, k in group:
                other = self.add(other, self.mul(k, u.data[1][1 - side]))
            joined = getattr(self, "_" + name)(*((other, shared) if side else (shared, other)))
            rest = self.num(e.data[0])
            for t, c in e.data[1]:
                if (t, c) not in group:
                    rest = super().add(rest, self.mul(c, t))
            return self.add(rest, joined)
        return e

    def _linear(self, name, a, b):
        """A bilinear op (matmul, outer, dot) with the scalars of both arguments pulled out in front."""
        a, b = self.lift(a), self.lift(b)
        if a.kind == NUM and a.data == 0.0 or b.kind == NUM and b.data == 0.0:
            return self.num(0.0)
        if _is(a, "zeros") or _is(b, "zeros"):
            return self._shaped(self.num(0.0), OPS[name].shape(a.shape, b.shape))
        ca, sa, ra = self._split(a)
        cb, sb, rb = self._split(b)
        if a.ndim == 0 or b.ndim == 0:  # only dot's g*v shares reach here with a scalar; plain products
            return self.mul(a, b)
        scaled = (ca != 1.0 or sa.kind != NUM) or (cb != 1.0 or sb.kind != NUM)
        core = self._matmul(ra, rb) if name == "matmul" and scaled else self._make(FN, (name, (ra, rb)))
        return self.mul(self.mul(ca * cb, self.mul(sa, sb)), core)

    def _matmul(self, a, b):
        a, b = self.lift(a), self.lift(b)
        for one, other in ((a, b), (b, a)):  # I @ M = M @ I = M
            if _is(one, "eye") and one.shape[0] == one.shape[1]:
                return other
        if _inverses(a, b) or _inverses(b, a):  # inv(M) @ M = M @ inv(M) = I, and transposed
            return self._eye(a.shape)
        if _is(a, "outer") and b.ndim == 2:  # outer(u, v) @ M = outer(u, M.T @ v)
            return self._outer(a.data[1][0], self._matmul(a.data[1][1], b))
        if _is(b, "outer") and a.ndim == 2:  # M @ outer(u, v) = outer(M @ u, v)
            return self._outer(self._matmul(a, b.data[1][0]), b.data[1][1])
        if a.ndim == 1 and b.ndim == 2:  # v @ M = M.T @ v: the column-vector form of the lecture
            return self._linear("matmul", self._transpose(b), a)
        return self._linear("matmul", a, b)

    def _outer(self, u, v):
        return self._linear("outer", u, v)

    def _dot(self, u, v):
        return self._linear("dot", u, v)

    def _transpose(self, x):
        x = self.lift(x)
        if x.ndim < 2 or _is(x, "eye") and x.shape[0] == x.shape[1]:
            return x
        if _is(x, "transpose"):
            return x.data[1][0]
        if _is(x, "outer"):  # outer(u, v).T = outer(v, u)
            return self._outer(*reversed(x.data[1]))
        if _is(x, "matmul"):  # (P @ Q).T = Q.T @ P.T
            return self._matmul(self._transpose(x.data[1][1]), self._transpose(x.data[1][0]))
        return self._make(FN, ("transpose", (x,)))

    def _eye(self, shape):
        """The identity eye(n) (eye(m, n) for a non-square one): ∂tr(X)/∂X."""
        rows, cols = shape
        return self._make(FN, ("eye", (self.num(rows),) if rows == cols else (self.num(rows), self.num(cols))))

    def _inv(self, x):
        x = self.lift(x)
        return x.data[1][0] if _is(x, "inv") else self._make(FN, ("inv", (x,)))  # inv(inv(M)) = M

    def _cofactors(self, a, o):
        """det's gradient adj(A)ᵀ = det(A)·inv(A)ᵀ (where A is invertible, as cgrad writes it)."""
        return self.mul(o, self._transpose(self.inv(a)))

    def _sum(self, x, axis=None, keepdims=False):
        x = self.lift(x)
        if keepdims and axis is None and x.ndim:  # sum(X, keepdims=True): a 1×1 matrix
            return self._kept(self._sum(x), x, axis)
        if axis is not None and x.ndim > 1:
            coef, scalars, rest = self._split(x)
            if coef != 1.0 or scalars.kind != NUM:  # sum(c*X, axis=1) = c*sum(X, axis=1)
                return self.mul(self.mul(coef, scalars), self._sum(rest, axis, keepdims))
            if _is(x, "transpose") and x.ndim == 2:  # sum(M.T, axis=1) = sum(M, axis=0)
                return self._sum(x.data[1][0], 1 - axis % 2) if not keepdims else self._expand_dims(
                    self._sum(x.data[1][0], 1 - axis % 2), axis)
            if _is(x, "onehot") and axis % 2 == 1:  # each row of onehot(y, n) sums to 1
                total = self.ones(x.shape[0])
            else:
                total = self._make(FN, ("sum", (x, self.num(axis % x.ndim))))
            return self._expand_dims(total, axis) if keepdims else total
        if x.ndim == 0:
            return x
        coef, scalars, rest = self._split(x)
        if coef != 1.0 or scalars.kind != NUM:
            return self.mul(self.mul(coef, scalars), self._sum(rest))
        if _onehots(rest) == [rest]:
            return self.num(1.0)  # sum(onehot(r, n)) = 1
        if _is(rest, "zeros") or _is(rest, "ones"):  # sum(zeros(n)) = 0, sum(ones(n)) = n
            return self.num(0.0 if _is(rest, "zeros") else float(math.prod(rest.shape)))
        if rest.kind == MUL and len(rest.data[1]) == 2 and all(p == 1.0 for _, p in rest.data[1]):
            (f, _), (h, _) = rest.data[1]
            for hot, v in ((f, h), (h, f)):
                if _onehots(hot) == [hot] and v.shape == hot.shape:
                    return self._make(FN, ("getitem", (v, hot.data[1][0])))  # sum(onehot(r, n)*v) = v[r]
        return self._make(FN, ("sum", (rest,)))

    def broadcast_to(self, g, shape):
        g, shape = self.lift(g), tuple(shape)
        if g.shape == shape:
            return g
        if g.kind == NUM and g.data == 0.0:
            return self.zeros(*shape)
        coef, scalars, rest = self._split(g)
        if rest.ndim and (coef != 1.0 or scalars.kind != NUM):  # 2*reshape(v, 2, 1) spread: 2*outer(v, ones(3))
            return self.mul(self.mul(coef, scalars), self.broadcast_to(rest, shape))
        return self._spread(g, shape) or self.mul(g, self.ones(*shape))

    def _shaped(self, number, shape):
        """A number that stands for a tensor of `shape` (v - v, 0*v): zeros(shape), or c*ones(shape)."""
        if not shape:
            return number
        return self.zeros(*shape) if number.data == 0.0 else self.mul(number, self.ones(*shape))

    def _spread(self, g, shape):
        """A vector put back along a matrix's rows or columns (reshape(v, 2, 1)) and spread over the matrix:
        an outer product with ones, outer(v, ones(3)); None for other formulas."""
        if _is(g, "reshape") and len(shape) == 2 and g.shape in ((shape[0], 1), (1, shape[1])):
            v = g.data[1][0]
            if v.ndim == 1:
                return self._outer(v, self.ones(shape[1])) if g.shape[1] == 1 else self._outer(self.ones(shape[0]), v)
        return None

    # -- constants, stacks and indexing

    def constant(self, value):
        """An array literal of the program: c*ones(...), c*eye(n), else written out ([0, 1, 2])."""
        flat = value.ravel()
        if (flat == flat[0]).all():
            return self.mul(float(flat[0]), self.ones(*value.shape)) if flat[0] else self.zeros(*value.shape)
        if value.ndim == 2 and value.shape[0] == value.shape[1] and (value == value[0, 0] * _identity(value)).all():
            return self.mul(float(value[0, 0]), self._eye(value.shape))
        return self._literal(value)

    def _literal(self, value):
        return self._stack(*(self._literal(row) if value.ndim > 1 else self.num(row) for row in value))

    def _stack(self, *xs, axis=0):
        return self._make(FN, ("stack", tuple(map(self.lift, xs)) + (self.num(axis),)))

    def _concat(self, *xs, axis=0):
        return self._make(FN, ("concat", tuple(map(self.lift, xs)) + (self.num(axis),)))

    def _parts(self, x, idx, key) -> tuple:
        """One formula per axis indexed: a number, a slice (SLICE), or the index's formula; padded with ':'."""
        it = iter(idx)
        parts = tuple(self.lift(next(it)) if k is None else self._make(SLICE, (k.start, k.stop, k.step))
                      if isinstance(k, slice) else self.num(k) for k in key)
        return parts + (self._make(SLICE, (None, None, None)),) * (x.ndim - len(parts))

    def _getitem(self, x, *idx, key):
        x = self.lift(x)
        parts = self._parts(x, idx, key)
        if all(p.kind == SLICE and p.data == (None, None, None) for p in parts):
            return x  # x[:, :]
        while parts and parts[-1].kind == SLICE and parts[-1].data == (None, None, None):
            parts = parts[:-1]  # W[1, :] is W[1]
        coef, scalars, rest = self._split(x)
        if coef != 1.0 or scalars.kind != NUM:  # (2*X)[k] = 2*X[k]
            return self.mul(self.mul(coef, scalars), self._getitem(rest, *idx, key=key))
        piece = self._piece(x, parts)
        if piece is not None:
            return piece
        e = self._make(FN, ("getitem", (x,) + parts))
        if _is(x, "ones") or _is(x, "zeros"):
            return getattr(self, x.data[0])(*e.shape) if e.shape else self.num(float(_is(x, "ones")))
        return e

    def _piece(self, x, parts):
        """concat(u, v)[0:2] = u when the slice is exactly one of the pieces joined (concat's shares)."""
        if not _is(x, "concat") or any(p.kind != SLICE for p in parts):
            return None
        *pieces, axis = x.data[1]
        axis = int(axis.data) % x.ndim
        full = (None, None, None)
        if len(parts) != axis + 1 or any(p.data != full for p in parts[:axis]) or parts[axis].data[2] not in (None, 1):
            return None
        start = 0
        for piece in pieces:
            if parts[axis].data[:2] == (start, start + piece.shape[axis]):
                return piece
            start += piece.shape[axis]
        return None

    def _selector(self, part, n):
        """The rows of eye(n) an index picks, as a matrix S (x[part] = S @ x for a vector x): eye(n)[1:3],
        onehot(idx, n) for an array of indices, eye(n) itself for [0, 1, ..., n-1]."""
        if part.kind == SLICE:
            return self._make(FN, ("getitem", (self._eye((n, n)), part)))
        if _is(part, "stack") and [a.data for a in part.data[1][:-1]] == list(range(n)):
            return self._eye((n, n))
        return self.onehot(part, n=n)

    def _place1(self, g, part, n):
        """A vector's share: g put back at x[part] in a vector of n, zeros elsewhere (indices picked twice add)."""
        if part.kind == SLICE and part.data == (None, None, None):
            return g
        if part.kind != SLICE and not part.ndim:
            return self.mul(g, self.onehot(part, n=n))
        return self._matmul(self._transpose(self._selector(part, n)), g)

    def place(self, g, x, idx, key):
        """x[key]'s share of the gradient: g put back where the index took it, zeros elsewhere, written with
        the selection matrices S of each axis: g*onehot(r, n) for x[r], S.T @ g for x[1:3] or x[[0, 0, 2]],
        S0.T @ G @ S1 for a matrix's rows and columns, S0.T @ diag(g) @ S1 for P[[0, 1, 2], y]."""
        g = self.lift(g)
        parts = self._parts(x, idx, key)
        if x.ndim == 1:
            return self._place1(g, parts[0], x.shape[0])
        if x.ndim != 2 or any(p.kind != SLICE and p.ndim > 1 for p in parts):
            raise NoFormula("indexing a tensor of 3 or more axes, or by a 2-D array of indices, has no formula in "
                            "cgrad diff yet")
        (p0, p1), (rows, cols) = parts, x.shape
        point0, point1 = p0.kind != SLICE, p1.kind != SLICE
        if point0 and point1:  # elements picked in pairs: P[r, c], P[[0, 1, 2], y]
            if not p0.ndim and not p1.ndim:
                return self.mul(g, self._outer(self.onehot(p0, n=rows), self.onehot(p1, n=cols)))
            if p0.ndim and p1.ndim:
                if p0.shape != p1.shape:
                    raise NoFormula("index arrays of different lengths (broadcast against each other) have no "
                                    "formula in cgrad diff yet")
                return self._matmul(self._transpose(self._selector(p0, rows)),
                                    self._matmul(self.diag(g), self._selector(p1, cols)))
            if p0.ndim:
                return self._outer(self._place1(g, p0, rows), self.onehot(p1, n=cols))
            return self._outer(self.onehot(p0, n=rows), self._place1(g, p1, cols))
        if point0 and not p0.ndim:  # a row, or part of one
            return self._outer(self.onehot(p0, n=rows), self._place1(g, p1, cols))
        if point1 and not p1.ndim:  # a column, or part of one
            return self._outer(self._place1(g, p0, rows), self.onehot(p1, n=cols))
        if not (p0.kind == SLICE and p0.data == (None, None, None)):
            g = self._matmul(self._transpose(self._selector(p0, rows)), g)
        if not (p1.kind == SLICE and p1.data == (None, None, None)):
            g = self._matmul(g, self._selector(p1, cols))
        return g


__all__ = ["FORMULA_OPS", "NoFormula", "TensorExprs"]
