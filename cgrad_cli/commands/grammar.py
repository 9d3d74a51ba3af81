"""`cgrad grammar`: print the language reference."""
import click


@click.command("grammar")
def command():
    """Print the language's grammar (grammars/cgrad.lark, the reference).

    \b
    Example:
      cgrad grammar | less
    """
    from importlib.resources import files

    click.echo(files("cgrad_cli.grammars").joinpath("cgrad.lark").read_text(encoding="utf-8"), nl=False)
