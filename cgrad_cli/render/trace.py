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
from ..core.show import INLINE, brief, d_label as _d, number, show
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
                f"adjoint ∂{out}/∂node: reverse mode (one sweep down the tape per output)"
                + ("\nan array is shown by its shape; under the table, each node's as labelled grids" if tr.tensor
                   else ""), "dim")


def tables(tr: Trace, limit: int = LIMIT) -> list:
    """The tape as one table, or split when its columns would not fit WIDTH: the first table has the
    value, as many tangent columns as fit and the adjoint; each next one repeats id and node and takes
    the next tangent columns.  A number is never cut: each column is as wide as its widest cell."""
    g = tr.graph
    n = len(g)
    rows = _shown(n, limit)
    cells = [_row(tr, i) if i is not None else None for i in rows]
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


def _row(tr: Trace, i: int) -> list:
    g, ev = tr.graph, tr.evaluation
    cells = [str(i), node_text(tr, i), g.ops[i].name]
    if tr.tensor:
        cells.append(shape_text(ev.shapes[i]))
    cells += [brief(x) for x in _arrays(tr, i)]  # an array by its shape: its grids follow the table
    if i == ev.output:
        cells[1] = f"[bold]{_escape(cells[1])}[/bold]"
    else:
        cells[1] = _escape(cells[1])
    return cells


def _arrays(tr: Trace, i: int) -> list:
    """Node i's value, its tangent for each --wrt name, its adjoint: the cells of its row."""
    return [tr.evaluation.values[i], *(tr.tangents[name][i] for name in tr.wrt), tr.adjoint(i)]


def grids(tr: Trace, i: int, inline: int = INLINE) -> list:
    """A tensor node's arrays under the table, as `cgrad eval` and `cgrad jacobian` print them: value and
    adjoint as labelled grids, each tangent ∂node/∂x as the Jacobian it is (rows the node's index, columns
    x's); an array past `inline` numbers by shape and range, a tangent that is all zeros said so."""
    from rich.text import Text

    from .grid import value_grids
    from .jacobian import describe, jacobian_blocks

    g = tr.graph
    value, *tangents, adjoint = _arrays(tr, i)
    if not any(getattr(x, "shape", ()) for x in (value, *tangents, adjoint)):
        return []
    label, shape = g.label(i, 24), getattr(value, "shape", ())
    node = _d(label, 24) or "node"
    head = Text()
    head.append(label, "bold cyan")
    head.append(f"  {shape_text(shape)}", "dim")
    parts = [Text(), head]
    adj = f"∂{_out(tr)}/∂{node}"
    if shape and value.size <= inline:
        parts += value_grids([("value", value, ""), (adj, adjoint, "green")])
    elif shape:
        parts += [Text(f"value  {show(value, inline)}"), Text(f"{adj}  {show(adjoint, inline)}", "green")]
    for name, t in zip(tr.wrt, tangents):
        d = f"∂{node}/∂{_d(name, 60) or name}"
        if not getattr(t, "shape", ()):
            parts.append(Text(f"{d} = {number(float(t))}", "yellow"))
        elif not t.any():
            parts.append(Text(f"{d} = 0  ({shape_text(t.shape)}: {label} does not depend on {name})", "yellow"))
        elif t.size > inline:
            parts.append(Text(f"{d}  {show(t, inline)}", "yellow"))
        else:
            parts.append(Text(f"{d}  ({describe(t.shape, len(shape))})", "yellow"))
            parts += jacobian_blocks(t, node, len(shape), name)
    return parts


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
        grads.add_row(f"∂{out}/∂{_d(name, 60) or name}", _short(fw[name]), _short(rv[name]),
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


def _short(x) -> str:
    """A gradient in the footer: in full when short (the table stays within 80 columns), else by its shape
    (the grids above show it)."""
    text = show(x)
    return text if len(text) <= 24 else brief(x)


def render(tr: Trace, limit: int = LIMIT, inline: int = INLINE):
    from rich.console import Group
    from rich.text import Text

    note = cut_note(tr, limit)
    parts = [legend(tr)]
    for n, t in enumerate(tables(tr, limit)):
        parts += [Text()] * bool(n) + [t]
    parts += [note] if note else []
    if tr.tensor:
        parts += [part for i in _shown(len(tr.graph), limit) if i is not None for part in grids(tr, i, inline)]
    return Group(*parts, Text(), *footer(tr))


def _shown(n: int, limit: int) -> list:
    """The tape's rows the table shows: all of them, or the first and last with None for the cut."""
    return list(range(n)) if n <= limit else [*range((limit + 1) // 2), None, *range(n - limit // 2, n)]


def document(tr: Trace) -> dict:
    g, ev = tr.graph, tr.evaluation
    values, tangents, wrt = ev.values, tr.tangents, tr.wrt
    nodes = [{
        "id": i, "name": name, "text": g.text(i, 48), "op": op.name, "inputs": list(args),
        **({"shape": list(ev.shapes[i])} if tr.tensor else {}), "value": to_json(values[i]),
        "tangents": {x: to_json(tangents[x][i]) for x in wrt}, "adjoint": to_json(tr.adjoint(i)),
    } for i, (op, args, name) in enumerate(zip(g.ops, g.args, g.names))]
    from .json import header, warning_entries

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
        "warnings": warning_entries(ev.warnings),
        "source": g.source,
        "nodes": nodes,
    }
