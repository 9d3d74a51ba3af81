"""`cgrad eval`: values, local derivatives and gradients, as a tree or as JSON."""
from __future__ import annotations

from ..errors import InputError
from . import spec
from .common import console, load, names, output_option, program_command, say, warn


@program_command("eval", failed="some --batch line failed (it got an error object on its line)")
@spec.option("--wrt", metavar="A,B", help="Report gradients with respect to these names only.")
@output_option
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: cgrad_cli/schemas/).")
@spec.option("--depth", default=12, show_default=True, metavar="N", type=spec.IntRange(1),
              help="Draw the tree this many levels deep.")
@spec.option("--batch", "batch", metavar="FILE",
              help="Evaluate at every point in FILE: NDJSON objects, or CSV under a header row (- for stdin). "
                   "Prints one JSON line per point as it goes (schema: cgrad_cli/schemas/).")
@spec.option("--batch-format", type=spec.Choice(["ndjson", "csv"]),
              help="The --batch FILE's format [default: by extension (.csv), else by its first character].")
def command(words, file, sets, inputs_file, const, wrt, output, as_json, depth, batch, batch_format):
    """Evaluate PROGRAM forward, differentiate it in reverse mode, and show
    every node's value, local derivatives and gradient.

    PROGRAM is statements separated by ; or new lines (# starts a comment);
    the last one is the output.  Names used but never assigned are inputs:
    give each as --NAME VALUE, an array as JSON (--W '[[1, 2], [3, 4]]').
    Use - to read the program from stdin.

    \b
    Examples:
      cgrad eval "e=(a+b)*(b+1)" --a 2 --b 1
      cgrad eval "c=a+b; d=b+1; e=c*d" --a 2 --b 1 --wrt b
      cgrad eval -f examples/lecture.cg --inputs inputs.json --json \\
          | jq .gradients
      cgrad eval "y = x*exp(x^2)" --set x=0.5 --json
      cgrad eval "y = softmax(W @ x); C = -log(y[r])" \\
          --W '[[1,2],[3,4]]' --x '[1,-1]' --r 0
      cgrad eval "cell(h, x) = tanh(w*h + x); h1 = cell(h0, x1); \\
          h2 = cell(h1, x2)" --w 0.5 --h0 1 --x1 0.2 --x2 -0.1
      cgrad eval "e=(a+b)*(b+1)" --batch points.jsonl > results.jsonl
      cgrad eval "e=(a+b)*(b+1)" --b 1 --batch points.csv | jq -c .gradients
      cgrad eval -f unrolled.cg --inputs weights.json --max-nodes 50000000

    With --batch, values given on the command line are constants of every
    point (a line may not give them again); exit 1 if some line failed.
    A program past a size budget (--max-nodes, --max-elements, --max-formula)
    is refused before the work, with exit 4.
    """
    from ..core.autodiff import evaluate

    if batch is not None:
        from ..render.batch import run

        if batch == "-" and (file == "-" or inputs_file == "-" or "-" in words):
            raise InputError("--batch -: the points and the program (or --inputs) cannot both come from stdin")
        graph, inputs = load(words, file, sets, inputs_file, const)
        code = run(graph, inputs, batch, batch_format, output=output, wrt=names(wrt))
        if code:
            raise SystemExit(code)
        return
    graph, inputs = load(words, file, sets, inputs_file, const)
    wrt_names = names(wrt)
    ev = evaluate(graph, inputs, output=output, wrt=wrt_names)
    warn(ev.warnings)
    if as_json:
        from ..core.sums import groups
        from ..render.json import document, write

        write(document(ev, wrt_names, groups(ev)))
        return
    from ..core.sums import grouped
    from ..render.tree import render

    console().print(render(grouped(ev), wrt_names, depth))  # a sum in one expression: one node
    if not ev.differentiated:  # a vector output: values only, and what to do for derivatives
        from ..render.json import non_scalar_note

        say("note: " + non_scalar_note(ev))
