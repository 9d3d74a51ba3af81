"""Tensor syntax: array literals, indexing and slices, .T, @, user functions, and the errors they give."""
from __future__ import annotations

import numpy as np
import pytest

from cgrad_cli import CgradError, evaluate, forward, parse
from cgrad_cli.errors import InputError, MathDomainError, ProgramNameError, ProgramSyntaxError, ShapeError


def ops_of(graph) -> list[str]:
    return [op.name for op in graph.ops]


def out_op(graph) -> str:
    return graph.ops[graph.output].name


def node(graph, name_or_text):
    """The node a name is bound to, or the (last) node whose source text is `name_or_text`."""
    if name_or_text in graph.named:
        return graph.named[name_or_text]
    return max(i for i in range(len(graph)) if graph.text(i) == name_or_text)


def assert_caret(e: CgradError, src: str, text: str, last: bool = False):
    """The error points at `text` in the source (its first or last occurrence): span, position, caret."""
    start = src.rindex(text) if last else src.index(text)
    assert tuple(e.span) == (start, start + len(text)), (e.span, src[slice(*e.span)])
    rendered = e.render().splitlines()
    line = src.count("\n", 0, start) + 1
    column = start - (src.rfind("\n", 0, start) + 1) + 1
    assert rendered[0].startswith(f"error: line {line}, column {column}: ")
    assert rendered[2].index("^") == 2 + column - 1
    assert rendered[2].count("^") == len(text)
    doc = e.to_json()["error"]
    assert doc["exit_code"] == e.exit_code and doc["kind"] == e.kind


# --------------------------------------------------------------------------- array literals


def test_array_literal_is_one_const_node():
    graph = parse("y = [1, 2]")
    assert ops_of(graph) == ["const"]
    assert graph.tensor
    value = graph.consts[graph.output]
    assert isinstance(value, np.ndarray) and value.dtype == float
    np.testing.assert_array_equal(value, [1.0, 2.0])
    assert graph.names[graph.output] == "y"
    assert graph.text(graph.output) == "[1, 2]"


def test_nested_array_literal_is_one_matrix():
    graph = parse("M = [[1, 0, -2], [0.5, 1e1, 3]]")
    assert ops_of(graph) == ["const"]
    np.testing.assert_array_equal(graph.consts[0], [[1, 0, -2], [0.5, 10, 3]])
    assert graph.consts[0].shape == (2, 3)
    graph = parse("[[[1], [2]], [[3], [4]]]")
    assert ops_of(graph) == ["const"] and graph.consts[0].shape == (2, 2, 1)


def test_array_literal_with_negative_numbers_and_constants():
    graph = parse("[-1, +2, pi]")
    assert ops_of(graph) == ["const"]
    np.testing.assert_allclose(graph.consts[0], [-1.0, 2.0, np.pi])


def test_array_literal_values_and_use():
    graph = parse("W = [[1, 2], [3, 4]]\ny = W @ x")
    ev = forward(graph, {"x": [1.0, 1.0]})
    np.testing.assert_array_equal(ev[graph.output], [3.0, 7.0])


@pytest.mark.parametrize("src, text", [
    ("y = [[1, 2], [3]]", "[[1, 2], [3]]"),
    ("y = [[1, 2], 3]", "[[1, 2], 3]"),
    ("y = [1, [2, 3]]", "[1, [2, 3]]"),
    ("a = 1\ny = [[1], [2, 3]] * a", "[[1], [2, 3]]"),
])
def test_ragged_array_literal_is_an_error_with_a_caret(src, text):
    with pytest.raises(ProgramSyntaxError) as info:
        parse(src)
    e = info.value
    assert e.exit_code == 2
    assert "same length" in e.message
    assert_caret(e, src, text)


def test_empty_array_literal_is_an_error():
    with pytest.raises(ProgramSyntaxError) as info:
        parse("y = []")
    assert info.value.exit_code == 2 and "at least one element" in info.value.message
    assert_caret(info.value, "y = []", "[]")


def test_array_of_names_is_a_stack_node():
    graph = parse("y = [a, b]")
    assert ops_of(graph) == ["input", "input", "stack"]
    assert graph.args[graph.output] == (graph.inputs["a"], graph.inputs["b"])
    graph = parse("y = [1, a, a*2]")
    assert out_op(graph) == "stack"
    assert len(graph.args[graph.output]) == 3
    ev = evaluate(parse("y = sum([a, b, a*b])"), {"a": 2.0, "b": 3.0})
    assert ev.value == 11.0
    assert ev.gradients() == {"a": 4.0, "b": 3.0}


