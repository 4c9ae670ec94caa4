"""The surface resampled to the length the viewing conditions resolve.

Nothing the eye, the printer or the paint resolves is finer than a known length L, so a family
that judges what is *seen* can work on a mesh whose vertices are about L apart instead of on a
20M-face sculpt. This module builds that mesh by vertex clustering on a grid of cell L
(Rossignac-Borrel, with each cell's vertex placed where it best fits the planes of the faces
around it, as in Lindstrom's out-of-core simplification), which is linear in the face count,
and keeps a face map: for every original face, the resampled face that stands for it, so that a
value measured on the coarse mesh can be painted back on the fine one.

Steps: cells (`_cluster`), cell vertices (`_place`), surviving faces (`_coarse_faces`, less the
ones the clustering turned over, `_drop_folds`), face map (`_face_map`). `Analysis.resampled(L)` caches the result per L; `viewing_length_mm` gives the
L a family should ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# A mesh whose median edge is already at least L has nothing finer than L to remove: clustering
# it would only shuffle vertices, so it is returned as it is (ratio of median edge to L).
COARSE_ENOUGH = 1.0
# Nyquist: a detail of size r is seen only if the surface is sampled at r/2 or finer.
DEFAULT_FRACTION_OF_R = 0.5
# Pull of each cell's vertex towards the mean of its points, relative to the cell's total face
# weight: small enough that on a flat or curved patch the fitted planes decide, big enough that
# the 3x3 system stays solvable where all the planes agree (a flat cell: rank 1).
PLACE_REGULARISATION = 1e-3
# A fitted vertex farther than this many cells from its points' mean (a near-singular fit of
# nearly parallel planes) is replaced by the mean.
PLACE_MAX_CELLS = 1.0
# Faces handled per block when choosing a collapsed face's stand-in (bounds the temporaries).
MAP_CHUNK = 1 << 20


def viewing_length_mm(conditions, fraction_of_r: float = DEFAULT_FRACTION_OF_R) -> float:
    """The resample length for these conditions: a fraction of the resolvable size, never
    finer than the printer's pixel (nothing finer survives the print anyway)."""
    return max(fraction_of_r * conditions.resolvable_mm, conditions.printer.xy_mm)


@dataclass(frozen=True, eq=False)
class Resampled:
    """A mesh about `length_mm` apart, and the face of it that stands for each original face.

    face_map[i] is the resampled face for original face i, or -1 when face i belonged to a
    piece smaller than one cell that vanished. `identity` is True when the original mesh was
    already as coarse as L and is returned unchanged (then `analysis` is the original's own).
    """

    vertices: np.ndarray  # (k, 3) float64, mm
    faces: np.ndarray  # (j, 3) int64
    face_map: np.ndarray  # (m,) int64 into faces, -1 = vanished
    length_mm: float
    identity: bool
    source: object = None  # the Analysis it came from

    def __post_init__(self):
        for a in (self.vertices, self.faces, self.face_map):
            a.setflags(write=False)

    @property
    def n_faces(self) -> int:
        return int(len(self.faces))

    @cached_property
    def analysis(self):
        """An Analysis over the resampled mesh, so families run the same kernels on it."""
        if self.identity and self.source is not None:
            return self.source
        from ..model import Model
        from . import Analysis

        m = self.source.model if self.source is not None else None
        model = Model(m.path if m else "<resampled>", m.format if m else "memory",
                      self.vertices, self.faces, m.units if m else "mm",
                      m.units_guessed if m else False, m.unit_scale if m else 1.0)
        return Analysis(model)

    def to_original(self, values: np.ndarray, fill=np.nan) -> np.ndarray:
        """Per-resampled-face values painted back on the original faces (`fill` where none)."""
        values = np.asarray(values)
        out = np.full((len(self.face_map),) + values.shape[1:], fill, dtype=np.result_type(values, type(fill)))
        ok = self.face_map >= 0
        out[ok] = values[self.face_map[ok]]
        return out


