"""Forward (one loop up the tape) and reverse mode (one loop down it).

The backward sweep applies each op's local-derivative rules (ops.py) and adds
``∂out/∂node · ∂node/∂arg`` into the argument's gradient, so a node reached
along several paths gets the sum over all of them -- the lecture's
∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b.
"""
from __future__ import annotations

import math
from array import array
from contextlib import nullcontext
from functools import partial

from ..errors import InputError, MathDomainError, ProgramNameError, ShapeError, as_options, listed, suggest
from . import budget
from .graph import LABEL_WIDTH, Graph, gc_paused
from .ops import (NUMERIC, OPS, SWEEP_BINARY, SWEEP_NARY, SWEEP_NONE, SWEEP_PRODUCT, SWEEP_PRODUCT_A, SWEEP_PRODUCT_B,
                  SWEEP_SCALE, SWEEP_SCALE_A, SWEEP_SCALE_B, SWEEP_SUM, SWEEP_SUM_A, SWEEP_SUM_B, SWEEP_UNARY, BadIndex,
                  Scatter, ShapeMismatch, SingularMatrix, array_namespace, load_numpy, shape_text)
from .show import show

_NO_PARAMS: dict = {}
_MUL, _ADD = OPS["mul"].forward, OPS["add"].forward  # forward runs these as the operators * and +

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

    def __init__(self, graph: Graph, output: int, values: list, grads: list | None, local: list, reached: bytearray,
                 warnings: list, shapes: list | None = None):
        self.graph = graph
        self.shapes = shapes  # each node's shape, for a program with tensors (None: every value is a float)
        self.output = output  # the node differentiated
        self.values = values  # value of each node
        self.grads = grads  # ∂output/∂node for each node (0 off the output's subgraph); None: output not scalar
        self.local = local  # per node: [∂node/∂arg per argument (None for a constant argument)], or None
        self.reached = reached  # is the node in the output's subgraph? (a flag a node: a bytearray)
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
        return {name: self.grad(g.named[name]) for name in names}

    def grad(self, i: int):
        """∂output/∂node, shaped like the node (an array of zeros where nothing flows back)."""
        grad = self.grads[i]
        if self.shapes is not None and self.shapes[i] and not getattr(grad, "shape", ()):
            return grad + self.values[i] * 0.0
        return grad

    def uses(self, i: int) -> list:
        """[(consumer node, argument position, contribution)] for each use of node i on the output's subgraph.

        The lecture's parameter sharing: treat each use as its own variable; the node's gradient is the
        sum of these contributions (each already summed back to the node's shape).
        """
        return list(self.each_use(i))

    def each_use(self, i: int):
        """The uses of node i one by one, as `uses` lists them (an input used 5 million times: no list)."""
        g = self.graph
        for j in range(i + 1, self.output + 1):
            if not self.reached[j] or i not in g.args[j]:
                continue
            for k, a in enumerate(g.args[j]):
                if a == i:
                    share = self.pull(j, k, self.grads[j])
                    if share is not None:
                        yield j, k, share

    def pull(self, j: int, k: int, g):
        """One vector-Jacobian product: g = ∂out/∂node_j mapped to node j's k-th argument, g·∂node_j/∂arg_k,
        shaped like the argument (the backward sweep's step for one edge); None where no gradient flows."""
        graph = self.graph
        op, xs = graph.ops[j], [self.values[a] for a in graph.args[j]]
        if op.vjp is not None:
            share = op.vjp(self._m(), g, self.values[j], *xs, **graph.params.get(j, _NO_PARAMS))[k]
            return share.dense() if share.__class__ is Scatter else share
        if self.local[j] is not None and self.local[j][k] is not None:
            share = g * self.local[j][k]
            return _unbroadcast(share, xs[k]) if self.shapes is not None else share
        return None

    def local_matrix(self, j: int, k: int):
        """The local Jacobian ∂node_j/∂arg_k in full, laid out node.shape + arg.shape: one VJP per element of
        node j, seeded with that element's one-hot (row i of the Jacobian is e_iᵀ J)."""
        np = load_numpy()
        out = tuple(np.shape(self.values[j]))
        full = np.zeros(out + tuple(np.shape(self.values[self.graph.args[j][k]])))
        for i in np.ndindex(out):
            seed = 1.0
            if out:
                seed = np.zeros(out)
                seed[i] = 1.0
            row = self.pull(j, k, seed)
            full[i] = 0.0 if row is None else row
        return full

    def _m(self):
        return array_namespace() if self.shapes is not None else NUMERIC

    @property
    def differentiated(self) -> bool:
        """False when the output is not a scalar: then there is no gradient, only Jacobians."""
        return self.grads is not None


