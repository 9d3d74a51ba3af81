"""Source-to-source differentiation: the reverse sweep run over formulas instead of numbers.

`derivatives(graph, ["x"])` walks the tape forward building each node's formula
(an expr.Expr), then backward applying the same derivative rules as
autodiff.backward, with the namespace `m` an `Exprs` space: the adjoints come
out as formulas, simplified as they are built.  The result is itself a
program (notation.to_program), so a second derivative is the same pass
run again on it.
"""
from __future__ import annotations

from ..core.autodiff import (
    check_inputs,
    evaluate,
    forward,
    lookup,
    output_node,
    uses_tensors,
    wrt_nodes,
)
from ..core.graph import Graph
from ..core.ops import apply, load_numpy, shape_text
from ..core.parsing import parse
from ..core.records import record
from ..errors import CgradError, InputError, listed
from .expr import ADD, FN, MUL, NUM, POW, VAR, Expr, Exprs, children, postorder
from .jacobian_form import linear_map, transposed
from .notation import to_program
from .tensor_expr import FORMULA_OPS, NoFormula, TensorExprs


def derivatives(graph: Graph, wrt, output: str | None = None, keep: bool = False,
                space: Exprs | None = None) -> dict:
    """{name: ∂output/∂name as a formula} for each name in `wrt` (inputs or assigned names).

    With `keep`, named intermediates (c = a+b) stay as their names in the
    formulas instead of being written out.
    """
    out = output_node(graph, output)
    targets = {name: lookup(graph, name, "--wrt") for name in wrt}
    m = space or Exprs(order=list(graph.inputs))
    ops, argss, needs, params = graph.ops, graph.args, graph.needs_grad, graph.params
    e = node_formulas(graph, m, out, keep)
    adjoint: list = [None] * (out + 1)
    adjoint[out] = m.num(1.0)
    for i in range(out, -1, -1):
        gi = adjoint[i]
        if gi is None or not argss[i] or ops[i].cuts:
            continue
        xs = [e[a] for a in argss[i]]
        if ops[i].vjp is not None:  # a tensor op: its vector-Jacobian rule, run over formulas (TensorExprs)
            try:
                shares = ops[i].vjp(m, gi, e[i], *xs, **params.get(i, {}))
            except NoFormula as error:
                error.node = i  # for the message's caret
                raise
        else:  # elementwise: the local derivative times g, summed back over broadcast axes
            shares = [unbroadcast(m, m.mul(gi, rule(m, e[i], *xs)), x) for rule, x in zip(ops[i].partials, xs)]
        for term, a in zip(shares, argss[i]):
            if term is not None and (needs[a] or a in targets.values()):
                adjoint[a] = term if adjoint[a] is None else m.add(adjoint[a], term)
    zero = m.num(0.0)
    return {name: adjoint[i] if i <= out and adjoint[i] is not None else zero for name, i in targets.items()}


def node_formulas(graph: Graph, m: Exprs, out: int, keep: bool = False) -> list:
    """The formula of every node up to `out`, in the inputs (with `keep`, named intermediates stay names)."""
    ops, argss, names, params = graph.ops, graph.args, graph.names, graph.params
    named = {i: name for name, i in graph.constants.items()}
    e = [None] * (out + 1)
    for i in range(out + 1):
        op = ops[i].name
        if op == "input":
            e[i] = m.var(names[i])
        elif i in named:  # --const lam=0.05: written by its name
            e[i] = m.var(named[i])
        elif op == "const":  # a number, or an array literal (only in a tensor program: TensorExprs.constant)
            c = graph.consts[i]
            e[i] = m.num(c) if isinstance(c, float) else m.constant(c)
        elif keep and names[i] is not None and i != out:
            e[i] = m.var(names[i])
        elif i in params or op == "var":  # the variance is op_var: m.var makes a variable
            e[i] = (getattr(m, "op_" + op, None) or getattr(m, op))(*[e[a] for a in argss[i]], **params.get(i, {}))
        else:
            e[i] = apply(m, op, [e[a] for a in argss[i]])
    return e


