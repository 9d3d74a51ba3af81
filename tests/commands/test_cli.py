"""The `cgrad` command line: through click's CliRunner, and as real processes
(the installed console script and `python -m cgrad_cli`).

Every user error must end as one message on stderr (plus a JSON error object
there with --json), nothing on stdout, a documented exit code (2 usage/syntax/
name/input, 3 math) and no Python traceback unless --debug is given.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli.cli import COMMANDS, SUMMARIES, cli

SCHEMAS = Path(cgrad_cli.__file__).parent / "schemas"
EVAL = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "eval.schema.json").read_text(encoding="utf-8")))
ERROR = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "error.schema.json").read_text(encoding="utf-8")))

LECTURE = "e=(a+b)*(b+1)"
CGRAD = Path(sys.executable).parent / ("cgrad.exe" if os.name == "nt" else "cgrad")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --- helpers ----------------------------------------------------------------------------------------------

def invoke(*args, input=None, env=None):
    """`cgrad ARGS` in-process; result.stdout and result.stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(cli, list(args), input=input, env=env, prog_name="cgrad")


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    env.update(PYTHONIOENCODING="utf-8", **extra)
    return env


def run(*args, input=None, env=None, module=False, timeout=60):
    """`cgrad ARGS` as a real process: the console script, or `python -m cgrad_cli`."""
    command = [sys.executable, "-m", "cgrad_cli"] if module else [str(CGRAD)]
    return subprocess.run(command + list(args), input=input, capture_output=True, text=True, encoding="utf-8",
                          env=env or _env(), timeout=timeout)


def as_json(result) -> dict:
    assert result.stderr == "" or result.stderr.startswith("warning: "), result.stderr
    doc = json.loads(result.stdout)
    EVAL.validate(doc)
    return doc


def json_error(stderr: str) -> dict:
    """The JSON error object: the last line of stderr, valid against error.schema.json."""
    doc = json.loads(stderr.rstrip("\n").splitlines()[-1])
    ERROR.validate(doc)
    return doc["error"]


def assert_fails(result, code, *fragments):
    """A clean failure: the exit code, nothing on stdout, the fragments on stderr, no traceback."""
    stdout = result.stdout
    stderr = result.stderr
    assert (result.exit_code if hasattr(result, "exit_code") else result.returncode) == code, stderr
    assert stdout == "", stdout
    assert "Traceback" not in stderr, stderr
    if hasattr(result, "exception") and result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} not in stderr:\n{stderr}"
    return stderr


needs_cgrad = pytest.mark.skipif(not CGRAD.exists(), reason=f"console script {CGRAD} not installed")


# --- the program: argument, file, stdin -------------------------------------------------------------------

def test_program_as_argument_draws_the_tree():
    result = invoke("eval", LECTURE, "--a", "2", "--b", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "(a+b)*(b+1)" in out and "mul" in out
    # the table of inputs: name, value, ∂e/∂input, paths
    assert re.search(r"^a\s+2\s+2\s+1\s*$", out, re.M), out
    assert re.search(r"^b\s+1\s+5\s+2\s*$", out, re.M), out


def test_program_as_argument_json():
    doc = as_json(invoke("eval", LECTURE, "--a", "2", "--b", "1", "--json"))
    assert (doc["value"], doc["gradients"], doc["paths"]) == (6, {"a": 2, "b": 5}, {"a": 1, "b": 2})


def test_program_from_file(tmp_path):
    program = tmp_path / "lecture.cg"
    program.write_text("# the lecture, one node a line\nc = a + b\nd = b + 1\ne = c*d\n", encoding="utf-8")
    doc = as_json(invoke("eval", "-f", str(program), "--a", "2", "--b", "1", "--json"))
    assert doc["output"] == "e" and doc["value"] == 6 and doc["gradients"] == {"a": 2, "b": 5}
    doc = as_json(invoke("eval", "--file", str(program), "--a=2", "--b=1", "--json"))
    assert doc["gradients"] == {"a": 2, "b": 5}


def test_program_file_missing_or_clashing(tmp_path):
    assert_fails(invoke("eval", "-f", str(tmp_path / "nope.cg")), 2, "cannot read program file", "nope.cg")
    program = tmp_path / "p.cg"
    program.write_text("y = x", encoding="utf-8")
    assert_fails(invoke("eval", "y = x", "-f", str(program), "--x", "1"), 2, "not both")
    latin1 = tmp_path / "latin1.cg"
    latin1.write_bytes("y = x # caf\xe9".encode("latin-1"))
    assert_fails(invoke("eval", "-f", str(latin1), "--x", "1"), 2, "not UTF-8")


@pytest.mark.parametrize("args", [["-"], ["-f", "-"]], ids=["dash", "f-dash"])
def test_program_from_stdin(args):
    doc = as_json(invoke("eval", *args, "--a", "2", "--b", "1", "--json", input="c = a + b\nd = b + 1\ne = c*d\n"))
    assert doc["value"] == 6 and doc["gradients"] == {"a": 2, "b": 5}


def test_no_program_and_empty_program():
    assert_fails(invoke("eval"), 2, "no program given", "hint: ")
    assert_fails(invoke("eval", "-", input=""), 2, "the program is empty")


# --- inputs -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, a, b", [
    (["--a", "2", "--b", "1"], 2, 1),
    (["--a=2", "--b=1"], 2, 1),
    (["--a", "-1", "--b", "1"], -1, 1),
    (["--a=-1", "--b", "-2.5"], -1, -2.5),
    (["--a", "-1e-3", "--b", "1E2"], -0.001, 100),
    (["--b", "1", "--a", "2"], 2, 1),
    (["--a", "2", "--a", "3", "--b", "1"], 3, 1),  # the last one wins
])
def test_input_values(args, a, b):
    doc = as_json(invoke("eval", LECTURE, *args, "--json"))
    assert doc["inputs"] == {"a": a, "b": b}
    assert doc["value"] == (a + b) * (b + 1)
    assert doc["gradients"] == {"a": b + 1, "b": a + 2 * b + 1}


