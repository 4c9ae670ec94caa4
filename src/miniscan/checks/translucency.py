"""Thin edges that want translucency (MS800-MS801). Numbers and sources: docs/translucency.md.

Thin skin, leaves and cloth let light through: an ear glows red against the light, a leaf
green, a thin hem shows the light behind it. Opaque resin and paint do not, so the same edges
on a model read thick. For every part whose material has a translucency thickness
(materials.toml `translucent_mm = [clear, limit]`, real millimetres), the thickness readings of
analysis/thickness/ are grouped into rims: free-standing walls (not relief held by thick
material, analysis.thickness.support), that light from above can reach. A rim whose thickness
interval lies wholly under

    t* = max(limit / N, PRINT_STAND_IN x the printer's minimum wall)

gets MS801 (info) with its area and place: real material that thin transmits light, and a rim
as thin as printing lets it be stands for such an edge. MS800 counts the rims the intervals
leave open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..evidence import FAIL, UNDETERMINED, Evidence, printable_floor_mm
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.translucency import MS801
from .scale import area_text

FAMILY = "translucency"

# --- tuned constants (unit, and why this value) ----------------------------------------------
# A rim modelled within 1.5 printer minimum walls is as thin as printing lets a free edge be:
# resin printers' design guides ask 0.4 mm for supported walls and 0.6 mm for unsupported ones
# (Formlabs' design guide, Form 2/3), so a free edge at <= 1.5 minimum walls is one the
# sculptor thinned to the limit, standing for a real edge thinner still.
PRINT_STAND_IN = 1.5
# Readings are grouped into rims when their interval reaches under t* (lo < t*); neighbours
# closer than LINK_SPACINGS sample spacings (measured between the readings' middles, so both
# faces of a wall are one rim) are one rim, as in the scale family.
LINK_SPACINGS = 2.5
RIM_MIN_SAMPLES = 3
# Light from above: the zenith and a ring of 8 directions 45 deg off it (a key light ~45 deg up,
# DESIGN.md section 1). A sample is lit when a ray from either face of the wall escapes along
# one of them; a rim is light-facing when LIT_SHARE of its samples are lit.
SKY_RING = 8
SKY_ELEVATION_DEG = 45.0
LIT_SHARE = 0.5
LIT_SAMPLES = 512  # per rim at most (evenly strided): enough for a share
RAY_OFFSET_SPACINGS = 0.05  # rays start this far off the surface (no self-hit)
# Glazes that suggest the light coming through, per material (the craft's usual colours).
GLAZE = {"skin": "a thin warm red or orange glaze on the rim",
         "cloth": "a thinned, lighter glaze toward the hem",
         "leather": "a thin warm glaze on the edge",
         "hair": "lighter, warmer tips"}
GLAZE_DEFAULT = "a thin, lighter glaze on the rim"
LAYER_GAP_SPACINGS = 3.0  # faces farther than this from every sample get no value


def stand_in_mm(conditions) -> float:
    return PRINT_STAND_IN * conditions.printer.min_wall_mm


def limit_mm(conditions, material: str) -> tuple[float | None, float]:
    """(real translucency thickness of the material or None, the model limit t*)."""
    rng = conditions.material_props(material).get("translucent_mm")
    if not rng:
        return None, 0.0
    real = float(rng[1])
    return real, max(real / conditions.scale_n, stand_in_mm(conditions))


@dataclass(frozen=True, eq=False)
class TranslucencyLayers(FamilyLayers):
    """Rims that want translucency, painted from the thickness samples (nearest sample).

    sample_rim: (s,) rim index of every thickness sample, -1 none; rim_thickness_mm: per rim;
    rim_flagged: per rim, True where MS801 was issued."""

    sample_points: np.ndarray
    sample_rim: np.ndarray
    rim_thickness_mm: np.ndarray
    rim_flagged: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray
    spacing_mm: float

    @cached_property
    def face_rim(self) -> np.ndarray:
        from scipy.spatial import cKDTree

        keep = np.flatnonzero(self.sample_rim >= 0)
        if len(keep) == 0 or len(self.faces) == 0:
            return np.full(len(self.faces), -1, dtype=np.int64)
        centroids = self.vertices[self.faces].mean(axis=1)
        d, j = cKDTree(self.sample_points[keep]).query(centroids, k=1)
        near = d <= LAYER_GAP_SPACINGS * self.spacing_mm
        return np.where(near, self.sample_rim[keep[np.minimum(j, len(keep) - 1)]], -1)

    def face_layers(self) -> tuple[FaceLayer, ...]:
        r = self.face_rim
        has = r >= 0
        j = np.maximum(r, 0)
        t = np.where(has, self.rim_thickness_mm[j] if len(self.rim_thickness_mm) else np.nan,
                     np.nan)
        flag = np.where(has, self.rim_flagged[j] if len(self.rim_flagged) else False, False)
        return (FaceLayer("translucency", np.where(flag, t, np.nan).astype(float), "mm",
                          "thin rim that wants translucency", "value"),)


# --- finding the rims ---------------------------------------------------------------------------

def _sky() -> np.ndarray:
    el = math.radians(SKY_ELEVATION_DEG)
    a = np.arange(SKY_RING) * (2 * math.pi / SKY_RING)
    ring = np.column_stack([math.cos(el) * np.cos(a), math.cos(el) * np.sin(a),
                            np.full(SKY_RING, math.sin(el))])
    return np.vstack([[0.0, 0.0, 1.0], ring])


def _lit(analysis, th, idx: np.ndarray) -> np.ndarray:
    """Per listed sample: can light from above reach either face of the wall there?"""
    sky = _sky()
    eps = RAY_OFFSET_SPACINGS * th.spacing_mm
    t = th.thickness_mm[idx]
    front = th.points[idx] - th.inward[idx] * eps  # outside the near face
    back = th.points[idx] + th.inward[idx] * (t + eps)[:, None]  # outside the far face
    orig = np.concatenate([front, back])
    rays = np.concatenate([np.repeat(orig, len(sky), axis=0), np.tile(sky, (len(orig), 1))], 1)
    ans = analysis.raycasting_scene.cast_rays(analysis.ray_tensor(rays))
    free = ~np.isfinite(ans["t_hit"].numpy()).reshape(len(orig), len(sky))
    lit = free.any(axis=1)
    return lit[:len(idx)] | lit[len(idx):]


def _free_standing(analysis, th, idx: np.ndarray, reach: float) -> np.ndarray:
    """Readings that are walls, not relief held by thick material within `reach`."""
    from ..analysis.thickness import held, support

    if len(idx) == 0:
        return np.zeros(0, dtype=bool)
    return ~held(th, idx, support(analysis, th, idx, reach), reach)


def _rims(analysis, th, sel: np.ndarray, t_star: float) -> list[np.ndarray]:
    """Sample indices of every rim among the selected readings: linked between their
    readings' middles, free-standing, with enough samples."""
    from ..analysis.thickness import regions

    idx = np.flatnonzero(sel)
    wall = np.zeros(len(sel), dtype=bool)
    wall[idx[_free_standing(analysis, th, idx, t_star)]] = True
    t = np.where(th.sure, th.thickness_mm, 0.0)
    anchor = th.points + th.inward * (0.5 * t)[:, None]
    lab = regions(anchor, wall, LINK_SPACINGS * th.spacing_mm)
    if not wall.any():
        return []
    order = np.argsort(lab, kind="stable")
    sizes = np.bincount(lab[wall])
    starts = np.searchsorted(lab[order], np.arange(len(sizes)))
    return [order[starts[r]:starts[r] + sizes[r]] for r in range(len(sizes))
            if sizes[r] >= RIM_MIN_SAMPLES]


