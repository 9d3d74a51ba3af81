"""How a command's run ends: every error it raises as one message on stderr (and a JSON object there with
--json) and a documented exit code; only --debug shows a traceback.  The one funnel of both readers of the
command line (Spec.read's and click's)."""
from __future__ import annotations

import errno
import os
import sys

from ..errors import EXIT_INTERNAL, CgradError, OutputError, TooLargeError, echo


def run(work, args: list, own: tuple = ()):
    """`work()` with every error it raises turned into one message (and a JSON object with --json) and an exit
    code, as SystemExit; `args` are the command line's (--json and --debug change how errors are reported).
    Exceptions of the types `own` are the caller's to handle.  The one error funnel of both readers."""
    if hasattr(sys.stdout, "reconfigure"):
        # Text from argv can hold lone surrogates (bytes that were not UTF-8), a student's JSON too: they
        # are written as \udcff escapes (which JSON reads back as the same string), never an encoding error.
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        try:
            return work()
        finally:
            sys.stdout.flush()  # a full disk shows here, as an error, and not in Python's exit
    except own:
        raise
    except CgradError as e:
        report(args, e.render(), e.to_json(), e.exit_code, e)
    except BrokenPipeError:  # `cgrad ... | head`: the reader left; not an error
        _drop_stdout()
        raise SystemExit(0)
    except KeyboardInterrupt:
        raise SystemExit(130)
    except MemoryError as e:  # what no budget foresaw: said as such, with the size, not as a bug
        if "--debug" not in args:
            e.__traceback__ = None  # lets go of the frames, and of the half-built work they hold
        report(args, *_as_json_error(out_of_memory(e)), e)
    except Exception as e:  # a bug: say so plainly, keep the traceback for --debug
        if isinstance(e, OSError) and e.errno in OUTPUT_ERRNOS:  # stdout closed, disk full: not a bug
            _drop_stdout()
            report(args, *_as_json_error(OutputError(f"cannot write the output: {e.strerror or e}")), e)
        message = f"internal error: {type(e).__name__}: {e}\nThis is a bug in cgrad; please report it " \
                  "with the command you ran (--debug shows the traceback)."
        report(args, message, {"error": {"kind": "internal", "message": str(e), "exit_code": EXIT_INTERNAL}},
               EXIT_INTERNAL, e)


def report(args: list, message: str, doc: dict, code: int, exc: BaseException):
    """The error on stderr (its traceback first with --debug, its JSON object after with --json); exit `code`."""
    if "--debug" in args:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from ..render.width import diagnostic

    echo(diagnostic(message), err=True)
    if "--json" in args:
        from ..render.json import dumps

        echo(dumps(doc), err=True)
    raise SystemExit(code)


# Write errors of stdout: a closed descriptor, a full disk or quota, an I/O error; exit 74, never 70.
OUTPUT_ERRNOS = {errno.EBADF, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EPIPE}


def _as_json_error(e: CgradError) -> tuple:
    return e.render(), e.to_json(), e.exit_code


def out_of_memory(e: MemoryError) -> TooLargeError:
    """A MemoryError no budget foresaw, with the size it was working on (numpy's array, or the peak reached)."""
    size = getattr(e, "_total_size", None)  # numpy's _ArrayMemoryError: the array it could not allocate
    if size is not None:
        what = f"an array of shape {tuple(e.shape)} needs {size / 2 ** 30:.1f} GiB"
    else:
        import resource

        what = f"after using {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    return TooLargeError(f"too large: out of memory ({what})",
                         hint="lower --max-nodes or --max-elements to be refused before the work, or use a "
                              "machine with more memory")


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit has nothing left to fail on."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        sys.stdout = open(os.devnull, "w")
