"""Assignment files: problems with programs, input sets and expected answers; grading students' answers.

An assignment (TOML)::

    title = "Homework 1"
    rtol = 1e-5          # optional, for every problem (a problem may set its own)
    atol = 1e-8
    points = 20          # random points per formula; seed = 0

    [problems.lecture]
    title = "The lecture's graph"
    program = "c = a+b; d = b+1; e = c*d"
    at = { a = 2, b = 1 }          # one input set, or a list of them: at = [{...}, {...}]
    score = 1                      # per quantity (default 1): partial credit per quantity
    [problems.lecture.expect]      # quantity -> the key's answer (a number, an array or a formula)
    e = 6
    "de/db" = "a + 2*b + 1"

Tensor programs work the same way: an input may be an array (``at = { W = [[1, 2],
[3, 4]], x = [1, -1], r = 1 }``) and an answer an array (``y = [0.5, 0.5]``, or the
string ``"[0.5, 0.5]"``) or a formula with arrays (``"dC/dz" = "y - onehot(r, 2)"``);
a derivative dOUT/dNAME needs a scalar OUT.

A student's answers (TOML or JSON) map problem -> quantity -> answer.  Every
answer is checked against cgrad (reverse mode) at every input set of its problem,
formulas also at the random points (check.py), and earns the quantity's score
only if it holds everywhere.  The key's own answers are checked the same way
(`cgrad check hw1.toml`), so a wrong key is caught before grading.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from .check import ATOL, POINTS, RTOL, SEED, ExpectationError, Expectation, Quantity, check, parse_answer, \
    parse_quantity, shape_words
from .variants import parse_spec
from ..errors import CgradError, EXIT_USAGE


class AssignmentError(CgradError):
    """A malformed assignment or answers file: names the file, the line and the key."""

    kind = "file"
    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, file: str, line: int | None = None, key: str | None = None,
                 hint: str | None = None):
        where = file + (f", line {line}" if line else "") + (f", key {key}" if key else "")
        super().__init__(f"{where}: {message}", hint=hint, file=file, line=line, key=key)
        self.file, self.line, self.key, self.reason = file, line, key, message


@dataclass
class Problem:
    id: str
    title: str
    graph: object
    sets: list  # input sets: [{name: value}]
    expect: dict  # Quantity -> (key as written, the key's answer)
    score: float = 1.0
    rtol: float = RTOL
    atol: float = ATOL
    sig_figs: int | None = None  # a number right to this many significant figures is right
    rounded_credit: float = 0.0  # the share of the score for a number off by rounding alone (too few figures)
    specs: list = field(default_factory=list)  # per input set, {input: variants.Spec} drawn per student

    def variant(self, seed: int, student: str) -> list:
        """The input sets of `student`'s variant: the given ones when nothing is drawn (variants.py)."""
        if not any(self.specs):
            return self.sets
        from .variants import draw, rng_for

        rng = rng_for(seed, student, self.id)
        return [draw(self.graph, given, specs, self.expect, rng) if specs else given
                for given, specs in zip(self.sets, self.specs)]


@dataclass
class Assignment:
    path: str
    title: str
    problems: list
    points: int = POINTS
    seed: int = SEED
    hide_key: bool = False  # feedback says right or wrong (and why), never the correct value
    visibility: str = "visible"  # Gradescope's: when students see the tests
    graded: dict = field(default_factory=dict, repr=False)  # (problem, quantity, answer) -> its grade: a class
    #                                                         writes the same answers again and again

    @property
    def max_score(self) -> float:
        return sum(p.score * len(p.expect) for p in self.problems)


REASONS = ("right", "wrong", "rounded", "missing", "unrecognised", "syntax", "shape", "domain")


@dataclass
class Item:
    """One quantity of one problem, graded."""
    problem: str
    quantity: str  # ∂e/∂b
    answer: str | None  # as given (None: no answer)
    score: float
    max_score: float
    output: str  # what happened, in words
    reason: str = "right"  # one of REASONS
    why: str = ""  # why it is not right, without the diagnosis (output = why + the diagnosis's words)
    got: object = None  # the answer's value where it was judged (the failing input set, else the last)
    expected: object = None  # the correct value there (kept out of every output when the key is hidden)
    diagnosis: object = None  # diagnose.Diagnosis of a wrong answer, or None
    key_hidden: bool = False  # the assignment hides its key: `why` and `output` never hold the correct value

    @property
    def passed(self) -> bool:
        return self.score == self.max_score