def constants(graph: Graph) -> dict:
    """{name: value} of the --const inputs: the formulas write them by name, and are evaluated with these."""
    return {name: graph.consts[i] for name, i in graph.constants.items()}


def unbroadcast(m, term, x):
    """An elementwise share summed back to its argument's shape (b's share in W @ x + b with b a scalar)."""
    if term.shape == x.shape:
        return term
    if not term.shape:  # g*0 for a comparison's argument, or a number spread over x's elements
        return m.broadcast_to(term, x.shape)
    if not x.shape:
        return m.sum(term)
    for _ in range(term.ndim - x.ndim):  # the axes broadcasting put in front
        term = m.sum(term, axis=0)
    for axis, (size, have) in enumerate(zip(x.shape, term.shape)):  # and those of size 1 it spread
        if size == 1 and have != 1:
            term = m.sum(term, axis, keepdims=True)
    return term


def as_program(exprs: dict, graph: Graph) -> Graph:
    """Formulas -> a parsed program with one statement per formula (for evaluating or differentiating again)."""
    text = to_program(exprs, reserved=graph.named)
    try:
        return parse(text)
    except CgradError as e:  # a printer bug, not a user error
        raise RuntimeError(f"cgrad printed a derivative it cannot read back: {e.message}\n{text}") from e


def value_at(expr_program: Graph, target: str, inputs: dict) -> float:
    """The value of statement `target` of a derivative program at `inputs` (only the inputs it uses)."""
    values = forward(expr_program, {name: inputs[name] for name in expr_program.inputs})
    return values[expr_program.named[target]]


def kinks_at(graph: Graph, point: dict, output: str | None) -> list:
    """(node id, message) for each kink the program meets at `point`, as `cgrad eval` warns about them:
    there the derivative's formula gives the convention's value (step(0) = 0 for relu, ...).  Empty when
    the program itself cannot be evaluated there (the point leaves out an input the derivative does not use)."""
    try:
        return evaluate(graph, {k: v for k, v in point.items() if k in graph.inputs}, output=output).warnings
    except CgradError:
        return []


@record
class Hessian:
    output: str  # the name (or source text) of the node differentiated
    output_node: int
    wrt: list
    point: dict
    rows: list  # rows[i][j] = ∂²output/∂wrt_i∂wrt_j at the point
    warnings: list  # the kinks the program meets at the point, as kinks_at


def hessian(graph: Graph, point: dict, wrt: list | None = None, output: str | None = None) -> Hessian:
    """H[i][j] = ∂²out/∂wrt_i∂wrt_j at `point` (wrt: inputs only, by default every input).

    The gradient's formulas are a program; differentiating that program is the
    same reverse sweep again, and its formulas are evaluated at the point.
    """
    wrt = wrt or list(graph.inputs)
    if not wrt:
        raise InputError("the program has no inputs: its Hessian is empty")
    if uses_tensors(graph, point):
        return matrix_hessian(graph, point, wrt, output)
    wrt_nodes(graph, wrt, "hessian")
    check_inputs(graph, point)
    space = Exprs(order=list(graph.inputs))
    first = derivatives(graph, wrt, output=output, space=space)
    gradient = as_program({f"d_{i}": first[name] for i, name in enumerate(wrt)}, graph)
    present = [name for name in wrt if name in gradient.named]  # ∂(2*x)/∂y: y is not in the formula at all
    rows = []
    for i in range(len(wrt)):
        second = derivatives(gradient, present, output=f"d_{i}", space=space)
        program = as_program({f"h_{j}": second.get(name, space.num(0.0)) for j, name in enumerate(wrt)}, graph)
        rows.append([value_at(program, f"h_{j}", {**constants(graph), **point}) for j in range(len(wrt))])
    return Hessian(output or graph.label(graph.output), output_node(graph, output), wrt, point, rows,
                   kinks_at(graph, point, output))


@record
class Derivatives:
    output: str  # the name (or source text) of the node differentiated
    output_node: int
    order: int
    point: dict  # where they were evaluated ({} for nowhere)
    formulas: dict  # {name: the order-th derivative with respect to name, an Expr}
    values: dict  # {name: its value at the point}, when a point was given
    warnings: list  # the kinks the program meets at the point, as kinks_at
    left_out: dict = {}  # {input: why}: inputs of the default --wrt whose derivative one formula cannot write
    constants: dict = {}  # {name: value} of the --const inputs, which the formulas write by name


