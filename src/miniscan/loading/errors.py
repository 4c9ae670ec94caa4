"""LoadError and the words it uses: one line, a reason a person can act on, a printable name
(`line_name`, from safety.py).
"""

from __future__ import annotations

import os

from ..safety import line_name, text_name

__all__ = ["LoadError", "explain", "line_name", "text_name", "MAX_REASON_CHARS"]

# A reason longer than this is a paragraph, not an error line (characters).
MAX_REASON_CHARS = 300


class LoadError(Exception):
    """A file that cannot become a Model. str() is 'PATH: reason', always one line."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
        self.reason = " ".join(str(reason).split())[:MAX_REASON_CHARS]
        super().__init__(f"{line_name(self.path)}: {self.reason}")


def explain(fmt: str, e: BaseException) -> str:
    """An exception a parser raised on malformed input, in words: what is wrong, what to do.

    Parser messages ('StopIteration', "'quux'", "list index out of range") name the
    parser's internals, not the file's fault, so they are never shown as they are.
    """
    what = fmt.upper()
    if isinstance(e, MemoryError):
        return f"out of memory while reading this {what} file"
    if isinstance(e, RecursionError):
        return f"the {what} file's structure is nested too deeply to read"
    if isinstance(e, UnicodeError):
        return f"the {what} file holds bytes that are not text where text is expected: " \
               f"corrupt, or not a {what} file"
    if isinstance(e, (KeyError, LookupError, StopIteration, AttributeError, TypeError)):
        return f"the {what} file lacks a part its format requires or refers to one that is " \
               f"missing: corrupt or not a {what} file; re-export it"
    if isinstance(e, (EOFError, OverflowError)):
        return f"the {what} file ends before the data it declares: truncated? re-export it"
    low = str(e).lower()
    if "convert string" in low or "unmatched data" in low or "invalid literal" in low:
        return f"the {what} file holds text that is not a number where its format needs one: " \
               "corrupt; re-export it"
    if any(w in low for w in ("unpack", "buffer", "truncat", "eof", "end of", "reshape",
                              "size", "could not be read", "shape", "length")):
        return f"the {what} file ends before the data it declares or its sizes disagree: " \
               f"truncated or corrupt; re-export it"
    return f"cannot read the {what} data: corrupt, or not a {what} file; re-export it"
