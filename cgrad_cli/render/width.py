"""Every view fits an 80-column terminal, piped or not: prose is wrapped between words here, tables
are split or turned by their renderers, and nothing a number is written in is ever cut.  Diagnostics
(error, warning, hint, note) are prose: wrapped at the width of the terminal stderr is on; in a pipe or a
log each stays one line (grep finds it whole) unless COLUMNS asks for a width."""
from __future__ import annotations

import os
import re
import sys
from bisect import bisect_right

WIDTH = 80
OPERATOR = frozenset("+ - − * / @ ^ = == != < > <= >= ≤ ≥ ± × → ←".split())  # a formula's inside, in a sentence
LABEL = re.compile(r"(?:error|warning|hint|note): ")


def prose(text: str, width: int = WIDTH, indent: str = "") -> str:
    """`text` wrapped between words to `width` columns, each line of it; lines after the first indented by
    `indent`.  A formula (`W @ x`, `a + 1`), a number (`10 000`) or a call (`f(a, b)`) is never split, an
    array only between its elements."""
    return "\n".join(fold([(line, None)], width, indent, sentence=True)[0][0] for line in text.split("\n"))


def diagnostic(text: str, width: int | None = None) -> str:
    """An error, warning, hint or note as stderr shows it: each `error: ...` line wrapped as prose to `width`
    (default: stderr_width()) with a hanging indent under its first word; other lines (a source line, its
    carets) kept as they are."""
    width = stderr_width() if width is None else width
    if not width:
        return text
    return "\n".join(prose(line, width, " " * m.end()) if (m := LABEL.match(line)) else line
                     for line in text.split("\n"))


