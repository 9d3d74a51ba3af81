"""Write the expected numbers of the tensor examples, computed WITHOUT cgrad.

    python examples/make_expectations.py          # rewrite examples/*.expect.json
    python examples/make_expectations.py --check  # exit 1 if a file is out of date

Each example's forward pass and backpropagation are written out by hand below in
plain numpy (the chain rule step by step, as on the blackboard), so the
expectations are an independent check of cgrad's reverse mode and not a copy of
its output.  The inputs are read from the example itself: its `# inputs: FILE`
JSON file, or the `--NAME VALUE` words of its `# run:` line.
tests/test_examples.py checks that the .expect.json files match what this
script computes, and that cgrad gives the same numbers.
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NOTE = "written by examples/make_expectations.py: a hand-written numpy backprop, not cgrad"


def header(path: Path, key: str) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return None


def inputs_of(name: str) -> dict:
    """The example's input values, as numpy arrays (or floats)."""
    path = HERE / f"{name}.cg"
    file = header(path, "inputs")
    if file:
        raw = json.loads((HERE / file).read_text(encoding="utf-8"))
    else:
        words, raw = shlex.split(header(path, "run") or ""), {}
        for flag, value in zip(words[::2], words[1::2]):
            assert flag.startswith("--"), flag
            raw[flag[2:]] = json.loads(value)
    return {k: np.asarray(v, dtype=float) if isinstance(v, list) else float(v) for k, v in raw.items()}


# --------------------------------------------------------------------------- the examples, by hand

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def classifier(x, W1, b1, W2, b2, r):
    """z1 = W1@x + b1; a1 = sigmoid(z1); z2 = W2@a1 + b2; y = softmax(z2); C = -log(y[r])."""
    r = int(r)
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    y = softmax(z2)
    C = -np.log(y[r])
    # backward: softmax + cross-entropy together give dC/dz2 = y - onehot(r)
    dz2 = y.copy()
    dz2[r] -= 1.0
    dW2, db2 = np.outer(dz2, a1), dz2
    da1 = W2.T @ dz2
    dz1 = da1 * a1 * (1.0 - a1)  # sigmoid's Jacobian is diagonal: an elementwise product
    dW1, db1 = np.outer(dz1, x), dz1
    dx = W1.T @ dz1
    grads = {"x": dx, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "r": 0.0}  # r is an index: no gradient
    return C, grads, {"y": y, "z2": z2, "dC/dz2": dz2}


def rnn(Wh, Wx, h0, xs):
    """h_t = tanh(Wh@h_{t-1} + Wx@x_{t-1}) for t = 1, 2, 3; C = sum(h3^2)/2."""
    hs = [h0]
    for t in range(3):
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ xs[t]))
    C = 0.5 * np.sum(hs[3] ** 2)
    dWh, dWx, dxs = np.zeros_like(Wh), np.zeros_like(Wx), np.zeros_like(xs)
    steps = []
    dh = hs[3]  # dC/dh3
    for t in (3, 2, 1):
        dpre = dh * (1.0 - hs[t] ** 2)  # through tanh at step t
        steps.append(np.outer(dpre, hs[t - 1]))  # step t's share of dC/dWh
        dWh += steps[-1]
        dWx += np.outer(dpre, xs[t - 1])
        dxs[t - 1] = Wx.T @ dpre
        dh = Wh.T @ dpre  # on to h_{t-1}
    grads = {"Wh": dWh, "Wx": dWx, "h0": dh, "xs": dxs}
    return C, grads, {"h3": hs[3], "dC/dWh by step 3, 2, 1": steps}


def dzdw(W, x):
    """z = W@x: the Jacobians dz/dW (2x2x3, dz_i/dW_jk = delta_ij x_k) and dz/dx (= W), element by element."""
    z = W @ x
    n, m = W.shape
    JW = np.zeros((n, n, m))
    for i in range(n):
        for j in range(n):
            for k in range(m):
                JW[i, j, k] = x[k] if i == j else 0.0
    Jx = np.zeros((n, m))
    for i in range(n):
        for k in range(m):
            Jx[i, k] = W[i, k]
    return z, {"W": JW, "x": Jx}


# --------------------------------------------------------------------------- the files

def tolist(value):
    return value.tolist() if isinstance(value, np.ndarray) else float(value)


def expectations() -> dict:
    """{file name: the document it should hold}."""
    C, grads, _ = classifier(**inputs_of("classifier"))
    docs = {"classifier.expect.json": {"_note": NOTE, "output": "C", "value": tolist(C),
                                       "gradients": {k: tolist(v) for k, v in grads.items()}}}
    C, grads, _ = rnn(**inputs_of("rnn"))
    docs["rnn.expect.json"] = {"_note": NOTE, "output": "C", "value": tolist(C),
                               "gradients": {k: tolist(v) for k, v in grads.items()}}
    z, jac = dzdw(**inputs_of("dzdw"))
    docs["dzdw.expect.json"] = {"_note": NOTE, "output": "z", "value": tolist(z),
                                "jacobians": {k: tolist(v) for k, v in jac.items()}}
    return docs


def dumps(doc, indent: str = "") -> str:
    """JSON with one line per row of a matrix (json.dumps(indent=...) would put each number on its own line)."""
    inner = indent + "  "
    if isinstance(doc, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, inner)}" for k, v in doc.items()]
        text = "{\n" + ",\n".join(items) + "\n" + indent + "}"
    elif isinstance(doc, list) and any(isinstance(x, list) for x in doc):
        text = "[\n" + ",\n".join(inner + dumps(x, inner) for x in doc) + "\n" + indent + "]"
    else:
        text = json.dumps(doc)
    return text + "\n" if not indent else text


def main(argv) -> int:
    stale = []
    for name, doc in expectations().items():
        path = HERE / name
        text = dumps(doc)
        if "--check" in argv:
            if not path.exists() or json.loads(path.read_text(encoding="utf-8")) != doc:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python examples/make_expectations.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
