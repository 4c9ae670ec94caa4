"""Steps 1-2 of the crease reading: where the surface turns, and chains of crease faces.

Each face sums the normal-cycle tensor of its turning edges over itself and its edge
neighbours; faces curving at least 1/R_detect with a clear direction, or touching a hard edge,
are crease faces. Neighbours with parallel directions join into chains (a face on one hard edge
links across and along that edge only), and chains grow over the rest of their curved band.
Chains too small to hold a section are dropped (_drop_specks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import (ANGLE_EPS, AXIS_COS, MIN_EDGE_TURN_RAD, _analysis_edge_faces, _edge_face,
                     _first_by_place, _quantised, _sym6, _weighted_quantile, pairs_in_runs,
                     sym_eig_top)


ANISOTROPY = 0.5  # lambda2 / lambda1 above this: no crease direction (corner or dome)
SMOOTH_RINGS = 1  # edge-neighbour rings summed into each face's curvature tensor
WEAK_FRACTION = 0.25  # grown faces: curvature >= this share of their chain's median
GROW_RINGS = 2  # rings a chain grows over the rest of its curved band
GROW_ANISOTROPY = 0.5  # grown faces: not doubly curved (corners, domes)
SPECK_FACE_QUANTILE = 0.1  # a chain's face size: its finer faces (a fan cap's slivers are not)


def _drop_specks(analysis, seeds, turn_min):
    """Unlabel chains too short to be kept whatever their sections say: a kept chain turns
    >= turn_min, so its length is at most (its turn x length along it) / turn_min, and it must
    be longer than two of its faces (saves cutting sections through noise specks)."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    f1, f2, theta, ell, ehat = (seeds[k] for k in ("f1", "f2", "theta", "ell", "ehat"))
    fe = _edge_face(fc, f1, f2, seeds["first"])
    ech = fc[fe]
    ke = ech >= 0
    fe = fe[ke]
    along = np.bincount(ech[ke], weights=theta[ke] * ell[ke] *
                        np.einsum("ij,ij->i", ehat[ke], seeds["axis"][fe]) ** 2, minlength=ncomp)
    cf = np.flatnonzero(fc >= 0)
    size = _weighted_quantile(np.sqrt(2.0 * analysis.face_areas[cf]), np.ones(len(cf)),
                              fc[cf], ncomp, SPECK_FACE_QUANTILE)
    speck = along / turn_min < 2.0 * size
    seeds["along"] = along
    seeds["face_chain"] = np.where((fc >= 0) & ~speck[np.maximum(fc, 0)], fc, -1)


@dataclass(frozen=True)
class _Candidates:
    """Step 1's turning edges: ids into the edge table and their faces, turn, length, unit
    direction, and whether they turn by the hard-crease angle."""
    ce: np.ndarray
    f1: np.ndarray
    f2: np.ndarray
    theta: np.ndarray
    ell: np.ndarray
    ehat: np.ndarray
    strong: np.ndarray


@dataclass(frozen=True)
class _FaceTensors:
    """Step 1's faces near a turning edge (compact ids `sub`, `loc` maps back): their smoothed
    normal-cycle tensors' top eigenpairs, curvature, sign, and which are crease faces; `ga`,
    `gb` the edge-neighbour pairs among them (`inner` marks those edges in the edge table)."""
    sub: np.ndarray
    loc: np.ndarray
    ga: np.ndarray
    gb: np.ndarray
    inner: np.ndarray
    lam1: np.ndarray
    lam2: np.ndarray
    axis_s: np.ndarray
    kap_f: np.ndarray
    flip: np.ndarray
    own: np.ndarray
    is_cs: np.ndarray


def _seed_chains(analysis, detect_radius_mm: float, turn_min: float):
    """Steps 1-2: crease faces, their directions, and chains of them (None when no crease).

    Returns a dict: face_chain (n_faces,), ncomp, axis (n_faces, 3) crease direction per chain
    face, kappa (n_faces,) largest curvature, iso (per chain median lambda2/lambda1), and the
    turning edges (ce, f1, f2, theta, ell, ehat, strong) for the stations."""
    ev, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    cand = _candidate_edges(analysis, ev, fp, detect_radius_mm, turn_min)
    if cand is None:
        return None
    ft = _face_tensors(analysis, fp, cand, detect_radius_mm)
    if ft is None:
        return None
    la, lb = _chain_links(analysis, ev, fp, cand, ft)
    return _chains_grown(analysis, ev, cand, ft, la, lb)


