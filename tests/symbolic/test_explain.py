"""`cgrad explain`: the chain rule written out path by path (cgrad_cli/symbolic/explain.py), its renderers
(cgrad_cli/render/explain.py) and the command (cgrad_cli/commands/explain.py)."""
from __future__ import annotations

import json
import math
import random
import re
import time

import pytest
from click.testing import CliRunner

from cgrad_cli import CgradError, evaluate, parse
from cgrad_cli.render import explain as render
from cgrad_cli.render.width import fold
from cgrad_cli.cli import cli
from cgrad_cli.symbolic.explain import FLOAT_LIMIT, Labels, count_text, explain
from cgrad_cli.core.graph import Graph
from cgrad_cli.core.ops import OPS
from cgrad_cli.core.show import number
from cgrad_cli.symbolic.latex import LatexNames, latex_name
from cgrad_cli.symbolic.notation import LATEX
from cgrad_cli.symbolic.text import SYMBOLIC, Sym, namespace

LECTURE = "c = a+b; d = b+1; e = c*d"


def folded(line: str) -> str:
    """A line as the text view prints it at 80 columns (render.width.fold, the one folding rule)."""
    return "".join(text for text, _ in fold([(line, "")]))


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, prog_name="cgrad")


def ex_of(src, wrt=None, max_terms=64, output=None, **inputs):
    return explain(evaluate(parse(src), inputs, output=output, wrt=wrt), wrt, max_terms)


def target(ex, name):
    return next(t for t in ex.targets if t.name == name)


def formulas(term):
    """Each local derivative's formula as text (a constant one as its number)."""
    return [f.formula.text if isinstance(f.formula, Sym) else number(f.value) for f in term.factors]


# --- the lecture, term by term ---------------------------------------------------------------------------

def test_lecture_db_has_the_lectures_two_terms():
    ex = ex_of(LECTURE, a=2, b=1)
    g = ex.ev.graph
    b = target(ex, "b")
    assert b.count == 2 and not b.factored and b.gradient == 5.0
    first, second = b.terms
    assert [g.label(i) for i in first.nodes] == ["e", "c", "b"]
    assert [g.label(i) for i in second.nodes] == ["e", "d", "b"]
    assert formulas(first) == ["d", "1"] and [f.value for f in first.factors] == [2.0, 1.0]
    assert formulas(second) == ["c", "1"] and [f.value for f in second.factors] == [3.0, 1.0]
    assert (first.product, second.product) == (2.0, 3.0)
    assert first.product + second.product == 5.0 == ex.ev.gradients()["b"]


def test_lecture_da_is_one_term():
    a = target(ex_of(LECTURE, a=2, b=1), "a")
    assert a.count == 1 and len(a.terms) == 1
    assert formulas(a.terms[0]) == ["d", "1"] and a.terms[0].product == 2.0 == a.gradient


def test_lecture_text_output():
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "e = 6 at a = 2, b = 1\n"
        "\n"
        "∂e/∂a = ∂e/∂c·∂c/∂a = d·1 = 2·1 = 2\n"
        "\n"
        "∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5\n"
        "  path 1  e → c → b   d·1 = 2·1 = 2\n"
        "  path 2  e → d → b   c·1 = 3·1 = 3\n")
    assert result.stderr == ""


def test_lecture_unnamed_intermediates_are_called_by_their_text():
    result = invoke("explain", "e=(a+b)*(b+1)", "--a", "2", "--b", "1", "--wrt", "b")
    assert result.exit_code == 0, result.stderr
    assert ("∂e/∂b = ∂e/∂(a+b)·∂(a+b)/∂b + ∂e/∂(b+1)·∂(b+1)/∂b = (b+1)·1 + (a+b)·1 = 2·1 + 3·1 = 5"
            in " ".join(result.stdout.split()))  # folded at 80 columns, between terms
    assert max(map(len, result.stdout.splitlines())) <= 80


