"""cgrad explain says in words where the graph is cut: a comparison, detach/stop_gradient, argmax, where's
condition -- nothing flows back through them -- in text, Markdown and JSON, scalar and tensor programs."""
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli.cli import cli

SCHEMA = json.loads((Path(cgrad_cli.__file__).parent / "schemas" / "explain.schema.json").read_text("utf-8"))


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("args, said", [
    (["y = where(x > 0, x, 0.1*x)", "--x", "2"],
     ["x > 0 is a comparison", "nothing flows back through it", "the gradient goes to the chosen side only"]),
    (["y = detach(x)*x + stop_gradient(x^2)", "--x", "2"],
     ["detach(x) cuts the graph: it passes x's value on as a constant", "stop_gradient(x^2) cuts the graph"]),
    (["y = where(c, a, b)", "--c", "1", "--a", "2", "--b", "3"], ["c is where's condition", "nothing flows back"]),
    (["y = x[argmax(x)]", "--x", "[1, 3, 2]"], ["argmax(x) cuts the graph: it gives an index"]),
    (["y = sum(detach(W) @ x + (x > 1))", "--W", "[[1, 2], [3, 4]]", "--x", "[1, 2]"],
     ["detach(W) cuts the graph", "x > 1 is a comparison"]),
])
def test_explain_says_where_the_graph_is_cut(args, said):
    text = run("explain", *args)
    assert text.exit_code == 0, text.output
    flat = " ".join(text.stdout.split())
    for words in said:
        assert words in flat
    lines = text.stdout.splitlines()
    first = next(n for n, line in enumerate(lines) if "cuts the graph" in line or "is a comparison" in line
                 or "where's condition" in line)
    assert all(len(line) <= 80 for line in lines[first:])  # the sentences fold between words
    markdown = " ".join(run("explain", *args, "--markdown").stdout.split())
    doc = json.loads(run("explain", *args, "--json").stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    for words in said:
        assert words in markdown and any(words in " ".join(c["message"].split()) for c in doc["cuts"])


def test_a_program_without_cuts_says_nothing_of_them():
    result = run("explain", "e=(a+b)*(b+1)", "--a", "2", "--b", "1")
    assert "cuts" not in result.stdout
    assert json.loads(run("explain", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "--json").stdout)["cuts"] == []
