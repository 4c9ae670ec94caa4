"""Worker processes: a native hang or crash, or a file over its time budget, costs that file.

Each worker is a spawned process reused across files (the heavy imports are paid once). The
parent sends one file at a time and waits on every busy worker's pipe with the nearest
deadline as timeout; a worker past its file's deadline is killed and reported as an error
for that file, a worker that dies (segfault, abort, out-of-memory kill) likewise; either
is replaced before the next file. Results carry their index, so the caller keeps input
order. Workers write nothing to our stdout: their descriptors 1 and 2 go to a scratch log,
whose last line names a native crash in the error.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections import deque
from typing import Callable

# Seconds a killed worker gets to exit before it is abandoned (SIGKILL cannot be caught).
_REAP_SECONDS = 5.0
# Seconds a new worker may take to start (spawn + imports) before its first file's clock
# starts: a file's budget is its own, not the interpreter's start-up on a loaded machine.
_START_SECONDS = 120.0
# Native thread pools in each worker: with several workers the processes are the
# parallelism; OpenMP/BLAS threads in every one would oversubscribe the cores.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_SIGNALS = {signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort",
            signal.SIGBUS: "a bus error", signal.SIGFPE: "a floating-point exception",
            signal.SIGILL: "an illegal instruction"}


def _worker_main(conn, log_path: str) -> None:
    """Serve (index, job) requests until the pipe closes."""
    from .safety import redirect_for_life

    redirect_for_life(log_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        i, job, work, staged = msg
        os.truncate(log_path, 0)
        conn.send(("start", i))
        try:
            stage = (lambda name, i=i: conn.send(("stage", i, name))) if staged else None
            conn.send(("done", i, work(job, stage) if staged else work(job), None))
        except Exception as e:  # a bug in the checker: one line for this file, keep serving
            conn.send(("done", i, None, f"internal error: {type(e).__name__}: {e}"))


class _Worker:
    def __init__(self, ctx):
        fd, self.log = tempfile.mkstemp(prefix="miniscan-worker-", suffix=".log")
        os.close(fd)
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, self.log), daemon=True)
        from .safety import inherit_into

        with inherit_into(self.log):  # even a worker that fails to start prints nothing here
            self.proc.start()
        child.close()
        self.job: tuple[int, object, float] | None = None  # (index, job, deadline)

    def send(self, i: int, job, timeout: float | None, work, staged: bool = False) -> None:
        """Hand over a file; its clock starts when the worker picks it up ('start'). With
        `staged` the worker reports each stage of the file ('stage' messages)."""
        self.timeout = timeout
        start = time.monotonic() + _START_SECONDS
        self.job = (i, job, start + timeout if timeout else float("inf"))
        self.conn.send((i, job, work, staged))

    def started(self) -> None:
        i, job, _ = self.job
        self.job = (i, job, time.monotonic() + self.timeout if self.timeout else float("inf"))

    def last_words(self) -> str:
        from .safety import tail

        try:
            with open(self.log, "rb") as fh:
                fh.seek(max(0, os.path.getsize(self.log) - 4096))
                return tail(fh.read().decode("utf-8", "replace"))
        except OSError:
            return ""

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.kill()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(_REAP_SECONDS)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(_REAP_SECONDS)
        self.conn.close()
        try:
            os.unlink(self.log)
        except OSError:
            pass


def run(todo: list, workers: int, timeout: float | None, done: Callable,
        work: Callable, stage: Callable[[str], None] | None = None,
        started: Callable[[int], None] | None = None) -> None:
    """Check `todo` [(index, FileJob)] on `workers` processes, `timeout` seconds per file
    (None: no limit); done(index, FileResult) is called as each file finishes. `work`
    (job -> FileResult, a module-level function: runner.work_in_worker) is what a worker does
    with a file; with
    one worker, `stage(name)` hears each stage of the file it checks (work(job, stage));
    started(index) is called as a worker picks a file up."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # not fork: the parent may hold VTK/open3d threads
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    if workers > 1:
        for v in THREAD_VARS:
            os.environ.setdefault(v, "1")  # children read these at spawn
    pool: list[_Worker] = []
    try:
        staged = stage if workers == 1 else None
        _loop(ctx, deque(todo), workers, timeout, done, pool, work, staged, started)
    finally:
        for w in pool:
            w.stop(kill=w.job is not None)
        for v, val in saved.items():
            if val is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = val


def _loop(ctx, queue: deque, workers: int, timeout, done, pool: list, work, stage,
          started=None) -> None:
    from multiprocessing.connection import wait

    while queue or any(w.job for w in pool):
        for w in [w for w in pool if w.job is None]:
            if not queue:
                break
            w.send(*queue.popleft(), timeout, work, stage is not None)
        while queue and len(pool) < workers:
            pool.append(_Worker(ctx))
            pool[-1].send(*queue.popleft(), timeout, work, stage is not None)
        busy = [w for w in pool if w.job is not None]
        left = min(w.job[2] for w in busy) - time.monotonic()
        ready = wait([w.conn for w in busy],
                     timeout=None if left == float("inf") else max(0.0, left))
        for w in busy:
            if w.conn in ready:
                _receive(ctx, w, pool, done, stage, started)
            elif time.monotonic() >= w.job[2]:
                _replace(ctx, w, pool, done, f"took longer than the {timeout:g} s time limit "
                                             "(--timeout); stopped")


def _receive(ctx, w: _Worker, pool: list, done, stage=None, started=None) -> None:
    i, job, _ = w.job
    try:
        msg = w.conn.recv()
    except (EOFError, OSError):
        return _replace(ctx, w, pool, done, _death(w))
    if msg[0] == "start":
        w.started()
        return started(i) if started else None
    if msg[0] == "stage":
        return stage(msg[2]) if stage else None
    _, _, fr, error = msg
    w.job = None
    if error is not None:
        from .findings import FileResult

        fr = FileResult(job.path, "error", error)
    done(i, fr)


def _replace(ctx, w: _Worker, pool: list, done, reason: str) -> None:
    """Report the worker's file as an error, kill the worker, start no new one yet (the loop
    starts one when there is work)."""
    from .findings import FileResult

    i, job, _ = w.job
    w.stop(kill=True)
    pool.remove(w)
    done(i, FileResult(job.path, "error", reason))


def _death(w: _Worker) -> str:
    w.proc.join(_REAP_SECONDS)
    code = w.proc.exitcode
    words = w.last_words()
    if code is not None and code < 0 and -code == signal.SIGKILL:
        what = "was killed (out of memory?)"
    elif code is not None and code < 0:
        what = f"crashed with {_SIGNALS.get(-code, f'signal {-code}')} in a native library"
    else:
        what = f"exited unexpectedly (status {code})"
    return f"the checker process {what} while reading or checking this file" + \
        (f"; its last message: {words}" if words else "")
