"""The evaluated graph as a Rich tree rooted at the output, and a table of the inputs.

Reads an Evaluation; computes nothing but text.  The tree is built with an
explicit stack (no recursion), a node reached along several paths is drawn in
full once and referenced after, and very deep or wide graphs are cut off with a
note pointing at --depth and --json.

Arrays are printed compactly: in full up to 12 elements ([0.731059, 0.268941],
[[1, 2], [3, 4]]), else by shape with their least and greatest element.  Nodes
a user-function call made say which call (`⟵ cell(h1, x[1])`), and in programs
with tensors or calls, an input used more than once gets its gradient written
as the sum of each use's contribution.
"""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..core.autodiff import Evaluation
from ..core.autodiff import call_text, use_places
from ..core.ops import shape_text
from .width import columns, fold_text, prose
from .json import extended, shared_uses
from ..core.show import brief, d_label as _d, number, show
from ..symbolic.text import rule_text

MAX_NODES = 400
MAX_TERMS = 12  # uses of a shared input listed one by one; past that, a count


WIDTH = 80  # a row longer than this (with the tree's guides) goes on under its node, so a terminal never wraps it


def _label(ev: Evaluation, i: int, parent: int | None, k: int, seen: bool, shared: frozenset,
           level: int = 0, closed: dict | None = None) -> Text:
    """One row: `c = a+b  add = 3   edge ∂e/∂c = d = 2   grad ∂e/∂c = 2`, the same words in every row.

    `edge` is the local derivative ∂parent/∂node on the edge up to the parent; `grad` the gradient
    ∂out/∂node, accumulated over every path; under a node with several users, `(2 via c)` is the share
    that arrives through this parent.  An array is shown by its shape (grids follow the tree).
    """
    g = ev.graph
    op, name = g.ops[i], g.names[i]
    text = Text()
    if name is not None and op.name != "input":  # `c = a + b`: the name, then its source text
        text.append(name, "bold cyan")
        text.append(" = " + g.text(i, 40))
    else:
        text.append(g.label(i, 40), "bold cyan" if op.name == "input" else "")
    if seen:
        text.append("  ↑ shown above", "dim")
    else:
        value = ev.values[i]
        text.append(f"  {op.name}", "dim")
        text.append(" = " if not getattr(value, "shape", ()) else ": ")
        text.append(brief(value), "bold")
    # A tensor op (matmul, softmax, ...) has no local derivative to show: its Jacobian is not elementwise.
    if parent is not None and ev.local[parent] is not None and ev.local[parent][k] is not None:
        local = ev.local[parent][k]
        p, c = _d(g.label(parent)), _d(g.label(i))
        text.append("   edge ", "yellow")
        text.append(f"∂{p}/∂{c} = " if p and c else "", "yellow")
        rule = rule_text(ev, parent, k)
        if getattr(local, "shape", ()):  # an elementwise op: the diagonal of its Jacobian, by its rule
            text.append(f"{rule}, elementwise" if rule is not None else "elementwise", "bold yellow")
        else:
            if rule is not None and rule != show(local):
                text.append(f"{rule} = ", "yellow")
            text.append(show(local), "bold yellow")
    elif parent is not None and (jacobian := _tensor_edge_text(ev, parent, k)) is not None:
        p, c = _d(g.label(parent)), _d(g.label(i))
        text.append("   edge ", "yellow")
        text.append((f"∂{p}/∂{c}: " if p and c else "") + jacobian, "yellow")
    if not seen and g.needs_grad[i] and ev.differentiated:
        out, c = _d(g.label(ev.output)), _d(g.label(i))
        grad = ev.grad(i)
        text.append("   grad ", "green")
        if out and c:
            text.append(f"∂{out}/∂{c}" + (" = " if not getattr(grad, "shape", ()) else ": "), "green")
        if closed and i in closed:  # ∂C/∂z2 = y − onehot(r), where a student looks for it
            text.append(closed[i] + (", " if getattr(grad, "shape", ()) else " = "), "green")
        text.append(brief(grad), "bold green")
        if parent is not None and i in shared:
            share = ev.pull(parent, k, ev.grads[parent])
            if share is not None and not getattr(share, "shape", ()):
                text.append(f" ({show(share)} via {g.label(parent, 12)})", "green")
    if i in g.calls:
        text.append(f"   ⟵ {call_text(g, i)}", "dim")
    return _fold(text, WIDTH - 4 * level)


