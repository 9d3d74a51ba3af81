"""Checking answers against cgrad: `--expect QUANTITY = ANSWER`, pure (no printing, no click).

A *quantity* names what is checked:

- ``NAME``: the value of a named node (an input, an assignment, the output);
- ``dOUT/dNAME`` or ``∂OUT/∂NAME``: the derivative of the named node OUT with
  respect to the input or named node NAME, by reverse mode (the adjoint of NAME
  in a sweep down from OUT, as `cgrad eval --output OUT --wrt NAME` reports).
  OUT must be a scalar at the given point (a vector OUT has a Jacobian, not a
  gradient: an ExpectationError, exit 2); NAME may be an array, and then so is
  the derivative, shaped like NAME.

An *answer* is a cgrad expression: a number (``5``, ``-1e-3``, ``1/3``), an
array literal (``[0.2, 0.8]``, ``[[1, 0], [0, 1]]``: a constant array) or a
formula over the program's names (``a + 2*b + 1``, ``c + d``,
``y - onehot(r, 2)``), evaluated with cgrad's array semantics.  A formula is
checked at the given point and at `points` random points around it (seeded, so
every run draws the same ones): each input x is drawn uniformly from
[x - r, x + r] with r = max(1, |x|)/2, an array input element by element
(each element with its own r).  Inputs used as indices -- those that feed an
index position of ``y[r]`` or ``onehot(r, n)``, directly or through other
nodes (`index_inputs`) -- are kept fixed at their given values: a perturbed
index is not an integer.  Points where the program, its derivative or the
answer is undefined (a math domain error) are skipped and counted; when fewer
than half of the points are left, the formula cannot be confirmed away from
the given point and the check fails, saying so.  A formula right at the given
point only therefore fails.

A value passes when |expected - got| <= atol + rtol*|got|, `got` being cgrad's
value (numpy.isclose's rule and defaults: rtol 1e-5, atol 1e-8; a number copied
from cgrad's 6-digit output passes).  For arrays the shapes are compared first
(a different shape fails, naming both shapes), then the rule holds element by
element; the error reported is the largest |expected - got| over the elements,
with the index of the worst element (the largest error among the elements out
of tolerance, or among all when none is).
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from ..errors import CgradError, EXIT_USAGE, MathDomainError, excerpt, listed, suggest
from ..core import budget
from ..core.graph import Graph
from ..core.show import number
from .points import ATOL, RTOL, _Point, _shape, close, compare, index_inputs, index_text, shape_words, \
    value_text  # noqa: F401 (close is check's API, as it always was)

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
    got: object  # cgrad's value at the given point: a float, or a numpy array
    expected: object  # the answer's value there (None: undefined, or the answer could not be evaluated)
    error: float | None  # |expected - got|, the largest over the elements of an array (None: not compared)
    passed: bool
    random: RandomCheck | None = None
    note: str | None = None  # why it failed, in words
    worst: tuple | None = None  # arrays: the index of the worst element (see Comparison)
    wrong: int | None = None  # arrays: how many elements are out of tolerance (None: shapes differ)
    unevaluated: str | None = None  # "undefined" (a math domain error) or "error" (a shape or index error)
    diagnosis: object = None  # a wrong answer: the candidate mistakes that give its number (diagnose.Diagnosis)

    @property
    def is_array(self) -> bool:
        """Is either side an array?  Then the JSON tells shapes and the worst element."""
        return bool(_shape(self.got)) or bool(_shape(self.expected))


@dataclass
class Report:
    graph: Graph
    at: dict
    rtol: float
    atol: float
    points: int
    seed: int
    results: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # (node id, message) per kink met at the given point

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
    hint = suggest(name, graph.named) or "names in the program: " + listed(graph.named)
    for out in graph.named:  # `dedb` for de/db: the slash is what makes it a derivative
        if name.startswith("d" + out + "d") and name[len(out) + 2:] in graph.named:
            hint = f"a derivative is written with a slash: d{out}/d{name[len(out) + 2:]}"
            break
    if graph.output is not None and graph.names[graph.output] is None:
        hint += "; to check the output, give it a name, as in y = ..."
    raise ExpectationError(f"the program has no name '{name}'", text=text, span=(start, start + len(name)),
                           where=where, hint=hint, kind="name")


def parse_answer(a: str, graph: Graph, *, where: str = "--expect", text: str | None = None,
                 offset: int = 0) -> Answer:
    """A number, an array literal or a formula over the program's names, parsed as a cgrad expression."""
    from ..core.parsing import parse

    text = a if text is None else text
    if not a.strip():
        raise ExpectationError("no answer after '='", text=text, span=(offset + len(a), offset + len(a) + 1),
                               where=where, hint="write a number, an array or a formula, as in de/db = 5, "
                                                 "dy/dx = [1, 2] or de/db = a + 2*b + 1")
    try:
        answer = parse(a)
    except CgradError as e:
        span = None if e.span is None else (offset + e.span[0], offset + e.span[1])
        error = ExpectationError(e.message.replace("the program", "the answer"), text=text, span=span, where=where,
                                 hint=e.hint, kind=e.kind)
        error.exit_code = e.exit_code  # 1e400 overflows: a math error (3) here as in a program
        raise error from None
    lead = len(a) - len(a.lstrip())
    start, end = answer.spans[answer.output]
    # the output's text is the whole answer, but for unary pluses and parentheses around it: +2, (+2), (x)
    if answer.assigned_at or a[lead:start].strip("+( \t") or a[end:].strip(") \t"):
        raise ExpectationError("an answer is one expression, not a program", text=text,
                               span=(offset + lead, offset + len(a.rstrip())), where=where,
                               hint="write only the right-hand side, as in de/db = a + 2*b + 1")
    for name, i in answer.inputs.items():
        if name not in graph.named:
            s = answer.spans[i][0] + offset
            hint = suggest(name, graph.named) or "an answer may use the program's names: " + listed(graph.named)
            raise ExpectationError(f"the answer uses '{name}', which is not a name in the program", text=text,
                                   span=(s, s + len(name)), where=where, hint=hint, kind="name")
    return Answer(" ".join(a.split()), answer)