def test_inputs_before_the_program():
    doc = as_json(invoke("eval", "--a", "2", "--b", "1", LECTURE, "--json"))
    assert doc["value"] == 6


def test_set_gives_inputs_whose_names_clash_with_options():
    doc = as_json(invoke("eval", "y = json*2 + output", "--set", "json=3", "--set", "output=1", "--json"))
    assert doc["inputs"] == {"json": 3, "output": 1} and doc["value"] == 7
    assert doc["gradients"] == {"json": 2, "output": 1}
    doc = as_json(invoke("eval", "y = a*b", "--set", "a=-2", "--b", "3", "--json"))
    assert doc["inputs"] == {"a": -2, "b": 3}


@pytest.mark.parametrize("item", ["json", "=3", "json=", "json=abc"])
def test_set_malformed(item):
    assert_fails(invoke("eval", "y = json*2", "--set", item), 2, "error: ")


def test_inputs_from_json_file(tmp_path):
    path = tmp_path / "inputs.json"
    path.write_text('{"a": 2, "b": 1.0}', encoding="utf-8")
    doc = as_json(invoke("eval", LECTURE, "--inputs", str(path), "--json"))
    assert doc["inputs"] == {"a": 2, "b": 1} and doc["gradients"] == {"a": 2, "b": 5}
    # a value on the command line overrides the file's
    doc = as_json(invoke("eval", LECTURE, "--inputs", str(path), "--b", "3", "--json"))
    assert doc["inputs"] == {"a": 2, "b": 3}


def test_inputs_from_stdin():
    doc = as_json(invoke("eval", LECTURE, "--inputs", "-", "--json", input='{"a": 2, "b": 1}'))
    assert doc["gradients"] == {"a": 2, "b": 5}


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "not valid JSON"),
    ("[2, 1]", "must hold a JSON object"),
    ('{"a": "2", "b": 1}', "must be a number"),
    ('{"a": true, "b": 1}', "must be a number"),
    ('{"a": 2}', "missing value for input b"),
])
def test_inputs_file_errors(tmp_path, text, fragment):
    path = tmp_path / "inputs.json"
    path.write_text(text, encoding="utf-8")
    assert_fails(invoke("eval", LECTURE, "--inputs", str(path)), 2, fragment)
    assert json_error(assert_fails(invoke("eval", LECTURE, "--inputs", str(path), "--json"), 2))["kind"] == "input"


def test_program_and_inputs_cannot_both_come_from_stdin():
    assert_fails(invoke("eval", "-", "--inputs", "-", input="y = x"), 2, "both come from stdin")


@pytest.mark.parametrize("args, fragment", [
    (["--x"], "--x needs a value"),
    (["--x", "abc"], "must be a number, not 'abc'"),
    (["--x", "nan"], "finite number"),
    (["--x", "inf"], "finite number"),
    (["-x", "1"], "unknown option -x"),
])
def test_bad_input_values(args, fragment):
    assert_fails(invoke("eval", "y = x", *args), 2, "error: ", fragment)
    assert json_error(assert_fails(invoke("eval", "y = x", *args, "--json"), 2))["kind"] == "input"


