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


class Lines:
    """A text buffer split into lines: line i runs from starts[i] to its newline ends[i].

    Line continuations are joined, CR is a line end, leading blanks are dropped, so the
    first byte of a line is its keyword (OBJ) or its first number (XYZ)."""

    def __init__(self, data: bytes):
        data = data.replace(b"\\\r\n", b" ").replace(b"\\\n", b" ").replace(b"\r", b"\n")
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
            raise LoadError(name, bad)
        return flat, per_line


def first_three(name: str, flat: np.ndarray, per_line: np.ndarray, why: str) -> np.ndarray:
    """The first three numbers of every line, as rows (n, 3)."""
    if (per_line < 3).any():
        raise LoadError(name, why)
    first = np.concatenate(([0], np.cumsum(per_line)[:-1]))
    return flat[first[:, None] + np.arange(3)]
