"""Per-chain results: the medians over a chain's sections, its extent and places, and chains
merged along (continuing one another across a small gap) and across (one band read twice)."""

from __future__ import annotations

import numpy as np

from .common import (ANGLE_EPS, AXIS_COS, FLANK_RATIO, MEDIAN_SE, MIN_EDGE_TURN_RAD,
                     NOISE_SIGMA_PER_MAD, NOISE_TURNS, ROW_ALIGNED_MIN_ROWS, ROW_ALIGNED_SHARE,
                     Creases, Stretches, _analysis_edge_faces, _attached, _edge_face, _polylines,
                     _quantised, _sym6, _weighted_quantile, pairs_in_runs, sym_eig_top)
from .radius import VERTEX_SHARE
from .sections import REWALK_WIDTHS
from .stations import _spread


MIN_ROWS_RESOLVED = 2.0  # fewer rows across the band: the radius is resolution-limited
MEDIAN_EPS = 1e-9  # a quantile this far above 1/2 is the upper of two middle values
LINK_ROWS = 3.0  # chains continuing one another across a gap of about two faces are one
LINK_TURN = 0.35  # chains joined across a band turn within this share of each other
LINK_RADIUS = 1.3  # ... and their radius intervals overlap when widened by this factor
IN_TURN_ROWS = 2.0  # a band face lies where the band turns within this many of its rows beyond
# half its widest circular width (the band's ends are known to a row either way)
BESIDE_SPREAD = 2.0  # a crease beside another keeps about one distance from it: from each of
# its stations the other's nearest face lies within this factor of the nearest of them (two
# parallel rims of a ring: within 1 %; pieces one after another along a crease: from touching
# to the piece's length)
LINK_KAPPA = 2.5  # chains joined along curve alike: median curvatures within this factor
LINK_NEIGHBOURS = 16  # boundary faces examined around each (a gap's far side is among them)
PLACE_FACES = 5  # faces listed per chain (around its representative point)
PLACE_ROW_SLACK = 1.0 / 3.0  # rows: a place lists faces as far off the crease as its band's
# centroids and this much more (a triangle of a row h that touches the crease has its centroid
# h/3 or 2h/3 off it: the band's may all be the nearer kind where the next faces along are not)
CHAIN_ANISOTROPY = 0.3  # a chain's median face must be this clearly directional


