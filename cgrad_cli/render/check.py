"""`cgrad check` output: a table of each answer, the correct value, |error| and pass/fail (Rich), with notes for
failures.  In JSON, as in assignments' items, `got` is the answer's value and `expected` the correct one.

Arrays are shown compactly (symbolic.show: in full up to 12 elements, else by shape, min and max), and an
array's |error| with the index of its worst element.
"""
from __future__ import annotations

import re

from ..core.autodiff import to_json
from ..core.show import number, shorten
from ..grading.check import Report, Result, _shape, failure_text, index_inputs, index_text, point_text, \
    value_text
from .width import WIDTH, fold, prose, wrap


def _expected(r: Result) -> str:
    a = r.expectation.answer
    if r.expected is None:
        return f"{a.text} = {'undefined' if r.unevaluated != 'error' else 'error'}"
    shown = value_text(r.expected)
    if a.is_formula or a.text.replace(" ", "") != shown.replace(" ", ""):
        return f"{a.text} = {shown}"
    return a.text


def _error(r: Result) -> str:
    if r.error is None:
        return ""
    text = number(r.error, 3)
    return text + f" at {index_text(r.worst)}" if r.worst is not None and r.error else text


def _random(r: Result) -> str:
    rc = r.random
    if rc is None:
        return ""
    text = f"{rc.checked - rc.failed} of {rc.checked} right"
    if rc.skipped:
        text += f" ({rc.skipped} undefined)"
    return text


def _note(r: Result) -> list:
    """A failed check's lines: why it failed, then the diagnosis (or the could-be list), indented."""
    if r.passed:
        return []
    return [f"{r.expectation.quantity.label}: {failure_text(r)}"] + diagnosis_lines(r.diagnosis)


def _hanging(line: str):
    """A note line, red, folded to 80 columns; an indented diagnosis line (`  1. text`, `  why: text`,
    `  2 of 4: text`) folded under its own text, a `right:` chain between its terms as explain's are."""
    from rich.text import Text

    if not line.startswith(" "):
        return Text(_folded(line, "    ", True), "red")
    head = re.match(r" *(?:\d+ of \d+:|\S+) ", line)
    hang = " " * (head.end() - (len(line) - len(line.lstrip(" "))) if head else 4)
    return Text(_folded(line, hang, not line.lstrip().startswith("right: ")))


def _folded(line: str, indent: str, sentence: bool) -> str:
    return fold([(line, None)], WIDTH, indent, sentence=sentence)[0][0]


def diagnosis_lines(d) -> list:
    if d is None:
        return []
    if d.sure:
        m = d.matches[0]
        formula = [f"  yours: {m.formula}, that mistake's derivative (cgrad diff's)"] if m.formula else []
        return [f"  why: {m.says}"] + formula + [f"  right: {m.right}"]
    return ["  could be (most likely first):"] + [
        f"  {k}. {m.says}" + (f" (as a formula: {m.formula})" if m.formula else "")
        for k, m in enumerate(d.distinct(), 1)]


def diagnosis_json(d, right: bool = True) -> dict | None:
    """The diagnosis as data: sure (one misconception) and the candidates, most likely first (without the
    right step when the key is hidden)."""
    if d is None:
        return None
    return {"sure": d.sure, "candidates": [{"family": m.family, "says": m.says, "right": m.right if right else None,
                                            "value": to_json(m.value), "formula": m.formula}
                                           for m in d.distinct()]}


COLUMNS = ("check", "answer", "correct", "|error|", "random points", "result")


def _fits(rows: list) -> bool:
    """Whether the table of `rows` fits WIDTH columns (Rich would wrap it otherwise, cutting numbers)."""
    from rich.cells import cell_len

    widths = [max([cell_len(c)] + [cell_len(row[k]) for row in rows]) for k, c in enumerate(COLUMNS[:-1])]
    return sum(widths) + len("✓ pass") + 2 * (len(COLUMNS) - 1) <= WIDTH


def _result(passed: bool) -> str:
    return "[green]✓ pass[/]" if passed else "[bold red]✗ fail[/]"


def _table(rows: list):
    from rich.markup import escape
    from rich.table import Table

    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    for name in COLUMNS:
        t.add_column(name, justify="right" if name in ("correct", "|error|", "random points") else "left")
    for *cells, passed in rows:
        t.add_row(*(escape(c) for c in cells), _result(passed))
    return t


