"""Colour and contrast the eye resolves at the viewing distance (the MS7xx kernel).

Steps (docs/colour.md has the derivations and references):
1. colour space: sRGB -> linear -> relative luminance Y (IEC 61966-2-1, ITU-R BT.709
   weights) and CIE L*; pure functions.
2. samples: the coloured vertices, each weighted by a third of its faces' area, clustered on
   a grid of the finest smoothing length (level 0) and on coarser grids (levels 1..K).
3. band-pass: the luminance smoothed with Gaussians of sigma_k (k = 0..K) over the surface
   (3-D distance within one surface: faces meeting at a corner sharper than CORNER_RAD are
   different surfaces, never mixed; k nearest cluster points, vectorised); band k = S_k - S_k+1 divided by the
   local mean S_k+1 is Peli's band-limited local contrast (Peli 1990), whose peak period is
   p_k = 2 r 2^k: the finest band holds the finest detail the eye resolves (Nyquist: two
   resolvable sizes a period), each next band twice as coarse.
4. regions: cubes of side REGION_PERIODS x the coarsest band's period, one region per surface
   in a cube (a flat top and its mottled side are judged apart); per region and band
   the RMS band contrast, turned into the Michelson contrast of the sinusoid that gives it,
   times the contrast sensitivity S(f_k) (vision.contrast_sensitivity): the visibility in
   threshold multiples; how evenly the region holds each band's energy (its spread between
   blocks one period across); and the one sinusoid the bands' readings match (the period
   that places the detail between the bands' peaks). Plus the region's whole fine colour
   contrast (everything finer than the region, visible or not) and its eye-resolved
   luminance range.
No Python loop runs over vertices or points: loops are over the K bands and levels only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..colourspace import (lightness, linear_to_srgb, luminance, michelson,  # noqa: F401
                           srgb_to_linear)

# --- the band-pass -------------------------------------------------------------------------
N_BANDS = 3  # bands of peak period 2r, 4r, 8r: the detail between the eye's limit and a glance
# The finest level's cluster cells are this many sigmas of its lowpass: a Gaussian of sigma
# passes the cell's Nyquist period (2 x 1.41 sigma) with gain exp(-pi^2 / 4) = 0.085.
CELL_PER_SIGMA = math.sqrt(2.0)
# Each coarser level clusters the one below on cells of this many sigmas of the lowpass it
# carries: four times fewer points than one sigma, the cost of a 2M-face model a third of
# what cells of 1.41 sigma took. The cluster mean is a box blur (variance c^2 / 12), so the
# carried lowpass has sigma_lo = sigma sqrt(1 + 2^2 / 12) = 1.155 sigma; what folds back at
# the cell's Nyquist period is box-averaged first and read as an RMS over a region.
DECIMATE_PER_SIGMA = 2.0
# Band k is the carried lowpass (sigma_lo) minus the next (sigma_hi = 2 sigma_k): it passes a
# sinusoid of period p with gain G(x) = exp(-a x) - exp(-b x), x = 2 pi^2 / p^2, a = sigma_lo^2,
# b = sigma_hi^2 (in sigma_k^2). G peaks at x* = ln(b / a) / (b - a), i.e. at the period
# p* = pi sqrt(2 / x*) (6.92 sigma_k), with gain G(x*) (0.385).
_A = 1.0 + DECIMATE_PER_SIGMA ** 2 / 12.0
_B = 4.0
_X_PEAK = math.log(_B / _A) / (_B - _A)


def _gain(x: float) -> float:
    return math.exp(-_A * x) - math.exp(-_B * x)


PEAK_PERIOD_PER_SIGMA = math.pi * math.sqrt(2.0 / _X_PEAK)
PEAK_GAIN = _gain(_X_PEAK)


def crosstalk(n: int = 3) -> np.ndarray:
    """(n, n) gain of band j for a sinusoid at band i's peak period, relative to the peak gain:
    the octave bands overlap (a band passes 0.54 of a sinusoid one octave coarser and 0.29 of
    one an octave finer)."""
    d = np.arange(n)[:, None] - np.arange(n)[None, :]  # j - i: band j is 2^(j-i) coarser
    return np.vectorize(lambda k: _gain(_X_PEAK * 4.0 ** float(k)))(d) / PEAK_GAIN


def unmix(band_contrast: np.ndarray) -> np.ndarray:
    """Contrast at each band's peak period from the bands' readings (..., n): detail at
    different periods adds in energy over a region, so the squared readings are the squared
    crosstalk times the squared contrasts, solved for non-negative squared contrasts (exact
    non-negative least squares: every subset of bands is tried, the best fit with no negative
    share wins). Without it, fine detail leaking into a coarser band is weighted by that
    band's higher sensitivity and reads several times more visible than it is."""
    import itertools

    r2 = band_contrast.reshape(-1, band_contrast.shape[-1]) ** 2
    n = r2.shape[1]
    m2 = crosstalk(n) ** 2
    best, best_err = np.zeros_like(r2), np.sum(r2 ** 2, axis=1)  # all zero
    for k in range(1, n + 1):  # subsets of bands: 7 for three
        for sub in itertools.combinations(range(n), k):
            cols = list(sub)
            x = np.linalg.lstsq(m2[:, cols], r2.T, rcond=None)[0].T  # (R, k)
            cand = np.zeros_like(r2)
            cand[:, cols] = x
            err = np.sum((cand @ m2.T - r2) ** 2, axis=1)
            ok = (x >= 0).all(axis=1) & (err < best_err - 1e-30)
            best[ok], best_err[ok] = cand[ok], err[ok]
    return np.sqrt(best).reshape(band_contrast.shape)


