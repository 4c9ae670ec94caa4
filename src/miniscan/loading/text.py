"""Numbers out of text formats at C speed: lines as numpy index arrays, never Python loops.

`Lines` splits a buffer once (newline positions); `numbers` gathers the selected lines and
parses them with one `np.fromstring`, and says how many numbers each line held, so callers
check the shape of every row without visiting it in Python.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from .errors import LoadError

_WS = np.frombuffer(b" \t\r\v\f\n", dtype=np.uint8)
_AFTER_SLASH = re.compile(rb"/\S*")
_LEADING_WS = re.compile(rb"(?m)^[ \t]+")
# What np.fromstring reads as a number, token by token: anything else is named in the error.
_FLOAT = rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?i:nan|inf(?:inity)?)"
_NOT_FLOAT = re.compile(rb"(?:^|(?<=\s))(?!(?:" + _FLOAT + rb")(?:\s|$))\S+")
_NOT_INT = re.compile(rb"(?:^|(?<=\s))(?![+-]?\d+(?:\s|$))\S+")


class Lines:
    """A text buffer split into lines: line i runs from starts[i] to its newline ends[i].

    Line continuations are joined, CR is a line end, leading blanks are dropped, so the
    first byte of a line is its keyword (OBJ) or its first number (XYZ)."""

    def __init__(self, data: bytes):
        data = data.replace(b"\\\r\n", b" ").replace(b"\\\n", b" ")
        if b"\r" in data:  # CRLF is one line end (so error messages count lines right)
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if _LEADING_WS.search(data):
            data = _LEADING_WS.sub(b"", data)
        # two spare bytes: the second byte of the last line can always be read
        self.arr = np.frombuffer(data + b"\n  ", dtype=np.uint8)
        self.ends = np.flatnonzero(self.arr[:len(data) + 1] == 10)
        self.starts = np.concatenate(([0], self.ends[:-1] + 1))

    def __len__(self) -> int:
        return len(self.starts)

    def first(self) -> np.ndarray:
        return self.arr[self.starts]

    def second(self) -> np.ndarray:
        return self.arr[self.starts + 1]

    def gather(self, sel: np.ndarray, skip: int = 0) -> bytes:
        """The selected lines, each ending in its newline; the first `skip` bytes of each
        (a keyword) blanked."""
        lengths = self.ends - self.starts + 1
        picked = self.arr[:int(self.ends[-1]) + 1][np.repeat(sel, lengths)]
        kept = lengths[sel]
        line_start = np.concatenate(([0], np.cumsum(kept)[:-1]))[:len(kept)]
        for k in range(skip):
            picked[line_start + k] = ord(" ")
        return picked.tobytes()

    def numbers(self, name: str, sel: np.ndarray, bad: str, integer: bool = False,
                skip: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Every number on the selected lines (flat) and how many each line holds; `bad` is
        the error when a token is not a number. With `integer`, a token like '12/5/7' counts
        as its first number (OBJ face entries)."""
        text = self.gather(sel, skip)
        if integer:
            text = _AFTER_SLASH.sub(b"", text)
        b = np.frombuffer(text, dtype=np.uint8)
        ws = np.isin(b, _WS)
        tok = np.flatnonzero(~ws & np.concatenate(([True], ws[:-1])))
        per_line = np.bincount(np.searchsorted(np.flatnonzero(b == 10), tok),
                               minlength=int(np.count_nonzero(sel)))
        try:
            with warnings.catch_warnings():  # where fromstring stops early: checked below
                warnings.simplefilter("ignore")
                flat = np.fromstring(text, dtype=np.int64 if integer else np.float64, sep=" ")
        except ValueError:
            flat = ()
        if len(flat) != len(tok):
            first = int(tok[max(min(len(flat), len(tok)) - 1, 0)]) if len(tok) else 0
            raise LoadError(name, bad + self._where_bad(text, sel, integer, first))
        return flat, per_line

    def _where_bad(self, text: bytes, sel: np.ndarray, integer: bool, near: int) -> str:
        """' (line N holds 'token')' for the first token that is not a number (the error
        path only: one regular-expression search). N counts a line joined by a trailing
        backslash as one. `near`: where np.fromstring stopped, so the search starts there."""
        pattern = _NOT_INT if integer else _NOT_FLOAT
        m = pattern.search(text, near) or pattern.search(text)
        if m is None:
            return ""
        line = int(np.flatnonzero(sel)[text.count(b"\n", 0, m.start())]) + 1
        token = m.group().decode("utf-8", "replace")
        token = token if len(token) <= 20 else token[:20] + "…"
        return f" (line {line:,} holds {token!r})"


def first_three(name: str, flat: np.ndarray, per_line: np.ndarray, why: str) -> np.ndarray:
    """The first three numbers of every line, as rows (n, 3)."""
    if (per_line < 3).any():
        raise LoadError(name, why)
    first = np.concatenate(([0], np.cumsum(per_line)[:-1]))
    return flat[first[:, None] + np.arange(3)]
