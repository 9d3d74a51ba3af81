"""Why a wrong answer is wrong: candidate mistakes computed from the graph, matched against the answer.

For a failing quantity, every candidate mistake is worked out from the evaluated graph -- the number a
student who made exactly that mistake (and no other) would have written -- and compared with the answer
under the check's own tolerance.  Candidates, by family (in rank order: the order of a "could be" list):

- ``paths``: a subset of the chain rule's paths (a path missing), a path counted twice, or for a node used
  several times (a shared weight, an RNN's step after step) a subset of its uses;
- ``rule``: one op's local derivative replaced by a common wrong rule (MISTAKES below), at one node, or at
  every node of that op on the way;
- ``softmax``: the softmax Jacobian's diagonal alone, or its off-diagonal part alone (y for y − onehot(r));
- ``kink``: another framework's convention at a kink the point sits on (KINKS below);
- ``chain``: one factor of a path dropped (taken as 1), or the chain stopped early (∂c/∂b or ∂e/∂c given
  for ∂e/∂b);
- ``transposed``, ``element``: a matrix gradient transposed, the gradient of another element y[r'];
- ``other input``: the derivative with respect to another input;
- ``value``: the value of a node given for a derivative (or another node's value for a value);
- ``sign``, ``factor``: the right number negated, doubled or halved.

A candidate equal to the right answer is dropped (it explains nothing).  A formula answer must match a
candidate at the given point and at every random point where both are defined.  The answer is *diagnosed*
only when the matches tell one misconception (`Match.idea`); otherwise they are listed as "could be",
ranked by family and, within one, in the order they were found.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from itertools import combinations
from types import SimpleNamespace
from collections.abc import Callable, Iterator

from ..core.ops import NUMERIC
from ..core.show import number
from ..errors import CgradError

FAMILIES = ("paths", "rule", "softmax", "kink", "chain", "transposed", "element", "other input", "value", "sign",
            "factor")
MAX_SUBSET_PATHS = 6  # with more paths (or uses), only each one alone, each one missing, each one twice
SHORT_PATH = 4  # nodes: paths this short are named node by node; longer ones by the uses they end in
MAX_WAY = 2000  # nodes between the output and wrt up to which wrong rules, kinks and chain mistakes are tried
MAX_TENSOR_WAY = 200  # the same in a tensor program, where each such candidate costs a sweep


class Mistake:
    """A common wrong local-derivative rule for one op: the rules per argument (None: that one is right)."""

    def __init__(self, id: str, says: str, *partials, when: Callable | None = None):
        self.id, self.says, self.partials, self.when = id, says, partials, when


def _constant_exponent(graph, i):
    return not graph.needs_grad[graph.args[i][1]]


def _two_factors(graph, i):
    """u·v with both factors depending on an input (2*x has no product rule to get wrong)."""
    return all(graph.needs_grad[a] for a in graph.args[i])


# op -> the wrong rules students write, in rule form (m, out, *args) like ops.py's, so they also run over text.
MISTAKES = {
    "mul": [Mistake("product rule swapped", "the product rule's factors swapped (∂(u·v)/∂u is the other factor, "
                    "v)", lambda m, o, x, y: x, lambda m, o, x, y: y, when=_two_factors)],
    "sub": [Mistake("minus of u − v dropped", "the minus of a subtraction dropped (∂(u − v)/∂v is −1)",
                    None, lambda m, o, x, y: 1.0)],
    "div": [Mistake("quotient rule without minus", "the quotient rule's minus dropped (∂(u/v)/∂v is −u/v²)",
                    None, lambda m, o, x, y: o / y),
            Mistake("quotient rule without v²", "the quotient rule's v² missing (∂(u/v)/∂v is −u/v²)",
                    None, lambda m, o, x, y: -o)],
    "pow": [Mistake("power rule as n·x^n", "the power rule without lowering the exponent (d(xⁿ)/dx is "
                    "n·xⁿ⁻¹)", lambda m, o, x, y: y * o, None, when=_constant_exponent),
            Mistake("power rule without n", "the power rule without its factor n (d(xⁿ)/dx is n·xⁿ⁻¹)", lambda m, o, x, y: m.pow(x, y - 1.0), None, when=_constant_exponent)],
    "sigmoid": [Mistake("sigmoid' as σ", "σ′ taken as σ (the derivative of σ(x) is σ(x)·(1 − σ(x)))",
                        lambda m, o, x: o),
                Mistake("sigmoid' as 1 − σ", "σ′ taken as 1 − σ (the derivative of σ(x) is σ(x)·(1 − σ(x)))",
                        lambda m, o, x: 1.0 - o)],
    "tanh": [Mistake("tanh' as 1 − tanh", "tanh′ taken as 1 − tanh (the derivative of tanh(x) is 1 − tanh²(x))",
                     lambda m, o, x: 1.0 - o)],
    "log": [Mistake("log' as 1/log", "log′ taken as 1 over the log itself (the derivative of log(u) is 1/u)",
                    lambda m, o, x: 1.0 / o)],
    "cos": [Mistake("cos' as sin", "the minus of cos′ dropped (the derivative of cos(x) is −sin(x))",
                    lambda m, o, x: m.sin(x))],
}

_TIE_FIRST = (lambda m, o, x, y: 0.5 + 0.5 * m.sign(x - y) + 0.5 * (x == y),
              lambda m, o, x, y: 0.5 - 0.5 * m.sign(x - y) - 0.5 * (x == y))
# op at its kink -> [(what the other convention is, its rules)]
KINKS = {
    "abs": [("abs′(0) = 1 (JAX's convention)", (lambda m, o, x: m.sign(x) + (x == 0) * 1.0,)),
            ("abs′(0) = −1", (lambda m, o, x: m.sign(x) - (x == 0) * 1.0,))],
    "relu": [("relu′(0) = 1", (lambda m, o, x: m.step(x) + (x == 0) * 1.0,))],
    "max": [("a tie given wholly to the first argument", _TIE_FIRST),
            ("a tie given wholly to the second argument", _TIE_FIRST[::-1])],
    "min": [("a tie given wholly to the first argument", _TIE_FIRST[::-1]),
            ("a tie given wholly to the second argument", _TIE_FIRST)],
}


@dataclass
class Match:
    """A candidate mistake that gives the answer's number."""
    family: str
    idea: tuple  # the misconception: matches with the same idea tell the same story
    says: str  # what the student did, in one sentence
    right: str  # the right step
    value: object  # the candidate's number at the given point
    formula: str | None = None  # a formula answer: the candidate as a formula, which the answer equals

    def text(self, right: bool = True) -> str:
        says = self.says + (f" (your formula is {self.formula})" if self.formula else "")
        return f"{says}; the right step: {self.right}" if right else says


