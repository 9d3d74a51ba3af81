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
from collections.abc import MutableMapping

from . import budget
from .ops import OPS, Op, sweep_plan
from .show import shorten

INPUT, CONST = OPS["input"], OPS["const"]

LABEL_WIDTH = 48


class Graph:
    """A parsed program: the tape, the names bound to its nodes, and the source text."""

    def __init__(self, source: str):
        self.source = source
        self.ops: list[Op] = []  # the op of each node
        self.args = Args()  # argument node ids (all smaller than the node's own), read as a tuple per node
        self.names = Names(self.ops)  # the name a statement gave the node, if any (else None)
        self.spans = Spans()  # [start, end) offsets of the node's source text
        self.consts = Consts()  # the value of each literal node: {node: value}
        self.needs_grad = bytearray()  # does the node depend on an input? (1 or 0)
        self.inputs: dict[str, int] = {}  # input name -> node id, in order of first use
        self.constants: dict[str, int] = {}  # --const name -> node id: inputs made constants (bind_constants)
        self.named: dict[str, int] = {}  # every name (inputs and assignments) -> node id
        self.assigned_at: dict[str, int] = {}  # assigned name -> offset of the name in its statement
        self.output: int | None = None  # the last statement's node
        self.kinks: list[int] = []  # nodes whose op has a kink (relu, abs, max, ...): checked after a sweep
        self.params: dict[int, dict] = {}  # an op's integer parameters, for the nodes that have some: sum(x, 0)
        self.calls: dict[int, tuple[int, int]] = {}  # node -> span of the function call that made it
        self.tensor = False  # does the program itself use tensors (an array literal, @, sum, ...)?
        self.functions: dict[str, Function] = {}  # user-defined functions, by name
        self.cache: dict = {}  # what evaluations derive from the program and reuse: the tape over arrays, shapes
        self._line_starts: list[int] | None = None
        self._program = Program(self.ops)  # each row's forward function and sweep plan, added with the row
        self.room = budget.LIMITS.nodes  # nodes this graph may hold (--max-nodes)

    def __len__(self) -> int:
        return len(self.ops)

    def add(self, op: Op, args: tuple[int, ...], start: int, end: int, params: dict | None = None,
            value=None) -> int:
        """Append a node (`value`: a literal's, for a CONST); its id."""
        ops = self.ops
        i = len(ops)
        if i >= self.room:
            raise budget.too_large("nodes", None, "the program", source=self.source, span=(start, end))
        ops.append(op)
        self.consts.dense.append(value)
        spans = self.spans
        spans.starts.append(start)
        spans.ends.append(end)
        rows, needs = self.args, self.needs_grad
        used = rows.used
        used.append(0)
        if args:
            steps, cuts, kink, tensor = _TRAITS.get(id(op)) or _traits(op)
            rows.pos.append(len(rows.nodes))
            rows.nodes.append(i)
            rows.firsts.append(args[0])
            if len(args) == 2:
                a, b = args
                rows.seconds.append(b)
                used[a] = used[b] = 1
                wanted = needs[a] | needs[b] << 1
                needs.append(not cuts and wanted > 0)
            else:
                rows.odd += 1
                if len(args) > 2:  # where(c, a, b), stack(...): -2 says the arguments are in args.rest
                    rows.rest[i] = args
                rows.seconds.append(-1 if len(args) == 1 else -2)
                for a in args:
                    used[a] = 1
                wanted = needs[args[0]]
                needs.append(not cuts and any(needs[a] for a in args))
            self._program.forwards.append(op.forward)
            self._program.steps.append(steps[wanted])
            if tensor:
                self.tensor = True
        else:
            rows.pos.append(-1)
            needs.append(op is INPUT)
            kink = op.kink is not None
        if kink:
            self.kinks.append(i)
        if params:
            self.params[i] = params
        return i

    def pop(self) -> None:
        """Take back the last node (a literal folded into the one that used it: [1, 2], sum(x, 0))."""
        if self.args.pop() and self._program.ops is self.ops:
            self._program.forwards.pop()
            self._program.steps.pop()
        for column in (self.names, self.ops, self.spans, self.needs_grad, self.consts.dense):
            column.pop()

    def program(self) -> "Program":
        """The forward program over floats, as planned from the ops now in place (see Program)."""
        if self._program.ops is not self.ops:  # a copy given other ops: grading tries a wrong rule
            self.replan()
        return self._program

    def replan(self) -> None:
        """Plan the program anew after ops were replaced in place (tests break a rule this way), or inputs
        made constants (bind_constants: fewer arguments want a gradient)."""
        ops, needs, rows = self.ops, self.needs_grad, self.args
        forwards, steps = [], []
        for i, a, b in zip(rows.nodes, rows.firsts, rows.seconds):  # wanted: as add() works it out
            forwards.append(ops[i].forward)
            steps.append((_STEPS.get(id(ops[i])) or _steps(ops[i]))[needs[a] | (needs[b] << 1 if b >= 0 else 0)])
        self._program = Program(ops, forwards, steps)

    def held(self, values: list) -> "Graph":
        """The program with each node that cuts the graph (x > 0, detach(x)) replaced by its value in `values`.

        Its derivative is the one reverse mode computes, so it is what finite differences must perturb
        (detach(x)*x has gradient x, not the 2x of x*x).  The program itself when nothing cuts.
        """
        cut = [i for i in self.args.nodes if self.ops[i].cuts]
        if not cut:
            return self
        g = copy.copy(self)
        g.ops, g.args, g.consts, g.cache = list(self.ops), self.args.without(cut), self.consts.copy(), {}
        for i in cut:
            g.ops[i], g.consts[i] = CONST, values[i]
        g.replan()
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


