"""The craft families' cases (issue 17): lines and lettering, colour and contrast, thin
translucent edges. Geometry comes from miniscan's own procedural samples (the stroke font and
lettered plates, the colour plate) and from the suite's rectilinear solids, so the truth is
known by construction; sizes are drawn log-uniformly around each family's thresholds.

- lines: engraved or embossed strokes (letters of the stroke font, or hatching of parallel
  strokes) of known width, depth and gap on a flat plate or one bent onto a cylinder;
- colour: a thick plate whose top is painted (vertex colours) with sinusoidal stripes of known
  period and contrast, a checker of known Michelson contrast, one flat tone, or a mottle (the
  control); the bottom carries a mottle that passes every rule, and the side walls a blend of
  the top's pattern into it (any verdict);
- translucency: a block with a thin fin (standing up, or a ledge out of a side), or a curved
  free-standing sheet (a cloak's hem), of known thickness and material; light comes from +z,
  so the motion only turns about z.
"""

from __future__ import annotations

import math

import numpy as np

from . import draws, expect, prims
from .cases import ALLOW, PASS, Truth

# --------------------------------------------------------------------------- lines

LINE_LETTERS = "HILTEO"  # letters without converging strokes: their gaps are known
LETTER_GAP = 0.3  # stroke-font letters 0.9 cap heights apart, 0.6 wide: 0.3 H between them
LINE_BAND_PTS = 108.0  # lettered_plate places ~108 L / w band points per mm of stroke
LINE_FACE_CAP = 40_000  # strokes shortened until the band fits (the plate adds the rest)
BENT_SHARE = 0.35  # plates bent onto a cylinder (gently: the arc spans at most a radian)
RIDGE_ASPECT_MAX = 1.5  # ridges stay under the family's fin bound (twice their width)
LINE_SHAPES = ("flat", "v", "round")
HATCH_LENGTH_MM = 3.0
HATCH_MIN_SHARE = 0.4  # hatching strokes are 0.4-1 of their gap wide when drawn wider than it


def _line_conditions(rng):
    printer = str(rng.choice(["resin", "fdm", "none"], p=[0.6, 0.25, 0.15]))
    paint = "0" if rng.random() < 0.15 else None
    kw = draws.conditions(rng, printer=printer)
    if paint is not None:
        kw["paint"] = paint
    return kw


def _lines_sizes(rng, lim):
    """Width around the width limits, depth around the depth limits (log-uniform)."""
    from miniscan.checks.lines import WIDEST_LINE

    w_lim = max(lim.print_mm, 2.0 * lim.paint_mm, 0.5 * lim.eye_mm)
    d_lim = max(lim.layer_mm, lim.paint_mm) or 0.5 * lim.eye_mm
    w = min(w_lim * 2.0 ** rng.uniform(-1.5, 2.0), WIDEST_LINE * lim.largest / 4.0)
    d = d_lim * 2.0 ** rng.uniform(-1.2, 2.0)
    return w, d


def _letter_groups(rng, w, lim):
    from miniscan import samples

    k = int(rng.integers(1, 3))
    text = "".join(rng.choice(list(LINE_LETTERS), k))
    # gaps between letters (0.3 H - w) at least twice the resolvable size: they must read
    H = max(8.0 * w, (2.0 * expect.TOL * lim.eye_mm + w) / LETTER_GAP)
    segs = [samples.text_strokes(ch, H, (i * 0.9 * H, 0.0)) for i, ch in enumerate(text)]
    gap = LETTER_GAP * H - w
    return text, H, segs, gap


def _hatch_groups(rng, w, lim):
    g = lim.eye_mm * 2.0 ** rng.uniform(-1.5, 1.5)
    if w > g:  # strokes narrower than their gaps: else the gaps are the lines (ridges between
        w = g * rng.uniform(HATCH_MIN_SHARE, 1.0)  # grooves), and which is the stroke is moot
    n = int(rng.integers(3, 6))
    # 3 mm strokes, shorter where their bands would outgrow the face cap (never under 15 w)
    length = max(15.0 * w, min(HATCH_LENGTH_MM, LINE_FACE_CAP * w / (2 * LINE_BAND_PTS * n)))
    segs = [np.array([[[i * (w + g), 0.0], [i * (w + g), length]]]) for i in range(n)]
    return g, length, segs, w


