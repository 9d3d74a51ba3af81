"""Property tests (hypothesis): gradients agree with finite differences, and no text crashes cgrad.

Finite differences use cgrad's own forward pass, so they check the backward sweep and every op's
derivative rule against the op's forward rule.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cgrad_cli import CgradError, evaluate, forward, parse
from cgrad_cli.core.ops import FUNCTIONS, OPS

SETTINGS = dict(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INPUTS = ("x", "y", "z")

# Smooth everywhere on the reals, and kept away from their kinks and domain edges.
UNARY = [
    "sin({0})", "cos({0})", "tanh({0})", "atan({0})", "sigmoid({0})", "softplus({0})", "exp(sin({0}))",
    "exp(-({0})^2)", "log(1+({0})^2)", "ln(2+cos({0}))", "sqrt(1+({0})^2)", "({0})^2", "-({0})", "+({0})",
    "asin(tanh({0})/2)", "acos(sin({0})/2)", "sinh(tanh({0}))", "cosh(atan({0}))", "tan(atan({0})/2)",
    "relu(2+tanh({0}))", "abs(2+sin({0}))", "({0})**3/(4+({0})^4)", "step(2+sin({0}))*({0})",
    "sign(3+cos({0}))*({0})", "-{0}",
]
BINARY = [
    "({0})+({1})", "({0})-({1})", "({0})*({1})", "({0})/(1+({1})^2)", "({0})/(2+sin({1}))",
    "(1+({0})^2)^sin({1})", "pow(2+cos({0}), tanh({1}))", "(2+sin({0}))^(-1.5)*({1})",
    "max(3+tanh({0}), tanh({1}))", "min(tanh({0}), 2+sin({1}))", "({0})*({1})*({0})",
]


def leaf(pool):
    constant = st.floats(-2, 2, allow_nan=False).map(lambda c: f"({c!r})")
    return st.one_of(st.sampled_from(pool), constant)


@st.composite
def expressions(draw, pool, depth=4):
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(leaf(pool))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY)).format(draw(expressions(pool, depth - 1)))
    a, b = draw(expressions(pool, depth - 1)), draw(expressions(pool, depth - 1))
    return draw(st.sampled_from(BINARY)).format(a, b)


@st.composite
def programs(draw):
    """1-3 statements; later ones may reuse the earlier names (fan-out), the last may be bare."""
    pool, lines = list(INPUTS), []
    for k in range(draw(st.integers(1, 3))):
        lines.append(f"t{k} = " + draw(expressions(pool)))
        pool.append(f"t{k}")
    if draw(st.booleans()):
        lines.append(draw(expressions(pool, 2)))
    sep = draw(st.sampled_from(["\n", "; ", "\n\n# comment\n"]))
    return sep.join(lines)


def point():
    return st.fixed_dictionaries({n: st.floats(-1.5, 1.5, allow_nan=False) for n in INPUTS})


def check_gradients(graph, inputs, rel=1e-5):
    ev = evaluate(graph, inputs)
    f0 = ev.value
    assert math.isfinite(f0)
    grads = ev.gradients()
    assert set(grads) == set(graph.inputs)
    for name, g in grads.items():
        v = inputs[name]
        h = 1e-6 * max(1.0, abs(v))
        seen = [abs(f0)]

        def central(h):
            up, down = dict(inputs), dict(inputs)
            up[name], down[name] = v + h, v - h
            fu, fd_ = forward(graph, up)[graph.output], forward(graph, down)[graph.output]
            seen.extend((abs(fu), abs(fd_)))
            return (fu - fd_) / ((v + h) - (v - h))

        # Richardson's extrapolation of two central differences: its error is O(h^4), not O(h^2), which a
        # steep program needs (sin of a value near 1.7e3 whose derivative is 8e3: 0.2 off at h = 1e-6)
        fd = (4 * central(h / 2) - central(h)) / 3
        scale = max(1.0, *seen)
        # rel on the derivative, plus the rounding noise of the differences (~eps·|f|/h each)
        assert math.isclose(g, fd, rel_tol=rel, abs_tol=3e-7 * scale / (h / 1e-6)), (name, g, fd)
    return ev


@settings(**SETTINGS)
@given(programs(), point())
def test_gradients_match_finite_differences(src, values):
    graph = parse(src)
    inputs = {n: values[n] for n in graph.inputs}
    check_gradients(graph, inputs)


@settings(**SETTINGS)
@given(expressions(list(INPUTS), depth=5), point())
def test_gradients_of_single_expressions_match_finite_differences(src, values):
    graph = parse(src)
    inputs = {n: values[n] for n in graph.inputs}
    check_gradients(graph, inputs)


# Every scalar op in the table, written with its own syntax, sampled inside its declared domain.
# (Tensor ops, whose forward is None, are differentiated in test_tensor_ops.py from their `examples`.)
DIFFERENTIABLE = sorted(name for name, op in OPS.items()
                        if op.forward is not None and op.arity > 0 and op.name != "copy")


def _program(op) -> str:
    return op.syntax.format(*INPUTS[:op.arity])


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_op_matches_finite_differences(name, data):
    op = OPS[name]
    domain = list(op.domain) + [(-3, 3)] * (op.arity - len(op.domain))
    args = [data.draw(st.floats(lo, hi, allow_nan=False), label=f"arg{k}") for k, (lo, hi) in enumerate(domain)]
    if op.kink is not None:  # keep the whole finite-difference stencil on one side of the kink
        assume(all(abs(a) > 1e-3 for a in args))
        assume(op.arity < 2 or abs(args[0] - args[1]) > 1e-3)
    graph = parse(_program(op))
    assert graph.ops[graph.output] is op
    if op.cuts:  # x < y, detach(x): nothing flows back, by definition
        assert not any(evaluate(graph, dict(zip(INPUTS, args))).gradients().values())
        return
    check_gradients(graph, dict(zip(INPUTS, args)))


def _calls(name, op):
    """Calls of function `name` that parse: each count of arguments it takes (variadic: 1 to 3),
    with its integer parameters (sum(x, 0), reshape(x, 2, 3), onehot(r, 4)) as literals."""
    counts = [op.arity] if op.arity >= 0 else [1, 2, 3]
    least, most = (op.params[1], min(op.params[2], 3)) if op.params else (0, 0)
    for n in counts:
        for k in range(least, most + 1):
            params = [f"{op.params[0]}=2"] * k if op.arity < 0 else ["2"] * k  # concat(x, y, axis=2)
            yield f"{name}(" + ", ".join([*INPUTS[:n], *params]) + ")", k


def test_every_callable_function_is_in_the_table():
    for name, op in FUNCTIONS.items():
        assert op.name in OPS
        if op.arity == 0:  # eye(3), zeros(2, 3): a constant array, made while parsing
            graph = parse(f"{name}(3)")
            assert graph.ops[graph.output].name == "const" and graph.consts[graph.output].shape == op.shape(
                **{op.params[0]: 3})
            continue
        calls = list(_calls(name, op))
        assert calls
        for src, k in calls:
            graph = parse(src)
            assert graph.ops[-1] is op, src
            assert graph.output == len(graph) - 1, src  # the parameters are folded away, not left as nodes
            if k:
                (params,) = graph.params.values()
                assert list(params) == [op.params[0]], src


# --------------------------------------------------------------------------- robustness

TOKENS = list("0123456789.eE+-*/^()=,;#\n\r\t xyzab_θŷ!$[]@&'\"\\{}") + [
    "**", "sin", "log", "ln", "pi", "max", "min", "pow", "sqrt", "exp", "abs", "relu", "tan", "asin",
    "1e308", "1e999", "1e-400", "0", "\u0302", "\u2028", "\x00", "\ufeff", "٣", "²", "ℯ", "ﬁ", "İ", "𝑥",
    "\r\n", "  ", ";;", "((", "))", "^-", "--",
    ":", ".T", ".", "[1, 2]", "softmax", "reshape", "onehot", "concat", "dot", "transpose", "f(x) =",
    "f(x, y)=", "f(", "sum", "mean", "logsumexp",
]
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3)), max_size=30).map("".join),
)
VALUES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 1e300, -1e300, 5e-324, 710.0])


def _run(src, value, output=None, wrt=None):
    """parse + evaluate + everything a caller reads; only CgradError may come out."""
    try:
        graph = parse(src)
        ev = evaluate(graph, {name: value for name in graph.inputs}, output=output, wrt=wrt)
        if ev.shapes is None:  # a scalar program: floats all the way
            assert math.isfinite(ev.value)
            gradients = ev.gradients(wrt)
            assert all(math.isfinite(g) for g in gradients.values())
        else:  # tensor syntax ([1, 2], x[0], @, sum, ...): arrays, and a gradient only of a scalar output
            import numpy as np

            assert np.isfinite(ev.value).all()
            assert ev.differentiated == (np.shape(ev.value) == ())
            if ev.differentiated:
                gradients = ev.gradients(wrt)
                assert all(np.isfinite(g).all() for g in gradients.values())
        assert all(isinstance(m, str) for _, m in ev.warnings)
        for i in range(len(graph)):
            graph.label(i)
            graph.line_col(graph.spans[i][0])
        return ev
    except CgradError as e:
        rendered = e.render()
        assert rendered.startswith("error: ")
        doc = e.to_json()["error"]
        assert doc["exit_code"] == e.exit_code in (2, 3)
        if e.position is not None:
            line, col = e.position
            assert line >= 1 and col >= 1
        return e


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, VALUES)
def test_random_text_raises_only_cgrad_errors(src, value):
    _run(src, value)


@settings(max_examples=200, deadline=None)
@given(TEXT, st.sampled_from([None, "x", "a", "e", "t"]), st.sampled_from([None, ["x"], ["y", "x"], ["q"]]))
def test_random_text_with_output_and_wrt_raises_only_cgrad_errors(src, output, wrt):
    _run(src, 1.0, output=output, wrt=wrt)


# Well-formed programs over every function, unguarded, at awkward points: domain errors, overflow and
# kinks are all allowed, but only as CgradError (exit 3) or warnings -- never another exception.
ALL_FUNCTIONS = sorted(name for name, op in FUNCTIONS.items() if op.forward is not None)  # scalar ones


@st.composite
def wild_expressions(draw, depth=4):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(st.sampled_from(INPUTS + ("pi",)),
                              st.sampled_from(["0", "1", "-1", "0.5", "2", "1e308", "1e-308", "710", "-0"])))
    kind = draw(st.integers(0, 2))
    if kind == 0:
        name = draw(st.sampled_from(ALL_FUNCTIONS))
        args = [draw(wild_expressions(depth - 1)) for _ in range(FUNCTIONS[name].arity)]
        return f"{name}({', '.join(args)})"
    if kind == 1:
        return "-" + draw(wild_expressions(depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "/", "^", "**"]))
    return f"({draw(wild_expressions(depth - 1))}){op}({draw(wild_expressions(depth - 1))})"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wild_expressions(), st.fixed_dictionaries({n: VALUES for n in INPUTS}))
def test_wild_programs_raise_only_cgrad_errors(src, values):
    try:
        graph = parse(src)
    except CgradError as e:  # never a syntax or name error: the text is well formed
        pytest.fail(f"{src!r}: {e.render()}")
    try:
        ev = evaluate(graph, {n: values[n] for n in graph.inputs})
    except CgradError as e:
        assert e.exit_code == 3, e.render()
        assert e.render() and e.to_json()
        return
    assert math.isfinite(ev.value)
    assert all(math.isfinite(g) for g in ev.grads)
