"""`cgrad hessian` output: the matrix of second derivatives (symbolic.derive.Hessian) as a table, or JSON."""
from __future__ import annotations

from ..core.show import number, show
from ..symbolic.derive import Hessian


def table(h: Hessian):
    """∂²f/∂row∂column at the point, above the matrix (a Rich renderable)."""
    from rich.console import Group
    from rich.table import Table

    where = ", ".join(f"{k} = {show(np_array(v)) if isinstance(v, list) else number(v, None)}"
                      for k, v in h.point.items())
    grid = Table(box=None, header_style="bold", pad_edge=False)
    grid.add_column("")
    for name in h.wrt:
        grid.add_column(f"∂{name}", justify="right")
    for name, row in zip(h.wrt, h.rows):
        grid.add_row(f"∂{name}", *map(number, row))
    return Group(f"∂²{h.output}/∂row∂column at {where}" if where else f"∂²{h.output}/∂row∂column", grid)


def np_array(value):
    from ..core.ops import load_numpy

    return load_numpy().asarray(value, dtype=float)


def document(h: Hessian, graph) -> dict:
    from .json import header, kink_warnings

    return {**header("hessian"), "output": h.output, "output_node": h.output_node, "wrt": h.wrt, "at": h.point,
            "hessian": h.rows, "warnings": kink_warnings(h.warnings), "source": graph.source}
