"""`cgrad gradcheck` and cgrad_cli.core.gradcheck.check_gradients: reverse mode against central differences."""
from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema

import pytest
from click.testing import CliRunner
from samples import points

import cgrad_cli
from cgrad_cli import CgradError, parse
from cgrad_cli.cli import cli
from cgrad_cli.core.gradcheck import ATOL, EPS, RTOL, check_gradients
from cgrad_cli.core.ops import OPS

LECTURE = "c = a+b; d = b+1; e = c*d"


def invoke(*args, input=None):
    """`cgrad ARGS` in-process; result.stdout and result.stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(cli, list(args), input=input, prog_name="cgrad")


def broken(graph, op_name, partials=None, **fields):
    """The graph with every `op_name` node's op replaced by a copy whose derivative rules are `partials`
    (or whose other fields, such as a tensor op's `vjp`, are `fields`)."""
    if partials is not None:
        fields["partials"] = partials
    for i, op in enumerate(graph.ops):
        if op.name == op_name:
            graph.ops[i] = op._replace(**fields)
    graph.replan()  # the forward program's functions and sweep plans, from the ops now in place
    return graph


# --- the engine -------------------------------------------------------------------------------------------

def test_lecture_example_passes():
    check = check_gradients(parse(LECTURE), {"a": 2, "b": 1})
    assert check.ok
    assert [r.name for r in check] == ["a", "b"]
    a, b = check
    assert (a.reverse, b.reverse) == (2.0, 5.0)
    assert a.numeric == pytest.approx(2.0, rel=1e-9) and b.numeric == pytest.approx(5.0, rel=1e-9)
    assert all(r.status == "ok" and r.ok is True and r.abs_error < 1e-9 for r in check)
    assert (check.eps, check.rtol, check.atol) == (EPS, RTOL, ATOL)
    assert EPS == pytest.approx(6.055e-6, rel=1e-3)
    assert check.evaluation.value == 6.0


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.forward is not None], ids=lambda op: op.name)
def test_every_op_passes(op):
    args = ["x", "y", "z"][:op.arity]
    text = "out = x" if op.name == "copy" else "out = " + op.syntax.format(*args)
    graph = parse(text)
    assert op.name == "copy" or graph.ops[graph.output] is op
    for xs in points(op):
        check = check_gradients(graph, dict(zip(args, xs)))
        assert check.ok and all(r.status == "ok" for r in check), (op.name, xs, check)


def test_wrt_and_output():
    graph = parse(LECTURE)
    check = check_gradients(graph, {"a": 2, "b": 1}, wrt=["b"], output="d")
    assert [r.name for r in check] == ["b"]
    assert check[0].reverse == 1.0 and check[0].numeric == pytest.approx(1.0)
    assert check.evaluation.value == 2.0


def test_a_wrong_derivative_is_detected():
    """sin with the derivative sin(x) instead of cos(x): the engine must catch it."""
    graph = broken(parse("y = sin(x)*x"), "sin", (lambda m, o, x: m.sin(x),))
    check = check_gradients(graph, {"x": 0.7})
    assert not check.ok
    (r,) = check
    assert r.status == "mismatch" and r.ok is False
    assert r.numeric == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7), rel=1e-8)  # forward is still sin
    assert r.reverse == pytest.approx(math.sin(0.7) * 0.7 + math.sin(0.7))
    assert r.abs_error == pytest.approx(abs(math.cos(0.7) - math.sin(0.7)) * 0.7, rel=1e-8)
    assert r.rel_error > 0.05
    # ... and only the input whose path goes through the broken node fails.
    graph = broken(parse("y = sin(x) + z*z"), "sin", (lambda m, o, x: m.sin(x),))
    check = check_gradients(graph, {"x": 0.7, "z": 2})
    assert [r.status for r in check] == ["mismatch", "ok"]


