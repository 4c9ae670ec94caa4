"""Step 3 of the crease reading: where each chain is cut, the walk across the mesh along each
cut, and the profile (the normal's angle against arc length) the walk leaves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .common import (AXIS_COS, PLACE_QUANTUM, _all_edge_faces, _edge_face,
                     _cross3, _quantised, _sym6,
                     _weighted_quantile, sym_eig_top)
from .noise import face_noise_mm


STATIONS_PER_CHAIN = 8  # sections cut per chain (medians over them: robust to noise)
MAX_STATIONS = 6_000  # sections walked together in one batch (bounds the walk's memory on
# huge scans; never how many a chain is cut at: that is each chain's own, STATIONS_PER_CHAIN)
MAX_CROSSINGS = 32  # edges crossed per side of a section on the first walk (a station whose
# band or flank reaches past it is walked again below; 48 here was slower and no better: truth
# suite recall 239 vs 242 of 334, unsupported 18 vs 15)
WALK_BAND_WIDTHS = 3.0  # how far a section walks, in units of the chain's nominal band width
TIE_REL = 1e-6  # crossings turning alike to this share are equally strong (rounding only)
STEP_EPS = 1e-6  # a step shorter than this share of the face is a start on its edge (its
# direction is rounding noise: the walk's own way tells which side the face lies on)
SNAP_FRACTION = 0.25  # a plane passing within this share of a face's depth across it from the
# face's lone vertex clips the face's corner: the crossings either side are one turn at that
# vertex (measured across the plane, not along the walk: an oblique cut through a row of long
# slivers crosses each one far from its corners, however long its part of the walk is short)


def _stations(analysis, seeds, detect, eye):
    """Where each chain is cut: hard-edge midpoints (direction: the edge) and curved band
    faces (direction: their tensor's), up to STATIONS_PER_CHAIN per chain, spread evenly
    along the chain (_spread: by geometry alone, so the same surface listed in another order
    is cut at the same places)."""
    cand = _candidates(analysis, seeds, detect)
    quota = np.full(max(seeds["ncomp"], 1), STATIONS_PER_CHAIN)
    return _cut(analysis, seeds, cand, _evenly(cand["rank"], cand["chain"], quota), detect, eye)


def _candidates(analysis, seeds, detect):
    """_candidates_of, kept on the seeds for the labels it was read with: the stations and
    the placing of the kept chains (_along_the_crease) both read it, and where no chains
    were joined in between (_merge_across) the labels are the same (1.5-2 s at 2M faces)."""
    fc = seeds["face_chain"]
    key = (hashlib.blake2b(np.ascontiguousarray(fc).tobytes(), digest_size=16).digest(),
           len(fc), seeds["ncomp"], float(detect))
    kept = seeds.get("candidates")
    if kept is None or kept[0] != key:
        kept = (key, _candidates_of(analysis, seeds, detect))
        seeds["candidates"] = kept
    return kept[1]


def _candidates_of(analysis, seeds, detect):
    """Every place a chain may be cut (its hard-edge midpoints and its curved band faces),
    ordered by chain and along it (_spread), with each one's rank along its chain, the
    position t of that rank on the chain's principal line and the key that names it (the
    hard edge's id, or -1 - the face's)."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    v, fcen = analysis.model.vertices, analysis.face_centroids
    ce, f1, f2, strong, ehat = seeds["ce"], seeds["f1"], seeds["f2"], seeds["strong"], seeds["ehat"]
    ev = seeds["ev"]
    # hard stations: strong edges inside a chain. An edge between two chains is cut for the
    # one whose crease runs along it (within AXIS_COS) where the other is a soft band (none of
    # its hard edges runs along its crease) running across it (within AXIS_COS of square): a
    # crease ending on the edge, as a swept wall's soft bend ends on the rim at its foot (the
    # rim's edge, cut for the bend because its face came first by place, read the rim, and the
    # two creases were joined as one band read twice); else for the one first by place (near
    # a corner of hard creases, where the faces' directions turn from one to the other)
    hs = np.flatnonzero(strong)
    ga, gb = f1[hs], f2[hs]
    hf = _edge_face(fc, ga, gb, seeds["first"][hs])
    ax = seeds["axis"]
    ca = np.abs(np.einsum("ij,ij->i", ehat[hs], ax[ga]))
    cb = np.abs(np.einsum("ij,ij->i", ehat[hs], ax[gb]))
    # chains with a hard edge along their crease
    hard = np.zeros(max(ncomp, 1), bool)
    hard[fc[ga][(fc[ga] >= 0) & (ca >= AXIS_COS)]] = True
    hard[fc[gb][(fc[gb] >= 0) & (cb >= AXIS_COS)]] = True
    across = np.sqrt(1.0 - AXIS_COS ** 2)  # |cos| within 35 degrees of square
    two = (fc[ga] >= 0) & (fc[gb] >= 0)
    to_a = two & (ca >= AXIS_COS) & (cb <= across) & ~hard[np.maximum(fc[gb], 0)]
    to_b = two & (cb >= AXIS_COS) & (ca <= across) & ~hard[np.maximum(fc[ga], 0)]
    hf[to_a], hf[to_b] = ga[to_a], gb[to_b]
    hch = fc[hf]
    k = hch >= 0
    hs, hch = hs[k], hch[k]
    hx = _across_its_face(ehat[hs], ax[hf[k]], across)
    hp = 0.5 * (v[ev[ce[hs], 0]] + v[ev[ce[hs], 1]])
    # soft stations: chain faces touching no strong edge, curving at least 1/R_detect
    touch = np.zeros(len(fc), bool)
    touch[f1[strong]] = True
    touch[f2[strong]] = True
    cf = np.flatnonzero(fc >= 0)
    kmed = _weighted_quantile(seeds["kappa"][cf], np.ones(len(cf)), fc[cf], ncomp, 0.5)
    kf = seeds["kappa"]
    sf = np.flatnonzero((fc >= 0) & ~touch & (kf >= 1.0 / detect) &
                        (kf >= (1.0 - TIE_REL) * kmed[np.maximum(fc, 0)]))
    # (TIE_REL: faces curving alike up to rounding, whose last bits follow the file's order)
    p = np.concatenate([hp, fcen[sf]])
    a = np.concatenate([ehat[hs], seeds["axis"][sf]])
    # a hard edge's section starts on the face of the two that comes first by place (the
    # smaller face id would follow the file's listing)
    f = np.concatenate([seeds["first"][hs], sf])
    ch = np.concatenate([hch, fc[sf]])
    edge = np.r_[hs, np.full(len(sf), -1)]  # the hard edge a station is cut at (-1: a face)
    x = np.r_[hx, np.zeros(len(sf), bool)]
    o, t_rank, t = _spread(p, ch, position=True)
    p, a, f, ch, edge, x = p[o], a[o], f[o], ch[o], edge[o], x[o]
    # (the direction's sign is the listing's too: an edge runs from its lower vertex id)
    a = a * np.where(a[np.arange(len(a)), np.argmax(np.abs(a), axis=1)] < 0, -1.0, 1.0)[:, None]
    return dict(p=p, a=a, f=f, chain=ch, edge=edge, rank=t_rank, t=t[o],
                key=np.where(edge >= 0, edge, -1 - f), across=x)


