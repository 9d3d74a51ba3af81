"""Gradient checking: reverse mode against central finite differences, input by input, element by element.

For each element x of each input (a scalar input is one element; an array input,
given as a JSON array, has one per entry) the program is run forward twice more,
at x + h and at x - h with everything else fixed, and

    numeric = (f(x + h) - f(x - h)) / ((x + h) - (x - h)),   h = eps·max(1, |x|)

is compared with the matching element of the reverse-mode gradient ∂f/∂x.  The
output f must be a scalar.  The default eps is the cube root of the float64
machine epsilon (≈ 6.06e-6), which balances the O(h²) truncation error of the
central difference against its O(ε/h) rounding error.  Dividing by the
representable step (x+h) - (x-h) rather than 2h removes the rounding of x ± h.
An element passes when

    |reverse - numeric| ≤ atol + rtol·max(|reverse|, |numeric|)

Three things can defeat the finite difference without the derivative being wrong;
the element is then reported as not checked, not counted as a mismatch:

* ``kink``: the stencil [x - h, x + h] touches a point where an op is not
  differentiable (relu at 0, abs at 0, a max/min tie).  The two sides then
  disagree by construction; the reverse-mode value is the documented convention
  (PyTorch's), the central difference an average of the two one-sided slopes.
  Over arrays this is decided element by element: only kinks that x ± h moves count.
* ``domain``: an evaluation at x ± h is off an op's domain or overflows (log of
  a point just above 0); a smaller eps may help.
* ``index``: the input is used as an index (y[r], onehot(r, n)): x ± h is not an
  integer, and an index has no derivative (reverse mode gives it 0).

An array input passes when none of its elements mismatches; its report gives the
largest absolute and relative errors over the elements checked and the worst
element (the one furthest outside, or least inside, its tolerance).

Perturbed evaluations reuse the parsed graph through ``forward()``; nothing is
re-parsed.  An array of n elements costs 2n forward runs.
"""
from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import dataclass

from ..errors import CgradError, InputError, MathDomainError
from . import budget
from .autodiff import Evaluation, evaluate, forward, wrt_nodes
from .graph import Graph
from .ops import NUMERIC, array_namespace, load_numpy
from .records import record

EPS = sys.float_info.epsilon ** (1 / 3)  # ≈ 6.06e-6: the relative step h / max(1, |x|)
RTOL = 1e-5
ATOL = 1e-8

CHECKED = ("ok", "mismatch")  # the statuses of an element that was checked; the others say why it was not
UNCHECKED = ("kink", "domain", "index")


@record
class Element:
    """The check of one element of an input (a scalar input has one, with index ())."""

    index: tuple
    value: float
    reverse: float
    numeric: float | None
    h: float
    abs_error: float | None
    rel_error: float | None
    status: str  # "ok", "mismatch", "kink", "domain" or "index"
    note: str | None = None
    node: int | None = None  # not checked: the node at the kink, or where x ± h left the domain (None: unknown)


