"""render.width: prose and diagnostics folded to 80 columns between words, never inside a formula,
a number, a call or an array; the source line and caret under an error stay as they are."""
import re

import pytest

from cgrad_cli.errors import ShapeError, excerpt
from cgrad_cli.render.width import columns, diagnostic, fold, prose

SENTENCE = ("shapes do not fit in matmul: W is 2×2, x is 3-vector: the inner sizes differ: 2 and 3, "
            "in W @ x; onehot(1, 10000000000) needs 10 000 000 000 elements; write a + 2*b + 1 = 5 "
            "(an aside in parentheses may be broken) and [1, 2, 3]")


@pytest.mark.parametrize("width", range(24, 90, 3))
def test_prose_keeps_formulas_numbers_and_calls_whole(width):
    lines = prose(SENTENCE, width, "  ").split("\n")
    assert " ".join(line.strip() for line in lines) == SENTENCE
    for whole in ("W @ x", "10 000 000 000", "onehot(1, 10000000000)", "a + 2*b + 1 = 5"):
        assert any(whole in line for line in lines), whole
    assert any(line.strip().startswith(("[1, 2, 3]", "2, 3]", "3]")) or "[1, 2, 3]" in line for line in lines)
    assert all(len(line) <= width for line in lines if " " in line.strip())  # only a lone unbreakable word is over
    assert all(line.startswith("  ") for line in lines[1:])


@pytest.mark.parametrize("width", [20, 41, 80])
def test_prose_of_wide_characters_fits_the_columns_not_the_characters(width):
    """变量 is 2 characters and 4 columns: lines are measured as a terminal draws them."""
    text = "error: " + " ".join(["变量"] * 40)
    lines = prose(text, width).split("\n")
    assert " ".join(lines) == text
    assert all(columns(line) <= width for line in lines) and columns(lines[0]) > width - 5
    assert columns("a变b") == 4 and columns("e\u0301") == 1 and columns("∂e/∂a") == 5


def test_an_aside_in_parentheses_is_broken_like_prose():
    text = "error: 1 of 3 points failed (each has an error object on its line); the first, at input line 2"
    assert prose(text, 50) == ("error: 1 of 3 points failed (each has an error\n"
                               "object on its line); the first, at input line 2")


def test_diagnostic_hangs_under_its_label_and_keeps_the_caret():
    e = ShapeError("shapes do not fit in mul: W is 3×2, x is 3-vector: elementwise ops need equal shapes, or "
                   "sizes of 1 to broadcast (numpy's rule), in W*x", source="y = W*x", span=(4, 7),
                   hint="* multiplies element by element; for the matrix product write W @ x, as in numpy and torch")
    lines = diagnostic(e.render(), 80).split("\n")
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("error: line 1, column 5: ")
    cont = [line for line in lines[1:] if line.startswith("       ")]
    assert cont and all(not line[7].isspace() for line in cont)  # under the message, after `error: `
    source = lines.index("  y = W*x")
    assert lines[source + 1] == "      ^^^"
    hint = next(k for k, line in enumerate(lines) if line.startswith("hint: "))
    assert lines[hint + 1].startswith("      ") and not lines[hint + 1][6].isspace()
    assert "W @ x," in " ".join(lines[hint:])


def test_a_short_diagnostic_is_as_it_was():
    text = "warning: 'relu(x)' is at a kink of relu\n  y = relu(x)\n      ^^^^^^^"
    assert diagnostic(text, 80) == text


def test_a_chain_is_folded_between_terms_a_sentence_is_not():
    chain = "∂e/∂b = " + " + ".join(["∂e/∂c*∂c/∂b"] * 8)
    lines = "".join(t for t, _ in fold([(chain, None)])).split("\n")
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert "".join(t for t, _ in fold([(chain, None)], sentence=True)) == chain  # no break beside `+`


def test_the_source_line_of_an_error_is_windowed_to_80_columns():
    source = "y = " + " + ".join(f"x{k}" for k in range(60)) + " + W @ x"
    start = source.index("W @ x")
    text, carets = excerpt(source, (start, start + 5))
    assert len(text) <= 80 and len(carets) <= 80
    col = carets.index("^")
    assert text[col:col + 5] == "W @ x" and carets.strip() == "^^^^^"


def test_piped_diagnostics_stay_one_line_unless_columns_is_set(monkeypatch):
    text = "error: " + SENTENCE
    monkeypatch.delenv("COLUMNS", raising=False)
    assert diagnostic(text) == text  # stderr is not a terminal here: grep finds the message whole
    monkeypatch.setenv("COLUMNS", "60")
    assert diagnostic(text) == prose(text, 60, " " * 7) != text


def test_a_real_process_wraps_only_when_asked():
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "cgrad_cli", "eval", "y = W @ x", "--W", "[[1, 2], [3, 4]]", "--x", "[1, 2, 3]"]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(command, capture_output=True, text=True, env=env)
    assert piped.returncode == 2
    assert piped.stderr.splitlines()[0].endswith("the inner sizes differ: 2 and 3, in W @ x")
    wrapped = subprocess.run(command, capture_output=True, text=True, env={**env, "COLUMNS": "80"})
    lines = wrapped.stderr.splitlines()
    assert lines[:2] == ["error: line 1, column 5: shapes do not fit in matmul: W is 2×2, x is 3-vector:",
                         "       the inner sizes differ: 2 and 3, in W @ x"]
    assert lines[2:] == piped.stderr.splitlines()[1:]  # the source line and its caret as they were
