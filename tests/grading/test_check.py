"""`cgrad check`: expectations (a number or a formula) against cgrad's values and reverse-mode gradients."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cgrad_cli import parse
from cgrad_cli.grading.check import ExpectationError, Quantity, check, close, parse_expectation, random_points
from cgrad_cli.render.check import report_json
from cgrad_cli.cli import cli

LECTURE = "e=(a+b)*(b+1)"
AT = {"a": 2.0, "b": 1.0}


def invoke(*args):
    return CliRunner().invoke(cli, list(args), prog_name="cgrad", env={"NO_COLOR": "1"})


def run_check(program, at, *texts, **kw):
    g = parse(program)
    return check(g, at, [parse_expectation(t, g) for t in texts], **kw)


# --- the library ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, quantity", [
    ("e = 6", Quantity("e")),
    ("de/da = 2", Quantity("e", "a")),
    ("∂e/∂b = 5", Quantity("e", "b")),
    (" d e / d b =5", Quantity("e", "b")),
])
def test_quantities(text, quantity):
    assert parse_expectation(text, parse(LECTURE)).quantity == quantity


def test_the_lecture_example_passes():
    report = run_check(LECTURE, AT, "e=6", "de/da=2", "de/db=5")
    assert report.passed and report.n_passed == 3
    assert [(r.expected, r.got, r.error) for r in report.results] == [(6, 6, 0), (2, 2, 0), (5, 5, 0)]
    assert all(r.random is None for r in report.results)  # numbers are checked at the given point only


def test_a_wrong_number_fails():
    (r,) = run_check(LECTURE, AT, "de/db = 4").results
    assert not r.passed and r.error == 1 and r.note == "wrong at the given point: your answer: 4; correct: 5"


def test_a_right_formula_passes_at_the_random_points():
    (r,) = run_check(LECTURE, AT, "de/db = a + 2*b + 1").results
    assert r.passed
    assert (r.random.points, r.random.checked, r.random.skipped, r.random.failed) == (20, 20, 0, 0)


def test_a_formula_right_at_one_point_only_fails():
    (r,) = run_check(LECTURE, AT, "de/db = 2*a + 1").results
    assert r.expected == r.got == 5  # right at a = 2, b = 1 ...
    assert not r.passed and r.random.failed == 20  # ... and nowhere else
    f = r.random.first_failure
    assert f["expected"] == 2 * f["at"]["a"] + 1 and f["got"] == f["at"]["a"] + 2 * f["at"]["b"] + 1


def test_formulas_may_use_named_intermediates():
    report = run_check("c = a+b; d = b+1; e = c*d", AT, "∂e/∂c = d", "de/db = c + d", "dd/db = 1", "c = a + b")
    assert report.passed


def test_a_constant_expression_is_a_number():
    (r,) = run_check(LECTURE, AT, "de/db = 10/2").results
    assert r.passed and r.random is None and not r.expectation.answer.is_formula


def test_random_points_are_seeded_and_around_the_point():
    g = parse(LECTURE)
    ps = random_points(g, {"a": 2.0, "b": -10.0}, 50, seed=0)
    assert ps == random_points(g, {"a": 2.0, "b": -10.0}, 50, seed=0)
    assert ps != random_points(g, {"a": 2.0, "b": -10.0}, 50, seed=1)
    assert all(1 <= p["a"] <= 3 and -15 <= p["b"] <= -5 for p in ps)  # x ± max(1, |x|)/2


def test_undefined_random_points_are_skipped_and_counted():
    # asin is defined on [-1, 1]: around x = 0.9 (x ± 0.5) about a fifth of the points are out of it
    (r,) = run_check("y = asin(x)", {"x": 0.9}, "dy/dx = 1/sqrt(1 - x^2)", points=20).results
    assert r.random.skipped > 0 and r.random.checked + r.random.skipped == 20


def test_too_few_defined_points_fail_and_say_so():
    (r,) = run_check("y = asin(x)", {"x": 0.99}, "dy/dx = 1/sqrt(1 - x^2)", points=20).results
    assert r.random.checked < r.random.needed == 10
    assert not r.passed and "random points were defined" in r.note


def test_an_answer_undefined_at_the_point_fails():
    (r,) = run_check("y = x^2", {"x": 3.0}, "dy/dx = 1/(x - 3)").results
    assert not r.passed and r.expected is None and "undefined" in r.note


def test_tolerance_is_numpy_isclose():
    assert close(1.00001, 1.0) and not close(1.0001, 1.0)
    assert close(1e-9, 0.0) and not close(1e-7, 0.0)
    assert close(1.0001, 1.0, rtol=1e-3)
    # a value copied from cgrad's six significant digits passes
    (r,) = run_check("x3 = x0^8", {"x0": 1.1}, "x3 = 2.14359").results
    assert r.passed


@pytest.mark.parametrize("text, message, column", [
    ("de/db = a + 2b", "unexpected 'b'", 14),
    ("de/dx = 1", "no name 'x'", 5),
    ("df/db = 1", "no name 'f'", 2),
    ("de/db = a + z", "the answer uses 'z'", 13),
    ("d/db = 1", "cannot read the quantity", 1),
    ("de/db = c = 3", "one expression", 9),
    ("de/db = ", "no answer", 9),
])
def test_bad_expectations(text, message, column):
    with pytest.raises(ExpectationError) as info:
        parse_expectation(text, parse(LECTURE))
    e = info.value
    assert message in e.message and e.exit_code == 2
    assert e.text_span[0] + 1 == column
    assert f"--expect, column {column}" in e.render() and "^" in e.render()


def test_no_equals_sign():
    with pytest.raises(ExpectationError, match="QUANTITY = ANSWER"):
        parse_expectation("de/db", parse(LECTURE))


def test_derivative_with_respect_to_a_constant_is_refused():
    with pytest.raises(ExpectationError, match="does not depend on any input"):
        parse_expectation("dy/dk = 3", parse("k = 3; y = k*x"))


def test_report_json_shape():
    doc = report_json(run_check(LECTURE, AT, "e = 6", "de/db = 2*a + 1"))
    assert doc["pass"] is False and doc["passed"] == 1 and doc["total"] == 2
    assert doc["random_points"] == {"count": 20, "seed": 0, "range": "x ± max(1, |x|)/2"}
    assert doc["checks"][1]["random"]["failed"] == 20


# --- the command --------------------------------------------------------------------------------------------

def test_cli_passes_with_exit_0():
    r = invoke("check", LECTURE, "--a", "2", "--b", "1", "--expect", "e=6", "--expect", "de/da=2",
               "--expect", "de/db=5")
    assert r.exit_code == 0, r.output
    assert "3 of 3 checks passed" in r.stdout
    assert "∂e/∂b" in r.stdout and "✓ pass" in r.stdout


def test_cli_fails_with_exit_1():
    r = invoke("check", LECTURE, "--a", "2", "--b", "1", "--expect", "de/db = 2*a + 1")
    assert r.exit_code == 1
    assert "✗ fail" in r.stdout and "wrong at 20 of 20 random points" in r.stdout


def test_cli_json():
    r = invoke("check", LECTURE, "--a", "2", "--b", "1", "--expect", "∂e/∂b = a + 2*b + 1", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["pass"] and doc["checks"][0]["quantity"] == "∂e/∂b" and doc["checks"][0]["got"] == 5


def test_cli_options():
    args = ["check", LECTURE, "--a", "2", "--b", "1", "--expect", "de/db = 5.001"]
    assert invoke(*args).exit_code == 1
    assert invoke(*args, "--rtol", "1e-3").exit_code == 0
    assert invoke(*args, "--atol", "0.01").exit_code == 0
    r = invoke("check", LECTURE, "--a", "2", "--b", "1", "--expect", "de/db = a+2*b+1", "--points", "0", "--json")
    assert json.loads(r.stdout)["checks"][0]["random"] is None


@pytest.mark.parametrize("args, code, text", [
    (["--expect", "de/db = a + 2b"], 2, "hint: cgrad has no implicit multiplication"),
    (["--expect", "de/dq = 1"], 2, "the program has no name 'q'"),
    ([], 2, "nothing to check"),
    (["--expect", "e=6", "--c", "1"], 2, "no input 'c'"),
])
def test_cli_errors(args, code, text):
    r = invoke("check", LECTURE, "--a", "2", "--b", "1", *args)
    assert r.exit_code == code
    assert text in r.stderr and r.stdout == "" and "Traceback" not in r.stderr


def test_cli_error_as_json():
    r = invoke("check", LECTURE, "--a", "2", "--b", "1", "--expect", "de/db = a + z", "--json")
    assert r.exit_code == 2 and r.stdout == ""
    doc = json.loads(r.stderr.strip().splitlines()[-1])
    assert doc["error"]["kind"] == "name" and doc["error"]["column"] == 13


def test_cli_math_error_in_the_program_is_exit_3():
    r = invoke("check", "y = log(x)", "--x", "-1", "--expect", "y = 0")
    assert r.exit_code == 3


def test_cli_kink_warning():
    r = invoke("check", "y = relu(x)", "--x", "0", "--expect", "dy/dx = 0")
    assert r.exit_code == 0 and r.stderr.startswith("warning: ")


def test_cli_help():
    r = invoke("check", "--help")
    assert r.exit_code == 0 and "--expect" in r.stdout and "1  an expectation does not hold" in r.stdout


# --- tensors: a two-layer classifier --------------------------------------------------------------------------

import numpy as np  # noqa: E402

CLASSIFIER = "z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2); C = -log(y[r])"
NET = {"W1": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], "b1": [0.0, 0.1, -0.1], "x": [1.0, 2.0],
       "W2": [[0.2, -0.1, 0.3], [-0.4, 0.5, 0.1]], "b2": [0.05, -0.05], "r": 1.0}
NET_ARGS = [w for name, value in NET.items() for w in (f"--{name}", json.dumps(value))]


def by_hand():
    """The classifier's forward and backward pass in plain numpy: the reference the answers come from."""
    W1, b1, x, W2, b2 = (np.array(NET[k]) for k in ("W1", "b1", "x", "W2", "b2"))
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    z2 = W2 @ a1 + b2
    y = np.exp(z2) / np.exp(z2).sum()
    dz2 = y - np.eye(2)[int(NET["r"])]
    dz1 = (W2.T @ dz2) * a1 * (1 - a1)
    return {"y": y, "a1": a1, "dz2": dz2, "dW2": np.outer(dz2, a1), "dW1": np.outer(dz1, x), "db1": dz1}


