"""`cgrad check`: does an answer (a number or a formula) match cgrad's value or gradient?"""
from __future__ import annotations

import sys

from ..errors import InputError
from . import spec
from .common import console, load, program_command, refuse_overwriting, write_output, say, warn



@program_command("check", failed="an expectation does not hold")
@spec.option("--expect", "expects", multiple=True, metavar="QUANTITY=ANSWER",
              help="What to check: NAME, dOUT/dNAME or ∂OUT/∂NAME = a number, an array or a formula. Repeatable.")
@spec.option("--rtol", default=1e-5, show_default=True, type=spec.FloatRange(0), metavar="R",
              help="Relative tolerance.")
@spec.option("--atol", default=1e-8, show_default=True, type=spec.FloatRange(0), metavar="A",
              help="Absolute tolerance.")
@spec.option("--points", default=20, show_default=True, type=spec.IntRange(0), metavar="N",
              help="Also check each formula at this many random points around the given one.")
@spec.option("--seed", default=0, show_default=True, type=int, metavar="N", help="Seed of the random points.")
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@spec.option("--answers", metavar="FILE|DIR",
              help="With an assignment: grade a student's answers (TOML or JSON), or every file in DIR.")
@spec.option("--junit", metavar="FILE", help="With an assignment: also write JUnit XML to FILE.")
@spec.option("--gradescope", metavar="FILE", help="With an assignment: also write Gradescope's results.json.")
@spec.option("--markdown", metavar="FILE", help="With --answers DIR: also write a class report in Markdown.")
@spec.option("--hide-key/--show-key", "hide_key", default=None,
              help="With an assignment: say right or wrong (and why), never the correct value; overrides the "
                   "assignment's hide_key.")
@spec.option("--visibility", type=spec.Choice(["visible", "hidden", "after_due_date", "after_published"]),
              help="Gradescope's visibility of the tests; overrides the assignment's visibility.")
def command(words, file, sets, inputs_file, const, expects, rtol, atol, points, seed, as_json, answers, junit, gradescope,
            markdown, hide_key, visibility):
    """Check expected values and derivatives of PROGRAM against cgrad's,
    at the point given by --NAME VALUE (a number, or a JSON array).

    QUANTITY is NAME (the value of an input, a named node or the output) or
    dOUT/dNAME (also ∂OUT/∂NAME): the derivative of node OUT with respect to
    an input or named node NAME, by reverse mode; OUT must be a scalar, NAME
    may be an array (the derivative is then shaped like NAME).  ANSWER is a
    number, an array literal such as [0.2, 0.8] or [[1, 0], [0, 1]], or a
    formula over the program's names, written as cgrad expressions.  A check
    passes when |expected − got| ≤ atol + rtol·|got|; for arrays the shapes
    must match first, then the rule holds element by element (|error| is the
    largest over the elements, with the worst element's index).  A formula is
    also checked at --points random points (seed --seed): each input x drawn
    uniformly from x ± max(1, |x|)/2, an array element by element; inputs used
    as indices (y[r], onehot(r, n)) stay fixed.  Points where the program or
    the answer is undefined are skipped and counted, and when fewer than half
    remain the check fails, saying so.  So a formula right at one point only
    fails.

    A wrong answer is diagnosed: cgrad computes from the graph the number
    each common mistake gives (a path missing or counted twice, a use of a
    shared weight left out, a wrong local-derivative rule, another convention
    at a kink, the chain stopped early, another input's derivative, a node's
    value, the sign, a factor 2, a transposed matrix, ...).  One mistake that
    explains the answer is named with the right step; several are listed as
    "could be", most likely first (README: "Why an answer is wrong").

    \b
    Examples:
      cgrad check "e=(a+b)*(b+1)" --a 2 --b 1 \\
          --expect e=6 --expect de/da=2 --expect de/db=5
      cgrad check "e=(a+b)*(b+1)" --a 2 --b 1 --expect "de/db = a + 2*b + 1"
      cgrad check "c=a+b; d=b+1; e=c*d" --a 2 --b 1 --expect "∂e/∂c = d" --json
      cgrad check "y = log(x)" --x 2 --expect "dy/dx = 0.5" --rtol 1e-3

    \b
    Tensors (a softmax classifier; r is an index, kept fixed):
      cgrad check "z = W @ x; y = softmax(z); C = -log(y[r])" \\
          --W '[[1, 2], [3, 4]]' --x '[1, -1]' --r 1 \\
          --expect "y = [0.5, 0.5]" --expect "dC/dz = y - onehot(r, 2)" \\
          --expect "dC/dW = reshape(y - onehot(r, 2), 2, 1) @ reshape(x, 1, 2)"

    With an assignment file (PROGRAM ending in .toml: problems, each with a
    program, input sets and expected answers), the key's own answers are
    checked; --answers FILE grades a student's answers (problem -> quantity
    -> answer, TOML or JSON), --answers DIR every file in DIR, with a class
    summary: per quantity, how many were right and the most frequent
    misconceptions (--markdown FILE writes it as a report to post).

    Scoring: each quantity is scored on its own -- its full points when the
    answer passes, none when it fails, and the assignment's rounded_credit
    share of them when a number is off by rounding alone; a problem's score
    is the sum over its quantities.  A wrong answer is diagnosed as above.  A
    malformed student file is reported and scored 0, and the class run exits
    2 naming it.  The assignment file wins for tolerances and points (its
    rtol, atol, points and seed; --rtol, --atol, --points and --seed apply to
    --expect checks); the command line wins for --hide-key/--show-key and
    --visibility.

    \b
      cgrad check examples/hw1.toml
      cgrad check examples/hw1.toml --answers examples/answers/alice.toml
      cgrad check examples/hw1.toml --answers examples/answers/ --junit grades.xml
      cgrad check examples/hw1.toml --answers submission.json \\
          --gradescope results.json
      cgrad check examples/hw1.toml --answers examples/answers/ \\
          --markdown report.md
    """
    from ..grading.check import check, parse_expectation

    first = next((w for w in words if not w.startswith("-")), None)
    if file is None and first is not None and first.endswith(".toml") and len(words) == 1:
        return _assignment(first, answers, junit, gradescope, markdown, hide_key, visibility, as_json, expects)
    if answers or junit or gradescope or markdown or hide_key is not None or visibility:
        raise InputError("--answers, --junit, --gradescope, --markdown, --hide-key and --visibility work with an "
                         "assignment file", hint="cgrad check hw1.toml --answers alice.toml")

    graph, inputs = load(words, file, sets, inputs_file, const)
    if not expects:
        raise InputError("nothing to check: give --expect QUANTITY=ANSWER",
                         hint='as in --expect e=6 --expect de/db=5 --expect "de/db = a + 2*b + 1"')
    expectations = [parse_expectation(text, graph) for text in expects]
    report = check(graph, inputs, expectations, rtol=rtol, atol=atol, points=points, seed=seed)
    warn(report.warnings)
    if as_json:
        from ..render.check import report_json
        from ..render.json import dumps

        sys.stdout.write(dumps(report_json(report)) + "\n")
    else:
        from ..render.check import render

        console().print(render(report))
    if not report.passed:
        raise SystemExit(1)


