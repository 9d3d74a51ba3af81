"""`cgrad eval` on tensor programs: JSON and the tree, checked against numpy backprop written by hand.

The classifier's and the RNN's gradients are computed here independently of cgrad (the
derivatives worked out on paper, then numpy for the arithmetic), and must agree to 1e-12.
Parameter sharing: an input used more than once gets "uses", one contribution per use,
which add up to its gradient (for the RNN: one per time step, each naming its call).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli import evaluate, parse
from cgrad_cli.cli import cli
from cgrad_cli.render.json import document, dumps
from cgrad_cli.core.show import show as fmt

SCHEMAS = Path(cgrad_cli.__file__).parent / "schemas"
EVAL = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "eval.schema.json").read_text(encoding="utf-8")))
ERROR = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "error.schema.json").read_text(encoding="utf-8")))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TOL = 1e-12


def invoke(*args, env=None):
    return CliRunner().invoke(cli, ["eval", *args], env=env, prog_name="cgrad")


def inputs_args(inputs: dict) -> list:
    return [word for name, value in inputs.items() for word in (f"--{name}", json.dumps(value))]


def eval_json(program: str, inputs: dict, *extra) -> dict:
    result = invoke(program, *inputs_args(inputs), "--json", *extra)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == "", result.stderr
    doc = json.loads(result.stdout)
    errors = sorted(EVAL.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return doc


def grid(out: str, label: str) -> dict:
    """The grid printed after the tree under `label`'s heading: {row label: [cells]} (the first
    table only, the column header row under the key 'columns')."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(label + "  ") and "=" not in line
                 and lines[k + 1].startswith((" ", "value", "∂", "grad")))  # a heading, not the inputs' row
    rows = {}
    for n, line in enumerate(lines[start + 1:]):
        if not line.strip() or (n and line.startswith(label + "  ")):
            break
        cells = line.split()
        if n == 0:
            rows["columns"] = cells
        else:
            rows.setdefault(cells[0], cells[1:])
    return rows


