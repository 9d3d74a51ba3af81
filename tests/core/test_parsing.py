"""Tests for cgrad_cli/core/parsing.py: program text -> Graph (the tape), and the errors a bad program gets."""
from __future__ import annotations

import math
import time

import pytest

from cgrad_cli import CgradError, evaluate, parse
from cgrad_cli.errors import InputError, MathDomainError, ProgramNameError, ProgramSyntaxError


def value(src: str, **inputs) -> float:
    return evaluate(parse(src), inputs).value


def grads(src: str, **inputs) -> dict:
    return evaluate(parse(src), inputs).gradients()


def out_op(graph) -> str:
    return graph.ops[graph.output].name


def assert_error(src: str, cls, line: int, column: int, *, code: int = 2, caret_len: int | None = None):
    """parse(src) raises `cls` with this exit code, pointing at (line, column), with the line and a caret."""
    with pytest.raises(cls) as info:
        parse(src)
    e = info.value
    assert isinstance(e, CgradError)
    assert e.exit_code == code
    assert e.position == (line, column)
    rendered = e.render().splitlines()
    assert rendered[0].startswith(f"error: line {line}, column {column}: ")
    source_line = src.split("\n")[line - 1].rstrip("\r")
    assert rendered[1] == "  " + source_line
    caret = rendered[2]
    assert caret.strip(" ").strip("^") == "" and "^" in caret
    assert caret.index("^") == 2 + column - 1
    if caret_len is not None:
        assert caret.count("^") == caret_len
    doc = e.to_json()["error"]
    assert doc["exit_code"] == code
    assert doc["line"] == line and doc["column"] == column
    assert doc["kind"] == cls.kind
    return e


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("text, expected", [
    ("2", 2.0), ("2.5", 2.5), (".5", 0.5), ("1e-3", 0.001), ("1E3", 1000.0), ("2.", 2.0), ("1.5e+2", 150.0),
    ("0", 0.0), ("007", 7.0),
])
def test_numbers_are_floats(text, expected):
    g = parse(text)
    assert out_op(g) == "const"
    assert g.inputs == {}
    c = g.consts[g.output]
    assert type(c) is float and c == expected
    ev = evaluate(g, {})
    assert type(ev.value) is float and ev.value == expected
    assert ev.gradients() == {}


def test_integer_literals_compute_in_float():
    assert value("7/2") == 3.5
    assert type(value("2*3")) is float


def test_negative_literal_is_a_literal():
    g = parse("-2")
    assert out_op(g) == "const" and g.consts[g.output] == -2.0
    assert value("--2") == 2.0
    assert value("-(2)") == -2.0


def test_number_too_big_is_a_math_error():
    e = assert_error("1e999", MathDomainError, 1, 1, code=3, caret_len=5)
    assert "1e999" in e.message
    e = assert_error("a = 1\nb = a * 1e999", MathDomainError, 2, 9, code=3)
    assert e.exit_code == 3


def test_tiny_number_underflows_to_zero():
    assert value("1e-999") == 0.0


# --------------------------------------------------------------------------- names


def test_unicode_names():
    g = parse("ŷ = θ * x_1 + x_1")
    assert list(g.inputs) == ["θ", "x_1"]
    assert "ŷ" in g.named and g.names[g.output] == "ŷ"
    ev = evaluate(g, {"θ": 2, "x_1": 3})
    assert ev.value == 9.0
    assert ev.gradients() == {"θ": 3.0, "x_1": 3.0}


def test_combining_circumflex_is_the_same_name():
    decomposed = "y\u0302"
    assert decomposed != "ŷ"
    # assigned precomposed, used decomposed: one name, no inputs
    g = parse("ŷ = 2\n" + decomposed + " * 3")
    assert g.inputs == {}
    assert evaluate(g, {}).value == 6.0
    # assigned decomposed, used precomposed
    g = parse(decomposed + " = θ + 1\nŷ * 2")
    assert list(g.inputs) == ["θ"] and list(g.named) == ["θ", "ŷ"]
    # an input typed decomposed is looked up precomposed
    g = parse(decomposed + " ^ 2")
    assert list(g.inputs) == ["ŷ"]
    assert evaluate(g, {"ŷ": 3}).gradients() == {"ŷ": 6.0}


def test_names_with_digits_and_underscores():
    g = parse("_a1 = b_2 + c3d")
    assert list(g.inputs) == ["b_2", "c3d"]
    assert "_a1" in g.named


