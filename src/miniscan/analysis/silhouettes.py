"""Silhouettes and the squint test (MS4xx kernel): view set, ray-cast coverage, blur, parts.

Method (docs/silhouette.md has the derivation and the numbers):

1. Cast the *reference* silhouette of every view once (raster.Raster.coverage: rays, no GL):
   an orthographic camera on a square grid of N x N pixels that frames the figure's bounding
   sphere, 2 x 2 samples a pixel. N depends only on how many eye pixels the figure spans (so
   it is invariant under the dimensional scaling of DESIGN.md section 5): one working pixel
   per resolvable size, at least N_MIN and at most N_MAX. A detected base is left out.
2. The eye is a Gaussian point spread: the *fine* silhouette is the coverage blurred with a
   full width at half maximum (FWHM) of one resolvable size and thresholded at 0.5; the
   *glance* silhouette uses the glance resolution (DESIGN.md section 7, the squint). Both
   live on the working grid, so they compare pixel for pixel.
3. `ref & ~glance` is what a glance loses (protrusions, corners); `glance & ~ref` is what it
   fills (gaps, notches). Connected parts of these, big enough to matter, are MS401/MS402;
   their widths are equivalent-bar widths read from the blur (sub-pixel).
4. A readability score per view, and the same score with the glance blur one working pixel
   narrower and wider: the score's interval (what a pixel of the grid can move it by).

Everything that compares shapes is expressed in eye units (acuity pixels), so moving the
viewer back is exactly the same as shrinking the model under a fixed blur: a farther view
never reads better. No Python loops over pixels or faces: scipy.ndimage and FFTs do the work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import ndimage as ndi

# --- constants (lengths in working pixels unless named otherwise) ---------------------------
# Working pixels per resolvable size, and the grid's bounds in pixels across the frame: below
# N_MIN the outline of a small or distant figure would be drawn coarser than its thin parts
# need; above N_MAX a huge model (or wrong units) would cost without changing what a glance
# keeps (the result then says the glance was not resolved).
SUPERSAMPLE = 1.0
N_MIN = 256
N_MAX = 512
FRAME_MARGIN = 1.04  # the frame is the bounding sphere's diameter times this
FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
# An FFT blur whose padding would exceed this many image sides is done as a direct linear
# convolution instead (Blur): padding of one side costs what the image does; past a few, the
# FFT is many times larger than the image it blurs. Below it the FFT path is kept as it was.
DIRECT_BLUR_PAD = 4
# A bar of width w blurred by a Gaussian of this FWHM keeps a centre value >= 0.5 iff
# w >= BAR_SURVIVES * FWHM (erf(w / (2 sqrt 2 sigma)) = 1/2); the same holds for a gap.
BAR_SURVIVES = 2.0 * math.sqrt(2.0) * 0.4769362762044699 * FWHM_TO_SIGMA  # 0.5729
# The sculpt's outline length is read from the coverage smoothed over this many pixels: the
# 2 x 2 sampling's staircase is gone, any shape a pixel resolves is kept.
OUTLINE_SMOOTH_PX = 2.0
# Extremities are parts of the outline beyond the opening by a disc of this share of the
# silhouette's largest inscribed radius (a torso keeps its core; arms, legs, tails, spears
# stand out); a limb counts when it reaches at least that radius beyond the core. They are
# counted on a grid coarsened so the disc is about LIMB_GRID_PX pixels (a property of shapes
# this large, not of pixels).
LIMB_SHARE = 0.5
LIMB_GRID_PX = 8.0
# A lost part is a protrusion (MS401) when it reached at least this many glance widths
# beyond what the glance kept; a filled part is a gap (MS402) when it is at least this many
# glance widths long (area / widest width). Corner rounding stays below 0.33 glance widths;
# the dead end of a slot that stays open fills to about one glance width.
LOST_REACH = 1.0
GAP_LENGTH = 2.0
# Below this many working pixels per glance width the grid cannot resolve what a glance
# loses (a model far larger than the viewing distance, or wrong units): no MS401/MS402 then,
# and the reach/length tests never go below these pixel floors.
MIN_GLANCE_PX = 2.0
MIN_REACH_PX = 2.0
# A part's reach is read between pixel centres (the distance transform of the probe's
# outside): its tip lies anywhere within its last pixel and the probe's edge anywhere between
# its last pixel kept and the first lost, so the reach is known to a pixel. A part within that
# of LOST_REACH is not known to be a corner's rounding: it is a candidate, and its verdict
# rests on its measured width, as for the probe (checks/silhouette.py PROBE_MARGIN).
REACH_PIXEL_PX = 1.0
# The score's interval: the same score with the glance blur this many working pixels
# narrower and wider. One pixel is what the 2 x 2 sampling and the grid's phase can move an
# outline by (docs/silhouette.md measures it under sub-pixel shifts of the figure).
SCORE_BLUR_DELTA_PX = 1.0

_EIGHT = np.ones((3, 3), dtype=bool)
_FRONTS = {"-y": (0.0, -1.0, 0.0), "+y": (0.0, 1.0, 0.0), "-x": (-1.0, 0.0, 0.0),
           "+x": (1.0, 0.0, 0.0)}
AZIMUTHS = (("front", 0.0), ("front-left", 45.0), ("left", 90.0), ("back-left", 135.0),
            ("back", 180.0), ("back-right", 225.0), ("right", 270.0), ("front-right", 315.0))
ELEVATIONS = (("", 15.0), ("-above", 45.0))


# --- views and the common frame -------------------------------------------------------------

@dataclass(frozen=True)
class View:
    name: str
    azimuth_deg: float
    elevation_deg: float
    direction: tuple[float, float, float]  # unit, from the model towards the camera
    up: tuple[float, float, float]  # unit, image up

    @property
    def right(self) -> np.ndarray:
        return np.cross(-np.asarray(self.direction), np.asarray(self.up))


def view_set(front: str = "-y") -> tuple[View, ...]:
    """The 17 views: 8 azimuths at 15 deg and at 45 deg elevation, plus top.

    Names say where the camera stands relative to the model's own front (+z up): "left" looks
    at the model's left side (azimuth +90 deg, towards cross(z, front)), "front-left-above"
    is 45 deg up between front and left, "top" looks straight down with the front at the
    bottom of the frame.
    """
    f = np.asarray(_FRONTS.get(front, _FRONTS["-y"]))
    z = np.array([0.0, 0.0, 1.0])
    side = np.cross(z, f)
    out = []
    for suffix, el in ELEVATIONS:
        for name, az in AZIMUTHS:
            a, e = math.radians(az), math.radians(el)
            d = math.cos(e) * (math.cos(a) * f + math.sin(a) * side) + math.sin(e) * z
            d = d / np.linalg.norm(d)
            up = z - (z @ d) * d
            up = up / np.linalg.norm(up)
            out.append(View(name + suffix, az, el, tuple(map(float, d)), tuple(map(float, up))))
    out.append(View("top", 0.0, 90.0, (0.0, 0.0, 1.0), tuple(map(float, -f))))
    return tuple(out)


@dataclass(frozen=True)
class Grid:
    """The common frame of every view: centre, pixel size and size in pixels."""

    center: np.ndarray  # (3,) mm
    radius_mm: float  # bounding sphere about the centre
    n: int  # pixels across (square)
    pixel_mm: float

    def camera(self, view: View):
        """The orthographic raster.Camera of a view over this frame."""
        from ..raster import Camera

        return Camera(tuple(map(float, self.center)), view.direction, view.up, self.pixel_mm,
                      self.n, self.n, None, view.name)

    def project(self, view: View, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of the pixels that 3D points fall in (may lie outside the frame)."""
        return self.camera(view).project(points)


