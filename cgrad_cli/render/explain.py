"""`cgrad explain` output: the chain rule of explain.py as text (Rich on a terminal, plain when
piped), Markdown, LaTeX (an align* environment) or JSON.

Reads an Explanation; computes nothing but text.  Every equation has up to four parts, each
dropped when it would repeat the one before:

    ∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5
    lhs     the paths in ∂ notation       formulas    numbers       value

`·` joins the factors of a path; a `*` inside a factor belongs to one local derivative (`2*x`),
as in `cgrad eval`'s tree.
"""
from __future__ import annotations

import math

from ..symbolic.explain import Explanation, Target, count_json, count_text, cuts, definition, local_formula
from ..symbolic.latex import LatexNames, tex_number
from ..symbolic.notation import LATEX
from ..core.show import number as num
from ..symbolic.text import Sym
from .width import fold

_ATOM = 100


def _as_factor(text: str, prec: int) -> str:
    """A factor of a `·` product: sums and negative values in parentheses."""
    return f"({text})" if prec < 20 or text.startswith("-") else text


def _json_number(x: float):
    return x if math.isfinite(x) else None


# --- notations: how a ∂, a formula and a product are written ---------------------------------------------

class _Text:
    """Plain-text notation: ∂e/∂c, d·1."""

    times = "·"

    def __init__(self, ex: Explanation):
        self.ex, self.labels, self.ev = ex, ex.labels, ex.ev

    def d(self, top: int, node: int) -> str:
        d = self.labels.d
        return f"∂{d(top)}/∂{d(node)}"

    def node(self, i: int) -> str:
        return self.labels.d(i)

    def formula(self, parent: int, k: int, stored, value: float) -> str:
        """A local derivative as a factor: its formula, or its value when it has none."""
        if isinstance(stored, Sym):
            return _as_factor(stored.text, stored.prec)
        return self.number(value)

    def raw_formula(self, stored, value: float) -> str:
        return stored.text if isinstance(stored, Sym) else num(value)

    def number(self, x: float) -> str:
        """A value as a factor: negative ones in parentheses."""
        return _as_factor(num(x), _ATOM)

    def value(self, x: float) -> str:
        """A value standing alone (the result of an equation)."""
        return num(x)

    def definition(self, i: int) -> str:
        return definition(self.ev.graph, i, self.labels.sym).text


class _Latex(_Text):
    """LaTeX notation: \\frac{\\partial e}{\\partial c}, d \\cdot 1; formulas written by notation.LATEX
    from the rules and definitions themselves, an unnamed node's source text from its operations."""

    times = " \\cdot "

    def __init__(self, ex: Explanation):
        super().__init__(ex)
        self._atoms: dict[int, Sym] = {}
        self.names = LatexNames(list(ex.ev.graph.named) + [ex.labels.name(i) for i in ex.where()])

    def _atom(self, i: int) -> Sym:
        """The node's label as a LaTeX formula: a name, a literal, or (for a label that is source text)
        its definition over its arguments' labels, built arguments first without recursion."""
        todo, labels, args = [i], self.labels, self.ev.graph.args
        while todo:
            j = todo[-1]
            if j in self._atoms:
                todo.pop()
                continue
            kind = labels.kind(j)
            if kind == "text":
                missing = [a for a in args[j] if a not in self._atoms]
                if missing:
                    todo += missing
                    continue
                self._atoms[j] = definition(self.ev.graph, j, self._atoms.__getitem__, LATEX)
            elif kind == "const":
                self._atoms[j] = Sym(*LATEX.literal(labels.name(j)), LATEX)
            else:
                self._atoms[j] = Sym(self.names(labels.name(j)), labels.prec(j), LATEX)
            todo.pop()
        return self._atoms[i]

    def label(self, i: int) -> str:
        """The node's label in LaTeX, bare (no parentheses around a source text)."""
        return self._atom(i).text

    def node(self, i: int) -> str:
        return f"({self.label(i)})" if self.labels.kind(i) == "text" else self.label(i)

    def d(self, top: int, node: int) -> str:
        return f"\\frac{{\\partial {self.node(top)}}}{{\\partial {self.node(node)}}}"

    def formula(self, parent: int, k: int, stored, value: float) -> str:
        if stored is None:
            return self.number(value)
        formula = local_formula(self.ev, parent, k, self._atom, LATEX)
        if isinstance(formula, Sym):
            return _as_factor(formula.text, formula.prec)
        return self.number(value if formula is None else formula)

    def number(self, x: float) -> str:
        return _as_factor(self.value(x), _ATOM)

    def value(self, x: float) -> str:
        return tex_number(num(x)) if math.isfinite(x) else f"\\text{{{num(x)}}}"

    def definition(self, i: int) -> str:
        return definition(self.ev.graph, i, self._atom, LATEX).text


