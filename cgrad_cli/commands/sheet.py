"""`cgrad sheet`: the problem sheet a student receives (their own variant), with or without the key."""
from ..errors import InputError, echo
from . import spec

SUFFIX = {"markdown": "md", "latex": "tex", "json": "json"}


@spec.command("sheet")
@spec.argument("assignment", metavar="ASSIGNMENT.toml")
@spec.option("--student", metavar="ID", help="The student: the id their answers file gives (id = \"...\"), "
                                              "else the file's name without its extension.")
@spec.option("--students", "roster", metavar="FILE", help="A roster: one student id a line (# comments).")
@spec.option("--out", "out_dir", metavar="DIR", help="With --students: write one sheet per student into DIR.")
@spec.option("--format", "fmt", type=spec.Choice(list(SUFFIX)), default="markdown", show_default=True,
              help="Markdown, LaTeX (a document) or JSON.")
@spec.option("--key", is_flag=True, help="Add the correct values at the student's inputs, the key's answers "
                                          "and cgrad explain's derivation of each derivative.")
def command(assignment, student, roster, out_dir, fmt, key):
    """Print the problem sheet STUDENT receives for ASSIGNMENT.toml: each
    problem's program, the student's own inputs (drawn from the ranges and
    choices the assignment declares, the same every run, as grading draws
    them), what to compute and the precision asked.  With --students ROSTER
    --out DIR, write one sheet per student.

    \b
    Examples:
      cgrad sheet examples/variants.toml --student alice
      cgrad sheet examples/variants.toml --student alice --key \\
          --format latex > alice-key.tex
      cgrad sheet examples/variants.toml --students roster.txt --out sheets/
    """
    import os

    from ..grading.assignment import load_assignment

    if (student is None) == (roster is None):
        raise InputError("give --student ID, or --students ROSTER with --out DIR",
                         hint="cgrad sheet hw1.toml --student alice")
    if roster is not None and out_dir is None:
        raise InputError("--students writes one sheet per student: give --out DIR")
    if out_dir is not None and roster is None:
        raise InputError("--out works with --students ROSTER")
    hw = load_assignment(assignment)
    if student is not None:
        echo(_render(hw, student, fmt, key), nl=False)
        return
    ids = _roster(roster)
    try:
        os.makedirs(out_dir, exist_ok=True)
        for sid in ids:
            with open(os.path.join(out_dir, f"{sid}.{SUFFIX[fmt]}"), "w", encoding="utf-8") as f:
                f.write(_render(hw, sid, fmt, key))
    except OSError as e:
        raise InputError(f"cannot write into {out_dir}: {e.strerror}") from None
    echo(f"{len(ids)} sheet{'s' if len(ids) != 1 else ''} written to {out_dir}", err=True)


def _render(hw, student, fmt, key) -> str:
    from ..grading.sheet import sheet
    from ..render import sheet as shown

    s = sheet(hw, student, key)
    if fmt == "json":
        from ..render.json import dumps

        return dumps(shown.json_doc(s)) + "\n"
    return (shown.markdown if fmt == "markdown" else shown.latex)(s, hw.problems)


def _roster(path) -> list:
    """Student ids, one a line; blank lines and # comments skipped; an id must make a plain file name."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise InputError(f"cannot read the roster {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"the roster {path} is not UTF-8 text") from None
    ids = [line.split("#", 1)[0].strip() for line in lines]
    ids = [i for i in ids if i]
    bad = next((i for i in ids if "/" in i or "\\" in i or i.startswith(".")), None)
    if bad is not None:
        raise InputError(f"the roster {path}: {bad!r} cannot name a file (a student id has no / and does not "
                         "start with .)")
    if not ids:
        raise InputError(f"the roster {path} names no student")
    return ids
