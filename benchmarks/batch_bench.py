"""cgrad --batch benchmark: points per second through the real CLI, against a loop of single evaluations.

    python benchmarks/batch_bench.py            # 1e5 and 1e6 points (about a minute and a half)
    python benchmarks/batch_bench.py --quick    # smoke run: 1e4 and 1e5 points
    python benchmarks/batch_bench.py --json     # also print every figure as JSON

1. End to end: the lecture program e=(a+b)*(b+1) at N random points (a, b uniform in
   [-5, 5], written with repr, as a producer would), NDJSON in and NDJSON out:
   `cgrad eval "e=(a+b)*(b+1)" --batch points.jsonl > out.jsonl` as a subprocess (the
   console script beside sys.executable), in a temporary directory, three times as cgrad
   runs by default (past its first chunks on worker processes, CGRAD_BATCH_WORKERS) and
   three times in one process (CGRAD_BATCH_WORKERS=0), alternating.  Wall seconds
   (perf_counter around the process, start-up included; the medians), the child's CPU
   seconds (its workers' included) and its peak resident memory (from os.wait4: this
   child's own rusage, not the running maximum RUSAGE_CHILDREN keeps -- which, like
   wait4's, is the largest process's, not a sum), beside it the workers' peaks and the
   whole process tree's, sampled from /proc (_TreeMemory) in one more run (sampling
   takes CPU from the run: the timed runs are not sampled), and the output checked: N
   lines, the first one the lecture's numbers when the first point is (2, 1).  Memory
   is flat when the peak at the largest N is within 20% of the peak at the smallest, and
   so is the tree's when both ran the same number of workers (a sample of a run without
   workers is no better than wait4's peak, and one of a short run may come too early).

   Beside them, in the same alternation, a hand-written script doing the same without cgrad
   (HAND_WRITTEN: orjson.loads per line, the lecture's values and gradients by hand as numpy
   arrays, orjson.dumps per output line, as one would write it), its output checked the same
   way: cgrad's lead is its points/s over the script's.

2. The loop: the same work done one point at a time with the library -- parse once,
   then per point json.loads, autodiff.evaluate, json.dumps of the same line -- over
   1e4 points (1e3 with --quick), extrapolated to a rate, the best of three runs (a
   busy machine slows a short loop more than the long batch run, which would flatter
   the speed-up); beside it the bare evaluate loop (no JSON), which is the most a
   batch run could gain on evaluation.

3. Where a batch point's time goes, in process on 4096-point chunks: decoding the
   chunk's JSON with orjson and checking it (batch.Batch._fast_ndjson, on the chunk's text uncut, where
   its newlines are known from cutting it), one forward +
   backward sweep over the arrays, and writing the output lines from the result columns
   with orjson (batch.Batch._lines).  The loop of 2. keeps the stdlib json module, as a
   user's own script would.

   Every timed process has a private bytecode cache, written by untimed warm-up runs, as an installed
   package has its .pyc files (PYTHONDONTWRITEBYTECODE=1 would compile cgrad's modules on every start).

Targets: >= 1.5 M points/s end to end at 1e6 points (issue 16; the first target was 100 000); ahead of
the hand-written script; >= 20x the loop; memory flat in N; and "nothing in the batch path slower in
one process than with workers", read as: the CPU a point costs in one process is at most what it costs
with the workers (all processes counted).  Points/s in one process >= with workers would mean the
workers are useless on an idle machine with CPUs to spare; what the one-process run must not do is
work the workers skip -- every stage there costs what it costs in a worker, or less.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LECTURE = "e=(a+b)*(b+1)"
CGRAD = Path(sys.executable).parent / ("cgrad.exe" if os.name == "nt" else "cgrad")
TARGET_RATE = 1_500_000
TARGET_SPEEDUP = 20
CHUNK = 4096


def write_points(path: Path, n: int, seed: int = 1) -> int:
    """N points, the first (2, 1); returns the file's size in bytes."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"a": 2, "b": 1}\n')
        for _ in range(n - 1):
            f.write('{"a": %r, "b": %r}\n' % (rng.uniform(-5, 5), rng.uniform(-5, 5)))
    return path.stat().st_size


