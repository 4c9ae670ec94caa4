"""Human-readable summary: a rich table per run, then one line per finding (ruff style)."""

from __future__ import annotations

from ..findings import Report
from ..rules import severity_rank

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_text(report: Report, console, verbose: bool = True) -> None:
    from rich.table import Table

    table = Table(title="miniscan check", title_justify="left", show_lines=False)
    table.add_column("file", overflow="fold")
    table.add_column("status")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    table.add_column("info", justify="right")
    table.add_column("worst finding", overflow="fold")
    for fr in report.files:
        if fr.status == "error":
            table.add_row(fr.path, "[bold red]error[/]", "", "", "", fr.error or "")
            continue
        counts = {s: 0 for s in ("error", "warning", "info")}
        for f in fr.findings:
            counts[f.severity] += 1
        not_run = [c.family for c in fr.checks if c.status != "ok"]
        status = "ok" if not not_run else f"ok ({', '.join(not_run)} not run)"
        w = fr.worst()
        worst = f"[{STYLE[w.severity]}]{w.code}[/] {w.message}" if w else ""
        table.add_row(fr.path, status, str(counts["error"]), str(counts["warning"]),
                      str(counts["info"]), worst)
    console.print(table)

    if verbose:
        for fr in report.files:
            if fr.status == "error":
                continue
            fs = sorted(fr.findings, key=lambda f: (-severity_rank(f.severity), f.code))
            for c in fr.checks:
                if c.status != "ok":
                    console.print(f"{fr.path}: [dim]{c.family} {c.status}: {c.reason}[/]",
                                  highlight=False)
            for f in fs:
                console.print(f"{fr.path}: [{STYLE[f.severity]}]{f.code}[/] "
                              f"[{STYLE[f.severity]}]{f.severity}[/] {f.name}: {f.message}",
                              highlight=False)
                if f.advice:
                    console.print(f"    [dim]fix: {f.advice}[/]", highlight=False)
    c = report.counts()
    console.print(f"\n{len(report.files)} file(s), {report.errors} unreadable; findings: "
                  f"{c['error']} error, {c['warning']} warning, {c['info']} info",
                  highlight=False)
