"""Every command, over programs good and bad, at awkward points: an answer or a clean error, never exit 70.

Seeded random programs (from test_derive) plus hand-picked edge cases (no inputs, kinks, 0^x, syntax
errors), each run through every command that takes a program, with the inputs the program uses.
"""
import random

import pytest
from click.testing import CliRunner

from cgrad_cli import CgradError, parse
from cgrad_cli.cli import COMMANDS, cli
from test_derive import random_program

EDGE_CASES = ["y = x", "y = 1/x", "y = log(x)", "y = x^y", "f = relu(x) + abs(y)", "y = sqrt(x) * 0",
              "y = max(x, x)", "y = (x", "y = 2x", "a = 1; a = 2", "y = x; z = y; w = z", "y = pi * x",
              "y = x^0", "y = 0^x", "y = 3", "f = (0.5) - (0.5)", "y = x*1e200*1e200"]
RUNS = {
    "eval": [[], ["--json"]], "diff": [[], ["--order", "2"], ["--latex", "--json"]],
    "explain": [[], ["--latex"], ["--json"]], "graph": [[], ["--format", "mermaid"], ["--format", "html"]],
    "trace": [[], ["--json"]], "hessian": [[], ["--json"]], "gradcheck": [[], ["--json"]],
    "check": [["--expect", "dy/dx=1"], ["--expect", "df/dx = x", "--json"]],
}


def programs():
    rng = random.Random(7)
    return EDGE_CASES + [random_program(rng, depth=rng.choice([1, 2, 3])) for _ in range(25)]


def test_every_program_command_is_exercised():
    assert set(RUNS) == set(COMMANDS) - {"grammar"}


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
