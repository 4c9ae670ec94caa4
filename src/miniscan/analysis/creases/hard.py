"""Step 7 of the crease reading: hard creases no chain measured (coarse CAD exports).

A box of 12 triangles, a cylinder of fan caps and one row of side slivers, a revolve of a
polygon: every face touches two or more creases, so the face chains take several creases into
one (a cylinder's two rims and its side), and every section walks round the whole solid reading
its creases as one band. A crease that turns >= turn_min at one edge is a crease on its own; the
edges no kept chain accounts for are read here edge by edge."""

from __future__ import annotations

from functools import partial

import numpy as np

from .band import TRANSPARENT_FRACTION, _body_turn_noise
from .chains import MEDIAN_EPS, MEDIAN_SE, MIN_ROWS_RESOLVED, PLACE_FACES, _anchor, _ring_noise
from .common import (ANGLE_EPS, AXIS_COS, FLANK_RATIO, MIN_EDGE_TURN_RAD, NOISE_SIGMA_PER_MAD,
                     NOISE_TURNS, Creases, _analysis_edge_faces, _first_by_place, _masked_median,
                     _polylines, _quantised, _sym6, _weighted_quantile, edge_turns, sym_eig_top)
from .flanks import _reading
from .radius import _radius
from .sections import _measure, _read_tucked
from .stations import STATIONS_PER_CHAIN, _bend, _Profile, _evenly, _profile_arrays, _spread


def _band_hard(p: _Profile, eye, turn_min):
    """The band of a hard crease: the crossing turning >= turn_min nearest the station, with
    the crossings turning its way that follow it at gaps narrower than the eye resolves (a
    crease drawn as two lines a hair apart is one edge to the eye). Its flanks are read up to
    the next crossing that turns a crease's worth (`stop_turn`, _flanks): a flank one face wide
    is a flank."""
    X, D, vc = p.X, p.D, p.vc
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    ad = np.abs(D)
    strong = vc & (ad >= turn_min - ANGLE_EPS)
    ref = np.argmin(np.where(strong, np.abs(X), np.inf), axis=1)
    has = strong[rows, ref]
    sgn = np.sign(D[rows, ref])
    small = TRANSPARENT_FRACTION * ad[rows, ref]
    tc = vc & (ad >= small[:, None]) & (ad > 0)
    prev_t = np.maximum.accumulate(np.where(tc, J, -1), axis=1)
    prev_t = np.concatenate([np.full((S, 1), -1), prev_t[:, :-1]], axis=1)
    next_t = np.minimum.accumulate(np.where(tc, J, M)[:, ::-1], axis=1)[:, ::-1]
    next_t = np.concatenate([next_t[:, 1:], np.full((S, 1), M)], axis=1)
    Xp = np.concatenate([X, np.full((S, 1), np.inf)], axis=1)
    gap_p = X - np.where(prev_t >= 0, X[rows[:, None], np.maximum(prev_t, 0)], -np.inf)
    gap_n = Xp[rows[:, None], next_t] - X
    inb = tc & (np.sign(D) == sgn[:, None])
    right, left = J > ref[:, None], J < ref[:, None]
    block = (tc & right & ~(inb & (gap_p <= eye))) | (tc & left & ~(inb & (gap_n <= eye))) | ~vc
    first_block_r = np.where(block & right, J, M).min(axis=1)
    last_block_l = np.where(block & left, J, -1).max(axis=1)
    band = tc & (J > last_block_l[:, None]) & (J < first_block_r[:, None]) & has[:, None]
    hgt = np.fmin(p.row_l, p.row_r)
    hgt = np.where(np.isfinite(hgt), hgt, np.inf)
    j_lo = np.where(band, J, M).min(axis=1)
    j_hi = np.where(band, J, -1).max(axis=1)
    ok = has & (j_hi >= 0) & (j_lo > 0) & (j_hi < M - 1)
    j_lo, j_hi = np.clip(j_lo, 0, M - 1), np.clip(j_hi, 0, M - 1)
    ok &= vc[rows, j_lo] & vc[rows, j_hi]
    away = vc & (np.abs(X) > eye) & (ad < turn_min)
    noise = NOISE_SIGMA_PER_MAD * _masked_median(ad, away)
    # (nothing walked beyond the eye's reach: the body's own noise, as band._station_noise)
    noise = np.where(np.isfinite(noise), noise, _body_turn_noise(p))
    # (a lone crossing spreads over half the finer face beside it: its row is that face)
    return dict(band=band, gmin=hgt, hgt=hgt, j_lo=j_lo, j_hi=j_hi, ok=ok, sgn=sgn, D=D,
                noise=noise, stop_turn=turn_min - ANGLE_EPS)


