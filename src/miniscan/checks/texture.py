"""Texture scale and the detail budget (MS101-MS106).

"If this were life-size, how big would this texture be, and will anyone see it from here?"
The detail spectrum (analysis/detail.py) gives, per surface region, how much relief the model
carries in each wavelength band. Each band then passes four low-pass filters (DESIGN.md section
2): the mesh, the printer, the paint and the eye. The findings say where that budget goes wrong.
docs/texture.md has the formulas and the reasoning behind every threshold.
"""

from __future__ import annotations

import math

import numpy as np

from .. import vision
from ..analysis import detail
from ..findings import CheckResult, Finding, Location

FAMILY = "texture"

AT_RISK = 1.5            # DESIGN.md section 2: within 1.5x of a cutoff is at risk
MIN_CONTRAST = 0.02      # relief whose shading contrast (slope 2 pi a / lam) is below this is not "detail"
MIN_BAND_SHARE = 0.15    # a band must hold this share of a region's texture energy to decide a finding
REGION_POINTS = 48       # query points per region (on a flat patch)
FACET_SPAN = 8.0         # ...at wavelengths up to this many facets (rings of uneven facets)
FACET_DEPTH = 0.1        # relief shallower than this x the facet size can be facet sagitta
SCULPT_EDGES = 4.0       # relief spanning fewer edges than this is faceting, not sculpted detail
SHADOW_RATIO = 2.0 / math.pi  # depth/width beyond which a 45 deg key light leaves the recess in shadow
CROWDING_ARCMIN = 3.0    # foveal crowding: details closer than ~3' merge (Levi 2008)
CLUTTER_CONTRAST = 0.1   # only clearly visible detail crowds
STAGES = ("mesh", "print", "paint", "eye")
MERGE_CELLS = 2          # flagged regions up to two footprints apart are one problem region


def ramp(x):
    """Energy share passing a cutoff: 0 at or below it, 1 from AT_RISK times it, log-linear between."""
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(np.log(np.maximum(x, 1e-300)) / math.log(AT_RISK), 0.0, 1.0)


def eye_visibility(amp, lam, c) -> np.ndarray:
    """Weighted contrast c * S(f) of a relief (vision.relief_visibility, vectorised).

    The acuity cut uses the conditions' resolvable size, so a camera profile (macro-photo,
    resolvable size given directly) is honoured.
    """
    amp, lam = np.broadcast_arrays(np.asarray(amp, float), np.asarray(lam, float))
    contrast = np.minimum(1.0, 2.0 * np.pi * amp / lam)
    f = (math.pi / 180.0) * c.distance_mm / lam
    s = vision.CSF_PEAK_SENSITIVITY * _csf(np.maximum(f, vision.CSF_PEAK_CPD))
    out = contrast * s
    return np.where((lam >= 2.0 * c.resolvable_mm) & (amp > 0), out, 0.0)


def _csf(f):
    return 2.6 * (0.0192 + 0.114 * f) * np.exp(-((0.114 * f) ** 1.1))


def stage_factors(amp, lam, c, mean_edge_mm: float) -> dict[str, np.ndarray]:
    """Share of a band's energy each filter alone lets through (not cumulative).

    amp: semi-amplitude (mm), lam: wavelength (mm); a feature (bump or pore) is lam / 2 wide
    and 2 amp deep.
    """
    amp, lam = np.broadcast_arrays(np.asarray(amp, float), np.asarray(lam, float))
    width, depth = lam / 2.0, 2.0 * amp
    one = np.ones_like(lam)
    pr = c.printer
    lat = ramp(width / pr.lateral_cutoff_mm) if pr.lateral_cutoff_mm > 0 else one
    dep = ramp(depth / pr.layer_mm) if pr.layer_mm > 0 else one
    paint = (ramp(depth / c.paint_mm) * ramp(width / (2.0 * c.paint_mm))) if c.paint_mm > 0 else one
    mesh = ramp(lam / (2.0 * np.maximum(mean_edge_mm, 1e-300)))
    return {"mesh": mesh,
            "print": lat * dep, "print_lateral": lat, "print_depth": dep,
            "paint": paint, "paint_depth": ramp(depth / c.paint_mm) if c.paint_mm > 0 else one,
            "eye": ramp(eye_visibility(amp, lam, c))}


