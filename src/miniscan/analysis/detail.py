"""The multiscale detail spectrum: how much surface relief a model carries at each wavelength.

Method (docs/texture.md has the derivation):

1. Query points: `Q` area-weighted random samples on the surface (fixed seed), so every square
   millimetre counts the same whatever the triangulation.
2. A ladder of scales sigma_k (geometric, ratio sqrt 2) from about one mean edge length to
   the scale whose band is ~1/10 of the model's diagonal.
3. At each scale, the surface is summarised by a point set whose spacing grows with sigma
   (vertices with their Voronoi-ish areas, then area-weighted voxel aggregates; voxels are split
   by normal direction so the two sides of a thin part never merge). Around every query point a
   Gaussian-weighted (sigma_k) quadric z = c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2 is fitted in
   the local tangent frame; the residual r_k = -c0 is the relief finer than sigma_k.
4. For a sinusoid of wavelength lam, a Gaussian-weighted quadric fit reproduces the signal at
   the window centre with gain T = (1 + u/2) exp(-u/2), u = (2 pi sigma / lam)^2 (it is exact for
   the constant and quadratic base form, so sphere curvature does not leak into the relief).
   The residual's mean square at scale k is therefore sum_j H(lam_j, sigma_k)^2 p_j with
   H = 1 - T and p_j the mean-square relief in band j; a non-negative least-squares solve of
   that small system gives the spectrum p_j for any set of query points (a region).

Everything is relative to the model's own lengths (mean edge, diagonal), so the method is
scale-invariant; the fit uses area weights and a fixed number of neighbours, so it is robust to
triangulation. Cost: O(N log N) for the point sets plus O(Q * levels * k) for the fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATIO = np.sqrt(2.0)      # geometric step of the scale ladder and of the reported bands
K_NEIGHBOURS = 32         # nearest points gathered per local fit
SUPPORT = 2.0             # the Gaussian window is cut at SUPPORT * sigma
SPACING = 0.85            # voxel size / sigma: then 32 neighbours always cover the support
CREASE_DEG = 75.0         # faces turning more than this at a vertex make a crease (box edge, rim)
SIGMA0_EDGES = 1.0        # finest sigma in mean edge lengths (vertices + face centroids)
MAX_LEVELS = 16
FORM_CELLS = 4.0          # the residual's mean over voxels of 4 sigma is base form, removed
BEND_RAD = 2.5          # the fitted base form turning this much across its window is a crease
FORM_LOOKUP = 3         # ...when it still does three scales (2.8x) coarser
EDGE_SAMPLE = 200_000    # faces sampled for the median edge length
FAN_VALENCE = 12         # vertices with more faces than this are fan apexes
CREASE_GROW = 2.0       # unmeasured within this many sigmas of such a point
QUERY_MIN, QUERY_MAX = 12_000, 24_000
BIG_FACE = 6.0           # faces over this many typical face areas are sampled inside
BIG_SAMPLES_MIN = 60_000


def _gain_table():
    """Gain T(t) at the window centre of the truncated-Gaussian quadric fit to cos(2 pi t x).

    t = sigma / wavelength. Computed once by quadrature on a fine grid over the window
    (the fit is linear, and the window and the quadric basis are rotation invariant).
    """
    g = np.arange(-SUPPORT, SUPPORT + 1e-9, 0.02)
    X, Y = (a.ravel() for a in np.meshgrid(g, g, indexing="ij"))
    inside = X * X + Y * Y <= SUPPORT ** 2
    X, Y = X[inside], Y[inside]
    w = np.exp(-0.5 * (X * X + Y * Y))
    A = np.stack([np.ones_like(X), X, Y, X * X, X * Y, Y * Y], 1)
    Aw = A * w[:, None]
    t = np.geomspace(1e-3, 20.0, 600)
    c0 = np.linalg.solve(Aw.T @ A, Aw.T @ np.cos(2.0 * np.pi * np.outer(X, t)))[0]
    # the point set is a voxel average (box of SPACING * sigma): it passes a wave of
    # wavelength lam at gain sinc(c cos th / lam) sinc(c sin th / lam), averaged over th
    th = np.linspace(0.0, np.pi / 2, 46)
    box = (np.sinc(SPACING * np.outer(t, np.cos(th))) * np.sinc(SPACING * np.outer(t, np.sin(th))))
    return t, c0 * box.mean(axis=1)


_T_GRID, _GAIN = _gain_table()
# wavelength (in sigmas) at which the residual passes half the amplitude
_i = int(np.argmax(1.0 - _GAIN >= 0.5))
HALF = float(1.0 / np.interp(0.5, 1.0 - _GAIN[_i - 1:_i + 1], _T_GRID[_i - 1:_i + 1]))


@dataclass(frozen=True)
class Spectrum:
    """The relief measured at query points; `solve` turns groups of them into spectra."""

    points: np.ndarray        # (Q, 3) query points on the surface, mm
    faces: np.ndarray         # (Q,) face id of each query point
    normals: np.ndarray       # (Q, 3) smoothed normal at the coarsest scale
    residual: np.ndarray      # (Q, K) signed relief finer than sigma_k, mm (+ = outward bump);
    #                           NaN where a crease or open boundary lies inside the window
    sigmas_mm: np.ndarray     # (K,)
    wavelengths_mm: np.ndarray  # (J,) reported band centres
    design: np.ndarray        # (K, J + 2) H^2 for bands + one column below and one above the ladder
    mean_edge_mm: float       # the median edge length (robust "mean" edge)
    area_per_point_mm2: float
    point_edge_mm: np.ndarray  # (Q,) shortest edge of each query point's face (local mesh size)
    point_facet_mm: np.ndarray | None = None  # (Q,) longest edge of that face (facet size)

    def solve(self, mean_square: np.ndarray) -> np.ndarray:
        """Band energies (mean-square relief, mm^2) for rows of per-scale mean-square residuals.

        mean_square: (R, K). Returns (R, J): energy per reported band; the two guard columns
        (sub-mesh noise and form beyond the ladder) are solved for and dropped.
        """
        return band_energies(self.design, mean_square)[:, 1:-1]


def transfer(lam, sigma):
    """Residual gain H(lam, sigma) = 1 - T(sigma / lam) of the truncated-Gaussian quadric fit.

    Without the truncation it would be 1 - (1 + u/2) e^(-u/2), u = (2 pi sigma / lam)^2.
    """
    t = np.asarray(sigma, float) / np.asarray(lam, float)
    return 1.0 - np.interp(np.log(t), np.log(_T_GRID), _GAIN, left=1.0, right=0.0)


def band_energies(design: np.ndarray, mean_square: np.ndarray) -> np.ndarray:
    """Non-negative least squares of design @ p = mean_square for every row (small systems)."""
    from scipy.optimize import nnls

    ms = np.atleast_2d(np.asarray(mean_square, float))
    out = np.zeros((len(ms), design.shape[1]))
    # relative weighting: each scale's equation is scaled by 1/its value so that the fine
    # scales (small residuals) count as much as the coarse ones
    for i, row in enumerate(ms):  # loop over regions (hundreds), not faces
        ok = np.isfinite(row)
        if ok.sum() < 2:
            continue
        s = row[ok].max()
        if s <= 0:
            continue
        # relative error at every scale: fine texture under a strong form counts too
        w = np.where(ok, 1.0 / np.sqrt(np.where(ok, row, 0.0) / s + 1e-6), 0.0)
        # bands coarser than every measured scale passes at half amplitude are not measured
        # here (a region by a crease or a pole): the first of them takes the coarse energy as
        # a guard, and reports none
        seen = np.flatnonzero(design[ok].max(axis=0) >= 0.25)
        top = min(int(seen[-1]) + 2 if len(seen) else design.shape[1], design.shape[1])
        sol = nnls(design[:, :top] * w[:, None], np.where(ok, row, 0.0) / s * w,
                   maxiter=50 * top)[0] * s
        if top < design.shape[1]:
            sol[top - 1] = 0.0
        out[i, :top] = sol
    return out


def ladder(mean_edge_mm: float, diag_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(sigmas, band wavelengths): bands from ~2-3 mean edges to ~1/10 of the diagonal.

    Band j is centred on the wavelength that scale j+1 passes at half amplitude; one extra
    scale on each side constrains the end bands.
    """
    sigma0 = SIGMA0_EDGES * mean_edge_mm
    lam_lo = HALF * sigma0 * RATIO
    lam_hi = max(diag_mm / 10.0, lam_lo * RATIO)
    n_bands = int(np.floor(np.log(lam_hi / lam_lo) / np.log(RATIO) + 0.5)) + 1
    if n_bands > MAX_LEVELS - 2:  # very fine meshes of large things: keep the coarse end
        sigma0 *= RATIO ** (n_bands - (MAX_LEVELS - 2))
        n_bands = MAX_LEVELS - 2
    sig = sigma0 * RATIO ** np.arange(n_bands + 2)
    return sig, HALF * sig[1:-1]


