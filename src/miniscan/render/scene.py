"""Cameras, views and the one lit mesh renderer every picture uses.

All pictures use a *parallel* (orthographic) camera: one pixel is the same number of model
millimetres everywhere in the frame, so scale bars are exact and a 3D point projects to the
screen with a closed formula (`Camera.project`) that the callouts and the tests share.

Views are named relative to the model's front (`conditions.front`, e.g. "-y"), with +z up:
front, back, left, right (azimuth 0/180/+90/-90 deg), three-quarter (35 deg, 20 deg up), top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model import Model

# name -> (azimuth deg from the front, elevation deg)
VIEWS: dict[str, tuple[float, float]] = {
    "three-quarter": (35.0, 20.0),
    "front": (0.0, 0.0),
    "back": (180.0, 0.0),
    "left": (90.0, 0.0),
    "right": (-90.0, 0.0),
    "top": (0.0, 90.0),
    "front-high": (0.0, 35.0),
    "back-three-quarter": (215.0, 20.0),
}
DEFAULT_HERO = "three-quarter"
HEAT_VIEWS = ("three-quarter", "back-three-quarter", "top")

_FRONTS = {"-y": (0.0, -1.0, 0.0), "+y": (0.0, 1.0, 0.0), "-x": (-1.0, 0.0, 0.0),
           "+x": (1.0, 0.0, 0.0)}

# Above this many faces a vertex-clustered copy is drawn: a 1600 px picture shows fewer faces
# than it has pixels, and software GL (llvmpipe) pays per triangle.
DRAWN_FACES_MAX = 150_000
# Frame margin around the model (1.08 = 4% of the frame's height free on each side).
FRAME_MARGIN = 1.08
# Lambert-dominated "primer" shading: enough ambient to read the shadow side, a faint
# specular so form reads without highlights competing with the heat-map colours.
SHADING = {"ambient": 0.28, "diffuse": 0.72, "specular": 0.06, "specular_power": 20.0}
BACKGROUND = (255, 255, 255)
BASE_COLOR = (0.80, 0.78, 0.74)  # a primer grey, slightly warm
NAN_COLOR = (0.72, 0.72, 0.72)


def view_direction(name: str, front: str = "-y") -> np.ndarray:
    """Unit vector from the model towards the camera for a named view."""
    if name not in VIEWS:
        raise ValueError(f"unknown view {name!r}; choose from: {', '.join(VIEWS)}")
    az, el = (math.radians(x) for x in VIEWS[name])
    f = np.asarray(_FRONTS.get(front, _FRONTS["-y"]))
    z = np.array([0.0, 0.0, 1.0])
    side = np.cross(z, f)
    d = math.cos(el) * (math.cos(az) * f + math.sin(az) * side) + math.sin(el) * z
    return d / np.linalg.norm(d)


@dataclass(frozen=True)
class Camera:
    """A parallel camera; `project` maps model mm to pixel (x right, y down) coordinates."""

    focal: tuple[float, float, float]
    direction: tuple[float, float, float]  # unit, from focal towards the camera
    up: tuple[float, float, float]  # unit, orthogonal to direction
    parallel_scale: float  # half the frame height in model mm (VTK's definition)
    width: int
    height: int
    name: str = ""

    @property
    def right(self) -> np.ndarray:
        return np.cross(-np.asarray(self.direction), np.asarray(self.up))

    @property
    def mm_per_px(self) -> float:
        return 2.0 * self.parallel_scale / self.height

    def position(self, distance: float) -> np.ndarray:
        return np.asarray(self.focal) + distance * np.asarray(self.direction)

    def project(self, points) -> np.ndarray:
        """(n, 3) model mm -> (n, 2) pixel coordinates (origin top-left, y down)."""
        p = np.atleast_2d(np.asarray(points, dtype=np.float64)) - np.asarray(self.focal)
        k = 1.0 / self.mm_per_px
        x = self.width / 2.0 + (p @ self.right) * k
        y = self.height / 2.0 - (p @ np.asarray(self.up)) * k
        return np.stack([x, y], axis=1)

    def depth(self, points) -> np.ndarray:
        """Distance along the viewing direction towards the camera (larger = nearer)."""
        p = np.atleast_2d(np.asarray(points, dtype=np.float64)) - np.asarray(self.focal)
        return p @ np.asarray(self.direction)

    def scaled_to(self, width: int, height: int) -> "Camera":
        return Camera(self.focal, self.direction, self.up, self.parallel_scale, width, height,
                      self.name)


def fit_camera(vertices: np.ndarray, name: str, width: int, height: int, front: str = "-y",
               margin: float = FRAME_MARGIN, mm_per_px: float | None = None,
               direction=None) -> Camera:
    """A camera looking at the model from a named view, framing every vertex.

    With mm_per_px the zoom is fixed instead; `direction` (model -> camera) overrides the
    named view (a hero view exported by the silhouette family).
    """
    if direction is not None:
        d = np.asarray(direction, dtype=np.float64)
        d = d / np.linalg.norm(d)
    else:
        d = view_direction(name, front)
    z = np.array([0.0, 0.0, 1.0])
    if abs(d @ z) > 0.999:  # top or bottom: the model's front points down the frame
        up = -np.asarray(_FRONTS.get(front, _FRONTS["-y"])) * np.sign(d @ z)
    else:
        up = z - (z @ d) * d
    up = up / np.linalg.norm(up)
    right = np.cross(-d, up)
    v = np.asarray(vertices, dtype=np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    center = (lo + hi) / 2.0
    # project the vertices (not only the box) for a tight, view-dependent frame
    rel = v - center
    u, w = rel @ right, rel @ up
    cu, cw = (u.min() + u.max()) / 2.0, (w.min() + w.max()) / 2.0
    focal = center + cu * right + cw * up
    half_h = max((w.max() - w.min()) / 2.0, (u.max() - u.min()) / 2.0 * height / width, 1e-9)
    scale = half_h * margin if mm_per_px is None else mm_per_px * height / 2.0
    return Camera(tuple(focal), tuple(d), tuple(up), float(scale), int(width), int(height), name)


def frame_points(vertices: np.ndarray, small: int = 5000) -> np.ndarray:
    """The points that decide any parallel frame: the convex hull's vertices (projected
    extents of the hull equal those of the whole mesh), or all points when few or flat."""
    v = np.asarray(vertices, dtype=np.float64)
    if len(v) <= small:
        return v
    try:
        from scipy.spatial import ConvexHull

        return v[ConvexHull(v).vertices]
    except Exception:  # flat or degenerate: qhull refuses
        return v


def render_mesh(model: Model, max_faces: int = DRAWN_FACES_MAX):
    """(vertices, faces, face_map) to draw: the model itself, or above max_faces a vertex-
    clustered copy (a 1600 px picture cannot show more faces than it has pixels, and a
    software GL pays per triangle). Clustering snaps vertices to a voxel grid sized so that
    about max_faces faces survive; every surviving face is an original face with moved
    corners, so face_map[i] (the original face id) carries per-face values over exactly.
    """
    v, f = np.asarray(model.vertices), np.asarray(model.faces)
    if len(f) <= max_faces:
        return v, f, None
    tri = v[f]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    voxel = float(np.sqrt(2.0 * area.sum() / max_faces))
    if not np.isfinite(voxel) or voxel <= 0:
        return v, f, None
    q = np.floor((v - v.min(axis=0)) / voxel).astype(np.int64)
    dims = q.max(axis=0) + 1
    key = (q[:, 0] * dims[1] + q[:, 1]) * dims[2] + q[:, 2]
    _, cluster, counts = np.unique(key, return_inverse=True, return_counts=True)
    cluster = cluster.ravel()
    nv = len(counts)
    cv = np.stack([np.bincount(cluster, weights=v[:, j], minlength=nv) for j in range(3)],
                  axis=1) / counts[:, None]
    cf = cluster[f]
    keep = (cf[:, 0] != cf[:, 1]) & (cf[:, 1] != cf[:, 2]) & (cf[:, 0] != cf[:, 2])
    face_map = np.flatnonzero(keep)
    if len(face_map) == 0:
        return v, f, None
    return cv, cf[keep], face_map.astype(np.int64)


class Renderer:
    """One off-screen plotter reused for every render of one model.

    The mesh is uploaded once with a per-face RGB array; `set_colors` rewrites that array in
    place and `render(camera)` moves the camera (and resizes the window when the camera asks
    for another size). Re-adding actors costs seconds per layer on a 1M-face mesh; this does
    not. Above `max_faces` a clustered copy is drawn (see render_mesh).
    """

    def __init__(self, model: Model, width: int, height: int, max_faces: int = DRAWN_FACES_MAX):
        from . import gl
        import pyvista as pv

        self.model = model
        self.width, self.height = int(width), int(height)
        self.pl = gl.plotter(self.width, self.height)
        self.pl.set_background(tuple(c / 255 for c in BACKGROUND))
        self.pl.enable_parallel_projection()
        self.pl.ren_win.SetMultiSamples(0)  # MSAA costs 2-3x on software GL (and EGL VTK has no FXAA)
        v, f, self.face_map = render_mesh(model, max_faces)
        cells = np.hstack([np.full((len(f), 1), 3, dtype=np.int64), f]).ravel()
        self.pd = pv.PolyData(np.asarray(v, dtype=np.float64), cells)
        self.n_drawn = len(f)
        self._colors = np.empty((len(f), 3), dtype=np.uint8)
        self._colors[:] = (np.asarray(BASE_COLOR) * 255).round().astype(np.uint8)
        self.pd.cell_data["colors"] = self._colors
        self._actor = self.pl.add_mesh(
            self.pd, scalars="colors", rgb=True, show_scalar_bar=False, lighting=True,
            smooth_shading=False, **SHADING)
        self._arr = self.pd.cell_data["colors"]
        self._state = "base"
        self._extent = float(np.ptp(np.asarray(v), axis=0).max())
        self.frame = frame_points(model.vertices)  # for fit_camera: same frames, far cheaper

    def close(self) -> None:
        try:
            self.pl.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def set_layer(self, layer) -> None:
        """Paint a render.layers.Layer (colours computed only for the faces drawn)."""
        self.set_colors(layer.colors(self.face_map), drawn=True)

    def set_colors(self, rgb: np.ndarray | None, drawn: bool = False) -> None:
        """Per-face uint8 RGB for the model's faces (None: the plain primer grey)."""
        if rgb is None:
            if self._state == "base":
                return
            self._arr[:] = (np.asarray(BASE_COLOR) * 255).round().astype(np.uint8)
            self._state = "base"
        else:
            rgb = np.asarray(rgb, dtype=np.uint8)
            self._arr[:] = rgb if (self.face_map is None or drawn) else rgb[self.face_map]
            self._state = "colors"
        self.pd.GetCellData().GetArray("colors").Modified()
        self.pd.Modified()

    def render(self, camera: Camera, rgb: np.ndarray | None | str = "keep") -> np.ndarray:
        """HxWx3 uint8 image through `camera` (rgb: new face colours, None: plain grey)."""
        if not (isinstance(rgb, str) and rgb == "keep"):
            self.set_colors(rgb)
        if (camera.width, camera.height) != (self.width, self.height):
            self.width, self.height = int(camera.width), int(camera.height)
            self.pl.window_size = [self.width, self.height]
        c = self.pl.camera
        dist = 10.0 * max(camera.parallel_scale, self._extent)
        c.focal_point = tuple(camera.focal)
        c.position = tuple(camera.position(dist))
        c.up = tuple(camera.up)
        c.parallel_projection = True
        c.parallel_scale = camera.parallel_scale
        c.clipping_range = (dist * 0.01, dist * 3.0)
        # one Render per picture: pyvista's render() is a no-op before the first show, and
        # screenshot() does the first show itself (a second explicit Render doubled the cost)
        self.pl.render()
        img = self.pl.screenshot(return_img=True)
        return np.ascontiguousarray(img[:, :, :3])


def vtk_project(renderer: Renderer, camera: Camera, points) -> np.ndarray:
    """The same projection done by VTK itself (used by tests to check Camera.project)."""
    renderer.render(camera)
    ren = renderer.pl.renderer
    out = []
    for p in np.atleast_2d(points):
        ren.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        out.append((x, renderer.height - y))
    return np.asarray(out)