def make_grid(vertices: np.ndarray, resolvable_mm: float) -> Grid:
    """The frame around these vertices: N pixels of about one resolvable size each."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    c = (lo + hi) / 2.0
    r = max(float(np.sqrt(((vertices - c) ** 2).sum(axis=1).max())), 1e-9)
    eye_px = 2.0 * r * FRAME_MARGIN / resolvable_mm  # resolvable sizes across the frame
    n = int(min(N_MAX, max(N_MIN, math.ceil(SUPERSAMPLE * eye_px))))
    n += n % 2
    return Grid(c, r, n, 2.0 * r * FRAME_MARGIN / n)


def render_silhouettes(raster, views, grid: Grid, keep_above=None) -> np.ndarray:
    """(len(views), n, n) float32 pixel coverage in [0, 1]: the share of each pixel's 2 x 2
    samples whose ray hits the model (raster.Raster.coverage); keep_above = (axis, level)
    leaves out what lies below a level (the base)."""
    out = np.zeros((len(views), grid.n, grid.n), dtype=np.float32)
    for k, v in enumerate(views):
        out[k] = raster.coverage(grid.camera(v), keep_above=keep_above)
    return out


# --- image kernels -------------------------------------------------------------------------

class Blur:
    """Gaussian blurs of one image by FFT: the image's spectrum is computed once (zero padded
    for the widest blur asked for), each blur costs one inverse transform.

    A blur far wider than the image (a model much smaller than what the eye resolves: wrong
    units, or a part seen from across a room) would pad the FFT to many times the image (a
    14 um sphere asked for 52,488^2 samples, 20 GB): there the blur is the exact linear
    convolution as two small matrix products instead (rows x columns of Gaussian weights)."""

    def __init__(self, image: np.ndarray, max_fwhm_px: float):
        self.shape = image.shape
        pad = int(math.ceil(4.0 * max_fwhm_px * FWHM_TO_SIGMA)) + 1
        self.image = None
        if pad > DIRECT_BLUR_PAD * max(image.shape):
            self.image = image.astype(np.float64)
            return
        self.fshape = [sfft.next_fast_len(s + 2 * pad, real=True) for s in image.shape]
        self.spec = sfft.rfft2(image.astype(np.float64), s=self.fshape)

    def __call__(self, fwhm_px: float) -> np.ndarray:
        if self.image is not None:
            g = [_gauss_matrix(n, fwhm_px * FWHM_TO_SIGMA) for n in self.shape]
            return g[0] @ self.image @ g[1].T
        spec = ndi.fourier_gaussian(self.spec, fwhm_px * FWHM_TO_SIGMA, n=self.fshape[1])
        return sfft.irfft2(spec, s=self.fshape)[: self.shape[0], : self.shape[1]]


def _gauss_matrix(n: int, sigma: float) -> np.ndarray:
    """(n, n) weights of a unit-mass 1D Gaussian between the pixels of a line of n."""
    if sigma <= 0:
        return np.eye(n)
    # one weight per offset i - j in [-(n - 1), n - 1], gathered into the matrix: the same
    # numbers as evaluating every entry, 2n - 1 exponentials instead of n^2
    d = np.arange(-(n - 1), n)
    k = np.exp(-0.5 * (d / sigma) ** 2) / (math.sqrt(2.0 * math.pi) * sigma)
    i = np.arange(n)
    return k[(n - 1) + i[:, None] - i[None, :]]


def gaussian_blur(mask: np.ndarray, fwhm_px: float) -> np.ndarray:
    """Gaussian blur of an image by FFT (cost independent of the width), zero padded."""
    return Blur(mask, fwhm_px)(fwhm_px)


def squint(mask: np.ndarray, fwhm_px: float) -> np.ndarray:
    """DESIGN.md section 7: blur with a Gaussian of this FWHM, threshold at one half."""
    if fwhm_px <= 0:
        return mask.copy()
    return gaussian_blur(mask, fwhm_px) >= 0.5


def contour_length(field: np.ndarray, level: float = 0.5) -> float:
    """Length (pixels) of the level set of a smooth image: marching squares with linear
    interpolation along cell edges, vectorised over the cells the contour crosses (found
    with boolean corner tests, their corners read by flat index, each segment's two edges
    picked without a sort: the same numbers, in the same order, as the per-cell sums of
    crossing points did)."""
    f = np.pad(np.asarray(field, dtype=np.float64), 1)
    inside = f >= level
    tl, tr, bl, br = inside[:-1, :-1], inside[:-1, 1:], inside[1:, :-1], inside[1:, 1:]
    r, c = np.nonzero((tl | tr | br | bl) & ~(tl & tr & br & bl))
    if len(r) == 0:
        return 0.0
    w = f.shape[1]
    flat, at = f.ravel(), r * w + c
    a, b, cc, d = flat[at], flat[at + 1], flat[at + w + 1], flat[at + w]  # tl, tr, br, bl
    ia, ib, ic, id_ = a >= level, b >= level, cc >= level, d >= level

    def t(p, q):
        den = q - p
        return np.where(den != 0, (level - p) / np.where(den != 0, den, 1.0), 0.5)

    zero, one = np.zeros_like(a), np.ones_like(a)
    # the crossing point on each edge: top, right, bottom, left
    xs = np.stack([t(a, b), one, t(d, cc), zero], axis=1)
    ys = np.stack([zero, t(b, cc), one, t(a, d)], axis=1)
    has = np.stack([ia != ib, ib != ic, id_ != ic, ia != id_], axis=1)
    n = has.sum(axis=1)
    two = np.flatnonzero(n == 2)
    h2 = has[two]
    e0 = np.argmax(h2, axis=1)  # the first crossed edge, then the last (the other one)
    e1 = 3 - np.argmax(h2[:, ::-1], axis=1)
    dx = xs[two, e1] - xs[two, e0]
    dy = ys[two, e1] - ys[two, e0]
    total = float(np.sqrt(dx * dx + dy * dy).sum())  # np.linalg.norm's own sum of squares
    four = n == 4  # saddle: both pairings, averaged
    if four.any():
        q = np.stack([xs[four], ys[four]], axis=-1)  # (k, 4 edges, 2)
        l1 = np.linalg.norm(q[:, 0] - q[:, 3], axis=1) + np.linalg.norm(q[:, 1] - q[:, 2], axis=1)
        l2 = np.linalg.norm(q[:, 0] - q[:, 1], axis=1) + np.linalg.norm(q[:, 2] - q[:, 3], axis=1)
        total += float((0.5 * (l1 + l2)).sum())
    return total


def _boundary(mask: np.ndarray) -> np.ndarray:
    from ..raster import shrink4  # ndi.binary_erosion(mask, border_value=0), faster

    return mask & ~shrink4(mask)


def _disc(radius: float) -> np.ndarray:
    r = int(math.floor(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= radius * radius


def _near(mask: np.ndarray, tol_px: float) -> np.ndarray:
    """Pixels within tol_px of a set pixel (a disc dilation; an EDT for large discs)."""
    if tol_px < 1.0:
        return mask
    if tol_px <= 4.0:
        from ..raster import grow_by  # ndi.binary_dilation by the disc, faster

        return grow_by(mask, _disc(tol_px))
    return ndi.distance_transform_edt(~mask) <= tol_px


def boundary_f_score(a: np.ndarray, b: np.ndarray, tol_px: float, near_a=None) -> float:
    """F-score of outline pixels of a and b that lie within tol_px of the other's outline
    (near_a: the pixels near a's outline, when the caller has them)."""
    ba, bb = _boundary(a), _boundary(b)
    na, nb = int(ba.sum()), int(bb.sum())
    if na == 0 and nb == 0:
        return 1.0
    if na == 0 or nb == 0:
        return 0.0
    tol = max(tol_px, 1.0)  # one pixel is the grid's own uncertainty
    recall = float(_near(bb, tol)[ba].mean())
    near_a = _near(ba, tol) if near_a is None else near_a
    precision = float(near_a[bb].mean())
    return 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)


