"""Step 6 of the crease reading: the bevel radius of a band and its interval (the middle half
of the turn; bands drawn along their rows read from their tangent lines)."""

from __future__ import annotations

import numpy as np

from .common import (GAP_ROWS, MIN_EDGE_TURN_RAD, NOISE_TURNS, ROW_ALIGNED_MIN_ROWS,
                     ROW_ALIGNED_SHARE, ROW_ALONG, nanmedian_rows)
from .stations import _Profile


ROW_TANGENT_MAX_ROWS = 3.0  # ... and read from its tangent lines below this many rows (beyond,
# its quarter points fall in cells wholly on the arc and are the better reading)
VERTEX_SHARE = 0.25  # the share of a row a clean band's middle-vertex reading keeps: exact on
# an inscribed polygon (a 2-D sweep, 1-6 rows, 40 % uneven, any phase: 1e-14), it is moved by the
# turn noise a clean band may still carry (0.1 degree scatter of the normals: at most 0.11 of a
# row in one section) and the chords' sag along a revolved rim (0.03); kept with the margin
# ROW_ALIGNED_SHARE keeps over its own 0.34
MIDDLE_ARC = 0.25  # a vertex read for a band's radius from the mesh's corners lies this share
# of the turn or more inside either tangent line (the arc's middle half): on a band of 1.75 rows
# or more the arc's middle half is most of a row wide and holds a row of vertices, while a
# flank vertex poses there only when it lies off its flank's plane by R (1 - cos(Theta / 4))
# (8 % of R at 90 degrees)
CIRCLE_EPS = 1e-6  # share of R a corner may lie outside the circle read by rounding alone
FLANK_SCATTER_FACES = 3  # faces read beyond each flank face (further out on its flank, in the
# walk's order) for how far the mesh's corners sit off the flank's plane: each adds about one
# corner of its own (a face beside it in the walk shares an edge with it), so about six corners
# per section estimate the noise a corner reading carries
TAIL_SHARE = 2.0 / 3.0  # a band's end crossing turning under this share of its neighbour's is
# a flank vertex (a tangent cell turns at most half a row's share; a row turns its whole share,
# its neighbour up to a quarter more on uneven rows)


