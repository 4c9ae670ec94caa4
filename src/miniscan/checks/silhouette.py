"""Silhouette readability (MS400-MS404): the squint test, made measurable.

Casts the figure's silhouette from 17 views (raster.py: rays, no OpenGL; a detected base is
left out), blurs it to the eye's acuity and to a glance (analysis/silhouettes.py), and judges
thin parts that vanish (MS401), gaps that close (MS402), views that read poorly (MS403) and the
absence of any clear view (MS404), each on its measured interval (evidence.py): a width has the
pixel's and the mesh's uncertainty, a score the spread a pixel of blur gives it. The method,
the intervals and the thresholds are in docs/silhouette.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from .. import vision
from ..raster import SUBSAMPLES
from ..analysis import silhouettes as sil
from ..evidence import FAIL, UNDETERMINED, Evidence, printable_floor_mm, verdict
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.silhouette import MS401, MS402, MS403, MS404

FAMILY = "silhouette"

UNREADABLE_SCORE = 50.0  # MS403 below this (a view that keeps half of what it had)
GOOD_SCORE = 70.0  # MS404 when no side view reaches this
RAYS_PER_PART = 24  # pixels of a part unprojected to find it on the model
# A width read from the blur of the k x k-sampled coverage (k = raster.SUBSAMPLES) is
# uncertain by 1/k working pixel: each edge of a part lies somewhere between its last sample
# hit and its first sample missed, half a sample spacing either way. Worst for a part aligned
# with the pixel grid (every row has the same phase); a slanted part averages it out
# (docs/silhouette.md: 72 random spears, |error| p90 <= 0.11 px, all inside their interval).
WIDTH_PIXEL_PX = 1.0 / SUBSAMPLES
# Candidates are taken from a glance this much wider (in units of the width uncertainty) so
# that parts just wider than the threshold are judged, not passed unseen.
PROBE_MARGIN = 2.0
# Facets turning by more than this are designed edges (a square bar), not a polygon standing
# for a round part: no facet term then (pi/3: a hexagonal spear is still "round").
FACET_MAX_RAD = np.pi / 3.0
OVERHEAD_DEG = 60.0  # a view above this elevation is never the hero (a model stands on a table)
UP = 2  # z is up (the loader turns Y-up files Z-up; checks.scale.up_axis)

# Hits up to this many working pixels above the base's top still belong to the base (the
# top surface itself, after float32 and clustering).
BASE_MARGIN_PX = 0.5
# A part's share of points near another's is read from at most this many of its points (every
# k-th, in pixel order): a share is a fraction, known to +-0.7 % (binomial) from 5000, and a
# 0.2 mm model drawn at its grid's smallest pixel had 800 000 (47 s for 17 parts).
SHARE_SAMPLES = 5000


# A lost part no longer than this many glances (its area over its width) is a dot or a stub
# in its view, the shape a bar seen end-on has: a 0.77 mm post from the top is 1.35 glances,
# the suite's 1.45 mm rod on a terrain tile 1.41. Only such a part is looked for in the views
# that keep it as a bar (`_kept_elsewhere`); one lost as a longer bar is thin across in that
# view whatever the others show (a blade seen edge-on, 27 glances; a 7.6 mm rod on a sword
# scan at 12.8 m, 43 glances, whose other views, 1-3 pixels across it, read the blade beside it).
STUB_GLANCES = 2.0
# --- the family's picture data ---------------------------------------------------------------

@dataclass(frozen=True)
class SilhouetteView:
    name: str
    camera: dict  # the fields of render.scene.Camera plus pixel_mm, projection
    origin: tuple[int, int]  # (row, col) of the crops in the frame
    frame_shape: tuple[int, int]
    ref: np.ndarray  # bool crops: the sculpted silhouette (base left out when detected)
    fine: np.ndarray  # ... as the eye resolves it
    glance: np.ndarray  # ... at a glance
    lost: np.ndarray  # thin parts lost at a glance that MS401 reports
    closed: np.ndarray  # gaps that close that MS402 reports
    score: float
    numbers: dict


@dataclass(frozen=True)
class SilhouetteLayers(FamilyLayers):
    views: tuple[SilhouetteView, ...]
    hero_view: str
    worst_view: str
    base_excluded: bool
    face_protrusion_mm: np.ndarray = field(default=None, repr=False)  # width of a lost part
    face_gap_mm: np.ndarray = field(default=None, repr=False)  # width of a closing gap
    face_base: np.ndarray = field(default=None, repr=False)  # bool: left out as the base

    def face_layers(self) -> tuple[FaceLayer, ...]:
        out = []
        if self.face_protrusion_mm is not None and np.isfinite(self.face_protrusion_mm).any():
            out.append(FaceLayer("silhouette-protrusion", self.face_protrusion_mm, "mm",
                                 "width of thin parts lost at a glance", "value",
                                 note="measured silhouette width, model mm"))
        if self.face_gap_mm is not None and np.isfinite(self.face_gap_mm).any():
            out.append(FaceLayer("silhouette-gap", self.face_gap_mm, "mm",
                                 "width of gaps that close at a glance", "value",
                                 note="measured gap width, model mm"))
        if self.base_excluded and self.face_base is not None:
            out.append(FaceLayer("silhouette-base", np.where(self.face_base, 1.0, np.nan), "",
                                 "base left out of the silhouettes", "mask"))
        return tuple(out)


# --- set-up: the figure, the frame, the reference silhouettes --------------------------------

@dataclass(frozen=True)
class _Setup:
    grid: sil.Grid
    views: tuple
    raster: object
    masks: np.ndarray
    base: object  # checks.scale.BaseSlab
    keep_above: tuple | None


def _kept_points(verts: np.ndarray, faces: np.ndarray, cut: float) -> np.ndarray:
    """The figure's extent above the cut: its vertices there and the points where its edges
    cross it. The vertices alone miss what a face above the cut spans below its last vertex:
    a post sunk into its tile has vertices only at its ends, and its top ring alone framed
    1.6 mm of an 8 mm post, which every view then lost (tests/test_silhouette.py)."""
    h = verts[:, UP]
    above = h > cut
    edges = np.asarray(faces)[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    cross = edges[above[edges[:, 0]] != above[edges[:, 1]]]
    a, b = verts[cross[:, 0]], verts[cross[:, 1]]
    t = (cut - a[:, UP]) / (b[:, UP] - a[:, UP])  # the two ends lie either side: no 0 / 0
    return np.vstack([verts[above], a + t[:, None] * (b - a)])


def _setup(model, conditions, analysis) -> _Setup:
    """The figure (without its base), its frame and its reference silhouettes (cached)."""
    from .. import raster
    from .scale import base_slab  # one base per model, shared with the scale check

    base = base_slab(analysis)
    verts = model.vertices
    keep_above = None
    if base.detected:
        level = base_relief_top(model, analysis, base.top_mm, conditions.glance_mm)
        # the frame holds what the raster keeps: the vertices of the base's top plane lie
        # within float rounding of base.top_mm, and a one-ulp change of that level (another
        # face order or place sums the height profile otherwise) must not put the base's rim
        # in the frame and change the pixel; the band is the raster's own margin (in eye
        # pixels: the grid's pixel is about one resolvable size)
        fig = _kept_points(verts, model.faces, level + BASE_MARGIN_PX * conditions.resolvable_mm)
        verts = fig if len(fig) >= 4 else verts
    grid = sil.make_grid(verts, conditions.resolvable_mm)
    if base.detected:
        axis = np.eye(3)[UP]
        keep_above = (tuple(axis), level + BASE_MARGIN_PX * grid.pixel_mm)
    views = sil.view_set(conditions.front)
    rast = raster.for_analysis(analysis, raster.cell_for(conditions))
    key = f"silhouettes:{conditions.front}:{grid.n}:{grid.pixel_mm!r}:{keep_above}:{rast.cell_mm!r}"
    masks = analysis.cached(key, lambda a: sil.render_silhouettes(rast, views, grid, keep_above))
    return _Setup(grid, views, rast, masks, base, keep_above)


def base_relief_top(model, analysis, top_mm: float, glance_mm: float) -> float:
    """The height the base's own top surface reaches: `top_mm` (the slab's area-weighted top)
    raised to the highest up-facing face of the base's top that lies outside the figure's
    footprint, at most a glance above it.

    A rough base (grit, stones, a scan's noise) rises and falls about its mean level; its
    peaks are the stand's, and left in the silhouettes they scatter specks over the whole
    footprint that the glance reads as the figure's outline (a 28 mm scan on a base rough to
    +-0.35 mm scored 0/100 in every view). The figure's footprint is the convex hull, seen
    from above, of what stands higher than a glance over the base: its feet are not the
    base's relief. Relief higher than a glance is scenery the silhouette judges (the same
    bound as the protrusions on the base that MS401 leaves out). A flat base gives top_mm."""
    from scipy.spatial import ConvexHull, Delaunay, QhullError

    zc = analysis.face_centroids[:, UP]
    band = np.flatnonzero((np.abs(zc - top_mm) <= glance_mm) & (analysis._cross[:, UP] > 0))
    high = model.vertices[model.vertices[:, UP] > top_mm + glance_mm][:, :UP]
    if len(band) == 0:
        return top_mm
    if len(high) >= 3:
        try:
            rim = high[ConvexHull(high).vertices]  # the hull's corners: a few dozen of millions
            inside = Delaunay(rim).find_simplex(analysis.face_centroids[band, :UP]) >= 0
            band = band[~inside]
        except QhullError:  # the figure above is a line or a point from above: no footprint
            pass
    if len(band) == 0:
        return top_mm
    peak = float(model.vertices[model.faces[band]][..., UP].max())
    return float(min(max(top_mm, peak), top_mm + glance_mm))


# --- finding the parts on the model -----------------------------------------------------------

@dataclass(frozen=True)
class _Region:
    """One place on the model where views lose a part (or close a gap)."""

    view: int  # the view that shows it largest
    label: int
    width_px: float
    area_px: float
    index: int  # index of the part in its view's Parts
    centre: np.ndarray
    faces: tuple[int, ...]
    views: tuple[str, ...]
    all_faces: np.ndarray  # every model face its pixels hit (for the picture layer)
    top_mm: float  # the highest of its hit points along the up axis
    rims: np.ndarray = field(default=None, repr=False)  # (k, 3) hit points of the part seen largest
    hit: int = 0  # how many of `faces` are its most-hit (listed first): its facets' term reads them


def _parts(r, kind):
    return r.lost_parts if kind == "lost" else r.gaps


def _locate(rast, grid, results, kind: str):
    """Per candidate part of every view: (view index, label, width px, area px, index),
    its unprojected surface points and faces (a gap: the rims on either side of it)."""
    items, pts_all, owner_all, faces_all = [], [], [], []
    for vi, r in enumerate(results):
        p = _parts(r, kind)
        if len(p.ids) == 0:
            continue
        probe_lab = p.lab
        if kind == "gap":  # the rim around the gap: the surfaces on either side of it
            grown = ndi.grey_dilation(np.where(np.isin(p.lab, p.ids), p.lab, 0), size=(5, 5))
            probe_lab = np.where(r.ref, grown, 0)
        rows, cols, comp = sil.sample_pixels(probe_lab, p.ids, RAYS_PER_PART)
        pts, fid, hit = rast.pixel_hits(grid.camera(r.view), rows + r.origin[0],
                                        cols + r.origin[1])
        base = len(items)
        items += [(vi, int(p.ids[k]), float(p.width_px[k]), float(p.area_px[k]), k)
                  for k in range(len(p.ids))]
        pts_all.append(pts[hit])
        owner_all.append(base + comp[hit])
        faces_all.append(fid[hit])
    if not items:
        return [], np.zeros((0, 3)), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return items, np.vstack(pts_all), np.concatenate(owner_all), np.concatenate(faces_all)


def _shares(points, owner, items, grid, results, kind, radius) -> np.ndarray:
    """share[i, j]: the fraction of part i's surface points that project into part j (grown
    by `radius`) in j's view."""
    n_items = len(items)
    counts = np.zeros((n_items, n_items))
    index = {(vi, lab): i for i, (vi, lab, *_rest) in enumerate(items)}
    grow = max(1, int(round(radius / grid.pixel_mm)))
    for vi, r in enumerate(results):
        p = _parts(r, kind)
        if len(p.ids) == 0 or not len(points):
            continue
        keep = ndi.grey_dilation(np.where(np.isin(p.lab, p.ids), p.lab, 0),
                                 size=(2 * grow + 1, 2 * grow + 1))
        rows, cols = grid.project(r.view, points)
        rows, cols = rows - r.origin[0], cols - r.origin[1]
        ok = (rows >= 0) & (rows < keep.shape[0]) & (cols >= 0) & (cols < keep.shape[1])
        got = np.zeros(len(points), np.int64)
        got[ok] = keep[rows[ok], cols[ok]]
        sel = np.flatnonzero(got > 0)
        if len(sel):
            lut = np.zeros(int(got.max()) + 1, np.int64)
            lut[p.ids] = [index[(vi, int(lab_id))] for lab_id in p.ids]
            np.add.at(counts, (owner[sel], lut[got[sel]]), 1.0)
    n_pts = np.bincount(owner, minlength=n_items).astype(np.float64)
    share = counts / np.maximum(n_pts, 1.0)[:, None]
    np.fill_diagonal(share, 0.0)
    return share