def closing(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Morphological closing by a disc: the opening of the background, on a frame padded so
    the disc can pass outside the image."""
    k = int(math.ceil(radius_px)) + 1
    return ~opening(~np.pad(mask, k), radius_px)[k:-k, k:-k]


def opening(mask: np.ndarray, radius_px: float, inside_edt: np.ndarray | None = None) -> np.ndarray:
    """Morphological opening by a disc, through Euclidean distance transforms (the mask's
    own EDT may be passed in when the caller has it)."""
    if radius_px <= 0:
        return mask.copy()
    edt = ndi.distance_transform_edt(mask) if inside_edt is None else inside_edt
    eroded = edt > radius_px
    if not eroded.any():
        return eroded
    return ndi.distance_transform_edt(~eroded) <= radius_px


def _per_label(fn, values, lab: np.ndarray, index) -> np.ndarray:
    """scipy.ndimage statistic per label, on the labelled pixels only (they are sparse)."""
    index = np.asarray(index)
    if index.size == 0:
        return np.zeros(0)
    sel = lab > 0
    v = values[sel] if np.ndim(values) else np.broadcast_to(values, lab.shape)[sel]
    return np.asarray(fn(v.astype(np.float64), lab[sel], index=index), dtype=np.float64)


def _block_any(mask: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return mask
    h, w = -(-mask.shape[0] // k) * k, -(-mask.shape[1] // k) * k
    m = np.zeros((h, w), dtype=bool)
    m[: mask.shape[0], : mask.shape[1]] = mask
    return m.reshape(h // k, k, w // k, k).any(axis=(1, 3))


def components(mask: np.ndarray):
    """8-connected labels and count."""
    return ndi.label(mask, structure=_EIGHT)


@dataclass(frozen=True)
class Limbs:
    """The limbs of one silhouette: parts outside its opening by a disc of radius_px that
    reach at least radius_px beyond it (a corner a disc cannot fill reaches only 0.41 of it).
    Computed once per silhouette on a grid coarsened by `k`; `kept` reads any other mask."""

    k: int
    radius: float  # in coarse pixels
    lab: np.ndarray  # labels of the parts outside the core (coarse grid)
    reach: np.ndarray  # distance to the core (coarse pixels)
    ids: np.ndarray  # labels that are limbs
    far: np.ndarray  # each limb's reach

    @property
    def count(self) -> int:
        return int(len(self.ids))

    def kept(self, other: np.ndarray) -> float:
        """Summed share of each limb's reach that `other` (same full grid) still covers: a
        spear that vanishes keeps ~0, a paw whose tip rounds off ~0.8."""
        if not len(self.ids):
            return 0.0
        g = _block_any(other, self.k)
        got = _per_label(ndi.maximum, np.where(g, self.reach, 0.0), self.lab, self.ids)
        return float(np.clip(got / self.far, 0.0, 1.0).sum())


def limbs(mask: np.ndarray, radius_px: float) -> Limbs:
    """The limbs of a silhouette (see Limbs)."""
    empty = Limbs(1, 0.0, np.zeros((1, 1), np.int32), np.zeros((1, 1)), np.zeros(0, np.int64),
                  np.zeros(0))
    if radius_px <= 1.0 or not mask.any():
        return empty
    k = max(1, int(radius_px // LIMB_GRID_PX))
    m, radius = _block_any(mask, k), radius_px / k
    core = opening(m, radius)
    rest = m & ~core
    if not rest.any() or not core.any():
        return empty
    lab, n = components(rest)
    reach = ndi.distance_transform_edt(~core)
    idx = np.arange(1, n + 1)
    far = _per_label(ndi.maximum, reach, lab, idx)
    limb = far >= radius
    return Limbs(k, radius, lab, reach, idx[limb], far[limb])


def extremities(mask: np.ndarray, radius_px: float) -> int:
    """Number of limbs of a silhouette (Limbs)."""
    return limbs(mask, radius_px).count


def bar_width(blurred_peak: np.ndarray, fwhm_px: float) -> np.ndarray:
    """Width of a long straight bar whose centre reads this value after the blur
    (peak = erf(w / (2 sqrt 2 sigma))): the 'equivalent bar width' of a thin part."""
    from scipy.special import erfinv

    sigma = fwhm_px * FWHM_TO_SIGMA
    v = np.clip(np.asarray(blurred_peak, dtype=np.float64), 0.0, 1.0 - 1e-12)
    return 2.0 * math.sqrt(2.0) * sigma * erfinv(v)


def ridge_bias(width_px: float, fwhm_px: float, offset_px: float = 0.5) -> float:
    """How much narrower a bar reads when its blur is sampled `offset_px` off its centre line
    (a ridge pixel's centre is up to half a pixel from the medial line, where the blurred
    profile peaks): w - bar_width(v(offset)). One-sided: the reading is never wider."""
    from scipy.special import erf

    if width_px <= 0 or fwhm_px <= 0:
        return 0.0
    k = math.sqrt(2.0) * fwhm_px * FWHM_TO_SIGMA
    v = 0.5 * (erf((width_px / 2 + offset_px) / k) + erf((width_px / 2 - offset_px) / k))
    return float(max(width_px - bar_width(np.array([v]), fwhm_px)[0], 0.0))


def _ridge_median(values: np.ndarray, edt: np.ndarray, lab: np.ndarray,
                  ids: np.ndarray) -> np.ndarray:
    """Median of `values` along each component's medial ridge (local maxima of the EDT
    restricted to the component); the whole component's median where it has no ridge."""
    if len(ids) == 0:
        return np.zeros(0)
    inside = lab > 0
    e = np.where(inside, edt, -1.0)
    ridge = inside & (e >= ndi.maximum_filter(e, size=3))
    rl = np.where(ridge, lab, 0)
    has = _per_label(ndi.sum, ridge, rl, ids) > 0
    med = _per_label(ndi.median, values, rl, ids)
    alt = _per_label(ndi.median, values, lab, ids)
    return np.where(has, med, alt)


