"""Fine lines, step 1: the surface as area-weighted points aggregated into cells split by side."""

from __future__ import annotations

import numpy as np

from .common import BIG_FACE, BIG_SAMPLES, ONE_SIDED, SALT, SIDE_AXIS_COS


# --- 1. the surface as points -------------------------------------------------------------------

def _sides(inv: np.ndarray, nsum: np.ndarray) -> np.ndarray:
    """0/1 per point (`inv`: its position cell): which side of its cell's surface it is on.
    The axis is the principal
    direction of the cell's unsigned normal tensor (sum of a n n^T), so both faces of a part
    thinner than the cell (normals +d and -d) split apart while a plate's cell stays whole,
    whatever the model's orientation (an axis-aligned split would cut a tilted plate's cells
    in three and change the neighbour density with the rotation)."""
    m = int(inv.max()) + 1
    ln = np.maximum(np.linalg.norm(nsum, axis=1), 1e-300)
    mean = np.stack([np.bincount(inv, weights=nsum[:, j], minlength=m) for j in range(3)], 1)
    total = np.bincount(inv, weights=ln, minlength=m)
    axis = _unit(mean)
    # cells whose normals do not cancel (one face of a surface) have their mean as the axis;
    # the tensor's eigenvector is needed only where they do (the two faces of a thin part)
    mixed = np.flatnonzero(np.linalg.norm(mean, axis=1) < ONE_SIDED * total)
    if len(mixed):
        sub = np.isin(inv, mixed)
        remap = np.full(m, -1, dtype=np.int64)
        remap[mixed] = np.arange(len(mixed))
        k = remap[inv[sub]]
        ns = nsum[sub]
        T = np.zeros((len(mixed), 3, 3))
        for i in range(3):  # the 3 x 3 tensor entries (a handful of passes, not a point loop)
            for j in range(i, 3):
                T[:, i, j] = T[:, j, i] = np.bincount(k, weights=ns[:, i] * ns[:, j] / ln[sub],
                                                      minlength=len(mixed))
        axis[mixed] = np.linalg.eigh(T)[1][:, :, 2]
    along = np.einsum("ij,ij->i", nsum, axis[inv]) / ln
    # points turned far from the axis (a stroke's walls, a step's riser) belong to no face of
    # a thin part: they join the cell's larger side rather than form a cell of walls alone
    major = np.bincount(inv, weights=ln * np.sign(along), minlength=m) >= 0
    side = np.where(np.abs(along) >= SIDE_AXIS_COS, along >= 0, major[inv])
    return side.astype(np.int64)


def aggregate(points, area, nsum, cell: float, rng=None):
    """Area-weighted cells of `cell` mm, split by side (`_sides`): (centroids, areas, normal sums,
    inverse map from the input points to their cell, representative). With `rng`, each cell's
    representative is one of its own points drawn with probability by area (a real surface
    point: a cell straddling a groove's edge gives the plate's height or the groove's, never a
    blend of both that no robust fit could reject); else -1."""
    key = np.floor(points / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    _, pinv = np.unique((key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2],
                        return_inverse=True)
    flat = pinv * 2 + _sides(pinv, nsum)
    used = np.zeros(2 * (int(pinv.max()) + 1), dtype=bool)
    used[flat] = True
    inv = (np.cumsum(used) - 1)[flat]  # compact cell ids, in the order of the position keys
    m = int(inv.max()) + 1
    a = np.bincount(inv, weights=area, minlength=m)
    p = np.stack([np.bincount(inv, weights=area * points[:, j], minlength=m) for j in range(3)], 1)
    ns = np.stack([np.bincount(inv, weights=nsum[:, j], minlength=m) for j in range(3)], 1)
    rep = np.full(m, -1, dtype=np.int64)
    if rng is not None:
        # weighted reservoir keys u^(1/a): the largest key per cell is an area-weighted draw
        k = np.log(np.maximum(rng.random(len(points)), 1e-300)) / np.maximum(area, 1e-300)
        order = np.lexsort((k, inv))
        last = np.concatenate([np.flatnonzero(np.diff(inv[order])), [len(order) - 1]])
        rep[inv[order[last]]] = order[last]
    a = np.maximum(a, 1e-300)
    return p / a[:, None], a, ns, inv, rep


def _unit(v: np.ndarray) -> np.ndarray:
    ln = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(ln > 0, ln, 1.0)


def _point_set(a, cell: float, out: float = 1.0):
    """(points, areas, area-weighted normals) of the vertices and of samples inside big faces,
    and the number of vertex points (they come first, one per vertex). `out` is -1 for a mesh
    wound inward as a whole: its normals are turned to face out (relief is outward)."""
    m = a.model
    areas, fn = a.face_areas, a.face_normals * out
    big = areas > BIG_FACE * cell * cell
    n_big = np.where(big, np.ceil(areas / (cell * cell)), 0).astype(np.int64)
    if n_big.sum() > BIG_SAMPLES:
        n_big = np.where(big, np.maximum(1, np.ceil(n_big * BIG_SAMPLES / n_big.sum())), 0).astype(np.int64)
    small = np.where(big, 0.0, areas)
    f = m.faces.ravel()
    nv = m.n_vertices
    va = np.bincount(f, weights=np.repeat(small / 3.0, 3), minlength=nv)
    # a vertex only on big faces still gets a tiny weight so that it has a cell (its relief)
    va = np.maximum(va, 1e-12 * cell * cell)
    vn = a.vertex_normals * (out * va)[:, None]  # area-weighted normals, shared and cached
    pts, pa, pn = [m.vertices], [va], [vn]
    if big.any():
        bf = np.repeat(np.flatnonzero(big), n_big[big])
        r = a.rng(SALT).random((len(bf), 2))
        fold = r.sum(axis=1) > 1
        r[fold] = 1.0 - r[fold]
        t = m.vertices[m.faces[bf]]  # only the big faces (a.triangles would copy them all)
        pts.append(t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0]))
        w = (areas / np.maximum(n_big, 1))[bf]
        pa.append(w)
        pn.append(fn[bf] * w[:, None])
    return np.concatenate(pts), np.concatenate(pa), np.concatenate(pn), nv