def evaluate(graph: Graph, inputs: dict, output: str | None = None, wrt=None) -> Evaluation:
    """Run the graph forward at `inputs`, then backward from `output` (default: the last statement)."""
    out = output_node(graph, output)
    if wrt is not None:
        wrt_nodes(graph, wrt)
    values = forward(graph, inputs)
    return backward(graph, values, out)


def uses_tensors(graph: Graph, inputs: dict) -> bool:
    """Does evaluating the program need arrays: tensor syntax in it, or an input given as an array?"""
    return graph.tensor or any(isinstance(value, list) or hasattr(value, "shape") for value in inputs.values())


def output_node(graph: Graph, output: str | None) -> int:
    """The node differentiated: --output NAME's, or the last statement's."""
    return graph.output if output is None else lookup(graph, output, "--output")


def wrt_nodes(graph: Graph, names, inputs_only: str | None = None) -> dict:
    """{name: node} for --wrt names, the one check every command makes: each must exist and depend on
    an input, and be an input when `inputs_only` names a command that works on inputs only."""
    nodes = {name: lookup(graph, name, "--wrt") for name in names}
    for name, i in nodes.items():
        if inputs_only and name not in graph.inputs:
            raise ProgramNameError(f"--wrt: '{name}' is assigned in the program, not an input; cgrad {inputs_only} "
                                   "works with respect to inputs only",
                                   hint=_inputs_hint(graph))
        if name in graph.constants:
            raise ProgramNameError(f"--wrt: '{name}' is a constant (--const), so it has no gradient",
                                   hint=f"give it as an input, --{name} VALUE, to differentiate with respect to it")
        if not graph.needs_grad[i]:  # k = 3: reverse mode never looks at k
            raise ProgramNameError(f"--wrt: '{name}' depends on no input, so nothing flows back to it",
                                   hint=f"to differentiate with respect to {name}, make it an input: "
                                        f"remove its assignment and give --{name} VALUE")
    return nodes


def bind_constants(graph: Graph, constants: dict) -> None:
    """Make inputs constants (`--const lam=0.05`): each keeps its name and takes the value, but is no longer
    an input, so it gets no gradient and nothing flows back to it (graph.constants lists them)."""
    for name, value in constants.items():
        if name not in graph.inputs:
            why = "is assigned in the program" if name in graph.named else "is not a name of the program"
            raise InputError(f"--const {name}: '{name}' {why}; a constant is an input given a fixed value",
                             hint=_inputs_hint(graph))
        array = isinstance(value, list) or hasattr(value, "dtype")
        if not (_finite_number(value) or array and (input_array(value) if isinstance(value, list) else
                                                        value.dtype.kind in "fiu" and _finite_arrays([value]))):
            raise _bad_value(name, value)
        i = graph.inputs.pop(name)
        graph.ops[i] = OPS["const"]
        graph.consts[i] = load_numpy().asarray(value, dtype=float) if array else float(value)
        graph.tensor = graph.tensor or array
        graph.constants[name] = i
    needs = graph.needs_grad
    for i, (op, args) in enumerate(zip(graph.ops, graph.args)):
        needs[i] = op.name == "input" if not args else not op.cuts and any(needs[a] for a in args)
    graph.cache.clear()
    graph.replan()  # the sweep's plans say which arguments want a gradient: fewer now


