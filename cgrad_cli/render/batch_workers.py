"""Worker processes for `cgrad eval --batch`: a long input's chunks evaluated on forked copies of this process.

Why: evaluating a chunk (decoding its JSON, one array sweep, formatting its lines) is CPU-bound
Python, so one process keeps one CPU busy; workers spread the chunks over the others.  On 2
(virtual) CPUs of an idle machine they gave 1.3-1.8x the points per second of one process at 1e6
points (benchmarks/batch_bench.py) -- never 2x: each CPU of this VM runs some 25% slower when both
are busy, and start-up and the first chunks are one process's --; on a machine other work keeps
busy (a load of 4-5 on 2 CPUs) they about break even, 0.7-1.1x: the kernel's autogroups give the
run's session its share of the CPUs however many processes it has (README, Performance).

When: a long input is evaluated by CGRAD_BATCH_WORKERS processes forked from this one (0 or 1: none,
all in this process; by default one per CPU, at most 2 -- worker_count), where fork is safe (Linux;
not macOS or Windows): they inherit the checked program instead of pickling it.  batch.run decides:
the first 4 chunks (batch.SERIAL) are always evaluated in the main process, and from a file of
known size the workers start only if 32 chunks' worth of lines or more are left (batch.PAYS;
starting and ending them costs some 15 ms): a short input never starts one.  If not all of them can
be forked (a limit on processes, on memory), the run goes on in the main process.

Who moves the bytes: the main process reads the input and cuts it into the same chunks as without
workers, and task k (TASK chunks) goes to worker k mod n.  From a regular file a task is only where
its lines are (offset and length: the worker reads them itself with pread), else its lines are piped
along.  When stdout is a file descriptor (a file, a pipe, a terminal), each worker writes its results
there itself, when its turn comes: the turns go round the workers on a ring of pipes, one byte each,
so the results come out in input order, each chunk as soon as it and those before it are done (a
worker waiting for its turn evaluates the tasks it has meanwhile: one worker held up by other work on
the machine holds the other up less); else (a stream in memory, as click's test runner has it) the
results are piped back to the main process, which writes them in order.  So on a file the main
process moves no point's bytes but to find the lines, and the workers have the CPUs.  At most 3 tasks
(WINDOW) per worker are in flight: streaming and flat memory as without workers.

What stays the same: the workers inherit the checked program and send back their counts of points,
failures and kinks, so stdout, the summary on stderr and the exit code are byte for byte those of a
run in one process (the tests run both).  A worker prints nothing else; an exception in it is raised
again in the main process (an internal error, exit 70, as it would be without workers), a worker that
dies is one too (WorkerError: never a hang) -- the workers after it never get their turn, so nothing
after its chunk is written (nor what it had evaluated and not yet written) --, a failed write of
stdout is raised there as the same OSError (a reader that left, `| head -1`: exit 0; a full disk:
exit 74), and Ctrl-C ends the workers with the run.

This module imports nothing of batch (batch imports it): a worker is handed the Batch and runs its
`task` method.
"""
from __future__ import annotations

import gc
import os
import stat
import struct
import sys

TASK = 1  # chunks per task sent to a worker (more made no difference: the pipes carry 1 MiB at once)
WINDOW = 3  # tasks in flight per worker (sent, or done and waiting to be written in order)


def worker_count() -> int:
    """Worker processes for a long input: CGRAD_BATCH_WORKERS (0 or 1: none), by default one per CPU, at
    most 2; none where processes cannot be forked (they inherit the parsed program instead of pickling it)."""
    if not _can_fork():
        return 0
    text = os.environ.get("CGRAD_BATCH_WORKERS", "").strip()
    try:
        return max(0, int(text)) if text else min(2, _cpus())
    except ValueError:
        return min(2, _cpus())


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (a container may have fewer)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _can_fork() -> bool:
    import multiprocessing

    # macOS has fork, but its system libraries are not safe to use in a forked child
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def start_pool(batch, fmt: str, size: int, out, progress, stream, workers: int) -> "Pool | None":
    """A Pool of `workers` forked processes, or None if not all of them could be forked (a limit on
    processes, on memory): those that were are ended, and the run goes on in this process."""
    pool = Pool(batch, fmt, size, out, progress, stream)
    try:
        pool.start(workers)
    except OSError:
        pool.close()
        return None
    except BaseException:  # Ctrl-C while forking: the workers end with the run
        pool.close()
        raise
    return pool


