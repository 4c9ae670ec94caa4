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

Used for the value only (`checks.texture.measure.peak_reading`): the readings are within a few
percent on the truth suite's ripples, but the test claims peaks on 2.5 % of the regions of
Gaussian relief (nominal 1 %) and on 16 % of the regions of the clean corpus sculpts, scans and
terrains that judge a texture (relief whose power runs along one direction, which an
isotropic ring cannot see). So the peak replaces the fit's value only inside the fit's own
interval, which stays: no verdict depends on the peak.

Functions: `vertex_relief` (the vertices of each region, once per model) and `peak_wavelengths`
(the reading and its resolution cell for a list of regions)."""

from __future__ import annotations

import math

import numpy as np

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
# Work per block of the periodogram (vertices x wavevectors), to bound memory, not the result.
BLOCK = 2_000_000


def vertex_relief(analysis, sp, reg):
    """(order, starts, vertex area): the mesh vertices grouped by region, each joining the region
    of its nearest query point where it faces the same side (normals within 90 degrees) and lies
    on the same body; vertices that do not are in no region (label -1, sorted first)."""
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
    lab = np.where(ok & (va > 0), reg.label[qi], -1)
    order = np.argsort(lab, kind="stable")
    starts = np.searchsorted(lab[order], np.arange(len(reg.count) + 1))
    return order, starts, va


def _gls(X: np.ndarray, z: np.ndarray, w: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(m,) the share of the weighted variance of z a sinusoid (with an offset) at each
    wavevector K (m, 2) explains, X (n, 2) positions, w (n,) weights summing to 1: the
    generalised Lomb-Scargle periodogram, in blocks of wavevectors."""
    Y = w @ z
    YY = w @ (z * z) - Y * Y
    out = np.empty(len(K))
    step = max(1, BLOCK // max(len(z), 1))
    for a in range(0, len(K), step):  # blocks of wavevectors (memory), not points
        th = (2.0 * np.pi) * (X @ K[a:a + step].T)
        c, s = np.cos(th), np.sin(th)
        C, S = w @ c, w @ s
        YC, YS = (w * z) @ c - Y * C, (w * z) @ s - Y * S
        CC, SS = w @ (c * c) - C * C, w @ (s * s) - S * S
        CS = w @ (c * s) - C * S
        D = CC * SS - CS ** 2
        out[a:a + step] = (SS * YC ** 2 + CC * YS ** 2 - 2 * CS * YC * YS) / np.maximum(
            YY * D, 1e-300)
    return out


def _gls_grid(X: np.ndarray, z: np.ndarray, w: np.ndarray, kx: np.ndarray,
              ky: np.ndarray) -> np.ndarray:
    """`_gls` at every wavevector of the grid kx x ky ((len(ky), len(kx)), row-major as
    meshgrid(kx, ky)), exactly: exp(i 2 pi k.x) = exp(i 2 pi kx x) exp(i 2 pi ky y), so each
    of the periodogram's three weighted sums (of w, w z and w at twice the angle) over the
    grid is one matrix product (kx by vertices) @ (vertices by ky), in blocks of vertices. The
    products run in single precision (twice as fast; the maximum's neighbourhood is read again
    in double by `_read`): on the suite's first 200 and held-out texture cases every reading is
    the same as in double."""
    Y = w @ z
    YY = w @ (z * z) - Y * Y
    F1 = np.zeros((len(kx), len(ky)), complex)
    Fz, F2 = np.zeros_like(F1), np.zeros_like(F1)
    step = max(1, BLOCK // max(len(kx) + len(ky), 1))
    for a in range(0, len(z), step):  # blocks of vertices (memory), not one vertex at a time
        ex = np.exp((2j * np.pi) * np.outer(X[a:a + step, 0], kx)).astype(np.complex64)
        ey = np.exp((2j * np.pi) * np.outer(X[a:a + step, 1], ky)).astype(np.complex64)
        wb, zb = w[a:a + step].astype(np.float32), z[a:a + step].astype(np.float32)
        F1 += (ex * wb[:, None]).T @ ey
        Fz += (ex * (wb * zb)[:, None]).T @ ey
        F2 += ((ex * ex) * wb[:, None]).T @ (ey * ey)
    C, S = F1.real.T, F1.imag.T
    YC, YS = Fz.real.T - Y * C, Fz.imag.T - Y * S
    CC, SS = 0.5 * (1.0 + F2.real.T) - C * C, 0.5 * (1.0 - F2.real.T) - S * S
    CS = 0.5 * F2.imag.T - C * S
    D = CC * SS - CS ** 2
    return (SS * YC ** 2 + CC * YS ** 2 - 2 * CS * YC * YS) / np.maximum(YY * D, 1e-300)


def _read(P, w, normal, area, longest, lam_max):
    """One region: (lambda, lo, hi, false alarm) or None where its band is empty."""
    n = normal / np.linalg.norm(normal)
    a = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    c = (w[:, None] * P).sum(0) / w.sum()
    d = P - c
    x, y, h = d @ e1, d @ e2, d @ n
    A = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
    sw = np.sqrt(w)
    z = h - A @ np.linalg.lstsq(A * sw[:, None], h * sw, rcond=None)[0]
    # a radial Hann taper: the region's outline is a window whose sidelobes carry a red
    # spectrum's low-frequency power into other directions (measured: 6 % of the regions of
    # Gaussian relief claimed a peak without it, 2.5 % with it; section 7.19)
    rho = np.hypot(x, y)
    w = w * 0.5 * (1.0 + np.cos(np.pi * rho / max(rho.max(), 1e-300)))
    w = w / w.sum()
    X = np.stack([x, y], 1)
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
    p = _gls_grid(X, z, w, kx, ky).ravel()[keep]
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
    k1 = K2[int(np.argmax(_gls(X, z, w, K2)))]
    fk = float(np.hypot(*k1))
    proj = X @ (k1 / fk)
    Dk = float(proj.max() - proj.min())  # the region's span along the wave: its cell 1/Dk
    lo = 1.0 / (fk + 1.0 / Dk)
    hi = 1.0 / (fk - 1.0 / Dk) if fk > 1.0 / Dk else math.inf
    return 1.0 / fk, lo, hi, fap


def peak_wavelengths(analysis, sp, reg, regions, lam_max, relief=None):
    """(lam, lo, hi, fap) arrays (len(regions),): each region's periodogram peak in the band
    from NYQUIST_EDGES of its faces' longest edges up to its width (at most lam_max, mm), the
    peak's resolution cell and its false-alarm probability (NaN where not read)."""
    order, starts, va = relief if relief is not None else vertex_relief(analysis, sp, reg)
    V = np.asarray(analysis.model.vertices, float)
    out = np.full((4, len(regions)), np.nan)
    area = reg.area if reg.area is not None else np.bincount(
        reg.label, minlength=len(reg.count)) * sp.area_per_point_mm2
    for i, r in enumerate(regions):  # the regions that judged a texture (tens to hundreds)
        idx = order[starts[r]:starts[r + 1]]
        if len(idx) < MIN_VERTICES:
            continue
        q = reg.label == r
        got = _read(V[idx], va[idx], sp.normals[q].mean(0), float(area[r]),
                    float(np.median(sp.point_facet_mm[q])), float(lam_max[i]))
        if got is not None:
            out[:, i] = got
    return out
