"""The eval tree's tensor edges say their Jacobian (symbolic.jacobians.tensor_edge_text), and ∂C/∂z2 of
softmax with cross-entropy is written y − onehot(r) beside its value."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from cgrad_cli import evaluate, parse
from cgrad_cli.cli import cli
from cgrad_cli.symbolic.jacobians import closed_forms, tensor_edge_text

ROOT = Path(__file__).resolve().parents[2]
CLASSIFIER = ["-f", str(ROOT / "examples" / "classifier.cg"), "--inputs", str(ROOT / "examples" / "classifier.inputs.json")]


def test_classifier_tree_edges():
    out = CliRunner().invoke(cli, ["eval", *CLASSIFIER], prog_name="cgrad").stdout
    for said in ["∂(y[r])/∂y: onehot(r) (a one-hot row)", "∂y/∂z2: diag(y) − y yᵀ (full)",
                 "∂(W2 @ a1)/∂W2: g ⊗ a1 (outer)", "∂(W2 @ a1)/∂a1: W2 (the matrix itself)",
                 "grad ∂C/∂z2: y − onehot(r), 3-vector"]:
        assert said in out, said
    grid = out[out.index("\nz2  3-vector"):].splitlines()  # the values follow the tree, as grids
    assert grid[4].split() == ["∂C/∂z2", "0.301244", "-0.510034", "0.208791"]


def test_closed_form_only_where_it_holds():
    graph = parse((ROOT / "examples" / "classifier.cg").read_text())
    inputs = json.loads((ROOT / "examples" / "classifier.inputs.json").read_text())
    ev = evaluate(graph, inputs)
    (z, text), = closed_forms(ev).items()
    assert z == graph.named["z2"] and text == "y − onehot(r)"
    np.testing.assert_allclose(ev.grad(z), ev.values[graph.named["y"]] - np.eye(3)[inputs["r"]])
    # z2 used twice: its gradient is no longer y − onehot(r), so nothing is claimed
    twice = parse("y = softmax(z); C = -log(y[r]) + sum(z*z)")
    assert closed_forms(evaluate(twice, {"z": [1.0, 2.0], "r": 0})) == {}
    ls = parse("C = -log_softmax(z)[r]")
    assert list(closed_forms(evaluate(ls, {"z": [1.0, 2.0], "r": 1})).values()) == ["softmax(z) − onehot(r)"]


def test_elementwise_edges_keep_their_values():
    graph = parse("y = sum(sigmoid(W @ x))")
    ev = evaluate(graph, {"W": [[1.0, 2.0]], "x": [0.5, -1.0]})
    sig = graph.args[graph.output][0]
    assert tensor_edge_text(ev, sig, 0) is None  # sigmoid: the tree shows a1*(1 - a1) = [...] instead
    assert tensor_edge_text(ev, graph.output, 0) == "a row of ones, 1ᵀ"