def _surface(rast, grid, results, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel of every candidate part unprojected: (points (k, 3), owner (k,)), owners
    numbered as `_locate` numbers the parts."""
    pts_all, owner_all, base = [], [], 0
    for r in results:
        p = _parts(r, kind)
        if len(p.ids) == 0:
            continue
        rows, cols, comp = sil.sample_pixels(p.lab, p.ids, 0)
        pts, _fid, hit = rast.pixel_hits(grid.camera(r.view), rows + r.origin[0],
                                         cols + r.origin[1])
        pts_all.append(pts[hit])
        owner_all.append(base + comp[hit])
        base += len(p.ids)
    if not pts_all:
        return np.zeros((0, 3)), np.zeros(0, np.int64)
    return np.vstack(pts_all), np.concatenate(owner_all)


def _shares_3d(points, owner, n_items: int, radius: float) -> np.ndarray:
    """share[i, j]: the fraction of part i's surface points (every pixel of it unprojected)
    that lie within `radius` of part j's, in 3D: the same surface seen from two views, and
    not a part behind it that projects into it."""
    from scipy.spatial import cKDTree

    share = np.zeros((n_items, n_items))
    n_all = np.bincount(owner, minlength=n_items)
    # every k-th point of each part asks (k from the part's own count: SHARE_SAMPLES)
    order = np.argsort(owner, kind="stable")
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_all) - n_all, n_all)
    step = np.maximum(1, -(-n_all // SHARE_SAMPLES))
    ask = order[rank % step[owner[order]] == 0]
    n_pts = np.bincount(owner[ask], minlength=n_items).astype(np.float64)
    for j in np.flatnonzero(n_all):  # one tree per part (a few dozen)
        d, _ = cKDTree(points[owner == j]).query(points[ask], distance_upper_bound=radius)
        near = np.isfinite(d)
        share[:, j] = np.bincount(owner[ask][near], minlength=n_items) / np.maximum(n_pts, 1.0)
    np.fill_diagonal(share, 0.0)
    return share


def _centres(points, owner, n_items: int) -> np.ndarray:
    """The median surface point of every part (NaN where no ray hit it)."""
    out = np.full((n_items, 3), np.nan)
    order = np.argsort(owner, kind="stable")
    ow = owner[order]
    starts = np.flatnonzero(np.r_[True, np.diff(ow) != 0])
    for s0, s1 in zip(starts, np.r_[starts[1:], len(ow)]):  # one per part (a few dozen)
        out[ow[s0]] = np.median(points[order[s0:s1]], axis=0)
    return out


def _merge(points, owner, items, grid, results, kind: str, radius: float,
           surface=None) -> np.ndarray:
    """Group the parts of all views that are one place on the model.

    Two parts are the same place when their centres (the median of their surface points)
    come within `radius`, or when they share their points. Lost parts (`surface`: every pixel
    of every part unprojected) share them in 3D: most of one part's points lie within
    `radius` (a glance) of the other's, the same surface seen from two views (one-way: a view
    that sees a shorter stretch of a part lies on the longer one). Where a part projects
    says nothing of its depth: a part seen behind another projects into it, and grouping by
    projection made the wyrmling's two horns one place and took a claw into a place 14 mm
    away on one pixel grid and not on another. Gaps share them in projection, each holding
    the majority of the other's points (the rims of a gap seen from the front and from the
    back lie on opposite faces, a part's thickness apart, but each projects into the other).

    A place holds at most one part of each view: two parts of one view are apart in it, so
    they are two places, even where another view sees them overlap (three toes of a claw are
    one part from the side); except the pieces of one part that a pixel less than half
    covered splits (a sliver of a tapering spike's tip, one pixel): two parts of one view one
    of which lies on the other's surface in 3D, linked before any other. Links are taken
    nearest first and never join two groups that share a view. Centres, not any two points:
    the thin parts of a figure touch near their roots (a wing's fingers, a claw's toes), and
    linking on any pair of points chained every thin part of a small figure into one place,
    found where the largest was. A part left on its own that shares most of its points with a
    grouped part joins the group it shares most with (it adds no place of its own).
    """
    from scipy.spatial import cKDTree

    n_items = len(items)
    if surface is not None:
        share = _shares_3d(*surface, n_items, radius)
        linked = np.maximum(share, share.T) >= 0.5
    else:
        share = _shares(points, owner, items, grid, results, kind, radius)
        linked = (share >= 0.5) & (share.T >= 0.5)
    a, b = np.nonzero(np.triu(linked))
    centres = _centres(points, owner, n_items) if len(points) else np.full((n_items, 3), np.nan)
    has = np.flatnonzero(np.isfinite(centres[:, 0]))
    if len(has) > 1:
        pairs = cKDTree(centres[has]).query_pairs(radius, output_type="ndarray")
        a, b = np.concatenate([a, has[pairs[:, 0]]]), np.concatenate([b, has[pairs[:, 1]]])
    gap = np.linalg.norm(np.nan_to_num(centres[a] - centres[b], nan=np.inf), axis=1)
    view_of = np.array([it[0] for it in items])
    pieces = (view_of[a] == view_of[b]) & linked[a, b] & (surface is not None)
    order = np.lexsort((b, a, gap, ~pieces))
    labels = _join(a[order], b[order], view_of, pieces[order])
    sizes = np.bincount(labels)
    grouped = sizes[labels] > 1
    for i in np.flatnonzero(~grouped):  # a handful of parts at most
        cand = np.where(grouped, share[i], 0.0)
        j = int(np.argmax(cand))
        if cand[j] >= 0.5:
            labels[i] = labels[j]
    return labels


def _join(a, b, view_of, pieces=None) -> np.ndarray:
    """Union-find over the links (a[k], b[k]) in their order, refusing a link that would put
    two parts of one view in a group unless it joins the pieces of one part (`pieces[k]`):
    a group label per part (labels 0..n-1, dense)."""
    n = len(view_of)
    root = list(range(n))
    views = [1 << int(v) for v in view_of]  # a bit per view (17 views)
    pieces = np.zeros(len(a), bool) if pieces is None else pieces

    def find(i):
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i, j, piece in zip(a.tolist(), b.tolist(), pieces.tolist()):  # dozens to hundreds
        ri, rj = find(i), find(j)
        if ri != rj and (piece or not (views[ri] & views[rj])):
            root[rj] = ri
            views[ri] |= views[rj]
    _, labels = np.unique([find(i) for i in range(n)], return_inverse=True)
    return labels.ravel()


# A place lists its most-hit faces (where it is, to find in a modelling tool) and then faces
# spread over the rest of its hit points, farthest first: a part lost whole along a long length
# (a sword's blade, 900 mm) is listed along it, not only at its middle, so its picture and a
# comparison with another run see all of it.
LISTED_FACES = 5
SPREAD_FACES = 7


def _listed(top: np.ndarray, pts: np.ndarray, faces: np.ndarray) -> tuple[int, ...]:
    """`top` then up to SPREAD_FACES faces of the hit points `pts` (their `faces`), each the
    one farthest from every point of the faces listed so far."""
    out = [int(x) for x in top]
    d = np.full(len(pts), np.inf)
    for f in out:
        at = faces == f
        if at.any():
            d = np.minimum(d, np.sqrt(((pts[:, None] - pts[at][None]) ** 2).sum(-1)).min(1))
    for _ in range(SPREAD_FACES):  # a handful
        d[np.isin(faces, out)] = 0.0
        if not len(d) or not d.max() > 0:
            break
        i = int(np.argmax(d))
        out.append(int(faces[i]))
        d = np.minimum(d, np.sqrt(((pts - pts[i]) ** 2).sum(-1)))
    return tuple(out)


def _regions(rast, grid, results, kind, radius) -> list[_Region]:
    """One entry per 3D region: the part seen largest, its hit points and faces, its views."""
    items, pts, owner, faces = _locate(rast, grid, results, kind)
    if not items:
        return []
    surface = _surface(rast, grid, results, kind) if kind == "lost" else None
    groups = _merge(pts, owner, items, grid, results, kind, radius, surface)
    out = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        best = max(members, key=lambda i: (items[i][3], -i))
        sel = owner == best
        if not sel.any():
            sel = np.isin(owner, members)
        if not sel.any():
            continue
        # a lost part: the surface behind it; a gap: the middle of the rims on either side
        centre = np.median(pts[sel], axis=0) if kind == "lost" else pts[sel].mean(axis=0)
        fids, counts = np.unique(faces[sel], return_counts=True)
        vi, label, w_px, area_px, k = items[best]
        mine = np.isin(owner, members)
        most = fids[np.argsort(-counts, kind="stable")][:LISTED_FACES]
        out.append(_Region(vi, label, w_px, area_px, k, centre,
                           _listed(most, pts[mine], faces[mine]),
                           tuple(sorted({results[items[i][0]].view.name for i in members})),
                           np.unique(faces[mine]), float(pts[mine, UP].max()), pts[sel],
                           len(most)))
    out.sort(key=lambda d: (-d.area_px, d.view, d.label))
    return out


# --- judging ---------------------------------------------------------------------------------

def _mesh_term_mm(analysis, faces, width_mm: float) -> float:
    """What the mesh's facets leave open about a width: a round part of width w drawn as a
    polygon whose facets turn by theta is seen w (1 - cos(theta / 2)) ~ w theta^2 / 8 narrower
    across its flats than across its corners. theta is read as twice the largest angle between
    a face's normal and its vertices' normals (a vertex normal halves the turn to the next
    facet). Turns above FACET_MAX_RAD are designed edges (a square bar), not facets of a
    curve: the mesh is then exactly the shape."""
    if not len(faces) or width_mm <= 0:
        return 0.0
    f = np.asarray(faces)
    fn, vn = analysis.face_normals[f], analysis.vertex_normals[analysis.model.faces[f]]
    cos = np.clip(np.einsum("fj,fkj->fk", fn, vn).min(axis=1), -1.0, 1.0)
    theta = float(np.median(2.0 * np.arccos(cos)))
    if theta > FACET_MAX_RAD:
        return 0.0
    return width_mm * theta * theta / 8.0


def _width_interval(analysis, setup, reg: _Region, glance_px: float,
                    width_px: float | None = None,
                    sampling_px: float = WIDTH_PIXEL_PX) -> tuple[float, float, float]:
    """(width, lo, hi) mm of a part: the sampling's pixel share, the clustering cell, the
    facets either way; the ridge's half-pixel offset from the medial line upwards only (a
    bar read off its centre reads narrower, sil.ridge_bias)."""
    p = setup.grid.pixel_mm
    w_px = reg.width_px if width_px is None else width_px
    w = w_px * p
    # (the facets of its most-hit faces, listed first: those the pixels read it through)
    u = sampling_px * p + 0.5 * setup.raster.cell_mm + \
        _mesh_term_mm(analysis, reg.faces[:reg.hit], w)
    return w, max(w - u, 0.0), w + u + sil.ridge_bias(w_px, glance_px) * p


def _measure(analysis, conditions, setup, results, reg: _Region, kind: str):
    """A part's width interval; when it straddles the threshold, a finer look at the part
    (sil.refine_width: REFINE_SAMPLES a pixel side) narrows the sampling share."""
    T = sil.BAR_SURVIVES * conditions.glance_mm
    glance_px = conditions.glance_mm / setup.grid.pixel_mm
    w, lo, hi = _width_interval(analysis, setup, reg, glance_px)
    if verdict(lo, hi, T, "below") != UNDETERMINED:
        return w, lo, hi
    w_px = sil.refine_width(setup.raster, setup.grid, results[reg.view], kind, reg.index,
                            glance_px, setup.keep_above)
    return _width_interval(analysis, setup, reg, glance_px, w_px, 1.0 / sil.REFINE_SAMPLES)


RIMS_ON_BORDER = 0.5  # share of a gap's rim points that must border the hole seen open
# A gap's centre that falls on a pixel of the figure is not known to miss an opening beside
# it: the outline lies anywhere within its pixel (a pixel half covered reads as the figure).
# There the open pixels within this of the centre's projection are read, the nearest first
# (silhouette:c111022: the centre 0.02 mm inside a 0.6 mm pin's outline, on a pixel 2 of 4
# samples cover, beside the hole between two pins that the glance keeps open).
CENTRE_PIXEL_PX = 1.0
SLOT_MARGIN_PX = 1.5  # a gap's centre lies in a slot of the silhouette where a disc this
# much wider than its distance to the silhouette cannot reach it: a pixel's distance is known
# to half a pixel, and the mean of the rims lies within a pixel of a slot's medial line


def _rims_border(setup, r, rims: np.ndarray, hole: np.ndarray, glance_px: float) -> bool:
    """Do the gap's own rims (the surfaces on either side of it, as its own view hits them)
    project onto the border of this hole (within a glance of it) in view r? Then the hole is
    the same negative space seen from elsewhere, not another one its centre happens to fall
    in (the mean of rims on faces of different depths can float off the gap)."""
    if rims is None or not len(rims):
        return False
    near = ndi.binary_dilation(hole, iterations=max(1, int(math.ceil(glance_px)))) & r.ref
    rows, cols = setup.grid.project(r.view, rims)
    i, j = rows - r.origin[0], cols - r.origin[1]
    ok = (i >= 0) & (i < hole.shape[0]) & (j >= 0) & (j < hole.shape[1])
    on = np.zeros(len(rims), bool)
    on[ok] = near[i[ok], j[ok]]
    return bool(on.mean() >= RIMS_ON_BORDER)


def _slot(ref: np.ndarray, i: int, j: int) -> np.ndarray | None:
    """The slot of the silhouette `ref` that background pixel (i, j) lies in, as a mask of
    ref's shape, or None. A slot is negative space between two sides of the figure facing
    each other: a disc centred on the pixel that touches the figure, SLOT_MARGIN_PX wider,
    fits nowhere over it, so the silhouette's closing by that disc covers it (a notch, a fork
    open at the top, seen face-on). A corner of the outline (an arm standing off the body
    seen from above) is not: beside a right angle, a pixel d from one side and d' from the
    other is covered only by discs wider than d + d' + sqrt(2 d d'). Tested on a window of
    three discs about the pixel (the closing there depends on nothing further); the slot is
    then the closing's whole piece around it."""
    rad = _edt_to(ref, i, j) + SLOT_MARGIN_PX
    if not math.isfinite(rad):
        return None
    k = int(math.ceil(3.0 * rad)) + 2
    i0, j0 = max(0, i - k), max(0, j - k)
    if not sil.closing(ref[i0:i + k + 1, j0:j + k + 1], rad)[i - i0, j - j0]:
        return None
    lab, _ = ndi.label(sil.closing(ref, rad) & ~ref)
    return lab == lab[i, j]