def sample_pixels(lab: np.ndarray, label_ids: np.ndarray, per: int = 24):
    """Up to `per` pixels of each listed component, evenly spread along raster order."""
    flat = lab.ravel()
    sel = np.flatnonzero(np.isin(flat, label_ids))
    if len(sel) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    owner = flat[sel]
    order = np.argsort(owner, kind="stable")
    sel, owner = sel[order], owner[order]
    starts = np.searchsorted(owner, label_ids)
    counts = np.searchsorted(owner, label_ids, side="right") - starts
    take = np.minimum(counts, per) if per > 0 else counts
    comp = np.repeat(np.arange(len(label_ids)), take)
    pos = np.arange(take.sum()) - np.repeat(np.cumsum(take) - take, take)
    # evenly spaced picks inside each component
    step = np.repeat(np.where(take > 0, counts / np.maximum(take, 1), 0), take)
    pick = sel[np.repeat(starts, take) + np.floor((pos + 0.5) * step).astype(np.int64)]
    rows, cols = np.divmod(pick, lab.shape[1])
    return rows, cols, comp


def crop_box(mask: np.ndarray, pad: int = 2) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return slice(0, 0), slice(0, 0)
    r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, mask.shape[0])
    c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, mask.shape[1])
    return slice(r0, r1), slice(c0, c1)


