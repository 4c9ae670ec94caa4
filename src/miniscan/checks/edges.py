"""Edges and bevels (MS201-MS204): measure each crease's bevel radius and judge it.

Window (DESIGN.md section 3): R_min = r / phi (the highlight on the bevel is about R * phi
wide and must be resolvable); R_max = min(material's real edge radius / N, 2 A/P of the
smaller flat face the edge joins). Print and paint round every edge to R_hold =
max(paint build-up, half a printer pixel or nozzle), so the edge the eye sees has radius
max(R, R_hold). The kernel is analysis/creases.py; docs/edges.md has the worked example.
"""

from __future__ import annotations

import numpy as np

from ..findings import CheckResult, Finding, Location

FAMILY = "edges"
TURN_MIN_DEG = 30.0  # a crease turns the normal by at least this much
DETECT_FACTOR = 4.0  # creases are detected up to this many times the soft limit
MAX_CHAINS_LISTED = 50


def hold_radius_mm(conditions) -> float:
    """Radius a hard edge ends up with after print and paint."""
    p = conditions.printer
    return max(conditions.paint_mm, 0.5 * p.xy_mm)


def material_max_mm(conditions, material: str) -> float:
    hi = float(conditions.material_props(material)["edge_radius_mm"][1])
    return hi / conditions.scale_n


def detect_radius_mm(c, part_names) -> float:
    """Creases are detected up to this radius: soft enough to be "too soft" for any part's
    material, and never stricter than the eye's bound for any part's finish."""
    from ..vision import FINISH_LOBE_RAD, highlight_min_radius

    part_mats = {c.material_for(p) for p in part_names} | {c.material}
    part_fins = {c.finish_for(p) for p in part_names} | {c.finish}
    r_soft = max(material_max_mm(c, m) for m in part_mats)
    r_eye = max(highlight_min_radius(c.resolvable_mm, FINISH_LOBE_RAD[f]) for f in part_fins)
    return DETECT_FACTOR * max(r_soft, r_eye)


def run(model, conditions, analysis) -> CheckResult:
    from ..analysis.creases import find_creases
    from ..vision import FINISH_LOBE_RAD, highlight_min_radius

    c = conditions
    r_min_global = c.bevel_min_mm
    r_max_mat_global = material_max_mm(c, c.material)
    detect = detect_radius_mm(c, model.part_names)
    key = f"creases:{detect!r}:{TURN_MIN_DEG!r}"
    cr = analysis.cached(key, lambda a: find_creases(a, detect, TURN_MIN_DEG))

    hold = hold_radius_mm(c)
    fpart = model.face_part()
    findings: list[Finding] = []
    chains = []
    counts = {"razor": 0, "too-soft": 0, "below-print": 0, "ok": 0}
    per_code: dict[str, list[Finding]] = {"MS201": [], "MS202": [], "MS203": []}
    for i in range(cr.count):
        part = model.part_names[int(fpart[cr.first_faces[i][0]])]
        mat, fin = c.material_for(part), c.finish_for(part)
        lobe = FINISH_LOBE_RAD[fin]
        r_min = highlight_min_radius(c.resolvable_mm, lobe)
        r_max_mat = material_max_mm(c, mat)
        r_max = min(r_max_mat, 2.0 * float(cr.flank_width_mm[i]))
        limited = bool(cr.resolution_limited[i])
        radius = 0.0 if limited else float(cr.radius_mm[i])  # a resolution-limited edge is hard
        res = float(cr.resolution_mm[i])
        seen = max(radius, hold)
        loc = Location(tuple(float(x) for x in cr.centroid_mm[i]), region=i, faces=cr.first_faces[i])
        length, turn = float(cr.length_mm[i]), float(np.degrees(cr.turn_rad[i]))
        what = (f"{turn:.0f}\u00b0 edge, {length:.3g} mm long, "
                + (f"sharp at the mesh's resolution (radius \u2264 {res:.3g} mm)" if limited
                   else f"bevel radius {radius:.3g} mm"))
        verdicts = []
        if radius < hold and seen >= r_min:
            verdicts.append("below-print")
            per_code["MS203"].append(Finding(
                "MS203", f"{what}: sharper than print and paint hold; it will end up about "
                         f"{hold:.3g} mm round", measured=radius, threshold=hold, unit="mm",
                location=loc, advice=f"Model it at the radius it will have ({hold:.2g} mm) so "
                                     f"what you see on screen is what prints."))
        if seen < r_min:
            verdicts.append("razor")
            per_code["MS201"].append(Finding(
                "MS201", f"{what}: at {c.distance_mm:.0f} mm a {fin} highlight on a "
                         f"{seen:.3g} mm edge is far thinner than the eye resolves: it will snap "
                         f"to a hairline", measured=seen, threshold=r_min, unit="mm", location=loc,
                advice=f"Bevel to \u2265 {r_min:.2g} mm or choose a more matte finish."
                if fin != "matte" else f"Bevel to \u2265 {r_min:.2g} mm."))
        elif radius > r_max:
            verdicts.append("too-soft")
            why = "the real material allows" if r_max == r_max_mat else "the faces it joins allow"
            per_code["MS202"].append(Finding(
                "MS202", f"{what}: rounder than {why} at 1:{c.scale_n:g} "
                         f"(\u2264 {r_max:.3g} mm): reads as a toy", measured=radius,
                threshold=r_max, unit="mm", location=loc,
                advice=f"Tighten the bevel to \u2264 {r_max:.2g} mm"
                       + (f" (\u2265 {r_min:.2g} mm keeps the highlight readable)."
                          if r_min <= r_max else ".")))
        verdict = verdicts[-1] if verdicts else "ok"
        if "razor" in verdicts:
            verdict = "razor"
        counts[verdict] += 1
        chains.append({"chain": i, "length_mm": length, "turn_deg": turn,
                       "radius_mm": None if limited else radius,
                       "resolution_limited": limited, "resolution_mm": res,
                       "window_mm": [r_min, r_max], "verdict": verdict,
                       "centroid_mm": list(loc.centroid_mm)})

    if cr.count and r_min_global > r_max_mat_global:
        findings.append(Finding(
            "MS204", f"no bevel is both readable and realistic here: a {c.finish} highlight needs "
                     f"\u2265 {r_min_global:.3g} mm but {c.material} edges at 1:{c.scale_n:g} are "
                     f"\u2264 {r_max_mat_global:.3g} mm", measured=r_min_global,
            threshold=r_max_mat_global, unit="mm",
            advice="Choose a more matte finish (or view from closer), or accept either crisp "
                   "hairline highlights or slightly soft edges."))
    for code in ("MS201", "MS202", "MS203"):
        findings.extend(per_code[code])

    metrics = {
        "radius_window_mm": [r_min_global, r_max_mat_global],
        "hold_radius_mm": hold,
        "detect_radius_mm": detect,
        "crease_turn_min_deg": TURN_MIN_DEG,
        "chains_total": cr.count,
        "chains_by_verdict": counts,
        "chains_resolution_limited": int(np.sum(cr.resolution_limited)) if cr.count else 0,
        "chain_length_total_mm": float(np.sum(cr.length_mm)) if cr.count else 0.0,
        "chains": chains[:MAX_CHAINS_LISTED],
    }
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings),
                       artifacts={"face_chain": cr.face_chain})