def _radius(p: _Profile, b, mesh=None):
    """Turn, radius R = 2 W_mid / Theta and resolution h of each station's band. Each band
    crossing's turn is spread over its cell: half the spacing to the band crossings beside it
    (the band's end crossings spread inwards only: on a CAD fillet of n chords the tangent
    lines' half turns belong to the chords inside, which makes one chord read R = c / Theta
    instead of 2 c / Theta); a lone crossing over half the finer row on either side. h is the
    spacing of the band's crossings (the finer row for a lone one). A level reading (signed)
    also gets its turn's moments' radius r_m and standard error noise_m (_moment_radius,
    where no row reading replaced the quarter points), and whether their width lies within
    the band's extent (`within`); flanks._moment_reading decides which reading stands."""
    X, D = p.X, b["D"]
    rows = np.arange(X.shape[0])
    band = b["band"]
    cl, cr, lone, gn = _band_cells(X, b)
    signed = b.get("signed", False)  # a level reading: turns either way, net sign b["sgn"]
    adb = np.where(band, D * b["sgn"][:, None] if signed else np.abs(D), 0.0)
    theta = adb.sum(axis=1)
    (q1, q3), zigzag = _quarter_points(X, band, adb, theta, cl, cr, signed)
    j_lo, j_hi = b["j_lo"], b["j_hi"]
    with np.errstate(invalid="ignore", divide="ignore"):
        radius = 2.0 * np.maximum(q3 - q1, 0.0) / theta
    r_m = sd_m = np.full(len(theta), np.nan)
    if signed:
        r_m, sd_m = _moment_radius(X, adb, theta, cl, cr, b.get("spread", b["noise"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        gaps = np.where(band & np.isfinite(gn), gn, np.nan)
        has = np.isfinite(gaps).any(axis=1)
        res = np.where(has, nanmedian_rows(np.where(has[:, None], gaps, 0.0)),
                       2.0 * lone[rows, j_lo])
        centre = (np.where(band[..., None], p.Q * adb[..., None], 0.0).sum(axis=1)
                  / theta[:, None])
    # the band's width for the flank's reach: the larger of the circular estimate and the
    # crossings' own extent (a sine crest turns most of its angle in a narrow middle)
    extent_b = X[rows, j_hi] + cr[rows, j_hi] - X[rows, j_lo] + cl[rows, j_lo]
    width = np.fmax(radius * theta, extent_b)
    quarter = radius
    radius, skew, share, noise_c = _row_reading(p, b, adb, theta, radius, res, signed, mesh)
    # the moments stand in for the quarter points only (not for a row reading), and are
    # believed without more where their width lies within the band's extent: a turn all one
    # way spreads over no more than the band it is read from (flanks._moment_reading)
    with np.errstate(invalid="ignore"):
        moment = np.isfinite(r_m) & (radius == quarter)
        within = r_m * theta <= extent_b
    return dict(within=within, theta=theta, radius=radius, res=res, cell_lo=cl[rows, j_lo],
                cell_hi=cr[rows, j_hi], width=width, centre=centre, zigzag=zigzag, skew=skew,
                share=share, noise_c=noise_c, r_m=np.where(moment, r_m, np.nan),
                noise_m=np.where(moment, sd_m, np.nan))


def _moment_radius(X, adb, theta, cl, cr, sigma):
    """A signed band's radius from the moments of its turn (each crossing's spread evenly over
    its cell): an arc turns at an even rate over its width W = R Theta, whose variance is
    W^2 / 12, so R = sqrt(12 V) / Theta. The moments are linear in the turns, so a crossing's
    noise (either way, sigma) moves them by as much either way; its standard error by
    linear propagation (dV/dt_j = (e_j - V) / Theta, e_j the cell's second moment about the
    mean). The turn's own noise is not in it: the caller divides by a better-known turn."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a, c = X - cl, X + cr
        on = adb != 0  # (cells off the band may be undefined)
        m1 = np.where(on, 0.5 * (a + c), 0.0)
        m2 = np.where(on, (a * a + a * c + c * c) / 3.0, 0.0)
        mu = (adb * m1).sum(axis=1) / theta
        V = (adb * m2).sum(axis=1) / theta - mu * mu
        R = np.sqrt(12.0 * V) / theta
        e = m2 - 2.0 * mu[:, None] * m1 + (mu * mu)[:, None]
        dR = R[:, None] * (e - V[:, None]) / (2.0 * V[:, None] * theta[:, None])
        sd = np.sqrt(np.where(on, dR * dR, 0.0).sum(axis=1)) * np.asarray(sigma, float)
    ok = np.isfinite(R) & (V > 0) & (theta > 0) & np.isfinite(sd)
    return np.where(ok, R, np.nan), np.where(ok, sd, np.nan)


def _band_cells(X, b):
    """Each band crossing's cell either side (cl, cr: half the spacing to the band crossings
    beside it, half the finer row for a lone crossing), that half row, and the spacing to the
    next band crossing (gn, NaN past the last)."""
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    band = b["band"]
    single = band.sum(axis=1) <= 1
    prev_b = np.maximum.accumulate(np.where(band, J, -1), axis=1)
    prev_b = np.concatenate([np.full((S, 1), -1), prev_b[:, :-1]], axis=1)
    next_b = np.minimum.accumulate(np.where(band, J, M)[:, ::-1], axis=1)[:, ::-1]
    next_b = np.concatenate([next_b[:, 1:], np.full((S, 1), M)], axis=1)
    gp = np.where(prev_b >= 0, X - X[rows[:, None], np.maximum(prev_b, 0)], np.nan)
    gn = np.where(next_b < M, X[rows[:, None], np.minimum(next_b, M - 1)] - X, np.nan)
    lone = 0.5 * np.fmin(b["gmin"], b["hgt"])
    cl = np.where(single[:, None], lone, 0.5 * np.nan_to_num(gp))
    cr = np.where(single[:, None], lone, 0.5 * np.nan_to_num(gn))
    return cl, cr, lone, gn


def _quarter_points(X, band, adb, theta, cl, cr, signed):
    """Where the band reaches a quarter and three quarters of its turn (each crossing's turn
    spread evenly over its cell); a level reading (signed) crosses each level more than once:
    its first and last crossings averaged, and half their spread as its zigzag."""
    C = np.cumsum(adb, axis=1) - adb
    sq, zigzag = [], np.zeros(len(X))
    for q in (0.25, 0.75):
        lev = q * theta[:, None]
        if signed:  # every crossing of the level; their first and last, averaged
            hit = band & (adb != 0) & ((C - lev) * (C + adb - lev) <= 0)
        else:
            hit = band & (C <= lev) & (lev < C + adb)
        with np.errstate(invalid="ignore", divide="ignore"):
            pos = X - cl + (cl + cr) * (lev - C) / np.where(adb != 0, adb, 1.0)
        if signed:
            first = np.where(hit, pos, np.inf).min(axis=1)
            last = np.where(hit, pos, -np.inf).max(axis=1)
            has = hit.any(axis=1)
            first, last = np.where(has, first, np.nan), np.where(has, last, np.nan)
            sq.append(0.5 * (first + last))
            zigzag += np.where(has, 0.25 * (last - first), 0.0)  # half of (d1 + d3) / 2
        else:
            sq.append(np.where(hit, pos, 0.0).sum(axis=1) / np.maximum(hit.sum(axis=1), 1))
    return sq, zigzag


def _band_skew(p: _Profile, b, adb, res, signed):
    """(skew, floor): how far the band's turning edges reach across the crease, 0 where every
    one of them runs along it (rows on the fillet's profile lines: _row_term), inf where the
    band does not hold the whole turn (`signed`, or a tangent cell left out); and the turn
    floor of each section (the noise's)."""
    X, D = p.X, b["D"]
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    band, j_lo, j_hi = b["band"], b["j_lo"], b["j_hi"]
    skew = np.where(band & (adb != 0), p.skew, 0.0).max(axis=1, initial=0.0)
    floor = np.maximum(MIN_EDGE_TURN_RAD, NOISE_TURNS * b.get("noise", np.zeros(S)))
    # where the first crossing beyond either end that turns at all (above the noise) still
    # turns its way, within the gap a band bridges (GAP_ROWS), a tangent cell was left out and
    # the quarter points moved with it
    row = GAP_ROWS * np.where(np.isfinite(res), res, 0.0)
    turns = p.vc & (np.abs(D) > floor[:, None])
    nxt = np.where(turns & (J > j_hi[:, None]), J, M).min(axis=1)
    prv = np.where(turns & (J < j_lo[:, None]), J, -1).max(axis=1)
    left_out = np.zeros(S, bool)
    for k, edge_x, sign in ((nxt, X[rows, j_hi], 1.0), (prv, X[rows, j_lo], -1.0)):
        kk = np.clip(k, 0, M - 1)
        near = (k >= 0) & (k < M) & (sign * (X[rows, kk] - edge_x) <= row)
        left_out |= near & (D[rows, kk] * b["sgn"] > 0)
    return np.where(left_out | signed, np.inf, skew), floor


def _row_reading(p: _Profile, b, adb, theta, radius, res, signed, mesh=None):
    """A band drawn along its rows: (radius, skew, share, noise_c) with the radius read from
    its tangent lines or, on a clean band of ROW_ALIGNED_MIN_ROWS-ROW_TANGENT_MAX_ROWS rows,
    from its middle vertex (_vertex_radius) where that is the better reading; any other clean
    band under ROW_TANGENT_MAX_ROWS rows from the mesh's corners where one lies on the arc
    (_corner_radius, given `mesh`: vertices, faces, face normals; skew 0 there), and a noisy
    one likewise where the corners' scatter moves the reading less than the row it saves
    (noise_c, mm: that bound, 0 elsewhere); skew (how far its turning edges reach across the
    crease, for _row_term) inf where no narrower row term holds; share the part of a row the
    reading is known to (ROW_ALIGNED_SHARE or VERTEX_SHARE)."""
    X, D = p.X, b["D"]
    S = X.shape[0]
    band = b["band"]
    skew, floor = _band_skew(p, b, adb, res, signed)
    # a band drawn along its rows: read under ROW_TANGENT_MAX_ROWS rows, its radius from where
    # its tangent lines are (_tangent_radius: the quarter points fall in the tangent cells
    # there); its end turns locate them only where no crossing's noise reaches the floor, and
    # a band read under ROW_ALIGNED_MIN_ROWS rows may be one whose tangent cells pose as rows.
    # Read at more rows, the quarter points (within 0.3 h / Theta there). Elsewhere: no
    # narrower row term (skew inf)
    row_w = np.where(np.isfinite(res), res, 0.0)
    along = skew < ROW_ALONG * row_w
    r_t = _tangent_radius(X, adb, band, theta, floor)
    with np.errstate(invalid="ignore"):
        use = along & np.isfinite(r_t) & (floor <= MIN_EDGE_TURN_RAD) & \
            (r_t * theta >= ROW_ALIGNED_MIN_ROWS * row_w) & \
            (r_t * theta < ROW_TANGENT_MAX_ROWS * row_w)
        quarter = along & (radius * theta >= ROW_TANGENT_MAX_ROWS * row_w)
    # the middle vertex pins the fillet where the tangent lines leave up to 0.34 h / Theta
    r_v = _vertex_radius(X, np.where(p.vc, D * b["sgn"][:, None], 0.0), band, floor)
    with np.errstate(invalid="ignore"):
        vert = use & np.isfinite(r_v) & (r_v * theta >= ROW_ALIGNED_MIN_ROWS * row_w)
    share = np.where(vert, VERTEX_SHARE, ROW_ALIGNED_SHARE)
    radius = np.where(vert, r_v, np.where(use, r_t, radius))
    skew = np.where(use | quarter, skew, np.inf)
    # elsewhere (rows across the crease: a remesh, a Delaunay or jittered triangulation; or
    # along it where the middle vertex was not read) on a band under ROW_TANGENT_MAX_ROWS rows:
    # the section's crossings are chord midpoints, off the surface, but the faces' corners lie
    # on it (_corner_radius; on a noisy band within the noise): such a band keeps VERTEX_SHARE
    # too
    noise_c = np.zeros(S)
    if mesh is not None and not signed:
        cand = ~vert & np.isfinite(radius)
        r_c, t_c, e_c, s_c = (np.full(S, np.nan) for _ in range(4))
        if cand.any():
            r_c[cand], t_c[cand], e_c[cand], s_c[cand] = _corner_radius(
                p, b, mesh, np.flatnonzero(cand), floor, row_w)
        # a clean band's corners lie on the surface (what moves them is covered by the quarter
        # row kept), at any rows (_row_term); a noisy band's (a crossing's noise reaches the
        # floor) lie off it by the noise, which moves the reading by e_c (the corners' own
        # scatter about the flank planes, through dR/du + dR/dv): read so only where that is
        # less than the rest of the row the reading saves, and only from ROW_ALIGNED_MIN_ROWS
        # rows read (under it a flank corner poses on the arc within the noise: edges:3031's
        # 1.35-row rim read 14 % high)
        clean = floor <= MIN_EDGE_TURN_RAD
        with np.errstate(invalid="ignore"):
            cand &= clean | ((e_c * theta < (1.0 - VERTEX_SHARE) * row_w) &
                             (radius * theta >= ROW_ALIGNED_MIN_ROWS * row_w))
        # ... and it must agree with the band's own reading within the row that reading keeps
        # (|r_c - R| <= h / Theta): where the corners are off the circle tangent to both flank
        # planes (a crease curving along itself within a few faces, a coarse rounded form),
        # the two readings part
        with np.errstate(invalid="ignore"):
            corner = cand & np.isfinite(r_c) & (r_c * t_c < ROW_TANGENT_MAX_ROWS * row_w) & \
                (np.abs(r_c - radius) * theta <= row_w)
        radius = np.where(corner, r_c, radius)
        skew = np.where(corner, 0.0, skew)
        share = np.where(corner, VERTEX_SHARE, share)
        noise_c = np.where(corner & ~clean, e_c, 0.0)
        # the row and corner readings are exact on points on the surface; along a crease that
        # curves, the section's crossings are on chords beside it (_sag_error)
        fine = np.flatnonzero((vert | use | corner) & np.isfinite(radius))
        if len(fine):
            noise_c[fine] += _sag_error(p, b, mesh, fine, theta)
    return radius, skew, share, noise_c


def _sag_error(p: _Profile, b, mesh, idx, theta):
    """(len(idx),) what the crossings' sag along a curving crease moves a row or corner
    reading by, in mm. A crossing cuts the edge between corners d1 < 0 < d2 along the crease
    (from the section's plane) at t = d1 / (d1 - d2) of its length l = d2 - d1, and on a
    crease curving at bend kappa lies kappa l^2 t (1 - t) / 2 inside the surface (the edge's
    sagitta there). Where every crossing cuts its edge at one place (a regular revolve,
    whose rows at radii rho_k only scale the section about the axis; a faceted panel's quads)
    the section keeps its shape; where the places differ (a jittered grid: a vertex moved
    along the crease by a quarter of a face 1.3 mm long) the crossings move against each
    other by up to kappa l^2 / 2 times the spread of t (1 - t) over the band's crossings (l
    the longest such edge; a flank's far crossing, a row or more out, tilts its line by its
    sag over that distance only), and the reading by that times dR/du + dR/dv
    at the arc's middle, 2 (1 + cos(Theta / 2)) / (1 - cos Theta) (a vertex u = w inside both
    flank planes: _corner_radius; 3.4 at 90 degrees). 0 on a straight crease."""
    v, faces, _ = mesh
    F, p0, axis = p.F[idx], p.p0[idx], p.axis[idx]
    W, M = F.shape[1], p.X.shape[1]
    lo, hi = np.clip(b["j_lo"][idx], 0, M - 1), np.clip(b["j_hi"][idx], 0, M - 1)
    L = int(np.max(hi - lo, initial=0)) + 1
    J = np.minimum(lo[:, None] + np.arange(L)[None, :], M - 1)  # (S, L) clusters read
    rows = np.arange(len(idx))[:, None]
    sel = p.vc[idx][rows, J] & (J <= hi[:, None])
    place, length = [], []
    for k in (p.first[idx][rows, J], p.last[idx][rows, J]):
        k = np.clip(k, 0, W - 2)
        fa, fb = F[rows, k], F[rows, k + 1]
        va, vb = faces[np.maximum(fa, 0)], faces[np.maximum(fb, 0)]  # (S, L, 3)
        shared = (va[..., :, None] == vb[..., None, :]).any(axis=-1)
        d = np.einsum("slkj,sj->slk", v[va] - p0[:, None, None, :], axis)
        d = np.sort(np.where(shared, d, np.nan), axis=-1)[..., :2]  # the shared edge's ends
        ok = sel & (fa >= 0) & (fb >= 0) & (shared.sum(axis=-1) == 2) & \
            (d[..., 0] < 0.0) & (d[..., 1] > 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = d[..., 0] / (d[..., 0] - d[..., 1])
        place.append(np.where(ok, t * (1.0 - t), np.nan))
        length.append(np.where(ok, d[..., 1] - d[..., 0], np.nan))
    place, length = np.concatenate(place, axis=1), np.concatenate(length, axis=1)
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(place, axis=1, initial=-np.inf) - \
            np.nanmin(place, axis=1, initial=np.inf)
        longest = np.nanmax(length, axis=1, initial=0.0)
        t = theta[idx]
        sens = 2.0 * (1.0 + np.cos(0.5 * t)) / (1.0 - np.cos(t))
        err = 0.5 * np.abs(p.bend[idx]) * longest ** 2 * spread * sens
    return np.where(np.isfinite(err) & (err > 0.0), err, 0.0)


def _band_ends(X, D, vc, live, jl, jh, sg, fl, reach):
    """(jl, jh) a band's first and last crossing, each taking in a tangent cell the band left
    out: the first crossing beyond an end that turns above the floor `fl` turns its way, within
    `reach` along the section, and no more than a tangent cell (TAIL_SHARE of the band's
    strongest); the face inside it is no flank. Also which sections took in a tangent cell
    that lies no nearer the band than the next crossing beyond it that turns more than it
    does: a vertex between two creases across a narrow flat whose turn may be either's
    tangent cell. Taken in, a neighbour's flank vertex makes a face of its arc this band's
    flank (a ring's 0.17 mm rim, two rows from the next across its flat top, read 0.27-0.31 mm
    with a quarter row); left out, a faceted form's tangent cell leaves one more facet as the
    flank (the wyrmling's 69-degree facet line read 0.72 mm, MS202): neither flank is known,
    and such a section is not read from its corners."""
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    top = np.where(live, np.abs(D), 0.0).max(axis=1)
    turns = vc & (np.abs(D) > fl[:, None])
    shared = np.zeros(S, dtype=bool)
    for _ in range(2):
        nxt = np.clip(np.where(turns & (J > jh[:, None]), J, M).min(axis=1), 0, M - 1)
        prv = np.clip(np.where(turns & (J < jl[:, None]), J, -1).max(axis=1), 0, M - 1)
        for k, e, side in ((nxt, jh, 1.0), (prv, jl, -1.0)):
            gap = side * (X[rows, k] - X[rows, e])
            take = turns[rows, k] & (gap > 0) & (gap <= reach) & (D[rows, k] * sg > 0) & \
                (np.abs(D[rows, k]) <= TAIL_SHARE * top)
            further = turns & (side * (J - k[:, None]) > 0) & \
                (np.abs(D) > np.abs(D[rows, k])[:, None])
            beyond = np.where(further, side * (X - X[rows, k][:, None]), np.inf).min(axis=1)
            shared |= take & (beyond <= gap)
            if side > 0:
                jh = np.where(take, k, jh)
            else:
                jl = np.where(take, k, jl)
    return jl, jh, shared


def _flank_scatter(v, faces, F, ok, ends):
    """(S,) how far the mesh's corners sit off the flank planes: the RMS distance of the corners
    of the FLANK_SCATTER_FACES faces beyond each flank face (not its own: they span its plane)
    from that face's plane; NaN where none. ends: ((w, step, point, normal, face), ...) for
    the two flanks."""
    S = len(ok)
    rows = np.arange(S)
    sq, cnt = np.zeros(S), np.zeros(S)
    W = F.shape[1]
    for base, step, pp, nn, fself in ends:
        own = faces[fself]  # (S, 3)
        for k in range(1, FLANK_SCATTER_FACES + 1):
            t = base + step * k
            inw = (t >= 0) & (t < W)
            fk = F[rows, np.clip(t, 0, W - 1)]
            live = ok & inw & (fk >= 0)
            vk = faces[np.maximum(fk, 0)]  # (S, 3)
            new = live[:, None] & ~(vk[:, :, None] == own[:, None, :]).any(axis=2)
            d = np.einsum("skj,sj->sk", v[vk] - pp[:, None, :], nn)
            sq += np.where(new, d * d, 0.0).sum(axis=1)
            cnt += new.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, np.sqrt(sq / np.maximum(cnt, 1)), np.nan)


def _corner_radius(p: _Profile, b, mesh, idx, floor, row_w):
    """The radius of the bands `idx` from the mesh's vertices near the section: the corners
    of the faces the section crosses from one flank face to the other. They lie on the
    surface wherever the rows run (a Delaunay or jittered triangulation included), on a
    flank or on the arc; a vertex u and v inside the two flank planes (whose normals meet
    at cos Theta = c) lies on the circle tangent to both of radius
    R = (u + v + sqrt(2 (1 + c) u v)) / (1 - c) (the larger root: the vertex on the corner's
    side of the centre), and a flank vertex reads more than R (its circle touches the flank
    beyond the tangent line). The vertex read is the one nearest the arc's middle (u, v most
    alike); it must lie in the arc's middle half (MIDDLE_ARC), where no flank vertex can
    pose; and no corner between the circle's tangent lines may lie outside it (_outside: a
    chamfer's flat vertex posing as the arc's middle). The flank planes are the faces either
    side of the band (a tangent cell the band
    left out taken in), one face further out where the crossing there turns under the floor
    (a flank vertex's turn: the face inside it tilts by it). Straight
    along the crease the reading is exact wherever along it the vertex lies; along a crease
    curving at rho, a corner d off the section lies d^2 / (2 rho) off its plane (d is under
    a face: a few hundredths of a row for rho of tens of rows; on a coarse revolve's slivers,
    a third of a row, which _outside allows each corner). NaN where no vertex
    qualifies; also returns the turn between the flank planes, the reading's noise bound
    (mm) and the corners' scatter sigma it is made of: the RMS distance of the corners of the
    FLANK_SCATTER_FACES faces beyond each flank face from that flank's plane (what noise, and
    the flank's own curvature, put the mesh's corners off the planes: both a corner on the arc
    and the planes carry it), times dR/du + dR/dv at the corner read (3.4 at 90 degrees)."""
    v, faces, _ = mesh
    F = p.F[idx]
    wa, wb, ends, c, sgn, ok = _corner_flanks(p, b, mesh, idx, floor, row_w)
    plane = (p.p0[idx], p.axis[idx], p.bend[idx])
    r, theta, uk, wk, ok, out = _middle_corner(v, faces, F, wa, wb, ends, c, sgn, ok, plane)
    sigma = _flank_scatter(v, faces, F, ok, ((wa, -1) + ends[0], (wb, 1) + ends[1]))
    # every corner between the tangent lines lies on the circle read, within what puts the
    # corners off the flank planes (noise: sigma) and, each, its sag along the crease
    ok &= out <= NOISE_TURNS * np.nan_to_num(sigma) + CIRCLE_EPS * r
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(np.maximum((1.0 + c) / 2.0, 0.0))
        du = (1.0 + root * np.sqrt(wk / uk)) / (1.0 - c)
        dv = (1.0 + root * np.sqrt(uk / wk)) / (1.0 - c)
        err = (du + dv) * sigma
    return np.where(ok, r, np.nan), theta, np.where(ok, err, np.nan), np.where(ok, sigma, np.nan)


def _corner_flanks(p: _Profile, b, mesh, idx, floor, row_w):
    """The flank faces either side of the bands `idx` (`_corner_radius`): their positions
    wa, wb in each section's walk, each one's (centroid, normal, face), the cosine c between
    the normals, the side the arc lies on, and which sections have two such faces."""
    v, faces, fn = mesh
    X, F, D = p.X[idx], p.F[idx], b["D"][idx]
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    vc = p.vc[idx]
    live = b["band"][idx] & vc & (D * b["sgn"][idx, None] > 0)
    n = live.sum(axis=1)
    jl = np.clip(np.where(live, J, M).min(axis=1), 0, M - 1)
    jh = np.clip(np.where(live, J, -1).max(axis=1), 0, M - 1)
    fl = floor[idx]
    jl, jh, shared = _band_ends(X, D, vc, live, jl, jh, b["sgn"][idx], fl,
                                GAP_ROWS * row_w[idx])
    # the flank faces: left of the band's first crossing (of the crossing before it where that
    # turns under the floor: a flank vertex's turn, which tilts the face inside it), right of
    # its last
    pl, nx = np.clip(jl - 1, 0, M - 1), np.clip(jh + 1, 0, M - 1)
    out_l = (jl > 0) & vc[rows, pl] & (np.abs(D[rows, pl]) <= fl)
    out_r = (jh < M - 1) & vc[rows, nx] & (np.abs(D[rows, nx]) <= fl)
    first, last = p.first[idx], p.last[idx]
    wa = np.where(out_l, first[rows, pl], first[rows, jl])
    wb = np.where(out_r, last[rows, nx], last[rows, jh]) + 1
    fa, fb = F[rows, wa], F[rows, np.minimum(wb, F.shape[1] - 1)]
    ok = (n >= 2) & ~shared & (fa >= 0) & (fb >= 0) & (wb < F.shape[1])
    fa, fb = np.maximum(fa, 0), np.maximum(fb, 0)
    na, nb = fn[fa], fn[fb]
    pa, pb = v[faces[fa]].mean(axis=1), v[faces[fb]].mean(axis=1)
    c = np.einsum("ij,ij->i", na, nb)
    # the side the arc lies on: the other flank's face seen from each plane (a convex crease:
    # below both, u = -d; a concave one: above both)
    da_b = np.einsum("ij,ij->i", pb - pa, na)
    db_a = np.einsum("ij,ij->i", pa - pb, nb)
    sgn = np.sign(da_b)
    ok &= (sgn != 0) & (np.sign(db_a) == sgn) & (c > -1.0 + 1e-9) & (c < 1.0 - 1e-9)
    return wa, wb, ((pa, na, fa), (pb, nb, fb)), c, sgn, ok


def _middle_corner(v, faces, F, wa, wb, ends, c, sgn, ok, plane):
    """The corner nearest the arc's middle among those of every face from one flank face to
    the other (`_corner_radius`): its radius, the turn, its distances u, w inside the two
    flank planes, which sections read one in the arc's middle half, and how far a corner
    between the tangent lines lies outside the circle beyond its own sag along the crease
    (`plane`: each section's point, normal and the crease's bend, _outside)."""
    (pa, na, _), (pb, nb, _) = ends
    S, rows = len(wa), np.arange(len(wa))
    L = int(np.max(wb - wa + 1, initial=1))
    T = wa[:, None] + np.arange(L)[None, :]
    inside = (T <= wb[:, None]) & ok[:, None]
    ff = F[rows[:, None], np.minimum(T, F.shape[1] - 1)]
    inside &= ff >= 0
    P = v[faces[np.maximum(ff, 0)]]  # (S, L, 3, 3)
    u = sgn[:, None, None] * np.einsum("slkj,sj->slk", P - pa[:, None, None, :], na)
    w = sgn[:, None, None] * np.einsum("slkj,sj->slk", P - pb[:, None, None, :], nb)
    u, w = u.reshape(S, -1), w.reshape(S, -1)
    good = np.repeat(inside, 3, axis=1) & (u > 0) & (w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        bal = np.where(good, np.minimum(u, w) / np.maximum(u, w), -1.0)
    k = np.argmax(bal, axis=1)
    uk, wk = u[rows, k], w[rows, k]
    ok = ok & (bal[rows, k] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (uk + wk + np.sqrt(np.maximum(2.0 * (1.0 + c) * uk * wk, 0.0))) / (1.0 - c)
        theta = np.arccos(np.clip(c, -1.0, 1.0))
        psi = np.arccos(np.clip(1.0 - uk / r, -1.0, 1.0))
        ok &= (psi >= MIDDLE_ARC * theta) & (psi <= (1.0 - MIDDLE_ARC) * theta)
    p0, axis, bend = plane
    d = np.einsum("slkj,sj->slk", P - p0[:, None, None, :], axis).reshape(S, -1)
    sag = 0.5 * bend[:, None] * d * d  # (a corner d along a crease curving at rho: d^2 / 2 rho)
    return r, theta, uk, wk, ok, _outside(u, w, np.repeat(inside, 3, axis=1), r, c, sag)


def _outside(u, w, live, r, c, sag):
    """(S,) how far the corners `live` that lie between the two tangent lines of the circle
    of radius r tangent to both flank planes (u, w up to r (1 - c): the tangent points' own
    distance from the other plane) reach outside it beyond their sag (0 where none does). A
    corner of a fillet lies on its arc; one outside the circle is off any surface that circle
    bounds (a chamfer's chord end on a flank plane short of the tangent point, or its flat
    vertex read as the arc's middle). Along a crease that curves, a corner off the section's
    plane lies off the profile the plane cuts by its sag (a 36-section revolve's rim: corners
    0.8 mm either side of the plane on a 9.3 mm base, 0.035 mm off a 0.1 mm fillet's circle)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        span = (r * (1.0 - c))[:, None]
        du, dw = u - r[:, None], w - r[:, None]
        cc = c[:, None]
        d2 = (du * du + dw * dw - 2.0 * cc * du * dw) / (1.0 - cc * cc)
        out = np.sqrt(np.maximum(d2, 0.0)) - r[:, None] - sag
        use = live & (u <= span) & (w <= span) & np.isfinite(out)
    return np.where(use, out, 0.0).max(axis=1, initial=0.0)


def _vertex_radius(X, turn, band, floor):
    """The radius of a band drawn along its rows from its middle vertex: the crossing where
    half the turn is reached. On such rows the section is a polygon whose vertices lie on the
    surface (on the arc or on a flank); the flanks are the lines through the band's end
    crossings along the section's heading before and after the band, and a circle tangent to
    both through a vertex on the arc is unique (the larger of the two Apollonius circles: the
    vertex on its side toward the corner). The middle vertex is within half a row of the
    arc's middle and so on the arc from 1 row across: exact up to the along-crease sagitta
    and the flank vertex's turn left under the floor. NaN for a band of fewer than three
    crossings or a turn outside (0, pi). `floor`: (S,) each section's turn floor."""
    S, M = turn.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    t = np.nan_to_num(turn)
    live = band & (t > 0)
    n = live.sum(axis=1)
    # the crossing beyond either end of the band is read with it: its turn, under the floor,
    # is a flank vertex's (b^2 / (2 R g)), and leaving it out tilts that flank's line by it
    j_lo = np.clip(np.where(live, J, M).min(axis=1) - 1, 0, M - 1)
    j_hi = np.clip(np.where(live, J, -1).max(axis=1) + 1, 0, M - 1)
    # ... but only a turn under the floor is a flank vertex's: one above it lies past a gap
    # the band did not bridge and is another crease's (a one-row flat between two rims: the
    # far rim's tangent line, 22.5 degrees at the end of a 2.4 mm chord, read with a 0.3 mm
    # rim drawn with two chords made it 1.09 mm). The crossing still ends the flank's chord
    beyond = ((J == j_lo[:, None]) | (J == j_hi[:, None])) & ~live
    t = np.where(beyond & (np.abs(t) > floor[:, None]), 0.0, t)
    a = np.where((J >= j_lo[:, None]) & (J <= j_hi[:, None]), t, 0.0)
    theta = a.sum(axis=1)
    cum = np.cumsum(a, axis=1)  # heading after each crossing (flank A: heading 0)
    dx = np.diff(np.nan_to_num(X), axis=1)
    inside = (J[:, :-1] >= j_lo[:, None]) & (J[:, :-1] < j_hi[:, None])
    step = np.where(inside, dx, 0.0)
    hx = np.cumsum(step * np.cos(cum[:, :-1]), axis=1)
    hy = np.cumsum(step * np.sin(cum[:, :-1]), axis=1)
    Px = np.concatenate([np.zeros((S, 1)), hx], axis=1)  # crossing j, from crossing j_lo
    Py = np.concatenate([np.zeros((S, 1)), hy], axis=1)
    half = 0.5 * theta
    before = cum - a
    mid = np.clip(np.where(live & (before < half[:, None]) & (cum >= half[:, None]), J, M)
                  .min(axis=1), 0, M - 1)
    ok = (n >= 3) & (mid > j_lo) & (mid < j_hi) & (theta > 0) & (theta < np.pi - 1e-6)
    with np.errstate(invalid="ignore", divide="ignore"):
        qx, qy = Px[rows, j_hi], Py[rows, j_hi]
        corner = qx - qy / np.tan(theta)
        bb = -np.tan(half)
        u, py = Px[rows, mid] - corner, Py[rows, mid]
        k = u * bb + py
        disc = k * k - bb * bb * (u * u + py * py)
        r = (k + np.sqrt(np.maximum(disc, 0.0))) / (bb * bb)
    return np.where(ok & (disc >= 0) & (py > 0), r, np.nan)


def _tangent_radius(X, adb, band, theta, floor):
    """The radius of a band drawn along its rows, from where its tangent lines are. On such
    rows the section is a polygon inscribed in the profile: its vertices (the row edges) lie
    on the arc or on a flank, each turns by the angle between its two chords, and a chord
    from the flank's last vertex to the arc's first, g long and reaching b past the tangent
    line, turns b^2 / (2 R g) at that flank vertex: a band's end crossing turning under
    TAIL_SHARE of its neighbour's is that flank vertex (a row's share is at least twice a
    tangent cell's), its neighbour the arc's first vertex, and the arc spans
    R Theta = L + sqrt(2 R g0 t0) + sqrt(2 R g1 t1) (L between the arc's first and last
    vertices, t the end turns; an end with no flank vertex in the band turned under the
    floor, counted as half of it): a quadratic in sqrt(R). Exact up to the chords' sagitta
    (a 2-D sweep of phases, turns of 30-150 degrees, rows 25 % uneven, read at 1.75-3 rows:
    within 0.34 h / Theta), where the quarter points err by up to 0.9 h / Theta at 2 rows.
    NaN for a band of one crossing."""
    S, M = adb.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    live = band & (adb > 0)
    n = live.sum(axis=1)
    first = np.where(live, J, M).min(axis=1)
    last = np.where(live, J, -1).max(axis=1)
    second = np.where(live & (J > first[:, None]), J, M).min(axis=1)
    penult = np.where(live & (J < last[:, None]), J, -1).max(axis=1)
    ok = n >= 2
    first, last = np.clip(first, 0, M - 1), np.clip(last, 0, M - 1)
    second, penult = np.clip(second, 0, M - 1), np.clip(penult, 0, M - 1)
    ends = []
    for e, nb in ((first, second), (last, penult)):
        tail = (n >= 3) & (adb[rows, e] <= TAIL_SHARE * adb[rows, nb])
        ends.append((np.where(tail, nb, e), np.abs(X[rows, nb] - X[rows, e]),
                     np.where(tail, adb[rows, e], 0.5 * floor)))
    (a0, g0, t0), (a1, g1, t1) = ends
    span = X[rows, a1] - X[rows, a0]
    ok &= a0 <= a1
    with np.errstate(invalid="ignore", divide="ignore"):
        B = np.sqrt(2.0 * g0 * t0) + np.sqrt(2.0 * g1 * t1)
        u = (B + np.sqrt(B * B + 4.0 * theta * span)) / (2.0 * theta)
    return np.where(ok & (theta > 0), u * u, np.nan)
