"""Checking answers against cgrad: `--expect QUANTITY = ANSWER`, pure (no printing, no click).

A *quantity* names what is checked:

- ``NAME``: the value of a named node (an input, an assignment, the output);
- ``dOUT/dNAME`` or ``∂OUT/∂NAME``: the derivative of the named node OUT with
  respect to the input or named node NAME, by reverse mode (the adjoint of NAME
  in a sweep down from OUT, as `cgrad eval --output OUT --wrt NAME` reports).

An *answer* is a cgrad expression: a number (``5``, ``-1e-3``, ``1/3``) or a
formula over the program's names (``a + 2*b + 1``, ``c + d``).  A formula is
checked at the given point and at `points` random points around it (seeded, so
every run draws the same ones): each input x is drawn uniformly from
[x - r, x + r] with r = max(1, |x|)/2.  Points where the program, its
derivative or the answer is undefined (a math domain error) are skipped and
counted; when fewer than half of the points are left, the formula cannot be
confirmed away from the given point and the check fails, saying so.  A formula
right at the given point only therefore fails.

A value passes when |expected - got| <= atol + rtol*|got|, `got` being cgrad's
value (numpy.isclose's rule and defaults: rtol 1e-5, atol 1e-8; a number copied
from cgrad's 6-digit output passes).
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from .autodiff import backward, forward
from .errors import CgradError, EXIT_USAGE, MathDomainError, excerpt, suggest
from .graph import Graph

RTOL = 1e-5
ATOL = 1e-8
POINTS = 20
SEED = 0

_NAME = r"[^\W\d]\w*"
_VALUE = re.compile(rf"\s*({_NAME})\s*\Z")
_DERIVATIVE = re.compile(rf"\s*[d∂]\s*({_NAME})\s*/\s*[d∂]\s*({_NAME})\s*\Z")


class ExpectationError(CgradError):
    """A bad expectation or answer: where it came from, what is wrong, the text with a caret under it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, text: str, span: tuple[int, int] | None = None, where: str = "--expect",
                 hint: str | None = None, kind: str = "expectation", **details):
        super().__init__(message, hint=hint, where=where, expectation=text, **details)
        self.text, self.text_span, self.where, self.kind = text, span, where, kind

    def render(self) -> str:
        head = self.where + (f", column {self.text_span[0] + 1}" if self.text_span else "")
        lines = [f"error: {head}: {self.message}"]
        if self.text_span is not None and "\n" not in self.text:
            lines += excerpt(self.text, self.text_span)
        else:
            lines.append("  " + " ".join(self.text.split()))
        if self.hint:
            lines.append("hint: " + self.hint)
        return "\n".join(lines)

    def to_json(self) -> dict:
        doc = super().to_json()
        if self.text_span is not None:
            doc["error"].update(column=self.text_span[0] + 1, span=list(self.text_span))
        return doc


@dataclass(frozen=True)
class Quantity:
    of: str  # the node whose value, or whose derivative, is checked
    wrt: str | None = None  # None: a value

    @property
    def label(self) -> str:
        return self.of if self.wrt is None else f"∂{self.of}/∂{self.wrt}"


@dataclass
class Answer:
    text: str  # as written, on one line
    graph: Graph  # the answer parsed as a program of one expression over the program's names

    @property
    def is_formula(self) -> bool:
        return bool(self.graph.inputs)


@dataclass
class Expectation:
    text: str
    quantity: Quantity
    answer: Answer


@dataclass
class RandomCheck:
    points: int  # drawn
    checked: int = 0  # where everything was defined
    skipped: int = 0  # where the program, its derivative or the answer was undefined
    failed: int = 0
    first_failure: dict | None = None  # {"at": {...}, "expected", "got", "error"}

    @property
    def needed(self) -> int:
        return (self.points + 1) // 2

    @property
    def enough(self) -> bool:
        return self.checked >= self.needed


@dataclass
class Result:
    expectation: Expectation
    got: float  # cgrad's value at the given point
    expected: float | None  # the answer's value there (None: undefined)
    error: float | None  # |expected - got|
    passed: bool
    random: RandomCheck | None = None
    note: str | None = None  # why it failed, in words


@dataclass
class Report:
    graph: Graph
    at: dict
    rtol: float
    atol: float
    points: int
    seed: int
    results: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # kink warnings at the given point

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)


# --- parsing ------------------------------------------------------------------------------------------------