def test_lecture_markdown():
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", "--markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == """\
`e = 6` at `a = 2`, `b = 1`

### ∂e/∂a

`∂e/∂a = ∂e/∂c·∂c/∂a = d·1 = 2·1 = 2`

### ∂e/∂b

`∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5`

| path | along | local derivatives | values | product |
|---:|---|---|---|---:|
| 1 | `e → c → b` | `∂e/∂c·∂c/∂b = d·1` | `2·1` | 2 |
| 2 | `e → d → b` | `∂e/∂d·∂d/∂b = c·1` | `3·1` | 3 |
| | | | sum | **5** |
"""


def test_lecture_latex():
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", "--latex")
    assert result.exit_code == 0, result.stderr
    tex = result.stdout
    assert "\\begin{align*}" in tex and tex.rstrip().endswith("\\end{align*}")
    assert "\\frac{\\partial e}{\\partial b}" in tex
    assert tex == r"""% cgrad explain: e = 6 at a = 2, b = 1
\begin{align*}
\frac{\partial e}{\partial a} &= \frac{\partial e}{\partial c} \cdot \frac{\partial c}{\partial a} = d \cdot 1 = 2 \cdot 1 = 2 \\[1ex]
\frac{\partial e}{\partial b} &= \frac{\partial e}{\partial c} \cdot \frac{\partial c}{\partial b} + \frac{\partial e}{\partial d} \cdot \frac{\partial d}{\partial b} \\
  &= d \cdot 1 + c \cdot 1 \\
  &= 2 \cdot 1 + 3 \cdot 1 = 5
\end{align*}
"""
    _balanced(tex)


def test_lecture_json():
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    doc = json.loads(result.stdout)
    assert doc["output"] == "e" and doc["value"] == 6 and doc["inputs"] == {"a": 2, "b": 1}
    a, b = doc["wrt"]
    assert (a["name"], a["gradient"], a["paths"], a["form"]) == ("a", 2, 1, "paths")
    assert (b["name"], b["gradient"], b["paths"], b["form"]) == ("b", 5, 2, "paths")
    assert b["equation"] == "∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5"
    assert [t["nodes"] for t in b["terms"]] == [["e", "c", "b"], ["e", "d", "b"]]
    assert [[f["d"] for f in t["factors"]] for t in b["terms"]] == [["∂e/∂c", "∂c/∂b"], ["∂e/∂d", "∂d/∂b"]]
    assert [[f["formula"] for f in t["factors"]] for t in b["terms"]] == [["d", "1"], ["c", "1"]]
    assert [[f["value"] for f in t["factors"]] for t in b["terms"]] == [[2, 1], [3, 1]]
    assert [t["product"] for t in b["terms"]] == [2, 3] and b["steps"] is None
    assert sum(t["product"] for t in b["terms"]) == b["gradient"]


# --- parameter sharing, constants ------------------------------------------------------------------------

def test_parameter_sharing_gives_one_term_per_use():
    ex = ex_of("y = x*exp(x^2)", x=0.5)
    x = target(ex, "x")
    assert x.count == 2 and len(x.terms) == 2
    direct, through = x.terms
    assert formulas(direct) == ["exp(x^2)"]
    assert formulas(through) == ["x", "exp(x^2)", "2*x"]
    assert direct.product == pytest.approx(math.exp(0.25))
    assert through.product == pytest.approx(0.5 * math.exp(0.25) * 1.0)
    assert direct.product + through.product == pytest.approx(x.gradient)
    assert x.gradient == pytest.approx(math.exp(0.25) * 1.5)


def test_x_times_x_has_two_terms_one_per_use():
    result = invoke("explain", "y = x*x", "--x", "3")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "∂y/∂x = ∂y/∂x + ∂y/∂x = x + x = 3 + 3 = 6" in lines
    assert any("y → x (use 1)" in line for line in lines) and any("y → x (use 2)" in line for line in lines)


