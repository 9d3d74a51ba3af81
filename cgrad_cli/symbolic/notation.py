"""One notation for formulas, as cgrad text and as LaTeX: `cgrad diff` writes its formulas (expr.Expr)
with it and `cgrad explain` its local derivatives (text.Sym), so the two read the same.

TEXT is cgrad's own syntax, so a printed derivative is a program that cgrad can parse and
differentiate again; LATEX overrides only what LaTeX writes otherwise (one table of functions, names
and numbers from latex.py).  A piece of a formula is (text, precedence).  Printing walks the DAG
children first with an explicit stack and keeps each node's text once, so deep formulas print
without recursion.
"""
from __future__ import annotations

from ..core.ops import OPS
from ..core.show import number
from .expr import FN, MUL, NUM, POW, SLICE, VAR, Expr, children, postorder
from .latex import latex_name, tex_number

ATOM, POWER, UNARY, PRODUCT, SUM = 100, 40, 30, 20, 10


class Notation:
    """How cgrad text writes each piece of a formula."""

    def num(self, x: float, digits: int | None = None) -> tuple:
        """A number: exact (a formula is a program), or to `digits` significant digits for a view."""
        return number(x, digits), ATOM if x >= 0 else UNARY

    def literal(self, text: str) -> tuple:
        """A literal as the program writes it: 2, 1e-3, pi."""
        return text, UNARY if text.startswith("-") else ATOM

    def var(self, name: str) -> str:
        return name

    def wrap(self, text: str) -> str:
        return f"({text})"

    def paren(self, piece: tuple, prec: int) -> str:
        """The piece's text, in parentheses when it binds less tightly than `prec`."""
        return piece[0] if piece[1] >= prec else self.wrap(piece[0])

    def call(self, name: str, args: list) -> str:
        return f"{name}({', '.join(args)})"

    def product(self, parts: list) -> str:
        return "*".join(parts)

    def sum(self, a: tuple, sign: str, b: tuple) -> tuple:
        return f"{self.paren(a, SUM)} {sign} {self.paren(b, SUM + 1)}", SUM

    def times(self, a: tuple, b: tuple) -> tuple:
        return self.product([self.paren(a, PRODUCT), self.paren(b, PRODUCT + 1)]), PRODUCT

    def frac(self, top: tuple, bottom: tuple) -> tuple:
        return f"{self.paren(top, PRODUCT)}/{self.paren(bottom, PRODUCT + 1)}", PRODUCT

    def power(self, base: tuple, exponent: tuple) -> tuple:
        """x^y is right-associative: (x^y)^z keeps its parentheses, x^y^z needs none."""
        return f"{self.paren(base, POWER + 1)}^{self.paren(exponent, POWER)}", POWER

    def neg(self, x: tuple) -> tuple:
        return "-" + self.paren(x, UNARY + 1), UNARY

    def infix(self, syntax: str, a: tuple, b: tuple, prec: int) -> tuple:
        """x % y, x > 0: an op written with its own infix syntax (OPS[name].syntax)."""
        return syntax.format(self.paren(a, prec), self.paren(b, prec + 1)), prec

    def transposed(self, x: tuple) -> tuple:
        return self.paren(x, ATOM) + ".T", ATOM

    def function(self, name: str, args: list, transposed: bool = False) -> tuple | None:
        """A matrix function written in the notation's own way (LaTeX: X^{-1}, \\det, \\operatorname{tr});
        None: written as a call.  `transposed`: inv's value or solve's matrix transposed (X^{-\\top})."""
        return None

    def index(self, x: tuple, keys: list) -> tuple:
        return f"{self.paren(x, ATOM)}[{', '.join(k[0] for k in keys)}]", ATOM

    def slice(self, bounds: tuple) -> tuple:
        lo, hi, step = ("" if b is None else str(b) for b in bounds)
        return f"{lo}:{hi}" + (f":{step}" if step else ""), ATOM

    def array(self, elements: list) -> tuple:
        return f"[{', '.join(elements)}]", ATOM

    def outer(self, u: tuple, v: tuple) -> tuple:
        return self.call("outer", [u[0], v[0]]), ATOM


