"""The chain rule written out, as the lecture writes it: for a node x (an input, or a name given
with --wrt), every path from the output down to x, the product of the local derivatives along it,
and the sum over the paths,

    ∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5

When there are too many paths to write out (a chain of shared nodes doubles them at every step),
the same sum is given factored, node by node, in the order reverse mode accumulates it: each
node's adjoint ∂e/∂node is the sum over its users u of ∂e/∂u·∂u/∂node.

Pure: reads an evaluated graph (autodiff.Evaluation), computes nothing new but path counts and
products; the renderers (render/explain.py) turn the result into text, Markdown, LaTeX or JSON.
Nothing here recurses on the depth of the graph: paths are enumerated with an explicit stack, and
only when their number, counted first, is within the limit.

How nodes are called in the working (Labels): a node with a name is called by its name; an unnamed
intermediate by its source text, in parentheses in ∂ notation: ∂y/∂(x^2).  An unnamed intermediate
whose text is longer than LABEL_WIDTH characters, or is written the same as another node's (the two
`a+b` of `(a+b)*(a+b)` are different nodes), or contains a node that was so named, gets a name
instead, v1, v2, ... numbered in program order (skipping names the program uses), as the lecture
names c and d; `Explanation.where()` lists the ones a working mentions, each with its definition
over its arguments' labels (v3 = v1*v2).
"""
from __future__ import annotations

import math

from ..core.autodiff import Evaluation
from ..core.graph import Graph
from ..core.ops import apply
from ..core.records import record
from .notation import TEXT, Notation
from .text import Sym, local_formula, namespace  # noqa: F401 (local_formula: also read from here)

MAX_TERMS = 64  # write out at most this many path terms per derivative; above it, the factored form
LABEL_WIDTH = 24  # an unnamed intermediate whose source text is longer gets a name (v1, v2, ...)
GENERATED = "v"  # prefix of those names
_ATOM = 100


class Labels:
    """What each node is called in the working: see the module's docstring."""

    def __init__(self, graph: Graph, width: int = LABEL_WIDTH):
        self.graph = graph
        self.width = width
        self._texts: dict[int, str] | None = None  # unnamed intermediate -> its (short, unique) source text
        self._generated: dict[int, str] = {}  # unnamed intermediate -> generated name
        self._cache: dict[int, tuple] = {}

    def _scan(self) -> None:
        """One pass over the tape: which unnamed intermediates keep their text, which get a name."""
        g, width = self.graph, self.width
        texts, seen = {}, {}
        for i, (args, name, (start, end)) in enumerate(zip(g.args, g.names, g.spans)):
            if name is None and args and end - start <= 4 * width:
                text = g.text(i)
                if len(text) <= width:
                    key = "".join(text.split())  # `a+b` and `a + b` are the same expression
                    texts[i] = text
                    seen[key] = seen.get(key, 0) + 1
        shared = {key for key, count in seen.items() if count > 1}
        k, generated, taken = 0, self._generated, g.named
        for i, (args, name) in enumerate(zip(g.args, g.names)):  # tape order: arguments first
            if name is not None or not args:
                continue
            text = texts.get(i)
            if text is not None and "".join(text.split()) not in shared and not any(a in generated for a in args):
                continue
            # a text that would not name the node alone, or that holds a node called v<k>, gives way to a name
            texts.pop(i, None)
            k += 1
            while f"{GENERATED}{k}" in taken:
                k += 1
            generated[i] = f"{GENERATED}{k}"
        self._texts = texts

    def _entry(self, i: int) -> tuple:
        """(kind, name, precedence, Sym, ∂ label) of node i, worked out once."""
        entry = self._cache.get(i)
        if entry is None:
            g = self.graph
            if g.names[i] is not None:
                kind, name, prec = "name", g.names[i], _ATOM
            elif not g.args[i]:
                name = g.text(i)
                kind, prec = "const", 30 if name.startswith("-") else _ATOM
            else:
                if self._texts is None:
                    self._scan()
                if i in self._generated:
                    kind, name, prec = "generated", self._generated[i], _ATOM
                else:
                    kind, name, prec = "text", self._texts[i], g.ops[i].precedence
            entry = self._cache[i] = (kind, name, prec, Sym(name, prec), f"({name})" if kind == "text" else name)
        return entry

    def kind(self, i: int) -> str:
        """'name' (the program's), 'generated' (v1, ...), 'text' (source text) or 'const' (a literal)."""
        return self._entry(i)[0]

    def name(self, i: int) -> str:
        """The label as it stands in a formula: `c`, `v3`, `x^2` (no parentheses), `2`."""
        return self._entry(i)[1]

    def prec(self, i: int) -> int:
        """How tightly the label binds in a formula (symbolic.Sym precedence)."""
        return self._entry(i)[2]

    def d(self, i: int) -> str:
        """The label in ∂ notation: `c`, `v3`, `(x^2)`."""
        return self._entry(i)[4]

    def sym(self, i: int) -> Sym:
        """The label as a formula (a Sym: formulas built from it are new objects, it is never changed)."""
        return self._entry(i)[3]

    def generated(self, i: int) -> bool:
        return self._entry(i)[0] == "generated"


