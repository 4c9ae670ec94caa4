"""Step 4 of the crease reading: the band (the run of crossings that turn with the station)
and its turn, read from the profile's rates (_band) or, where that reading is rejected, from its
levels (_band_levels); bevels bridged across flat facet lines (_bridge)."""

from __future__ import annotations

import numpy as np

from .common import (ANGLE_EPS, GAP_ROWS, MIN_EDGE_TURN_RAD, NOISE_SIGMA_PER_MAD, NOISE_TURNS,
                     ROW_ALONG, _masked_median, nanmedian_rows,
                     nanquantile_rows)
from .stations import TIE_REL, _Profile


BAND_FRACTION = 0.3  # a crossing in the band turns >= this share of the station's turn rate
TRANSPARENT_FRACTION = 0.25  # crossings turning less than this share of the station's own
# crossing are transparent (a quad's diagonal, an oblique edge of an irregular band)
REF_CROSSINGS = 8  # the station's reference turn is sought this many crossings either side
BRIDGE_MIN_LINES = 3  # a bevel bridged across flats has at least this many facet lines (two
# lines of equal turn are a plate's rims or a chamfer: creases of their own)
BRIDGE_MAX_SHARE = 0.5  # no line of a bridged bevel turns more than this share of it
TWO_CHORD_SHARE = 0.55  # ... but for three lines whose two flats are chords of one circle
# (TWO_CHORD_RATIO), this share. A fillet of two chords turns at its middle line exactly as
# much as at its two tangent lines together, whatever its chords (a share of 0.5), and a
# section reads it a little either side: on the ring with two-chord fillets drawn in
# Delaunay faces of 0.09 mm, under 0.55 in 95 % of such runs, and 108 of 231 over 0.5: at
# exactly 0.5 those fell out, and the rim read as its 45-degree middle line, 0.07 mm [0, 0.14],
# beside the 0.5 mm fillet it is
TWO_CHORD_RATIO = 1.5  # the two flats are chords of one circle where the radii they give
# (flat / (2 sin t), t the tangent line's turn beside it) agree within this ratio: 1.01 at
# the median and 1.56 at the 99th percentile of those two-chord runs (a flat is read between
# the lines' outermost crossings, short of their middles); three lines of a narrow ring's
# two rims and its wall's facet fold (28, 79 and 45 degrees, flats 1.9 and 1.8 mm) read 1.6
BRIDGE_MAX_LINES = 16  # a bridged bevel has at most this many facet lines either side
BRIDGE_TAPER = 0.75  # a two-chord fillet's end lines turn at most this share of its middle
BRIDGE_MAX_TURN = np.pi  # a bevel between two flanks turns less than a half turn (more is
# a rod's rounded end or a ring's whole section: several edges)
BRIDGE_EVEN = 2.0  # its flats are even: none wider than this many times their median
BRIDGE_SPLITS = 4  # rounds of cutting the run at its wide flats nearest the station
TAIL_ROWS = 1.25  # a band takes in same-way turns this many rows beyond its ends (the tangent
# cell turns at the far side of the first row beyond: one row on an even mesh, and rows are up
# to a quarter uneven; at exactly 1.0 rounding decided whether that crossing was in)
NOISE_DISP_Q = 0.25  # a station's noise: read from this quantile of the displacements of the
# crossings away from the band (robust to up to 3/4 of them being other fillets' rows)
LEVEL_NOISE_Q = 0.25  # a level reading's noise floor: this quantile of the turns away from
NOISE_SIGMA_PER_QUARTILE = 1.0 / 0.3186  # the band (half-normal: q25 = 0.3186 sigma), robust
# to the rows of other fillets the walk crosses on a narrow part (up to 3/4 of what it sees)
FOLD_FRACTION = 0.5  # a fold turns against the band by less than this share of its strongest
LEVEL_QUIET_ROWS = 2.5  # a level reading's band ends where no crossing turns above the noise
# floor for this many of the band's rows (as GAP_ROWS: a quad's diagonal, a row turning little
# where a zig-zag passes its level, lie inside; a flank is at least a face wide and flat)


def _band_levels(p: _Profile, band_mm, hgt, turn_min):
    """The band read from the section's levels, not from its crossings one by one: from the
    station's strongest crossing outwards over every crossing, whichever way it turns, until
    a quiet stretch (no crossing turning more than the station's noise floor) wider than
    LEVEL_QUIET_ROWS of the band's rows: the flanks. A fillet a few rows of long slivers wide
    along a curved crease has faces tilted about the crease by about L^2 kappa / (8 w) one way
    and the other (15 degrees for a 0.5 mm sliver 0.01 mm wide on a 12 mm rim): its crossings
    zig-zag by more than they turn, yet the angle between the flanks, and where the profile
    climbs between them, is exact. The band's net turn gives its sign; its quarter points are
    read on the profile's cumulative turn (_radius, with the signed turns), and where the
    zig-zag makes a level be crossed several times, the first and the last crossing are
    averaged and their spread kept as `zigzag` (an uncertainty of W_mid)."""
    X, D, vc = p.X, p.D, p.vc
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    ad = np.abs(D)
    c0 = p.c0[:, None]
    win = (J >= c0 - REF_CROSSINGS) & (J <= c0 + 1 + REF_CROSSINGS) & \
        (np.abs(X) <= band_mm[:, None])
    cand = np.where(win & vc, ad, -1.0)
    ref = np.argmax(cand, axis=1)
    aref = np.maximum(cand[rows, ref], 0.0)
    noise, spread, small = _level_noise(X, ad, vc, band_mm, turn_min, _body_turn_noise(p))
    act = vc & (ad >= small[:, None]) & (ad > 0)
    row = _masked_median(np.where(np.isfinite(hgt), hgt, np.nan), act & win)
    quiet = LEVEL_QUIET_ROWS * np.where(np.isfinite(row), row, 0.0)
    bad = np.cumsum(~vc, axis=1)
    j_lo, j_hi = _quiet_ends(X, vc, act, ref, quiet, bad)
    ok = (aref > 0) & (j_lo > 0) & (j_hi < M - 1) & (j_lo >= 0)
    out = _signed_band(p, j_lo, j_hi, ok, act, (noise, spread), hgt)
    # and the band lies where the chain's own curvature puts it (the window its reference
    # crossing is sought in, give or take the quiet stretch): a band grown across a coarse
    # rounded form until it reached two flat faces is a form's outline, not this crease
    reach = band_mm + quiet
    out["ok"] &= (X[rows, out["j_lo"]] >= -reach) & (X[rows, out["j_hi"]] <= reach)
    # (no crossing in the window above the noise floor: the noise hid the band from this
    # reading, which had nothing to start from: _band_ramp's case)
    out["hidden"] = ~(act & win).any(axis=1)
    return out


