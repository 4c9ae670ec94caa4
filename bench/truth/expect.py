"""The verdict the physics expects for a truth item: the same thresholds as miniscan
(`miniscan.vision`, `miniscan.conditions`), applied to the true value with a tolerance.

The true value is widened to the interval [v / TOL, v * TOL] (and, where the mesh cannot resolve
the feature, to everything the mesh cannot exclude). Then, as the evidence rule does with a
measurement's own interval: the whole interval on the wrong side of the threshold -> FAIL, the
whole interval on the right side -> PASS, straddling -> ALLOW (any verdict accepted).
"""

from __future__ import annotations

import math

from miniscan import vision

from .cases import ALLOW, FAIL, PASS

TOL = 1.15  # the p90 measurement-error target: truth this close to a threshold is either
RESOLVED_SEGMENTS = 2.0  # a fillet sampled by this many segments across has a measurable radius
UNRESOLVED_ROWS = 2.0  # an unresolved edge turns within this many face rows: R <= rows * h / turn
CREASE_MIN_RAD = math.radians(35.0)  # DESIGN.md: creases turn ~30 degrees and more (5 of margin)
FLANK_SLACK = 2.0  # how far our A/P of a flat face may be from the family's (region topology)
FORM_FLANK = 3.0  # an edge needs flat flanks this many radii wide; narrower, it is a rounded form
AT_RISK = 1.5  # DESIGN.md section 2: within 1.5x of a cutoff is at risk (not a clear pass)
MIN_CONTRAST = 0.03  # texture: relief fainter than this (slope 2 pi a / lambda) is not "detail"
BAR_SURVIVES = 2.0 * math.sqrt(2.0) * 0.4769362762044699 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
# a bar (or gap) of width w survives a Gaussian blur of FWHM g when w >= 0.573 g (erf = 1/2)
GRID_MAX_PX = 512  # silhouette grid at its finest; a glance under 2 of its pixels is unmeasured


def verdict(lo: float, hi: float, threshold: float, compare: str) -> str:
    """FAIL / PASS / ALLOW of an interval against a threshold ("below": a problem below it)."""
    if compare == "below":
        return FAIL if hi < threshold else PASS if lo >= threshold else ALLOW
    return FAIL if lo > threshold else PASS if hi <= threshold else ALLOW


def hold_radius_mm(c) -> float:
    """Radius every edge ends up with after print and paint (DESIGN.md section 3)."""
    return max(c.paint_mm, 0.5 * c.printer.xy_mm)


def edge(nb: dict, c, material: str = "generic", finish: str | None = None) -> dict:
    """MS201 razor (max(R, hold) < R_min = r / phi), MS202 too soft (R > R_max), MS203 below
    print (R < hold: a note, never required)."""
    R, turn, h = nb["radius_mm"], nb["turn_rad"], nb["h_across_mm"]
    resolved = R * turn >= RESOLVED_SEGMENTS * h
    lo = R / TOL
    hi = R * TOL if resolved else max(R * TOL, UNRESOLVED_ROWS * h / turn)
    hold = hold_radius_mm(c)
    r_min = vision.highlight_min_radius(c.resolvable_mm,
                                        vision.FINISH_LOBE_RAD[finish or c.finish])
    out = {"MS201": verdict(max(lo, hold), max(hi, hold), r_min, "below")}
    mat = float(c.material_props(material)["edge_radius_mm"][1]) / c.scale_n
    flank = nb.get("flank_mm", math.inf)
    soft_lo, soft_hi = min(mat, flank / FLANK_SLACK), min(mat, flank * FLANK_SLACK)
    out["MS202"] = FAIL if (resolved and lo > soft_hi) else PASS if hi <= soft_lo else ALLOW
    ms203 = verdict(lo, hi, hold, "below")
    out["MS203"] = ALLOW if ms203 == FAIL else ms203
    flank_len = nb.get("flank_len_mm", nb.get("flank_mm", math.inf))
    if turn < CREASE_MIN_RAD or flank_len < FORM_FLANK * R:
        out = {k: (ALLOW if v == FAIL else v) for k, v in out.items()}
    return out


def no_edge() -> dict:
    return {"MS201": PASS, "MS202": PASS, "MS203": PASS}


def _eye(a: float, lam: float, c) -> float:
    """Weighted contrast c * S(f) of a sinusoidal relief (vision.relief_visibility, with the
    conditions' resolvable size so that a camera profile is honoured)."""
    if lam < 2.0 * c.resolvable_mm:
        return 0.0
    f = vision.cycles_per_degree(lam, c.distance_mm)
    return vision.relief_contrast(a, lam) * vision.contrast_sensitivity(f)


