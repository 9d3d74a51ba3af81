"""--help at 80 columns: every line fits (examples too), commands in learning order with whole summaries."""
import pytest
from click.testing import CliRunner

from cgrad_cli.cli import COMMANDS, LEARNING_ORDER, cli


def help_text(*args):
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="cgrad", terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_fits_80_columns(command):
    text = help_text(*([command] if command else []))
    wide = [line for line in text.splitlines() if len(line) > 80]
    assert wide == []
    assert "FLOAT" not in text and "INTEGER" not in text  # metavars are words: N, R, A, FILE, NAME


def test_commands_in_learning_order_with_whole_summaries():
    text = help_text()
    listed = [line.split()[0] for line in text.split("Commands, in the order a course meets them:\n")[1].split(
        "\n\n")[0].splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert listed == LEARNING_ORDER and set(listed) == set(COMMANDS)
    assert "..." not in text.split("Commands,")[1]  # no summary cut short
    assert "show every node's value, local derivatives and gradient." in text


def test_check_help_says_how_scoring_works_and_who_wins():
    text = " ".join(help_text("check").split())
    assert "all or nothing" not in text
    assert "each quantity is scored on its own" in text and "rounded_credit" in text
    assert "The assignment file wins for tolerances and points" in text
    assert "the command line wins for --hide-key/--show-key and --visibility" in text
