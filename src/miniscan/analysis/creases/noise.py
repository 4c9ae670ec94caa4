"""The surface's own vertex noise, per body (mm), and the chains whose turn it can make.

Vertex noise delta along the normals tilts a face about an edge by its apex's move against the
move at the foot of its height over that height, so the fold theta an interior edge makes is,
in displacement terms, d = theta / its compliance (fold_compliance: mm; from the two faces'
heights over the edge and where their feet lie along it, the edge's own moves shared by both):
the same noise gives the same d on wide faces and on slivers, whose folds it makes steep.
Noise folds faces both ways alike; a form or an edge folds them one way (a cylinder's facets
all convex, a CAD part's flats not at all). So the noise is read from the folds of the sign
fewer edges have, with the flat edges (exactly coplanar faces) among them: their median over a
half-normal's median is the noise sigma. On a clean model the sample is flat edges and a few
creases of the rarer sign: 0. (Censoring folds at a crease's turn instead, as the sections' own
floor does, reads noise on slivers, whose folds pass any turn, as a few quiet crossings:
edges:9045's side wall.) docs/edges.md, "A fold picked out of a noisy body's folds must stand above them"."""

from __future__ import annotations

import numpy as np

from .common import NOISE_TURNS, _analysis_edge_faces, _weighted_quantile, edge_turns

HALF_NORMAL_MEDIAN = 0.6745  # the median of |N(0, 1)|
FLAT_FOLD_RAD = 1e-9  # folds below this are rounding: coplanar faces (counted with either sign)
SAMPLE_EDGES = 1 << 18  # edges the sigma is read from, at most: every k-th of a larger mesh (a
# median of 2^18 folds is known to a few tenths of a per cent; all 3M of a 2M-face mesh took
# 1.5 s, mostly gathering faces' normals and centroids out of order)
ROUNDING_REL = 1e-6  # a sigma under this share of the coordinates' size is their rounding, not
# noise: files keep float32 (7 digits), and coplanar faces of a clean glTF body fold by what that
# rounding leaves (showcase_mini.glb's read 1.1e-7 mm, so a rule that asks sigma > 0 found
# "noise" on a clean body)
MIN_SAMPLE = 64  # folds a body's sigma is read from, at least (a median of n scatters by about
# 1.25 / sqrt(n) of itself: 16 % at 64); fewer, and the body reads 0, clean. (A 12-triangle box
# wound half inside out has 12 "concave" creases of its 17: its sigma read 99 mm)


def face_noise_mm(analysis) -> np.ndarray:
    """(n_faces,) the vertex noise sigma (mm) of each face's body."""
    return analysis.cached("creases:noise", _face_noise)


def _face_noise(analysis) -> np.ndarray:
    """Per face, its body's sigma: the rarer sign's folds (and the flat ones) as displacements,
    their median per body over HALF_NORMAL_MEDIAN; 0 where fewer than MIN_SAMPLE, and where it
    is within the coordinates' rounding (ROUNDING_REL)."""
    return _noise_over_rounding(analysis, _body_noise(analysis))


def _noise_over_rounding(analysis, per_face: np.ndarray) -> np.ndarray:
    v = analysis.model.vertices
    floor = ROUNDING_REL * float(np.abs(v).max()) if len(v) else 0.0
    return np.where(per_face > floor, per_face, 0.0)


def fold_compliance(v, faces, ev, fp) -> np.ndarray:
    """Per interior edge (its vertices ev, its two faces fp): the sigma of the fold it makes
    under unit vertex noise along the normal (rad per mm). Each face tilts about the edge by
    its apex's move against the move at the foot of its height, (1 - t) delta_0 + t delta_1,
    over the height h (t: where the foot lies along the edge, 0 at ev[:, 0]); the two tilts
    add: 1/h_A^2 + 1/h_B^2 + ((1 - t_A)/h_A + (1 - t_B)/h_B)^2 + (t_A/h_A + t_B/h_B)^2.
    (Taking every foot at the edge's middle, t = 1/2, under-counted the edge's share: a
    sliver's long edge has its foot at an end, and isotropic faces' feet spread along the
    edge; the truth grammar's noisy meshes read 11 % high at the median, its sliver rims
    22-72 %.)"""
    e = v[ev[:, 1]] - v[ev[:, 0]]
    ell2 = np.einsum("ij,ij->i", e, e)
    apex = faces[fp].sum(axis=2) - ev.sum(axis=1)[:, None]  # (m, 2): each face's third corner
    terms = []
    with np.errstate(divide="ignore", invalid="ignore"):  # (a degenerate face: inf or NaN)
        for k in (0, 1):
            r = v[apex[:, k]] - v[ev[:, 0]]
            t = np.einsum("ij,ij->i", r, e) / ell2
            h = np.linalg.norm(np.cross(r, e), axis=1) / np.sqrt(ell2)
            terms.append((t, 1.0 / h))
        (ta, ia), (tb, ib) = terms
        out = ia ** 2 + ib ** 2 + ((1.0 - ta) * ia + (1.0 - tb) * ib) ** 2 + \
            (ta * ia + tb * ib) ** 2
        return np.sqrt(out)


