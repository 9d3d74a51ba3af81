"""Gradient checking: reverse mode against central finite differences, input by input.

For each input x (a scalar: one element) the program is run forward twice more,
at x + h and at x - h with the other inputs fixed, and

    numeric = (f(x + h) - f(x - h)) / ((x + h) - (x - h)),   h = eps·max(1, |x|)

is compared with the reverse-mode gradient ∂f/∂x.  The default eps is the cube
root of the float64 machine epsilon (≈ 6.06e-6), which balances the O(h²)
truncation error of the central difference against its O(ε/h) rounding error.
Dividing by the representable step (x+h) - (x-h) rather than 2h removes the
rounding of x ± h.  An input passes when

    |reverse - numeric| ≤ atol + rtol·max(|reverse|, |numeric|)

Two things can defeat the finite difference without the derivative being wrong,
and they are reported, not counted as a mismatch:

* ``kink``: the stencil [x - h, x + h] touches a point where an op is not
  differentiable (relu at 0, abs at 0, a max/min tie).  The two sides then
  disagree by construction; the reverse-mode value is the documented convention
  (PyTorch's), the central difference an average of the two one-sided slopes.
* ``domain``: an evaluation at x ± h is off an op's domain or overflows (log of
  a point just above 0); a smaller eps may help.

Perturbed evaluations reuse the parsed graph through ``forward()``; nothing is
re-parsed.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from .autodiff import Evaluation, _lookup, evaluate, forward
from .errors import InputError, MathDomainError
from .graph import Graph
from .ops import NUMERIC

EPS = sys.float_info.epsilon ** (1 / 3)  # ≈ 6.06e-6: the relative step h / max(1, |x|)
RTOL = 1e-5
ATOL = 1e-8


@dataclass
class InputCheck:
    """The check of one input: reverse mode against the central difference."""

    name: str
    value: float  # the input's value x
    reverse: float  # ∂output/∂x from reverse mode
    numeric: float | None  # the central difference; None when it could not be computed (status "domain")
    h: float  # the step actually taken: (x + h) - x
    abs_error: float | None  # |reverse - numeric|
    rel_error: float | None  # abs_error / max(|reverse|, |numeric|), 0 when both are 0
    status: str  # "ok", "mismatch", "kink" or "domain"
    note: str | None = None  # why a kink or domain result could not be checked

    @property
    def ok(self) -> bool | None:
        """True: agrees; False: a mismatch; None: could not be checked (kink or domain)."""
        return {"ok": True, "mismatch": False}.get(self.status)

    def to_json(self) -> dict:
        return {"value": self.value, "reverse": self.reverse, "numeric": self.numeric, "h": self.h,
                "abs_error": self.abs_error, "rel_error": self.rel_error, "ok": self.ok, "status": self.status,
                "note": self.note}


class GradCheck(list):
    """The list of InputCheck results, with the evaluation and settings they came from."""

    def __init__(self, results, evaluation: Evaluation, eps: float, rtol: float, atol: float):
        super().__init__(results)
        self.evaluation = evaluation
        self.eps, self.rtol, self.atol = eps, rtol, atol

    @property
    def ok(self) -> bool:
        """No input disagrees (inputs that could not be checked do not count as failures)."""
        return all(r.ok is not False for r in self)

    @property
    def mismatches(self) -> list:
        return [r for r in self if r.status == "mismatch"]

    @property
    def unchecked(self) -> list:
        return [r for r in self if r.ok is None]


def check_gradients(graph: Graph, inputs: dict, wrt=None, output: str | None = None, eps: float = EPS,
                    rtol: float = RTOL, atol: float = ATOL) -> GradCheck:
    """Check ∂output/∂x from reverse mode against a central difference for each input x (or those in `wrt`).

    Raises the evaluator's errors for the point itself (InputError, ProgramNameError,
    MathDomainError); a domain error at x ± h is reported in the result instead.
    """
    if not (eps > 0 and math.isfinite(eps)):
        raise InputError(f"the step eps must be a positive number, not {eps!r}")
    if not (rtol >= 0 and atol >= 0):
        raise InputError("the tolerances rtol and atol must be >= 0")
    names = list(graph.inputs) if wrt is None else list(wrt)
    for name in names:
        _lookup(graph, name, "--wrt")
        if name not in graph.inputs:
            raise InputError(f"--wrt: '{name}' is assigned in the program, not an input; gradcheck perturbs "
                             "inputs only", hint="the program's inputs are " + ", ".join(graph.inputs))
    ev = evaluate(graph, inputs, output=output)
    results = [_check_one(graph, inputs, ev, name, eps, rtol, atol) for name in names]
    return GradCheck(results, ev, eps, rtol, atol)


def _check_one(graph: Graph, inputs: dict, ev: Evaluation, name: str, eps: float, rtol: float,
               atol: float) -> InputCheck:
    out = ev.output
    x = float(inputs[name])
    reverse = ev.grads[graph.inputs[name]]
    step = eps * max(1.0, abs(x))
    up, down = x + step, x - step
    h = (up - down) / 2
    sides = {}
    for side, at in (("x + h", up), ("x - h", down)):
        try:
            sides[side] = forward(graph, {**inputs, name: at})
        except MathDomainError as e:
            return InputCheck(name, x, reverse, None, h, None, None, "domain",
                              f"the finite difference cannot be taken: at {name} = {at:.6g} ({side}), "
                              f"{e.message}; a smaller --eps may help")
    numeric = (sides["x + h"][out] - sides["x - h"][out]) / (up - down)
    if not math.isfinite(numeric):
        return InputCheck(name, x, reverse, None, h, None, None, "domain",
                          "the finite difference overflows float64")
    abs_error = abs(reverse - numeric)
    scale = max(abs(reverse), abs(numeric))
    rel_error = abs_error / scale if scale else 0.0
    if abs_error <= atol + rtol * scale:
        return InputCheck(name, x, reverse, numeric, h, abs_error, rel_error, "ok")
    kink = _kink_in_stencil(graph, ev, graph.inputs[name], [ev.values, sides["x + h"], sides["x - h"]])
    if kink is not None:
        op = graph.ops[kink]
        line, col = graph.line_col(graph.spans[kink][0])
        return InputCheck(name, x, reverse, numeric, h, abs_error, rel_error, "kink",
                          f"'{graph.text(kink, 48)}' (line {line}, column {col}) has a kink of {op.name} within "
                          f"{name} ± h: its two sides disagree by construction, so the central difference cannot "
                          f"check the gradient here (reverse mode uses {op.convention})")
    return InputCheck(name, x, reverse, numeric, h, abs_error, rel_error, "mismatch")


def _kink_in_stencil(graph: Graph, ev: Evaluation, wrt_node: int, points: list) -> int | None:
    """The first kink node that depends on `wrt_node`, lies on the output's subgraph and is at its kink,
    or whose local derivatives differ between x - h, x and x + h (they are piecewise constant for
    relu, abs, sign, step, min and max, so a change means the stencil crosses the kink)."""
    if not graph.kinks:
        return None
    dep = [False] * len(graph)
    dep[wrt_node] = True
    for i in range(wrt_node + 1, len(graph)):
        dep[i] = any(dep[a] for a in graph.args[i])
    for k in graph.kinks:
        if not (dep[k] and ev.reached[k]):
            continue
        op, args = graph.ops[k], graph.args[k]
        if op.kink(*(ev.values[a] for a in args)):
            return k
        locals_ = set()
        for v in points:
            xs = [v[a] for a in args]
            try:
                locals_.add(tuple(rule(NUMERIC, v[k], *xs) for rule in op.partials))
            except (ValueError, ZeroDivisionError, OverflowError):
                return k
        if len(locals_) > 1:
            return k
    return None
