"""Tests for cgrad_cli/core/autodiff.py: forward values, reverse-mode gradients, kinks and domain errors."""
from __future__ import annotations

import math
import time

import pytest
from samples import points

from cgrad_cli import CgradError, evaluate, parse
from cgrad_cli.core.autodiff import backward, bind_constants, forward
from cgrad_cli.core.ops import NUMERIC, OPS
from cgrad_cli.errors import InputError, MathDomainError, ProgramNameError

LECTURE = "e = (a+b)*(b+1)"
LECTURE_STEPS = "c = a+b; d = b+1; e = c*d"


def ev_of(src: str, output=None, wrt=None, **inputs):
    return evaluate(parse(src), inputs, output=output, wrt=wrt)


def grads(src: str, **inputs) -> dict:
    return ev_of(src, **inputs).gradients()


def domain_error(src: str, **inputs) -> MathDomainError:
    with pytest.raises(MathDomainError) as info:
        ev_of(src, **inputs)
    e = info.value
    assert e.exit_code == 3
    assert e.to_json()["error"]["kind"] == "math"
    assert e.render().startswith("error: line ")
    return e


# --------------------------------------------------------------------------- the lecture


@pytest.mark.parametrize("src", [LECTURE, LECTURE_STEPS, "c = a+b\nd = b+1\ne = c*d", "(a+b)*(b+1)"])
def test_lecture_value_and_gradients(src):
    ev = ev_of(src, a=2, b=1)
    assert ev.value == 6.0
    assert ev.gradients() == {"a": 2.0, "b": 5.0}


def test_lecture_paths():
    ev = ev_of(LECTURE, a=2, b=1)
    g = ev.graph
    assert ev.paths[g.inputs["b"]] == 2  # e <- c <- b and e <- d <- b
    assert ev.paths[g.inputs["a"]] == 1
    assert ev.paths[ev.output] == 1


def test_lecture_local_derivatives():
    ev = ev_of(LECTURE_STEPS, a=2, b=1)
    g = ev.graph
    c, d, e = g.named["c"], g.named["d"], g.named["e"]
    assert g.args[e] == (c, d)
    assert list(ev.local[e]) == [2.0, 3.0]  # ∂e/∂c = d = 2, ∂e/∂d = c = 3
    assert list(ev.local[c]) == [1.0, 1.0]  # ∂c/∂a, ∂c/∂b
    assert list(ev.local[d]) == [1.0, None]  # ∂d/∂b; the literal 1 has no derivative
    assert ev.values[c] == 3.0 and ev.values[d] == 2.0 and ev.value == 6.0
    assert ev.grads[c] == 2.0 and ev.grads[d] == 3.0 and ev.grads[e] == 1.0
    assert ev.gradients(["c", "d", "e"]) == {"c": 2.0, "d": 3.0, "e": 1.0}
    # chain rule: ∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b
    assert ev.grads[g.inputs["b"]] == ev.local[e][0] * ev.local[c][1] + ev.local[e][1] * ev.local[d][0]
    assert ev.warnings == []


def test_output_picks_an_intermediate():
    ev = ev_of(LECTURE_STEPS, output="c", a=2, b=1)
    assert ev.value == 3.0
    assert ev.output_name == "c"
    assert ev.gradients() == {"a": 1.0, "b": 1.0}
    g = ev.graph
    assert ev.grads[g.named["e"]] == 0.0 and ev.grads[g.named["d"]] == 0.0
    assert not ev.reached[g.named["d"]]
    ev = ev_of(LECTURE_STEPS, output="d", a=2, b=1)
    assert ev.value == 2.0 and ev.gradients() == {"a": 0.0, "b": 1.0}


def test_output_can_be_an_input():
    ev = ev_of(LECTURE_STEPS, output="a", a=2, b=1)
    assert ev.value == 2.0 and ev.gradients() == {"a": 1.0, "b": 0.0}


def test_wrt_filters():
    ev = ev_of(LECTURE_STEPS, wrt=["b"], a=2, b=1)
    assert ev.gradients(["b"]) == {"b": 5.0}
    assert ev.gradients(["d", "a"]) == {"d": 3.0, "a": 2.0}


@pytest.mark.parametrize("kw", [{"output": "f"}, {"wrt": ["a", "bb"]}, {"output": "E"}])
def test_unknown_output_or_wrt_name(kw):
    with pytest.raises(ProgramNameError) as info:
        ev_of(LECTURE_STEPS, a=2, b=1, **kw)
    e = info.value
    assert e.exit_code == 2
    assert e.hint  # did-you-mean or the list of names
    assert e.render().startswith("error: ")


