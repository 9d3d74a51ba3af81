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
from .json import extended, shared_uses
from ..core.show import d_label as _d, number, show
from ..symbolic.jacobians import closed_forms, tensor_edge_text
from ..symbolic.text import rule_text

MAX_NODES = 400
MAX_TERMS = 12  # uses of a shared input listed one by one; past that, a count


def _label(ev: Evaluation, i: int, parent: int | None, k: int, seen: bool, closed: dict | None = None) -> Text:
    g = ev.graph
    op, name = g.ops[i], g.names[i]
    shape = ev.shapes[i] if ev.shapes is not None else ()
    text = Text()
    if name is not None and op.name != "input":  # `c = a + b`: the name, then its source text
        text.append(name, "bold cyan")
        text.append(" = " + g.text(i, 60))
    else:
        text.append(g.label(i), "bold cyan" if op.name == "input" else "")
    if seen:
        text.append("  ↑ shown above", "dim")
    else:
        text.append(f"  {op.name}" + (f" {shape_text(shape)}" if shape else ""), "dim")
        text.append("  = ")
        text.append(show(ev.values[i]), "bold")
    # A tensor op (matmul, softmax, ...) has no local derivative to show: its Jacobian is not elementwise.
    if parent is not None and ev.local[parent] is not None and ev.local[parent][k] is not None:
        local = show(ev.local[parent][k])
        p, c = _d(g.label(parent)), _d(g.label(i))
        text.append(f"   ∂{p}/∂{c} = " if p and c else "   local ", "yellow")
        rule = rule_text(ev, parent, k)
        if rule is not None and rule != local:
            text.append(f"{rule} = ", "yellow")
        text.append(local, "bold yellow")
    elif parent is not None and (jacobian := tensor_edge_text(ev, parent, k)) is not None:
        p, c = _d(g.label(parent)), _d(g.label(i))
        text.append(f"   ∂{p}/∂{c}: " if p and c else "   local: ", "yellow")
        text.append(jacobian, "yellow")
    if not seen and g.needs_grad[i] and ev.differentiated:
        out, c = _d(g.label(ev.output)), _d(g.label(i))
        text.append(f"   ∂{out}/∂{c} = " if out and c else "   grad ", "green")
        if closed and i in closed:  # ∂C/∂z2 = y − onehot(r), where a student looks for it
            text.append(closed[i] + " = ", "green")
        text.append(show(ev.grad(i)), "bold green")
    if i in g.calls:
        text.append(f"   ⟵ {call_text(g, i)}", "dim")
    return text


def tree(ev: Evaluation, depth: int = 12, max_nodes: int = MAX_NODES) -> Tree:
    g = ev.graph
    closed = closed_forms(ev)
    root = Tree(_label(ev, ev.output, None, 0, False, closed), guide_style="dim")
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
            child = branch.add(_label(ev, a, i, k, again, closed))
            shown += 1
            if not again:
                seen.add(a)
                children.append((a, child, level + 1))
        stack.extend(reversed(children))
    if cut:
        root.add(Text(f"(the graph is cut at depth {depth} / {max_nodes} nodes: use --depth N for more, "
                      "--json for every node)", "dim italic"))
    return root


def inputs_table(ev: Evaluation, wrt=None) -> Table:
    g = ev.graph
    out = _d(g.label(ev.output), 60) or "output"
    tensor, counts = ev.shapes is not None, ev.paths
    table = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    table.add_column("input")
    if tensor:
        table.add_column("shape", justify="right")
    table.add_column("value", justify="right")
    if ev.differentiated:
        table.add_column(f"∂{out}/∂input", justify="right", style="green")
    table.add_column("paths", justify="right")
    names = ev.gradients(wrt) if ev.differentiated else {name: None for name in (wrt or g.inputs)}
    for name, grad in names.items():
        i = g.named[name]
        count = counts[i]
        row = [name] + ([shape_text(ev.shapes[i])] if tensor else []) + [show(ev.values[i])]
        row += [show(grad)] if ev.differentiated else []
        table.add_row(*row, number(count) if count < 1e15 else f"{count:.3g}")
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
        if len(line) <= 120:
            text.append(head + " ")
            for n, (value, place) in enumerate(terms):
                text.append(" + " if n else "")
                text.append(value, "green")
                text.append(f" ({place})", "dim")
            text.append(" = ")
            text.append(total, "bold green")
        else:
            text.append(head)
            for n, (value, place) in enumerate(terms):
                text.append("\n  " + ("+ " if n else "  "))
                text.append(value, "green")
                text.append(f"  ({place})", "dim")
            text.append("\n  = ")
            text.append(total, "bold green")
        lines.append(text)
    if lines:
        lines.insert(0, Text("shared inputs: each use counts as its own variable, and the gradient is the sum "
                             "of their contributions", "dim"))
    return lines


def legend(ev: Evaluation) -> Text:
    out = _d(ev.graph.label(ev.output), 60) or "output"
    if ev.shapes is None:
        return Text(f"node  op  = value   ∂parent/∂node (local derivative on the edge)   "
                    f"∂{out}/∂node (gradient)", "dim")
    text = "node  op shape  = value   ∂parent/∂node (local derivative; a tensor op's Jacobian in words)"
    if ev.differentiated:
        text += f"   ∂{out}/∂node (gradient, shaped like the node)"
    return Text(text, "dim")


def render(ev: Evaluation, wrt=None, depth: int = 12) -> Group:
    parts = [legend(ev), tree(ev, depth), Text()]
    if ev.graph.inputs or wrt:
        parts.append(inputs_table(ev, wrt))
    if extended(ev):
        uses = shared(ev)
        if uses:
            parts += [Text(), *uses]
    return Group(*parts)
