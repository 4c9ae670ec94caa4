"""The "rotate it slowly under one lamp" renderer (MS302): specular-only light-orbit frames.

The model is drawn from its main view (the `front` side, z up) with a perspective camera at
the viewing distance, in a window whose pixels are one resolvable size r each at the model
(capped at `max_px` pixels across; the actual pixel size is returned). Surfaces are black
with a white Phong highlight of exponent n = 2 ln 2 / phi^2 per finish (VTK's per-fragment
Phong: half maximum at phi off the mirror direction), lit by one directional light and
nothing else. The lamp circles the view axis on a cone; the cone is chosen so the lamp
moves half a lobe width (phi/2) per frame, i.e. a smooth surface's highlight glides and
overlaps itself from frame to frame, and what jumps is the surface's doing. The cone is at
most 30 degrees (a desk lamp near the viewer): for a matte lobe (0.6 rad) the lamp then stays
inside the lobe of a surface facing the eye, which keeps a broad sheen that small relief
only dims and brightens — as a matte finish does — instead of isolated glints on the few
facets tilted towards a grazing lamp.

Returns the frames (uint8 H x W, the specular intensity) and their highlight masks
(intensity at least half the peak). Deterministic: no anti-aliasing jitter, fixed orbit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import gl

STEPS = 24
MAX_FACES_PER_PIXEL = 8  # above this, cluster the mesh to CLUSTER_PX-pixel cells first
# cell of the vertex clustering, in pixels: Nyquist for the eye's pixel (1 px would be 2.3x
# faster but smooths away glints the eye still sees)
CLUSTER_PX = 0.5
MAX_CONE_DEG = 30.0  # a lamp near the viewer (a desk lamp), not a grazing one
HALF_PEAK = 128  # highlight mask: at least half the peak intensity (the lobe's half width)

_VIEW = {  # front -> (direction from the eye to the model, image up)
    "-y": (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])),
    "+y": (np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0])),
    "-x": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])),
    "+x": (np.array([-1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])),
}


@dataclass
class Orbit:
    frames: list  # uint8 (H, W) specular intensity, one per light position
    masks: list  # bool (H, W): highlight at >= half peak
    pixel_mm: float  # size of one pixel at the model, mm
    view: str  # e.g. "front(-y)"
    cone_deg: float  # half-angle of the lamp's cone around the view axis
    light_dirs: np.ndarray  # (steps, 3) unit vectors from the model towards the lamp
    model_pixels: int  # pixels covered by the model (any frame-independent coverage)
    coverage: np.ndarray = field(repr=False, default=None)  # bool (H, W) model footprint


def exponent_for(lobe_rad: float) -> float:
    """Phong exponent whose lobe has half maximum at lobe_rad: n = 2 ln 2 / phi^2."""
    return 2.0 * math.log(2.0) / (lobe_rad * lobe_rad)


def cone_for(lobe_rad: float, steps: int = STEPS) -> float:
    """Half-angle (rad) of the lamp's cone so it moves lobe/2 per step."""
    s = steps * lobe_rad / (4.0 * math.pi)
    return min(math.radians(MAX_CONE_DEG), math.asin(min(1.0, s)))