def test_e_is_an_ordinary_name_not_a_constant():
    g = parse("e")
    assert list(g.inputs) == ["e"]
    assert evaluate(g, {"e": 5}).value == 5.0
    assert value("2*e", e=1) == 2.0
    # and it can be assigned (the lecture's e = (a+b)*(b+1))
    g = parse("e = (a+b)*(b+1)")
    assert g.names[g.output] == "e"
    assert value("exp(1)") == pytest.approx(math.e)


def test_pi_is_a_constant():
    g = parse("pi")
    assert g.inputs == {} and out_op(g) == "const"
    assert value("pi") == math.pi
    assert value("2*pi*r", r=1) == pytest.approx(2 * math.pi)
    assert grads("pi*r^2", r=2) == {"r": pytest.approx(4 * math.pi)}


# --------------------------------------------------------------------------- separators and comments


def test_comments_separators_and_blank_lines():
    src = """# the lecture, spread out

a = 2   # a comment after a statement
b = 1 ; c = a + b;d = b + 1

# another comment
e = c * d   # the output
"""
    g = parse(src)
    assert g.inputs == {}
    assert g.names[g.output] == "e"
    assert evaluate(g, {}).value == 6.0


def test_crlf_and_leading_trailing_separators():
    assert value("\r\n;;\r\na = 2\r\n\r\nb = a*3;\r\n;\n") == 6.0
    assert value(";;; x ;;;", x=4) == 4.0
    assert value("\n\n\tx\t\n", x=4) == 4.0


def test_comment_only_program_is_empty():
    with pytest.raises(ProgramSyntaxError) as info:
        parse("# nothing here\n\n  # nor here\n")
    assert info.value.exit_code == 2
    assert "empty" in info.value.message


@pytest.mark.parametrize("src", ["", "   ", "\n\n", ";", ";\n;"])
def test_empty_program(src):
    with pytest.raises(ProgramSyntaxError) as info:
        parse(src)
    e = info.value
    assert e.exit_code == 2
    assert "empty" in e.message
    assert e.render().startswith("error: ")
    assert e.to_json()["error"]["kind"] == "syntax"


# --------------------------------------------------------------------------- precedence and associativity


def test_unary_minus_binds_looser_than_power():
    g = parse("-x^2")
    assert out_op(g) == "neg"
    assert g.ops[g.args[g.output][0]].name == "pow"
    assert value("-x^2", x=3) == -9.0
    assert grads("-x^2", x=3) == {"x": -6.0}
    assert value("-2^2") == -4.0
    assert value("(-2)^2") == 4.0


def test_power_of_negative_exponent():
    assert value("2^-1") == 0.5
    assert value("2^-x", x=1) == 0.5
    assert value("2**-2") == 0.25
    assert value("2^--1") == 2.0


def test_power_is_right_associative():
    assert value("2^3^2") == 512.0
    assert value("(2^3)^2") == 64.0
    assert value("2^-1^2") == 0.5  # 2^(-(1^2))


def test_double_star_is_power():
    assert value("2**3**2") == 512.0
    assert value("2**3^2") == 512.0
    assert value("-x**2", x=3) == -9.0
    assert grads("x**3", x=2) == {"x": 12.0}
    assert out_op(parse("x**2")) == "pow"


def test_minus_is_left_associative():
    assert value("a-b-c", a=1, b=2, c=3) == -4.0
    assert grads("a-b-c", a=1, b=2, c=3) == {"a": 1.0, "b": -1.0, "c": -1.0}
    assert value("10-4+3") == 9.0


def test_divide_is_left_associative():
    assert value("a/b/c", a=8, b=4, c=2) == 1.0
    assert value("8/4*2") == 4.0
    assert grads("a/b/c", a=8, b=4, c=2) == {
        "a": pytest.approx(1 / 8), "b": pytest.approx(-8 / (4 ** 2 * 2)), "c": pytest.approx(-8 / (4 * 2 ** 2))}


def test_product_binds_tighter_than_sum():
    assert value("1 + 2 * 3") == 7.0
    assert value("(1 + 2) * 3") == 9.0
    assert value("2 * 3 ^ 2") == 18.0
    assert value("-2 * 3") == -6.0
    assert value("a * -b", a=2, b=3) == -6.0


