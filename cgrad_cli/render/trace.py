"""`cgrad trace` output: forward and reverse mode side by side over the tape.

Reads a forward_mode.Trace (an Evaluation plus one list of tangents per input);
computes nothing but text.  The table has one row per node in tape order, so a
very long tape is cut to its first and last rows with a note; the JSON document
lists every node, flat, as render_json does.
"""
from __future__ import annotations

from ..core.forward_mode import Trace
from ..core.autodiff import to_json
from ..core.ops import shape_text
from ..core.show import INLINE, d_label as _d, show
from .width import WIDTH, prose

LIMIT = 200


def _out(tr: Trace) -> str:
    return _d(tr.graph.label(tr.evaluation.output), 60) or "output"


def node_text(tr: Trace, i: int) -> str:
    """`c = a+b` for a named node, else its name or source text."""
    g = tr.graph
    name = g.names[i]
    if name is not None and g.ops[i].name != "input":
        return f"{name} = {g.text(i, 48)}"
    return g.label(i)


def legend(tr: Trace):
    from rich.text import Text

    out = _out(tr)
    return Text(f"tape order · tangent ∂/∂x: ∂node/∂x, forward mode (one sweep up the tape per x)\n"
                f"adjoint ∂{out}/∂node: reverse mode (one sweep down the tape per output)", "dim")


