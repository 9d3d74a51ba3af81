"""cgrad benchmarks: how fast is one `cgrad` call, and how does the library scale?

    python benchmarks/bench.py            # the full run (several minutes)
    python benchmarks/bench.py --quick    # smoke run: small N, few repeats
    python benchmarks/bench.py --json     # also print every figure as JSON
    python benchmarks/bench.py --only tensors   # one section (latency, scaling, symbolic, tensors, batch, grading,
                                                #  explain, budgets, page)

Every time is the median of several runs, taken with time.perf_counter; the scaling section's
also with time.process_time (this process's CPU time: other work on the machine does not count), and
its ratios and summary rows are given on both clocks.

1. One-shot latency: wall time of the subprocesses
   `cgrad eval "e=(a+b)*(b+1)" --a 2 --b 1 --json`, the same drawing its tree
   (Rich), `cgrad --help` and `cgrad eval --help`, each as a ratio to the same
   interpreter running `-c pass` (the floor for any Python CLI); `-c "import
   click"` shows what a run would cost that needed click (these four do not:
   cgrad reads a common command line without it and prints the stored help).
   Measured twice in the same rounds: "here" (the console script beside
   sys.executable, often an editable install) and "installed" (this tree's
   wheel installed by pip into a scratch venv that sees the same dependencies).
   An editable install's .pth finder imports pathlib, re, ... into every start,
   the floor's too: it slows `python -c pass` by ~10 ms and so flatters the
   ratios; the installed figures are the ones a user sees.  All run in turn
   within each round, so drift hits them alike; beside the wall-time ratio, the
   ratio of the children's CPU time (user + system), which other work on the
   machine disturbs far less.  The subprocesses get a private bytecode cache
   (written by an untimed warm-up round), so a source tree edited since its .pyc
   files were written, or PYTHONDONTWRITEBYTECODE=1, cannot make every run
   recompile.  Targets: --json <= 3x, the tree <= 5x, --help <= 3x
   `python -c pass`.

2. Scaling, on two programs of N units, N = 1e3, 1e4, 1e5:
   - chain: N statements `x{i} = 0.5*x{i-1} + 0.25*x{i-1}*x{i-1} + 0.1`, input
     x0 = 0.3.  The map contracts to its fixed point 1 - sqrt(0.6) ~ 0.2254, so
     every value stays finite.  Each statement is 5 op nodes + 3 constants.
   - nested: one expression N parentheses deep with N op nodes, alternately
     `(... + x)` and `(... *0.5)`:  y = ((((x + x)*0.5) + x)*0.5) ...
     Its value stays exactly x and dy/dx = 1, which the script checks.
   For each: parse, forward and backward seconds, timed back to back on a
   fresh graph as `cgrad eval` runs them, and their sum ("total"); then
   forward once more on the same graph ("fwd again").  Back to back matters:
   a collector pass that one step leaves due falls inside the next, as in a
   real run.  (cgrad pauses gc while it builds and then freezes what it
   built, so that no such pass is left; before it froze, forward right after
   parse paid ~150 ms at N=1e5 for a pass over the whole tape.)  Peak memory is the tracemalloc peak over
   parse + forward + backward, in a separate untimed run (tracemalloc slows
   Python down).  "ms / 1k nodes" divides by the tape length (every node:
   ops, constants, inputs); flat columns mean linear cost.  Targets: backward
   / forward <= 2x; the chain's peak at N = 1e5 <= 150 MB.

3. Forward floor: the chain written as straight Python floats, one list
   append per statement.  Target: forward / floor <= 4x.

5. Symbolic diff against SymPy: `cgrad diff` (derivatives + printing as a
   program) and sympy.diff on the 1e3-statement chain and on a 20-deep
   nesting of a shared variable (x_i = x_{i-1}*sin(x_{i-1})): seconds, and the
   result's size as a DAG and written out as a tree (the expression swell).

4. Python's compiler: the chain is also a Python program, and compile() of
   the same text (to bytecode: tokens, parse, AST, code) is the yardstick for
   parsing it (run with gc off around it, as parse() runs).  Target: parse /
   compile <= 1x, and linear.  (The nested program is not Python's: its
   parser stops at 200 nested parentheses.)

6. Tensors (numpy arrays as values), each against the same computation written
   by hand in plain numpy, forward and backprop (the floor; its gradients must
   agree with cgrad's to 1e-9):
   - classifier: z1 = W1@x + b1; a1 = sigmoid(z1); z2 = W2@a1 + b2;
     y = softmax(z2); C = -log(y[r]) with x of 784, W1 100x784, W2 10x100.
     Parsed once (the first parse in the process is shown apart: it is cold);
     then forward + backward per example (median), with forward's input
     checks timed apart.  The inputs go in as numpy arrays (as nested lists
     if the library does not take arrays, and then the floor is also timed
     with their conversion).  Target: cgrad / floor <= 2x.  On a busy
     machine medians of runs of a few ms catch the scheduler's time slices,
     so the ratio of the fastest runs ("best") is shown too.
   - rnn: `cell(h, x) = tanh(Wh @ h + Wx @ x)`, hidden 32, input 32, unrolled
     T = 10, 30, 100 steps as T lines `hK = cell(h{K-1}, xs[K-1])`, then
     C = sum(hT^2)/2: parse, forward + backward and ms per step (flat = linear
     in T), against a numpy floor of the same recurrence and its BPTT.

7. `cgrad eval --batch` (benchmarks/batch_bench.py).  Targets: >= 1.5 M
   points/s at 1e6 points; one process no slower than with workers, read as
   CPU a point (all processes): with workers / in one process >= 1.

8. Grading (benchmarks/grading_bench.py): `cgrad check hw.toml --answers DIR --json --junit ... --markdown ...`
   on a 200-student class of a 5-problem assignment (over a quarter of the answers wrong, and diagnosed), wall
   and CPU seconds of the whole process.  Target: < 10 s.

9. Explain (benchmarks/explain_bench.py): `cgrad explain` (text and --json) on the classifier 784 -> 100 -> 10,
   the whole process, beside `cgrad eval --json` on the same inputs; wall and CPU seconds and the load
   average.  Target: < 1 s.

10. Budgets (benchmarks/budget_bench.py): inputs refused for their size -- the inlining bomb and
    onehot(1, 10**10) -- time to the refusal beyond start-up and peak memory; bytes a node of a flat program.

11. The graph page (benchmarks/page_bench.py): a 1000-node program's `cgrad graph -o page.html` opened in
    headless chromium through Selenium: ms until it is interactive (its ready marker), until the whole
    figure is drawn, and main-thread CPU ms.  Skipped, saying so, without chromium.  Target: < 1 s.

Garbage collection is left as the library leaves it: gc stays enabled in this
script, and the library switches it off inside its own calls where it wants.
"""
from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import json
import math
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import cgrad_cli
from cgrad_cli import backward, forward, parse
from cgrad_cli.core.autodiff import check_inputs