def energy_correlation_area(n_sigma: float = 1.0) -> float:
    """Correlation area of a band's local energy, in units of its peak period squared: for
    band-passed noise (transfer G, 2-D isotropic) the energy b^2 has covariance 2 sigma^4 rho^2,
    so a mean of it over an area A has the variance of A / A_c independent values, with
    A_c = int rho^2 d^2u = int G^4 d^2f / (int G^2 d^2f)^2 (Parseval). With G = e^(-a x) -
    e^(-b x), x = 2 pi^2 f^2 sigma^2 (f cycles/mm, d^2f = pi d(f^2)) both integrals are sums
    of exponential integrals."""
    al, be = 2.0 * math.pi ** 2 * _A, 2.0 * math.pi ** 2 * _B  # per (f sigma)^2
    g2 = math.pi * (1 / (2 * al) - 2 / (al + be) + 1 / (2 * be))
    g4 = math.pi * sum(math.comb(4, j) * (-1) ** j / ((4 - j) * al + j * be) for j in range(5))
    return g4 / g2 ** 2 / PEAK_PERIOD_PER_SIGMA ** 2


# A band's energy is judged over blocks one band period across (cubes nested in the region's
# cube: 8, 4, 2 to a side for the three bands); the correlation area of its energy, in units
# of the band's period squared, corrects the spread between neighbouring blocks
ENERGY_CORRELATION_AREA = energy_correlation_area()
# Degrees of freedom given to what random paint of a band would show over the region (the
# Gaussian field's 2 A_c / A) when the blocks' own spread is pooled with it: one, as one more
# block, so a region of one block is judged by that alone and a region of many by its own.
PRIOR_DOF = 1.0
# Two-sided confidence of the spread of a band's mean energy over a region (Student's t over
# its blocks): the ~2 sigma the family's other intervals use.
SPREAD_CONFIDENCE = 0.95
# What the discrete cascade's band k reads of a sinusoid of Michelson contrast 1 at period
# q p_k (q from 0.27 to 3.7, log-spaced by 2^(1/4)), measured on procedural stripes: vertex-
# coloured sheets at random 3-D poses, isotropic, jittered and 4:1 sliver grids of 6-14
# vertices a period, at 250-600 mm (the median over 1,380 interior regions of bands 1 and 2,
# which agree within ~10 %; band 0 agrees for q >= 0.9). The analytic G (ONE_SINUSOID uses it
# outside this range) assumes each cluster adds a box blur c^2 / 12; the clusters of a 3-D grid
# cut by a surface blur less, so a band reads detail finer than its peak up to 1.5x more than
# G says (q = 0.5), and as much as G beyond q = 3: docs/colour.md, the intervals.
CASCADE_Q = 2.0 ** (np.arange(16) / 4.0 - 1.875)
CASCADE_READ = np.array([0.037, 0.054, 0.131, 0.369, 0.573, 0.869, 1.090, 1.091, 1.043, 0.866,
                         0.716, 0.551, 0.445, 0.316, 0.254, 0.196])
