"""`cgrad eval --json`: the document, its schema, and its use in pipelines.

Real documents (from the library and from the installed CLI) are validated
against cgrad_cli/schemas/eval.schema.json; the schema sets
additionalProperties: false, so a field added, renamed or dropped in
render_json.py fails here until the schema (the documentation) follows.
"""
from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import cgrad_cli
from cgrad_cli import evaluate, parse
from cgrad_cli.core.ops import OPS
from cgrad_cli.render.json import SCHEMA, document, dumps

SCHEMAS = Path(cgrad_cli.__file__).parent / "schemas"
EVAL_SCHEMA = json.loads((SCHEMAS / "eval.schema.json").read_text(encoding="utf-8"))
ERROR_SCHEMA = json.loads((SCHEMAS / "error.schema.json").read_text(encoding="utf-8"))
EVAL = jsonschema.Draft202012Validator(EVAL_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

LECTURE = "e=(a+b)*(b+1)"
BIN = Path(sys.executable).parent
CGRAD = BIN / ("cgrad.exe" if os.name == "nt" else "cgrad")
KEYS = ["$schema", "version", "output", "output_node", "value", "inputs", "constants", "gradients", "paths", "warnings", "conventions",
        "source", "nodes"]
NODE_KEYS = ["id", "name", "op", "inputs", "value", "grad", "local", "span"]


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "PYTHONHASHSEED")}
    env.update(PYTHONIOENCODING="utf-8", **extra)
    return env


def run_cgrad(*args, input=None, env=None, timeout=120):
    return subprocess.run([str(CGRAD), *args], input=input, capture_output=True, text=True, encoding="utf-8",
                          env=env or _env(), timeout=timeout)


def doc_of(source, inputs, output=None, wrt=None) -> dict:
    """The document, exactly as the CLI writes it (through dumps and back)."""
    text = dumps(document(evaluate(parse(source), inputs, output=output, wrt=wrt), wrt))
    return json.loads(text)


