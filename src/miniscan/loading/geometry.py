"""Geometry after parsing: units, the bounds of a physical model, merged seams, areas.

Pure numpy on arrays; every rejection is a LoadError in words.
"""

from __future__ import annotations

import math

import numpy as np

from ..model import Model
from .errors import LoadError

UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
_DECLARED = {"millimeter": "mm", "millimeters": "mm", "mm": "mm", "centimeter": "cm",
             "centimeters": "cm", "cm": "cm", "meter": "m", "meters": "m", "m": "m",
             "metre": "m", "metres": "m", "inch": "in", "inches": "in", "in": "in"}

# No physical model miniscan judges reaches a kilometre from its origin (mm). Beyond it the
# squared distances and float32 kernels of the checks overflow or lose every digit (a
# float32-max coordinate broke texture and edges), so such coordinates mean a wrong unit or
# a corrupt file.
MAX_COORD_MM = 1e6
# A point cloud less than a micrometre across (mm) is below anything a scanner resolves: a
# unit error or garbage, not a model.
MIN_CLOUD_SPAN_MM = 1e-3


def check_bounds(name: str, vertices: np.ndarray, what: str = "vertex") -> None:
    """Finite coordinates within +-MAX_COORD_MM (after units)."""
    if not np.isfinite(vertices).all():
        raise LoadError(name, f"{what} coordinates are not finite (NaN or infinity)")
    reach = float(np.abs(vertices).max()) if len(vertices) else 0.0
    if reach > MAX_COORD_MM:
        raise LoadError(name, f"{what} coordinates reach {reach:.3g} mm from the origin, beyond "
                              f"the +-{MAX_COORD_MM:.0e} mm (1 km) of any physical model: wrong "
                              "--units, or a corrupt file")


def check_cloud_span(name: str, points_mm: np.ndarray) -> None:
    span = float(np.ptp(points_mm, axis=0).max())
    if span < MIN_CLOUD_SPAN_MM:
        raise LoadError(name, f"the point cloud is {span:.3g} mm across, under a micrometre: no "
                              "physical model is that small (wrong --units?)")


def declared_units(scene) -> str | None:
    u = getattr(scene, "units", None)
    return _DECLARED.get(str(u).lower()) if u else None


