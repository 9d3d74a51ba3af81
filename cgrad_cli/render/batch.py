"""`cgrad eval PROGRAM --batch FILE`: the same program at every point of a file, one JSON line out per point.

Input is NDJSON (one object per line, {"a": 2, "b": 1}) or CSV with a header row naming the
inputs; output is one line per non-blank input line, in input order (schema:
cgrad_cli/schemas/batch-line.schema.json):

    {"line":1,"value":6.0,"gradients":{"a":2.0,"b":5.0}}
    {"line":2,"error":{"kind":"input","message":"missing value for input b","exit_code":2,...}}

Each line is compact JSON as orjson writes it: no spaces, and every float in a shortest form
that reads back as the same float (laid out as orjson does: 1e-7 and 0.00005542204765028064
where Python's repr writes 1e-07 and 5.542204765028064e-05).  orjson is the batch path's JSON
both ways -- one orjson.loads per chunk, one orjson.dumps per output column -- and only the
batch path imports it (a bad line is still read by the stdlib json, for its messages).

The format is --batch-format's, else the file's extension's (.csv; .jsonl, .ndjson,
.json), else NDJSON when the first non-blank character is '{' and CSV otherwise.
`line` is the physical line of the input (counted from 1; blank lines are skipped and
give no output; in a CSV file the header is line 1).  Streaming: input is read as
it arrives (one read of whatever is available, at most 1 MiB), cut into chunks of at
most CGRAD_BATCH_CHUNK lines (4096), and each chunk is evaluated as columns -- one
forward and one backward sweep over numpy arrays, seed ones, which for an
elementwise program gives every point its own gradient -- then written and
flushed.  Memory is bounded by the chunk, not by the number of points.  The numbers
are those of single `cgrad eval --json` runs (for a transcendental function numpy and
the C library may round the last digit differently).  Where a convention gave the
derivative at a kink (relu'(0)), the points are counted and one summary line goes to
stderr.  A transient progress bar (bytes read) shows on stderr only when it is a
terminal and the input a regular file.

Worker processes: past its first chunks, a long input is evaluated by processes forked from this
one (CGRAD_BATCH_WORKERS; cgrad_cli/render/batch_workers.py says when they start and what they keep:
the output, byte for byte, its order, streaming and flat memory).  This module decides when
(SERIAL, PAYS) and evaluates the chunks; batch_workers runs the processes.

Bad lines never stop the run: invalid JSON, not an object, a missing, unknown or
non-numeric input, or an input also given on the command line (those are constants
merged into every point, and a line may not redefine them) get an error object on
their line.  When a chunk's array evaluation raises a math domain error, that chunk
is evaluated again point by point on the scalar path, so only the bad points get
error objects.  Exit 0 when every line succeeded, 1 when any failed; a bad batch
file, a bad CSV header, a program error or a tensor program is a usage error
(exit 2) reported before any output.
"""
from __future__ import annotations

import csv
import itertools
import json
import math
import os
import re
import stat
import sys
import time
from operator import itemgetter

import orjson  # the JSON of the batch path, in and out: the stdlib json module was its bottleneck

from ..core.autodiff import _finite_number, _inputs_hint
from ..core.ops import load_numpy
from ..core.graph import gc_paused
from .batch_workers import pieces_of, start_pool, worker_count
from ..errors import CgradError, InputError, as_options, listed, suggest

CHUNK = 4096  # lines evaluated together; CGRAD_BATCH_CHUNK overrides (the tests use tiny chunks)
READ = 1 << 20  # bytes asked for per read; a pipe hands over what it has (at most 64 KiB on Linux)
SERIAL = 4  # chunks evaluated in this process before any worker starts: small inputs never start one
PAYS = 32  # chunks left in a file, at least, for workers to start (below some 25 they cost more than they gain)


def chunk_size() -> int:
    text = os.environ.get("CGRAD_BATCH_CHUNK", "")
    try:
        return max(1, int(text)) if text else CHUNK
    except ValueError:
        return CHUNK


def run(graph, constants: dict, path: str, fmt: str | None = None, output: str | None = None,
        wrt: list | None = None) -> int:
    """Evaluate `graph` at every point of `path` (- for stdin); write the result lines; return the exit code."""
    batch = Batch(graph, constants, output, wrt)
    stream, size = _open(path)
    try:
        fmt, blocks = _format(path, fmt, _blocks(stream, size is not None))
        out = sys.stdout.buffer
        with _Progress(size) as progress:
            _evaluate_all(batch, fmt, blocks, out, progress, stream, size)
    finally:
        if path != "-":
            stream.close()
    return batch.report()