def lookup(graph: Graph, name: str, what: str) -> int:
    """The node called `name`; `what` (--wrt, --output) leads the message when there is none."""
    if name not in graph.named:
        hint = suggest(name, graph.named) or "names in the program: " + listed(graph.named)
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
            why = (f"the program has no input '{name}'" if len(unknown) == 1 else
                   "the program has no inputs " + listed(unknown, quote=True))
        close = suggest(name, [n for n in graph.inputs if n not in inputs]) if name not in graph.named else None
        raise InputError(why, hint=close or _inputs_hint(graph), unknown=unknown)
    if missing:
        s = "s" if len(missing) > 1 else ""
        example = as_options(missing)
        hint = (f"give {'them' if s else 'it'} as {example} (or --set NAME=VALUE)" if len(missing) <= 4 else
                f"give them as {example}, or all at once with --inputs FILE (a JSON object)")
        if "e" in missing and any(op.name == "pow" and graph.args[i][0] == graph.inputs["e"]
                                  for i, op in enumerate(graph.ops)):
            hint = "e is a name like any other, not Euler's number: for e^x write exp(x); " + hint
        raise InputError(f"missing value{s} for input{s} " + listed(missing), hint=hint, missing=missing)
    arrays = {}  # numpy arrays (library callers, --batch): checked together below
    for name, value in inputs.items():
        if hasattr(value, "dtype") and value.dtype.kind in "fiu":
            arrays[name] = value
        elif not (_finite_number(value) or isinstance(value, list) and input_array(value) is not None):
            raise _bad_value(name, value)
    if arrays and not _finite_arrays(arrays.values()):
        name = next(name for name, value in arrays.items() if not _finite_arrays([value]))
        raise _bad_value(name, arrays[name])


def _bad_value(name: str, value) -> InputError:
    shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
    return InputError(f"the value of input '{name}' must be a finite number or an array of them "
                      f"(rows of equal length), not {shown}")


def input_array(value: list):
    """A JSON array (nested lists) as the float64 array it gives, read by numpy in one go and checked on the
    array (a 3000×3000 list costs the array it becomes, not a Python walk over nine million elements);
    None unless it is rectangular, not empty and all finite numbers."""
    np = load_numpy()
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError):  # ragged rows; an int past 64 bits
        return None
    if array.dtype.kind not in "fiu" or array.size == 0 or not _finite_arrays([array]):
        return None
    return array.astype(float, copy=False)


def _finite_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float64, such as 10**400
        return False


def _inputs_hint(graph: Graph) -> str:
    return "the program's inputs are " + (listed(graph.inputs) if graph.inputs else "none")


def forward(graph: Graph, inputs: dict) -> list:
    """Every node's value in tape order: floats, or numpy arrays when the program uses tensors."""
    check_inputs(graph, inputs)
    tensor = uses_tensors(graph, inputs)
    if tensor:
        np = load_numpy()
        v = _array_leaves(graph, inputs)
        infer_shapes(graph, v)
        forwards, numerics = array_code(graph), np.errstate(all="raise", under="ignore")
    else:
        v = graph.consts.dense.copy()  # the literals' values; None for every other node, each set below
        for name, i in graph.inputs.items():
            v[i] = float(inputs[name])
        forwards, numerics = graph.program().forwards, nullcontext()
    rows = graph.args
    rest, nodes, firsts, seconds = rows.rest, rows.nodes, rows.firsts, rows.seconds
    i = -1
    try:
        with gc_paused(), numerics:
            if not rows.odd:  # every row has two arguments (a chain of + and *): no test of b per row
                mul, add = _MUL, _ADD  # the op table's own functions, as locals
                for i, f, a, b in zip(nodes, forwards, firsts, seconds):
                    if f is mul:  # the operator itself: Python's float bytecode, no call
                        v[i] = v[a] * v[b]
                    elif f is add:
                        v[i] = v[a] + v[b]
                    else:
                        v[i] = f(v[a], v[b])
            else:  # b: the second argument, -1 for none, -2 for more (rows.rest[i])
                for i, f, a, b in zip(nodes, forwards, firsts, seconds):
                    v[i] = f(v[a], v[b]) if b >= 0 else f(v[a]) if b == -1 else \
                        f(*map(v.__getitem__, rest[i]))  # no comprehension: v would be a cell, slow to read
    except BadIndex as e:
        raise InputError(f"{e}, in {graph.text(i, 48)}{_call(graph, i)}", source=graph.source,
                         span=graph.spans[i]) from None
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, FloatingPointError) as e:
        culprit = None if tensor else _first_non_finite(v, i)  # sin(x*1e200*1e200) fails at sin: 1e400 came first
        if culprit is not None:
            raise _domain_error(graph, v, culprit, OverflowError("overflow")) from None
        raise _domain_error(graph, v, i, e) from None
    if not tensor and not math.isfinite(sum(v)):  # 1e200*1e200 is inf, no exception; a finite sum: all finite
        culprit = _first_non_finite(v, len(v))
        if culprit is not None:
            raise _domain_error(graph, v, culprit, OverflowError("overflow"))
    return v


