"""The evaluated graph as a figure: Graphviz DOT or a Mermaid flowchart (render/page.py: the HTML page).

Reads an Evaluation; computes nothing numeric, only text.  The figure is the
lecture's: one node per tape node in the output's subgraph, labelled with its
name (or source text), op, value and gradient ∂out/∂node; one edge from each
argument to the node that uses it, labelled with the local derivative
∂node/∂arg (``∂e/∂c = d = 2``).  A node used twice is drawn once with two
out-edges, so the paths the chain rule sums over are visible.

Literal constants without a name (the ``1`` of ``b+1``, ``pi``) are folded
into the label of the node that uses them (its source text shows them); a
named constant, and any subexpression that does not depend on an input, is
drawn small and grey, with dashed edges that carry no derivative.

Every function loops over the tape (no recursion), so a graph 100 000 deep is
written in linear time, and the same evaluation always gives the same text.
"""
from __future__ import annotations

import html as _html
import re

from ..core.autodiff import Evaluation
from ..errors import CgradError
from ..core.ops import shape_text
from ..core.show import brief, d_label as _d, show
from ..symbolic.text import rule_text

TEXT_WIDTH = 32  # an unnamed node's source text is shortened to this many characters in a label
TOOLTIP_WIDTH = 200
CAPTION_WIDTH = 90

# Colours of the figure: the value is black, the gradient red (as on the lecture's slides), the local
# derivative on an edge blue; inputs blue-grey, the output gold.
GRAD = "#c62828"
LOCAL = "#1f5fa8"
MUTED = "#777777"
FONT = "Helvetica,Arial,sans-serif"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # not representable in XML 1.0 / a label: shown as �


# --- escaping ---------------------------------------------------------------------------------------------

def _clean(text: str) -> str:
    """`\\r\\n` and `\\r` as `\\n`; other control characters as U+FFFD."""
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def dot_quote(text: str) -> str:
    """A DOT double-quoted string (an ID, or an escString attribute such as tooltip).

    Inside quotes DOT only knows ``\\"``; escString attributes then read ``\\n``,
    ``\\l``, ``\\N``, ``\\G``...: a literal backslash must be doubled.  A newline
    becomes ``\\n`` (a line break), so no raw newline (a line continuation) remains.
    """
    text = _clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def dot_html(text: str) -> str:
    """Text for a DOT HTML-like label ``<...>``: XML-escaped; a newline becomes ``<BR/>``."""
    return _html.escape(_clean(text), quote=True).replace("\n", "<BR/>")


_MERMAID = {"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;", "|": "#124;", "`": "#96;",
            "\\": "#92;", "%": "#37;", "\n": "<br>"}
_MERMAID_RE = re.compile("[" + re.escape("".join(_MERMAID)) + "]")


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label ``["..."]``: Mermaid's ``#name;``/``#35;`` entity codes.

    ``#`` itself is escaped first (as ``#35;``) so that text never reads as an entity; ``"``, ``<``,
    ``>``, ``&`` (HTML), ``|`` (edge-label delimiter), a backtick (markdown strings), ``%`` (``%%``
    comments and directives) and ``\\`` are escaped too; a newline becomes ``<br>``.
    """
    return _MERMAID_RE.sub(lambda m: _MERMAID[m.group()], _clean(text))


def html_text(text: str) -> str:
    """Text for HTML content or a quoted attribute."""
    return _html.escape(_clean(text), quote=True)


# --- what is drawn ----------------------------------------------------------------------------------------

def folded(ev: Evaluation, i: int) -> bool:
    """An unnamed literal (`1`, `pi`): not drawn, shown by the source text of the node that uses it."""
    g = ev.graph
    return g.ops[i].name == "const" and g.names[i] is None and i != ev.output


def drawn(ev: Evaluation) -> list:
    """The nodes of the figure, in tape order: the output's subgraph without the folded constants."""
    reached = ev.reached
    return [i for i in range(ev.output + 1) if reached[i] and not folded(ev, i)]


def _out_name(ev: Evaluation) -> str | None:
    return _d(ev.graph.label(ev.output))


