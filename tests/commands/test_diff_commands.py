"""`cgrad diff` and `cgrad hessian` through the CLI, against closed forms and finite differences."""
import json

import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli import parse
from cgrad_cli.cli import cli
from cgrad_cli.symbolic.derive import differentiate


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_diff_prints_the_readable_derivative():
    result = run("diff", "y = x^2*sin(x)", "--wrt", "x")
    assert result.exit_code == 0, result.output
    assert result.stdout == "∂y/∂x = 2*x*sin(x) + x^2*cos(x)\n"


def test_diff_every_input_at_a_point():
    result = run("diff", "e=(a+b)*(b+1)", "--at", "a=2,b=1")
    assert result.stdout == "∂e/∂a = b + 1 = 2\n∂e/∂b = a + 2*b + 1 = 5\n"


def test_diff_point_as_inputs_like_eval():
    assert run("diff", "y = x^3", "--x", "2").stdout == "∂y/∂x = 3*x^2 = 12\n"


def test_diff_keep_names_intermediates():
    assert run("diff", "c=a+b; d=b+1; e=c*d", "--keep", "--wrt", "b").stdout == "∂e/∂b = c + d\n"


def test_diff_order_two_and_latex():
    assert run("diff", "y = x^3", "--order", "2").stdout == "∂²y/∂x² = 6*x\n"
    latex = run("diff", "y = x^3*sin(x)", "--latex").stdout
    assert latex.startswith("\\frac{\\partial y}{\\partial x} = ") and "\\sin\\left(x\\right)" in latex


def test_diff_json():
    doc = json.loads(run("diff", "y = x^2", "--at", "x=3", "--json").stdout)
    assert doc == {"$schema": "https://cgrad.dev/schemas/diff-1.json", "version": cgrad_cli.__version__,
                   "output": "y", "output_node": 2, "order": 1, "at": {"x": 3.0}, "constants": {},
                   "derivatives": {"x": {"text": "2*x", "latex": "2 x", "program": None, "value": 6.0}},
                   "warnings": [], "source": "y = x^2"}


def test_diff_large_result_is_written_with_shared_parts_named():
    program = "\n".join(["x1 = sin(x0)"] + [f"x{i} = 0.5*x{i-1}*x{i-1} + 0.25*x{i-1}" for i in range(2, 60)])
    result = run("diff", program)
    assert result.exit_code == 0
    assert "written with its shared parts named" in result.stdout and "t1 = " in result.stdout
    assert len(result.stdout) < 100_000


@pytest.mark.parametrize("args, code, fragment", [
    (["diff", "y = x^2", "--wrt", "z"], 2, "no name 'z'"),
    (["diff", "y = x^2", "--at", "x"], 2, "NAME=VALUE"),
    (["diff", "y = log(x)", "--at", "x=-1"], 0, "= -1"),
    (["diff", "y = sqrt(x)", "--at", "x=0"], 3, "divides by zero"),
    (["diff", "y = a*b", "--at", "a=1"], 2, "missing value for b"),
    (["diff", "y = 3"], 2, "no inputs"),
    (["hessian", "f = x*y", "--x", "1"], 2, "missing value for input y"),
    (["hessian", "f = 3"], 2, "no inputs"),
    (["hessian", "f = x*y", "--x", "1", "--y", "2", "--wrt", "q"], 2, "no name 'q'"),
])
def test_errors(args, code, fragment):
    result = run(*args)
    assert result.exit_code == code, result.output
    assert fragment in (result.stderr if code else result.stdout)
    assert "Traceback" not in result.stderr


def test_hessian_cli():
    result = run("hessian", "f = x^2*y + y^3", "--x", "1", "--y", "2", "--json")
    assert json.loads(result.stdout) == {"$schema": "https://cgrad.dev/schemas/hessian-1.json",
                                         "version": cgrad_cli.__version__, "output": "f", "output_node": 7,
                                         "wrt": ["x", "y"], "at": {"x": 1.0, "y": 2.0},
                                         "hessian": [[4.0, 2.0], [2.0, 12.0]], "warnings": [],
                                         "source": "f = x^2*y + y^3"}
    table = run("hessian", "f = x^2*y + y^3", "--x", "1", "--y", "2").stdout
    assert "∂²f/∂row∂column at x = 1, y = 2" in table and "12" in table


def test_a_derivative_that_vanishes_identically_is_zero_everywhere():
    """Regression: once the N-th derivative no longer mentions the input, the next pass lost it
    (`--wrt: the program has no name 'c'`); every further derivative is 0, at any point."""
    for program, name, order, point in [("e = c^5", "c", 6, {"c": 1.5}), ("e = x^3 + x", "x", 4, {"x": -2.0}),
                                        ("e = x^0.0", "x", 2, {"x": 2.0}), ("e = c^5*d", "d", 3, {"c": 1.5, "d": 2.0})]:
        d = differentiate(parse(program), [name], order, point=point)
        assert d.values == {name: 0.0}, program
    assert differentiate(parse("e = c^5"), ["c"], 5, point={"c": 1.5}).values == {"c": 120.0}
    out = run("diff", "e = c^5", "--order", "6", "--at", "c=1.5")
    assert out.exit_code == 0 and out.stdout == "∂⁶e/∂c⁶ = 0\n"  # a constant is not said twice


def test_a_tensor_to_the_power_zero_keeps_its_shape():
    """Regression (found by the fuzz test): u^0 of a vector simplified to the number 1, and softmax(1)
    then failed its shape rule inside diff (exit 70); it is ones(2), so softmax's Jacobian is zero."""
    for order in ("1", "2"):
        out = run("diff", "s0 = softmax((x + [1, 2])^0); y = s0", "--x", "1", "--order", order)
        assert out.exit_code == 0 and "zeros(2)" in out.stdout, out.output
    out = run("diff", "y = sum((x + [1, 2])^0 * x)", "--x", "1")
    assert out.exit_code == 0 and out.stdout == "∂y/∂x = 2\n", out.output