def differentiate(graph: Graph, wrt: list | None = None, order: int = 1, keep: bool = False,
                  output: str | None = None, point: dict | None = None) -> Derivatives:
    """`cgrad diff`: the order-th derivative of the output with respect to each name in wrt (default: every
    input), each pass run on the program the last one printed; evaluated at `point` if one is given."""
    chosen, wrt = bool(wrt), wrt or list(graph.inputs)
    if not wrt:
        raise InputError("the program has no inputs to differentiate with respect to")
    if uses_tensors(graph, point or {}):
        return matrix_derivatives(graph, wrt, order, keep, output, point or {}, chosen)
    results = {}
    for name in wrt:
        g, target = graph, output
        for step in range(order):
            if step and name not in g.named:  # the last derivative does not mention name: every further one is 0
                d = Exprs(order=list(graph.inputs)).num(0.0)
                break
            d = derivatives(g, [name], output=target, keep=keep)[name]
            if step + 1 < order:
                g, target = as_program({"d_": d}, g), "d_"
        results[name] = d
    values, point = {}, point or {}
    if point:
        program = as_program({f"d{k}_": d for k, d in enumerate(results.values())}, graph)
        known = {**constants(graph), **point}
        missing = [n for n in program.inputs if n not in known]
        if missing:
            raise InputError("--at: missing value" + ("s" if len(missing) > 1 else "") + " for " + listed(missing))
        values = {name: value_at(program, f"d{k}_", known) for k, name in enumerate(results)}
    return Derivatives(output or graph.label(graph.output), output_node(graph, output), order, point, results,
                       values, kinks_at(graph, point, output) if point else [], constants=constants(graph))


def matrix_derivatives(graph: Graph, wrt: list, order: int, keep: bool, output: str | None,
                       point: dict, chosen: bool = True) -> Derivatives:
    """`cgrad diff` on a tensor program: ∂out/∂W for a scalar output, a formula of W's shape (the
    gradient convention), from the same sweep with the tensor ops' vjp rules run over TensorExprs.
    A vector output's Jacobian, and `--order 2` (the Hessian of a scalar function of a vector), are
    matrices: jacobian_formula.  The inputs' values give their shapes, and the formula is evaluated there."""
    missing = [name for name in graph.inputs if name not in point]
    if missing:
        raise InputError("cgrad diff on a tensor program needs a value for every input, to know its shape: "
                         "missing " + listed(missing), hint="give each one, e.g. --W '[[1, 2], [3, 4]]' --x '[1, 0]'")
    ev = evaluate(graph, point, output=output)
    out = ev.output
    shapes = {name: ev.shapes[lookup(graph, name, "--wrt")] for name in wrt}
    left_out = {}  # the default --wrt (every input) leaves out those it cannot write, while one is left
    for name, shape in shapes.items():
        try:
            _writable(graph, ev.shapes[out], name, shape, order)
        except InputError as e:
            if chosen or len(left_out) + 1 == len(shapes):
                raise
            left_out[name] = f"{e.message} ({e.hint})"
    wrt = [name for name in wrt if name not in left_out]
    _formula_rules(graph, out)
    # every name's shape (--keep writes named intermediates such as a1 as themselves), and value, to evaluate
    space = TensorExprs(order=list(graph.inputs), shapes={name: ev.shapes[i] for name, i in graph.named.items()})
    known = {**{name: ev.values[i] for name, i in graph.named.items() if i <= out}, **point}
    try:
        if ev.shapes[out]:  # a vector: its Jacobian, read off the formula of its vector-Jacobian product
            formulas = dict.fromkeys(wrt, node_formulas(graph, space, out)[out])
        else:
            formulas = derivatives(graph, wrt, output=output, keep=keep and order == 1, space=space)
            formulas = {name: space.broadcast_to(d, shapes[name]) for name, d in formulas.items()}
    except NoFormula as e:
        where = getattr(e, "node", None)
        raise InputError(f"{e}" + (f": {graph.text(where, 40)}" if where is not None else ""),
                         source=graph.source if where is not None else None,
                         span=graph.spans[where] if where is not None else None,
                         hint="cgrad eval and cgrad jacobian compute its numbers") from None
    try:  # a vector's Jacobian; then a gradient's Jacobian is a Hessian: symmetric
        for _ in range(order if ev.shapes[out] else order - 1):
            formulas = {name: jacobian_formula(d, name, graph, symmetric=not ev.shapes[out])
                        for name, d in formulas.items()}
    except NoFormula as e:
        raise InputError(f"cgrad diff: {e}", hint="cgrad eval and cgrad jacobian compute its numbers") from None
    if keep and (order > 1 or ev.shapes[out]):  # built from the written-out program: name the intermediates
        shaped = {name: ev.shapes[i] for name, i in graph.named.items()}
        formulas = {name: kept(d, graph, out, shaped) for name, d in formulas.items()}
    program = as_program({f"d{k}_": d for k, d in enumerate(formulas.values())}, graph)
    values = {name: value_at(program, f"d{k}_", known) for k, name in enumerate(formulas)}
    return Derivatives(output or graph.label(graph.output), out, order, point, formulas, values, ev.warnings,
                       left_out, constants(graph))