def title(ev: Evaluation, i: int) -> tuple:
    """(name, rest): `('c', ' = a + b')`, `('a', '')` for an input, `('', 'sin(x)')` for an unnamed node."""
    g = ev.graph
    name = g.names[i]
    if name is None:
        return "", g.text(i, TEXT_WIDTH)
    if g.ops[i].name == "input":
        return name, ""
    return name, " = " + g.text(i, TEXT_WIDTH)


def joined(label: str, value) -> str:
    """`add = 3`, or `matmul: 3-vector`: a figure shows an array by its shape (the page's panel shows it)."""
    return label + (" = " if not getattr(value, "shape", ()) else ": ") + brief(value)


def value_text(ev: Evaluation, i: int) -> str:
    return joined(ev.graph.ops[i].name, ev.values[i])


def grad_text(ev: Evaluation, i: int) -> str | None:
    """`∂e/∂c = 2`, or None for a node that does not depend on an input (it has no gradient to show)."""
    g = ev.graph
    if not g.needs_grad[i] or not ev.differentiated:
        return None
    return joined(grad_name(ev, i), ev.grad(i))


def grad_name(ev: Evaluation, i: int) -> str:
    """`∂e/∂c`, or `grad` where the names are too long for ∂ notation."""
    out, node = _out_name(ev), _d(ev.graph.label(i))
    return f"∂{out}/∂{node}" if out and node else "grad"


def jacobian_text(ev: Evaluation, parent: int, k: int) -> str | None:
    """`∂z/∂W: a 2×2×3 Jacobian` on the edge into a tensor op; None for an argument without a gradient."""
    g = ev.graph
    op, a = g.ops[parent], g.args[parent][k]
    if not g.needs_grad[a] or ev.shapes is None or op.indices is not None and k >= op.indices:
        return None
    out, arg = tuple(ev.shapes[parent]), tuple(ev.shapes[a])
    p, c = _d(g.label(parent), 8), _d(g.label(a), 8)
    what = (f"a {shape_text(out + arg)} Jacobian" if out and arg else
            f"a gradient, {shape_text(arg)}" if arg else f"a {shape_text(out)} of derivatives" if out else
            "a derivative")
    return (f"∂{p}/∂{c}: " if p and c else "") + what


def edges(ev: Evaluation, nodes):
    """(argument, node, label) for every drawn edge; the label is None for a constant argument."""
    for i in nodes:
        for k, a in enumerate(ev.graph.args[i]):
            if not folded(ev, a):
                yield a, i, edge_text(ev, i, k)


def edge_text(ev: Evaluation, parent: int, k: int) -> str | None:
    """The local derivative ∂parent/∂arg_k on the edge: `∂e/∂c = d = 2`; None for a constant argument.

    The ∂ notation is written out for names and short source texts (`∂e/∂(a+b)`); longer source text
    would crowd the figure, so such an edge shows the rule and its value (`w1*x1 + w2*x2 = 0.5`).
    """
    local = ev.local[parent]
    g = ev.graph
    if g.ops[parent].vjp is not None:  # a tensor op: its Jacobian, shown by shape (backprop applies it as a VJP)
        return jacobian_text(ev, parent, k)
    if local is None or local[k] is None:
        return None
    d = local[k]
    p, c = _d(g.label(parent), 8), _d(g.label(g.args[parent][k]), 8)
    text = f"∂{p}/∂{c} = " if p and c else ""
    rule = rule_text(ev, parent, k)
    if getattr(d, "shape", ()):  # an elementwise op's derivatives, the diagonal of its Jacobian
        return text + (rule + ", " if rule is not None else "") + f"elementwise ({brief(d)})"
    if rule is not None and rule != show(d):
        text += rule + " = "
    return text + show(d)


def kind(ev: Evaluation, i: int) -> str:
    """How a node is drawn: output, input, op, or const (no gradient).  A --wrt name is marked on top."""
    g = ev.graph
    if i == ev.output:
        return "output"
    if g.ops[i].name == "input":
        return "input"
    return "op" if g.needs_grad[i] else "const"


