"""`cgrad graph`: the computational graph as DOT, Mermaid, SVG/PNG (through Graphviz) and one HTML page.

The lecture's graph e = (a+b)*(b+1) at a = 2, b = 1 must come out with its nodes, values (e = 6, c = 3,
d = 2), gradients (∂e/∂b = 5), local derivatives on the edges, and b drawn once with two out-edges.
Labels are escaped for each format; Graphviz is used when it is installed (those tests skip otherwise),
and its absence is a clear error (images) or a documented fallback (HTML), tested with a PATH that
holds no `dot`.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from cgrad_cli import evaluate, parse
from cgrad_cli.render import graph as rg
from cgrad_cli.render import explain as render_explain
from cgrad_cli.render import page
from cgrad_cli.symbolic.explain import explain
from cgrad_cli.cli import cli

LECTURE = "e=(a+b)*(b+1)"
NAMED = "c = a+b; d = b+1; e = c*d"
AB = ["--a", "2", "--b", "1"]
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = 'q"<b>&\\\nz'  # a quote, a tag, an ampersand, a backslash and a newline


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, prog_name="cgrad")


def run(*args, path=None, env_extra=None):
    """`python -m cgrad_cli ARGS` as a real process; `path` replaces PATH (to hide or fake `dot`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONIOENCODING"] = "utf-8"
    if path is not None:
        env["PATH"] = path
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "cgrad_cli", *args], capture_output=True, env=env, timeout=120)


def lecture(program=NAMED, **kw):
    return evaluate(parse(program), {"a": 2, "b": 1}, **kw)


# --- reading the output back ------------------------------------------------------------------------------

DOT_NODE = re.compile(r'^  "n(\d+)" \[label=<(.*)>, (.*)\];$')
DOT_EDGE = re.compile(r'^  "n(\d+)" -> "n(\d+)" \[(?:label=<(.*)>|(style=dashed.*))\];$')
DOT_TAG = re.compile(r"</?(?:B|BR|FONT)\b[^<>]*>")


def dot_graph(text: str):
    """({node: (plain label lines, attributes)}, [(from, to, plain label or None)]) from our DOT output."""
    nodes, edges = {}, []
    for line in text.splitlines():
        if m := DOT_NODE.match(line):
            lines = [html.unescape(DOT_TAG.sub("", part)) for part in m.group(2).split("<BR/>")]
            nodes[int(m.group(1))] = (lines, m.group(3))
        elif m := DOT_EDGE.match(line):
            label = None if m.group(3) is None else html.unescape(m.group(3))
            edges.append((int(m.group(1)), int(m.group(2)), label))
    return nodes, edges


MERMAID_NODE = re.compile(r'^  n(\d+)(\["|\(\[")([^"]*)("\]|"\]\)):::(\w+)$')
MERMAID_EDGE = re.compile(r'^  n(\d+) (?:-->\|"([^"]*)"\||-\.->) n(\d+)$')


def mermaid_unescape(text: str) -> str:
    text = text.replace("<br>", "\n")
    return re.sub(r"#(\w+);", lambda m: html.unescape(f"&#{m.group(1)};" if m.group(1).isdigit()
                                                         else f"&{m.group(1)};"), text)


def mermaid_graph(text: str, marked=None):
    """({node: (label lines, class)}, [(from, to, label or None)]); `marked` collects `class ... wrt` nodes."""
    nodes, edges, lines = {}, [], text.splitlines()
    assert lines[1] in ("flowchart LR", "flowchart TB")
    for line in lines[2:]:
        if m := re.fullmatch(r"  class ((?:n\d+,)*n\d+) wrt", line):
            assert marked is not None, line
            marked.extend(int(n[1:]) for n in m.group(1).split(","))
        elif m := MERMAID_NODE.match(line):
            nodes[int(m.group(1))] = (mermaid_unescape(m.group(3)).split("\n"), m.group(5))
        elif m := MERMAID_EDGE.match(line):
            edges.append((int(m.group(1)), int(m.group(3)), None if m.group(2) is None
                          else mermaid_unescape(m.group(2))))
        else:
            assert line.startswith("  classDef "), f"unexpected Mermaid line: {line!r}"
    return nodes, edges