# Periods the one-sinusoid reading of a region's bands is sought over (log-spaced, in units
# of the finest band's peak period): from half an octave under the finest band to an octave
# over the coarsest (the region, 16 r, holds two periods of 8 r, one of 16 r).
FIT_PERIODS = np.geomspace(2.0 ** -0.5, 2.0 ** N_BANDS, 97)
KERNEL_REACH = 2.5  # Gaussians cut at 2.5 sigma: 4 % of a 2-D Gaussian's weight lies beyond
# Neighbours asked for: the points a plane holds within the reach, at one point per cell^2,
# times this margin (a curved or folded surface packs more into the ball), at most the cap.
KERNEL_MARGIN = 1.5
KERNEL_MAX_NEIGHBOURS = 96
# Weber's law fails in the dark: a local mean below this luminance (1 %, darker than any
# matte black paint, ~4 %) is held at it, so noise in a black area is no infinite contrast.
DARK_FLOOR_Y = 0.01
# A region is a cube of this many coarsest-band periods: two periods at least, so the RMS over
# it sees whole cycles of every band.
REGION_PERIODS = 2.0
# A region counts when its surface fills at least this share of a face of its cube: slivers
# at a cube's corner hold too few samples to say anything.
MIN_REGION_FILL = 0.25
# Michelson contrast of a sinusoid from the RMS of its band: RMS = PEAK_GAIN C / sqrt(2).
RMS_TO_MICHELSON = math.sqrt(2.0) / PEAK_GAIN
# Contrasts below this are the rounding of the weighted means (a flat tone reads 1e-16), not
# colour: they are reported as 0.
NUMERIC_ZERO = 1e-9
HARSH_PERCENTILE = 2.0  # the eye-resolved range of a region from its 2nd to 98th percentile
# Points drawn per level-0 cell of surface (stratified rounding) when the vertices are sparse;
# the cap bounds memory (about 50 bytes a point) on a very large coloured area.
SAMPLES_PER_CELL = 1.0
# Vertices up to this many level-0 cells apart (2.8 sigma_0) are used as they are: the eye's
# finest blur is then applied a little short on the sparsest of them (conservative for MS701:
# band 0 reads high), and sampling the faces of a dense sculpt would cost more than it adds.
SPARSE_EDGE_CELLS = 2.0
MAX_SAMPLES = 6_000_000
# Faces whose normals turn by more than this across an edge belong to different surfaces
# (a corner, not a curve): neither the band-pass nor a region mixes them. At 60 degrees, seen
# face-on one of them is foreshortened by at least half (cos 60) in the other's view: the eye
# reads two surfaces, each with its own light, not one pattern across the corner. A curved
# surface (a cloak, a scan) turns by a few degrees between faces and stays one surface.
CORNER_RAD = math.radians(60.0)
SAMPLE_SALT = 7  # analysis.rng salt of the colour family's surface samples


def band_periods_mm(resolvable_mm: float) -> np.ndarray:
    """Peak period of each band: 2 r, 4 r, 8 r (mm)."""
    return 2.0 * resolvable_mm * 2.0 ** np.arange(N_BANDS)


def region_size_mm(resolvable_mm: float) -> float:
    return REGION_PERIODS * float(band_periods_mm(resolvable_mm)[-1])


# --- samples on grids ------------------------------------------------------------------------

@dataclass(frozen=True)
class Cloud:
    """Area-weighted cluster points: position, weight (mm^2), mean luminance and the surface
    (face_surfaces) they lie on."""

    pos: np.ndarray
    w: np.ndarray
    y: np.ndarray
    surface: np.ndarray


def face_surfaces(analysis) -> np.ndarray:
    """(m,) surface id of every face: faces joined across edges whose normals turn by at most
    CORNER_RAD (connected components of the face graph, corners cut). Cached per model."""
    def make(a):
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        m = len(a.model.faces)
        _, pairs = a.edge_faces
        n = a.face_normals
        cos = np.einsum("ij,ij->i", n[pairs[:, 0]], n[pairs[:, 1]])
        keep = ~(cos < math.cos(CORNER_RAD))  # a degenerate face (NaN) joins its neighbours
        if keep.all():  # no corner: a surface is a body (shared with the other families)
            return np.asarray(a.body_labels, np.int64)
        s, t = pairs[keep, 0], pairs[keep, 1]
        lab = connected_components(coo_matrix((np.ones(len(s)), (s, t)), shape=(m, m)),
                                   directed=False)[1].astype(np.int64)
        # a face joined to no neighbour (an unwelded export: every face its own; a spike's
        # tip) is no surface of its own: such faces share one, mixed by 3-D distance as before
        alone = np.bincount(np.concatenate([s, t]), minlength=m) == 0
        lab[alone] = lab.max() + 1 if len(lab) else 0
        return lab

    return analysis.cached("colour:surfaces", make)


def cluster(pos: np.ndarray, w: np.ndarray, y: np.ndarray, cell_mm: float,
            origin: np.ndarray, surface: np.ndarray) -> tuple[Cloud, np.ndarray]:
    """Points merged per grid cell and surface (weighted means), and each point's cluster."""
    from . import unique_inverse

    # clamped: a point a rounding error below the origin (an interpolated sample) would
    # otherwise wrap into another cell's key
    ijk = np.maximum(np.floor((pos - origin) / cell_mm).astype(np.int64), 0)
    dims = ijk.max(axis=0) + 1
    keys = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
    _, inv, _ = unique_inverse(keys)
    if len(inv) and surface.max() > surface.min():  # cells holding two surfaces: split
        _, inv, _ = unique_inverse(inv * (int(surface.max()) + 1) + surface)
    n = int(inv.max()) + 1 if len(inv) else 0
    ws = np.bincount(inv, weights=w, minlength=n)
    safe = np.where(ws > 0, ws, 1.0)
    p = np.stack([np.bincount(inv, weights=w * pos[:, j], minlength=n) for j in range(3)], 1)
    surf = np.zeros(n, np.int64)
    surf[inv] = surface
    return Cloud(p / safe[:, None], ws, np.bincount(inv, weights=w * y, minlength=n) / safe,
                 surf), inv