def test_a_slightly_wrong_derivative_is_caught_by_the_tolerance():
    graph = broken(parse("y = exp(x)"), "exp", (lambda m, o, x: o * (1 + 1e-4),))
    assert not check_gradients(graph, {"x": 1}).ok
    assert check_gradients(graph, {"x": 1}, rtol=1e-3).ok


def test_a_kink_warns_and_is_reported_not_failed():
    check = check_gradients(parse("y = relu(x)*3 + z"), {"x": 0, "z": 1})
    assert check.ok  # a kink is not a mismatch
    x, z = check
    assert x.status == "kink" and x.ok is None
    assert x.reverse == 0.0 and x.numeric == pytest.approx(1.5)  # the two sides average to 1.5
    assert "kink of relu" in x.note and "relu(x)" in x.note
    assert z.status == "ok"
    assert check.evaluation.warnings  # the evaluator's own kink warning at relu(0)


def test_a_kink_inside_the_stencil_is_recognised():
    """x = 1e-7 is not at the kink, but x - h is past it."""
    (r,) = check_gradients(parse("y = abs(x)"), {"x": 1e-7})
    assert r.status == "kink" and r.reverse == 1.0
    (r,) = check_gradients(parse("y = max(x, 2)"), {"x": 2 + 1e-7})
    assert r.status == "kink"
    # A tie whose halves average exactly: no disagreement, so it passes.
    (r,) = check_gradients(parse("y = abs(x)"), {"x": 0})
    assert r.status == "ok"


def test_a_domain_error_off_the_point_is_reported():
    (r,) = check_gradients(parse("y = log(x)"), {"x": 1e-7})
    assert r.status == "domain" and r.ok is None and r.numeric is None
    assert "log is undefined" in r.note and "--eps" in r.note
    (r,) = check_gradients(parse("y = log(x)"), {"x": 1e-7}, eps=1e-10)  # a smaller step fits
    assert r.status == "ok"


# --- the command ------------------------------------------------------------------------------------------

def test_cli_lecture():
    result = invoke("gradcheck", LECTURE, "--a", "2", "--b", "1")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "e = 6 at a = 2, b = 1"
    assert lines[3].split() == ["input", "value", "reverse", "numeric", "abs", "error", "rel", "error", "check"]
    assert lines[4].split()[:4] == ["a", "2", "2", "2"] and lines[4].endswith("✓ ok")
    assert lines[5].split()[:4] == ["b", "1", "5", "5"] and lines[5].endswith("✓ ok")
    assert lines[-1].startswith("ok: all 2 inputs agree: max abs error ")
    assert result.stderr == ""


def test_cli_json():
    result = invoke("gradcheck", LECTURE, "--a", "2", "--b", "1", "--json", "--rtol", "1e-6", "--atol", "0")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"output", "value", "ok", "inputs", "step", "rtol", "atol"} <= set(doc)
    assert (doc["output"], doc["value"], doc["ok"]) == ("e", 6, True)
    assert (doc["step"], doc["rtol"], doc["atol"]) == (EPS, 1e-6, 0)
    assert list(doc["inputs"]) == ["a", "b"]
    for name, reverse in [("a", 2), ("b", 5)]:
        item = doc["inputs"][name]
        assert {"value", "reverse", "numeric", "abs_error", "rel_error", "ok"} <= set(item)
        assert item["reverse"] == reverse and item["ok"] is True
        assert item["numeric"] == pytest.approx(reverse) and item["abs_error"] < 1e-9


def test_cli_kink_warns_and_exits_0():
    result = invoke("gradcheck", "y = relu(x) * 3", "--x", "0")
    assert result.exit_code == 0
    assert "kink of relu" in result.stderr and result.stderr.startswith("warning: ")
    assert "⚠ kink" in result.stdout and "not checked: x (kink)" in result.stdout
    doc = json.loads(invoke("gradcheck", "y = relu(x) * 3", "--x", "0", "--json").stdout)
    assert doc["ok"] is True and doc["inputs"]["x"]["ok"] is None and doc["inputs"]["x"]["status"] == "kink"


