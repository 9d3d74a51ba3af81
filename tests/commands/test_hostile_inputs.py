"""Inputs a hostile user would try (issue 15's table): each ends in one clear message and a documented exit
code, fast and in little memory -- never exit 70, never a traceback, never the machine's memory.

Where the process's own file descriptors matter (a closed stdout, /dev/full, signals), the real `cgrad`
runs in a subprocess under a 2 GB address-space limit; elsewhere commands run in-process.
"""
import json
import os
import resource
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli

BOMB = "\n".join(["f0(x)=x*x"] + [f"f{i}(x)=f{i - 1}(f{i - 1}(x))" for i in range(1, 31)] + ["y=f30(a)"])
DEEP = "[" * 50_000 + "1" + "]" * 50_000


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def cgrad(*args, limit=2 * 10 ** 9, timeout=60, **kw):
    """The real command in its own process, its address space limited (as `prlimit --as`)."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return subprocess.run([sys.executable, "-m", "cgrad_cli", *args], preexec_fn=cap, capture_output=True,
                          timeout=timeout, **kw)


def too_large(result, budget: str):
    assert result.exit_code == 4, result.stderr
    assert result.stderr.startswith("error: ") and "too large: " in result.stderr and "Traceback" not in result.stderr
    assert f"raise the budget with {budget} N" in result.stderr or budget in result.stderr


@pytest.mark.parametrize("command", ["eval", "diff", "explain", "graph", "trace", "check"])
def test_function_call_bomb_is_refused_by_every_command(command, tmp_path):
    path = tmp_path / "bomb.cg"
    path.write_text(BOMB)
    extra = ["--expect", "y=1"] if command == "check" else []
    start = time.perf_counter()
    result = run(command, "-f", str(path), "--a", "1", *extra)
    assert time.perf_counter() - start < 2
    too_large(result, "--max-nodes")
    assert "the call f30(a) needs 1 073 741 825 nodes" in result.stderr


def test_function_call_bomb_json_error_names_budget_and_size(tmp_path):
    result = run("eval", BOMB, "--a", "1", "--json")
    doc = json.loads(result.stderr.splitlines()[-1])["error"]
    assert doc["kind"] == "too large" and doc["exit_code"] == 4
    assert doc["budget"] == "--max-nodes" and doc["size"] == 2 ** 30 + 1 and doc["limit"] == 10 ** 7
    assert (doc["line"], doc["column"]) == (32, 3)


def test_function_call_bomb_in_a_real_process_stays_small():
    done = cgrad("eval", BOMB, "--a", "1", limit=300 * 2 ** 20)
    assert done.returncode == 4 and b"too large" in done.stderr


@pytest.mark.parametrize("program", ["y = sum(onehot(1, 10000000000))",
                                     "y = sum(outer(onehot(1, 100000), onehot(2, 100000)))"])
def test_huge_tensor_is_refused_from_its_shape(program):
    too_large(run("eval", program), "--max-elements")
    assert run("eval", program, "--max-elements", "20000000000").exit_code in (0, 4)  # tried, or out of memory


def test_huge_jacobian_is_refused_before_its_matrix():
    x = "[" + ",".join(["1"] * 20000) + "]"
    result = run("jacobian", "y = x*2", "--x", x)
    too_large(result, "--max-elements")
    assert "the Jacobian of y (a 20000-vector output) with respect to x (20000×20000) needs 400 000 000 elements" \
        in result.stderr


def test_trace_tangents_past_the_element_budget_are_too_large_not_an_input_error():
    x = "[" + ",".join(["1"] * 1000) + "]"
    start = time.perf_counter()
    result = run("trace", "y = sum(outer(x, x))", "--x", x)
    assert time.perf_counter() - start < 5
    too_large(result, "--max-elements")
    assert "forward mode's tangents ∂node/∂x" in result.stderr and "needs 1 001 001 000 elements" in result.stderr
    assert run("trace", "y = sum(outer(x, x))", "--x", "[1, 2]").exit_code == 0


def test_large_jacobian_is_quick_and_shown_by_shape_past_show_elements():
    x = "[" + ",".join(map(str, range(1000))) + "]"
    start = time.perf_counter()
    result = run("jacobian", "y = x*2", "--x", x)
    assert result.exit_code == 0, result.stderr
    assert time.perf_counter() - start < 10  # laying out the 10^6-cell table took minutes
    assert "1000×1000 array (min 0, max 2)" in result.output and "--show-elements 1000000" in result.output
    small = run("jacobian", "y = x*2", "--x", "[1, 2]", "--show-elements", "4")
    assert "y[1]" in small.output and "array" not in small.output


def test_large_inputs_file_is_read_into_arrays_within_memory(tmp_path):
    path = tmp_path / "W.json"
    path.write_text(json.dumps({"W": [[(i * 7 + j) % 10 / 10 for j in range(1000)] for i in range(1000)]}))
    # 400 MiB of address space: the JSON -> lists -> checks -> tolist() path needed more than 600 for this 8 MB array
    done = cgrad("eval", "y = sum(W*W)", "--inputs", str(path), "--json", limit=400 * 2 ** 20)
    assert done.returncode == 0, done.stderr[-300:]
    assert json.loads(done.stdout)["value"] == pytest.approx(sum(((i * 7 + j) % 10 / 10) ** 2
                                                                 for i in range(1000) for j in range(1000)))


def test_astronomical_shape_is_written_short_in_the_refusal():
    result = run("eval", "y = sum(onehot(1, 1e300))")
    too_large(result, "--max-elements")
    assert "onehot(1, 1e300) (1.0e+300-vector) needs 1.0e+300 elements" in result.stderr


def test_array_inputs_are_read_into_float_arrays_not_lists(tmp_path):
    from cgrad_cli.commands.common import number, read_inputs_file

    path = tmp_path / "in.json"
    path.write_text('{"W": [[1, 2], [3, 4.5]], "b": 2, "r": [1, "x"]}')
    data = read_inputs_file(str(path))
    assert data["W"].dtype == "float64" and data["W"].tolist() == [[1.0, 2.0], [3.0, 4.5]]
    assert data["r"] == [1, "x"]  # not an array of numbers: kept, for the message that names it
    assert number("W", "[[1, 2], [3, 4]]").dtype == "float64"
    result = run("eval", "y = sum(r)", "--inputs", str(path))
    assert result.exit_code == 2 and "the value of input 'r' must be a finite number or an array" in result.stderr


def test_flat_program_past_the_node_budget_is_refused_where_it_crosses():
    result = run("eval", "y = " + "+".join(["x"] * 1000), "--x", "1", "--max-nodes", "500")
    too_large(result, "--max-nodes")
    assert "the program needs more than 500 nodes" in result.stderr and "^" in result.stderr


@pytest.mark.parametrize("where", ["option", "inputs", "batch"])
def test_deeply_nested_array_is_an_input_error(where, tmp_path):
    if where == "option":
        result = run("eval", "y = x", "--x", DEEP)
    elif where == "inputs":
        (tmp_path / "in.json").write_text('{"x": ' + DEEP + "}")
        result = run("eval", "y = x", "--inputs", str(tmp_path / "in.json"))
    else:
        (tmp_path / "p.jsonl").write_text('{"x": 1}\n{"x": ' + DEEP + '}\n{"x": 3}\n')
        result = run("eval", "y = x*2", "--batch", str(tmp_path / "p.jsonl"))
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line.get("value") for line in lines] == [2, None, 6]  # one error line, the stream goes on
        assert result.exit_code == 1 and "nested too deep" in lines[1]["error"]["message"]
        return
    assert result.exit_code == 2 and "nested too deep: arrays have at most 8 axes" in result.stderr


@pytest.mark.parametrize("inner, depth", [("1", 100_000), ("x", 100_000), ("1", 9), ("x", 9)])
@pytest.mark.parametrize("command", ["eval", "diff", "explain", "trace", "graph", "jacobian"])
def test_an_array_nested_deep_in_the_program_is_refused_at_its_ninth_axis(command, inner, depth):
    """[[[...1...]]] or [[[...x...]]] in the program: arrays have at most 8 axes, as in --inputs (numpy stops
    at 64, and inferring shapes nested 10^5 deep would cost their square): a shape error, never exit 70."""
    program = "y = sum(" + "[" * depth + inner + "]" * depth + ")*x"
    result = run(command, program, "--x", "2")
    assert result.exit_code == 2, result.output
    assert "axes, and arrays have at most 8" in result.stderr and "Traceback" not in result.stderr
    assert "^" in result.stderr  # the caret under the array that would have the ninth axis


def test_an_array_of_eight_axes_in_the_program_is_fine():
    for inner in ("1", "x"):
        result = run("eval", "y = sum(" + "[" * 8 + inner + "]" * 8 + ")*x", "--x", "2", "--json")
        assert result.exit_code == 0 and json.loads(result.stdout)["value"] == (2 if inner == "1" else 4)


def test_a_call_nested_deep_is_named_briefly_at_every_node_it_made():
    """f(f(f(...x...))) nested 3 000 deep: each node a call made is labelled with its call's text shortened
    as a label is, so the JSON grows with the program (it was 28 MB, every node carrying its whole call)
    and the tree's ⟵ line fits the terminal."""
    program = "f(t) = t*1\ny = " + "f(" * 3000 + "x" + ")" * 3000
    result = run("eval", program, "--x", "0.5", "--json")
    assert result.exit_code == 0 and len(result.stdout) < 2_000_000
    calls = [node["call"] for node in json.loads(result.stdout)["nodes"] if node.get("call")]
    assert len(calls) == 2 * 3000 and calls[0] == "f(x)"  # each call makes two nodes: 1 and t*1
    assert max(map(len, calls)) == 48 and calls[-1].endswith("…")
    tree = run("eval", program, "--x", "0.5").stdout
    assert max(len(line) for line in tree.splitlines() if "⟵" in line) <= 80