def stderr_width() -> int | None:
    """The columns diagnostics wrap at: COLUMNS if it is set (`COLUMNS=80 cgrad ... 2>&1 | less`), else the
    terminal's when stderr is one, else None: in a pipe or a log, one line per message."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or WIDTH if sys.stderr.isatty() else None
    except (AttributeError, OSError, ValueError):  # no stderr, or one without a descriptor (a test's)
        return None


def columns(text: str) -> int:
    """How many terminal columns `text` takes: a CJK character two, a combining mark none, others one."""
    return len(text) if text.isascii() else _columns(text)[-1]


def _columns(text: str) -> list:
    """The columns each prefix of `text` takes (its k-th entry: text[:k]'s)."""
    from unicodedata import combining, east_asian_width

    out, at = [0], 0
    for ch in text:
        at += 2 if east_asian_width(ch) in "WF" else 0 if combining(ch) else 1
        out.append(at)
    return out


def wrap(head: str, parts: list, sep: str, width: int, indent: str, tail: str = "") -> list:
    """`head` then `parts` joined by `sep`, as lines of at most `width` columns where the parts allow,
    continuation lines starting with `indent`; a part is never cut."""
    lines, line = [], head
    for n, part in enumerate(parts):
        piece = part + (sep.rstrip() if n < len(parts) - 1 else tail)
        if line.strip() and columns(line) + columns(piece) > width and line != head:
            lines.append(line.rstrip())
            line = indent
        line += piece + (" " if n < len(parts) - 1 and sep.endswith(" ") else "")
    lines.append(line.rstrip())
    return lines


def fold(segments: list, width: int = WIDTH, indent: str = "    ", sentence: bool = False) -> list:
    """A line of (text, style) segments folded to `width` columns: broken only at a space or after a `·`
    outside parentheses (or between an array's elements: `[0.5,` `-0.5]`), so a symbol (∂e/∂(a + b)),
    a factor or a number is never split; a formula with no such place within reach is broken at a space
    inside its shallowest parentheses.  Each further line starts with `indent` (after the line's own
    leading spaces) and, for an equation, with its `=` or `+`.  A `sentence` is broken between words only: never beside an operator (`W @ x`, `a = 2` stay
    whole), between a number's digit groups (`10 000`), inside a call (`f(a, b)`; an aside in parentheses
    is prose) or after an unspaced `·`.  Returns the segments with newlines put in."""
    text = "".join(t for t, _ in segments)
    cols = None if text.isascii() else _columns(text)  # None: one column a character, positions are columns
    if (cols[-1] if cols else len(text)) <= width:
        return segments

    def reach(start: int, room: int) -> int:  # the last position within `room` columns of `start`
        return start + room if cols is None else bisect_right(cols, cols[start] + room) - 1
    lead = indent + " " * (len(text) - len(text.lstrip(" ")))
    words = _beside_operators(text) if sentence else ()
    spots, depth, opened = [], 0, []  # (position, characters dropped, between terms?) outside parentheses
    deep, symbols = [], 0  # (position, 1, depth): inside parentheses, for a formula too long to break outside
    for p, ch in enumerate(text):
        if ch in "([{":  # in a sentence, an aside `(like this)` is prose; `f(a, b)` or `[1, 2]` is not
            opened.append((ch, not sentence or depth > 0 or ch != "(" or text[p - 1:p] not in (" ", ""),
                           text[p - 1:p] == "∂"))  # ∂(a + b) is a symbol: never broken
            depth += opened[-1][1]
            symbols += opened[-1][2]
        elif ch in ")]}":
            _, counted, symbol = opened.pop() if opened else ("", 1, False)
            depth, symbols = max(depth - counted, 0), symbols - symbol
        elif ch == " " and text[p - 1:p] == "," and opened and all(c == "[" for c, *_ in opened):
            spots.append((p, 1, int(text[p - 2] == "]")))  # between elements (rows first): `[0.5, -0.5]`
        elif ch == " " and text[p + 1:p + 2] not in (" ", "") and text[p - 1:p] not in (" ", ""):
            if depth and not sentence and not symbols:
                deep.append((p, 1, depth))
            elif depth:
                continue
            elif not sentence:
                spots.append((p, 1, 2 if text[p + 1:p + 3] == "= " else 1))  # before `=` best, then any space
            elif p not in words and not (text[p - 1].isdigit() and text[p + 1].isdigit()):
                spots.append((p, 1, 1))
        elif not depth and ch == "·" and not sentence:
            spots.append((p + 1, 0, 0))
    places = [s[0] for s in spots]  # increasing: each line looks only at the spots within its reach
    deep_places = [s[0] for s in deep]
    cuts, start = [], 0
    while True:
        room = width - (len(lead) if cuts else 0)
        end, half = reach(start, room), reach(start, room // 2)
        if end >= len(text):  # the rest fits
            break
        first = bisect_right(places, start)
        fit = spots[first:bisect_right(places, end, first)]
        late = [s for s in fit if s[0] > half]  # not too early in the line
        best = max((s[2] for s in late), default=None)
        inner = [] if late else [s for s in deep[bisect_right(deep_places, start):
                                                 bisect_right(deep_places, end)] if s[0] > half]
        if inner:  # nothing to break at outside parentheses late in the line: the shallowest spot inside them
            shallow = min(s[2] for s in inner)
            late, best = [s for s in inner if s[2] == shallow], shallow
        pick = ([s for s in late if s[2] == best] or fit or spots[first:first + 1] or [None])[-1]
        if pick is None:
            break
        cuts.append(pick[:2])
        start = pick[0] + pick[1]
    out, pos, k = [], 0, 0
    for seg_text, style in segments:
        end = pos + len(seg_text)
        piece, at = [], pos
        while k < len(cuts) and cuts[k][0] < end:  # a cut at a boundary belongs to the next segment
            cut, dropped = cuts[k]
            if cut < pos:
                break
            piece.append(text[at:cut] + "\n" + lead)
            at = min(cut + dropped, end)
            k += 1
        piece.append(text[at:end] if at < end else "")
        out.append(("".join(piece), style))
        pos = end
    return out


def fold_text(text, width: int = WIDTH, indent: str = "    ", sentence: bool = False):
    """fold() for a Rich Text, its styles kept."""
    if text.cell_len <= width:
        return text
    from rich.text import Text

    cuts = sorted({at for span in text.spans for at in (span.start, span.end) if 0 < at < len(text)})
    pieces = text.divide(cuts)  # each piece has one set of styles over all of it
    out = Text(style=text.style)
    for folded, piece in fold([(piece.plain, piece) for piece in pieces], width, indent, sentence):
        part = Text(folded)
        for span in piece.spans:
            part.stylize(span.style)
        out.append_text(part)
    return out


def _beside_operators(text: str) -> set:
    """The positions of the spaces on either side of a word that is an operator (`@` in `W @ x`)."""
    out, at = set(), 0
    for word in text.split(" "):
        if word in OPERATOR:
            out.update((at - 1, at + len(word)))
        at += len(word) + 1
    return out
