"""cgrad check's views fold themselves to 80 columns: the same lines on an 80-column terminal and in a
pipe (where the console does not wrap), none over 80, no number cut, a formula never broken inside."""
import io
import re

import pytest
from rich.console import Console

from cgrad_cli import parse
from cgrad_cli.grading.check import check, parse_expectation
from cgrad_cli.render.check import render

CASES = [
    ("c = a+b; d = b+1; e = c*d", {"a": 2.0, "b": 1.0}, ["de/db=2", "de/db=8"]),
    ("y = sigmoid(w*x)", {"w": 0.5, "x": 2.0}, ["dy/dw = sigmoid(w*x)*x"]),
    ("e=(a+b)*(b+1)", {"a": 2.0, "b": 1.0}, ["de/db = a + 2*b + 1", "de/db = 2*a + 1"]),
    ("y = exp(x^2) + x*exp(x^2)*sin(x)*cos(x)", {"x": 0.5},
     ["dy/dx = 2*x*exp(x^2) + exp(x^2)*sin(x)*cos(x) + x*exp(x^2)*cos(x)^2 - x*exp(x^2)*sin(x)^2 + 1"]),
]


def shown(renderable, width: int) -> list:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(renderable)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("program, at, expects", CASES)
def test_check_fits_80_columns_and_reads_the_same_piped(program, at, expects):
    g = parse(program)
    report = check(g, at, [parse_expectation(t, g) for t in expects])
    terminal, piped = shown(render(report), 80), shown(render(report), 100_000)
    assert [line.rstrip() for line in terminal] == [line.rstrip() for line in piped]
    assert all(len(line) <= 80 for line in terminal)
    assert not [line for line in terminal if re.search(r"\d…|…\d", line)]


def test_the_header_keeps_the_rule_whole():
    g = parse("e=(a+b)*(b+1)")
    lines = shown(render(check(g, {"a": 2.0, "b": 1.0}, [parse_expectation("e=6", g)])), 100_000)
    assert lines[:2] == ["at a = 2, b = 1 · formulas also at 20 random points (seed 0)",
                         "pass when |answer − correct| ≤ atol + rtol·|correct| (rtol 1e-05, atol 1e-08)"]


def test_a_table_too_wide_is_turned_and_no_number_is_cut():
    g = parse("y = softmax(z)")
    long = "[" + ", ".join(["0.09003057317038046", "0.24472847105479767", "0.6652409557748219"]) + "]"
    report = check(g, {"z": __import__("numpy").array([1.0, 2.0, 3.0])}, [parse_expectation(f"y = {long}", g)])
    lines = shown(render(report), 100_000)
    assert all(len(line) <= 80 for line in lines)
    assert "y  ✓ pass" in lines
    answer = lines[lines.index("y  ✓ pass") + 1:]
    assert answer[0].startswith("  answer         [0.09003057317038046, 0.24472847105479767,")
    text = " ".join(line.strip() for line in answer[:2])
    assert "0.6652409557748219]" in text  # each number whole, on one line