def test_a_path_through_a_constant_is_not_listed():
    ex = ex_of("k = 2*3; y = k*x + (x+1)*k", x=1)
    x = target(ex, "x")
    assert x.count == 2  # k does not depend on x: no term goes through it
    assert all(ex.ev.graph.label(i) != "k" for term in x.terms for i in term.nodes)
    assert [formulas(t) for t in x.terms] == [["1", "k"], ["1", "k", "1"]]
    assert sum(t.product for t in x.terms) == 12 == x.gradient


def test_no_path_output_itself_and_other_output():
    ex = ex_of(LECTURE + "; z = 3*q", wrt=["e", "c", "q"], a=2, b=1, q=1)
    e, c, q = ex.targets
    assert (e.count, c.count, q.count) == (0, 0, 1)
    assert e.terms == [] and e.gradient == 0
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", "--output", "c", "--wrt", "a,e,c")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "∂c/∂a = 1" in lines and "∂c/∂c = 1" in lines
    assert any(line.startswith("∂c/∂e = 0") and "does not depend on e" in line for line in lines)


# --- the sum of the path products is the gradient --------------------------------------------------------

PROGRAMS = [
    (LECTURE, {"a": 2, "b": 1}),
    ("e=(a+b)*(b+1)", {"a": 2, "b": 1}),
    ("y = x*exp(x^2)", {"x": 0.5}),
    ("z = w1*x1 + w2*x2 + b; y = sigmoid(z); L = (y - t)^2",
     {"x1": 1, "x2": 2, "w1": 0.5, "w2": -0.25, "b": 0, "t": 1}),
    ("h1 = tanh(w*h0 + x1); h2 = tanh(w*h1 + x2); C = h2", {"w": 0.5, "h0": 1, "x1": 0.2, "x2": -0.1}),
    ("y = sin(x*y0)^2 / (1 + x^2) - log(2 + cos(x))*y0 + max(x, y0) + x^y0", {"x": 0.7, "y0": 1.3}),
    ("u = x*x; v = u*u + x; w = v*u - sqrt(v); w", {"x": 1.1}),
    ("y = (a+b)*(a+b) + sin(a*b*a*b*a*b*a*b + a*a*a*a*b)", {"a": 1, "b": 2}),
]


def _check_sums(ex):
    for t in ex.targets:
        if t.factored:
            for step in t.steps[1:]:
                assert sum(u.product for u in step.uses) == pytest.approx(step.adjoint, rel=1e-12, abs=1e-12)
            assert t.steps[0].node == ex.ev.output and t.steps[0].adjoint == 1.0
            assert t.steps[-1].node == t.node and t.steps[-1].adjoint == t.gradient
        else:
            assert len(t.terms) == t.count
            total = math.fsum(term.product for term in t.terms)
            assert total == pytest.approx(ex.ev.grads[t.node], rel=1e-9, abs=1e-12)
            for term in t.terms:
                assert term.product == pytest.approx(math.prod(f.value for f in term.factors), rel=1e-12)
                assert term.nodes[0] == ex.ev.output and term.nodes[-1] == t.node


