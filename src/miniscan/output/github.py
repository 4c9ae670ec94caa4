"""GitHub Actions workflow commands: one annotation line per finding.

    ::warning file=minis/orc.stl,title=MS201 razor-edge::edge highlight ...

error -> ::error, warning -> ::warning, info -> ::notice. Meshes have no lines, so annotations
attach to the file. Values and properties are escaped as the runner expects (% CR LF, and
also : , in properties). GitHub shows at most 10 errors and 10 warnings per step in the UI.
"""

from __future__ import annotations

from ..findings import Report

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: str) -> str:
    p = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{level}{' ' + p if p else ''}::{escape_data(message)}"


def to_github(report: Report) -> str:
    lines = []
    for fr in report.files:
        path = fr.path.replace("\\", "/")
        if fr.status == "error":
            lines.append(command("error", f"cannot read mesh: {fr.error}", file=path,
                                 title="miniscan: unreadable file"))
            continue
        for c in fr.checks:
            if c.status != "ok":
                lines.append(command("warning", f"{c.family} {c.status}: {c.reason}", file=path,
                                     title=f"miniscan: {c.family} {c.status}"))
            for f in c.findings:
                msg = f.message + (f" Fix: {f.advice}" if f.advice else "")
                lines.append(command(LEVEL[f.severity], msg, file=path, title=f"{f.code} {f.name}"))
    return "".join(line + "\n" for line in lines)
