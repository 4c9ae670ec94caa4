"""Mesh health (MS9xx): states of the file, not measurements. They never fail a run by default;
each says which other measurements it makes less trustworthy (rules/health.py declares them)."""

from __future__ import annotations

import numpy as np

from ..findings import CheckResult, Finding, Location
from ..loading.geometry import LIFE_SIZE_MM

FAMILY = "health"


# What each state makes less trustworthy, appended to its message.
_AFFECTS = {
    "MS903": "; every size-based verdict (scale, thickness, texture and edge sizes) rests on it",
    "MS905": "; every measurement describes the reconstruction, not the scanned object",
}


def _first_faces(mask: np.ndarray, k: int = 5) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask)[:k])


def _length(mm: float) -> str:
    return f"{mm / 1000:.3g} m" if mm >= 1000 else f"{mm:.3g} mm"


# A file reads as life-size when its size is nearer the life-size subject (LIFE_SIZE_MM, the
# units guess's), in octaves, than a 1:N model of it (LIFE_SIZE_MM / N): above the geometric
# mean LIFE_SIZE_MM / sqrt(N), 241 mm at 1:56 (a 0.31 m boot scan is; a 29 mm figure exported
# to glTF, which is in metres by definition, is not).


def _life_size(model, conditions) -> Finding | None:
    """MS907: a file in metres (scans, glTF: real sizes) nearer a life-size thing than a 1:N
    miniature, checked as it is with no print size: say what it stands for and how to check
    the print instead."""
    n = conditions.scale_n
    if model.units != "m" or n <= 1 or model.metadata.get("print_scale") is not None:
        return None
    size = float(np.max(model.extents)) if model.n_vertices else 0.0
    if size <= LIFE_SIZE_MM / np.sqrt(n):
        return None
    how = "guessed" if model.units_guessed else "declared"
    return Finding(
        "MS907", f"the file is in metres ({how}) and {size / 1000:.3g} m across: checked as "
                 f"it is, it is a 1:{n:g} model of something {_length(size * n)} across. If "
                 f"{size / 1000:.3g} m is the object's own size (a scan, a glTF asset), the "
                 f"realism verdicts (edge softness, texture scale, over-thick parts) judge that "
                 f"{_length(size * n)} thing and the printability ones a {_length(size)} print",
        measured=size, unit="mm",
        advice="Pass the size you will print (--height 32, --width or --length) to check the "
               "miniature; --scale 1:1 if you print it life-size.")


def run(model, conditions, analysis) -> CheckResult:
    a = analysis
    findings: list[Finding] = []
    for code, message in model.load_notes:
        advice = {"MS903": "State the units with --units mm|cm|m|in.",
                  "MS905": "Export a mesh from your scanning software for exact results."}.get(code, "")
        if code in _AFFECTS:
            message = f"{message.rstrip('. ')}{_AFFECTS[code]}."
        findings.append(Finding(code, message, advice=advice))

    life = _life_size(model, conditions)
    if life is not None:
        findings.append(life)

    boundary, nonmanifold = a.boundary_edges, a.nonmanifold_edges
    if boundary or nonmanifold:  # a closed surface wound inconsistently is MS906's
        why = []
        if boundary:
            why.append(f"{boundary:,} open edges")
        if nonmanifold:
            why.append(f"{nonmanifold:,} non-manifold edges")
        findings.append(Finding(
            "MS901", f"mesh is not watertight ({', '.join(why)}); thickness and volume "
                     f"measurements are less trustworthy", measured=float(boundary + nonmanifold),
            threshold=0.0, unit="edges",
            advice="Close holes and merge parts before printing (e.g. a remesh or 'make manifold')."))

    deg, dup = a.degenerate, a.duplicate & ~a.degenerate
    n_deg, n_dup = int(deg.sum()), int(dup.sum())
    if n_deg or n_dup:
        what = [f"{n_deg:,} degenerate (zero-area)"] if n_deg else []
        what += [f"{n_dup:,} duplicate (on the same three vertices as another)"] if n_dup else []
        bad = deg | dup
        findings.append(Finding(
            "MS902", f"{' and '.join(what)} faces of {model.n_faces:,}; normals, curvature "
                     f"and thickness rays are less trustworthy there",
            measured=float(n_deg + n_dup), threshold=0.0, unit="faces",
            location=Location(tuple(float(x) for x in a.face_centroids[bad][0]),
                              faces=_first_faces(bad)),
            advice="Remove degenerate and duplicate faces (merge by distance, delete doubled "
                   "shells); they carry no surface of their own and confuse normals."))

    if a.n_bodies > 1:
        labels = a.body_labels
        sizes = np.bincount(labels, weights=a.face_areas)
        small = int((sizes < 0.01 * sizes.max()).sum())
        findings.append(Finding(
            "MS904", f"{a.n_bodies:,} separate bodies"
                     + (f" ({small} of them tiny: under 1% of the largest's area)" if small else "")
                     + "; thickness is measured on their union, as a slicer prints them",
            measured=float(a.n_bodies), threshold=1.0, unit="bodies",
            advice="Fine for kits and multi-part prints; union them if they should be one solid."))

    if a.watertight and float(a.face_volumes.sum()) < 0:
        findings.append(Finding(
            "MS908", "the closed mesh is wound inside out: every normal points inward; "
                     "miniscan reads it flipped, but renderers shade it from inside and a "
                     "slicer may print its complement",
            advice="Flip the normals (reverse every face) in your modelling tool."))

    if not a.winding_consistent:
        findings.append(Finding(
            "MS906", "face winding is inconsistent: some normals point inward; shading, "
                     "thickness rays and the slicer's inside and outside are less trustworthy",
            advice="Recompute normals / fix winding in your modelling tool."))

    metrics = {"boundary_edges": boundary, "nonmanifold_edges": nonmanifold,
               "degenerate_faces": n_deg, "duplicate_faces": n_dup,
               "bodies": a.n_bodies,
               "area_mm2": a.total_area, "winding_consistent": a.winding_consistent}
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings))
