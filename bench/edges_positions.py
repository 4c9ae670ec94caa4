"""A candidate step 10 of the crease kernel, measured outside the tool: each chain on a noisy
body read a second time from where its sections' points are (docs/edges.md, "Vertex noise",
stop 65: built, measured on the truth suite, not landed).

    PYTHONPATH=src python bench/edges_positions.py --offset 40000 --cases 100
    PYTHONPATH=src python bench/edges_positions.py --offset 40000 --apart-only
    PYTHONPATH=src python bench/edges_positions.py --case edges:40009

Vertex noise of sigma moves a section's crossing points by about sigma, but tilts a sliver w
wide by about sigma / w. Each section is fitted with the curve two straight flanks and a
circular arc tangent to both draw in its plane (the corner, the two flank directions, log R)
by least squares with a soft-L1 loss at the body's noise, Levenberg-Marquardt with the
analytic Jacobian, in windows doubling from the smallest fillet the chain's interval allows;
the reading is the largest window whose residuals the noise explains. Where the points'
median and the normals' interval disagree the interval widens to hold it; the value is the
points' median wherever it is read (or, with --apart-only, only where they disagree). Prints
the edges family's table for the slice with the reading installed (in-process: one worker).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

APART_ONLY = False  # --apart-only: the value moves only where the two readings disagree

from miniscan.analysis.creases.chains import MEDIAN_SE  # noqa: E402
from miniscan.analysis.creases.common import (  # noqa: E402
    _weighted_quantile, nanmedian_rows, NOISE_SIGMA_PER_MAD)
from miniscan.analysis.creases.flanks import MAX_BEVEL_TURN  # noqa: E402
from miniscan.analysis.creases.stations import (  # noqa: E402
    _walk_sections, MAX_CROSSINGS, STATIONS_PER_CHAIN)

FIT_STEPS = 20  # Levenberg-Marquardt steps at most (the sections still moving; from the
# corner's-gap start the truth suite's noisy fillets settle in under 20)
FIT_RTOL = 1e-4  # a step lowering the cost by less than this share of it ends the fit (the
# radius then moves by well under 0.1 %)
FIT_MIN_POINTS = 8  # five numbers fitted: at least this many points (three on each flank)
TANGENTS = 2.0  # a window reaches this many tangent lengths R tan(Theta / 2) either side of
# the station for the radius R it is sized for: the fillet and as much flank again
WINDOW_ROWS = 3.0  # ... and this many rows more (a hard edge's tangent length is 0)
FIT_MIN_SECTIONS = 3  # a chain's reading rests on this many sections at least (a median of fewer
# is one noisy fit)
WINDOW_STEPS = 2.0 ** np.arange(5)  # windows tried, from the smallest fillet the chain allows
# up to 16 times that (at most the softest bevel worth finding's): the largest the fit explains
NOISE_SE = 3.0  # a window's fit is explained by the noise where its residuals' robust sigma is
# within this many standard errors of the body's noise sigma
MAD_SE = 1.167  # the standard error of a MAD sigma, in sigmas x sqrt(n) (its efficiency 37 %)
_TINY = 1e-6  # the smallest radius and noise scale a fit is started with (in window units)
DAMPING = (1e-2, 1e-9, 1e9)  # Marquardt's damping: its start (x 0.3 after a step that lowered
# the cost, x 10 after one that did not), a floor always added (a flat direction keeps a finite
# solve), and the ceiling past which no step moves the section: its fit is done


def _profile(P, th, jac=False):
    """(S, M) signed distances of points P (S, M, 2) from each line-arc-line th (S, 5): the
    corner C, the flanks' directions d1, d2 away from it (angles a1, a2), log R; with jac, also
    their derivatives (S, M, 5). With delta = a2 - a1, the tangent points lie R (1 + cos delta)
    / |sin delta| from the corner and the arc's centre at O = C + R (d1 + d2) / |sin delta|; a
    point past a tangent point is a flank's, at its distance from that flank's line (on the
    side of the arc: normal s d-perp, s the sign of sin delta for flank 1, its opposite for
    flank 2), else the arc's, at R - |P - O|."""
    C = th[:, None, :2]
    a1, a2 = th[:, 2:3], th[:, 3:4]
    d1 = np.stack([np.cos(a1), np.sin(a1)], -1)
    d2 = np.stack([np.cos(a2), np.sin(a2)], -1)
    p1, p2 = np.stack([-d1[..., 1], d1[..., 0]], -1), np.stack([-d2[..., 1], d2[..., 0]], -1)
    R = np.exp(th[:, 4:5])
    sd, cd = np.sin(a2 - a1), np.cos(a2 - a1)
    sgn = np.where(sd < 0, -1.0, 1.0)
    asd = np.maximum(np.abs(sd), 1e-12)
    t = R * (1.0 + cd) / asd  # the tangent points' distance from the corner
    m = (d1 + d2) / asd[..., None]
    O = C + R[..., None] * m
    q = P - C
    r1 = sgn * (q * p1).sum(-1)
    r2 = -sgn * (q * p2).sum(-1)
    on1, on2 = (q * d1).sum(-1) > t, (q * d2).sum(-1) > t  # past a tangent point: a flank
    PO = P - O
    dist = np.maximum(np.linalg.norm(PO, axis=-1), 1e-300)
    ra = R - dist
    one = np.where(on1 & on2, np.abs(r1) < np.abs(r2), on1)
    two = on2 & ~one
    r = np.where(one, r1, np.where(two, r2, ra))
    if not jac:
        return r
    u = PO / dist[..., None]
    k = (sgn * cd / (asd * asd))[..., None]
    dO1 = R[..., None] * (p1 / asd[..., None] + (d1 + d2) * k)
    dO2 = R[..., None] * (p2 / asd[..., None] - (d1 + d2) * k)
    z = np.zeros_like(r)
    J1 = np.stack([-sgn * p1[..., 0] + z, -sgn * p1[..., 1] + z, -sgn * (q * d1).sum(-1), z, z], -1)
    J2 = np.stack([sgn * p2[..., 0] + z, sgn * p2[..., 1] + z, z, sgn * (q * d2).sum(-1), z], -1)
    Ja = np.stack([u[..., 0], u[..., 1], (u * dO1).sum(-1), (u * dO2).sum(-1),
                   R + R * (u * m).sum(-1)], -1)
    return r, np.where(one[..., None], J1, np.where(two[..., None], J2, Ja))


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-300)


