"""cgrad budgets benchmark: inputs refused for their size, how fast and in how little memory; bytes a node.

    python benchmarks/budget_bench.py            # 7 runs each; a flat program of 10^6 terms
    python benchmarks/budget_bench.py --quick    # 3 runs; 10^5 terms

Two inputs past a budget, each a whole `cgrad eval` process (the console script beside sys.executable):
the inlining bomb (31 lines: f0(x) = x*x, f_i(x) = f_{i-1}(f_{i-1}(x)), y = f30(a): 2^30 nodes, refused by
--max-nodes from the bodies' counts) and `y = sum(onehot(1, 10**10))` (refused by --max-elements from its
shape).  Timed: the median wall time, and the same beyond start-up (the lecture's --json call, run in the
same rounds, so load on the machine hits all three alike) and their CPU seconds, which load disturbs less;
the peak resident memory is the process's own (ru_maxrss from wait4).  Targets: under 0.2 s beyond start-up, under 100 MB.

Then large inputs that are allowed, each a whole process once: an N×N --inputs matrix (N = 3000, 72 MB as
float64, 170 MB of JSON; --quick: 1000) through `cgrad eval "y = sum(W*W)" --inputs F --json > /dev/null` under
a 2 GB address-space limit (as `ulimit -v 2000000`), whose output is ~1.7 GB of JSON; `cgrad jacobian
"y = x*2"` of a 1000-element x, printed (a 10^6-element Jacobian); and `cgrad graph -o page.html` of a
50 000-statement chain, refused by --max-drawn.

Then what a node costs: a flat program `y = x+x+...` of N terms parsed and evaluated in a fresh process,
(peak RSS - RSS before) / nodes, after the parse and after the evaluation.  Target: <= 200 bytes a node
(so that the 10 MB program of issue 15, 5 million nodes, fits in 2 GB).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BOMB = "\n".join(["f0(x)=x*x"] + [f"f{i}(x)=f{i - 1}(f{i - 1}(x))" for i in range(1, 31)] + ["y=f30(a)"])
LECTURE = ["eval", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "--json"]
NODE_COST = """
import json, resource, time
from cgrad_cli.core.autodiff import evaluate
from cgrad_cli.core.parsing import parse
source = "y=" + "+".join(["x"] * {n})
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before, t = rss(), time.perf_counter()
graph = parse(source)
parsed, t_parse = rss(), time.perf_counter() - t
evaluate(graph, {{"x": 1.0}})
print(json.dumps({{"nodes": len(graph), "parse_bytes": parsed - before, "eval_bytes": rss() - before,
                  "parse_s": t_parse}}))
"""


def cgrad_command() -> list:
    script = Path(sys.executable).with_name("cgrad")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cgrad_cli"]


def process(cmd: list, limit: int | None = None) -> tuple:
    """(wall seconds, exit status, peak resident MB, CPU seconds) of one process: its own, from wait4;
    with `limit` (bytes), its address space limited (ulimit -v), as issue 15 tries it."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    t = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=cap if limit else None)
    _, status, usage = os.wait4(child.pid, 0)
    return (time.perf_counter() - t, os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime)


def large(cgrad: list, quick: bool) -> dict:
    """The large inputs that are allowed (or refused by the drawn-node budget), each run once."""
    import tempfile

    import numpy as np
    import orjson

    n = 1000 if quick else 3000
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        path, x, chain = Path(folder, "W.json"), Path(folder, "x.json"), Path(folder, "chain.cg")
        path.write_bytes(orjson.dumps({"W": np.random.default_rng(0).standard_normal((n, n))},
                                      option=orjson.OPT_SERIALIZE_NUMPY))
        x.write_text(json.dumps({"x": [k / 1000 for k in range(1000)]}))
        chain.write_text("\n".join(f"x{k + 1} = sin(x{k})" for k in range(50_000)))
        runs = {"matrix": cgrad + ["eval", "y = sum(W*W)", "--inputs", str(path), "--json"],
                "jacobian": cgrad + ["jacobian", "y = x*2", "--inputs", str(x)],
                "page": cgrad + ["graph", "-f", str(chain), "--x0", "1", "-o", str(Path(folder, "page.html"))]}
        for name, cmd in runs.items():
            t, code, peak, cpu = process(cmd, limit=2_000_000 * 1024)
            figures[name] = {"exit": code, "seconds": t, "cpu_s": cpu, "peak_mb": peak}
        figures["matrix"].update(n=n, json_mb=path.stat().st_size / 2 ** 20)
    return figures