class Pool:
    """Worker processes, forked from this one, evaluating tasks (TASK chunks' lines) in input order.

    Task k goes to worker k mod n, which does them one after the other, so the results come back in
    order by taking them from the workers in turn (and a worker writing stdout itself has its turn
    after the worker before it).  At most WINDOW tasks per worker are in flight (memory stays flat);
    the results at the head of the window are taken as soon as they are there, and all of them before
    a read that would wait (a slow producer still sees its results).  Each worker runs Batch.task on
    its own copy of the Batch -- the program, the CSV columns, inherited through fork, nothing pickled
    -- writes the lines or sends them back, and sends the counts (points, failures, kinks), merged here
    in input order: stdout, the summary on stderr and the exit code are those of a run in one process
    (the chunks are the same).

    A worker prints nothing (its sys.stdout and sys.stderr are os.devnull; Ctrl-C, which reaches the
    whole process group, it leaves to this process).  An exception in a worker is sent here and raised
    again (an internal error, exit 70; --debug shows the worker's traceback); a worker that dies
    (killed) closes its pipes, and that is raised here too -- nothing waits forever, not even the
    worker waiting for its turn after it: the end of a pipe is the end of the turns.  Tasks of lines
    are sent by one thread per worker, so that this thread never waits on a worker's full pipe while
    that worker waits for this one to take a result: the oldest task's worker can always finish it
    (a task that is a range of the file is a few bytes, sent from this thread).
    Closing (at the end, or on an error, Ctrl-C or a closed stdout) ends the workers: no more tasks,
    their pipes closed, and whichever has not exited within seconds is terminated."""

    def __init__(self, batch, fmt: str, size: int, out, progress, stream):
        import collections
        import threading

        self.batch, self.fmt, self.size, self.out, self.progress = batch, fmt, size, out, progress
        self.window, self.turn = collections.deque(), 0
        self.ready = _readiness(stream)
        self.source = _descriptor(stream)  # read by the workers themselves, where a task is a range of the file
        self.sink = _descriptor(out)  # written by the workers themselves, in turn (else their results come here)
        self.pipes, self.processes, self.results, self.queues, self.senders = [], [], [], [], []
        self.batons = []  # the workers' ring of turns to write: worker k reads batons[k], writes batons[k + 1]
        self.queued = []  # per worker: whether a task went to its sender thread (then all after it do)
        self.stop = threading.Event()

    def start(self, workers: int) -> None:
        """Fork the workers (OSError if that fails: the caller closes the pool and goes on without)."""
        import multiprocessing
        import queue
        import signal
        import threading

        context = multiprocessing.get_context("fork")
        self.limit = WINDOW * workers
        self.queued = [False] * workers
        # per worker: (its task pipe's end, ours), (our result pipe's end, its)
        self.pipes = [context.Pipe(duplex=False) + context.Pipe(duplex=False) for _ in range(workers)]
        for tasks, _, _, results in self.pipes:
            _widen(tasks)
            _widen(results)
        self.out.flush()
        if self.sink is not None:
            self.batons = [os.pipe() for _ in range(workers)]
            os.write(self.batons[0][1], b".")  # the first task's worker writes first: all before it is out
        gc.freeze()  # what exists now is shared with the workers: their collector is not to touch (and copy) it
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # until the workers have turned it off
        try:
            for k, (tasks, _, _, results) in enumerate(self.pipes):
                others = [c for pipes in self.pipes for c in pipes if c is not tasks and c is not results]
                turns = (self.batons[k][0], self.batons[(k + 1) % workers][1]) if self.batons else None
                process = context.Process(target=_worker_main, name=f"cgrad-batch-{k + 1}", daemon=True,
                                          args=(self.batch, self.fmt, self.size, tasks, results, others,
                                                self.source, self.sink, turns, self.batons))
                process.start()
                self.processes.append(process)
        finally:
            gc.unfreeze()
            for tasks, _, _, results in self.pipes:  # the workers' ends
                tasks.close()
                results.close()
            for ends in self.batons:  # the workers' too
                os.close(ends[0])
                os.close(ends[1])
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C meanwhile is raised here: the caller closes
        for _, to_worker, from_worker, _ in self.pipes:
            self.results.append(from_worker)
            self.queues.append(queue.SimpleQueue())
            self.senders.append(threading.Thread(target=_sender, args=(self.queues[-1], to_worker, self.stop),
                                                 name="cgrad-batch-send", daemon=True))
            self.senders[-1].start()

    def feed_block(self, head: bytes, start: int, done: int, where: int | None = None) -> int:
        """Submit a block's lines (as read: each ending in a newline), the first of them input line
        `start`, in tasks of TASK chunks; return the number of the line after them.  `where`: the block's
        offset in the input file, if it is the file's bytes as they are there -- then a task says only where
        its lines are, and its worker reads them itself."""
        for task, count, _ in pieces_of(head, self.size * TASK):
            if where is not None and self.source is not None:
                task, where = (where, len(task)), where + len(task)
            self.submit(task, start, count, done)
            start += count
        return start

    def submit(self, task, start: int, count: int, done: int) -> None:
        """Send a task -- its lines as bytes, or (offset, length) of them in the input file -- to the next
        worker in turn; `count` lines, the first of them input line `start`."""
        while len(self.window) >= self.limit:
            self._write()
        where, length = task if isinstance(task, tuple) else (-1, 0)
        header = _HEADER.pack(start, where, length)
        if where >= 0 and not self.queued[self.turn]:  # a few bytes: sent from here (a thread's wake-up costs more)
            try:  # a pipe 1 MiB wide holds the WINDOW of them: this never waits
                self.pipes[self.turn][1].send_bytes(header)
            except OSError:  # the worker is gone: found out from its result pipe
                pass
        else:  # lines: by its sender thread, which also sends whatever comes after them to this worker
            self.queued[self.turn] = True
            self.queues[self.turn].put((header, None if where >= 0 else task))
        self.window.append((self.turn, done))
        self.turn = (self.turn + 1) % len(self.queues)
        while self.window and self.results[self.window[0][0]].poll():
            self._write()

    def before_read(self) -> None:
        if self.window and not self.ready():
            self.drain()

    def drain(self) -> None:
        while self.window:
            self._write()

    def _write(self) -> None:
        k, done = self.window.popleft()
        try:
            message = self.results[k].recv()
            text = self.results[k].recv_bytes() if message[0] == "ok" and self.sink is None else b""
        except (EOFError, OSError) as e:
            process = self.processes[k]
            process.join(1)
            raise WorkerError(f"--batch worker process {k + 1} of {len(self.processes)} ended unexpectedly "
                              f"(exit code {process.exitcode})") from e
        if message[0] == "error":
            _, error, trace = message
            error.__cause__ = _WorkerTraceback(trace)
            raise error
        if message[0] == "output":  # writing stdout failed: a reader that left, a full disk (cli.py says which)
            raise OSError(*message[1:])
        self.batch.merge(message[1])
        if text:
            self.out.write(text)
            self.out.flush()
        self.progress.update(done)

    def close(self) -> None:
        """No more tasks; the workers exit (those still busy: once their task is done).  Also after a
        start that failed or was interrupted half-way."""
        self.stop.set()
        for tasks in self.queues:
            tasks.put(None)  # its sender closes the task pipe: the worker reads its end and exits
        for k, (_, to_worker, from_worker, _) in enumerate(self.pipes):
            from_worker.close()  # a worker sending a result no one will read gets EPIPE, and exits
            if k >= len(self.senders):
                to_worker.close()
        for process in self.processes:
            process.join(5)
            if process.exitcode is None:
                process.terminate()
                process.join()
        for sender in self.senders:
            sender.join(5)


