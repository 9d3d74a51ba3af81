"""Forward mode over arrays (forward_mode.tensor_tangents, for `cgrad trace`): every node's tangent is its
Jacobian with respect to the input, checked against reverse mode (cgrad jacobian's sweeps) node by node,
and the output's tangent is the gradient reverse mode gives."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli import parse
from cgrad_cli.cli import cli
from cgrad_cli.core.forward_mode import trace
from cgrad_cli.core.jacobian import jacobian
from cgrad_cli.core.ops import OPS

PROGRAMS = [
    ("z = W @ x + b; a = sigmoid(z); C = sum(a*a) + a[0]", {"W": (3, 2), "x": (2,), "b": (3,)}),
    ("y = softmax(W @ x); C = -log(y[1])", {"W": (3, 4), "x": (4,)}),
    ("C = sum(x * s) + mean(outer(x, x))", {"x": (3,), "s": ()}),
] + [(f"C = sum(({program}) * 0.7)", shapes) for op in OPS.values() for program, shapes in op.examples]


@pytest.mark.parametrize("program,shapes", PROGRAMS, ids=[p for p, _ in PROGRAMS])
def test_tangents_are_jacobians(program, shapes):
    rng = np.random.default_rng(5)
    inputs = {n: rng.uniform(0.5, 1.5, s).tolist() if s else float(rng.uniform(0.5, 1.5)) for n, s in shapes.items()}
    graph = parse(program)
    tr = trace(graph, inputs)
    assert tr.agree
    for name, grad in tr.reverse_gradients().items():
        np.testing.assert_allclose(tr.forward_gradients()[name], grad, rtol=1e-9, atol=1e-12)
    for i in range(len(graph)):  # each named intermediate's tangent is its Jacobian, as reverse mode builds it
        if graph.names[i] and graph.ops[i].name != "input" and i != graph.output:
            jac = jacobian(graph, inputs, output=graph.names[i])
            for name in tr.wrt:
                np.testing.assert_allclose(tr.tangents[name][i], jac.jacobians[name], rtol=1e-9, atol=1e-12)


def test_trace_command_on_a_tensor_program():
    args = ["trace", "z = W @ x + b; a = sigmoid(z); C = sum(a*a)", "--W", "[[1,2],[0,1]]", "--x", "[1,-1]",
            "--b", "[0.5, 0]"]
    result = CliRunner().invoke(cli, args, prog_name="cgrad")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    k = lines.index("∂(W @ x)/∂W  (2×2×2: output index i, input index (j, k))")  # the 3-D tangent, slice by slice
    assert lines[k + 1:k + 5] == ["∂(W @ x)[0]/∂W", "        W[:,0]  W[:,1]", "W[0,:]       1      -1",
                                  "W[1,:]       0       0"]
    assert lines[k + 6:k + 10] == ["∂(W @ x)[1]/∂W", "        W[:,0]  W[:,1]", "W[0,:]       0       0",
                                   "W[1,:]       1      -1"]
    assert "∂C/∂x     [0.177447, 0.460648]  [0.177447, 0.460648]      ✓" in lines
    assert all(len(line) <= 80 for line in lines) and "[[" not in result.stdout
    doc = json.loads(CliRunner().invoke(cli, args + ["--json"], prog_name="cgrad").stdout)
    schema = json.loads((Path(cgrad_cli.__file__).parent / "schemas" / "trace.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["agree"] and doc["nodes"][2]["shape"] == [2]
    bad = CliRunner().invoke(cli, ["trace", "z = W @ x", "--W", "[[1,2],[0,1]]", "--x", "[1,-1]"], prog_name="cgrad")
    assert bad.exit_code == 2 and "scalar output" in bad.stderr


def test_show_elements_cuts_arrays():
    args = ["trace", "z = W @ x; C = sum(tanh(z))", "--W", "[[1, 2], [0, 1]]", "--x", "[0.5, -1]"]
    full = CliRunner().invoke(cli, args, prog_name="cgrad").stdout
    cut = CliRunner().invoke(cli, args + ["--show-elements", "3"], prog_name="cgrad").stdout
    w = full.splitlines().index("W  2×2")
    assert full.splitlines()[w + 1:w + 4] == ["value  [:,0]  [:,1]", "[0,:]      1      2", "[1,:]      0      1"]
    assert "value  2×2 array (min 0, max 2)" in cut.splitlines()  # 4 numbers, past 3
    assert "∂z/∂W  2×2×2 array (min -1, max 0.5)" in cut.splitlines()  # 8 numbers, by shape and range


def test_an_undefined_tangent_is_a_math_error_as_for_scalars():
    """Regression (found by the fuzz test): in a tensor program, pow(x, 0.5) at x = 0 gave an inf tangent that
    `--json` could not write (exit 70); it is the scalar trace's math error, exit 3, naming the node."""
    for program in ("s1 = [1, 2]; s2 = pow(x, 0.5); y = x", "s2 = pow(x, 0.5); y = x"):
        for extra in ([], ["--json"]):
            result = CliRunner().invoke(cli, ["trace", program, "--x", "0", *extra])
            assert result.exit_code == 3, (program, extra, result.output)
            assert "the derivative of pow (with respect to x) is undefined at x = 0" in result.stderr
