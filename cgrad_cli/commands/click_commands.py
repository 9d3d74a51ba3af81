"""The click.Command of a command's Spec: built only when click is needed (help, errors, completion, and
everything `Spec.read` declines), from the one declaration in the command's module."""
from __future__ import annotations

import click

from . import spec as specs


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
