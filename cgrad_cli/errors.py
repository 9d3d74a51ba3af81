"""Errors a user can cause, each with its exit code; anything else is a bug in cgrad.

Exit codes (documented in README and `cgrad --help`):
  0 success · 1 a check failed (cgrad check, gradcheck) · 2 usage, syntax, name or input error
  3 math domain error (log(-1), 1/0, overflow, ...) · 4 too large: past a size budget, or out of memory
  70 internal error (a bug: please report it) · 74 the output cannot be written (closed stdout, full disk)
"""
from __future__ import annotations

EXIT_USAGE = 2
EXIT_MATH = 3
EXIT_TOO_LARGE = 4
EXIT_INTERNAL = 70
EXIT_OUTPUT = 74  # sysexits' EX_IOERR, as 70 is its EX_SOFTWARE


class CgradError(Exception):
    """A problem with the user's program or inputs: one clear message, no traceback."""

    kind = "usage"
    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, source: str | None = None, span: tuple[int, int] | None = None,
                 hint: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.hint = hint
        self.details = details

    @property
    def position(self) -> tuple[int, int] | None:
        """(line, column) of the span's start, both counted from 1."""
        if self.source is None or self.span is None:
            return None
        return line_col(self.source, self.span[0])

    def render(self) -> str:
        """The message as the terminal shows it: where, what, the line with a caret, a hint."""
        lines = ["error: " + self.message]
        pos = self.position
        if pos is not None:
            line, col = pos
            lines[0] = f"error: line {line}, column {col}: {self.message}"
            lines += excerpt(self.source, self.span)
        if self.hint:
            lines.append("hint: " + self.hint)
        return "\n".join(lines)

    def to_json(self) -> dict:
        doc = {"kind": self.kind, "message": self.message, "exit_code": self.exit_code}
        pos = self.position
        if pos is not None:
            doc.update(line=pos[0], column=pos[1], span=list(self.span))
        if self.hint:
            doc["hint"] = self.hint
        doc.update(self.details)
        return {"error": doc}


class ProgramSyntaxError(CgradError):
    kind = "syntax"


class ProgramNameError(CgradError):
    kind = "name"


class InputError(CgradError):
    kind = "input"


class ShapeError(CgradError):
    """Tensors whose shapes an op cannot combine: found from the inputs' shapes, before any arithmetic."""

    kind = "shape"


class MathDomainError(CgradError):
    kind = "math"
    exit_code = EXIT_MATH


class TooLargeError(CgradError):
    """Work past a size budget (refused before it is done), or memory run out: a valid input, too big
    for this run; a larger budget (or machine) may do it, so a script can tell it from a mistake."""

    kind = "too large"
    exit_code = EXIT_TOO_LARGE


class OutputError(CgradError):
    """stdout or an output file cannot be written: a closed descriptor, a full disk."""

    kind = "output"
    exit_code = EXIT_OUTPUT


def line_col(source: str, offset: int) -> tuple[int, int]:
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


def excerpt(source: str, span: tuple[int, int], width: int = 78) -> list[str]:
    """The source line holding span[0], with carets under the span (clipped to that line), indented by two:
    `width` characters of it at most, around the span, so the pair fits 80 columns."""
    start, end = span
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", start)
    if line_end < 0:
        line_end = len(source)
    text = source[line_start:line_end].rstrip("\r")
    col = start - line_start
    # Keep very long lines readable: show a window around the column.
    shift = max(0, col - width // 2)
    if shift:
        text, col = "…" + text[shift + 1:], col - shift
    text = text[:width]
    marks = max(1, min(end, line_end) - start)
    marks = min(marks, max(1, len(text) - col))
    return ["  " + text.expandtabs(1), "  " + " " * col + "^" * marks]


def listed(names, most: int = 8, quote: bool = False) -> str:
    """Names joined by commas for a message: the first `most` of a long list and how many more, so a
    program with 50 000 missing inputs gets one line, not 400 kB of them."""
    names = [f"'{n}'" if quote else n for n in names]
    if len(names) <= most + 2:  # "(1 more)" would take the room of the name itself
        return ", ".join(names)
    more = f"{len(names) - most:,}".replace(",", " ")  # 49 992, as budget.figure writes a count
    return ", ".join(names[:most]) + f", … ({more} more)"


def as_options(names, most: int = 4) -> str:
    """`--a VALUE --b VALUE` for a hint, the first `most` names and then `...`."""
    return " ".join(f"--{n} VALUE" for n in names[:most]) + (" ..." if len(names) > most else "")


def suggest(name: str, candidates) -> str | None:
    """A did-you-mean hint, or None."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """`text` on stdout (or stderr), then flushed, as click.echo writes it: ANSI escapes removed when the
    stream is not a terminal (a program's text may hold them); needs no click, for the one-shot path."""
    import sys

    stream = sys.stderr if err else sys.stdout
    if nl:
        text += "\n"
    if "\x1b" in text and not _isatty(stream):
        import re

        text = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", text)
    stream.write(text)
    stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except Exception:  # click's own test: a stream that cannot say is no terminal
        return False
