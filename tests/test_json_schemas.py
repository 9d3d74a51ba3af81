"""The --json documents of diff, explain, trace, gradcheck and check against their JSON Schemas.

Each command is run in-process on a few programs (the lecture example, a kink, a factored
explanation, a derivative big enough to come back as a program, the three forms of check) and
its stdout validated against cgrad_cli/schemas/COMMAND.schema.json.  The schemas document the
output as it is: a test that fails here means the output or its schema must change with it.
eval and errors are covered by test_render_json.py.
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

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(cgrad_cli.__file__).parent / "schemas"
NAMES = ["diff", "explain", "trace", "gradcheck", "check", "jacobian"]
SCHEMA = {name: json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")) for name in NAMES}
VALIDATOR = {name: jsonschema.Draft202012Validator(s) for name, s in SCHEMA.items()}

LECTURE = "c = a+b; d = b+1; e = c*d"
AT = ["--a", "2", "--b", "1"]
KINK = ["y = relu(x)", "--x", "0"]
FACTORED = ["x1 = x0*x0; x2 = x1*x1; x3 = x2*x2", "--x0", "1.1", "--max-terms", "4"]
CHAIN = "; ".join(f"x{i} = 0.5*x{i - 1}*x{i - 1} + 0.25*x{i - 1}" for i in range(1, 61))
HW1 = str(ROOT / "examples" / "hw1.toml")
ANSWERS = ROOT / "examples" / "answers"


def run(*args, code=0) -> dict:
    result = CliRunner().invoke(cli, list(args), prog_name="cgrad")
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr == "" or result.stderr.startswith("warning: "), result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1  # one line
    return json.loads(result.stdout)


def valid(name: str, doc: dict) -> dict:
    VALIDATOR[name].validate(doc)
    return doc


# --- the schemas themselves -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_draft_2020_12_schema(name):
    assert SCHEMA[name]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA[name]["$id"] == f"https://cgrad.dev/schemas/{name}-1.json"
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


@pytest.mark.parametrize("name", NAMES)
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
    assert doc["inputs"]["x"]["status"] == "kink" and {tuple(w) for w in doc["warnings"]} == {
        ("node", "kind", "message"), ("input", "kind", "message")}
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
    doc = valid("check", run("check", HW1, "--answers", str(ANSWERS) + "/", "--json"))
    students = {s["student"]: s for s in doc["students"]}
    assert set(students) == {"alice", "bob", "carol", "dave"}
    assert students["dave"]["error"] and students["dave"]["score"] == 0


# --- negative: the shape is fixed -------------------------------------------------------------------------

SAMPLES = {
    "diff": lambda: run("diff", LECTURE, *AT, "--json"),
    "explain": lambda: run("explain", *FACTORED, "--json"),
    "trace": lambda: run("trace", LECTURE, *AT, "--json"),
    "gradcheck": lambda: run("gradcheck", LECTURE, *AT, "--json"),
    "check": lambda: run("check", LECTURE, *AT, "--expect", "e=6", "--json"),
    "check-grade": lambda: run("check", HW1, "--json"),
    "check-class": lambda: run("check", HW1, "--answers", str(ANSWERS), "--json"),
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
    doc["students"] = [doc["grade"]]
    assert not VALIDATOR["check"].is_valid(doc)


def test_diff_text_and_program_are_exclusive():
    doc = valid("diff", run("diff", LECTURE, *AT, "--json"))
    doc["derivatives"]["a"]["program"] = "d_a = b + 1"
    assert not VALIDATOR["diff"].is_valid(doc)
