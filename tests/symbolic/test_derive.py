"""Symbolic derivatives (derive.py, expr.py, notation.py) against SymPy and against reverse mode; the
library behind `cgrad diff` and `cgrad hessian` against finite differences."""
import math
import random

import pytest
from samples import random_program

from cgrad_cli import evaluate, parse
from cgrad_cli.symbolic.derive import as_program, derivatives, differentiate, hessian, value_at
from cgrad_cli.symbolic.expr import Exprs, postorder, size
from cgrad_cli.core.ops import OPS
from cgrad_cli.symbolic.notation import latex, text, to_program

sympy = pytest.importorskip("sympy")


class Detach(sympy.Function):
    """detach(x): x's value, derivative 0."""

    @classmethod
    def eval(cls, x):
        return x if x.is_Number else None

    def fdiff(self, argindex=1):
        return sympy.S.Zero


class Mod(sympy.Function):
    """x % y with its derivatives off the jumps: 1 and -floor(x/y) (SymPy's Mod leaves them unevaluated)."""

    @classmethod
    def eval(cls, x, y):
        return x - y * sympy.floor(x / y) if x.is_Number and y.is_Number else None

    def fdiff(self, argindex=1):
        x, y = self.args
        return sympy.S.One if argindex == 1 else -sympy.floor(x / y)


def to_sympy(graph):
    """The program's output as a SymPy expression, walking the tape (a reference written independently)."""
    s = sympy
    table = {
        "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y,
        "neg": lambda x: -x, "copy": lambda x: x, "pow": lambda x, y: x ** y, "sin": s.sin, "cos": s.cos,
        "tan": s.tan, "asin": s.asin, "acos": s.acos, "atan": s.atan, "sinh": s.sinh, "cosh": s.cosh,
        "tanh": s.tanh, "exp": s.exp, "log": s.log, "sqrt": s.sqrt, "abs": s.Abs,
        "sigmoid": lambda x: 1 / (1 + s.exp(-x)), "relu": lambda x: s.Max(x, 0),
        "softplus": lambda x: s.log(1 + s.exp(x)), "sign": s.sign, "step": s.Heaviside,
        "min": s.Min, "max": s.Max,
        "log1p": lambda x: s.log(1 + x), "expm1": lambda x: s.exp(x) - 1, "log2": lambda x: s.log(x, 2),
        "exp2": lambda x: 2 ** x, "asinh": s.asinh, "acosh": s.acosh, "atanh": s.atanh, "atan2": s.atan2,
        "hypot": lambda x, y: s.sqrt(x ** 2 + y ** 2), "mod": Mod,
        "lt": lambda x, y: s.Piecewise((1, s.StrictLessThan(x, y)), (0, True)),
        "le": lambda x, y: s.Piecewise((1, s.LessThan(x, y)), (0, True)),
        "gt": lambda x, y: s.Piecewise((1, s.StrictGreaterThan(x, y)), (0, True)),
        "ge": lambda x, y: s.Piecewise((1, s.GreaterThan(x, y)), (0, True)),
        "eq": lambda x, y: s.Piecewise((1, s.Eq(x, y)), (0, True)),
        "select": lambda c, a, b: s.Piecewise((a, s.Ne(c, 0)), (b, True)), "detach": Detach,
    }
    assert set(table) == {name for name, op in OPS.items() if op.forward}, "a new op needs its SymPy twin here"
    e = []
    for i, (op, args) in enumerate(zip(graph.ops, graph.args)):
        if op.name == "input":
            e.append(s.Symbol(graph.names[i], real=True))
        elif op.name == "const":
            e.append(s.Float(graph.consts[i]) if graph.consts[i] != int(graph.consts[i]) else s.Integer(int(graph.consts[i])))
        else:
            e.append(table[op.name](*(e[a] for a in args)))
    return e[graph.output]


def derivative_value(program: str, wrt: str, point: dict) -> float:
    g = parse(program)
    d = derivatives(g, [wrt])[wrt]
    return value_at(as_program({"d_": d}, g), "d_", point)


