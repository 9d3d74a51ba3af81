"""`cgrad explain` on a tensor program: the chains of Jacobians of symbolic/tensor_explain.py as text
(Rich on a terminal, plain when piped), Markdown, LaTeX (bmatrix; a 3-D Jacobian as its slices) or
JSON (schema: cgrad_cli/schemas/explain.schema.json, its tensor form).

Reads a TensorExplanation; computes nothing but text.  Per input: the paths, each as its chain
∂C/∂y · ∂y/∂z · ..., then every factor with its shape and structure (in full when small), then the
reverse sweep along the path: g after each vector-Jacobian product, ending at the path's share; for
an input used several times, one term per use and their sum, the gradient `cgrad eval` reports.
"""
from __future__ import annotations

from ..core.ops import shape_text
from ..core.show import number, show
from ..symbolic.explain import cuts, definition
from ..symbolic.jacobians import words
from ..symbolic.latex import LatexNames, tex_number, text_mode
from ..symbolic.tensor_explain import TensorExplanation, Target
from .explain import cut_lines
from .width import WIDTH, wrap  # the text output fits 80 columns: long chains and vectors wrap at their separators

_ATOM = 100


def _shape(shape: tuple) -> str:
    """A Jacobian's shape as `cgrad jacobian` states it: `scalar`, `3`, `3×3×4`."""
    return "×".join(map(str, shape)) if shape else "scalar"


def _small(value, limit: int) -> bool:
    return getattr(value, "size", 1) <= limit