def tables(tr: Trace, limit: int = LIMIT, inline: int = INLINE) -> list:
    """The tape as one table, or split when its columns would not fit WIDTH: the first table has the
    value, as many tangent columns as fit and the adjoint; each next one repeats id and node and takes
    the next tangent columns.  A number is never cut: each column is as wide as its widest cell."""
    g = tr.graph
    n = len(g)
    rows = list(range(n)) if n <= limit else [*range((limit + 1) // 2), None, *range(n - limit // 2, n)]
    cells = [_row(tr, i, inline) if i is not None else None for i in rows]
    k0 = 4 if tr.tensor else 3  # id, node, op, (shape): the columns before the value
    tangents = list(range(k0 + 1, k0 + 1 + len(tr.wrt)))

    def width(col: int, header: str) -> int:
        return max([len(header)] + [len(_plain(c[col])) for c in cells if c is not None])

    heads = _heads(tr)
    node_w = min(width(1, "node"), 24)  # the node's text wraps in its column; numbers never do
    fixed = sum(width(c, heads[c]) + 2 for c in range(len(heads)) if c not in tangents and c != 1) + node_w
    groups, group, used = [], [], fixed
    for c in tangents:
        w = width(c, heads[c]) + 2
        if group and used + w > WIDTH:
            groups.append(group)
            group, used = [], width(0, "id") + 2 + node_w + 2
        group.append(c)
        used += w
    groups.append(group)
    out = []
    for n_group, group in enumerate(groups):
        columns = [c for c in range(len(heads)) if c in group or (not n_group and c not in tangents) or c < 2]
        out.append(_table(tr, heads, columns, cells, node_w))
    return out


def _heads(tr: Trace) -> list:
    out = _out(tr)
    heads = ["id", "node", "op"] + (["shape"] if tr.tensor else []) + ["value"]
    heads += [f"∂/∂{_d(name, 60) or name}" for name in tr.wrt]
    return heads + [f"∂{out}/∂node"]


def _table(tr: Trace, heads: list, columns: list, cells: list, node_w: int):
    from rich.table import Table

    k0 = 4 if tr.tensor else 3
    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    for c in columns:
        head = heads[c]
        if c == 0:
            t.add_column(head, justify="right", style="dim", no_wrap=True)
        elif c == 1:
            t.add_column(head, max_width=node_w)
        elif c < k0 + 1 and c != k0:
            t.add_column(head, style="dim", no_wrap=True)
        elif c == k0:
            t.add_column(head, justify="right", no_wrap=True)
        elif c == len(heads) - 1:
            t.add_column("adjoint\n" + head, justify="right", style="green", no_wrap=True)
        else:
            t.add_column(("tangent\n" if c == k0 + 1 or c == columns[2] else "\n") + head, justify="right",
                         style="yellow", no_wrap=True)
    for row in cells:
        if row is None:
            t.add_row(*["⋮"] * len(columns), style="dim")
        else:
            t.add_row(*(row[c] for c in columns))
    return t


def _plain(cell: str) -> str:
    from rich.text import Text

    return Text.from_markup(cell).plain


def cut_note(tr: Trace, limit: int = LIMIT):
    """The note under a table cut to `limit` rows, or None."""
    from rich.text import Text

    n = len(tr.graph)
    if n <= limit:
        return None
    return Text(prose(f"(the tape has {n} nodes; the table shows the first {(limit + 1) // 2} and the last "
                      f"{limit // 2}: --limit N shows more, --json every node)"), "dim italic")


def _row(tr: Trace, i: int, inline: int = INLINE) -> list:
    g, ev = tr.graph, tr.evaluation
    cells = [str(i), node_text(tr, i), g.ops[i].name]
    if tr.tensor:
        cells.append(shape_text(ev.shapes[i]))
    cells.append(show(ev.values[i], inline))
    cells += [show(tr.tangents[name][i], inline) for name in tr.wrt]
    cells.append(show(tr.adjoint(i), inline))
    if i == ev.output:
        cells[1] = f"[bold]{_escape(cells[1])}[/bold]"
    else:
        cells[1] = _escape(cells[1])
    return cells


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def footer(tr: Trace):
    from rich.table import Table
    from rich.text import Text

    out = _out(tr)
    sweeps = tr.sweeps
    n = sweeps["forward"]
    kind = "input" if all(name in tr.graph.inputs for name in tr.wrt) else "variable"
    parts = [Text.assemble(
        ("sweeps: ", "bold"),
        prose(f"forward mode {n}, one up the tape per {kind}" + (" (" + ", ".join(tr.wrt) + ")" if tr.wrt else "")
              + f"; reverse mode {sweeps['reverse']}, one down the tape per output "
                f"({tr.graph.label(tr.evaluation.output)})", WIDTH - 8, " " * 8))]
    if not tr.wrt:
        parts.append(Text("the program has no inputs: there is nothing to differentiate", "dim"))
        return parts
    grads = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    grads.add_column("gradient")
    grads.add_column("forward mode", justify="right", style="yellow")
    grads.add_column("reverse mode", justify="right", style="green")
    grads.add_column("agree", justify="right")
    fw, rv, ok = tr.forward_gradients(), tr.reverse_gradients(), tr.agreement()
    for name in tr.wrt:
        grads.add_row(f"∂{out}/∂{_d(name, 60) or name}", show(fw[name]), show(rv[name]),
                      "✓" if ok[name] else "[bold red]✗[/]")
    parts.append(grads)
    if n > 1:
        why = (f"one output and {n} {kind}s: reverse mode needed 1 sweep where forward mode needed {n}; "
               f"with one {kind} and many outputs it is the other way round")
    else:
        why = (f"one {kind} and one output: one sweep each; reverse mode wins with many {kind}s, "
               "forward mode with many outputs")
    parts.append(Text(prose(why), "dim"))
    return parts


def render(tr: Trace, limit: int = LIMIT, inline: int = INLINE):
    from rich.console import Group
    from rich.text import Text

    note = cut_note(tr, limit)
    parts = [legend(tr)]
    for n, t in enumerate(tables(tr, limit, inline)):
        parts += [Text()] * bool(n) + [t]
    return Group(*parts, *([note] if note else []), Text(), *footer(tr))


def document(tr: Trace) -> dict:
    g, ev = tr.graph, tr.evaluation
    values, tangents, wrt = ev.values, tr.tangents, tr.wrt
    nodes = [{
        "id": i, "name": name, "text": g.text(i, 48), "op": op.name, "inputs": list(args),
        **({"shape": list(ev.shapes[i])} if tr.tensor else {}), "value": to_json(values[i]),
        "tangents": {x: to_json(tangents[x][i]) for x in wrt}, "adjoint": to_json(tr.adjoint(i)),
    } for i, (op, args, name) in enumerate(zip(g.ops, g.args, g.names))]
    from .json import header, kink_warnings

    return {
        **header("trace"),
        "output": ev.output_name,
        "output_node": ev.output,
        "value": to_json(ev.value),
        "wrt": list(wrt),
        "sweeps": tr.sweeps,
        "gradients": {mode: {name: to_json(x) for name, x in grads.items()}
                      for mode, grads in (("forward", tr.forward_gradients()), ("reverse", tr.reverse_gradients()))},
        "agree": tr.agree,
        "warnings": kink_warnings(ev.warnings),
        "source": g.source,
        "nodes": nodes,
    }