def literal(a) -> str:
    """An array as a cgrad array literal, every digit kept."""
    return json.dumps(np.asarray(a).tolist())


def net_check(*texts, **kw):
    return run_check(CLASSIFIER, NET, *texts, **kw)


def test_right_array_answers_pass():
    ref = by_hand()
    report = net_check(f"y = {literal(ref['y'])}", f"dC/dW1 = {literal(ref['dW1'])}",
                       f"dC/dW2 = {literal(ref['dW2'])}", f"∂C/∂b1 = {literal(ref['db1'])}")
    assert report.passed, [r.note for r in report.results]
    r = report.results[1]
    assert r.got.shape == r.expected.shape == (3, 2) and r.wrong == 0 and r.error < 1e-12
    assert all(x.random is None for x in report.results)  # an array literal is a constant: no random points


def test_a_wrong_element_fails_naming_it():
    wrong = by_hand()["dW1"].copy()
    wrong[1, 0] += 0.01
    (r,) = net_check(f"dC/dW1 = {literal(wrong)}").results
    assert not r.passed and r.wrong == 1 and r.worst == (1, 0)
    assert abs(r.error - 0.01) < 1e-9  # the largest |expected - got| over the elements
    assert r.note.startswith("wrong at the given point: 1 of 6 elements differ; at [1, 0] your answer: ")


