"""The "rotate it slowly under one lamp" test (MS302): specular-only light-orbit frames.

Ray-cast, no OpenGL (raster.py): the model is seen from its main view (the `front` side, z up)
by a pinhole eye at the viewing distance, one ray per pixel of one resolvable size r at the
model (capped at MAX_PX pixels across; the actual pixel is returned). Every pixel keeps the
face it sees and where on it, so the 24 frames are pure arithmetic on the normals: a black
surface with a white Blinn-Phong highlight of the finish's lobe, lit by one directional lamp.

Lobe: the codebase's phi is the half-width of the highlight in reflected-direction terms (a
normal tilted by phi/2 turns the reflection by phi, MS301's threshold); Blinn-Phong's
(n . h)^s reaches half its peak when n is phi/2 off the half vector h, so
s = ln(1/2) / ln(cos(phi / 2)) (~ 8 ln 2 / phi^2) -- the same lobe as the VTK Phong
exponent 2 ln 2 / phi^2 the renders used before.

The lamp circles the view axis on a cone chosen so it moves half a lobe (phi/2) per frame: a
smooth surface's highlight glides and overlaps itself from frame to frame, what jumps is the
surface's doing. The cone is at most MAX_CONE_DEG (a desk lamp near the viewer).

Every frame exists four times, to give its measures an interval: shaded with the faces' own
normals (the facets as exported) and with smooth normals (corner normals interpolated, creases
over 40 deg kept: the surface the facets stand for), each sampled through the pixel centres and
through a grid shifted by half a pixel (the sampling phase). Deterministic: fixed orbit, fixed
rays. Meshes much finer than half a pixel are clustered first (raster.for_analysis), as the
eye averages the normals inside a pixel anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

STEPS = 24  # lamp positions around the orbit (15 deg apart)
MAX_CONE_DEG = 30.0  # a lamp near the viewer (a desk lamp), not a grazing one
HALF_PEAK = 128  # highlight mask: at least half the peak intensity (the lobe's half width)
MAX_PX = 1024  # pixels across at most (a huge model is drawn coarser than the eye's pixel)
FRAME_MARGIN = 1.1  # the image spans the model's extent times this, plus EDGE_PX each side
EDGE_PX = 2
# Intensities below half a grey level never reach a frame: the lobe is cut there, so only
# normals within that angle of some half vector are shaded at all.
DARK = 0.5 / 255.0
VARIANTS = (("flat", 0.0), ("smooth", 0.0), ("flat", 0.5), ("smooth", 0.5))

_VIEW = {  # front -> (direction from the eye to the model, image up)
    "-y": (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])),
    "+y": (np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0])),
    "-x": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])),
    "+x": (np.array([-1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])),
}


@dataclass
class Orbit:
    frames: list  # uint8 (H, W) specular intensity per lamp position (smooth normals, centred)
    masks: list  # bool (H, W): highlight at >= half peak
    pixel_mm: float  # size of one pixel at the model, mm
    view: str  # e.g. "front(-y)"
    cone_deg: float  # half-angle of the lamp's cone around the view axis
    light_dirs: np.ndarray  # (steps, 3) unit vectors from the model towards the lamp
    model_pixels: int  # pixels covered by the model
    coverage: np.ndarray = field(repr=False, default=None)  # bool (H, W) model footprint
    # every variant's frames: {(normals, phase): (steps, H, W) uint8}, normals flat | smooth
    variants: dict = field(repr=False, default_factory=dict)
    camera: object = field(repr=False, default=None)  # raster.Camera


def blinn_exponent(lobe_rad: float) -> float:
    """Blinn-Phong exponent whose highlight is at half peak when the normal is lobe/2 off the
    half vector (the reflection lobe_rad off the mirror direction)."""
    return math.log(0.5) / math.log(math.cos(0.5 * lobe_rad))


def cone_for(lobe_rad: float, steps: int = STEPS) -> float:
    """Half-angle (rad) of the lamp's cone so it moves lobe/2 per step."""
    s = steps * lobe_rad / (4.0 * math.pi)
    return min(math.radians(MAX_CONE_DEG), math.asin(min(1.0, s)))


def camera_for(vertices: np.ndarray, resolvable_mm: float, distance_mm: float,
               front: str = "-y", max_px: int = MAX_PX):
    """The eye's camera: pinhole at the viewing distance (at least twice the model's
    diagonal, so the eye stands outside it), one pixel = r at the model's centre."""
    from ..raster import Camera

    direction, up = _VIEW.get(front, _VIEW["-y"])
    right = np.cross(direction, up)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    center = 0.5 * (lo + hi)
    ext_r = float(np.ptp(vertices @ right)) if len(vertices) else 1.0
    ext_u = float(np.ptp(vertices @ up)) if len(vertices) else 1.0
    px = max(float(resolvable_mm), max(ext_r, ext_u) * FRAME_MARGIN / max_px)
    w = int(math.ceil(ext_r * FRAME_MARGIN / px)) + 2 * EDGE_PX
    h = int(math.ceil(ext_u * FRAME_MARGIN / px)) + 2 * EDGE_PX
    dist = max(float(distance_mm), 2.0 * float(np.linalg.norm(hi - lo)))
    return Camera(tuple(map(float, center)), tuple(map(float, -direction)), tuple(map(float, up)),
                  px, w, h, dist, f"front({front})")


