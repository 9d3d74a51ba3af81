"""`cgrad check` over a class folder, used carelessly or with hostile files: nothing is lost or hangs.

An output path that is one of the inputs is refused before anything is written; a student's text cannot
break the JUnit XML; a FIFO among the answers is skipped and named; a nan score is an input error.
"""
import json
import os
import shutil
import time
import xml.dom.minidom
from pathlib import Path

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli
from cgrad_cli.grading.assignment import Grade, Item
from cgrad_cli.render.grades import junit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def folder(tmp_path):
    shutil.copy(EXAMPLES / "hw1.toml", tmp_path / "hw1.toml")
    shutil.copytree(EXAMPLES / "answers", tmp_path / "answers")
    (tmp_path / "answers" / "dave.toml").unlink()  # the malformed one: a class run with it exits 2
    return tmp_path


def run(*args, cwd=None):
    old = os.getcwd()
    os.chdir(cwd or old)
    try:
        return CliRunner().invoke(cli, ["check", *map(str, args)])
    finally:
        os.chdir(old)


def unchanged(path: Path, before: bytes):
    assert path.read_bytes() == before


@pytest.mark.parametrize("option", ["--junit", "--gradescope"])
def test_report_path_equal_to_the_answers_file_is_refused(folder, option):
    answers = folder / "answers" / "alice.toml"
    before = answers.read_bytes()
    result = run("hw1.toml", "--answers", "answers/alice.toml", option, "answers/alice.toml", cwd=folder)
    assert result.exit_code == 2 and f"{option} answers/alice.toml would overwrite the input" in result.stderr
    unchanged(answers, before)


def test_report_path_equal_to_the_assignment_through_dotdot_is_refused(folder):
    before = (folder / "hw1.toml").read_bytes()
    result = run("hw1.toml", "--answers", "answers/", "--junit", "answers/../hw1.toml", cwd=folder)
    assert result.exit_code == 2 and "would overwrite the input hw1.toml" in result.stderr
    unchanged(folder / "hw1.toml", before)


def test_report_path_through_a_symlink_to_an_input_is_refused(folder):
    (folder / "link.json").symlink_to(folder / "answers" / "bob.json")
    before = (folder / "answers" / "bob.json").read_bytes()
    result = run("hw1.toml", "--answers", "answers/bob.json", "--gradescope", "link.json", cwd=folder)
    assert result.exit_code == 2 and "would overwrite the input answers/bob.json" in result.stderr
    unchanged(folder / "answers" / "bob.json", before)


def test_reports_are_written_whole_and_leave_no_temporary_file(folder):
    result = run("hw1.toml", "--answers", "answers/", "--junit", "grades.xml", cwd=folder)
    assert result.exit_code == 0
    xml.dom.minidom.parse(str(folder / "grades.xml"))
    assert not [f for f in os.listdir(folder) if f.startswith(".cgrad-")]


def test_graph_output_equal_to_the_program_file_is_refused(tmp_path):
    program = tmp_path / "p.cg"
    program.write_text("e = (a+b)*(b+1)")
    result = CliRunner().invoke(cli, ["graph", "-f", str(program), "--a", "1", "--b", "2", "-o", str(program)])
    assert result.exit_code == 2 and "would overwrite the input" in result.stderr
    assert program.read_text() == "e = (a+b)*(b+1)"


HOSTILE = "]]></failure><x>\u0000\u001b&<'\"\ud800\uffff"


def test_student_text_in_junit_is_escaped_into_well_formed_xml():
    grade = Grade(HOSTILE, "x.json", [Item(HOSTILE, HOSTILE, HOSTILE, 0.0, 1.0, "wrong: " + HOSTILE)])
    text = junit([grade], HOSTILE)
    doc = xml.dom.minidom.parseString(text.encode("utf-8"))
    failure = doc.getElementsByTagName("failure")[0]
    assert failure.firstChild.data == "wrong: ]]></failure><x>&<'\""  # NUL, ESC, a surrogate, U+FFFF dropped
    assert doc.getElementsByTagName("testcase")[0].getAttribute("classname") == "]]></failure><x>&<'\""


