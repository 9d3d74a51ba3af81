"""Forward (one loop up the tape) and reverse mode (one loop down it).

The backward sweep applies each op's local-derivative rules (ops.py) and adds
``∂out/∂node · ∂node/∂arg`` into the argument's gradient, so a node reached
along several paths gets the sum over all of them -- the lecture's
∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b.
"""
from __future__ import annotations

import math

from .errors import InputError, MathDomainError, ProgramNameError, suggest
from .graph import Graph, gc_paused
from .ops import NUMERIC

# What cgrad does where a derivative does not exist; printed with results that land on a kink.
CONVENTIONS = {
    "policy": "pytorch",
    "relu'(0)": 0,
    "abs'(0)": 0,
    "sign'(0)": 0,
    "step'(0)": 0,
    "max/min tie": "the gradient splits half and half between the tied arguments",
    "note": "JAX differs at abs'(0) (it uses 1); homework keys that follow another framework can differ at kinks",
}


class Evaluation:
    """A graph evaluated at one point: every node's value, local derivatives and gradient."""

    def __init__(self, graph: Graph, output: int, values: list, grads: list, local: list, reached: list,
                 warnings: list):
        self.graph = graph
        self.output = output  # the node differentiated
        self.values = values  # value of each node
        self.grads = grads  # ∂output/∂node for each node (0 off the output's subgraph)
        self.local = local  # per node: [∂node/∂arg per argument (None for a constant argument)], or None
        self.reached = reached  # is the node in the output's subgraph?
        self.warnings = warnings  # (node id, message) for each kink met, in tape order
        self._paths = None

    @property
    def paths(self) -> list:
        """Paths from the output down to each node, counted once when first asked for."""
        if self._paths is None:
            self._paths = count_paths(self.graph, self.output, self.reached)
        return self._paths

    @property
    def value(self) -> float:
        return self.values[self.output]

    @property
    def output_name(self) -> str:
        return self.graph.label(self.output)

    def gradients(self, wrt=None) -> dict:
        """{name: ∂output/∂name} for the inputs, or for the names in `wrt` (inputs or assigned names)."""
        g = self.graph
        names = list(g.inputs) if wrt is None else wrt
        return {name: self.grads[g.named[name]] for name in names}


def evaluate(graph: Graph, inputs: dict, output: str | None = None, wrt=None) -> Evaluation:
    """Run the graph forward at `inputs`, then backward from `output` (default: the last statement)."""
    out = graph.output if output is None else _lookup(graph, output, "output")
    if wrt is not None:
        for name in wrt:
            if not graph.needs_grad[_lookup(graph, name, "--wrt")]:  # k = 3: reverse mode never looks at k
                raise ProgramNameError(f"--wrt: '{name}' depends on no input, so nothing flows back to it",
                                       hint=f"to differentiate with respect to {name}, make it an input: "
                                            f"remove its assignment and give --{name} VALUE")
    values = forward(graph, inputs)
    return backward(graph, values, out)


def _lookup(graph: Graph, name: str, what: str) -> int:
    if name not in graph.named:
        hint = suggest(name, graph.named) or "names in the program: " + ", ".join(graph.named)
        raise ProgramNameError(f"{what}: the program has no name '{name}'", hint=hint)
    return graph.named[name]


def check_inputs(graph: Graph, inputs: dict) -> None:
    """Every input given, no stray names, every value a finite number."""
    missing = [name for name in graph.inputs if name not in inputs]
    unknown = [name for name in inputs if name not in graph.inputs]
    if unknown:
        name = unknown[0]
        if name in graph.named:
            why = f"'{name}' is assigned in the program, so it cannot be given as an input"
        else:
            why = f"the program has no input '{name}'" + ("s " + ", ".join(repr(n) for n in unknown[1:])
                                                            if len(unknown) > 1 else "")
        close = suggest(name, [n for n in graph.inputs if n not in inputs]) if name not in graph.named else None
        raise InputError(why, hint=close or _inputs_hint(graph), unknown=unknown)
    if missing:
        s = "s" if len(missing) > 1 else ""
        example = " ".join(f"--{n} VALUE" for n in missing)
        raise InputError(f"missing value{s} for input{s} " + ", ".join(missing),
                         hint=f"give {'them' if s else 'it'} as {example} (or --set NAME=VALUE)", missing=missing)
    for name, value in inputs.items():
        if not _finite_number(value):
            shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
            raise InputError(f"the value of input '{name}' must be a finite number, not {shown}")


def _finite_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float64, such as 10**400
        return False


def _inputs_hint(graph: Graph) -> str:
    return "the program's inputs are " + (", ".join(graph.inputs) if graph.inputs else "none")