def _strong_edges(analysis, turn_min):
    """The interior edges turning >= turn_min, in the seed arrays' form (_seed_chains)."""
    verts = analysis.model.vertices
    ev, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    theta = edge_turns(analysis)
    vec = verts[ev[:, 1]] - verts[ev[:, 0]]
    ell = np.linalg.norm(vec, axis=1)
    ce = np.flatnonzero((theta >= turn_min - ANGLE_EPS) & (ell > 0))
    return dict(ce=ce, f1=fp[ce, 0], f2=fp[ce, 1], theta=theta[ce], ell=ell[ce],
                ehat=vec[ce] / ell[ce, None], ev=ev, strong=np.ones(len(ce), bool))


def _hard_polylines(analysis, seeds, cr: Creases):
    """The lines of hard edges (turning >= turn_min; _polylines: joined where two end at one
    vertex, run on within AXIS_COS and turn the same way: a box's corner splits its three
    edges, a cylinder's rim is one loop) none of whose edges a kept chain holds. An edge is a
    kept chain's when a face beside it is in one and runs along it (a face of a rim chain
    grown over a prism's vertical edge does not account for that edge), and the chain reads
    it: the chain is read as one row (a hard rim's own chain), or the edge lies within the
    band of the bevel the chain measured over rows, or a row of it (_inside_measured: a facet
    line of a CAD fillet), or the chain's face beside it is no wider across its crease than
    that band and a row (_within_band: the long slivers of a sub-row rim). A one-row wall's faces are seeded with both its rims' turns and join the
    chain of the rim measured over rows; its other rim, a hard edge a wall's height from that
    bevel, is not what the chain's sections read (a round base's hard top rim over a one-row
    wall and a filleted foot). A line with one held edge is that chain's (the last edge of a
    hard box's rim, whose faces are corner faces, is still that rim). Returns the edges'
    indices into the seed arrays, their line labels (0..n-1) and whether each is convex, or
    None."""
    hs = np.flatnonzero(seeds["strong"])
    if len(hs) == 0:
        return None
    kept_faces = cr.face_chain
    f1, f2 = seeds["f1"][hs], seeds["f2"][hs]
    ax = seeds.get("axis")
    e = seeds["ehat"][hs]

    def along(f):
        if ax is None:
            return kept_faces[f] >= 0
        return (kept_faces[f] >= 0) & (np.abs(np.einsum("ij,ij->i", ax[f], e)) >= AXIS_COS)

    def one_row(f):
        limited = np.append(cr.resolution_limited, False)  # (no chain: index -1)
        return limited[np.where(kept_faces[f] >= 0, kept_faces[f], -1)]

    lab, convex = _polylines(analysis, seeds, hs)
    ev = seeds["ev"][seeds["ce"][hs]]
    mid = 0.5 * (analysis.model.vertices[ev[:, 0]] + analysis.model.vertices[ev[:, 1]])
    reads = one_row(f1) | one_row(f2) | _inside_measured(analysis, cr, mid, row=True)
    if ax is not None:
        reads |= _within_band(analysis, cr, f1, ax) | _within_band(analysis, cr, f2, ax)
    held = np.bincount(lab, weights=((along(f1) | along(f2)) & reads).astype(float)) > 0
    free = ~held[lab]
    if not free.any():
        return None
    _, lab = np.unique(lab[free], return_inverse=True)
    return hs[free], lab.reshape(-1), convex[free]


