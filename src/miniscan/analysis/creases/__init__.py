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
   ~L^2 kappa / (8 w), so a fillet a few rows wide zig-zags while its flanks are exact);
   where that too finds none (noise turning each crossing more than the fillet does), as the
   least-squares ramp through the faces' levels (_band_ramp).
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
Each chain is read by the sections that make it one: where its sections other than the
ramp's keep it, by those; a chain only the ramp keeps (noise hid its band at most stations,
and the others found one where noise lifted a crossing above the floor, ending where the noise
did) by its ramp sections, whose ends are known to the range of widths the residual cannot
tell from the best: its median lies between the medians with every ramp section at either end.
7. **Hard creases no chain accounts for** (a box of 12 triangles, a cylinder of fan caps: every
   face touches several creases, so no face chain or section reads them): edges turning
   >= turn_min joined into lines; a line no kept chain holds is a chain, read as a hard crease
   (_band_hard: its own crossing, flanks up to the next crease: a flat flank one face wide is a
   flank, its level exact), R in [0, 2h/Theta].
8. **Noise** (noise.py): each body's vertex noise is read from its folds (each over its
   compliance to vertex noise; the rarer sign's median: noise folds both ways, a form one
   way); a section's turn is the difference of two flank levels the noise moves, and a chain
   whose turn over that, times the root of its independent readings, does not pass what the
   largest of the body's folds reaches is noise-limited: the judge leaves it undetermined.
9. **Facet lines** (_fold_facet_lines): a one-row crease inside another chain's band, turning
   a crease's worth less, is one of that band's lines, and that chain's.
Everything is vectorised over edges, faces, stations
and walkers; the only loops are over a fixed handful of passes and the walk's steps.

Modules (each imports only those listed before it): common (the Creases values, edge pairs,
weighted quantiles, the curvature tensor's eigenvectors), noise (step 8's vertex noise and
the chains it limits), seeds (steps 1-2: crease faces and
their chains), stations (step 3: where sections are cut, the walk across the mesh, the
profile), band (step 4: the band and its turn), radius (step 6: the radius and its interval),
flanks (step 5: an edge, not a form), sections (steps 3-6 for one batch of stations), chains
(per-chain medians, places, merges), hard (step 7), and this package's find_creases.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .chains import _chains, _merge_across, _merge_along, stretch_reading
from .common import ANGLE_EPS, Creases, edge_faces
from .hard import _hard_chains, _strong_edges
from .noise import chain_noise_mm, noise_limited
from .sections import _measure
from .seeds import _drop_specks, _seed_chains
from .stations import _stations

FACET_SHARE = 0.5  # a facet line is a piece of its band: at most this share of its length (a
# crease as long as the band beside it is a rim of its own: a revolved base's bevel crease,
# one 2.2 mm wall row above its hard foot, is no line of the foot's one-row band)
FOLD_NEIGHBOURS = 16  # faces nearest a one-row crease's point examined for a band it lies in
# (a chain's faces beside it are among them: a band's row holds two to four faces across)

__all__ = ["Creases", "edge_faces", "find_creases", "stretch_reading"]


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
        return _with_noise(analysis, _drop_buried(analysis, _hard_chains(
            analysis, _strong_edges(analysis, turn_min),
            Creases.empty(nf, detect_radius_mm, turn_min), eye_mm, turn_min)))
    _merge_along(analysis, seeds)
    _drop_specks(analysis, seeds, turn_min)
    st = _stations(analysis, seeds, detect_radius_mm, eye_mm)
    prof = _measure(analysis, st, eye_mm, turn_min)
    _merge_across(analysis, seeds, st, prof)
    cr = _chains(analysis, seeds, st, prof, detect_radius_mm, turn_min, eye_mm)
    cr = _hard_chains(analysis, seeds, cr, eye_mm, turn_min)
    return _with_noise(analysis, _drop_buried(analysis, _fold_facet_lines(analysis, cr,
                                                                            turn_min)))


def _with_noise(analysis, cr: Creases) -> Creases:
    """cr with each chain's noise verdict (noise.noise_limited: its turn does not stand above
    its body's vertex noise, a fold picked out of many)."""
    return replace(cr, noise_limited=noise_limited(analysis, cr),
                   noise_mm=chain_noise_mm(analysis, cr))


