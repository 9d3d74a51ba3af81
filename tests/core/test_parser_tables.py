"""The prebuilt parser shipped in cgrad_cli/core/_parser.py must be the one the grammar file gives."""
import pytest

pytest.importorskip("lark")

from cgrad_cli.core import _build_parser
from cgrad_cli.core import _parser  # noqa: E402


def test_prebuilt_parser_matches_the_grammar():
    shipped = _build_parser.canonical(_parser.DATA, _parser.MEMO)
    fresh = _build_parser.fresh_tables(_build_parser.grammar_text())
    assert shipped == fresh, "grammars/cgrad.lark changed: run `python -m cgrad_cli.core._build_parser`"


def test_the_check_sees_a_changed_grammar():
    changed = _build_parser.grammar_text().replace('POW: "^" | "**"', 'POW: "^"')
    assert _build_parser.fresh_tables(changed) != _build_parser.canonical(_parser.DATA, _parser.MEMO)


def test_canonical_form_is_stable_across_builds():
    grammar = _build_parser.grammar_text()
    assert _build_parser.fresh_tables(grammar) == _build_parser.fresh_tables(grammar)


def test_grammar_ships_with_the_package():
    from importlib.resources import files

    assert "statement" in files("cgrad_cli.grammars").joinpath("cgrad.lark").read_text(encoding="utf-8")
