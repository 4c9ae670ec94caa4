"""Colour and contrast (MS700-MS703): is the painted detail readable, too harsh, or absent?

The kernel is analysis/colour.py (band-pass of the vertex luminance over the surface, per
region). Here each region is judged on its interval (evidence.py), failing regions that touch
are joined into one place, and a file without colour is not judged (metrics say so; no
finding). Method, thresholds and intervals: docs/colour.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import vision
from ..evidence import FAIL, UNDETERMINED, Evidence, printable_floor_mm
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.colour import MS701, MS702, MS703

FAMILY = "colour"

# Contrast reserve: reading needs the contrast several times its detection threshold
# (Whittaker & Lovie-Kitchin 1993: about 3:1 for spot reading, 10:1 for fluent reading).
# Detail seen at under 3x its threshold is there but does not read: mud.
READABLE_RESERVE = 3.0
# The brightest and darkest a real lit surface shows side by side: matte white paint
# reflects about 85 %, matte black about 4 % (relative luminance), Michelson 0.91.
WHITE_MATTE_Y = 0.85
BLACK_MATTE_Y = 0.04
# Koschmieder (1924): apparent contrast falls as exp(-3.912 x / V) over a path x in air of
# meteorological visual range V (3.912 = ln 50, the 2 % threshold). V = 20 km: clear air.
KOSCHMIEDER_LN = math.log(50.0)
VISUAL_RANGE_MM = 20e6
# A flat surface must span this many regions (each 16 r: 4 regions ~ 32 r, five glance
# footprints of 6') to read as a surface of its own rather than a detail.
FLAT_MIN_REGIONS = 4
FACES_LISTED = 5
# A texture looked up at the vertices samples it fully only when the vertices are at most two
# texels apart (Nyquist); farther apart, the texture holds detail the lookup cannot see and
# its point samples alias: no colour verdict is evidence then.
TEXELS_PER_EDGE_MAX = 2.0
# The bracket [best band, one-sinusoid fit] (the fit through the cascade's measured reading,
# analysis.colour.CASCADE_READ) missed the true C S(f) of sinusoidal stripes of 1.8-12 r a
# period by at most 7.4 % in 95 % of 420 interior regions (p99 15 %) of 100 sheets drawn apart
# from those the reading was measured on (random 3-D poses; isotropic, jittered and 4:1 sliver
# grids, 6-14 vertices a period; 250-600 mm): the 95 % share, rounded up (docs/colour.md)
CASCADE_GAIN_TOL = 0.08


def harsh_limit(distance_mm: float, scale_n: float) -> float:
    """The highest luminance contrast a real surface shows seen from D N through air."""
    c_real = (WHITE_MATTE_Y - BLACK_MATTE_Y) / (WHITE_MATTE_Y + BLACK_MATTE_Y)
    return c_real * math.exp(-KOSCHMIEDER_LN * distance_mm * scale_n / VISUAL_RANGE_MM)


def sensitivity(periods_mm: np.ndarray, distance_mm: float) -> np.ndarray:
    """S(f) of each period (any shape): a handful of distinct periods (the bands, the fitted
    grid), each evaluated once."""
    p = np.asarray(periods_mm, float)
    u, inv = np.unique(p, return_inverse=True)
    su = np.array([vision.contrast_sensitivity(vision.cycles_per_degree(float(x), distance_mm))
                   for x in u])
    return su[inv].reshape(p.shape)


def sampling_share(area_mm2: np.ndarray, period_mm) -> np.ndarray:
    """Relative half-width (~2 sigma) of an RMS over an area holding area / p^2 independent
    periods (as specular's sampling_share): 1 / sqrt(n), n >= 1."""
    return 1.0 / np.sqrt(np.maximum(area_mm2 / np.asarray(period_mm) ** 2, 1.0))


# --- the family's picture data ---------------------------------------------------------------

@dataclass(frozen=True)
class ColourLayers(FamilyLayers):
    face_visibility: np.ndarray = field(repr=False)  # best band's C S(f), threshold multiples
    face_contrast: np.ndarray = field(repr=False)  # eye-resolved Michelson (Y98 vs Y2)
    harsh_limit: float = 1.0

    def face_layers(self) -> tuple[FaceLayer, ...]:
        return (FaceLayer("colour-visibility", self.face_visibility, "× threshold",
                          "painted detail, times what the eye needs",
                          "value", clim=(0.0, 2.0 * READABLE_RESERVE),
                          note=f"below {READABLE_RESERVE:g}: muddy",
                          marks=((READABLE_RESERVE, "reads"),)),
                FaceLayer("colour-contrast", self.face_contrast, "Michelson",
                          "luminance contrast the eye resolves", "value", clim=(0.0, 1.0),
                          note="above the mark: harsher than a real surface",
                          marks=((self.harsh_limit, "real max"),)))


# --- region verdicts -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Judged:
    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    threshold: float
    verdict: np.ndarray  # str per region ("" = not judged)


def _judge(ev, rule, value, lo, hi, threshold, judged: np.ndarray, settle: str,
           blind: str = "") -> _Judged:
    """Verdict of every judged region; `blind` (the reason) when the colour field cannot
    support any verdict: each is then undetermined for that reason."""
    from ..evidence import verdict

    if blind:
        lo, hi, settle = np.zeros_like(value), np.full_like(value, np.inf), blind
    out = np.full(len(value), "", dtype=object)
    for i in np.flatnonzero(judged).tolist():  # regions, a few hundred: verdicts are scalar
        out[i] = verdict(float(lo[i]), float(hi[i]), threshold, rule.compare)
    for v in (FAIL, "pass", UNDETERMINED):
        n = int(np.count_nonzero(out == v))
        if n:
            ev.count(rule, v, n)
    n_open = int(np.count_nonzero(out == UNDETERMINED))
    if n_open:
        ev.unsure("texture" if blind else rule.code, settle, n_open)
    return _Judged(value, lo, hi, threshold, out)


def _ms701(cf, vis, s, ev, distance_mm, blind="", analysis=None) -> _Judged:
    from ..analysis.colour import one_sinusoid

    best = vis.max(axis=1)  # the rule's reading: the best unmixed band
    # the bands' readings explained by one sinusoid between the peaks: its own C S(f). The two
    # readings bracket where the detail lies in the spectrum (energy at the bands' peaks, or
    # one pattern between them), so the interval spans both
    c_fit, p_fit = one_sinusoid(cf.band_raw, cf.periods_mm)
    fit = c_fit * sensitivity(p_fit, distance_mm)
    # the bands' mean energy over the region is known to its spread between blocks; errors
    # of the bands' energies add at most linearly. An energy is a positive scale (its error
    # multiplicative, chi-square-like), so the interval is symmetric in its logarithm (the
    # delta method on log E: half-width rel), and the visibility goes as its square root
    e = cf.band_raw ** 2
    tot = e.sum(axis=1)
    with np.errstate(invalid="ignore"):
        rel = np.divide((cf.band_spread * e).sum(axis=1), tot, out=np.zeros(len(tot)),
                        where=tot > 0)
    rel = np.nan_to_num(rel, nan=np.inf)
    with np.errstate(over="ignore"):
        lo = np.minimum(best, fit) * np.exp(-rel / 2.0) / (1.0 + CASCADE_GAIN_TOL)
        hi = np.maximum(best, fit) * np.exp(rel / 2.0) * (1.0 + CASCADE_GAIN_TOL)
    # detail coarser than the ladder's last band is seen at least as well as that band
    # (plateau CSF) but the bands under-read it: its contrast, read over about one period per
    # region (sampling share 1), bounds the visibility from above
    coarse_hi = cf.coarse_contrast * float(s[-1]) * 2.0
    hi = np.maximum(hi, coarse_hi)
    lo = np.maximum(lo, 0.0)
    painted = detail_contrast(cf) >= 1.0 / vision.CSF_PEAK_SENSITIVITY  # MS703's bar: not flat
    judged = cf.counted & painted
    if not blind and cf.blocks:
        # touching regions that read the detail alike, read again as one (colour_union)
        from .colour_union import narrow_by_unions

        with np.errstate(divide="ignore", invalid="ignore"):
            bracket = np.where(np.minimum(best, fit) > 0,
                               np.maximum(best, fit) / np.minimum(best, fit), np.inf)
        lo, hi = narrow_by_unions(cf, best, lo, hi, judged, s,
                                  lambda p: sensitivity(p, distance_mm), bracket, coarse_hi,
                                  CASCADE_GAIN_TOL)
    if not blind and analysis is not None:
        # a region still open, read again at its luminance spectrum's peak (colour_peak)
        from ..analysis.colour import FIT_PERIODS
        from .colour_peak import narrow_by_peaks

        open_ = judged & (lo < READABLE_RESERVE) & (hi >= READABLE_RESERVE)
        best, lo, hi = narrow_by_peaks(analysis, cf, best, lo, hi, open_,
                                       lambda p: sensitivity(p, distance_mm),
                                       float(FIT_PERIODS[-1] * cf.periods_mm[0]))
    return _judge(ev, MS701, best, lo, hi, READABLE_RESERVE, judged,
                  "their detail contrast lies within the measurement's margin of what the eye "
                  "needs (where the detail lies between the bands' periods, and how evenly the "
                  "region holds it); a look at the distance you care about settles it", blind)


def _ms702(cf, limit, ev, blind="") -> _Judged:
    from ..analysis.colour import michelson

    lo, hi = michelson(cf.y_hi, cf.y_lo), michelson(cf.y_max, cf.y_min)
    return _judge(ev, MS702, lo, lo, hi, limit, cf.counted,
                  "only a sliver of them (under 2 % of the area) reaches a harsher contrast; "
                  "a look at the extremes of the palette there settles it", blind)


def detail_contrast(cf) -> np.ndarray:
    """(R,) the contrast of a region's colour detail: its fine contrast (everything finer than
    the region), or its best band's where that is more. A pattern near the coarsest band's
    period (8 r, two periods a region) is partly coarser than the region's lowpass, so its
    fine contrast holds only part of it (~75 % at 8 r) while the band reads it whole: such
    stripes are painted detail, not a flat tone."""
    return np.maximum(cf.fine_contrast, cf.band_contrast.max(axis=1))


def _ms703(cf, ev, blind="") -> _Judged:
    share = sampling_share(cf.area, cf.periods_mm[0])
    fc = detail_contrast(cf)
    return _judge(ev, MS703, fc, fc * (1.0 - share), fc * (1.0 + share),
                  1.0 / vision.CSF_PEAK_SENSITIVITY, cf.counted,
                  "their colour varies only a little, within the sampling margin of the eye's "
                  "best threshold", blind)


# --- places ----------------------------------------------------------------------------------

def components(cells: np.ndarray, flagged: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected groups of flagged region cubes (26-neighbourhood); label -1 unflagged."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from .colour_union import touching

    label = np.full(len(flagged), -1)
    idx = np.flatnonzero(flagged)
    if not len(idx):
        return 0, label
    pos = np.full(len(flagged), -1)
    pos[idx] = np.arange(len(idx))
    i, j = touching(cells, flagged)  # (colour_union: the unions' neighbours too)
    n = len(idx)
    count, lab = connected_components(
        coo_matrix((np.ones(len(i)), (pos[i], pos[j])), shape=(n, n)), directed=False)
    label[idx] = lab
    return count, label


def _places(cf, judged: _Judged, compare: str, min_regions: int = 1):
    """(regions, worst region) of every connected group of failing regions."""
    count, label = components(cf.cell, judged.verdict == FAIL)
    out = []
    for g in range(count):  # groups of regions: a handful
        regs = np.flatnonzero(label == g)
        if len(regs) < min_regions:
            continue
        v = judged.value[regs]
        worst = regs[int(np.argmin(v) if compare == "below" else np.argmax(v))]
        out.append((regs, worst))
    return out


def _location(cf, regs, analysis) -> Location:
    w = cf.area[regs]
    cen = tuple(float(x) for x in np.average(cf.centroid[regs], axis=0, weights=w))
    faces = np.flatnonzero(np.isin(cf.face_region, regs))[:FACES_LISTED]
    if not len(faces):
        faces = _faces_under(cf, regs, analysis)
    return Location(cen, faces=tuple(int(f) for f in faces))


def _faces_under(cf, regs, analysis) -> np.ndarray:
    """The faces a group of regions was read on when none of them holds a face's centroid: on
    a wall drawn in faces as tall as the wall (a plate's sides), every face's centroid can lie
    in the cube beside the region. The finding then listed no face, and its centre, averaged
    over regions on two walls meeting at a corner, lay inside the solid (colour:82093 of the
    ground-truth suite: a side wall's mottle was scored on the plate's flat top). On each
    region's own surface, the faces nearest its centre."""
    from ..analysis.colour import face_surfaces

    if cf.surface is None:
        return np.zeros(0, np.int64)
    surface = face_surfaces(analysis)
    fc = analysis.face_centroids
    per = max(1, FACES_LISTED // len(regs))
    out = []
    for r in regs[:FACES_LISTED]:  # a group's regions: a handful
        own = np.flatnonzero(surface == cf.surface[r])
        if not len(own):
            continue
        d = ((fc[own] - cf.centroid[r]) ** 2).sum(axis=1)
        k = min(per, len(own))
        near = np.argpartition(d, k - 1)[:k]
        out.append(own[near[np.argsort(d[near], kind="stable")]])
    return np.concatenate(out)[:FACES_LISTED] if out else np.zeros(0, np.int64)


# --- findings --------------------------------------------------------------------------------

def _f701(cf, j: _Judged, vis, s, c, analysis) -> list[Finding]:
    out = []
    floor = printable_floor_mm(c)
    k_eye = int(np.argmax(s))  # the band the eye is most sensitive to at this distance
    for regs, w in _places(cf, j, "below"):
        k = int(np.argmax(cf.band_contrast[w]))  # where the painted detail's contrast lies
        here, there = READABLE_RESERVE / float(s[k]), READABLE_RESERVE / float(s[k_eye])
        bold = max(float(cf.periods_mm[k_eye]), floor)
        out.append(Finding(
            MS701.code,
            f"painted detail over {cf.area[regs].sum():.3g} mm² reads at only "
            f"{j.value[w]:.2g}x its threshold at {c.distance_mm:.0f} mm (most of its contrast, "
            f"{100 * cf.band_contrast[w, k]:.2g} %, lies at {cf.periods_mm[k]:.2g} mm a period, "
            f"where the eye needs {100 * here:.2g} %): it will look muddy",
            measured=float(j.value[w]), measured_range=(float(j.lo[w]), float(j.hi[w])),
            threshold=READABLE_RESERVE, unit=MS701.unit, location=_location(cf, regs, analysis),
            advice=(f"raise this detail's contrast to at least {100 * here:.2g} % (a darker wash "
                    f"in the recesses, a lighter highlight)"
                    + (f", or paint it bolder, {bold:.2g} mm a period or more, at "
                       f"{100 * there:.2g} % or more" if k_eye != k else "")),
            holds_mm=(float(c.distance_mm), math.inf)))
    return out


def _f702(cf, j: _Judged, c, analysis) -> list[Finding]:
    from ..analysis.colour import lightness

    out = []
    lim = j.threshold
    for regs, w in _places(cf, j, "above"):
        y_hi = float(cf.y_hi[w])
        y_dark = y_hi * (1.0 - lim) / (1.0 + lim)  # the darkest tone that keeps the lightest
        out.append(Finding(
            MS702.code,
            f"colours here span a luminance contrast of {j.value[w]:.2f} (L* "
            f"{float(lightness(cf.y_lo[w])):.0f} to {float(lightness(cf.y_hi[w])):.0f}), harsher "
            f"than any real surface seen from {c.distance_mm * c.scale_n / 1000:.0f} m "
            f"(≤ {lim:.2f}): toy-like at 1:{c.scale_n:g}",
            measured=float(j.value[w]), measured_range=(float(j.lo[w]), float(j.hi[w])),
            threshold=lim, unit=MS702.unit, location=_location(cf, regs, analysis),
            advice=f"shift the contrast down: lift the darkest tone to L* ≥ "
                   f"{float(lightness(y_dark)):.0f} (a dark grey-brown rather than black) or "
                   f"tone the lightest down"))
    return out


def _f703(cf, j: _Judged, s, c, analysis) -> list[Finding]:
    out = []
    need = READABLE_RESERVE / float(np.max(s))
    p = float(cf.periods_mm[int(np.argmax(s))])
    for regs, w in _places(cf, j, "below", FLAT_MIN_REGIONS):
        out.append(Finding(
            MS703.code,
            f"{cf.area[regs].sum():.3g} mm² of one flat tone: its colour varies by "
            f"{_pct(j.value[w])} % at most, nothing the eye can see even at its most "
            f"sensitive: it reads as airbrushed plastic",
            measured=float(j.value[w]), measured_range=(float(j.lo[w]), float(j.hi[w])),
            threshold=j.threshold, unit=MS703.unit, location=_location(cf, regs, analysis),
            advice=f"introduce micro-variation: a filter, stipple or glaze of about "
                   f"{100 * need:.2g} % contrast at {max(p, printable_floor_mm(c)):.2g} mm or "
                   f"coarser reads at {c.distance_mm:.0f} mm"))
    return out


def _pct(x: float) -> str:
    return "0" if x < 1e-6 else f"{100 * x:.2g}"


def _measurements(cf, judged) -> tuple[Measurement, ...]:
    out = []
    for kind, rule, j in judged:
        for i in np.flatnonzero(j.verdict != "").tolist():  # judged regions
            out.append(Measurement(kind, float(j.value[i]), float(j.lo[i]), float(j.hi[i]),
                                   tuple(float(x) for x in cf.centroid[i]), code=rule.code,
                                   verdict=str(j.verdict[i])))
    return tuple(out)


def _no_colour(model) -> CheckResult:
    return CheckResult(FAMILY, "ok", None,
                       {"colour_source": "none", "rules_run": False,
                        "why": "the file holds no colour miniscan reads (vertex colours in PLY, "
                               "OBJ 'v x y z r g b', glTF COLOR_0; embedded glTF base-colour "
                               "textures): colour and contrast are not judged"})


def uniform(rgb: np.ndarray | None) -> bool:
    """One colour on every coloured vertex: an exporter's default (MeshLab writes its grey on
    every CAD part), not paint."""
    if rgb is None:
        return False
    c = rgb[np.isfinite(rgb).all(axis=1)]
    return len(c) > 0 and bool((c == c[0]).all())


def _uniform_colour() -> CheckResult:
    return CheckResult(FAMILY, "ok", None,
                       {"colour_source": "uniform", "rules_run": False,
                        "why": "every vertex carries the same colour: an exporter's default, "
                               "not paint; colour and contrast are not judged"})


def run(model, conditions, analysis) -> CheckResult:
    from ..analysis import colour

    c = conditions
    if uniform(model.vertex_rgb):
        return _uniform_colour()
    cf = colour.for_analysis(analysis, c.resolvable_mm)
    if cf is None:
        return _no_colour(model)
    ev = Evidence(FAMILY)
    s = sensitivity(cf.periods_mm, c.distance_mm)
    vis = cf.band_contrast * s[None, :]
    limit = harsh_limit(c.distance_mm, c.scale_n)
    blind = _blind(model, cf)
    j1, j2, j3 = (_ms701(cf, vis, s, ev, c.distance_mm, blind, analysis),
                  _ms702(cf, limit, ev, blind),
                  _ms703(cf, ev, blind))
    findings = tuple(_f701(cf, j1, vis, s, c, analysis) + _f702(cf, j2, c, analysis)
                     + _f703(cf, j3, s, c, analysis))
    findings += ev.findings("regions", "region")
    metrics = _metrics(cf, vis, s, limit, j1, model)
    metrics["verdicts"] = ev.metrics()
    layers = _layers(cf, vis, limit, model.n_faces)
    meas = _measurements(cf, (("detail_visibility", MS701, j1),
                              ("luminance_contrast", MS702, j2), ("fine_contrast", MS703, j3)))
    return CheckResult(FAMILY, "ok", None, metrics, findings, layers=layers, measurements=meas)


def _blind(model, cf) -> str:
    """Why no colour verdict is evidence here ('' when they are): a texture finer than the
    vertices it is looked up at."""
    tpe = model.metadata.get("texels_per_edge")
    if tpe is None or tpe <= TEXELS_PER_EDGE_MAX:
        return ""
    need = cf.spacing_mm * TEXELS_PER_EDGE_MAX / tpe
    return (f"the texture is looked up at the vertices only, and they lie {tpe:.0f} texels "
            f"apart: it holds detail they cannot sample; a mesh about {need:.2g} mm fine, or "
            f"colour baked to the vertices at that spacing, settles it")


def _metrics(cf, vis, s, limit, j1, model) -> dict:
    counted = cf.counted
    painted = j1.verdict != ""
    return {"colour_source": model.metadata.get("colour_source", "vertex"), "rules_run": True,
            "texels_per_edge": model.metadata.get("texels_per_edge"),
            "coloured_share": cf.coloured_share,
            "colour_spacing_mm": cf.spacing_mm,
            "band_periods_mm": [float(p) for p in cf.periods_mm],
            "band_sensitivity": [float(x) for x in s],
            "region_mm": cf.region_mm,
            "regions": int(counted.sum()),
            "regions_with_detail": int(painted.sum()),
            "readable_reserve": READABLE_RESERVE,
            "harsh_limit": limit,
            "flat_limit": 1.0 / vision.CSF_PEAK_SENSITIVITY,
            "median_visibility": float(np.median(vis.max(axis=1)[painted])) if painted.any()
            else None}


def _layers(cf, vis, limit, n_faces) -> ColourLayers:
    from ..analysis.colour import michelson

    fr = cf.face_region
    ok = fr >= 0
    fv = np.full(n_faces, np.nan)
    fc = np.full(n_faces, np.nan)
    fv[ok] = vis.max(axis=1)[fr[ok]]
    fc[ok] = michelson(cf.y_hi, cf.y_lo)[fr[ok]]
    return ColourLayers(fv, fc, limit)
