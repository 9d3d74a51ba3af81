"""`cgrad eval PROGRAM --batch FILE`: one JSON line per input point, streamed, in input order.

Results are checked against single-point `cgrad eval --json` runs at the same inputs, every
output line against cgrad_cli/schemas/batch-line.schema.json, and the run's shape (exit
codes, what stderr says) through click's CliRunner; real processes check piping into jq
and that results come out before the input is closed.  CGRAD_BATCH_CHUNK makes chunks tiny
so that chunk boundaries fall between (and around) the interesting lines.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import orjson
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli.cli import cli

SCHEMAS = Path(cgrad_cli.__file__).parent / "schemas"
SCHEMA = json.loads((SCHEMAS / "batch-line.schema.json").read_text(encoding="utf-8"))
LINE = jsonschema.Draft202012Validator(SCHEMA)
ERROR = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "error.schema.json").read_text(encoding="utf-8")))

LECTURE = "e=(a+b)*(b+1)"
CGRAD = Path(sys.executable).parent / ("cgrad.exe" if os.name == "nt" else "cgrad")
POINTS = [(2, 1), (0.5, -3), (-1.25, 4), (1e-3, 2.5), (3, 0), (-7, -1), (0.1, 0.2), (10, 10)]


# --- helpers ----------------------------------------------------------------------------------------------

def invoke(*args, input=None, chunk=None):
    env = {"CGRAD_BATCH_CHUNK": str(chunk)} if chunk else {"CGRAD_BATCH_CHUNK": ""}
    return CliRunner().invoke(cli, list(args), input=input, env=env, prog_name="cgrad")


def lines_of(result) -> list:
    """The output lines, each checked against the schema, with line numbers increasing."""
    out = result.stdout
    assert out == "" or out.endswith("\n")
    docs = [json.loads(text) for text in out.splitlines()]
    for doc, text in zip(docs, out.splitlines()):
        LINE.validate(doc)
        assert text == orjson.dumps(doc).decode()  # compact, key order and float format as orjson writes
    numbers = [doc["line"] for doc in docs]
    assert numbers == sorted(set(numbers))
    return docs


def single(program, *args) -> dict:
    """`cgrad eval PROGRAM ARGS --json` at one point: its value and gradients, or its error object."""
    result = CliRunner().invoke(cli, ["eval", program, *args, "--json"], prog_name="cgrad")
    if result.exit_code:
        return {"error": json.loads(result.stderr.splitlines()[-1])["error"]}
    doc = json.loads(result.stdout)
    return {"value": doc["value"], "gradients": doc["gradients"]}


def ndjson(points, names=("a", "b")) -> str:
    return "".join(json.dumps(dict(zip(names, p))) + "\n" for p in points)


def csv_text(points, names=("a", "b")) -> str:
    return ",".join(names) + "\n" + "".join(",".join(map(repr, p)) + "\n" for p in points)


def strip_line(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "line"}


# --- the schema -------------------------------------------------------------------------------------------

def test_schema_is_a_valid_draft_2020_12_schema_with_every_field_described():
    assert SCHEMA["$id"] == "https://cgrad.dev/schemas/batch-line-1.json"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    undescribed, stack = [], [("#", SCHEMA)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, list):
            stack.extend((f"{path}/{k}", sub) for k, sub in enumerate(node))
        elif isinstance(node, dict):
            for key, sub in node.items():
                if key == "properties" and "/allOf/" not in path:
                    undescribed += [f"{path}/{name}" for name, s in sub.items()
                                    if isinstance(s, dict) and not (s.get("description") or "$ref" in s)]
                stack.append((f"{path}/{key}", sub))
    assert undescribed == []


# --- results equal single evaluations ---------------------------------------------------------------------

def test_ndjson_file_gives_the_numbers_of_single_evaluations(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text(ndjson(POINTS))
    result = invoke("eval", LECTURE, "--batch", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    docs = lines_of(result)
    assert [d["line"] for d in docs] == list(range(1, len(POINTS) + 1))
    for doc, (a, b) in zip(docs, POINTS):
        assert strip_line(doc) == single(LECTURE, "--a", repr(a), "--b", repr(b))
    assert docs[0] == {"line": 1, "value": 6.0, "gradients": {"a": 2.0, "b": 5.0}}  # the lecture's numbers
    assert result.stdout.splitlines()[0] == '{"line":1,"value":6.0,"gradients":{"a":2.0,"b":5.0}}'  # compact


EXACT = [0.1, -0.0, 5e-324, 2.2250738585072014e-308, 1e-07, 3.708181693226424e-09, 5.542204765028064e-05, 1e22,
         1e16, 123456789.0, 2.0 ** 53 + 2, 1.7976931348623157e308, -2.5, 1 / 3]


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_floats_round_trip_exactly(fmt):
    """y = x*1 gives back x: the number written is the float itself (shortest round-trip form, sign of zero kept)."""
    text = ndjson([(x,) for x in EXACT], ("x",)) if fmt == "ndjson" else csv_text([(x,) for x in EXACT], ("x",))
    result = invoke("eval", "y = x*1", "--batch", "-", "--batch-format", fmt, input=text, chunk=5)
    assert result.exit_code == 0, result.stderr
    docs = lines_of(result)
    assert [repr(d["value"]) for d in docs] == [repr(x) for x in EXACT]
    assert [repr(float(text.split(b'"value":')[1].split(b",")[0])) for text in result.stdout_bytes.splitlines()] == \
        [repr(x) for x in EXACT]


def test_transcendental_program_matches_single_evaluations():
    program = "y = sin(x)*exp(-x^2/2) + log(1 + x^2)*tanh(w*x)"
    points = [(x / 7, w / 3) for x in range(-10, 11, 3) for w in range(-3, 4, 2)]
    result = invoke("eval", program, "--batch", "-", input=ndjson(points, ("x", "w")), chunk=5)
    assert result.exit_code == 0, result.stderr
    for doc, (x, w) in zip(lines_of(result), points):
        want = single(program, "--x", repr(x), "--w", repr(w))
        assert doc["value"] == pytest.approx(want["value"], rel=1e-15, abs=1e-300)
        assert doc["gradients"] == pytest.approx(want["gradients"], rel=1e-15, abs=1e-300)


def test_csv_file_by_extension(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(csv_text(POINTS))
    result = invoke("eval", LECTURE, "--batch", str(path))
    assert result.exit_code == 0, result.stderr
    docs = lines_of(result)
    assert [d["line"] for d in docs] == list(range(2, len(POINTS) + 2))  # the header is line 1
    for doc, (a, b) in zip(docs, POINTS):
        assert strip_line(doc) == single(LECTURE, "--a", repr(a), "--b", repr(b))


def test_csv_on_stdin_is_recognised_by_its_first_character_and_columns_may_come_in_any_order():
    text = "b, a\r\n1, 2\r\n\r\n\"0\",\"3\"\r\n"  # CRLF, spaces, a blank line, quoted fields
    result = invoke("eval", LECTURE, "--batch", "-", input=text)
    assert result.exit_code == 0, result.stderr
    assert lines_of(result) == [{"line": 2, "value": 6.0, "gradients": {"a": 2.0, "b": 5.0}},
                                {"line": 4, "value": 3.0, "gradients": {"a": 1.0, "b": 4.0}}]


def test_batch_format_overrides_the_guess(tmp_path):
    path = tmp_path / "points.txt"
    path.write_text(ndjson(POINTS[:2]))
    assert len(lines_of(invoke("eval", LECTURE, "--batch", str(path), "--batch-format", "ndjson"))) == 2
    path.write_text(csv_text(POINTS[:2]))
    assert len(lines_of(invoke("eval", LECTURE, "--batch", str(path), "--batch-format", "csv"))) == 2
    result = invoke("eval", LECTURE, "--batch", str(path), "--batch-format", "xml")
    assert result.exit_code == 2 and result.stdout == ""


def test_ndjson_on_stdin():
    result = invoke("eval", LECTURE, "--batch", "-", input=ndjson(POINTS))
    assert result.exit_code == 0, result.stderr
    assert [strip_line(d) for d in lines_of(result)] == \
        [single(LECTURE, "--a", repr(a), "--b", repr(b)) for a, b in POINTS]


def test_a_last_line_without_newline_and_a_byte_order_mark():
    result = invoke("eval", LECTURE, "--batch", "-", input='\ufeff{"a": 2, "b": 1}\n{"a": 1, "b": 1}')
    assert result.exit_code == 0, result.stderr
    assert [d["value"] for d in lines_of(result)] == [6.0, 4.0]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 4096])
def test_order_is_kept_across_chunk_boundaries(chunk):
    points = [(k / 10, (k % 7) - 3) for k in range(50)]
    text = ndjson(points).splitlines(keepends=True)
    text.insert(10, "\n")  # blank lines count as lines but give no output
    text.insert(21, "   \n")
    result = invoke("eval", LECTURE, "--batch", "-", input="".join(text), chunk=chunk)
    assert result.exit_code == 0, result.stderr
    docs = lines_of(result)
    assert [d["line"] for d in docs] == [n for n in range(1, 53) if n not in (11, 22)]
    assert [d["value"] for d in docs] == [(a + b) * (b + 1) for a, b in points]


def test_spaces_around_objects_and_inside_them():
    lines = ['{"a":2,"b":1}', '  {"a": 0.5, "b": -3}', '{ "a" : -1.25 ,"b":4 }\t', '\t{"b": 2.5, "a": 1e-3}']
    for chunk in (1, 2, 4096):
        result = invoke("eval", LECTURE, "--batch", "-", input="\n".join(lines) + "\n", chunk=chunk)
        assert result.exit_code == 0, result.stderr
        assert [strip_line(d) for d in lines_of(result)] == \
            [single(LECTURE, "--a", repr(a), "--b", repr(b)) for a, b in [(2, 1), (0.5, -3), (-1.25, 4), (1e-3, 2.5)]]


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_lines_that_would_run_into_each_other_are_each_an_error(chunk):
    """A chunk is read as one JSON array of its lines joined by commas: two objects on one line and two
    lines that make one object (an array or a string spanning them) must not make up for each other --
    here the array has as many items as the chunk has lines."""
    lines = ['{"a": 2, "b": 1}',
             '{"a": 1, "b": 2},{"a": 3, "b": 4}',  # two objects
             '{"a": [{}', '{}], "b": 3}',  # an array over two lines
             '{"a": 5, "b": "}', '{", "c": 1}',  # a string over two lines
             '{"a": 6, "b": 7},{"a": 8, "b": 9}',
             '{"a": 3, "b": 2}']
    assert len(orjson.loads("[" + ",".join(lines) + "]")) == len(lines)
    result = invoke("eval", LECTURE, "--batch", "-", input="\n".join(lines) + "\n", chunk=chunk)
    assert result.exit_code == 1
    docs = lines_of(result)
    assert [d["line"] for d in docs] == list(range(1, len(lines) + 1))
    assert docs[0]["value"] == 6.0 and docs[-1]["value"] == 15.0
    for doc in docs[1:-1]:
        assert "not valid JSON" in doc["error"]["message"], doc


@pytest.mark.parametrize("bad", ['{"a": 2.5, "b": true}', '{"a": false, "b": 1}',  # numpy would read 1 and 0
                                 '{"a": 1, "b": 2, "c" : 3}', '{"a": 1, "b": 2, "c:d": 3}',  # a key too many
                                 '{"a": 1, "b": "2"}', '{"a": 1, "b": null}', '{"a": 1, "b": [2]}',
                                 '{"a": 1, "b": {"c": 2}}'])
def test_one_bad_line_among_good_ones_is_found_by_the_chunk_checks(bad):
    """The checks of a whole chunk (numbers only, no key besides the inputs) let no bad line through."""
    lines = ['{"a": 1.5, "b": -2}', '{"a": 2, "b": 1}', bad, '{"a": -3, "b": 0.25}']
    result = invoke("eval", LECTURE, "--batch", "-", input="\n".join(lines) + "\n", chunk=4096)
    assert result.exit_code == 1
    docs = lines_of(result)
    assert [d["line"] for d in docs] == [1, 2, 3, 4]
    assert "error" in docs[2] and all("error" not in d for d in docs[:2] + docs[3:]), docs
    assert [d["value"] for d in docs[:2] + docs[3:]] == [(a + b) * (b + 1) for a, b in [(1.5, -2), (2, 1), (-3, 0.25)]]


def test_csv_numbers_read_as_float_reads_them():
    """JSON numbers go through orjson, the rest through float(): the same values either way."""
    rows = ["-0", "0", " 1.5", "2 ", "1_0", "+1", ".5", "1.", "1e-7", "-0e1", "123456789012345678901234567890"]
    result = invoke("eval", "y = x*1", "--batch", "-", "--batch-format", "csv", input="x\n" + "\n".join(rows) + "\n")
    assert result.exit_code == 0, result.stderr
    assert [repr(d["value"]) for d in lines_of(result)] == [repr(float(row)) for row in rows]


# --- bad lines ----------------------------------------------------------------------------------------------

BAD = [
    '{"a": 2, "b": 1}',
    '{"a": 3, "b": 2',  # invalid JSON
    '{"a": 4}',  # missing b
    '{"a": -5, "b": 1}',  # log of a negative
    '[1, 2]',  # not an object
    '{"a": 1, "b": 1, "c": 3}',  # unknown input
    '{"a": "1", "b": 1}',  # not a number
    '{"a": true, "b": 1}',  # not a number either
    '{"a": 1e999, "b": 1}',  # beyond float64
    '{"a": 6, "b": 0}',
]


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_a_bad_line_gets_an_error_object_on_its_line_and_the_run_goes_on(chunk):
    program = "y = log(a)*(b+1)"
    result = invoke("eval", program, "--batch", "-", input="\n".join(BAD) + "\n", chunk=chunk)
    assert result.exit_code == 1
    docs = lines_of(result)
    assert [d["line"] for d in docs] == list(range(1, len(BAD) + 1))
    good = {1: (2, 1), 10: (6, 0)}
    for doc in docs:
        if doc["line"] in good:
            a, b = good[doc["line"]]
            assert strip_line(doc) == single(program, "--a", repr(a), "--b", repr(b))
        else:
            assert set(doc) == {"line", "error"}, doc
    errors = {d["line"]: d["error"] for d in docs if "error" in d}
    assert errors[2]["kind"] == "input" and "not valid JSON" in errors[2]["message"]
    assert errors[3]["missing"] == ["b"] and errors[3]["message"] == "missing value for input b"
    assert errors[4] == single(program, "--a", "-5", "--b", "1")["error"]  # the very object eval --json gives
    assert errors[4]["kind"] == "math" and errors[4]["exit_code"] == 3 and errors[4]["op"] == "log"
    assert "JSON object" in errors[5]["message"] and "an array" in errors[5]["message"]
    assert errors[6]["unknown"] == ["c"]
    assert "finite number" in errors[7]["message"] and "finite number" in errors[8]["message"]
    assert "float64" in errors[9]["message"]
    for error in errors.values():
        ERROR.validate({"error": error})
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: 8 of 10 points failed") and "line 2" in result.stderr


def test_a_domain_error_falls_back_point_by_point_only_in_its_chunk():
    """A chunk whose array evaluation raises is redone point by point: the other points keep their results."""
    xs = [1, 2, -1, 3, 0, 4, 5, 6, 7]  # log(-1) and 1/0 (through log(0)) inside the same chunk
    program = "y = x*log(x)"
    result = invoke("eval", program, "--batch", "-", input=ndjson([(x,) for x in xs], ("x",)), chunk=4)
    assert result.exit_code == 1
    docs = lines_of(result)
    for doc, x in zip(docs, xs):
        assert strip_line(doc) == single(program, "--x", repr(x)), x
    assert [d["line"] for d in docs if "error" in d] == [3, 5]


def test_the_derivative_failing_is_a_domain_error_too():
    result = invoke("eval", "y = sqrt(x)", "--batch", "-", input='{"x": 4}\n{"x": 0}\n{"x": 9}\n')
    assert result.exit_code == 1
    docs = lines_of(result)
    assert docs[0]["gradients"] == {"x": 0.25} and docs[2]["gradients"] == {"x": 1 / 6}
    assert docs[1]["error"]["kind"] == "math" and "derivative" in docs[1]["error"]["message"]


def test_csv_bad_rows():
    text = "a,b\n2,1\n2\n,1\nx,1\nnan,1\n1,2,3\n3,2\n"
    result = invoke("eval", LECTURE, "--batch", "-", input=text, chunk=2)
    assert result.exit_code == 1
    docs = lines_of(result)
    assert [d["line"] for d in docs] == list(range(2, 9))
    assert [("error" in d) for d in docs] == [False, True, True, True, True, True, False]
    assert docs[-1]["value"] == 15.0
    assert "2 fields" not in docs[1]["error"]["message"] and "1 field" in docs[1]["error"]["message"]
    assert "missing value for input a" in docs[2]["error"]["message"]


# --- constants from the command line, --wrt, --output ---------------------------------------------------

def test_command_line_values_are_constants_of_every_point():
    result = invoke("eval", LECTURE, "--b", "1", "--batch", "-", input='{"a": 2}\n{"a": 3}\n')
    assert result.exit_code == 0, result.stderr
    docs = lines_of(result)
    assert [strip_line(d) for d in docs] == [single(LECTURE, "--a", a, "--b", "1") for a in ("2", "3")]
    assert docs[0]["gradients"] == {"a": 2.0, "b": 5.0}  # a constant still gets its gradient, per point


def test_a_line_may_not_redefine_a_constant():
    result = invoke("eval", LECTURE, "--set", "b=1", "--batch", "-", input='{"a": 2}\n{"a": 2, "b": 5}\n')
    assert result.exit_code == 1
    docs = lines_of(result)
    assert docs[0]["value"] == 6.0
    assert "command line" in docs[1]["error"]["message"] and docs[1]["error"]["kind"] == "input"


def test_wrt_and_output_are_honoured():
    program = "c = a+b; d = b+1; e = c*d"
    result = invoke("eval", program, "--wrt", "b,c", "--output", "e", "--batch", "-", input='{"a": 2, "b": 1}\n')
    assert lines_of(result) == [{"line": 1, "value": 6.0, "gradients": {"b": 5.0, "c": 2.0}}]
    result = invoke("eval", program, "--output", "d", "--batch", "-", input='{"a": 2, "b": 1}\n')
    assert lines_of(result) == [{"line": 1, "value": 2.0, "gradients": {"a": 0.0, "b": 1.0}}]


# --- usage errors: exit 2, no output --------------------------------------------------------------------

@pytest.mark.parametrize("args, text, says", [
    (["y = sum(x)"], '{"x": 1}\n', "tensor"),
    (["y = [1, 2] @ x"], '{"x": 1}\n', "tensor"),
    (["e=(a+b)*(b+1"], '{"a": 1, "b": 1}\n', ""),  # a program that does not parse
    ([LECTURE, "--wrt", "z"], '{"a": 1, "b": 1}\n', "no name 'z'"),
    ([LECTURE, "--output", "z"], '{"a": 1, "b": 1}\n', "no name 'z'"),
    ([LECTURE, "--z", "1"], '{"a": 1, "b": 1}\n', "no input 'z'"),
    ([LECTURE, "--a", "[1, 2]"], '{"b": 1}\n', "array"),
    ([LECTURE], "a,c\n1,2\n", "column 'c'"),
    ([LECTURE], "a\n1\n", "no column for input b"),
    ([LECTURE], "a,b,a\n1,2,3\n", "twice"),
    ([LECTURE, "--a", "1"], "a,b\n1,2\n", "also given on the command line"),
])
def test_usage_errors_exit_2_before_any_output(args, text, says):
    result = invoke("eval", *args, "--batch", "-", input=text)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and says in result.stderr


def test_an_unreadable_batch_file_and_two_things_on_stdin(tmp_path):
    result = invoke("eval", LECTURE, "--batch", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2 and result.stdout == "" and "cannot read" in result.stderr
    result = invoke("eval", "-", "--batch", "-", input=LECTURE)
    assert result.exit_code == 2 and "stdin" in result.stderr


@pytest.mark.parametrize("text", ["", "\n\n  \n", "a,b\n", "a,b\n\n"])
def test_empty_input_gives_no_output_and_exit_0(text):
    result = invoke("eval", LECTURE, "--batch", "-", input=text)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_kinks_are_counted_in_one_line_on_stderr():
    xs = [0, 1, 0, -2, 0.0]
    result = invoke("eval", "y = relu(x) + abs(x)", "--batch", "-", input=ndjson([(x,) for x in xs], ("x",)), chunk=2)
    assert result.exit_code == 0
    assert [d["gradients"]["x"] for d in lines_of(result)] == [0.0, 2.0, 0.0, -1.0, 0.0]
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("warning: 3 of 5 points landed on a kink") and "input line 1" in result.stderr


def test_a_program_without_inputs():
    result = invoke("eval", "y = 2*3", "--batch", "-", input="{}\n{}\n")
    assert lines_of(result) == [{"line": 1, "value": 6.0, "gradients": {}}, {"line": 2, "value": 6.0, "gradients": {}}]


def test_help_documents_batch_and_exit_1():
    text = invoke("eval", "--help").stdout
    assert "--batch FILE" in text and "--batch-format [ndjson|csv]" in text
    assert "1  some --batch line failed" in text
    assert "--batch points.jsonl" in text


# --- real processes ---------------------------------------------------------------------------------------

def _env():
    env = {k: v for k, v in os.environ.items() if k != "CGRAD_BATCH_CHUNK"}
    env.update(PYTHONIOENCODING="utf-8")
    return env


def test_only_the_batch_path_imports_orjson(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text(ndjson(POINTS[:1]))
    imported = {}
    for name, args in (("one", ["--a", "2", "--b", "1", "--json"]), ("batch", ["--batch", str(path)])):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "cgrad_cli", "eval", LECTURE, *args],
                                capture_output=True, text=True, env=_env(), timeout=60)
        assert result.returncode == 0, result.stderr
        imported[name] = any(line.split("|")[-1].strip() == "orjson" for line in result.stderr.splitlines())
    assert imported == {"one": False, "batch": True}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_piping_into_jq(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text(ndjson(POINTS) + '{"a": 1}\n')
    command = f"'{CGRAD}' eval '{LECTURE}' --batch '{path}' | jq -c 'select(.error == null) | .gradients.b'"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                            env=_env(), timeout=60)
    assert result.returncode == 1  # the last line failed: cgrad's exit code comes through pipefail
    assert [float(x) for x in result.stdout.split()] == pytest.approx([2 * b + a + 1 for a, b in POINTS])
    assert result.stderr.startswith("error: 1 of 9 points failed")


def test_results_stream_out_before_the_input_is_closed():
    process = subprocess.Popen([str(CGRAD), "eval", LECTURE, "--batch", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        process.stdin.write(b'{"a": 2, "b": 1}\n{"a": 3, "b": 2}\n')
        process.stdin.flush()
        first = lines.get(timeout=30)  # the input is still open
        assert json.loads(first) == {"line": 1, "value": 6.0, "gradients": {"a": 2.0, "b": 5.0}}
        assert process.poll() is None
        process.stdin.write(b'{"a": 4, "b": 3}\n')
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    rest = []
    while not lines.empty() or len(rest) < 2:
        rest.append(json.loads(lines.get(timeout=30)))
    assert [d["line"] for d in rest] == [2, 3] and rest[1]["value"] == 28.0


# --- worker processes -------------------------------------------------------------------------------------
# Past the first batch.SERIAL chunks a long input is evaluated by forked worker processes (CGRAD_BATCH_WORKERS,
# by default min(2, CPUs)).  With tiny chunks a few lines are enough to start them: everything a run says must
# be the same either way, byte for byte.

import multiprocessing  # noqa: E402

from cgrad_cli.render import batch as batch_module  # noqa: E402
from cgrad_cli.render import batch_workers  # noqa: E402

needs_fork = pytest.mark.skipif(not batch_workers._can_fork(), reason="worker processes need fork")


def invoke_with(workers, *args, input=None, chunk=1):
    env = {"CGRAD_BATCH_CHUNK": str(chunk), "CGRAD_BATCH_WORKERS": str(workers)}
    return CliRunner().invoke(cli, list(args), input=input, env=env, prog_name="cgrad")


@pytest.fixture
def pools(monkeypatch):
    """The tasks each worker pool was given, one list per pool started."""
    started = []
    init, submit = batch_workers.Pool.__init__, batch_workers.Pool.submit

    def spy_init(self, *args, **kwargs):
        started.append([])
        init(self, *args, **kwargs)

    def spy_submit(self, task, start, count, done):
        lines = os.pread(self.source, task[1], task[0]) if isinstance(task, tuple) else bytes(task)
        assert lines.count(b"\n") == count
        started[-1].append((start, count))
        submit(self, task, start, count, done)

    monkeypatch.setattr(batch_workers.Pool, "__init__", spy_init)
    monkeypatch.setattr(batch_workers.Pool, "submit", spy_submit)
    return started


def both_ways(pools, *args, input=None, chunk=1, workers=2):
    """The run in one process and with workers: (exit code, stdout, stderr), checked equal."""
    serial = invoke_with(0, *args, input=input, chunk=chunk)
    assert pools == []
    parallel = invoke_with(workers, *args, input=input, chunk=chunk)
    assert len(pools) == 1 and len(pools[0]) > 1, "the workers did not start"
    assert parallel.exception is None or isinstance(parallel.exception, SystemExit), parallel.exception
    assert (parallel.exit_code, parallel.stdout_bytes, parallel.stderr) == \
        (serial.exit_code, serial.stdout_bytes, serial.stderr)
    assert multiprocessing.active_children() == []  # every worker ended and was waited for
    pools.clear()
    return serial


# lines 1-4 are done in the main process (chunks of one line); everything worth seeing comes later
MIXED = ['{"a": 2, "b": 1}', '{"a": 1, "b": 2}', '{"a": 2.5, "b": 3}', '{"a": 4, "b": 5}',
         '{"a": 3, "b": 0}', '', '{"a": 3, "b": 2', '{"a": -1, "b": 2}', '  {"a": 0.5, "b": -3}\t',
         '{"a": 4}', '[1, 2]', '{"a": 1, "b": 0}', '{"a": 1e999, "b": 1}', '   ', '{"a": 6, "b": 7}\r',
         '{"a": 1, "b": 1, "c": 3}', '{"a": "1", "b": 1}'] + \
        ['{"a": %r, "b": %r}' % (0.25 + k / 7, (k % 9) - 4) for k in range(40)]


@needs_fork
@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_workers_give_the_same_output_errors_kinks_and_exit_code(pools, chunk):
    program = "y = log(a)*(b+1) + relu(b) - abs(a - 3)"
    result = both_ways(pools, "eval", program, "--batch", "-", input="\n".join(MIXED) + "\n", chunk=chunk)
    assert result.exit_code == 1
    docs = lines_of(result)
    assert len(docs) == len(MIXED) - 2  # two blank lines
    assert sum("error" in d for d in docs) == 7
    assert result.stderr.startswith("warning: ")  # kinks of relu and abs, the first at line 5
    assert "of 55 points landed on a kink" in result.stderr and "input line 5:" in result.stderr
    assert "error: 7 of 55 points failed" in result.stderr and "input line 7:" in result.stderr


@needs_fork
def test_workers_on_a_csv_file_with_bad_rows_and_a_late_header(pools, tmp_path):
    rows = ["", " ", "", "", "", "b,a"] + [f"{k % 5 - 2},{k / 3}" for k in range(60)] + ["1", "x,2", "nan,1", "2,3"]
    path = tmp_path / "points.csv"
    path.write_text("\r\n".join(rows) + "\r\n")
    result = both_ways(pools, "eval", LECTURE, "--batch", str(path))
    assert result.exit_code == 1
    assert [d["line"] for d in lines_of(result)][:2] == [7, 8]  # the header is read in the main process


@needs_fork
def test_workers_with_constants_wrt_output_and_domain_errors(pools):
    points = [(x / 3,) for x in range(-6, 30)]
    text = ndjson(points, ("x",))
    both_ways(pools, "eval", "c = log(x)*k; d = c*x", "--k", "2", "--wrt", "x,c", "--output", "d", "--batch", "-",
              input=text, chunk=4)
    both_ways(pools, "eval", "y = sin(x)*exp(-x^2/2) + tanh(x)", "--batch", "-", input=text, chunk=3)


@needs_fork
def test_a_long_input_goes_to_the_workers_in_tasks_of_whole_chunks(pools):
    text = ndjson([(k, k + 1) for k in range(100)])
    both_ways(pools, "eval", LECTURE, "--batch", "-", input=text, chunk=3, workers=3)
    step = 3 * batch_workers.TASK
    invoke_with(2, "eval", LECTURE, "--batch", "-", input=text, chunk=3)
    first = 1 + 3 * batch_module.SERIAL
    assert pools[0][0][0] == first
    assert pools[0] == [(n, min(step, 101 - n)) for n in range(first, 101, step)]


def test_a_short_input_starts_no_worker(pools):
    text = ndjson([(k, k + 1) for k in range(10)])
    for workers, chunk in ((2, 4096), (2, 3), ("", 3), (1, 1), (0, 1)):
        result = invoke_with(workers, "eval", LECTURE, "--batch", "-", input=text, chunk=chunk)
        assert result.exit_code == 0 and len(lines_of(result)) == 10
    assert pools == []


@pytest.mark.parametrize("text, count", [("0", 0), ("1", 1), ("3", 3), (" 2 ", 2), ("-1", 0), ("many", 2), ("", 2)])
def test_the_number_of_workers(monkeypatch, text, count):
    """CGRAD_BATCH_WORKERS (0 or 1: none), by default one per CPU and at most 2; none without fork."""
    monkeypatch.setenv("CGRAD_BATCH_WORKERS", text)
    monkeypatch.setattr(batch_workers, "_can_fork", lambda: True)
    monkeypatch.setattr(batch_workers, "_cpus", lambda: 4)
    assert batch_workers.worker_count() == count
    monkeypatch.setattr(batch_workers, "_cpus", lambda: 1)  # the default: one per CPU
    assert batch_workers.worker_count() == (1 if text in ("", "many") else count)
    monkeypatch.setattr(batch_workers, "_can_fork", lambda: False)
    assert batch_workers.worker_count() == 0


def _raise_in_chunk(monkeypatch, when, line=9):
    """Batch.block raises for the chunk that starts at `line` -- inherited by the workers, which are forks."""
    block = batch_module.Batch.block
    main = os.getpid()

    def failing(self, text, count, start, fmt, ends):
        if start == line and when(main):
            raise ZeroDivisionError("a bug in a chunk")
        return block(self, text, count, start, fmt, ends)

    monkeypatch.setattr(batch_module.Batch, "block", failing)


@needs_fork
def test_an_exception_in_a_worker_is_an_internal_error_as_in_one_process(pools, monkeypatch):
    _raise_in_chunk(monkeypatch, lambda main: True)
    text = ndjson([(k, k + 1) for k in range(60)])
    serial = invoke_with(0, "eval", LECTURE, "--batch", "-", input=text, chunk=2)
    parallel = invoke_with(2, "eval", LECTURE, "--batch", "-", input=text, chunk=2)
    assert len(pools) == 1
    for result in (serial, parallel):
        assert result.exit_code == 70
        assert "internal error: ZeroDivisionError: a bug in a chunk" in result.stderr
        assert [d["line"] for d in lines_of(result)] == list(range(1, 9))  # what came before is out
    assert parallel.stderr == serial.stderr
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_worker_that_dies_is_an_internal_error_not_a_hang(pools, monkeypatch):
    _raise_in_chunk(monkeypatch, lambda main: os.getpid() != main and os._exit(9))
    text = ndjson([(k, k + 1) for k in range(60)])
    result = invoke_with(2, "eval", LECTURE, "--batch", "-", input=text, chunk=2)
    assert len(pools) == 1
    assert result.exit_code == 70
    assert "internal error: WorkerError: --batch worker process" in result.stderr
    assert "ended unexpectedly (exit code 9)" in result.stderr
    assert [d["line"] for d in lines_of(result)] == list(range(1, 9))
    assert multiprocessing.active_children() == []


def _big(tmp_path, n=20_000):
    path = tmp_path / "big.jsonl"
    path.write_text(ndjson([(k / 7, 1 - k / 11) for k in range(n)]))
    return path


@needs_fork
@pytest.mark.parametrize("reader", ["head -1", "head -c 300000"])
def test_a_reader_that_leaves_ends_the_run_quietly_with_workers(tmp_path, reader):
    """`cgrad ... | head -1`: stdout closes early, while the workers are busy (tasks of 64 lines here)."""
    path = _big(tmp_path)
    command = f"'{CGRAD}' eval '{LECTURE}' --batch '{path}' | {reader} > '{tmp_path / 'out'}'; " \
              "echo ${PIPESTATUS[0]}"
    env = {**_env(), "CGRAD_BATCH_CHUNK": "64", "CGRAD_BATCH_WORKERS": "2"}
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout == "0\n" and result.stderr == ""
    first = (tmp_path / "out").read_bytes().split(b"\n")[0]
    assert json.loads(first) == {"line": 1, "value": 2.0, "gradients": {"a": 2.0, "b": 3.0}}


@needs_fork
def test_workers_give_the_same_file_as_one_process(tmp_path):
    path = _big(tmp_path, 30_000)
    outputs = []
    for workers in ("0", "2"):
        env = {**_env(), "CGRAD_BATCH_CHUNK": "500", "CGRAD_BATCH_WORKERS": workers}
        result = subprocess.run([str(CGRAD), "eval", LECTURE, "--batch", str(path)], capture_output=True, env=env,
                                timeout=60)
        assert result.returncode == 0 and result.stderr == b""
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 30_000


@needs_fork
def test_results_stream_out_with_workers_and_ctrl_c_ends_the_run_quietly():
    """One line at a time on a pipe, each answered before the next is written, past the start of the workers;
    then Ctrl-C (SIGINT to the process group, as a terminal sends it): exit 130, nothing on stderr."""
    import signal

    env = {**_env(), "CGRAD_BATCH_CHUNK": "1", "CGRAD_BATCH_WORKERS": "2"}
    # SIGINT as a terminal would have it: a shell runs a background job (pytest ... &) with SIGINT ignored, and
    # a Python started so keeps ignoring it
    process = subprocess.Popen([str(CGRAD), "eval", LECTURE, "--batch", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        for k in range(1, 3 * batch_module.SERIAL):
            process.stdin.write(b'{"a": %d, "b": 1}\n' % k)
            process.stdin.flush()
            assert json.loads(lines.get(timeout=30)) == {"line": k, "value": 2.0 * (k + 1),
                                                         "gradients": {"a": 2.0, "b": k + 3.0}}
        workers = _children(process.pid)
        assert len(workers) == 2  # the workers are there
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 130
        assert process.stderr.read() == b""
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # ended and waited for
    finally:
        if process.poll() is None:
            process.kill()


def _children(pid: int) -> list:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        pytest.skip("no /proc children list")


@needs_fork
def test_workers_start_for_a_file_only_when_enough_of_it_is_left(pools, tmp_path):
    """Past the first SERIAL chunks, a file of known size needs PAYS chunks' worth of lines left (by the
    length of the lines so far); on a pipe the size is not known and the workers start anyway."""
    chunk = 2
    needed = chunk * (batch_module.SERIAL + batch_module.PAYS)
    path = tmp_path / "points.jsonl"
    for n, started in ((needed - 10, 0), (needed + 10, 1)):
        path.write_text(ndjson([(k, k + 1) for k in range(n)]))
        result = invoke_with(2, "eval", LECTURE, "--batch", str(path), chunk=chunk)
        assert result.exit_code == 0 and len(lines_of(result)) == n
        assert len(pools) == started
        pools.clear()


@needs_fork
def test_when_the_workers_cannot_all_be_forked_the_run_goes_on_in_one_process(pools, monkeypatch):
    start = batch_workers.Pool.start

    def failing(self, workers):
        start(self, workers)  # some are there...
        raise OSError(11, "Resource temporarily unavailable")  # ...and the last fork failed

    monkeypatch.setattr(batch_workers.Pool, "start", failing)
    text = ndjson([(k / 3, k % 5) for k in range(40)])
    serial = invoke_with(0, "eval", LECTURE, "--batch", "-", input=text)
    result = invoke_with(2, "eval", LECTURE, "--batch", "-", input=text)
    assert len(pools) == 1 and pools[0] == []  # a pool was made, and given nothing
    assert (result.exit_code, result.stdout_bytes, result.stderr) == (0, serial.stdout_bytes, "")
    assert multiprocessing.active_children() == []


# --- workers reading the input file and writing stdout themselves ----------------------------------------
# With a regular file in and a file descriptor out (not click's stream in memory, which the tests above use), a
# task is only where its lines are in the file, and each worker writes its results to stdout itself, in turn.

def run_into_file(tmp_path, monkeypatch, program, path, workers, chunk=1) -> tuple:
    """batch.run in this process with stdout a real file, as a shell's redirect makes it: (the tasks the pool
    was given -- their lines as bytes, or (offset, length) in the file --, the exit code or the exception
    raised, the output)."""
    from cgrad_cli.core.parsing import parse

    tasks, submit = [], batch_workers.Pool.submit
    out = tmp_path / f"out-{workers}"
    with monkeypatch.context() as m, open(out, "w") as stdout:
        m.setenv("CGRAD_BATCH_CHUNK", str(chunk))
        m.setenv("CGRAD_BATCH_WORKERS", str(workers))
        m.setattr(batch_workers.Pool, "submit",
                  lambda self, task, *rest: (tasks.append(task), submit(self, task, *rest)))
        m.setattr(sys, "stdout", stdout)
        try:
            code = batch_module.run(parse(program), {}, str(path))
        except Exception as e:  # noqa: BLE001 -- what the test expects raised, or a failure it shows
            code = e
    assert multiprocessing.active_children() == []  # every worker ended and was waited for
    return tasks, code, out.read_bytes()


@needs_fork
@pytest.mark.parametrize("chunk", [1, 3])
@pytest.mark.parametrize("bom, end", [("", "\n"), ("\ufeff", "")])
def test_workers_read_their_lines_and_write_their_results_themselves(tmp_path, monkeypatch, capsys, chunk, bom, end):
    """The same bytes, summary and exit code as one process; the last line of a file without a final newline
    is sent along (it is not the file's bytes as they are), every other task is a range of the file."""
    path = tmp_path / "points.jsonl"
    lines = MIXED + MIXED[-40:] * 3  # a CR line, blank lines, bad lines
    path.write_text(bom + "\n".join(lines) + end, encoding="utf-8")
    program = "y = log(a)*(b+1) + relu(b) - abs(a - 3)"
    tasks, code, serial = run_into_file(tmp_path, monkeypatch, program, path, 0, chunk)
    said = capsys.readouterr().err
    assert tasks == [] and code == 1 and serial.count(b"\n") == len(lines) - 2
    tasks, code, parallel = run_into_file(tmp_path, monkeypatch, program, path, 2, chunk)
    assert (code, parallel, capsys.readouterr().err) == (1, serial, said)
    ranges = [task for task in tasks if isinstance(task, tuple)]
    assert len(ranges) == len(tasks) - (end == "") > 1
    assert "of 175 points landed on a kink" in said and "error: 7 of 175 points failed" in said


@needs_fork
def test_workers_reading_a_csv_file_themselves(tmp_path, monkeypatch, capsys):
    """A late header (read in the main process, inherited), CRLF line ends, bad rows past the serial chunks."""
    rows = ["", " ", "b,a"] + [f"{k % 5 - 2},{k / 3}" for k in range(90)] + ["1", "x,2", "nan,1", "2,3"]
    path = tmp_path / "points.csv"
    path.write_text("\r\n".join(rows) + "\r\n")
    tasks, code, serial = run_into_file(tmp_path, monkeypatch, LECTURE, path, 0, 2)
    said = capsys.readouterr().err
    assert tasks == [] and code == 1 and "error: 3 of 94 points failed" in said
    tasks, code, parallel = run_into_file(tmp_path, monkeypatch, LECTURE, path, 2, 2)
    assert (code, parallel, capsys.readouterr().err) == (1, serial, said)
    assert len(tasks) > 1 and all(isinstance(task, tuple) for task in tasks)


@needs_fork
def test_a_worker_writing_its_results_itself_raising_or_dying_stops_the_output_in_order(tmp_path, monkeypatch):
    """An exception in a worker is raised again in the main process, a worker that dies is a WorkerError;
    either way no line after the chunk is out (their workers never get the turn), and after an exception
    every line before it is."""
    path = tmp_path / "points.jsonl"
    path.write_text(ndjson([(k, k + 1) for k in range(200)]))
    for when, raised in ((lambda main: True, ZeroDivisionError),
                         (lambda main: os.getpid() != main and os._exit(9), batch_workers.WorkerError)):
        for line in (9, 15, 23):  # a worker's first task, or one it may evaluate while an earlier one waits
            with monkeypatch.context() as m:
                _raise_in_chunk(m, when, line)
                for workers in (0, 2) if raised is ZeroDivisionError else (2,):
                    tasks, error, out = run_into_file(tmp_path, monkeypatch, LECTURE, path, workers, chunk=2)
                    assert isinstance(error, raised) and bool(tasks) == (workers == 2)  # the pool was given some
                    written = [json.loads(text)["line"] for text in out.splitlines()]
                    if raised is ZeroDivisionError:
                        assert written == list(range(1, line))
                    else:  # what the dead worker had evaluated but not yet written is lost with it
                        assert written == list(range(1, len(written) + 1)) and 9 <= len(written) + 1 <= line
