"""The click.Command of a command's Spec: built only when click is needed (help, errors, completion, and
everything `Spec.read` declines), from the one declaration in the command's module."""
from __future__ import annotations

import functools

import click

from ..errors import EXIT_USAGE, CgradError
from . import COMMANDS, LEARNING_ORDER, SUMMARIES, spec_of, spec as specs
from .common import EXIT_CODES
from .report import report, run


class ProgramCommand(click.Command):
    """A command whose program or input values may start with '-': `cgrad eval "-x^2" --x -1`.

    Click would read `-sinh(x)` as the options -s -i -n -h; words that start
    with '-' and are not the command's own options are marked (Spec.mark) so
    that they reach `split_words` unchanged.  An input's `--a` is marked too:
    click would pass it on just the same, but only after failing to find it as
    an option, which costs a suggestion search (difflib) on every run.
    """

    spec: specs.Spec

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, self.spec.mark(args, ctx.help_option_names))


def click_type(kind):
    """The click type of a Spec's type description."""
    if kind is None:
        return None
    if kind is specs.UNPROCESSED:
        return click.UNPROCESSED
    if isinstance(kind, specs.Choice):
        return click.Choice(kind.choices)
    if isinstance(kind, specs.Int):
        return int
    ranges = {specs.IntRange: click.IntRange, specs.FloatRange: click.FloatRange}
    return ranges[type(kind)](kind.min, kind.max, min_open=kind.min_open, max_open=kind.max_open)


def click_param(param: specs.Param) -> click.Parameter:
    attrs = dict(param.attrs)
    if "type" in attrs:
        attrs["type"] = click_type(param.type)
    return (click.Option if param.kind == "option" else click.Argument)(list(param.decls), **attrs)


def build(spec: specs.Spec) -> click.Command:
    """The click.Command of `spec`: its parameters in the Spec's order, its help, and a callback that runs
    the Spec's (`Spec.invoke`)."""
    def callback(**kwargs):
        return spec.invoke(**kwargs)

    callback.__doc__ = spec.help
    command = click.command(spec.name, cls=ProgramCommand if spec.program else click.Command,
                            params=[click_param(p) for p in spec.params], **spec.attrs)(callback)
    command.spec = spec
    return command


@functools.cache
def _built(name: str) -> click.Command:
    return build(spec_of(name))


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
            from ..errors import suggest

            close = suggest(args[0], COMMANDS)
            raise CgradError(f"unknown command '{args[0]}'",
                             hint=(close.replace("'", "") + " " if close else "") +
                                  "cgrad --help lists the commands")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx, name):
        return _built(name) if name in COMMANDS else None

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