def eval_text(program: str, inputs: dict, *extra, env=None):
    result = invoke(program, *inputs_args(inputs), *extra, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def close(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.max(np.abs(got - want), initial=0.0) <= TOL, (got, want)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- the classifier ---------------------------------------------------------------------------------------

CLASSIFIER = "z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2); C = -log(y[r])"
CLASSIFIER_INPUTS = {
    "W1": [[0.5, -0.25], [0.75, 0.5], [-1.0, 0.25]],
    "x": [1.5, -0.5],
    "b1": [0.1, 0.0, -0.2],
    "W2": [[0.3, -0.6, 0.9], [-0.4, 0.2, 0.5]],
    "b2": [0.05, -0.05],
    "r": 1,
}


def classifier_backprop(W1, x, b1, W2, b2, r):
    """Forward, then the backward pass worked out on paper (∂C/∂z2 = y − onehot(r), then layer by layer)."""
    W1, x, b1, W2, b2 = map(np.asarray, (W1, x, b1, W2, b2))
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    y = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    C = -np.log(y[r])
    dz2 = y - np.eye(len(y))[r]
    da1 = W2.T @ dz2
    dz1 = da1 * a1 * (1 - a1)
    grads = {"W1": np.outer(dz1, x), "x": W1.T @ dz1, "b1": dz1, "W2": np.outer(dz2, a1), "b2": dz2, "r": 0.0}
    return C, y, dz2, grads


def test_classifier_gradients_match_hand_written_backprop():
    doc = eval_json(CLASSIFIER, CLASSIFIER_INPUTS)
    C, y, dz2, grads = classifier_backprop(**CLASSIFIER_INPUTS)
    assert doc["output"] == "C" and abs(doc["value"] - C) <= TOL
    assert list(doc["gradients"]) == list(CLASSIFIER_INPUTS)
    for name, want in grads.items():
        got = doc["gradients"][name]
        assert np.shape(got) == np.shape(CLASSIFIER_INPUTS[name])  # nested lists shaped like the input
        close(got, want)
    assert doc["inputs"] == {name: np.asarray(v, dtype=float).tolist() for name, v in CLASSIFIER_INPUTS.items()}


def test_classifier_z2_gradient_is_y_minus_onehot():
    doc = eval_json(CLASSIFIER, CLASSIFIER_INPUTS)
    nodes = {n["name"]: n for n in doc["nodes"] if n["name"]}
    y = np.array(nodes["y"]["value"])
    close(nodes["z2"]["grad"], y - np.eye(2)[CLASSIFIER_INPUTS["r"]])
    assert nodes["z2"]["shape"] == [2] and nodes["y"]["shape"] == [2] and nodes["z1"]["shape"] == [3]
    assert nodes["W1"]["shape"] == [3, 2] and nodes["C"]["shape"] == [] and nodes["r"]["shape"] == []
    # --wrt an assigned name: its gradient, shaped like it
    doc = eval_json(CLASSIFIER, CLASSIFIER_INPUTS, "--wrt", "z2,a1")
    _, _, dz2, _ = classifier_backprop(**CLASSIFIER_INPUTS)
    assert list(doc["gradients"]) == ["z2", "a1"]
    close(doc["gradients"]["z2"], dz2)


def test_classifier_nodes_local_derivatives():
    """Elementwise ops keep their local derivative (arrays); tensor ops (vjp) give none."""
    doc = eval_json(CLASSIFIER, CLASSIFIER_INPUTS)
    by_op = {}
    for node in doc["nodes"]:
        by_op.setdefault(node["op"], []).append(node)
    [sig] = by_op["sigmoid"]
    a1 = np.array(sig["value"])
    close(sig["local"][0], a1 * (1 - a1))
    for op in ("matmul", "softmax", "getitem"):
        assert all(local is None for node in by_op[op] for local in node["local"]), op
    assert "uses" in doc and doc["uses"] == {}  # every input used once
    assert "note" not in doc


def test_classifier_output_is_byte_identical_across_runs():
    args = [CLASSIFIER, *inputs_args(CLASSIFIER_INPUTS), "--json"]
    first, second = invoke(*args), invoke(*args)
    assert first.stdout == second.stdout and first.stdout.count("\n") == 1
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    runs = [subprocess.run([sys.executable, "-m", "cgrad_cli", "eval", *args], capture_output=True,
                           env={**env, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}, timeout=120)
            for seed in ("1", "2")]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout == first.stdout.encode("utf-8")


def test_classifier_tree():
    out = eval_text(CLASSIFIER, CLASSIFIER_INPUTS).stdout
    assert "softmax: 2-vector" in out and "matmul: 3-vector" in out and "sigmoid: 3-vector" in out
    assert "W1  input: 3×2" in out  # a node shows an array by its shape; its grid follows the tree
    assert grid(out, "W1") == {"columns": ["value", "[:,0]", "[:,1]"], "[0,:]": ["0.5", "-0.25"],
                               "[1,:]": ["0.75", "0.5"], "[2,:]": ["-1", "0.25"]}
    _, y, dz2, grads = classifier_backprop(**CLASSIFIER_INPUTS)
    assert grid(out, "z2")["∂C/∂z2"] == [fmt(dz2[0]), fmt(dz2[1])]
    assert "grad ∂C/∂z2: y − onehot(r), 2-vector" in out  # the closed form, where a student looks for it
    assert "∂a1/∂z1 = a1*(1 - a1), elementwise" in out  # an elementwise op's local derivative, by its rule
    assert "∂y/∂z2: diag(y) − y yᵀ (full)" in out and "∂z2/∂(W2 @ a1) = 1" in out  # softmax: its Jacobian in words
    row = next(line for line in out.splitlines() if line.startswith("b2 "))
    assert row.split() == ["b2", "2-vector", "2-vector", "1"]
    assert grid(out, "b2")["∂C/∂b2"] == [fmt(x) for x in grads["b2"]]
    assert "\x1b" not in out


# --- the RNN: one cell, three steps, shared weights -------------------------------------------------------

RNN = """cell(h, x) = tanh(Wh @ h + Wx @ x)
h1 = cell(h0, xs[0])
h2 = cell(h1, xs[1])
h3 = cell(h2, xs[2])
C = sum(h3)"""
RNN_INPUTS = {
    "Wh": [[0.5, -0.3], [0.2, 0.4]],
    "Wx": [[1.0, -0.5], [0.3, 0.8]],
    "h0": [0.1, -0.2],
    "xs": [[1.0, 0.0], [0.5, -1.0], [-0.3, 0.7]],
}
CALLS = ["cell(h0, xs[0])", "cell(h1, xs[1])", "cell(h2, xs[2])"]


def rnn_backprop(Wh, Wx, h0, xs):
    """Backprop through time by hand: δ_t = ∂C/∂(Wh h_{t-1} + Wx x_t); step t adds δ_t h_{t-1}ᵀ to ∂C/∂Wh.

    Returns C, each step's contribution to ∂C/∂Wh (step 1 first), and the gradients."""
    Wh, Wx, xs = np.asarray(Wh), np.asarray(Wx), np.asarray(xs)
    hs = [np.asarray(h0)]
    for x in xs:
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ x))
    dh = np.ones_like(hs[-1])  # ∂sum(h3)/∂h3
    steps, dWx, dxs = [None] * 3, np.zeros_like(Wx), np.zeros_like(xs)
    for t in (2, 1, 0):
        delta = dh * (1 - hs[t + 1] ** 2)
        steps[t] = np.outer(delta, hs[t])
        dWx += np.outer(delta, xs[t])
        dxs[t] = Wx.T @ delta
        dh = Wh.T @ delta
    return hs[-1].sum(), steps, {"Wh": sum(steps), "Wx": dWx, "h0": dh, "xs": dxs}