def _line_truth(segs, w, d, g, c, lim, engraved, z_top, gap_known):
    pts = []
    for p, q in segs:
        t = np.linspace(0.0, 1.0, max(2, int(math.ceil(np.linalg.norm(q - p) / w)) + 1))
        pts.append(p + t[:, None] * (q - p))
    xy = np.concatenate(pts)
    P = np.column_stack([xy, np.full(len(xy), z_top + (-0.5 if engraved else 0.5) * d)])
    ex = expect.line(w, d, g, c, engraved)
    from miniscan.checks.lines import depth_floor_mm

    # relief within tolerance of the family's depth floor may not be read as a line at all
    read = d / expect.TOL >= depth_floor_mm(lim)
    vals = {"stroke_width_mm": w, "stroke_depth_mm": d} if read else {}
    # hatching: a gap within the family's reach (twice r) is due a measurement; letters' gaps
    # and wider hatching are not (no neighbour within the reach)
    if read and gap_known and g * expect.TOL < 2.0 * lim.eye_mm:
        vals["stroke_spacing_mm"] = g
    return Truth("line", P, P.mean(axis=0), 2.0 * w + lim.eye_mm, ex, vals, True,
                 {"width_mm": w, "depth_mm": d, **({"gap_mm": g} if g is not None else {})},
                 fan=True)