@dataclass
class Grade:
    name: str  # the student (file stem), or the key
    path: str
    items: list = field(default_factory=list)
    error: str | None = None  # a file that could not be read: scored 0
    warnings: list = field(default_factory=list)  # (problem id, node id, message) per kink met while grading
    notes: list = field(default_factory=list)  # what in the file was not recognised, in words
    student_id: str = ""  # what the variants are drawn for: the file's `id`, else its name
    variants: dict = field(default_factory=dict)  # problem id -> the student's input sets, for drawn problems

    @property
    def score(self) -> float:
        return sum(i.score for i in self.items)

    @property
    def max_score(self) -> float:
        return sum(i.max_score for i in self.items)

    @property
    def passed(self) -> bool:
        return self.error is None and all(i.passed for i in self.items)


# --- reading files ------------------------------------------------------------------------------------------

def _read_data(path: str) -> tuple[dict, str]:
    """A TOML or JSON file as (data, text); AssignmentError naming the file and line when it is not one."""
    from ..core.budget import INPUTS_BYTES, read_text

    try:  # at most INPUTS_BYTES far: a huge or endless file is one student's error, not the class run's end
        text = read_text(path, "the file", INPUTS_BYTES)
    except CgradError as e:
        raise AssignmentError(e.message.replace(f"the file {path}", "it").removeprefix("it is "), file=path) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark (Windows Notepad) is no part of the text
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise AssignmentError(f"not valid JSON: {e.msg}", file=path, line=getattr(e, "lineno", None)) from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            m = re.search(r"\(at line (\d+), column \d+\)", str(e))
            line = int(m.group(1)) if m else None
            raise AssignmentError("not valid TOML: " + re.sub(r"\s*\(at .*?\)", "", str(e)), file=path,
                                  line=line, hint=_toml_hint(text, line)) from None
    if not isinstance(data, dict):
        raise AssignmentError("must hold a table (an object) of problems", file=path, line=1)
    return data, text


def _toml_hint(text: str, line: int | None) -> str | None:
    """TOML wants a key with a slash (de/db) and a formula (2*y) in quotes: say so on such a line."""
    if line is None or not 0 < line <= len(text.splitlines()):
        return None
    key, eq, value = text.splitlines()[line - 1].partition("=")
    key, value = key.strip(), value.strip()
    if not eq or not key or key.startswith("["):
        return None
    bad_key = not (key.startswith('"') or key.replace("_", "").replace("-", "").replace(".", "").isalnum())
    bad_value = value and not value.startswith(('"', "'", "[", "{")) and not _is_toml_number(value)
    if bad_key or bad_value:
        k = key if key.startswith('"') else f'"{key}"'
        v = value if not bad_value else f'"{value}"'
        return f"quote it: {k} = {v}"
    return None


def _is_toml_number(text: str) -> bool:
    try:
        float(text.split("#")[0].strip().replace("_", ""))
    except ValueError:
        return text.split("#")[0].strip() in ("true", "false", "inf", "-inf", "nan")
    return True


def line_of(text: str, *keys: str) -> int | None:
    """The line (from 1) where the last of `keys` is written, looking for each key after the one before it.

    A key counts where it is defined (`key = ...`, `"key": ...`) or named in a table header
    (`[problems.key]`); else where it first appears in quotes.  None when it is not found.
    """
    lines = text.splitlines()
    start, found = 0, None
    for k in keys:
        q = re.escape(k)
        defn = re.compile(rf"""^\s*(["']?){q}\1\s*[=:]""")
        quoted = re.compile(rf"""["']{q}["']""")

        def header(line):
            m = re.match(r"\s*\[\[?(.*?)\]\]?\s*(#.*)?$", line)
            return m is not None and k in [part.strip().strip("\"'") for part in m.group(1).split(".")]

        hit = next((n for n in range(start, len(lines)) if defn.search(lines[n]) or header(lines[n])), None)
        if hit is None:
            hit = next((n for n in range(start, len(lines)) if quoted.search(lines[n])), None)
        if hit is None:
            return found
        start, found = hit, hit + 1
    return found


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value) -> bool:
    """A number that is not nan or ±inf (TOML writes them `nan`, `inf`): a score or tolerance must be one."""
    return _number(value) and value == value and abs(value) != float("inf")


