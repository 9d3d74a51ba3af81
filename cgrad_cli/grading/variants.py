"""Per-student variants: an assignment's inputs declared as ranges or choices, drawn for each student.

In an input set, a value may be ``{range = [1, 5], step = 0.5}`` (a multiple of step above the low end, up
to the high end; without a step, a number with 3 significant figures in the range) or ``{choice = [0, 1,
2]}``.  A student's variant is drawn from a generator seeded with the assignment's seed, the student's id
and the problem (so it is the same every run, and each problem's draw is independent of the others); a
draw where the program or a derivative asked is undefined (a math domain error), or where the point sits
on a kink, is drawn again, from the same generator (so that too is the same every run).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ..errors import CgradError

MAX_DRAWS = 100  # per input set: a range that gives no usable point in this many draws is an error


@dataclass(frozen=True)
class Spec:
    """How one input is drawn: a range (lo, hi, step or None) or a choice among values."""
    lo: float = 0.0
    hi: float = 0.0
    step: float | None = None
    choices: tuple = ()

    def draw(self, rng: random.Random) -> float:
        if self.choices:
            return float(rng.choice(self.choices))
        if self.step:
            return self.lo + self.step * rng.randint(0, int(math.floor((self.hi - self.lo) / self.step + 1e-9)))
        x = rng.uniform(self.lo, self.hi)
        return float(f"{x:.3g}") if x else 0.0

    def text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(f"{c:g}" for c in self.choices)
        return f"from {self.lo:g} to {self.hi:g}" + (f" in steps of {self.step:g}" if self.step else "")


def parse_spec(value) -> Spec:
    """`{range = [lo, hi], step = s}` or `{choice = [...]}` -> a Spec; ValueError saying what is wrong."""
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if set(value) == {"choice"} or set(value) == {"choices"}:
        choices = value.get("choice", value.get("choices"))
        if not isinstance(choices, list) or not choices or not all(map(number, choices)):
            raise ValueError("choice must be a list of numbers, as { choice = [0, 1, 2] }")
        return Spec(choices=tuple(float(c) for c in choices))
    if "range" in value and set(value) <= {"range", "step"}:
        r, step = value["range"], value.get("step")
        if not (isinstance(r, list) and len(r) == 2 and all(map(number, r)) and r[0] <= r[1]):
            raise ValueError("range must be [low, high] with low <= high, as { range = [1, 5], step = 0.5 }")
        if step is not None and not (number(step) and step > 0):
            raise ValueError("step must be a number > 0")
        return Spec(float(r[0]), float(r[1]), None if step is None else float(step))
    raise ValueError("an input drawn per student is { range = [low, high], step = s } or { choice = [...] }")


def draw(graph, given: dict, specs: dict, quantities, rng: random.Random) -> dict:
    """One input set: the given values, and each input with a Spec drawn until the point is usable (the
    program and each quantity's derivative defined, no kink met).  CgradError when none is in MAX_DRAWS."""
    from ..core.autodiff import backward, forward

    outs = {q.of for q in quantities if q.wrt is not None}
    for _ in range(MAX_DRAWS):
        point = {**given, **{name: spec.draw(rng) for name, spec in specs.items()}}
        try:
            values = forward(graph, point)
            if all(not backward(graph, values, graph.named[o]).warnings for o in outs):
                return point
        except CgradError:
            pass
    raise CgradError(f"no draw of {', '.join(specs)} in {MAX_DRAWS} gives a point where the program and its "
                     "derivatives are defined and smooth", hint="narrow the ranges or the choices")


def rng_for(seed: int, student: str, problem: str) -> random.Random:
    """The generator of one student's variant of one problem (a string seed: the same in every process)."""
    return random.Random(f"{seed}/{student}/{problem}")
