"""Silhouettes and the squint test (MS4xx kernel): view set, binary renders, blur, unprojection.

Method (docs/silhouette.md has the derivation and the numbers):

1. Render the *reference* silhouette of every view once: an orthographic (parallel) camera,
   flat white on black, on a square grid of N x N pixels that frames the model's bounding
   sphere. N depends only on how many eye pixels the model spans (so it is invariant under the
   dimensional scaling of DESIGN.md section 5): two working pixels per resolvable size, at
   least N_MIN and at most N_MAX.
2. The eye is a Gaussian point spread: the *fine* silhouette is the reference blurred with a
   full width at half maximum (FWHM) of one resolvable size (acuity) and thresholded at 0.5;
   the *glance* silhouette uses the glance resolution (DESIGN.md section 7, the squint).
   Both live on the working grid, so they compare pixel for pixel.
3. `ref & ~glance` is what a glance loses (protrusions, corners); `glance & ~ref` is what it
   fills (gaps, notches). Connected parts of these, big enough to matter, are MS401/MS402.

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

# Working grid: pixels per resolvable size, and the grid's bounds (pixels across the frame).
SUPERSAMPLE = 1.0
N_MIN = 256
N_MAX = 512
RENDER_SS = 2  # each working pixel is rendered as RENDER_SS^2 samples: coverage, not a 0/1
FRAME_MARGIN = 1.04  # the frame is the bounding sphere's diameter times this
# Meshes with more faces than this are vertex-clustered before rendering, with a voxel of
# DECIMATE_VOXEL_PX working pixels (at most one resolvable size): an averaged vertex moves by
# about half a pixel, far below the glance blur (tests/test_silhouette.py shows the scores
# and findings do not change).
DECIMATE_FACES = 250_000
DECIMATE_VOXEL_PX = 1.0

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
# A bar of width w blurred by a Gaussian of this FWHM keeps a centre value >= 0.5 iff
# w >= BAR_SURVIVES * FWHM (erf(w / (2 sqrt 2 sigma)) = 1/2); the same holds for a gap.
BAR_SURVIVES = 2.0 * math.sqrt(2.0) * 0.4769362762044699 * FWHM_TO_SIGMA  # 0.5729

_FRONTS = {"-y": (0.0, -1.0, 0.0), "+y": (0.0, 1.0, 0.0), "-x": (-1.0, 0.0, 0.0),
           "+x": (1.0, 0.0, 0.0)}
AZIMUTHS = (("front", 0.0), ("front-left", 45.0), ("left", 90.0), ("back-left", 135.0),
            ("back", 180.0), ("back-right", 225.0), ("right", 270.0), ("front-right", 315.0))
ELEVATIONS = (("", 15.0), ("-above", 45.0))


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

    def pixel_centers(self, view: View, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """World points (on the plane through the centre) behind pixel (row, col) centres."""
        u = (cols + 0.5 - self.n / 2.0) * self.pixel_mm
        w = (self.n / 2.0 - rows - 0.5) * self.pixel_mm
        return (self.center + u[:, None] * view.right[None, :]
                + w[:, None] * np.asarray(view.up)[None, :])

    def project(self, view: View, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of the pixels that 3D points fall in (may lie outside the frame)."""
        rel = np.asarray(points, dtype=np.float64) - self.center
        u, w = rel @ view.right, rel @ np.asarray(view.up)
        cols = np.floor(u / self.pixel_mm + self.n / 2.0).astype(np.int64)
        rows = np.floor(self.n / 2.0 - w / self.pixel_mm).astype(np.int64)
        return rows, cols

    def camera(self, view: View) -> dict:
        """Camera parameters (the fields of render.scene.Camera) for the pictures."""
        return {"focal": tuple(map(float, self.center)), "direction": view.direction,
                "up": view.up, "parallel_scale": self.n * self.pixel_mm / 2.0,
                "width": self.n, "height": self.n, "name": view.name,
                "pixel_mm": self.pixel_mm, "projection": "parallel"}


