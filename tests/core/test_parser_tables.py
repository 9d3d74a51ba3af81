"""The shipped LALR tables (cgrad_cli/core/_tables.py) are the ones Lark computes from the grammar, and the
driver that walks them (lalr.py) parses as Lark's own LALR parser does: same reductions, same errors."""
import re

import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("lark")

from lark import Lark, UnexpectedCharacters, UnexpectedInput  # noqa: E402

from cgrad_cli.core import _build_parser, _tables, lalr  # noqa: E402


def shipped():
    return {name: getattr(_tables, name) for name in _build_parser.tables(_build_parser.grammar_text())}


def test_shipped_tables_match_the_grammar():
    fresh = _build_parser.tables(_build_parser.grammar_text())
    assert shipped() == fresh, "grammars/cgrad.lark changed: run `python -m cgrad_cli.core._build_parser`"


def test_the_check_sees_a_changed_grammar():
    changed = _build_parser.grammar_text().replace('POW: "^" | "**"', 'POW: "^"')
    assert _build_parser.tables(changed) != shipped()


def test_tables_are_the_same_on_every_build():
    grammar = _build_parser.grammar_text()
    assert _build_parser.tables(grammar) == _build_parser.tables(grammar)
    assert _build_parser.generate(grammar) == _build_parser.generate(grammar)


def test_grammar_ships_with_the_package():
    from importlib.resources import files

    assert "statement" in files("cgrad_cli.grammars").joinpath("cgrad.lark").read_text(encoding="utf-8")


class Recorder:
    """A builder for both parsers that writes down every reduction and what it was given."""

    def __init__(self, lark_tokens: bool):
        self.log, self.lark_tokens = [], lark_tokens

    def __getattr__(self, name):
        if name not in RULE_NAMES:
            raise AttributeError(name)

        def reduce(children):
            self.log.append((str(name), [self._shown(c) for c in children]))
            return (name, len(self.log))
        return reduce

    def _shown(self, child):
        if self.lark_tokens and hasattr(child, "type"):
            return (str(child), child.start_pos, child.end_pos)
        if isinstance(child, list):
            return [self._shown(c) for c in child]
        return child


RULE_NAMES = {name for _, _, name, _, _ in _tables.RULES if not name.startswith("_")}


def lark_run(text):
    recorder = Recorder(lark_tokens=True)
    parser = Lark(_build_parser.grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True,
                  transformer=recorder)
    try:
        parser.parse(text)
    except UnexpectedCharacters as e:
        return recorder.log, ("char", e.pos_in_stream)
    except UnexpectedInput as e:
        previous = e.token_history[-1] if getattr(e, "token_history", None) else None
        return recorder.log, ("token", e.token.type, str(e.token) if e.token.type != "$END" else "",
                              e.token.start_pos if e.token.type != "$END" else None, sorted(e.expected),
                              previous and (previous.type, str(previous)))
    return recorder.log, None


def driver_run(text):
    recorder = Recorder(lark_tokens=False)
    try:
        lalr.parse(text, recorder)
    except lalr.ParseError as e:
        if e.token is None:
            return recorder.log, ("char", e.pos)
        kind, value, start = e.token
        return recorder.log, ("token", kind, value, start if kind != lalr.END else None, sorted(e.expected),
                              e.previous)
    return recorder.log, None


PIECES = ["a", "b1", "x", "T", "2", "1.5e3", ".5", "+", "-", "*", "**", "^", "/", "@", "(", ")", "[", "]", ",",
          ":", ".", "=", ";", "\n", "\r\n", " ", "\t", "# note\n", "f(x) =", "g(a, b)=", "sin", "$", "ŷ", "!"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_driver_parses_as_lark_does(pieces):
    text = "".join(pieces)
    assert driver_run(text) == lark_run(text)


@pytest.mark.parametrize("text", [
    "e = (a+b)*(b+1)", "y = -x^2; z = 2^-1 ** 3", "f(x) = x*x\ny = f(3) + f(a)", "a = f(x)=2",
    "W[1, 2:3] + v[:, :1].T @ [1, 2]", "s = sum(x, 0); t = g()", "", ";;\n", "a b", "(a)(b)", "2x", "x[",
    "a = * 2", "a ** * b", "f(x)=", "a # c\n+ b", "p = [[1, 2], [3, 4]][0]", "a\r\nb", "m = x[1:]",
    "a # note", "a #", "  ", "# c", "a $ b", "y = f(x)=2\nz", "a\n" * 3 + "b +",
])
def test_driver_parses_these_as_lark_does(text):
    assert driver_run(text) == lark_run(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_driver_lexing_line_by_line_parses_as_lark_does(pieces):
    """The driver lexes a stretch of lines at a time (32K characters, to the end of a line): cut after every
    newline, it still reads what Lark reads, errors and all."""
    text = "".join(pieces)
    chunk, lalr._CHUNK = lalr._CHUNK, 1
    try:
        assert driver_run(text) == lark_run(text)
    finally:
        lalr._CHUNK = chunk


def test_a_terminal_that_reads_past_a_newline_is_refused():
    """The cut after a newline is safe because no terminal goes on past one: the build checks it."""
    grammar = _build_parser.grammar_text().replace(r"COMMENT: /#[^\n]*/", r"COMMENT: /#[^\n]*\n\s/")
    with pytest.raises(SystemExit, match="COMMENT may match a newline"):
        _build_parser.tables(grammar)


class Positional(Recorder):
    """A builder whose `call` wrongly takes its children as arguments: the rule has an [optional] part."""

    @lalr.positional
    def call(self, *children):
        return children


def test_a_positional_method_on_a_rule_with_optional_parts_is_refused():
    with pytest.raises(TypeError, match="the builder's call cannot take its children as arguments"):
        lalr.parse("f(x)", Positional(lark_tokens=False))


def test_the_lexers_groups_are_made_non_capturing():
    """Escapes and character classes keep their brackets: only a group's own "(" changes."""
    pattern = r"[]()]\(a(b)\\(c)[^]x](?:d)[\](]"
    assert lalr._uncaptured(pattern) == r"[]()]\(a(?:b)\\(?:c)[^]x](?:d)[\](]"
    assert re.compile(lalr._uncaptured(pattern)).groups == 0
