"""The LALR(1) parser: one loop over the tables Lark computed from the grammar at build time (_tables.py).

It behaves as Lark's LALR parser with its contextual lexer and an inline
transformer, without Lark at run time: importing it costs a constant, not the
~35 ms Lark's standalone module spends rebuilding its tables into objects.

- The lexer is one compiled regular expression, run by findall over a stretch
  of lines at a time (no match object per token): each token comes as the
  ignored text before it and its own text.  Its alternatives are the terminals
  in Lark's order (priority, then longest pattern), so the first that matches
  is the one Lark's lexer would pick; a token's terminal follows from its text
  alone, worked out once per distinct text.  Where that terminal is not one the
  parser's state can take, Lark's contextual lexer would have tried only the
  state's terminals: the slow path does exactly that (`f(x)=` is a FUNCHEAD
  only where a statement starts), and lexing resumes after its token.
- A token is ``(text, start, end)``, like the builder's node references, and
  only for terminals some rule reads; the others are None.
- Each reduction shapes its children as Lark's tree builder does (anonymous
  tokens dropped, _rules spliced, None for a missing [optional] part, a ?rule
  with one child passed through) and calls the builder's method of that name;
  a method marked `positional` takes the rule's children as arguments instead
  (tokens the rule drops as None), with no list made.
- A ?rule passing its one child through costs nothing: after a reduction the
  state the chain of such rules ends in is looked up once per (lookahead, state
  below, rule), worked out on first use.

Errors are raised as `ParseError`, carrying what Lark's UnexpectedCharacters
and UnexpectedToken would: parsing.py words them.
"""
from __future__ import annotations

import re
import sys
from operator import itemgetter

from ._tables import END_STATE, IGNORE, KEPT, RULES, STATES, TERMINALS

END = "$END"
_JUNK = "$JUNK"  # the kind of a character no terminal matches
_CHUNK = 1 << 15  # characters lexed at a time, up to the end of a line: few tokens held at once


class ParseError(Exception):
    """Where parsing stopped: an unexpected character (token None) or an unexpected token.

    token: (type, text, start); expected: terminal names the parser could take there;
    previous: the (type, text) of the token before, when the lexer stopped.
    """

    def __init__(self, pos: int, token=None, expected=(), previous=None):
        super().__init__(pos, token)
        self.pos, self.token, self.expected, self.previous = pos, token, expected, previous


def positional(method):
    """Mark a builder method as taking the rule's children as arguments (a rule with no optional or _rule
    part): `def add(self, a, plus, b)`."""
    method.positional = True
    return method


def _lexer(names) -> re.Pattern:
    """Ignored terminals skipped, then one of `names`, each a named group.  The skip never gives back what it
    took (a possessive repeat; before Python 3.11 a lookahead and a back-reference): else `a # note` would
    read `e` as a name."""
    skip = "|".join(pattern for name, pattern in TERMINALS if name in IGNORE)
    groups = "|".join(f"(?P<{name}>{pattern})" for name, pattern in TERMINALS if name in names)
    atomic = f"(?:{skip})*+" if sys.version_info >= (3, 11) else f"(?=((?:{skip})*))\\1"
    return re.compile(f"{atomic}(?:{groups})")


# what _uncaptured reads: an escaped character, a character class (a ] first is a member) or a group's "("
_GROUPS = re.compile(r"\\[\s\S]|\[\^?\]?(?:\\[\s\S]|[^\]\\])*\]|\((?!\?)")


def _uncaptured(pattern: str) -> str:
    """The pattern with its groups made non-capturing: findall then gives the one group of _TOKENS."""
    return _GROUPS.sub(lambda m: "(?:" if m.group() == "(" else m.group(), pattern)


_NAMES = {name for name, _ in TERMINALS}
_LEX = _lexer(_NAMES - set(IGNORE))
# A token with the ignored text before it: any terminal, else one character no terminal matches (_JUNK),
# else nothing at all where the text ends (END).  The skip is greedy and what follows always matches, so it
# never gives back what it took, as the possessive skip of _lexer.
_IGNORED = "(?:%s)*" % "|".join(_uncaptured(pattern) for name, pattern in TERMINALS if name in IGNORE)
_TOKENS = re.compile("(%s(?:%s|[\\s\\S]|))" % (_IGNORED, "|".join(
    _uncaptured(pattern) for name, pattern in TERMINALS if name not in IGNORE)))
