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

from .errors import EXIT_INTERNAL, EXIT_TOO_LARGE, EXIT_USAGE, CgradError, OutputError, TooLargeError, echo
from .commands.common import EXIT_CODES

# Each command lives in its own module, imported only when it runs.  `cgrad --help` lists the commands from
# this table, in the order a course meets them (eval first, then the chain rule, the picture and the two
# modes; Jacobians and formulas; checking a gradient, grading answers and making sheets; the grammar last),
# each with its summary: the first sentence of its help (tests/commands/test_cli.py keeps the two equal), so
# that listing the commands imports none of them.
_TABLE = {
    "eval": ("cgrad_cli.commands.eval",
             "Evaluate PROGRAM forward, differentiate it in reverse mode, and show every node's value, local "
             "derivatives and gradient."),
    "explain": ("cgrad_cli.commands.explain",
                "Write out the chain rule as the lecture does: for each input, every path from the output down "
                "to it, the product of the local derivatives along each path, and the sum over the paths -- in "
                "symbols and in numbers."),
    "graph": ("cgrad_cli.commands.graph",
              "Draw PROGRAM's computational graph like a lecture figure: every node with its op, value and "
              "gradient ∂output/∂node, every edge (argument -> the node using it) with its local derivative "
              "∂node/∂argument."),
    "trace": ("cgrad_cli.commands.trace",
              "Show the two modes of automatic differentiation side by side over PROGRAM's tape (its nodes in "
              "evaluation order, the Wengert list)."),
    "jacobian": ("cgrad_cli.commands.jacobian",
                 "Print the Jacobian of PROGRAM's output with respect to each input: ∂y[i]/∂z[j] for every "
                 "element, by reverse mode (one backward sweep per element of the output, each giving one row)."),
    "diff": ("cgrad_cli.commands.diff", "Print the derivative of PROGRAM's output as a formula in its inputs."),
    "hessian": ("cgrad_cli.commands.hessian",
                "Print the Hessian of PROGRAM's output (the matrix of second derivatives) at the point given by "
                "its inputs."),
    "gradcheck": ("cgrad_cli.commands.gradcheck",
                  "Check PROGRAM's reverse-mode gradient against central finite differences, for every element "
                  "of every input."),
    "check": ("cgrad_cli.commands.check",
              "Check expected values and derivatives of PROGRAM against cgrad's, at the point given by --NAME "
              "VALUE (a number, or a JSON array)."),
    "template": ("cgrad_cli.commands.template",
                 "Print the answer file (TOML) a student fills in for ASSIGNMENT.toml: one table per problem, "
                 "each quantity asked with an empty answer, and as comments the problem's program, its inputs "
                 "and the precision asked."),
    "sheet": ("cgrad_cli.commands.sheet",
              "Print the problem sheet STUDENT receives for ASSIGNMENT.toml: each problem's program, the "
              "student's own inputs (drawn from the ranges and choices the assignment declares, the same every "
              "run, as grading draws them), what to compute and the precision asked."),
    "grammar": ("cgrad_cli.commands.grammar",
                "Print the language's grammar (grammars/cgrad.lark, the reference)."),
}
COMMANDS = {name: module for name, (module, _) in _TABLE.items()}
SUMMARIES = {name: summary for name, (_, summary) in _TABLE.items()}
LEARNING_ORDER = list(_TABLE)


def command_spec(name: str):
    """The Spec of command `name`, importing its module only."""
    from importlib import import_module

    return import_module(COMMANDS[name]).command


def read(args: list):
    """(spec, keyword arguments) of a common invocation, read without click; None for anything else (no
    command, an unknown one, help, a mistake, shell completion ...), which click then reads."""
    if not args or args[0] not in COMMANDS or "_CGRAD_COMPLETE" in os.environ:
        return None
    spec = command_spec(args[0])
    kwargs = spec.read(args[1:])
    return None if kwargs is None else (spec, kwargs)


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
    from .render.width import diagnostic

    echo(diagnostic(message), err=True)
    if "--json" in args:
        from .render.json import dumps

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


class _ClosedStdout(io.RawIOBase):
    """What stdout is when the shell closed it (`cgrad ... >&-`): a write fails as a closed descriptor does."""

    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.EBADF, "stdout is closed")


@functools.cache
def group():
    """The click group: every command built from its Spec when it is first asked for."""
    import click

    @functools.cache
    def built(name):
        from .commands.click_commands import build

        return build(command_spec(name))

    class _Cgrad(click.Group):
        """Loads commands lazily and turns every error into one message and an exit code."""

        def list_commands(self, ctx):
            return LEARNING_ORDER

        def format_commands(self, ctx, formatter):
            """The commands in the order a course meets them, each with its whole first sentence (click cuts
            summaries at 45 characters), wrapped under its name; from the table, importing no command."""
            with formatter.section("Commands, in the order a course meets them"):
                formatter.write_dl(list(SUMMARIES.items()), col_max=12)

        def resolve_command(self, ctx, args):
            """An unknown command is said in cgrad's words, with the command it was probably meant to be."""
            if args and not args[0].startswith("-") and args[0] not in COMMANDS:
                from .errors import suggest

                close = suggest(args[0], COMMANDS)
                raise CgradError(f"unknown command '{args[0]}'",
                                 hint=(close.replace("'", "") + " " if close else "") +
                                      "cgrad --help lists the commands")
            return super().resolve_command(ctx, args)

        def get_command(self, ctx, name):
            return built(name) if name in COMMANDS else None

        def parse_args(self, ctx, args):
            ctx.meta["cgrad.args"] = list(args)  # --json and --debug change how errors are reported
            return super().parse_args(ctx, args)

        def invoke(self, ctx):
            args = ctx.meta.get("cgrad.args", [])
            try:
                return run(functools.partial(super().invoke, ctx), args,
                           own=(click.exceptions.Exit, click.exceptions.Abort, click.ClickException))
            except click.UsageError as e:
                if "--json" not in args:
                    raise
                message = e.format_message()
                report(args, message, {"error": {"kind": "usage", "message": message, "exit_code": EXIT_USAGE}},
                       EXIT_USAGE, e)

    @click.group(cls=_Cgrad, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="cgrad", prog_name="cgrad")
    @click.pass_context
    def cli(ctx):
        """Differentiate a small program of expressions: values, local derivatives
        and gradients along every path of its computational graph.

        \b
        Example (the lecture's graph):
          cgrad eval "e=(a+b)*(b+1)" --a 2 --b 1
          cgrad eval "e=(a+b)*(b+1)" --a 2 --b 1 --json | jq .gradients
        """

    return cli


def __getattr__(name):
    if name == "cli":  # `from cgrad_cli.cli import cli`: the click group, built on first use
        return group()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main():
    if sys.stdout is None:  # started with stdout closed: writing to it is an output error (exit 74)
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_ClosedStdout()), encoding="utf-8")
    try:
        group()(prog_name="cgrad")
    except MemoryError:  # out of memory even to say so: the one line that needs no memory, exit 4
        os.write(2, b"error: too large: out of memory\n")
        os._exit(EXIT_TOO_LARGE)


if __name__ == "__main__":
    main()
