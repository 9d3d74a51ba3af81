"""`cgrad grammar`: print the language reference."""
from ..errors import echo
from . import spec


@spec.command("grammar")
def command():
    """Print the language's grammar (grammars/cgrad.lark, the reference).

    \b
    Example:
      cgrad grammar | less
    """
    from importlib.resources import files

    echo(files("cgrad_cli.grammars").joinpath("cgrad.lark").read_text(encoding="utf-8"), nl=False)