def _array_leaves(graph: Graph, inputs: dict) -> list:
    """The tape's values before a tensor program's forward pass: its literals and inputs as arrays (0-d for a
    number, so sum(2) works), 0.0 for every other node."""
    np = load_numpy()
    v = [0.0] * len(graph)
    for i, value in graph.consts.items():
        v[i] = np.asarray(value, dtype=float)
    for name, i in graph.inputs.items():
        v[i] = np.asarray(inputs[name], dtype=float)
    return v


def planned_shapes(graph: Graph, inputs: dict) -> list | None:
    """Every node's shape at these inputs, checked and inferred before any array is computed (None for a
    scalar program): what a caller needs to refuse a result too large before the forward pass."""
    check_inputs(graph, inputs)
    return infer_shapes(graph, _array_leaves(graph, inputs)) if uses_tensors(graph, inputs) else None


def array_code(graph: Graph) -> list:
    """The forward program over numpy arrays: each row's numpy function, its parameters bound, made once."""
    if "array_code" not in graph.cache:
        graph.cache["array_code"] = _array_code(graph)
    return graph.cache["array_code"]


def _array_code(graph: Graph) -> list:
    m, params, ops = array_namespace(), graph.params, graph.ops
    return [partial(getattr(m, ops[i].name), **params[i]) if i in params else getattr(m, ops[i].name)
            for i in graph.args.nodes]


def infer_shapes(graph: Graph, values: list) -> list:
    """Every node's shape, from the inputs' shapes alone: a mismatch is reported before anything is computed."""
    from .ops import _broadcast

    leaves = tuple(getattr(values[i], "shape", ()) for i in graph.inputs.values())
    known = graph.cache.get("shapes")
    if known is not None and known[0] == leaves:  # evaluated before at inputs of these shapes
        return known[1]
    shapes, elements, room = [], 0, budget.LIMITS.elements
    for i, (op, args) in enumerate(zip(graph.ops, graph.args)):
        if not args:
            shapes.append(getattr(values[i], "shape", ()))
        else:
            rule = op.shape or _broadcast
            try:
                shapes.append(rule(*[shapes[a] for a in args], **graph.params.get(i, _NO_PARAMS)))
            except ShapeMismatch as e:
                raise _shape_error(graph, shapes, i, e) from None
            if len(shapes[i]) > budget.MAX_RANK:  # [[[x]]] nested 10^5 deep: refused at its ninth axis
                raise _shape_error(graph, shapes, i, ShapeMismatch(
                    f"it would have {len(shapes[i])} axes, and arrays have at most {budget.MAX_RANK}"))
        if shapes[i]:
            elements += math.prod(shapes[i])
        if elements > room:  # the arrays the forward pass would make, counted before it makes one
            raise _too_many_elements(graph, shapes, i, elements)
    graph.cache["shapes"] = leaves, shapes
    return shapes


def _too_many_elements(graph: Graph, shapes: list, i: int, elements: int):
    alone = math.prod(shapes[i]) > budget.LIMITS.elements
    what = f"{graph.text(i, 48)}{_call(graph, i)} ({shape_text(shapes[i])}{'' if alone else ', with the arrays before it'})"
    return budget.too_large("elements", elements, what, source=graph.source, span=graph.spans[i], op=graph.ops[i].name)


def _shape_error(graph: Graph, shapes: list, i: int, e: Exception) -> ShapeError:
    op, args = graph.ops[i], graph.args[i]
    parts = ", ".join(f"{graph.label(a, 24)} is {shape_text(shapes[a])}" for a in args
                      if graph.ops[a].name != "const" or shapes[a])
    hint = None
    if op.name == "mul" and len(args) == 2 and [len(shapes[a]) for a in args] in ([2, 1], [2, 2]):
        a, b = (graph.label(a, 24) for a in args)
        hint = f"* multiplies element by element; for the matrix product write {a} @ {b}"
    return ShapeError(f"shapes do not fit in {op.name}: {parts + ': ' if parts else ''}{e}, in {graph.text(i, 48)}"
                      f"{_call(graph, i)}",
                      source=graph.source, span=graph.spans[i], op=op.name, hint=hint,
                      shapes=[list(shapes[a]) for a in args])


