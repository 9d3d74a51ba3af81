"""Source-to-source differentiation: the reverse sweep run over formulas instead of numbers.

`derivatives(graph, ["x"])` walks the tape forward building each node's formula
(an expr.Expr), then backward applying the same derivative rules as
autodiff.backward, with the namespace `m` an `Exprs` space: the adjoints come
out as formulas, simplified as they are built.  The result is itself a
program (notation.to_program), so a second derivative is the same pass
run again on it.
"""
from __future__ import annotations

from ..core.autodiff import forward, lookup, output_node
from ..core.ops import apply
from ..errors import CgradError
from .expr import Exprs
from ..core.graph import Graph
from ..core.parsing import parse
from .notation import to_program


def derivatives(graph: Graph, wrt, output: str | None = None, keep: bool = False,
                space: Exprs | None = None) -> dict:
    """{name: ∂output/∂name as a formula} for each name in `wrt` (inputs or assigned names).

    With `keep`, named intermediates (c = a+b) stay as their names in the
    formulas instead of being written out.
    """
    out = output_node(graph, output)
    targets = {name: lookup(graph, name, "--wrt") for name in wrt}
    m = space or Exprs(order=list(graph.inputs))
    ops, argss, names, needs = graph.ops, graph.args, graph.names, graph.needs_grad
    e = [None] * (out + 1)
    for i in range(out + 1):
        op = ops[i].name
        if op == "input":
            e[i] = m.var(names[i])
        elif op == "const":
            e[i] = m.num(graph.consts[i])
        elif keep and names[i] is not None and i != out:
            e[i] = m.var(names[i])
        else:
            e[i] = apply(m, op, [e[a] for a in argss[i]])
    adjoint: list = [None] * (out + 1)
    adjoint[out] = m.num(1.0)
    for i in range(out, -1, -1):
        gi = adjoint[i]
        if gi is None or not argss[i]:
            continue
        xs = [e[a] for a in argss[i]]
        for rule, a in zip(ops[i].partials, argss[i]):
            if needs[a] or a in targets.values():
                term = m.mul(gi, rule(m, e[i], *xs))
                adjoint[a] = term if adjoint[a] is None else m.add(adjoint[a], term)
    zero = m.num(0.0)
    return {name: adjoint[i] if i <= out and adjoint[i] is not None else zero for name, i in targets.items()}


def as_program(exprs: dict, graph: Graph) -> Graph:
    """Formulas -> a parsed program with one statement per formula (for evaluating or differentiating again)."""
    text = to_program(exprs, reserved=graph.named)
    try:
        return parse(text)
    except CgradError as e:  # a printer bug, not a user error
        raise RuntimeError(f"cgrad printed a derivative it cannot read back: {e.message}\n{text}") from e


def value_at(expr_program: Graph, target: str, inputs: dict) -> float:
    """The value of statement `target` of a derivative program at `inputs` (only the inputs it uses)."""
    values = forward(expr_program, {name: inputs[name] for name in expr_program.inputs})
    return values[expr_program.named[target]]
