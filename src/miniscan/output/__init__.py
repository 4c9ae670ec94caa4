"""Writers: turn a Report into text, JSON, ... Writers never compute geometry."""

from __future__ import annotations

FORMATS = ("text", "full", "concise", "json", "sarif", "junit", "github")
# text formats: "text" is the full style (each finding with its measurement, fix and places),
# "concise" one line per finding (output/text.py)
TEXT_STYLE = {"text": "full", "full": "full", "concise": "concise"}


def format_report(report, fmt: str, fail_on: str = "error", verbose: bool = True,
                  docs_url: str | None = None, statistics: bool = False) -> str:
    """The report in one of FORMATS, as the CLI writes it to a file or a pipe. docs_url: where
    docs/rules/ is published (SARIF rules link their page there). verbose=False: the text
    summary alone; statistics: the count per code (text or json) instead of the findings."""
    if statistics:
        return format_statistics(report, fmt)
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
    if fmt not in TEXT_STYLE:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    from .text import to_text

    return to_text(report, TEXT_STYLE[fmt], quiet=not verbose)


def format_statistics(report, fmt: str) -> str:
    """`--statistics`: a count per code, as text or a JSON list."""
    from .text import statistics, to_text

    if fmt == "json":
        import json

        return json.dumps(statistics(report), indent=2) + "\n"
    if fmt not in TEXT_STYLE:
        raise ValueError(f"--statistics prints text or json, not {fmt}")
    return to_text(report, stats=True)
