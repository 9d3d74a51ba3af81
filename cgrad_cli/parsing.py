"""Program text -> Graph, built directly while parsing.

Lark's LALR parser calls the `_Builder` methods as it reduces each rule (an
inline transformer), so no parse tree is made and nothing recurses on the
depth of the program.  Each method appends at most one node to the tape and
returns a reference ``(node id, start, end)``: the node and where this
occurrence of it stands in the source (an inline transformer gets no `meta`,
so positions come from the tokens).
"""
from __future__ import annotations

import math

from . import _parser as lark_runtime
from .errors import CgradError, ProgramNameError, ProgramSyntaxError, MathDomainError, suggest
from .graph import Graph, gc_paused
from .ops import CONSTANTS, FUNCTIONS, OPS

# How the expected-token list of a syntax error reads to a person.
_TERMINALS = {
    "NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'", "MINUS": "'-'", "PLUS": "'+'",
    "POW": "'^'", "STAR": "'*'", "SLASH": "'/'", "EQUAL": "'='", "COMMA": "','", "SEMICOLON": "';'",
    "_NEWLINE": "a new line", "$END": "the end of the program",
}
_OPERAND_END = {"NUMBER", "NAME", "RPAR"}
_SUPERSCRIPTS = set("⁰¹²³⁴⁵⁶⁷⁸⁹")
_PLAIN = {ord(c): "^" + d for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")}


def _binary(op):
    def build(self, children):
        (a, start, _), (b, _, end) = children
        return self.g.add(op, (a, b), start, end), start, end
    return build


class _Builder:
    """Rule callbacks: each turns its children's references into a new node."""

    def __init__(self):
        self.g: Graph | None = None

    add, sub, mul, div = (_binary(OPS[name]) for name in ("add", "sub", "mul", "div"))

    def pow(self, children):
        (a, start, _), _tok, (b, _, end) = children
        return self.g.add(OPS["pow"], (a, b), start, end), start, end

    def neg(self, children):
        minus, (a, _, end) = children
        g = self.g
        if g.ops[a] is _CONST and g.names[a] is None:  # -2 is the literal -2, not neg(2)
            g.consts[a] = -g.consts[a]
            g.spans[a] = (minus.start_pos, end)
            return a, minus.start_pos, end
        return g.add(OPS["neg"], (a,), minus.start_pos, end), minus.start_pos, end

    def pos(self, children):
        plus, (a, _, end) = children
        return a, plus.start_pos, end

    def paren(self, children):
        lpar, (a, _, _), rpar = children
        return a, lpar.start_pos, rpar.end_pos

    def number(self, children):
        (tok,) = children
        value = float(tok)
        if math.isinf(value):
            raise MathDomainError(f"the number {tok} is too large for a 64-bit float",
                                  source=self.g.source, span=(tok.start_pos, tok.end_pos), value=str(tok))
        i = self.g.add(_CONST, (), tok.start_pos, tok.end_pos)
        self.g.consts[i] = value
        return i, tok.start_pos, tok.end_pos

    def name(self, children):
        (tok,) = children
        g, start, end = self.g, tok.start_pos, tok.end_pos
        i = g.named.get(tok)
        if i is not None:
            return i, start, end
        if tok in CONSTANTS:
            i = g.add(_CONST, (), start, end)
            g.consts[i] = CONSTANTS[tok]
            return i, start, end
        if not tok.isascii() and _SUPERSCRIPTS.intersection(tok):
            plain = tok.translate(_PLAIN).lstrip("^")
            raise ProgramNameError(f"'{tok}' looks like a power: write {plain}", source=g.source, span=(start, end))
        if tok in FUNCTIONS:
            raise ProgramNameError(f"'{tok}' is a function: call it, as in {tok}(x)", source=g.source,
                                   span=(start, end))
        name = str(tok)
        i = g.add(_INPUT, (), start, end)
        g.names[i] = name
        g.named[name] = g.inputs[name] = i
        return i, start, end

    def call(self, children):
        tok, args, rpar = children
        g, start, end = self.g, tok.start_pos, rpar.end_pos
        args = args or []
        op = FUNCTIONS.get(tok)
        if op is None:
            raise ProgramNameError(f"unknown function '{tok}'", source=g.source, span=(start, tok.end_pos),
                                   hint=suggest(tok, FUNCTIONS) or "functions: " + ", ".join(sorted(FUNCTIONS)))
        if len(args) != op.arity:
            raise ProgramNameError(
                f"{tok}() takes {op.arity} argument{'s' if op.arity != 1 else ''}, got {len(args)}",
                source=g.source, span=(start, end))
        return g.add(op, tuple(a for a, _, _ in args), start, end), start, end

    def args(self, children):
        return children

    def assign(self, children):
        tok, (i, start, end) = children
        g, name = self.g, str(tok)
        span = (tok.start_pos, tok.end_pos)
        if name in g.inputs:
            first = g.line_col(g.spans[g.inputs[name]][0])
            raise ProgramNameError(f"'{name}' is assigned here but was already used as an input "
                                   f"(line {first[0]}, column {first[1]})", source=g.source, span=span,
                                   hint="assign a name before using it, or rename one of them")
        if name in g.named:
            first = g.line_col(g.assigned_at[name])
            raise ProgramNameError(f"'{name}' is assigned twice (first at line {first[0]}, column {first[1]})",
                                   source=g.source, span=span, hint="give the second one a new name")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ProgramNameError(f"'{name}' is a built-in {'function' if name in FUNCTIONS else 'constant'} "
                                   "and cannot be assigned", source=g.source, span=span)
        if g.names[i] is not None:  # `d = c`: a second name gets a node of its own
            i = g.add(_COPY, (i,), start, end)
        g.names[i] = name
        g.named[name] = i
        g.assigned_at[name] = tok.start_pos
        g.output = i
        return None

    def bare(self, children):
        ((i, _, _),) = children
        self.g.output = i
        return None

    def start(self, children):
        return None


_INPUT, _CONST, _COPY = OPS["input"], OPS["const"], OPS["copy"]
_BUILDER = _Builder()
_PARSER = None


def parse(source: str) -> Graph:
    """Parse a program into its graph.  Raises CgradError subclasses for bad programs."""
    global _PARSER
    if not source.isascii():
        import unicodedata

        source = unicodedata.normalize("NFC", source)  # ŷ typed as y + combining hat is the name ŷ
    if _PARSER is None:
        _PARSER = lark_runtime.Lark_StandAlone(transformer=_BUILDER)
    graph = Graph(source)
    _BUILDER.g = graph
    try:
        with gc_paused():
            _PARSER.parse(source)
    except lark_runtime.UnexpectedInput as e:
        raise _syntax_error(source, e) from None
    finally:
        _BUILDER.g = None
    if graph.output is None:
        raise ProgramSyntaxError("the program is empty: write an expression such as e = (a+b)*(b+1)")
    return graph


def _syntax_error(source: str, e) -> CgradError:
    pos = e.pos_in_stream if e.pos_in_stream is not None else len(source)
    if isinstance(e, lark_runtime.UnexpectedCharacters):
        char = source[pos]
        return ProgramSyntaxError(f"unexpected character {char!r}", source=source, span=(pos, pos + 1),
                                  hint=_char_hint(char))
    token = getattr(e, "token", None)
    expected = sorted({_TERMINALS.get(t, t) for t in getattr(e, "expected", ()) or ()})
    hint = "expected " + _or(expected) if expected else None
    if token is None or token.type == "$END":
        return ProgramSyntaxError("the program ends too early", source=source, span=(len(source), len(source)),
                                  hint=hint)
    prev = e.token_history[-1] if getattr(e, "token_history", None) else None
    if prev is not None and prev.type in _OPERAND_END and token.type in ("NAME", "NUMBER", "LPAR"):
        # `2x`, `2(a+b)`, `(a)(b)`: two operands side by side
        hint = f"cgrad has no implicit multiplication: write {prev}*{token}" + ("…)" if token == "(" else "")
    shown = "end of line" if token.type == "_NEWLINE" else repr(str(token))
    return ProgramSyntaxError(f"unexpected {shown}", source=source, span=(pos, pos + max(1, len(token))),
                              hint=hint)


def _or(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _char_hint(char):
    if char in "[]@":
        return "tensors ([1, 2], @, y[r]) are not supported yet"
    if char == "!":
        return "cgrad has no factorial"
    return "names are letters, digits and _ (starting with a letter); numbers look like 2, 2.5, .5, 1e-3"