def test_array_of_rows_that_use_names_stacks_rows():
    graph = parse("M = [[a, 1], [2, 3]]")
    ops = ops_of(graph)
    assert ops[-1] == "stack" and ops.count("stack") == 2  # [a, 1] is a stack; [2, 3] stays one literal
    value = forward(graph, {"a": 5.0})[graph.output]
    np.testing.assert_array_equal(value, [[5, 1], [2, 3]])


# --------------------------------------------------------------------------- indexing and slices


def key_of(src: str):
    graph = parse(src)
    assert out_op(graph) == "getitem"
    return graph, graph.params[graph.output]["key"]


@pytest.mark.parametrize("src, key", [
    ("x[1:3]", (slice(1, 3),)),
    ("x[:2]", (slice(None, 2),)),
    ("x[1:]", (slice(1, None),)),
    ("x[:]", (slice(None, None),)),
    ("x[-2:]", (slice(-2, None),)),
    ("W[:, 0]", (slice(None, None), 0)),
    ("W[1, :]", (1, slice(None, None))),
    ("W[0, 1:3]", (0, slice(1, 3))),
    ("x[-1]", (-1,)),
    ("x[2]", (2,)),
    ("W[1, -1]", (1, -1)),
])
def test_literal_indices_fold_into_the_key(src, key):
    graph, got = key_of(src)
    assert got == key
    # no const node left over on the tape: the input and the getitem, nothing else
    assert "const" not in ops_of(graph)
    assert graph.args[graph.output] == (graph.inputs[src[0]],)
    assert graph.consts == {}


@pytest.mark.parametrize("src, shape, want", [
    ("x[1:3]", (4,), lambda x: x[1:3]),
    ("x[:2]", (4,), lambda x: x[:2]),
    ("x[-1]", (4,), lambda x: x[-1]),
    ("x[-2:]", (4,), lambda x: x[-2:]),
    ("W[:, 0]", (2, 3), lambda W: W[:, 0]),
    ("W[1]", (2, 3), lambda W: W[1]),
    ("W[-1, 1:]", (2, 3), lambda W: W[-1, 1:]),
    ("W[1][2]", (2, 3), lambda W: W[1][2]),
])
def test_indexing_values_are_numpy_indexing(src, shape, want):
    a = np.arange(np.prod(shape), dtype=float).reshape(shape)
    graph = parse(src)
    value = forward(graph, {src[0]: a.tolist()})[graph.output]
    np.testing.assert_array_equal(value, want(a))


def test_index_by_an_input():
    graph, key = key_of("C = y[r]")
    assert key == (None,)  # the index is an argument, not part of the key
    assert graph.args[graph.output] == (graph.inputs["y"], graph.inputs["r"])
    ev = evaluate(graph, {"y": [1.0, 5.0, 7.0], "r": 1.0})
    assert ev.value == 5.0
    np.testing.assert_array_equal(ev.gradients()["y"], [0.0, 1.0, 0.0])
    assert ev.gradients()["r"] == 0.0
    ev = evaluate(graph, {"y": [1.0, 5.0, 7.0], "r": -1.0})
    assert ev.value == 7.0


def test_mixed_literal_and_input_indices():
    graph, key = key_of("W[r, 1]")
    assert key == (None, 1)
    assert "const" not in ops_of(graph)
    value = forward(graph, {"W": [[1.0, 2.0], [3.0, 4.0]], "r": 1.0})[graph.output]
    assert value == 4.0


@pytest.mark.parametrize("src, key, inputs, value", [
    ("W[0, r]", (0, None), {"r": 1.0}, 2.0),
    ("W[1, n - 1]", (1, None), {"n": 1.0}, 3.0),
    ("W[r, -1]", (None, -1), {"r": 0.0}, 2.0),
    ("W[(1), r]", (1, None), {"r": 0.0}, 3.0),
    ("W[0:1, r][0]", (0,), {"r": 1.0}, 2.0),
])
def test_a_literal_index_folds_wherever_it_stands(src, key, inputs, value):
    """A literal index folds into the key even with an input index after it on the tape (the 0 of W[0, r]
    is reduced, and taken back, before r is read): the input indices are the only arguments after W."""
    graph, got = key_of(src)
    assert got == key
    indices = graph.args[graph.output][1:]
    assert all(graph.ops[i].name != "const" for i in indices), ops_of(graph)
    assert len(indices) == key.count(None)
    ev = evaluate(graph, {"W": [[1.0, 2.0], [3.0, 4.0]], **inputs})
    assert ev.value == value
    np.testing.assert_array_equal(ev.gradients()["W"], np.array([[1.0, 2.0], [3.0, 4.0]]) == value)