def light_directions(cam, lobe_rad: float, steps: int = STEPS) -> tuple[np.ndarray, float]:
    """(steps, 3) unit vectors towards the lamp on its cone around the view axis, and the
    cone's half-angle (rad)."""
    cone = cone_for(lobe_rad, steps)
    t = 2.0 * math.pi * np.arange(steps) / steps
    to_eye, up = np.asarray(cam.direction), np.asarray(cam.up)
    right = cam.right
    dirs = (math.cos(cone) * to_eye[None, :]
            + math.sin(cone) * (np.cos(t)[:, None] * right[None, :]
                                + np.sin(t)[:, None] * up[None, :]))
    return dirs, cone


def shade(normals: np.ndarray, views: np.ndarray, lights: np.ndarray,
          exponent: np.ndarray) -> np.ndarray:
    """(steps, n) Blinn-Phong specular intensity in [0, 1] of n samples under each lamp.

    normals, views (towards the eye) (n, 3) unit, zero normals for misses; lights (steps, 3);
    exponent (n,). n . h = (n . l + n . v) / |l + v|, two small matrix products; only entries
    brighter than DARK are raised to the exponent, and samples whose normal is further from
    every half vector than the lobe reaches are never shaded (most of them, under gloss)."""
    out = np.zeros((len(lights), len(normals)), np.float32)
    cut = np.exp(math.log(DARK) / np.maximum(exponent, 1e-9))  # cos below which I < DARK
    # every half vector lies within `spread` of the central one: a normal further from it
    # than spread + the lobe's reach is dark in every frame
    v0 = views.mean(axis=0)
    v0 /= np.linalg.norm(v0)
    h = lights + v0
    h /= np.linalg.norm(h, axis=1, keepdims=True)
    c = h.mean(axis=0)
    c /= np.linalg.norm(c)
    spread = float(np.arccos(np.clip((h @ c).min(), -1, 1))) \
        + 0.5 * float(np.arccos(np.clip((views @ v0).min(), -1, 1)))
    reach = np.arccos(np.clip(normals @ c, -1, 1)) <= spread + np.arccos(np.clip(cut, -1, 1))
    k = np.flatnonzero(reach & (np.einsum("nj,nj->n", normals, views) > 0))
    if not len(k):
        return out
    n, v = normals[k].astype(np.float32), views[k].astype(np.float32)
    li = lights.astype(np.float32)
    nl = li @ n.T  # (steps, k)
    nh = (nl + np.einsum("nj,nj->n", n, v)[None, :]) \
        / np.sqrt(np.maximum(2.0 + 2.0 * (li @ v.T), 1e-12))
    on = (nl > 0) & (nh > cut[k][None, :].astype(np.float32))
    rows, cols = np.nonzero(on)
    out[rows, k[cols]] = np.exp(exponent[k][cols] * np.log(nh[rows, cols]))
    return out


def _frames(raster, hits, face_lobe, lights, smooth: bool, shape) -> np.ndarray:
    """(steps, H, W) uint8 frames of one variant from one set of pixel rays."""
    from ..raster import shading_normals

    normals = shading_normals(raster, hits, smooth)
    sel = np.flatnonzero(hits.hit)
    img = np.zeros((len(lights), shape[0] * shape[1]), np.uint8)
    if len(sel):
        lobes, idx = np.unique(face_lobe[raster.face_ids[hits.face[sel]]], return_inverse=True)
        expo = np.array([blinn_exponent(x) for x in lobes])[idx.ravel()]
        val = shade(normals[sel], -hits.directions[sel], lights, expo)
        img[:, sel] = np.clip(np.rint(255.0 * val), 0, 255).astype(np.uint8)
    return img.reshape(len(lights), *shape)


def light_orbit(raster, face_lobe: np.ndarray, resolvable_mm: float, distance_mm: float,
                front: str = "-y", steps: int = STEPS, max_px: int = MAX_PX) -> Orbit:
    """Render `steps` specular-only frames (in four variants) while one lamp circles the
    view axis. face_lobe: lobe half-width phi (rad) of every face of the model."""
    cam = camera_for(raster.vertices, resolvable_mm, distance_mm, front, max_px)
    lights, cone = light_directions(cam, float(np.min(face_lobe)), steps)
    variants, coverage = {}, None
    rr, cc = np.mgrid[0:cam.height, 0:cam.width]
    shape = (cam.height, cam.width)
    for phase in sorted({p for _, p in VARIANTS}):
        hits = raster.cast_pixels(cam, rr.ravel() + 0.5 + phase, cc.ravel() + 0.5 + phase)
        if coverage is None:
            coverage = hits.hit.reshape(shape)
        for normals in sorted({n for n, p in VARIANTS if p == phase}):
            variants[(normals, phase)] = _frames(raster, hits, face_lobe, lights,
                                                 normals == "smooth", shape)
    main = variants[("smooth", 0.0)]
    return Orbit(list(main), [f >= HALF_PEAK for f in main], cam.pixel_mm, cam.name,
                 math.degrees(cone), lights, int(coverage.sum()), coverage, variants, cam)
