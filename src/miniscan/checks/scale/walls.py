"""Thickness, MS502: free-standing walls thinner than the printer's minimum wall."""

from __future__ import annotations

import math

import numpy as np
from ...evidence import FAIL, UNDETERMINED
from ...findings import Finding, Location, Measurement
from ...rules.scale import MS502
from .common import (
    LINK_SPACINGS, MEASURE_WALLS, REGION_MIN_SAMPLES, THIN, WALL_RATIO, WALL_TURN_RAD)


# --- thickness: MS502, walls too thin -----------------------------------------------------------

def _region_location(th, idx) -> Location:
    """The sample nearest the region's centroid, and the region's first faces."""
    pts = th.points[idx]
    k = int(np.argmin(((pts - pts.mean(axis=0)) ** 2).sum(axis=1)))
    faces = tuple(int(f) for f in np.unique(th.faces[idx])[:5])
    return Location(tuple(float(x) for x in pts[k]), faces=faces)


def _regions_of(th, mask, min_area, values=None, ratio=None, one_way=False) -> list[np.ndarray]:
    """Sample indices of every region of `mask` with at least REGION_MIN_SAMPLES samples and
    `min_area` mm² of surface, in label order.

    Samples link when closer than LINK_SPACINGS sample spacings, measured between the middles
    of their readings (p + t/2 along the inward normal; the surface point where there is no
    reading): both faces of a thin wall share one middle, so they are one region without a
    link as wide as the wall (which would link thousands of neighbours on a dense part).
    `one_way` (thin walls): only samples of walls that run the same way link (their inward
    directions within WALL_TURN_RAD of parallel, either sense: a wall's two faces look
    opposite ways): a fin standing on a thin wing is a wall of its own, where one region held
    both and was placed on the wing, 10 mm from the fin (thickness:c57021). Walls that pass
    link within WALL_RATIO of each other's thickness instead (`values`, `ratio`); regions of
    no reading by place alone."""
    from ...analysis.thickness import regions

    t = np.where(th.sure, th.thickness_mm, 0.0)
    anchor = th.points + th.inward * (0.5 * t)[:, None]
    lab = regions(anchor, mask, LINK_SPACINGS * th.spacing_mm, values, ratio,
                  th.inward if one_way else None, math.cos(WALL_TURN_RAD))
    if not mask.any():
        return []
    sizes = np.bincount(lab[mask])
    order = np.argsort(lab, kind="stable")
    starts = np.searchsorted(lab[order], np.arange(len(sizes)))
    area = np.bincount(lab[mask], weights=th.area_mm2[mask])
    keep = np.flatnonzero((sizes >= REGION_MIN_SAMPLES) & (area >= min_area))
    return [order[starts[r]:starts[r] + sizes[r]] for r in keep]


def _wmedian(values: np.ndarray, weights: np.ndarray) -> float:
    """Area-weighted median (np.median when the weights are equal): a region's refined samples
    crowd its thin part, each standing for less area."""
    order = np.argsort(values, kind="stable")
    v, cw = values[order], np.cumsum(weights[order])
    half = 0.5 * cw[-1]
    i = int(np.searchsorted(cw, half * (1.0 - 1e-12), side="left"))
    if i + 1 < len(v) and abs(cw[i] - half) <= 1e-9 * cw[-1]:
        return float(0.5 * (v[i] + v[i + 1]))
    return float(v[min(i, len(v) - 1)])


def area_text(mm2: float) -> str:
    """An area as a model-maker writes it: 3 significant digits, thousands grouped (no 2.7e+03)."""
    return f"{float(f'{mm2:.3g}'):,.0f}" if mm2 >= 1000 else f"{mm2:.3g}"


def _wall_numbers(th, idx) -> tuple[float, float, float]:
    """A region's reading and interval: the area-weighted medians of its readings and ends."""
    w = th.area_mm2[idx]
    return (_wmedian(th.thickness_mm[idx], w), _wmedian(th.lo_mm[idx], w),
            _wmedian(th.hi_mm[idx], w))


def _straddle(lo, hi, m, th) -> str:
    return (f"walls read {lo:.3g}-{hi:.3g} mm, across the printer's {m:g} mm minimum wall (the "
            f"facets there are too coarse, or the wall is that close to the limit); export finer "
            f"there or thicken them clearly past {m:g} mm to be sure")


def _judge_walls(th, cls, conditions, ev, findings, measurements, state):
    """One verdict per wall region: [median lo, median hi] of its readings vs the minimum wall."""
    m = conditions.printer.min_wall_mm
    thin_regions = 0
    for idx in _regions_of(th, cls.wall, m ** 2, one_way=True):
        med, lo, hi = _wall_numbers(th, idx)
        loc = _region_location(th, idx)
        v = ev.judge(MS502, lo, hi, m)
        measurements.append(Measurement("thickness_mm", med, lo, hi, loc.centroid_mm,
                                        code="MS502", verdict=v))
        if v == UNDETERMINED:
            ev.unsure("wall", _straddle(lo, hi, m, th))
            continue
        if v != FAIL:
            continue
        thin_regions += 1
        state[idx] = THIN
        findings.append(Finding(
            "MS502",
            f"wall {med:.3g} mm thick ({lo:.3g}-{hi:.3g} mm) over about "
            f"{area_text(th.area_mm2[idx].sum())} mm² is thinner than the "
            f"{conditions.printer.name} printer's {m:g} mm minimum wall",
            measured=med, measured_range=(lo, hi), threshold=m, unit="mm", location=loc,
            advice=f"Thicken to at least {m:g} mm, or support it / print it solid."))
    return thin_regions


def _measure_walls(th, relief, conditions, ev, measurements):
    """Walls whose readings are at least the minimum wall, up to MEASURE_WALLS minimum walls:
    one region per wall of about one thickness (neighbours within WALL_RATIO), measured and
    judged on [median lo, median hi] (pass, or undetermined where the interval reaches below
    the minimum)."""
    m = conditions.printer.min_wall_mm
    ok = th.sure & ~relief & (th.thickness_mm >= m) & (th.thickness_mm < MEASURE_WALLS * m)
    for idx in _regions_of(th, ok, m ** 2, th.thickness_mm, WALL_RATIO):
        med, lo, hi = _wall_numbers(th, idx)
        v = ev.judge(MS502, lo, hi, m)
        measurements.append(Measurement("thickness_mm", med, lo, hi,
                                        _region_location(th, idx).centroid_mm, code="MS502",
                                        verdict=v))
        if v == UNDETERMINED:
            ev.unsure("wall", _straddle(lo, hi, m, th))
