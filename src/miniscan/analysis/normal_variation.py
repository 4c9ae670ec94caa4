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
3. patch normal field: at every *fine node* a Gaussian-weighted *local linear* fit of the
   mean normals of the patch nodes in the 5 x 5 x 5 patch voxels around it (reaching 4-6 r,
   2.6 sigma and more), centred on the fine node itself, in its tangent plane (sigma ~1.5 r,
   so that with the patch-node box the kernel has FWHM 4r): ``n(x) ~ m + B (x - mu)``
   evaluated at the fine node. The fit is exact for a normal field linear in position — a
   sphere (the tangential part of n = x / R is linear in the tangent-plane offset), a
   cylinder — so constant curvature gives no deviation. Centred on the fine node, the fit is
   the Gaussian low-pass there (a fit centred elsewhere and extrapolated by its slope keeps
   sqrt(1 + k^2 delta^2) more of a wave of wavenumber k); in the tangent plane, the height of
   a steep relief is not a regressor the fit could follow the relief with;
4. band-pass deviation at each fine node ``d = angle(n_r, n_4r(x))``; the variation of a
   patch is the Gaussian-weighted RMS of d over its neighbourhood (FWHM 4r), ``V``.

The fit and the RMS are bilateral: a neighbour whose normal differs from the centre's by more
than CREASE_DEG is left out, so a designed crease (a box edge, a blade's bevel line) keeps
its single highlight line (that is MS2xx's business) instead of reading as noise.

Two readings bound what the mesh says (`variation_rad` and `smooth_variation_rad`): the faces'
own normals (the facets as exported) and, on faces whose facets are wider than half a
footprint and turn, the smooth-shading normals (raster.corner_normals: the surface the facets
stand for). Flat facets wider than r give a variation that is the export's, not the sculpt's;
the two readings agree wherever the facets are finer than the eye. The voxel grids' phase is a
third source: `phase_readings` reads given regions again on a shifted grid (the checks do so
for the regions they do not pass at once), which measures each region's error of reading its
own surface cell by cell (`_cell_error`), and with a tent footprint in place of the box
(`_splat`): relief finer than r leaks through the box's side lobes, far less through the
tent's, so the two footprints bound the reading of such relief.

Neighbourhoods are lists of (node, neighbour) pairs, ~10 per node on a surface; every sum is
a bincount over them. Above MAX_FINE fine nodes (area / r^2) the band is coarsened (reported),
onto a fixed ladder of r * 2^(k/8) (`coarse_band`) so a local edit does not move it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))  # sigma = FWHM / 2.3548
CREASE_DEG = 40.0  # neighbours turned further than this are across a crease: not averaged...
# ... unless the surface on the near side already varies by a quarter of that angle in the band:
# the crease test presumes two smooth flanks meeting along a line; where the band variation
# with the far side left out is already ROUGH_DEG, the surface turns that much everywhere
# (steep relief), and leaving out its steep neighbours made the fit follow the relief (a band
# slope of 0.5 rad read 0.45-0.83 of itself). There a neighbour that is rough itself is part of
# the same relief up to ROUGH_CREASE_DEG; a smooth neighbour turned past CREASE_DEG is still
# across a crease (a limb meeting a torso) -- and a surface folding back within the window (a
# part narrower than the band: its turn is its form, an ear's tip or a rod) keeps the crease
# test throughout.
ROUGH_DEG = CREASE_DEG / 4.0
# degrees: in steep relief (band slope 0.5-0.6 rad, full slopes ~1) the patch normals of
# neighbours 2-4 r apart differ by 60-90°; leaving out those beyond SIDE_DEG (60°) made the fit
# follow the relief again (6.5 r read 0.75 of the normals' angle, 8 r 0.68). A right angle is
# where a neighbour stops facing the same half-space: past it, it is another surface (the same
# test as `folded` below). Rough or not, every neighbour used to be kept to SIDE_DEG: that
# averaged designed junction creases of 40-60° into the relief; admitting smooth neighbours to
# 90° turned them into matte sparkle on three samples (torso-leg, neck) at tabletop.
ROUGH_CREASE_DEG = 90.0
MAX_FINE = 600_000  # eye cells (area / r^2); above this the band is coarsened
# rungs per octave of the coarsened band: r_eff is rounded up to r * 2^(k / LADDER_STEPS), so
# an edit that changes the area by parts per million (a displaced patch) leaves r_eff, and so
# every voxel far from the edit, where it was. One rung is 9 %, under the ~10 % a reading
# already moves with the voxel grid's phase (phase_readings), so the extra coarsening is
# within what a reading cannot tell apart anyway.
LADDER_STEPS = 8
# footprint box width in units of r: a box of this width has the second moment of the
# Gaussian of FWHM r (sigma = 0.4247 r = width / sqrt(12))
FOOT = float(np.sqrt(12.0) * FWHM_TO_SIGMA)
POINTS_PER_CELL = 1.0  # integration points per r x r on large faces
MAX_POINTS = 1_500_000
PATCH = 2.0  # patch-node voxel in units of r: half a 4r patch, all the eye can tell apart
SLOTS = 3  # sides looked up per neighbour voxel (a box corner has 3)
SIDE_DEG = 60.0  # inside one voxel, normals further apart than this are separate surfaces
RIDGE = 0.05  # Tikhonov term of the local linear fit, in units of r^2 (the surface is 2-D)
# A face is a facet of a curve (its smooth-shading normals differ from its own) when its
# longest edge exceeds this many resolvable sizes, it is larger than one footprint cell, and
# its corners' smooth normals turn more than FACET_MIN_DEG from it: finer facets average out
# inside the eye's footprint, and a face the footprint takes in whole is seen through its own
# mean normal (smooth-shading it put the mean of its corners' normals there instead: a
# one-ring low-pass that read relief on slivers 0.7-0.8 of itself).
FACET_EDGE_R = 1.0
FACET_MIN_DEG = 1.0

# the voxel grid is laid in a fixed generic orientation, so that axis-aligned models (plates,
# boxes: common in CAD) are binned like any other pose instead of being a best case
_GRID = np.linalg.qr(np.array([[0.8, -0.35, 0.49], [0.41, 0.9, -0.13], [-0.44, 0.26, 0.86]]))[0]

_OFFSETS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)],
                    dtype=np.int64)