def smooth(src: Cloud, dst_pos: np.ndarray, sigma_mm: float, cell_mm: float,
           dst_surface: np.ndarray) -> np.ndarray:
    """Gaussian-weighted mean luminance of `src` (points about `cell_mm` apart) on the same
    surface around each destination point."""
    from scipy.spatial import cKDTree

    tree = cKDTree(src.pos)
    want = KERNEL_MARGIN * math.pi * (KERNEL_REACH * sigma_mm / cell_mm) ** 2
    k = int(min(max(math.ceil(want), 8), KERNEL_MAX_NEIGHBOURS, len(src.pos)))
    d, i = tree.query(dst_pos, k=k, distance_upper_bound=KERNEL_REACH * sigma_mm)
    d, i = d.reshape(len(dst_pos), k), i.reshape(len(dst_pos), k)
    # a missing neighbour comes back at distance inf and index n: weight exp(-inf) * 0 = 0
    w = np.append(src.w, 0.0)[i]
    w *= np.exp(-0.5 * (d * (1.0 / sigma_mm)) ** 2)
    if len(src.surface) and src.surface.min() < src.surface.max():  # more than one surface
        w *= np.append(src.surface, -1)[i] == dst_surface[:, None]
    wsum = w.sum(axis=1)
    num = np.einsum("ij,ij->i", w, np.append(src.y, 0.0)[i])
    return np.divide(num, wsum, out=np.zeros(len(dst_pos)), where=wsum > 0)


# --- the field -------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ColourField:
    """Per-region colour measurements of one model under one viewing distance.

    Region arrays are indexed by region id; `face_region` maps every face to its region (-1
    uncoloured or in a region too thin to count)."""

    resolvable_mm: float
    periods_mm: np.ndarray  # (K,) band peak periods
    region_mm: float  # cube side
    centroid: np.ndarray  # (R, 3) area-weighted
    area: np.ndarray  # (R,) mm^2 of coloured surface
    cell: np.ndarray  # (R, 3) int cube index (adjacency)
    band_contrast: np.ndarray  # (R, K) Michelson of the sinusoid giving the band's RMS
    fine_contrast: np.ndarray  # (R,) Michelson-equivalent RMS of all detail finer than a region
    # (R,) the same of the detail coarser than the band ladder (the lowpass S_K's variation
    # inside the region): bounds what the bands cannot see
    coarse_contrast: np.ndarray
    y_lo: np.ndarray  # (R,) eye-resolved luminance, 2nd percentile
    y_hi: np.ndarray  # (R,) 98th percentile
    y_min: np.ndarray  # (R,) minimum
    y_max: np.ndarray  # (R,) maximum
    y_mean: np.ndarray  # (R,)
    samples: np.ndarray  # (R,) level-0 points in the region
    face_region: np.ndarray = field(repr=False)  # (m,) int
    spacing_mm: float = 0.0  # median edge length: how finely the colour is sampled
    coloured_share: float = 1.0  # share of the surface area that carries colour
    # (R, K) the bands' readings before unmixing (Michelson of the sinusoid at each band's peak
    # that gives its RMS): what a one-sinusoid reading is fitted to
    band_raw: np.ndarray | None = field(default=None, repr=False)
    # (R, K) relative half-width (95 %) of each band's mean energy over the region, from its
    # spread between blocks one band period across (energy_spread)
    band_spread: np.ndarray | None = field(default=None, repr=False)
    surface: np.ndarray | None = field(default=None, repr=False)  # (R,) face_surfaces id
    blocks: tuple = field(default=(), repr=False)  # (K,) Blocks: what unions are read from

    @property
    def counted(self) -> np.ndarray:
        """Regions holding enough surface to judge (MIN_REGION_FILL of a cube face)."""
        return self.area >= MIN_REGION_FILL * self.region_mm ** 2


def vertex_areas(analysis) -> np.ndarray:
    f = analysis.model.faces.ravel()
    return np.bincount(f, weights=np.repeat(analysis.face_areas / 3.0, 3),
                       minlength=analysis.model.n_vertices)