def resample(analysis, length_mm: float) -> Resampled:
    """The model's surface clustered on a grid of cell `length_mm` (see module docstring)."""
    if not np.isfinite(length_mm) or length_mm <= 0:
        raise ValueError(f"resample length must be a positive number of mm, not {length_mm!r}")
    model = analysis.model
    m = model.n_faces
    if m == 0 or np.median(analysis.edge_lengths) >= COARSE_ENOUGH * length_mm:
        return Resampled(model.vertices, model.faces, np.arange(m, dtype=np.int64),
                         float(length_mm), True, analysis)
    cluster, n_cells = _cluster(model.vertices, length_mm)
    centres = _place(analysis, cluster, n_cells, length_mm)
    corners = cluster[model.faces]
    faces, kept_map, kept = _coarse_faces(corners)
    faces, kept_map, kept = _drop_folds(faces, kept_map, kept, centres, analysis)
    used, faces = np.unique(faces, return_inverse=True)  # drop cells no face uses
    faces = faces.reshape(-1, 3).astype(np.int64)
    vertices = np.ascontiguousarray(centres[used])
    face_map = _face_map(corners, kept, kept_map, faces, vertices, used, n_cells,
                         analysis.face_normals)
    return Resampled(vertices, faces, face_map, float(length_mm), False, analysis)


def _cluster(vertices: np.ndarray, length_mm: float) -> tuple[np.ndarray, int]:
    """Cell id (0..n_cells-1, in grid order) of every vertex on a grid of cell `length_mm`
    anchored at the bounding box's low corner."""
    cell = np.floor((vertices - vertices.min(axis=0)) / length_mm).astype(np.int64)
    dims = cell.max(axis=0) + 1
    if float(dims[0]) * float(dims[1]) * float(dims[2]) < 2.0 ** 62:
        from . import unique_inverse

        keys = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
        _, cluster, _ = unique_inverse(keys)
    else:  # a grid too large for one int64 key: unique rows (slower, same order)
        _, cluster = np.unique(cell, axis=0, return_inverse=True)
    cluster = cluster.reshape(-1)
    return cluster, int(cluster.max()) + 1 if len(cluster) else 0


def _place(analysis, cluster: np.ndarray, n_cells: int, length_mm: float) -> np.ndarray:
    """Each cell's vertex: the point that best fits the planes of the faces touching the cell
    (area-weighted least squares), pulled slightly towards the cell's mean point."""
    v = analysis.model.vertices
    count = np.bincount(cluster, minlength=n_cells).astype(np.float64)
    mean = np.stack([np.bincount(cluster, weights=v[:, j], minlength=n_cells)
                     for j in range(3)], axis=1) / count[:, None]
    n, w = analysis.face_normals, analysis.face_areas
    d = np.einsum("ij,ij->i", n, v[analysis.model.faces[:, 0]])  # plane: n.x = d
    corner = cluster[analysis.model.faces].ravel()
    # the 6 distinct entries of sum(w n n^T) and the 3 of sum(w d n), per cell
    pairs = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
    a6 = [np.bincount(corner, weights=np.repeat(w * n[:, i] * n[:, j], 3), minlength=n_cells)
          for i, j in pairs]
    b = np.stack([np.bincount(corner, weights=np.repeat(w * d * n[:, i], 3), minlength=n_cells)
                  for i in range(3)], axis=1)
    wsum = np.bincount(corner, weights=np.repeat(w, 3), minlength=n_cells)
    a = np.empty((n_cells, 3, 3))
    for k, (i, j) in enumerate(pairs):
        a[:, i, j] = a[:, j, i] = a6[k]
    lam = PLACE_REGULARISATION * np.maximum(wsum, 1e-300)
    a[:, [0, 1, 2], [0, 1, 2]] += lam[:, None]
    x = np.linalg.solve(a, (b + lam[:, None] * mean)[:, :, None])[:, :, 0]
    far = ~np.isfinite(x).all(axis=1) | (np.linalg.norm(x - mean, axis=1)
                                         > PLACE_MAX_CELLS * length_mm)
    x[far] = mean[far]
    return x