def _assignment(path, answers, junit_file, gradescope_file, markdown_file, hide_key, visibility, as_json,
                expects):
    import os

    from ..grading.assignment import answer_files, grade_file, grade_key, load_assignment
    from ..grading.summary import copies, summarize
    from ..render.grades import assignment_json, gradescope, junit, markdown
    from ..render.json import dumps

    if expects:
        raise InputError("--expect works with a program; an assignment file holds its own expectations")
    files, skipped = answer_files(answers) if answers is not None and os.path.isdir(answers) else ([answers], [])
    refuse_overwriting({"--junit": junit_file, "--gradescope": gradescope_file, "--markdown": markdown_file},
                       [path, *files])
    assignment = load_assignment(path)
    if hide_key is not None:
        assignment.hide_key = hide_key
    class_run = answers is not None and os.path.isdir(answers)
    if class_run:
        if gradescope_file:
            raise InputError("--gradescope grades one student: give --answers FILE")
        for entry, what in skipped:
            say(f"warning: skipped {entry}: {what}, not a regular file")
        grades = [grade_file(assignment, f) for f in files]
        if not grades:
            raise InputError(f"no .toml or .json answer files in {answers}")
    elif markdown_file:
        raise InputError("--markdown reports on a class: give --answers DIR")
    elif answers is not None:
        if not os.path.exists(answers):
            raise InputError(f"no such answers file or folder: {answers}")
        if not os.path.isfile(answers):
            raise InputError(f"answers {answers} is not a regular file (a FIFO, a device or a socket is not read)")
        grades = [grade_file(assignment, answers)]
    else:
        grades = [grade_key(assignment)]
    summary = summarize(grades) if class_run else None
    copied = copies(assignment, grades) if class_run else []
    if junit_file:
        write_output(junit_file, junit(grades, assignment.title, skipped).encode("utf-8"))
    if gradescope_file:  # written for a malformed file too: Gradescope shows the student why they got 0
        doc = gradescope(grades[0], visibility or assignment.visibility)
        write_output(gradescope_file, (dumps(doc) + "\n").encode("utf-8", "backslashreplace"))
    if markdown_file:
        write_output(markdown_file, markdown(assignment, grades, summary, skipped).encode("utf-8", "backslashreplace"))
    if not class_run and grades[0].error:  # one student's malformed file is a plain error (a class run carries on)
        from ..grading.assignment import read_answers

        read_answers(answers)
    if as_json:
        sys.stdout.write(dumps(assignment_json(assignment, path, grades, class_run, summary, copied, skipped)) + "\n")
    else:
        from ..render.check import render_class, render_grade

        console().print(render_class(grades, assignment.title, summary, copied) if class_run
                        else render_grade(grades[0], assignment.title))
    if class_run and any(g.error for g in grades):
        for g in grades:
            if g.error:
                say(f"error: not graded: {g.error}")
        raise SystemExit(2)
    if not class_run and not grades[0].passed:
        raise SystemExit(1)
