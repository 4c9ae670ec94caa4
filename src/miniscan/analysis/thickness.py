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
    buried: np.ndarray  # (s,) sample lies inside another body: not on the printed surface
    spacing_mm: float  # typical distance between neighbouring samples
    sample_area_mm2: float  # surface area each sample stands for
    rays: int
    flipped: bool  # the mesh was wound inward as a whole and was read flipped

    @property
    def sure(self) -> np.ndarray:
        return np.isfinite(self.thickness_mm)

    @property
    def surface(self) -> np.ndarray:
        """Samples on the printed surface (the union of the bodies): not buried in another."""
        return ~self.buried

    @property
    def unsure_share(self) -> float:
        """Share of the printed surface that has no thickness."""
        s = self.surface
        return float(1.0 - self.sure[s].mean()) if s.any() else 1.0


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


def _body_boxes(a, labels: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """(nb, 3) lower and upper corners of every body's bounding box, from its vertices."""
    f = a.model.faces
    v = a.model.vertices
    vb = np.full(a.model.n_vertices, -1, dtype=np.int64)
    vb[f.ravel()] = np.repeat(labels, 3)  # a face's vertices are all on its body
    used = np.flatnonzero(vb >= 0)
    order = used[np.argsort(vb[used], kind="stable")]
    starts = np.searchsorted(vb[order], np.arange(nb))
    lo = np.minimum.reduceat(v[order], starts, axis=0)
    hi = np.maximum.reduceat(v[order], starts, axis=0)
    return lo, hi


def _in_other_box(p: np.ndarray, own: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  container: np.ndarray, tol: float) -> np.ndarray:
    """Per point: inside the (tol-grown) box of a container body other than its own."""
    out = np.zeros(len(p), dtype=bool)
    bodies = np.flatnonzero(container)
    if len(p) == 0 or len(bodies) == 0:
        return out
    step = max(1, 2_000_000 // len(p))  # bounded (points x bodies) blocks
    for b0 in range(0, len(bodies), step):
        b = bodies[b0:b0 + step]
        inside = (np.all(p[:, None, :] >= lo[b][None] - tol, axis=2)
                  & np.all(p[:, None, :] <= hi[b][None] + tol, axis=2)
                  & (own[:, None] != b[None, :]))
        out |= inside.any(axis=1)
    return out


def _solids(a, labels: np.ndarray, nb: int, face_vol: np.ndarray, closed: np.ndarray):
    """Group bodies into solids for routing rays: a body wound inward (negative volume, a
    cavity such as the inside of a hollow shell) joins the smallest closed outward body whose
    box holds it. Returns (solid label per body, container flag per label, lo, hi boxes)."""
    vol = np.bincount(labels, weights=face_vol, minlength=nb)
    lo, hi = _body_boxes(a, labels, nb)
    owner = np.arange(nb)
    outward = (vol > 0) & closed
    cav, sol = np.flatnonzero(vol < 0), np.flatnonzero(outward)
    if len(cav) and len(sol):
        box_vol = np.prod(hi[sol] - lo[sol], axis=1)
        step = max(1, 2_000_000 // len(sol))
        for c0 in range(0, len(cav), step):
            c = cav[c0:c0 + step]
            holds = (np.all(lo[sol][None] <= lo[c][:, None], axis=2)
                     & np.all(hi[c][:, None] <= hi[sol][None], axis=2))
            pick = np.argmin(np.where(holds, box_vol[None], np.inf), axis=1)
            ok = holds[np.arange(len(c)), pick]
            owner[c[ok]] = sol[pick[ok]]
    return owner, outward, lo, hi


def _union_walk(scene, rays: np.ndarray, fn: np.ndarray, counted: np.ndarray):
    """Walk every ray through *all* its crossings to where it leaves the union of the solids.

    Winding number along the ray: crossing a face against its outward normal enters a solid
    (+1), along it leaves one (-1); overlapping bodies simply stack and an inward-wound
    cavity shell subtracts. Far along the ray the winding is 0, so the winding at the start is
    minus the sum of all crossings. Crossings of faces not `counted` (open sheets) are ignored.
    Returns (t_exit, face_exit, w0): the first crossing where the winding drops to 0 (inf / -1
    if it never does) and the winding at the start (2 or more: the start is buried inside
    another body as well as its own).
    """
    import open3d as o3d

    m = len(rays)
    t_exit = np.full(m, np.inf)
    f_exit = np.full(m, -1, dtype=np.int64)
    w0 = np.zeros(m, dtype=np.int64)
    if m == 0:
        return t_exit, f_exit, w0
    li = scene.list_intersections(o3d.core.Tensor(rays.astype(np.float32)))
    rid = li["ray_ids"].numpy().astype(np.int64)
    prim = li["primitive_ids"].numpy().astype(np.int64)
    keep = counted[prim]
    rid, prim = rid[keep], prim[keep]
    if len(rid) == 0:
        return t_exit, f_exit, w0
    t = li["t_hit"].numpy().astype(np.float64)[keep]
    o = np.lexsort((t, rid))
    rid, prim, t = rid[o], prim[o], t[o]
    step = np.where(np.einsum("ij,ij->i", fn[prim], rays[rid, 3:]) > 0, -1, 1)
    w0 = -np.bincount(rid, weights=step, minlength=m).astype(np.int64)
    csum = np.cumsum(step)
    first = np.r_[True, rid[1:] != rid[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(rid)), 0))
    wind = csum - csum[start] + step[start] + w0[rid]  # winding just after each crossing
    out = np.flatnonzero(wind <= 0)
    if len(out):
        r_out, at = np.unique(rid[out], return_index=True)
        t_exit[r_out] = t[out[at]]
        f_exit[r_out] = prim[out[at]]
    return t_exit, f_exit, w0


def thickness(analysis, count: int | None = None) -> Thickness:
    """Wall thickness at `count` seeded surface samples (default: sample_count(faces))."""
    import open3d as o3d

    a = analysis
    count = int(count or sample_count(a.model.n_faces))
    pts, fid = _sample(a, count)

    # Orientation: a closed mesh wound inward as a whole has negative signed volume,
    # sum(v0 . (v1 - v0) x (v2 - v0)) / 6 (the cross product is cached on the analysis).
    v0 = a.model.vertices[a.model.faces[:, 0]]
    face_vol = np.einsum("ij,ij->i", v0, a._cross) / 6.0
    signed_vol = float(face_vol.sum())
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

    open_face = _open_bodies(a) if not a.watertight else np.zeros(a.model.n_faces, dtype=bool)
    open_s = open_face[fid]
    buried = np.zeros(count, dtype=bool)
    nb = a.n_bodies
    if nb > 1:
        # Overlapping, un-unioned bodies: a ray must measure the union's wall, not stop where
        # it meets another body's surface. Rays that could be affected (first hit on another
        # solid, or a start or end point inside another solid's box) are walked through all
        # their crossings; samples inside another body are buried, not on the printed surface.
        labels = a.body_labels
        closed = np.ones(nb, dtype=bool)
        if open_face.any():
            closed[np.unique(labels[open_face])] = False
        owner, container, lo, hi = _solids(a, labels, nb, -face_vol if flipped else face_vol,
                                           closed)
        solid = owner[labels]  # per face
        own = solid[fid]
        tol = 2 * eps
        own_r = np.repeat(own, k)
        end = rays[:, :3] + np.where(hit, t_hit, 0.0).reshape(-1, 1) * rays[:, 3:]
        walk = (np.repeat(_in_other_box(pts, own, lo, hi, container, tol), k)
                | (hit & (solid[prim_safe] != own[:, None])).ravel()
                | _in_other_box(end, own_r, lo, hi, container, tol))
        w = np.flatnonzero(walk)
        if len(w):
            t_w, f_w, w0 = _union_walk(a.raycasting_scene, rays[w], fn, closed[labels])
            t_flat, p_flat = t_hit.ravel().copy(), prim.ravel().copy()
            t_flat[w], p_flat[w] = t_w, np.maximum(f_w, 0)
            t_hit, prim = t_flat.reshape(-1, k), p_flat.reshape(-1, k)
            hit = np.isfinite(t_hit)
            prim_safe = np.where(hit, prim, 0)
            inside = np.zeros(len(rays), dtype=bool)
            inside[w] = w0 >= 2
            buried = inside.reshape(-1, k).sum(axis=1) * 2 > k  # most rays start inside another

    # leaving the solid: the hit face's outward normal agrees with the ray
    exiting = np.einsum("skj,skj->sk", fn[prim_safe], dirs) > 0
    valid = hit & exiting & (prim_safe != fid[:, None])
    proj = np.where(valid, (t_hit + eps) * cos[None, :], np.nan)
    nvalid = valid.sum(axis=1)

    sure = (nvalid >= MIN_VALID) & good & ~open_s & ~buried
    th = np.full(count, np.nan)
    if sure.any():
        th[sure] = np.nanmedian(proj[sure], axis=1)

    area_per = a.total_area / count
    return Thickness(points=pts, faces=fid, thickness_mm=th, valid_rays=nvalid, open_body=open_s,
                     buried=buried, spacing_mm=math.sqrt(area_per), sample_area_mm2=area_per,
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