def merge(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join vertices at identical positions (OBJ/GLB split them along UV and normal seams)."""
    # Quantise on a grid of 1e-9 of the model's span (seams are bit-identical in practice,
    # and CAD exports keep distinct vertices tens of nm apart), hash each row to one int64
    # and unique that: a 1-D sort is ~10x faster than np.unique over rows.
    span = float(np.ptp(vertices, axis=0).max()) or 1.0
    q = np.round(vertices / (span * 1e-9)).astype(np.int64)
    keys = _row_hash(q)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(q[first[inverse]], q):  # a hash collision: fall back to exact rows
        _, first, inverse = np.unique(q, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    order = np.argsort(first)  # keep the file's vertex order: deterministic and familiar
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    new_vertices = vertices[first[order]]
    new_faces = remap[inverse][faces]
    return np.ascontiguousarray(new_vertices), np.ascontiguousarray(new_faces)


def merged_colours(rgb: np.ndarray | None, faces: np.ndarray, merged_faces: np.ndarray,
                   n_merged: int) -> np.ndarray | None:
    """Per-vertex colours carried through `merge`: the faces keep their order, so each merged
    vertex takes the mean colour of the face corners that land on it (a seam whose two sides
    carry different colours gets their mean). NaN where no corner brings a colour."""
    if rgb is None:
        return None
    corner = rgb[faces.ravel()].astype(np.float64)
    ok = np.isfinite(corner).all(axis=1)
    idx = merged_faces.ravel()[ok]
    n = np.bincount(idx, minlength=n_merged).astype(np.float64)
    out = np.stack([np.bincount(idx, weights=corner[ok, j], minlength=n_merged)
                    for j in range(3)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out /= n[:, None]
    return np.ascontiguousarray(np.clip(out, 0.0, 1.0).astype(np.float32))


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _row_hash(q: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of three int64 (collisions are checked by the caller)."""
    u = q.astype(np.uint64)
    with np.errstate(over="ignore"):
        h = _mix64(u[:, 0] + np.uint64(0x9E3779B97F4A7C15))
        h = _mix64(h ^ u[:, 1])
        h = _mix64(h ^ u[:, 2])
    return h


def check_area(name: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    if not np.isfinite(area).all():
        raise LoadError(name, "coordinates too large to compute face areas")
    if area.sum() <= 0:
        raise LoadError(name, "every face has zero area: nothing to see")


# The typical subject at life size (mm): a standing human. The units guess takes a 1:N model of
# it as the plausible size of a file, and MS907 calls a file in metres life-sized when it is
# nearer this than that model.
LIFE_SIZE_MM = 1800.0
# The smallest real thing a model plausibly depicts, in mm (a ring, a die, a chess pawn's
# collar): at 1:N its model is this / N. The low end of the plausible band was the typical
# subject / 20, which at 1:1 is 90 mm and read every part smaller than a cup as inches.
SMALLEST_REAL_MM = 20.0
# No printed model is under this many mm, while scans 0.3-3 m across are common: smaller
# sizes are read as metres whatever the scale.
SMALLEST_MODEL_MM = 3.0


def guess_units(extents: np.ndarray, scale_n: float = 56.0) -> tuple[str, str]:
    """Guess file units from the bounding box: returns (units, why).

    A subject at scale 1:N is typically a human (1.8 m) or a thing between a cup and a
    house; millimetres are kept when the model's size is plausible for that, otherwise
    round inch sizes mean inches and small sizes mean metres (scans and glTF). Centimetres are
    never guessed: every size they would fit is also a plausible size in metres; the note
    names the centimetre reading where it would give a plausible miniature.
    """
    size = float(np.max(extents))
    typical_mm = LIFE_SIZE_MM / scale_n
    lo, hi = max(SMALLEST_MODEL_MM, SMALLEST_REAL_MM / scale_n), max(600.0, typical_mm * 20)
    if lo <= size <= hi:
        return "mm", f"{size:.3g} units is a plausible size in mm at 1:{scale_n:g}"
    eighths = extents[extents > 0] * 8.0
    round_in = len(eighths) and np.mean(np.abs(eighths - np.round(eighths)) < 0.02) >= 0.6
    if round_in and lo <= size * 25.4 <= hi:
        return "in", f"{size:.3g} units with round inch fractions reads as inches"
    if size < lo and lo <= size * 1000 <= 1000 * hi:
        # a life-size scan in metres and a miniature in centimetres can have the same numbers
        # (1.6 units: a 1.6 m statue or a 16 mm figure); metres are the common export unit
        # (scanners, Blender, glTF), so they win, and the note names the other reading
        # named only where centimetres give a size nearer the typical one (in octaves) than
        # metres do: 1.6 units (16 mm vs 1.6 m) yes, a 0.3 m boot scan (3 mm vs 300 mm) no
        cm_nearer = abs(math.log(size * 10 / typical_mm)) < \
            abs(math.log(size * 1000 / typical_mm))
        alt = (f"; if it is a {size * 10:.3g} mm model drawn in centimetres, pass --units cm"
               if cm_nearer and lo <= size * 10 <= hi else "")
        return "m", (f"{size:.3g} units is too small for mm; read as metres (a scan or "
                     f"glTF){alt}")
    return "mm", f"{size:.3g} units kept as mm (no unit fits better)"


def units_of(name, vertices, units, declared, scale_n, ext):
    if units is not None:
        return units, False, ()
    if declared is not None:
        return declared, False, ()
    ext_ = np.ptp(vertices, axis=0) if len(vertices) else np.zeros(3)
    unit, why = guess_units(ext_, scale_n)
    return unit, True, (("MS903", f"units not declared; guessed {unit}: {why}. "
                                  f"Pass --units to be sure."),)


def y_up_to_z_up(model: Model) -> Model:
    """Rotate +90 degrees about X: (x, y, z) -> (x, -z, y). A Y-up file's front (+Z) then
    faces -Y, miniscan's default front."""
    v = model.vertices
    rotated = np.ascontiguousarray(np.column_stack([v[:, 0], -v[:, 2], v[:, 1]]))
    return Model(model.path, model.format, rotated, model.faces.copy(), model.units,
                 model.units_guessed, model.unit_scale, model.part_names, model.part_starts,
                 model.source, model.load_notes, model.origin_offset_mm,
                 {**model.metadata, "up": "y"}, model.vertex_rgb)


def fan_triangles(idx: np.ndarray, per_face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons of k vertices -> k-2 triangles (first, j, j+1); the face line of each."""
    n_tri = per_face - 2
    line = np.repeat(np.arange(len(per_face)), n_tri)
    first = (np.cumsum(per_face) - per_face)[line]
    j = np.arange(len(line)) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri) + 1
    return np.column_stack([idx[first], idx[first + j], idx[first + j + 1]]), line
