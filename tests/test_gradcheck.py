"""`cgrad gradcheck` and cgrad_cli.gradcheck.check_gradients: reverse mode against central differences."""
from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from test_ops import points

from cgrad_cli import parse
from cgrad_cli.cli import cli
from cgrad_cli.gradcheck import ATOL, EPS, RTOL, check_gradients
from cgrad_cli.ops import OPS

LECTURE = "c = a+b; d = b+1; e = c*d"


def invoke(*args, input=None):
    """`cgrad ARGS` in-process; result.stdout and result.stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(cli, list(args), input=input, prog_name="cgrad")


def broken(graph, op_name, partials):
    """The graph with every `op_name` node's op replaced by a copy whose derivative rules are `partials`."""
    for i, op in enumerate(graph.ops):
        if op.name == op_name:
            graph.ops[i] = op._replace(partials=partials)
    # The forward program, as Graph.add forms it: (node, function, arg, arg or -1) per computed node.
    graph.code = [(i, op.forward, args[0], args[1] if len(args) == 2 else -1)
                  for i, (op, args) in enumerate(zip(graph.ops, graph.args)) if args]
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
    args = ["x", "y"][:op.arity]
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
    assert lines[2].split() == ["input", "value", "reverse", "numeric", "abs", "error", "rel", "error", "check"]
    assert lines[3].split()[:4] == ["a", "2", "2", "2"] and lines[3].endswith("✓ ok")
    assert lines[4].split()[:4] == ["b", "1", "5", "5"] and lines[4].endswith("✓ ok")
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
    from cgrad_cli import gradcheck

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
