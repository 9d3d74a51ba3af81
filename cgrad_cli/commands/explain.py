"""`cgrad explain`: the chain rule written out, path by path, as text, Markdown, LaTeX or JSON."""
from __future__ import annotations

import sys

from ..errors import CgradError
from . import spec
from .common import console, load, names, output_option, program_command, warn


@program_command("explain")
@spec.option("--wrt", metavar="A,B", help="Explain the derivatives with respect to these names only "
                                          "(inputs or assigned names; default: every input).")
@output_option
@spec.option("--max-terms", default=64, show_default=True, metavar="N", type=spec.IntRange(0),
              help="Write out at most N paths per derivative; with more, show the factored (reverse-mode) form.")
@spec.option("--show-elements", "show_elements", default=36, show_default=True, metavar="N",
              type=spec.IntRange(0),
              help="Tensor programs: print a Jacobian or a vector in full up to N elements; a bigger one by its "
                   "shape and structure alone (it is never built).  (--max-elements is the size budget.)")
@spec.option("--markdown", "as_markdown", is_flag=True,
              help="Print Markdown (formulas in code spans, paths in a table).")
@spec.option("--latex", "as_latex", is_flag=True, help="Print a LaTeX align* environment (needs amsmath).")
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def command(words, file, sets, inputs_file, const, wrt, output, max_terms, show_elements, as_markdown, as_latex, as_json):
    """Write out the chain rule as the lecture does: for each input, every
    path from the output down to it, the product of the local derivatives
    along each path, and the sum over the paths -- in symbols and in numbers.

    A name used twice (x*x) gives one term per use.  An unnamed intermediate
    is called by its source text, ∂y/∂(x^2); one longer than 24 characters,
    or written the same as another, is named v1, v2, ... and defined under
    "where".  With more than --max-terms paths (a chain of shared nodes
    doubles them at every step) the paths are counted, not listed, and the
    sum is shown factored, node by node as reverse mode accumulates it.

    On a tensor program each path is a chain of Jacobians in backprop order
    (∂C/∂y · ∂y/∂z2 · ∂z2/∂a1 ...), every factor with its shape
    (output.shape + input.shape) and structure (diagonal, full, the matrix
    itself, a 3-D tensor, a selection), small ones in full; then the vector
    g = ∂C/∂node after each vector-Jacobian product, down to the gradient.
    A weight used by several calls gets one term per call, then their sum.

    \b
    Examples:
      cgrad explain "c = a+b; d = b+1; e = c*d" --a 2 --b 1
        ∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5
      cgrad explain "y = x*exp(x^2)" --x 0.5 --latex
      cgrad explain -f examples/rnn_shared.cg --w 0.5 --h0 1 --x1 0.2 \\
          --x2 -0.1 --wrt w --markdown
      cgrad explain "x1 = x0+x0; x2 = x1+x1; x3 = x2+x2" --x0 1 --max-terms 4
      cgrad explain "z = W @ x; y = softmax(z); C = -log(y[r])" \\
          --W '[[1,2,3],[0,1,0]]' --x '[1,0,2]' --r 1 --wrt W
      cgrad explain -f examples/rnn.cg --inputs examples/rnn.inputs.json --wrt Wh
    """
    if as_markdown + as_latex + as_json > 1:
        raise CgradError("give at most one of --markdown, --latex and --json")
    from ..core.autodiff import evaluate, uses_tensors

    graph, inputs = load(words, file, sets, inputs_file, const)
    wrt_names = names(wrt)
    ev = evaluate(graph, inputs, output=output, wrt=wrt_names)
    warn(ev.warnings)
    if uses_tensors(graph, inputs):
        from ..render import tensor_explain as render
        from ..symbolic.tensor_explain import explain_tensors

        if not ev.differentiated:
            from ..errors import InputError
            from ..render.json import non_scalar_note

            raise InputError("cgrad explain follows the gradient of a scalar output; " + non_scalar_note(ev))
        ex = explain_tensors(ev, wrt_names, show_elements, max_terms)
    else:
        from ..render import explain as render
        from ..core.sums import grouped
        from ..symbolic.explain import explain

        ex = explain(grouped(ev), wrt_names, max_terms)  # a sum in one expression: one node, one factor 1

    if as_json:
        from ..render.json import write

        write(render.document(ex))
    elif as_markdown:
        sys.stdout.write(render.markdown(ex))
    elif as_latex:
        sys.stdout.write(render.latex(ex))
    else:
        from ..render import explain as text

        lines, out = render.lines(ex), console()
        if out.is_terminal and text.size(lines) <= text.RICH_LIMIT:
            out.print(text.rich(ex, lines))
        else:  # piped (or too long to style): plain lines, whatever their length
            sys.stdout.write(text.plain(ex, lines))
