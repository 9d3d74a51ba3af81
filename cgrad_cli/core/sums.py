"""A sum written in one expression seen as one node: `w1*x1 + w2*x2 + b` as the lecture draws a neuron.

The tape keeps binary ops, so that sum is ((w1*x1 + w2*x2) + b): two add nodes.  The views a student
reads (the eval tree, explain, the graph and its page) show it as one sum node with three edges, each
carrying the local derivative 1 (or -1 for a term under a minus), the gradient flowing to each term
alike.  `grouped(ev)` works that out once and gives an Evaluation over a view of the tape, which every
renderer reads as it reads any evaluation; JSON keeps the tape (programs read its node ids) and lists
the groups beside it.

A + or - node is merged into the one that uses it only when nothing is lost by hiding it: it has no
name, it is used exactly once, it is not the output, it is not the result of a function call, and its
source text lies inside its user's (one source expression).  A name or a second use keeps a node of its
own, since the views must show its value and gradient.  One pass over the tape and one explicit stack
per sum: linear in the program's size, no recursion, whatever the sum's length.
"""
from __future__ import annotations

from array import array

from .autodiff import Evaluation
from .ops import CONSTANT_RULES, OPS, Op
from .records import record

RULE = {value: rule for rule, value in CONSTANT_RULES.items()}  # the op table's own rules for 1 and -1


@record
class Sum:
    """An n-ary sum of the view: its terms left to right (tape nodes) and each one's sign, +1 or -1."""
    node: int  # the tape node of the whole sum (the chain's last op): the view keeps its id
    terms: tuple
    signs: tuple
    inner: tuple  # the tape's binary nodes it stands for besides `node`, in tape order


def sums(graph, output: int | None = None) -> dict:
    """{node: Sum} for every chain of + and - in one expression with at least three terms."""
    ops, args, names, spans, calls = graph.ops, graph.args, graph.names, graph.spans, graph.calls
    add, sub = OPS["add"], OPS["sub"]
    n = len(ops)
    users = array("i", bytes(4 * n))  # machine ints: a program of 5 million nodes keeps no int object here
    user = array("i", b"\xff" * (4 * n))  # -1
    for j, a_s in enumerate(args):
        for a in a_s:
            users[a] += 1
            user[a] = j

    def merged(a: int) -> bool:  # does node a disappear into its one user?
        op = ops[a]
        if (op is not add and op is not sub) or users[a] != 1 or names[a] is not None or a == output \
                or a in calls:
            return False
        j = user[a]
        (start, end), (inner_start, inner_end) = spans[j], spans[a]
        return (ops[j] is add or ops[j] is sub) and start <= inner_start and inner_end <= end

    found = {}
    for top in range(n):
        op = ops[top]
        if (op is not add and op is not sub) or merged(top) or not (merged(args[top][0]) or merged(args[top][1])):
            continue  # not a sum's top, or a plain binary sum: the tape's node as it is
        terms, signs, inner = [], [], []
        stack = [(top, 1)]
        while stack:  # in order, the left operand first: the terms as they are written
            i, sign = stack.pop()
            if i != top and not merged(i):
                terms.append(i)
                signs.append(sign)
                continue
            if i != top:
                inner.append(i)
            x, y = args[i]
            stack.append((y, -sign if ops[i] is sub else sign))
            stack.append((x, sign))
        inner.sort()
        found[top] = Sum(top, tuple(terms), tuple(signs), tuple(inner))
    return found


def sum_op(signs: tuple) -> Op:
    """The view's n-ary sum: each term's local derivative is its sign, its syntax `{0} + {1} - {2}`."""
    syntax = "{0}" + "".join(f" {'+' if s > 0 else '-'} {{{k}}}" for k, s in enumerate(signs) if k)
    return Op("sum", len(signs), None, tuple(RULE[float(s)] for s in signs), syntax,
              precedence=OPS["add"].precedence)


class _Local:
    """ev.local over the view: a sum's terms get their signs (None for a term that depends on no input),
    a node merged into a sum has none (the view does not reach it), every other node the tape's."""

    def __init__(self, local, own: dict):
        self.base, self.own = local, own

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        own = self.own.get(i, self)
        return self.base[i] if own is self else own


def groups(ev: Evaluation) -> dict:
    """`sums` of an evaluation's program, as its views merge them: none in a tensor program (a broadcast
    sum's terms have different shapes, which one edge label cannot say)."""
    return {} if ev.shapes is not None else sums(ev.graph, ev.output)


def grouped(ev: Evaluation) -> Evaluation:
    """The evaluation as the views show it: each sum of `sums` one node whose arguments are its terms.

    Node ids, values and gradients stay the tape's (the sum keeps its last op's id; the nodes merged
    into it are left unreached, with no arguments, so no view walks or names them).  The evaluation
    itself when nothing is merged.
    """
    found = groups(ev)
    if not found:
        return ev
    import copy  # here: a --json answer, which only lists the sums, does not pay its ~1 ms import

    g = ev.graph
    view = copy.copy(g)
    view.ops, view.args, view.cache = list(g.ops), list(g.args), {}
    reached, own, needs = bytearray(ev.reached), {}, g.needs_grad
    for top, s in found.items():
        view.ops[top] = sum_op(s.signs)
        view.args[top] = s.terms
        own[top] = tuple(float(sign) if needs[t] else None for t, sign in zip(s.terms, s.signs)) \
            if ev.local[top] is not None else None
        for i in s.inner:
            view.args[i] = ()
            reached[i] = 0
            own[i] = None
    out = Evaluation(view, ev.output, ev.values, ev.grads, _Local(ev.local, own), reached, ev.warnings, ev.shapes)
    out.sums = found
    return out