def test_a_wrong_shape_fails_saying_both_shapes():
    (r,) = net_check(f"dC/dW1 = {literal(by_hand()['dW1'].T)}").results  # transposed: 2×3 for a 3×2
    assert not r.passed and r.error is None and r.wrong is None and r.random is None
    assert r.note == "wrong shape: your answer is a 2×3 array; correct: a 3×2 array (the shape of ∂C/∂W1)"
    (r,) = net_check("y = [0.5, 0.5, 0]").results
    assert r.note == "wrong shape: your answer is a 3-vector; correct: a 2-vector (the shape of y)"
    (r,) = net_check("dC/db2 = 0").results
    assert r.note == "wrong shape: your answer is a scalar; correct: a 2-vector (the shape of ∂C/∂b2)"


def test_the_softmax_gradient_formula_passes_at_the_random_points():
    (r,) = net_check("dC/dz2 = y - onehot(r, 2)").results
    assert r.passed and np.allclose(r.got, by_hand()["dz2"])
    assert (r.random.points, r.random.checked, r.random.skipped, r.random.failed) == (20, 20, 0, 0)


def test_formulas_with_matrices_pass():
    report = net_check("dC/dW2 = reshape(y - onehot(r, 2), 2, 1) @ reshape(a1, 1, 3)",
                       "dC/db1 = a1 * (1 - a1) * (transpose(W2) @ (y - onehot(r, 2)))",
                       "dC/dW1 = reshape(a1 * (1 - a1) * (W2.T @ (y - onehot(r, 2))), 3, 1) @ [x]",
                       "C = -log(softmax(z2)[r])")
    assert report.passed, [r.note for r in report.results]
    assert all(r.random.checked == 20 for r in report.results)


