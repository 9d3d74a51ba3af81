"""`cgrad diff` on tensor programs (symbolic.tensor_expr): each derivative's formula in matrix form,
its text against the lecture's answer, and its value -- the formula evaluated by cgrad -- against reverse
mode and against the lecture's answer evaluated by cgrad, every element, at random inputs."""
import random

import numpy as np
import pytest
from click.testing import CliRunner

from cgrad_cli import evaluate, parse
from cgrad_cli.cli import cli
from cgrad_cli.symbolic.derive import differentiate
from cgrad_cli.symbolic.notation import latex, text


def point(shapes: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {name: (float(rng.integers(0, s[1])) if s and s[0] == "index" else rng.normal(size=s).tolist())
            for name, s in shapes.items()}


def reverse_mode(source, at, name):
    graph = parse(source)
    ev = evaluate(graph, at)
    return np.asarray(ev.grads[graph.named[name]])


def value_of(source: str, at: dict):
    """A formula (the lecture's answer) evaluated by cgrad at `at`."""
    graph = parse("answer = " + source)
    ev = evaluate(graph, {k: v for k, v in at.items() if k in graph.inputs})
    return np.asarray(ev.values[graph.named["answer"]])


# (program, input shapes, name, diff's text, the lecture's answer as a cgrad formula)
TARGETS = [
    ("C = -log(softmax(W @ x)[r])", {"W": (3, 4), "x": (4,), "r": ("index", 3)}, "W",
     "outer(softmax(W @ x) - onehot(r, 3), x)", "outer(softmax(W @ x) - onehot(r, 3), x)"),
    ("f = x.T @ A @ x", {"A": (3, 3), "x": (3,)}, "x", "(A + A.T) @ x", "(A + A.T) @ x"),
    ("f = dot(x, A @ x)", {"A": (3, 3), "x": (3,)}, "x", "(A + A.T) @ x", "(A + A.T) @ x"),
    ("f = sum((A @ x - y)^2)", {"A": (4, 3), "x": (3,), "y": (4,)}, "x", "2*(A.T @ (A @ x - y))",
     "2*A.T @ (A @ x - y)"),
    ("L = sum(sigmoid(W @ x + b))", {"W": (2, 3), "x": (3,), "b": (2,)}, "b",
     "sigmoid(b + W @ x)*(1 - sigmoid(b + W @ x))", "sigmoid(W @ x + b)*(1 - sigmoid(W @ x + b))"),
    ("L = sum(sigmoid(W @ x + b))", {"W": (2, 3), "x": (3,), "b": (2,)}, "W",
     "outer(sigmoid(b + W @ x)*(1 - sigmoid(b + W @ x)), x)",
     "outer(sigmoid(W @ x + b)*(1 - sigmoid(W @ x + b)), x)"),
]
# The identities people check with a matrix-calculus tool: (program, shapes, name, diff's text, the answer)
IDENTITIES = [
    ("f = trace(X)", {"X": (3, 3)}, "X", "eye(3)", "eye(3)"),
    ("f = trace(A @ X)", {"A": (3, 3), "X": (3, 3)}, "X", "A.T", "A.T"),
    ("f = trace(A @ X)", {"A": (2, 3), "X": (3, 2)}, "A", "X.T", "X.T"),
    ("f = det(X)", {"X": (3, 3)}, "X", "det(X)*inv(X).T", "det(X)*inv(X).T"),
    ("f = logdet(X)", {"X": (3, 3)}, "X", "inv(X).T", "inv(X).T"),
    ("f = log(det(inv(X)))", {"X": (3, 3)}, "X", "-inv(X).T", "-inv(X).T"),
    ("f = trace(inv(X))", {"X": (3, 3)}, "X", "-(inv(X).T @ inv(X).T)", "-inv(X).T @ inv(X).T"),
    ("f = sum(inv(X) @ b)", {"X": (3, 3), "b": (3,)}, "X", "-outer(inv(X).T @ ones(3), inv(X) @ b)",
     "-inv(X).T @ outer(ones(3), b) @ inv(X).T"),
    ("f = norm(x)", {"x": (4,)}, "x", "x/norm(x)", "x/norm(x)"),
    ("f = norm(A @ x - y)^2", {"A": (4, 3), "x": (3,), "y": (4,)}, "x", "2*(A.T @ (A @ x - y))",
     "2*A.T @ (A @ x - y)"),
    ("f = norm(x, 1)", {"x": (4,)}, "x", "sign(x)", "sign(x)"),
    ("f = dot(solve(A, b), c)", {"A": (3, 3), "b": (3,), "c": (3,)}, "b", "solve(A.T, c)", "inv(A).T @ c"),
    ("f = dot(solve(A, b), c)", {"A": (3, 3), "b": (3,), "c": (3,)}, "A", "-outer(solve(A.T, c), solve(A, b))",
     "-outer(inv(A).T @ c, inv(A) @ b)"),
    ("f = dot(diag(X), v)", {"X": (3, 3), "v": (3,)}, "X", "diag(v)", "diag(v)"),
    ("f = sum(diag(v) @ A)", {"v": (3,), "A": (3, 3)}, "v", "diag(ones(3, 3) @ A.T)", "sum(A, 1)"),
    ("f = sum(sum(X, 1)*b)", {"X": (2, 3), "b": (2,)}, "X", "outer(b, ones(3))", "outer(b, ones(3))"),
    ("f = sum(mean(X, axis=0)*b)", {"X": (2, 3), "b": (3,)}, "X", "0.5*outer(ones(2), b)", "outer(ones(2), b)/2"),
    ("f = sum(logsumexp(X, 1))", {"X": (2, 3)}, "X", "softmax(X)", "softmax(X)"),
    ("f = sum(softmax(X)*T)", {"X": (2, 3), "T": (2, 3)}, "X",
     "softmax(X)*(T - reshape(sum(T*softmax(X), axis=1), 2, 1))",
     "softmax(X)*T - softmax(X)*outer(sum(T*softmax(X), 1), ones(3))"),
    ("f = max(x)", {"x": (4,)}, "x", "(x == max(x))/sum(x == max(x))", "onehot(argmax(x), 4)"),
    ("f = var(x)", {"x": (4,)}, "x", "0.5*(x - mean(x))", "2*(x - mean(x))/4"),
    ("f = var(x)", {"x": (3,)}, "x", "2*(x - mean(x))/3", "2*(x - mean(x))/3"),
    ("f = std(x)", {"x": (3,)}, "x", "(x - mean(x))/(3*std(x))", "(x - mean(x))/(3*std(x))"),
    ("f = trace(A @ X.T @ B @ X @ C)", {"A": (2, 2), "X": (3, 2), "B": (3, 3), "C": (2, 2)}, "X",
     "B.T @ X @ A.T @ C.T + B @ X @ C @ A", "B.T @ X @ A.T @ C.T + B @ X @ C @ A"),
    ("f = 0.5*x.T @ A @ x - b.T @ x", {"A": (3, 3), "x": (3,), "b": (3,)}, "x", "0.5*((A + A.T) @ x) - b",
     "(A + A.T) @ x/2 - b"),
    ("L = mean(logsumexp(X @ W, axis=1) - (X @ W)[[0, 1, 2], [2, 0, 1]])", {"X": (3, 2), "W": (2, 3)}, "W",
     "(X.T @ (softmax(X @ W) - onehot([2, 0, 1], 3)))/3",
     "X.T @ (softmax(X @ W) - onehot([2, 0, 1], 3))/3"),
    # slices, fancy indices and the ops that cut or join: scatter-adds written with selection matrices
    ("f = sum(x[1:3])", {"x": (4,)}, "x", "eye(4)[1:3].T @ ones(2)", "[0, 1, 1, 0]"),
    ("f = dot(x[::-1], y)", {"x": (3,), "y": (3,)}, "x", "eye(3)[::-1].T @ y", "y[::-1]"),
    ("f = dot(x[[0, 0, 2]], y)", {"x": (3,), "y": (3,)}, "x", "onehot([0, 0, 2], 3).T @ y",
     "[y[0] + y[1], 0, y[2]]"),
    ("f = sum(W[:, 0] * v)", {"W": (2, 3), "v": (2,)}, "W", "outer(v, onehot(0, 3))",
     "stack(v, zeros(2), zeros(2), axis=1)"),
    ("C = -mean(log_softmax(Z)[[0, 1, 2], [1, 0, 3]])", {"Z": (3, 4)}, "Z",
     "softmax(Z)/3 - onehot([1, 0, 3], 4)/3",
     "(softmax(Z) - onehot([1, 0, 3], 4))/3"),
    ("f = dot(cumsum(x), y)", {"x": (3,), "y": (3,)}, "x", "cumsum(y[::-1], axis=0)[::-1]",
     "[y[0] + y[1] + y[2], y[1] + y[2], y[2]]"),
    ("f = sum(reshape(x, 2, 3) * A)", {"x": (6,), "A": (2, 3)}, "x", "reshape(A, 6)", "concat(A[0], A[1])"),
    ("f = sum(concat(u, v)^2)", {"u": (2,), "v": (3,)}, "u", "2*u", "2*u"),
    ("f = sum(stack(u, v) * A)", {"u": (3,), "v": (3,), "A": (2, 3)}, "v", "A[1]", "A[1]"),
]
CLASSIFIER = ("z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2); C = -log(y[r])",
              {"W1": (3, 4), "x": (4,), "b1": (3,), "W2": (3, 3), "b2": (3,), "r": ("index", 3)})


@pytest.mark.parametrize("source, shapes, name, formula, answer", TARGETS + IDENTITIES)
def test_lecture_targets(source, shapes, name, formula, answer):
    for seed in range(4):
        at = point(shapes, seed)
        d = differentiate(parse(source), [name], point=at)
        assert text(d.formulas[name]) == formula
        got = np.asarray(d.values[name])
        assert got.shape == np.shape(at[name])  # the gradient convention: ∂f/∂W has W's shape
        np.testing.assert_allclose(got, reverse_mode(source, at, name), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got, value_of(answer, at), rtol=1e-9, atol=1e-12)


def test_classifier_b2_is_y_minus_onehot_and_w1_backpropagates_through_w2():
    source, shapes = CLASSIFIER
    for seed in range(3):
        at = point(shapes, seed)
        d = differentiate(parse(source), ["b2", "W1"], point=at)
        assert text(d.formulas["b2"]) == "softmax(b2 + W2 @ sigmoid(b1 + W1 @ x)) - onehot(r, 3)"
        w1 = text(d.formulas["W1"])
        assert w1.startswith("outer(") and w1.endswith(", x)") and "W2.T @ (softmax(" in w1
        for name in ("b2", "W1"):
            np.testing.assert_allclose(d.values[name], reverse_mode(source, at, name), rtol=1e-9, atol=1e-12)
        a1 = "sigmoid(W1 @ x + b1)"
        g_z2 = f"softmax(W2 @ {a1} + b2) - onehot(r, 3)"
        np.testing.assert_allclose(d.values["W1"], value_of(f"outer((W2.T @ ({g_z2}))*{a1}*(1 - {a1}), x)", at),
                                   rtol=1e-9, atol=1e-12)


def test_latex_writes_matrix_notation():
    at = point({"A": (2, 2), "x": (2,)}, 0)
    d = differentiate(parse("f = x.T @ A @ x"), ["x"], point=at)
    assert latex(d.formulas["x"]) == "\\left(A + A^{\\top}\\right) x"
    d = differentiate(parse("C = -log(softmax(W @ x)[r])"), ["W"], point=point(TARGETS[0][1], 0))
    assert latex(d.formulas["W"]) == ("\\left(\\operatorname{softmax}\\left(W x\\right) - "
                                      "\\operatorname{onehot}\\left(r, 3\\right)\\right) x^{\\top}")


@pytest.mark.parametrize("source, shapes, name, tex", [
    ("f = trace(X)", {"X": (3, 3)}, "X", "I_{3}"),
    ("f = trace(A @ X)", {"A": (3, 3), "X": (3, 3)}, "X", "A^{\\top}"),
    ("f = det(X)", {"X": (2, 2)}, "X", "\\det\\left(X\\right) X^{-\\top}"),
    ("f = logdet(X)", {"X": (2, 2)}, "X", "X^{-\\top}"),
    ("f = logdet(X)*trace(X)", {"X": (2, 2)}, "X",
     "\\log\\left|\\det\\left(X\\right)\\right| I_{2} + \\operatorname{tr}\\left(X\\right) X^{-\\top}"),
    ("f = norm(x)", {"x": (3,)}, "x", "\\frac{x}{\\left\\|x\\right\\|}"),
    ("f = dot(solve(A, b), c)", {"A": (2, 2), "b": (2,), "c": (2,)}, "b", "A^{-\\top} c"),
    ("f = sum(sum(X, 1)*b)", {"X": (2, 3), "b": (2,)}, "X", "b \\left(\\mathbf{1}_{3}\\right)^{\\top}"),
    ("f = sum(X*[[1, 2], [3, 4]])", {"X": (2, 2)}, "X", "\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}"),
])
def test_latex_writes_matrix_functions_as_mathematicians_do(source, shapes, name, tex):
    d = differentiate(parse(source), [name], point=point(shapes, 2))
    assert latex(d.formulas[name]) == tex


# -- a random corpus: compositions of matmul, elementwise ops, sums, softmax and transposes, and the matrix
# functions, axis reductions, slices, fancy indices, joins and scans

def _vector(rng, n, depth, shapes):
    """A random expression of shape (n,) and the inputs it uses (added to `shapes`)."""
    def leaf(shape, prefix):
        same = [k for k, s in shapes.items() if s == shape]
        if same and rng.random() < 0.4:
            return rng.choice(same)
        name = f"{prefix}{len(shapes)}"
        shapes[name] = shape
        return name

    if depth <= 0:
        return leaf((n,), "v")
    m = rng.randint(2, 4)
    kind = rng.randrange(20)
    sub = lambda k: _vector(rng, k, depth - 1, shapes)  # noqa: E731
    if kind == 0:
        return f"{leaf((n, m), 'M')} @ ({sub(m)})"
    if kind == 1:
        return f"{leaf((m, n), 'M')}.T @ ({sub(m)})"
    if kind == 2:
        return f"{rng.choice(['sin', 'tanh', 'sigmoid', 'exp'])}({sub(n)})"
    if kind == 3:
        return f"({sub(n)} {rng.choice(['+', '-', '*'])} {sub(n)})"
    if kind == 4:
        return f"{rng.choice(['softmax', 'log_softmax'])}({sub(n)})"
    if kind == 5:
        return f"{leaf((), 's')}*({sub(n)})"
    if kind == 6:
        return f"outer({sub(n)}, {sub(m)}) @ ({sub(m)})"
    if kind == 7:
        return f"({sub(n)})^2"
    if kind == 8:
        return f"diag({leaf((n, n), 'M')}) * ({sub(n)})"
    if kind == 9:  # well conditioned: M + n*I
        return f"solve({leaf((n, n), 'M')} + {n}*eye({n}), {sub(n)})"
    if kind == 10:
        return f"inv({leaf((n, n), 'M')} + {n}*eye({n})) @ ({sub(n)})"
    if kind == 11:
        return f"({sub(n)})[::-1]"
    if kind == 12 and n > 1:
        k = rng.randint(1, n - 1)
        return f"concat({sub(k)}, {sub(n - k)})"
    if kind == 13:
        return f"cumsum({sub(n)})"
    if kind == 14:
        return f"({sub(n)})/norm({sub(n)})"
    if kind == 15:
        return f"sum(softmax(outer({sub(n)}, {sub(m)})), axis=1)"
    if kind == 16:
        return f"{rng.choice(['max', 'min', 'logsumexp', 'mean', 'prod'])}({leaf((m, n), 'M')}, axis=0) * ({sub(n)})"
    if kind == 17:
        picks = [rng.randrange(m) for _ in range(n)]
        return f"({sub(m)})[{picks}]"
    if kind == 18:
        return f"diag(outer({sub(n)}, {sub(n)}))"
    return sub(n)


def _scalar(rng, shapes):
    n = rng.randint(2, 4)
    v = _vector(rng, n, rng.randint(1, 4), shapes)
    kind = rng.randrange(13)
    if kind == 0:
        return f"dot({v}, {_vector(rng, n, 1, shapes)})"
    w = _vector(rng, n, 1, shapes) if kind in (6, 8, 12) else ""
    return [f"sum({v})", f"({v})[{rng.randrange(n)}]", f"-log(softmax({v})[{rng.randrange(n)}])", f"mean({v})",
            f"logsumexp({v})", f"trace(outer({v}, {w}))", f"logdet(outer({v}, {v}) + eye({n}))", f"norm({v} - {w})^2",
            f"max({v})", f"var({v})", f"prod({v})", f"det(outer({v}, {w}) + {n}*eye({n}))"][kind - 1]


@pytest.mark.parametrize("seed", range(80))
def test_random_tensor_programs_formula_equals_reverse_mode(seed):
    rng = random.Random(seed)
    shapes: dict = {}
    source = "f = " + _scalar(rng, shapes)
    at = point(shapes, seed)
    d = differentiate(parse(source), None, point=at)
    for name in shapes:
        want = reverse_mode(source, at, name)
        np.testing.assert_allclose(d.values[name], want, rtol=1e-8, atol=1e-10, err_msg=f"{source}: ∂f/∂{name} = "
                                   f"{text(d.formulas[name])}")


# -- the CLI: the answer, and clear refusals (exit 2) instead of a wrong formula

def run(*args):
    return CliRunner().invoke(cli, list(args))


W, X = ("--W", "[[1, 2, 3], [0, 1, 0]]"), ("--x", "[1, 0, 2]")


def test_cli_prints_the_matrix_form_and_its_value():
    result = run("diff", "C = -log(softmax(W @ x)[r])", *W, *X, "--r", "1", "--wrt", "W")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("∂C/∂W = outer(softmax(W @ x) - onehot(r, 2), x)\n"
                             "  = [[0.999089, 0, 1.99818], [-0.999089, 0, -1.99818]]\n")


def test_keep_writes_the_classifier_as_the_lecture_does():
    source, shapes = CLASSIFIER
    at = point(shapes, 5)
    d = differentiate(parse(source), ["b2", "W1"], keep=True, point=at)
    assert text(d.formulas["b2"]) == "y - onehot(r, 3)"
    assert text(d.formulas["W1"]) == "outer(a1*(W2.T @ (y - onehot(r, 3)))*(1 - a1), x)"
    for name in ("b2", "W1"):
        np.testing.assert_allclose(d.values[name], reverse_mode(source, at, name), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("args, words", [
    (("y = W @ x", *W, *X, "--wrt", "W"), ["2-vector", "Jacobian of shape 2×2×3", "cgrad jacobian"]),
    (("y = sum(P[[0, 1], [[0], [1]]])", "--P", "[[1, 2], [3, 4]]"), ["2-D array of indices"]),
    (("y = sum(P[[0, 1], [1]])", "--P", "[[1, 2], [3, 4]]"), ["index arrays of different lengths"]),
    (("y = sum(W @ x)", "--wrt", "W"), ["needs a value for every input", "W, x"]),
    (("y = sum(W @ x)", *W, *X, "--order", "2", "--wrt", "W"), ["order 2 with respect to W (2×3)",
                                                                "2×3×2×3, a 4-D array", "cgrad hessian PROGRAM --wrt W"]),
    (("y = sum(exp(W @ x))", *W, *X, "--order", "3", "--wrt", "x"), ["3×3×3, a 3-D array"]),
    (("y = W @ x", *W, *X, "--wrt", "x", "--order", "2"), ["Jacobian of shape 2×3×3"]),
    (("y = a*W", "--a", "2", *W, "--wrt", "a"), ["2×3 matrix", "a number or a vector only", "cgrad jacobian"]),
])
def test_cli_refuses_what_it_cannot_write(args, words):
    result = run("diff", *args)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.stderr


def test_an_op_added_without_a_formula_rule_is_refused_by_name(monkeypatch):
    """A tensor op whose vjp rule does not run over formulas yet (one added to the table later) is named."""
    from cgrad_cli.symbolic import derive

    monkeypatch.setattr(derive, "FORMULA_OPS", tuple(n for n in derive.FORMULA_OPS if n != "trace"))
    result = run("diff", "y = trace(A) + 1", "--A", "[[1, 2], [3, 4]]")
    assert result.exit_code == 2, result.output
    assert "no formula rule for trace yet: trace(A)" in result.stderr and "cgrad eval" in result.stderr


@pytest.mark.parametrize("source, shapes, name, formula", [
    ("y = x[1:3]", {"x": (4,)}, "x", "eye(4)[1:3]"),
    ("y = concat(x, b)", {"x": (3,), "b": (2,)}, "b", "eye(5)[3:5].T"),
    ("y = x[[0, 0, 2]]*x", {"x": (3,)}, "x", "diag(x[[0, 0, 2]]) + diag(x) @ onehot([0, 0, 2], 3)"),
    ("y = softmax(x)[::-1]", {"x": (3,)}, "x", None),
    ("f = dot(x[[0, 0, 2]], x)", {"x": (3,)}, "x", "onehot([0, 0, 2], 3) + onehot([0, 0, 2], 3).T"),
])
def test_jacobians_and_hessians_through_slices_and_fancy_indices(source, shapes, name, formula):
    """A matrix derivative read off a formula (symbolic.jacobian_form) through x[1:3], x[[0, 0, 2]], concat:
    the selection matrix's rows, never an index misread; equal to the exact Jacobian at the point."""
    from cgrad_cli.core.jacobian import jacobian

    at = point(shapes, 4)
    order = 2 if source.startswith("f") else 1
    d = differentiate(parse(source), [name], order=order, point=at)
    if formula is not None:
        assert text(d.formulas[name]) == formula
    if order == 1:
        want = jacobian(parse(source), at, wrt=[name]).jacobians[name]
    else:
        from cgrad_cli.symbolic.derive import hessian

        want = np.asarray(hessian(parse(source), at, [name]).rows)
    np.testing.assert_allclose(d.values[name], want, rtol=1e-9, atol=1e-12)


# -- cgrad hessian at a point on tensor programs: the gradient's formula differentiated exactly

@pytest.mark.parametrize("source, shapes, wrt", [
    ("f = x.T @ A @ x", {"A": (3, 3), "x": (3,)}, ["x"]),
    ("L = sum(sigmoid(W @ x + b))", {"W": (2, 3), "x": (3,), "b": (2,)}, ["x", "b"]),
    ("C = -log(softmax(W @ x)[r])", {"W": (2, 3), "x": (3,), "r": ("index", 2)}, ["W"]),
    (CLASSIFIER[0], CLASSIFIER[1], ["b2", "x"]),
])
def test_hessian_matches_finite_differences_of_the_gradient(source, shapes, wrt):
    from cgrad_cli.symbolic.derive import hessian

    at = point(shapes, 1)
    h = np.asarray(hessian(parse(source), at, wrt).rows)
    flat = [(name, idx) for name in wrt for idx in np.ndindex(np.shape(at[name]))]
    assert h.shape == (len(flat), len(flat))
    step = 1e-6
    for col, (name, idx) in enumerate(flat):
        def gradient(sign):
            moved = {k: np.array(v, dtype=float) for k, v in at.items()}
            moved[name][idx] += sign * step
            return np.concatenate([reverse_mode(source, {k: v.tolist() for k, v in moved.items()}, b).ravel()
                                   for b in wrt])
        np.testing.assert_allclose(h[:, col], (gradient(1) - gradient(-1)) / (2 * step), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h.T, atol=1e-12)


@pytest.mark.parametrize("source, shapes, wrt", [
    ("f = logdet(X)", {"X": (2, 2)}, ["X"]),
    ("f = norm(A @ x - y)^2", {"A": (3, 2), "x": (2,), "y": (3,)}, ["x"]),
    ("f = sum(logsumexp(X, axis=1)) + trace(X @ X)", {"X": (2, 2)}, ["X"]),
    ("f = dot(x[::-1], x[[0, 0, 2]]) + prod(x)", {"x": (3,)}, ["x"]),
])
def test_hessian_of_matrix_functions_matches_finite_differences(source, shapes, wrt):
    """The gradient's formula with the new ops (inv, norm, softmax of a matrix, slices, fancy indices, prod)
    differentiated once more at the point."""
    test_hessian_matches_finite_differences_of_the_gradient(source, shapes, wrt)


def test_hessian_of_the_quadratic_form_is_a_plus_a_transpose():
    result = run("hessian", "f = x.T @ A @ x", "--A", "[[1, 2], [3, 4]]", "--x", "[1, -1]", "--wrt", "x")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["       ∂x[0]  ∂x[1]", "∂x[0]      2      5", "∂x[1]      5      8"]


def test_rnn_shared_weight_sums_one_outer_product_per_step():
    from pathlib import Path

    source = (Path(__file__).parents[2] / "examples" / "rnn.cg").read_text()
    shapes = {"Wh": (3, 3), "Wx": (3, 2), "h0": (3,), "xs": (3, 2)}
    for seed in range(3):
        at = point(shapes, seed)
        kept = differentiate(parse(source), ["Wh"], keep=True, point=at)
        assert text(kept.formulas["Wh"]) == (
            "outer(h3*(1 - h3^2), h2) + outer((Wh.T @ (h3*(1 - h3^2)))*(1 - h2^2), h1) + "
            "outer((Wh.T @ ((Wh.T @ (h3*(1 - h3^2)))*(1 - h2^2)))*(1 - h1^2), h0)")
        written_out = differentiate(parse(source), ["Wh", "xs"], point=at)
        for d, names in ((kept, ["Wh"]), (written_out, ["Wh", "xs"])):
            for name in names:
                np.testing.assert_allclose(d.values[name], reverse_mode(source, at, name), rtol=1e-9, atol=1e-12)


def _op_examples():
    from cgrad_cli.core.ops import OPS

    return [pytest.param(program, shapes, id=f"{name}: {program}") for name, op in OPS.items()
            for program, shapes in op.examples]


@pytest.mark.parametrize("program, shapes", _op_examples())
def test_every_op_example_is_answered_right(program, shapes):
    """Each example of the op table, summed to a number: diff writes a formula for every op, and it equals
    reverse mode, every element."""
    from cgrad_cli.errors import CgradError

    source = f"f = sum({program})"
    at = point(shapes, 3)
    try:
        want = {name: reverse_mode(source, at, name) for name in shapes}
    except CgradError:  # the random point is off the program's domain (an index, a singular matrix)
        pytest.skip("off the domain at this point")
    d = differentiate(parse(source), None, point=at)
    for name in shapes:
        np.testing.assert_allclose(d.values[name], want[name], rtol=1e-8, atol=1e-10, err_msg=text(d.formulas[name]))


def test_a_tensor_the_output_does_not_use_gets_zeros_of_its_shape():
    at = {"t": [1.0, 2.0], "x": 1.0}
    source = "f(a, b) = t\ny = sin(x)"
    d = differentiate(parse(source), None, point=at)
    assert text(d.formulas["t"]) == "zeros(2)" and d.values["t"].tolist() == [0.0, 0.0]
    from cgrad_cli.symbolic.derive import hessian

    assert np.asarray(hessian(parse(source), at).rows).shape == (3, 3)