class Args:
    """Each node's argument node ids, read as a tuple per node (() for a leaf), kept as columns.

    A node with arguments is a row of `nodes`, `firsts` and `seconds` (its id, its first argument, its
    second or -1 for none, -2 for more than two, listed in `rest`); `pos` maps a node to its row (-1: a
    leaf).  The rows are the forward program's own columns: a 10^5-statement program holds no tuple per
    node, and every int in them is the node id the tape made once, shared.  `used` says which nodes are
    an argument of some row: when every node but the last is, the last one's subgraph is the whole tape
    (every_node_used), and the backward sweep from it needs no test of which nodes it reached.
    """

    __slots__ = ("pos", "nodes", "firsts", "seconds", "rest", "odd", "used", "unsure")

    def __init__(self):
        self.pos = array("i")
        self.nodes: list[int] = []
        self.firsts: list[int] = []
        self.seconds: list[int] = []
        self.rest: dict[int, tuple[int, ...]] = {}
        self.odd = 0  # rows with one argument or more than two: none, and forward tests nothing per row
        self.used = bytearray()  # 1: the node is an argument of some row
        self.unsure = False  # a row was taken back (pop) or cut (without): `used` may say 1 of a node no row uses

    def every_node_used(self) -> bool:
        """Is every node but the last an argument of some row (so all of them lie under the last)?"""
        return not self.unsure and self.used.count(0) == 1

    def __len__(self) -> int:
        return len(self.pos)

    def __getitem__(self, i: int) -> tuple[int, ...]:
        p = self.pos[i]
        if p < 0:
            return ()
        b = self.seconds[p]
        return (self.firsts[p], b) if b >= 0 else (self.firsts[p],) if b == -1 else self.rest[self.nodes[p]]

    def __iter__(self):
        return map(self.__getitem__, range(len(self.pos)))

    def pop(self) -> tuple[int, ...]:
        args = self[-1]
        self.used.pop()
        if self.pos.pop() >= 0:
            self.rest.pop(self.nodes.pop(), None)
            self.firsts.pop()
            self.odd -= self.seconds.pop() < 0
            self.unsure = True
        return args

    def without(self, leaves) -> "Args":
        """A copy in which the nodes `leaves` have no arguments (held(): each made a constant)."""
        out, gone = Args(), set(leaves)
        out.pos, out.rest = array("i", self.pos), {i: a for i, a in self.rest.items() if i not in gone}
        out.used, out.unsure = bytearray(self.used), True
        for i, a, b in zip(self.nodes, self.firsts, self.seconds):
            if i in gone:
                out.pos[i] = -1
            else:
                out.pos[i] = len(out.nodes)
                out.nodes.append(i)
                out.firsts.append(a)
                out.seconds.append(b)
                out.odd += b < 0
        return out


