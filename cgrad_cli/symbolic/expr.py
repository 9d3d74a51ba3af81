"""Formulas as a shared DAG that simplifies itself as it is built.

The derivative rules of ops.py run over `Expr` values (their namespace is
`Exprs`), which is how `cgrad diff` differentiates source-to-source: the
reverse sweep over a program's tape builds a derivative *graph* instead of
numbers.  Every constructor normalises on the way, the way a student would
tidy a line of working:

- sums are flat, with like terms collected (b + b -> 2*b) and the number last;
- products are flat, with the numeric coefficient first and powers of the same
  base merged (x*x -> x^2, x/x -> 1) -- up to FLAT terms or factors;
- x*1, x+0, x*0, x^1, x^0 and --x vanish; numbers fold.

Equal formulas are the same object (hash-consing), so shared subexpressions
stay shared and the DAG stays the size of the work done.  Nothing recurses on
the depth of a formula: traversals use explicit stacks.
"""
from __future__ import annotations

import math

from ..errors import MathDomainError
from ..core import budget
from ..core.ops import OPS, choose

NUM, VAR, ADD, MUL, POW, FN = "num", "var", "add", "mul", "pow", "fn"
SLICE = "slice"  # lo:hi:step in an index of a tensor formula (symbolic.tensor_expr): data (lo, hi, step)
# A sum or product longer than this is not flattened into the next one (it stays a single term or
# factor): flattening copies and sorts, so a chain of 10^4 products would otherwise cost 10^8 steps.
FLAT = 64


