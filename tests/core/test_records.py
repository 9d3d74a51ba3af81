"""core/records.py: `@record` classes are the NamedTuples they replace, and nothing in cgrad imports typing."""
import ast
from pathlib import Path

import pytest

from cgrad_cli.core.ops import OPS, Op
from cgrad_cli.core.records import record

PACKAGE = Path(__file__).resolve().parents[2] / "cgrad_cli"


@record
class Point:
    """A point with a label."""
    x: float
    y: float = 0.0
    label: str = "p"

    def norm1(self) -> float:
        return abs(self.x) + abs(self.y)


def test_a_record_has_its_fields_defaults_docstring_and_methods():
    p = Point(3.0, label="q")
    assert p == (3.0, 0.0, "q") and p._fields == ("x", "y", "label") and Point._field_defaults == {"y": 0.0,
                                                                                                  "label": "p"}
    assert Point.__doc__ == "A point with a label." and p.norm1() == 3.0 and Point.__name__ == "Point"
    moved = p._replace(y=-1.0)
    assert type(moved) is Point and moved.norm1() == 4.0
    with pytest.raises(AttributeError):
        p.z = 1  # no __dict__: a record is a tuple


def test_a_field_without_a_default_may_not_follow_one_with_a_default():
    with pytest.raises(TypeError, match="follows one with a default"):
        @record
        class Bad:
            a: int = 1
            b: int


def test_the_op_table_is_made_of_records():
    assert all(type(op) is Op for op in OPS.values()) and Op._field_defaults["precedence"] == 100


def test_no_module_of_cgrad_imports_typing():
    """typing costs ~2 ms of every start (a one-shot `cgrad eval --json` is ~35 ms): @record and
    collections.abc give what cgrad used of it."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{path.relative_to(PACKAGE)}:{node.lineno}" for name in names
                      if name and name.partition(".")[0] == "typing"]
    assert not found