def call_text(graph: Graph, i: int, width: int = LABEL_WIDTH) -> str | None:
    """The source text of the user-function call that made node i (`cell(h1, x[1])`), or None; shortened
    to `width` characters with an ellipsis, as a label is (f(f(f(...))) nested 10^5 deep would otherwise
    print its 3·10^5 characters at every node it made)."""
    if i not in graph.calls:
        return None
    return graph.text_between(*graph.calls[i], width)


def use_places(graph: Graph, uses: list) -> list:
    """How each use of a shared node is called, as `cgrad eval` labels them: the call that made the
    user (`cell(h1, xs[1])`), else the user's label; the argument too where that alone is ambiguous."""
    where = [call_text(graph, j) or graph.label(j) for j, _, _ in uses]
    if len(set(where)) < len(where):  # the same call uses it twice: name the node too
        where = [f"{graph.label(j)}, argument {k + 1}" + (f", in {call_text(graph, j)}" if j in graph.calls else "")
                 for j, k, _ in uses]
    return where


def _call(graph: Graph, i: int) -> str:
    """` (in the call cell(h1, x[1]))` for a node a function call made."""
    return f" (in the call {call_text(graph, i)})" if i in graph.calls else ""


def _bad_element(graph: Graph, v: list, i: int) -> str:
    """` (first at [1]: x = -1)`: where an elementwise op fails, so a student sees which element did it."""
    np, args = load_numpy(), graph.args[i]
    with np.errstate(all="ignore"):
        out = getattr(array_namespace(), graph.ops[i].name)(*[v[a] for a in args])
    bad = np.argwhere(~np.isfinite(out))
    if not len(bad):
        return ""
    k = tuple(int(j) for j in bad[0])
    parts = []
    for a in args:
        x = np.broadcast_to(v[a], np.shape(out))
        if graph.ops[a].name != "const" or graph.names[a] is not None:
            parts.append(f"{graph.label(a)} = {show(x[k])}")
    return f" (first at [{', '.join(map(str, k))}]: {', '.join(parts)})"


def _first_non_finite(v: list, stop: int) -> int | None:
    """The first node before `stop` whose value is inf or nan: where an overflow happened."""
    return next((j for j in range(stop) if not math.isfinite(v[j])), None)


def _domain_error(graph: Graph, v: list, i: int, e: Exception, derivative: str | None = None) -> MathDomainError:
    op, args = graph.ops[i], graph.args[i]
    shown = ", ".join(f"{graph.label(a)} = {show(v[a])}" for a in args
                      if graph.ops[a].name != "const" or graph.names[a] is not None) or "its arguments"
    what = f"the derivative of {op.name} ({derivative})" if derivative else op.name
    if isinstance(e, OverflowError) or (isinstance(e, (ValueError, FloatingPointError)) and
                                         ("range" in str(e) or "overflow" in str(e))):
        why = "overflows float64"
    elif isinstance(e, ZeroDivisionError) or "divide" in str(e):
        why = "divides by zero"
    else:
        why = "is undefined"
    if derivative is None and op.vjp is None and any(hasattr(v[a], "shape") and v[a].shape for a in args):
        shown += _bad_element(graph, v, i)
    if isinstance(e, SingularMatrix):
        shown += f" ({e})"
    return MathDomainError(f"{what} {why} at {shown}, in {graph.text(i, 48)}{_call(graph, i)}",
                           source=graph.source, span=graph.spans[i], node=i, op=op.name,
                           arguments=[{"text": graph.label(a), "value": to_json(v[a])} for a in args])


def to_json(value):
    """A value as JSON: a float, or nested lists for an array."""
    return value.tolist() if hasattr(value, "tolist") else value