@dataclass
class Diagnosis:
    matches: list  # ranked, most likely first

    @property
    def sure(self) -> bool:
        """One misconception explains the answer: it is named; otherwise the matches are a "could be" list."""
        return len({m.idea for m in self.matches}) == 1

    def text(self, right: bool = True) -> str:
        """In words: `why: …; the right step: …` (without the right step when the key is hidden), or the
        could-be list."""
        if self.sure:
            return "why: " + self.matches[0].text(right)
        return "could be (most likely first): " + "; or ".join(
            f"({k}) {m.says}" for k, m in enumerate(self.distinct(), 1))

    def distinct(self) -> list:
        """The matches, one per misconception (the first found of each)."""
        seen, out = set(), []
        for m in self.matches:
            if m.idea not in seen:
                seen.add(m.idea)
                out.append(m)
        return out


@dataclass
class _Candidate:
    family: str
    key: tuple  # the same mistake at every point
    value: Callable  # () -> its number at this point
    describe: Callable  # () -> (says, right), only called at the given point for a match
    idea: tuple | None = None  # default: the key
    formula: Callable | None = None  # () -> the candidate as a formula (cgrad diff's), for a formula answer


# --- the candidates at one point ----------------------------------------------------------------------------

class _At:
    """What the candidates need at one point: the evaluation (a check._Point) and the quantity's nodes."""

    def __init__(self, point, quantity):
        g = point.graph
        self.point, self.graph, self.quantity = point, g, quantity
        self.out = g.named[quantity.of]
        self.w = None if quantity.wrt is None else g.named[quantity.wrt]
        self.values = point.values
        self.tensor = g.tensor or any(hasattr(v, "shape") for v in self.values)
        self._labels = None
        self._tangent = None
        self._way = None
        self._uses = None

    @property
    def ev(self):
        return self.point.sweep(self.quantity.of)

    @property
    def labels(self):
        if self._labels is None:
            from ..symbolic.explain import Labels

            self._labels = Labels(self.graph)
        return self._labels

    def correct(self):
        return self.point.quantity(self.quantity)

    def d(self, a: int, b: int) -> str:
        return f"∂{self.labels.d(a)}/∂{self.labels.d(b)}"

    def on_way(self) -> list:
        """Nodes on a path from the output down to wrt (wrt excluded), in tape order (worked out once)."""
        if self._way is None:
            self._way = self._on_way()
        return self._way

    def _on_way(self) -> list:
        g, reached, w, out = self.graph, self.ev.reached, self.w, self.out
        if w >= out:  # wrt is the output itself, or comes after it: no way down
            return []
        ops, argss = g.ops, g.args
        below = bytearray(out + 1)  # depends on wrt (so the argument needs a gradient)
        below[w] = 1
        for i in range(w + 1, out + 1):
            k = ops[i].indices
            for a in argss[i] if k is None else argss[i][:k]:
                if below[a]:
                    below[i] = 1
                    break
        return [i for i in range(w + 1, out + 1) if below[i] and reached[i]]

    def differentiable(self, i: int) -> tuple:
        """Node i's arguments a derivative flows to (not constants, not indices)."""
        g = self.graph
        args = g.args[i][:g.ops[i].indices] if g.ops[i].indices is not None else g.args[i]
        return tuple(a for a in args if g.needs_grad[a])

    def mutated(self, changes: dict):
        """The program with some nodes' ops replaced (a wrong rule); the program's own op list is untouched."""
        g = copy.copy(self.graph)
        g.ops = list(self.graph.ops)
        for i, op in changes.items():
            g.ops[i] = op
        return g

    def resweep(self, changes: dict):
        """∂out/∂wrt under a wrong rule: the same backward sweep over another op table.

        One node changed in a scalar program costs no sweep: the derivative is linear in each node's local
        derivatives, ∂out/∂wrt + ∂out/∂node · Σ_k (new − old ∂node/∂arg_k) · ∂arg_k/∂wrt (`tangent`)."""
        if len(changes) == 1 and not self.tensor:
            (i, op), = changes.items()
            local, v, args = self.ev.local[i], self.values, self.graph.args[i]
            if local is not None:
                t, shift = self.tangent, 0.0
                for k, (a, old) in enumerate(zip(args, local)):
                    if old is not None and t[a]:
                        shift += (op.partials[k](NUMERIC, v[i], *(v[b] for b in args)) - old) * t[a]
                return self.correct() + self.ev.grads[i] * shift
        from ..core.autodiff import backward

        return _plain(backward(self.mutated(changes), self.values, self.out).grad(self.w))

    def uses(self) -> list:
        """Each use of wrt with its contribution (Evaluation.uses), worked out once."""
        if self._uses is None:
            self._uses = self.ev.uses(self.w)
        return self._uses

    def terms(self) -> list:
        """The chain rule's paths from the output down to wrt (cgrad explain's), or [] when there are more
        than explain writes out (then counted, not walked)."""
        from ..symbolic.explain import MAX_TERMS, explain

        # every path down to wrt runs through nodes that depend on it, so autodiff's count is explain's
        if not 0 < self.ev.paths[self.w] <= MAX_TERMS:
            return []
        return explain(self.ev, [self.quantity.wrt], labels=self.labels).targets[0].terms

    @property
    def tangent(self) -> list:
        """∂node/∂wrt for every node up to the output (scalar programs): one forward-mode sweep from wrt over
        the local derivatives the backward sweep computed."""
        if self._tangent is None:
            g, local = self.graph, self.ev.local
            t = [0.0] * (max(self.out, self.w) + 1)
            t[self.w] = 1.0
            for i in range(self.w + 1, self.out + 1):
                ls = local[i]
                if ls is not None:
                    t[i] = sum(d * t[a] for a, d in zip(g.args[i], ls) if d is not None and t[a])
            self._tangent = t
        return self._tangent

    def formula(self, changes: dict | None = None, wrt: str | None = None) -> str | None:
        """dOUT/dWRT as a formula (cgrad diff's), under a wrong rule when `changes` are given; None for a
        tensor program or a rule that cannot be run over formulas."""
        if self.tensor:
            return None
        from ..symbolic.derive import derivatives
        from ..symbolic.notation import text

        name = wrt or self.quantity.wrt
        try:
            return text(derivatives(self.mutated(changes or {}), [name], output=self.quantity.of)[name])
        except Exception:  # a kink's convention compares values: it has no formula
            return None