def colour_field(analysis, resolvable_mm: float) -> ColourField | None:
    """The model's colour field at this resolvable size; None without colour."""
    model = analysis.model
    rgb = model.vertex_rgb
    if rgb is None:
        return None
    has = np.isfinite(rgb).all(axis=1)
    w_all = vertex_areas(analysis)
    if not has.any() or w_all[has].sum() <= 0:
        return None
    origin = model.vertices.min(axis=0)
    periods = band_periods_mm(resolvable_mm)
    sigmas = np.append(periods, 2.0 * periods[-1]) / PEAK_PERIOD_PER_SIGMA  # K + 1 lowpasses
    c0 = CELL_PER_SIGMA * float(sigmas[0])
    pos, w, y, surf = _samples(analysis, has, c0)
    lvl0, _ = cluster(pos, w, y, c0, origin, surf)
    _, pairs, ups, eye = _pyramid(lvl0, sigmas, origin)
    band = [(s_k - s_next) / np.maximum(s_next, DARK_FLOOR_Y) for s_k, s_next in pairs]
    low = pairs[-1][1]
    for up in reversed(ups):  # the coarsest lowpass carried down to the level-0 points
        low = low[up]
    fine = (lvl0.y - low) / np.maximum(low, DARK_FLOOR_Y)
    return _regions(analysis, resolvable_mm, periods, lvl0, ups, band, fine, eye, low, origin,
                    has, float(w_all[has].sum() / w_all.sum()))


def _vertex_samples(analysis, has: np.ndarray, dense: np.ndarray):
    """The coloured vertices of the `dense` faces as samples (a third of those faces' area
    each); a vertex on a corner between surfaces becomes one sample per face corner, each on
    its face's surface."""
    model = analysis.model
    every = face_surfaces(analysis)
    if dense.all() and every.min() == every.max():  # one surface, every face dense
        yv = luminance(model.vertex_rgb[has])
        return model.vertices[has], vertex_areas(analysis)[has], yv, np.zeros(len(yv), np.int64)
    surf = every[dense]
    corners = model.faces[dense].ravel()
    csurf = np.repeat(surf, 3)
    carea = np.repeat(analysis.face_areas[dense] / 3.0, 3)
    nv = model.n_vertices
    cnt = np.bincount(corners, minlength=nv)
    s1 = np.bincount(corners, weights=csurf.astype(np.float64), minlength=nv)
    s2 = np.bincount(corners, weights=csurf.astype(np.float64) ** 2, minlength=nv)
    one = s2 * cnt == s1 * s1  # every face of the vertex on one surface (exact: integers)
    vsurf = (s1 / np.maximum(cnt, 1)).astype(np.int64)
    yv = np.zeros(nv)
    yv[has] = luminance(model.vertex_rgb[has])
    single = has & one & (cnt > 0)
    split = has[corners] & ~one[corners]
    w = np.bincount(corners, weights=carea, minlength=nv)
    return (np.concatenate([model.vertices[single], model.vertices[corners[split]]]),
            np.concatenate([w[single], carea[split]]),
            np.concatenate([yv[single], yv[corners[split]]]),
            np.concatenate([vsurf[single], csurf[split]]))


def _face_samples(analysis, ok: np.ndarray, cell_mm: float, shortest: np.ndarray,
                  salt: int = SAMPLE_SALT):
    """Points drawn on the faces `ok` (SAMPLES_PER_CELL per cell, or per square of half the
    face's shortest edge on a face larger than that), their colour interpolated from the
    corners as a renderer shades vertex colours: (positions, area weights, luminance, surface,
    the face each was drawn on as an index into the `ok` faces)."""
    model = analysis.model
    faces, area = model.faces[ok], analysis.face_areas[ok]
    rng = analysis.rng(salt)
    # interpolated vertex colour holds no period under two vertex spacings: half the face's
    # shortest edge between samples represents it (Nyquist), never finer than the cell. The
    # shortest, not the longest: across a sliver (a side wall drawn as faces from the top rim
    # to the bottom one) the colour changes from one rim vertex to the next, an edge of it
    # apart; half its long edge left one sample a face, alone on its surface
    step = np.maximum(cell_mm, shortest[ok] / 2.0)
    want = area / step ** 2 * SAMPLES_PER_CELL
    scale = min(1.0, MAX_SAMPLES / max(float(want.sum()), 1.0))
    n = np.maximum(np.floor(want * scale + rng.random(len(area))).astype(np.int64), 1)
    fid = np.repeat(np.arange(len(faces)), n)
    r = rng.random((len(fid), 2))
    flip = r.sum(axis=1) > 1.0
    r[flip] = 1.0 - r[flip]
    bary = np.column_stack([1.0 - r.sum(axis=1), r])
    corners = faces[fid]
    pos = np.einsum("nk,nkj->nj", bary, model.vertices[corners])
    col = np.einsum("nk,nkj->nj", bary, model.vertex_rgb[corners].astype(np.float64))
    return pos, area[fid] / n[fid], luminance(col), face_surfaces(analysis)[ok][fid], fid


