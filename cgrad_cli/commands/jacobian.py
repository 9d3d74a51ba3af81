"""`cgrad jacobian`: the full Jacobian of a tensor output, one reverse sweep per output element."""
from __future__ import annotations

from . import spec
from .common import console, load, names, output_option, program_command, warn


@program_command("jacobian")
@spec.option("--wrt", metavar="A,B", help="Jacobians with respect to these names only (default: every input).")
@output_option
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: cgrad_cli/schemas/).")
@spec.option("--show-elements", "show_elements", default=400, show_default=True, metavar="N",
              type=spec.IntRange(0), help="Print a Jacobian (and the output's value) in full up to N elements, a "
                                           "bigger one by shape and range; --json gives every element.")
def command(words, file, sets, inputs_file, const, wrt, output, as_json, show_elements):
    """Print the Jacobian of PROGRAM's output with respect to each input:
    ∂y[i]/∂z[j] for every element, by reverse mode (one backward sweep per
    element of the output, each giving one row).

    Each Jacobian has shape output.shape + input.shape, the layout torch and
    JAX use (rows: output index, columns: input index); SymPy's jacobian puts
    the input's index first.  Give arrays as JSON: --z '[1, 2, 3]'.

    \b
    Examples:
      cgrad jacobian "y = softmax(z)" --z '[1, 2, 3]' --wrt z
      cgrad jacobian "z = W @ x" --W '[[1,2,3],[4,5,6]]' --x '[1,0,-1]' --wrt W,x
      cgrad jacobian "y = sigmoid(z)" --z '[0, 1]' --json | jq .jacobians.z
      cgrad jacobian "e=(a+b)*(b+1)" --a 2 --b 1
      cgrad jacobian "y = tanh(x)" --inputs big.json --show-elements 2500
    """
    from ..core.jacobian import jacobian

    graph, inputs = load(words, file, sets, inputs_file, const)
    result = jacobian(graph, inputs, output=output, wrt=names(wrt))
    warn(result.warnings)
    if as_json:
        from ..render.jacobian import document
        from ..render.json import write

        write(document(result))
        return
    from ..render.jacobian import render

    console().print(render(result, show_elements))