X0 = 0.3
SECTIONS = ("latency", "scaling", "symbolic", "tensors", "batch", "grading", "explain", "budgets", "page")
ONE_SHOT = ["eval", "e=(a+b)*(b+1)", "--a", "2", "--b", "1"]


# --------------------------------------------------------------------------- helpers

def timed(fn, *args, **kwargs):
    """(seconds, result) of one call."""
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t, result


def clocks():
    """(wall, CPU) seconds now: the CPU clock counts only this process's own time, so a stage that other
    work on the machine preempts does not look slower (each scaling stage is timed on both)."""
    return time.perf_counter(), time.process_time()


def both(fn, *args):
    """((wall, CPU) seconds, result) of one call."""
    t = clocks()
    result = fn(*args)
    return tuple(b - a for a, b in zip(t, clocks())), result


def table(header, rows):
    """Print rows as right-aligned columns under `header`."""
    cells = [header] + [[c if isinstance(c, str) else f"{c:.3g}" for c in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    for row in cells:
        print("  " + "  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(row, widths))))


def size(n):
    """1000 -> '1e3'."""
    e = round(math.log10(n))
    return f"1e{e}" if n == 10**e else str(n)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


# --------------------------------------------------------------------------- 1. one-shot latency

def cgrad_command(bindir=None):
    script = Path(bindir or Path(sys.executable).parent) / "cgrad"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cgrad_cli"]


# The one-shot commands' targets, each a ratio to `python -c pass` (None: shown, no target).
ONE_SHOT_TARGETS = {"cgrad eval ... --json": 3, "cgrad eval ... (tree)": 5, "cgrad --help": 3,
                    "cgrad eval --help": 3, "python -c pass": None, "python -c 'import click'": None}


def installed_copy(where: str) -> Path | None:
    """bin/ of a scratch venv holding this tree's cgrad installed as a user gets it (pip builds and installs
    a wheel, byte-compiled), with this interpreter's dependencies on its path (one plain .pth line), or None
    if pip cannot.  This environment's own .pth hooks are left out: an editable install's finder imports
    pathlib, re, urllib.parse, ... into every process, `python -c pass` included, which makes the floor
    ~10 ms slower and every ratio look better than an installed cgrad's."""
    import click
    import venv

    venv.create(where, with_pip=False)
    python = str(Path(where, "bin", "python"))
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "_cgrad_bench_deps.pth").write_text(str(Path(click.__file__).parents[1]) + "\n")
    result = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                             str(Path(__file__).resolve().parents[1])], capture_output=True, text=True)
    if result.returncode != 0 or not Path(where, "bin", "cgrad").exists():
        print("  (no installed copy: pip failed: " + (result.stderr.strip().splitlines() or ["?"])[-1] + ")")
        return None
    return Path(where, "bin")