def test_a_literal_index_leaves_no_constant_on_the_tape():
    graph, _ = key_of("W[0, r]")
    assert "const" not in ops_of(graph)
    graph = parse("f(A, k) = A[1, k]\ny = f(W, r)")
    assert "const" not in ops_of(graph) and graph.params[graph.output]["key"] == (1, None)
    assert evaluate(graph, {"W": [[1.0, 2.0], [3.0, 4.0]], "r": 0.0}).value == 3.0


def test_computed_index():
    graph, key = key_of("x[n - 1]")
    assert key == (None,)
    assert forward(graph, {"x": [1.0, 2.0, 3.0], "n": 3.0})[graph.output] == 3.0


@pytest.mark.parametrize("src, values, fragment", [
    ("x[5]", {"x": [1.0, 2.0, 3.0]}, "index 5 is out of range"),
    ("x[-4]", {"x": [1.0, 2.0, 3.0]}, "index -4 is out of range"),
    ("W[0, 3]", {"W": [[1.0, 2.0, 3.0]]}, "index 3 is out of range"),
    ("x[0, 0]", {"x": [1.0, 2.0, 3.0]}, "2 indices for 1 axis"),
])
def test_literal_index_out_of_range_is_a_shape_error(src, values, fragment):
    graph = parse(src)
    with pytest.raises(ShapeError) as info:
        forward(graph, values)
    assert info.value.exit_code == 2
    assert fragment in info.value.message
    assert_caret(info.value, src, src)


@pytest.mark.parametrize("r, fragment", [(3.0, "index 3 is out of range"), (-4.0, "index -4 is out of range"),
                                         (1.5, "index 1.5 is not an integer")])
def test_index_input_out_of_range_or_not_an_integer(r, fragment):
    src = "y = 2 * x[r]"
    graph = parse(src)
    with pytest.raises(InputError) as info:
        evaluate(graph, {"x": [1.0, 2.0, 3.0], "r": r})
    assert info.value.exit_code == 2
    assert fragment in info.value.message and "x[r]" in info.value.message
    assert_caret(info.value, src, "x[r]")


def test_non_integer_literal_index_is_an_error():
    graph = parse("x[1.5]")
    with pytest.raises(CgradError) as info:
        forward(graph, {"x": [1.0, 2.0, 3.0]})
    assert info.value.exit_code == 2
    assert "1.5" in info.value.message and "integer" in info.value.message


def test_an_index_array_picks_elements_as_numpy_does():
    values = forward(parse("x[y]"), {"x": [1.0, 2.0, 3.0], "y": [2.0, 0.0, -1.0]})
    assert values[-1].tolist() == [3.0, 1.0, 3.0]
    with pytest.raises(InputError) as info:
        forward(parse("x[y]"), {"x": [1.0, 2.0, 3.0], "y": [0.0, 1.5]})
    assert info.value.exit_code == 2 and "index 1.5 is not an integer" in info.value.message
    with pytest.raises(InputError) as info:
        forward(parse("x[y]"), {"x": [1.0, 2.0, 3.0], "y": [0.0, 3.0]})
    assert "index 3 is out of range for an axis of size 3" in info.value.message
    with pytest.raises(ShapeError) as info:
        forward(parse("W[y, z]"), {"W": [[1.0, 2.0], [3.0, 4.0]], "y": [0.0, 1.0], "z": [0.0, 1.0, 1.0]})
    assert info.value.exit_code == 2 and "index arrays do not fit together" in info.value.message


@pytest.mark.parametrize("src, text", [("x[1:a]", "a"), ("x[0.5:2]", "0.5"), ("x[:b]", "b")])
def test_slice_bounds_must_be_integer_literals(src, text):
    with pytest.raises(ProgramSyntaxError) as info:
        parse(src)
    assert info.value.exit_code == 2 and "slice bound" in info.value.message
    assert_caret(info.value, src, text)