def pieces_of(head, step: int):
    """(a view of the lines, their number, where each line ends in it) for a block's lines (each ending in a
    newline), `step` lines at a time; the ends are the offsets just past each newline, as a numpy array."""
    from ..core.ops import load_numpy

    np = load_numpy()
    ends = np.flatnonzero(np.frombuffer(head, dtype=np.uint8) == 10) + 1  # faster than bytes.count, and says where
    count, begin, view = len(ends), 0, memoryview(head)
    for j in range(0, count, step):
        end = int(ends[min(j + step, count) - 1])
        yield view[begin:end], min(step, count - j), ends[j:j + step] - begin  # sent as it is: not copied here
        begin = end


def _widen(connection) -> None:
    """A pipe as wide as Linux allows without privileges (1 MiB; 64 KiB by default): a task or a result is
    then written in one go, without waiting for the other end to take the first 64 KiB, and the next."""
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


class WorkerError(RuntimeError):
    """A --batch worker process ended without a word (killed, out of memory): a bug or the system's doing."""


class _WorkerTraceback(Exception):
    """Where a worker raised: the cause of the exception raised again in the main process."""

    def __str__(self) -> str:
        return "\n(in the worker process)\n" + self.args[0]


def _sender(tasks, connection, stop) -> None:
    """One per worker, in the main process: sends its tasks; on the end (None) closes the pipe: the worker exits."""
    try:
        while True:
            task = tasks.get()
            if task is None or stop.is_set():
                break
            connection.send_bytes(task[0])  # the number of its first line, and where its lines are in the file
            if task[1] is not None:
                connection.send_bytes(task[1])  # else its lines: not pickled, not copied
    except Exception:  # the worker is gone: the main process finds out from the other pipe
        pass
    finally:
        connection.close()