def test_rnn_gradients_and_shared_weight_uses():
    doc = eval_json(RNN, RNN_INPUTS)
    C, steps, grads = rnn_backprop(**RNN_INPUTS)
    assert abs(doc["value"] - C) <= TOL
    for name, want in grads.items():
        close(doc["gradients"][name], want)
    uses = doc["uses"]["Wh"]
    assert [u["call"] for u in uses] == CALLS
    assert all(u["in"] == "Wh @ h" and doc["nodes"][u["node"]]["op"] == "matmul" for u in uses)
    for use, step in zip(uses, steps):
        close(use["contribution"], step)
    close(sum(np.array(u["contribution"]) for u in uses), doc["gradients"]["Wh"])
    assert [u["call"] for u in doc["uses"]["Wx"]] == CALLS
    assert [u["in"] for u in doc["uses"]["xs"]] == ["xs[0]", "xs[1]", "xs[2]"]  # each step reads one row
    assert all(u["call"] is None for u in doc["uses"]["xs"])
    assert list(doc["uses"]) == ["Wh", "Wx", "xs"]  # h0 is used once: not listed
    assert doc["paths"] == {"Wh": 3, "Wx": 3, "h0": 1, "xs": 3}


def test_rnn_nodes_name_their_call():
    doc = eval_json(RNN, RNN_INPUTS)
    nodes = {n["name"]: n for n in doc["nodes"] if n["name"]}
    assert [nodes[h]["call"] for h in ("h1", "h2", "h3")] == CALLS
    assert "call" not in nodes["C"] and "call" not in nodes["Wh"]
    made = [n for n in doc["nodes"] if "call" in n]
    assert len(made) == 3 * 4  # two matmuls, an add and a tanh per step
    assert {doc["source"][n["span"]["start"]:n["span"]["end"]] for n in made if n["op"] == "add"} == \
        {"Wh @ h + Wx @ x"}


