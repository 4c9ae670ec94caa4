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
Everything is vectorised over edges, faces, stations
and walkers; the only loops are over a fixed handful of passes and the walk's steps.

Modules (each imports only those listed before it): common (the Creases values, edge pairs,
weighted quantiles, the curvature tensor's eigenvectors), seeds (steps 1-2: crease faces and
their chains), stations (step 3: where sections are cut, the walk across the mesh, the
profile), band (step 4: the band and its turn), radius (step 6: the radius and its interval),
flanks (step 5: an edge, not a form), sections (steps 3-6 for one batch of stations), chains
(per-chain medians, places, merges), hard (step 7), and this package's find_creases.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .chains import _chains, _merge_across, _merge_along, stretch_reading
from .common import Creases, edge_faces
from .hard import _hard_chains, _strong_edges
from .sections import _measure
from .seeds import _drop_specks, _seed_chains
from .stations import _stations

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
        return _drop_buried(analysis, _hard_chains(
            analysis, _strong_edges(analysis, turn_min),
            Creases.empty(nf, detect_radius_mm, turn_min), eye_mm, turn_min))
    _merge_along(analysis, seeds)
    _drop_specks(analysis, seeds, turn_min)
    st = _stations(analysis, seeds, detect_radius_mm, eye_mm)
    prof = _measure(analysis, st, eye_mm, turn_min)
    _merge_across(seeds, st, prof)
    cr = _chains(analysis, seeds, st, prof, detect_radius_mm, turn_min, eye_mm)
    return _drop_buried(analysis, _hard_chains(analysis, seeds, cr, eye_mm, turn_min))


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
    per = {k: np.asarray(getattr(cr, k))[keep] for k in (
        "radius_mm", "radius_lo_mm", "radius_hi_mm", "resolution_mm", "resolution_limited",
        "turn_rad", "length_mm", "centroid_mm", "axis", "flank_width_mm", "n_faces",
        "convex", "flank_ratio")}
    return replace(cr, face_chain=new[np.where(fc >= 0, fc, cr.count)],
                   stretches=cr.stretches.kept(new[:cr.count]),
                   first_faces=[f for f, k in zip(cr.first_faces, keep) if k], **per)
