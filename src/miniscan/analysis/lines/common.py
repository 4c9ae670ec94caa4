"""Fine lines: the tuned constants and the values (Base, LineSet) every step shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


# --- tuned constants (unit, and why this value) ----------------------------------------------
# Source points are aggregated into cells of sigma / SOURCE_CELLS (so ~50 cells fall in the
# 2-sigma window, enough for a 6-term quadric after outliers are dropped); fits are made at
# query cells of sigma (neighbouring windows overlap by half: the base is smooth between them).
SOURCE_CELLS = 2.0
QUERY_CELLS = 1.0
K_NEIGHBOURS = 48  # source cells per fit (the 2-sigma window holds ~50 at sigma / 2 cells)
WINDOW = 2.0  # the Gaussian window (std sigma) is cut at WINDOW * sigma
# Tukey's biweight constant (95 % efficiency under Gaussian noise) and its iterations: the first
# fit starts from the median level, four reweightings settle on the base.
TUKEY_C = 4.685
IRLS_STEPS = 4
MAD_TO_SIGMA = 1.4826  # median absolute deviation -> standard deviation (Gaussian)
QUAD_TERMS = 6  # the base quadric's coefficients (1, x, y, xx, xy, yy)
# The residual scale never drops under 1e-5 sigma: the fit runs in float32 (7 digits), and a CAD
# plate's exact residuals (rounding noise ~1e-7 sigma) must not make Tukey reject the plate itself.
SCALE_FLOOR = 1e-5
# Neighbours whose normal turns more than 90 deg from the fitted normal are the other side of a
# thin part (a cloak's back, a blade's other face): never part of this side's base; before the
# frame is known, only normals turned past 120 deg from the query's are (OTHER_FACE_COS).
SIDE_COS = 0.0
# A point is measured over the nearest of its ASSIGN_K nearest query cells whose base normal is
# within 60 deg of its own (cos 0.5): a groove's floor over the plate's base, never over the
# base of a side wall that happens to be nearer.
ASSIGN_K = 8
ASSIGN_COS = 0.5
OTHER_FACE_COS = -0.5
# Points within 60 deg of a cell's principal normal axis are on one face of it or the other (a
# thin part's two faces are +-d); points turned further (walls, risers) join the larger face.
SIDE_AXIS_COS = 0.5
# A cell whose summed normal keeps 90 % of the summed lengths is one face of a surface (its
# normals spread under ~50 deg): its mean normal is its axis, no eigen-decomposition needed.
ONE_SIDED = 0.9
# The base's frame is the mode of the window's normals: the mean of those within 30 deg of it
# (a sphere's normals spread +-20 deg over a window of 2 sigma on a radius of 5 sigma: kept).
NORMAL_CONE_COS = math.cos(math.radians(30.0))
# ... refined within 10 deg: the frame then lies along the base's own normal (a V-groove's 22 deg
# walls tilt a 30 deg mean by a degree or two, which the median start of the fit would feel)
MODE_CONE_COS = math.cos(math.radians(10.0))
# A flat CAD base's cells agree on their normal to float rounding (1e-6 rad); 0.1 deg holds
# them, and the walls of any stroke deep enough to read lie outside it (a V turns its walls by
# 0.1 deg only where it is 1/570 as deep as wide), as do the normals of a scan's noise and of a
# curved base, where the frame stays the wide mean (base._flat_mode)
FLAT_CONE_COS = math.cos(math.radians(0.1))
# the flat mode is the base's own where it holds half the weight that faces like the base
# (within NORMAL_CONE): the majority (a curved base's window spreads its normals over +-20 deg,
# a rough one's over its noise)
FLAT_SHARE = 0.5
# ... sought among the 10 deg cone's FLAT_CANDIDATES heaviest cells (a sixth of the window: the
# agreement test then costs a sixth of all pairs)
FLAT_CANDIDATES = 8
# A vertex is a candidate when its relief exceeds DETECT_SNR times the fit's noise: the Rose
# criterion (a feature is detected reliably at a signal-to-noise ratio of 5; Gaussian noise
# passes 5 sigma once in 3.5 million vertices).
DETECT_SNR = 5.0
# ... and a region grows through vertices over HYSTERESIS of that threshold (Canny's hysteresis:
# a groove in a rough surface dips near the threshold here and there and stays one groove).
HYSTERESIS = 0.5
# Faces bigger than BIG_FACE source cells carry their own area-weighted samples (one per cell);
# at most BIG_SAMPLES of them in all (the spacing coarsens beyond that).
BIG_FACE = 1.0
BIG_SAMPLES = 200_000
# A line is read at the finest window whose sigma is at least 1 / WIDTH_PER_SIGMA of its width:
# then the stroke (a V or round groove spreads over twice its width at half depth) covers under
# a fifth of the Gaussian weight even when the window is centred on it (erf(w / (2 sqrt 2 sigma))
# = 0.2 at w = sigma / 2), and Tukey's fit sees it as the outlier it is. The ladder's step of 3
# leaves every width in (sigma / 6, sigma / 2] of one window.
WIDTH_PER_SIGMA = 0.5
# A reading whose faces a better reading of another window already holds for this share is that
# same line, read less completely.
CLAIMED_SHARE = 0.2
# A candidate must be at least ELONGATION times longer than wide: a stroke, not a pit or a bump.
ELONGATION = 3.0
# A ridge higher than RIDGE_ASPECT times its width is a fin or a wall standing on the surface (an
# ear, a blade, a flag: the scale family's walls), not an embossed line; lettering and raised
# lines stand about as high as they are wide (CSG base lettering: 0.7 mm on 0.6 mm strokes).
# Grooves have no such bound: a knife cut is deeper than wide and still a line.
RIDGE_ASPECT = 2.0
# Stations per line (cross-sections along its contour) and in all: enough for a median with a
# 4-station minimum, bounded so that a sculpt with thousands of wrinkles costs < 200k rays.
STATIONS_MAX = 16
STATIONS_MIN = 4
STATIONS_TOTAL = 2000
# Profile geometry in units of the candidate's width w: samples every w / PROFILE_STEPS, from
# PROFILE_IN widths inside the stroke (its far edge, serifs and junctions) to FLANK widths past
# its near edge (the flank test), then PROFILE_OUTER samples out to the gap reach.
PROFILE_STEPS = 16
PROFILE_IN = 2.0
FLANK = 1.5
PROFILE_OUTER = 16
# A contour drawn at the detection threshold near a stroke's crest may cut it far narrower than
# at half depth (`_contour_shrink`); the cross-sections are widened for at most this shrink
# (a contour at 7/8 of the depth), i.e. at most 4 times the contour's width.
MIN_CONTOUR_SHRINK = 0.25
# Rays start above the profile by twice the depth plus the drop of a base tilted up to 45 deg
# (a stroke on a steep or curved flank) over the distance from the station.
RAY_LIFT_DEPTHS = 2.0
RAY_TILT = 1.0  # tan(45 deg)
# A line returns to its base on both sides: the median relief of each flank and the flanks'
# spread (MAD sigma) stay within FLANK_SHARE of the stroke's depth (the Rose criterion again:
# the stroke stands 5 times out of the roughness beside it). A crease, a step or a concave
# junction leaves a flank far off the base and fails; so does a chance run of noise.
FLANK_SHARE = 1.0 / DETECT_SNR
# The flanks start FLANK_MARGIN widths past the stroke's half-depth edge (the edge's own
# samples, near half depth, are the stroke's; below them a V's wall is a small share of the
# window, which the median skips).
FLANK_MARGIN = 0.25
# A convex cross-section meets its base within FOOT widths of its half-depth edge: a V
# (relief 1 - d / w) and a round stroke (cosine) exactly there, a flat one (ramp w / 8) sooner.
# Between two strokes only the surface between their feet is base (`profiles._flank_window`).
FOOT = 0.5
# Beyond the far edge the profile also runs on (samples used only to find a neighbour there, not
# as flank by themselves) until it sees a neighbour whose foot could fall in that flank's window:
# the far edge (1 width in from the near one), the window's end (FLANK_MARGIN + FLANK) and the
# neighbour's foot-to-edge (FOOT): 3.25 widths inside. Without it V hatching's inner strokes read
# their far flank over the next stroke's lower wall (PROFILE_IN ends 1 width past the far edge,
# where that wall stands when the gap is about the width) and failed the flank test.
NEIGHBOUR_IN = 1.0 + FLANK_MARGIN + FLANK + FOOT
FLANK_MIN_SAMPLES = 3
# A candidate is a line when at least LINE_MIN_STATIONS stations, and at least LINE_VALID_SHARE
# of them, read a stroke with flat flanks.
LINE_MIN_STATIONS = 3
LINE_VALID_SHARE = 0.5
# The line's spacing is read when at least SPACING_MIN_SHARE of its valid stations see another
# stroke within the reach (the counters of a B, the next letter, hatching).
SPACING_MIN_SHARE = 0.25
SALT = 601
FIT_CHUNK = 8192  # queries fitted at once: (chunk, K, 6) arrays stay ~25 MB
NO_RELIEF = 1e9  # mm: the relief of a vertex with no base (far below any contour level)


@dataclass(frozen=True)
class Base:
    """The robust quadric base at one window scale: one fit per query cell."""

    sigma: float
    q: np.ndarray  # (Q, 3) query points
    n: np.ndarray  # (Q, 3) fitted normal (frame axis)
    t1: np.ndarray  # (Q, 3)
    t2: np.ndarray  # (Q, 3)
    c: np.ndarray  # (Q, 6) quadric z = c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2 (sigma units)
    noise: np.ndarray  # (Q,) MAD sigma of the inliers' residuals, mm
    level_se: np.ndarray  # (Q,) standard error of the base level c0, mm
    ok: np.ndarray  # (Q,) the fit had enough inliers

    def height(self, j: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Height (mm) of points p over the base of query cells j (NaN where the fit failed)."""
        x, y, z = self._local(j, p)
        c = self.c[j]
        base = c[:, 0] + c[:, 1] * x + c[:, 2] * y + c[:, 3] * x * x + c[:, 4] * x * y + c[:, 5] * y * y
        return np.where(self.ok[j], (z - base) * self.sigma, np.nan)

    def normal(self, j: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Unit normal of the base surface of query cells j under points p."""
        x, y, _ = self._local(j, p)
        c = self.c[j]
        gx = c[:, 1] + 2 * c[:, 3] * x + c[:, 4] * y
        gy = c[:, 2] + c[:, 4] * x + 2 * c[:, 5] * y
        v = self.n[j] - gx[:, None] * self.t1[j] - gy[:, None] * self.t2[j]
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def _local(self, j, p):
        d = (p - self.q[j]) / self.sigma
        return (np.einsum("ij,ij->i", d, self.t1[j]), np.einsum("ij,ij->i", d, self.t2[j]),
                np.einsum("ij,ij->i", d, self.n[j]))


@dataclass(frozen=True)
class LineSet:
    """Every line read on the model (arrays of one entry per line, in a deterministic order)."""

    kind: np.ndarray  # (L,) +1 ridge (embossed), -1 groove (engraved)
    sigma_mm: np.ndarray  # (L,) window scale it was read at
    width_mm: np.ndarray  # full width at half depth: median over stations
    width_lo: np.ndarray
    width_hi: np.ndarray
    depth_mm: np.ndarray  # depth (groove) or height (ridge) over the base
    depth_lo: np.ndarray
    depth_hi: np.ndarray
    gap_mm: np.ndarray  # gap to the neighbouring stroke (NaN: none within the reach)
    gap_lo: np.ndarray
    gap_hi: np.ndarray
    reach_mm: np.ndarray  # how far past its edge each line was searched for a neighbour
    length_mm: np.ndarray  # centre-line length, P/2 - w
    area_mm2: np.ndarray  # footprint above half depth
    centroid_mm: np.ndarray  # (L, 3)
    stations: np.ndarray  # stations measured
    valid: np.ndarray  # stations that read a stroke with flat flanks
    first_faces: tuple[tuple[int, ...], ...]
    face_line: np.ndarray  # (F,) line index of every face, -1 none
    candidates: int  # regions examined (lines + rejected)
    sigmas_mm: tuple[float, ...]  # the ladder

    @property
    def count(self) -> int:
        return int(len(self.kind))
