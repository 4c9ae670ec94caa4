"""The detail spectrum's tuned constants (lengths relative to sigma or to the mesh; why each value,
in its comment)."""

from __future__ import annotations

import math

import numpy as np


# --- constants (lengths relative to sigma or to the mesh; why each value, in its comment) ---
RATIO = math.sqrt(2.0)    # ladder step: two scales per octave, so a band is resolved to ~+-20 %
K_NEIGHBOURS = 32         # points per local fit: the 2-sigma window holds 17-25 of them
SUPPORT = 2.0             # the Gaussian window is cut at SUPPORT sigmas (weight e^-2 there)
SPACING = 0.85            # voxel / sigma: 32 neighbours then always cover the whole window
RAW_FILL = 0.8            # raw vertices serve the first scale if its window holds < 0.8 K of them
CREASE_DEG = 75.0         # faces turning more than this at a vertex make a crease (box edge, rim)
SIGMA0_EDGES = 1.0        # finest sigma in median edge lengths: the window then spans 2 edges
MAX_LEVELS = 16           # scales at most (16 = 2^8 in sigma): bounds the cost on huge meshes
BEND_RAD = 2.5            # the fitted base form turning this much across its window is a crease
FORM_LOOKUP = 3           # ...and still does at every scale up to three (2.8x) coarser
EDGE_SAMPLE = 200_000     # faces sampled for the median edge (a median needs no more)
EDGE_STEP = 2 ** (1 / 16)  # the ladder starts at the median edge rounded to steps of 4.4 %
#                           (relative to the diagonal): within the ladder's own +-20 % band
#                           resolution, and an edit elsewhere keeps the ladder (relief._ladder_edge)
FAN_VALENCE = 12          # vertices with more faces than this are fan apexes (poles, cap centres)
CREASE_LINES = 2.0        # crease line in a window beyond this many straight creases through it
                          # (chords 2 SUPPORT sigma long) is a field of crests, not form: a box
                          # corner holds 1.5 such lines, an apex of four faces 2; a steep
                          # ripple's crests, lam / 2 apart, hold ~2 pi sigma / lam of them
CREASE_CELLS = 8          # crease vertices are summed per cell of an eighth of the window's
                          # radius (at their weighted centre: ~200 cells in a window's field,
                          # ~20 on a line)