# The lecture's batch by hand, as one would write it with numpy and orjson: what cgrad --batch must beat.
HAND_WRITTEN = """
import sys
import numpy as np
import orjson

with open(sys.argv[1], "rb") as f:
    rows = [orjson.loads(line) for line in f if line.strip()]
a = np.array([row["a"] for row in rows], dtype=float)
b = np.array([row["b"] for row in rows], dtype=float)
c, d = a + b, b + 1
e = c * d
out = sys.stdout.buffer
for k, (value, ga, gb) in enumerate(zip(e.tolist(), d.tolist(), (d + c).tolist()), 1):
    out.write(orjson.dumps({"line": k, "value": value, "gradients": {"a": ga, "b": gb}}) + b"\\n")
"""


def hand_run(points: Path, out: Path) -> float:
    """Wall seconds of the hand-written script over the points (a subprocess, start-up included)."""
    with open(out, "wb") as sink:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", HAND_WRITTEN, str(points)], stdout=sink, check=True, env=_child_env())
        return time.perf_counter() - start


def _child_env(**changes) -> dict:
    """The environment of a timed process: its own bytecode cache (BYTECODE, written by the untimed warm-up
    runs), as an installed package has its .pyc files -- PYTHONDONTWRITEBYTECODE=1, or a source tree edited
    since its .pyc files were written, would make every run compile cgrad's modules again (some 50 ms)."""
    drop = ("CGRAD_BATCH_CHUNK", "CGRAD_BATCH_WORKERS", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if BYTECODE:
        env["PYTHONPYCACHEPREFIX"] = BYTECODE
    env.update(changes)
    return env


BYTECODE = ""  # the private bytecode cache of the timed processes (a temporary directory, set by run())


def _maxrss_mb(rusage) -> float:
    return rusage.ru_maxrss / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)  # bytes on macOS, KiB elsewhere


class _TreeMemory:
    """The memory of a process and its children (the --batch workers), sampled from /proc every 20 ms while
    it runs (Linux; elsewhere nothing).  wait4's peak (ru_maxrss) is that of the largest single process --
    the kernel keeps the maximum over the children, not their sum -- so the workers are measured here:
    each one's peak resident set (VmHWM, pages shared with the main process included), and the largest sum
    of the proportional set sizes (Pss) over the tree: what the run as a whole holds, a page shared by n
    processes counted 1/n in each.  A sample can miss a short peak: the figures are lower bounds."""

    def __init__(self, pid: int):
        import threading

        self.pid, self.worker_peak, self.total, self.workers = pid, {}, 0.0, set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(0.02):
            try:
                children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            except OSError:
                return
            total = self._kib(self.pid, "smaps_rollup", "Pss:")
            for child in map(int, children):
                total += self._kib(child, "smaps_rollup", "Pss:")
                peak = self._kib(child, "status", "VmHWM:")
                if peak:
                    self.workers.add(child)
                    self.worker_peak[child] = max(self.worker_peak.get(child, 0.0), peak)
            self.total = max(self.total, total)

    @staticmethod
    def _kib(pid: int, name: str, field: str) -> float:
        try:
            with open(f"/proc/{pid}/{name}") as f:
                for line in f:
                    if line.startswith(field):
                        return float(line.split()[1])
        except OSError:
            pass
        return 0.0

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        return {"workers": len(self.workers),
                "worker_peak_mb": max(self.worker_peak.values(), default=0.0) / 2 ** 10,
                "total_pss_mb": self.total / 2 ** 10 if os.path.exists("/proc/self/smaps_rollup") else None}


def cli_run(points: Path, out: Path, workers: str | None = None, sample: bool = False) -> dict:
    """One `cgrad eval --batch` subprocess: wall and CPU seconds (its workers' included: wait4 counts the
    children a process has waited for), peak memory (wait4: the largest process), and with `sample` the
    workers' and the whole tree's (_TreeMemory: reading /proc takes CPU from the run, so a run whose time
    counts is not sampled).  workers: CGRAD_BATCH_WORKERS for the run (None: cgrad's default)."""
    env = _child_env(**({} if workers is None else {"CGRAD_BATCH_WORKERS": workers}))
    with open(out, "wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen([str(CGRAD), "eval", LECTURE, "--batch", str(points)], stdin=subprocess.DEVNULL,
                                   stdout=sink, stderr=subprocess.PIPE, env=env)
        tree = _TreeMemory(process.pid) if sample else None
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        memory = tree.stop() if tree else {}
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode()
        process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"cgrad --batch failed with exit {process.returncode}: {stderr}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": _maxrss_mb(usage), **memory}