def ripple(lam: float, a: float, c, material: str) -> dict:
    """Texture codes for a sinusoidal relief of wavelength lam and semi-amplitude a
    (a feature lam / 2 wide and 2 a deep), DESIGN.md section 2."""
    codes = ("MS101", "MS102", "MS103", "MS104", "MS105")
    if 2 * math.pi * a / lam < MIN_CONTRAST or lam > 2.0 * c.glance_mm / TOL:
        return {k: ALLOW for k in codes}  # not texture by the family's definition
    w, d = lam / 2.0, 2.0 * a
    box = [(a * x, lam * y) for x in (1 / TOL, TOL) for y in (1 / TOL, TOL)]
    p = c.printer
    if p.name == "none":
        ms103 = PASS
    else:
        lat, lay = p.lateral_cutoff_mm, p.layer_mm
        ms103 = (FAIL if (w * TOL < lat or d * TOL < lay) else
                 PASS if (w / TOL >= AT_RISK * lat and d / TOL >= AT_RISK * lay) else ALLOW)
    pt = c.paint_mm
    ms104 = PASS if pt <= 0 else (
        FAIL if (d * TOL < pt or w * TOL < 2 * pt) else
        PASS if (d / TOL >= AT_RISK * pt and w / TOL >= AT_RISK * 2 * pt) else ALLOW)
    if ms103 != PASS:  # lost in print: paint is not judged
        ms104 = ALLOW if ms104 == FAIL else ms104
    survives = ms103 == PASS and ms104 == PASS
    vis = [_eye(x, y, c) for x, y in box]
    visible, invisible = min(vis) >= AT_RISK, max(vis) < 1.0
    ms102 = (FAIL if (invisible and survives) else PASS if visible else ALLOW)
    band = c.material_props(material).get("texture_mm")
    if not band:
        ms101 = PASS
    else:
        hi = float(band[1])
        ms101 = (FAIL if (w / TOL * c.scale_n > hi and visible and survives) else
                 PASS if (w * TOL * c.scale_n <= hi or invisible) else ALLOW)
    ratio = d / w
    shadow = 2.0 / math.pi
    ms105 = (FAIL if (ratio / TOL ** 2 > shadow and visible and survives) else
             PASS if (ratio * TOL ** 2 <= shadow or invisible) else ALLOW)
    if ms103 == FAIL:  # the relief does not exist on the print: only MS103 is required
        ms101, ms102, ms105 = (ALLOW if v == FAIL else v for v in (ms101, ms102, ms105))
    return {"MS101": ms101, "MS102": ms102, "MS103": ms103, "MS104": ms104, "MS105": ms105}


FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def band_transfer(lam: float, r: float) -> float:
    """Share of a sinusoid's normal variation inside the eye's band r..4r: blurred by the eye
    (Gaussian of FWHM r) minus the patch normal (Gaussian of FWHM 4r) (DESIGN.md MS3xx)."""
    def g(fwhm):
        s = fwhm * FWHM_TO_SIGMA
        return math.exp(-2.0 * (math.pi * s / lam) ** 2)

    return g(r) * (1.0 - g(4.0 * r))


def noise(theta_band: float, c, finish: str | None = None) -> dict:
    """MS301: band-pass normal variation above half the finish's lobe width."""
    phi = vision.FINISH_LOBE_RAD[finish or c.finish]
    return {"MS301": verdict(theta_band / TOL, theta_band * TOL, 0.5 * phi, "above")}


def _glance_measured(c, span_mm: float) -> bool:
    """The silhouette grid resolves the glance (at most GRID_MAX_PX pixels across the model)."""
    return c.glance_mm / (span_mm * 1.04 / GRID_MAX_PX) >= 2.0


def protrusion(w: float, c, span_mm: float) -> dict:
    """MS401: a rod of width w vanishes at a glance when w < 0.573 glance."""
    v = verdict(w / TOL, w * TOL, BAR_SURVIVES * c.glance_mm, "below")
    return {"MS401": v if (_glance_measured(c, span_mm) or v == PASS) else ALLOW}


def gap(g: float, c, span_mm: float) -> dict:
    """MS402: a gap of width g closes at a glance when g < 0.573 glance."""
    v = verdict(g / TOL, g * TOL, BAR_SURVIVES * c.glance_mm, "below")
    return {"MS402": v if (_glance_measured(c, span_mm) or v == PASS) else ALLOW}


def wall(t: float, c) -> dict:
    """MS502: a wall thinner than the printer's minimum wall."""
    m = c.printer.min_wall_mm
    return {"MS502": PASS if m <= 0 else verdict(t / TOL, t * TOL, m, "below")}