def _edt_to(ref: np.ndarray, i: int, j: int) -> float:
    """Distance (px) from pixel (i, j) to the nearest pixel of ref (inf where it has none)."""
    fi, fj = np.nonzero(ref)
    if not len(fi):
        return float("inf")
    return float(np.sqrt(((fi - i) ** 2 + (fj - j) ** 2).min()))


def _centre_pixels(grid, r, centre: np.ndarray) -> list[tuple[int, int]]:
    """The pixels of view r's crop within CENTRE_PIXEL_PX of a point's projection, nearest
    first (its own pixel, at distance 0, leads); none where its own pixel is off the crop."""
    rows, cols = grid.camera(r.view).image_coords(np.asarray(centre)[None, :])
    y, x = float(rows[0]) - r.origin[0], float(cols[0]) - r.origin[1]
    k = int(math.ceil(CENTRE_PIXEL_PX))
    i0, j0 = int(math.floor(y)), int(math.floor(x))
    if not (0 <= i0 < r.ref.shape[0] and 0 <= j0 < r.ref.shape[1]):
        return []
    out = []
    for i in range(i0 - k, i0 + k + 1):
        for j in range(j0 - k, j0 + k + 1):
            if not (0 <= i < r.ref.shape[0] and 0 <= j < r.ref.shape[1]):
                continue
            d = math.hypot(max(i - y, 0.0, y - (i + 1)), max(j - x, 0.0, x - (j + 1)))
            if d <= CENTRE_PIXEL_PX:
                out.append((d, i, j))
    return [(i, j) for _d, i, j in sorted(out)]


