"""Regenerate cgrad_cli/core/_tables.py, the parser's LALR tables, from grammars/cgrad.lark.

    python -m cgrad_cli.core._build_parser

Needs lark (a development dependency).  Lark reads the grammar and computes the
LALR(1) automaton, the terminals in its lexer's order and how each rule shapes
its children; they are written out as plain Python literals, which a process
loads at the cost of a constant (lalr.py walks them).  States are renumbered
from the start state in symbol-name order, so the file is the same on every
build; tests/core/test_parser_tables.py fails if it no longer matches the grammar.
"""
from __future__ import annotations

import pprint
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TARGET = ROOT / "_tables.py"
END = "$END"


def grammar_text() -> str:
    """The grammar: grammars/ in a source checkout, cgrad_cli/grammars/ in an installed wheel."""
    for path in (ROOT.parent.parent / "grammars" / "cgrad.lark", ROOT.parent / "grammars" / "cgrad.lark"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib.resources import files

    return files("cgrad_cli.grammars").joinpath("cgrad.lark").read_text(encoding="utf-8")


def _lark(grammar: str):
    from lark import Lark

    return Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=True)


def tables(grammar: str) -> dict:
    """What lalr.py needs, as literals: terminals, ignored terminals, rules, states.

    TERMINALS: (name, regular expression) in the order Lark's lexer tries them (priority, then longest).
    KEPT: the terminals whose text some rule reads (the others are dropped from its children).
    RULES: (origin, length, callback, expand1, select) with select None (keep every child) or
      ((position, splice, Nones before), ...) and the Nones after: Lark's child filter, for
      anonymous tokens, inlined _rules and [optional] parts.
    STATES: per state {symbol: action}: a state number to shift or go to, or ~rule to reduce.
    """
    lark = _lark(grammar)
    conf = lark.lexer_conf
    terminals = sorted(conf.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value),
                                                         t.name))
    _check_lexer(terminals, conf)
    table = lark.parser.parser.parser.parse_table
    rules = sorted(table_rules(table), key=lambda r: (r.origin.name, r.order, [s.name for s in r.expansion]))
    index = {rule: k for k, rule in enumerate(rules)}
    start, end = table.start_states["start"], table.end_states["start"]
    number, queue, states = {start: 0}, [start], []
    for state in queue:  # breadth-first: the queue grows as new states are met
        row = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift":
                if arg not in number:
                    number[arg] = len(number)
                    queue.append(arg)
                row[str(symbol)] = number[arg]
            else:
                row[str(symbol)] = ~index[arg]
        states.append(row)
    return {
        "TERMINALS": tuple((t.name, t.pattern.to_regexp()) for t in terminals),
        "IGNORE": tuple(sorted(conf.ignore)),
        "KEPT": tuple(sorted({s.name for rule in rules for s in rule.expansion
                              if s.is_term and (rule.options.keep_all_tokens or not s.filter_out)})),
        "RULES": tuple(_rule(rule) for rule in rules),
        "STATES": tuple(states),
        "END_STATE": number[end],
    }


def table_rules(table) -> set:
    return {arg for row in table.states.values() for action, arg in row.values() if action.name != "Shift"}


def _rule(rule) -> tuple:
    """One rule as the driver reduces it, following Lark's parse_tree_builder for an inline transformer."""
    from lark.parse_tree_builder import maybe_create_child_filter

    options = rule.options
    select = maybe_create_child_filter(rule.expansion, options.keep_all_tokens, False, options.empty_indices)
    if select is not None:
        include = select.args[0]
        nones_after = select.args[1] if len(select.args) > 1 else 0
        select = (tuple((i, bool(splice), nones) for i, splice, nones in
                        (x if len(x) == 3 else (*x, 0) for x in include)), nones_after)
    callback = str(rule.alias or rule.origin.name)
    return (str(rule.origin.name), len(rule.expansion), callback, bool(options.expand1 and not rule.alias), select)


def _check_lexer(terminals, conf) -> None:
    """What lalr.py's lexer assumes of the grammar; a grammar that breaks it must say so here."""
    if conf.g_regex_flags or any(t.pattern.flags for t in terminals):
        raise SystemExit("lalr.py's lexer takes no regular-expression flags")
    for s in (t for t in terminals if t.pattern.type == "str"):
        for r in (t for t in terminals if t.pattern.type == "re" and t.priority == s.priority):
            if re.fullmatch(r.pattern.to_regexp(), s.pattern.value):
                raise SystemExit(f"{s.name} ({s.pattern.value!r}) is also a {r.name}: a keyword; lalr.py's lexer "
                                 "has no keywords (Lark's 'unless' callback)")
    for t in terminals:
        *body, last = _parsed(t.pattern.to_regexp())
        if _reads_newline(body) or _reads_newline([last]) and str(last[0]) not in ("LITERAL", "NOT_LITERAL", "IN"):
            raise SystemExit(f"{t.name} may match a newline before its last character: lalr.py lexes a stretch of "
                             "lines at a time, cut after a newline")


def _parsed(pattern: str) -> list:
    try:
        from re import _parser as sre_parse  # Python >= 3.11
    except ImportError:
        import sre_parse
    return list(sre_parse.parse(pattern).data)


_NEWLINE_CATEGORIES = {"CATEGORY_SPACE", "CATEGORY_NOT_DIGIT", "CATEGORY_NOT_WORD", "CATEGORY_LINEBREAK"}


def _reads_newline(items) -> bool:
    """May an element of this parsed pattern match (or, in a lookaround, read) a newline?"""
    for op, arg in items:
        op = str(op)
        if op in ("LITERAL", "NOT_LITERAL"):
            hit = (arg == 10) == (op == "LITERAL")
        elif op == "IN":
            negate = bool(arg) and str(arg[0][0]) == "NEGATE"
            hit = negate != any(value == 10 if str(kind) == "LITERAL" else value[0] <= 10 <= value[1]
                                if str(kind) == "RANGE" else str(kind) == "CATEGORY"
                                and str(value).replace("UNI_", "").replace("LOC_", "") in _NEWLINE_CATEGORIES
                                for kind, value in arg)
        elif op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            hit = _reads_newline(arg[2])
        elif op in ("SUBPATTERN", "ATOMIC_GROUP"):
            hit = _reads_newline(arg[-1])
        elif op == "BRANCH":
            hit = any(_reads_newline(branch) for branch in arg[1])
        elif op in ("ASSERT", "ASSERT_NOT"):
            hit = _reads_newline(arg[1])
        else:  # ANY (no DOTALL: flags are refused), AT; anything else may
            hit = op not in ("ANY", "AT")
        if hit:
            return True
    return False


def generate(grammar: str) -> str:
    lines = ["# Generated by `python -m cgrad_cli.core._build_parser` from grammars/cgrad.lark (Lark computed",
             "# the LALR tables). Do not edit.",
             '"""The LALR(1) tables of the cgrad grammar, as literals (see _build_parser.tables and lalr.py)."""', ""]
    for name, value in tables(grammar).items():
        lines.append(f"{name} = {pprint.pformat(value, width=116, compact=True, sort_dicts=False)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(generate(grammar_text()), encoding="utf-8")
    print(f"wrote {TARGET}")