def _plain(value):
    return float(value) if not getattr(value, "shape", ()) else value


def candidates(at: _At) -> Iterator[_Candidate]:
    """Every candidate mistake for the quantity at this point (values computed only when asked for).

    In a scalar program a candidate changing one node costs no sweep (`_At.resweep`); in a tensor program
    each costs one.  The families that change nodes are tried while the way from the output down to wrt
    has at most MAX_WAY nodes (MAX_TENSOR_WAY in a tensor program): a diagnosis is for homework-sized
    graphs, and a 10^5-node program's check must not wait on 10^5 candidates."""
    if at.w is None:
        yield from _value_candidates(at)
        return
    if at.w == at.out:  # ∂x/∂x = 1: a number with no chain to get wrong
        yield from _scaled(at, lambda: f"{at.quantity.label} = 1")
        return
    yield from _paths(at)
    if len(at.on_way()) <= (MAX_TENSOR_WAY if at.tensor else MAX_WAY):
        yield from _rules(at)
        yield from _softmax(at)
        yield from _kinks(at)
        yield from _chain(at)
    yield from _arrays(at)
    yield from _others(at)


def _value_candidates(at: _At) -> Iterator[_Candidate]:
    g, q = at.graph, at.quantity
    for name, i in list(g.named.items())[:MAX_WAY]:
        if i != at.out:
            yield _Candidate("value", ("value", name), lambda i=i: _plain(at.values[i]),
                             lambda name=name: (f"the value of {name}, not of {q.of}", f"{q.of} = "
                                                f"{g.text(at.out, 48)}"))
    yield from _scaled(at, lambda: f"{q.of} = {g.text(at.out, 48)}")


