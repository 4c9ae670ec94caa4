"""Scale and thickness (MS500-MS503). Method, formulas and intervals: docs/scale.md.

MS501 scale-mismatch: the model's size, without its base slab, along the subject's measure
(height, horizontal length or largest extent), times N, lies wholly outside the subject's real
size range (data/subjects.toml). The size's interval is the base top's uncertainty; when the
units were guessed, another unit that would make the subject fit leaves the verdict open.

MS502 wall-too-thin: a free-standing wall (analysis/thickness/: readings, their intervals, and
the support probe that tells a wall from surface relief) whose thickness interval lies wholly
below the printer's minimum wall (Printer.min_wall_mm).

MS503 too-thick: the thinnest tenth of a part whose material has a real thickness range
(materials.toml `thickness_mm`) lies, with its order-statistic interval, wholly above the
realistic target hi / N (or the printer's minimum wall, when realism is thinner than printable).

MS500 scale-undetermined: one info that counts what the evidence could not decide (unknown
subject, guessed units, intervals that straddle, open sheets, escaping rays) and the
coincident or internal surfaces that read thinner than any printer makes (never walls).

Modules (each imports only those listed before it): common (the tuned constants), subjects (the
subject table, the base slab, the subject's size), size (MS501), classes (the picture layers,
what each reading is), walls (MS502), overthick (MS503), unmeasured (MS500's counts, the
metrics), refine (the readings refined around thin walls), and this package's run.
"""

from __future__ import annotations

from ...evidence import Evidence
from ...findings import CheckResult, Finding, Measurement
from .classes import ThicknessLayers, _Classes, _classify, coincident_floor_mm
from .common import FAMILY, MEASURES, SubjectError
from .overthick import _over_thick
from .refine import _refined
from .size import _scale_part
from .subjects import (
    BaseSlab, Subject, SubjectSize, _subject_from, base_slab, detect_base, fit_scale, get_subject,
    known_subjects, measure_subject, subjects, up_axis)
from .unmeasured import _sample_states, _thickness_metrics, _unmeasured
from .walls import _judge_walls, _measure_walls, area_text

__all__ = ["FAMILY", "MEASURES", "BaseSlab", "Subject", "SubjectError", "SubjectSize",
           "ThicknessLayers", "area_text", "base_slab", "coincident_floor_mm", "detect_base",
           "fit_scale", "get_subject", "known_subjects", "measure_subject", "run", "subjects",
           "up_axis"]


def _thickness_part(model, conditions, analysis, ev, findings, metrics, measurements):
    from ...analysis.thickness import thickness

    m, floor = conditions.printer.min_wall_mm, coincident_floor_mm(conditions)
    first = analysis.cached("thickness", thickness)
    th = analysis.cached(f"thickness-refined:{m!r}:{floor!r}", lambda a: _refined(
        a, first, m, floor))
    cls = _classify(analysis, th, m, floor)
    state = _sample_states(th, cls)
    thin = 0
    if conditions.printer.min_wall_mm > 0:
        thin = _judge_walls(th, cls, conditions, ev, findings, measurements, state)
        _measure_walls(th, cls.relief, conditions, ev, measurements)
    # a part's thinnest tenth is an order statistic of samples drawn evenly by area: the first
    # ones (refined samples crowd the thin walls; they come after the first in every array)
    k = len(first.points)
    first_cls = _Classes(cls.wall[:k], cls.relief[:k], cls.coincident[:k], cls.unsure[:k])
    over = _over_thick(model, first, first_cls, conditions, ev, findings, measurements, state)
    _unmeasured(th, cls, conditions, ev)
    metrics.update(_thickness_metrics(th, first, cls, conditions, state))
    metrics["thin_regions"] = thin
    metrics["material_thickness"] = over
    return ThicknessLayers(conditions.printer.min_wall_mm, th.points, th.thickness_mm, state,
                           model.vertices, model.faces, th.spacing_mm)


def run(model, conditions, analysis) -> CheckResult:
    ev = Evidence(FAMILY)
    findings: list[Finding] = []
    measurements: list[Measurement] = []
    metrics: dict = {}
    _scale_part(model, conditions, analysis, ev, findings, metrics, measurements)
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "no faces to measure thickness on", metrics,
                           tuple(findings) + ev.findings(), measurements=tuple(measurements))
    layers = _thickness_part(model, conditions, analysis, ev, findings, metrics, measurements)
    metrics["verdicts"] = ev.metrics()
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings) + ev.findings(),
                       layers=layers, measurements=tuple(measurements))
