"""`cgrad diff --order 2` of a scalar function of a vector (the Hessian as one matrix formula) and `cgrad
diff` of a vector output (its Jacobian), symbolic.jacobian_form: each formula's text against the
lecture's, and its value -- the formula evaluated by cgrad -- against central differences of the
gradient (or of the output), every element, at random inputs."""
import numpy as np
import pytest
from click.testing import CliRunner

from cgrad_cli import evaluate, parse
from cgrad_cli.cli import cli
from cgrad_cli.symbolic.derive import differentiate
from cgrad_cli.symbolic.notation import text

from symbolic.test_matrix_diff import point, value_of

S = "sigmoid(b + W @ x)"
# (program, input shapes, name, the Hessian's text, the lecture's answer as a cgrad formula)
HESSIANS = [
    ("f = x.T @ A @ x", {"A": (3, 3), "x": (3,)}, "x", "A + A.T", "A + A.T"),
    ("f = dot(x, A @ x)", {"A": (3, 3), "x": (3,)}, "x", "A + A.T", "A + A.T"),
    ("f = sum((A @ x - y)^2)", {"A": (4, 3), "x": (3,), "y": (4,)}, "x", "2*(A.T @ A)", "2*A.T @ A"),
    ("L = sum(sigmoid(W @ x + b))", {"W": (2, 3), "x": (3,), "b": (2,)}, "b", f"diag({S}*(1 - {S})*(1 - 2*{S}))",
     "diag(sigmoid(W@x + b)*(1 - sigmoid(W@x + b))*(1 - 2*sigmoid(W@x + b)))"),
    ("f = 0.5*x.T@x", {"x": (4,)}, "x", "eye(4)", "eye(4)"),
    ("f = logsumexp(x)", {"x": (3,)}, "x", "diag(softmax(x)) - outer(softmax(x), softmax(x))",
     "diag(softmax(x)) - outer(softmax(x), softmax(x))"),
    ("L = sum(tanh(W @ x + b)^2)", {"W": (2, 3), "x": (3,), "b": (2,)}, "x",
     "W.T @ diag((1 - tanh(b + W @ x)^2)*(2*(1 - tanh(b + W @ x)^2) - 4*tanh(b + W @ x)^2)) @ W",
     "W.T @ diag(2*(1 - tanh(W @ x + b)^2)^2 - 4*tanh(W @ x + b)^2*(1 - tanh(W @ x + b)^2)) @ W"),
]
# Programs whose Hessian is only checked by its numbers: every formula rule the gradient meets.
MORE = [
    ("C = -log(softmax(W @ x)[r])", {"W": (3, 4), "x": (4,), "r": ("index", 3)}, "x"),
    ("C = -log_softmax(z)[r] + 0.1*sum(z^2)", {"z": (4,), "r": ("index", 4)}, "z"),
    ("f = mean(exp(x))*x[0] + sin(x[1])*x[2]", {"x": (3,)}, "x"),
    ("f = sum(x)^2 + dot(x, x)^1.5", {"x": (3,)}, "x"),
    ("z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2); C = -log(y[r])",
     {"W1": (3, 4), "x": (4,), "b1": (3,), "W2": (3, 3), "b2": (3,), "r": ("index", 3)}, "b1"),
    ("f = sum(exp(a*x)) + a^3", {"a": (), "x": (3,)}, "x"),
    ("f = sum(exp(a*x)) + a^3", {"a": (), "x": (3,)}, "a"),
    ("f = x.T @ outer(u, u) @ x", {"u": (3,), "x": (3,)}, "x"),
]


def gradient(source, at, name):
    graph = parse(source)
    return np.asarray(evaluate(graph, at).grads[graph.named[name]], dtype=float)


def differences(f, at, name, step=1e-6):
    """∂f(at)/∂at[name] by central differences, shaped f's shape + name's shape."""
    x0 = np.asarray(at[name], dtype=float)
    cols = []
    for idx in np.ndindex(x0.shape):
        moved = []
        for sign in (1, -1):
            x = x0.copy()
            x[idx] += sign * step
            moved.append(f({**at, name: x.tolist() if x.shape else float(x)}))
        cols.append((moved[0] - moved[1]) / (2 * step))
    out = np.stack(cols, axis=-1) if cols else np.zeros(np.shape(f(at)) + (0,))
    return out.reshape(np.shape(cols[0]) + x0.shape)