def _records(rows: list):
    """The table turned, for answers too long for its row: a check per block, a field per line, each value
    folded under itself (an answer between its terms, as explain's chains), so no number is cut."""
    from rich.console import Group
    from rich.markup import escape
    from rich.text import Text

    out, pad = [], max(len(c) for c in COLUMNS) + 4
    for label, *cells, passed in rows:
        out.append(Text.from_markup(f"[bold]{escape(label)}[/]  {_result(passed)}"))
        for name, value in zip(COLUMNS[1:], cells):
            if value:
                line = f"  {name:<{pad - 2}}{value}"
                out.append(Text(_folded(line, " " * (pad - 2), name != "answer")))  # a formula: between terms
    return Group(*out)


def render(report: Report):
    from rich.console import Group
    from rich.text import Text

    fixed = index_inputs(report.graph)
    head = Text(prose(f"at {point_text(report.at) or 'no inputs'} · formulas also at {report.points} random points "
                      f"(seed {report.seed})" + (f", {', '.join(fixed)} kept fixed (used as an index)" if fixed else ""))
                + "\n" + prose(f"pass when |answer − correct| ≤ atol + rtol·|correct| (rtol {report.rtol:g}, "
                               f"atol {report.atol:g})"), "dim")
    rows = [(r.expectation.quantity.label, _expected(r), value_text(r.got), _error(r), _random(r), r.passed)
             for r in report.results]
    parts = [head, _table(rows) if _fits(rows) else _records(rows)]
    notes = [line for r in report.results for line in _note(r)]
    if notes:
        parts += [Text()] + [_hanging(n) for n in notes]
    n, total = report.n_passed, len(report.results)
    parts += [Text(), Text(f"{n} of {total} check{'s' if total != 1 else ''} passed",
                           "bold green" if n == total else "bold red")]
    return Group(*parts)


# --- assignments ----------------------------------------------------------------------------------------------

def _score(x: float) -> str:
    return number(x)


RESULT_WORDS = {"right": "✓ right", "wrong": "✗ wrong", "rounded": "~ rounded", "missing": "✗ no answer",
                "unrecognised": "✗ not recognised", "syntax": "✗ cannot read", "shape": "✗ wrong shape",
                "domain": "✗ undefined"}


def render_grade(g, title: str):
    """One student's (or the key's) grade: a row per quantity, the total, then why each answer is not right."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    who = "the key's own answers" if g.name == "key" else f"student {g.name}"
    parts = [Text(prose(f"{title} · {who} ({g.path})", indent="    "), "dim")]
    if g.error:
        parts.append(Text(prose("not graded: " + g.error, indent="    "), "bold red"))
    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    for name in ("problem", "quantity", "answer", "score", "result"):
        t.add_column(name, justify="right" if name == "score" else "left")
    for i in g.items:
        word = RESULT_WORDS[i.reason]
        t.add_row(escape(i.problem), escape(i.quantity), escape(shorten(i.answer or "—", 24)),
                  f"{_score(i.score)}/{_score(i.max_score)}",
                  f"[green]{word}[/]" if i.passed else f"[bold red]{word}[/]")
    parts += [t, Text(), Text(f"score {_score(g.score)} of {_score(g.max_score)}",
                              "bold green" if g.passed else "bold red")]
    notes = [line for i in g.items if not i.passed and not g.error for line in _item_note(i)]
    notes += [f"note: {n}" for n in g.notes]
    if notes:
        parts += [Text()] + [_hanging(n) for n in notes]
    return Group(*parts)


def _item_note(i) -> list:
    """`lecture ∂e/∂b: at a = 2, b = 1: wrong at the given point: …`, then the diagnosis's lines."""
    lines = [f"{i.problem} {i.quantity}: {i.why or i.output}"]
    if i.key_hidden and i.diagnosis is not None and i.diagnosis.sure:  # the key is hidden: no right step
        return lines + [f"  why: {i.diagnosis.matches[0].says}"]
    return lines + diagnosis_lines(i.diagnosis)


