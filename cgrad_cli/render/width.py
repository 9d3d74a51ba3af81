"""Every view fits an 80-column terminal, piped or not: prose is wrapped between words here, tables
are split or turned by their renderers, and nothing a number is written in is ever cut."""
from __future__ import annotations

import textwrap

WIDTH = 80


def prose(text: str, width: int = WIDTH, indent: str = "") -> str:
    """`text` wrapped between words to `width` columns; lines after the first indented by `indent`."""
    return textwrap.fill(text, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)
