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

