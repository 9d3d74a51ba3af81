"""`cgrad graph`: the computational graph drawn like a lecture figure (DOT, Mermaid, SVG, PNG or HTML)."""
from __future__ import annotations

import functools
import os
import shutil
import sys

from ..core import budget
from ..errors import CgradError, InputError
from . import spec
from .common import budget_options, load, names, output_option, program_command, refuse_overwriting, warn, \
    write_output

IMAGES = (".svg", ".png")
BY_EXTENSION = {".html": "html", ".htm": "html", ".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot",
                ".gv": "dot"}


@program_command("graph")
@functools.partial(budget_options, kinds=("drawn",))
@spec.option("--format", "fmt", type=spec.Choice(["dot", "mermaid", "html"]), default=None,
              help="What to print: Graphviz DOT (the default), a Mermaid flowchart, or the HTML page.")
@spec.option("-o", "--out", "out", metavar="FILE",
              help="Write to FILE instead of stdout.  FILE.svg and FILE.png are drawn by Graphviz's dot; "
                   "FILE.html is one self-contained page to explore; .mmd is Mermaid; anything else DOT.")
@spec.option("--wrt", metavar="A,B", help="Mark these names in the figure and list their gradients.")
@output_option
def command(words, file, sets, inputs_file, const, fmt, out, wrt, output):
    """Draw PROGRAM's computational graph like a lecture figure: every node
    with its op, value and gradient ∂output/∂node, every edge (argument ->
    the node using it) with its local derivative ∂node/∂argument.  A node
    used twice is drawn once, with two out-edges.

    Unnamed literal constants (the 1 of b+1) are folded into the label of
    the node that uses them; other constants are drawn small and grey.  A
    tensor is shown by its shape (3×4) in a node; the page's panel shows it.

    FILE.html is one page to explore, needing nothing but a browser: step
    the forward pass node by node and the backward pass edge by edge (the
    arrow keys), click or Tab to a node for its value, gradient, local
    derivatives and chain rule, pick an input to light up its paths.
    Drawing .svg or .png needs Graphviz's dot; DOT and Mermaid do not.

    \b
    Examples:
      cgrad graph "e=(a+b)*(b+1)" --a 2 --b 1 -o lecture.png
      cgrad graph "c=a+b; d=b+1; e=c*d" --a 2 --b 1 | dot -Tpdf > lecture.pdf
      cgrad graph "e=(a+b)*(b+1)" --a 2 --b 1 -o lecture.html
      cgrad graph "e=(a+b)*(b+1)" --a 2 --b 1 --format mermaid
    """
    from ..core.autodiff import evaluate
    from ..core.sums import grouped
    from ..render import graph as render_graph

    ext = os.path.splitext(out)[1].lower() if out and out != "-" else ""
    if ext in IMAGES and fmt not in (None, "dot"):
        raise InputError(f"{out} is drawn from the DOT source by Graphviz, so --format {fmt} does not apply",
                         hint=f"drop --format, or write --format {fmt} to a .{'html' if fmt == 'html' else 'mmd'} file")
    fmt = fmt or BY_EXTENSION.get(ext, "dot")
    exe = shutil.which("dot") if ext in IMAGES else None
    if ext in IMAGES and exe is None:  # said before the program is even read
        raise CgradError(f"drawing {out} needs Graphviz's dot program, which is not installed (not on PATH)",
                         hint=f"{render_graph.INSTALL}; or write DOT text, which needs nothing: --format dot "
                              "(the default) prints it, -o FILE.dot writes it")

    refuse_overwriting({"-o": out}, [file, inputs_file])
    graph, inputs = load(words, file, sets, inputs_file, const)
    wrt_names = names(wrt)
    ev = evaluate(graph, inputs, output=output, wrt=wrt_names)
    warn(ev.warnings)
    ev = grouped(ev)  # a sum written in one expression: one node with an edge per term, as the lecture draws it

    if ext in IMAGES or fmt == "html":  # laid out by Graphviz or by the page in the browser: both take minutes
        where = f"drawing {out} (Graphviz's layout)" if ext in IMAGES else \
            f"the page{' ' + out if out not in (None, '-') else ''} (laid out by the browser as it opens)"
        budget.check("drawn", sum(ev.reached), where,
                     hint="raise the budget with --max-drawn N (the layout can take minutes), or write the DOT "
                          "text, which takes no layout: -o FILE.dot")
    if ext in IMAGES:
        write(out, render_graph.draw(exe, render_graph.dot(ev, wrt_names), ext[1:]))
        return
    if fmt == "html":
        from ..render import page

        text = page.page(ev, wrt_names)
    elif fmt == "mermaid":
        text = render_graph.mermaid(ev, wrt_names)
    else:
        text = render_graph.dot(ev, wrt_names)
    write(out, text.encode("utf-8"))


def write(out: str | None, data: bytes) -> None:
    """`data` to the file `out` (whole, or not at all), or to stdout (no file or `-`)."""
    if out is None or out == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_output(out, data)