# --------------------------------------------------------------------------- .T and @


def test_dot_T_is_transpose():
    graph = parse("y = W.T")
    assert ops_of(graph) == ["input", "transpose"]
    graph = parse("y = W.T @ x")
    assert ops_of(graph) == ["input", "transpose", "input", "matmul"]
    graph = parse("y = (A @ B).T")
    assert out_op(graph) == "transpose"
    graph = parse("y = W.T.T")
    assert ops_of(graph) == ["input", "transpose", "transpose"]
    assert graph.text(graph.output) == "W.T.T"


def test_unknown_attribute_is_a_name_error():
    src = "y = W.X"
    with pytest.raises(ProgramNameError) as info:
        parse(src)
    assert info.value.exit_code == 2 and ".T" in info.value.message
    assert_caret(info.value, src, ".X")


def tree(graph, i=None) -> str:
    """The graph as a fully parenthesized expression: how the parser grouped it."""
    i = graph.output if i is None else i
    op, args = graph.ops[i], graph.args[i]
    if not args:
        return graph.names[i] or f"{graph.consts[i]:g}"
    return f"{op.name}(" + ", ".join(tree(graph, a) for a in args) + ")"


@pytest.mark.parametrize("src, grouping", [
    ("a * B @ c", "matmul(mul(a, B), c)"),
    ("A @ B * c", "mul(matmul(A, B), c)"),
    ("A @ B @ c", "matmul(matmul(A, B), c)"),
    ("a / B @ c", "matmul(div(a, B), c)"),
    ("A @ x + b", "add(matmul(A, x), b)"),
    ("b - A @ x", "sub(b, matmul(A, x))"),
    ("-A @ x", "matmul(neg(A), x)"),
    ("A @ B^2", "matmul(A, pow(B, 2))"),
    ("A @ (x + b)", "matmul(A, add(x, b))"),
    ("W.T @ x[0]", "matmul(transpose(W), getitem(x))"),
    ("tanh(W @ h + U @ x)", "tanh(add(matmul(W, h), matmul(U, x)))"),
])
def test_at_binds_like_times(src, grouping):
    assert tree(parse(src)) == grouping


def test_indexing_binds_tighter_than_everything():
    assert tree(parse("-x[0]^2")) == "neg(pow(getitem(x), 2))"
    assert tree(parse("2*x[0]")) == "mul(2, getitem(x))"
    assert tree(parse("f[0].T")) == "transpose(getitem(f))"
    assert tree(parse("(a + b)[1]")) == "getitem(add(a, b))"


# --------------------------------------------------------------------------- user functions

CELL = "cell(h, x) = tanh(Wh @ h + Wx @ x)\n"


def test_function_definition_adds_no_computation():
    graph = parse(CELL + "Wh")
    # the weights the body names become the program's inputs; the body itself is not on the tape
    assert ops_of(graph) == ["input", "input"]
    assert list(graph.inputs) == ["Wh", "Wx"]
    assert "cell" in graph.functions and graph.calls == {}


def test_each_call_adds_its_own_nodes_and_shares_the_weights():
    src = CELL + "h1 = cell(h0, x[0])\nh2 = cell(h1, x[1])"
    graph = parse(src)
    one = parse(CELL + "h1 = cell(h0, x[0])")
    per_call = len(graph) - len(one) - 1  # the second call's nodes, without the getitem x[1]
    assert per_call == 4  # two matmuls, an add, a tanh
    spans = sorted(set(graph.calls.values()))
    assert [src[s:e] for s, e in spans] == ["cell(h0, x[0])", "cell(h1, x[1])"]
    made = {span: [i for i, c in graph.calls.items() if c == span] for span in spans}
    assert all(len(nodes) == 4 for nodes in made.values())
    assert set(made[spans[0]]).isdisjoint(made[spans[1]])
    # both calls' matmuls take the same weight nodes
    wh, wx = graph.inputs["Wh"], graph.inputs["Wx"]
    matmuls = [i for i in graph.calls if graph.ops[i].name == "matmul"]
    assert sorted(graph.args[i][0] for i in matmuls) == [wh, wh, wx, wx]
    assert graph.ops[wh].name == "input" and list(graph.ops).count(graph.ops[wh]) == 4  # Wh, Wx, h0, x
    # the argument nodes are the program's: h1 feeds the second call
    h1 = graph.named["h1"]
    assert any(h1 in graph.args[i] for i in made[spans[1]])
    # the nodes a call made know it: the parameters are not copied
    assert graph.inputs["h0"] not in graph.calls and graph.inputs["x"] not in graph.calls