def lines_case(family, index, rng, budget):
    from miniscan import samples
    from miniscan.checks.lines import limits

    kw = _line_conditions(rng)
    c = draws.resolve(kw)
    lim = limits(c)
    w, d = _lines_sizes(rng, lim)
    engraved = bool(rng.random() < 0.6)
    shape = str(rng.choice(LINE_SHAPES))
    kind = "letters" if rng.random() < 0.6 else "hatching"
    if kind == "letters":
        text, H, groups, gap = _letter_groups(rng, w, lim)
        extra = {"text": text, "cap_mm": H}
    else:
        gap, H, groups, w = _hatch_groups(rng, w, lim)
        extra = {"strokes": len(groups), "length_mm": H}
    if not engraved:
        d = min(d, RIDGE_ASPECT_MAX * w)
    allsegs = np.concatenate(groups)
    length = float(np.linalg.norm(allsegs[:, 1] - allsegs[:, 0], axis=1).sum())
    while LINE_BAND_PTS * length / w * 2 > LINE_FACE_CAP and len(groups) > 1:
        groups = groups[:-1]  # fewer letters / strokes, never thinner bands
        allsegs = np.concatenate(groups)
        length = float(np.linalg.norm(allsegs[:, 1] - allsegs[:, 0], axis=1).sum())
    margin = max(2.0, 3.0 * H / 4.0, 6.0 * lim.largest)
    lo = allsegs.reshape(-1, 2).min(axis=0) - margin
    hi = allsegs.reshape(-1, 2).max(axis=0) + margin
    size = hi - lo
    groups = [gr - lo for gr in groups]
    coarse = max(draws.h_for(size[0] * size[1], budget // 2), 2.0 * w)
    depth = -d if engraved else d
    top = 1.5
    v, f = samples.lettered_plate([(np.concatenate(groups), w, depth, shape)],
                                  size=(float(size[0]), float(size[1])), thickness=top,
                                  coarse=coarse, seed=int(rng.integers(2 ** 31)))
    bent = bool(rng.random() < BENT_SHARE)
    radius = None
    truths = [_line_truth(gr, w, d, gap, c, lim, engraved, top, kind == "hatching")
              for gr in groups]
    if bent:
        radius = max(float(size[0]), 8.0) * rng.uniform(1.0, 3.0)
        v = samples.wrap_cylinder(v, radius, top)
        truths = [_bend(t, radius, top) for t in truths]
    part = prims.Part(v, f, np.zeros_like(v))
    params = {"kind": kind, "shape": shape, "engraved": engraved, "width_mm": w,
              "depth_mm": d, "gap_mm": gap, "coarse_mm": coarse, "bent_radius_mm": radius,
              "plate_mm": [float(x) for x in size], **extra, **kw}
    return draws.case(family, index, params, part, kw, truths, rng)


def _bend(t: Truth, radius: float, top: float) -> Truth:
    from dataclasses import replace

    from miniscan import samples

    P = samples.wrap_cylinder(t.points, radius, top)
    return replace(t, points=P, centroid=P.mean(axis=0))


# --------------------------------------------------------------------------- colour

REGION_R = 16.0  # the colour family's region: a cube 16 r across (docs/colour.md)
PLATE_REGIONS = (5, 4)  # the top spans this many regions: 3 x 2 inside the rim's regions
THICK_REGIONS = 2.5  # the plate is this many regions thick: a top region never reaches the bottom
# the top carries the pattern: more faces, and at least ~15 k (vertices ~1.2 r apart, stripes
# from 7 r); the family's cost grows with the area in resolvable cells, not with faces
COLOUR_BUDGET_SCALE, COLOUR_BUDGET_ADD = 1.6, 10_000  # 3 k, 10 k, 30 k -> 15 k, 26 k, 58 k
STRIPE_SAMPLES = 6.0  # vertices per stripe period at least (linear colour interpolation)
MOTTLE_RMS = 0.12  # the sides' and the control's mottle: relative RMS luminance
MOTTLE_R = 6.0  # its wavelength in resolvable sizes (band 1-2: seen at S ~ 200)
MEAN_Y = 0.3  # mean luminance of every pattern (mid-tone paint)
# The side walls are single faces from the top's rim to the bottom's, so their colour runs from
# the top's pattern to the bottom's mottle: a blend the truth does not describe. A place nearer a
# side wall than the top (a region at the rim holding mostly wall) is the `side` item's, allowed
# any verdict; the top's item holds every top vertex.
COLOUR_KINDS = ("stripes", "checker", "flat", "mottle")
COLOUR_P = (0.4, 0.25, 0.2, 0.15)


def _sinc2(x: float) -> float:
    """Attenuation of a sinusoid's fundamental under linear interpolation of samples x
    periods apart (the triangle kernel's transfer: sinc^2)."""
    s = math.sin(math.pi * x) / (math.pi * x) if x > 0 else 1.0
    return s * s


def _colour_plate(rng, c, budget):
    from miniscan import samples

    r = c.resolvable_mm
    W, D = (REGION_R * r * n for n in PLATE_REGIONS)
    T = THICK_REGIONS * REGION_R * r
    h = math.sqrt(4.0 * W * D / budget)
    v, f = samples.plate(W, D, T, h, noise_amp=0.0, noisy_half=False)
    return v, f, (W, D, T, h)


def _y_of(kind, rng, xy, c, h, params):
    """Luminance of the top's pattern at xy, and its truth numbers."""
    from miniscan import samples, vision

    r = c.resolvable_mm
    if kind == "stripes":
        p_lo = max(2.0 * expect.TOL * r, STRIPE_SAMPLES * h)
        p = draws.logu(rng, p_lo, max(p_lo * 1.01, REGION_R * r / 2.0))
        S = vision.contrast_sensitivity(vision.cycles_per_degree(p, c.distance_mm))
        C = min(0.5, 3.0 * 2.0 ** rng.uniform(-2.5, 2.0) / S)
        ang = rng.uniform(0, math.pi)
        u = xy @ np.array([math.cos(ang), math.sin(ang)])
        params.update(period_mm=p, period_r=p / r, contrast=C, sensitivity=S,
                      ceff=C * _sinc2(h / p))
        return MEAN_Y * (1.0 + C * np.sin(2 * np.pi * u / p + rng.uniform(0, 2 * np.pi)))
    if kind == "checker":
        s_lo = max(3.0 * r, 4.0 * h)
        s = draws.logu(rng, s_lo, max(8.0 * r, 1.5 * s_lo))
        C = 1.0 - draws.logu(rng, 0.002, 0.4)
        m = 0.99 / (1.0 + C)
        k = np.floor(xy[:, 0] / s) + np.floor(xy[:, 1] / s)
        params.update(square_mm=s, contrast=C)
        return np.where(k % 2 == 0, m * (1 + C), m * (1 - C))
    if kind == "flat":
        y0 = rng.uniform(0.1, 0.6)
        params.update(tone=y0)
        return np.full(len(xy), y0)
    wl = MOTTLE_R * r
    params.update(wavelength_mm=wl, rms=MOTTLE_RMS)
    return MEAN_Y * (1.0 + MOTTLE_RMS * samples.smooth_noise(xy, wl, int(rng.integers(1000))))


def _side_points(W: float, D: float, T: float, h: float) -> np.ndarray:
    """Points h apart over the plate's four side walls, from the bottom to one mesh step under
    the top's rim. A top face's centroid lies within 0.75 h of one of its own corners (every
    top vertex is a point of the top's item) and at least h from these, so only a place nearer
    the side wall than the top is the side's."""
    z = np.arange(0.0, T - h + 1e-9, h)
    out = []
    for length, fixed, axis in ((W, D / 2, 0), (D, W / 2, 1)):
        t = np.linspace(-length / 2, length / 2, int(np.ceil(length / h)) + 1)
        a, b = np.meshgrid(t, z, indexing="ij")
        for sign in (-1.0, 1.0):
            p = np.zeros((a.size, 3))
            p[:, axis], p[:, 1 - axis], p[:, 2] = a.ravel(), sign * fixed, b.ravel()
            out.append(p)
    return np.concatenate(out)


def colour_case(family, index, rng, budget):
    from miniscan import samples

    kw = draws.conditions(rng)
    c = draws.resolve(kw)
    budget = int(COLOUR_BUDGET_SCALE * budget) + COLOUR_BUDGET_ADD
    v, f, (W, D, T, h) = _colour_plate(rng, c, budget)
    kind = str(rng.choice(COLOUR_KINDS, p=COLOUR_P))
    params = {"kind": kind, "plate_mm": [W, D, T], "h": h}
    top = v[:, 2] > T / 2
    y = MEAN_Y * (1.0 + MOTTLE_RMS * samples.smooth_noise(v[:, :2], MOTTLE_R * c.resolvable_mm,
                                                          int(rng.integers(1000))))
    y[top] = _y_of(kind, rng, v[top, :2], c, h, params)
    rgb = samples._grey(y)
    reach = REGION_R * c.resolvable_mm
    tops = v[top][rng.choice(int(top.sum()), min(int(top.sum()), 600), replace=False)]
    far = (~top) & ((v[:, 2] < T - reach) | (v[:, 2] <= 0))
    rest = v[far][rng.choice(int(far.sum()), min(int(far.sum()), 600), replace=False)]
    codes, vals = expect.paint(kind, params, c)
    sides = _side_points(W, D, T, h)
    truths = [Truth("paint", v[top], tops.mean(axis=0), reach, codes, vals),
              Truth("side", sides, sides.mean(axis=0), reach,
                    {code: ALLOW for code in codes}, vals, False),
              Truth("mottle", rest, rest.mean(axis=0), reach,
                    {"MS701": ALLOW, "MS702": PASS, "MS703": PASS}, {}, False)]
    part = prims.Part(v, f, np.zeros_like(v))
    from dataclasses import replace

    case = draws.case(family, index, {**params, **kw}, part, kw, truths, rng)
    return replace(case, rgb=rgb)


# --------------------------------------------------------------------------- translucency

ORGANIC = ("skin", "cloth", "leather", "hair")
INERT = ("generic", "metal")  # no translucent_mm: nothing is said about them
INERT_SHARE = 0.2
CLOAK_SHARE = 0.3  # curved free-standing sheets; the rest are fins and ledges on a block
CLOAK_FLARE = 0.25  # samples._cloak: the radius grows by this share from top to hem
CLOAK_TAPER = 0.125  # so its radial gap is t (1 +- 0.125) from top to hem


def translucency_case(family, index, rng, budget):
    from miniscan.checks.translucency import limit_mm

    organic = rng.random() >= INERT_SHARE
    material = str(rng.choice(ORGANIC if organic else INERT))
    printer = str(rng.choice(["resin", "fdm", "none"], p=[0.6, 0.2, 0.2]))
    kw = draws.conditions(rng, material=material, printer=printer)
    c = draws.resolve(kw)
    real, t_star = limit_mm(c, material)
    ref = t_star if real is not None else limit_mm(c, "skin")[1]
    t = ref * 2.0 ** rng.uniform(-1.5, 1.2)
    L = max(ref, c.resolvable_mm, c.printer.min_wall_mm)
    if rng.random() < CLOAK_SHARE:
        return _cloak_case(family, index, rng, budget, kw, c, t, t_star, real, L)
    Bx, By, Bz = L * rng.uniform(4, 10, 3)
    F = L * rng.uniform(3, 8)
    ledge = bool(rng.random() < 0.4)
    if ledge:  # a horizontal fin out of the +x side (a brim, a leaf)
        boxes = [((0, 0, 0), (Bx, By, Bz)), ((Bx, 0, Bz / 2 - t / 2), (Bx + F, By, Bz / 2 + t / 2))]
        fin_c = (Bx + F / 2, By / 2, Bz / 2)
        fin = _grid3(np.array([F, 0, 0]), np.array([0, By, 0]), np.array([Bx, 0, Bz / 2]))
    else:  # a vertical fin standing on top (an ear, a crest)
        boxes = [((0, 0, 0), (Bx, By, Bz)), ((Bx / 2 - t / 2, 0, Bz), (Bx / 2 + t / 2, By, Bz + F))]
        fin_c = (Bx / 2, By / 2, Bz + F / 2)
        fin = _grid3(np.array([0, By, 0]), np.array([0, 0, F]), np.array([Bx / 2, 0, Bz]))
    area = 2 * (Bx * By + By * Bz + Bx * Bz) + 2 * By * F
    style = str(rng.choice(["isotropic", "irregular", "sliver"]))
    part = prims.rectilinear(boxes, draws.h_for(area, budget), style, rng)
    block = _grid3(np.array([Bx, 0, 0]), np.array([0, By, 0]), np.array([0, 0, Bz / 2]))
    ex = expect.rim(t, t_star) if real is not None else {"MS801": PASS}
    # the family measures the rims it judges (readings reaching under t*): a rim thicker than
    # t* (its readings are exact on flat walls) is not due a measurement
    due = {"rim_thickness_mm": t} if (real is not None and t < t_star) else {}
    truths = [Truth("rim", fin, np.asarray(fin_c, float), max(By, F) / 2 + L, ex,
                    due, True, {"thickness_mm": t, "limit_mm": t_star}),
              Truth("solid", block, block.mean(axis=0), min(Bx, By) / 2, {"MS801": PASS})]
    params = {"kind": "ledge" if ledge else "fin", "thickness_mm": t, "limit_mm": t_star,
              "block": [Bx, By, Bz], "fin": F, "style": style, **kw}
    return draws.case(family, index, params, part, kw, truths, rng, free=False)


def _cloak_case(family, index, rng, budget, kw, c, t, t_star, real, L):
    """A free-standing curved sheet (a cloak's hem, a leaf): samples._cloak, whose wall
    thickness tapers by +-12.5 % from hem to top about its middle's."""
    from miniscan import samples

    R, H = L * rng.uniform(4, 10), L * rng.uniform(4, 10)
    arc = rng.uniform(1.0, 2.5)
    nu = max(8, int(math.sqrt(budget / 4 * R * arc / H)))
    nv = max(8, int(budget / 4 / nu))
    v, f = samples._cloak((0.0, 0.0, 0.0), R, H, t, arc, nu, nv)
    # the walls lean (the hem flares by a quarter of the radius over the height): the wall's
    # thickness along its normal is the radial gap times the cosine of that lean
    tn = t / math.sqrt(1.0 + (CLOAK_FLARE * R / H) ** 2)
    pts = v[rng.choice(len(v), min(len(v), 600), replace=False)]
    ex = expect.rim(tn, t_star, CLOAK_TAPER) if real is not None else {"MS801": PASS}
    # the family judges the part of the sheet under t*: its median is the sheet's only when
    # the whole sheet is under t*
    due = {"rim_thickness_mm": tn} if (real is not None and ex["MS801"] == "fail") else {}
    truths = [Truth("rim", pts, pts.mean(axis=0), H / 2 + L, ex, due, True,
                    {"thickness_mm": tn, "limit_mm": t_star})]
    params = {"kind": "cloak", "thickness_mm": tn, "limit_mm": t_star, "radius_mm": R,
              "height_mm": H, "arc_rad": arc, "grid": [nu, nv], **kw}
    return draws.case(family, index, params, prims.Part(v, f, np.zeros_like(v)), kw, truths, rng,
                 free=False)


def _grid3(a, b, c0, n: int = 6) -> np.ndarray:
    s = np.linspace(0, 1, n)
    S, T = np.meshgrid(s, s, indexing="ij")
    return c0 + S.reshape(-1, 1) * a + T.reshape(-1, 1) * b

