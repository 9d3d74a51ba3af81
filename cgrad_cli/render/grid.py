"""Labelled grids of numbers (eval's arrays, jacobian's Jacobians, trace's tangents) that fit 80 columns:
every column as wide as its widest number, so none is ever cut; a grid too wide for WIDTH is split into
as many grids as it takes, each repeating the row labels, as a printed table goes on over the page."""
from __future__ import annotations

from .width import WIDTH

GAP = 2  # columns between two cells (Rich's padding of one on either side)


class Grid:
    """Built as a Rich Table is (columns, then add_row(label, *numbers, style=...)); drawn as one or more
    tables of at most `width` columns.  With `corner` None there is no label column (a single row)."""

    def __init__(self, columns: list, corner: str | None = "", width: int = WIDTH):
        self.columns, self.corner, self.width = list(columns), corner, width
        self.rows: list = []

    def add_row(self, *cells, style: str = "") -> None:
        self.rows.append((list(cells), style))

    def parts(self) -> list:
        """The column indices of each table the grid is drawn as."""
        from rich.cells import cell_len

        lead = 0 if self.corner is None else 1
        label = max([cell_len(self.corner or "")] + [cell_len(cells[0]) for cells, _ in self.rows]) + GAP if lead else 0
        widths = [max([cell_len(head)] + [cell_len(cells[lead + k]) for cells, _ in self.rows if lead + k < len(cells)])
                  for k, head in enumerate(self.columns)]
        parts, part, used = [], [], label
        for k, w in enumerate(widths):
            if part and used + w > self.width:
                parts.append(part)
                part, used = [], label
            part.append(k)
            used += w + GAP
        return parts + [part]

    def __rich_console__(self, console, options):
        from rich.table import Table
        from rich.text import Text

        lead = 0 if self.corner is None else 1
        for n, part in enumerate(self.parts()):
            if n:
                yield Text()
            t = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
            if lead:
                t.add_column(self.corner, style="bold", no_wrap=True)
            for k in part:
                t.add_column(self.columns[k], justify="right", no_wrap=True)
            for cells, style in self.rows:
                t.add_row(*cells[:lead], *(cells[lead + k] for k in part), style=style)
            yield t


def value_grids(arrays: list, limit: int | None = None) -> list:
    """Arrays of one shape as grids, as eval shows a node's value and gradient: a vector's as rows of one
    grid (`value`, `∂C/∂x`), a matrix's (or higher) each as a grid of its own, rows labelled `[i,:]`.
    `arrays` holds (row label, array, style); `limit` cuts each axis shown (the heading says so)."""
    import numpy as np

    from ..core.show import number

    shape = arrays[0][1].shape
    cut = slice(None, limit)
    if len(shape) == 1:
        grid = Grid([f"[{j}]" for j in range(shape[0])][cut])
        for what, array, style in arrays:
            grid.add_row(what, *(number(float(x)) for x in array[cut]), style=style)
        return [grid]
    from rich.text import Text

    out = []
    for what, array, style in arrays:
        out += [Text()] * bool(out)
        grid = Grid([f"[…,{j}]" if len(shape) > 2 else f"[:,{j}]" for j in range(shape[-1])][cut], what)
        for r, row in enumerate(array.reshape(-1, shape[-1])[cut]):
            index = ",".join(map(str, np.unravel_index(r, shape[:-1])))
            grid.add_row(f"[{index},:]", *(number(float(x)) for x in row[cut]), style=style)
        out.append(grid)
    return out