def load_assignment(path: str) -> Assignment:
    from ..core.autodiff import forward
    from ..core.parsing import parse

    data, text = _read_data(path)

    def fail(message, *keys, hint=None):
        raise AssignmentError(message, file=path, line=line_of(text, *keys) if keys else None,
                              key=".".join(_key(k) for k in keys) or None, hint=hint)

    problems = data.get("problems")
    if not isinstance(problems, dict) or not problems:
        fail("no [problems.NAME] tables", hint="see examples/hw1.toml")
    rtol, atol = _tol(data, "rtol", RTOL, fail), _tol(data, "atol", ATOL, fail)
    points, seed = data.get("points", POINTS), data.get("seed", SEED)
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        fail("points must be a whole number >= 0", "points")
    if not isinstance(seed, int) or isinstance(seed, bool):
        fail("seed must be a whole number", "seed")
    hide_key = data.get("hide_key", False)
    if not isinstance(hide_key, bool):
        fail("hide_key must be true or false", "hide_key")
    visibility = data.get("visibility", "visible")
    if visibility not in VISIBILITY:
        fail(f"visibility must be one of {', '.join(VISIBILITY)} (Gradescope's)", "visibility")
    sig_figs, credit = _sig_figs(data, None, fail), _credit(data, 0.0, fail)
    out = []
    for pid, p in problems.items():
        if not isinstance(p, dict):
            fail("a problem must be a table", "problems", pid)
        program = p.get("program")
        if not isinstance(program, str):
            fail("a problem needs program = \"...\"", "problems", pid)
        try:
            graph = parse(program)
        except CgradError as e:
            fail(f"the program does not parse: {e.message}", "problems", pid, "program", hint=e.hint)
        at = p.get("at", {})
        sets = at if isinstance(at, list) else [at]
        if not sets:
            fail("at needs at least one input set", "problems", pid, "at")
        values, specs = [], []
        for s in sets:
            if not isinstance(s, dict) or not all(_number(v) or isinstance(v, (list, dict)) for v in s.values()):
                fail("at must be a table of numbers (or arrays of them), as at = { a = 2, b = 1 }, or a list "
                     "of them; an input drawn per student is { range = [1, 5], step = 0.5 } or "
                     "{ choice = [0, 1, 2] }", "problems", pid, "at")
            drawn = {}
            for name, v in s.items():
                if isinstance(v, dict):
                    try:
                        drawn[name] = parse_spec(v)
                    except ValueError as e:
                        fail(str(e), "problems", pid, "at", name)
            specs.append(drawn)
            if drawn:
                continue  # checked below, on the key's own variant
            try:
                values.append(forward(graph, _inputs(s)))
            except CgradError as e:
                fail(e.message, "problems", pid, "at", hint=e.hint)
        expect = p.get("expect")
        if not isinstance(expect, dict) or not expect:
            fail("a problem needs an [expect] table: quantity = answer", "problems", pid)
        quantities = {}
        for key, answer in expect.items():
            try:
                quantity = parse_quantity(key, graph)
            except ExpectationError as e:
                fail(e.message, "problems", pid, "expect", key, hint=e.hint)
            if quantity.wrt is not None:
                shape = next((getattr(v[graph.named[quantity.of]], "shape", ()) for v in values
                              if getattr(v[graph.named[quantity.of]], "shape", ())), ())
                if shape:
                    fail(f"'{quantity.of}' is {shape_words(shape)}: a derivative needs a scalar {quantity.of}",
                         "problems", pid, "expect", key,
                         hint=f"expect its value ({quantity.of} = [...]), or name one element in the program")
            if not (_number(answer) or isinstance(answer, (str, list))):
                fail("an answer is a number or a formula in a string, or an array of numbers", "problems", pid,
                     "expect", key)
            if isinstance(answer, (str, list)):
                try:
                    parse_answer(answer if isinstance(answer, str) else array_text(answer), graph)
                except ExpectationError as e:
                    col = f" (column {e.text_span[0] + 1} of the answer)" if e.text_span else ""
                    fail(e.message + col, "problems", pid, "expect", key, hint=e.hint)
            if quantity in quantities:
                fail(f"{quantity.label} is asked twice", "problems", pid, "expect", key)
            quantities[quantity] = (key, answer)
        score = p.get("score", 1)
        if not _finite(score) or score < 0:
            fail(f"score must be a finite number >= 0, not {score!r}", "problems", pid, "score")
        problem = Problem(pid, str(p.get("title", pid)), graph,
                          [_inputs({k: v for k, v in s.items() if not isinstance(v, dict)}) for s in sets],
                          quantities, float(score), _tol(p, "rtol", rtol, fail, "problems", pid),
                          _tol(p, "atol", atol, fail, "problems", pid), _sig_figs(p, sig_figs, fail, "problems", pid),
                          _credit(p, credit, fail, "problems", pid), specs)
        if any(specs):
            numbers = [key for key, answer in quantities.values() if not isinstance(answer, str)]
            if numbers:
                fail("with inputs drawn per student, the key's answers must be formulas (a number is right at "
                     "one point only)", "problems", pid, "expect", numbers[0])
            try:
                problem.variant(seed, "key")
            except CgradError as e:
                fail(e.message, "problems", pid, "at", hint=e.hint)
        out.append(problem)
    return Assignment(path, str(data.get("title", os.path.basename(path))), out, points, seed, hide_key, visibility)


VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


def _sig_figs(table: dict, default, fail, *keys):
    value = table.get("sig_figs", default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 15):
        fail("sig_figs must be a whole number from 1 to 15", *keys, "sig_figs")
    return value


def _credit(table: dict, default: float, fail, *keys) -> float:
    value = table.get("rounded_credit", default)
    if not _number(value) or not 0 <= value <= 1:
        fail("rounded_credit must be a number from 0 to 1 (the share of the score)", *keys, "rounded_credit")
    return float(value)


def _inputs(s: dict) -> dict:
    """An input set: numbers as floats, arrays (lists) as they are (forward checks them)."""
    return {k: v if isinstance(v, list) else float(v) for k, v in s.items()}


def array_text(value) -> str:
    """An answer given as a TOML/JSON array, as the cgrad array literal it stands for: [[1, 2], [3, 4]]."""
    if isinstance(value, list):
        return "[" + ", ".join(map(array_text, value)) + "]"
    if _number(value):
        return repr(float(value))
    raise ValueError(value)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[\w-]+", k) else json.dumps(k, ensure_ascii=False)


def _tol(table: dict, name: str, default: float, fail, *keys) -> float:
    value = table.get(name, default)
    if not _finite(value) or value < 0:
        fail(f"{name} must be a finite number >= 0, not {value!r}", *keys, name)
    return float(value)


def read_answers(path: str) -> tuple[dict, str]:
    """A student's answers: {problem: {quantity: answer}}; AssignmentError when the file is malformed."""
    data, text = _read_data(path)
    if "id" in data and not isinstance(data["id"], str):
        raise AssignmentError("id must be a string (the student's id, which their variant is drawn for)",
                              file=path, line=line_of(text, "id"), key="id")
    for pid, answers in data.items():
        if pid != "id" and not isinstance(answers, dict):
            raise AssignmentError("each problem must map quantities to answers, as [lecture] \"de/db\" = 5",
                                  file=path, line=line_of(text, pid), key=_key(pid))
    return data, text


# --- grading ------------------------------------------------------------------------------------------------

def grade(assignment: Assignment, answers: dict, path: str, name: str, text: str = "") -> Grade:
    """Every quantity of every problem, each scored all or nothing (a number off by rounding alone may earn
    the problem's rounded_credit): partial credit per quantity.  What the file holds that the assignment
    does not ask (a problem or a quantity it does not know) is reported, with a did-you-mean."""
    from ..core.show import number

    g = Grade(name, path, student_id=answers["id"] if isinstance(answers.get("id"), str) else name)
    ids = [p.id for p in assignment.problems]
    stray = [k for k in answers if k not in ids and k != "id"]
    for k in stray:
        g.notes.append(f"[{_key(k)}] is not a problem of this assignment" + _did_you_mean(k, ids))
    for p in assignment.problems:
        given = answers.get(p.id, {})
        try:
            sets = p.variant(assignment.seed, g.student_id)
        except CgradError as e:
            g.items += [Item(p.id, q.label, None, 0.0, p.score, f"no variant could be drawn: {e.message}", "domain")
                        for q in p.expect]
            continue
        if sets is not p.sets:
            g.variants[p.id] = sets
        by_quantity = {}
        for key, answer in given.items():
            try:
                by_quantity[parse_quantity(key, p.graph)] = (key, answer)
            except ExpectationError:
                pass  # not a quantity of this problem: reported below as not recognised
        unknown = [k for k in given if all(k != v[0] for v in by_quantity.values())]
        asked = [q.label for q in p.expect] + [key for key, _ in p.expect.values()]
        for k in unknown:
            g.notes.append(f"[{_key(p.id)}] {_key(k)} is not a quantity of this problem" + _did_you_mean(k, asked))
        misplaced = [k for k in stray if _did_you_mean(k, ids).endswith(f"'{p.id}'?")]
        for quantity in p.expect:
            label = quantity.label
            if quantity not in by_quantity:
                if unknown or misplaced:
                    what = ", ".join([f"{_key(k)}" for k in unknown] + [f"[{_key(k)}]" for k in misplaced])
                    g.items.append(Item(p.id, label, None, 0.0, p.score,
                                        f"no answer: not recognised in your file: {what}", "unrecognised"))
                else:
                    g.items.append(Item(p.id, label, None, 0.0, p.score, "no answer", "missing"))
                continue
            key, answer = by_quantity[quantity]
            if isinstance(answer, str) and not answer.strip():  # left empty, as `cgrad template` writes it
                g.items.append(Item(p.id, label, None, 0.0, p.score, "no answer", "missing"))
                continue
            shown = number(answer, None) if _number(answer) else _shown_array(answer) if isinstance(answer, list) \
                else str(answer)
            line = line_of(text, p.id, key) if text else None
            where = f"{path}" + (f", line {line}" if line else "") + f", key {_key(p.id)}.{_key(key)}"
            g.items.append(Item(p.id, label, shown, max_score=p.score,
                                **_graded(assignment, p, sets, quantity, answer, where, g.warnings)))
    return g


