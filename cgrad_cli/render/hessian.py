"""`cgrad hessian` output: the matrix of second derivatives (symbolic.derive.Hessian) as a table, or JSON."""
from __future__ import annotations

from ..core.show import number, show
from ..symbolic.derive import Hessian


def table(h: Hessian):
    """∂²f/∂row∂column at the point, above the matrix (a Rich renderable)."""
    from rich.console import Group
    from rich.text import Text

    from .grid import Grid
    from .width import prose

    where = ", ".join(f"{k} = {number(v, None) if isinstance(v, float) else show(np_array(v))}"
                      for k, v in h.point.items())
    grid = Grid([f"∂{name}" for name in h.wrt])  # as many grids as 80 columns need, rows labelled in each
    for name, row in zip(h.wrt, h.rows):
        grid.add_row(f"∂{name}", *map(number, row))
    head = f"∂²{h.output}/∂row∂column at {where}" if where else f"∂²{h.output}/∂row∂column"
    return Group(Text(prose(head, indent="    ")), grid)


def np_array(value):
    from ..core.ops import load_numpy

    return load_numpy().asarray(value, dtype=float)


def document(h: Hessian, graph) -> dict:
    from .json import header, warning_entries

    return {**header("hessian"), "output": h.output, "output_node": h.output_node, "wrt": h.wrt, "at": h.point,
            "hessian": h.rows, "warnings": warning_entries(h.warnings), "source": graph.source}