def test_fifty_thousand_missing_inputs_make_a_short_message():
    """The message names the first few and counts the rest; --json's `missing` still lists every one."""
    program = "y = " + "+".join(f"a{i}" for i in range(50_000))
    result = run("eval", program)
    assert result.exit_code == 2 and len(result.stderr) < 300, result.stderr[:300]
    assert "missing values for inputs a0, a1, a2, a3, a4, a5, a6, a7, … (49 992 more)" in result.stderr
    assert "--inputs FILE" in result.stderr
    doc = json.loads(run("eval", program, "--json").stderr.splitlines()[-1])["error"]
    assert len(doc["missing"]) == 50_000
    result = run("eval", program, "--b", "1")
    assert result.exit_code == 2 and "the program's inputs are a0, a1," in result.stderr and len(result.stderr) < 300


def test_a_batch_header_missing_fifty_thousand_inputs_makes_a_short_message(tmp_path):
    (tmp_path / "p.csv").write_text("x\n1\n")
    result = run("eval", "y = x + " + "+".join(f"a{i}" for i in range(50_000)), "--batch", str(tmp_path / "p.csv"))
    assert result.exit_code == 2 and len(result.stderr) < 400, result.stderr[:400]
    assert "no column for inputs a0, a1, a2, a3, a4, a5, a6, a7, … (49 992 more)" in result.stderr
    assert "--a0 VALUE --a1 VALUE --a2 VALUE --a3 VALUE ..." in result.stderr