def test_calls_evaluate_like_the_inlined_program():
    W = [[0.5, -0.2], [0.1, 0.3]]
    U = [[1.0, 0.0, -1.0], [0.2, 0.2, 0.2]]
    inputs = {"Wh": W, "Wx": U, "h0": [0.1, -0.3], "x": [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]}
    called = evaluate(parse(CELL + "h1 = cell(h0, x[0])\nh2 = cell(h1, x[1])\nC = sum(h2)"), inputs)
    inline = evaluate(parse("h1 = tanh(Wh @ h0 + Wx @ x[0])\nh2 = tanh(Wh @ h1 + Wx @ x[1])\nC = sum(h2)"),
                      inputs)
    assert called.value == inline.value
    for name in inputs:
        np.testing.assert_array_equal(called.gradients()[name], inline.gradients()[name])


def test_scalar_functions_stay_scalar():
    graph = parse("f(a) = a*a + 1\ny = f(u) + f(v)")
    assert not graph.tensor
    ev = evaluate(graph, {"u": 2.0, "v": 3.0})
    assert ev.value == 15.0 and ev.gradients() == {"u": 4.0, "v": 6.0}
    assert type(ev.value) is float


def test_functions_calling_functions_and_reading_program_names():
    graph = parse("g(a) = a*w\nf(b) = g(b) + g(1)\ny = f(2)")
    ev = evaluate(graph, {"w": 3.0})
    assert ev.value == 9.0 and ev.gradients() == {"w": 3.0}
    assert list(graph.inputs) == ["w"]


def test_a_parameter_shadows_a_program_name():
    graph = parse("x = 10\nf(x) = x * 2\ny = f(3)")
    assert evaluate(graph, {}).value == 6.0


def test_a_function_without_parameters():
    graph = parse("f() = 2\ny = f() * a")
    assert evaluate(graph, {"a": 5.0}).value == 10.0


@pytest.mark.parametrize("src, cls, text, fragment", [
    ("f(a, b) = a*b\ny = f(1)", ProgramNameError, "f(1)", "takes 2 arguments, got 1"),
    ("f(a) = a\ny = f(1, 2)", ProgramNameError, "f(1, 2)", "takes 1 argument, got 2"),
    ("f(a) = a\nf(b) = b", ProgramNameError, "f", "defined twice"),
    ("pi(x) = x", ProgramNameError, "pi", "built-in constant"),
    ("f(a, a) = a", ProgramNameError, "f(a, a) =", "repeated"),
    ("f(a, pi) = a", ProgramNameError, "f(a, pi) =", "built-in name"),
    ("y = f(2)\nf(a) = a", ProgramNameError, "f", "unknown function 'f'"),
    ("f(a) = a\ny = f + 1", ProgramNameError, "f", "is a function"),
    ("f(a) = a\ny = 2 * f", ProgramNameError, "f", "is a function"),
    ("f(a) = a\nf = 2", ProgramNameError, "f", "cannot be assigned"),
    ("a = 1\na(x) = x", ProgramNameError, "a", "already a name"),
])
def test_function_errors(src, cls, text, fragment):
    with pytest.raises(cls) as info:
        parse(src)
    e = info.value
    assert e.exit_code == 2
    assert fragment in e.message, e.message
    # the caret is under the offending text on its line
    start = e.span[0]
    assert src[start:start + len(text)] == text, (src[slice(*e.span)], text)
    assert e.render().startswith("error: line ")


