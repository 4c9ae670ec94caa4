"""Wall thickness, step 1: the fixed, seeded, area-weighted surface samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import BOOST_SHARE, MIN_BODY_SAMPLES, OPEN_BODY_RATIO, SALT


def _open_bodies(a) -> np.ndarray:
    """Per-face flag: the face belongs to a body whose boundary is long for its area."""
    n = a.model.n_faces
    fe = a.face_edges
    single = a.edge_face_count[fe] == 1  # (m, 3): the face's edges that border a hole
    if not single.any():
        return np.zeros(n, dtype=bool)
    f_idx, k = np.nonzero(single)
    e = a.edges_unique[fe[f_idx, k]]
    v = a.model.vertices
    length = np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)
    labels = a.body_labels
    nb = int(labels.max()) + 1
    blen = np.bincount(labels[f_idx], weights=length, minlength=nb)
    barea = np.bincount(labels, weights=a.face_areas, minlength=nb)
    return (blen > OPEN_BODY_RATIO * np.sqrt(np.maximum(barea, 1e-300)))[labels]


def _boost(a, count: int) -> np.ndarray:
    """Per-face sampling weight factor: bodies that area-weighting would give fewer than
    MIN_BODY_SAMPLES samples are weighted up to that many (within BOOST_SHARE of the count)."""
    labels = a.body_labels
    barea = np.bincount(labels, weights=a.face_areas)
    expected = count * barea / max(barea.sum(), 1e-300)
    factor = np.maximum(1.0, MIN_BODY_SAMPLES / np.maximum(expected, 1e-300))
    extra = float(((factor - 1.0) * expected).sum())
    if extra > BOOST_SHARE * count:  # many tiny bodies: share the budget out evenly
        factor = 1.0 + (factor - 1.0) * (BOOST_SHARE * count / extra)
    return factor[labels]


# Per-face draws come from a hash of what the face is, not of where the file lists it or which
# way the model is turned: its sorted edge lengths and its centroid's distance from its body's
# area-weighted centroid, each rounded to HASH_QUANTUM of the body's size (sqrt of its area).
# The float noise of a rotation (~1e-16 relative) rounds the same except at a cell boundary
# (about 1e-7 of values); adding a part leaves the other bodies' draws as they were. Faces
# alike in both (a symmetric ring) draw alike.
HASH_QUANTUM = 1e-9
# Barycentric positions of a face's k-th sample: the R2 low-discrepancy sequence (Roberts
# 2018, powers of the plastic number) from the face's own offset: one face's samples spread
# evenly instead of clumping as independent draws do.
R2 = (0.7548776662466927, 0.5698402909980532)
# Faces alike in shape and distance (a revolve's ring, an icosphere's symmetric faces) share
# one hash; their draws are spread along the golden-ratio sequence in the order of their
# places (the only pose-dependent choice, and only among faces alike), so a ring gets its
# share of samples instead of all or none of its faces drawing one (a thin flange unsampled).
GOLDEN = 0.6180339887498949
# Their points start from offsets hashed with that rank too, not from one shared offset: a
# cylinder's alike side slivers would otherwise put every sample at the same few heights (a
# stride along one R2 sequence repeats every few faces).
_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(_MIX[1])
        h = (h ^ (h >> np.uint64(27))) * np.uint64(_MIX[2])
    return h ^ (h >> np.uint64(31))


@dataclass(frozen=True)
class _Shapes:
    """Per face: a pose- and order-free hash (`key`), and its corners in an order fixed by its
    shape (`faces`: the corner opposite its longest edge, then the far end of the longer of
    the other two edges; winding not kept)."""

    key: np.ndarray  # (F,) uint64
    faces: np.ndarray  # (F, 3)
    tie: np.ndarray  # (F,) rank among the faces of the same key, in the order of their places


def _shapes(a) -> _Shapes:
    """Cached once per model."""
    def build(a) -> _Shapes:
        v, f = a.model.vertices, a.model.faces
        p = [v[f[:, k]] for k in range(3)]
        edge = np.stack([np.linalg.norm(p[(k + 2) % 3] - p[(k + 1) % 3], axis=1)
                         for k in range(3)], axis=1)  # the edge opposite corner k
        area = a.face_areas
        cen = (p[0] + p[1] + p[2]) / 3.0
        lab = a.body_labels  # each body's own centroid: adding a part leaves the others' draws
        nb = int(lab.max()) + 1 if len(lab) else 1
        barea = np.maximum(np.bincount(lab, weights=area, minlength=nb), 1e-300)
        mid = np.stack([np.bincount(lab, weights=area * cen[:, j], minlength=nb)
                        for j in range(3)], axis=1) / barea[:, None]
        cols = np.c_[np.sort(edge, axis=1), np.linalg.norm(cen - mid[lab], axis=1)]
        words = np.round(cols / (HASH_QUANTUM * np.sqrt(barea[lab]))[:, None]).astype(np.int64)
        h = np.full(len(f), _MIX[0], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for w in words.view(np.uint64).T:  # four words a face
                h = _mix(h ^ (w + np.uint64(_MIX[0])))
        # corners: the one opposite the longest edge, then the far end of the longer edge
        # from it (not the winding's next: a mirror image reverses the winding)
        start = np.argmax(edge, axis=1)
        g = np.take_along_axis(f, (start[:, None] + np.arange(3)) % 3, axis=1)
        e = np.take_along_axis(edge, (start[:, None] + np.arange(3)) % 3, axis=1)
        swap = e[:, 1] > e[:, 2]  # the edge opposite corner 1 is the one from corner 0 to 2
        g[swap] = g[swap][:, [0, 2, 1]]
        return _Shapes(h, g, _tie_ranks(h, cen))

    return a.cached("thickness-shapes", build)


def _tie_ranks(h: np.ndarray, cen: np.ndarray) -> np.ndarray:
    """Each face's rank among the faces of its hash, ordered by centroid (x, then y, then z).

    Only faces whose hash is shared are sorted by centroid: on a sculpt almost every hash is
    its own, and a four-key sort of every face cost a second at 2M faces."""
    tie = np.zeros(len(h), dtype=np.int64)
    if len(h) < 2:
        return tie
    order = np.argsort(h, kind="stable")
    same = h[order][1:] == h[order][:-1]
    shared = np.sort(order[np.r_[same, False] | np.r_[False, same]])
    if len(shared) == 0:
        return tie
    sub = shared[np.lexsort((cen[shared, 2], cen[shared, 1], cen[shared, 0], h[shared]))]
    hs = h[sub]
    first = np.r_[True, hs[1:] != hs[:-1]]
    run = np.maximum.accumulate(np.where(first, np.arange(len(hs)), 0))
    tie[sub] = np.arange(len(hs)) - run
    return tie


def _uniform(key: np.ndarray, salt: int) -> np.ndarray:
    """A uniform draw in [0, 1) per hashed key and salt."""
    with np.errstate(over="ignore"):
        h = _mix(key ^ _mix(np.full(len(key), salt + 1, dtype=np.uint64) * np.uint64(_MIX[0])))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _face_edge(a, fid: np.ndarray) -> np.ndarray:
    """(n, 3) each listed face's median from the corner opposite its longest edge (`_shapes`):
    a direction on the face that turns (and mirrors) with the model, for the frames of the
    rays cast from it."""
    f = _shapes(a).faces[fid]
    v = a.model.vertices
    return 0.5 * (v[f[:, 1]] + v[f[:, 2]]) - v[f[:, 0]]


def _draw(a, expected: np.ndarray, faces: np.ndarray, salt: int):
    """Samples of the listed faces: floor(expected + u) each (u the face's own draw, spread
    along the golden-ratio sequence among faces alike: the count is right on average), placed
    along the R2 sequence from the face's own offset. Returns (points, face ids)."""
    sh = _shapes(a)
    u = np.mod(_uniform(sh.key[faces], salt) + sh.tie[faces] * GOLDEN, 1.0)
    n = np.floor(expected + u).astype(np.int64)
    fid = np.repeat(faces, n)
    k = np.arange(len(fid)) - np.repeat(np.cumsum(n) - n, n)  # the sample's number in its face
    with np.errstate(over="ignore"):  # alike faces: each its own offset (its rank mixed in)
        kf = _mix(sh.key[fid] ^ (sh.tie[fid].astype(np.uint64) * np.uint64(_MIX[0])))
    r = np.c_[_uniform(kf, salt + 1), _uniform(kf, salt + 2)] + k[:, None] * np.array(R2)
    r = np.mod(r, 1.0)
    flip = r.sum(axis=1) > 1
    r[flip] = 1 - r[flip]
    v, f = a.model.vertices, sh.faces[fid]
    p0 = v[f[:, 0]]
    return p0 + r[:, :1] * (v[f[:, 1]] - p0) + r[:, 1:] * (v[f[:, 2]] - p0), fid


def _sample(a, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area-weighted samples, small bodies boosted (`_boost`); returns points, faces and the
    area each sample stands for. Every face's draws are its own (`_draw`): the same surface
    listed in another order, turned or mirrored is sampled at the same places (the draws
    used to walk the faces in the file's order: the showcase shuffled read other pass
    counts)."""
    boost = _boost(a, count) if a.n_bodies > 1 else np.ones(a.model.n_faces)
    w = a.face_areas * boost
    expected = count * w / max(a.total_area, 1e-300)
    pts, fid = _draw(a, expected, np.arange(a.model.n_faces), SALT)
    return pts, fid, (a.total_area / count) / boost[fid]
