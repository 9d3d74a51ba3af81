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