# --- the squint test of one view -----------------------------------------------------------

@dataclass(frozen=True)
class Parts:
    """Candidate parts of one kind (lost protrusions or closing gaps) of one view."""

    lab: np.ndarray  # labels over the crop
    ids: np.ndarray  # labels that count
    width_px: np.ndarray  # equivalent-bar width of each
    area_px: np.ndarray
    mask: np.ndarray  # union of the parts that count
    # each part's widest (px): twice the largest distance from inside it to its own edge; a
    # bar's equals its width, a blob's or a tapering part's is more (lost parts only)
    widest_px: np.ndarray | None = None

    @staticmethod
    def none(shape) -> "Parts":
        z = np.zeros(0)
        return Parts(np.zeros(shape, np.int32), z.astype(np.int64), z, z, np.zeros(shape, bool))


@dataclass
class ViewResult:
    """Numbers and masks of one view (masks are the crop [r0:r0+h, c0:c0+w] of the frame)."""

    view: View
    origin: tuple[int, int]
    ref: np.ndarray
    fine: np.ndarray
    glance: np.ndarray
    numbers: dict
    lost_parts: Parts  # candidate protrusions (from the probe glance)
    gaps: Parts  # candidate gaps (from the probe glance)
    fine_keeps: np.ndarray  # per protrusion: does the 1-arcmin silhouette still show it?
    lost_mask: np.ndarray | None = None  # what the check reports: set by checks/silhouette.py
    closed_mask: np.ndarray | None = None
    coverage: np.ndarray | None = None  # the crop's coverage (a finer look re-casts part of it)