def _candidate_edges(analysis, ev, fp, detect_radius_mm: float, turn_min: float):
    """Step 1a: the edges across which the normal turns by at least MIN_EDGE_TURN_RAD (or, on
    a fine mesh, by at least a quarter of what a fillet of R_detect turns it), or None."""
    verts = analysis.model.vertices
    fn, fa = analysis.face_normals, analysis.face_areas
    f1a, f2a = fp[:, 0], fp[:, 1]
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
            take = np.zeros(len(cosang), bool)  # (a mask: np.union1d sorts 1e6+ ids again)
            take[ce] = True
            take[lo[fine][th >= gate[fine]]] = True
            ce = np.flatnonzero(take)
    if len(ce) == 0:
        return None
    f1, f2 = f1a[ce], f2a[ce]
    vec = verts[ev[ce, 1]] - verts[ev[ce, 0]]
    ell = np.linalg.norm(vec, axis=1)
    ok = ell > 0
    ce, f1, f2, vec, ell = ce[ok], f1[ok], f2[ok], vec[ok], ell[ok]
    theta = np.arccos(np.clip(cosang[ce], -1.0, 1.0))
    strong = theta >= turn_min - ANGLE_EPS  # (a 12-gon's facets turn 30 degrees to rounding)
    return _Candidates(ce, f1, f2, theta, ell, vec / ell[:, None], strong)


def _face_tensors(analysis, fp, c: _Candidates, detect_radius_mm: float):
    """Step 1b: the normal-cycle tensor of each face near a candidate edge, summed over
    SMOOTH_RINGS rings of edge neighbours; its top eigenpair gives the crease direction and
    curvature. Crease faces: touching a turning edge, directional (not a corner or dome), and
    curving at least 1/R_detect or touching a hard edge. None when there is none."""
    from scipy.sparse import coo_matrix

    nf = len(analysis.model.faces)
    fn, fa = analysis.face_normals, analysis.face_areas
    f1a, f2a = fp[:, 0], fp[:, 1]
    f1, f2 = c.f1, c.f2
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
    # signed turn (convex > 0): the zig-zag folds of an irregular band alternate in sign and
    # cancel in the sum, as in Cohen-Steiner & Morvan's estimator; unsigned they would add up
    # across the crease and turn the direction of one face in six
    fc_ = analysis.face_centroids
    convex_e = np.einsum("ij,ij->i", fc_[f2] - fc_[f1], fn[f1]) <= 0
    beta = np.where(convex_e, c.theta, -c.theta)
    T0 = _sym6(c.ehat, 0.5 * beta * c.ell)
    T = np.stack([np.bincount(loc[f1], T0[:, j], ns) + np.bincount(loc[f2], T0[:, j], ns)
                  for j in range(6)], 1)
    A = fa[sub].copy()
    inner = near[f1a] & near[f2a]
    ga, gb = loc[f1a[inner]], loc[f2a[inner]]
    TA = np.c_[T, A]
    # one sparse product a ring sums every neighbour's row at once (seven bincounts over
    # each side of ~10^6 edge pairs cost four times as much at 2M faces)
    ring = coo_matrix((np.ones(2 * len(ga)), (np.r_[ga, gb], np.r_[gb, ga])),
                      shape=(ns, ns)).tocsr()
    for _ in range(SMOOTH_RINGS):
        TA = TA + ring @ TA
    # a concave crease has a negative tensor: judge every face by its dominant sign
    flip = np.where(TA[:, 0] + TA[:, 1] + TA[:, 2] < 0, -1.0, 1.0)
    lam1, lam2, axis_s = sym_eig_top(TA[:, :6] * flip[:, None])
    kap_f = lam1 / np.maximum(TA[:, 6], 1e-300)
    aniso = lam2 <= ANISOTROPY * np.maximum(lam1, 1e-300)
    hard = np.zeros(ns, bool)
    hard[loc[f1[c.strong]]] = True
    hard[loc[f2[c.strong]]] = True
    own = np.zeros(ns, bool)  # the face itself touches a turning edge
    own[loc[f1]] = True
    own[loc[f2]] = True
    is_cs = own & aniso & (lam1 > 0) & ((kap_f >= 1.0 / detect_radius_mm) | hard)
    if not is_cs.any():
        return None
    return _FaceTensors(sub, loc, ga, gb, inner, lam1, lam2, axis_s, kap_f, flip, own, is_cs)


