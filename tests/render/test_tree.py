"""The Rich tree of `cgrad eval`: rules on edges, shared nodes once, deep graphs cut."""
from rich.console import Console

from cgrad_cli import evaluate, parse
from cgrad_cli.render.tree import render


def draw(program, inputs, depth=12):
    console = Console(width=200, no_color=True, record=True, file=open("/dev/null", "w"))
    console.print(render(evaluate(parse(program), inputs), depth=depth))
    return console.export_text()


def test_lecture_edges_show_the_rule_and_its_value():
    out = draw("c = a+b; d = b+1; e = c*d", {"a": 2, "b": 1})
    assert "∂e/∂c = d = 2" in out and "∂e/∂d = c = 3" in out and "∂e/∂b = 5" in out
    assert "b          1          5      2" in out  # the inputs table: value, gradient, paths


def test_rule_over_an_unnamed_node_keeps_its_parentheses():
    out = draw("L = (y - t)^2", {"y": 0.5, "t": 1})
    assert "∂L/∂(y - t) = 2*(y - t) = -1" in out


def test_a_shared_subgraph_is_drawn_once():
    out = draw("s = sin(x*y); z = s*s", {"x": 1, "y": 2})
    assert out.count("↑ shown above") == 1 and out.count("x*y  mul") == 1


def test_deep_graphs_are_cut_with_a_note():
    out = draw("y = " + "sin(" * 50 + "x" + ")" * 50, {"x": 0.1}, depth=5)
    assert "cut at depth 5" in out and len(out.splitlines()) < 20


def test_local_and_accumulated_are_told_apart_and_a_shared_node_shows_its_shares():
    out = draw("c = a+b; d = b+1; e = c*d", {"a": 2, "b": 1}).splitlines()
    assert out[0].startswith("edge = ∂parent/∂node, local · grad = ∂e/∂node") and len(out[0]) <= 80
    assert out[2] == "├── c = a+b  add = 3   edge ∂e/∂c = d = 2   grad ∂e/∂c = 2"
    assert out[4] == "│   └── b  input = 1   edge ∂c/∂b = 1   grad ∂e/∂b = 5 (2 via c)"
    assert out[6] == "    ├── b  input = 1   edge ∂d/∂b = 1   grad ∂e/∂b = 5 (3 via d)"


def test_a_long_row_goes_on_under_its_node_within_80_columns():
    out = draw("z = w1*x1 + w2*x2 + b; y = sigmoid(z); L = (y - t)^2",
               {"x1": 1, "x2": 2, "w1": 0.5, "w2": -0.25, "b": 0, "t": 1}).splitlines()
    assert max(map(len, out)) <= 80
    k = out.index("│   │   └── z = w1*x1 + w2*x2 + b  add = 0")
    assert out[k + 1] == "│   │         edge ∂y/∂z = y*(1 - y) = 0.25   grad ∂L/∂z = -0.25"
    assert "│   │       ├── w1*x1 + w2*x2  add = 0   edge 1   grad -0.25" in out  # the same words, unnamed
