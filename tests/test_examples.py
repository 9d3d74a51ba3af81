"""Every program in examples/ runs, and gives the numbers its header states.

Each example says how to run it and what comes out, in header lines:

  `# run: --a 2 --b 1`           the input values (optional when `# inputs:` gives them)
  `# inputs: NAME.inputs.json`   an inputs file in examples/, passed as --inputs (optional)
  `# command: jacobian --wrt W`  the cgrad command and its options (optional; default `eval`)
  `# expect: e=6 a=2 b=5`        the output's value, then ∂output/∂input for each input, or
  `# expect: NAME.expect.json`   a file in examples/ holding {"output", "value", "gradients"} with
                                 arrays as nested lists ("jacobians" instead of "gradients" for
                                 `cgrad jacobian`)

The numbers are worked out independently of cgrad: by hand in the example's
comments, or, for the array examples, by the hand-written numpy backprop of
examples/make_expectations.py (a test below checks the .expect.json files are
what it computes).
"""
import importlib.util
import json
import shlex
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cgrad_cli.cli import COMMANDS, cli

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.cg"))


def header(path, key, default=None):
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    if default is None:
        raise AssertionError(f"{path.name} has no '# {key}:' line")
    return default


def command(path):
    """['eval'] or e.g. ['jacobian', '--wrt', 'W,x']: the command the example is run with."""
    return shlex.split(header(path, "command", "eval"))


def arguments(path, as_json=True, extra=()):
    """The cgrad command line that runs the example."""
    args = [*command(path), "-f", str(path), *(["--json"] if as_json else []), *extra,
            *shlex.split(header(path, "run", ""))]
    inputs = header(path, "inputs", "")
    return args + (["--inputs", str(EXAMPLES_DIR / inputs)] if inputs else [])


def expectation(path):
    """{"output", "value", "gradients" or "jacobians"}: from the expect file, or the scalar `# expect:` line."""
    text = header(path, "expect")
    if text.endswith(".json"):
        return json.loads((EXAMPLES_DIR / text).read_text(encoding="utf-8"))
    (output, value), *grads = (item.split("=") for item in text.split())
    return {"output": output, "value": float(value), "gradients": {name: float(g) for name, g in grads}}


def runnable(path):
    """The example as a test parameter: xfail while the command it needs is not there yet."""
    name = command(path)[0]
    missing = pytest.mark.xfail(name not in COMMANDS, reason=f"`cgrad {name}` is not implemented yet",
                                strict=False)
    return pytest.param(path, id=path.name, marks=missing)


def assert_close(actual, expected, what):
    """Numbers or nested lists: same shape, equal to 1e-12 relative (1e-15 absolute, for exact zeros)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15, err_msg=what)


def run(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result


def test_there_are_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", [runnable(p) for p in EXAMPLES])
def test_example_gives_its_stated_numbers(path):
    doc = json.loads(run(arguments(path)).stdout)
    expected = expectation(path)
    assert doc["output"] == expected["output"]
    if isinstance(expected["value"], float) and "gradients" in expected and \
            all(isinstance(g, float) for g in expected["gradients"].values()):  # the scalar `# expect:` line
        assert doc["value"] == pytest.approx(expected["value"], rel=1e-12)
        assert doc["gradients"] == pytest.approx(expected["gradients"], rel=1e-12)
        return
    assert_close(doc["value"], expected["value"], "value")
    key = "jacobians" if "jacobians" in expected else "gradients"
    assert set(doc[key]) == set(expected[key])
    for name, want in expected[key].items():
        assert_close(doc[key][name], want, f"{key}[{name!r}]")


@pytest.mark.parametrize("path", [runnable(p) for p in EXAMPLES])
def test_example_draws_its_tree(path):
    result = run(arguments(path, as_json=False))
    assert expectation(path)["output"] in result.stdout


def test_expectation_files_are_what_the_numpy_backprop_computes():
    """The .expect.json files are not edited by hand (nor written by cgrad): make_expectations.py writes them."""
    spec = importlib.util.spec_from_file_location("make_expectations", EXAMPLES_DIR / "make_expectations.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    docs = tool.expectations()
    referenced = {header(p, "expect") for p in EXAMPLES if header(p, "expect").endswith(".json")}
    assert referenced == set(docs)
    for name, doc in docs.items():
        assert json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8")) == doc, \
            f"{name} is out of date: run python examples/make_expectations.py"


def test_classifier_loss_gradient_is_y_minus_onehot():
    """Softmax's full Jacobian times ∂C/∂y = −e_r/y_r collapses to ∂C/∂z2 = y − onehot(r)."""
    path = EXAMPLES_DIR / "classifier.cg"
    doc = json.loads(run(arguments(path, extra=["--wrt", "z2"])).stdout)
    assert list(doc["gradients"]) == ["z2"]
    y = next(node["value"] for node in doc["nodes"] if node["name"] == "y")
    r = int(json.loads((EXAMPLES_DIR / header(path, "inputs")).read_text(encoding="utf-8"))["r"])
    assert_close(doc["gradients"]["z2"], np.asarray(y) - np.eye(len(y))[r], "∂C/∂z2")