def _hard_stations(analysis, seeds, hs, lab, eye):
    """Up to STATIONS_PER_CHAIN edge midpoints per polyline, spread evenly along it by place
    (_spread, _evenly), cut perpendicular to the edge from its face first by place; walked
    far enough to read a flank the width of the faces beside (three of them) and the eye."""
    v, fa, fcen = analysis.model.vertices, analysis.face_areas, analysis.face_centroids
    ev = seeds["ev"][seeds["ce"][hs]]
    f1, f2 = seeds["f1"][hs], seeds["f2"][hs]
    p = 0.5 * (v[ev[:, 0]] + v[ev[:, 1]])
    a = seeds["ehat"][hs]
    f = _first_by_place(fcen, f1, f2)
    o, t_rank = _spread(p, lab)
    # (each line its own STATIONS_PER_CHAIN, never what the chains above left of a shared
    # budget: a line's sections would depend on how many chains lay elsewhere)
    s = o[_evenly(t_rank, lab[o], np.full(int(lab.max()) + 1, STATIONS_PER_CHAIN))]
    a = a[s] * np.where(a[s][np.arange(len(s)), np.argmax(np.abs(a[s]), axis=1)] < 0,
                        -1.0, 1.0)[:, None]
    size = np.sqrt(2.0 * np.maximum(fa[f1[s]], fa[f2[s]]))
    return dict(p=p[s], a=a, f=f[s], chain=lab[s], reach=3.0 * size + 2.0 * eye,
                band=np.full(len(s), eye), edge=s, bend=_bend(p[s], a, lab[s]))


def _read_hard(analysis, walk, st, eye, turn_min, cr: Creases | None = None):
    """Every station's section read as a hard crease (_band_hard, then steps 5-6 as above).
    cr: the kept chains; a flank also ends where it enters the band of a bevel one of them
    measured over rows (_other_bands)."""
    p = _profile_arrays(analysis, walk, st)
    b = _band_hard(p, eye, turn_min)
    if cr is not None:
        b["other"] = _other_bands(analysis, cr, p)
    out = _reading(p, b, _radius(p, b), eye, turn_min)
    mesh = (analysis.model.vertices, analysis.model.faces, analysis.face_normals)
    _read_tucked(p, out, st["band"], b["hgt"], (mesh, eye, turn_min))
    # a crease stands out of flat faces, not of a rough surface: where the section's other
    # crossings turn by noise (NOISE_TURNS sigmas) a fifth of the crease, a kink of 40-60
    # degrees among kinks of 20-35 is that surface's roughness (a noisy sliver sweep)
    out["ok"] &= NOISE_TURNS * b["noise"] < FLANK_RATIO * out["theta"]
    return out


def _other_bands(analysis, cr: Creases, p: _Profile):
    """(S, M) the crossings that lie within the band of a bevel a kept chain measured over
    rows (_inside_measured). A hard crease's row is the finer face beside it (a round base's
    one-row wall, 2.7 mm), and its flank is read that far out; a fillet beyond the wall turns
    a crease's worth over its rows (8 crossings of 11 degrees) and no crossing of it does at
    once, so without this the flank would run on into it and read the fillet's turn as the
    flank curving: a form. That fillet is another edge, measured as such. Only crossings
    that turn count (MIN_EDGE_TURN_RAD): a chain's faces include the one-row wall it grew
    over, whose flat diagonal lies as near them as the fillet does."""
    live = p.vc & (np.abs(p.D) >= MIN_EDGE_TURN_RAD)
    out = np.zeros(p.vc.shape, bool)
    out[live] = _inside_measured(analysis, cr, p.Q[live])
    return out


