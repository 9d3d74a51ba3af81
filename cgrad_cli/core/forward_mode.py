"""Forward mode: one sweep up the tape per input, carrying tangents ∂node/∂x.

Reverse mode (autodiff.backward) sweeps down the tape once per output and gets
∂out/∂node for every node: the gradient with respect to all inputs at once.
Forward mode sweeps up the tape once per input x and gets ∂node/∂x for every
node: the derivative of all outputs with respect to that one input.  Both use
the same local-derivative rules of ops.py; only the order in which the chain
rule multiplies them differs:

    tangent(node) = Σ_k ∂node/∂arg_k · tangent(arg_k)      (forward, up the tape)
    adjoint(arg)  = Σ_parents adjoint(parent) · ∂parent/∂arg  (reverse, down the tape)

So one output and many inputs favour reverse mode (1 sweep instead of n), and
one input and many outputs favour forward mode.  `trace()` runs both and puts
them side by side for `cgrad trace`.
"""
from __future__ import annotations

import math

from . import budget
from .autodiff import Evaluation, _domain_error, backward, forward, output_node, wrt_nodes
from ..errors import InputError, MathDomainError
from .graph import Graph, gc_paused
from .ops import NUMERIC, array_namespace, load_numpy, shape_text


def tangents(graph: Graph, values: list, wrt_node: int) -> list:
    """Forward mode from node `wrt_node`: ∂node/∂wrt_node for every node, in one sweep up the tape.

    `values` are the node values from `forward()`.  The node itself is seeded
    with tangent 1 and treated as independent; nodes that do not depend on it
    get 0.  A local derivative is only computed for an argument that depends on
    `wrt_node` (its tangent is structurally non-zero), as backward() only
    computes those for arguments that depend on an input.
    """
    n, ops, argss, v = len(graph), graph.ops, graph.args, values
    if not 0 <= wrt_node < n:
        raise IndexError(f"node {wrt_node} is not on the tape (0..{n - 1})")
    t, dep = [0.0] * n, [False] * n
    t[wrt_node], dep[wrt_node] = 1.0, True
    m = NUMERIC
    i = wrt_node
    try:
        with gc_paused():
            for i in range(wrt_node + 1, n):
                args = argss[i]
                if len(args) == 2:  # the common case, spelled out: this loop is the hot path
                    a, b = args
                    da, db = dep[a], dep[b]
                    if not (da or db):
                        continue
                    partials, o, x, y = ops[i].partials, v[i], v[a], v[b]
                    s = partials[0](m, o, x, y) * t[a] if da else 0.0
                    if db:
                        s += partials[1](m, o, x, y) * t[b]
                    t[i], dep[i] = s, True
                elif args:
                    if len(args) == 1:
                        a = args[0]
                        if dep[a]:
                            t[i], dep[i] = ops[i].partials[0](m, v[i], v[a]) * t[a], True
                    elif any(dep[a] for a in args):
                        xs = [v[a] for a in args]
                        t[i] = sum(rule(m, v[i], *xs) * t[a] for rule, a in zip(ops[i].partials, args) if dep[a])
                        dep[i] = True
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        raise _tangent_error(graph, v, dep, i, e) from None
    if not math.isfinite(sum(t)) and not all(map(math.isfinite, t)):
        i = next(i for i in range(n) if not math.isfinite(t[i]))
        raise MathDomainError(f"the tangent ∂node/∂{graph.label(wrt_node)} overflows float64 at "
                              f"{graph.text(i, 48)}", source=graph.source, span=graph.spans[i], node=i)
    return t


def tensor_tangents(ev: Evaluation, wrt_node: int) -> list:
    """Forward mode over arrays: ∂node/∂x for every node, each shaped node.shape + x.shape (x = wrt_node),
    in one sweep up the tape carrying all of x's directions at once.

    tangent(node) = Σ_k ∂node/∂arg_k · tangent(arg_k): an elementwise op multiplies by its local
    derivative (its Jacobian is diagonal: the same rules as backward), a tensor op by its local
    Jacobian, built from its vector-Jacobian rule one output element at a time (Evaluation.local_matrix).
    """
    np = load_numpy()
    graph, v = ev.graph, ev.values
    ops, argss = graph.ops, graph.args
    xshape = tuple(np.shape(v[wrt_node]))
    x = graph.label(wrt_node)
    budget.check("elements", sum(math.prod(np.shape(value) + xshape) for value in v),  # every tangent is kept
                 f"forward mode's tangents ∂node/∂{x} (each node's shape × {shape_text(xshape)}, for "
                 f"{len(v)} nodes)", hint=f"trace fewer inputs (--wrt), use cgrad eval (reverse mode) or cgrad "
                                          "jacobian, or raise the budget with --max-elements N")
    t: list = [None] * len(graph)
    t[wrt_node] = np.eye(max(1, math.prod(xshape))).reshape(xshape + xshape)
    m = array_namespace()
    i = wrt_node
    try:
        with np.errstate(all="raise", under="ignore"):
            for i in range(wrt_node + 1, len(graph)):
                args = argss[i]
                if not any(t[a] is not None for a in args):
                    continue
                shape = tuple(np.shape(v[i]))
                total = np.zeros(shape + xshape)
                xs = [v[a] for a in args]
                for k, a in enumerate(args):
                    if t[a] is None or (ops[i].indices is not None and k >= ops[i].indices):
                        continue
                    if ops[i].vjp is not None:
                        total = total + np.tensordot(ev.local_matrix(i, k), t[a], axes=np.ndim(v[a]))
                    else:
                        rules = ops[i].partials
                        d = np.asarray(rules[k](m, v[i], *xs), dtype=float)
                        lift = (slice(None),) * len(shape) + (None,) * len(xshape)
                        ta = t[a].reshape((1,) * (len(shape) - np.ndim(v[a])) + t[a].shape)
                        total = total + np.broadcast_to(d, shape)[lift] * ta
                if not np.isfinite(total).all():  # pow(x, 0.5) at 0: a rule's where() gave inf, raising nothing
                    raise FloatingPointError("a tangent is not finite")
                t[i] = total
    except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError) as e:
        raise _domain_error(graph, v, i, e, derivative=f"with respect to {graph.label(wrt_node)}") from None
    return [np.zeros(tuple(np.shape(x)) + xshape) if tan is None else tan for x, tan in zip(v, t)]