def _evaluate_all(batch: "Batch", fmt: str, blocks, out, progress: "_Progress", stream, total: int | None) -> None:
    """Chunk by chunk in this process; past the first SERIAL chunks, on worker processes if there are any
    and, in a file of known size, enough lines are left for them to pay (at least PAYS chunks' worth, by
    the length of the lines so far: starting and ending them costs some 15 ms)."""
    size, workers = chunk_size(), None
    pool, start, serial = None, 1, SERIAL
    try:
        for head, done, where in blocks:
            if pool is None:
                pieces = list(pieces_of(head, size))
                left = sum(count for _, count, _ in pieces)  # lines of the block not evaluated yet
                offset = 0  # where the piece begins in the block
                for piece, count, ends in pieces:
                    if serial <= 0 and (fmt != "csv" or batch.columns is not None):  # a CSV header is read here
                        if workers is None:
                            read = start - 1 + left  # lines read so far
                            ahead = left + (total - done) * read / done if total and done else None
                            workers = worker_count() if ahead is None or ahead >= PAYS * size else 0
                        if workers > 1:
                            pool = start_pool(batch, fmt, size, out, progress, stream, workers)
                            if pool is not None:
                                start = pool.feed_block(memoryview(head)[offset:], start, done,
                                                        None if where is None else where + offset)  # the rest
                                break
                            workers = 0  # no process to be had (a limit on processes, on memory): go on here
                    with gc_paused(freeze=False):
                        text = batch.block(bytes(piece), count, start, fmt, ends)
                    if text:
                        out.write(text)
                        out.flush()
                    progress.update(done)
                    start += count
                    left -= count
                    offset += len(piece)
                    serial -= 1
            else:
                start = pool.feed_block(head, start, done, where)
            if pool is not None:
                pool.before_read()
        if pool is not None:
            pool.drain()
    finally:
        if pool is not None:
            pool.close()