def _across_its_face(ehat, axis, across):
    """Per hard edge: whether it runs across the crease of the chain face it counts for
    (|cos| within `across` of square to that face's direction; a face with no direction is
    not judged). Such an edge may be another crease crossing the chain's band: its section,
    cut square to it, runs along the chain and reads that crease. The station stays the
    chain's (dropping such stations lost 13 of the cycloidal gear's 53 razor chains and 59 of
    the wyrmling's 131: coarse faces touching hard edges every way, docs/edges.md step 3), but
    what its band holds joins a chain to its own only where its reading is its own chain's too
    (chains._merge_across; asked of none of them, a noisy fillet's noise folds, which run
    every way, no longer held its pieces together: edges:43019 kept a razor piece). A coarse
    sweep folds between its sections, square to its rims; the faces the folds cross in a
    1.12 mm rim's band each took a fold edge, whose sections read the fold's one 5.25 mm row,
    5.56 mm [2.32, 8.80], and their bands held the folds' own chains, which joined the rim's.
    Twelve of its 19 sections then read folds: the rim read "too soft" at 5.56 mm, beside a
    0.364 mm rim that passes (edges:83030)."""
    n = np.linalg.norm(axis, axis=1)
    c = np.abs(np.einsum("ij,ij->i", ehat, axis))
    return (n > 0) & (c <= across * n)


