"""Step 5 of the crease reading: an edge, not a form. Beyond each side of the band the section
reads its flank; a flank that turns as much as the band within a band width is a form (a limb,
a ripple, a faceted rod), a flank ending at the next crease within a thin part is a tip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import (FLANK_RATIO, MEDIAN_SE, MIN_EDGE_TURN_RAD, NOISE_SIGMA_PER_MAD, NOISE_TURNS,
                     _masked_median)
from .stations import _Profile


FLANK_SCATTER = 2.0  # a flank's median scatter about its level counts this many times
# against FLANK_RATIO: a scatter of a tenth of the turn is a flank as rough as the band is
# sharp (a noisy fan of slivers at a sphere's pole), not a face
MAX_BEVEL_TURN = np.radians(170.0)  # a band turning more is the end of a rod or the rim of a
# sheet (its flanks face away from each other): a thin part, not an edge between faces
FLANK_REACH_ROWS = 0.75  # the flank is read at least this many of its own faces wide (one
# face is always flat; the next face's turn is what shows a sampled curve)
THIN_EYES = 3.0  # a flat between two creases that turn a half turn together is a thin part's
# tip (a rod's end, a sheet's rim) unless it is this many resolvable sizes wide: a face the
# eye sees (a 12 x 6 mm box side is 40 of them; a 0.3 mm spear's end is 2)
SLOPE_SPREAD = 1e-6  # a flank's samples spread along the section by less than this share of
# its reach are one place: no slope can be read from them (rounding residues are ~1e-16)
TURN_BACK_WIDTHS = 2.0  # a flank's turn back is read this many reaches (band widths) out: a
# crest band's inflection lies within one width of its end (a sine cut at BAND_FRACTION of its
# peak curvature: 0.12 widths; level readings up to 0.65), and the turn back reaches
# FLANK_RATIO of the crest's turn 0.35 widths past it
TURN_BACK_RATIO = 0.1  # a flank turning back this share of the band's turn (within
# TURN_BACK_WIDTHS) is a wave's crest, half the slope's FLANK_RATIO: a bevel's flanks never turn
# back (the parabola's significance test leaves noise: over 34 000 sections across the truth
# suite's edges, 0.0 % of clean and 0.6 % of noisy ones turn back a tenth), while a crest with
# troughs wider than itself turns back less than a sine's within the two widths (a ring swept
# along a six-lobed path: crests of R 2.4 mm turning 41 degrees turn back 0.09-0.19 of it)
FORM_FLANK_RADII = 3.0  # ... and out to this many radii (the band's width over its turn):
# an edge is two faces meeting at a rounding, which needs flat flanks wide beside it; a wall
# that bends and turns back within three radii is a rounded form (the truth suite's
# FORM_FLANK, its definition of an edge, not a tuned value). A lobed sweep's wall bending 42
# degrees at R 5.6 mm turns back too little within two band widths to show: read "too soft"
# at 1:6 where no edge is declared (edges:95012)
PARABOLA_MIN_FACES = 6  # a flank's parabola is judged on six faces or more: three fit it
# exactly (no scatter left to weigh its curvature against); six leave three degrees of freedom
PARABOLA_Z = 2.0  # a flank's curvature counts when its fitted term is this many standard
# errors from zero (two: a noisy straight flank reads curved 1 time in 20)
FORM_ROWS = 2.0  # a reading over fewer rows is read to within its row, [0, 2h / Theta] for one
# row, which holds only if the turn happened within the band (_form_allowed); the same two
# rows as chains.MIN_ROWS_RESOLVED, under which a radius is resolution-limited
SLOPE_Z = 2.0  # a flank's straight-line slope counts when it is this many standard errors from
# zero (its faces' scatter about the line, sandwich covariance, three faces or more): the same
# two as PARABOLA_Z. A flank read over three or four noisy faces (slivers 0.06-0.1 mm across
# tilting ~12 degrees each under noise of 14 % of their width) reads a slope of one standard
# error by chance, 0.2-0.4 of a 90-degree crease over the eye's reach: a form that is not there
KINK_SHARE = 0.5  # a crossing on the flank turning this share of the band's turn at once (and
# turn_min, and NOISE_TURNS noise sigmas) is a crease, not scatter: a one-chord fillet's own two
# facet lines turn half of it each; the other rim of a one-row wall turns all of it
SLOPE_MIN_FACES = 3  # two faces fit any line exactly: no scatter to weigh their slope against
MOMENT_NOISE_ROWS = 0.5  # a level reading whose band's faces the noise tilts by this share of
# one row's turn (sigma: noise x their median tilt factor) or more is read from its turn's
# moments even where their width exceeds the band's extent: a simulated arc of 3-10 rows under
# per-face noise (bench/edges_level_radius.py, 4000 draws each) reads within 3 % at the median
# both ways up to 0.3 of a row; at 0.5 the quarter points of 3 rows read 0.90 (p10 0.55), the
# moments 0.96; at 1.0, 0.63 against 1.03
QUARTER_TURN = 0.25  # a face the noise tilts by this share of the band's turn passes the
# quarter points (where the faces' angles pass 1/4 and 3/4 of the turn) anywhere in the band:
# the reading is a noise fold's (_quarters_lost, _hidden_run)
PARABOLA_COND = 1e-9  # a parabola fit whose normal equations are this near singular (faces
# at two positions only) reads no curvature: rounding, not the surface


def _reading(p: _Profile, b, out, eye, turn_min, zigzag=None):
    """One reading of every station from its band `b` and radius `out`: whether it is good,
    its turn (the flanks' level difference), radius, resolution, flank ratio, and the faces
    inside its band. `zigzag`: the spread of the band's quarter points (level reading), a
    further uncertainty of the radius."""
    b["cell_lo"], b["cell_hi"] = out["cell_lo"], out["cell_hi"]
    fl = _flanks(p, b, out["width"], out["theta"], eye, turn_min)
    # the turn is the flanks' level difference: what the band turned, tails and noise
    # included; the radius keeps the band's own turn (its W_mid is of that turn)
    turn = np.where(np.isfinite(fl["turn"]), fl["turn"], out["theta"])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = fl["flank"] / turn
    ok = b["ok"] & np.isfinite(out["radius"]) & (out["theta"] > 0) & (turn > 0) & \
        np.isfinite(out["res"]) & (out["res"] > 0) & (turn <= MAX_BEVEL_TURN)
    # a flank must have been seen as far as it is judged, unless it already turned away
    ok &= fl["seen"] & ~fl["narrow"]
    # and the band must be the station's own (within a row of it), not a crease nearby
    rows = np.arange(len(ok))
    j_lo, j_hi, hgt = b["j_lo"], b["j_hi"], b["hgt"]
    tol = np.fmin(np.fmax(hgt[rows, j_lo], hgt[rows, j_hi]), out["width"])
    with np.errstate(invalid="ignore"):
        own = (p.X[rows, j_lo] - out["cell_lo"] - tol <= 0.0) & \
            (p.X[rows, j_hi] + out["cell_hi"] + tol >= 0.0)
    # a section that read a good edge, but another crease's (its station lies on a flank face
    # a row or more off the crease): no evidence either way about its own chain
    elsewhere = ok & ~own & (ratio <= FLANK_RATIO)
    tucked = _tucked_fold(p, b, out["theta"], out["res"], turn_min)
    ok &= own & (tucked[:, 0] < 0)
    # the faces inside each good band (between its first and last walked crossing)
    f_lo = p.first[rows, b["j_lo"]] + 1
    f_hi = p.last[rows, b["j_hi"]]
    T = np.arange(p.F.shape[1])[None, :]
    inside = ok[:, None] & (T >= f_lo[:, None]) & (T <= f_hi[:, None]) & (p.F >= 0)
    si, ti = np.nonzero(inside)
    # (a ramp's band is its least-squares ends', read as they are: not its turn's moments)
    tilt = _band_tilt(p, inside)
    out, moment, both = (_moment_reading(p, out, fl, turn, tilt) if "span" not in b
                         else (out, np.zeros(len(ok), bool), np.full(len(ok), np.nan)))
    # surface noise moves each quarter point by about its angle noise over the turn rate:
    # dR = 2 sqrt(2) sigma_phi R / Theta, with sigma_phi = noise / sqrt(2) per face
    with np.errstate(invalid="ignore", divide="ignore"):
        noise_r = 2.0 * b.get("spread", b["noise"]) * out["radius"] / out["theta"]
        if zigzag is not None:  # R = 2 W_mid / Theta, and W_mid is known to within half the
            noise_r = noise_r + 2.0 * zigzag / out["theta"]  # spread of each quarter point
        noise_r = np.where(moment, out["noise_m"], noise_r)
        # a noisy band read from the mesh's corners: their scatter about the flank planes
        noise_r = noise_r + out.get("noise_c", 0.0)
    r_lo, r_hi, formed, split = _range(p, b, out, fl, turn, tilt, ok, both, turn_min)
    cut = _band_at_walk_end(p, b)
    return dict(ok=ok, theta=turn, convex=b["sgn"] > 0, radius=out["radius"], noise_r=noise_r,
                r_lo=r_lo, r_hi=r_hi, ramp=np.zeros(len(ok), bool) | ("span" in b),
                formed=formed & ok, split=split & ok,
                res=out["res"], skew=out["skew"], share=out["share"], ratio=ratio,
                extent=fl["extent"],
                centre=out["centre"],
                width=out["width"], band_faces=(si, p.F[si, ti]),
                unseen=~fl["seen"] & b["ok"], cut=cut,
                # (a station already a form stays one however far it is walked: not again)
                form_walk=np.where(b["ok"] & ~(ratio > FLANK_RATIO), fl["form_walk"], 0.0),
                elsewhere=elsewhere, turn_sd=fl["turn_sd"], tucked=tucked)


def _band_at_walk_end(p: _Profile, b) -> np.ndarray:
    """(S, 2) per station: whether its band runs to the first (left) or last (right) crossing
    its walk made: no flank face beyond it there, so no reading (`b["ok"]` wants one on
    either side), however wide the band may be. A fillet of 48 chords, crossed twice a row,
    has more crossings than a first walk takes: its middle stations read 58 of its 90 degrees
    and were never walked again (sections._walk_and_read walks a station again where the band
    reached the end of a walk its crossing budget stopped)."""
    M = p.X.shape[1]
    some = b["band"].any(axis=1) & p.vc.any(axis=1)
    first = np.argmax(p.vc, axis=1)
    last = M - 1 - np.argmax(p.vc[:, ::-1], axis=1)
    return np.stack([some & (b["j_lo"] <= first), some & (b["j_hi"] >= last)], axis=1)


@dataclass(frozen=True)
class _FlankGrid:
    """A profile's samples for reading its flanks: sample k is the face between crossings
    k - 1 and k (both valid), at its middle u, its normal angle phi, its length ell."""
    X: np.ndarray
    vc: np.ndarray
    D: np.ndarray
    phi: np.ndarray
    both: np.ndarray
    u: np.ndarray
    ell: np.ndarray
    K: np.ndarray


def _range(p: _Profile, b, out, fl, turn, tilt, ok, both, turn_min):
    """(r_lo, r_hi, formed, split): the range a reading keeps of its own beyond its noise term
    (_reading), from each cause in turn: a ramp's ends (_band_ramp's `span`), a rounded form
    the flanks cannot exclude (_form_allowed), a turn the noise may hide around the band
    (_hidden_run), a one-chord band (_one_chord), and the quarter points' reading beside its
    moments' where both are the noise's (`both`, _moment_reading)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        # a ramp's ends are uncertain by the residual's own measure (_band_ramp: `span`, the
        # range of widths it cannot tell from its best, less the best's); a ramp's W_mid is
        # half its width, so R moves by the width's change over the turn
        lo_w, hi_w = b.get("span", (0.0, 0.0))
        r_lo = np.maximum(out["radius"] + lo_w / out["theta"], 0.0)
        r_hi = out["radius"] + hi_w / out["theta"]
        formed = _form_allowed(p, out, fl, turn, tilt)
        r_hi = np.where(formed, np.fmax(r_hi, fl["span"] / turn), r_hi)
        # where the noise tilts the band's faces a quarter of its turn, the turn may lie
        # anywhere over the run of such faces around the band (_hidden_run)
        hidden = _hidden_run(p, b, ok, out["theta"]) / turn
        formed |= hidden > r_hi
        r_hi = np.fmax(r_hi, hidden)
        chord = _one_chord(p, b, out["theta"], turn_min)
        formed |= chord > r_hi
        r_hi = np.fmax(r_hi, chord)
        split = np.isfinite(both)
        r_lo = np.where(split, np.fmin(r_lo, both), r_lo)
        r_hi = np.where(split, np.fmax(r_hi, both), r_hi)
    return r_lo, r_hi, formed, split


