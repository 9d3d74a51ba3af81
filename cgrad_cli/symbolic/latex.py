"""cgrad names and numbers in LaTeX math: x_1 → x_{1}, θ → \\theta, ŷ → \\hat{y}, loss → \\text{loss},
1e-06 → 10^{-6}.

Used by the one LaTeX notation (notation.LATEX) that `cgrad diff --latex` and `cgrad explain --latex`
both write with, so a name or a number reads the same in both.
"""
from __future__ import annotations

import re
import unicodedata

_GREEK = dict(zip(
    "αβγδεζηθικλμνξπρστυφχψωϵϑϕϖϱςΓΔΘΛΞΠΣΥΦΨΩ",
    r"\alpha \beta \gamma \delta \varepsilon \zeta \eta \theta \iota \kappa \lambda \mu \nu \xi \pi \rho "
    r"\sigma \tau \upsilon \varphi \chi \psi \omega \epsilon \vartheta \phi \varpi \varrho \varsigma \Gamma "
    r"\Delta \Theta \Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi \Omega".split()))
_GREEK.update(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧο", "ABEZHIKMNOPTXo"))  # capitals that look Latin, and omicron
_GREEK_WORDS = set("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
                   "rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon "
                   "Phi Psi Omega".split())
_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar", "\u0303": r"\tilde", "\u0307": r"\dot", "\u0308": r"\ddot",
            "\u0301": r"\acute", "\u0300": r"\grave", "\u0306": r"\breve", "\u030c": r"\check", "\u20d7": r"\vec"}
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}"}


def text_mode(s: str) -> str:
    """Anything as upright LaTeX text, escaped: \\text{loss}."""
    return "\\text{" + "".join(_TEXT_ESCAPES.get(c, c) for c in s) + "}"


def tex_number(text: str) -> str:
    """A number as cgrad writes it (2, 0.5, 1e-06, 2.5e+20, -3) in LaTeX: 10^{-6}, 2.5 \\times 10^{20}."""
    m = re.fullmatch(r"(-?)(\d+\.?\d*|\.\d+)[eE]([+-]?\d+)", text)
    if m is None:
        return text
    power = f"10^{{{int(m[3])}}}"
    return m[1] + (power if m[2] in ("1", "1.0") else f"{m[2]} \\times {power}")


def _char(c: str) -> str | None:
    """One letter in LaTeX: x, \\theta, \\hat{y}; None if it has no math form."""
    if c.isascii() and c.isalnum():
        return c
    if c in _GREEK:
        return _GREEK[c]
    base, *marks = unicodedata.normalize("NFD", c)
    if marks and all(m in _ACCENTS for m in marks):
        tex = _char(base)
        if tex is None:
            return None
        for m in marks:
            tex = f"{_ACCENTS[m]}{{{tex}}}"
        return tex
    return None


def _word(w: str) -> tuple[str, bool]:
    """One piece of a name in LaTeX, and whether that took a liberty (theta → \\theta)."""
    if w in _GREEK_WORDS:
        return "\\" + w, True
    if w.isdigit() and w.isascii():
        return w, False
    if len(w) == 1:
        return _char(w) or text_mode(w), False
    return text_mode(w), False


def _latex_name(name: str) -> tuple[str, bool]:
    parts = name.split("_")
    if "" in parts:
        return text_mode(name), False
    *heads, last = parts
    m = re.fullmatch(r"(\D+?)(\d+)", last)
    if m and not heads and (m[1] in _GREEK_WORDS or len(m[1]) == 1):  # x1 → x_{1}, theta0 → \theta_{0}
        tex, _ = _word(m[1])
        tex, derived = f"{tex}_{{{m[2]}}}", True
    else:
        tex, derived = _word(last)
    for head in reversed(heads):  # x_a_b → x_{a_{b}}, built from the inside out
        word, liberty = _word(head)
        tex, derived = f"{word}_{{{tex}}}", derived or liberty
    return tex, derived


def latex_name(name: str) -> str:
    """A cgrad name in LaTeX math: x_1 → x_{1}, x1 → x_{1}, θ → \\theta, theta → \\theta, ŷ → \\hat{y},
    w_ih → w_{\\text{ih}}, loss → \\text{loss}; what has no math form goes in \\text{...}.
    (`LatexNames` keeps two names of one program apart: x1 and x_1, theta and θ.)"""
    return _latex_name(name)[0]


class LatexNames:
    """latex_name over one program's names, kept one-to-one: where two names would look the same
    (x1 and x_1, theta and θ, a generated v1 and a v_1), the one whose form took a liberty is set
    literally instead, \\text{x1}."""

    def __init__(self, names):
        forms, users = {}, {}
        for name in names:
            tex, derived = _latex_name(name)
            forms[name] = (tex, derived)
            users.setdefault(tex, []).append(name)
        self._tex = {}
        for tex, group in users.items():
            for name in group:
                self._tex[name] = text_mode(name) if len(group) > 1 and forms[name][1] else tex
        seen = {}
        for name, tex in self._tex.items():  # what is still shared (two literal forms): all literal
            seen.setdefault(tex, []).append(name)
        for tex, group in seen.items():
            if len(group) > 1:
                for name in group:
                    self._tex[name] = text_mode(name)

    def __call__(self, name: str) -> str:
        tex = self._tex.get(name)
        return tex if tex is not None else latex_name(name)