def _worker_main(batch, fmt: str, size: int, tasks, results, others, source, sink, turns, batons) -> None:
    """A worker process: evaluates tasks until its task pipe is closed.  With `sink` (the output's file
    descriptor) it writes its results there itself, when its turn comes (`turns`: the pipe it waits on,
    the one it hands the turn on with), evaluating the tasks it has meanwhile; else it sends them to the
    main process."""
    import collections
    import select
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the main process
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # ends the run (blocked since the fork)
    for connection in others:  # the other workers' pipes and the main process's ends: else no end-of-file would come
        connection.close()
    for end in {end for ends in batons for end in ends} - set(turns or ()):  # so: a turn never comes when the
        os.close(end)  # worker before this one has ended
    if sink is not None:
        sink = os.dup(sink)  # its own, kept through what follows
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # no stray print reaches stdout; and the results go out through `sink`
    os.dup2(null, 2)
    os.close(null)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # fresh objects, holding no lock of the parent's
    done = collections.deque()  # results waiting for the turn: ("ok", counts, text) or ("error", ...), in order
    while True:
        if done and turns[0] in select.select([turns[0], tasks], [], [])[0]:  # the turn (or else a next task)
            if not os.read(turns[0], 1):  # the worker before this one ended (an error): so does this one
                return
            message = done.popleft()
            if message[0] == "ok":
                try:
                    _write_all(sink, message[2])
                except OSError as e:  # the main process raises it: cli.py says what it was
                    message = ("output", e.errno, e.strerror)
                else:
                    os.write(turns[1], b".")  # the next task's turn
            if not _send(results, message) or message[0] != "ok":
                return
            continue
        try:
            start, where, length = _HEADER.unpack(tasks.recv_bytes())
            task = None if where >= 0 else tasks.recv_bytes()
        except (EOFError, OSError):
            return
        message = _evaluate(batch, task if task is not None else (source, where, length), start, fmt, size)
        if sink is not None:
            done.append(message)  # sent in its turn: the main process takes the results in task order
        elif not _send(results, message, with_text=True) or message[0] != "ok":
            return


def _evaluate(batch, task, start: int, fmt: str, size: int) -> tuple:
    """("ok", counts, the result lines) for a task (its lines, or where they are in the input file), or
    ("error", the exception, its traceback) for a bug."""
    import traceback

    try:
        lines = _read_range(*task) if isinstance(task, tuple) else task
        text, counts = batch.task(lines, start, fmt, size)
    except BaseException as e:  # a bug: the main process raises it
        return "error", e, traceback.format_exc()
    return "ok", counts, text


def _send(results, message: tuple, with_text: bool = False) -> bool:
    """Send a result to the main process (the counts, and the lines `with_text`), an error, or a failed
    write; False if the main process stopped reading (an error, a closed stdout)."""
    try:
        if message[0] != "ok":
            try:
                results.send(message)
            except OSError:
                raise
            except Exception:  # an exception that does not pickle
                _, e, trace = message
                results.send(("error", RuntimeError(f"{type(e).__name__}: {e}"), trace))
            return True
        results.send(message[:2])
        if with_text:
            results.send_bytes(message[2])
    except OSError:
        return False
    return True


_HEADER = struct.Struct("<qqq")  # a task's first line, and where its lines are in the input file (-1: sent along)


def _read_range(fd: int, where: int, length: int) -> bytes:
    """The task's lines, read from the input file (as the main process read them: a task is a range of
    whole lines it has seen)."""
    from ..errors import InputError

    parts, got = [], 0
    while got < length:
        try:
            data = os.pread(fd, length - got, where + got)
        except OSError as e:
            raise InputError(f"--batch: cannot read the input: {e.strerror}") from None
        if not data:
            raise InputError(f"--batch: the input file ended at byte {where + got} while it was read "
                             f"(it was cut short meanwhile)")
        parts.append(data)
        got += len(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _descriptor(stream) -> int | None:
    """The file descriptor under `stream`, or None (a stream in memory, as tests capture output)."""
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None


def _readiness(stream):
    """A function telling whether a read of `stream` would return at once: always, for a regular file."""
    try:
        fd = stream.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (OSError, ValueError, AttributeError):
        return lambda: True
    if regular:
        return lambda: True
    import select

    def ready() -> bool:
        try:
            return bool(select.select([fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    return ready