def children_cpu() -> float:
    """Seconds of CPU (user + system) the waited-for children of this process have used so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_shot(repeats):
    """{place: {command: median ms, "cpu": {command: median CPU ms}}}: this environment's cgrad ("here") and an
    installed copy of it."""
    with tempfile.TemporaryDirectory() as scratch:
        places = {"here": Path(sys.executable).parent}
        installed = installed_copy(os.path.join(scratch, "venv"))
        if installed is not None:
            places["installed"] = installed
        commands = {}
        for place, bindir in places.items():
            cgrad, python = cgrad_command(bindir), [str(bindir / "python")]
            commands[place] = {
                "cgrad eval ... --json": cgrad + ONE_SHOT + ["--json"],
                "cgrad eval ... (tree)": cgrad + ONE_SHOT,
                "cgrad --help": cgrad + ["--help"],
                "cgrad eval --help": cgrad + ["eval", "--help"],
                "python -c pass": python + ["-c", "pass"],
                "python -c 'import click'": python + ["-c", "import click"],
            }
        print(f"1. One-shot latency (subprocess wall time, median of {repeats}, load average "
              f"{os.getloadavg()[0]:.1f}; here: {Path(sys.executable).parent}, installed: a wheel in a scratch venv)")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        with tempfile.TemporaryDirectory() as cache:
            run = functools.partial(subprocess.run, env=dict(env, PYTHONPYCACHEPREFIX=cache), cwd=scratch)
            for place, cmds in commands.items():
                out = run(cmds["cgrad eval ... --json"], capture_output=True, text=True, check=True).stdout
                assert json.loads(out)["gradients"] == {"a": 2.0, "b": 5.0}, out
                for name, cmd in list(cmds.items()):  # the warm-up round; drops what cannot run
                    if run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
                        print(f"  (skipped {place}: {name}: it fails here)")
                        del cmds[name]
            times = {(place, name): [] for place, cmds in commands.items() for name in cmds}
            cpu = {key: [] for key in times}
            for _ in range(repeats):
                for place, name in times:
                    before = children_cpu()
                    times[place, name].append(timed(run, commands[place][name], stdout=subprocess.DEVNULL)[0])
                    cpu[place, name].append(children_cpu() - before)
    ms = {place: {name: 1e3 * statistics.median(times[place, name]) for name in cmds}
          for place, cmds in commands.items()}
    for place, cmds in commands.items():
        ms[place]["cpu"] = {name: 1e3 * statistics.median(cpu[place, name]) for name in cmds}
    header, rows = ["command"], []
    for place in ms:
        header += [f"{place} ms", "x python -c pass", "CPU x"]
    for name, target in ONE_SHOT_TARGETS.items():
        row = [name]
        for figures in ms.values():
            t, c = figures.get(name), figures["cpu"].get(name)
            row += ["-", "-", "-"] if t is None else [f"{t:.1f}", f"{t / figures['python -c pass']:.2f}x",
                                                      f"{c / figures['cpu']['python -c pass']:.2f}x"]
        rows.append(row + ["-" if target is None else f"<= {target}x"])
    table(header + ["target"], rows)
    if "installed" in ms:
        extra = ms["here"]["python -c pass"] - ms["installed"]["python -c pass"]
        print(f"  this environment's .pth hooks cost {extra:+.1f} ms on every start (python -c pass here minus in "
              "the scratch venv)")
    return ms


# --------------------------------------------------------------------------- 2-4. scaling

def chain_source(n):
    return "\n".join(f"x{i} = 0.5*x{i-1} + 0.25*x{i-1}*x{i-1} + 0.1" for i in range(1, n + 1))


def nested_source(n):
    assert n % 2 == 0
    return "y = " + "(" * n + "x" + " + x)*0.5)" * (n // 2)


def chain_floor(n, x):
    """The chain as plain Python floats: the least a forward pass can cost."""
    values = [x]
    for _ in range(n):
        x = 0.5 * x + 0.25 * x * x + 0.1
        values.append(x)
    return values


def python_compile(source):
    gc.disable()  # as cgrad's parse() runs
    try:
        return compile(source, "<chain>", "exec")
    finally:
        gc.enable()


def peak_mb(source, inputs):
    gc.collect()
    tracemalloc.start()
    g = parse(source)
    backward(g, forward(g, inputs), g.output)
    del g
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def check(shape, ev, floor):
    """The chain matches the plain-float floor exactly; the nested program is x with dy/dx = 1."""
    if shape == "chain":
        assert math.isfinite(ev.value) and ev.value == floor[-1], (ev.value, floor[-1])
    else:
        assert ev.value == X0 and math.isclose(ev.gradients()["x"], 1.0), (ev.value, ev.gradients())


def measure(shape, n, repeats):
    """Median seconds of each stage, over `repeats` fresh parses of the program."""
    chain = shape == "chain"
    source = chain_source(n) if chain else nested_source(n)
    inputs = {"x0": X0} if chain else {"x": X0}
    keys = ("parse", "fwd", "bwd", "total", "fwd again") + (("floor", "compile") if chain else ())
    runs = {key: [] for key in keys}  # (wall, CPU) seconds of each round
    for _ in range(repeats):
        gc.collect()  # each round starts from the same heap (outside the timed calls)
        # Back-to-back stamps: a collection that parse() defers (gc is off inside it) falls due at the
        # next allocation, and that must be the next library call, as in `cgrad eval`, not this script.
        t0 = clocks()
        g = parse(source)
        t1 = clocks()
        values = forward(g, inputs)
        t2 = clocks()
        ev = backward(g, values, g.output)
        t3 = clocks()
        for key, (a, b) in zip(("parse", "fwd", "bwd", "total"), ((t0, t1), (t1, t2), (t2, t3), (t0, t3))):
            runs[key].append((b[0] - a[0], b[1] - a[1]))
        runs["fwd again"].append(both(forward, g, inputs)[0])
        floor = None
        if chain:
            t, floor = both(chain_floor, n, X0)
            runs["floor"].append(t)
        check(shape, ev, floor)
        nodes = len(g)
        del g, values, ev, floor
        gc.collect()
        if chain:
            runs["compile"].append(both(python_compile, source)[0])
    fig = {key: statistics.median(wall for wall, _ in ts) for key, ts in runs.items()}
    fig["cpu"] = {key: statistics.median(cpu for _, cpu in ts) for key, ts in runs.items()}
    fig.update(n=n, nodes=nodes, repeats=repeats, source_chars=len(source), peak_mb=peak_mb(source, inputs))
    return fig


def ratios(f):
    """The ratios the targets are about: fwd is forward right after parse, fwd again a second call."""
    r = {"bwd/fwd": f["bwd"] / f["fwd"], "bwd/fwd again": f["bwd"] / f["fwd again"]}
    if "floor" in f:
        r.update({"fwd/floor": f["fwd"] / f["floor"], "fwd again/floor": f["fwd again"] / f["floor"],
                  "parse/compile": f["parse"] / f["compile"]})
    return r if "cpu" not in f else {**r, "cpu": ratios(f["cpu"])}


def scaling(sizes, repeats_for):
    figures = {shape: [measure(shape, n, repeats_for(n)) for n in sizes] for shape in ("chain", "nested")}
    for shape, figs in figures.items():
        for f in figs:
            f["ratios"] = ratios(f)
        print(f"\n2. {shape}: seconds (median of {', '.join(str(f['repeats']) for f in figs)} runs), peak MB")
        columns = ("parse", "fwd", "bwd", "total", "fwd again", "peak_mb")
        table(["N", "nodes", *columns[:-1], "peak MB"],
              [[size(f["n"]), str(f["nodes"])] + [f[k] for k in columns] for f in figs])
        print("   ms / 1k nodes (flat = linear)")
        columns = ("parse", "fwd", "bwd", "fwd again") + (("compile",) if "compile" in figs[0] else ())
        table(["N", *columns], [[size(f["n"])] + [1e6 * f[k] / f["nodes"] for k in columns] for f in figs])
        for how, of in (("wall", lambda f: f["ratios"]), ("CPU time", lambda f: f["ratios"]["cpu"])):
            print(f"   ratios ({how})")
            names = [name for name in of(figs[0]) if name != "cpu"]
            table(["N", *names], [[size(f["n"])] + [f"{of(f)[name]:.2f}x" for name in names] for f in figs])
    print("\n3. chain floor (plain Python floats), seconds:",
          ", ".join(f"N={size(f['n'])}: {f['floor']:.3g}" for f in figures["chain"]))
    return figures


# --------------------------------------------------------------------------- symbolic diff

def shared_nesting(depth):
    """x1 = x0*sin(x0); x2 = x1*sin(x1); ...: each level uses the one below twice."""
    return "\n".join(f"x{i} = x{i - 1}*sin(x{i - 1})" for i in range(1, depth + 1))


def dag_and_tree(root, kids):
    """(distinct nodes, nodes when written out as a tree) of a DAG, iteratively."""
    sizes, stack = {}, [root]
    while stack:
        node = stack[-1]
        pending = [c for c in kids(node) if id(c) not in sizes]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        sizes.setdefault(id(node), 1 + sum(sizes[id(c)] for c in kids(node)))
    return len(sizes), sizes[id(root)]


SYMPY = """
import json, sys, time
import sympy
sys.setrecursionlimit(100000)
from bench import dag_and_tree
source, x = sys.stdin.read(), sys.argv[1]
sym = {x: sympy.Symbol(x)}
t0 = time.perf_counter()
for line in source.splitlines():  # the same statements, substituted into one expression (SymPy shares subtrees)
    name, rhs = (part.strip() for part in line.split("="))
    sym[name] = sympy.sympify(rhs.replace("^", "**"), locals=sym)
