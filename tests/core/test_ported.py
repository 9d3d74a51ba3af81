"""Programs as users port them from public autograd test suites and course notes: HIPS autograd's
tests/test_numpy.py and test_linalg.py, JAX's lax_numpy and scipy.special tests, PyTorch's gradcheck
tests, and matrix-calculus exercises (matrixcalculus.org).  Each is differentiated by cgrad's own
gradcheck (reverse mode against central differences, every element), and the closed forms the
sources state are checked where there is one."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from cgrad_cli import evaluate, parse
from cgrad_cli.core.autodiff import bind_constants
from cgrad_cli.core.gradcheck import check_gradients


def rng_for(key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(key.encode()))


def spd(rng, n):  # a well-conditioned symmetric positive definite matrix
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def normal(rng, *shape):
    return rng.normal(size=shape)


PORTED = [
    # HIPS autograd tests/test_numpy.py
    ("sum(x * x)", lambda r: {"x": normal(r, 4)}),
    ("prod(x)", lambda r: {"x": normal(r, 5)}),
    ("sum(prod(W, axis=1))", lambda r: {"W": normal(r, 3, 4)}),
    ("sum(cumsum(W, axis=0) * V)", lambda r: {"W": normal(r, 3, 2), "V": normal(r, 3, 2)}),
    ("var(x)", lambda r: {"x": normal(r, 5)}),
    ("sum(std(W, axis=0))", lambda r: {"W": normal(r, 4, 3)}),
    ("sum(W[::-1, 1::2])", lambda r: {"W": normal(r, 4, 5)}),
    ("sum(where(x > 0, x, 0.1*x))", lambda r: {"x": normal(r, 6)}),
    ("max(x)", lambda r: {"x": normal(r, 5)}),
    ("sum(max(W, axis=1))", lambda r: {"W": normal(r, 3, 4)}),
    ("sum(hypot(x, y))", lambda r: {"x": normal(r, 3), "y": normal(r, 3)}),
    ("sum(atan2(y, x + 3))", lambda r: {"x": r.uniform(0.5, 1, 3), "y": normal(r, 3)}),
    ("sum(concat(x, y, axis=0) * concat(y, x))", lambda r: {"x": normal(r, 2), "y": normal(r, 2)}),
    ("sum(stack(x, y, axis=1) @ z)", lambda r: {"x": normal(r, 3), "y": normal(r, 3), "z": normal(r, 2)}),
    ("sum(expm1(x) + log1p(x*x) + exp2(x) + log2(x*x + 1))", lambda r: {"x": normal(r, 4)}),
    ("sum(asinh(x) + atanh(x/3) + acosh(x*x + 1.5))", lambda r: {"x": normal(r, 4)}),
    # HIPS autograd tests/test_linalg.py
    ("logdet(A)", lambda r: {"A": spd(r, 3)}),
    ("det(A)", lambda r: {"A": normal(r, 3, 3)}),
    ("sum(inv(A))", lambda r: {"A": spd(r, 3)}),
    ("sum(solve(A, b))", lambda r: {"A": spd(r, 3), "b": normal(r, 3)}),
    ("sum(solve(A, B))", lambda r: {"A": spd(r, 3), "B": normal(r, 3, 2)}),
    ("norm(x)", lambda r: {"x": normal(r, 4)}),
    ("norm(W)", lambda r: {"W": normal(r, 2, 3)}),
    ("trace(A @ B)", lambda r: {"A": normal(r, 2, 3), "B": normal(r, 3, 2)}),
    ("sum(diag(x) @ A)", lambda r: {"x": normal(r, 3), "A": normal(r, 3, 3)}),
    ("sum(diag(A)^2)", lambda r: {"A": normal(r, 3, 3)}),
    # matrixcalculus.org's examples
    ("0.5*x.T @ A @ x", lambda r: {"x": normal(r, 3), "A": normal(r, 3, 3)}),
    ("norm(A @ x - y)^2", lambda r: {"A": normal(r, 2, 3), "x": normal(r, 3), "y": normal(r, 2)}),
    ("trace(A @ X.T @ B @ X @ C)", lambda r: {"A": normal(r, 2, 2), "X": normal(r, 3, 2), "B": normal(r, 3, 3),
                                              "C": normal(r, 2, 2)}),
    ("log(det(inv(X) @ inv(X).T))", lambda r: {"X": spd(r, 2)}),
    # JAX: softmax cross-entropy of a batch, logsumexp along an axis
    ("-mean(log(softmax(Z)[[0, 1, 2], y]))", lambda r: {"Z": normal(r, 3, 4), "y": np.array([2.0, 0.0, 3.0])}),
    ("-mean(sum(onehot(y, 4) * log_softmax(Z), axis=1))",
     lambda r: {"Z": normal(r, 3, 4), "y": np.array([2.0, 0.0, 3.0])}),
    ("sum(logsumexp(Z, axis=1))", lambda r: {"Z": normal(r, 3, 4)}),
    ("mean(sum(Z, axis=-1)) + mean(Z, axis=0)[1]", lambda r: {"Z": normal(r, 3, 4)}),
    # PyTorch gradcheck-style: a truncated RNN (detach), a target network
    ("h1 = tanh(W @ h0)\nh2 = tanh(W @ detach(h1))\nC = sum(h2^2)", lambda r: {"W": normal(r, 3, 3) / 2,
                                                                          "h0": normal(r, 3)}),
    ("q = w @ x\ntarget = stop_gradient(w @ x2)\nL = (q - 0.9*target)^2", lambda r: {"w": normal(r, 3),
                                                                                "x": normal(r, 3), "x2": normal(r, 3)}),
]


@pytest.mark.parametrize("program, make", PORTED, ids=[p for p, _ in PORTED])
def test_ported_program_passes_gradcheck(program, make):
    inputs = {name: value.tolist() for name, value in make(rng_for(program)).items()}
    graph = parse(program)
    check = check_gradients(graph, inputs, wrt=[n for n in graph.inputs if n != "y"] if "[[0, 1, 2], y]" in program
                            or "onehot(y" in program else None)
    assert check.ok, [(r.name, r.status, r.note) for r in check]
    assert check.verified


def grad(program, **inputs):
    graph = parse(program)
    ev = evaluate(graph, {k: np.asarray(v).tolist() for k, v in inputs.items()})
    return ev, {name: np.asarray(ev.grad(i)) for name, i in graph.inputs.items()}


def test_closed_forms_of_matrix_calculus():
    r = rng_for("closed forms")
    A, x, X = normal(r, 3, 3), normal(r, 3), spd(r, 3)
    _, g = grad("x.T @ A @ x", A=A, x=x)
    np.testing.assert_allclose(g["x"], (A + A.T) @ x, rtol=1e-12)
    _, g = grad("trace(X)", X=X)
    np.testing.assert_allclose(g["X"], np.eye(3))
    _, g = grad("logdet(X)", X=X)
    np.testing.assert_allclose(g["X"], np.linalg.inv(X).T, rtol=1e-10)
    ev, g = grad("det(X)", X=X)
    np.testing.assert_allclose(g["X"], np.linalg.det(X) * np.linalg.inv(X).T, rtol=1e-10)
    _, g = grad("sum(inv(X))", X=X)
    inv = np.linalg.inv(X)
    np.testing.assert_allclose(g["X"], -inv.T @ np.ones((3, 3)) @ inv.T, rtol=1e-10)


def test_det_of_a_singular_matrix_has_the_adjugate_as_gradient():
    _, g = grad("det(A)", A=[[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(g["A"], [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)  # adj(A)ᵀ


def test_prod_with_zeros_is_exact():
    _, g = grad("prod(x)", x=[2.0, 0.0, 3.0])
    assert g["x"].tolist() == [0.0, 6.0, 0.0]
    _, g = grad("prod(x)", x=[0.0, 0.0, 3.0])
    assert g["x"].tolist() == [0.0, 0.0, 0.0]


def test_max_ties_split_as_the_scalar_max_does():
    ev, g = grad("max(x)", x=[1.0, 3.0, 3.0])
    assert g["x"].tolist() == [0.0, 0.5, 0.5]
    assert ev.warnings  # a tie is a kink, reported
    _, scalar = grad("max(a, b)", a=3.0, b=3.0)
    assert scalar["a"] == scalar["b"] == 0.5


def test_fancy_index_gradient_scatters_and_adds():
    _, g = grad("sum(x[[0, 0, 2]])", x=[1.0, 2.0, 3.0])
    assert g["x"].tolist() == [2.0, 0.0, 1.0]


def test_argmax_and_comparisons_have_no_gradient():
    _, g = grad("x[argmax(x)] + sum(x > 0)", x=[1.0, 3.0, -2.0])
    assert g["x"].tolist() == [0.0, 1.0, 0.0]


def test_constants_from_course_notes():
    """Ridge regression with λ held constant (a hyperparameter), checked against the normal-equation form."""
    r = rng_for("ridge")
    X, w, y = normal(r, 4, 3), normal(r, 3), normal(r, 4)
    graph = parse("L = sum((X @ w - y)^2) + lam * sum(w^2)")
    bind_constants(graph, {"lam": 0.05})
    assert "lam" not in graph.inputs and graph.constants == {"lam": graph.named["lam"]}
    ev = evaluate(graph, {"X": X.tolist(), "w": w.tolist(), "y": y.tolist()})
    np.testing.assert_allclose(ev.grad(graph.inputs["w"]), 2 * X.T @ (X @ w - y) + 2 * 0.05 * w, rtol=1e-12)
    assert check_gradients(graph, {"X": X.tolist(), "w": w.tolist(), "y": y.tolist()}).ok


@pytest.mark.parametrize("program, matrix", [("inv(A)", "A"), ("logdet(A)", "A"), ("solve(A, b)", "A")])
def test_a_singular_matrix_is_a_math_error_naming_node_and_matrix(program, matrix):
    from cgrad_cli.errors import MathDomainError

    with pytest.raises(MathDomainError) as info:
        graph = parse(program)
        evaluate(graph, {"A": [[1.0, 2.0], [2.0, 4.0]], "b": [1.0, 1.0]} if "b" in graph.inputs else
                 {"A": [[1.0, 2.0], [2.0, 4.0]]})
    e = info.value
    assert e.exit_code == 3
    assert f"{matrix} = [[1, 2], [2, 4]]" in e.message and "singular" in e.message and program in e.message