def _chain_links(analysis, ev, fp, c: _Candidates, t: _FaceTensors):
    """Step 2a: pairs of crease faces (compact ids) that belong to one chain: edge neighbours
    with parallel crease directions, and the faces of hard edges meeting end to end."""
    f1a, f2a = fp[:, 0], fp[:, 1]
    f1, f2, strong, loc, ga, gb = c.f1, c.f2, c.strong, t.loc, t.ga, t.gb
    ns = len(t.sub)
    is_cs, axis_s = t.is_cs, t.axis_s
    link = is_cs[ga] & is_cs[gb] & \
        (np.abs(np.einsum("ij,ij->i", axis_s[ga], axis_s[gb])) >= AXIS_COS)
    # a face touching exactly one hard edge links across that edge only (and end to end along
    # it, below): two such faces sharing another edge may stand on two different hard edges
    # (the top and bottom rims of a one-row wall), or on a hard edge and surface noise
    nstrong = np.bincount(loc[f1[strong]], minlength=ns) + \
        np.bincount(loc[f2[strong]], minlength=ns)
    single = nstrong == 1
    hard_e = np.zeros(len(f1a), bool)
    hard_e[c.ce[strong]] = True
    link &= hard_e[t.inner] | ~(single[ga] | single[gb])
    # two faces on hard edges (each touching two: a one-row wall between a rim and a facet
    # edge) link across another edge only where hard edges of both run on through a shared
    # vertex in the same direction
    both = link & ~hard_e[t.inner] & (nstrong[ga] > 0) & (nstrong[gb] > 0)
    if both.any():
        both_i = np.flatnonzero(both)
        link[both_i] = _hard_continue(ga[both_i], gb[both_i], ev[t.inner][both_i],
                                      c.ce[strong], ev, loc, f1a, f2a, c.ehat[strong],
                                      analysis.model.n_vertices)
    # a face touching hard edges none of which runs along its (smoothed) direction is no
    # part of a chain along that direction (a coarse box's end face, smoothed by its sides)
    par = np.zeros(ns)
    sc = np.abs(np.einsum("ij,ij->i", c.ehat[strong], axis_s[loc[f1[strong]]]))
    np.maximum.at(par, loc[f1[strong]], sc)
    sc = np.abs(np.einsum("ij,ij->i", c.ehat[strong], axis_s[loc[f2[strong]]]))
    np.maximum.at(par, loc[f2[strong]], sc)
    along = (nstrong == 0) | (par >= AXIS_COS)
    link &= along[ga] & along[gb]
    ha, hb = _end_to_end(ev, c, t)
    return np.r_[ga[link], ha], np.r_[gb[link], hb]


def _end_to_end(ev, c: _Candidates, t: _FaceTensors):
    """Step 2b: hard crease edges meeting end to end at a vertex with parallel directions
    link their faces (on a hard edge of a coarse mesh the crease triangles may touch only
    there): the compact face pairs."""
    si = np.flatnonzero(c.strong)
    if len(si) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    endv = np.r_[ev[c.ce[si], 0], ev[c.ce[si], 1]]
    ende = np.r_[si, si]
    o = np.argsort(endv, kind="stable")
    endv, ende = endv[o], ende[o]
    a, b = pairs_in_runs(endv)  # every pair of hard edges ending at one vertex
    e1, e2 = ende[a], ende[b]
    par = np.abs(np.einsum("ij,ij->i", c.ehat[e1], c.ehat[e2])) >= AXIS_COS
    e1, e2 = e1[par], e2[par]
    # each edge links through its crease face whose own direction runs along it (a face
    # of a crossing fillet that merely touches a hard rim must not join the rim's chain)
    ha = _along_face(e1, c.f1, c.f2, t.loc, t.is_cs, t.axis_s, c.ehat)
    hb = _along_face(e2, c.f1, c.f2, t.loc, t.is_cs, t.axis_s, c.ehat)
    keep = (ha >= 0) & (hb >= 0)
    return ha[keep], hb[keep]


