"""Numbered callouts: one numbered disc per finding, anchored at its projected 3D location.

Numbers follow the report's order (families in report order, findings in each family's
order), so callout 3 on a picture is the third row of the findings table everywhere.
Findings without a location (units guessed, several bodies) are listed in the legend as
"whole model" and get no disc.

A picture carries at most MAX_CALLOUTS discs, the worst findings first (one finding is
already one rule on one part, merged by the runner); the rest are listed beside it. Discs
never overlap: on the overview they stand in a column on each side of the model with a
leader line to their place (`column_positions`: sorted by height, spread apart, so leader
lines do not cross); on the smaller heat-map tiles they sit on rings round their place and a
disc that finds no free spot is left out (the overview lists it).
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
# Discs on one picture: the worst problems stand out, and twelve numbers can still be read
# against a figure (the 25 mm goblin of issue 15 carried 60 and said nothing).
MAX_CALLOUTS = 12


def callout_radius(size: int, heat: bool = False) -> float:
    """A disc's radius (px) on a picture `size` px wide: the overview's, or a heat sheet's (a
    little smaller: its tiles are)."""
    fs = draw.text_size(size)
    return max(11.0, fs * 0.75) if heat else max(12.0, fs * 0.85)


def worst_first(numbered) -> list[tuple[int, str, Finding]]:
    """Most severe first; within a severity, one finding of each rule before a second of any
    (so twelve discs show twelve kinds of problem, not three specular patches and nothing
    else), each rule's findings by places (most first), ties in report order."""
    from ..rules import severity_rank

    ranked = sorted(numbered, key=lambda t: (-t[2].count, t[0]))
    turn: dict[str, int] = {}
    keyed = []
    for t in ranked:  # a handful of findings per picture
        k = turn[t[2].code] = turn.get(t[2].code, -1) + 1
        keyed.append(((-severity_rank(t[2].severity), k, -t[2].count, t[0]), t))
    return [t for _, t in sorted(keyed, key=lambda kt: kt[0])]


def pick(numbered, analysis, limit: int = MAX_CALLOUTS):
    """(the located findings that get a disc, worst first, at most `limit`; every other
    finding, in report order)."""
    located = [t for t in worst_first(numbered) if finding_point(t[2], analysis) is not None]
    shown = located[:limit]
    keep = {t[0] for t in shown}
    return shown, [t for t in numbered if t[0] not in keep]


def _spread(desired: np.ndarray, lo: float, hi: float, gap: float) -> np.ndarray:
    """Sorted heights moved apart by at least `gap` inside [lo, hi], each as near its wish as
    the others allow (a forward then a backward pass; n <= capacity assumed)."""
    y = np.clip(np.asarray(desired, dtype=np.float64), lo, hi)
    for i in range(1, len(y)):  # a column of at most MAX_CALLOUTS discs
        y[i] = max(y[i], y[i - 1] + gap)
    if len(y):
        y[-1] = min(y[-1], hi)
    for i in range(len(y) - 2, -1, -1):
        y[i] = min(y[i], y[i + 1] - gap)
    return y


def column_positions(anchors, xs: tuple[float, float], ys: tuple[float, float],
                     gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Disc centres in two columns (x = xs[0] left, xs[1] right) for the anchors: (positions
    (n, 2), placed mask). Each disc goes to the side of its anchor, in the anchors' height
    order, at least `gap` apart; a side over its capacity hands the anchors nearest the middle
    to the other; what fits nowhere is not placed."""
    a = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    n = len(a)
    cap = int((ys[1] - ys[0]) // gap) + 1
    mid = (xs[0] + xs[1]) / 2.0
    right = a[:, 0] > mid
    for side in (True, False):  # balance an overfull side
        mine = np.flatnonzero(right == side)
        extra = len(mine) - cap
        if extra > 0 and (n - len(mine)) < cap:
            near_mid = mine[np.argsort(np.abs(a[mine, 0] - mid), kind="stable")]
            right[near_mid[:min(extra, cap - (n - len(mine)))]] = not side
    pos = np.zeros((n, 2))
    placed = np.zeros(n, dtype=bool)
    for side, x in ((False, xs[0]), (True, xs[1])):
        mine = np.flatnonzero(right == side)
        mine = mine[np.argsort(a[mine, 1], kind="stable")][:cap]
        pos[mine, 0] = x
        pos[mine, 1] = _spread(a[mine, 1], ys[0], ys[1], gap)
        placed[mine] = True
    return pos, placed


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
    d = np.asarray(camera.direction, dtype=np.float64)
    eps = 1e-3 * max(analysis.bbox_diag_mm, 1e-9) + 0.5 * analysis.mean_edge_mm
    origins = np.asarray(points, dtype=np.float64) + eps * d
    rays = np.hstack([origins, np.broadcast_to(d, origins.shape)])
    hit = analysis.raycasting_scene.cast_rays(analysis.ray_tensor(rays))["t_hit"].numpy()
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
          frame: tuple[int, int, int, int] | None = None,
          columns: tuple[float, float] | None = None) -> list[Callout]:
    """Project each located finding and put its disc near it without overlapping others:
    in the two `columns` (x of the left and right column) when given, else on rings round
    its place (a disc with no free spot is left out)."""
    items = [(n, fam, f, finding_point(f, analysis)) for n, fam, f in numbered]
    items = [(n, fam, f, p) for n, fam, f, p in items if p is not None]
    if not items:
        return []
    pts = np.array([p for *_, p in items])
    px = camera.project(pts) + np.asarray(offset, dtype=np.float64)
    hidden = region_hidden([f for _, _, f, _ in items], camera, analysis)
    x0, y0, x1, y1 = frame or (offset[0], offset[1], offset[0] + camera.width,
                               offset[1] + camera.height)
    if columns is not None:
        pos, ok = column_positions(px, columns, (y0 + radius, y1 - radius),
                                   DISC_GAP_RADII * radius)
        return [Callout(n, fam, f, tuple(float(x) for x in p), (float(a[0]), float(a[1])),
                        (float(q[0]), float(q[1])), bool(h))
                for (n, fam, f, p), a, q, h, k in zip(items, px, pos, hidden, ok) if k]
    return _on_rings(items, px, hidden, (x0, y0, x1, y1), radius)


def _on_rings(items, px, hidden, frame, radius: float) -> list[Callout]:
    """Each disc on the nearest free spot of rings round its anchor (worst placed first)."""
    x0, y0, x1, y1 = frame
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
        if best is None:  # crowded: no disc here rather than one on top of another
            continue
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