def _scaled(at: _At, right: Callable) -> Iterator[_Candidate]:
    label = at.quantity.label
    yield _Candidate("sign", ("sign",), lambda: -at.correct(),
                     lambda: (f"the sign flipped: {label} has the opposite sign", right()))
    yield _Candidate("factor", ("factor", 2), lambda: 2 * at.correct(),
                     lambda: (f"twice the right number: a factor 2 too many in {label}", right()))
    yield _Candidate("factor", ("factor", 0.5), lambda: at.correct() / 2,
                     lambda: (f"half the right number: a factor 2 missing from {label}", right()))


# --- paths and uses -----------------------------------------------------------------------------------------

def _sum_text(at: _At, terms) -> str:
    """∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = 2 + 3 = 5 (the chain rule's sum over the paths)."""
    label = at.quantity.label
    values = " + ".join(number(t.product) for t in terms).replace("+ -", "− ")
    if len(terms) > 4 or any(len(t.nodes) > SHORT_PATH for t in terms):
        shown = values if len(terms) <= 8 else "…"
        return f"{label} is the sum over its {len(terms)} paths: {shown} = {number(at.correct())}"
    parts = ["·".join(at.d(f.parent, f.child) for f in t.factors) for t in terms]
    factors = " + ".join("·".join(number(f.value) for f in t.factors) for t in terms).replace("+ -", "− ")
    return f"{label} = {' + '.join(parts)} = {factors} = {number(at.correct())}"


def _path_text(at: _At, term) -> str:
    return " → ".join(at.labels.name(i) for i in term.nodes)