def _samples(analysis, has: np.ndarray, cell_mm: float):
    """(positions, area weights, luminance, surface) of the colour field: the coloured
    vertices of the faces whose two shorter edges are within SPARSE_EDGE_CELLS level-0 cells, and
    points drawn on the larger coloured faces (sparse vertices alone would skip the eye's
    blur: a black and white checker of vertices 0.1 mm apart would read harsh at 500 mm,
    where the eye sees grey; and a sliver's area would sit at its far corners)."""
    model = analysis.model
    el = np.sort(analysis.edge_lengths[analysis.face_edges], axis=1)
    # a face's vertices are "within two cells" when its two shorter edges are (the diagonal
    # of a square grid's triangle is no spacing of the grid; a sliver's long edges are)
    dense = el[:, 1] <= SPARSE_EDGE_CELLS * cell_mm
    sparse = ~dense & has[model.faces].all(axis=1)
    parts = []
    if dense.any():
        parts.append(_vertex_samples(analysis, has, dense))
    if sparse.any():
        parts.append(_face_samples(analysis, sparse, cell_mm, el[:, 0]))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


def _pyramid(lvl0: Cloud, sigmas: np.ndarray, origin: np.ndarray):
    """The scale-space cascade (Burt & Adelson 1983, on a surface): level k+1's points are
    level k's clustered DECIMATE_PER_SIGMA sigma_k apart, carrying the lowpass S_k (smooth at
    sigma_k, then box-averaged by the cluster); S_k+1 adds the missing blur. Returns, per
    band k = 0..K-1, the points where band k is read (level k+1's), S_k and S_k+1 there; each
    level's map to the next; and S_0 at the level-0 points (the eye-resolved luminance)."""
    cur, c0 = lvl0, CELL_PER_SIGMA * float(sigmas[0])
    # a cluster mean over a cell c is a box blur of variance c^2 / 12: each Gaussian adds only
    # what is missing to reach its sigma
    s_cur = smooth(cur, cur.pos, math.sqrt(float(sigmas[0]) ** 2 - c0 ** 2 / 12.0), c0,
                   cur.surface)
    levels, pairs, ups = [], [], []
    eye = s_cur
    for k in range(N_BANDS):
        cell = DECIMATE_PER_SIGMA * float(sigmas[k])
        nxt, up = cluster(cur.pos, cur.w, s_cur, cell, origin, cur.surface)
        carried = float(sigmas[k]) ** 2 + cell ** 2 / 12.0
        extra = math.sqrt(float(sigmas[k + 1]) ** 2 - carried)
        s_next = smooth(nxt, nxt.pos, extra, cell, nxt.surface)
        levels.append(nxt)
        pairs.append((nxt.y, s_next))
        ups.append(up)
        cur, s_cur = Cloud(nxt.pos, nxt.w, s_next, nxt.surface), s_next
    return levels, pairs, ups, eye


def _region_of(pos: np.ndarray, origin: np.ndarray, size: float) -> np.ndarray:
    return np.maximum(np.floor((pos - origin) / size).astype(np.int64), 0)


