"""Crease detection, edge chains and bevel radius (the kernel behind the edges family).

Method (docs/edges.md has the derivation):
- every interior mesh edge e joins two faces whose normals differ by the dihedral turn
  theta_e; the strip of surface it stands for is w_e = min(A1 + A2, 3 min(A1, A2)) / l_e
  wide (a fan cap's long triangle does not widen it), so the normal curvature across it is
  kappa_e = theta_e / w_e. On a fillet of radius R this is 1/R for edges along the fillet
  (less for edges across it); on a hard edge it is theta / w (resolution-limited);
- detection does not use kappa_e (an irregular triangulation has edges at every angle to
  the crease, whose kappa_e runs from 0 to 1/R): each face sums the normal-cycle tensor
  T = sum theta_e l_e e e^T / 2 of its edges, and the tensors and areas are summed over the
  face and its edge neighbours; the top eigenvalue over the area is the largest principal
  curvature there (Cohen-Steiner & Morvan), independent of edge orientation, and its
  eigenvector is the crease direction. Crease faces have that curvature >= 1/R_detect and a
  clear direction (lambda2 <= 0.5 lambda1), or touch an edge turning >= turn_min ("hard");
- adjacent crease faces with parallel directions (within 35 degrees) form one chain
  (corners, where directions cross, split chains; smooth spheres have no direction). A face
  on one hard edge links across that edge only, and along it end to end (two rims of a
  one-row wall stay two chains); faces on two hard edges link only where those continue;
- per chain: radius R = 1 / (upper turn-weighted quantile of kappa_e over the chain's edges:
  the plateau across the fillet, robust to its tangent rows and to oblique edges); turn from
  the normals of the faces flanking the chain on its two sides (nearest opposite-side pairs
  from a fixed per-chain sample), or for a hard chain (half its turn in edges >= turn_min)
  the length-weighted median dihedral of those edges; length = a.T.a / turn (the tensor
  along the crease direction: turn x length on a band, whatever the edges' orientation);
- an edge is a localized turn between flanks much flatter than the turn: probes 1-3 R
  beside each chain read the largest principal curvature there (limbs, capsules, ripples,
  noise curve as much beside the band as in it: dropped); a hard chain's probes (0.5-1.5 x
  R_detect / 8) find no dihedral along it of 3/4 its turn (a faceted rod's next facet edge)
  and only soft curvature below half its turn per resolution step (a spike in noise).
Everything is vectorised; the only loops are over a fixed handful of passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KAPPA_QUANTILE = 0.75  # the plateau of curvature across a fillet, robust to its two tangent rows
ANGLE_EPS = 1e-9  # angles equal to a threshold up to rounding count as reaching it
MIN_EDGE_TURN_RAD = np.radians(1.0)  # dihedrals below this are tessellation noise
AXIS_COS = np.cos(np.radians(35.0))  # neighbouring crease faces with directions closer join
ANISOTROPY = 0.5  # lambda2 / lambda1 above this: no crease direction (corner or dome)
SMOOTH_RINGS = 1  # edge-neighbour rings summed into each face's curvature tensor
FLANK_SAMPLES = 1024  # flank faces per chain used to measure its turn
WEAK_FRACTION = 0.25  # grown faces: curvature >= this / R_detect
GROW_RINGS = 2
GROW_ANISOTROPY = 0.5  # grown faces: not doubly curved (corners, domes)
CHAIN_ANISOTROPY = 0.3  # a chain's median face must be this clearly directional
REACH_FACTOR = 1.5  # flank pairs searched within this many chain widths
FLANK_FLAT = 0.3  # flank curvature within 1-3 R beside the band, times R, at most this
FLANK_OFFSETS = (1.0, 1.5, 2.0, 2.5, 3.0)  # probe distances beyond the band, in units of R
FLANK_K = 8  # vertices averaged per probe
HARD_OFFSETS = (0.5, 1.0, 1.5)  # a hard chain's probes, in units of HARD_PROBE x R_detect
MAX_EDGE_POINTS = 2_000_000  # points along hard-ish edges for the hard flank test
HARD_SHARE = 0.5
FLANK_SOFT_TURN = 0.5
FLANK_TURN = 0.75  # a hard chain's flanks: no dihedral this share of its turn within reach
HARD_PROBE = 0.125  # a hard chain's flank probes: at most this x R_detect apart  # a chain with this share of its turn in edges >= turn_min is a hard edge
WIDE_CAP = 3.0  # strip width at most this many heights of the smaller face over the edge
SIDE_COS = 0.5  # a flank's shared edge within 60 degrees of the crease direction


@dataclass
class Creases:
    """Per-chain arrays (index = chain id) plus the face labels they came from."""

    face_chain: np.ndarray  # (n_faces,) chain id or -1
    radius_mm: np.ndarray
    resolution_mm: np.ndarray  # turn-weighted median strip width: the mesh's resolution there
    resolution_limited: np.ndarray  # bool: radius at or below the resolution, or the turn
    # within single edges (a hard edge)
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


def edge_faces_from_keys(n_vertices: int, keys, counts, inverse):
    """Interior manifold edges from integer edge keys (Analysis._edge_keys): vertex pairs
    (k, 2) and face pairs (k, 2), in key order. Edges with 3+ faces are left out."""
    n = len(counts)
    fid = np.arange(len(inverse)) // 3
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    first[inverse[::-1]] = fid[::-1]  # the last write wins: smallest face id
    last[inverse] = fid
    two = np.flatnonzero(counts == 2)
    nv = np.int64(n_vertices)
    k = keys[two]
    ev = np.stack([k // nv, k % nv], axis=1)
    return ev, np.stack([first[two], last[two]], axis=1)


def edge_faces(faces: np.ndarray):
    """Interior manifold edges of a face array: (vertex pairs (k,2), face pairs (k,2))."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], axis=1)
    e = e.reshape(-1, 2)
    nv = int(faces.max()) + 1 if len(faces) else 0
    keys = e.min(axis=1) * np.int64(nv) + e.max(axis=1)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return edge_faces_from_keys(nv, uniq, counts, inverse)


