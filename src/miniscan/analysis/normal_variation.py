"""Normal variation inside the band of scales the eye resolves (the MS301 kernel).

The surface is integrated, not sampled at random: every face contributes its area-weighted
unit normal at its centroid (large faces are split into a few stratified points), so the
footprint averages below are exact integrals of the normal field up to the voxel binning.

Pipeline, all vectorised (numpy + scipy cKDTree), with r the resolvable size:

1. bin the integration points into *surfels* (voxels of r/2, split by the dominant signed
   axis of the normal so the two sides of a thin sheet never mix) and into *nodes*
   (voxels of r, same split); nodes are where the variation is measured;
2. footprint normal at each node: a Gaussian of FWHM r over the surfels,
   ``n_r = normalise(sum g_r * A_j n_j)`` (Toksvig: the length of the unnormalised mean is
   kept as ``toksvig`` — sub-resolution variation shortens it and only widens the lobe);
3. patch normal: the footprint normals smoothed once more so that the total kernel has
   FWHM 4r, ``n_4r``; the band-pass deviation is ``d = angle(n_r, n_4r)``. A constant
   curvature (sphere, cylinder, saddle) gives d = 0 by symmetry: only *variation of the
   variation* inside r..4r moves highlights about;
4. the variation of a patch is the RMS of d over the same 4r kernel, ``V``.

Both averages are bilateral: a neighbour whose normal differs from the centre's by more
than CREASE_DEG is left out, so a designed crease (a box edge, a blade's bevel line) keeps
its single highlight line (that is MS2xx's business) instead of reading as noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))  # sigma = FWHM / 2.3548
CREASE_DEG = 40.0  # neighbours turned further than this are across a crease: not averaged
MAX_NODES = 150_000  # above this the band is coarsened (reported in metrics)
MAX_POINTS = 1_500_000
CHUNK = 32_768
K_FOOT = 32  # surfels inside a footprint kernel (10-24 expected, oblique voxels cut more)
K_PATCH = 64  # nodes inside a patch kernel (26-60 expected)
TRUNC_PATCH = 1.75  # patch kernel truncated at 1.75 sigma


@dataclass(frozen=True)
class NormalVariation:
    band_mm: tuple[float, float]  # (r_eff, 4 r_eff)
    coarsened: bool  # True when r_eff > requested r (too many nodes)
    positions: np.ndarray  # (n, 3) node centroids, mm
    areas: np.ndarray  # (n,) surface area each node stands for, mm^2
    variation_rad: np.ndarray  # (n,) V, RMS band-pass normal deviation over the patch
    deviation_rad: np.ndarray  # (n,) d at the node itself
    toksvig: np.ndarray  # (n,) |mean normal| over the footprint (1 = no sub-resolution spread)
    faces: np.ndarray  # (n,) one face id under each node
    neighbours: np.ndarray  # (n, K_PATCH) node ids within the patch kernel (n = none)
    neighbour_dist: np.ndarray  # (n, K_PATCH) their distances (inf = none)


def _integration_points(vertices, faces, areas, normals, spacing, rng):
    """One point per small face (its centroid), a stratified few on large ones."""
    tri = vertices[faces]
    per = np.ceil(areas / (spacing * spacing)).astype(np.int64)
    per = np.clip(per, 1, None)
    total = int(per.sum())
    if total > MAX_POINTS:  # huge flat faces: thin them out evenly
        per = np.clip(np.ceil(per * (MAX_POINTS / total)).astype(np.int64), 1, None)
    small = per == 1
    pts = [tri[small].mean(axis=1)]
    fid = [np.flatnonzero(small)]
    w = [areas[small]]
    big = np.flatnonzero(~small)
    if len(big):
        rep = np.repeat(big, per[big])
        u = rng.random((len(rep), 2))
        flip = u.sum(axis=1) > 1.0
        u[flip] = 1.0 - u[flip]
        t = tri[rep]
        pts.append(t[:, 0] + u[:, :1] * (t[:, 1] - t[:, 0]) + u[:, 1:] * (t[:, 2] - t[:, 0]))
        fid.append(rep)
        w.append(areas[rep] / per[rep])
    fid = np.concatenate(fid)
    return np.concatenate(pts), fid, np.concatenate(w), normals[fid]


def _bin(points, normals, cell, origin):
    """Voxel + dominant signed axis of the normal -> (inverse index, number of bins)."""
    ijk = np.floor((points - origin) / cell).astype(np.int64)
    dims = ijk.max(axis=0) + 1
    axis = np.argmax(np.abs(normals), axis=1)
    sign = np.take_along_axis(normals, axis[:, None], axis=1)[:, 0] >= 0
    cls = axis * 2 + sign
    key = ((ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]) * 6 + cls
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return inv.ravel(), len(first), first


def _sum_by(inv, n, values):
    if values.ndim == 1:
        return np.bincount(inv, weights=values, minlength=n)
    return np.stack([np.bincount(inv, weights=values[:, j], minlength=n)
                     for j in range(values.shape[1])], axis=1)


def _unit(v):
    ln = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, ln, out=np.zeros_like(v), where=ln > 0)


def compute(vertices, faces, face_areas, face_normals, resolvable_mm: float,
            seed: int = 0) -> NormalVariation:
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    area_total = float(face_areas.sum())
    r = float(resolvable_mm)
    r_eff = max(r, np.sqrt(area_total / MAX_NODES))
    coarsened = r_eff > r * (1 + 1e-9)
    h0, h1 = 0.5 * r_eff, r_eff

    keep = face_areas > 0
    fidx = np.flatnonzero(keep)
    pts, fid, w, nrm = _integration_points(vertices, faces[keep], face_areas[keep],
                                           face_normals[keep], h0, rng)
    fid = fidx[fid]
    origin = vertices.min(axis=0) if len(vertices) else np.zeros(3)

    # surfels (fine) and nodes (coarse)
    s_inv, ns, _ = _bin(pts, nrm, h0, origin)
    s_a = _sum_by(s_inv, ns, w)
    s_pos = _sum_by(s_inv, ns, pts * w[:, None]) / s_a[:, None]
    s_n = _sum_by(s_inv, ns, nrm * w[:, None])  # area-weighted normal sum
    s_u = _unit(s_n)

    c_inv, nc, c_first = _bin(pts, nrm, h1, origin)
    c_a = _sum_by(c_inv, nc, w)
    c_pos = _sum_by(c_inv, nc, pts * w[:, None]) / c_a[:, None]
    c_ref = _unit(_sum_by(c_inv, nc, nrm * w[:, None]))
    c_face = fid[c_first]

    cos_crease = np.cos(np.radians(CREASE_DEG))
    s1 = r_eff * FWHM_TO_SIGMA
    s4 = 4.0 * r_eff * FWHM_TO_SIGMA
    s2 = np.sqrt(s4 * s4 - s1 * s1)

    # 2. footprint normal at each node (bilateral Gaussian, FWHM r)
    tree_s = cKDTree(s_pos)
    m1 = np.zeros((nc, 3))
    a1 = np.zeros(nc)
    s_n_pad = np.vstack([s_n, np.zeros((1, 3))])
    s_u_pad = np.vstack([s_u, np.zeros((1, 3))])
    s_a_pad = np.append(s_a, 0.0)
    for lo in range(0, nc, CHUNK):
        hi = min(nc, lo + CHUNK)
        d, j = tree_s.query(c_pos[lo:hi], k=K_FOOT, distance_upper_bound=2.0 * s1, workers=-1)
        g = np.exp(-0.5 * np.square(np.where(np.isfinite(d), d, 0.0) / s1)) * np.isfinite(d)
        g *= np.einsum("nkj,nj->nk", s_u_pad[j], c_ref[lo:hi]) > cos_crease
        m1[lo:hi] = np.einsum("nk,nkj->nj", g, s_n_pad[j])
        a1[lo:hi] = np.einsum("nk,nk->n", g, s_a_pad[j])
    u1 = _unit(m1)
    toksvig = np.divide(np.linalg.norm(m1, axis=1), a1, out=np.ones(nc), where=a1 > 0)

    # 3./4. patch normal (total FWHM 4r), band-pass deviation, RMS over the patch
    tree_c = cKDTree(c_pos)
    nb = np.full((nc, K_PATCH), nc, dtype=np.int64)
    nbd = np.full((nc, K_PATCH), np.inf)
    gw = np.zeros((nc, K_PATCH))
    dev = np.zeros(nc)
    u1_pad = np.vstack([u1, np.zeros((1, 3))])
    c_a_pad = np.append(c_a, 0.0)
    for lo in range(0, nc, CHUNK):
        hi = min(nc, lo + CHUNK)
        d, j = tree_c.query(c_pos[lo:hi], k=K_PATCH, distance_upper_bound=TRUNC_PATCH * s2, workers=-1)
        ok = np.isfinite(d)
        g = np.exp(-0.5 * np.square(np.where(ok, d, 0.0) / s2)) * ok
        g *= np.einsum("nkj,nj->nk", u1_pad[j], u1[lo:hi]) > cos_crease
        g *= c_a_pad[j]
        n4 = _unit(np.einsum("nk,nkj->nj", g, u1_pad[j]))
        dev[lo:hi] = np.arccos(np.clip(np.einsum("nj,nj->n", n4, u1[lo:hi]), -1.0, 1.0))
        nb[lo:hi], nbd[lo:hi], gw[lo:hi] = j, d, g
    dev_pad = np.append(dev, 0.0)
    den = gw.sum(axis=1)
    var = np.sqrt(np.divide((gw * np.square(dev_pad[nb])).sum(axis=1), den,
                            out=np.zeros(nc), where=den > 0))
    return NormalVariation((r_eff, 4.0 * r_eff), bool(coarsened), c_pos, c_a, var, dev,
                           toksvig, c_face, nb, nbd)


def for_analysis(analysis, resolvable_mm: float) -> NormalVariation:
    """Memoised per (model, r): several finishes and MS303 share one computation."""
    key = f"normal_variation:{resolvable_mm!r}"
    m = analysis.model

    def make(a):
        return compute(m.vertices, m.faces, a.face_areas, a.face_normals, resolvable_mm,
                       seed=a.rng(301).integers(1 << 31))

    return analysis.cached(key, make)