def make_grid(vertices: np.ndarray, resolvable_mm: float) -> Grid:
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    c = (lo + hi) / 2.0
    r = float(np.sqrt(((vertices - c) ** 2).sum(axis=1).max()))
    r = max(r, 1e-9)
    eye_px = 2.0 * r * FRAME_MARGIN / resolvable_mm  # resolvable sizes across the frame
    n = int(min(N_MAX, max(N_MIN, math.ceil(SUPERSAMPLE * eye_px))))
    n += n % 2
    return Grid(c, r, n, 2.0 * r * FRAME_MARGIN / n)


def decimated(vertices: np.ndarray, faces: np.ndarray, pixel_mm: float,
              max_faces: int = DECIMATE_FACES) -> tuple[np.ndarray, np.ndarray]:
    """Vertex clustering to half a working pixel when the mesh is larger than max_faces."""
    if len(faces) <= max_faces:
        return vertices, faces
    import open3d as o3d

    om = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.array(vertices, np.float64)),
                                   o3d.utility.Vector3iVector(np.array(faces, np.int32)))
    dm = om.simplify_vertex_clustering(DECIMATE_VOXEL_PX * pixel_mm,
                                       o3d.geometry.SimplificationContraction.Average)
    dv, df = np.asarray(dm.vertices), np.asarray(dm.triangles).astype(np.int64)
    if len(df) == 0:
        return vertices, faces
    return dv, df


def render_silhouettes(vertices: np.ndarray, faces: np.ndarray, views, grid: Grid,
                       plotter=None) -> np.ndarray:
    """(len(views), n, n) float32 pixel coverage in [0, 1] (each pixel rendered as
    RENDER_SS x RENDER_SS samples without anti-aliasing, then averaged: the reference
    silhouette is coverage >= 1/2); one plotter is reused for all views.

    Raises render.gl.GLUnavailable when off-screen OpenGL does not work.
    """
    import pyvista as pv

    from ..render import gl

    own = plotter is None
    ss = RENDER_SS
    pl = gl.plotter(grid.n * ss, grid.n * ss) if own else plotter
    pl.disable_anti_aliasing()
    actor = None
    try:
        pd = pv.PolyData.from_regular_faces(np.asarray(vertices, np.float64),
                                            np.asarray(faces, np.int64))
        actor = pl.add_mesh(pd, color="white", lighting=False, show_scalar_bar=False)
        pl.set_background("black")
        pl.enable_parallel_projection()
        cam = pl.camera
        far = 4.0 * grid.radius_mm + 1.0
        out = np.zeros((len(views), grid.n, grid.n), dtype=np.float32)
        for k, v in enumerate(views):
            d = np.asarray(v.direction)
            cam.focal_point = tuple(grid.center)
            cam.position = tuple(grid.center + 2.0 * grid.radius_mm * d + d)
            cam.up = v.up
            cam.parallel_scale = grid.n * grid.pixel_mm / 2.0
            pl.render()
            cam.clipping_range = (1e-3 * far, far)
            img = pl.screenshot(return_img=True)
            hit = img[..., 0] > 127
            out[k] = hit.reshape(grid.n, ss, grid.n, ss).mean(axis=(1, 3), dtype=np.float32)
        return out
    finally:
        if own:
            pl.close()
        elif actor is not None:
            pl.remove_actor(actor)


# --- image kernels -------------------------------------------------------------------------

def gaussian_blur(mask: np.ndarray, fwhm_px: float) -> np.ndarray:
    """Gaussian blur of a 0/1 image by FFT (cost independent of the width), zero padded."""
    sigma = fwhm_px * FWHM_TO_SIGMA
    pad = int(math.ceil(4.0 * sigma)) + 1
    shape = [sfft.next_fast_len(s + 2 * pad, real=True) for s in mask.shape]
    spec = sfft.rfft2(mask.astype(np.float64), s=shape)
    spec = ndi.fourier_gaussian(spec, sigma, n=shape[1])
    return sfft.irfft2(spec, s=shape)[: mask.shape[0], : mask.shape[1]]


def squint(mask: np.ndarray, fwhm_px: float) -> np.ndarray:
    """DESIGN.md section 7: blur with a Gaussian of this FWHM, threshold at one half."""
    if fwhm_px <= 0:
        return mask.copy()
    return gaussian_blur(mask, fwhm_px) >= 0.5


