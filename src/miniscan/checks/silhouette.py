"""Silhouette readability (MS401-MS404): the squint test, made measurable.

Renders the model's silhouette from 17 views (analysis/silhouettes.py), blurs it to the
eye's acuity and to a glance, and reports thin parts that vanish (MS401), gaps that close
(MS402), views that read poorly (MS403) and the absence of any clear view (MS404).
The method, the score formula and the thresholds are in docs/silhouette.md.
"""

from __future__ import annotations

import numpy as np

from scipy import ndimage as ndi

from .. import vision
from ..analysis import silhouettes as sil
from ..findings import CheckResult, Finding, Location

FAMILY = "silhouette"

UNREADABLE_SCORE = 50.0  # MS403 below this
GOOD_SCORE = 70.0  # MS404 when no view reaches this
RAYS_PER_PART = 24


def _references(analysis, conditions):
    """Reference silhouettes of all views (cached per grid and front)."""
    model = analysis.model
    grid = sil.make_grid(model.vertices, conditions.resolvable_mm)
    views = sil.view_set(conditions.front)
    key = f"silhouettes:{conditions.front}:{grid.n}"

    def make(a):
        v, f = sil.decimated(model.vertices, model.faces, grid.pixel_mm)
        masks = sil.render_silhouettes(v, f, views, grid)
        return {"masks": masks, "render_faces": int(len(f))}

    return grid, views, analysis.cached(key, make)


def _arcmin(mm: float, distance: float) -> float:
    return vision.angular_size_arcmin(mm, distance)


