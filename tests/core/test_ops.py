"""Every op in the table, found by itself: derivative rules against central finite differences,
the same rules run over text, and every op reachable from the language."""
import math

import pytest
from samples import points

from cgrad_cli import evaluate, parse
from cgrad_cli.core.ops import NUMERIC, OPS
from cgrad_cli.symbolic.text import SYMBOLIC, Sym

DIFFERENTIABLE = [op for op in OPS.values() if op.forward is not None]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_partials_match_central_differences(op):
    assert len(op.partials) == op.arity
    for xs in points(op):
        out = op.forward(*xs)
        if op.cuts:  # x > y, detach(x): no gradient flows back, by definition
            assert all(rule(NUMERIC, out, *xs) == 0.0 for rule in op.partials), op.name
            continue
        for k, rule in enumerate(op.partials):
            h = 1e-6 * max(1.0, abs(xs[k]))
            up, down = list(xs), list(xs)
            up[k] += h
            down[k] -= h
            numeric = (op.forward(*up) - op.forward(*down)) / (2 * h)
            assert rule(NUMERIC, out, *xs) == pytest.approx(numeric, rel=1e-5, abs=1e-6), (op.name, k, xs)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_rules_run_over_text(op):
    """One rule set: the rules take any namespace, so they also run over formulas."""
    xs = [Sym(name) for name in "xyz"[:op.arity]]
    for rule in op.partials:
        formula = rule(SYMBOLIC, Sym("out"), *xs)
        assert isinstance(formula, (Sym, float, int))


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if op.name != "copy"], ids=lambda op: op.name)
def test_every_op_is_reachable_from_the_language(op):
    args = ["x", "y", "z"][:op.arity]
    text = "out = " + op.syntax.format(*args)
    g = parse(text)
    assert g.ops[g.output] is op
    xs = next(points(op))
    ev = evaluate(g, dict(zip(args, xs)))
    assert ev.value == pytest.approx(op.forward(*xs))


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if op.kink is not None], ids=lambda op: op.name)
def test_kink_ops_state_their_convention(op):
    assert op.convention
    at = [0.0] * op.arity
    assert op.kink(*at)
    for rule in op.partials:
        assert math.isfinite(rule(NUMERIC, op.forward(*at), *at))
