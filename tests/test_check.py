"""`cgrad check`: expectations (a number or a formula) against cgrad's values and reverse-mode gradients."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cgrad_cli import parse
from cgrad_cli.check import (ExpectationError, Quantity, check, close, parse_expectation, random_points,
                             report_json)
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
    assert not r.passed and r.error == 1 and r.note == "wrong at the given point"


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