def test_missing_input_is_named():
    stderr = assert_fails(invoke("eval", LECTURE, "--a", "2"), 2, "missing value for input b", "--b VALUE")
    assert stderr.startswith("error: ")
    assert_fails(invoke("eval", LECTURE), 2, "missing values for inputs a, b")
    err = json_error(assert_fails(invoke("eval", LECTURE, "--a", "2", "--json"), 2))
    assert err["kind"] == "input" and err["missing"] == ["b"]


def test_unknown_input_suggests_the_right_one():
    stderr = assert_fails(invoke("eval", "y = alpha*2", "--alpah", "1"), 2, "no input 'alpah'",
                          "did you mean 'alpha'?")
    err = json_error(assert_fails(invoke("eval", "y = alpha*2", "--alpah", "1", "--json"), 2))
    assert err["unknown"] == ["alpah"] and err["hint"] == "did you mean 'alpha'?"
    assert stderr.count("error: ") == 1


def test_assigned_name_cannot_be_an_input():
    assert_fails(invoke("eval", "c = a + b; e = c*2", "--a", "1", "--b", "1", "--c", "3"), 2,
                 "'c' is assigned in the program")


# --- --wrt and --output -----------------------------------------------------------------------------------

PROGRAM = "c = a + b; d = b + 1; e = c*d"


