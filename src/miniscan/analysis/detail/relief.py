"""The whole ladder (steps 1-3): the Spectrum value, the query points, the point sets of every
scale, the windows masked at creases, fan apexes and bent base forms, and `compute` /
`spectrum`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .common import (
    BEND_RAD, BIG_FACE, BIG_SALT, BIG_SAMPLES_MIN, BY_FACES, CREASE_CELLS, CREASE_DEG,
    CREASE_GROW, CREASE_LINES, EDGE_SALT, EDGE_SAMPLE, EDGE_STEP, FAN_VALENCE, FORM_LOOKUP,
    GRID_OFFSET, K_NEIGHBOURS, QUERY_MAX, QUERY_MIN, QUERY_PER_FACE, QUERY_SALT, PASS_S, RATIO,
    RAW_FILL, SIM_LEVELS, SPACING, SUPPORT, THIN_SALT, TILTS_DEG)
from .fit import guard_bands, ladder, tilt_weights, transfer
from .points import _face_edges, Points, thin
from .planes import plane_sizes
from .level import _attributes, _workers, fit_level
from .solve import _solve
from .steep import steep_loss, steep_spread, STEEP_TILTS


# --------------------------------------------------------------------------- the whole ladder


@dataclass(frozen=True, eq=False)
class Spectrum:
    """The relief measured at query points; `region_spectra` turns groups of them into spectra."""

    points: np.ndarray        # (Q, 3) query points on the surface, mm
    faces: np.ndarray         # (Q,) face id of each query point
    normals: np.ndarray       # (Q, 3) smoothed normal at the coarsest scale
    residual: np.ndarray      # (Q, K) signed relief finer than sigma_k, mm (+ = outward bump);
    #                           NaN where a crease, fan apex or another body is in the window
    sigmas_mm: np.ndarray     # (K,)
    wavelengths_mm: np.ndarray  # (J,) reported band centres
    median_edge_mm: float     # the median shortest edge of a face (robust to slivers)
    area_per_point_mm2: float  # the area over the query count asked for (its expectation: the
    #                            count drawn, +- its square root, would move the regions' size
    #                            and the findings' grouping on the whole model with an edit)
    point_edge_mm: np.ndarray   # (Q,) shortest edge of each query point's face (local mesh size)
    point_facet_mm: np.ndarray  # (Q,) longest edge of that face (facet size)
    rows: tuple               # per scale, its kind: row of POWER_TABLE (0: raw vertices)
    tilt: np.ndarray          # (Q, T) each point's weights among the tabulated tilts
    body: np.ndarray | None = None  # (Q,) body of each query point (None: one body)
    curvature: np.ndarray | None = None  # (Q,) largest principal curvature of the fitted base
    #                                     form over the scales, 1/mm (NaN where none fitted)
    point_area_mm2: np.ndarray | None = None  # (Q,) surface each query point stands for
    bent: np.ndarray | None = None  # (Q, K) windows masked because the fitted base form bends
    #                                 like a crease there at this scale and coarser ones
    reach: np.ndarray | None = None  # (Q, K) windows masked only because they reached one of
    #                                  the model's creases (its line, or the form bending at it;
    #                                  not a relief's own bend, a fan or another body)
    plane: np.ndarray | None = None  # (Q,) size of the flat facet the point's face is part of,
    #                                  mm (`planes.plane_sizes`; point_facet_mm where it is one)
    keys: np.ndarray | None = None  # (Q,) uint64 each query point's key (`keys`): its
    #                                 bootstrap draws are functions of it (`draws`)
    asked: int | None = None  # the query count asked for (Q is its draw: +- its square root)

    @property
    def mean_edge_mm(self) -> float:  # the name the budget metrics use
        return self.median_edge_mm

    def gain_t(self, lam) -> np.ndarray:
        """(T, K, ...) residual gain of every scale, per tabulated tilt, for wavelengths lam."""
        return np.stack([np.stack([transfer(lam, s, r, t)
                                   for s, r in zip(self.sigmas_mm, self.rows)])
                         for t in range(len(TILTS_DEG))])

    def power(self, lam, W: np.ndarray, steep=None) -> np.ndarray:
        """(..., R, K) power gain of every scale for wavelengths lam (..., R) of regions whose
        tilt weights are W (R, T). steep: (R, K) the regions' mean squares (mm^2, NaN or 0
        where none is to be read): the thinned scales' gain times the steep relief's loss at
        each wavelength's own slope 2 pi a(lam) / lam, a(lam) the semi-amplitude a wave of that
        wavelength would have in those mean squares, read at its plateau scale with the linear
        gain (`steep_slope`, `steep_loss`; None: the linear gain alone)."""
        lam = np.asarray(lam, float)
        P = self.gain_t(lam) ** 2  # (T, K, ..., R)
        out = np.moveaxis(np.einsum("rt,tk...r->k...r", W, P), 0, -1)
        if steep is None:
            return out
        loss = self.steep_loss(lam, W, steep)  # (T, ..., R, K)
        return np.einsum("rt,t...rk->...rk", W, np.moveaxis(P, 1, -1) * loss)

    def steep_loss(self, lam: np.ndarray, W: np.ndarray, ms: np.ndarray, spread=False):
        """(T, ..., R, K) the steep relief's loss of every scale, per tabulated tilt (the
        voxels are the model's axes: a tilted flank is cut differently), for waves of
        wavelength lam (..., R) on regions of tilt weights W (R, T) whose slope is read from
        the mean squares ms (R, K) (`steep_slope`); 1 on the raw vertices (not
        thinned). spread: the standard deviation of its log instead (`steep_spread`)."""
        slope = self.steep_slope(lam, W, ms)
        thinned = np.asarray(self.rows) >= 1  # the raw vertices are not thinned
        per_tilt = len(STEEP_TILTS) == len(TILTS_DEG)
        read = steep_spread if spread else steep_loss
        s = self.sigmas_mm / lam[..., None]
        out = read(s, slope[..., None], None if per_tilt else 0)
        if not per_tilt:
            out = np.broadcast_to(out, (len(TILTS_DEG),) + out.shape)
        return np.where(thinned, out, 0.0 if spread else 1.0)

    def steep_slope(self, lam: np.ndarray, W: np.ndarray, ms: np.ndarray) -> np.ndarray:
        """(..., R) the slope 2 pi a / lam of a wave of wavelength lam (..., R) on regions of
        tilt weights W (R, T), a read from their mean squares ms (R, K) where a scale passes it
        whole (sigma / lam = PASS_S, as the amplitude's plateau is): a^2 = 2 ms_k / P_k(lam),
        interpolated in log sigma between the two scales about PASS_S lam, so that the slope
        and the loss are continuous in lam (a step where the nearest scale changes would be a
        false optimum of the wavelength's fit). Beyond the ladder's ends no scale passes the
        wave whole: a is held at the end's reading (a coarser wave of that amplitude is
        shallower), never read from a scale that passes only part of it. The finer relief is
        not taken off (an upper end of a) and the loss at that scale is not divided out (the
        plateau itself under-reads a steep wave: a lower end); a wave's own slope, not the
        region's: the amplitude a coarser relief reads is not the one a finer candidate
        would have."""
        ok = np.isfinite(lam) & (lam > 0)
        sig = self.sigmas_mm
        K = len(sig)
        ends = sig[[0, -1]] / PASS_S
        at = np.clip(np.where(ok, lam, ends[0]), ends[0], ends[1])
        u = np.log(PASS_S * at / sig[0]) / math.log(RATIO)
        k0 = np.clip(np.floor(u).astype(int), 0, max(K - 2, 0))
        t = np.clip(u - k0, 0.0, 1.0)
        P = self.power(at, W)  # (..., R, K) the linear gains where a is read
        m = np.broadcast_to(np.nan_to_num(ms), P.shape)
        k1 = np.minimum(k0 + 1, K - 1)
        a2 = [2.0 * np.maximum(np.take_along_axis(m, k[..., None], -1)[..., 0], 0.0)
              / np.maximum(np.take_along_axis(P, k[..., None], -1)[..., 0], 1e-300)
              for k in (k0, k1)]
        a = np.sqrt((1.0 - t) * a2[0] + t * a2[1])
        return np.where(ok, 2.0 * math.pi * a / np.where(ok, lam, 1.0), 0.0)

    def designs(self, W: np.ndarray) -> np.ndarray:
        """(R, K, J + 2) H^2 of the bands and guards for regions of tilt weights W (R, T)."""
        P = self.gain_t(guard_bands(self.wavelengths_mm)) ** 2  # (T, K, J + 2)
        return np.einsum("rt,tkj->rkj", W, P)

    def solve(self, mean_square: np.ndarray) -> np.ndarray:
        """Band energies (mm^2) of rows of per-scale mean squares (R, K), read with the whole
        model's tilt mix (tests and one-off readings; regions use `region_spectra`)."""
        ms = np.atleast_2d(mean_square)
        D = self.designs(self.tilt.mean(axis=0)[None])[0]
        return np.stack([_solve(D, row)[0] for row in ms])[:, 1:-1]

    def base_points(self) -> np.ndarray:
        """The query points moved onto their base form (the relief finer than the coarsest
        scale removed), so crests and troughs of one patch sit on one surface."""
        r = self.residual[:, -1]
        return self.points - np.where(np.isfinite(r), r, 0.0)[:, None] * self.normals


def _keys(analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's vertex keys, face keys and faces' corners in canonical order (`keys`): the
    draws below are functions of places on the surface, so an edit elsewhere does not move
    them (docs/texture.md s.7.39)."""
    from .. import keys

    def make(a):
        vk = keys.position_keys(a.model.vertices)
        fk, corners = keys.face_keys(vk, a.model.faces)
        return vk, fk, corners

    return analysis.cached("surface_keys", make)


def _on_faces(analysis, fid: np.ndarray, key: np.ndarray) -> np.ndarray:
    """A uniform point on each face fid, drawn from its key (on the face's corners in
    canonical order, so it does not depend on how the file lists them)."""
    from .. import keys

    corners = _keys(analysis)[2]
    r = np.stack([keys.uniform(key, 1), keys.uniform(key, 2)], 1)
    flip = r.sum(axis=1) > 1
    r[flip] = 1 - r[flip]
    t = analysis.model.vertices[corners[fid]]
    return t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0])


def _query_points(analysis, count: int):
    """Random points on the surface, their faces, the surface each stands for (mm^2; the sum
    is the area, in expectation) and their keys. A face is expected to hold lam = count x
    (BY_FACES / F + (1 - BY_FACES) x its area share) points: every mm^2 is sampled, and where
    the mesh is finer (a sculpted patch on a coarse base, a refined detail) the points are
    denser, so regions of REGION_POINTS follow the detail instead of straddling it; each
    point's area weight, its face's area / lam, keeps areas and area-weighted figures unbiased.

    A face holds floor(lam + u) points, u a uniform draw from its key, each placed by its own
    key (the face's and its number on the face), and the points are ordered by key (a random
    order in which any prefix is a uniform subsample). An edit elsewhere that changes lam a
    little (more faces, so a little less of the count each) adds or drops a point on a few
    faces and moves none; a multinomial draw indexed by face redrew every point on the model
    (docs/texture.md s.7.39)."""
    from .. import keys

    areas = analysis.face_areas
    fk = _keys(analysis)[1]
    prob = BY_FACES / len(areas) + (1.0 - BY_FACES) * areas / areas.sum()
    lam = count * prob / prob.sum()
    n = np.floor(lam + keys.uniform(fk, QUERY_SALT)).astype(np.int64)
    fid = np.repeat(np.arange(len(areas)), n)
    k = np.arange(len(fid)) - np.repeat(np.cumsum(n) - n, n)  # the point's number on its face
    key = keys.combine(fk[fid], k)
    o = keys.order(key)
    fid, key = fid[o], key[o]
    return _on_faces(analysis, fid, key), fid, areas[fid] / lam[fid], key


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
    a_t = max(a0, tot / max(nv, BIG_SAMPLES_MIN))
    n = np.where(big, np.maximum(np.ceil(areas / a_t), 3), 0).astype(np.int64)
    return big, n


def _sources(analysis, median_edge: float, fbody):
    """Level-0 point set: vertices, each with a third of its small faces' area and their summed
    area-weighted normal; large faces (fan caps, a cylinder's long sides) have no vertices
    inside them, so they carry their own area-weighted random samples instead. Returns the
    points and their thinning priorities: uniform draws from their keys (`keys`), so a vertex
    an edit leaves in place keeps its priority, and the representatives with it."""
    from .. import keys

    m = analysis.model
    v, faces, areas, fn = m.vertices, m.faces, analysis.face_areas, analysis.face_normals
    big, n_big = _big_faces(areas, median_edge, len(v))
    small_a = np.where(big, 0.0, areas) / 3.0
    f = faces.ravel()
    va = np.bincount(f, weights=np.repeat(small_a, 3), minlength=len(v))
    vn = np.stack([np.bincount(f, weights=np.repeat(fn[:, j] * small_a, 3), minlength=len(v))
                   for j in range(3)], 1)
    keep = va > 0
    whole = bool(keep.all()) and not big.any()  # the vertices themselves, in order
    src, sa, sn = (v, va, vn) if whole else (v[keep], va[keep], vn[keep])
    sb = None
    if fbody is not None:
        vb = np.zeros(len(v), dtype=fbody.dtype)
        vb[faces] = fbody[:, None]
        sb = vb if whole else vb[keep]
    vk, fk, _ = _keys(analysis)
    prio = keys.uniform(vk if whole else vk[keep], THIN_SALT)
    if big.any():
        bf = np.repeat(np.flatnonzero(big), n_big[big])
        key = keys.combine(fk[bf], np.arange(len(bf)) - np.repeat(np.cumsum(n_big[big])
                                                                   - n_big[big], n_big[big]))
        key = keys.combine(key, BIG_SALT)
        pts = _on_faces(analysis, bf, key)
        pa = (areas / np.maximum(n_big, 1))[bf]
        src = np.concatenate([src, pts])
        sa = np.concatenate([sa, pa])
        sn = np.concatenate([sn, fn[bf] * pa[:, None]])
        prio = np.concatenate([prio, keys.uniform(key, THIN_SALT)])
        if sb is not None:
            sb = np.concatenate([sb, fbody[bf]])
    return Points(src, sa, sn, sb), prio


def _crease_points(analysis):
    """Vertices where the surface is form, not relief: creases (faces turning by more than
    CREASE_DEG: unit-normal coherence |sum n| / count < cos(angle / 2); unit normals, so a rim's
    small faces count as much as a side's big ones), and fan apexes (more than FAN_VALENCE faces:
    a UV sphere's poles, a cap's centre, singular points of the triangulation), returned apart:
    a fan apex is a property of the triangulation, which only the raw-vertex scale reads;
    each crease vertex's shortest edge and the axis its faces fold about (`_crease_lines`)."""
    m = analysis.model
    f = m.faces.ravel()
    nv = m.n_vertices
    fn = analysis.face_normals
    un = np.stack([np.bincount(f, weights=np.repeat(fn[:, j], 3), minlength=nv)
                   for j in range(3)], 1)
    deg = np.bincount(f, minlength=nv).astype(float)
    coherence = np.linalg.norm(un, axis=1) / np.maximum(deg, 1.0)
    crease = (deg > 0) & (coherence < np.cos(np.radians(CREASE_DEG) / 2.0))
    fan = (deg > FAN_VALENCE) & ~crease
    touch_f = crease[m.faces].any(axis=1)
    touch = m.faces[touch_f]
    # each crease vertex's shortest edge: how much crease line it stands for at least
    short = np.full(nv, np.inf)
    np.minimum.at(short, touch.ravel(), np.repeat(_face_edges(m.vertices[touch]).min(axis=1), 3))
    axes = _fold_axes(touch, fn[touch_f], crease)
    # the fold's sense: a crest's faces fall away from it along its normal, a trough's rise
    cen = m.vertices[touch].mean(axis=1)
    ring = np.stack([np.bincount(touch.ravel(), weights=np.repeat(cen[:, j], 3), minlength=nv)
                     for j in range(3)], 1)[crease] / deg[crease][:, None]
    crest = ((ring - m.vertices[crease]) * un[crease]).sum(axis=1) < 0.0
    return m.vertices[crease], m.vertices[fan], short[crease], axes, crest, _crease_runs(m, crease)


def _crease_runs(m, crease: np.ndarray) -> np.ndarray:
    """(C,) the run each crease vertex belongs to: crease vertices joined by an edge of the mesh
    are one run. Neighbours on a run share faces, so their fold axes are not independent (on
    sheets of vertex noise the doubled axis angles of edge neighbours correlate at 0.39-0.42,
    of vertices two edges apart at 0.07-0.17, farther at < 0.12 and falling): the run, not the
    vertex or a cell of the window, is the unit the axial test counts (`_parallel`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    idx = np.full(len(crease), -1)
    idx[crease] = np.arange(int(crease.sum()))
    e = np.concatenate([m.faces[:, [0, 1]], m.faces[:, [1, 2]], m.faces[:, [2, 0]]])
    e = idx[e[(idx[e] >= 0).all(axis=1)]]
    n = int(crease.sum())
    g = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _fold_axes(touch: np.ndarray, tn: np.ndarray, crease: np.ndarray) -> np.ndarray:
    """(C, 3) the axis each crease vertex's faces fold about: the direction their unit normals
    do not vary along (the least eigenvector of the sum of n n^T over the vertex's faces). A
    crest's axis runs along the crest. touch, tn: the faces touching a crease vertex and their
    unit normals."""
    nv = len(crease)
    f = touch.ravel()
    M = np.zeros((nv, 3, 3))
    for a in range(3):  # the tensor's components, not points
        for b in range(a, 3):
            M[:, a, b] = M[:, b, a] = np.bincount(f, weights=np.repeat(tn[:, a] * tn[:, b], 3),
                                                  minlength=nv)
    return np.linalg.eigh(M[crease])[1][:, :, 0]


def _crease_lines(q: np.ndarray, cp: np.ndarray, cw: np.ndarray, sig, ct=None,
                  form=None, crest=None, run=None) -> np.ndarray:
    """(Q, K) 0 where a crease of the model lies within the window of scale k (SUPPORT sigma)
    of a query point, inf where none does or where the crease vertices there are a field of
    crests rather than lines of form: together longer than CREASE_LINES straight creases
    through the window (chords of 2 SUPPORT sigma), or, where none of them is form at the
    window's scale (form (C, K): the base form fitted there bends like a crease, BEND_RAD),
    folding about parallel axes (`_parallel`: the crests of a field fold about one axis, a
    scan's crease noise every way; ct: the crease vertices' fold axes, None: not asked). Each
    crease vertex stands for at least its own shortest edge `cw` of crease line (its spacing
    along the line is no shorter), so the sum never over-states the lines (summed per cell of
    r / CREASE_CELLS at the cell's weighted centre: a window pairs with a few hundred cells at
    most). A steep ripple meshed at
    a few edges a wavelength turns its faces by more than CREASE_DEG at every crest; masking
    them hid the whole ripple at every scale (ground-truth texture:122, 125, 129), though its
    fitted base form lets go at coarser scales, as relief does."""
    from scipy.spatial import cKDTree

    out = np.full((len(q), len(sig)), np.inf)
    if not len(cp):
        return out
    d0 = cKDTree(cp).query(q, workers=_workers(len(q)))[0]
    tt = None if ct is None else np.einsum("ni,nj->nij", ct, ct).reshape(-1, 9) * cw[:, None]
    sense = np.ones(len(cp), bool) if crest is None else crest
    run = np.arange(len(cp)) if run is None else run
    for kk, s in enumerate(sig):  # a dozen scales, each over the points near a crease
        r = SUPPORT * s
        near = np.flatnonzero(d0 <= r)
        if not len(near):
            continue
        if ct is None and cw.sum() <= CREASE_LINES * 2.0 * r:  # no window holds a field
            out[near, kk] = 0.0
            continue
        ijk = np.floor((cp - cp.min(axis=0)) / (r / CREASE_CELLS)).astype(np.int64)
        span = ijk.max(axis=0) + 1
        # cells apart per sense of fold (crests and troughs) and per run (`_crease_runs`)
        vox = (ijk[:, 0] * span[1] + ijk[:, 1]) * span[2] + ijk[:, 2]
        _, cell = np.unique(np.stack([vox, sense, run], 1), axis=0, return_inverse=True)
        cell = cell.ravel()
        w = np.bincount(cell, weights=cw)
        # a cell's point is its weighted middle; a cell of zero weight (crease lines of no
        # length: a mesh's degenerate faces) its points' plain middle, so it stays finite
        cw_ = np.where(w[cell] > 0, cw, 1.0)
        at = np.stack([np.bincount(cell, weights=cw_ * cp[:, j]) for j in range(3)], 1)
        at /= np.bincount(cell, weights=cw_)[:, None]
        pairs = cKDTree(q[near]).sparse_distance_matrix(cKDTree(at), r, output_type="ndarray")
        held = np.bincount(pairs["i"], weights=w[pairs["j"]], minlength=len(near))
        field = held > CREASE_LINES * 2.0 * r
        if tt is not None:
            T = np.stack([np.bincount(cell, weights=tt[:, j]) for j in range(9)], 1)
            fine = np.ones(len(near), bool)
            if form is not None and form[:, kk].any():
                fine = cKDTree(cp[form[:, kk]]).query(q[near], distance_upper_bound=r)[0] > r
            up = (np.bincount(cell, weights=sense.astype(float)) > 0)[pairs["j"]]  # its sense
            both = np.ones(len(near), bool)
            if crest is not None:  # crests and troughs: a solid's edges fold one way only
                both = ((np.bincount(pairs["i"], weights=up, minlength=len(near)) > 0)
                        & (np.bincount(pairs["i"], weights=~up, minlength=len(near)) > 0))
            crun = np.zeros(len(w), np.int64)
            crun[cell] = run
            field |= fine & both & _parallel(pairs["i"], pairs["j"], w, T, len(near), crun)
        out[near[~field], kk] = 0.0
    return out


def _crease_form(q: np.ndarray, cp: np.ndarray, levels, beyond=None) -> np.ndarray:
    """(C, K) whether each crease vertex is form at scale k: the base form fitted at the query
    point nearest to it bends like a crease there and at every scale up to FORM_LOOKUP coarser
    (`_form_lookup`, the rule `_mask_form` applies to the windows themselves). A box's edge
    bends every window over it at every scale; a ripple's crest, finer than the window, lets
    the fit go flat somewhere coarser."""
    from scipy.spatial import cKDTree

    if not len(cp):
        return np.zeros((0, len(levels)), bool)
    near = cKDTree(q).query(cp, workers=_workers(len(cp)))[1]
    return _form_lookup(levels, beyond)[near]


def _form_lookup(levels, beyond=None) -> np.ndarray:
    """(Q, K) whether the base form fitted at each query point bends like a crease (BEND_RAD)
    at scale k and at every scale up to FORM_LOOKUP coarser (`beyond` (Q, FORM_LOOKUP): the
    bends past the ladder's top, `_lookup_beyond`; None: the lookup is cut short there)."""
    bent = np.stack([lev.bend > BEND_RAD for lev in levels], 1)  # (Q, K)
    look = bent if beyond is None else np.concatenate([bent, beyond], axis=1)
    K = len(levels)
    return np.stack([look[:, kk:min(kk + FORM_LOOKUP, look.shape[1] - 1) + 1].all(axis=1)
                     for kk in range(K)], 1)


def _parallel(i: np.ndarray, j: np.ndarray, w: np.ndarray, T: np.ndarray, n: int,
              run: np.ndarray | None = None) -> np.ndarray:
    """(n,) whether the crease cells j paired with each window i fold about parallel axes: the
    Rayleigh test on their axes (angles doubled: an axis has no sign), whose mean resultant
    R = (l1 - l2) / (l1 + l2) from the two largest eigenvalues of the windows' weighted axis
    tensor sum(w t t^T), over n_eff = (sum u)^2 / sum u^2 independent units, is significant at
    FALSE_ALARM: exp(-n_eff R^2) < FALSE_ALARM. A field of crests folds about one axis; crease
    noise (a scan's) folds every way and is form's, as before. T: (cells, 9) each cell's tensor
    (weights w: its length of line). The units are the runs of crease vertices the window
    holds (run: (cells,) each cell's run, `_crease_runs`; u: a run's line inside the window):
    vertices of a run share faces and fold alike, so neither a vertex nor a cell of the window
    is independent of its neighbours (counting cells of r / CREASE_CELLS, the test passed in
    2-8 % of a vertex-noise sheet's crease windows, up to 16 % at one scale, against its
    FALSE_ALARM of 1 %)."""
    from .peak import FALSE_ALARM

    S = np.stack([np.bincount(i, weights=T[j, c], minlength=n) for c in range(9)], 1)
    W = np.bincount(i, weights=w[j], minlength=n)
    # the units: the runs the window holds (`_crease_runs`), each its length inside the window
    run = np.arange(len(w)) if run is None else run
    key, inv = np.unique(np.stack([i, run[j]], 1), axis=0, return_inverse=True)
    u = np.bincount(inv.ravel(), weights=w[j], minlength=len(key))
    W2 = np.bincount(key[:, 0], weights=u ** 2, minlength=n)
    ev = np.linalg.eigvalsh(S.reshape(n, 3, 3))  # ascending
    R = (ev[:, 2] - ev[:, 1]) / np.maximum(ev[:, 2] + ev[:, 1], 1e-300)
    n_eff = W ** 2 / np.maximum(W2, 1e-300)
    return n_eff * R ** 2 > math.log(1.0 / FALSE_ALARM)


def _ladder_levels(sig, q, nq, pts: Points, prio, qbody, a_pt, origin, tree0=None):
    """Fit every scale: the first on the raw vertices (not measured where its window holds
    RAW_FILL * K of them: locally denser than the ladder's start), every later one on the
    previous scale's points thinned to one per voxel of SPACING * sigma. Returns the levels, per
    scale its kind (row of POWER_TABLE: 0 raw, then one more per thinning, as simulated), and
    (Q, FORM_LOOKUP) whether the fitted base form still bends like a crease at each of the
    FORM_LOOKUP scales beyond the ladder's top (`_lookup_beyond`). When the first window
    already holds too many vertices (the ladder's start was raised on a mesh far finer than it:
    MAX_LEVELS) the first scale is thinned too, from many vertices per voxel: the last,
    converged kind. tree0: a KD-tree of pts.p to reuse (the model's shared vertex tree); prio:
    the points' thinning priorities (`_sources`)."""
    from scipy.spatial import cKDTree

    levels, rows, tree = [], [], tree0
    attrs = _attributes(pts) if tree0 is not None else None
    dense = math.pi * (SUPPORT * sig[0]) ** 2 / a_pt > RAW_FILL * K_NEIGHBOURS
    for kk, s in enumerate(sig):  # loop over scales (a dozen), not over points
        if kk > 0 or dense:
            cell = SPACING * s
            pts, prio = thin(pts, cell, origin - GRID_OFFSET * cell, prio)
            tree = None
        if tree is None:
            # (unbalanced, non-compact trees build several times faster; queries barely notice)
            tree = cKDTree(pts.p, balanced_tree=False, compact_nodes=False)
            attrs = _attributes(pts)
        # where the raw vertices are locally denser than the ladder's start (a refined patch,
        # a sculptor's dynamic-topology detail on a coarse body), the first window is cut by
        # its K nearest, not by its support: a few tenths of sigma across, it passes no relief
        # the table says it passes, and the fit reads the wave long (ground-truth
        # texture:c88022 read a 0.64 mm ripple as 1.28 mm; docs/texture.md s.7.46). Those
        # windows are not measured at the raw scale; the thinned scales hold the table's
        # density everywhere.
        fill = None if (kk > 0 or dense) else RAW_FILL * K_NEIGHBOURS
        lev = fit_level(tree, q, nq, pts, s, qbody, attrs, fill)
        nq = lev.normal
        levels.append(lev)
        rows.append(SIM_LEVELS - 1 if dense else min(kk, SIM_LEVELS - 1))
    beyond = _lookup_beyond(sig[-1], q, nq, pts, qbody, origin, prio, levels[-1].bend > BEND_RAD)
    return levels, rows, beyond


def _lookup_beyond(top, q, nq, pts: Points, qbody, origin, prio, bent) -> np.ndarray:
    """(Q, FORM_LOOKUP) whether the fitted base form bends like a crease at each of the
    FORM_LOOKUP scales coarser than the ladder's top (`top`), so that the form rule of
    `_mask_form` sees its whole lookup at every scale of the ladder. Without them the top
    scales were judged on themselves alone: a steep ripple (slope ~1) bends a window two
    wavelengths across, and on a small model, whose ladder ends near the ripple's wavelength,
    its plateau scale (sigma ~0.9 lam) was masked as form over the whole patch, so its
    amplitude read 0 and no component was judged (ground-truth texture:27, :63, :136). Only
    the points still bent at every scale so far are fitted (a few; the rest are known not to
    be a crease); a window that cannot be fitted (too few points on a small model, another
    body) counts as bent, as the cut-short lookup did."""
    from scipy.spatial import cKDTree

    out = np.zeros((len(q), FORM_LOOKUP), bool)
    for e in range(FORM_LOOKUP):  # a few scales, each over the points still bent
        idx = np.flatnonzero(bent)
        if not len(idx):
            break
        s = top * RATIO ** (e + 1)
        cell = SPACING * s
        pts, prio = thin(pts, cell, origin - GRID_OFFSET * cell, prio)
        tree = cKDTree(pts.p, balanced_tree=False, compact_nodes=False)
        lev = fit_level(tree, q[idx], nq[idx], pts, s, None if qbody is None else qbody[idx])
        hit = (lev.bend > BEND_RAD) | ~np.isfinite(lev.residual)
        nq = nq.copy()
        nq[idx] = lev.normal
        bent = np.zeros(len(q), bool)
        bent[idx[hit]] = True
        out[:, e] = bent
    return out


def _mask_form(res: np.ndarray, q: np.ndarray, sig, levels, dcrease, dfan=None,
               rows=None, beyond=None) -> tuple[np.ndarray, np.ndarray]:
    """NaN where a scale's window holds form rather than relief (in place; returns (bent,
    reach), each (Q, K): where the fitted base form bends like a crease, the last reason below,
    and where the window was masked only because it reached one of the model's creases --
    a crease line, or the form bending at one -- whose mean squares `region_spectra` fills from
    the point's finer scale): crease points within the window; fan apexes within it at the
    raw-vertex scale (rows[k] == 0: the only scale that reads the triangulation's vertices; a
    refined patch's rim fans into its coarse vertices, and masking those at every scale hid
    the patch from its coarse windows); and creases, rims and
    fillets at the window's own scale: the fitted base form bends sharply there and keeps
    bending at every scale up to three coarser (a crease looks the same at every scale; texture,
    even deep grooves, bends the fit only near its own scale and lets go somewhere coarser).
    `beyond` (Q, FORM_LOOKUP): the bends at the scales past the ladder's top (`_lookup_beyond`;
    None: the lookup is cut short there)."""
    from scipy.spatial import cKDTree

    K = len(sig)
    if dcrease.ndim == 1:
        dcrease = np.where(dcrease[:, None] <= SUPPORT * np.asarray(sig)[None, :], 0.0, np.inf)
    look = _form_lookup(levels, beyond)
    form = np.zeros(res.shape, bool)
    reach = np.isfinite(res)  # masked below only by the model's creases (else cleared)
    for kk, s in enumerate(sig):
        hit = dcrease[:, kk] <= SUPPORT * s
        res[hit, kk] = np.nan
        if dfan is not None and rows[kk] == 0:  # only the raw vertices' scale reads the fans
            fan = dfan <= SUPPORT * s
            reach[fan, kk] = False
            res[fan, kk] = np.nan
        crease = look[:, kk]
        edge = hit
        if crease.any():
            bends = np.flatnonzero(crease)
            dc, near = cKDTree(q[bends]).query(q, distance_upper_bound=CREASE_GROW * s,
                                               workers=_workers(len(q)))
            form[:, kk] = np.isfinite(dc)
            # a bend whose own window reaches one of the model's creases is that crease seen
            # at this scale (a slab's edge), not the relief bending like form (a steep crest)
            at_edge = hit[bends[np.minimum(near, len(bends) - 1)]]
            edge = hit | (form[:, kk] & at_edge)
            reach[form[:, kk] & ~at_edge, kk] = False
        reach[:, kk] &= edge
    res[form] = np.nan
    # the evidence of relief bending like form, for the harmonic test: not at the ladder's top
    # scales (a model's own edges and its overall shape bend the fit there)
    form[:, max(K - FORM_LOOKUP, 0):] = False
    return form, reach


def _ladder_edge(median_edge: float, diag: float) -> float:
    """The edge the ladder starts from: the median edge rounded to a step of EDGE_STEP in its
    ratio to the diagonal. A local edit moves the median by 1e-5..1e-3 of itself; read raw, it
    moved every scale, every voxel of the thinning and so every reading on the model (a sheet
    with one dimple re-read its far side by up to 6 % of the ripple's amplitude); rounded, the
    ladder stays unless the median crosses a step (odds ~ its move / the step). The ratio, not
    the length, is rounded: a model scaled by any factor keeps its ladder in proportion."""
    if not (diag > 0 and median_edge > 0):
        return median_edge
    n = round(math.log(median_edge / diag) / math.log(EDGE_STEP))
    return diag * EDGE_STEP ** n


def compute(analysis, query_count: int | None = None) -> Spectrum:
    """The detail spectrum of analysis.model (use `spectrum(analysis)` for the cached one)."""
    from scipy.spatial import cKDTree

    from .. import keys

    m = analysis.model
    nf = m.n_faces
    sub = slice(None)
    if nf > EDGE_SAMPLE:  # a share of the faces drawn by their keys (an edit elsewhere keeps it)
        sub = np.flatnonzero(keys.uniform(_keys(analysis)[1], EDGE_SALT) < EDGE_SAMPLE / nf)
    # the mesh's resolution: the median of each face's shortest edge (across a sliver its short
    # edge is what the mesh holds; on an even mesh it is ~0.85 of the typical edge)
    median_edge = float(np.median(_face_edges(m.vertices[m.faces[sub]]).min(axis=1)))
    sig, lams = ladder(_ladder_edge(median_edge, analysis.bbox_diag_mm), analysis.bbox_diag_mm)
    if query_count is None:
        query_count = int(np.clip(QUERY_PER_FACE * nf, QUERY_MIN, QUERY_MAX))
    q, qf, q_area, qkey = _query_points(analysis, query_count)
    fbody = analysis.body_labels if analysis.n_bodies > 1 else None
    qbody = fbody[qf] if fbody is not None else None
    pts, prio = _sources(analysis, median_edge, fbody)
    cp, fp, cw, ct, crest, run = _crease_points(analysis)
    dfan = cKDTree(fp).query(q, workers=_workers(len(q)))[0] if len(fp) else np.full(len(q), np.inf)
    # surface per vertex where the mesh is fine (the median: a coarse base does not count)
    a_pt = float(np.median(pts.area))
    # the raw scale reads the vertices themselves when every vertex carries area and no big
    # face is sampled: then the model's shared vertex KD-tree (the edges family's) serves it
    tree0 = analysis.kdtree if pts.p is m.vertices else None
    levels, rows, beyond = _ladder_levels(sig, q, analysis.face_normals[qf], pts, prio, qbody,
                                          a_pt,
                                          m.vertices.min(axis=0), tree0)
    res = np.stack([lev.residual for lev in levels], 1)
    dcrease = _crease_lines(q, cp, cw, sig, ct, _crease_form(q, cp, levels, beyond), crest,
                            run)
    bent, reach = _mask_form(res, q, sig, levels, dcrease, dfan, rows, beyond)
    # local mesh size: across a sliver its short edge sets what the mesh can hold; the facet
    # size (a sliver of a coarse capsule is flat over its whole length) is its longest edge
    fq = _face_edges(m.vertices[m.faces[qf]])
    normal = levels[-1].normal
    # the base form's largest curvature, bend / (sigma x the window's width) (Level.bend), the
    # most any scale fitted at the point (facets turn with the form at their own, fine scale; a
    # coarse window averages a small lobe's curvature away; NaN: no scale fitted)
    kappa = np.fmax.reduce([np.where(np.isfinite(lev.residual), lev.bend, np.nan)
                            / (2.0 * SUPPORT * s) for lev, s in zip(levels, sig)])
    return Spectrum(q, qf, normal, res, sig, lams, median_edge, analysis.total_area / query_count,
                    fq.min(axis=1), fq.max(axis=1), tuple(rows), tilt_weights(normal), qbody,
                    kappa, q_area, bent, reach, plane_sizes(analysis, qf, fq.max(axis=1)), qkey,
                    query_count)


def spectrum(analysis) -> Spectrum:
    return analysis.cached("detail_spectrum", compute)
