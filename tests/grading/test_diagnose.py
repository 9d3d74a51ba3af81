"""Diagnosis of wrong answers: every candidate family names a hand-worked wrong answer; right answers and
wrong answers no candidate explains get none."""
import json

import pytest

from cgrad_cli.core.parsing import parse
from cgrad_cli.grading.check import check, parse_expectation
from cgrad_cli.grading.diagnose import FAMILIES, KINKS, MISTAKES

LECTURE = "c = a+b; d = b+1; e = c*d"
AT = {"a": 2.0, "b": 1.0}


def result(program, at, expectation):
    graph = parse(program)
    (r,) = check(graph, at, [parse_expectation(expectation, graph)]).results
    assert not r.passed
    return r


def diagnosed(program, at, expectation, family):
    """The answer is diagnosed (one misconception) as `family`; the diagnosis's first sentence."""
    d = result(program, at, expectation).diagnosis
    assert d is not None and d.sure, d and d.text()
    assert d.matches[0].family == family
    return d.matches[0]


def test_the_lecture_example_is_a_could_be_list_with_the_missing_path_first():
    d = result(LECTURE, AT, "de/db = 2").diagnosis
    assert not d.sure  # 2 is also ∂e/∂a and the value of d, at every point of this graph: no one reading
    families = [m.family for m in d.distinct()]
    assert families[0] == "paths" and "other input" in families and "value" in families
    assert "only the path e → c → b" in d.distinct()[0].says and "missing e → d → b" in d.distinct()[0].says
    assert "could be (most likely first): (1) only the path e → c → b" in d.text()


def test_a_path_counted_twice():
    m = diagnosed(LECTURE, AT, "de/db = 8", "paths")  # 5 + the path through d (c·1 = 3) again
    assert m.says.startswith("the path e → d → b counted twice")
    assert m.right == "∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = 2·1 + 3·1 = 5"


RNN = "h1 = tanh(w*x1); h2 = tanh(w*h1 + x2); h3 = tanh(w*h2 + x3); L = h3"
RNN_AT = {"w": 0.5, "x1": 1.0, "x2": -0.5, "x3": 0.3}


def test_only_the_last_steps_use_of_a_weight_written_out_step_by_step():
    # the last step's contribution alone, by hand: ∂L/∂h3 = 1, ∂h3/∂(w*h2+x3) = 1 - h3², times h2
    m = diagnosed(RNN, RNN_AT, "dL/dw = (1 - h3^2) * h2", "paths")
    assert m.says.startswith("only 1 of the 3 uses of w (only the last step's)")


def test_only_the_last_steps_use_of_a_matrix_shared_through_a_function():
    program = "cell(h, x) = tanh(W @ h + x); h1 = cell([0.5, -1], x1); h2 = cell(h1, x2); L = sum(h2)"
    at = {"W": [[0.5, 0.1], [0.2, -0.3]], "x1": [1.0, 0.5], "x2": [-0.5, 0.2]}
    m = diagnosed(program, at, "dL/dW = reshape(1 - h2*h2, 2, 1) @ reshape(h1, 1, 2)", "paths")
    assert "only 1 of the 2 uses of W (only the last step's), in cell(h1, x2)" in m.says


@pytest.mark.parametrize("program, at, answer, says", [
    ("e = (a+b)*(b+1)", AT, "de/da = a + b", "the product rule's factors swapped"),
    ("y = x*x - 3*x", {"x": 2.0}, "dy/dx = 2*x + 3", "the minus of a subtraction dropped"),
    ("y = a/b", {"a": 1.0, "b": 2.0}, "dy/db = -a/b", "the quotient rule's v² missing"),
    ("y = x^3", {"x": 2.0}, "dy/dx = 3*x^3", "the power rule without lowering the exponent"),
    ("y = x^3", {"x": 2.0}, "dy/dx = x^2", "the power rule without its factor n"),
    ("y = sigmoid(w*x)", {"w": 0.5, "x": 2.0}, "dy/dw = sigmoid(w*x)*x", "σ′ taken as σ"),
    ("y = sigmoid(w*x)", {"w": 0.5, "x": 2.0}, "dy/dw = (1 - sigmoid(w*x))*x", "σ′ taken as 1 − σ"),
    ("y = tanh(x)", {"x": 0.5}, "dy/dx = 1 - tanh(x)", "tanh′ taken as 1 − tanh"),
    ("y = log(x^2)", {"x": 3.0}, "dy/dx = 2*x/log(x^2)", "log′ taken as 1 over the log itself"),
])
def test_a_wrong_rule_is_named_with_the_right_one(program, at, answer, says):
    m = diagnosed(program, at, answer, "rule")
    assert says in m.says and m.says.startswith("you took ∂")
    assert " = " in m.right  # the right local derivative, as a formula and a number


