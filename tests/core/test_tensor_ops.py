"""Tensor ops against finite differences: every op's `examples`, elementwise ops broadcast over arrays,
the closed forms of the lecture, the scalar path that never touches numpy, and parameter sharing.

Each check differentiates the full Jacobian: one backward sweep per output element (a one-hot seed),
compared element by element with central differences of cgrad's own forward pass.
"""
from __future__ import annotations

import math
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgrad_cli import CgradError, evaluate, parse
from cgrad_cli.core.autodiff import backward, forward, infer_shapes
from cgrad_cli.core.ops import OPS

RTOL, ATOL = 1e-5, 1e-7


def rng_for(*key) -> np.random.Generator:
    """A generator seeded from the test's own parameters (crc32: str hashes change between runs)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def as_inputs(arrays: dict) -> dict:
    """Arrays as cgrad takes them: nested lists, and a plain float for a 0-d array."""
    return {name: np.asarray(a, dtype=float).tolist() for name, a in arrays.items()}


def random_inputs(shapes: dict, rng, lo=0.5, hi=1.5, signs=True) -> dict:
    out = {}
    for name, shape in shapes.items():
        a = rng.uniform(lo, hi, shape)
        if signs:
            a = a * rng.choice([-1.0, 1.0], shape)
        out[name] = np.asarray(a, dtype=float)
    return out


def output_of(graph, arrays: dict):
    return np.asarray(forward(graph, as_inputs(arrays))[graph.output], dtype=float)


def analytic_jacobian(graph, arrays: dict, skip=()) -> dict:
    """{input: ∂out/∂input} with shape out.shape + input.shape, one backward sweep per output element."""
    values = forward(graph, as_inputs(arrays))
    out = graph.output
    out_shape = np.shape(values[out])
    names = [n for n in graph.inputs if n not in skip]
    jac = {n: np.zeros(out_shape + np.shape(arrays[n])) for n in names}
    for idx in np.ndindex(*out_shape):
        if out_shape:
            seed = np.zeros(out_shape)
            seed[idx] = 1.0
        else:
            seed = None
        ev = backward(graph, values, out, seed=seed)
        assert ev.differentiated
        for n in names:
            g = ev.grad(graph.inputs[n])
            assert np.shape(g) == np.shape(arrays[n]), (n, np.shape(g), np.shape(arrays[n]))
            jac[n][idx] = g
    return jac


def numeric_jacobian(graph, arrays: dict, skip=()) -> dict:
    """{input: ∂out/∂input} by central differences, h ~ 1e-6 relative to each element (what detach(x)
    and x > 0 cut off held at its value)."""
    graph = graph.held(forward(graph, as_inputs(arrays)))
    f0 = output_of(graph, arrays)
    jac = {}
    for n in graph.inputs:
        if n in skip:
            continue
        x = np.asarray(arrays[n], dtype=float)
        jac[n] = np.zeros(f0.shape + x.shape)
        for k in np.ndindex(*x.shape):
            h = 1e-6 * max(1.0, abs(x[k]))
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            fu = output_of(graph, {**arrays, n: up})
            fd = output_of(graph, {**arrays, n: down})
            jac[n][(Ellipsis,) + k] = (fu - fd) / (up[k] - down[k])
    return jac


def check_jacobian(graph, arrays: dict, skip=()) -> dict:
    got = analytic_jacobian(graph, arrays, skip)
    want = numeric_jacobian(graph, arrays, skip)
    scale = max(1.0, float(np.max(np.abs(output_of(graph, arrays)), initial=0.0)))
    for n in want:
        np.testing.assert_allclose(got[n], want[n], rtol=RTOL, atol=ATOL * scale,
                                   err_msg=f"∂({graph.source})/∂{n}")
    return got


# --------------------------------------------------------------------------- every tensor op's examples

TENSOR_OPS = sorted(name for name, op in OPS.items() if op.forward is None and op.arity != 0)
EXAMPLES = [(name, program, shapes) for name, op in sorted(OPS.items()) for program, shapes in op.examples]


def test_there_are_tensor_ops():
    assert {"matmul", "transpose", "sum", "softmax", "getitem", "stack"} <= set(TENSOR_OPS)


@pytest.mark.parametrize("name", TENSOR_OPS)
def test_every_tensor_op_has_examples(name):
    """A new tensor op without examples fails here: the examples are what the Jacobian test differentiates."""
    op = OPS[name]
    assert op.examples, f"tensor op {name} gives no examples"
    assert op.vjp is not None and op.shape is not None and op.array is not None
    for program, shapes in op.examples:
        graph = parse(program)
        assert op in graph.ops, f"example {program!r} of {name} does not use it"
        assert set(graph.inputs) == set(shapes), (program, shapes)


@pytest.mark.parametrize("name, program, shapes", EXAMPLES, ids=[f"{n}: {p}" for n, p, _ in EXAMPLES])
def test_every_example_matches_finite_differences(name, program, shapes):
    graph = parse(program)
    assert graph.ops[graph.output].name in OPS
    for trial in range(2):
        arrays = random_inputs(shapes, rng_for(name, program, trial))
        values = forward(graph, as_inputs(arrays))
        # shapes inferred from the inputs alone are the shapes forward computes
        assert infer_shapes(graph, values) == [np.shape(v) for v in values]
        check_jacobian(graph, arrays)


# --------------------------------------------------------------------------- elementwise ops over arrays

ELEMENTWISE = sorted(name for name, op in OPS.items()
                     if op.forward is not None and op.array is not None and op.arity in (1, 2)
                     and name not in ("input", "const", "copy"))
UNARY_SHAPES = [(2, 3), (4,), (1,)]
BINARY_SHAPES = [((2, 3), (3,)), ((2, 3), ()), ((), (2, 3)), ((2, 1), (1, 3)), ((2, 3), (2, 3)), ((3,), (2, 3))]
CASES = [(name, shapes) for name in ELEMENTWISE
         for shapes in ([(s,) for s in UNARY_SHAPES] if OPS[name].arity == 1 else BINARY_SHAPES)]


def sample_in_domain(op, shapes, rng) -> list:
    """Arguments inside the op's domain, kept 1e-3 away from its kinks (a finite difference straddles none)."""
    domain = list(op.domain) + [(-3, 3)] * (op.arity - len(op.domain))
    for _ in range(1000):
        args = [np.asarray(rng.uniform(lo, hi, shape)) for (lo, hi), shape in zip(domain, shapes)]
        if op.kink is None:
            return args
        far = all(np.all(np.abs(a) > 1e-3) for a in args)
        if op.arity == 2:
            far = far and np.all(np.abs(args[0] - args[1]) > 1e-3)
        if far:
            return args
    raise AssertionError("no sample away from the kink")


