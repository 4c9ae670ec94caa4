"""Crease chains and their bevel radius, measured on cross-sections (the edges family's kernel).

Principle (docs/edges.md has the derivation and the figures):
1. **Where the surface turns.** Every interior edge e joins two faces whose normals differ by the
   dihedral turn theta_e. Each face sums the normal-cycle tensor T = sum theta_e l_e e e^T / 2 of
   its turning edges over itself and its edge neighbours; the top eigenvalue over the area is the
   largest principal curvature there and its eigenvector the crease direction a (Cohen-Steiner &
   Morvan: independent of how the triangles are oriented). Crease faces curve at least 1/R_detect
   with a clear direction, or touch an edge that turns >= turn_min on its own (a hard edge).
2. **Chains.** Neighbouring crease faces with parallel directions form a chain (corners, where
   directions cross, split chains); a face on one hard edge links across that edge and along it
   only, so the two rims of a one-row wall stay two chains. Chains grow over the rest of their
   curved band.
3. **Cross-sections.** At up to STATIONS_PER_CHAIN stations along each chain the mesh is cut by
   the plane through the station perpendicular to the crease direction, walking face to face
   across the band and into both flanks (exact on the triangles: no nearest-point guess, so long
   slivers and fan caps read correctly). Each section is a profile: the normal's angle phi about
   a against arc length s, one step per crossed edge.
4. **The band and the turn.** The band is the run of crossings around the station that turn at
   least BAND_FRACTION of the station's own turn rate (turn per width of the finer face beside
   the crossing); the turn Theta is the angle between the first flank faces on either side.
   A station this reading rejects is read again from the profile's levels (_band_levels):
   outwards over every crossing, whichever way it turns, to quiet flanks; its quarter points
   on the cumulative turn (long slivers along a curved crease tilt their faces about it by
   ~L^2 kappa / (8 w), so a fillet a few rows wide zig-zags while its flanks are exact).
5. **An edge, not a form.** Beyond each side of the band the section walks one more band width
   (at least FLANK_REACH_ROWS of the flank's faces, and the eye's resolvable size); if a flank
   turns there by more than FLANK_RATIO of Theta the surface curves as much beside the band as in
   it (a limb, a ripple, a coarse smooth surface, a faceted rod): a form, not an edge.
6. **Radius and its interval.** Each crossing's turn is spread over its cell (half the finer face
   beside it on either side); the middle half of the turn spans W_mid, and a circular bevel of
   radius R turning Theta has W_mid = R Theta / 2, so R = 2 W_mid / Theta. The band's edges are
   known only to one row h (the median cell width in the band: for a hard edge the finer face
   beside it), so R lies in [R - h/Theta, R + h/Theta] (clipped at 0): a crease one or two rows
   wide has R in [0, ~h/Theta..2h/Theta], whatever its value suggests.
Per chain the stations' medians are taken (a section that read another crease than its own
counts neither way); a chain's point is the band centre of the section that read its radius.
7. **Hard creases no chain accounts for** (a box of 12 triangles, a cylinder of fan caps: every
   face touches several creases, so no face chain or section reads them): edges turning
   >= turn_min joined into lines; a line no kept chain holds is a chain, read as a hard crease
   (_band_hard: its own crossing, flanks up to the next crease: a flat flank one face wide is a
   flank, its level exact), R in [0, 2h/Theta].
Everything is vectorised over edges, faces, stations
and walkers; the only loops are over a fixed handful of passes and the walk's steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# --- detection (step 1-2) ---
ANGLE_EPS = 1e-9  # angles equal to a threshold up to rounding count as reaching it
MIN_EDGE_TURN_RAD = np.radians(1.0)  # dihedrals below this are tessellation noise
AXIS_COS = np.cos(np.radians(35.0))  # neighbouring crease faces with directions closer join
ANISOTROPY = 0.5  # lambda2 / lambda1 above this: no crease direction (corner or dome)
SMOOTH_RINGS = 1  # edge-neighbour rings summed into each face's curvature tensor
WEAK_FRACTION = 0.25  # grown faces: curvature >= this share of their chain's median
GROW_RINGS = 2  # rings a chain grows over the rest of its curved band
GROW_ANISOTROPY = 0.5  # grown faces: not doubly curved (corners, domes)
WIDE_CAP = 3.0  # strip width at most this many heights of the smaller face over the edge
# --- cross-sections (step 3-6) ---
STATIONS_PER_CHAIN = 8  # sections cut per chain (medians over them: robust to noise)
MIN_STATIONS = 3  # chains keep at least this many even when the station budget is short
MAX_STATIONS = 6_000  # all chains together (bounds the walk's cost on huge scans)
MAX_CROSSINGS = 32  # edges crossed per side of a section on the first walk (a station whose
# band or flank reaches past it is walked again below; 48 here was slower and no better: truth
# suite recall 239 vs 242 of 334, unsupported 18 vs 15)
MAX_CROSSINGS_AGAIN = 192  # ... when a station is walked again (its band or flank was wider
# than the first walk saw): a fillet of 50+ rows on an irregular mesh (two crossings a row)
BAND_FRACTION = 0.3  # a crossing in the band turns >= this share of the station's turn rate
FLANK_RATIO = 0.2  # a flank turning more than this share of the band's turn within one band
# width beyond it curves at a fifth of the band's rate or more: a rounded form (a pebble's rim
# reads 0.3), not an edge between flat faces (0.00-0.04 on the shape grammar, noise included)
FLANK_SCATTER = 2.0  # a flank's median scatter about its level counts this many times
# against FLANK_RATIO: a scatter of a tenth of the turn is a flank as rough as the band is
# sharp (a noisy fan of slivers at a sphere's pole), not a face
MAX_BEVEL_TURN = np.radians(170.0)  # a band turning more is the end of a rod or the rim of a
# sheet (its flanks face away from each other): a thin part, not an edge between faces
FLANK_REACH_ROWS = 0.75  # the flank is read at least this many of its own faces wide (one
# face is always flat; the next face's turn is what shows a sampled curve)
WALK_BAND_WIDTHS = 3.0  # how far a section walks, in units of the chain's nominal band width
REWALK_WIDTHS = 2.5  # a section walked again goes this many measured band widths each way
# (the band's far edge is at most one width away, and its flank is read one width further)
MIN_ROWS_RESOLVED = 2.0
TRANSPARENT_FRACTION = 0.25  # crossings turning less than this share of the station's own
# crossing are transparent (a quad's diagonal, an oblique edge of an irregular band)
SPECK_FACE_QUANTILE = 0.1  # a chain's face size: its finer faces (a fan cap's slivers are not)
MEDIAN_EPS = 1e-9  # a quantile this far above 1/2 is the upper of two middle values
TIE_REL = 1e-6  # crossings turning alike to this share are equally strong (rounding only)
REF_CROSSINGS = 8  # the station's reference turn is sought this many crossings either side
GAP_ROWS = 2.5  # a band bridges coplanar crossings (a quad's diagonal) no wider than this
# many of its rows (the row at its reference crossing)
BRIDGE_MIN_LINES = 3  # a bevel bridged across flats has at least this many facet lines (two
# lines of equal turn are a plate's rims or a chamfer: creases of their own)
BRIDGE_MAX_SHARE = 0.5  # no line of a bridged bevel turns more than this share of it
BRIDGE_MAX_LINES = 16  # a bridged bevel has at most this many facet lines either side
BRIDGE_TAPER = 0.75  # a two-chord fillet's end lines turn at most this share of its middle
BRIDGE_MAX_TURN = np.pi  # a bevel between two flanks turns less than a half turn (more is
# a rod's rounded end or a ring's whole section: several edges)
BRIDGE_EVEN = 2.0  # its flats are even: none wider than this many times their median
BRIDGE_SPLITS = 4  # rounds of cutting the run at its wide flats nearest the station
LINK_ROWS = 3.0  # chains continuing one another across a gap of about two faces are one
LINK_TURN = 0.35  # chains joined across a band turn within this share of each other
LINK_RADIUS = 1.3  # ... and their radius intervals overlap when widened by this factor
LINK_KAPPA = 2.5  # chains joined along curve alike: median curvatures within this factor
LINK_NEIGHBOURS = 16  # boundary faces examined around each (a gap's far side is among them)
TAIL_ROWS = 1.25  # a band takes in same-way turns this many rows beyond its ends (the tangent
# cell turns at the far side of the first row beyond: one row on an even mesh, and rows are up
# to a quarter uneven; at exactly 1.0 rounding decided whether that crossing was in)
PLACE_FACES = 5  # faces listed per chain (around its representative point)
PLACE_QUANTUM = 1e-9  # share of the model's span below which two places are one (a
# face's centroid summed in another corner order moves by ~1e-16 of it)
STEP_EPS = 1e-6  # a step shorter than this share of the face is a start on its edge (its
# direction is rounding noise: the walk's own way tells which side the face lies on)
NOISE_SIGMA_PER_MAD = 1.4826  # a normal spread's sigma per median absolute turn
MEDIAN_SE = 1.2533  # a median's standard error per sigma / sqrt(n) (sqrt(pi / 2), normal)
LEVEL_NOISE_Q = 0.25  # a level reading's noise floor: this quantile of the turns away from
NOISE_SIGMA_PER_QUARTILE = 1.0 / 0.3186  # the band (half-normal: q25 = 0.3186 sigma), robust
# to the rows of other fillets the walk crosses on a narrow part (up to 3/4 of what it sees)
NOISE_TURNS = 2.5  # crossings turning less than this many noise sigmas are noise
FOLD_FRACTION = 0.5  # a fold turns against the band by less than this share of its strongest
SNAP_FRACTION = 0.25  # a plane passing within this share of a face's depth across it from the
# face's lone vertex clips the face's corner: the crossings either side are one turn at that
# vertex (measured across the plane, not along the walk: an oblique cut through a row of long
# slivers crosses each one far from its corners, however long its part of the walk is short)
LEVEL_QUIET_ROWS = 2.5  # a level reading's band ends where no crossing turns above the noise
# floor for this many of the band's rows (as GAP_ROWS: a quad's diagonal, a row turning little
# where a zig-zag passes its level, lie inside; a flank is at least a face wide and flat)
THIN_EYES = 3.0  # a flat between two creases that turn a half turn together is a thin part's
# tip (a rod's end, a sheet's rim) unless it is this many resolvable sizes wide: a face the
# eye sees (a 12 x 6 mm box side is 40 of them; a 0.3 mm spear's end is 2)
SLOPE_SPREAD = 1e-6  # a flank's samples spread along the section by less than this share of
# its reach are one place: no slope can be read from them (rounding residues are ~1e-16)
TURN_BACK_WIDTHS = 2.0  # a flank's turn back is read this many reaches (band widths) out: a
# crest band's inflection lies within one width of its end (a sine cut at BAND_FRACTION of its
# peak curvature: 0.12 widths; level readings up to 0.65), and the turn back reaches
# FLANK_RATIO of the crest's turn 0.35 widths past it
PARABOLA_MIN_FACES = 6  # a flank's parabola is judged on six faces or more: three fit it
# exactly (no scatter left to weigh its curvature against); six leave three degrees of freedom
PARABOLA_Z = 2.0  # a flank's curvature counts when its fitted term is this many standard
# errors from zero (two: a noisy straight flank reads curved 1 time in 20)
PARABOLA_COND = 1e-9  # a parabola fit whose normal equations are this near singular (faces
# at two positions only) reads no curvature: rounding, not the surface
ROW_ALONG = 0.25  # an edge reaching across the crease less than this share of its row runs
# along it (a row of the profile): 2 x this is where the aligned row term stops being narrower
ROW_ALIGNED_MIN_ROWS = 1.75  # rows read across a band drawn along them before its row term
# narrows: read from its tangent lines (_tangent_radius) within 0.24 h / Theta from 1.5 rows,
# up to 0.67 below (rows a quarter uneven)
ROW_TANGENT_MAX_ROWS = 3.0  # ... and read from its tangent lines below this many rows (beyond,
# its quarter points fall in cells wholly on the arc and are the better reading)
TAIL_SHARE = 2.0 / 3.0  # a band's end crossing turning under this share of its neighbour's is
# a flank vertex (a tangent cell turns at most half a row's share; a row turns its whole share,
# its neighbour up to a quarter more on uneven rows)
ROW_ALIGNED_SHARE = 0.5  # the share of a row within which such a band is known (the worst
# error of a circular fillet so read at any phase, rows up to 25 % uneven, is 0.34 of a row)
CHAIN_ANISOTROPY = 0.3  # a chain's median face must be this clearly directional  # fewer rows across the band: the radius is resolution-limited


@dataclass
class Creases:
    """Per-chain arrays (index = chain id) plus the face labels they came from."""

    face_chain: np.ndarray  # (n_faces,) chain id or -1
    radius_mm: np.ndarray  # R = 2 W_mid / Theta (median over the chain's sections)
    radius_lo_mm: np.ndarray  # interval from the resolution across the band
    radius_hi_mm: np.ndarray
    resolution_mm: np.ndarray  # h: median cell width across the band (one row)
    resolution_limited: np.ndarray  # bool: fewer than MIN_ROWS_RESOLVED rows across the band
    turn_rad: np.ndarray
    length_mm: np.ndarray
    centroid_mm: np.ndarray  # (k, 3)
    axis: np.ndarray  # (k, 3)
    first_faces: list = field(default_factory=list)  # a few face ids per chain
    flank_width_mm: np.ndarray = None  # how far the flatter flank stays flat (inf: beyond reach)
    n_faces: np.ndarray = None
    convex: np.ndarray = None  # bool per chain
    flank_ratio: np.ndarray = None  # flank turn / Theta (median over sections)
    detect_radius_mm: float = 0.0
    turn_min_rad: float = 0.0

    @property
    def count(self) -> int:
        return int(len(self.radius_mm))

    @classmethod
    def empty(cls, nf: int, detect: float, turn_min: float) -> "Creases":
        z = np.zeros(0)
        return cls(np.full(nf, -1), z, z, z, z, np.zeros(0, bool), z, z, np.zeros((0, 3)),
                   np.zeros((0, 3)), [], z, np.zeros(0, int), np.zeros(0, bool), z, detect,
                   turn_min)


def edge_faces_from_keys(n_vertices: int, keys, counts, inverse):
    """Interior manifold edges from integer edge keys (Analysis._edge_keys): vertex pairs
    (k, 2) and face pairs (k, 2), in key order. Edges with 3+ faces are left out."""
    n = len(counts)
    fid = np.arange(len(inverse)) // 3
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    first[inverse[::-1]] = fid[::-1]  # the last write wins: smallest face id
    last[inverse] = fid
    two = np.flatnonzero(counts == 2)
    nv = np.int64(n_vertices)
    k = keys[two]
    ev = np.stack([k // nv, k % nv], axis=1)
    return ev, np.stack([first[two], last[two]], axis=1)


def edge_faces(faces: np.ndarray):
    """Interior manifold edges of a face array: (vertex pairs (k,2), face pairs (k,2))."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], axis=1)
    e = e.reshape(-1, 2)
    nv = int(faces.max()) + 1 if len(faces) else 0
    keys = e.min(axis=1) * np.int64(nv) + e.max(axis=1)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return edge_faces_from_keys(nv, uniq, counts, inverse)