class Latex(Notation):
    """LaTeX math: \\frac, x^{2}, \\sin\\left(x\\right), 2 x, 10^{-6}, x_{1}."""

    FUNCTIONS = {"sin": "\\sin", "cos": "\\cos", "tan": "\\tan", "asin": "\\arcsin", "acos": "\\arccos",
                 "atan": "\\arctan", "sinh": "\\sinh", "cosh": "\\cosh", "tanh": "\\tanh", "exp": "\\exp",
                 "log": "\\ln", "min": "\\min", "max": "\\max"}

    def num(self, x, digits=None):
        tex = tex_number(number(x, digits))
        return tex, UNARY if x < 0 else POWER if "10^" in tex else ATOM  # (10^{-6})^{2}

    def literal(self, text):
        if text == "pi":
            return "\\pi", ATOM
        tex = tex_number(text)
        return tex, UNARY if tex.startswith("-") else POWER if "10^" in tex else ATOM

    def var(self, name):
        return latex_name(name)

    def wrap(self, text):
        return f"\\left({text}\\right)"

    def call(self, name, args):
        args = [a.replace("axis=", "\\text{axis}=") for a in args]
        if name == "sqrt":
            return f"\\sqrt{{{args[0]}}}"
        if name == "abs":
            return f"\\left|{args[0]}\\right|"
        head = self.FUNCTIONS.get(name, f"\\operatorname{{{name}}}")
        return f"{head}\\left({', '.join(args)}\\right)"

    def product(self, parts):
        out = parts[0]
        for part in parts[1:]:  # 2 x \sin(x), but 2 \cdot 3^{x} and x \cdot -2
            out += (" \\cdot " if part[:1].isdigit() or part[:1] == "-" else " ") + part
        return out

    def frac(self, top, bottom):
        return f"\\frac{{{top[0]}}}{{{bottom[0]}}}", PRODUCT

    def power(self, base, exponent):
        return f"{self.paren(base, POWER + 1)}^{{{exponent[0]}}}", POWER

    SYMBOLS = {" % ": " \\bmod ", " <= ": " \\le ", " >= ": " \\ge ", " == ": " = ", " @ ": " "}

    def transposed(self, x):
        return self.paren(x, ATOM) + "^{\\top}", POWER

    def function(self, name, args, transposed=False):
        texts = [a[0] for a in args]
        if name == "inv":
            return self.paren(args[0], ATOM) + ("^{-\\top}" if transposed else "^{-1}"), POWER
        if name == "solve":  # solve(A, b) = A⁻¹ b
            inverse = self.function("inv", args[:1], transposed)[0]
            return self.product([inverse, self.paren(args[1], PRODUCT + 1)]), PRODUCT
        if transposed:
            return None
        if name in ("det", "trace"):
            head = "\\det" if name == "det" else "\\operatorname{tr}"
            return f"{head}\\left({texts[0]}\\right)", ATOM
        if name == "logdet":
            return f"\\log\\left|\\det\\left({texts[0]}\\right)\\right|", ATOM
        if name == "norm":
            return f"\\left\\|{texts[0]}\\right\\|" + ("_{1}" if texts[1:] == ["1"] else ""), ATOM
        if name in ("eye", "ones", "zeros"):  # I_{3}, 1_{2 \times 3}
            head = {"eye": "I", "ones": "\\mathbf{1}", "zeros": "\\mathbf{0}"}[name]
            return head + "_{" + " \\times ".join(texts) + "}", POWER
        return None

    def index(self, x, keys):
        return f"{self.paren(x, ATOM)}_{{{', '.join(k[0] for k in keys)}}}", POWER

    def array(self, elements):
        begin, end = "\\begin{bmatrix}", "\\end{bmatrix}"
        if all(e.startswith(begin) and e.endswith(end) for e in elements):  # a matrix: its rows
            return begin + " \\\\ ".join(e[len(begin):-len(end)] for e in elements) + end, ATOM
        return begin + " & ".join(elements) + end, ATOM

    def outer(self, u, v):  # u vᵀ
        return f"{self.paren(u, PRODUCT + 1)} {self.paren(v, ATOM)}^{{\\top}}", PRODUCT

    def infix(self, syntax, a, b, prec):
        for symbol, tex in self.SYMBOLS.items():
            syntax = syntax.replace(symbol, tex)
        return super().infix(syntax, a, b, prec)


