"""Writers: turn a Report into text, JSON, ... Writers never compute geometry."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write via a temp file in the same directory and rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; a report is an ordinary file: 0666 less the umask
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


FORMATS = ("text", "json", "sarif", "junit", "github")
TEXT_WIDTH = 120  # columns of the text report when it is not written to a terminal


def format_report(report, fmt: str, fail_on: str = "error", verbose: bool = True,
                  docs_url: str | None = None) -> str:
    """The report in one of FORMATS, as the CLI writes it to a file or a pipe. docs_url: where
    docs/rules/ is published (SARIF rules link their page there)."""
    if fmt == "json":
        from .json_report import to_json

        return to_json(report)
    if fmt == "sarif":
        from .sarif import to_sarif

        return to_sarif(report, docs_url)
    if fmt == "junit":
        from .junit import to_junit

        return to_junit(report, fail_on)
    if fmt == "github":
        from .github import to_github

        return to_github(report)
    if fmt != "text":
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    from io import StringIO

    from rich.console import Console

    from .text import render_text

    buf = StringIO()
    render_text(report, Console(file=buf, width=TEXT_WIDTH, no_color=True), verbose)
    return buf.getvalue()