CREASE_GROW = 2.0         # points within this many sigmas of a crease point are unmeasured
QUERY_MIN, QUERY_MAX = 3_000, 12_000   # query points: a floor for statistics, a cap for speed
QUERY_PER_FACE = 1 / 16   # ...otherwise one per 16 faces (regions of ~770 faces)
BIG_FACE = 6.0            # faces over this many typical face areas are sampled inside
BIG_SAMPLES_MIN = 20_000  # ...with at most max(vertices, this) samples in all
QUARTIC = True            # fit the r^4 term (see the module docstring)
SIDE_COS = -0.5           # neighbours whose normal turns > 120 deg from the query's are the
#                           other side of a thin part (a groove's walls turn less, even at 57 deg)
THREADS_FROM = 20_000     # queries in a batch before KD-tree queries use every core
RIDGE = 1e-5              # Tikhonov ridge on the non-constant terms (relative): sparse windows
MIN_POINTS = 7            # a fit needs at least as many weighted points as unknowns
# salts of the keyed draws (`analysis.keys`: functions of places on the surface, fixed so the
# JSON is deterministic; distinct so the draws are independent)
THIN_SALT = 20261123      # the representatives' priorities
QUERY_SALT = 101          # how many query points a face holds
BIG_SALT = 211            # where a big face's own samples lie
EDGE_SALT = 223           # the faces sampled for the median edge
GRID_OFFSET = np.array([0.381966, 0.618034, 0.414214])  # grid origin off the bbox, in cells
SIM_LEVELS = 5            # simulated kinds of scale: raw, then nested thinnings (alike from the 5th)
SIM_JITTER = 0.15         # vertex jitter of the simulated mesh, in edges (a remeshed sculpt)
TILTS_DEG = (0.0, 15.0, 30.0, 45.0, 54.7356)  # surface tilt to its dominant axis (0..arctan sqrt 2)
S_GRID = np.geomspace(0.03, 6.0, 50)  # sigma / lam of the power table (beyond: extrapolated)
REGION_POINTS = 96        # query points per region: its mean squares to ~+-15 % at 2 sigma
BY_FACES = 0.5            # share of the query points drawn per face (the rest per mm^2): where
#                           the modeller put finer triangles (the detail), regions are smaller
LOCAL_AREA_K = 16         # query points whose median area weight sets a region's local size
SEED_SPACING = 0.835       # seeds at least this x the local region size apart: random sequential
#                           adsorption jams at 0.547 of the plane covered by disks of that
#                           diameter, 0.697 / spacing^2 seeds per area = one per size^2
SEED_CANDIDATES = 0.25     # share of the query points that may seed (~50 per seed's exclusion
#                           disk: the adsorption gets near its jamming density)
SEED_MIN_CANDIDATES = 2000  # ...but at least this many of the query count asked for (small
#                           point sets: a share of 0.25 left 7 % fewer, larger regions at 4 800)
REGION_FLOOR = 0.5        # regions under this share of REGION_POINTS are not judged: where the
#                           local size steps a seed keeps only a fragment, whose few dozen points
#                           read one patch of relief, not a sample of it (the bootstrap, drawing
#                           from those same points, cannot see that)
SEED_CHOICES = 8          # nearest seeds a query point may join (the first on its side wins)
BOOTSTRAP = 16            # Poisson bootstrap replicates of each region's mean squares
BOOT_SALT = 307           # their seed salt (fixed: the JSON is deterministic)
MIN_VALID_SHARE = 0.25    # a scale is measured in a region when this share of it is crease-free
GUARD_SEEN = 0.25         # bands no measured scale passes with H^2 >= this are not measured
NOISE_FLOOR = 1e-3        # a mean square's error is never taken below this x the largest
REFINE_PER_BAND = 16      # candidate wavelengths per band step when a component is fitted
PASS_S = 0.9              # sigma / lam of the scale that passes a wave whole (power ~1, table)
RES_PER_BAND = 8          # test wavelengths per band for the ladder's own resolution
CONC_ITER = 8             # refits of a region's clipped energy plane (converged by the 5th)
NOISE_CORR = 0.35         # the fit noise's correlation length at the plateau scale, in
#                           wavelengths (docs/texture.md 7.8: the windows' aliasing of the relief
#                           into their intercept, correlated over ~0.35 lam): the finest a
#                           region's energy map resolves where its relief is
CROSS_STEPS = 2           # ladder steps between the two scales whose local energies the
#                           concentration's upper end multiplies: the plateau (sigma ~0.9 lam) and
#                           two steps (2x) finer (sigma ~0.45 lam, near the transition lam / HALF:
#                           it still carries the wave, at ~half amplitude); the fit noise of scales
#                           two steps apart correlates 0.05-0.15, one step apart 0.27-0.37
#                           (docs/texture.md 7.18); the ladder often ends at the plateau, so not
#                           coarser


def equal_area_span(area):
    """A region's equal-area diameter (mm), the span of the window that reads its wave: its
    resolution cell is 1 / span (docs/texture.md s.3)."""
    return 2.0 * np.sqrt(np.maximum(area, 0.0) / np.pi)


def draws(sp, salt: int):
    """The bootstrap's Poisson draws for the query points of sp: functions of each point's key
    (`analysis.keys.Draws`), so a point an edit leaves in place keeps its weights, whatever
    was added or removed before it in the arrays (docs/texture.md s.7.39); a seeded
    generator where the points carry no keys."""
    from .. import keys

    return np.random.default_rng(salt) if sp.keys is None else keys.Draws(sp.keys, salt)


def poisson_weights(rng, own):
    """(BOOTSTRAP + 1, Q) point weights: the value's (ones) then BOOTSTRAP Poisson-bootstrap
    replicates, zero where `own` (Q,) is False."""
    Q = len(own)
    return np.concatenate([np.ones((1, Q)), rng.poisson(1.0, size=(BOOTSTRAP, Q))]) * own