@pytest.mark.parametrize("src, inputs", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_sum_of_path_products_is_the_gradient(src, inputs):
    ev = evaluate(parse(src), inputs)
    ex = explain(ev, max_terms=10_000)
    assert {t.name: t.gradient for t in ex.targets} == ev.gradients()
    assert all(not t.factored for t in ex.targets)
    _check_sums(ex)
    factored = explain(ev, max_terms=0)  # the same derivative, factored node by node
    assert all(t.factored or t.count == 0 for t in factored.targets)
    _check_sums(factored)
    for name, text in (("text", render.plain(ex)), ("markdown", render.markdown(ex)), ("latex", render.latex(ex)),
                       ("factored", render.plain(factored)), ("factored latex", render.latex(factored))):
        assert text.endswith("\n"), name
    _balanced(render.latex(ex))
    _balanced(render.latex(factored))
    json.loads(json.dumps(render.document(ex), allow_nan=False))


_UNARY = ["sin({})", "cos({})", "exp({}/4)", "tanh({})", "({})^2", "-({})", "sqrt(1+({})^2)", "log(2+sin({}))",
          "sigmoid({})", "atan({})"]
_BINARY = ["({})+({})", "({})-({})", "({})*({})", "({})/(2+cos({}))", "max({}, {})", "min({}, {})"]


def _random_program(rng):
    pool, lines = ["x", "y", "z"], []
    for k in range(rng.randint(1, 4)):
        def expr(depth):
            if depth == 0 or rng.random() < 0.25:
                return rng.choice(pool + ["2", "0.5"])
            if rng.random() < 0.5:
                return rng.choice(_UNARY).format(expr(depth - 1))
            return rng.choice(_BINARY).format(expr(depth - 1), expr(depth - 1))
        lines.append(f"t{k} = {expr(3)}")
        pool.append(f"t{k}")
    return "; ".join(lines)


def test_sum_of_path_products_is_the_gradient_on_random_programs():
    rng = random.Random(20240531)
    checked = 0
    for _ in range(150):
        src = _random_program(rng)
        graph = parse(src)
        inputs = {name: rng.uniform(-1.5, 1.5) for name in graph.inputs}
        try:
            ev = evaluate(graph, inputs)
        except CgradError:
            continue
        _check_sums(explain(ev, max_terms=4096))
        _check_sums(explain(ev, max_terms=rng.choice([0, 1, 3])))
        checked += 1
    assert checked > 100


# --- path explosion: counted, not enumerated ------------------------------------------------------------

def _doubling(n, op="*"):
    return "; ".join(f"x{i + 1} = x{i}{op}x{i}" for i in range(n))


def test_thirty_doublings_are_counted_and_factored_quickly():
    start = time.perf_counter()
    ex = ex_of(_doubling(30), x0=1)
    x0 = target(ex, "x0")
    assert x0.count == 2 ** 30 and x0.factored and x0.terms is None
    assert len(x0.steps) == 31  # x30, x29, ..., x0: the reverse sweep's order
    g = ex.ev.graph
    assert [g.label(s.node) for s in x0.steps] == [f"x{i}" for i in range(30, -1, -1)]
    assert [len(s.uses) for s in x0.steps] == [0] + [2] * 30  # x_{i+1} = x_i*x_i uses x_i twice
    _check_sums(ex)
    text = render.plain(ex)
    assert time.perf_counter() - start < 5
    assert "1073741824 paths lead from x30 to x0, more than --max-terms 64" in text
    assert "  ∂x30/∂x30 = 1\n" in text
    assert folded("  ∂x30/∂x29 = ∂x30/∂x30·∂x30/∂x29 + ∂x30/∂x30·∂x30/∂x29 = ∂x30/∂x30·x29 + ∂x30/∂x30·x29"
                  " = 1·1 + 1·1 = 2") + "\n" in text


def test_doubling_chain_through_the_cli_in_every_format():
    args = ["explain", _doubling(30, "+"), "--x0", "1"]
    text = invoke(*args)
    assert text.exit_code == 0, text.stderr
    assert "1073741824 paths" in text.stdout and "∂x30/∂x0 = ∂x30/∂x1·∂x1/∂x0 + ∂x30/∂x1·∂x1/∂x0" in text.stdout
    doc = json.loads(invoke(*args, "--json").stdout)
    (x0,) = doc["wrt"]
    assert (x0["form"], x0["paths"], x0["paths_text"], x0["terms"]) == ("factored", 2 ** 30, "1073741824", None)
    assert x0["gradient"] == 2 ** 30 and len(x0["steps"]) == 31
    assert x0["steps"][-1]["node"] == "x0" and [u["product"] for u in x0["steps"][-1]["uses"]] == [2 ** 29] * 2
    markdown = invoke(*args, "--markdown").stdout
    assert "1073741824 paths lead from x30 to x0" in markdown and "```text\n∂x30/∂x30 = 1\n" in markdown
    latex = invoke(*args, "--latex").stdout
    assert "% 1073741824 paths lead from x30 to x0" in latex
    assert "\\frac{\\partial x_{30}}{\\partial x_{30}} &= 1 \\\\" in latex
    _balanced(latex)


def test_max_terms_is_the_threshold():
    src = _doubling(3, "+")  # 8 paths
    assert not target(ex_of(src, max_terms=8, x0=1), "x0").factored
    assert target(ex_of(src, max_terms=7, x0=1), "x0").factored
    assert target(ex_of(LECTURE, max_terms=0, a=2, b=1), "b").factored
    result = invoke("explain", src, "--x0", "1", "--max-terms", "8")
    assert result.stdout.count("  path ") == 8
    result = invoke("explain", src, "--x0", "1", "--max-terms", "7")
    assert "8 paths lead from x3 to x0, more than --max-terms 7" in result.stdout


def _chain_tape(n, op="add", halve=True):
    """x0 = a*a, then n steps x_{i+1} = (x_i op x_i)*0.5 (or op(x_i) for a function), straight onto a
    tape: no parser, so a 10^5-step chain costs a fraction of a second to build."""
    g = Graph("")
    a = g.add(OPS["input"], (), 0, 0)
    g.names[a] = "a"
    g.named["a"] = g.inputs["a"] = a
    x = g.add(OPS["mul"], (a, a), 0, 0)
    half = g.add(OPS["const"], (), 0, 0)
    g.consts[half] = 0.5
    for i in range(n):
        s = g.add(OPS[op], (x,) * OPS[op].arity, 0, 0)
        x = g.add(OPS["mul"], (s, half), 0, 0) if halve else s
        g.names[x] = f"x{i + 1}"
        g.named[f"x{i + 1}"] = x
    g.output = x
    return g


def test_long_doubling_chain_is_counted_not_enumerated():
    n = 20_000  # 2^20001 paths: past float64, so the count saturates and its size is kept in log10
    ev = evaluate(_chain_tape(n), {"a": 1.0})
    start = time.perf_counter()
    ex = explain(ev)
    (t,) = ex.targets
    assert t.factored and t.count == FLOAT_LIMIT
    assert t.log10_count == pytest.approx((n + 1) * math.log10(2), abs=1e-6)
    assert count_text(t.count, t.log10_count) == "about 7.96e+6020"
    assert len(t.steps) == 2 * n + 2 and t.gradient == 2.0
    _check_sums(ex)
    text = render.plain(ex)
    assert time.perf_counter() - start < 30
    assert "about 7.96e+6020 paths lead from x20000 to a" in text
    doc = render.document(ex)
    assert doc["wrt"][0]["paths"] is None and doc["wrt"][0]["paths_text"] == "about 7.96e+6020"
    assert count_text(2 ** 130 - 1) == str(2 ** 130 - 1) and count_text(2 ** 200) == "about 1.61e+60"


def test_100000_deep_chain_is_enumerated_without_recursion():
    n = 100_000
    ev = evaluate(_chain_tape(n, op="sin", halve=False), {"a": 0.5})
    ex = explain(ev)
    (t,) = ex.targets
    assert (t.count, len(t.terms)) == (2, 2)  # a*a at the bottom: a is used twice
    assert [len(term.factors) for term in t.terms] == [n + 1, n + 1]
    _check_sums(ex)
    text = render.plain(ex)  # folded to 80 columns, in time linear in its length
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    assert len([line for line in lines if not line.startswith("    ")]) == 3 + 2 + len(ex.where())
    assert f"∂x{n}/∂a = ∂x{n}/∂x{n - 1}·" in text


def _deep_program(n):
    return "y = " + "-(" * n + "x*2" + ")" * n + " + x"


def test_100000_deep_program_in_every_format():
    n = 100_000
    ex = explain(evaluate(parse(_deep_program(n)), {"x": 0.5}))
    (x,) = ex.targets
    assert x.count == 2 and x.gradient == 3
    deep, direct = x.terms
    assert len(deep.factors) == n + 2 and deep.product == 2 and direct.product == 1
    names = ex.where()  # the negations too long to be called by their text: v1, v2, ...
    assert [ex.labels.name(i) for i in names] == [f"v{k}" for k in range(1, len(names) + 1)] and len(names) > n - 10
    text = render.plain(ex)
    lines = text.splitlines()  # folded to 80 columns: the equation's further lines start with 4 spaces
    at = next(k for k, line in enumerate(lines) if line.startswith("∂y/∂x"))
    end = next(k for k in range(at + 1, len(lines)) if not lines[k].startswith("    "))
    assert re.match(r"∂y/∂x = ∂y/∂v(\d+)·∂v\1/∂v\d+·", lines[at]) and lines[end - 1].endswith(" = 3")
    assert max(map(len, lines)) <= 80
    assert f"\n      v{len(names)} = -v{len(names) - 1}   (line 1, column 5)\n" in text
    assert render.markdown(ex).count("\n") > n
    _balanced(render.latex(ex))
    doc = json.loads(json.dumps(render.document(ex), allow_nan=False))
    assert doc["names"][f"v{len(names)}"]["definition"] == f"-v{len(names) - 1}"


def test_100000_deep_program_through_the_cli():
    result = invoke("explain", "-", "--x", "0.5", "--json", input=_deep_program(100_000))
    assert result.exit_code == 0, result.stderr[-2000:]
    (x,) = json.loads(result.stdout)["wrt"]
    assert x["paths"] == 2 and x["gradient"] == 3 and len(x["terms"][0]["factors"]) == 100_002


# --- labels ------------------------------------------------------------------------------------------------

def test_labels():
    g = parse("y = (a+b)*(a + b) + sin(a*c) + exp(b*b*b*b*b*b*b*b*b*b*b*b) + v1")
    labels = Labels(g)
    by_text = {g.text(i): i for i in range(len(g)) if g.args[i]}
    first_sum = next(i for i in range(len(g)) if g.text(i) == "a+b")
    second_sum = next(i for i in range(len(g)) if g.text(i) == "a + b")
    # written alike: both named, and so is what holds them; `v1` is taken by the program
    assert labels.name(first_sum) == "v2" and labels.name(second_sum) == "v3"
    assert labels.name(by_text["(a+b)*(a + b)"]) == "v4"
    assert labels.name(by_text["sin(a*c)"]) == "sin(a*c)" and labels.d(by_text["sin(a*c)"]) == "(sin(a*c))"
    assert labels.kind(by_text["sin(a*c)"]) == "text" and labels.prec(by_text["a*c"]) == 20
    long = by_text["exp(b*b*b*b*b*b*b*b*b*b*b*b)"]  # 28 characters
    assert labels.generated(long) and labels.name(by_text["b*b*b*b*b*b*b*b*b*b*b*b"]) == "b*b*b*b*b*b*b*b*b*b*b*b"
    assert labels.name(g.named["v1"]) == "v1" and labels.kind(g.named["v1"]) == "name"
    g = parse("y = sin(a*b) + (a*b*c)")  # the a*b inside a*b*c is written like sin's argument
    labels = Labels(g)
    assert [labels.name(i) for i in range(len(g)) if g.args[i]] == ["v1", "v2", "v3", "v4", "y"]


def test_where_defines_generated_names():
    result = invoke("explain", "y = (a+b)*(a+b) - 1", "--a", "1", "--b", "2", "--wrt", "a")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:5] == [
        "y = 8 at a = 1, b = 2",
        "where v1 = a + b   (line 1, column 6)",
        "      v2 = a + b   (line 1, column 12)",
        "      v3 = v1*v2   (line 1, column 5)",
        "",
    ]
    assert folded("∂y/∂a = ∂y/∂v3·∂v3/∂v1·∂v1/∂a + ∂y/∂v3·∂v3/∂v2·∂v2/∂a = 1·v2·1 + 1·v1·1 = 1·3·1 + 1·3·1 = 6") \
        in result.stdout
    doc = json.loads(invoke("explain", "y = (a+b)*(a+b) - 1", "--a", "1", "--b", "2", "--json").stdout)
    assert doc["names"]["v3"] == {"node": 4, "definition": "v1*v2", "line": 1, "column": 5}


