"""The --json documents of diff, explain, trace, gradcheck, check, jacobian and hessian against their JSON Schemas.

Each command is run in-process on a few programs (the lecture example, a kink, a factored
explanation, a derivative big enough to come back as a program, the three forms of check) and
its stdout validated against cgrad_cli/schemas/COMMAND.schema.json.  The schemas document the
output as it is: a test that fails here means the output or its schema must change with it.
eval and errors are covered by test_render_json.py; the envelope every command's document shares
("$schema" and "version" first, "source", {node, kind, message} warnings) is checked here for all,
eval included.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli.cli import cli
from cgrad_cli.render.json import VERSIONS

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(cgrad_cli.__file__).parent / "schemas"
NAMES = ["diff", "explain", "trace", "gradcheck", "check", "jacobian", "hessian", "sheet"]
COMMANDS = ["eval", *NAMES]  # every command with a --json document
SCHEMA = {name: json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")) for name in COMMANDS}
VALIDATOR = {name: jsonschema.Draft202012Validator(s) for name, s in SCHEMA.items()}

LECTURE = "c = a+b; d = b+1; e = c*d"
AT = ["--a", "2", "--b", "1"]
KINK = ["y = relu(x)", "--x", "0"]
FACTORED = ["x1 = x0*x0; x2 = x1*x1; x3 = x2*x2", "--x0", "1.1", "--max-terms", "4"]
CHAIN = "; ".join(f"x{i} = 0.5*x{i - 1}*x{i - 1} + 0.25*x{i - 1}" for i in range(1, 61))
HW1 = str(ROOT / "examples" / "hw1.toml")
HW2 = str(ROOT / "examples" / "variants.toml")
ANSWERS = ROOT / "examples" / "answers"


def run(*args, code=0) -> dict:
    result = CliRunner().invoke(cli, list(args), prog_name="cgrad")
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr == "" or result.stderr.startswith("warning: ") or \
        code == 2 and result.stderr.startswith("error: not graded: "), result.stderr  # a class run names its files
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1  # one line
    return json.loads(result.stdout)


def valid(name: str, doc: dict) -> dict:
    VALIDATOR[name].validate(doc)
    return doc


# --- the schemas themselves -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", COMMANDS)
def test_schema_is_a_valid_draft_2020_12_schema(name):
    assert SCHEMA[name]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA[name]["$id"] == f"https://cgrad.dev/schemas/{name}-{VERSIONS.get(name, 1)}.json"
    jsonschema.Draft202012Validator.check_schema(SCHEMA[name])


def _described(schema, parent_properties=None, path="#"):
    """Paths of fields without a description.  A field restated inside an allOf/oneOf branch only
    to constrain it may go undescribed when the object the branch belongs to describes it."""
    if isinstance(schema, list):
        for k, sub in enumerate(schema):
            yield from _described(sub, parent_properties, f"{path}/{k}")
        return
    if not isinstance(schema, dict):
        return
    own = schema.get("properties", {})
    for name, sub in own.items():
        where = f"{path}/properties/{name}"
        restated = ("/oneOf/" in where or "/allOf/" in where) and name in (parent_properties or {})
        if not (sub.get("description") or "$ref" in sub or restated):
            yield where
    for key, sub in schema.items():
        if key in ("const", "enum"):
            continue
        inherit = own or parent_properties if key in ("oneOf", "allOf", "anyOf") else parent_properties
        if key == "properties":
            inherit = None
        yield from _described(sub, inherit, f"{path}/{key}")


@pytest.mark.parametrize("name", COMMANDS)
def test_every_field_is_described(name):
    schema = SCHEMA[name]
    assert schema.get("description")
    assert list(_described(schema)) == []
    for key, sub in schema.get("$defs", {}).items():
        assert sub.get("description"), f"$defs/{key} has no description"


# --- the documents ----------------------------------------------------------------------------------------

def test_diff_lecture():
    doc = valid("diff", run("diff", LECTURE, *AT, "--json"))
    assert doc["derivatives"]["b"] == {"text": "a + 2*b + 1", "latex": "a + 2 b + 1", "program": None, "value": 5.0}
    doc = valid("diff", run("diff", LECTURE, "--json"))
    assert doc["at"] is None and doc["derivatives"]["a"]["value"] is None


def test_diff_kink_and_order():
    valid("diff", run("diff", *KINK, "--json"))
    doc = valid("diff", run("diff", "y = x^3", "--order", "2", "--json"))
    assert doc["order"] == 2 and doc["derivatives"]["x"]["text"] == "6*x"
    valid("diff", run("diff", LECTURE, "--keep", "--wrt", "b", "--json"))


def test_diff_and_hessian_of_a_tensor_program():
    tensors = ("--A", "[[1, 2], [3, 4]]", "--x", "[1, -1]")
    doc = valid("diff", run("diff", "f = x.T @ A @ x", *tensors, "--json"))
    assert doc["derivatives"]["x"]["text"] == "(A + A.T) @ x" and doc["derivatives"]["x"]["value"] == [-3.0, -3.0]
    assert doc["at"] == {"A": [[1, 2], [3, 4]], "x": [1, -1]}
    doc = valid("hessian", run("hessian", "f = x.T @ A @ x", *tensors, "--wrt", "x", "--json"))
    assert doc["wrt"] == ["x[0]", "x[1]"] and doc["hessian"] == [[2.0, 5.0], [5.0, 8.0]]


@pytest.mark.parametrize("at", [[], ["--x0", "0.3"]])
def test_diff_a_large_derivative_comes_back_as_a_program(at):
    doc = valid("diff", run("diff", CHAIN, *at, "--json"))
    d = doc["derivatives"]["x0"]
    assert d["text"] is None and d["latex"] is None and d["program"].startswith("t1 = ")
    assert (d["value"] is None) == (not at)


def test_explain_paths_and_kink():
    doc = valid("explain", run("explain", LECTURE, *AT, "--json"))
    assert [t["form"] for t in doc["wrt"]] == ["paths", "paths"] and doc["wrt"][1]["gradient"] == 5.0
    doc = valid("explain", run("explain", *KINK, "--json"))
    assert doc["warnings"][0]["kind"] == "kink"
    valid("explain", run("explain", LECTURE, *AT, "--wrt", "c,e", "--json"))  # e: a path with no factors


def test_explain_factored_and_named_intermediates():
    doc = valid("explain", run("explain", *FACTORED, "--json"))
    t = doc["wrt"][0]
    assert t["form"] == "factored" and t["terms"] is None and t["equation"] is None and t["steps"]
    doc = valid("explain", run("explain", "y = sin(x^2 + 3*x + 1)*cos(x^2 + 3*x + 1) + exp(x)", "--x", "0.5",
                                "--json"))
    assert doc["names"]["v1"]["definition"] == "x^2"


def test_explain_astronomical_path_count():
    doc = valid("explain", run("explain", CHAIN, "--x0", "0.3", "--json"))
    assert isinstance(doc["wrt"][0]["paths"], float)


@pytest.mark.parametrize("args", [[LECTURE, *AT], KINK, ["y=x*x; z = y+1", "--x", "2", "--output", "y", "--wrt", "x,y"]],
                         ids=["lecture", "kink", "wrt"])
def test_trace(args):
    doc = valid("trace", run("trace", *args, "--json"))
    assert doc["agree"] is True


def test_gradcheck():
    doc = valid("gradcheck", run("gradcheck", LECTURE, *AT, "--json"))
    assert doc["ok"] and doc["inputs"]["b"]["status"] == "ok"
    doc = valid("gradcheck", run("gradcheck", *KINK, "--json"))
    assert doc["inputs"]["x"]["status"] == "kink" and [tuple(w) for w in doc["warnings"]] == [
        ("node", "kind", "message"), ("node", "kind", "message", "input")]
    assert doc["warnings"][1]["node"] == doc["warnings"][0]["node"] == 1  # the relu node, also for the input
    doc = valid("gradcheck", run("gradcheck", "y = log(x)", "--x", "1e-7", "--json"))
    assert doc["inputs"]["x"]["numeric"] is None and doc["inputs"]["x"]["status"] == "domain"
    valid("gradcheck", run("gradcheck", "y = 2", "--json"))  # no inputs


def test_check_one_line():
    doc = valid("check", run("check", LECTURE, *AT, "--expect", "e=6", "--expect", "de/db = a + 2*b + 1", "--json"))
    assert doc["pass"] and doc["checks"][1]["random"]["checked"] == 20
    doc = valid("check", run("check", LECTURE, *AT, "--expect", "de/da=3", "--json", code=1))
    assert not doc["pass"] and doc["checks"][0]["note"]
    doc = valid("check", run("check", *KINK, "--expect", "dy/dx = 0", "--json"))
    assert doc["warnings"]
    doc = valid("check", run("check", LECTURE, *AT, "--expect", "de/db = a + b + 2", "--points", "5", "--json",
                             code=1))
    assert doc["checks"][0]["random"] is not None


def test_check_assignment_key_and_student():
    doc = valid("check", run("check", HW1, "--json"))
    assert doc["grade"]["student"] == "key" and doc["grade"]["score"] == doc["max_score"]
    doc = valid("check", run("check", HW1, "--answers", str(ANSWERS / "alice.toml"), "--json"))
    assert doc["grade"]["student"] == "alice"
    doc = valid("check", run("check", HW1, "--answers", str(ANSWERS / "bob.json"), "--json", code=1))
    assert doc["grade"]["score"] < doc["max_score"]


def test_check_class():
    doc = valid("check", run("check", HW1, "--answers", str(ANSWERS) + "/", "--json", code=2))
    students = {s["student"]: s for s in doc["students"]}
    assert set(students) == {"alice", "bob", "carol", "dave"}
    assert students["dave"]["error"] and students["dave"]["score"] == 0


# --- negative: the shape is fixed -------------------------------------------------------------------------

SAMPLES = {
    "eval": lambda: run("eval", LECTURE, *AT, "--json"),
    "jacobian": lambda: run("jacobian", LECTURE, *AT, "--json"),
    "hessian": lambda: run("hessian", LECTURE, *AT, "--json"),
    "diff": lambda: run("diff", LECTURE, *AT, "--json"),
    "explain": lambda: run("explain", *FACTORED, "--json"),
    "trace": lambda: run("trace", LECTURE, *AT, "--json"),
    "gradcheck": lambda: run("gradcheck", LECTURE, *AT, "--json"),
    "check": lambda: run("check", LECTURE, *AT, "--expect", "e=6", "--json"),
    "check-grade": lambda: run("check", HW1, "--json"),
    "check-class": lambda: run("check", HW1, "--answers", str(ANSWERS), "--json", code=2),
    "sheet": lambda: run("sheet", HW2, "--student", "alice", "--key", "--format", "json"),
}


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_an_extra_top_level_key_is_rejected(sample):
    name = sample.split("-")[0]
    doc = valid(name, SAMPLES[sample]())
    bad = copy.deepcopy(doc)
    bad["extra"] = 1
    assert not VALIDATOR[name].is_valid(bad)


def test_the_check_forms_do_not_mix():
    doc = valid("check", run("check", HW1, "--json"))
    assert doc["students"] == [doc["grade"]]  # one student: `grade`, and the same grade as a list of one
    doc["students"] = [doc["grade"]] * 2
    assert not VALIDATOR["check"].is_valid(doc)
    doc = valid("check", run("check", HW1, "--answers", str(ANSWERS), "--json", code=2))
    assert "grade" not in doc
    doc["grade"] = doc["students"][0]
    assert not VALIDATOR["check"].is_valid(doc)


def test_diff_text_and_program_are_exclusive():
    doc = valid("diff", run("diff", LECTURE, *AT, "--json"))
    doc["derivatives"]["a"]["program"] = "d_a = b + 1"
    assert not VALIDATOR["diff"].is_valid(doc)


def test_hessian():
    doc = valid("hessian", run("hessian", "f = x^2*y + y^3", "--x", "1", "--y", "2", "--json"))
    assert doc["hessian"] == [[4.0, 2.0], [2.0, 12.0]] and doc["warnings"] == []
    doc = valid("hessian", run("hessian", "y = relu(x)*x", "--x", "0", "--json"))
    assert [(w["node"], w["kind"]) for w in doc["warnings"]] == [(1, "kink")]


def test_jacobian():
    doc = valid("jacobian", run("jacobian", "y = relu(z)", "--z", "[0, 1]", "--json"))
    assert doc["output_node"] == 1 and doc["warnings"][0]["kind"] == "kink"


# --- the envelope every command's document shares -----------------------------------------------------------

ENVELOPE = {  # (schema, command line, a program was given) for every form of every command's document
    "eval": ("eval", [LECTURE, *AT, "--json"], True),
    "eval-kink": ("eval", [*KINK, "--json"], True),
    "diff": ("diff", [LECTURE, *AT, "--json"], True),
    "diff-kink": ("diff", [*KINK, "--json"], True),
    "explain": ("explain", [*KINK, "--json"], True),
    "explain-tensor-kink": ("explain", ["y = sum(relu(x))", "--x", "[0, 1]", "--json"], True),
    "trace": ("trace", [*KINK, "--json"], True),
    "gradcheck": ("gradcheck", [*KINK, "--json"], True),
    "gradcheck-array": ("gradcheck", ["y = sum(relu(x) * 3)", "--x", "[0, 1, -2]", "--json"], True),
    "gradcheck-domain": ("gradcheck", ["y = log(x)", "--x", "1e-7", "--json"], True),
    "check": ("check", [*KINK, "--expect", "dy/dx = 0", "--json"], True),
    "check-grade": ("check", [HW1, "--json"], False),
    "check-class": ("check", [HW1, "--answers", str(ANSWERS), "--json"], False),
    "sheet": ("sheet", [HW2, "--student", "alice", "--key", "--format", "json"], False),
    "jacobian": ("jacobian", ["y = relu(z)", "--z", "[0, 1]", "--json"], True),
    "hessian": ("hessian", ["y = relu(x)*x", "--x", "0", "--json"], True),
}
KINDS = {"kink", "domain", "index"}


def test_every_command_with_json_has_an_envelope_case():
    assert {name for name, _, _ in ENVELOPE.values()} == set(COMMANDS)
    assert {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")} == \
        set(COMMANDS) | {"batch-line", "error"}  # batch lines and error objects have fixed shapes of their own


@pytest.mark.parametrize("name", COMMANDS)
def test_the_schema_declares_the_envelope(name):
    schema = SCHEMA[name]
    forms = [schema["$defs"][ref["$ref"].rsplit("/", 1)[1]] for ref in schema["oneOf"]] if "oneOf" in schema \
        else [schema]
    for form in forms:
        assert form["required"][:2] == ["$schema", "version"]
        assert form["properties"]["$schema"]["const"] == schema["$id"]
        assert "warnings" in form["required"]


@pytest.mark.parametrize("case", list(ENVELOPE))
def test_every_document_starts_with_schema_and_version(case):
    name, args, program = ENVELOPE[case]
    doc = valid(name, run(name, *args, code=2 if case == "check-class" else 0))
    assert list(doc)[:2] == ["$schema", "version"]
    assert doc["$schema"] == SCHEMA[name]["$id"] == f"https://cgrad.dev/schemas/{name}-{VERSIONS.get(name, 1)}.json"
    assert doc["version"] == cgrad_cli.__version__
    if program:
        assert doc["source"] == args[0]
    else:
        assert "source" not in doc  # an assignment holds many programs: `file` names it


@pytest.mark.parametrize("case", list(ENVELOPE))
def test_warnings_are_node_kind_message_objects(case):
    name, args, _ = ENVELOPE[case]
    doc = valid(name, run(name, *args, code=2 if case == "check-class" else 0))
    assert isinstance(doc["warnings"], list)
    for w in doc["warnings"]:
        assert list(w)[:3] == ["node", "kind", "message"]
        assert w["node"] is None or (isinstance(w["node"], int) and w["node"] >= 0)
        assert w["kind"] in KINDS and isinstance(w["message"], str) and w["message"]
    if "kink" in case or name in ("explain", "trace", "check", "jacobian", "hessian") and "-" not in case:
        assert any(w["kind"] == "kink" and isinstance(w["node"], int) for w in doc["warnings"]), doc["warnings"]


def test_the_same_kink_is_the_same_warning_everywhere():
    """eval, diff, explain, trace, gradcheck, check, jacobian and hessian report relu(x) at 0 alike."""
    expected = run("eval", "y = relu(x)", "--x", "0", "--json")["warnings"]
    assert expected == [{"node": 1, "kind": "kink",
                         "message": "'relu(x)' (line 1, column 5) is at a kink of relu: "
                                    "using relu'(0) = 0 (PyTorch and JAX)"}]
    for name, extra in [("diff", []), ("explain", []), ("trace", []), ("gradcheck", []), ("jacobian", []),
                        ("hessian", []), ("check", ["--expect", "dy/dx = 0"])]:
        doc = run(name, "y = relu(x)", "--x", "0", *extra, "--json")
        assert doc["warnings"][:1] == expected, name


def test_diff_and_hessian_have_no_kink_warning_without_one():
    assert run("diff", "y = relu(x)", "--json")["warnings"] == []  # no point: no kink met
    assert run("diff", "y = relu(x)", "--x", "1", "--json")["warnings"] == []
    assert run("hessian", "y = relu(x)*x", "--x", "1", "--json")["warnings"] == []


def test_grading_warnings_name_the_problem(tmp_path):
    hw = tmp_path / "hw.toml"
    hw.write_text('title = "kinks"\n[problems.k]\nprogram = "y = relu(x)*3"\nat = { x = 0 }\n'
                  '[problems.k.expect]\n"dy/dx" = 0\n', encoding="utf-8")
    doc = valid("check", run("check", str(hw), "--json"))
    assert doc["warnings"] == [{"node": 1, "kind": "kink", "problem": "k",
                                "message": "problem k, at x = 0: 'relu(x)' (line 1, column 5) is at a kink of relu: "
                                           "using relu'(0) = 0 (PyTorch and JAX)"}]
    assert valid("check", run("check", HW1, "--json"))["warnings"] == []


def _numbers(doc, path="$"):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for k, v in enumerate(doc):
            yield from _numbers(v, f"{path}[{k}]")
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        yield path, doc


@pytest.mark.parametrize("args", [[HW1], [HW1, "--answers", str(ANSWERS / "bob.json")],
                                  [HW1, "--answers", str(ANSWERS)]], ids=["key", "student", "class"])
def test_scores_are_integers_when_whole(args):
    doc = valid("check", run("check", *args, "--json", code=1 if "bob" in str(args) else 2 if len(args) == 3 else 0))
    scores = [(p, x) for p, x in _numbers(doc) if p.endswith("score")]
    assert scores and all(type(x) is int for _, x in scores), [s for s in scores if type(s[1]) is not int]
    assert doc["max_score"] == 14 and type(doc["max_score"]) is int


def test_a_fractional_score_stays_a_number(tmp_path):
    hw = tmp_path / "hw.toml"
    hw.write_text('title = "halves"\n[problems.p]\nprogram = "y = 2*x"\nat = { x = 1 }\nscore = 0.5\n'
                  '[problems.p.expect]\ny = 2\n"dy/dx" = 2\n', encoding="utf-8")
    doc = valid("check", run("check", str(hw), "--json"))
    assert doc["max_score"] == 1 and type(doc["max_score"]) is int
    assert [(i["score"], i["max_score"]) for i in doc["grade"]["items"]] == [(0.5, 0.5), (0.5, 0.5)]


def test_check_counts_are_integers():
    doc = valid("check", run("check", LECTURE, *AT, "--expect", "e=6", "--expect", "de/db = a + 2*b + 1", "--json"))
    assert type(doc["passed"]) is int and type(doc["total"]) is int and doc["pass"] is True
    counts = doc["checks"][1]["random"]
    assert all(type(counts[k]) is int for k in ("points", "checked", "skipped", "needed", "failed"))