def _merge(points: np.ndarray, owner: np.ndarray, items, grid, results, kind: str,
           radius: float) -> np.ndarray:
    """Group the parts of all views that are one place on the model.

    Part i's 3D points are projected into every other view; share[i, j] is the fraction of
    them that land in part j (grown by `radius`). Two parts are the same place when their
    surface points come within `radius`, or when each holds the majority of the other's points (the same gap seen from the front and from the
    back lands on opposite faces, but each projects into the other). A part left on its own
    that projects mostly into a grouped part (two rods that overlap from the side) joins the
    group it shares most with, without merging groups with each other.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_items = len(items)
    if n_items == 0:
        return np.zeros(0, np.int64)
    counts = np.zeros((n_items, n_items))
    if len(points):
        index = {(vi, lab): i for i, (vi, lab, *_rest) in enumerate(items)}
        grow = max(1, int(round(radius / grid.pixel_mm)))
        for vi, r in enumerate(results):
            lab, ids = (r.lost_lab, r.lost_ids) if kind == "lost" else (r.gap_lab, r.gap_ids)
            if len(ids) == 0:
                continue
            keep = ndi.grey_dilation(np.where(np.isin(lab, ids), lab, 0),
                                     size=(2 * grow + 1, 2 * grow + 1))
            rows, cols = grid.project(r.view, points)
            rows, cols = rows - r.origin[0], cols - r.origin[1]
            ok = (rows >= 0) & (rows < keep.shape[0]) & (cols >= 0) & (cols < keep.shape[1])
            got = np.zeros(len(points), np.int64)
            got[ok] = keep[rows[ok], cols[ok]]
            sel = np.flatnonzero(got > 0)
            if len(sel):
                lut = np.zeros(int(got.max()) + 1, np.int64)
                for lab_id in ids:
                    lut[int(lab_id)] = index[(vi, int(lab_id))]
                np.add.at(counts, (owner[sel], lut[got[sel]]), 1.0)
    n_pts = np.bincount(owner, minlength=n_items).astype(np.float64)
    share = counts / np.maximum(n_pts, 1.0)[:, None]
    np.fill_diagonal(share, 0.0)
    mutual = (share >= 0.5) & (share.T >= 0.5)
    a, b = np.nonzero(mutual)
    if len(points):  # parts whose surface points touch (within radius) are one place too
        from scipy.spatial import cKDTree

        pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
        a, b = np.concatenate([a, owner[pairs[:, 0]]]), np.concatenate([b, owner[pairs[:, 1]]])
    g = coo_matrix((np.ones(len(a)), (a, b)), shape=(n_items, n_items))
    _, labels = connected_components(g, directed=False)
    sizes = np.bincount(labels)
    alone = np.flatnonzero(sizes[labels] == 1)
    grouped = sizes[labels] > 1
    for i in alone:  # a handful of parts at most
        cand = np.where(grouped, share[i], 0.0)
        j = int(np.argmax(cand))
        if cand[j] >= 0.5:
            labels[i] = labels[j]
    return labels


def _locate(analysis, grid, results, kind: str):
    """Per candidate part of every view: (view index, label, width px, area px, 3D hits)."""
    scene = analysis.raycasting_scene
    items, pts_all, owner_all, faces_all = [], [], [], []
    for vi, r in enumerate(results):
        if kind == "lost":
            lab, ids, widths, areas = r.lost_lab, r.lost_ids, r.lost_width_px, r.lost_area_px
            probe_lab = lab
        else:
            lab, ids, widths, areas = r.gap_lab, r.gap_ids, r.gap_width_px, r.gap_area_px
            # the rim around the gap: the surfaces on either side of it
            grown = sil.ndi.grey_dilation(np.where(np.isin(lab, ids), lab, 0), size=(5, 5))
            probe_lab = np.where(r.ref, grown, 0)
        if len(ids) == 0:
            continue
        rows, cols, comp = sil.sample_pixels(probe_lab, ids, RAYS_PER_PART)
        pts, fid, hit = sil.cast(scene, grid, r.view, rows + r.origin[0], cols + r.origin[1])
        base = len(items)
        for k in range(len(ids)):
            items.append((vi, int(ids[k]), float(widths[k]), float(areas[k]), k))
        pts_all.append(pts[hit])
        owner_all.append(base + comp[hit])
        faces_all.append(fid[hit])
    if not items:
        return [], np.zeros((0, 3)), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return items, np.vstack(pts_all), np.concatenate(owner_all), np.concatenate(faces_all)


def _regions(analysis, grid, results, kind, radius):
    """One entry per 3D region: the item seen largest, its hit points and faces, view count."""
    items, pts, owner, faces = _locate(analysis, grid, results, kind)
    if not items:
        return []
    groups = _merge(pts, owner, items, grid, results, kind, radius)
    out = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        best = max(members, key=lambda i: (items[i][3], -i))
        sel = owner == best
        if not sel.any():
            sel = np.isin(owner, members)
        if not sel.any():
            continue
        # a lost part: the surface behind it; a gap: the middle of the rims on either side
        centre = np.median(pts[sel], axis=0) if kind == "lost" else pts[sel].mean(axis=0)
        fids, counts = np.unique(faces[sel], return_counts=True)
        top = fids[np.argsort(-counts, kind="stable")][:5]
        out.append({"item": items[best], "centre": centre, "faces": tuple(int(x) for x in top),
                    "views": sorted({results[items[i][0]].view.name for i in members})})
    out.sort(key=lambda d: (-d["item"][3], d["item"][0], d["item"][1]))
    return out


def run(model, conditions, analysis) -> CheckResult:
    from ..render import gl

    reason = gl.probe()
    if reason:
        return CheckResult(FAMILY, "not-run", f"silhouettes need off-screen rendering: {reason}")
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "the mesh has no faces")

    grid, views, refs = _references(analysis, conditions)
    D = conditions.distance_mm
    eye_px = conditions.resolvable_mm / grid.pixel_mm
    glance_px = conditions.glance_mm / grid.pixel_mm
    reason = None
    if glance_px < sil.MIN_GLANCE_PX:
        reason = (f"the model spans {2 * grid.radius_mm / conditions.resolvable_mm:,.0f} eye pixels at "
                  f"{D:g} mm, more than the {grid.n} px silhouette grid: parts under "
                  f"{2 * sil.MIN_REACH_PX * grid.pixel_mm:.2g} mm are not resolved, so thin parts "
                  f"and gaps (MS401/MS402) were not measured (check --units and --distance)")
    results = [sil.analyse_view(v, refs["masks"][k], eye_px, glance_px)
               for k, v in enumerate(views)]

    survive_mm = sil.BAR_SURVIVES * conditions.glance_mm
    survive_arcmin = sil.BAR_SURVIVES * conditions.glance_arcmin
    findings: list[Finding] = []

    for reg in _regions(analysis, grid, results, "lost", conditions.glance_mm):
        vi, label, w_px, area_px, k = reg["item"]
        r = results[vi]
        w_mm = w_px * grid.pixel_mm
        w_arc = _arcmin(w_mm, D)
        also = "" if r.fine_keeps[k] else "; it is below the eye's resolution even on a close look"
        seen = f" (in {len(reg['views'])} of {len(views)} views)" if len(reg["views"]) > 1 else ""
        findings.append(Finding(
            "MS401",
            f"thin part {w_mm:.2f} mm across ({w_arc:.1f}′) vanishes at a glance from "
            f"{D:g} mm, seen from {r.view.name}{seen}{also}",
            measured=w_arc, threshold=survive_arcmin, unit="arcmin",
            location=Location(tuple(float(x) for x in reg["centre"]), faces=reg["faces"],
                              view=r.view.name),
            advice=f"Thicken it to at least {survive_mm:.2f} mm (real {conditions.real_mm(survive_mm):.0f} mm"
                   f" at 1:{conditions.scale_n:g}) or exaggerate it, as sculptors do for "
                   f"spears and fingers; otherwise it reads only up close."))

    for reg in _regions(analysis, grid, results, "gap", conditions.glance_mm):
        vi, label, w_px, area_px, k = reg["item"]
        r = results[vi]
        w_mm = w_px * grid.pixel_mm
        w_arc = _arcmin(w_mm, D)
        seen = f" (in {len(reg['views'])} of {len(views)} views)" if len(reg["views"]) > 1 else ""
        findings.append(Finding(
            "MS402",
            f"gap {w_mm:.2f} mm wide ({w_arc:.1f}′) fills in at a glance from {D:g} mm, "
            f"seen from {r.view.name}{seen}: the shapes on either side merge",
            measured=w_arc, threshold=survive_arcmin, unit="arcmin",
            location=Location(tuple(float(x) for x in reg["centre"]), faces=reg["faces"],
                              view=r.view.name),
            advice=f"Open the gap to at least {survive_mm:.2f} mm, or pose the limb clear of "
                   f"the body, so the negative space still reads at a glance."))

    scores = np.array([r.numbers["score"] for r in results])
    limbs = np.array([r.numbers["readable_extremities"] for r in results])
    # A model on a table is seen from the side, not from straight above: the top view
    # (where a round base alone reads well) is measured but never the hero.
    overhead = np.array([r.view.elevation_deg > 60 for r in results])
    order = np.lexsort((np.arange(len(results)), -limbs, -scores, overhead))
    hero, worst = int(order[0]), int(np.lexsort((np.arange(len(results)), scores))[0])

    for r in results:
        s = r.numbers["score"]
        if s < UNREADABLE_SCORE:
            n = r.numbers
            why = []
            if n["limbs_kept"] < 0.9:
                why.append(f"limbs keep {100 * n['limbs_kept']:.0f}% of their reach")
            if n["lost_parts"]:
                why.append(f"{n['lost_parts']} thin parts vanish")
            if n["closed_gaps"]:
                why.append(f"{n['closed_gaps']} gaps close")
            if n["clutter"] > 0.15:
                why.append(f"{100 * n['clutter']:.0f}% of the outline is small wiggles")
            findings.append(Finding(
                "MS403", f"view {r.view.name} reads poorly at a glance: score {s:.0f}/100"
                         + (f" ({', '.join(why)})" if why else ""),
                measured=float(s), threshold=UNREADABLE_SCORE, unit="score",
                location=Location(view=r.view.name),
                advice="Fine if this is not a display angle; otherwise bolden the outline "
                       "from here (fewer, larger shapes)."))
    if scores[hero] < GOOD_SCORE:
        findings.append(Finding(
            "MS404", f"no view reads clearly at a glance from {D:g} mm: best is "
                     f"{results[hero].view.name} at {scores[hero]:.0f}/100",
            measured=float(scores[hero]), threshold=GOOD_SCORE, unit="score",
            location=Location(view=results[hero].view.name),
            advice="Exaggerate the pose: separate limbs from the body, thicken thin parts "
                   "and simplify the outline so one angle reads as a clear shape."))

    per_view = {r.view.name: {k: v for k, v in r.numbers.items() if k != "area_px"}
                | {"area_mm2": r.numbers["area_px"] * grid.pixel_mm ** 2} for r in results}
    metrics = {
        "projection": "parallel",
        "views": per_view,
        "view_scores": {r.view.name: r.numbers["score"] for r in results},
        "hero_view": results[hero].view.name, "hero_score": float(scores[hero]),
        "worst_view": results[worst].view.name, "worst_score": float(scores[worst]),
        "mean_score": float(scores.mean()),
        "views_unreadable": int((scores < UNREADABLE_SCORE).sum()),
        "lost_parts": sum(f.code == "MS401" for f in findings),
        "closed_gaps": sum(f.code == "MS402" for f in findings),
        "grid_px": grid.n, "pixel_mm": grid.pixel_mm,
        "eye_fwhm_mm": conditions.resolvable_mm, "glance_fwhm_mm": conditions.glance_mm,
        "survive_width_mm": survive_mm, "survive_width_arcmin": survive_arcmin,
        "height_eye_px": results[0].numbers["height_eye_px"],
        # False when the model spans more eye pixels than the grid holds (N_MAX): the glance
        # is then finer than a working pixel and MS401/MS402 cannot be measured
        "glance_resolved": bool(glance_px >= sil.MIN_GLANCE_PX),
        "render_faces": refs["render_faces"],
        "thresholds": {"unreadable_score": UNREADABLE_SCORE, "good_score": GOOD_SCORE},
    }
    artifacts = {"views": [{
        "name": r.view.name, "camera": grid.camera(r.view), "origin": r.origin,
        "frame_shape": (grid.n, grid.n), "ref": r.ref, "fine": r.fine, "glance": r.glance,
        "lost": r.lost, "closed": r.closed, "score": r.numbers["score"],
        "numbers": dict(r.numbers)} for r in results],
        "hero_view": results[hero].view.name, "worst_view": results[worst].view.name}
    return CheckResult(FAMILY, "ok", reason, metrics, tuple(findings), artifacts=artifacts)
