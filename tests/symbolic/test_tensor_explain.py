"""`cgrad explain` on tensor programs (symbolic/tensor_explain.py): the chains of Jacobians must be the
real thing.  Multiplying a path's Jacobians (each built from VJPs and checked against finite
differences in test_jacobians.py) gives the path's contribution; the contributions, or the uses'
shares, add up to the gradient `cgrad eval` computes; the lecture's names, shapes and structures
appear in backprop order.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cgrad_cli import evaluate, parse
from cgrad_cli.core.ops import OPS
from cgrad_cli.symbolic.tensor_explain import explain_tensors

ROOT = Path(__file__).resolve().parents[2]


def example(name: str):
    graph = parse((ROOT / "examples" / f"{name}.cg").read_text())
    inputs = json.loads((ROOT / "examples" / f"{name}.inputs.json").read_text())
    return graph, inputs


def chain_product(path):
    """The Jacobians of a path multiplied in backprop order: a row vector times each factor in turn."""
    g = np.asarray(1.0)
    for f in path.factors:
        child_ndim = len(f.shape) - np.ndim(g)
        g = np.tensordot(g, f.full, axes=np.ndim(g)) if np.ndim(g) else g * f.full
        assert np.ndim(g) == child_ndim
    return g


def check(ex):
    """Every path's chain of Jacobians multiplies out to its contribution; contributions and uses add up
    to eval's gradient."""
    for t in ex.targets:
        if t.paths is not None:
            total = sum(np.asarray(p.contribution) for p in t.paths) if t.paths else 0.0
            np.testing.assert_allclose(total, t.gradient, rtol=1e-10, atol=1e-12)
            for p in t.paths:
                assert len(p.steps) == len(p.factors) + 1 and p.nodes[-1] == t.node
                if all(f.full is not None for f in p.factors):
                    np.testing.assert_allclose(chain_product(p), p.contribution, rtol=1e-9, atol=1e-12)
                for step in p.steps:
                    assert np.shape(step.g) == tuple(ex.ev.shapes[step.node])
        if t.uses:
            np.testing.assert_allclose(sum(np.asarray(u.share) for u in t.uses), t.gradient, rtol=1e-10, atol=1e-12)


def test_classifier_chain_in_backprop_order():
    graph, inputs = example("classifier")
    ev = evaluate(graph, inputs)
    ex = explain_tensors(ev, ["W1", "b2", "r"], show_elements=1000)
    check(ex)
    w1, b2, r = ex.targets
    (path,) = w1.paths
    d = [f"∂{ex.labels.d(f.parent)}/∂{ex.labels.d(f.child)}" for f in path.factors]
    assert d == ["∂C/∂(log(y[r]))", "∂(log(y[r]))/∂(y[r])", "∂(y[r])/∂y", "∂y/∂z2", "∂z2/∂(W2 @ a1)",
                 "∂(W2 @ a1)/∂a1", "∂a1/∂z1", "∂z1/∂(W1 @ x)", "∂(W1 @ x)/∂W1"]
    assert [f.shape for f in path.factors] == [(), (), (3,), (3, 3), (3, 3), (3, 3), (3, 3), (3, 3), (3, 3, 4)]
    assert [f.jac.kind for f in path.factors] == ["scalar", "scalar", "selection", "full", "identity", "matrix",
                                                  "diagonal", "identity", "tensor"]
    np.testing.assert_array_equal(path.factors[5].full, inputs["W2"])  # ∂(W2 @ a1)/∂a1 = W2
    # ∂C/∂z2 = y − onehot(r), said and true
    z2 = next(s for s in path.steps if s.node == graph.named["z2"])
    assert z2.known == "y − onehot(r)"
    np.testing.assert_allclose(z2.g, ev.values[graph.named["y"]] - np.eye(3)[inputs["r"]])
    assert b2.count == 1 and not b2.uses
    assert r.count == 0 and r.paths == []  # an index: no derivative


def test_rnn_shared_weight_one_term_per_call():
    graph, inputs = example("rnn")
    ex = explain_tensors(evaluate(graph, inputs), ["Wh", "xs"])
    check(ex)
    wh, xs = ex.targets
    assert wh.count == 3 and len(wh.paths) == 3
    assert [u.place for u in wh.uses] == ["cell(h0, xs[0])", "cell(h1, xs[1])", "cell(h2, xs[2])"]
    assert [u.place for u in xs.uses] == ["xs[0]", "xs[1]", "xs[2]"]
    # each path ends in one use, whose share is that path's contribution
    for p in wh.paths:
        last = p.factors[-1]
        (use,) = [u for u in wh.uses if (u.user, u.k) == (last.parent, last.k)]
        np.testing.assert_allclose(use.share, p.contribution)


def test_big_jacobians_are_never_built():
    rng = np.random.default_rng(0)
    graph = parse("z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2); C = -log(y[r])")
    inputs = {"W1": rng.normal(0, 0.05, (100, 784)).tolist(), "x": rng.uniform(0, 1, 784).tolist(),
              "b1": [0.0] * 100, "W2": rng.normal(0, 0.1, (10, 100)).tolist(), "b2": [0.0] * 10, "r": 3}
    ex = explain_tensors(evaluate(graph, inputs), ["W1"])
    check(ex)
    (path,) = ex.targets[0].paths
    assert path.factors[-1].shape == (100, 100, 784) and path.factors[-1].full is None
    assert all(f.full is None or f.full.size <= 36 for f in path.factors)


def test_too_many_paths_gives_the_uses_and_their_sum():
    graph = parse("h1 = x*x; h2 = h1*h1; h3 = h2*h2; C = sum(h3)")
    ex = explain_tensors(evaluate(graph, {"x": [0.5, 1.1]}), max_paths=4)
    (t,) = ex.targets
    assert t.paths is None and t.count == 5 and len(t.uses) == 2
    check(ex)


EXAMPLES = [(name, program, shapes) for name, op in OPS.items() for program, shapes in op.examples]


@pytest.mark.parametrize("name,program,shapes", EXAMPLES, ids=[f"{n}:{p}" for n, p, _ in EXAMPLES])
def test_every_op_example_explained(name, program, shapes):
    """Each op's examples, reduced to a scalar as a loss would: the chains multiply out to eval's gradient."""
    rng = np.random.default_rng(3)
    graph = parse(f"out = {program}; C = sum(out * w)")
    inputs = {n: rng.uniform(0.5, 1.5, s).tolist() if s else float(rng.uniform(0.5, 1.5)) for n, s in shapes.items()}
    out_shape = np.shape(evaluate(parse(program), inputs).value)
    inputs["w"] = rng.uniform(-1, 1, out_shape).tolist() if out_shape else 0.7
    ex = explain_tensors(evaluate(graph, inputs), show_elements=10_000)
    assert ex.targets
    check(ex)
