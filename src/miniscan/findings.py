"""Values the checks produce and the writers consume: Finding, CheckResult, FileResult, Report.

Plain frozen dataclasses; `to_dict` gives the JSON contract of docs/report-format.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from .intervals import interval_supports
from .rules import RULES, SEVERITIES, severity_rank

SCHEMA_VERSION = 2  # 2: measured_range, count/places, location.part, split codes (docs/report-format.md)


def _floats(x) -> tuple[float, ...] | None:
    return None if x is None else tuple(float(v) for v in x)


@dataclass(frozen=True)
class Location:
    centroid_mm: tuple[float, float, float] | None = None
    part: str | None = None  # the part's name when the file has several parts
    region: int | None = None
    faces: tuple[int, ...] = ()  # the first few face ids, enough to find the place
    view: str | None = None  # the view that shows it best

    def to_dict(self) -> dict:
        return {"centroid_mm": None if self.centroid_mm is None else list(self.centroid_mm),
                "part": self.part, "region": self.region, "faces": list(self.faces),
                "view": self.view}


@dataclass(frozen=True)
class Place:
    """One occurrence of a merged finding: where, and what was measured there."""

    location: Location
    measured: float | None = None
    measured_range: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.location.to_dict().items() if k != "region"}
        d["measured"] = self.measured
        d["measured_range"] = None if self.measured_range is None else list(self.measured_range)
        return d


@dataclass(frozen=True)
class Finding:
    """One problem. Severity is the rule's default until the runner applies config overrides.

    A finding of a rule that compares a measurement with a threshold carries the measurement's
    interval (`measured_range`); the evidence rule requires the whole interval to lie on the
    wrong side, and construction fails otherwise (intervals.interval_supports).
    """

    code: str
    message: str
    measured: float | None = None
    measured_range: tuple[float, float] | None = None
    threshold: float | None = None
    unit: str | None = None
    location: Location = field(default_factory=Location)
    advice: str = ""
    count: int = 1  # places merged into this finding (merge_findings)
    places: tuple[Place, ...] = ()  # every place, worst first, when count > 1
    holds_mm: tuple[float, float] | None = None  # viewing distances over which it holds
    severity: str = ""  # set from the rule; only the runner changes it (config overrides)

    def __post_init__(self):
        if self.code not in RULES:
            raise ValueError(f"unknown rule code {self.code}")
        if not self.severity:
            object.__setattr__(self, "severity", RULES[self.code].severity)
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity}")
        object.__setattr__(self, "measured_range", _floats(self.measured_range))
        if not interval_supports(RULES[self.code], self.measured_range, self.threshold):
            raise ValueError(f"{self.code}: measured range {self.measured_range} does not lie "
                             f"wholly on the wrong side of {self.threshold} (evidence rule)")

    @property
    def name(self) -> str:
        return RULES[self.code].name

    @property
    def place(self) -> Place:
        return Place(self.location, self.measured, self.measured_range)

    def to_dict(self) -> dict:
        places = self.places or (self.place,)
        return {"code": self.code, "name": self.name, "severity": self.severity,
                "message": self.message, "measured": self.measured,
                "measured_range": None if self.measured_range is None else list(self.measured_range),
                "threshold": self.threshold, "unit": self.unit,
                "location": self.location.to_dict(), "advice": self.advice,
                "count": self.count, "places": [p.to_dict() for p in places],
                "holds_mm": None if self.holds_mm is None else list(self.holds_mm)}


def _badness(f: Finding) -> float:
    """How far a finding lies past its threshold (log ratio; 0 when not comparable)."""
    rule = RULES[f.code]
    if f.measured is None or f.threshold is None or rule.compare == "state":
        return 0.0
    m, t = abs(float(f.measured)), abs(float(f.threshold))
    if m <= 0 or t <= 0:
        return math.inf if (m <= 0) == (rule.compare == "below") else 0.0
    r = math.log(m / t)
    return -r if rule.compare == "below" else r


def merge_findings(findings) -> tuple[Finding, ...]:
    """One finding per rule and part: neighbours of the same problem merge, with a count.

    The representative is the worst place (farthest past the threshold; ties keep the family's
    order); `places` lists every place worst first. Order of the output: first appearance.
    """
    groups: dict[tuple[str, str | None], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.code, f.location.part), []).append(f)
    out = []
    for fs in groups.values():
        if len(fs) == 1 and fs[0].count == 1:
            out.append(fs[0])
            continue
        order = sorted(range(len(fs)), key=lambda i: (-_badness(fs[i]), i))
        worst = fs[order[0]]
        places = tuple(p for i in order for p in (fs[i].places or (fs[i].place,)))
        out.append(replace(worst, count=len(places), places=places))
    return tuple(out)


@dataclass(frozen=True)
class Measurement:
    """A measured quantity a family judged, with its interval (in memory; the ground-truth
    suite and the pictures read these). kind names the quantity and its unit, e.g.
    'bevel_radius_mm', 'wavelength_mm', 'thickness_mm', 'protrusion_width_mm'."""

    kind: str
    value: float
    lo: float
    hi: float
    centroid_mm: tuple[float, float, float] | None = None
    part: str | None = None
    code: str | None = None  # the rule it was judged against
    verdict: str | None = None  # fail | pass | undetermined
    faces: tuple[int, ...] = ()  # a few face ids on it (a closed rim's centroid is off it);
    # a specular body's: one face per cell it was read over


@dataclass(frozen=True)
class FaceLayer:
    """Per-face values a family wants painted on the model (render/layers.py draws them)."""

    name: str  # file-name part and legend key, e.g. "edges-radius"
    values: Any  # (n_faces,) float array; NaN = no value (grey)
    unit: str = ""
    label: str = ""  # legend title
    kind: str = "value"  # value | mask | label
    clim: tuple[float, float] | None = None
    note: str = ""
    categories: tuple[str, ...] = ()  # kind "label": the names the values index
    marks: tuple[tuple[float, str], ...] = ()  # values marked on the colour bar (min wall ...)


class FamilyLayers:
    """Base of each family's typed picture data (a frozen dataclass per family)."""

    def face_layers(self) -> tuple[FaceLayer, ...]:
        return ()


@dataclass(frozen=True)
class CheckResult:
    family: str
    status: str = "ok"  # ok | not-run | error
    reason: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    # In memory only, never written to JSON: picture data and judged measurements.
    layers: FamilyLayers | None = field(default=None, compare=False, repr=False)
    measurements: tuple[Measurement, ...] = field(default=(), compare=False, repr=False)

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
    print_scale: Any = None  # printsize.PrintScale when --height/--width/--length scaled it

    def to_dict(self) -> dict:
        return {"format": self.format, "faces": self.faces, "vertices": self.vertices,
                "bodies": self.bodies, "units": self.units, "units_guessed": self.units_guessed,
                "bbox_mm": list(self.bbox_mm), "watertight": self.watertight,
                "mean_edge_mm": self.mean_edge_mm, "parts": list(self.parts),
                "source": self.source,
                "print_size": None if self.print_scale is None else self.print_scale.to_dict()}


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