def definition(graph: Graph, i: int, atom, nota: Notation = TEXT) -> Sym:
    """Node i's operation over its arguments' labels, e.g. Sym('sin(v1)') or Sym('a + b', 10): the op
    applied in the rules' namespace over text (an op with no scalar form, by its syntax)."""
    op, xs = graph.ops[i], [atom(a) for a in graph.args[i]]
    m = namespace(nota)
    if op.forward is not None:
        return apply(m, op.name, xs)
    prec = op.precedence
    if prec >= _ATOM:  # a call: its arguments need no parentheses
        return Sym(op.syntax.format(*(x.text for x in xs)), prec, nota)
    if len(xs) == 1:
        return Sym(op.syntax.format(xs[0]._wrap(prec + 1)), prec, nota)
    return Sym(op.syntax.format(*(x._wrap(prec if k == 0 else prec + 1) for k, x in enumerate(xs))), prec, nota)


@record
class Factor:
    """One edge of a path: the local derivative ∂parent/∂child, child being the parent's k-th argument."""
    parent: int
    k: int
    child: int
    value: float  # ev.local[parent][k]
    formula: Sym | float | None  # over Labels.sym; None if the rule cannot be shown


@record
class Term:
    """One path from the output down to the node: its nodes, its local derivatives and their product."""
    nodes: tuple  # node ids, output first
    factors: tuple  # Factor per edge
    product: float


@record
class Use:
    """One term of a factored step: ∂out/∂user · ∂user/∂node (the node is the user's k-th argument)."""
    user: int
    k: int
    adjoint: float  # ∂out/∂user
    local: float  # ∂user/∂node
    formula: Sym | float | None
    product: float


@record
class Step:
    """A node's adjoint ∂out/∂node as the sum over its users (empty for the output: ∂out/∂out = 1)."""
    node: int
    adjoint: float  # ev.grads[node]
    uses: tuple


@record
class Target:
    """∂out/∂name explained: `terms` (one per path) when there are at most max_terms paths, else `steps`."""
    name: str
    node: int
    gradient: float  # ev.grads[node], the value cgrad eval reports
    count: int  # the number of paths from the output to the node along which the output depends on it:
    #             exact below FLOAT_LIMIT, FLOAT_LIMIT from there on (then see log10_count)
    log10_count: float  # log10 of the number of paths (-inf for none)
    terms: list | None
    steps: list | None

    @property
    def factored(self) -> bool:
        return self.steps is not None


@record
class Explanation:
    ev: Evaluation
    labels: Labels
    max_terms: int
    targets: list

    def mentioned(self) -> list:
        """Every node a working names: the output, the targets, and each parent on a path (with its
        arguments, which its local derivative's formula may use), in tape order."""
        g, seen = self.ev.graph, {self.ev.output}
        for t in self.targets:
            seen.add(t.node)
            parents = [f.parent for term in t.terms or () for f in term.factors]
            parents += [u.user for s in t.steps or () for u in s.uses]
            parents += [s.node for s in t.steps or ()]
            for p in set(parents):  # once each: an n-ary sum is the parent of every one of its n terms' paths
                seen.add(p)
                seen.update(g.args[p])
        return sorted(seen)

    def where(self) -> list:
        """The generated names a working uses, with the names their definitions use in turn, in tape
        order: node ids, for `definition(graph, i, ...)`."""
        g, labels = self.ev.graph, self.labels
        todo = [i for i in self.mentioned() if labels.generated(i)]
        found = set(todo)
        while todo:  # an explicit stack: a definition can name another generated node, 10^5 deep
            for a in g.args[todo.pop()]:
                if a not in found and labels.generated(a):
                    found.add(a)
                    todo.append(a)
        return sorted(found)


