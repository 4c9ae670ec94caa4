"""Thickness: the picture layers and what each reading is (wall, thin, relief, unsure, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from ...findings import FaceLayer, FamilyLayers
from .common import LAYER_GAP_SPACINGS, MEASURE_WALLS, STATES, SUPPORT_PROBES


# --- thickness: the picture layers ----------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ThicknessLayers(FamilyLayers):
    """The thickness heat map: per-face wall thickness (mm) and state, painted from the ray
    samples (each face takes its nearest sample's value; computed when a picture asks).

    face_thickness_mm: (n_faces,) float, NaN where unknown (no reading, or no sample near).
    face_state: (n_faces,) int8 index into `states` (-1: no sample near, or buried inside
    another body). min_wall_mm: the printer's minimum wall (0 = no printer)."""

    min_wall_mm: float
    sample_points: np.ndarray = None
    sample_thickness_mm: np.ndarray = None
    sample_state: np.ndarray = None  # int8 index into STATES, -1 buried
    vertices: np.ndarray = None  # the model's (read-only, shared): centroids when asked
    faces: np.ndarray = None
    spacing_mm: float = 0.0
    states: tuple[str, ...] = STATES

    @cached_property
    def _nearest(self) -> np.ndarray:
        from scipy.spatial import cKDTree

        keep = np.flatnonzero(self.sample_state >= 0)
        if len(keep) == 0:
            return np.full(len(self.faces), -1, dtype=np.int64)
        centroids = self.vertices[self.faces].mean(axis=1)
        d, j = cKDTree(self.sample_points[keep]).query(centroids, k=1)
        return np.where(d <= LAYER_GAP_SPACINGS * self.spacing_mm, keep[np.minimum(j, len(keep) - 1)], -1)

    @cached_property
    def face_thickness_mm(self) -> np.ndarray:
        j = self._nearest
        return np.where(j >= 0, self.sample_thickness_mm[np.maximum(j, 0)], np.nan)

    @cached_property
    def face_state(self) -> np.ndarray:
        j = self._nearest
        return np.where(j >= 0, self.sample_state[np.maximum(j, 0)], -1).astype(np.int8)

    def face_layers(self) -> tuple[FaceLayer, ...]:
        m = self.min_wall_mm
        state = np.where(self.face_state >= 0, self.face_state, np.nan).astype(np.float64)
        return (FaceLayer("thickness", self.face_thickness_mm, "mm", "wall thickness", "value",
                          clim=(0.0, 3.0 * m) if m > 0 else None,
                          note=f"printer's minimum wall {m:g} mm" if m > 0 else "",
                          marks=((m, "printer minimum"),) if m > 0 else ()),
                FaceLayer("thickness-state", state, "", "thickness reading", "label",
                          categories=tuple(self.states)))


# --- thickness: classifying the readings --------------------------------------------------------

@dataclass(frozen=True)
class _Classes:
    """Per-sample masks of what each reading is (analysis/thickness/ gives the numbers)."""

    wall: np.ndarray  # a free-standing wall within reach of the printer's minimum (judged)
    relief: np.ndarray  # thin reading held by thick material within a wall's width
    coincident: np.ndarray  # surfaces closer than the printer's finest step, or inner surfaces
    unsure: np.ndarray  # no reading, on the printed surface


def coincident_floor_mm(conditions) -> float:
    """Readings under this are no wall any printer makes: the printer's finest step (the smaller
    of its pixel and its layer). 0 without a printer."""
    p = conditions.printer
    return min(p.xy_mm, p.layer_mm) if p.min_wall_mm > 0 else 0.0


def _probe(analysis, th, idx: np.ndarray, reach: float) -> np.ndarray:
    """Support of every listed sample (analysis.thickness.support). Past SUPPORT_PROBES samples,
    an even stride of them is probed and each other sample takes its nearest probed one's
    value: support changes over a wall's width, and the probes stay closer than that."""
    from scipy.spatial import cKDTree

    from ...analysis.thickness import support

    if len(idx) <= SUPPORT_PROBES:
        return support(analysis, th, idx, reach)
    pick = np.linspace(0, len(idx) - 1, SUPPORT_PROBES).astype(np.int64)
    body = support(analysis, th, idx[pick], reach)
    _, j = cKDTree(th.points[idx[pick]]).query(th.points[idx], k=1)
    return body[j]


def _classify(analysis, th, min_wall: float, floor: float) -> _Classes:
    """Readings that say thin (median under the minimum wall), and readings above it whose
    interval reaches below it, are probed for support (analysis.thickness.support): held by
    thick material within a wall's width they are relief, not walls. Readings under the
    printer's finest step are an edge's apex when the material beside them grows (a knife
    edge: the edges family's), else surfaces lying on each other; readings from inside the
    solid are internal surfaces. Both of the latter are coincident, never walls."""
    from ...analysis.thickness import held

    sure = th.sure
    relief = np.zeros(len(sure), dtype=bool)
    grows = np.zeros(len(sure), dtype=bool)
    if min_wall > 0:
        probe = sure & ((th.thickness_mm < min_wall)
                        | ((th.lo_mm < min_wall) & (th.thickness_mm < MEASURE_WALLS * min_wall)))
        idx = np.flatnonzero(probe)
        body = _probe(analysis, th, idx, min_wall)
        relief[idx] = held(th, idx, body, min_wall)
        grows[idx] = held(th, idx, body, 0.0)
    thin = sure & (th.thickness_mm < min_wall)
    sub = sure & (th.hi_mm < floor)
    coincident = (sub & ~grows) | th.internal
    return _Classes(wall=thin & ~relief & ~sub, relief=relief | (sub & grows),
                    coincident=coincident, unsure=~sure & th.surface & ~th.internal)
