"""The evaluated graph as a Rich tree rooted at the output, and a table of the inputs.

Reads an Evaluation; computes nothing but text.  The tree is built with an
explicit stack (no recursion), a node reached along several paths is drawn in
full once and referenced after, and very deep or wide graphs are cut off with a
note pointing at --depth and --json.
"""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .autodiff import Evaluation
from .symbolic import number, rule_text

MAX_NODES = 400


def _d(label: str, limit: int = 12) -> str | None:
    """`∂c`, `∂(a+b)`: a label fit for ∂ notation, or None when it is too long to read there."""
    if len(label) > limit:
        return None
    return label if label.replace("_", "").replace(".", "").isalnum() else f"({label})"


def _label(ev: Evaluation, i: int, parent: int | None, k: int, seen: bool) -> Text:
    g = ev.graph
    op, name = g.ops[i], g.names[i]
    text = Text()
    if name is not None and op.name != "input":  # `c = a + b`: the name, then its source text
        text.append(name, "bold cyan")
        text.append(" = " + g.text(i, 60))
    else:
        text.append(g.label(i), "bold cyan" if op.name == "input" else "")
    if seen:
        text.append("  ↑ shown above", "dim")
    else:
        text.append(f"  {op.name}", "dim")
        text.append("  = ")
        text.append(number(ev.values[i]), "bold")
    if parent is not None and ev.local[parent][k] is not None:
        local = ev.local[parent][k]
        p, c = _d(g.label(parent)), _d(g.label(i))
        text.append(f"   ∂{p}/∂{c} = " if p and c else "   local ", "yellow")
        rule = rule_text(ev, parent, k)
        if rule is not None and rule != number(local):
            text.append(f"{rule} = ", "yellow")
        text.append(number(local), "bold yellow")
    if not seen and g.needs_grad[i]:
        out, c = _d(g.label(ev.output)), _d(g.label(i))
        text.append(f"   ∂{out}/∂{c} = " if out and c else "   grad ", "green")
        text.append(number(ev.grads[i]), "bold green")
    return text


def tree(ev: Evaluation, depth: int = 12, max_nodes: int = MAX_NODES) -> Tree:
    g = ev.graph
    root = Tree(_label(ev, ev.output, None, 0, False), guide_style="dim")
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
            child = branch.add(_label(ev, a, i, k, again))
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
    table = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column(f"∂{out}/∂input", justify="right", style="green")
    table.add_column("paths", justify="right")
    for name, grad in ev.gradients(wrt).items():
        i = g.named[name]
        paths = ev.paths[i]
        table.add_row(name, number(ev.values[i]), number(grad),
                      number(paths) if paths < 1e15 else f"{paths:.3g}")
    return table


def legend(ev: Evaluation) -> Text:
    out = _d(ev.graph.label(ev.output), 60) or "output"
    return Text(f"node  op  = value   ∂parent/∂node (local derivative on the edge)   ∂{out}/∂node (gradient)",
                "dim")


def render(ev: Evaluation, wrt=None, depth: int = 12) -> Group:
    parts = [legend(ev), tree(ev, depth), Text()]
    if ev.graph.inputs or wrt:
        parts.append(inputs_table(ev, wrt))
    return Group(*parts)