def _open_elsewhere(setup, results, reg: _Region, glance_px: float, memo: dict):
    """The widest reading of a gap place in the views where no part of it closes: (width,
    lo, hi) mm, or None where no other view sees through it.

    The gap's centre (the mean of the rims on either side of it, a point in the air near
    it) is projected into every other view; where its pixel lies in a hole of that view's
    silhouette (enclosed by the figure) or a slot of it (between two sides facing each
    other: a notch, a fork open at the top, `_slot`) that the glance keeps open, that view
    sees through the same negative space (a window or a notch seen face-on), and the glance
    blur there gives its equivalent-bar width (1 - v, as for a closing gap). The reading is
    at the centre, not on the gap's medial line, so it can only read low: a lower bound
    (hi = inf). A hole or a slot, not any open pixel: the rims of an arm held close to the body lie on faces at different
    depths, so their mean can float beside the gap, in the open notch between arm and body
    seen from above, which says nothing about the gap itself.
    """
    p = setup.grid.pixel_mm
    u = WIDTH_PIXEL_PX * p + 0.5 * setup.raster.cell_mm
    best = None
    for r in results:  # 17 views
        if r.view.name in reg.views or r.coverage is None or not r.ref.any():
            continue
        near = _centre_pixels(setup.grid, r, reg.centre)  # its own pixel first
        if not near:
            continue
        for i, j in near if r.ref[near[0]] else near[:1]:
            if r.ref[i, j] or r.glance[i, j]:
                continue
            if r.view.name not in memo:  # once per view: its holes and its glance blur
                lab, _ = ndi.label(ndi.binary_fill_holes(r.ref) & ~r.ref)
                memo[r.view.name] = (lab, sil.Blur(r.coverage, glance_px)(glance_px))
            holes, gblur = memo[r.view.name]
            seen = holes == holes[i, j] if holes[i, j] else _slot(r.ref, i, j)
            if seen is not None and _rims_border(setup, r, reg.rims, seen, glance_px):
                break
        else:
            continue
        v = float(gblur[i, j])
        w = float(sil.bar_width(np.array([1.0 - v]), glance_px)[0]) * p
        if best is None or w > best[0]:
            best = (w, max(w - u, 0.0), float("inf"))
    return best


