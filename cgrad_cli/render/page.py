"""`cgrad graph -o lecture.html`: one self-contained page to explore the graph.

The page draws the lecture's figure with its own small layered layout (page.js, no network, no
Graphviz), steps the forward pass node by node and the backward pass edge by edge, and opens a
panel per node with its value, gradient, local derivatives and the chain rule as `cgrad explain`
writes it.  Everything the page shows is text made here from the evaluated graph and the
library's explanation (symbolic.explain); the script only lays out, shows and hides it.
"""
from __future__ import annotations

import json
import re
from importlib import resources

from ..core.autodiff import Evaluation
from ..core.show import brief, number
from ..symbolic.explain import (MAX_TERMS, Labels, adjoint_steps, count_paths, explain, lecture_order,
                                 path_factors)
from ..symbolic.jacobians import local_jacobian, words
from . import explain as render_explain
from . import graph as rg

GRID = 8  # a grid in the panel shows at most this many rows and columns (the shape says the rest)
WORKING_FACTORS = 40  # a node's paths are written out when they hold at most this many factors together,
PAGE_FACTORS = 4000  # and while the page's workings hold at most this many (a 1000-node page stays < 2 MB)


def grid(value, limit: int = GRID) -> dict | str:
    """A value for the panel: a number as text, an array as a labelled grid cut to `limit` rows and
    columns ({"shape", "columns", "rows": [[label, cell, ...]], "cut"}); rows of a 3-D array or more
    are labelled by their leading indices."""
    shape = getattr(value, "shape", ())
    if not shape:
        return number(float(value))
    import numpy as np

    from ..core.ops import shape_text

    matrix = value.reshape(1, -1) if len(shape) == 1 else value.reshape(-1, shape[-1])
    rows, cols = matrix.shape
    labels = [""] if len(shape) == 1 else [",".join(map(str, np.unravel_index(r, shape[:-1])))
                                           for r in range(min(rows, limit))]
    return {"shape": shape_text(shape),
            "columns": [str(c) for c in range(min(cols, limit))],
            "rows": [[label] + [number(float(x)) for x in matrix[r, :limit]] for r, label in enumerate(labels)],
            "cut": rows > limit or cols > limit}


def data(ev: Evaluation, wrt=None) -> dict:
    """What the page shows, as JSON-able data: nodes, edges, the two sweeps' steps, the workings."""
    g = ev.graph
    nodes = rg.drawn(ev)
    index = {i: n for n, i in enumerate(nodes)}
    wrt_nodes = frozenset(g.named[name] for name in wrt) if wrt else frozenset()
    scalar = ev.shapes is None
    grads = ev.differentiated

    edges, edge_of = [], {}
    labels = Labels(g)
    for i in nodes:
        for k, a in enumerate(g.args[i]):
            if not rg.folded(ev, a):
                edge_of[(i, k)] = len(edges)
                text = rg.edge_text(ev, i, k)
                edge = {"from": index[a], "to": index[i], "label": text,
                        "flows": bool(text is not None and g.needs_grad[a] and grads)}
                if not scalar:
                    jac = local_jacobian(ev, i, k, labels.sym)
                    if jac is not None:  # the Jacobian's structure in the lecture's words, for the panel
                        edge["structure"] = words(jac, tuple(ev.shapes[i]) + tuple(ev.shapes[a]))
                edges.append(edge)

    order = lecture_order(ev) if grads else []
    workings, steps, where, ex = {}, {}, [], None
    if scalar and grads:
        steps = adjoint_steps(ev, labels, order)
        count = count_paths(ev)
        factors = path_factors(ev, count)
        chosen, budget = [], PAGE_FACTORS
        for i in reversed(nodes):  # nearest the output first, until the page's budget is spent
            if g.needs_grad[i] and count[i] and count[i] <= MAX_TERMS and factors[i] <= min(WORKING_FACTORS, budget):
                chosen.append(i)
                budget -= factors[i]
        chosen.reverse()
        ex = explain(ev, nodes=chosen, labels=labels, count=count)
        for t in ex.targets:
            w = render_explain.working(ex, t)
            for p in w["paths"]:
                p["edges"] = [edge_of[e] for e in p["edges"]]
            workings[t.node] = w
        where = render_explain.where_lines(ex)
        for name, i in g.inputs.items():  # an input whose paths are too many or too long to write out here
            if i not in workings and ev.reached[i] and count[i]:
                paths = render_explain.count_text(count[i])
                workings[i] = {"equation": None, "paths": [], "note": (
                    f"{paths} path{'' if paths == '1' else 's'} with {render_explain.count_text(factors[i])} "
                    f"factors in all lead here: too many to write out here; "
                    f"cgrad explain --wrt {name} writes the sum")}

    out = []
    for i in nodes:
        name, rest = rg.title(ev, i)
        node = {"name": name, "rest": rest, "op": g.ops[i].name, "kind": rg.kind(ev, i), "wrt": i in wrt_nodes,
                "value": rg.value_text(ev, i), "source": g.text(i, rg.TOOLTIP_WIDTH), "full": grid(ev.values[i])}
        if g.needs_grad[i] and grads:
            gi = ev.grad(i)
            node.update(grad=rg.grad_text(ev, i), gradName=rg.grad_name(ev, i), gradValue=brief(gi),
                        gradFull=grid(gi))
        step = steps.get(i)
        if step is not None and step.uses:
            node["step"] = render_explain.step_equation(ex, step)
            node["parts"] = [number(u.product) for u in step.uses]
            node["shares"] = render_explain.use_texts(ex, step)
        if i in workings:
            node["working"] = workings[i]
        out.append(node)

    backward = []  # the backward pass, edge by edge, in the order the shares are written (lecture_order)
    for i in order:
        for k in range(len(g.args[i])):
            e = edge_of.get((i, k))
            if e is not None and edges[e]["flows"]:
                backward.append(e)
    return {
        "program": rg.program_text(ev),
        "at": rg.inputs_text(ev),
        "output": index[ev.output],
        "result": rg.joined(g.label(ev.output, rg.TEXT_WIDTH), ev.value),
        "legend": rg.legend(ev),
        "differentiated": grads,
        "nodes": out,
        "edges": edges,
        "backward": backward,
        "inputs": [index[g.named[name]] for name in (wrt or g.inputs)
                   if g.named[name] in workings and workings[g.named[name]]["paths"]],
        "where": where,
    }


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


def _script_json(doc: dict) -> str:
    """JSON safe inside <script>: `<`, `>`, `&` and the two line separators escaped."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def page(ev: Evaluation, wrt=None) -> str:
    """The page: HTML with its style, its script and its data inline; it loads nothing."""
    parts = {"title": rg.html_text(f"cgrad graph: {rg.program_text(ev, 60)}"), "css": _asset("page.css"),
             "data": _script_json(data(ev, wrt)), "js": _asset("page.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("page.html"))