# --- LaTeX -------------------------------------------------------------------------------------------------

def _balanced(tex):
    depth = 0
    for char in re.sub(r"\\[{}]", "", tex):
        depth += char == "{"
        depth -= char == "}"
        assert depth >= 0, tex
    assert depth == 0, tex
    assert tex.count("\\begin{align*}") == tex.count("\\end{align*}") == 1


@pytest.mark.parametrize("name, tex", [
    ("x", "x"), ("x_1", "x_{1}"), ("x1", "x_{1}"), ("x_12", "x_{12}"), ("θ", r"\theta"), ("theta", r"\theta"),
    ("θ_1", r"\theta_{1}"), ("theta0", r"\theta_{0}"), ("ŷ", r"\hat{y}"), ("Ω", r"\Omega"), ("w_ih", r"w_{\text{ih}}"),
    ("loss", r"\text{loss}"), ("x_a_b", "x_{a_{b}}"), ("x__1", r"\text{x\_\_1}"), ("ε", r"\varepsilon"),
])
def test_latex_names(name, tex):
    assert latex_name(name) == tex


def test_latex_names_stay_one_to_one():
    names = LatexNames(["x1", "x_1", "theta", "θ", "v1", "v_1", "y"])
    assert names("x_1") == "x_{1}" and names("x1") == r"\text{x1}"
    assert names("θ") == r"\theta" and names("theta") == r"\text{theta}"
    assert names("v_1") == "v_{1}" and names("v1") == r"\text{v1}" and names("y") == "y"