def render_class(grades: list, title: str, summary: list, copies: list = ()):
    """A class run: one row per student file, the totals, then per quantity how many were right and the
    most frequent misconceptions."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    t.add_column("student", no_wrap=True)
    t.add_column("score", justify="right", no_wrap=True)
    t.add_column("%", justify="right", no_wrap=True)
    t.add_column("wrong or missing", no_wrap=True)
    rows = [(g.name, f"{_score(g.score)}/{_score(g.max_score)}",
             f"{100 * g.score / g.max_score if g.max_score else 0:.0f}",
             ["not graded: " + g.error] if g.error else [f"{i.problem}: {i.quantity}" for i in g.items if not i.passed])
            for g in grades]
    room = WIDTH - sum(max([len(head)] + [len(row[k]) for row in rows]) + 2 for k, head in
                       enumerate(("student", "score", "%")))  # the list folds between its items to fit 80
    for name, score, pct, wrong in rows:
        lines = wrap("", wrong, ", ", max(room, 24), "") if len(wrong) > 1 else [prose(w, max(room, 24)) for w in wrong]
        t.add_row(escape(name), score, pct, f"[red]{escape(chr(10).join(lines))}[/]" if wrong else "")
    n = len(grades)
    scores = [g.score for g in grades]
    mean = sum(scores) / n if n else 0
    totals = (f"{n} student{'s' if n != 1 else ''} · mean {number(mean, 3)} of "
              f"{_score(grades[0].max_score) if grades else 0} · all right: {sum(g.passed for g in grades)}"
              f" · files not graded: {sum(g.error is not None for g in grades)}")
    parts = [Text(prose(f"{title} · class summary"), "dim"), t, Text(), Text(prose(totals), "bold")]
    lines = [line for q in summary for line in summary_lines(q)]
    lines += [f"copying? {c.student}'s answers match the key of {c.other}'s variant"
              + (f" (and of {c.others} other{'s' if c.others != 1 else ''} with the same numbers)" if c.others else "")
              + f" ({', '.join(c.quantities)})" for c in copies]
    if lines:
        parts += [Text()] + [_hanging(line) if line.startswith(" ") else Text(prose(line, indent="    "), "bold")
                             for line in lines]
    return Group(*parts)


def summary_lines(q) -> list:
    """`lecture ∂e/∂b: 2 of 4 right`, then `  1 of 4: only the path e → c → b …`, most frequent first."""
    from ..grading.summary import REASON_WORDS

    lines = [f"{q.problem} {q.quantity}: {q.right} of {q.total} right"]
    for m in q.misconceptions:
        lines.append(f"  {m.count} of {q.total}: {m.text}")
    for reason, count in q.reasons.items():
        lines.append(f"  {count} of {q.total}: {REASON_WORDS[reason]}")
    return lines


# --- --json ---------------------------------------------------------------------------------------------

def result_json(r: Result) -> dict:
    x = r.expectation
    doc = {
        "quantity": x.quantity.label,
        "of": x.quantity.of,
        "wrt": x.quantity.wrt,
        "answer": x.answer.text,
        "formula": x.answer.is_formula,
        "got": to_json(r.expected),  # the answer's value (the Result's `expected`: what --expect states)
        "expected": to_json(r.got),  # the correct value, cgrad's
        "error": r.error,
        "pass": r.passed,
        "random": None,
        "note": r.note,
        "diagnosis": diagnosis_json(r.diagnosis),
    }
    if r.is_array:  # only then: a scalar check's document is what it always was
        doc.update(shape=list(_shape(r.got)), got_shape=None if r.expected is None else list(_shape(r.expected)),
                   worst=None if r.worst is None else list(r.worst), wrong_elements=r.wrong)
    if r.random is not None:
        rc = r.random
        f = rc.first_failure
        if f is not None:
            f = {**f, "at": point_json(f["at"]), "got": to_json(f["expected"]), "expected": to_json(f["got"])}
            if "worst" in f:
                f["worst"] = list(f["worst"])
        doc["random"] = {"points": rc.points, "checked": rc.checked, "skipped": rc.skipped, "needed": rc.needed,
                         "failed": rc.failed, "first_failure": f}
    return doc


def point_json(at: dict) -> dict:
    return {name: to_json(value) for name, value in at.items()}


def report_json(report: Report) -> dict:
    from .json import header, warning_entries

    points = {"count": report.points, "seed": report.seed, "range": "x ± max(1, |x|)/2"}
    fixed = index_inputs(report.graph)
    if fixed:  # only for programs with indices: a scalar program's document is what it always was
        points["fixed"] = fixed
    return {
        **header("check"),
        "source": report.graph.source,
        "at": point_json(report.at),
        "tolerance": {"rtol": report.rtol, "atol": report.atol, "rule": "|got - expected| <= atol + rtol*|expected|"},
        "random_points": points,
        "pass": report.passed,
        "passed": report.n_passed,
        "total": len(report.results),
        "checks": [result_json(r) for r in report.results],
        "warnings": warning_entries(report.warnings),
    }