def test_elementwise_ops_are_all_there():
    assert {"add", "mul", "div", "pow", "tanh", "sigmoid", "relu", "max", "min", "neg"} <= set(ELEMENTWISE)


@pytest.mark.parametrize("name, shapes", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_elementwise_op_over_arrays_matches_finite_differences(name, shapes):
    op = OPS[name]
    names = ("x", "y")[:op.arity]
    program = op.syntax.format(*names)
    graph = parse(program)
    assert graph.ops[graph.output] is op
    args = sample_in_domain(op, shapes, rng_for(name, shapes))
    arrays = dict(zip(names, args))
    out = output_of(graph, arrays)
    assert out.shape == np.broadcast_shapes(*shapes)
    # the numpy forward is the scalar forward, element by element
    for idx in np.ndindex(*out.shape):
        element = [float(np.broadcast_to(a, out.shape)[idx]) for a in args]
        assert math.isclose(out[idx], op.forward(*element), rel_tol=1e-12, abs_tol=1e-15), (idx, element)
    if op.cuts:  # detach(x), x < y: the graph is cut, nothing flows back whatever the finite differences say
        for jac in analytic_jacobian(graph, arrays).values():
            assert not jac.any()
    check_jacobian(graph, arrays)


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if OPS[n].kink is not None])
def test_elementwise_kinks_follow_the_scalar_convention(name):
    """At a kink the array rules give what the scalar rules give (relu'(0) = 0, a tie splits half and half)."""
    op = OPS[name]
    names = ("x", "y")[:op.arity]
    graph = parse(op.syntax.format(*names))
    at = [0.0, 1.0, -1.0]
    arrays = {"x": np.array(at)} if op.arity == 1 else {"x": np.array(at), "y": np.array(at)}
    values = forward(graph, as_inputs(arrays))  # the output is a vector: seed each element in turn
    ev = None
    for k, point in enumerate(at):
        seed = np.zeros(3)
        seed[k] = 1.0
        ev = backward(graph, values, graph.output, seed=seed)
        scalar = evaluate(graph, {n: point for n in names})
        for n in names:
            assert ev.grad(graph.inputs[n])[k] == scalar.gradients()[n], (n, point)
    assert ev is not None and ev.warnings  # the element at the kink is reported