@dataclass
class InputCheck:
    """The check of one input: reverse mode against the central difference.

    A scalar input (shape None) has floats in value, reverse, numeric and h.  An array
    input has them as nested lists shaped like the input (numeric None for an element
    not computed), abs_error and rel_error the largest over the elements checked (None
    when none was), its status "mismatch" when any element mismatches, "ok" when at least
    one element was checked and none mismatches, else why its elements were not checked.
    """

    name: str
    value: float | list  # the input's value x
    reverse: float | list  # ∂output/∂x from reverse mode
    numeric: float | list | None  # the central difference; None when it could not be computed (domain, index)
    h: float | list  # the step actually taken: (x + h) - x
    abs_error: float | None  # |reverse - numeric|
    rel_error: float | None  # abs_error / max(|reverse|, |numeric|), 0 when both are 0
    status: str  # "ok", "mismatch", "kink", "domain" or "index"
    note: str | None = None  # why a kink, domain or index result could not be checked
    shape: tuple | None = None  # None: a scalar input
    elements: list | None = None  # arrays: the Element of each entry, in row-major order
    worst: tuple | None = None  # arrays: the index of the worst element checked
    node: int | None = None  # a scalar input not checked: the node at the kink, or where x ± h left the domain

    @property
    def ok(self) -> bool | None:
        """True: agrees; False: a mismatch; None: could not be checked (kink, domain or index)."""
        return {"ok": True, "mismatch": False}.get(self.status)

    def element_list(self) -> list:
        """The input's elements: an array's, or a scalar input as its one Element (index ())."""
        if self.elements is not None:
            return self.elements
        return [Element((), self.value, self.reverse, self.numeric, self.h, self.abs_error, self.rel_error,
                        self.status, self.note, self.node)]

    @property
    def counts(self) -> dict:
        """{"checked", "mismatched", "unchecked"}: numbers of elements (a scalar input is one)."""
        statuses = [e.status for e in self.element_list()]
        checked = sum(s in CHECKED for s in statuses)
        return {"checked": checked, "mismatched": statuses.count("mismatch"), "unchecked": len(statuses) - checked}

    def label(self, index: tuple) -> str:
        """W[1, 2]: how an element is named in messages."""
        return f"{self.name}[{', '.join(map(str, index))}]" if index else self.name

    @property
    def unchecked_groups(self) -> list:
        """[(status, [indices], message)] per reason elements of an array were not checked."""
        return [(status, indices, message) for status, indices, message, _ in self.unchecked_group_nodes]

    @property
    def unchecked_group_nodes(self) -> list:
        """[(status, [indices], message, node)] per reason elements of an array were not checked; node is
        that of the first such element (whose note the message ends with), None when unknown."""
        if self.elements is None:
            return []
        groups: dict = {}
        for e in self.elements:
            if e.status in UNCHECKED:
                groups.setdefault(e.status, []).append(e)
        size = len(self.elements)
        out = []
        for status, es in groups.items():
            shown = ", ".join(self.label(e.index) for e in es[:4]) + (f" and {len(es) - 4} more" if len(es) > 4 else "")
            out.append((status, [list(e.index) for e in es],
                        f"{len(es)} of {size} elements not checked ({status}): {shown}; {es[0].note}", es[0].node))
        return out

    def mismatched(self, rtol: float, atol: float) -> list:
        """The mismatched elements, worst first (furthest outside their tolerance)."""
        return sorted((e for e in self.element_list() if e.status == "mismatch"),
                      key=lambda e: -_excess(e, rtol, atol))

    def to_json(self) -> dict:
        doc = {"value": self.value, "reverse": self.reverse, "numeric": self.numeric, "h": self.h,
               "abs_error": self.abs_error, "rel_error": self.rel_error, "ok": self.ok, "status": self.status,
               "note": self.note}
        if self.shape is not None:
            doc.update(shape=list(self.shape), worst=None if self.worst is None else list(self.worst),
                       elements=self.counts, element_status=_nest([e.status for e in self.elements], self.shape))
        return doc


class GradCheck(list):
    """The list of InputCheck results, with the evaluation and settings they came from."""

    def __init__(self, results, evaluation: Evaluation, eps: float, rtol: float, atol: float):
        super().__init__(results)
        self.evaluation = evaluation
        self.eps, self.rtol, self.atol = eps, rtol, atol

    @property
    def ok(self) -> bool:
        """No input disagrees (inputs that could not be checked do not count as failures): exit status 0."""
        return all(r.ok is not False for r in self)

    @property
    def verified(self) -> bool:
        """No input disagrees and at least one element was checked: the gradient was actually tested."""
        return self.ok and self.elements["checked"] > 0

    @property
    def elements(self) -> dict:
        """{"checked", "mismatched", "unchecked"}: element counts over all the inputs checked."""
        totals = {"checked": 0, "mismatched": 0, "unchecked": 0}
        for r in self:
            for key, n in r.counts.items():
                totals[key] += n
        return totals

    @property
    def tensor(self) -> bool:
        """Is any input checked an array?"""
        return any(r.shape is not None for r in self)

    @property
    def mismatches(self) -> list:
        return [r for r in self if r.status == "mismatch"]

    @property
    def unchecked(self) -> list:
        return [r for r in self if r.ok is None]


