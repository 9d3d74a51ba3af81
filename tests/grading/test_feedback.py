"""What a student and a teacher read: reasons and values as data, rounding, unknown keys, a hidden key,
the class summary, Markdown, Gradescope and JUnit."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from cgrad_cli.cli import cli
from cgrad_cli.grading.assignment import grade_file, load_assignment
from cgrad_cli.grading.summary import summarize

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HW1 = str(EXAMPLES / "hw1.toml")
ANSWERS = EXAMPLES / "answers"

HW = """title = "t"
{top}
[problems.p1]
program = "c = a+b; d = b+1; e = c*d"
at = {{ a = 2, b = 1 }}
{problem}
[problems.p1.expect]
"de/db" = 5
"de/da" = 2

[problems.p2]
program = "y = x * exp(x^2)"
at = {{ x = 0.5 }}
[problems.p2.expect]
y = 0.6420127083438707
"""


def invoke(*args):
    return CliRunner().invoke(cli, list(args), prog_name="cgrad", env={"NO_COLOR": "1"})


def graded(tmp_path, answers: str, top: str = "", problem: str = ""):
    hw = tmp_path / "hw.toml"
    hw.write_text(HW.format(top=top, problem=problem), encoding="utf-8")
    student = tmp_path / "s.toml"
    student.write_text(answers, encoding="utf-8")
    return grade_file(load_assignment(str(hw)), str(student))


def item(g, quantity, problem="p1"):
    return next(i for i in g.items if i.quantity == quantity and i.problem == problem)


def test_items_carry_reason_values_and_the_diagnosis(tmp_path):
    g = graded(tmp_path, '[p1]\n"de/db" = 2\n"de/da" = "2*"\n[p2]\ny = 0.642013\n')
    wrong = item(g, "∂e/∂b")
    assert (wrong.reason, wrong.got, wrong.expected) == ("wrong", 2.0, 5.0)
    assert "your answer: 2; correct: 5" in wrong.output and not wrong.diagnosis.sure
    assert wrong.output.endswith(wrong.diagnosis.text()) and "could be (most likely first)" in wrong.output
    assert item(g, "∂e/∂a").reason == "syntax" and item(g, "y", "p2").reason == "right"


def test_a_hand_rounded_number_is_named_and_gets_the_credit_set(tmp_path):
    answers = '[p1]\n"de/db" = 5\n"de/da" = 2\n[p2]\ny = 0.642\n'
    y = item(graded(tmp_path, answers), "y", "p2")
    assert y.reason == "rounded" and y.score == 0  # rtol 1e-5 and no credit for rounding by default
    assert "0.642: right to 3 significant figures; this problem's tolerance (rtol 1e-05) asks for about 5" \
        in y.output
    y = item(graded(tmp_path, answers, top="sig_figs = 5\nrounded_credit = 0.5"), "y", "p2")
    assert y.reason == "rounded" and y.score == 0.5 and "this problem asks for 5" in y.output
    y = item(graded(tmp_path, answers, top="sig_figs = 4"), "y", "p2")
    assert y.reason == "right"  # 0.642 is 0.6420: right to 4 figures
    y = item(graded(tmp_path, answers, top="sig_figs = 3"), "y", "p2")
    assert y.reason == "right" and y.score == 1  # right to the 3 figures asked
    y = item(graded(tmp_path, answers.replace("0.642", "0.643"), top="sig_figs = 3"), "y", "p2")
    assert y.reason == "wrong" and y.score == 0  # not rounding: the third figure is wrong


def test_an_unknown_problem_key_is_reported_with_did_you_mean(tmp_path):
    g = graded(tmp_path, '[P1]\n"de/db" = 5\n"de/da" = 2\n[p2]\ny = 0.6420127083438707\n')
    assert g.notes == ["[P1] is not a problem of this assignment: did you mean 'p1'?"]
    assert item(g, "∂e/∂b").reason == "unrecognised" and "[P1]" in item(g, "∂e/∂b").output
    g = graded(tmp_path, '[problem1]\n"de/db" = 5\n[p1]\n"de/dB" = 5\n"de/da" = 2\n')
    assert any("[problem1] is not a problem" in n for n in g.notes)
    assert '[p1] "de/dB" is not a quantity of this problem: did you mean \'de/db\'?' in g.notes
    assert item(g, "y", "p2").reason == "missing" and item(g, "y", "p2").output == "no answer"


def test_a_hidden_key_never_shows_the_correct_value(tmp_path):
    g = graded(tmp_path, '[p1]\n"de/db" = 8\n"de/da" = 2\n[p2]\ny = 0.7\n', top="hide_key = true")
    wrong = item(g, "∂e/∂b")
    assert wrong.key_hidden and "correct" not in wrong.output and "right step" not in wrong.output
    assert "your answer: 8" in wrong.output and "why: the path e → d → b counted twice" in wrong.output
    assert "0.642" not in item(g, "y", "p2").output
    from cgrad_cli.render.grades import grade_json

    doc = grade_json(g)["items"][0]
    assert "expected" not in doc and doc["got"] == 8 and doc["diagnosis"]["candidates"][0]["right"] is None


def test_the_class_summary_counts_misconceptions(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for k, answer in enumerate(["5", "8", "8", "2", "17"]):
        (folder / f"s{k}.toml").write_text(f'[lecture]\n"de/db" = {answer}\n', encoding="utf-8")
    hw = load_assignment(HW1)
    grades = [grade_file(hw, str(f)) for f in sorted(folder.iterdir())]
    q = next(s for s in summarize(grades) if s.problem == "lecture" and s.quantity == "∂e/∂b")
    assert (q.total, q.right) == (5, 1)
    assert [(m.count, m.sure) for m in q.misconceptions] == [(2, True), (1, False)]
    assert q.misconceptions[0].says.startswith("the path e → d → b counted twice")
    assert q.reasons == {"wrong": 1}  # 17: no single mistake explains it
    r = invoke("check", HW1, "--answers", str(folder), "--markdown", str(tmp_path / "r.md"), "--json")
    doc = json.loads(r.stdout)
    s = next(s for s in doc["summary"] if s["quantity"] == "∂e/∂b")
    assert s["misconceptions"][0] == {"says": q.misconceptions[0].says, "sure": True, "count": 2}
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "| lecture | ∂e/∂b | 1 of 5 |" in md and "- 2 of 5: the path e → d → b counted twice" in md
    assert "s1" not in md  # a report to post names no student


def test_gradescope_has_status_visibility_and_is_written_for_a_malformed_file(tmp_path):
    out = tmp_path / "results.json"
    r = invoke("check", HW1, "--answers", str(ANSWERS / "dave.toml"), "--gradescope", str(out),
               "--visibility", "after_due_date")
    assert r.exit_code == 2
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["score"] == 0 and "not valid TOML" in doc["output"] and doc["visibility"] == "after_due_date"
    assert {t["status"] for t in doc["tests"]} == {"failed"}
    assert all({"name", "score", "max_score", "status", "output", "visibility"} <= set(t) for t in doc["tests"])


def test_junit_test_cases_carry_their_points(tmp_path):
    xml = tmp_path / "g.xml"
    invoke("check", HW1, "--answers", str(ANSWERS / "bob.json"), "--junit", str(xml))
    cases = ET.parse(xml).getroot().findall(".//testcase")
    points = [{p.get("name"): p.get("value") for p in c.find("properties")} for c in cases]
    assert points[0] == {"points": "1", "max_points": "1"} and {"points": "0", "max_points": "2"} in points


# Gradescope's documented results.json (https://gradescope-autograders.readthedocs.io: "Output format"),
# the keys cgrad writes.
GRADESCOPE = {
    "type": "object", "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number"}, "max_score": {"type": "number"}, "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {"type": "array", "items": {
            "type": "object", "required": ["name", "score", "max_score", "status", "output", "visibility"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "score": {"type": "number"}, "max_score": {"type": "number"},
                           "status": {"enum": ["passed", "failed"]}, "output": {"type": "string"},
                           "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]}}}},
    },
}


def test_the_synthetic_class_through_summary_junit_and_gradescope(tmp_path):
    import jsonschema

    folder = EXAMPLES / "class"
    files = sorted(folder.glob("*.toml"))
    assert len(files) == 40
    xml = tmp_path / "class.xml"
    r = invoke("check", HW1, "--answers", str(folder), "--junit", str(xml), "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert len(doc["students"]) == 40 and len(doc["summary"]) == 10
    by_q = {(s["problem"], s["quantity"]): s for s in doc["summary"]}
    lecture_b = by_q[("lecture", "∂e/∂b")]
    assert lecture_b["right"] + sum(m["count"] for m in lecture_b["misconceptions"]) + \
        sum(lecture_b["reasons"].values()) == 40
    assert any(m["sure"] and "counted twice" in m["says"] for m in lecture_b["misconceptions"])
    root = ET.parse(xml).getroot()
    assert len(root) == 40 and root.get("tests") == "400"
    failure = root.find(".//failure")
    assert failure is not None and "your answer: " in failure.get("message")
    for f in files[:8]:
        out = tmp_path / f"{f.stem}.json"
        invoke("check", HW1, "--answers", str(f), "--gradescope", str(out))
        results = json.loads(out.read_text(encoding="utf-8"))
        jsonschema.validate(results, GRADESCOPE)
        assert results["score"] == sum(t["score"] for t in results["tests"])


def test_the_template_is_an_answer_file_that_grades_as_all_missing(tmp_path):
    r = invoke("template", HW1)
    assert r.exit_code == 0 and "[lecture]" in r.stdout and '"de/db" = ""' in r.stdout
    assert "#   program: c = a+b; d = b+1; e = c*d" in r.stdout and "give numbers to 4 significant figures" in r.stdout
    blank = tmp_path / "me.toml"
    blank.write_text(r.stdout, encoding="utf-8")
    g = grade_file(load_assignment(HW1), str(blank))
    assert g.error is None and {i.reason for i in g.items} == {"missing"} and not g.notes
    filled = tmp_path / "filled.toml"
    filled.write_text(r.stdout.replace('"de/db" = ""', '"de/db" = "5"', 1), encoding="utf-8")
    assert item(grade_file(load_assignment(HW1), str(filled)), "∂e/∂b", "lecture").reason == "right"
    assert invoke("template", str(tmp_path / "nope.toml")).exit_code == 2


def test_unary_plus_unicode_minus_and_an_overflowing_answer():
    r = invoke("check", "c = a+b; d = b+1; e = c*d", "--a", "2", "--b", "1", "--expect", "de/da=+2",
               "--expect", "de/db = (+5)")
    assert r.exit_code == 0, r.output
    r = invoke("check", "y = x", "--x", "1", "--expect", "dy/dx = 1; 2")
    assert r.exit_code == 2 and "one expression, not a program" in r.stderr
    r = invoke("check", "y = x", "--x", "1", "--expect", "dy/dx = −1")
    assert r.exit_code == 2 and "type '-'" in r.stderr
    r = invoke("check", "y = x", "--x", "1", "--expect", "dy/dx = 1e400", "--json")
    assert r.exit_code == 3 and json.loads(r.stderr.splitlines()[-1])["error"]["exit_code"] == 3


def test_a_plus_signed_answer_in_a_file_is_read(tmp_path):
    g = graded(tmp_path, '[p1]\n"de/db" = "+5"\n"de/da" = "(+2)"\n')
    assert item(g, "∂e/∂b").reason == item(g, "∂e/∂a").reason == "right"
