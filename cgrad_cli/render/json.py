"""The evaluated graph as one JSON document (schema: cgrad_cli/schemas/eval.schema.json).

Flat by design: nodes are a list in tape order that refer to each other by id,
so a graph 10^5 deep serialises without nesting.  Keys come out in a fixed
order and floats in Python's shortest round-trip form, so the same input gives
byte-identical output.

A program with tensors gives arrays as nested lists (numpy's tolist()), a
"shape" on every node, and, when the output is not a scalar, its value with
null gradients and a "note" saying what to do instead.  A program with tensors
or user-function calls, or with an input used more than once, also gets "uses":
the contributions of each use of a shared input, which add up to its gradient.
"""
from __future__ import annotations

import json

from .. import __version__
from ..core.autodiff import CONVENTIONS, Evaluation, call_text, to_json
from ..core.ops import shape_text

# --- the envelope every command's --json document shares ------------------------------------------------------
# Each document starts with "$schema" (the $id of cgrad_cli/schemas/NAME.schema.json) and "version", carries
# "source" when a program was given, and lists "warnings" as {"node": id or null, "kind", "message"} objects.

# A document whose format changed gets a new URL: check 2 has `got` (the answer's value) and `expected` (the
# correct one), the other way round from check 1, so that they mean the same as in an assignment's items.
VERSIONS = {"check": 2}


def schema_id(name: str) -> str:
    """The $id of cgrad_cli/schemas/NAME.schema.json, which the document's "$schema" repeats."""
    return f"https://cgrad.dev/schemas/{name}-{VERSIONS.get(name, 1)}.json"


SCHEMA = schema_id("eval")


def header(name: str) -> dict:
    """The first two keys of every command's document: {"$schema": ..., "version": ...}."""
    return {"$schema": schema_id(name), "version": __version__}


def warning(node: int | None, kind: str, message: str, **more) -> dict:
    """One entry of a document's "warnings": {"node", "kind", "message"}, then any command-specific keys."""
    return {"node": node, "kind": kind, "message": message, **more}


def kink_warnings(pairs) -> list:
    """(node id, message) pairs, as Evaluation.warnings holds them, as "warnings" entries of kind 'kink'."""
    return [warning(i, "kink", message) for i, message in pairs]


def integral(x):
    """A score or count as JSON writes it: 2 for 2.0, 0.5 as it is."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _count(paths: float):
    """A path count: an integer while exact, a float when astronomical, null past float64."""
    if paths < 2.0 ** 53:
        return int(paths)
    return paths if paths != float("inf") else None


def extended(ev: Evaluation) -> bool:
    """Does the output say more than a plain scalar program's: tensors, or user-function calls?"""
    return ev.shapes is not None or bool(ev.graph.calls)


def non_scalar_note(ev: Evaluation) -> str | None:
    """What to do when the output is not a scalar (None when it is, and was differentiated)."""
    if ev.differentiated:
        return None
    shape = tuple(ev.shapes[ev.output])
    name = ev.output_name
    what = f"a {shape_text(shape)}" if len(shape) == 1 else f"a {shape_text(shape)} array"
    ref = name if name.replace("_", "").isalnum() else f"({name})"
    element = f"{ref}[{', '.join(['0'] * len(shape))}]"
    return (f"the output {name} is {what}, not a scalar: there is no single gradient. "
            f"Use cgrad jacobian PROGRAM --wrt NAME for the Jacobian, or reduce it (sum({name}), {element}).")


def shared_uses(ev: Evaluation) -> dict:
    """{input: [(consumer node, argument position, contribution)]} for the inputs used more than once.

    The lecture's parameter sharing: each use is treated as its own variable, and the input's gradient
    is the sum of the contributions.  Empty when the output was not differentiated.
    """
    if not ev.differentiated:
        return {}
    g, hits = ev.graph, {}
    index = {i: name for name, i in g.inputs.items()}
    for j in range(ev.output + 1):  # count first: ev.uses walks the tape, so only call it for shared inputs
        if ev.reached[j]:
            for a in g.args[j]:
                if a in index:
                    hits[a] = hits.get(a, 0) + 1
    out = {}
    for name, i in g.inputs.items():
        if hits.get(i, 0) > 1:
            uses = ev.uses(i)
            if len(uses) > 1:
                out[name] = uses
    return out


def document(ev: Evaluation, wrt=None, sums: dict | None = None) -> dict:
    """The document; `sums` (core.sums.groups) lists the sums the other views draw as one node."""
    g = ev.graph
    values, local, counts = ev.values, ev.local, ev.paths
    tensor, more, differentiated = ev.shapes is not None, extended(ev), ev.differentiated
    grads = ev.grads if not tensor else [ev.grad(i) for i in range(len(g))] if differentiated else [None] * len(g)
    nodes = []
    for i, (op, args, name, (start, end)) in enumerate(zip(g.ops, g.args, g.names, g.spans)):
        line, column = g.line_col(start)
        node = {"id": i, "name": name, "op": op.name}
        if tensor:
            node["shape"] = list(ev.shapes[i])
        node.update({
            "inputs": list(args), "value": to_json(values[i]), "grad": to_json(grads[i]),
            "local": [to_json(d) for d in local[i]] if local[i] is not None else [None] * len(args),
            "span": {"start": start, "end": end, "line": line, "column": column},
        })
        if i in g.calls:
            node["call"] = call_text(g, i)
        nodes.append(node)
    doc = {
        **header("eval"),
        "output": ev.output_name,
        "output_node": ev.output,
        "value": to_json(ev.value),
    }
    if not differentiated:
        doc["note"] = non_scalar_note(ev)
    doc["inputs"] = {name: to_json(values[i]) for name, i in g.inputs.items()}
    doc["gradients"] = {name: to_json(grad) for name, grad in ev.gradients(wrt).items()} if differentiated else None
    shared = shared_uses(ev)
    if more or shared:  # a scalar program gets it when an input is used more than once (an RNN step by step)
        doc["uses"] = {name: [{"node": j, "in": g.label(j), "call": call_text(g, j), "contribution": to_json(share)}
                              for j, _, share in uses] for name, uses in shared.items()}
    doc.update({
        "paths": {name: _count(counts[i]) for name, i in g.inputs.items()},
        "warnings": kink_warnings(ev.warnings),
        "conventions": {"kinks": CONVENTIONS},
        "source": g.source,
        "nodes": nodes,
    })
    if sums:  # the nodes stay the tape's: a reader finds the views' n-ary sums here
        doc["sums"] = [{"node": s.node, "terms": list(s.terms), "signs": list(s.signs), "merged": list(s.inner)}
                       for s in sums.values()]
    return doc


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)
