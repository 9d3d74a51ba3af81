"""The neuron's sum w1*x1 + w2*x2 + b as one node with three edges, in every view a student reads:
the eval tree, explain, the DOT and Mermaid figures and the page's data (the browser test opens the
page itself); JSON keeps the tape's binary adds and lists the sum beside them."""
import json
import re
import time

from cgrad_cli import evaluate, parse
from cgrad_cli.core.sums import grouped
from cgrad_cli.render import page

from test_graph import invoke

NEURON = "y = sigmoid(w1*x1 + w2*x2 + b)"
AT = ["--w1", "0.5", "--x1", "2", "--w2", "-1", "--x2", "0.5", "--b", "0.1"]
SUM = "w1*x1 + w2*x2 + b"


def out(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_tree_draws_one_sum_node_with_three_children():
    lines = out("eval", NEURON, *AT).splitlines()
    assert lines[2] == "└── w1*x1 + w2*x2 + b  sum = 0.6   edge y*(1 - y) = 0.228784   grad 0.228784"
    children = [line for line in lines if re.match(r"^    [├└]── ", line)]
    assert [c[8:].split("  ")[0] for c in children] == ["w1*x1", "w2*x2", "b"]
    assert all("   edge 1   grad " in c for c in children)  # ∂sum/∂term = 1 on each, the same gradient
    assert "w1*x1 + w2*x2  add" not in "\n".join(lines)  # no hidden binary add


def test_explain_has_one_factor_one_per_path():
    text = out("explain", NEURON, *AT)
    assert ("∂y/∂w1 = ∂y/∂(w1*x1 + w2*x2 + b)·∂(w1*x1 + w2*x2 + b)/∂(w1*x1)·∂(w1*x1)/∂w1\n"
            "    = y*(1 - y)·1·x1 = 0.228784·1·2 = 0.457568") in text
    assert "∂(w1*x1 + w2*x2)" not in text
    doc = json.loads(out("explain", NEURON, *AT, "--json"))
    factors = {t["name"]: [f["d"] for f in t["terms"][0]["factors"]] for t in doc["wrt"]}
    assert factors["b"] == [f"∂y/∂({SUM})", f"∂({SUM})/∂b"]
    assert factors["x2"] == [f"∂y/∂({SUM})", f"∂({SUM})/∂(w2*x2)", "∂(w2*x2)/∂x2"]


def test_the_figures_draw_one_sum_node_with_three_edges():
    dot = out("graph", NEURON, *AT)
    (node,) = re.findall(r'"(n\d+)" \[label=<w1\*x1 \+ w2\*x2 \+ b<BR/>.*?>sum</FONT> = <B>0.6</B>', dot)
    into = re.findall(rf'"(n\d+)" -> "{node}" \[label=<(.*?)>\]', dot)
    assert [label for _, label in into] == ["1", "1", "1"] and len(into) == 3
    assert "w1*x1 + w2*x2<BR/>" not in dot and dot.count(" -> ") == 8
    mermaid = out("graph", NEURON, *AT, "--format", "mermaid")
    assert len(re.findall(rf'-->\|"1"\| {node}\n', mermaid)) == 3


def test_the_page_data_has_one_sum_node_with_three_edges():
    ev = grouped(evaluate(parse(NEURON), {"w1": 0.5, "x1": 2, "w2": -1, "x2": 0.5, "b": 0.1}))
    d = page.data(ev)
    (s,) = [k for k, n in enumerate(d["nodes"]) if n["op"] == "sum"]
    into = [e for e in d["edges"] if e["to"] == s]
    assert [d["nodes"][e["from"]]["rest"] or d["nodes"][e["from"]]["name"] for e in into] == ["w1*x1", "w2*x2", "b"]
    assert [e["label"] for e in into] == ["1", "1", "1"] and all(e["flows"] for e in into)
    assert len(d["nodes"]) == 9 and not any(n["op"] == "add" for n in d["nodes"])
    # the panel's chain rule for b: one factor ∂y/∂(sum)·∂(sum)/∂b, as cgrad explain writes it
    b = next(n for n in d["nodes"] if n["name"] == "b")
    assert b["working"]["equation"].startswith(f"∂y/∂b = ∂y/∂({SUM})·∂({SUM})/∂b = y*(1 - y)·1")


def test_gradients_are_unchanged_and_json_keeps_the_tape():
    doc = json.loads(out("eval", NEURON, *AT, "--json"))
    tape = evaluate(parse(NEURON), {"w1": 0.5, "x1": 2, "w2": -1, "x2": 0.5, "b": 0.1})
    assert doc["gradients"] == tape.gradients()
    assert [n["op"] for n in doc["nodes"]].count("add") == 2  # the tape's binary adds, ids as before
    (s,) = doc["sums"]
    assert [doc["nodes"][t]["span"] for t in s["terms"]] == [doc["nodes"][i]["span"] for i in (2, 5, 7)]
    assert s == {"node": 8, "terms": [2, 5, 7], "signs": [1, 1, 1], "merged": [6]}
    assert "sums" not in json.loads(out("eval", "c = a+b; d = b+1; e = c*d", "--a", "2", "--b", "1", "--json"))


def test_a_named_intermediate_keeps_its_own_node_in_the_views():
    # z is named, so the student may ask for ∂y/∂z: the tree shows z's node and its gradient, and the
    # sum that uses it has two terms, z and b (the tape's own binary node)
    text = out("eval", "z = w1*x1 + w2*x2; y = sigmoid(z + b)", *AT)
    assert "z = w1*x1 + w2*x2  add = 0.5" in text and "z + b  add = 0.6" in text and " sum = " not in text


def test_a_100000_term_sum_in_every_view_in_linear_time():
    # one sum node with 10^5 edges: a view that wrote out every argument for each edge (a rule's formula,
    # the nodes a working mentions) would do 10^10 steps; each view must stay linear
    from rich.console import Console

    from cgrad_cli.render import explain as render_explain, graph as render_graph, tree
    from cgrad_cli.symbolic.explain import explain

    n = 100_000
    ev = grouped(evaluate(parse("y = " + "+".join(["x"] * n)), {"x": 1}))
    start = time.perf_counter()
    ex = explain(ev)
    text = render_explain.plain(ex)
    dot = render_graph.dot(ev)
    console = Console(width=80, no_color=True, record=True, file=open("/dev/null", "w"))
    console.print(tree.render(ev))
    took = time.perf_counter() - start
    (x,) = ex.targets
    assert x.count == n and x.gradient == n and len(x.steps) == 2 and len(x.steps[1].uses) == n
    assert f"{n} paths lead from y to x" in text and dot.count('"n0" -> ') == n
    assert f"… {n} arguments not shown" in console.export_text()
    assert took < 120  # linear: ~15 s on a loaded 2-core machine; quadratic, hours