def test_hostile_answers_file_yields_well_formed_reports(folder):
    (folder / "answers" / "mallory.json").write_text(json.dumps({"lecture": {"e": HOSTILE, "de/da": HOSTILE}}))
    result = run("hw1.toml", "--answers", "answers/", "--junit", "grades.xml", cwd=folder)
    assert result.exit_code == 0, result.stderr
    xml.dom.minidom.parse(str(folder / "grades.xml"))
    result = run("hw1.toml", "--answers", "answers/mallory.json", "--gradescope", "gs.json", cwd=folder)
    assert result.exit_code == 1, result.stderr
    assert json.loads((folder / "gs.json").read_text())["score"] == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_in_the_answers_folder_is_skipped_and_named(folder):
    os.mkfifo(folder / "answers" / "zed.json")
    start = time.perf_counter()
    result = run("hw1.toml", "--answers", "answers/", "--json", cwd=folder)
    assert time.perf_counter() - start < 30
    assert result.exit_code == 0 and "warning: skipped answers/zed.json: a FIFO, not a regular file" in result.stderr
    assert "zed" not in [s["student"] for s in json.loads(result.stdout)["students"]]
    result = run("hw1.toml", "--answers", "answers/zed.json", cwd=folder)
    assert result.exit_code == 2 and "not a regular file" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_skipped_entries_are_named_in_the_json_and_junit_reports(folder):
    os.mkfifo(folder / "answers" / "zed.json")
    os.mkfifo(folder / "answers" / "a|b`<x>.toml")
    result = run("hw1.toml", "--answers", "answers/", "--json", "--junit", "grades.xml", "--markdown", "r.md",
                 cwd=folder)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["skipped"] == [{"file": "answers/a|b`<x>.toml", "kind": "a FIFO"},
                                 {"file": "answers/zed.json", "kind": "a FIFO"}]
    import jsonschema

    import cgrad_cli

    schema = Path(cgrad_cli.__file__).parent / "schemas" / "check.schema.json"
    jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8"))).validate(report)
    doc = xml.dom.minidom.parse(str(folder / "grades.xml"))
    skipped = doc.getElementsByTagName("skipped")
    assert [s.parentNode.getAttribute("name") for s in skipped] == ["answers/a|b`<x>.toml", "answers/zed.json"]
    assert skipped[1].getAttribute("message") == "a FIFO, not a regular file: not read"
    assert doc.documentElement.getAttribute("skipped") == "2"
    assert "2 other entries not read (not regular files)" in (folder / "r.md").read_text()
    assert "zed" not in (folder / "r.md").read_text()  # the class report names no student


@pytest.mark.parametrize("line, key", [("score = nan", "score"), ("score = -1", "score"), ("score = inf", "score"),
                                       ("rtol = inf", "rtol"), ("atol = nan", "atol")])
def test_non_finite_or_negative_score_or_tolerance_is_refused_naming_the_key(folder, line, key):
    text = (folder / "hw1.toml").read_text()
    head = "[problems.lecture]\n"
    assert head in text
    (folder / "bad.toml").write_text(text.replace(head, head + line + "\n", 1))
    result = run("bad.toml", "--json", cwd=folder)
    assert result.exit_code == 2, result.stderr
    assert f"key problems.lecture.{key}: {key} must be a finite number >= 0" in result.stderr


def _unescaped(line: str, char: str) -> int:
    """How many times `char` stands in `line` not escaped by a backslash."""
    count, k = 0, 0
    while k < len(line):
        if line[k] == "\\":
            k += 2
            continue
        count += line[k] == char
        k += 1
    return count


def test_markdown_report_escapes_hostile_text_so_the_table_holds():
    from cgrad_cli.grading.assignment import Assignment
    from cgrad_cli.grading.summary import Misconception, QuantitySummary
    from cgrad_cli.render.grades import markdown

    hostile = "# x | `y` <b>\n- z\x1b[31m\x00 \\| *w* [l](u)"
    summary = [QuantitySummary(hostile, hostile, 3, 1, {"wrong": 1}, [Misconception(hostile, True, 1)]),
               QuantitySummary("p", "- q", 3, 3)]
    assignment = Assignment.__new__(Assignment)
    assignment.title, assignment.problems = hostile, []
    text = markdown(assignment, [], summary, [("answers/" + hostile, "a FIFO")])
    lines = text.splitlines()
    assert "\x1b" not in text and "\x00" not in text and "<" not in text.replace("&lt;", "")
    assert [line for line in lines if line.startswith("#")] == [lines[0], "## What went wrong"]
    assert lines[0] == r"# \# x \| \`y\` &lt;b> - z\[31m \\\| \*w\* \[l\](u): class report"
    rows = [line for line in lines if line.startswith("|")]
    assert len(rows) == 4 and all(_unescaped(row, "|") == 4 for row in rows)  # three cells a row, no more
    assert rows[3] == "| p | \\- q | 3 of 3 |"
    assert all(_unescaped(line, "`") == 0 for line in lines)
    items = [line for line in lines if line.startswith("- ")]
    assert items and all(not line[2:].startswith(("#", "-")) for line in items)
    assert "answers/" not in text  # skipped entries are counted, not named: the report names no student