class Batch:
    """The program, checked once, and what every chunk shares: the per-point inputs, the output template."""

    def __init__(self, graph, constants: dict, output: str | None, wrt: list | None):
        from ..core.autodiff import output_node, wrt_nodes

        if graph.tensor:
            raise CgradError("--batch evaluates programs without tensor syntax only: this program uses tensors "
                             "(an array literal, @, sum, an index, ...), and batching it would need vmap",
                             hint="evaluate a tensor program one point at a time: cgrad eval PROGRAM --inputs FILE")
        for name, value in constants.items():
            if isinstance(value, list) or hasattr(value, "shape"):
                raise InputError(f"with --batch the values given on the command line are constants of every "
                                 f"point and must be numbers, but '{name}' is an array")
            if name not in graph.inputs:
                why = (f"'{name}' is assigned in the program, so it cannot be given as an input"
                       if name in graph.named else f"the program has no input '{name}'")
                raise InputError(why, hint=suggest(name, graph.inputs) or _inputs_hint(graph))
        self.graph = graph
        self.out = output_node(graph, output)
        wrt_nodes(graph, wrt or ())
        self.output, self.wrt = output, wrt
        self.constants = {name: float(value) for name, value in constants.items()}
        self.names = [name for name in graph.inputs if name not in constants]  # given by each point
        self.grad_names = list(graph.inputs) if wrt is None else list(wrt)
        self.grad_nodes = [graph.named[name] for name in self.grad_names]
        # One line of output, as orjson writes {"line": .., "value": .., "gradients": {..}}: compact, the
        # numbers filled in as orjson wrote them (floats in their shortest round-trip form).
        grads = b",".join(orjson.dumps(name).replace(b"%", b"%%") + b":%b" for name in self.grad_names)
        self.template = b'{"line":%b,"value":%b,"gradients":{' + grads + b"}}\n"
        self.columns = None  # CSV: the point's input names, column by column, once the header is read
        self.points = self.failed = self.kinks = 0
        self.first_error = self.first_kink = None

    # --- one chunk ---------------------------------------------------------------------------------------

    def block(self, text: bytes, count: int, start: int, fmt: str, ends) -> bytes:
        """The output for `count` input lines as read (each ending in a newline), the first of them line
        `start`; `ends`: the offsets just past each newline (pieces_of).  A chunk of good NDJSON points
        goes from the text to the arrays uncut (cutting 4096 lines apart to join them again cost a tenth
        of a point's time); anything else is cut into lines for `chunk`, which says what is wrong with
        each bad one."""
        if fmt == "ndjson" and b"\r" not in text:
            fast = self._fast_ndjson(text[:-1], count, ends)
            if fast is not None:
                self.points += count
                return self._evaluate(range(start, start + count), fast)
        return self.chunk(_split(text), start, fmt)

    def chunk(self, lines: list, start: int, fmt: str) -> bytes:
        """The output for input lines start, start+1, ... (bytes without their line ends): one line per
        non-blank line, each ending in a newline."""
        if fmt == "csv" and self.columns is None:
            lines, start = self._header(lines, start)
        numbers = range(start, start + len(lines))
        # None for a blank line, among others
        fast = self._fast_ndjson(b"\n".join(lines), len(lines)) if fmt == "ndjson" else None
        if fast is None:
            count = len(lines)
            if not all(lines) or any(map(bytes.isspace, lines)):  # blank lines give no output
                kept = [(n, line) for n, line in zip(numbers, lines) if line and not line.isspace()]
                numbers, lines = [n for n, _ in kept], [line for _, line in kept]
            if not lines:
                return b""
            if fmt == "csv":
                fast = self._fast_csv(lines)
            else:  # again without the blank lines and the spaces around objects, if there were any
                stripped = [line.strip(b" \t") for line in lines]
                if len(lines) < count or stripped != lines:
                    fast = self._fast_ndjson(b"\n".join(stripped), len(stripped))
        self.points += len(lines)
        if fast is not None:  # every line a good point: the common case
            return self._evaluate(numbers, fast)
        parse = self._point_csv if fmt == "csv" else self._point_ndjson
        results, good, columns = [], [], [[] for _ in self.names]
        for n, line in zip(numbers, lines):
            point = parse(line)
            if isinstance(point, CgradError):
                results.append(self._error(n, point))
                continue
            results.append(None)
            good.append(n)
            for column, value in zip(columns, point):
                column.append(value)
        if good:
            done = iter(self._evaluate(good, columns).split(b"\n"))
            results = [next(done) + b"\n" if line is None else line for line in results]
        return b"".join(results)

    def _evaluate(self, numbers, columns) -> bytes:
        """Result lines for good points: one array sweep over the chunk, or point by point if that raises."""
        from ..core.autodiff import backward

        np = load_numpy()
        n, g = len(numbers), self.graph
        if not g.inputs:  # nothing varies
            return self._one_by_one(numbers, [()] * n)
        try:
            ev = backward(g, self._forward(columns, n), self.out, seed=np.ones(n))
            value = np.broadcast_to(ev.values[self.out], (n,))
            grads = [np.broadcast_to(ev.grad(i), (n,)) for i in self.grad_nodes]
        except (CgradError, ArithmeticError, ValueError):  # a domain error in the chunk: find its points
            if hasattr(columns, "tolist"):
                columns = columns.tolist()  # Python floats: the scalar path
            return self._one_by_one(numbers, list(zip(*columns)) if len(columns) else [()] * n)
        if ev.warnings:
            self._count_kinks(ev, numbers, n)
        return self._lines(numbers, value, grads)

    def _lines(self, numbers, value, grads: list) -> bytes:
        """The result lines, from columns: orjson writes each column as one JSON array, whose items
        are then filled into the template -- one % for the whole chunk, no Python loop over the points."""
        np = load_numpy()
        dumps, option = orjson.dumps, orjson.OPT_SERIALIZE_NUMPY
        numbers = np.arange(numbers.start, numbers.stop) if isinstance(numbers, range) else list(numbers)
        fields = [dumps(numbers, option=option)[1:-1].split(b",")]
        fields += [dumps(np.ascontiguousarray(column), option=option)[1:-1].split(b",") for column in (value, *grads)]
        n, k = len(fields[0]), len(fields)
        flat = [b""] * (n * k)
        for j, column in enumerate(fields):
            flat[j::k] = column
        return (self.template * n) % tuple(flat)

    def _forward(self, columns, n: int) -> list:
        """autodiff.forward over the chunk: each input a float64 column, a constant repeated as one
        (so each point gets its own gradient).  A floating-point error raises: the caller then takes
        the scalar path, which says where."""
        from ..core.autodiff import forward

        np = load_numpy()
        inputs = {name: np.asarray(column, dtype=float) for name, column in zip(self.names, columns)}
        inputs.update((name, np.full(n, value)) for name, value in self.constants.items())
        return forward(self.graph, inputs)

    def _one_by_one(self, numbers, points: list) -> bytes:
        """The scalar path, one point at a time: each bad point gets its own error object."""
        from ..core.autodiff import evaluate

        results, dumps = [], orjson.dumps
        for k, point in zip(numbers, points):
            inputs = dict(zip(self.names, point))
            inputs.update(self.constants)
            try:
                ev = evaluate(self.graph, inputs, output=self.output, wrt=self.wrt)
            except CgradError as e:
                results.append(self._error(k, e))
                continue
            if ev.warnings:
                self.kinks += 1
                if self.first_kink is None:
                    self.first_kink = (k, ev.warnings[0][1])
            results.append(self.template % (dumps(k), dumps(ev.value, option=orjson.OPT_SERIALIZE_NUMPY),
                                            *(dumps(ev.grads[i], option=orjson.OPT_SERIALIZE_NUMPY)
                                              for i in self.grad_nodes)))
        return b"".join(results)

    def _count_kinks(self, ev, numbers: list, n: int) -> None:
        np = load_numpy()
        g, hit = self.graph, np.zeros(n, dtype=bool)
        for i, _ in ev.warnings:
            hit |= np.broadcast_to(g.ops[i].kink(*(ev.values[a] for a in g.args[i])), (n,))
        count = int(hit.sum())
        self.kinks += count
        if count and self.first_kink is None:
            k = int(hit.argmax())
            first = next(message for i, message in ev.warnings
                         if np.broadcast_to(g.ops[i].kink(*(ev.values[a] for a in g.args[i])), (n,))[k])
            self.first_kink = (numbers[k], first)

    def _error(self, n: int, e: CgradError) -> bytes:
        self.failed += 1
        if self.first_error is None:
            self.first_error = (n, e.message)
        doc = {"line": n, "error": e.to_json()["error"]}
        try:
            return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # a lone surrogate from the line ("\ud800") in the message: written as an escape
            return (json.dumps(doc, default=_plain, separators=(",", ":")) + "\n").encode()

    # --- NDJSON ------------------------------------------------------------------------------------------

    def _fast_ndjson(self, text: bytes, n: int, ends=None):
        """The columns (an array, one row per input) of a chunk of n lines whose every line is a good point,
        or None: then each line is looked at, and said what is wrong with it.  `text` is the lines joined
        by newlines; `ends`, if known, the offsets just past them (and one past the end).

        One orjson.loads for the chunk, as one array: "[" + the lines joined by commas + "]".  Each
        line must begin with { and end with }, so lines meet as "},{"; then a line cannot run into
        the next one unnoticed: where two lines would make one item, that "},{" ends up inside it --
        in a string (a key that is no input, a value that is no number) or in an array or object
        inside it (a value that is no number) -- and the checks below fail.  Without such a merge
        every line gives at least one item, so as many items as lines means one object per line.
        """
        if text[:1] != b"{" or text[-1:] != b"}" or not _one_object_a_line(text, n, ends):
            return None
        try:
            rows = orjson.loads(b"[" + text.replace(b"\n", b",") + b"]")
        except orjson.JSONDecodeError:  # also for text that is not UTF-8
            return None
        k = len(self.names)
        if len(rows) != n:
            return None
        try:  # TypeError: an item that is no object; KeyError: an object without an input
            columns = [list(map(itemgetter(name), rows)) for name in self.names]
        except (TypeError, KeyError):
            return None
        if set(map(len, rows)) != {k} or not all(set(map(type, column)) <= _NUMBER_TYPES for column in columns):
            return None  # an unknown input; a value that is no number (true and false are none either)
        np = load_numpy()
        columns = np.array(columns, dtype=float).reshape(k, n)
        return columns if np.isfinite(columns).all() else None  # orjson reads no inf: to be sure

    def _point_ndjson(self, line: bytes):
        """One line's point as a tuple in input order, or the InputError that says what is wrong with it."""
        try:  # the stdlib here, off the fast path: its messages, and NaN or 1e999 read as what they say
            point = json.loads(line)
        except UnicodeDecodeError:
            return InputError("the line is not UTF-8 text")
        except json.JSONDecodeError as e:
            return InputError(f"the line is not valid JSON: {e.msg} at column {e.colno}")
        except RecursionError:  # [[[[…]]]] 50 000 deep: this line's error, the run goes on
            return InputError("the line is nested too deep: a point's values are numbers")
        if not isinstance(point, dict):
            return InputError(f"a line must hold a JSON object such as {self._example()}, not {_kind(point)}")
        return self._point(point)

    def _point(self, point: dict):
        clash = [name for name in point if name in self.constants]
        if clash:
            name = clash[0]
            return InputError(f"input '{name}' is given on the command line (a constant of every point), "
                              f"so a line may not give it too", hint=f"remove --{name} from the command line, "
                                                                    f"or '{name}' from the line")
        from ..core.autodiff import check_inputs

        try:  # missing and unknown names, said as a single evaluation would say it
            check_inputs(self.graph, {name: 0.0 for name in [*point, *self.constants]})
        except InputError as e:
            if "missing" in e.details:
                e.hint = "give every point a value for each input, or give it on the command line " \
                         "as a constant of every point: " + " ".join(f"--{n} VALUE" for n in e.details["missing"])
            return e
        for name in self.names:
            value = point[name]
            if type(value) not in _NUMBER_TYPES or not _finite_number(value):
                if type(value) in _NUMBER_TYPES and value == value:  # 1e999 reads as inf, 10**400 is no float
                    return InputError(f"the value of input '{name}' is beyond the range of float64 (about ±1.8e308)")
                shown = json.dumps(value, ensure_ascii=False) if _jsonable(value) else "NaN"
                shown = shown if len(shown) < 40 else shown[:37] + "..."
                return InputError(f"the value of input '{name}' must be a finite number, not {shown}")
        return tuple(point[name] for name in self.names)

    def _example(self) -> str:
        return "{" + ", ".join(f'"{name}": {k + 1}' for k, name in enumerate(self.names[:3])) + "}"

    # --- CSV ---------------------------------------------------------------------------------------------

    def _header(self, lines: list, start: int):
        """Read the header (the first non-blank line); return the lines after it."""
        for k, line in enumerate(lines):
            if line and not line.isspace():
                break
        else:
            return [], start + len(lines)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"--batch: the CSV header (line {start + k}) is not UTF-8 text") from None
        names = [name.strip() for name in next(csv.reader([text]))]
        where = f"the CSV header (line {start + k})"
        if any(not name for name in names):
            raise InputError(f"--batch: {where} has an empty column name",
                             hint="the first line names the inputs: " + ",".join(self.names or ["a", "b"]))
        seen = set()
        for name in names:
            if name in seen:
                raise InputError(f"--batch: {where} names '{name}' twice")
            seen.add(name)
            if name in self.constants:
                raise InputError(f"--batch: {where} names '{name}', which is also given on the command line",
                                 hint=f"remove --{name} from the command line, or the column from the file")
            if name not in self.graph.inputs:
                why = (f"'{name}' is assigned in the program, so it cannot be given as an input"
                       if name in self.graph.named else f"the program has no input '{name}'")
                raise InputError(f"--batch: {where} names a column '{name}', but {why}",
                                 hint=suggest(name, [n for n in self.names if n not in seen])
                                 or _inputs_hint(self.graph))
        missing = [name for name in self.names if name not in seen]
        if missing:
            s = "s" if len(missing) > 1 else ""
            raise InputError(f"--batch: {where} has no column for input{s} " + listed(missing),
                             hint="give it a column, or give it on the command line as a constant: "
                                  + as_options(missing))
        self.columns = names
        self.order = [names.index(name) for name in self.names]  # file column -> input order
        return lines[k + 1:], start + k + 1

    def _fast_csv(self, lines: list):
        """The columns of a chunk whose every row is a good point, or None (then each row is looked at)."""
        k = len(self.columns)
        text = b"\n".join(lines)
        if not text.translate(None, _CSV_NUMBER_BYTES):  # JSON numbers only: one orjson.loads, a line an array
            try:
                rows = orjson.loads(b"[[" + text.replace(b"\n", b"],[") + b"]]")
            except orjson.JSONDecodeError:  # 1_0, .5, +1, 1e999, an empty field: float() decides below
                rows = None
            if rows is not None and len(rows) == len(lines) and set(map(len, rows)) == {k}:
                np = load_numpy()
                table = np.array(rows, dtype=float).reshape(len(rows), k)
                if not (table == 0).any() or not _NEGATIVE_ZERO.search(text):  # JSON reads -0 as the integer 0
                    return np.ascontiguousarray(table.T[self.order])
        if b'"' in text:
            return None
        rows = [line.split(b",") for line in lines]
        if any(len(row) != k for row in rows):
            return None
        try:
            fields = list(zip(*rows))
            columns = [list(map(float, fields[j])) for j in self.order]
        except ValueError:
            return None
        return columns if all(_finite_column(column) for column in columns) else None

    def _point_csv(self, line: bytes):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return InputError("the line is not UTF-8 text")
        try:
            fields = next(csv.reader([text]))
        except csv.Error as e:
            return InputError(f"the line is not valid CSV: {e}")
        if len(fields) != len(self.columns):
            return InputError(f"the line has {len(fields)} field{'s' if len(fields) != 1 else ''}, "
                              f"the header {len(self.columns)}: " + ",".join(self.columns))
        point = []
        for j in self.order:
            name, field = self.columns[j], fields[j].strip()
            if not field:
                return InputError(f"missing value for input {name} (an empty field)")
            try:
                value = float(field)
            except ValueError:
                value = None
            if value is None or not math.isfinite(value):
                shown = field if len(field) < 40 else field[:37] + "..."
                return InputError(f"the value of input '{name}' must be a finite number, not {shown!r}")
            point.append(value)
        return tuple(point)

    # --- the counts, across processes ------------------------------------------------------------------

    def task(self, task: bytes, start: int, fmt: str, size: int) -> tuple:
        """A worker's task: its output lines, and its counts (points, failures, kinks), chunk by chunk."""
        self.reset()
        texts = []
        for piece, count, ends in pieces_of(task, size):
            with gc_paused(freeze=False):
                texts.append(self.block(bytes(piece), count, start, fmt, ends))
            start += count
        return b"".join(texts), self.counts()

    def reset(self) -> None:
        self.points = self.failed = self.kinks = 0
        self.first_error = self.first_kink = None

    def counts(self) -> tuple:
        return self.points, self.failed, self.first_error, self.kinks, self.first_kink

    def merge(self, counts: tuple) -> None:
        """Add the counts of the lines after those counted so far."""
        points, failed, first_error, kinks, first_kink = counts
        self.points += points
        self.failed += failed
        self.kinks += kinks
        if self.first_error is None:
            self.first_error = first_error
        if self.first_kink is None:
            self.first_kink = first_kink

    # --- the end -----------------------------------------------------------------------------------------

    def report(self) -> int:
        """Summaries on stderr (kinks, failures); the exit code: 1 if any line failed."""
        from ..errors import echo
        from .width import diagnostic

        if self.kinks:
            line, message = self.first_kink
            s = "s" if self.kinks > 1 else ""
            echo(diagnostic(f"warning: {self.kinks} of {self.points} point{'s' if self.points > 1 else ''} "
                                  f"landed on a kink, where a convention gives the derivative{s}; the first, at "
                                  f"input line {line}: {message}"), err=True)
        if self.failed:
            line, message = self.first_error
            echo(diagnostic(f"error: {self.failed} of {self.points} point{'s' if self.points > 1 else ''} "
                                  f"failed (each has an error object on its line); the first, at input line "
                                  f"{line}: {message}"), err=True)
            return 1
        return 0


