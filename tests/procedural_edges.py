"""Procedural meshes with known edge radii for the edges family's tests and bench.

`rounded_box` is the Minkowski sum of a box (half extents `a`) and a ball of radius `r`:
every one of its 12 edges is a cylindrical fillet of radius exactly r (r=0 gives a hard box).
Two triangulations of the same shape:
- "grid": each side of the outer cube carries a square grid of spacing `h`, mapped onto the
  rounded surface (fillet arcs get steps between h/2 and h, aligned with the edges);
- "radial": an icosphere's vertices are pushed out along their rays onto the surface, so the
  triangles are irregular and not aligned with any edge (like a scan or a remesh).
"""

from __future__ import annotations

import numpy as np


def _merge(v: np.ndarray, f: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    key = np.round(v / tol).astype(np.int64)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    f = inv[f]
    keep = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    return v[first], f[keep]


def _orient_outward(v: np.ndarray, f: np.ndarray, center=(0.0, 0.0, 0.0)) -> np.ndarray:
    t = v[f]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    out = np.einsum("ij,ij->i", n, t.mean(axis=1) - np.asarray(center)) < 0
    f = f.copy()
    f[out] = f[out][:, ::-1]
    return f


def cube_grid(half: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed surface of the box [-half, half] with a square grid of about spacing h."""
    half = np.asarray(half, dtype=float)
    counts = np.maximum(1, np.ceil(2 * half / h).astype(int))
    verts, faces, off = [], [], 0
    for k in range(3):
        u, w = [i for i in range(3) if i != k]
        gu = np.linspace(-half[u], half[u], counts[u] + 1)
        gw = np.linspace(-half[w], half[w], counts[w] + 1)
        U, W = np.meshgrid(gu, gw, indexing="ij")
        nu, nw = U.shape
        idx = np.arange(nu * nw).reshape(nu, nw)
        a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
        c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
        quad = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
        for s in (-1.0, 1.0):
            p = np.zeros((nu * nw, 3))
            p[:, k] = s * half[k]
            p[:, u] = U.ravel()
            p[:, w] = W.ravel()
            verts.append(p)
            faces.append(quad + off)
            off += len(p)
    v, f = _merge(np.concatenate(verts), np.concatenate(faces), 1e-9 * float(half.max()))
    return v, f


def _map_to_rounded(q: np.ndarray, a: np.ndarray, r: float) -> np.ndarray:
    c = np.clip(q, -a, a)
    d = q - c
    ln = np.linalg.norm(d, axis=1, keepdims=True)
    if r == 0:
        return q
    return c + r * d / np.where(ln > 0, ln, 1.0)


def rounded_box_sdf(p: np.ndarray, a: np.ndarray, r: float) -> np.ndarray:
    q = np.abs(p) - a
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0) - r


def rounded_box(r: float, h: float, a=None, kind: str = "grid") -> tuple[np.ndarray, np.ndarray]:
    """Vertices, faces of a box with fillet radius r on every edge and edge length about h.

    `a` is the half extent of the inner (unrounded) box, default 4 r per axis (or 4 h for
    a hard box), so the flat sides are 8 r wide.
    """
    if a is None:
        a = 4.0 * max(r, h)
    a = np.broadcast_to(np.asarray(a, dtype=float), (3,)).copy()
    if kind == "grid":
        q, f = cube_grid(a + r, h)
        v = _map_to_rounded(q, a, r)
    elif kind == "radial":
        import trimesh

        # icosphere edge length is about 1.05 * 2^-sub rad; pick a level giving ~h on the box
        ext = float(np.linalg.norm(a + r))
        sub = int(np.clip(np.ceil(np.log2(1.1 * ext / h)), 1, 9))
        s = trimesh.creation.icosphere(subdivisions=sub)
        u = np.asarray(s.vertices, dtype=float)
        f = np.asarray(s.faces, dtype=np.int64)
        lo, hi = np.zeros(len(u)), np.full(len(u), 2.0 * ext)
        for _ in range(60):  # bisection along each ray onto the zero set of the SDF
            mid = 0.5 * (lo + hi)
            inside = rounded_box_sdf(u * mid[:, None], a, r) < 0
            lo = np.where(inside, mid, lo)
            hi = np.where(inside, hi, mid)
        v = u * (0.5 * (lo + hi))[:, None]
    else:
        raise ValueError(kind)
    return v, _orient_outward(v, f)


def sphere(radius: float, subdivisions: int = 5):
    import trimesh

    s = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return np.asarray(s.vertices, float), np.asarray(s.faces, np.int64)


def torus(major: float, minor: float, n_major: int = 160, n_minor: int = 48):
    i, j = np.meshgrid(np.arange(n_major), np.arange(n_minor), indexing="ij")
    u, w = 2 * np.pi * i / n_major, 2 * np.pi * j / n_minor
    v = np.stack([(major + minor * np.cos(w)) * np.cos(u), (major + minor * np.cos(w)) * np.sin(u),
                  minor * np.sin(w)], -1).reshape(-1, 3)
    a = (i * n_minor + j).ravel()
    b = (((i + 1) % n_major) * n_minor + j).ravel()
    c = (((i + 1) % n_major) * n_minor + (j + 1) % n_minor).ravel()
    d = (i * n_minor + (j + 1) % n_minor).ravel()
    f = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    # orient outward from the tube's core circle
    t = v[f]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    cen = t.mean(axis=1)
    core = cen.copy()
    core[:, 2] = 0
    core[:, :2] *= major / np.linalg.norm(core[:, :2], axis=1, keepdims=True)
    bad = np.einsum("ij,ij->i", n, cen - core) < 0
    f[bad] = f[bad][:, ::-1]
    return v, f


def subdivide(v: np.ndarray, f: np.ndarray, times: int = 1, sdf=None):
    """Midpoint subdivision (4x faces per level), optionally snapping new vertices onto sdf."""
    import trimesh

    for _ in range(times):
        v, f = trimesh.remesh.subdivide(v, f)
    return np.asarray(v, float), np.asarray(f, np.int64)
