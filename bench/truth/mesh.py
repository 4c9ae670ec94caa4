"""Triangulation helpers for the shape grammar: numpy only, no loops over vertices or faces.

Every surface is built as a parameter grid mapped onto an exact shape, so every vertex lies on
the true surface whatever the triangulation style; the styles differ only in where the vertices
sit and how the quads are split:
- "isotropic": square-ish cells of about the target edge length, alternating diagonals;
- "irregular": the same grid with every free vertex jittered by up to JITTER of its cell and
  random diagonals (a scan or a remesh);
- "sliver": cells SLIVER_ASPECT times longer one way than the other (a CAD export's strips).
Each builder returns (vertices, faces, normals) with the exact outward unit normal per vertex,
so that faces can be oriented and patches displaced along the true normal.
"""

from __future__ import annotations

import numpy as np

STYLES = ("isotropic", "irregular", "sliver")
JITTER = 0.25  # irregular style: vertices move up to this share of their cell (cells stay convex)
SLIVER_ASPECT = (6.0, 12.0)  # sliver style: long/short cell side, drawn in this range
WELD_REL = 1e-7  # vertices closer than this times the model size are one vertex


def uniform(lo: float, hi: float, h: float) -> np.ndarray:
    """Samples from lo to hi (both included) at a spacing of at most h."""
    n = max(1, int(np.ceil((hi - lo) / h - 1e-9)))
    return np.linspace(lo, hi, n + 1)


def graded(lo: float, hi: float, core_lo: float, core_hi: float, h_fine: float,
           h_coarse: float, growth: float = 1.3) -> np.ndarray:
    """Samples from lo to hi: spacing h_fine inside [core_lo, core_hi], growing by `growth` per
    step outside it up to h_coarse (fine only where a patch needs it)."""
    core_lo, core_hi = max(lo, core_lo), min(hi, core_hi)
    core = uniform(core_lo, core_hi, h_fine)

    def ramp(span: float) -> np.ndarray:
        # steps h_fine * growth^k capped at h_coarse until the span is covered, then rescaled
        if span <= 0:
            return np.zeros(0)
        k = np.arange(1, 400)
        steps = np.minimum(h_fine * growth ** k, h_coarse)
        cum = np.cumsum(steps)
        n = int(np.searchsorted(cum, span)) + 1
        cum = cum[:n] * (span / cum[n - 1])
        return cum

    left = core_lo - ramp(core_lo - lo)[::-1]
    right = core_hi + ramp(hi - core_hi)
    out = np.concatenate([left, core, right])
    out[0], out[-1] = lo, hi
    return np.unique(out)


def grid_faces(nu: int, nv: int, wrap_u: bool, wrap_v: bool, flip: np.ndarray | None = None
               ) -> np.ndarray:
    """Two triangles per cell of an (nu, nv) vertex grid (vertex id = i * nv + j); a wrapped
    direction closes on itself. flip[i, j] picks the other diagonal of cell (i, j)."""
    cu = nu if wrap_u else nu - 1
    cv = nv if wrap_v else nv - 1
    i, j = np.meshgrid(np.arange(cu), np.arange(cv), indexing="ij")
    i1, j1 = (i + 1) % nu, (j + 1) % nv
    a, b, c, d = i * nv + j, i1 * nv + j, i1 * nv + j1, i * nv + j1
    if flip is None:
        flip = ((i + j) % 2).astype(bool)
    f1 = np.where(flip[..., None], np.stack([a, b, d], -1), np.stack([a, b, c], -1))
    f2 = np.where(flip[..., None], np.stack([b, c, d], -1), np.stack([a, c, d], -1))
    return np.concatenate([f1.reshape(-1, 3), f2.reshape(-1, 3)])


def style_flip(style: str, shape: tuple[int, int], rng) -> np.ndarray | None:
    """Diagonal choice per cell: alternating (None) except in the irregular style."""
    return rng.random(shape) < 0.5 if style == "irregular" else None