def backward(graph: Graph, values: list, out: int, seed=None) -> Evaluation:
    """Reverse mode from node `out`: one sweep down the tape.

    Each node passes ∂out/∂node · ∂node/∂arg down to its arguments; a local
    derivative is only computed for an argument that depends on an input.  Over
    arrays the same sweep runs with numpy: elementwise ops reuse their scalar rules
    (a broadcast argument gets its gradient summed back to its shape), other tensor
    ops give a vector-Jacobian product.  `seed` (∂out/∂out, default 1) picks one
    element of a tensor output: that is one row of a Jacobian.
    """
    n, ops, argss, needs, v = len(graph), graph.ops, graph.args, graph.needs_grad, values
    tensor = graph.tensor or hasattr(values[out], "shape")  # arrays in the program, or given as inputs
    shapes = [getattr(x, "shape", ()) for x in values] if tensor else None
    if seed is None and tensor and shapes[out]:  # no gradient of a vector: eval says to use jacobian
        return Evaluation(graph, out, v, None, [None] * n, reached_from(graph, out)[0], [], shapes)
    i = out
    silenced = False  # did a rule that branches run (over arrays, m.where silences numpy's errors)?
    try:
        with gc_paused():
            if tensor:
                g, local, reached = [0.0] * n, [None] * n, bytearray(n)
                g[out], reached[out] = 1.0 if seed is None else seed, True
                with load_numpy().errstate(all="raise", under="ignore"):
                    for i in range(out, -1, -1):
                        if argss[i] and reached[i]:
                            silenced = _array_step(graph, v, g, local, reached, i) or silenced
            else:
                g, reached = _scalar_sweep(graph, v, out, 1.0 if seed is None else seed)
                local = LocalDerivatives(graph, v, reached)
    except _SweepError as e:
        i = e.node
        raise _derivative_error(graph, v, i, e.error) from None
    except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError) as e:
        raise _derivative_error(graph, v, i, e) from None
    # Over arrays numpy raises on overflow, divide and invalid, so a gradient can only be inf or nan if a
    # rule silenced those.  Inf or nan anywhere on the way reaches the inputs' gradients: a node with a
    # gradient depends on an input, and its share to an argument that does is gradient × local derivative,
    # inf or nan again, added into a sum that stays so; so the inputs' gradients are all there is to check.
    if (silenced or not tensor) and not _all_finite([g[i] for i in graph.inputs.values()], tensor):
        i = next(i for i in range(n - 1, -1, -1) if not _all_finite([g[i]], tensor))
        raise MathDomainError(f"the gradient overflows float64 at {graph.text(i, 48)}", source=graph.source,
                              span=graph.spans[i], node=i)
    warnings = [(i, _kink_warning(graph, i)) for i in graph.kinks
                if reached[i] and needs[i] and _any(ops[i].kink(*(v[a] for a in argss[i]),
                                                                 **graph.params.get(i, _NO_PARAMS)))]
    if tensor:
        warnings += _vector_products(graph, shapes, reached)
    return Evaluation(graph, out, v, g, local, reached, warnings, shapes)


class Hint(str):
    """A warning that is advice on how the program is written (u @ v.T of two vectors), not a kink met at
    the point: its kind is 'hint' (warning_kind), where a plain message is a kink's."""
    kind = "hint"


def warning_kind(message: str) -> str:
    """'hint' or 'kink': the kind of a message of Evaluation.warnings, as text and JSON label it."""
    return getattr(message, "kind", "kink")


def _vector_products(graph: Graph, shapes: list, reached: bytearray) -> list:
    """`u @ v.T` with two vectors is their dot product, as in numpy (.T leaves a vector as it is): a student
    who wrote the .T plainly meant a column times a row, so the warning points at outer(u, v)."""
    found = []
    for i, (op, args) in enumerate(zip(graph.ops, graph.args)):
        if op.name == "matmul" and reached[i] and len(shapes[args[0]]) == 1 == len(shapes[args[1]]) \
                and graph.ops[args[1]].name == "transpose":
            u, v = graph.label(args[0], 24), graph.label(graph.args[args[1]][0], 24)
            found.append((i, Hint(f"'{graph.text(i, 48)}' multiplies two vectors: that is their dot product, a "
                                  "number (as in numpy, .T leaves a vector as it is); for the outer product write "
                                  f"outer({u}, {v})")))
    return found