def _cut(analysis, seeds, cand, s, detect, eye):
    """The stations: the candidates s (a mask over `cand`), with how far each walks. Every
    chain is cut at its own stations, whatever other chains the model has: a budget shared
    by all made a chain's sections, and so its verdict, depend on how many chains lay
    elsewhere (with the crease pairing measured in docs/edges.md, a stud set into the scanned
    boot's far side took one of its chains from 8 sections to 3, edges:c19, and its 3 read it
    too soft where the clean boot's 8 did not)."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    fa = analysis.face_areas
    p, a, f, ch, edge, x = (cand[k][s] for k in ("p", "a", "f", "chain", "edge", "across"))
    an = np.linalg.norm(a, axis=1)
    s = an > 0
    p, a, f, ch, edge, x = p[s], a[s] / an[s, None], f[s], ch[s], edge[s], x[s]
    # how far to walk: a few nominal band widths (pi / curvature of the chain's faces,
    # at most pi R_detect), three faces, two eye resolutions
    cf = np.flatnonzero(fc >= 0)
    kap = np.maximum(seeds["kappa"][cf], 1.0 / detect)
    w0 = _weighted_quantile(np.pi / kap, np.ones(len(cf)), fc[cf], ncomp, 0.5)
    h0 = np.sqrt(2.0 * fa[f])
    reach = WALK_BAND_WIDTHS * w0[ch] + 3.0 * h0 + 2.0 * eye
    return dict(p=p, a=a, f=f, chain=ch, reach=reach, band=0.5 * w0[ch] + h0, edge=edge,
                bend=_bend(p, a, ch), across=x)


def _bend(p, a, ch):
    """Per station (in chain order, along the chain's principal line: _spread): how fast its
    chain's crease turns along itself, 1 / rho per mm, read from the stations beside it on
    the same chain as the angle between their directions over the distance between them
    (2 asin(d / 2 rho) over d: 1 / rho to 4 % up to a quarter turn apart); the larger of its
    two sides, 0 on a chain of one station. A corner d along the crease from a section lies
    d^2 / (2 rho) off the profile the section reads (_corner_radius)."""
    out = np.zeros(len(ch))
    if len(ch) < 2:
        return out
    same = ch[1:] == ch[:-1]
    ang = np.arccos(np.clip(np.abs(np.einsum("ij,ij->i", a[1:], a[:-1])), 0.0, 1.0))
    dist = np.linalg.norm(p[1:] - p[:-1], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(same & (dist > 0), ang / dist, 0.0)
    out[1:] = k
    out[:-1] = np.maximum(out[:-1], k)
    return out


def _spread(p, ch, position=False):
    """Station candidates ordered by chain, then along it: by their position t on the
    principal line of the chain's candidates (its centre, its direction with the sign that
    makes its largest component positive), quantised, ties by quantised place. Returns the
    order and each ordered candidate's rank along its chain (and, with `position`, t, mm,
    in the candidates' own order)."""
    from .. import lexsort_labels_ties

    n = int(ch.max()) + 1 if len(ch) else 0
    cnt = np.maximum(np.bincount(ch, minlength=n), 1).astype(float)
    mean = np.stack([np.bincount(ch, p[:, j], n) for j in range(3)], 1) / cnt[:, None]
    d = p - mean[ch]
    cov = _sym6(d, np.ones(len(d)))
    T = np.stack([np.bincount(ch, cov[:, j], n) for j in range(6)], 1)
    # quantised: a closed loop (a square rim) spreads alike two ways, and its line is then
    # whatever the last bits of the sums say; the same bits give the same line
    scale = np.maximum(T[:, :3].sum(axis=1), 1e-300)[:, None]
    line = sym_eig_top(_quantised(T / scale, 1.0))[2]
    big = np.argmax(np.abs(line), axis=1)
    line = line * np.where(line[np.arange(n), big] < 0, -1.0, 1.0)[:, None]
    span = float(np.ptp(p, axis=0).max()) if len(p) else 1.0
    t = _quantised(np.einsum("ij,ij->i", d, line[ch]), span)
    q = _quantised(p, span)
    o = lexsort_labels_ties(t, ch, (q[:, 0], q[:, 1], q[:, 2]))
    chs = ch[o]
    rank = np.arange(len(chs)) - np.searchsorted(chs, chs)
    return (o, rank, t * PLACE_QUANTUM * (span if span > 0 else 1.0)) if position else (o, rank)


