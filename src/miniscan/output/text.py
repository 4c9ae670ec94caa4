"""The text report: linter lines first (ruff style), then a summary.

One line per finding, `FILE: PLACE: CODE severity name: message (×N places)`, where PLACE
is the part (when the file has parts), the centroid in model mm and the view that shows it
best (`part 'shield' at (3.1, -7.4, 12.0) mm, front`), or "whole model". Two styles:
- full (the default, also called text): each line followed by what was measured against
  what, the distances over which it holds, the fix, and every place of a merged finding;
- concise: the lines alone.
`--statistics` prints a count per code instead (like `ruff --statistics`).

Plain text when the output is not a terminal: no colour, no wrapping, so `grep` and editors
read it; on a terminal the code and severity are coloured.
"""

from __future__ import annotations

import math
from typing import Iterable, TextIO

from ..findings import Finding, Location, Report
from ..rules import SEVERITIES, severity_rank

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
TEXT_STYLES = ("full", "concise")
Segment = tuple[str, str | None]  # (text, rich style or None)


# --------------------------------------------------------------------------- pieces


def fmt_distance(mm: float) -> str:
    """A viewing distance for people: 380 mm, 1.2 m."""
    if not math.isfinite(mm):
        return "∞"
    return f"{mm / 1000:.3g} m" if mm >= 1000 else f"{mm:.3g} mm"


def _num(x: float) -> str:
    return f"{x:.3g}"


def place_text(loc: Location) -> str:
    """Where on the model: part, centroid (model mm) and best view; 'whole model' if none."""
    bits = []
    if loc.part:
        bits.append(f"part '{loc.part}'")
    if loc.centroid_mm is not None and all(math.isfinite(x) for x in loc.centroid_mm):
        bits.append("at (" + ", ".join(f"{x:.1f}" for x in loc.centroid_mm) + ") mm")
    where = " ".join(bits)
    if loc.view:
        return f"{where}, {loc.view}" if where else f"{loc.view} view"
    return where or "whole model"


def holds_text(holds) -> str | None:
    """The distances over which a finding holds, in words (None: not known)."""
    if holds is None:
        return None
    lo, hi = (float(x) if x is not None else math.inf for x in holds)
    lo_open, hi_open = not lo > 0, not math.isfinite(hi)
    if lo_open and hi_open:
        return "holds at every viewing distance"
    if hi_open:
        return f"holds from {fmt_distance(lo)} on"
    if lo_open:
        return f"holds up to {fmt_distance(hi)}"
    return f"holds from {fmt_distance(lo)} to {fmt_distance(hi)}"


def measured_text(f: Finding) -> str | None:
    if f.measured is None:
        return None
    unit = f" {f.unit}" if f.unit else ""
    s = f"measured {_num(f.measured)}{unit}"
    if f.measured_range is not None:
        lo, hi = f.measured_range
        s += f" ({_num(lo)}–{_num(hi)})"
    if f.threshold is not None:
        s += f", threshold {_num(f.threshold)}{unit}"
    return s


def count_text(f: Finding) -> str:
    return f" (×{f.count} places)" if f.count > 1 else ""


def finding_line(path: str, f: Finding) -> list[Segment]:
    """The linter line: file: place: CODE severity name: message (×N places)."""
    sev = STYLE.get(f.severity)
    return [(f"{path}: {place_text(f.location)}: ", None), (f.code, sev), (" ", None),
            (f.severity, sev), (f" {f.name}: {f.message}{count_text(f)}", None)]


def detail_lines(f: Finding) -> list[list[Segment]]:
    """The full style's lines under a finding: measurement, distances, fix, places."""
    out = []
    for s in (measured_text(f), holds_text(f.holds_mm)):
        if s:
            out.append([(f"    {s}", "dim")])
    if f.advice:
        out.append([(f"    fix: {f.advice}", "dim")])
    if f.count > 1 and f.places:
        out.append([("    places (worst first):", "dim")])
        unit = f" {f.unit}" if f.unit else ""
        for i, p in enumerate(f.places, 1):
            m = "" if p.measured is None else f": {_num(p.measured)}{unit}"
            out.append([(f"      {i}. {place_text(p.location)}{m}", "dim")])
    return out


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.code))


def finding_lines(report: Report, style: str = "full") -> list[list[Segment]]:
    """Every file's findings, worst first: nothing but linter lines (and, in the full style,
    the indented lines under each)."""
    out = []
    for fr in report.files:
        if fr.status == "error":
            continue
        for f in _sorted(fr.findings):
            out.append(finding_line(fr.path, f))
            if style == "full":
                out += detail_lines(f)
    return out


# --------------------------------------------------------------------------- summaries


