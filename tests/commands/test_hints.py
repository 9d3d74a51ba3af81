"""Typos and slips that lead somewhere: each message is right, and its hint says what to type."""
import json

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), prog_name="cgrad")


@pytest.mark.parametrize("args, message, hint", [
    (["evl", "y = x", "--x", "1"], "unknown command 'evl'", "did you mean eval?"),
    (["eval", "y = x^2", "--x", "3", "--jsno", "1"], "unknown option --jsno", "did you mean --json?"),
    (["eval", "y = x^2", "--x", "3", "--jsno"], "unknown option --jsno", "did you mean --json?"),
    (["eval", "y = e^x", "--x", "1"], "missing value for input e", "not Euler's number: for e^x write exp(x)"),
    (["eval", "y = W*x", "--W", "[[1, 2], [3, 4], [5, 6]]", "--x", "[1, 2, 3]"], "shapes do not fit in mul",
     "for the matrix product write W @ x"),
    (["eval", "y = log(x, 2)", "--x", "3"], "log() takes 1 argument, got 2", "log(x, 2) is log(x)/log(2), or log2(x)"),
    (["eval", "y = x.^2", "--x", "3"], "unexpected '^'", "write ^ instead of .^"),
    (["check", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "--expect", "dedb=5"], "the program has no name 'dedb'",
     "written with a slash: de/db"),
])
def test_hint(args, message, hint):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "hint: " in result.stderr and hint in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "Usage:" not in result.stderr


def test_unknown_command_in_json():
    result = run("evl", "--json")
    error = json.loads(result.stderr.splitlines()[-1])["error"]
    assert error["message"] == "unknown command 'evl'" and error["exit_code"] == 2


def test_an_input_that_is_no_slip_is_still_an_input():
    result = run("eval", "y = json*2", "--json", "1")  # --json is the option: the input needs --set
    assert result.exit_code == 2 and "--set NAME=VALUE" in result.stderr
    assert run("eval", "y = jsno*2", "--jsno", "1").exit_code == 0  # a real input named like an option


def test_unquoted_answer_file_key_and_formula(tmp_path):
    for text, hint in [('dE/dw = 2\n', 'quote it: "dE/dw" = 2'), ('"dE/dw" = y*2\n', 'quote it: "dE/dw" = "y*2"')]:
        answers = tmp_path / "a.toml"
        answers.write_text(text)
        result = run("check", "examples/hw1.toml", "--answers", str(answers))
        assert "not valid TOML" in result.stderr and hint in result.stderr, result.stderr


def test_an_inputs_file_for_a_whole_assignment(tmp_path):
    inputs = tmp_path / "inputs.json"
    inputs.write_text('{"x": 3, "w": 0.5, "unused": 1}')
    result = run("eval", "y = x^2", "--inputs", str(inputs), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["gradients"] == {"x": 6}
    assert result.stderr.startswith("note: ") and "(w, unused)" in result.stderr and "left out" in result.stderr
    typed = run("eval", "y = x^2", "--inputs", str(inputs), "--z", "1")  # on the command line: still an error
    assert typed.exit_code == 2 and "the program has no input 'z'" in typed.stderr
