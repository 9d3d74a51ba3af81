"""Assignment files (`cgrad check hw1.toml`): the key checked, students graded, class runs, JUnit and Gradescope."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cgrad_cli.grading.assignment import AssignmentError, grade_file, grade_key, line_of, load_assignment
from cgrad_cli.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HW1 = str(EXAMPLES / "hw1.toml")
ANSWERS = EXAMPLES / "answers"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), prog_name="cgrad", env={"NO_COLOR": "1"})


def scores(grade):
    return {(i.problem, i.quantity): i.score for i in grade.items}


def test_the_key_is_right():
    hw = load_assignment(HW1)
    assert [p.id for p in hw.problems] == ["lecture", "formula", "sharing"]
    g = grade_key(hw)
    assert g.passed and g.score == g.max_score == hw.max_score == 14


def test_alice_is_right():
    g = grade_file(load_assignment(HW1), str(ANSWERS / "alice.toml"))
    assert g.passed and g.score == 14


def test_bob_gets_partial_credit_per_quantity():
    g = grade_file(load_assignment(HW1), str(ANSWERS / "bob.json"))
    s = scores(g)
    assert g.score == 9  # y = 0.642 is right to the 4 significant figures hw1 asks (0.6420)
    assert s[("sharing", "y")] == 2 and s[("lecture", "∂e/∂b")] == 0 and s[("lecture", "∂e/∂a")] == 1
    assert s[("formula", "∂e/∂b")] == 0 and s[("formula", "∂e/∂a")] == 2


def test_carol_right_at_one_point_only_typo_and_missing():
    g = grade_file(load_assignment(HW1), str(ANSWERS / "carol.toml"))
    out = {(i.problem, i.quantity): i.output for i in g.items}
    assert "a = -1, b = 3" in out[("formula", "∂e/∂a")]  # right at the first input set only
    assert "line 12" in out[("formula", "∂e/∂b")] and "unexpected 'b'" in out[("formula", "∂e/∂b")]
    assert out[("sharing", "∂y/∂x")] == "no answer"
    assert g.score == 8


def test_a_malformed_student_file_scores_0():
    g = grade_file(load_assignment(HW1), str(ANSWERS / "dave.toml"))
    assert g.score == 0 and "dave.toml, line 4" in g.error


def test_a_formula_right_at_the_given_points_only_fails(tmp_path):
    f = tmp_path / "eve.toml"
    # right at both input sets of `formula` (a+2b+1 = 5 and 6), wrong elsewhere
    f.write_text('[formula]\n"de/db" = "a + 2*b + 1 + (a-2)*(a+1)*(b-1)*(b-3)"\n', encoding="utf-8")
    g = grade_file(load_assignment(HW1), str(f))
    (item,) = [i for i in g.items if (i.problem, i.quantity) == ("formula", "∂e/∂b")]
    assert item.score == 0 and "random points" in item.output


@pytest.mark.parametrize("text, line, key, message", [
    ('[problems.p]\nat = {x = 1}\n[problems.p.expect]\ny = 1\n', 1, "problems.p", "needs program"),
    ('[problems.p]\nprogram = "y = 2x"\nat = {x = 1}\n[problems.p.expect]\ny = 1\n', 2, "problems.p.program",
     "does not parse"),
    ('[problems.p]\nprogram = "y = x"\nat = {x = 1}\n[problems.p.expect]\nz = 1\n', 5,
     "problems.p.expect.z", "no name 'z'"),
    ('[problems.p]\nprogram = "y = log(x)"\nat = {x = -1}\n[problems.p.expect]\ny = 1\n', 3, "problems.p.at",
     "undefined"),
    ('[problems.p]\nprogram = "y = x"\nat = {x = "one"}\n[problems.p.expect]\ny = 1\n', 3, "problems.p.at",
     "table of numbers"),
    ('[problems.p]\nprogram = "y = x"\nat = {x = 1}\n[problems.p.expect]\ny = true\n', 5, "problems.p.expect.y",
     "number or a formula"),
    ('[problems.p]\nprogram = "y = x"\nat = {x = 1}\nrtol = -1\n[problems.p.expect]\ny = 1\n', 4,
     "problems.p.rtol", "rtol"),
    ('[problems.p\nprogram = "y = x"\n', 1, None, "not valid TOML"),
    ('title = "empty"\n', None, None, "no [problems.NAME]"),
])
def test_malformed_assignments_name_file_line_and_key(tmp_path, text, line, key, message):
    f = tmp_path / "hw.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CgradErrorLike) as info:
        load_assignment(str(f))
    e = info.value
    assert message in e.message and str(f) in e.message and e.exit_code == 2
    if line is not None:
        assert f"line {line}" in e.message
    if key is not None:
        assert f"key {key}" in e.message


from cgrad_cli.errors import CgradError as CgradErrorLike  # noqa: E402  (AssignmentError or ExpectationError)


def test_line_of():
    text = '[a]\nx = 1\n[b]\n"de/db" = 2\nx = 3\n'
    assert line_of(text, "b", "x") == 5 and line_of(text, "a", "x") == 2 and line_of(text, "b", "de/db") == 4
    assert line_of(text, "c") is None


# --- the command --------------------------------------------------------------------------------------------

def test_cli_key_check():
    r = invoke("check", HW1)
    assert r.exit_code == 0 and "score 14 of 14" in r.stdout


def test_cli_one_student():
    assert invoke("check", HW1, "--answers", str(ANSWERS / "alice.toml")).exit_code == 0
    r = invoke("check", HW1, "--answers", str(ANSWERS / "bob.json"))
    assert r.exit_code == 1 and "score 9 of 14" in r.stdout


def test_cli_one_malformed_student_is_an_error():
    r = invoke("check", HW1, "--answers", str(ANSWERS / "dave.toml"))
    assert r.exit_code == 2 and "dave.toml, line 4" in r.stderr and "Traceback" not in r.stderr


def test_cli_class_run(tmp_path):
    xml = tmp_path / "grades.xml"
    r = invoke("check", HW1, "--answers", str(ANSWERS), "--junit", str(xml))
    assert r.exit_code == 2, r.output  # dave's file could not be graded: named on stderr
    assert r.stderr.startswith("error: not graded: ") and "dave.toml" in r.stderr
    assert "4 students" in r.stdout and "files not graded: 1" in r.stdout
    root = ET.parse(xml).getroot()
    assert [s.get("name") for s in root] == ["alice", "bob", "carol", "dave"]
    assert root[0].get("failures") == "0" and root[3].get("failures") == "10"


def test_cli_class_json():
    r = invoke("check", HW1, "--answers", str(ANSWERS), "--json")
    doc = json.loads(r.stdout)
    assert {s["student"]: s["score"] for s in doc["students"]} == {"alice": 14, "bob": 9, "carol": 8, "dave": 0}


def test_cli_gradescope(tmp_path):
    out = tmp_path / "results.json"
    r = invoke("check", HW1, "--answers", str(ANSWERS / "bob.json"), "--gradescope", str(out))
    assert r.exit_code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["score"] == 9 and len(doc["tests"]) == 10
    assert {"name", "score", "max_score", "output"} <= set(doc["tests"][0])
    assert invoke("check", HW1, "--answers", str(ANSWERS), "--gradescope", str(out)).exit_code == 2


def test_cli_assignment_options_need_an_assignment():
    r = invoke("check", "y = x", "--x", "1", "--expect", "y=1", "--answers", "a.toml")
    assert r.exit_code == 2 and "assignment file" in r.stderr


def test_a_bad_formula_in_the_key_is_an_error(tmp_path):
    f = tmp_path / "hw.toml"
    f.write_text('[problems.p]\nprogram = "y = x^2"\nat = {x = 1}\n[problems.p.expect]\n"dy/dx" = "2x"\n',
                 encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"line 5, key problems.p.expect.\"dy/dx\": unexpected 'x'"):
        load_assignment(str(f))


# --- tensor problems: array inputs, array answers, formulas with arrays ----------------------------------------

TENSOR_HW = '''title = "Homework 2: a softmax classifier"
[problems.softmax]
program = "z = W @ x; y = softmax(z); C = -log(y[r])"
at = { W = [[1, 2], [3, 4]], x = [1, -1], r = 1 }
[problems.softmax.expect]
y = [0.5, 0.5]
"dC/dz" = "y - onehot(r, 2)"
"dC/dW" = "reshape(y - onehot(r, 2), 2, 1) @ [x]"
'''


def test_a_tensor_assignment_grades_arrays_and_formulas(tmp_path):
    hw = tmp_path / "hw2.toml"
    hw.write_text(TENSOR_HW, encoding="utf-8")
    assignment = load_assignment(str(hw))
    assert grade_key(assignment).passed
    student = tmp_path / "eve.toml"
    student.write_text('[softmax]\ny = [0.5, 0.5]\n"dC/dz" = "[0.5, -0.5]"\n"dC/dW" = [[0.5, -0.5], [0.5, -0.5]]\n',
                       encoding="utf-8")
    g = grade_file(assignment, str(student))
    assert scores(g) == {("softmax", "y"): 1, ("softmax", "∂C/∂z"): 1, ("softmax", "∂C/∂W"): 0}
    wrong = g.items[2]
    assert wrong.answer == "[[0.5, -0.5], [0.5, -0.5]]"
    assert "wrong at the given point: 2 of 4 elements differ; at [1, 0] your answer: 0.5; correct: -0.5" \
        in wrong.output
    student.write_text('[softmax]\n"dC/dW" = [0.5, -0.5]\n', encoding="utf-8")
    (_, _, item) = grade_file(assignment, str(student)).items
    assert "wrong shape: your answer is a 2-vector; correct: a 2×2 array (the shape of ∂C/∂W)" in item.output


def test_a_derivative_of_a_vector_in_the_key_is_an_error(tmp_path):
    f = tmp_path / "hw.toml"
    f.write_text(TENSOR_HW + '"dy/dx" = 0\n', encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"key problems.softmax.expect.\"dy/dx\": 'y' is a 2-vector"):
        load_assignment(str(f))
