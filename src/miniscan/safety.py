"""Keep native libraries off our output: fd-level redirection and numpy warning capture.

open3d prints `[Open3D WARNING] ...` with C++ streams to file descriptor 1, so `--format json`
on stdout stopped parsing; numpy prints RuntimeWarnings (overflow, invalid value) to stderr
as extra lines. Python-level redirection (`sys.stdout = ...`) does not reach either. While
files are read and checked, `quiet_native()` points descriptors 1 and 2 at a scratch file
(restoring them after, C stdio flushed first) and silences numpy's floating-point warnings;
what native code printed is available as text, for a crash report, and otherwise dropped.

A worker process (pool.py) redirects once for its whole life (`redirect_for_life`); inside
it `quiet_native()` only silences warnings.

File names are bytes on Linux; Python hands undecodable bytes over as lone surrogates, which
neither UTF-8 output nor JSON can carry. `text_name` writes them as `\\xNN` (valid UTF-8,
still recognisably the name); `line_name` also escapes control characters, so an error line
stays one line whatever a file is called.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
import warnings
from contextlib import contextmanager

# The tail of what native code printed that a crash report may quote (characters).
TAIL_CHARS = 400

_state = {"depth": 0, "for_life": False}
try:
    _LIBC = ctypes.CDLL(None)
except OSError:  # pragma: no cover - no C library symbol table
    _LIBC = None


def _flush_all() -> None:
    """Flush Python's and C's buffered output so it lands where it was meant to go."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    if _LIBC is not None:
        _LIBC.fflush(None)


class Captured:
    """What native code wrote to descriptors 1 and 2 while redirected (`text`, on exit)."""

    def __init__(self, scratch: bool = True):
        self._file = tempfile.TemporaryFile() if scratch else None
        self.text = ""

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        if self._file is None:
            return
        self._file.seek(0, os.SEEK_END)
        self._file.seek(max(0, self._file.tell() - 4 * TAIL_CHARS))
        self.text = self._file.read().decode("utf-8", "replace")
        self._file.close()


@contextmanager
def quiet_native():
    """Within: nothing reaches the real stdout/stderr descriptors, numpy floating-point
    warnings are off. Re-entrant; yields a `Captured` (its .text is set on exit)."""
    if _state["depth"] or _state["for_life"]:
        with _no_warnings():
            yield Captured(scratch=False)
        return
    _state["depth"] += 1
    cap = Captured()
    _flush_all()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(cap.fileno(), 1)
        os.dup2(cap.fileno(), 2)
        with _no_warnings():
            yield cap
    finally:
        _flush_all()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        cap.close()
        _state["depth"] -= 1


@contextmanager
def _no_warnings():
    import numpy as np

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def redirect_for_life(path: str) -> None:
    """Point descriptors 1 and 2 of this (worker) process at `path` for good."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    _flush_all()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    _state["for_life"] = True


@contextmanager
def inherit_into(path: str):
    """Within: descriptors 1 and 2 point at `path`, so a process started here inherits
    them from its first instruction (its interpreter's own start-up errors included)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    _flush_all()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        _flush_all()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for d in (*saved, fd):
            os.close(d)


def tail(text: str) -> str:
    """The last meaningful line of native output, one line, for an error reason."""
    lines = [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("Traceback", "File ", "warnings.warn"))]
    return lines[-1][-TAIL_CHARS:] if lines else ""


def silence_warnings_globally() -> None:
    """numpy RuntimeWarnings never print (the CLI calls this once at start)."""
    warnings.filterwarnings("ignore", category=RuntimeWarning)


_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {0x7F: "\\x7f", 0x0A: "\\n", 0x0D: "\\r",
                                                    0x09: "\\t"}


def text_name(path: str | os.PathLike) -> str:
    """The file name as valid UTF-8 text: undecodable bytes become \\xNN."""
    s = os.fspath(path)
    if isinstance(s, bytes):
        return s.decode("utf-8", "backslashreplace")
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        try:
            return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate no file system decoding produced
            return s.encode("utf-8", "backslashreplace").decode("utf-8")


_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {0x7F: "\\x7f", 0x0A: "\\n", 0x0D: "\\r",
                                                    0x09: "\\t"}


def line_name(text: str | os.PathLike) -> str:
    """`text_name` with control characters (newline, tab, ESC ...) escaped: one line."""
    return text_name(text).translate(_CONTROL)