def light_orbit(vertices: np.ndarray, faces: np.ndarray, face_lobe: np.ndarray,
                resolvable_mm: float, distance_mm: float, front: str = "-y",
                steps: int = STEPS, max_px: int = 1024) -> Orbit:
    """Render `steps` specular-only frames while one lamp circles the view axis.

    face_lobe: lobe half-width phi (rad) of every face (per-part finishes).
    """
    import pyvista as pv

    direction, up = _VIEW.get(front, _VIEW["-y"])
    right = np.cross(direction, up)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    center = 0.5 * (lo + hi)
    ext_r = float(np.ptp(vertices @ right)) if len(vertices) else 1.0
    ext_u = float(np.ptp(vertices @ up)) if len(vertices) else 1.0
    diag = float(np.linalg.norm(hi - lo))
    px = max(float(resolvable_mm), max(ext_r, ext_u) * 1.1 / max_px)
    w = int(math.ceil(ext_r * 1.1 / px)) + 4
    h = int(math.ceil(ext_u * 1.1 / px)) + 4
    # the eye must stand outside the model: keep the true distance unless the model is huge
    dist = max(float(distance_mm), 2.0 * diag)

    lobes = np.unique(face_lobe)
    cone = cone_for(float(lobes.min()), steps)
    t = 2.0 * math.pi * np.arange(steps) / steps
    to_eye = -direction
    light_dirs = (math.cos(cone) * to_eye[None, :]
                  + math.sin(cone) * (np.cos(t)[:, None] * right[None, :]
                                      + np.sin(t)[:, None] * up[None, :]))

    p = gl.plotter(w, h, lighting="none")
    try:
        p.set_background("black")
        p.disable_anti_aliasing() if hasattr(p, "disable_anti_aliasing") else None
        cells = np.column_stack([np.full(len(faces), 3), faces]).astype(np.int64)
        for lobe in lobes:
            sel = face_lobe == lobe
            mesh = pv.PolyData(vertices, cells[sel].ravel())
            if int(sel.sum()) > MAX_FACES_PER_PIXEL * w * h:
                mesh = _cluster(mesh, CLUSTER_PX * px)
            mesh = mesh.compute_normals(cell_normals=False, point_normals=True,
                                        split_vertices=True, feature_angle=40.0,
                                        consistent_normals=False, auto_orient_normals=False)
            actor = p.add_mesh(mesh, color="black", smooth_shading=True, ambient=0.0,
                               diffuse=0.0, specular=1.0, specular_power=1.0)
            prop = actor.GetProperty()
            prop.SetSpecularColor(1.0, 1.0, 1.0)
            prop.SetSpecularPower(exponent_for(float(lobe)))
            prop.SetAmbient(0.0)
            prop.SetDiffuse(0.0)
            prop.SetSpecular(1.0)
        cam = p.camera
        cam.position = tuple(center - direction * dist)
        cam.focal_point = tuple(center)
        cam.up = tuple(up)
        cam.view_angle = math.degrees(2.0 * math.atan(0.5 * h * px / dist))
        cam.clipping_range = (max(dist - diag, 1e-3 * dist), dist + diag)
        light = pv.Light(light_type="scene light", positional=False, intensity=1.0,
                         color="white")
        p.add_light(light)

        # model coverage: one frame lit from the eye with the lobe opened wide (diffuse-like)
        frames, masks = [], []
        for ld in light_dirs:
            light.position = tuple(center + ld * dist)
            light.focal_point = tuple(center)
            p.render()
            img = p.screenshot(return_img=True)
            g = np.ascontiguousarray(np.asarray(img)[..., 0], dtype=np.uint8)  # white light: R=G=B
            frames.append(g)
            masks.append(g >= HALF_PEAK)
        coverage = _coverage(p, light, center, to_eye, dist)
    finally:
        p.close()
    return Orbit(frames, masks, px, f"front({front})", math.degrees(cone), light_dirs,
                 int(coverage.sum()), coverage)


def _cluster(mesh, cell_mm: float):
    """Vertex clustering (VTK quadric clustering) to about half a pixel: the eye averages
    the normals inside a pixel anyway, and millions of sub-pixel triangles only alias."""
    import pyvista as pv
    import vtk

    b = np.asarray(mesh.bounds).reshape(3, 2)
    div = np.clip(np.ceil((b[:, 1] - b[:, 0]) / cell_mm).astype(int), 1, 4096)
    qc = vtk.vtkQuadricClustering()
    qc.SetInputData(mesh)
    qc.SetNumberOfDivisions(*[int(x) for x in div])
    qc.AutoAdjustNumberOfDivisionsOff()
    qc.Update()
    return pv.wrap(qc.GetOutput())


def _coverage(p, light, center, to_eye, dist) -> np.ndarray:
    """Pixels the model covers: light from the eye with every exponent set to 1."""
    for actor in p.renderer.actors.values():
        prop = actor.GetProperty()
        prop.SetSpecularPower(1.0)
    light.position = tuple(center + to_eye * dist)
    light.focal_point = tuple(center)
    p.render()
    img = p.screenshot(return_img=True)
    # any lit pixel, and the dark rim where the surface turns away: use the depth buffer
    try:
        z = np.asarray(p.get_image_depth(fill_value=np.nan))
        return np.isfinite(z)
    except Exception:  # pragma: no cover - older pyvista
        return np.asarray(img)[..., :3].max(axis=2) > 0