def _within_band(analysis, cr: Creases, f, ax):
    """Whether each face f is a kept chain's and no wider across its own crease direction
    (ax[f]) than the chain's band and one row (R Theta + h): a face of the band, not a flat
    face the chain grew over (a one-row wall's, as tall as the wall)."""
    ch = cr.face_chain[f]
    c = np.maximum(ch, 0)
    if cr.count == 0:
        return np.zeros(len(f), bool)
    tri = analysis.model.vertices[analysis.model.faces[f]]
    across = np.cross(analysis.face_normals[f], ax[f])
    across /= np.maximum(np.linalg.norm(across, axis=1), 1e-300)[:, None]
    x = np.einsum("fij,fj->fi", tri, across)
    band = (cr.radius_mm * cr.turn_rad + cr.resolution_mm)[c]
    return (ch >= 0) & (x.max(axis=1) - x.min(axis=1) <= band)


def _inside_measured(analysis, cr: Creases, pts, row: bool = False):
    """Whether each point lies within the band of a kept chain that measured a bevel: nearer
    one of its faces than its band's width (R Theta); row: or than that width and one of its
    rows (the band's edges are known to a row: step 6). A chain measured over fewer than
    MIN_ROWS_RESOLVED rows knows its band only as wide as its radius's lower end makes it
    (R_lo Theta): a one-row crease (R_lo 0) claims nothing, while a fillet drawn in two rows
    that reads 0.21-0.35 mm holds the 34-degree diagonal its twisted rows fold along
    (edges:93010), which is one of its facet lines, not a crease of its own."""
    from scipy.spatial import cKDTree

    fc = cr.face_chain
    if cr.count == 0 or len(pts) == 0:
        return np.zeros(len(pts), bool)
    r = np.where(cr.resolution_limited, cr.radius_lo_mm, cr.radius_mm)
    cf = np.flatnonzero((fc >= 0) & (r[np.maximum(fc, 0)] > 0))
    if len(cf) == 0:
        return np.zeros(len(pts), bool)
    d, k = cKDTree(analysis.face_centroids[cf]).query(pts)
    width = r * cr.turn_rad + (cr.resolution_mm if row else 0.0)
    return d < width[fc[cf[k]]]