def run(quick: bool = False) -> dict:
    cgrad = cgrad_command()
    cases = {"bomb": cgrad + ["eval", BOMB, "--a", "1"], "onehot": cgrad + ["eval", "y = sum(onehot(1, 10000000000))"],
             "start-up": cgrad + LECTURE}
    repeats = 3 if quick else 7
    runs = {name: [] for name in cases}
    for _ in range(repeats):  # in turn within each round: drift hits them alike
        for name, cmd in cases.items():
            runs[name].append(process(cmd))
    base = statistics.median(r[0] for r in runs["start-up"])
    base_cpu = statistics.median(r[3] for r in runs["start-up"])
    figures = {"runs": repeats, "load": os.getloadavg()[0]}
    for name, rs in runs.items():
        t, cpu = statistics.median(r[0] for r in rs), statistics.median(r[3] for r in rs)
        figures[name] = {"exit": rs[0][1], "seconds": t, "beyond_startup_s": t - base, "cpu_s": cpu,
                         "cpu_beyond_startup_s": cpu - base_cpu, "peak_mb": max(r[2] for r in rs)}
    n = 100_000 if quick else 1_000_000
    done = subprocess.run([sys.executable, "-c", NODE_COST.format(n=n)], capture_output=True, text=True, check=True)
    figures["flat"] = {"terms": n, **json.loads(done.stdout)}
    figures["large"] = large(cgrad, quick)
    return figures


def report(f: dict) -> str:
    lines = [f"   whole `cgrad eval` processes, median of {f['runs']} (load average {f['load']:.1f}); "
             "wall ms and CPU ms, each also beyond start-up:"]
    for name, title in (("bomb", "inlining bomb (2^30 nodes)"), ("onehot", "sum(onehot(1, 10**10))"),
                        ("start-up", "start-up: the lecture, --json")):
        c = f[name]
        lines.append(f"   {title:30} exit {c['exit']}  wall {1e3 * c['seconds']:5.0f} (+{1e3 * c['beyond_startup_s']:4.0f})"
                     f"  CPU {1e3 * c['cpu_s']:4.0f} (+{1e3 * c['cpu_beyond_startup_s']:4.0f})  peak {c['peak_mb']:3.0f} MB")
    flat = f["flat"]
    lines.append(f"   flat program y = x+x+... of {flat['terms']} terms ({flat['nodes']} nodes): parse "
                 f"{flat['parse_s']:.1f} s; {flat['parse_bytes'] / flat['nodes']:.0f} bytes a node after parsing, "
                 f"{flat['eval_bytes'] / flat['nodes']:.0f} after evaluating (target <= 200)")
    big = f["large"]
    m = big["matrix"]
    lines.append(f"   allowed large inputs, one whole process each under a 2 GB address-space limit "
                 f"(load {f['load']:.1f}):")
    for name, title in (("matrix", f"eval --json of a {m['n']}×{m['n']} --inputs ({m['json_mb']:.0f} MB)"),
                        ("jacobian", "jacobian y = x*2, 1000-element x"),
                        ("page", "graph -o page.html, 50 000 statements")):
        c = big[name]
        lines.append(f"   {title:48} exit {c['exit']}  wall {c['seconds']:6.1f} s  CPU {c['cpu_s']:6.1f} s  "
                     f"peak {c['peak_mb']:5.0f} MB")
    return "\n".join(lines)


def main():
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--quick", action="store_true", help="3 runs, 10^5 terms")
    cli.add_argument("--json", action="store_true", help="also print the figures as JSON")
    opts = cli.parse_args()
    figures = run(opts.quick)
    print(report(figures))
    if opts.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
