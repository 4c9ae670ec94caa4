"""A case: a mesh, the viewing conditions it is judged under, and its truth.

Truth items say where a feature is (points and a centroid), its true values (the quantities
miniscan measures, by `Measurement.kind`) and, per rule code, what verdict the physics expects:
- FAIL: a defect that the mesh can show; a finding of that code must be placed on it (recall);
- PASS: clearly on the passing side; a finding of that code here is an unsupported verdict;
- ALLOW: within tolerance of the threshold, or beyond what the mesh resolves: any verdict
  (fail, pass, undetermined) is accepted.
A finding of a scored code placed on no truth item is a false positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

FAIL, PASS, ALLOW = "fail", "pass", "allow"


@dataclass(frozen=True, eq=False)
class Truth:
    kind: str  # edge, ripple, noise, protrusion, gap, wall, smooth
    points: np.ndarray  # (n, 3) samples on the feature, mm
    centroid: np.ndarray  # (3,)
    match_mm: float  # a place or measurement within this distance belongs to the feature
    expect: dict  # code -> FAIL | PASS | ALLOW
    values: dict = field(default_factory=dict)  # measurement kind -> true value
    measurable: bool = True  # the mesh resolves the feature: measurement error is scored
    numbers: dict = field(default_factory=dict)  # everything else known (for the worst-case list)
    fan: bool = False  # a loop whose chain centroid may lie inside it (prims.Feature.fan)

    @property
    def defect(self) -> bool:
        return FAIL in self.expect.values()

    def moved(self, rot: np.ndarray, shift: np.ndarray) -> "Truth":
        return replace(self, points=self.points @ rot.T + shift,
                       centroid=self.centroid @ rot.T + shift)

    def line_distance(self, q: np.ndarray) -> np.ndarray:
        """Distance of points q (m, 3) to the feature's own samples only (its line or patch)."""
        q = np.atleast_2d(np.asarray(q, float))
        return np.sqrt(((q[:, None, :] - self.points[None, :, :]) ** 2).sum(-1)).min(axis=1)

    def distance(self, q: np.ndarray) -> np.ndarray:
        """Distance of points q (m, 3) to the feature: its samples, its centroid and, for a
        fan, the segments from the centroid to every sample."""
        q = np.atleast_2d(np.asarray(q, float))
        P = self.points
        d = self.line_distance(q)
        d = np.minimum(d, np.linalg.norm(q - self.centroid, axis=1))
        if self.fan:
            seg = P - self.centroid  # (n, 3)
            rel = q[:, None, :] - self.centroid  # (m, 1, 3)
            t = np.clip((rel * seg).sum(-1) / np.maximum((seg * seg).sum(-1), 1e-300), 0, 1)
            foot = self.centroid + t[..., None] * seg
            d = np.minimum(d, np.sqrt(((q[:, None, :] - foot) ** 2).sum(-1)).min(axis=1))
        return d


@dataclass(eq=False)
class Case:
    family: str
    index: int
    params: dict  # how it was drawn (json-able): enough to recognise and reproduce it
    vertices: np.ndarray
    faces: np.ndarray
    conditions: dict  # keyword arguments of miniscan.conditions.resolve
    truths: tuple[Truth, ...]
    run_families: tuple[str, ...]  # miniscan families to run
    codes: tuple[str, ...]  # rule codes scored for this case
    host: str | None = None  # injected cases: the corpus file (its clean findings are known)
    host_model: object = None  # injected cases: the clean host Model
    host_match_mm: float = 0.0  # a place this close to one of the clean host's is already there
    rgb: np.ndarray | None = None  # (n, 3) sRGB vertex colours in [0, 1] (colour cases)

    @property
    def name(self) -> str:
        return f"{self.family}:{self.index}"

    def resolved_conditions(self):
        from miniscan.conditions import resolve

        return resolve(**self.conditions)

    def model(self):
        from miniscan.model import from_arrays

        return from_arrays(self.vertices, self.faces, name=self.name, vertex_rgb=self.rgb)