def _array_step(graph: Graph, v: list, g: list, local: list, reached: bytearray, i: int) -> bool:
    """Node i's share of the sweep over arrays; True if its rules branch (m.where silences numpy's errors)."""
    op, args, needs, gi, o = graph.ops[i], graph.args[i], graph.needs_grad, g[i], v[i]
    if not needs[i]:  # a constant, or a node that cuts the graph (x > 0, detach(x)): nothing flows back
        for a in args:
            reached[a] = True
        return False
    if op.vjp is not None:  # a tensor op: its vector-Jacobian product gives each argument's share
        if gi.__class__ is float and not gi:  # nothing flowed back here (an index, a constant)
            shares = [None] * len(args)
        else:
            shares = op.vjp(array_namespace(), gi, o, *[v[a] for a in args], **graph.params.get(i, _NO_PARAMS))
        for a, share in zip(args, shares):
            reached[a] = True
            if share is not None and needs[a]:
                _add_into(g, a, share, gi)
        return False
    m, xs = array_namespace(), [v[a] for a in args]
    ls = local[i] = tuple(rule(m, o, *xs) if needs[a] else None for rule, a in zip(op.partials, args))
    for a, d, x in zip(args, ls, xs):
        reached[a] = True
        if d is not None:
            _add_into(g, a, _unbroadcast(gi * d, x), gi)
    return op.branches


class _SweepError(Exception):
    def __init__(self, node: int, error: Exception):
        self.node, self.error = node, error


def reached_from(graph: Graph, out: int) -> tuple[bytearray, list]:
    """Which nodes lie on node out's subgraph (a flag per node), and the rows that do (their positions in
    graph.args, in tape order): one walk down the rows from out's."""
    rows, n = graph.args, len(graph)
    nodes, firsts, seconds, rest = rows.nodes, rows.firsts, rows.seconds, rows.rest
    reached = bytearray(n + 2)  # a second argument of -1 (none) or -2 (more, in rows.rest) lands in a spare
    reached[out] = True
    kept = []
    for p in range(rows.pos[out], -1, -1):
        i = nodes[p]
        if reached[i]:
            kept.append(p)
            reached[firsts[p]] = reached[seconds[p]] = True
            if seconds[p] == -2:
                for a in rest[i]:
                    reached[a] = True
    del reached[n:]
    kept.reverse()
    return reached, kept


def _scalar_sweep(graph: Graph, v: list, out: int, seed: float) -> tuple[list, bytearray]:
    """The backward sweep over floats: the gradient of every node (0 off the output's subgraph), and
    which nodes it reached.

    It walks the forward program down, each row's step planned once per op and per pattern of arguments
    that depend on an input (ops.sweep_plan): a constant local derivative is a number, x*y reads the other
    argument, other rules are called, and an argument that depends on no input gets nothing added (a
    constant's gradient stays 0) and no rule called, without a test per row.  From the last node of a tape
    whose every other node is some row's argument (Args.every_node_used: a chain, one expression) every
    row is on the way and the walk tests nothing; from elsewhere it walks only the rows on out's subgraph
    (reached_from).  No list is made per node and none is kept.
    """
    n, rows = len(graph), graph.args
    nodes, firsts, seconds, steps = rows.nodes, rows.firsts, rows.seconds, graph.program().steps
    if out == n - 1 and rows.every_node_used():
        reached = bytearray(b"\x01") * n  # a byte a node (a list of True: 8), kept with the evaluation
    else:
        reached, kept = reached_from(graph, out)
        nodes, firsts, seconds, steps = ([*map(column.__getitem__, kept)] for column in (nodes, firsts, seconds,
                                                                                          steps))
    g = [0.0] * n
    g[out] = seed
    m, i, needs, argss = NUMERIC, out, graph.needs_grad, rows.rest
    try:
        for i, a, b, (kind, ra, rb) in zip(reversed(nodes), reversed(firsts), reversed(seconds), reversed(steps)):
            gi = g[i]
            if kind is SWEEP_PRODUCT:
                g[a] += gi * v[b]
                g[b] += gi * v[a]
            elif kind is SWEEP_SUM:
                g[a] += gi
                g[b] += gi
            elif kind is SWEEP_PRODUCT_B:
                g[b] += gi * v[a]
            elif kind is SWEEP_SUM_A:
                g[a] += gi
            elif kind is SWEEP_PRODUCT_A:
                g[a] += gi * v[b]
            elif kind is SWEEP_SUM_B:
                g[b] += gi
            elif kind is SWEEP_UNARY:
                g[a] += gi * ra(m, v[i], v[a])
            elif kind is SWEEP_BINARY:
                o, x, y = v[i], v[a], v[b]
                if ra is not None:
                    g[a] += gi * ra(m, o, x, y)
                if rb is not None:
                    g[b] += gi * rb(m, o, x, y)
            elif kind is SWEEP_SCALE_A:
                g[a] += gi * ra
            elif kind is SWEEP_SCALE_B:
                g[b] += gi * rb
            elif kind is SWEEP_SCALE:
                g[a] += gi * ra
                g[b] += gi * rb
            elif kind is SWEEP_NARY:  # ra: the rules, one per argument
                args = argss[i]
                xs = [*map(v.__getitem__, args)]  # no comprehension: it would make v a cell, slow to read
                for k, rule in zip(args, ra):
                    if needs[k]:
                        g[k] += gi * rule(m, v[i], *xs)
            # SWEEP_NONE: no argument depends on an input
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        raise _SweepError(i, e) from None
    return g, reached