def score_formula(iou: float, boundary_f: float, kept_limbs: float, clutter: float) -> float:
    """Readability 0-100 (docs/silhouette.md): survival x limbs kept x outline kept."""
    survival = 0.5 * iou + 0.5 * boundary_f
    return 100.0 * survival * kept_limbs * (1.0 - 0.5 * clutter)


@dataclass(frozen=True)
class _Sculpt:
    """What the score compares every glance with: the sculpted silhouette and its measures."""

    ref: np.ndarray
    near_outline: np.ndarray  # pixels within one resolvable size of its outline
    outline_px: float
    limbs: Limbs


def _score(s: _Sculpt, gblur: np.ndarray, eye_px: float) -> dict:
    """The score's parts for one glance (its blurred coverage)."""
    glance = gblur >= 0.5
    iou = float((s.ref & glance).sum() / max((s.ref | glance).sum(), 1))
    bf = boundary_f_score(s.ref, glance, eye_px, near_a=s.near_outline)
    p_gl = contour_length(gblur)
    clutter = float(min(1.0, max(0.0, 1.0 - p_gl / s.outline_px))) if s.outline_px > 0 else 0.0
    kept = (1.0 + s.limbs.kept(glance)) / (1.0 + s.limbs.count)
    return {"score": score_formula(iou, bf, kept, clutter), "iou": iou, "boundary_f": bf,
            "clutter": clutter, "limbs_kept": kept, "outline_px": p_gl}


