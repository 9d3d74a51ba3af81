"""The computational graph as a tape (a Wengert list).

Nodes are numbered in topological order: every node's arguments come before it,
so forward is one loop up the tape and reverse mode one loop down it.  Nodes
are stored column-wise (one list per field), which keeps a 10^5-node program
to a handful of Python lists.
"""
from __future__ import annotations

import copy
import gc
from array import array
from bisect import bisect_right

from . import budget
from .ops import OPS, SWEEP_PLANS, Op, sweep_plan
from .show import shorten

INPUT, CONST = OPS["input"], OPS["const"]

LABEL_WIDTH = 48


class Graph:
    """A parsed program: the tape, the names bound to its nodes, and the source text."""

    def __init__(self, source: str):
        self.source = source
        self.ops: list[Op] = []  # the op of each node
        self.args: list[tuple[int, ...]] = []  # argument node ids, all smaller than the node's own
        self.names: list[str | None] = []  # the name a statement gave the node, if any
        self.spans = Spans()  # [start, end) offsets of the node's source text
        self.consts: dict[int, float] = {}  # the value of each literal node
        self.needs_grad: list[bool] = []  # does the node depend on an input?
        self.inputs: dict[str, int] = {}  # input name -> node id, in order of first use
        self.constants: dict[str, int] = {}  # --const name -> node id: inputs made constants (bind_constants)
        self.named: dict[str, int] = {}  # every name (inputs and assignments) -> node id
        self.assigned_at: dict[str, int] = {}  # assigned name -> offset of the name in its statement
        self.output: int | None = None  # the last statement's node
        # the forward program, per computed node: (node, function, arg, arg or -1, sweep plan); the backward
        # sweep walks it down with each op's plan (ops.sweep_plan) while `ops` is still the list it was made from
        self.code: list[tuple] = []
        self.code_ops = self.ops
        self.kinks: list[int] = []  # nodes whose op has a kink (relu, abs, max, ...): checked after a sweep
        self.params: dict[int, dict] = {}  # an op's integer parameters, for the nodes that have some: sum(x, 0)
        self.calls: dict[int, tuple[int, int]] = {}  # node -> span of the function call that made it
        self.tensor = False  # does the program itself use tensors (an array literal, @, sum, ...)?
        self.functions: dict[str, Function] = {}  # user-defined functions, by name
        self.cache: dict = {}  # what evaluations derive from the program and reuse: the tape over arrays, shapes
        self._line_starts: list[int] | None = None
        self.room = budget.LIMITS.nodes  # nodes this graph may hold (--max-nodes)

    def __len__(self) -> int:
        return len(self.ops)

    def add(self, op: Op, args: tuple[int, ...], start: int, end: int, params: dict | None = None) -> int:
        i, needs = len(self.ops), self.needs_grad
        if i >= self.room:
            raise budget.too_large("nodes", None, "the program", source=self.source, span=(start, end))
        self.ops.append(op)
        self.args.append(args)
        self.names.append(None)
        self.spans.starts.append(start)
        self.spans.ends.append(end)
        if len(args) == 2:
            a, b = args
            self.code.append((i, op.forward, a, b, SWEEP_PLANS.get(id(op.partials)) or sweep_plan(op.partials)))
            needs.append(needs[a] or needs[b])
        elif len(args) == 1:
            self.code.append((i, op.forward, args[0], -1, sweep_plan(op.partials)))
            needs.append(needs[args[0]])
        elif args:  # where(c, a, b): -2 says the arguments are graph.args[i]
            self.code.append((i, op.forward, args[0], -2, sweep_plan(op.partials)))
            needs.append(any(needs[a] for a in args))
        else:
            needs.append(op is INPUT)
        if op.cuts:  # x > 0, detach(x): nothing flows back through the node
            needs[i] = False
        if op.kink is not None:
            self.kinks.append(i)
        if params:
            self.params[i] = params
        if op.forward is None and args:
            self.tensor = True
        return i

    def pop(self) -> None:
        """Take back the last node (a literal folded into the one that used it: [1, 2], sum(x, 0))."""
        i = len(self.ops) - 1
        for column in (self.ops, self.args, self.names, self.spans, self.needs_grad):
            column.pop()
        self.consts.pop(i, None)

    def held(self, values: list) -> "Graph":
        """The program with each node that cuts the graph (x > 0, detach(x)) replaced by its value in `values`.

        Its derivative is the one reverse mode computes, so it is what finite differences must perturb
        (detach(x)*x has gradient x, not the 2x of x*x).  The program itself when nothing cuts.
        """
        cut = {i for i, (op, args) in enumerate(zip(self.ops, self.args)) if op.cuts and args}
        if not cut:
            return self
        g = copy.copy(self)
        g.ops, g.args, g.consts, g.cache = list(self.ops), list(self.args), dict(self.consts), {}
        for i in cut:
            g.ops[i], g.args[i], g.consts[i] = CONST, (), values[i]
        g.code = [c for c in self.code if c[0] not in cut]
        return g

    def text(self, i: int, width: int | None = None) -> str:
        """The node's source text on one line, shortened to `width` characters with an ellipsis."""
        return self.text_between(*self.spans[i], width)

    def text_between(self, start: int, end: int, width: int | None = None) -> str:
        """Source text from `start` to `end` on one line, shortened to `width` characters with an ellipsis,
        cut before a number or a name, never in or just after one (`0.12…` would read as a number cut short)."""
        if width is not None and end - start > width:
            return shorten(" ".join(self.source[start:start + width].split()), width, more=True)
        return " ".join(self.source[start:end].split())

    def label(self, i: int, width: int = LABEL_WIDTH) -> str:
        """How a node is called in output: its name, else its source text (shortened)."""
        name = self.names[i]
        return name if name is not None else self.text(i, width)

    def line_col(self, offset: int) -> tuple[int, int]:
        """(line, column) of a source offset, both from 1; O(log lines) after the first call."""
        if self._line_starts is None:
            starts, find, pos = [0], self.source.find, 0
            while (pos := find("\n", pos) + 1) > 0:
                starts.append(pos)
            self._line_starts = starts
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


