"""A Jacobian as a matrix formula, read off a vector-Jacobian product written with a named cotangent.

`cgrad diff --order 2` of a scalar function of a vector x wants ∂g/∂x for the gradient formula g,
and `cgrad diff` of a vector output y wants ∂y/∂x.  Both are the Jacobian J of a vector formula D.
symbolic.derive gets it without a second rule set: the same reverse sweep, over the program
`h = dot(D, v)` with v a named vector, gives the formula Jᵀ v -- every op's own vjp rule ran over it
-- and that formula is linear in v.  `linear_map` reads the matrix M with L = M @ v off such a
formula, node by node (forward mode, with the matrix ∂node/∂v as tangent), where only linear ops
can meet v: sums and products (an elementwise factor k gives diag(k)), `@`, `dot`, `.T`, `sum`,
`mean`, indexing.  An elementwise tangent stays a diagonal (its vector) until it must be written as
a matrix, so diag(s*(1 - s)) comes out as one diag, not a product of them.  `transposed` then turns
M = Jᵀ into J with the identities (A + B)ᵀ = Aᵀ + Bᵀ, (cA)ᵀ = cAᵀ, (A @ B)ᵀ = Bᵀ @ Aᵀ, outer(u, v)ᵀ
= outer(v, u), diag(d)ᵀ = diag(d).
"""
from __future__ import annotations

from .expr import ADD, FN, MUL, NUM, SLICE, Expr, children, postorder
from .tensor_expr import NoFormula, TensorExprs

# A tangent ∂node/∂v is a pair (d, M) meaning diag(d) @ M: d a number or a vector (an elementwise
# factor), M a matrix formula, or None for the identity.  Elementwise ops scale d only.


def linear_map(s: TensorExprs, formula: Expr, v: Expr) -> Expr:
    """M, shaped formula.shape + v.shape, with formula = M @ v: `formula` is linear in the vector v."""
    n = v.shape[0]
    tangent: dict = {v: (s.num(1.0), None)}
    for e in postorder(formula):
        if e is v or not any(c in tangent for c in children(e)):
            continue
        if e.ndim > 1:
            raise NoFormula(f"the derivative goes through a {'×'.join(map(str, e.shape))} matrix that depends "
                            "on the input: its Jacobian would be a 3-D array, which one formula cannot write")
        tangent[e] = _rule(s, e, tangent, n)
    if formula not in tangent:
        return s.zeros(*formula.shape, n)
    return as_matrix(s, tangent[formula], n)


def _one(e: Expr) -> bool:
    return e.kind == NUM and e.data == 1.0


def as_matrix(s: TensorExprs, t: tuple, n: int) -> Expr:
    """diag(d) @ M written out: diag(d), d*I, M, d*M or diag(d) @ M (carried into M's terms)."""
    d, m = t
    if m is None:
        return s.diag(factored(s, d)) if d.ndim else s.eye((n, n)) if _one(d) else s.mul(d, s.eye((n, n)))
    if not d.ndim:
        return s.mul(d, m)
    return diag_product(s, factored(s, d), m)


def _not_linear(e: Expr):
    return NoFormula(f"cgrad could not read a matrix off the formula (an internal limit at a {e.kind} node)")


def _rule(s: TensorExprs, e: Expr, tangent: dict, n: int) -> tuple:
    kind, data = e.kind, e.data
    if kind == ADD:
        if data[0] != 0.0:
            raise _not_linear(e)
        out = None
        for term, c in data[1]:
            if term in tangent:
                out = _plus(s, out, _scaled(s, s.num(c), tangent[term], term.shape, e.shape, n), n)
        return out
    if kind == MUL:
        hit = [(f, p) for f, p in data[1] if f in tangent]
        if len(hit) != 1 or hit[0][1] != 1.0:
            raise _not_linear(e)
        k = s.num(data[0])
        for f, p in data[1]:
            if f is not hit[0][0]:
                k = s.mul(k, s.pow(f, p))
        return _scaled(s, k, tangent[hit[0][0]], hit[0][0].shape, e.shape, n)
    if kind != FN:
        raise _not_linear(e)
    name, args = data
    if name == "transpose":
        return tangent[args[0]]
    if name in ("sum", "mean") and len(args) == 1:
        (x,) = args
        if not x.ndim:
            return tangent[x]
        d, m = tangent[x]
        row = (s.broadcast_to(d, (n,)) if m is None else s.matmul(s.transpose(m), d) if d.ndim else
               s.mul(d, s.sum(m, axis=0)))
        return s.num(1.0 if name == "sum" else 1.0 / x.shape[0]), row
    if name == "getitem" and len(args) == 2 and args[0].ndim == 1 and args[1] not in tangent:
        x, r = args
        if r.kind == SLICE or r.ndim:  # x[1:3], x[[0, 0, 2]]: the rows its selection matrix picks
            return s.num(1.0), s.matmul(s._selector(r, x.shape[0]), as_matrix(s, tangent[x], n))
        d, m = tangent[x]
        if m is None:
            return s.num(1.0), s.mul(d, s.onehot(r, n=x.shape[0]))
        return s._make(FN, ("getitem", (d, r))) if d.ndim else d, s._make(FN, ("getitem", (m, r)))
    if name in ("matmul", "dot") and (args[0] in tangent) != (args[1] in tangent):
        a, b = args
        if b in tangent:  # a @ (M @ v) = (a @ M) @ v
            return _left(s, a, tangent[b])
        if a.ndim == 1:  # (M @ v) @ b = bᵀ @ (M @ v) for a vector on the left
            return _left(s, b if b.ndim == 1 else s.transpose(b), tangent[a])
    raise _not_linear(e)


