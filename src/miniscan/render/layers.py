"""Picture layers: per-face values painted on the model, with their unit and colours.

Where a layer comes from:
- every family returns typed picture data, `CheckResult.layers` (a frozen dataclass per
  family, subclass of findings.FamilyLayers); its `face_layers()` gives `FaceLayer`s — per-face
  measured values with a unit (kind "value"), a yes/no mask ("mask") or category indices
  ("label", names in `categories`); a value layer may name `marks` [(value, text)] drawn on
  its colour bar (a printer's minimum wall). Each becomes one heat map; nothing here knows a
  family.
- two layers need no family: mesh health (from the analysis) and all findings by severity.
- a family that returns no face layers but has located findings is painted by its findings'
  regions, so every finding can be found on a picture.

"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..findings import CheckResult, FaceLayer, Finding
from ..rules import RULES, SEVERITIES

# The colour range of a value layer when the family gives none: the 2nd-98th percentile, so
# a handful of extreme faces does not wash out the rest of the map.
CLIM_PERCENTILES = (2.0, 98.0)
# A mark at the end of a value range is moved this share of the range inside the bar, so its
# line and text are not drawn on the bar's frame.
MARK_ROOM = 0.05
# A finding's region on the pictures: its faces plus every face within this share of the
# bounding-box diagonal of its location (big enough to see at 1600 px on a whole figure) ...
REGION_DIAG_SHARE = 0.025
# ... and never less than this many mean edge lengths (a coarse mesh still shows a patch).
REGION_MIN_EDGES = 2.0
# A separate body under this share of the largest body's area is "tiny" on the health map.
TINY_BODY_AREA_SHARE = 0.01

NO_VALUE = "no value"  # the legend entry of NaN faces on label and mask layers
_GREY = (0.85, 0.85, 0.85)
_PAL = ((0.85, 0.15, 0.15), (0.95, 0.55, 0.05), (0.20, 0.45, 0.85), (0.55, 0.25, 0.70),
        (0.10, 0.60, 0.35), (0.60, 0.40, 0.20))
# Colours of category names the families use, so a verdict reads the same on every picture:
# red = a problem that shows, blue = the opposite problem, orange = lost to print/paint,
# green = fine, grey = not decided.
LABEL_COLORS = {
    "razor": (0.85, 0.15, 0.15), "thin": (0.85, 0.15, 0.15), "lost": (0.85, 0.15, 0.15),
    "soft": (0.20, 0.45, 0.85), "over-thick": (0.20, 0.45, 0.85),
    "below-print": (0.95, 0.55, 0.05), "closed": (0.95, 0.55, 0.05),
    "ok": (0.15, 0.65, 0.30), "wall": (0.15, 0.65, 0.30),
    "undetermined": (0.62, 0.62, 0.66), "unsure": (0.62, 0.62, 0.66),
    "coincident": (0.55, 0.25, 0.70),
}
# Colour maps per family for value layers (perceptually uniform; magma/inferno for "how much
# sparkle/relief", viridis for sizes).
# Thickness (the scale family's value layers): red thin -> yellow -> blue thick, like the
# thickness views of Blender's 3D-Print Toolbox and Meshmixer, and like the verdict colours
# above (thin red, over-thick blue).
FAMILY_CMAPS = {"texture": "magma", "specular": "inferno", "scale": "RdYlBu"}


@dataclass(frozen=True)
class Layer:
    family: str
    title: str
    values: np.ndarray  # per face; nan = no data (grey); category index when categories
    unit: str = ""
    cmap: str = "viridis"
    clim: tuple[float, float] | None = None
    categories: tuple[tuple[str, tuple[float, float, float]], ...] | None = None
    note: str = ""
    key: str = ""  # file-name part; defaults to the family
    marks: tuple[tuple[float, str], ...] = ()  # values marked on the colour bar, e.g. a limit

    @property
    def name(self) -> str:
        return self.key or self.family

    def limits(self) -> tuple[float, float]:
        if self.clim is not None:
            return (float(self.clim[0]), float(self.clim[1]))
        v = self.values[np.isfinite(self.values)]
        if v.size == 0:
            return (0.0, 1.0)
        lo, hi = (float(x) for x in np.percentile(v, CLIM_PERCENTILES))
        marked = [m for m, _ in self.marks if math.isfinite(m)]
        if marked:  # a marked value (the printer's minimum wall) is always on the bar
            span = max(hi, *marked) - min(lo, *marked)
            if min(marked) <= lo:
                lo = min(marked) - MARK_ROOM * span
            if max(marked) >= hi:
                hi = max(marked) + MARK_ROOM * span
        if hi <= lo:
            hi = lo + (abs(lo) * 0.1 or 1.0)
        return (lo, hi)

    def colors(self, index: np.ndarray | None = None) -> np.ndarray:
        """(n_faces, 3) uint8 RGB (or only for the faces in `index`); nan faces grey."""
        from .scene import NAN_COLOR

        vals = np.asarray(self.values, dtype=np.float64)
        if index is not None:
            vals = vals[index]
        finite = np.isfinite(vals)
        if self.categories is not None:
            pal = np.array([c for _, c in self.categories], dtype=np.float64)
            idx = np.where(finite, vals, 0).astype(np.int64).clip(0, len(pal) - 1)
            rgb = pal[idx]
        else:
            from matplotlib import colormaps

            lo, hi = self.limits()
            t = np.clip((np.where(finite, vals, lo) - lo) / (hi - lo), 0.0, 1.0)
            lut = colormaps[self.cmap](np.linspace(0.0, 1.0, 256))[:, :3]
            rgb = lut[np.round(t * 255).astype(np.int64)]
        rgb = np.where(finite[:, None], rgb, np.asarray(NAN_COLOR)[None, :])
        return (rgb * 255).round().astype(np.uint8)


# --------------------------------------------------------------------------- typed layers


def family_layers(result: CheckResult | None, model=None, analysis=None, conditions=None):
    """A family's typed picture data (every family returns its own dataclass), or None."""
    return None if result is None else result.layers