def _band_between(p: _Profile, j_lo, j_hi, band_mm, hgt, turn_min):
    """The band from crossing j_lo to j_hi, read from its levels as _band_levels reads the
    band it grows: a crease whose crossings turn either way (a fold tucked inside it,
    flanks._tucked_fold), its sign the net turn's."""
    ad = np.abs(p.D)
    noise, spread, small = _level_noise(p.X, ad, p.vc, band_mm, turn_min, _body_turn_noise(p))
    act = p.vc & (ad >= small[:, None]) & (ad > 0)
    out = _signed_band(p, j_lo, j_hi, (j_lo >= 0) & (j_hi >= j_lo), act, (noise, spread), hgt)
    out["hidden"] = np.zeros(len(j_lo), bool)
    return out


def _signed_band(p: _Profile, j_lo, j_hi, ok, act, noises, hgt):
    """(_band_levels, _band_between) the band of the active crossings from j_lo to j_hi, its
    sign the net turn's. (The quiet crossings inside are transparent, as in _band: a CAD
    fillet's diagonals between its facet lines must not halve the lines' cells.)"""
    X, D, vc = p.X, p.D, p.vc
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    bad = np.cumsum(~vc, axis=1)
    j_lo, j_hi = np.clip(j_lo, 0, M - 1), np.clip(j_hi, 0, M - 1)
    band = act & (J >= j_lo[:, None]) & (J <= j_hi[:, None]) & ok[:, None]
    ok = ok & vc[rows, j_lo] & vc[rows, j_hi] & (bad[rows, j_hi] == bad[rows, j_lo])
    sgn = np.sign(np.where(band, D, 0.0).sum(axis=1))
    ok &= sgn != 0
    gmin = np.where(np.isfinite(hgt), hgt, np.inf)
    return dict(band=band, gmin=gmin, hgt=hgt, j_lo=j_lo, j_hi=j_hi, ok=ok, sgn=sgn,
                D=D, noise=noises[0], spread=noises[1], signed=True)


def _level_noise(X, ad, vc, band_mm, turn_min, body):
    """(`_band_levels`) the station's noise floor, an interval's noise (spread) and the
    smallest turn that counts as a crossing of the band (small), per section; `body`: the
    body's own noise as a turn (_body_turn_noise), which stands in where the walk saw nothing
    beyond the nominal band."""
    S = X.shape[0]
    # the noise floor from the quietest quarter of the crossings away from the band: on a
    # narrow part the walk crosses other fillets, whose rows would set the median. (Not the
    # crossing reading's displacement floor put back at a width: at the flanks' width it lies
    # under what narrow noisy band rows carry, and three such rows read as a quiet flank inside
    # edges:1085's 0.481 mm rim, a 46-degree razor fragment; at the band rows' width more
    # stations of a scan read as hidden and go to the ramp. This floor counts a clean form's
    # curvature as noise; what keeps a form's facet line from reading as a band here is that
    # the band must hold the crossings' band, _read_profiles)
    away = vc & (np.abs(X) > band_mm[:, None])
    q = np.where(away, ad, np.nan)
    has = away.any(axis=1)
    noise = np.where(has, 0.0, body)
    if has.any():
        noise[has] = nanquantile_rows(q[has], LEVEL_NOISE_Q) * \
            NOISE_SIGMA_PER_QUARTILE
    # (an interval's noise: the larger of that and the turns' own sigma, as _station_noise's)
    turns = np.nan_to_num(NOISE_SIGMA_PER_MAD * _masked_median(ad, away & (ad < turn_min)))
    spread = np.fmax(noise, np.where(has, turns, body))
    small = np.maximum(MIN_EDGE_TURN_RAD, NOISE_TURNS * noise)
    return noise, spread, small


def _prev_marked(mask):
    """(S, M) the nearest marked crossing before each crossing of its section; -1: none."""
    S, M = mask.shape
    prev = np.maximum.accumulate(np.where(mask, np.arange(M)[None, :], -1), axis=1)
    return np.concatenate([np.full((S, 1), -1), prev[:, :-1]], axis=1)


def _marked_around(X, mask):
    """The nearest marked crossing before (-1: none) and after (M: none) each crossing of its
    section, and how far along the section each lies (inf where none)."""
    S, M = X.shape
    rows = np.arange(S)[:, None]
    prev = _prev_marked(mask)
    nxt = np.minimum.accumulate(np.where(mask, np.arange(M)[None, :], M)[:, ::-1], axis=1)[:, ::-1]
    nxt = np.concatenate([nxt[:, 1:], np.full((S, 1), M)], axis=1)
    Xp = np.concatenate([X, np.full((S, 1), np.inf)], axis=1)
    gap_p = X - np.where(prev >= 0, X[rows, np.maximum(prev, 0)], -np.inf)
    return prev, nxt, gap_p, Xp[rows, nxt] - X


def _quiet_ends(X, vc, act, ref, quiet, bad):
    """(`_band_levels`) the band's first and last crossing: the active crossings nearest the
    reference crossing on either side that are followed (preceded) by a quiet stretch wider
    than `quiet` or by a break in the walk (`bad`: invalid crossings counted along it)."""
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    prev_a, next_a, gap_p, gap_n = _marked_around(X, act)
    bp = np.concatenate([bad, bad[:, -1:]], axis=1)
    brk_n = bp[rows[:, None], np.minimum(next_a, M)] - bad > 0
    brk_n |= next_a >= M
    brk_p = bad - np.where(prev_a >= 0, bad[rows[:, None], np.maximum(prev_a, 0)], -1) > 0
    end_r = act & (J >= ref[:, None]) & ((gap_n > quiet[:, None]) | brk_n)
    end_l = act & (J <= ref[:, None]) & ((gap_p > quiet[:, None]) | brk_p)
    j_hi = np.where(end_r, J, M).min(axis=1)
    j_lo = np.where(end_l, J, -1).max(axis=1)
    return j_lo, j_hi


