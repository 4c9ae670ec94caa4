"""Thickness, MS503: parts thicker than their material reads real."""

from __future__ import annotations

import math

import numpy as np
from ...evidence import FAIL, UNDETERMINED, printable_floor_mm
from ...findings import Finding, Measurement
from ...rules.scale import MS503
from .common import MATERIAL_MIN_SAMPLES, OVER, OVER_THICK_QUANTILE, OVER_THICK_Z, SHEET_RATIO
from .subjects import _human_mm, _n
from .walls import _region_location


# --- thickness: MS503, thicker than the material reads real ------------------------------------

def _edge_interval(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float, float]:
    """The part's edge thickness (its OVER_THICK_QUANTILE percentile) and interval: the ranks
    of that order statistic +-OVER_THICK_Z binomial standard errors, taken on the readings'
    own lower and upper ends."""
    n = len(t)
    q = OVER_THICK_QUANTILE / 100.0
    half = OVER_THICK_Z * math.sqrt(n * q * (1 - q))
    r_lo = int(np.clip(math.floor(n * q - half), 0, n - 1))
    r_hi = int(np.clip(math.ceil(n * q + half), 0, n - 1))
    return (float(np.percentile(t, OVER_THICK_QUANTILE)),
            float(np.partition(lo, r_lo)[r_lo]), float(np.partition(hi, r_hi)[r_hi]))


def _is_sheet(th, judged: np.ndarray, on_part: np.ndarray) -> bool:
    """The part is a sheet (SHEET_RATIO): its median reading against its one-side extent,
    sqrt(area / 2), the area being what the part's samples stand for."""
    extent = math.sqrt(0.5 * float(th.area_mm2[on_part].sum()))
    return float(np.median(th.thickness_mm[judged])) <= SHEET_RATIO * extent


def _over_thick(model, th, cls, conditions, ev, findings, measurements, state):
    n = conditions.scale_n
    m = conditions.printer.min_wall_mm
    fpart = model.face_part()[th.faces]
    judged = th.sure & ~cls.coincident
    out = []
    for p, pname in enumerate(model.part_names):
        mat = conditions.material_for(pname)
        rng = conditions.material_props(mat).get("thickness_mm")
        sel = judged & (fpart == p)
        if not rng or sel.sum() < MATERIAL_MIN_SAMPLES:
            continue
        sheet = _is_sheet(th, sel, th.surface & (fpart == p))
        if not sheet:
            out.append({"part": pname, "material": mat, "sheet": False})
            continue
        edge, lo, hi = _edge_interval(th.thickness_mm[sel], th.lo_mm[sel], th.hi_mm[sel])
        real_max = float(rng[1])
        floor = max(m, printable_floor_mm(conditions))  # advice never asks for less
        target = max(real_max / n, floor)
        conflict = real_max / n < floor
        where = np.flatnonzero(sel)[th.thickness_mm[sel] <= edge]
        loc = _region_location(th, where)
        v = ev.judge(MS503, lo, hi, target)
        measurements.append(Measurement("edge_thickness_mm", edge, lo, hi, loc.centroid_mm,
                                        part=pname, code="MS503", verdict=v))
        out.append({"part": pname, "material": mat, "sheet": True, "edge_mm": edge,
                    "edge_range_mm": [lo, hi], "edge_real_mm": edge * n,
                    "material_max_real_mm": real_max,
                    "target_mm": target, "conflict": bool(conflict), "verdict": v})
        if v == UNDETERMINED:
            ev.unsure("material", f"the thinnest tenth of a {mat} part reads {lo:.3g}-{hi:.3g} mm "
                                  f"against its {target:.3g} mm target; export finer or thin it "
                                  f"clearly below the target")
        if v != FAIL:
            continue
        state[where] = OVER
        findings.append(_over_thick_finding(model, pname, mat, edge, lo, hi, target, real_max,
                                            conflict, conditions, loc))
    return out


def _over_thick_finding(model, pname, mat, edge, lo, hi, target, real_max, conflict,
                        conditions, loc) -> Finding:
    n, m = conditions.scale_n, conditions.printer.min_wall_mm
    part = f" part '{pname}'" if len(model.part_names) > 1 else ""
    msg = (f"{mat}{part} is {edge:.3g} mm thick ({lo:.3g}-{hi:.3g}) even at its thinnest tenth "
           f"= {_human_mm(edge * n)} real at 1:{_n(n)}; real {mat} is at most "
           f"{_human_mm(real_max)}")
    if conflict:
        msg += (f". Realism and printing conflict: {_human_mm(real_max)} is "
                f"{real_max / n:.3g} mm here, under the printer's {m:g} mm wall")
        advice = (f"Thin the edges to the printer's {m:g} mm ({_human_mm(m * n)} real) and keep "
                  f"the body thick; a tapered edge reads thinner than it is.")
    else:
        advice = f"Thin the edges toward {target:.3g} mm; keep the body behind them thick."
    return Finding("MS503", msg, measured=edge, measured_range=(lo, hi), threshold=target,
                   unit="mm", location=loc, advice=advice)