def check_gradients(graph: Graph, inputs: dict, wrt=None, output: str | None = None, eps: float = EPS,
                    rtol: float = RTOL, atol: float = ATOL) -> GradCheck:
    """Check ∂output/∂x from reverse mode against a central difference for each input x (or those in `wrt`),
    element by element for an input given as an array (a nested list).

    Raises the evaluator's errors for the point itself (InputError, ProgramNameError, ShapeError,
    MathDomainError) and a CgradError when the output is not a scalar; a domain error at x ± h is
    reported in the result instead.
    """
    if not (eps > 0 and math.isfinite(eps)):
        raise InputError(f"the step eps must be a positive number, not {eps!r}")
    if not (rtol >= 0 and atol >= 0):
        raise InputError("the tolerances rtol and atol must be >= 0")
    names = list(graph.inputs) if wrt is None else list(wrt)
    wrt_nodes(graph, names, "gradcheck")
    ev = evaluate(graph, inputs, output=output)
    if not ev.differentiated:
        from .ops import shape_text

        label = ev.output_name
        shape = ev.shapes[ev.output]
        what = "an array of shape " + shape_text(shape) if len(shape) != 1 else "a " + shape_text(shape)
        raise CgradError(f"gradcheck needs a scalar output, and {label} is {what}: there is no gradient to "
                         "check, only a Jacobian",
                         hint=f"reduce it to a number, e.g. sum({label}) or {label}[0] as the last statement "
                              "(or choose a scalar with --output NAME)")
    checked = sum(getattr(ev.values[graph.inputs[name]], "size", 1) for name in names)
    per_run = sum(math.prod(shape) for shape in ev.shapes) if ev.shapes is not None else len(graph)
    budget.check("elements", 2 * checked * per_run, f"gradcheck ({budget.figure(2 * checked)} forward runs)",
                 hint="check fewer inputs (--wrt), or raise the budget with --max-elements N (it counts the "
                      "elements computed in all: two runs per element checked, each over the whole program)")
    held = graph.held(ev.values)  # detach(x) and x > 0 stay put while x moves: their derivative is 0 by definition
    results = [_check_input(held, inputs, ev, name, eps, rtol, atol) for name in names]
    return GradCheck(results, ev, eps, rtol, atol)


def _check_input(graph: Graph, inputs: dict, ev: Evaluation, name: str, eps: float, rtol: float,
                 atol: float) -> InputCheck:
    node, given = graph.inputs[name], inputs[name]
    if not isinstance(given, list) and not hasattr(given, "shape"):  # a scalar: one element
        e = _check_element(graph, ev, node, name, (), float(given), float(ev.grad(node)),
                           lambda at: {**inputs, name: at}, eps, rtol, atol)
        return InputCheck(name, e.value, e.reverse, e.numeric, e.h, e.abs_error, e.rel_error, e.status, e.note,
                          node=e.node)
    np = load_numpy()
    x = np.asarray(given, dtype=float)
    reverse = np.broadcast_to(np.asarray(ev.grad(node), dtype=float), x.shape)
    elements = []
    for index in np.ndindex(*x.shape):
        label = f"{name}[{', '.join(map(str, index))}]"
        elements.append(_check_element(
            graph, ev, node, label, index, float(x[index]), float(reverse[index]),
            lambda at, index=index: {**inputs, name: _replaced(given, index, at)}, eps, rtol, atol))
    checked = [e for e in elements if e.status in CHECKED]
    statuses = Counter(e.status for e in elements)
    status = "mismatch" if statuses["mismatch"] else "ok" if checked else \
        next(s for s, _ in statuses.most_common())
    worst = max(checked, key=lambda e: (_excess(e, rtol, atol), e.rel_error)) if checked else None
    r = InputCheck(name, x.tolist(), reverse.tolist(), _nest([e.numeric for e in elements], x.shape),
                   _nest([e.h for e in elements], x.shape),
                   max(e.abs_error for e in checked) if checked else None,
                   max(e.rel_error for e in checked) if checked else None,
                   status, None, tuple(x.shape), elements, None if worst is None else worst.index)
    groups = r.unchecked_groups
    r.note = " / ".join(message for _, _, message in groups) or None
    return r


def _excess(e: Element, rtol: float, atol: float) -> float:
    """|reverse - numeric| over the tolerance: > 1 for a mismatch, the element's distance to failing."""
    allowed = atol + rtol * max(abs(e.reverse), abs(e.numeric))
    return e.abs_error / allowed if allowed else math.inf if e.abs_error else 0.0