def test_wrt_restricts_gradients():
    doc = as_json(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--wrt", "b", "--json"))
    assert doc["gradients"] == {"b": 5}
    doc = as_json(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--wrt", "a, c,d", "--json"))
    assert doc["gradients"] == {"a": 2, "c": 2, "d": 3}
    tree = invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--wrt", "b")
    assert tree.exit_code == 0 and tree.stderr == ""


def test_wrt_unknown_name():
    assert_fails(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--wrt", "bb"), 2, "--wrt", "'bb'",
                 "did you mean 'b'?")
    assert_fails(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--wrt", "a,zzz"), 2, "'zzz'",
                 "names in the program: a, b, c, d, e")
    err = json_error(assert_fails(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--wrt", "q", "--json"), 2))
    assert err["kind"] == "name"


WRT_COMMANDS = ["eval", "trace", "gradcheck", "hessian", "explain", "diff", "graph", "jacobian"]


@pytest.mark.parametrize("command", WRT_COMMANDS)
def test_one_message_for_each_wrt_and_output_mistake(command):
    """Every command resolves --wrt and --output names the same way, so a mistake reads the same."""
    point = ["--a", "2", "--b", "1"]
    stderr = assert_fails(invoke(command, PROGRAM, *point, "--wrt", "bb"), 2)
    assert stderr == "error: --wrt: the program has no name 'bb'\nhint: did you mean 'b'?\n"
    stderr = assert_fails(invoke(command, PROGRAM, *point, "--output", "q"), 2)
    assert stderr == "error: --output: the program has no name 'q'\nhint: names in the program: a, b, c, d, e\n"
    if command != "diff":  # diff differentiates a formula: a constant name simply gets 0
        stderr = assert_fails(invoke(command, "k = 3; e = k*a", "--a", "2", "--wrt", "k"), 2)
        assert stderr.startswith("error: --wrt: 'k' " + ("is assigned in the program, not an input; "
                                 f"cgrad {command} works with respect to inputs only\n"
                                 if command in ("gradcheck", "hessian") else "depends on no input"))
    if command in ("gradcheck", "hessian"):
        assert_fails(invoke(command, PROGRAM, *point, "--wrt", "c"), 2,
                     f"error: --wrt: 'c' is assigned in the program, not an input; cgrad {command} works with "
                     "respect to inputs only\nhint: the program's inputs are a, b\n")


def test_output_picks_another_statement():
    doc = as_json(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--output", "c", "--json"))
    assert doc["output"] == "c" and doc["value"] == 3 and doc["gradients"] == {"a": 1, "b": 1}
    doc = as_json(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--output", "d", "--json"))
    assert doc["value"] == 2 and doc["gradients"] == {"a": 0, "b": 1} and doc["paths"] == {"a": 0, "b": 1}
    tree = invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--output", "d")
    assert tree.exit_code == 0 and "∂d/∂" in tree.stdout


def test_output_unknown_name_suggests():
    stderr = assert_fails(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--output", "dd"), 2, "'dd'",
                          "did you mean 'd'?")
    assert "Traceback" not in stderr
    err = json_error(assert_fails(invoke("eval", PROGRAM, "--a", "2", "--b", "1", "--output", "dd", "--json"),
                                  2))
    assert err["kind"] == "name" and err["hint"] == "did you mean 'd'?"


# --- syntax errors ----------------------------------------------------------------------------------------

def _caret_column(stderr: str) -> tuple[str, int]:
    """The quoted source line and the 1-based column the caret points at."""
    lines = stderr.splitlines()
    k = next(i for i, line in enumerate(lines) if line.strip() and set(line.strip()) == {"^"})
    return lines[k - 1], lines[k].index("^") - 2 + 1


def test_syntax_error_shows_line_and_caret():
    program = "c = a + b\nd = c * * 2"
    stderr = assert_fails(invoke("eval", program, "--a", "1", "--b", "2"), 2,
                          "error: line 2, column 9: unexpected '*'", "  d = c * * 2")
    shown, column = _caret_column(stderr)
    assert shown == "  d = c * * 2" and column == 9 and shown[2 + column - 1] == "*"
    err = json_error(assert_fails(invoke("eval", program, "--json"), 2))
    assert (err["kind"], err["line"], err["column"], err["span"]) == ("syntax", 2, 9, [18, 19])


@pytest.mark.parametrize("program, line, column", [
    ("y = (a+b", 1, 9),
    ("y = a +* b", 1, 8),
    ("y = a $ b", 1, 7),
    ("y = {1, 2}", 1, 5),
    ("y = x!", 1, 6),
    ("\n\n  y = = 2", 3, 7),
])
def test_syntax_errors(program, line, column):
    stderr = assert_fails(invoke("eval", program, "--a", "1"), 2, f"error: line {line}, column {column}: ")
    shown, caret = _caret_column(stderr)
    assert caret == column
    assert program.splitlines()[line - 1].strip() in shown
    err = json_error(assert_fails(invoke("eval", program, "--json"), 2))
    assert err["kind"] == "syntax" and (err["line"], err["column"]) == (line, column)


@pytest.mark.parametrize("program, hint", [
    ("y = 2x", "write 2*x"),
    ("y = 2(a+b)", "write 2*("),
    ("y = (a)(b)", "write )*("),
])
def test_implicit_multiplication_hint(program, hint):
    stderr = assert_fails(invoke("eval", program, "--x", "1"), 2, "hint: cgrad has no implicit multiplication",
                          hint)
    err = json_error(assert_fails(invoke("eval", program, "--x", "1", "--json"), 2))
    assert hint in err["hint"]
    assert stderr.splitlines()[-1].startswith("hint: ")


@pytest.mark.parametrize("program, fragment", [
    ("y = foo(x)", "unknown function 'foo'"),
    ("y = sinn(x)", "did you mean 'sin'?"),
    ("y = sin(x, x)", "sin() takes 1 argument, got 2"),
    ("y = sin + x", "'sin' is a function"),
    ("y = x; y = 2*x", "'y' is assigned twice"),
    ("y = x; x = 2", "already used as an input"),
    ("pi = 3", "built-in constant"),
])
def test_name_errors(program, fragment):
    assert_fails(invoke("eval", program, "--x", "1"), 2, fragment)
    assert json_error(assert_fails(invoke("eval", program, "--x", "1", "--json"), 2))["kind"] == "name"


# --- math domain errors -----------------------------------------------------------------------------------

MATH = [
    # program, inputs, what the message names (the node's source text and the offending value)
    ("y = log(-1)", [], ["log", "log(-1)"]),
    ("y = log(x)", ["--x", "-1"], ["log", "log(x)", "x = -1"]),
    ("y = sqrt(-4)", [], ["sqrt", "sqrt(-4)"]),
    ("y = sqrt(x - 5)", ["--x", "1"], ["sqrt", "sqrt(x - 5)", "x - 5 = -4"]),
    ("y = 1/0", [], ["divides by zero", "1/0"]),
    ("y = x/(x - 1)", ["--x", "1"], ["divides by zero", "x/(x - 1)", "x - 1 = 0"]),
    ("y = 0^-1", [], ["pow", "0^-1"]),
    ("y = x^-1", ["--x", "0"], ["pow", "x^-1", "x = 0"]),
    ("y = asin(2)", [], ["asin", "asin(2)"]),
    ("y = asin(x)", ["--x", "2"], ["asin", "asin(x)", "x = 2"]),
    ("y = exp(1000)", [], ["exp overflows", "exp(1000)"]),
    ("y = exp(x)", ["--x", "1000"], ["exp overflows", "exp(x)", "x = 1000"]),
    ("y = 9^9^9^9", [], ["pow overflows", "9^9^9", "9^9 = 387420489"]),
    ("y = x*1e200*1e200", ["--x", "1"], ["overflows", "x*1e200*1e200"]),
    ("y = 1e999 + x", ["--x", "1"], ["1e999", "too large"]),
    ("y = 1/x", ["--x", "1e-200"], ["gradient overflows"]),
]


@pytest.mark.parametrize("program, inputs, fragments", MATH, ids=[m[0] for m in MATH])
def test_math_domain_errors(program, inputs, fragments):
    stderr = assert_fails(invoke("eval", program, *inputs), 3, "error: line 1, column ", *fragments)
    _caret_column(stderr)
    err = json_error(assert_fails(invoke("eval", program, *inputs, "--json"), 3, *fragments))
    assert err["kind"] == "math" and err["exit_code"] == 3
    assert all(f in err["message"] for f in fragments)


def test_math_error_json_names_node_and_values():
    err = json_error(assert_fails(invoke("eval", "y = 2*log(x)", "--x", "-1", "--json"), 3))
    assert err["op"] == "log" and err["arguments"] == [{"text": "x", "value": -1}]
    assert "y = 2*log(x)"[err["span"][0]:err["span"][1]] == "log(x)"


@needs_cgrad
def test_tower_of_powers_answers_at_once():
    proc = run("eval", "y = 9^9^9^9", "--json", timeout=10)
    assert proc.returncode == 3 and proc.stdout == ""
    assert json_error(proc.stderr)["kind"] == "math"


def test_overflow_inside_an_argument_is_a_clean_math_error():
    """x*1e200*1e200 overflows to inf without raising and sin(inf) then fails: the error must blame the
    overflow where it happened (and hold only finite values, which JSON can carry), not sin."""
    program = "y = sin(x*1e200*1e200)"
    result = invoke("eval", program, "--x", "1", "--json")
    assert_fails(result, 3)
    err = json_error(result.stderr)
    assert err["kind"] == "math"
    assert "overflows" in err["message"] and "x*1e200*1e200" in err["message"]


# --- --json errors: always a JSON object on stderr, never anything on stdout -------------------------------

ERRORS = [
    (["eval"], 2, "input"),
    (["eval", LECTURE, "--a", "2"], 2, "input"),
    (["eval", LECTURE, "--a", "2", "--b", "1", "--c", "3"], 2, "input"),
    (["eval", "y = 2x", "--x", "1"], 2, "syntax"),
    (["eval", "y = foo(x)", "--x", "1"], 2, "name"),
    (["eval", LECTURE, "--a", "2", "--b", "1", "--wrt", "zz"], 2, "name"),
    (["eval", LECTURE, "--a", "2", "--b", "1", "--output", "ee"], 2, "name"),
    (["eval", "y = log(x)", "--x", "0"], 3, "math"),
    (["eval", "y = x", "--x", "1", "--depth", "0"], 2, "usage"),
    (["eval", "y = x", "--x", "1", "--depth", "deep"], 2, "usage"),
    (["evl", "y = x"], 2, "usage"),
]


@pytest.mark.parametrize("args, code, kind", ERRORS, ids=[" ".join(a) for a, _, _ in ERRORS])
def test_json_error_object_on_stderr(args, code, kind):
    stderr = assert_fails(invoke(*args, "--json"), code)
    err = json_error(stderr)
    assert err["kind"] == kind and err["exit_code"] == code
    human = stderr.rstrip("\n").splitlines()[:-1]
    assert human and err["message"] in "\n".join(human)  # the human message comes first


@needs_cgrad
@pytest.mark.parametrize("args, code, kind", ERRORS[:8], ids=[" ".join(a) for a, _, _ in ERRORS[:8]])
def test_json_error_object_real_process(args, code, kind):
    proc = run(*args, "--json")
    assert proc.returncode == code and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert json_error(proc.stderr)["kind"] == kind


def test_internal_error_is_reported_as_a_bug(monkeypatch):
    import cgrad_cli.core.autodiff

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cgrad_cli.core.autodiff, "evaluate", broken)
    stderr = assert_fails(invoke("eval", "y = x", "--x", "1"), 70, "internal error: RuntimeError: boom",
                          "please report")
    err = json_error(assert_fails(invoke("eval", "y = x", "--x", "1", "--json"), 70))
    assert err == {"kind": "internal", "message": "boom", "exit_code": 70}
    debug = invoke("eval", "y = x", "--x", "1", "--debug")
    assert debug.exit_code == 70 and "Traceback" in debug.stderr and "RuntimeError: boom" in debug.stderr
    assert "Traceback" not in stderr


# --- --debug ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, code", [
    (["y = log(x)", "--x", "-1"], 3),
    (["y = 2x", "--x", "1"], 2),
    (["y = x", "--x", "abc"], 2),
])
def test_debug_shows_a_traceback(args, code):
    result = invoke("eval", *args, "--debug")
    assert result.exit_code == code
    assert "Traceback (most recent call last)" in result.stderr
    assert "error: " in result.stderr and result.stdout == ""


@needs_cgrad
def test_debug_real_process():
    proc = run("eval", "y = log(x)", "--x", "-1", "--debug")
    assert proc.returncode == 3 and "Traceback" in proc.stderr and "MathDomainError" in proc.stderr
    plain = run("eval", "y = log(x)", "--x", "-1")
    assert plain.returncode == 3 and "Traceback" not in plain.stderr


# --- help -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["-h"], ["eval", "--help"], ["eval", "-h"]])
def test_help_mentions_an_example_and_the_exit_codes(args):
    result = invoke(*args)
    assert result.exit_code == 0 and result.stderr == ""
    text = result.stdout
    assert 'cgrad eval "e=(a+b)*(b+1)" --a 2 --b 1' in text
    assert "Exit codes:" in text
    for code, meaning in [("0", "success"), ("2", "usage"), ("3", "math domain error"), ("70", "internal error")]:
        assert re.search(rf"^\s*{code}\s+{meaning}", text, re.M), (code, text)


def test_eval_help_lists_the_options():
    text = invoke("eval", "--help").stdout
    for option in ("-f, --file", "--set", "--inputs", "--wrt", "--output", "--json", "--depth", "--debug"):
        assert option in text


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and cgrad_cli.__version__ in result.stdout


def test_the_command_list_says_what_each_command_says_of_itself():
    """`cgrad --help` lists the commands from a table, so as not to import them: it must stay their own words."""
    ctx = click.Context(cli)
    assert {name: cli.get_command(ctx, name).get_short_help_str(limit=300) for name in COMMANDS} == SUMMARIES


def imported_by(*args, code=0) -> set:
    """The modules a real `cgrad ARGS` process has imported when it exits (sys.modules: `-X importtime` misses
    what importlib.import_module loads)."""
    probe = ("import atexit, sys; atexit.register(lambda: print(*sys.modules, file=sys.stderr)); "
             "from cgrad_cli.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, encoding="utf-8",
                            env=_env(), timeout=60)
    assert result.returncode == code, result.stderr
    return set(result.stderr.split("\n")[-2].split())


def packages(modules: set) -> set:
    return {name.partition(".")[0] for name in modules}


def test_a_scalar_json_answer_imports_neither_click_nor_rich_nor_numpy_nor_orjson():
    modules = imported_by("eval", LECTURE, "--a", "2", "--b", "1", "--json")
    assert "cgrad_cli.core.parsing" in modules  # the listing works: the program was parsed
    assert not packages(modules) & {"click", "rich", "numpy", "orjson"}
    assert "difflib" not in modules  # no option lookup failed on --a (click's suggestions import difflib)


def test_the_tree_imports_no_click_and_a_mistake_goes_to_click():
    assert "click" not in packages(imported_by("eval", LECTURE, "--a", "2", "--b", "1"))
    assert "click" in packages(imported_by("eval", LECTURE, "--a", "2", "--b", "1", "--depth", "deep", code=2))


def test_the_same_errors_without_click():
    """A run read without click reports its errors through the same funnel: message, JSON, exit code."""
    for args, code in [(["y = log(x)", "--x", "-1"], 3), (["y = x", "--x", "abc"], 2), (["y = 2x", "--x", "1"], 2),
                       (["y = x", "--jsno", "1"], 2)]:
        direct, through_click = run("eval", *args, "--json"), invoke("eval", *args, "--json")
        assert (direct.returncode, direct.stdout, direct.stderr) == \
            (through_click.exit_code, through_click.stdout, through_click.stderr) == (code, "", direct.stderr)
        assert "click" not in packages(imported_by("eval", *args, code=code))


@pytest.mark.parametrize("args", [["--help"], ["eval", "--help"], ["check", "-h"]])
def test_help_imports_neither_click_nor_the_commands_nor_the_parser(args):
    """Piped (or on a terminal of 80 columns or more) a help is the stored text (commands/_help.py)."""
    modules = imported_by(*args)
    assert not {name for name in modules if name.startswith(("cgrad_cli.core.", "cgrad_cli.render."))} \
        - {"cgrad_cli.core.budget"}
    assert not {name for name in modules if name.startswith("cgrad_cli.commands.")} - \
        {f"cgrad_cli.commands.{shared}" for shared in ("common", "spec", "report", "_help")}
    assert not packages(modules) & {"click", "rich", "numpy", "orjson"}


# --- real processes: the console script and python -m -------------------------------------------------------

@needs_cgrad
@pytest.mark.parametrize("module", [False, True], ids=["console-script", "python-m"])
def test_real_process(module, tmp_path):
    proc = run("eval", LECTURE, "--a", "2", "--b", "1", module=module)
    assert proc.returncode == 0 and proc.stderr == ""
    assert re.search(r"^b\s+1\s+5\s+2\s*$", proc.stdout, re.M), proc.stdout
    proc = run("eval", LECTURE, "--a", "2", "--b", "1", "--json", module=module)
    doc = json.loads(proc.stdout)
    EVAL.validate(doc)
    assert doc["gradients"] == {"a": 2, "b": 5}
    inputs = tmp_path / "inputs.json"
    inputs.write_text('{"a": 2, "b": 1}', encoding="utf-8")
    proc = run("eval", "-", "--inputs", str(inputs), "--json", input=LECTURE, module=module)
    assert json.loads(proc.stdout)["value"] == 6
    proc = run("--help", module=module)
    assert proc.returncode == 0 and "Usage: cgrad" in proc.stdout
    proc = run("eval", "y = log(x)", "--x", "-1", "--json", module=module)
    assert proc.returncode == 3 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert json_error(proc.stderr)["kind"] == "math"


@needs_cgrad
def test_stdin_real_process():
    proc = run("eval", "-", "--a", "2", "--b", "1", "--json", input="c = a + b\nd = b + 1\ne = c*d\n")
    assert proc.returncode == 0 and json.loads(proc.stdout)["gradients"] == {"a": 2, "b": 5}
    proc = run("eval", LECTURE, "--inputs", "-", "--json", input='{"a": 2, "b": 1}')
    assert proc.returncode == 0 and json.loads(proc.stdout)["gradients"] == {"a": 2, "b": 5}


# --- colour -----------------------------------------------------------------------------------------------

@needs_cgrad
@pytest.mark.parametrize("extra", [{}, {"NO_COLOR": "1"}, {"TERM": "xterm-256color"}], ids=["plain", "NO_COLOR",
                                                                                             "TERM"])
def test_piped_tree_is_plain_text(extra):
    proc = run("eval", LECTURE, "--a", "2", "--b", "1", env=_env(**extra))
    assert proc.returncode == 0
    assert not ANSI.search(proc.stdout), repr(proc.stdout[:200])
    assert "\x1b" not in proc.stdout and "\x1b" not in proc.stderr
    assert re.search(r"^b\s+1\s+5\s+2\s*$", proc.stdout, re.M)


def test_tree_under_clirunner_is_plain_text():
    result = invoke("eval", "y = relu(x)", "--x", "0")
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


def _color_codes(text: str) -> list:
    """The SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107)."""
    codes = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        numbers = [int(p) for p in params.split(";") if p]
        skip = 0
        for n in numbers:
            if skip:
                skip -= 1
                continue
            if n in (38, 48):
                codes.append(n)
                skip = 4  # 38;5;N or 38;2;R;G;B: the rest are arguments
            elif 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
                codes.append(n)
    return codes


def _run_in_pty(env) -> str:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(CGRAD), "eval", LECTURE, "--a", "2", "--b", "1"], stdout=slave,
                                stderr=subprocess.PIPE, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8")


@needs_cgrad
@pytest.mark.skipif(os.name == "nt", reason="needs a POSIX pty")
def test_no_color_on_a_terminal():
    """On a terminal the tree is coloured; NO_COLOR=1 removes the colour (https://no-color.org)."""
    coloured = _run_in_pty(_env(TERM="xterm-256color"))
    assert _color_codes(coloured), repr(coloured[:200])
    plain = _run_in_pty(_env(TERM="xterm-256color", NO_COLOR="1"))
    assert not _color_codes(plain), repr(plain[:300])
    assert re.search(r"^b\s+1\s+5\s+2\s*$", ANSI.sub("", plain).replace("\r", ""), re.M)


# --- kink warnings ----------------------------------------------------------------------------------------

def test_kink_warning_on_stderr_result_on_stdout():
    result = invoke("eval", "y = relu(x)", "--x", "0")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: ") and result.stderr.count("\n") == 1
    assert "relu" in result.stderr and "relu'(0) = 0" in result.stderr
    assert re.search(r"^x\s+0\s+0\s+1\s*$", result.stdout, re.M), result.stdout
    assert "warning" not in result.stdout


def test_kink_warning_with_json():
    result = invoke("eval", "y = relu(x) + abs(z)", "--x", "0", "--z", "0", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    EVAL.validate(doc)
    assert [w["kind"] for w in doc["warnings"]] == ["kink", "kink"]
    lines = result.stderr.splitlines()
    assert [line.removeprefix("warning: ") for line in lines] == [w["message"] for w in doc["warnings"]]
    assert doc["gradients"] == {"x": 0, "z": 0}


def test_no_warning_away_from_the_kink():
    result = invoke("eval", "y = relu(x)", "--x", "0.5", "--json")
    assert result.stderr == "" and json.loads(result.stdout)["warnings"] == []


@needs_cgrad
def test_kink_warning_real_process():
    proc = run("eval", "y = relu(x)", "--x", "0", "--json")
    assert proc.returncode == 0 and proc.stderr.startswith("warning: ")
    assert json.loads(proc.stdout)["warnings"][0]["message"] in proc.stderr


# --- pipes ------------------------------------------------------------------------------------------------

@needs_cgrad
@pytest.mark.skipif(os.name == "nt", reason="POSIX shell pipeline")
def test_reader_leaving_early_is_not_an_error(tmp_path):
    program = tmp_path / "big.cg"
    program.write_text("y = " + "+".join(["x"] * 100_000), encoding="utf-8")
    command = f"'{CGRAD}' eval -f '{program}' --x 1 --json | head -c 10; echo \" rc=${{PIPESTATUS[0]}}\""
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.stdout.startswith('{"$schema"') and proc.stdout.rstrip().endswith("rc=0"), proc.stdout
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


# --- words that start with a minus -------------------------------------------------------------------------

def test_program_from_stdin_may_start_with_minus():
    assert json.loads(invoke("eval", "-", "--x", "3", "--json", input="-x^2").stdout)["value"] == -9


@pytest.mark.parametrize("args, value", [
    (["--x", "3", "--json", "--", "-x^2"], -9.0),
    (["-x^2", "--x", "3", "--json"], -9.0),
    (["-sinh(x)", "--x", "0", "--json"], -0.0),
    (["-softplus(x)", "--x", "0", "--json"], -math.log(2)),
], ids=["double-dash", "-x^2", "-sinh(x)", "-softplus(x)"])
def test_program_argument_starting_with_minus(args, value):
    """A program may start with '-'. Click alone would split "-sinh(x)" into short options (-h: help,
    -f: read a file)."""
    result = invoke("eval", *args)
    assert result.exit_code == 0, result.stdout[:300] + result.stderr
    assert "Usage:" not in result.stdout
    assert json.loads(result.stdout)["value"] == pytest.approx(value)


@pytest.mark.parametrize("args, message", [
    (["--depth", "-1"], "-1 is not in the range"),  # click's own message, about -1 as given
    (["--wrt", "-x"], "the program has no name '-x'"),
    (["--output", "-y"], "'-y'"),
])
def test_an_option_value_starting_with_minus_is_said_as_given(args, message):
    """The value of one of the command's own options is left as it is, however it starts."""
    stderr = assert_fails(invoke("eval", "y = x", "--x", "1", *args), 2, message)
    assert "\0" not in stderr and "\\x00" not in stderr


def test_an_input_named_like_no_option_takes_a_value_starting_with_minus():
    doc = json.loads(invoke("eval", "y = a*b", "--a=-2", "--b", "-3", "--json").stdout)
    assert doc["inputs"] == {"a": -2.0, "b": -3.0}


def test_negative_infinity_is_refused_like_infinity():
    """`--x -inf` is a value, not the options -i -n -f."""
    assert_fails(invoke("eval", "y = x", "--x", "-inf"), 2, "error: ", "finite number")