def test_rnn_tree_shows_calls_and_the_sum_over_uses():
    out = eval_text(RNN, RNN_INPUTS, "--depth", "30").stdout
    for call in CALLS:
        assert f"⟵ {call}" in out
    assert "h2 = tanh(Wh @ h + Wx @ x)  tanh: 2-vector" in out
    assert grid(out, "Wh") == {"columns": ["value", "[:,0]", "[:,1]"], "[0,:]": ["0.5", "-0.3"],
                               "[1,:]": ["0.2", "0.4"]}
    _, steps, grads = rnn_backprop(**RNN_INPUTS)
    section = out[out.index("∂C/∂Wh = Σ over 3 uses:"):]
    lines = section.splitlines()[1:5]
    for line, step, call, sign in zip(lines, steps, CALLS, "  +"):
        assert line.strip(" +") == f"{fmt(step)}  ({call})" and line.lstrip().startswith(sign.strip())
    assert lines[3] == f"  = {fmt(grads['Wh'])}"
    assert "∂C/∂Wx = Σ over 3 uses:" in out and "∂C/∂h0 = Σ" not in out


def test_scalar_shared_weight_in_a_function_is_summed_term_by_term():
    program = "cell(h, x) = tanh(w*h + x); h1 = cell(h0, x1); h2 = cell(h1, x2); C = h2"
    inputs = {"w": 0.5, "h0": 1, "x1": 0.2, "x2": -0.1}
    out = eval_text(program, inputs).stdout
    # examples/rnn_shared.cg works these out by hand: 0.30474... (step 1) + 0.58032... (step 2); the sum on
    # one line would pass 80 columns, so each term has a line of its own
    lines = out.splitlines()
    k = lines.index("∂C/∂w = Σ over 2 uses:")
    assert re.fullmatch(r"    0\.30474\d*  \(cell\(h0, x1\)\)", lines[k + 1]), lines[k + 1]
    assert re.fullmatch(r"  \+ 0\.58032\d*  \(cell\(h1, x2\)\)", lines[k + 2]), lines[k + 2]
    assert re.fullmatch(r"  = 0\.88506\d*", lines[k + 3]), lines[k + 3]
    doc = eval_json(program, inputs)
    assert [u["call"] for u in doc["uses"]["w"]] == ["cell(h0, x1)", "cell(h1, x2)"]
    assert "shape" not in doc["nodes"][0]  # no tensors: no shapes


def test_x_times_x_lists_both_arguments():
    doc = eval_json("y = sum(x*x)", {"x": [1.0, -2.0, 3.0]})
    [first, second] = doc["uses"]["x"]
    assert first["node"] == second["node"] and first["in"] == "x*x"
    close(first["contribution"], [1.0, -2.0, 3.0])
    close(doc["gradients"]["x"], [2.0, -4.0, 6.0])


# --- an output that is not a scalar -----------------------------------------------------------------------

VECTOR = ("y = softmax(W @ x)", {"W": [[1, 2], [3, 4]], "x": [1, -1]})


def test_vector_output_json_has_values_no_gradients_and_a_note():
    doc = eval_json(*VECTOR)
    assert doc["value"] == [0.5, 0.5]
    assert doc["gradients"] is None
    assert "not a scalar" in doc["note"] and "cgrad jacobian" in doc["note"] and "sum(y)" in doc["note"]
    assert all(node["grad"] is None for node in doc["nodes"])
    assert doc["uses"] == {} and doc["paths"] == {"W": 1, "x": 1}
    assert list(doc)[:7] == ["$schema", "version", "output", "output_node", "value", "note", "inputs"]


