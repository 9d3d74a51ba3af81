"""`cgrad jacobian` and cgrad_cli.core.jacobian: full Jacobians by reverse mode, one sweep per output element.

Checked against closed forms (softmax: diag(y) - y yᵀ; sigmoid: diag(y(1 - y)); W @ x: W and
δ_ij x_k) and, for every case, against central finite differences of the forward pass.  The
layout is torch/JAX's: output.shape + input.shape.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli.core import jacobian as jacobian_module
from cgrad_cli.core.autodiff import forward
from cgrad_cli.cli import cli
from cgrad_cli.errors import ProgramNameError, ShapeError
from cgrad_cli.core.jacobian import jacobian
from cgrad_cli.core.parsing import parse

SCHEMA = json.loads((Path(cgrad_cli.__file__).parent / "schemas" / "jacobian.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
W = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
X = [1.0, 0.0, -1.0]


def numeric(program: str, inputs: dict, name: str, output: str | None = None, h: float = 1e-6):
    """∂output/∂name by central differences, element by element: shape output.shape + input.shape."""
    graph = parse(program)
    out = graph.output if output is None else graph.named[output]
    x = np.asarray(inputs[name], dtype=float)
    columns = []
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = h
        f = [np.asarray(forward(graph, {**inputs, name: (x + s).tolist()})[out]) for s in (step, -step)]
        columns.append((f[0] - f[1]) / (2 * h))
    out_shape = columns[0].shape
    return np.moveaxis(np.array(columns), 0, -1).reshape(out_shape + x.shape)


def invoke(*args):
    return CliRunner().invoke(cli, ["jacobian", *args], prog_name="cgrad")


def as_json(*args) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    doc = json.loads(result.stdout)
    VALIDATOR.validate(doc)
    return doc


# --- closed forms -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("z", [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0, 0.0]])
def test_softmax_is_diag_y_minus_y_y_transpose(z):
    r = jacobian(parse("y = softmax(z)"), {"z": z}, wrt=["z"])
    y = np.exp(z) / np.sum(np.exp(z))
    expected = np.diag(y) - np.outer(y, y)
    assert r.jacobians["z"].shape == (len(z), len(z))
    np.testing.assert_allclose(r.jacobians["z"], expected, rtol=1e-12, atol=1e-15)
    assert np.all(r.jacobians["z"][~np.eye(len(z), dtype=bool)] < 0)  # full: every off-diagonal entry -y_i y_j
    np.testing.assert_allclose(r.jacobians["z"], numeric("y = softmax(z)", {"z": z}, "z"), rtol=1e-6, atol=1e-9)


def test_sigmoid_is_diagonal():
    z = [0.0, 1.0, -2.0]
    r = jacobian(parse("y = sigmoid(z)"), {"z": z})
    y = 1 / (1 + np.exp(-np.array(z)))
    np.testing.assert_allclose(r.jacobians["z"], np.diag(y * (1 - y)), rtol=1e-12)
    assert np.count_nonzero(r.jacobians["z"] - np.diag(np.diag(r.jacobians["z"]))) == 0
    np.testing.assert_allclose(r.jacobians["z"], numeric("y = sigmoid(z)", {"z": z}, "z"), rtol=1e-6, atol=1e-9)


def test_matmul_jacobians():
    r = jacobian(parse("z = W @ x"), {"W": W, "x": X}, wrt=["W", "x"])
    assert list(r.jacobians) == ["W", "x"]
    assert r.shape == (2,) and r.shapes == {"W": (2, 3), "x": (3,)}
    np.testing.assert_array_equal(r.jacobians["x"], W)  # ∂z/∂x = W
    dW = r.jacobians["W"]
    assert dW.shape == (2, 2, 3)  # a 3-D tensor: output index i, input index (j, k)
    expected = np.einsum("ij,k->ijk", np.eye(2), X)  # δ_ij x_k
    np.testing.assert_array_equal(dW, expected)
    for name in ("W", "x"):
        np.testing.assert_allclose(r.jacobians[name], numeric("z = W @ x", {"W": W, "x": X}, name), atol=1e-8)


def test_scalar_program_gives_the_derivatives():
    r = jacobian(parse("e=(a+b)*(b+1)"), {"a": 2, "b": 1})
    assert r.shape == () and r.sweeps == 1 and float(r.value) == 6.0
    assert {k: v.shape for k, v in r.jacobians.items()} == {"a": (), "b": ()}
    assert float(r.jacobians["a"]) == 2.0 and float(r.jacobians["b"]) == 5.0


# --- against finite differences, shapes ---------------------------------------------------------------------

CASES = [
    ("y = tanh(W @ x + b)", {"W": W, "x": X, "b": [0.1, -0.2]}),
    ("y = x @ W", {"x": [0.5, -1.0], "W": W}),
    ("Y = W * s + 1", {"W": W, "s": 0.7}),  # a matrix output, a scalar input: shape (2, 3)
    ("L = sum(W*W) + s^2", {"W": W, "s": 2.0}),  # a scalar output: the gradient, shaped like W
    ("Y = log_softmax(Z)", {"Z": [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]}),  # rank 4
    ("y = u * exp(v)", {"u": [1.0, 2.0], "v": 0.3}),
    ("h = relu(W @ x); y = sum(h) * h", {"W": W, "x": [0.3, -0.2, 0.5]}),
]


@pytest.mark.parametrize("program, inputs", CASES, ids=[c[0] for c in CASES])
def test_every_jacobian_matches_finite_differences(program, inputs):
    r = jacobian(parse(program), inputs)
    assert list(r.jacobians) == list(inputs)
    for name, j in r.jacobians.items():
        assert j.shape == r.shape + np.shape(inputs[name])  # output.shape + input.shape
        assert r.shapes[name] == np.shape(inputs[name])
        np.testing.assert_allclose(j, numeric(program, inputs, name), rtol=1e-6, atol=1e-8, err_msg=name)
    assert r.sweeps == max(1, int(np.prod(r.shape)))


def test_one_forward_pass_and_one_backward_sweep_per_output_element(monkeypatch):
    calls = {"forward": 0, "backward": []}
    real_forward, real_backward = jacobian_module.forward, jacobian_module.backward

    def counting_forward(*a, **k):
        calls["forward"] += 1
        return real_forward(*a, **k)

    def counting_backward(graph, values, out, seed=None):
        calls["backward"].append(None if seed is None else np.asarray(seed).copy())
        return real_backward(graph, values, out, seed)

    monkeypatch.setattr(jacobian_module, "forward", counting_forward)
    monkeypatch.setattr(jacobian_module, "backward", counting_backward)
    jacobian(parse("Y = W * 2"), {"W": W})
    assert calls["forward"] == 1
    seeds = calls["backward"]
    assert len(seeds) == 6 and all(s.shape == (2, 3) and s.sum() == 1.0 for s in seeds)  # one-hot
    np.testing.assert_array_equal(sum(seeds), np.ones((2, 3)))


def test_output_and_wrt_pick_the_names():
    r = jacobian(parse("h = W @ x; y = sigmoid(h)"), {"W": W, "x": X}, output="h", wrt=["x"])
    assert r.output_name == "h" and list(r.jacobians) == ["x"]
    np.testing.assert_array_equal(r.jacobians["x"], W)
    r = jacobian(parse("h = W @ x; y = sigmoid(h)"), {"W": W, "x": X}, wrt=["h"])  # an assigned name
    s = 1 / (1 + np.exp(-np.array(W) @ X))
    np.testing.assert_allclose(r.jacobians["h"], np.diag(s * (1 - s)))


def test_an_input_the_output_ignores_gives_zeros():
    r = jacobian(parse("y = 2 * x + 0 * sum(u)"), {"x": [1.0, 2.0], "u": [3.0]})
    np.testing.assert_array_equal(r.jacobians["u"], np.zeros((2, 1)))


def test_unknown_wrt_suggests_a_name():
    with pytest.raises(ProgramNameError) as e:
        jacobian(parse("y = softmax(zz)"), {"zz": [1.0, 2.0]}, wrt=["z"])
    assert "no name 'z'" in e.value.message and e.value.hint == "did you mean 'zz'?"


def test_wrt_a_constant_is_an_error():
    with pytest.raises(ProgramNameError, match="depends on no input"):
        jacobian(parse("c = 2; y = c * x"), {"x": [1.0]}, wrt=["c"])


def test_shape_error():
    with pytest.raises(ShapeError):
        jacobian(parse("z = W @ x"), {"W": W, "x": [1.0, 2.0]})


# --- the command ------------------------------------------------------------------------------------------

def test_softmax_table():
    result = invoke("y = softmax(z)", "--z", "[1, 2, 3]", "--wrt", "z")
    assert result.exit_code == 0 and result.stderr == ""
    text = result.stdout
    assert "∂y/∂z  (3×3: output index i, input index j)" in text
    assert "rows: output index, columns: input index" in text and "SymPy" in text
    header = next(line for line in text.splitlines() if "z[0]" in line)
    assert header.split() == ["z[0]", "z[1]", "z[2]"]
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith("y[")}
    assert rows == {"y[0]": ["0.0819251", "-0.022033", "-0.059892"],
                    "y[1]": ["-0.022033", "0.184836", "-0.162803"],
                    "y[2]": ["-0.059892", "-0.162803", "0.222695"]}


def test_matmul_tables_one_per_output_element():
    result = invoke("z = W @ x", "--W", "[[1,2,3],[4,5,6]]", "--x", "[1,0,-1]", "--wrt", "W,x")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "∂z/∂W  (2×2×3: output index i, input index (j, k))" in text
    assert "∂z[0]/∂W" in text and "∂z[1]/∂W" in text
    assert "W[:,0]" in text and "W[1,:]" in text
    assert "∂z/∂x  (2×3: output index i, input index j)" in text
    lines = text.splitlines()
    assert lines[lines.index("∂z[1]/∂W") + 3].split() == ["W[1,:]", "1", "0", "-1"]
    assert [line.split() for line in lines if line.startswith("z[")] == [["z[0]", "1", "2", "3"],
                                                                          ["z[1]", "4", "5", "6"]]


def test_scalar_and_vector_and_rank_4_render():
    text = invoke("e=(a+b)*(b+1)", "--a", "2", "--b", "1").stdout
    assert "∂e/∂a  (scalar: the derivative)\n  2\n" in text and "∂e/∂b  (scalar: the derivative)\n  5\n" in text
    text = invoke("L = sum(x*x)", "--x", "[1, 2]").stdout  # a gradient: one labelled row
    assert "∂L/∂x  (2: input index i)" in text
    assert [line.split() for line in text.splitlines()[-2:]] == [["x[0]", "x[1]"], ["2", "4"]]
    text = invoke("Y = W * s", "--W", "[[1, 2], [3, 4]]", "--s", "2", "--wrt", "s").stdout
    assert "∂Y/∂s  (2×2: output index (i, j))" in text and "Y[0,:]" in text and "Y[:,1]" in text
    text = invoke("Y = log_softmax(Z)", "--Z", "[[1, 2], [0, 3]]").stdout  # rank 4: flattened
    assert "Z[1,0]" in text and "Y[1,1]" in text


def test_json_validates_and_holds_the_jacobians():
    doc = as_json("y = sigmoid(z)", "--z", "[0, 1]")
    assert doc["output"] == "y" and doc["shape"] == [2] and doc["shapes"] == {"z": [2]}
    assert doc["$schema"] == SCHEMA["$id"]
    assert doc["conventions"]["layout"].startswith("output.shape + input.shape")
    s = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(doc["jacobians"]["z"], [[0.25, 0.0], [0.0, s * (1 - s)]])
    doc = as_json("z = W @ x", "--W", "[[1,2,3],[4,5,6]]", "--x", "[1,0,-1]", "--wrt", "W,x")
    assert list(doc["jacobians"]) == ["W", "x"] and np.shape(doc["jacobians"]["W"]) == (2, 2, 3)
    assert doc["value"] == [-2.0, -2.0] and doc["sweeps"] == 2
    doc = as_json("e=(a+b)*(b+1)", "--a", "2", "--b", "1")
    assert doc["jacobians"] == {"a": 2.0, "b": 5.0} and doc["shape"] == [] and doc["value"] == 6.0


def test_kink_warning():
    result = invoke("y = relu(z)", "--z", "[0, 1]", "--json")
    assert result.exit_code == 0 and result.stderr.startswith("warning: ")
    doc = json.loads(result.stdout)
    VALIDATOR.validate(doc)
    assert doc["warnings"][0]["kind"] == "kink" and doc["jacobians"]["z"] == [[0.0, 0.0], [0.0, 1.0]]


def test_bad_wrt_exits_2_with_a_hint():
    result = invoke("y = softmax(z)", "--z", "[1, 2, 3]", "--wrt", "zz")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--wrt: the program has no name 'zz'" in result.stderr and "did you mean 'z'?" in result.stderr


def test_shape_error_exits_2():
    result = invoke("z = W @ x", "--W", "[[1,2,3],[4,5,6]]", "--x", "[1, 0]")
    assert result.exit_code == 2 and result.stdout == ""
    assert "shapes do not fit in matmul" in result.stderr and "Traceback" not in result.stderr


def test_help_has_the_examples():
    text = CliRunner().invoke(cli, ["jacobian", "--help"], prog_name="cgrad").stdout
    assert """cgrad jacobian "y = softmax(z)" --z '[1, 2, 3]' --wrt z""" in text
    assert """--W '[[1,2,3],[4,5,6]]' --x '[1,0,-1]' --wrt W,x""" in text
    assert "jq .jacobians.z" in text and "Exit codes:" in text
    assert "jacobian" in CliRunner().invoke(cli, ["--help"], prog_name="cgrad").stdout