def test_the_quotient_rules_minus_is_also_a_sign_flip():
    d = result("y = a/b", {"a": 1.0, "b": 2.0}, "dy/db = a/b^2").diagnosis
    assert not d.sure and [m.family for m in d.distinct()] == ["rule", "sign"]


def test_a_right_step_shows_the_right_rule():
    m = diagnosed("y = sigmoid(w*x)", {"w": 0.5, "x": 2.0}, "dy/dw = sigmoid(w*x)*x", "rule")
    assert m.right == "∂y/∂(w*x) = y*(1 - y) = 0.196612"
    assert m.formula == "x*sigmoid(w*x)"  # the wrong rule's derivative, built as cgrad diff builds one


def test_a_wrong_formula_is_named_as_the_candidate_formula():
    m = diagnosed("y = x^3", {"x": 2.0}, "dy/dx = 3*x^3", "rule")
    assert m.formula == "3*x^3" and "(your formula is 3*x^3)" in m.text()
    d = result(LECTURE, AT, "de/db = b + 1").diagnosis
    other = next(m for m in d.distinct() if m.family == "other input")
    assert other.formula == "b + 1" and result(LECTURE, AT, "de/db = 2").diagnosis.matches[0].formula is None


def test_a_kink_under_another_convention():
    m = diagnosed("y = abs(x) + 2*x", {"x": 0.0}, "dy/dx = 3", "kink")  # cgrad: abs'(0) = 0, so 2
    assert "abs′(0) = 1 (JAX's convention)" in m.says and m.right == "cgrad uses abs'(0) = 0 (PyTorch; JAX uses 1)"


def test_relu_at_its_kink_is_named_first():
    d = result("y = relu(x)*3", {"x": 0.0}, "dy/dx = 3").diagnosis
    assert d.distinct()[0].family == "kink" and "relu′(0) = 1" in d.distinct()[0].says


def test_a_chain_factor_dropped():
    m = diagnosed("y = exp(x^2) + x", {"x": 0.7}, "dy/dx = exp(x^2) + 1", "chain")
    assert m.says == "the factor ∂(x^2)/∂x of the chain rule dropped (taken as 1)"


def test_the_chain_stopped_early():
    m = diagnosed("y = sin(x^2)", {"x": 0.7}, "dy/dx = 2*x", "chain")
    assert m.says.startswith("the chain stopped at x^2: you gave ∂(x^2)/∂x")


def test_the_value_given_for_the_gradient():
    m = diagnosed("y = x^2 + 1", {"x": 3.0}, "dy/dx = 10", "value")
    assert m.says == "the value of y, not a derivative"


def test_the_derivative_of_another_input():
    m = diagnosed("y = a*b^2", {"a": 2.0, "b": 3.0}, "dy/da = 12", "other input")
    assert m.says.startswith("∂y/∂b, the derivative with respect to b")


@pytest.mark.parametrize("answer, family, says", [
    ("dy/dx = -12", "sign", "the sign flipped"),
    ("dy/dx = 6", "factor", "half the right number"),
    ("dy/dx = 6*x^2", "factor", "twice the right number"),
])
def test_sign_and_factor(answer, family, says):
    d = result("y = x^3", {"x": 2.0}, answer).diagnosis
    assert d.distinct()[-1].family == family if not d.sure else d.matches[0].family == family
    assert any(says in m.says for m in d.distinct())


def test_a_value_answer_naming_another_node():
    m = diagnosed(LECTURE, AT, "e = a + b + 0*d", "value")
    assert m.says == "the value of c, not of e"


