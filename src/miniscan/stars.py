"""Sums over a vertex's star (the faces around it) for every corner of a list of faces, in time
that does not grow with the square of a vertex's degree.

A corner's smooth normal is the area-weighted mean of the normals of the faces around its
vertex that turn less than a crease angle from the corner's own face: every (corner, incident
face) pair is a test, so a vertex with d faces costs d^2. On a clean mesh d is about 6; a file
whose faces are all written twice or fifty times, a polygon of 200 000 sides fanned from one
vertex, or a revolved part's pole, puts thousands of faces round one vertex, and the pairs
grow to billions (a 150 kB OBJ of 12 000 repeated faces asked for 14 GB). Faces of one
orientation round one vertex pass the same tests, so they are pooled first (their
normals agree to NORMAL_QUANTUM): duplicates and flat fans cost what one face does. What is
left is a vertex with many faces of different orientations (a cone's apex): up to STAR_MAX of
them are paired exactly, in blocks of about BLOCK_PAIRS; past that the star is summed whole
where every orientation lies within half the crease angle of their mean (every pair then
passes), and otherwise the corner keeps its own face's normal (a zero sum: an apex has no
tangent plane to smooth over).
"""

from __future__ import annotations

import numpy as np

NORMAL_QUANTUM = 2.0 ** -20  # unit-normal components this close pool (~1e-6 rad: no crease
#                              test within a micro-radian of its threshold is changed by it)
POOL_FROM = 16               # vertices of more faces than this pool their faces by orientation
#                              (a clean mesh's vertices have about 6: they skip the sort)
STAR_MAX = 1024              # orientations round one vertex paired exactly (1024^2 = 1M
#                              pairs: a 1024-section cone's apex costs what 170 000 faces do)
BLOCK_PAIRS = 1 << 22        # pairs formed at once, give or take a star (~200 MB of temporaries)