CORPUS = [
    ("y = log1p(x^2) + expm1(x) + log2(x + 3) + exp2(x)", {"x": 0.7}),
    ("y = asinh(x) + acosh(x + 2) + atanh(x/2)", {"x": 0.4}),
    ("f = atan2(y, x) + hypot(x, y)", {"x": 0.8, "y": -0.3}),
    ("y = where(x > 0, x^2, -x) + x % 1.5 + (x <= 1)*x", {"x": 0.6}),
    ("y = detach(x)*x + stop_gradient(x^2)", {"x": 1.3}),
    ("y = x^2*sin(x)", {"x": 0.7}),
    ("e = (a+b)*(b+1)", {"a": 2, "b": 1}),
    ("y = x*exp(x^2)", {"x": 0.5}),
    ("y = sin(x)*cos(x)", {"x": 1.3}),
    ("y = log(x) + sqrt(x) - 1/x", {"x": 2.5}),
    ("z = x/y + x^y", {"x": 1.7, "y": 0.6}),
    ("y = sigmoid(w*x + b)", {"w": 0.3, "x": -1.2, "b": 0.5}),
    ("y = tanh(atan(x)) + asin(x/2) + acos(x/3)", {"x": 0.4}),
    ("y = softplus(x) * cosh(x) - sinh(x)/tan(x)", {"x": 0.9}),
    ("f = relu(x)*abs(y) + max(x, y) - min(x, 2*y)", {"x": 0.8, "y": -0.3}),
    ("c = a+b; d = b+1; e = c*d", {"a": 2, "b": 1}),
    ("y = (x^2 + 1)^3 / (x - 4)", {"x": 1.1}),
    ("y = 2^x * x^0.5", {"x": 1.9}),
    ("h1 = tanh(w*h0 + x1); h2 = tanh(w*h1 + x2); C = h2", {"w": 0.5, "h0": 1, "x1": 0.2, "x2": -0.1}),
]