def _band(p: _Profile, band_mm, turn_min):
    """The band around each station: the run of crossings turning the same way as the
    station's strongest crossing, at >= BAND_FRACTION of its rate, bridging coplanar gaps no
    wider than GAP_ROWS of its rows, and wider flats between facet lines that are each too
    weak to be a crease (a CAD fillet of a few chords on a mesh finer than its chords)."""
    X, D, vc = p.X, p.D, p.vc
    S, M = X.shape
    ad = np.abs(D)
    rows, J = np.arange(S), np.arange(M)[None, :]
    c0 = p.c0[:, None]
    win = (J >= c0 - REF_CROSSINGS) & (J <= c0 + 1 + REF_CROSSINGS) & \
        (np.abs(X) <= band_mm[:, None])
    # the strongest crossing in the window; among equally strong ones (a polygonal section's
    # facet lines all turn alike) the one nearest the station: the station's own crease
    cand = np.where(win & vc, ad, -1.0)
    top = cand.max(axis=1)
    tied = (cand >= top[:, None] * (1.0 - TIE_REL) - ANGLE_EPS) & (cand >= 0)
    ref = np.argmin(np.where(tied, np.abs(X), np.inf), axis=1)
    aref = ad[rows, ref]
    sgn = np.sign(D[rows, ref])
    # surface noise (_station_noise): turns within NOISE_TURNS of its floor are noise
    noise, spread = _station_noise(p, band_mm, turn_min)
    small = np.maximum(TRANSPARENT_FRACTION * aref, NOISE_TURNS * noise)
    D = _unfold(D, vc, sgn, np.maximum(FOLD_FRACTION * aref, NOISE_TURNS * noise))
    ad = np.abs(D)
    tc = vc & (ad >= small[:, None]) & (ad > 0)
    _, _, gap_p, gap_n = _marked_around(X, tc)
    hgt = np.fmin(p.row_l, p.row_r)
    hgt = np.where(np.isfinite(hgt), hgt, np.inf)
    gmin = np.fmin(gap_p, gap_n)
    gmin = np.where(np.isfinite(gmin), gmin, hgt)  # a lone turn: over the row beside it
    with np.errstate(invalid="ignore", divide="ignore"):
        kap = np.where(tc, ad / gmin, 0.0)
    kref = kap[rows, ref]
    g_ref = np.fmin(gmin[rows, ref], hgt[rows, ref])
    inb = tc & (kap >= BAND_FRACTION * kref[:, None]) & (np.sign(D) == sgn[:, None])
    link_p = gap_p <= GAP_ROWS * g_ref[:, None]
    link_n = gap_n <= GAP_ROWS * g_ref[:, None]
    right, left = J > ref[:, None], J < ref[:, None]
    block = (tc & right & ~(inb & link_p)) | (tc & left & ~(inb & link_n)) | ~vc
    first_block_r = np.where(block & right, J, M).min(axis=1)
    last_block_l = np.where(block & left, J, -1).max(axis=1)
    band = tc & (J > last_block_l[:, None]) & (J < first_block_r[:, None]) & (kref[:, None] > 0)
    band[rows, ref] &= inb[rows, ref]
    band = _bridge(X, D, vc, tc, link_p, band, ref, sgn, turn_min + ANGLE_EPS)
    band = _tails(X, D, vc, band, hgt, sgn, small, NOISE_TURNS * noise, p.skew)
    D = _absorb_inner(X, D, vc, band, NOISE_TURNS * _crossing_noise(p))
    j_lo = np.where(band, J, M).min(axis=1)
    j_hi = np.where(band, J, -1).max(axis=1)
    ok = (j_hi >= 0) & (j_lo > 0) & (j_hi < M - 1)  # a flank face on either side
    j_lo, j_hi = np.clip(j_lo, 0, M - 1), np.clip(j_hi, 0, M - 1)
    ok &= vc[rows, j_lo] & vc[rows, j_hi]
    return dict(band=band, gmin=gmin, hgt=hgt, j_lo=j_lo, j_hi=j_hi, ok=ok, sgn=sgn, D=D,
                noise=noise, spread=spread)


def _station_noise(p: _Profile, band_mm, turn_min):
    """Each station's turn noise (rad, (S,) each; 0 where no crossing is read), from the
    crossings away from its nominal band that are no crease; (floor, spread).
    `floor`: the noise the band is told from. Vertex noise tilts a face by about its
    vertices' noise over its width across the crease, so a crossing's turn over _row_inv is
    its displacement, the same noise on wide rows and slivers; its sigma is read from their
    quietest quarter (_quiet_sigma: on a narrow part most of them are other fillets' rows,
    which would set a median and cut the band to its strongest crossings) and put back as a
    turn at those crossings' median width: the flanks' noise. It reads noise alone: a clean
    form's crossings turn alike by its curvature, and the quarter reads its flattest part (a
    form is told from an edge by its flanks, step 5).
    `spread`: the noise an interval carries, the larger of the floor and the turns' own sigma
    (NOISE_SIGMA_PER_MAD x their median), which reads the turns as they scatter, their faces'
    widths varying about the median and their tails included; other creases' rows and a
    form's curvature raise it, which only widens an interval (the floor alone read a noisy
    sharp rim's 2-sigma neighbours, taken into its band, 20 % under their spread: 9.9 against
    12.1 degrees, and its interval missed R = 0 by more than the vertex noise)."""
    ad = np.abs(p.D)
    inv = _row_inv(p)
    away = p.vc & (np.abs(p.X) > band_mm[:, None]) & (ad < turn_min)
    fin = away & np.isfinite(inv)
    # (another crease's rows are no noise, _other_creases: the sigma is read without them,
    # where the walk saw anything else beyond the band; it is put back at the width of all
    # the rows it saw there, the band's neighbours as wide as its own on a narrow part)
    rest = fin & ~_other_creases(p.X, p.D, p.vc, band_mm, turn_min)
    read = np.where(rest.any(axis=1)[:, None], rest, fin)
    sig_q = _quiet_sigma(np.where(read, ad / np.where(np.isfinite(inv), inv, 1.0), np.nan))
    inv_a = _masked_median(inv, fin)
    # where the walk saw nothing beyond the nominal band, the body's noise stands in
    body = _body_turn_noise(p)
    floor = np.where(np.isfinite(inv_a), sig_q * inv_a, body)
    turns = np.nan_to_num(NOISE_SIGMA_PER_MAD * _masked_median(ad, away))
    return floor, np.fmax(floor, np.where(away.any(axis=1), turns, body))