def _analysis_edge_faces(a):
    if hasattr(a, "_edge_keys"):
        uniq, counts, inverse = a._edge_keys
        return edge_faces_from_keys(a.model.n_vertices, uniq, counts, inverse)
    return edge_faces(a.model.faces)


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
    hit = frac >= q - 1e-12
    idx = np.flatnonzero(hit)
    first = np.full(n, -1)
    first[lab[idx[::-1]]] = idx[::-1]  # reverse assignment keeps the smallest index per label
    has = first >= 0
    out[has] = v[first[has]]
    return out


def sym_eig_top(t: np.ndarray):
    """Closed-form eigen of symmetric 3x3 tensors given as (k, 6) [xx, yy, zz, xy, xz, yz]:
    (largest eigenvalue, middle eigenvalue, unit eigenvector of the largest)."""
    a00, a11, a22, a01, a02, a12 = (t[:, j] for j in range(6))
    q = (a00 + a11 + a22) / 3.0
    b00, b11, b22 = a00 - q, a11 - q, a22 - q
    p1 = a01 * a01 + a02 * a02 + a12 * a12
    p = np.sqrt((b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * p1) / 6.0)
    ps = np.where(p > 0, p, 1.0)
    det = (b00 * (b11 * b22 - a12 * a12) - a01 * (a01 * b22 - a12 * a02)
           + a02 * (a01 * a12 - b11 * a02)) / ps ** 3
    phi = np.arccos(np.clip(0.5 * det, -1.0, 1.0)) / 3.0
    e1 = q + 2.0 * p * np.cos(phi)
    e3 = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
    e2 = 3.0 * q - e1 - e3
    # eigenvector of e1: the largest cross product of two rows of (A - e1 I)
    r0 = np.stack([a00 - e1, a01, a02], 1)
    r1 = np.stack([a01, a11 - e1, a12], 1)
    r2 = np.stack([a02, a12, a22 - e1], 1)
    c = np.stack([np.cross(r0, r1), np.cross(r0, r2), np.cross(r1, r2)], 1)
    nn = np.einsum("kij,kij->ki", c, c)
    best = np.argmax(nn, axis=1)
    v = c[np.arange(len(t)), best]
    ln = np.sqrt(nn[np.arange(len(t)), best])
    v = v / np.where(ln > 0, ln, 1.0)[:, None]
    return e1, e2, v


def _sym6(vec: np.ndarray, wt: np.ndarray) -> np.ndarray:
    x, y, z = vec[:, 0], vec[:, 1], vec[:, 2]
    return np.stack([x * x, y * y, z * z, x * y, x * z, y * z], 1) * wt[:, None]


