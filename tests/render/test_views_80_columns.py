"""Every command's typical output fits 80 columns by itself (piped, the console does not wrap): the
classifier's diff, gradcheck and hessian, a class run, a 12-input Hessian; no number or name is cut."""
import re

import pytest
from click.testing import CliRunner

from cgrad_cli.cli import cli
from cgrad_cli.render.width import columns, fold

CUT = re.compile(r"\d…|…\d|-…")
NET = ["-f", "examples/classifier.cg", "--inputs", "examples/classifier.inputs.json"]
RNN = ["-f", "examples/rnn.cg", "--inputs", "examples/rnn.inputs.json"]  # a deep tree, shared arrays
X12 = "[-1.1, -2.2, -3.3, -4.4, -5.5, -6.6, -7.7, -8.8, -9.9, -10.1, -11.1, -12.1]"


def output(*args) -> str:
    result = CliRunner().invoke(cli, list(args), prog_name="cgrad")
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.mark.parametrize("args", [
    ["diff", *NET], ["gradcheck", *NET], ["hessian", "y = sum(x*x*x*0.1234567)", "--x", X12],
    ["check", "examples/hw1.toml", "--answers", "examples/class/"], ["jacobian", *NET, "--output", "y"],
    ["trace", *NET], ["eval", *NET], ["explain", *NET], ["eval", *RNN, "--depth", "20"], ["explain", *RNN],
], ids=lambda a: " ".join(a[:3]))
def test_view_fits_80_columns(args):
    lines = output(*args).splitlines()
    assert [line for line in lines if len(line) > 80] == []
    assert [line for line in lines if CUT.search(line)] == []


def test_a_row_with_wide_characters_folds_by_the_columns_a_terminal_shows():
    """A CJK name takes two columns a character: the tree folds its rows by what the terminal shows, so
    no line is over 80 columns and no `grad` is left at a line's end with its value wrapped below."""
    x, y = "输入" * 12, "变量" * 13
    out = output("eval", f"{y} = {x}*{x} + 1.23456789e-5", "--set", f"{x}=3.14159265")
    lines = out[:out.index("\n\n")].splitlines()  # the tree (the table under it is Rich's, fitted on a terminal)
    assert [line for line in lines if columns(line) > 80] == []
    assert [line for line in lines if line.rstrip().endswith(("grad", "edge", "="))] == []
    assert sum(bool(re.fullmatch(r"[│ ]*grad 6\.28319", line)) for line in lines) == 2  # each use's, on its own line


def test_a_deep_tree_row_folds_under_its_node():
    lines = output("eval", *RNN, "--depth", "20").splitlines()
    k = next(k for k, line in enumerate(lines) if line.endswith("edge ∂(Wx @ x)/∂(xs[0]): Wx"))
    assert lines[k + 1].endswith("    (the matrix itself)")
    assert lines[k + 1].index("(the") == lines[k].index("edge") + 4


def test_diff_breaks_a_long_formula_between_terms_and_its_value_between_rows():
    lines = output("diff", *NET).splitlines()
    k = lines.index("  = [[0.135988, 0.0679938, -0.135988, 0.271975],")
    assert lines[k + 1] == "      [-0.0834366, -0.0417183, 0.0834366, -0.166873],"
    formula = " ".join(line.strip() for line in lines[:k])
    assert formula == ("∂C/∂W1 = outer(sigmoid(b1 + W1 @ x)*(W2.T @ (softmax(b2 + W2 @ sigmoid(b1 + W1 @ x)) - "
                       "onehot(r, 3)))*(1 - sigmoid(b1 + W1 @ x)), x)")


def test_a_symbol_is_never_broken_even_when_the_line_overflows():
    line = "∂e/∂(" + " + ".join(f"a{k}" for k in range(40)) + ") = 1"
    text = fold([(line, None)])[0][0]
    assert "∂e/∂(" + " + ".join(f"a{k}" for k in range(40)) + ")" in text  # one unbreakable symbol


def test_the_hessian_of_12_inputs_goes_on_in_a_second_grid():
    lines = output("hessian", "y = sum(x*x*x*0.1234567)", "--x", X12).splitlines()
    assert lines[:2] == ["∂²y/∂row∂column at x = [-1.1, -2.2, -3.3, -4.4, -5.5, -6.6, -7.7, -8.8, -9.9,",
                         "    -10.1, -11.1, -12.1]"]
    assert sum(line.startswith("∂x[0] ") for line in lines) == 2  # each grid labels its rows
    columns = [word for line in lines if line.startswith(" ") and "∂x[" in line for word in line.split()]
    assert columns == [f"∂x[{k}]" for k in range(12)]  # every column once, in order
    diagonal = [float(x) for line in lines if line.startswith("∂x[") for x in line.split()[1:] if x != "0"]
    assert diagonal == pytest.approx([6 * 0.1234567 * float(x) for x in X12.strip("[]").split(",")], rel=1e-5)


def test_the_class_table_folds_its_list_between_items():
    lines = output("check", "examples/hw1.toml", "--answers", "examples/class/").splitlines()
    k = next(k for k, line in enumerate(lines) if line.startswith("student11"))
    assert lines[k].rstrip().endswith("sharing: y,")
    assert lines[k + 1].strip() == "sharing: ∂y/∂x"


def test_the_answer_template_keeps_its_comments_within_80_columns_and_reads_back():
    import tomllib

    text = output("template", "examples/hw1.toml")
    assert all(len(line) <= 80 for line in text.splitlines())
    assert all(line.startswith("#") or not line or "=" in line or line.startswith("[") for line in text.splitlines())
    doc = tomllib.loads(text)
    assert doc["lecture"]["de/db"] == ""