def _location(th, idx) -> Location:
    pts = th.points[idx]
    k = int(np.argmin(((pts - pts.mean(axis=0)) ** 2).sum(axis=1)))
    return Location(tuple(float(x) for x in pts[k]),
                    faces=tuple(int(f) for f in np.unique(th.faces[idx])[:5]))


# --- judging a rim ------------------------------------------------------------------------------

def _organic_parts(model, conditions) -> list[tuple[str, int, str, float, float]]:
    out = []
    for p, name in enumerate(model.part_names):  # loop over parts (a handful)
        mat = conditions.material_for(name)
        real, lim = limit_mm(conditions, mat)
        if real is not None and lim > 0:
            out.append((name, p, mat, real, lim))
    return out


def _finding(model, conditions, part, t, lo, hi, area, loc) -> Finding:
    name, _, mat, real, lim = part
    n = conditions.scale_n
    where = f" on part '{name}'" if len(model.part_names) > 1 else ""
    if real / n >= lim:
        why = f"real {mat} under {real:g} mm lets light through ({_f(real / n)} mm at 1:{n:g})"
    else:
        why = (f"real {mat} under {real:g} mm lets light through; that is {_f(real / n)} mm at "
               f"1:{n:g}, and a rim printed as thin as this ({_f(lim)} mm, 1.5 minimum walls) "
               f"stands for it")
    msg = (f"thin {mat} rim {_f(t)} mm thick ({_f(lo)}-{_f(hi)}) over about {area_text(area)} mm² "
           f"each side{where}, lit from above: {why}; opaque resin and paint will read it thick")
    floor = max(conditions.printer.min_wall_mm, printable_floor_mm(conditions))
    thin = f"thin the edge toward {_f(floor)} mm" if t > 1.05 * floor else "keep the edge this thin"
    advice = (f"Print it in a translucent resin (light passes {_f(t)} mm), or paint "
              f"{GLAZE.get(mat, GLAZE_DEFAULT)}; {thin}.")
    return Finding("MS801", msg, measured=t, measured_range=(lo, hi), threshold=lim, unit="mm",
                   location=loc, advice=advice)