def _coarse_faces(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces whose three corners fell in three different cells, one per distinct oriented
    triple: (triples (j, 3), coarse face of each surviving original face, surviving ids)."""
    kept = np.flatnonzero((corners[:, 0] != corners[:, 1]) & (corners[:, 1] != corners[:, 2])
                          & (corners[:, 0] != corners[:, 2]))
    c = corners[kept]
    # rotate each triple so its smallest cell comes first (same orientation, one spelling)
    shift = np.argmin(c, axis=1)
    rows = np.arange(len(c))[:, None]
    c = c[rows, (shift[:, None] + np.arange(3)) % 3]
    order = np.lexsort((c[:, 2], c[:, 1], c[:, 0]))
    cs = c[order]
    new = np.ones(len(cs), bool)
    new[1:] = np.any(cs[1:] != cs[:-1], axis=1)
    ids = np.cumsum(new) - 1
    kept_map = np.empty(len(c), np.int64)
    kept_map[order] = ids
    return cs[new], kept_map, kept


def _drop_folds(faces, kept_map, kept, centres, analysis):
    """Drop resampled faces turned over by the clustering (a cell vertex moved across a
    neighbour's edge): those facing away from the original faces that formed them."""
    t = centres[faces]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    w = analysis.face_areas[kept]
    src = analysis.face_normals[kept]
    support = np.stack([np.bincount(kept_map, weights=w * src[:, j], minlength=len(faces))
                        for j in range(3)], axis=1)
    good = np.einsum("ij,ij->i", n, support) > 0
    if good.all():
        return faces, kept_map, kept
    new_id = np.cumsum(good) - 1
    stay = good[kept_map]
    return faces[good], new_id[kept_map[stay]], kept[stay]


def _face_map(corners, kept, kept_map, faces, vertices, used, n_cells, normals) -> np.ndarray:
    """Resampled face of every original face: its own for a surviving face; for a collapsed
    one, the face around one of its corners' cells whose normal is closest to its own."""
    m = len(corners)
    out = np.full(m, -1, np.int64)
    out[kept] = kept_map
    lost = np.ones(m, bool)
    lost[kept] = False
    lost = np.flatnonzero(lost)
    if len(lost) == 0 or len(faces) == 0:
        return out
    # float32 is plenty to rank a handful of candidate normals, and halves the gathers
    fn = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]],
                  vertices[faces[:, 2]] - vertices[faces[:, 0]])
    fn = (fn / np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-300)).astype(np.float32)
    # ring of every cell: the resampled faces that use it, by increasing face id (CSR);
    # int32 ids halve the traffic of the gathers below (a resampled mesh is far under 2^31)
    cell_of = used[faces.ravel()]
    by_cell = np.argsort(cell_of, kind="stable")
    ring_face = (by_cell // 3).astype(np.int32)
    start = np.searchsorted(cell_of[by_cell], np.arange(n_cells + 1))
    for lo in range(0, len(lost), MAP_CHUNK):  # blocks bound the expanded candidate arrays
        ids = lost[lo:lo + MAP_CHUNK]
        first_c, end_c = start[corners[ids]], start[corners[ids] + 1]
        # the first corner whose cell still has faces around it
        pick = np.argmax(end_c > first_c, axis=1)
        rows = np.arange(len(ids))
        s0, size = first_c[rows, pick], end_c[rows, pick] - first_c[rows, pick]
        has = size > 0
        ids, s0, size = ids[has], s0[has], size[has]
        seg = np.cumsum(size) - size  # where each face's candidates start
        owner = np.repeat(np.arange(len(ids), dtype=np.int32), size)
        cand = ring_face[(s0 - seg)[owner] + np.arange(len(owner))]
        score = np.einsum("ij,ij->i", normals[ids].astype(np.float32)[owner], fn[cand])
        # best per face: the highest score, ties to the first (lowest id) candidate
        best = np.flatnonzero(score >= np.maximum.reduceat(score, seg)[owner])
        first = np.r_[True, owner[best][1:] != owner[best][:-1]]
        out[ids] = cand[best[first]]
    return out
