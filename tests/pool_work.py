"""Worker functions for the pool tests: each misbehaves like a native library can, by the
name of its file. Kept in a light module because a spawned worker imports it."""

from __future__ import annotations

import os
import signal
import time


def misbehave(job):
    from miniscan.findings import FileResult

    name = os.path.basename(job.path)
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("segv"):
        os.write(2, b"native: about to fault\n")
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("abort"):
        os.abort()
    if name.startswith("exit"):
        os._exit(3)
    if name.startswith("raise"):
        raise RuntimeError("a bug")
    if name.startswith("chatty"):
        os.write(1, b"[Open3D WARNING] printed straight to descriptor 1\n")
        os.write(2, b"and to descriptor 2\n")
    return FileResult(job.path, "ok", f"pid {os.getpid()}")
