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
import re
import sys

from .. import __version__
from ..core.autodiff import CONVENTIONS, Evaluation, call_text, warning_kind
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


def warning_entries(pairs) -> list:
    """(node id, message) pairs, as Evaluation.warnings holds them, as "warnings" entries, each of its kind:
    'kink', or 'hint' for advice on how the program is written (core.autodiff.warning_kind)."""
    return [warning(i, warning_kind(message), message) for i, message in pairs]


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


def shared_uses(ev: Evaluation, walked: bool = False) -> dict:
    """{input: [(consumer node, argument position, contribution)]} for the inputs used more than once.

    The lecture's parameter sharing: each use is treated as its own variable, and the input's gradient
    is the sum of the contributions.  Empty when the output was not differentiated.  `walked`: in a scalar
    program, each input's uses as a Stream walked when written (Evaluation.each_use), not a list.
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
        if hits.get(i, 0) > 1 and walked and ev.shapes is None:  # over floats every use of an input has a share
            out[name] = Stream(lambda i=i: ev.each_use(i), hits[i])
        elif hits.get(i, 0) > 1:
            uses = ev.uses(i)
            if len(uses) > 1:
                out[name] = uses
    return out


class Stream:
    """A list of the document made as it is written (render.json.write writes it a few thousand items at a
    time): a 5·10^6-node program's node dicts, or the uses of an input used 5·10^6 times, all at once took
    more memory than the graph itself.  Iterating gives the items."""

    def __init__(self, make, size: int):
        self.make, self.size = make, size  # make() -> an iterator over the items

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        return self.make()


def _stream(items: tuple) -> Stream:
    """A tuple written a chunk at a time (a sum of 5·10^6 terms), not first listed whole."""
    return Stream(lambda: iter(items), len(items))


def _nodes(ev: Evaluation, grads: list):
    """eval's node dicts, in tape order."""
    g, tensor, values, local = ev.graph, ev.shapes is not None, ev.values, ev.local
    for i, (op, args, name, (start, end)) in enumerate(zip(g.ops, g.args, g.names, g.spans)):
        line, column = g.line_col(start)
        node = {"id": i, "name": name, "op": op.name}
        if tensor:
            node["shape"] = list(ev.shapes[i])
        node.update({
            "inputs": list(args), "value": values[i], "grad": grads[i],
            "local": list(local[i]) if local[i] is not None else [None] * len(args),
            "span": {"start": start, "end": end, "line": line, "column": column},
        })
        if i in g.calls:
            node["call"] = call_text(g, i)
        yield node


def document(ev: Evaluation, wrt=None, sums: dict | None = None) -> dict:
    """The document; `sums` (core.sums.groups) lists the sums the other views draw as one node."""
    g = ev.graph
    values, counts = ev.values, ev.paths
    more, differentiated = extended(ev), ev.differentiated
    grads = ev.grads if ev.shapes is None else [ev.grad(i) for i in range(len(g))] if differentiated \
        else [None] * len(g)
    doc = {
        **header("eval"),
        "output": ev.output_name,
        "output_node": ev.output,
        "value": ev.value,
    }
    if not differentiated:
        doc["note"] = non_scalar_note(ev)
    doc["inputs"] = {name: values[i] for name, i in g.inputs.items()}
    doc["constants"] = {name: values[i] for name, i in g.constants.items()}  # --const: no gradient
    doc["gradients"] = dict(ev.gradients(wrt)) if differentiated else None
    shared = shared_uses(ev, walked=True)
    if more or shared:  # a scalar program gets it when an input is used more than once (an RNN step by step)
        doc["uses"] = {name: Stream(lambda uses=uses: ({"node": j, "in": g.label(j), "call": call_text(g, j),
                                                        "contribution": share} for j, _, share in uses), len(uses))
                       for name, uses in shared.items()}
    doc.update({
        "paths": {name: _count(counts[i]) for name, i in g.inputs.items()},
        "warnings": warning_entries(ev.warnings),
        "conventions": {"kinks": CONVENTIONS},
        "source": g.source,
        "nodes": Stream(lambda: _nodes(ev, grads), len(g)),
    })
    if sums:  # the nodes stay the tape's: a reader finds the views' n-ary sums here
        doc["sums"] = [{"node": s.node, "terms": _stream(s.terms), "signs": _stream(s.signs),
                        "merged": _stream(s.inner)} for s in sums.values()]
    return doc