# The patch-field fit around a fine node takes the patch nodes of the 4 x 4 x 4 patch voxels
# nearest it (the two on either side along each axis: at least 3 r = 2 of the fit's sigmas
# away, 4-5 r on the far side); one 3 x 3 x 3 block around its patch node (2-4 r, less on the
# side the fine node sits) truncated the Gaussian and read a wave of 8 r 24 % low
# (tests/test_specular.py test_band_transfer_matches_the_definition).
FIT_BLOCK = 4
FIT_CUT = 3.0  # fit neighbours beyond this many of its sigmas weigh under 1.1 %: left out
_FIT_OFFSETS = np.array([(i, j, k) for i in range(FIT_BLOCK) for j in range(FIT_BLOCK)
                         for k in range(FIT_BLOCK)], dtype=np.int64)


@dataclass(frozen=True)
class NormalVariation:
    band_mm: tuple[float, float]  # (r_eff, 4 r_eff)
    coarsened: bool  # True when r_eff > requested r (too many nodes)
    footprint_mm: float  # h1: the fine voxel, one independent footprint
    positions: np.ndarray  # (n, 3) patch-node centroids, mm
    areas: np.ndarray  # (n,) surface area each patch node stands for, mm^2
    variation_rad: np.ndarray  # (n,) V, RMS band-pass normal deviation over the patch (facets)
    smooth_variation_rad: np.ndarray  # (n,) V with faceted faces smooth-shaded (<= facets)
    deviation_rad: np.ndarray  # (n,) RMS d inside the patch node itself
    toksvig: np.ndarray  # (n,) area-mean |mean normal| of the footprints (1 = no spread)
    faces: np.ndarray  # (n,) one face id under each patch node
    pair_src: np.ndarray  # (p,) neighbourhood pairs (node, neighbour), self included
    pair_dst: np.ndarray
    pair_dist: np.ndarray  # (p,) their distances, mm
    face_node: np.ndarray  # (n_faces,) patch node of each face's first point (-1 = none)
    faceted_share: float  # area share of faces that are facets of a curve wider than r
    # the integration points in the grid's frame, kept for reading regions at other grid
    # phases (phase_readings); None for an empty model
    points: "_Points | None" = field(default=None, repr=False, compare=False)
    # (n,) RMS d inside the patch node with faceted faces smooth-shaded (<= deviation_rad)
    smooth_deviation_rad: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _Points:
    """What a re-reading at another grid phase needs: the points (grid frame), their weights,
    both readings' normals (grid frame; `moved`: the points the smooth reading changes), the
    grid's origin and the band, and each point's patch node in the first reading."""

    pts: np.ndarray
    w: np.ndarray
    nrm: np.ndarray
    nrm_smooth: np.ndarray
    moved: np.ndarray
    origin: np.ndarray
    r_eff: float
    patch: np.ndarray
    # each point's face, and the faces' planes (faces, face normals, face areas of the mesh
    # the points were drawn on), for telling a crease between planes from noise (designed_form)
    fid: np.ndarray | None = None
    mesh: tuple | None = None




def _integration_points(vertices, faces, areas, spacing, rng):
    """One point per small face (its centroid), a stratified few on large ones: (points,
    face index, weight, barycentric (u, v))."""
    per = np.ceil(areas / (spacing * spacing)).astype(np.int64)
    per = np.clip(per, 1, None)
    total = int(per.sum())
    if total > MAX_POINTS:  # huge flat faces: thin them out evenly
        per = np.clip(np.floor(per * (MAX_POINTS / total)).astype(np.int64), 1, None)
    small = per == 1
    sf = np.flatnonzero(small)
    big = np.flatnonzero(~small)
    rep = np.repeat(big, per[big])
    u = np.vstack([np.full((len(sf), 2), 1.0 / 3.0), rng.random((len(rep), 2))])
    flip = u.sum(axis=1) > 1.0
    u[flip] = 1.0 - u[flip]
    fid = np.concatenate([sf, rep])
    t0 = vertices[faces[fid, 0]]
    pts = (t0 + u[:, :1] * (vertices[faces[fid, 1]] - t0)
           + u[:, 1:] * (vertices[faces[fid, 2]] - t0))
    w = np.concatenate([areas[sf], areas[rep] / per[rep]])
    return pts, fid, w, u


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