def test_vector_output_text_has_values_and_a_note_on_stderr():
    result = eval_text(*VECTOR)
    assert "softmax: 2-vector" in result.stdout and grid(result.stdout, "y")["value"] == ["0.5", "0.5"]
    assert "∂y/∂node" not in result.stdout and "∂y/∂W" not in result.stdout  # no gradients: y is not a scalar
    assert result.stderr == ("note: the output y is a 2-vector, not a scalar: there is no single gradient. Use cgrad "
                             "jacobian PROGRAM --wrt NAME for the Jacobian, or reduce it (sum(y), y[0]).\n")
    matrix = eval_text("Y = W * 2", {"W": [[1, 2], [3, 4]]})
    assert "a 2×2 array" in matrix.stderr and "Y[0, 0]" in matrix.stderr


def test_the_command_that_used_to_crash():
    args = ("y = softmax(W @ x)[r]", {"W": [[1, 2], [3, 4]], "x": [1, -1], "r": 1})
    out = eval_text(*args).stdout
    assert "y = softmax(W @ x)[r]  getitem = 0.5" in out
    gradient = out[out.index("\n∂y/∂W "):].splitlines()  # W's gradient grid, after its value grid
    assert [line.split() for line in gradient[1:4]] == [["∂y/∂W", "[:,0]", "[:,1]"], ["[0,:]", "-0.25", "0.25"],
                                                        ["[1,:]", "0.25", "-0.25"]]
    doc = eval_json(*args)
    assert doc["value"] == 0.5 and doc["gradients"]["W"] == [[-0.25, 0.25], [0.25, -0.25]]
    assert doc["gradients"]["x"] == [0.5, 0.5] and doc["gradients"]["r"] == 0


# --- formatting -------------------------------------------------------------------------------------------

def test_fmt():
    assert fmt(np.array([0.7310585786300049, 0.2689414213699951])) == "[0.731059, 0.268941]"
    assert fmt(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert fmt(np.float64(2.0)) == "2" and fmt(np.array(0.5)) == "0.5" and fmt(1e-7) == "1e-07"
    assert fmt(np.arange(12.0)) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"
    assert fmt(np.arange(13.0) - 3) == "13-vector (min -3, max 9)"
    assert fmt(np.linspace(-1, 2, 2 * 784).reshape(2, 784)) == "2×784 array (min -1, max 2)"


def test_big_arrays_are_summarised():
    W = (np.arange(26.0).reshape(2, 13) / 10).tolist()
    x = [1.0] * 13
    out = eval_text("C = sum(W @ x)", {"W": W, "x": x}).stdout
    assert "W  input: 2×13   edge ∂(W @ x)/∂W: g ⊗ x (outer)   grad ∂C/∂W: 2×13" in out
    assert "x  input: 13-vector" in out
    assert "W  2×13, the first 8 rows and columns" in out  # the grid is cut, and says so
    assert grid(out, "W")["columns"] == ["value"] + [f"[:,{j}]" for j in range(8)]
    assert grid(out, "x")["value"] == ["1"] * 8


def test_scalar_programs_keep_their_output():
    doc = eval_json("c = a+b; d = b+1; e = c*d", {"a": 2, "b": 1})
    assert "note" not in doc and all("shape" not in n for n in doc["nodes"])
    # b is used twice (a+b, b+1): its uses and their contributions, as for a weight shared through a function
    assert [(u["in"], u["contribution"]) for u in doc["uses"]["b"]] == [("c", 2), ("d", 3)]
    assert "uses" not in eval_json("y = a*b", {"a": 2, "b": 1})  # nothing used twice: the document is as it was
    out = eval_text("c = a+b; d = b+1; e = c*d", {"a": 2, "b": 1}).stdout
    assert "Σ" not in out and "shape" not in out


# --- colour -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}, {"TERM": "xterm-256color"}], ids=["plain", "NO_COLOR", "TERM"])
def test_piped_tensor_output_has_no_ansi(env):
    result = eval_text(RNN, RNN_INPUTS, env=env)
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "CLICOLOR_FORCE")}
    proc = subprocess.run([sys.executable, "-m", "cgrad_cli", "eval", *VECTOR[0:1], *inputs_args(VECTOR[1])],
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          env={**base, "PYTHONIOENCODING": "utf-8", **env})
    assert proc.returncode == 0, proc.stderr
    assert not ANSI.search(proc.stdout) and not ANSI.search(proc.stderr)
    assert proc.stderr.startswith("note: the output y is a 2-vector")