def test_unknown_wrt_name_suggests():
    with pytest.raises(ProgramNameError) as info:
        ev_of(LECTURE_STEPS, wrt=["bb"], a=2, b=1)
    assert "did you mean 'b'?" == info.value.hint


# --------------------------------------------------------------------------- parameter sharing


@pytest.mark.parametrize("x", [-1.5, -0.3, 0.0, 0.5, 1.2])
def test_parameter_sharing_closed_form(x):
    ev = ev_of("y = x*exp(x^2)", x=x)
    assert ev.value == pytest.approx(x * math.exp(x * x))
    assert ev.gradients()["x"] == pytest.approx(math.exp(x * x) * (1 + 2 * x * x), rel=1e-12)
    assert ev.paths[ev.graph.inputs["x"]] == 2


@pytest.mark.parametrize("x", [-2.0, 0.0, 0.7, 3.0])
def test_variable_used_three_times(x):
    ev = ev_of("x*x*x", x=x)
    assert ev.value == pytest.approx(x ** 3)
    assert ev.gradients()["x"] == pytest.approx(3 * x * x)
    assert ev.paths[ev.graph.inputs["x"]] == 3
    ev = ev_of("x + x*x + sin(x)", x=x)
    assert ev.gradients()["x"] == pytest.approx(1 + 2 * x + math.cos(x))
    assert ev.paths[ev.graph.inputs["x"]] == 4


def test_same_node_twice_as_arguments():
    ev = ev_of("y = x\nz = y*y", x=3)
    assert ev.gradients() == {"x": 6.0}
    assert list(ev.local[ev.output]) == [3.0, 3.0]
    assert ev.grads[ev.graph.named["y"]] == 6.0


def test_fan_out_through_assignments():
    src = "u = x^2\nv = sin(u)\nw = u * v + u\n"
    x = 0.8
    u = x * x
    ev = ev_of(src, x=x)
    assert ev.gradients()["x"] == pytest.approx((math.sin(u) + u * math.cos(u) + 1) * 2 * x)


def test_paths_can_be_astronomical():
    # each statement doubles the number of paths: 2^1100 paths overflow an int-to-float count but not cgrad
    src = "s0 = x\n" + "\n".join(f"s{i} = s{i - 1} + s{i - 1}" for i in range(1, 40))
    ev = ev_of(src, x=1)
    assert ev.value == 2.0 ** 39
    assert ev.gradients() == {"x": 2.0 ** 39}
    assert ev.paths[ev.graph.inputs["x"]] == 2.0 ** 39


# --------------------------------------------------------------------------- kinks


def _kink_warning(ev, op):
    assert len(ev.warnings) == 1, ev.warnings
    node, message = ev.warnings[0]
    assert ev.graph.ops[node].name == op
    assert "kink" in message
    return message


def test_relu_at_zero():
    ev = ev_of("relu(x)", x=0)
    assert ev.value == 0.0 and ev.gradients() == {"x": 0.0}
    assert "relu'(0) = 0" in _kink_warning(ev, "relu")
    assert ev_of("relu(x)", x=1e-9).gradients() == {"x": 1.0}
    assert ev_of("relu(x)", x=-1e-9).gradients() == {"x": 0.0}
    assert ev_of("relu(x)", x=1).warnings == []


def test_abs_at_zero():
    ev = ev_of("abs(x)", x=0)
    assert ev.value == 0.0 and ev.gradients() == {"x": 0.0}
    assert "abs'(0) = 0" in _kink_warning(ev, "abs")
    assert ev_of("abs(x)", x=-2).gradients() == {"x": -1.0}
    assert ev_of("abs(x)", x=-2).warnings == []


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_tie_splits(op):
    ev = ev_of(f"{op}(a, b)", a=1.5, b=1.5)
    assert ev.value == 1.5
    assert ev.gradients() == {"a": 0.5, "b": 0.5}
    assert "half" in _kink_warning(ev, op)
    ev = ev_of(f"{op}(x, x)", x=2)
    assert ev.gradients() == {"x": 1.0}