SOFTMAX = "z = W @ x; y = softmax(z); C = -log(y[r])"
SOFTMAX_AT = {"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, -1.0], "r": 1.0}


def test_y_instead_of_y_minus_onehot():
    d = result(SOFTMAX, SOFTMAX_AT, "dC/dz = y").diagnosis
    first = d.distinct()[0]
    assert first.family == "softmax" and "y instead of y − onehot(r)" in first.says


def test_the_softmax_jacobians_diagonal_alone():
    # diagonal only, by hand: dC/dz_i = y_i(1 - y_i)·(-[i = r]/y_r) = -(1 - y_r) at r, 0 elsewhere
    m = diagnosed(SOFTMAX, SOFTMAX_AT, "dC/dz = -(1 - y[r]) * onehot(r, 2)", "softmax")
    assert m.says.startswith("only the diagonal of the softmax Jacobian")


def test_the_transposed_matrix():
    # W is 2×2 and symmetric at the given point's gradient, so only the random points tell the transpose
    m = diagnosed(SOFTMAX, SOFTMAX_AT, "dC/dW = reshape(x, 2, 1) @ reshape(y - onehot(r, 2), 1, 2)",
                  "transposed")
    assert m.says.startswith("the transpose of ∂C/∂W")


def test_the_gradient_of_the_wrong_element():
    m = diagnosed(SOFTMAX, SOFTMAX_AT, "dC/dz = y - onehot(0, 2)", "element")
    assert m.says.startswith("the derivative for r = 0")


@pytest.mark.parametrize("expectation", ["de/db = 5", "de/db = a + 2*b + 1", "de/da = d", "e = 6"])
def test_a_right_answer_gets_no_diagnosis(expectation):
    graph = parse(LECTURE)
    (r,) = check(graph, AT, [parse_expectation(expectation, graph)]).results
    assert r.passed and r.diagnosis is None


@pytest.mark.parametrize("program, at, expectation", [
    (LECTURE, AT, "de/db = 17.123"),
    (LECTURE, AT, "de/db = 2*a + 1"),  # right at the given point only: no single mistake gives it everywhere
    ("y = log(x^2)", {"x": 3.0}, "dy/dx = 1/log(x^2)"),  # two mistakes at once are not one candidate
    (SOFTMAX, SOFTMAX_AT, "dC/dz = [0.3, 0.7]"),
])
def test_a_wrong_answer_no_candidate_explains_gets_none(program, at, expectation):
    assert result(program, at, expectation).diagnosis is None


def test_every_mistake_and_kink_names_an_op_of_the_table():
    from cgrad_cli.core.ops import OPS

    assert set(MISTAKES) <= set(OPS) and set(KINKS) <= {name for name, op in OPS.items() if op.kink}


def test_the_diagnosis_in_the_table_and_the_json():
    from click.testing import CliRunner

    from cgrad_cli.cli import cli

    r = CliRunner().invoke(cli, ["check", LECTURE, "--a", "2", "--b", "1", "--expect", "de/db=8",
                                 "--expect", "de/db=2", "--json"], prog_name="cgrad")
    assert r.exit_code == 1
    sure, could = [c["diagnosis"] for c in json.loads(r.stdout)["checks"]]
    assert sure["sure"] and sure["candidates"][0]["family"] == "paths" and sure["candidates"][0]["value"] == 8
    assert not could["sure"] and [c["family"] for c in could["candidates"]][0] == "paths"
    assert {c["family"] for c in could["candidates"]} <= set(FAMILIES)
    r = CliRunner().invoke(cli, ["check", LECTURE, "--a", "2", "--b", "1", "--expect", "de/db=8"], prog_name="cgrad",
                           env={"NO_COLOR": "1"})
    assert "why: the path e → d → b counted twice" in r.stdout and "right: ∂e/∂b = " in r.stdout


def test_a_failing_check_at_a_kink_names_the_kink_and_the_other_conventions_value():
    r = result("y = relu(x)*3", {"x": 0.0}, "dy/dx = 7")
    assert r.diagnosis is None  # 7 is no convention's value ...
    assert "the point is at a kink: relu(x): cgrad uses relu'(0) = 0" in r.note  # ... but the kink is named
    assert "(with relu′(0) = 1: 3)" in r.note
    assert "kink" not in result("y = relu(x)*3", {"x": 1.0}, "dy/dx = 7").note


@pytest.mark.parametrize("program, at", [
    ("y = sigmoid(w*x) * tanh(w - x) / (1 + w^3)", {"w": 0.7, "x": 1.3}),
    ("c = a*b; d = log(c) - cos(a); e = c*d*d", {"a": 1.5, "b": 0.8}),
])
def test_one_changed_node_costs_no_sweep_and_gives_the_sweeps_number(program, at):
    """_At.resweep's shortcut (linear in one node's local derivatives) against a real backward sweep."""
    from cgrad_cli.core.autodiff import backward
    from cgrad_cli.grading.check import Quantity
    from cgrad_cli.grading.diagnose import _At, _replaced
    from cgrad_cli.grading.points import _Point

    graph = parse(program)
    out = list(graph.named)[-1]
    tried = 0
    for wrt in graph.inputs:
        a = _At(_Point(graph, at), Quantity(out, wrt))
        for i in a.on_way():
            for mistake in MISTAKES.get(graph.ops[i].name, ()):
                changes = {i: _replaced(graph.ops[i], mistake.partials)}
                swept = backward(a.mutated(changes), a.values, a.out).grad(a.w)
                assert a.resweep(changes) == pytest.approx(swept, rel=1e-12, abs=1e-12)
                tried += 1
    assert tried >= 8


@pytest.mark.parametrize("expectation", ["dx/dx = 2", "dy/dx = 1", "dy/dy = 3", "df/dx = 9"])
def test_a_quantity_with_no_chain_is_diagnosed_without_a_crash(expectation):
    # x comes after y on the tape; ∂x/∂x has no chain at all
    graph = parse("f = (log(1 + 0.5^2))^2 + (y + x)")
    (r,) = check(graph, {"x": 1.0, "y": 2.0}, [parse_expectation(expectation, graph)]).results
    assert not r.passed
    if expectation == "dx/dx = 2":
        assert r.diagnosis.sure and r.diagnosis.matches[0].family == "factor"