def test_an_error_inside_a_call_names_the_call():
    src = CELL + "h1 = cell(h0, x[0])"
    graph = parse(src)
    with pytest.raises(ShapeError) as info:
        forward(graph, {"Wh": [[1.0, 0.0], [0.0, 1.0]], "Wx": [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
                        "h0": [0.0, 0.0], "x": [[1.0, 2.0]]})
    e = info.value
    assert "in the call cell(h0, x[0])" in e.message and "Wx @ x" in e.message, e.message
    assert "inner sizes differ: 3 and 2" in e.message
    start = src.index("Wx @ x")
    assert tuple(e.span) == (start, start + len("Wx @ x"))  # the caret is on the body, in the definition


# --------------------------------------------------------------------------- shape errors


def test_shape_error_is_raised_before_any_value():
    """W @ x does not fit and log(y) is off its domain: the shape error comes first, no arithmetic is done."""
    src = "z = W @ x + log(y)"
    graph = parse(src)
    inputs = {"W": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x": [1.0, 2.0], "y": -1.0}
    with pytest.raises(ShapeError) as info:
        evaluate(graph, inputs)
    e = info.value
    assert not isinstance(e, MathDomainError)
    assert e.exit_code == 2 and e.kind == "shape"
    for fragment in ("matmul", "W @ x", "2×3", "2-vector", "inner sizes differ"):
        assert fragment in e.message, (fragment, e.message)
    assert_caret(e, src, "W @ x")
    assert e.details["op"] == "matmul" and e.details["shapes"] == [[2, 3], [2]]
    # with shapes that fit, the math error is what remains
    with pytest.raises(MathDomainError):
        evaluate(graph, {**inputs, "x": [1.0, 2.0, 3.0]})


@pytest.mark.parametrize("src, inputs, op, fragments", [
    ("x + y", {"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "y": [1.0, 2.0]}, "add", ["2×3", "2-vector", "broadcast"]),
    ("dot(u, v)", {"u": [1.0, 2.0], "v": [1.0, 2.0, 3.0]}, "dot", ["2-vector", "3-vector"]),
    ("sum(W, 2)", {"W": [[1.0, 2.0]]}, "sum", ["1×2", "axis 2"]),
    ("reshape(x, 4)", {"x": [1.0, 2.0, 3.0]}, "reshape", ["3-vector", "4-vector"]),
    ("concat(A, B)", {"A": [[1.0, 2.0]], "B": [[1.0, 2.0, 3.0]]}, "concat", ["1×2", "1×3"]),
    ("[u, v]", {"u": [1.0, 2.0], "v": [1.0, 2.0, 3.0]}, "stack", ["2-vector", "3-vector"]),
    ("A @ B", {"A": [[1.0, 2.0]], "B": [[1.0, 2.0]]}, "matmul", ["1×2", "inner sizes differ: 2 and 1"]),
])
def test_shape_errors_name_the_op_the_text_and_the_shapes(src, inputs, op, fragments):
    with pytest.raises(ShapeError) as info:
        forward(parse(src), inputs)
    e = info.value
    assert e.exit_code == 2
    assert f"in {op}" in e.message and src in e.message
    for fragment in fragments:
        assert fragment in e.message, (fragment, e.message)
    assert e.details["op"] == op


@pytest.mark.parametrize("src, inputs", [
    ("W @ s", {"W": [[1.0, 2.0]], "s": 2.0}),
    ("softmax(s)", {"s": 2.0}),
    ("s[0]", {"s": 2.0}),
])
def test_a_scalar_in_a_shape_error_is_called_a_scalar(src, inputs):
    """(ops._shape once printed a scalar's shape as an empty string: 's is : ...')"""
    with pytest.raises(ShapeError) as info:
        forward(parse(src), inputs)
    assert "s is scalar" in info.value.message, info.value.message


# --------------------------------------------------------------------------- parameters


def test_params_are_folded_into_the_node():
    for src, params in [("sum(x, 0)", {"axis": 0}), ("mean(W, -1)", {"axis": -1}),
                        ("logsumexp(Z, 1)", {"axis": 1}), ("reshape(x, 2, 3)", {"shape": (2, 3)}),
                        ("reshape(x, -1)", {"shape": (-1,)}), ("onehot(r, 4)", {"n": 4})]:
        graph = parse(src)
        assert graph.params == {graph.output: params}, src
        assert "const" not in ops_of(graph), src
    assert parse("sum(x)").params == {}


@pytest.mark.parametrize("src, text", [
    ("y = sum(x, 1.5)", "1.5"),
    ("y = sum(x, a)", "a"),
    ("y = mean(x, 2*1)", "2*1"),
    ("y = reshape(x, 2, b)", "b"),
    ("y = onehot(r, n)", "n"),
])
def test_params_must_be_integer_literals(src, text):
    with pytest.raises(ProgramSyntaxError) as info:
        parse(src)
    e = info.value
    assert e.exit_code == 2
    name = {"sum": "axis", "mean": "axis", "reshape": "shape", "onehot": "n"}[src[4:src.index("(")]]
    assert f"'s {name} must be an integer" in e.message, e.message
    assert_caret(e, src, text, last=True)


@pytest.mark.parametrize("src, fragment", [
    ("sum(x, 0, 1)", "sum() takes 1 to 2 arguments, got 3 (axis: integer)"),
    ("sum()", "sum() takes 1 to 2 arguments, got 0"),
    ("reshape(x)", "reshape() takes 2 to 9 arguments, got 1 (shape: integers)"),
    ("onehot(r)", "onehot() takes 2 arguments, got 1"),
    ("transpose(a, b)", "transpose() takes 1 argument, got 2"),
    ("concat()", "concat() takes at least 1 argument, got 0 (axis: integer)"),
])
def test_tensor_function_argument_counts(src, fragment):
    with pytest.raises(ProgramNameError) as info:
        parse(src)
    assert info.value.exit_code == 2
    assert fragment in info.value.message, info.value.message


@pytest.mark.parametrize("n", [-1, 0])
def test_onehot_size_must_be_positive(n):
    with pytest.raises(CgradError) as info:
        forward(parse(f"onehot(r, {n})"), {"r": 0.0})
    assert info.value.exit_code == 2 and not isinstance(info.value, InputError)


# --------------------------------------------------------------------------- through the command line


@pytest.mark.parametrize("args, first, caret", [
    (["y = [[1, 2], [3]] * a", "--a", "1"], "error: line 1, column 5: the rows of an array", "^" * 13),
    (["z = W @ x + log(y)", "--W", "[[1,2,3],[4,5,6]]", "--x", "[1,2]", "--y", "-1"],
     "error: line 1, column 5: shapes do not fit in matmul: W is 2×3, x is 2-vector", "^" * 5),
    (["C = x[r]", "--x", "[1,2]", "--r", "5"], "error: line 1, column 5: index 5 is out of range", "^" * 4),
    (["y = sum(x, 1.5)", "--x", "[1,2]"], "error: line 1, column 12: sum()'s axis must be an integer", "^" * 3),
])
def test_tensor_errors_exit_2_with_a_caret(args, first, caret):
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run([sys.executable, "-m", "cgrad_cli", "eval", *args], capture_output=True, text=True,
                            encoding="utf-8", cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(first), lines[0]
    assert lines[1] == "  " + args[0]
    assert lines[2].strip() == caret


@pytest.mark.parametrize("src, inputs, fragment", [
    ("y = sum(log(x - 1))", {"x": [2.0, 3.0, 0.5, 4.0]}, "(first at [2]: x - 1 = -0.5)"),
    ("y = sum(W / v)", {"W": [[1.0, 2.0], [3.0, 4.0]], "v": [1.0, 0.0]}, "(first at [0, 1]: W = 2, v = 0)"),
    ("y = sum(exp(x))", {"x": [1.0, 1000.0]}, "(first at [1]: x = 1000)"),
])
def test_a_math_error_over_an_array_names_the_first_bad_element(src, inputs, fragment):
    with pytest.raises(MathDomainError) as info:
        forward(parse(src), inputs)
    assert info.value.exit_code == 3 and fragment in info.value.message, info.value.message


def test_a_users_definition_shadows_a_builtin_as_in_python():
    """Ported code names values and functions like built-ins: `dot = w*x`, an RNN's `step(h)`."""
    graph = parse("dot = w*x\ny = dot + sum(dot)")
    assert evaluate(graph, {"w": 2.0, "x": 3.0}).value == 12.0
    graph = parse("step(h) = tanh(W @ h)\nh1 = step(h0)\nh2 = step(h1)\nC = sum(h2)")
    ev = evaluate(graph, {"W": [[0.5, 0.1], [0.2, 0.3]], "h0": [1.0, -1.0]})
    assert [op.name for op in graph.ops].count("tanh") == 2
    assert len(ev.uses(graph.inputs["W"])) == 2
    graph = parse("f(x, exp) = x*exp\ny = f(2, 3) + exp(0)")  # a parameter shadows inside the body only
    assert evaluate(graph, {}).value == 7.0
    with pytest.raises(ProgramNameError) as info:
        parse("dot = w*x\ny = dot(u, v)")
    assert "'dot' is a value here (assigned at line 1, column 1)" in info.value.message
