"""render.grid: labelled grids of numbers split to fit 80 columns, never a number cut; the views that
print arrays (eval's grids, jacobian, trace's tangents) use it."""
import io
import re

import numpy as np
from rich.console import Console

from cgrad_cli import parse
from cgrad_cli.core.autodiff import evaluate
from cgrad_cli.core.forward_mode import trace
from cgrad_cli.render.grid import Grid
from cgrad_cli.render import trace as trace_view
from cgrad_cli.render.tree import grids

CUT = re.compile(r"\d…|…\d|-…")


def shown(renderable, width: int = 100_000) -> list:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(renderable)
    return out.getvalue().splitlines()


def test_a_wide_grid_goes_on_below_with_its_row_labels_again():
    g = Grid([f"x[{k}]" for k in range(12)], "")
    g.add_row("y[0]", *(f"-0.{k}23456" for k in range(12)))
    lines = shown(g)
    assert all(len(line) <= 80 for line in lines)
    assert sum(line.startswith("y[0]") for line in lines) == 2  # split in two, each labelled
    numbers = [w for line in lines if line.startswith("y[0]") for w in line.split()[1:]]
    assert numbers == [f"-0.{k}23456" for k in range(12)]  # every number whole, in order


def test_a_grid_that_fits_is_one_table():
    g = Grid(["[0]", "[1]"])
    g.add_row("value", "1", "2")
    assert shown(g) == ["       [0]  [1]", "value    1    2"]


def test_jacobian_of_a_12_vector_is_not_cut_at_80_columns():
    from cgrad_cli.core.jacobian import jacobian
    from cgrad_cli.render.jacobian import render

    x = -np.arange(1.1, 13.1, 1.0)
    r = jacobian(parse("y = sum(x*x*0.123457)"), {"x": x})
    lines = shown(render(r), 80)
    assert all(len(line) <= 80 for line in lines) and not any(CUT.search(line) for line in lines)
    assert "-2.98766" in "\n".join(lines)


def test_eval_grids_fit_80_columns_with_eight_long_numbers():
    ev = evaluate(parse("y = x*0.123457123"), {"x": -np.arange(1.1, 13.1, 1.0)})
    lines = [line for part in grids(ev) for line in shown(part, 80)]
    assert all(len(line) <= 80 for line in lines) and not any(CUT.search(line) for line in lines)


def test_trace_of_a_tensor_program_prints_grids_not_nested_lists():
    tr = trace(parse("z = W @ x; C = sum(tanh(z))"), {"W": np.array([[1.0, 2], [0, 1]]), "x": np.array([0.5, -1])},
               wrt=["x"])
    lines = shown(trace_view.render(tr))
    assert all(len(line) <= 80 for line in lines) and not any("[[" in line for line in lines)
    assert " 2  z = W @ x         matmul  2-vector  2-vector       2×2  2-vector" in lines
    z = lines.index("∂z/∂x  (2×2: output index i, input index j)")  # the tangent is W itself
    assert lines[z + 1:z + 4] == ["      x[0]  x[1]", "z[0]     1     2", "z[1]     0     1"]
    assert "∂W/∂x = 0  (2×2×2: W does not depend on x)" in lines


def test_trace_shows_a_big_array_by_shape_and_range():
    tr = trace(parse("y = sum(x*x)"), {"x": np.arange(20.0)})
    lines = shown(trace_view.render(tr, inline=12))
    assert "value  20-vector (min 0, max 19)" in lines
    assert all(len(line) <= 80 for line in lines)
    more = shown(trace_view.render(tr, inline=20))
    assert "value  20-vector (min 0, max 19)" not in more and all(len(line) <= 80 for line in more)