def _lost_parts(ref, probe, probe_px, gblur, glance_px, inside, resolves) -> Parts:
    """Lost protrusions: parts of ref & ~probe that reached at least LOST_REACH probe widths
    beyond what the probe glance kept. Widths are read from the glance blur itself (gblur,
    glance_px): the bar law holds at any blur, and the narrowest blur that matters feels the
    least of the shapes nearby."""
    glance = probe
    lost_all = ref & ~glance
    lab, n = components(lost_all)
    if not n or not resolves:
        return Parts(lab, np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                     np.zeros_like(ref))
    idx = np.arange(1, n + 1)
    to_glance = ndi.distance_transform_edt(~glance) if glance.any() \
        else np.full(ref.shape, np.inf)
    reach = _per_label(ndi.maximum, to_glance, lab, idx)
    area = _per_label(ndi.sum, lost_all, lab, idx)
    keep = reach + REACH_PIXEL_PX >= max(LOST_REACH * probe_px, MIN_REACH_PX)
    ids = idx[keep]
    width = bar_width(_ridge_median(gblur, inside, lab, ids), glance_px)
    # (the part's own distances: the silhouette's reach further in where it joins the body)
    # (a pixel's distance is to the nearest pixel outside: a bar n pixels wide reads n/2 + 1/2)
    widest = (2.0 * _per_label(ndi.maximum, ndi.distance_transform_edt(lab > 0), lab, ids) - 1.0
              if len(ids) else np.zeros(0))
    return Parts(lab, ids, width, area[keep], np.isin(lab, ids) if len(ids) else np.zeros_like(ref),
                 widest)


def _gap_parts(ref, probe, probe_px, gblur, glance_px, resolves) -> Parts:
    """Closing gaps: parts of probe & ~ref at least GAP_LENGTH probe widths long; widths from
    the glance blur (as _lost_parts)."""
    filled = probe & ~ref
    lab, n = components(filled)
    if not n or not resolves:
        return Parts(lab, np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                     np.zeros_like(ref))
    idx = np.arange(1, n + 1)
    outside = ndi.distance_transform_edt(~ref)
    area = _per_label(ndi.sum, filled, lab, idx)
    # widest point (pixels), so a slot's dead end or a wedge's tip is not a long gap
    raster_w = np.maximum(2.0 * _per_label(ndi.maximum, outside, lab, idx) - 1.0, 1.0)
    keep = area / raster_w >= max(GAP_LENGTH * probe_px, 2 * MIN_REACH_PX)
    ids = idx[keep]
    width = bar_width(1.0 - _ridge_median(gblur, outside, lab, ids), glance_px)
    return Parts(lab, ids, width, area[keep], np.isin(lab, ids) if len(ids) else np.zeros_like(ref))


def _empty_view(view: View, origin, shape) -> ViewResult:
    z = np.zeros(shape, bool)
    numbers = {"score": 0.0, "score_lo": 0.0, "score_hi": 0.0, "iou": 0.0, "boundary_f": 0.0,
               "clutter": 0.0, "extremities": 0, "readable_extremities": 0, "limbs_kept": 1.0,
               "iou_fine_glance": 0.0, "wiggles": 0, "wiggles_per_glance_outline": 0.0,
               "area_px": 0, "lost_parts": 0, "closed_gaps": 0, "height_eye_px": 0.0}
    return ViewResult(view, origin, z, z, z, numbers, Parts.none(shape), Parts.none(shape),
                      np.zeros(0, bool))


