"""`cgrad explain` on tensor programs from the command line: text, Markdown, LaTeX and JSON (against
explain.schema.json, its tensor form), the issue's example, and the errors a user can make."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
from click.testing import CliRunner

import cgrad_cli
from cgrad_cli.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(cgrad_cli.__file__).parent / "schemas" / "explain.schema.json").read_text())
ISSUE = ["z = W @ x; y = softmax(z); C = -log(y[r])", "--W", "[[1,2,3],[0,1,0]]", "--x", "[1,0,2]", "--r", "1"]
RNN = ["-f", str(ROOT / "examples" / "rnn.cg"), "--inputs", str(ROOT / "examples" / "rnn.inputs.json")]


def run(*args, code=0):
    result = CliRunner().invoke(cli, list(args), prog_name="cgrad")
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_the_issue_example_explained():
    out = run("explain", *ISSUE).stdout
    assert "∂C/∂W = ∂C/∂(log(y[r])) · ∂(log(y[r]))/∂(y[r]) · ∂(y[r])/∂y · ∂y/∂z · ∂z/∂W" in out
    assert "∂y/∂z                     2×2  full: diag(y) − y yᵀ" in out
    assert "∂z/∂W                   2×2×3  a 3-D tensor: δ_ij x_k" in out
    assert "∂z/∂x                     2×3  the matrix itself: W" in out
    assert "g_z = y ⊙ (g − g·y) = y − onehot(r) = [0.999089, -0.999089]" in out
    assert "g_x = Wᵀ g = [0.999089, 0.999089, 2.99727]" in out


def test_json_is_valid_and_matches_eval():
    doc = json.loads(run("explain", *RNN, "--json").stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    ev = json.loads(run("eval", *RNN, "--json").stdout)
    for target in doc["wrt"]:
        np.testing.assert_allclose(target["gradient"], ev["gradients"][target["name"]], rtol=1e-12)
        np.testing.assert_allclose(np.sum([p["contribution"] for p in target["paths"]], axis=0),
                                   target["gradient"], rtol=1e-9, atol=1e-12)
    wh = next(t for t in doc["wrt"] if t["name"] == "Wh")
    assert [u["place"] for u in wh["uses"]] == ["cell(h0, xs[0])", "cell(h1, xs[1])", "cell(h2, xs[2])"]
    doc = json.loads(run("explain", *ISSUE, "--json", "--show-elements", "4").stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    factors = doc["wrt"][0]["paths"][0]["factors"]
    assert [f["value"] is None for f in factors] == [False, False, False, False, True]  # 2×2×3 > 4


def test_markdown_and_latex():
    md = run("explain", *ISSUE, "--wrt", "W", "--markdown").stdout
    assert "| `∂y/∂z` | 2×2 | `full: diag(y) − y yᵀ` |" in md
    assert "| `g_z` | `y ⊙ (g − g·y) = y − onehot(r)` | `[0.999089, -0.999089]` |" in md
    tex = run("explain", *ISSUE, "--wrt", "W", "--latex").stdout
    assert tex.count("\\begin{align*}") == 1 and tex.rstrip().endswith("\\end{align*}")
    assert "\\frac{\\partial y}{\\partial z} &: \\text{2$\\times$2, full: diag(y) $-$ y y$^\\top$} = " \
           "\\begin{bmatrix} 0.000910221 & -0.000910221 \\\\ -0.000910221 & 0.000910221 \\end{bmatrix}" in tex
    assert "[0]: \\begin{bmatrix} 1 & 0 & 2 \\\\ 0 & 0 & 0 \\end{bmatrix},\\ [1]:" in tex  # 3-D as slices


def test_rnn_text_sums_one_term_per_call():
    out = run("explain", *RNN, "--wrt", "Wh").stdout
    assert out.count("path ") >= 3 and "∂C/∂Wh = the sum over the 3 uses of Wh, one term each:" in out
    assert "(cell(h2, xs[2]))" in out and "g ⊗ h2 (outer)" in out


def test_errors():
    result = run("explain", "z = W @ x", "--W", "[[1,2],[3,4]]", "--x", "[1,2]", code=2)
    assert "not a scalar" in result.stderr and "cgrad jacobian" in result.stderr
    result = run("explain", *ISSUE, "--wrt", "q", code=2)
    assert "no name 'q'" in result.stderr
    result = run("explain", "C = sum(W @ x)", "--W", "[[1,2],[3,4]]", "--x", "[1,2,3]", code=2)
    assert "shapes do not fit" in result.stderr


def test_text_fits_80_columns():
    for args in (RNN, ["-f", str(ROOT / "examples" / "classifier.cg"), "--inputs",
                       str(ROOT / "examples" / "classifier.inputs.json")]):
        out = run("explain", *args).stdout
        assert max(map(len, out.splitlines())) <= 80