def _analysis_edge_faces(a):
    if hasattr(a, "_edge_keys"):
        uniq, counts, inverse = a._edge_keys
        return edge_faces_from_keys(a.model.n_vertices, uniq, counts, inverse)
    return edge_faces(a.model.faces)


def _weighted_quantile(values, weights, labels, n, q):
    """Per-label weighted quantile (labels 0..n-1), vectorised with one sort by label then
    value (analysis.lexsort_labels: np.lexsort's permutation, about twice as fast)."""
    from . import lexsort_labels

    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    order = lexsort_labels(values, labels)
    v, w, lab = values[order], weights[order], labels[order]
    tot = np.bincount(lab, weights=w, minlength=n)
    cw = np.cumsum(w)
    start = np.r_[0, np.cumsum(np.bincount(lab, minlength=n))[:-1]]
    base = np.where(start > 0, cw[np.maximum(start - 1, 0)], 0.0)
    frac = (cw - base[lab]) / np.maximum(tot[lab], 1e-300)
    hit = frac >= q - 1e-12
    idx = np.flatnonzero(hit)
    first = np.full(n, -1)
    first[lab[idx[::-1]]] = idx[::-1]  # reverse assignment keeps the smallest index per label
    has = first >= 0
    out[has] = v[first[has]]
    return out


def sym_eig_top(t: np.ndarray):
    """Closed-form eigen of symmetric 3x3 tensors given as (k, 6) [xx, yy, zz, xy, xz, yz]:
    (largest eigenvalue, middle eigenvalue, unit eigenvector of the largest)."""
    a00, a11, a22, a01, a02, a12 = (t[:, j] for j in range(6))
    q = (a00 + a11 + a22) / 3.0
    b00, b11, b22 = a00 - q, a11 - q, a22 - q
    p1 = a01 * a01 + a02 * a02 + a12 * a12
    p = np.sqrt((b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * p1) / 6.0)
    ps = np.where(p > 0, p, 1.0)
    det = (b00 * (b11 * b22 - a12 * a12) - a01 * (a01 * b22 - a12 * a02)
           + a02 * (a01 * a12 - b11 * a02)) / ps ** 3
    phi = np.arccos(np.clip(0.5 * det, -1.0, 1.0)) / 3.0
    e1 = q + 2.0 * p * np.cos(phi)
    e3 = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
    e2 = 3.0 * q - e1 - e3
    # eigenvector of e1: the largest cross product of two rows of (A - e1 I)
    r0 = np.stack([a00 - e1, a01, a02], 1)
    r1 = np.stack([a01, a11 - e1, a12], 1)
    r2 = np.stack([a02, a12, a22 - e1], 1)
    c = np.stack([np.cross(r0, r1), np.cross(r0, r2), np.cross(r1, r2)], 1)
    nn = np.einsum("kij,kij->ki", c, c)
    best = np.argmax(nn, axis=1)
    v = c[np.arange(len(t)), best]
    ln = np.sqrt(nn[np.arange(len(t)), best])
    v = v / np.where(ln > 0, ln, 1.0)[:, None]
    return e1, e2, v


def _sym6(vec: np.ndarray, wt: np.ndarray) -> np.ndarray:
    x, y, z = vec[:, 0], vec[:, 1], vec[:, 2]
    return np.stack([x * x, y * y, z * z, x * y, x * z, y * z], 1) * wt[:, None]


def find_creases(analysis, detect_radius_mm: float, turn_min_deg: float = 30.0,
                 eye_mm: float = 0.0) -> Creases:
    """Crease chains of the model with their turn, bevel radius and its interval.

    detect_radius_mm: the softest bevel worth finding (curvature seeds >= 1/R_detect);
    eye_mm: the eye's resolvable size (a flank is read at least this far: facets narrower
    than it blend into a round form)."""
    nf = analysis.model.n_faces
    turn_min = float(np.radians(turn_min_deg))
    seeds = _seed_chains(analysis, detect_radius_mm, turn_min)
    if seeds is None or seeds["ncomp"] == 0:
        # (no crease face: on a box of 12 triangles every face touches crossing creases and
        # none has a clear direction; its hard edges are still creases)
        return _drop_buried(analysis, _hard_chains(
            analysis, _strong_edges(analysis, turn_min),
            Creases.empty(nf, detect_radius_mm, turn_min), eye_mm, turn_min))
    _merge_along(analysis, seeds)
    _drop_specks(analysis, seeds, turn_min)
    st = _stations(analysis, seeds, detect_radius_mm, eye_mm)
    prof = _measure(analysis, st, eye_mm, turn_min)
    _merge_across(seeds, st, prof)
    cr = _chains(analysis, seeds, st, prof, detect_radius_mm, turn_min, eye_mm)
    return _drop_buried(analysis, _hard_chains(analysis, seeds, cr, eye_mm, turn_min,
                                               (st, prof)))


