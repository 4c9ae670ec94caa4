"""Local wall thickness by ray casting inward along the normal (a narrow-cone shape diameter).

For each of a fixed, seeded set of area-weighted surface samples we cast a small cone of rays
into the solid (the axial ray plus a ring at CONE_HALF_ANGLE around it) with open3d's
RaycastingScene (C++ BVH, all rays in one call). A ray that leaves the solid through a face
whose outward normal agrees with the ray direction measured the wall; its length projected on
the axis, `t * cos(theta)`, is the thickness of a locally parallel wall exactly, whatever theta.
The sample's thickness is the median over its valid rays.

A ray is *invalid* when it escapes (no hit: a hole, or the mesh is an open sheet) or when it
meets a face from outside (inconsistent winding, interpenetrating parts). A sample with fewer
than MIN_VALID valid rays, or that lies on a body that is an open sheet (long boundary for its
area), is *unsure*: it carries no thickness and the check says how much of the surface is
unsure instead of reporting nonsense.

Everything here is in model millimetres and independent of the viewing conditions, so it is
computed once per model (`analysis.cached("thickness", thickness)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONE_HALF_ANGLE_DEG = 12.0
CONE_RING = 4  # rays on the ring; plus the axial ray
MIN_VALID = 3  # of 1 + CONE_RING rays: a majority
MIN_SAMPLES, MAX_SAMPLES = 20_000, 80_000
OPEN_BODY_RATIO = 0.05  # boundary length / sqrt(body area) above this: an open sheet
SALT = 502


@dataclass(frozen=True)
class Thickness:
    """Per-sample wall thickness (mm, NaN where unsure) and what it rests on."""

    points: np.ndarray  # (s, 3) sample positions, mm
    faces: np.ndarray  # (s,) face id of every sample
    thickness_mm: np.ndarray  # (s,) NaN where unsure
    valid_rays: np.ndarray  # (s,) number of valid rays of the cone
    open_body: np.ndarray  # (s,) sample lies on a body that is an open sheet
    spacing_mm: float  # typical distance between neighbouring samples
    sample_area_mm2: float  # surface area each sample stands for
    rays: int
    flipped: bool  # the mesh was wound inward as a whole and was read flipped

    @property
    def sure(self) -> np.ndarray:
        return np.isfinite(self.thickness_mm)

    @property
    def unsure_share(self) -> float:
        return float(1.0 - self.sure.mean()) if len(self.sure) else 1.0


def sample_count(n_faces: int) -> int:
    """Samples scale with the face count (resolution-independent density per face), clipped."""
    return int(min(MAX_SAMPLES, max(MIN_SAMPLES, n_faces // 4)))


def _cone(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, k, 3) unit ray directions around each axis and (k,) cos(theta) of each."""
    s = len(axis)
    # any vector not parallel to the axis, then Gram-Schmidt
    helper = np.where(np.abs(axis[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = np.cross(axis, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    t2 = np.cross(axis, t1)
    th = math.radians(CONE_HALF_ANGLE_DEG)
    phi = np.arange(CONE_RING) * (2 * math.pi / CONE_RING)
    ring = (math.cos(th) * axis[:, None, :]
            + math.sin(th) * (np.cos(phi)[None, :, None] * t1[:, None, :]
                              + np.sin(phi)[None, :, None] * t2[:, None, :]))
    dirs = np.concatenate([axis[:, None, :], ring], axis=1)
    cos = np.concatenate([[1.0], np.full(CONE_RING, math.cos(th))])
    assert dirs.shape == (s, 1 + CONE_RING, 3)
    return dirs, cos


def _open_bodies(analysis) -> np.ndarray:
    """Per-face flag: the face belongs to a body whose boundary is long for its area."""
    mesh = analysis.mesh
    n = analysis.model.n_faces
    # edges used by exactly one face, via trimesh's hashed grouping (fast on millions)
    from trimesh import grouping

    single = grouping.group_rows(mesh.edges_sorted, require_count=1)
    if len(single) == 0:
        return np.zeros(n, dtype=bool)
    labels = analysis.body_labels
    v = analysis.model.vertices
    e = mesh.edges_sorted[single]
    length = np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)
    body_of_edge = labels[mesh.edges_face[single]]
    nb = int(labels.max()) + 1
    blen = np.bincount(body_of_edge, weights=length, minlength=nb)
    barea = np.bincount(labels, weights=analysis.face_areas, minlength=nb)
    open_b = blen > OPEN_BODY_RATIO * np.sqrt(np.maximum(barea, 1e-300))
    return open_b[labels]


def _sample(a, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted seeded samples (as Analysis.sample_surface, without building the
    (faces, 3, 3) triangle array: that copy alone costs ~1 s on a 1.6M-face mesh)."""
    rng = a.rng(SALT)
    cdf = np.cumsum(a.face_areas)
    fid = np.searchsorted(cdf, rng.random(count) * cdf[-1], side="right")
    fid = np.minimum(fid, len(cdf) - 1)
    r = rng.random((count, 2))
    flip = r.sum(axis=1) > 1
    r[flip] = 1 - r[flip]
    v, f = a.model.vertices, a.model.faces[fid]
    p0 = v[f[:, 0]]
    pts = p0 + r[:, :1] * (v[f[:, 1]] - p0) + r[:, 1:] * (v[f[:, 2]] - p0)
    return pts, fid


def thickness(analysis, count: int | None = None) -> Thickness:
    """Wall thickness at `count` seeded surface samples (default: sample_count(faces))."""
    import open3d as o3d

    a = analysis
    count = int(count or sample_count(a.model.n_faces))
    pts, fid = _sample(a, count)

    # Orientation: a closed mesh wound inward as a whole has negative signed volume,
    # sum(v0 . (v1 - v0) x (v2 - v0)) / 6 (the cross product is cached on the analysis).
    v0 = a.model.vertices[a.model.faces[:, 0]]
    signed_vol = float(np.einsum("ij,ij->", v0, a._cross)) / 6.0
    flipped = signed_vol < 0
    fn = -a.face_normals if flipped else a.face_normals
    n = fn[fid]
    good = np.linalg.norm(n, axis=1) > 0.5  # degenerate faces have zero normals
    n = np.where(good[:, None], n, [[0.0, 0.0, 1.0]])

    dirs, cos = _cone(-n)  # into the solid
    k = dirs.shape[1]
    eps = 1e-5 * max(a.bbox_diag_mm, 1e-12)
    origins = pts[:, None, :] - eps * n[:, None, :]
    rays = np.concatenate([np.broadcast_to(origins, dirs.shape), dirs], axis=2).reshape(-1, 6)
    ans = a.raycasting_scene.cast_rays(o3d.core.Tensor(rays.astype(np.float32)))
    t_hit = ans["t_hit"].numpy().astype(np.float64).reshape(-1, k)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(-1, k)

    hit = np.isfinite(t_hit)
    prim_safe = np.where(hit, prim, 0)
    # leaving the solid: the hit face's outward normal agrees with the ray
    exiting = np.einsum("skj,skj->sk", fn[prim_safe], dirs) > 0
    valid = hit & exiting & (prim_safe != fid[:, None])
    proj = np.where(valid, (t_hit + eps) * cos[None, :], np.nan)
    nvalid = valid.sum(axis=1)

    open_face = _open_bodies(a) if not a.watertight else np.zeros(a.model.n_faces, dtype=bool)
    open_s = open_face[fid]
    sure = (nvalid >= MIN_VALID) & good & ~open_s
    th = np.full(count, np.nan)
    if sure.any():
        th[sure] = np.nanmedian(proj[sure], axis=1)

    area_per = a.total_area / count
    return Thickness(points=pts, faces=fid, thickness_mm=th, valid_rays=nvalid, open_body=open_s,
                     spacing_mm=math.sqrt(area_per), sample_area_mm2=area_per,
                     rays=int(rays.shape[0]), flipped=flipped)


def regions(points: np.ndarray, mask: np.ndarray, link_mm: float) -> np.ndarray:
    """Connected groups of masked samples (neighbours closer than link_mm): label per sample,
    -1 where not masked. Labels are ordered by first appearance, so they are deterministic."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    idx = np.flatnonzero(mask)
    out = np.full(len(points), -1, dtype=np.int64)
    if len(idx) == 0:
        return out
    pairs = cKDTree(points[idx]).query_pairs(link_mm, output_type="ndarray")
    m = len(idx)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, lab = connected_components(g, directed=False)
    # renumber by first appearance
    _, first = np.unique(lab, return_index=True)
    order = np.argsort(np.argsort(first))
    out[idx] = order[lab]
    return out