def kept(e: Expr, graph: Graph, out: int, shapes: dict) -> Expr:
    """`e` with each named intermediate's formula written as its name, as --keep writes them: s*(1 - s)
    for s = sigmoid(W @ x + b), where the formula was built from the program written out."""
    space = e.space
    space.inputs.update(shapes)
    formulas = node_formulas(graph, space, out)
    names = {}
    for name, i in graph.named.items():
        if i < out and graph.ops[i].name != "input" and formulas[i].kind not in (NUM, VAR):
            names.setdefault(formulas[i], space.var(name))
    new: dict = {}
    for node in postorder(e):
        parts = children(node)
        if node in names or all(new[c] is c for c in parts):
            new[node] = names.get(node, node)
        elif node.kind == ADD:
            new[node] = space.num(node.data[0])
            for t, c in node.data[1]:
                new[node] = space.add(new[node], space.mul(c, new[t]))
        elif node.kind == MUL:
            new[node] = space.num(node.data[0])
            for f, p in node.data[1]:
                new[node] = space.mul(new[node], space.pow(new[f], p))
        elif node.kind == POW:
            new[node] = space.pow(*(new[c] for c in parts))
        else:
            new[node] = space._make(FN, (node.data[0], tuple(new[c] for c in parts)))
    return new[e]


def _writable(graph: Graph, out_shape: tuple, name: str, shape: tuple, order: int) -> None:
    """Refuse a derivative whose array would have more than 2 axes (out.shape + order × the input's
    shape): one formula in cgrad's language writes a number, a vector or a matrix."""
    full = out_shape + shape * order
    if len(full) <= 2 and len(out_shape) < 2 or not out_shape and order == 1:
        return
    if len(full) <= 2:  # a matrix output's derivative with respect to a number
        raise InputError(f"{graph.label(graph.output)} is a {shape_text(out_shape)} matrix: cgrad diff writes the "
                         "Jacobian of a number or a vector only",
                         hint="cgrad jacobian gives it at a point; or differentiate a vector or a number made from it")
    array = f"a {len(full)}-D array, which one formula in cgrad's language cannot write"
    if out_shape:
        raise InputError(f"{graph.label(graph.output)} is a {shape_text(out_shape)}, not a number: its derivative"
                         f"{'' if order == 1 else f' of order {order}'} with respect to {name} ({shape_text(shape)}) "
                         f"is a Jacobian of shape {shape_text(full)}, {array}",
                         hint="cgrad jacobian gives it at a point; or differentiate a number made from it, such as "
                              "sum(...) or an element [k]")
    raise InputError(f"the derivative of order {order} with respect to {name} ({shape_text(shape)}) has shape "
                     f"{shape_text(full)}, {array}",
                     hint=f"cgrad hessian PROGRAM --wrt {name} gives the second derivatives at a point"
                     if order == 2 else "--order 2 of a vector input is its Hessian, a matrix")


