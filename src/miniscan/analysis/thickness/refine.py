"""Wall thickness: refining around thin readings, step 4's support probe, held walls, regions."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .common import (
    REFINE_EDGE_FACES, REFINE_MAX_SAMPLES, SALT, SUPPORT_DIRECTIONS, SUPPORT_THICK_RATIO,
    Thickness, _basis)
from .bodies import union_chords
from .contacts import through_contacts
from .kernel import _read
from .sampling import _draw, _face_edge
from .surface import _context

LINKS_MAX = 512  # links per sample, on average, past which regions join each sample's nearest
#                 only: real meshes reach 160 (refined samples crowd a thin part; the corpus's
#                 CAD gear), a surface folded over one place tens of thousands
NEAREST = 64  # ... and how many nearest each sample then joins


# --- refining the sampling around thin readings --------------------------------------------------

def _zone(a, th: Thickness, seeds: np.ndarray, radius_mm: float, done: np.ndarray) -> np.ndarray:
    """Faces (not in `done`) that come within radius_mm of a seed sample: a face counts when its
    centroid lies within radius_mm plus half its longest edge of one, and it is no larger than
    the disc of that radius (only a small share of a larger face is near a seed, and sampling
    all of it would spend the budget away from the band) or a seed lies on it. Only faces
    inside the seeds' grown box are looked at."""
    from scipy.spatial import cKDTree

    p = th.points[seeds]
    fc = a.face_centroids
    half = 0.5 * a.edge_lengths[a.face_edges].max(axis=1) if len(fc) <= REFINE_EDGE_FACES else None
    grow = radius_mm + (float(half.max()) if half is not None else 0.0)
    inbox = np.all((fc >= p.min(axis=0) - grow) & (fc <= p.max(axis=0) + grow), axis=1) & ~done
    cand = np.flatnonzero(inbox & (a.face_areas <= math.pi * radius_mm ** 2))
    out = np.zeros(len(fc), dtype=bool)
    if len(cand):
        d, _ = cKDTree(p).query(fc[cand], k=1, distance_upper_bound=grow)
        reach = radius_mm + (half[cand] if half is not None
                             else 0.5 * a.edge_lengths[a.face_edges[cand]].max(axis=1))
        out[cand[d <= reach]] = True
    out[np.unique(th.faces[seeds])] = True
    return out & ~done


def refine(analysis, th: Thickness, seeds: np.ndarray, spacing_mm: float, radius_mm: float,
           done: np.ndarray | None = None, salt: int = 0,
           cap: int = REFINE_MAX_SAMPLES) -> tuple[Thickness, np.ndarray]:
    """More samples, `spacing_mm` apart, on the faces within `radius_mm` of the `seeds` (thin
    readings), read like the first ones. A band thinner than the sample spacing (a blade's
    sharpened edge, a ligament beside a hole) gets only scattered first samples, which link
    into regions by chance; at the finer spacing it is read as the connected band it is.

    Every sample on the refined faces of a body (old and new; the seeds' own faces and their
    neighbours apart, each sampled at one density) then stands for an equal share of their
    area, so areas and shares stay true. At most `cap` new samples, the seeds' own faces first: past
    it the spacing grows to fit. Returns the refined readings and the faces refined so far
    (`done` plus this zone): a next pass refines only around new seeds, on new faces."""
    a = analysis
    n_f = a.model.n_faces
    done = np.zeros(n_f, dtype=bool) if done is None else done
    if not seeds.any() or spacing_mm <= 0:
        return th, done
    zone = _zone(a, th, seeds, radius_mm, done)
    zf = np.flatnonzero(zone)
    want = a.face_areas[zf] / spacing_mm ** 2
    # the seeds' own faces (the band itself) first; their neighbours (where the band may go on
    # between seeds) with what the budget leaves
    own = np.zeros(n_f, dtype=bool)
    own[th.faces[seeds]] = True
    own = own[zf]
    first = min(1.0, cap / max(float(want[own].sum()), 1.0))
    rest = min(1.0, max(cap - first * float(want[own].sum()), 0.0)
               / max(float(want[~own].sum()), 1.0))
    pts, fid = _draw(a, want * np.where(own, first, rest), zf, SALT + 3 * (1 + salt))
    if len(fid) == 0:
        return th, done | zone
    ctx, _ = _context(a)
    cols, nrays = _read(a, pts, fid, *ctx)
    # a new sample is there to read a thin wall: one whose rays read nothing (at a knife
    # edge's apex) is dropped, and its share of the area goes to the others
    keep = np.isfinite(cols["thickness_mm"])
    cols = {k: x[keep] for k, x in cols.items()}
    fid = fid[keep]
    merged = {k: np.concatenate([getattr(th, k), cols[k]]) for k in cols}
    # the refined area of each body, the seeds' faces and their neighbours apart (each sampled
    # uniformly at its own density), shared equally by every sample on it, old and new (faces
    # smaller than a spacing squared mostly get none: a face's own share would lose them)
    faces = merged["faces"]
    on = zone[faces]
    own_f = np.zeros(n_f, dtype=np.int64)
    own_f[zf[own]] = 1
    group = 2 * a.body_labels + own_f  # per face
    ng = 2 * (int(a.body_labels.max()) + 1)
    zarea = np.bincount(group[zf], weights=a.face_areas[zf], minlength=ng)
    count = np.bincount(group[faces[on]], minlength=ng)
    area = np.concatenate([th.area_mm2, np.zeros(len(fid))])
    area[on] = (zarea / np.maximum(count, 1))[group[faces[on]]]
    return replace(th, **merged, area_mm2=area, rays=th.rays + nrays), done | zone


