"""Wall thickness: overlapping, un-unioned bodies (the union walk, buried points)."""

from __future__ import annotations

import math

import numpy as np

from .common import TOUCH_MM, _basis
from .surface import _context


# --- overlapping bodies -------------------------------------------------------------------------

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
    for _, inside in _other_boxes(p, own, lo, hi, container, tol):
        out |= inside.any(axis=1)
    return out


def _other_boxes(p: np.ndarray, own: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 container: np.ndarray, tol: float):
    """Blocks (container bodies b, (points, len(b)) mask): each point inside the (tol-grown)
    box of each body of the block other than its own."""
    bodies = np.flatnonzero(container)
    if len(p) == 0 or len(bodies) == 0:
        return
    q = p.astype(np.float32)  # a box test needs no more; halves the temporaries
    lo32, hi32 = (lo - tol).astype(np.float32), (hi + tol).astype(np.float32)
    step = max(1, 4_000_000 // len(p))  # bounded (points x bodies) blocks
    for b0 in range(0, len(bodies), step):  # blocks of bodies, not points
        b = bodies[b0:b0 + step]
        inside = own[:, None] != b[None, :]
        for ax in range(3):  # one axis at a time, in place: no (points, bodies, 3) arrays
            inside &= q[:, None, ax] >= lo32[None, b, ax]
            inside &= q[:, None, ax] <= hi32[None, b, ax]
        yield b, inside


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


def _by_ray_then_distance(rid: np.ndarray, t32: np.ndarray) -> np.ndarray:
    """The order np.lexsort((t, rid)) gives (stable), from one sort of a 64-bit key: the ray id
    above the float32 distance's bits. A non-negative IEEE float's bits, read as an unsigned
    integer, order as its value does (+0.0 added turns a -0.0 into +0.0), so the key orders
    exactly as the pair; ties keep their order under the stable sort, as lexsort's do. The
    pair sort of a million crossings costs ~1.4 s, this one ~0.05 s (docs/scale.md, Speed)."""
    t32 = np.ascontiguousarray(t32, dtype=np.float32) + np.float32(0.0)
    if len(t32) and (not np.isfinite(t32).all() or t32.min() < 0):  # not a ray-cast distance
        return np.lexsort((t32, rid))
    key = (rid.astype(np.uint64) << np.uint64(32)) | t32.view(np.uint32).astype(np.uint64)
    return np.argsort(key, kind="stable")


def _union_walk(a, rays: np.ndarray, fn: np.ndarray, counted: np.ndarray):
    """Walk every ray through *all* its crossings to where it leaves the union of the solids.

    Winding number along the ray: crossing a face against its outward normal enters a solid
    (+1), along it leaves one (-1); overlapping bodies simply stack and an inward-wound
    cavity shell subtracts. Far along the ray the winding is 0, so the winding at the start is
    minus the sum of all crossings. Crossings of faces not `counted` (open sheets) are ignored.
    Returns (t_exit, face_exit, w0): the first crossing where the winding drops to 0 (inf / -1
    if it never does) and the winding at the start (2 or more: the start is buried inside
    another body as well as its own).
    """
    m = len(rays)
    t_exit = np.full(m, np.inf)
    f_exit = np.full(m, -1, dtype=np.int64)
    w0 = np.zeros(m, dtype=np.int64)
    if m == 0:
        return t_exit, f_exit, w0
    li = a.raycasting_scene.list_intersections(a.ray_tensor(rays))
    rid = li["ray_ids"].numpy().astype(np.int64)
    prim = li["primitive_ids"].numpy().astype(np.int64)
    keep = counted[prim]
    rid, prim = rid[keep], prim[keep]
    if len(rid) == 0:
        return t_exit, f_exit, w0
    t32 = li["t_hit"].numpy()[keep]
    t = t32.astype(np.float64)
    o = _by_ray_then_distance(rid, t32)
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


def _overlaps(a, rays, fid, t_hit, prim, hit, fn, face_vol, open_face, eps):
    """Re-route the rays that overlapping bodies can affect (first hit on another solid, or a
    start or end point inside another solid's box) through `_union_walk`. Returns the new
    (t_hit, prim) and the per-sample `buried` flag (most rays start inside another body)."""
    s, k = t_hit.shape
    labels = a.body_labels
    closed, (solid, container, lo, hi) = _solid_faces(a, face_vol, open_face)
    own = solid[fid]
    w = _to_walk(rays, k, own, t_hit.ravel(), prim.ravel(), hit.ravel(), solid,
                 (container, lo, hi), eps)
    # a face resting on another solid is off the print whether or not its rays meet that
    # solid (a plate 2 microns over a block: its bottom's rays run up through the plate alone)
    buried = _touching(a, rays[::k], own, lo, hi, container, fn, closed[labels], eps)
    if len(w) == 0:
        return t_hit, prim, buried
    t_w, f_w, w0 = _union_walk(a, rays[w], fn, closed[labels])
    t_flat, p_flat = t_hit.ravel().copy(), prim.ravel().copy()
    t_flat[w], p_flat[w] = t_w, np.maximum(f_w, 0)
    inside = np.zeros(len(rays), dtype=bool)
    inside[w] = w0 >= 2
    buried |= inside.reshape(-1, k).sum(axis=1) * 2 > k
    return t_flat.reshape(s, k), p_flat.reshape(s, k), buried


def _solid_faces(a, face_vol: np.ndarray, open_face: np.ndarray):
    """(closed per body, (solid per face, container per solid, lo, hi boxes)) for routing
    rays through overlapping bodies (`_solids`), read once per model: face_vol and open_face
    are the model's own (`surface._context`), whoever asks (the readings, the support probe)."""
    return a.cached("thickness-solids", lambda _: _build_solid_faces(a, face_vol, open_face))


def _build_solid_faces(a, face_vol: np.ndarray, open_face: np.ndarray):
    nb = a.n_bodies
    labels = a.body_labels
    closed = np.ones(nb, dtype=bool)
    if open_face.any():
        closed[np.unique(labels[open_face])] = False
    owner, container, lo, hi = _solids(a, labels, nb, face_vol, closed)
    return closed, (owner[labels], container, lo, hi)


def _to_walk(rays, k, own, t_hit, prim, hit, solid, boxes, eps) -> np.ndarray:
    """Which rays (k a start, `own` its solid per start) overlapping bodies can affect: a start
    or end point inside another solid's box, or a first hit on another solid's face."""
    container, lo, hi = boxes
    prim_safe = np.where(hit, prim, 0)
    end = rays[:, :3] + np.where(hit, t_hit, 0.0).reshape(-1, 1) * rays[:, 3:]
    walk = (np.repeat(_in_other_box(rays[::k, :3], own, lo, hi, container, 2 * eps), k)
            | (hit & (solid[prim_safe] != np.repeat(own, k)))
            | _in_other_box(end, np.repeat(own, k), lo, hi, container, 2 * eps))
    return np.flatnonzero(walk)


def union_chords(a, rays, k, fid, t_hit, prim, leaving, fn, face_vol, open_face, eps):
    """Rays cast from points inside the solid (k from each, the start's face `fid`), through
    overlapping bodies: where another body can affect them (`_to_walk`), each ray's distance
    is to where it leaves the union of the solids (`_union_walk`) and it leaves there only
    when it started inside the union. Returns the new (t_hit, leaving), flat."""
    closed, (solid, container, lo, hi) = _solid_faces(a, face_vol, open_face)
    hit = np.isfinite(t_hit)
    w = _to_walk(rays, k, solid[fid], t_hit, prim, hit, solid, (container, lo, hi), eps)
    if len(w) == 0:
        return t_hit, leaving
    t_w, _, w0 = _union_walk(a, rays[w], fn, closed[a.body_labels])
    t_hit, leaving = t_hit.copy(), leaving.copy()
    t_hit[w] = t_w
    leaving[w] = (w0 >= 1) & np.isfinite(t_w)
    return t_hit, leaving


def _touching(a, axial, own, lo, hi, container, fn, counted, eps) -> np.ndarray:
    """Per sample (its axial ray, cast inward from eps under the surface): does the point
    TOUCH_MM outside its face lie inside another solid? Then the face rests on that solid
    (a contact a print fuses: TOUCH_MM)."""
    out = np.zeros(len(axial), dtype=bool)
    p = axial[:, :3] - (eps + TOUCH_MM) * axial[:, 3:]  # outside the own face, along n
    near = np.flatnonzero(_in_other_box(p, own, lo, hi, container, TOUCH_MM))
    if len(near) == 0:
        return out
    probe = np.c_[p[near], -axial[near, 3:]]  # outward: the winding at the start is all we ask
    _, _, w0 = _union_walk(a, probe, fn, counted)
    out[near] = w0 >= 1
    return out


# A crease's point is judged from BURIED_RAYS probes, TOUCH_MM out along rays on a cone of
# BURIED_TILT_DEG around its outward normal at even turns, and is inside another solid when
# most of them say so. One probe along the normal is not enough: an assembly's parts stand at
# the same heights and touch face to face, so that probe often lies on the face where two
# other parts touch (inside the union, on the surface of each: their windings read 0 or 1 by
# float rounding) or its ray runs in the plane of another part's face (finding one crossing
# of its edge, or none). A plane holding the normal holds at most one of three rays at
# 120 degree turns, so one such probe is outvoted; 30 degrees keeps the probes near the
# normal, out of the crease's own faces (15 degrees off them at a right-angled crease).
BURIED_RAYS = 3
BURIED_TILT_DEG = 30.0


def buried_points(a, points: np.ndarray, normals: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per surface point (its outward direction, the face it lies on): inside another closed
    solid of a model whose bodies are not unioned (a kitbash's part sunk into another, a
    scan's second shell)? The point lies inside another solid when, at most of BURIED_RAYS
    probes TOUCH_MM outside it, the winding of one other solid is >= 1 (its own
    solid's faces not counted: a point of a rounded crease may lie a hair inside its own
    solid), so the point is inside the printed union, not on its surface (as for a thickness
    sample resting on another body: _touching).

    Each solid is wound on its own, in a scene of its own geometry (`_solid_scene`): the
    ray-caster lists two crossings of one geometry at the same distance once, so where two
    parts touch (a pin in its bore: coincident faces) the whole model's scene keeps the
    entry of one or the exit of the other depending on how its tree was split, which changes
    when any body is added (the cycloidal drive's creases read buried on their own and not
    once a far block joined). So the verdict depends on the solids at the point alone."""
    out = np.zeros(len(points), dtype=bool)
    if a.n_bodies <= 1 or len(points) == 0:
        return out
    (face_vol, fn, open_face, _), _ = _context(a)
    labels, nb = a.body_labels, a.n_bodies
    closed = np.ones(nb, dtype=bool)
    if open_face.any():
        closed[np.unique(labels[open_face])] = False
    owner, container, lo, hi = _solids(a, labels, nb, face_vol, closed)
    own = owner[labels[faces]]
    near = np.flatnonzero(_in_other_box(points, own, lo, hi, container, 2 * TOUCH_MM))
    if len(near) == 0:
        return out
    p = points[near]
    scene, solid_of, fids = _solid_scene(a, p, own[near], owner, container, closed, lo, hi)
    votes = sum(_inside_other(a, scene, solid_of, fids, p + TOUCH_MM * d, d, own[near], fn)
                for d in _buried_dirs(normals[near]))
    out[near] = 2 * votes > BURIED_RAYS
    return out


def _solid_scene(a, p, own, owner, container, closed, lo, hi):
    """A ray-casting scene of the closed solids whose (2 TOUCH_MM-grown) boxes hold a point
    other than its own, one geometry per solid (its bodies: the outward one and the cavities
    it holds). Returns (scene, solid per geometry id, model face ids per geometry)."""
    import open3d as o3d

    labels = a.body_labels
    want = np.concatenate([b[inside.any(axis=0)] for b, inside in
                           _other_boxes(p, own, lo, hi, container, 2 * TOUCH_MM)])
    face_solid = np.where(closed[labels], owner[labels], -1)
    sel = np.flatnonzero(np.isin(face_solid, want))
    sel = sel[np.argsort(face_solid[sel], kind="stable")]
    groups = np.split(sel, np.flatnonzero(np.diff(face_solid[sel])) + 1)
    scene = o3d.t.geometry.RaycastingScene()
    v, f = a.model.vertices, a.model.faces
    for g in groups:  # one geometry per solid near a point (a handful to a few hundred)
        used, tri = np.unique(f[g], return_inverse=True)
        scene.add_triangles(o3d.core.Tensor((v[used] - a.ray_shift).astype(np.float32)),
                            o3d.core.Tensor(tri.reshape(-1, 3).astype(np.uint32)))
    return scene, face_solid[[g[0] for g in groups]], groups


def _buried_dirs(normals: np.ndarray) -> list[np.ndarray]:
    """BURIED_RAYS unit directions per point on a cone of BURIED_TILT_DEG about its normal."""
    t1, t2 = _basis(normals)
    th = math.radians(BURIED_TILT_DEG)
    phis = np.arange(BURIED_RAYS) * (2 * math.pi / BURIED_RAYS)
    return [math.cos(th) * normals + math.sin(th) * (math.cos(f) * t1 + math.sin(f) * t2)
            for f in phis]


def _inside_other(a, scene, solid_of, fids, p, d, own, fn) -> np.ndarray:
    """Per point: along its ray d, is the winding of some solid other than `own` >= 1? Leaving
    a solid along the ray (its face's outward normal along it) means the point was inside. A
    crossing listed twice (a ray through the edge of two faces) counts once."""
    out = np.zeros(len(p), dtype=bool)
    if len(solid_of) == 0:
        return out
    li = scene.list_intersections(a.ray_tensor(np.c_[p, d]))
    rid = li["ray_ids"].numpy().astype(np.int64)
    geo = li["geometry_ids"].numpy().astype(np.int64)
    prim = li["primitive_ids"].numpy().astype(np.int64)
    solid = solid_of[geo]
    keep = solid != own[rid]
    if not keep.any():
        return out
    rid, geo, prim, solid = rid[keep], geo[keep], prim[keep], solid[keep]
    starts = np.cumsum([0] + [len(g) for g in fids])
    face = np.concatenate(fids)[starts[geo] + prim]
    step = np.where(np.einsum("ij,ij->i", fn[face], d[rid]) > 0, 1, -1)
    t = li["t_hit"].numpy()[keep]
    cross = np.unique(np.c_[rid, solid, step, t.view(np.int32)], axis=0)
    pair, inv = np.unique(cross[:, :2], axis=0, return_inverse=True)
    wind = np.bincount(inv.ravel(), weights=cross[:, 2], minlength=len(pair))
    out[pair[wind >= 1, 0]] = True
    return out
