"""`cgrad`: a thin click layer over the library (parse -> evaluate -> render).

Every user error ends as one message on stderr (and a JSON object there with
--json) and a documented exit code; only --debug shows a traceback.  Rich is
imported only when a tree is drawn, so `--json` stays a fast one-shot.
"""
from __future__ import annotations

import os
import sys

import click

from .errors import EXIT_INTERNAL, EXIT_USAGE, CgradError, InputError

EXIT_CODES = """\b
Exit codes:
  0  success
  2  usage, syntax, name or input error
  3  math domain error: log(-1), sqrt(-4), 1/0, 0^-1, asin(2), overflow
  70 internal error (a bug in cgrad: please report it)"""

LECTURE = 'e=(a+b)*(b+1)'


class _Cgrad(click.Group):
    """Turns every error into one message and an exit code."""

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
        from .render_json import dumps

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


def _read_program(program: str | None, file: str | None) -> str:
    if program is not None and file is not None:
        raise InputError("give the program either as an argument or with -f FILE, not both")
    if file is not None:
        program = file if file == "-" else None
        if program is None:
            try:
                with open(file, encoding="utf-8") as f:
                    return f.read()
            except OSError as e:
                raise InputError(f"cannot read program file {file}: {e.strerror}")
            except UnicodeDecodeError:
                raise InputError(f"program file {file} is not UTF-8 text")
    if program is None:
        raise InputError("no program given", hint=f'cgrad eval "{LECTURE}" --a 2 --b 1   (or -f FILE, or - for stdin)')
    if program == "-":
        return sys.stdin.read()
    return program


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"the value of input '{name}' must be a number, not {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"the value of input '{name}' must be a finite number, not {text!r}")
    return value


def _split_words(words) -> tuple[str | None, dict]:
    """`PROGRAM --a 2 --b=1` -> (program, {'a': 2.0, 'b': 1.0}).  A value may be negative: --a -1."""
    program, inputs = None, {}
    it = (w.removeprefix(_KEEP) for w in words)
    for word in it:
        if word.startswith("--") and len(word) > 2:
            name, eq, text = word[2:].partition("=")
            if not eq:
                text = next(it, None)
                if text is None:
                    raise InputError(f"--{name} needs a value", hint=f"--{name} 2")
            inputs[name] = _number(name, text)
        elif program is None:
            program = word
        elif word.startswith("-") and word != "-":
            raise InputError(f"unknown option {word}",
                             hint=f"inputs take two dashes: --{word.lstrip('-')} VALUE; see cgrad eval --help")
        else:
            raise InputError(f"unexpected argument {word!r}: the program is already {program!r}",
                             hint="quote the program, and give inputs as --NAME VALUE; an input whose name "
                                  "is one of cgrad's options is given as --set NAME=VALUE")
    return program, inputs


def _read_inputs_file(path: str) -> dict:
    import json

    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as e:
        raise InputError(f"cannot read inputs file {path}: {e.strerror}")
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InputError(f"inputs file {path} is not valid JSON: {e}")
    if not isinstance(data, dict):
        raise InputError(f"inputs file {path} must hold a JSON object such as {{\"a\": 2, \"b\": 1}}")
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"inputs file {path}: the value of '{name}' must be a number, not {value!r}")
        data[name] = _number(name, repr(value))
    return data


_KEEP = "\0"  # marks a word click must not read as options; argv can never contain NUL


class _EvalCommand(click.Command):
    """`cgrad eval "-x^2"`: a program or value may start with '-'.

    Click would read `-sinh(x)` as the options -s -i -n -h; words that start
    with a single '-' and are not cgrad's own short options are marked so that
    they reach `_split_words` unchanged.
    """

    def parse_args(self, ctx, args):
        own = {name for param in self.params for name in getattr(param, "opts", ()) if not name.startswith("--")}
        own.update(ctx.help_option_names)
        args = [_KEEP + a if a.startswith("-") and not a.startswith("--") and a != "-" and a not in own else a
                for a in args]
        return super().parse_args(ctx, args)


@cli.command("eval", cls=_EvalCommand, context_settings={"ignore_unknown_options": True, "allow_interspersed_args": True},
             epilog=EXIT_CODES)
@click.argument("words", nargs=-1, type=click.UNPROCESSED, metavar="PROGRAM [--NAME VALUE]...")
@click.option("-f", "--file", "file", metavar="FILE", help="Read the program from FILE (- for stdin).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="An input value, for names that clash with cgrad's options (--set json=1).")
@click.option("--inputs", "inputs_file", metavar="FILE",
              help='Input values from a JSON object, e.g. {"a": 2, "b": 1} (- for stdin).')
@click.option("--wrt", metavar="A,B", help="Report gradients with respect to these names only.")
@click.option("--output", "output", metavar="NAME", help="Differentiate this name instead of the last statement.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: cgrad_cli/schemas/).")
@click.option("--depth", default=12, show_default=True, metavar="N", type=click.IntRange(1),
              help="Draw the tree this many levels deep.")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error.")
def eval_command(words, file, sets, inputs_file, wrt, output, as_json, depth, debug):
    """Evaluate PROGRAM forward, differentiate it in reverse mode, and show
    every node's value, local derivatives and gradient.

    PROGRAM is statements separated by ; or new lines (# starts a comment);
    the last one is the output.  Names used but never assigned are inputs:
    give each as --NAME VALUE.  Use - to read the program from stdin.

    \b
    Examples:
      cgrad eval "e=(a+b)*(b+1)" --a 2 --b 1
      cgrad eval "c=a+b; d=b+1; e=c*d" --a 2 --b 1 --wrt b
      cgrad eval -f examples/lecture.cg --inputs inputs.json --json | jq .gradients
      cgrad eval "y = x*exp(x^2)" --set x=0.5 --json
    """
    from .autodiff import evaluate
    from .parsing import parse

    program, inputs = _split_words(words)
    for item in sets:
        name, eq, text = item.partition("=")
        if not eq or not name:
            raise InputError(f"--set expects NAME=VALUE, not {item!r}")
        inputs[name.strip()] = _number(name.strip(), text)
    if inputs_file is not None:
        if inputs_file == "-" and (program == "-" or file == "-"):
            raise InputError("the program and the inputs cannot both come from stdin")
        inputs = {**_read_inputs_file(inputs_file), **inputs}
    graph = parse(_read_program(program, file))
    wrt_names = [w.strip() for w in wrt.split(",") if w.strip()] if wrt else None
    ev = evaluate(graph, inputs, output=output, wrt=wrt_names)
    for _, message in ev.warnings:
        click.echo("warning: " + message, err=True)
    if as_json:
        from .render_json import document, dumps

        sys.stdout.write(dumps(document(ev, wrt_names)) + "\n")
        return
    from rich.console import Console

    from .render_tree import render

    console = Console(highlight=False)
    if not console.is_terminal:  # piped: whole lines, never cut at 80 columns
        console = Console(highlight=False, width=100_000)
    console.print(render(ev, wrt_names, depth))


@cli.command("grammar")
def grammar_command():
    """Print the language's grammar (grammars/cgrad.lark, the reference).

    \b
    Example:
      cgrad grammar | less
    """
    from importlib.resources import files

    click.echo(files("cgrad_cli.grammars").joinpath("cgrad.lark").read_text(encoding="utf-8"), nl=False)


def main():
    cli(prog_name="cgrad")


if __name__ == "__main__":
    main()
