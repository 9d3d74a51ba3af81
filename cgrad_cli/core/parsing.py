"""Program text -> Graph, built directly while parsing.

The LALR parser (lalr.py, over the tables Lark computed from the grammar)
calls the `_Builder` methods as it reduces each rule, so no parse tree is made
and nothing recurses on the depth of the program.  Each method appends at most
one node to the tape and returns a reference ``(node id, start, end)``: the
node and where this occurrence of it stands in the source.  A token comes as
``(text, start, end)``, the same shape.
"""
from __future__ import annotations

import math
import re

from ..errors import (
    CgradError,
    MathDomainError,
    ProgramNameError,
    ProgramSyntaxError,
    ShapeError,
    suggest,
)
from . import budget, lalr
from .graph import Function, Graph, gc_paused
from .ops import CONSTANTS, FUNCTIONS, ONE_ARGUMENT, OPS, ShapeMismatch, array_namespace
from .records import record

# How the expected-token list of a syntax error reads to a person.
_TERMINALS = {
    "NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'", "MINUS": "'-'", "PLUS": "'+'",
    "POW": "'^'", "STAR": "'*'", "SLASH": "'/'", "EQUAL": "'='", "COMMA": "','", "SEMICOLON": "';'",
    "_NEWLINE": "a new line", "$END": "the end of the program", "LSQB": "'['", "RSQB": "']'", "COLON": "':'",
    "AT": "'@'", "DOT": "'.'", "FUNCHEAD": "a function definition",
}
_OPERAND_END = {"NUMBER", "NAME", "RPAR", "RSQB"}
_FUNCHEAD = re.compile(r"(\w+)\s*\((.*)\)\s*=", re.S)
_SUPERSCRIPTS = set("⁰¹²³⁴⁵⁶⁷⁸⁹")
_PLAIN = {ord(c): "^" + d for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")}


def _binary(op):
    @lalr.positional
    def build(self, left, _, right):
        start, end = left[1], right[2]
        return self.g.add(op, (left[0], right[0]), start, end), start, end
    return build


class _Fixed(int):
    """A literal index, folded into getitem's key (not a node id, which is a plain int)."""


@record
class Keyword:
    """`axis=0` in a call: the keyword, where it stands, and the value's reference."""

    name: str
    start: int
    end: int
    value: tuple


class _Builder:
    """Rule callbacks: each turns its children's references into a new node."""

    def __init__(self):
        self.g: Graph | None = None  # the graph being built: the program's, or a function body's
        self.program: Graph | None = None  # the program's graph
        self.function: Function | None = None  # the function whose body is being read

    add, sub, mul, div, matmul, mod, lt, le, gt, ge, eq = (
        _binary(OPS[name]) for name in ("add", "sub", "mul", "div", "matmul", "mod", "lt", "le", "gt", "ge", "eq"))

    @lalr.positional
    def pow(self, left, _, right):
        (a, start, _), (b, _, end) = left, right
        return self.g.add(OPS["pow"], (a, b), start, end), start, end

    @lalr.positional
    def neg(self, minus, operand):
        (_, start, _), (a, _, end) = minus, operand
        g = self.g
        if g.ops[a] is _CONST and g.names[a] is None:  # -2 is the literal -2, not neg(2)
            g.consts[a] = -g.consts[a]
            g.spans[a] = (start, end)
            return a, start, end
        return g.add(OPS["neg"], (a,), start, end), start, end

    @lalr.positional
    def pos(self, plus, operand):
        return operand[0], plus[1], operand[2]

    @lalr.positional
    def paren(self, lpar, inner, rpar):
        return inner[0], lpar[1], rpar[2]

    @lalr.positional
    def number(self, token):
        tok, start, end = token
        value = float(tok)
        if value == math.inf:
            raise MathDomainError(f"the number {tok} is too large for a 64-bit float",
                                  source=self.g.source, span=(start, end), value=tok)
        return self.g.add(_CONST, (), start, end, None, value), start, end

    @lalr.positional
    def name(self, token):
        tok, start, end = token
        g = self.g
        i = g.named.get(tok)
        if i is not None:
            return i, start, end
        if self.function is not None and tok not in CONSTANTS:
            # a name of the program inside a function body: Wh in cell(h, x) = tanh(Wh @ h + ...)
            outer = self.program.named.get(tok)
            if outer is None and tok not in self.program.functions and tok not in FUNCTIONS:
                outer = self._new_input(self.program, tok, start, end)
            if outer is not None:
                return self._outer(outer, start, end), start, end
        if tok in CONSTANTS:
            return g.add(_CONST, (), start, end, None, CONSTANTS[tok]), start, end
        if not tok.isascii() and _SUPERSCRIPTS.intersection(tok):
            plain = tok.translate(_PLAIN).lstrip("^")
            raise ProgramNameError(f"'{tok}' looks like a power: write {plain}", source=g.source, span=(start, end))
        if tok in FUNCTIONS or tok in self.program.functions:
            raise ProgramNameError(f"'{tok}' is a function: call it, as in {tok}(x)", source=g.source,
                                   span=(start, end))
        return self._new_input(g, tok, start, end), start, end

    @staticmethod
    def _new_input(g: Graph, name: str, start: int, end: int) -> int:
        i = g.add(_INPUT, (), start, end)
        g.names[i] = name
        g.named[name] = g.inputs[name] = i
        return i

    def _outer(self, node: int, start: int, end: int) -> int:
        """The node standing for program node `node` in the graph being built (itself, outside a body)."""
        fn = self.function
        if fn is None:
            return node
        for inner, outer in fn.outer.items():
            if outer == node:
                return inner
        inner = fn.body.add(_INPUT, (), start, end)
        fn.body.names[inner] = self.program.names[node]
        fn.body.named[self.program.names[node]] = inner
        fn.outer[inner] = node
        return inner

    def call(self, children):
        (tok, start, name_end), args, (_, _, end) = children
        g = self.g
        args = args or []
        keywords = [a for a in args if a.__class__ is Keyword]
        if keywords and args[-len(keywords):] != keywords:
            raise ProgramSyntaxError("an argument without a name cannot follow a keyword argument",
                                     source=g.source, span=(keywords[0].start, end))
        args = args[:len(args) - len(keywords)]
        if tok in g.named and tok not in self.program.functions:  # `dot = w*x` earlier: as in Python, a value
            first = g.line_col(g.assigned_at[tok]) if tok in g.assigned_at else None
            where = f" (assigned at line {first[0]}, column {first[1]})" if first else ""
            raise ProgramNameError(f"'{tok}' is a value here{where}, not a function: it shadows the built-in "
                                   f"{tok}()", source=g.source, span=(start, name_end),
                                   hint=f"rename the value to call the built-in {tok}()")
        if tok in self.program.functions:
            if keywords:
                raise ProgramNameError(f"{tok}() takes no keyword arguments", source=g.source,
                                       span=(keywords[0].start, keywords[0].end))
            return self._inline(self.program.functions[tok], args, start, end), start, end
        op = FUNCTIONS.get(tok)
        if op is None:
            known = sorted([*FUNCTIONS, *self.program.functions])
            raise ProgramNameError(f"unknown function '{tok}'", source=g.source, span=(start, name_end),
                                   hint=suggest(tok, known) or "functions: " + ", ".join(known))
        if len(args) == 1 and tok in ONE_ARGUMENT:  # max(x): the largest element, not max(x, y)
            op = ONE_ARGUMENT[tok]
        variadic = op.arity < 0  # concat(u, v, w): every unnamed argument is a tensor, a parameter needs its name
        least = most = op.arity
        if variadic:
            least, most = 1, math.inf
        if op.params and not variadic:  # sum(W, 0): the parameter may come unnamed
            least, most = least + op.params[1], most + op.params[2]
        first = op.params[0] if op.params else None
        names = ((first,) if first else ()) + op.keywords
        seen = set()
        for k in keywords:
            if k.name not in names:
                what = ("it takes none" if not names else f"its keyword is {first}=" if len(names) == 1
                        else "its keywords are " + ", ".join(n + "=" for n in names))
                hint = (f"{tok}(x, y) is the elementwise {tok}: name the axis, as in {tok}(X, axis=1, {k.name}=1)"
                        if tok in ONE_ARGUMENT else None)
                raise ProgramNameError(f"{tok}() has no keyword argument '{k.name}': {what}", source=g.source,
                                       span=(k.start, k.end), hint=hint)
            if k.name in seen or k.name == first and not variadic and len(args) > op.arity:
                raise ProgramNameError(f"{tok}() got {k.name} twice", source=g.source, span=(k.start, k.end))
            seen.add(k.name)
        named_first = [k.value for k in keywords if k.name == first]
        count = len(args) + (0 if variadic else len(named_first))
        if not least <= count <= most:
            wanted = (f"{least}" if least == most else f"at least {least}" if most == math.inf
                      else f"{least} to {most}")
            usage = f" ({op.params[0]}: integer{'s' if op.params[2] > 1 else ''})" if op.params else ""
            hint = ("log has one argument, the natural log: log(x, 2) is log(x)/log(2), or log2(x)"
                    if op.name == "log" and count == 2 else None)
            raise ProgramNameError(f"{tok}() takes {wanted} argument{'s' if wanted not in ('1', 'at least 1') else ''}, "
                                   f"got {count}"
                                   + usage, source=g.source, span=(start, end), hint=hint)
        params, literals = {}, []
        for k in keywords:  # keepdims=1, ddof=1: one integer each
            if k.name != first:
                values = self._literals([k.value], f"{tok}()'s {k.name}", take_back=False)
                if len(values) != 1:
                    raise ProgramSyntaxError(f"{tok}()'s {k.name} must be one integer number such as 0 or 1",
                                             source=g.source, span=(k.start, k.end))
                params[k.name] = values[0]
                literals.append(k.value)
        if op.params:
            name, _, most_params = op.params
            refs = ([] if variadic else args[op.arity:]) + named_first
            args = args if variadic else args[:op.arity]
            values = self._literals(refs, f"{tok}()'s {name}", take_back=False)
            literals += refs
            if values:
                params[name] = values[0] if most_params == 1 else tuple(values)
        self._take_back(sorted(literals))
        params = params or None
        if op.arity == 0:  # eye(3), zeros(2, 3): a constant, made now
            return self._constant(op, params, start, end), start, end
        return g.add(op, tuple(a for a, _, _ in args), start, end, params), start, end

    def _constant(self, op, params: dict, start: int, end: int) -> int:
        g = self.g
        try:
            op.shape(**params)
        except ShapeMismatch as e:
            raise ProgramSyntaxError(f"{op.name}: {e}", source=g.source, span=(start, end)) from None
        array_namespace()
        i = g.add(_CONST, (), start, end, None, op.array(**params))
        g.tensor = True
        return i

    def keyword(self, children):
        (name, start, end), ref = children
        return Keyword(name, start, end, ref)

    def _literals(self, refs, what: str, take_back: bool = True) -> list[int]:
        """Integer literals used as parameters (an axis, a shape, a slice bound): their values.

        They are folded into the op that uses them, so their nodes (the last on the tape) are taken back
        (by the caller, with _take_back, when it gathers literals of several parameters).
        """
        g, values = self.g, []
        for i, start, end in refs:
            value = g.consts.get(i) if g.names[i] is None else None
            if getattr(value, "ndim", 0) == 1 and (value == value.astype(int)).all():  # zeros([2, 3]), numpy's way
                values.extend(int(v) for v in value)
                continue
            if not isinstance(value, float) or value != int(value):
                raise ProgramSyntaxError(f"{what} must be an integer number such as 0 or -1",
                                         source=g.source, span=(start, end))
            values.append(int(value))
        if take_back:
            self._take_back(refs)
        return values

    def _take_back(self, refs) -> None:
        """Pops the literals' nodes, in tape order, that are the last on the tape."""
        g = self.g
        for i, _, _ in reversed(refs):
            if i == len(g) - 1:
                g.pop()

    def _inline(self, fn: Function, args, start: int, end: int) -> int:
        """A call of a user function: a fresh copy of its body, the parameters bound to the arguments.

        Inside another function's body the call stays a placeholder (`Function.calls`), expanded only
        when that function is called from the program; so each function's size is known without
        expanding it (f30(x) = f29(f29(x)) is 2^31 nodes), and checked against --max-nodes before a
        node is copied."""
        g = self.g
        if len(args) != len(fn.params):
            n = len(fn.params)
            raise ProgramNameError(f"{fn.name}() takes {n} argument{'s' if n != 1 else ''}, got {len(args)}",
                                   source=g.source, span=(start, end))
        g.tensor = g.tensor or fn.body.tensor
        if self.function is not None:
            i = g.add(_INPUT, (), start, end)  # stands for the call's result until the body is expanded
            self.function.calls[i] = (fn, tuple(a for a, _, _ in args))
            return i
        budget.check("nodes", len(g) + fn.size, f"the call {g.text_between(start, end, 40)}", source=g.source,
                     span=(start, end))
        return self._expand(fn, [a for a, _, _ in args], (start, end))

    def _expand(self, fn: Function, args: list, call: tuple[int, int]) -> int:
        """Copy fn's body (and those of the functions it calls) into the program: a loop with a stack of
        frames, not recursion, so functions may call each other however deep."""
        g = self.g
        # a frame: [function, where its body's copy stands, body node -> program node]; the names of the
        # program a body uses (fn.outer) are the program's own nodes
        stack = [[fn, 0, {**dict(zip(fn.params, args)), **fn.outer}]]
        while True:
            frame = stack[-1]
            fn, k, node = frame
            body, calls = fn.body, fn.calls
            for k in range(k, len(body)):
                if k in node:
                    continue
                if k in calls:  # another function's call: run its body first, then come back here
                    callee, callee_args = calls[k]
                    frame[1] = k
                    stack.append([callee, 0, {**dict(zip(callee.params, (node[a] for a in callee_args))),
                                              **callee.outer}])
                    break
                i = node[k] = g.add(body.ops[k], tuple(node[a] for a in body.args[k]), *body.spans[k],
                                    body.params.get(k), body.consts.dense[k])
                g.calls[i] = call
            else:
                out = node[fn.output]
                stack.pop()
                if not stack:
                    return out
                stack[-1][2][stack[-1][1]] = out

    def funchead(self, children):
        ((tok, start, end),) = children
        g = self.g
        name, params = _FUNCHEAD.fullmatch(tok).groups()
        params = [p.strip() for p in params.split(",")] if params.strip() else []
        span = (start, start + len(name))
        # A built-in function's name may be taken (`step(h) = ...`, as Python's def would): the program's
        # calls of it are the user's from here on.
        taken = ("a built-in constant" if name in CONSTANTS else "defined twice" if name in g.functions
                 else "already a name in the program" if name in g.named else None)
        if taken:
            raise ProgramNameError(f"cannot define function '{name}': it is {taken}", source=g.source, span=span)
        body = Graph(g.source)
        for p in params:
            if p in body.named or p in CONSTANTS:
                raise ProgramNameError(f"function '{name}': parameter '{p}' is "
                                       + ("repeated" if p in body.named else "a built-in name"),
                                       source=g.source, span=(start, end))
            self._new_input(body, p, start, end)
        self.function = Function(name, body, list(range(len(params))), (start, end))
        self.g = body
        return None

    def define(self, children):
        _, (i, _, end) = children
        fn, self.function = self.function, None
        fn.output = i
        copied = len(fn.body) - len(fn.params) - len(fn.outer) - len(fn.calls)
        fn.size = copied + sum(callee.size for callee, _ in fn.calls.values())  # exact, however large
        self.g = self.program
        self.g.functions[fn.name] = fn
        return None

    def getitem(self, children):
        (x, start, _), _lsqb, subscripts, (_, _, end) = children
        key, indices = [], []
        for i, _, _ in subscripts:
            if isinstance(i, (slice, _Fixed)):
                key.append(i if isinstance(i, slice) else int(i))
            else:
                key.append(None)
                indices.append(i)
        return self.g.add(OPS["getitem"], (x, *indices), start, end, {"key": tuple(key)}), start, end

    @lalr.positional
    def index(self, sub):
        """A subscript that is an expression.  An integer literal (the 0 of W[0, r]) folds into getitem's
        key here, while its node is still the last on the tape, so it can be taken back whatever comes
        after it; anything else is an argument."""
        i, start, end = sub
        g = self.g
        if (g.ops[i] is _CONST and g.names[i] is None and i == len(g) - 1
                and isinstance(g.consts[i], float) and g.consts[i].is_integer()):
            value = _Fixed(g.consts[i])
            g.pop()
            return value, start, end
        return sub

    def subscripts(self, children):
        return children

    def slice(self, children):
        lo, colon, hi, colon2, step = children
        parts = (lo, hi, step)
        values = iter(self._literals([ref for ref in parts if ref is not None], "a slice bound or step"))
        lo, hi, step = (next(values) if ref is not None else None for ref in parts)
        if step == 0:
            raise ProgramSyntaxError("a slice's step cannot be zero", source=self.g.source,
                                     span=(parts[2][1], parts[2][2]))
        start = (parts[0] or colon)[1]
        end = (parts[2] or colon2 or parts[1] or colon)[2]
        return slice(lo, hi, step), start, end

    def attribute(self, children):
        (x, start, _), (tok, tok_start, end) = children
        if tok != "T":
            raise ProgramNameError(f"unknown attribute .{tok}: the only one is .T (the transpose)",
                                   source=self.g.source, span=(tok_start - 1, end))
        return self.g.add(OPS["transpose"], (x,), start, end), start, end

    def array(self, children):
        (_, start, _), elements, (_, _, end) = children
        g = self.g
        if not elements:
            raise ProgramSyntaxError("an array needs at least one element, as in [1, 2]", source=g.source,
                                     span=(start, end))
        ids = [i for i, _, _ in elements]
        g.tensor = True
        if ids == list(range(len(g) - len(ids), len(g))) and all(
                g.ops[i] is _CONST and g.names[i] is None for i in ids):  # [1, 2]: one literal
            from .ops import array_namespace

            array_namespace()
            from .ops import np

            values = [g.consts[i] for i in ids]
            shapes = {np.shape(v) for v in values}
            if len(shapes) > 1:
                raise ProgramSyntaxError("the rows of an array must all have the same length", source=g.source,
                                         span=(start, end))
            if len(shapes.pop()) >= budget.MAX_RANK:  # [[[1]]] nested 10^5 deep: refused at its ninth axis
                raise ShapeError(f"this array would have {np.ndim(values[0]) + 1} axes, and arrays have at "
                                 f"most {budget.MAX_RANK}", source=g.source, span=(start, end))
            for _ in ids:
                g.pop()
            return g.add(_CONST, (), start, end, None, np.array(values, dtype=float)), start, end
        return g.add(OPS["stack"], tuple(ids), start, end), start, end

    def args(self, children):
        return children

    @lalr.positional
    def assign(self, target, _, value):
        (name, name_start, name_end), (i, start, end) = target, value
        g = self.g
        if name in g.inputs:
            span = (name_start, name_end)
            first = g.line_col(g.spans[g.inputs[name]][0])
            raise ProgramNameError(f"'{name}' is assigned here but was already used as an input "
                                   f"(line {first[0]}, column {first[1]})", source=g.source, span=span,
                                   hint="assign a name before using it, or rename one of them")
        if name in g.named:
            first = g.line_col(g.assigned_at[name])
            raise ProgramNameError(f"'{name}' is assigned twice (first at line {first[0]}, column {first[1]})",
                                   source=g.source, span=(name_start, name_end),
                                   hint="give the second one a new name")
        if name in CONSTANTS:  # a built-in function's name may be assigned (`dot = w*x`): it is a value from here on
            raise ProgramNameError(f"'{name}' is a built-in constant and cannot be assigned", source=g.source,
                                   span=(name_start, name_end))
        if name in g.functions:
            raise ProgramNameError(f"'{name}' is a function defined above and cannot be assigned",
                                   source=g.source, span=(name_start, name_end))
        given = g.names.given  # node -> name: i is a node id, never negative
        if i in given:  # `d = c`: a second name gets a node of its own
            i = g.add(_COPY, (i,), start, end)
        given[i] = name
        g.named[name] = i
        g.assigned_at[name] = name_start
        g.output = i
        return None

    @lalr.positional
    def bare(self, value):
        self.g.output = value[0]
        return None

    def start(self, children):
        return None


_INPUT, _CONST, _COPY = OPS["input"], OPS["const"], OPS["copy"]
_BUILDER = _Builder()


def parse(source: str) -> Graph:
    """Parse a program into its graph.  Raises CgradError subclasses for bad programs."""
    if not source.isascii():
        import unicodedata

        source = unicodedata.normalize("NFC", source)  # ŷ typed as y + combining hat is the name ŷ
    graph = Graph(source)
    _BUILDER.g = _BUILDER.program = graph
    try:
        with gc_paused():
            lalr.parse(source, _BUILDER)
    except lalr.ParseError as e:
        raise _syntax_error(source, e) from None
    finally:
        _BUILDER.g = _BUILDER.program = _BUILDER.function = None
    if graph.output is None:
        raise ProgramSyntaxError("the program is empty: write an expression such as e = (a+b)*(b+1)")
    return graph


def _syntax_error(source: str, e: lalr.ParseError) -> CgradError:
    pos = e.pos
    if e.token is None:
        char = source[pos]
        return ProgramSyntaxError(f"unexpected character {char!r}", source=source, span=(pos, pos + 1),
                                  hint=_char_hint(char))
    kind, token, _ = e.token
    expected = sorted({_TERMINALS.get(t, t) for t in e.expected})
    hint = "expected " + _or(expected) if expected else None
    if kind == lalr.END:
        return ProgramSyntaxError("the program ends too early", source=source, span=(len(source), len(source)),
                                  hint=hint)
    if e.previous is not None and e.previous[0] in _OPERAND_END and kind in ("NAME", "NUMBER", "LPAR"):
        # `2x`, `2(a+b)`, `(a)(b)`: two operands side by side
        hint = f"cgrad has no implicit multiplication: write {e.previous[1]}*{token}" + ("…)" if token == "(" else "")
    if source[pos - 1:pos] == "." and token in ("^", "*", "/"):  # MATLAB's .^ .* ./
        hint = f"cgrad's {token} already works element by element: write {token} instead of .{token}"
    shown = "end of line" if kind == "_NEWLINE" else repr(token)
    return ProgramSyntaxError(f"unexpected {shown}", source=source, span=(pos, pos + max(1, len(token))),
                              hint=hint)


def _or(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# Characters that look like cgrad's but are not (as pasted from a PDF or a word processor): what to type.
_LOOKALIKES = {"−": "-", "–": "-", "—": "-", "×": "*", "·": "*", "÷": "/", "＋": "+", "，": ","}


def _char_hint(char):
    if char == "!":
        return "cgrad has no factorial"
    if char in _LOOKALIKES:
        return (f"{char!r} (U+{ord(char):04X}) looks like {_LOOKALIKES[char]!r} but is another character, as "
                f"pasted from a PDF: type {_LOOKALIKES[char]!r}")
    return "names are letters, digits and _ (starting with a letter); numbers look like 2, 2.5, .5, 1e-3"