def test_max_min_without_tie():
    assert grads("max(a, b)", a=2, b=1) == {"a": 1.0, "b": 0.0}
    assert grads("min(a, b)", a=2, b=1) == {"a": 0.0, "b": 1.0}
    assert ev_of("max(a, b)", a=2, b=1).warnings == []


def test_kink_with_a_constant_argument():
    ev = ev_of("max(x, 0)", x=0)
    assert ev.gradients() == {"x": 0.5}
    assert len(ev.warnings) == 1


def test_kink_off_the_output_path_does_not_warn():
    ev = ev_of("a = relu(x)\nb = x*2", x=0)
    assert ev.warnings == []
    ev = ev_of("a = relu(x)\nb = x*2", output="a", x=0)
    assert len(ev.warnings) == 1


def test_kink_of_a_constant_expression_does_not_warn():
    ev = ev_of("y = abs(0) + x", x=1)
    assert ev.warnings == [] and ev.gradients() == {"x": 1.0}


def test_several_kinks_all_warn():
    ev = ev_of("relu(x) + abs(x) + max(x, y)", x=0, y=0)
    assert sorted(ev.graph.ops[i].name for i, _ in ev.warnings) == ["abs", "max", "relu"]
    assert ev.gradients() == {"x": 0.5, "y": 0.5}


# --------------------------------------------------------------------------- powers


def test_constant_exponent_on_a_negative_base():
    ev = ev_of("x^3", x=-2)
    assert ev.value == -8.0 and ev.gradients() == {"x": 12.0}
    assert list(ev.local[ev.output]) == [12.0, None]  # no ∂/∂exponent, so no log(-2)
    assert grads("x^2", x=-3) == {"x": -6.0}
    assert grads("x^-1", x=-2) == {"x": -0.25}
    assert grads("pow(x, 4)", x=-1) == {"x": -4.0}


def test_assigned_constant_exponent_on_a_negative_base():
    ev = ev_of("c = 3\ny = x^c", x=-2)
    assert ev.value == -8.0 and ev.gradients() == {"x": 12.0}
    ev = ev_of("y = x^(1+2)", x=-2)
    assert ev.gradients() == {"x": 12.0}
    ev = ev_of("y = x^(2*pi/pi)", x=-2)
    assert ev.gradients() == {"x": pytest.approx(-4.0)}


def test_variable_exponent_gets_the_log_term():
    ev = ev_of("x^y", x=2, y=3)
    assert ev.value == 8.0
    g = ev.gradients()
    assert g["x"] == 12.0
    assert g["y"] == pytest.approx(8 * math.log(2), rel=1e-15)
    assert list(ev.local[ev.output]) == [12.0, pytest.approx(8 * math.log(2))]
    assert grads("2^x", x=3) == {"x": pytest.approx(8 * math.log(2))}
    assert grads("x^x", x=2) == {"x": pytest.approx(4 * (1 + math.log(2)))}


def test_variable_exponent_on_a_negative_base_is_a_derivative_domain_error():
    e = domain_error("x^y", x=-2, y=3)
    assert "derivative" in e.message and "y" in e.message


def test_derivative_of_x_to_the_zero_at_zero():
    # x^0 is the constant 1 (math.pow(0, 0) == 1), so its derivative is 0 everywhere, also at x = 0,
    # as in PyTorch and JAX.  cgrad evaluates the rule 0 * pow(0, -1), and pow(0, -1) raises.
    ev = ev_of("x^0", x=0)
    assert ev.value == 1.0
    assert ev.gradients() == {"x": 0.0}


def test_derivative_of_zero_base_with_respect_to_the_exponent():
    # 0^y = 0 for every y > 0, so ∂(0^y)/∂y = 0 there (PyTorch: grad is 0 where base == 0 and exponent >= 0).
    # cgrad evaluates out * log(0) and raises "the derivative of pow ... is undefined".
    ev = ev_of("x^y", x=0, y=2)
    assert ev.value == 0.0
    assert ev.gradients() == {"x": 0.0, "y": 0.0}


def test_derivative_error_blames_an_argument_that_needs_a_gradient():
    # In c^y with the constant base c = 0 and 0 < y < 1 only ∂/∂y is computed (c has no gradient).
    # Either that derivative is 0 (the PyTorch convention, see the test above) or the error names y;
    # cgrad's _derivative_error retries every argument's rule, the constant's first, and blames c.
    for src in ("c = 0\nc^y", "0^y"):
        try:
            ev = ev_of(src, y=0.5)
        except MathDomainError as e:
            assert "with respect to y" in e.message, e.message
        else:
            assert ev.gradients() == {"y": 0.0}