def find_creases(analysis, detect_radius_mm: float, turn_min_deg: float = 30.0) -> Creases:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    model = analysis.model
    verts = model.vertices
    nf = len(model.faces)
    fn, fa = analysis.face_normals, analysis.face_areas
    ev, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    f1a, f2a = fp[:, 0], fp[:, 1]
    turn_min = np.radians(turn_min_deg)
    empty = Creases(np.full(nf, -1), *(np.zeros(0) for _ in range(2)), np.zeros(0, bool),
                    np.zeros(0), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), [],
                    np.zeros(0), np.zeros(0, int), detect_radius_mm, turn_min)

    # --- candidate edges: the normal turns by at least MIN_EDGE_TURN_RAD across them ---
    # (or, on a fine mesh, by at least a quarter of what a fillet of R_detect turns it)
    cosang = np.einsum("ij,ij->i", fn[f1a], fn[f2a])
    ce = np.flatnonzero(cosang < np.cos(MIN_EDGE_TURN_RAD))
    if detect_radius_mm > 0:
        # strip width over R_detect small enough that a quarter of it is under 1 degree
        lo = np.flatnonzero(cosang >= np.cos(MIN_EDGE_TURN_RAD))
        e = ev[lo]
        ln = np.linalg.norm(verts[e[:, 1]] - verts[e[:, 0]], axis=1)
        wl = (fa[f1a[lo]] + fa[f2a[lo]]) / np.maximum(ln, 1e-300)
        gate = 0.25 * wl / detect_radius_mm
        fine = gate < MIN_EDGE_TURN_RAD
        if fine.any():
            th = np.arccos(np.clip(cosang[lo[fine]], -1.0, 1.0))
            ce = np.union1d(ce, lo[fine][th >= gate[fine]])
    if len(ce) == 0:
        return empty
    f1, f2 = f1a[ce], f2a[ce]
    vec = verts[ev[ce, 1]] - verts[ev[ce, 0]]
    ell = np.linalg.norm(vec, axis=1)
    ok = ell > 0
    ce, f1, f2, vec, ell = ce[ok], f1[ok], f2[ok], vec[ok], ell[ok]
    theta = np.arccos(np.clip(cosang[ce], -1.0, 1.0))
    ehat = vec / ell[:, None]
    # strip width; a much larger face on one side (a fan cap) does not widen the strip
    # beyond a few heights of the smaller one: the crease's resolution is the finer side's
    w = np.minimum(fa[f1] + fa[f2], WIDE_CAP * np.minimum(fa[f1], fa[f2])) / ell
    kappa = theta / np.maximum(w, 1e-300)

    # --- per-face normal-cycle tensor, summed over SMOOTH_RINGS rings of edge neighbours ---
    # work on a compact set of faces: those within SMOOTH_RINGS of a candidate edge
    near = np.zeros(nf, bool)
    near[f1] = True
    near[f2] = True
    for _ in range(SMOOTH_RINGS):
        m = near[f1a] | near[f2a]
        near[f1a[m]] = True
        near[f2a[m]] = True
    sub = np.flatnonzero(near)
    loc = np.full(nf, -1)
    loc[sub] = np.arange(len(sub))
    ns = len(sub)
    T0 = _sym6(ehat, 0.5 * theta * ell)
    T = np.stack([np.bincount(loc[f1], T0[:, j], ns) + np.bincount(loc[f2], T0[:, j], ns)
                  for j in range(6)], 1)
    A = fa[sub].copy()
    inner = near[f1a] & near[f2a]
    ga, gb = loc[f1a[inner]], loc[f2a[inner]]
    TA = np.c_[T, A]
    for _ in range(SMOOTH_RINGS):
        TA = TA + np.stack([np.bincount(ga, TA[gb, j], ns) + np.bincount(gb, TA[ga, j], ns)
                            for j in range(7)], 1)
    lam1, lam2, axis_s = sym_eig_top(TA[:, :6])
    kap_f = lam1 / np.maximum(TA[:, 6], 1e-300)
    aniso = lam2 <= ANISOTROPY * np.maximum(lam1, 1e-300)
    hard = np.zeros(ns, bool)
    strong = theta >= turn_min - ANGLE_EPS  # (a 12-gon's facets turn 30 degrees to rounding)
    hard[loc[f1[strong]]] = True
    hard[loc[f2[strong]]] = True
    own = np.zeros(ns, bool)  # the face itself touches a turning edge
    own[loc[f1]] = True
    own[loc[f2]] = True
    is_cs = own & aniso & (lam1 > 0) & ((kap_f >= 1.0 / detect_radius_mm) | hard)
    if not is_cs.any():
        return empty

    # --- chains: connected crease faces with parallel crease directions ---
    link = is_cs[ga] & is_cs[gb] & \
        (np.abs(np.einsum("ij,ij->i", axis_s[ga], axis_s[gb])) >= AXIS_COS)
    # a face touching exactly one hard edge links across that edge only (and end to end along
    # it, below): two such faces sharing another edge may stand on two different hard edges
    # (the top and bottom rims of a one-row wall), or on a hard edge and surface noise
    nstrong = np.bincount(loc[f1[strong]], minlength=ns) + \
        np.bincount(loc[f2[strong]], minlength=ns)
    single = nstrong == 1
    hard_e = np.zeros(len(f1a), bool)
    hard_e[ce[strong]] = True
    link &= hard_e[inner] | ~(single[ga] | single[gb])
    # two faces on hard edges (each touching two: a one-row wall between a rim and a facet
    # edge) link across another edge only where hard edges of both run on through a shared
    # vertex in the same direction
    both = link & ~hard_e[inner] & (nstrong[ga] > 0) & (nstrong[gb] > 0)
    if both.any():
        both_i = np.flatnonzero(both)
        link[both_i] = _hard_continue(ga[both_i], gb[both_i], ev[inner][both_i], ce[strong],
                                      ev, loc, f1a, f2a, ehat[strong], model.n_vertices)
    # a face touching hard edges none of which runs along its (smoothed) direction is no
    # part of a chain along that direction (a coarse box's end face, smoothed by its sides)
    par = np.zeros(ns)
    sc = np.abs(np.einsum("ij,ij->i", ehat[strong], axis_s[loc[f1[strong]]]))
    np.maximum.at(par, loc[f1[strong]], sc)
    sc = np.abs(np.einsum("ij,ij->i", ehat[strong], axis_s[loc[f2[strong]]]))
    np.maximum.at(par, loc[f2[strong]], sc)
    along = (nstrong == 0) | (par >= AXIS_COS)
    link &= along[ga] & along[gb]
    la, lb = ga[link], gb[link]
    # hard crease edges meeting end to end at a vertex with parallel directions also link
    # their faces (on a hard edge of a coarse mesh the crease triangles may touch only there)
    si = np.flatnonzero(strong)
    if len(si):
        endv = np.r_[ev[ce[si], 0], ev[ce[si], 1]]
        ende = np.r_[si, si]
        o = np.argsort(endv, kind="stable")
        endv, ende = endv[o], ende[o]
        pair = np.flatnonzero(endv[1:] == endv[:-1])
        e1, e2 = ende[pair], ende[pair + 1]
        par = np.abs(np.einsum("ij,ij->i", ehat[e1], ehat[e2])) >= AXIS_COS
        e1, e2 = e1[par], e2[par]
        # each edge links through its crease face whose own direction runs along it (a face
        # of a crossing fillet that merely touches a hard rim must not join the rim's chain)
        ha, hb = _along_face(e1, f1, f2, loc, is_cs, axis_s, ehat), \
            _along_face(e2, f1, f2, loc, is_cs, axis_s, ehat)
        keep = (ha >= 0) & (hb >= 0)
        ha, hb = ha[keep], hb[keep]
        keep = np.ones(len(ha), bool)
        la, lb = np.r_[la, ha[keep]], np.r_[lb, hb[keep]]
    good = np.flatnonzero(is_cs)  # compact (sub) indices of crease faces
    remap = np.full(ns, -1)
    remap[good] = np.arange(len(good))
    g = coo_matrix((np.ones(len(la)), (remap[la], remap[lb])), shape=(len(good), len(good)))
    ncomp, lab = connected_components(g, directed=False)
    chain_s = np.full(ns, -1)
    chain_s[good] = lab
    # transition patches where an edge runs into a corner are directional only in part
    ratio = lam2 / np.maximum(lam1, 1e-300)
    iso_med = _weighted_quantile(ratio[good], np.ones(len(good)), lab, ncomp, 0.5)
    # grow chains over the rest of their curved band (faces whose direction is unclear or
    # whose curvature is partial, e.g. across a fillet's tangent line on an irregular mesh),
    # so the flank faces beyond lie on the flat sides
    # (not into doubly curved faces: a corner or a dome is no part of an edge)
    weak = own & (kap_f >= WEAK_FRACTION / detect_radius_mm) & \
        (lam2 <= GROW_ANISOTROPY * np.maximum(lam1, 1e-300))
    for _ in range(GROW_RINGS):
        for p_, q_ in ((ga, gb), (gb, ga)):
            m = (chain_s[p_] >= 0) & (chain_s[q_] < 0) & weak[q_]
            chain_s[q_[m]] = chain_s[p_[m]]
            axis_s[q_[m]] = axis_s[p_[m]]  # a grown face's own direction may be noise
    face_chain = np.full(nf, -1)
    face_chain[sub] = chain_s

    # --- per chain: edges (either face in the chain, first face preferred) ---
    c1, c2 = face_chain[f1], face_chain[f2]
    ech = np.where(c1 >= 0, c1, c2)
    ke = ech >= 0
    ech = ech[ke]
    tl = theta[ke] * ell[ke]
    turn_len = np.bincount(ech, weights=tl, minlength=ncomp)
    kq = _weighted_quantile(kappa[ke], tl, ech, ncomp, KAPPA_QUANTILE)
    wres = _weighted_quantile(w[ke], tl, ech, ncomp, 0.5)
    mid = 0.5 * (verts[ev[ce[ke], 0]] + verts[ev[ce[ke], 1]])
    cen = np.stack([np.bincount(ech, weights=tl * mid[:, j], minlength=ncomp)
                    for j in range(3)], 1) / np.maximum(turn_len, 1e-300)[:, None]
    Tc = np.stack([np.bincount(ech, weights=T0[ke, j] * 2.0, minlength=ncomp)
                   for j in range(6)], 1)
    Mc = np.empty((ncomp, 3, 3))
    Mc[:, 0, 0], Mc[:, 1, 1], Mc[:, 2, 2] = Tc[:, 0], Tc[:, 1], Tc[:, 2]
    Mc[:, 0, 1] = Mc[:, 1, 0] = Tc[:, 3]
    Mc[:, 0, 2] = Mc[:, 2, 0] = Tc[:, 4]
    Mc[:, 1, 2] = Mc[:, 2, 1] = Tc[:, 5]
    axis_c = np.linalg.eigh(Mc)[1][:, :, 2]

    # orient each crease face's direction along its chain's (eigenvectors have no sign)
    inch = np.flatnonzero(chain_s >= 0)
    axis_f = axis_s[inch]
    flip = np.einsum("ij,ij->i", axis_f, axis_c[chain_s[inch]]) < 0
    axis_f[flip] *= -1
    axis_full = np.zeros((nf, 3))
    axis_full[sub[inch]] = axis_f
    # turn x length: the normal-cycle tensor along the crease direction (a . T . a is
    # kappa_max x area on a cylinder band, whatever the edges' orientation); the trace would
    # also count the turns across it (noise, a corner's other crease)
    fe = np.where(c1 >= 0, f1, f2)[ke]
    along_len = np.bincount(ech, weights=tl * np.einsum("ij,ij->i", ehat[ke], axis_full[fe]) ** 2,
                            minlength=ncomp)
    with np.errstate(invalid="ignore", divide="ignore"):
        radius = 1.0 / kq
    reach = REACH_FACTOR * (np.pi * np.minimum(radius, detect_radius_mm) + 6.0 * wres)
    turn = _flank_turn(analysis, ev, f1a, f2a, face_chain, axis_full, ncomp, reach)
    # a hard chain (most of its turn in single edges of >= turn_min) turns by its dihedral:
    # its flanks may be the chain's own faces (a fan cap touching the rim everywhere)
    sk = strong[ke]
    hard_len = np.bincount(ech[sk], weights=tl[sk], minlength=ncomp)
    is_hard = hard_len >= HARD_SHARE * turn_len
    hturn = _weighted_quantile(theta[ke][sk], ell[ke][sk], ech[sk], ncomp, 0.5)
    turn = np.where(is_hard & np.isfinite(hturn), hturn, turn)
    # an edge is a turn between flanks much flatter than the turn: a limb, a capsule or a
    # ripple curves as much beside the band as in it (a rounded form or texture, not an edge)
    kap_full = np.zeros(nf)
    kap_full[sub] = np.where(lam1 > 0, kap_f, 0.0)
    # probes step out by the chain's radius (beyond its resolution); a hard edge's by
    # HARD_PROBE x R_detect (0.18 mm at the default profiles: its radius says nothing about
    # how far its flanks must be flat, and facets narrower than that blend for the eye)
    probe = np.maximum(radius, wres)
    probe = np.where(is_hard, HARD_PROBE * detect_radius_mm, probe)
    flank_k = _flank_curvature(analysis, ev, f1a, f2a, face_chain, axis_full, ncomp,
                               probe, kap_full, ~is_hard,
                               hard=(ce[:0], ce[:0], ce[:0], is_hard))
    flat = flank_k * np.minimum(radius, probe) <= FLANK_FLAT
    if is_hard.any():
        # a hard chain's flanks (the curvature next to it is its own turn smeared over the
        # faces there): (1) no dihedral along it of FLANK_TURN of its turn within reach (a
        # faceted rod: the next facet edge), (2) the softer edges (weaker than turn_min) turn
        # the flank by at most FLANK_SOFT_TURN of its turn per step of its own resolution (a
        # spike in noise; a rim beside texture stays an edge)
        # points along every edge turning >= FLANK_TURN x turn_min, spaced a half probe step
        big = theta >= FLANK_TURN * turn_min
        step = 0.5 * HARD_PROBE * detect_radius_mm
        npt = np.maximum(1, np.ceil(ell[big] / step)).astype(np.int64)
        if npt.sum() > MAX_EDGE_POINTS:
            npt = np.maximum(1, np.ceil(npt * (MAX_EDGE_POINTS / npt.sum()))).astype(np.int64)
        eid = np.repeat(np.arange(int(big.sum())), npt)
        frac = (np.arange(len(eid)) - np.repeat(np.cumsum(npt) - npt, npt) + 0.5) / npt[eid]
        bi = np.flatnonzero(big)
        p0 = verts[ev[ce[bi], 0]]
        pts = p0[eid] + frac[:, None] * vec[bi][eid]
        hard_args = (ce[strong], face_chain[f1[strong]], face_chain[f2[strong]], is_hard)
        flank_h = _flank_curvature(analysis, ev, f1a, f2a, face_chain, axis_full, ncomp,
                                   probe, None, np.zeros(ncomp, bool), hard_args,
                                   vertex_value=(pts, theta[bi][eid], ehat[bi][eid]))
        Tw = np.stack([np.bincount(loc[f1], T0[:, j] * ~strong, ns)
                       + np.bincount(loc[f2], T0[:, j] * ~strong, ns) for j in range(6)], 1)
        TAw = np.c_[Tw, fa[sub]]
        for _ in range(SMOOTH_RINGS):
            TAw = TAw + np.stack([np.bincount(ga, TAw[gb, j], ns)
                                  + np.bincount(gb, TAw[ga, j], ns) for j in range(7)], 1)
        lw = sym_eig_top(TAw[:, :6])[0]
        kap_w = np.zeros(nf)
        kap_w[sub] = np.maximum(lw, 0.0) / np.maximum(TAw[:, 6], 1e-300)
        flank_soft = _flank_curvature(analysis, ev, f1a, f2a, face_chain, axis_full, ncomp,
                                   probe, kap_w, np.zeros(ncomp, bool), hard_args)
        with np.errstate(invalid="ignore", divide="ignore"):
            flat_h = (flank_h / turn <= FLANK_TURN) & \
                (flank_soft * np.minimum(np.maximum(radius, wres), probe)
                 <= FLANK_SOFT_TURN * turn)
        flat = np.where(is_hard, flat_h, flat)
    with np.errstate(invalid="ignore", divide="ignore"):
        length = along_len / turn
    flank_w = _flank_width(analysis, f1a, f2a, face_chain, ncomp)

    ok = flat & np.isfinite(turn) & (turn >= turn_min - ANGLE_EPS) & (iso_med <= CHAIN_ANISOTROPY) & np.isfinite(radius) & (length > 0)
    # a chain shorter than its own resolution, or than the reach its flanks were judged
    # over, is a speck (a spike in noise, a fan apex)
    ok &= length >= np.maximum(2.0 * wres, 2.0 * probe)
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
    # a hard chain turns within single edges: whatever radius the strip suggests (w / turn,
    # larger than w for turns under 57 degrees) is the mesh's resolution, not a bevel
    limited = (radius[ids] <= wres[ids]) | is_hard[ids]
    res = np.where(is_hard[ids], np.maximum(wres[ids], radius[ids]), wres[ids])
    return Creases(face_chain, radius[ids], res, limited, turn[ids], length[ids],
                   cen[ids], axis_c[ids], first, flank_w[ids], nfc, detect_radius_mm, turn_min)


