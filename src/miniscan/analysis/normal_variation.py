"""Normal variation inside the band of scales the eye resolves (the MS301 kernel).

The surface is integrated, not sampled at random: every face contributes its area-weighted
unit normal at its centroid (large faces are split into a few stratified points), so the
footprint sums below are exact integrals of the normal field up to the voxel binning.

Pipeline, all vectorised (numpy bincount / searchsorted, no KD queries), r = resolvable size:

1. bin the integration points into *fine nodes* (voxels of ~1.5 r, split by side so the two
   sides of a thin sheet never mix): the footprint normal
   ``n_r = normalise(sum A_j n_j)`` over the voxel (a box footprint of width r; Toksvig:
   ``|sum A n| / sum A`` is kept — sub-resolution variation shortens it and only widens
   the lobe);
2. fine nodes are binned again into *patch nodes* (voxels of 2r, same split): one patch
   node per half patch diameter is all the eye can tell apart (a 4r patch spans two);
3. patch normal field: at every patch node a Gaussian-weighted *local linear* fit of the
   area-weighted normal sums of its 26 neighbours and itself (sigma ~1.6 r, so that with
   the box footprints the total kernel has FWHM ~4r): ``n(x) ~ m + B (x - mu)``. The fit is
   exact for a normal field linear in position — a sphere (n = x / R), a cylinder — so
   constant curvature gives no deviation, whatever the truncation of the neighbourhood;
4. band-pass deviation at each fine node ``d = angle(n_r, n_4r(x))`` with n_4r the fit of its
   patch node evaluated at the fine node; the variation of a patch is the Gaussian-weighted
   RMS of d over its neighbourhood (FWHM 4r), ``V``.

The fit and the RMS are bilateral: a neighbour whose normal differs from the centre's by more
than CREASE_DEG is left out, so a designed crease (a box edge, a blade's bevel line) keeps
its single highlight line (that is MS2xx's business) instead of reading as noise.

Cost: one sort of the integration points, bincounts, and 27 searchsorted lookups per patch
node. Above MAX_FINE fine nodes (area / r^2) the band is coarsened (reported).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))  # sigma = FWHM / 2.3548
CREASE_DEG = 40.0  # neighbours turned further than this are across a crease: not averaged
MAX_FINE = 600_000  # eye cells (area / r^2); above this the band is coarsened
# footprint box width in units of r: a box of this width has the second moment of the
# Gaussian of FWHM r (sigma = 0.4247 r = width / sqrt(12))
FOOT = float(np.sqrt(12.0) * FWHM_TO_SIGMA)
POINTS_PER_CELL = 1.0  # integration points per r x r on large faces
MAX_POINTS = 1_500_000
PATCH = 2.0  # patch-node voxel in units of r: half a 4r patch, all the eye can tell apart
SLOTS = 3  # sides looked up per neighbour voxel (a box corner has 3)
SIDE_DEG = 60.0  # inside one voxel, normals further apart than this are separate surfaces
RIDGE = 0.05  # Tikhonov term of the local linear fit, in units of r^2 (the surface is 2-D)

# the voxel grid is laid in a fixed generic orientation, so that axis-aligned models (plates,
# boxes: common in CAD) are binned like any other pose instead of being a best case
_GRID = np.linalg.qr(np.array([[0.8, -0.35, 0.49], [0.41, 0.9, -0.13], [-0.44, 0.26, 0.86]]))[0]

_OFFSETS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)],
                    dtype=np.int64)


@dataclass(frozen=True)
class NormalVariation:
    band_mm: tuple[float, float]  # (r_eff, 4 r_eff)
    coarsened: bool  # True when r_eff > requested r (too many nodes)
    positions: np.ndarray  # (n, 3) patch-node centroids, mm
    areas: np.ndarray  # (n,) surface area each patch node stands for, mm^2
    variation_rad: np.ndarray  # (n,) V, RMS band-pass normal deviation over the patch
    deviation_rad: np.ndarray  # (n,) RMS d inside the patch node itself
    toksvig: np.ndarray  # (n,) area-mean |mean normal| of the footprints (1 = no spread)
    faces: np.ndarray  # (n,) one face id under each patch node
    neighbours: np.ndarray  # (n, 27 * SLOTS) patch-node ids of the 3x3x3 neighbourhood (n = none)
    neighbour_dist: np.ndarray  # (n, 27 * SLOTS) their distances (inf = none)
    face_node: np.ndarray  # (n_faces,) patch node of each face's first point (-1 = none)


def _integration_points(vertices, faces, areas, spacing, rng, centroids=None):
    """One point per small face (its centroid), a stratified few on large ones."""
    per = np.ceil(areas / (spacing * spacing)).astype(np.int64)
    per = np.clip(per, 1, None)
    total = int(per.sum())
    if total > MAX_POINTS:  # huge flat faces: thin them out evenly
        per = np.clip(np.floor(per * (MAX_POINTS / total)).astype(np.int64), 1, None)
    small = per == 1
    sf = np.flatnonzero(small)
    if centroids is not None:
        pts = [centroids[sf]]
    else:
        f = faces[sf]
        pts = [(vertices[f[:, 0]] + vertices[f[:, 1]] + vertices[f[:, 2]]) / 3.0]
    fid = [sf]
    w = [areas[sf]]
    big = np.flatnonzero(~small)
    if len(big):
        rep = np.repeat(big, per[big])
        u = rng.random((len(rep), 2))
        flip = u.sum(axis=1) > 1.0
        u[flip] = 1.0 - u[flip]
        t = vertices[faces[rep]]
        pts.append(t[:, 0] + u[:, :1] * (t[:, 1] - t[:, 0]) + u[:, 1:] * (t[:, 2] - t[:, 0]))
        fid.append(rep)
        w.append(areas[rep] / per[rep])
    return np.concatenate(pts), np.concatenate(fid), np.concatenate(w)


def _sum_by(inv, n, values):
    if values.ndim == 1:
        return np.bincount(inv, weights=values, minlength=n)
    return np.stack([np.bincount(inv, weights=values[:, j], minlength=n)
                     for j in range(values.shape[1])], axis=1)


def _unit(v):
    ln = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, ln, out=np.zeros_like(v), where=ln > 0)


def _sp(ijk, dims):
    return (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]


def _sides(group, normals):
    """Side 0..3 of every item inside its voxel (group id): items turned more than SIDE_DEG
    from the item nearest the voxel's mean normal (a box edge, the far side of a thin sheet)
    form their own node. Relative to the voxel's own surface, so no fixed partition of
    directions cuts a smooth surface into interleaved classes. Voxels whose items all lie
    within SIDE_DEG / 2 of their mean (nearly all of them) are one side without a sort."""
    side = np.zeros(len(group), dtype=np.int64)
    if not len(group):
        return side
    ng = int(group.max()) + 1
    mu = _unit(_sum_by(group, ng, normals))
    off = np.einsum("nj,nj->n", normals, mu[group]) < np.cos(np.radians(0.5 * SIDE_DEG))
    loose = np.bincount(group, weights=off, minlength=ng) > 0
    left = np.flatnonzero(loose[group])
    side[left] = 3
    cos_side = np.cos(np.radians(SIDE_DEG))
    for k in range(3):
        if not len(left):
            break
        _, inv = np.unique(group[left], return_inverse=True)
        inv = inv.ravel()
        nl = normals[left]
        mean = _sum_by(inv, inv.max() + 1, nl)  # reference: the item nearest the mean
        score = np.einsum("nj,nj->n", nl, mean[inv])
        order = np.lexsort((-score, inv))
        starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) != 0])
        ref = nl[order[starts]][inv]
        near = np.einsum("nj,nj->n", nl, ref) >= cos_side
        side[left[near]] = k
        left = left[~near]
    return side


def _nodes(sp, normals):
    """Nodes = (voxel, side): sorted keys voxel * 4 + side, one member per node, inverse."""
    usp, inv_v = np.unique(sp, return_inverse=True)
    inv_v = inv_v.ravel()
    key = inv_v * 4 + _sides(inv_v, normals)
    present = np.bincount(key, minlength=4 * len(usp)) > 0
    inv = (np.cumsum(present) - 1)[key]
    nodes = np.flatnonzero(present)
    first = np.empty(len(nodes), dtype=np.int64)
    first[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
    return usp[nodes // 4] * 4 + nodes % 4, first, inv


def compute(vertices, faces, face_areas, face_normals, resolvable_mm: float,
            seed: int = 0, face_centroids=None) -> NormalVariation:
    rng = np.random.default_rng(seed)
    area_total = float(face_areas.sum())
    r = float(resolvable_mm)
    r_eff = float(max(r, np.sqrt(area_total / MAX_FINE)))
    coarsened = r_eff > r * (1 + 1e-9)

    keep = face_areas > 0
    fidx = np.flatnonzero(keep)
    h1 = FOOT * r_eff  # fine voxel (footprint) size; patch nodes are 2 h1
    pts, fid, w = _integration_points(vertices, faces[keep], face_areas[keep],
                                      h1 / np.sqrt(POINTS_PER_CELL), rng)
    fid = fidx[fid]
    nrm = face_normals[fid] @ _GRID
    pts = pts @ _GRID
    origin = pts.min(axis=0) - h1 if len(pts) else np.zeros(3)

    # 1. fine nodes: voxels of h1, split by side
    ijk = np.floor((pts - origin) / h1).astype(np.int64)
    ijk = np.maximum(ijk, 0)
    dims = ijk.max(axis=0) + 3 if len(ijk) else np.ones(3, np.int64)
    ukey, first, f_inv = _nodes(_sp(ijk, dims), nrm)
    nf = len(ukey)
    if nf == 0:
        e3, e1 = np.zeros((0, 3)), np.zeros(0)
        return NormalVariation((r_eff, 4.0 * r_eff), bool(coarsened), e3, e1, e1, e1, e1,
                               np.zeros(0, np.int64), np.zeros((0, 27 * SLOTS), np.int64),
                               np.zeros((0, 27 * SLOTS)), np.full(len(faces), -1, np.int64))
    f_a = np.bincount(f_inv, weights=w, minlength=nf)
    f_pos = _sum_by(f_inv, nf, pts * w[:, None]) / f_a[:, None]
    f_sum = _sum_by(f_inv, nf, nrm * w[:, None])  # area-weighted normal sum
    f_len = np.linalg.norm(f_sum, axis=1)
    f_n = _unit(f_sum)
    f_tok = np.divide(f_len, f_a, out=np.ones(nf), where=f_a > 0)

    # 2. patch nodes: voxels of h2 = 2r (same side)
    h2 = PATCH * r_eff
    f_ijk = np.maximum(np.floor((f_pos - origin) / h2).astype(np.int64), 0)
    cdims = (dims * h1 / h2).astype(np.int64) + 3
    ckey, cfirst, c_of_f = _nodes(_sp(f_ijk, cdims), f_n)
    nc = len(ckey)
    c_a = np.bincount(c_of_f, weights=f_a, minlength=nc)
    c_pos = _sum_by(c_of_f, nc, f_pos * f_a[:, None]) / c_a[:, None]
    c_sum = _sum_by(c_of_f, nc, f_sum)
    c_mean = c_sum / c_a[:, None]  # mean normal of the patch node (linear fields: exact)
    c_n = _unit(c_sum)
    c_face = fid[first[cfirst]]

    # neighbour table: the 3x3x3 voxels around each patch node, both sides (the crease test
    # below keeps the far side of a thin sheet out)
    c_ijk = f_ijk[cfirst]
    c_sp = ckey // 4
    nb = np.full((nc, 27 * SLOTS), nc, dtype=np.int64)
    for o, off in enumerate(_OFFSETS):
        q = _sp(c_ijk + off, cdims)
        j = np.searchsorted(c_sp, q)
        for s in range(SLOTS):
            js = np.minimum(j + s, nc - 1)
            hit = (j + s < nc) & (c_sp[js] == q)
            nb[hit, o * SLOTS + s] = js[hit]
    # compact: occupied voxels first (the sentinel nc sorts last), drop the empty tail
    nb = np.sort(nb, axis=1)
    nb = np.ascontiguousarray(nb[:, :max(1, int((nb < nc).sum(axis=1).max()))])
    pad = lambda x, v=0.0: np.concatenate([x, np.full((1,) + x.shape[1:], v)])  # noqa: E731
    pos_p, mean_p, n_p, a_p = pad(c_pos), pad(c_mean), pad(c_n), pad(c_a)
    dx = pos_p[nb] - c_pos[:, None, :]  # (nc, k, 3)
    dist = np.sqrt(np.einsum("nkj,nkj->nk", dx, dx))
    dist[nb == nc] = np.inf
    cos_crease = np.cos(np.radians(CREASE_DEG))
    same = np.einsum("nkj,nj->nk", n_p[nb], c_n) > cos_crease

    # 3. local linear fit of the normal field around each patch node
    s4 = 4.0 * r_eff * FWHM_TO_SIGMA
    box2 = (h1 * h1 + h2 * h2) / 12.0  # footprint + patch-node boxes
    s_fit = np.sqrt(max(s4 * s4 - box2, (0.5 * r_eff) ** 2))
    g = np.exp(-0.5 * np.square(np.where(np.isfinite(dist), dist, 0.0) / s_fit))
    g = g * np.isfinite(dist) * same * a_p[nb]
    gs = g.sum(axis=1)
    gn = np.divide(g, gs[:, None], out=np.zeros_like(g), where=gs[:, None] > 0)
    mu = np.einsum("nk,nkj->nj", gn, dx)  # weighted centroid offset
    mbar = np.einsum("nk,nkj->nj", gn, mean_p[nb])
    dxc = dx - mu[:, None, :]
    dxc[~np.isfinite(dist)] = 0.0
    wdx = (gn[:, :, None] * dxc).transpose(0, 2, 1)
    cov = wdx @ dxc + RIDGE * h1 * h1 * np.eye(3)
    cross = wdx @ (mean_p[nb] - mbar[:, None, :])
    slope = np.linalg.solve(cov, cross)  # n(x) = mbar + (x - c - mu) @ slope

    # 4. band-pass deviation at each fine node, RMS over the patch neighbourhood
    off_f = f_pos - c_pos[c_of_f] - mu[c_of_f]
    n4 = _unit(mbar[c_of_f] + np.einsum("ni,nij->nj", off_f, slope[c_of_f]))
    dev_f = np.arccos(np.clip(np.einsum("nj,nj->n", n4, f_n), -1.0, 1.0))
    c_d2 = np.bincount(c_of_f, weights=f_a * dev_f * dev_f, minlength=nc)
    c_tok = np.bincount(c_of_f, weights=f_a * f_tok, minlength=nc) / c_a
    gv = np.exp(-0.5 * np.square(np.where(np.isfinite(dist), dist, 0.0) / s4))
    gv = gv * np.isfinite(dist) * same
    num = (gv * pad(c_d2)[nb]).sum(axis=1)
    den = (gv * a_p[nb]).sum(axis=1)
    var = np.sqrt(np.divide(num, den, out=np.zeros(nc), where=den > 0))
    dev = np.sqrt(c_d2 / c_a)

    c_pos = c_pos @ _GRID.T  # back to model coordinates
    face_node = np.full(len(faces), -1, dtype=np.int64)
    face_node[fid[::-1]] = c_of_f[f_inv][::-1]  # first point of each face wins
    return NormalVariation((r_eff, 4.0 * r_eff), bool(coarsened), c_pos, c_a, var, dev,
                           c_tok, c_face, nb, dist, face_node)


def for_analysis(analysis, resolvable_mm: float) -> NormalVariation:
    """Memoised per (model, r): several finishes and MS303 share one computation."""
    key = f"normal_variation:{resolvable_mm!r}"
    m = analysis.model

    def make(a):
        return compute(m.vertices, m.faces, a.face_areas, a.face_normals, resolvable_mm,
                       seed=a.rng(301).integers(1 << 31), face_centroids=a.face_centroids)

    return analysis.cached(key, make)
