"""`cgrad hessian`: the matrix of second derivatives at a point."""
from __future__ import annotations

import sys

import click

from ..errors import InputError
from .common import console, load, names, output_option, program_command


def hessian(graph, point: dict, wrt: list, output: str | None = None) -> list:
    """H[i][j] = ∂²out/∂wrt_i∂wrt_j at `point`.

    The gradient's formulas are a program; differentiating that program is the
    same reverse sweep again, and its formulas are evaluated at the point.
    """
    from ..core.autodiff import check_inputs
    from ..symbolic.derive import as_program, derivatives, value_at
    from ..symbolic.expr import Exprs

    check_inputs(graph, point)
    space = Exprs(order=list(graph.inputs))
    first = derivatives(graph, wrt, output=output, space=space)
    gradient = as_program({f"d_{i}": first[name] for i, name in enumerate(wrt)}, graph)
    present = [name for name in wrt if name in gradient.named]  # ∂(2*x)/∂y: y is not in the formula at all
    rows = []
    for i in range(len(wrt)):
        second = derivatives(gradient, present, output=f"d_{i}", space=space)
        program = as_program({f"h_{j}": second.get(name, space.num(0.0)) for j, name in enumerate(wrt)}, graph)
        rows.append([value_at(program, f"h_{j}", point) for j in range(len(wrt))])
    return rows


@program_command("hessian")
@click.option("--wrt", metavar="X,Y", help="Only these inputs (default: every input).")
@output_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: cgrad_cli/schemas/).")
def command(words, file, sets, inputs_file, wrt, output, as_json, debug):
    """Print the Hessian of PROGRAM's output (the matrix of second
    derivatives) at the point given by its inputs.

    \b
    Example:
      cgrad hessian "f = x^2*y + y^3" --x 1 --y 2
    """
    from ..core.autodiff import output_node, wrt_nodes
    from ..core.show import number

    graph, point = load(words, file, sets, inputs_file, scalar_only="hessian")
    wrt_names = names(wrt) or list(graph.inputs)
    if not wrt_names:
        raise InputError("the program has no inputs: its Hessian is empty")
    wrt_nodes(graph, wrt_names, "hessian")
    rows = hessian(graph, point, wrt_names, output)
    out = output or graph.label(graph.output)
    if as_json:
        from ..render.json import dumps

        from ..render.json import header, kink_warnings
        from .diff import kinks_at

        doc = {**header("hessian"), "output": out, "output_node": output_node(graph, output), "wrt": wrt_names,
               "at": point, "hessian": rows, "warnings": kink_warnings(kinks_at(graph, point, output)),
               "source": graph.source}
        sys.stdout.write(dumps(doc) + "\n")
        return
    from rich.table import Table

    where = ", ".join(f"{k} = {number(v, None)}" for k, v in point.items())
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("")
    for name in wrt_names:
        table.add_column(f"∂{name}", justify="right")
    for name, row in zip(wrt_names, rows):
        table.add_row(f"∂{name}", *(f"{v:.6g}" for v in row))
    out_console = console()
    out_console.print(f"∂²{out}/∂row∂column at {where}" if where else f"∂²{out}/∂row∂column")
    out_console.print(table)