def fit_line_arc_line(P, w, th, scale):
    """Levenberg-Marquardt on the soft-L1 cost of `_profile` over the points P (S, M, 2) with
    weights w (S, M; 0 for none), from th (S, 5), the loss's scale `scale` (S,). A section
    stops once a step lowers its cost by less than FIT_RTOL of it, or its damping has grown
    past any step (its Jacobian evaluations are the fit's cost). Returns (th, cost)."""
    th = th.copy()
    sc = scale[:, None]
    c, r = _cost(P, w, th, sc)
    damp = np.full(len(th), DAMPING[0])
    live = np.arange(len(th))
    for _ in range(FIT_STEPS):
        if not len(live):
            break
        Pl, wl, tl, rl, sl = P[live], w[live], th[live], r[live], sc[live]
        J = np.where(wl[..., None] > 0, _profile(Pl, tl, jac=True)[1], 0.0)
        rw = wl / np.sqrt(1.0 + (rl / sl) ** 2)  # the soft-L1 loss as reweighted least squares
        A = np.einsum("smk,sm,sml->skl", J, rw, J)
        g = np.einsum("smk,sm,sm->sk", J, rw, rl)
        # Marquardt's scaling of the diagonal; a section without points, or whose points a
        # parameter does not move, keeps a finite solve (its step is then 0 or no better)
        dg = np.maximum(np.einsum("skk->sk", A), 1e-12)
        A = A + (damp[live, None] + DAMPING[1])[:, :, None] * np.eye(5) * dg[:, :, None]
        with np.errstate(all="ignore"):
            try:
                step = -np.linalg.solve(A, g[..., None])[..., 0]
            except np.linalg.LinAlgError:  # (a non-finite row: pinv solves the rest)
                step = -(np.linalg.pinv(np.nan_to_num(A)) @ np.nan_to_num(g)[..., None])[..., 0]
        step = np.where(np.isfinite(step), step, 0.0)
        step[:, 4] = np.clip(step[:, 4], -1.0, 1.0)  # R at most e times per step
        cn, rn = _cost(Pl, wl, tl + step, sl)
        better = cn < c[live]
        gain = np.where(better, c[live] - cn, 0.0)
        th[live] = np.where(better[:, None], tl + step, tl)
        r[live] = np.where(better[:, None], rn, rl)
        c[live] = np.where(better, cn, c[live])
        damp[live] = np.where(better, damp[live] * 0.3, damp[live] * 10.0)
        done = (better & (gain <= FIT_RTOL * c[live])) | (damp[live] >= DAMPING[2])
        live = live[~done]
    return th, c


def _cost(P, w, th, sc):
    """(soft-L1 cost (S,), residuals (S, M)) of the points P weighted w about profiles th."""
    r = np.where(w > 0, _profile(P, th), 0.0)
    return (w * 2.0 * (np.sqrt(1.0 + (r / sc) ** 2) - 1.0)).sum(-1), r


