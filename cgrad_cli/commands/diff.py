"""`cgrad diff`: the derivative as a formula in the program's inputs (and `--order N`)."""
from __future__ import annotations

import sys

from ..errors import InputError, echo
from . import spec
from .common import load, names, number, output_option, program_command


def parse_at(text: str | None) -> dict:
    """`--at a=2,b=1` -> {'a': 2.0, 'b': 1.0}."""
    point = {}
    for item in (text or "").split(","):
        if item.strip():
            name, eq, value = item.partition("=")
            if not eq:
                raise InputError(f"--at expects NAME=VALUE pairs, as in --at a=2,b=1; not {item!r}")
            point[name.strip()] = number(name.strip(), value)
    return point


@program_command("diff")
@spec.option("--wrt", metavar="X,Y", help="Differentiate with respect to these names (default: every input).")
@spec.option("--at", "at", metavar="A=2,B=1", help="Also evaluate the derivative at this point.")
@spec.option("--order", default=1, show_default=True, type=spec.IntRange(1, 8), metavar="N",
              help="Differentiate this many times.")
@spec.option("--keep", is_flag=True, help="Keep named intermediates (c = a+b) as names instead of writing them out.")
@output_option
@spec.option("--latex", is_flag=True, help="Print LaTeX.")
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON object: each derivative's text, LaTeX and value.")
def command(words, file, sets, inputs_file, const, wrt, at, order, keep, output, latex, as_json):
    """Print the derivative of PROGRAM's output as a formula in its inputs.

    The reverse-mode sweep runs over the program's graph and builds the
    derivative's graph (source to source), simplified as it goes: no 1*,
    no + 0, like terms collected.  Give a point (--at a=2 or --a 2) to
    evaluate it there too.  On a tensor program (give every input's value)
    the answer is in matrix form, shaped like the input: ∂tr(A@X)/∂X = A.T.

    \b
    Examples:
      cgrad diff "y = x^2*sin(x)" --wrt x
      cgrad diff "e=(a+b)*(b+1)" --at a=2,b=1
      cgrad diff "c=a+b; d=b+1; e=c*d" --keep --wrt b
      cgrad diff "y = x^3" --order 2 --latex
      cgrad diff "f = logdet(X)" --X '[[2, 1], [1, 3]]'
      cgrad diff "f = x.T @ A @ x" --A '[[1,2],[3,4]]' --x '[1,-1]' --order 2
    """
    from ..symbolic.derive import differentiate

    graph, point = load(words, file, sets, inputs_file, const)
    point.update(parse_at(at))
    d = differentiate(graph, names(wrt), order, keep, output, point)
    for name, why in d.left_out.items():
        echo(f"note: left out {name}: {why}", err=True)
    if as_json:
        from ..render.diff import document
        from ..render.json import dumps

        sys.stdout.write(dumps(document(d, graph)) + "\n")
    else:
        from ..render.diff import lines

        echo("\n".join(lines(d, graph.named, latex)))