def test_unary_plus():
    g = parse("+x")
    assert g.output == g.inputs["x"]  # no node of its own
    assert value("+x", x=2) == 2.0
    assert value("-+-x", x=2) == 2.0
    assert value("+-+x", x=2) == -2.0
    assert value("a - +b", a=5, b=2) == 3.0
    assert grads("+-x", x=2) == {"x": -1.0}


# --------------------------------------------------------------------------- functions


def test_ln_is_log():
    g = parse("ln(x)")
    assert out_op(g) == "log"
    assert value("ln(x)", x=math.e) == pytest.approx(1.0)
    assert grads("ln(x)", x=4) == grads("log(x)", x=4) == {"x": 0.25}


def test_pow_min_max_functions():
    assert out_op(parse("pow(x, y)")) == "pow"
    assert value("pow(x, y)", x=2, y=3) == 8.0
    assert value("pow(2, 3)^2") == 64.0
    assert grads("pow(x, 3)", x=2) == {"x": 12.0}
    assert value("min(a, b)", a=1, b=2) == 1.0
    assert value("max(a, b)", a=1, b=2) == 2.0
    assert grads("max(a, b)", a=1, b=2) == {"a": 0.0, "b": 1.0}
    assert grads("min(a, b)", a=1, b=2) == {"a": 1.0, "b": 0.0}
    assert value("max(min(1, 2), -3)") == 1.0


def test_nested_calls_and_whitespace():
    assert value("sin ( cos( 0 ) - 1 )") == 0.0
    assert value("exp(log(x))", x=3) == pytest.approx(3.0)


# --------------------------------------------------------------------------- statements and the output


def test_last_statement_is_the_output():
    g = parse("a = x + 1\nb = a * 2\nc = b - 3")
    assert g.names[g.output] == "c"
    assert evaluate(g, {"x": 1}).value == 1.0
    g = parse("c = x\nb = c*2\na = b+1")  # the last statement, not the last name alphabetically
    assert g.names[g.output] == "a"


def test_bare_expression_is_the_output():
    g = parse("a = 1\nb = 2\na + b")
    assert g.names[g.output] is None
    assert out_op(g) == "add"
    assert evaluate(g, {}).value == 3.0
    # a bare expression in the middle is computed but is not the output
    g = parse("x * 100\ny = x + 1")
    assert g.names[g.output] == "y"
    assert evaluate(g, {"x": 1}).value == 2.0


def test_alias_gets_its_own_node():
    g = parse("c = a + b\nd = c")
    c, d = g.named["c"], g.named["d"]
    assert c != d
    assert g.ops[d].name == "copy" and g.args[d] == (c,)
    assert g.names[c] == "c" and g.names[d] == "d"
    assert g.output == d
    ev = evaluate(g, {"a": 1, "b": 2})
    assert ev.value == 3.0
    assert ev.grads[d] == 1.0 and ev.grads[c] == 1.0
    assert ev.gradients() == {"a": 1.0, "b": 1.0}
    assert ev.gradients(["c", "d"]) == {"c": 1.0, "d": 1.0}


def test_alias_of_an_input_gets_its_own_node():
    g = parse("y = x")
    y, x = g.named["y"], g.inputs["x"]
    assert y != x and g.ops[y].name == "copy"
    assert evaluate(g, {"x": 4}).gradients() == {"x": 1.0}


def test_assigning_an_expression_names_its_node():
    g = parse("c = a + b")
    assert len(g) == 3  # a, b, c: no extra copy node
    assert g.names[g.named["c"]] == "c"


def test_parenthesised_name_is_the_same_node():
    g = parse("y = (((x)))")
    assert g.ops[g.output].name == "copy" and g.args[g.output] == (g.inputs["x"],)


# --------------------------------------------------------------------------- name errors


def test_assigning_twice():
    e = assert_error("x = 1\ny = x + 1\nx = 2", ProgramNameError, 3, 1, caret_len=1)
    assert "assigned twice" in e.message and "first at line 1," in e.message
    assert e.hint


def test_assigning_twice_names_where_the_name_was_first_assigned():
    # The message's "first at line L, column C" should point at the first `x =`, i.e. column 1 here.
    # cgrad reports the start of the first *value* instead: column 5 for `x = 1`, column 6 for `x = (a+b)`.
    e = assert_error("x = 1\nx = 2", ProgramNameError, 2, 1)
    assert "first at line 1, column 1)" in e.message
    e = assert_error("x = (a+b)\nx = 2", ProgramNameError, 2, 1)
    assert "first at line 1, column 1)" in e.message


