"""Every command, over programs good and bad, at awkward points: an answer or a clean error, never exit 70.

Seeded random programs (from test_derive) plus hand-picked edge cases (no inputs, kinks, 0^x, syntax
errors), each run through every command that takes a program, with the inputs the program uses.
"""
import random

import pytest
from click.testing import CliRunner

from cgrad_cli import CgradError, parse
from cgrad_cli.cli import COMMANDS, cli
from samples import random_program

EDGE_CASES = ["y = x", "y = 1/x", "y = log(x)", "y = x^y", "f = relu(x) + abs(y)", "y = sqrt(x) * 0",
              "y = max(x, x)", "y = (x", "y = 2x", "a = 1; a = 2", "y = x; z = y; w = z", "y = pi * x",
              "y = x^0", "y = 0^x", "y = 3", "f = (0.5) - (0.5)", "y = x*1e200*1e200"]
RUNS = {
    "eval": [[], ["--json"]], "diff": [[], ["--order", "2"], ["--latex", "--json"]],
    "explain": [[], ["--latex"], ["--json"], ["--markdown"]], "graph": [[], ["--format", "mermaid"], ["--format", "html"]],
    "trace": [[], ["--json"]], "hessian": [[], ["--json"]], "gradcheck": [[], ["--json"]],
    "check": [["--expect", "dy/dx=1"], ["--expect", "df/dx = x", "--json"]],
    "jacobian": [[], ["--json"]],
}


def programs():
    rng = random.Random(7)
    return EDGE_CASES + [random_program(rng, depth=rng.choice([1, 2, 3])) for _ in range(25)]


def test_every_program_command_is_exercised():
    assert set(RUNS) == set(COMMANDS) - {"grammar", "template", "sheet"}  # these take no program


@pytest.mark.parametrize("program", programs())
def test_no_command_crashes(program):
    try:
        used = list(parse(program).inputs)
    except CgradError:
        used = ["x"]
    rng = random.Random(program)
    for command, variants in RUNS.items():
        for extra in variants:
            point = [w for name in used for w in (f"--{name}", str(rng.choice([0.0, 1.0, -1.0, 0.3])))]
            result = CliRunner().invoke(cli, [command, program, *point, *extra])
            assert result.exit_code in (0, 1, 2, 3), (command, extra, result.stderr[-500:])
            assert "Traceback" not in result.stderr


# Tensor programs, with array inputs: every command answers, refuses with exit 2, or fails a check.
TENSOR_CASES = [
    ("y = W @ x", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]"}),
    ("C = -log(softmax(W @ x)[r])", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]", "r": "1"}),
    ("y = sum(relu(x))", {"x": "[0, 1, -1]"}),
    ("y = W @ x", {"W": "[[1, 2], [3, 4]]", "x": "[1, 2, 3]"}),
    ("y = log(x)", {"x": "[1, -1]"}),
    ("y = x[r]", {"x": "[1, 2]", "r": "5"}),
    ("cell(h) = tanh(W @ h)\ny = sum(cell(cell(h0)))", {"W": "[[0.5, 0], [0, 0.5]]", "h0": "[1, 2]"}),
    ("y = sin(x) * 2", {"x": "[[0.5], [1]]"}),
    ("y = sum([a, b] * [[1], [2]])", {"a": "1", "b": "2"}),
]


@pytest.mark.parametrize("program, inputs", TENSOR_CASES, ids=[p for p, _ in TENSOR_CASES])
def test_no_command_crashes_on_tensors(program, inputs):
    point = [w for name, value in inputs.items() for w in (f"--{name}", value)]
    for command, variants in RUNS.items():
        for extra in variants:
            result = CliRunner().invoke(cli, [command, program, *point, *extra])
            assert result.exit_code in (0, 1, 2, 3), (command, extra, result.stderr[-500:])
            assert "Traceback" not in result.stderr