def file_counts(fr) -> dict[str, int]:
    counts = {s: 0 for s in reversed(SEVERITIES)}
    for f in fr.findings:
        counts[f.severity] += 1
    return counts


def not_run_lines(report: Report) -> list[list[Segment]]:
    """Families that did not run (or failed), with the reason: after the findings, so the
    first lines stay a linter's."""
    return [[(f"{fr.path}: {c.family} {c.status}: {c.reason}", "dim")]
            for fr in report.files if fr.status == "ok" for c in fr.checks if c.status != "ok"]


def summary_lines(report: Report) -> list[list[Segment]]:
    """A plain table of files (status and counts per severity), then the totals."""
    rows = [("file", "status", "errors", "warnings", "info")]
    for fr in report.files:
        if fr.status == "error":
            rows.append((fr.path, "unreadable", "", "", ""))
            continue
        c = file_counts(fr)
        not_run = [ch.family for ch in fr.checks if ch.status != "ok"]
        status = "ok" if not not_run else f"ok ({', '.join(not_run)} not run)"
        rows.append((fr.path, status, str(c["error"]), str(c["warning"]), str(c["info"])))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for j, r in enumerate(rows):
        line = "  ".join([r[0].ljust(w[0]), r[1].ljust(w[1])]
                         + [r[i].rjust(w[i]) for i in (2, 3, 4)]).rstrip()
        out.append([(line, "bold" if j == 0 else None)])
    return out


def total_line(report: Report) -> list[Segment]:
    c = report.counts()
    places = sum(f.count for fr in report.files for f in fr.findings)
    return [(f"{len(report.files)} file(s), {report.errors} unreadable; findings: "
             f"{c['error']} error, {c['warning']} warning, {c['info']} info "
             f"({places} place{'s' if places != 1 else ''})", None)]


def statistics(report: Report) -> list[dict]:
    """Count per code over every file (like `ruff --statistics`): findings and places."""
    rows: dict[str, dict] = {}
    for fr in report.files:
        for f in fr.findings:
            r = rows.setdefault(f.code, {"code": f.code, "name": f.name, "severity": f.severity,
                                         "findings": 0, "places": 0, "files": set()})
            r["findings"] += 1
            r["places"] += f.count
            r["files"].add(fr.path)
            if severity_rank(f.severity) > severity_rank(r["severity"]):
                r["severity"] = f.severity
    out = [dict(r, files=len(r["files"])) for r in rows.values()]
    return sorted(out, key=lambda r: (-r["findings"], -r["places"], r["code"]))


def statistics_lines(report: Report) -> list[list[Segment]]:
    rows = statistics(report)
    if not rows:
        return [[("no findings", None)]]
    wf = max(len(str(r["findings"])) for r in rows)
    wp = max(len(str(r["places"])) for r in rows)
    out = []
    for r in rows:
        sev = STYLE.get(r["severity"])
        out.append([(f"{r['findings']:>{wf}}  {r['places']:>{wp}} place(s)  ", None),
                    (r["code"], sev), (f"  {r['severity']:<7}  {r['name']}", None)])
    return out


# --------------------------------------------------------------------------- writing


def report_lines(report: Report, style: str = "full", quiet: bool = False,
                 stats: bool = False) -> list[list[Segment]]:
    """The whole text report as lines of segments. quiet: the summary alone; stats: the
    count per code instead of the finding lines."""
    if style not in TEXT_STYLES:
        raise ValueError(f"text style must be one of {', '.join(TEXT_STYLES)}, not {style!r}")
    if stats:
        return statistics_lines(report)
    lines = [] if quiet else finding_lines(report, style)
    lines += not_run_lines(report)
    if style == "full" or quiet:
        lines += [[("", None)]] if lines else []
        lines += summary_lines(report)
    lines.append(total_line(report))
    return lines


def plain(lines: list[list[Segment]]) -> str:
    return "".join("".join(t for t, _ in ln) + "\n" for ln in lines)


def to_text(report: Report, style: str = "full", quiet: bool = False, stats: bool = False) -> str:
    """The text report without colour (files, pipes)."""
    return plain(report_lines(report, style, quiet, stats))


def write_text(report: Report, stream: TextIO, color: bool, style: str = "full",
               quiet: bool = False, stats: bool = False) -> None:
    """To a stream: coloured (rich, never wrapped) when `color`, else plain text."""
    lines = report_lines(report, style, quiet, stats)
    if not color:
        stream.write(plain(lines))
        return
    from rich.console import Console
    from rich.text import Text

    con = Console(file=stream, soft_wrap=True, highlight=False)
    for ln in lines:
        con.print(Text.assemble(*[(t, s or "") for t, s in ln]))