def contour_length(field: np.ndarray, level: float = 0.5) -> float:
    """Length (pixels) of the level set of a smooth image: marching squares with linear
    interpolation along cell edges, vectorised over the cells the contour crosses."""
    f = np.pad(np.asarray(field, dtype=np.float64), 1)
    inside = f >= level
    cell = inside[:-1, :-1].astype(np.int8) + inside[:-1, 1:] + inside[1:, 1:] + inside[1:, :-1]
    r, c = np.nonzero((cell > 0) & (cell < 4))
    if len(r) == 0:
        return 0.0
    a, b, cc, d = f[r, c], f[r, c + 1], f[r + 1, c + 1], f[r + 1, c]  # tl, tr, br, bl
    ia, ib, ic, id_ = a >= level, b >= level, cc >= level, d >= level

    def t(p, q):
        den = q - p
        return np.where(den != 0, (level - p) / np.where(den != 0, den, 1.0), 0.5)

    pts = np.stack([
        np.stack([t(a, b), np.zeros_like(a)], -1),  # top edge
        np.stack([np.ones_like(a), t(b, cc)], -1),  # right edge
        np.stack([t(d, cc), np.ones_like(a)], -1),  # bottom edge
        np.stack([np.zeros_like(a), t(a, d)], -1),  # left edge
    ], axis=1)
    has = np.stack([ia != ib, ib != ic, id_ != ic, ia != id_], axis=1)
    n = has.sum(axis=1)
    two = n == 2
    order = np.argsort(~has[two], axis=1, kind="stable")
    p0 = pts[two][np.arange(two.sum()), order[:, 0]]
    p1 = pts[two][np.arange(two.sum()), order[:, 1]]
    total = float(np.linalg.norm(p1 - p0, axis=1).sum())
    four = n == 4  # saddle: both pairings, averaged
    if four.any():
        q = pts[four]
        l1 = np.linalg.norm(q[:, 0] - q[:, 3], axis=1) + np.linalg.norm(q[:, 1] - q[:, 2], axis=1)
        l2 = np.linalg.norm(q[:, 0] - q[:, 1], axis=1) + np.linalg.norm(q[:, 2] - q[:, 3], axis=1)
        total += float((0.5 * (l1 + l2)).sum())
    return total