def _paths(at: _At) -> Iterator[_Candidate]:
    """Paths left out or counted twice; uses left out, when a use is more than one path (an RNN's steps)."""
    uses = at.uses()
    if at.tensor:
        if len(uses) > 1:
            yield from _use_subsets(at, uses)
        return
    terms = at.terms()
    groups = {}
    for n, t in enumerate(terms):
        groups.setdefault((t.factors[-1].parent, t.factors[-1].k), []).append(n)
    long = any(len(t.nodes) > SHORT_PATH for t in terms)
    whole = [set(ns) for ns in groups.values()] if len(uses) > 1 and (long or len(groups) < len(terms)) else []
    if whole or (len(uses) > 1 and not terms):  # uses say it better than long paths (an RNN's steps)
        yield from _use_subsets(at, uses)
    if len(terms) < 2:
        return

    def of_uses(subset) -> bool:  # a union of whole uses: the uses' candidates say it already
        return bool(whole) and all(group <= subset or not group & subset for group in whole)

    right = lambda: _sum_text(at, terms)  # noqa: E731
    n = len(terms)
    if n <= MAX_SUBSET_PATHS:
        subsets = [set(c) for size in range(1, n) for c in combinations(range(n), size)]
    else:
        subsets = [{k} for k in range(n)] + [set(range(n)) - {k} for k in range(n)]
    for subset in subsets:
        if of_uses(subset):
            continue
        key = ("paths", frozenset(subset))
        value = lambda s=tuple(sorted(subset)): sum(_term_product(at, terms[k]) for k in s)  # noqa: E731

        def describe(s=tuple(sorted(subset))):
            kept = ", ".join(_path_text(at, terms[k]) for k in s)
            missing = ", ".join(_path_text(at, terms[k]) for k in range(n) if k not in s)
            only = "only the path" if len(s) == 1 else "only the paths"
            return (f"{only} {kept}: {at.labels.name(at.w)} is reached along {n} paths and "
                    f"{at.quantity.label} is the sum over all of them; missing {missing}", right())
        yield _Candidate("paths", key, value, describe)
    for k in range(n):
        yield _Candidate("paths", ("twice", k), lambda k=k: at.correct() + _term_product(at, terms[k]),
                         lambda k=k: (f"the path {_path_text(at, terms[k])} counted twice: each path counts "
                                      "once", right()))


def _term_product(at: _At, term) -> float:
    """A path's product at this point (the path itself is the same at every point)."""
    local, p = at.ev.local, 1.0
    for f in term.factors:
        p *= local[f.parent][f.k]
    return p


def _use_subsets(at: _At, uses) -> Iterator[_Candidate]:
    """A weight used several times gets the sum of every use's contribution: some of them left out."""
    from ..core.autodiff import call_text

    g, name, n = at.graph, at.quantity.wrt, len(uses)

    def where(j):
        call = call_text(g, j)
        return call if call is not None else g.text(j, 32)

    def right():
        shares = " + ".join(_show(s) for _, _, s in uses).replace("+ -", "− ")
        return (f"{at.quantity.label} = the sum of {n} contributions, one per use of {name}: {shares} = "
                f"{_show(at.correct())}")

    if n <= MAX_SUBSET_PATHS:
        subsets = [c for size in range(1, n) for c in combinations(range(n), size)]
    else:
        subsets = [(k,) for k in range(n)] + [tuple(j for j in range(n) if j != k) for k in range(n)]
    for subset in subsets:
        def value(s=subset):
            shares = at.uses()
            return _plain(sum(shares[k][2] for k in s))

        def describe(s=subset):
            kept = ", ".join(where(uses[k][0]) for k in s)
            last = " (only the last step's)" if s == (n - 1,) else ""
            return (f"only {len(s)} of the {n} uses of {name}{last}, in {kept}: a node used several times "
                    f"gets the sum of every use's contribution", right())
        yield _Candidate("paths", ("uses", subset), value, describe)


def _show(value) -> str:
    from .points import value_text

    return value_text(value)


# --- wrong rules, kinks, the chain --------------------------------------------------------------------------