def dumps(doc: dict) -> str:
    """The document as one line of JSON text (arrays in it as nested lists)."""
    return "".join(p if isinstance(p, str) else p.decode("ascii") for p in pieces(doc))


def write(doc: dict, out=None) -> None:
    """dumps(doc) and a new line, written to `out` (stdout) piece by piece: each large array goes out as its
    own bytes, so a 3000×3000 matrix costs its ~170 MB of text once, not nine million Python floats."""
    out = out or sys.stdout
    for piece in pieces(doc):
        if isinstance(piece, bytes):
            out.flush()
            out.buffer.write(piece)
        else:
            out.write(piece)
    out.write("\n")


# A float64 array of at least this many elements is written by orjson, not through tolist() and json's encoder.
LARGE = 256


def pieces(doc: dict):
    """The document's text: str pieces from json's encoder, bytes for the large arrays between them (each stands
    in json's text as a string holding a random mark and its number)."""
    import os

    mark, large = f"cgrad-array-{os.urandom(8).hex()}-", []

    def array(value):
        if isinstance(value, Stream) or getattr(value, "dtype", None) == "float64" and value.size >= LARGE:
            large.append(value)
            return f"{mark}{len(large) - 1}"
        if hasattr(value, "tolist"):
            return value.tolist()
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, default=array)
    if not large:
        yield text
        return
    parts = re.split(f'"{mark}(\\d+)"', text)
    for k, part in enumerate(parts):
        if k % 2 == 0:
            yield part
        elif isinstance(large[int(part)], Stream):
            yield from _listed(large[int(part)])
        else:
            yield array_json(large[int(part)])


def _listed(items, chunk: int = 4096):
    """A JSON list of `items` (dicts made as they are iterated), as pieces: json's encoder a chunk at a time."""
    from itertools import islice

    it, first = iter(items), True
    yield "["
    while batch := list(islice(it, chunk)):
        if not first:
            yield ", "
        first = False
        yield from _inner(pieces(batch))
    yield "]"


def _inner(parts):
    """The pieces of a JSON list without its brackets (the first piece and the last are json's text)."""
    last = None
    for k, part in enumerate(parts):
        if last is not None:
            yield last
        last = part[1:] if k == 0 else part
    yield last[:-1]


# orjson writes a float as Python's repr does, but for some below 1e-4: 1e-7 for 1e-07, 0.0000573 for 5.73e-05.
_SHORT_EXPONENT = re.compile(rb"e-(\d)\b")
_FIXED_SMALL = re.compile(rb"0\.0000(0*)([1-9])(\d*)")


def _python_small(m) -> bytes:
    if m.start() and m.string[m.start() - 1] in b"0123456789.":  # inside 10.00001: as Python writes it
        return m.group()
    zeros, first, rest = m.groups()
    return first + (b"." + rest if rest else b"") + b"e-%02d" % (len(zeros) + 5)


def _rewritten(text: bytes, at) -> bytes:
    """text with the numbers around the offsets `at` written by Python's repr (a few: a loop over them; a
    float's text is at most 24 characters, so each looks no further for its ends)."""
    out, done = [], 0
    for i in sorted(at):
        if i < done:
            continue
        start = max(text.rfind(b",", max(0, i - 32), i), text.rfind(b"[", max(0, i - 32), i)) + 1
        end = min(k for k in (text.find(b",", i, i + 32), text.find(b"]", i, i + 32)) if k >= 0)
        out += [text[done:start], repr(float(text[start:end])).encode()]
        done = end
    return b"".join(out) + text[done:]


def _offsets(text: bytes, what: bytes):
    i = text.find(what)
    while i >= 0:
        yield i
        i = text.find(what, i + len(what))


def array_json(value) -> bytes:
    """A float64 array as json.dumps(value.tolist()) writes it, byte for byte, made by orjson in C."""
    import numpy as np
    import orjson

    if not np.isfinite(value).all():
        raise ValueError("Out of range float values are not JSON compliant")
    text = orjson.dumps(np.ascontiguousarray(value), option=orjson.OPT_SERIALIZE_NUMPY)
    magnitude = np.abs(value)
    small = int(np.count_nonzero((magnitude < 1e-4) & (magnitude > 0)))  # the numbers orjson may write otherwise
    if small and small * 16 < value.size:
        text = _rewritten(text, [*_offsets(text, b"e-"), *_offsets(text, b"0.0000")])
    elif small:
        text = _FIXED_SMALL.sub(_python_small, _SHORT_EXPONENT.sub(rb"e-0\1", text))
    return text.replace(b",", b", ")
