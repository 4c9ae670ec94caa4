"""Is this kit consistent? The implied scale of every model in a folder, the spread, outliers.

Each model with a subject (one for the whole kit, or per file-name glob: '*horse*=horse,*=human')
is measured as the scale check does (checks/scale/: base slab left out, along the subject's
measure). Its implied scale is 1:N with N = subject.typical_mm / size, and it fits every scale
from subject.lo_mm / size to subject.hi_mm / size. The kit's scale is the median implied N; a
model is an outlier when that scale is outside its own fitting range (its subject would be out
of range at the kit's scale) and no single scale fits every model. No printing, no CLI here:
`miniscan scale` shows the result.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable

import numpy as np

from .checks.scale import get_subject, measure_subject


@dataclass(frozen=True)
class KitEntry:
    path: str
    subject: str | None
    measure: str | None = None
    size_mm: float | None = None
    base_detected: bool = False
    base_height_mm: float = 0.0
    implied_n: float | None = None
    fit_n: tuple[float, float] | None = None
    outlier: bool = False
    fits_declared: bool | None = None  # None: no declared scale or no subject
    error: str | None = None


@dataclass(frozen=True)
class KitReport:
    entries: tuple[KitEntry, ...]
    declared_n: float | None = None
    median_n: float | None = None
    min_n: float | None = None
    max_n: float | None = None
    spread_ratio: float | None = None  # max_n / min_n
    common_fit_n: tuple[float, float] | None = None  # scales at which every model fits
    outliers: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def consistent(self) -> bool:
        return not self.outliers and not any(e.fits_declared is False for e in self.entries)

    @property
    def errors(self) -> int:
        return sum(e.error is not None for e in self.entries)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["entries"] = [asdict(e) for e in self.entries]
        d["consistent"] = self.consistent
        return d


def parse_subject_map(text: str | None, extra: dict | None = None) -> tuple[tuple[str, str], ...]:
    """'human' -> (('*', 'human'),); '*horse*=horse, *=human' -> pairs. Unknown subjects raise
    SubjectError (a usage error) with the list of known ones."""
    if not text or not str(text).strip():
        return ()
    out = []
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        glob, name = (x.strip() for x in item.split("=", 1)) if "=" in item else ("*", item)
        out.append((glob, get_subject(name, extra).name))
    return tuple(out)


def subject_for(path: str, mapping: tuple[tuple[str, str], ...]) -> str | None:
    """First glob matching the file name (or the whole path) wins."""
    name = Path(path).name
    for glob, subj in mapping:
        if fnmatchcase(name, glob) or fnmatchcase(str(path), glob):
            return subj
    return None


def measure_model(model, subject: str, declared_n: float | None = None,
                  extra: dict | None = None, up: str | None = None) -> KitEntry:
    from .analysis import Analysis

    subj = get_subject(subject, extra)
    ss = measure_subject(model, Analysis(model), subj.measure)
    if ss.size_mm <= 0:
        return KitEntry(model.path, subj.name, subj.measure, 0.0, error="model has no size")
    lo, hi = subj.lo_mm / ss.size_mm, subj.hi_mm / ss.size_mm
    fits = None if declared_n is None else bool(lo <= declared_n <= hi)
    return KitEntry(model.path, subj.name, subj.measure, ss.size_mm, ss.base.detected,
                    ss.base.height_mm, subj.typical_mm / ss.size_mm, (lo, hi), False, fits)


def summarise(entries: Iterable[KitEntry], declared_n: float | None = None) -> KitReport:
    """Spread and outliers over the measured entries."""
    entries = list(entries)
    ok = [e for e in entries if e.implied_n is not None]
    notes = []
    if not ok:
        if not any(e.subject for e in entries):
            notes.append("no model has a subject: pass --subject NAME or '*glob*=NAME,...'")
        return KitReport(tuple(entries), declared_n, notes=tuple(notes))
    ns = np.array([e.implied_n for e in ok])
    med = float(np.median(ns))
    lo = max(e.fit_n[0] for e in ok)
    hi = min(e.fit_n[1] for e in ok)
    common = (lo, hi) if lo <= hi else None
    out_entries, outliers = [], []
    for e in entries:
        # a scale that fits every model makes the kit consistent; otherwise the models
        # whose own fitting range misses the kit's median scale are the odd ones out
        if (common is None and e.implied_n is not None and len(ok) >= 2
                and not (e.fit_n[0] <= med <= e.fit_n[1])):
            e = KitEntry(**{**asdict(e), "outlier": True, "fit_n": e.fit_n})
            outliers.append(e.path)
        out_entries.append(e)
    if len(ok) == 1:
        notes.append("one model measured: no spread to judge")
    return KitReport(tuple(out_entries), declared_n, med, float(ns.min()), float(ns.max()),
                     float(ns.max() / ns.min()), common, tuple(outliers), tuple(notes))


def fmt_n(n: float | None) -> str:
    if n is None or not math.isfinite(n):
        return "-"
    return f"1:{n:.0f}" if n >= 10 else f"1:{n:.2g}"