def _body_turn_noise(p: _Profile):
    """(S,) the turn sigma the body's own vertex noise (noise.py) gives a walked crossing:
    the median of _crossing_noise over the section's crossings. A station's noise is read
    from its crossings away from its nominal band; where its walk saw none (a wide nominal
    band on a section walked a few mm), nothing read is no evidence of a quiet surface, and
    this stands in (a noisy sliver ring whose crossings scatter 12 degrees read 0 there; the
    noise split its 0.29 mm fillet, and three sections read 0.09 (0.01-0.23) mm: razor
    places at display on a fillet that passes, edges:103020). 0 on a clean body."""
    return np.nan_to_num(_masked_median(_crossing_noise(p), p.vc))


def _other_creases(X, D, vc, band_mm, turn_min):
    """(S, M) the crossings that lie on a crease: within half the station's nominal band
    width (band_mm) either side of them the section turns, net, by at least a crease's
    worth (turn_min). A net turn is the angle between the faces at the window's two ends, so
    vertex noise gives it about one crossing's sigma however long the window is, while a
    crease gives it its whole turn. (On a section across a narrow swept part, other
    fillets' rows made 24 of the 26 crossings away from the band: their quietest quarter
    read 4.2 degrees of noise on a clean mesh, every crossing of the station's own 0.26 mm
    fillet under 10.5 degrees was called noise, and the fillet read as a 0.08 mm fragment:
    edges:68047.)"""
    S, M = X.shape
    C = np.concatenate([np.zeros((S, 1)), np.cumsum(np.where(vc, D, 0.0), axis=1)], axis=1)
    # (each row's positions, offset by the row so that one sorted search serves them all)
    Xf = np.where(np.isfinite(X), X, np.nan)
    lo_x = np.nanmin(Xf) if np.isfinite(Xf).any() else 0.0
    span = (np.nanmax(Xf) - lo_x + 4.0 * float(np.max(band_mm, initial=0.0)) + 1.0) \
        if np.isfinite(Xf).any() else 1.0
    base = (np.arange(S) * span)[:, None]
    key = np.where(np.isfinite(Xf), Xf - lo_x, 0.0)
    key = np.maximum.accumulate(key, axis=1) + base
    half = 0.5 * np.asarray(band_mm, float)[:, None]
    flat = key.ravel()
    i_hi = np.searchsorted(flat, (key + half).ravel(), side="right").reshape(S, M)
    i_lo = np.searchsorted(flat, (key - half).ravel(), side="left").reshape(S, M)
    row0 = (np.arange(S) * M)[:, None]
    i_hi = np.clip(i_hi - row0, 0, M)
    i_lo = np.clip(i_lo - row0, 0, M)
    rows = np.arange(S)[:, None]
    net = C[rows, i_hi] - C[rows, i_lo]
    return vc & (np.abs(net) >= turn_min - ANGLE_EPS)


def _quiet_sigma(q):
    """(S,) per row, the sigma of a half-normal read from its quietest quarter (0: no value):
    the k-th smallest of n values, k = ceil(NOISE_DISP_Q n), over the half-normal's quantile at
    that order statistic's median place (the median of a Beta(k, n - k + 1)), so the reading is
    median-unbiased for any n: the plain 25 % quantile of one to a few values reads up to 2.5
    sigma where it should read one (one value is its own median, not a quartile)."""
    from scipy.special import betaincinv, ndtri
    n = np.isfinite(q).sum(axis=1)
    k = np.maximum(np.ceil(NOISE_DISP_Q * n).astype(np.int64), 1)
    xs = np.sort(np.where(np.isfinite(q), q, np.inf), axis=1)
    xk = xs[np.arange(len(q)), np.minimum(k, q.shape[1]) - 1]
    has = n > 0
    sig = np.zeros(len(q))
    u = betaincinv(k[has], (n - k + 1)[has], 0.5)
    sig[has] = xk[has] / ndtri(0.5 + 0.5 * u)
    return sig