def _drop_buried(analysis, cr: Creases) -> Creases:
    """The chains on the printed surface: a crease inside another body of a model whose
    bodies are not unioned (the edges of a kitbash's part sunk into another, of a scan's
    second shell under the first) is inside the print, seen by no one. Judged at the chain's
    point (on the crease, where its radius was read), moved a hair outward along the mean
    normal of the faces listed there (a concave crease's bisector points into the open):
    buried_points. (Not by its faces: beside a rim drawn with long slivers, the faces'
    middles lie far from the crease, outside the body the rim is sunk into.)"""
    if analysis.n_bodies <= 1 or cr.count == 0:
        return cr
    from .thickness import buried_points

    fn = analysis.face_normals
    nrm = np.stack([fn[list(f)].sum(axis=0) for f in cr.first_faces])  # (a few per chain)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-300)
    first = np.array([f[0] for f in cr.first_faces], dtype=np.int64)
    keep = ~buried_points(analysis, np.asarray(cr.centroid_mm, float), nrm, first)
    if keep.all():
        return cr
    new = np.full(cr.count + 1, -1)
    new[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    fc = np.asarray(cr.face_chain)
    per = {k: np.asarray(getattr(cr, k))[keep] for k in (
        "radius_mm", "radius_lo_mm", "radius_hi_mm", "resolution_mm", "resolution_limited",
        "turn_rad", "length_mm", "centroid_mm", "axis", "flank_width_mm", "n_faces",
        "convex", "flank_ratio")}
    return replace(cr, face_chain=new[np.where(fc >= 0, fc, cr.count)],
                   first_faces=[f for f, k in zip(cr.first_faces, keep) if k], **per)


def _measure(analysis, st, eye, turn_min, read=None):
    """Walk and read every station's section (`read`: _read_profiles, or _read_hard); where
    a band turned out wider than the walk could show with its flanks (a fillet of a few chords
    on a finer mesh), walk that station again, far enough to see them."""
    read = read or _read_profiles
    walk = _walk_sections(analysis, st["p"], st["a"], st["f"], st["reach"])
    prof = read(analysis, walk, st, eye, turn_min)
    again = np.flatnonzero(prof.pop("unseen"))
    if len(again) == 0:
        return prof
    sub = {k: v[again] for k, v in st.items()}
    sub["reach"] = np.fmax(sub["reach"], REWALK_WIDTHS * prof["width"][again] + 2.0 * eye)
    walk = _walk_sections(analysis, sub["p"], sub["a"], sub["f"], sub["reach"],
                          MAX_CROSSINGS_AGAIN)
    redo = read(analysis, walk, sub, eye, turn_min)
    redo.pop("unseen")
    keep = ~np.isin(prof["band_faces"][0], again)
    for k, v in redo.items():
        if k != "band_faces":
            prof[k][again] = v
    prof["band_faces"] = (np.r_[prof["band_faces"][0][keep], again[redo["band_faces"][0]]],
                          np.r_[prof["band_faces"][1][keep], redo["band_faces"][1]])
    return prof


def _drop_specks(analysis, seeds, turn_min):
    """Unlabel chains too short to be kept whatever their sections say: a kept chain turns
    >= turn_min, so its length is at most (its turn x length along it) / turn_min, and it must
    be longer than two of its faces (saves cutting sections through noise specks)."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    f1, f2, theta, ell, ehat = (seeds[k] for k in ("f1", "f2", "theta", "ell", "ehat"))
    fe = _edge_face(fc, f1, f2, analysis.face_centroids)
    ech = fc[fe]
    ke = ech >= 0
    fe = fe[ke]
    along = np.bincount(ech[ke], weights=theta[ke] * ell[ke] *
                        np.einsum("ij,ij->i", ehat[ke], seeds["axis"][fe]) ** 2, minlength=ncomp)
    cf = np.flatnonzero(fc >= 0)
    size = _weighted_quantile(np.sqrt(2.0 * analysis.face_areas[cf]), np.ones(len(cf)),
                              fc[cf], ncomp, SPECK_FACE_QUANTILE)
    speck = along / turn_min < 2.0 * size
    seeds["along"] = along
    seeds["face_chain"] = np.where((fc >= 0) & ~speck[np.maximum(fc, 0)], fc, -1)


def _all_edge_faces(a):
    """(n_edges, 2) faces of every unique edge (analysis.edges_unique order), -1 where the
    edge has one face or more than two (a section stops there)."""
    uniq, counts, inverse = a._edge_keys
    fid = np.arange(len(inverse)) // 3
    first = np.empty(len(uniq), np.int64)
    last = np.empty(len(uniq), np.int64)
    first[inverse[::-1]] = fid[::-1]
    last[inverse] = fid
    ok = counts == 2
    return np.stack([np.where(ok, first, -1), np.where(ok, last, -1)], 1)


def _stations(analysis, seeds, detect, eye):
    """Where each chain is cut: hard-edge midpoints (direction: the edge) and curved band
    faces (direction: their tensor's), up to STATIONS_PER_CHAIN per chain, spread evenly
    along the chain (_spread: by geometry alone, so the same surface listed in another order
    is cut at the same places)."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    v, fa, fcen = analysis.model.vertices, analysis.face_areas, analysis.face_centroids
    ce, f1, f2, strong, ehat = seeds["ce"], seeds["f1"], seeds["f2"], seeds["strong"], seeds["ehat"]
    ev = seeds["ev"]
    # hard stations: strong edges inside a chain
    hs = np.flatnonzero(strong)
    hch = fc[_edge_face(fc, f1[hs], f2[hs], fcen)]
    k = hch >= 0
    hs, hch = hs[k], hch[k]
    hp = 0.5 * (v[ev[ce[hs], 0]] + v[ev[ce[hs], 1]])
    # soft stations: chain faces touching no strong edge, curving at least 1/R_detect
    touch = np.zeros(len(fc), bool)
    touch[f1[strong]] = True
    touch[f2[strong]] = True
    cf = np.flatnonzero(fc >= 0)
    kmed = _weighted_quantile(seeds["kappa"][cf], np.ones(len(cf)), fc[cf], ncomp, 0.5)
    kf = seeds["kappa"]
    sf = np.flatnonzero((fc >= 0) & ~touch & (kf >= 1.0 / detect) &
                        (kf >= (1.0 - TIE_REL) * kmed[np.maximum(fc, 0)]))
    # (TIE_REL: faces curving alike up to rounding, whose last bits follow the file's order)
    p = np.concatenate([hp, fcen[sf]])
    a = np.concatenate([ehat[hs], seeds["axis"][sf]])
    # a hard edge's section starts on the face of the two that comes first by place (the
    # smaller face id would follow the file's listing)
    f = np.concatenate([_first_by_place(fcen, f1[hs], f2[hs]), sf])
    ch = np.concatenate([hch, fc[sf]])
    edge = np.r_[hs, np.full(len(sf), -1)]  # the hard edge a station is cut at (-1: a face)
    o, t_rank = _spread(p, ch)
    p, a, f, ch, edge = p[o], a[o], f[o], ch[o], edge[o]
    # (the direction's sign is the listing's too: an edge runs from its lower vertex id)
    a = a * np.where(a[np.arange(len(a)), np.argmax(np.abs(a), axis=1)] < 0, -1.0, 1.0)[:, None]
    # the budget: STATIONS_PER_CHAIN for the chains that turn the most along their length
    # (turn x length), MIN_STATIONS for the rest once MAX_STATIONS would be exceeded; a share
    # equal for all would cut a long edge's sections because of noise specks elsewhere
    live = np.unique(fc[fc >= 0])
    n_full = max(0, (MAX_STATIONS - MIN_STATIONS * len(live)) //
                 (STATIONS_PER_CHAIN - MIN_STATIONS))
    quota = np.full(max(ncomp, 1), MIN_STATIONS)
    quota[live[np.lexsort((live, -seeds["along"][live]))][:n_full]] = STATIONS_PER_CHAIN
    s = _evenly(t_rank, ch, quota)
    p, a, f, ch, edge = p[s], a[s], f[s], ch[s], edge[s]
    an = np.linalg.norm(a, axis=1)
    s = an > 0
    p, a, f, ch, edge = p[s], a[s] / an[s, None], f[s], ch[s], edge[s]
    # how far to walk: a few nominal band widths (pi / curvature of the chain's faces,
    # at most pi R_detect), three faces, two eye resolutions
    kap = np.maximum(seeds["kappa"][cf], 1.0 / detect)
    w0 = _weighted_quantile(np.pi / kap, np.ones(len(cf)), fc[cf], ncomp, 0.5)
    h0 = np.sqrt(2.0 * fa[f])
    reach = WALK_BAND_WIDTHS * w0[ch] + 3.0 * h0 + 2.0 * eye
    return dict(p=p, a=a, f=f, chain=ch, reach=reach, band=0.5 * w0[ch] + h0, edge=edge)


def _quantised(x, span):
    """Coordinates rounded to PLACE_QUANTUM of the model's span: two listings of one surface
    sum a face's corners in another order and differ in the last bits, not at this step."""
    # (a lone station spans nothing: any unit will do, and 1e-300 overflowed)
    return np.round(np.asarray(x, float) / (PLACE_QUANTUM * (span if span > 0 else 1.0)))


def _edge_face(fc, f1, f2, cen):
    """Per turning edge: the face whose chain it counts for: the labelled one, and between
    two chains the one first by place (not the smaller face id: the file's listing)."""
    both = (fc[f1] >= 0) & (fc[f2] >= 0)
    out = np.where(fc[f1] >= 0, f1, f2)
    out[both] = _first_by_place(cen, f1[both], f2[both])
    return out


def _first_by_place(cen, fa, fb):
    """Of the face pairs (fa, fb): the face whose centroid comes first by its quantised
    coordinates (x, then y, then z)."""
    span = float(np.ptp(cen, axis=0).max()) if len(cen) else 1.0
    qa, qb = _quantised(cen[fa], span), _quantised(cen[fb], span)
    lt = qb < qa
    eq = qb == qa
    b_first = lt[:, 0] | (eq[:, 0] & (lt[:, 1] | (eq[:, 1] & lt[:, 2])))
    return np.where(b_first, fb, fa)


def _spread(p, ch):
    """Station candidates ordered by chain, then along it: by their position t on the
    principal line of the chain's candidates (its centre, its direction with the sign that
    makes its largest component positive), quantised, ties by quantised place. Returns the
    order and each ordered candidate's rank along its chain."""
    n = int(ch.max()) + 1 if len(ch) else 0
    cnt = np.maximum(np.bincount(ch, minlength=n), 1).astype(float)
    mean = np.stack([np.bincount(ch, p[:, j], n) for j in range(3)], 1) / cnt[:, None]
    d = p - mean[ch]
    cov = _sym6(d, np.ones(len(d)))
    T = np.stack([np.bincount(ch, cov[:, j], n) for j in range(6)], 1)
    # quantised: a closed loop (a square rim) spreads alike two ways, and its line is then
    # whatever the last bits of the sums say; the same bits give the same line
    scale = np.maximum(T[:, :3].sum(axis=1), 1e-300)[:, None]
    line = sym_eig_top(_quantised(T / scale, 1.0))[2]
    big = np.argmax(np.abs(line), axis=1)
    line = line * np.where(line[np.arange(n), big] < 0, -1.0, 1.0)[:, None]
    span = float(np.ptp(p, axis=0).max()) if len(p) else 1.0
    t = _quantised(np.einsum("ij,ij->i", d, line[ch]), span)
    q = _quantised(p, span)
    o = np.lexsort((q[:, 2], q[:, 1], q[:, 0], t, ch))
    chs = ch[o]
    return o, np.arange(len(chs)) - np.searchsorted(chs, chs)


def _evenly(rank, ch, quota):
    """Keep up to quota[chain] of each chain's candidates (rank = place along the chain, ch
    sorted), spread evenly over its length: the middles of quota equal runs (a chain's ends
    lie at its corners and tapers)."""
    n = np.bincount(ch, minlength=len(quota))[ch]
    q = np.minimum(quota[ch], n)
    # candidate r is the pick of run j where floor((j + 1/2) n / q) = r for some j
    j = np.ceil((rank + 1) * q / n - 0.5) - 1  # the last run whose pick is <= r
    pick = np.floor((j + 0.5) * n / q)
    return (j >= 0) & (pick == rank)


@dataclass(frozen=True)
class _Walk:
    """Sections as walked: per walker (2S rows: side 0 then side 1) and step (K + 1 columns,
    step 0 is the start face's part from p0); -1 / NaN past the end."""

    face: np.ndarray  # face crossed at each step
    seg: np.ndarray  # length of the section inside it
    edge: np.ndarray  # edge it leaves by
    point: np.ndarray  # (2S, K + 1, 3) where it leaves
    reach_in: np.ndarray  # how far the face reaches behind its exit point, along the walk
    reach_out: np.ndarray  # how far it reaches beyond its entry point
    extent: np.ndarray  # how near the plane passes to its lone vertex (share of its depth)


def _walk_sections(analysis, p0, a, f0, reach, K=None) -> _Walk:
    """Cut the mesh with the plane through p0 perpendicular to a, walking face to face from
    f0 to both sides (side 0 along +b = a x n(f0), side 1 along -b) until `reach` mm or
    K (default MAX_CROSSINGS) edges."""
    v, faces = analysis.model.vertices, analysis.model.faces
    fe, fn = analysis.face_edges, analysis.face_normals
    ef = analysis.cached("creases:all_edge_faces", _all_edge_faces)
    S = len(p0)
    K = K or MAX_CROSSINGS
    n0 = analysis.face_normals[f0]
    b0 = np.cross(a, n0)
    b0 /= np.maximum(np.linalg.norm(b0, axis=1), 1e-300)[:, None]
    side = np.r_[np.ones(S), -np.ones(S)]
    P0, A, B = np.r_[p0, p0], np.r_[a, a], np.r_[b0, b0] * side[:, None]
    R = np.r_[reach, reach]
    out_f = np.full((2 * S, K + 1), -1, np.int64)
    out_e = np.full((2 * S, K + 1), -1, np.int64)
    out_l, r_in, r_out, ext = (np.full((2 * S, K + 1), np.nan) for _ in range(4))
    out_q = np.full((2 * S, K + 1, 3), np.nan)
    idx = np.arange(2 * S)  # live walkers
    f = np.r_[f0, f0]
    e_in = np.full(2 * S, -1, np.int64)
    P = P0.copy()
    s = np.zeros(2 * S)
    for k in range(K + 1):
        if len(idx) == 0:
            break
        ff = f[idx]
        V = v[faces[ff]]  # (n, 3, 3)
        d = np.einsum("nij,nj->ni", V - P0[idx, None, :], A[idx])
        d = np.where(d == 0.0, 1e-300, d)  # a vertex on the plane counts as in front
        d1 = np.roll(d, -1, axis=1)
        cut = (d > 0) != (d1 > 0)
        t = d / np.where(cut, d - d1, 1.0)
        Q = V + t[:, :, None] * (np.roll(V, -1, axis=1) - V)
        eid = fe[ff]
        if k == 0:  # leave the start face towards this walker's side
            score = np.einsum("nij,nj->ni", Q - P0[idx, None, :], B[idx])
            score = np.where(cut, score, -np.inf)
        else:
            score = np.where(cut & (eid != e_in[idx, None]), 0.0, -np.inf)
        j = np.argmax(score, axis=1)
        r = np.arange(len(idx))
        ok = np.isfinite(score[r, j])
        q = Q[r, j]
        seg = np.linalg.norm(q - P[idx], axis=1)
        w = idx[ok]
        out_f[w, k], out_l[w, k], out_q[w, k] = ff[ok], seg[ok], q[ok]
        s[idx] += seg
        e = eid[r, j]
        out_e[w, k] = e[ok]
        # the section's direction inside this face (the walk's way), for the face's reach
        td = np.cross(A[idx], fn[ff])
        step = q - P[idx]
        size2 = np.einsum("ni,ni->n", V[:, 1] - V[:, 0], V[:, 1] - V[:, 0])
        moved = np.einsum("ni,ni->n", step, step) > STEP_EPS ** 2 * size2  # not a rounding
        fwd = np.where(moved, np.einsum("ni,ni->n", td, step), np.einsum("ni,ni->n", td, B[idx]))
        td *= np.where(fwd < 0, -1.0, 1.0)[:, None]
        along = np.einsum("nij,nj->ni", V, td)
        r_out[w, k] = (along.max(axis=1) - np.einsum("ni,ni->n", P[idx], td))[ok]
        r_in[w, k] = (np.einsum("ni,ni->n", q, td) - along.min(axis=1))[ok]
        # how near the plane passes to the face's lone vertex (the one on its own side), as a
        # share of the face's depth across the plane: a clipped corner is near 0, a row crossed
        # through (however obliquely its slivers lie) is not
        pos = (d > 0).sum(axis=1)
        lone = np.where(pos == 1, np.argmax(d, axis=1), np.argmin(d, axis=1))
        depth = np.maximum(d.max(axis=1) - d.min(axis=1), 1e-300)
        ext[w, k] = (np.abs(d[r, lone]) / depth)[ok]
        pair = ef[e]
        nxt = np.where(pair[:, 0] == ff, pair[:, 1], pair[:, 0])
        P[idx] = q
        e_in[idx] = e
        f[idx] = nxt
        idx = idx[ok & (nxt >= 0) & (s[idx] < R[idx])]
    return _Walk(out_f, out_l, out_e, out_q, r_in, r_out, ext)


@dataclass(frozen=True)
class _Profile:
    """One station's section read left to right (S rows): crossing j lies between faces j and
    j + 1; after vertex snapping (see _snap) crossings are clusters of walked crossings."""

    X: np.ndarray  # (S, M) arc length of each crossing from the station (left negative)
    D: np.ndarray  # (S, M) signed turn of the normal about the crease direction
    vc: np.ndarray  # (S, M) a valid crossing (faces on both sides)
    row_l: np.ndarray  # (S, M) how far the face left of the crossing reaches into itself
    row_r: np.ndarray  # (S, M) ... the face right of it
    first: np.ndarray  # (S, M) index of the first walked crossing in the cluster
    last: np.ndarray  # (S, M) ... the last one
    c0: np.ndarray  # (S,) the crossing just left of the station
    x_end: np.ndarray  # (S, 2) how far the walk went left (negative) and right
    F: np.ndarray  # (S, 2K + 1) walked faces, left to right
    Q: np.ndarray  # (S, 2K, 3) walked crossing points
    skew: np.ndarray  # (S, M) how far the crossed edge reaches across the crease (mm): 0 where
    # it runs along it, on a row of the fillet's profile (turn-weighted over a snapped cluster)


def _profile_arrays(analysis, walk: _Walk, st) -> _Profile:
    """Left-to-right arrays per station (side 1 reversed, the start face, side 0)."""
    S = len(st["f"])
    K = walk.face.shape[1] - 1
    fn = analysis.face_normals
    n0 = fn[st["f"]]
    b0 = np.cross(st["a"], n0)
    b0 /= np.maximum(np.linalg.norm(b0, axis=1), 1e-300)[:, None]
    R, L = slice(0, S), slice(S, 2 * S)
    F = np.concatenate([walk.face[L, :0:-1], walk.face[R, :1], walk.face[R, 1:]], axis=1)
    E = np.concatenate([walk.edge[L, K - 1::-1], walk.edge[R, :K]], axis=1)
    cr = np.cumsum(np.nan_to_num(walk.seg[R]), axis=1)[:, :K]
    cl = np.cumsum(np.nan_to_num(walk.seg[L]), axis=1)[:, :K]
    X = np.concatenate([-cl[:, ::-1], cr], axis=1)
    Q = np.concatenate([walk.point[L, K - 1::-1], walk.point[R, :K]], axis=1)
    valid = F >= 0
    vc = valid[:, :-1] & valid[:, 1:] & (E >= 0)
    n = fn[np.maximum(F, 0)]
    phi = np.arctan2(np.einsum("sjk,sk->sj", n, b0), np.einsum("sjk,sk->sj", n, n0))
    D = np.where(vc, (np.diff(phi, axis=1) + np.pi) % (2 * np.pi) - np.pi, 0.0)
    # reach of the faces beside each crossing into themselves: walking right, the face left
    # of crossing k is the one left at step k; walking left, the one right of it
    row_l = np.concatenate([walk.reach_out[L, K:0:-1], walk.reach_in[R, :K]], axis=1)
    row_r = np.concatenate([walk.reach_in[L, K - 1::-1], walk.reach_out[R, 1:]], axis=1)
    extent = np.concatenate([walk.extent[L, :0:-1], walk.extent[R, :1], walk.extent[R, 1:]],
                            axis=1)
    x_end = np.stack([-np.nansum(walk.seg[L], axis=1), np.nansum(walk.seg[R], axis=1)], 1)
    # the crossed edge's reach across the crease: |edge x a| (its extent off the line along a)
    ev = analysis.edges_unique[np.maximum(E, 0)]
    vv = analysis.model.vertices
    across = np.linalg.norm(np.cross(vv[ev[..., 1]] - vv[ev[..., 0]], st["a"][:, None, :]), axis=-1)
    skew = np.where(E >= 0, across, np.inf)
    J = np.broadcast_to(np.arange(2 * K), X.shape)
    prof = _Profile(X, D, vc, row_l, row_r, J, J, np.full(S, K - 1), x_end, F, Q, skew)
    return _snap(prof, extent)


def _snap(p: _Profile, extent) -> _Profile:
    """The two crossings of a face whose corner the plane clips (it passes within
    SNAP_FRACTION of the face's depth of its lone vertex) become one crossing at their turn-weighted
    position with their summed turn: the normal turns at the vertex, and two crossings a
    hair apart would otherwise read as a band a hair wide."""
    S, M = p.X.shape
    clip = p.vc[:, 1:] & p.vc[:, :-1] & (extent[:, 1:-1] < SNAP_FRACTION)
    if not clip.any():
        return p
    new = np.ones((S, M), bool)
    new[:, 1:] = ~clip
    cid = np.cumsum(new, axis=1) - 1
    n_c = cid[:, -1] + 1
    flat = (np.arange(S)[:, None] * M + cid).ravel()

    def total(x):
        return np.bincount(flat, weights=np.asarray(x, float).ravel(), minlength=S * M).reshape(S, M)

    w = np.where(p.vc, np.abs(p.D), 0.0) + 1e-12
    ws = np.maximum(total(w), 1e-300)  # empty slots past the last cluster
    X = total(w * p.X) / ws
    Q = np.stack([total(w * np.nan_to_num(p.Q[:, :, i])) for i in range(3)], -1) / ws[..., None]
    D = total(p.D)
    # (a clipped corner's two edges: the turning one's reach counts, a flat diagonal's not)
    skew = total(w * np.where(p.vc, p.skew, 0.0)) / ws
    live = np.arange(M)[None, :] < n_c[:, None]
    vc = (total(~p.vc) == 0) & live
    J = np.broadcast_to(np.arange(M), (S, M))
    first = np.zeros((S, M), np.int64)
    last = np.zeros((S, M), np.int64)
    rows = np.broadcast_to(np.arange(S)[:, None], (S, M))
    first[rows[new], cid[new]] = J[new]
    end = np.ones((S, M), bool)
    end[:, :-1] = new[:, 1:]
    last[rows[end], cid[end]] = J[end]
    row_l = np.take_along_axis(p.row_l, first, axis=1)
    row_r = np.take_along_axis(p.row_r, last, axis=1)
    # past the last cluster: repeat the last position (nothing valid there)
    X = np.where(live, X, np.take_along_axis(X, (n_c - 1)[:, None], axis=1))
    c0 = cid[np.arange(S), p.c0]
    return _Profile(X, np.where(vc, D, 0.0), vc, row_l, row_r, first, last, c0, p.x_end, p.F, Q,
                    np.where(vc, skew, np.inf))


def _read_profiles(analysis, walk, st, eye, turn_min):
    """Per station: the band around it, its turn, radius, resolution, and how much the flanks
    turn within reach (steps 4-6 of the module docstring). A station the crossing-by-crossing
    reading rejects (no band, or flanks that turn) is read again from its levels
    (_band_levels): where that reading finds two quiet flanks it is kept instead."""
    p = _profile_arrays(analysis, walk, st)
    b = _band(p, st["band"], turn_min)
    out = _radius(p, b)
    std = _reading(p, b, out, eye, turn_min)
    redo = np.flatnonzero(~(std["ok"] & (std["ratio"] <= FLANK_RATIO)))
    if len(redo) == 0:
        return std
    ps = _Profile(*(getattr(p, k)[redo] for k in _Profile.__dataclass_fields__))
    bl = _band_levels(ps, st["band"][redo], b["hgt"][redo])
    rl = _radius(ps, bl)
    lv = _reading(ps, bl, rl, eye, turn_min, rl["zigzag"])
    use = lv["ok"] & (lv["ratio"] <= FLANK_RATIO)
    at = redo[use]
    for k in std:
        if k not in ("band_faces", "unseen"):
            std[k][at] = lv[k][use]
    std["unseen"][redo] |= lv["unseen"]
    si, fi = std["band_faces"]
    keep = ~np.isin(si, at)
    ls, lf = lv["band_faces"]
    take = use[ls]
    std["band_faces"] = (np.r_[si[keep], redo[ls[take]]], np.r_[fi[keep], lf[take]])
    return std


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
    ok &= own
    # the faces inside each good band (between its first and last walked crossing)
    f_lo = p.first[rows, b["j_lo"]] + 1
    f_hi = p.last[rows, b["j_hi"]]
    T = np.arange(p.F.shape[1])[None, :]
    inside = ok[:, None] & (T >= f_lo[:, None]) & (T <= f_hi[:, None]) & (p.F >= 0)
    si, ti = np.nonzero(inside)
    # surface noise moves each quarter point by about its angle noise over the turn rate:
    # dR = 2 sqrt(2) sigma_phi R / Theta, with sigma_phi = noise / sqrt(2) per face
    with np.errstate(invalid="ignore", divide="ignore"):
        noise_r = 2.0 * b["noise"] * out["radius"] / out["theta"]
        if zigzag is not None:  # R = 2 W_mid / Theta, and W_mid is known to within half the
            noise_r = noise_r + 2.0 * zigzag / out["theta"]  # spread of each quarter point
    return dict(ok=ok, theta=turn, convex=b["sgn"] > 0, radius=out["radius"], noise_r=noise_r,
                res=out["res"], skew=out["skew"], ratio=ratio, extent=fl["extent"],
                centre=out["centre"],
                width=out["width"], band_faces=(si, p.F[si, ti]), unseen=~fl["seen"] & b["ok"],
                elsewhere=elsewhere)


def _band_levels(p: _Profile, band_mm, hgt):
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
    # the noise floor from the quietest quarter of the crossings away from the band: on a
    # narrow part the walk crosses other fillets, whose rows would set the median
    away = vc & (np.abs(X) > band_mm[:, None])
    q = np.where(away, ad, np.nan)
    has = away.any(axis=1)
    noise = np.zeros(S)
    if has.any():
        noise[has] = np.nanquantile(q[has], LEVEL_NOISE_Q, axis=1) * \
            NOISE_SIGMA_PER_QUARTILE
    small = np.maximum(MIN_EDGE_TURN_RAD, NOISE_TURNS * noise)
    act = vc & (ad >= small[:, None]) & (ad > 0)
    row = _masked_median(np.where(np.isfinite(hgt), hgt, np.nan), act & win)
    quiet = LEVEL_QUIET_ROWS * np.where(np.isfinite(row), row, 0.0)
    bad = np.cumsum(~vc, axis=1)
    prev_a = np.maximum.accumulate(np.where(act, J, -1), axis=1)
    prev_a = np.concatenate([np.full((S, 1), -1), prev_a[:, :-1]], axis=1)
    next_a = np.minimum.accumulate(np.where(act, J, M)[:, ::-1], axis=1)[:, ::-1]
    next_a = np.concatenate([next_a[:, 1:], np.full((S, 1), M)], axis=1)
    Xp = np.concatenate([X, np.full((S, 1), np.inf)], axis=1)
    gap_n = Xp[rows[:, None], next_a] - X
    gap_p = X - np.where(prev_a >= 0, X[rows[:, None], np.maximum(prev_a, 0)], -np.inf)
    bp = np.concatenate([bad, bad[:, -1:]], axis=1)
    brk_n = bp[rows[:, None], np.minimum(next_a, M)] - bad > 0
    brk_n |= next_a >= M
    brk_p = bad - np.where(prev_a >= 0, bad[rows[:, None], np.maximum(prev_a, 0)], -1) > 0
    end_r = act & (J >= ref[:, None]) & ((gap_n > quiet[:, None]) | brk_n)
    end_l = act & (J <= ref[:, None]) & ((gap_p > quiet[:, None]) | brk_p)
    j_hi = np.where(end_r, J, M).min(axis=1)
    j_lo = np.where(end_l, J, -1).max(axis=1)
    ok = (aref > 0) & (j_lo > 0) & (j_hi < M - 1) & (j_lo >= 0)
    j_lo, j_hi = np.clip(j_lo, 0, M - 1), np.clip(j_hi, 0, M - 1)
    # (the quiet crossings inside are transparent, as in _band: a CAD fillet's diagonals
    # between its facet lines must not halve the lines' cells)
    band = act & (J >= j_lo[:, None]) & (J <= j_hi[:, None]) & ok[:, None]
    ok &= vc[rows, j_lo] & vc[rows, j_hi] & (bad[rows, j_hi] == bad[rows, j_lo])
    net = np.where(band, D, 0.0).sum(axis=1)
    sgn = np.sign(net)
    ok &= sgn != 0
    # and the band lies where the chain's own curvature puts it (the window its reference
    # crossing is sought in, give or take the quiet stretch): a band grown across a coarse
    # rounded form until it reached two flat faces is a form's outline, not this crease
    reach = band_mm + quiet
    ok &= (X[rows, j_lo] >= -reach) & (X[rows, j_hi] <= reach)
    gmin = np.where(np.isfinite(hgt), hgt, np.inf)
    return dict(band=band, gmin=gmin, hgt=hgt, j_lo=j_lo, j_hi=j_hi, ok=ok, sgn=sgn,
                D=D, noise=noise, signed=True)


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
    # surface noise: the typical turn of the crossings away from the station's nominal band
    # (flats and flanks) that are no crease; turns within NOISE_TURNS of it are noise
    away = vc & (np.abs(X) > band_mm[:, None]) & (ad < turn_min)  # (not other creases)
    noise = NOISE_SIGMA_PER_MAD * _masked_median(ad, away)
    noise = np.where(np.isfinite(noise), noise, 0.0)
    small = np.maximum(TRANSPARENT_FRACTION * aref, NOISE_TURNS * noise)
    D = _unfold(D, vc, sgn, np.maximum(FOLD_FRACTION * aref, NOISE_TURNS * noise))
    ad = np.abs(D)
    tc = vc & (ad >= small[:, None]) & (ad > 0)
    prev_t = np.maximum.accumulate(np.where(tc, J, -1), axis=1)
    prev_t = np.concatenate([np.full((S, 1), -1), prev_t[:, :-1]], axis=1)
    nxt = np.where(tc, J, M)[:, ::-1]
    next_t = np.minimum.accumulate(nxt, axis=1)[:, ::-1]
    next_t = np.concatenate([next_t[:, 1:], np.full((S, 1), M)], axis=1)
    Xp = np.concatenate([X, np.full((S, 1), np.inf)], axis=1)
    gap_p = X - np.where(prev_t >= 0, X[rows[:, None], np.maximum(prev_t, 0)], -np.inf)
    gap_n = Xp[rows[:, None], next_t] - X
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
    j_lo = np.where(band, J, M).min(axis=1)
    j_hi = np.where(band, J, -1).max(axis=1)
    ok = (j_hi >= 0) & (j_lo > 0) & (j_hi < M - 1)  # a flank face on either side
    j_lo, j_hi = np.clip(j_lo, 0, M - 1), np.clip(j_hi, 0, M - 1)
    ok &= vc[rows, j_lo] & vc[rows, j_hi]
    return dict(band=band, gmin=gmin, hgt=hgt, j_lo=j_lo, j_hi=j_hi, ok=ok, sgn=sgn, D=D,
                noise=noise)


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
        typical[has] = np.nanmedian(np.where(band[has], np.abs(D[has]), np.nan), axis=1)
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
    total (a plate's two rims, a chamfer's two lines stay creases of their own), they turn
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
    tapered = (top <= BRIDGE_MAX_SHARE * total) & (ends <= BRIDGE_TAPER * top)
    use = (inrun.sum(axis=1) >= BRIDGE_MIN_LINES) & (facets | tapered) & \
        (total <= BRIDGE_MAX_TURN)
    line_in = np.zeros((S, M + 1), bool)
    line_in[:, :M] = inrun & use[:, None]
    ext = tc & line_in[rows[:, None], np.where(tc, lid, M)]
    return band | ext


def _facet_lines(X, D, vc, tc, link_p):
    """The section's lines: runs of turning crossings linked by the row rule, with one sign.
    Per crossing its line (lid); per section the number of lines; per line its turn, the flat
    after it (to the next line), and whether an invalid crossing breaks the section before it."""
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    prev_t = np.maximum.accumulate(np.where(tc, J, -1), axis=1)
    prev_t = np.concatenate([np.full((S, 1), -1), prev_t[:, :-1]], axis=1)
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
        med = np.nanmedian(np.where(has[:, None], g, 0.0), axis=1)
        wide = inrun & (gap > BRIDGE_EVEN * med[:, None])
        a2 = np.maximum(a, np.where(wide & (L < l0[:, None]), L + 1, 0).max(axis=1))
        b2 = np.minimum(b, np.where(wide & (L >= l0[:, None]), L, M).min(axis=1))
        if np.array_equal(a2, a) and np.array_equal(b2, b):
            break
        a, b = a2, b2
    return a, b


def _radius(p: _Profile, b):
    """Turn, radius R = 2 W_mid / Theta and resolution h of each station's band. Each band
    crossing's turn is spread over its cell: half the spacing to the band crossings beside it
    (the band's end crossings spread inwards only: on a CAD fillet of n chords the tangent
    lines' half turns belong to the chords inside, which makes one chord read R = c / Theta
    instead of 2 c / Theta); a lone crossing over half the finer row on either side. h is the
    spacing of the band's crossings (the finer row for a lone one)."""
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
        gaps = np.where(band & np.isfinite(gn), gn, np.nan)
        has = np.isfinite(gaps).any(axis=1)
        res = np.where(has, np.nanmedian(np.where(has[:, None], gaps, 0.0), axis=1),
                       2.0 * lone[rows, j_lo])
        centre = (np.where(band[..., None], p.Q * adb[..., None], 0.0).sum(axis=1)
                  / theta[:, None])
    # the band's width for the flank's reach: the larger of the circular estimate and the
    # crossings' own extent (a sine crest turns most of its angle in a narrow middle)
    extent_b = X[rows, j_hi] + cr[rows, j_hi] - X[rows, j_lo] + cl[rows, j_lo]
    width = np.fmax(radius * theta, extent_b)
    radius, skew = _row_reading(p, b, adb, theta, radius, res, signed)
    return dict(theta=theta, radius=radius, res=res, cell_lo=cl[rows, j_lo],
                cell_hi=cr[rows, j_hi], width=width, centre=centre, zigzag=zigzag, skew=skew)


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


def _row_reading(p: _Profile, b, adb, theta, radius, res, signed):
    """A band drawn along its rows: (radius, skew) with the radius read from its tangent lines
    where that is the better reading, and skew (how far its turning edges reach across the
    crease, for _row_term) inf where no narrower row term holds."""
    X, D = p.X, b["D"]
    S, M = X.shape
    rows, J = np.arange(S), np.arange(M)[None, :]
    band, j_lo, j_hi = b["band"], b["j_lo"], b["j_hi"]
    # how far the band's turning edges reach across the crease: 0 where every one of them
    # runs along it (rows on the fillet's profile lines: _row_term); and only where the band
    # holds the whole turn: where the first crossing beyond either end that turns at all
    # (above the noise) still turns its way, within the gap a band bridges (GAP_ROWS), a
    # tangent cell was left out and the quarter points moved with it
    skew = np.where(band & (adb != 0), p.skew, 0.0).max(axis=1, initial=0.0)
    floor = np.maximum(MIN_EDGE_TURN_RAD, NOISE_TURNS * b.get("noise", np.zeros(S)))
    row = GAP_ROWS * np.where(np.isfinite(res), res, 0.0)
    turns = p.vc & (np.abs(D) > floor[:, None])
    nxt = np.where(turns & (J > j_hi[:, None]), J, M).min(axis=1)
    prv = np.where(turns & (J < j_lo[:, None]), J, -1).max(axis=1)
    left_out = np.zeros(S, bool)
    for k, edge_x, sign in ((nxt, X[rows, j_hi], 1.0), (prv, X[rows, j_lo], -1.0)):
        kk = np.clip(k, 0, M - 1)
        near = (k >= 0) & (k < M) & (sign * (X[rows, kk] - edge_x) <= row)
        left_out |= near & (D[rows, kk] * b["sgn"] > 0)
    skew = np.where(left_out | signed, np.inf, skew)
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
    return np.where(use, r_t, radius), np.where(use | quarter, skew, np.inf)


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
    (lr, tr, er, sr, nr), (ll, tl, el, sl, nl) = (
        _flank_side(p, g, b, right, width, theta, eye, turn_min) for right in (True, False))
    return dict(turn=np.abs(lr - ll), flank=np.maximum(tr, tl), extent=np.minimum(er, el),
                seen=sr & sl, narrow=nr | nl)


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
    turned = _flank_turn(g, b, right, m, start, reach, side, dist, inside, turn_min)
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
    far = side & g.both & (away > FLANK_RATIO * theta[:, None]) & (dist > 0)
    extent = np.where(far, dist, np.inf).min(axis=1)
    # the flat ends at a crease (the first face off it has turned a crease's worth at
    # once), not by curving away: only then is it a facet whose width bounds the bevel
    k_far = np.argmax(np.where(far, -dist, -np.inf), axis=1)
    facet = np.isfinite(extent) & (away[rows, k_far] >= turn_min)
    covered = (p.x_end[:, 1] - start) if right else (start - p.x_end[:, 0])
    seen = (covered >= (1.0 - 1e-9) * reach) | (extent <= reach) | ended
    return (level, np.fmax(turned, FLANK_SCATTER * scatter), np.where(facet, extent, np.inf),
            seen, flat_w < eye)


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
    hard = vc & (np.abs(D) >= b["stop_turn"])
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


def _flank_turn(g: _FlankGrid, b, right, m, start, reach, side, dist, inside, turn_min):
    """How much a flank turns over its reach: the weighted least-squares slope of its angle
    against arc length times the reach, or its turn back read further out, whichever is
    larger."""
    u, phi, ell, K, D, vc = g.u, g.phi, g.ell, g.K, g.D, g.vc
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
    with np.errstate(invalid="ignore", over="ignore"):
        turned = np.where(slope != 0, np.abs(slope) * reach, 0.0)
    # a flank that turns back (a wave's crest: beyond the inflection the surface curves
    # the other way) reads no slope on a straight line, and within one band width it has
    # barely passed the inflection: its turn back is read out to TURN_BACK_WIDTHS
    far_reach = TURN_BACK_WIDTHS * reach
    mb = side & g.both & (np.maximum(dist, 0.0) <= far_reach[:, None])
    # ... up to the next crease (beyond it is another edge's flank)
    J1 = np.arange(M)[None, :]
    crease = vc & (np.abs(D) >= turn_min)
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
    return np.fmax(turned, _turn_back(u, phi, wb, ubb, t_end, way, spread))


def _next_crease(X, D, vc, j_edge, right, turn_min):
    """Per row: how far beyond the band's end crossing j_edge the walk meets the next
    crease (a crossing turning >= turn_min at once; inf where it met none), and that
    crossing's signed turn (0 where none)."""
    S, M = X.shape
    rows = np.arange(S)
    J = np.arange(M)[None, :]
    beyond = (J > j_edge[:, None]) if right else (J < j_edge[:, None])
    crease = vc & beyond & (np.abs(D) >= turn_min)
    j_stop = np.where(crease, J, M).min(axis=1) if right else \
        np.where(crease, J, -1).max(axis=1)
    found = (j_stop < M) & (j_stop >= 0)
    js = np.clip(j_stop, 0, M - 1)
    return (np.where(found, np.abs(X[rows, js] - X[rows, j_edge]), np.inf),
            np.where(found, D[rows, js], 0.0))


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


def _masked_median(x, m):
    """Row-wise median of x where m (rows with no True: NaN)."""
    y = np.where(m, x, np.nan)
    out = np.full(len(x), np.nan)
    has = m.any(axis=1)
    if has.any():
        out[has] = np.nanmedian(y[has], axis=1)
    return out


def _chains(analysis, seeds, st, prof, detect, turn_min, eye):
    """Per chain: medians over its good sections; keep the chains that turn >= turn_min
    between flanks flatter than FLANK_RATIO of the turn; order longest first."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    md = _chain_medians(seeds, st, prof)
    turn, radius, res = md["turn"], md["radius"], md["res"]
    along, cen, axis_c, iso = _chain_extents(analysis, seeds)
    with np.errstate(invalid="ignore", divide="ignore"):
        length = along / turn
        width = radius * turn
    keep = (md["n_ok"] >= np.maximum(1, 0.5 * md["n_all"])) & np.isfinite(turn) & \
        (turn >= turn_min - ANGLE_EPS) & (md["ratio"] <= FLANK_RATIO) & np.isfinite(radius) & \
        (iso <= CHAIN_ANISOTROPY)
    keep &= length >= 2.0 * np.fmax(width, res)  # a speck: shorter than its own band
    # an edge shorter than the eye resolves is a point: its highlight is a glint, not a line
    keep &= length >= eye
    ids = np.flatnonzero(keep)
    o = np.lexsort((cen[ids, 2], cen[ids, 1], cen[ids, 0], -length[ids]))
    ids = ids[o]
    new = np.full(ncomp, -1)
    new[ids] = np.arange(len(ids))
    face_chain = np.where(fc >= 0, new[np.maximum(fc, 0)], -1)
    where, first, nfc = _chain_places(analysis, seeds, st, prof, face_chain, new, ids,
                                      radius, res, turn, cen)
    r, h, t, dn = radius[ids], res[ids], turn[ids], np.nan_to_num(md["noisy"][ids])
    limited = r * t < MIN_ROWS_RESOLVED * h
    row = _row_term(h, md["skew"][ids], r * t / h) / t
    lo = np.maximum(0.0, r - row - dn)
    # a bevel whose footprint fits inside one row is not seen by the mesh at all: the upper
    # end is never below the row (the lead's rule for one-row creases, where 2 h / turn
    # would be less than h: turns over 115 degrees)
    hi = np.maximum(r + row + dn, h)
    return Creases(face_chain, r, lo, hi, h, limited, t, length[ids], where, axis_c[ids],
                   first, md["extent"][ids], nfc, md["convex"][ids], md["ratio"][ids], detect,
                   turn_min)


def _chain_medians(seeds, st, prof) -> dict:
    """Per chain, medians over its good sections: turn, radius, row (res), skew, extent,
    flank ratio, convexity; the noise term of its radius; its good and counted sections."""
    ncomp = seeds["ncomp"]
    ok = prof["ok"]
    ch = st["chain"][ok]
    ones = np.ones(len(ch))

    def med(x):
        return _weighted_quantile(x[ok], ones, ch, ncomp, 0.5)

    n_ok = np.bincount(ch, minlength=ncomp)
    # (sections that read another crease than their own are not counted against a chain)
    n_all = np.bincount(st["chain"][~prof["elsewhere"]], minlength=ncomp)
    radius = med(prof["radius"])
    # the noise term averages over the chain's good sections; the row does not
    noisy = med(prof["noise_r"]) / np.sqrt(np.maximum(n_ok, 1))
    # ... and no less than the median's own standard error over the chain's sections (their
    # scatter along a jittered or twisted rim: which sections a chain is cut at is a sample)
    scatter = NOISE_SIGMA_PER_MAD * med(np.abs(prof["radius"] - radius[st["chain"]]))
    noisy = np.fmax(noisy, MEDIAN_SE * scatter / np.sqrt(np.maximum(n_ok, 1)))
    # the flank ratio's median is the middle of the two middle sections where their number is
    # even (the lower one alone called a swept wall's lobe an edge: two of its four good
    # sections read 0.07, two read 0.54)
    ratio = 0.5 * (med(prof["ratio"]) + _weighted_quantile(prof["ratio"][ok], ones, ch, ncomp,
                                                           0.5 + MEDIAN_EPS))
    return dict(n_ok=n_ok, n_all=n_all, turn=med(prof["theta"]), radius=radius,
                res=med(prof["res"]), skew=med(prof["skew"]), noisy=noisy,
                extent=med(prof["extent"]), ratio=ratio,
                convex=med(prof["convex"].astype(float)) >= 0.5)


def _chain_extents(analysis, seeds):
    """Per chain, from its turning edges: turn x length along its direction (a.T.a summed:
    over the turn, its length whatever the edges' orientation on a band), its centre weighted
    by turn x length, its direction, and the median anisotropy of its crease faces."""
    fc, ncomp = seeds["face_chain"], seeds["ncomp"]
    v = analysis.model.vertices
    ce, f1, f2, theta, ell, ehat = (seeds[k] for k in ("ce", "f1", "f2", "theta", "ell", "ehat"))
    ev = seeds["ev"]
    fe = _edge_face(fc, f1, f2, analysis.face_centroids)
    ech = fc[fe]
    ke = ech >= 0
    ech, fe = ech[ke], fe[ke]
    tl = theta[ke] * ell[ke]
    ax = seeds["axis"][fe]
    along = np.bincount(ech, weights=tl * np.einsum("ij,ij->i", ehat[ke], ax) ** 2,
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
    return along, cen, axis_c, iso


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
    anchor = _anchor(st, prof, new, radius[ids], cen[ids])
    d = np.linalg.norm(analysis.face_centroids[cf] - anchor[lab], axis=1)
    o = np.lexsort((cf, d, lab))
    fo, lab = cf[o], lab[o]
    # (each chain's own faces only: a chain holding fewer than PLACE_FACES would list the next
    # chain's, on another rim)
    starts = np.searchsorted(lab, np.arange(len(ids)))
    ends = np.searchsorted(lab, np.arange(len(ids)), side="right")
    first = [tuple(int(x) for x in fo[s:min(e, s + PLACE_FACES)]) for s, e in zip(starts, ends)]
    where = anchor if len(ids) else np.zeros((0, 3))
    return where, first, np.bincount(lab, minlength=len(ids))


def _row_term(h, skew, rows):
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
    ROW_ALIGNED_SHARE of a row is kept, and each edge's reach across moves the band's ends by
    half of it each (2 skew of width). Fewer rows, or edges across the crease: the whole row."""
    aligned = np.minimum(h, ROW_ALIGNED_SHARE * h + 2.0 * np.nan_to_num(skew, nan=np.inf,
                                                                         posinf=np.inf))
    return np.where(rows >= ROW_ALIGNED_MIN_ROWS, aligned, h)


def _anchor(st, prof, new, radius, cen):
    """Per kept chain (new ids): the band centre of its good section whose radius is nearest
    the chain's, ties to the one nearest its turn-weighted centre; that centre itself where
    no section qualifies."""
    out = np.array(cen, float, copy=True)
    gs = np.flatnonzero(prof["ok"])
    gch = new[st["chain"][gs]]
    gs, gch = gs[gch >= 0], gch[gch >= 0]
    c = prof["centre"][gs]
    fine = np.isfinite(c).all(axis=1)
    gs, gch, c = gs[fine], gch[fine], c[fine]
    if len(gs) == 0:
        return out
    # (compared quantised, and ties by place: sections mirror-symmetric about the chain's
    # centre tie up to the last bits, which the listing order decides)
    # (the stations' span, not the centres': a reading's centre may lie far off)
    span = float(np.ptp(st["p"], axis=0).max()) + float(np.max(np.abs(st["p"])))
    dev = _quantised(np.abs(prof["radius"][gs] - radius[gch]), span)
    dc = _quantised(np.linalg.norm(c - cen[gch], axis=1), span)
    q = _quantised(c, span)
    o = np.lexsort((gs, q[:, 2], q[:, 1], q[:, 0], dc, dev, gch))
    g = gch[o]
    head = np.r_[True, g[1:] != g[:-1]]
    out[g[head]] = c[o][head]
    return out


@dataclass(frozen=True)
class _Candidates:
    """Step 1's turning edges: ids into the edge table and their faces, turn, length, unit
    direction, and whether they turn by the hard-crease angle."""
    ce: np.ndarray
    f1: np.ndarray
    f2: np.ndarray
    theta: np.ndarray
    ell: np.ndarray
    ehat: np.ndarray
    strong: np.ndarray


@dataclass(frozen=True)
class _FaceTensors:
    """Step 1's faces near a turning edge (compact ids `sub`, `loc` maps back): their smoothed
    normal-cycle tensors' top eigenpairs, curvature, sign, and which are crease faces; `ga`,
    `gb` the edge-neighbour pairs among them (`inner` marks those edges in the edge table)."""
    sub: np.ndarray
    loc: np.ndarray
    ga: np.ndarray
    gb: np.ndarray
    inner: np.ndarray
    lam1: np.ndarray
    lam2: np.ndarray
    axis_s: np.ndarray
    kap_f: np.ndarray
    flip: np.ndarray
    own: np.ndarray
    is_cs: np.ndarray


def _seed_chains(analysis, detect_radius_mm: float, turn_min: float):
    """Steps 1-2: crease faces, their directions, and chains of them (None when no crease).

    Returns a dict: face_chain (n_faces,), ncomp, axis (n_faces, 3) crease direction per chain
    face, kappa (n_faces,) largest curvature, iso (per chain median lambda2/lambda1), and the
    turning edges (ce, f1, f2, theta, ell, ehat, strong) for the stations."""
    ev, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    cand = _candidate_edges(analysis, ev, fp, detect_radius_mm, turn_min)
    if cand is None:
        return None
    ft = _face_tensors(analysis, fp, cand, detect_radius_mm)
    if ft is None:
        return None
    la, lb = _chain_links(analysis, ev, fp, cand, ft)
    return _chains_grown(analysis, ev, cand, ft, la, lb)


def _candidate_edges(analysis, ev, fp, detect_radius_mm: float, turn_min: float):
    """Step 1a: the edges across which the normal turns by at least MIN_EDGE_TURN_RAD (or, on
    a fine mesh, by at least a quarter of what a fillet of R_detect turns it), or None."""
    verts = analysis.model.vertices
    fn, fa = analysis.face_normals, analysis.face_areas
    f1a, f2a = fp[:, 0], fp[:, 1]
    cosang = np.einsum("ij,ij->i", fn[f1a], fn[f2a])
    ce = np.flatnonzero(cosang < np.cos(MIN_EDGE_TURN_RAD))
    if detect_radius_mm > 0:
        # strip width over R_detect small enough that a quarter of it is under 1 degree
        lo = np.flatnonzero(cosang >= np.cos(MIN_EDGE_TURN_RAD))
        e = ev[lo]
        ln = np.linalg.norm(verts[e[:, 1]] - verts[e[:, 0]], axis=1)
        wl = (fa[f1a[lo]] + fa[f2a[lo]]) / np.maximum(ln, 1e-300)
        gate = 0.25 * wl / detect_radius_mm
        fine = gate < MIN_EDGE_TURN_RAD
        if fine.any():
            th = np.arccos(np.clip(cosang[lo[fine]], -1.0, 1.0))
            take = np.zeros(len(cosang), bool)  # (a mask: np.union1d sorts 1e6+ ids again)
            take[ce] = True
            take[lo[fine][th >= gate[fine]]] = True
            ce = np.flatnonzero(take)
    if len(ce) == 0:
        return None
    f1, f2 = f1a[ce], f2a[ce]
    vec = verts[ev[ce, 1]] - verts[ev[ce, 0]]
    ell = np.linalg.norm(vec, axis=1)
    ok = ell > 0
    ce, f1, f2, vec, ell = ce[ok], f1[ok], f2[ok], vec[ok], ell[ok]
    theta = np.arccos(np.clip(cosang[ce], -1.0, 1.0))
    strong = theta >= turn_min - ANGLE_EPS  # (a 12-gon's facets turn 30 degrees to rounding)
    return _Candidates(ce, f1, f2, theta, ell, vec / ell[:, None], strong)


def _face_tensors(analysis, fp, c: _Candidates, detect_radius_mm: float):
    """Step 1b: the normal-cycle tensor of each face near a candidate edge, summed over
    SMOOTH_RINGS rings of edge neighbours; its top eigenpair gives the crease direction and
    curvature. Crease faces: touching a turning edge, directional (not a corner or dome), and
    curving at least 1/R_detect or touching a hard edge. None when there is none."""
    from scipy.sparse import coo_matrix

    nf = len(analysis.model.faces)
    fn, fa = analysis.face_normals, analysis.face_areas
    f1a, f2a = fp[:, 0], fp[:, 1]
    f1, f2 = c.f1, c.f2
    # work on a compact set of faces: those within SMOOTH_RINGS of a candidate edge
    near = np.zeros(nf, bool)
    near[f1] = True
    near[f2] = True
    for _ in range(SMOOTH_RINGS):
        m = near[f1a] | near[f2a]
        near[f1a[m]] = True
        near[f2a[m]] = True
    sub = np.flatnonzero(near)
    loc = np.full(nf, -1)
    loc[sub] = np.arange(len(sub))
    ns = len(sub)
    # signed turn (convex > 0): the zig-zag folds of an irregular band alternate in sign and
    # cancel in the sum, as in Cohen-Steiner & Morvan's estimator; unsigned they would add up
    # across the crease and turn the direction of one face in six
    fc_ = analysis.face_centroids
    convex_e = np.einsum("ij,ij->i", fc_[f2] - fc_[f1], fn[f1]) <= 0
    beta = np.where(convex_e, c.theta, -c.theta)
    T0 = _sym6(c.ehat, 0.5 * beta * c.ell)
    T = np.stack([np.bincount(loc[f1], T0[:, j], ns) + np.bincount(loc[f2], T0[:, j], ns)
                  for j in range(6)], 1)
    A = fa[sub].copy()
    inner = near[f1a] & near[f2a]
    ga, gb = loc[f1a[inner]], loc[f2a[inner]]
    TA = np.c_[T, A]
    # one sparse product a ring sums every neighbour's row at once (seven bincounts over
    # each side of ~10^6 edge pairs cost four times as much at 2M faces)
    ring = coo_matrix((np.ones(2 * len(ga)), (np.r_[ga, gb], np.r_[gb, ga])),
                      shape=(ns, ns)).tocsr()
    for _ in range(SMOOTH_RINGS):
        TA = TA + ring @ TA
    # a concave crease has a negative tensor: judge every face by its dominant sign
    flip = np.where(TA[:, 0] + TA[:, 1] + TA[:, 2] < 0, -1.0, 1.0)
    lam1, lam2, axis_s = sym_eig_top(TA[:, :6] * flip[:, None])
    kap_f = lam1 / np.maximum(TA[:, 6], 1e-300)
    aniso = lam2 <= ANISOTROPY * np.maximum(lam1, 1e-300)
    hard = np.zeros(ns, bool)
    hard[loc[f1[c.strong]]] = True
    hard[loc[f2[c.strong]]] = True
    own = np.zeros(ns, bool)  # the face itself touches a turning edge
    own[loc[f1]] = True
    own[loc[f2]] = True
    is_cs = own & aniso & (lam1 > 0) & ((kap_f >= 1.0 / detect_radius_mm) | hard)
    if not is_cs.any():
        return None
    return _FaceTensors(sub, loc, ga, gb, inner, lam1, lam2, axis_s, kap_f, flip, own, is_cs)


def _chain_links(analysis, ev, fp, c: _Candidates, t: _FaceTensors):
    """Step 2a: pairs of crease faces (compact ids) that belong to one chain: edge neighbours
    with parallel crease directions, and the faces of hard edges meeting end to end."""
    f1a, f2a = fp[:, 0], fp[:, 1]
    f1, f2, strong, loc, ga, gb = c.f1, c.f2, c.strong, t.loc, t.ga, t.gb
    ns = len(t.sub)
    is_cs, axis_s = t.is_cs, t.axis_s
    link = is_cs[ga] & is_cs[gb] & \
        (np.abs(np.einsum("ij,ij->i", axis_s[ga], axis_s[gb])) >= AXIS_COS)
    # a face touching exactly one hard edge links across that edge only (and end to end along
    # it, below): two such faces sharing another edge may stand on two different hard edges
    # (the top and bottom rims of a one-row wall), or on a hard edge and surface noise
    nstrong = np.bincount(loc[f1[strong]], minlength=ns) + \
        np.bincount(loc[f2[strong]], minlength=ns)
    single = nstrong == 1
    hard_e = np.zeros(len(f1a), bool)
    hard_e[c.ce[strong]] = True
    link &= hard_e[t.inner] | ~(single[ga] | single[gb])
    # two faces on hard edges (each touching two: a one-row wall between a rim and a facet
    # edge) link across another edge only where hard edges of both run on through a shared
    # vertex in the same direction
    both = link & ~hard_e[t.inner] & (nstrong[ga] > 0) & (nstrong[gb] > 0)
    if both.any():
        both_i = np.flatnonzero(both)
        link[both_i] = _hard_continue(ga[both_i], gb[both_i], ev[t.inner][both_i],
                                      c.ce[strong], ev, loc, f1a, f2a, c.ehat[strong],
                                      analysis.model.n_vertices)
    # a face touching hard edges none of which runs along its (smoothed) direction is no
    # part of a chain along that direction (a coarse box's end face, smoothed by its sides)
    par = np.zeros(ns)
    sc = np.abs(np.einsum("ij,ij->i", c.ehat[strong], axis_s[loc[f1[strong]]]))
    np.maximum.at(par, loc[f1[strong]], sc)
    sc = np.abs(np.einsum("ij,ij->i", c.ehat[strong], axis_s[loc[f2[strong]]]))
    np.maximum.at(par, loc[f2[strong]], sc)
    along = (nstrong == 0) | (par >= AXIS_COS)
    link &= along[ga] & along[gb]
    ha, hb = _end_to_end(ev, c, t)
    return np.r_[ga[link], ha], np.r_[gb[link], hb]


def _end_to_end(ev, c: _Candidates, t: _FaceTensors):
    """Step 2b: hard crease edges meeting end to end at a vertex with parallel directions
    link their faces (on a hard edge of a coarse mesh the crease triangles may touch only
    there): the compact face pairs."""
    si = np.flatnonzero(c.strong)
    if len(si) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    endv = np.r_[ev[c.ce[si], 0], ev[c.ce[si], 1]]
    ende = np.r_[si, si]
    o = np.argsort(endv, kind="stable")
    endv, ende = endv[o], ende[o]
    # every pair of hard edges ending at one vertex (not only those listed next to each
    # other: where three or more meet, which pairs those are is the file's order)
    run = np.arange(len(endv)) - np.searchsorted(endv, endv)
    e1, e2 = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for k in range(1, int(run.max()) + 1):
        pair = np.flatnonzero(endv[k:] == endv[:-k])
        e1, e2 = np.r_[e1, ende[pair]], np.r_[e2, ende[pair + k]]
    par = np.abs(np.einsum("ij,ij->i", c.ehat[e1], c.ehat[e2])) >= AXIS_COS
    e1, e2 = e1[par], e2[par]
    # each edge links through its crease face whose own direction runs along it (a face
    # of a crossing fillet that merely touches a hard rim must not join the rim's chain)
    ha = _along_face(e1, c.f1, c.f2, t.loc, t.is_cs, t.axis_s, c.ehat)
    hb = _along_face(e2, c.f1, c.f2, t.loc, t.is_cs, t.axis_s, c.ehat)
    keep = (ha >= 0) & (hb >= 0)
    return ha[keep], hb[keep]


def _chains_grown(analysis, ev, c: _Candidates, t: _FaceTensors, la, lb) -> dict:
    """Step 2c: chains as the connected components of the links, grown over the rest of
    their curved band; the seeds dict `_seed_chains` returns."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nf = len(analysis.model.faces)
    sub, ns = t.sub, len(t.sub)
    lam1, lam2, kap_f, axis_s = t.lam1, t.lam2, t.kap_f, t.axis_s
    good = np.flatnonzero(t.is_cs)  # compact (sub) indices of crease faces
    remap = np.full(ns, -1)
    remap[good] = np.arange(len(good))
    g = coo_matrix((np.ones(len(la)), (remap[la], remap[lb])), shape=(len(good), len(good)))
    ncomp, lab = connected_components(g, directed=False)
    chain_s = np.full(ns, -1)
    chain_s[good] = lab
    ratio = lam2 / np.maximum(lam1, 1e-300)
    # grow chains over the rest of their curved band (faces whose direction is unclear or
    # whose curvature is partial, e.g. across a fillet's tangent line on an irregular mesh),
    # so the flank faces beyond lie on the flat sides
    # (not into doubly curved faces: a corner or a dome is no part of an edge)
    # (curving at least WEAK_FRACTION as much as the chain's own faces: a gently curved
    # surface beside the fillet is no part of it)
    kmed = _weighted_quantile(kap_f[good], np.ones(len(good)), lab, ncomp, 0.5)
    weak = t.own & (lam2 <= GROW_ANISOTROPY * np.maximum(lam1, 1e-300))
    # (a ring grows from the chains as they stood before it, both ways across each edge at
    # once; a face reached by two chains joins the one whose face beside it curves the most,
    # ties by place: which side of an edge is listed first is the file's order, not shape)
    gp, gq = np.r_[t.ga, t.gb], np.r_[t.gb, t.ga]
    fc_ = analysis.face_centroids
    qc = _quantised(fc_[sub], float(np.ptp(fc_, axis=0).max()))
    for _ in range(GROW_RINGS):
        cp = chain_s[gp]
        m = (cp >= 0) & (chain_s[gq] < 0) & weak[gq]
        m[m] = kap_f[gq[m]] >= WEAK_FRACTION * kmed[cp[m]]
        p_, q_ = gp[m], gq[m]
        o = np.lexsort((qc[p_, 2], qc[p_, 1], qc[p_, 0], -kap_f[p_], q_))
        p_, q_ = p_[o], q_[o]
        head = np.r_[True, q_[1:] != q_[:-1]] if len(q_) else np.zeros(0, bool)
        p_, q_ = p_[head], q_[head]
        chain_s[q_] = chain_s[p_]
        axis_s[q_] = axis_s[p_]  # a grown face's own direction may be noise
    face_chain = np.full(nf, -1)
    face_chain[sub] = chain_s
    kappa = np.zeros(nf)
    kappa[sub] = np.where(lam1 > 0, kap_f, 0.0)
    axis = np.zeros((nf, 3))
    axis[sub] = axis_s
    iso = np.full(nf, np.nan)  # lambda2 / lambda1 of the crease faces (not the grown ones)
    iso[sub[good]] = ratio[good]
    convex = np.zeros(nf, bool)
    convex[sub] = t.flip > 0
    return dict(face_chain=face_chain, ncomp=ncomp, axis=axis, kappa=kappa, iso=iso,
                convex=convex, ce=c.ce, f1=c.f1, f2=c.f2, theta=c.theta, ell=c.ell,
                ehat=c.ehat, strong=c.strong, ev=ev)


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
    if link.any():
        _relabel(seeds, ci[link], cj[link])


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


def _merge_across(seeds, st, prof):
    """Join chains whose faces lie inside one station's measured band (the band split
    lengthwise into pieces): the section saw them turn as one crease. Only faces whose own
    crease direction runs along the station's, and only into chains whose own good sections
    measured the same crease (same way, turn within LINK_TURN, radius intervals overlapping
    within LINK_RADIUS): a patch of surface noise beside a fillet stays out."""
    si, f = prof["band_faces"]
    fc = seeds["face_chain"]
    m = fc[f] >= 0
    si, f = si[m], f[m]
    par = np.abs(np.einsum("ij,ij->i", seeds["axis"][f], st["a"][si])) >= AXIS_COS
    si, f = si[par], f[par]
    a, b = st["chain"][si], fc[f]
    m = a != b
    si, a, b = si[m], a[m], b[m]
    if len(a) == 0:
        return
    n = seeds["ncomp"]
    ok = prof["ok"]
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
    if same.any():
        lab = _relabel(seeds, a[same], b[same])
        st["chain"] = lab[st["chain"]]


def _hard_continue(a, b, shared, se, ev, loc, f1a, f2a, sdir, nv):
    """For face pairs (a, b) (compact ids) sharing the edge `shared` (vertex pairs): True
    where a hard edge of a and one of b meet at a shared vertex with parallel directions."""
    # records (face, vertex, direction) for each hard edge's two faces and two ends
    fa_ = np.r_[loc[f1a[se]], loc[f2a[se]]]
    fa_ = np.r_[fa_, fa_]
    vv = np.r_[ev[se, 0], ev[se, 0], ev[se, 1], ev[se, 1]]
    dd = np.r_[sdir, sdir, sdir, sdir]
    key = fa_.astype(np.int64) * nv + vv
    o = np.argsort(key, kind="stable")
    key, dd = key[o], dd[o]
    out = np.zeros(len(a), bool)
    for j in (0, 1):
        v = shared[:, j]
        ka, kb = a.astype(np.int64) * nv + v, b.astype(np.int64) * nv + v
        sa, ea = np.searchsorted(key, ka), np.searchsorted(key, ka, side="right")
        sb, eb = np.searchsorted(key, kb), np.searchsorted(key, kb, side="right")
        has = (ea > sa) & (eb > sb)
        for ia in (sa, ea - 1):
            for ib in (sb, eb - 1):
                ia_, ib_ = np.clip(ia, 0, len(key) - 1), np.clip(ib, 0, len(key) - 1)
                par = np.abs(np.einsum("ij,ij->i", dd[ia_], dd[ib_])) >= AXIS_COS
                out |= has & par
    return out


def _along_face(e, f1, f2, loc, is_cs, axis_s, ehat):
    """For edges e: the compact index of the crease face (of the two) whose crease direction
    is closest to the edge's, if within AXIS_COS; else -1."""
    a, b = loc[f1[e]], loc[f2[e]]
    ca = np.where(is_cs[a], np.abs(np.einsum("ij,ij->i", axis_s[a], ehat[e])), -1.0)
    cb = np.where(is_cs[b], np.abs(np.einsum("ij,ij->i", axis_s[b], ehat[e])), -1.0)
    best = np.where(ca >= cb, a, b)
    return np.where(np.maximum(ca, cb) >= AXIS_COS, best, -1)




# --- hard creases no chain measured (coarse CAD exports) ---------------------------------------
# A box of 12 triangles, a cylinder of fan caps and one row of side slivers, a revolve of a
# polygon: every face touches two or more creases, so the face chains above take several
# creases into one (a cylinder's two rims and its side), and every section walks round the
# whole solid reading its creases as one band. A crease that turns >= turn_min at one edge is
# a crease on its own; the edges no kept chain accounts for are read here edge by edge.


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
    noise = np.where(np.isfinite(noise), noise, 0.0)
    # (a lone crossing spreads over half the finer face beside it: its row is that face)
    return dict(band=band, gmin=hgt, hgt=hgt, j_lo=j_lo, j_hi=j_hi, ok=ok, sgn=sgn, D=D,
                noise=noise, stop_turn=turn_min - ANGLE_EPS)


def _strong_edges(analysis, turn_min):
    """The interior edges turning >= turn_min, in the seed arrays' form (_seed_chains)."""
    verts = analysis.model.vertices
    fn = analysis.face_normals
    ev, fp = analysis.cached("creases:edge_faces", _analysis_edge_faces)
    cosang = np.einsum("ij,ij->i", fn[fp[:, 0]], fn[fp[:, 1]])
    theta = np.arccos(np.clip(cosang, -1.0, 1.0))
    vec = verts[ev[:, 1]] - verts[ev[:, 0]]
    ell = np.linalg.norm(vec, axis=1)
    ce = np.flatnonzero((theta >= turn_min - ANGLE_EPS) & (ell > 0))
    return dict(ce=ce, f1=fp[ce, 0], f2=fp[ce, 1], theta=theta[ce], ell=ell[ce],
                ehat=vec[ce] / ell[ce, None], ev=ev, strong=np.ones(len(ce), bool))


def _hard_polylines(analysis, seeds, kept_faces):
    """The lines of hard edges (turning >= turn_min; _polylines: joined where two end at one
    vertex, run on within AXIS_COS and turn the same way: a box's corner splits its three
    edges, a cylinder's rim is one loop) none of whose edges a kept chain holds. An edge is a
    kept chain's when a face beside it is in one and runs along it (a face of a rim chain
    grown over a prism's vertical edge does not account for that edge); a line with one such
    edge is that chain's (the last edge of a hard box's rim, whose faces are corner faces, is
    still that rim). Returns the edges' indices into the seed arrays, their line labels
    (0..n-1) and whether each is convex, or None."""
    hs = np.flatnonzero(seeds["strong"])
    if len(hs) == 0:
        return None
    f1, f2 = seeds["f1"][hs], seeds["f2"][hs]
    ax = seeds.get("axis")
    e = seeds["ehat"][hs]

    def along(f):
        if ax is None:
            return kept_faces[f] >= 0
        return (kept_faces[f] >= 0) & (np.abs(np.einsum("ij,ij->i", ax[f], e)) >= AXIS_COS)

    lab, convex = _polylines(analysis, seeds, hs)
    held = np.bincount(lab, weights=(along(f1) | along(f2)).astype(float)) > 0
    free = ~held[lab]
    if not free.any():
        return None
    _, lab = np.unique(lab[free], return_inverse=True)
    return hs[free], lab.reshape(-1), convex[free]


def _polylines(analysis, seeds, hs):
    """Polyline labels of the seed edges hs (and whether each is convex): two edges ending at
    one vertex, within AXIS_COS of each other and turning the same way, are one line."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    fn, fcen = analysis.face_normals, analysis.face_centroids
    f1, f2 = seeds["f1"][hs], seeds["f2"][hs]
    convex = np.einsum("ij,ij->i", fcen[f2] - fcen[f1], fn[f1]) <= 0
    ev = seeds["ev"][seeds["ce"][hs]]
    ehat = seeds["ehat"][hs]
    n = len(hs)
    endv = np.r_[ev[:, 0], ev[:, 1]]
    ende = np.r_[np.arange(n), np.arange(n)]
    o = np.argsort(endv, kind="stable")
    endv, ende = endv[o], ende[o]
    run = np.arange(len(endv)) - np.searchsorted(endv, endv)
    e1, e2 = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for k in range(1, int(run.max()) + 1):  # every pair ending at one vertex (a few per vertex)
        pair = np.flatnonzero(endv[k:] == endv[:-k])
        e1, e2 = np.r_[e1, ende[pair]], np.r_[e2, ende[pair + k]]
    par = (np.abs(np.einsum("ij,ij->i", ehat[e1], ehat[e2])) >= AXIS_COS) & \
        (convex[e1] == convex[e2])
    g = coo_matrix((np.ones(int(par.sum())), (e1[par], e2[par])), shape=(n, n))
    return connected_components(g, directed=False)[1], convex


def _hard_stations(analysis, seeds, hs, lab, eye, budget):
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
    n = int(lab.max()) + 1
    # the budget left by the chains above (MAX_STATIONS in all): STATIONS_PER_CHAIN for the
    # lines that turn most along their length, MIN_STATIONS for the next, none past it
    tl = np.bincount(lab, weights=seeds["theta"][hs] * seeds["ell"][hs], minlength=n)
    rank = np.empty(n, np.int64)
    rank[np.lexsort((np.arange(n), -_quantised(tl, float(tl.max()) or 1.0)))] = np.arange(n)
    n_full = max(0, (budget - MIN_STATIONS * n) // (STATIONS_PER_CHAIN - MIN_STATIONS))
    n_min = max(0, budget // MIN_STATIONS)
    quota = np.where(rank < n_full, STATIONS_PER_CHAIN, np.where(rank < n_min, MIN_STATIONS, 0))
    s = o[_evenly(t_rank, lab[o], np.maximum(quota, 1)) & (quota[lab[o]] > 0)]
    a = a[s] * np.where(a[s][np.arange(len(s)), np.argmax(np.abs(a[s]), axis=1)] < 0,
                        -1.0, 1.0)[:, None]
    size = np.sqrt(2.0 * np.maximum(fa[f1[s]], fa[f2[s]]))
    return dict(p=p[s], a=a, f=f[s], chain=lab[s], reach=3.0 * size + 2.0 * eye,
                band=np.full(len(s), eye), edge=s)


def _read_hard(analysis, walk, st, eye, turn_min):
    """Every station's section read as a hard crease (_band_hard, then steps 5-6 as above)."""
    p = _profile_arrays(analysis, walk, st)
    b = _band_hard(p, eye, turn_min)
    out = _reading(p, b, _radius(p, b), eye, turn_min)
    # a crease stands out of flat faces, not of a rough surface: where the section's other
    # crossings turn by noise (NOISE_TURNS sigmas) a fifth of the crease, a kink of 40-60
    # degrees among kinks of 20-35 is that surface's roughness (a noisy sliver sweep)
    out["ok"] &= NOISE_TURNS * b["noise"] < FLANK_RATIO * out["theta"]
    return out


def _inside_measured(analysis, cr: Creases, pts):
    """Whether each point lies within the band of a kept chain measured over two rows or
    more: nearer one of its faces than its band's width (R Theta)."""
    from scipy.spatial import cKDTree

    fc = cr.face_chain
    if cr.count == 0 or len(pts) == 0:
        return np.zeros(len(pts), bool)
    cf = np.flatnonzero((fc >= 0) & ~cr.resolution_limited[np.maximum(fc, 0)])
    if len(cf) == 0:
        return np.zeros(len(pts), bool)
    d, k = cKDTree(analysis.face_centroids[cf]).query(pts)
    width = (cr.radius_mm * cr.turn_rad)[fc[cf[k]]]
    return d < width


def _hard_chains(analysis, seeds, cr: Creases, eye, turn_min, measured=None) -> Creases:
    """Add to `cr` the hard creases no kept chain accounts for (_hard_polylines), each line
    a chain read section by section as a hard crease (_read_hard): R in [0, 2h/Theta] with h
    the finer face beside it (the file draws no rows: undetermined unless even that is under
    R_min), or narrower where the crease is drawn as lines a hair apart. `measured`: the
    sections already cut (st, prof), whose count the station budget keeps."""
    if "strong" not in seeds or not np.any(seeds["strong"]):
        return cr
    found = _hard_polylines(analysis, seeds, cr.face_chain)
    if found is None:
        return cr
    hs, lab, _ = found
    used = 0 if measured is None else len(measured[0]["p"])
    st = _hard_stations(analysis, seeds, hs, lab, eye, max(0, MAX_STATIONS - used))
    if len(st["p"]) == 0:
        return cr
    prof = _measure(analysis, st, eye, turn_min, _read_hard)
    prof["ok"] &= prof["ratio"] <= FLANK_RATIO
    m = _hard_summary(analysis, seeds, hs, lab, st, prof)
    n = len(m["turn"])
    keep = (m["n_ok"] >= np.maximum(1, 0.5 * m["n_all"])) & (m["n_ok"] > 0) & \
        np.isfinite(m["turn"]) & (m["turn"] >= turn_min - ANGLE_EPS) & \
        (m["ratio"] <= FLANK_RATIO) & np.isfinite(m["radius"]) & (m["length"] >= eye)
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
    return Creases(face_chain, cat([cr.radius_mm, r]),
                   cat([cr.radius_lo_mm, np.maximum(0.0, r - h / t - dn)]),
                   cat([cr.radius_hi_mm, np.maximum(r + h / t + dn, h)]),
                   cat([cr.resolution_mm, h]),
                   cat([cr.resolution_limited, r * t < MIN_ROWS_RESOLVED * h]),
                   cat([cr.turn_rad, t]), cat([cr.length_mm, m["length"][ids]]),
                   cat([cr.centroid_mm.reshape(-1, 3), anchor]),
                   cat([cr.axis.reshape(-1, 3), m["axis"][ids]]), list(cr.first_faces) + first,
                   cat([cr.flank_width_mm, m["extent"][ids]]), cat([cr.n_faces, nfc]),
                   cat([cr.convex, m["convex"][ids]]), cat([cr.flank_ratio, m["ratio"][ids]]),
                   cr.detect_radius_mm, cr.turn_min_rad)


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
                turn=med(prof["theta"]), radius=radius, res=med(prof["res"]),
                noisy=np.fmax(noisy, MEDIAN_SE * scatter / np.sqrt(np.maximum(n_ok, 1))),
                ratio=0.5 * (med(prof["ratio"]) + med(prof["ratio"], 0.5 + MEDIAN_EPS)),
                extent=med(prof["extent"]), convex=med(prof["convex"]) >= 0.5,
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