def _body_noise(analysis) -> np.ndarray:
    """Per face, its body's sigma before the rounding floor (_face_noise)."""
    v = analysis.model.vertices
    ev, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    body = analysis.body_labels
    nb = analysis.n_bodies
    out = np.zeros(nb)
    if len(ev) == 0:
        return out[body] if len(body) else np.zeros(0)
    k = -(-len(ev) // SAMPLE_EDGES)  # (every k-th edge: a deterministic, even sample)
    ev, fp = ev[::k], fp[::k]
    fn = analysis.face_normals
    theta = np.arccos(np.clip(np.einsum("ij,ij->i", fn[fp[:, 0]], fn[fp[:, 1]]), -1.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = theta / fold_compliance(v, analysis.model.faces, ev, fp)
    cen = analysis.face_centroids
    convex = np.einsum("ij,ij->i", fn[fp[:, 0]], cen[fp[:, 0]] - cen[fp[:, 1]]) > 0
    use = np.isfinite(d)
    flat = use & (theta <= FLAT_FOLD_RAD)
    eb = body[fp[:, 0]]
    n_cx = np.bincount(eb[use & ~flat & convex], minlength=nb)
    n_cv = np.bincount(eb[use & ~flat & ~convex], minlength=nb)
    sample = use & (flat | (convex == (n_cx < n_cv)[eb]))
    sb, sd = eb[sample], np.where(flat, 0.0, d)[sample]
    cnt = np.bincount(sb, minlength=nb)
    has = cnt >= MIN_SAMPLE
    if nb == 1:  # (one body: a median by partition, not a sort of millions)
        if has[0]:
            out[0] = np.median(sd) / HALF_NORMAL_MEDIAN
        return out[body]
    if len(sb):
        o = np.lexsort((sd, sb))
        sb, sd = sb[o], sd[o]
        start = np.searchsorted(sb, np.arange(nb))
        mid = start + (cnt - 1) // 2
        last = len(sd) - 1
        med = 0.5 * (sd[np.minimum(mid, last)] + sd[np.minimum(start + cnt // 2, last)])
        out[has] = med[has] / HALF_NORMAL_MEDIAN
    return out[body]


FALSE_FOLDS = 0.05  # how many of a body's noise folds may pass for an edge, all told: a chain
# is picked out of every fold the body has, so its turn must stand above the largest of them
# (a Bonferroni bound: two-sided, over the body's folds turning a crease's worth or more)


def chain_noise_mm(analysis, cr) -> np.ndarray:
    """Per chain, the vertex noise sigma of its body (mm)."""
    first = np.array([f[0] for f in cr.first_faces], dtype=np.int64)
    return face_noise_mm(analysis)[first] if cr.count else np.zeros(0)


def noise_limited(analysis, cr) -> np.ndarray:
    """Per chain, whether its turn fails to stand above the vertex noise of its body: each of
    its good sections reads its turn as the difference of two flank levels, which the noise
    moves by turn_sd (flanks._level_var); sections along the chain are independent readings
    as far as its faces reach along it (a fold on a 2.8 mm sliver is one reading wherever it
    is cut), n = min(sections, length / the faces' median extent along it); the chain stands
    when turn / turn_sd x sqrt(n) passes the z a two-sided normal tail reaches once in
    1 / FALSE_FOLDS bodies of that many folds (and NOISE_TURNS at least). A clean body reads no
    noise and every chain stands."""
    from scipy.special import ndtri

    k = cr.count
    if k == 0:
        return np.zeros(0, bool)
    sigma = face_noise_mm(analysis)
    first = np.array([f[0] for f in cr.first_faces], dtype=np.int64)
    noisy = sigma[first] > 0
    if not noisy.any():
        return np.zeros(k, bool)
    folds = _folds_per_body(analysis, cr.turn_min_rad)
    z_min = np.maximum(NOISE_TURNS, ndtri(1.0 - FALSE_FOLDS / (2.0 * np.maximum(
        folds[analysis.body_labels[first]], 1))))
    fc = np.asarray(cr.face_chain)
    on = np.flatnonzero(fc >= 0)
    v = analysis.model.vertices[analysis.model.faces[on]]  # (m, 3, 3)
    ext = np.ptp(np.einsum("mck,mk->mc", v, cr.axis[fc[on]]), axis=1)
    reach = _weighted_quantile(ext, np.ones(len(on)), fc[on], k, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.fmax(1.0, np.fmin(np.asarray(cr.n_read, float), cr.length_mm / reach))
        z = np.abs(cr.turn_rad) / cr.turn_sd_rad * np.sqrt(np.nan_to_num(n, nan=1.0))
    return noisy & (cr.turn_sd_rad > 0) & ~(z >= z_min)


def _folds_per_body(analysis, turn_min: float) -> np.ndarray:
    """(n_bodies,) how many interior edges of each body fold by turn_min or more."""
    _, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    return np.bincount(analysis.body_labels[fp[edge_turns(analysis) >= turn_min, 0]],
                       minlength=analysis.n_bodies)