def value_lines(value, limit: int) -> list:
    """A value as text lines: a number or a vector on one line, a matrix row by row with its columns
    aligned, a 3-D array as its slices [0], [1], ...; past `limit` elements, its shape and range."""
    shape = getattr(value, "shape", ())
    if len(shape) <= 1 or not _small(value, limit):
        text = show(value) if _small(value, 12) or not _small(value, limit) else None
        if text is not None and (len(shape) == 0 or len(text) <= WIDTH - 8 or not _small(value, limit)):
            return [text]
        return wrap("[", [number(float(x)) for x in value], ", ", WIDTH - 8, " ", "]")
    if len(shape) == 2:
        cells = [[number(float(x)) for x in row] for row in value]
        widths = [max(len(row[j]) for row in cells) for j in range(shape[1])]
        rows = ["[" + ", ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]
        if len(rows) == 1:
            return ["[" + rows[0] + "]"]
        return ["[" + rows[0] + ","] + [" " + r + "," for r in rows[1:-1]] + [" " + rows[-1] + "]"]
    out = []
    for i in range(shape[0]):
        sub = value_lines(value[i], limit)
        out += [f"[{i}] " + sub[0]] + ["    " + line for line in sub[1:]]
    return out




class _Words:
    """What the text, Markdown and JSON forms share: labels in ∂ notation, equations in words."""

    def __init__(self, ex: TensorExplanation):
        self.ex, self.ev, self.labels = ex, ex.ev, ex.labels
        self.g = ex.ev.graph

    def d(self, top: int, node: int) -> str:
        return f"∂{self.labels.d(top)}/∂{self.labels.d(node)}"

    def node(self, i: int) -> str:
        return self.labels.d(i)

    def chain(self, path) -> str:
        return " · ".join(self.d(f.parent, f.child) for f in path.factors)

    def route(self, path) -> str:
        return " → ".join(self.labels.name(i) for i in path.nodes)

    def structure(self, f) -> str:
        return words(f.jac, f.shape)

    def vjp(self, step, f) -> str:
        """`g ⊗ a1 (outer)`, with the lecture's closed form where one applies."""
        return f.jac.vjp + (f" = {step.known}" if step.known else "")

    def use_of(self, target: Target, path) -> str | None:
        last = path.factors[-1]
        return next((u.place for u in target.uses if (u.user, u.k) == (last.parent, last.k)), None)

    def heading(self, t: Target) -> str:
        like = f"shaped like {t.name}" if t.shape else "a number"
        n = "no path" if not t.count else "1 path" if t.count == 1 else \
            f"{t.count} paths" if t.paths is not None else \
            f"more than {self.ex.max_paths} path{'s' if self.ex.max_paths != 1 else ''}"
        return f"{self.d(self.ev.output, t.node)} ({_shape(t.shape)}, {like}): {n}"

    def header(self) -> str:
        ev = self.ev
        at = [f"{name} = {show(ev.values[i])}" if _small(ev.values[i], 12) and len(show(ev.values[i])) <= 40 and
              len(getattr(ev.values[i], "shape", ())) < 2 else f"{name}: {shape_text(ev.shapes[i])}"
              for name, i in self.g.inputs.items()]
        head = f"{self.labels.d(ev.output)} = {show(ev.value)}" + (" at " if at else "")
        return wrap(head, at, ", ", WIDTH, "  ") if at else [head]

    def where(self) -> list:
        return [(self.labels.name(i), definition(self.g, i, self.labels.sym).text) for i in self.ex.where()]


# --- text ------------------------------------------------------------------------------------------

def lines(ex: TensorExplanation) -> list:
    """The text output as lines of (text, style) segments (render.explain.plain / rich print them)."""
    w, limit = _Words(ex), ex.show_elements
    out = [[(line, "bold")] for line in w.header()]
    for n, (name, text) in enumerate(w.where()):
        out.append([("where " if n == 0 else "      ", "dim"), (name, "bold cyan"), (" = " + text, "")])
    for t in ex.targets:
        out += [[], [(w.heading(t), "bold")]]
        if not t.count:
            out.append([(f"  {w.labels.d(ex.ev.output)} does not depend on {t.name} through anything with a "
                         f"derivative (an index, a constant): the gradient is 0", "dim")])
            continue
        if t.paths is None:
            out.append([(f"  (too many to write out: more than --max-terms {ex.max_paths}; the uses and their "
                         "sum follow)", "dim")])
        described: dict = {}
        for n, path in enumerate(t.paths or (), 1):
            out += _path_lines(w, t, path, n, described, limit)
        out += _sum_lines(w, t, limit)
    return out + cut_lines(ex.ev)


def _path_lines(w: _Words, t: Target, path, n: int, described: dict, limit: int) -> list:
    out = []
    if len(t.paths) > 1:
        use = w.use_of(t, path)
        out.append([(f"  path {n}" + (f" (the use in {use})" if use else ""), "bold")])
    out.append([("  " + w.route(path), "cyan")])
    if not path.factors:
        return out + [[("  " + w.d(w.ev.output, t.node) + " = 1", "")]]
    lhs = "  " + w.d(w.ev.output, t.node) + " = "
    chain = wrap(lhs, [w.d(f.parent, f.child) for f in path.factors], " · ", WIDTH, " " * len(lhs))
    out.append([(lhs, "bold"), (chain[0][len(lhs):], "")])
    out += [[(line, "")] for line in chain[1:]]
    out.append([("  Jacobians (output.shape + input.shape):", "dim")])
    width = max(len(w.d(f.parent, f.child)) for f in path.factors)
    for f in path.factors:
        head = [(f"    {w.d(f.parent, f.child).ljust(width)}  ", ""), (f"{_shape(f.shape):>7}  ", "dim")]
        if (f.parent, f.k) in described:
            out.append(head + [(f"as in path {described[f.parent, f.k]}", "dim")])
            continue
        described[f.parent, f.k] = n
        text = w.structure(f)
        extra = 13 if f.full is None and len(f.shape) > 1 else 3 + len(number(float(f.full))) \
            if f.full is not None and f.full.size == 1 else 0
        if sum(len(part) for part, _ in head) + len(text) + extra > WIDTH:  # the structure on a line of its own
            out.append(head[:1] + [(head[1][0].rstrip(), "dim")])
            head = [("      ", "")]
        if f.full is None:
            out += _fit(head, [(text, "yellow"), ("  (not built)" if len(f.shape) > 1 else "", "dim")])
        elif f.full.size == 1:
            value = number(float(f.full))
            out += _fit(head, [(text + ("" if text.endswith(": " + value) else " = " + value), "yellow")])
        else:
            out += _fit(head, [(text, "yellow")])
            out += [[("      " + line, "")] for line in value_lines(f.full, limit)]
    out.append([(f"  reverse mode: g = ∂{w.labels.d(w.ev.output)}/∂node after each vector-Jacobian product "
                 f"(g = 1 at {w.labels.name(path.nodes[0])}):", "dim")])
    same = _shared_prefix(t, n)
    if same:
        out.append([(f"    g_{w.node(path.steps[1].node)} … g_{w.node(path.steps[same].node)}", "bold"),
                    (f"  as in path {_shared_with(t, n, same)}", "dim")])
    for f, step in list(zip(path.factors, path.steps[1:]))[same:]:
        values = value_lines(step.g, limit)
        head = [(f"    g_{w.node(step.node)} = ", "bold"), (w.vjp(step, f) + " =", "")]
        if len(values) == 1 and sum(len(text) for text, _ in head) + 1 + len(values[0]) <= WIDTH:
            out.append(head + [(" " + values[0], "green")])
        else:
            out.append(head)
            out += [[("      " + line, "green")] for line in values]
    return out


def _fit(head: list, parts: list) -> list:
    """A factor's row on one line when it fits WIDTH; else its description on the next line, indented."""
    if sum(len(text) for text, _ in head + parts) <= WIDTH:
        return [head + parts]
    return [head[:-1] + [(head[-1][0].rstrip(), head[-1][1])], [("      ", "")] + parts]


def _shared_prefix(t: Target, n: int) -> int:
    """How many leading factors path n shares with an earlier path (their g vectors are the same)."""
    mine = t.paths[n - 1].factors
    best = 0
    for other in t.paths[:n - 1]:
        k = 0
        while k < min(len(mine), len(other.factors)) - 1 and mine[k] == other.factors[k]:
            k += 1
        best = max(best, k)
    return best


def _shared_with(t: Target, n: int, k: int) -> int:
    mine = t.paths[n - 1].factors[:k]
    return next(m for m, other in enumerate(t.paths, 1) if other.factors[:k] == mine)


def _sum_lines(w: _Words, t: Target, limit: int) -> list:
    lhs = w.d(w.ev.output, t.node)
    total = value_lines(t.gradient, limit)
    out = []
    if t.uses:
        out.append([(f"  {lhs} = the sum over the {len(t.uses)} uses of {t.name}, one term each:", "bold")])
        for n, u in enumerate(t.uses):
            values = value_lines(u.share, limit)
            out.append([("    " + ("+ " if n else "  "), ""), (values[0], "green")] +
                       ([(f"  ({u.place})", "dim")] if len(values) == 1 else []))
            out += [[("      " + line, "green")] for line in values[1:]]
            if len(values) > 1:
                out.append([(f"      ({u.place})", "dim")])
        out.append([("    = ", ""), (total[0], "bold green")] if len(total) == 1 else [("    =", "")])
    else:
        inline = len(total) == 1 and len(lhs) + 5 + len(total[0]) <= WIDTH
        out.append([(f"  {lhs} = ", "bold"), (total[0], "bold green")] if inline else [(f"  {lhs} =", "bold")])
    out += [[("      " + line, "bold green")] for line in total] if len(total) > 1 or not t.uses and not inline else []
    out.append([("  (the gradient cgrad eval reports)", "dim")])
    return out


# --- Markdown --------------------------------------------------------------------------------------

def markdown(ex: TensorExplanation) -> str:
    """Markdown: formulas in code spans, one table of the Jacobians and one of the reverse sweep per path."""
    w, limit = _Words(ex), ex.show_elements
    out = [f"`{' '.join(w.header())}`"]
    if w.where():
        out += ["", "where"] + [f"- `{name} = {text}`" for name, text in w.where()]
    for t in ex.targets:
        out += ["", f"### {w.heading(t)}", ""]
        if not t.count:
            out.append(f"`{w.d(ex.ev.output, t.node)} = 0`: no path with a derivative leads to {t.name}.")
            continue
        for n, path in enumerate(t.paths or (), 1):
            if len(t.paths) > 1:
                use = w.use_of(t, path)
                out += [f"**path {n}**" + (f" (the use in `{use}`)" if use else ""), ""]
            out += [f"`{w.route(path)}`", ""]
            if not path.factors:
                continue
            out += [f"`{w.d(ex.ev.output, t.node)} = {w.chain(path)}`", "",
                    "| Jacobian | shape | structure | value |", "|---|---|---|---|"]
            for f in path.factors:
                full = "" if f.full is None else "<br>".join(f"`{x}`" for x in value_lines(f.full, limit))
                out.append(f"| `{w.d(f.parent, f.child)}` | {_shape(f.shape)} | `{w.structure(f)}` | {full} |")
            out += ["", "| g (reverse mode) | vector-Jacobian product | value |", "|---|---|---|"]
            for f, step in zip(path.factors, path.steps[1:]):
                value = "<br>".join(f"`{x}`" for x in value_lines(step.g, limit))
                out.append(f"| `g_{w.node(step.node)}` | `{w.vjp(step, f)}` | {value} |")
            out.append("")
        lhs = w.d(ex.ev.output, t.node)
        if t.uses:
            out += ["| use | share |", "|---|---|"]
            out += [f"| `{u.place}` | " + "<br>".join(f"`{x}`" for x in value_lines(u.share, limit)) + " |"
                    for u in t.uses]
            out.append("")
        out.append(f"`{lhs}` = " + "<br>".join(f"`{x}`" for x in value_lines(t.gradient, limit))
                   + " (the gradient cgrad eval reports" + (", the sum of the uses)" if t.uses else ")"))
    out += [line for _, sentence in cuts(ex.ev) for line in ("", f"{sentence}.")]
    return "\n".join(out) + "\n"


# --- LaTeX -----------------------------------------------------------------------------------------

def tex_value(value, limit: int) -> str:
    """A value in LaTeX: a number, a bmatrix (a vector as a row), a 3-D array as its slices; past
    `limit` elements, its shape in words."""
    shape = getattr(value, "shape", ())
    if not shape:
        return tex_number(number(float(value)))
    if value.size > limit:
        return text_mode(show(value))
    if len(shape) == 1:
        return "\\begin{bmatrix} " + " & ".join(tex_number(number(float(x))) for x in value) + " \\end{bmatrix}"
    if len(shape) == 2:
        rows = [" & ".join(tex_number(number(float(x))) for x in row) for row in value]
        return "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}"
    return ",\\ ".join(f"[{i}]: {tex_value(value[i], limit)}" for i in range(shape[0]))


def latex(ex: TensorExplanation) -> str:
    """An amsmath align* environment: per path the chain of Jacobians as fractions, each factor with its
    shape, structure and (when small) its bmatrix, then the reverse sweep's g vectors."""
    w, limit, ev = _Words(ex), ex.show_elements, ex.ev
    names = LatexNames(list(ev.graph.named) + [ex.labels.name(i) for i in ex.where()])

    def label(i: int) -> str:
        kind = ex.labels.kind(i)
        return names(ex.labels.name(i)) if kind in ("name", "generated") else text_mode(ex.labels.name(i))

    def frac(top: int, node: int) -> str:
        return f"\\frac{{\\partial {label(top)}}}{{\\partial {label(node)}}}"

    rows = [f"% cgrad explain: {_ascii(' '.join(w.header()))}"]
    rows += [f"{names(name)} &= {text_mode(text)} \\\\" for name, text in w.where()]
    for t in ex.targets:
        lhs = frac(ev.output, t.node)
        rows.append(f"% {_ascii(w.heading(t))}")
        for n, path in enumerate(t.paths or (), 1):
            if not path.factors:
                continue
            rows.append(f"% path {n}: {_ascii(w.route(path))}")
            rows.append(f"{lhs} &= " + " \\cdot ".join(frac(f.parent, f.child) for f in path.factors) + " \\\\")
            for f in path.factors:
                what = _tex_words(f"{_shape(f.shape)}, {w.structure(f)}")
                full = "" if f.full is None else " = " + tex_value(f.full, limit)
                rows.append(f"{frac(f.parent, f.child)} &: {what}{full} \\\\")
            for f, step in zip(path.factors, path.steps[1:]):
                rows.append(f"g_{{{label(step.node)}}} &= {_tex_words(w.vjp(step, f))} = {tex_value(step.g, limit)}"
                            " \\\\")
        for u in t.uses:
            rows.append(f"% the use in {_ascii(u.place)}")
            rows.append(f"&\\phantom{{=}} {tex_value(u.share, limit)} \\quad {text_mode('(' + u.place + ')')} \\\\")
        rows.append(f"{lhs} &= {tex_value(t.gradient, limit)} \\\\[1ex]")
    if rows[-1].endswith(" \\\\[1ex]"):
        rows[-1] = rows[-1][:-len(" \\\\[1ex]")]
    return "\n".join([rows[0], "\\begin{align*}"] + rows[1:] + ["\\end{align*}"]) + "\n"


_MATH = {"−": "$-$", "⊙": "$\\odot$", "⊗": "$\\otimes$", "ᵀ": "$^\\top$", "·": "$\\cdot$", "Σ": "$\\Sigma$",
         "δ": "$\\delta$", "→": "$\\to$", "×": "$\\times$"}


def _tex_words(text: str) -> str:
    """Words with a little mathematics (diag(y) − y yᵀ) as LaTeX text, its symbols in math mode."""
    tex = text_mode(text)
    for char, math in _MATH.items():
        tex = tex.replace(char, math)
    return tex


def _ascii(text: str) -> str:
    return text.replace("∂", "d").replace("·", "*").replace("→", "->")


# --- JSON ------------------------------------------------------------------------------------------

def _json(value):
    """A number as a float; an array as it is (render.json writes it: a large one by orjson, not tolist)."""
    return value if getattr(value, "shape", ()) else float(value)


def document(ex: TensorExplanation) -> dict:
    """The working as data: per target its paths (chain, factors with shape, structure and full values
    when small, the g after each VJP), its uses and its gradient."""
    from .json import header, warning_entries

    w, ev, g = _Words(ex), ex.ev, ex.ev.graph
    targets = []
    for t in ex.targets:
        targets.append({
            "name": t.name, "node": t.node, "shape": list(t.shape), "gradient": _json(t.gradient),
            "paths_count": t.count if t.paths is not None or not t.count else None,
            "paths": None if t.paths is None else [{
                "nodes": [ex.labels.name(i) for i in p.nodes], "node_ids": list(p.nodes),
                "chain": w.chain(p),
                "use": w.use_of(t, p) if p.factors else None,
                "factors": [{"d": w.d(f.parent, f.child), "parent": f.parent, "argument": f.k, "child": f.child,
                             "shape": list(f.shape), "kind": f.jac.kind, "structure": w.structure(f),
                             "formula": f.jac.formula, "vjp": f.jac.vjp,
                             "value": None if f.full is None else _json(f.full)} for f in p.factors],
                "steps": [{"node": ex.labels.name(s.node), "node_id": s.node,
                           "g": _json(s.g) if _small(s.g, ex.show_elements) else None, "known": s.known}
                          for s in p.steps],
                "contribution": _json(p.contribution) if _small(p.contribution, ex.show_elements) or
                len(t.paths) > 1 else None,
            } for p in t.paths],
            "uses": [{"node": u.user, "argument": u.k, "place": u.place, "share": _json(u.share)} for u in t.uses],
        })
    return {
        **header("explain"),
        "output": ex.labels.name(ev.output),
        "output_node": ev.output,
        "value": _json(ev.value),
        "inputs": {name: _json(ev.values[i]) for name, i in g.inputs.items()},
        "show_elements": ex.show_elements,
        "max_terms": ex.max_paths,
        "names": {name: text for name, text in w.where()},
        "wrt": targets,
        "cuts": [{"node": i, "message": sentence} for i, sentence in cuts(ev)],
        "warnings": warning_entries(ev.warnings),
        "source": g.source,
    }
