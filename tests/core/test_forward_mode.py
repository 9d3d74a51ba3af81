"""Forward mode (cgrad_cli/core/forward_mode.py): one sweep up the tape per input.

Its tangents must agree with reverse mode's gradients -- both run the same derivative
rules of ops.py, only in the other order -- and with central finite differences of the
forward function, on the lecture example, on every op of the table and on random programs.
"""
from __future__ import annotations

import math
import random

import pytest
from samples import points

from cgrad_cli import CgradError, backward, evaluate, forward, parse
from cgrad_cli.core import forward_mode
from cgrad_cli.errors import InputError, MathDomainError, ProgramNameError
from cgrad_cli.core.forward_mode import agree, tangents, trace
from cgrad_cli.core.ops import OPS

LECTURE = "c = a+b; d = b+1; e = c*d"
INPUTS = ("x", "y", "z")


def all_tangents(graph, inputs):
    """{input: tangent list}, one forward sweep each."""
    values = forward(graph, inputs)
    return {name: tangents(graph, values, i) for name, i in graph.inputs.items()}


def assert_modes_agree(graph, inputs):
    """∂out/∂x from forward mode (the output's tangent) equals reverse mode's gradient, for every input x."""
    ev = evaluate(graph, inputs)
    ts = all_tangents(graph, inputs)
    for name, g in ev.gradients().items():
        t = ts[name][graph.output]
        assert t == pytest.approx(g, rel=1e-9, abs=1e-12), (graph.source, name, t, g)
    return ev, ts


def central_differences(graph, inputs, name):
    """∂node/∂name for every node, by central finite differences of the forward function."""
    v = inputs[name]
    h = 1e-6 * max(1.0, abs(v))
    up, down = forward(graph, {**inputs, name: v + h}), forward(graph, {**inputs, name: v - h})
    step = (v + h) - (v - h)
    return [(u - d) / step for u, d in zip(up, down)], up, down


def assert_matches_central_differences(graph, inputs, rel=1e-5):
    ts = all_tangents(graph, inputs)
    values = forward(graph, inputs)
    for name in graph.inputs:
        fd, up, down = central_differences(graph, inputs, name)
        for i, (t, d) in enumerate(zip(ts[name], fd)):
            scale = max(1.0, abs(values[i]), abs(up[i]), abs(down[i]))
            assert math.isclose(t, d, rel_tol=rel, abs_tol=1e-7 * scale), (graph.source, name, i, t, d)


# --- the lecture example --------------------------------------------------------------------------------------

def test_lecture_tangents():
    g = parse(LECTURE)
    ts = all_tangents(g, {"a": 2, "b": 1})
    e = g.named["e"]
    assert ts["a"][e] == 2.0 and ts["b"][e] == 5.0
    # every node's tangent: a, b, c = a+b, 1, d = b+1, e = c*d
    assert ts["a"] == [1.0, 0.0, 1.0, 0.0, 0.0, 2.0]
    assert ts["b"] == [0.0, 1.0, 1.0, 0.0, 1.0, 5.0]


def test_lecture_trace_both_modes():
    tr = trace(parse(LECTURE), {"a": 2, "b": 1})
    assert tr.wrt == ["a", "b"]
    assert tr.forward_gradients() == {"a": 2.0, "b": 5.0}
    assert tr.reverse_gradients() == {"a": 2.0, "b": 5.0}
    assert tr.agreement() == {"a": True, "b": True} and tr.agree
    assert tr.adjoints == [2.0, 5.0, 2.0, 0.0, 3.0, 1.0]
    assert tr.evaluation.value == 6.0


def test_lecture_matches_central_differences():
    assert_matches_central_differences(parse(LECTURE), {"a": 2, "b": 1})


def test_tangent_with_respect_to_an_intermediate_is_its_adjoint():
    """Seeding c (held independent) gives ∂e/∂c: the adjoint reverse mode gives c."""
    g = parse(LECTURE)
    values = forward(g, {"a": 2, "b": 1})
    t = tangents(g, values, g.named["c"])
    assert t == [0.0, 0.0, 1.0, 0.0, 0.0, 2.0]
    tr = trace(g, {"a": 2, "b": 1}, wrt=["c", "d"])
    assert tr.forward_gradients() == tr.reverse_gradients() == {"c": 2.0, "d": 3.0}


def test_wrt_and_output():
    g = parse(LECTURE)
    tr = trace(g, {"a": 2, "b": 1}, output="d", wrt=["b", "b"])
    assert tr.wrt == ["b"]  # a name given twice is swept once
    assert tr.forward_gradients() == tr.reverse_gradients() == {"b": 1.0}