def validate(doc):
    errors = sorted(EVAL.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def _label(source, node, width=48):
    if node["name"] is not None:
        return node["name"]
    start, end = node["span"]["start"], node["span"]["end"]
    if end - start > width:
        return " ".join(source[start:start + width - 1].split()) + "…"
    return " ".join(source[start:end].split())


def check_consistent(doc):
    """What the schema cannot say: the cross-references inside a document hold."""
    nodes = doc["nodes"]
    assert [k for k in doc if k != "uses"] == KEYS
    if "uses" in doc:  # an input used more than once: one contribution per use, adding up to its gradient
        assert list(doc).index("uses") == KEYS.index("gradients") + 1 and doc["uses"]
        for name, uses in doc["uses"].items():
            assert len(uses) >= 2 and sum(u["contribution"] for u in uses) == pytest.approx(doc["gradients"][name])
    for i, node in enumerate(nodes):
        assert list(node) == NODE_KEYS
        assert node["id"] == i
        assert all(0 <= a < i for a in node["inputs"]), node
        assert len(node["local"]) == len(node["inputs"]) == OPS[node["op"]].arity, node
        span = node["span"]
        assert 0 <= span["start"] <= span["end"] <= len(doc["source"])
        before = doc["source"][:span["start"]]
        assert span["line"] == before.count("\n") + 1
        assert span["column"] == len(before) - (before.rfind("\n") + 1) + 1
    named = {n["name"]: n for n in nodes if n["name"] is not None}
    for name, value in doc["inputs"].items():
        assert named[name]["op"] == "input" and named[name]["value"] == value
    assert list(doc["paths"]) == list(doc["inputs"])
    for name, grad in doc["gradients"].items():
        assert named[name]["grad"] == grad
    # The output is named by its label: its name, else its source text on one line, cut to 48 characters.
    outs = [n for n in nodes if _label(doc["source"], n) == doc["output"]]
    assert outs and outs[-1]["value"] == doc["value"]
    for w in doc["warnings"]:
        assert 0 <= w["node"] < len(nodes)


# --- the schemas themselves -------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", [EVAL_SCHEMA, ERROR_SCHEMA], ids=["eval", "error"])
def test_schema_is_a_valid_draft_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_id_is_the_url_the_documents_name():
    assert EVAL_SCHEMA["$id"] == SCHEMA
    assert EVAL_SCHEMA["properties"]["$schema"]["const"] == SCHEMA


def _fields(schema, path="#"):
    """Every (path, subschema) that documents a field: each entry of each "properties"."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}/properties/{name}", sub
        for key, sub in schema.items():
            if key not in ("const", "enum"):
                yield from _fields(sub, f"{path}/{key}")
    elif isinstance(schema, list):
        for k, sub in enumerate(schema):
            yield from _fields(sub, f"{path}/{k}")


@pytest.mark.parametrize("schema", [EVAL_SCHEMA, ERROR_SCHEMA], ids=["eval", "error"])
def test_every_field_is_described(schema):
    assert schema.get("description")
    for path, sub in _fields(schema):
        if "/allOf/" in path:  # the if/then rules restate fields already described
            continue
        assert sub.get("description") or (
            "$ref" in sub and _resolve(schema, sub["$ref"]).get("description")), f"{path} has no description"
    for name, sub in schema.get("$defs", {}).items():
        assert sub.get("description"), f"$defs/{name} has no description"


def _resolve(schema, ref):
    node = schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("schema", [EVAL_SCHEMA, ERROR_SCHEMA], ids=["eval", "error"])
def test_fixed_objects_are_closed(schema):
    """Every object whose keys are fixed says additionalProperties: false, so drift fails the tests."""
    closed = []
    for path, sub in _subschemas(schema):
        if sub.get("type") == "object" and "properties" in sub:
            assert sub.get("additionalProperties") is False, f"{path} is open"
            closed.append(path)
    assert len(closed) >= 2


def _subschemas(schema, path="#"):
    """Every schema object inside `schema` (the if/then rules excepted), with its path."""
    if isinstance(schema, dict):
        yield path, schema
        for key, sub in schema.items():
            if key not in ("const", "enum", "allOf"):
                yield from _subschemas(sub, f"{path}/{key}")
    elif isinstance(schema, list):
        for k, sub in enumerate(schema):
            yield from _subschemas(sub, f"{path}/{k}")


def test_schema_knows_every_op_and_its_arity():
    node = EVAL_SCHEMA["$defs"]["node"]
    assert set(node["properties"]["op"]["enum"]) == set(OPS)
    by_rule = {}
    for rule in node["allOf"]:
        ops = rule["if"]["properties"]["op"]
        names = ops.get("enum", [ops.get("const")])
        if "inputs" in rule["then"]["properties"]:
            inputs = rule["then"]["properties"]["inputs"]
            arity = inputs.get("maxItems", -1)  # no upper bound: any number (concat, stack, getitem's indices)
            for name in names:
                by_rule[name] = arity
    assert by_rule == {name: op.arity for name, op in OPS.items()}
    for rule in node["allOf"]:
        names = rule["if"]["properties"]["op"].get("enum", ())
        if any(OPS[name].arity == -1 for name in names):
            assert rule["then"]["properties"]["inputs"] == {"minItems": 1}


def test_the_schema_rejects_drift():
    doc = doc_of(LECTURE, {"a": 2, "b": 1})
    validate(doc)
    for broken in (
        {**doc, "extra": 1},
        {k: v for k, v in doc.items() if k != "paths"},
        {**doc, "nodes": [{**doc["nodes"][0], "grad_fn": None}, *doc["nodes"][1:]]},
        {**doc, "nodes": [{**doc["nodes"][0], "span": {**doc["nodes"][0]["span"], "offset": 3}}]},
        {**doc, "warnings": [{"node": 0, "kind": "nan", "message": "?"}]},
        {**doc, "value": "6"},
    ):
        assert list(EVAL.iter_errors(broken)), broken


# --- real documents ---------------------------------------------------------------------------------------

# Nested (a+a)*0.5 keeps value and gradient at x but doubles the number of paths at each level.
def _doubling(levels):
    lines = ["h0 = x"] + [f"h{k} = (h{k - 1} + h{k - 1})*0.5" for k in range(1, levels + 1)]
    return "\n".join(lines)


PROGRAMS = {
    "lecture": (LECTURE, {"a": 2, "b": 1}, {}),
    "statements": ("c = a + b  # the lecture, one node a line\nd = b + 1\ne = c*d\n", {"a": 2, "b": 1}, {}),
    "semicolons-copy": ("c = a*b; d = c; e = d + c", {"a": 3, "b": -2}, {}),
    "named-const": ("k = 2; y = k*x + pi", {"x": 1.5}, {}),
    "const-subexpr": ("y = x*(2*3) - 1/4", {"x": 0.25}, {}),
    "bare-expression": ("x^2 + 3*x", {"x": 2}, {}),
    "long-bare-expression": ("x + " * 40 + "x", {"x": 1}, {}),
    "output-earlier": ("c = a + b; d = b + 1; e = c*d", {"a": 2, "b": 1}, {"output": "c"}),
    "output-input": ("c = a + b; e = c*b", {"a": 2, "b": 1}, {"output": "a"}),
    "wrt-names": ("c = a + b; d = b + 1; e = c*d", {"a": 2, "b": 1}, {"wrt": ["d", "b", "c"]}),
    "unused-input": ("c = a + b; e = c*2", {"a": 2, "b": 1}, {"output": "e"}),
    "x-times-x": ("y = x*x", {"x": 3}, {}),
    "kink-relu": ("y = relu(x)", {"x": 0}, {}),
    "kinks": ("y = abs(x) + max(x, z) + sign(z) + step(z - x) + min(x, 1-1)", {"x": 0, "z": 0}, {}),
    "functions": ("y = sin(x)+cos(x)+tan(x)+asin(x)+acos(x)+atan(x)+sinh(x)+cosh(x)+tanh(x)+exp(x)"
                  "+log(x)+ln(x)+sqrt(x)+sigmoid(x)+softplus(x)+pow(x, 2)+x**3-(-x)/x", {"x": 0.5}, {}),
    "unicode": ("ŷ = σ*2; loss = (ŷ - y)^2", {"σ": 0.75, "y": 1}, {}),
    "crlf": ("a1 = x*2\r\n\r\nb1 = a1 + x\r\n", {"x": 1}, {}),
    "tiny-and-huge": ("y = x*1e300 + z*1e-300", {"x": 1e-5, "z": 0.1}, {}),
    "paths-2^60": (_doubling(60), {"x": 1}, {}),
    "paths-overflow": (_doubling(1100), {"x": 1}, {}),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_library_documents_follow_the_schema(name):
    source, inputs, kw = PROGRAMS[name]
    doc = doc_of(source, inputs, **kw)
    validate(doc)
    check_consistent(doc)


def test_lecture_numbers():
    """The lecture's graph: e = (a+b)*(b+1) at a=2, b=1; c = a+b = 3, d = b+1 = 2."""
    doc = doc_of(LECTURE, {"a": 2, "b": 1})
    assert doc["$schema"] == SCHEMA and doc["version"] == cgrad_cli.__version__
    assert doc["output"] == "e"
    assert doc["value"] == 6
    assert doc["inputs"] == {"a": 2, "b": 1}
    assert doc["gradients"] == {"a": 2, "b": 5}  # ∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = 2·1 + 3·1
    assert doc["paths"] == {"a": 1, "b": 2}
    assert doc["warnings"] == []
    assert doc["source"] == LECTURE
    nodes = {n["id"]: n for n in doc["nodes"]}
    e = next(n for n in doc["nodes"] if n["name"] == "e")
    assert e["op"] == "mul" and e["value"] == 6 and e["grad"] == 1
    c, d = (nodes[i] for i in e["inputs"])
    assert (c["op"], c["value"], c["grad"]) == ("add", 3, 2)  # ∂e/∂c = d = 2
    assert (d["op"], d["value"], d["grad"]) == ("add", 2, 3)  # ∂e/∂d = c = 3
    assert e["local"] == [2, 3]  # ∂e/∂c = d, ∂e/∂d = c
    assert c["local"] == [1, 1]
    assert d["local"] == [1, None]  # the 1 in b+1 is a constant: no derivative
    one = nodes[d["inputs"][1]]
    assert one["op"] == "const" and one["value"] == 1 and one["local"] == [] and one["inputs"] == []
    assert e["span"] == {"start": 2, "end": 13, "line": 1, "column": 3}
    assert LECTURE[c["span"]["start"]:c["span"]["end"]] == "a+b"


def test_local_is_null_off_the_output_subgraph_and_grad_is_zero():
    doc = doc_of("c = a + b; d = b + 1; e = c*d", {"a": 2, "b": 1}, output="c")
    assert doc["output"] == "c" and doc["value"] == 3
    assert doc["gradients"] == {"a": 1, "b": 1}
    assert doc["paths"] == {"a": 1, "b": 1}
    by_name = {n["name"]: n for n in doc["nodes"] if n["name"]}
    assert by_name["e"]["grad"] == 0 and by_name["e"]["local"] == [None, None]
    assert by_name["d"]["grad"] == 0 and by_name["d"]["local"] == [None, None]


def test_paths_turn_float_then_null_when_astronomical():
    assert doc_of(_doubling(52), {"x": 1})["paths"] == {"x": 2 ** 52}
    big = doc_of(_doubling(60), {"x": 1})
    assert big["paths"] == {"x": 2.0 ** 60} and isinstance(big["paths"]["x"], float)
    assert big["gradients"] == {"x": 1}
    huge = doc_of(_doubling(1100), {"x": 1})
    assert huge["paths"] == {"x": None} and huge["gradients"] == {"x": 1}


def test_wrt_restricts_and_orders_gradients():
    doc = doc_of("c = a + b; d = b + 1; e = c*d", {"a": 2, "b": 1}, wrt=["d", "b", "c"])
    assert list(doc["gradients"].items()) == [("d", 3), ("b", 5), ("c", 2)]
    assert list(doc["inputs"]) == ["a", "b"] and list(doc["paths"]) == ["a", "b"]


def test_kink_warning_in_document():
    doc = doc_of("y = relu(x)", {"x": 0})
    assert doc["gradients"] == {"x": 0}
    [w] = doc["warnings"]
    assert w["kind"] == "kink" and doc["nodes"][w["node"]]["op"] == "relu"
    assert "relu'(0) = 0" in w["message"]
    assert doc["conventions"]["kinks"]["relu'(0)"] == 0


def test_dumps_is_strict_single_line_json_with_raw_unicode():
    text = dumps(document(evaluate(parse("ŷ = σ*2 # ∂"), {"σ": 0.1})))
    assert "\n" not in text
    assert "ŷ" in text and "\\u" not in text  # ensure_ascii=False
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert json.loads(text)["value"] == 0.2


def test_floats_round_trip_exactly():
    x = 0.1
    doc = doc_of("y = x*3 + exp(x)", {"x": x})
    assert doc["value"] == x * 3 + math.exp(x)
    assert doc["gradients"]["x"] == 3 + math.exp(x)


def test_same_input_same_bytes_in_process():
    texts = {dumps(document(evaluate(parse("c = a + b; d = b + 1; e = c*d + relu(a - 2)"), {"a": 2, "b": 1})))
             for _ in range(3)}
    assert len(texts) == 1


# --- deep graphs ------------------------------------------------------------------------------------------

N = 100_000


def _sample(doc, k=200):
    """The document with a sample of its nodes (validating 10^5 nodes with jsonschema takes ~30 s)."""
    nodes = doc["nodes"]
    return {**doc, "nodes": nodes[:k] + nodes[len(nodes) // 2:len(nodes) // 2 + k] + nodes[-k:]}


def test_deeply_parenthesised_expression_serialises():
    source = "y = " + "(" * N + "x*x + 1" + ")" * N + " * sin(x) - 2"
    doc = doc_of(source, {"x": 0.5})
    assert doc["value"] == pytest.approx(1.25 * math.sin(0.5) - 2)
    assert doc["gradients"]["x"] == pytest.approx(math.sin(0.5) + 1.25 * math.cos(0.5))
    validate(doc)
    check_consistent(doc)


def test_graph_100000_deep_serialises():
    source = "y = " + "-(" * N + "x*2" + ")" * N + " + x"
    ev = evaluate(parse(source), {"x": 0.5})
    text = dumps(document(ev))
    doc = json.loads(text)
    assert len(doc["nodes"]) == N + 4  # x, 2, x*2, N negations, the sum
    assert doc["value"] == 1.5 and doc["gradients"] == {"x": 3} and doc["paths"] == {"x": 2}
    assert doc["nodes"][-1]["span"] == {"start": 4, "end": len(source), "line": 1, "column": 5}
    validate(_sample(doc))
    assert all(n["id"] == i and n["inputs"] == ([i - 1] if n["op"] == "neg" else n["inputs"])
               for i, n in enumerate(doc["nodes"]))


# --- the installed CLI ------------------------------------------------------------------------------------

needs_cgrad = pytest.mark.skipif(not CGRAD.exists(), reason=f"console script {CGRAD} not installed")


@needs_cgrad
def test_cli_document_follows_the_schema_and_matches_the_library():
    proc = run_cgrad("eval", LECTURE, "--a", "2", "--b", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.endswith("\n") and proc.stdout.count("\n") == 1
    doc = json.loads(proc.stdout)
    validate(doc)
    check_consistent(doc)
    assert proc.stdout == dumps(document(evaluate(parse(LECTURE), {"a": 2.0, "b": 1.0}))) + "\n"


@needs_cgrad
def test_cli_output_is_byte_identical_across_runs():
    args = ("eval", "c = a + b; d = b + 1; e = c*d + max(a, 2) + relu(b - 1)", "--a", "2", "--b", "1", "--json")
    first = subprocess.run([str(CGRAD), *args], capture_output=True, env=_env(PYTHONHASHSEED="1"), timeout=60)
    second = subprocess.run([str(CGRAD), *args], capture_output=True, env=_env(PYTHONHASHSEED="2"), timeout=60)
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stderr == second.stderr and b"warning: " in first.stderr
    validate(json.loads(first.stdout))


@needs_cgrad
def test_cli_deep_program_from_stdin():
    source = "y = " + "-(" * N + "x*2" + ")" * N + " + x\n"  # too long for a command-line argument
    proc = run_cgrad("eval", "-", "--x", "0.5", "--json", input=source, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert len(doc["nodes"]) == N + 4 and doc["value"] == 1.5 and doc["gradients"] == {"x": 3}
    validate(_sample(doc))


JQ = shutil.which("jq") or ("/usr/bin/jq" if os.path.exists("/usr/bin/jq") else None)
needs_jq = pytest.mark.skipif(JQ is None or not CGRAD.exists(), reason="jq (or the cgrad script) not installed")


@needs_jq
@pytest.mark.skipif(os.name == "nt", reason="POSIX shell pipeline")
@pytest.mark.parametrize("query, expected", [
    (".gradients.b", 5), (".gradients.a", 2), (".value", 6), (".paths.b", 2), (".output", "e"),
    ("[.nodes[] | select(.name == \"e\") | .local[]] | add", 5),
])
def test_json_piped_into_jq(query, expected):
    command = f"{shlex.quote(str(CGRAD))} eval {shlex.quote(LECTURE)} --a 2 --b 1 --json | " \
              f"{shlex.quote(JQ)} -c {shlex.quote(query)}"
    proc = subprocess.run(["/bin/sh", "-c", "set -e; " + command], capture_output=True, text=True, env=_env(),
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected


@needs_jq
@pytest.mark.skipif(os.name == "nt", reason="POSIX shell pipeline")
def test_jq_exit_status_and_an_error_leaves_stdout_empty():
    ok = f"{shlex.quote(str(CGRAD))} eval {shlex.quote(LECTURE)} --a 2 --b 1 --json | " \
         f"{shlex.quote(JQ)} -e '.gradients == {{\"a\": 2, \"b\": 5}}'"
    assert subprocess.run(["/bin/sh", "-c", ok], capture_output=True, env=_env(), timeout=60).returncode == 0
    # A failing program: jq sees no input at all, the JSON error is on stderr.
    bad = f"{shlex.quote(str(CGRAD))} eval 'y = log(x)' --x -1 --json 2>/dev/null | {shlex.quote(JQ)} -c ."
    proc = subprocess.run(["/bin/sh", "-c", bad], capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.returncode == 0 and proc.stdout == ""
    errs = f"{shlex.quote(str(CGRAD))} eval 'y = log(x)' --x -1 --json 2>&1 >/dev/null | tail -n 1 | " \
           f"{shlex.quote(JQ)} -r .error.kind"
    proc = subprocess.run(["/bin/sh", "-c", errs], capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.stdout.strip() == "math"


# --- large arrays: written by orjson, byte for byte as json writes their lists ------------------------------------

def test_large_arrays_are_written_byte_for_byte_as_json_writes_their_lists():
    import numpy as np

    from cgrad_cli.render.json import array_json

    rng = np.random.default_rng(15)
    n = 20_000
    with np.errstate(over="ignore"):
        spread = rng.uniform(1, 10, n) * 10.0 ** rng.integers(-330, 310, n)  # every exponent float64 has
    short = np.floor(rng.uniform(1, 10, n) * 100) / 100 * 10.0 ** rng.integers(-12, 20, n)  # 5.73e-05, 4.2e-07
    edges = [5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 0.0, -0.0, 1e-5, 1.5e-5, 10.00001, 1e16]
    values = np.concatenate([spread, short, 10.0 ** np.arange(-323, 308), edges])
    values = values[np.isfinite(values)]
    values = np.concatenate([values, -values])
    assert array_json(values) == json.dumps(values.tolist()).encode()
    tiny = rng.standard_normal(3000) * 1e-6  # mostly numbers orjson writes otherwise (the other way of mending)
    assert array_json(tiny) == json.dumps(tiny.tolist()).encode()
    few = rng.standard_normal(20_000)
    few[::40] *= 1e-6  # a few: each mended where it stands, the first one at the start
    assert array_json(few) == json.dumps(few.tolist()).encode()
    matrix = values[:10_000].reshape(100, 100)
    assert array_json(matrix[:, ::3]) == json.dumps(matrix[:, ::3].tolist()).encode()
    with pytest.raises(ValueError):
        array_json(np.array([1.0, np.inf] * 200))


def test_document_with_large_arrays_reads_as_before(tmp_path):
    import io

    import numpy as np

    from cgrad_cli.render.json import write

    W = np.random.default_rng(1).standard_normal((30, 40)) * 1e-4  # 1200 elements: written by orjson
    doc = document(evaluate(parse("y = sum(tanh(W @ x))"), {"W": W, "x": list(np.linspace(-1, 1, 40))}))
    text = dumps(doc)
    listed = {**doc, "nodes": list(doc["nodes"])}  # the nodes, made as they are written, made at once
    assert text == json.dumps(listed, ensure_ascii=False, allow_nan=False, default=lambda a: a.tolist())
    validate(json.loads(text))
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    write(doc, out)
    assert out.buffer.getvalue().decode() == text + "\n"


# --- warnings of their own kind: a kink met, or a hint on how the program is written -------------------------


def test_the_vector_product_hint_is_a_hint_and_a_kink_stays_a_kink():
    doc = doc_of("y = u @ v.T + relu(s)", {"u": [1, 2], "v": [3, 4], "s": 0})
    validate(doc)
    kinds = {w["kind"]: w["message"] for w in doc["warnings"]}
    assert set(kinds) == {"hint", "kink"}
    assert "outer(u, v)" in kinds["hint"] and "relu" in kinds["kink"]
    result = run_cgrad("eval", "y = u @ v.T + relu(s)", "--u", "[1, 2]", "--v", "[3, 4]", "--s", "0")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("hint: 'u @ v.T' multiplies two vectors") for line in lines)
    assert any(line.startswith("warning: 'relu(s)'") for line in lines)


@pytest.mark.parametrize("command", ["diff", "hessian", "jacobian", "trace", "explain", "gradcheck"])
def test_every_commands_schema_takes_a_hint(command):
    schema = json.loads((SCHEMAS / f"{command}.schema.json").read_text(encoding="utf-8"))
    args = ["y = sum(u * (u @ v.T))", "--u", "[1, 2]", "--v", "[3, 4]", "--json"]
    if command in ("diff", "hessian", "trace", "explain", "gradcheck"):
        args += ["--wrt", "u"]
    result = run_cgrad(command, *args)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [w["kind"] for w in doc["warnings"]] == ["hint"]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert not errors, errors[0].message


def test_nodes_are_written_a_chunk_at_a_time_as_one_list():
    from cgrad_cli.render import json as render_json

    source = "y = " + "+".join(f"sin(x*{k})" for k in range(3000))  # ~12 000 nodes: three chunks and a part
    doc = document(evaluate(parse(source), {"x": 0.5}))
    text = dumps(doc)
    listed = {**doc, "nodes": list(doc["nodes"]), "uses": {name: list(u) for name, u in doc["uses"].items()}}
    assert len(listed["uses"]["x"]) == 3000
    assert text == json.dumps(listed, ensure_ascii=False, allow_nan=False)
    assert [n["id"] for n in json.loads(text)["nodes"]] == list(range(len(doc["nodes"])))
    assert "".join(render_json._listed([], 4)) == "[]" and "".join(render_json._listed([{"a": 1}] * 5, 2)) == \
        json.dumps([{"a": 1}] * 5)
