"""Wall thickness: what every reading needs of the model (outward orientation, open faces),
the facets' chordal error and the smooth surface's offset."""

from __future__ import annotations

import math

import numpy as np

from ...stars import star_normals
from .common import CREASE_RAD
from .sampling import _open_bodies


def _edge_faces(a, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two faces of each listed unique edge (the same face twice on a boundary edge): a scatter
    of the face-edge map restricted to those edges, first and last writer, with no sort."""
    mark = np.zeros(len(a.edge_face_count), dtype=bool)
    mark[edges] = True
    flat = a.face_edges.ravel()
    sel = np.flatnonzero(mark[flat])
    e_sel, f_sel = flat[sel], sel // 3
    first = np.full(len(mark), -1, dtype=np.int64)
    last = np.full(len(mark), -1, dtype=np.int64)
    first[e_sel[::-1]] = f_sel[::-1]
    last[e_sel] = f_sel
    return first[edges], last[edges]


def face_sag(a, faces: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Unsigned chordal error (mm) of each listed face (the lines family's bound; the readings
    here use the signed `smooth_offset`): how far the smooth surface its vertices sample
    can lie from the flat facet. Two facets w wide meeting at a smooth dihedral theta sample an
    arc of radius w/theta, whose sagitta over a chord w is w^2/(8R) = w*theta/8. w is the
    facet's narrowest width, 2 * area / longest edge: a long sliver's length is a straight line
    the modeller drew (a CAD edge, a revolved profile's step), not an under-sampled curve, so a
    turn at its far end does not bend it. Creases (theta >= CREASE_RAD) are the shape's own
    edges, not under-sampling: they add 0."""
    fe = a.face_edges[faces]  # (q, 3)
    f1, f2 = _edge_faces(a, fe.ravel())
    f1, f2 = f1.reshape(fe.shape), f2.reshape(fe.shape)
    other = np.where(f1 == faces[:, None], f2, f1)
    cosd = np.einsum("qj,qkj->qk", fn[faces], fn[other])
    smooth = (cosd > math.cos(CREASE_RAD)) & (other != faces[:, None])
    ang = np.arccos(np.clip(np.where(smooth, cosd, 1.0).min(axis=1), -1.0, 1.0))
    width = 2.0 * a.face_areas[faces] / np.maximum(a.edge_lengths[fe].max(axis=1), 1e-300)
    return width * ang / 8.0


def _corner_normals(a, faces: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """(q, 3, 3) unit normal at each corner of the listed faces: the area-weighted mean of the
    (outward) normals of the faces around that vertex that turn less than CREASE_RAD from this
    face. That is the normal of the smooth surface the corner samples; faces across a crease
    belong to another surface (a cup's rim, a box's side) and are left out
    (`stars.star_normals`: in time that does not grow with the square of a vertex's degree)."""
    return star_normals(a.model.faces, fn, a.face_areas, faces, math.cos(CREASE_RAD),
                        strict=True)


def smooth_offset(a, faces: np.ndarray, points: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Signed distance (mm) from each point on its flat facet to the smooth surface the facet's
    vertices sample, along the facet's outward normal (+: the surface bulges outward there).

    A quadratic surface through the three corners departs from their plane, at barycentric
    coordinates b, by 1/2 sum_{i<j} b_i b_j (n_i - n_j).(v_i - v_j), with n the corners' unit
    normals (`_corner_normals`): (n_i - n_j).(v_i - v_j) = kappa_ij |v_i - v_j|^2 is the
    normal curvature along the edge times its length squared. On a circle of radius R drawn
    with vertices 2 alpha apart it gives R sin^2(alpha) / 2 at mid-chord, the sagitta
    R (1 - cos alpha) to within 2 % below the crease angle. Signed, it tells a wall whose
    two sides bend together (a cup's inner and outer facets: their offsets cancel, and the
    polygon's wall is the circle's to within T (1 - cos alpha)) from one whose sides both
    bulge (a rod, a blade's rounded edge: they add)."""
    if len(faces) == 0:
        return np.zeros(0)
    uf, inv = np.unique(faces, return_inverse=True)
    cn = _corner_normals(a, uf, fn)[inv]  # (m, 3, 3)
    tri = a.model.vertices[a.model.faces[faces]]  # (m, 3, 3)
    e1, e2, rel = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], points - tri[:, 0]
    d11, d12, d22 = (np.einsum("ij,ij->i", x, y) for x, y in ((e1, e1), (e1, e2), (e2, e2)))
    r1, r2 = np.einsum("ij,ij->i", rel, e1), np.einsum("ij,ij->i", rel, e2)
    den = np.maximum(d11 * d22 - d12 * d12, 1e-300)
    b1 = np.clip((d22 * r1 - d12 * r2) / den, 0.0, 1.0)
    b2 = np.clip((d11 * r2 - d12 * r1) / den, 0.0, 1.0)
    b = np.stack([np.clip(1.0 - b1 - b2, 0.0, 1.0), b1, b2], axis=1)
    out = np.zeros(len(faces))
    for i, j in ((0, 1), (1, 2), (0, 2)):  # the three edges
        kl2 = np.einsum("ij,ij->i", cn[:, i] - cn[:, j], tri[:, i] - tri[:, j])
        out += 0.5 * b[:, i] * b[:, j] * kl2
    return out


def _orientation(a) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per-face signed volume terms, outward normals and whether the mesh was read flipped:
    a closed mesh wound inward as a whole has negative volume sum(v0 . (v1-v0) x (v2-v0)) / 6."""
    face_vol = a.face_volumes
    flipped = float(face_vol.sum()) < 0
    return (-face_vol if flipped else face_vol), (-a.face_normals if flipped else a.face_normals), flipped


def _context(a):
    """What every reading needs of the model: outward volumes and normals, open faces, the
    coordinate scale of float32 rounding; and whether the mesh was read flipped. Read once per
    model (the kernel, the refinement and the support probe all ask; read-only arrays)."""
    return a.cached("thickness-context", _build_context)


def _build_context(a):
    face_vol, fn, flipped = _orientation(a)
    open_face = _open_bodies(a) if not a.watertight else np.zeros(a.model.n_faces, dtype=bool)
    # (the scenes hold the model about its centre: `Analysis.ray_shift`)
    coord = float(np.abs(a.model.bounds - a.ray_shift).max()) + a.bbox_diag_mm
    return (face_vol, fn, open_face, coord), flipped