# --------------------------------------------------------------------------- domain errors


@pytest.mark.parametrize("src, op, why, text", [
    ("log(-1)", "log", "undefined", "log(-1)"),
    ("sqrt(-4)", "sqrt", "undefined", "sqrt(-4)"),
    ("1/0", "div", "divides by zero", "1/0"),
    ("0^-1", "pow", "undefined", "0^-1"),
    ("asin(2)", "asin", "undefined", "asin(2)"),
    ("acos(-1.5)", "acos", "undefined", "acos(-1.5)"),
    ("exp(1000)", "exp", "overflows", "exp(1000)"),
    ("1e200*1e200", "mul", "overflows", "1e200*1e200"),
    ("(-8)^(1/3)", "pow", "undefined", "(-8)^(1/3)"),
    ("cosh(1000)", "cosh", "overflows", "cosh(1000)"),
    ("ln(0)", "log", "undefined", "ln(0)"),
])
def test_domain_errors_name_the_node(src, op, why, text):
    e = domain_error("a = 1\nb = " + src)
    assert e.details["op"] == op
    assert why in e.message
    assert text in e.message
    assert e.position == (2, 5)
    node = e.details["node"]
    assert isinstance(node, int)
    doc = e.to_json()["error"]
    assert doc["node"] == node and doc["op"] == op and doc["line"] == 2


def test_domain_error_names_its_inputs():
    e = domain_error("y = log(x - 1)", x=1)
    assert "x - 1 = 0" in e.message and "log(x - 1)" in e.message
    e = domain_error("z = a / b", a=1, b=0)
    assert "a = 1, b = 0" in e.message and "a / b" in e.message
    assert e.details["op"] == "div"


def test_overflow_without_an_exception_is_caught():
    e = domain_error("y = x*x", x=1e200)
    assert "overflows" in e.message and e.details["op"] == "mul"
    e = domain_error("y = x + x", x=1e308)
    assert e.details["op"] == "add"


def test_overflow_in_the_middle_names_the_first_node():
    e = domain_error("a = x*x\nb = a - a\nc = b + 1", x=1e200)
    assert e.details["op"] == "mul" and e.position == (1, 5)


def test_tower_of_powers_fails_fast():
    t = time.perf_counter()
    e = domain_error("9^9^9^9")
    assert time.perf_counter() - t < 1.0
    assert e.details["op"] == "pow" and "overflows" in e.message
    assert e.position == (1, 3)  # 9^(9^9), the innermost 9^9 is fine
    t = time.perf_counter()
    domain_error("x^x^x^x", x=9)
    assert time.perf_counter() - t < 1.0


def test_derivative_domain_error_sqrt_at_zero():
    assert ev_of("sqrt(x)", x=1e-6).gradients()["x"] == pytest.approx(500.0)
    e = domain_error("y = sqrt(x)", x=0)
    assert "derivative" in e.message and "sqrt" in e.message
    assert e.details["op"] == "sqrt" and e.position == (1, 5)


@pytest.mark.parametrize("src, x", [("asin(x)", 1.0), ("acos(x)", -1.0), ("x^0.5", 0.0), ("log(x)^2 + x", 1.0)])
def test_derivative_domain_errors(src, x):
    if src == "log(x)^2 + x":  # fine: no derivative trouble
        assert ev_of(src, x=x).gradients() == {"x": 1.0}
        return
    e = domain_error(src, x=x)
    assert "derivative" in e.message


def test_derivative_domain_error_only_on_the_output_path():
    ev = ev_of("a = sqrt(x)\nb = x + 1", x=0)
    assert ev.value == 1.0 and ev.gradients() == {"x": 1.0}


def test_domain_error_on_a_dead_branch_still_fails_forward():
    # forward computes every statement, even those the output does not use
    domain_error("a = log(x)\nb = x + 1", x=-1)


def test_gradient_overflow_is_a_math_error():
    # every value is finite (1e150), the gradient is not: 1e300 * 0.5/sqrt(1e-300) = 5e449
    e = domain_error("y = 1e300 * sqrt(x)", x=1e-300)
    assert e.exit_code == 3


# --------------------------------------------------------------------------- inputs


