"""JUnit XML: one <testsuite> per file, one <testcase> per file x family.

A testcase fails when it has findings at or above --fail-on (one <failure> listing them), errors
when the family crashed or the file could not be read, and is skipped when the family could not
run (no renderer, ...). Findings below the bar go to <system-out> so they are still visible.
Understood by GitLab, Jenkins, Azure Pipelines and the GitHub test-report actions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..findings import Report
from ..rules import severity_rank


def _line(path: str, f) -> str:
    return f"{path}: {f.code} {f.severity} {f.name}: {f.message}" + (f" (fix: {f.advice})" if f.advice else "")


def to_junit(report: Report, fail_on: str = "error") -> str:
    bar = None if fail_on == "never" else severity_rank(fail_on)
    root = ET.Element("testsuites", name="miniscan")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for fr in report.files:
        suite = ET.SubElement(root, "testsuite", name=fr.path)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        t_file = float(fr.timings.get("total", 0.0) or 0.0)
        if fr.status == "error":
            case = ET.SubElement(suite, "testcase", classname=fr.path, name="load", time="0")
            ET.SubElement(case, "error", message=fr.error or "unreadable", type="load-error").text = \
                f"{fr.path}: {fr.error}"
            counts["tests"] += 1
            counts["errors"] += 1
        for c in fr.checks:
            t = float(fr.timings.get(c.family, 0.0) or 0.0)
            case = ET.SubElement(suite, "testcase", classname=fr.path, name=c.family,
                                 time=f"{t:.3f}")
            counts["tests"] += 1
            failing = [f for f in c.findings if bar is not None and severity_rank(f.severity) >= bar]
            other = [f for f in c.findings if f not in failing]
            if c.status == "error":
                ET.SubElement(case, "error", message=c.reason or "error", type="check-error").text = c.reason
                counts["errors"] += 1
            elif c.status != "ok":
                ET.SubElement(case, "skipped", message=f"{c.status}: {c.reason}")
                counts["skipped"] += 1
            elif failing:
                codes = sorted({f.code for f in failing})
                el = ET.SubElement(case, "failure", type=",".join(codes),
                                   message=f"{len(failing)} finding(s) at or above {fail_on}: "
                                           + ", ".join(codes))
                el.text = "\n".join(_line(fr.path, f) for f in failing)
                counts["failures"] += 1
            if other:
                ET.SubElement(case, "system-out").text = "\n".join(_line(fr.path, f) for f in other)
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{t_file:.3f}")
        total_time += t_file
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