COMPARISONS = ("lt", "le", "gt", "ge", "eq")


def cuts(ev: Evaluation) -> list:
    """(node, sentence) for each place the output's graph is cut, in tape order: a comparison, detach,
    argmax, ... whose argument depends on an input (nothing flows back through it), and where's
    condition when it depends on an input.  The chain rule stops there, and the working says why."""
    g = ev.graph
    used = bytearray(ev.output + 1)  # the nodes the output is computed from (every edge, derivative or not)
    used[ev.output] = 1
    conditions = set()
    for i in range(ev.output, -1, -1):
        if used[i]:
            for a in g.args[i]:
                used[a] = 1
            if g.ops[i].name == "select":
                conditions.add(g.args[i][0])
    out = []
    for i in range(ev.output + 1):
        op, args = g.ops[i], g.args[i]
        if not used[i] or not any(g.needs_grad[a] or g.ops[a].cuts for a in args) and i not in conditions:
            continue
        this = g.label(i, 40)
        side = (" (as where's condition it picks a side, and the gradient goes to the chosen side only)"
                if i in conditions else "")
        if op.name in COMPARISONS and any(g.needs_grad[a] for a in args):
            out.append((i, f"{this} is a comparison: it gives 0 or 1, and nothing flows back through it: it "
                           f"cuts the graph{side}"))
        elif op.cuts and any(g.needs_grad[a] for a in args):
            what = {"detach": f"it passes {g.label(args[0], 40)}'s value on as a constant", "argmax": "it gives "
                    "an index", "argmin": "it gives an index"}.get(op.name, "it gives a constant")
            out.append((i, f"{this} cuts the graph: {what}, and nothing flows back through it{side}"))
        elif i in conditions and g.needs_grad[i]:
            out.append((i, f"{this} is where's condition: it picks a side, the gradient goes to the chosen "
                           "side only, and nothing flows back to the condition"))
    return out


FLOAT_LIMIT = 2 ** 1024  # the first integer float64 cannot hold: path counts saturate here


def count_paths(ev: Evaluation, cap: int = FLOAT_LIMIT, carries=None) -> list:
    """Number of paths from the output down to each node, counting only edges with a local derivative
    (an edge into a constant argument carries none), or the edges `carries(ev, parent, k)` accepts
    (a tensor op's, whose Jacobian is not kept in ev.local): the number of terms of each chain rule.

    Exact Python integers below `cap`; a count that reaches it stays at `cap` (so a 10^5-step
    doubling chain does not add 10^5-bit integers 10^5 times: see log10_paths).
    """
    out, argss, local = ev.output, ev.graph.args, ev.local
    count = [0] * (out + 1)
    count[out] = 1
    for i in range(out, -1, -1):
        c, args = count[i], argss[i]
        if not c:
            continue
        if carries is None:
            ls = local[i]
            edges = () if ls is None else [a for a, d in zip(args, ls) if d is not None]
        else:
            edges = [a for k, a in enumerate(args) if carries(ev, i, k)]
        for a in edges:
            n = count[a] + c
            count[a] = n if n < cap else cap
    return count


def log10_paths(ev: Evaluation, stop: int = 0) -> list:
    """log10 of the number of paths to each node from the output down to node `stop`, in floats:
    the size of a count past FLOAT_LIMIT (2^100 000 is about 1e+30103)."""
    out, argss, local = ev.output, ev.graph.args, ev.local
    none = -math.inf
    lg = [none] * (out + 1)
    lg[out] = 0.0
    for i in range(out, stop - 1, -1):
        li, ls = lg[i], local[i]
        if li != none and ls is not None:
            for a, d in zip(argss[i], ls):
                if d is not None:
                    la = lg[a]
                    hi, lo = (la, li) if la > li else (li, la)
                    lg[a] = hi if lo == none else hi + math.log10(1.0 + 10.0 ** (lo - hi))
    return lg