# --- the working of one target, in a notation -------------------------------------------------------------

def _dedupe(parts: list) -> list:
    out = [parts[0]]
    for part in parts[1:]:
        if part != out[-1]:
            out.append(part)
    return out


def _term_strings(nota: _Text, target: Target) -> list:
    """Per path: (∂ chain, formulas, numbers), each a `·` product."""
    times, rows = nota.times, []
    for term in target.terms:
        fs = term.factors
        rows.append((times.join([nota.d(f.parent, f.child) for f in fs]),
                     times.join([nota.formula(f.parent, f.k, f.formula, f.value) for f in fs]),
                     times.join([nota.number(f.value) for f in fs])))
    return rows


def _term_parts(nota: _Text, target: Target, rows: list | None = None) -> list:
    """[lhs, ∂ chains, formulas, numbers, value] of an enumerated target: lists of terms (the lhs
    and the value one-item lists), before deduplication."""
    rows = _term_strings(nota, target) if rows is None else rows
    return [[nota.d(nota.ev.output, target.node)], [r[0] for r in rows], [r[1] for r in rows],
            [r[2] for r in rows], [nota.value(target.gradient)]]


def _step_parts(nota: _Text, step) -> list:
    """A factored step in the same five parts: ∂out/∂node = Σ ∂out/∂u·∂u/∂node over the users u."""
    out = nota.ev.output
    lhs, value = [nota.d(out, step.node)], [nota.value(step.adjoint)]
    if not step.uses:  # the output itself
        return [lhs, [], [], [], value]
    chains = [nota.d(out, u.user) + nota.times + nota.d(u.user, step.node) for u in step.uses]
    formulas = [nota.d(out, u.user) + nota.times + nota.formula(u.user, u.k, u.formula, u.local)
                for u in step.uses]
    numbers = [nota.number(u.adjoint) + nota.times + nota.number(u.local) for u in step.uses]
    return [lhs, chains, formulas, numbers, value]


def _equation(parts: list) -> str:
    return " = ".join(_dedupe([" + ".join(p) for p in parts if p]))


def _path_text(nota: _Text, term) -> str:
    """e → c → b, with `(use 2)` where a node is its parent's argument more than once (x*x)."""
    g = nota.ev.graph
    words = [nota.node(term.nodes[0])]
    for f in term.factors:
        args = g.args[f.parent]
        word = nota.node(f.child)
        if args.count(f.child) > 1:
            word += f" (use {args[:f.k + 1].count(f.child)})"
        words.append(word)
    return " → ".join(words)


def _header(ex: Explanation) -> tuple[str, str]:
    ev, labels = ex.ev, ex.labels
    at = ", ".join(f"{name} = {num(ev.values[i])}" for name, i in ev.graph.inputs.items())
    return f"{labels.d(ev.output)} = {num(ev.value)}", (f" at {at}" if at else "")


def _position(ex: Explanation, i: int) -> str:
    line, col = ex.ev.graph.line_col(ex.ev.graph.spans[i][0])
    return f"line {line}, column {col}"


def _factored_note(ex: Explanation, target: Target) -> str:
    out, t = ex.labels.d(ex.ev.output), ex.labels.d(target.node)
    count = count_text(target.count, target.log10_count)
    lead = "path leads" if count == "1" else "paths lead"
    return (f"{count} {lead} from {out} to {t}, more than --max-terms {ex.max_terms}: "
            f"the sum is shown factored instead, node by node in the order reverse mode adds it up "
            f"(each ∂{out}/∂node is the sum over the node's users u of ∂{out}/∂u·∂u/∂node)")


def _none_note(ex: Explanation, target: Target) -> str:
    out, t = ex.labels.d(ex.ev.output), ex.labels.d(target.node)
    return f"{out} does not depend on {t}: no path leads from {out} to {t}"