def test_a_tensor_formula_right_at_the_point_only_fails():
    # x[1] is 2 at the given point, so the extra factor x[1]/2 is 1 there and nowhere else
    (r,) = net_check("dC/dz2 = (y - onehot(r, 2)) * x[1] / 2").results
    assert r.error < 1e-12 and not r.passed and r.random.failed == 20
    assert r.note == "right at the given point but wrong at 20 of 20 random points"
    f = r.random.first_failure
    assert f["at"]["r"] == 1.0 and f["worst"] in ((0,), (1,))


def test_index_inputs_stay_fixed_and_arrays_move_element_by_element():
    g = parse(CLASSIFIER)
    from cgrad_cli.grading.check import index_inputs

    assert index_inputs(g) == ["r"]
    assert index_inputs(parse("k = r + 1; y = onehot(k, 3) * x")) == ["r"]  # through other nodes
    assert index_inputs(parse(LECTURE)) == []
    ps = random_points(g, NET, 30, seed=0)

    def plain(points):
        return [{k: np.asarray(v).tolist() for k, v in p.items()} for p in points]

    assert plain(ps) == plain(random_points(g, NET, 30, seed=0))
    assert plain(ps) != plain(random_points(g, NET, 30, seed=1))
    for p in ps:
        assert p["r"] == 1.0
        for name in ("W1", "x", "W2"):
            x = np.array(NET[name])
            radius = np.maximum(1.0, np.abs(x)) / 2
            assert p[name].shape == x.shape and (np.abs(p[name] - x) <= radius).all()
        assert len({float(v) for v in p["W1"].ravel()} - {float(v) for v in np.array(NET["W1"]).ravel()}) == 6


def test_an_answer_that_cannot_be_evaluated_fails():
    (r,) = net_check("dC/dz2 = y - onehot(r, 3)").results  # a 2-vector minus a 3-vector
    assert not r.passed and r.expected is None and r.unevaluated == "error"
    assert r.note.startswith("the answer cannot be evaluated: shapes do not fit in sub")


def test_the_derivative_of_a_vector_is_refused():
    g = parse(CLASSIFIER)
    with pytest.raises(ExpectationError) as info:
        check(g, NET, [parse_expectation("dy/dW2 = 0", g)])
    e = info.value
    assert e.exit_code == 2 and "'y' is a 2-vector" in e.message and "needs a scalar y" in e.message
    assert e.text_span == (1, 2) and "y0 = y[0]" in e.hint