def _label_color(name: str, i: int) -> tuple[float, float, float]:
    return LABEL_COLORS.get(name.lower(), _PAL[i % len(_PAL)])


def from_face_layer(family: str, fl: FaceLayer) -> Layer:
    """A family's FaceLayer as a drawable Layer (colours chosen here, by kind)."""
    vals = np.asarray(fl.values, dtype=np.float64)
    title = fl.label or fl.name.replace("-", " ")
    key = fl.name if fl.name.startswith(family) else f"{family}-{fl.name}"
    if fl.kind == "mask":
        cats = ((NO_VALUE, _GREY), (title, _PAL[0]))
        v = np.where(np.isfinite(vals) & (vals != 0), 1.0, 0.0)
        return Layer(family, title, v, fl.unit, categories=cats, note=fl.note, key=key)
    if fl.kind == "label":
        names = tuple(getattr(fl, "categories", ()) or ())
        finite = np.isfinite(vals)
        n = int(np.nanmax(vals)) + 1 if finite.any() else 0
        names = names or tuple(f"label {i}" for i in range(n))
        cats = ((NO_VALUE, _GREY),) + tuple((s, _label_color(s, i)) for i, s in enumerate(names))
        v = np.where(finite, vals + 1.0, 0.0)  # category 0 = no value
        return Layer(family, title, v, fl.unit, categories=cats, note=fl.note, key=key)
    marks = tuple((float(v), str(t)) for v, t in getattr(fl, "marks", ()) or ())
    return Layer(family, title, vals, fl.unit, FAMILY_CMAPS.get(family, "viridis"),
                 tuple(fl.clim) if fl.clim is not None else None, note=fl.note, key=key,
                 marks=marks)


def layers_for(model, conditions, results: Iterable[CheckResult], analysis,
               only: Iterable[str] | None = None, numbered=None) -> list[Layer]:
    """Every layer, in order: health, findings, then each family's (report order). `only`:
    family names to keep. A layer that fails to build is skipped (a picture must never take
    the run down)."""
    results = tuple(results)
    only = set(only) if only else None
    out: list[Layer] = []
    if only is None or "health" in only:
        out.append(health_layer(model, analysis))
    if only is None or "findings" in only:
        out.append(findings_severity_layer(results, analysis, numbered))
    for res in results:
        if res.family == "health" or (only is not None and res.family not in only):
            continue
        try:
            out += _family(res, model, analysis, conditions)
        except Exception:  # noqa: BLE001 - a broken layer must not stop the pictures
            continue
    return [layer for layer in out if layer is not None and len(layer.values) == model.n_faces]


def _family(res: CheckResult, model, analysis, conditions) -> list[Layer]:
    typed = family_layers(res, model, analysis, conditions)
    faces = typed.face_layers() if typed is not None else ()
    if faces:
        return [from_face_layer(res.family, fl) for fl in faces]
    lay = findings_layer(res, analysis)
    return [lay] if lay is not None else []


# --------------------------------------------------------------------------- finding regions