# --- text ----------------------------------------------------------------------------------------------

_EQUATION_STYLES = ("bold", "", "yellow", "", "bold green")  # lhs, ∂ chains, formulas, numbers, value


def _segments(parts: list, styles=_EQUATION_STYLES) -> list:
    """An equation as (text, style) segments, repeated parts dropped."""
    segments, last = [], None
    for part, style in zip(parts, styles):
        if not part:
            continue
        text = " + ".join(part)
        if text == last:
            continue
        if segments:
            segments.append((" = ", ""))
        segments.append((text, style))
        last = text
    return segments


def lines(ex: Explanation) -> list:
    """The text output as lines of (text, style) segments: Rich styles, dropped when plain."""
    nota, ev = _Text(ex), ex.ev
    value, at = _header(ex)
    out = [[(value, "bold"), (at, "")]]
    for n, i in enumerate(ex.where()):
        out.append([("where " if n == 0 else "      ", "dim"), (ex.labels.name(i), "bold cyan"),
                    (" = " + nota.definition(i), ""), (f"   ({_position(ex, i)})", "dim")])
    for target in ex.targets:
        out.append([])
        lhs = [nota.d(ev.output, target.node)]
        if target.factored:
            out.append([(_factored_note(ex, target) + ":", "dim")])
            out += [[("  ", "")] + _segments(_step_parts(nota, step)) for step in target.steps]
        elif not target.terms:
            out.append(_segments([lhs, [], [], [], ["0"]]) + [(f"   ({_none_note(ex, target)})", "dim")])
        elif not target.terms[0].factors:  # the output itself
            out.append(_segments([lhs, [], [], [], ["1"]]))
        else:
            rows = _term_strings(nota, target)
            out.append(_segments(_term_parts(nota, target, rows)))
            if len(target.terms) > 1:
                out += _path_rows(nota, target, rows)
    # 80 columns: broken between terms or factors, never in a symbol
    return [fold(line) for line in out] + cut_lines(ex.ev)


def cut_lines(ev) -> list:
    """A sentence for each place the graph is cut (symbolic.explain.cuts), after a blank line each, as
    lines of (text, style), folded between words."""
    return [line for _, sentence in cuts(ev) for line in ([], fold([(sentence + ".", "dim")], sentence=True))]


def _path_rows(nota: _Text, target: Target, strings: list) -> list:
    """One row per path: `path 2  e → d → b   c·1 = 3·1 = 3`."""
    paths = [_path_text(nota, term) for term in target.terms]
    width, digits = min(max(map(len, paths)), 60), len(str(len(paths)))
    rows = []
    for n, (term, path, (_, formulas, numbers)) in enumerate(zip(target.terms, paths, strings), 1):
        rows.append([(f"  path {n:>{digits}}  ", "dim"), (path.ljust(width), "cyan"), ("   ", "")]
                    + _segments([[formulas], [numbers], [num(term.product)]], ("yellow", "", "bold")))
    return rows


def step_equation(ex: Explanation, step) -> str:
    """One node's adjoint as the sum over its users: `∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = ... = 5`."""
    return _equation(_step_parts(_Text(ex), step))


def use_texts(ex: Explanation, step) -> list:
    """Each use's share of a node's adjoint: `∂e/∂c·∂c/∂b = d·1 = 2·1 = 2` (the sweep's order)."""
    _, chains, formulas, numbers, _ = _step_parts(_Text(ex), step)
    return [" = ".join(_dedupe([c, f, n, num(u.product)]))
            for u, c, f, n in zip(step.uses, chains, formulas, numbers)]


def working(ex: Explanation, target: Target) -> dict:
    """One target's working as text for the graph page: the equation and one entry per path (its node
    ids, `e → c → b`, and `d·1 = 2·1 = 2`), or a note when it is factored or no path leads there."""
    nota, out = _Text(ex), ex.ev.output
    if target.factored:
        return {"equation": None, "paths": [], "note": _factored_note(ex, target)}
    if not target.terms:
        return {"equation": f"{nota.d(out, target.node)} = 0", "paths": [], "note": _none_note(ex, target)}
    if not target.terms[0].factors:
        return {"equation": f"{nota.d(out, target.node)} = 1", "paths": [], "note": None}
    rows = _term_strings(nota, target)
    paths = [{"edges": [(f.parent, f.k) for f in term.factors], "path": _path_text(nota, term),
              "text": "".join(text for text, _ in _segments([[formulas], [numbers], [num(term.product)]]))}
             for term, (_, formulas, numbers) in zip(target.terms, rows)]
    return {"equation": _equation(_term_parts(nota, target, rows)), "paths": paths, "note": None}