result = sympy.diff(sym[name], sym[x])
seconds = time.perf_counter() - t0
print(json.dumps([seconds, *dag_and_tree(result, lambda e: e.args)]))
"""


def sympy_diff(source, x, timeout):
    """SymPy's diff of the same program, in a child process that is stopped after `timeout` seconds."""
    try:
        done = subprocess.run([sys.executable, "-c", SYMPY, x], input=source, capture_output=True, text=True,
                              timeout=timeout, cwd=os.path.dirname(os.path.abspath(__file__)))
    except subprocess.TimeoutExpired:
        return f"> {timeout} s", "-", "-"
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return last[:40], "-", "-"
    return tuple(json.loads(done.stdout))


def magnitude(n):
    """A count that may have hundreds of digits, as 1.2e+05 or ~1e600 (no float overflow)."""
    if not isinstance(n, int):
        return n
    return f"{n:.3g}" if n < 1e15 else f"~1e{int(n.bit_length() * math.log10(2))}"


def symbolic(n_chain, depth, timeout):
    """`cgrad diff` against SymPy's diff on the same programs: seconds, and the result's size."""
    from cgrad_cli.symbolic.derive import derivatives
    from cgrad_cli.symbolic.expr import children
    from cgrad_cli.symbolic.notation import to_program

    if importlib.util.find_spec("sympy") is None:
        print("\n5. symbolic diff: skipped (SymPy is not installed: pip install sympy)")
        return {}
    rows, out = [], {}
    programs = [(f"chain N={n}", chain_source(n)) for n in sorted({8, 12, n_chain})]
    programs += [(f"shared nesting {k} deep", shared_nesting(k)) for k in sorted({8, depth})]
    for label, source in programs:
        t0 = time.perf_counter()
        d = derivatives(parse(source), ["x0"])["x0"]
        written = to_program({"d": d})
        ours = time.perf_counter() - t0
        dag, tree = dag_and_tree(d, children)
        theirs, sdag, stree = sympy_diff(source, "x0", timeout)
        rows.append([label, ours, dag, magnitude(tree), len(written), theirs, sdag, magnitude(stree)])
        out[label] = dict(zip(("cgrad_s", "cgrad_dag_nodes", "cgrad_tree_nodes", "cgrad_program_chars", "sympy_s",
                               "sympy_dag_nodes", "sympy_tree_nodes"), (ours, dag, tree, len(written), theirs,
                                                                        sdag, stree)))
    print(f"\n5. symbolic diff: cgrad diff against sympy.diff (seconds; sizes in nodes; SymPy stopped after "
          f"{timeout} s)")
    table(["program", "cgrad s", "DAG", "as a tree", "printed chars", "sympy s", "sympy DAG", "sympy tree"], rows)
    return out