def page_data(text: str) -> dict:
    """The data a graph page carries (the JSON in its script element)."""
    import json

    start = text.index('<script type="application/json" id="cgrad-data">') + 48
    return json.loads(text[start:text.index("</script>", start)])


def svg_text(svg: bytes | str) -> str:
    """All the text an SVG draws (parsed as XML, so entities are decoded)."""
    root = ET.fromstring(svg if isinstance(svg, bytes) else svg.encode("utf-8"))
    return "\n".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))


# --- the lecture's graph ----------------------------------------------------------------------------------

def check_lecture(nodes, edges, folded_const: int):
    by_title = {lines[0]: i for i, (lines, _) in nodes.items()}
    assert set(by_title) == {"a", "b", "c = a+b", "d = b+1", "e = c*d"}  # five nodes; the constant 1 is folded
    assert folded_const not in nodes
    a, b, c, d, e = (by_title[t] for t in ("a", "b", "c = a+b", "d = b+1", "e = c*d"))
    assert nodes[e][0][1:] == ["mul = 6", "∂e/∂e = 1"]
    assert nodes[c][0][1:] == ["add = 3", "∂e/∂c = 2"]
    assert nodes[d][0][1:] == ["add = 2", "∂e/∂d = 3"]
    assert nodes[a][0][1:] == ["input = 2", "∂e/∂a = 2"]
    assert nodes[b][0][1:] == ["input = 1", "∂e/∂b = 5"]
    assert sorted(edges) == sorted([
        (a, c, "∂c/∂a = 1"), (b, c, "∂c/∂b = 1"), (b, d, "∂d/∂b = 1"),
        (c, e, "∂e/∂c = d = 2"), (d, e, "∂e/∂d = c = 3"),
    ])
    assert [src for src, _, _ in edges].count(b) == 2  # the shared node: drawn once, two out-edges


def normalise(lines):
    """DOT puts the op in its own font: 'add  = 3' there is 'add = 3' in Mermaid; compare them alike."""
    return [" ".join(line.split()) for line in lines]


def test_dot_lecture():
    text = rg.dot(lecture())
    nodes, edges = dot_graph(text)
    nodes = {i: (normalise(lines), attrs) for i, (lines, attrs) in nodes.items()}
    check_lecture(nodes, edges, folded_const=3)
    assert text.startswith("// cgrad graph") and '\ndigraph "cgrad" {\n' in text and text.endswith("}\n")
    assert "rankdir=LR" in text
    assert 'fillcolor="#fff3c4"' in nodes[5][1]  # the output stands out
    assert "shape=ellipse" in nodes[0][1] and "shape=ellipse" in nodes[1][1]  # inputs


def test_dot_unnamed_lecture_uses_source_text():
    ev = lecture(LECTURE)
    nodes, edges = dot_graph(rg.dot(ev))
    titles = sorted(lines[0] for lines, _ in nodes.values())
    assert titles == ["a", "a+b", "b", "b+1", "e = (a+b)*(b+1)"]
    assert any(lines[-1] == "∂e/∂b = 5" for lines, _ in nodes.values())
    labels = sorted(label for _, _, label in edges)
    assert labels == ["∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1", "∂(b+1)/∂b = 1", "∂e/∂(a+b) = b+1 = 2",
                      "∂e/∂(b+1) = a+b = 3"]
    # longer source text is not written out in ∂ notation: the edge shows the rule and its value
    ev = evaluate(parse("y = (a*b + a*a)*(b + 1)"), {"a": 2, "b": 1})
    assert sorted(label for _, _, label in dot_graph(rg.dot(ev))[1]) == [
        "1", "1", "b + 1 = 2", "∂(a*a)/∂a = a = 2", "∂(a*a)/∂a = a = 2", "∂(a*b)/∂a = b = 1",
        "∂(a*b)/∂b = a = 2", "∂(b + 1)/∂b = 1", "∂y/∂(b + 1) = a*b + a*a = 6"]


def test_mermaid_lecture():
    text = rg.mermaid(lecture())
    nodes, edges = mermaid_graph(text)
    check_lecture(nodes, edges, folded_const=3)
    assert {i: k for i, (_, k) in nodes.items()} == {0: "input", 1: "input", 2: "op", 4: "op", 5: "output"}
    assert '  n0(["a<br>input = 2<br>∂e/∂a = 2"]):::input' in text.splitlines()


