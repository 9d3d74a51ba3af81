"""cgrad grading benchmark: a 200-student class of a 5-problem assignment, the whole process, diagnosis included.

    python benchmarks/grading_bench.py            # 200 students, 3 runs
    python benchmarks/grading_bench.py --quick    # 40 students, 1 run

The assignment: examples/hw1.toml's three problems (the lecture's graph, gradients as formulas, x used twice)
and two more: an RNN written out step by step (a scalar weight used at every step) and a softmax classifier
(arrays: W, x and an index r).  Each student's file holds, per quantity, the right answer or one of the
mistakes students make (a missing path, a path counted twice, the product rule swapped, σ' as σ, only the
last step's use, y for y − onehot(r), a number rounded by hand, a typo, no answer), drawn with a fixed seed,
so over a quarter of the answers are wrong and get diagnosed.  Timed: wall seconds of the subprocess

    cgrad check hw.toml --answers DIR --json --junit grades.xml --markdown report.md

(the console script beside sys.executable, start-up included), the median over the runs, and its CPU
seconds; the output is checked (every student graded, the summary there).  Target: < 10 s on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

from explain_bench import timed  # the one timing loop of a whole cgrad process (wall and CPU)

ROOT = Path(__file__).resolve().parents[1]
EXTRA = '''
[problems.rnn]
title = "A weight used at every step"
program = "h1 = tanh(w*x1); h2 = tanh(w*h1 + x2); h3 = tanh(w*h2 + x3); L = h3"
at = { w = 0.5, x1 = 1, x2 = -0.5, x3 = 0.3 }
[problems.rnn.expect]
"dL/dw" = "(1 - h3^2)*(h2 + w*(1 - h2^2)*(h1 + w*(1 - h1^2)*x1))"
"dL/dx3" = "1 - h3^2"

[problems.classifier]
title = "A softmax classifier"
program = "z = W @ x; y = softmax(z); C = -log(y[r])"
at = { W = [[1, 2], [3, 4]], x = [1, -1], r = 1 }
[problems.classifier.expect]
y = [0.5, 0.5]
"dC/dz" = "y - onehot(r, 2)"
"dC/dW" = "reshape(y - onehot(r, 2), 2, 1) @ reshape(x, 1, 2)"
'''
CHOICES = {
    "lecture": {"e": ["6", "3"], "c": ["3"], "d": ["2", "1"], "de/da": ["2", "3", "1"],
                "de/db": ["5", "2", "3", "8"], "de/dc": ['"d"', '"c"']},
    "formula": {"de/da": ['"b + 1"', '"a + b"'], "de/db": ['"a + 2*b + 1"', '"b + 1"', '"a + b + 1"', '"a + 2b"']},
    "sharing": {"y": ["0.6420127083438707", "0.642", "0.6"],
                "dy/dx": ['"exp(x^2)*(1 + 2*x^2)"', '"exp(x^2)"', '"2*x^2*exp(x^2)"', None]},
    "rnn": {"dL/dw": ['"(1 - h3^2)*(h2 + w*(1 - h2^2)*(h1 + w*(1 - h1^2)*x1))"', '"(1 - h3^2)*h2"',
                      '"(1 - h3)*(h2 + w*(1 - h2)*(h1 + w*(1 - h1)*x1))"'],
            "dL/dx3": ['"1 - h3^2"', '"1 - h3"', '"h3"']},
    "classifier": {"y": ["[0.5, 0.5]", "[0.4, 0.6]"], "dC/dz": ['"y - onehot(r, 2)"', '"y"', '"onehot(r, 2) - y"'],
                   "dC/dW": ['"reshape(y - onehot(r, 2), 2, 1) @ reshape(x, 1, 2)"',
                             '"reshape(x, 2, 1) @ reshape(y - onehot(r, 2), 1, 2)"', None]},
}


def write_class(folder: Path, students: int) -> Path:
    """The assignment (hw.toml) and one answer file per student in `folder`/answers."""
    hw = folder / "hw.toml"
    hw.write_text((ROOT / "examples" / "hw1.toml").read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    answers = folder / "answers"
    answers.mkdir()
    rng = random.Random(200)
    for k in range(students):
        lines = []
        for problem, quantities in CHOICES.items():
            lines.append(f"[{problem}]")
            for quantity, options in quantities.items():
                answer = options[0] if rng.random() < 0.5 else rng.choice(options)  # about half right
                if answer is not None:
                    lines.append(f'"{quantity}" = {answer}')
        (answers / f"s{k:03d}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return hw


def run(quick: bool = False) -> dict:
    students, repeats = (40, 1) if quick else (200, 3)
    script = Path(sys.executable).with_name("cgrad")
    cgrad = [str(script)] if script.exists() else [sys.executable, "-m", "cgrad_cli"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hw = write_class(folder, students)
        cmd = cgrad + ["check", str(hw), "--answers", str(folder / "answers"), "--json",
                       "--junit", str(folder / "grades.xml"), "--markdown", str(folder / "report.md")]
        times, out = timed(cmd, repeats)
        doc = json.loads(out)
        assert len(doc["students"]) == students and len(doc["summary"]) == 15
        items = [i for s in doc["students"] for i in s["items"]]
        wrong = [i for i in items if not i["pass"]]
        return {"students": students, "problems": 5, "quantities": 15, "answers": len(items),
                "not_right": len(wrong), "diagnosed": sum(i["diagnosis"] is not None for i in wrong),
                "runs": repeats, **times, "cpu_count": os.cpu_count(), "target_s": 10.0}


def report(f: dict) -> str:
    return (f"   {f['students']} students × {f['problems']} problems ({f['answers']} answers, {f['not_right']} not "
            f"right, {f['diagnosed']} of them diagnosed): {f['wall_s']:.2f} s wall (median of {f['runs']}; best "
            f"{f['best_wall_s']:.2f} s), {f['cpu_s']:.2f} s CPU; target < {f['target_s']:.0f} s: "
            f"{'met' if f['wall_s'] < f['target_s'] else 'NOT met'}")


def main():
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--quick", action="store_true", help="40 students, one run")
    cli.add_argument("--json", action="store_true", help="also print the figures as JSON")
    opts = cli.parse_args()
    figures = run(opts.quick)
    print("grading: " + __doc__.splitlines()[0])
    print(report(figures))
    if opts.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
