"""`cgrad trace`: forward and reverse mode side by side, as a table over the tape."""
from __future__ import annotations

import sys

from . import spec
from .common import console, load, names, output_option, program_command, warn


@program_command("trace")
@spec.option("--wrt", metavar="A,B", help="Forward-mode sweeps with respect to these names (default: every input).")
@output_option
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document with every node.")
@spec.option("--limit", default=200, show_default=True, metavar="N", type=spec.IntRange(1),
              help="Show at most N rows of the table (the first and last nodes of the tape).")
@spec.option("--show-elements", "show_elements", default=12, show_default=True, metavar="N", type=spec.IntRange(0),
              help="Tensor programs: print a value, tangent or adjoint in full up to N elements, a bigger one by "
                   "shape and range.")
def command(words, file, sets, inputs_file, const, wrt, output, as_json, limit, show_elements):
    """Show the two modes of automatic differentiation side by side over
    PROGRAM's tape (its nodes in evaluation order, the Wengert list).

    For every node: its value, its tangent ∂node/∂x for each input x (forward
    mode: one sweep up the tape per input) and its adjoint ∂out/∂node (reverse
    mode: one sweep down the tape per output).  Both use the same local
    derivative rules and give the same gradient; the footer counts the sweeps
    each mode needed.  On a tensor program a tangent ∂node/∂x is an array
    shaped node.shape + x.shape (all of x's directions in one sweep), printed
    in full up to 12 numbers, else by shape and range.

    \b
    Examples:
      cgrad trace "c = a+b; d = b+1; e = c*d" --a 2 --b 1
      cgrad trace "e=(a+b)*(b+1)" --a 2 --b 1 --wrt b
      cgrad trace "y = sin(x)*x" --x 0.5 --json | jq .gradients
      cgrad trace "C = sum(sigmoid(W @ x))" --W '[[1,2],[0,1]]' --x '[1,-1]'
    """
    from ..core.forward_mode import trace

    graph, inputs = load(words, file, sets, inputs_file, const)
    tr = trace(graph, inputs, output=output, wrt=names(wrt))
    warn(tr.evaluation.warnings)
    if as_json:
        from ..render.json import dumps
        from ..render.trace import document

        sys.stdout.write(dumps(document(tr)) + "\n")
        return
    from ..render.trace import render

    console().print(render(tr, limit, show_elements))