# --- reading ---------------------------------------------------------------------------------------------

def _open(path: str):
    """The binary stream to read, and its size in bytes when it is a regular file (for the progress bar)."""
    if path == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(path, "rb")
        except OSError as e:
            raise InputError(f"--batch: cannot read {path}: {e.strerror}") from None
    try:
        info = os.fstat(stream.fileno())
        size = info.st_size if stat.S_ISREG(info.st_mode) else None
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both OSError and ValueError
        size = None
    return stream, size


def _blocks(stream, regular: bool = False):
    """(complete lines, bytes read so far, where they begin in the file) for each read: the lines as one bytes
    object, each line ending in a newline (the last line of the input gets one if it lacks it: that block,
    no longer the file's bytes, and any block of a stream that is not a regular file, begins at None)."""
    read = getattr(stream, "read1", stream.read)
    rest, done, first = [], 0, True
    position = _tell(stream) if regular else None  # of the next block in the file
    while True:
        try:
            data = read(READ)
        except OSError as e:
            raise InputError(f"--batch: cannot read the input: {e.strerror}") from None
        if not data:
            tail = b"".join(rest)
            if tail:
                yield tail.rstrip(b"\r") + b"\n", done, None
            return
        done += len(data)
        if first and data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
            data = data[3:]
            position = None if position is None else position + 3
        first = False
        cut = data.rfind(b"\n") + 1
        if not cut:
            rest.append(data)
            continue
        if cut == len(data):
            head = b"".join((*rest, data)) if rest else data
            rest = []
        else:
            head = b"".join((*rest, memoryview(data)[:cut]))  # one copy
            rest = [data[cut:]]
        yield head, done, position
        position = None if position is None else position + len(head)