def face_tree(analysis):
    from scipy.spatial import cKDTree

    return analysis.cached("render:face_centroid_tree", lambda a: cKDTree(a.face_centroids))


def finding_point(f: Finding, analysis) -> np.ndarray | None:
    """Where a finding is, in model mm: its centroid, else the mean of its faces."""
    loc = f.location
    if loc.centroid_mm is not None and all(math.isfinite(x) for x in loc.centroid_mm):
        return np.asarray(loc.centroid_mm, dtype=np.float64)
    if loc.faces:
        ids = np.asarray(loc.faces, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < analysis.model.n_faces)]
        if len(ids):
            return analysis.face_centroids[ids].mean(axis=0)
    return None


def finding_faces(f: Finding, analysis, radius: float | None = None) -> np.ndarray:
    """Faces that show a finding's region: its listed faces plus faces within `radius`
    (default REGION_DIAG_SHARE of the bounding-box diagonal) of its location."""
    n = analysis.model.n_faces
    ids = [i for i in f.location.faces if 0 <= i < n]
    p = finding_point(f, analysis)
    if p is not None:
        r = radius if radius is not None else max(REGION_DIAG_SHARE * analysis.bbox_diag_mm,
                                                  REGION_MIN_EDGES * analysis.mean_edge_mm)
        tree = face_tree(analysis)
        ids += tree.query_ball_point(p, r)
        ids.append(int(tree.query(p)[1]))
    return np.unique(np.asarray(ids, dtype=np.int64))


def findings_layer(res: CheckResult, analysis) -> Layer | None:
    """A family without face layers: each finding's region painted with its code's colour
    (later codes of the family's rule order on top)."""
    codes = [c for c, r in RULES.items() if r.family == res.family]
    located = [f for f in res.findings if f.code in codes]
    if not located:
        return None
    vals = np.zeros(analysis.model.n_faces)
    used = False
    for f in sorted(located, key=lambda f: codes.index(f.code)):
        faces = finding_faces(f, analysis)
        if len(faces):
            vals[faces] = 1 + codes.index(f.code)
            used = True
    if not used:
        return None
    cats = (("no finding", _GREY),) + tuple(
        (f"{c} {RULES[c].name}", _PAL[i % len(_PAL)]) for i, c in enumerate(codes))
    return Layer(res.family, f"{res.family} findings", vals, categories=cats,
                 note="regions around each finding's location")


# --------------------------------------------------------------------------- no family needed


def health_layer(model, analysis) -> Layer:
    """Faces touching open edges, non-manifold edges, degenerate faces, tiny separate bodies."""
    a = analysis
    vals = np.zeros(model.n_faces)
    per_face_edge = a.edge_face_count[a.face_edges]  # (m, 3) faces sharing each edge
    if a.n_bodies > 1:
        sizes = np.bincount(a.body_labels, weights=a.face_areas)
        vals[sizes[a.body_labels] < TINY_BODY_AREA_SHARE * sizes.max()] = 4
    vals[(per_face_edge == 1).any(axis=1)] = 1
    vals[(per_face_edge > 2).any(axis=1)] = 2
    vals[a.degenerate] = 3
    cats = (("sound", (0.80, 0.80, 0.78)), ("open edge (hole)", (0.85, 0.15, 0.15)),
            ("non-manifold edge", (0.55, 0.25, 0.70)), ("degenerate face", (0.95, 0.55, 0.05)),
            ("tiny separate body", (0.20, 0.45, 0.85)))
    note = "faces touching a defect" if (vals > 0).any() else "no mesh defects found"
    return Layer("health", "mesh health", vals, categories=cats, note=note)


def findings_severity_layer(results, analysis, numbered=None) -> Layer | None:
    """Every located finding of every family, coloured by severity (worst wins)."""
    fs = [f for _, _, f in numbered] if numbered else [f for r in results for f in r.findings]
    vals = np.zeros(analysis.model.n_faces)
    any_ = False
    for f in sorted(fs, key=lambda f: SEVERITIES.index(f.severity)):
        faces = finding_faces(f, analysis)
        if len(faces):
            vals[faces] = np.maximum(vals[faces], 1 + SEVERITIES.index(f.severity))
            any_ = True
    if not any_:
        return None
    cats = (("no finding", _GREY), ("info", (0.16, 0.43, 0.78)),
            ("warning", (0.92, 0.55, 0.0)), ("error", (0.78, 0.12, 0.16)))
    return Layer("findings", "all findings by severity", vals, categories=cats,
                 note="regions around each finding, worst severity wins")