def test_batch_line_with_a_lone_surrogate_is_one_error_line(tmp_path):
    (tmp_path / "p.jsonl").write_text('{"x": "\\ud800"}\n{"x": 2}\n')
    result = run("eval", "y = x*2", "--batch", str(tmp_path / "p.jsonl"))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1 and lines[0]["error"]["kind"] == "input" and lines[1]["value"] == 4


def test_check_with_a_hundred_million_points_is_refused_at_once():
    start = time.perf_counter()
    result = run("check", "y=x*x", "--x", "1", "--expect", "dy/dx = 2*x", "--points", "100000000")
    assert time.perf_counter() - start < 2
    too_large(result, "--max-nodes")
    assert "checking at 100000000 random points needs 200 000 002 nodes" in result.stderr


def test_gradcheck_of_a_huge_array_is_refused_before_its_runs(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"x": [1.0] * 100_000}))
    start = time.perf_counter()
    result = run("gradcheck", "y = sum(x*x)", "--inputs", str(tmp_path / "x.json"))
    assert time.perf_counter() - start < 5
    too_large(result, "--max-elements")
    assert "gradcheck (200 000 forward runs) needs 40 000 200 000 elements" in result.stderr


def test_diff_to_a_high_order_stops_at_the_formula_budget(tmp_path):
    path = tmp_path / "chain24.cg"
    path.write_text("\n".join(f"x{i + 1} = x{i}*sin(x{i})" for i in range(24)))
    result = run("diff", "-f", str(path), "--order", "6", "--max-formula", "3000")
    too_large(result, "--max-formula")
    assert "the derivative needs more than 3 000 formula nodes" in result.stderr


