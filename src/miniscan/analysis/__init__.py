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
from ..o3d_import import prepare as _prepare_open3d

_prepare_open3d()  # every check reaches open3d through an Analysis: import it without dash

SEED = 20261122  # every sampling in miniscan draws from this fixed seed
# A model whose coordinates reach more than this many of its own sizes (bounding-box
# diagonals) from the origin is moved about its centre before the float32 ray kernels see it:
# within it the kernels' rounding is at most 8 times what it is about the centre (3 of the 24
# bits), beyond it the file's placement, not the model, sets it (Analysis.ray_shift)
RAY_SHIFT_SIZES = 4.0


def unique_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(keys, return_inverse=True, return_counts=True) for 1-D integer keys, from a
    stable argsort: mesh keys come in long sorted runs (neighbouring faces share vertices),
    which the stable sort exploits: on a 2M-face sculpt's 6M edge keys 0.3-0.7 CPU s instead
    of 0.6-0.9, and no slower on shuffled keys. Same three arrays."""
    perm = keys.argsort(kind="stable")
    s = keys[perm]
    new = np.empty(len(s), bool)
    new[:1] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    inverse = np.empty(len(keys), np.int64)
    inverse[perm] = np.cumsum(new) - 1
    return s[starts], inverse, np.diff(np.append(starts, len(s)))


# Labels below this sort as uint16, which numpy's stable argsort does by radix (one pass);
# larger ones take one radix pass per 16 bits (label_order).
RADIX_DIGIT = 1 << 16


def value_order(values: np.ndarray) -> np.ndarray:
    """np.argsort(values, kind="stable") for a float array, by the faster unstable sort when
    that gives the same permutation: every value distinct and none NaN (NaNs sort last, so
    one NaN shows in the last place). With ties the stable sort is used."""
    o = np.argsort(values)
    s = values[o]
    if len(s) and (np.isnan(s[-1]) or bool((s[1:] == s[:-1]).any())):
        o = np.argsort(values, kind="stable")
    return o


def label_order(labels: np.ndarray) -> np.ndarray:
    """np.argsort(labels, kind="stable") for integer labels: least-significant-digit radix
    passes over 16-bit digits (numpy's stable argsort of uint16 is a radix sort), three to
    five times faster than the merge sort int32/int64 labels get. Negative labels: numpy's."""
    if len(labels) == 0 or labels.min() < 0:
        return np.argsort(labels, kind="stable")
    top = int(labels.max())
    if top < RADIX_DIGIT:
        return np.argsort(labels.astype(np.uint16), kind="stable")
    k = labels.astype(np.uint64)
    p = np.argsort((k & np.uint64(0xFFFF)).astype(np.uint16), kind="stable")
    shift = 16
    while top >> shift:
        d = ((k >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
        p = p[np.argsort(d[p], kind="stable")]
        shift += 16
    return p


def lexsort_labels(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """np.lexsort((values, labels)) (by label, then value, then index) for float values and
    integer labels: the same permutation, about twice as fast (value_order,
    then label_order of the labels in that order: a stable sort keeps the value order)."""
    o = value_order(values)
    return o[label_order(labels[o])]


def lexsort_labels_ties(values: np.ndarray, labels: np.ndarray, ties) -> np.ndarray:
    """np.lexsort((*ties[::-1], values, labels)): by label, then value, then each key of
    `ties` (most significant first), then index. lexsort_labels orders by the first two, and
    np.lexsort reads the tie keys only over the runs of equal (label, value): a full lexsort of
    five keys over a 2M-face sculpt's station candidates took four times as long, nearly all of
    it on keys that break no tie. (NaNs equal one another, as np.lexsort's sorts take them.)"""
    o = lexsort_labels(values, labels)
    if len(o) < 2:
        return o
    lab, val = labels[o], values[o]
    same = (lab[1:] == lab[:-1]) & ((val[1:] == val[:-1]) |
                                   (np.isnan(val[1:]) & np.isnan(val[:-1])))
    if not same.any():
        return o
    run = np.cumsum(np.r_[True, ~same]) - 1
    sub = np.flatnonzero(np.bincount(run)[run] > 1)
    m = o[sub]
    o = o.copy()
    o[sub] = m[np.lexsort((m, *[np.asarray(k)[m] for k in ties[::-1]], run[sub]))]
    return o


def first_by_value(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_groups,) index of each group's member of lowest value (ties: lowest index), for
    groups 0..n_groups-1 that all have members: the first member of each group in the
    stable value order (written in reverse, so the first write of a group is the last)."""
    o = value_order(values)[::-1]
    out = np.empty(n_groups, np.int64)
    out[groups[o]] = o
    return out


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
    # Built from one (m, 3) corner at a time: an (m, 3, 3) float64 copy of the triangles is
    # 72 bytes a face (0.6 GB at 8M faces) and nothing here needs all of it at once.
    def corner(self, k: int) -> np.ndarray:
        """(m, 3) position of corner k (0, 1, 2) of every face."""
        return self.model.vertices[self.model.faces[:, k]]

    @cached_property
    def triangles(self) -> np.ndarray:
        """(m, 3, 3) corner positions. Costly on big meshes (72 bytes a face, kept): prefer
        `corner(k)` or indexing a subset of faces."""
        return self.model.vertices[self.model.faces]

    @property
    def _cross(self) -> np.ndarray:
        """(m, 3) edge cross products (twice the area along the normal); not kept."""
        v0 = self.corner(0)
        return np.cross(self.corner(1) - v0, self.corner(2) - v0)

    @cached_property
    def face_volumes(self) -> np.ndarray:
        """(m,) each face's signed volume term v0 . (v1 - v0) x (v2 - v0) / 6: summed over a
        closed body, its enclosed volume, negative where the body is wound inward (thickness
        reads such a body flipped; health says so, MS908)."""
        v0 = self.corner(0)
        return np.einsum("ij,ij->i", v0, self._cross) / 6.0

    @cached_property
    def _normals_areas(self) -> tuple[np.ndarray, np.ndarray]:
        n = self._cross
        ln = np.linalg.norm(n, axis=1)
        ok = ln > 0
        n[ok] /= ln[ok, None]
        n[~ok] = 0.0
        return n, 0.5 * ln

    @cached_property
    def face_areas(self) -> np.ndarray:
        return self._normals_areas[1]

    @cached_property
    def degenerate(self) -> np.ndarray:
        """Faces with (near) zero area relative to the mean edge, or repeated vertex ids."""
        f = self.model.faces
        rep = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])
        return rep | (self.face_areas <= 1e-12 * max(self.mean_edge_mm, 1e-30) ** 2)

    @cached_property
    def duplicate(self) -> np.ndarray:
        """Faces on the same three vertices as an earlier face (either winding): a shell
        exported twice, or a doubled face; the first of each group is not marked."""
        f = np.sort(self.model.faces, axis=1).astype(np.int64)
        if len(f) < 2:
            return np.zeros(len(f), bool)
        n = int(f.max()) + 1
        if n < 2 ** 21:  # three ids in one 63-bit key: one sort instead of a lexsort
            key = (f[:, 0] << 42) | (f[:, 1] << 21) | f[:, 2]
            order = np.argsort(key, kind="stable")
            same = key[order][1:] == key[order][:-1]
        else:
            order = np.lexsort(f.T[::-1])
            same = (f[order][1:] == f[order][:-1]).all(axis=1)
        out = np.zeros(len(f), bool)
        out[order[1:][same]] = True
        return out

    @cached_property
    def face_normals(self) -> np.ndarray:
        """(m, 3) unit normals (zero for degenerate faces): the one normal field every family
        reads."""
        return self._normals_areas[0]

    @cached_property
    def face_centroids(self) -> np.ndarray:
        return (self.corner(0) + self.corner(1) + self.corner(2)) / 3.0

    @cached_property
    def total_area(self) -> float:
        return float(self.face_areas.sum())

    # --- edge topology in integer keys (np.unique on rows is far slower than on int64) ---
    @cached_property
    def _edge_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unique undirected edge keys, their face counts, inverse map of the 3m face edges).

        The 3m face edges are in face order, v0v1, v1v2, v2v0 within a face."""
        f = self.model.faces
        g = f[:, [1, 2, 0]]
        keys = (np.minimum(f, g) * np.int64(self.model.n_vertices) + np.maximum(f, g)).ravel()
        uniq, inverse, counts = unique_inverse(keys)
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
    def edge_faces(self) -> tuple[np.ndarray, np.ndarray]:
        """Interior manifold edges (exactly two faces): (their ids in edges_unique (k,), their
        face pairs (k, 2), smaller face id first), in edges_unique order."""
        _, counts, inverse = self._edge_keys
        fid = np.arange(len(inverse)) // 3
        first = np.empty(len(counts), np.int64)
        last = np.empty(len(counts), np.int64)
        first[inverse[::-1]] = fid[::-1]  # the last write wins: the smallest face id
        last[inverse] = fid
        two = np.flatnonzero(counts == 2)
        return two, np.stack([first[two], last[two]], axis=1)

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
        f, nv = self.model.faces.ravel(), self.model.n_vertices
        w = self.face_normals * self.face_areas[:, None]
        n = np.stack([np.bincount(f, weights=np.repeat(w[:, j], 3), minlength=nv)
                      for j in range(3)], axis=1)
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
    def _proper(self) -> np.ndarray:
        """(3m,) weight of each face edge in the surface's topology: 0 on a face that repeats
        a vertex ([a, a, b]: a needle with no surface, whose two copies of edge ab would make
        it look non-manifold and whose edge aa open), else 1."""
        f = self.model.faces
        needle = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 2] == f[:, 0])
        return np.repeat(~needle, 3)

    @cached_property
    def _surface_edge_count(self) -> np.ndarray:
        """Faces using each edge of edges_unique, needles left out (0: a needle's own)."""
        _, counts, inverse = self._edge_keys
        return np.bincount(inverse, weights=self._proper, minlength=len(counts)).astype(np.int64)

    @cached_property
    def boundary_edges(self) -> int:
        """Edges used by exactly one face (faces that repeat a vertex left out)."""
        return int((self._surface_edge_count == 1).sum())

    @cached_property
    def nonmanifold_edges(self) -> int:
        return int((self._surface_edge_count > 2).sum())

    @cached_property
    def winding_consistent(self) -> bool:
        """Neighbouring faces traverse their shared edge in opposite directions: on every
        two-face edge exactly one of the two runs from the lower vertex id to the higher."""
        f = self.model.faces
        rising = (f < f[:, [1, 2, 0]]).ravel() & self._proper  # the 3m face edges' order
        _, counts, inverse = self._edge_keys
        ups = np.bincount(inverse, weights=rising, minlength=len(counts))
        return bool(np.all(ups[self._surface_edge_count == 2] == 1))

    @cached_property
    def watertight(self) -> bool:
        """Every edge shared by exactly two faces, consistently wound (needles left out)."""
        used = self._surface_edge_count > 0
        return bool(used.any() and np.all(self._surface_edge_count[used] == 2)
                    and self.winding_consistent)

    @cached_property
    def vertex_bodies(self) -> np.ndarray:
        """Connected component of every vertex (joined through face edges; an isolated vertex
        is its own). scipy numbers components by their lowest vertex id."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        e = self.edges_unique
        n = self.model.n_vertices
        g = coo_matrix((np.ones(len(e), dtype=np.int8), (e[:, 0], e[:, 1])), shape=(n, n))
        return connected_components(g, directed=False)[1]

    @cached_property
    def body_labels(self) -> np.ndarray:
        """Connected component id of every face (faces joined through shared vertices)."""
        # relabel by first appearance in face order so ids are stable and start at 0
        flab = self.vertex_bodies[self.model.faces[:, 0]]
        _, first, inv = np.unique(flab, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))
        return rank[inv]

    @cached_property
    def n_bodies(self) -> int:
        return int(self.body_labels.max() + 1) if self.model.n_faces else 0

    # --- spatial kernels: one of each, shared by every family ---
    # Balanced trees (scipy's default): on 1M sculpt vertices the build is 0.8 s instead of
    # 0.3 s unbalanced, but 16-neighbour queries are 1.5x faster, and queries dominate.
    @cached_property
    def kdtree(self):
        """scipy cKDTree over the vertices."""
        from scipy.spatial import cKDTree

        return cKDTree(self.model.vertices)

    @cached_property
    def centroid_tree(self):
        """scipy cKDTree over the face centroids (which face is near a point)."""
        from scipy.spatial import cKDTree

        return cKDTree(self.face_centroids)

    @cached_property
    def o3d_mesh(self):
        import open3d as o3d

        m = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(self.model.vertices),
                                      o3d.utility.Vector3iVector(self.model.faces.astype(np.int32)))
        return m

    @cached_property
    def ray_shift(self) -> np.ndarray:
        """(3,) subtracted from every vertex and ray origin before open3d's float32 kernels see
        them: the model's bounding-box centre where the file puts the model more than
        RAY_SHIFT_SIZES of its own size from the origin, else nothing. float32 keeps 24 bits,
        so a part exported 100 m out (CAD assemblies, terrain tiles) would lose everything
        under ~8 um, and a 0.29 mm wall there read anywhere in 0.24-0.34 mm. Nearer the origin
        the rounding is already within a few of the model's own size (2^-24 of it), and the
        file's coordinates go to the kernels untouched: adding a far part to an assembly does
        not move the rounding of the rest (coincident pins in bores decide on it)."""
        v = self.model.vertices
        if not len(v):
            return np.zeros(3)
        lo, hi = v.min(axis=0), v.max(axis=0)
        size = float(np.linalg.norm(hi - lo))
        if float(np.abs(np.r_[lo, hi]).max()) <= RAY_SHIFT_SIZES * size:
            return np.zeros(3)
        return 0.5 * (lo + hi)

    def ray_tensor(self, rays: np.ndarray):
        """(n, 6) rays [origin, direction] in model coordinates as the float32 tensor the
        scenes below take: origins shifted by `ray_shift` in float64 first."""
        import open3d as o3d

        r = np.asarray(rays, dtype=np.float64).reshape(-1, 6)
        out = np.empty(r.shape, dtype=np.float32)
        out[:, :3] = r[:, :3] - self.ray_shift
        out[:, 3:] = r[:, 3:]
        return o3d.core.Tensor(out)

    @cached_property
    def raycasting_scene(self):
        """open3d RaycastingScene over the model (float32 kernels, C++ BVH), its vertices
        shifted by `ray_shift`: cast it only rays made by `ray_tensor`."""
        import open3d as o3d

        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor((self.model.vertices - self.ray_shift)
                                            .astype(np.float32)),
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
            v, f = a.model.vertices, a.model.faces[fid]
            t0 = v[f[:, 0]]
            pts = t0 + r[:, :1] * (v[f[:, 1]] - t0) + r[:, 1:] * (v[f[:, 2]] - t0)
            return pts, fid

        return self.cached(key, make)

    def resampled(self, length_mm: float):
        """The surface clustered to about `length_mm` apart, with a face map back to this
        model's faces (analysis.resample); computed once per length."""
        from .resample import resample

        return self.cached(f"resample:{float(length_mm)!r}", lambda a: resample(a, length_mm))

