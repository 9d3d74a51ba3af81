"""`cgrad`: a thin click layer over the library (parse -> evaluate -> render).

Every user error ends as one message on stderr (and a JSON object there with
--json) and a documented exit code; only --debug shows a traceback.  Rich is
imported only when a tree is drawn, so `--json` stays a fast one-shot.
"""
from __future__ import annotations

import os
import sys

import click

from .errors import EXIT_INTERNAL, EXIT_USAGE, CgradError
from .commands.common import EXIT_CODES

# Each command lives in its own module, imported only when it runs (or --help lists it).
COMMANDS = {
    "check": "cgrad_cli.commands.check",
    "diff": "cgrad_cli.commands.diff",
    "eval": "cgrad_cli.commands.eval",
    "explain": "cgrad_cli.commands.explain",
    "gradcheck": "cgrad_cli.commands.gradcheck",
    "grammar": "cgrad_cli.commands.grammar",
    "graph": "cgrad_cli.commands.graph",
    "hessian": "cgrad_cli.commands.hessian",
    "jacobian": "cgrad_cli.commands.jacobian",
    "trace": "cgrad_cli.commands.trace",
}


class _Cgrad(click.Group):
    """Loads commands lazily and turns every error into one message and an exit code."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        from importlib import import_module

        return import_module(COMMANDS[name]).command

    def parse_args(self, ctx, args):
        ctx.meta["cgrad.args"] = list(args)  # --json and --debug change how errors are reported
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CgradError as e:
            _report(ctx, e.render(), e.to_json(), e.exit_code, e)
        except click.UsageError as e:
            if not _wants_json(ctx):
                raise
            message = e.format_message()
            _report(ctx, message, {"error": {"kind": "usage", "message": message, "exit_code": EXIT_USAGE}},
                    EXIT_USAGE, e)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # `cgrad ... | head`: the reader left; not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(0)
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130)
        except Exception as e:  # a bug: say so plainly, keep the traceback for --debug
            message = f"internal error: {type(e).__name__}: {e}\nThis is a bug in cgrad; please report it " \
                      "with the command you ran (--debug shows the traceback)."
            _report(ctx, message, {"error": {"kind": "internal", "message": str(e), "exit_code": EXIT_INTERNAL}},
                    EXIT_INTERNAL, e)


def _raw_args(ctx) -> list:
    return ctx.meta.get("cgrad.args", [])


def _wants_json(ctx) -> bool:
    return "--json" in _raw_args(ctx)


def _report(ctx, message: str, doc: dict, code: int, exc: BaseException):
    if "--debug" in _raw_args(ctx):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    click.echo(message, err=True)
    if _wants_json(ctx):
        from .render.json import dumps

        click.echo(dumps(doc), err=True)
    raise click.exceptions.Exit(code)


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


def main():
    cli(prog_name="cgrad")


if __name__ == "__main__":
    main()
