"""What every step of the crease reading shares: the Creases values, the mesh's interior
edges and the faces either side, weighted quantiles per label, the top eigenvector of a
symmetric 3 x 3 tensor, places quantised to the model's span, and facet lines joined into
polylines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


ANGLE_EPS = 1e-9  # angles equal to a threshold up to rounding count as reaching it
MIN_EDGE_TURN_RAD = np.radians(1.0)  # dihedrals below this are tessellation noise
AXIS_COS = np.cos(np.radians(35.0))  # neighbouring crease faces with directions closer join
FLANK_RATIO = 0.2  # a flank turning more than this share of the band's turn within one band
# width beyond it curves at a fifth of the band's rate or more: a rounded form (a pebble's rim
# reads 0.3), not an edge between flat faces (0.00-0.04 on the shape grammar, noise included)
GAP_ROWS = 2.5  # a band bridges coplanar crossings (a quad's diagonal) no wider than this
# many of its rows (the row at its reference crossing)
PLACE_QUANTUM = 1e-9  # share of the model's span below which two places are one (a
# face's centroid summed in another corner order moves by ~1e-16 of it)
NOISE_SIGMA_PER_MAD = 1.4826  # a normal spread's sigma per median absolute turn
MEDIAN_SE = 1.2533  # a median's standard error per sigma / sqrt(n) (sqrt(pi / 2), normal)
NOISE_TURNS = 2.5  # crossings turning less than this many noise sigmas are noise
ROW_ALIGNED_SHARE = 0.5  # the share of a row within which a band read along its rows is known
# (the worst error of a circular fillet so read at any phase, rows up to 25 % uneven, is 0.34 of
# a row)
ROW_ALONG = 0.25  # an edge reaching across the crease less than this share of its row runs
# along it (a row of the profile): 2 x this is where the aligned row term stops being narrower
ROW_ALIGNED_MIN_ROWS = 1.75  # rows read across a band drawn along them before its row term
# narrows: read from its tangent lines (_tangent_radius) within 0.24 h / Theta from 1.5 rows,
# up to 0.67 below (rows a quarter uneven) (not a clean band read from its middle vertex or
# its corners: exact at any rows, chains._row_term)


@dataclass(frozen=True)
class Stretches:
    """The good sections of the kept chains, each read alone (the stretch of its chain it
    cuts): its chain, its station's place along the chain (its rank among all the chain's
    stations, good or not, by their place on the principal line of the chain's stations:
    consecutive ranks are neighbours along the chain), its band's centre, a few of its band's
    faces, its radius and the interval that one reading gives (the row and its own noise, no
    median over others). A chain whose crease passes over its principal line more than once
    has more sections here than its own eight (chains._along_the_crease)."""

    chain: np.ndarray  # (m,) chain id
    along: np.ndarray  # (m,) its station's rank along its chain (all stations counted)
    centre: np.ndarray  # (m, 3) mm
    faces: tuple  # (m,) tuples of face ids inside the band, nearest its centre first
    radius: np.ndarray  # (m,) mm
    lo: np.ndarray
    hi: np.ndarray
    # what a median over several of them needs (chains.stretch_reading): the row term of its
    # radius (mm, it does not average), its own noise term, its row h, the range a ramp
    # section's reading may lie in (its radius where it is no ramp), and which reading it is
    # (sections whose bands share a face read the same noise: one reading)
    row: np.ndarray = None
    noise: np.ndarray = None
    res: np.ndarray = None
    r_lo: np.ndarray = None
    r_hi: np.ndarray = None
    reading: np.ndarray = None
    own: np.ndarray = None  # (m,) its rank among its chain's own 8 stations, -1 for a section
    # cut for the chain's places only (chains._along_the_crease)

    @classmethod
    def empty(cls) -> "Stretches":
        z = np.zeros(0)
        return cls(np.zeros(0, int), np.zeros(0, int), np.zeros((0, 3)), (), z, z, z,
                   z, z, z, z, z, np.zeros(0, int), np.zeros(0, int))

    def kept(self, new: np.ndarray) -> "Stretches":
        """Renumbered by `new` (old chain id -> new id, -1: dropped), the dropped left out."""
        c = new[self.chain] if len(self.chain) else self.chain
        k = np.flatnonzero(c >= 0)
        return Stretches(c[k], self.along[k], self.centre[k], tuple(self.faces[i] for i in k),
                         *(x[k] for x in (self.radius, self.lo, self.hi, self.row, self.noise,
                                          self.res, self.r_lo, self.r_hi, self.reading,
                                          self.own)))


@dataclass
class Creases:
    """Per-chain arrays (index = chain id) plus the face labels they came from."""

    face_chain: np.ndarray  # (n_faces,) chain id or -1
    radius_mm: np.ndarray  # R = 2 W_mid / Theta (median over the chain's sections)
    radius_lo_mm: np.ndarray  # interval from the resolution across the band
    radius_hi_mm: np.ndarray
    resolution_mm: np.ndarray  # h: median cell width across the band (one row)
    resolution_limited: np.ndarray  # bool: fewer than MIN_ROWS_RESOLVED rows across the band
    turn_rad: np.ndarray
    length_mm: np.ndarray
    centroid_mm: np.ndarray  # (k, 3)
    axis: np.ndarray  # (k, 3)
    first_faces: list = field(default_factory=list)  # a few face ids per chain
    flank_width_mm: np.ndarray = None  # how far the flatter flank stays flat (inf: beyond reach)
    n_faces: np.ndarray = None
    convex: np.ndarray = None  # bool per chain
    flank_ratio: np.ndarray = None  # flank turn / Theta (median over sections)
    detect_radius_mm: float = 0.0
    turn_min_rad: float = 0.0
    stretches: Stretches = field(default_factory=Stretches.empty)  # per good section
    turn_sd_rad: np.ndarray = None  # what the body's vertex noise makes of its flanks' levels
    # (the sigma of a section's turn, median over the chain's good sections: noise.py)
    n_read: np.ndarray = None  # its good sections
    noise_limited: np.ndarray = None  # bool: its turn does not stand above the noise (noise.py)
    noise_mm: np.ndarray = None  # its body's vertex noise sigma (noise.py)

    @property
    def count(self) -> int:
        return int(len(self.radius_mm))

    @classmethod
    def empty(cls, nf: int, detect: float, turn_min: float) -> "Creases":
        z = np.zeros(0)
        return cls(np.full(nf, -1), z, z, z, z, np.zeros(0, bool), z, z, np.zeros((0, 3)),
                   np.zeros((0, 3)), [], z, np.zeros(0, int), np.zeros(0, bool), z, detect,
                   turn_min, turn_sd_rad=z, n_read=np.zeros(0, int),
                   noise_limited=np.zeros(0, bool), noise_mm=z)


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


def edge_turns(analysis) -> np.ndarray:
    """(interior edges,) the fold between each edge's two faces (rad), in _analysis_edge_faces'
    order; cached (the hard edges and the noise's fold count read it)."""
    def turns(a):
        _, fp = a.cached("creases:edge_faces", _analysis_edge_faces)
        fn = a.face_normals
        return np.arccos(np.clip(np.einsum("ij,ij->i", fn[fp[:, 0]], fn[fp[:, 1]]), -1.0, 1.0))
    return analysis.cached("creases:edge_turns", turns)


def _attached(item_face, query_face):
    """A join by face: the pairs (query i, item j) where item j's face is query i's, in query
    order and, per query, in item order (ids into query_face and item_face)."""
    o = np.argsort(item_face, kind="stable")
    sf = item_face[o]
    start = np.searchsorted(sf, query_face)
    cnt = np.searchsorted(sf, query_face, side="right") - start
    qi = np.repeat(np.arange(len(query_face)), cnt)
    pos = np.arange(len(qi)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return qi, o[np.repeat(start, cnt) + pos]


def pairs_in_runs(x):
    """For sorted x: index arrays (a, b), a < b, of every pair with x[a] == x[b] (not only
    neighbours: where three or more are equal, which ones are listed next to each other is
    the file's order), by their distance in x, then by place. Runs are short (a few edges at a
    vertex, a few chains in a band), so the loop is over the longest run's length."""
    x = np.asarray(x)
    run = np.arange(len(x)) - np.searchsorted(x, x)
    parts = [np.flatnonzero(run >= k) for k in range(1, int(run.max(initial=0)) + 1)]
    ks = [np.full(len(p), k) for k, p in zip(range(1, len(parts) + 1), parts)]
    b = np.concatenate([np.zeros(0, np.int64)] + parts)
    return b - np.concatenate([np.zeros(0, np.int64)] + ks), b


def _weighted_quantile(values, weights, labels, n, q):
    """Per-label weighted quantile (labels 0..n-1), vectorised with one sort by label then
    value (analysis.lexsort_labels: np.lexsort's permutation, about twice as fast)."""
    from .. import lexsort_labels

    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    order = lexsort_labels(values, labels)
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
    a00, a11, a22, a01, a02, a12 = np.ascontiguousarray(np.asarray(t, float).T)
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
    # eigenvector of e1: the largest cross product of two rows of (A - e1 I), written out on
    # whole columns (np.cross on stacked rows and their (k, 3, 3) stack took ~1.5 times as long)
    r0 = (a00 - e1, a01, a02)
    r1 = (a01, a11 - e1, a12)
    r2 = (a02, a12, a22 - e1)
    c = [np.stack(_cross3(u, w), 1) for u, w in ((r0, r1), (r0, r2), (r1, r2))]
    # (einsum's sum of three squares, as the stacked product summed it: a written-out sum
    # adds them in another order and moves the last bit)
    nn = np.stack([np.einsum("kj,kj->k", x, x) for x in c], 1)
    best = np.argmax(nn, axis=1)
    ln = np.sqrt(nn[np.arange(len(t)), best])
    ln = np.where(ln > 0, ln, 1.0)
    v = np.where((best == 0)[:, None], c[0], np.where((best == 1)[:, None], c[1], c[2]))
    v = v / ln[:, None]
    return e1, e2, v


def _cross3(u, w):
    """u x w of two vectors given as three columns each (np.cross's products, in its order)."""
    return (u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0])


def _sym6(vec: np.ndarray, wt: np.ndarray) -> np.ndarray:
    x, y, z = vec[:, 0], vec[:, 1], vec[:, 2]
    return np.stack([x * x, y * y, z * z, x * y, x * z, y * z], 1) * wt[:, None]


def _all_edge_faces(a):
    """(n_edges, 2) faces of every unique edge (analysis.edges_unique order), -1 where the
    edge has one face or more than two (a section stops there)."""
    uniq, counts, inverse = a._edge_keys
    fid = np.arange(len(inverse)) // 3
    first = np.empty(len(uniq), np.int64)
    last = np.empty(len(uniq), np.int64)
    first[inverse[::-1]] = fid[::-1]
    last[inverse] = fid
    ok = counts == 2
    return np.stack([np.where(ok, first, -1), np.where(ok, last, -1)], 1)


def _quantised(x, span):
    """Coordinates rounded to PLACE_QUANTUM of a span (the model's, or per row a chain's own,
    broadcast against x): two listings of one surface sum a face's corners in another order
    and differ in the last bits, not at this step."""
    # (a lone station spans nothing: any unit will do, and 1e-300 overflowed)
    return np.round(np.asarray(x, float) / (PLACE_QUANTUM * np.where(span > 0, span, 1.0)))


def _edge_face(fc, f1, f2, first):
    """Per turning edge: the face whose chain it counts for: the labelled one, and between
    two chains the one first by place (`first`, _first_by_place of the pair: not the smaller
    face id, the file's listing). The place order does not depend on the labels, so the
    seeds keep it once for every turning edge (`seeds["first"]`) while the labels change."""
    lab1 = fc[f1] >= 0
    both = lab1 & (fc[f2] >= 0)
    return np.where(both, first, np.where(lab1, f1, f2))


def _first_by_place(cen, fa, fb):
    """Of the face pairs (fa, fb): the face whose centroid comes first by its quantised
    coordinates (x, then y, then z)."""
    span = float(np.ptp(cen, axis=0).max()) if len(cen) else 1.0
    qa, qb = _quantised(cen[fa], span), _quantised(cen[fb], span)
    lt = qb < qa
    eq = qb == qa
    b_first = lt[:, 0] | (eq[:, 0] & (lt[:, 1] | (eq[:, 1] & lt[:, 2])))
    return np.where(b_first, fb, fa)


def _masked_median(x, m):
    """Row-wise median of x where m (rows with no True: NaN)."""
    return nanmedian_rows(np.where(m, x, np.nan))


def _sorted_rows(y):
    """Each row of y sorted (NaN last) and its count of values."""
    return np.sort(y, axis=1), np.count_nonzero(~np.isnan(y), axis=1)


def nanmedian_rows(y):
    """np.nanmedian(y, axis=1) of a 2-D float array, bit for bit (the mean of the two middle
    values, (a + b) / 2, as numpy takes it; NaN for a row without values), by one sort of the
    whole array: numpy takes rows under 600 long through masked arrays, which cost a tenth
    of a noisy scan's creases."""
    s, n = _sorted_rows(np.asarray(y, float))
    out = np.full(len(s), np.nan)
    has = n > 0
    if has.any():
        r, h = np.flatnonzero(has), n[has] // 2
        lo = np.where(n[has] % 2 == 1, h, h - 1)
        out[has] = (s[r, lo] + s[r, h]) / 2.0
    return out


def nanquantile_rows(y, q: float):
    """np.nanquantile(y, q, axis=1) (its default, linear method) of a 2-D float array, bit
    for bit: the virtual index (n - 1) q between the sorted values and numpy's two-sided
    interpolation (_lerp); NaN for a row without values. numpy takes each row through
    apply_along_axis."""
    s, n = _sorted_rows(np.asarray(y, float))
    out = np.full(len(s), np.nan)
    has = n > 0
    if has.any():
        r, m = np.flatnonzero(has), n[has]
        vi = (m - 1) * q
        prev = np.floor(vi)
        g = vi - prev
        i = np.minimum(prev.astype(np.int64), m - 1)
        a, b = s[r, i], s[r, np.minimum(i + 1, m - 1)]
        d = b - a
        out[has] = np.where(g >= 0.5, b - d * (1 - g), a + d * g)
    return out


def _polylines(analysis, seeds, hs):
    """Polyline labels of the seed edges hs (and whether each is convex): two edges ending at
    one vertex, within AXIS_COS of each other and turning the same way, are one line."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    fn, fcen = analysis.face_normals, analysis.face_centroids
    f1, f2 = seeds["f1"][hs], seeds["f2"][hs]
    convex = np.einsum("ij,ij->i", fcen[f2] - fcen[f1], fn[f1]) <= 0
    ev = seeds["ev"][seeds["ce"][hs]]
    ehat = seeds["ehat"][hs]
    n = len(hs)
    endv = np.r_[ev[:, 0], ev[:, 1]]
    ende = np.r_[np.arange(n), np.arange(n)]
    o = np.argsort(endv, kind="stable")
    endv, ende = endv[o], ende[o]
    a, b = pairs_in_runs(endv)  # every pair ending at one vertex (a few per vertex)
    e1, e2 = ende[a], ende[b]
    par = (np.abs(np.einsum("ij,ij->i", ehat[e1], ehat[e2])) >= AXIS_COS) & \
        (convex[e1] == convex[e2])
    g = coo_matrix((np.ones(int(par.sum())), (e1[par], e2[par])), shape=(n, n))
    return connected_components(g, directed=False)[1], convex
