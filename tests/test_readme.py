"""The README's tour shows real output: every `$ cgrad ...` line in a console block is run
and must print exactly what the README shows under it (stdout and stderr together), as an 80-column
terminal shows it."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def sessions():
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            yield command, output


SESSIONS = list(sessions())


def test_readme_has_a_tour():
    assert len(SESSIONS) >= 4


@pytest.mark.parametrize("command, expected", SESSIONS, ids=[c for c, _ in SESSIONS])
def test_readme_output_is_real(command, expected):
    if "| jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    # COLUMNS=80: diagnostics wrap as on the 80-column terminal README shows (piped, they stay one line each)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    done = subprocess.run(["bash", "-c", f"({command}) 2>&1"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout == expected


def test_every_function_is_in_the_function_table():
    """README's function table lists every name a program can call (a new op without an entry fails here)."""
    from cgrad_cli.core.ops import FUNCTIONS

    table = README.split("### Functions", 1)[1].split("\n### ", 1)[0]
    listed = {word for cell in re.findall(r"`([^`]*)`", table) for word in re.findall(r"[A-Za-z_]\w*(?=\(|$| )", cell)}
    assert not sorted(set(FUNCTIONS) - listed)
