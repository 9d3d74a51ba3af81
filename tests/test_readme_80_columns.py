"""README's tour in a real 80-column terminal: every `$ cgrad ...` view is run in a pseudo-terminal
80 columns wide (as `script -qec "stty cols 80; CMD"` would) and must show exactly the lines the README
shows: none over 80 columns, nothing wrapped, no number cut short (`-0.0…`).  Data formats (--json,
--latex, --markdown, anything piped into another program) are for programs, not terminals, and are
left to test_readme.py; so is a JSON Lines record on a terminal (`--batch`'s results), which is never
wrapped, while the summary under it is."""
import os
import pty
import re
import select
import struct
import subprocess
import sys
import fcntl
import json
import termios

import pytest

from test_readme import SESSIONS, ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CUT_NUMBER = re.compile(r"\d…|…\d|-…")
DATA = ("--json", "--latex", "--markdown", "|", ">")
VIEWS = [(c, out) for c, out in SESSIONS if not any(flag in c for flag in DATA)]

# Views that do not fit yet, each with why: strict, so a view that comes to fit must leave this list.
NOT_YET: dict = {}  # every view of the tour fits now


def _marks(command: str) -> list:
    why = next((why for start, why in NOT_YET.items() if start in command), None)
    return [pytest.mark.xfail(reason="does not fit 80 columns yet: " + why, strict=True)] if why else []


CASES = [pytest.param(c, out, id=c, marks=_marks(c)) for c, out in VIEWS]


def in_terminal(command: str, columns: int = 80) -> str:
    """What `command` shows in a pseudo-terminal `columns` wide (colour off: NO_COLOR)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns), "TERM": "xterm",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    env.pop("LINES", None)
    proc = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the command has finished
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(master)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")


def is_record(line: str) -> bool:
    """A JSON Lines record (data, whole on one line), not a line of a view."""
    try:
        return line.startswith("{") and isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_the_tour_has_views():
    assert len(VIEWS) >= 10


@pytest.mark.parametrize("command, expected", CASES)
def test_view_fits_80_columns(command, expected):
    shown = in_terminal(command)
    wide = [line for line in shown.splitlines() if len(line) > 80 and not is_record(line)]
    assert wide == [], "lines over 80 columns"
    cut = [line for line in shown.splitlines() if CUT_NUMBER.search(line)]
    assert cut == [], "a number cut short"
    assert shown == expected, "the terminal shows other lines than README (something wrapped)"