def _f(x: float) -> str:
    return f"{x:.2g}" if x < 0.1 else f"{x:.3g}"


def _judge_part(analysis, model, conditions, th, part, fpart, ev, out):
    """Every light-facing rim of one organic part: a verdict, a measurement, maybe MS801."""
    name, p, mat, real, lim = part
    sel = th.sure & th.surface & ~th.internal & (fpart == p) & (th.lo_mm < lim)
    # a rim the eye can see (r across) and at least a wall's width across (t*, as the scale
    # family asks min_wall^2 of a wall): a speck of readings at a junction is neither
    min_area = max(conditions.resolvable_mm, lim) ** 2
    for idx in _rims(analysis, th, sel, lim):  # loop over rims (a few)
        area = float(th.area_mm2[idx].sum()) / 2.0  # per side: both faces are sampled
        if area < min_area:
            continue
        probe = idx[np.linspace(0, len(idx) - 1, min(len(idx), LIT_SAMPLES)).astype(np.int64)]
        if _lit(analysis, th, probe).mean() < LIT_SHARE:
            continue
        t = float(np.median(th.thickness_mm[idx]))
        lo, hi = float(np.median(th.lo_mm[idx])), float(np.median(th.hi_mm[idx]))
        loc = _location(th, idx)
        v = ev.judge(MS801, lo, hi, lim)
        rim = len(out["rims"])
        out["rims"].append({"part": name, "material": mat, "thickness_mm": t,
                            "thickness_range_mm": [lo, hi], "limit_mm": lim,
                            "material_real_mm": real, "area_mm2": area,
                            "centroid_mm": list(loc.centroid_mm), "verdict": v})
        out["measurements"].append(Measurement("rim_thickness_mm", t, lo, hi, loc.centroid_mm,
                                               part=name, code="MS801", verdict=v))
        out["sample_rim"][idx] = rim
        out["rim_t"].append(t)
        out["flag"].append(v == FAIL)
        if v == UNDETERMINED:
            ev.unsure("rim", f"a {mat} rim reads {_f(lo)}-{_f(hi)} mm, across its {_f(lim)} mm "
                             f"limit; export finer at the rim or thin it clearly below the limit")
        elif v == FAIL:
            out["findings"].append(_finding(model, conditions, part, t, lo, hi, area, loc))


def run(model, conditions, analysis) -> CheckResult:
    ev = Evidence(FAMILY)
    parts = _organic_parts(model, conditions)
    metrics = {"organic_parts": [{"part": n, "material": m, "material_real_mm": r, "limit_mm": t}
                                 for n, _, m, r, t in parts],
               "print_stand_in_mm": stand_in_mm(conditions)}
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "no faces to measure rims on", metrics)
    if not parts:  # nothing organic: no thickness needed
        metrics.update({"rims": [], "verdicts": ev.metrics()})
        return CheckResult(FAMILY, "ok", None, metrics)
    from ..analysis.thickness import thickness

    th = analysis.cached("thickness", thickness)
    fpart = model.face_part()[th.faces]
    out = {"rims": [], "measurements": [], "findings": [], "rim_t": [], "flag": [],
           "sample_rim": np.full(len(th.points), -1, dtype=np.int64)}
    for part in parts:
        _judge_part(analysis, model, conditions, th, part, fpart, ev, out)
    metrics.update({"rims": out["rims"], "verdicts": ev.metrics()})
    layers = TranslucencyLayers(th.points, out["sample_rim"], np.array(out["rim_t"], float),
                                np.array(out["flag"], bool), model.vertices, model.faces,
                                th.spacing_mm)
    return CheckResult(FAMILY, "ok", None, metrics,
                       tuple(out["findings"]) + ev.findings("rims", "rim"), layers=layers,
                       measurements=tuple(out["measurements"]))