def _fold(text: Text, width: int) -> Text:
    """A row too wide for `width` columns: each `   edge`, `   grad`, `   ⟵` part on a line of its own,
    indented under the node (Rich draws the tree's guides beside the lines that follow)."""
    if text.cell_len <= width:
        return text
    plain, cuts = text.plain, []
    for word in ("   edge ", "   grad ", "   ⟵ "):
        at = plain.find(word)
        if at > 0:
            cuts.append(at)
    cuts.sort()
    if cuts and text[cuts[0] + 1:].cell_len <= width:  # the node, then all the rest on one line, if it fits
        cuts = cuts[:1]
    out, start = Text(), 0
    for at in cuts:  # each line still too wide (a deep node) folds between its words, under itself
        out.append_text(fold_text(text[start:at], width))
        out.append("\n")
        start = at + 1
    out.append_text(fold_text(text[start:], width))
    return out


def _shared(ev: Evaluation) -> frozenset:
    """Nodes with more than one user on the output's subgraph: their gradient is a sum of shares."""
    users: dict = {}
    for j in range(ev.output + 1):
        if ev.reached[j]:
            for a in set(ev.graph.args[j]):
                users[a] = users.get(a, 0) + 1
    return frozenset(a for a, n in users.items() if n > 1)


def _closed_forms(ev: Evaluation) -> dict:
    """symbolic.jacobians.closed_forms; a scalar program (no shapes) has none, and a scalar tree does not
    import the Jacobians' writer (nor explain's, which it uses): a one-shot tree starts sooner."""
    if ev.shapes is None:
        return {}
    from ..symbolic.jacobians import closed_forms

    return closed_forms(ev)


def _tensor_edge_text(ev: Evaluation, parent: int, k: int) -> str | None:
    """symbolic.jacobians.tensor_edge_text, imported for a tensor program only (as _closed_forms)."""
    if ev.shapes is None:
        return None
    from ..symbolic.jacobians import tensor_edge_text

    return tensor_edge_text(ev, parent, k)


def tree(ev: Evaluation, depth: int = 12, max_nodes: int = MAX_NODES) -> Tree:
    g = ev.graph
    shared, closed = _shared(ev), _closed_forms(ev)
    root = Tree(_label(ev, ev.output, None, 0, False, shared, 0, closed), guide_style="dim")
    seen = {ev.output}
    shown, cut = 1, 0
    stack = [(ev.output, root, 0)]
    while stack:
        i, branch, level = stack.pop()
        args = g.args[i]
        if level >= depth or shown + len(args) > max_nodes:
            if args:
                branch.add(Text(f"… {len(args)} argument{'s' if len(args) > 1 else ''} not shown", "dim"))
                cut += 1
            continue
        children = []
        for k, a in enumerate(args):
            again = a in seen and bool(g.args[a])  # leaves are cheap to repeat; subgraphs are not
            child = branch.add(_label(ev, a, i, k, again, shared, level + 1, closed))
            shown += 1
            if not again:
                seen.add(a)
                children.append((a, child, level + 1))
        stack.extend(reversed(children))
    if cut:
        root.add(Text(prose(f"(the graph is cut at depth {depth} / {max_nodes} nodes: use --depth N for more, "
                            "--json for every node)", WIDTH - 4), "dim italic"))
    return root


GRID = 8  # a grid shows at most this many rows and columns; its heading gives the shape


def grids(ev: Evaluation) -> list:
    """Every array the tree shows by its shape, as labelled grids: value and gradient, as `cgrad
    jacobian` prints its tables (indices on the rows and columns, cut past GRID, the shape said)."""
    from .grid import value_grids

    g, out = ev.graph, _d(ev.graph.label(ev.output)) or "output"
    parts = []
    for i in range(ev.output + 1):
        value = ev.values[i]
        if not (ev.reached[i] and getattr(value, "shape", ())):
            continue
        label = g.label(i, 24)
        grad = ev.grad(i) if g.needs_grad[i] and ev.differentiated else None
        c = _d(label, 24)
        gname = f"∂{out}/∂{c}" if c else "grad"
        shape = value.shape
        cut = any(n > GRID for n in shape[-2:]) or len(shape) > 2
        head = Text()
        head.append(label, "bold cyan")
        head.append(f"  {shape_text(shape)}" + (f", the first {GRID} rows and columns" if cut else ""), "dim")
        parts += [Text(), head]
        parts += value_grids([(what, array, style) for what, array, style in
                              (("value", value, ""), (gname, grad, "green")) if array is not None], GRID)
    return parts


