"""A node's source text shortened for a label is cut before a number or a name, never inside or just after
one: `0.12…` would read as a number cut short."""
import re

import pytest

from cgrad_cli import parse

PROGRAM = "y = x*0.1234567 + x*0.7654321 + x*0.5555555 + weight_of_the_fourth_term*0.4444444"


@pytest.mark.parametrize("width", range(8, 80))
def test_a_shortened_text_ends_between_tokens(width):
    g = parse(PROGRAM)
    text = g.text(g.output, width)
    assert len(text) <= width + 1  # the ellipsis, and perhaps a space before it
    assert not re.search(r"[\w.]…", text), text
    whole = " ".join(PROGRAM[4:].split())
    assert whole.startswith(text.rstrip("… ").rstrip())


def test_one_token_longer_than_the_width_is_cut_all_the_same():
    g = parse("y = abcdefghijklmnopqrstuvwxyz + 1")
    assert g.text(g.output, 10) == "abcdefghi…"


def test_a_long_answer_in_a_grade_table_is_shortened_the_same_way():
    from cgrad_cli.core.show import shorten

    assert shorten("0.1234567890123 + 0.9876543210987", 24) == "0.1234567890123 + …"
    assert shorten("a + b", 24) == "a + b"
    assert shorten("0.12345678901234567890123456789", 24) == "0.123456789012345678901…"  # one token
