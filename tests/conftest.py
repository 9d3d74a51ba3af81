"""What every test's child process sees."""
import os

import pytest


@pytest.fixture(autouse=True)
def _no_inherited_columns():
    """GNU readline, once imported (pytest's debugger imports it), exports the terminal's COLUMNS and LINES
    to child processes, and cgrad wraps diagnostics at COLUMNS even in a pipe: a test's `cgrad` process sees
    COLUMNS only when the test gives it (as test_readme does)."""
    for name in ("COLUMNS", "LINES"):
        if name not in os.environ:
            os.unsetenv(name)
    yield
