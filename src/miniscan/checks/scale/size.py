"""Scale, MS501: the subject's size against the declared scale."""

from __future__ import annotations

import math
from ...evidence import FAIL, UNDETERMINED, Evidence, verdict
from ...findings import Finding, Location, Measurement
from ...rules.scale import MS501
from .common import SubjectError, UNIT_MM
from .subjects import Subject, _VERB, _human_mm, _n, fit_scale, get_subject, measure_subject


# --- MS501: the subject's size against the declared scale ----------------------------------

def _other_units_fit(model, size_mm: float, n: float, subj: Subject) -> list[str]:
    """Units (other than the guessed one) under which the subject would fit at 1:N."""
    if not model.units_guessed:
        return []
    here = UNIT_MM.get(model.units, model.unit_scale)
    return [u for u, k in UNIT_MM.items()
            if u != model.units and subj.lo_mm <= size_mm * k / here * n <= subj.hi_mm]


def _scale_verdict(real_lo: float, real_hi: float, subj: Subject) -> tuple[str, float]:
    """fail / pass / undetermined of a real-size interval against the subject's range, and the
    bound it is judged against."""
    if real_hi < subj.lo_mm or (real_lo < subj.lo_mm and real_hi <= subj.hi_mm):
        return verdict(real_lo, real_hi, subj.lo_mm, "below"), subj.lo_mm
    return verdict(real_lo, real_hi, subj.hi_mm, "above"), subj.hi_mm


def _scale_part(model, conditions, analysis, ev: Evidence, findings, metrics, measurements):
    name = conditions.subject
    metrics["subject"] = name
    if not name:
        return
    try:
        subj = get_subject(name, conditions.subjects_table())
    except SubjectError as e:
        metrics["subject_known"] = False
        ev.unsure("subject", f"{e}: the scale is not checked; pick a subject from the list, or "
                             f"add yours to the subject table")
        return
    metrics["subject_known"] = True
    ss = measure_subject(model, analysis, subj.measure)
    if ss.size_mm <= 0:
        ev.unsure("flat", f"the model has no {subj.measure} to compare with a {subj.name}'s")
        ev.count(MS501, UNDETERMINED)
        return
    n = conditions.scale_n
    real, lo, hi = ss.size_mm * n, ss.lo_mm * n, ss.hi_mm * n
    n_lo, n_hi = fit_scale(ss.size_mm, subj)
    metrics.update({
        "subject_measure": subj.measure, "up_axis": ss.axis,
        "subject_model_mm": ss.size_mm, "subject_model_range_mm": [ss.lo_mm, ss.hi_mm],
        "implied_real_mm": real, "subject_range_mm": [subj.lo_mm, subj.hi_mm],
        "fitting_scale_n": [n_lo, n_hi], "fitting_scale": f"1:{_n(n_lo)}-1:{_n(n_hi)}",
        "implied_scale_n": subj.typical_mm / ss.size_mm,
        "base_detected": ss.base.detected, "base_height_mm": ss.base.height_mm})
    v, near = _scale_verdict(lo, hi, subj)
    alt = _other_units_fit(model, ss.size_mm, n, subj) if v == FAIL else []
    if alt:
        v = UNDETERMINED
        ev.unsure("units", f"the units were guessed ({model.units}); read as {' or '.join(alt)} "
                           f"the {subj.name} would fit 1:{_n(n)}: state the units (--units)")
    elif v == UNDETERMINED:
        ev.unsure("size", f"the {subj.name}'s size {ss.lo_mm:.4g}-{ss.hi_mm:.4g} mm (where the "
                          f"base ends is known to a profile step) reads on both sides of its "
                          f"real range at 1:{_n(n)}")
    ev.count(MS501, v)
    c = tuple(float(x) for x in model.vertices.mean(axis=0))
    measurements.append(Measurement("subject_size_mm", ss.size_mm, ss.lo_mm, ss.hi_mm, c,
                                    code="MS501", verdict=v))
    if v != FAIL:
        return
    verb = _VERB[subj.measure]
    base = f" (base of {ss.base.height_mm:.3g} mm left out)" if ss.base.detected else ""
    findings.append(Finding(
        "MS501",
        f"a {subj.name} {ss.size_mm:.3g} mm {verb}{base} reads as {_human_mm(real)} {verb} at "
        f"1:{_n(n)} (a {subj.name} is {_human_mm(subj.lo_mm)}-{_human_mm(subj.hi_mm)}); "
        f"fits 1:{_n(n_lo)}-1:{_n(n_hi)}",
        measured=real, measured_range=(lo, hi), threshold=near, unit="mm real",
        location=Location(c),
        advice=f"Declare the scale it was made for (--scale 1:{_n(math.sqrt(n_lo * n_hi))}), "
               f"or resize the model by {math.sqrt(subj.lo_mm * subj.hi_mm) / real:.2f}x."))