class Expr:
    """One interned formula node: `kind` and `data` (see the constructors of `Exprs`)."""

    __slots__ = ("kind", "data", "serial", "space", "__weakref__")

    def __init__(self, kind, data, serial, space):
        self.kind, self.data, self.serial, self.space = kind, data, serial, space

    def __hash__(self):
        return self.serial

    def __add__(self, other):
        return self.space.add(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return self.space.add(self, self.space.mul(-1.0, other))

    def __rsub__(self, other):
        return self.space.add(other, self.space.mul(-1.0, self))

    def __mul__(self, other):
        return self.space.mul(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self.space.mul(self, self.space.pow(other, -1.0))

    def __rtruediv__(self, other):
        return self.space.mul(other, self.space.pow(self, -1.0))

    def __neg__(self):
        return self.space.mul(-1.0, self)

    # Shapes, for the vjp rules of tensor ops (symbolic.tensor_expr): a scalar space's formulas are scalars.
    def __matmul__(self, other):
        return self.space.matmul(self, other)

    def __rmatmul__(self, other):
        return self.space.matmul(other, self)

    @property
    def shape(self) -> tuple:
        return self.space.shape_of(self)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def T(self):
        return self.space.transpose(self)

    def __getitem__(self, key):  # g[0:2], g[:, 1]: concat's and stack's shares
        return self.space.getitem(self, key=key if isinstance(key, tuple) else (key,))

    def __repr__(self):  # symbolic.notation.text(e) writes it out; a repr stays below it, with no import
        return f"Expr({self.kind}, #{self.serial})"


class Exprs:
    """A space of interned formulas over named variables; also the namespace `m` of the rules.

    `order` lists the variables in the order terms should be printed (the
    program's inputs first, as they appear).
    """

    def __init__(self, order=()):
        self._interned: dict = {}
        self.room = budget.LIMITS.formula  # formula nodes this space may hold (--max-formula)
        self.order = {name: k for k, name in enumerate(order)}
        self.where = choose
        for name, op in OPS.items():
            if op.forward is not None and name not in ("add", "sub", "mul", "div", "neg", "pow", "copy"):
                setattr(self, name, self._function(name))

    # -- leaves and interning

    def _make(self, kind, data):
        key = (kind, data)
        e = self._interned.get(key)
        if e is None:
            if len(self._interned) >= self.room:  # diff --order 6, a hessian of a long chain: stopped here
                raise budget.too_large("formula", None, "the derivative")
            e = self._interned[key] = Expr(kind, data, len(self._interned), self)
        return e

    def num(self, value: float) -> Expr:
        value = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
        if not math.isfinite(value):  # 1e200*1e200 folded: no formula can hold it
            raise MathDomainError("a number in the formula overflows float64 (the program's constants multiply "
                                  "or add up beyond 1.8e308)")
        return self._make(NUM, value)

    def var(self, name: str) -> Expr:
        if name not in self.order:
            self.order[name] = len(self.order)
        return self._make(VAR, name)

    def shape_of(self, e: Expr) -> tuple:
        return ()

    def lift(self, x) -> Expr:
        return x if isinstance(x, Expr) else self.num(x)

    # -- sums: (constant, ((term, coefficient), ...)); a term is never a number, a sum or a scaled product

    def _terms(self, e: Expr):
        if e.kind == NUM:
            return e.data, ()
        if e.kind == ADD and len(e.data[1]) <= FLAT:
            return e.data
        if e.kind == MUL and e.data[0] != 1.0:
            return 0.0, ((self._mul_node(1.0, e.data[1]), e.data[0]),)
        return 0.0, ((e, 1.0),)

    def add(self, a, b) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a.kind == NUM and b.kind == NUM:
            return self.num(a.data + b.data)
        const_a, terms_a = self._terms(a)
        const_b, terms_b = self._terms(b)
        merged: dict = {}
        for term, coef in terms_a + terms_b:
            merged[term] = merged.get(term, 0.0) + coef
        terms = tuple(sorted(((t, c) for t, c in merged.items() if c != 0.0), key=lambda tc: self._key(tc[0])))
        const = const_a + const_b
        if not terms:
            return self.num(const)
        if const == 0.0 and len(terms) == 1:
            term, coef = terms[0]
            return term if coef == 1.0 else self.mul(coef, term)
        return self._make(ADD, (const, terms))

    # -- products: (coefficient, ((base, exponent), ...)); exponents are numbers, bases never numbers or products

    def _factors(self, e: Expr):
        if e.kind == NUM:
            return e.data, ()
        if e.kind == MUL and len(e.data[1]) <= FLAT:
            return e.data
        return 1.0, ((e, 1.0),)

    def _mul_node(self, coef, factors) -> Expr:
        if not factors:
            return self.num(coef)
        if coef == 1.0 and len(factors) == 1 and factors[0][1] == 1.0:
            return factors[0][0]
        return self._make(MUL, (coef, factors))

    def mul(self, a, b) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a.kind == NUM and b.kind == NUM:
            return self.num(a.data * b.data)
        coef_a, factors_a = self._factors(a)
        coef_b, factors_b = self._factors(b)
        coef = coef_a * coef_b
        if coef == 0.0:
            return self.num(0.0)
        merged: dict = {}
        for base, power in factors_a + factors_b:
            merged[base] = merged.get(base, 0.0) + power
        factors = tuple(sorted(((f, p) for f, p in merged.items() if p != 0.0), key=lambda fp: self._key(fp[0])))
        return self._mul_node(coef, factors)

    def pow(self, a, b) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if b.kind != NUM:
            return self._make(POW, (a, b))
        p = b.data
        if p == 0.0:
            return self.num(1.0)
        if a.kind == NUM:
            try:
                return self.num(math.pow(a.data, p))
            except (ValueError, OverflowError, ZeroDivisionError):
                return self._make(POW, (a, b))
        if a.kind == MUL and p == int(p):  # (2*x*y^2)^2 = 4*x^2*y^4; a fractional power does not distribute
            coef, factors = a.data
            return self._mul_node(math.pow(coef, p), tuple((f, q * p) for f, q in factors))
        return self._mul_node(1.0, ((a, p),))

    def _function(self, name):
        forward = OPS[name].forward

        def call(*args):
            args = tuple(self.lift(x) for x in args)
            if all(x.kind == NUM for x in args):
                try:
                    value = forward(*(x.data for x in args))
                    if math.isfinite(value) and (value == int(value) or name in ("sign", "step", "abs", "min",
                                                                                  "max", "relu")):
                        return self.num(value)  # exact results fold: sin(0) = 0, exp(0) = 1; sin(1) stays
                except (ValueError, OverflowError, ZeroDivisionError):
                    pass
            return self._make(FN, (name, args))
        return call

    # -- printing order: variables in input order, then functions and others as they were made

    def _key(self, e: Expr):
        if e.kind == VAR:
            return 0, self.order.get(e.data, 0), 0.0, 0, 0
        if e.kind == MUL:  # a product sorts with its first factor: x < x^2 < x*y < 1/x < 1/x^2
            first, power = e.data[1][0]
            head = (0, self.order.get(first.data, 0)) if first.kind == VAR else (1, first.serial)
            return head + (power if power > 0 else 1e9 - power, len(e.data[1]), e.serial)
        return 1, e.serial, 0.0, 0, 0


def size(e: Expr) -> int:
    """How many nodes the formula has when written out as a tree (shared parts counted at each use)."""
    sizes: dict = {}
    for node in postorder(e):
        sizes[node] = 1 + sum(sizes[c] for c in children(node))
    return sizes[e]


def children(e: Expr) -> tuple:
    kind, data = e.kind, e.data
    if kind == ADD:
        return tuple(t for t, _ in data[1])
    if kind == MUL:
        return tuple(f for f, _ in data[1])
    if kind == POW:
        return data
    if kind == FN:
        return data[1]
    return ()


def postorder(root: Expr) -> list:
    """Every distinct node below `root`, children before parents (iterative; each node expanded once)."""
    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if expanded:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children(node)) if child not in done)
    return order