def explain(ev: Evaluation, wrt=None, max_terms: int = MAX_TERMS, labels: Labels | None = None,
            nodes=None, count: list | None = None) -> Explanation:
    """Explain ∂output/∂name for each input, or for each name in `wrt` (inputs or assigned names),
    or for each node id in `nodes` (any node, named or not: the graph page's panel)."""
    g = ev.graph
    labels = labels or Labels(g)
    if nodes is None:
        names = list(g.inputs) if wrt is None else list(wrt)
        nodes = [g.named[name] for name in names]
    else:
        names = [labels.name(i) for i in nodes]
    count = count_paths(ev) if count is None else count
    huge = [t for t in nodes if t < len(count) and count[t] >= FLOAT_LIMIT]
    lg = log10_paths(ev, min(huge)) if huge else None
    targets = []
    for name, t in zip(names, nodes):
        n = count[t] if t < len(count) else 0
        terms = steps = None
        if n <= max_terms:
            terms = _terms(ev, labels, t, _reaches(ev, count, t)) if n else []
        else:
            steps = _steps(ev, labels, t, count, _reaches(ev, count, t))
        size = lg[t] if n >= FLOAT_LIMIT else (math.log10(n) if n else -math.inf)
        targets.append(Target(name, t, ev.grads[t], n, size, terms, steps))
    return Explanation(ev, labels, max_terms, targets)


def _reaches(ev: Evaluation, count: list, t: int) -> bytearray:
    """Which nodes between t and the output lead to t along edges that carry a local derivative."""
    argss, local = ev.graph.args, ev.local
    r = bytearray(len(count))
    if t < len(count):
        r[t] = 1
    for i in range(t + 1, len(count)):
        ls = local[i]
        if ls is not None and count[i]:
            for a, d in zip(argss[i], ls):
                if d is not None and r[a]:
                    r[i] = 1
                    break
    return r


def path_edges(link) -> list:
    """The (parent, k) edges of a path, output first, from the last link of a depth-first search's
    chain (each link is (previous link, parent, k): the paths share their prefixes)."""
    edges = []
    while link is not None:
        link, parent, k = link
        edges.append((parent, k))
    edges.reverse()
    return edges


def _terms(ev: Evaluation, labels: Labels, t: int, r: bytearray) -> list:
    """Every path from the output to t, depth first with the left argument first (the order the
    lecture writes them in).  Only called when their number is within the limit; every branch the
    search takes ends at t, so the work is the total length of the paths."""
    argss, local, out = ev.graph.args, ev.local, ev.output
    formulas = {}
    terms = []
    stack = [(out, None)]  # (node, link); a link is (previous link, parent, k): paths share prefixes
    while stack:
        i, link = stack.pop()
        if i == t:
            factors, product = [], 1.0
            for parent, k in path_edges(link):
                key = (parent, k)
                if key not in formulas:
                    formulas[key] = local_formula(ev, parent, k, labels.sym)
                value = local[parent][k]
                product *= value
                factors.append(Factor(parent, k, argss[parent][k], value, formulas[key]))
            nodes = (out,) + tuple(f.child for f in factors)
            terms.append(Term(nodes, tuple(factors), product))
            continue
        ls, args = local[i], argss[i]
        for k in range(len(args) - 1, -1, -1):  # pushed right to left, so the left argument comes first
            if ls[k] is not None and r[args[k]]:
                stack.append((args[k], (link, i, k)))
    return terms


def _steps(ev: Evaluation, labels: Labels, t: int, count: list, r: bytearray) -> list:
    """The factored form: for each node between the output and t, from the output down (the reverse
    sweep's order), its adjoint as the sum over its users of user's adjoint × local derivative.
    Users come in the order the sweep adds them, so each sum is the sweep's own sum."""
    argss, local, grads, out = ev.graph.args, ev.local, ev.grads, ev.output
    users: dict[int, list] = {}
    steps = []
    for i in range(out, t - 1, -1):
        if not (r[i] and count[i]):
            continue
        steps.append(Step(i, grads[i], tuple(users.pop(i, ()))))
        if i == t:
            break
        ls, gi = local[i], grads[i]
        for k, a in enumerate(argss[i]):
            d = ls[k]
            if d is not None and r[a]:
                users.setdefault(a, []).append(Use(i, k, gi, d, local_formula(ev, i, k, labels.sym), gi * d))
    return steps


