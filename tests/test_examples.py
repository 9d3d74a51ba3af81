"""Every program in examples/ runs, and gives the numbers its header states.

Each example says how to run it (`# run: --a 2 --b 1`) and what comes out
(`# expect: e=6 a=2 b=5`: the output's value, then ∂output/∂input for each
input), numbers worked out by hand in the example's comments.
"""
import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.cg"))


def header(path, key):
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{path.name} has no '# {key}:' line")


def test_there_are_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_gives_its_stated_numbers(path):
    result = CliRunner().invoke(cli, ["eval", "-f", str(path), "--json", *shlex.split(header(path, "run"))])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (output, value), *grads = (item.split("=") for item in header(path, "expect").split())
    assert doc["output"] == output
    assert doc["value"] == pytest.approx(float(value), rel=1e-12)
    assert doc["gradients"] == pytest.approx({name: float(g) for name, g in grads}, rel=1e-12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_draws_its_tree(path):
    result = CliRunner().invoke(cli, ["eval", "-f", str(path), *shlex.split(header(path, "run"))])
    assert result.exit_code == 0, result.output
    assert header(path, "expect").split("=")[0] in result.stdout
