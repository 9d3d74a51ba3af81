"""`cgrad gradcheck`: reverse-mode gradients against central finite differences."""
from __future__ import annotations

import sys

from ..errors import echo
from . import spec
from .common import load, names, output_option, program_command, say, warn

EXIT_MISMATCH = 1


@program_command("gradcheck", failed="an element of a gradient disagrees with its finite difference")
@spec.option("--wrt", metavar="A,B", help="Check the gradient with respect to these inputs only (default: all).")
@output_option
@spec.option("--eps", default=None, type=spec.FloatRange(0, 1, min_open=True), metavar="EPS",
              help="Relative step: h = EPS·max(1, |x|).  [default: cube root of float64 epsilon, ≈ 6.06e-6]")
@spec.option("--rtol", default=1e-5, show_default=True, type=spec.FloatRange(0), metavar="R",
              help="Relative tolerance.")
@spec.option("--atol", default=1e-8, show_default=True, type=spec.FloatRange(0), metavar="A",
              help="Absolute tolerance.")
@spec.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def command(words, file, sets, inputs_file, const, wrt, output, eps, rtol, atol, as_json):
    """Check PROGRAM's reverse-mode gradient against central finite
    differences, for every element of every input.

    For each element x of each input (a scalar is one element; an array,
    given as JSON such as --W '[[1,2],[3,4]]', one per entry) the program
    runs forward at x + h and x - h, h = EPS·max(1, |x|), and
    numeric = (f(x+h) - f(x-h)) / 2h is compared with reverse mode's ∂f/∂x.
    An element passes when |reverse - numeric| ≤ ATOL + RTOL·max(|reverse|,
    |numeric|).  The output f must be a scalar: reduce a vector first, e.g.
    sum(y).  The table shows each input's absolute and relative error; for
    an array, the largest over its elements, the worst element (W[1, 0]) and
    how many elements were checked, with the mismatched ones listed below.

    A kink inside [x - h, x + h] (relu or abs at 0, a max/min tie), a step
    off an op's domain (log just above 0) and an input used as an index
    (y[r]) defeat the finite difference: such elements are warned about and
    reported as not checked, not as a mismatch.  Exit status 1 means an
    element mismatches; 0 means none does, which includes nothing checked:
    in --json, "verified" is true only when no element mismatches and at
    least one was checked, "ok" when no element mismatches.

    \b
    Examples:
      cgrad gradcheck "c = a+b; d = b+1; e = c*d" --a 2 --b 1
      cgrad gradcheck "y = x*exp(x^2)" --x 0.5 --rtol 1e-7 --json
      cgrad gradcheck "y = relu(x) + x" --x 0 --wrt x
      cgrad gradcheck "C = -log(softmax(W @ x)[r])" \\
          --W '[[1,2],[3,4]]' --x '[1,-1]' --r 0
    """
    from ..core.gradcheck import EPS, check_gradients
    from ..render.gradcheck import document, input_warnings, render

    graph, inputs = load(words, file, sets, inputs_file, const)
    check = check_gradients(graph, inputs, wrt=names(wrt), output=output, eps=EPS if eps is None else eps,
                            rtol=rtol, atol=atol)
    warn(check.evaluation.warnings)
    for w in input_warnings(check):
        say(f"warning: {w['input']}: {w['message']}")
    if as_json:
        from ..render.json import dumps

        sys.stdout.write(dumps(document(check)) + "\n")
    else:
        echo(render(check))
    if not check.ok:
        raise SystemExit(EXIT_MISMATCH)
