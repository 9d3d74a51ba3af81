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
from ..core.show import d_label as _d, show

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
    return Text(f"the tape in order · tangent ∂node/∂x: forward mode, one sweep up the tape per input x · "
                f"adjoint ∂{out}/∂node: reverse mode, one sweep down it per output", "dim")


def table(tr: Trace, limit: int = LIMIT):
    from rich.table import Table

    g = tr.graph
    out = _out(tr)
    t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    t.add_column("id", justify="right", style="dim")
    t.add_column("node")  # wraps on a narrow terminal; one line when piped
    t.add_column("op", style="dim")
    if tr.tensor:
        t.add_column("shape", justify="right", style="dim")
    t.add_column("value", justify="right")
    for name in tr.wrt:
        t.add_column(f"tangent\n∂node/∂{_d(name, 60) or name}", justify="right", style="yellow")
    t.add_column(f"adjoint\n∂{out}/∂node", justify="right", style="green")
    n = len(g)
    head, tail = (n, 0) if n <= limit else ((limit + 1) // 2, limit // 2)
    for i in range(head):
        t.add_row(*_row(tr, i))
    if head < n:
        t.add_row(*["⋮"] * len(t.columns), style="dim")
        for i in range(n - tail, n):
            t.add_row(*_row(tr, i))
    return t


def cut_note(tr: Trace, limit: int = LIMIT):
    """The note under a table cut to `limit` rows, or None."""
    from rich.text import Text

    n = len(tr.graph)
    if n <= limit:
        return None
    return Text(f"(the tape has {n} nodes; the table shows the first {(limit + 1) // 2} and the last {limit // 2}: "
                "--limit N shows more, --json every node)", "dim italic")


def _row(tr: Trace, i: int) -> list:
    g, ev = tr.graph, tr.evaluation
    cells = [str(i), node_text(tr, i), g.ops[i].name]
    if tr.tensor:
        cells.append(shape_text(ev.shapes[i]))
    cells.append(show(ev.values[i]))
    cells += [show(tr.tangents[name][i]) for name in tr.wrt]
    cells.append(show(tr.adjoint(i)))
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
        f"forward mode {n} (one up the tape per {kind}" + (": " + ", ".join(tr.wrt) if tr.wrt else "") + "), "
        f"reverse mode {sweeps['reverse']} (one down the tape per output: {tr.graph.label(tr.evaluation.output)})")]
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
    parts.append(Text(why, "dim"))
    return parts


def render(tr: Trace, limit: int = LIMIT):
    from rich.console import Group
    from rich.text import Text

    note = cut_note(tr, limit)
    return Group(legend(tr), table(tr, limit), *([note] if note else []), Text(), *footer(tr))


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
