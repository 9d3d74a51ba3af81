"""Full Jacobians by reverse mode: one backward sweep per element of the output.

A sweep seeded with the one-hot array e_k (∂out/∂out = e_k) gives row k of
every Jacobian at once -- ∂out[k]/∂x for all the inputs -- so an output of n
elements costs one forward pass and n backward sweeps, however large the inputs.
Each Jacobian is laid out output.shape + input.shape, as torch and JAX do.
"""
from __future__ import annotations

import math

from . import budget
from .autodiff import backward, forward, output_node, planned_shapes, wrt_nodes
from .graph import Graph
from .ops import load_numpy, shape_text

LAYOUT = "output.shape + input.shape (torch, JAX); SymPy puts the input index first"


class Jacobians:
    """∂output/∂name for each name asked for, each an array shaped output.shape + name.shape."""

    def __init__(self, graph: Graph, output: int, value, jacobians: dict, shapes: dict, warnings: list):
        self.graph = graph
        self.output = output  # the node differentiated
        self.value = value  # its value: a numpy array (0-d for a scalar)
        self.jacobians = jacobians  # name -> array of shape self.shape + shapes[name], in --wrt order
        self.shapes = shapes  # name -> the shape of that name's value
        self.warnings = warnings  # (node id, message) for each kink met, as Evaluation.warnings

    @property
    def output_name(self) -> str:
        return self.graph.label(self.output)

    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def sweeps(self) -> int:
        """Backward sweeps made: one per output element."""
        return self.value.size


def jacobian(graph: Graph, inputs: dict, output: str | None = None, wrt=None) -> Jacobians:
    """The Jacobian of `output` (default: the last statement) with respect to each name in `wrt`
    (default: every input), at `inputs`."""
    np = load_numpy()
    out = output_node(graph, output)
    names = list(graph.inputs) if wrt is None else list(dict.fromkeys(wrt))
    nodes = wrt_nodes(graph, names)
    planned = planned_shapes(graph, inputs) or [()] * len(graph)  # refused before the forward pass
    size = math.prod(planned[out])
    budget.check("elements", size * sum(math.prod(planned[i]) for i in nodes.values()),
                 f"the Jacobian of {graph.label(out)} (a {shape_text(planned[out])} output) with respect to "
                 + ", ".join(f"{name} ({'×'.join(map(str, planned[out] + planned[i])) or 'a number'})"
                             for name, i in nodes.items()))
    values = forward(graph, inputs)
    shapes = {name: np.shape(values[i]) for name, i in nodes.items()}
    value = np.asarray(values[out], dtype=float)
    jac = {name: np.zeros(value.shape + shapes[name]) for name in nodes}
    warnings = None
    for k in np.ndindex(value.shape):  # () once for a scalar output
        seed = None
        if value.shape:
            seed = np.zeros(value.shape)
            seed[k] = 1.0
        ev = backward(graph, values, out, seed)
        if warnings is None:
            warnings = ev.warnings  # the same kinks on every sweep: which nodes are reached does not depend on k
        for name, i in nodes.items():
            jac[name][k] = ev.grad(i)
    return Jacobians(graph, out, value, jac, shapes, warnings or [])