def _start(P, w):
    """(S, 5) each section's flanks as the principal lines of the outer thirds of its points on
    either side, the corner where they meet (NaN where the lines are parallel), and the log of
    the radius whose arc passes the corner at the nearest point's distance (NaN where none)."""
    n = w.sum(axis=1, keepdims=True)
    rank = np.cumsum(w, axis=1) - w
    third = np.maximum(np.floor(n / 3.0), 2.0)
    lines = []
    for side in (rank < third, rank >= n - third):
        ws = w * side
        m = (ws[..., None] * P).sum(1) / np.maximum(ws.sum(1), 1e-300)[:, None]
        d = P - m[:, None]
        cxx, cyy = (ws * d[..., 0] ** 2).sum(1), (ws * d[..., 1] ** 2).sum(1)
        cxy = (ws * d[..., 0] * d[..., 1]).sum(1)
        ang = 0.5 * np.arctan2(2.0 * cxy, cxx - cyy)  # the principal axis
        lines.append((m, np.stack([np.cos(ang), np.sin(ang)], -1), ws))
    (m1, d1, w1), (m2, d2, w2) = lines
    # each flank's direction away from the corner: towards its own outer end
    out1 = ((P - m1[:, None]) * d1[:, None]).sum(-1)
    out2 = ((P - m2[:, None]) * d2[:, None]).sum(-1)
    first = np.argmax(w > 0, axis=1)
    last = P.shape[1] - 1 - np.argmax(w[:, ::-1] > 0, axis=1)
    rows = np.arange(len(P))
    d1 = d1 * np.where(out1[rows, first] < 0, -1.0, 1.0)[:, None]
    d2 = d2 * np.where(out2[rows, last] < 0, -1.0, 1.0)[:, None]
    det = d1[:, 0] * (-d2[:, 1]) - d1[:, 1] * (-d2[:, 0])
    rhs = m2 - m1
    with np.errstate(all="ignore"):
        s = (rhs[:, 0] * (-d2[:, 1]) - rhs[:, 1] * (-d2[:, 0])) / det
    C = m1 + s[:, None] * d1
    # the radius whose arc passes as near the corner as the nearest point does: an arc of R
    # between flanks meeting at an inner angle beta stays R (1 / sin(beta / 2) - 1) from it
    gap = np.min(np.where(w > 0, np.linalg.norm(P - C[:, None], axis=-1), np.inf), axis=1)
    half = np.sin(0.5 * np.arccos(np.clip((d1 * d2).sum(-1), -1.0, 1.0)))
    with np.errstate(all="ignore"):
        R0 = gap * half / (1.0 - half)
    return np.column_stack([C, np.arctan2(d1[:, 1], d1[:, 0]), np.arctan2(d2[:, 1], d2[:, 0]),
                            np.log(np.where(np.isfinite(R0) & (R0 > 0), R0, np.nan))])


def position_radius(analysis, p0, a, f0, windows, r0, noise):
    """(R, Theta) per station (p0, a, f0 as the stations'), NaN where no fit holds. Each
    section is walked to its largest window (windows (S, W), ascending, mm) and fitted
    (`fit_line_arc_line`, the soft-L1 loss at `noise` mm) to its points within each window of
    the station in turn, from the radius r0 (S, W) that window was sized for; the reading is
    the largest window whose fit the noise explains (the residuals' robust sigma within
    NOISE_SE standard errors of the body's noise) with its arc inside that window. A section
    whose window's fit the noise does not explain is not fitted in larger ones (they hold
    more of what it does not explain)."""
    S, nw = windows.shape
    walk = _walk_sections(analysis, p0, a, f0, windows[:, -1], 4 * MAX_CROSSINGS)
    n0 = analysis.face_normals[f0]
    b0 = _unit(np.cross(a, n0))
    Q = np.concatenate([walk.point[S:, ::-1], p0[:, None], walk.point[:S]], axis=1) - p0[:, None]
    P = np.stack([(Q * b0[:, None]).sum(-1), (Q * n0[:, None]).sum(-1)], -1)
    dist = np.linalg.norm(np.nan_to_num(P, nan=np.inf), axis=-1)
    P = np.nan_to_num(P)
    R_out, t_out = np.full(S, np.nan), np.full(S, np.nan)
    last = np.full((4, S), np.nan)  # each section's last fit: points, R, Theta, sigma
    live = np.arange(S)
    for k in range(nw):  # (a fixed handful of windows)
        inw = dist[live] <= windows[live, k:k + 1]
        n = inw.sum(axis=1)
        # a window holding the same points as the last (the walk ended there) fits the same
        new = n != last[0, live]
        fresh = live[new]
        if len(fresh):
            inw_f = inw[new]
            # each section's points packed to the left, in order (the fit's cost is per column)
            o = np.argsort(~inw_f, axis=1, kind="stable")[:, :int(n[new].max())]
            w = np.take_along_axis(inw_f, o, axis=1).astype(float)
            Pk = np.take_along_axis(P[fresh], o[..., None], axis=1)
            # in units of the window (the fit's steps and tolerances are the same at any size)
            W = windows[fresh, k]
            R, theta, sd = _fit_window(Pk / W[:, None, None], w, r0[fresh, k] / W,
                                       noise[fresh] / W)
            last[:, fresh] = n[new], R * W, theta, sd * W
        R, theta, sd = last[1, live], last[2, live], last[3, live]
        with np.errstate(invalid="ignore"):
            explained = sd <= noise[live] * (1.0 + NOISE_SE * MAD_SE / np.sqrt(np.maximum(n, 1.0)))
            inside = R * np.tan(theta / 2.0) < windows[live, k]
        take = np.isfinite(R) & explained & inside
        R_out[live[take]], t_out[live[take]] = R[take], theta[take]
        live = live[explained]
        if not len(live):
            break
    return R_out, t_out


