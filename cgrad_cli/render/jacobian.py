"""`cgrad jacobian` output: each Jacobian as labelled tables, or one JSON document.

Reads a jacobian.Jacobians and computes nothing but text.  Every table row and
column is labelled with the element it stands for (y[0], W[1,:]), so the layout
-- output index first, as torch and JAX have it -- can be read off, not guessed.
"""
from __future__ import annotations

from itertools import product

from ..core.autodiff import CONVENTIONS
from ..core.jacobian import LAYOUT, Jacobians
from ..core.ops import load_numpy
from .width import prose
from ..core.show import d_label as _d, number, show

LAYOUT_NOTE = ("rows: output index, columns: input index — the layout torch and JAX use; "
               "SymPy's jacobian puts the input's index first")
_LETTERS = "ijklmnopqrstuvwxyzabcdefgh"


def document(r: Jacobians) -> dict:
    """The --json document (schema: cgrad_cli/schemas/jacobian.schema.json)."""
    from .json import header, warning_entries

    return {
        **header("jacobian"),
        "output": r.output_name,
        "output_node": r.output,
        "shape": list(r.shape),
        "value": r.value,  # arrays as they are: render.json.write writes a large one by orjson
        "conventions": {"layout": LAYOUT, "kinks": CONVENTIONS},
        "jacobians": dict(r.jacobians),
        "shapes": {name: list(s) for name, s in r.shapes.items()},
        "sweeps": r.sweeps,
        "warnings": warning_entries(r.warnings),
        "source": r.graph.source,
    }


def render(r: Jacobians, show_elements: int = 400):
    """Rich renderables: the output's value, the layout, then one block per Jacobian; an array of more than
    `show_elements` elements by shape and range (a 1000×1000 table is neither readable nor quick to lay out)."""
    from rich.console import Group
    from rich.text import Text

    out = _d(r.output_name, None)
    n = r.sweeps
    value = _value(r.value, f"{out} = ") if r.value.size <= show_elements else show(r.value)
    parts = [Text(f"{out} = " + value),
             Text(prose(f"reverse mode: {n} backward sweep{'s' if n != 1 else ''}, one per element of {out} "
                        f"(each gives a row of every Jacobian)"), "dim"),
             Text(prose(LAYOUT_NOTE), "dim")]
    if not r.jacobians:
        parts.append(Text("the program has no inputs: there is nothing to differentiate with respect to", "dim"))
    for name, j in r.jacobians.items():
        parts.append(Text(""))
        parts.append(Text(f"∂{out}/∂{name}  ({describe(j.shape, len(r.shape))})", "bold"))
        if j.size > show_elements:
            parts += [Text("  " + show(j)),
                      Text(prose(f"  ({j.size} elements: --show-elements {j.size} prints them all, --json gives "
                                 "them as nested lists)"), "dim")]
        else:
            parts.extend(jacobian_blocks(j, out, len(r.shape), name))
    return Group(*parts)


def _value(value, prefix: str) -> str:
    """The output's value, 6 significant digits; an array's later rows indented under its first."""
    if not value.shape:
        return number(float(value))
    return load_numpy().array2string(value, separator=", ", prefix=prefix,
                           formatter={"float_kind": lambda x: number(float(x))})


def describe(shape: tuple, p: int) -> str:
    """`3×3: output index i, input index j`: the shape and which axes belong to whom."""
    if not shape:
        return "scalar: the derivative"
    letters = _LETTERS[:len(shape)]
    parts = [f"{who} index {ax[0] if len(ax) == 1 else '(' + ', '.join(ax) + ')'}"
             for who, ax in (("output", letters[:p]), ("input", letters[p:])) if ax]
    return "×".join(map(str, shape)) + ": " + ", ".join(parts)


def _label(name: str, index) -> str:
    """`y[0]`, `W[1,:]`: one element (or row/column) of a named value; the bare name for a scalar."""
    return name if not index else f"{name}[{','.join(map(str, index))}]"


class _Axes:
    """Labels for the axes of a Jacobian: the first p index the output, the rest the input."""

    def __init__(self, out: str, p: int, name: str, ndim: int):
        self.out, self.p, self.name, self.ndim = out, p, name, ndim

    def side(self, axis: int, values: dict) -> str:
        """The output or input element that `axis` belongs to, at `values`; its other axes show ':'."""
        own = range(self.p) if axis < self.p else range(self.p, self.ndim)
        return _label(self.out if axis < self.p else self.name, [values.get(a, ":") for a in own])


def jacobian_blocks(j, out: str, p: int, name: str) -> list:
    """A number, a row, a table, a table per slice of the first axis, or (rank > 3) a flattened table."""
    from rich.text import Text

    ax = _Axes(out, p, name, j.ndim)
    if j.ndim == 0:
        return [Text("  " + number(float(j)))]
    if j.ndim == 1:
        t = _table([ax.side(0, {0: k}) for k in range(j.shape[0])], None)
        t.add_row(*(number(float(x)) for x in j))
        return [t]
    if j.ndim == 2:
        return [_matrix(j, ax, {})]
    if j.ndim == 3:
        blocks = []
        for s in range(j.shape[0]):
            top = ax.side(0, {0: s})  # z[0] (p >= 1: a slice of the output) or W[0,:,:] (p = 0)
            blocks += [Text("")] * (s > 0)
            blocks += [Text(f"∂{top}/∂{name}" if p else f"∂{out}/∂{top}", "italic"), _matrix(j[s], ax, {0: s})]
        return blocks
    return [_flat(j, ax)]


def _matrix(m, ax: _Axes, fixed: dict):
    """A 2-D slice of the Jacobian (its last two axes) as a table with labelled rows and columns."""
    r, c = ax.ndim - 2, ax.ndim - 1
    t = _table([ax.side(c, {**fixed, c: k}) for k in range(m.shape[1])], "")
    for i, row in enumerate(m):
        t.add_row(ax.side(r, {**fixed, r: i}), *(number(float(x)) for x in row))
    return t


def _flat(j, ax: _Axes):
    """Rank > 3: rows are output elements, columns input elements, each labelled by its full index."""
    rows = list(product(*map(range, j.shape[:ax.p])))
    cols = list(product(*map(range, j.shape[ax.p:])))
    t = _table([_label(ax.name, c) for c in cols], "")
    for k, row in zip(rows, j.reshape(len(rows), len(cols))):
        t.add_row(_label(ax.out, k), *(number(float(x)) for x in row))
    return t


def _table(columns: list, corner: str | None):
    from .grid import Grid

    return Grid(columns, corner)