# --------------------------------------------------------------------------- 6. tensors

CLASSIFIER = "z1 = W1 @ x + b1\na1 = sigmoid(z1)\nz2 = W2 @ a1 + b2\ny = softmax(z2)\nC = -log(y[r])\n"


def rnn_source(steps):
    lines = ["cell(h, x) = tanh(Wh @ h + Wx @ x)"]
    lines += [f"h{k} = cell(h{k - 1}, xs[{k - 1}])" for k in range(1, steps + 1)]
    return "\n".join(lines + [f"C = sum(h{steps}^2) / 2"]) + "\n"


def classifier_floor(x, W1, b1, W2, b2, r):
    """The classifier and its backprop in plain numpy: (C, {input: gradient})."""
    import numpy as np

    r = int(r)
    z1 = W1 @ x + b1
    a1 = 1.0 / (1.0 + np.exp(-z1))
    z2 = W2 @ a1 + b2
    e = np.exp(z2 - z2.max())
    y = e / e.sum()
    C = -np.log(y[r])
    dz2 = y.copy()
    dz2[r] -= 1.0  # softmax + cross-entropy: y - onehot(r)
    da1 = W2.T @ dz2
    dz1 = da1 * a1 * (1.0 - a1)
    return C, {"x": W1.T @ dz1, "W1": np.outer(dz1, x), "b1": dz1, "W2": np.outer(dz2, a1), "b2": dz2, "r": 0.0}


def rnn_floor(Wh, Wx, h0, xs):
    """h_t = tanh(Wh h_{t-1} + Wx x_t), C = |h_T|^2 / 2, and backprop through time, in plain numpy."""
    import numpy as np

    hs = [h0]
    for x in xs:
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ x))
    C = 0.5 * np.sum(hs[-1] ** 2)
    dWh, dWx, dxs = np.zeros_like(Wh), np.zeros_like(Wx), np.zeros_like(xs)
    dh = hs[-1]
    for t in range(len(xs), 0, -1):
        dpre = dh * (1.0 - hs[t] ** 2)
        dWh += np.outer(dpre, hs[t - 1])
        dWx += np.outer(dpre, xs[t - 1])
        dxs[t - 1] = Wx.T @ dpre
        dh = Wh.T @ dpre
    return C, {"Wh": dWh, "Wx": dWx, "h0": dh, "xs": dxs}