def _face_edges(tri: np.ndarray) -> np.ndarray:
    """(F, 3) edge lengths of every face."""
    return np.stack([np.linalg.norm(tri[:, 1] - tri[:, 0], axis=1),
                     np.linalg.norm(tri[:, 2] - tri[:, 1], axis=1),
                     np.linalg.norm(tri[:, 0] - tri[:, 2], axis=1)], 1)


def _normal_class(n: np.ndarray) -> np.ndarray:
    """0..5: the dominant axis and sign of each normal (splits voxels across thin parts)."""
    ax = np.argmax(np.abs(n), axis=1)
    sgn = np.take_along_axis(n, ax[:, None], 1)[:, 0] >= 0
    return ax * 2 + sgn


def aggregate(points: np.ndarray, area: np.ndarray, nsum: np.ndarray, cell: float,
              body: np.ndarray | None = None):
    """Area-weighted voxel aggregation of (points, areas, area-weighted normals[, body ids]).

    Voxels are split by normal direction and by body, so two sides of a thin part and two
    interpenetrating shells never merge into one point.
    """
    key = np.floor(points / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    cls = _normal_class(nsum)
    flat = ((key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2]) * 6 + cls
    if body is not None:
        flat = flat * (int(body.max()) + 1) + body
    _, inv = np.unique(flat, return_inverse=True)
    m = inv.max() + 1
    a = np.bincount(inv, weights=area, minlength=m)
    p = np.stack([np.bincount(inv, weights=area * points[:, j], minlength=m) for j in range(3)], 1)
    ns = np.stack([np.bincount(inv, weights=nsum[:, j], minlength=m) for j in range(3)], 1)
    ok = a > 0
    out_body = None
    if body is not None:
        out_body = np.zeros(m, dtype=body.dtype)
        out_body[inv] = body
        out_body = out_body[ok]
    return p[ok] / a[ok, None], a[ok], ns[ok], out_body


def _frames(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.where(np.abs(n[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = np.cross(n, ref)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    return t1, np.cross(n, t1)


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    ln = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(ln > 1e-30, v / np.where(ln > 1e-30, ln, 1.0), fallback)


def fit_level(q: np.ndarray, nq: np.ndarray, src: np.ndarray, area: np.ndarray,
              nsrc: np.ndarray, sigma: float, workers: int = -1, qbody=None, sbody=None):
    """Relief finer than sigma at each query point, and the smoothed normal there.

    nsrc are unit normals of the source points; nq the current normal estimate at q.
    """
    from scipy.spatial import cKDTree

    k = int(min(K_NEIGHBOURS, len(src)))
    # (unbalanced, non-compact trees build several times faster; queries barely notice)
    tree = cKDTree(src, balanced_tree=False, compact_nodes=False)
    d, idx = tree.query(q, k=k, distance_upper_bound=SUPPORT * sigma, workers=workers)
    if k == 1:
        d, idx = d[:, None], idx[:, None]
    hit = np.isfinite(d)
    idx = np.where(hit, idx, 0)
    # component arrays (Q, k): elementwise arithmetic is far faster than tiny batched matmuls
    f32 = np.float32
    nx, ny, nz = (nsrc[:, j].astype(f32)[idx] for j in range(3))
    # only the side of the surface the query point is on (thin parts, folds)
    nq32 = nq.astype(f32)
    side = nx * nq32[:, :1] + ny * nq32[:, 1:2] + nz * nq32[:, 2:3] > 0
    if qbody is not None:  # only the query's own shell (interpenetrating parts)
        own = sbody[idx] == qbody[:, None]
        side &= own
    dn = (np.where(hit, d, 0.0) / sigma).astype(f32)
    w = np.where(hit & side, (area / area.max()).astype(f32)[idx] * np.exp(f32(-0.5) * dn * dn),
                 f32(0.0))
    # frame: the Gaussian-weighted mean normal of the neighbourhood
    n = _unit(np.stack([(w * nx).sum(1), (w * ny).sum(1), (w * nz).sum(1)], 1).astype(float), nq)
    t1, t2 = _frames(n)
    # offsets in units of sigma, single precision (relief is >= 1e-5 sigma: plenty)
    dx, dy, dz = (((src[:, j] - 0.0)[idx] - q[:, j:j + 1]).astype(f32) / f32(sigma) for j in range(3))

    def proj(t):
        t = t.astype(f32)
        return dx * t[:, :1] + dy * t[:, 1:2] + dz * t[:, 2:3]

    x, y, z = proj(t1), proj(t2), proj(n)
    del dx, dy, dz, nx, ny, nz
    wx, wy = w * x, w * y
    wxx, wxy, wyy = wx * x, wx * y, wy * y
    # the 15 weighted moments of the quadric basis (1 x y xx xy yy) and the 6 of the heights
    S = np.stack([w.sum(1), wx.sum(1), wy.sum(1), wxx.sum(1), wxy.sum(1), wyy.sum(1),
                  (wxx * x).sum(1), (wxx * y).sum(1), (wyy * x).sum(1), (wyy * y).sum(1),
                  (wxx * x * x).sum(1), (wxx * x * y).sum(1), (wxx * y * y).sum(1),
                  (wyy * x * y).sum(1), (wyy * y * y).sum(1),
                  (w * z).sum(1), (wx * z).sum(1), (wy * z).sum(1), (wxx * z).sum(1),
                  (wxy * z).sum(1), (wyy * z).sum(1)], axis=1).astype(float)  # (Q, 21)
    P = np.array([[0, 1, 2, 3, 4, 5],
                  [1, 3, 4, 6, 7, 8],
                  [2, 4, 5, 7, 8, 9],
                  [3, 6, 7, 10, 11, 12],
                  [4, 7, 8, 11, 12, 13],
                  [5, 8, 9, 12, 13, 14]])
    M = S[:, P]
    b = S[:, 15:21]
    wsum = S[:, 0]
    # a small ridge on the curvature terms keeps sparse neighbourhoods solvable
    M[:, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]] += 1e-5 * np.maximum(wsum, 1e-300)[:, None]
    ok = (wsum > 0) & (np.count_nonzero(w, axis=1) >= 6)
    if qbody is not None:
        # another body inside the window: a part junction (a leg entering a torso) is a step
        # in the surface, not relief; the fit there is not trusted
        mixed = (hit & ~own).any(axis=1)
    else:
        mixed = np.zeros(len(q), bool)
    c = np.zeros((len(q), 6))
    if ok.any():
        try:
            c[ok] = np.linalg.solve(M[ok], b[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:  # degenerate neighbourhoods (collinear points)
            c[ok] = np.matmul(np.linalg.pinv(M[ok]), b[ok][..., None])[..., 0]
    # unmeasured (too few points in the window, or a junction): NaN, not "no relief"
    resid = np.where(ok & ~mixed, -c[:, 0] * sigma, np.nan)
    grad_n = _unit(n - c[:, 1:2] * t1 - c[:, 2:3] * t2, n)
    # how far the fitted base form turns across the window (radians): the largest principal
    # curvature (c are in units of sigma) times the window's width
    half = 0.5 * (c[:, 3] + c[:, 5])
    rad = np.sqrt((0.5 * (c[:, 3] - c[:, 5])) ** 2 + (0.5 * c[:, 4]) ** 2)
    bend = np.where(ok, 2.0 * (np.abs(half) + rad) * 2.0 * SUPPORT, 0.0)
    return resid, np.where(ok[:, None], grad_n, nq), bend


def _local_mean(q: np.ndarray, n: np.ndarray, r: np.ndarray, cell: float) -> np.ndarray:
    """Mean of r over voxels of `cell` mm (split by normal direction), at every point.

    The quadric cannot follow a base form's quartic terms (a small sphere seen through a wide
    window): that leaks into the residual as a smooth offset. Texture at this scale averages
    to ~0 over a voxel several wavelengths wide; the offset does not, and is removed.
    """
    key = np.floor(q / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    flat = ((key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2]) * 6 + _normal_class(n)
    _, inv = np.unique(flat, return_inverse=True)
    ok = np.isfinite(r)
    tot = np.bincount(inv[ok], weights=r[ok], minlength=inv.max() + 1)
    cnt = np.bincount(inv[ok], minlength=inv.max() + 1)
    return (tot / np.maximum(cnt, 1))[inv]


def _big_faces(areas: np.ndarray, edge: float, nv: int) -> tuple[np.ndarray, np.ndarray]:
    """Faces much larger than the typical one, and how many samples each gets.

    A face larger than BIG_FACE typical faces gets one sample per typical face area (at least
    3), the total capped at max(vertices, BIG_SAMPLES_MIN) by coarsening the spacing.
    """
    a0 = 0.5 * edge * edge   # about one typical triangle
    big = areas > BIG_FACE * a0
    if not big.any() or a0 <= 0:
        return big, np.zeros(len(areas), np.int64)
    tot = float(areas[big].sum())
    cap = max(nv, BIG_SAMPLES_MIN)
    a_t = max(a0, tot / cap)
    n = np.where(big, np.maximum(np.ceil(areas / a_t), 3), 0).astype(np.int64)
    return big, n


def vertex_bodies(faces: np.ndarray, nv: int) -> np.ndarray:
    """Connected component of every vertex (vertices joined by face edges)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(faces) == 0:
        return np.arange(nv)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    g = coo_matrix((np.ones(len(e), np.int8), (e[:, 0], e[:, 1])), shape=(nv, nv))
    return connected_components(g, directed=False)[1]


def compute(analysis, query_count: int | None = None) -> Spectrum:
    """The detail spectrum of analysis.model (use `spectrum(analysis)` for the cached one)."""
    from scipy.spatial import cKDTree

    m = analysis.model
    v = m.vertices
    tri = analysis.triangles
    areas = analysis.face_areas
    fn = analysis.face_normals
    # the median edge: a few long fan or sliver triangles (a flat base, a cylinder's sides)
    # must not make the ladder skip the finely sculpted parts
    # (from a fixed subsample of faces on big meshes: the median does not need them all)
    nf = len(tri)
    sub = analysis.rng(223).choice(nf, EDGE_SAMPLE, replace=False) if nf > EDGE_SAMPLE else slice(None)
    mean_edge = float(np.median(_face_edges(tri[sub]))) if nf else 0.0
    diag = analysis.bbox_diag_mm
    sig, lams = ladder(mean_edge, diag)

    total = float(areas.sum())
    if query_count is None:
        query_count = int(np.clip(m.n_faces // 4, QUERY_MIN, QUERY_MAX))
    q, qf = analysis.sample_surface(query_count, salt=101)
    spacing_q = float(np.sqrt(total / query_count))
    nq = fn[qf].copy()

    vb = vertex_bodies(m.faces, len(v))
    nb = int(vb.max()) + 1 if len(vb) else 1
    fb = vb[m.faces[:, 0]]
    qbody = fb[qf] if nb > 1 else None

    # level-0 point set: vertices, each with a third of its small faces' area and their summed
    # area-weighted normal; large faces (fan caps, a cylinder's long sides) have no vertices
    # inside them, so they carry their own area-weighted samples instead
    big, n_big = _big_faces(areas, mean_edge, len(v))
    small_a = np.where(big, 0.0, areas)
    an = fn * small_a[:, None]
    f = m.faces.ravel()
    va = np.bincount(f, weights=np.repeat(small_a / 3.0, 3), minlength=len(v))
    vn = np.stack([np.bincount(f, weights=np.repeat(an[:, j] / 3.0, 3), minlength=len(v))
                   for j in range(3)], 1)
    keep = va > 0
    src, sa, sn = v[keep], va[keep], vn[keep]
    sb = vb[keep] if nb > 1 else None
    if big.any():
        bf = np.repeat(np.flatnonzero(big), n_big[big])
        r = analysis.rng(211).random((len(bf), 2))
        fold = r.sum(axis=1) > 1
        r[fold] = 1.0 - r[fold]
        t = tri[bf]
        pts = t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0])
        pa = (areas / np.maximum(n_big, 1))[bf]
        src = np.concatenate([src, pts])
        sa = np.concatenate([sa, pa])
        sn = np.concatenate([sn, fn[bf] * pa[:, None]])
        if sb is not None:
            sb = np.concatenate([sb, fb[bf]])

    # creases: vertices whose faces disagree (|sum of a n| / sum of a < cos(angle / 2)); the
    # fit at scale sigma is only trusted where no crease lies inside its window (2 sigma).
    # Creases are form (the edges family's business), not texture.
    # (unit normals, not area-weighted: a rim's small faces must count as much as a side's big ones)
    un = np.stack([np.bincount(f, weights=np.repeat(fn[:, j], 3), minlength=len(v))
                   for j in range(3)], 1)
    deg = np.bincount(f, minlength=len(v)).astype(float)
    coherence = np.linalg.norm(un, axis=1) / np.maximum(deg, 1.0)
    # fan apexes (a UV sphere's or a capsule's poles, a cylinder cap's centre) are singular
    # points of the triangulation, not sculpted: their faceting is treated like a crease
    cp = v[(deg > 0) & ((coherence < np.cos(np.radians(CREASE_DEG) / 2.0)) | (deg > FAN_VALENCE))]
    dcrease = cKDTree(cp).query(q, workers=-1)[0] if len(cp) else np.full(len(q), np.inf)

    K = len(sig)
    res = np.zeros((len(q), K))
    bend = np.zeros((len(q), K))
    normals = []
    for kk, s in enumerate(sig):  # loop over scales (a dozen), not over points
        cell = SPACING * s
        if cell > 0.7 * mean_edge:  # finer cells would hold one vertex each
            src, sa, sn, sb = aggregate(src, sa, sn, cell, sb)
        res[:, kk], nq, bend[:, kk] = fit_level(q, nq, src, sa, _unit(sn, np.zeros(3)), s,
                                                qbody=qbody, sbody=sb)
        normals.append(nq)
        res[dcrease <= SUPPORT * s, kk] = np.nan
    # creases, rims and fillets at the scale of the window: the base form bends sharply
    # there, and keeps bending at coarser scales (a crease looks the same at every scale;
    # texture bends the fit only near its own scale and averages out at a few times it)
    for kk, s in enumerate(sig):
        far = bend[:, min(kk + FORM_LOOKUP, K - 1)]
        crease = (bend[:, kk] > BEND_RAD) & (far > BEND_RAD)
        if crease.any():
            dc = cKDTree(q[crease]).query(q, distance_upper_bound=CREASE_GROW * s, workers=-1)[0]
            res[np.isfinite(dc), kk] = np.nan
        # (voxels hold at least ~9 query points, else a point would cancel itself)
        res[:, kk] -= _local_mean(q, normals[kk], res[:, kk], max(FORM_CELLS * s, 3.0 * spacing_q))

    guard = np.concatenate([[lams[0] / RATIO ** 2], lams, [lams[-1] * RATIO ** 2]])
    design = transfer(guard[None, :], sig[:, None]) ** 2
    # local mesh size: across a sliver its short edge sets what the mesh can hold; the facet
    # size (a sliver of a coarse capsule is flat over its whole length) is its longest edge
    fq = _face_edges(tri[qf])
    return Spectrum(q, qf, nq, res, sig, lams, design, mean_edge, total / len(q),
                    fq.min(axis=1), fq.max(axis=1))


def spectrum(analysis) -> Spectrum:
    return analysis.cached("detail_spectrum", compute)
