"""Size budgets: how large a program's graph and its arrays may grow, checked before the work is done.

Each size is known before anything is allocated -- the nodes a function call adds are its body's, counted
before the body is copied; an array's element count comes from shape inference, before any value exists --
so an input that would need gigabytes is refused in milliseconds with one wording and exit 4 (too large).
Commands raise a budget with --max-nodes N / --max-elements N (one option each, commands/common.py).
"""
from __future__ import annotations

from contextlib import contextmanager

from ..errors import InputError, TooLargeError

# Defaults: 10^7 nodes is about 2 GB of tape at the ~200 bytes a node costs evaluated (README: Limits);
# 10^8 elements is 800 MB of float64; 20 000 formula nodes is a few seconds of symbolic work (diff --order);
# Graphviz lays out 3 000 nodes in seconds, 50 000 in many minutes.
DEFAULTS = {"nodes": 10_000_000, "elements": 100_000_000, "formula": 20_000, "drawn": 3_000}
OPTION = {"nodes": "--max-nodes", "elements": "--max-elements", "formula": "--max-formula", "drawn": "--max-drawn"}
UNIT = {"nodes": "nodes", "elements": "elements", "formula": "formula nodes", "drawn": "nodes"}


# Arrays have at most this many axes, whatever made them (--inputs' nesting, [[...]] in a program, stack,
# reshape's shape): numpy stops at 64, and shapes nested thousands deep would cost their square to infer.
# A fixed rule of the language, not a budget: no option raises it.
MAX_RANK = 8

# Input files are read at most this far: a program (-f or stdin) 64 MiB, a 10 MB program being 5 million
# nodes; an --inputs, assignment or answers file 512 MiB, a 3000×3000 matrix being about 170 MB of JSON.
PROGRAM_BYTES = 64 * 2 ** 20
INPUTS_BYTES = 512 * 2 ** 20


class _Limits:
    """The budgets in force (the command's options, or the defaults)."""

    def __init__(self):
        vars(self).update(DEFAULTS)


LIMITS = _Limits()


@contextmanager
def limits(**budgets):
    """`with limits(nodes=1000): ...`: other budgets for a while (library callers, tests)."""
    saved = dict(vars(LIMITS))
    vars(LIMITS).update({k: v for k, v in budgets.items() if v is not None})
    try:
        yield LIMITS
    finally:
        vars(LIMITS).update(saved)


def figure(n: int) -> str:
    """12 345 678; a power of two past 2^20 as 2^24 (16 777 216); past 10^15 as 1.0e+30."""
    if n >= 10 ** 15:
        return f"2^{n.bit_length() - 1}" if n & (n - 1) == 0 else f"{float(n):.1e}"
    text = f"{n:,}".replace(",", " ")
    if n > 2 ** 20 and n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1} ({text})"
    return text


def check(kind: str, size: int, what: str, **where) -> None:
    """Refuse `what` if it would need more than the `kind` budget (a key of DEFAULTS)."""
    if size > getattr(LIMITS, kind):
        raise too_large(kind, size, what, **where)


def too_large(kind: str, size: int | None, what: str, *, source: str | None = None, span=None,
              hint: str | None = None, **details) -> TooLargeError:
    """The one wording of a refused size: what, the size it needs (None: more than the budget, for work
    stopped as it crossed it), the budget and the option that raises it."""
    limit, unit = getattr(LIMITS, kind), UNIT[kind]
    needs = figure(size) if size is not None else "more than " + figure(limit)
    return TooLargeError(f"too large: {what} needs {needs} {unit}; the budget is {figure(limit)} {unit}",
                         source=source, span=span,
                         hint=hint or f"raise the budget with {OPTION[kind]} N, if the machine has the memory",
                         budget=OPTION[kind], size=(limit + 1 if size is None else size if size < 2 ** 53
                                                     else float(size)), limit=limit, **details)


def read_text(path: str, what: str, limit: int) -> str:
    """A text file's (or stdin's, for -) contents, read at most `limit` bytes far: /dev/zero, /dev/urandom,
    a FIFO that never ends or a binary file end in a clear message at once, not in a full memory."""
    return read_bytes(path, what, limit).decode("utf-8")


def read_bytes(path: str, what: str, limit: int) -> bytearray:
    """read_text's checks, the bytes kept (UTF-8, no NUL): JSON goes to orjson as it is, never copied to a str."""
    import codecs
    import sys

    name = "stdin" if path == "-" else path
    decoder, data = codecs.getincrementaldecoder("utf-8")(), bytearray()
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as e:
        raise InputError(f"cannot read {what} {name}: {e.strerror}") from None
    try:
        while chunk := stream.read(min(2 ** 20, limit + 1 - len(data))):
            data += chunk
            if len(data) > limit:
                raise TooLargeError(f"too large: {what} {name} is over {limit // 2 ** 20} MiB, the most cgrad reads")
            if not chunk.isascii() or decoder.getstate()[0]:  # ASCII is UTF-8: only the rest is decoded
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    raise InputError(f"{what} {name} is not UTF-8 text") from None
            if b"\0" in chunk:
                raise InputError(f"{what} {name} is not a text file (it holds NUL bytes)")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError(f"{what} {name} is not UTF-8 text (it ends inside a character)") from None
    except OSError as e:
        raise InputError(f"cannot read {what} {name}: {e.strerror}") from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return data