def _wrt_nodes(ev: Evaluation, wrt) -> frozenset:
    return frozenset(ev.graph.named[name] for name in wrt) if wrt else frozenset()


def program_text(ev: Evaluation, width: int = CAPTION_WIDTH) -> str:
    """The program on one line, comments dropped (`#` only ever starts a comment), shortened to `width`."""
    lines, size = [], 0
    for line in ev.graph.source.splitlines():  # a program may open with a long comment
        line = " ".join(line.partition("#")[0].split())
        if line:
            lines.append(line)
            size += len(line) + 2
            if size > width:
                break
    text = "; ".join(lines)
    return text if len(text) <= width else text[:width - 1] + "…"


def inputs_text(ev: Evaluation, limit: int = 6) -> str:
    """`a = 2, b = 1` (the first `limit` inputs)."""
    g = ev.graph
    shown = [joined(name, ev.values[i]) for name, i in list(g.inputs.items())[:limit]]
    if len(g.inputs) > limit:
        shown.append(f"… ({len(g.inputs)} inputs)")
    return ", ".join(shown)


def legend(ev: Evaluation) -> str:
    out = _out_name(ev) or "output"
    return f"node: op = value, ∂{out}/∂node · edge: local derivative ∂node/∂argument"


INSTALL = "install Graphviz: apt-get install graphviz (Debian, Ubuntu) or brew install graphviz (macOS)"


def draw(exe: str, source: str, fmt: str) -> bytes:
    """The DOT source drawn by Graphviz's `dot` as svg or png (no shell; the source on stdin)."""
    import subprocess

    try:
        options = ["-Gdpi=150"] if fmt == "png" else []  # sharp enough for a slide; SVG scales by itself
        done = subprocess.run([exe, "-T" + fmt, *options], input=source.encode("utf-8"), capture_output=True)
    except OSError as e:
        raise CgradError(f"cannot run Graphviz's dot ({exe}): {e.strerror or e}", hint=INSTALL) from None
    if done.returncode != 0 or not done.stdout:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CgradError(f"Graphviz's dot could not draw {fmt.upper()}: " + (why[-1] if why else
                                                                            f"exit status {done.returncode}"),
                         hint="--format dot prints the DOT source, to draw it another way")
    return done.stdout


# --- Graphviz DOT -----------------------------------------------------------------------------------------

_DOT_STYLE = {
    "input": 'shape=ellipse, fillcolor="#e3edf7", color="#4a6f94"',
    "op": 'fillcolor="#ffffff"',
    "output": 'fillcolor="#fff3c4", color="#9a7b00", penwidth=2',
    "const": f'fillcolor="#f4f4f4", color="#bbbbbb", fontsize=10, fontcolor="{MUTED}"',
}
_DOT_WRT = f', color="{GRAD}", penwidth=2.5'  # a --wrt name: a red outline over its usual style