def grad_error(ev, floor_grads):
    """max |cgrad - floor| over every gradient entry, after checking they agree to 1e-9 (relative or absolute)."""
    import numpy as np

    worst = 0.0
    for name, want in floor_grads.items():
        got = np.asarray(ev.grad(ev.graph.named[name]), dtype=float)
        assert got.shape == np.shape(want), (name, got.shape, np.shape(want))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=name)
        worst = max(worst, float(np.max(np.abs(got - want))) if got.size else 0.0)
    return worst


def fwd_bwd(graph, inputs):
    """(forward s, backward s, evaluation) of one example, timed back to back on a parsed graph."""
    t0 = time.perf_counter()
    values = forward(graph, inputs)
    t1 = time.perf_counter()
    ev = backward(graph, values, graph.output)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, ev


def time_example(runs, graph, inputs, floor, arrays):
    """One example into `runs`: cgrad's input checks, forward and backward, then the numpy floor."""
    runs["checks"].append(timed(check_inputs, graph, inputs)[0])  # the part of forward that validates inputs
    f, b, ev = fwd_bwd(graph, inputs)
    runs["fwd"].append(f)
    runs["bwd"].append(b)
    runs["total"].append(f + b)
    t, (C, grads) = timed(floor, **arrays)
    runs["floor"].append(t)
    return ev, C, grads


def medians(runs, ev, C, grads):
    """ms medians of `runs`, the fastest runs beside them, after checking cgrad agrees with the floor."""
    err = grad_error(ev, grads)
    assert abs(ev.value - C) <= 1e-9 * abs(C), (ev.value, C)
    fig = {key: 1e3 * statistics.median(ts) for key, ts in runs.items()}
    fig["best"] = {key: 1e3 * min(runs[key]) for key in ("total", "floor")}
    fig["best"]["ratio"] = fig["best"]["total"] / fig["best"]["floor"]
    fig.update(max_grad_diff=err, ratio=fig["total"] / fig["floor"])
    return fig


RUNS = ("fwd", "bwd", "total", "checks", "floor")