def path_factors(ev: Evaluation, count: list) -> list:
    """For each node, the number of factors in all its paths together (the length of its written-out
    sum), in one pass like count_paths: what writing every path out would cost, before doing it."""
    out, argss, local, cap = ev.output, ev.graph.args, ev.local, FLOAT_LIMIT
    total = [0] * (out + 1)
    for i in range(out, -1, -1):
        c, ls = count[i], local[i]
        if c and ls is not None:
            for a, d in zip(argss[i], ls):
                if d is not None:
                    total[a] = min(total[a] + total[i] + c, cap)
    return total


def lecture_order(ev: Evaluation) -> list:
    """The output's subgraph from the output down, each node after all its users, the left branch
    first (e, c, a, d, b for the lecture's e = c*d): the order a lecture walks the backward pass in.

    Any order with each node after its users gives the same sums (cgrad's sweep goes down the tape);
    this one adds the lecture's shares in the order it writes them: ∂e/∂b = 2 + 3 = 5.
    """
    import heapq

    argss, out, reached, needs = ev.graph.args, ev.output, ev.reached, ev.graph.needs_grad
    rank, stack = {}, [out]
    while stack:  # depth first, left argument first: each node's rank is when the walk first meets it
        i = stack.pop()
        if i in rank:
            continue
        rank[i] = len(rank)
        stack.extend(a for a in reversed(argss[i]) if needs[a] and a not in rank)
    waiting = dict.fromkeys(rank, 0)
    for i in rank:
        for a in set(argss[i]):
            if a in waiting:
                waiting[a] += 1
    ready, order = [(0, out)], []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(i)
        for a in set(argss[i]):
            if a in waiting:
                waiting[a] -= 1
                if not waiting[a]:
                    heapq.heappush(ready, (rank[a], a))
    return [i for i in order if reached[i]]


def adjoint_steps(ev: Evaluation, labels: Labels, order=None) -> dict:
    """Every node's adjoint as the sum over its users: {node: Step}, one pass over `order` (down the
    tape by default; lecture_order(ev) for the lecture's order).

    The uses come in the order the nodes are visited, so stepping through them one by one is watching
    backprop accumulate: `∂e/∂b = 2·1 + 3·1 = 5`.  Only scalar edges (a local derivative that is a
    number) are listed; a tensor op's VJP has no factor to show.
    """
    argss, local, grads, needs = ev.graph.args, ev.local, ev.grads, ev.graph.needs_grad
    if order is None:
        order = [i for i in range(ev.output, -1, -1) if ev.reached[i]]
    uses: dict[int, list] = {}
    steps = {}
    for i in order:
        if not needs[i]:
            continue
        steps[i] = Step(i, grads[i], tuple(uses.pop(i, ())))
        ls, gi = local[i], grads[i]
        if ls is None:
            continue
        for k, a in enumerate(argss[i]):
            d = ls[k]
            if d is not None and needs[a] and not getattr(d, "shape", ()) and not getattr(gi, "shape", ()):
                uses.setdefault(a, []).append(Use(i, k, gi, d, local_formula(ev, i, k, labels.sym), gi * d))
    return steps


def count_text(n: int, log10_count: float | None = None) -> str:
    """A path count for people: exact up to 40 digits, else `about 2e+30103`."""
    if n.bit_length() <= 130:  # below 1.4e39: exact, and str() is cheap
        return str(n)
    exponent = math.log10(n) if log10_count is None or n < FLOAT_LIMIT else log10_count
    whole = math.floor(exponent)
    mantissa = 10 ** (exponent - whole)
    if round(mantissa, 2) >= 10:
        mantissa, whole = 1.0, whole + 1
    return f"about {mantissa:.3g}e+{whole}"


def count_json(n: int):
    """A path count for JSON, as `paths` in cgrad eval --json: an integer while float64 holds it
    exactly, a float when astronomical, null past float64."""
    if n < 2 ** 53:
        return n
    return float(n) if n < FLOAT_LIMIT else None