def where_lines(ex: Explanation) -> list:
    """`v1 = a + b` for each generated name the working uses."""
    nota = _Text(ex)
    return [f"{ex.labels.name(i)} = {nota.definition(i)}" for i in ex.where()]


RICH_LIMIT = 200_000  # characters: past this, a terminal gets plain text (Rich wraps ~100 kB a second)


def size(text_lines: list) -> int:
    return sum(len(text) for line in text_lines for text, _ in line)


def plain(ex: Explanation, text_lines: list | None = None) -> str:
    return "".join("".join(text for text, _ in line) + "\n" for line in (text_lines or lines(ex)))


def rich(ex: Explanation, text_lines: list | None = None):
    """The text output styled for a terminal, as a Rich Text."""
    from rich.text import Text

    return Text("\n").join(Text.assemble(*line) for line in (text_lines or lines(ex)))


# --- Markdown ------------------------------------------------------------------------------------------

def markdown(ex: Explanation) -> str:
    """Markdown: formulas in code spans (so `*` and `_` stay literal), a table of the paths."""
    nota, ev = _Text(ex), ex.ev
    value, _ = _header(ex)
    at = ", ".join(f"`{name} = {num(ev.values[i])}`" for name, i in ev.graph.inputs.items())
    out = [f"`{value}`" + (f" at {at}" if at else "")]
    where = ex.where()
    if where:
        out += ["", "where"] + [f"- `{ex.labels.name(i)} = {nota.definition(i)}` ({_position(ex, i)})"
                                for i in where]
    for target in ex.targets:
        out += ["", f"### {nota.d(ev.output, target.node)}", ""]
        if target.factored:
            out += [_factored_note(ex, target) + ":", "", "```text"]
            out += [_equation(_step_parts(nota, step)) for step in target.steps]
            out.append("```")
            continue
        if not target.terms:
            out.append(f"`{nota.d(ev.output, target.node)} = 0`: {_none_note(ex, target)}.")
            continue
        if not target.terms[0].factors:
            out.append(f"`{nota.d(ev.output, target.node)} = 1`")
            continue
        rows = _term_strings(nota, target)
        out.append(f"`{_equation(_term_parts(nota, target, rows))}`")
        if len(target.terms) > 1:
            out += ["", "| path | along | local derivatives | values | product |",
                    "|---:|---|---|---|---:|"]
            for n, (term, (chain, formulas, numbers)) in enumerate(zip(target.terms, rows), 1):
                out.append(f"| {n} | `{_path_text(nota, term)}` | `{chain} = {formulas}` | `{numbers}` | "
                           f"{num(term.product)} |")
            out.append(f"| | | | sum | **{num(target.gradient)}** |")
    out += [line for _, sentence in cuts(ev) for line in ("", f"{sentence}.")]
    return "\n".join(out) + "\n"


# --- LaTeX ---------------------------------------------------------------------------------------------

_TERMS_PER_LINE = 4


def _tex_rows(parts: list) -> list:
    """One equation as align* rows, `lhs &= ...`: one row when it has one term, else a row each for
    the ∂ chains, the formulas and the numbers (with the value); a long sum wraps every 4 terms."""
    lhs = parts[0][0]
    wrap, n = " \\\\\n  &\\qquad + ", _TERMS_PER_LINE
    texts = [wrap.join(" + ".join(p[i:i + n]) for i in range(0, len(p), n)) for p in parts[1:] if p]
    texts = _dedupe([lhs] + texts)[1:]
    if max(len(p) for p in parts[1:]) <= 1:
        return [f"{lhs} &= " + " = ".join(texts)]
    if len(texts) > 1:  # the value goes on the row of the numbers
        texts[-2:] = [texts[-2] + " = " + texts[-1]]
    return [f"{lhs} &= {texts[0]}"] + [f"  &= {t}" for t in texts[1:]]