def parse_expectation(text: str, graph: Graph, where: str = "--expect") -> Expectation:
    """`de/db = a + 2*b + 1` -> an Expectation; ExpectationError (exit 2) for anything wrong in it."""
    text = unicodedata.normalize("NFC", text)
    q, eq, a = text.partition("=")
    if not eq:
        raise ExpectationError("expected QUANTITY = ANSWER, as in de/db = 5 or de/db = a + 2*b + 1", text=text,
                               where=where)
    return Expectation(text, parse_quantity(q, graph, where=where, text=text, offset=0),
                       parse_answer(a, graph, where=where, text=text, offset=len(q) + 1))


def parse_quantity(q: str, graph: Graph, *, where: str = "--expect", text: str | None = None,
                   offset: int = 0) -> Quantity:
    """`e`, `de/db`, `∂e/∂b` -> a Quantity whose names the program has."""
    text = q if text is None else text
    m = _DERIVATIVE.match(q)
    if m is not None:
        of, wrt = m.group(1), m.group(2)
        _known(graph, of, text, offset + m.start(1), where)
        _known(graph, wrt, text, offset + m.start(2), where)
        i = graph.named[wrt]
        if not graph.needs_grad[i]:
            raise ExpectationError(f"'{wrt}' does not depend on any input, so cgrad does not differentiate "
                                   f"with respect to it", text=text, span=(offset + m.start(2), offset + m.end(2)),
                                   where=where, kind="name")
        return Quantity(of, wrt)
    m = _VALUE.match(q)
    if m is not None:
        _known(graph, m.group(1), text, offset + m.start(1), where)
        return Quantity(m.group(1))
    stripped = len(q) - len(q.lstrip())
    raise ExpectationError(f"cannot read the quantity {q.strip()!r}", text=text,
                           span=(offset + stripped, offset + max(stripped + 1, len(q.rstrip()))), where=where,
                           hint="write NAME (a value), dOUT/dNAME or ∂OUT/∂NAME (a derivative), as in e, de/db")


def _known(graph: Graph, name: str, text: str, start: int, where: str) -> None:
    if name in graph.named:
        return
    hint = suggest(name, graph.named) or "names in the program: " + ", ".join(graph.named)
    if graph.output is not None and graph.names[graph.output] is None:
        hint += "; to check the output, give it a name, as in y = ..."
    raise ExpectationError(f"the program has no name '{name}'", text=text, span=(start, start + len(name)),
                           where=where, hint=hint, kind="name")


def parse_answer(a: str, graph: Graph, *, where: str = "--expect", text: str | None = None,
                 offset: int = 0) -> Answer:
    """A number or a formula over the program's names, parsed as a cgrad expression."""
    from .parsing import parse

    text = a if text is None else text
    if not a.strip():
        raise ExpectationError("no answer after '='", text=text, span=(offset + len(a), offset + len(a) + 1),
                               where=where, hint="write a number or a formula, as in de/db = 5 or de/db = a + 2*b + 1")
    try:
        answer = parse(a)
    except CgradError as e:
        span = None if e.span is None else (offset + e.span[0], offset + e.span[1])
        raise ExpectationError(e.message.replace("the program", "the answer"), text=text, span=span, where=where,
                               hint=e.hint, kind=e.kind) from None
    lead = len(a) - len(a.lstrip())
    start, end = answer.spans[answer.output]
    if answer.assigned_at or (start, end) != (lead, len(a.rstrip())):
        raise ExpectationError("an answer is one expression, not a program", text=text,
                               span=(offset + lead, offset + len(a.rstrip())), where=where,
                               hint="write only the right-hand side, as in de/db = a + 2*b + 1")
    for name, i in answer.inputs.items():
        if name not in graph.named:
            s = answer.spans[i][0] + offset
            hint = suggest(name, graph.named) or "an answer may use the program's names: " + ", ".join(graph.named)
            raise ExpectationError(f"the answer uses '{name}', which is not a name in the program", text=text,
                                   span=(s, s + len(name)), where=where, hint=hint, kind="name")
    return Answer(" ".join(a.split()), answer)


# --- checking -----------------------------------------------------------------------------------------------