def _formulas(notation):
    """Formulas built the way the rules build them, over atoms x, y, a, b, o in `notation`."""
    m = namespace(notation)
    x, y, a, b, o = (Sym(name, nota=notation) for name in "xyabo")
    return [2 * x, x * 2, m.pow(x, 2.0), m.exp(m.pow(x, 2.0)), 1.0 / (1.0 + x), -o / y, 1e-06 * x, 2.5e20 * x,
            m.sqrt(x), m.abs(x), m.asin(x), m.relu(x), m.log(x), m.pow(x, m.pow(y, 2.0)), m.pow(a + b, 2.0),
            m.pow(m.pow(x, 2.0), 3.0), m.pow(x, -y), m.pow(1e-06, x) * y, a * (b - 1.0), x * -2.0]


def test_one_notation_writes_text_and_latex():
    """The same rules run over text and over LaTeX (no formula is re-read from its text)."""
    assert namespace() is SYMBOLIC
    assert [f.text for f in _formulas(Sym("x").nota)] == [
        "2*x", "x*2", "x^2", "exp(x^2)", "1/(1 + x)", "-o/y", "1e-06*x", "2.5e+20*x", "sqrt(x)", "abs(x)",
        "asin(x)", "relu(x)", "log(x)", "x^y^2", "(a + b)^2", "(x^2)^3", "x^(-y)", "1e-06^x*y", "a*(b - 1)", "x*-2"]
    assert [f.text for f in _formulas(LATEX)] == [
        "2 x", r"x \cdot 2", "x^{2}", r"\exp\left(x^{2}\right)", r"\frac{1}{1 + x}", r"\frac{-o}{y}",
        r"10^{-6} x", r"2.5 \times 10^{20} x", r"\sqrt{x}", r"\left|x\right|", r"\arcsin\left(x\right)",
        r"\operatorname{relu}\left(x\right)", r"\ln\left(x\right)", "x^{y^{2}}", r"\left(a + b\right)^{2}",
        r"\left(x^{2}\right)^{3}", "x^{-y}", r"\left(10^{-6}\right)^{x} y", r"a \left(b - 1\right)",
        r"x \cdot -2"]