def check_output(out: Path, n: int) -> None:
    with open(out, "rb") as f:
        first = json.loads(f.readline())
        count = 1 + sum(1 for _ in f)
    assert count == n, f"{count} output lines for {n} points"
    assert first == {"line": 1, "value": 6.0, "gradients": {"a": 2.0, "b": 5.0}}, first


def end_to_end(sizes, repeats: int, workdir: Path) -> list:
    """Each size run `repeats` times as cgrad runs by default (workers past the first chunks, on a machine
    with more than one CPU) and as many times in one process (CGRAD_BATCH_WORKERS=0), the two alternating
    (a busy machine then slows both alike): the medians; then once more by default, its memory sampled."""
    rows = []
    empty, warm = workdir / "empty.jsonl", workdir / "warm.jsonl"
    empty.write_text("")
    write_points(warm, 10)
    for points in (warm, empty):  # the warm-up: writes the bytecode cache
        cli_run(points, workdir / "warm.out")
        hand_run(points, workdir / "warm.out")
    startup = statistics.median(cli_run(empty, workdir / "empty.out")["wall"] for _ in range(3))
    for n in sizes:
        points, out = workdir / f"points-{n}.jsonl", workdir / f"out-{n}.jsonl"
        size = write_points(points, n)
        runs, serial, hand = [], [], []
        for _ in range(repeats):
            runs.append(cli_run(points, out))
            check_output(out, n)
            serial.append(cli_run(points, out, workers="0"))
            check_output(out, n)
            hand.append(hand_run(points, out))
            check_output(out, n)
        memory = cli_run(points, out, sample=True)  # the workers' memory, and the tree's
        check_output(out, n)
        out.unlink()
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        serial_wall = statistics.median(r["wall"] for r in serial)
        serial_cpu = statistics.median(r["cpu"] for r in serial)
        rows.append({"n": n, "input_mb": size / 2 ** 20, "wall_s": wall, "cpu_s": cpu,
                     "points_per_s": n / wall, "points_per_cpu_s": n / cpu,
                     "peak_mb": max(r["peak_mb"] for r in [*runs, memory]), "workers": memory["workers"],
                     "worker_peak_mb": memory["worker_peak_mb"], "total_pss_mb": memory["total_pss_mb"],
                     "serial_wall_s": serial_wall, "serial_points_per_s": n / serial_wall,
                     "serial_cpu_s": serial_cpu, "cpu_us": cpu / n * 1e6, "serial_cpu_us": serial_cpu / n * 1e6,
                     "cpu_ratio": cpu / serial_cpu,
                     "serial_peak_mb": max(r["peak_mb"] for r in serial), "workers_gain": serial_wall / wall,
                     "hand_points_per_s": n / statistics.median(hand),
                     "lead": statistics.median(hand) / wall,
                     "startup_s": startup})
        points.unlink()
    return rows