def test_missing_input():
    with pytest.raises(InputError) as info:
        ev_of(LECTURE, a=2)
    e = info.value
    assert e.exit_code == 2 and "b" in e.message
    assert e.details["missing"] == ["b"]
    assert "--b" in e.hint
    with pytest.raises(InputError) as info:
        ev_of(LECTURE)
    assert info.value.details["missing"] == ["a", "b"]


def test_unknown_input():
    with pytest.raises(InputError) as info:
        ev_of(LECTURE, a=2, b=1, c=3)
    e = info.value
    assert e.exit_code == 2 and "'c'" in e.message
    assert e.details["unknown"] == ["c"]
    with pytest.raises(InputError) as info:
        ev_of(LECTURE, a=2, bb=1)
    assert info.value.hint == "did you mean 'b'?"


def test_assigned_name_given_as_input():
    with pytest.raises(InputError) as info:
        ev_of(LECTURE_STEPS, a=2, b=1, c=3)
    assert "assigned" in info.value.message


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), "2", None, True, [[1.0], [2.0, 3.0]], [], [1, "2"], 1j])
def test_non_finite_or_non_numeric_input(bad):
    with pytest.raises(InputError) as info:
        ev_of("x + 1", x=bad)
    assert info.value.exit_code == 2
    assert "'x'" in info.value.message


def test_int_input_too_large_for_a_float():
    # An int beyond float range is a non-finite input: it should be an InputError (exit 2).
    # cgrad's check_inputs calls math.isfinite(10**400), which raises OverflowError instead.
    with pytest.raises(InputError):
        ev_of("x + 1", x=10 ** 400)


def test_int_inputs_become_floats():
    ev = ev_of("x / 2", x=3)
    assert ev.value == 1.5 and type(ev.values[ev.graph.inputs["x"]]) is float


def test_program_without_inputs():
    ev = ev_of("y = 2 * pi")
    assert ev.value == pytest.approx(2 * math.pi) and ev.gradients() == {}


# --------------------------------------------------------------------------- off the output's path


def test_nodes_not_on_the_output_path_get_zero():
    ev = ev_of("c = a*2\nd = b + 1\nf = d * 3\nc", a=1, b=5)
    g = ev.graph
    assert ev.value == 2.0
    assert ev.gradients() == {"a": 2.0, "b": 0.0}
    for name in ("d", "f", "b"):
        assert ev.grads[g.named[name]] == 0.0
        assert not ev.reached[g.named[name]]
        assert ev.paths[g.named[name]] == 0
    assert ev.values[g.named["f"]] == 18.0  # still computed forward


def test_every_node_has_a_value_and_a_gradient():
    ev = ev_of(LECTURE, a=2, b=1)
    n = len(ev.graph)
    assert len(ev.values) == len(ev.grads) == len(ev.local) == len(ev.paths) == len(ev.reached) == n
    assert all(isinstance(v, float) for v in ev.values)


def test_evaluate_is_repeatable_on_one_graph():
    g = parse(LECTURE)
    first = evaluate(g, {"a": 2, "b": 1})
    second = evaluate(g, {"a": -1, "b": 3})
    assert first.gradients() == {"a": 2.0, "b": 5.0}
    assert second.value == 8.0 and second.gradients() == {"a": 4.0, "b": 6.0}
    assert first.value == 6.0


def test_all_errors_are_cgrad_errors():
    for cls in (InputError, MathDomainError, ProgramNameError):
        assert issubclass(cls, CgradError)


def test_wrt_a_name_that_depends_on_no_input_is_refused():
    """Reverse mode never visits k in `k = 3; y = k*x`; reporting 0 for ∂y/∂k would be wrong (it is x)."""
    with pytest.raises(ProgramNameError) as info:
        evaluate(parse("k = 3; y = k*x"), {"x": 2}, wrt=["k"])
    assert info.value.exit_code == 2 and "depends on no input" in info.value.message


# --------------------------------------------------------------------------- the sweep's plans

SCALAR_OPS = [op for op in OPS.values() if op.forward is not None and op.name != "copy"]


