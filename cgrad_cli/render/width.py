"""Every view fits an 80-column terminal, piped or not: prose is wrapped between words here, tables
are split or turned by their renderers, and nothing a number is written in is ever cut."""
from __future__ import annotations

import textwrap
from bisect import bisect_right

WIDTH = 80


def prose(text: str, width: int = WIDTH, indent: str = "") -> str:
    """`text` wrapped between words to `width` columns; lines after the first indented by `indent`."""
    return textwrap.fill(text, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def fold(segments: list, width: int = WIDTH, indent: str = "    ") -> list:
    """A line of (text, style) segments folded to `width` columns: broken only at a space or after a `·`
    outside parentheses, so a symbol (∂e/∂(a + b)), a factor or a number is never split; each further
    line starts with `indent` (after the line's own leading spaces) and, for an equation, with its `=`
    or `+`.  Returns the segments with newlines put in."""
    text = "".join(t for t, _ in segments)
    if len(text) <= width:
        return segments
    lead = indent + " " * (len(text) - len(text.lstrip(" ")))
    spots, depth = [], 0  # (position, characters dropped, between terms?) outside parentheses
    for p, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        elif not depth and ch == " " and text[p + 1:p + 2] not in (" ", "") and text[p - 1:p] not in (" ", ""):
            spots.append((p, 1, 2 if text[p + 1:p + 3] == "= " else 1))  # before `=` best, then any space
        elif not depth and ch == "·":
            spots.append((p + 1, 0, 0))
    places = [s[0] for s in spots]  # increasing: each line looks only at the spots within its reach
    cuts, start = [], 0
    while len(text) - start > width - (len(lead) if cuts else 0):
        room = width - (len(lead) if cuts else 0)
        first = bisect_right(places, start)
        fit = spots[first:bisect_right(places, start + room, first)]
        late = [s for s in fit if s[0] > start + room // 2]  # not too early in the line
        best = max((s[2] for s in late), default=None)
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