def support(analysis, th: Thickness, idx: np.ndarray, reach_mm: float) -> np.ndarray:
    """Per listed sample: how thick (mm) is the thickest material `reach_mm` beside the reading?

    From the middle of the reading's chord, step `reach_mm` in SUPPORT_DIRECTIONS directions u
    in the wall's plane and measure chords there: along the reading's direction n, and along
    the diagonals (n + u)/sqrt 2 and (n - u)/sqrt 2 (six rays; a chord counts when both its
    rays leave the solid). The chord along n and the longer diagonal both at least
    SUPPORT_THICK_RATIO times the reading (and at least `reach_mm`: `held`) mean a body, thick across
    the wall's direction and out of its plane: the thin reading is held by it within a wall's
    width (surface relief, a crease's lip, a fin's root), not a free-standing wall. Inside a
    free-standing wall (a plate, a fin's blade, a shell, a rod) the chords cross only the wall
    or start outside the solid; ribs on a thin wall are thick along n but narrow, so both
    diagonals leave them early. Returns, per sample, the largest over the directions of
    min(chord along n, longer diagonal): 0 where every probe starts outside the solid.
    """
    idx = np.asarray(idx, dtype=np.int64)
    out = np.zeros(len(idx))
    if len(idx) == 0 or reach_mm <= 0:
        return out
    a = analysis
    n = th.inward[idx]
    t = th.thickness_mm[idx]
    mid = th.points[idx] + n * (0.5 * t)[:, None]
    t1, t2 = _basis(n, _face_edge(a, th.faces[idx]))
    phi = np.arange(SUPPORT_DIRECTIONS) * (2 * math.pi / SUPPORT_DIRECTIONS)
    u = np.cos(phi)[None, :, None] * t1[:, None, :] + np.sin(phi)[None, :, None] * t2[:, None, :]
    x = mid[:, None, :] + reach_mm * u  # (q, d, 3)
    d1 = (n[:, None, :] + u) / math.sqrt(2.0)
    d2 = (n[:, None, :] - u) / math.sqrt(2.0)
    nn = np.broadcast_to(n[:, None, :], x.shape)
    d = np.stack([d1, -d1, d2, -d2, nn, -nn], axis=2)  # (q, d, 6, 3)
    rays = np.concatenate([np.broadcast_to(x[:, :, None, :], d.shape), d], axis=3).reshape(-1, 6)
    ans = a.raycasting_scene.cast_rays(a.ray_tensor(rays))
    t_hit = ans["t_hit"].numpy().astype(np.float64).reshape(len(idx), SUPPORT_DIRECTIONS, 6)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(t_hit.shape)
    hit = np.isfinite(t_hit)
    fn = -a.face_normals if th.flipped else a.face_normals
    leaving = hit & (np.einsum("qdkj,qdkj->qdk", fn[np.where(hit, prim, 0)], d) > 0)
    if a.n_bodies > 1:
        # overlapping, un-unioned bodies: a chord runs to where the union is left (a probe
        # that meets a part pushed through the surface beside a thin reading was cut short
        # there, or not counted, and relief read as a free-standing wall: thickness:c14023)
        (face_vol, _, open_face, _), _ = _context(a)
        eps = 1e-5 * max(a.bbox_diag_mm, 1e-12)
        t_flat, l_flat = union_chords(
            a, rays, 6, np.repeat(th.faces[idx], SUPPORT_DIRECTIONS), t_hit.ravel(),
            prim.ravel(), leaving.ravel(), fn, face_vol, open_face, eps)
        t_hit, leaving = t_flat.reshape(t_hit.shape), l_flat.reshape(t_hit.shape)
    # a chord runs on through a contact the print fuses (a stone's edge on its slab is held)
    t_flat, _ = through_contacts(a, rays, t_hit, prim, fn, leaving)
    t_hit = t_flat.reshape(t_hit.shape)
    chord = np.where(leaving[..., 0::2] & leaving[..., 1::2],
                     t_hit[..., 0::2] + t_hit[..., 1::2], 0.0)  # (q, d, 3): d1, d2, n
    body = np.minimum(chord[..., 2], np.maximum(chord[..., 0], chord[..., 1]))
    return body.max(axis=1)