# --- checking -----------------------------------------------------------------------------------------------

def _is_array(value) -> bool:
    return isinstance(value, list) or bool(_shape(value))


def random_points(graph: Graph, at: dict, count: int = POINTS, seed: int = SEED) -> list:
    """`count` points around `at`: each input x uniform in [x - r, x + r], r = max(1, |x|)/2; seeded.

    An array input is drawn element by element (in row-major order); inputs used as indices
    (`index_inputs`) keep their given values.
    """
    rng = random.Random(seed)
    fixed = set(index_inputs(graph))
    points = []
    for _ in range(count):
        point = {}
        for name in graph.inputs:
            if name in fixed:
                point[name] = at[name]
            elif _is_array(at[name]):
                from ..core.ops import load_numpy

                x = load_numpy().asarray(at[name], dtype=float)
                drawn = [v + rng.uniform(-max(1.0, abs(v)) / 2, max(1.0, abs(v)) / 2) for v in x.ravel().tolist()]
                point[name] = load_numpy().array(drawn).reshape(x.shape)
            else:
                x = float(at[name])
                r = max(1.0, abs(x)) / 2
                point[name] = x + rng.uniform(-r, r)
        points.append(point)
    return points


def check(graph: Graph, at: dict, expectations: list, rtol: float = RTOL, atol: float = ATOL,
          points: int = POINTS, seed: int = SEED) -> Report:
    """Every expectation at `at` (and each formula at the random points): a Report of Results.

    The program must be defined at `at` (else MathDomainError, exit 3, as `cgrad eval`); an answer undefined
    there simply fails, and so does an answer of the wrong shape.  A derivative of an OUT that is not a
    scalar at `at` is an ExpectationError (exit 2).
    """
    if any(x.answer.is_formula for x in expectations):  # each formula: the program and it at every point
        budget.check("nodes", (points + 1) * len(graph) * len(expectations),
                     f"checking at {points} random points", hint="lower --points, or raise the budget with "
                     "--max-nodes N (the nodes evaluated in all: points × program × expectations)")
    report = Report(graph, dict(at), rtol, atol, points, seed)
    here = _Point(graph, at)
    for x in expectations:
        scalar_output(x, here.values[graph.named[x.quantity.of]])
    seen = set()
    for x in expectations:
        if x.quantity.wrt is not None:
            for i, message in here.sweep(x.quantity.of).warnings:
                if (i, message) not in seen:
                    seen.add((i, message))
                    report.warnings.append((i, message))
    others = None
    for x in expectations:
        got = here.quantity(x.quantity)
        try:
            expected = here.answer(x.answer)
        except MathDomainError as e:
            report.results.append(Result(x, got, None, None, False, unevaluated="undefined",
                                         note=f"the answer is undefined at the given point: {e.message}"))
            continue
        except CgradError as e:  # a shape that does not fit, an index out of range: the answer is wrong
            report.results.append(Result(x, got, None, None, False, unevaluated="error",
                                         note=f"the answer cannot be evaluated: {e.message}"))
            continue
        c = compare(expected, got, rtol, atol)
        result = Result(x, got, expected, c.error, c.ok, worst=c.worst, wrong=c.wrong)
        if c.shapes_differ:
            result.note = (f"wrong shape: your answer is {shape_words(_shape(expected))}; correct: "
                           f"{shape_words(_shape(got))} (the shape of {x.quantity.label})")
        elif not c.ok and c.worst is not None:
            result.note = (f"wrong at the given point: {c.wrong} of {c.size} elements differ; at "
                           f"{index_text(c.worst)} your answer: {_element(expected, c.worst)}; correct: "
                           f"{_element(got, c.worst)}")
        elif not c.ok:
            result.note = f"wrong at the given point: your answer: {number(expected)}; correct: {number(got)}"
        if x.answer.is_formula and points > 0 and not c.shapes_differ:
            if others is None:
                others = [_try_point(graph, p) for p in random_points(graph, at, points, seed)]
            result.random = _at_random_points(x, others, rtol, atol)
            if c.ok and result.random.failed:
                result.passed = False
                result.note = (f"right at the given point but wrong at {result.random.failed} of "
                               f"{result.random.checked} random points")
            elif c.ok and not result.random.enough:
                result.passed = False
                result.note = (f"only {result.random.checked} of {points} random points were defined (at least "
                               f"{result.random.needed} are needed to check a formula): try a point farther inside "
                               "the domain")
        if not result.passed and result.unevaluated is None:
            from .diagnose import diagnose

            if x.answer.is_formula and points > 0 and others is None:
                others = [_try_point(graph, p) for p in random_points(graph, at, points, seed)]
            result.diagnosis = diagnose(here, x, expected, others if x.answer.is_formula else None, rtol, atol)
            if x.quantity.wrt is not None and result.note:
                from .diagnose import kinks_on_way

                kinks = kinks_on_way(here, x.quantity)
                if kinks:  # the kink is likely why: say which, and what cgrad takes there
                    result.note += "; the point is at a kink: " + "; ".join(kinks)
        report.results.append(result)
    return report