def _chains_grown(analysis, ev, c: _Candidates, t: _FaceTensors, la, lb) -> dict:
    """Step 2c: chains as the connected components of the links, grown over the rest of
    their curved band; the seeds dict `_seed_chains` returns."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nf = len(analysis.model.faces)
    sub, ns = t.sub, len(t.sub)
    lam1, lam2, kap_f, axis_s = t.lam1, t.lam2, t.kap_f, t.axis_s
    good = np.flatnonzero(t.is_cs)  # compact (sub) indices of crease faces
    remap = np.full(ns, -1)
    remap[good] = np.arange(len(good))
    g = coo_matrix((np.ones(len(la)), (remap[la], remap[lb])), shape=(len(good), len(good)))
    ncomp, lab = connected_components(g, directed=False)
    chain_s = np.full(ns, -1)
    chain_s[good] = lab
    ratio = lam2 / np.maximum(lam1, 1e-300)
    # grow chains over the rest of their curved band (faces whose direction is unclear or
    # whose curvature is partial, e.g. across a fillet's tangent line on an irregular mesh),
    # so the flank faces beyond lie on the flat sides
    # (not into doubly curved faces: a corner or a dome is no part of an edge)
    # (curving at least WEAK_FRACTION as much as the chain's own faces: a gently curved
    # surface beside the fillet is no part of it)
    kmed = _weighted_quantile(kap_f[good], np.ones(len(good)), lab, ncomp, 0.5)
    weak = t.own & (lam2 <= GROW_ANISOTROPY * np.maximum(lam1, 1e-300))
    # (a ring grows from the chains as they stood before it, both ways across each edge at
    # once; a face reached by two chains joins the one whose face beside it curves the most,
    # ties by place: which side of an edge is listed first is the file's order, not shape)
    gp, gq = np.r_[t.ga, t.gb], np.r_[t.gb, t.ga]
    fc_ = analysis.face_centroids
    qc = _quantised(fc_[sub], float(np.ptp(fc_, axis=0).max()))
    for _ in range(GROW_RINGS):
        cp = chain_s[gp]
        m = (cp >= 0) & (chain_s[gq] < 0) & weak[gq]
        m[m] = kap_f[gq[m]] >= WEAK_FRACTION * kmed[cp[m]]
        p_, q_ = gp[m], gq[m]
        o = np.lexsort((qc[p_, 2], qc[p_, 1], qc[p_, 0], -kap_f[p_], q_))
        p_, q_ = p_[o], q_[o]
        head = np.r_[True, q_[1:] != q_[:-1]] if len(q_) else np.zeros(0, bool)
        p_, q_ = p_[head], q_[head]
        chain_s[q_] = chain_s[p_]
        axis_s[q_] = axis_s[p_]  # a grown face's own direction may be noise
    face_chain = np.full(nf, -1)
    face_chain[sub] = chain_s
    kappa = np.zeros(nf)
    kappa[sub] = np.where(lam1 > 0, kap_f, 0.0)
    axis = np.zeros((nf, 3))
    axis[sub] = axis_s
    iso = np.full(nf, np.nan)  # lambda2 / lambda1 of the crease faces (not the grown ones)
    iso[sub[good]] = ratio[good]
    convex = np.zeros(nf, bool)
    convex[sub] = t.flip > 0
    return dict(face_chain=face_chain, ncomp=ncomp, axis=axis, kappa=kappa, iso=iso,
                convex=convex, ce=c.ce, f1=c.f1, f2=c.f2, theta=c.theta, ell=c.ell,
                ehat=c.ehat, strong=c.strong, ev=ev,
                first=_first_by_place(analysis.face_centroids, c.f1, c.f2))


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