def test_assigning_a_name_already_used_as_input():
    e = assert_error("y = x + 1\nx = 2", ProgramNameError, 2, 1)
    assert "input" in e.message and "line 1, column 5" in e.message


def test_assigning_to_the_builtin_constant():
    e = assert_error("pi = 3.14", ProgramNameError, 1, 1, caret_len=2)
    assert "'pi'" in e.message and "constant" in e.message


@pytest.mark.parametrize("src, name, column", [
    ("sin = 2; y = sin(1)", "sin", 14), ("a = 1; exp = a; b = exp(a)", "exp", 21), ("ln = 3\ny = ln(2)", "ln", 5),
])
def test_a_value_named_like_a_function_shadows_it(src, name, column):
    """As in Python: `sin = 2` is allowed, and sin is the value from then on; calling it says so."""
    line = src[:src.index(name + "(")].count("\n") + 1
    e = assert_error(src, ProgramNameError, line, column, caret_len=len(name))
    assert f"'{name}' is a value here" in e.message


def test_unknown_function_with_did_you_mean():
    e = assert_error("y = 1\nz = sinn(y)", ProgramNameError, 2, 5, caret_len=4)
    assert "unknown function 'sinn'" in e.message
    assert e.hint == "did you mean 'sin'?"
    e = assert_error("sqr(4)", ProgramNameError, 1, 1)
    assert "sqrt" in e.hint


def test_unknown_function_without_close_match_lists_functions():
    e = assert_error("zzzzzz(1)", ProgramNameError, 1, 1)
    assert "sin" in e.hint and "exp" in e.hint


def test_calling_a_variable_or_constant():
    assert_error("a = 1\nb = a(2)", ProgramNameError, 2, 5)
    assert_error("pi(2)", ProgramNameError, 1, 1)
    assert_error("e(2)", ProgramNameError, 1, 1)


@pytest.mark.parametrize("src, message", [
    ("sin(1, 2)", "sin() takes 1 argument, got 2"),
    ("sin()", "sin() takes 1 argument, got 0"),
    ("max(1, 2, 3)", "max() takes 2 arguments, got 3"),
    ("pow(1, 2, 3)", "pow() takes 2 arguments, got 3"),
    ("min()", "min() takes 2 arguments, got 0"),
])
def test_wrong_arity(src, message):
    e = assert_error("x = 1\ny = " + src, ProgramNameError, 2, 5, caret_len=len(src))
    assert e.message == message


@pytest.mark.parametrize("src, column", [("y = exp + 1", 5), ("sin", 1), ("2 * log", 5), ("ln^2", 1)])
def test_function_name_used_as_variable(src, column):
    e = assert_error(src, ProgramNameError, 1, column)
    assert "is a function" in e.message


# --------------------------------------------------------------------------- syntax errors


@pytest.mark.parametrize("src, line, column, hint", [
    ("2x", 1, 2, "2*x"),
    ("y = 1\nz = 2(y+1)", 2, 6, "2*("),
    ("(a)(b)", 1, 4, "*"),
    ("a b", 1, 3, "a*b"),
    ("3 sin(x)", 1, 3, "3*sin"),
])
def test_implicit_multiplication_has_a_hint(src, line, column, hint):
    e = assert_error(src, ProgramSyntaxError, line, column)
    assert "implicit multiplication" in e.hint and hint in e.hint


@pytest.mark.parametrize("src, line, column, char", [
    ("a = 3 $ 4", 1, 7, "$"),
    ("x = 1\ny = x!", 2, 6, "!"),
    ("y = {1, 2}", 1, 5, "{"),
    ("y = a ~ b", 1, 7, "~"),
    ("y = a & b", 1, 7, "&"),
    ("y = 'a'", 1, 5, "'"),
])
def test_unexpected_character(src, line, column, char):
    e = assert_error(src, ProgramSyntaxError, line, column, caret_len=1)
    assert repr(char) in e.message
    assert e.hint


def test_unexpected_character_hints():
    with pytest.raises(ProgramSyntaxError) as info:
        parse("x!")
    assert "factorial" in info.value.hint
    with pytest.raises(ProgramSyntaxError) as info:
        parse("{1, 2}")
    assert "names are letters" in info.value.hint