def _boundary(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndi.binary_erosion(mask, border_value=0)


def _disc(radius: float) -> np.ndarray:
    r = int(math.floor(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= radius * radius


def _near(mask: np.ndarray, tol_px: float) -> np.ndarray:
    """Pixels within tol_px of a set pixel (a disc dilation; an EDT for large discs)."""
    if tol_px < 1.0:
        return mask
    if tol_px <= 4.0:
        return ndi.binary_dilation(mask, structure=_disc(tol_px))
    return ndi.distance_transform_edt(~mask) <= tol_px


def boundary_f_score(a: np.ndarray, b: np.ndarray, tol_px: float) -> float:
    """F-score of outline pixels of a and b that lie within tol_px of the other's outline."""
    ba, bb = _boundary(a), _boundary(b)
    na, nb = int(ba.sum()), int(bb.sum())
    if na == 0 and nb == 0:
        return 1.0
    if na == 0 or nb == 0:
        return 0.0
    tol = max(tol_px, 1.0)  # one pixel is the grid's own uncertainty
    recall = float(_near(bb, tol)[ba].mean())
    precision = float(_near(ba, tol)[bb].mean())
    return 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)


def opening(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Morphological opening by a disc, through two Euclidean distance transforms."""
    if radius_px <= 0:
        return mask.copy()
    eroded = ndi.distance_transform_edt(mask) > radius_px
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


_EIGHT = np.ones((3, 3), dtype=bool)


LIMB_GRID_PX = 8.0  # extremities are counted on a grid with the limb radius ~this many pixels


def _block_any(mask: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return mask
    h, w = -(-mask.shape[0] // k) * k, -(-mask.shape[1] // k) * k
    m = np.zeros((h, w), dtype=bool)
    m[: mask.shape[0], : mask.shape[1]] = mask
    return m.reshape(h // k, k, w // k, k).any(axis=(1, 3))


def extremities(mask: np.ndarray, radius_px: float) -> int:
    """Limbs: parts outside the opening by a disc of radius_px that reach at least
    radius_px beyond it (a corner a disc cannot fill reaches only 0.41 of it).

    Counted on a grid coarsened so that the disc is about LIMB_GRID_PX pixels (any sample
    set keeps thin limbs); the count is a property of shapes this large, not of pixels.
    """
    if radius_px <= 1.0 or not mask.any():
        return 0
    k = max(1, int(radius_px // LIMB_GRID_PX))
    m, radius = _block_any(mask, k), radius_px / k
    core = opening(m, radius)
    rest = m & ~core
    if not rest.any() or not core.any():
        return 0
    lab, n = ndi.label(rest, structure=_EIGHT)
    reach = ndi.distance_transform_edt(~core)
    far = _per_label(ndi.maximum, reach, lab, np.arange(1, n + 1))
    return int((np.asarray(far) >= radius).sum())


def limbs_kept(ref: np.ndarray, glance: np.ndarray, radius_px: float) -> tuple[int, float]:
    """(number of limbs of the sculpt, summed share of each limb's reach the glance keeps).

    A limb's reach is how far it extends beyond the sculpt's core (the opening by a disc of
    radius_px); the glance keeps the share of that reach its own silhouette still covers,
    so a spear that vanishes keeps ~0 and a paw whose tip rounds off keeps ~0.8.
    """
    if radius_px <= 1.0 or not ref.any():
        return 0, 0.0
    k = max(1, int(radius_px // LIMB_GRID_PX))
    m, g, radius = _block_any(ref, k), _block_any(glance, k), radius_px / k
    core = opening(m, radius)
    rest = m & ~core
    if not rest.any() or not core.any():
        return 0, 0.0
    lab, n = ndi.label(rest, structure=_EIGHT)
    reach = ndi.distance_transform_edt(~core)
    idx = np.arange(1, n + 1)
    far = _per_label(ndi.maximum, reach, lab, idx)
    kept = _per_label(ndi.maximum, np.where(g, reach, 0.0), lab, idx)
    limb = far >= radius
    return int(limb.sum()), float(np.clip(kept[limb] / far[limb], 0.0, 1.0).sum())


def components(mask: np.ndarray):
    """8-connected labels and count."""
    return ndi.label(mask, structure=_EIGHT)


def ridge_width(inside_edt: np.ndarray, lab: np.ndarray, n: int) -> np.ndarray:
    """Per-component width (px): twice the median inscribed radius along its medial ridge."""
    if n == 0:
        return np.zeros(0)
    ridge = (inside_edt >= ndi.maximum_filter(inside_edt, size=3)) & (lab > 0)
    rl = np.where(ridge, lab, 0)
    idx = np.arange(1, n + 1)
    med = _per_label(ndi.median, inside_edt, rl, idx)
    fallback = _per_label(ndi.maximum, inside_edt, lab, idx)
    med = np.where(np.isfinite(med) & (med > 0), med, fallback)
    # the EDT counts to the pixel centre beyond the edge: a bar of w pixels peaks at ~w/2+0.5
    return np.maximum(2.0 * med - 1.0, 1.0)


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
    take = np.minimum(counts, per)
    comp = np.repeat(np.arange(len(label_ids)), take)
    pos = np.arange(take.sum()) - np.repeat(np.cumsum(take) - take, take)
    # evenly spaced picks inside each component
    step = np.repeat(np.where(take > 0, counts / np.maximum(take, 1), 0), take)
    pick = sel[np.repeat(starts, take) + np.floor((pos + 0.5) * step).astype(np.int64)]
    rows, cols = np.divmod(pick, lab.shape[1])
    return rows, cols, comp


def cast(scene, grid: Grid, view: View, rows: np.ndarray, cols: np.ndarray):
    """Rays from pixel centres along the view; (hit points (k,3), face ids (k,), hit mask)."""
    import open3d as o3d

    if len(rows) == 0:
        return np.zeros((0, 3)), np.zeros(0, np.int64), np.zeros(0, bool)
    d = np.asarray(view.direction)
    origin = grid.pixel_centers(view, rows.astype(np.float64), cols.astype(np.float64)) \
        + (2.0 * grid.radius_mm + 1.0) * d
    rays = np.hstack([origin, np.broadcast_to(-d, origin.shape)]).astype(np.float32)
    ans = scene.cast_rays(o3d.core.Tensor(rays))
    t = ans["t_hit"].numpy().astype(np.float64)
    fid = ans["primitive_ids"].numpy().astype(np.int64)
    hit = np.isfinite(t)
    pts = origin - np.where(hit, t, 0.0)[:, None] * d[None, :]
    return pts, fid, hit


# --- the squint test of one view -----------------------------------------------------------

# Extremities are parts of the outline beyond the opening by a disc of this share of the
# silhouette's largest inscribed radius (a torso keeps its core; arms, legs, tails, spears
# stand out); a limb counts when it reaches at least that radius beyond the core.
LIMB_SHARE = 0.5
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


@dataclass
class ViewResult:
    """Numbers and masks of one view (masks are the crop [r0:r0+h, c0:c0+w] of the frame)."""

    view: View
    origin: tuple[int, int]
    ref: np.ndarray
    fine: np.ndarray
    glance: np.ndarray
    lost: np.ndarray  # lost parts that count as protrusions
    closed: np.ndarray  # filled parts that count as gaps
    numbers: dict
    lost_lab: np.ndarray
    lost_ids: np.ndarray  # labels (in lost_lab) of protrusions
    lost_width_px: np.ndarray
    lost_area_px: np.ndarray
    fine_keeps: np.ndarray  # per protrusion: does the 1-arcmin silhouette still show it?
    gap_lab: np.ndarray
    gap_ids: np.ndarray
    gap_width_px: np.ndarray
    gap_area_px: np.ndarray


def crop_box(mask: np.ndarray, pad: int = 2) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return slice(0, 0), slice(0, 0)
    r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, mask.shape[0])
    c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, mask.shape[1])
    return slice(r0, r1), slice(c0, c1)


def score_formula(iou: float, boundary_f: float, kept_limbs: float, clutter: float) -> float:
    """Readability 0-100 (docs/silhouette.md): survival x limbs kept x outline kept."""
    survival = 0.5 * iou + 0.5 * boundary_f
    return 100.0 * survival * kept_limbs * (1.0 - 0.5 * clutter)


def bar_width(blurred_peak: np.ndarray, fwhm_px: float) -> np.ndarray:
    """Width of a long straight bar whose centre reads this value after the blur
    (peak = erf(w / (2 sqrt 2 sigma))): the 'equivalent bar width' of a thin part."""
    from scipy.special import erfinv

    sigma = fwhm_px * FWHM_TO_SIGMA
    v = np.clip(np.asarray(blurred_peak, dtype=np.float64), 0.0, 1.0 - 1e-12)
    return 2.0 * math.sqrt(2.0) * sigma * erfinv(v)


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


def analyse_view(view: View, full_cov: np.ndarray, eye_px: float, glance_px: float) -> ViewResult:
    """The squint test on one view's coverage image; eye_px / glance_px are FWHMs in pixels."""
    rs, cs = crop_box(full_cov > 0)
    cov = full_cov[rs, cs].astype(np.float64)
    ref = cov >= 0.5
    origin = (rs.start, cs.start)
    fine = gaussian_blur(cov, eye_px) >= 0.5 if eye_px > 0 else ref.copy()
    gblur = gaussian_blur(cov, glance_px)
    glance = gblur >= 0.5
    n_ref = int(ref.sum())
    empty = np.zeros_like(ref)
    if n_ref == 0:
        z = np.zeros(0)
        numbers = {"score": 0.0, "iou": 0.0, "boundary_f": 0.0, "clutter": 0.0,
                   "extremities": 0, "readable_extremities": 0, "limbs_kept": 1.0,
                   "iou_fine_glance": 0.0, "wiggles": 0, "wiggles_per_glance_outline": 0.0,
                   "area_px": 0, "lost_parts": 0, "closed_gaps": 0, "height_eye_px": 0.0}
        zl = np.zeros_like(ref, dtype=np.int32)
        return ViewResult(view, origin, ref, fine, glance, empty, empty, numbers, zl,
                          z.astype(np.int64), z, z, z.astype(bool), zl, z.astype(np.int64), z, z)

    resolves = glance_px >= MIN_GLANCE_PX
    union = ref | glance
    iou = float((ref & glance).sum() / max(union.sum(), 1))
    fu = fine | glance
    iou_fg = float((fine & glance).sum() / max(fu.sum(), 1))
    bf = boundary_f_score(ref, glance, eye_px)
    # outline lengths of the level sets (sub-pixel); the sculpt's outline is read from the
    # coverage smoothed over two working pixels (no staircase), the glance's from its blur
    p_ref, p_gl = contour_length(gaussian_blur(cov, 2.0)), contour_length(gblur)
    clutter = float(min(1.0, max(0.0, 1.0 - p_gl / p_ref))) if p_ref > 0 else 0.0

    inside = ndi.distance_transform_edt(ref)
    limb_r = LIMB_SHARE * float(inside.max())
    n_limbs, reach_kept = limbs_kept(ref, glance, limb_r)
    n_read = extremities(glance, limb_r)
    kept = (1.0 + reach_kept) / (1.0 + n_limbs)

    # lost protrusions
    lost_all = ref & ~glance
    lost_lab, n_lost = components(lost_all)
    idx = np.arange(1, n_lost + 1)
    if n_lost:
        to_glance = ndi.distance_transform_edt(~glance) if glance.any() \
            else np.full(ref.shape, np.inf)
        reach = _per_label(ndi.maximum, to_glance, lost_lab, idx)
        l_area = _per_label(ndi.sum, lost_all, lost_lab, idx)
        is_part = (reach >= max(LOST_REACH * glance_px, MIN_REACH_PX)) & resolves
        l_ids = idx[is_part]
        l_width = bar_width(_ridge_median(gblur, inside, lost_lab, idx[is_part]), glance_px)
        l_area = l_area[is_part]
        in_fine = _per_label(ndi.sum, fine & lost_all, lost_lab, idx)[is_part]
        fine_keeps = in_fine >= 0.5 * l_area
    else:
        l_ids, l_width, l_area, fine_keeps = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                                              np.zeros(0, bool))
    lost = np.isin(lost_lab, l_ids) if len(l_ids) else empty

    # gaps that close
    filled = glance & ~ref
    gap_lab, n_fill = components(filled)
    gidx = np.arange(1, n_fill + 1)
    if n_fill:
        outside = ndi.distance_transform_edt(~ref)
        g_area = _per_label(ndi.sum, filled, gap_lab, gidx)
        # widest point (pixels), so a slot's dead end or a wedge's tip is not a long gap
        raster_w = np.maximum(2.0 * _per_label(ndi.maximum, outside, gap_lab, gidx) - 1.0, 1.0)
        is_gap = (g_area / raster_w >= max(GAP_LENGTH * glance_px, 2 * MIN_REACH_PX)) & resolves
        g_width = bar_width(1.0 - _ridge_median(gblur, outside, gap_lab, gidx), glance_px)
        g_ids, g_width, g_area = gidx[is_gap], g_width[is_gap], g_area[is_gap]
    else:
        g_ids, g_width, g_area = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    closed = np.isin(gap_lab, g_ids) if len(g_ids) else empty

    # wiggles: the remaining small differences bigger than one eye pixel
    small = (lost_all & ~lost) | (filled & ~closed)
    wl, nw = components(small)
    wig = int((_per_label(ndi.sum, small, wl, np.arange(1, nw + 1)) >= max(eye_px ** 2, 2.0)).sum()) \
        if nw else 0
    rows = np.flatnonzero(ref.any(axis=1))

    numbers = {
        "score": score_formula(iou, bf, kept, clutter),
        "iou": iou, "boundary_f": bf, "clutter": clutter,
        "extremities": n_limbs, "readable_extremities": n_read, "limbs_kept": kept,
        "iou_fine_glance": iou_fg, "wiggles": wig,
        "wiggles_per_glance_outline": wig * glance_px / p_gl if p_gl > 0 else 0.0,
        "area_px": n_ref, "lost_parts": int(len(l_ids)), "closed_gaps": int(len(g_ids)),
        "height_eye_px": float((rows[-1] - rows[0] + 1) / eye_px),
    }
    return ViewResult(view, origin, ref, fine, glance, lost, closed, numbers, lost_lab, l_ids,
                      l_width, l_area, fine_keeps, gap_lab, g_ids, g_width, g_area)
