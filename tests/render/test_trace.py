"""`cgrad trace`: forward and reverse mode side by side over the tape, as a table and as JSON."""
from __future__ import annotations

import json
import re

from click.testing import CliRunner

from cgrad_cli.cli import cli

LECTURE = "c = a+b; d = b+1; e = c*d"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def invoke(*args, input=None):
    """`cgrad ARGS` in-process; result.stdout and result.stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(cli, list(args), input=input, prog_name="cgrad")


def ok(result):
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def fails(result, code, *fragments):
    assert result.exit_code == code, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


LECTURE_TABLE = """\
tape order · tangent ∂/∂x: ∂node/∂x, forward mode (one sweep up the tape per x)
adjoint ∂e/∂node: reverse mode (one sweep down the tape per output)
                           tangent         adjoint
id  node     op     value     ∂/∂a  ∂/∂b  ∂e/∂node
 0  a        input      2        1     0         2
 1  b        input      1        0     1         5
 2  c = a+b  add        3        1     1         2
 3  1        const      1        0     0         0
 4  d = b+1  add        2        0     1         3
 5  e = c*d  mul        6        2     5         1

sweeps: forward mode 2, one up the tape per input (a, b); reverse mode 1, one
        down the tape per output (e)
gradient  forward mode  reverse mode  agree
∂e/∂a                2             2      ✓
∂e/∂b                5             5      ✓
one output and 2 inputs: reverse mode needed 1 sweep where forward mode needed
2; with one input and many outputs it is the other way round
"""


def test_lecture_table():
    result = ok(invoke("trace", LECTURE, "--a", "2", "--b", "1"))
    assert result.stdout == LECTURE_TABLE
    assert result.stderr == ""
    assert not ANSI.search(result.stdout)


def test_lecture_json():
    result = ok(invoke("trace", LECTURE, "--a", "2", "--b", "1", "--json"))
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert doc["output"] == "e" and doc["value"] == 6
    assert doc["wrt"] == ["a", "b"]
    assert doc["sweeps"] == {"forward": 2, "reverse": 1}
    assert doc["gradients"] == {"forward": {"a": 2, "b": 5}, "reverse": {"a": 2, "b": 5}}
    assert doc["agree"] is True
    assert [(n["id"], n["name"], n["op"], n["value"], n["tangents"], n["adjoint"]) for n in doc["nodes"]] == [
        (0, "a", "input", 2, {"a": 1, "b": 0}, 2),
        (1, "b", "input", 1, {"a": 0, "b": 1}, 5),
        (2, "c", "add", 3, {"a": 1, "b": 1}, 2),
        (3, None, "const", 1, {"a": 0, "b": 0}, 0),
        (4, "d", "add", 2, {"a": 0, "b": 1}, 3),
        (5, "e", "mul", 6, {"a": 2, "b": 5}, 1),
    ]
    assert [n["text"] for n in doc["nodes"]] == ["a", "b", "a+b", "1", "b+1", "c*d"]
    assert [n["inputs"] for n in doc["nodes"]] == [[], [], [0, 1], [], [1, 3], [2, 4]]


def test_json_is_byte_identical_across_runs():
    args = ("trace", "y = sin(x)*x + x^y", "--x", "0.5", "--y", "1.5", "--json")
    assert invoke(*args).stdout == invoke(*args).stdout


def test_the_unnamed_lecture_program():
    doc = json.loads(ok(invoke("trace", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "--json")).stdout)
    assert doc["gradients"]["forward"] == doc["gradients"]["reverse"] == {"a": 2, "b": 5}
    assert [n["text"] for n in doc["nodes"]] == ["a", "b", "a+b", "1", "b+1", "(a+b)*(b+1)"]


def test_one_tangent_column_per_wrt_name():
    out = ok(invoke("trace", "y = x1*x2 + sin(x3)", "--x1", "1", "--x2", "2", "--x3", "0")).stdout
    header = out.splitlines()[3]
    assert header.split() == ["id", "node", "op", "value", "∂/∂x1", "∂/∂x2", "∂/∂x3", "∂y/∂node"]
    assert "forward mode 3, one up the tape per input (x1, x2, x3); reverse mode 1" in out
    assert "reverse mode needed 1 sweep where forward mode needed\n3" in out


def test_wrt_picks_the_forward_sweeps():
    out = ok(invoke("trace", LECTURE, "--a", "2", "--b", "1", "--wrt", "b")).stdout
    assert "∂/∂b" in out and "∂/∂a" not in out
    assert "forward mode 1, one up the tape per input (b)" in out
    assert re.search(r"^∂e/∂b\s+5\s+5\s+✓$", out, re.M)
    doc = json.loads(ok(invoke("trace", LECTURE, "--a", "2", "--b", "1", "--wrt", "b,c", "--json")).stdout)
    assert doc["sweeps"] == {"forward": 2, "reverse": 1}
    assert doc["gradients"]["forward"] == doc["gradients"]["reverse"] == {"b": 5, "c": 2}


def test_output_picks_another_statement():
    doc = json.loads(ok(invoke("trace", LECTURE, "--a", "2", "--b", "1", "--output", "d", "--json")).stdout)
    assert doc["output"] == "d" and doc["value"] == 2
    assert doc["gradients"]["forward"] == doc["gradients"]["reverse"] == {"a": 0, "b": 1}


def test_program_without_inputs():
    out = ok(invoke("trace", "y = 2*3")).stdout
    assert "forward mode 0" in out and "no inputs" in out
    doc = json.loads(ok(invoke("trace", "y = 2*3", "--json")).stdout)
    assert doc["sweeps"] == {"forward": 0, "reverse": 1} and doc["gradients"] == {"forward": {}, "reverse": {}}


def test_program_from_stdin_and_file(tmp_path):
    assert ok(invoke("trace", "-", "--a", "2", "--b", "1", input=LECTURE)).stdout == LECTURE_TABLE
    program = tmp_path / "lecture.cg"
    program.write_text(LECTURE.replace("; ", "\n"), encoding="utf-8")
    doc = json.loads(ok(invoke("trace", "-f", str(program), "--a", "2", "--b", "1", "--json")).stdout)
    assert doc["gradients"]["forward"] == {"a": 2, "b": 5}


# --- long tapes -----------------------------------------------------------------------------------------------

def test_limit_cuts_the_table_with_a_note():
    out = ok(invoke("trace", "y = ------x", "--x", "3", "--limit", "4")).stdout
    rows = [line for line in out.splitlines() if re.match(r"^\s*\d+\s", line)]
    assert [int(r.split()[0]) for r in rows] == [0, 1, 5, 6]  # the first and the last nodes, output included
    assert re.search(r"^\s*⋮(\s+⋮)+$", out, re.M)
    assert "the tape has 7 nodes; the table shows the first 2 and the last 2: --limit N shows" in " ".join(out.split())
    full = ok(invoke("trace", "y = ------x", "--x", "3", "--limit", "7")).stdout
    assert "⋮" not in full and "--limit" not in full


def test_limit_must_be_positive():
    result = invoke("trace", LECTURE, "--a", "2", "--b", "1", "--limit", "0")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


N = 100_000


def test_100000_long_chain():
    src = "y = " + "-" * N + "x"
    result = ok(invoke("trace", src, "--x", "2"))
    rows = [line for line in result.stdout.splitlines() if re.match(r"^\s*\d+\s", line)]
    assert len(rows) == 200
    assert f"the tape has {N + 1} nodes; the table shows the first 100 and the last 100" in result.stdout
    assert re.search(r"^∂y/∂x\s+1\s+1\s+✓$", result.stdout, re.M)
    doc = json.loads(ok(invoke("trace", src, "--x", "2", "--json")).stdout)
    assert len(doc["nodes"]) == N + 1 and doc["gradients"]["forward"] == doc["gradients"]["reverse"] == {"x": 1}
    assert all(len(n["text"]) <= 48 for n in doc["nodes"])


# --- errors ---------------------------------------------------------------------------------------------------

def test_unknown_wrt_name_exits_2():
    stderr = fails(invoke("trace", LECTURE, "--a", "2", "--b", "1", "--wrt", "q"), 2,
                   "error: --wrt: the program has no name 'q'")
    assert "names in the program: a, b, c, d, e" in stderr


def test_unknown_wrt_name_suggests_and_reports_json():
    stderr = fails(invoke("trace", LECTURE, "--a", "2", "--b", "1", "--wrt", "bb", "--json"), 2, "did you mean 'b'?")
    error = json.loads(stderr.rstrip("\n").splitlines()[-1])["error"]
    assert error["kind"] == "name" and error["exit_code"] == 2


def test_wrt_a_constant_exits_2():
    fails(invoke("trace", "k = 2; y = k*x", "--x", "1", "--wrt", "k"), 2, "'k' depends on no input")


def test_missing_input_exits_2():
    fails(invoke("trace", LECTURE, "--a", "2"), 2, "missing value for input b")


def test_math_errors_exit_3():
    fails(invoke("trace", "y = log(x)", "--x", "-1"), 3, "log is undefined at x = -1")
    fails(invoke("trace", "t = sqrt(x); y = 2*x", "--x", "0"), 3,
          "the derivative of sqrt (with respect to x) divides by zero at x = 0")


def test_kink_warning_on_stderr():
    result = ok(invoke("trace", "y = relu(x) * 3", "--x", "0", "--json"))
    assert result.stderr.startswith("warning: 'relu(x)' (line 1, column 5) is at a kink of relu")
    doc = json.loads(result.stdout)
    assert doc["warnings"][0]["kind"] == "kink" and doc["gradients"]["forward"] == {"x": 0}


# --- help -----------------------------------------------------------------------------------------------------

def test_help_has_an_example_and_the_options():
    text = ok(invoke("trace", "--help")).stdout
    assert 'cgrad trace "c = a+b; d = b+1; e = c*d" --a 2 --b 1' in text
    for option in ("--wrt", "--output", "--json", "--limit", "-f, --file", "--set", "--inputs", "Exit codes:"):
        assert option in text


def test_trace_is_listed():
    assert re.search(r"^\s+trace\s+Show the two modes", ok(invoke("--help")).stdout, re.M)


def test_a_wide_tape_is_split_and_no_number_is_cut():
    inputs = {"a": 1, "b": -0.0625, "c": 3, "d": 4, "e": 5, "f": 6, "g": 1.234567, "h": -0.0001234}
    out = ok(invoke("trace", "y = a*b + c*d + e*f + g*h", *(w for k, v in inputs.items() for w in (f"--{k}", str(v)))))
    lines = out.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and not any("…" in line for line in lines)
    heads = [line.split() for line in lines if line.startswith("id ")]
    assert heads == [["id", "node", "op", "value", "∂/∂a", "∂/∂b", "∂y/∂node"],  # the value, a, b, the adjoint
                     ["id", "node", "∂/∂c", "∂/∂d", "∂/∂e", "∂/∂f", "∂/∂g", "∂/∂h"]]  # then the other tangents
    assert " 1  b                         input       -0.0625        0     1           1" in lines
