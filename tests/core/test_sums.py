"""core.sums: a sum written in one expression as one n-ary node of the views, the tape left as it is."""
import sys
import time

import pytest

from cgrad_cli import evaluate, parse
from cgrad_cli.core.sums import grouped, groups, sums

NEURON = "y = sigmoid(w1*x1 + w2*x2 + b)"
AT = {"w1": 0.5, "x1": 2, "w2": -1, "x2": 0.5, "b": 0.1}


def labels(g, nodes):
    return [g.label(i) for i in nodes]


def test_the_neuron_sum_is_one_node_with_three_terms():
    g = parse(NEURON)
    (s,) = sums(g).values()
    assert labels(g, s.terms) == ["w1*x1", "w2*x2", "b"] and s.signs == (1, 1, 1)
    assert labels(g, s.inner) == ["w1*x1 + w2*x2"] and g.text(s.node) == "w1*x1 + w2*x2 + b"
    ev = evaluate(g, AT)
    view = grouped(ev)
    assert view.graph.args[s.node] == s.terms and view.graph.ops[s.node].name == "sum"
    assert tuple(view.local[s.node]) == (1.0, 1.0, 1.0)  # each edge: ∂sum/∂term = 1
    assert not view.reached[s.inner[0]] and view.graph.args[s.inner[0]] == ()
    # the tape is untouched, and so are the numbers: values, gradients, path counts
    assert ev.graph.args[s.node] == (s.inner[0], g.named["b"]) and ev.reached[s.inner[0]]
    assert view.gradients() == ev.gradients() and view.values is ev.values
    assert [view.paths[i] for i in g.inputs.values()] == [ev.paths[i] for i in g.inputs.values()]
    # the gradient flows to every term alike: ∂y/∂term = ∂y/∂sum · 1
    assert {view.grads[t] for t in s.terms} == {view.grads[s.node]}


def test_minus_is_a_term_with_local_derivative_minus_one_through_parentheses():
    g = parse("y = a - b + c - (d - e)")
    (s,) = sums(g).values()
    assert labels(g, s.terms) == list("abcde") and s.signs == (1, -1, 1, -1, 1)
    view = grouped(evaluate(g, dict(a=1, b=2, c=3, d=4, e=5)))
    assert tuple(view.local[s.node]) == (1.0, -1.0, 1.0, -1.0, 1.0)
    assert view.gradients() == {"a": 1, "b": -1, "c": 1, "d": -1, "e": 1}
    assert view.graph.ops[s.node].syntax.format(*"abcde") == "a - b + c - d + e"


@pytest.mark.parametrize("program, kept, why", [
    ("z = w1*x1 + w2*x2; y = z + b", "z",
     "a named intermediate keeps its node: its value and gradient are asked for by name"),
    ("y = (a + b) + c; t = a + b", None,
     "two expressions: the second a + b is a node of its own, and the first stays in y's sum"),
])
def test_what_is_merged_and_what_is_not(program, kept, why):
    g = parse(program)
    found = sums(g)
    if kept is None:
        assert len(found) == 1 and len(next(iter(found.values())).terms) == 3, why
    else:
        assert found == {}, why
        assert g.ops[g.named[kept]].name == "add"


def test_a_named_intermediate_or_a_call_is_a_term():
    g = parse("u = a + b\ny = u + c + sin(u)")
    (s,) = sums(g).values()
    assert labels(g, s.terms) == ["u", "c", "sin(u)"]  # u named: a term, not merged
    g2 = parse("f(t) = t + 1\ny = f(a) + b")  # a call's result is not opened up
    assert sums(g2) == {}


def test_a_shared_intermediate_stays_a_node():
    # merged into one user, a node used twice would vanish from the other's edge and its gradient (the sum
    # of two shares) from the views.  The parser gives each written a + b a node of its own, so the second
    # user is added to the tape by hand
    g = parse("y = a + b + c")
    (s,) = sums(g).values()
    inner = s.inner[0]
    g.add(g.ops[inner], (inner, g.named["c"]), 0, len(g.source))  # a second user of (a + b)
    assert sums(g) == {}  # (a + b) has two users now: merged, one of them would lose its argument


def test_the_output_and_tensor_programs_are_left_as_they_are():
    g = parse("y = a + b + c")
    assert sums(g, output=None) and not sums(g, output=sums(g).popitem()[1].inner[0])
    ev = evaluate(parse("y = sum(x + x + x)"), {"x": [1.0, 2.0]})
    assert groups(ev) == {} and grouped(ev) is ev
    ev = evaluate(parse("c = a+b; d = b+1; e = c*d"), {"a": 2, "b": 1})
    assert grouped(ev) is ev  # the lecture's graph: no sum of three terms, nothing changes


@pytest.mark.parametrize("shape", ["left", "right"])
def test_a_100000_term_sum_is_grouped_in_linear_time_without_recursion(shape):
    n = 100_000
    source = "y = " + ("+".join(["x"] * n) if shape == "left" else "(x + " * (n - 1) + "x" + ")" * (n - 1))
    ev = evaluate(parse(source), {"x": 1})
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # nothing may recurse on the sum's length
    try:
        start = time.perf_counter()
        view = grouped(ev)
        took = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(limit)
    (s,) = view.sums.values()
    assert len(s.terms) == n and len(s.inner) == n - 2 and view.gradients() == {"x": float(n)}
    assert view.paths[ev.graph.inputs["x"]] == n
    assert took < 10  # linear: a fraction of a second here, not the hours a quadratic walk would take