def _kept_elsewhere(setup, results, reg: _Region, glance_px: float, memo: dict):
    """The widest reading of a lost part in the views that do not lose it: (width, lo, hi) mm,
    or None where no other view shows it on the outline.

    In every view that does not lose the part, the pixels of that view's medial ridge (local
    maxima of the distance to the background, as a lost part is read: `sil._ridge_median`) within
    a glance of the part's own surface points (as the view that loses it hits them, projected)
    are unprojected; those whose surface lies within a glance of the part's (the part seen, not
    a body in front of it) are the part as that view sees it. Ridge pixels of a body (over a
    glance from the background) or within two glances of one are left out: a body's blur spills
    a glance into the background, and a part read beside one reads wide. The median glance blur
    along them is the part's equivalent-bar width there (`sil.bar_width`). A bar's end fades
    into the background over about a glance (the points of a post's top lie at its end), so the
    reading can only be low: a lower bound (hi = inf).

    Why: a post standing on a terrain tile is a dot seen from the top (the tile is the base,
    left out), which a glance loses, and a bar from every side, which a glance keeps. A part is
    judged where it is largest, as a gap is (`_open_elsewhere`), not where it is seen end-on.
    The caller bounds the reading by the part's widest where it is lost (`_judge_parts`)."""
    from scipy.spatial import cKDTree

    pts = reg.rims
    if pts is None or not len(pts):
        return None
    p = setup.grid.pixel_mm
    u = WIDTH_PIXEL_PX * p + 0.5 * setup.raster.cell_mm
    G = int(math.ceil(glance_px))
    tree = cKDTree(pts)
    best = None
    for r in results:  # 17 views
        if r.view.name in reg.views or r.coverage is None or not r.ref.any():
            continue
        rows, cols = setup.grid.project(r.view, pts)
        i, j = rows - r.origin[0], cols - r.origin[1]
        H, W = r.ref.shape
        i0, i1 = max(int(i.min()) - G, 0), min(int(i.max()) + G + 1, H)
        j0, j1 = max(int(j.min()) - G, 0), min(int(j.max()) + G + 1, W)
        if i0 >= i1 or j0 >= j1:
            continue
        if r.view.name not in memo:  # once per view: outline and body distances, glance blur
            edt = ndi.distance_transform_edt(r.ref)
            core = edt > glance_px
            to_body = ndi.distance_transform_edt(~core) if core.any() else np.full(edt.shape,
                                                                                 np.inf)
            memo[r.view.name] = (edt, to_body, sil.Blur(r.coverage, glance_px)(glance_px))
        edt, to_body, gblur = memo[r.view.name]
        marks = np.zeros((i1 - i0, j1 - j0), bool)
        inside = (i >= i0) & (i < i1) & (j >= j0) & (j < j1)
        marks[i[inside] - i0, j[inside] - j0] = True
        near = ndi.distance_transform_edt(~marks) <= glance_px
        e = edt[i0:i1, j0:j1]
        ridge = ((e > 0) & (e >= ndi.maximum_filter(e, size=3)) & (e <= glance_px)
                 & (to_body[i0:i1, j0:j1] > 2.0 * glance_px))
        ci, cj = np.nonzero(near & ridge)
        if not len(ci):
            continue
        hits, _fid, hit = setup.raster.pixel_hits(setup.grid.camera(r.view),
                                                  ci + i0 + r.origin[0], cj + j0 + r.origin[1])
        d, _ = tree.query(hits[hit], distance_upper_bound=glance_px * p)
        seen = np.flatnonzero(hit)[np.isfinite(d)]
        if not len(seen):
            continue
        v = float(np.median(gblur[ci[seen] + i0, cj[seen] + j0]))
        w = float(sil.bar_width(np.array([v]), glance_px)[0]) * p
        if best is None or w > best[0]:
            best = (w, max(w - u, 0.0), float("inf"))
    return best