def _edge(at: _At, i: int) -> int | None:
    """Which argument of node i the way down to wrt goes through (the first, if several)."""
    way = set(at.on_way()) | {at.w}
    return next((k for k, a in enumerate(at.graph.args[i]) if a in way and a in at.differentiable(i)), None)


def _rule_step(at: _At, i: int, k: int, op) -> str:
    """The formula and value of ∂node/∂arg under `op`'s rule (the right one or a wrong one)."""
    from ..symbolic.text import rule_text

    g = copy.copy(at.graph)
    g.ops = list(at.graph.ops)
    g.ops[i] = op
    text = rule_text(SimpleNamespace(graph=g, values=at.values), i, k)
    value = None
    if not at.tensor:
        try:
            value = op.partials[k](NUMERIC, at.values[i], *(at.values[a] for a in at.graph.args[i]))
        except (ArithmeticError, ValueError):
            pass
    shown = text or (number(value) if value is not None else "?")
    if text is not None and value is not None and text != number(value):
        shown += f" = {number(value)}"
    return shown


def _replaced(op, partials):
    return op._replace(partials=tuple(w or r for w, r in zip(partials, op.partials)))


def _rules(at: _At) -> Iterator[_Candidate]:
    g = at.graph
    way = at.on_way()
    for name, mistakes in MISTAKES.items():
        nodes = [i for i in way if g.ops[i].name == name]
        for mistake in mistakes:
            nodes_m = [i for i in nodes if mistake.when is None or mistake.when(g, i)]
            sets = [(i,) for i in nodes_m] + ([tuple(nodes_m)] if len(nodes_m) > 1 else [])
            for s in sets:
                changes = {i: _replaced(g.ops[i], mistake.partials) for i in s}

                def describe(s=s, mistake=mistake):
                    i = s[0]
                    k = _edge(at, i)
                    if k is None:
                        k = next(j for j, r in enumerate(mistake.partials) if r is not None)
                    a = g.args[i][k]
                    wrong = _rule_step(at, i, k, _replaced(g.ops[i], mistake.partials))
                    where = f" (at every {name} on the way)" if len(s) > 1 else ""
                    return (f"you took {at.d(i, a)} as {wrong}{where}: {mistake.says}",
                            f"{at.d(i, a)} = {_rule_step(at, i, k, g.ops[i])}")
                yield _Candidate("rule", ("rule", mistake.id, s), lambda changes=changes: at.resweep(changes),
                                 describe, idea=("rule", mistake.id),
                                 formula=lambda changes=changes: at.formula(changes))


def _softmax(at: _At) -> Iterator[_Candidate]:
    g = at.graph
    variants = [
        ("softmax diagonal", lambda m, gr, o, z: (o * (1.0 - o) * gr,),
         "only the diagonal of the softmax Jacobian, yᵢ(1 − yᵢ): each yᵢ depends on every zⱼ, with "
         "∂yᵢ/∂zⱼ = −yᵢyⱼ off the diagonal"),
        ("softmax without own term", lambda m, gr, o, z: (-o * _last_sum(gr * o),),
         "the softmax Jacobian without its diagonal term: for C = −log(y[r]) that is y instead of "
         "y − onehot(r) (the −onehot(r) comes from ∂y_r/∂z_r)"),
    ]
    for i in at.on_way():
        if g.ops[i].name != "softmax":
            continue
        for vid, vjp, says in variants:
            yield _Candidate("softmax", ("softmax", vid, i),
                             lambda i=i, vjp=vjp: at.resweep({i: g.ops[i]._replace(vjp=vjp)}),
                             lambda says=says, i=i: (says, f"∂{at.labels.d(i)}/∂{at.labels.d(g.args[i][0])} = "
                                                           "diag(y) − y·yᵀ, so the gradient is y ⊙ (g − (g·y))"),
                             idea=("softmax", vid))


def _last_sum(x):
    from ..core.ops import load_numpy

    return load_numpy().sum(x, -1, keepdims=True)