def test_brackets_and_at_are_tensor_syntax_now():
    """`[` and `@` used to be unexpected characters; they are array literals, indexing and matmul."""
    assert out_op(parse("[1, 2]")) == "const"
    assert out_op(parse("y = a @ b")) == "matmul"
    assert out_op(parse("y = x[0]")) == "getitem"


@pytest.mark.parametrize("src, line, column", [
    ("x = (1+", 1, 8), ("x = ", 1, 5), ("y = sin(", 1, 9), ("a = 1\nb = a *", 2, 8), ("2^", 1, 3),
])
def test_unexpected_end(src, line, column):
    e = assert_error(src, ProgramSyntaxError, line, column)
    assert "ends too early" in e.message
    assert e.hint.startswith("expected ")


@pytest.mark.parametrize("src, line, column", [
    ("x = )", 1, 5), ("a = 1\n= 2", 2, 1), ("a = (b", 1, 7), ("x + * y", 1, 5), ("f(1,)", 1, 5),
    ("a = b = c", 1, 7), ("1 = x", 1, 3), ("x = 1 +\n2", 1, 8),
])
def test_unexpected_token(src, line, column):
    e = assert_error(src, ProgramSyntaxError, line, column)
    assert e.message.startswith("unexpected ") or "ends too early" in e.message


def test_syntax_errors_on_later_lines_point_there():
    src = "a = 1\n\n# comment\nb = a +* 2\n"
    e = assert_error(src, ProgramSyntaxError, 4, 8)
    assert e.to_json()["error"]["span"] == [src.index("*"), src.index("*") + 1]


def test_errors_carry_their_source():
    with pytest.raises(CgradError) as info:
        parse("a = 1\nb = 2x")
    e = info.value
    assert e.source == "a = 1\nb = 2x"
    assert e.span == (11, 12)


# --------------------------------------------------------------------------- deep nesting and long programs

N = 100_000


def test_deeply_nested_parentheses():
    src = "(" * N + "x" + ")" * N
    g = parse(src)
    assert len(g) == 1 and g.output == g.inputs["x"]
    ev = evaluate(g, {"x": 2})
    assert ev.value == 2.0 and ev.gradients() == {"x": 1.0}


def test_deeply_nested_parentheses_around_an_operation():
    src = "(" * N + "x*x" + ")" * N + " + 1"
    ev = evaluate(parse(src), {"x": 3})
    assert ev.value == 10.0 and ev.gradients() == {"x": 6.0}


def test_deep_chain_of_unary_minus():
    g = parse("-" * N + "x")
    assert len(g) == N + 1
    ev = evaluate(g, {"x": 2})
    assert ev.value == 2.0 and ev.gradients() == {"x": 1.0}  # N is even
    ev = evaluate(parse("-" * (N + 1) + "x"), {"x": 2})
    assert ev.value == -2.0 and ev.gradients() == {"x": -1.0}


def test_deep_chain_of_unary_minus_on_a_literal_folds():
    g = parse("-" * (N + 1) + "2")
    assert len(g) == 1
    assert evaluate(g, {}).value == -2.0


