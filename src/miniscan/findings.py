"""Values the checks produce and the writers consume: Finding, CheckResult, FileResult, Report.

Plain frozen dataclasses; `to_dict` gives the JSON contract of docs/report-format.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .rules import RULES, SEVERITIES, severity_rank

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Location:
    centroid_mm: tuple[float, float, float] | None = None
    region: int | None = None
    faces: tuple[int, ...] = ()  # the first few face ids, enough to find the place
    view: str | None = None

    def to_dict(self) -> dict:
        return {"centroid_mm": None if self.centroid_mm is None else list(self.centroid_mm),
                "region": self.region, "faces": list(self.faces), "view": self.view}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: str | None = None  # None -> the rule's default
    measured: float | None = None
    threshold: float | None = None
    unit: str | None = None
    location: Location = field(default_factory=Location)
    advice: str = ""

    def __post_init__(self):
        if self.code not in RULES:
            raise ValueError(f"unknown rule code {self.code}")
        if self.severity is None:
            object.__setattr__(self, "severity", RULES[self.code].severity)
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity}")

    @property
    def name(self) -> str:
        return RULES[self.code].name

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "severity": self.severity,
                "message": self.message, "measured": self.measured,
                "threshold": self.threshold, "unit": self.unit,
                "location": self.location.to_dict(), "advice": self.advice}


@dataclass(frozen=True)
class CheckResult:
    family: str
    status: str = "ok"  # ok | not-run | error
    reason: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    # In-memory extras for the pictures (frames, masks); never written to JSON.
    artifacts: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        return {"family": self.family, "status": self.status, "reason": self.reason,
                "metrics": self.metrics, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class MeshInfo:
    format: str
    faces: int
    vertices: int
    bodies: int
    units: str
    units_guessed: bool
    bbox_mm: tuple[float, float, float]
    watertight: bool
    mean_edge_mm: float
    parts: tuple[str, ...] = ()
    source: str = "mesh"  # mesh | point-cloud

    def to_dict(self) -> dict:
        return {"format": self.format, "faces": self.faces, "vertices": self.vertices,
                "bodies": self.bodies, "units": self.units, "units_guessed": self.units_guessed,
                "bbox_mm": list(self.bbox_mm), "watertight": self.watertight,
                "mean_edge_mm": self.mean_edge_mm, "parts": list(self.parts),
                "source": self.source}


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # ok | error
    error: str | None = None
    mesh: MeshInfo | None = None
    checks: tuple[CheckResult, ...] = ()
    conditions: dict | None = None  # set when this file's conditions differ from the run's
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.checks for f in c.findings]

    def worst(self) -> Finding | None:
        fs = self.findings
        return max(fs, key=lambda f: severity_rank(f.severity)) if fs else None

    def to_dict(self) -> dict:
        d = {"path": self.path, "status": self.status, "error": self.error,
             "mesh": self.mesh.to_dict() if self.mesh else None,
             "checks": [c.to_dict() for c in self.checks]}
        if self.conditions is not None:
            d["conditions"] = self.conditions
        return d


@dataclass(frozen=True)
class Report:
    tool_version: str
    conditions: dict
    files: tuple[FileResult, ...]
    timings: dict[str, Any] = field(default_factory=dict, compare=False)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in reversed(SEVERITIES)}
        for fr in self.files:
            for f in fr.findings:
                out[f.severity] += 1
        return out

    @property
    def errors(self) -> int:
        return sum(fr.status == "error" for fr in self.files)

    def exit_code(self, fail_on: str = "error") -> int:
        """2 if any file could not be read, 1 if a finding reaches fail_on, else 0."""
        if self.errors:
            return 2
        if fail_on == "never":
            return 0
        bar = severity_rank(fail_on)
        hit = any(severity_rank(f.severity) >= bar for fr in self.files for f in fr.findings)
        return 1 if hit else 0

    def to_dict(self, with_timings: bool = True) -> dict:
        d = {"schema_version": SCHEMA_VERSION,
             "tool": {"name": "miniscan", "version": self.tool_version},
             "conditions": self.conditions,
             "files": [f.to_dict() for f in self.files],
             "summary": {"files": len(self.files), "errors": self.errors,
                         "findings_by_severity": self.counts()}}
        if with_timings:
            d["timings"] = self.timings
        return d


def round_floats(obj: Any, digits: int = 6) -> Any:
    """Round every float to `digits` significant digits so JSON is stable and readable."""
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: round_floats(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [round_floats(v, digits) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return round_floats(obj.item(), digits)
    return obj
