"""Specular noise (MS301-MS303): will highlights sparkle and jitter instead of gliding?

MS301 is geometric and always runs (analysis/normal_variation.py); MS302 renders a light
orbit (render/orbit.py) and is reported `not-run` in metrics when there is no GL; MS303
needs a finish map (conditions.part_finish). Method and thresholds: docs/specular.md.
"""

from __future__ import annotations

import math

import numpy as np

from .. import vision
from ..analysis import normal_variation
from ..findings import CheckResult, Finding, Location

FAMILY = "specular"

MAX_REGIONS = 20  # findings per rule; the rest are counted in metrics
MIN_REGION_PATCHES = 1.0  # a region must cover at least one 4r patch (pi (2r)^2)
# MS302: a highlight blob smaller on average than this many resolvable pixels is a glint;
# several of them per frame (not one pin-point on a bead) make the highlight fragmented.
BLOB_PIXELS = 4.0
MIN_BLOBS_PER_FRAME = 2.0
CORE_PEAK = 230  # 0.9 of the peak: a glint's core, not a brush of the lobe's flank
# share of the highlight area that appears or vanishes (instead of gliding) per lamp step:
# a smooth glossy sphere 0.00, the noisy test plate under satin 0.10 and gloss 0.23
FLICKER_LIMIT = 0.05
STRONG_LOBE_RAD = 0.1  # gloss and metal: narrow lobes give strong highlights (MS303)
SPREAD_LIMIT = 0.5  # MS303 when more than half of the strong-highlight area is off-focus


def _deg(x) -> float:
    return float(np.degrees(x))


def _part_lobes(model, conditions) -> tuple[np.ndarray, list[str]]:
    """Lobe half-width of every part (per-part finishes), and the part finishes."""
    finishes = [conditions.finish_for(p) for p in model.part_names]
    return np.array([vision.FINISH_LOBE_RAD[f] for f in finishes]), finishes