TEXT, LATEX = Notation(), Latex()


def text(e: Expr) -> str:
    """The formula in cgrad syntax, e.g. `2*x*sin(x) + x^2*cos(x)`."""
    return _render(e, TEXT)


def latex(e: Expr) -> str:
    """The formula in LaTeX, e.g. `2 x \\sin\\left(x\\right) + x^{2} \\cos\\left(x\\right)`."""
    return _render(e, LATEX)


def _render(root: Expr, style: Notation) -> str:
    done: dict = {}  # node -> (text, precedence)
    for node in postorder(root):
        done[node] = _node(node, style, done)
    return done[root][0]


def _node(e: Expr, style, done, named=()):
    kind, data = e.kind, e.data
    if kind == NUM:
        return style.num(data)
    if kind == VAR:
        return style.var(data), ATOM
    if kind == SLICE:
        return style.slice(data)
    if kind == FN:
        name, args = data
        op = OPS[name]
        if name == "transpose" and _calls(args[0], "inv"):  # inv(X).T: X^{-\\top}
            piece = style.function("inv", [done[args[0].data[1][0]]], transposed=True)
            if piece is not None:
                return piece
        if name == "transpose":
            return style.transposed(done[args[0]])
        flip = name in ("inv", "solve") and _calls(args[0], "transpose")  # inv(X.T), solve(A.T, b): A^{-\\top}
        piece = style.function(name, [done[args[0].data[1][0] if flip else args[0]]] + [done[a] for a in args[1:]],
                               transposed=flip)
        if piece is not None:
            return piece
        if name == "getitem":  # y[r], x[1:3], P[[0, 1], y], as symbolic.tensor_expr writes it: one part per axis
            return style.index(done[args[0]], [done[a] for a in args[1:]])
        if op.arity < 0:  # stack and concat end with their axis: [u, v] is stack(u, v) (axis 0)
            texts, axis = [done[a][0] for a in args[:-1]], int(args[-1].data)
            if name == "stack" and axis == 0:
                return style.array(texts)
            return style.call(name, texts + ([f"axis={axis}"] if axis else [])), ATOM
        if name == "outer":
            return style.outer(done[args[0]], done[args[1]])
        if op.precedence < ATOM:  # x % y, x > 0
            right = done[args[1]]
            if name == "matmul" and _calls(args[1], "matmul") and args[0].ndim == 2 == args[1].ndim:
                right = (right[0], op.precedence + 1)  # A @ (B @ C) of matrices is A @ B @ C: no parentheses
            return style.infix(op.syntax, done[args[0]], right, op.precedence)
        if not op.syntax.startswith(name + "("):  # select is written where(c, a, b), amax max(x)
            name = op.syntax.split("(", 1)[0]
        texts = [done[a][0] for a in args]
        if op.params and op.params[0] == "axis" and len(args) > op.arity >= 0:
            texts[-1] = "axis=" + texts[-1]  # max(W, axis=0): max(W, 0) is the elementwise max
        return style.call(name, texts), ATOM
    if kind == POW:
        return style.power(done[data[0]], done[data[1]])
    if kind == MUL:
        return _product(style, data[0], data[1], done)
    return _sum(style, data, done, named)


def _calls(e: Expr, name: str) -> bool:
    return e.kind == FN and e.data[0] == name


def _factor(style, base, power, done) -> tuple:
    if power == 1.0:
        return done[base]
    return style.power(done[base], style.num(power))


