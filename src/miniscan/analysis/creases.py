"""Crease detection, edge chains and bevel radius (the kernel behind the edges family).

Method (docs/edges.md has the derivation):
- every interior mesh edge e joins two faces whose normals differ by the dihedral turn
  theta_e; the strip of surface it stands for is w_e = (A1 + A2) / l_e wide (the mean height
  of its two triangles over it), so the normal curvature across it is kappa_e = theta_e / w_e.
  On a fillet of radius R this is 1/R whatever the triangle size or pattern; on a hard edge
  it is theta / w, i.e. a "radius" of a fraction of the edge length (resolution-limited);
- crease edges have kappa_e >= 1 / R_detect: the normal turns faster than a fillet of radius
  R_detect would turn it; faces touching them are crease faces;
- each crease face gets the direction of its crease (the top eigenvector of the normal-cycle
  tensor sum theta_e l_e e e^T over its crease edges and those of its neighbours); adjacent
  crease faces with parallel directions form one chain (corners, where directions cross,
  split chains; smooth spheres have no direction and make none);
- per chain: radius R = 1 / (upper turn-weighted quantile of kappa_e), turn from the normals
  of the faces flanking the chain on its two sides, length = (sum theta_e l_e) / turn.
Everything is vectorised; the only loops are over a fixed handful of passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KAPPA_QUANTILE = 0.75  # the plateau of curvature across a fillet, robust to its two tangent rows
MIN_EDGE_TURN_RAD = np.radians(1.0)  # dihedrals below this are tessellation noise
AXIS_COS = np.cos(np.radians(35.0))  # neighbouring crease faces with directions closer join
ANISOTROPY = 0.5  # lambda2 / lambda1 above this: no crease direction (corner or dome)


@dataclass
class Creases:
    """Per-chain arrays (index = chain id) plus the face labels they came from."""

    face_chain: np.ndarray  # (n_faces,) chain id or -1
    radius_mm: np.ndarray
    resolution_mm: np.ndarray  # turn-weighted median strip width: the mesh's resolution there
    resolution_limited: np.ndarray  # bool: radius at or below the resolution (a hard edge)
    turn_rad: np.ndarray
    length_mm: np.ndarray
    centroid_mm: np.ndarray  # (k, 3)
    axis: np.ndarray  # (k, 3)
    first_faces: list = field(default_factory=list)  # a few face ids per chain
    flank_width_mm: np.ndarray = None  # width of the faces the edge joins (A/P of the smaller)
    n_faces: np.ndarray = None
    detect_radius_mm: float = 0.0
    turn_min_rad: float = 0.0

    @property
    def count(self) -> int:
        return int(len(self.radius_mm))


def edge_faces(faces: np.ndarray):
    """Interior manifold edges: (vertex pairs (k,2), face pairs (k,2)), in a fixed order."""
    m = len(faces)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    fid = np.tile(np.arange(m), 3)
    e.sort(axis=1)
    nv = int(faces.max()) + 1 if m else 0
    key = e[:, 0] * nv + e[:, 1]
    order = np.argsort(key, kind="stable")
    ks = key[order]
    same = ks[1:] == ks[:-1]
    # keep pairs that are exactly two faces (not part of a 3+ fan)
    prev_same = np.r_[False, same[:-1]]
    next_same = np.r_[same[1:], False]
    ok = same & ~prev_same & ~next_same
    i = np.flatnonzero(ok)
    pairs = np.stack([fid[order[i]], fid[order[i + 1]]], axis=1)
    return e[order[i]], pairs


def _weighted_quantile(values, weights, labels, n, q):
    """Per-label weighted quantile (labels 0..n-1), vectorised with one lexsort."""
    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, labels))
    v, w, lab = values[order], weights[order], labels[order]
    tot = np.bincount(lab, weights=w, minlength=n)
    cw = np.cumsum(w)
    start = np.r_[0, np.cumsum(np.bincount(lab, minlength=n))[:-1]]
    base = np.where(start > 0, cw[np.maximum(start - 1, 0)], 0.0)
    frac = (cw - base[lab]) / np.maximum(tot[lab], 1e-300)
    # first index in each label whose cumulative fraction reaches q
    hit = frac >= q - 1e-12
    idx = np.flatnonzero(hit)
    first = np.full(n, -1)
    # reverse assignment keeps the smallest index per label
    first[lab[idx[::-1]]] = idx[::-1]
    has = first >= 0
    out[has] = v[first[has]]
    return out


def find_creases(analysis, detect_radius_mm: float, turn_min_deg: float = 30.0) -> Creases:
    model = analysis.model
    faces, verts = model.faces, model.vertices
    nf = len(faces)
    fn, fa, fc = analysis.face_normals, analysis.face_areas, analysis.face_centroids
    ev, fp = analysis.cached("creases:edge_faces", lambda a: edge_faces(a.model.faces))
    f1, f2 = fp[:, 0], fp[:, 1]
    vec = verts[ev[:, 1]] - verts[ev[:, 0]]
    ell = np.linalg.norm(vec, axis=1)
    cosang = np.clip(np.einsum("ij,ij->i", fn[f1], fn[f2]), -1.0, 1.0)
    theta = np.arccos(cosang)
    w = (fa[f1] + fa[f2]) / np.maximum(ell, 1e-300)
    kappa = theta / np.maximum(w, 1e-300)
    crease = (theta >= MIN_EDGE_TURN_RAD) & (kappa >= 1.0 / detect_radius_mm) & (ell > 0)
    ce = np.flatnonzero(crease)
    turn_min = np.radians(turn_min_deg)

    empty = Creases(np.full(nf, -1), *(np.zeros(0) for _ in range(2)), np.zeros(0, bool),
                    np.zeros(0), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), [],
                    np.zeros(0), np.zeros(0, int), detect_radius_mm, turn_min)
    if len(ce) == 0:
        return empty

    # --- per-face crease tensor (half of each crease edge to each of its faces) ---
    ehat = vec[ce] / ell[ce, None]
    wt = 0.5 * theta[ce] * ell[ce]
    comps = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
    T = np.zeros((nf, 6))
    for j, (p, q) in enumerate(comps):
        val = wt * ehat[:, p] * ehat[:, q]
        T[:, j] = np.bincount(f1[ce], weights=val, minlength=nf) + \
            np.bincount(f2[ce], weights=val, minlength=nf)
    is_cf = np.zeros(nf, bool)
    is_cf[f1[ce]] = True
    is_cf[f2[ce]] = True
    # smooth once over edge neighbours (so a face with one crease edge sees its row)
    Ts = T.copy()
    for j in range(6):
        Ts[:, j] += np.bincount(f1, weights=T[f2, j], minlength=nf) + \
            np.bincount(f2, weights=T[f1, j], minlength=nf)
    cf = np.flatnonzero(is_cf)
    M = np.empty((len(cf), 3, 3))
    t = Ts[cf]
    M[:, 0, 0], M[:, 1, 1], M[:, 2, 2] = t[:, 0], t[:, 1], t[:, 2]
    M[:, 0, 1] = M[:, 1, 0] = t[:, 3]
    M[:, 0, 2] = M[:, 2, 0] = t[:, 4]
    M[:, 1, 2] = M[:, 2, 1] = t[:, 5]
    lam, vecs = np.linalg.eigh(M)
    axis_f = np.zeros((nf, 3))
    axis_f[cf] = vecs[:, :, 2]
    aniso_ok = np.zeros(nf, bool)
    aniso_ok[cf] = lam[:, 1] <= ANISOTROPY * np.maximum(lam[:, 2], 1e-300)

    # --- chains: connected crease faces with parallel crease directions ---
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    link = aniso_ok[f1] & aniso_ok[f2] & \
        (np.abs(np.einsum("ij,ij->i", axis_f[f1], axis_f[f2])) >= AXIS_COS)
    la, lb = f1[link], f2[link]
    # crease edges meeting end to end at a vertex with parallel directions also link their
    # faces: on a hard edge the crease triangles touch each other only at vertices
    endv = np.r_[ev[ce, 0], ev[ce, 1]]
    ende = np.r_[np.arange(len(ce)), np.arange(len(ce))]
    o = np.argsort(endv, kind="stable")
    endv, ende = endv[o], ende[o]
    pair = np.flatnonzero(endv[1:] == endv[:-1])
    e1, e2 = ende[pair], ende[pair + 1]
    par = np.abs(np.einsum("ij,ij->i", ehat[e1], ehat[e2])) >= AXIS_COS
    ga, gb = f1[ce[e1[par]]], f1[ce[e2[par]]]
    par2 = aniso_ok[ga] & aniso_ok[gb]
    la, lb = np.r_[la, ga[par2]], np.r_[lb, gb[par2]]
    good = np.flatnonzero(aniso_ok)
    remap = np.full(nf, -1)
    remap[good] = np.arange(len(good))
    g = coo_matrix((np.ones(len(la)), (remap[la], remap[lb])),
                   shape=(len(good), len(good)))
    ncomp, lab = connected_components(g, directed=False)
    face_chain = np.full(nf, -1)
    face_chain[good] = lab

    # crease edges belong to the chain of either face (first face preferred)
    ech = np.where(face_chain[f1[ce]] >= 0, face_chain[f1[ce]], face_chain[f2[ce]])
    keep_e = ech >= 0
    ce_k, ech = ce[keep_e], ech[keep_e]
    tl = theta[ce_k] * ell[ce_k]
    turn_len = np.bincount(ech, weights=tl, minlength=ncomp)
    kq = _weighted_quantile(kappa[ce_k], tl, ech, ncomp, KAPPA_QUANTILE)
    wres = _weighted_quantile(w[ce_k], tl, ech, ncomp, 0.5)
    mid = 0.5 * (verts[ev[ce_k, 0]] + verts[ev[ce_k, 1]])
    cen = np.stack([np.bincount(ech, weights=tl * mid[:, j], minlength=ncomp)
                    for j in range(3)], 1) / np.maximum(turn_len, 1e-300)[:, None]
    # chain direction: sum of face tensors
    Tc = np.stack([np.bincount(face_chain[good], weights=T[good, j], minlength=ncomp)
                   for j in range(6)], 1)
    Mc = np.empty((ncomp, 3, 3))
    Mc[:, 0, 0], Mc[:, 1, 1], Mc[:, 2, 2] = Tc[:, 0], Tc[:, 1], Tc[:, 2]
    Mc[:, 0, 1] = Mc[:, 1, 0] = Tc[:, 3]
    Mc[:, 0, 2] = Mc[:, 2, 0] = Tc[:, 4]
    Mc[:, 1, 2] = Mc[:, 2, 1] = Tc[:, 5]
    axis_c = np.linalg.eigh(Mc)[1][:, :, 2]

    # --- turn across each chain from the faces flanking it on its two sides ---
    # orient each face's direction along its chain's (eigenvectors have no sign)
    flip = np.einsum("ij,ij->i", axis_f[good], axis_c[face_chain[good]]) < 0
    axis_f[good[flip]] *= -1
    turn = _flank_turn(fn, fc, f1, f2, face_chain, axis_f, ncomp, is_cf)
    with np.errstate(invalid="ignore", divide="ignore"):
        length = turn_len / turn
    radius = 1.0 / kq
    # flat regions (non-crease faces) for the width of the faces each chain joins
    flank_w = _flank_width(analysis, f1, f2, face_chain, is_cf, ell, ncomp)

    ok = np.isfinite(turn) & (turn >= turn_min) & np.isfinite(radius) & (length > 0)
    ok &= length >= 2.0 * wres  # a chain shorter than its own resolution is a speck
    ids = np.flatnonzero(ok)
    # stable order: longest first, ties by centroid
    o = np.lexsort((cen[ids, 2], cen[ids, 1], cen[ids, 0], -length[ids]))
    ids = ids[o]
    new = np.full(ncomp, -1)
    new[ids] = np.arange(len(ids))
    face_chain = np.where(face_chain >= 0, new[np.maximum(face_chain, 0)], -1)
    fo = np.argsort(face_chain, kind="stable")
    fcs = face_chain[fo]
    starts = np.searchsorted(fcs, np.arange(len(ids)))
    first = [tuple(int(x) for x in fo[s:s + 5]) for s in starts]
    nfc = np.bincount(face_chain[face_chain >= 0], minlength=len(ids))
    res = wres[ids]
    return Creases(face_chain, radius[ids], res, radius[ids] <= res, turn[ids], length[ids],
                   cen[ids], axis_c[ids], first, flank_w[ids], nfc, detect_radius_mm, turn_min)


def _flank_turn(fn, fc, f1, f2, face_chain, axis_f, ncomp, is_cf):
    """Median angle between the normals of flank faces on opposite sides of each chain."""
    from scipy.spatial import cKDTree

    out = np.full(ncomp, np.nan)
    # (flank face, chain face) pairs across an edge
    a = (face_chain[f1] >= 0) & ~is_cf[f2]
    b = (face_chain[f2] >= 0) & ~is_cf[f1]
    g = np.r_[f1[a], f2[b]]  # chain face
    f = np.r_[f2[a], f1[b]]  # flank face
    if len(g) == 0:
        return out
    ch = face_chain[g]
    ax = axis_f[g]
    # which way the normal rotates (about the oriented crease direction) from crease to flank
    # (the crease face's normal is averaged with its chain neighbours': on a hard edge the
    # crease faces lie in the flank planes themselves)
    nf = len(face_chain)
    same = (face_chain[f1] == face_chain[f2]) & (face_chain[f1] >= 0)
    ns = fn.copy()
    for j in range(3):
        ns[:, j] += np.bincount(f1[same], weights=fn[f2[same], j], minlength=nf) + \
            np.bincount(f2[same], weights=fn[f1[same], j], minlength=nf)
    side = np.einsum("ij,ij->i", np.cross(ns[g], fn[f]), ax) >= 0
    # opposite-side nearest flank of the same chain: chain id as a far-apart 4th coordinate
    span = float(np.ptp(fc, axis=0).max()) + 1.0
    pts = np.c_[fc[f], ch * 4.0 * span]
    res = np.zeros(len(g))
    for s in (False, True):
        src, dst = np.flatnonzero(side == s), np.flatnonzero(side != s)
        if len(src) == 0 or len(dst) == 0:
            res[src] = np.nan
            continue
        d, j = cKDTree(pts[dst]).query(pts[src])
        other = dst[j]
        same_chain = ch[other] == ch[src]
        ang = np.arccos(np.clip(np.einsum("ij,ij->i", fn[f[src]], fn[f[other]]), -1, 1))
        res[src] = np.where(same_chain, ang, np.nan)
    okm = np.isfinite(res)
    if okm.any():
        out[:] = _weighted_quantile(res[okm], np.ones(int(okm.sum())), ch[okm], ncomp, 0.5)
    return out


def _flank_width(analysis, f1, f2, face_chain, is_cf, ell, ncomp):
    """Width of the faces each chain joins: area / perimeter of its smaller flat neighbour."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nf = len(face_chain)
    flat = ~is_cf
    link = flat[f1] & flat[f2]
    g = coo_matrix((np.ones(int(link.sum())), (f1[link], f2[link])), shape=(nf, nf))
    _, region = connected_components(g, directed=False)
    area = np.bincount(region, weights=analysis.face_areas * flat)
    # perimeter: interior edges between a flat face and a non-flat face (or other region)
    border = flat[f1] != flat[f2]
    fl = np.where(flat[f1], f1, f2)[border]
    per = np.bincount(region[fl], weights=ell[border], minlength=len(area))
    ratio = area / np.maximum(per, 1e-300)
    # chains: which flat regions touch them
    a = (face_chain[f1] >= 0) & flat[f2]
    b = (face_chain[f2] >= 0) & flat[f1]
    ch = np.r_[face_chain[f1[a]], face_chain[f2[b]]]
    rg = np.r_[region[f2[a]], region[f1[b]]]
    out = np.full(ncomp, np.inf)
    if len(ch):
        # the two flat regions touching the chain most (its two sides); the smaller counts
        key, cnt = np.unique(np.c_[ch, rg], axis=0, return_counts=True)
        o = np.lexsort((key[:, 1], -cnt, key[:, 0]))
        key = key[o]
        rank = np.arange(len(key)) - np.searchsorted(key[:, 0], key[:, 0])
        top = rank < 2
        np.minimum.at(out, key[top, 0], ratio[key[top, 1]])
    return out