@pytest.mark.skipif(os.name == "nt", reason="needs a POSIX pty")
def test_no_color_on_a_terminal():
    pty = pytest.importorskip("pty")
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "CLICOLOR_FORCE")}

    def run(**extra):
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "cgrad_cli", "eval", RNN, *inputs_args(RNN_INPUTS)],
                                    stdout=slave, stderr=subprocess.PIPE,
                                    env={**base, "PYTHONIOENCODING": "utf-8", "TERM": "xterm-256color", **extra})
            os.close(slave)
            chunks = []
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
            assert proc.wait(timeout=120) == 0
        finally:
            os.close(master)
        return b"".join(chunks).decode("utf-8")

    colour = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])[;m]")
    assert colour.search(run())
    plain = run(NO_COLOR="1")
    assert not colour.search(plain) and "⟵ cell(h1, xs[1])" in ANSI.sub("", plain)


# --- documents from the library, and errors ---------------------------------------------------------------

@pytest.mark.parametrize("program, inputs", [
    ("y = [a, b, a*b]; C = sum(y * y)", {"a": 2, "b": 3}),
    ("C = mean(reshape(x, 2, 3), 1)[0] + dot(u, v) + logsumexp(concat(u, v))",
     {"x": [1, 2, 3, 4, 5, 6], "u": [1, 2], "v": [0.5, -1]}),
    ("C = sum(log_softmax(W.T) * onehot(r, 2))", {"W": [[1, 2, 3], [4, 5, 6]], "r": 1}),
    ("C = sum(W * b)", {"W": [[1, 2], [3, 4]], "b": [10, 20]}),
    ("C = W[:, 0] @ W[1]", {"W": [[1, 2], [3, 4]]}),
    ("Y = W @ W", {"W": [[1, 2], [3, 4]]}),
])
def test_documents_follow_the_schema(program, inputs):
    doc = json.loads(dumps(document(evaluate(parse(program), inputs))))
    EVAL.validate(doc)
    assert all(len(n["local"]) == len(n["inputs"]) for n in doc["nodes"])
    for node in doc["nodes"]:
        assert list(np.shape(node["value"])) == node["shape"]
        if node["grad"] is not None:
            assert list(np.shape(node["grad"])) == node["shape"]
    if doc["gradients"] is not None:
        for name, grad in doc["gradients"].items():
            assert np.shape(grad) == np.shape(inputs[name])


def test_broadcast_local_and_gradient():
    doc = eval_json("C = sum(W * b)", {"W": [[1, 2], [3, 4]], "b": [10, 20]})
    assert doc["gradients"] == {"W": [[10.0, 20.0], [10.0, 20.0]], "b": [4.0, 6.0]}
    [mul] = [n for n in doc["nodes"] if n["op"] == "mul"]
    assert mul["local"] == [[10.0, 20.0], [[1.0, 2.0], [3.0, 4.0]]]


@pytest.mark.parametrize("program, inputs, kind, code", [
    ("y = W @ x", {"W": [[1, 2], [3, 4]], "x": [1, 2, 3]}, "shape", 2),
    ("y = sum(log(x))", {"x": [1, -1, 2]}, "math", 3),
    ("y = x[r]", {"x": [1, 2], "r": 5}, "input", 2),
])
def test_tensor_errors_follow_the_error_schema(program, inputs, kind, code):
    result = invoke(program, *inputs_args(inputs), "--json")
    assert result.exit_code == code and result.stdout == ""
    error = json.loads(result.stderr.strip().splitlines()[-1])
    ERROR.validate(error)
    assert error["error"]["kind"] == kind
