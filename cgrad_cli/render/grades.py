"""A class's grades as other tools read them: the --json documents, Gradescope's results.json, JUnit XML."""
from __future__ import annotations

import json
import re

from ..core.autodiff import warning_kind
from ..grading.assignment import Assignment, Grade
from .json import header, integral, warning
from .width import fold, prose


def grade_json(g: Grade) -> dict:
    """One grade as the --json documents give it; scores that are whole numbers are written as integers.

    Each item says why in data too: `reason`, the answer's value `got` and the correct one `expected` (left
    out when the assignment hides its key), and the `diagnosis`."""
    from ..core.autodiff import to_json
    from .check import diagnosis_json

    def item(i):
        doc = {"problem": i.problem, "quantity": i.quantity, "answer": i.answer, "score": integral(i.score),
               "max_score": integral(i.max_score), "pass": i.passed, "output": i.output, "reason": i.reason,
               "got": to_json(i.got)}
        if not i.key_hidden:
            doc["expected"] = to_json(i.expected)
        doc["diagnosis"] = diagnosis_json(i.diagnosis, right=not i.key_hidden)
        return doc

    from .check import point_json

    return {"student": g.name, "file": g.path, "score": integral(g.score), "max_score": integral(g.max_score),
            "error": g.error, "notes": list(g.notes),
            "variant": {pid: [point_json(at) for at in sets] for pid, sets in g.variants.items()},
            "items": [item(i) for i in g.items]}


def summary_json(summary: list) -> list:
    """The class summary: per quantity, how many were right, the reasons and the most frequent misconceptions."""
    return [{"problem": q.problem, "quantity": q.quantity, "total": q.total, "right": q.right,
             "reasons": q.reasons,
             "misconceptions": [{"says": m.says, "sure": m.sure, "count": m.count} for m in q.misconceptions]}
            for q in summary]