def _tucked_fold(p: _Profile, b, theta, res, turn_min) -> np.ndarray:
    """(S, 2) per station whose band is a lone crossing tucked inside a crease of the other
    sign, not an edge of its own: that crease's end crossings (-1 elsewhere), for the section
    to be read again from them (sections._read_tucked). Its steps, on both sides:
    1. within three radii (FORM_FLANK_RADII) of the one-row reading's upper end 2 res / Theta,
       the next crease turns against it, above the turn the body's noise gives that crossing
       (NOISE_TURNS sigmas of band._crossing_noise, its two faces' tilt under the noise: on a
       noisy body crossings turn back and forth, and a crease between two of its folds is
       tucked into nothing; a noisy sweep lost three razor rims, edges:40001);
    2. beyond that crease lies a flank (_flank_beyond): walked as far again, with no crease
       turning the band's way. Where the pattern repeats instead, the band is a knurl's ridge
       or groove, an edge between edges;
    3. the two turn back more than the band turns by a crease's worth (turn_min), so the
       three together are a crease the other way. A V-groove's lips turn back as much as its
       bottom turns, and its bottom stays an edge.
    An irregular mesh drawing a fillet about one of its faces wide tucks a face in: a 0.6 mm
    fillet's faces crossed at +84, -64 and +48 degrees within 0.9 mm, and the -64-degree fold
    read as a concave razor edge, 0.19 (0-0.37) mm (edges:98039)."""
    from .band import _crossing_noise

    X, D, vc = p.X, b["D"], p.vc
    lone = b["ok"] & (b["band"].sum(axis=1) == 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        reach = FORM_FLANK_RADII * 2.0 * res / theta
    noise = _crossing_noise(p)
    rows = np.arange(len(X))
    back = np.zeros(len(X))
    ends = []
    for right in (False, True):
        c, d, j = _next_crease(X, D, vc, b["j_hi"] if right else b["j_lo"], right, turn_min,
                               at=True)
        t = -d * b["sgn"]  # its turn against the band's
        least = np.fmax(turn_min, NOISE_TURNS * noise[rows, j])
        lone &= (t >= least) & (c <= reach)
        lone &= _flank_beyond(X, D, vc, j, right, b["sgn"], least, reach, turn_min)
        back += np.where(t > 0, t, 0.0)
        ends.append(j)
    lone &= back >= theta + turn_min
    return np.where(lone[:, None], np.stack(ends, -1), -1)


def _flank_beyond(X, D, vc, j, right, sgn, least, reach, turn_min) -> np.ndarray:
    """Per row: whether the walk goes on `reach` beyond crossing j (the crease beside a band)
    and meets, within that reach, no crease turning the band's way (sign sgn) by `least`: a
    flank, not the pattern repeating. A walk that ends sooner shows neither: on a knurl of
    0.036 mm faces the walk ended 0.18 mm past the groove, short of the next ridge 0.25 mm
    on, and half the ridges and grooves were lost as tucked folds."""
    rows = np.arange(len(X))
    c2, d2 = _next_crease(X, D, vc, j, right, turn_min)
    again = (d2 * sgn >= least) & (c2 <= reach)
    J = np.arange(X.shape[1])[None, :]
    past = vc & np.isfinite(X) & ((J > j[:, None]) if right else (J < j[:, None]))
    walked = np.where(past, np.abs(X - X[rows, j][:, None]), 0.0).max(axis=1)
    return ~again & (walked >= reach)


def _one_chord(p: _Profile, b, theta, turn_min) -> np.ndarray:
    """Per station: the radius of the one bevel a lone crossing and the next crease beyond the
    face beside it may be (mm; 0 where none). A crease one crossing wide is R in [0, 2h / Theta]
    with h the finer face beside it, which holds where the faces beyond turn no further; where
    the face on one side ends at a crossing turning the same way by a crease's worth, the two
    and the face between them are also a fillet drawn with one chord c (a revolve or CAD
    export of one segment across): R = c / (2 sin((Theta_1 + Theta_2) / 2)) (edges:39017:
    0.6 mm fillets drawn as 0.94 mm chords between rows of 0.07 mm read 0.089 (0-0.18) mm,
    razor edges, at both of each chord's 45-degree creases). A chord makes equal angles with
    the tangents of the arc it cuts: an arc tangent to one flank that passes through the
    chord's far end leaves a kink of |Theta_1 - Theta_2| at one end, so where that is a crease's
    worth (turn_min) a crease stays whatever the chord hides (a sharp 90-degree rim whose top
    face ends at a one-row fillet's 40-degree crossing: edges:38012). Not where the two turn
    past MAX_BEVEL_TURN together (a thin part's tip); flat crossings between (a quad's
    diagonal across the chord) are passed over."""
    X, D, vc = p.X, b["D"], p.vc
    lone = b["ok"] & (b["band"].sum(axis=1) == 1)
    out = np.zeros(len(X))
    for right in (True, False):
        # the next crossing that turns at all beyond the band's end (flat ones passed over)
        j_edge = b["j_hi"] if right else b["j_lo"]
        c, d = _next_crease(X, D, vc, j_edge, right, MIN_EDGE_TURN_RAD,
                            skip=_in_chord(X, D, p.skew, j_edge, turn_min))
        t2 = d * b["sgn"]
        both = theta + t2
        joint = lone & np.isfinite(c) & (t2 >= turn_min) & (both <= MAX_BEVEL_TURN) & \
            (np.abs(theta - t2) < turn_min)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(joint, np.fmax(out, c / (2.0 * np.sin(0.5 * both))), out)
    return out


def _moment_reading(p: _Profile, out, fl, turn, tilt):
    """(out, moment, both): a level reading's radius from its turn's moments
    (radius._moment_radius) where the flanks' turn is read: the band's width sqrt(12 V) over
    the flanks' turn (each flank a median over a reach of wider faces) instead of its quarter
    points over its own sum of crossings. Under noise a level band's quarter points collapse
    onto a noise fold (edges:87045: a 0.283 mm fillet in six rows of 0.074 mm under 0.0155 mm
    of noise read 0.03-0.24 mm, a razor verdict); its moments are linear in the turns and
    average the noise out. They weigh each turn by its distance squared, though: a clean
    Delaunay ring's band running 1.5 mm down the wall over folds of a few degrees turning
    either way read a width far beyond its extent (signed turns cancelling), and joined a
    0.1 mm rim to a 0.4 mm one. So the moments stand where their width lies within the
    band's extent (no distribution of a turn one way over the band is wider: radius.py's
    `within`), or where the noise tilts the band's faces by MOMENT_NOISE_ROWS of a row's
    turn, where the quarter points are the noise's; elsewhere the quarter points stand.
    Where the noise tilts the band's faces a quarter of its whole turn (_quarters_lost) the
    band's ends are the noise's as much as the fillet's, the two readings part, and the
    section keeps both as its range (`both`: the quarter points' reading there, NaN
    elsewhere)."""
    r_m = out.get("r_m")
    if r_m is None:
        return out, np.zeros(len(turn), bool), np.full(len(turn), np.nan)
    moment = np.isfinite(r_m) & np.isfinite(fl["turn"]) & (fl["turn"] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = out["radius"] * out["theta"] / out["res"]
        row_turn = out["theta"] / np.maximum(rows, 1.0)
        noisy = p.noise_mm * tilt >= MOMENT_NOISE_ROWS * row_turn
    moment &= out["within"] | noisy
    with np.errstate(invalid="ignore", divide="ignore"):
        k = out["theta"] / np.where(moment, turn, 1.0)
        r = r_m * k
        sd = np.hypot(out["noise_m"] * k, np.nan_to_num(fl["turn_sd"] * r / turn))
    # (its crossings grow the band wherever the noise turns its way)
    split = moment & _quarters_lost(p, tilt, out["theta"])
    both = np.where(split, out["radius"], np.nan)
    return dict(out, radius=np.where(moment, r, out["radius"]),
                noise_m=np.where(moment, sd, np.nan)), moment, both


def _hidden_run(p: _Profile, b, ok, theta) -> np.ndarray:
    """(S,) mm: per good station whose band's faces (those between its end crossings and the
    one beyond each) the noise tilts by a quarter of its turn at the median (sigma: noise x
    each face's tilt factor, stations._tilt), the length along the section of the run of
    crossings around the band with no face between them that the noise tilts less; 0
    elsewhere. The band's quarter points are a noise fold's there, and so are its ends: a
    0.149 mm fillet in six rows of 0.03 mm slivers under 0.02 mm of noise (each sliver
    tilting 0.4-0.9 rad, the turn 1.28) read one crossing of 88 degrees, R 0.017 mm, with
    flat flanks (edges:43019). The turn can hide only where a face's level is that
    uncertain: beyond the run the faces are read to within a quarter turn, and the fillet's
    R Theta is no wider than the run."""
    S, M = p.X.shape
    F = p.F.shape[1]
    rows, T, J = np.arange(S), np.arange(F)[None, :], np.arange(M - 1)[None, :]
    j_lo, j_hi = b["j_lo"], b["j_hi"]
    sig = p.noise_mm[:, None] * np.where(np.isfinite(p.tilt), p.tilt, np.nan)
    # (a quarter of the turn, as _quarters_lost; the faces beside a one-crossing band count:
    # it has none inside)
    around = (T >= p.first[rows, j_lo][:, None]) & (T <= p.last[rows, j_hi][:, None] + 1) & \
        (p.F >= 0) & np.isfinite(sig)
    lost = ok & around.any(axis=1) & (p.noise_mm > 0) & \
        (np.nan_to_num(_masked_median(sig, around)) >= QUARTER_TURN * theta)
    quiet = (p.F >= 0) & ~(np.nan_to_num(sig) >= QUARTER_TURN * theta[:, None])
    # gap j (between crossings j and j + 1) holds the walked faces last[j] + 1 .. first[j + 1]
    cq = np.concatenate([np.zeros((S, 1), int), np.cumsum(quiet, axis=1)], axis=1)
    a = np.clip(p.last[:, :-1] + 1, 0, F)
    z = np.clip(p.first[:, 1:] + 1, 0, F)
    gap_quiet = (np.take_along_axis(cq, z, axis=1) - np.take_along_axis(cq, a, axis=1)) > 0
    g_l = np.where(gap_quiet & (J < j_lo[:, None]), J, -1).max(axis=1)
    g_r = np.where(gap_quiet & (J >= j_hi[:, None]), J, M - 1).min(axis=1)
    x0 = np.where(g_l >= 0, p.X[rows, np.clip(g_l + 1, 0, M - 1)], p.x_end[:, 0])
    x1 = np.where(g_r < M - 1, p.X[rows, np.clip(g_r, 0, M - 1)], p.x_end[:, 1])
    return np.where(lost, np.maximum(x1 - x0, 0.0), 0.0)


def _band_tilt(p: _Profile, inside) -> np.ndarray:
    """(S,) the median tilt factor of each band's own faces (`inside`; stations._tilt: how
    far unit vertex noise tilts a face about the crease), 0 where none: read once per reading
    for _moment_reading, _quarters_lost and _form_allowed."""
    return np.nan_to_num(_masked_median(np.where(np.isfinite(p.tilt), p.tilt, np.nan), inside))


def _quarters_lost(p: _Profile, tilt, theta) -> np.ndarray:
    """Per station: whether the body's vertex noise tilts the band's own faces as far as a
    quarter of its turn (sigma = noise x their median tilt factor `tilt`, _band_tilt).
    The radius is read from the quarter points, where the faces' angles pass a quarter and
    three quarters of the turn; a face tilted by a quarter passes them anywhere in the band,
    so the reading is a noise fold's, not the band's (biased low, which no count of sections
    averages away: edges:43019's 0.149 mm fillet in rows of 0.018-0.032 mm slivers under
    0.020 mm of noise, faces tilting 0.66 rad against a quarter of 1.28, read 0.067
    (0.043-0.090) mm over 286 sections, a razor edge). The band's noise term is the flanks'
    (their faces are wider and tilt less)."""
    return (p.noise_mm > 0) & (p.noise_mm * tilt >= QUARTER_TURN * theta)


def _form_allowed(p: _Profile, out, fl, turn, tilt) -> np.ndarray:
    """Per station: whether a reading on a noisy body could be one rounded form over the band
    and both flanks: one of fewer than FORM_ROWS rows, or one whose band's own faces the noise
    tilts by a quarter of its turn (_quarters_lost). Its interval ([0, 2h / Theta] for one row,
    the quarter points' for more) holds only if the turn happened within the band; the flank
    levels are read half a reach out, and where neither flank can be shown to curve less than
    Theta over that span (fl["bend_hi"]: slope plus SLOPE_Z standard errors) the surface may be
    one arc of radius span / Theta turning the whole way, its turn-by-noise crossing read as
    the band (edges:35015: a 46-degree noise fold among a 0.48 mm fillet's 0.06 mm slivers,
    flanks of 0.15 mm tilting 15 degrees each by noise, read 0.087 (0-0.21) mm: a razor edge
    on that fillet). A clean body's flanks are read exactly: never."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = out["radius"] * out["theta"] / out["res"]
        few = (rows < FORM_ROWS) | _quarters_lost(p, tilt, out["theta"])
        return (p.noise_mm > 0) & few & np.isfinite(fl["span"]) & \
            (fl["span"] > 0) & (turn / fl["span"] <= fl["bend_hi"])


def _flanks(p: _Profile, b, width, theta, eye, turn_min):
    """The flanks beyond each end of the band, read as the faces the section crosses within
    reach (one band width, FLANK_REACH_ROWS of the flank's own faces, the eye's resolvable
    size, whichever is largest): their level (the median normal angle: surface noise averages
    out), how much they turn over the reach (a least-squares slope of the angle against arc
    length, times the reach), how far they stay within FLANK_RATIO of the band's turn of their
    level (the flank's flat width, kept only where the flat ends at another crease: a facet),
    and whether the walk saw them as far as the reach (or saw them turn away sooner)."""
    X, vc = p.X, p.vc
    M = X.shape[1]
    D = np.where(vc, b["D"], 0.0)
    phi = np.concatenate([np.zeros((len(X), 1)), np.cumsum(D, axis=1)], axis=1)[:, 1:M]
    g = _FlankGrid(X, vc, D, phi, vc[:, :-1] & vc[:, 1:], 0.5 * (X[:, :-1] + X[:, 1:]),
                   np.diff(X, axis=1), np.arange(1, M)[None, :])
    (lr, tr, er, sr, nr, vr, br, s_r, w_r, f_r), (ll, tl, el, sl, nl, vl, bl, s_l, w_l, f_l) = (
        _flank_side(p, g, b, right, width, theta, eye, turn_min) for right in (True, False))
    # the flank levels are medians over each reach: about half a reach out from the band
    return dict(turn=np.abs(lr - ll), flank=np.maximum(tr, tl), extent=np.minimum(er, el),
                seen=sr & sl, narrow=nr | nl, turn_sd=np.sqrt(vr + vl),
                form_walk=np.fmax(f_r, f_l), bend_hi=np.minimum(br, bl),
                span=(s_r - s_l) + (w_r + w_l))


def _flank_side(p: _Profile, g: _FlankGrid, b, right, width, theta, eye, turn_min):
    """One side's flank (right: beyond the band's last crossing): (level, turn over the
    reach, facet extent, seen as far as the reach, narrower than the eye)."""
    X, K, u = g.X, g.K, g.u
    rows = np.arange(len(X))
    j_lo, j_hi, hgt = b["j_lo"], b["j_hi"], b["hgt"]
    j_edge = j_hi if right else j_lo
    start = X[rows, j_hi] + b["cell_hi"] if right else X[rows, j_lo] - b["cell_lo"]
    reach = np.fmax(np.fmax(width, FLANK_REACH_ROWS * hgt[rows, j_edge]), eye)
    side = (K > j_hi[:, None]) if right else (K <= j_lo[:, None])
    dist = (u - start[:, None]) if right else (start[:, None] - u)
    first = np.where(right, j_hi + 1, j_lo)  # the face right beside the band
    near_phi = g.phi[rows, np.clip(first - 1, 0, X.shape[1] - 2)]
    m = side & g.both & (np.maximum(dist, 0.0) <= reach[:, None])
    if b.get("stop_turn") is not None:
        ended, flat_w, inside = _hard_flank_end(g, b, right, start, reach, theta, eye)
        m &= inside
    else:
        ended, inside = np.zeros(len(X), bool), None
        flat_w = _band_flank_tip(g, b, right, theta, eye, turn_min)
    level = np.where(m.any(axis=1), _masked_median(g.phi, m), near_phi)
    level_var = _level_var(p, g, m, first)
    turned, bend_hi = _flank_turn(g, b, right, m, start, reach, side, dist, inside, turn_min,
                                  theta, width, level)
    away = np.abs(g.phi - level[:, None])
    # how far the flank's faces scatter about their level: a flat face has none (surface
    # noise a little); the slivers of a noisy fan (a sphere's pole) as much as the "band"
    # (over every face the section crosses within the reach, not only those whose middle
    # lies within it: one wide sliver beside a narrow one is still inside the reach)
    near = (X[:, :-1] - start[:, None]) if right else (start[:, None] - X[:, 1:])
    m_all = side & g.both & (near <= reach[:, None])
    if inside is not None:
        m_all &= inside
    scatter = np.nan_to_num(_masked_median(away, m_all))
    # the flat's width is read above that scatter: on a noisy body one face of the flat tilts
    # as far as a crease turns (0.02 mm of noise on 0.06 mm slivers tilts faces 40 deg), and
    # a flat 2 mm wide read as ending 0.29 mm out, which bounded a 0.63 mm fillet at 0.29 mm:
    # a false MS202 (edges:23031). A clean flat has no scatter: unchanged there
    rough = FLANK_SCATTER * scatter
    far = side & g.both & (away > FLANK_RATIO * theta[:, None] + rough[:, None]) & (dist > 0)
    extent = np.where(far, dist, np.inf).min(axis=1)
    # the flat ends at a crease (the first face off it has turned a crease's worth at
    # once), not by curving away: only then is it a facet whose width bounds the bevel
    k_far = np.argmax(np.where(far, -dist, -np.inf), axis=1)
    facet = np.isfinite(extent) & (away[rows, k_far] >= turn_min + rough)
    covered = (p.x_end[:, 1] - start) if right else (start - p.x_end[:, 0])
    seen = (covered >= (1.0 - 1e-9) * reach) | (extent <= reach) | ended
    # the form test reads the flank out to three radii: where the walk stopped short of them
    # (its budget of crossings, not the mesh's end), how far from the station it must go
    _, radii, far = _form_reach(theta, width, reach)
    short = far & (covered < (1.0 - 1e-9) * radii) & ~ended
    form_walk = np.where(short, (start + radii) if right else (radii - start), 0.0)
    return (level, np.fmax(turned, FLANK_SCATTER * scatter), np.where(facet, extent, np.inf),
            seen, flat_w < eye, level_var, bend_hi, start,
            _form_half_span(m, first, level_var, reach, theta), form_walk)


def _form_half_span(m, first, level_var, reach, theta):
    """How far beyond the band's end a rounded form may turn on this side (mm; _form_allowed
    reads the form's radius as the span between the flank levels over the turn): half the
    reach, where the level is the median of the faces within it; 0 where it is the one face
    beside the band and the noise tilts that face by less than a quarter of the turn
    (QUARTER_TURN, as _hidden_run). A face is flat: a form turning between the flank levels
    turns before that face begins, and its level is read to within the quarter. (edges:111053:
    a ring's 0.102 mm fillets drawn in six rows of 0.027 mm under 0.0108 mm of noise, flanks
    of one 0.56 mm face each: the form reading reached half a reach beyond each end of the
    band, upper ends of 0.19-0.25 mm against the 0.19 mm that matters, and both fillets read
    undetermined.)"""
    rows = np.arange(len(m))
    n = m.sum(axis=1)
    beside = m[rows, np.clip(first - 1, 0, m.shape[1] - 1)]
    one = (n == 0) | ((n == 1) & beside)
    with np.errstate(invalid="ignore"):
        quiet = np.sqrt(level_var) < QUARTER_TURN * np.abs(theta)
    return np.where(one & quiet, 0.0, 0.5 * reach)


def _form_reach(theta, width, reach):
    """How far out a flank's turn back is read: TURN_BACK_WIDTHS reaches (near), and
    FORM_FLANK_RADII radii (the band's width over its turn), and where the radii reach further
    (far: a band turning under about 86 degrees is narrower than 1.5 radii)."""
    near = TURN_BACK_WIDTHS * reach
    with np.errstate(invalid="ignore", divide="ignore"):
        radii = np.where(np.abs(theta) > 0, FORM_FLANK_RADII * width / np.abs(theta), 0.0)
    return near, radii, radii > near


def _level_var(p: _Profile, g: _FlankGrid, m, first):
    """The variance the body's vertex noise gives a flank's level (rad^2): each face tilts
    about the crease by the noise times its tilt factor (stations._tilt), and the level is the
    median of the n faces within reach (variance about pi/2 times their mean over n), or the
    one face beside the band where none is."""
    S, M = g.X.shape
    face = np.take_along_axis(p.F, p.first[:, 1:M], axis=1)  # (the face left of crossing k)
    t = np.take_along_axis(p.tilt, p.first[:, 1:M], axis=1)
    tilt2 = np.where((face >= 0) & np.isfinite(t), (p.noise_mm[:, None] * t) ** 2, 0.0)
    n = m.sum(axis=1)
    mean2 = np.where(m, tilt2, 0.0).sum(axis=1) / np.maximum(n, 1)
    one = tilt2[np.arange(S), np.clip(first - 1, 0, M - 2)]
    return np.where(n > 0, 0.5 * np.pi * mean2 / np.maximum(n, 1), one)


def _hard_flank_end(g: _FlankGrid, b, right, start, reach, theta, eye):
    """A hard reading's flank ends at the next crease of its own (a crossing turning a
    crease's worth at once): the faces beyond are another edge's flank, and a flank one face
    wide is a flank (its level is exact); narrower than the eye it is no flank. Returns
    (ended, flat width: -inf where the flank is loud or a thin part's tip, faces inside)."""
    X, D, vc, K = g.X, g.D, g.vc, g.K
    S, M = X.shape
    rows = np.arange(S)
    j_lo, j_hi = b["j_lo"], b["j_hi"]
    j_edge = j_hi if right else j_lo
    J = np.arange(M)[None, :]
    hard = vc & ((np.abs(D) >= b["stop_turn"]) | b.get("other", False))
    if right:
        j_stop = np.where(hard & (J > j_hi[:, None]), J, M).min(axis=1)
        ended = j_stop < M
        flat_w = np.where(ended, X[rows, np.minimum(j_stop, M - 1)] - start, np.inf)
        inside = K <= j_stop[:, None]
    else:
        j_stop = np.where(hard & (J < j_lo[:, None]), J, -1).max(axis=1)
        ended = j_stop >= 0
        flat_w = np.where(ended, start - X[rows, np.maximum(j_stop, 0)], np.inf)
        inside = K > j_stop[:, None]
    # ... and it is quiet: no crossing on it turns a fifth of the crease (a noisy
    # mesh kinks by 30 degrees here and there, with kinks of 20 beside them)
    within = (J > j_hi[:, None]) & (J < j_stop[:, None]) if right else \
        (J < j_lo[:, None]) & (J > j_stop[:, None])
    within &= vc & (((X - start[:, None]) if right else (start[:, None] - X))
                    <= reach[:, None])
    loud = np.where(within, np.abs(D), 0.0).max(axis=1) >= FLANK_RATIO * theta
    # and a flank ending at a crease turning its way, the two turning a rod's end or a
    # sheet's rim together (MAX_BEVEL_TURN), is a thin part's tip unless the eye sees
    # it as a face (THIN_EYES wide): a 0.3 mm spear's cut ends are not razor edges
    # The face the eye sees spans crossing to crossing: the band's end cell (half a
    # face beside a hard crease) is where the edge may lie, not face it hides (a
    # 0.8 mm crossguard's sides read 0.4 mm wide and its 12 creases went unjudged)
    d_stop = D[rows, np.clip(j_stop, 0, M - 1)] * b["sgn"]
    face_w = np.abs(X[rows, np.clip(j_stop, 0, M - 1)] - X[rows, j_edge])
    tip = ended & (d_stop > 0) & (d_stop + theta >= MAX_BEVEL_TURN) & \
        (face_w < THIN_EYES * eye)
    return ended, np.where(loud | tip, -np.inf, flat_w), inside


def _band_flank_tip(g: _FlankGrid, b, right, theta, eye, turn_min):
    """The same thin part's tip where the crease was read as a band (the part drawn in rows:
    the 12 triangles of a 0.3 mm spear are a tip, and so must its subdivision be, DESIGN
    section 5's resolution invariant): the flat width, -inf at a tip."""
    next_w, next_turn = _next_crease(g.X, g.D, g.vc, b["j_hi"] if right else b["j_lo"], right,
                                     turn_min)
    with np.errstate(invalid="ignore"):  # (no crease met: inf; NaN is no tip)
        face_w = next_w - (b["cell_hi"] if right else b["cell_lo"])
    tip = (next_turn * b["sgn"] > 0) & \
        (next_turn * b["sgn"] + theta >= MAX_BEVEL_TURN) & \
        (face_w >= 0.0) & (face_w < THIN_EYES * eye)
    return np.where(tip, -np.inf, np.full(len(g.X), np.inf))


def _flank_turn(g: _FlankGrid, b, right, m, start, reach, side, dist, inside, turn_min, theta,
                width, level):
    """How much a flank turns over its reach: the weighted least-squares slope of its angle
    against arc length times the reach (where it stands beyond SLOPE_Z standard errors of the
    faces' scatter about the line, or a crease lies on the flank), or its turn back read
    further out (weighed FLANK_RATIO / TURN_BACK_RATIO times: a bevel's flanks never turn
    back), or its turn back out to FORM_FLANK_RADII, whichever is larger. Also the curvature
    its faces cannot exclude (rad/mm)."""
    u, phi, ell, D, vc = g.u, g.phi, g.ell, g.D, g.vc
    M = g.X.shape[1]
    j_lo, j_hi = b["j_lo"], b["j_hi"]
    w = np.where(m, ell, 0.0)
    sw = np.maximum(w.sum(axis=1), 1e-300)
    ub = (w * u).sum(axis=1) / sw
    pb = (w * phi).sum(axis=1) / sw
    var = (w * (u - ub[:, None]) ** 2).sum(axis=1)
    # one face (or faces whose middles coincide) has no slope: its level is exact; its
    # rounding residues (u - ub ~ 1e-18) divided by each other read any slope at all, and
    # which one depended on where the model stood (a shifted chamfered box lost 2 edges)
    spread = var > (SLOPE_SPREAD * reach) ** 2 * sw
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(spread, (w * (u - ub[:, None]) * (phi - pb[:, None])).sum(axis=1)
                         / var, 0.0)
    # the slope counts where the faces' scatter about the line cannot make it: |slope| over
    # SLOPE_Z standard errors (weighted least squares with equal noise per face: Var(slope) =
    # s^2 sum w^2 (u - ub)^2 / var^2, s^2 the residual variance with two degrees used)
    t = np.where(m, u - ub[:, None], 0.0)
    res = np.where(m, phi - pb[:, None] - slope[:, None] * t, 0.0)
    n = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (w * res ** 2).sum(axis=1) / sw * n / np.maximum(n - 2, 1)
        se = np.sqrt(s2 * (w ** 2 * t ** 2).sum(axis=1)) / var
    real = (n < SLOPE_MIN_FACES) | ~(np.abs(slope) <= SLOPE_Z * se)
    # ... but a crease within the reach is no scatter (the other rim of a one-row wall: the
    # flank's faces step by its turn, and a line through a step has large residuals): where a
    # crossing on the flank turns a crease's worth above the noise, the slope stands as read
    J = np.arange(M)[None, :]
    X = g.X
    on = vc & (((J > j_hi[:, None]) & (X - start[:, None] <= reach[:, None])) if right else
               ((J < j_lo[:, None]) & (start[:, None] - X <= reach[:, None])))
    kink = np.maximum(np.maximum(turn_min, NOISE_TURNS * b["noise"]), KINK_SHARE * np.abs(theta))
    real |= (on & (np.abs(D) >= kink[:, None])).any(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        turned = np.where((slope != 0) & real, np.abs(slope) * reach, 0.0)
    # the curvature (rad/mm) the flank's faces cannot exclude: its slope and SLOPE_Z standard
    # errors more (any curvature where fewer faces than SLOPE_MIN_FACES give no scatter)
    with np.errstate(invalid="ignore"):
        bend_hi = np.where(n >= SLOPE_MIN_FACES, np.abs(slope) + SLOPE_Z * se, np.inf)
    # a flank that turns back (a wave's crest: beyond the inflection the surface curves
    # the other way) reads no slope on a straight line, and within one band width it has
    # barely passed the inflection: its turn back is read out to TURN_BACK_WIDTHS, where
    # it has half grown (weighed FLANK_RATIO / TURN_BACK_RATIO times)
    near, radii, far = _form_reach(theta, width, reach)
    back = (FLANK_RATIO / TURN_BACK_RATIO) * _back_within(
        g, b, right, side, dist, inside, turn_min, start, near, spread)[0]
    # ... and out to FORM_FLANK_RADII, where that is further (a band turning under about 86
    # degrees is narrower than 1.5 radii: two widths fall short of three radii), weighed as
    # the flank's own turn: by three radii a form's turn back has grown (a lobed wall's
    # bend turns back 0.4-0.6 of its turn there; a noisy sliver wall under a 72-degree
    # rounding, 0.1: edges:95036, an edge the double weight lost)
    form = np.zeros(len(theta))
    if far.any():
        fb, mb = _back_within(g, b, right, side, dist, inside, turn_min, start,
                              np.fmax(radii, near), spread)
        step = _step_back(g, mb & (dist > near[:, None]), level, b["sgn"] * (1 if right else -1))
        form = np.where(far, np.fmax(fb, step), 0.0)
    return np.fmax(np.fmax(turned, back), form), np.nan_to_num(bend_hi, nan=np.inf)


def _step_back(g: _FlankGrid, m, level, way):
    """How far the faces m (a flank's beyond TURN_BACK_WIDTHS) lie back from the flank's
    level against the band's way: the median of their angles, less SLOPE_Z standard errors
    of that median (MEDIAN_SE from their own scatter). A step's bend and the wall beyond it
    are a turn back the parabola misses: through a flat, a bend and a flat it is near a line
    whose curvature stays within its residuals (a revolved step turning 35 degrees and back
    after 1.5 radii of slope: two "too soft" bends)."""
    n = m.sum(axis=1)
    med = _masked_median(g.phi, m)
    mad = _masked_median(np.abs(g.phi - med[:, None]), m)
    with np.errstate(invalid="ignore"):
        se = MEDIAN_SE * NOISE_SIGMA_PER_MAD * mad / np.sqrt(np.maximum(n, 1))
        back = (level - med) * way - SLOPE_Z * se
    return np.where(n >= SLOPE_MIN_FACES, np.fmax(np.nan_to_num(back, nan=0.0), 0.0), 0.0)


def _back_within(g: _FlankGrid, b, right, side, dist, inside, turn_min, start, far_reach,
                 spread):
    """How far a flank turns back (_turn_back) over its faces within far_reach of the band,
    up to the next crease (beyond it is another edge's flank), and those faces."""
    u, phi, ell, K, D, vc = g.u, g.phi, g.ell, g.K, g.D, g.vc
    M = g.X.shape[1]
    j_lo, j_hi = b["j_lo"], b["j_hi"]
    mb = side & g.both & (np.maximum(dist, 0.0) <= far_reach[:, None])
    J1 = np.arange(M)[None, :]
    crease = vc & ((np.abs(D) >= turn_min) | b.get("other", False))
    if right:
        mb &= K <= np.where(crease & (J1 > j_hi[:, None]), J1, M).min(axis=1)[:, None]
    else:
        mb &= K > np.where(crease & (J1 < j_lo[:, None]), J1, -1).max(axis=1)[:, None]
    if inside is not None:
        mb &= inside
    wb = np.where(mb, ell, 0.0)
    ubb = (wb * u).sum(axis=1) / np.maximum(wb.sum(axis=1), 1e-300)
    t_end = np.stack([start, start + far_reach if right else start - far_reach], -1) - \
        ubb[:, None]
    way = b["sgn"] * (1.0 if right else -1.0)
    return _turn_back(u, phi, wb, ubb, t_end, way, spread), mb


def _in_chord(X, D, skew, j_edge, turn_min) -> np.ndarray:
    """(S, M) crossings inside one chord's strip from the band's end crossing j_edge: folds
    of less than a crease's worth across an edge that reaches back across the crease at least
    as far as the crossing lies from the band's end (skew >= |X - X_edge|). A fillet drawn
    with one chord has no vertex between its two facet lines: every edge crossed between them
    runs from one to the other, and on an irregular revolve the strip's faces fold a few
    degrees where its sections differ (edges:105055: -4.7 and -3.3 degrees on edges reaching
    2.9 and 2.8 mm across a 2.96 mm chord, 1.6 and 0.9 mm from the band). A wall drawn in
    rows has vertices between: its edges reach a row across, and the walk stops at them."""
    rows = np.arange(len(X))
    with np.errstate(invalid="ignore"):
        return (np.abs(D) < turn_min) & (skew >= np.abs(X - X[rows, j_edge][:, None]))


def _next_crease(X, D, vc, j_edge, right, turn_min, at=False, skip=None):
    """Per row: how far beyond the band's end crossing j_edge the walk meets the next
    crease (a crossing turning >= turn_min at once, not in `skip`; inf where it met none),
    and that crossing's signed turn (0 where none); `at`: its index too (clipped into the
    row)."""
    S, M = X.shape
    rows = np.arange(S)
    J = np.arange(M)[None, :]
    beyond = (J > j_edge[:, None]) if right else (J < j_edge[:, None])
    crease = vc & beyond & (np.abs(D) >= turn_min)
    if skip is not None:
        crease &= ~skip
    j_stop = np.where(crease, J, M).min(axis=1) if right else \
        np.where(crease, J, -1).max(axis=1)
    found = (j_stop < M) & (j_stop >= 0)
    js = np.clip(j_stop, 0, M - 1)
    out = (np.where(found, np.abs(X[rows, js] - X[rows, j_edge]), np.inf),
           np.where(found, D[rows, js], 0.0))
    return out + (js,) if at else out


def _turn_back(u, phi, w, ub, t_ends, way, spread):
    """How far a flank turns back against the band over its reach: the weighted least-squares
    parabola phi ~ c0 + c1 t + c2 t^2 (t = u - ub, weights w: each face's width) is followed
    from the band's end t_ends[:, 0] to the reach's end t_ends[:, 1]; `way` (+1 / -1) is the
    sign of phi's change that continues the band's turn. The turn back is the largest fall of
    that continuing turn after its highest point: 0 on a straight or still-turning flank (a
    bevel onto a gently curved surface), the crest's own turn on a wave (beyond the inflection
    the surface curves the other way, which a straight-line fit reads as no slope). Stations
    with fewer than three faces, or whose curvature term is within noise, give 0."""
    t = np.where(w > 0, u - ub[:, None], 0.0)
    mom = [(w * t ** k).sum(axis=1) for k in range(5)]
    rhs = [(w * t ** k * np.where(w > 0, phi, 0.0)).sum(axis=1) for k in range(3)]
    A = np.stack([np.stack(mom[i:i + 3], -1) for i in range(3)], -2)
    bvec = np.stack(rhs, -1)
    ok = spread & ((w > 0).sum(axis=1) >= PARABOLA_MIN_FACES)
    det = np.linalg.det(np.where(ok[:, None, None], A, np.eye(3)))
    scale = np.maximum(mom[0], 1e-300) * np.maximum(mom[2] / np.maximum(mom[0], 1e-300),
                                                    1e-300) ** 2
    ok &= np.abs(det) > PARABOLA_COND * scale * np.maximum(mom[4], 1e-300)
    out = np.zeros(len(u))
    if not ok.any():
        return out
    Ai = np.linalg.inv(A[ok])
    c = np.einsum("sij,sj->si", Ai, bvec[ok])
    # the curvature term counts only where the faces' scatter about the parabola cannot make
    # it: |c2| above PARABOLA_Z of its standard error (weighted least squares with equal
    # noise per face: Cov = s^2 A^-1 B A^-1, B = sum w^2 x x^T, s^2 the residual variance)
    wk, tk = w[ok], t[ok]
    x = np.stack([np.ones_like(tk), tk, tk ** 2], -1)
    res = np.where(wk > 0, phi[ok] - np.einsum("smk,sk->sm", x, c), 0.0)
    n = (wk > 0).sum(axis=1)
    s2 = (wk * res ** 2).sum(axis=1) / np.maximum(wk.sum(axis=1), 1e-300) * \
        n / np.maximum(n - 3, 1)
    B = np.einsum("sm,smi,smj->sij", wk ** 2, x, x)
    var_c2 = s2 * np.einsum("si,sij,sj->s", Ai[:, 2], B, Ai[:, 2])
    curved = np.abs(c[:, 2]) > PARABOLA_Z * np.sqrt(np.maximum(var_c2, 0.0))
    t0, t1 = t_ends[ok, 0], t_ends[ok, 1]
    # (followed only as far as the faces go: a parabola extrapolated is no reading)
    outward = np.where(t1 >= t0, 1.0, -1.0)
    t_far = np.where(wk > 0, tk * outward[:, None], -np.inf).max(axis=1) * outward
    t1 = np.where(outward > 0, np.minimum(t1, t_far), np.maximum(t1, t_far))
    with np.errstate(invalid="ignore", divide="ignore"):
        tv = np.where(c[:, 2] != 0, -c[:, 1] / (2 * c[:, 2]), t0)
    inside = (tv - np.minimum(t0, t1)) * (np.maximum(t0, t1) - tv) > 0
    tv = np.where(inside, tv, t0)

    def g(tt):  # the continuing turn since the band's end
        return way[ok] * (c[:, 1] * (tt - t0) + c[:, 2] * (tt ** 2 - t0 ** 2))

    g0, gv, g1 = np.zeros_like(t0), g(tv), g(t1)
    back = np.maximum.reduce([np.zeros_like(t0), np.maximum(g0, gv) - g1, g0 - gv])
    # and the faces themselves turn back as far (a parabola through a flat and the start of
    # the next bevel turning the same way dips between them: a turn back of the fit only)
    back = np.minimum(back, _drawdown(np.where(wk > 0, way[ok, None] * phi[ok], np.nan),
                                      outward))
    out[ok] = np.where(curved, back, 0.0)
    return out


def _drawdown(g, outward):
    """Per row, the largest fall of g (NaN: no sample) below its running highest, followed
    outward from the band (left to right where outward > 0, else right to left)."""
    g = np.where(outward[:, None] > 0, g, g[:, ::-1])
    peak = np.fmax.accumulate(np.where(np.isnan(g), -np.inf, g), axis=1)
    fall = np.where(np.isnan(g), 0.0, peak - g)
    return np.nan_to_num(fall, posinf=0.0).max(axis=1) if g.shape[1] else np.zeros(len(g))
