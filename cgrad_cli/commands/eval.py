"""`cgrad eval`: values, local derivatives and gradients, as a tree or as JSON."""
from __future__ import annotations

import sys

import click

from .common import console, load, names, output_option, program_command


@program_command("eval")
@click.option("--wrt", metavar="A,B", help="Report gradients with respect to these names only.")
@output_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: cgrad_cli/schemas/).")
@click.option("--depth", default=12, show_default=True, metavar="N", type=click.IntRange(1),
              help="Draw the tree this many levels deep.")
def command(words, file, sets, inputs_file, wrt, output, as_json, depth, debug):
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
    from ..autodiff import evaluate

    graph, inputs = load(words, file, sets, inputs_file)
    wrt_names = names(wrt)
    ev = evaluate(graph, inputs, output=output, wrt=wrt_names)
    for _, message in ev.warnings:
        click.echo("warning: " + message, err=True)
    if as_json:
        from ..render_json import document, dumps

        sys.stdout.write(dumps(document(ev, wrt_names)) + "\n")
        return
    from ..render_tree import render

    console().print(render(ev, wrt_names, depth))