def _dot_node_label(ev: Evaluation, i: int) -> str:
    name, rest = title(ev, i)
    first = (f"<B>{dot_html(name)}</B>" if name else "") + dot_html(rest)
    op, value = ev.graph.ops[i].name, ev.values[i]
    is_, _, shown = joined("", value).lstrip().partition(" ")
    lines = [first, f'<FONT COLOR="{MUTED}" POINT-SIZE="10">{dot_html(op)}</FONT> {is_} <B>{dot_html(shown)}</B>']
    grad = grad_text(ev, i)
    if grad is not None:
        lines.append(f'<FONT COLOR="{GRAD}">{dot_html(grad)}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


DEEP = 6  # ranks: a deeper graph is drawn top to bottom, so that its picture stays as wide as a page


def direction(ev: Evaluation, nodes) -> str:
    """`LR`, as the lecture draws it, for a graph at most DEEP ranks deep; `TB` for a deeper one (the
    classifier's ten ranks left to right made a picture 6000 px wide)."""
    args, depth = ev.graph.args, {}
    for i in nodes:
        depth[i] = max((depth[a] + 1 for a in args[i] if a in depth), default=0)
    return "LR" if max(depth.values(), default=0) <= DEEP else "TB"


def dot(ev: Evaluation, wrt=None) -> str:
    """The figure as a Graphviz digraph: `cgrad graph ... | dot -Tsvg > graph.svg`."""
    g = ev.graph
    wrt_nodes = _wrt_nodes(ev, wrt)
    nodes = drawn(ev)
    caption = dot_html(program_text(ev)) + (f"<BR/>at {dot_html(inputs_text(ev))}" if g.inputs else "")
    out = [
        f"// cgrad graph: {len(nodes)} nodes; node labels give op = value and the gradient, edges the local "
        "derivative",
        'digraph "cgrad" {',
        f'  graph [rankdir={direction(ev, nodes)}, fontname="{FONT}", fontsize=13, labelloc=t, labeljust=l, nodesep=0.35, '
        f'ranksep=0.6, pad=0.25, label=<{caption}<BR/><FONT POINT-SIZE="10" COLOR="{MUTED}">'
        f'{dot_html(legend(ev))}</FONT>>];',
        f'  node [fontname="{FONT}", fontsize=12, shape=box, style="rounded,filled", color="#555555", '
        f'margin="0.15,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=11, fontcolor="{LOCAL}", color="#666666", arrowsize=0.7];',
    ]
    append = out.append
    for i in nodes:
        tooltip = dot_quote(g.text(i, TOOLTIP_WIDTH))
        style = _DOT_STYLE[kind(ev, i)] + (_DOT_WRT if i in wrt_nodes else "")
        append(f'  "n{i}" [label={_dot_node_label(ev, i)}, {style}, tooltip={tooltip}];')
    for a, i, text in edges(ev, nodes):
        if text is None:
            append(f'  "n{a}" -> "n{i}" [style=dashed, color="#bbbbbb"];')
        else:
            append(f'  "n{a}" -> "n{i}" [label=<{dot_html(text)}>];')
    append("}")
    return "\n".join(out) + "\n"


# --- Mermaid ----------------------------------------------------------------------------------------------

_MERMAID_CLASSES = [
    "  classDef input fill:#e3edf7,stroke:#4a6f94",
    "  classDef op fill:#ffffff,stroke:#555555",
    "  classDef output fill:#fff3c4,stroke:#9a7b00,stroke-width:2px",
    f"  classDef const fill:#f4f4f4,stroke:#bbbbbb,color:{MUTED},font-size:11px",
    f"  classDef wrt stroke:{GRAD},stroke-width:3px",  # last: its outline wins over the others'
]
_MERMAID_SHAPE = {"input": ('(["', '"])')}


def _mermaid_node_label(ev: Evaluation, i: int) -> str:
    name, rest = title(ev, i)
    lines = [name + rest, value_text(ev, i)]
    grad = grad_text(ev, i)
    if grad is not None:
        lines.append(grad)
    return "<br>".join(mermaid_text(line) for line in lines)


def mermaid(ev: Evaluation, wrt=None) -> str:
    """The figure as a Mermaid flowchart (paste into Markdown as a ```mermaid block)."""
    wrt_nodes = _wrt_nodes(ev, wrt)
    nodes = drawn(ev)
    out = ["%% cgrad graph: node labels give op = value and the gradient, edges the local derivative",
           f"flowchart {direction(ev, nodes)}"]
    out.extend(_MERMAID_CLASSES)
    append = out.append
    for i in nodes:
        k = kind(ev, i)
        opening, closing = _MERMAID_SHAPE.get(k, ('["', '"]'))
        append(f"  n{i}{opening}{_mermaid_node_label(ev, i)}{closing}:::{k}")
    marked = [i for i in nodes if i in wrt_nodes]
    if marked:  # a second class on top of the first (a `class` line naming an undrawn node would draw it)
        append("  class " + ",".join(f"n{i}" for i in marked) + " wrt")
    for a, i, text in edges(ev, nodes):
        if text is None:
            append(f"  n{a} -.-> n{i}")
        else:
            append(f'  n{a} -->|"{mermaid_text(text)}"| n{i}')
    return "\n".join(out) + "\n"
