"""Each edge's Jacobian description (symbolic.jacobians) against the Jacobian itself.

For every tensor op's examples in the op table and elementwise ops over arrays, the structure a
description claims must hold of the numbers: the identity is I, a diagonal one has zeros off its
diagonal, `the matrix itself: W` equals W's value, a selection holds one 1 per row, a permutation
one per row and column, a tensor has 3 axes or more.  The full Jacobian comes from one VJP per
output element (Evaluation.local_matrix) and is checked against finite differences here too.
"""
from __future__ import annotations

import numpy as np
import pytest

from cgrad_cli import parse
from cgrad_cli.core.autodiff import backward, forward
from cgrad_cli.core.ops import OPS
from cgrad_cli.symbolic.explain import Labels
from cgrad_cli.symbolic.jacobians import KIND_WORDS, has_jacobian, local_jacobian, words

ELEMENTWISE = [("sin(x)", {"x": (3,)}), ("x*y", {"x": (3,), "y": (3,)}), ("x*s", {"x": (3,), "s": ()}),
               ("sigmoid(z)", {"z": (2, 2)}), ("x + y", {"x": (2,), "y": (2,)}), ("x - y", {"x": (2,), "y": (2,)})]
CASES = [(name, program, shapes) for name, op in OPS.items() for program, shapes in op.examples] + \
        [("elementwise", program, shapes) for program, shapes in ELEMENTWISE]


def evaluated(program: str, shapes: dict, seed: int, fixed=None):
    rng = np.random.default_rng(seed)
    graph = parse(program)
    inputs = {n: rng.uniform(0.5, 1.5, s).tolist() if s else float(rng.uniform(0.5, 1.5)) for n, s in shapes.items()}
    inputs.update(fixed or {})
    values = forward(graph, inputs)
    out = graph.output
    seed_g = np.ones(np.shape(values[out])) if np.shape(values[out]) else None
    return graph, backward(graph, values, out, seed_g)


def numeric(graph, ev, parent: int, k: int, h: float = 1e-6):
    """∂parent/∂arg_k by central differences of the op's own forward function."""
    from cgrad_cli.core.ops import array_namespace

    f = getattr(array_namespace(), graph.ops[parent].name)
    xs = [np.array(ev.values[a], dtype=float) for a in graph.args[parent]]
    params = graph.params.get(parent, {})
    out = np.shape(ev.values[parent])
    jac = np.zeros(out + xs[k].shape)
    for idx in np.ndindex(xs[k].shape):
        up, down = [x.copy() for x in xs], [x.copy() for x in xs]
        up[k][idx] += h
        down[k][idx] -= h
        jac[(...,) + idx] = (np.asarray(f(*up, **params)) - np.asarray(f(*down, **params))) / (2 * h)
    return jac


@pytest.mark.parametrize("name,program,shapes", CASES, ids=[f"{n}:{p}" for n, p, _ in CASES])
def test_description_matches_the_jacobian(name, program, shapes):
    graph, ev = evaluated(program, shapes, 7)
    labels = Labels(graph)
    checked = 0
    for parent in range(len(graph)):
        for k, a in enumerate(graph.args[parent]):
            if not has_jacobian(ev, parent, k) or graph.ops[parent].name in ("input", "const"):
                continue
            jac = local_jacobian(ev, parent, k, labels.sym)
            full = ev.local_matrix(parent, k)
            shape = np.shape(ev.values[parent]) + np.shape(ev.values[a])
            assert jac.kind in KIND_WORDS and full.shape == shape
            assert words(jac, shape)
            if graph.ops[parent].name != "getitem" or not graph.params[parent]["key"].count(None):
                np.testing.assert_allclose(full, numeric(graph, ev, parent, k), rtol=1e-5, atol=1e-6)
            _check_structure(graph, ev, labels, jac, full)
            checked += 1
    assert checked


def _check_structure(graph, ev, labels, jac, full):
    n_out = int(np.prod(full.shape[:len(full.shape) - len(np.shape(full))] or (1,)))
    square = full.reshape(int(np.sqrt(full.size)), -1) if int(np.sqrt(full.size)) ** 2 == full.size else None
    if jac.kind == "identity":
        np.testing.assert_array_equal(square, np.eye(len(square)))
    elif jac.kind == "diagonal":
        assert np.count_nonzero(square - np.diag(np.diag(square))) == 0
    elif jac.kind == "matrix":
        name, transposed = jac.formula.rstrip("ᵀ"), jac.formula.endswith("ᵀ")
        node = next(i for i in range(len(graph)) if labels.sym(i)._wrap(100) == name)
        value = np.array(ev.values[node])
        np.testing.assert_allclose(full, value.T if transposed else value)
    elif jac.kind in ("selection", "permutation"):
        flat = full.reshape(-1, full.shape[-1]) if full.ndim > 1 else full.reshape(1, -1)
        assert set(np.unique(full)) <= {0.0, 1.0}
        if jac.kind == "permutation":
            flat = full.reshape(int(np.sqrt(full.size)), -1)
            assert (flat.sum(0) == 1).all() and (flat.sum(1) == 1).all()
    elif jac.kind == "tensor":
        assert full.ndim >= 3
    elif jac.kind in ("row", "scalar"):
        assert ev.shapes[graph.output] == () or full.ndim <= 1
    elif jac.kind == "full":
        assert full.ndim == 2 and full.shape[0] == full.shape[1]
        assert np.count_nonzero(full - np.diag(np.diag(full)))  # not diagonal: that is the point
    assert n_out >= 1


def test_the_lecture_descriptions():
    """The words the issue asks for, on the classifier's edges."""
    graph, ev = evaluated("z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1; y = softmax(z2); C = -log(y[r])",
                          {"W1": (3, 4), "x": (4,), "b1": (3,), "W2": (2, 3)}, 1, {"r": 1})
    labels = Labels(graph)
    n = graph.named

    def said(parent, child):
        k = graph.args[parent].index(child)
        jac = local_jacobian(ev, parent, k, labels.sym)
        return words(jac, ev.shapes[parent] + ev.shapes[child]), jac.vjp

    matmul2 = n["z2"]
    assert said(matmul2, n["W2"]) == ("a 3-D tensor: δ_ij a1_k", "g ⊗ a1 (outer)")
    assert said(matmul2, n["a1"]) == ("the matrix itself: W2", "W2ᵀ g")
    assert said(n["a1"], n["z1"]) == ("diagonal: a1*(1 - a1)", "g ⊙ a1*(1 - a1)")
    assert said(n["y"], n["z2"])[0] == "full: diag(y) − y yᵀ"
    pick = graph.args[graph.args[n["C"]][0]][0]
    assert said(pick, n["y"])[0] == "a selection: onehot(r) (a one-hot row)"