def _product(style, coef, factors, done) -> tuple:
    """coef · Π base^power, with negative powers written as a division."""
    top = [_factor(style, b, p, done) for b, p in factors if p > 0]
    bottom = [_factor(style, b, -p, done) for b, p in factors if p < 0]
    sign, coef = ("-", -coef) if coef < 0 else ("", coef)
    ratio = _ratio(coef) if top else None
    if ratio is not None:  # x/3, not 0.3333333333333333*x
        coef, bottom = ratio[0], [style.num(ratio[1])] + bottom
    # a*(b*c) is written a*b*c; a sum, or a product with a division in it, keeps its parentheses
    alone = len(top) == 1 and not bottom and coef == 1.0 and not sign  # a @ b as a term of a sum
    parts = [t if prec > PRODUCT or prec == PRODUCT and (alone or _undivided(b)) else style.wrap(t)
             for (t, prec), (b, _) in zip(top, [f for f in factors if f[1] > 0])]
    if coef != 1.0 or not parts:
        parts.insert(0, style.num(coef)[0])
    out = style.product(parts)
    if bottom:
        if len(bottom) == 1:
            under, prec = bottom[0]
        else:
            under, prec = style.product([style.paren(piece, PRODUCT + 1) for piece in bottom]), PRODUCT
        out, _ = style.frac((out, PRODUCT), (under, prec))
    if sign:
        return "-" + out, UNARY
    if len(parts) > 1 or bottom:
        return out, PRODUCT
    return out, top[0][1] if top else ATOM  # one factor keeps its own binding strength: x, sin(x), x^2


def _ratio(coef: float):
    """(p, q) when coef is exactly the float p/q, q at most 12, and its decimal is long: 1/3, 2/3, 1/7."""
    if len(number(coef)) < 8:
        return None
    for q in range(2, 13):
        p = round(coef * q)
        if p and p / q == coef:
            return float(p), float(q)
    return None


def _undivided(base: Expr) -> bool:
    return base.kind == MUL and base.data[0] > 0 and all(p > 0 for _, p in base.data[1])


def _sum(style, data, done, named=()) -> tuple:
    const, terms = data
    out = []
    positive = [k for k, (t, c) in enumerate(terms) if c * (t.data[0] if t.kind == MUL else 1.0) > 0]
    if positive and positive[0] > 0:  # cos(x)^2 - sin(x)^2 rather than -sin(x)^2 + cos(x)^2
        k = positive[0]
        terms = (terms[k],) + terms[:k] + terms[k + 1:]
    elif not positive and const > 0:  # 1 - tanh(x)^2 rather than -tanh(x)^2 + 1
        out.append(style.num(const)[0])
        const = 0.0
    for term, coef in terms:
        if term.kind == MUL and term not in named:
            t, _ = _product(style, coef * term.data[0], term.data[1], done)
        else:
            t, _ = _product(style, coef, ((term, 1.0),), done)
        if out:
            out.append(" - " + t[1:] if t.startswith("-") else " + " + t)
        else:
            out.append(t)
    if const:
        out.append((" - " if const < 0 else " + ") + style.num(abs(const))[0])
    return "".join(out), SUM


def to_program(exprs: dict, reserved=(), inline_limit: int = 400) -> str:
    """Formulas as a cgrad program, one statement per formula (`name = text`).

    A formula that would print longer than `inline_limit` nodes as a tree has
    its shared subexpressions given names (t1, t2, ... avoiding `reserved`) as
    they are met, children first, so the program stays the size of the DAG
    instead of the size of the tree: the expression swell is never written out.
    One pass over the DAG, shared by all the formulas.
    """
    style, lines, done, named = TEXT, [], {}, set()
    used, counter = set(reserved) | set(exprs), 0
    for target, e in exprs.items():
        order = [node for node in postorder(e) if node not in done]
        sizes, uses = {}, {}
        for node in order:
            sizes[node] = 1 + sum(sizes.get(c, 1) for c in children(node))
            for c in children(node):
                uses[c] = uses.get(c, 0) + 1
        big = sizes.get(e, 1) > inline_limit
        for node in order:
            done[node] = _node(node, style, done, named)
            if big and node is not e and uses.get(node, 0) > 1 and sizes[node] > 3:
                counter += 1
                while f"t{counter}" in used:
                    counter += 1
                lines.append(f"t{counter} = {done[node][0]}")
                done[node] = (f"t{counter}", ATOM)
                named.add(node)
        lines.append(f"{target} = {done[e][0]}")
    return "\n".join(lines)


__all__ = ["Notation", "TEXT", "LATEX", "text", "latex", "to_program"]