def test_latex_labels_come_from_the_graph():
    """An unnamed node called by its source text is set in LaTeX from its operations: ln and log are one
    function, `**` and `^` one power, and a literal keeps its spelling."""
    tex = render.latex(ex_of("y = sin(x**2) + ln(x)*1e-3 + pow(x, 3)", x=2.0))
    assert r"\frac{\partial (\sin\left(x^{2}\right))}{\partial (x^{2})}" in tex
    assert r"{\partial (\ln\left(x\right) \cdot 10^{-3})}" in tex and r"\frac{\partial y}{\partial (x^{3})}" in tex
    assert r"\cos\left(x^{2}\right) \cdot 2 x" in tex
    _balanced(tex)


def test_latex_of_unicode_program_is_balanced_and_escaped():
    result = invoke("explain", "ŷ = θ*x_1 + loss_rate*x1", "--θ", "2", "--x_1", "3", "--loss_rate", "1", "--x1", "1",
                    "--latex")
    assert result.exit_code == 0, result.stderr
    tex = result.stdout
    _balanced(tex)
    assert r"\frac{\partial \hat{y}}{\partial \theta}" in tex
    assert r"\frac{\partial \hat{y}}{\partial \text{x1}}" in tex  # x_1 is x_{1}, so x1 is set literally
    assert r"\text{loss}_{\text{rate}}" in tex
    assert "θ" not in tex.split("\\begin{align*}")[1]  # Unicode only in the comment line


