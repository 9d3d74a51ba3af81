"""A class's grades as other tools read them: the --json documents, Gradescope's results.json, JUnit XML."""
from __future__ import annotations

from ..grading.assignment import Assignment, Grade
from .json import header, integral, warning


def grade_json(g: Grade) -> dict:
    """One grade as the --json documents give it; scores that are whole numbers are written as integers."""
    return {"student": g.name, "file": g.path, "score": integral(g.score), "max_score": integral(g.max_score),
            "error": g.error,
            "items": [{"problem": i.problem, "quantity": i.quantity, "answer": i.answer, "score": integral(i.score),
                       "max_score": integral(i.max_score), "pass": i.passed, "output": i.output} for i in g.items]}


def assignment_json(assignment: Assignment, path: str, grades: list, class_run: bool) -> dict:
    """The `cgrad check ASSIGNMENT.toml --json` document (schema: check.schema.json, its two assignment forms).

    Both forms list the grades in `students` (one for the key or one student); the one-student form also has
    that grade as `grade`, as it always had.  `warnings` are the kinks met while grading, each once."""
    doc = {**header("check"), "assignment": assignment.title, "file": path,
           "max_score": integral(assignment.max_score)}
    graded = [grade_json(g) for g in grades]
    if not class_run:
        doc["grade"] = graded[0]
    doc["students"] = graded
    seen = []
    for g in grades:
        seen += [w for w in g.warnings if w not in seen]
    doc["warnings"] = [warning(node, "kink", message, problem=pid) for pid, node, message in seen]
    return doc


def gradescope(g: Grade) -> dict:
    """Gradescope's results.json: the total and one test per quantity (whole-number scores as integers)."""
    return {"score": integral(g.score), "max_score": integral(g.max_score), "output": g.error or "",
            "tests": [{"name": f"{i.problem}: {i.quantity}", "score": integral(i.score),
                       "max_score": integral(i.max_score), "output": i.output} for i in g.items]}


def junit(grades: list, title: str) -> str:
    """JUnit XML: one testsuite per student, one testcase per quantity (classname = the problem)."""
    from xml.sax.saxutils import quoteattr, escape

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name={quoteattr(title)} tests="{sum(len(g.items) for g in grades)}" '
           f'failures="{sum(not i.passed for g in grades for i in g.items)}">']
    for g in grades:
        failures = sum(not i.passed for i in g.items)
        out.append(f'  <testsuite name={quoteattr(g.name)} tests="{len(g.items)}" failures="{failures}">')
        for i in g.items:
            head = f'    <testcase classname={quoteattr(i.problem)} name={quoteattr(i.quantity)}'
            if i.passed:
                out.append(head + "/>")
            else:
                out += [head + ">", f"      <failure message={quoteattr(i.output)}>{escape(i.output)}</failure>",
                        "    </testcase>"]
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