def _nodes(sp, normals, label=None):
    """Nodes = (voxel, side): sorted keys voxel * 4 + side, one member per node, inverse.
    With `label` (a piece per item: piece_readings) the sides are taken inside each (voxel,
    piece), and a voxel's (piece, side) pairs are its nodes, in order, the fourth and later
    ones sharing its last slot."""
    usp, inv_v = np.unique(sp, return_inverse=True)
    inv_v = inv_v.ravel()
    if label is None:
        key = inv_v * 4 + _sides(inv_v, normals)
    else:
        _, grp = np.unique(inv_v * (int(label.max()) + 1) + label, return_inverse=True)
        grp = grp.ravel()
        sub, sub_inv = np.unique(grp * 4 + _sides(grp, normals), return_inverse=True)
        vox = inv_v[np.unique(sub_inv.ravel(), return_index=True)[1]]  # voxel of each pair
        rank = np.arange(len(sub)) - np.searchsorted(vox, vox)  # pairs sorted by voxel
        key = inv_v * 4 + np.minimum(rank, 3)[sub_inv.ravel()]
    present = np.bincount(key, minlength=4 * len(usp)) > 0
    inv = (np.cumsum(present) - 1)[key]
    nodes = np.flatnonzero(present)
    first = np.empty(len(nodes), dtype=np.int64)
    first[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
    return usp[nodes // 4] * 4 + nodes % 4, first, inv


def _pairs(c_ijk, c_sp, cdims, offsets=_OFFSETS):
    """(node, neighbour) pairs over the voxels around each node (3x3x3 unless told), every
    side (the crease test keeps the far side of a thin sheet out), the node itself included.
    The order (by offset, then slot) is fixed, so every sum over the pairs is reproducible."""
    nc = len(c_sp)
    src, dst = [], []
    for off in offsets:
        q = _sp(c_ijk + off, cdims)
        j = np.searchsorted(c_sp, q)
        for s in range(SLOTS):
            js = np.minimum(j + s, nc - 1)
            hit = np.flatnonzero((j + s < nc) & (c_sp[js] == q))
            src.append(hit)
            dst.append(js[hit])
    return np.concatenate(src), np.concatenate(dst)


@dataclass(frozen=True)
class _Structure:
    """The nodes of one model at one band, and who neighbours whom (fixed for both readings)."""

    r_eff: float
    h1: float
    point_fine: np.ndarray  # fine node of every splat entry (a point's share of one node)
    fine_first: np.ndarray  # first entry of every fine node
    fine_a: np.ndarray  # area of every fine node
    fine_pos: np.ndarray  # area-weighted centroid of every fine node
    fine_patch: np.ndarray  # patch node of every fine node
    c_a: np.ndarray  # area of every patch node
    c_pos: np.ndarray
    c_first: np.ndarray  # first fine node of every patch node
    src: np.ndarray  # neighbour pairs of patch nodes (self included)
    dst: np.ndarray
    dx: np.ndarray  # c_pos[dst] - c_pos[src]
    dist: np.ndarray
    fit_src: np.ndarray  # fine node of every patch-field fit pair (sorted)
    fit_dst: np.ndarray  # patch node it fits (the 5x5x5 patch voxels around the fine node's)
    # the piece of every patch node when read piece by piece (piece_readings): the fit and the
    # window then keep to the node's own piece; None for the plain reading
    c_label: np.ndarray | None = None
    entry_point: np.ndarray | None = None  # the point of every splat entry
    entry_w: np.ndarray | None = None  # its weight (the point's area times its tent weight)
    point_home: np.ndarray | None = None  # the fine node each point weighs most in

    @property
    def n(self) -> int:
        return len(self.c_a)


def _structure(pts, nrm, w, origin, r_eff, label=None, tent=False) -> _Structure:
    """Steps 1-2 of the module docstring: fine and patch nodes (sides split by nrm, and by
    `label`, a piece per point, when given), pairs."""
    h1 = FOOT * r_eff
    ijk, pid, we, home, step = _splat(pts, w, origin, h1, tent)
    dims = ijk.max(axis=0) + 3
    ukey, first, inv = _nodes(_sp(ijk, dims), nrm[pid], None if label is None else label[pid])
    nf = len(ukey)
    a = np.bincount(inv, weights=we, minlength=nf)
    pos = _sum_by(inv, nf, pts[pid] * we[:, None]) / a[:, None]
    f_n = _unit(_sum_by(inv, nf, nrm[pid] * we[:, None]))
    h2 = PATCH * r_eff
    f_ijk = np.maximum(np.floor((pos - origin) / h2).astype(np.int64), 0)
    cdims = (dims * step / h2).astype(np.int64) + 3
    f_label = None if label is None else label[pid[first]]
    ckey, cfirst, c_of_f = _nodes(_sp(f_ijk, cdims), f_n, f_label)
    nc = len(ckey)
    c_a = np.bincount(c_of_f, weights=a, minlength=nc)
    c_pos = _sum_by(c_of_f, nc, pos * a[:, None]) / c_a[:, None]
    src, dst = _pairs(f_ijk[cfirst], ckey // 4, cdims)
    dx = c_pos[dst] - c_pos[src]
    fit_src, fit_dst = _fine_pairs((pos - origin) / h2, f_ijk[cfirst], cdims)
    return _Structure(r_eff, h1, inv, first, a, pos, c_of_f, c_a, c_pos, cfirst, src, dst, dx,
                      np.sqrt(np.einsum("pj,pj->p", dx, dx)), fit_src, fit_dst,
                      None if label is None else f_label[cfirst], pid, we, inv[home])


_CORNERS = np.array([(i, j, k) for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=np.int64)


def _splat(pts, w, origin, h1, tent):
    """The fine nodes' footprints (step 1): (lattice index, point, weight) of every entry, each
    point's heaviest entry, and the lattice step. The box: each point in the one voxel of
    width h1 it falls in. The tent: every point shared among the 8 lattice nodes around it by
    trilinear weights, the step h1 / sqrt(2) (per axis the second moment step^2 / 6 =
    h1^2 / 12, the box's: the Gaussian of FWHM r). A box's edges cut the surface: its transfer
    is a sinc whose side lobes pass ~22 % of a slope's amplitude far finer than r (relief at
    0.45 r read as band variation, limit (d)); the tent is continuous and passes the sinc
    squared (~5 %)."""
    if not tent:
        ijk = np.maximum(np.floor((pts - origin) / h1).astype(np.int64), 0)
        ids = np.arange(len(pts))
        return ijk, ids, w, ids, h1
    step = h1 / np.sqrt(2.0)
    u = (pts - origin) / step
    base = np.floor(u).astype(np.int64)
    f = u - base
    wt = np.prod(np.where(_CORNERS[None, :, :] == 1, f[:, None, :], 1.0 - f[:, None, :]),
                 axis=2)  # (points, 8)
    ijk = (base[:, None, :] + _CORNERS[None, :, :]).reshape(-1, 3)
    pid = np.repeat(np.arange(len(pts)), len(_CORNERS))
    home = np.arange(len(pts)) * len(_CORNERS) + wt.argmax(axis=1)
    return ijk, pid, (w[:, None] * wt).ravel(), home, step


def _fine_pairs(u, c_ijk, cdims):
    """(fine node, patch node) pairs over the FIT_BLOCK^3 patch voxels nearest each fine node
    (u: its position in patch-voxel units; c_ijk: the patch nodes' voxels), every side. The
    voxel keys are linear in the voxel, so a query is a key plus an offset's key; one sorted
    search for all. Indices are shifted by FIT_BLOCK so no query goes below zero. The order
    (slot, then fine node, then offset) is fixed."""
    nf, nc = len(u), len(c_ijk)
    dims = cdims + 2 * FIT_BLOCK
    c_sp = _sp(c_ijk + FIT_BLOCK, dims)  # same order as the nodes (lexicographic)
    base = np.floor(u - 0.5).astype(np.int64) - (FIT_BLOCK // 2 - 1) + FIT_BLOCK
    q = (_sp(base, dims)[:, None] + _sp(_FIT_OFFSETS, dims)[None, :]).ravel()
    j = np.minimum(np.searchsorted(c_sp, q), nc - 1)
    hit = np.flatnonzero(c_sp[j] == q)  # the voxel's first side; most queries miss
    j = j[hit]
    src, dst = [hit], [j]
    for s in range(1, SLOTS):  # further sides of the voxels found (a box edge, a sheet)
        more = np.flatnonzero((j + s < nc) & (c_sp[np.minimum(j + s, nc - 1)] == c_sp[j]))
        src.append(hit[more])
        dst.append(j[more] + s)
    return np.concatenate(src) // len(_FIT_OFFSETS), np.concatenate(dst)


@dataclass(frozen=True)
class _Design:
    """The patch-field fit's weights around every fine node (step 3), shared by both readings:
    G (fine x patch nodes, rows summing to one), the positions (about a common centre) and
    tangent projectors of the fine nodes, the weighted tangent offset mean and the inverse of
    the offsets' weighted covariance (ridged)."""

    G: object  # scipy.sparse.csr_matrix
    p: np.ndarray  # (nc, 3) patch-node positions about the centre
    x: np.ndarray  # (nf, 3) fine-node positions about the centre
    proj: np.ndarray  # (nf, 3, 3) tangent-plane projector of each fine node
    mx: np.ndarray  # (nf, 3)
    cov_inv: np.ndarray  # (nf, 3, 3)


def _design(st: _Structure, c_n, s_fit: float, crease_deg: float = CREASE_DEG,
            rows: np.ndarray | None = None, wide: np.ndarray | None = None) -> _Design:
    """Gaussian weights (sigma s_fit, times the patch node's area) of the patch nodes around
    every fine node, on offsets in the tangent plane of the fine node's patch node; pairs
    across a crease (patch normals more than CREASE_DEG apart) or beyond FIT_CUT sigmas are
    left out. Every moment is a sparse product of G with per-patch-node columns:
    sum g dx = P (G p - x), sum g dx dx^T = P (G pp^T - (G p) x^T - x (G p)^T + x x^T) P."""
    from scipy.sparse import csr_matrix

    nf, nc = len(st.fine_a), st.n
    fs, dd = st.fit_src, st.fit_dst
    if rows is not None:  # only these fine nodes' fits (the other rows stay empty)
        on = np.zeros(nf, bool)
        on[rows] = True
        sel = np.flatnonzero(on[fs])
        fs, dd = fs[sel], dd[sel]
    nref = c_n[st.fine_patch[fs]]
    dx = st.c_pos[dd] - st.fine_pos[fs]
    dx -= np.einsum("pj,pj->p", dx, nref)[:, None] * nref
    d2 = np.einsum("pj,pj->p", dx, dx)
    cos = np.einsum("pj,pj->p", c_n[dd], nref)
    turn_ok = cos > np.cos(np.radians(crease_deg))
    if wide is not None:  # rough neighbours: only one facing away is another surface
        turn_ok &= (cos > np.cos(np.radians(CREASE_DEG))) | wide[dd]
    if st.c_label is not None:  # read piece by piece: another piece is across a crease
        turn_ok &= st.c_label[dd] == st.c_label[st.fine_patch[fs]]
    keep = np.flatnonzero((d2 <= (FIT_CUT * s_fit) ** 2) & turn_ok)
    g = np.exp(-0.5 * d2[keep] / (s_fit * s_fit)) * st.c_a[dd[keep]]
    gs = np.bincount(fs[keep], weights=g, minlength=nf)
    g /= np.where(gs > 0, gs, 1.0)[fs[keep]]  # rows sum to one
    G = csr_matrix((g, (fs[keep], dd[keep])), shape=(nf, nc))
    centre = st.c_pos.mean(axis=0)  # mm-scale numbers: float64 keeps ~1e-12 relative
    p, x = st.c_pos - centre, st.fine_pos - centre
    cn = c_n[st.fine_patch]
    proj = np.eye(3)[None] - cn[:, :, None] * cn[:, None, :]
    mom = G @ np.hstack([p, (p[:, :, None] * p[:, None, :]).reshape(nc, 9)])
    gp, gpp = mom[:, :3], mom[:, 3:].reshape(nf, 3, 3)
    raw = gpp - gp[:, :, None] * x[:, None, :] - x[:, :, None] * gp[:, None, :] \
        + x[:, :, None] * x[:, None, :]
    mx = (proj @ (gp - x)[:, :, None])[:, :, 0]
    cov = proj @ raw @ proj
    cov -= mx[:, :, None] * mx[:, None, :]
    cov += RIDGE * st.h1 * st.h1 * np.eye(3)
    return _Design(G, p, x, proj, mx, np.linalg.inv(cov))


def _fit(design: _Design, mean, rows: np.ndarray):
    """Step 3: the local linear fit of the patch nodes' mean normals around the fine nodes
    `rows` (sorted ids), centred on each: the patch normal field there, not normalised."""
    d = design
    nc = len(d.p)
    G = d.G[rows] if len(rows) < len(d.mx) else d.G
    mom = G @ np.hstack([mean, (d.p[:, :, None] * mean[:, None, :]).reshape(nc, 9)])
    mm, gpm = mom[:, :3], mom[:, 3:].reshape(len(rows), 3, 3)
    x, mx = d.x[rows], d.mx[rows]
    cross = d.proj[rows] @ (gpm - x[:, :, None] * mm[:, None, :])
    cross -= mx[:, :, None] * mm[:, None, :]
    slope = d.cov_inv[rows] @ cross
    return mm - (mx[:, None, :] @ slope)[:, 0, :]


def _window(st: _Structure, dev_f, c_n, crease_deg: float, s4: float,
            wide: np.ndarray | None = None) -> np.ndarray:
    """Step 4: V per patch node, the Gaussian-weighted (FWHM 4r) RMS of the fine deviations
    over its neighbourhood, neighbours across a crease left out."""
    n, cp = st.n, st.fine_patch
    cos = np.einsum("pj,pj->p", c_n[st.dst], c_n[st.src])
    same = cos > np.cos(np.radians(crease_deg))
    if wide is not None:
        same &= (cos > np.cos(np.radians(CREASE_DEG))) | wide[st.dst]
    if st.c_label is not None:
        same &= st.c_label[st.dst] == st.c_label[st.src]
    c_d2 = np.bincount(cp, weights=st.fine_a * dev_f * dev_f, minlength=n)
    gv = np.exp(-0.5 * np.square(st.dist / s4)) * same
    num = np.bincount(st.src, weights=gv * c_d2[st.dst], minlength=n)
    den = np.bincount(st.src, weights=gv * st.c_a[st.dst], minlength=n)
    return np.sqrt(np.divide(num, den, out=np.zeros(n), where=den > 0))


def _deviations(design: _Design, c_mean, f_n, dev_f, rows) -> np.ndarray:
    """d at the fine nodes `rows` (the others kept from dev_f): angle(n_r, n_4r)."""
    out = dev_f.copy()
    n4 = _unit(_fit(design, c_mean, rows))
    out[rows] = np.arccos(np.clip(np.einsum("nj,nj->n", n4, f_n[rows]), -1.0, 1.0))
    return out


def _band(st: _Structure, nrm, w, first: dict | None = None, moved=None) -> dict:
    """Steps 3-4 of the module docstring on one set of integration normals. The second
    reading reuses the first's fit designs (weights, crease test, rough nodes) and refits only
    the fine nodes whose points (`moved`: bool per point) or fit neighbours changed."""
    nf, n = len(st.fine_a), st.n
    f_sum = _sum_by(st.point_fine, nf, nrm[st.entry_point] * st.entry_w[:, None])
    f_n = _unit(f_sum)
    f_tok = np.divide(np.linalg.norm(f_sum, axis=1), st.fine_a, out=np.ones(nf),
                      where=st.fine_a > 0)
    c_sum = _sum_by(st.fine_patch, n, f_sum)
    c_mean = c_sum / st.c_a[:, None]  # mean normal of the patch node (linear fields: exact)
    c_n = _unit(c_sum)
    r_eff, h2 = st.r_eff, PATCH * st.r_eff
    s4 = 4.0 * r_eff * FWHM_TO_SIGMA
    # the patch normal is the eye's normal averaged over the patch (docs/accuracy.md: blur(r)
    # then blur(4r), variances adding): the patch nodes sum the points' raw normals, so the
    # fit's Gaussian carries the footprint's variance (h1^2 / 12 = sigma_r^2) besides the
    # patch's, less the patch nodes' own box (h2). Leaving the footprint's out made the patch
    # normal follow long waves closer than the definition's (a wave of 8 r read 0.96 of it,
    # 10 r 0.95: the deviation's transfer G_r - G_4r instead of G_r (1 - G_4r))
    s_fit = np.sqrt(max(s4 * s4 + st.h1 * st.h1 / 12.0 - h2 * h2 / 12.0, (0.5 * r_eff) ** 2))
    cp = st.fine_patch
    if first is None:
        design, rows = _design(st, c_n, s_fit), np.arange(nf)
        dev_f = _deviations(design, c_mean, f_n, np.zeros(nf), rows)
    else:
        design = first["design"]
        hit = np.zeros(nf, bool)
        hit[st.point_fine[moved[st.entry_point]]] = True
        near = np.zeros(n, bool)
        near[cp[hit]] = True
        hit |= (design.G @ near.astype(np.float64)) > 0  # their fits see a moved patch node
        dev_f = _deviations(design, c_mean, f_n, first["dev_f"], np.flatnonzero(hit))
    var = _window(st, dev_f, c_n, CREASE_DEG, s4)
    if first is None:
        # a surface folding back within the window (a neighbour turned more than 90°: a tip,
        # a rod, a rim narrower than the band) is form, not relief: it keeps the crease test
        folded = np.bincount(st.src, weights=np.einsum("pj,pj->p", c_n[st.dst],
                                                        c_n[st.src]) < 0.0, minlength=n) > 0
        rough = (var > np.radians(ROUGH_DEG)) & ~folded
    else:
        rough = first["rough"]
    rough_design = first["rough_design"] if first is not None else None
    if rough.any():  # steep relief: rough neighbours up to ROUGH_CREASE_DEG
        near = np.zeros(n, bool)
        near[st.dst[rough[st.src]]] = True  # every node in a rough node's window
        rows = np.flatnonzero(near[cp])
        if rough_design is None:
            rough_design = _design(st, c_n, s_fit, ROUGH_CREASE_DEG, rows, rough)
        dev_r = _deviations(rough_design, c_mean, f_n, dev_f, rows)
        var = np.where(rough, _window(st, dev_r, c_n, ROUGH_CREASE_DEG, s4, rough), var)
        dev_all = np.where(rough[cp], dev_r, dev_f)  # what the window of each node reads
    else:
        dev_all = dev_f
    return dict(var=var, dev=np.sqrt(np.bincount(cp, weights=st.fine_a * dev_all * dev_all,
                                                 minlength=n) / st.c_a),
                tok=np.bincount(cp, weights=st.fine_a * f_tok, minlength=n) / st.c_a,
                design=design, dev_f=dev_f, rough=rough, rough_design=rough_design)


def faceted_faces(vertices, faces, face_areas, face_normals, r_eff: float):
    """(face ids, their corner normals) of the faces that are facets of a curve wider than
    the eye resolves: faces with an edge longer than FACET_EDGE_R r, larger than one
    footprint cell (one integration point's share), whose smooth-shading corner normals turn
    more than FACET_MIN_DEG from their own normal."""
    from ..raster import corner_normals

    v = vertices
    e = np.stack([np.linalg.norm(v[faces[:, (k + 1) % 3]] - v[faces[:, k]], axis=1)
                  for k in range(3)], axis=1).max(axis=1)
    cell = (FOOT * r_eff) ** 2 / POINTS_PER_CELL  # one integration point's share
    big = np.flatnonzero((e > FACET_EDGE_R * r_eff) & (face_areas > cell))
    if not len(big):
        return big, np.zeros((0, 3, 3))
    cn = corner_normals(faces, face_normals, face_areas, subset=big)
    turn = np.einsum("fkj,fj->fk", cn, face_normals[big]).min(axis=1)
    keep = turn < np.cos(np.radians(FACET_MIN_DEG))
    return big[keep], cn[keep]


def coarse_band(r: float, area: float) -> float:
    """The band's r_eff (mm) for a surface of `area` mm^2 read at resolvable size `r`: r
    itself up to MAX_FINE eye cells, above that the first rung of r * 2^(k / LADDER_STEPS)
    that keeps area / r_eff^2 within MAX_FINE (rounded up, so the cap still holds)."""
    need = float(np.sqrt(area / MAX_FINE)) if area > 0 else 0.0
    if need <= r:
        return float(r)
    k = int(np.ceil(LADDER_STEPS * np.log2(need / r)))
    while r * 2.0 ** (k / LADDER_STEPS) < need:  # log2's last bit
        k += 1
    return float(r * 2.0 ** (k / LADDER_STEPS))


def compute(vertices, faces, face_areas, face_normals, resolvable_mm: float,
            seed: int = 0) -> NormalVariation:
    """Both readings of the band-pass normal variation (module docstring)."""
    rng = np.random.default_rng(seed)
    area_total = float(face_areas.sum())
    r = float(resolvable_mm)
    r_eff = coarse_band(r, area_total)
    coarsened = r_eff > r * (1 + 1e-9)
    h1 = FOOT * r_eff  # fine voxel (footprint) size; patch nodes are 2 h1
    keep = np.flatnonzero(face_areas > 0)
    if not len(keep):
        e3, e1, ei = np.zeros((0, 3)), np.zeros(0), np.zeros(0, np.int64)
        return NormalVariation((r_eff, 4.0 * r_eff), bool(coarsened), h1, e3, e1, e1, e1, e1,
                               e1, ei, ei, ei, e1, np.full(len(faces), -1, np.int64), 0.0)
    pts, fid, w, bary = _integration_points(vertices, faces[keep], face_areas[keep],
                                            h1 / np.sqrt(POINTS_PER_CELL), rng)
    fid = keep[fid]
    pts = pts @ _GRID
    origin = pts.min(axis=0) - h1
    nrm = face_normals[fid]
    st = _structure(pts, nrm @ _GRID, w, origin, r_eff)
    nrm_f = nrm @ _GRID
    flat = _band(st, nrm_f, w)
    smooth_var, smooth_dev = flat["var"], flat["dev"]
    nrm_s, on = nrm_f, np.zeros(len(w), bool)
    fac, cn = faceted_faces(vertices, faces, face_areas, face_normals, r_eff)
    share = float(face_areas[fac].sum()) / area_total if area_total > 0 else 0.0
    if len(fac):  # the second reading, on the same nodes: facets smooth-shaded
        slot = np.full(len(faces), -1, np.int64)
        slot[fac] = np.arange(len(fac))
        on = slot[fid] >= 0
        nrm = nrm.copy()
        c = cn[slot[fid[on]]]
        u, v = bary[on, :1], bary[on, 1:]
        nrm[on] = _unit((1.0 - u - v) * c[:, 0] + u * c[:, 1] + v * c[:, 2])
        nrm_s = nrm @ _GRID
        smooth = _band(st, nrm_s, w, flat, on)
        smooth_var, smooth_dev = smooth["var"], smooth["dev"]
    face_node = np.full(len(faces), -1, dtype=np.int64)
    face_node[fid[::-1]] = st.fine_patch[st.point_home][::-1]  # first point of each face wins
    return NormalVariation((r_eff, 4.0 * r_eff), bool(coarsened), h1,
                           st.c_pos @ _GRID.T, st.c_a, flat["var"],
                           np.minimum(smooth_var, flat["var"]), flat["dev"], flat["tok"],
                           fid[st.entry_point[st.fine_first[st.c_first]]], st.src, st.dst,
                           st.dist,
                           face_node, share,
                           _Points(pts, w, nrm_f, nrm_s, on, origin, r_eff,
                                   st.fine_patch[st.point_home], fid,
                                   (faces, face_normals, face_areas)),
                           np.minimum(smooth_dev, flat["dev"]))


def for_analysis(analysis, resolvable_mm: float) -> NormalVariation:
    """Memoised per (model, r): several finishes and MS303 share one computation.

    A mesh much finer than half a resolvable size is measured on its raster (the same mesh
    clustered to r/2 that the silhouettes and the light orbit cast: raster.for_analysis): the
    eye's footprint averages whatever is finer, and 8M sub-resolution faces cost nothing then.
    Node faces are mapped back to the model's own faces (the picture layer's face nodes through
    the clustering's vertex map)."""
    from dataclasses import replace

    from .. import raster

    key = f"normal_variation:{resolvable_mm!r}"

    def make(a):
        seed = a.rng(301).integers(1 << 31)
        rast = raster.for_analysis(a, 0.5 * resolvable_mm)
        if rast.cell_mm <= 0:
            m = a.model
            return compute(m.vertices, m.faces, a.face_areas, a.face_normals, resolvable_mm,
                           seed=seed)
        nv = compute(rast.vertices, rast.faces, rast.face_areas, rast.face_normals,
                     resolvable_mm, seed=seed)
        # a model face takes the node of a raster face around the vertex its first corner
        # became (integer gathers only: 8M faces cost milliseconds)
        vnode = np.full(len(rast.vertices), -1, np.int64)
        vnode[rast.faces.ravel()] = np.repeat(nv.face_node, 3)
        return replace(nv, faces=rast.face_ids[nv.faces],
                       face_node=vnode[rast.vertex_map[a.model.faces[:, 0]]])

    return analysis.cached(key, make)


# --- the grid's phase ---------------------------------------------------------------------------
# The voxel grids are one arbitrary choice of phase: a region near its limit reads differently
# on a grid shifted by part of a voxel (docs/specular.md limit (c): ~10 % on relief, far more
# on a thin fold -- an ear's rim, a rod -- whose sides one grid splits and another merges).
# That spread is part of the measurement's uncertainty, so a region the check may fail is read
# again on grids whose origins are shifted by PHASES patch voxels (2 r; the footprint grid moves
# with them): half a voxel along each axis, the shift farthest from the first grid's
# boundaries, and a generic one (a quarter / three quarters / five eighths). The readings of
# each cell over the three grids measure its reading error (_cell_error); the half-voxel shift
# alone is blind to an error that repeats every half voxel (a fold whose sides one grid splits
# and the other merges alike: a thin rod's two-grid error estimate was 4 % where four grid
# origins read it 0.22-0.53). Thin rods read on 12 grid origins a fifth of a voxel apart fail
# at none (tests/test_specular.py test_thin_rod_is_not_failed_by_one_grid). The second shift
# costs ~8 % of the kernel on the samples (docs/specular.md).
PHASES = np.array([[0.5, 0.5, 0.5]])
# A re-reading covers the points within REACH_R r of a region's points: a patch node's window
# (Gaussian of FWHM 4r: its 3 sigma is 5 r) of fine nodes whose fits reach 4.5 r further
# (FIT_CUT sigmas; the window's own tail past 2 sigma weighs under 5 %, so its fits are cut
# short only where they hardly count). Points are gathered by blocks of REACH_R / REACH_BLOCKS
# r and the blocks within REACH_BLOCKS of one holding a region point, so every point within
# REACH_R r of a region point is in.
REACH_R = 9.0
REACH_BLOCKS = 2
_REACH_OFFSETS = np.array([(i, j, k) for i in range(-REACH_BLOCKS, REACH_BLOCKS + 1)
                           for j in range(-REACH_BLOCKS, REACH_BLOCKS + 1)
                           for k in range(-REACH_BLOCKS, REACH_BLOCKS + 1)], dtype=np.int64)


def _near_points(p: _Points, sel: np.ndarray) -> np.ndarray:
    """Ids of the points in the blocks within REACH_BLOCKS of a block holding a point of `sel`
    (bool per point)."""
    size = REACH_R / REACH_BLOCKS * p.r_eff
    b = np.floor((p.pts - p.origin) / size).astype(np.int64) + REACH_BLOCKS
    dims = b.max(axis=0) + REACH_BLOCKS + 1
    key = _sp(b, dims)
    marked = np.unique(key[sel])
    bm = np.stack(np.unravel_index(marked, tuple(dims)), axis=1)
    near = np.unique((_sp(bm, dims)[:, None] + _sp(_REACH_OFFSETS, dims)[None, :]).ravel())
    return np.flatnonzero(np.isin(key, near))


def _cell_error(reg, cell, w, reads, n_reg) -> tuple[np.ndarray, np.ndarray]:
    """(relative sigma, effective count of cells) of each region's first-grid level L (the
    area-weighted RMS of reads[0], a reading per point) as a reading of its own surface's band
    angle. Each cell (the first grid's patch node `cell` of a point) errs by where the voxel
    lattice falls on its relief, and the other grids' readings of the same points are further
    draws of that error, so the sample variance of a cell's d^2 over the grids estimates its
    variance; the cells' errors are independent (the relief's phase against the lattice
    changes from cell to cell), so the region's L^2 errs by the root of their weighted sum,
    and L by half that relative to L^2; the estimate rests on the cells' effective count
    (sum W)^2 / sum W^2 of their weights W (docs/specular.md, reading this surface)."""
    span = int(cell.max()) + 1
    key, inv = np.unique(reg * span + cell, return_inverse=True)
    creg = key // span
    wc = np.bincount(inv, weights=w)
    dc = np.array([np.bincount(inv, weights=w * x ** 2) / wc for x in reads])  # (grids, cells)
    var = np.bincount(creg, weights=wc ** 2 * dc.var(axis=0, ddof=1), minlength=n_reg)
    W = np.bincount(creg, weights=wc, minlength=n_reg)
    W2 = np.bincount(creg, weights=wc ** 2, minlength=n_reg)
    lev2 = np.bincount(reg, weights=w * reads[0] ** 2, minlength=n_reg)  # L^2 W
    sig = np.sqrt(var) / np.maximum(2.0 * lev2, 1e-300)  # sqrt(var) / W over 2 L^2
    return sig, np.divide(W ** 2, W2, out=np.ones(n_reg), where=W2 > 0)


def _region_reader(nv: NormalVariation, regions: list[np.ndarray], piece=None):
    """What reading `regions` again needs: (rms, read, ids, reg), rms(v) the area-weighted RMS
    per region of a reading per point of `ids` (the points within REACH_R r of a region's
    points), read(shift, tent) the (facets, smooth) d per point on the grid shifted by `shift`
    patch voxels with the box or the tent footprint, and each point's region (-1 outside)."""
    p = nv.points
    label = np.full(len(nv.areas), -1, np.int64)
    for k, nodes in enumerate(regions):  # a handful of regions, not a loop over nodes
        label[nodes] = k
    reg = label[p.patch]
    ids = _near_points(p, reg >= 0)
    reg = reg[ids]
    inside = reg >= 0
    wr = p.w[ids][inside]
    den = np.bincount(reg[inside], weights=wr, minlength=len(regions))

    def rms(v):
        num = np.bincount(reg[inside], weights=wr * v[inside] ** 2, minlength=len(regions))
        return np.sqrt(np.divide(num, den, out=np.zeros(len(regions)), where=den > 0))

    pts, w, moved = p.pts[ids], p.w[ids], p.moved[ids]
    lab = None if piece is None else piece[p.fid[ids]]
    h2 = PATCH * p.r_eff

    def read(shift, tent=False):
        st = _structure(pts, p.nrm[ids], w, p.origin - shift * h2, p.r_eff, lab, tent)
        flat = _band(st, p.nrm[ids], w)
        dev = flat["dev"]
        smooth = _band(st, p.nrm_smooth[ids], w, flat, moved)["dev"] if moved.any() else dev
        node = st.fine_patch[st.point_home]
        return dev[node], np.minimum(smooth, dev)[node]

    return rms, read, ids, reg


def phase_readings(nv: NormalVariation, regions: list[np.ndarray],
                   piece: np.ndarray | None = None) -> np.ndarray:
    """(len(regions), 6) of each region (the area-weighted RMS deviation d over its patch
    nodes: deviation_rad) over the grid phases, the first grid's (nv's own) and PHASES: the
    lowest smooth reading, the highest facet reading, the relative sigma of the first grid's
    reading of its own surface (the larger of the two readings': _cell_error), the effective
    count of cells it rests on, and the first grid's facet and smooth readings. A region's
    points are its nodes' integration points; on another grid each point reads the RMS d of
    the node it falls in there. With `piece` (a piece per face: piece_of_faces) every grid,
    the first one too, is read piece by piece: no node, fit or window joins two pieces."""
    p = nv.points
    out = np.zeros((len(regions), 6))
    if not regions or p is None:
        return out
    rms, read, ids, reg = _region_reader(nv, regions, piece)
    inside = reg >= 0
    if piece is None:
        first_f, first_s = nv.deviation_rad[p.patch[ids]], nv.smooth_deviation_rad[p.patch[ids]]
    else:
        first_f, first_s = read(np.zeros(3))
    out[:, 4], out[:, 5] = rms(first_f), rms(first_s)
    lo, hi = out[:, 5].copy(), out[:, 4].copy()
    flats, smooths = [first_f[inside]], [first_s[inside]]
    for shift in PHASES:  # a fixed few phases
        dev, smooth = read(shift)
        hi = np.maximum(hi, rms(dev))
        lo = np.minimum(lo, rms(smooth))
        flats.append(dev[inside])
        smooths.append(smooth[inside])
    wr = p.w[ids][inside]
    (sf, df), (ss, ds) = (_cell_error(reg[inside], p.patch[ids][inside], wr, x, len(regions))
                          for x in (flats, smooths))
    out[:, 0], out[:, 1] = lo, hi
    out[:, 2], out[:, 3] = np.maximum(sf, ss), np.minimum(df, ds)
    return out


def tent_readings(nv: NormalVariation, regions: list[np.ndarray],
                  piece: np.ndarray | None = None) -> np.ndarray:
    """(len(regions), 2): each region's facet and smooth readings on the first grid with the
    tent footprint (_splat) in place of the box -- the other discretisation of the eye's
    Gaussian, which passes relief finer than r through side lobes ~5x weaker than the box's
    (docs/specular.md limit (d)). Not a draw of the grid's phase, so not in _cell_error.
    `piece` as in phase_readings. It costs about two shifted grids (8 entries a point, twice
    the fine nodes), so the check reads only the bodies the box fails."""
    out = np.zeros((len(regions), 2))
    if not regions or nv.points is None:
        return out
    rms, read, _, _ = _region_reader(nv, regions, piece)
    out[:, 0], out[:, 1] = (rms(x) for x in read(np.zeros(3), tent=True))
    return out


# --- designed form: creases between planes ---------------------------------------------------
# A flat face carries no normal variation at any scale; where two planes meet at a crease the
# footprint normal turns across the crease line, and the band reads that turn (blur(r) minus
# blur(4r) of a step). That is a designed form, one highlight line the edges family judges,
# not noise: a region all of whose points lie on planes at least as large as a patch and that
# spans a crease of CREASE_DEG or more has its variation carried entirely by a few planes.
# Creases gentler than CREASE_DEG between large planes (a coarse sphere's facets) stay: they
# may be the export's facets of a curve (the smooth reading says so: MS300 "export finer").
PLANE_DEG = 0.5  # adjacent faces whose normals agree this closely are one plane (a CAD
#                  quad's two triangles; a 300-section revolve's facets turn 1.2 deg apart)


def _plane_area(faces, face_normals, face_areas) -> np.ndarray:
    """Area (mm^2) of the plane each face belongs to: the connected faces across edges whose
    normals agree within PLANE_DEG."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from .creases import edge_faces

    n = len(faces)
    _, fp = edge_faces(faces)
    same = np.einsum("ij,ij->i", face_normals[fp[:, 0]], face_normals[fp[:, 1]]) \
        > np.cos(np.radians(PLANE_DEG))
    g = coo_matrix((np.ones(int(same.sum())), (fp[same, 0], fp[same, 1])), shape=(n, n))
    _, label = connected_components(g, directed=False)
    return np.bincount(label, weights=face_areas)[label]


def _gather(order, starts, ids):
    """The items of the groups `ids` (CSR: `order` sorted by group, `starts` its bounds)."""
    counts = starts[ids + 1] - starts[ids]
    off = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return order[np.repeat(starts[ids], counts) + off]


def _csr(keys, n):
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(n + 1))


def designed_form(nv: NormalVariation, regions: list[np.ndarray]) -> np.ndarray:
    """Bool per region (patch-node ids): every point its variation is read from (its nodes and
    their neighbourhoods) lies on a plane at least one patch (pi (2r)^2) large, and those
    points' normals span a crease of CREASE_DEG or more -- the variation is a crease between
    planes, not noise."""
    p = nv.points
    out = np.zeros(len(regions), bool)
    if not regions or p is None or p.fid is None:
        return out
    n = len(nv.areas)
    plane = _plane_area(*p.mesh)[p.fid] >= np.pi * (2.0 * p.r_eff) ** 2
    node_flat = np.bincount(p.patch, weights=(~plane).astype(float), minlength=n) == 0
    pt_order, pt_starts = _csr(p.patch, n)
    pr_order, pr_starts = _csr(nv.pair_src, n)
    cos_crease = np.cos(np.radians(CREASE_DEG))
    for k, nodes in enumerate(regions):  # per region (a handful), vectorised inside
        near = np.unique(nv.pair_dst[_gather(pr_order, pr_starts, np.asarray(nodes))])
        if not node_flat[near].all():
            continue
        m = p.nrm[_gather(pt_order, pt_starts, near)]
        b = m[int(np.argmin(m @ m[0]))]  # two farthest-point hops: a lower bound of the spread
        out[k] = float((m @ b).min()) <= cos_crease
    return out


# --- designed form: smooth pieces between creases ---------------------------------------------
# A designed part is piecewise smooth: pieces (planes, cylinders, cones, a low-poly body's
# panels) bounded by hard lines, whatever their size. Where a piece is narrower than the
# footprint or the patch voxels (a hole's chamfer, a rail's bevel), a voxel holds two or three
# of them, and the footprint and patch normals blend their creases into a variation the
# kernel's crease test between voxels cannot leave out. Relief is not made of such pieces:
# the eye resolves it as a surface, so its facets turn gently between neighbours, and where
# they turn by a crease's angle (steep relief) they cut it into fragments smaller than a patch.

def piece_of_faces(faces, face_normals) -> np.ndarray:
    """The piece of every face: the connected faces across edges turning less than CREASE_DEG
    (the kernel's crease angle), i.e. the surface cut at its creases."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from .creases import edge_faces

    n = len(faces)
    _, fp = edge_faces(faces)
    same = np.einsum("ij,ij->i", face_normals[fp[:, 0]], face_normals[fp[:, 1]]) \
        > np.cos(np.radians(CREASE_DEG))
    g = coo_matrix((np.ones(int(same.sum())), (fp[same, 0], fp[same, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def on_pieces(nv: NormalVariation, regions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(bool per region, piece per face): every point the region's variation is read from (its
    nodes and their neighbourhoods) lies on a piece at least one patch (pi (2r)^2) large, and
    those points lie on more than one piece -- the region is then read piece by piece
    (phase_readings with the pieces). Relief cut into fragments by creases of its own (steep
    relief, limit (g)) has pieces smaller than a patch and is read as before."""
    p = nv.points
    out = np.zeros(len(regions), bool)
    if not regions or p is None or p.fid is None:
        return out, np.zeros(0, np.int64)
    faces, face_normals, face_areas = p.mesh
    piece = piece_of_faces(faces, face_normals)
    big = np.bincount(piece, weights=face_areas) >= np.pi * (2.0 * p.r_eff) ** 2
    n = len(nv.areas)
    lab = piece[p.fid]
    node_small = np.bincount(p.patch, weights=(~big[lab]).astype(float), minlength=n) > 0
    pt_order, pt_starts = _csr(p.patch, n)
    pr_order, pr_starts = _csr(nv.pair_src, n)
    for k, nodes in enumerate(regions):  # per region (a handful), vectorised inside
        near = np.unique(nv.pair_dst[_gather(pr_order, pr_starts, np.asarray(nodes))])
        if node_small[near].any():
            continue
        out[k] = len(np.unique(lab[_gather(pt_order, pt_starts, near)])) > 1
    return out, piece