def _fit_window(P, w, r0, noise):
    """(R, Theta, robust sigma of the residuals) of each section's points weighted w, the fit
    started from the flanks' principal lines (`_start`) and the radius r0."""
    th0 = _start(P, w)
    # (the radius the corner's gap gives, else r0: a start whose arc holds no point cannot
    # move its radius, every point's distance being a flank's)
    th0[:, 4] = np.where(np.isfinite(th0[:, 4]), th0[:, 4], np.log(np.maximum(r0, _TINY)))
    good = np.isfinite(th0).all(axis=1) & (w.sum(axis=1) >= FIT_MIN_POINTS)
    th0 = np.where(good[:, None], th0, 0.0)
    th, _ = fit_line_arc_line(P, w, th0, np.maximum(noise, _TINY))
    d1 = np.stack([np.cos(th[:, 2]), np.sin(th[:, 2])], -1)
    d2 = np.stack([np.cos(th[:, 3]), np.sin(th[:, 3])], -1)
    theta = np.pi - np.arccos(np.clip((d1 * d2).sum(-1), -1.0, 1.0))
    r = np.abs(np.where(w > 0, _profile(P, th), np.nan))
    with np.errstate(all="ignore"):
        sd = NOISE_SIGMA_PER_MAD * nanmedian_rows(np.where(w > 0, r, np.nan))
    return np.where(good, np.exp(th[:, 4]), np.nan), theta, sd


def position_values(analysis, st, cr, detect, seed_faces):
    """cr with each chain on a noisy body (its noise sigma > 0) read again from where its
    sections' points are (`position_radius` at up to STATIONS_PER_CHAIN of its stations, spread
    along it): where at least FIT_MIN_SECTIONS of them fit a crease (a turn of turn_min to
    MAX_BEVEL_TURN), their median is the points' reading, its standard error from their
    scatter as a chain's sections give it (chains.py). Where that reading's interval lies
    apart from the normals' interval, the interval widens to hold it (it only grows); the
    value is the points' median (APART_ONLY: only there)."""
    if cr.count == 0 or cr.noise_mm is None or not np.any(cr.noise_mm > 0):
        return cr
    ch = _final_chain(seed_faces, np.asarray(cr.face_chain), cr.count)[st["chain"]]
    s = np.flatnonzero(ch >= 0)
    s = s[cr.noise_mm[ch[s]] > 0]
    if not len(s):
        return cr
    s = _spread_out(s, ch[s], cr.count)
    c = ch[s]
    turn = np.minimum(np.abs(cr.turn_rad[c]), 3.0)
    h = cr.resolution_mm[c]
    base = TANGENTS * np.fmax(np.nan_to_num(cr.radius_lo_mm[c]), h) * np.tan(turn / 2.0) \
        + WINDOW_ROWS * h
    top = TANGENTS * detect * np.tan(turn / 2.0) + WINDOW_ROWS * h
    window = np.fmin(base[:, None] * WINDOW_STEPS[None], np.fmax(top, base)[:, None])
    # each window's start: the radius whose arc and as much flank fill it
    r0 = (window - WINDOW_ROWS * h[:, None]) / (TANGENTS * np.tan(turn / 2.0))[:, None]
    r0 = np.fmax(r0, h[:, None])
    R, theta = position_radius(analysis, st["p"][s], st["a"][s], st["f"][s], window, r0,
                               cr.noise_mm[c])
    ok = np.isfinite(R) & (theta >= cr.turn_min_rad) & (theta <= MAX_BEVEL_TURN)
    n = np.bincount(c[ok], minlength=cr.count)
    use = n >= FIT_MIN_SECTIONS
    if not use.any():
        return cr
    ones = np.ones(int(ok.sum()))
    med = _weighted_quantile(R[ok], ones, c[ok], cr.count, 0.5)
    mad = _weighted_quantile(np.abs(R[ok] - med[c[ok]]), ones, c[ok], cr.count, 0.5)
    se = MEDIAN_SE * NOISE_SIGMA_PER_MAD * mad / np.sqrt(np.maximum(n, 1))
    # only where the two readings disagree (the median's own interval apart from the
    # normals'): there the normals read something else than the points lie on, a noise fold
    # for the band; elsewhere the normals' reading already holds the points' and stays
    apart = use & ((med + se < cr.radius_lo_mm) | (med - se > cr.radius_hi_mm))
    radius = np.where(apart if APART_ONLY else use, med, cr.radius_mm)

    lo = np.where(apart, np.fmin(cr.radius_lo_mm, np.maximum(med - se, 0.0)), cr.radius_lo_mm)
    hi = np.where(apart, np.fmax(cr.radius_hi_mm, med + se), cr.radius_hi_mm)
    return replace(cr, radius_mm=radius, radius_lo_mm=lo, radius_hi_mm=hi)