def cumulative(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out, acc = {}, 1.0
    for s in STAGES:
        acc = acc * f[s]
        out[s] = acc
    return out


def _regions(sp, size: float):
    """Region id of every query point: a voxel of `size` mm, split by normal direction."""
    key = np.floor(sp.points / size).astype(np.int64)
    cls = detail._normal_class(sp.normals)
    full = np.column_stack([key, cls])
    uniq, inv = np.unique(full, axis=0, return_inverse=True)
    return uniq, inv.ravel()


def _components(cells: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Groups of flagged region cells no more than MERGE_CELLS cells apart; -1 for unflagged."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = np.flatnonzero(flagged)
    lab = np.full(len(cells), -1)
    if len(ids) == 0:
        return lab
    vox = cells[ids, :3]
    lo = vox.min(axis=0) - MERGE_CELLS
    span = vox.max(axis=0) - lo + 2 * MERGE_CELLS
    code = ((vox[:, 0] - lo[0]) * span[1] + (vox[:, 1] - lo[1])) * span[2] + (vox[:, 2] - lo[2])
    order = np.argsort(code, kind="stable")
    sc = code[order]
    rows, cols = [np.arange(len(ids))], [np.arange(len(ids))]
    reach = range(-MERGE_CELLS, MERGE_CELLS + 1)
    for dx in reach:  # a few dozen offsets, each vectorised over all cells
        for dy in reach:
            for dz in reach:
                nb = code + (dx * span[1] + dy) * span[2] + dz
                pos = np.clip(np.searchsorted(sc, nb), 0, len(sc) - 1)
                hit = sc[pos] == nb
                # every cell with that voxel code (several normal classes share one voxel)
                rows.append(np.flatnonzero(hit))
                cols.append(order[pos[hit]])
    r, cc = np.concatenate(rows), np.concatenate(cols)
    g = coo_matrix((np.ones(len(r)), (r, cc)), shape=(len(ids), len(ids)))
    _, comp = connected_components(g, directed=False)
    lab[ids] = comp
    return lab


def _fmt(x: float) -> str:
    if x >= 10:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.1f}"
    if x >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _dominant(E: np.ndarray, lams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dominant wavelength (energy-weighted log mean over the peak band and its neighbours) and
    the semi-amplitude of that peak, for every row of band energies E (R, J)."""
    R, J = E.shape
    j = np.argmax(E, axis=1)
    lo, hi = np.maximum(j - 1, 0), np.minimum(j + 1, J - 1)
    cols = np.arange(J)[None, :]
    m = (cols >= lo[:, None]) & (cols <= hi[:, None])
    e = np.where(m, E, 0.0)
    tot = e.sum(axis=1)
    safe = np.where(tot > 0, tot, 1.0)
    lam = np.exp((e * np.log(lams)[None, :]).sum(axis=1) / safe)
    return np.where(tot > 0, lam, np.nan), np.sqrt(2.0 * tot)


def run(model, conditions, analysis) -> CheckResult:
    c = conditions
    if model.n_faces == 0 or analysis.total_area <= 0:
        return CheckResult(FAMILY, "not-run", "the model has no surface to measure")
    sp = detail.spectrum(analysis)
    lams = sp.wavelengths_mm
    J = len(lams)
    Q = len(sp.points)

    # --- regions: voxels holding ~REGION_POINTS samples each (split by normal direction).
    # They do not depend on the viewing distance, so a farther eye can only see less of the
    # same measured spectrum (monotone), and they hold enough samples for a stable spectrum.
    region_mm = math.sqrt(REGION_POINTS * sp.area_per_point_mm2)
    cells, reg = _regions(sp, region_mm)
    nreg = len(cells)
    count = np.bincount(reg, minlength=nreg).astype(float)
    res = sp.residual
    valid = np.isfinite(res)
    r2 = np.where(valid, res, 0.0) ** 2
    nvalid = np.stack([np.bincount(reg, weights=valid[:, k], minlength=nreg)
                       for k in range(res.shape[1])], 1)
    nv1 = np.maximum(nvalid, 1)
    s2 = np.stack([np.bincount(reg, weights=r2[:, k], minlength=nreg)
                   for k in range(res.shape[1])], 1) / nv1
    # a scale is measured in a region when at least a quarter of its points are crease-free
    ms = np.where(nvalid >= np.maximum(4, 0.25 * count[:, None]), s2, np.nan)
    E = sp.solve(ms)                                   # (R, J) band energy, mm^2
    area = count * sp.area_per_point_mm2               # (R,) mm^2
    amp = np.sqrt(2.0 * E)                             # semi-amplitude per band and region

    # the mesh cutoff is local: a coarse base and a finely sculpted head differ
    edge_r = np.bincount(reg, weights=sp.point_edge_mm, minlength=nreg) / count
    facet_src = sp.point_facet_mm if sp.point_facet_mm is not None else sp.point_edge_mm
    facet_r = np.bincount(reg, weights=facet_src, minlength=nreg) / count
    fac = stage_factors(amp, lams[None, :], c, edge_r[:, None])
    cum = cumulative(fac)
    contrast = np.minimum(1.0, 2.0 * np.pi * amp / lams[None, :])
    texture_band = lams <= 2.0 * c.glance_mm           # features narrower than a glance footprint
    is_detail = contrast >= MIN_CONTRAST
    tex_E = np.where(texture_band[None, :] & is_detail, E, 0.0)
    tex_tot = tex_E.sum(axis=1)

    # --- global spectrum and budget (energy x area). The budget counts the relief the mesh
    # represents (faceting at a couple of edge lengths is not sculpted detail); each stage's
    # share is cumulative: what is still there after mesh, print, paint, eye.
    Ew = E * area[:, None]
    band_tot = Ew.sum(axis=0)
    surv = {s_: np.divide((Ew * cum[s_]).sum(axis=0), band_tot, out=np.zeros(J), where=band_tot > 0)
            for s_ in STAGES}
    mean_E = band_tot / analysis.total_area
    glob_lam, glob_amp = _dominant(mean_E[None, :], lams)
    reg_lam, reg_amp = _dominant(E, lams)
    dom_band = np.argmax(E, axis=1)
    has = E.sum(axis=1) > 0
    area_share = np.bincount(dom_band[has], weights=area[has], minlength=J) / analysis.total_area
    base = float((Ew * cum["mesh"]).sum())

    def share_of(s_):
        return float((Ew * cum[s_]).sum() / base) if base > 0 else 0.0

    visible = share_of("eye")
    lost = {}
    prev = 1.0
    for s_ in STAGES[1:]:
        cur = share_of(s_)
        lost[s_] = max(prev - cur, 0.0)
        prev = cur
    unrepresented = 1.0 - base / float(Ew.sum()) if Ew.sum() > 0 else 0.0

    # focal concentration: Gini coefficient of visible texture energy per unit area over regions
    vis_tex = (tex_E * cum["eye"]).sum(axis=1)
    focal = _gini(vis_tex, area)

    # --- per-region decisions
    part_of_face = model.face_part()
    reg_part = _majority(reg, part_of_face[sp.faces], nreg, len(model.part_names))
    mat = np.array([c.material_for(model.part_names[p]) for p in range(len(model.part_names))])
    reg_mat = mat[reg_part]
    hi_real = np.array([_texture_hi(c, m) for m in mat])[reg_part]  # NaN: no band (generic)

    N = c.scale_n
    capacity = (c.glance_arcmin / CROWDING_ARCMIN) ** 2
    comps = _components_of(tex_E, tex_tot, lams)
    spread = _region_range(reg, res, nreg)
    # per component: its factors, and per code whether it is flagged and the deciding value
    flags = {code: [] for code in CODES}
    debug = []
    for lam_r, amp_rms, share_r in comps:
        # depth: the 5-95 % spread of the relief at the scale that passes this wavelength, so
        # sparse pits count at their real depth (RMS alone would average them away); kept
        # within 1-3x of the sinusoid-equivalent depth so other bands cannot take over
        ks = np.clip(np.searchsorted(sp.sigmas_mm * detail.HALF, lam_r * detail.RATIO),
                     0, len(sp.sigmas_mm) - 1)
        d = spread[np.arange(nreg), ks]
        amp_r = np.where(np.isfinite(d), np.clip(d / 2.0, amp_rms, 3.0 * amp_rms), amp_rms)
        f = stage_factors(amp_r, lam_r, c, edge_r)
        # faceting (wavelengths of a few edges) is the mesh, not sculpted detail
        # faceting of a coarse primitive: relief at a few facet lengths whose depth is only a
        # facet's sagitta (a facet turning 45 deg has a sagitta of ~L/10); deep relief on big
        # facets (low-poly stones) is sculpted
        facet = (lam_r < FACET_SPAN * facet_r) & (2.0 * amp_r < FACET_DEPTH * facet_r)
        valid = ((share_r >= MIN_BAND_SHARE) & (lam_r >= SCULPT_EDGES * edge_r) & ~facet
                 & (np.minimum(1.0, 2 * np.pi * amp_r / lam_r) >= MIN_CONTRAST))
        cu = cumulative(f)
        seen = cu["eye"] >= 0.5
        debug.append({"lam": lam_r, "amp": amp_r, "share": share_r, "valid": valid, **cu})
        width, depth = lam_r / 2.0, 2.0 * amp_r
        ratio = depth / width
        lat_decides = f["print_lateral"] <= f["print_depth"]
        flags["MS101"].append((valid & seen & (width * N > hi_real), width * N))
        flags["MS102"].append((valid & (cu["paint"] >= 0.5) & (f["eye"] < 0.5),
                               eye_visibility(amp_r, lam_r, c)))
        flags["MS103"].append((valid & (f["mesh"] >= 0.5) & (f["print"] < 0.5),
                               np.where(lat_decides, width, depth)))
        flags["MS104"].append((valid & (cu["print"] >= 0.5) & (f["paint"] < 0.5), depth))
        flags["MS105"].append((valid & seen & (ratio > SHADOW_RATIO), ratio))
        for code in CODES[:5]:
            flags[code][-1] += (lam_r, amp_r, share_r, lat_decides)
    # MS106: more distinct visible details per glance footprint than the eye separates
    clear = texture_band[None, :] & (cum["eye"] >= 0.5) & (contrast >= CLUTTER_CONTRAST)
    vE = np.where(clear, E, 0.0)
    vsum = vE.sum(axis=1)
    lam_v = np.exp(np.divide((vE * np.log(lams)[None, :]).sum(axis=1), vsum,
                             out=np.zeros(nreg), where=vsum > 0))
    density = np.where(vsum > 0, (c.glance_mm / lam_v) ** 2, 0.0)
    clutter = (density > capacity) & (vsum >= MIN_BAND_SHARE * np.maximum(tex_tot, 1e-300))
    flags["MS106"].append((clutter, density, lam_v, np.sqrt(2 * vsum),
                           np.ones(nreg), np.zeros(nreg, bool)))

    min_area = min(c.glance_mm ** 2, 0.25 * analysis.total_area)
    findings = []
    for code in CODES:
        mask, value, lam_r, amp_r, share_r, lat = _choose(flags[code])
        comp = _components(cells, mask)
        for lab in np.unique(comp[comp >= 0]):
            rs = np.flatnonzero(comp == lab)
            if area[rs].sum() < min_area:
                continue
            findings.append(_finding(code, rs, value, lam_r, amp_r, lat, sp, reg, area, c,
                                     reg_mat, hi_real, capacity))

    metrics = {
        "bands": [{"wavelength_mm": float(lams[j]),
                   "amplitude_mm": float(math.sqrt(2.0 * mean_E[j])),
                   "area_share": float(area_share[j]),
                   "survives": {s: float(surv[s][j]) for s in STAGES}} for j in range(J)],
        "dominant_wavelength_mm": _num(glob_lam[0]),
        "dominant_amplitude_mm": _num(glob_amp[0]),
        "rms_detail_mm": float(math.sqrt(mean_E.sum())),
        "visible_detail_share": visible,
        "wasted_detail_share": 1.0 - visible if base > 0 else 0.0,
        "lost_share": lost,
        "below_mesh_share": unrepresented,
        "focal_concentration": focal,
        "max_details_per_glance": float(density.max()) if nreg else 0.0,
        "details_per_glance_capacity": capacity,
        "region_size_mm": region_mm,
        "regions": int(nreg),
        "region_dominant_wavelength_mm": _percentiles(reg_lam, area),
        "region_amplitude_mm": _percentiles(reg_amp, area),
        "query_points": int(Q),
        "mean_edge_mm": sp.mean_edge_mm,
        "cutoffs_mm": {"mesh_wavelength": 2.0 * sp.mean_edge_mm,
                       "print_width": c.printer.lateral_cutoff_mm,
                       "print_depth": c.printer.layer_mm, "paint_depth": c.paint_mm,
                       "eye_wavelength": 2.0 * c.resolvable_mm,
                       "texture_max_wavelength": 2.0 * c.glance_mm},
    }
    face_region = None
    artifacts = {"region_of_point": reg, "points": sp.points, "point_faces": sp.faces,
                 "region_wavelength_mm": reg_lam, "region_amplitude_mm": reg_amp,
                 "region_visible_energy": vis_tex, "face_region": face_region,
                 "components": debug, "region_edge_mm": edge_r,
                 "region_facet_mm": facet_r}
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings), artifacts=artifacts)


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _percentiles(x: np.ndarray, w: np.ndarray) -> dict:
    ok = np.isfinite(x)
    if not ok.any():
        return {"p10": None, "p50": None, "p90": None}
    x, w = x[ok], w[ok]
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o]) / w.sum()
    return {f"p{p}": float(x[o][min(np.searchsorted(cw, p / 100.0), len(x) - 1)])
            for p in (10, 50, 90)}


def _gini(x: np.ndarray, w: np.ndarray) -> float:
    """Area-weighted Gini coefficient: 0 = the same everywhere, -> 1 = all in one place."""
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    cw = np.cumsum(w) / w.sum()
    cx = np.cumsum(x * w) / (x * w).sum()
    # area under the Lorenz curve by trapezoids
    b = np.sum((cx + np.concatenate([[0.0], cx[:-1]])) * np.diff(np.concatenate([[0.0], cw])))
    return float(max(0.0, 1.0 - b))


def _majority(reg: np.ndarray, part: np.ndarray, nreg: int, nparts: int) -> np.ndarray:
    if nparts == 1:
        return np.zeros(nreg, int)
    cnt = np.bincount(reg * nparts + part, minlength=nreg * nparts).reshape(nreg, nparts)
    return np.argmax(cnt, axis=1)


def _texture_hi(conditions, material: str) -> float:
    band = conditions.material_props(material).get("texture_mm")
    return float(band[1]) if band else math.nan


CODES = ("MS101", "MS102", "MS103", "MS104", "MS105", "MS106")


def _region_range(reg: np.ndarray, res: np.ndarray, nreg: int, lo: float = 0.02,
                  hi: float = 0.98) -> np.ndarray:
    """(R, K): the lo..hi quantile spread of each region's relief at each scale (NaN: too few)."""
    out = np.full((nreg, res.shape[1]), np.nan)
    for k in range(res.shape[1]):  # one vectorised pass per scale
        v = res[:, k]
        ok = np.isfinite(v)
        r, x = reg[ok], v[ok]
        o = np.lexsort((x, r))
        r, x = r[o], x[o]
        cnt = np.bincount(r, minlength=nreg)
        start = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        has = cnt >= 4
        i_lo = start + np.floor(lo * (cnt - 1)).astype(int)
        i_hi = start + np.ceil(hi * (cnt - 1)).astype(int)
        out[has, k] = x[i_hi[has]] - x[i_lo[has]]
    return out


def _components_of(tex_E: np.ndarray, tex_tot: np.ndarray, lams: np.ndarray, n: int = 2):
    """Up to n spectral peaks per region: (wavelength, semi-amplitude, share of texture energy).

    A peak is the strongest remaining band with its two neighbours, so a sinusoid that falls
    between two band centres is counted once at its full amplitude.
    """
    rem = tex_E.copy()
    cols = np.arange(len(lams))[None, :]
    out = []
    for _ in range(n):
        j = np.argmax(rem, axis=1)
        m = np.abs(cols - j[:, None]) <= 1
        e = np.where(m, rem, 0.0)
        tot = e.sum(axis=1)
        safe = np.where(tot > 0, tot, 1.0)
        lam = np.where(tot > 0, np.exp((e * np.log(lams)[None, :]).sum(axis=1) / safe), lams[0])
        share = np.divide(tot, tex_tot, out=np.zeros_like(tot), where=tex_tot > 0)
        out.append((lam, np.sqrt(2.0 * tot), share))
        rem = np.where(m, 0.0, rem)
    return out


def _choose(entries):
    """Per region, the flagged component with the largest share (entries: per component
    (flag, value, lam, amp, share, lat))."""
    flag = np.stack([e[0] for e in entries])
    share = np.stack([e[4] for e in entries])
    pick = np.argmax(np.where(flag, share, -1.0), axis=0)
    r = np.arange(flag.shape[1])
    return (flag.any(axis=0),) + tuple(np.stack([e[i] for e in entries])[pick, r]
                                       for i in (1, 2, 3, 4, 5))


def _finding(code, rs, value, lam_r, amp_r, lat, sp, reg, area, c, reg_mat, hi_real,
             capacity) -> Finding:
    # the region carrying most area decides the numbers; the location covers the whole group
    main = rs[np.argmax(area[rs])]
    lam, a = float(lam_r[main]), float(amp_r[main])
    width, depth = lam / 2.0, 2.0 * a
    pts = np.isin(reg, rs)
    centroid = tuple(float(x) for x in sp.points[pts].mean(axis=0))
    faces = tuple(int(f) for f in np.unique(sp.faces[pts])[:5])
    loc = Location(centroid, region=int(main), faces=faces)
    grp_area = float(area[rs].sum())
    where = f"over {_fmt(grp_area)} mm²"
    N = c.scale_n
    scale = f"1:{N:g}"
    if code == "MS101":
        real, hi, mat = width * N, float(hi_real[main]), str(reg_mat[main])
        return Finding(code, f"{mat} texture reads as {_fmt(real)} mm wide at {scale} "
                             f"({_fmt(width)} mm on the model, {where}); real {mat} texture "
                             f"is under {_fmt(hi)} mm",
                       measured=real, threshold=hi, unit="mm (real)", location=loc,
                       advice=f"Make it finer (under {_fmt(hi / N)} mm on the model) or soften it "
                              f"below the eye's threshold; at this scale paint can suggest it.")
    if code == "MS102":
        return Finding(code, f"{_fmt(width)} mm detail ({_fmt(depth)} mm deep, {where}) is below "
                             f"what the eye resolves at {_fmt(c.distance_mm)} mm "
                             f"(finest visible detail ~{_fmt(c.resolvable_mm)} mm)",
                       measured=float(value[main]), threshold=1.0, unit="contrast x threshold",
                       location=loc,
                       advice="Wasted sculpting at this distance: drop it to save effort, or "
                              "enlarge it if it is meant to be seen.")
    if code == "MS103":
        if lat[main]:
            return Finding(code, f"{_fmt(width)} mm wide detail ({where}) is finer than the "
                                 f"{c.printer.name} printer holds ({_fmt(c.printer.lateral_cutoff_mm)} mm, "
                                 f"safe from {_fmt(AT_RISK * c.printer.lateral_cutoff_mm)} mm)",
                           measured=width, threshold=c.printer.lateral_cutoff_mm, unit="mm",
                           location=loc,
                           advice="It will not print: make it at least "
                                  f"{_fmt(AT_RISK * c.printer.lateral_cutoff_mm)} mm wide or leave it out.")
        return Finding(code, f"{_fmt(depth)} mm deep detail ({where}) is too shallow for "
                             f"{_fmt(c.printer.layer_mm)} mm print layers (safe from "
                             f"{_fmt(AT_RISK * c.printer.layer_mm)} mm)",
                       measured=depth, threshold=c.printer.layer_mm, unit="mm", location=loc,
                       advice=f"Deepen it to at least {_fmt(AT_RISK * c.printer.layer_mm)} mm or "
                              "leave it to paint.")
    if code == "MS104":
        return Finding(code, f"{_fmt(depth)} mm deep, {_fmt(width)} mm wide recesses ({where}) "
                             f"fill with {_fmt(c.paint_mm)} mm of primer and paint (safe from "
                             f"{_fmt(AT_RISK * c.paint_mm)} mm)",
                       measured=depth, threshold=c.paint_mm, unit="mm", location=loc,
                       advice=f"Deepen and widen them to at least {_fmt(AT_RISK * c.paint_mm)} mm, "
                              "or thin the paint.")
    if code == "MS105":
        r = float(value[main])
        return Finding(code, f"{_fmt(depth)} mm deep, {_fmt(width)} mm wide relief ({where}) has a "
                             f"depth:width of {r:.2f}: under a 45° light its recesses go black "
                             f"(over {SHADOW_RATIO:.2f})",
                       measured=r, threshold=SHADOW_RATIO, unit="depth/width", location=loc,
                       advice="Soften the walls or make it shallower so it shades instead of "
                              "casting hard shadows at this size.")
    d = float(value[main])
    return Finding(code, f"about {d:.0f} distinct details per glance ({_fmt(c.glance_mm)} mm) "
                         f"{where}; the eye separates about {capacity:.0f} and the rest merges into noise",
                   measured=d, threshold=capacity, unit="details per glance", location=loc,
                   advice="Simplify: fewer, larger shapes here, and keep fine texture for a focal area.")