def loop(n: int) -> dict:
    """The same run as a Python loop of single evaluations: parse once, then one point at a time."""
    from cgrad_cli.core.autodiff import evaluate
    from cgrad_cli.core.parsing import parse

    rng = random.Random(2)
    lines = [b'{"a": %r, "b": %r}' % (rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(n)]
    sink = []
    start, cpu = time.perf_counter(), time.process_time()
    graph = parse(LECTURE)
    for k, line in enumerate(lines, 1):
        ev = evaluate(graph, json.loads(line))
        sink.append(json.dumps({"line": k, "value": ev.value, "gradients": ev.gradients()}))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    points = [json.loads(line) for line in lines]
    bare = time.process_time()
    for point in points:
        evaluate(graph, point).gradients()
    bare = time.process_time() - bare
    return {"n": n, "wall_s": wall, "cpu_s": cpu, "points_per_s": n / wall, "points_per_cpu_s": n / cpu,
            "evaluate_us": bare / n * 1e6}


def breakdown(chunks: int = 50) -> dict:
    """µs per point of each stage of a batch chunk, in process (the best of three passes)."""
    import numpy as np

    from cgrad_cli.core.autodiff import backward
    from cgrad_cli.core.graph import gc_paused
    from cgrad_cli.render.batch import Batch
    from cgrad_cli.render.batch_workers import pieces_of
    from cgrad_cli.core.parsing import parse

    graph = parse(LECTURE)
    batch = Batch(graph, {}, None, None)
    rng = random.Random(3)
    texts = [b"".join(b'{"a": %r, "b": %r}\n' % (rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(CHUNK))
             for _ in range(chunks)]
    data = [(text[:-1], ends) for text in texts for _, _, ends in pieces_of(text, CHUNK)]  # as Batch.block has them
    best = {"decode_us": float("inf"), "sweep_us": float("inf"), "format_us": float("inf")}
    for _ in range(3):
        decode = sweep = fmt = 0.0
        for text, ends in data:
            with gc_paused(freeze=False):  # as run() does for each chunk
                t0 = time.process_time()
                columns = batch._fast_ndjson(text, CHUNK, ends)
                t1 = time.process_time()
                ev = backward(graph, batch._forward(columns, CHUNK), batch.out, seed=np.ones(CHUNK))
                value = ev.values[batch.out]
                grads = [ev.grad(i) for i in batch.grad_nodes]
                t2 = time.process_time()
                batch._lines(range(1, CHUNK + 1), value, grads)
                t3 = time.process_time()
            decode, sweep, fmt = decode + t1 - t0, sweep + t2 - t1, fmt + t3 - t2
        points = chunks * CHUNK
        for key, seconds in (("decode_us", decode), ("sweep_us", sweep), ("format_us", fmt)):
            best[key] = min(best[key], seconds / points * 1e6)
    return best


def run(quick: bool = False) -> dict:
    """Every figure, as a dict (for bench.py to include)."""
    global BYTECODE
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="cgrad-batch-bench-") as tmp:
        BYTECODE = os.path.join(tmp, "pycache")
        try:
            rows = end_to_end(sizes, 1 if quick else 3, Path(tmp))
        finally:
            BYTECODE = ""
    single = max((loop(1_000 if quick else 10_000) for _ in range(3)), key=lambda r: r["points_per_s"])  # best of 3
    stages = breakdown(10 if quick else 50)
    best = rows[-1]
    figures = {
        "end_to_end": rows,
        "loop": single,
        "stages": stages,
        "speedup": best["points_per_s"] / single["points_per_s"],
        "speedup_cpu": best["points_per_cpu_s"] / single["points_per_cpu_s"],
        "evaluation_speedup": single["evaluate_us"] / stages["sweep_us"],
        "memory_ratio": best["peak_mb"] / rows[0]["peak_mb"],
        "total_memory_ratio": (best["total_pss_mb"] / rows[0]["total_pss_mb"]
                               if best["total_pss_mb"] and rows[0]["total_pss_mb"]
                               and best["workers"] == rows[0]["workers"] > 0 else None),
        "workers_gain": best["workers_gain"],
        "cpu_ratio": best["cpu_ratio"],
    }
    figures["targets"] = {
        "rate": best["points_per_s"] >= TARGET_RATE,
        "lead": best["lead"] >= 1,
        "one_process": best["cpu_ratio"] >= 1,
        "speedup": figures["speedup"] >= TARGET_SPEEDUP,
        "flat_memory": figures["memory_ratio"] <= 1.2 and (figures["total_memory_ratio"] or 1) <= 1.2,
    }
    return figures


def report(f: dict) -> str:
    out = [f"cgrad eval {LECTURE!r} --batch FILE (NDJSON in, NDJSON out), {os.cpu_count()} CPUs, "
           f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "",
           "",
           f"{'points':>10} {'input MB':>9} {'wall s':>8} {'cpu s':>8} {'points/s':>10} {'points/cpu s':>13} "
           f"{'peak MB':>8} {'workers':>8} {'worker MB':>10} {'total MB':>9} {'1 process':>10} {'gain':>6}"]
    for r in f["end_to_end"]:
        total = f"{r['total_pss_mb']:>9.1f}" if r["total_pss_mb"] is not None else f"{'-':>9}"
        out.append(f"{r['n']:>10,} {r['input_mb']:>9.1f} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} "
                   f"{r['points_per_s']:>10,.0f} {r['points_per_cpu_s']:>13,.0f} {r['peak_mb']:>8.1f} "
                   f"{r['workers']:>8} {r['worker_peak_mb']:>10.1f} {total} {r['serial_points_per_s']:>10,.0f} "
                   f"{r['workers_gain']:>5.2f}x")
    out += ["(wall and cpu s: medians; cpu s includes the workers'; peak MB: the largest process (wait4); worker "
            "MB: a worker's peak resident set,",
            " its pages shared with the main process included; total MB: the largest sum of Pss over the "
            "process tree (shared pages counted once);",
            " 1 process: points/s with CGRAD_BATCH_WORKERS=0, the runs alternating with the default ones; gain: "
            "default over 1 process, wall)"]
    loop_ = f["loop"]
    s = f["stages"]
    out += [
        f"(start-up of the CLI, empty input: {f['end_to_end'][0]['startup_s'] * 1e3:.0f} ms wall)",
        "",
        f"loop of single evaluations ({loop_['n']:,} points: json.loads + evaluate + json.dumps): "
        f"{loop_['points_per_s']:,.0f} points/s ({loop_['points_per_cpu_s']:,.0f} per cpu s); "
        f"evaluate alone {loop_['evaluate_us']:.1f} µs/point",
        f"batch, per point in process: decode+check {s['decode_us']:.2f} µs, forward+backward sweep "
        f"{s['sweep_us']:.2f} µs, format {s['format_us']:.2f} µs",
        "",
        f"speedup over the loop: {f['speedup']:.1f}x wall, {f['speedup_cpu']:.1f}x cpu "
        f"(target {TARGET_SPEEDUP}x); on evaluation alone {f['evaluation_speedup']:.0f}x",
        f"rate: {f['end_to_end'][-1]['points_per_s']:,.0f} points/s (target {TARGET_RATE:,}: "
        f"{'met' if f['targets']['rate'] else 'missed'})",
        f"lead over the hand-written numpy + orjson script: {f['end_to_end'][-1]['lead']:.2f}x "
        f"({f['end_to_end'][-1]['hand_points_per_s']:,.0f} points/s) at {f['end_to_end'][-1]['n']:,} points",
        f"worker processes: {f['workers_gain']:.2f}x the points/s of one process at "
        f"{f['end_to_end'][-1]['n']:,} points",
        f"CPU a point at {f['end_to_end'][-1]['n']:,} points: {f['end_to_end'][-1]['serial_cpu_us']:.2f} µs in one "
        f"process, {f['end_to_end'][-1]['cpu_us']:.2f} µs with the workers (all processes): with workers / one "
        f"process {f['cpu_ratio']:.2f}x (target >= 1: nothing in the batch path costs more in one process: "
        f"{'met' if f['targets']['one_process'] else 'missed'})",
        f"memory: peak {f['end_to_end'][-1]['peak_mb']:.1f} MB at {f['end_to_end'][-1]['n']:,} points vs "
        f"{f['end_to_end'][0]['peak_mb']:.1f} MB at {f['end_to_end'][0]['n']:,} (ratio {f['memory_ratio']:.2f}); "
        + (f"the whole tree {f['end_to_end'][-1]['total_pss_mb']:.1f} MB vs {f['end_to_end'][0]['total_pss_mb']:.1f}"
           f" MB (ratio {f['total_memory_ratio']:.2f}); " if f["total_memory_ratio"] is not None else "")
        + f"flat: {'yes' if f['targets']['flat_memory'] else 'NO'}",
    ]
    return "\n".join(out)


def main():
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--quick", action="store_true", help="smoke run: 1e4 and 1e5 points")
    cli.add_argument("--json", action="store_true", help="also print every figure as JSON")
    args = cli.parse_args()
    if not CGRAD.exists():
        raise SystemExit(f"no cgrad console script at {CGRAD}: pip install -e . first")
    figures = run(args.quick)
    print(report(figures))
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
