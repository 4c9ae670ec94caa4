"""Thickness, MS500: what could not be measured, and the family's metrics."""

from __future__ import annotations

import numpy as np

from .classes import coincident_floor_mm
from .common import COINCIDENT, HIST_EDGES_MM, REGION_MIN_SAMPLES, RELIEF, THIN, UNSURE, WALL
from .walls import _regions_of


# --- thickness: what could not be measured ------------------------------------------------------

def _unmeasured(th, cls, conditions, ev):
    """Count the places with no wall verdict: open sheets (per body), escaping rays, and the
    coincident or internal surfaces (reported as what they are, never as walls)."""
    m = conditions.printer.min_wall_mm
    open_s = cls.unsure & th.open_body
    if open_s.any():
        area = np.bincount(th.body[open_s], weights=th.area_mm2[open_s])
        n_open = int((area >= max(m ** 2, REGION_MIN_SAMPLES * th.sample_area_mm2)).sum())
        if n_open:
            ev.unsure("open", "the mesh is an open sheet there: a surface with no inside has no "
                              "thickness; close it (give it a back or a base) to measure it",
                      n_open)
    rays = _regions_of(th, cls.unsure & ~th.open_body, m ** 2)
    if rays:
        ev.unsure("rays", "rays from the surface escape through holes or meet faces from "
                          "outside (inconsistent winding); close holes and fix the winding",
                  len(rays))
    coincident = _regions_of(th, cls.coincident, m ** 2)
    if coincident:
        floor = coincident_floor_mm(conditions)
        ev.unsure("coincident", f"surfaces there lie on or inside each other (coincident faces, "
                                f"internal walls or self-intersections) and read under the "
                                f"printer's finest step ({floor:g} mm) or from inside: they are "
                                f"not walls; remove the inner surfaces or union the parts",
                  len(coincident))


def _histogram(t: np.ndarray, w: np.ndarray, n: float) -> dict:
    hi = float(t.max()) if len(t) else 0.0
    edges = [0.0] + [e for e in HIST_EDGES_MM if e < hi] + [hi]
    area, _ = np.histogram(t, bins=edges, weights=w)
    share = (area / max(float(w.sum()), 1e-300)).tolist()
    return {"edges_mm": edges, "edges_real_mm": [e * n for e in edges], "area_share": share}


def _thickness_metrics(th, first, cls, conditions, state) -> dict:
    """Metrics of the readings; the median and tenth percentile from the first samples (drawn
    evenly by area: the refined ones crowd the thin walls)."""
    n = conditions.scale_n
    t = first.thickness_mm[first.sure]
    return {
        "thickness_samples": int(len(th.points)), "thickness_rays": th.rays,
        "thickness_unsure_share": th.unsure_share,
        "thickness_buried_share": (float(th.area_mm2[th.buried].sum() / th.area_mm2.sum())
                                   if len(th.buried) else 0.0),
        "median_thickness_mm": float(np.median(t)) if len(t) else None,
        "median_thickness_real_mm": float(np.median(t)) * n if len(t) else None,
        "p10_thickness_mm": float(np.percentile(t, 10)) if len(t) else None,
        "thickness_histogram": _histogram(th.thickness_mm[th.sure], th.area_mm2[th.sure], n),
        "min_wall_mm": conditions.printer.min_wall_mm,
        "coincident_floor_mm": coincident_floor_mm(conditions),
        "thin_area_share": th.share(state == THIN),
        "relief_area_share": th.share(cls.relief),
        "coincident_area_share": th.share(cls.coincident),
    }


def _sample_states(th, cls) -> np.ndarray:
    state = np.full(len(th.points), WALL, dtype=np.int8)
    state[cls.relief] = RELIEF
    state[cls.unsure] = UNSURE
    state[cls.coincident] = COINCIDENT
    state[th.buried] = -1
    return state
