"""`cgrad check` output: a table of expected, got, |error| and pass/fail (Rich), with notes for failures.

Arrays are shown compactly (symbolic.show: in full up to 12 elements, else by shape, min and max), and an
array's |error| with the index of its worst element.
"""
from __future__ import annotations

from .check import Report, Result, index_inputs, index_text
from .symbolic import number, show


def value_text(value) -> str:
    """A number as cgrad prints it; an array compactly (in full when small, else by shape, min and max)."""
    if isinstance(value, list):
        from .autodiff import _numpy

        value = _numpy().asarray(value, dtype=float)
    return show(value) if getattr(value, "shape", ()) else number(value)


def point_text(at: dict) -> str:
    return ", ".join(f"{name} = {value_text(value)}" for name, value in at.items())


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
    text = f"{rc.checked - rc.failed} of {rc.checked}"
    if rc.skipped:
        text += f" ({rc.skipped} undefined)"
    return text


def failure_text(r: Result) -> str:
    """Why a check failed, in words; for a formula wrong at a random point, what the answer and cgrad give there."""
    rc = r.random
    if rc is not None and rc.failed and r.error is not None and r.note and r.note.startswith("right"):
        f = rc.first_failure
        if "worst" in f:  # arrays: the worst element there
            k = f["worst"]
            return (f"{r.note}; at {point_text(f['at'])}, element {index_text(k)}: the answer gives "
                    f"{number(float(f['expected'][k]))}, cgrad {number(float(f['got'][k]))}")
        return (f"{r.note}; at {point_text(f['at'])} the answer gives {number(f['expected'])}, "
                f"cgrad {number(f['got'])}")
    return r.note


def _note(r: Result) -> str | None:
    if r.passed:
        return None
    return f"{r.expectation.quantity.label}: {failure_text(r)}"


def render(report: Report):
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    fixed = index_inputs(report.graph)
    head = Text(f"at {point_text(report.at) or 'no inputs'} · pass when |expected − got| ≤ atol + rtol·|got| "
                f"(rtol {report.rtol:g}, atol {report.atol:g}) · formulas also at {report.points} random points "
                f"(seed {report.seed})" + (f", {', '.join(fixed)} kept fixed (used as an index)" if fixed else ""),
                "dim")
    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    t.add_column("check")
    t.add_column("expected")
    t.add_column("got", justify="right")
    t.add_column("|error|", justify="right")
    t.add_column("right at random points", justify="right")
    t.add_column("result")
    for r in report.results:
        t.add_row(escape(r.expectation.quantity.label), escape(_expected(r)), escape(value_text(r.got)),
                  _error(r), _random(r),
                  "[green]✓ pass[/]" if r.passed else "[bold red]✗ fail[/]")
    parts = [head, t]
    notes = [n for n in map(_note, report.results) if n]
    if notes:
        parts += [Text()] + [Text(n, "red") for n in notes]
    n, total = report.n_passed, len(report.results)
    parts += [Text(), Text(f"{n} of {total} check{'s' if total != 1 else ''} passed",
                           "bold green" if n == total else "bold red")]
    return Group(*parts)


# --- assignments ----------------------------------------------------------------------------------------------

def _score(x: float) -> str:
    return number(x)


def render_grade(g, title: str):
    """One student's (or the key's) grade: a row per quantity, then the total."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    who = "the key's own answers" if g.name == "key" else f"student {g.name}"
    parts = [Text(f"{title} · {who} ({g.path})", "dim")]
    if g.error:
        parts.append(Text("not graded: " + g.error, "bold red"))
    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    for name in ("problem", "quantity", "answer", "score", "result"):
        t.add_column(name, justify="right" if name == "score" else "left")
    for i in g.items:
        t.add_row(escape(i.problem), escape(i.quantity), escape(i.answer or "—"),
                  f"{_score(i.score)}/{_score(i.max_score)}",
                  "[green]✓ right[/]" if i.passed else f"[bold red]✗[/] {escape(i.output)}")
    parts += [t, Text(), Text(f"score {_score(g.score)} of {_score(g.max_score)}",
                              "bold green" if g.passed else "bold red")]
    return Group(*parts)


def render_class(grades: list, title: str):
    """A class run: one row per student file, then the summary."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    t.add_column("student")
    t.add_column("score", justify="right")
    t.add_column("%", justify="right")
    t.add_column("wrong or missing")
    for g in grades:
        pct = 100 * g.score / g.max_score if g.max_score else 0
        wrong = "not graded: " + g.error if g.error else ", ".join(
            f"{i.problem}: {i.quantity}" for i in g.items if not i.passed)
        t.add_row(escape(g.name), f"{_score(g.score)}/{_score(g.max_score)}", f"{pct:.0f}",
                  f"[red]{escape(wrong)}[/]" if wrong else "")
    n = len(grades)
    scores = [g.score for g in grades]
    mean = sum(scores) / n if n else 0
    summary = (f"{n} student{'s' if n != 1 else ''} · mean {number(mean, 3)} of "
               f"{_score(grades[0].max_score) if grades else 0} · all right: {sum(g.passed for g in grades)}"
               f" · files not graded: {sum(g.error is not None for g in grades)}")
    return Group(Text(f"{title} · class summary", "dim"), t, Text(), Text(summary, "bold"))