# --- the command ------------------------------------------------------------------------------------------

def test_command_prints_dot_by_default():
    result = invoke("graph", NAMED, *AB)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == rg.dot(lecture())


def test_command_formats_and_files(tmp_path):
    result = invoke("graph", LECTURE, *AB, "--format", "mermaid")
    assert result.exit_code == 0 and result.stdout == rg.mermaid(lecture(LECTURE))
    for name, expected in [("g.dot", rg.dot), ("g.gv", rg.dot), ("g.txt", rg.dot), ("g.mmd", rg.mermaid)]:
        out = tmp_path / name
        result = invoke("graph", LECTURE, *AB, "-o", str(out))
        assert result.exit_code == 0 and result.stdout == "", result.stderr
        assert out.read_bytes() == expected(lecture(LECTURE)).encode("utf-8")
    out = tmp_path / "forced.html"
    assert invoke("graph", LECTURE, *AB, "--format", "mermaid", "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("%% cgrad graph")


def test_command_output_and_wrt():
    result = invoke("graph", NAMED, *AB, "--output", "c", "--wrt", "b,c,d", "--format", "mermaid")
    assert result.exit_code == 0, result.stderr
    marked = []
    nodes, edges = mermaid_graph(result.stdout, marked)
    assert {lines[0]: k for lines, k in nodes.values()} == {"a": "input", "b": "input", "c = a+b": "output"}
    assert marked == [1, 2]  # b and c; d is not in c's subgraph, so not drawn
    assert sorted(label for _, _, label in edges) == ["∂c/∂a = 1", "∂c/∂b = 1"]
    nodes, _ = dot_graph(invoke("graph", NAMED, *AB, "--wrt", "b,d").stdout)
    assert [i for i, (_, attrs) in nodes.items() if 'color="#c62828", penwidth=2.5' in attrs] == [1, 4]
    assert "shape=ellipse" in nodes[1][1] and "shape=ellipse" not in nodes[4][1]  # b stays an input
    doc = page_data(invoke("graph", NAMED, *AB, "--wrt", "b", "--format", "html", env={"PATH": ""}).stdout)
    assert [doc["nodes"][i]["name"] for i in doc["inputs"]] == ["b"]  # --wrt: only b's paths to pick
    assert [n["name"] for n in doc["nodes"] if n["wrt"]] == ["b"]


@pytest.mark.parametrize("args, fragment", [
    (["--wrt", "zz"], "--wrt: the program has no name 'zz'"),
    (["--output", "zz"], "output: the program has no name 'zz'"),
    (["--format", "mermaid", "-o", "g.svg"], "--format mermaid does not apply"),
    (["--format", "pdf"], "Invalid value for '--format'"),
    (["-o", os.path.join("no", "such", "dir", "g.dot")], "cannot write"),
])
def test_command_errors(args, fragment):
    result = invoke("graph", NAMED, *AB, *args)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_command_help_has_an_example():
    result = invoke("graph", "--help")
    assert result.exit_code == 0
    assert 'cgrad graph "e=(a+b)*(b+1)" --a 2 --b 1 -o lecture.png' in result.stdout
    for option in ("--format [dot|mermaid|html]", "-o, --out FILE", "--wrt", "--output", "Exit codes:"):
        assert option in result.stdout
    assert "graph" in invoke("--help").stdout


def test_kink_warning_goes_to_stderr():
    result = invoke("graph", "y = relu(x)", "--x", "0")
    assert result.exit_code == 0 and result.stderr.startswith("warning: ")
    assert result.stdout.startswith("// cgrad graph")


# --- sharing, constants ----------------------------------------------------------------------------------

def test_a_node_used_twice_by_one_op_has_two_edges():
    ev = evaluate(parse("y = x*x"), {"x": 3})
    nodes, edges = dot_graph(rg.dot(ev))
    assert len(nodes) == 2
    assert edges == [(0, 1, "∂y/∂x = x = 3"), (0, 1, "∂y/∂x = x = 3")]  # 3 + 3 = ∂y/∂x = 6
    assert nodes[0][0][-1] == "∂y/∂x = 6"


def test_constants_folded_or_drawn_small():
    ev = evaluate(parse("k = 3; y = k*x + 2*3 + pi"), {"x": 0.5})
    nodes, edges = dot_graph(rg.dot(ev))
    titles = {lines[0]: (i, attrs) for i, (lines, attrs) in nodes.items()}
    # unnamed literals (2, 3, pi) are folded into the labels that show them; k and 2*3 are drawn small
    assert set(titles) == {"k = 3", "x", "k*x", "2*3", "k*x + 2*3", "y = k*x + 2*3 + pi"}
    for title in ("k = 3", "2*3"):
        i, attrs = titles[title]
        assert "fontsize=10" in attrs and len(nodes[i][0]) == 2  # no gradient line for a constant
    dashed = {(a, b) for a, b, label in edges if label is None}
    assert dashed == {(titles["k = 3"][0], titles["k*x"][0]), (titles["2*3"][0], titles["k*x + 2*3"][0])}
    m_nodes, m_edges = mermaid_graph(rg.mermaid(ev))
    assert sorted(k for _, k in m_nodes.values()).count("const") == 2
    assert sum(label is None for _, _, label in m_edges) == 2


def test_constant_output_is_drawn():
    ev = evaluate(parse("y = 2"), {})
    nodes, edges = dot_graph(rg.dot(ev))
    assert [lines[0] for lines, _ in nodes.values()] == ["y = 2"] and edges == []


def test_rule_text_parenthesises_source_text():
    """∂((y - t)^2)/∂(y - t) is 2*(y - t), not 2*y - t."""
    ev = evaluate(parse("L = (y - t)^2 + 2/(y-t)"), {"y": 0.5, "t": 1})
    labels = [label for _, _, label in dot_graph(rg.dot(ev))[1]]
    assert "2*(y - t) = -1" in labels
    assert "∂(2/(y-t))/∂(y-t) = -(2/(y-t))/(y-t) = -8" in labels


# --- escaping ---------------------------------------------------------------------------------------------

def test_dot_quote():
    assert rg.dot_quote('say "hi"') == r'"say \"hi\""'
    assert rg.dot_quote("a\\b") == r'"a\\b"'
    assert rg.dot_quote("a\\") == r'"a\\"'  # a trailing backslash cannot escape the closing quote
    assert rg.dot_quote("one\ntwo") == r'"one\ntwo"' and "\n" not in rg.dot_quote("one\r\ntwo")
    assert rg.dot_quote("<b>&amp;") == '"<b>&amp;"'  # quoted: not an HTML string
    assert rg.dot_quote("\\N\\G") == r'"\\N\\G"'  # not the node's or the graph's name
    assert rg.dot_quote("θ ŷ 名前") == '"θ ŷ 名前"'
    assert rg.dot_quote("bell\x07") == '"bell\ufffd"'


def test_dot_html():
    assert rg.dot_html('"<b>&\\') == "&quot;&lt;b&gt;&amp;\\"
    assert rg.dot_html("one\ntwo") == "one<BR/>two"
    assert rg.dot_html("θ'") == "θ&#x27;"
    assert rg.dot_html("nul\x00") == "nul\ufffd"  # not allowed in XML


def test_mermaid_text():
    assert rg.mermaid_text('"<b>&\\') == "#quot;#lt;b#gt;#amp;#92;"
    assert rg.mermaid_text("one\ntwo") == "one<br>two"
    assert rg.mermaid_text("#quot;") == "#35;quot;"  # a # in the text never reads as an entity code
    assert rg.mermaid_text("a|b`c%%{init}") == "a#124;b#96;c#37;#37;{init}"
    assert rg.mermaid_text("θ (x) [y]") == "θ (x) [y]"  # inside quotes, brackets and Unicode are fine
    assert mermaid_unescape(rg.mermaid_text(HOSTILE)) == HOSTILE


def test_html_text():
    assert rg.html_text('"<b>&\\') == "&quot;&lt;b&gt;&amp;\\"
    assert rg.html_text("it's θ") == "it&#x27;s θ"
    assert html.unescape(rg.html_text(HOSTILE)) == HOSTILE


UNICODE = "θ = w*x; ŷ = sigmoid(θ - -b^2); 名前 = (ŷ - t)^2/(1 + ŷ)"
UNICODE_INPUTS = {"w": 0.5, "x": 2, "b": 1, "t": 1}


def hostile_evaluation():
    """The lecture with the node c renamed to text that breaks every format if left unescaped.

    Program names are identifiers, so this cannot come from a program today; it is how a label with
    quotes, tags, ampersands, backslashes and newlines would reach the renderers.
    """
    ev = lecture()
    ev.graph.names[2] = HOSTILE
    return ev


def test_unicode_names_and_source_text_in_every_format():
    ev = evaluate(parse(UNICODE), UNICODE_INPUTS)
    nodes, edges = dot_graph(rg.dot(ev))
    titles = {lines[0] for lines, _ in nodes.values()}
    assert {"θ = w*x", "ŷ = sigmoid(θ - -b^2)", "名前 = (ŷ - t)^2/(1 + ŷ)", "θ - -b^2", "(ŷ - t)^2"} <= titles
    m_nodes, m_edges = mermaid_graph(rg.mermaid(ev))  # every line parses back: labels stay inside quotes
    assert {lines[0] for lines, _ in m_nodes.values()} == titles
    assert sorted(map(str, m_edges)) == sorted(map(str, edges))
    doc = page_data(page.page(ev))
    assert {n["name"] + n["rest"] for n in doc["nodes"]} == titles


def test_hostile_label_in_html():
    text = page.page(hostile_evaluation())
    assert HOSTILE not in text and "<b>" not in text.split('id="cgrad-data"')[1]  # no tag escapes the data
    assert page_data(text)["nodes"][2]["name"] == HOSTILE


def test_hostile_label_in_dot():
    text = rg.dot(hostile_evaluation())
    lines = text.splitlines()  # one statement a line: none is broken across lines
    assert lines[0].startswith("// ") and lines[1] == 'digraph "cgrad" {' and lines[-1] == "}"
    assert all(line.startswith("  ") and line.endswith(("];", "}")) for line in lines[2:-1]), text
    nodes, edges = dot_graph(text)
    assert nodes[2][0][:2] == ["q\"<b>&\\", "z = a+b"]  # the newline is a line break of the label
    assert 'tooltip="a+b"' in nodes[2][1]
    assert ("q&quot;&lt;b&gt;&amp;\\<BR/>z" in text) and HOSTILE not in text


def test_hostile_label_in_mermaid():
    text = rg.mermaid(hostile_evaluation())
    nodes, _ = mermaid_graph(text)  # every line still parses: no quote or newline escaped the label
    assert nodes[2][0][:2] == ['q"<b>&\\', "z = a+b"]
    assert "#quot;#lt;b#gt;#amp;#92;<br>z" in text and "<b>" not in text


@needs_dot
def test_hostile_label_survives_graphviz():
    svg = subprocess.run([DOT, "-Tsvg"], input=rg.dot(hostile_evaluation()).encode("utf-8"),
                         capture_output=True, check=True).stdout
    text = svg_text(svg)
    assert 'q"<b>&\\' in text and "∂e/∂b = 5" in text


@needs_dot
def test_unicode_survives_graphviz():
    ev = evaluate(parse(UNICODE), UNICODE_INPUTS)
    svg = subprocess.run([DOT, "-Tsvg"], input=rg.dot(ev).encode("utf-8"), capture_output=True, check=True)
    assert "名前" in svg_text(svg.stdout) and "sigmoid(θ - -b^2)" in svg_text(svg.stdout)


# --- Graphviz: images, and its absence ---------------------------------------------------------------------

@needs_dot
def test_svg_and_png(tmp_path):
    svg, png = tmp_path / "lecture.svg", tmp_path / "lecture.png"
    for out in (svg, png):
        result = invoke("graph", NAMED, *AB, "-o", str(out))
        assert result.exit_code == 0 and result.stdout == "" and result.stderr == "", result.stderr
    text = svg_text(svg.read_bytes())
    for label in ("a", "b", "c", "= a+b", "∂e/∂b = 5", "∂e/∂c = d = 2", "∂e/∂d = c = 3", "∂d/∂b = 1"):
        assert label in text, label
    assert png.read_bytes().startswith(PNG_SIGNATURE)


@pytest.fixture
def no_dot_path(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return str(empty)


def test_image_without_graphviz_says_what_to_install(tmp_path, no_dot_path):
    for name in ("g.png", "g.svg"):
        out = tmp_path / name
        proc = run("graph", LECTURE, *AB, "-o", str(out), path=no_dot_path)
        stderr = proc.stderr.decode("utf-8")
        assert proc.returncode == 2 and proc.stdout == b"", stderr
        assert "Traceback" not in stderr
        for fragment in ("needs Graphviz's dot", "apt-get install graphviz", "brew install graphviz",
                         "--format dot"):
            assert fragment in stderr, stderr
        assert not out.exists()


def test_dot_and_mermaid_need_no_graphviz(no_dot_path):
    for fmt, render in (("dot", rg.dot), ("mermaid", rg.mermaid)):
        proc = run("graph", NAMED, *AB, "--format", fmt, path=no_dot_path)
        assert proc.returncode == 0 and proc.stderr == b""
        assert proc.stdout == render(lecture()).encode("utf-8")


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for dot")
def test_graphviz_failure_is_reported(tmp_path):
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    script = fake / "dot"
    script.write_text("#!/bin/sh\necho 'Error: <stdin>: syntax error in line 1' >&2\nexit 1\n")
    script.chmod(0o755)
    out = tmp_path / "g.png"
    proc = run("graph", LECTURE, *AB, "-o", str(out), path=str(fake))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and "Traceback" not in stderr
    assert "Graphviz's dot could not draw PNG: Error: <stdin>: syntax error in line 1" in stderr
    assert not out.exists()


# --- determinism and size ---------------------------------------------------------------------------------

def test_same_input_same_bytes(no_dot_path):
    for fmt in ("dot", "mermaid", "html"):
        runs = {run("graph", UNICODE, *(f"--{k}={v}" for k, v in UNICODE_INPUTS.items()), "--format", fmt,
                    path=no_dot_path, env_extra={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
        assert len(runs) == 1, fmt
    ev = evaluate(parse(UNICODE), UNICODE_INPUTS)
    assert rg.dot(ev) == rg.dot(evaluate(parse(UNICODE), UNICODE_INPUTS))


@needs_dot
def test_same_svg_twice(tmp_path):
    outs = [tmp_path / "1.svg", tmp_path / "2.svg"]
    for out in outs:
        assert invoke("graph", NAMED, *AB, "-o", str(out)).exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_100_000_deep_graph_without_recursion():
    n = 100_000
    ev = evaluate(parse("y = " + "sin(" * n + "x" + ")" * n), {"x": 0.5})
    text = rg.dot(ev)
    assert text.count(" -> ") == n and text.count(" [label=<") == n + 1 + n  # nodes, then labelled edges
    assert rg.mermaid(ev).count(" -->|") == n
    doc = page.data(ev)
    assert len(doc["nodes"]) == n + 1 and len(doc["backward"]) == n
    assert doc["nodes"][0]["working"]["note"].startswith("1 path with 100000 factors")  # not written out


# --------------------------------------------------------------------------- tensors

CLASSIFIER = "z = W @ x; y = softmax(z); C = -log(y[r])"
CLASSIFIER_AT = {"W": [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], "x": [1.0, -1.0, 0.0], "r": 0}


def test_edges_into_tensor_ops_name_their_jacobian_by_shape():
    ev = evaluate(parse(CLASSIFIER), CLASSIFIER_AT)
    labels = {(ev.graph.label(a), ev.graph.label(i)): text for a, i, text in rg.edges(ev, range(len(ev.graph)))}
    assert labels[("W", "z")] == "∂z/∂W: a 2×2×3 Jacobian"  # the lecture's 3-D ∂z/∂W
    assert labels[("x", "z")] == "∂z/∂x: a 2×3 Jacobian"  # = W
    assert labels[("z", "y")] == "∂y/∂z: a 2×2 Jacobian"  # softmax's is full
    assert labels[("y", "y[r]")] == "∂(y[r])/∂y: a gradient, 2-vector"
    assert labels[("r", "y[r]")] is None  # an index has no derivative: a dashed edge


def test_tensor_program_draws_in_every_format():
    point = [w for name, value in CLASSIFIER_AT.items() for w in (f"--{name}", str(value))]
    for fmt in ("dot", "mermaid", "html"):
        result = CliRunner().invoke(cli, ["graph", CLASSIFIER, *point, "--format", fmt])
        assert result.exit_code == 0, result.output
        assert "2×2×3 Jacobian" in result.stdout
        assert "[[1, 2, 3], [3, 4, 5]]" not in result.stdout  # a node shows a matrix by its shape
    doc = page_data(CliRunner().invoke(cli, ["graph", CLASSIFIER, *point, "--format", "html"]).stdout)
    w = next(n for n in doc["nodes"] if n["name"] == "W")
    assert w["value"] == "input: 2×3" and w["grad"] == "∂C/∂W: 2×3"
    assert w["full"] == {"shape": "2×3", "columns": ["0", "1", "2"], "rows": [["0", "1", "2", "3"], ["1", "3", "4", "5"]],
                         "cut": False}  # the panel's grid


# --- the explorable page's data (the browser tests, test_page_browser.py, read what it shows) --------------

def test_page_data_lecture():
    doc = page.data(lecture())
    names = [n["name"] for n in doc["nodes"]]
    assert names == ["a", "b", "c", "d", "e"]
    b = doc["nodes"][1]
    assert b["parts"] == ["2", "3"] and b["gradName"] == "∂e/∂b" and b["gradValue"] == "5"
    assert b["shares"] == ["∂e/∂c·∂c/∂b = ∂e/∂c·1 = 2·1 = 2", "∂e/∂d·∂d/∂b = ∂e/∂d·1 = 3·1 = 3"]
    said = render_explain.plain(explain(lecture(), wrt=["b"])).splitlines()[2]
    assert b["working"]["equation"] == said  # what cgrad explain says
    assert [p["path"] for p in b["working"]["paths"]] == ["e → c → b", "e → d → b"]
    edges = [(names[e["from"]], names[e["to"]]) for e in doc["edges"]]
    # the backward pass goes down the left branch first, so b's shares come as the lecture writes them
    assert [edges[k] for k in doc["backward"]] == [("c", "e"), ("d", "e"), ("a", "c"), ("b", "c"), ("b", "d")]
    assert [names[i] for i in doc["inputs"]] == ["a", "b"]
    assert doc["result"] == "e = 6" and doc["at"] == "a = 2, b = 1"


def test_page_is_self_contained():
    text = page.page(lecture())
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    for fetching in ("src=", "href=", "<link", "fetch(", "XMLHttpRequest", "import(", "url(http"):
        assert fetching not in text, fetching
    assert "http" not in text.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace names, loads nothing


def test_grid_cuts_a_big_array():
    import numpy as np

    g = page.grid(np.arange(200.0).reshape(2, 10, 10))
    assert g["shape"] == "2×10×10" and g["cut"] and len(g["rows"]) == 8 and len(g["columns"]) == 8
    assert g["rows"][1][:3] == ["0,1", "10", "11"]  # rows labelled by their leading indices
    assert page.grid(np.float64(2.5)) == "2.5"


@needs_dot
def test_classifier_png_fits_2000_px(tmp_path):
    import struct

    examples = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    out = tmp_path / "classifier.png"
    result = invoke("graph", "-f", os.path.join(examples, "classifier.cg"), "--inputs",
                    os.path.join(examples, "classifier.inputs.json"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    width, height = struct.unpack(">II", out.read_bytes()[16:24])
    assert width <= 2000, (width, height)  # shapes in the nodes, and a deep graph drawn top to bottom


def test_deep_graph_is_drawn_top_to_bottom():
    assert "rankdir=LR" in rg.dot(lecture())
    deep = evaluate(parse("y = " + "sin(" * 8 + "x" + ")" * 8), {"x": 0.5})
    assert "rankdir=TB" in rg.dot(deep) and rg.mermaid(deep).splitlines()[1] == "flowchart TB"