def _evenly(rank, ch, quota):
    """Keep up to quota[chain] of each chain's candidates (rank = place along the chain, ch
    sorted), spread evenly over its length: the middles of quota equal runs (a chain's ends
    lie at its corners and tapers)."""
    n = np.bincount(ch, minlength=len(quota))[ch]
    q = np.minimum(quota[ch], n)
    # candidate r is the pick of run j where floor((j + 1/2) n / q) = r for some j
    j = np.ceil((rank + 1) * q / n - 0.5) - 1  # the last run whose pick is <= r
    pick = np.floor((j + 0.5) * n / q)
    return (j >= 0) & (pick == rank)


@dataclass(frozen=True)
class _Walk:
    """Sections as walked: per walker (2S rows: side 0 then side 1) and step (K + 1 columns,
    step 0 is the start face's part from p0); -1 / NaN past the end."""

    face: np.ndarray  # face crossed at each step
    seg: np.ndarray  # length of the section inside it
    edge: np.ndarray  # edge it leaves by
    point: np.ndarray  # (2S, K + 1, 3) where it leaves
    reach_in: np.ndarray  # how far the face reaches behind its exit point, along the walk
    reach_out: np.ndarray  # how far it reaches beyond its entry point
    extent: np.ndarray  # how near the plane passes to its lone vertex (share of its depth)


_NEXT = np.array([1, 2, 0])  # each corner's next corner round a face


def _cross(a, b):
    """a x b over the last axis (broadcast): common._cross3's products, in np.cross's order,
    without its per-call overhead and copies (a walk takes one a step)."""
    return np.stack(_cross3(np.moveaxis(a, -1, 0), np.moveaxis(b, -1, 0)), axis=-1)