def _graded(assignment: Assignment, p: Problem, sets: list, quantity: Quantity, answer, where: str,
            warnings: list) -> dict:
    """_grade_one, remembered per (problem, input sets, quantity, answer) for the whole class: grading is a
    function of these alone, but for where a syntax error is (its file and line), which is never remembered."""
    key = (p.id, repr(sets), quantity, json.dumps(answer, sort_keys=True), assignment.hide_key)
    known = assignment.graded.get(key)
    if known is None:
        met = []
        fields = _grade_one(assignment, p, sets, quantity, answer, where, met)
        known = (fields, met)
        if fields["reason"] != "syntax":
            assignment.graded[key] = known
    fields, met = known
    warnings += [w for w in met if w not in warnings]
    return dict(fields)


def _did_you_mean(name: str, candidates) -> str:
    """`: did you mean 'p1'?` (case aside too: [P1] for [p1]), or nothing."""
    from ..errors import suggest

    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return f": did you mean '{lowered[name.lower()]}'?"
    hint = suggest(name, candidates)
    return f": {hint}" if hint else ""


def _shown_array(answer: list) -> str:
    try:
        from .check import value_text

        return value_text(answer)
    except (ValueError, TypeError):  # ragged, or not numbers: shown as given
        return json.dumps(answer)


def _grade_one(assignment: Assignment, p: Problem, sets: list, quantity: Quantity, answer, where: str,
               warnings: list | None = None) -> dict:
    """The Item fields of one answer (score, output, reason, got, expected, diagnosis); kinks met on the way
    are added to `warnings` as (problem id, node id, message), each once."""
    from .check import failure_text, hidden, point_text, value_text

    def out(score, why, reason, got=None, expected=None, diagnosis=None):
        if assignment.hide_key:
            why = hidden(why)
        output = why if diagnosis is None else f"{why}; {diagnosis.text(right=not assignment.hide_key)}"
        return dict(score=score, output=output, why=why, reason=reason, got=got, expected=expected,
                    diagnosis=diagnosis, key_hidden=assignment.hide_key)

    if not (_number(answer) or isinstance(answer, (str, list))):
        return out(0.0, f"an answer is a number or a formula in a string, or an array of numbers, not {answer!r}",
                   "syntax")
    if isinstance(answer, bool) or (_number(answer) and answer != answer):
        return out(0.0, "not a number", "syntax")
    if isinstance(answer, list):
        try:
            answer = array_text(answer)
        except ValueError:
            return out(0.0, f"an array answer holds numbers only, not {json.dumps(answer)}", "syntax")
    try:
        parsed = parse_answer(repr(float(answer)) if _number(answer) else answer, p.graph, where=where)
    except ExpectationError as e:
        return out(0.0, e.render().removeprefix("error: "), "syntax")
    x = Expectation(f"{quantity.label} = {parsed.text}", quantity, parsed)
    score, rounded = p.score, None
    for at in sets:
        try:
            report = check(p.graph, at, [x], rtol=p.rtol, atol=p.atol, points=assignment.points,
                           seed=assignment.seed)
        except ExpectationError as e:  # a derivative of a vector: the load refuses it in the key already
            return out(0.0, e.message, "shape")
        r = report.results[0]
        for node, message in report.warnings:
            w = (p.id, node, message.__class__(f"problem {p.id}, at {point_text(at)}: {message}"))  # keeps its kind
            if warnings is not None and w not in warnings:
                warnings.append(w)
        figures = _rounding(answer, r, p) if not r.passed and _number(answer) else None
        if figures is not None and p.sig_figs is not None and figures >= p.sig_figs:
            continue  # right to the figures the problem asks for
        if figures is not None:
            need = p.sig_figs or _figures_of(p.rtol)
            asks = f"this problem asks for {need}" if p.sig_figs else \
                f"this problem's tolerance (rtol {p.rtol:g}) asks for about {need}"
            rounded = (f"at {point_text(at)}: {value_text(float(answer))}: right to {figures} significant "
                       f"figure{'s' if figures != 1 else ''}; {asks}; correct: {value_text(r.got)}")
            score = min(score, p.score * p.rounded_credit)
            continue
        if not r.passed:
            text = f"at {point_text(at)}: {failure_text(r)}"
            if r.expected is None:
                text += f"; correct: {value_text(r.got)}"
            reason = "domain" if r.unevaluated == "undefined" else "shape" if r.unevaluated == "error" or \
                (r.error is None and r.expected is not None) else "wrong"
            return out(0.0, text, reason, r.expected, r.got, r.diagnosis)
    if rounded is not None:
        return out(score, rounded, "rounded", r.expected, r.got)
    return out(p.score, "right" + (" (a formula: also at the random points)" if parsed.is_formula else ""), "right",
               r.expected, r.got)


