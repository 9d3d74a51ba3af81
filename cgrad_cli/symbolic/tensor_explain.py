"""The chain rule of a tensor program, as the lecture's second half writes it: backprop multiplies
Jacobians along the graph.  For each input asked for, every path from the scalar output down to it,

    ∂C/∂W1 = ∂C/∂y · ∂y/∂z2 · ∂z2/∂a1 · ∂a1/∂z1 · ∂z1/∂W1

each factor with its shape (output.shape + input.shape, as `cgrad jacobian` lays it out) and its
structure (symbolic.jacobians: diagonal, full, the matrix itself, a 3-D tensor, ...), small ones in
full; then the numbers as reverse mode computes them: the row vector g = ∂C/∂node after each
vector-Jacobian product, down the path, ending at the path's share of the gradient.  A node used
by several calls (an RNN's shared weight) gets one term per use, labelled as `cgrad eval` labels
them, and their sum -- the gradient eval reports.

Reads an evaluated graph; the only arithmetic is the VJPs of the path (Evaluation.pull, the
backward sweep's own step) and the full Jacobians of factors with at most `show_elements` elements
(one VJP per output element).  A big Jacobian (784×100×784 in a classifier) is never built.
"""
from __future__ import annotations

import math

from ..core.autodiff import Evaluation, use_places
from ..core.ops import Jac
from ..core.records import record
from .explain import Labels, count_paths, path_edges
from .jacobians import cross_entropy, has_jacobian, local_jacobian

SHOW_ELEMENTS = 36  # a local Jacobian with at most this many elements is printed in full
MAX_PATHS = 64  # paths written out per input; past this, the uses and their sum only


@record
class Factor:
    """One edge of a path: the local Jacobian ∂parent/∂child, child being the parent's k-th argument."""
    parent: int
    k: int
    child: int
    shape: tuple  # parent's shape + child's shape
    jac: Jac
    full: object  # the Jacobian as an array of `shape`, when it has at most show_elements elements; else None


@record
class Step:
    """g = ∂out/∂node along the path, after the vector-Jacobian product into node."""
    node: int
    g: object  # a float or an array shaped like the node
    known: str | None  # the lecture's closed form where one applies (y − onehot(r))


@record
class Path:
    nodes: tuple  # node ids, output first
    factors: tuple  # Factor per edge, in backprop order
    steps: tuple  # Step per node: g at the output (1), then after each factor's VJP

    @property
    def contribution(self):
        """This path's share of the gradient: the last g."""
        return self.steps[-1].g


@record
class Use:
    """One use of the target (the k-th argument of `user`) and its share of the gradient."""
    user: int
    k: int
    place: str  # `cell(h1, xs[1])`, as cgrad eval labels uses
    share: object


@record
class Target:
    name: str
    node: int
    shape: tuple
    gradient: object  # ∂out/∂name, as cgrad eval reports it
    count: int  # paths from the output to the node along edges that carry a gradient (capped past max_paths)
    paths: list | None  # written out when count <= max_paths
    uses: list  # one entry per use when the node has several, else empty


@record
class TensorExplanation:
    ev: Evaluation
    labels: Labels
    show_elements: int
    max_paths: int
    targets: list

    def mentioned(self) -> list:
        """Every node the working names, in tape order (the output, the targets, every node of a path)."""
        seen = {self.ev.output}
        for t in self.targets:
            seen.add(t.node)
            for p in t.paths or ():
                seen.update(p.nodes)
            seen.update(u.user for u in t.uses)
        return sorted(seen)

    def where(self) -> list:
        """The generated names (v1, v2, ...) the working uses, with those their definitions use."""
        g, labels = self.ev.graph, self.labels
        todo = [i for i in self.mentioned() if labels.generated(i)]
        found = set(todo)
        while todo:
            for a in g.args[todo.pop()]:
                if a not in found and labels.generated(a):
                    found.add(a)
                    todo.append(a)
        return sorted(found)


def explain_tensors(ev: Evaluation, wrt=None, show_elements: int = SHOW_ELEMENTS, max_paths: int = MAX_PATHS,
                    labels: Labels | None = None) -> TensorExplanation:
    """Explain ∂output/∂name for each name in `wrt`, default every input a gradient reaches."""
    g = ev.graph
    labels = labels or Labels(g)
    count = count_paths(ev, max_paths + 1, has_jacobian)
    if wrt is None:
        wrt = [name for name, i in g.inputs.items() if i < len(count) and count[i]]
    targets = []
    for name in wrt:
        t = g.named[name]
        n = count[t] if t < len(count) else 0
        paths = _paths(ev, labels, t, count, show_elements) if 0 < n <= max_paths else None
        uses = ev.uses(t) if n else []
        places = use_places(g, uses)
        uses = [Use(j, k, place, share) for (j, k, share), place in zip(uses, places)] if len(uses) > 1 else []
        targets.append(Target(name, t, tuple(ev.shapes[t]), ev.grad(t), n, paths if n else [], uses))
    return TensorExplanation(ev, labels, show_elements, max_paths, targets)


def _paths(ev: Evaluation, labels: Labels, t: int, count: list, show_elements: int) -> list:
    """Every path from the output to t, the left argument first, as the scalar explain lists them."""
    argss, out = ev.graph.args, ev.output
    reaches = _reaches(ev, count, t)
    factors: dict = {}  # (parent, k) -> Factor: an edge on several paths is described once
    paths, stack = [], [(out, None)]
    while stack:
        i, link = stack.pop()
        if i == t:
            fs = []
            for parent, k in path_edges(link):
                if (parent, k) not in factors:
                    factors[parent, k] = _factor(ev, labels, parent, k, show_elements)
                fs.append(factors[parent, k])
            paths.append(_path(ev, (out,) + tuple(f.child for f in fs), tuple(fs)))
            continue
        args = argss[i]
        for k in range(len(args) - 1, -1, -1):
            if reaches[args[k]] and has_jacobian(ev, i, k):
                stack.append((args[k], (link, i, k)))
    return paths


def _reaches(ev: Evaluation, count: list, t: int) -> bytearray:
    """Which nodes between t and the output lead down to t along edges that carry a gradient."""
    argss = ev.graph.args
    r = bytearray(len(count))
    r[t] = 1
    for i in range(t + 1, len(count)):
        if count[i] and any(r[a] and has_jacobian(ev, i, k) for k, a in enumerate(argss[i])):
            r[i] = 1
    return r


def _factor(ev: Evaluation, labels: Labels, parent: int, k: int, show_elements: int) -> Factor:
    child = ev.graph.args[parent][k]
    shape = tuple(ev.shapes[parent]) + tuple(ev.shapes[child])
    jac = local_jacobian(ev, parent, k, labels.sym)
    full = ev.local_matrix(parent, k) if math.prod(shape) <= show_elements else None
    return Factor(parent, k, child, shape, jac, full)


def _path(ev: Evaluation, nodes: tuple, factors: tuple) -> Path:
    g = 1.0
    steps = [Step(nodes[0], g, None)]
    for n, f in enumerate(factors, 1):
        g = ev.pull(f.parent, f.k, g)
        steps.append(Step(f.child, g, cross_entropy(ev, nodes[:n + 1]) if n == 4 or n == 3 else None))
    return Path(nodes, factors, tuple(steps))