def _judge_parts(analysis, conditions, setup, results, kind, ev, face_values):
    """MS401 (kind 'lost') or MS402 ('gap') per region: findings, measurements, the pixels
    of the failing parts per view. A gap that another view sees open is judged there, at its
    widest (as a part is judged where it is largest): a window through a thick part is a
    slit only where it is seen obliquely. So is a part lost as a dot (STUB_GLANCES) that
    another view keeps as a bar as wide: a post is a dot only where it is seen end-on. The reading
    there is no wider than the part's widest in the view that loses it: a flat part (an ear, a
    blade) is kept face-on and thin across edge-on, and edge-on it is judged."""
    rule = MS401 if kind == "lost" else MS402
    D, T = conditions.distance_mm, sil.BAR_SURVIVES * conditions.glance_mm
    T_arc = sil.BAR_SURVIVES * conditions.glance_arcmin
    glance_px = conditions.glance_mm / setup.grid.pixel_mm
    findings, measurements, failing, memo = [], [], {}, {}
    for reg in _regions(setup.raster, setup.grid, results, kind, conditions.glance_mm):
        if setup.base.detected and reg.top_mm <= setup.base.top_mm + conditions.glance_mm:
            continue  # relief on the base (lettering, a rim): the stand's, not the pose's
        if kind == "gap":
            wide = _open_elsewhere(setup, results, reg, glance_px, memo)
        elif reg.area_px <= STUB_GLANCES * glance_px * max(reg.width_px, 1e-9):
            wide = _kept_elsewhere(setup, results, reg, glance_px, memo)
            if wide is not None:  # no wider than the view that loses it shows it across
                widest, least = _widest_mm(results[reg.view], reg, kind, setup)
                wide = (min(wide[0], widest), min(wide[1], least), wide[2])
        else:  # lost as a bar: thin across in that view, whatever the others show
            wide = None
        if wide is not None and (kind == "gap" or wide[1] >= T):
            # never a fail: that view's glance keeps it open (a gap), or keeps it (a part)
            w, lo, hi = wide
        else:
            w, lo, hi = _measure(analysis, conditions, setup, results, reg, kind)
        v = ev.judge(rule, lo, hi, T)
        measurements.append(Measurement("protrusion_width_mm" if kind == "lost" else "gap_width_mm",
                                        w, lo, hi, tuple(map(float, reg.centre)), code=rule.code,
                                        verdict=v))
        if v == UNDETERMINED:
            ev.unsure(f"{kind}-width", _settle(kind, T, 0.5 * (hi - lo)))
        if v != FAIL:
            continue
        failing.setdefault(reg.view, []).append(reg.index)
        face_values[reg.all_faces] = w
        findings.append(_part_finding(rule, kind, conditions, results, reg, w, (lo, hi), T, T_arc,
                                      _widest_mm(results[reg.view], reg, kind, setup)))
    return findings, measurements, failing


def _settle(kind: str, T: float, u: float) -> str:
    what = "thin parts" if kind == "lost" else "gaps"
    fix = "thicken them" if kind == "lost" else "open them"
    return (f"{what} whose width lies within the measurement's uncertainty (±{u:.2g} mm: a "
            f"pixel of the silhouette and the mesh's facets) of the {T:.2g} mm a glance keeps; "
            f"{fix} to {T + 2 * u:.2g} mm to be sure")