# --------------------------------------------------------------------------- closed forms


def jacobian_of(program: str, arrays: dict, skip=()) -> dict:
    return analytic_jacobian(parse(program), arrays, skip)


def test_softmax_jacobian_is_diag_y_minus_y_yT():
    z = np.array([0.3, -1.2, 2.0, 0.7])
    y = np.exp(z) / np.exp(z).sum()
    jac = jacobian_of("y = softmax(z)", {"z": z})["z"]
    np.testing.assert_allclose(jac, np.diag(y) - np.outer(y, y), rtol=1e-12, atol=1e-15)
    check_jacobian(parse("y = softmax(z)"), {"z": z})


def test_sigmoid_jacobian_is_diagonal():
    z = np.array([0.3, -1.2, 2.0, -40.0])
    y = 1 / (1 + np.exp(-z))
    jac = jacobian_of("sigmoid(z)", {"z": z})["z"]
    np.testing.assert_allclose(jac, np.diag(y * (1 - y)), rtol=1e-12, atol=1e-300)


def test_matmul_jacobians():
    rng = rng_for("matmul closed form")
    W, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    jac = jacobian_of("W @ x", {"W": W, "x": x})
    # ∂(W@x)_i/∂W[j,k] = δ_ij x_k
    want = np.einsum("ij,k->ijk", np.eye(2), x)
    np.testing.assert_allclose(jac["W"], want, rtol=1e-12, atol=0)
    # ∂(W@x)/∂x = W
    np.testing.assert_allclose(jac["x"], W, rtol=1e-12, atol=0)


@pytest.mark.parametrize("program", ["C = -log(softmax(z)[r])", "C = -log_softmax(z)[r]",
                                     "C = logsumexp(z) - z[r]", "C = -sum(onehot(r, 4) * log_softmax(z))"])
@pytest.mark.parametrize("r", [0, 2, 3, -1])
def test_cross_entropy_gradient_is_y_minus_onehot(program, r):
    z = np.array([0.5, -1.0, 2.0, 0.25])
    if r < 0 and "onehot" in program:
        r = 3
    y = np.exp(z) / np.exp(z).sum()
    graph = parse(program)
    ev = evaluate(graph, {"z": z.tolist(), "r": float(r)})
    np.testing.assert_allclose(ev.grad(graph.inputs["z"]), y - np.eye(4)[r], rtol=1e-12, atol=1e-15)
    assert ev.value == pytest.approx(-math.log(y[r]), rel=1e-12)
    assert np.shape(ev.grad(graph.inputs["r"])) == ()  # an index gets no gradient
    assert ev.grad(graph.inputs["r"]) == 0
    check_jacobian(graph, {"z": z, "r": np.array(float(r))}, skip=("r",))


# --------------------------------------------------------------------------- the scalar path stays scalar