def classifier_bench(repeats):
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = {"x": rng.normal(size=784), "W1": rng.normal(size=(100, 784)) / 28, "b1": rng.normal(size=100) / 10,
              "W2": rng.normal(size=(10, 100)) / 10, "b2": rng.normal(size=10) / 10, "r": 3.0}
    first_parse_s, g = timed(parse, CLASSIFIER)  # the first parse in the process: a cold start, as in the CLI
    parse_s = statistics.median(timed(parse, CLASSIFIER)[0] for _ in range(max(5, repeats // 10)))
    runs = {key: [] for key in RUNS}
    for _ in range(repeats):
        result = time_example(runs, g, arrays, classifier_floor, arrays)
    fig = medians(runs, *result)
    fig.update(parse=1e3 * parse_s, first_parse=1e3 * first_parse_s, repeats=repeats, inputs="numpy arrays",
               nodes=len(g))
    return fig


def rnn_bench(steps, repeats, hidden=32, width=32):
    import numpy as np

    rng = np.random.default_rng(steps)
    arrays = {"Wh": 0.9 * rng.normal(size=(hidden, hidden)) / math.sqrt(hidden),
              "Wx": rng.normal(size=(hidden, width)) / math.sqrt(width),
              "h0": rng.normal(size=hidden) / 2, "xs": rng.normal(size=(steps, width))}
    source = rnn_source(steps)
    runs = {key: [] for key in ("parse",) + RUNS}
    for _ in range(repeats):
        gc.collect()
        t, g = timed(parse, source)
        runs["parse"].append(t)
        result = time_example(runs, g, arrays, rnn_floor, arrays)
    fig = medians(runs, *result)
    fig.update(T=steps, nodes=len(g), repeats=repeats, inputs="numpy arrays",
               per_step={key: fig[key] / steps for key in ("parse", "total", "floor")})
    fig["best"]["total_per_step"] = fig["best"]["total"] / steps
    return fig


def tensors(quick):
    if importlib.util.find_spec("numpy") is None:
        print("\n6. tensors: skipped (numpy is not installed)")
        return {}
    cls = classifier_bench(5 if quick else 101)
    print(f"\n6. tensors: classifier 784 -> 100 (sigmoid) -> 10 (softmax, cross-entropy); ms, median of "
          f"{cls['repeats']} examples; inputs as {cls['inputs']}")
    table(["", "ms"], [["cgrad parse (first in the process)", cls["first_parse"]], ["cgrad parse", cls["parse"]],
                       ["cgrad forward", cls["fwd"]],
                       ["cgrad backward", cls["bwd"]], ["cgrad forward + backward", cls["total"]],
                       ["  of which forward's input checks", cls["checks"]],
                       ["numpy floor (fwd + backprop)", cls["floor"]]])
    print(f"   cgrad / floor: {cls['ratio']:.2f}x (target <= 2x);  best runs: {cls['best']['total']:.3g} ms / "
          f"{cls['best']['floor']:.3g} ms = {cls['best']['ratio']:.2f}x;  max |grad - floor| = "
          f"{cls['max_grad_diff']:.1e}")
    rnn = [rnn_bench(T, 3 if quick else (21 if T >= 100 else 41)) for T in ((10, 30) if quick else (10, 30, 100))]
    print(f"\n   rnn: hidden 32, input 32, T steps via cell(h, x); ms, median of "
          f"{', '.join(str(f['repeats']) for f in rnn)} runs; inputs as {rnn[0]['inputs']}")
    table(["T", "nodes", "parse", "fwd", "(checks)", "bwd", "fwd+bwd", "numpy floor", "ratio", "parse/step",
           "fwd+bwd/step", "floor/step", "best ratio", "best fwd+bwd/step"],
          [[str(f["T"]), str(f["nodes"]), f["parse"], f["fwd"], f["checks"], f["bwd"], f["total"], f["floor"],
            f"{f['ratio']:.2f}x", f["per_step"]["parse"], f["per_step"]["total"], f["per_step"]["floor"],
            f"{f['best']['ratio']:.2f}x", f["best"]["total_per_step"]] for f in rnn])
    print("   best: the fastest run of each (less disturbed than medians when the machine is busy)")
    print(f"   max |grad - floor| = {max(f['max_grad_diff'] for f in rnn):.1e}")
    return {"classifier": cls, "rnn": rnn}


# --------------------------------------------------------------------------- summary

def summary(ms, figures, tensor_figures, batch_figures, page_figures=None, budget_figures=None):
    rows = []
    for place, wall in ms.items():
        for how, times in (("", wall), (", CPU time", wall["cpu"])):
            floor = times["python -c pass"]
            rows += [(f"one-shot `cgrad eval --json` / python -c pass ({place}{how})",
                      times["cgrad eval ... --json"] / floor, 3, "x"),
                     (f"one-shot tree (Rich) / python -c pass ({place}{how})",
                      times["cgrad eval ... (tree)"] / floor, 5, "x"),
                     (f"--help (the slower) / python -c pass ({place}{how})",
                      max(times["cgrad --help"], times["cgrad eval --help"]) / floor, 3, "x")]
    for shape, figs in figures.items():
        for how, of in (("", lambda f: f["ratios"]), (", CPU time", lambda f: f["ratios"]["cpu"])):
            worst = lambda key: max(of(f)[key] for f in figs)  # noqa: E731
            if shape == "chain":
                rows += [(f"chain parse/compile(){how}", worst("parse/compile"), 1, "x"),
                         (f"chain fwd/floor (after parse{how})", worst("fwd/floor"), 4, "x"),
                         (f"chain fwd/floor (fwd again{how})", worst("fwd again/floor"), 4, "x")]
            rows += [(f"{shape} bwd/fwd (after parse{how})", worst("bwd/fwd"), 2, "x"),
                     (f"{shape} bwd/fwd (fwd again{how})", worst("bwd/fwd again"), 2, "x")]
        if shape == "chain":
            per_node = [f["parse"] / f["nodes"] for f in figs]
            rows += [("chain parse per node, largest N / smallest", per_node[-1] / per_node[0], 1.3, "x"),
                     (f"chain peak MB at N={size(figs[-1]['n'])}", figs[-1]["peak_mb"], 150, "MB")]
    if batch_figures:
        top = batch_figures["end_to_end"][-1]
        rows += [(f"--batch points/s at {top['n']:.0e} points", top["points_per_s"] / 1e6, 1.5, "M/s"),
                 ("--batch CPU a point: with workers / in one process", top["cpu_ratio"], 1, "x"),
                 ("--batch / a hand-written numpy + orjson script (points/s)", top["lead"], 1, "x")]
    if tensor_figures:
        rnn = tensor_figures["rnn"]
        step = [f["per_step"]["total"] for f in rnn]
        best_step = [f["best"]["total_per_step"] for f in rnn]
        cls = tensor_figures["classifier"]
        rows += [("classifier fwd+bwd/numpy floor", cls["ratio"], 2, "x"),
                 ("classifier, fastest runs", cls["best"]["ratio"], 2, "x"),
                 ("rnn fwd+bwd/numpy floor (worst T)", max(f["ratio"] for f in rnn), None, "x"),
                 ("rnn, fastest runs (worst T)", max(f["best"]["ratio"] for f in rnn), None, "x"),
                 (f"rnn ms/step, T={rnn[-1]['T']} over T={rnn[0]['T']}", step[-1] / step[0], 1.5, "x"),
                 ("rnn ms/step, fastest runs", best_step[-1] / best_step[0], 1.5, "x")]
    if page_figures and "skipped" not in page_figures:
        rows += [("graph page of 1000 nodes: interactive (median)", page_figures["ready_ms"], 1000, "ms")]
    if budget_figures:
        flat = budget_figures["flat"]
        rows += [(f"bytes a node, y = x+x+... of {flat['terms']:.0e} terms, evaluated",
                  flat["eval_bytes"] / flat["nodes"], 200, "B")]
        for name in ("bomb", "onehot"):
            rows += [(f"refusal of the {name}: CPU s beyond start-up", budget_figures[name]["cpu_beyond_startup_s"],
                      0.2, "s"),
                     (f"refusal of the {name}: peak MB", budget_figures[name]["peak_mb"], 100, "MB")]
    at_least = {"M/s"}  # figures whose target is a floor; so are the --batch ratios (>= 1)
    floor = lambda name, unit: unit in at_least or name.startswith("--batch")  # noqa: E731
    met = lambda name, value, target, unit: value >= target if floor(name, unit) else value <= target  # noqa: E731
    print("\nSummary (ratios: the worst over N)")
    table(["figure", "measured", "target", "met"],
          [[name, f"{value:.1f} {unit}" if unit in ("ms", "MB", "B", "s") else f"{value:.2f}{unit}",
            "-" if target is None else (">= " if floor(name, unit) else "<= ")
            + f"{target:g}{unit}",
            "-" if target is None else "yes" if met(name, value, target, unit) else "NO"]
           for name, value, target, unit in rows])
    return [{"figure": name, "measured": value, "unit": unit, "target": target,
             "met": None if target is None else met(name, value, target, unit)} for name, value, target, unit in rows]


def main():
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--quick", action="store_true", help="small N and few repeats: a smoke run")
    cli.add_argument("--json", action="store_true", help="also print the figures as JSON")
    cli.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                     help="run just this section (repeatable): " + ", ".join(SECTIONS))
    opts = cli.parse_args()
    run = set(opts.only or SECTIONS)
    sizes = [100, 1000] if opts.quick else [1000, 10_000, 100_000]
    repeats_for = (lambda n: 2) if opts.quick else (lambda n: 3 if n >= 100_000 else 5)
    machine = {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
               "python": f"{platform.python_implementation()} {platform.python_version()}",
               "cgrad": cgrad_cli.__version__, "gc": "enabled (the library turns it off inside its own calls)"}
    print("cgrad benchmarks" + (" (--quick)" if opts.quick else ""))
    for key, value in machine.items():
        print(f"  {key}: {value}")
    print()
    ms = one_shot(3 if opts.quick else 10) if "latency" in run else {}
    figures = scaling(sizes, repeats_for) if "scaling" in run else {}
    sym = symbolic(100 if opts.quick else 1000, 20, 10 if opts.quick else 60) if "symbolic" in run else {}
    tensor_figures = tensors(opts.quick) if "tensors" in run else {}
    batch_figures = external("batch_bench", 7, "batch evaluation", opts.quick) if "batch" in run else {}
    grading_figures = external("grading_bench", 8, "grading", opts.quick) if "grading" in run else {}
    explain_figures = external("explain_bench", 9, "explain", opts.quick) if "explain" in run else {}
    budget_figures = external("budget_bench", 10, "budgets", opts.quick) if "budgets" in run else {}
    page_figures = external("page_bench", 11, "graph page", opts.quick) if "page" in run else {}
    targets = summary(ms, figures, tensor_figures, batch_figures, page_figures, budget_figures)
    if opts.json:
        print(json.dumps({"machine": machine, "one_shot_ms": ms, "scaling": figures, "symbolic": sym,
                          "tensors": tensor_figures, "batch": batch_figures, "grading": grading_figures,
                          "explain": explain_figures, "budgets": budget_figures, "page": page_figures,
                          "targets": targets}, indent=2))


def external(module: str, number: int, title: str, quick: bool) -> dict:
    """A section kept in its own script beside this one (7. batch_bench.py, 8. grading_bench.py,
    9. explain_bench.py, 10. budget_bench.py, 11. page_bench.py): its figures, printed under its docstring's first line."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    script = __import__(module)
    print(f"{number}. {title}: " + script.__doc__.strip().splitlines()[0], flush=True)
    # run in a fresh process: a child forked from this one starts with this process's resident memory as its
    # peak (Linux carries ru_maxrss over fork and exec), so the sections' memory figures would read this
    # benchmark's earlier sections instead of their own processes
    with tempfile.NamedTemporaryFile(suffix=".pickle") as out:
        code = (f"import pickle, sys; sys.path.insert(0, {here!r}); import {module} as s; "
                f"pickle.dump(s.run({quick!r}), open({out.name!r}, 'wb'))")
        subprocess.run([sys.executable, "-c", code], check=True)
        figures = pickle.load(open(out.name, "rb"))
    print(script.report(figures))
    print()
    return figures


if __name__ == "__main__":
    main()