def close(expected: float, got: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """numpy.isclose's rule, with cgrad's value as the reference."""
    return abs(expected - got) <= atol + rtol * abs(got)


class _Point:
    """The program evaluated at one point: values, and one reverse sweep per node differentiated (cached)."""

    def __init__(self, graph: Graph, at: dict):
        self.graph, self.at = graph, at
        self.values = forward(graph, at)
        self.sweeps = {}

    def sweep(self, of: str):
        if of not in self.sweeps:
            self.sweeps[of] = backward(self.graph, self.values, self.graph.named[of])
        return self.sweeps[of]

    def quantity(self, q: Quantity) -> float:
        g = self.graph
        if q.wrt is None:
            return self.values[g.named[q.of]]
        return self.sweep(q.of).grads[g.named[q.wrt]]

    def answer(self, a: Answer) -> float:
        v = forward(a.graph, {n: self.values[self.graph.named[n]] for n in a.graph.inputs})
        return v[a.graph.output]


def random_points(graph: Graph, at: dict, count: int = POINTS, seed: int = SEED) -> list:
    """`count` points around `at`: each input x uniform in [x - r, x + r], r = max(1, |x|)/2; seeded."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        point = {}
        for name in graph.inputs:
            x = float(at[name])
            r = max(1.0, abs(x)) / 2
            point[name] = x + rng.uniform(-r, r)
        points.append(point)
    return points


def check(graph: Graph, at: dict, expectations: list, rtol: float = RTOL, atol: float = ATOL,
          points: int = POINTS, seed: int = SEED) -> Report:
    """Every expectation at `at` (and each formula at the random points): a Report of Results.

    The program must be defined at `at` (else MathDomainError, exit 3, as `cgrad eval`); an answer undefined
    there simply fails.
    """
    report = Report(graph, dict(at), rtol, atol, points, seed)
    here = _Point(graph, at)
    seen = set()
    for x in expectations:
        if x.quantity.wrt is not None:
            for i, message in here.sweep(x.quantity.of).warnings:
                if (i, message) not in seen:
                    seen.add((i, message))
                    report.warnings.append(message)
    others = None
    for x in expectations:
        got = here.quantity(x.quantity)
        try:
            expected = here.answer(x.answer)
        except MathDomainError as e:
            report.results.append(Result(x, got, None, None, False,
                                         note=f"the answer is undefined at the given point: {e.message}"))
            continue
        error = abs(expected - got)
        ok = close(expected, got, rtol, atol)
        result = Result(x, got, expected, error, ok)
        if not ok:
            result.note = "wrong at the given point"
        if x.answer.is_formula and points > 0:
            if others is None:
                others = [_try_point(graph, p) for p in random_points(graph, at, points, seed)]
            result.random = _at_random_points(x, others, rtol, atol)
            if ok and result.random.failed:
                result.passed = False
                result.note = (f"right at the given point but wrong at {result.random.failed} of "
                               f"{result.random.checked} random points")
            elif ok and not result.random.enough:
                result.passed = False
                result.note = (f"only {result.random.checked} of {points} random points were defined (at least "
                               f"{result.random.needed} are needed to check a formula): try a point farther inside "
                               "the domain")
        report.results.append(result)
    return report


def _try_point(graph: Graph, at: dict):
    try:
        return _Point(graph, at)
    except MathDomainError:
        return at  # undefined there: a plain dict marks a skipped point


def _at_random_points(x: Expectation, others: list, rtol: float, atol: float) -> RandomCheck:
    rc = RandomCheck(len(others))
    for p in others:
        if not isinstance(p, _Point):
            rc.skipped += 1
            continue
        try:
            got = p.quantity(x.quantity)
            expected = p.answer(x.answer)
        except MathDomainError:
            rc.skipped += 1
            continue
        rc.checked += 1
        if not close(expected, got, rtol, atol):
            rc.failed += 1
            if rc.first_failure is None:
                rc.first_failure = {"at": dict(p.at), "expected": expected, "got": got, "error": abs(expected - got)}
    return rc


def result_json(r: Result) -> dict:
    x = r.expectation
    doc = {
        "quantity": x.quantity.label,
        "of": x.quantity.of,
        "wrt": x.quantity.wrt,
        "answer": x.answer.text,
        "formula": x.answer.is_formula,
        "expected": r.expected,
        "got": r.got,
        "error": r.error,
        "pass": r.passed,
        "random": None,
        "note": r.note,
    }
    if r.random is not None:
        rc = r.random
        doc["random"] = {"points": rc.points, "checked": rc.checked, "skipped": rc.skipped, "needed": rc.needed,
                         "failed": rc.failed, "first_failure": rc.first_failure}
    return doc


def report_json(report: Report) -> dict:
    from . import __version__

    return {
        "version": __version__,
        "source": report.graph.source,
        "at": report.at,
        "tolerance": {"rtol": report.rtol, "atol": report.atol, "rule": "|expected - got| <= atol + rtol*|got|"},
        "random_points": {"count": report.points, "seed": report.seed, "range": "x ± max(1, |x|)/2"},
        "pass": report.passed,
        "passed": report.n_passed,
        "total": len(report.results),
        "checks": [result_json(r) for r in report.results],
        "warnings": report.warnings,
    }