def _kinks(at: _At) -> Iterator[_Candidate]:
    g = at.graph
    for i in at.on_way():
        op = g.ops[i]
        if op.name not in KINKS or not _at_kink(at, i):
            continue
        for what, rules in KINKS[op.name]:
            yield _Candidate("kink", ("kink", what, i),
                             lambda i=i, rules=rules: at.resweep({i: _replaced(g.ops[i], rules)}),
                             lambda what=what, i=i, op=op: (
                                 f"{g.text(i, 32)} is at a kink of {op.name} (not differentiable there), and "
                                 f"your answer uses {what}", f"cgrad uses {op.convention}"),
                             idea=("kink", what))


def _at_kink(at: _At, i: int) -> bool:
    op = at.graph.ops[i]
    return op.kink is not None and _any(op.kink(*(at.values[a] for a in at.graph.args[i])))


def kinks_on_way(point, quantity) -> list:
    """The kinks a derivative's chain passes through at this point, each as `relu(x): cgrad uses relu'(0) = 0
    (PyTorch and JAX)`: why an answer following another convention differs."""
    if not point.graph.kinks:
        return []
    at = _At(point, quantity)
    g, out = at.graph, []
    for i in at.on_way():
        if _at_kink(at, i):
            others = [f"with {what}: {_show(at.resweep({i: _replaced(g.ops[i], rules)}))}"
                      for what, rules in KINKS.get(g.ops[i].name, ())]
            out.append(f"{g.text(i, 32)}: cgrad uses {g.ops[i].convention}" +
                       (f" ({'; '.join(others)})" if others else ""))
    return out


def _any(hit) -> bool:
    return bool(hit.any()) if hasattr(hit, "any") else bool(hit)


def _chain(at: _At) -> Iterator[_Candidate]:
    """One factor of the chain dropped, or the chain stopped early."""
    g, label = at.graph, at.quantity.label
    way = at.on_way()
    name = at.labels.d(at.w)
    for i in way:
        if i == at.out:
            continue
        yield _Candidate("chain", ("stopped above", i), lambda i=i: _plain(at.ev.grad(i)),
                         lambda i=i: (f"the chain stopped at {at.labels.name(i)}: you gave {at.d(at.out, i)}, "
                                      f"which still needs ∂{at.labels.d(i)}/∂{name}", _whole_sum(at)),
                         idea=("chain",))
        yield _Candidate("chain", ("stopped below", i),
                         lambda i=i: at.tangent[i] if not at.tensor else None,
                         lambda i=i: (f"the chain stopped at {at.labels.name(i)}: you gave "
                                      f"∂{at.labels.d(i)}/∂{name}, a local step on the way, not {label}",
                                      _whole_sum(at)), idea=("chain",))
    along = set(way) | {at.w}
    for i in way:
        for k, a in enumerate(g.args[i]):
            if a not in along or a not in at.differentiable(i) or g.ops[i].vjp is not None:
                continue
            if g.ops[i].name in ("add", "sub", "neg", "copy") or _at_kink(at, i):
                continue  # a factor of ±1 (dropping it is no change, or the minus rule), or a kink's convention
            one = tuple((lambda m, o, *xs: 1.0) if j == k else None for j in range(len(g.args[i])))
            changes = {i: _replaced(g.ops[i], one)}
            yield _Candidate(
                "chain", ("dropped", i, k), lambda changes=changes: at.resweep(changes),
                lambda i=i, k=k, a=a: (f"the factor {at.d(i, a)} of the chain rule dropped (taken as 1)",
                                       f"{at.d(i, a)} = {_rule_step(at, i, k, g.ops[i])}, a factor of every "
                                       f"path through it"), idea=("chain",),
                formula=lambda changes=changes: at.formula(changes))


def _arrays(at: _At) -> Iterator[_Candidate]:
    if not at.tensor:
        return
    label = at.quantity.label
    shape = getattr(at.correct(), "shape", ())
    if len(shape) == 2:
        yield _Candidate("transposed", ("transposed",), lambda: at.correct().T,
                         lambda: (f"the transpose of {label} (the Jacobian's layout): the gradient of a scalar "
                                  f"with respect to a {shape[0]}×{shape[1]} matrix has the matrix's shape, entry "
                                  "[i, j] being the derivative with respect to element [i, j]",
                                  f"{label} shaped like {at.quantity.wrt}"))
    from .points import index_inputs

    for name in index_inputs(at.graph):
        given = at.point.at[name]
        if getattr(given, "shape", ()) or isinstance(given, list):
            continue
        for other in range(10):
            if other == given:
                continue
            yield _Candidate("element", ("element", name, other),
                             lambda name=name, other=other: _elsewhere(at, name, other),
                             lambda name=name, other=other: (
                                 f"the derivative for {name} = {other}, another element than the one asked "
                                 f"({name} = {number(given)})", f"{label} at {name} = {number(given)}"))