def _walk_sections(analysis, p0, a, f0, reach, K=None) -> _Walk:
    """Cut the mesh with the plane through p0 perpendicular to a, walking face to face from
    f0 to both sides (side 0 along +b = a x n(f0), side 1 along -b) until `reach` mm or
    K (default MAX_CROSSINGS) edges."""
    v, faces = analysis.model.vertices, analysis.model.faces
    fe, fn = analysis.face_edges, analysis.face_normals
    ef = analysis.cached("creases:all_edge_faces", _all_edge_faces)
    S = len(p0)
    K = K or MAX_CROSSINGS
    n0 = analysis.face_normals[f0]
    b0 = np.cross(a, n0)
    b0 /= np.maximum(np.linalg.norm(b0, axis=1), 1e-300)[:, None]
    side = np.r_[np.ones(S), -np.ones(S)]
    P0, A, B = np.r_[p0, p0], np.r_[a, a], np.r_[b0, b0] * side[:, None]
    R = np.r_[reach, reach]
    out_f = np.full((2 * S, K + 1), -1, np.int64)
    out_e = np.full((2 * S, K + 1), -1, np.int64)
    out_l, r_in, r_out, ext = (np.full((2 * S, K + 1), np.nan) for _ in range(4))
    out_q = np.full((2 * S, K + 1, 3), np.nan)
    idx = np.arange(2 * S)  # live walkers
    f = np.r_[f0, f0]
    e_in = np.full(2 * S, -1, np.int64)
    P = P0.copy()
    s = np.zeros(2 * S)
    for k in range(K + 1):
        if len(idx) == 0:
            break
        ff = f[idx]
        V = v[faces[ff]]  # (n, 3, 3)
        d = np.einsum("nij,nj->ni", V - P0[idx, None, :], A[idx])
        d = np.where(d == 0.0, 1e-300, d)  # a vertex on the plane counts as in front
        d1 = d[:, _NEXT]
        cut = (d > 0) != (d1 > 0)
        t = d / np.where(cut, d - d1, 1.0)
        eid = fe[ff]
        r = np.arange(len(idx))
        if k == 0:  # leave the start face towards this walker's side
            Q = V + t[:, :, None] * (V[:, _NEXT] - V)
            score = np.einsum("nij,nj->ni", Q - P0[idx, None, :], B[idx])
            score = np.where(cut, score, -np.inf)
            j = np.argmax(score, axis=1)
            q = Q[r, j]
        else:  # (the exit point of the edge it leaves by only: the same sums, a third of them)
            score = np.where(cut & (eid != e_in[idx, None]), 0.0, -np.inf)
            j = np.argmax(score, axis=1)
            vj = V[r, j]
            q = vj + t[r, j][:, None] * (V[r, _NEXT[j]] - vj)
        ok = np.isfinite(score[r, j])
        seg = np.linalg.norm(q - P[idx], axis=1)
        w = idx[ok]
        out_f[w, k], out_l[w, k], out_q[w, k] = ff[ok], seg[ok], q[ok]
        s[idx] += seg
        e = eid[r, j]
        out_e[w, k] = e[ok]
        # the section's direction inside this face (the walk's way), for the face's reach
        td = _cross(A[idx], fn[ff])
        step = q - P[idx]
        size2 = np.einsum("ni,ni->n", V[:, 1] - V[:, 0], V[:, 1] - V[:, 0])
        moved = np.einsum("ni,ni->n", step, step) > STEP_EPS ** 2 * size2  # not a rounding
        fwd = np.where(moved, np.einsum("ni,ni->n", td, step), np.einsum("ni,ni->n", td, B[idx]))
        td *= np.where(fwd < 0, -1.0, 1.0)[:, None]
        along = np.einsum("nij,nj->ni", V, td)
        r_out[w, k] = (along.max(axis=1) - np.einsum("ni,ni->n", P[idx], td))[ok]
        r_in[w, k] = (np.einsum("ni,ni->n", q, td) - along.min(axis=1))[ok]
        # how near the plane passes to the face's lone vertex (the one on its own side), as a
        # share of the face's depth across the plane: a clipped corner is near 0, a row crossed
        # through (however obliquely its slivers lie) is not
        pos = (d > 0).sum(axis=1)
        lone = np.where(pos == 1, np.argmax(d, axis=1), np.argmin(d, axis=1))
        depth = np.maximum(d.max(axis=1) - d.min(axis=1), 1e-300)
        ext[w, k] = (np.abs(d[r, lone]) / depth)[ok]
        pair = ef[e]
        nxt = np.where(pair[:, 0] == ff, pair[:, 1], pair[:, 0])
        P[idx] = q
        e_in[idx] = e
        f[idx] = nxt
        idx = idx[ok & (nxt >= 0) & (s[idx] < R[idx])]
    return _Walk(out_f, out_l, out_e, out_q, r_in, r_out, ext)


@dataclass(frozen=True)
class _Profile:
    """One station's section read left to right (S rows): crossing j lies between faces j and
    j + 1; after vertex snapping (see _snap) crossings are clusters of walked crossings."""

    X: np.ndarray  # (S, M) arc length of each crossing from the station (left negative)
    D: np.ndarray  # (S, M) signed turn of the normal about the crease direction
    vc: np.ndarray  # (S, M) a valid crossing (faces on both sides)
    row_l: np.ndarray  # (S, M) how far the face left of the crossing reaches into itself
    row_r: np.ndarray  # (S, M) ... the face right of it
    first: np.ndarray  # (S, M) index of the first walked crossing in the cluster
    last: np.ndarray  # (S, M) ... the last one
    c0: np.ndarray  # (S,) the crossing just left of the station
    x_end: np.ndarray  # (S, 2) how far the walk went left (negative) and right
    F: np.ndarray  # (S, 2K + 1) walked faces, left to right
    Q: np.ndarray  # (S, 2K, 3) walked crossing points
    skew: np.ndarray  # (S, M) how far the crossed edge reaches across the crease (mm): 0 where
    # it runs along it, on a row of the fillet's profile (turn-weighted over a snapped cluster)
    wid_l: np.ndarray  # (S, M) the face left of the crossing: its extent across the crease (mm)
    wid_r: np.ndarray  # (S, M) ... the face right of it
    p0: np.ndarray  # (S, 3) the station: a point of the section's plane
    axis: np.ndarray  # (S, 3) the plane's normal, the crease's direction there
    bend: np.ndarray  # (S,) how fast the crease turns along itself there (1 / rho, per mm)
    noise_mm: np.ndarray  # (S,) the vertex noise sigma of the station's body (noise.py)
    tilt: np.ndarray  # (S, 2K + 1) how far unit vertex noise tilts each walked face about the
    # crease (its sigma per mm of noise: _tilt)