def _tangent_error(graph: Graph, v: list, dep: list, i: int, e: Exception) -> MathDomainError:
    """Which of node i's local derivatives failed, said in the user's terms (as backward says it)."""
    op, args = graph.ops[i], graph.args[i]
    xs = [v[a] for a in args]
    for rule, a in zip(op.partials, args):
        if not dep[a]:
            continue
        try:
            rule(NUMERIC, v[i], *xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            return _domain_error(graph, v, i, e, derivative=f"with respect to {graph.label(a)}")
    return _domain_error(graph, v, i, e)


class Trace:
    """Both modes over one tape: values, a tangent per node per input, an adjoint per node."""

    def __init__(self, evaluation: Evaluation, wrt: list, tangents: dict):
        self.evaluation = evaluation  # forward values and reverse mode (adjoints = evaluation.grads)
        self.graph = evaluation.graph
        self.wrt = wrt  # the names differentiated with respect to, in order
        self.tangents = tangents  # name -> [∂node/∂name for each node]: one forward sweep each

    @property
    def sweeps(self) -> dict:
        """Sweeps each mode needed for every requested derivative: one per input, one per output."""
        return {"forward": len(self.wrt), "reverse": 1}

    @property
    def adjoints(self) -> list:
        return self.evaluation.grads

    @property
    def tensor(self) -> bool:
        """Values, tangents and adjoints are arrays (a tangent shaped node.shape + input.shape)."""
        return self.evaluation.shapes is not None

    def adjoint(self, i: int):
        """∂out/∂node, shaped like the node."""
        return self.evaluation.grad(i) if self.tensor else self.evaluation.grads[i]

    def forward_gradients(self) -> dict:
        """{name: ∂out/∂name} read off the output's tangent in each forward sweep."""
        out = self.evaluation.output
        return {name: self.tangents[name][out] for name in self.wrt}

    def reverse_gradients(self) -> dict:
        """{name: ∂out/∂name} read off the adjoints of the one reverse sweep."""
        return self.evaluation.gradients(self.wrt)

    def agreement(self) -> dict:
        """{name: do both modes give the same ∂out/∂name, up to rounding?}"""
        fw, rv = self.forward_gradients(), self.reverse_gradients()
        if self.tensor:
            np = load_numpy()
            return {name: bool(np.allclose(fw[name], rv[name], rtol=1e-9, atol=1e-12)) for name in self.wrt}
        return {name: agree(fw[name], rv[name]) for name in self.wrt}

    @property
    def agree(self) -> bool:
        return all(self.agreement().values())


def agree(a: float, b: float) -> bool:
    """Equal up to rounding: the two modes add the same products in a different order."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def trace(graph: Graph, inputs: dict, output: str | None = None, wrt=None) -> Trace:
    """Forward values, one forward-mode sweep per name in `wrt` (default: every input) and one
    reverse-mode sweep from `output` (default: the last statement)."""
    out = output_node(graph, output)
    names = list(graph.inputs) if wrt is None else list(dict.fromkeys(wrt))
    wrt_nodes(graph, names)
    values = forward(graph, inputs)
    ev = backward(graph, values, out)
    if ev.shapes is not None:
        if not ev.differentiated:
            name = graph.label(out)
            raise InputError(f"cgrad trace needs a scalar output for its reverse sweep: {name} is a "
                             f"{shape_text(ev.shapes[out])}", hint=f"reduce it (sum({name})), or use cgrad "
                                                                   "jacobian PROGRAM --wrt NAME for its Jacobian")
        return Trace(ev, names, {name: tensor_tangents(ev, graph.named[name]) for name in names})
    return Trace(ev, names, {name: tangents(graph, values, graph.named[name]) for name in names})
