"""Size budgets (core/budget.py): each size is known, and refused, before the work that would need it."""
import time
import tracemalloc

import pytest

from cgrad_cli.core import budget
from cgrad_cli.core.autodiff import check_inputs, evaluate
from cgrad_cli.core.jacobian import jacobian
from cgrad_cli.core.parsing import parse
from cgrad_cli.errors import InputError, TooLargeError

BOMB = "\n".join(["f0(x) = x*x"] + [f"f{i}(x) = f{i - 1}(f{i - 1}(x))" for i in range(1, 31)] + ["y = f30(a)"])


def test_function_call_bomb_is_refused_from_its_count_before_any_copy():
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(TooLargeError) as e:
        parse(BOMB)
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert took < 1.0 and peak < 20 * 2 ** 20
    assert e.value.exit_code == 4 and e.value.details["budget"] == "--max-nodes"
    assert e.value.details["size"] == 2 ** 30 + 1  # a's node and 2^30 products: exact, never expanded
    assert "the call f30(a) needs 1 073 741 825 nodes; the budget is 10 000 000 nodes" in e.value.message
    assert e.value.position == (32, 5)


def test_calls_nested_in_bodies_expand_to_the_same_graph():
    g = parse("f(x) = x*x + c\ng(x) = f(f(x)) * f(x)\ny = g(a) + g(b)")
    direct = parse("y = ((a*a + c)*(a*a + c) + c) * (a*a + c) + ((b*b + c)*(b*b + c) + c) * (b*b + c)")
    at = {"a": 0.7, "b": -1.3, "c": 0.2}
    ev, want = evaluate(g, at), evaluate(direct, at)
    assert ev.value == pytest.approx(want.value)
    assert ev.gradients() == pytest.approx(want.gradients())
    assert set(g.inputs) == {"a", "b", "c"}


def test_a_raised_node_budget_lets_the_same_call_through():
    program = "\n".join(["f0(x) = x*x"] + [f"f{i}(x) = f{i - 1}(f{i - 1}(x))" for i in range(1, 8)] + ["y = f7(a)"])
    with budget.limits(nodes=100), pytest.raises(TooLargeError):
        parse(program)
    with budget.limits(nodes=1000):
        assert len(parse(program)) == 2 ** 7 + 1
    assert budget.LIMITS.nodes == budget.DEFAULTS["nodes"]  # restored


def test_flat_program_past_the_node_budget_is_stopped_where_it_crosses():
    with budget.limits(nodes=50), pytest.raises(TooLargeError) as e:
        parse("y = " + "+".join(["x"] * 100))
    assert "needs more than 50 nodes" in e.value.message and e.value.span is not None


def test_a_node_of_a_big_flat_program_costs_under_200_bytes_once_evaluated():
    """The tape keeps no tuple, list or dict entry per node (issue 15: the 10 MB program, 5 million nodes,
    inside 2 GB).  tracemalloc counts what is held after the sweeps: today ~170 bytes a node, of which 64
    are the value and gradient floats; the layout of tuples per node it replaced held ~300."""
    source = "y=" + "+".join(["x"] * 20000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    graph = parse(source)
    ev = evaluate(graph, {"x": 1.0})
    held = tracemalloc.get_traced_memory()[0] - before - len(source)
    tracemalloc.stop()
    assert ev.value == 20000.0 and ev.gradients() == {"x": 20000.0}
    assert held / len(graph) < 200


def test_onehot_of_ten_billion_is_refused_from_its_shape():
    tracemalloc.start()
    with pytest.raises(TooLargeError) as e:
        evaluate(parse("y = sum(onehot(1, 10000000000))"), {})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2 ** 20
    assert e.value.details["op"] == "onehot" and e.value.details["size"] == 10 ** 10
    assert "onehot(1, 10000000000) (10000000000-vector) needs 10 000 000 000 elements" in e.value.message


def test_outer_of_two_big_vectors_is_refused_before_it_exists():
    with pytest.raises(TooLargeError) as e:
        evaluate(parse("y = sum(outer(onehot(1, 100000), onehot(2, 100000)))"), {})
    assert e.value.details["op"] == "outer" and "100000×100000" in e.value.message


def test_many_arrays_add_up_against_the_element_budget():
    with budget.limits(elements=25), pytest.raises(TooLargeError) as e:
        evaluate(parse("y = x*2; z = y*3; w = sum(z*y)"), {"x": [1.0] * 10})
    assert "with the arrays before it" in e.value.message


def test_jacobian_too_large_is_refused_before_its_matrix():
    with pytest.raises(TooLargeError) as e:
        jacobian(parse("y = x*2"), {"x": [1.0] * 20000})
    assert e.value.details["size"] == 20000 ** 2 and "the Jacobian of y" in e.value.message


def test_jacobian_too_large_is_refused_before_the_forward_pass():
    """Its size comes from the shapes the inputs give, so a forward pass that would fail is never run: the
    answer is the refusal (exit 4), not log's domain error (exit 3), and no array of the program is made."""
    with pytest.raises(TooLargeError) as e:
        jacobian(parse("h = log(x - 1); y = h*2"), {"x": [0.5] * 20000})
    assert "the Jacobian of y (a 20000-vector output) with respect to x (20000×20000)" in e.value.message


def test_large_array_inputs_are_checked_by_numpy_not_element_by_element():
    rows = [[float(i + j) for j in range(300)] for i in range(300)]
    g = parse("y = sum(W)")
    tracemalloc.start()
    start = time.perf_counter()
    check_inputs(g, {"W": rows})
    took, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 300 * 300 * 8 and took < 0.5  # about the array it becomes, not 25 times it
    for bad in ([[1.0, 2.0], [3.0]], [1.0, float("nan")], [], [[]], ["1"], [10 ** 400]):
        with pytest.raises(InputError):
            check_inputs(parse("y = sum(x)"), {"x": bad})


def test_figures_are_written_for_people():
    assert budget.figure(12345678) == "12 345 678"
    assert budget.figure(2 ** 24) == "2^24 (16 777 216)"
    assert budget.figure(2 ** 60) == "2^60"
    assert budget.figure(3 * 10 ** 20) == "3.0e+20"