def test_laying_out_a_huge_graph_with_graphviz_is_refused(tmp_path):
    program = "\n".join(f"x{i + 1} = sin(x{i})" for i in range(60))
    result = run("graph", program, "--x0", "1", "-o", str(tmp_path / "g.svg"), "--max-drawn", "50")
    if "needs Graphviz" in result.stderr:
        pytest.skip("Graphviz's dot is not installed")
    too_large(result, "--max-drawn")
    assert "drawing" in result.stderr and "needs 61 nodes; the budget is 50 nodes" in result.stderr


@pytest.mark.parametrize("extra", [["-o", "page.html"], ["--format", "html"]])
def test_graph_page_of_a_huge_chain_is_refused_before_it_is_built(extra, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    program = "\n".join(f"x{i + 1} = sin(x{i})" for i in range(50_000))
    start = time.perf_counter()
    result = run("graph", program, "--x0", "1", *extra)
    assert time.perf_counter() - start < 20  # the parse; the page would take minutes in the browser
    too_large(result, "--max-drawn")
    assert "(laid out by the browser as it opens) needs 50 001 nodes; the budget is 3 000 nodes" in result.stderr
    assert not (tmp_path / "page.html").exists()
    assert run("graph", "y = sin(x)", "--x", "1", "--format", "html").exit_code == 0
    dot = run("graph", "\n".join(f"x{i + 1} = sin(x{i})" for i in range(5000)), "--x0", "1")
    assert dot.exit_code == 0 and "digraph" in dot.output  # DOT text: no layout, written at any size


@pytest.mark.parametrize("extra", [["--json"], [], ["--batch", "-"]])
def test_closed_stdout_is_an_output_error(extra):
    done = subprocess.run([sys.executable, "-m", "cgrad_cli", "eval", "y = x*2",
                           *(["--x", "1"] if "--batch" not in extra else []), *extra],
                          input=b'{"x": 1}\n', preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 74 and b"cannot write the output" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize("extra", [["--json"], [], ["--batch", "-"]])
def test_full_disk_is_an_output_error(extra):
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "cgrad_cli", "eval", "y = x*2",
                               *(["--x", "1"] if "--batch" not in extra else []), *extra],
                              input=b'{"x": 1}\n', stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 74 and b"No space left on device" in done.stderr
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


def test_reader_leaving_early_ends_quietly():
    program = "\n".join(f"x{i + 1} = sin(x{i})" for i in range(3000))
    done = subprocess.run(f'{sys.executable} -m cgrad_cli trace "$P" --x0 1 | head -1', shell=True,
                          env={**os.environ, "P": program}, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stderr == b"" and done.stdout.count(b"\n") == 1


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_batch_interrupted_ends_with_its_signal_code_and_no_worker_left(sig, code, tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_bytes(b'{"a": 2, "b": 1}\n' * 3_000_000)
    env = {**os.environ, "CGRAD_BATCH_WORKERS": "2"}
    process = subprocess.Popen([sys.executable, "-m", "cgrad_cli", "eval", "e=(a+b)*(b+1)", "--batch", str(path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 30  # signal as soon as the workers run (a fixed sleep raced a fast machine)
    while not (children := _children(process.pid)) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert children, "the workers never started"
    process.send_signal(sig)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode in (code, -sig), stderr[-500:]
    assert b"Traceback" not in stderr
    time.sleep(1)
    assert not [pid for pid in children if _alive(pid)]


def _children(pid: int) -> list:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("path, message", [("/dev/zero", "not a text file"), ("/dev/urandom", "not UTF-8")])
def test_endless_device_as_a_file_ends_at_once(path, message):
    for args in (["eval", "-f", path], ["eval", "y = x", "--inputs", path]):
        start = time.perf_counter()
        result = run(*args)
        assert time.perf_counter() - start < 1
        assert result.exit_code == 2 and message in result.stderr


def test_program_file_saved_by_notepad_reads_as_python_reads_source(tmp_path):
    path = tmp_path / "win.cg"
    path.write_bytes(b"\xef\xbb\xbfc = a+b\r\nd = b+1\r\ne = c*d\r\n")
    result = run("eval", "-f", str(path), "--a", "2", "--b", "1", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["value"] == 6
    path.write_bytes(b"\xef\xbb\xbfc = a+b\r\nd = 2x\r\n")
    result = run("eval", "-f", str(path), "--a", "2")
    assert result.exit_code == 2 and result.stderr.startswith("error: line 2, column 6: unexpected 'x'")


def test_exit_codes_four_and_seventy_four_are_documented():
    help_text = run("--help").stdout
    assert "4  too large" in help_text and "74 the output cannot be written" in help_text
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md"), encoding="utf-8").read()
    assert "| 4 | too large" in readme and "| 74 | the output cannot be written" in readme


def test_genuine_out_of_memory_says_so_with_the_size():
    done = cgrad("eval", "y = sum(onehot(1, 3000000000))", "--max-elements", "10000000000", "--json",
                 limit=1024 * 2 ** 20)
    assert done.returncode == 4, done.stderr[-500:]
    doc = json.loads(done.stderr.splitlines()[-1])["error"]
    assert doc["kind"] == "too large" and doc["exit_code"] == 4
    assert "out of memory (an array of shape (3000000000,) needs 22.4 GiB)" in doc["message"]


def test_out_of_memory_in_python_itself_says_so_with_the_memory_used():
    done = cgrad("eval", BOMB, "--a", "1", "--max-nodes", "10000000000", limit=400 * 2 ** 20, timeout=120)
    assert done.returncode == 4, done.stderr[-500:]
    assert b"too large: out of memory (after using " in done.stderr and b"Traceback" not in done.stderr


def test_flat_program_past_the_memory_there_is_ends_in_exit_4_not_70(tmp_path):
    path = tmp_path / "flat.cg"
    path.write_text("y=" + "+".join(["x"] * 400_000))
    done = cgrad("eval", "-f", str(path), "--x", "1", "--json", limit=120 * 2 ** 20, timeout=300)
    assert done.returncode == 4, done.stderr[-500:]
    assert b"too large: out of memory (after using " in done.stderr and b"Traceback" not in done.stderr
