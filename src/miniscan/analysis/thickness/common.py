"""Wall thickness: the tuned constants, the Thickness value and the cone of rays every step
shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


# --- tuned constants (unit, and why this value) ----------------------------------------------
# Half-angle of the ray cone (degrees). Wide enough that the ring rays land on other facets than
# the axial ray (so a reading is not one facet's accident), narrow enough that on a wall of
# thickness T they stay within T*tan(12 deg) = 0.21 T of the axis: the wall is locally parallel.
CONE_HALF_ANGLE_DEG = 12.0
CONE_RING = 4  # rays on the ring, plus the axial ray: 5 readings per sample
MIN_VALID = 3  # valid rays needed of 5: a majority agrees on the far side
# A ray measured the wall when it leaves by a face within this angle of facing the sample (the
# wall's other side; a wedge's, a blade's or a fin tip's sides meet at less). Leaving by a face
# turned further away is leaving by a side of a corner: it measured the part's other dimension
# and is set aside, neither for nor against the reading.
WALL_FACING_DEG = 60.0
# Samples: one per 4 faces, clipped. 20 000 keeps a small part's thin region (area >= the
# printer's minimum wall squared) at several samples; 80 000 bounds the cost at any face count
# (0.4M rays) and still gives ~25 samples per mm^2 on a 28 mm figure.
MIN_SAMPLES, MAX_SAMPLES = 20_000, 80_000
FACES_PER_SAMPLE = 4
# A separate body (a sword, a spear, a kit's accessory) gets at least this many samples, however
# small its share of the area: 64 samples put ~3 on a minimum-wall square of a 7 mm^2 fin.
# The boost is weighed out again by each sample's area, so shares and areas stay true; at most
# BOOST_SHARE of the base count is spent on it.
MIN_BODY_SAMPLES = 64
BOOST_SHARE = 0.5
# A body whose boundary length exceeds this times sqrt(its area) is an open sheet (a terrain
# height field, a hemisphere): it has no inside to measure. A scan with a pin-hole stays
# measurable (its boundary is tiny next to sqrt(area)); only the rays through the hole fail.
OPEN_BODY_RATIO = 0.05
# Dihedral (radians) above which an edge is a crease of the shape, not a smooth surface sampled
# by flat facets: the chordal error term only counts edges below it (DESIGN.md: creases ~30 deg).
CREASE_RAD = math.radians(30.0)
# float32 ray kernels: a distance carries about this many units of 2^-24 relative rounding of
# the coordinates it was computed from (origin, hit, two facets).
F32_ULPS = 8.0
# Support probe: directions around the reading in the wall's plane, and how much thicker than
# the reading (and at least the probe's reach) the material beside it must be to hold it up.
# Six directions leave no bearing more than 30 deg from one of them (cos 30 = 0.87 of the reach).
SUPPORT_DIRECTIONS = 6
SUPPORT_THICK_RATIO = 2.0
# Refining around thin readings (`refine`): at most this many new samples in all (twice the
# smallest first pass: on a part of 80 000 faces or fewer the refinement costs at most twice the
# first readings; a 900 mm sword's two sharpened edges need about 33 000 at resin's 0.4 mm
# minimum wall), and faces up to this count get
# their longest edge measured at once (above it, only the faces near the seeds are).
REFINE_MAX_SAMPLES = 40_000
REFINE_EDGE_FACES = 2_000_000
SALT = 502
# A face of one body lying within TOUCH_MM outside another solid body sits on it (mm): a
# flagstone resting on a tile's slab, a part pushed onto a base, exported with its bottom a
# micron above the slab's top (float rounding at export: the corpus dungeon tile's stones lie
# 0-2 microns over their slab). No printer holds a gap that thin open (resin layers are 30
# microns, the finest SLA ~10): the union fuses there, so the face is not on the printed
# surface and its side of the stone is no free wall. Well above export rounding (~1e-8 of a
# model's size) and well under any printable gap.
TOUCH_MM = 0.005


@dataclass(frozen=True)
class Thickness:
    """Per-sample wall thickness (mm, NaN where unsure), its interval, and what it rests on."""

    points: np.ndarray  # (s, 3) sample positions, mm
    faces: np.ndarray  # (s,) face id of every sample
    inward: np.ndarray  # (s, 3) unit direction into the solid at the sample
    thickness_mm: np.ndarray  # (s,) median of the valid rays; NaN where unsure
    lo_mm: np.ndarray  # (s,) lower end of the reading's interval (NaN where unsure)
    hi_mm: np.ndarray  # (s,) upper end
    valid_rays: np.ndarray  # (s,) number of valid rays of the cone
    open_body: np.ndarray  # (s,) sample lies on a body that is an open sheet
    buried: np.ndarray  # (s,) sample lies inside another body: not on the printed surface
    internal: np.ndarray  # (s,) most rays first meet a surface from outside: an inner surface
    body: np.ndarray  # (s,) body label of the sample's face
    area_mm2: np.ndarray  # (s,) surface area each sample stands for (smaller on small bodies)
    spacing_mm: float  # typical distance between neighbouring samples (on the large bodies)
    sample_area_mm2: float  # surface area a sample stands for on the large bodies
    rays: int
    flipped: bool  # the mesh was wound inward as a whole and was read flipped

    @property
    def sure(self) -> np.ndarray:
        return np.isfinite(self.thickness_mm)

    @property
    def surface(self) -> np.ndarray:
        """Samples on the printed surface (the union of the bodies): not buried in another."""
        return ~self.buried

    def share(self, mask: np.ndarray) -> float:
        """Area share of the printed surface (not buried) covered by the masked samples."""
        s = self.surface
        total = float(self.area_mm2[s].sum())
        return float(self.area_mm2[s & mask].sum()) / total if total > 0 else 0.0

    @property
    def unsure_share(self) -> float:
        """Share of the printed surface that has no thickness."""
        return 1.0 - self.share(self.sure) if self.surface.any() else 1.0


def sample_count(n_faces: int) -> int:
    """Samples scale with the face count (resolution-independent density per face), clipped."""
    return int(min(MAX_SAMPLES, max(MIN_SAMPLES, n_faces // FACES_PER_SAMPLE)))


def _basis(axis: np.ndarray, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to each axis and to each other; the first along `ref`
    (made perpendicular to the axis) where given and not along the axis, so that the frame
    turns with the model instead of following the world's axes."""
    helper = np.where(np.abs(axis[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = np.cross(axis, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    if ref is not None:
        r = ref - np.einsum("ij,ij->i", ref, axis)[:, None] * axis
        ln = np.linalg.norm(r, axis=1, keepdims=True)
        ok = ln > 1e-6 * np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-300)
        t1 = np.where(ok, r / np.where(ok, ln, 1.0), t1)
    return t1, np.cross(axis, t1)


def _cone(axis: np.ndarray, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(s, k, 3) unit ray directions around each axis (the ring starting along `ref`:
    `_basis`) and (k,) cos(theta) of each."""
    t1, t2 = _basis(axis, ref)
    th = math.radians(CONE_HALF_ANGLE_DEG)
    phi = np.arange(CONE_RING) * (2 * math.pi / CONE_RING)
    ring = (math.cos(th) * axis[:, None, :]
            + math.sin(th) * (np.cos(phi)[None, :, None] * t1[:, None, :]
                              + np.sin(phi)[None, :, None] * t2[:, None, :]))
    dirs = np.concatenate([axis[:, None, :], ring], axis=1)
    cos = np.concatenate([[1.0], np.full(CONE_RING, math.cos(th))])
    return dirs, cos