def _element(value, index) -> str:

    return number(float(value[index]))


def scalar_output(x: Expectation, value) -> None:
    """dOUT/dNAME needs a scalar OUT: an ExpectationError (exit 2) naming OUT's shape otherwise."""
    q = x.quantity
    if q.wrt is None or not _shape(value):
        return
    quantity = x.text.partition("=")[0]
    m = _DERIVATIVE.match(quantity)
    span = (m.start(1), m.end(1)) if m else None
    raise ExpectationError(f"'{q.of}' is {shape_words(_shape(value))}: a derivative d{q.of}/dNAME needs a "
                           f"scalar {q.of} (a vector has a Jacobian, not a gradient)", text=x.text, span=span,
                           hint=f"check the value ({q.of} = [...]), or name one element in the program, as in "
                                f"{q.of}0 = {q.of}[0], and expect d{q.of}0/d{q.wrt}; cgrad jacobian shows every "
                                "element's derivatives", kind="shape")


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
        except CgradError:  # undefined there (shapes and indices are those of the given point, where it worked)
            rc.skipped += 1
            continue
        rc.checked += 1
        c = compare(expected, got, rtol, atol)
        if not c.ok:
            rc.failed += 1
            if rc.first_failure is None:
                rc.first_failure = {"at": dict(p.at), "expected": expected, "got": got, "error": c.error}
                if c.worst is not None:
                    rc.first_failure["worst"] = c.worst
    return rc


# --- feedback in words: the same text in the table, --json, JUnit and Gradescope ----------------------------

def point_text(at: dict) -> str:
    return ", ".join(f"{name} = {value_text(value)}" for name, value in at.items())


def failure_text(r: Result) -> str:
    """Why a check failed, in words; for a formula wrong at a random point, what the answer and cgrad give there."""
    rc = r.random
    if rc is not None and rc.failed and r.error is not None and r.note and r.note.startswith("right"):
        f = rc.first_failure
        if "worst" in f:  # arrays: the worst element there
            k = f["worst"]
            return (f"{r.note}; at {point_text(f['at'])}, element {index_text(k)}: your answer: "
                    f"{number(float(f['expected'][k]))}; correct: {number(float(f['got'][k]))}")
        return (f"{r.note}; at {point_text(f['at'])} your answer: {number(f['expected'])}; "
                f"correct: {number(f['got'])}")
    return r.note


def hidden(text: str) -> str:
    """A feedback text with the correct values taken out (an assignment that hides its key): every
    `; correct: …` up to the next `;`."""
    return re.sub(r"; correct: [^;]*", "", text)
