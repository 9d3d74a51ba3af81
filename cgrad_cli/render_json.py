"""The evaluated graph as one JSON document (schema: cgrad_cli/schemas/eval.schema.json).

Flat by design: nodes are a list in tape order that refer to each other by id,
so a graph 10^5 deep serialises without nesting.  Keys come out in a fixed
order and floats in Python's shortest round-trip form, so the same input gives
byte-identical output.
"""
from __future__ import annotations

import json

from . import __version__
from .autodiff import CONVENTIONS, Evaluation

SCHEMA = "https://cgrad.dev/schemas/eval-1.json"


def _count(paths: float):
    """A path count: an integer while exact, a float when astronomical, null past float64."""
    if paths < 2.0 ** 53:
        return int(paths)
    return paths if paths != float("inf") else None


def document(ev: Evaluation, wrt=None) -> dict:
    g = ev.graph
    values, grads, local, paths = ev.values, ev.grads, ev.local, ev.paths
    nodes = []
    for i, (op, args, name, (start, end)) in enumerate(zip(g.ops, g.args, g.names, g.spans)):
        line, column = g.line_col(start)
        nodes.append({
            "id": i, "name": name, "op": op.name, "inputs": list(args), "value": values[i], "grad": grads[i],
            "local": local[i] if local[i] is not None else [None] * len(args),
            "span": {"start": start, "end": end, "line": line, "column": column},
        })
    return {
        "$schema": SCHEMA,
        "version": __version__,
        "output": ev.output_name,
        "output_node": ev.output,
        "value": ev.value,
        "inputs": {name: values[i] for name, i in g.inputs.items()},
        "gradients": ev.gradients(wrt),
        "paths": {name: _count(paths[i]) for name, i in g.inputs.items()},
        "warnings": [{"node": i, "kind": "kink", "message": message} for i, message in ev.warnings],
        "conventions": {"kinks": CONVENTIONS},
        "source": g.source,
        "nodes": nodes,
    }


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)