def _formula_rules(graph: Graph, out: int) -> None:
    """Refuse, naming it, an op whose derivative has no formula rule yet."""
    for i in range(out + 1):
        op = graph.ops[i]
        if (op.vjp is not None or op.forward is None and op.arity != 0) and op.name not in FORMULA_OPS:
            raise InputError(f"cgrad diff has no formula rule for {op.name} yet: {graph.text(i, 40)}",
                             source=graph.source, span=graph.spans[i],
                             hint="cgrad eval and cgrad jacobian compute its derivatives' numbers")


def jacobian_formula(top: Expr, name: str, graph: Graph, symmetric: bool = False) -> Expr:
    """∂top/∂name as a formula shaped top.shape + name's shape (at most 2 axes in all), `top` a formula
    in a TensorExprs space.  A number's is its gradient, by the reverse sweep over the program `h_ =
    top`; a vector's Jacobian J is read off the sweep over `h_ = dot(top, v_)`, whose result Jᵀ v_ is
    linear in the new vector input v_ (symbolic.jacobian_form).  `symmetric` (top is a gradient, J a
    Hessian): Jᵀ is J, and is written in whichever of its two forms has fewer transposes."""
    space, out = top.space, top.shape
    shape = tuple(space.inputs.get(name, ()))
    cotangent = None
    if out:
        cotangent = next(v for v in (f"v{'_' * k}" for k in range(1, 99)) if v not in graph.named
                         and v not in space.inputs)
        space.inputs[cotangent] = out
        top = space.dot(top, space.var(cotangent))
    program = as_program({"h_": top}, graph)
    _formula_rules(program, program.named["h_"])
    inner = TensorExprs(order=list(dict.fromkeys([*space.order, *program.inputs])),
                        shapes={n: space.inputs[n] for n in program.inputs})
    if name not in program.inputs:
        return inner.zeros(*(out + shape)) if out + shape else inner.num(0.0)
    d = inner.broadcast_to(derivatives(program, [name], output="h_", space=inner)[name], shape)
    if cotangent is None:
        return d
    jt = linear_map(inner, d, inner.var(cotangent))  # Jᵀ, shaped name's shape + out
    if not shape:
        return jt
    j = transposed(inner, jt)
    return min((jt, j), key=_transposes) if symmetric else j


def _transposes(e: Expr) -> int:
    """How many .T a formula writes: of a symmetric matrix's two forms, the one with fewer reads better."""
    return sum(node.kind == FN and node.data[0] == "transpose" for node in postorder(e))


def matrix_hessian(graph: Graph, point: dict, wrt: list, output: str | None = None) -> Hessian:
    """The Hessian of a tensor program at `point`, one row and one column per element of each input in
    `wrt` (x[0], x[1], ... ; W[0,1] ...): the gradient's formulas (matrix_derivatives) are a tensor
    program, and its exact Jacobian at the point (reverse mode, core.jacobian) is the Hessian."""
    from ..core.jacobian import jacobian

    np = load_numpy()
    d = matrix_derivatives(graph, wrt, 1, False, output, point)
    program = as_program({f"d{k}_": e for k, e in enumerate(d.formulas.values())}, graph)
    known = {name: {**constants(graph), **point}[name] for name in program.inputs}
    present = [name for name in wrt if name in program.inputs]  # a linear term's gradient lacks its input
    shapes = {name: np.shape(point[name]) for name in wrt}
    labels, rows = [], []
    for k, a in enumerate(wrt):
        jac = jacobian(program, known, output=f"d{k}_", wrt=present).jacobians if present else {}
        for idx in np.ndindex(shapes[a]):
            labels.append(a if not idx else f"{a}[{', '.join(map(str, idx))}]")
            rows.append([float(v) for b in wrt for v in
                         (np.ravel(jac[b][idx]) if b in jac else np.zeros(int(np.prod(shapes[b]))))])
    return Hessian(d.output, d.output_node, labels, point, rows, d.warnings)