class Spans:
    """Each node's [start, end) in the source, read and written as (start, end) pairs but kept as two arrays
    of machine integers: a 10^5-statement program holds no tuple and no int object per node for them."""

    __slots__ = ("starts", "ends")

    def __init__(self):
        self.starts, self.ends = array("q"), array("q")

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> tuple[int, int]:
        return self.starts[i], self.ends[i]

    def __setitem__(self, i: int, span: tuple[int, int]) -> None:
        self.starts[i], self.ends[i] = span

    def __iter__(self):
        return zip(self.starts, self.ends)

    def append(self, span: tuple[int, int]) -> None:
        self.starts.append(span[0])
        self.ends.append(span[1])

    def pop(self) -> tuple[int, int]:
        return self.starts.pop(), self.ends.pop()


class Function:
    """`cell(h, x) = tanh(Wh @ h + Wx @ x)`: the body as a small graph, copied into the program at each call.

    The body's graph starts with one input node per parameter; `outer` maps its nodes that stand for
    names of the program (Wh, Wx) to the program's nodes, so every call uses the same weights; `calls`
    holds the body's calls of other functions, expanded only when the program calls this one.
    """

    def __init__(self, name: str, body: Graph, params: list[int], span: tuple[int, int]):
        self.name, self.body, self.params, self.span = name, body, params, span
        self.outer: dict[int, int] = {}  # body node -> program node
        self.output: int | None = None  # the body's result node
        self.calls: dict[int, tuple] = {}  # body node -> (Function, argument body nodes): a call, expanded later
        self.size = 0  # nodes a call adds to the program, its calls' bodies included (counted, never expanded)


class gc_paused:
    """Switch the cyclic garbage collector off for a sweep over the tape.

    The tape makes no reference cycles, but it does make 10^5 tuples; with the
    collector on, every 700 allocations trigger a pass over the young objects and
    ever more frequent full passes over all of them, which on a 10^5-node graph
    costs more than the arithmetic.  On the way out the survivors are frozen
    (moved out of the collector's sight; reference counting still frees them),
    so the pass is not merely put off until the next allocation.
    """

    def __init__(self, freeze: bool = True):
        self.freeze = freeze  # False where nothing lasting is built (a --batch chunk: millions of them)

    def __enter__(self):
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.enabled:
            if self.freeze:
                gc.freeze()  # else the first allocation after the sweep pays for one pass over all of it
            gc.enable()