def _hard_chains(analysis, seeds, cr: Creases, eye, turn_min) -> Creases:
    """Add to `cr` the hard creases no kept chain accounts for (_hard_polylines), each line
    a chain read section by section as a hard crease (_read_hard): R in [0, 2h/Theta] with h
    the finer face beside it (the file draws no rows: undetermined unless even that is under
    R_min), or narrower where the crease is drawn as lines a hair apart."""
    if "strong" not in seeds or not np.any(seeds["strong"]):
        return cr
    found = _hard_polylines(analysis, seeds, cr)
    if found is None:
        return cr
    hs, lab, _ = found
    st = _hard_stations(analysis, seeds, hs, lab, eye)
    if len(st["p"]) == 0:
        return cr
    prof = _measure(analysis, st, eye, turn_min, partial(_read_hard, cr=cr))
    prof["ok"] &= prof["ratio"] <= FLANK_RATIO
    prof["oblique"] &= prof["ratio"] <= FLANK_RATIO
    m = _hard_summary(analysis, seeds, hs, lab, st, prof)
    n = len(m["turn"])
    keep = (m["n_found"] >= np.maximum(1, 0.5 * m["n_all"])) & (m["n_ok"] > 0) & \
        np.isfinite(m["turn"]) & (m["turn"] >= turn_min - ANGLE_EPS) & \
        (m["ratio"] <= FLANK_RATIO) & np.isfinite(m["radius"]) & (m["length"] >= eye)
    # (and turns by more than a crossing of the surface's noise around it can: _ring_noise)
    on = keep[lab]
    keep &= m["turn"] >= NOISE_TURNS * _ring_noise(
        analysis, np.r_[seeds["f1"][hs][on], seeds["f2"][hs][on]], np.r_[lab[on], lab[on]], n,
        turn_min)
    ids = np.flatnonzero(keep)
    cen = m["cen"]
    ids = ids[np.lexsort((cen[ids, 2], cen[ids, 1], cen[ids, 0], -m["length"][ids]))]
    new = np.full(n, -1)
    new[ids] = np.arange(len(ids))
    anchor = _anchor(st, prof, new, m["radius"][ids], cen[ids])
    # a line inside the band of a bevel a kept chain measured over rows is one of its facet
    # lines (a CAD fillet of two or three chords turns 30-45 degrees a line): that chain's
    inside = _inside_measured(analysis, cr, anchor)
    ids, anchor = ids[~inside], anchor[~inside]
    if len(ids) == 0:
        return cr
    new = np.full(n, -1)
    new[ids] = np.arange(len(ids))
    face_chain, first, nfc = _hard_faces(analysis, seeds, hs, lab, new, anchor, cr)
    r, h, t = m["radius"][ids], m["res"][ids], m["turn"][ids]
    dn = np.nan_to_num(m["noisy"][ids])
    cat = np.concatenate
    # the lower end is 0: a crossing the file draws as one line is what a razor crease draws
    # (r - h/t is 0 only section by section: of medians taken apart, r's and h's come from
    # different sections, and a 35-degree polyline joint of a sliver sweep, rows 3 mm, read
    # 5.01 mm against h/t 4.90, [0.08, 9.9] mm: "too soft" on a sharp crease, edges:32045)
    return Creases(face_chain, cat([cr.radius_mm, r]),
                   cat([cr.radius_lo_mm, np.zeros(len(ids))]),
                   cat([cr.radius_hi_mm, np.fmax(np.maximum(r + h / t + dn, h),
                                                 np.where(m["any_form"][ids],
                                                          m["form_hi"][ids], 0.0))]),
                   cat([cr.resolution_mm, h]),
                   cat([cr.resolution_limited, r * t < MIN_ROWS_RESOLVED * h]),
                   cat([cr.turn_rad, t]), cat([cr.length_mm, m["length"][ids]]),
                   cat([cr.centroid_mm.reshape(-1, 3), anchor]),
                   cat([cr.axis.reshape(-1, 3), m["axis"][ids]]), list(cr.first_faces) + first,
                   cat([cr.flank_width_mm, m["extent"][ids]]), cat([cr.n_faces, nfc]),
                   cat([cr.convex, m["convex"][ids]]), cat([cr.flank_ratio, m["ratio"][ids]]),
                   cr.detect_radius_mm, cr.turn_min_rad, cr.stretches,
                   cat([cr.turn_sd_rad, m["turn_sd"][ids]]), cat([cr.n_read, m["n_ok"][ids]]))