def _tell(stream) -> int | None:
    try:
        return stream.tell()  # 0 for a file opened here; stdin redirected from a file may be past its start
    except (OSError, ValueError, AttributeError):
        return None


def _split(head: bytes) -> list:
    """The lines of a block (without their line ends: a newline, or a carriage return and a newline)."""
    lines = head.split(b"\n")
    lines.pop()  # the empty string after the last newline
    if b"\r" in head:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    return lines


def _format(path: str, fmt: str | None, blocks):
    """The input's format (forced, by extension, or by its first non-blank character), and the blocks."""
    if fmt is None:
        extension = os.path.splitext(path)[1].lower() if path != "-" else ""
        if extension == ".csv":
            fmt = "csv"
        elif extension in (".jsonl", ".ndjson", ".json"):
            fmt = "ndjson"
    if fmt is not None:
        return fmt, blocks
    seen = []
    for block in blocks:
        seen.append(block)
        text = block[0].lstrip()[:1]  # the first character of the first non-blank line
        if text:
            fmt = "ndjson" if text.startswith(b"{") else "csv"
            break
    return fmt or "ndjson", itertools.chain(seen, blocks)


class _Progress:
    """A transient Rich progress bar on stderr, by bytes read: only on a terminal, only for a file, and only
    while the results go elsewhere (a file, a pipe): results on the same terminal show the progress
    themselves, and a bar drawn between their lines garbles both.  Redrawn from update() at most 10 times
    a second, not by a thread of its own: worker processes are forked in the middle of the run, and a fork
    copies no thread but every lock one holds."""

    def __init__(self, size: int | None):
        self.bar, self.shown = None, 0.0
        if size and sys.stderr.isatty() and not sys.stdout.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                                auto_refresh=False)
            self.task = self.bar.add_task("cgrad --batch", total=size)

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def update(self, done: int) -> None:
        if self.bar is not None:
            now = time.monotonic()
            refresh = now - self.shown >= 0.1
            self.bar.update(self.task, completed=done, refresh=refresh)
            if refresh:
                self.shown = now

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


# --- small helpers ---------------------------------------------------------------------------------------

def _one_object_a_line(text: bytes, n: int, ends) -> bool:
    """Whether every newline of `text` (n lines) has } before it and { after it: "}\n{" n - 1 times, found
    from where the newlines are when that is known (a tenth of the time of bytes.count)."""
    if ends is None:
        return text.count(b"}\n{") == n - 1
    np = load_numpy()
    inner, buffer = ends[:-1], np.frombuffer(text, dtype=np.uint8)
    return bool((buffer[inner - 2] == ord("}")).all() and (buffer[inner] == ord("{")).all())


_NUMBER_TYPES = {int, float}
_CSV_NUMBER_BYTES = b"0123456789.eE+-, \t\n"  # a CSV chunk of JSON numbers has no other byte
_NEGATIVE_ZERO = re.compile(rb"-0(?![0-9.eE])")


def _finite_column(column: list) -> bool:
    np = load_numpy()
    return bool(np.isfinite(np.array(column, dtype=float)).all())


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else str(value)


def _jsonable(value) -> bool:
    try:
        json.dumps(value, allow_nan=False)
        return True
    except (ValueError, RecursionError):
        return False


def _kind(value) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "a number"
