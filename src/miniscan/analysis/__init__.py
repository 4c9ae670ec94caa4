"""Shared geometry of one Model, computed once on first use and cached.

Checks ask for what they need (`analysis.face_normals`, `analysis.kdtree`, ...);
family-specific kernels live in sibling modules and are memoised through
`analysis.cached(key, fn)` so two checks never compute the same thing twice.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable

import numpy as np

from ..model import Model

SEED = 20261122  # every sampling in miniscan draws from this fixed seed


class Analysis:
    def __init__(self, model: Model):
        self.model = model
        self._memo: dict[str, Any] = {}

    def cached(self, key: str, fn: Callable[["Analysis"], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = fn(self)
        return self._memo[key]

    def rng(self, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng(SEED + salt)

    # --- basic per-face geometry (numpy only) ---
    @cached_property
    def triangles(self) -> np.ndarray:
        return self.model.vertices[self.model.faces]

    @cached_property
    def _cross(self) -> np.ndarray:
        t = self.triangles
        return np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])

    @cached_property
    def face_areas(self) -> np.ndarray:
        return 0.5 * np.linalg.norm(self._cross, axis=1)

    @cached_property
    def degenerate(self) -> np.ndarray:
        """Faces with (near) zero area relative to the mean edge, or repeated vertex ids."""
        f = self.model.faces
        rep = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])
        return rep | (self.face_areas <= 1e-12 * max(self.mean_edge_mm, 1e-30) ** 2)

    @cached_property
    def face_normals(self) -> np.ndarray:
        n = self._cross.copy()
        ln = np.linalg.norm(n, axis=1)
        ok = ln > 0
        n[ok] /= ln[ok, None]
        n[~ok] = 0.0
        return n

    @cached_property
    def face_centroids(self) -> np.ndarray:
        return self.triangles.mean(axis=1)

    @cached_property
    def total_area(self) -> float:
        return float(self.face_areas.sum())

    # --- edge topology in integer keys (np.unique on rows is far slower than on int64) ---
    @cached_property
    def _edge_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unique undirected edge keys, their face counts, inverse map of the 3m face edges)."""
        f = self.model.faces
        e = np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], axis=1).reshape(-1, 2)
        lo, hi = e.min(axis=1), e.max(axis=1)
        keys = lo * np.int64(self.model.n_vertices) + hi
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        return uniq, counts, inverse

    @cached_property
    def edges_unique(self) -> np.ndarray:
        """(k, 2) vertex ids of every undirected edge."""
        uniq = self._edge_keys[0]
        n = np.int64(self.model.n_vertices)
        return np.stack([uniq // n, uniq % n], axis=1)

    @cached_property
    def edge_face_count(self) -> np.ndarray:
        """Number of faces using each edge of edges_unique (1 = boundary, >2 = non-manifold)."""
        return self._edge_keys[1]

    @cached_property
    def face_edges(self) -> np.ndarray:
        """(m, 3) index into edges_unique of each face's edges (v0v1, v1v2, v2v0)."""
        return self._edge_keys[2].reshape(-1, 3)

    @cached_property
    def edge_lengths(self) -> np.ndarray:
        v = self.model.vertices
        e = self.edges_unique
        return np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)

    @cached_property
    def mean_edge_mm(self) -> float:
        return float(self.edge_lengths.mean()) if len(self.edge_lengths) else 0.0

    @cached_property
    def bbox_diag_mm(self) -> float:
        return float(np.linalg.norm(self.model.extents))

    @cached_property
    def vertex_normals(self) -> np.ndarray:
        """Area-weighted vertex normals (unit length; zero for isolated vertices)."""
        f, c, nv = self.model.faces.ravel(), np.repeat(self._cross, 3, axis=0), self.model.n_vertices
        n = np.stack([np.bincount(f, weights=c[:, j], minlength=nv) for j in range(3)], axis=1)
        ln = np.linalg.norm(n, axis=1)
        ok = ln > 0
        n[ok] /= ln[ok, None]
        return n

    # --- topology (trimesh) ---
    @cached_property
    def mesh(self):
        """The trimesh view of the model (process=False: the Model is already merged)."""
        import trimesh

        return trimesh.Trimesh(self.model.vertices, self.model.faces, process=False,
                               validate=False)

    @cached_property
    def boundary_edges(self) -> int:
        """Edges used by exactly one face."""
        return int((self.edge_face_count == 1).sum())

    @cached_property
    def nonmanifold_edges(self) -> int:
        return int((self.edge_face_count > 2).sum())

    @cached_property
    def winding_consistent(self) -> bool:
        """Neighbouring faces traverse their shared edge in opposite directions."""
        f = self.model.faces
        e = np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], axis=1).reshape(-1, 2)
        directed = e[:, 0] * np.int64(self.model.n_vertices) + e[:, 1]
        # on manifold edges a repeated directed edge means two faces disagree
        manifold = self.edge_face_count[self._edge_keys[2]] == 2
        d = np.sort(directed[manifold])
        return bool(not np.any(d[1:] == d[:-1]))

    @cached_property
    def watertight(self) -> bool:
        """Every edge shared by exactly two faces, consistently wound."""
        return bool(len(self.edge_face_count) and np.all(self.edge_face_count == 2)
                    and self.winding_consistent)

    @cached_property
    def body_labels(self) -> np.ndarray:
        """Connected component id of every face (faces joined through shared vertices)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        e = self.edges_unique
        n = self.model.n_vertices
        g = coo_matrix((np.ones(len(e), dtype=np.int8), (e[:, 0], e[:, 1])), shape=(n, n))
        _, vlab = connected_components(g, directed=False)
        # relabel by first appearance in face order so ids are stable and start at 0
        flab = vlab[self.model.faces[:, 0]]
        _, first, inv = np.unique(flab, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))
        return rank[inv]

    @cached_property
    def n_bodies(self) -> int:
        return int(self.body_labels.max() + 1) if self.model.n_faces else 0

    # --- spatial kernels ---
    @cached_property
    def kdtree(self):
        """scipy cKDTree over the vertices."""
        from scipy.spatial import cKDTree

        return cKDTree(self.model.vertices)

    @cached_property
    def o3d_mesh(self):
        import open3d as o3d

        m = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(self.model.vertices),
                                      o3d.utility.Vector3iVector(self.model.faces.astype(np.int32)))
        return m

    @cached_property
    def raycasting_scene(self):
        """open3d RaycastingScene over the model (float32 kernels, C++ BVH)."""
        import open3d as o3d

        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor(self.model.vertices.astype(np.float32)),
                            o3d.core.Tensor(self.model.faces.astype(np.uint32)))
        return scene

    def sample_surface(self, count: int, salt: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Area-weighted random points on the surface with their face ids (fixed seed)."""
        key = f"samples:{count}:{salt}"

        def make(a: "Analysis"):
            rng = a.rng(salt)
            w = a.face_areas / a.total_area
            fid = rng.choice(len(w), size=count, p=w)
            r = rng.random((count, 2))
            flip = r.sum(axis=1) > 1
            r[flip] = 1 - r[flip]
            t = a.triangles[fid]
            pts = t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0])
            return pts, fid

        return self.cached(key, make)