def _hard_continue(a, b, shared, se, ev, loc, f1a, f2a, sdir, nv):
    """For face pairs (a, b) (compact ids) sharing the edge `shared` (vertex pairs): True
    where a hard edge of a and one of b meet at a shared vertex with parallel directions."""
    # records (face, vertex, direction) for each hard edge's two faces and two ends
    fa_ = np.r_[loc[f1a[se]], loc[f2a[se]]]
    fa_ = np.r_[fa_, fa_]
    vv = np.r_[ev[se, 0], ev[se, 0], ev[se, 1], ev[se, 1]]
    dd = np.r_[sdir, sdir, sdir, sdir]
    key = fa_.astype(np.int64) * nv + vv
    o = np.argsort(key, kind="stable")
    key, dd = key[o], dd[o]
    out = np.zeros(len(a), bool)
    for j in (0, 1):
        v = shared[:, j]
        ka, kb = a.astype(np.int64) * nv + v, b.astype(np.int64) * nv + v
        sa, ea = np.searchsorted(key, ka), np.searchsorted(key, ka, side="right")
        sb, eb = np.searchsorted(key, kb), np.searchsorted(key, kb, side="right")
        has = (ea > sa) & (eb > sb)
        for ia in (sa, ea - 1):
            for ib in (sb, eb - 1):
                ia_, ib_ = np.clip(ia, 0, len(key) - 1), np.clip(ib, 0, len(key) - 1)
                par = np.abs(np.einsum("ij,ij->i", dd[ia_], dd[ib_])) >= AXIS_COS
                out |= has & par
    return out


