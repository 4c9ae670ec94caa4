"""A region's wavelength read as the peak of its relief's spectrum (docs/texture.md section 7.19).

The scale-space fit (`refine`) places a wave where the residual's mean square rises across the
ladder: a transition. Whatever bends that rise (a sliver lattice's under-read fine scales, a
steep ripple's creased crests masking every scale finer than it, the flat host's coarse windows
reaching the wave in a region over a patch's edge) moves the reading, nearly always long. The
position of a periodic signal's spectral peak does not depend on any of that. Here the mesh
vertices of a region (each joins the region of its nearest query point on its side and body),
their heights over the region's tangent plane less a fitted quadric (the base form), are read
by a generalised Lomb-Scargle periodogram (Zechmeister & Kuerster 2009; area weights under a
radial Hann taper) over the wavevectors the region can hold. A peak is used only where it is
significant against the relief's own local spectrum: the periodogram's ordinates of Gaussian
relief with a smooth spectrum S(|k|) are S times an exponential variable, S is estimated as the
median over the ring of wavevectors of that length (a broadband relief has power in every
direction, a wave in one; interpolated in log-log between rings), and the false-alarm
probability of the maximum over the M independent wavevector cells searched is
1 - (1 - exp(-z))^M (Scargle 1982; Horne & Baliunas 1986). Where no peak is significant
(stone, skin, scans: broadband relief) the fit stays.

The ring's test alone claims peaks on 2.5 % of the regions of Gaussian relief (nominal 1 %),
on 68 % of folds' and on 16 % of the clean corpus sculpts', scans' and terrains' (relief whose
power runs along one direction, which an isotropic ring cannot see). So the peak is also tested
against the relief's level along its own ray (`_ray_false_alarm`: 0 of the Gaussian and fold
sheets' regions, 0.55 % of the corpus hosts'). `checks.texture.measure.peak_cells` takes the
peak as the value where the ring's test claims it inside the fit's interval, and narrows that
interval to the peak's resolution cell where the ray's claims it too; `checks.texture.union.
union_peak` does the same over each union of agreeing regions (docs/texture.md sections
7.19-7.20).

Functions: `vertex_relief` (the vertices of each region, once per model) and `peak_wavelengths`
(the reading, its resolution cell, both tests' false-alarm probabilities and the wave's largest
amplitude on the region, its envelope read by complex demodulation, for a list of regions;
docs/texture.md section 7.21), `carrier_envelopes` (that envelope again at another wavelength
along the wavevector the reading found, section 7.32)."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from .crest import crest_share

# The wavevector grid steps 1/(OVERSAMPLE D): a peak's main lobe (2/D wide between its first
# zeros) is sampled 4 times, so a node within 1/(4 D) of the peak keeps ~0.8 of its power and
# the grid cannot step over it.
OVERSAMPLE = 2
# Then a (2 REFINE + 1)^2 grid over the best node's cell (one step either side), 1/(8 D) apart:
# the reading's grid error is at most 1/(16 D), a 16th of the resolution cell it carries.
REFINE = 4
# The false-alarm probability below which a peak is a wave: one region in a hundred of
# broadband relief claims one by chance (the periodogram's own statistics, not a fitted level).
FALSE_ALARM = 0.01
# The base form removed from the heights: a quadric (6 terms), as the local fit's (section 1.4);
# a sinusoid adds 3 more, so a region needs at least twice those 9 vertices to be read at all.
BASE_TERMS = 6
MIN_VERTICES = 2 * (BASE_TERMS + 3)
# The finest wave a region's vertices carry in every direction: two of its faces' longest edges
# (a sliver lattice holds nothing finer along its long side; the mesh's Nyquist).
NYQUIST_EDGES = 2.0
# How far along the ray (in cells 1/D_k) the window's first minimum is looked for: a search
# range, 4x the tapered main lobe's half-width, not a level; a window without a minimum there
# leaves the ray unread.
LOBE_SEARCH = 8
# The non-uniform FFT's requested relative accuracy (against the sum of |coefficients|): the
# periodogram's ordinates come out within ~1e-12 of the direct sums (measured on a 2M-face
# sculpt's regions), far below any difference between two of its cells that decides anything.
NUFFT_EPS = 1e-9
# FFTW's plan flag FFTW_ESTIMATE (1 << 6): plans made without timing runs, so the transform's
# rounding does not depend on the machine's load.
FFTW_ESTIMATE = 64
# the envelope's bound by the heights (`_local_max`) is read on a grid LOCAL_CELLS cells to
# half a wavelength, over every cell that can hold a point within that distance (centres within
# it plus a cell's diagonal): it reaches at most 1 + 2 sqrt(2)/4 = 1.71 of that distance, where
# the points' own pairs grow as their square on a region's scale
LOCAL_CELLS = 4
# ...and at most this many cells (32 MB of float64): a union a hundred wavelengths across is
# read on larger cells, which only widens the neighbourhood (a looser bound, never a tighter)
MAX_GRID_CELLS = 1 << 22


def vertex_relief(analysis, sp, reg):
    """(order, starts, vertex area): the mesh vertices grouped by region, each joining the region
    of its nearest query point where it faces the same side (normals within 90 degrees) and lies
    on the same body; vertices that do not are in no region (label -1, sorted first)."""
    qi, va = analysis.cached("detail_vertex_points", lambda a: _vertex_points(a, sp))
    lab = np.where(qi >= 0, reg.label[qi], -1)
    order = np.argsort(lab, kind="stable")
    starts = np.searchsorted(lab[order], np.arange(len(reg.count) + 1))
    return order, starts, va


def _vertex_points(analysis, sp):
    """(qi, vertex area): each mesh vertex's nearest query point, -1 where it faces the other
    side, lies on another body or has no area; the same for every grouping of the points into
    regions (the regions' readings and their unions' share it)."""
    from scipy.spatial import cKDTree

    model = analysis.model
    V = np.asarray(model.vertices, float)
    F = np.asarray(model.faces)
    nv = len(V)
    va = np.bincount(F.ravel(), weights=np.repeat(analysis.face_areas / 3.0, 3), minlength=nv)
    qi = cKDTree(sp.points).query(V, k=1)[1]
    ok = np.einsum("ij,ij->i", analysis.vertex_normals, sp.normals[qi]) > 0
    if sp.body is not None:
        vb = np.full(nv, -1, dtype=np.int64)
        vb[F] = analysis.body_labels[:, None]
        ok &= vb == sp.body[qi]
    return np.where(ok & (va > 0), qi, -1), va


def _gls_grid(X: np.ndarray, z: np.ndarray, w: np.ndarray, k0, st: float, nx: int,
              ny: int) -> np.ndarray:
    """(ny, nx): the share of the weighted variance of z a sinusoid (with an offset) explains
    at each wavevector k0 + (a st, b st), a < nx, b < ny (row-major as meshgrid), X (n, 2)
    positions, w (n,) weights summing to 1: the generalised Lomb-Scargle periodogram
    (Zechmeister & Kuerster 2009). Its three weighted sums (of w, w z, and w at twice the
    angle) over a uniform grid of wavevectors are Fourier sums of scattered points onto
    uniform modes (`_grid_sums`)."""
    Y = w @ z
    YY = w @ (z * z) - Y * Y
    F1, Fz = _grid_sums(X, np.stack([w, w * z]), k0, st, nx, ny)
    # twice the angle at k is the angle at k of the points at 2x
    F2 = _grid_sums(2.0 * X, w[None, :], k0, st, nx, ny)[0]
    C, S = F1.real.T, F1.imag.T
    YC, YS = Fz.real.T - Y * C, Fz.imag.T - Y * S
    CC, SS = 0.5 * (1.0 + F2.real.T) - C * C, 0.5 * (1.0 - F2.real.T) - S * S
    CS = 0.5 * F2.imag.T - C * S
    D = CC * SS - CS ** 2
    return (SS * YC ** 2 + CC * YS ** 2 - 2 * CS * YC * YS) / np.maximum(YY * D, 1e-300)


def _grid_sums(X, c, k0, st, nx, ny):
    """(len(c), nx, ny): sum_j c_j exp(2 pi i k.x_j) at k = k0 + (a st, b st), a < nx, b < ny,
    by a type-1 non-uniform FFT (FINUFFT; Barnett, Magland & af Klinteberg 2019). With
    u = 2 pi st x the sum runs over integer modes (a, b) of exp(i (a u + b v)), 2 pi-periodic
    in u, so the points are folded into [-pi, pi) and the offset k0 and the library's centred
    modes (from -N/2) go into the coefficients' phases. One thread and FFTW's estimated plans:
    the same bits on every run."""
    import finufft

    n1, n2 = nx + nx % 2, ny + ny % 2  # even mode counts: the centred modes start at -N/2
    u = (2.0 * np.pi * st) * X
    phase = (2.0 * np.pi) * (X @ np.asarray(k0, float)) + u @ np.array([n1 // 2, n2 // 2])
    uf = np.mod(u + np.pi, 2.0 * np.pi) - np.pi
    f = finufft.nufft2d1(np.ascontiguousarray(uf[:, 0]), np.ascontiguousarray(uf[:, 1]),
                         c * np.exp(1j * phase), (n1, n2), eps=NUFFT_EPS, isign=1,
                         nthreads=1, fftw=FFTW_ESTIMATE)
    return f[:, :nx, :ny]


# The independent wavevector cells (1 / area each, as the periodogram's test counts them) in a
# peak's resolution cell, a disc 1 / D round it (D the equal-area diameter): pi / D^2 over
# 4 / (pi D^2). The peak is the largest ordinate there, so its noise is the largest of these.
CELL_CELLS = math.pi ** 2 / 4.0


def peak_noise_share(z, tail: float):
    """The share of the peak's fitted sinusoid (its semi-amplitude) that the other signal's
    component at that wavevector reaches with probability 1 - tail: that component is a
    complex Gaussian whose power, at the level's mean there, is amp^2 / z (z the peak's
    ordinate over the local level) and exceeds t times that with probability exp(-t), and the
    peak is the largest of CELL_CELLS independent cells, so it is at most
    sqrt(ln(CELL_CELLS / tail) / z) of the amplitude (docs/texture.md s.7.27). NaN or inf
    where z <= 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(math.log(CELL_CELLS / tail) / np.asarray(z, float))


