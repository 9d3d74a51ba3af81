"""A class at a glance: per quantity, how many were right and the most frequent misconceptions.

A misconception is counted from each wrong answer's diagnosis: the named one, or the first of a "could be"
list (counted as such, never as a certainty); answers that were not wrong numbers (no answer, a syntax error,
a rounded number, a wrong shape) are counted by their reason.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

REASON_WORDS = {"missing": "no answer", "unrecognised": "answer under a key not recognised",
                "syntax": "answer that cannot be read", "shape": "answer of the wrong shape",
                "domain": "answer undefined at the point", "rounded": "number off by rounding alone",
                "wrong": "wrong answer no single mistake explains", "other": "other mistakes"}


@dataclass
class Misconception:
    says: str  # in one sentence, as the diagnosis says it
    sure: bool  # diagnosed, or the most likely of a could-be list
    count: int

    @property
    def text(self) -> str:
        return self.says if self.sure else f"could be: {self.says}"


@dataclass
class QuantitySummary:
    problem: str
    quantity: str
    total: int  # students graded (files that could be read)
    right: int
    reasons: dict = field(default_factory=dict)  # reason -> count, over the answers not right and not diagnosed
    misconceptions: list = field(default_factory=list)  # most frequent first


def summarize(grades: list, top: int = 3) -> list:
    """One QuantitySummary per quantity of the assignment, in its order, over the files that could be read."""
    read = [g for g in grades if g.error is None]
    if not read:
        return []
    out = []
    for k, first in enumerate(read[0].items):
        items = [g.items[k] for g in read]
        reasons = Counter(i.reason for i in items if not i.passed and i.diagnosis is None)
        ideas = Counter()
        for i in items:
            if not i.passed and i.diagnosis is not None:
                m = i.diagnosis.distinct()[0]
                ideas[(m.says, i.diagnosis.sure)] += 1
        ranked = ideas.most_common()
        if len(ranked) > top:
            reasons["other"] = sum(n for _, n in ranked[top:])
        out.append(QuantitySummary(first.problem, first.quantity, len(items), sum(i.passed for i in items),
                                   dict(reasons.most_common()),
                                   [Misconception(says, sure, n) for (says, sure), n in ranked[:top]]))
    return out



@dataclass
class Copy:
    """A student whose wrong answers are right for another student's variant."""
    student: str
    other: str  # whose variant's key the answers match
    quantities: list  # "problem quantity" of each such answer
    others: int = 0  # classmates whose variants have the same numbers there (named: the first by name)


def copies(assignment, grades: list, least: int = 2, common: float = 0.1) -> list:
    """Students answering with a classmate's variant's numbers.

    A student is flagged when `least` or more of their wrong number answers (on problems drawn per student)
    are right for the same classmate's variant and not for their own -- one match can be chance, two from
    the same classmate rarely are -- unless those numbers are the key of more than a `common` share of the
    class (coarse ranges and choices give many students the same numbers: then they tell nothing).  Of
    several classmates that match, the one matching most is named, with how many others have the same
    numbers there; classmates matching as many but different answers name no one.  A variant's key is the
    correct value of each quantity at its first input set.
    """
    from bisect import bisect_left, bisect_right

    from .points import _Point

    problems = {p.id: p for p in assignment.problems}
    read = [g for g in grades if g.error is None and g.variants]
    keys = {g.name: _keys(problems, g.variants, _Point) for g in read}
    by_value = {}  # (problem, quantity) -> sorted [(key value, student)]: the classmates near a number
    for g in read:
        for q, v in keys[g.name].items():
            if _scalar(v):
                by_value.setdefault(q, []).append((v, g.name))
    for column in by_value.values():
        column.sort()
    out = []
    for g in read:
        matches = {}  # classmate -> quantities
        for i in g.items:
            q = (i.problem, i.quantity)
            mine, p = keys[g.name].get(q), problems[i.problem]
            if i.reason != "wrong" or not _scalar(i.got) or not _scalar(mine) or q not in by_value:
                continue
            column, width = by_value[q], 2 * _tolerance(i.got, p)
            near = column[bisect_left(column, (i.got - width, "")):bisect_right(column, (i.got + width, "\uffff"))]
            for theirs, h in near:
                if h != g.name and not _same(mine, theirs, p) and _same(i.got, theirs, p):
                    matches.setdefault(h, []).append(f"{i.problem} {i.quantity}")
        best = max((len(qs) for qs in matches.values()), default=0)
        tied = sorted(h for h, qs in matches.items() if len(qs) == best)
        if best < least or any(matches[h] != matches[tied[0]] for h in tied):
            continue  # too few, or several classmates match different answers: no one to name
        if len(tied) <= max(1, common * len(read)):  # those numbers are not the key of a large part of the class
            out.append(Copy(g.name, tied[0], matches[tied[0]], len(tied) - 1))
    return out


def _tolerance(x: float, p) -> float:
    """How far from `x` a value can be and still count as the same answer (the problem's precision)."""
    tol = p.atol + p.rtol * abs(x)
    if p.sig_figs is not None and x:
        import math

        tol = max(tol, 10 ** (math.floor(math.log10(abs(x))) - p.sig_figs + 1))
    return tol


def _keys(problems: dict, variants: dict, point) -> dict:
    """{(problem, quantity label): the correct value} at the first input set of each drawn problem."""
    out = {}
    for pid, sets in variants.items():
        p = problems[pid]
        here = point(p.graph, sets[0])
        for q in p.expect:
            value = here.quantity(q)
            out[(pid, q.label)] = value if _scalar(value) else None
    return out


def _same(answer, value, p) -> bool:
    """Would `answer` be right if the correct value were `value` (the problem's tolerance and figures)?"""
    from .assignment import _right_to
    from .points import close

    if not (_scalar(answer) and _scalar(value)):
        return False
    return close(answer, value, p.rtol, p.atol) or (p.sig_figs is not None and _right_to(answer, value) >= p.sig_figs)


def _scalar(value) -> bool:
    return isinstance(value, float)