_SKIP = re.compile(_IGNORED)
assert _TOKENS.groups == 1, _TOKENS.pattern
_MEMO = 1 << 12  # token texts whose terminal a parse remembers at once: enough for a stretch of lines
_KEPT = frozenset(KEPT)
_STATE_LEXERS: dict = {}  # frozenset of terminals -> the lexer of the states that take exactly those
# ~rule -> origin for each ?rule passing its one child through
_UNITS = {~k: origin for k, (origin, size, _, expand1, select) in enumerate(RULES)
          if expand1 and size == 1 and select is None}
_FOLDS: dict = {}  # lookahead -> _gotos


def _token(text: str, kept=_KEPT) -> tuple:
    """A token's text as the lexer read it, ignored text first: (terminal, length of the ignored text, the
    token's own text if a rule reads it, else None, the gotos on that lookahead (_gotos)).  The terminal is
    the first alternative that matches the token's text, as it was in the program: no terminal's choice
    depends on what follows its text but FUNCHEAD's `(?!=)`, and no other terminal reads `f(x)=`."""
    m = _LEX.match(text)
    if m is not None and m.end() == len(text):
        kind = m.lastgroup
        lead = m.start(kind)
        return kind, lead, text[lead:] if kind in kept else None, _gotos(kind)
    lead = _SKIP.match(text).end()
    kind = END if lead == len(text) else _JUNK
    return kind, lead, None, _gotos(kind)


def _gotos(kind: str) -> list:
    """Per state below, {nonterminal: (the state after it and the ?rules it ends, the action there)} on
    lookahead `kind`, filled in as met (_fold)."""
    return _FOLDS.get(kind) or _FOLDS.setdefault(kind, [{} for _ in STATES])


def _fold(goto: list, kind: str, below: int, origin: str) -> tuple:
    """The state after going to `origin` over state `below` and reducing the ?rules that pass it through
    on lookahead `kind`, and the action there (None: `kind` is an error); remembered in goto[below]."""
    state = STATES[below][origin]
    while (unit := _UNITS.get(action := STATES[state].get(kind))) is not None:
        state = STATES[below][unit]
    goto[below][origin] = state, action
    return state, action


def _state_lexer(state: int) -> re.Pattern:
    accepts = frozenset(name for name in STATES[state] if name in _NAMES)
    if accepts not in _STATE_LEXERS:
        _STATE_LEXERS[accepts] = _lexer(accepts)
    return _STATE_LEXERS[accepts]

def _select(select):
    """Lark's child filter for one rule, as one function of the popped children (None: keep them all)."""
    if select is None:
        return None
    include, nones_after = select
    if not nones_after and not any(splice or nones for _, splice, nones in include):
        if not include:
            return lambda children: []
        if len(include) == 1:
            k = include[0][0]
            return lambda children: [children[k]]
        return itemgetter(*(i for i, _, _ in include))

    def pick(children):
        out = []
        for i, splice, nones in include:
            if nones:
                out += [None] * nones
            if splice:
                if out:
                    out += children[i]
                else:  # left recursion (a, b, c, ...): grow the list already made, as Lark does
                    out = children[i]
            else:
                out.append(children[i])
        if nones_after:
            out += [None] * nones_after
        return out
    return pick


_POSITIONAL, _UNIT, _LIST = range(3)  # how a rule is reduced: see _plans
_PLANS: dict = {}


def _plans(builder) -> list:
    """The rules as the loop reduces them, the builder's methods bound: (how, length, origin, callback,
    child filter, expand1), how being _UNIT for a ?rule's one child passing through (no call, the value
    stays), _POSITIONAL for a `positional` method, _LIST for a method given the filtered children."""
    key = id(builder)
    if key not in _PLANS:
        plans = []
        for k, (origin, size, name, expand1, select) in enumerate(RULES):
            callback = getattr(builder, name, None)
            if ~k in _UNITS:
                plans.append((_UNIT, size, origin, None, None, False))
                continue
            if callback is None and not origin.startswith("_"):
                raise TypeError(f"the parser's builder has no method {name!r} for the grammar rule {origin}")
            if getattr(callback, "positional", False):
                if expand1 or select is not None and (select[1] or any(s or n for _, s, n in select[0])):
                    raise TypeError(f"the builder's {name} cannot take its children as arguments: the rule "
                                    f"{origin} has optional or inlined parts, or passes one child through")
                plans.append((_POSITIONAL, size, origin, callback, None, False))
            else:
                plans.append((_LIST, size, origin, callback, _select(select), expand1))
        _PLANS[key] = plans
    return _PLANS[key]