def _along_face(e, f1, f2, loc, is_cs, axis_s, ehat):
    """For edges e: the compact index of the crease face (of the two) whose crease direction
    is closest to the edge's, if within AXIS_COS; else -1."""
    a, b = loc[f1[e]], loc[f2[e]]
    ca = np.where(is_cs[a], np.abs(np.einsum("ij,ij->i", axis_s[a], ehat[e])), -1.0)
    cb = np.where(is_cs[b], np.abs(np.einsum("ij,ij->i", axis_s[b], ehat[e])), -1.0)
    best = np.where(ca >= cb, a, b)
    return np.where(np.maximum(ca, cb) >= AXIS_COS, best, -1)


def _chain_flank_edges(face_chain, f1, f2):
    """Over the face pairs (f1, f2) of the interior edges: (chain face, flank face, edge id)
    for every edge between a chain face and a face in no chain."""
    a = (face_chain[f1] >= 0) & (face_chain[f2] < 0)
    b = (face_chain[f2] >= 0) & (face_chain[f1] < 0)
    return (np.r_[f1[a], f2[b]], np.r_[f2[a], f1[b]],
            np.r_[np.flatnonzero(a), np.flatnonzero(b)])


def _flank_pairs(analysis, ev, f1, f2, face_chain, axis_f, ncomp):
    """(chain face, flank face, chain id) per flank face of each chain, at most FLANK_SAMPLES
    per chain: a flank face touches a chain face across an edge running along the crease
    (within 60 degrees) and is in no chain."""
    n = len(face_chain)
    g, f, e = _chain_flank_edges(face_chain, f1, f2)
    if len(g) == 0:
        return g, f, g
    v = analysis.model.vertices
    ed = v[ev[e, 1]] - v[ev[e, 0]]
    s = np.abs(np.einsum("ij,ij->i", ed, axis_f[g])) >= SIDE_COS * np.linalg.norm(ed, axis=1)
    g, f = g[s], f[s]
    ch = face_chain[g]
    key, first = np.unique(ch.astype(np.int64) * n + f, return_index=True)
    ch, f, g = key // n, key % n, g[first]
    cnt = np.bincount(ch, minlength=ncomp)
    rank = np.arange(len(ch)) - np.searchsorted(ch, ch)
    stride = np.maximum(1, -(-cnt // FLANK_SAMPLES))
    s = rank % stride[ch] == 0
    return g[s], f[s], ch[s]


def _flank_curvature(analysis, ev, f1, f2, face_chain, axis_f, ncomp, scale, kap_face, want,
                     hard, vertex_value=None):
    """Median, over probes beside each chain, of the surface's largest principal curvature
    there. Probes step FLANK_OFFSETS x scale away from the chain, perpendicular to its
    direction: from each flank face in its plane (chains in `want`), or, for hard chains,
    from each hard edge into both faces' planes. A probe reads the mean curvature of the
    FLANK_K nearest vertices within 0.75 x scale (a vertex takes its curved faces' largest;
    faces without turning edges are flat); probes with no vertex that near are left out, and
    a chain with no probe left reads flat (large faces beside it).
    """
    out = np.full(ncomp, np.nan)
    fn, fc = analysis.face_normals, analysis.face_centroids
    v = analysis.model.vertices
    org, dirs, chs, axs = [], [], [], []
    g, f, ch = _flank_pairs(analysis, ev, f1, f2, face_chain, axis_f, ncomp)
    s = want[ch]
    g, f, ch = g[s], f[s], ch[s]
    if len(f) and want.any():
        ax = axis_f[g]
        u = fc[f] - fc[g]
        u -= np.einsum("ij,ij->i", u, ax)[:, None] * ax
        u -= np.einsum("ij,ij->i", u, fn[f])[:, None] * fn[f]
        org.append(fc[f])
        dirs.append(u)
        chs.append(ch)
        axs.append(ax)
    he, hc1, hc2, is_hard = hard
    for hc, hf in ((hc1, f1[he]), (hc2, f2[he])):
        s = (hc >= 0) & is_hard[np.maximum(hc, 0)]
        e, hc, hf = he[s], hc[s], hf[s]
        ed = v[ev[e, 1]] - v[ev[e, 0]]
        s = np.abs(np.einsum("ij,ij->i", ed, axis_f[hf])) >= AXIS_COS * np.linalg.norm(ed, axis=1)
        e, hc, hf = e[s], hc[s], hf[s]  # hard edges running along their chain
        # one sample of hard edges per chain is plenty
        cnt = np.bincount(hc, minlength=ncomp)
        o = np.argsort(hc, kind="stable")
        rank = np.empty(len(hc), np.int64)
        rank[o] = np.arange(len(hc)) - np.searchsorted(hc[o], hc[o])
        s = rank % np.maximum(1, -(-cnt // FLANK_SAMPLES))[hc] == 0
        e, hc, hf = e[s], hc[s], hf[s]
        mid = 0.5 * (v[ev[e, 0]] + v[ev[e, 1]])
        ed = v[ev[e, 1]] - v[ev[e, 0]]
        ed /= np.maximum(np.linalg.norm(ed, axis=1), 1e-300)[:, None]
        u = fc[hf] - mid
        u -= np.einsum("ij,ij->i", u, ed)[:, None] * ed
        org.append(mid)
        dirs.append(u)
        chs.append(hc)
        axs.append(ed)
    if not org:
        return out
    o, u, ch = np.concatenate(org), np.concatenate(dirs), np.concatenate(chs)
    axis_of = np.concatenate(axs)
    ln = np.linalg.norm(u, axis=1)
    r = scale[ch]
    s = (ln > 0) & np.isfinite(r) & (r > 0)
    o, u, ch, r, axis_of = o[s], u[s] / ln[s, None], ch[s], r[s], axis_of[s]
    if len(o) == 0:
        return out
    faces = analysis.model.faces
    vdir = None
    tree = analysis.kdtree
    if vertex_value is None:
        kv = np.zeros(analysis.model.n_vertices)
        cur = np.flatnonzero(kap_face > 0)
        np.maximum.at(kv, faces[cur].ravel(), np.repeat(kap_face[cur], 3))
    else:  # points along turning edges: (points, dihedral, edge direction)
        from scipy.spatial import cKDTree

        epts, kv, vdir = vertex_value
        if len(epts) == 0:
            return np.zeros(ncomp)
        tree = cKDTree(epts)
    t = np.asarray(FLANK_OFFSETS if vdir is None else HARD_OFFSETS)
    pts = (o[:, None, :] + (r[:, None] * t[None, :])[:, :, None] * u[:, None, :]).reshape(-1, 3)
    rp = np.repeat(r, len(t))
    if vdir is not None:  # the ball stays clear of the chain's own edge line
        rp = rp * np.minimum(1.0, np.tile(t, len(r)))
    k = min(FLANK_K, tree.n)
    d, idx = tree.query(pts, k=k, distance_upper_bound=0.75 * float(rp.max()))
    d, idx = d.reshape(len(pts), k), np.minimum(idx.reshape(len(pts), k), tree.n - 1)
    near = d <= 0.75 * rp[:, None]
    nn = near.sum(axis=1).reshape(len(o), len(t))
    vals = kv[idx]
    if vdir is not None:
        # the largest dihedral near any probe of an origin, as far as it runs along the
        # chain; none near: no competing crease (flat)
        a = np.repeat(axis_of, len(t), axis=0)
        vals = vals * np.einsum("pkj,pj->pk", vdir[idx], a) ** 2
        val = (vals * near).max(axis=1).reshape(len(o), len(t)).max(axis=1)
        out[:] = _weighted_quantile(val, np.ones(len(val)), ch, ncomp, 0.5)
        return np.where(np.isfinite(out), out, 0.0)
    else:
        tot = (vals * near).sum(axis=1).reshape(len(o), len(t))
    # per origin: mean over the probes that found vertices (a probe beside a chain that
    # found none stands on one large flat face, or left the surface)
    got = (nn > 0).sum(axis=1)
    val = (tot / np.maximum(nn, 1)).sum(axis=1) / np.maximum(got, 1)
    s = got > 0
    out[:] = _weighted_quantile(val[s], np.ones(int(s.sum())), ch[s], ncomp, 0.5)
    return np.where(np.isfinite(out), out, 0.0)  # no evidence beside a chain: flat


def _flank_turn(analysis, ev, f1, f2, face_chain, axis_f, ncomp, reach):
    """Median over each chain's flank faces of the largest angle between its normal and that
    of another flank face of the same chain within `reach` (per chain: a bit more than the
    width of the chain, so the faces on the other side are always in reach).

    A flank face touches a chain face across an edge running along the crease (within 60
    degrees: faces at a chain's ends say nothing about its two sides) and is in no chain.
    No side has to be decided, which is fragile where the band's own faces are noisy.
    """
    from scipy.spatial import cKDTree

    fn, fc = analysis.face_normals, analysis.face_centroids
    out = np.full(ncomp, np.nan)
    g, f, e = _chain_flank_edges(face_chain, f1, f2)
    if len(g) == 0:
        return out
    v = analysis.model.vertices
    ed = v[ev[e, 1]] - v[ev[e, 0]]
    s = np.abs(np.einsum("ij,ij->i", ed, axis_f[g])) >= SIDE_COS * np.linalg.norm(ed, axis=1)
    g, f = g[s], f[s]
    ch = face_chain[g]
    # one entry per (chain, flank face), then a fixed sample per chain
    key = np.unique(ch.astype(np.int64) * len(face_chain) + f)
    ch, f = key // len(face_chain), key % len(face_chain)
    cnt = np.bincount(ch, minlength=ncomp)
    rank = np.arange(len(ch)) - np.searchsorted(ch, ch)
    stride = np.maximum(1, -(-cnt // FLANK_SAMPLES))
    s = rank % stride[ch] == 0
    f, ch = f[s], ch[s]
    r = reach[ch]
    okr = np.isfinite(r) & (r > 0)
    f, ch, r = f[okr], ch[okr], r[okr]
    if len(f) < 2:
        return out
    # coordinates in units of the chain's reach; the chain id as a far-apart 4th coordinate
    pts = np.c_[(fc[f] - fc[f].min(axis=0)) / r[:, None], ch * 4.0]
    pairs = cKDTree(pts).query_pairs(1.0, output_type="ndarray")
    if len(pairs) == 0:
        return out
    p, q = pairs[:, 0], pairs[:, 1]
    ang = np.arccos(np.clip(np.einsum("ij,ij->i", fn[f[p]], fn[f[q]]), -1.0, 1.0))
    best = np.zeros(len(f))
    np.maximum.at(best, p, ang)
    np.maximum.at(best, q, ang)
    out[:] = _weighted_quantile(best, np.ones(len(f)), ch, ncomp, 0.5)
    return out


def _flank_width(analysis, f1, f2, face_chain, ncomp):
    """Width of the faces each chain joins: area / perimeter of its smaller flat neighbour."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    fa = analysis.face_areas
    nf = len(face_chain)
    flat = face_chain < 0
    link = flat[f1] & flat[f2]
    g = coo_matrix((np.ones(int(link.sum())), (f1[link], f2[link])), shape=(nf, nf))
    _, region = connected_components(g, directed=False)
    area = np.bincount(region, weights=fa * flat)
    # perimeter: interior edges between a flat face and a chain face
    border = flat[f1] != flat[f2]
    fl = np.where(flat[f1], f1, f2)[border]
    v = analysis.model.vertices
    ev = analysis.cached("creases:edge_faces", _analysis_edge_faces)[0][border]
    ell = np.linalg.norm(v[ev[:, 1]] - v[ev[:, 0]], axis=1)
    per = np.bincount(region[fl], weights=ell, minlength=len(area))
    ratio = area / np.maximum(per, 1e-300)
    ch = np.where(flat[f1], face_chain[f2], face_chain[f1])[border]
    rg = region[fl]
    out = np.full(ncomp, np.inf)
    if len(ch):
        # the two flat regions touching the chain most (its two sides); the smaller counts
        nreg = np.int64(len(area))
        key, cnt = np.unique(ch.astype(np.int64) * nreg + rg, return_counts=True)
        kc, kr = key // nreg, key % nreg
        o = np.lexsort((kr, -cnt, kc))
        kc, kr = kc[o], kr[o]
        rank = np.arange(len(kc)) - np.searchsorted(kc, kc)
        top = rank < 2
        np.minimum.at(out, kc[top], ratio[kr[top]])
    return out