def star_sums(faces: np.ndarray, face_normals: np.ndarray, weights: np.ndarray,
              subset: np.ndarray, cos_min: float, strict: bool) -> np.ndarray:
    """(len(subset), 3, 3): for every corner of the faces `subset`, the sum of weights x unit
    normal over the faces round its vertex whose normal makes a cosine with the corner's own
    face's above cos_min (`strict`: >, else >=). Zero where no face passes (callers fall back
    to the face's own normal)."""
    F = np.asarray(faces, dtype=np.int64)
    sub = np.asarray(subset, dtype=np.int64)
    if not len(sub):
        return np.zeros((0, 3, 3))
    flat = F.ravel()
    corner_slot = (sub[:, None] * 3 + np.arange(3)).ravel()  # flat index into F of each corner
    want = np.zeros(int(F.max()) + 1, dtype=bool)
    want[flat[corner_slot]] = True
    slots = np.flatnonzero(want[flat])  # every (vertex, incident face) of those vertices
    gid, first, count, gface, gw = _groups(flat[slots], slots // 3, face_normals, weights)
    at = np.empty(len(flat), dtype=np.int64)
    at[slots] = np.arange(len(slots))
    own = gid[at[corner_slot]]  # each corner's own orientation group
    is_owner = np.zeros(len(gface), dtype=bool)
    is_owner[own] = True
    owners = np.flatnonzero(is_owner)
    out = np.zeros((len(gface), 3))
    star = (first, count, face_normals, gface, gw)
    _pair_sums(owners[count[owners] <= STAR_MAX], star, cos_min, strict, out)
    big = owners[count[owners] > STAR_MAX]
    if len(big):
        out[big] = _whole_star(big, star, cos_min)
    return out[own].reshape(len(sub), 3, 3)



def star_normals(faces: np.ndarray, face_normals: np.ndarray, weights: np.ndarray,
                 subset: np.ndarray, cos_min: float, strict: bool) -> np.ndarray:
    """(len(subset), 3, 3) unit smooth normal at every corner of the faces `subset`: the
    `star_sums` sum normalised, the face's own normal where nothing was summed."""
    acc = star_sums(faces, face_normals, weights, subset, cos_min, strict).reshape(-1, 3)
    norm = np.linalg.norm(acc, axis=1, keepdims=True)
    own = face_normals[np.repeat(np.asarray(subset, dtype=np.int64), 3)]
    acc = np.where(norm > 0, acc / np.where(norm > 0, norm, 1.0), own)
    return acc.reshape(len(subset), 3, 3)

def _groups(vert, inc, face_normals, weights):
    """Orientation groups of the (vertex, incident face) pairs, each vertex's groups
    contiguous: (the group of each pair; per group, its vertex's first group and that vertex's
    group count, a member face (whose normal is the group's) and the members' summed weight).
    A vertex of at most POOL_FROM faces has a group per face, its face's own weight."""
    pooled = np.bincount(vert)[vert] > POOL_FROM
    low = np.flatnonzero(~pooled)
    low = low[np.argsort(vert[low], kind="stable")]
    high = np.flatnonzero(pooled)
    q = np.round(face_normals[inc[high]] / NORMAL_QUANTUM).astype(np.int64)
    uk, one, inv = np.unique(np.column_stack([vert[high], q]), axis=0, return_index=True,
                             return_inverse=True)
    inv = inv.ravel()
    gid = np.empty(len(vert), dtype=np.int64)
    gid[low] = np.arange(len(low))
    gid[high] = len(low) + inv
    gvert = np.concatenate([vert[low], uk[:, 0]])
    gface = np.concatenate([inc[low], inc[high][one]])
    gw = np.concatenate([weights[inc[low]],
                         np.bincount(inv, weights=weights[inc[high]], minlength=len(uk))])
    new = np.r_[True, gvert[1:] != gvert[:-1]]
    starts = np.flatnonzero(new)
    run = np.cumsum(new) - 1
    return gid, starts[run], np.diff(np.r_[starts, len(gvert)])[run], gface, gw


def _pair_sums(owners, star, cos_min, strict, out) -> None:
    """out[g] = the summed weight x normal of the groups h of g's vertex that pass the crease
    test against g's normal, for the owner groups `owners` (each vertex at most STAR_MAX
    groups), in blocks of about BLOCK_PAIRS pairs (a Python loop over blocks, not vertices)."""
    first, count, fn, gface, gw = star
    if not len(owners):
        return
    cnt = count[owners]
    block = (np.cumsum(cnt) - 1) // BLOCK_PAIRS
    cuts = np.r_[0, np.flatnonzero(np.diff(block)) + 1, len(owners)]
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        g, c = owners[lo:hi], cnt[lo:hi]
        pos = np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c)
        og = np.repeat(g, c)
        h = first[og] + pos
        nh = fn[gface[h]]
        cos = np.einsum("pj,pj->p", nh, fn[gface[og]])
        w = np.where(cos > cos_min if strict else cos >= cos_min, gw[h], 0.0)
        local = np.repeat(np.arange(len(g)), c)
        for j in range(3):
            out[g, j] = np.bincount(local, weights=w * nh[:, j], minlength=len(g))


def _whole_star(owners, star, cos_min) -> np.ndarray:
    """(len(owners), 3) the whole star's sum for owner groups whose vertex has more than
    STAR_MAX orientations, where every orientation there lies within half the crease angle of
    their mean (every pair within the crease angle: the sum is the same for every corner);
    zero elsewhere."""
    first, count, fn, gface, gw = star
    verts, inv = np.unique(first[owners], return_inverse=True)
    c = count[verts]
    members = np.repeat(verts, c) + (np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c))
    at = np.repeat(np.arange(len(verts)), c)
    n = fn[gface[members]]
    tot = np.stack([np.bincount(at, weights=gw[members] * n[:, j], minlength=len(verts))
                    for j in range(3)], 1)
    mean = np.stack([np.bincount(at, weights=n[:, j], minlength=len(verts))
                     for j in range(3)], 1)
    mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-300)
    worst = np.ones(len(verts))
    np.minimum.at(worst, at, np.einsum("pj,pj->p", n, mean[at]))
    half = np.cos(0.5 * np.arccos(np.clip(cos_min, -1.0, 1.0)))
    return np.where((worst > half)[:, None], tot, 0.0)[inv.ravel()]