def _hard_summary(analysis, seeds, hs, lab, st, prof):
    """Per line: medians over its good sections (as _chains: turn, radius, row, flank ratio
    as the middle of the two middle values, noise term no less than the median's standard
    error), its length (the sum of its edges), turn-weighted centre and direction."""
    n = int(lab.max()) + 1
    ok = prof["ok"]
    ch = st["chain"][ok]
    ones = np.ones(len(ch))

    def med(x, q=0.5):
        return _weighted_quantile(np.asarray(x, float)[ok], ones, ch, n, q)

    n_ok = np.bincount(ch, minlength=n)
    radius = med(prof["radius"])
    noisy = med(prof["noise_r"]) / np.sqrt(np.maximum(n_ok, 1))
    scatter = NOISE_SIGMA_PER_MAD * med(np.abs(prof["radius"] - radius[st["chain"]]))
    ell, theta, ehat = seeds["ell"][hs], seeds["theta"][hs], seeds["ehat"][hs]
    v, ev = analysis.model.vertices, seeds["ev"][seeds["ce"][hs]]
    tl = theta * ell
    mid = 0.5 * (v[ev[:, 0]] + v[ev[:, 1]])
    cen = np.stack([np.bincount(lab, weights=tl * mid[:, j], minlength=n) for j in range(3)],
                   1) / np.maximum(np.bincount(lab, weights=tl, minlength=n), 1e-300)[:, None]
    T6 = _sym6(ehat, tl)
    axis = sym_eig_top(np.stack([np.bincount(lab, weights=T6[:, j], minlength=n)
                                 for j in range(6)], 1))[2]
    return dict(n_ok=n_ok, n_all=np.bincount(st["chain"][~prof["elsewhere"]], minlength=n),
                n_found=np.bincount(st["chain"][ok | prof["oblique"]], minlength=n),
                turn=med(prof["theta"]), radius=radius, res=med(prof["res"]),
                noisy=np.fmax(noisy, MEDIAN_SE * scatter / np.sqrt(np.maximum(n_ok, 1))),
                ratio=0.5 * (med(prof["ratio"]) + med(prof["ratio"], 0.5 + MEDIAN_EPS)),
                extent=med(prof["extent"]), convex=med(prof["convex"]) >= 0.5,
                turn_sd=med(prof["turn_sd"]),
                # (with its sections whose reading may be a rounded form's at their upper ends,
                # flanks._form_allowed: the upper of an even count's two middle values)
                any_form=np.bincount(ch[prof.get("formed", np.zeros(len(ok), bool))[ok]],
                                     minlength=n) > 0,
                form_hi=med(np.where(prof.get("formed", False), prof["r_hi"], prof["radius"]),
                            0.5 + MEDIAN_EPS),
                length=np.bincount(lab, weights=ell, minlength=n), cen=cen, axis=axis)


def _hard_faces(analysis, seeds, hs, lab, new, anchor, cr: Creases):
    """Face labels with the kept lines added (new: line -> new chain id, or -1): each face
    no chain holds, beside a kept line's edge, joins the line of its longest such edge (ties
    by the edge's place); each line lists its edges' faces nearest its point (ties by
    place); and how many faces each holds."""
    k = int(new.max()) + 1
    v, fcen = analysis.model.vertices, analysis.face_centroids
    ev = seeds["ev"][seeds["ce"][hs]]
    ke = new[lab] >= 0
    ff = np.r_[seeds["f1"][hs][ke], seeds["f2"][hs][ke]]
    fl = np.r_[new[lab][ke], new[lab][ke]]
    fe = np.r_[seeds["ell"][hs][ke], seeds["ell"][hs][ke]]
    span = float(np.ptp(fcen, axis=0).max()) if len(fcen) else 1.0
    mid = 0.5 * (v[ev[ke, 0]] + v[ev[ke, 1]])
    qm = _quantised(np.r_[mid, mid], span)
    qf = _quantised(fcen[ff], span)
    d = _quantised(np.linalg.norm(fcen[ff] - anchor[fl], axis=1), span)
    o = np.lexsort((qf[:, 2], qf[:, 1], qf[:, 0], d, fl))
    pf, pl = ff[o], fl[o]
    pair = np.unique(np.c_[pl, pf], axis=0, return_index=True)[1]
    pf, pl = pf[np.sort(pair)], pl[np.sort(pair)]
    starts = np.searchsorted(pl, np.arange(k))
    ends = np.searchsorted(pl, np.arange(k), side="right")
    first = [tuple(int(x) for x in pf[a:min(b, a + PLACE_FACES)]) for a, b in zip(starts, ends)]
    free = cr.face_chain[ff] < 0
    o = np.lexsort((qm[free, 2], qm[free, 1], qm[free, 0], -fe[free], ff[free]))
    g_f, g_l = ff[free][o], fl[free][o]
    head = np.r_[True, g_f[1:] != g_f[:-1]] if len(g_f) else np.zeros(0, bool)
    face_chain = cr.face_chain.copy()
    face_chain[g_f[head]] = cr.count + g_l[head]
    return face_chain, first, np.bincount(g_l[head], minlength=k)