def _regions(nv, flagged: np.ndarray, link_mm: float) -> tuple[int, np.ndarray]:
    """Connected components of flagged nodes that are patch neighbours within link_mm."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(flagged)
    nb, d = nv.neighbours, nv.neighbour_dist
    src = np.repeat(np.arange(n), nb.shape[1])
    dst, dd = nb.ravel(), d.ravel()
    ok = (dst < n) & (dd <= link_mm)
    src, dst = src[ok], dst[ok]
    ok = flagged[src] & flagged[dst]
    g = coo_matrix((np.ones(int(ok.sum())), (src[ok], dst[ok])), shape=(n, n))
    return connected_components(g, directed=False)


def _ms301(model, conditions, nv, node_lobe, face_part, finishes):
    r_eff = nv.band_mm[0]
    area = nv.areas
    total = float(area.sum()) or 1.0
    limit = 0.5 * node_lobe
    flagged = nv.variation_rad > limit
    findings = []
    ncomp, labels = _regions(nv, flagged, np.inf)  # 3x3x3 patch neighbours
    lab = np.where(flagged, labels, -1)
    reg_area = np.bincount(lab[flagged], weights=area[flagged], minlength=ncomp)
    min_area = MIN_REGION_PATCHES * math.pi * (2.0 * r_eff) ** 2
    big = np.flatnonzero(reg_area >= min_area)
    # deterministic order: largest first, ties by lowest node id
    first_node = np.full(ncomp, len(lab))
    np.minimum.at(first_node, lab[flagged], np.flatnonzero(flagged))
    big = big[np.lexsort((first_node[big], -reg_area[big]))]
    for rank, c in enumerate(big[:MAX_REGIONS]):
        sel = lab == c
        w = area[sel]
        v = float(np.sqrt(np.average(nv.variation_rad[sel] ** 2, weights=w)))
        thr = float(np.average(limit[sel], weights=w))
        cen = tuple(float(x) for x in np.average(nv.positions[sel], axis=0, weights=w))
        order = np.argsort(-nv.variation_rad[sel], kind="stable")
        faces = tuple(int(f) for f in dict.fromkeys(nv.faces[sel][order].tolist()))[:5]
        fin = finishes[int(np.bincount(face_part[nv.faces[sel]]).argmax())]
        share = float(w.sum()) / total
        carry = [f for f, phi in vision.FINISH_LOBE_RAD.items() if v <= 0.5 * phi]
        findings.append(Finding(
            "MS301",
            f"highlights will sparkle over {w.sum():.3g} mm² ({100 * share:.2g}% of the surface): "
            f"normals vary {_deg(v):.3g}° between {r_eff:.3g} and {4 * r_eff:.3g} mm, "
            f"more than the {fin} finish hides ({_deg(thr):.3g}°)",
            measured=_deg(v), threshold=_deg(thr), unit="deg",
            location=Location(cen, region=rank, faces=faces),
            advice=("smooth this area at about the resolvable size (a light smooth or remesh "
                    f"pass of ~{2 * r_eff:.2g} mm)"
                    + (f", or give it a {carry[0]} finish" if carry else "")
                    + "; scan noise and tool marks read as glitter under a lamp")))
    share = float(area[flagged].sum()) / total
    per_finish = {f: float(area[nv.variation_rad > 0.5 * phi].sum()) / total
                  for f, phi in vision.FINISH_LOBE_RAD.items()}
    w = area / total
    order = np.argsort(nv.variation_rad, kind="stable")
    cum = np.cumsum(w[order])
    pct = {f"p{q}": _deg(nv.variation_rad[order][min(len(order) - 1,
                                                      int(np.searchsorted(cum, q / 100.0)))])
           for q in (50, 90, 99)} if len(order) else {}
    metrics = {
        "band_mm": [r_eff, 4.0 * r_eff], "band_coarsened": nv.coarsened,
        "nodes": int(len(area)),
        "noisy_area_share": share, "noisy_area_mm2": float(area[flagged].sum()),
        "per_finish_noisy_share": per_finish,
        "variation_deg": pct,
        "toksvig_mean": float(np.average(nv.toksvig, weights=area)) if len(area) else 1.0,
        "regions": int(len(big)), "regions_reported": int(min(len(big), MAX_REGIONS)),
    }
    return findings, metrics, flagged


def _flicker(labels, grown) -> list[float]:
    """Share of the highlight that jumps instead of gliding, per consecutive pair of frames.

    The lamp moves half a lobe per step, so a smooth surface's highlight moves by less than
    its own size: every blob of the new frame touches last frame's highlight (allowing one
    pixel). A blob that touches nothing appeared out of nowhere (a glint switched on); one of
    the old frame that the new frame does not touch vanished. flicker = (appeared + vanished
    area) / (both frames' highlight area).
    """
    def lonely(lab, k, other_grown):
        if not k:
            return 0
        touch = np.zeros(k + 1, dtype=bool)
        touch[lab[other_grown & (lab > 0)]] = True
        sizes = np.bincount(lab.ravel(), minlength=k + 1)
        return int(sizes[1:][~touch[1:]].sum())

    out = []
    for i in range(len(labels)):
        (la, ka), (lb, kb) = labels[i - 1], labels[i]
        tot = int((la > 0).sum()) + int((lb > 0).sum())
        if tot:
            out.append((lonely(lb, kb, grown[i - 1]) + lonely(la, ka, grown[i])) / tot)
    return out


def _measure_orbit(o) -> dict:
    from scipy import ndimage

    eight = np.ones((3, 3), dtype=bool)
    masks = o.masks
    if masks:  # work inside the box every highlight falls in (plus a margin)
        ys, xs = np.nonzero(np.any(np.stack(masks), axis=0))
        if len(ys):
            box = (slice(max(0, ys.min() - 2), ys.max() + 3),
                   slice(max(0, xs.min() - 2), xs.max() + 3))
        else:
            box = (slice(0, 1), slice(0, 1))
    blobs, areas, labels, grown = [], [], [], []
    for frame, mask in zip(o.frames, masks):
        f, mk = frame[box], mask[box]
        lab, n = ndimage.label(mk, structure=eight)
        labels.append((lab, n))
        grown.append(ndimage.binary_dilation(mk, structure=eight))
        # a glint counts when it reaches near the full peak (a strong core)
        keep = np.zeros(n + 1, dtype=bool)
        keep[lab[f >= CORE_PEAK]] = True
        keep[0] = False
        blobs.append(int(keep.sum()))
        areas.append(int(keep[lab].sum()))
    flick = _flicker(labels, grown)
    n = len(masks)
    px2_cm2 = (o.pixel_mm ** 2) / 100.0
    hl_cm2 = sum(areas) * px2_cm2
    frag = sum(blobs) / hl_cm2 if hl_cm2 > 0 else 0.0
    return {"status": "ok", "frames": n, "pixel_mm": o.pixel_mm, "view": o.view,
            "cone_deg": o.cone_deg, "image_px": list(o.masks[0].shape[::-1]) if n else [0, 0],
            "model_px": o.model_pixels,
            "fragments_per_cm2": frag,
            "fragments_per_cm2_limit": 1.0 / (BLOB_PIXELS * px2_cm2),
            "blobs_per_frame_mean": float(np.mean(blobs)) if blobs else 0.0,
            "flicker": float(np.mean(flick)) if flick else 0.0, "flicker_limit": FLICKER_LIMIT,
            "per_frame_flicker": flick,
            "per_frame_blobs": blobs, "per_frame_highlight_px": areas}


def _ms302(model, conditions, analysis, face_lobe):
    from ..render import gl

    reason = gl.probe()
    if reason:
        return [], {"status": "not-run", "reason": reason}, {}
    from ..render import orbit

    o = orbit.light_orbit(model.vertices, model.faces, face_lobe, conditions.resolvable_mm,
                          conditions.distance_mm, conditions.front)
    m = _measure_orbit(o)
    findings = []
    fragmented = (m["fragments_per_cm2"] > m["fragments_per_cm2_limit"]
                  and m["blobs_per_frame_mean"] >= MIN_BLOBS_PER_FRAME)
    flickers = m["flicker"] > FLICKER_LIMIT
    m["fragmented"], m["flickers"] = bool(fragmented), bool(flickers)
    if fragmented and flickers:  # small glints that switch on and off: sparkle
        allm = np.mean(np.stack(o.masks), axis=0)
        ys, xs = np.nonzero(allm > 0)
        findings.append(Finding(
            "MS302",
            f"under one moving lamp the highlight breaks into {m['blobs_per_frame_mean']:.3g} "
            f"glints per frame ({m['fragments_per_cm2']:.3g} fragments per cm² of highlight, "
            f"limit {m['fragments_per_cm2_limit']:.3g}) and {100 * m['flicker']:.2g}% of the "
            f"highlight jumps from step to step instead of gliding (limit "
            f"{100 * FLICKER_LIMIT:.2g}%)",
            measured=m["fragments_per_cm2"], threshold=m["fragments_per_cm2_limit"],
            unit="1/cm2", location=Location(view=o.view),
            advice="smooth the surface where MS301 points, or choose a less glossy finish; "
                   "the orbit strip shows where the glints are"))
    artifacts = {"orbit_frames": o.frames, "orbit_masks": o.masks,
                 "orbit_pixel_mm": o.pixel_mm, "orbit_view": o.view,
                 "orbit_coverage": o.coverage, "orbit_light_dirs": o.light_dirs}
    return findings, m, artifacts


def _ms303(model, conditions, nv, node_lobe, flagged, face_part, finishes):
    if not conditions.part_finish:
        return [], {"status": "not-run", "reason": "no finish map (--part-finish) given"}
    from fnmatch import fnmatchcase

    focal_parts = [i for i, p in enumerate(model.part_names)
                   if any(fnmatchcase(p, pat) and vision.FINISH_LOBE_RAD[v] <= STRONG_LOBE_RAD
                          for pat, v in conditions.part_finish)]
    node_part = face_part[nv.faces]
    focal = np.isin(node_part, focal_parts)
    strong = (node_lobe <= STRONG_LOBE_RAD) | flagged
    area = nv.areas
    strong_a = float(area[strong].sum())
    out_a = float(area[strong & ~focal].sum())
    share = out_a / strong_a if strong_a > 0 else 0.0
    m = {"status": "ok", "focal_parts": [model.part_names[i] for i in focal_parts],
         "strong_highlight_mm2": strong_a, "outside_focal_mm2": out_a,
         "outside_focal_share": share, "limit": SPREAD_LIMIT}
    findings = []
    if strong_a > 0 and share > SPREAD_LIMIT:
        sel = strong & ~focal
        cen = tuple(float(x) for x in np.average(nv.positions[sel], axis=0, weights=area[sel]))
        names = sorted({model.part_names[i] for i in np.unique(node_part[sel]).tolist()})
        findings.append(Finding(
            "MS303",
            f"{100 * share:.2g}% of the strong-highlight area ({out_a:.3g} mm²) lies outside the "
            f"focal parts ({', '.join(m['focal_parts']) or 'none declared glossy'}), "
            f"on {', '.join(names[:4])}{' ...' if len(names) > 4 else ''}",
            measured=share, threshold=SPREAD_LIMIT, unit="share",
            location=Location(cen, faces=tuple(int(f) for f in nv.faces[sel][:5])),
            advice="keep gloss for the focal points (eyes, blades, gems); give the rest a satin "
                   "or matte finish, or smooth the glinting areas"))
    return findings, m


def run(model, conditions, analysis) -> CheckResult:
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "the model has no faces")
    nv = normal_variation.for_analysis(analysis, conditions.resolvable_mm)
    part_lobe, finishes = _part_lobes(model, conditions)
    face_part = model.face_part()
    node_lobe = part_lobe[face_part[nv.faces]]
    findings, metrics, flagged = _ms301(model, conditions, nv, node_lobe, face_part, finishes)
    f302, m302, artifacts = _ms302(model, conditions, analysis, part_lobe[face_part])
    f303, m303 = _ms303(model, conditions, nv, node_lobe, flagged, face_part, finishes)
    metrics["orbit"] = m302
    if m302.get("status") == "ok":
        metrics["fragments_per_cm2"] = m302["fragments_per_cm2"]
        metrics["flicker"] = m302["flicker"]
    metrics["gloss_spread"] = m303
    # per-face band-pass variation (rad) for the pictures' heat map
    fv = np.zeros(model.n_faces)
    has = nv.face_node >= 0
    fv[has] = nv.variation_rad[nv.face_node[has]]
    artifacts = dict(artifacts, face_variation=fv)
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings + f302 + f303), artifacts=artifacts)
