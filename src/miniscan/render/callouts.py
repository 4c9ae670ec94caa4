"""Numbered callouts: one numbered disc per finding, anchored at its projected 3D location.

Numbers follow the report's order (families in report order, findings in each family's
order), so callout 3 on a picture is the third row of the findings table everywhere.
Findings without a location (units guessed, several bodies) are listed in the legend as
"whole model" and get no disc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ..findings import Finding
from . import draw
from .layers import finding_point
from .scene import Camera


# A region's faces cast towards the camera to decide whether it is hidden: enough to find a
# gap between limbs, few enough for one batched ray cast per view.
REGION_RAYS = 48
# Faces closer than this to edge-on (|cos| of normal and view) are skipped: grazing faces
# cast rays along the surface and hit their neighbours.
FACING_MIN = 0.05
# Where a disc may go, in disc radii from its anchor (nearest ring first), the angles tried
# on each ring (multiples of 30 deg from the direction away from the frame's centre), and
# the least distance between two discs' centres (a hair more than touching).
RINGS_RADII = (2.2, 3.2, 4.4, 6.0, 8.0)
RING_STEPS = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6)
DISC_GAP_RADII = 2.15


def numbered_findings(results) -> list[tuple[int, str, Finding]]:
    """[(number, family, finding)] in report order, numbered from 1."""
    out, k = [], 0
    for r in results:
        for f in r.findings:
            k += 1
            out.append((k, r.family, f))
    return out


@dataclass(frozen=True)
class Callout:
    number: int
    family: str
    finding: Finding
    point_mm: tuple[float, float, float]
    anchor_px: tuple[float, float]  # projected location, in the picture's pixel coordinates
    label_px: tuple[float, float]  # centre of the numbered disc
    hidden: bool  # the location is behind the model from this view


def occluded(points: np.ndarray, camera: Camera, analysis) -> np.ndarray:
    """True where a point is hidden behind other surface as seen from the camera (ray cast
    from the point towards the camera with open3d's BVH)."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    import open3d as o3d

    d = np.asarray(camera.direction, dtype=np.float64)
    eps = 1e-3 * max(analysis.bbox_diag_mm, 1e-9) + 0.5 * analysis.mean_edge_mm
    origins = np.asarray(points, dtype=np.float64) + eps * d
    rays = np.hstack([origins, np.broadcast_to(d, origins.shape)]).astype(np.float32)
    hit = analysis.raycasting_scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
    return np.isfinite(hit)


def region_hidden(findings, camera: Camera, analysis, per_region: int = REGION_RAYS) -> np.ndarray:
    """True for a finding none of whose region's faces can be seen from the camera.

    A region's centroid often lies inside the model (the middle of a ring of faces round a
    limb), so the point alone is no test: up to `per_region` of its faces (front-facing) are
    ray-cast towards the camera in one batch, and the finding is visible if any gets out.
    """
    from .layers import finding_faces

    d = np.asarray(camera.direction, dtype=np.float64)
    fn = analysis.face_normals
    cent = analysis.face_centroids
    owner, pts = [], []
    for i, f in enumerate(findings):
        faces = finding_faces(f, analysis)
        if len(faces) > per_region:  # an even spread, deterministic
            faces = faces[np.linspace(0, len(faces) - 1, per_region).round().astype(np.int64)]
        front = faces[np.abs(fn[faces] @ d) > FACING_MIN] if len(faces) else faces
        owner += [i] * len(front)
        pts.append(cent[front])
    hidden = np.ones(len(findings), dtype=bool)
    if owner:
        occ = occluded(np.vstack(pts), camera, analysis)
        owner = np.asarray(owner)
        hidden[np.unique(owner[~occ])] = False
    return hidden


def place(numbered, camera: Camera, analysis, offset=(0, 0), radius: float = 16.0,
          frame: tuple[int, int, int, int] | None = None) -> list[Callout]:
    """Project each located finding and put its disc near it without overlapping others."""
    items = [(n, fam, f, finding_point(f, analysis)) for n, fam, f in numbered]
    items = [(n, fam, f, p) for n, fam, f, p in items if p is not None]
    if not items:
        return []
    pts = np.array([p for *_, p in items])
    px = camera.project(pts) + np.asarray(offset, dtype=np.float64)
    hidden = region_hidden([f for _, _, f, _ in items], camera, analysis)
    x0, y0, x1, y1 = frame or (offset[0], offset[1], offset[0] + camera.width,
                               offset[1] + camera.height)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    placed: list[tuple[float, float]] = []
    out = []
    for (n, fam, f, p), (ax, ay), hid in zip(items, px, hidden):
        base = math.atan2(ay - cy, ax - cx) if (ax, ay) != (cx, cy) else -math.pi / 4
        best = None
        for dist in RINGS_RADII:
            for k in RING_STEPS:
                a = base + k * math.pi / 6
                lx, ly = ax + dist * radius * math.cos(a), ay + dist * radius * math.sin(a)
                if not (x0 + radius <= lx <= x1 - radius and y0 + radius <= ly <= y1 - radius):
                    continue
                if all((lx - qx) ** 2 + (ly - qy) ** 2 >= (DISC_GAP_RADII * radius) ** 2
                       for qx, qy in placed):
                    best = (lx, ly)
                    break
            if best:
                break
        if best is None:  # crowded: stack at the frame edge
            best = (min(max(ax + RINGS_RADII[0] * radius, x0 + radius), x1 - radius),
                    min(max(ay, y0 + radius), y1 - radius))
        placed.append(best)
        out.append(Callout(n, fam, f, tuple(float(x) for x in p), (float(ax), float(ay)),
                           (float(best[0]), float(best[1])), bool(hid)))
    return out


def draw_callouts(img: Image.Image, callouts: list[Callout], radius: float, fsize: int) -> None:
    d = ImageDraw.Draw(img)
    f = draw.font(fsize, bold=True)
    r = radius
    for c in callouts:
        col = draw.SEVERITY_RGB.get(c.finding.severity, draw.INK)
        ax, ay = c.anchor_px
        lx, ly = c.label_px
        d.line([ax, ay, lx, ly], fill=(255, 255, 255), width=5)
        d.line([ax, ay, lx, ly], fill=col, width=2)
        dot = max(3, r / 4)
        d.ellipse([ax - dot, ay - dot, ax + dot, ay + dot], fill=col, outline=(255, 255, 255))
        if c.hidden:  # behind the model from here: hollow disc
            d.ellipse([lx - r, ly - r, lx + r, ly + r], fill=(255, 255, 255), outline=col, width=3)
            ink = col
        else:
            d.ellipse([lx - r, ly - r, lx + r, ly + r], fill=col, outline=(255, 255, 255), width=2)
            ink = (255, 255, 255)
        s = str(c.number)
        d.text((lx, ly), s, fill=ink, font=f, anchor="mm")