def held(th: Thickness, idx: np.ndarray, body_mm: np.ndarray, reach_mm: float) -> np.ndarray:
    """Support decision: material beside the reading at least SUPPORT_THICK_RATIO times the
    reading and at least `reach_mm` thick (pass reach_mm=0 to ask only 'does it grow?')."""
    return body_mm >= np.maximum(SUPPORT_THICK_RATIO * th.thickness_mm[idx], reach_mm)


def _links(tree, link_mm: float) -> np.ndarray:
    """(p, 2) pairs of the tree's points closer than link_mm: all of them while they average at
    most LINKS_MAX per point (a surface sampled at its spacing has ~20 within 2.5 spacings,
    refined samples on a thin part up to ~160), else each point's NEAREST nearest within
    link_mm. Only surfaces folded many times over one place crowd the samples so (a
    200 000-gon fanned over a cube's 8 corners: every sample within reach of every other,
    10^9 pairs); there the nearest still join each crowd, at a cost linear in the samples."""
    m = tree.n
    if (tree.count_neighbors(tree, link_mm) - m) // 2 <= LINKS_MAX * m:
        return tree.query_pairs(link_mm, output_type="ndarray")
    _, j = tree.query(tree.data, k=NEAREST + 1,
                      distance_upper_bound=np.nextafter(link_mm, np.inf))
    i = np.repeat(np.arange(m), NEAREST + 1).reshape(j.shape)
    ok = (j < m) & (j != i)
    return np.column_stack([i[ok], j[ok]])


def regions(points: np.ndarray, mask: np.ndarray, link_mm: float,
            values: np.ndarray | None = None, ratio: float | None = None,
            axes: np.ndarray | None = None, cos_min: float = -1.0) -> np.ndarray:
    """Connected groups of masked samples (neighbours closer than link_mm; with `values` and
    `ratio`, also within that ratio of each other; with `axes` (unit, per sample), also with
    |cos| of their angle at least cos_min, either way along them): label per sample, -1 where
    not masked. Labels are ordered by first appearance, so they are deterministic."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    idx = np.flatnonzero(mask)
    out = np.full(len(points), -1, dtype=np.int64)
    if len(idx) == 0:
        return out
    pairs = _links(cKDTree(points[idx]), link_mm)
    if values is not None and ratio is not None and len(pairs):
        v = values[idx]
        pairs = pairs[np.abs(np.log(v[pairs[:, 0]] / v[pairs[:, 1]])) <= math.log(ratio)]
    if axes is not None and len(pairs):
        u = axes[idx]
        pairs = pairs[np.abs(np.einsum("ij,ij->i", u[pairs[:, 0]], u[pairs[:, 1]])) >= cos_min]
    m = len(idx)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, lab = connected_components(g, directed=False)
    # renumber by first appearance
    _, first = np.unique(lab, return_index=True)
    order = np.argsort(np.argsort(first))
    out[idx] = order[lab]
    return out
