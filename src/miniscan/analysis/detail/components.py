"""Components: a component's wavelength fitted continuously (`refine`), the window table, the
plateau scale, the energy's concentration, peak bands and the ladder's own resolution."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .common import (
    BOOTSTRAP, CONC_ITER, CROSS_STEPS, equal_area_span, MIN_VALID_SHARE, NOISE_CORR, NOISE_FLOOR,
    PASS_S, poisson_weights, RATIO, REFINE_PER_BAND, RES_PER_BAND, RIDGE)
from .fit import guard_bands, model_error
from .points import _frames, _unit
from .solve import solve_rows
from .relief import Spectrum
from .seeds import Regions
from .spectra import RegionSpectra


# --------------------------------------------------------------------------- components


def refine(sp: Spectrum, rs: RegionSpectra, ms: np.ndarray,
           j: np.ndarray, walk: bool = True,
           table: "WindowTable | None" = None, fine: bool = False) -> tuple:
    """(wavelength, semi-amplitude, censored, window) of the component peaking at band j of
    every region, fitted continuously to the mean squares ms (..., R, K); window: the band each
    element's fitting window ended centred on (walk=False: the fit stays on j's window);
    table: `window_table(sp, rs)`, the candidates' power gains (computed here when not given);
    fine: also return the fit's finer relief (F, its power gains (..., K)), which `_plateau`
    takes off the mean square at any wavelength it reads.

    Wavelength: for every candidate lam on a fine grid across a window of two band steps
    (bands j-1..j+1) the mean squares are fitted by A H_k(lam)^2 + F H_k(lam_f)^2 + C H_k(lam_c)^2:
    the component, the relief finer than the window (lam_f two band steps below it) and coarser
    (lam_c two steps above), all non-negative, weighted by the mean squares' expected errors;
    lam is where the misfit is least. No band quantisation: a wave between two band centres is
    found where it is. A least misfit at an end of the window is not a measurement (the misfit
    still falls beyond it, and every bootstrap replicate would stop at the same end, giving a
    falsely narrow interval): the window moves one band that way and the fit is repeated, for
    each replicate on its own, until the least misfit lies inside (at most the ladder's
    length). Where the walk reaches the ladder's end the wavelength is censored: -1 (it may be
    finer), +1 (coarser).
    Amplitude: the mean square at the scale that passes the component whole (sigma / lam
    nearest PASS_S), less the finer relief F, over that scale's power gain: the plateau of a
    single wave, which the trading between the fit's terms cannot bias.
    """
    J = len(sp.wavelengths_mm)
    table = window_table(sp, rs) if table is None else table
    jj = np.broadcast_to(np.asarray(j), ms.shape[:-1]).copy()
    r = np.broadcast_to(np.arange(ms.shape[-2]), jj.shape)
    # an error is never taken below NOISE_FLOOR x the region's largest mean square (as in _solve)
    top = np.fmax.reduce(np.where(np.isfinite(rs.mean_square), np.abs(rs.mean_square), np.nan),
                         axis=1)
    err = np.fmax(rs.noise, NOISE_FLOOR * top[:, None])
    lam, Fb, Pf, at = _fit_window(ms, jj, r, err, table)
    step = np.zeros(jj.shape, np.int64)  # the walk's direction, once taken (no turning back)
    for _ in range(J - 1 if walk else 0):  # window moves (a few), each on the moved elements
        move = np.where(at < 0, -1, np.where(at > 0, 1, 0))
        move = np.where((step != 0) & (move != step), 0, move)
        move = np.where((jj + move < 0) | (jj + move > J - 1), 0, move)
        sel = move != 0
        if not sel.any():
            break
        step[sel] = move[sel]
        jj[sel] += move[sel]
        lam[sel], Fb[sel], Pf[sel], at[sel] = _fit_window(ms[sel], jj[sel], r[sel], err, table)
    censored = np.where(np.isfinite(lam), at, 0)
    out = (lam, _plateau(sp, rs, ms, lam, (Fb, Pf)), censored, jj)
    return out + ((Fb, Pf),) if fine else out


@dataclass(frozen=True)
class WindowTable:
    """Every fitting window's candidate wavelengths and their power gains per region: they
    depend on the window (one per band) and the region's tilts, not on the mean squares, so
    the bootstrap, the brackets and the jackknife share them."""

    cand: np.ndarray  # (J, L) candidate wavelengths of the window centred on each band
    P: np.ndarray     # (J, R, K, L) their power gains
    Pf: np.ndarray    # (J, R, K) the finer relief's (two band steps below the window)
    Pc: np.ndarray    # (J, R, K) the coarser relief's (two band steps above)


def window_table(sp: Spectrum, rs: RegionSpectra) -> WindowTable:
    guard = guard_bands(sp.wavelengths_mm)
    J, R = len(sp.wavelengths_mm), len(rs.tilt)
    lo_w, hi_w = guard[:J], guard[2:J + 2]  # window j's ends (guard-indexed j-1 and j+1)
    t = np.linspace(0.0, 1.0, 2 * REFINE_PER_BAND + 1)
    cand = lo_w[:, None] * np.exp(np.log(hi_w / lo_w)[:, None] * t)  # (J, L), scale-exact
    # (J, L, R, K), with the steep relief's loss where rs.steep is given (measure.steep_spectra)
    P = sp.power(np.broadcast_to(cand[:, :, None], cand.shape + (R,)), rs.tilt, rs.steep)
    Pf = sp.power(np.broadcast_to((lo_w / RATIO ** 2)[:, None], (J, R)), rs.tilt)
    Pc = sp.power(np.broadcast_to((hi_w * RATIO ** 2)[:, None], (J, R)), rs.tilt)
    return WindowTable(cand, np.ascontiguousarray(P.transpose(0, 2, 3, 1)), Pf, Pc)


def _fit_window(ms: np.ndarray, jj: np.ndarray, r: np.ndarray, err: np.ndarray,
                table: WindowTable):
    """The three-term fit of `refine` on the window of bands jj-1..jj+1 of every element (its
    mean squares ms (..., K), its region r, err (R, K) the regions' expected errors): the
    wavelength (NaN: no component), the finer relief F at the optimum and its power gains, and
    where the optimum lies: -1 at the window's fine end, +1 at its coarse end, 0 inside."""
    cand = table.cand[jj]  # (..., L)
    P = table.P[jj, r]  # (..., K, L)
    Pf, Pc = table.Pf[jj, r], table.Pc[jj, r]  # (..., K)
    e = err[r]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = np.where(np.isfinite(ms) & (e > 0), 1.0 / (e * e), 0.0)
    w = np.where(np.isfinite(w), w, 0.0)
    y = np.where(w > 0, ms, 0.0)
    chi, A, F = _three_term_fit(w, y, P, Pf, Pc)  # (..., L)
    best = np.argmin(np.where(A > 0, chi, np.inf), axis=-1)
    ok = np.take_along_axis(A, best[..., None], -1)[..., 0] > 0
    lam = np.where(ok, np.take_along_axis(cand, best[..., None], -1)[..., 0], np.nan)
    Fb = np.take_along_axis(F, best[..., None], -1)[..., 0]
    at = np.where(best == 0, -1, np.where(best == cand.shape[-1] - 1, 1, 0))
    return lam, Fb, Pf, np.where(ok, at, 0)


def _plateau(sp: Spectrum, rs: RegionSpectra, ms: np.ndarray, lam: np.ndarray, fine):
    """Semi-amplitude of the component of wavelength lam: the mean square at the scale that
    passes it whole (sigma / lam nearest PASS_S), less the finer relief, over that scale's power
    gain."""
    Fb, Pf = fine
    ok = np.isfinite(lam)
    safe = np.where(ok, lam, guard_bands(sp.wavelengths_mm)[1])
    k = plateau_scale(sp, lam)
    Pk = np.take_along_axis(sp.power(safe, rs.tilt), k[..., None], -1)[..., 0]
    Pfk = np.take_along_axis(Pf, k[..., None], -1)[..., 0]
    msk = np.take_along_axis(np.nan_to_num(ms), k[..., None], -1)[..., 0]
    energy = np.maximum(msk - Fb * Pfk, 0.0) / np.maximum(Pk, 1e-300)
    return np.where(ok, np.sqrt(2.0 * energy), 0.0)


def plateau(sp: Spectrum, rs: RegionSpectra, ms: np.ndarray, lam: np.ndarray, fine):
    """`_plateau` for any wavelengths lam (..., R): the semi-amplitude a wave of wavelength lam
    would have, read at its own plateau scale from the mean squares ms (..., R, K) less the
    fit's finer relief `fine` = (F (..., R), its power gains (..., R, K))."""
    F, Pf = fine
    shape = np.shape(lam)
    return _plateau(sp, rs, np.broadcast_to(ms, shape + ms.shape[-1:]), lam,
                    (np.broadcast_to(F, shape), np.broadcast_to(Pf, shape + Pf.shape[-1:])))


def _solve_small(M, b):
    """x = M^-1 b for stacks of 1x1, 2x2 or 3x3 systems given as nested lists of arrays
    (Cramer's rule: far faster than LAPACK on millions of tiny systems)."""
    n = len(b)
    if n == 1:
        return [b[0] / _nz(M[0][0])]
    if n == 2:
        det = _nz(M[0][0] * M[1][1] - M[0][1] * M[1][0])
        return [(b[0] * M[1][1] - b[1] * M[0][1]) / det, (b[1] * M[0][0] - b[0] * M[1][0]) / det]
    c00 = M[1][1] * M[2][2] - M[1][2] * M[2][1]
    c01 = M[1][2] * M[2][0] - M[1][0] * M[2][2]
    c02 = M[1][0] * M[2][1] - M[1][1] * M[2][0]
    det = _nz(M[0][0] * c00 + M[0][1] * c01 + M[0][2] * c02)
    x0 = (b[0] * c00 + M[0][1] * (M[1][2] * b[2] - b[1] * M[2][2])
          + M[0][2] * (b[1] * M[2][1] - M[1][1] * b[2])) / det
    x1 = (M[0][0] * (b[1] * M[2][2] - M[1][2] * b[2]) + b[0] * c01
          + M[0][2] * (M[1][0] * b[2] - b[1] * M[2][0])) / det
    x2 = (M[0][0] * (M[1][1] * b[2] - b[1] * M[2][1]) + M[0][1] * (b[1] * M[2][0] - M[1][0] * b[2])
          + b[0] * c02) / det
    return [x0, x1, x2]


def _nz(x):
    return np.where(np.abs(x) > 1e-300, x, 1e-300)


def _three_term_fit(w, y, P, Pf, Pc):
    """Weighted non-negative fit y ~ A P_l + F Pf + C Pc for every candidate l: the best of the
    four term subsets that hold the component (closed-form normal equations, vectorised).
    Returns (misfit, A, F), each (..., R, L)."""
    wy = (w * y)[..., None]
    wP = w[..., None] * P  # (..., R, K, L)
    spp = (wP * P).sum(axis=-2)
    zero = np.zeros_like(spp)
    sm = {"yp": (wy * P).sum(axis=-2), "pf": (wP * Pf[..., None]).sum(axis=-2),
          "pc": (wP * Pc[..., None]).sum(axis=-2)}
    for name, a, b in (("ff", Pf, Pf), ("cc", Pc, Pc), ("fc", Pf, Pc), ("yf", y, Pf),
                       ("yc", y, Pc), ("yy", y, y)):
        sm[name] = (w * a * b).sum(axis=-1)[..., None] + zero
    M = [[spp, sm["pf"], sm["pc"]], [sm["pf"], sm["ff"], sm["fc"]], [sm["pc"], sm["fc"], sm["cc"]]]
    b = [sm["yp"], sm["yf"], sm["yc"]]
    best_chi, best_A, best_F = np.full(spp.shape, np.inf), zero.copy(), zero.copy()
    for keep in ((0,), (0, 1), (0, 2), (0, 1, 2)):  # the four subsets holding the component
        x = _solve_small([[M[i][k] for k in keep] for i in keep], [b[i] for i in keep])
        chi = sm["yy"] - sum(xi * b[i] for xi, i in zip(x, keep))  # misfit at the optimum
        good = np.logical_and.reduce([xi >= 0 for xi in x]) & (chi < best_chi)
        best_chi = np.where(good, chi, best_chi)
        best_A = np.where(good, x[0], best_A)
        best_F = np.where(good, x[1] if 1 in keep else 0.0, best_F)
    return best_chi, best_A, best_F


def plateau_scale(sp: Spectrum, lam: np.ndarray) -> np.ndarray:
    """Index of the scale that passes a wave of wavelength lam whole (sigma / lam nearest
    PASS_S): where `_plateau` reads a component's amplitude."""
    safe = np.where(np.isfinite(lam), lam, guard_bands(sp.wavelengths_mm)[1])
    return np.argmin(np.abs(np.log(sp.sigmas_mm / (PASS_S * safe[..., None]))), axis=-1)


def concentration(sp: Spectrum, reg: Regions, lam: np.ndarray, rng: np.random.Generator,
                  filled: np.ndarray | None = None):
    """(g, g_boot): how concentrated each region's relief of wavelength lam (R,) is, g >= 1,
    and BOOTSTRAP Poisson-bootstrap replicates of it (BOOTSTRAP, R).

    A region's mean square averages its relief over all of its points: where only a share f of
    it holds the relief (a region straddling a texture patch's edge or its taper) the plateau
    reads f a^2 / 2, an amplitude diluted by sqrt f, though no place on the region has that
    amplitude. A region resolves how its relief's energy varies across it only to the first
    spatial moment (finer variation is its own relief's phase, and the fit noise correlated
    over the fit windows, about a wavelength), so the squared residual at the plateau scale is
    modelled as a plane across the region clipped at zero (`_clipped_plane`). g = mean(e^2) /
    mean(e)^2 of that energy e over the region's points: 1 for relief spread evenly, ~1 / f
    for relief on a share f (a straight edge through a region: 1.76 for half, 4.5 for a fifth,
    where 2 and 5 are true; a taper's ramp 1.74 for 1.68). sqrt(g) x the plateau amplitude is
    the amplitude where the relief is. g is at most D / lam for a region D across: relief on
    less than a wavelength of it is not a wave read over its phase there.
    """
    R, Q = len(reg.count), len(sp.points)
    lab = reg.label
    ok_r = np.isfinite(lam) & (lam > 0)
    ks = plateau_scale(sp, np.where(ok_r, lam, np.nan))[lab]  # (Q,) each point's scale
    # the squared residuals the region's mean squares were read from (RegionSpectra.filled:
    # filled where a window reached a crease), so g describes the surface the plateau does
    e = (filled if filled is not None else sp.residual ** 2)[np.arange(Q), ks]
    own = np.isfinite(e) & ok_r[lab]
    nrm = np.stack([np.bincount(lab, weights=sp.normals[:, c], minlength=R) for c in range(3)], 1)
    t1, t2 = _frames(_unit(nrm, np.array([0.0, 0.0, 1.0])))
    rel = sp.points - reg.centroid[lab]
    xy = np.stack([(rel * t1[lab]).sum(axis=1), (rel * t2[lab]).sum(axis=1)])
    W = poisson_weights(rng, own)
    ratio = _clipped_plane(lab, R, xy, np.where(own, e, 0.0), W)
    # a wave is read only from relief a wavelength across at least: the share holding it is no
    # less than lam / D of a region D across (its equal-area diameter), as `lam <= span` asks
    # of the whole component
    span = equal_area_span(reg.window)
    with np.errstate(divide="ignore", invalid="ignore"):
        most = np.where(ok_r, np.maximum(span / np.where(ok_r, lam, 1.0), 1.0), 1.0)
    ratio = np.where(np.isfinite(ratio) & ok_r[None], np.clip(ratio, 1.0, most[None]), 1.0)
    return ratio[0], ratio[1:]


def concentration_bound(sp: Spectrum, reg: Regions, lam: np.ndarray) -> np.ndarray:
    """(R,) the most concentrated each region's relief of wavelength lam can be, as its energy
    map resolves it: the local energy e (the squared residual averaged over discs of radius
    NOISE_CORR x lam, the fit noise's correlation length, within the region) read at two scales
    that both carry the wave -- the plateau scale and CROSS_STEPS ladder steps finer -- and
    mean(e1 e2) / (mean(e1) mean(e2)) over the region's points (at most D / lam, as
    `concentration`).

    `concentration`'s clipped plane resolves where the relief is only to the first spatial
    moment: relief in a corner of a region (a patch's corner, an oblique edge, a taper), which
    no plane across the region holds, reads as spread (texture:29 of the ground-truth suite:
    relief on a sixth of a region read g = 1.0). The local energy resolves it as finely as the
    residual allows (a disc 0.7 lam across averages a sinusoid's r^2 over 1.4 of its periods).
    Each scale's map is the relief's energy plus the fit noise's own variation from disc to
    disc (the windows' aliasing of the relief into their intercept, docs/texture.md s.7.8),
    which mean(e^2) / mean(e)^2 of one map counts as concentration (1.3-1.7 on relief filling
    its region: the same noise the amplitude's bootstrap and jackknife already hold). Both
    scales carry the wave, so the relief's energy map is common to them (a gain common to a
    region leaves a ratio of moments alone), while their noises are nearly uncorrelated
    (0.05-0.15 two steps apart): the cross moment keeps the relief's concentration and drops
    the noise's variance (docs/texture.md s.7.18). Where the finer scale is not measured on
    most of a region (the ladder's start, a mask) its own map alone is read, as before."""
    from scipy.spatial import cKDTree

    R, Q = len(reg.count), len(sp.points)
    lab = reg.label
    ok_r = np.isfinite(lam) & (lam > 0)
    ks = plateau_scale(sp, np.where(ok_r, lam, np.nan))[lab]
    r = sp.residual[np.arange(Q), ks]
    k2 = ks - CROSS_STEPS
    r2 = np.where((k2 >= 0) & (k2 < sp.residual.shape[1]),
                  sp.residual[np.arange(Q), np.clip(k2, 0, sp.residual.shape[1] - 1)], np.nan)
    own = np.flatnonzero(np.isfinite(r) & ok_r[lab])
    out = np.ones(R)
    if not len(own):
        return out
    # lengths in units of each region's disc radius, regions kept apart by a fourth coordinate
    # (only pairs within one region and one disc radius are found, whatever the wavelengths)
    rho = NOISE_CORR * np.where(ok_r, lam, 1.0)[lab[own]]
    X = np.column_stack([sp.points[own] / rho[:, None], 4.0 * lab[own]])
    pairs = cKDTree(X).query_pairs(1.0, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    n_own = len(own)

    def local(e):  # each point's disc mean of e (NaN: not measured), and whether it has one
        v = np.isfinite(e)
        e0 = np.where(v, e, 0.0)
        s = e0 + np.bincount(i, e0[j], n_own) + np.bincount(j, e0[i], n_own)
        n = v + np.bincount(i, v[j], n_own) + np.bincount(j, v[i], n_own)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, s / np.maximum(n, 1), np.nan)

    l1 = local(r[own] ** 2)
    l2 = local(r2[own] ** 2)
    lo = lab[own]
    both = np.isfinite(l1) & np.isfinite(l2)
    # a region reads the cross moment where both scales are measured on most of its points
    # (MIN_VALID_SHARE, as a scale is measured in a region), else its own map's
    cross = (np.bincount(lo, both, R)
             >= MIN_VALID_SHARE * np.maximum(np.bincount(lo, minlength=R), 1))
    w = np.where(cross[lo], both, 1.0)
    a = np.where(w > 0, l1, 0.0)
    b = np.where(cross[lo], np.where(w > 0, l2, 0.0), a)
    nw = np.bincount(lo, w, R)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (np.bincount(lo, w * a * b, R) / nw) / (
            (np.bincount(lo, w * a, R) / nw) * (np.bincount(lo, w * b, R) / nw))
    span = equal_area_span(reg.window)
    most = np.where(ok_r, np.maximum(span / np.where(ok_r, lam, 1.0), 1.0), 1.0)
    return np.where(np.isfinite(g) & ok_r, np.clip(g, 1.0, most), out)


def _clipped_plane(lab: np.ndarray, R: int, xy: np.ndarray, e: np.ndarray, W: np.ndarray):
    """(B, R) mean(f^2) / mean(f)^2 per region of f, the energy e (Q,) of its points at tangent
    positions xy (2, Q) fitted by a plane clipped at zero, for each row of point weights W
    (B, Q): least squares, then again on the points the clipped plane holds (CONC_ITER times),
    less the slopes' own sampling variance (2 s^2 / n on average, s^2 the scatter about the
    plane: a plane fitted to even relief tilts by that much, which is not relief)."""
    B, Q = W.shape
    key = (lab[None, :] + R * np.arange(B)[:, None]).ravel()
    X, Y, E = np.tile(xy[0], B), np.tile(xy[1], B), np.tile(e, B)
    wall = held = W.ravel()
    one = np.ones_like(X)

    def mom(w, v):
        return np.bincount(key, weights=w * v, minlength=R * B)

    for _ in range(CONC_ITER):  # a few refits on the points the clipped plane holds
        basis = (one, X, Y)
        up = {(i, j): mom(held, basis[i] * basis[j]) for i in range(3) for j in range(i, 3)}
        M = [[up[min(i, j), max(i, j)] for j in range(3)] for i in range(3)]  # (symmetric)
        M[0][0] = np.maximum(M[0][0], 1e-300)
        ridge = RIDGE * (M[1][1] + M[2][2])  # a region along a strip: its slope across is 0
        M[1][1], M[2][2] = M[1][1] + ridge, M[2][2] + ridge
        c0, c1, c2 = _solve_small(M, [mom(held, a * E) for a in basis])
        fit = c0[key] + c1[key] * X + c2[key] * Y
        held = np.where(fit > 0, wall, 0.0)
    fit = np.maximum(fit, 0.0)
    nh, nw = mom(held, one), mom(wall, one)
    s2 = mom(held, (E - fit) ** 2) / np.maximum(nh - 3.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sq = mom(wall, fit * fit) / nw - 2.0 * s2 / nh
        return (sq / (mom(wall, fit) / nw) ** 2).reshape(B, R)


def peak_bands(E: np.ndarray, n: int = 2) -> np.ndarray:
    """(n, R): the peak band of up to n spectral components per row of band energies E (R, J).
    A component is the strongest remaining band with its two neighbours, so a sinusoid that falls
    between two band centres is counted once, at its full amplitude."""
    rem = E.copy()
    cols = np.arange(E.shape[1])[None, :]
    out = []
    for _ in range(n):  # a couple of components
        j = np.argmax(rem, axis=1)
        out.append(j)
        rem = np.where(np.abs(cols - j[:, None]) <= 1, 0.0, rem)
    return np.stack(out)


def component(E: np.ndarray, lams: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(wavelength, semi-amplitude) of the component peaking at band j in every row of E (..., J):
    the energy-weighted log-mean wavelength of bands j-1..j+1 and sqrt(2 x their energy)."""
    cols = np.arange(len(lams))
    m = np.abs(cols - np.asarray(j)[..., None]) <= 1
    e = np.where(m, E, 0.0)
    tot = e.sum(axis=-1)
    lam = lams[0] * np.exp((e * np.log(lams / lams[0])).sum(axis=-1) / np.where(tot > 0, tot, 1.0))
    return np.where(tot > 0, lam, np.nan), np.sqrt(2.0 * tot)


def ladder_resolution(sp: Spectrum, rs: RegionSpectra) -> tuple[np.ndarray, np.ndarray]:
    """The estimator's own resolution per band: the largest |ln(lam_hat / lam)| and
    |ln(a_hat / a)| it makes on exact data, pure sinusoids at RES_PER_BAND wavelengths per band
    (their mean squares a^2/2 * H_k^2 at every scale under the model's tilt mix, solved and
    read as the checks read a component), for the waves whose component peaks in each band
    (and not in a guard band).
    What the bands and the NNLS's spreading of a wave leave; sampling and misfit are added by
    the checks. Bands at the ladder's ends, next to the guards, are measured worst."""
    lams = sp.wavelengths_mm
    J = len(lams)
    guard = guard_bands(lams)
    test = guard[0] * np.exp(np.linspace(0.0, np.log(guard[-1] / guard[0]),
                                         RES_PER_BAND * (J + 1) + 1))
    n = len(test)
    tilt = np.repeat(rs.tilt.mean(axis=0)[None], n, axis=0)
    D = sp.designs(tilt)
    ms = sp.power(test, tilt) * 0.5  # (n, K), a = 1
    noise = ms * model_error(sp)[None, :]
    ideal = RegionSpectra(np.zeros((n, J + 2)), ms[None], ms[None], ms[None], ms[None],
                          np.zeros(n), noise, np.ones_like(ms, bool), ms, tilt, D)
    full, _, _, _ = solve_rows(D, ms, np.zeros((0, n, ms.shape[1])), noise)
    j = np.argmax(full[:, 1:-1], axis=1)
    # a wave whose component peaks in a guard band (sub-ladder relief, form) is no band's:
    # a test wave past the coarse guard, its interior share a trace, was read as band j's
    # (1.6 mm for 5.5 mm, amplitude 0.21) and set that band's resolution to ln 4.8 on one
    # pose of a rippled plank and not on the same plank turned 90 degrees about z
    own = full[np.arange(n), 1 + j] >= np.maximum(full[:, 0], full[:, -1])
    lam, amp, _, _ = refine(sp, ideal, ms, j)
    res_l, res_a = np.full(J, math.log(RATIO)), np.full(J, math.log(RATIO))
    ok = np.isfinite(lam) & (amp > 0)
    el = np.where(ok, np.abs(np.log(np.where(ok, lam, 1.0) / test)), np.inf)
    ea = np.where(ok, np.abs(np.log(np.where(ok, amp, 1.0))), np.inf)
    for b in range(J):  # bands (a dozen)
        at = (j == b) & own
        if at.any():
            res_l[b], res_a[b] = el[at].max(), ea[at].max()
    return res_l, res_a