def test_tensor_json_has_shapes_and_the_worst_element():
    wrong = by_hand()["dW2"].copy()
    wrong[0, 2] = 0.0
    doc = report_json(net_check(f"dC/dW2 = {literal(wrong)}", "dC/dz2 = y - onehot(r, 2)", "C = 0.5"))
    assert doc["at"] == NET and doc["random_points"]["fixed"] == ["r"]
    bad, formula, scalar = doc["checks"]
    assert bad["shape"] == bad["got_shape"] == [2, 3] and bad["worst"] == [0, 2]
    # got: the answer's value; expected: the correct one (as in an assignment's items)
    assert bad["wrong_elements"] == 1 and bad["got"][0][2] == 0.0 and bad["expected"][0][2] != 0.0
    assert formula["pass"] and formula["expected"] == pytest.approx(by_hand()["dz2"].tolist())
    assert "shape" not in scalar and isinstance(scalar["got"], float)  # a scalar check keeps its form


def test_scalar_json_keeps_its_keys():
    doc = report_json(run_check(LECTURE, AT, "e = 6", "de/db = 2*a + 1"))
    assert "fixed" not in doc["random_points"]
    assert set(doc["checks"][0]) == {"quantity", "of", "wrt", "answer", "formula", "expected", "got", "error",
                                     "pass", "random", "note", "diagnosis"}
    assert set(doc["checks"][1]["random"]["first_failure"]) == {"at", "expected", "got", "error"}


def test_cli_tensor_table():
    ref = by_hand()
    r = invoke("check", CLASSIFIER, *NET_ARGS, "--expect", f"y = {literal(ref['y'])}",
               "--expect", "dC/dz2 = y - onehot(r, 2)", "--expect", "dC/db1 = [1, 2, 3]")
    assert r.exit_code == 1, r.output
    out = r.stdout
    assert "r kept fixed (used as an index)" in out and "2 of 3 checks passed" in out
    assert "W1 = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]" in out
    # the long answer of y turns the table: a block per check, a field per line
    block = out.split("∂C/∂z2  ✓ pass\n", 1)[1].splitlines()[:4]
    assert block == ["  answer         y - onehot(r, 2) = [0.505837, -0.505837]",
                     "  correct        [0.505837, -0.505837]",
                     "  |error|        1.11e-16 at [0]",
                     "  random points  20 of 20 right"]
    assert "∂C/∂b1: wrong at the given point: 3 of 3 elements differ; at [2] your answer: 3;\n    correct: " in out


def test_cli_tensor_json_validates_against_the_schema():
    import jsonschema
    from pathlib import Path

    import cgrad_cli

    schema = json.loads((Path(cgrad_cli.__file__).parent / "schemas" / "check.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    wrong = by_hand()["dW1"].copy()
    wrong[2, 1] = 9
    r = invoke("check", CLASSIFIER, *NET_ARGS, "--expect", "dC/dz2 = y - onehot(r, 2)",
               "--expect", "dC/dz2 = (y - onehot(r, 2)) * x[1] / 2", "--expect", f"dC/dW1 = {literal(wrong)}",
               "--expect", "dC/dW1 = [1, 2]", "--expect", "dC/dz2 = y - onehot(r, 3)", "--expect", "C = 1",
               "--json")
    assert r.exit_code == 1, r.stderr
    doc = json.loads(r.stdout)
    validator.validate(doc)
    assert [c["pass"] for c in doc["checks"]] == [True, False, False, False, False, False]
    assert doc["checks"][1]["random"]["first_failure"]["worst"] in ([0], [1])
    assert doc["checks"][2]["worst"] == [2, 1]
    assert doc["checks"][3]["got_shape"] == [2] and doc["checks"][3]["error"] is None
    assert doc["checks"][4]["got"] is None and doc["checks"][4]["got_shape"] is None


def test_cli_derivative_of_a_vector_is_exit_2():
    r = invoke("check", CLASSIFIER, *NET_ARGS, "--expect", "dy/dx = [1, 2]")
    assert r.exit_code == 2 and r.stdout == ""
    assert "'y' is a 2-vector: a derivative dy/dNAME needs a scalar y" in r.stderr and "^" in r.stderr


def test_cli_help_has_a_tensor_example():
    r = invoke("check", "--help")
    assert "dC/dz = y - onehot(r, 2)" in r.stdout and "--W '[[1, 2], [3, 4]]'" in r.stdout
