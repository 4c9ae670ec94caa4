"""The distance sweep (issue 15): at which viewing distances does each finding hold?

"Test the miniature under different light angles and distances", made a command:
`miniscan sweep FILE --from 150mm --to 2m`. One row per rule and part (a rule group, as the
report merges them). Two ways to know where a row holds (docs/sweep.md):

- **solved**: the family gives every finding `holds_mm = (lo, hi)`, the viewing distances
  over which it holds, solved from the same formulas as the check. The family is checked at
  three anchors only (the near end, the geometric middle and the far end of the range) and
  each row holds over the union of its findings' intervals;
- **sampled**: a family that leaves `holds_mm` empty is re-checked (that family alone, on the
  same Analysis) at SAMPLES log-spaced distances, and a row holds where it was found; its
  true edges lie between the neighbouring samples, so it *may* hold up to them.

The model "reads" where no warning or error may hold. Rows that hold over the whole range
(a thin wall, a scale mismatch: not about distance) would hide that, so the distances where
it reads apart from them are given too.

Checks run through the runner (`run_checks` with other conditions on the same Analysis); no
printing here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .conditions import ViewingConditions
from .findings import CheckResult
from .rules import RULES, severity_rank

# Distances a sampled family is checked at, log-spaced, ends included. Odd, so that the
# geometric middle of the range is one of them (an anchor of the solved families too); seven
# over 150 mm-2 m is a step of x1.54, finer than the x2 that halves a resolvable size.
SAMPLES = 7
# The smallest far/near ratio worth sweeping (below it, check at one distance instead).
MIN_RANGE_RATIO = 1.1
BAD = ("warning", "error")  # severities that stop a model "reading"


@dataclass(frozen=True)
class SweepRow:
    """One rule on one part across the range."""

    code: str
    part: str | None
    severity: str
    method: str  # solved | sampled
    spans: tuple[tuple[float, float], ...]  # where it holds (mm), within the range
    may_hold: tuple[tuple[float, float], ...]  # sampled: spans widened to the next samples
    places: int  # the most places at any distance checked
    present: tuple[bool, ...] = ()  # sampled: found at each of the sweep's samples

    def holds_at(self, distance: float, samples=()) -> bool:
        """Solved: inside a span. Sampled: found at the sample nearest (in log distance)."""
        if self.method == "sampled" and self.present and len(samples) == len(self.present):
            k = int(np.argmin(np.abs(np.log(np.asarray(samples)) - math.log(distance))))
            return self.present[k]
        return _inside(distance, self.spans)

    @property
    def name(self) -> str:
        return RULES[self.code].name

    @property
    def family(self) -> str:
        return RULES[self.code].family

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "family": self.family, "part": self.part,
                "severity": self.severity, "method": self.method,
                "spans_mm": [list(s) for s in self.spans],
                "may_hold_mm": [list(s) for s in self.may_hold], "places": self.places,
                "present": list(self.present) or None}


@dataclass(frozen=True)
class Sweep:
    path: str
    near_mm: float
    far_mm: float
    samples_mm: tuple[float, ...]
    profile_distance_mm: float
    rows: tuple[SweepRow, ...]
    reads: tuple[tuple[float, float], ...]  # where no warning/error may hold
    constant: tuple[str, ...]  # codes of warning rows that hold over the whole range
    reads_apart_from_constant: tuple[tuple[float, float], ...]
    not_run: tuple[tuple[str, str], ...] = ()  # (family, reason)
    sampled_families: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"path": self.path, "near_mm": self.near_mm, "far_mm": self.far_mm,
                "samples_mm": list(self.samples_mm),
                "profile_distance_mm": self.profile_distance_mm,
                "rows": [r.to_dict() for r in self.rows],
                "reads_mm": [list(s) for s in self.reads],
                "constant": list(self.constant),
                "reads_apart_from_constant_mm": [list(s) for s in self.reads_apart_from_constant],
                "sampled_families": list(self.sampled_families),
                "not_run": [{"family": f, "reason": r} for f, r in self.not_run]}


class SweepError(ValueError):
    """A range that cannot be swept (a usage error)."""


# --------------------------------------------------------------------------- intervals


def union(spans) -> tuple[tuple[float, float], ...]:
    """Sorted, merged intervals (touching ones join)."""
    out: list[list[float]] = []
    for lo, hi in sorted((float(a), float(b)) for a, b in spans if b >= a):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def clip(spans, near: float, far: float) -> tuple[tuple[float, float], ...]:
    return union((max(lo, near), min(hi, far)) for lo, hi in spans if hi >= near and lo <= far)


def covers(spans, near: float, far: float) -> bool:
    return any(lo <= near and hi >= far for lo, hi in union(spans))


def _inside(x: float, spans) -> bool:
    return any(lo <= x <= hi for lo, hi in spans)


def free_of(rows, near: float, far: float) -> tuple[tuple[float, float], ...]:
    """Where in [near, far] none of `rows` may hold (their may_hold spans)."""
    cuts = sorted({near, far} | {x for r in rows for s in r.may_hold for x in s
                                if near < x < far})
    free = [(a, b) for a, b in zip(cuts, cuts[1:])
            if not any(_inside(math.sqrt(a * b), r.may_hold) for r in rows)]
    # a single distance between two held spans is not "reading"
    return tuple((a, b) for a, b in union(free) if b > a)


# --------------------------------------------------------------------------- running


def sample_distances(near_mm: float, far_mm: float, n: int = SAMPLES) -> tuple[float, ...]:
    if not (near_mm > 0 and math.isfinite(far_mm)) or far_mm < near_mm * MIN_RANGE_RATIO:
        raise SweepError(f"--to ({far_mm:g} mm) must be at least {MIN_RANGE_RATIO:g}× --from "
                         f"({near_mm:g} mm)")
    if n < 3:
        raise SweepError("a sweep needs at least 3 samples")
    return tuple(float(x) for x in np.geomspace(near_mm, far_mm, n))


def _check_at(model, analysis, conditions: ViewingConditions, options, distance: float,
              families: tuple[str, ...]) -> tuple[CheckResult, ...]:
    from .runner import run_checks

    cond = replace(conditions, distance_mm=float(distance))
    res, _ = run_checks(model, cond, replace(options, families=families), analysis, views=False)
    return res


def _solved(results: tuple[CheckResult, ...]) -> bool:
    return all(f.holds_mm is not None for r in results for f in r.findings)


def _run_all(model, analysis, conditions, options, grid, progress):
    """{distance: {family: CheckResult}}: every family at the anchors, the families whose
    findings lack holds_mm at the other samples too."""
    from .runner import selected_families

    fams = selected_families(options)
    mid = len(grid) // 2
    anchors = (grid[0], grid[mid], grid[-1])
    runs: dict[float, dict[str, CheckResult]] = {}
    for d in anchors:
        if progress:
            progress(f"checking at {d:.0f} mm")
        runs[d] = {r.family: r for r in _check_at(model, analysis, conditions, options, d, fams)}
    sampled = tuple(f for f in fams
                    if not all(_solved((runs[d][f],)) for d in anchors if f in runs[d]))
    for d in grid:
        if d in runs or not sampled:
            continue
        if progress:
            progress(f"checking {', '.join(sampled)} at {d:.0f} mm")
        runs[d] = {r.family: r for r in _check_at(model, analysis, conditions, options, d, sampled)}
    return runs, sampled


def _rows(runs, grid, sampled, near, far) -> list[SweepRow]:
    """One row per (code, part) seen anywhere: solved from its findings' holds_mm when all of
    them carry one, else from the samples where it was found."""
    seen: dict[tuple[str, str | None], dict] = {}
    for d, by_fam in runs.items():
        for fam, res in by_fam.items():
            if res.status != "ok":
                continue
            for f in res.findings:
                e = seen.setdefault((f.code, f.location.part), {"d": set(), "holds": [],
                                                                "places": 0, "sev": f.severity,
                                                                "solved": True})
                e["solved"] = e["solved"] and f.holds_mm is not None
                e["d"].add(d)
                e["places"] = max(e["places"], f.count)
                if severity_rank(f.severity) > severity_rank(e["sev"]):
                    e["sev"] = f.severity
                if f.holds_mm is not None:
                    e["holds"].append(tuple(f.holds_mm))
    rows = []
    for (code, part), e in seen.items():
        # a row whose every finding solved its own distances is solved even when its family
        # was re-checked for the sake of another rule: the sampled grid cannot resolve what
        # the physics already says (a gap that filled in at 350 mm stays filled at 1.3 m, where
        # the silhouette grid is too coarse to draw it at all)
        if RULES[code].family in sampled and not e["solved"]:
            present = [d in e["d"] for d in grid]
            spans, maybe = _sampled_spans(present, grid)
            rows.append(SweepRow(code, part, e["sev"], "sampled", spans, maybe, e["places"],
                                 tuple(present)))
        else:
            spans = clip(e["holds"], near, far)
            rows.append(SweepRow(code, part, e["sev"], "solved", spans, spans, e["places"]))
    order = {c: i for i, c in enumerate(RULES)}
    return sorted(rows, key=lambda r: (order[r.code], r.part or ""))


def _sampled_spans(present, grid):
    """(spans between the first and last sample of each run of presence, the same widened
    to the neighbouring samples: where it may hold)."""
    spans, maybe = [], []
    i, n = 0, len(grid)
    while i < n:
        if not present[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and present[j + 1]:
            j += 1
        spans.append((grid[i], grid[j]))
        maybe.append((grid[max(i - 1, 0)], grid[min(j + 1, n - 1)]))
        i = j + 1
    return union(spans), union(maybe)


def sweep_model(model, analysis, conditions: ViewingConditions, options, near_mm: float,
                far_mm: float, samples: int = SAMPLES, path: str | None = None,
                progress=None) -> Sweep:
    """The sweep of one model in memory (runner.open_file gives model and analysis)."""
    grid = sample_distances(near_mm, far_mm, samples)
    near, far = grid[0], grid[-1]
    runs, sampled = _run_all(model, analysis, conditions, options, grid, progress)
    not_run = {}
    for by_fam in runs.values():
        for fam, res in by_fam.items():
            if res.status != "ok":
                not_run.setdefault(fam, res.reason or res.status)
    rows = _rows(runs, grid, sampled, near, far)
    bad = [r for r in rows if r.severity in BAD]
    constant = [r for r in bad if covers(r.spans, near, far)]
    return Sweep(path or model.path, near, far, grid, conditions.distance_mm, tuple(rows),
                 free_of(bad, near, far), tuple(dict.fromkeys(r.code for r in constant)),
                 free_of([r for r in bad if r not in constant], near, far),
                 tuple(sorted(not_run.items())), sampled)


def count_at(sweep: Sweep, distance: float, severities=BAD) -> int:
    """How many rows of these severities hold at a distance (the chart's curve)."""
    return sum(1 for r in sweep.rows
               if r.severity in severities and r.holds_at(distance, sweep.samples_mm))