def jitter(u: np.ndarray, v: np.ndarray, rng, wrap_u: bool, wrap_v: bool,
           pin_u: np.ndarray | None = None, pin_v: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """(nu, nv) parameter grids from 1-D samples, each free vertex moved by up to JITTER of its
    neighbouring spacing. Open boundaries and pinned rows (sharp corners, seams) stay put."""
    U, V = np.meshgrid(u, v, indexing="ij")

    def step(x, wrap):
        d = np.diff(x)
        if wrap:
            lo = np.concatenate([[d[-1]], d])
            hi = np.concatenate([d, [d[0]]])
        else:
            lo = np.concatenate([[0.0], d])
            hi = np.concatenate([d, [0.0]])
        return np.minimum(lo, hi)

    su, sv = step(u, wrap_u), step(v, wrap_v)
    fu = np.ones(len(u), bool) if pin_u is None else ~pin_u
    fv = np.ones(len(v), bool) if pin_v is None else ~pin_v
    if not wrap_u:
        fu[[0, -1]] = False
    if not wrap_v:
        fv[[0, -1]] = False
    # a vertex on an open boundary stays put in both directions (it is shared with the
    # neighbouring patch); pinned rows still slide along themselves
    edge_u = np.ones(len(u), bool)
    edge_v = np.ones(len(v), bool)
    if not wrap_u:
        edge_u[[0, -1]] = False
    if not wrap_v:
        edge_v[[0, -1]] = False
    free = edge_u[:, None] & edge_v[None, :]
    U = U + JITTER * su[:, None] * rng.uniform(-1, 1, U.shape) * (fu[:, None] & free)
    V = V + JITTER * sv[None, :] * rng.uniform(-1, 1, V.shape) * (fv[None, :] & free)
    return U, V


def face_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    t = v[f]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)


def orient(v: np.ndarray, f: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Faces wound so that their normal agrees with the exact vertex normals."""
    fn = face_normals(v, f)
    back = np.einsum("ij,ij->i", fn, n[f].sum(axis=1)) < 0
    f = f.copy()
    f[back] = f[back][:, ::-1]
    return f


def orient_patch(v: np.ndarray, f: np.ndarray, n: np.ndarray) -> np.ndarray:
    """A parameter grid is wound consistently by construction: flip it as a whole when it
    faces inward (a face-by-face flip would hide a fold instead of showing it)."""
    fn = face_normals(v, f)
    if np.einsum("ij,ij->i", fn, n[f].sum(axis=1)).sum() < 0:
        return f[:, ::-1].copy()
    return f


def weld(v: np.ndarray, f: np.ndarray, n: np.ndarray | None = None, tol: float | None = None):
    """Merge coincident vertices (seams, poles), drop collapsed faces and unused vertices."""
    size = float(np.ptp(v, axis=0).max()) or 1.0
    tol = tol or WELD_REL * size
    key = np.round(v / tol).astype(np.int64)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    f = inv[f]
    keep = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    f = f[keep]
    vv = v[first]
    nn = None
    if n is not None:
        nn = np.zeros_like(vv)
        np.add.at(nn, inv, n)
        nn /= np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-300)
    used = np.zeros(len(vv), bool)
    used[f.ravel()] = True
    remap = np.cumsum(used) - 1
    return vv[used], remap[f], (nn[used] if nn is not None else None)


def concat(parts):
    """One mesh from several (v, f, n) parts (several bodies)."""
    vs, fs, ns, off = [], [], [], 0
    for v, f, n in parts:
        vs.append(v)
        fs.append(f + off)
        ns.append(n)
        off += len(v)
    return np.concatenate(vs), np.concatenate(fs), np.concatenate(ns)


def random_rotation(rng) -> np.ndarray:
    """A uniformly random proper rotation (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))[None, :]
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def frame_to(axis: np.ndarray) -> np.ndarray:
    """A rotation taking +z to `axis`."""
    z = np.asarray(axis, float) / np.linalg.norm(axis)
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


def edge_lengths(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    return np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)


def area(v: np.ndarray, f: np.ndarray) -> float:
    t = v[f]
    return float(0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1).sum())


