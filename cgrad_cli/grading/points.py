"""Evaluating a program at a point and comparing values: what checking and diagnosing both stand on.

A value passes when |answer - correct| <= atol + rtol*|correct| (numpy.isclose's rule and defaults, cgrad's
value the reference); arrays are compared shape first, then element by element.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.autodiff import backward, forward
from ..core.graph import Graph
from ..core.show import number, show

RTOL = 1e-5
ATOL = 1e-8


def close(expected: float, got: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """numpy.isclose's rule, with cgrad's value as the reference."""
    return abs(expected - got) <= atol + rtol * abs(got)


def _shape(value) -> tuple:
    return tuple(getattr(value, "shape", ()))


def _plain(value):
    """A value as check keeps it: a float for a scalar (also a numpy 0-d array or float64), else the array."""
    return float(value) if not _shape(value) else value


def shape_words(shape) -> str:
    """`a scalar`, `a 2-vector`, `a 2×3 array`."""
    from ..core.ops import shape_text

    return "a " + shape_text(shape) + (" array" if len(shape) > 1 else "")


def index_text(index) -> str:
    """An element's index as written in cgrad: [1, 2]."""
    return "[" + ", ".join(map(str, index)) + "]"


@dataclass
class Comparison:
    """An answer's value against cgrad's."""
    ok: bool
    error: float | None  # the largest |expected - got| (None: the shapes differ)
    worst: tuple | None = None  # arrays: the element with the largest error among those out of tolerance (all if none)
    wrong: int | None = None  # arrays: elements out of tolerance (None: the shapes differ)
    size: int = 1

    @property
    def shapes_differ(self) -> bool:
        return self.error is None


def compare(expected, got, rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Shapes first, then numpy.isclose's rule element by element (cgrad's value `got` the reference)."""
    if _shape(expected) != _shape(got):
        return Comparison(False, None)
    if not _shape(got):
        expected, got = float(expected), float(got)
        return Comparison(close(expected, got, rtol, atol), abs(expected - got))
    from ..core.ops import load_numpy

    np = load_numpy()
    diff = np.abs(expected - got)
    bad = diff > atol + rtol * np.abs(got)
    wrong = int(bad.sum())
    worst = np.unravel_index(int(np.argmax(np.where(bad, diff, -1.0) if wrong else diff)), got.shape)
    return Comparison(not wrong, float(diff.max()), tuple(int(k) for k in worst), wrong, int(got.size))


class _Point:
    """The program evaluated at one point: values, and one reverse sweep per node differentiated (cached)."""

    def __init__(self, graph: Graph, at: dict):
        self.graph, self.at = graph, at
        self.values = forward(graph, at)
        self.sweeps = {}

    def sweep(self, of: str):
        if of not in self.sweeps:
            self.sweeps[of] = backward(self.graph, self.values, self.graph.named[of])
        return self.sweeps[of]

    def quantity(self, q):
        g = self.graph
        if q.wrt is None:
            return _plain(self.values[g.named[q.of]])
        return _plain(self.sweep(q.of).grad(g.named[q.wrt]))

    def answer(self, a):
        v = forward(a.graph, {n: self.values[self.graph.named[n]] for n in a.graph.inputs})
        return _plain(v[a.graph.output])


def index_inputs(graph: Graph) -> list:
    """The inputs used as indices: those an index position of `y[r]` or `onehot(r, n)` depends on.

    They stay fixed at the random points (a perturbed index is not an integer).
    """
    marked = [False] * len(graph)
    for i, op in enumerate(graph.ops):
        if op.indices is not None:
            for a in graph.args[i][op.indices:]:
                marked[a] = True
    if not any(marked):
        return []
    for i in range(len(graph) - 1, -1, -1):
        if marked[i]:
            for a in graph.args[i]:
                marked[a] = True
    return [name for name, i in graph.inputs.items() if marked[i]]


def value_text(value) -> str:
    """A number as cgrad prints it; an array compactly (in full when small, else by shape, min and max)."""
    if isinstance(value, list):
        from ..core.ops import load_numpy

        value = load_numpy().asarray(value, dtype=float)
    return show(value) if getattr(value, "shape", ()) else number(value)
