"""The LALR(1) parser: one loop over the tables Lark computed from the grammar at build time (_tables.py).

It behaves as Lark's LALR parser with its contextual lexer and an inline
transformer, without Lark at run time: importing it costs a constant, not the
~35 ms Lark's standalone module spends rebuilding its tables into objects.

- The lexer is one compiled regular expression: the ignored terminals skipped
  first, then every terminal as a named group in Lark's order (priority, then
  longest pattern), so the first group that matches is the one Lark's lexer
  would pick.  Where that terminal is not one the parser's state can take,
  Lark's contextual lexer would have tried only the state's terminals: the slow
  path does exactly that (`f(x)=` is a FUNCHEAD only where a statement starts).
- A token is ``(text, start, end)``, like the builder's node references, and
  only for terminals some rule reads; the others are None.
- Each reduction shapes its children as Lark's tree builder does (anonymous
  tokens dropped, _rules spliced, None for a missing [optional] part, a ?rule
  with one child passed through) and calls the builder's method of that name.

Errors are raised as `ParseError`, carrying what Lark's UnexpectedCharacters
and UnexpectedToken would: parsing.py words them.
"""
from __future__ import annotations

import re
import sys
from operator import itemgetter

from ._tables import END_STATE, IGNORE, KEPT, RULES, STATES, TERMINALS

END = "$END"


class ParseError(Exception):
    """Where parsing stopped: an unexpected character (token None) or an unexpected token.

    token: (type, text, start); expected: terminal names the parser could take there;
    previous: the (type, text) of the token before, when the lexer stopped.
    """

    def __init__(self, pos: int, token=None, expected=(), previous=None):
        super().__init__(pos, token)
        self.pos, self.token, self.expected, self.previous = pos, token, expected, previous


def _lexer(names) -> re.Pattern:
    """Ignored terminals skipped, then one of `names`.  The skip never gives back what it took (a possessive
    repeat; before Python 3.11 a lookahead and a back-reference): else `a # note` would read `e` as a name."""
    skip = "|".join(pattern for name, pattern in TERMINALS if name in IGNORE)
    groups = "|".join(f"(?P<{name}>{pattern})" for name, pattern in TERMINALS if name in names)
    atomic = f"(?:{skip})*+" if sys.version_info >= (3, 11) else f"(?=((?:{skip})*))\\1"
    return re.compile(f"{atomic}(?:{groups})")


_SKIP = re.compile("(?:%s)*" % "|".join(pattern for name, pattern in TERMINALS if name in IGNORE))
_NAMES = {name for name, _ in TERMINALS}
_LEX = _lexer(_NAMES - set(IGNORE))
_KEPT = frozenset(KEPT)
_STATE_LEXERS: dict = {}  # frozenset of terminals -> the lexer of the states that take exactly those


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


_PLANS: dict = {}


def _plans(builder) -> tuple:
    """The rules as the loop reduces them, the builder's methods bound: {~rule: origin} for a ?rule's one
    child passing through (no call, the value stays), [(origin, length, callback or None, expand1, child
    filter)] for the others."""
    key = id(builder)
    if key not in _PLANS:
        units, plans = {}, []
        for k, (origin, size, name, expand1, select) in enumerate(RULES):
            if expand1 and size == 1 and select is None:
                units[~k] = origin
            callback = getattr(builder, name, None)
            if callback is None and not origin.startswith("_") and ~k not in units:
                raise TypeError(f"the parser's builder has no method {name!r} for the grammar rule {origin}")
            plans.append((origin, size, callback, expand1, _select(select)))
        _PLANS[key] = units, plans
    return _PLANS[key]


def parse(text: str, builder):
    """Parse `text`, calling the builder's method for each rule reduced; returns what `start` returns."""
    units, plans = _plans(builder)
    states, stack, values = STATES, [0], []
    state, pos, end, kept = 0, 0, len(text), _KEPT
    match, previous = _LEX.match, None
    while True:
        m = match(text, pos)
        if m is not None:
            kind = m.lastgroup
            start, pos = m.span(kind)
            action = states[state].get(kind)
            if action is None:
                m = _contextual(text, state, m, previous)
                kind = m.lastgroup
                start, pos = m.span(kind)
                action = states[state][kind]
            token = (text[start:pos], start, pos) if kind in kept else None
            previous = m
        else:
            start = _SKIP.match(text, pos).end()
            if start < end:  # no terminal matches here
                raise ParseError(start, expected=_terminals(state))
            kind = END
            action = states[state].get(END)
            if action is None:
                raise _unexpected(text, kind, start, pos, state)
        while action < 0:  # reduce until the token can be shifted
            origin = units.get(action)
            if origin is not None:  # a ?rule's one child passes through
                state = stack[-1] = states[stack[-2]][origin]
            else:
                origin, size, callback, expand1, select = plans[~action]
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del stack[-size:]
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
                state = states[stack[-1]][origin]
                stack.append(state)
                if state == END_STATE and kind is END:
                    return value
            action = states[state].get(kind)
            if action is None:
                raise _unexpected(text, kind, start, pos, state)
        stack.append(action)
        values.append(token)
        state = action


def _contextual(text: str, state: int, m: re.Match, previous: re.Match | None) -> re.Match:
    """The token Lark's contextual lexer reads where the state cannot take the first terminal that matches."""
    own = _state_lexer(state).match(text, m.start())
    if own is None:  # Lark's UnexpectedToken, with the token any state would have read
        pos = m.start(m.lastgroup)
        before = previous and (previous.lastgroup, previous.group(previous.lastgroup))
        raise ParseError(pos, (m.lastgroup, m.group(m.lastgroup), pos), _terminals(state), before)
    return own


def _terminals(state: int) -> set:
    return {name for name in STATES[state] if name in _NAMES}


def _unexpected(text: str, kind: str, start: int, end: int, state: int) -> ParseError:
    """A token the parser cannot take after the reductions it led to (LALR notices some errors late)."""
    expected = {name for name in STATES[state] if name.isupper()}
    return ParseError(start, (kind, text[start:end] if kind != END else "", start), expected)