def _row_inv(p: _Profile):
    """(S, M) per crossing, 1/mm: how strongly vertex noise turns it, sqrt(1/l^2 + 1/r^2) for
    the widths l, r of the faces either side across the crease (each face tilts by its
    vertices' noise over its width, independently): a crossing's turn over this is its
    displacement (mm). Each width is the face's own extent across the crease (in its plane),
    not how far it reaches from where this cut passes through it: on isotropic triangles that
    reach depends on the cut (one near a corner reads a short reach under an unchanged tilt).
    Inf or NaN where a face's width is unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(1.0 / p.wid_l ** 2 + 1.0 / p.wid_r ** 2)


def _crossing_noise(p: _Profile):
    """(S, M) per crossing, the sigma of the turn the body's vertex noise gives it (rad): its
    two faces tilt apart, each by the noise times its own tilt factor (stations._tilt); 0
    where either is unknown or the body is clean."""
    n = p.tilt.shape[1]
    tl = np.take_along_axis(p.tilt, np.clip(p.first, 0, n - 1), axis=1)
    tr = np.take_along_axis(p.tilt, np.clip(p.last + 1, 0, n - 1), axis=1)
    return np.nan_to_num(p.noise_mm[:, None] * np.hypot(tl, tr))


def _absorb_inner(X, D, vc, band, noise_turn):
    """Give the turn of each crossing inside a band but not of it, turning within what the
    body's vertex noise gives that crossing (`noise_turn`: a noisy quad's diagonal, a row the
    noise turned back), to the band crossings either side, split by how near it lies to each.
    Noise turns a crossing either way alike; those against the band are folded into it
    (_unfold), so those its way must count too: left out, a noisy 90-degree fillet of 8 grid
    rows read 84 degrees and its radius 9 % high under a vertex noise of 1 % of a row (0.2 %
    of the radius), its sections' intervals missing it in 54 of 197. A transparent crossing
    turning more than its noise (an oblique edge of an irregular band, under
    TRANSPARENT_FRACTION of its strongest) is the surface's, and stays out as before; on a
    clean body nothing moves. (The station's noise floor is no measure here: on a smooth
    form it is the form's own turn per crossing, and the form's turn taken into a band makes
    a subdivided blob's bump read as a bevel.)"""
    S, M = X.shape
    J = np.arange(M)[None, :]
    prev_b = np.maximum.accumulate(np.where(band, J, -1), axis=1)
    next_b = np.minimum.accumulate(np.where(band, J, M)[:, ::-1], axis=1)[:, ::-1]
    inner = vc & ~band & (prev_b >= 0) & (next_b < M) & (D != 0) & \
        (np.abs(D) <= noise_turn)
    if not inner.any():
        return D
    r, j = np.nonzero(inner)
    a, b = prev_b[r, j], next_b[r, j]
    xa, xb = X[r, a], X[r, b]
    span = xb - xa
    with np.errstate(invalid="ignore", divide="ignore"):
        wb = np.where(span > 0, np.clip((X[r, j] - xa) / span, 0.0, 1.0), 0.5)
    D = D.copy()
    np.add.at(D, (r, a), D[r, j] * (1.0 - wb))
    np.add.at(D, (r, b), D[r, j] * wb)
    D[r, j] = 0.0
    return D


def _unfold(D, vc, sgn, limit):
    """A crossing turning against the band by less than `limit` (FOLD_FRACTION of its strongest
    turn, or the noise), between two that turn its way by more, is a fold of an irregular or
    noisy band (its faces zig-zag): its turn is given to the larger neighbour, so that the band
    runs on and keeps its net turn."""
    S, M = D.shape
    s = D * sgn[:, None]
    left = np.full((S, M), -np.inf)
    right = np.full((S, M), -np.inf)
    left[:, 1:] = np.where(vc[:, :-1], s[:, :-1], -np.inf)
    right[:, :-1] = np.where(vc[:, 1:], s[:, 1:], -np.inf)
    fold = vc & (s < 0) & (-s < limit[:, None]) & (left > -s) & (right > -s)
    if not fold.any():
        return D
    r, j = np.nonzero(fold)
    into = np.where(left[r, j] >= right[r, j], j - 1, j + 1)
    D = D.copy()
    np.add.at(D, (r, into), D[r, j])
    D[r, j] = 0.0
    return D


def _tails(X, D, vc, band, hgt, sgn, small, noise_floor, skew):
    """Add to each band the crossings within TAIL_ROWS rows beyond its ends that still turn
    its way: where the mesh's rows cross a fillet's tangent line obliquely, the faces there
    turn only part of a row's share, below the band's rate, yet that turn is part of the
    bevel (without it the turn and the radius both read short). A tail crossing turns at
    least TRANSPARENT_FRACTION of the band's median crossing (surface noise beside a hard
    edge is no part of it), or, beside a band of rows drawn along the crease (every turning
    edge reaching across it less than ROW_ALONG of its row: `skew`), anything above the
    noise floor: there the tangent cell's share is known to be 0 to 1/2 of a row's. Stops at
    a crossing turning the other way by more than `small` or at a break."""
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    has = band.any(axis=1)
    typical = np.full(S, np.inf)
    if has.any():
        typical[has] = nanmedian_rows(np.where(band[has], np.abs(D[has]), np.nan))
    j_lo = np.where(band, J, M).min(axis=1)
    j_hi = np.where(band, J, -1).max(axis=1)
    lo_c, hi_c = np.clip(j_lo, 0, M - 1), np.clip(j_hi, 0, M - 1)
    against = ~vc | ((D * sgn[:, None] < 0) & (np.abs(D) >= small[:, None]))
    reach_hi = X[rows, hi_c] + TAIL_ROWS * np.where(np.isfinite(hgt[rows, hi_c]),
                                                     hgt[rows, hi_c], 0.0)
    reach_lo = X[rows, lo_c] - TAIL_ROWS * np.where(np.isfinite(hgt[rows, lo_c]),
                                                     hgt[rows, lo_c], 0.0)
    stop_hi = np.where(against & (J > hi_c[:, None]), J, M).min(axis=1)
    stop_lo = np.where(against & (J < lo_c[:, None]), J, -1).max(axis=1)
    # (a band of rows drawn along the crease: a tangent cell turns 0 to 1/2 of a row's share,
    # b^2 / (2 h^2) for a tangent line b into its row h, and all of it is the bevel's: any
    # turn above the noise, of an edge along the crease too; a lone crossing, a crease the
    # file draws sharp, has no tangent cells, and on rows across the crease a small turn
    # beside the band is the triangulation's smear as much as the bevel's)
    along = np.where(vc, skew, np.inf) < ROW_ALONG * hgt
    rows_in = (band.sum(axis=1) >= 2) & np.where(band, along, True).all(axis=1)
    least = np.where(rows_in[:, None] & along, np.maximum(MIN_EDGE_TURN_RAD, noise_floor)[:, None],
                     TRANSPARENT_FRACTION * typical[:, None])
    tail = has[:, None] & vc & (D * sgn[:, None] >= least) & (
        ((J > hi_c[:, None]) & (J < stop_hi[:, None]) & (X <= reach_hi[:, None])) |
        ((J < lo_c[:, None]) & (J > stop_lo[:, None]) & (X >= reach_lo[:, None])))
    return band | tail


def _bridge(X, D, vc, tc, link_p, band, ref, sgn, weak_turn):
    """Extend bands across flats between facet lines: a CAD fillet of n chords on a mesh finer
    than its chords turns at n + 1 lines (clusters of turning crossings) with flats of one
    chord between them. A run of same-sign lines around the station's own is one bevel when it
    has at least BRIDGE_MIN_LINES lines, no line turns more than BRIDGE_MAX_SHARE of their
    total (TWO_CHORD_SHARE for a fillet of two chords, _two_chords: its middle line turns
    half of it exactly; a plate's two rims, a chamfer's two lines stay creases), they turn
    less than BRIDGE_MAX_TURN together (a ring's four fillets are not one), and its flats
    are even: the run is cut at the flats nearest the station wider than BRIDGE_EVEN times
    their median (the flank beyond the fillet, the flat between two fillets), and again with
    the median of what is left."""
    S, M = X.shape
    rows = np.arange(S)
    lid, n_l, turn, gap, brk = _facet_lines(X, D, vc, tc, link_p)
    L = np.arange(M)[None, :]
    live = L < n_l[:, None]
    l0 = lid[rows, ref]
    a, b = _even_run(turn, gap, brk, live, l0, n_l, sgn)
    inrun = (L >= a[:, None]) & (L <= b[:, None]) & live
    # at most a half turn: keep the lines nearest the station's own (a faceted rod's whole
    # section is in the walk; its bevel is a half of it, and its flanks go on turning)
    at = np.abs(turn)
    k_max = np.zeros(S, np.int64)
    for k in range(1, BRIDGE_MAX_LINES):
        within = inrun & (np.abs(L - l0[:, None]) <= k)
        k_max = np.where(np.where(within, at, 0.0).sum(axis=1) <= BRIDGE_MAX_TURN, k, k_max)
    inrun &= np.abs(L - l0[:, None]) <= k_max[:, None]
    run = np.where(inrun, at, 0.0)
    total = run.sum(axis=1)
    top = run.max(axis=1)
    ends = np.maximum(run[rows, np.clip(a, 0, M - 1)] * (a <= b),
                      run[rows, np.clip(np.minimum(b, l0 + k_max), 0, M - 1)])
    # every line a facet line (too weak to be a crease: a faceted round form, a CAD fillet of
    # three chords or more), or a fillet of two chords (its tangent lines turn half its middle
    # one), never a polygon of equal creases (a hex nut's edges are its own)
    facets = np.where(inrun, at < weak_turn, True).all(axis=1)
    share = np.where(_two_chords(at, gap, inrun), TWO_CHORD_SHARE, BRIDGE_MAX_SHARE)
    tapered = (top <= share * total) & (ends <= BRIDGE_TAPER * top)
    use = (inrun.sum(axis=1) >= BRIDGE_MIN_LINES) & (facets | tapered) & \
        (total <= BRIDGE_MAX_TURN)
    line_in = np.zeros((S, M + 1), bool)
    line_in[:, :M] = inrun & use[:, None]
    ext = tc & line_in[rows[:, None], np.where(tc, lid, M)]
    return band | ext


def _two_chords(at, gap, inrun):
    """(_bridge) per section, whether its run is three lines whose two flats are chords of one
    circle: the radius each flat gives with the tangent line beside it, flat / (2 sin t)
    (a chord of angle 2 t), within TWO_CHORD_RATIO of the other's."""
    S, M = at.shape
    if M < 3:
        return np.zeros(S, bool)
    rows = np.arange(S)
    first = np.clip(np.where(inrun, np.arange(M)[None, :], M).min(axis=1), 0, M - 3)
    t1, t3 = at[rows, first], at[rows, first + 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        r1 = gap[rows, first] / (2.0 * np.sin(np.minimum(t1, 0.5 * np.pi)))
        r2 = gap[rows, first + 1] / (2.0 * np.sin(np.minimum(t3, 0.5 * np.pi)))
        agree = np.fmax(r1, r2) <= TWO_CHORD_RATIO * np.fmin(r1, r2)
    return (inrun.sum(axis=1) == 3) & agree & (np.fmin(r1, r2) > 0)


def _facet_lines(X, D, vc, tc, link_p):
    """The section's lines: runs of turning crossings linked by the row rule, with one sign.
    Per crossing its line (lid); per section the number of lines; per line its turn, the flat
    after it (to the next line), and whether an invalid crossing breaks the section before it."""
    S, M = X.shape
    rows = np.arange(S)
    prev_t = _prev_marked(tc)
    same = np.sign(D) == np.sign(D[rows[:, None], np.maximum(prev_t, 0)])
    bad = np.cumsum(~vc, axis=1)  # invalid crossings so far (a break in the section)
    unbroken = bad == bad[rows[:, None], np.maximum(prev_t, 0)]
    start = tc & ~((prev_t >= 0) & link_p & same & unbroken)
    lid = np.cumsum(start, axis=1) - 1
    flat = (rows[:, None] * M + np.maximum(lid, 0))[tc]

    def per_line(x, how=np.add):
        out = np.zeros(S * M) if how is np.add else np.full(S * M, np.inf if how is np.minimum
                                                             else -np.inf)
        how.at(out, flat, np.asarray(x, float)[tc])
        return out.reshape(S, M)

    x_lo, x_hi = per_line(X, np.minimum), per_line(X, np.maximum)
    b_lo, b_hi = per_line(bad, np.minimum), per_line(bad, np.maximum)
    brk = np.zeros((S, M), bool)  # an invalid crossing between line k - 1 and line k
    brk[:, 1:] = b_lo[:, 1:] != b_hi[:, :-1]
    gap = np.full((S, M), np.nan)
    gap[:, :-1] = x_lo[:, 1:] - x_hi[:, :-1]  # the flat after line k
    return lid, lid[:, -1] + 1, per_line(D), gap, brk


def _even_run(turn, gap, brk, live, l0, n_l, sgn):
    """The run of lines [a, b] around the station's own line l0: lines turning the band's way
    with no break between, cut up to BRIDGE_SPLITS times at the flats nearest the station
    wider than BRIDGE_EVEN times the median flat of what is left."""
    M = turn.shape[1]
    L = np.arange(M)[None, :]
    good = live & (np.sign(turn) == sgn[:, None])
    before, after = L < l0[:, None], L > l0[:, None]
    a = np.maximum(np.where(~good & before, L + 1, 0).max(axis=1),
                   np.where(brk & (before | (L == l0[:, None])), L, 0).max(axis=1))
    b = np.minimum(np.where((~good | brk) & after, L - 1, M).min(axis=1), n_l - 1)
    for _ in range(BRIDGE_SPLITS):
        inrun = (L >= a[:, None]) & (L < b[:, None])
        has = inrun.any(axis=1)
        if not has.any():
            break
        g = np.where(inrun, gap, np.nan)
        med = nanmedian_rows(np.where(has[:, None], g, 0.0))
        wide = inrun & (gap > BRIDGE_EVEN * med[:, None])
        a2 = np.maximum(a, np.where(wide & (L < l0[:, None]), L + 1, 0).max(axis=1))
        b2 = np.minimum(b, np.where(wide & (L >= l0[:, None]), L, M).min(axis=1))
        if np.array_equal(a2, a) and np.array_equal(b2, b):
            break
        a, b = a2, b2
    return a, b


RAMP_MIN_FLANK = 1  # a ramp's level on either side rests on at least this many whole faces
# a ramp's ends are known only as well as its residual tells them apart: pairs of ends whose
# residual exceeds the least by less than this many face variances are not distinguishable
# from the best at 95 % confidence (the 95 % quantile of chi-square with 2 degrees of freedom:
# the two ends are the parameters the range is taken over), and the band's width is any of theirs
RAMP_ENDS_CHI2 = 5.991


def _band_ramp(p: _Profile, band_mm, hgt):
    """The band read from the faces' levels by one least-squares fit, where neither the
    crossings (_band) nor the level reading (_band_levels) find it: under noise a few rows of
    slivers turn each crossing by more than a row's share of the fillet (a 0.9 mm fillet of
    five 0.28 mm rows turns 18 degrees a row; vertex noise of 7 % of a row tilts each face by
    about 7 degrees, each crossing by 10), so no crossing stands above the noise floor and the
    level reading has nothing to start from. Each face's level (the section's cumulative turn
    over it) is the surface's plus noise independent from face to face: the profile is a
    ramp, flat at phi_L up to the band's first crossing, rising evenly to its last, flat at
    phi_R beyond. Over the faces reaching into the station's nominal window (|x| <= band_mm:
    where the chain's curvature puts its band), every pair of crossings (i, j) in the window is
    tried as the band's ends, phi_L and phi_R solved by least squares (a 2 x 2 system), and the
    pair leaving the least squared residual is the band (the maximum-likelihood ramp under
    Gaussian noise of equal spread per face). Its sign is that of phi_R - phi_L; the turns
    inside are read signed, as the level reading's are (_radius: quarter points on the
    cumulative turn, their zig-zag spread an uncertainty). The flanks are then judged as for
    every reading (_reading): a form's section fitted with a ramp leaves its flanks turning."""
    X, D, vc = p.X, p.D, p.vc
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    W = np.asarray(band_mm, float)[:, None]
    run = np.cumsum(~vc, axis=1)
    r0 = run[rows, np.clip(p.c0, 0, M - 1)][:, None]
    lev = np.cumsum(np.where(vc, D, 0.0), axis=1)  # the level of the face after crossing k
    # samples: the face between crossings k and k + 1, both valid, on the station's run of
    # the walk, reaching into the window
    u = 0.5 * (X[:, :-1] + X[:, 1:])
    samp = vc[:, :-1] & vc[:, 1:] & (run[:, :-1] == r0) & (X[:, :-1] < W) & (X[:, 1:] > -W)
    cand = vc & (run == r0) & (np.abs(X) <= W)
    ns, nc = samp.sum(axis=1), cand.sum(axis=1)
    Cs, Cc = int(ns.max(initial=0)), int(nc.max(initial=0))
    out = dict(band=np.zeros((S, M), bool), gmin=np.where(np.isfinite(hgt), hgt, np.inf),
               hgt=hgt, j_lo=np.zeros(S, int), j_hi=np.zeros(S, int), ok=np.zeros(S, bool),
               sgn=np.zeros(S), D=D, noise=np.zeros(S), signed=True)
    if Cs < 2 * RAMP_MIN_FLANK or Cc == 0:
        return out
    os_ = np.argsort(~samp, axis=1, kind="stable")[:, :Cs]
    us = np.take_along_axis(u, os_, axis=1)
    ls = np.take_along_axis(lev[:, :-1], os_, axis=1)
    ms = (np.arange(Cs)[None, :] < ns[:, None]).astype(float)
    us, ls = np.where(ms > 0, us, 0.0), np.where(ms > 0, ls, 0.0)
    oc = np.argsort(~cand, axis=1, kind="stable")[:, :Cc]
    xc = np.take_along_axis(X, oc, axis=1)
    mc = np.arange(Cc)[None, :] < nc[:, None]
    best, bi, bj, bL, bR, w_lo, w_hi = _ramp_fit(us, ls, ms, xc, mc)
    found = np.isfinite(best)
    j_lo = oc[rows, bi]
    j_hi = oc[rows, bj]
    sgn = np.where(found, np.sign(bR - bL), 0.0)
    ok = found & (sgn != 0) & (j_lo > 0) & (j_hi < M - 1)
    band = vc & (J >= j_lo[:, None]) & (J <= j_hi[:, None]) & ok[:, None]
    # the faces' scatter about the ramp: sigma per face; a crossing's turn is the difference
    # of two faces' levels (sqrt 2 of it)
    with np.errstate(invalid="ignore", divide="ignore"):
        sig = np.sqrt(np.where(found, best, 0.0) / np.maximum(ns - 4, 1))
    # the band's width as the residual knows it: the range over the pairs of ends within
    # RAMP_ENDS_CHI2 face variances of the best, less the best's own (_reading widens the
    # radius by it over the turn: R = 2 W_mid / Theta, and a ramp's W_mid is half its width)
    w_b = np.where(found, xc[rows, bj] - xc[rows, bi], 0.0)
    out.update(band=band, j_lo=np.where(ok, j_lo, 0), j_hi=np.where(ok, j_hi, 0), ok=ok,
               sgn=sgn, noise=np.sqrt(2.0) * sig,
               span=(np.where(ok, w_lo - w_b, 0.0), np.where(ok, w_hi - w_b, 0.0)))
    return out


def _ramp_fit(us, ls, ms, xc, mc):
    """Per station: the least squared residual of a ramp through the face levels ls (at us,
    ascending; weights ms) over every pair of ends (i <= j) among the crossings xc (valid mc),
    the pair (indices into xc) and its two levels (_band_ramp), and the least and greatest
    width X_j - X_i over the pairs whose residual is within RAMP_ENDS_CHI2 face variances of
    the least (the variance: the least residual over the faces less the 4 parameters). The faces left of X_i sit at
    phi_L, right of X_j at phi_R, between at t = (u - X_i) / (X_j - X_i) of the way: every sum
    of the 2 x 2 system is a difference of running sums over the faces (moments of u and of
    the levels), so a pair costs a few operations whatever the number of faces. Stations are
    taken fullest window first, so that pass i reads only the stations holding an i-th
    crossing and only the ends j >= i (a prefix of rows and a suffix of columns: the pairs
    outside it are not pairs, and the passes cost half the square or less)."""
    S, Cc = xc.shape
    nc = mc.sum(axis=1)
    perm = np.argsort(-nc, kind="stable")
    us, ls, ms, xc, mc = us[perm], ls[perm], ms[perm], xc[perm], mc[perm]
    held = (nc[perm][None, :] > np.arange(Cc)[:, None]).sum(axis=1)  # stations with crossing i
    z = np.zeros((S, 1))
    cum = {k: np.concatenate([z, np.cumsum(ms * x, axis=1)], axis=1)
           for k, x in (("n", 1.0), ("u", us), ("uu", us * us), ("l", ls), ("lu", ls * us),
                        ("ll", ls * ls))}
    # faces left of each crossing (us ascending; padding weighs nothing)
    k = (np.where(ms[:, None, :] > 0, us[:, None, :], np.inf) < xc[:, :, None]).sum(-1)
    tot = {name: c[:, -1:] for name, c in cum.items()}
    # the running sums at every crossing, and the faces right of it, do not depend on the
    # band's first end: read once, not once a pass
    atk = {name: np.take_along_axis(cum[name], k, axis=1) for name in cum}
    right = {name: tot[name] - atk[name] for name in ("n", "l")}
    best = np.full(S, np.inf)
    bi, bj = np.zeros(S, int), np.zeros(S, int)
    bL, bR = np.zeros(S), np.zeros(S)
    # each pass's residuals (its n stations, ends j >= i): the triangle of pairs only, for the
    # widths within RAMP_ENDS_CHI2 of the best (an (S, Cc, Cc) array of them was most of the
    # time and memory on a noisy scan: 1300 stations x 120 crossings, 150 MB a batch)
    ss_pass = []
    for i in range(Cc):  # (the window's crossings: a bounded handful of passes)
        n = int(held[i])
        if n == 0:
            break
        r = np.arange(n)
        a = xc[:n, i:i + 1]
        kl = k[:n, i:i + 1]
        left = {name: np.take_along_axis(cum[name][:n], kl, axis=1)
                for name in ("n", "u", "l", "lu", "uu")}
        inner = {name: atk[name][:n, i:] - left[name] for name in left}  # faces i..j
        rn, rl = right["n"][:n, i:], right["l"][:n, i:]
        d = xc[:n, i:] - a
        with np.errstate(invalid="ignore", divide="ignore"):
            st_ = np.where(d > 0, (inner["u"] - a * inner["n"]) / d, 0.0)  # sum of t
            st2 = np.where(d > 0, (inner["uu"] - 2 * a * inner["u"] + a * a * inner["n"]) /
                           (d * d), 0.0)
            slt = np.where(d > 0, (inner["lu"] - a * inner["l"]) / d, 0.0)
        a11 = left["n"] + inner["n"] - 2 * st_ + st2
        a12 = st_ - st2
        a22 = rn + st2
        b1 = left["l"] + inner["l"] - slt
        b2 = rl + slt
        det = a11 * a22 - a12 * a12
        with np.errstate(invalid="ignore", divide="ignore"):
            fL = (a22 * b1 - a12 * b2) / det
            fR = (a11 * b2 - a12 * b1) / det
            ss = tot["ll"][:n] - fL * b1 - fR * b2
        good = mc[:n, i:] & (left["n"] >= RAMP_MIN_FLANK) & (rn >= RAMP_MIN_FLANK) & \
            (det > 0) & np.isfinite(ss)
        ss = np.where(good, np.maximum(ss, 0.0), np.inf)
        ss_pass.append(ss)
        j = np.argmin(ss, axis=1)
        sj = ss[r, j]
        better = sj < best[:n]
        best[:n] = np.where(better, sj, best[:n])
        bi[:n] = np.where(better, i, bi[:n])
        bj[:n] = np.where(better, i + j, bj[:n])
        bL[:n] = np.where(better, fL[r, j], bL[:n])
        bR[:n] = np.where(better, fR[r, j], bR[:n])
    var = best / np.maximum(ms.sum(axis=1) - 4, 1)
    limit = best + RAMP_ENDS_CHI2 * var
    w_lo, w_hi = np.full(S, np.inf), np.full(S, -np.inf)
    for i, ss in enumerate(ss_pass):
        n = len(ss)
        near = np.isfinite(ss) & (ss <= limit[:n, None])
        w = xc[:n, i:] - xc[:n, i:i + 1]  # X_j - X_i
        w_lo[:n] = np.fmin(w_lo[:n], np.where(near, w, np.inf).min(axis=1))
        w_hi[:n] = np.fmax(w_hi[:n], np.where(near, w, -np.inf).max(axis=1))
    back = np.argsort(perm)
    return tuple(x[back] for x in (best, bi, bj, bL, bR, w_lo, w_hi))