def _final_chain(seed_faces, face_chain, n_chains):
    """(seeds,) the chain each seed chain's faces (seed_faces: a seed label per face, -1 for
    none) mostly ended in (-1: none of them in a kept chain)."""
    n_seeds = int(seed_faces.max()) + 1 if len(seed_faces) else 0
    both = (seed_faces >= 0) & (face_chain >= 0)
    pair = seed_faces[both].astype(np.int64) * (n_chains + 1) + face_chain[both]
    key, count = np.unique(pair, return_counts=True)
    seed, final = key // (n_chains + 1), key % (n_chains + 1)
    o = np.lexsort((-count, seed))  # each seed's most shared chain first
    first = np.r_[True, seed[o][1:] != seed[o][:-1]] if len(o) else np.zeros(0, bool)
    out = np.full(max(n_seeds, 1), -1)
    out[seed[o][first]] = final[o][first]
    return out


def _spread_out(s, c, n_chains):
    """Of the stations s (in order along their chains c), up to STATIONS_PER_CHAIN per chain,
    every k-th (k the chain's count over STATIONS_PER_CHAIN, rounded up)."""
    o = np.argsort(c, kind="stable")
    s, c = s[o], c[o]
    count = np.bincount(c, minlength=n_chains)
    rank = np.arange(len(c)) - np.searchsorted(c, c)
    step = np.maximum(np.ceil(count / STATIONS_PER_CHAIN), 1).astype(int)[c]
    return s[rank % step == 0]


def install() -> None:
    """find_creases with the second reading as its last step: its stations and seeds are
    caught where it cuts them (`_stations`), and every chain it returns after the noise
    verdict (`_with_noise`) is read again (a model without seeds has no stations: untouched)."""
    from miniscan.analysis import creases as C

    caught = {}
    cut, noise = C._stations, C._with_noise

    def stations(analysis, seeds, detect, eye):
        st = cut(analysis, seeds, detect, eye)
        caught.update(st=st, detect=detect, seeds=seeds)  # (its labels merge on after this)
        return st

    def with_noise(analysis, cr):
        cr = noise(analysis, cr)
        if caught:
            cr = position_values(analysis, caught["st"], cr, caught["detect"],
                                 caught["seeds"]["face_chain"])
            caught.clear()
        return cr

    C._stations, C._with_noise = stations, with_noise


def main(argv=None) -> int:
    global APART_ONLY
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--offset", type=int, default=40000)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--case", help="one case, e.g. edges:40009")
    ap.add_argument("--apart-only", action="store_true")
    args = ap.parse_args(argv)
    APART_ONLY = args.apart_only
    from truth import suite

    install()
    if args.case:
        s = suite.evaluate_one(suite.parse_task(args.case))
        print(s.name, f"recall {s.found}/{s.defects}", s.errors, *s.notes, sep="\n  ")
        return 0
    todo = suite.tasks(["edges"], args.cases, False, None, args.offset)
    scores = suite.evaluate(todo, 1)
    summary = suite.summarise(scores)
    print(suite.table(summary))
    print(suite.held(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