class Names:
    """Each node's name, read and written like a list of str or None: kept as a dict of the named nodes
    (a statement's result, an input), so a node without a name costs nothing here."""

    __slots__ = ("given", "ops")

    def __init__(self, ops: list):
        self.given: dict[int, str] = {}
        self.ops = ops  # the graph's op list: as many names as nodes

    def __len__(self) -> int:
        return len(self.ops)

    def __getitem__(self, i: int) -> str | None:
        if not -len(self.ops) <= i < len(self.ops):
            raise IndexError(i)
        return self.given.get(i % len(self.ops))

    def __setitem__(self, i: int, name: str | None) -> None:
        if not -len(self.ops) <= i < len(self.ops):
            raise IndexError(i)
        if name is None:
            self.given.pop(i % len(self.ops), None)
        else:
            self.given[i % len(self.ops)] = name

    def __iter__(self):
        return map(self.given.get, range(len(self.ops)))

    def pop(self) -> str | None:
        """The last node's name, taken back with the node (the caller pops the op)."""
        return self.given.pop(len(self.ops) - 1, None)


class Consts(MutableMapping):
    """{node: value} of the literal nodes, kept as one list over every node (None where a node is not a
    literal): no dict entry per literal, and a forward sweep starts from a copy of it."""

    __slots__ = ("dense",)

    def __init__(self, dense=()):
        self.dense = list(dense)

    def __getitem__(self, i: int):
        value = self.dense[i] if 0 <= i < len(self.dense) else None
        if value is None:
            raise KeyError(i)
        return value

    def __setitem__(self, i: int, value) -> None:
        self.dense[i] = value

    def __delitem__(self, i: int) -> None:
        self[i]  # KeyError if it is no literal
        self.dense[i] = None

    def __iter__(self):
        return (i for i, value in enumerate(self.dense) if value is not None)

    def __len__(self) -> int:
        return len(self.dense) - self.dense.count(None)

    def copy(self) -> "Consts":
        return Consts(self.dense)


class Program:
    """The program over floats, per row of the tape (Args): its op's forward function (`forwards`), and
    its step for the backward sweep (`steps`): (what the sweep does, rule or constant, rule or constant)
    (ops.sweep_plan), planned for the op and for which of the row's (first two)
    arguments depend on an input; one tuple per op and pattern, shared by its rows, so neither sweep looks
    an op up or tests an argument per node.

    Planned from `ops`, the graph's op list: a graph given other ops (a copy with a wrong rule, in
    grading) is planned anew, from its own.
    """

    __slots__ = ("ops", "forwards", "steps")

    def __init__(self, ops: list, forwards=None, steps=None):
        self.ops, self.forwards, self.steps = ops, forwards or [], steps or []


_STEPS: dict = {}  # id(op) -> its steps, one per pattern of wanted arguments, worked out once per op
_KEPT: list = []  # the ops planned, kept alive: an id in _STEPS is never reused by another op


def _steps(op: Op) -> tuple:
    """The op's step for each pattern of wanted arguments (bit k: argument k depends on an input)."""
    _STEPS[id(op)] = steps = tuple(sweep_plan(op.partials, wanted) or (None, None, None) for wanted in range(4))
    _KEPT.append(op)
    return steps


_TRAITS: dict = {}  # id(op) -> what adding a row of it needs: (its steps, cuts?, kink?, tensor?), once per op


def _traits(op: Op) -> tuple:
    _TRAITS[id(op)] = traits = (_STEPS.get(id(op)) or _steps(op), op.cuts, op.kink is not None, op.forward is None)
    return traits


class Spans:
    """Each node's [start, end) in the source, read and written as (start, end) pairs but kept as two arrays
    of machine integers: a 10^5-statement program holds no tuple and no int object per node for them."""

    __slots__ = ("starts", "ends")

    def __init__(self):
        self.starts, self.ends = array("I"), array("I")

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