@pytest.mark.parametrize("source, shapes, name, formula, answer", HESSIANS)
def test_hessians_read_as_the_lecture_writes_them(source, shapes, name, formula, answer):
    for seed in range(3):
        at = point(shapes, seed)
        d = differentiate(parse(source), [name], order=2, point=at)
        assert text(d.formulas[name]) == formula
        got = np.asarray(d.values[name])
        assert got.shape == np.shape(at[name]) * 2
        np.testing.assert_allclose(got, differences(lambda p: gradient(source, p, name), at, name),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got, value_of(answer, at), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("source, shapes, name", MORE)
def test_every_hessian_formula_equals_differences_of_the_gradient(source, shapes, name):
    for seed in range(3):
        at = point(shapes, seed)
        d = differentiate(parse(source), [name], order=2, point=at)
        got = np.asarray(d.values[name])
        want = differences(lambda p: gradient(source, p, name), at, name)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        # the formula, printed and read back by cgrad, gives the same numbers
        np.testing.assert_allclose(value_of(text(d.formulas[name]), at), got, rtol=1e-9, atol=1e-12)


def output_value(source, at):
    graph = parse(source)
    return np.asarray(evaluate(graph, at).values[graph.output], dtype=float)


# (program, input shapes, name, the Jacobian's text or None)
JACOBIANS = [
    ("y = A @ x", {"A": (2, 3), "x": (3,)}, "x", "A"),
    ("y = softmax(z)", {"z": (4,)}, "z", "diag(softmax(z)) - outer(softmax(z), softmax(z))"),
    ("y = sigmoid(W @ x + b)", {"W": (2, 3), "x": (3,), "b": (2,)}, "x",
     f"diag({S}*(1 - {S})) @ W"),
    ("y = sigmoid(W @ x + b)", {"W": (2, 3), "x": (3,), "b": (2,)}, "b", f"diag({S}*(1 - {S}))"),
    ("y = x * sum(x)", {"x": (3,)}, "x", "sum(x)*eye(3) + outer(x, ones(3))"),
    ("y = log_softmax(z)", {"z": (3,)}, "z", None),
    ("y = A.T @ tanh(A @ x) + 2*x", {"A": (3, 3), "x": (3,)}, "x", None),
    ("y = x[1] * u", {"x": (3,), "u": (2,)}, "x", None),
    ("y = exp(a) * u", {"a": (), "u": (2,)}, "a", "u*exp(a)"),
    ("y = x * c", {"x": (2,), "c": (2,)}, "c", "diag(x)"),
]


@pytest.mark.parametrize("source, shapes, name, formula", JACOBIANS)
def test_a_vector_outputs_jacobian_is_a_matrix_formula(source, shapes, name, formula):
    for seed in range(3):
        at = point(shapes, seed)
        d = differentiate(parse(source), [name], point=at)
        if formula is not None:
            assert text(d.formulas[name]) == formula
        got = np.asarray(d.values[name])
        np.testing.assert_allclose(got, differences(lambda p: output_value(source, p), at, name),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(value_of(text(d.formulas[name]), at), got, rtol=1e-9, atol=1e-12)


def test_cli_prints_the_hessian_and_its_value():
    result = CliRunner().invoke(cli, ["diff", "f = x.T @ A @ x", "--A", "[[1, 2], [3, 4]]", "--x", "[1, -1]",
                                      "--wrt", "x", "--order", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "∂²f/∂x² = A + A.T\n  = [[2, 5], [5, 8]]\n"


def test_keep_writes_the_hessian_in_the_programs_names():
    source, shapes = "s = sigmoid(W @ x + b); L = sum(s)", {"W": (2, 3), "x": (3,), "b": (2,)}
    for seed in range(3):
        at = point(shapes, seed)
        d = differentiate(parse(source), ["b", "x"], order=2, keep=True, point=at)
        assert text(d.formulas["b"]) == "diag(s*(1 - s)*(1 - 2*s))"
        assert text(d.formulas["x"]) == "W.T @ diag(s*(1 - s)*(1 - 2*s)) @ W"
        for name in ("b", "x"):
            np.testing.assert_allclose(d.values[name], differences(lambda p: gradient(source, p, name), at, name),
                                       rtol=1e-5, atol=1e-6)


def test_the_default_wrt_leaves_out_a_matrix_input_saying_so():
    result = CliRunner().invoke(cli, ["diff", "f = x.T @ A @ x", "--A", "[[1, 2], [3, 4]]", "--x", "[1, -1]",
                                      "--order", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("∂²f/∂x² = A + A.T\n")
    assert "note: left out A: the derivative of order 2 with respect to A (2×2) has shape 2×2×2×2" in result.stderr
    assert "cgrad hessian PROGRAM --wrt A" in result.stderr
