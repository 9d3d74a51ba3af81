"""cgrad explain benchmark: the classifier 784 -> 100 -> 10 explained, the whole process.

    python benchmarks/bench.py --only explain            # 7 runs of each command
    python benchmarks/bench.py --only explain --quick    # 2 runs

The classifier of examples/classifier.cg with random inputs of MNIST's sizes (x of 784, W1 100×784, W2
10×100, r = 3; seeded).  Timed: wall seconds of the subprocesses

    cgrad explain -f examples/classifier.cg --inputs INPUTS.json            (text, every input)
    cgrad explain -f examples/classifier.cg --inputs INPUTS.json --json
    cgrad eval -f examples/classifier.cg --inputs INPUTS.json --json         (for comparison)

(the console script beside sys.executable, start-up included), the median over the runs and their CPU
seconds, with the load average (the machine is shared: a busy one stretches wall time, not CPU time).
The Jacobians are never built at these sizes (∂(W1 @ x)/∂W1 would hold 7.8 million numbers): only the
VJPs of each path run.  The explained gradients are checked against eval's.  Target: < 1 s wall.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def inputs(folder: Path) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    values = {"x": rng.normal(size=784), "W1": rng.normal(size=(100, 784)) / 28, "b1": rng.normal(size=100) / 10,
              "W2": rng.normal(size=(10, 100)) / 10, "b2": rng.normal(size=10) / 10}
    path = folder / "classifier784.json"
    path.write_text(json.dumps({**{k: v.tolist() for k, v in values.items()}, "r": 3}))
    return path


def timed(cmd: list, repeats: int):
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        assert done.returncode == 0, done.stderr[-2000:]
        out = done.stdout
    return {"wall_s": statistics.median(walls), "best_wall_s": min(walls), "cpu_s": statistics.median(cpus)}, out


def run(quick: bool = False) -> dict:
    import numpy as np

    repeats = 2 if quick else 7
    script = Path(sys.executable).with_name("cgrad")
    cgrad = [str(script)] if script.exists() else [sys.executable, "-m", "cgrad_cli"]
    with tempfile.TemporaryDirectory() as tmp:
        at = ["-f", str(ROOT / "examples" / "classifier.cg"), "--inputs", str(inputs(Path(tmp)))]
        figures = {}
        figures["explain"], _ = timed(cgrad + ["explain", *at], repeats)
        figures["explain --json"], doc = timed(cgrad + ["explain", *at, "--json"], repeats)
        figures["eval --json"], ev = timed(cgrad + ["eval", *at, "--json"], repeats)
    doc, ev = json.loads(doc), json.loads(ev)
    for target in doc["wrt"]:  # the explained gradients are eval's
        assert np.allclose(target["gradient"], ev["gradients"][target["name"]], rtol=1e-12, atol=0)
    return {"commands": figures, "runs": repeats, "load_average": os.getloadavg()[0], "target_s": 1.0}


def report(f: dict) -> str:
    lines = []
    for name, fig in f["commands"].items():
        met = "" if name.startswith("eval") else \
            f"; target < {f['target_s']:.0f} s: {'met' if fig['wall_s'] < f['target_s'] else 'NOT met'}"
        lines.append(f"   cgrad {name:<15} {fig['wall_s']:.2f} s wall (median of {f['runs']}; best "
                     f"{fig['best_wall_s']:.2f} s), {fig['cpu_s']:.2f} s CPU{met}")
    lines.append(f"   load average while measured: {f['load_average']:.1f} on {os.cpu_count()} cores")
    return "\n".join(lines)