# --- sweep counts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("src, wrt, forward_sweeps", [
    (LECTURE, None, 2),
    (LECTURE, ["b"], 1),
    ("y = x1*x2 + x3*x4 - x5/x6", None, 6),
    ("y = 2*3", None, 0),
])
def test_sweep_counts(monkeypatch, src, wrt, forward_sweeps):
    """Forward mode: one sweep per input; reverse mode: one per output."""
    calls = {"tangents": 0, "backward": 0}

    def counting(name, f):
        def wrapper(*args, **kw):
            calls[name] += 1
            return f(*args, **kw)
        return wrapper

    monkeypatch.setattr(forward_mode, "tangents", counting("tangents", forward_mode.tangents))
    monkeypatch.setattr(forward_mode, "backward", counting("backward", forward_mode.backward))
    g = parse(src)
    tr = trace(g, {name: 1.5 for name in g.inputs}, wrt=wrt)
    assert tr.sweeps == {"forward": forward_sweeps, "reverse": 1}
    assert calls == {"tangents": forward_sweeps, "backward": 1}
    assert tr.agree


# --- every op of the table ------------------------------------------------------------------------------------

DIFFERENTIABLE = [op for op in OPS.values() if op.forward is not None and op.name != "copy"]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_every_op_forward_mode_agrees_with_reverse_mode_and_finite_differences(op):
    args = list(INPUTS[:op.arity])
    g = parse("out = " + op.syntax.format(*args))
    assert g.ops[g.output] is op
    for xs in points(op):
        inputs = dict(zip(args, xs))
        assert_modes_agree(g, inputs)
        assert_matches_central_differences(g.held(forward(g, inputs)), inputs)


def test_copy_node():
    g = parse("y = x*x; z = y")
    assert g.ops[g.output] is OPS["copy"]
    ev, ts = assert_modes_agree(g, {"x": 3})
    assert ts["x"][g.output] == 6.0


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if op.kink is not None], ids=lambda op: op.name)
def test_both_modes_agree_at_kinks(op):
    """At a kink both modes use the same convention, so they still agree (relu'(0) = 0, ties split)."""
    args = list(INPUTS[:op.arity])
    g = parse("out = " + op.syntax.format(*args))
    assert_modes_agree(g, dict.fromkeys(args, 0.0))


def test_same_argument_twice():
    g = parse("y = max(x, x) + x*x + pow(x, x)")
    assert_modes_agree(g, {"x": 1.5})
    assert_matches_central_differences(parse("y = x*x + pow(x, x)"), {"x": 1.5})


# --- random programs ------------------------------------------------------------------------------------------

def random_expression(rng, pool, depth, ops):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(pool) if rng.random() < 0.85 else repr(round(rng.uniform(-2, 2), 3))
    op = rng.choice(ops)
    return "(" + op.syntax.format(*(random_expression(rng, pool, depth - 1, ops) for _ in range(op.arity))) + ")"


def random_program(rng, ops, statements=3, depth=3):
    """A few statements over x, y, z; later statements reuse earlier names (fan-out)."""
    pool, lines = list(INPUTS), []
    for k in range(rng.randint(1, statements)):
        lines.append(f"t{k} = " + random_expression(rng, pool, depth, ops))
        pool.append(f"t{k}")
    return "; ".join(lines)


def test_random_programs_over_every_op_agree_with_reverse_mode():
    """Hundreds of small programs over the whole op table, at random points: forward mode's ∂out/∂x
    equals reverse mode's for every input, and every node's tangent is finite."""
    rng = random.Random(20240607)
    ops = DIFFERENTIABLE
    compared, seen = 0, set()
    for _ in range(600):
        src = random_program(rng, ops)
        g = parse(src)
        inputs = {name: rng.uniform(-2, 2) for name in g.inputs}
        try:
            ev, ts = assert_modes_agree(g, inputs)
        except CgradError:  # a domain error at this point (log of a negative, 1/0, overflow): not a comparison
            continue
        assert all(math.isfinite(t) for tangent in ts.values() for t in tangent)
        compared += 1
        seen.update(op.name for op in g.ops)
    assert compared >= 300
    assert seen >= {op.name for op in DIFFERENTIABLE}  # every op of the table took part


# Smooth ops only, kept inside their domains: here finite differences are a fair judge.
SMOOTH = ["sin({0})", "cos({0})", "tanh({0})", "atan({0})", "sigmoid({0})", "softplus({0})", "exp(sin({0}))",
          "log(1+({0})^2)", "sqrt(1+({0})^2)", "({0})^2", "-({0})", "({0})+({1})", "({0})-({1})", "({0})*({1})",
          "({0})/(2+sin({1}))", "(1+({0})^2)^sin({1})", "pow(2+cos({0}), tanh({1}))", "max(3+tanh({0}), tanh({1}))"]