def test_deep_chain_of_mixed_unary_signs_inside_parentheses():
    src = "(-+" * (N // 2) + "x" + ")" * (N // 2)
    ev = evaluate(parse(src), {"x": 1.5})
    assert ev.value == 1.5 and ev.gradients() == {"x": 1.0}


def test_deeply_nested_sin_calls():
    src = "sin(" * N + "x" + ")" * N
    g = parse(src)
    assert len(g) == N + 1
    ev = evaluate(g, {"x": 0.5})
    x, d = 0.5, 1.0
    for _ in range(N):
        d *= math.cos(x)
        x = math.sin(x)
    assert ev.value == pytest.approx(x, rel=1e-12)
    assert ev.gradients()["x"] == pytest.approx(d, rel=1e-9)


def test_deeply_nested_error_is_reported_without_recursion():
    with pytest.raises(ProgramSyntaxError) as info:
        parse("(" * N + "x")
    assert info.value.exit_code == 2
    assert info.value.render()
    with pytest.raises(MathDomainError) as info:
        evaluate(parse("log(" * N + "x" + ")" * N), {"x": 0.5})
    e = info.value
    assert e.exit_code == 3
    assert e.render() and e.to_json()


def test_right_assoc_power_chain_is_deep():
    src = "x" + "^x" * N
    ev = evaluate(parse(src), {"x": 1})
    assert ev.value == 1.0 and ev.gradients() == {"x": 1.0}


def test_200000_statements():
    n = 200_000
    src = "s0 = x\n" + "\n".join(f"s{i} = s{i - 1} + 1" for i in range(1, n))
    t = time.perf_counter()
    g = parse(src)
    assert g.names[g.output] == f"s{n - 1}"
    ev = evaluate(g, {"x": 1})
    assert ev.value == float(n)
    assert ev.gradients() == {"x": 1.0}
    assert time.perf_counter() - t < 120  # linear, not quadratic: a few seconds


def test_long_sum_on_one_line():
    n = 100_000
    ev = evaluate(parse("+".join(["x"] * n)), {"x": 1})
    assert ev.value == n and ev.gradients() == {"x": float(n)}
    assert ev.paths[ev.graph.inputs["x"]] == n


# --------------------------------------------------------------------------- spans, lines and columns


def test_spans_on_a_multiline_program():
    src = "a = 1\n# a comment\nb = a * (c + 2)\n  d = sin(b)\n"
    g = parse(src)

    def where(i):
        start, end = g.spans[i]
        return g.line_col(start), src[start:end]

    c = g.inputs["c"]
    assert where(c) == ((3, 10), "c")
    b = g.named["b"]
    assert g.ops[b].name == "mul"
    assert where(b) == ((3, 5), "a * (c + 2)")
    plus = g.args[b][1]
    assert g.ops[plus].name == "add"
    assert where(plus) == ((3, 10), "c + 2")
    d = g.named["d"]
    assert where(d) == ((4, 7), "sin(b)")
    assert where(g.named["a"]) == ((1, 5), "1")
    assert g.text(b) == "a * (c + 2)"
    assert g.label(b) == "b" and g.label(plus) == "c + 2"


def test_spans_with_crlf_and_tabs():
    src = "a = 1\r\n\tb = a ^ x\r\n"
    g = parse(src)
    start, end = g.spans[g.named["b"]]
    assert src[start:end] == "a ^ x"
    assert g.line_col(start) == (2, 6)
    assert g.line_col(g.spans[g.inputs["x"]][0]) == (2, 10)


def test_span_of_a_negative_literal_and_of_a_call():
    src = "y = -2 * sin( x )"
    g = parse(src)
    mul = g.output
    lit, call = g.args[mul]
    assert src.__getitem__(slice(*g.spans[lit])) == "-2"
    assert src.__getitem__(slice(*g.spans[call])) == "sin( x )"
    assert src.__getitem__(slice(*g.spans[mul])) == "-2 * sin( x )"


def test_input_span_is_its_first_use():
    src = "a = 1\nb = x + a\nc = x * b"
    g = parse(src)
    assert g.line_col(g.spans[g.inputs["x"]][0]) == (2, 5)


def test_math_error_position_on_a_multiline_program():
    src = "a = x - 1\n\nb = log(a)\nc = b * 2"
    with pytest.raises(MathDomainError) as info:
        evaluate(parse(src), {"x": 1})
    e = info.value
    assert e.position == (3, 5)
    lines = e.render().splitlines()
    assert lines[1] == "  b = log(a)"
    assert lines[2] == "      ^^^^^^"


def test_kink_warning_has_line_and_column():
    ev = evaluate(parse("a = x\n\nb = 2 * relu(a)"), {"x": 0})
    assert len(ev.warnings) == 1
    node, message = ev.warnings[0]
    assert ev.graph.ops[node].name == "relu"
    assert "line 3, column 9" in message


def test_input_error_is_not_a_parse_error():
    g = parse("x + y")
    with pytest.raises(InputError):
        evaluate(g, {"x": 1})


def test_an_error_far_into_a_long_program_points_there():
    """The lexer reads a stretch of lines at a time: an error many stretches in still has its line and column."""
    src = "".join(f"x{i} = {i} + 1  # note\n" for i in range(20_000)) + "y = (x1 +\n"
    assert len(src) > 10 * 2**15
    assert_error(src, ProgramSyntaxError, 20_001, 10)  # the newline after the +
    g = parse(src.replace("y = (x1 +\n", "y = x19999 * 2"))
    assert g.names[g.output] == "y" and g.text(g.output) == "x19999 * 2"