def _check_element(graph: Graph, ev: Evaluation, node: int, label: str, index: tuple, x: float,
                   reverse: float, at, eps: float, rtol: float, atol: float) -> Element:
    """One element x of an input: `at(v)` gives the inputs with that element set to v."""
    out = ev.output
    step = eps * max(1.0, abs(x))
    up, down = x + step, x - step
    h = (up - down) / 2
    if not (math.isfinite(up) and math.isfinite(down)):
        return Element(index, x, reverse, None, h, None, None, "domain",
                       f"the finite difference cannot be taken: {label} ± h overflows float64")
    sides = {}
    for side, v in (("x + h", up), ("x - h", down)):
        try:
            sides[side] = forward(graph, at(v))
        except MathDomainError as e:
            return Element(index, x, reverse, None, h, None, None, "domain",
                           f"the finite difference cannot be taken: at {label} = {v:.6g} ({side}), "
                           f"{e.message}; a smaller --eps may help", e.details.get("node"))
        except InputError as e:  # the point's inputs were accepted and x ± h is finite: a bad index
            return Element(index, x, reverse, None, h, None, None, "index",
                           f"{label} is used as an index: at {label} = {v:.6g} ({side}), {e.message}; an index "
                           "has no derivative to check (reverse mode gives it 0)", e.details.get("node"))
    numeric = (float(sides["x + h"][out]) - float(sides["x - h"][out])) / (up - down)
    if not math.isfinite(numeric):
        return Element(index, x, reverse, None, h, None, None, "domain", "the finite difference overflows float64")
    abs_error = abs(reverse - numeric)
    scale = max(abs(reverse), abs(numeric))
    rel_error = abs_error / scale if scale else 0.0
    if abs_error <= atol + rtol * scale:
        return Element(index, x, reverse, numeric, h, abs_error, rel_error, "ok")
    kink = _kink_in_stencil(graph, ev, node, [ev.values, sides["x + h"], sides["x - h"]])
    if kink is not None:
        op = graph.ops[kink]
        line, col = graph.line_col(graph.spans[kink][0])
        return Element(index, x, reverse, numeric, h, abs_error, rel_error, "kink",
                       f"'{graph.text(kink, 48)}' (line {line}, column {col}) has a kink of {op.name} within "
                       f"{label} ± h: its two sides disagree by construction, so the central difference cannot "
                       f"check the gradient here (reverse mode uses {op.convention})", kink)
    return Element(index, x, reverse, numeric, h, abs_error, rel_error, "mismatch")


def _kink_in_stencil(graph: Graph, ev: Evaluation, wrt_node: int, points: list) -> int | None:
    """The first kink node that depends on `wrt_node`, lies on the output's subgraph and is at its kink,
    or whose local derivatives differ between x - h, x and x + h (they are piecewise constant for
    relu, abs, sign, step, min and max, so a change means the stencil crosses the kink).

    Over arrays, element by element: an element at its kink counts only when x ± h moves it."""
    if not graph.kinks:
        return None
    dep = [False] * len(graph)
    dep[wrt_node] = True
    for i in range(wrt_node + 1, len(graph)):
        dep[i] = any(dep[a] for a in graph.args[i])
    for k in graph.kinks:
        if not (dep[k] and ev.reached[k]):
            continue
        if ev.shapes is not None:
            if _array_kink(graph, k, points):
                return k
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


def _array_kink(graph: Graph, k: int, points: list) -> bool:
    """Does the stencil cross node k's kink in some element (arrays, or the 0-d arrays of a tensor program)?"""
    np, m = load_numpy(), array_namespace()
    op, args = graph.ops[k], graph.args[k]
    rules = op.partials
    here = [points[0][a] for a in args]
    shape = np.shape(points[0][k])
    with np.errstate(all="ignore"):
        moved = np.zeros(shape, dtype=bool)
        for v in points[1:]:
            for a, x in zip(args, here):
                moved = moved | (np.asarray(v[a]) != np.asarray(x))
        if (np.asarray(op.kink(*here), dtype=bool) & moved).any():
            return True
        locals_ = [[np.broadcast_to(np.asarray(rule(m, v[k], *[v[a] for a in args]), dtype=float), shape)
                    for rule in rules] for v in points]
    return any(not np.array_equal(d, d0) for ds in locals_[1:] for d, d0 in zip(ds, locals_[0]))


def _replaced(value, index: tuple, x: float):
    """A copy of the nested list (or array) `value` with the element at `index` set to x (only its path is
    copied in a list: a run costs the whole program's elements anyway)."""
    if not index:
        return x
    if hasattr(value, "shape"):
        copy = value.copy()
        copy[index] = x
        return copy
    copy = list(value)
    copy[index[0]] = _replaced(value[index[0]], index[1:], x)
    return copy


def _nest(flat: list, shape: tuple) -> list:
    """Row-major `flat` as nested lists of `shape`."""
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [_nest(flat[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])]


