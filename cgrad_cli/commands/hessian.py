"""`cgrad hessian`: the matrix of second derivatives at a point."""
from __future__ import annotations

import sys

from . import spec
from .common import console, load, names, output_option, program_command


@program_command("hessian")
@spec.option("--wrt", metavar="X,Y", help="Only these inputs (default: every input).")
@output_option
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: cgrad_cli/schemas/).")
def command(words, file, sets, inputs_file, const, wrt, output, as_json):
    """Print the Hessian of PROGRAM's output (the matrix of second
    derivatives) at the point given by its inputs.

    \b
    Examples:
      cgrad hessian "f = x^2*y + y^3" --x 1 --y 2
      cgrad hessian "f = x.T @ A @ x" --A '[[1, 2], [3, 4]]' --x '[1, -1]' --wrt x
    """
    from ..symbolic.derive import hessian

    graph, point = load(words, file, sets, inputs_file, const)
    h = hessian(graph, point, names(wrt), output)
    if as_json:
        from ..render.hessian import document
        from ..render.json import dumps

        sys.stdout.write(dumps(document(h, graph)) + "\n")
    else:
        from ..render.hessian import table

        console().print(table(h))