def test_scalar_programs_stay_python_floats():
    graph = parse("e=(a+b)*(b+1)")
    assert not graph.tensor
    ev = evaluate(graph, {"a": 2.0, "b": 1.0})
    assert ev.shapes is None and ev.differentiated
    assert all(type(v) is float for v in ev.values), [type(v) for v in ev.values]
    assert all(type(g) is float for g in ev.grads), [type(g) for g in ev.grads]
    assert type(ev.value) is float and ev.value == 6.0
    assert ev.gradients() == {"a": 2.0, "b": 5.0}
    assert all(type(g) is float for g in ev.gradients().values())


def test_scalar_programs_do_not_import_numpy():
    code = (
        "import sys, cgrad_cli.core.autodiff, cgrad_cli.core.parsing\n"
        "g = cgrad_cli.core.parsing.parse('e=(a+b)*(b+1)\\nf(t) = sin(t)*pi\\ny = f(e) + max(a, b)^2')\n"
        "ev = cgrad_cli.core.autodiff.evaluate(g, {'a': 2.0, 'b': 1.0})\n"
        "ev.gradients(); ev.uses(0)\n"
        "assert 'numpy' not in sys.modules, sorted(m for m in sys.modules if 'numpy' in m)[:5]\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_scalar_program_given_arrays_runs_over_arrays():
    graph = parse("e=(a+b)*(b+1)")
    values = forward(graph, {"a": [1.0, 2.0], "b": 1.0})
    np.testing.assert_allclose(values[graph.output], [4.0, 6.0])
    check_jacobian(graph, {"a": np.array([1.0, 2.0]), "b": np.array(1.0)})


# --------------------------------------------------------------------------- parameter sharing

RNN = """cell(h, x) = tanh(Wh @ h + Wx @ x)
h1 = cell(h0, x[0])
h2 = cell(h1, x[1])
h3 = cell(h2, x[2])
C = sum(h3^2)"""


def rnn_inputs():
    rng = rng_for("rnn")
    return {"Wh": rng.normal(scale=0.5, size=(3, 3)), "Wx": rng.normal(scale=0.5, size=(3, 2)),
            "h0": rng.normal(size=3), "x": rng.normal(size=(3, 2))}


def test_rnn_weights_are_shared_and_their_uses_sum_to_the_gradient():
    graph = parse(RNN)
    arrays = rnn_inputs()
    ev = evaluate(graph, as_inputs(arrays))
    assert ev.differentiated and np.shape(ev.value) == ()
    calls = ["cell(h0, x[0])", "cell(h1, x[1])", "cell(h2, x[2])"]
    for weight in ("Wh", "Wx"):
        node = graph.inputs[weight]
        uses = ev.uses(node)
        assert len(uses) == 3, uses
        consumers = [j for j, _, _ in uses]
        assert len(set(consumers)) == 3
        assert all(graph.ops[j].name == "matmul" and k == 0 for j, k, _ in uses)
        # one use per step, in tape order: each made by its own call
        assert [graph.source[slice(*graph.calls[j])] for j in consumers] == calls
        for _, _, share in uses:
            assert np.shape(share) == arrays[weight].shape
        total = sum(share for _, _, share in uses)
        np.testing.assert_allclose(total, ev.grad(node), rtol=1e-12, atol=1e-15)
        # the steps differ: sharing is a sum of distinct contributions
        assert not np.allclose(uses[0][2], uses[2][2])
    assert len(ev.uses(graph.inputs["h0"])) == 1
    check_jacobian(graph, arrays)


def test_scalar_uses_sum_to_the_gradient_too():
    graph = parse("e = (a+b)*(b+1)")
    ev = evaluate(graph, {"a": 2.0, "b": 1.0})
    uses = ev.uses(graph.inputs["b"])
    assert len(uses) == 2
    assert sum(share for _, _, share in uses) == ev.grad(graph.inputs["b"]) == 5.0


# --------------------------------------------------------------------------- wild tensor programs

WILD_SHAPES = {"W": (2, 3), "v": (3,), "u": (2,), "s": ()}


@st.composite
def tensor_expressions(draw, depth=3):
    """Well-formed text over tensor ops, shapes not guaranteed to fit: errors must be CgradErrors."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["W", "v", "u", "s", "[1, 2, 3]", "[[1, 0, 2], [0, 1, 3]]", "2", "-1",
                                     "0", "1e308", "[s, s]", "sum([2])"]))
    sub = lambda: draw(tensor_expressions(depth - 1))  # noqa: E731
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return f"({sub()}) {draw(st.sampled_from(['+', '-', '*', '/', '^', '@']))} ({sub()})"
    if kind == 1:
        return f"{draw(st.sampled_from(['sum', 'mean', 'softmax', 'log_softmax', 'logsumexp', 'transpose', 'tanh', 'exp', 'log', 'relu', 'sigmoid', 'sqrt']))}({sub()})"
    if kind == 2:
        return f"{draw(st.sampled_from(['sum', 'mean', 'logsumexp']))}({sub()}, {draw(st.integers(-2, 2))})"
    if kind == 3:
        index = draw(st.sampled_from(["0", "1", "-1", "5", "1:3", ":2", ":, 0", "s", "0, 1", "2.5", "sum(v)"]))
        return f"({sub()})[{index}]"
    if kind == 4:
        return f"{draw(st.sampled_from(['dot', 'concat', 'stack', 'max', 'min']))}({sub()}, {sub()})"
    if kind == 5:
        shape = draw(st.sampled_from(["-1", "2, 3", "3, 2", "6", "4", "0"]))
        return f"reshape({sub()}, {shape})"
    return f"({sub()}).T"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(tensor_expressions(), st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 710.0, -1e300]))
def test_wild_tensor_programs_raise_only_cgrad_errors(src, fill):
    graph = parse(src)  # well formed: parsing never fails
    inputs = {n: np.full(WILD_SHAPES[n], fill).tolist() for n in graph.inputs}
    try:
        ev = evaluate(graph, inputs)
    except CgradError as e:
        assert e.exit_code in (2, 3), e.render()
        assert e.render().startswith("error: ") and e.to_json()
        return
    assert np.isfinite(ev.value).all()
    assert ev.differentiated == (np.shape(ev.value) == ())
    if ev.differentiated:
        for name, g in ev.gradients().items():
            assert np.shape(g) == WILD_SHAPES[name]
            assert np.isfinite(g).all()


@pytest.mark.parametrize("program, value, grad", [
    ("W = [[1, 2], [3, 4]]\nb = W @ [1, 1]\nC = sum(x * b)", 17.0, [3.0, 7.0]),
    ("C = sum(x) + sum([2*3, 1])", 10.0, [1.0, 1.0]),
    ("C = sum(x) + sum(concat([1, 2]*1, [3]))", 9.0, [1.0, 1.0]),
    ("C = sum(x * logsumexp([[0, 0], [1, 1]], 1))", 3 * np.log(2) + 2, [np.log(2), 1 + np.log(2)]),
    ("C = sum(x) + mean(3)", 6.0, [1.0, 1.0]),
    ("C = sum(x) * sum(2)", 6.0, [2.0, 2.0]),
    ("C = sum(x) + sum(reshape(2, 1))", 5.0, [1.0, 1.0]),
    ("C = x[sum([0, 1])] * sum(softmax([1, 2]))", 2.0, [0.0, 1.0]),
])
def test_constant_tensor_subexpressions(program, value, grad):
    """Tensor ops that depend on no input (a literal, a constant matrix product) on the output's subgraph:
    nothing flows back through them, and the backward sweep must not trip over them."""
    graph = parse(program)
    ev = evaluate(graph, {"x": [1.0, 2.0]})
    assert ev.value == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(ev.gradients()["x"], grad, rtol=1e-12)
    check_jacobian(graph, {"x": np.array([1.0, 2.0])})


@pytest.mark.parametrize("program, inputs, value", [
    ("sum(2)", {}, 2.0), ("mean(3)", {}, 3.0), ("logsumexp(2)", {}, 2.0),
    ("sum(x) * logsumexp(2)", {"x": [1.0, 2.0]}, 6.0),
])
def test_tensor_ops_on_a_scalar_literal(program, inputs, value):
    graph = parse(program)
    ev = evaluate(graph, inputs)
    assert ev.value == pytest.approx(value, rel=1e-12)
    check_jacobian(graph, {n: np.array(v) for n, v in inputs.items()})


X = [[1.0, 2.0, 4.0], [3.0, 5.0, -1.0]]


@pytest.mark.parametrize("program, expected", [
    ("sum(X, axis=0, keepdims=True)", lambda x: np.sum(x, axis=0, keepdims=True)),
    ("sum(X, keepdims=1, axis=1)", lambda x: np.sum(x, axis=1, keepdims=True)),
    ("mean(X, keepdims=True)", lambda x: np.mean(x, keepdims=True)),
    ("X - logsumexp(X, axis=1, keepdims=True)",
     lambda x: x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))),
    ("max(X, axis=1, keepdims=True)", lambda x: np.max(x, axis=1, keepdims=True)),
    ("min(X, axis=0, keepdims=False)", lambda x: np.min(x, axis=0)),
    ("prod(X, axis=-1, keepdims=True)", lambda x: np.prod(x, axis=-1, keepdims=True)),
    ("var(X, ddof=1)", lambda x: np.var(x, ddof=1)),
    ("std(X, axis=0, ddof=1, keepdims=True)", lambda x: np.std(x, axis=0, ddof=1, keepdims=True)),
])
def test_reductions_take_numpys_keepdims_and_ddof(program, expected):
    """numpy's keywords, as programs ported from numpy/autograd write them: values and shapes as numpy's,
    gradients against finite differences."""
    graph = parse("y = " + program)
    ev = evaluate(graph, {"X": X})
    np.testing.assert_allclose(ev.value, expected(np.array(X)), rtol=1e-12)
    assert np.shape(ev.value) == np.shape(expected(np.array(X)))
    check_jacobian(graph, {"X": np.array(X)})


@pytest.mark.parametrize("program, message", [
    ("sum(X, kepdims=1)", "sum() has no keyword argument 'kepdims': its keywords are axis=, keepdims="),
    ("argmax(X, ddof=1)", "argmax() has no keyword argument 'ddof': its keyword is axis="),
    ("sum(X, keepdims=1, keepdims=0)", "sum() got keepdims twice"),
    ("sum(X, 0, axis=1)", "sum() got axis twice"),
    ("sum(X, keepdims=[1, 2])", "sum()'s keepdims must be one integer number such as 0 or 1"),
    ("var(X, ddof=6)", "ddof=6 leaves no degrees of freedom"),
    ("max(X, 1, keepdims=True)", "max() has no keyword argument 'keepdims': it takes none"),
])
def test_a_wrong_keyword_is_one_clear_line(program, message):
    with pytest.raises(CgradError) as info:
        evaluate(parse("y = " + program), {"X": X})
    assert message in str(info.value) and "\n" not in info.value.message


@pytest.mark.parametrize("program, expected", [
    ("norm(X, axis=1)", lambda x: np.linalg.norm(x, axis=1)),
    ("X / norm(X, axis=0, keepdims=True)", lambda x: x / np.linalg.norm(x, axis=0, keepdims=True)),
    ("norm(X, 1, axis=1, keepdims=True)", lambda x: np.linalg.norm(x, 1, axis=1, keepdims=True)),
    ("norm(X, keepdims=True)", lambda x: np.linalg.norm(x, keepdims=True)),
])
def test_norm_takes_numpys_axis_and_keepdims(program, expected):
    test_reductions_take_numpys_keepdims_and_ddof(program, expected)