def _tilt(fv, a, valid):
    """(S, F) per walked face, the sigma of its tilt about the crease direction a under unit
    vertex noise along its normal: a linear face's slope is sum_i delta_i grad(lambda_i), its
    corners' barycentric gradients are n x e_i / (2 area) (e_i the edge opposite corner i), and
    their components across the crease are e_i . a / (2 area): sqrt(sum (e_i . a)^2) / 2A.
    (A sliver along the crease, L long and w wide, tilts by sqrt(2) / w; across it, by about
    1 / L.) NaN off the walk."""
    e = fv[..., _NEXT, :] - fv  # (S, F, 3 edges, 3)
    along = np.einsum("sjck,sk->sjc", e, a)
    area2 = np.linalg.norm(_cross(e[..., 0, :], e[..., 1, :]), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.sqrt((along ** 2).sum(axis=-1)) / area2
    return np.where(valid & np.isfinite(t), t, np.nan)


def _profile_arrays(analysis, walk: _Walk, st) -> _Profile:
    """Left-to-right arrays per station (side 1 reversed, the start face, side 0)."""
    S = len(st["f"])
    K = walk.face.shape[1] - 1
    fn = analysis.face_normals
    n0 = fn[st["f"]]
    b0 = np.cross(st["a"], n0)
    b0 /= np.maximum(np.linalg.norm(b0, axis=1), 1e-300)[:, None]
    R, L = slice(0, S), slice(S, 2 * S)
    F = np.concatenate([walk.face[L, :0:-1], walk.face[R, :1], walk.face[R, 1:]], axis=1)
    E = np.concatenate([walk.edge[L, K - 1::-1], walk.edge[R, :K]], axis=1)
    cr = np.cumsum(np.nan_to_num(walk.seg[R]), axis=1)[:, :K]
    cl = np.cumsum(np.nan_to_num(walk.seg[L]), axis=1)[:, :K]
    X = np.concatenate([-cl[:, ::-1], cr], axis=1)
    Q = np.concatenate([walk.point[L, K - 1::-1], walk.point[R, :K]], axis=1)
    valid = F >= 0
    vc = valid[:, :-1] & valid[:, 1:] & (E >= 0)
    n = fn[np.maximum(F, 0)]
    phi = np.arctan2(np.einsum("sjk,sk->sj", n, b0), np.einsum("sjk,sk->sj", n, n0))
    D = np.where(vc, (np.diff(phi, axis=1) + np.pi) % (2 * np.pi) - np.pi, 0.0)
    # reach of the faces beside each crossing into themselves: walking right, the face left
    # of crossing k is the one left at step k; walking left, the one right of it
    row_l = np.concatenate([walk.reach_out[L, K:0:-1], walk.reach_in[R, :K]], axis=1)
    row_r = np.concatenate([walk.reach_in[L, K - 1::-1], walk.reach_out[R, 1:]], axis=1)
    extent = np.concatenate([walk.extent[L, :0:-1], walk.extent[R, :1], walk.extent[R, 1:]],
                            axis=1)
    x_end = np.stack([-np.nansum(walk.seg[L], axis=1), np.nansum(walk.seg[R], axis=1)], 1)
    # the crossed edge's reach across the crease: |edge x a| (its extent off the line along a)
    ev = analysis.edges_unique[np.maximum(E, 0)]
    vv = analysis.model.vertices
    across = np.linalg.norm(_cross(vv[ev[..., 1]] - vv[ev[..., 0]], st["a"][:, None, :]), axis=-1)
    # ... less what the crease's own curve gives a chord along it: along a crease turning at
    # bend = 1 / rho, a point d along it from the plane lies d^2 bend / 2 off the plane's
    # line, so an edge from d0 to d1 on one row (a revolve's chord) reaches |d1^2 - d0^2|
    # bend / 2 across the station's direction without crossing a row
    d = np.einsum("smek,sk->sme", vv[ev] - st["p"][:, None, None, :], st["a"])
    chord = 0.5 * st["bend"][:, None] * np.abs(d[..., 1] ** 2 - d[..., 0] ** 2)
    across = np.maximum(across - chord, 0.0)
    skew = np.where(E >= 0, across, np.inf)
    # each walked face's extent across the crease, in its own plane (along n x a): a property
    # of the face, not of where this cut passes through it (row_l, row_r are)
    u = _cross(n, st["a"][:, None, :])
    u /= np.maximum(np.linalg.norm(u, axis=-1), 1e-300)[..., None]
    fv = vv[analysis.model.faces[np.maximum(F, 0)]]  # (S, 2K + 1, 3 corners, 3)
    proj = np.einsum("sjck,sjk->sjc", fv, u)
    wid = np.where(valid, np.ptp(proj, axis=-1), np.nan)
    tilt = _tilt(fv, st["a"], valid)
    J = np.broadcast_to(np.arange(2 * K), X.shape)
    prof = _Profile(X, D, vc, row_l, row_r, J, J, np.full(S, K - 1), x_end, F, Q, skew,
                    wid[:, :-1], wid[:, 1:], st["p"], st["a"], st["bend"],
                    face_noise_mm(analysis)[st["f"]], tilt)
    return _snap(prof, extent)


def _snap(p: _Profile, extent) -> _Profile:
    """The two crossings of a face whose corner the plane clips (it passes within
    SNAP_FRACTION of the face's depth of its lone vertex) become one crossing at their turn-weighted
    position with their summed turn: the normal turns at the vertex, and two crossings a
    hair apart would otherwise read as a band a hair wide."""
    S, M = p.X.shape
    clip = p.vc[:, 1:] & p.vc[:, :-1] & (extent[:, 1:-1] < SNAP_FRACTION)
    if not clip.any():
        return p
    new = np.ones((S, M), bool)
    new[:, 1:] = ~clip
    cid = np.cumsum(new, axis=1) - 1
    n_c = cid[:, -1] + 1
    flat = (np.arange(S)[:, None] * M + cid).ravel()

    def total(x):
        return np.bincount(flat, weights=np.asarray(x, float).ravel(), minlength=S * M).reshape(S, M)

    w = np.where(p.vc, np.abs(p.D), 0.0) + 1e-12
    ws = np.maximum(total(w), 1e-300)  # empty slots past the last cluster
    X = total(w * p.X) / ws
    Q = np.stack([total(w * np.nan_to_num(p.Q[:, :, i])) for i in range(3)], -1) / ws[..., None]
    D = total(p.D)
    # (a clipped corner's two edges: the turning one's reach counts, a flat diagonal's not)
    skew = total(w * np.where(p.vc, p.skew, 0.0)) / ws
    live = np.arange(M)[None, :] < n_c[:, None]
    vc = (total(~p.vc) == 0) & live
    J = np.broadcast_to(np.arange(M), (S, M))
    first = np.zeros((S, M), np.int64)
    last = np.zeros((S, M), np.int64)
    rows = np.broadcast_to(np.arange(S)[:, None], (S, M))
    first[rows[new], cid[new]] = J[new]
    end = np.ones((S, M), bool)
    end[:, :-1] = new[:, 1:]
    last[rows[end], cid[end]] = J[end]
    row_l = np.take_along_axis(p.row_l, first, axis=1)
    row_r = np.take_along_axis(p.row_r, last, axis=1)
    wid_l = np.take_along_axis(p.wid_l, first, axis=1)
    wid_r = np.take_along_axis(p.wid_r, last, axis=1)
    # past the last cluster: repeat the last position (nothing valid there)
    X = np.where(live, X, np.take_along_axis(X, (n_c - 1)[:, None], axis=1))
    c0 = cid[np.arange(S), p.c0]
    return _Profile(X, np.where(vc, D, 0.0), vc, row_l, row_r, first, last, c0, p.x_end, p.F, Q,
                    np.where(vc, skew, np.inf), wid_l, wid_r, p.p0, p.axis, p.bend, p.noise_mm,
                    p.tilt)