def markdown(assignment: Assignment, grades: list, summary: list, skipped=()) -> str:
    """A report a teacher can post: the class's totals and, per quantity, how many were right and the most
    frequent misconceptions (no student is named; entries of the folder not read are counted).  Every text
    in it goes through _md: a hostile answer or file name cannot break the table or start a heading."""
    from .check import summary_lines

    n = len(grades)
    read = [g for g in grades if g.error is None]
    mean = sum(g.score for g in read) / len(read) if read else 0
    not_read = (f" · {len(skipped)} other entr{'ies' if len(skipped) != 1 else 'y'} not read (not regular files)"
                if skipped else "")
    out = [f"# {_md(assignment.title)}: class report", "",
           f"{n} answer file{'s' if n != 1 else ''} · {len(read)} graded · mean score "
           f"{mean:.3g} of {integral(assignment.max_score)} · all right: {sum(g.passed for g in grades)}{not_read}",
           "", "| problem | quantity | right |", "|---|---|---|"]
    out += [f"| {_md(q.problem)} | {_md(q.quantity)} | {q.right} of {q.total} |" for q in summary]
    out += ["", "## What went wrong", ""]
    for q in summary:
        lines = summary_lines(q)
        if len(lines) == 1:
            continue
        out.append(f"**{_md(q.problem)} {_md(q.quantity)}** ({q.right} of {q.total} right)")
        out.append("")
        out += [f"- {_md(line.strip())}" for line in lines[1:]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# Markdown: control characters (NUL, ESC, ...) dropped, line breaks made spaces; then a backslash before each
# character that would end a table cell (|), start code (`), emphasis (* _) or a link ([ ]), and a backslash
# before a # - + > = or a number's dot that would start a heading, a list or a quote; < as &lt; (no HTML).
_MD_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_BREAK = re.compile("[\t\n\r\u2028\u2029]+")
_MD_SPECIAL = re.compile(r"([\\|`*_\[\]])")
_MD_LEADING = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def _md(text: str) -> str:
    """Any text as one line of Markdown that reads as the text itself, in a table cell or a list item."""
    text = _MD_BREAK.sub(" ", _MD_CONTROL.sub("", str(text)))
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;").replace("<", "&lt;")
    return _MD_LEADING.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def assignment_json(assignment: Assignment, path: str, grades: list, class_run: bool, summary=None,
                    copies=(), skipped=()) -> dict:
    """The `cgrad check ASSIGNMENT.toml --json` document (schema: check.schema.json, its two assignment forms).

    Both forms list the grades in `students` (one for the key or one student); the one-student form also has
    that grade as `grade`, as it always had.  `warnings` are the kinks met while grading, each once."""
    doc = {**header("check"), "assignment": assignment.title, "file": path,
           "max_score": integral(assignment.max_score)}
    graded = [grade_json(g) for g in grades]
    if not class_run:
        doc["grade"] = graded[0]
    doc["students"] = graded
    if class_run:
        doc["summary"] = summary_json(summary or [])
        doc["copies"] = [{"student": c.student, "matches": c.other, "others": c.others, "quantities": c.quantities}
                         for c in copies]
        doc["skipped"] = [{"file": entry, "kind": kind} for entry, kind in skipped]
    seen = []
    for g in grades:
        seen += [w for w in g.warnings if w not in seen]
    doc["warnings"] = [warning(node, warning_kind(message), message, problem=pid) for pid, node, message in seen]
    return doc


def gradescope(g: Grade, visibility: str = "visible") -> dict:
    """Gradescope's results.json: the total and one test per quantity (whole-number scores as integers),
    each with its status and Gradescope's `visibility` (when students see it)."""
    output = g.error or "\n".join(g.notes)
    return {"score": integral(g.score), "max_score": integral(g.max_score), "output": output,
            "visibility": visibility, "stdout_visibility": "hidden",
            "tests": [{"name": f"{i.problem}: {i.quantity}", "score": integral(i.score),
                       "max_score": integral(i.max_score), "status": "passed" if i.passed else "failed",
                       "output": i.output, "visibility": visibility} for i in g.items]}


# What XML 1.0 cannot hold, even escaped: control characters (NUL, ESC, ...), lone surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit(grades: list, title: str, skipped=()) -> str:
    """JUnit XML: one testsuite per student, one testcase per quantity (classname = the problem); an entry of
    the folder not read (a FIFO, a device) is a testsuite of one skipped testcase, named by its path.

    Every string may come from a student's file (`"]]></failure><x>"`, NUL, ESC, `&`): each is escaped,
    and the characters XML cannot hold are dropped, so any answers file yields a well-formed report."""
    from xml.sax.saxutils import escape as escape_text, quoteattr as quote

    def escape(text):
        return escape_text(_NOT_XML.sub("", text))

    def quoteattr(text):
        return quote(_NOT_XML.sub("", text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name={quoteattr(title)} tests="{sum(len(g.items) for g in grades) + len(skipped)}" '
           f'failures="{sum(not i.passed for g in grades for i in g.items)}"'
           + (f' skipped="{len(skipped)}">' if skipped else ">")]
    for g in grades:
        failures = sum(not i.passed for i in g.items)
        out.append(f'  <testsuite name={quoteattr(g.name)} tests="{len(g.items)}" failures="{failures}">')
        for i in g.items:
            head = f'    <testcase classname={quoteattr(i.problem)} name={quoteattr(i.quantity)}>'
            points = ('      <properties><property name="points" value="{}"/><property name="max_points" '
                      'value="{}"/></properties>').format(integral(i.score), integral(i.max_score))
            out += [head, points]
            if not i.passed:
                out.append(f"      <failure message={quoteattr(i.output)}>{escape(i.output)}</failure>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    for entry, kind in skipped:
        out += [f'  <testsuite name={quoteattr(entry)} tests="1" failures="0" skipped="1">',
                f'    <testcase classname="answers" name={quoteattr(entry)}>',
                f'      <skipped message={quoteattr(f"{kind}, not a regular file: not read")}/>',
                "    </testcase>", "  </testsuite>"]
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def template(assignment: Assignment) -> str:
    """The answer file a student fills in (TOML): a table per problem, each quantity with an empty answer,
    the program, inputs and precision as comments."""
    from ..grading.assignment import _key
    from ..grading.check import point_text
    from ..grading.sheet import precision_text

    out = [prose(f"# {assignment.title}: your answers. Write each answer between the quotes: a number (\"0.5\"), "
                 "an array (\"[1, 2]\") or a formula in the program's names (\"a + 2*b + 1\"). An answer left "
                 "empty is no answer.", indent="# "), ""]
    for p in assignment.problems:
        out.append(f"# {p.title}" if p.title != p.id else f"# problem {p.id}")
        program = f"#   program: {' '.join(p.graph.source.split())}"
        out.append(fold([(program, None)], indent="#       ")[0][0])  # a formula: between its terms
        for at, specs in zip(p.sets, p.specs or [{}] * len(p.sets)):
            if specs:
                out.append(prose(f"#   at your own {', '.join(specs)} (your sheet: cgrad sheet ... --student "
                                 "YOUR_ID)" + (f", {point_text(at)}" if at else ""), indent="#     "))
            else:
                out.append(prose(f"#   at {point_text(at)}", indent="#     ") if at else "#   no inputs")
        out.append(prose(f"#   precision: {precision_text(p)}", indent="#     "))
        out.append(f"[{_key(p.id)}]")
        out += [f"{json.dumps(key, ensure_ascii=False)} = \"\"" for key, _ in p.expect.values()]
        out.append("")
    return "\n".join(out)