# a lost part whose widest is this many times its equivalent-bar width is not a bar: a blob
# or a short stub is fainter at a glance than a bar as wide (a 0.2 mm dot reads as a 0.03 mm
# bar), and its message says both (1.5: a straight bar's widest is its width to a pixel)
NOT_A_BAR = 1.5


def _widest_mm(r, reg: _Region, kind: str, setup) -> tuple[float, float]:
    """A lost part's widest across (mm) in the view that shows it largest and the least it
    can be (a pixel less: its raster's edges lie anywhere within their pixels); 0 if not
    known."""
    widest = r.lost_parts.widest_px if kind == "lost" else None
    if widest is None:
        return 0.0, 0.0
    px = float(widest[reg.index])
    return px * setup.grid.pixel_mm, max(px - 1.0, 0.0) * setup.grid.pixel_mm


def _part_finding(rule, kind, c, results, reg: _Region, w, rng, T, T_arc,
                  widest: tuple[float, float] = (0.0, 0.0)) -> Finding:
    D = c.distance_mm
    r = results[reg.view]
    arc = vision.angular_size_arcmin
    seen = f" (in {len(reg.views)} of 17 views)" if len(reg.views) > 1 else ""
    # the part vanishes at a glance for every distance at which even its widest reading is
    # below what a glance keeps: D > w_hi / (0.573 tan(glance))
    holds = (D * rng[1] / T, float("inf"))
    loc = Location(tuple(float(x) for x in reg.centre), faces=reg.faces, view=r.view.name)
    common = dict(measured=arc(w, D), measured_range=(arc(rng[0], D), arc(rng[1], D)),
                  threshold=T_arc, unit="arcmin", location=loc, holds_mm=holds)
    target = max(T, printable_floor_mm(c))
    if kind == "lost":
        also = "" if r.fine_keeps[reg.index] else "; it is below the eye's resolution even on a close look"
        bar = widest[1] <= NOT_A_BAR * w
        size = (f"thin part {w:.2f} mm across ({arc(w, D):.1f}′)" if bar
                else f"small part {widest[0]:.2g} mm across at its widest, as faint as a bar "
                     f"{w:.2f} mm across ({arc(w, D):.1f}′),")
        # a round dot keeps its centre through a Gaussian glance of FWHM g only when it is g
        # across (1 - exp(-(d/2)^2 / 2 sigma^2) = 1/2 at d = g), a bar at 0.573 g (T)
        fix = (f"Thicken it to at least {target:.2f} mm (real {c.real_mm(target):.0f} mm at "
               f"1:{c.scale_n:g})" if bar else
               f"Enlarge it (a long bar keeps at {target:.2f} mm across, a round dot only at "
               f"{max(c.glance_mm, target):.2f} mm)")
        return Finding(
            rule.code, f"{size} vanishes at a glance from {D:g} mm, seen from "
                       f"{r.view.name}{seen}{also}",
            advice=f"{fix} or exaggerate it, as sculptors do for spears and fingers; "
                   f"otherwise it reads only from closer than {holds[0]:.0f} mm.", **common)
    return Finding(
        rule.code, f"gap {w:.2f} mm wide ({arc(w, D):.1f}′) fills in at a glance from {D:g} mm, "
                   f"seen from {r.view.name}{seen}: the shapes on either side merge",
        advice=f"Open the gap to at least {target:.2f} mm, or pose the limb clear of the body, "
               f"so the negative space still reads at a glance.", **common)


def _why(n: dict) -> str:
    why = []
    if n["limbs_kept"] < 0.9:
        why.append(f"limbs keep {100 * n['limbs_kept']:.0f}% of their reach")
    if n["lost_parts"]:
        k = n["lost_parts"]
        why.append(f"{k} thin part{'s vanish' if k > 1 else ' vanishes'}")
    if n["closed_gaps"]:
        k = n["closed_gaps"]
        why.append(f"{k} gap{'s close' if k > 1 else ' closes'}")
    if n["iou"] <= 0.0 and n["area_px"] > 0:
        # (a glance that keeps nothing has no outline: its clutter reads 1, not wiggles)
        why.append("nothing of it is left at a glance: the whole view is smaller than a glance "
                   "keeps")
    elif n["clutter"] > 0.15:
        why.append(f"{100 * n['clutter']:.0f}% of the outline is small wiggles")
    return f" ({', '.join(why)})" if why else ""


def _hero(results) -> tuple[int, int]:
    """(hero, worst) view indices: the best side view (ties: more readable limbs, then view
    order) and the worst of all."""
    scores = np.array([r.numbers["score"] for r in results])
    limbs = np.array([r.numbers["readable_extremities"] for r in results])
    overhead = np.array([r.view.elevation_deg > OVERHEAD_DEG for r in results])
    order = np.lexsort((np.arange(len(results)), -limbs, -scores, overhead))
    return int(order[0]), int(np.lexsort((np.arange(len(results)), scores))[0])


def _judge_views(conditions, results, hero, ev) -> list[Finding]:
    """MS403 per view on its score interval; MS404 on the side views' best."""
    out = []
    for r in results:
        n = r.numbers
        v = ev.judge(MS403, n["score_lo"], n["score_hi"], UNREADABLE_SCORE)
        if v == UNDETERMINED:
            ev.unsure("view-score", "view scores within what a pixel of blur moves them "
                      f"(the score with the glance ±{sil.SCORE_BLUR_DELTA_PX:g} px) of the "
                      "readability thresholds; look at the silhouette sheet")
        if v == FAIL:
            out.append(Finding(
                MS403.code, f"view {r.view.name} reads poorly at a glance: score "
                            f"{n['score']:.0f}/100{_why(n)}",
                measured=float(n["score"]), measured_range=(n["score_lo"], n["score_hi"]),
                threshold=UNREADABLE_SCORE, unit="score", location=Location(view=r.view.name),
                advice="Fine if this is not a display angle; otherwise bolden the outline "
                       "from here (fewer, larger shapes)."))
    side = [r for r in results if r.view.elevation_deg <= OVERHEAD_DEG]
    best_hi = max(r.numbers["score_hi"] for r in side)
    h = results[hero].numbers
    lo = min(h["score_lo"], best_hi)
    v = ev.judge(MS404, lo, best_hi, GOOD_SCORE)
    if v == UNDETERMINED:
        ev.unsure("view-score", "view scores within what a pixel of blur moves them of the "
                  "readability thresholds; look at the silhouette sheet")
    if v == FAIL:
        out.append(Finding(
            MS404.code, f"no view reads clearly at a glance from {conditions.distance_mm:g} mm: "
                        f"best is {results[hero].view.name} at {h['score']:.0f}/100",
            measured=float(h["score"]), measured_range=(lo, best_hi), threshold=GOOD_SCORE,
            unit="score", location=Location(view=results[hero].view.name),
            advice="Exaggerate the pose: separate limbs from the body, thicken thin parts "
                   "and simplify the outline so one angle reads as a clear shape."))
    return out