def _frame(P, w, normal):
    """A region's vertices P (n, 3) in its tangent frame: (X (n, 2) positions, h (n,) heights
    over the plane through their w-weighted centre, A (n, 6) the base form's quadric terms, sw
    the weights' square roots). The same frame for every reading of the region, so that a
    wavevector read in one holds in another."""
    n = normal / np.linalg.norm(normal)
    a = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    c = (w[:, None] * P).sum(0) / w.sum()
    d = P - c
    x, y, h = d @ e1, d @ e2, d @ n
    A = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
    return np.stack([x, y], 1), h, A, np.sqrt(w)


def _read(P, w, normal, area, longest, lam_max, envelope=True, share=crest_share):
    """One region: (lambda, lo, hi, false alarm against the ring, against the ray, the wave's
    largest semi-amplitude on it, the peak sinusoid's semi-amplitude, its ordinate over the
    local level, the peak's wavevector's two components in the region's frame) or None where
    its band is empty. `share`: `crest.crest_share` or one kept on the Analysis (`_shares`)."""
    X, h, A, sw = _frame(P, w, normal)
    x, y = X[:, 0], X[:, 1]
    z = h - A @ np.linalg.lstsq(A * sw[:, None], h * sw, rcond=None)[0]
    # a radial Hann taper: the region's outline is a window whose sidelobes carry a red
    # spectrum's low-frequency power into other directions (measured: 6 % of the regions of
    # Gaussian relief claimed a peak without it, 2.5 % with it; section 7.19)
    rho = np.hypot(x, y)
    w = w * 0.5 * (1.0 + np.cos(np.pi * rho / max(rho.max(), 1e-300)))
    w = w / w.sum()
    D = 2.0 * math.sqrt(area / math.pi)  # the region's equal-area diameter
    fmin = 1.0 / min(D, lam_max)
    fmax = 1.0 / (NYQUIST_EDGES * longest)
    if not fmax > 2.0 * fmin:
        return None
    st = 1.0 / (OVERSAMPLE * D)
    kx = np.arange(-fmax, fmax + st / 2, st)
    ky = np.arange(0.0, fmax + st / 2, st)
    KX, KY = np.meshgrid(kx, ky)
    K = np.stack([KX.ravel(), KY.ravel()], 1)
    f = np.hypot(K[:, 0], K[:, 1])
    keep = (f >= fmin) & (f <= fmax) & ~((K[:, 1] == 0) & (K[:, 0] < 0))  # half-plane
    K, f = K[keep], f[keep]
    p = _gls_grid(X, z, w, (kx[0], ky[0]), st, len(kx), len(ky)).ravel()[keep]
    # the local spectrum: the median over each ring one cell (1/D) wide, interpolated in
    # log-log between the rings' own median frequencies (a steep red spectrum falls several-fold
    # across one ring: its median would sit under the ring's inner cells)
    ring = np.floor((f - fmin) * D).astype(np.int64)
    order = np.lexsort((p, ring))
    cnt = np.bincount(ring)
    first = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    med = 0.5 * (p[order][first + (cnt - 1) // 2] + p[order][first + cnt // 2])
    fr = np.bincount(ring, weights=np.log(f)) / cnt
    S = np.exp(np.interp(np.log(f), fr, np.log(np.maximum(med, 1e-300))))
    j = int(np.argmax(p))  # the strongest sinusoid; its significance against S there
    zj = p[j] * math.log(2.0) / max(S[j], 1e-300)
    M = 0.5 * math.pi * (fmax ** 2 - fmin ** 2) * area  # independent cells in the half-annulus
    fap = float(-np.expm1(M * np.log1p(-math.exp(-zj)))) if zj < 700 else 0.0
    g = np.arange(-REFINE, REFINE + 1) * (st / REFINE)
    GX, GY = np.meshgrid(g, g)
    K2 = K[j] + np.stack([GX.ravel(), GY.ravel()], 1)
    p2 = _gls_grid(X, z, w, K2[0], st / REFINE, len(g), len(g)).ravel()
    k1 = K2[int(np.argmax(p2))]
    fk = float(np.hypot(*k1))
    # the peak's ordinate over the relief's local level there (the ring's median is ln 2 of
    # the exponential's mean): how far above the other relief's power the sinusoid stands
    S1 = math.exp(float(np.interp(math.log(fk), fr, np.log(np.maximum(med, 1e-300)))))
    z1 = float(p2.max()) * math.log(2.0) / max(S1, 1e-300)
    proj = X @ (k1 / fk)
    Dk = float(proj.max() - proj.min())  # the region's span along the wave: its cell 1/Dk
    lo = 1.0 / (fk + 1.0 / Dk)
    hi = 1.0 / (fk - 1.0 / Dk) if fk > 1.0 / Dk else math.inf
    # the ray's reference ordinates reach the region's own lowest cell, 1/D, even where the
    # search stops at the texture band's 1/lam_max: a level is read wherever the window holds
    # one, and only the cells searched count towards the maximum (docs/texture.md s.7.31)
    ray = _ray_false_alarm(X, z, w, k1, fmin, fmax, Dk, 1.0 / D)
    env = _envelope_peak(X, h, A, sw, k1, longest, share) if envelope else math.nan
    return 1.0 / fk, lo, hi, fap, ray, env, _sinusoid(X, h, A, w, k1), z1, k1[0], k1[1]


def _sinusoid(X, h, A, w, k1):
    """The semi-amplitude of the sinusoid at k1 fitted to the heights h with the base form (the
    quadric A) by the periodogram's weighted least squares (w the tapered weights)."""
    th = (2.0 * np.pi) * (X @ k1)
    B = np.concatenate([np.cos(th)[:, None], np.sin(th)[:, None], A], 1)
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(B * sw[:, None], h * sw, rcond=None)[0]
    return float(np.hypot(coef[0], coef[1]))


def _envelope_peak(X, h, A, sw, k1, edge=0.0, share=crest_share):
    """The largest semi-amplitude the wave at k1 reaches on the region's vertices, read by
    complex demodulation: the heights h (over the tangent plane) fitted, by area-weighted
    least squares (sw the weights' square roots), with the base form (the quadric A) and the
    wave at its own wavevector whose cosine and sine coefficients each vary across the region
    as the base form does (a quadric in x, y: what the region resolves of anything that varies
    slowly across it), c(x) cos(2 pi k1.x) + s(x) sin(2 pi k1.x); its amplitude at a vertex is
    |(c(x), s(x))|. A wave filling the region reads its amplitude everywhere; one that fades
    across it (a patch's tapered rim, a brush's falloff) reads the fade, and its largest value
    is where the relief is strongest. The heights are the mesh's own, read over all of the
    region's vertices at once: not the scale-space fit's residual, whose windows alias the
    relief into a noise that varies from place to place (docs/texture.md s.7.8, s.7.21). The
    envelope at each vertex is bounded by the largest height over the base form within half a
    wavelength of it (a disc one period across holds the wave's crest and trough): the relief
    cannot be stronger there than the heights it has, and a patch's edge (a step of the
    amplitude), which least squares fits overshooting at the outline, is read at what the
    heights hold (s.7.21). The disc's vertices sample the wave along its direction: the
    extremum nearest a vertex lies within a quarter wavelength of it, and the heights hold at
    least the share of the crest that the largest distance from there to a vertex's position
    along the wave leaves (`crest.crest_share`, s.7.35; `edge`, the faces' longest, only where
    the pairs are too many); the bound is their largest over that (none where the share is 0). NaN where the vertices are too few for the 18 terms (twice as many
    needed)."""
    m = A.shape[1]
    if len(h) < 2 * (BASE_TERMS + 2 * m):
        return math.nan
    th = (2.0 * np.pi) * (X @ k1)
    B = np.concatenate([A, A * np.cos(th)[:, None], A * np.sin(th)[:, None]], 1)
    coef = np.linalg.lstsq(B * sw[:, None], h * sw, rcond=None)[0]
    cc, ss = A @ coef[BASE_TERMS:BASE_TERMS + m], A @ coef[BASE_TERMS + m:]
    env = np.sqrt(cc * cc + ss * ss)
    z = np.abs(h - A @ coef[:BASE_TERMS])  # the heights over the base form
    fk = float(np.hypot(*k1))
    held = _local_max(X, z, 0.5 / fk)
    # the share (at most 1) only lowers a vertex's envelope where it exceeds the heights its
    # disc holds, and there not under them: the envelope's largest value needs the share only
    # at the vertices whose envelope exceeds both bounds (the share cost 30 % of the family,
    # and these are ~9 % of a ripple's vertices)
    over = env > held
    low = max(env[~over].max(initial=0.0), held[over].max(initial=0.0))
    need = np.flatnonzero(over & (env > low))
    if not (np.isfinite(env).all() and np.isfinite(held).all()):
        need = np.arange(len(env))
    crest = share(X, k1 / fk, 1.0 / fk, edge, need)
    bound = held[need] / np.where(crest > 0.0, crest, np.nan)
    return float(max(low, np.where(crest > 0.0, np.minimum(env[need], bound),
                                   env[need]).max(initial=0.0)))


def _local_max(X, z, r):
    """The largest z (>= 0) near each of the points X (n, 2), over at least every point within r
    of it: points are binned into square cells (LOCAL_CELLS to r, larger where the grid would
    exceed MAX_GRID_CELLS), and a point reads the cells whose centres lie within r plus a
    cell's diagonal of its own cell's (two points within r sit in cells whose centres are at
    most that far apart), so none farther than r + 2 sqrt(2) cells. Memory and time are
    linear in the points; the pairs within r would grow as their square where r spans the
    region."""
    from scipy.ndimage import maximum_filter

    span = np.maximum(X.max(0) - X.min(0), 1e-12)
    cell = max(r / LOCAL_CELLS, math.sqrt(float(np.prod(span + r)) / MAX_GRID_CELLS))
    ij = np.floor((X - X.min(0)) / cell).astype(np.int64)
    grid = np.zeros(tuple(ij.max(0) + 1))
    np.maximum.at(grid, (ij[:, 0], ij[:, 1]), z)
    reach = r / cell + math.sqrt(2.0)
    d = np.arange(-math.ceil(reach), math.ceil(reach) + 1)
    disc = np.hypot(*np.meshgrid(d, d)) <= reach
    return maximum_filter(grid, footprint=disc, mode="constant", cval=0.0)[ij[:, 0], ij[:, 1]]


def _ray_false_alarm(X, z, w, k1, fmin, fmax, Dk, flow=None):
    """The false-alarm probability of the peak at k1 against the relief's level along its own
    ray (the same direction, other |k|): relief whose power runs along one direction (a fold,
    a ridge, a region's edge leaking a red spectrum) spreads along that ray, a wave's line does
    not. The ray's ordinates are read where the tapered window's main lobe about the peak
    ends (its first minimum along the ray, L) and every L beyond, in pairs symmetric about the
    peak (a red, convex spectrum's pair mean is at least its level at the peak: conservative).
    Under that null each ordinate is the level times an exponential variable, so the peak over
    the mean of n of them exceeds z with probability (1 + z/n)^-n, and the maximum over the
    ray's independent cells, (fmax - fmin) / L of them, is taken into account. The ordinates
    may lie below the searched band, down to flow (default fmin): the region's own lowest
    cell, 1 / D, where the band stops at the texture's longest wavelength first. NaN where the
    ray holds no such pair from flow to fmax (the region cannot tell a wave from a fold)."""
    fk = float(np.hypot(*k1))
    u = k1 / fk
    Xr = X @ np.array([[u[0], -u[1]], [u[1], u[0]]])  # along the ray, across it
    # the window along the ray at the refinement's step, 1/(8 D_k), out to LOBE_SEARCH / D_k
    # (its first minimum lies near 1/D_k untapered, 2/D_k under the taper)
    ds = 1.0 / (OVERSAMPLE * REFINE * Dk)
    W = np.abs(_grid_sums(Xr, w[None, :], (ds, 0.0), ds, LOBE_SEARCH * OVERSAMPLE * REFINE,
                          1)[0, :, 0]) ** 2
    dip = np.nonzero((W[1:-1] <= W[:-2]) & (W[1:-1] < W[2:]))[0]
    if not len(dip):
        return math.nan
    L = ds * float(dip[0] + 2)
    j = np.arange(1, int((fmax - fmin) / L) + 2)
    flow = fmin if flow is None else min(flow, fmin)
    m = int(min(np.sum(fk - j * L >= flow), np.sum(fk + j * L <= fmax)))
    if m < 1:
        return math.nan
    # the ray's ordinates fk + i L, i = -m .. m (the peak at i = 0)
    p = _gls_grid(Xr, z, w, (fk - m * L, 0.0), L, 2 * m + 1, 1)[0]
    n = 2 * m
    zr = p[m] / max(float(np.delete(p, m).mean()), 1e-300)
    one = (1.0 + zr / n) ** (-n)
    cells = max((fmax - fmin) / L, 1.0)
    return float(-np.expm1(cells * np.log1p(-one))) if one < 1 else 1.0


def peak_wavelengths(analysis, sp, reg, regions, lam_max, relief=None, envelope=True,
                     amplitude=False, wave=False):
    """(lam, lo, hi, fap, ray, env) arrays (len(regions),): each region's periodogram peak in
    the band from NYQUIST_EDGES of its faces' longest edges up to its width (at most lam_max,
    mm), the peak's resolution cell, its false-alarm probability against the ring of its |k|
    and against its own ray (`_ray_false_alarm`; NaN where not read), and the largest
    semi-amplitude that wave reaches on the region (`_envelope_peak`, mm; NaN unless
    `envelope`: `union_peak` reads only the wave's position); with `amplitude`, two rows more:
    the semi-amplitude of the sinusoid at the peak fitted with the base form (`_sinusoid`, mm)
    and the peak's ordinate over the relief's local level's mean there (the floor
    `checks.texture.measure.sinusoid_floor` reads them, docs/texture.md s.7.27); with `wave`,
    two rows more: the peak's wavevector in the region's frame (1/mm; `carrier_envelopes`)."""
    out = np.full((10, len(regions)), np.nan)
    area = reg.area if reg.area is not None else np.bincount(
        reg.label, minlength=len(reg.count)) * sp.area_per_point_mm2
    for i, r, P, w, normal, longest in _regions(analysis, sp, reg, regions, relief):
        got = _read(P, w, normal, float(area[r]), longest, float(lam_max[i]), envelope,
                    _shares(analysis))
        if got is not None:
            out[:, i] = got
    return out[[*range(6), *((6, 7) if amplitude else ()), *((8, 9) if wave else ())]]


def carrier_envelopes(analysis, sp, reg, regions, wave, at, relief=None):
    """(len(regions),) the largest semi-amplitude (mm, `_envelope_peak`) of each region's wave
    demodulated at the wavelength at (mm) along wave's direction (2, len(regions): the
    wavevector its own spectral peak read, `peak_wavelengths`' `wave` rows, in the same frame),
    NaN where not read. Only the demodulation depends on the carrier; the periodogram that found
    the direction is not read again (docs/texture.md s.7.32)."""
    out = np.full(len(regions), np.nan)
    for i, r, P, w, normal, longest in _regions(analysis, sp, reg, regions, relief):
        k1 = wave[:, i]
        if not (np.isfinite(k1).all() and at[i] > 0):
            continue
        X, h, A, sw = _frame(P, w, normal)
        out[i] = _envelope_peak(X, h, A, sw, k1 / (float(np.hypot(*k1)) * float(at[i])), longest,
                                _shares(analysis))
    return out


def _shares(analysis):
    """`crest.crest_share` kept on the Analysis by what it reads (the points, the wave's
    direction and length, the edge): a region's wave is read again under other viewing
    conditions (`miniscan sweep`'s anchors; its union and carrier readings) where its other
    readings, which depend on the band the conditions set, are not, and the share was 30 % of
    the family's time on a mesh of 30 vertices to the wavelength."""
    def share(X, u, lam, edge=0.0, centres=None):
        key = hashlib.blake2b(digest_size=16)
        every = centres is None
        for x in ((len(X), -1 if every else len(centres)), X, u, (lam, edge),
                  () if every else centres):
            key.update(np.ascontiguousarray(x, dtype=float).tobytes())
        return analysis.cached(f"detail.crest_share:{key.hexdigest()}",
                               lambda _: crest_share(X, u, lam, edge, centres))
    return share


def _regions(analysis, sp, reg, regions, relief):
    """Each of the regions (tens to hundreds: those that judged a texture) holding MIN_VERTICES
    vertices: (its place in regions, its label, its vertices, their areas, its query points'
    mean normal, the median of their faces' longest edges)."""
    order, starts, va = relief if relief is not None else vertex_relief(analysis, sp, reg)
    V = np.asarray(analysis.model.vertices, float)
    for i, r in enumerate(regions):
        idx = order[starts[r]:starts[r + 1]]
        if len(idx) < MIN_VERTICES:
            continue
        q = reg.label == r
        yield (i, r, V[idx], va[idx], sp.normals[q].mean(0),
               float(np.median(sp.point_facet_mm[q])))