def _elsewhere(at: _At, name: str, other: int):
    from .points import _Point

    try:
        return _Point(at.graph, {**at.point.at, name: float(other)}).quantity(at.quantity)
    except CgradError:
        return None


def _others(at: _At) -> Iterator[_Candidate]:
    from .points import index_inputs

    g, q = at.graph, at.quantity
    fixed = set(index_inputs(g))
    for name, i in g.inputs.items():
        if i != at.w and name not in fixed and g.needs_grad[i]:
            yield _Candidate("other input", ("other input", name), lambda i=i: _plain(at.ev.grad(i)),
                             lambda name=name: (f"∂{q.of}/∂{name}, the derivative with respect to {name}, not "
                                                f"{q.wrt}", _whole_sum(at)),
                             formula=lambda name=name: at.formula(wrt=name))
    for name, i in list(g.named.items())[:MAX_WAY]:
        yield _Candidate("value", ("value", name), lambda i=i: _plain(at.values[i]),
                         lambda name=name: (f"the value of {name}, not a derivative", _whole_sum(at)))
    yield from _scaled(at, lambda: _whole_sum(at))


def _whole_sum(at: _At) -> str:
    if at.tensor:
        return f"{at.quantity.label} = {_show(at.correct())} (cgrad explain shows the working)"
    terms = at.terms()
    if terms:
        return _sum_text(at, terms)
    return f"{at.quantity.label} = {number(at.correct())}"


# --- matching -----------------------------------------------------------------------------------------------

def diagnose(here, expectation, expected, others, rtol: float, atol: float) -> Diagnosis | None:
    """The candidates that give the answer's number (a formula: at the given point and every random point).

    `here` is the check's evaluation at the given point, `expected` the answer's value there, `others` the
    random points (check._Point, or a dict where the program is undefined) for a formula, else None.
    None when no candidate explains the answer.
    """
    from .points import _Point, compare

    if expected is None:
        return None
    q = expectation.quantity
    at = _At(here, q)
    right = at.correct()
    found = []
    for c in candidates(at):
        value = _value(c)
        if value is None or not compare(expected, value, rtol, atol).ok:
            continue
        if others is None and compare(value, right, rtol, atol).ok:
            continue  # a number: a candidate giving the right number explains nothing (a formula is wrong
            #           somewhere, so a candidate it matches everywhere differs from the right one there)
        found.append(c)
    if found and others is not None:
        keys = {c.key for c in found}
        for p in others:
            if not isinstance(p, _Point) or not keys:
                continue
            try:
                answer = p.answer(expectation.answer)
                there = {c.key: c for c in candidates(_At(p, q)) if c.key in keys}
            except CgradError:
                continue
            for key, c in there.items():
                value = _value(c)
                if value is not None and not compare(answer, value, rtol, atol).ok:
                    keys.discard(key)
        found = [c for c in found if c.key in keys]
    if not found:
        return None
    rank = {f: n for n, f in enumerate(FAMILIES)}
    found.sort(key=lambda c: rank[c.family])  # stable: within a family, in the order found
    matches, ideas = [], {}
    for c in found:
        says, step = c.describe()
        idea = ideas.setdefault((c.family, says), c.idea or c.key)  # x*x: two paths written alike are one
        formula = c.formula() if others is not None and c.formula is not None else None
        matches.append(Match(c.family, idea, says, step, c.value(), formula))
    return Diagnosis(matches)


def _value(c: _Candidate):
    try:
        return c.value()
    except (CgradError, ArithmeticError, ValueError):  # undefined there (log of a negative, 1/0, ...)
        return None