def analyse_view(view: View, full_cov: np.ndarray, eye_px: float, glance_px: float,
                 probe_px: float | None = None) -> ViewResult:
    """The squint test on one view's coverage image; eye_px / glance_px are FWHMs in pixels.

    Candidate parts (lost protrusions, closing gaps) and their equivalent-bar widths come from
    a `probe_px` glance (default: the glance itself): a wider probe also finds the parts just
    wider than what the glance keeps, so that their verdict rests on their measured width.
    """
    rs, cs = crop_box(full_cov > 0)
    cov = full_cov[rs, cs]
    origin = (rs.start, cs.start)
    ref = cov >= 0.5
    if not ref.any():
        return _empty_view(view, origin, cov.shape)
    delta = SCORE_BLUR_DELTA_PX
    probe_px = glance_px if probe_px is None else max(probe_px, glance_px)
    blur = Blur(cov, max(glance_px + delta, probe_px))
    gblur = blur(glance_px)
    glance = gblur >= 0.5
    fine = blur(eye_px) >= 0.5 if eye_px > 0 else ref.copy()
    inside = ndi.distance_transform_edt(ref)
    sculpt = _Sculpt(ref, _near(_boundary(ref), max(eye_px, 1.0)),
                     contour_length(blur(OUTLINE_SMOOTH_PX)),
                     limbs(ref, LIMB_SHARE * float(inside.max())))
    mid = _score(sculpt, gblur, eye_px)
    wide = _score(sculpt, blur(glance_px + delta), eye_px)
    narrow = _score(sculpt, blur(max(glance_px - delta, 0.5 * glance_px)), eye_px)

    resolves = glance_px >= MIN_GLANCE_PX
    pblur = gblur if probe_px == glance_px else blur(probe_px)
    probe = pblur >= 0.5
    lost = _lost_parts(ref, probe, probe_px, gblur, glance_px, inside, resolves)
    gaps = _gap_parts(ref, probe, probe_px, gblur, glance_px, resolves)
    fine_keeps = _per_label(ndi.sum, fine & ref, lost.lab, lost.ids) >= 0.5 * lost.area_px

    # wiggles: the small differences between sculpt and glance bigger than one eye pixel
    lost_all = ref & ~glance
    small = (lost_all & ~lost.mask) | (glance & ~ref & ~gaps.mask)
    wl, nw = components(small)
    wig = int((_per_label(ndi.sum, small, wl, np.arange(1, nw + 1)) >= max(eye_px ** 2, 2.0)).sum())
    rows = np.flatnonzero(ref.any(axis=1))
    p_gl = mid.pop("outline_px")
    numbers = dict(
        mid, score_lo=min(wide["score"], mid["score"]), score_hi=max(narrow["score"], mid["score"]),
        extremities=sculpt.limbs.count,
        readable_extremities=extremities(glance, sculpt.limbs.radius * sculpt.limbs.k),
        iou_fine_glance=float((fine & glance).sum() / max((fine | glance).sum(), 1)),
        wiggles=wig, wiggles_per_glance_outline=wig * glance_px / p_gl if p_gl > 0 else 0.0,
        area_px=int(ref.sum()), lost_parts=int(len(lost.ids)), closed_gaps=int(len(gaps.ids)),
        height_eye_px=float((rows[-1] - rows[0] + 1) / eye_px))
    return ViewResult(view, origin, ref, fine, glance, numbers, lost, gaps, fine_keeps,
                      coverage=cov)


# --- a finer look at one part ----------------------------------------------------------------

# A width whose verdict stays open is measured again with this many samples a pixel side in a
# box around its part: the sampling term of its interval falls from 1/2 to 1/REFINE_SAMPLES px.
REFINE_SAMPLES = 8


def refine_width(raster, grid: Grid, r: ViewResult, kind: str, index: int, glance_px: float,
                 keep_above=None, k: int = REFINE_SAMPLES) -> float:
    """The equivalent-bar width (px) of part `index` of a view ('lost' or 'gap'), from a
    coverage cast with k x k samples a pixel in the part's box (grown by the glance blur's
    reach), the rest of the view as it was."""
    parts = r.lost_parts if kind == "lost" else r.gaps
    label = parts.ids[index]
    rows, cols = np.nonzero(parts.lab == label)
    pad = int(math.ceil(2.0 * glance_px)) + 2
    r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, r.ref.shape[0])
    c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, r.ref.shape[1])
    (o_r, o_c) = r.origin
    box = (slice(o_r + r0, o_r + r1), slice(o_c + c0, o_c + c1))
    fine = raster.coverage(grid.camera(r.view), k=k, keep_above=keep_above, box=box)
    cov = r.coverage.astype(np.float64).copy()
    cov[r0:r1, c0:c1] = fine[box]
    gblur = Blur(cov, glance_px)(glance_px)
    one = np.where(parts.lab == label, parts.lab, 0)
    if kind == "lost":
        edt = ndi.distance_transform_edt(cov >= 0.5)
        return float(bar_width(_ridge_median(gblur, edt, one, np.array([label])), glance_px)[0])
    edt = ndi.distance_transform_edt(cov < 0.5)
    return float(bar_width(1.0 - _ridge_median(gblur, edt, one, np.array([label])), glance_px)[0])