def _chains(analysis, seeds, st, prof, detect, turn_min, eye):
    """Per chain: medians over its good sections; keep the chains that turn >= turn_min
    between flanks flatter than FLANK_RATIO of the turn; order longest first."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    along, cen, axis_c, iso, lines = _chain_extents(analysis, seeds)
    share, principal = _band_share(analysis, seeds, st, prof)
    band = (share, lines, principal)
    # each chain is read by the sections that make it one. Where its sections other than the
    # ramp's (_band_ramp) keep it, by those: the band stands above the noise at most of its
    # stations, and a ramp section comes from one where it did not (the chain reads as it
    # would without the ramp). A chain only the ramp keeps is a band whose crossings noise
    # hid at most of its stations; where the other readings found a band on it, it was where
    # noise lifted a crossing above the floor, so that band ends where the noise happened to,
    # not where the fillet does: edges:1085's 0.481 mm rims read 0.15 mm that way (the ramp:
    # 0.45), edges:2012's 0.361 mm rim 0.62 (the ramp: 0.31). Those sections count towards
    # its existence (at least half its sections read); its reading is the ramp sections',
    # and it must be a crease on that reading too (a ramp reading 28 mm on two faces is a
    # speck, shorter than its own band)
    md_all = _chain_medians(seeds, st, prof)
    md_o = _chain_medians(seeds, st, prof, prof["ok"] & ~prof["ramp"])
    md_r = _chain_medians(seeds, st, prof, prof["ok"] & prof["ramp"])
    # the noise about each chain the other tests would keep (a 2M-face sculpt's chains hold
    # 1.5M faces, most of them specks and forms: reading all their rings took 40 % of the family)
    zero = np.zeros(ncomp)
    cand = _keep(md_o, along, iso, zero, turn_min, eye, band)[0] | \
        _keep(md_all, along, iso, zero, turn_min, eye, band)[0]
    lf = np.flatnonzero((fc >= 0) & cand[np.maximum(fc, 0)])
    ring = _ring_noise(analysis, lf, fc[lf], ncomp, turn_min)
    keep_o = _keep(md_o, along, iso, ring, turn_min, eye, band)[0]
    by_ramp = _keep(md_all, along, iso, ring, turn_min, eye, band)[0] & ~keep_o
    md = {k: v if k in ("n_ok", "n_found", "n_all") else np.where(by_ramp, md_r[k], md_o[k])
          for k, v in md_all.items()}
    keep_c, length = _keep(md, along, iso, ring, turn_min, eye, band)
    keep = keep_o | (by_ramp & keep_c)
    # whether a chain is a crease (longer than its band and than the eye resolves) is judged
    # on what its own lines account for, along / turn, unless it is its bands' principal
    # (_keep); the length it reports is its crease's, its lines' share of the band's turn
    # taken into account (_band_share). (Judged on the crease's length whatever their share,
    # fragments holding a few per cent of a band's turn were kept, each reading its few
    # faces: beside a 0.09 mm fillet one read 0.8 mm)
    # ... and no longer than the lines it holds (its turning edges' lengths along the crease):
    # the share is the band's where its sections cut it, and a fragment of 11 faces on a
    # letter's foot, 0.07 mm across, holding a sliver of the band's turn there read 63 mm
    length = np.fmin(length / share, lines)
    turn, radius, res = md["turn"], md["radius"], md["res"]
    ids = np.flatnonzero(keep)
    o = np.lexsort((cen[ids, 2], cen[ids, 1], cen[ids, 0], -length[ids]))
    ids = ids[o]
    new = np.full(ncomp, -1)
    new[ids] = np.arange(len(ids))
    face_chain = np.where(fc >= 0, new[np.maximum(fc, 0)], -1)
    where, first, nfc = _chain_places(analysis, seeds, st, prof, face_chain, new, ids,
                                      radius, res, turn, cen)
    r, h, t = radius[ids], res[ids], turn[ids]
    lo, hi = _interval(md, ids, r, h, t)
    limited = r * t < MIN_ROWS_RESOLVED * h
    return Creases(face_chain, r, lo, hi, h, limited, t, length[ids], where, axis_c[ids],
                   first, md["extent"][ids], nfc, md["convex"][ids], md["ratio"][ids], detect,
                   turn_min, _stretches(analysis, *_along_the_crease(
                       analysis, seeds, st, prof, ids, length, detect, eye, turn_min),
                       new, turn_min, len(st["p"])), md["turn_sd"][ids], md["n_ok"][ids])


def _along_the_crease(analysis, seeds, st, prof, ids, length, detect, eye, turn_min):
    """The stations and sections a kept chain is placed by: its own, and where
    its crease is longer than the span of its candidates along their principal line, as many
    more as keep STATIONS_PER_CHAIN over each such span of crease. The eight are spread over
    the principal line (_spread, _evenly); a crease that passes over it several times (a
    sweep's four rims joined through one-face flats into one 515 mm chain, edges:2005; a
    loop) had eight for all its passes, and a rim of it no section of its own, so no place.
    The chain's verdict, reading and place stay its own eight's (its median: the sample a
    chain is judged by); the others read only where along it the surface fails."""
    from .sections import _measure
    from .stations import STATIONS_PER_CHAIN, _candidates, _cut, _evenly

    n = seeds["ncomp"]
    cand = _candidates(analysis, seeds, detect)
    ch = cand["chain"]
    span = np.full(n, -np.inf)
    np.maximum.at(span, ch, cand["t"])
    low = np.full(n, np.inf)
    np.minimum.at(low, ch, cand["t"])
    span = span - low
    quota = np.full(n, STATIONS_PER_CHAIN)  # (the chains not kept: no more)
    with np.errstate(invalid="ignore", divide="ignore"):
        passes = np.where(span[ids] > 0, length[ids] / span[ids], 1.0)
    quota[ids] = np.floor(STATIONS_PER_CHAIN * np.maximum(passes, 1.0))
    more = (quota[ch] > STATIONS_PER_CHAIN) & _evenly(cand["rank"], ch, quota) & \
        ~np.isin(cand["key"], np.where(st["edge"] >= 0, st["edge"], -1 - st["f"]))
    if not more.any():
        return st, prof
    sx = _cut(analysis, seeds, cand, more, detect, eye)
    px = _measure(analysis, sx, eye, turn_min)
    m = len(st["p"])
    st2 = {k: np.concatenate([st[k], sx[k]]) for k in st}
    prof2 = {k: np.concatenate([prof[k], px[k]]) for k in prof if k != "band_faces"}
    prof2["band_faces"] = (np.r_[prof["band_faces"][0], px["band_faces"][0] + m],
                           np.r_[prof["band_faces"][1], px["band_faces"][1]])
    return st2, prof2


def _stretches(analysis, st, prof, new, turn_min, m_own) -> Stretches:
    """The kept chains' good sections that each read an edge on their own (turning >= turn_min
    between flanks flatter than FLANK_RATIO of the turn, the tests a chain's medians pass), each
    with the interval its one reading gives: the row term and its noise (its own term, no less
    than its chain's readings' spread), no median (a chain's verdict is its median's; a
    section's is what the mesh shows where it cuts). The first m_own stations are the chains'
    own (their 8, by which they are read); the rest are cut for their places only
    (_along_the_crease): each section also carries its rank among its chain's own stations
    (-1 for the others), and the readings' spread and which sections are one reading are the
    own sections' alone, so that an undetermined chain's stretches are read as they were."""
    # each station's rank along its chain, as the stations were cut (_spread: by their place
    # on the principal line of the chain's stations), taken again after _merge_across joined
    # pieces of one band lying side by side (their stations interleave along the crease)
    o, rank = _spread(st["p"], st["chain"])
    along = np.empty(len(o), int)
    along[o] = rank
    o, rank = _spread(st["p"][:m_own], st["chain"][:m_own])
    along_own = np.full(len(along), -1)
    along_own[o] = rank
    s = np.flatnonzero(prof["ok"] & (prof["ratio"] <= FLANK_RATIO) &
                       (prof["theta"] >= turn_min - ANGLE_EPS))
    c = new[st["chain"][s]]
    s, c = s[c >= 0], c[c >= 0]
    cen = prof["centre"][s]
    fine = _on_walk(st, prof, s, cen)  # as for a chain's point: _anchor
    s, c, cen = s[fine], c[fine], cen[fine]
    # a section whose band turns much less than its chain's edge read part of it (its band
    # ended at a flat crossing inside the fillet, the rest beyond the flanks' reach): no stretch
    n0 = int(c.max()) + 1 if len(c) else 0
    own0 = s < m_own
    t0 = prof["theta"][s]
    tmed = _weighted_quantile(t0[own0], np.ones(int(own0.sum())), c[own0], n0, 0.5)
    tmad = NOISE_SIGMA_PER_MAD * _weighted_quantile(np.abs(t0[own0] - tmed[c[own0]]),
                                                    np.ones(int(own0.sum())), c[own0], n0, 0.5)
    whole = ~(t0 < tmed[c] - np.fmax(2.0 * FLANK_RATIO * tmed[c], 3.0 * tmad[c]))
    # ... and one whose rows are wider than its chain's band plus MIN_ROWS_RESOLVED of its rows
    # (medians over its own sections) read another scale: no bevel of the chain's is resolved
    # by them (a polyline sweep's joint 2.7 mm from the next, crossed by a fillet's chain whose
    # band is 0.26 mm over rows of 0.084: its sections cut at the joint's edges read the
    # joint, 3.37 mm, six MS202 places on the undetermined chain: edges:47068)
    ones0 = np.ones(int(own0.sum()))
    wmed = _weighted_quantile((prof["radius"] * prof["theta"])[s][own0], ones0, c[own0], n0, 0.5)
    hmed = _weighted_quantile(prof["res"][s][own0], ones0, c[own0], n0, 0.5)
    whole &= ~(prof["res"][s] > wmed[c] + MIN_ROWS_RESOLVED * hmed[c])
    s, c, cen = s[whole], c[whole], cen[whole]
    r, h, t = prof["radius"][s], prof["res"][s], prof["theta"][s]
    with np.errstate(invalid="ignore", divide="ignore"):
        row = _row_term(h, prof["skew"][s], r * t / h, prof["share"][s]) / t
    # one reading's noise: its own term, and no less than the spread of its chain's readings
    # about their median (a sigma from their median absolute deviation): a noisy band's
    # section whose own noise read low is off by what its neighbours show (a 0.24 mm fillet
    # six rows of 0.034 mm noise across read 0.057 [0.018, 0.096] at one section, 0.08-0.32
    # at the rest)
    n = int(c.max()) + 1 if len(c) else 0
    own = s < m_own
    ones = np.ones(int(own.sum()))
    mid = _weighted_quantile(r[own], ones, c[own], n, 0.5)
    scatter = NOISE_SIGMA_PER_MAD * _weighted_quantile(np.abs(r[own] - mid[c[own]]), ones,
                                                       c[own], n, 0.5)
    dn = np.fmax(np.nan_to_num(prof["noise_r"][s]), scatter[c])
    lo = np.maximum(0.0, r - row - dn)
    hi = np.maximum(r + row + dn, h)
    ramp = _ranged(prof)[s]
    lo = np.where(ramp, np.fmin(lo, prof["r_lo"][s]), lo)
    hi = np.where(ramp, np.fmax(hi, prof["r_hi"][s]), hi)
    # its place: the faces inside its band nearest the band's centre
    bs, bf = prof["band_faces"]
    pos = np.full(len(prof["ok"]), -1)
    pos[s] = np.arange(len(s))
    k = pos[bs] >= 0
    j, bf = pos[bs[k]], bf[k]
    po = np.cumsum(own) - 1  # (a section's index among the own ones)
    ko = own[j]
    reading = np.full(len(s), -1)
    reading[own] = _readings(po[j[ko]], bf[ko], c[own], int(own.sum()))
    d = np.linalg.norm(analysis.face_centroids[bf] - cen[j], axis=1)
    o = np.lexsort((bf, d, j))
    j, bf = j[o], bf[o]
    starts = np.searchsorted(j, np.arange(len(s)))
    ends = np.minimum(np.searchsorted(j, np.arange(len(s)), side="right"), starts + PLACE_FACES)
    faces = tuple(tuple(int(x) for x in bf[a:b]) for a, b in zip(starts, ends))
    return Stretches(c, along[s], cen, faces, r, lo, hi, row, np.nan_to_num(prof["noise_r"][s]),
                     h, np.where(ramp, prof["r_lo"][s], r), np.where(ramp, prof["r_hi"][s], r),
                     reading, along_own[s])


def _readings(j, f, c, m):
    """Which of m sections (their band faces: section j holds face f; chains c) are one
    reading: sections of one chain whose bands share a face read the same noise (on rows of
    slivers 1.8 mm long, stations 0.3 mm apart cross the same faces: edges:2048's three
    sections within 1.2 mm read its 0.24 mm fillet 0.06-0.13 mm together). Connected
    components over shared faces; a section without band faces is a reading of its own."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    o = np.lexsort((j, c[j], f))
    jo, fo = j[o], f[o]
    link = (fo[1:] == fo[:-1]) & (c[jo[1:]] == c[jo[:-1]])
    a, b = jo[:-1][link], jo[1:][link]
    g = coo_matrix((np.ones(len(a)), (a, b)), shape=(m, m))
    return connected_components(g, directed=False)[1] if m else np.zeros(0, int)


def stretch_reading(r, row, noise, h, r_lo, r_hi, reading):
    """A stretch of several sections of one chain read as a chain is (_chain_medians,
    _interval): (R, lo, hi, n) from its readings (sections sharing band faces are one reading,
    _readings, each by its sections' median), n independent readings. R is their median;
    the noise term is their own noise's median over sqrt(n), no less than the median's
    standard error from their scatter (MEDIAN_SE x sigma / sqrt(n), sigma from their median
    absolute deviation); the row term is their median row (it does not average). An even
    count's median is anywhere between its two middle readings, so the interval runs from
    the lower one's lower end to the upper one's upper end; ramp sections at either end of
    their ranges move those ends as for a chain. One reading has no scatter to check it by:
    n = 1 is left to the caller."""
    reading = np.asarray(reading)
    _, inv = np.unique(reading, return_inverse=True)
    n = int(inv.max()) + 1

    def per(x):
        return np.array([np.median(np.asarray(x, float)[inv == g]) for g in range(n)])

    rr = per(r)
    lower, upper = np.sort(rr)[(n - 1) // 2], np.sort(rr)[n // 2]
    mid = 0.5 * (lower + upper)
    scatter = NOISE_SIGMA_PER_MAD * float(np.median(np.abs(rr - mid)))
    dn = max(float(np.median(per(noise))) / np.sqrt(n), MEDIAN_SE * scatter / np.sqrt(n))
    rw, hh = float(np.median(per(row))), float(np.median(per(h)))
    lo = min(max(0.0, lower - rw - dn), float(np.sort(per(r_lo))[(n - 1) // 2]))
    hi = max(upper + rw + dn, hh, float(np.sort(per(r_hi))[n // 2]))
    return float(mid), lo, hi, n


def _keep(md, along, iso, ring, turn_min, eye, band):
    """Which chains (their medians `md`) are creases: at least half their counted sections
    good or cut obliquely across their band (sections._oblique: a band found, no reading),
    turning >= turn_min between flanks flatter than FLANK_RATIO of the turn, directional,
    longer than twice their band and than the eye resolves, turning by more than a crossing of
    the surface's noise around them can (`ring`, a noise sigma); and their length along.
    band: (share, lines, principal) from `_band_share` and `_chain_extents`. A chain is as
    long as what its own lines account for, along / turn; its bands' principal is as long as
    its band, that over its share, at most its lines (a two-chord hull box's 2.3 mm edge: its
    chain holds the middle line and half its band's turn, and on its own lines read 1.5 mm
    against a band 1 mm wide)."""
    turn, radius = md["turn"], md["radius"]
    share, lines, principal = band
    with np.errstate(invalid="ignore", divide="ignore"):
        length = along / turn
        width = radius * turn
        crease = np.where(principal, np.fmin(length / share, lines), length)
    keep = (md["n_found"] >= np.maximum(1, 0.5 * md["n_all"])) & np.isfinite(turn) & \
        (turn >= turn_min - ANGLE_EPS) & (md["ratio"] <= FLANK_RATIO) & np.isfinite(radius) & \
        (iso <= CHAIN_ANISOTROPY)
    keep &= crease >= 2.0 * np.fmax(width, md["res"])  # a speck: shorter than its own band
    # a crease turns by more than one crossing of the surface's own noise can (_ring_noise)
    keep &= turn >= NOISE_TURNS * ring
    # an edge shorter than the eye resolves is a point: its highlight is a glint, not a line
    keep &= crease >= eye
    return keep, length


RING_ROWS = 4  # rows of faces about a chain whose turns give the surface's noise there: a
# sigma from the median absolute deviation of n turns scatters by about 1.2/sqrt(n) of itself;
# two rows beside a short chain on a noisy scan hold 20-50 turns (a fifth to a quarter off, and
# the chains kept were those whose ring read low: 5-10 degrees where the turns scatter by
# 17-21), four hold 60-110


def _ring_noise(analysis, mf, ml, ncomp, turn_min):
    """Per chain, the surface's own noise around it (its member faces `mf` labelled `ml`):
    the spread of the signed turns between the faces within RING_ROWS of its faces, sigma
    from their median absolute deviation about their median (a scatter, so a form's steady
    curvature, a revolve's facets turning alike, is no noise), leaving out the crossings that
    turn by turn_min or more: creases of their own (a coarse CAD prism's other edges are most
    of the turns beside each). The sigma is that of the normal spread whose part within
    turn_min has that median absolute deviation (_truncated_sigma): under noise of 18 degrees
    the cut tail past 1.7 sigma would read it a fifth low; 0 where nothing turns against the
    ring's own sense by tessellation noise's worth (noise turns both ways, a clean part's
    facets one). A line of crossings a noisy
    scan's facets happen to turn along (a sphere under vertex noise of 14 % of an edge: 30-45
    degree creases among crossings whose turns scatter by 18) is the surface, not an edge; on
    a clean mesh the ring's turns are all alike and it is 0."""
    fn, fcen = analysis.face_normals, analysis.face_centroids
    x, y = analysis.cached("creases:face_pairs", _face_pairs)
    near = np.zeros(len(fcen), bool)  # (only the turns within reach of a chain are read)
    near[mf] = True
    for _ in range(RING_ROWS):
        near[y[near[x]]] = True
    k = near[x]
    x, y = x[k], y[k]
    cosang = np.clip(np.einsum("ij,ij->i", fn[x], fn[y]), -1.0, 1.0)
    convex = np.einsum("ij,ij->i", fn[x], fcen[y] - fcen[x]) <= 0.0
    val = np.where(convex, 1.0, -1.0) * np.arccos(cosang)
    nc = np.int64(max(ncomp, 1))
    member = np.unique(mf.astype(np.int64) * nc + ml)
    seen = member
    for _ in range(RING_ROWS):
        e, lab = _edges_from(x, seen // nc, seen % nc)
        key = y[e].astype(np.int64) * nc + lab
        seen = np.union1d(seen, key)
    ring = np.setdiff1d(seen, member)
    # every turn between two faces of the ring, or from the ring to the chain's outside
    e, lab = _edges_from(x, ring // nc, ring % nc)
    m = ~np.isin(y[e].astype(np.int64) * nc + lab, member) & (np.abs(val[e]) < turn_min)
    lab, v = lab[m], val[e[m]]
    ones = np.ones(len(lab))
    mid = _weighted_quantile(v, ones, lab, ncomp, 0.5)
    mad = _weighted_quantile(np.abs(v - mid[lab]), ones, lab, ncomp, 0.5)
    sigma = _truncated_sigma(mad, turn_min)
    # noise turns the surface both ways, a clean part's facets one way only. Where nothing in
    # the ring turns against its own sense by as much as tessellation noise does (the median
    # of those turns under MIN_EDGE_TURN_RAD, or none at all) the surface there is clean and
    # its scatter is form: a convex CAD part's flats turn 0 degrees at their diagonals, its
    # fillets' chords and corner patches 4-29.5, a mixture whose deviation read 58 degrees of
    # noise and dropped 8 of a rounded box's 12 edges. Elsewhere (a scan) the scatter stands
    sense = np.sign(mid)
    against = (sense[lab] != 0) & (np.sign(v) == -sense[lab])
    tail = np.zeros(ncomp)
    if against.any():
        tail = np.nan_to_num(_weighted_quantile(np.abs(v[against]), ones[against],
                                                lab[against], ncomp, 0.5))
    clean = (sense != 0) & np.isfinite(sense) & (tail < MIN_EDGE_TURN_RAD)
    sigma = np.where(clean, 0.0, sigma)
    return np.where(np.isnan(sigma), 0.0, sigma)  # (no turn beside it: no noise seen)


def _truncated_sigma(mad, cut):
    """The sigma of a centred normal spread whose values within +-cut have median absolute
    value `mad`: 2 Phi(mad / sigma) - 1 = (2 Phi(cut / sigma) - 1) / 2, solved on a grid of
    sigma / cut (mad / cut rises from 0.674 sigma / cut for narrow spreads to 1/2, a uniform
    one's, for wide ones; at or past 1/2 the spread is wider than any: inf)."""
    from scipy.special import ndtr, ndtri

    s = np.geomspace(1e-3, 1e3, 600)
    r = s * ndtri(0.5 + 0.5 * (ndtr(1.0 / s) - 0.5))
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.asarray(mad, float) / cut
        out = np.interp(q, r, s) * cut
    return np.where(q >= r[-1], np.inf, out)


def _edges_from(x, ff, fl):
    """The directed edges (ids into x, their faces) leaving each of the faces ff, once per its
    label fl: (edge ids, their labels)."""
    e, j = _attached(ff, x)
    return e, fl[j]


def _ranged(prof) -> np.ndarray:
    """Per section: whether its reading carries a range of its own (r_lo, r_hi): a ramp's
    (_band_ramp: the widths its residual cannot tell apart) or a one-row reading, or one whose
    faces the noise tilts a quarter of its turn, on a noisy body that may be a rounded form's
    (flanks._form_allowed) or whose turn may hide anywhere over the noisy faces around it
    (flanks._hidden_run), or a level reading read from its turn's moments whose quarter
    points the noise moves as far (`split`: both readings are its range,
    flanks._moment_reading)."""
    none = np.zeros(len(prof["ramp"]), bool)
    return prof["ramp"] | prof.get("formed", none) | prof.get("split", none)


def _interval(md, ids, r, h, t):
    """The radius interval of chains `ids` reading r over turn t with rows h (their medians
    `md`): the row the band's width is known to and the noise term about r, and the ramp
    sections' ranges (_band_ramp: the band widths their residual cannot tell apart). A
    median is monotone in each value: wherever in its range each ramp section's reading lies,
    the chain's median lies between the medians taken with every ramp section at the low end
    of its range and with every one at the high end (the largest shift of any one section,
    taken instead, left a chain its other readings keep undetermined wherever one ramp
    section among them had a wide range: edges:1085's 0.115 mm rims read [0.010, 4.3])."""
    dn = np.nan_to_num(md["noisy"][ids])
    row = _row_term(h, md["skew"][ids], r * t / h, md["share"][ids]) / t
    # ... and no higher than its sections' own lower ends say (their median): r, h and t are
    # medians taken apart, from different sections, and a rim every section reads as one
    # crossing (R in [0, 2h/t] there) read [0.003, ...] for a razor crease
    lo = np.fmin(np.maximum(0.0, np.fmin(r - row, md["row_lo"][ids]) - dn), md["med_lo"][ids])
    # a bevel whose footprint fits inside one row is not seen by the mesh at all: the upper
    # end is never below the row (the lead's rule for one-row creases, where 2 h / turn
    # would be less than h: turns over 115 degrees)
    hi = np.fmax(np.maximum(r + row + dn, h), md["med_hi"][ids])
    return lo, hi


def _middle(x, sel, chain, ncomp):
    """Per chain, the median of x over the sections `sel`: with an even count, the middle of
    its two middle values."""
    ch, ones = chain[sel], np.ones(int(np.count_nonzero(sel)))
    return 0.5 * (_weighted_quantile(x[sel], ones, ch, ncomp, 0.5) +
                  _weighted_quantile(x[sel], ones, ch, ncomp, 0.5 + MEDIAN_EPS))


def _edge_readings(prof, ok, chain, ncomp) -> np.ndarray:
    """The sections of `ok` a chain's edge is read from: those whose flanks are flatter than
    FLANK_RATIO of their band (a section whose flanks turn more read a form there, step 5,
    and its band's turn and width are no bevel's); all of a chain's where none are."""
    edge = ok & (prof["ratio"] <= FLANK_RATIO)
    return ok & (edge | (np.bincount(chain[edge], minlength=ncomp) == 0)[chain])


def _chain_medians(seeds, st, prof, ok=None) -> dict:
    """Per chain, medians over its good sections (or those of `ok`): turn, radius, row (res),
    skew, extent, flank ratio, convexity; the noise term of its radius; its good and counted
    sections; the medians with every ramp section at the low or the high end of its range."""
    ncomp = seeds["ncomp"]
    ok = prof["ok"] if ok is None else ok
    ch_all = st["chain"]
    n_ok = np.bincount(ch_all[ok], minlength=ncomp)
    # (a section cut obliquely found the chain's band, though it reads no radius of it)
    n_found = np.bincount(ch_all[ok | prof["oblique"]], minlength=ncomp)
    # whether the chain is an edge is judged over all its good sections (its flank ratio's
    # median, below); what the edge reads, over those that read an edge (_edge_readings).
    # (Taken with the rest, a ring's noise zig-zag whose two
    # form sections read 36-40 degrees over 0.03-0.06 mm outvoted the two that read the
    # 0.47 mm fillet it ran into, a razor edge on a wall with none: edges:7019)
    good = ok
    ok = _edge_readings(prof, ok, ch_all, ncomp)
    ch = ch_all[ok]
    ones = np.ones(len(ch))

    def med(x):
        return _weighted_quantile(x[ok], ones, ch, ncomp, 0.5)

    # (sections that read another crease than their own are not counted against a chain)
    n_all = np.bincount(st["chain"][~prof["elsewhere"]], minlength=ncomp)
    # (the radius of an even count is the middle of its two middle readings, as the ratio's
    # below: the lower one alone read edges:4008's 1.15 mm rim 0.94 over six sections whose
    # middle two read 0.94 and 1.06)
    radius = _middle(prof["radius"], ok, ch_all, ncomp)
    # the noise term averages over the chain's good sections; the row does not
    n_r = np.bincount(ch, minlength=ncomp)  # (the sections read)
    noisy = med(prof["noise_r"]) / np.sqrt(np.maximum(n_r, 1))
    # ... and no less than the median's own standard error over the chain's sections (their
    # scatter along a jittered or twisted rim: which sections a chain is cut at is a sample)
    scatter = NOISE_SIGMA_PER_MAD * med(np.abs(prof["radius"] - radius[st["chain"]]))
    noisy = np.fmax(noisy, MEDIAN_SE * scatter / np.sqrt(np.maximum(n_r, 1)))
    # (the median of an even count is anywhere between its two middle values: with its ramp
    # sections at the high ends of their ranges, the upper of the two; so with the sections
    # whose reading may be a form's, flanks._form_allowed)
    ramp = _ranged(prof)
    n_ramp = np.bincount(st["chain"][ok & ramp], minlength=ncomp)
    # the flank ratio's median is the middle of the two middle sections where their number is
    # even (the lower one alone called a swept wall's lobe an edge: two of its four good
    # sections read 0.07, two read 0.54)
    ratio = _middle(prof["ratio"], good, ch_all, ncomp)
    with np.errstate(invalid="ignore", divide="ignore"):
        row_s = _row_term(prof["res"], prof["skew"], prof["radius"] * prof["theta"] / prof["res"],
                          prof["share"]) / prof["theta"]
    return dict(n_ok=n_ok, n_found=n_found, n_all=n_all, turn=med(prof["theta"]), radius=radius,
                row_lo=_middle(prof["radius"] - row_s, ok, ch_all, ncomp),
                med_lo=np.where(n_ramp > 0, med(np.where(ramp, prof["r_lo"], prof["radius"])),
                                np.nan),
                med_hi=np.where(n_ramp > 0, _weighted_quantile(
                    np.where(ramp, prof["r_hi"], prof["radius"])[ok], ones, ch, ncomp,
                    0.5 + MEDIAN_EPS), np.nan),
                res=med(prof["res"]), skew=med(prof["skew"]), noisy=noisy,
                share=_weighted_quantile(prof["share"][ok], ones, ch, ncomp, 1.0),
                extent=med(prof["extent"]), ratio=ratio, turn_sd=med(prof["turn_sd"]),
                convex=med(prof["convex"].astype(float)) >= 0.5)


def _chain_extents(analysis, seeds):
    """Per chain, from its turning edges: turn x length along its direction (a.T.a summed:
    over the turn, its length whatever the edges' orientation on a band), its centre weighted
    by turn x length, its direction, the median anisotropy of its crease faces, and the length
    of its lines (its turning edges' lengths along its direction, summed)."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    v = analysis.model.vertices
    ce, f1, f2, theta, ell, ehat = (seeds[k] for k in ("ce", "f1", "f2", "theta", "ell", "ehat"))
    ev = seeds["ev"]
    fe = _edge_face(fc, f1, f2, seeds["first"])
    ech = fc[fe]
    ke = ech >= 0
    ech, fe = ech[ke], fe[ke]
    tl = theta[ke] * ell[ke]
    ax = seeds["axis"][fe]
    along = np.bincount(ech, weights=tl * np.einsum("ij,ij->i", ehat[ke], ax) ** 2,
                        minlength=ncomp)
    lines = np.bincount(ech, weights=ell[ke] * np.abs(np.einsum("ij,ij->i", ehat[ke], ax)),
                        minlength=ncomp)
    tlen = np.bincount(ech, weights=tl, minlength=ncomp)
    mid = 0.5 * (v[ev[ce[ke], 0]] + v[ev[ce[ke], 1]])
    cen = np.stack([np.bincount(ech, weights=tl * mid[:, j], minlength=ncomp)
                    for j in range(3)], 1) / np.maximum(tlen, 1e-300)[:, None]
    T6 = _sym6(ehat[ke], tl)
    Tc = np.stack([np.bincount(ech, weights=T6[:, j], minlength=ncomp) for j in range(6)], 1)
    axis_c = sym_eig_top(Tc)[2]
    isf = np.flatnonzero((fc >= 0) & np.isfinite(seeds["iso"]))
    iso = _weighted_quantile(seeds["iso"][isf], np.ones(len(isf)), fc[isf], ncomp, 0.5)
    return along, cen, axis_c, iso, lines


def _band_share(analysis, seeds, st, prof):
    """Per chain: the share of the turn across its measured bands that its own turning edges
    carry (1 where it has no measured band). `along` / turn is the chain's length only where
    the chain holds every turning line across its band; where the seeds split a band between
    chains row by row (a two-chord rim: the triangles on its middle line are one chain, those
    on one outer line another, those on the third line none), it holds a part of the turn
    and that would read as a part of the length. Counted over the turning edges its good
    sections crossed in their bands (the band's end crossings included: the edges of the faces
    inside a band that its section's plane cuts) that run along the crease (within AXIS_COS of
    the section's direction), each edge's signed turn x |ehat.a|: the band's own lines,
    whichever chain (or none) holds them, each where it runs past the section.
    Also per chain whether it is its bands' principal: it holds more of their turn than any
    other chain does, and than the lines no chain holds do together (True where it has no
    measured band). A principal's band is its crease; a chain beside one holds a fragment."""
    n = seeds["ncomp"]
    share = np.ones(n)
    principal = np.ones(n, bool)
    bs, bf = prof["band_faces"]
    g = prof["ok"][bs] & (st["chain"][bs] >= 0)
    bs, bf = bs[g], bf[g]
    if len(bs) == 0:
        return share, principal
    fc = seeds["face_chain"]
    f1, f2 = seeds["f1"], seeds["f2"]
    ech = fc[_edge_face(fc, f1, f2, seeds["first"])]
    # the turning edges of each band face: edges listed by face (each edge under both faces)
    rep, j = _attached(np.r_[f1, f2], bf)
    s_, e_ = bs[rep], j % len(f1)
    # (an edge between two band faces once per section)
    key = np.unique(s_.astype(np.int64) * len(f1) + e_)
    s_, e_ = key // len(f1), key % len(f1)
    # ... those the section crosses: the band's own lines, where the walk entered and left
    # each face inside it (a band face's other edges may belong to another crease: a hull
    # box's face is two long triangles, each edged by the box's edges on two sides)
    v = analysis.model.vertices
    ev = seeds["ev"][seeds["ce"][e_]]
    a = st["a"][s_]
    h0 = np.einsum("ij,ij->i", v[ev[:, 0]] - st["p"][s_], a)
    h1 = np.einsum("ij,ij->i", v[ev[:, 1]] - st["p"][s_], a)
    # ... and run along the crease, as the band's lines do (a section through a cut corner
    # crosses the corner's edges, which run across it: another crease's band)
    cross = (h0 * h1 <= 0.0) & \
        (np.abs(np.einsum("ij,ij->i", seeds["ehat"][e_], a)) >= AXIS_COS)
    s_, e_, a = s_[cross], e_[cross], a[cross]
    # (a line of edges at ehat turning theta adds theta |ehat.a| to `along` per length of
    # crease, whatever its edges' lengths: the turn it carries past the section), signed: the
    # way the normal turns about a going across (convex +), so that a noisy band's crossings
    # that turn back and forth count by their net turn (on a sculpt's 6 mm rim the band's
    # crossings turned 210 degrees by their sizes and 90 net)
    fn, fcen = analysis.face_normals, analysis.face_centroids
    g1, g2 = f1[e_], f2[e_]
    rot = np.einsum("ij,ij->i", np.cross(fn[g1], fn[g2]), a)
    across = np.einsum("ij,ij->i", fcen[g2] - fcen[g1], np.cross(a, fn[g1] + fn[g2]))
    w = seeds["theta"][e_] * np.abs(np.einsum("ij,ij->i", seeds["ehat"][e_], a)) * \
        np.sign(rot) * np.sign(across)
    c = st["chain"][s_]
    tot = np.bincount(c, weights=w, minlength=n)
    own = np.bincount(c, weights=w * (ech[e_] == c), minlength=n)
    # (the band's net turn the same way as the chain's own: a share of it, at most the whole)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = own / tot
    has = np.isfinite(q) & (q > 0)
    share[has] = np.minimum(q[has], 1.0)
    # each other holder's net turn in the chain's bands (the lines of no chain as one holder)
    holder = ech[e_].astype(np.int64)
    other = holder != c
    key, inv = np.unique(c[other].astype(np.int64) * (n + 1) + holder[other] + 1,
                         return_inverse=True)
    most = np.full(n, -np.inf)
    np.maximum.at(most, key // (n + 1), np.bincount(inv, weights=w[other], minlength=len(key)))
    measured = np.bincount(c, minlength=n) > 0
    principal[measured] = own[measured] > most[measured]
    return share, principal


def _chain_places(analysis, seeds, st, prof, face_chain, new, ids, radius, res, turn, cen):
    """Where each kept chain is (in its new order): its point on the crease, the first
    PLACE_FACES of its faces nearest that point, and how many faces it has."""
    # where a chain is: its face nearest the turn-weighted centre (a ring's centre lies on
    # its axis, in the air), and the faces around that one, among the chain's faces that curve
    # at least as much as its median face: the crease itself, not the flank faces grown onto
    # it (a row of 1.5 mm wall slivers beside a one-chord rim has its middle 0.75 mm away)
    cf = np.flatnonzero(face_chain >= 0)
    lab = face_chain[cf]
    kf = seeds["kappa"][cf]
    core = kf >= _weighted_quantile(kf, np.ones(len(cf)), lab, len(ids), 0.5)[lab]
    # ... and among those, the faces inside the bands its good sections measured, where it
    # has any: the finding points where its radius was read (a chain run over a one-row wall
    # from a 0.013 mm fillet to a 0.14 mm one is measured, and must be placed, on the first)
    # (the bands of the sections that read the chain's own radius, within its interval: a
    # section of the same chain that read the far fillet measured a band there)
    inband = np.zeros(len(face_chain), bool)
    bs, bf = prof["band_faces"]
    bc = new[st["chain"][bs]]
    with np.errstate(invalid="ignore", divide="ignore"):
        rr, hh, tt = radius[ids], res[ids], turn[ids]
        lo_c, hi_c = np.maximum(rr - hh / tt, 0.0), np.maximum(rr + hh / tt, hh)
        agree = (bc >= 0) & prof["ok"][bs]
        agree[agree] = (prof["radius"][bs[agree]] >= lo_c[bc[agree]]) & \
            (prof["radius"][bs[agree]] <= hi_c[bc[agree]])
    inband[bf[agree]] = True
    measured = core & inband[cf]
    has = np.bincount(lab[measured], minlength=len(ids)) > 0
    core = np.where(has[lab], measured, core)
    cf, lab = cf[core], lab[core]
    # ... and its point is on the crease, where the section that read the chain's radius
    # found its band (the band's turn-weighted centre): beside a rim one row of slivers
    # wide, a face's centroid lies half a sliver off the crease, as near the wall's other
    # rim, and the finding (and its measurement) would seem to be about that rim
    anchor, sec = _anchor_section(st, prof, new, radius[ids], cen[ids])
    d = np.linalg.norm(analysis.face_centroids[cf] - anchor[lab], axis=1)
    # ... and no farther off its crease there than that section's band reaches: a face
    # farther off is on another crease the chain's faces run onto (edges:55016, a 0.66 mm
    # fillet beside a 0.018 mm rim on 2.3 mm slivers, listed three rim faces 2.5 mm off its
    # point, and the place stood on the rim). Along the crease, the nearest faces are its own
    # (a razor's band is a face wide; the next faces along it are still on it). Its nearest
    # face stays, so no place is left without one.
    reach = _band_reach(analysis, st, prof, sec, anchor) + \
        PLACE_ROW_SLACK * np.nan_to_num(res[ids])
    near = ~(_off_the_crease(analysis, st, sec, anchor, cf, lab) > reach[lab])
    o = np.lexsort((cf, d, lab))
    near[o[np.r_[True, lab[o][1:] != lab[o][:-1]][:len(o)]]] = True
    o = o[near[o]]
    fo, lab = cf[o], lab[o]
    # (each chain's own faces only: a chain holding fewer than PLACE_FACES would list the next
    # chain's, on another rim)
    starts = np.searchsorted(lab, np.arange(len(ids)))
    ends = np.searchsorted(lab, np.arange(len(ids)), side="right")
    first = [tuple(int(x) for x in fo[s:min(e, s + PLACE_FACES)]) for s, e in zip(starts, ends)]
    where = anchor if len(ids) else np.zeros((0, 3))
    return where, first, np.bincount(lab, minlength=len(ids))


def _row_term(h, skew, rows, share):
    """How far the band's width R Theta is known from the mesh's rows alone (mm; the radius
    interval is this over Theta, plus the noise term). In general one row h: a face's normal
    is the surface's somewhere between its corners, so where a quarter of the turn is reached
    is known to about half a row either way. Where every turning edge of the band runs along
    the crease (reaching `skew` across it: 0 on rows drawn along the fillet's profile lines, as
    a revolve, an extrusion or a CAD fillet draws them) on a clean mesh, the section is a
    polygon inscribed in the profile and the radius is read from where its tangent lines are
    (_tangent_radius, under ROW_TANGENT_MAX_ROWS rows) or from its quarter points (beyond):
    within 0.34 h / Theta of the truth at any phase, turns of 30-150 degrees, rows up to 25 %
    uneven, from ROW_ALIGNED_MIN_ROWS rows read (docs/edges.md, "rows along the crease"):
    `share` of a row is kept (ROW_ALIGNED_SHARE; VERTEX_SHARE where every good section was
    read from its middle vertex or the faces' corners: the largest section's share is the
    chain's), and each edge's reach across moves the band's ends by half of it each (2 skew
    of width). Fewer rows, or edges across the crease: the whole row; but a band read from
    its vertex or corners is exact at any rows where the mesh is clean (a circle tangent to
    both flank planes through a point on the arc is unique, radius._corner_radius), and
    keeps VERTEX_SHARE however few rows it has (a noisy band is read so only from
    ROW_ALIGNED_MIN_ROWS rows)."""
    aligned = np.minimum(h, share * h + 2.0 * np.nan_to_num(skew, nan=np.inf, posinf=np.inf))
    return np.where((rows >= ROW_ALIGNED_MIN_ROWS) | (share <= VERTEX_SHARE), aligned, h)


def _on_walk(st, prof, s, cen) -> np.ndarray:
    """Which sections s have their band's centre cen on their walk (walked again as far as
    REWALK_WIDTHS of its band): a level reading's turns run either way, and where they nearly
    cancel their weighted mean is no place (lettered_base's 0.033 mm razor was placed 1.5e15 mm
    away)."""
    walk = np.fmax(st["reach"][s], REWALK_WIDTHS * prof["width"][s]) + prof["width"][s]
    return np.isfinite(cen).all(axis=1) & (np.linalg.norm(cen - st["p"][s], axis=1) <= walk)


def _off_the_crease(analysis, st, sec, anchor, faces, ch) -> np.ndarray:
    """How far the faces' centroids lie from the crease line through their chain ch's point
    (anchor), along the crease direction of its section sec (its plane's normal; nan where no
    section placed the chain: no bound)."""
    t = np.where((sec[ch] >= 0)[:, None], st["a"][np.maximum(sec[ch], 0)], np.nan)
    v = analysis.face_centroids[faces] - anchor[ch]
    return np.linalg.norm(v - np.einsum("ij,ij->i", v, t)[:, None] * t, axis=1)


def _band_reach(analysis, st, prof, sec, anchor) -> np.ndarray:
    """Per kept chain: how far off its crease line (_off_the_crease) the faces of the band its
    section sec read lie (inf where no section placed it)."""
    owner = np.full(len(prof["ok"]), -1)
    placed = np.flatnonzero(sec >= 0)
    owner[sec[placed]] = placed
    bs, bf = prof["band_faces"]
    mine = owner[bs] >= 0
    ch, bf = owner[bs][mine], bf[mine]
    far = np.zeros(len(sec))
    np.maximum.at(far, ch, _off_the_crease(analysis, st, sec, anchor, bf, ch))
    return np.where(np.bincount(ch, minlength=len(sec)) > 0, far, np.inf)


def _anchor(st, prof, new, radius, cen):
    """The chains' points (_anchor_section's first half)."""
    return _anchor_section(st, prof, new, radius, cen)[0]


def _anchor_section(st, prof, new, radius, cen):
    """Per kept chain (new ids): the band centre of the section its edge is read from
    (_edge_readings) whose radius is nearest the chain's, ties to the one nearest its
    turn-weighted centre; that centre itself where no section qualifies. (Among all its good
    sections, a form section's band could be nearest: edges:7019's wall of noisy slivers,
    its chain reading its 0.038 mm foot, was placed at a 15-degree wall kink 0.47 mm above
    it, where the 0.47 mm top fillet was the nearest edge.) And that section (-1 where
    none)."""
    out = np.array(cen, float, copy=True)
    sec = np.full(len(out), -1)
    gs = np.flatnonzero(_edge_readings(prof, prof["ok"], st["chain"], len(new)))
    gch = new[st["chain"][gs]]
    gs, gch = gs[gch >= 0], gch[gch >= 0]
    c = prof["centre"][gs]
    fine = _on_walk(st, prof, gs, c)
    gs, gch, c = gs[fine], gch[fine], c[fine]
    if len(gs) == 0:
        return out, sec
    # (compared quantised, and ties by place: sections mirror-symmetric about the chain's
    # centre tie up to the last bits, which the listing order decides)
    # (the chain's own stations' span, not the centres': a reading's centre may lie far off;
    # and not the model's: a part added far away would move the quantum, and with it which
    # of a CAD pin's equal sections places its chain)
    p = st["p"][gs]
    n = int(gch.max()) + 1
    hi = np.full((n, 3), -np.inf)
    lo = np.full((n, 3), np.inf)
    np.maximum.at(hi, gch, p)
    np.minimum.at(lo, gch, p)
    mag = np.zeros(n)
    np.maximum.at(mag, gch, np.abs(p).max(axis=1))
    span = ((hi - lo).max(axis=1) + mag)[gch]
    dev = _quantised(np.abs(prof["radius"][gs] - radius[gch]), span)
    dc = _quantised(np.linalg.norm(c - cen[gch], axis=1), span)
    q = _quantised(c, span[:, None])
    o = np.lexsort((gs, q[:, 2], q[:, 1], q[:, 0], dc, dev, gch))
    g = gch[o]
    head = np.r_[True, g[1:] != g[:-1]]
    out[g[head]] = c[o][head]
    sec[g[head]] = gs[o][head]
    return out, sec


def _relabel(seeds, a, b):
    """Merge the chains joined by the pairs (a[i], b[i]) (chain ids): face labels renumbered
    0..n-1 in order of their smallest old id."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = seeds["ncomp"]
    g = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    ncomp, lab = connected_components(g, directed=False)
    fc = seeds["face_chain"]
    seeds["face_chain"] = np.where(fc >= 0, lab[np.maximum(fc, 0)], -1)
    seeds["ncomp"] = ncomp
    return lab


def _merge_along(analysis, seeds):
    """Join chains that continue one another along the crease across a gap of a few faces
    whose own directions were too noisy to link (an irregular or noisy band): the nearest
    boundary faces of two chains on one body link when they lie within LINK_ROWS of their
    size, on one line with both their crease directions, curve the same way, and the two
    chains curve alike (median curvature within LINK_KAPPA of each other: surface noise that
    happens to reach the detection threshold beside a fillet is no part of it)."""
    from scipy.spatial import cKDTree

    fc = seeds["face_chain"]
    n = seeds["ncomp"]
    ev_faces = analysis.cached("creases:edge_faces", _analysis_edge_faces)[1]
    fa, fb = ev_faces[:, 0], ev_faces[:, 1]
    edge_of_two = (fc[fa] != fc[fb]) & ((fc[fa] >= 0) | (fc[fb] >= 0))
    rim = np.zeros(len(fc), bool)  # chain faces beside another chain or no chain
    rim[fa[edge_of_two]] = True
    rim[fb[edge_of_two]] = True
    own = (fc >= 0) & np.isfinite(seeds["iso"])  # crease faces, not those grown over
    rim &= own
    r = np.flatnonzero(rim)
    if len(r) < 2 or n < 2:
        return
    cf = np.flatnonzero(own)
    ones = np.ones(len(cf))
    kap = _weighted_quantile(seeds["kappa"][cf], ones, fc[cf], n, 0.5)
    cvx = _weighted_quantile(seeds["convex"][cf].astype(float), ones, fc[cf], n, 0.5) >= 0.5
    c = analysis.face_centroids[r]
    size = np.sqrt(2.0 * analysis.face_areas[r])
    k = min(LINK_NEIGHBOURS + 1, len(r))
    # a crease runs on one surface: neighbours are sought within a body (a fourth coordinate,
    # the body's id times more than the model's span, keeps every other body out of reach, so
    # a stud set into a floor neither joins the floor's creases nor crowds out their links)
    body = analysis.body_labels[r]
    span = float(np.ptp(c, axis=0).max()) + 1.0
    # (no link reaches past LINK_ROWS of the largest rim face: the search stops there)
    c4 = np.c_[c, body * 4.0 * span]
    dist, nb = cKDTree(c4).query(c4, k=k, distance_upper_bound=LINK_ROWS * float(size.max()))
    i = np.repeat(np.arange(len(r)), k - 1)
    j = nb[:, 1:].ravel()
    d = dist[:, 1:].ravel()
    ok = (j < len(r)) & np.isfinite(d)
    i, j, d = i[ok], j[ok], d[ok]
    fi, fj = r[i], r[j]
    ci, cj = fc[fi], fc[fj]
    # the cheap tests first (most neighbours lie in the same chain): the same links, sooner
    near = (ci != cj) & (body[i] == body[j]) & (d <= LINK_ROWS * np.maximum(size[i], size[j]))
    i, j, d, fi, fj, ci, cj = (x[near] for x in (i, j, d, fi, fj, ci, cj))
    ax = seeds["axis"]
    dhat = (c[j] - c[i]) / np.maximum(d, 1e-300)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        alike = (cvx[ci] == cvx[cj]) & (np.maximum(kap[ci], kap[cj]) <=
                                        LINK_KAPPA * np.minimum(kap[ci], kap[cj]))
    # two faces each on one hard edge continue one crease only where their edges are one
    # line of hard edges: near a coarse prism's side both rims lie within the link's reach
    # and run alike (a rim joined its parallel rim across the side, round three corners)
    la, lb = _face_lines(analysis, seeds, len(fc))
    share = ((la[fi] == la[fj]) | (la[fi] == lb[fj]) | ((lb[fi] == la[fj]) & (lb[fi] >= 0)) |
             ((lb[fi] == lb[fj]) & (lb[fi] >= 0)))
    alike &= (la[fi] < 0) | (la[fj] < 0) | share
    link = alike & \
        (np.abs(np.einsum("ij,ij->i", ax[fi], ax[fj])) >= AXIS_COS) & \
        (np.abs(np.einsum("ij,ij->i", dhat, ax[fi])) >= AXIS_COS) & \
        (np.abs(np.einsum("ij,ij->i", dhat, ax[fj])) >= AXIS_COS)
    # (the costlier test last, on the pairs the others link)
    link[link] = _on_line(analysis, ax, fi[link], fj[link])
    if link.any():
        _relabel(seeds, ci[link], cj[link])


def _on_line(analysis, ax, fi, fj):
    """Whether faces fi and fj (pairs) lie on one line of crease across: each one's centroid
    within the larger of the two faces' extents across the other's crease direction (in its
    plane: the ptp of its corners projected on a x n)."""
    cen = analysis.face_centroids
    v, f = analysis.model.vertices, analysis.model.faces
    out = np.ones(len(fi), bool)
    for a, b in ((fi, fj), (fj, fi)):
        across = np.cross(ax[a], analysis.face_normals[a])
        across /= np.maximum(np.linalg.norm(across, axis=1), 1e-300)[:, None]
        ext_a = np.ptp(np.einsum("fkj,fj->fk", v[f[a]], across), axis=1)
        ext_b = np.ptp(np.einsum("fkj,fj->fk", v[f[b]], across), axis=1)
        off = np.abs(np.einsum("ij,ij->i", cen[b] - cen[a], across))
        out &= off <= np.maximum(ext_a, ext_b)
    return out


def _face_lines(analysis, seeds, nf):
    """Per face: the hard lines (_polylines over every hard edge) of its hard edges, where it
    touches one or two (-1: none; a face on three is a coarse solid's corner: unconstrained)."""
    hs = np.flatnonzero(seeds["strong"])
    la, lb = np.full(nf, -1), np.full(nf, -1)
    if len(hs) == 0:
        return la, lb
    lab = _polylines(analysis, seeds, hs)[0]
    f = np.r_[seeds["f1"][hs], seeds["f2"][hs]]
    key = np.unique(f.astype(np.int64) * (int(lab.max()) + 1) + np.r_[lab, lab])
    f, ln = key // (int(lab.max()) + 1), key % (int(lab.max()) + 1)
    head = np.r_[True, f[1:] != f[:-1]]
    la[f[head]] = ln[head]
    second = np.r_[False, ~head[1:]] & np.r_[True, head[:-1]]  # the second of a face's lines
    lb[f[second]] = ln[second]
    many = np.bincount(f, minlength=nf) > 2  # a corner of three lines: no one line (and which
    la[many] = -1  # two would be kept is the labels' order, i.e. the file's)
    lb[many] = -1
    return la, lb


def _merge_across(analysis, seeds, st, prof):
    """Join chains whose faces lie inside one station's measured band (the band split
    lengthwise into pieces): the section saw them turn as one crease. Only faces whose own
    crease direction runs along the station's, and only into chains whose own good sections
    measured the same crease (same way, turn within LINK_TURN, radius intervals overlapping
    within LINK_RADIUS): a patch of surface noise beside a fillet stays out. A face the band
    reaches only beyond where it could turn (_in_turn: its ends lie where its crossings go
    quiet, which on a flank of folding facets may be far past its turn) joins only a chain
    whose own medians agree with the station's chain's as well. Nor through a
    bridge (_bridges: a chain beside two creases no section saw as one), whose stations go
    to the crease they read instead. Last, a chain walled in by a crease's chain joins it,
    whatever its sections read (_enclosed)."""
    si, f = prof["band_faces"]
    fc = seeds["face_chain"]
    # only sections that read an edge (flanks flatter than FLANK_RATIO of the turn) saw a
    # crease, and only a chain whose sections read one measured a crease to be joined: a
    # section whose flank reading ran on into another crease read a form, neither this band
    # nor that. (A round base's one-row wall: its faces, a chain of their own, read the hard
    # foot with the wall's flank running on into the 6-chord top fillet, 127 degrees at flank
    # ratio 0.47; a fillet band's clipped corner on a wall face joined the two, and the
    # wall's sections, half the joined chain's, took the fillet's median flank ratio over
    # FLANK_RATIO: neither rim was kept)
    edge = prof["ok"] & ~prof["ramp"] & (prof["ratio"] <= FLANK_RATIO)
    # (not a ramp's band, _band_ramp: where its ends lie is known only to the range of widths
    # its residual cannot tell apart, so the faces inside it are not known to be the crease's)
    m = (fc[f] >= 0) & edge[si]
    si, f = si[m], f[m]
    par = np.abs(np.einsum("ij,ij->i", seeds["axis"][f], st["a"][si])) >= AXIS_COS
    si, f = si[par], f[par]
    a, b = st["chain"][si], fc[f]
    m = a != b
    si, a, b = si[m], a[m], b[m]
    near = _in_turn(analysis, st, prof, si, f[m])  # (only the faces of other chains)
    if len(a) == 0:
        return
    n = seeds["ncomp"]
    ok = edge  # (the chains as their other readings measured them, where they read edges)
    ch = st["chain"][ok]
    ones = np.ones(len(ch))
    t, r, h, cv = (_weighted_quantile(prof[k][ok].astype(float), ones, ch, n, 0.5)
                   for k in ("theta", "radius", "res", "convex"))
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.maximum(r - h / t, 0.0) / LINK_RADIUS
        hi = np.maximum(r + h / t, h) * LINK_RADIUS
        ts, rs, hs = prof["theta"][si], prof["radius"][si], prof["res"][si]
        los = np.maximum(rs - hs / ts, 0.0) / LINK_RADIUS
        his = np.maximum(rs + hs / ts, hs) * LINK_RADIUS
        same = np.isfinite(t[b]) & ((cv[b] >= 0.5) == prof["convex"][si]) & \
            (np.abs(t[b] - ts) <= LINK_TURN * np.maximum(t[b], ts)) & \
            (lo[b] <= his) & (los <= hi[b])
        # a face the band reaches only beyond its turn joins only chains that agree: one
        # section's wide interval is no evidence that two rims are one. (Asked of every join,
        # a poorly read piece of a rim stayed out of the chain that read it well; asked of
        # none beyond the turn, a noisy rim's piece kept a razor reading of its own:
        # edges:43019)
        same &= near | ((cv[a] >= 0.5) == (cv[b] >= 0.5)) & \
            (np.abs(t[b] - t[a]) <= LINK_TURN * np.maximum(t[b], t[a])) & \
            (lo[b] <= hi[a]) & (lo[a] <= hi[b])
        # a station cut at a hard edge running across its own chain's crease may have read
        # another crease crossing the band (stations._across_its_face): it joins only where
        # its reading is its own chain's too (edges:83030: a coarse sweep's fold, 5.56 mm
        # [2.32, 8.80], read from its 1.12 mm rim's band, joined the fold's chains to the rim)
        same &= ~st["across"][si] | (((cv[a] >= 0.5) == prof["convex"][si]) &
                                     (np.abs(t[a] - ts) <= LINK_TURN * np.maximum(t[a], ts)) &
                                     (lo[a] <= his) & (los <= hi[a]))
    si, a, b = si[same], a[same], b[same]
    bridge = _bridges(analysis, st, prof["band_faces"], fc, n, a, b)
    keep = ~(bridge[a] | bridge[b])
    lab = np.arange(n)
    if keep.any():
        lab = _relabel(seeds, a[keep], b[keep])
        st["chain"] = lab[st["chain"]]
    if bridge.any():
        _bridge_stations(st, bridge[a] & ~bridge[b], si, lab[b])
    # ... and a chain inside another (as the joins above left them) whose sections read that
    # chain's band, whatever they read there. Its sections were cut across its own direction,
    # which parted from the crease's, and read that crease obliquely: they are no evidence of
    # it, and go to a chain of their own with no faces, which no test keeps (in the joined
    # chain they would sit among its own along the crease, and a station that reads no edge
    # ends a stretch: edges:43019's noisy 0.149 mm rim had a stretch of two 0.02 mm sections
    # cut off from the thirteen beside them, a razor edge). Its faces take the crease's
    # direction from a face beside them, as grown faces do (seeds._chains_grown), or the
    # stations cut along the joined chain would cut across them again
    a, b = _enclosed(analysis, st, prof, seeds["face_chain"], seeds["ncomp"])
    if len(a):
        _walled_in_faces_turn(analysis, seeds, a)
        cut = np.isin(st["chain"], a)
        for k, v in (("ok", False), ("oblique", False), ("elsewhere", True)):
            prof[k][cut] = v
        st["chain"] = _relabel(seeds, a, b)[st["chain"]]
        st["chain"][cut] = seeds["ncomp"]
        seeds["ncomp"] += 1


def _walled_in_faces_turn(analysis, seeds, a):
    """The faces of the chains a take the crease direction of a face beside them in another
    chain (each edge to one, in the edges' order: deterministic)."""
    fc = seeds["face_chain"]
    x, y = analysis.cached("creases:face_pairs", _face_pairs)
    inner = np.zeros(seeds["ncomp"] + 1, bool)
    inner[a] = True
    g = inner[fc[x]] & (fc[y] >= 0) & ~inner[fc[y]]
    seeds["axis"][x[g]] = seeds["axis"][y[g]]


def _face_pairs(analysis):
    """Every interior edge's two faces, each way round: (x, y), y beside x."""
    fp = _analysis_edge_faces(analysis)[1]
    return np.r_[fp[:, 0], fp[:, 1]], np.r_[fp[:, 1], fp[:, 0]]


def _enclosed(analysis, st, prof, fc, n):
    """The joins (chain a, chain b) of each chain a that lies inside a crease's chain b:
    every face beside a's faces is b's, the faces inside its sections' bands (any good
    reading's) are b's at least as often as its own, and b's own sections read an edge. (A
    one-face chain's band holds its own face and one of b's at best: a tie, which left such a
    face on a jittered ring its own chain, read 0.053 mm [0.0007, 0.29] over 48 of the rim's
    90 degrees, once the rim's level readings were read from their moments.) A face whose
    crease direction parts from its neighbours' (a long sliver of an irregular rim, twisted
    about the crease by the rim's curve, L^2 kappa / 8 w) seeds a chain of its own amid the
    rim's; its one section read a fragment of the rim's turn, 51 of 97 degrees, and no join
    across took it (the turns differ): edges:73030's 0.289 mm rim kept a one-face chain read
    0.066 mm (0-0.164), a razor edge on a fillet that passes. A crease of its own is not
    walled in by another's faces: it runs on past them, or its bands hold its own faces."""
    x, y = analysis.cached("creases:face_pairs", _face_pairs)
    cx, cy = fc[x].astype(np.int64), fc[y].astype(np.int64)
    side = (cx >= 0) & (cy != cx)  # an edge from a chain's face to a face of another or none
    # per chain: the one other chain beside it (-1 where a face of no chain is, or two chains)
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, -1, np.int64)
    np.minimum.at(lo, cx[side], cy[side])
    np.maximum.at(hi, cx[side], cy[side])
    host = np.where((lo == hi) & (hi >= 0), hi, -1)
    si, f = prof["band_faces"]
    a = st["chain"][si]
    g = prof["ok"][si] & (a >= 0)
    f, a = f[g], a[g]
    g = host[a] >= 0
    f, a = f[g], a[g]
    theirs = np.bincount(a, weights=(fc[f] == host[a]).astype(float), minlength=n)
    mine = np.bincount(a, weights=(fc[f] == a).astype(float), minlength=n)
    # ... and b is a crease by its own sections (at least half of those it counts read an
    # edge, as _keep asks): a noisy body's seeds flood, and a chain of noise over a whole sweep
    # walls in the pieces of its rims (edges:33049: 11 343 faces round 19 of them, 17 of its
    # 53 sections reading an edge)
    edge = prof["ok"] & ~prof["ramp"] & (prof["ratio"] <= FLANK_RATIO)
    n_edge = np.bincount(st["chain"][edge & (st["chain"] >= 0)], minlength=n)
    counted = ~prof["elsewhere"] & (st["chain"] >= 0)
    n_all = np.bincount(st["chain"][counted], minlength=n)
    crease = (n_all > 0) & (n_edge >= 0.5 * n_all)
    c = np.flatnonzero((host >= 0) & (theirs >= mine) & (theirs > 0))
    c = c[crease[host[c]]]
    return c, host[c]


def _in_turn(analysis, st, prof, si, f):
    """Whether each band face f of station si reaches where the band could turn: where the
    section cuts it, within half the widest circular band the station's interval allows
    (R + h / Theta, or the reading's own upper end, times Theta / 2) and IN_TURN_ROWS of its
    rows of the band's turn-weighted centre. (Measured where the section cuts the face, not
    from its corners: a 2 mm sliver along a 20 mm rim bends off the section's plane by
    0.025 mm at its ends, as much as a 0.03 mm fillet is wide. On an irregular ring 2.2 mm
    wide and 2.1 mm tall a 0.1 mm top rim's band, 0.157 mm [0.074, 0.282] over 92 degrees,
    ran 1.5 mm down the outer wall, whose Delaunay facets fold by a few degrees about its
    curve, to a crease face of the 0.4 mm bottom rim's chain; the intervals overlapping, the
    two rims became one chain read 0.09 mm, the 0.4 mm fillet a razor edge. Their chains
    read 0.068 and 0.40 mm by all their sections.)"""
    a = st["a"][si]
    V = analysis.model.vertices[analysis.model.faces[f]]  # (m, 3, 3)
    d = np.einsum("mkj,mj->mk", V - st["p"][si][:, None, :], a)
    ends, n = np.zeros((len(f), 2, 3)), np.zeros(len(f), np.int64)
    for i, j in ((0, 1), (1, 2), (2, 0)):  # (a triangle's three edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = d[:, i] / (d[:, i] - d[:, j])
        cut = (d[:, i] * d[:, j] <= 0) & (d[:, i] != d[:, j]) & (n < 2)
        pt = V[:, i] + np.clip(np.nan_to_num(t), 0.0, 1.0)[:, None] * (V[:, j] - V[:, i])
        ends[cut, n[cut]] = pt[cut]
        n += cut
    ends[n == 1, 1] = ends[n == 1, 0]
    ends[n == 0] = V[n == 0, :2]  # (a band face the plane misses, by rounding: an edge of it)
    c = prof["centre"][si]
    with np.errstate(invalid="ignore"):
        dist = _segment_distance(ends[:, 0] - c, ends[:, 1] - c)
        t, h = prof["theta"][si], prof["res"][si]
        r_hi = np.fmax(prof["radius"][si] + h / t, prof["r_hi"][si])
        return dist <= 0.5 * r_hi * t + IN_TURN_ROWS * h


def _segment_distance(u, v):
    """(m,) the distance from the origin to each segment u-v."""
    w = v - u
    t = np.clip(-np.einsum("mi,mi->m", u, w) / np.maximum(np.einsum("mi,mi->m", w, w), 1e-300),
                0.0, 1.0)
    return np.linalg.norm(u + t[:, None] * w, axis=1)


def _bridges(analysis, st, band_faces, fc, n, a, b):
    """(n,) the chains joined (a[i], b[i]: chain ids) to two chains that lie side by side and
    that no section saw in one band: such a chain holds faces of two creases beside each
    other, not a strip of one band. A one-row wall between two rims drawn with two chords
    each: its faces and each rim's outer chord triangles link as one curved strip (the wall
    curves 1/2.3 mm by its end turns), a section across either rim sees that strip, and
    joined through it the two rims were one chain twice as long. (Two pieces of one crease
    one after the other along it are never in one band either, but they are not beside each
    other: _beside.)"""
    si, f = band_faces
    ch = st["chain"]
    # the chains each station's band holds, its own among them (station * n + chain, sorted)
    c = np.r_[fc[f], ch]
    sc = np.unique((np.r_[si, np.arange(len(ch))].astype(np.int64) * n + c)[c >= 0])
    s_, c_ = sc // n, sc % n
    i, j = pairs_in_runs(s_)
    seen = np.unique(_key(c_[i], c_[j], n))
    u = np.unique(np.r_[a, b].astype(np.int64) * n + np.r_[b, a])  # each chain's partners
    u = np.c_[u // n, u % n]
    i, j = pairs_in_runs(u[:, 0])
    x, p1, p2 = u[j, 0], u[i, 1], u[j, 1]
    apart = ~np.isin(_key(p1, p2, n), seen)
    x, p1, p2 = x[apart], p1[apart], p2[apart]
    bridge = np.zeros(n, bool)
    if len(x):
        beside = _beside(analysis, st, fc, p1, p2) & _beside(analysis, st, fc, p2, p1)
        bridge[x[beside]] = True
    return bridge


def _beside(analysis, st, fc, c1, c2):
    """For chain pairs (c1[i], c2[i]): whether c2 runs beside c1 all along it: from each of
    c1's stations c2's nearest face lies at about one distance (within BESIDE_SPREAD), which
    is less than c1's stations span."""
    from scipy.spatial import cKDTree

    p, ch = st["p"], st["chain"]
    cen = analysis.face_centroids
    n = int(max(fc.max(), ch.max(), c1.max(), c2.max())) + 1
    # a fourth coordinate, the chain's id times more than the model's span, keeps every other
    # chain out of a query's reach
    far = 4.0 * (float(np.ptp(cen, axis=0).max()) + 1.0)
    want = np.zeros(n, bool)
    want[np.r_[c1, c2]] = True
    sf = np.flatnonzero((fc >= 0) & want[np.maximum(fc, 0)])
    ss = np.flatnonzero(want[ch])
    ss = ss[np.argsort(ch[ss], kind="stable")]
    hi_c = np.full((n, 3), -np.inf)
    lo_c = np.full((n, 3), np.inf)
    np.maximum.at(hi_c, ch[ss], p[ss])
    np.minimum.at(lo_c, ch[ss], p[ss])
    span = np.linalg.norm(hi_c - lo_c, axis=1)  # (inf - inf: nan for a chain not cut)
    # every station of c1 against c2's faces
    lo, hi = np.searchsorted(ch[ss], c1), np.searchsorted(ch[ss], c1, side="right")
    cnt = hi - lo
    pair = np.repeat(np.arange(len(c1)), cnt)
    at = ss[np.arange(len(pair)) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)]
    d = cKDTree(np.c_[cen[sf], fc[sf] * far]).query(np.c_[p[at], c2[pair] * far])[0]
    dmin, dmax = np.full(len(c1), np.inf), np.zeros(len(c1))
    np.minimum.at(dmin, pair, d)
    np.maximum.at(dmax, pair, d)
    with np.errstate(invalid="ignore"):
        return (cnt >= 2) & (dmax <= BESIDE_SPREAD * dmin) & (dmax < span[c1])


def _key(c1, c2, n):
    return np.minimum(c1, c2).astype(np.int64) * n + np.maximum(c1, c2)


def _bridge_stations(st, own, si, b):
    """A bridge's stations that read one crease beside it (`own`: a bridge's station si[i]
    seeing faces of the chain b[i] it was to join; their band holds one such chain) become
    that crease's. The bridge's faces stay its own (the wall and the rims' outer chord
    triangles): with no station left it reads nothing and is dropped. (Its faces given to
    the rim beside them moved the rims' lengths by 2-13 %: the share of the band's turn a
    chain's lines hold is read from its faces.)"""
    if not own.any():
        return
    n = int(b.max()) + 1
    k = np.unique(si[own].astype(np.int64) * n + b[own])
    s_, c_ = k // n, k % n
    one = np.bincount(s_, minlength=len(st["chain"]))[s_] == 1
    st["chain"][s_[one]] = c_[one]
