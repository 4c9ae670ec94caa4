"""Writers: turn a Report into text, JSON, ... Writers never compute geometry."""

from __future__ import annotations

from ..files import atomic_write  # noqa: F401 - the writers' file writer, re-exported


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