def _regions(analysis, r, periods, lvl0, ups, band, fine, eye, low, origin, has,
             share) -> ColourField:
    """Per-region statistics of every band, of the fine contrast and of the eye's luminance,
    over the level-0 points (a band's value is its level's point's, `ups` map levels)."""
    size = REGION_PERIODS * float(periods[-1])
    cells0 = np.column_stack([_region_of(lvl0.pos, origin, size), lvl0.surface])
    keys, rid0 = np.unique(cells0, axis=0, return_inverse=True)  # a region: a cube's surface
    rid0 = rid0.reshape(-1)
    cells = keys[:, :3]
    R = len(cells)
    area = np.bincount(rid0, weights=lvl0.w, minlength=R)
    wsum = np.where(area > 0, area, 1.0)
    cen = np.stack([np.bincount(rid0, weights=lvl0.w * lvl0.pos[:, j], minlength=R)
                    for j in range(3)], 1) / wsum[:, None]
    bc = np.zeros((R, N_BANDS))
    spread = np.zeros((R, N_BANDS))
    blocks = []
    for k in range(N_BANDS):  # band k, read at level k+1, carried down to the level-0 points
        b = band[k]
        for up in reversed(ups[:k + 1]):
            b = b[up]
        num = np.bincount(rid0, weights=lvl0.w * b ** 2, minlength=R)
        bc[:, k] = RMS_TO_MICHELSON * np.sqrt(num / wsum)
        blocks.append(band_blocks(lvl0, b ** 2, rid0, cells, origin, size, float(periods[k])))
        spread[:, k] = energy_spread(blocks[-1], np.arange(R), area)
    raw = bc.copy()
    raw[raw < NUMERIC_ZERO] = 0.0
    bc = unmix(bc)
    fc = math.sqrt(2.0) * np.sqrt(np.bincount(rid0, weights=lvl0.w * fine ** 2, minlength=R)
                                  / wsum)
    fc[fc < NUMERIC_ZERO] = 0.0
    low_mean = np.bincount(rid0, weights=lvl0.w * low, minlength=R) / wsum
    dev = (low - low_mean[rid0]) / np.maximum(low_mean[rid0], DARK_FLOOR_Y)
    coarse = math.sqrt(2.0) * np.sqrt(np.bincount(rid0, weights=lvl0.w * dev ** 2,
                                                  minlength=R) / wsum)
    bc[bc < NUMERIC_ZERO] = 0.0
    y_mean = np.bincount(rid0, weights=lvl0.w * eye, minlength=R) / wsum
    ylo, yhi, ymin, ymax = _percentiles(rid0, eye, R)
    faces = analysis.model.faces
    fcell = np.column_stack([_region_of(analysis.face_centroids, origin, size),
                             face_surfaces(analysis)])
    face_region = _lookup(keys, fcell)
    face_region[~has[faces].all(axis=1)] = -1
    keep = area >= MIN_REGION_FILL * size ** 2
    face_region[(face_region >= 0) & ~keep[np.maximum(face_region, 0)]] = -1
    return ColourField(r, periods, size, cen, area, cells, bc, fc, coarse, ylo, yhi, ymin, ymax,
                       y_mean, np.bincount(rid0, minlength=R), face_region,
                       float(np.median(analysis.edge_lengths)), share, raw, spread,
                       keys[:, 3], tuple(blocks))


@dataclass(frozen=True)
class Blocks:
    """A band's blocks (cubes one band period across, nested in the region cubes): the region
    each lies in, its area (mm^2) and its area-weighted mean energy. What a region's (or a
    union of regions') mean energy and its spread are read from."""

    region: np.ndarray  # (B,) int
    w: np.ndarray  # (B,)
    energy: np.ndarray  # (B,)
    period_mm: float


