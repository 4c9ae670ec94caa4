"""SARIF 2.1.0 (OASIS) for code-scanning dashboards, e.g. GitHub's `upload-sarif`.

One run; the driver lists the whole rule catalogue, each rule with its page (`help`, the
markdown of docs/rules/CODE.md) and, when the config names where the docs are published
(`docs-url`), a `helpUri`; one result per finding. Mesh files have no
lines, so every result points at line 1 of its file (GitHub requires a startLine) and carries
the 3D location (centroid in model mm, region, faces, view) in its properties. Files that could
not be read and families that did not run are tool-execution notifications, not results.
Validated against the official schema in tests/test_ci_outputs.py.
"""

from __future__ import annotations

import hashlib
import json
import os

from ..findings import Finding, Report, round_floats
from ..rules import RULES

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(path: str) -> str:
    """A relative, '/'-separated URI for a path under the working directory, else file://."""
    p = os.path.normpath(path)
    if os.path.isabs(p):
        rel = os.path.relpath(p)
        if rel.startswith(".."):
            return "file://" + p.replace(os.sep, "/")
        p = rel
    return p.replace(os.sep, "/")


def fingerprint(path: str, f: Finding) -> str:
    """Stable across runs while the defect stays put: file, code, view, centroid on a 1 mm grid."""
    c = f.location.centroid_mm
    where = "" if c is None else ",".join(str(round(x)) for x in c)
    blob = f"{artifact_uri(path)}|{f.code}|{f.location.view or ''}|{where}"
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _location(path: str) -> dict:
    uri = artifact_uri(path)
    art = {"uri": uri} if uri.startswith("file://") else {"uri": uri, "uriBaseId": "%SRCROOT%"}
    return {"physicalLocation": {"artifactLocation": art, "region": {"startLine": 1}}}


def _message(f: Finding) -> str:
    text = f"{f.name}: {f.message}"
    if f.measured is not None and f.threshold is not None:
        unit = f" {f.unit}" if f.unit else ""
        text += f" (measured {f.measured:.4g}{unit}, threshold {f.threshold:.4g}{unit})"
    if f.advice:
        text += f" Fix: {f.advice}"
    return text


def _rules(docs_url: str | None) -> list[dict]:
    """The driver's rule catalogue; each rule carries its page (`help`, markdown) and, when
    the docs are published (`docs-url` in the config), a link to it (`helpUri`)."""
    from ..rule_docs import DOCS_DIR, help_uri, load_examples, sarif_help

    examples = load_examples()
    out = []
    for r in RULES.values():
        d = {"id": r.code, "name": r.name,
             "shortDescription": {"text": r.summary},
             "fullDescription": {"text": f"{r.code} {r.name} ({r.family}): {r.summary}."},
             "help": sarif_help(r, examples),
             "defaultConfiguration": {"level": LEVEL[r.severity]},
             "properties": {"family": r.family, "tags": ["miniscan", r.family],
                            "docs": f"{DOCS_DIR}/{r.code}.md"}}
        uri = help_uri(r, docs_url)
        if uri:
            d["helpUri"] = uri
        out.append(d)
    return out


def to_sarif_dict(report: Report, docs_url: str | None = None) -> dict:
    codes = list(RULES)
    rules = _rules(docs_url)
    results, notes = [], []
    for fr in report.files:
        if fr.status == "error":
            notes.append({"level": "error", "message": {"text": f"{fr.path}: {fr.error}"},
                          "locations": [_location(fr.path)]})
            continue
        for c in fr.checks:
            if c.status != "ok":
                notes.append({"level": "warning" if c.status == "not-run" else "error",
                              "message": {"text": f"{fr.path}: {c.family} {c.status}: {c.reason}"},
                              "locations": [_location(fr.path)]})
            for f in c.findings:
                loc = f.location
                props = {"family": c.family, "measured": f.measured, "threshold": f.threshold,
                         "unit": f.unit, "centroid_mm": None if loc.centroid_mm is None
                         else list(loc.centroid_mm), "region": loc.region,
                         "faces": list(loc.faces), "view": loc.view, "advice": f.advice}
                results.append({
                    "ruleId": f.code, "ruleIndex": codes.index(f.code),
                    "level": LEVEL[f.severity], "message": {"text": _message(f)},
                    "locations": [_location(fr.path)],
                    "partialFingerprints": {"miniscanFinding/v1": fingerprint(fr.path, f)},
                    "properties": {k: v for k, v in props.items() if v not in (None, [], "")},
                })
    run = {
        "tool": {"driver": {"name": "miniscan", "version": report.tool_version,
                            "semanticVersion": report.tool_version, "rules": rules}},
        "invocations": [{"executionSuccessful": report.errors == 0,
                         "toolExecutionNotifications": notes}],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"conditions": report.conditions},
    }
    return round_floats({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]})


def to_sarif(report: Report, docs_url: str | None = None) -> str:
    """Compact JSON: the C encoder is 5x faster than an indented dump, and SARIF is read by
    machines (pipe it through `python -m json.tool` to read it)."""
    return json.dumps(to_sarif_dict(report, docs_url), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")) + "\n"


def merge_sarif(docs: list[dict]) -> dict:
    """Several miniscan SARIF logs (e.g. one per CI shard) -> one log with one run."""
    if not docs:
        raise ValueError("nothing to merge")
    base = json.loads(json.dumps(docs[0]))
    run = base["runs"][0]
    for d in docs[1:]:
        for r in d.get("runs", []):
            if r["tool"]["driver"].get("version") != run["tool"]["driver"].get("version"):
                raise ValueError("SARIF logs come from different miniscan versions")
            run["results"] += r.get("results", [])
            inv = r.get("invocations") or [{}]
            mine = run.setdefault("invocations", [{"executionSuccessful": True}])[0]
            mine["executionSuccessful"] = bool(mine.get("executionSuccessful", True)
                                               and inv[0].get("executionSuccessful", True))
            mine.setdefault("toolExecutionNotifications", []).extend(
                inv[0].get("toolExecutionNotifications", []))
    run["results"].sort(key=lambda x: x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
    return base
