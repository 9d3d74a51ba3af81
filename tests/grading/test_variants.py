"""Per-student variants: inputs drawn per student (the same every run), graded on the student's own
variant, copies of a classmate's numbers flagged, and the problem sheet (`cgrad sheet`)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli
from cgrad_cli.grading.assignment import AssignmentError, grade_file, load_assignment
from cgrad_cli.grading.summary import copies

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HW2 = str(EXAMPLES / "variants.toml")
ANSWERS = EXAMPLES / "variant-answers"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), prog_name="cgrad", env={"NO_COLOR": "1"})


def write(tmp_path, text, name="hw.toml"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return str(f)


def test_a_variant_is_the_same_every_run_and_differs_between_students():
    hw = load_assignment(HW2)
    lecture = hw.problems[0]
    alice = lecture.variant(hw.seed, "alice")
    assert alice == load_assignment(HW2).problems[0].variant(hw.seed, "alice")  # another load, the same draw
    drawn = {s: tuple(lecture.variant(hw.seed, s)[0].values()) for s in (f"s{k}" for k in range(30))}
    assert len(set(drawn.values())) > 5  # students get different points
    for a, b in drawn.values():
        assert a in {1 + 0.5 * k for k in range(9)} and b in {1.0, 2.0, 3.0}  # on the step grid, among the choices
    assert lecture.variant(hw.seed + 1, "alice") != alice or lecture.variant(hw.seed + 2, "alice") != alice


def test_draws_on_a_domain_error_or_a_kink_are_drawn_again(tmp_path):
    hw = load_assignment(write(tmp_path, 'seed = 3\n[problems.p]\nprogram = "y = log(x - 1) + relu(x - 2)"\n'
                                         'at = { x = { range = [1, 3], step = 1 } }\n'
                                         '[problems.p.expect]\n"dy/dx" = "1/(x - 1) + step(x - 2)"\n'))
    # x = 1: log(0) is undefined; x = 2: relu's kink; so every student gets x = 3
    assert {hw.problems[0].variant(hw.seed, f"s{k}")[0]["x"] for k in range(20)} == {3.0}


@pytest.mark.parametrize("problem, message", [
    ('program = "y = log(x)"\nat = { x = { range = [-2, 0] } }\n[problems.p.expect]\n"dy/dx" = "1/x"',
     "no draw of x in 100"),
    ('program = "y = 2*x"\nat = { x = { range = [1, 2] } }\n[problems.p.expect]\n"dy/dx" = 2',
     "the key's answers must be formulas"),
    ('program = "y = 2*x"\nat = { x = { range = [3, 1] } }\n[problems.p.expect]\n"dy/dx" = "2"',
     "low <= high"),
    ('program = "y = 2*x"\nat = { x = { pick = [1, 2] } }\n[problems.p.expect]\n"dy/dx" = "2"',
     "{ range = [low, high], step = s } or { choice = [...] }"),
])
def test_a_bad_variant_declaration_is_an_error(tmp_path, problem, message):
    with pytest.raises(AssignmentError) as info:
        load_assignment(write(tmp_path, f"[problems.p]\n{problem}\n"))
    assert message in info.value.message


def test_grading_uses_the_students_own_variant_and_the_files_id():
    hw = load_assignment(HW2)
    alice = grade_file(hw, str(ANSWERS / "alice.toml"))
    assert alice.passed and alice.variants["lecture"] == hw.problems[0].variant(hw.seed, "alice")
    bob = grade_file(hw, str(ANSWERS / "bob.toml"))  # alice's numbers: wrong on bob's own variant
    assert not bob.passed and "at a = 3, b = 2" in bob.items[0].output
    carol = grade_file(hw, str(ANSWERS / "carol-hw2.toml"))
    assert carol.student_id == "carol" and carol.variants["lecture"] == hw.problems[0].variant(hw.seed, "carol")


def test_a_classmates_numbers_are_flagged():
    hw = load_assignment(HW2)
    grades = [grade_file(hw, str(f)) for f in sorted(ANSWERS.iterdir())]
    found = copies(hw, grades)
    assert [(c.student, c.other) for c in found] == [("bob", "alice")]
    assert found[0].quantities == ["lecture ∂e/∂a", "neuron ∂y/∂w"]
    r = invoke("check", HW2, "--answers", str(ANSWERS))
    assert ("copying? bob's answers match the key of alice's variant (lecture ∂e/∂a, neuron\n    ∂y/∂w)"
            in r.stdout)  # folded at 80 columns
    doc = json.loads(invoke("check", HW2, "--answers", str(ANSWERS), "--json").stdout)
    assert doc["copies"] == [{"student": "bob", "matches": "alice", "others": 0, "quantities": found[0].quantities}]
    assert doc["students"][0]["variant"]["lecture"] == [{"a": 1.0, "b": 3.0}]


def test_the_sheet_shows_the_students_inputs_and_the_key_matches_grading(tmp_path):
    hw = load_assignment(HW2)
    at = hw.problems[0].variant(hw.seed, "bob")[0]
    r = invoke("sheet", HW2, "--student", "bob")
    assert r.exit_code == 0
    assert "c = a+b; d = b+1; e = c*d" in r.stdout and f"At a = {at['a']:g}, b = {at['b']:g}" in r.stdout
    assert "compute: ∂e/∂a, ∂e/∂b." in r.stdout and "right to 4 significant figures" not in r.stdout
    assert "give numbers to 4 significant figures" in r.stdout and "**∂e/∂a**" not in r.stdout  # no key without --key
    key = json.loads(invoke("sheet", HW2, "--student", "bob", "--key", "--format", "json").stdout)
    values = {k["quantity"]: k["values"][0] for k in key["problems"][0]["key"]}
    assert values == {"∂e/∂a": at["b"] + 1, "∂e/∂b": at["a"] + 2 * at["b"] + 1}
    with_key = invoke("sheet", HW2, "--student", "bob", "--key").stdout
    assert "∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b" in with_key  # cgrad explain's working
    tex = invoke("sheet", HW2, "--student", "bob", "--key", "--format", "latex").stdout
    assert tex.startswith(r"\documentclass{article}") and tex.rstrip().endswith(r"\end{document}")


def test_one_sheet_per_student_of_a_roster(tmp_path):
    roster = write(tmp_path, "alice\n# a comment\nbob  # and another\n\n", "roster.txt")
    out = tmp_path / "sheets"
    r = invoke("sheet", HW2, "--students", roster, "--out", str(out))
    assert r.exit_code == 0 and sorted(p.name for p in out.iterdir()) == ["alice.md", "bob.md"]
    assert (out / "alice.md").read_text(encoding="utf-8") == invoke("sheet", HW2, "--student", "alice").stdout
    bad = write(tmp_path, "../evil\n", "bad.txt")
    assert invoke("sheet", HW2, "--students", bad, "--out", str(out)).exit_code == 2
    assert invoke("sheet", HW2).exit_code == 2 and invoke("sheet", HW2, "--students", roster).exit_code == 2


@pytest.mark.parametrize("spec, flagged", [("{ range = [1, 9], step = 0.01 }", True), ("{ choice = [1, 2] }", False)])
def test_a_copy_is_flagged_unless_the_numbers_are_common(tmp_path, spec, flagged):
    hw = load_assignment(write(tmp_path, f'[problems.p]\nprogram = "y = a*a*x"\nat = {{ a = {spec}, x = 3 }}\n'
                                         '[problems.p.expect]\n"dy/dx" = "a*a"\n"dy/da" = "2*a*x"\n'))
    variant = {f"s{k:02d}": hw.problems[0].variant(hw.seed, f"s{k:02d}")[0]["a"] for k in range(20)}
    source = next(s for s in sorted(variant) if variant[s] != variant["s01"])  # a classmate with other numbers
    theirs = variant[source]
    folder = tmp_path / "class"
    folder.mkdir()
    for k in range(20):  # s01 writes the source's numbers; everyone else answers 0
        answers = f'"dy/dx" = {theirs ** 2}\n"dy/da" = {6 * theirs}\n' if k == 1 else '"dy/dx" = 0\n"dy/da" = 0\n'
        (folder / f"s{k:02d}.toml").write_text("[p]\n" + answers, encoding="utf-8")
    grades = [grade_file(hw, str(f)) for f in sorted(folder.iterdir())]
    found = [(c.student, c.other, c.others) for c in copies(hw, grades)]
    if flagged:  # a fine range: the source's numbers are (nearly) the source's alone
        assert found == [("s01", source, sum(a == theirs for a in variant.values()) - 1)]
    else:  # two choices: about half the class has those numbers, so they say nothing
        assert found == [] and sum(a == theirs for a in variant.values()) > 2