def sphere_points(n: int, style: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """Unit-sphere directions and their triangulation with about 2n faces.

    isotropic: a Fibonacci lattice; irregular: random points kept apart by a jittered lattice;
    sliver: a latitude-longitude grid with SLIVER_ASPECT more longitudes than latitude steps
    would give square cells (long thin triangles, fans at the poles).
    """
    if style == "sliver":
        k = rng.uniform(*SLIVER_ASPECT)
        nlat = max(4, int(np.sqrt(n / (2.0 * k))))
        nlon = max(8, int(n / nlat))
        th = np.linspace(0.0, np.pi, nlat + 1)
        ph = np.linspace(0.0, 2 * np.pi, nlon, endpoint=False)
        T, P = np.meshgrid(th, ph, indexing="ij")
        d = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
        f = grid_faces(nlat + 1, nlon, False, True)
        v, f, _ = weld(d, f, d)
        return v, orient(v, f, v)
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = np.pi * (1.0 + 5 ** 0.5) * i
    if style == "irregular":
        z = np.clip(z + rng.uniform(-0.8, 0.8, n) / n * 2.0, -1, 1)
        phi = phi + rng.uniform(-0.6, 0.6, n) * np.sqrt(4 * np.pi / n) / np.sqrt(
            np.maximum(1 - z * z, 1e-3))
    s = np.sqrt(np.maximum(1.0 - z * z, 0.0))
    d = np.stack([s * np.cos(phi), s * np.sin(phi), z], -1)
    from scipy.spatial import ConvexHull

    f = ConvexHull(d).simplices.astype(np.int64)
    return d, orient(d, f, d)


def radial_project(dirs: np.ndarray, sdf, t_max: float, iterations: int = 48) -> np.ndarray:
    """Distance along each unit direction from the origin to the zero of sdf (inside < 0), by
    bisection: exact for star-shaped solids whose inside holds the origin."""
    lo = np.zeros(len(dirs))
    hi = np.full(len(dirs), t_max)
    for _ in range(iterations):  # a fixed number of vectorised halvings
        mid = 0.5 * (lo + hi)
        inside = sdf(dirs * mid[:, None]) < 0
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return 0.5 * (lo + hi)


def sdf_normals(p: np.ndarray, sdf, eps: float) -> np.ndarray:
    """Unit gradient of an SDF by central differences (the exact normal up to eps^2)."""
    g = np.stack([sdf(p + eps * e) - sdf(p - eps * e) for e in np.eye(3)], -1)
    return g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-300)


def plane_lattice(style: str, W: float, H: float, h: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """2D points over [0, W] x [0, H] about h apart, and their triangles: isotropic (equilateral),
    irregular (jittered by 0.35 h) or sliver (cells 5 h long one way)."""
    from scipy.spatial import Delaunay

    if style == "isotropic":
        ny, nx = int(H / (h * np.sqrt(3) / 2)) + 2, int(W / h) + 2
        j, i = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        xy = np.stack([(i + 0.5 * (j % 2)) * h, j * h * np.sqrt(3) / 2], -1).reshape(-1, 2)
    else:
        hy = 5.0 * h if style == "sliver" else h
        nx, ny = int(W / h) + 2, int(H / hy) + 2
        j, i = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        xy = np.stack([i * h, j * hy], -1).reshape(-1, 2).astype(float)
        if style == "irregular":
            xy += rng.uniform(-0.35, 0.35, xy.shape) * h
    xy = xy[(xy[:, 0] <= W + 1e-9) & (xy[:, 1] <= H + 1e-9)]
    return xy, Delaunay(xy).simplices


def crease_vertices(v: np.ndarray, f: np.ndarray, min_rad: float) -> np.ndarray:
    """(V,) bool: the vertex lies on an edge whose two faces turn by min_rad or more (the
    angle between their normals; edges shared by two faces, pairs of three or more alike)."""
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-300)
    e = np.sort(f[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    face = np.repeat(np.arange(len(f)), 3)
    key = e[:, 0].astype(np.int64) * len(v) + e[:, 1]
    o = np.argsort(key, kind="stable")
    pair = np.flatnonzero(key[o][1:] == key[o][:-1])
    cos = np.einsum("ij,ij->i", fn[face[o[pair]]], fn[face[o[pair + 1]]])
    out = np.zeros(len(v), dtype=bool)
    out[e[o[pair[cos <= np.cos(min_rad)]]].ravel()] = True
    return out