class LocalDerivatives:
    """ev.local of a scalar program: node i's local derivatives, one per argument (None for an argument that
    depends on no input; None for a node off the output's subgraph or a leaf), computed when asked for with
    the same rules the sweep applied, and not kept -- neither a sweep over 10^5 nodes nor a JSON document
    listing each node's keeps a tuple per node."""

    def __init__(self, graph: Graph, values: list, reached: bytearray):
        self.graph, self.values, self.reached = graph, values, reached

    def __len__(self) -> int:
        return len(self.graph)

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        g, v = self.graph, self.values
        op, args = g.ops[i], g.args[i]
        return None if not args or not self.reached[i] or op.vjp is not None else tuple(
            rule(NUMERIC, v[i], *[v[a] for a in args]) if g.needs_grad[a] else None
            for rule, a in zip(op.partials, args))


def _add_into(g: list, a: int, share, gi) -> None:
    """g[a] += share over arrays, copying as little as numpy allows.

    Every array g holds is its own (made by an addition, or a fresh result adopted as it is), so
    adding in place is safe; a view (a transpose, a broadcast, a slice of another gradient) is
    copied when it arrives first.
    """
    acc = g[a]
    if share.__class__ is Scatter:
        if acc.__class__ is float:
            g[a] = share.dense() + acc
        else:
            share.add_to(acc)
    elif acc.__class__ is float and not acc and getattr(share, "base", 0) is None and share is not gi:
        g[a] = share  # a fresh array nobody else holds: adopt it
    else:
        g[a] = acc + share if acc.__class__ is float or not acc.shape else _iadd(acc, share)


def _iadd(acc, share):
    acc += share
    return acc


def _unbroadcast(grad, x):
    """A gradient summed back to the shape of `x`, the argument numpy broadcast to the output's shape."""
    shape = getattr(x, "shape", ())
    if getattr(grad, "shape", ()) == shape:
        return grad
    extra = grad.ndim - len(shape)
    kept = tuple(k for k, size in enumerate(shape) if size == 1 and grad.shape[extra + k] != 1)
    return grad.sum(axis=tuple(range(extra)) + tuple(extra + k for k in kept), keepdims=True).reshape(shape) \
        if kept else grad.sum(axis=tuple(range(extra)))


def _all_finite(values: list, tensor: bool) -> bool:
    if not tensor:
        return math.isfinite(sum(values)) or all(map(math.isfinite, values))
    return _finite_arrays(values)


def _finite_arrays(values) -> bool:
    """No inf or nan in any of the arrays (or floats): a finite sum proves it, since nan and inf survive
    a sum, without the pass that np.isfinite allocates for; an overflowing sum gets that closer look."""
    np = load_numpy()
    with np.errstate(over="ignore", invalid="ignore"):
        for x in values:
            if not (math.isfinite(x) if x.__class__ is float else
                    math.isfinite(x.sum()) or np.isfinite(x).all()):
                return False
    return True


def _any(hit) -> bool:
    return bool(hit.any()) if hasattr(hit, "any") else bool(hit)


def count_paths(graph: Graph, out: int, reached: bytearray) -> list:
    """How many paths lead from `out` down to each node: the number of terms the chain rule sums.

    A float, because it can be astronomical (a chain of shared nodes doubles it at every step); kept as
    machine floats (8 bytes a node).
    """
    paths = array("d", bytes(8 * len(graph)))
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
    if op.vjp is not None or hasattr(v[i], "shape"):  # over arrays: name the first argument with a gradient
        a = next((a for a in args if graph.needs_grad[a]), args[0])
        return _domain_error(graph, v, i, e, derivative=f"with respect to {graph.label(a)}")
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