@pytest.mark.parametrize("op", SCALAR_OPS, ids=lambda op: op.name)
def test_each_argument_gets_its_rule_whichever_depend_on_an_input(op):
    """The sweep is planned per op and per pattern of arguments that depend on an input (ops.sweep_plan):
    for every pattern, the inputs get exactly the op's own rules, and a literal argument gets nothing
    (gradient 0) though it is reached."""
    xs = next(points(op))
    out = op.forward(*xs)
    for pattern in range(1, 2 ** op.arity):
        names = [f"x{k}" if pattern >> k & 1 else f"({x!r})" for k, x in enumerate(xs)]
        ev = evaluate(parse("out = " + op.syntax.format(*names)), {n: x for n, x in zip(names, xs) if n[0] == "x"})
        g, node = ev.graph, ev.output
        for k, (a, rule) in enumerate(zip(g.args[node], op.partials)):
            assert ev.reached[a], (op.name, pattern, k)
            want = rule(NUMERIC, out, *xs) if pattern >> k & 1 and not op.cuts else 0.0
            assert ev.grads[a] == want, (op.name, pattern, k)


@pytest.mark.parametrize("op", [op for op in SCALAR_OPS if op.arity == 2], ids=lambda op: op.name)
def test_one_input_as_both_arguments_gets_both_rules(op):
    domain = op.domain or ((-3.0, 3.0),) * 2
    lo, hi = max(lo for lo, _ in domain), min(hi for _, hi in domain)
    if lo >= hi:  # x % y is sampled with x < y only
        pytest.skip(f"{op.name}'s arguments have no common domain")
    x = lo + 0.37 * (hi - lo)
    ev = ev_of("out = " + op.syntax.format("x", "x"), x=x)
    want = 0.0 if op.cuts else sum(rule(NUMERIC, op.forward(x, x), x, x) for rule in op.partials)
    assert ev.gradients()["x"] == pytest.approx(want, rel=1e-15)


def test_an_input_made_constant_is_planned_again():
    """--const b=3: b no longer wants a gradient, so the plan for a*b changes (bind_constants replans)."""
    g = parse("e = a*b + b")
    assert evaluate(g, {"a": 2, "b": 3}).gradients() == {"a": 3.0, "b": 3.0}
    bind_constants(g, {"b": 3})
    ev = evaluate(g, {"a": 2})
    assert ev.gradients() == {"a": 3.0}
    assert ev.grads[g.constants["b"]] == 0.0 and ev.reached[g.constants["b"]]


@pytest.mark.parametrize("src, every", [("y = (x + 1)*x", True), ("a = x*2\ny = a + a", True),
                                        ("a = sqrt(x)\nb = x + 1", False), ("y = x\nz = 2", False),
                                        ("s = where(x > 0, x, 0.5*x)", True)])
def test_the_sweep_reaches_what_the_output_uses(src, every):
    """From the last node of a tape whose every other node is an argument (Args.every_node_used) the sweep
    walks every row untested; otherwise only the rows on the output's subgraph (reached_from).  Either
    way `reached` is exactly the output's subgraph."""
    g = parse(src)
    assert g.args.every_node_used() is every
    for out in range(len(g)):
        ev = evaluate(g, {"x": 0.5}, output=None) if out == g.output else backward(g, forward(g, {"x": 0.5}), out)
        below = {out}
        for i in range(out, -1, -1):
            if i in below:
                below.update(g.args[i])
        assert list(map(bool, ev.reached)) == [i in below for i in range(len(g))], (src, out)
        assert all(ev.grads[i] == 0.0 for i in range(len(g)) if i not in below)


def test_a_row_taken_back_makes_the_tape_unsure_of_its_uses():
    g = parse("y = x*2")
    assert g.args.every_node_used()
    g.add(OPS["neg"], (g.output,), 0, 1)
    g.pop()
    assert not g.args.every_node_used()  # x*2's use by the row taken back cannot be told from another's
    assert evaluate(g, {"x": 3}).gradients() == {"x": 2.0}


@pytest.mark.parametrize("src, x, culprit", [("y = 1e300 * sqrt(x)", 1e-300, "x"),
                                             ("a = x*x\nb = sqrt(a)\ny = 1e300*b", 1e-160, "x*x"),
                                             ("a = x*0 + 1e-320\nb = sqrt(a)\ny = 1e300*b", 1.0, "x*0 + 1e-320")])
def test_a_gradient_that_overflows_on_the_way_is_caught_at_the_inputs(src, x, culprit):
    """The check reads the inputs' gradients only: inf or nan met on the way reaches them (inf × 0 is nan).
    The message names the node nearest the output whose gradient overflowed (inf, then inf × 0 = nan)."""
    e = domain_error(src, x=x)
    assert e.message.startswith(f"the gradient overflows float64 at {culprit}")