# --- the run ---------------------------------------------------------------------------------

def _unresolved_reason(conditions, grid) -> str:
    return (f"the model spans {2 * grid.radius_mm / conditions.resolvable_mm:,.0f} eye pixels "
            f"at {conditions.distance_mm:g} mm, more than the {grid.n} px silhouette grid: "
            f"parts under {2 * sil.MIN_REACH_PX * grid.pixel_mm:.2g} mm are not resolved, so "
            f"thin parts and gaps (MS401/MS402) were not measured (check --units and --distance)")


def _views(setup, conditions) -> list:
    """The squint test of every view; candidates come from a slightly wider glance."""
    p = setup.grid.pixel_mm
    eye_px, glance_px = conditions.resolvable_mm / p, conditions.glance_mm / p
    u_px = WIDTH_PIXEL_PX + 0.5 * setup.raster.cell_mm / p
    probe_px = glance_px + PROBE_MARGIN * u_px / sil.BAR_SURVIVES
    return [sil.analyse_view(v, setup.masks[k], eye_px, glance_px, probe_px)
            for k, v in enumerate(setup.views)]


def _keep_failing(results, failing: dict, kind: str) -> None:
    """Narrow each view's part mask to the parts that fail (what the pictures draw)."""
    for vi, r in enumerate(results):
        p = _parts(r, kind)
        ids = p.ids[failing.get(vi, [])] if len(p.ids) else p.ids
        lost_now = (r.ref & ~r.glance) if kind == "lost" else (r.glance & ~r.ref)
        mask = np.isin(p.lab, ids) & lost_now if len(ids) else np.zeros_like(r.ref)
        setattr(r, "lost_mask" if kind == "lost" else "closed_mask", mask)


def run(model, conditions, analysis) -> CheckResult:
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "the mesh has no faces")
    setup = _setup(model, conditions, analysis)
    grid = setup.grid
    results = _views(setup, conditions)
    ev = Evidence(FAMILY)
    resolved = conditions.glance_mm / grid.pixel_mm >= sil.MIN_GLANCE_PX
    reason = None if resolved else _unresolved_reason(conditions, grid)
    if not resolved:
        ev.count(MS401, UNDETERMINED)
        ev.unsure("grid", "the silhouette grid is coarser than a glance at this distance "
                  "(check --units and --distance)")
    face_prot = np.full(model.n_faces, np.nan)
    face_gap = np.full(model.n_faces, np.nan)
    f401, m401, fail401 = _judge_parts(analysis, conditions, setup, results, "lost", ev, face_prot)
    f402, m402, fail402 = _judge_parts(analysis, conditions, setup, results, "gap", ev, face_gap)
    _keep_failing(results, fail401, "lost")
    _keep_failing(results, fail402, "gap")
    for vi, r in enumerate(results):
        r.numbers["lost_parts"] = len(fail401.get(vi, []))
        r.numbers["closed_gaps"] = len(fail402.get(vi, []))
    hero, worst = _hero(results)
    findings = f401 + f402 + _judge_views(conditions, results, hero, ev)
    findings += list(ev.findings())
    metrics = _metrics(conditions, setup, results, hero, worst, findings, ev)
    layers = _layers(model, analysis, setup, results, hero, worst, face_prot, face_gap)
    return CheckResult(FAMILY, "ok", reason, metrics, tuple(findings), layers=layers,
                       measurements=tuple(m401 + m402))


def _metrics(c, setup, results, hero, worst, findings, ev) -> dict:
    grid = setup.grid
    scores = np.array([r.numbers["score"] for r in results])
    per_view = {r.view.name: {k: v for k, v in r.numbers.items() if k != "area_px"}
                | {"area_mm2": r.numbers["area_px"] * grid.pixel_mm ** 2} for r in results}
    return {
        "projection": "parallel", "views": per_view,
        "view_scores": {r.view.name: r.numbers["score"] for r in results},
        "hero_view": results[hero].view.name, "hero_score": float(scores[hero]),
        "worst_view": results[worst].view.name, "worst_score": float(scores[worst]),
        "mean_score": float(scores.mean()),
        "views_unreadable": sum(f.code == MS403.code for f in findings),
        "lost_parts": sum(f.code == MS401.code for f in findings),
        "closed_gaps": sum(f.code == MS402.code for f in findings),
        "grid_px": grid.n, "pixel_mm": grid.pixel_mm,
        "eye_fwhm_mm": c.resolvable_mm, "glance_fwhm_mm": c.glance_mm,
        "survive_width_mm": sil.BAR_SURVIVES * c.glance_mm,
        "survive_width_arcmin": sil.BAR_SURVIVES * c.glance_arcmin,
        "height_eye_px": results[0].numbers["height_eye_px"],
        # False when the model spans more eye pixels than the grid holds (N_MAX): the glance
        # is then finer than a working pixel and MS401/MS402 cannot be measured
        "glance_resolved": bool(c.glance_mm / grid.pixel_mm >= sil.MIN_GLANCE_PX),
        "base_excluded": bool(setup.base.detected),
        "base_top_mm": float(setup.base.top_mm) if setup.base.detected else None,
        "raster": {"faces": setup.raster.n_faces, "cell_mm": setup.raster.cell_mm},
        "thresholds": {"unreadable_score": UNREADABLE_SCORE, "good_score": GOOD_SCORE},
        "verdicts": ev.metrics(),
    }


def _layers(model, analysis, setup, results, hero, worst, face_prot, face_gap) -> SilhouetteLayers:
    grid = setup.grid
    views = tuple(SilhouetteView(
        r.view.name, grid.camera(r.view).to_dict(), r.origin, (grid.n, grid.n), r.ref, r.fine,
        r.glance, r.lost_mask, r.closed_mask, float(r.numbers["score"]), dict(r.numbers))
        for r in results)
    face_base = None
    if setup.base.detected:
        face_base = analysis.face_centroids[:, UP] <= setup.keep_above[1]
    return SilhouetteLayers(views, results[hero].view.name, results[worst].view.name,
                            bool(setup.base.detected), face_prot, face_gap, face_base)