@pytest.mark.parametrize("program, point", CORPUS, ids=[p for p, _ in CORPUS])
def test_derivatives_equal_sympy_and_reverse_mode(program, point):
    g = parse(program)
    ref = to_sympy(g)
    symbols = {str(sym): sym for sym in ref.free_symbols}
    ev = evaluate(g, point)
    for name in g.inputs:
        ours = derivative_value(program, name, point)
        theirs = float(sympy.diff(ref, symbols[name]).subs({symbols[k]: v for k, v in point.items() if k in symbols}))
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12), name
        assert ours == pytest.approx(ev.gradients()[name], rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_agree_with_sympy(seed):
    rng = random.Random(seed)
    program = random_program(rng)
    g = parse(program)
    ref = to_sympy(g)
    point = {"x": rng.uniform(-1.5, 1.5), "y": rng.uniform(-1.5, 1.5)}
    for name in g.inputs:
        sym = next(s for s in ref.free_symbols if str(s) == name)
        theirs = float(sympy.diff(ref, sym).subs({s: point[str(s)] for s in ref.free_symbols}))
        assert derivative_value(program, name, {k: point[k] for k in g.inputs}) == pytest.approx(
            theirs, rel=1e-8, abs=1e-10), (program, name)


PRINTED = [
    ("y = x^2", "x", "2*x"),
    ("y = x^2*sin(x)", "x", "2*x*sin(x) + x^2*cos(x)"),
    ("y = sin(x)*cos(x)", "x", "cos(x)^2 - sin(x)^2"),
    ("e = (a+b)*(b+1)", "b", "a + 2*b + 1"),
    ("e = (a+b)*(b+1)", "a", "b + 1"),
    ("y = x*exp(x^2)", "x", "2*x^2*exp(x^2) + exp(x^2)"),
    ("y = tanh(x)", "x", "1 - tanh(x)^2"),
    ("z = x/y", "y", "-x/y^2"),
    ("y = 3*x - 5*x^3/2", "x", "3 - 7.5*x^2"),
    ("y = -(-x)", "x", "1"),
    ("y = x - x + 0*x", "x", "0"),
    ("y = x*x/x", "x", "1"),
    ("y = (x+1)^2", "x", "2*(x + 1)"),
    ("y = 2^x", "x", "2^x*log(2)"),
    ("y = a*b*c", "b", "a*c"),
]


@pytest.mark.parametrize("program, wrt, expected", PRINTED, ids=[f"{p} d/d{w}" for p, w, _ in PRINTED])
def test_printed_forms(program, wrt, expected):
    assert text(derivatives(parse(program), [wrt])[wrt]) == expected


@pytest.mark.parametrize("program, wrt, _", PRINTED, ids=[f"{p} d/d{w}" for p, w, _ in PRINTED])
def test_printed_forms_are_readable(program, wrt, _):
    printed = text(derivatives(parse(program), [wrt])[wrt])
    for junk in ("1*", "*1 ", "+ 0", "+ -", "--", "^1 ", "- -"):
        assert junk not in printed + " "


def test_keep_leaves_named_intermediates():
    g = parse("c = a+b; d = b+1; e = c*d")
    d = derivatives(g, ["a", "b"], keep=True)
    assert text(d["a"]) == "d" and text(d["b"]) == "c + d"


def test_printed_derivative_is_a_program_that_parses_back():
    g = parse("y = x^3*sin(x) - x/(1 + x^2)")
    first = derivatives(g, ["x"])["x"]
    again = parse("d = " + text(first))
    assert value_at(again, "d", {"x": 0.8}) == pytest.approx(value_at(as_program({"d": first}, g), "d", {"x": 0.8}))


def test_second_derivative_is_the_same_pass_again():
    g = parse("y = x^3*sin(x)")
    first = derivatives(g, ["x"])["x"]
    second = derivatives(as_program({"d": first}, g), ["x"], output="d")["x"]
    x = 0.9
    expected = 6 * x * math.sin(x) + 6 * x ** 2 * math.cos(x) - x ** 3 * math.sin(x)
    assert value_at(as_program({"h": second}, g), "h", {"x": x}) == pytest.approx(expected, rel=1e-12)


def test_latex():
    d = derivatives(parse("y = x^2*sin(x)/sqrt(θ_1)"), ["x"])["x"]
    out = latex(d)
    assert "\\frac" in out and "\\sin\\left(x\\right)" in out and "\\theta_{1}" in out and "\\sqrt{" in out


def test_shared_subexpressions_stay_shared():
    """Each step squares the last: the tree of the derivative doubles at every step, the DAG does not."""
    n = 40
    program = "\n".join(["x1 = sin(x0)"] + [f"x{i} = 0.5*x{i - 1}*x{i - 1} + 0.25*x{i - 1}" for i in range(2, n)])
    d = derivatives(parse(program), ["x0"])["x0"]
    assert len(postorder(d)) < 20 * n
    assert size(d) > 2 ** 30  # what a tree (or a naive printer) would have to write
    written = to_program({"d": d})
    assert len(written) < 1000 * n and written.count("\n") > 10  # shared parts named, not written out
    assert value_at(parse(written), "d", {"x0": 0.1}) == pytest.approx(
        evaluate(parse(program), {"x0": 0.1}).gradients()["x0"], rel=1e-9)


def test_deep_formula_prints_without_recursion():
    """Deeper than Python's recursion limit.  (The text itself grows as depth², so not 10^5.)"""
    program = "y = " + "sin(" * 3000 + "x" + ")" * 3000
    d = derivatives(parse(program), ["x"])["x"]
    assert text(d).count("cos(") == 3000 and latex(d).count("\\cos") == 3000


def test_interning_makes_equal_formulas_identical():
    m = Exprs(["x", "y"])
    x, y = m.var("x"), m.var("y")
    assert (x + y) * 2 is 2 * (y + x)
    assert x * x is m.pow(x, 2) and x / x is m.num(1)
    assert text(x + x + y - 2 * x) == "y"


# --- hessian and differentiate: the library of cgrad hessian and cgrad diff -----------------------------------

def finite_difference_hessian(program, point, h=1e-4):
    """Central differences of the reverse-mode gradient: an independent check."""
    g = parse(program)
    names = list(g.inputs)
    rows = []
    for a in names:
        up, down = dict(point), dict(point)
        up[a] += h
        down[a] -= h
        gu, gd = evaluate(g, up).gradients(), evaluate(g, down).gradients()
        rows.append([(gu[b] - gd[b]) / (2 * h) for b in names])
    return rows


@pytest.mark.parametrize("program, point", [
    ("f = x^2*y + y^3", {"x": 1.0, "y": 2.0}),
    ("e = (a+b)*(b+1)", {"a": 2.0, "b": 1.0}),
    ("f = sin(x*y) + exp(x - y^2) + log(1 + x^2)", {"x": 0.3, "y": -0.7}),
    ("h1 = tanh(w*h0 + x1); h2 = tanh(w*h1 + x2)", {"w": 0.5, "h0": 1.0, "x1": 0.2, "x2": -0.1}),
])
def test_hessian_matches_finite_differences_and_is_symmetric(program, point):
    g = parse(program)
    h = hessian(g, point, list(g.inputs)).rows
    expected = finite_difference_hessian(program, point)
    for i, row in enumerate(h):
        assert row == pytest.approx(expected[i], rel=1e-6, abs=1e-7)
        for j, value in enumerate(row):
            assert value == pytest.approx(h[j][i], rel=1e-12, abs=1e-14)


def test_hessian_of_the_lecture():
    g = parse("e=(a+b)*(b+1)")
    h = hessian(g, {"a": 2, "b": 1})
    assert (h.output, h.wrt, h.rows, h.warnings) == ("e", ["a", "b"], [[0.0, 1.0], [1.0, 2.0]], [])
    assert math.isclose(hessian(g, {"a": 2, "b": 1}, ["b"]).rows[0][0], 2.0)


def test_differentiate_is_the_library_behind_diff():
    d = differentiate(parse("y = relu(x)^3"), order=2, point={"x": 0.0})
    assert (d.output, d.order, d.values, text(d.formulas["x"])) == ("y", 2, {"x": 0.0}, "6*relu(x)*step(x)^2")
    assert d.warnings and "relu" in d.warnings[0][1]
