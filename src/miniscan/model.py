"""The Model: one loaded file, in millimetres, with merged topology and named parts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Model:
    """A triangle mesh in model millimetres. Arrays are read-only; never mutate them.

    `vertices` are merged by position (UV and normal seams joined) so topology and
    curvature see one surface; `parts` name the face ranges each scene node contributed.
    """

    path: str
    format: str
    vertices: np.ndarray  # (n, 3) float64, mm
    faces: np.ndarray  # (m, 3) int64
    units: str  # mm | cm | m | in
    units_guessed: bool
    unit_scale: float  # file units -> mm
    part_names: tuple[str, ...] = ("model",)
    part_starts: tuple[int, ...] = (0,)  # first face of each part, ascending
    source: str = "mesh"  # mesh | point-cloud
    # (code, message) pairs noted while loading, turned into findings by the health check
    load_notes: tuple[tuple[str, str], ...] = ()
    origin_offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    metadata: dict = field(default_factory=dict)
    # (n, 3) sRGB-encoded colour in [0, 1] per vertex, NaN rows where the file gives none;
    # None when the file holds no colour at all (the colour family then judges nothing)
    vertex_rgb: np.ndarray | None = None

    def __post_init__(self):
        for a in (self.vertices, self.faces, self.vertex_rgb):
            if a is not None:
                a.setflags(write=False)

    @property
    def n_faces(self) -> int:
        return int(len(self.faces))

    @property
    def n_vertices(self) -> int:
        return int(len(self.vertices))

    @property
    def bounds(self) -> np.ndarray:
        return np.array([self.vertices.min(axis=0), self.vertices.max(axis=0)])

    @property
    def extents(self) -> np.ndarray:
        b = self.bounds
        return b[1] - b[0]

    def face_part(self) -> np.ndarray:
        """Part index of every face (one pass: a file with 200,000 parts is linear too)."""
        bounds = np.append(np.asarray(self.part_starts, dtype=np.int64), self.n_faces)
        return np.repeat(np.arange(len(self.part_starts), dtype=np.int32), np.diff(bounds))

    def transformed(self, matrix: np.ndarray | None = None, scale: float = 1.0) -> "Model":
        """A copy moved by a 4x4 matrix and/or scaled (for invariance tests and scripts)."""
        v = self.vertices * scale
        if matrix is not None:
            v = v @ matrix[:3, :3].T + matrix[:3, 3]
        return Model(self.path, self.format, np.ascontiguousarray(v), self.faces.copy(),
                     self.units, self.units_guessed, self.unit_scale * scale, self.part_names,
                     self.part_starts, self.source, self.load_notes, self.origin_offset_mm,
                     dict(self.metadata), self.vertex_rgb)


def from_arrays(vertices, faces, name: str = "<memory>", units: str = "mm",
                vertex_rgb=None) -> Model:
    """A Model from arrays already in millimetres (tests, scripts, generated samples);
    `vertex_rgb` (n, 3) sRGB in [0, 1] when it has colour."""
    v = np.ascontiguousarray(np.asarray(vertices, dtype=np.float64))
    f = np.ascontiguousarray(np.asarray(faces, dtype=np.int64))
    rgb = None if vertex_rgb is None else np.array(vertex_rgb, dtype=np.float32).reshape(-1, 3)
    return Model(name, "memory", v, f, units, False, 1.0, vertex_rgb=rgb)
