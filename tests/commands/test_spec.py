"""commands/spec.py: each command declared once; the click-free reader agrees with click or declines.

For every command, random command lines made from its own options (valid and invalid values, `=` forms),
program words, inputs, words starting with '-', `--` and the help flags are either declined by Spec.read
or read to exactly the keyword arguments click passes to the callback (ctx.params of the click.Command
built from the same Spec).
"""
from __future__ import annotations

import click
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cgrad_cli.cli import COMMANDS, cli, read
from cgrad_cli.commands import spec_of as command_spec
from cgrad_cli.commands import spec as specs

VALUES = ["1", "0", "-1", "2", "12", "3.5", "1e-3", "abc", "", "nan", "-inf", "9" * 30, " 7", "+4", "1_000",
          "a,b", "x", "-", "--", "-h", "--json", "ndjson", "csv", "dot", "html", "hidden", "[1, 2]", "a=1",
          "lam=0.05", "\0x"]
WORDS = ["e=(a+b)*(b+1)", "y = x", "-x^2", "-sinh(x)", "-fx", "-f=x", "-o", "--a", "--a=2", "--x=-1", "--b",
         "--jsno", "-x", "-", "--", "-h", "--help", "--version", "hw.toml", "x.csv", "--json=1", "--wrt=a",
         "--set=a=1", "--max-nodes=5", "--hide-key", "--show-key", "-h=1", "---x"]


def argv_of(spec):
    """Command lines for `spec`: its option strings (alone, with a value, or as --opt=value), values, words."""
    opts = sorted(spec.by_opt) + list(specs.HELP)
    token = st.one_of(
        st.sampled_from(opts),
        st.tuples(st.sampled_from(opts), st.sampled_from(VALUES)).map(lambda p: [p[0], p[1]]),
        st.tuples(st.sampled_from(opts), st.sampled_from(VALUES)).map(lambda p: [f"{p[0]}={p[1]}"]),
        st.sampled_from(WORDS),
        st.sampled_from(VALUES),
    )
    flat = lambda items: [w for item in items for w in (item if isinstance(item, list) else [item])]  # noqa: E731
    return st.lists(token, max_size=8).map(flat)


def clicks_params(name: str, argv: list) -> dict:
    """What click passes to the command's callback for `argv` (its context's params)."""
    command = cli.get_command(None, name)
    parent = click.Context(cli, info_name="cgrad", help_option_names=["-h", "--help"])
    return command.make_context(name, list(argv), parent=parent).params


def same(a: dict, b: dict) -> bool:
    """Equal keys, and values equal with their types (1 is not 1.0; nan is nan)."""
    shown = lambda d: {k: (type(v).__name__, repr(v)) for k, v in d.items()}  # noqa: E731
    return shown(a) == shown(b)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_reader_agrees_with_click_or_declines(name):
    spec = command_spec(name)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(argv_of(spec))
    def check(argv):
        kwargs = spec.read(argv)
        if kwargs is not None:
            assert same(kwargs, clicks_params(name, argv)), argv

    check()


COMMON = [
    ["eval", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "--json"],
    ["eval", "e=(a+b)*(b+1)", "--a", "2", "--b", "1"],
    ["eval", "-x^2", "--x=-3", "--wrt", "x", "--depth", "3", "--set", "json=1", "--const", "k=2"],
    ["explain", "-f", "lecture.cg", "--inputs", "in.json", "--markdown", "--max-terms", "0"],
    ["graph", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "-o", "x.html", "--format", "html", "--max-drawn", "9"],
    ["check", "hw.toml", "--answers", "alice.toml", "--show-key", "--visibility", "hidden"],
    ["gradcheck", "y = x", "--x", "1", "--eps", "1e-4", "--rtol", "0"],
    ["diff", "y = x^3", "--order", "2", "--latex"],
    ["sheet", "hw.toml", "--student", "alice", "--format", "latex", "--key"],
    ["template", "hw.toml"],
    ["grammar"],
]


@pytest.mark.parametrize("argv", COMMON, ids=[" ".join(a[:2]) for a in COMMON])
def test_common_command_lines_are_read_without_click(argv):
    spec, kwargs = read(argv)
    assert spec.name == argv[0] and same(kwargs, clicks_params(argv[0], argv[1:]))


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["-h"], ["--version"], ["evl", "y = x"], ["eval", "y = x", "--x", "1", "-h"],
    ["eval", "--", "-x^2", "--x", "1"], ["eval", "y = x", "--depth"], ["eval", "y = x", "--depth", "0"],
    ["eval", "y = x", "--depth", "deep"], ["eval", "y = x", "--json=1"], ["eval", "y = x", "-f=p.cg"],
    ["eval", "y = x", "--batch-format", "tsv"], ["template"], ["template", "a", "b"], ["grammar", "x"],
    ["sheet", "hw.toml", "--bogus"], ["gradcheck", "y = x", "--eps", "0"], ["diff", "y = x", "--order", "9"],
], ids=repr)
def test_what_needs_click_is_declined(argv):
    assert read(argv) is None


def test_shell_completion_is_declined(monkeypatch):
    monkeypatch.setenv("_CGRAD_COMPLETE", "bash_complete")
    assert read(["eval", "y = x", "--x", "1"]) is None


def test_a_spec_mirrors_clicks_names_defaults_and_order():
    spec = command_spec("eval")
    names = [p.name for p in spec.params]
    assert names == [p.name for p in cli.get_command(None, "eval").params]
    assert names[0] == "words" and names[-1] == "debug" and names[-4:-1] == ["max_nodes", "max_elements",
                                                                              "max_formula"]
    assert isinstance(spec, specs.Spec) and spec.program


@pytest.mark.parametrize("attrs", [{"required": True}, {"callback": print}, {"envvar": "X"}, {"count": True},
                                   {"nargs": 2}])
def test_an_attribute_the_reader_does_not_know_is_refused_where_it_is_declared(attrs):
    """An attribute that changes what click passes must be taught to Spec.read first, not silently ignored."""
    with pytest.raises(TypeError, match="Spec.read does not know"):
        specs.option("--x", **attrs)(lambda x: None)