def _figures_of(rtol: float) -> int:
    """About how many significant figures a relative tolerance asks for: 1e-5 -> 5."""
    import math

    return max(1, math.ceil(-math.log10(rtol))) if rtol > 0 else 15


def _rounding(answer, r, p: Problem) -> int | None:
    """A number off by rounding alone: how many significant figures it is right to (the figures it is written
    with, all of them right: the correct value rounded to that many figures); None when it is not that."""
    if r.expected is None or getattr(r.got, "shape", ()) or not r.got:
        return None
    from decimal import Decimal

    written = len(Decimal(repr(float(answer))).normalize().as_tuple().digits)
    right = _right_to(float(answer), float(r.got))
    if p.sig_figs is not None and right >= p.sig_figs:
        return right
    return written if right >= written else None


def _right_to(answer: float, correct: float) -> int:
    """The most significant figures (up to 15) to which `answer` rounds like `correct`."""
    k = 0
    while k < 15 and f"{answer:.{k}e}" == f"{correct:.{k}e}":
        k += 1
    return k


def grade_key(assignment: Assignment) -> Grade:
    """The key's own answers, graded like a student's: a wrong key is caught before it grades anyone."""
    answers = {p.id: {key: answer for key, answer in p.expect.values()} for p in assignment.problems}
    with open(assignment.path, encoding="utf-8") as f:
        text = f.read()
    return grade(assignment, answers, assignment.path, "key", text)


def grade_file(assignment: Assignment, path: str) -> Grade:
    """One student's file; a malformed file is reported and scored 0, it never stops a class run."""
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        answers, text = read_answers(path)
    except AssignmentError as e:
        g = Grade(name, path, error=e.message)
        g.items = [Item(p.id, q.label, None, 0.0, p.score, "not graded: " + e.message)
                   for p in assignment.problems for q in p.expect]
        return g
    return grade(assignment, answers, path, name, text)


def answer_files(folder: str) -> tuple[list, list]:
    """The answer files in `folder` (.toml and .json), and (path, what it is) for each entry so named that
    is skipped: only regular files are read, as a FIFO or a device would hang the run or read garbage."""
    import stat

    files, skipped = [], []
    for f in sorted(os.listdir(folder)):
        if not f.endswith((".toml", ".json")) or f.startswith("."):
            continue
        path = os.path.join(folder, f)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            skipped.append((path, "a broken link"))
            continue
        if stat.S_ISREG(mode):
            files.append(path)
        else:
            skipped.append((path, _KINDS.get(stat.S_IFMT(mode), "not a regular file")))
    return files, skipped


_KINDS = {0o010000: "a FIFO", 0o020000: "a character device", 0o060000: "a block device", 0o140000: "a socket",
          0o040000: "a folder"}


# --- output documents ---------------------------------------------------------------------------------------