def inputs_table(ev: Evaluation, wrt=None) -> Table:
    g = ev.graph
    out = _d(g.label(ev.output), 60) or "output"
    counts = ev.paths
    table = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    table.add_column("input")
    table.add_column("value", justify="right")
    if ev.differentiated:
        table.add_column(f"∂{out}/∂input", justify="right", style="green")
    table.add_column("paths", justify="right")
    names = ev.gradients(wrt) if ev.differentiated else {name: None for name in (wrt or g.inputs)}
    for name, grad in names.items():
        i = g.named[name]
        count = counts[i]
        row = [name, brief(ev.values[i])] + ([brief(grad)] if ev.differentiated else [])  # arrays: grids below
        table.add_row(*row, number(count, 6 if count < 1e15 else 3))  # an astronomical count: 3 digits
    for name, i in g.constants.items():  # --const: listed apart, never differentiated
        table.add_row(f"{name} (const)", brief(ev.values[i]), *(["none"] if ev.differentiated else []), "")
    return table


def shared(ev: Evaluation) -> list:
    """For each input used more than once: its gradient as the sum of each use's contribution.

    The lecture's parameter sharing: pretend each use is a different variable, then add them up.
    """
    g, lines = ev.graph, []
    out = _d(g.label(ev.output), 60)
    for name, uses in shared_uses(ev).items():
        i = g.named[name]
        where = use_places(g, uses)
        head = (f"∂{out}/∂{_d(name)}" if out and _d(name) else f"the gradient of {name}") + \
            f" = Σ over {len(uses)} uses:"
        terms = [(show(share), place) for (_, _, share), place in zip(uses[:MAX_TERMS], where)]
        if len(uses) > MAX_TERMS:  # a long unrolled loop: the first few, then how many more
            terms[-1] = (f"… {len(uses) - MAX_TERMS + 1} more", "--json lists every use")
        total = show(ev.grad(i))
        line = head + " " + " + ".join(f"{value} ({place})" for value, place in terms) + f" = {total}"
        text = Text()
        if columns(line) <= WIDTH:
            text.append(head + " ")
            for n, (value, place) in enumerate(terms):
                text.append(" + " if n else "")
                text.append(value, "green")
                text.append(f" ({place})", "dim")
            text.append(" = ")
            text.append(total, "bold green")
        else:
            text.append(head)
            for n, (value, place) in enumerate(terms):  # a long array goes on under itself, between rows
                term = Text("\n")
                term.append("  " + ("+ " if n else "  "))
                term.append(value, "green")
                term.append(f"  ({place})", "dim")
                text.append_text(fold_text(term, WIDTH + 1, "      ", sentence=True))
            text.append_text(fold_text(Text.assemble("\n  = ", (total, "bold green")), WIDTH + 1, "      ",
                                       sentence=True))
        lines.append(text)
    if lines:
        lines.insert(0, Text(prose("shared inputs: each use counts as its own variable, and the gradient is the "
                                   "sum of their contributions"), "dim"))
    return lines


def legend(ev: Evaluation) -> Text:
    """One line: what `edge` and `grad` stand for in every row."""
    out = _d(ev.graph.label(ev.output), 12) or "output"
    if not ev.differentiated:
        return Text("edge = ∂parent/∂node, the local derivative", "dim")
    return Text(f"edge = ∂parent/∂node, local · grad = ∂{out}/∂node, in all (k via p: p's share)", "dim")


def render(ev: Evaluation, wrt=None, depth: int = 12) -> Group:
    parts = [legend(ev), tree(ev, depth), Text()]
    if ev.graph.inputs or wrt:
        parts.append(inputs_table(ev, wrt))
    if ev.shapes is not None:
        parts += grids(ev)
    if extended(ev):
        uses = shared(ev)
        if uses:
            parts += [Text(), *uses]
    return Group(*parts)