def latex(ex: Explanation) -> str:
    """An amsmath align* environment, ready to paste; LaTeX comments say what the numbers are."""
    nota, ev = _Latex(ex), ex.ev
    value, at = _header(ex)
    blocks = []
    where = ex.where()
    if where:
        blocks.append([("\\text{where } " if n == 0 else "") + f"{nota.label(i)} &= {nota.definition(i)}"
                       for n, i in enumerate(where)])
    for target in ex.targets:
        lhs = nota.d(ev.output, target.node)
        if target.factored:
            block = ["% " + _ascii(_factored_note(ex, target))]
            for step in target.steps:
                block += _tex_rows(_step_parts(nota, step))
        elif not target.terms:
            block = [f"% {_ascii(_none_note(ex, target))}", f"{lhs} &= 0"]
        elif not target.terms[0].factors:
            block = [f"{lhs} &= 1"]
        else:
            block = _tex_rows(_term_parts(nota, target))
        blocks.append(block)
    body = []
    for n, block in enumerate(blocks):
        rows = [k for k, row in enumerate(block) if not row.startswith("%")]
        end = " \\\\[1ex]" if n < len(blocks) - 1 else ""
        body += [row + ("" if row.startswith("%") else end if k == rows[-1] else " \\\\")
                 for k, row in enumerate(block)]
    return "\n".join([f"% cgrad explain: {value}{at}", "\\begin{align*}"] + body + ["\\end{align*}"]) + "\n"


def _ascii(text: str) -> str:
    """A note for a LaTeX comment: ∂ spelled out, so any engine reads the file."""
    return text.replace("∂", "d").replace("·", "*")


# --- JSON ----------------------------------------------------------------------------------------------

def document(ex: Explanation) -> dict:
    """The working as data: per target its paths (each the node labels, the local derivatives as
    ∂ notation, formula and value, and the product) or its factored steps, and the gradient."""
    from .json import header, warning_entries

    nota = _Text(ex)
    ev, labels = ex.ev, ex.labels
    g = ev.graph
    targets = []
    for t in ex.targets:
        doc = {"name": t.name, "node": t.node, "gradient": _json_number(t.gradient),
               "paths": count_json(t.count), "paths_text": count_text(t.count, t.log10_count),
               "form": "factored" if t.factored else "paths"}
        if t.factored:
            doc["equation"] = None
            doc["terms"] = None
            doc["steps"] = [{
                "node": labels.name(s.node), "node_id": s.node, "adjoint": _json_number(s.adjoint),
                "equation": _equation(_step_parts(nota, s)),
                "uses": [{"user": labels.name(u.user), "user_id": u.user, "argument": u.k,
                          "d": nota.d(u.user, s.node), "formula": nota.raw_formula(u.formula, u.local),
                          "adjoint": _json_number(u.adjoint), "local": _json_number(u.local),
                          "product": _json_number(u.product)} for u in s.uses],
            } for s in t.steps]
        else:
            if not t.terms:
                doc["equation"] = f"{nota.d(ev.output, t.node)} = 0"
            elif not t.terms[0].factors:
                doc["equation"] = f"{nota.d(ev.output, t.node)} = 1"
            else:
                doc["equation"] = _equation(_term_parts(nota, t))
            doc["terms"] = [{
                "nodes": [labels.name(i) for i in term.nodes], "node_ids": list(term.nodes),
                "factors": [{"d": nota.d(f.parent, f.child), "argument": f.k,
                             "formula": nota.raw_formula(f.formula, f.value), "value": _json_number(f.value)}
                            for f in term.factors],
                "product": _json_number(term.product),
            } for term in t.terms]
            doc["steps"] = None
        targets.append(doc)
    return {
        **header("explain"),
        "output": labels.name(ev.output),
        "output_node": ev.output,
        "value": _json_number(ev.value),
        "inputs": {name: ev.values[i] for name, i in g.inputs.items()},
        "max_terms": ex.max_terms,
        "names": {labels.name(i): {"node": i, "definition": nota.definition(i),
                                   "line": g.line_col(g.spans[i][0])[0], "column": g.line_col(g.spans[i][0])[1]}
                  for i in ex.where()},
        "wrt": targets,
        "cuts": [{"node": i, "message": sentence} for i, sentence in cuts(ev)],
        "warnings": warning_entries(ev.warnings),
        "source": g.source,
    }
