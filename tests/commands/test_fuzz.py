"""Grammar-aware fuzzing: random programs in cgrad's language, run through every command in-process.

Programs are built from the grammar's pieces -- function definitions and calls, tensors (array literals,
@, sum, onehot, reshape), indices and slices, comments, Unicode names, CRLF and a byte-order mark -- with
random inputs, scalars or arrays.  Whatever a program means, every command must answer, refuse with a
documented code (1 a failed check, 2 a mistake, 3 a math domain error, 4 too large), never exit 70 or print
a traceback, and finish each run in bounded time (small budgets keep the work small).  The example count
is what CI affords; `HYPOTHESIS_PROFILE=long` runs many more.
"""
import json
import os
import tempfile
import time

from hypothesis import HealthCheck, given, settings, strategies as st
from click.testing import CliRunner

from cgrad_cli import CgradError, parse
from cgrad_cli.cli import COMMANDS, cli

settings.register_profile("ci", max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

NAMES = ["x", "y", "θ", "ŷ", "W", "v", "r"]
SCALAR = ["sin", "cos", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "softplus", "sign", "atan"]
TENSOR = ["sum", "mean", "softmax", "log_softmax", "logsumexp", "transpose"]
SMALL = ["--max-nodes", "20000", "--max-elements", "100000", "--max-formula", "3000"]
RUNS = {
    "eval": [["--json"], []], "diff": [["--order", "2"]], "explain": [["--json"]], "graph": [["--format", "mermaid"]],
    "trace": [["--json"]], "hessian": [["--json"]], "gradcheck": [["--json"]], "jacobian": [["--json"]],
    "check": [["--expect", "dy/dx = 2*x", "--points", "3"]],
}
WORST_SECONDS = 20  # one command on one program, on a busy CI machine

numbers = st.sampled_from(["0", "1", "2", "0.5", "-3", "1e-3", "1e308", "10", "1e400"])
arrays = st.sampled_from(["[1, 2]", "[[1, 0], [0, 1]]", "[0.5, -1, 2]", "[x, y]", "[[1, 2, 3]]"])
leaves = st.one_of(st.sampled_from(NAMES), numbers, arrays, st.sampled_from(["onehot(1, 3)", "onehot(r, 2)", "pi"]))


def _extend(inner):
    unary = st.tuples(st.sampled_from(SCALAR + TENSOR + ["-", "+", "(", "[0]", "[1:3]", "[:, 0]", ".T",
                                                         "reshape2", "sum0"]), inner)
    binary = st.tuples(st.sampled_from(["+", "-", "*", "/", "^", "@", "dot", "outer", "max", "concat", "pow"]),
                       inner, inner)
    return st.one_of(unary.map(_unary), binary.map(_binary))


def _unary(parts):
    f, e = parts
    if f in ("-", "+"):
        return f + e
    if f == "(":
        return f"({e})"
    if f.startswith("[") or f == ".T":
        return f"({e}){f}"
    if f == "reshape2":
        return f"reshape({e}, 2, -1)"
    if f == "sum0":
        return f"sum({e}, 0)"
    return f"{f}({e})"


def _binary(parts):
    op, a, b = parts
    return f"({a}) {op} ({b})" if len(op) == 1 else f"{op}({a}, {b})"


expressions = st.recursive(leaves, _extend, max_leaves=8)


@st.composite
def programs(draw):
    lines = []
    if draw(st.booleans()):
        lines.append(f"f(a, b) = {draw(expressions).replace('x', 'a').replace('y', 'b')}")
        if draw(st.booleans()):
            lines.append("g(a) = f(f(a, a), a)")
    for k in range(draw(st.integers(1, 3))):
        e = draw(expressions)
        if lines and lines[0].startswith("f(") and draw(st.booleans()):
            e = f"f({e}, {draw(expressions)})" if "g(a)" not in lines[-1] else f"g({e})"
        comment = draw(st.sampled_from(["", "  # a comment", " # ∂ü"]))
        lines.append(f"s{k} = {e}{comment}")
    lines.append("y = " + draw(st.sampled_from(["s0", f"s{k}", "sum(s0)", "s0 * x"])))
    sep = draw(st.sampled_from(["\n", "\r\n", "; "]))
    text = sep.join(lines) if sep != "; " else "\n".join(lines)
    return draw(st.sampled_from(["", "\ufeff"])) + text


values = st.sampled_from(["1", "0", "-1", "0.3", "2", "[1, 2]", "[0.5, -1, 2]", "[[1, 2], [3, 4]]", "1e308"])


def invoke(*args):
    start = time.perf_counter()
    result = CliRunner().invoke(cli, list(args))
    took = time.perf_counter() - start
    assert result.exit_code in (0, 1, 2, 3, 4), (args[:3], result.stderr[-800:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-800:]
    assert took < WORST_SECONDS, (args[:3], took)
    return result


def test_every_command_is_fuzzed():
    takes_a_program = {name for name in COMMANDS
                       if any(param.name == "words" for param in cli.get_command(None, name).params)}
    assert set(RUNS) == takes_a_program


@settings(settings.get_profile(PROFILE))
@given(program=programs(), data=st.data())
def test_random_programs_never_crash_any_command(program, data):
    try:
        used = list(parse(program.lstrip("\ufeff").replace("\r\n", "\n")).inputs)
    except CgradError:
        used = ["x"]
    given = {name: data.draw(values, label=name) for name in used}
    point = [w for name, value in given.items() for w in (f"--{name}", value)]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "p.cg")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(program)
        for command, variants in RUNS.items():
            for extra in variants:
                invoke(command, "-f", path, *point, *extra, *SMALL)
        invoke("eval", program, *point, "--json", *SMALL)  # the text as an argument: BOM and CR included
        with open(os.path.join(folder, "in.json"), "w") as f:
            f.write(json.dumps({name: json.loads(value) for name, value in given.items()}))
        invoke("eval", "-f", path, "--inputs", os.path.join(folder, "in.json"), *SMALL)


line_values = st.one_of(st.integers(-10 ** 30, 10 ** 30).map(str), st.floats().map(repr),
                        st.sampled_from(["NaN", "1e999", "-0", "true", "null", '"1"', "[1, 2]", "{}", "[" * 3000]),
                        st.text(max_size=12).map(json.dumps))
ndjson_lines = st.one_of(
    st.builds(lambda a, b: '{"a": %s, "b": %s}' % (a, b), line_values, line_values),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ").decode("latin-1")),
    st.sampled_from(['{"a": 1}', '{"a": 1, "b": 2, "c": 3}', "[1, 2]", "", "   ", '{"a": 1, "b": ' + "[" * 50_000 + "1"]))
csv_lines = st.one_of(st.builds(lambda a, b: f"{a},{b}", line_values, line_values),
                      st.sampled_from(["1", "1,2,3", "", '"1,2",3', "\x00,1"]))


@settings(settings.get_profile(PROFILE))
@given(lines=st.lists(ndjson_lines, min_size=1, max_size=12), fmt=st.sampled_from(["ndjson", "csv"]),
       csv=st.lists(csv_lines, min_size=1, max_size=12))
def test_random_batch_lines_are_each_answered_and_the_stream_goes_on(lines, fmt, csv):
    body = "\n".join(lines) if fmt == "ndjson" else "a,b\n" + "\n".join(csv)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "points." + ("jsonl" if fmt == "ndjson" else "csv"))
        with open(path, "wb") as f:
            f.write(body.encode("utf-8", "surrogatepass") + b"\n")
        result = invoke("eval", "e=(a+b)*(b+1)", "--batch", path)
    assert result.exit_code in (0, 1), result.stderr[-500:]
    for line in filter(None, result.stdout.split("\n")):  # lines end at \n only (U+0085 may be in one)
        doc = json.loads(line)  # every output line is JSON: a result or this line's error
        assert ("value" in doc) != ("error" in doc)