def forward(graph: Graph, inputs: dict) -> list:
    """Every node's value, as floats, in tape order."""
    check_inputs(graph, inputs)
    v = [0.0] * len(graph)
    for i, value in graph.consts.items():
        v[i] = value
    for name, i in graph.inputs.items():
        v[i] = float(inputs[name])
    i = -1
    try:
        with gc_paused():
            for i, f, a, b in graph.code:
                v[i] = f(v[a]) if b < 0 else f(v[a], v[b])
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as e:
        culprit = _first_non_finite(v, i)  # sin(x*1e200*1e200) fails at sin, but the overflow came first
        if culprit is not None:
            raise _domain_error(graph, v, culprit, OverflowError("overflow")) from None
        raise _domain_error(graph, v, i, e) from None
    if not math.isfinite(sum(v)):  # 1e200*1e200 is inf, no exception; a finite sum proves every value finite
        culprit = _first_non_finite(v, len(v))
        if culprit is not None:
            raise _domain_error(graph, v, culprit, OverflowError("overflow"))
    return v


def _first_non_finite(v: list, stop: int) -> int | None:
    """The first node before `stop` whose value is inf or nan: where an overflow happened."""
    return next((j for j in range(stop) if not math.isfinite(v[j])), None)


def _domain_error(graph: Graph, v: list, i: int, e: Exception, derivative: str | None = None) -> MathDomainError:
    op, args = graph.ops[i], graph.args[i]
    shown = ", ".join(f"{graph.label(a)} = {v[a]:.6g}" for a in args
                      if graph.ops[a].name != "const" or graph.names[a] is not None) or "its arguments"
    what = f"the derivative of {op.name} ({derivative})" if derivative else op.name
    if isinstance(e, OverflowError) or (isinstance(e, ValueError) and "range" in str(e)):
        why = "overflows float64"
    elif isinstance(e, ZeroDivisionError):
        why = "divides by zero"
    else:
        why = "is undefined"
    return MathDomainError(f"{what} {why} at {shown}, in {graph.text(i, 48)}", source=graph.source,
                           span=graph.spans[i], node=i, op=op.name,
                           arguments=[{"text": graph.label(a), "value": v[a]} for a in args])


def backward(graph: Graph, values: list, out: int) -> Evaluation:
    """Reverse mode from node `out`: one sweep down the tape.

    Each node passes ∂out/∂node · ∂node/∂arg down to its arguments; a local
    derivative is only computed for an argument that depends on an input.
    """
    n, ops, argss, needs, v = len(graph), graph.ops, graph.args, graph.needs_grad, values
    g, local, reached = [0.0] * n, [None] * n, [False] * n
    g[out], reached[out] = 1.0, True
    m = NUMERIC
    i = out
    try:
        with gc_paused():
            for i in range(out, -1, -1):
                args = argss[i]
                if not args or not reached[i]:
                    continue
                op, gi, o = ops[i], g[i], v[i]
                if len(args) == 2:  # the common case, spelled out: this loop is the hot path
                    a, b = args
                    x, y = v[a], v[b]
                    da = op.partials[0](m, o, x, y) if needs[a] else None
                    db = op.partials[1](m, o, x, y) if needs[b] else None
                    local[i] = (da, db)
                    reached[a] = reached[b] = True
                    if da is not None:
                        g[a] += gi * da
                    if db is not None:
                        g[b] += gi * db
                else:
                    xs = [v[a] for a in args]
                    ls = tuple(rule(m, o, *xs) if needs[a] else None for rule, a in zip(op.partials, args))
                    local[i] = ls
                    for a, d in zip(args, ls):
                        reached[a] = True
                        if d is not None:
                            g[a] += gi * d
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        raise _derivative_error(graph, v, i, e) from None
    if not math.isfinite(sum(g)) and not all(map(math.isfinite, g)):
        i = next(i for i in range(n - 1, -1, -1) if not math.isfinite(g[i]))
        raise MathDomainError(f"the gradient overflows float64 at {graph.text(i, 48)}", source=graph.source,
                              span=graph.spans[i], node=i)
    warnings = [(i, _kink_warning(graph, i)) for i in graph.kinks
                if reached[i] and needs[i] and ops[i].kink(*(v[a] for a in argss[i]))]
    return Evaluation(graph, out, v, g, local, reached, warnings)


def count_paths(graph: Graph, out: int, reached: list) -> list:
    """How many paths lead from `out` down to each node: the number of terms the chain rule sums.

    A float, because it can be astronomical (a chain of shared nodes doubles it at every step).
    """
    paths = [0.0] * len(graph)
    paths[out] = 1.0
    argss = graph.args
    for i in range(out, -1, -1):
        if reached[i]:
            p = paths[i]
            for a in argss[i]:
                paths[a] += p
    return paths


def _derivative_error(graph: Graph, v: list, i: int, e: Exception) -> MathDomainError:
    """Which of node i's local derivatives failed, said in the user's terms."""
    op, args = graph.ops[i], graph.args[i]
    xs = [v[a] for a in args]
    for rule, a in zip(op.partials, args):
        if not graph.needs_grad[a]:
            continue
        try:
            rule(NUMERIC, v[i], *xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            return _domain_error(graph, v, i, e, derivative=f"with respect to {graph.label(a)}")
    return _domain_error(graph, v, i, e, derivative="")


def _kink_warning(graph: Graph, i: int) -> str:
    op = graph.ops[i]
    line, col = graph.line_col(graph.spans[i][0])
    return f"'{graph.text(i, 48)}' (line {line}, column {col}) is at a kink of {op.name}: using {op.convention}"
