"""commands/_help.py: the stored --help text is what click renders now, and `cgrad --help` prints it
without click on a terminal of 80 columns or more (or in a pipe); a narrower one gets click's own."""
import os
import subprocess
import sys

import pytest
from cgrad_cli.cli import COMMANDS
from cgrad_cli.commands import _build_help
from cgrad_cli.commands._help import COLUMNS, TEXT

CGRAD = os.path.join(os.path.dirname(sys.executable), "cgrad")


def test_the_stored_help_is_what_click_renders_now():
    assert list(TEXT) == ["", *COMMANDS]
    fresh = _build_help.render()
    stale = [name or "cgrad" for name in TEXT if TEXT[name] != fresh[name]]
    assert not stale, f"the stored --help of {', '.join(stale)} is not click's: regenerate it with " \
                      "`python -m cgrad_cli.commands._build_help`"


def cgrad(*args, columns=None, by_click=False):
    """`cgrad ARGS` as a real process (by_click: the click group's own rendering, as before commands/_help.py)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    command = [sys.executable, "-c", "from cgrad_cli.commands.click_commands import cli; cli(prog_name='cgrad')"] \
        if by_click else [CGRAD]
    result = subprocess.run([*command, *args], capture_output=True, text=True, encoding="utf-8", env=env,
                            timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout


@pytest.mark.skipif(not os.path.exists(CGRAD), reason="console script not installed")
@pytest.mark.parametrize("name", ["", "eval", "check"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_a_pipe_or_a_wide_terminal_gets_the_stored_text(name, flag):
    args = [name, flag] if name else [flag]
    assert cgrad(*args) == cgrad(*args, columns=200) == cgrad(*args, columns=COLUMNS) == TEXT[name] \
        == cgrad(*args, by_click=True)


@pytest.mark.skipif(not os.path.exists(CGRAD), reason="console script not installed")
@pytest.mark.parametrize("columns", [60, 79])
def test_a_narrower_terminal_gets_clicks_help_at_its_width(columns):
    text = cgrad("eval", "--help", columns=columns)
    assert text == cgrad("eval", "--help", columns=columns, by_click=True) != TEXT["eval"]