def band_blocks(lvl0: Cloud, energy: np.ndarray, rid0: np.ndarray, cells: np.ndarray,
                origin: np.ndarray, size: float, period: float) -> Blocks:
    """A band's `energy` at the level-0 points summed into blocks one `period` across, nested
    in each point's region cube."""
    from . import unique_inverse

    m = int(round(size / period))  # blocks to a region's side
    sub = np.floor((lvl0.pos - origin) / period).astype(np.int64) - cells[rid0] * m
    sub = np.clip(sub, 0, m - 1)  # a rounding at a cube's face stays in its own region
    key = rid0 * m ** 3 + (sub[:, 0] * m + sub[:, 1]) * m + sub[:, 2]
    blocks, inv, _ = unique_inverse(key)
    wb = np.bincount(inv, weights=lvl0.w, minlength=len(blocks))
    eb = np.bincount(inv, weights=lvl0.w * energy, minlength=len(blocks)) \
        / np.maximum(wb, 1e-300)
    return Blocks(blocks // m ** 3, wb, eb, period)


def energy_spread(b: Blocks, group: np.ndarray, area: np.ndarray) -> np.ndarray:
    """(G,) relative half-width (SPREAD_CONFIDENCE) of a band's mean energy over each group of
    regions (`group`: (R,) group of each region, -1 none; `area`: (G,) mm^2 of each group),
    from how it varies between the group's blocks: the blocks' area-weighted means E_b, their
    spread var about the group's mean, n = (sum W)^2 / sum W^2 blocks; the mean's relative
    variance var / (n - 1) times (1 + n A_c / A) (neighbouring blocks share the energy's
    correlation area A_c), pooled with random paint's 2 A_c / A as PRIOR_DOF degrees of
    freedom, times Student's t. A sinusoid's energy is the same in every block: a narrow
    interval however few periods the group holds; random paint's varies as its independent
    samples say. A region is a group of one; a union of regions reading one pattern pools
    their blocks (checks.colour)."""
    from scipy.special import stdtrit

    G = len(area)
    gb = group[b.region]
    keep = gb >= 0
    gb, wb, eb = gb[keep], b.w[keep], b.energy[keep]
    wr = np.bincount(gb, weights=wb, minlength=G)
    safe = np.maximum(wr, 1e-300)
    mean = np.bincount(gb, weights=wb * eb, minlength=G) / safe
    var = np.bincount(gb, weights=wb * (eb - mean[gb]) ** 2, minlength=G) / safe
    n = wr ** 2 / np.maximum(np.bincount(gb, weights=wb ** 2, minlength=G), 1e-300)
    dof = np.maximum(n - 1.0, 0.0)
    a_c = ENERGY_CORRELATION_AREA * b.period_mm ** 2
    a = np.maximum(area, 1e-300)
    # the mean's relative variance seen between blocks, pooled with what random paint of this
    # band would give over the area (2 A_c / A: a Gaussian field's energy) counted as
    # PRIOR_DOF degrees of freedom: a group of one or two blocks is judged by that, one of many
    # by what it shows
    obs = np.divide(var, mean ** 2, out=np.zeros(G), where=mean > 0) / np.maximum(dof, 1e-9) \
        * (1.0 + n * a_c / a)
    pooled = (PRIOR_DOF * 2.0 * a_c / a + dof * obs) / (PRIOR_DOF + dof)
    t = stdtrit(PRIOR_DOF + dof, 0.5 + SPREAD_CONFIDENCE / 2.0)
    return np.where(mean > 0, t * np.sqrt(pooled), 0.0)


def _lookup(cells: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Row of `cells` (unique rows of integers) equal to each query row; -1 none."""
    lo = cells.min(axis=0) if len(cells) else np.zeros(cells.shape[1], np.int64)
    q = query - lo
    dims = np.maximum(cells.max(axis=0) - lo + 1, q.max(axis=0) + 1) if len(cells) else q.max(0) + 1
    inside = (q >= 0).all(axis=1)

    def key(a):
        out = a[:, 0].copy()
        for j in range(1, a.shape[1]):  # 3 or 4 columns
            out = out * dims[j] + a[:, j]
        return out

    ck = key(cells - lo)
    order = np.argsort(ck)
    qk = key(np.where(inside[:, None], q, 0))
    at = np.clip(np.searchsorted(ck[order], qk), 0, len(ck) - 1)
    hit = inside & (ck[order][at] == qk)
    return np.where(hit, order[at], -1)


def _percentiles(rid: np.ndarray, y: np.ndarray, R: int):
    """Per-region 2nd/98th percentiles, min and max of y (one sort, no loop over regions)."""
    order = np.lexsort((y, rid))
    ys, rs = y[order], rid[order]
    start = np.searchsorted(rs, np.arange(R))
    count = np.bincount(rid, minlength=R)
    last = start + np.maximum(count - 1, 0)

    def at(q):
        return ys[start + np.floor(q / 100.0 * (count - 1)).astype(np.int64)]

    return at(HARSH_PERCENTILE), at(100.0 - HARSH_PERCENTILE), ys[start], ys[last]


def cascade_reading(q: np.ndarray) -> np.ndarray:
    """A band's reading of a sinusoid of contrast 1 at q times its peak period: the measured
    CASCADE_READ inside its range (interpolated in log q), the analytic G outside."""
    q = np.asarray(q, float)
    x = _X_PEAK / q ** 2  # in sigma_k^2: x = 2 pi^2 sigma_k^2 / p^2, x* at q = 1
    g = (np.exp(-_A * x) - np.exp(-_B * x)) / PEAK_GAIN
    lq, lt = np.log(q), np.log(CASCADE_Q)
    inside = (lq >= lt[0]) & (lq <= lt[-1])
    return np.where(inside, np.interp(lq, lt, CASCADE_READ), g)


def one_sinusoid(raw: np.ndarray, periods_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(contrast (R,), period mm (R,)) of the one sinusoid whose band readings best match the
    regions' `raw` readings (R, K) (least squares over FIT_PERIODS; the gains are the
    cascade's own, cascade_reading). Exact for a single pattern: the bands' ratios place it
    between their peaks, where the unmixed best band reads its visibility 0.67-1.2 times
    (docs/colour.md, the intervals)."""
    grid = FIT_PERIODS * float(periods_mm[0])
    g = cascade_reading(grid[:, None] / np.asarray(periods_mm)[None, :])  # (P, K)
    proj = raw @ g.T  # (R, P): R . g_p
    norm = np.einsum("pk,pk->p", g, g)
    best = np.argmax(proj ** 2 / norm[None, :], axis=1)
    return proj[np.arange(len(raw)), best] / norm[best], grid[best]


def visibility(field: ColourField, distance_mm: float) -> np.ndarray:
    """(R, K) band contrast times S(f) of the band's peak frequency: threshold multiples."""
    from .. import vision

    s = np.array([vision.contrast_sensitivity(vision.cycles_per_degree(float(p), distance_mm))
                  for p in field.periods_mm])
    return field.band_contrast * s[None, :]


def for_analysis(analysis, resolvable_mm: float) -> ColourField | None:
    return analysis.cached(f"colour:{float(resolvable_mm)!r}",
                           lambda a: colour_field(a, resolvable_mm))
