"""Each tensor edge's local Jacobian in the lecture's words: its shape, its structure and what
backprop does with it (ops.Jac) -- diagonal for an elementwise op (the diagonal shown), full for
softmax (diag(y) − y yᵀ), the matrix itself for ∂(W@a)/∂a = W, a 3-D tensor for ∂(W@x)/∂W.

Tensor ops declare theirs in the op table (Op.jacobian); an elementwise op's is derived here from
its derivative rule run over text, so a new op of either kind is described without a line here.
explain, the eval tree and the graph all read these descriptions; nothing is computed but text.
"""
from __future__ import annotations

from ..core.autodiff import Evaluation
from ..core.ops import Arg, Jac, shape_text
from ..core.show import number
from .explain import local_formula
from .text import Sym

_ATOM = 100

# How each kind of Jacobian is said, before its formula.
KIND_WORDS = {
    "scalar": "a number", "identity": "the identity", "diagonal": "diagonal", "broadcast": "a broadcast",
    "full": "full", "matrix": "the matrix itself", "row": "a row vector", "tensor": "a tensor",
    "selection": "a selection", "sum": "a sum", "permutation": "a permutation",
}


def has_jacobian(ev: Evaluation, parent: int, k: int) -> bool:
    """Does a gradient flow along the edge: the argument depends on an input and is not an index?"""
    g = ev.graph
    op, a = g.ops[parent], g.args[parent][k]
    return g.needs_grad[a] and (op.indices is None or k < op.indices) and not op.cuts and op.name != "onehot"


def local_jacobian(ev: Evaluation, parent: int, k: int, atom) -> Jac | None:
    """∂parent/∂arg_k described; `atom(node)` is the node's label as a Sym (Labels.sym).  None for an
    edge that carries no gradient (an index, a constant)."""
    if not has_jacobian(ev, parent, k):
        return None
    g = ev.graph
    op, args, shapes = g.ops[parent], g.args[parent], ev.shapes
    if op.jacobian is not None:
        def arg(i):
            return Arg(atom(i)._wrap(_ATOM), tuple(shapes[i]))

        return op.jacobian(k, arg(parent), *map(arg, args), **g.params.get(parent, {}))
    formula = local_formula(ev, parent, k, atom)
    text = (formula.text if isinstance(formula, Sym) else number(formula) if formula is not None else
            "its local derivative")
    factor = formula._wrap(20) if isinstance(formula, Sym) else text if not text.startswith("-") else f"({text})"
    out, a = tuple(shapes[parent]), tuple(shapes[args[k]])
    if not out:
        return Jac("scalar", text, f"g·{factor}")
    if out != a:
        return Jac("broadcast", f"{text}, with {atom(args[k])._wrap(_ATOM)} broadcast to {shape_text(out)}",
                   f"g ⊙ {factor}, summed back to {shape_text(a)}")
    if formula == 1.0:
        return Jac("identity", "I", "g")
    return Jac("diagonal", text, f"g ⊙ {factor}")


def words(jac: Jac, shape: tuple) -> str:
    """`diagonal: a1*(1 - a1)`, `a 3-D tensor: δ_ij x_k`: the structure, then the formula."""
    kind = f"a {len(shape)}-D tensor" if jac.kind == "tensor" else KIND_WORDS.get(jac.kind, jac.kind)
    if jac.kind == "identity" or jac.formula == kind:
        return kind
    return f"{kind}: {jac.formula}"


def cross_entropy(ev: Evaluation, nodes) -> str | None:
    """`y − onehot(r)`: the closed form the lecture gives for ∂C/∂z when the path runs C = -log(y[r]),
    y = softmax(z) (or C = -log_softmax(z)[r]); `nodes` is the path from the output down to z."""
    g = ev.graph
    ops = [g.ops[i].name for i in nodes]
    if ops[:4] == ["neg", "log", "getitem", "softmax"] and len(nodes) >= 5:
        y, pick = nodes[3], nodes[2]
        probs = g.label(y, 24)
    elif ops[:3] == ["neg", "getitem", "log_softmax"] and len(nodes) >= 4:
        pick, probs = nodes[1], f"softmax({g.label(nodes[3], 24)})"
    else:
        return None
    args, key = g.args[pick], g.params.get(pick, {}).get("key", ())
    if len(key) != 1 or ev.shapes[args[0]].__len__() != 1:
        return None
    index = g.label(args[1]) if key[0] is None else str(key[0])
    return f"{probs} − onehot({index})"


_SAID = {"full": " (full)", "matrix": " (the matrix itself)", "row": " (a row)", "permutation": " (a permutation)"}


def tensor_edge_text(ev: Evaluation, parent: int, k: int) -> str | None:
    """A tensor op's edge in the eval tree: `g ⊗ a1 (outer)` for a 3-D Jacobian (backprop applies it,
    never builds it), else the Jacobian: `diag(y) − y yᵀ (full)`, `onehot(r) (a one-hot row)`, `W2 (the
    matrix itself)`.  None for an elementwise op (the tree shows its local derivative's value) or an
    edge without a gradient."""
    g = ev.graph
    if g.ops[parent].vjp is None or ev.shapes is None:
        return None
    jac = local_jacobian(ev, parent, k, lambda i: _source_sym(g, i))
    if jac is None:
        return None
    if jac.kind == "tensor":
        return jac.vjp
    return jac.formula + _SAID.get(jac.kind, "")


def _source_sym(g, i: int) -> Sym:
    """A node as the tree calls it: its name, else its source text (binding as its op does)."""
    return Sym(g.label(i, 24), g.ops[i].precedence if g.names[i] is None else _ATOM)


def closed_forms(ev: Evaluation) -> dict:
    """{node: formula} for gradients the lecture writes in closed form: ∂C/∂z = y − onehot(r) when
    C = -log(softmax(z)[r]) (or -log_softmax(z)[r]) and z reaches C along that path alone."""
    g = ev.graph
    if not ev.differentiated or ev.shapes is None:
        return {}
    nodes, i = [ev.output], ev.output
    while len(nodes) < 5 and g.args[i]:
        i = g.args[i][0]
        nodes.append(i)
    for n in (4, 3):
        if len(nodes) > n and ev.paths[nodes[n]] == 1:
            text = cross_entropy(ev, nodes[:n + 1])
            if text is not None:
                return {nodes[n]: text}
    return {}
