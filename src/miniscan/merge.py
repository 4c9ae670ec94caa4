"""Merging the reports of several `check --shard I/N` runs into one, in path order.

Inputs are all miniscan JSON reports (merged into one Report, then written in any format) or
all SARIF logs (merged into one SARIF log). Used by `miniscan merge`; no printing here.
"""

from __future__ import annotations

import json

from .findings import Report
from .rules import severity_rank

MERGE_FORMATS = ("json", "sarif", "junit", "github")
_SARIF_SEVERITY = {"note": "info", "warning": "warning", "error": "error"}


class MergeError(ValueError):
    """Inputs that cannot be merged; the message says why."""


def kind_of(docs: list) -> str:
    """'json' or 'sarif': the one kind every input is (MergeError otherwise)."""
    kinds = {"sarif" if isinstance(d, dict) and "runs" in d else
             "json" if isinstance(d, dict) and "files" in d else "?" for d in docs}
    if len(kinds) != 1 or "?" in kinds:
        raise MergeError("merge needs inputs of one kind: all miniscan JSON reports or all "
                         "SARIF logs")
    return kinds.pop()


def merge_reports(reports: list[Report]) -> Report:
    """One report from shards: same tool version and conditions; a file in two shards keeps
    the later report's result."""
    versions = {r.tool_version for r in reports}
    if len(versions) > 1:
        raise MergeError(f"reports come from different miniscan versions: "
                         f"{', '.join(sorted(versions))}")

    def strip(c: dict) -> dict:  # the config file's path differs between checkouts
        return {k: v for k, v in c.items() if k != "config_file"}

    if any(strip(r.conditions) != strip(reports[0].conditions) for r in reports[1:]):
        raise MergeError("reports were made with different viewing conditions or rules; "
                         "not merging")
    by_path = {fr.path: fr for r in reports for fr in r.files}
    files = tuple(by_path[k] for k in sorted(by_path))
    timings = {"total": sum(float(r.timings.get("total", 0) or 0) for r in reports),
               "merged_reports": len(reports)}
    return Report(reports[0].tool_version, reports[0].conditions, files, timings)


def _sarif_exit_code(log: dict, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    levels = {r.get("level") for run in log["runs"] for r in run.get("results", [])}
    sevs = [_SARIF_SEVERITY[x] for x in levels if x in _SARIF_SEVERITY]
    return int(any(severity_rank(s) >= severity_rank(fail_on) for s in sevs))


def merge_docs(docs: list, fmt: str | None, fail_on: str,
               docs_url: str | None = None) -> tuple[str, int]:
    """(merged text, exit code) from parsed JSON documents. fmt None: the inputs' format;
    docs_url: where docs/rules/ is published (SARIF written from JSON reports links it)."""
    from .output import format_report

    kind = kind_of(docs)
    fmt = fmt or kind
    if kind == "sarif":
        if fmt != "sarif":
            raise MergeError("SARIF logs merge into SARIF only; merge the JSON reports for "
                             "other formats")
        from .output.sarif import merge_sarif

        try:
            merged = merge_sarif(docs)
        except (ValueError, KeyError) as e:
            raise MergeError(f"cannot merge: {e}") from None
        text = json.dumps(merged, ensure_ascii=False, separators=(",", ":")) + "\n"
        return text, _sarif_exit_code(merged, fail_on)
    if fmt not in MERGE_FORMATS:
        raise MergeError(f"--format must be one of {', '.join(MERGE_FORMATS)}, not {fmt!r}")
    from .cache import report_from_dict

    report = merge_reports([report_from_dict(d) for d in docs])
    text = format_report(report, fmt, fail_on if fail_on != "never" else "error",
                         docs_url=docs_url)
    return text, 2 if report.errors else report.exit_code(fail_on)
