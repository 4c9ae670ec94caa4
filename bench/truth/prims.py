"""Primitives that carry their own truth: every builder returns a Part whose features say where
each edge chain, wall or rod is and what its true numbers are.

- rounded_box: the Minkowski sum of a box and a ball, so all 12 edges are fillets of radius R
  exactly (R = 0: a hard box);
- revolve: a filleted profile turned about z (discs, miniature bases with a bevelled rim,
  rings, capsules, spheres, rods);
- sweep: a closed filleted profile swept along a closed wavy planar path (fillets along curves,
  tori); the profile lies in the path's normal plane, so every fillet keeps its radius exactly;
- star: a star-shaped implicit solid (blobs, displaced spheres) projected along rays;
- rectilinear: the boundary of a union of axis-aligned boxes (fins, walls, forks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from . import mesh
from .profiles import Profile

FEATURE_SPACING = 40  # samples along a feature's length at least (enough to match places to it)
# ... and at least one per row of faces along it: places are matched by their distance to the
# samples within a few rows, so samples sparser than the rows leave a place on the line, between
# two samples, unmatched (a 512-section ring's rim sampled 40 times: 1.15 mm apart, matched
# within 0.36 mm)


@dataclass(frozen=True, eq=False)
class Feature:
    """Where a known feature is: sample points on it, its centroid, and its true numbers.

    fan: the feature is a closed loop (a rim, a box's edges) whose chain centroid may lie
    inside it, away from the surface: places anywhere in the fan from the centroid to the
    points belong to it.
    """

    kind: str
    points: np.ndarray
    centroid: np.ndarray
    numbers: dict = field(default_factory=dict)
    fan: bool = False

    def moved(self, rot: np.ndarray, shift: np.ndarray) -> "Feature":
        return replace(self, points=self.points @ rot.T + shift,
                       centroid=self.centroid @ rot.T + shift)


@dataclass(frozen=True, eq=False)
class Part:
    v: np.ndarray
    f: np.ndarray
    n: np.ndarray
    features: tuple[Feature, ...] = ()

    def moved(self, rot: np.ndarray, shift=(0.0, 0.0, 0.0)) -> "Part":
        shift = np.asarray(shift, float)
        return Part(self.v @ rot.T + shift, self.f, self.n @ rot.T,
                    tuple(ft.moved(rot, shift) for ft in self.features))


def combine(parts) -> Part:
    v, f, n = mesh.concat([(p.v, p.f, p.n) for p in parts])
    return Part(v, f, n, tuple(ft for p in parts for ft in p.features))


def _finish(v, f, n) -> Part:
    v, f, n = mesh.weld(v.reshape(-1, 3), f, n.reshape(-1, 3))
    return Part(v, mesh.orient_patch(v, f, n), n)


# --------------------------------------------------------------------------- rounded box


def _box_axis(a: float, R: float, h: float, n_across: int, flat=None) -> np.ndarray:
    """Outer-cube coordinates along one axis: the flat part at spacing h (or the given flat
    samples) and, on each side, fillet samples at equal angle steps (u = a + R tan(alpha),
    alpha up to 45 degrees)."""
    flat = mesh.uniform(-a, a, h) if flat is None else flat
    if R <= 0:
        return flat
    m = max(1, int(np.ceil(n_across / 2)))
    side = a + R * np.tan(np.linspace(0.0, np.pi / 4, m + 1)[1:])
    return np.concatenate([-side[::-1], flat, side])


def _map_rounded(q: np.ndarray, a: np.ndarray, R: float) -> tuple[np.ndarray, np.ndarray]:
    c = np.clip(q, -a, a)
    d = q - c
    ln = np.linalg.norm(d, axis=1, keepdims=True)
    nrm = d / np.maximum(ln, 1e-300)
    return (c + R * nrm if R > 0 else q), nrm


def rounded_box(a, R: float, h: float, style: str, n_across: int, rng,
                radial: bool = False, flats=None) -> Part:
    """Box of inner half extents a with every edge filleted at R; edge length about h.

    radial: vertices of a near-uniform sphere lattice pushed along their rays onto the box
    (triangles not aligned with any edge, like a remesh); otherwise the six sides are grids on
    the outer cube mapped onto the rounded surface (fillets in n_across steps of equal angle).
    flats: per axis, the samples of the flat part (graded around a patch) instead of spacing h.
    """
    a = np.asarray(a, float)
    if radial:
        part = _rounded_box_radial(a, R, h, rng)
    else:
        hs = np.full(3, h)
        if style == "sliver":
            hs[rng.integers(3)] *= rng.uniform(*mesh.SLIVER_ASPECT)
        flats = flats or (None, None, None)
        axes = [_box_axis(a[k], R, hs[k], n_across, flats[k]) for k in range(3)]
        vs, fs, ns, off = [], [], [], 0
        for k in range(3):  # the six sides
            i, j = [x for x in range(3) if x != k]
            for s in (-1.0, 1.0):
                if style == "irregular":
                    U, V = mesh.jitter(axes[i], axes[j], rng, False, False)
                else:
                    U, V = np.meshgrid(axes[i], axes[j], indexing="ij")
                q = np.zeros((U.size, 3))
                q[:, k] = s * (a[k] + R)
                q[:, i], q[:, j] = U.ravel(), V.ravel()
                p, nrm = _map_rounded(q, a, R)
                if R <= 0:
                    nrm = np.zeros_like(q)
                    nrm[:, k] = s
                f = mesh.grid_faces(U.shape[0], U.shape[1], False, False,
                                    mesh.style_flip(style, (U.shape[0] - 1, U.shape[1] - 1), rng))
                f = mesh.orient_patch(p, f, nrm)
                vs.append(p), fs.append(f + off), ns.append(nrm)
                off += len(p)
        part = _finish(np.concatenate(vs), np.concatenate(fs), np.concatenate(ns))
    m = max(1, int(np.ceil(n_across / 2)))
    h_across = (R * np.pi / 4 / m) if (R > 0 and not radial) else h
    return replace(part, features=(_box_edges(a, R, h_across, h),))


def _rounded_box_radial(a: np.ndarray, R: float, h: float, rng) -> Part:
    ext = a + R
    surf = 8 * (ext[0] * ext[1] + ext[1] * ext[2] + ext[0] * ext[2])
    n = int(np.clip(surf / (0.866 * h * h), 200, 400_000))
    dirs, f = mesh.sphere_points(n, "isotropic", rng)

    def sdf(p):
        q = np.abs(p) - a
        return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0) - R

    t = mesh.radial_project(dirs, sdf, float(np.linalg.norm(ext)) * 1.01)
    v = dirs * t[:, None]
    c = np.clip(v, -a, a)
    d = v - c
    nrm = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-300)
    if R <= 0:  # a hard box: the normal of the side the point is on
        k = np.argmax(np.abs(v) / a, axis=1)
        nrm = np.zeros_like(v)
        nrm[np.arange(len(v)), k] = np.sign(v[np.arange(len(v)), k])
    return Part(v, f, nrm)  # the sphere lattice is wound outward; rays keep that


def _box_edges(a: np.ndarray, R: float, h_across: float, h: float) -> Feature:
    """The 12 edges of a rounded box as one feature (one radius): the fillets' mid-arc lines."""
    off = R / np.sqrt(2.0)
    pts = []
    for k in range(3):
        i, j = [x for x in range(3) if x != k]
        t = np.linspace(-a[k], a[k], max(FEATURE_SPACING // 4 + 2, math.ceil(2 * a[k] / h) + 1))
        for s1 in (-1, 1):
            for s2 in (-1, 1):
                p = np.zeros((len(t), 3))
                p[:, k] = t
                p[:, i] = s1 * (a[i] + off)
                p[:, j] = s2 * (a[j] + off)
                pts.append(p)
    faces = [(a[i], a[j]) for i, j in ((0, 1), (1, 2), (0, 2))]
    flank = 2.0 * min(x * y / (x + y) for x, y in faces)
    length = 8.0 * float(a.sum())
    return Feature("edge", np.concatenate(pts), np.zeros(3),
                   {"radius_mm": R, "turn_rad": np.pi / 2, "h_across_mm": h_across,
                    "h_along_mm": h, "flank_mm": flank, "flank_len_mm": 2.0 * float(a.min()),
                    "length_mm": length}, fan=True)


# --------------------------------------------------------------------------- revolve / sweep


def _profile_grid(profile: Profile, h: float, aligned: bool, n_across, n_t: int, wrap_t: bool,
                  style: str, rng):
    s = profile.samples(h, aligned, n_across, rng)
    t = np.linspace(0.0, 1.0, n_t, endpoint=not wrap_t)
    if style == "irregular":
        pin = np.isin(np.round(s, 12), np.round(profile.sharp_s, 12))
        S, T = mesh.jitter(s, t, rng, profile.closed, wrap_t, pin_u=pin)
    else:
        S, T = np.meshgrid(s, t, indexing="ij")
    p2, n2 = profile.eval(S.ravel())
    f = mesh.grid_faces(len(s), n_t, profile.closed, wrap_t,
                        mesh.style_flip(style, (len(s) - (0 if profile.closed else 1),
                                                n_t - (0 if wrap_t else 1)), rng))
    return p2, n2, T.ravel(), f


def _corner_across(profile: Profile, corner, h: float, aligned: bool, n_across) -> float:
    if corner.radius <= 0 or not aligned:
        return h
    n = int(n_across) if n_across else max(1, int(np.ceil(corner.arc_len / h)))
    return corner.arc_len / n


def revolve(profile: Profile, n_sections: int, h: float, style: str, rng,
            aligned: bool = True, n_across: int | None = None) -> Part:
    """The profile (rho, z), rho >= 0, turned about z in n_sections steps."""
    p2, n2, T, f = _profile_grid(profile, h, aligned, n_across, n_sections, True, style, rng)
    phi = 2 * np.pi * T
    c, s = np.cos(phi), np.sin(phi)
    v = np.stack([p2[:, 0] * c, p2[:, 0] * s, p2[:, 1]], -1)
    n = np.stack([n2[:, 0] * c, n2[:, 0] * s, n2[:, 1]], -1)
    part = _finish(v, f, n)
    feats = []
    ang = np.linspace(0, 2 * np.pi, max(FEATURE_SPACING, n_sections), endpoint=False)
    for cn in profile.corners:
        rho, z = cn.point
        if rho <= 1e-9:
            continue
        pts = np.stack([rho * np.cos(ang), rho * np.sin(ang), np.full_like(ang, z)], -1)
        feats.append(Feature("edge", pts, np.array([0.0, 0.0, z]), {
            "radius_mm": cn.radius, "turn_rad": cn.turn,
            "h_across_mm": _corner_across(profile, cn, h, aligned, n_across),
            "h_along_mm": 2 * np.pi * rho / n_sections, "length_mm": 2 * np.pi * rho,
            "flank_mm": cn.flank_mm},
            fan=True))
    return replace(part, features=tuple(feats))


def _path(rho0: float, eps: float, lobes: int, n: int):
    """A closed wavy planar path rho(t) = rho0 (1 + eps cos(lobes t)) sampled at n points of
    equal arc length: points, outward unit normals in the plane."""
    t = np.linspace(0.0, 2 * np.pi, 4097)
    rho = rho0 * (1.0 + eps * np.cos(lobes * t))
    xy = np.stack([rho * np.cos(t), rho * np.sin(t)], -1)
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
    tt = np.interp(np.linspace(0.0, cum[-1], n, endpoint=False), cum, t)
    r = rho0 * (1.0 + eps * np.cos(lobes * tt))
    dr = -rho0 * eps * lobes * np.sin(lobes * tt)
    pts = np.stack([r * np.cos(tt), r * np.sin(tt)], -1)
    tan = np.stack([dr * np.cos(tt) - r * np.sin(tt), dr * np.sin(tt) + r * np.cos(tt)], -1)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    return pts, np.stack([tan[:, 1], -tan[:, 0]], -1), float(cum[-1])


def sweep(profile: Profile, rho0: float, eps: float, lobes: int, n_along: int, h: float,
          style: str, rng, aligned: bool = True, n_across: int | None = None) -> Part:
    """A closed profile (p across, q up) swept along a closed wavy path in the xy plane."""
    p2, n2, T, f = _profile_grid(profile, h, aligned, n_across, n_along, True, style, rng)
    # irregular jitter moves T off the sample grid: evaluate the path at every vertex's T
    pts, nrm, _ = _path(rho0, eps, lobes, 8 * n_along)
    k = np.round(T * 8 * n_along).astype(np.int64) % (8 * n_along)
    c, nn = pts[k], nrm[k]
    v = np.column_stack([c + p2[:, :1] * nn, p2[:, 1]])
    n = np.column_stack([n2[:, :1] * nn, n2[:, 1]])
    part = _finish(v, f, n)
    feats = []
    cpts, cn_, length = _path(rho0, eps, lobes, max(FEATURE_SPACING, n_along))
    for cn in profile.corners:
        p, q = cn.point
        pts3 = np.column_stack([cpts + p * cn_, np.full(len(cpts), q)])
        feats.append(Feature("edge", pts3, np.array([0.0, 0.0, q]), {
            "radius_mm": cn.radius, "turn_rad": cn.turn,
            "h_across_mm": _corner_across(profile, cn, h, aligned, n_across),
            "h_along_mm": length / n_along, "length_mm": length, "flank_mm": cn.flank_mm},
            fan=True))
    return replace(part, features=tuple(feats))


# --------------------------------------------------------------------------- star solids


def star(sdf, t_max: float, n: int, style: str, rng, eps: float) -> Part:
    """A star-shaped solid (sdf < 0 inside, the origin inside) with about 2n faces."""
    dirs, f = mesh.sphere_points(n, style, rng)
    t = mesh.radial_project(dirs, sdf, t_max)
    v = dirs * t[:, None]
    nrm = mesh.sdf_normals(v, sdf, eps)
    return Part(v, f, nrm)  # the sphere lattice is wound outward; rays keep that


# --------------------------------------------------------------------------- rectilinear


def _axis_coords(bounds: np.ndarray, h: float, style: str, rng) -> np.ndarray:
    """Every box bound on this axis, with samples between them at spacing <= h (irregular:
    spacings drawn between 0.5 and 1.5 of h)."""
    b = np.unique(bounds)
    out = [b[:1]]
    for lo, hi in zip(b[:-1], b[1:]):
        n = max(1, int(np.ceil((hi - lo) / h)))
        x = np.linspace(lo, hi, n + 1)[1:]
        if style == "irregular" and n > 1:
            w = rng.uniform(0.5, 1.5, n)
            x = lo + (hi - lo) * np.cumsum(w) / w.sum()
        out.append(x)
    return np.concatenate(out)


def rectilinear(boxes, h: float, style: str, rng) -> Part:
    """The closed surface of a union of axis-aligned boxes [(lo3, hi3), ...] (boxes meet face
    to face, never along a lone edge), with edge length about h."""
    boxes = np.asarray(boxes, float)
    hs = np.full(3, h)
    if style == "sliver":
        hs[rng.integers(3)] *= rng.uniform(*mesh.SLIVER_ASPECT)
    X = [_axis_coords(boxes[:, :, k].ravel(), hs[k], style, rng) for k in range(3)]
    ctr = [0.5 * (x[1:] + x[:-1]) for x in X]
    C = np.stack(np.meshgrid(*ctr, indexing="ij"), -1)
    occ = np.zeros(C.shape[:3], bool)
    for lo, hi in boxes:  # a handful of boxes
        occ |= np.all((C > lo) & (C < hi), axis=-1)
    dims = np.array([len(x) for x in X])
    vid = lambda i, j, k: (i * dims[1] + j) * dims[2] + k  # noqa: E731
    quads, normals = [], []
    for ax in range(3):
        pad = [(0, 0)] * 3
        pad[ax] = (1, 1)
        o = np.pad(occ, pad)
        d = np.diff(o.astype(np.int8), axis=ax)  # +1: empty -> full along ax, -1: full -> empty
        for sign in (-1, 1):
            idx = np.argwhere(d == -sign)  # outward normal along +ax for sign = +1
            if len(idx) == 0:
                continue
            b, c_ = [x for x in range(3) if x != ax]
            base = idx.copy()
            corners = []
            for db, dc in ((0, 0), (1, 0), (1, 1), (0, 1)):
                q = base.copy()
                q[:, b] += db
                q[:, c_] += dc
                corners.append(vid(q[:, 0], q[:, 1], q[:, 2]))
            quads.append(np.stack(corners, -1))
            nn = np.zeros((len(idx), 3))
            nn[:, ax] = sign
            normals.append(nn)
    quads = np.concatenate(quads)
    fn = np.concatenate(normals)
    flip = mesh.style_flip(style, (len(quads),), rng)
    flip = np.zeros(len(quads), bool) if flip is None else flip
    t1 = np.where(flip[:, None], quads[:, [0, 1, 3]], quads[:, [0, 1, 2]])
    t2 = np.where(flip[:, None], quads[:, [1, 2, 3]], quads[:, [0, 2, 3]])
    f = np.concatenate([t1, t2])
    fnn = np.concatenate([fn, fn])
    G = np.stack(np.meshgrid(*X, indexing="ij"), -1).reshape(-1, 3)
    used = np.unique(f)
    remap = np.full(len(G), -1)
    remap[used] = np.arange(len(used))
    v, f = G[used], remap[f]
    back = np.einsum("ij,ij->i", mesh.face_normals(v, f), fnn) < 0
    f[back] = f[back][:, ::-1]
    vn = np.zeros_like(v)
    np.add.at(vn, f.ravel(), np.repeat(fnn, 3, axis=0))
    vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-300)
    return Part(v, f, vn)
