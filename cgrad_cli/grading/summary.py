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


def copies(assignment, grades: list, least: int = 2) -> list:
    """Students answering with another student's variant's numbers: `least` or more of their wrong number
    answers (on problems drawn per student) match the correct value of the same classmate's variant, which
    differs from their own (one match can be chance; two from the same classmate rarely are).  A variant's
    key is the correct value of each quantity at its first input set."""
    from .points import _Point

    problems = {p.id: p for p in assignment.problems}
    read = [g for g in grades if g.error is None and g.variants]
    keys = {g.name: _keys(problems, g.variants, _Point) for g in read}
    found = {}
    for g in read:
        for i in g.items:
            mine = keys[g.name].get((i.problem, i.quantity))
            if i.reason != "wrong" or not _scalar(i.got) or not _scalar(mine):
                continue
            for h in read:
                theirs = keys[h.name].get((i.problem, i.quantity))
                p = problems[i.problem]
                if h is not g and _scalar(theirs) and not _same(mine, theirs, p) and _same(i.got, theirs, p):
                    found.setdefault((g.name, h.name), []).append(f"{i.problem} {i.quantity}")
    return [Copy(s, o, qs) for (s, o), qs in found.items() if len(qs) >= least]


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


def _same(answer: float, value: float, p) -> bool:
    """Would `answer` be right if the correct value were `value` (the problem's tolerance and figures)?"""
    from .assignment import _right_to
    from .points import close

    return close(answer, value, p.rtol, p.atol) or (p.sig_figs is not None and _right_to(answer, value) >= p.sig_figs)


def _scalar(value) -> bool:
    return isinstance(value, float)
