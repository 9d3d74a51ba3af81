"""`cgrad`: a thin layer over the library (parse -> evaluate -> render), defined by click.

Every user error ends as one message on stderr (and a JSON object there with
--json) and a documented exit code; only --debug shows a traceback.  Each
command declares its options once, as data (commands/spec.py); a common
invocation is read from that declaration and run without importing click,
and anything else (help, a mistake, completion) goes to the click group built
from the same declarations.  Rich is imported only when a tree is drawn, so
`--json` stays a fast one-shot.
"""
from __future__ import annotations

import errno
import functools
import io
import os
import sys

from .commands import COMMANDS, LEARNING_ORDER, SUMMARIES, spec_of  # noqa: F401 (the table, for cli's callers)
from .errors import EXIT_TOO_LARGE


def read(args: list):
    """(spec, keyword arguments) of a common invocation, read without click; None for anything else (no
    command, an unknown one, help, a mistake, shell completion ...), which click then reads."""
    if not args or args[0] not in COMMANDS or "_CGRAD_COMPLETE" in os.environ:
        return None
    spec = spec_of(args[0])
    kwargs = spec.read(args[1:])
    return None if kwargs is None else (spec, kwargs)


def stored_help(args: list) -> str | None:
    """The text of `cgrad --help` or `cgrad COMMAND --help` (or -h) as click renders it at 80 columns or more
    (commands/_help.py, generated), on such a terminal or in a pipe; None for anything else (a narrower
    terminal or COLUMNS, help asked another way), which click renders."""
    from .commands.spec import HELP

    if not (len(args) == 1 or len(args) == 2 and args[0] in COMMANDS) or args[-1] not in HELP \
            or "_CGRAD_COMPLETE" in os.environ:
        return None
    from .commands._help import COLUMNS, TEXT

    return TEXT[args[0] if len(args) == 2 else ""] if terminal_columns() >= COLUMNS else None


def terminal_columns() -> int:
    """The columns click wraps help to fit, as shutil.get_terminal_size() says them (COLUMNS, else stdout's
    terminal, else 80), without importing shutil (which imports bz2 and lzma)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


class _ClosedStdout(io.RawIOBase):
    """What stdout is when the shell closed it (`cgrad ... >&-`): a write fails as a closed descriptor does."""

    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.EBADF, "stdout is closed")


def __getattr__(name):
    if name == "cli":  # `from cgrad_cli.cli import cli`: the click group, built on first use
        from .commands.click_commands import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main():
    if sys.stdout is None:  # started with stdout closed: writing to it is an output error (exit 74)
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_ClosedStdout()), encoding="utf-8")
    try:
        args = sys.argv[1:]
        text = stored_help(args)
        found = read(args) if text is None else None
        if text is not None:
            from .commands.report import run
            from .errors import echo

            run(functools.partial(echo, text, nl=False), args)
        elif found is not None:
            from .commands.report import run

            spec, kwargs = found
            run(functools.partial(spec.invoke, **kwargs), args)
        else:
            from .commands.click_commands import cli

            cli(prog_name="cgrad")
    except MemoryError:  # out of memory even to say so: the one line that needs no memory, exit 4
        os.write(2, b"error: too large: out of memory\n")
        os._exit(EXIT_TOO_LARGE)


if __name__ == "__main__":
    main()