def _fold_facet_lines(analysis, cr: Creases, turn_min: float) -> Creases:
    """A one-row crease lying inside another chain's band (its point nearer one of that
    chain's faces than the band is wide, R Theta, or than its row, h, for a band read over
    one row: a point beyond either lies outside that band, whichever face it is near) and
    turning at least a crease's worth (turn_min) less than that band is one of the
    band's facet lines: the band is the edge, and the chain that read it is its verdict. Its
    faces become that chain's. A facet line turns the band's way and runs along it no more
    than FACET_SHARE of the band's length (a 39 mm convex crease of a CSG mini is no line of a 0.2 mm concave
    notch beside it: the wyrmling, where 29 razor places went that way without these two). (A revolved rim whose 90-degree fillet is drawn with one
    irregular row: its chains read the whole fillet, undetermined; kinks of 37-53 degrees
    between the row's triangles, 0.2-0.6 mm long, were chains of their own, read as razor
    edges at the row of their small faces: edges:6001.) Step 7 folds a hard line into a band
    measured over rows the same way (_inside_measured); this holds for any band, a band of
    one row included, and for the chains of steps 1-6 as well: the turn's margin keeps a
    crease beside another as sharp as itself (a box's twelve triangles) its own. Within the
    band a chain measured over rows makes certain, a crease read as a line that turns no
    more than the band needs no margin (a corner's 60-degree crossing between a box's
    four-row 0.238 mm fillets: edges:88016)."""
    if cr.count < 2 or not np.any(cr.resolution_limited):
        return cr
    from scipy.spatial import cKDTree

    fc = np.asarray(cr.face_chain)
    cf = np.flatnonzero(fc >= 0)
    width = np.fmax(cr.radius_mm * cr.turn_rad, cr.resolution_mm)
    turn = np.abs(cr.turn_rad)
    lim = np.flatnonzero(cr.resolution_limited)
    k = min(FOLD_NEIGHBOURS, len(cf))
    d, j = cKDTree(analysis.face_centroids[cf]).query(
        cr.centroid_mm[lim], k=k, distance_upper_bound=float(np.max(width)))
    d, j = d.reshape(len(lim), k), j.reshape(len(lim), k)
    found = np.isfinite(d)
    i = np.broadcast_to(lim[:, None], d.shape)[found]
    host = fc[cf[j[found]]]
    # a band measured over rows (or whose radius's lower end is above 0) is drawn by its
    # own rows: a crease read as a line (R_lo 0) within the band that reading makes certain,
    # turning no more than the band (each crossing inside a band turns a share of it), is
    # one of its facet lines however much it turns (as step 7's hard lines, _inside_measured).
    # A box's 12 triangles hold no such band, so the turn's margin still keeps their edges
    # apart; a chain that reads a bevel of its own (R_lo > 0: a 77 mm stretch of a 2.3 mm
    # fillet beside the chain that read the rest) is no line of another band; nor is a
    # crease turning more than the band (with the band's turn given room for its flanks' and
    # its noise's share, a scanned tile's 95-degree razor edge went into a 65-degree chain)
    sure = np.where(cr.resolution_limited, cr.radius_lo_mm, cr.radius_mm) * turn
    line = (cr.radius_lo_mm[i] <= 0) & (d[found] < sure[host]) & \
        (turn[i] <= turn[host] + ANGLE_EPS)
    ok = (host != i) & (d[found] < width[host]) & \
        ((turn[host] - turn[i] >= turn_min - ANGLE_EPS) | line) & \
        (cr.convex[host] == cr.convex[i]) & (cr.length_mm[i] <= FACET_SHARE * cr.length_mm[host])
    i, host = i[ok], host[ok]
    into = np.full(cr.count, -1)
    # (each into the most turning band it lies in; ties to the lower chain id)
    o = np.lexsort((host, -turn[host], i))
    first = np.r_[True, i[o][1:] != i[o][:-1]] if len(o) else np.zeros(0, bool)
    into[i[o][first]] = host[o][first]
    return _folded(cr, into)


def _folded(cr: Creases, into: np.ndarray) -> Creases:
    """cr with each chain i whose into[i] >= 0 removed and its faces given to chain into[i]
    (a chain that is itself folded passes its faces on to where it goes)."""
    if not np.any(into >= 0):
        return cr
    dest = np.arange(cr.count)
    for _ in range(cr.count):  # (follow chains of folds; at most count steps)
        nxt = np.where(into[dest] >= 0, into[dest], dest)
        if np.array_equal(nxt, dest):
            break
        dest = nxt
    keep = into < 0
    new = np.full(cr.count + 1, -1)
    new[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    fc = np.asarray(cr.face_chain)
    face_chain = np.where(fc >= 0, new[dest[np.maximum(fc, 0)]], -1)
    n_faces = np.bincount(dest, weights=np.asarray(cr.n_faces, float), minlength=cr.count)
    return _kept(replace(cr, n_faces=n_faces.astype(np.asarray(cr.n_faces).dtype)), keep,
                 face_chain, new[:cr.count])


def _kept(cr: Creases, keep: np.ndarray, face_chain: np.ndarray, new: np.ndarray) -> Creases:
    """cr's chains where `keep`, with these face labels and stretches renumbered by new."""
    per = {k: np.asarray(getattr(cr, k))[keep] for k in (
        "radius_mm", "radius_lo_mm", "radius_hi_mm", "resolution_mm", "resolution_limited",
        "turn_rad", "length_mm", "centroid_mm", "axis", "flank_width_mm", "n_faces",
        "convex", "flank_ratio", "turn_sd_rad", "n_read")}
    return replace(cr, face_chain=face_chain, stretches=cr.stretches.kept(new),
                   first_faces=[f for f, k in zip(cr.first_faces, keep) if k], **per)


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
    from ..thickness import buried_points

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
    return _kept(cr, keep, new[np.where(fc >= 0, fc, cr.count)], new[:cr.count])
