"""--const NAME=VALUE: an input made a constant, for every command that takes inputs."""
import json

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli

PROGRAM = "L = (w*x - y)^2 + lam*w^2"
POINT = ["--w", "0.5", "--x", "2", "--y", "1"]


def run(*args):
    return CliRunner().invoke(cli, list(args), prog_name="cgrad")


def test_a_constant_takes_its_value_and_gets_no_gradient():
    r = run("eval", PROGRAM, *POINT, "--const", "lam=0.1", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["value"] == pytest.approx((0.5 * 2 - 1) ** 2 + 0.1 * 0.25)
    assert set(doc["gradients"]) == {"w", "x", "y"}
    assert doc["gradients"]["w"] == pytest.approx(2 * 2 * (0.5 * 2 - 1) + 2 * 0.1 * 0.5)


def test_the_text_view_lists_constants_apart():
    r = run("eval", PROGRAM, *POINT, "--const", "lam=0.1")
    assert r.exit_code == 0
    assert "lam (const)" in r.output


@pytest.mark.parametrize("command", [["gradcheck"], ["jacobian"], ["trace"], ["explain"], ["diff", "--wrt", "w"],
                                     ["hessian"], ["graph", "--format", "dot"]])
def test_every_command_that_takes_inputs_takes_constants(command):
    r = run(*command, PROGRAM, *POINT, "--const", "lam=0.1")
    assert r.exit_code == 0, r.output


def test_a_constant_array_and_a_tensor_program():
    r = run("eval", "L = sum((W @ x - y)^2) + lam*sum(W^2)", "--W", "[[1, 2], [3, 4]]", "--x", "[1, 1]",
            "--y", "[0, 1]", "--const", "lam=0.05", "--json")
    doc = json.loads(r.output)
    assert sum(doc["gradients"]["W"], []) == pytest.approx([6.1, 6.2, 12.3, 12.4])
    r = run("eval", "sum(A @ x)", "--x", "[1, 2]", "--const", "A=[[1, 0], [0, 2]]", "--json")
    assert json.loads(r.output)["gradients"] == {"x": [1.0, 2.0]}


@pytest.mark.parametrize("args, message", [
    (["--const", "lam=0.1", "--lam", "2"], "given both as an input and as a constant"),
    (["--const", "mu=0.1"], "'mu' is not a name of the program"),
    (["--const", "lam"], "--const expects NAME=VALUE"),
    (["--const", "lam=0.1", "--wrt", "lam"], "'lam' is a constant (--const)"),
])
def test_bad_constants(args, message):
    r = run("eval", PROGRAM, *POINT, *args)
    assert r.exit_code == 2 and message in r.output


def test_eval_json_lists_constants_apart_from_the_inputs():
    doc = json.loads(run("eval", PROGRAM, *POINT, "--const", "lam=0.1", "--json").output)
    assert doc["inputs"] == {"w": 0.5, "x": 2, "y": 1} and doc["constants"] == {"lam": 0.1}
    assert json.loads(run("eval", PROGRAM, *POINT, "--lam", "0.1", "--json").output)["constants"] == {}


def test_diff_writes_a_constant_by_its_name_and_says_its_value_once():
    r = run("diff", PROGRAM, *POINT, "--const", "lam=0.05", "--wrt", "w")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["∂L/∂w = 2*w*lam + 2*x*(w*x - y) = 0.05", "with lam = 0.05 (a constant)"]
    r = run("diff", PROGRAM, "--const", "lam=0.05", "--wrt", "w", "--order", "2", "--json")
    doc = json.loads(r.stdout)
    assert doc["constants"] == {"lam": 0.05} and doc["derivatives"]["w"]["text"] == "2*lam + 2*x^2"
    assert run("diff", PROGRAM, *POINT, "--const", "lam=0.05", "--wrt", "w", "--latex").stdout.splitlines()[-1] == \
        "% with lam = 0.05 (a constant)"


def test_a_constant_in_a_tensor_programs_formula_and_hessians():
    source = "L = sum((X @ w - y)^2) + lam*dot(w, w)"
    point = ["--X", "[[1, 2], [3, 4]]", "--y", "[1, 0]", "--w", "[0.5, 1]", "--const", "lam=0.05"]
    r = run("diff", source, *point, "--wrt", "w", "--order", "2")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["∂²L/∂w² = 2*lam*eye(2) + 2*(X.T @ X)", "  = [[20.1, 28], [28, 40.1]]",
                                     "with lam = 0.05 (a constant)"]
    for args in ([source, *point, "--wrt", "w"], [PROGRAM, *POINT, "--const", "lam=0.05"]):
        r = run("hessian", *args)
        assert r.exit_code == 0, r.output
    assert "20.1" in run("hessian", source, *point, "--wrt", "w").stdout
    assert "2.1" in run("hessian", PROGRAM, "--w", "1", "--x", "1", "--y", "2", "--const", "lam=0.05").stdout