def test_cli_mismatch_exits_1(monkeypatch):
    from cgrad_cli.core import gradcheck

    real = gradcheck.evaluate

    def wrong_sin(graph, *args, **kwargs):  # the CLI parses the program itself: break sin in its graph
        return real(broken(graph, "sin", (lambda m, o, x: m.sin(x),)), *args, **kwargs)

    monkeypatch.setattr(gradcheck, "evaluate", wrong_sin)
    result = invoke("gradcheck", "y = sin(x) + z", "--x", "0.7", "--z", "1")
    assert result.exit_code == 1, result.stderr
    assert "✗ MISMATCH" in result.stdout and "FAILED: 1 of 2 inputs disagree (x)" in result.stdout
    result = invoke("gradcheck", "y = sin(x) + z", "--x", "0.7", "--z", "1", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["inputs"]["x"]["ok"] is False and doc["inputs"]["z"]["ok"] is True


@pytest.mark.parametrize("args, fragment", [
    (["y = x*w", "--x", "1"], "missing value for input w"),
    (["y = x", "--x", "1", "--wrt", "z"], "no name 'z'"),
    (["c = x*2; y = c", "--x", "1", "--wrt", "c"], "not an input"),
    (["y = x", "--x", "1", "--output", "q"], "no name 'q'"),
    (["y = x +", "--x", "1"], "error: line 1"),
    (["y = x", "--x", "1", "--eps", "0"], "--eps"),
    (["y = x", "--x", "1", "--rtol", "-1"], "--rtol"),
])
def test_cli_usage_errors_exit_2(args, fragment):
    result = invoke("gradcheck", *args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_cli_domain_error_at_the_point_exits_3():
    result = invoke("gradcheck", "y = log(x - 2)", "--x", "1")
    assert result.exit_code == 3
    assert "log is undefined" in result.stderr and result.stdout == ""


def test_cli_domain_error_next_to_the_point_warns():
    result = invoke("gradcheck", "y = log(x)", "--x", "1e-7")
    assert result.exit_code == 0
    assert "warning: x: the finite difference cannot be taken" in result.stderr
    assert "not checked: x (domain)" in result.stdout
    assert invoke("gradcheck", "y = log(x)", "--x", "1e-7", "--eps", "1e-10").exit_code == 0


# --- tensors: element by element --------------------------------------------------------------------------

CLASSIFIER = "z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2); C = -log(y[r])"
POINT = {"W1": [[0.5, -0.3], [0.8, 0.2], [-0.4, 0.9]], "x": [1.5, -2], "b1": [0.1, 0, -0.1],
         "W2": [[0.3, -0.6, 0.9], [-0.5, 0.4, 0.2]], "b2": [0, 0.1], "r": 1}
ARGS = [w for name, value in POINT.items() for w in (f"--{name}", json.dumps(value))]
SCHEMA = json.loads((Path(cgrad_cli.__file__).parent / "schemas" / "gradcheck.schema.json").read_text("utf-8"))


def valid(doc: dict) -> dict:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc


def wrong_matmul(graph):
    """The graph with @'s vector-Jacobian product off by 0.5 in element [1, 0] of a matrix's gradient."""
    right = OPS["matmul"].vjp

    def vjp(m, g, o, a, b):
        da, db = right(m, g, o, a, b)
        if da.ndim == 2:
            da = da.copy()
            da[1, 0] += 0.5
        return da, db

    return broken(graph, "matmul", vjp=vjp)


def test_classifier_passes_element_by_element():
    check = check_gradients(parse(CLASSIFIER), POINT)
    assert check.ok and check.verified
    assert [r.name for r in check] == ["W1", "x", "b1", "W2", "b2", "r"]
    w1, x, b1, w2, b2, r = check
    assert [t.shape for t in check] == [(3, 2), (2,), (3,), (2, 3), (2,), None]
    for t in (w1, x, b1, w2, b2):
        assert t.status == "ok" and t.ok is True and t.note is None
        assert t.counts == {"checked": len(t.elements), "mismatched": 0, "unchecked": 0}
        assert t.abs_error < 1e-9 and t.worst is not None
        assert t.abs_error == max(e.abs_error for e in t.elements)
    assert len(w1.elements) == 6 and w1.elements[3].index == (1, 1)
    assert w1.value == POINT["W1"] and len(w1.reverse) == 3 and len(w1.reverse[0]) == 2
    for e, numeric in zip(w1.elements, sum(w1.numeric, [])):
        assert e.numeric == numeric == pytest.approx(e.reverse, rel=1e-6, abs=1e-12)
    # reverse is the evaluation's own gradient, element for element
    assert w2.reverse == check.evaluation.grad(parse(CLASSIFIER).inputs["W2"]).tolist()
    # r is an index: x ± h is not an integer, so it has no derivative to check
    assert r.status == "index" and r.ok is None and r.numeric is None and r.reverse == 0
    assert "used as an index" in r.note and "y[r]" in r.note
    assert check.elements == {"checked": 19, "mismatched": 0, "unchecked": 1}


def test_a_scalar_input_of_a_tensor_program_is_one_element():
    check = check_gradients(parse("y = sum(x * s)"), {"x": [1, 2, 3], "s": 2})
    x, s = check
    assert x.shape == (3,) and x.reverse == [2, 2, 2]
    assert s.shape is None and s.status == "ok" and s.reverse == 6.0 and s.numeric == pytest.approx(6)


def test_a_wrong_tensor_rule_is_caught_and_its_worst_element_named():
    check = check_gradients(wrong_matmul(parse(CLASSIFIER)), POINT)
    assert not check.ok and not check.verified
    by = {r.name: r for r in check}
    assert [r.name for r in check.mismatches] == ["W1", "W2"]
    for name in ("W1", "W2"):
        r = by[name]
        assert r.status == "mismatch" and r.ok is False and r.worst == (1, 0)
        assert r.counts == {"checked": 6, "mismatched": 1, "unchecked": 0}
        (bad,) = r.mismatched(check.rtol, check.atol)
        assert bad.index == (1, 0) and bad.reverse - bad.numeric == pytest.approx(0.5, rel=1e-6)
        assert r.abs_error == pytest.approx(0.5, rel=1e-6)
    assert [by[n].status for n in ("x", "b1", "b2", "r")] == ["ok", "ok", "ok", "index"]


def test_a_kink_in_one_element_is_not_blamed_for_another_elements_mismatch():
    """relu(W @ x) sits on its kink in row 0 only; the broken rule corrupts row 1."""
    program, point = "y = sum(relu(W @ x) * c)", {"W": [[1, 1], [3, 4]], "x": [1, -1], "c": [2, 3]}
    check = check_gradients(parse(program), point)
    (w, x, c) = check
    assert check.ok and w.status == "ok" and w.counts == {"checked": 2, "mismatched": 0, "unchecked": 2}
    assert [e.status for e in w.elements] == ["kink", "kink", "ok", "ok"]
    check = check_gradients(wrong_matmul(parse(program)), point)
    w = check[0]
    assert [e.status for e in w.elements] == ["kink", "kink", "mismatch", "ok"] and w.worst == (1, 0)


def test_relu_at_zero_inside_an_array_is_unchecked_not_a_mismatch():
    check = check_gradients(parse("y = sum(relu(x) * 3)"), {"x": [0, 1, -2]})
    assert check.ok and check.verified
    (x,) = check
    assert [e.status for e in x.elements] == ["kink", "ok", "ok"]
    assert x.status == "ok" and x.ok is True
    assert x.counts == {"checked": 2, "mismatched": 0, "unchecked": 1}
    assert x.reverse == [0, 3, 0] and x.numeric[0] == pytest.approx(1.5)  # the sides average to 1.5
    assert x.worst in ((1,), (2,)) and x.abs_error < 1e-9  # the kink's error is not counted
    assert "1 of 3 elements not checked (kink): x[0]" in x.note and "kink of relu" in x.note
    # every element on the kink: nothing checked, no mismatch either
    check = check_gradients(parse("y = sum(relu(x))"), {"x": [0, 0]})
    assert check.ok and not check.verified
    assert check[0].status == "kink" and check[0].ok is None and check[0].worst is None


def test_a_domain_error_next_to_one_element():
    (x,) = check_gradients(parse("y = sum(log(x))"), {"x": [1e-7, 2]})
    assert [e.status for e in x.elements] == ["domain", "ok"] and x.numeric[0] is None
    assert "x[0] = " in x.note and "--eps" in x.note


def test_a_tensor_output_is_refused():
    with pytest.raises(CgradError, match="needs a scalar output, and y is a 2-vector") as e:
        check_gradients(parse("y = W @ x"), {"W": [[1, 2], [3, 4]], "x": [1, -1]})
    assert e.value.exit_code == 2 and "sum(y)" in e.value.hint


def test_verified_needs_one_element_checked():
    assert check_gradients(parse(LECTURE), {"a": 2, "b": 1}).verified
    check = check_gradients(parse("y = relu(x) * 3"), {"x": 0})
    assert check.ok and not check.verified and check.elements == {"checked": 0, "mismatched": 0, "unchecked": 1}
    check = check_gradients(parse("y = 2"), {})
    assert check.ok and not check.verified


def test_cli_classifier():
    result = invoke("gradcheck", CLASSIFIER, *ARGS)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("C = 0.649697 at W1 = [[0.5, -0.3], [0.8, 0.2], [-0.4, 0.9]], x = [1.5, -2]")
    assert all(len(line) <= 80 for line in lines)
    lines = [line for line in lines if not line.startswith("    ")]  # the point folded at 80 columns
    assert lines[3].split() == ["input", "shape", "checked", "max", "abs", "error", "max", "rel", "error", "worst",
                                "check"]
    w1 = lines[4].split()
    assert w1[:5] == ["W1", "3×2", "6", "of", "6"] and lines[4].endswith("✓ ok") and "  W1[" in lines[4]
    assert lines[9].split()[:5] == ["r", "scalar", "0", "of", "1"] and lines[9].endswith("⚠ index")
    assert lines[-2].startswith("no mismatch: 19 of 20 elements agree: max abs error ")
    assert lines[-1].endswith("not checked: r (index)")
    assert result.stderr.startswith("warning: r: r is used as an index")


def test_cli_classifier_json_validates():
    result = invoke("gradcheck", CLASSIFIER, *ARGS, "--json")
    assert result.exit_code == 0, result.stderr
    doc = valid(json.loads(result.stdout))
    assert doc["ok"] is True and doc["verified"] is True
    assert doc["elements"] == {"checked": 19, "mismatched": 0, "unchecked": 1}
    w1 = doc["inputs"]["W1"]
    assert w1["shape"] == [3, 2] and w1["value"] == POINT["W1"] and w1["status"] == "ok"
    assert len(w1["reverse"]) == 3 and all(len(row) == 2 for row in w1["numeric"] + w1["h"])
    assert w1["elements"] == {"checked": 6, "mismatched": 0, "unchecked": 0} and len(w1["worst"]) == 2
    assert w1["element_status"] == [["ok", "ok"]] * 3
    assert doc["inputs"]["r"] == {**doc["inputs"]["r"], "status": "index", "ok": None, "numeric": None}
    assert "shape" not in doc["inputs"]["r"]  # a scalar input keeps the scalar form
    assert doc["warnings"] == [{"node": None, "kind": "index", "message": doc["inputs"]["r"]["note"], "input": "r"}]


def test_cli_tensor_mismatch_exits_1_and_names_the_worst_element(monkeypatch):
    from cgrad_cli.core import gradcheck

    real = gradcheck.evaluate
    monkeypatch.setattr(gradcheck, "evaluate", lambda graph, *a, **k: real(wrong_matmul(graph), *a, **k))
    result = invoke("gradcheck", CLASSIFIER, *ARGS)
    assert result.exit_code == 1, result.stderr
    out = result.stdout
    assert "✗ MISMATCH (1 of 6)" in out and "  ✗ W1[1, 0]: reverse " in out and "  ✗ W2[1, 0]: reverse " in out
    assert "FAILED: 2 of 6 inputs disagree (W1: 1 of 6 elements, worst W1[1, 0]; W2: 1 of 6 elements, worst " \
           "W2[1, 0])" in " ".join(out.split())  # the summary is folded at 80 columns
    result = invoke("gradcheck", CLASSIFIER, *ARGS, "--json")
    assert result.exit_code == 1
    doc = valid(json.loads(result.stdout))
    assert doc["ok"] is False and doc["verified"] is False
    assert doc["elements"] == {"checked": 19, "mismatched": 2, "unchecked": 1}
    w1 = doc["inputs"]["W1"]
    assert (w1["status"], w1["ok"], w1["worst"]) == ("mismatch", False, [1, 0])
    assert w1["element_status"] == [["ok", "ok"], ["mismatch", "ok"], ["ok", "ok"]]
    assert doc["inputs"]["x"]["ok"] is True


def test_cli_relu_at_zero_in_an_array_warns_and_exits_0():
    result = invoke("gradcheck", "y = sum(relu(x) * 3)", "--x", "[0, 1, -2]")
    assert result.exit_code == 0
    assert "warning: x: 1 of 3 elements not checked (kink): x[0]; " in result.stderr
    assert "✓ ok (1 not checked)" in result.stdout and "not checked: x[0] (kink)" in result.stdout
    doc = valid(json.loads(invoke("gradcheck", "y = sum(relu(x) * 3)", "--x", "[0, 1, -2]", "--json").stdout))
    x = doc["inputs"]["x"]
    assert x["status"] == "ok" and x["element_status"] == ["kink", "ok", "ok"]
    assert x["numeric"][0] == pytest.approx(1.5) and x["reverse"][0] == 0
    assert doc["warnings"][-1]["kind"] == "kink" and doc["warnings"][-1]["elements"] == [[0]]
    doc = valid(json.loads(invoke("gradcheck", "y = sum(relu(x))", "--x", "[0, 0]", "--json").stdout))
    assert doc["ok"] is True and doc["verified"] is False and doc["inputs"]["x"]["worst"] is None


def test_cli_scalar_json_gains_verified():
    doc = valid(json.loads(invoke("gradcheck", LECTURE, "--a", "2", "--b", "1", "--json").stdout))
    assert doc["verified"] is True and doc["elements"] == {"checked": 2, "mismatched": 0, "unchecked": 0}
    doc = valid(json.loads(invoke("gradcheck", "y = relu(x) * 3", "--x", "0", "--json").stdout))
    assert doc["ok"] is True and doc["verified"] is False


@pytest.mark.parametrize("program", ["y = W @ x", "z = W @ x; y = sum(z)"])
def test_cli_tensor_output_exits_2(program):
    extra = ["--output", "z"] if "sum" in program else []
    result = invoke("gradcheck", program, "--W", "[[1,2],[3,4]]", "--x", "[1,-1]", *extra)
    assert result.exit_code == 2 and result.stdout == ""
    assert "gradcheck needs a scalar output" in result.stderr and "sum(" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_help_shows_a_tensor_example():
    result = invoke("gradcheck", "--help")
    assert "cgrad gradcheck \"C = -log(softmax(W @ x)[r])\" \\\n        --W '[[1,2],[3,4]]' --x '[1,-1]' --r 0" in result.stdout
    assert "verified" in result.stdout
    example = ["C = -log(softmax(W @ x)[r])", "--W", "[[1,2],[3,4]]", "--x", "[1,-1]", "--r", "0"]
    assert invoke("gradcheck", *example).exit_code == 0