def smooth_expression(rng, pool, depth):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(pool) if rng.random() < 0.85 else f"({rng.uniform(-2, 2)!r})"
    template = rng.choice(SMOOTH)
    return template.format(*(smooth_expression(rng, pool, depth - 1) for _ in range(template.count("{1}") + 1)))


def test_random_smooth_programs_match_central_differences():
    """Every node's tangent, not only the output's, against central differences of the forward function."""
    rng = random.Random(7)
    for _ in range(150):
        pool, lines = list(INPUTS), []
        for k in range(rng.randint(1, 3)):
            lines.append(f"t{k} = " + smooth_expression(rng, pool, 3))
            pool.append(f"t{k}")
        g = parse("\n".join(lines))
        inputs = {name: rng.uniform(-1.5, 1.5) for name in g.inputs}
        assert_modes_agree(g, inputs)
        assert_matches_central_differences(g.held(forward(g, inputs)), inputs)


# --- long tapes -----------------------------------------------------------------------------------------------

N = 100_000


def test_100000_long_chain_runs_without_recursion():
    src = "y = " + "sin(" * N + "x*x" + ")" * N + " + x"
    g = parse(src)
    assert len(g) == N + 3
    tr = trace(g, {"x": 0.5})
    t = tr.tangents["x"]
    assert len(t) == len(g)
    fw, rv = tr.forward_gradients()["x"], tr.reverse_gradients()["x"]
    assert fw == pytest.approx(rv, rel=1e-9) and tr.agree
    assert g.ops[1].name == "mul" and t[1] == 1.0  # ∂(x*x)/∂x at 0.5
    assert all(math.isfinite(v) for v in t)


def test_100000_long_chain_of_negations_is_exact():
    g = parse("-" * N + "x")
    tr = trace(g, {"x": 2})
    assert tr.tangents["x"][-1] == 1.0 == tr.reverse_gradients()["x"]  # N is even


# --- errors ---------------------------------------------------------------------------------------------------

def test_unknown_wrt_name():
    with pytest.raises(ProgramNameError, match="--wrt: the program has no name 'q'") as info:
        trace(parse(LECTURE), {"a": 2, "b": 1}, wrt=["q"])
    assert info.value.exit_code == 2


def test_wrt_constant_is_refused():
    with pytest.raises(ProgramNameError, match="'k' depends on no input") as info:
        trace(parse("k = 2; y = k*x"), {"x": 1}, wrt=["k"])
    assert info.value.exit_code == 2


def test_missing_input():
    with pytest.raises(InputError, match="missing value for input b"):
        trace(parse(LECTURE), {"a": 2})


@pytest.mark.parametrize("src, x, fragment", [
    ("y = sqrt(x)", 0.0, "the derivative of sqrt (with respect to x) divides by zero at x = 0"),
    ("y = asin(x)", 1.0, "the derivative of asin (with respect to x)"),
    ("t = sqrt(x); y = 2*x", 0.0, "in sqrt(x)"),  # off the output's path: its tangent is still undefined
])
def test_derivative_domain_error_is_a_math_error(src, x, fragment):
    g = parse(src)
    values = forward(g, {"x": x})
    with pytest.raises(MathDomainError) as info:
        tangents(g, values, g.inputs["x"])
    assert fragment in info.value.message and info.value.exit_code == 3
    assert info.value.span is not None


def test_tangent_overflow_is_a_math_error():
    g = parse("c = 1e300; y = (x*c)*(x*c)")
    values = forward(g, {"x": 1e-290})
    assert math.isfinite(values[g.output])
    with pytest.raises(MathDomainError, match="overflows float64"):
        tangents(g, values, g.inputs["x"])


def test_tangents_rejects_a_node_off_the_tape():
    g = parse(LECTURE)
    with pytest.raises(IndexError):
        tangents(g, forward(g, {"a": 2, "b": 1}), 99)


def test_agree_tolerates_rounding_only():
    assert agree(0.1 + 0.2, 0.3) and agree(0.0, 1e-15)
    assert not agree(1.0, 1.001)


def test_backward_is_the_reverse_sweep():
    """trace() runs the existing backward(): adjoints are exactly eval's gradients."""
    g = parse(LECTURE)
    tr = trace(g, {"a": 2, "b": 1})
    ev = backward(g, forward(g, {"a": 2, "b": 1}), g.output)
    assert tr.adjoints == ev.grads
