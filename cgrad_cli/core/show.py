"""How a value is written for people, in views and in messages: one formatter for every command."""
from __future__ import annotations

import math


def number(x: float, digits: int | None = 6) -> str:
    """A float as a person writes it: 2 not 2.0, 0.5, 1e-06, `digits` significant digits; with
    digits=None the shortest text that reads back as the same float (a formula that is a program);
    inf, -inf and nan as they are."""
    if math.isfinite(x) and x == int(x) and abs(x) < (1e16 if digits is None else 1e15):
        return str(int(x))
    return repr(x) if digits is None else f"{x:.{digits}g}"


def shorten(text: str, width: int, more: bool = False) -> str:
    """`text` in at most `width` characters with an ellipsis (always when `more` says it goes on): cut before a
    number or a name, never inside or just after one (`x*0.12…` would read as a number cut short)."""
    if len(text) <= width and not more:
        return text
    cut = end = min(width - 1, len(text))
    while cut > 0 and (text[cut - 1].isalnum() or text[cut - 1] in "._"):
        cut -= 1
    head = text[:cut or end]  # one token longer than `width`: cut it all the same
    return head.rstrip() + (" …" if head.endswith(" ") else "…")


def d_label(label: str, limit: int | None = 12) -> str | None:
    """`c`, `(a+b)`: a node's label fit for ∂ notation (∂c, ∂(a+b)), or None when it is too long to read
    there: source text past `limit` characters, a name past `limit` or 12, whichever is more."""
    if label.isidentifier():
        return label if limit is None or len(label) <= max(limit, 12) else None
    return f"({label})" if limit is None or len(label) <= limit else None


INLINE = 12  # arrays with more elements are shown by shape, least and greatest element


def show(value, inline: int = INLINE) -> str:
    """A value for people: 6 significant digits; an array of up to `inline` elements in full, a bigger one
    by shape, min and max."""
    shape = getattr(value, "shape", ())
    if not shape:
        return number(float(value))
    if value.size > inline:
        from .ops import shape_text

        kind = shape_text(shape) + ("" if len(shape) == 1 else " array")
        return f"{kind} (min {number(float(value.min()))}, max {number(float(value.max()))})"
    return _nested(value.tolist())


def brief(value) -> str:
    """A value inside a figure's node or edge: a number, or an array by its shape (`3-vector`, `3×4`),
    never the whole array (a matrix printed in a node made the classifier's picture 10 000 px wide)."""
    shape = getattr(value, "shape", ())
    if not shape:
        return number(float(value))
    from .ops import shape_text

    return shape_text(shape)


def _nested(x) -> str:
    return "[" + ", ".join(map(_nested, x)) + "]" if isinstance(x, list) else number(x)
