"""The problem sheet a student receives: each problem's program, that student's inputs, what to compute and
the precision asked; with the key, the correct values at those inputs and the key's own answers."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SheetProblem:
    id: str
    title: str
    program: str
    sets: list  # the student's input sets
    drawn: list  # per set, the inputs drawn for this student (the others are the same for everyone)
    quantities: list  # labels: e, ∂e/∂b
    precision: str
    key: list = field(default_factory=list)  # with the key: per quantity (label, the key's answer, [value per set])


@dataclass
class Sheet:
    title: str
    student: str
    problems: list
    warnings: list = field(default_factory=list)  # with the key: (problem id, node, message) per kink met


def precision_text(p) -> str:
    """What a student reads about the precision asked: the significant figures, or the tolerance."""
    if p.sig_figs is not None:
        text = f"give numbers to {p.sig_figs} significant figures"
        return text + (f" (fewer earn {p.rounded_credit:.0%} of the points)" if p.rounded_credit else "")
    from .assignment import _figures_of

    return f"give numbers within a relative {p.rtol:g} of the exact value (about {_figures_of(p.rtol)} " \
           "significant figures)"


def sheet(assignment, student: str, key: bool = False) -> Sheet:
    """`student`'s sheet (their variant of every problem); with `key`, the correct values too."""
    from .points import _Point

    problems, warnings = [], []
    for p in assignment.problems:
        sets = p.variant(assignment.seed, student)
        drawn = [sorted(specs) for specs in p.specs] if p.specs else [[] for _ in sets]
        sp = SheetProblem(p.id, p.title, " ".join(p.graph.source.split()), sets, drawn,
                          [q.label for q in p.expect], precision_text(p))
        if key:
            points = [_Point(p.graph, at) for at in sets]
            for q, (_, answer) in p.expect.items():
                sp.key.append((q, answer, [pt.quantity(q) for pt in points]))
                for pt in points:
                    if q.wrt is not None:
                        warnings += [(p.id, node, m) for node, m in pt.sweep(q.of).warnings
                                     if (p.id, node, m) not in warnings]
        problems.append(sp)
    return Sheet(assignment.title, student, problems, warnings)