def _left(s: TensorExprs, a: Expr, t: tuple) -> tuple:
    """The tangent of a @ u, given u's: a @ diag(d) @ M."""
    d, m = t
    if not d.ndim:
        ad = s.mul(d, a)
    else:
        ad = s.mul(a, d) if a.ndim == 1 else diag_product(s, factored(s, d), a, left=False)
    return s.num(1.0), ad if m is None else s.matmul(ad, m)


def _scaled(s: TensorExprs, k: Expr, t: tuple, shape: tuple, out: tuple, n: int) -> tuple:
    """The tangent of k*u (elementwise, broadcast to `out`), given u's (u shaped `shape`)."""
    d, m = t
    if shape == out:
        return s.mul(k, d), m
    if not shape and len(out) == 1:  # a number times a vector: each element's row is k_i times the number's
        return s.num(1.0), s.outer(s.broadcast_to(k, out), as_matrix(s, t, n))
    raise NoFormula("cgrad could not read a matrix off the formula (a broadcast it does not follow)")


def factored(s: TensorExprs, e: Expr) -> Expr:
    """A sum with the factors common to all its terms pulled out: s*(1 - s)^2 - s^2*(1 - s) is written
    s*(1 - s)*(1 - 2*s).  Any other formula is returned as it is."""
    if e.kind != ADD or e.data[0] != 0.0:
        return e
    terms = [(s._factors(t), c) for t, c in e.data[1]]
    common = dict(terms[0][0][1])
    for (_, factors), _ in terms[1:]:
        powers = dict(factors)
        common = {f: min(p, powers[f]) for f, p in common.items() if p > 0 and powers.get(f, 0) > 0}
    if not common:
        return e
    rest = s.num(0.0)
    for (coef, factors), c in terms:
        rest = s.add(rest, s._mul_node(coef * c, tuple((f, p - common.get(f, 0.0)) for f, p in factors
                                                         if p != common.get(f, 0.0))))
    out = s.num(1.0)
    for f, p in common.items():
        out = s.mul(out, s.pow(f, p))
    return s.mul(out, rest)


def diag_product(s: TensorExprs, d: Expr, m: Expr, left: bool = True) -> Expr:
    """diag(d) @ m (or m @ diag(d)), carried into m's terms: diag(d) @ I = diag(d), diag(d) @ diag(c) =
    diag(d*c), diag(d) @ outer(u, w) = outer(d*u, w) (m @ diag(d): outer(u, w*d)), scalars pulled out."""
    if m.kind == ADD and m.data[0] == 0.0:
        out = s.num(0.0)
        for t, c in m.data[1]:
            out = s.add(out, s.mul(c, diag_product(s, d, t, left)))
        return out
    if m.kind == MUL:
        coef, scalars, rest = s._split(m)
        if rest is not m:
            return s.mul(s.mul(coef, scalars), diag_product(s, d, rest, left))
    if m.kind == FN:
        name, args = m.data
        if name == "eye":
            return s.diag(d)
        if name == "diag" and args[0].ndim == 1:
            return s.diag(s.mul(d, args[0]))
        if name == "outer":
            u, w = args
            return s.outer(s.mul(d, u), w) if left else s.outer(u, s.mul(w, d))
    return s.matmul(s.diag(d), m) if left else s.matmul(m, s.diag(d))


def _plus(s: TensorExprs, a, b: tuple, n: int) -> tuple:
    if a is None:
        return b
    if a[1] is b[1]:  # diag(d1) @ M + diag(d2) @ M = diag(d1 + d2) @ M
        return s.add(a[0], b[0]), a[1]
    return s.num(1.0), s.add(as_matrix(s, a, n), as_matrix(s, b, n))


def transposed(s: TensorExprs, e: Expr) -> Expr:
    """eᵀ for a matrix formula, pushed inside sums, scalings, products and outer products."""
    done: dict = {}
    for node in postorder(e):
        done[node] = _transpose(s, node, done)
    return done[e]


def _transpose(s: TensorExprs, e: Expr, done: dict) -> Expr:
    if e.ndim < 2:
        return e
    kind, data = e.kind, e.data
    if kind in (ADD, MUL) and any(c.shape not in ((), e.shape) for c in children(e)):
        return s.transpose(e)  # a vector broadcast along the rows would move to the columns
    if kind == ADD:
        out = s.num(data[0])
        for t, c in data[1]:
            out = s.add(out, s.mul(c, done[t]))
        return out
    if kind == MUL:
        out = s.num(data[0])
        for f, p in data[1]:
            out = s.mul(out, s.pow(done[f], p))
        return out
    if kind == FN:
        name, args = data
        if name == "transpose":
            return args[0]
        if name in ("diag", "eye", "zeros", "ones") and e.shape[0] == e.shape[1]:
            return e
        if name == "outer":
            return s.outer(args[1], args[0])
        if name == "matmul" and args[0].ndim == 2 and args[1].ndim == 2:
            return s.matmul(done[args[1]], done[args[0]])
    return s.transpose(e)


__all__ = ["linear_map", "as_matrix", "transposed"]