# --- the command -------------------------------------------------------------------------------------------

def test_unknown_wrt_name_exits_2():
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", "--wrt", "q")
    assert result.exit_code == 2 and result.stdout == ""
    assert "error: --wrt: the program has no name 'q'" in result.stderr and "Traceback" not in result.stderr
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", "--wrt", "bb", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert json.loads(result.stderr.splitlines()[-1])["error"]["kind"] == "name"
    assert "did you mean 'b'?" in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["--latex", "--json"], "at most one of --markdown, --latex and --json"),
    (["--max-terms", "-1"], "--max-terms"),
    (["--max-terms", "many"], "--max-terms"),
])
def test_usage_errors_exit_2(args, fragment):
    result = invoke("explain", LECTURE, "--a", "2", "--b", "1", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert fragment in result.stderr


def test_input_and_math_errors():
    result = invoke("explain", LECTURE, "--a", "2")
    assert result.exit_code == 2 and "missing value for input b" in result.stderr
    result = invoke("explain", "y = log(x)", "--x", "-1")
    assert result.exit_code == 3 and result.stdout == ""


def test_kink_warning_on_stderr():
    result = invoke("explain", "y = relu(x) * 3", "--x", "0")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: 'relu(x)' (line 1, column 5) is at a kink of relu")
    assert "∂y/∂x = ∂y/∂(relu(x))·∂(relu(x))/∂x = 3·step(x) = 3·0 = 0" in result.stdout
    doc = json.loads(invoke("explain", "y = relu(x) * 3", "--x", "0", "--json").stdout)
    assert doc["warnings"][0]["kind"] == "kink"


def test_help_has_an_example():
    result = invoke("explain", "--help")
    assert result.exit_code == 0
    assert 'cgrad explain "c = a+b; d = b+1; e = c*d" --a 2 --b 1' in result.stdout
    assert "--max-terms" in result.stdout and "--latex" in result.stdout
    assert "explain" in invoke("--help").stdout


def test_program_from_a_file_and_inputs_from_json(tmp_path):
    program = tmp_path / "lecture.cg"
    program.write_text("c = a + b\nd = b + 1\ne = c * d\n", encoding="utf-8")
    result = invoke("explain", "-f", str(program), "--inputs", "-", "--wrt", "b", input='{"a": 2, "b": 1}')
    assert result.exit_code == 0, result.stderr
    assert "∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5" in result.stdout