def parse(text: str, builder):
    """Parse `text`, calling the builder's method for each rule reduced; returns what `start` returns."""
    plans = _plans(builder)
    states, stack, values, kinds, kept = STATES, [0], [], {}, _KEPT
    state, pos, length, previous = 0, 0, len(text), None
    while True:
        stop = length if length - pos <= _CHUNK else text.find("\n", pos + _CHUNK) + 1 or length
        tokens = _TOKENS.findall(text, pos, stop)
        if stop < length:
            tokens.pop()  # the empty match where the stretch ends: not the end of the program
        relex = False
        for read in tokens:
            token = kinds.get(read)
            if token is None:
                if len(kinds) > _MEMO:
                    kinds.clear()
                token = kinds[read] = _token(read)
            kind, lead, word, goto = token
            start = pos + lead
            pos += len(read)
            try:
                action = states[state][kind]
            except KeyError:
                if kind is END:
                    raise _unexpected(text, kind, start, pos, state) from None
                if kind is _JUNK:  # no terminal matches here
                    raise ParseError(start, expected=_terminals(state)) from None
                before = None if previous is None else _token(previous, _NAMES)
                m = _contextual(text, state, start - lead, kind, read[lead:], start,
                                before and (before[0], before[2]))
                kind = m.lastgroup
                start, pos = m.span(kind)
                read = text[start:pos]
                word = read if kind in kept else None
                goto = _gotos(kind)
                action = states[state][kind]
                relex = True  # the tokens lexed after the one Lark's lexer would not have read
            if action < 0:  # reduce until the token can be shifted
                while True:
                    how, size, origin, callback, select, expand1 = plans[~action]
                    if how is _POSITIONAL:  # popped one by one: cheaper than a slice for a few
                        if size == 1:
                            values[-1] = callback(values[-1])
                        elif size == 3:
                            right = values.pop()
                            middle = values.pop()
                            values[-1] = callback(values[-1], middle, right)
                            del stack[-2:]
                        elif size == 2:
                            right = values.pop()
                            values[-1] = callback(values[-1], right)
                            stack.pop()
                        else:
                            value = callback(*values[-size:])
                            del values[1 - size:], stack[1 - size:]
                            values[-1] = value
                    elif how is _LIST:
                        if size:
                            children = values[-size:]
                            del values[-size:], stack[-size:]
                        else:
                            children = []
                        if select is not None:
                            children = select(children)
                        if expand1 and len(children) == 1:
                            value = children[0]
                        elif callback is not None:
                            value = callback(children)
                        else:  # an inlined _rule: its parent splices its children
                            value = children
                        values.append(value)
                        stack.append(0)
                    below = stack[-2]
                    try:
                        state, action = goto[below][origin]
                    except KeyError:
                        state, action = _fold(goto, kind, below, origin)
                    stack[-1] = state
                    if action is None:
                        if state == END_STATE and kind is END:
                            return values[-1]
                        raise _unexpected(text, kind, start, pos, state)
                    if action >= 0:
                        break
            stack.append(action)
            values.append(None if word is None else (word, start, pos))
            state = action
            previous = read
            if relex:
                break


def _contextual(text: str, state: int, at: int, kind: str, tok: str, start: int, before) -> re.Match:
    """The token Lark's contextual lexer reads at `at` where the state cannot take `kind`, the terminal
    of the first that matches there (`tok` at `start`)."""
    own = _state_lexer(state).match(text, at)
    if own is None:  # Lark's UnexpectedToken, with the token any state would have read
        raise ParseError(start, (kind, tok, start), _terminals(state), before)
    return own

def _terminals(state: int) -> set:
    return {name for name in STATES[state] if name in _NAMES}


def _unexpected(text: str, kind: str, start: int, end: int, state: int) -> ParseError:
    """A token the parser cannot take after the reductions it led to (LALR notices some errors late)."""
    expected = {name for name in STATES[state] if name.isupper()}
    return ParseError(start, (kind, text[start:end] if kind != END else "", start), expected)
