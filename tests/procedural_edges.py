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


# --------------------------------------------------------------------------- shape grammar
# Surfaces of revolution (round bases, rings), fillets swept along curves, smooth blobs; each
# with several triangulations (structured with fan caps and long slivers, irregular jittered
# Delaunay), random rotations and noise. Generators return (vertices, faces, truths); truths
# lists the creases made: dict(radius (0 = hard), turn_deg, point (on the crease), length).


def _round_corner(a, p, b, r, segments):
    """Points replacing corner p (between a and b) by a circular arc of radius r with
    `segments` chords, vertices exactly on the arc; and (radius, turn, arc midpoint)."""
    u, w = (a - p) / np.linalg.norm(a - p), (b - p) / np.linalg.norm(b - p)
    inner = np.arccos(np.clip(u @ w, -1, 1))
    turn = np.pi - inner
    if r <= 0:
        return p[None], (0.0, turn, p.copy())
    d = r / np.tan(inner / 2)
    bis = (u + w) / np.linalg.norm(u + w)
    c = p + bis * r / np.sin(inner / 2)
    t0, t1 = p + u * d - c, p + w * d - c
    a0 = np.arctan2(t0[1], t0[0])
    da = (np.arctan2(t1[1], t1[0]) - a0 + np.pi) % (2 * np.pi) - np.pi
    ang = a0 + da * np.linspace(0, 1, segments + 1)
    am = a0 + da / 2
    return c + r * np.stack([np.cos(ang), np.sin(ang)], 1), \
        (r, turn, c + r * np.array([np.cos(am), np.sin(am)]))


def fillet_polyline(corners, radii, segments, closed=False):
    """Round the interior corners of a 2-D polyline (every corner of a closed one).
    Returns (points, arcs): arcs = [(radius, turn_rad, midpoint)] per rounded corner."""
    c = np.asarray(corners, float)
    n = len(c)
    idx = range(n) if closed else range(1, n - 1)
    out, arcs = ([] if closed else [c[:1]]), []
    for k, i in enumerate(idx):
        pts, arc = _round_corner(c[i - 1], c[i], c[(i + 1) % n], radii[k], segments)
        out.append(pts)
        arcs.append(arc)
    if not closed:
        out.append(c[-1:])
    pts = np.concatenate(out)
    keep = np.r_[True, np.linalg.norm(np.diff(pts, axis=0), axis=1) > 1e-12]
    return pts[keep], arcs


def refine_polyline(pts, max_len, closed=False):
    """Split segments longer than max_len (flats get rows; short arc chords are kept)."""
    p = np.concatenate([pts, pts[:1]]) if closed else pts
    out = [p[:1]]
    for a, b in zip(p[:-1], p[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / max_len - 1e-9)))
        out.append(a + np.linspace(0, 1, n + 1)[1:, None] * (b - a))
    q = np.concatenate(out)
    return q[:-1] if closed else q


def sample_profile(corners, radii, h, phase=0.0, closed=True):
    """A filleted profile (exact circular arcs of radii[i] at corner i) sampled about every h
    of its arc length (evenly all round a closed one) from `phase`, regardless of where its
    fillets begin: rows along the crease that do not sit on the tangent lines (a remesher's,
    or a CAD export's of another chord tolerance). Sharp corners (radius 0) are kept as
    vertices. Returns (points, arcs)."""
    dense, arcs = fillet_polyline(corners, radii, 256, closed)
    ring_ = np.concatenate([dense, dense[:1]]) if closed else dense
    step = np.linalg.norm(np.diff(ring_, axis=0), axis=1)
    s = np.r_[0.0, np.cumsum(step)]
    sharp = [s[np.argmin(np.linalg.norm(ring_ - np.asarray(corners[i], float), axis=1))]
             for i in range(len(radii)) if radii[i] <= 0]
    if closed:  # an even step all round (the last row is as wide as the others)
        n = max(3, int(round(s[-1] / h)))
        t = (phase % (s[-1] / n)) + s[-1] / n * np.arange(n)
    else:
        t = np.r_[np.arange(phase % h, s[-1] - 1e-9 * h, h), s[-1]]
    t = np.unique(np.r_[t, sharp])
    t = t[np.r_[True, np.diff(t) > 1e-6 * h]]
    pts = np.stack([np.interp(t, s, ring_[:, 0]), np.interp(t, s, ring_[:, 1])], 1)
    return pts, arcs


def revolve(profile, sections, closed=False):
    """Surface of revolution of (r, z) profile points about z: structured quads split in two;
    profile points on the axis become poles (fan caps: long slivers at many sections)."""
    prof = np.asarray(profile, float)
    m = len(prof)
    ang = 2 * np.pi * np.arange(sections) / sections
    index = np.zeros((m, sections), np.int64)
    verts, n = [], 0
    for i in range(m):
        if prof[i, 0] <= 1e-12:
            verts.append([[0.0, 0.0, prof[i, 1]]])
            index[i] = n
            n += 1
        else:
            verts.append(np.stack([prof[i, 0] * np.cos(ang), prof[i, 0] * np.sin(ang),
                                   np.full(sections, prof[i, 1])], 1))
            index[i] = n + np.arange(sections)
            n += sections
    faces = []
    for i in range(m if closed else m - 1):
        a, b = index[i], index[(i + 1) % m]
        a2, b2 = np.roll(a, -1), np.roll(b, -1)
        faces += [np.stack([a, b, b2], 1), np.stack([a, b2, a2], 1)]
    return np.concatenate(verts), _clean(np.concatenate(faces))


def revolve_jittered(profile, sections, rng, jitter=0.25, closed=False):
    """The structured surface of revolution with every vertex moved around the axis by up to
    `jitter` of a section (it stays on the surface) and each quad split along a random
    diagonal: a CAD revolve's long cells made irregular. Along a curved crease such a cell is
    no longer planar: its two triangles tilt about the crease one way and the other by about
    L^2 kappa / (8 w) (L the cell's length around, w its width across, kappa the rim's
    curvature), so the faces of a fillet a few rows of slivers wide zig-zag by tens of
    degrees while the surface they sample is exact."""
    prof = np.asarray(profile, float)
    m = len(prof)
    k = np.arange(sections)
    ang = 2 * np.pi * (k[None, :] + rng.uniform(-jitter, jitter, (m, sections))) / sections
    v = np.stack([prof[:, :1] * np.cos(ang), prof[:, :1] * np.sin(ang),
                  np.broadcast_to(prof[:, 1:], (m, sections))], -1).reshape(-1, 3)
    index = np.arange(m * sections).reshape(m, sections)
    faces = []
    for i in range(m if closed else m - 1):
        a, b = index[i], index[(i + 1) % m]
        a2, b2 = np.roll(a, -1), np.roll(b, -1)
        flip = rng.random(sections) < 0.5
        t1 = np.where(flip[:, None], np.stack([a, b, b2], 1), np.stack([a, b, a2], 1))
        t2 = np.where(flip[:, None], np.stack([a, b2, a2], 1), np.stack([b, b2, a2], 1))
        faces += [t1, t2]
    return v, _clean(np.concatenate(faces))


def _clean(f):
    ok = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    return f[ok]


def revolve_across(corners, radii, h, sections, rng, jitter=0.25):
    """A closed filleted profile (exact arcs: `fillet_polyline`) revolved about z on a grid of
    rows about h apart along the profile and `sections` around, every vertex moved along the
    profile and around the axis by up to `jitter` of its spacing (it stays on the surface)
    and each cell split along a random diagonal: a remesher's rows, running across the crease
    (a section's crossings are chord midpoints, off the surface), every vertex on it."""
    dense, _ = fillet_polyline(corners, radii, 256, True)
    ring_ = np.concatenate([dense, dense[:1]])
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(ring_, axis=0), axis=1))]
    n = max(3, int(round(s[-1] / h)))
    step = s[-1] / n
    t = rng.uniform(0, step) + step * np.arange(n)
    T = (t[:, None] + jitter * step * rng.uniform(-1, 1, (n, sections))) % s[-1]
    A = 2 * np.pi * (np.arange(sections)[None, :] + jitter * rng.uniform(-1, 1, (n, sections))) \
        / sections
    r, z = np.interp(T, s, ring_[:, 0]), np.interp(T, s, ring_[:, 1])
    v = np.stack([r * np.cos(A), r * np.sin(A), z], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(n), np.arange(sections), indexing="ij")
    a, b = i * sections + j, ((i + 1) % n) * sections + j
    c, d = ((i + 1) % n) * sections + (j + 1) % sections, i * sections + (j + 1) % sections
    flip = rng.random(i.shape) < 0.5
    f1 = np.where(flip[..., None], np.stack([a, b, d], -1), np.stack([a, b, c], -1))
    f2 = np.where(flip[..., None], np.stack([b, c, d], -1), np.stack([a, c, d], -1))
    return v, np.concatenate([f1.reshape(-1, 3), f2.reshape(-1, 3)])


def revolve_irregular(profile, h, rng, closed=False):
    """The same surface, triangulated irregularly: rows at the profile's own vertices (the
    arcs' chords) plus jittered rows on flats, jittered points about h apart around each row,
    Delaunay in the (arc length, arc length around) plane, so edges run at every angle."""
    from scipy.spatial import Delaunay

    prof = np.asarray(profile, float)
    pp = np.concatenate([prof, prof[:1]]) if closed else prof
    s_prof = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(pp, axis=0), axis=1))]
    total = s_prof[-1]
    rows = [s_prof[:-1] if closed else s_prof]
    for a, b in zip(s_prof[:-1], s_prof[1:]):
        k = int((b - a) / h)
        if k >= 1:
            rows.append(a + (b - a) * (np.arange(1, k + 1) + rng.uniform(-0.3, 0.3, k)) / (k + 1))
    srow = np.unique(np.concatenate(rows))
    r_of, z_of = np.interp(srow, s_prof, pp[:, 0]), np.interp(srow, s_prof, pp[:, 1])
    span = 2 * np.pi * float(pp[:, 0].max())
    P, I, V = [], [], []
    n = 0
    for s, r, z in zip(srow, r_of, z_of):
        if r <= 1e-12:  # a pole: one vertex, spread over its row in the parameter plane
            V.append([[0.0, 0.0, z]])
            uu = np.linspace(-1.0, 2.0, 193)
            P.append(np.stack([np.full(len(uu), s), uu * span], 1))
            I.append(np.full(len(uu), n))
            n += 1
            continue
        k = max(3, int(round(2 * np.pi * r / h)))
        u = np.mod((np.arange(k) + rng.uniform(-0.3, 0.3, k) + rng.uniform()) / k, 1.0)
        V.append(np.stack([r * np.cos(2 * np.pi * u), r * np.sin(2 * np.pi * u), np.full(k, z)], 1))
        for sh in (-1.0, 0.0, 1.0):
            P.append(np.stack([np.full(k, s), (u + sh) * span], 1))
            I.append(n + np.arange(k))
        n += k
    P, I = np.concatenate(P), np.concatenate(I)
    if closed:  # periodic in s too
        P = np.concatenate([P + [sh * total, 0.0] for sh in (-1.0, 0.0, 1.0)])
        I = np.concatenate([I] * 3)
    tri = Delaunay(P).simplices
    cen = P[tri].mean(axis=1)
    keep = (cen[:, 1] >= 0) & (cen[:, 1] < span)
    if closed:
        keep &= (cen[:, 0] >= 0) & (cen[:, 0] < total)
    f = _clean(I[tri[keep]])
    return np.concatenate(V), f


def orient(v, f):
    """Consistent outward winding (trimesh), for closed or open surfaces."""
    import trimesh

    m = trimesh.Trimesh(v, f, process=False)
    trimesh.repair.fix_winding(m)
    if m.is_watertight and m.volume < 0:
        m.invert()
    return np.asarray(m.faces, np.int64)


def _truths(arcs):
    return [dict(radius=float(r), turn_deg=float(np.degrees(t)),
                 point=(float(mid[0]), 0.0, float(mid[1])), length=2 * np.pi * float(mid[0]))
            for r, t, mid in arcs]


def disc(radius=12.5, height=3.0, fillet=0.3, segments=4, sections=256, bottom_fillet=0.0,
         tri="structured", h=None, rng=None):
    """A round base: flat bottom, cylindrical side, flat top; top rim filleted (`fillet` mm,
    `segments` chords across), bottom rim `bottom_fillet`. structured: fan caps, side rows of
    about h (default the section width); irregular: jittered Delaunay of about h."""
    corners = [(0.0, 0.0), (radius, 0.0), (radius, height), (0.0, height)]
    pts, arcs = fillet_polyline(corners, [bottom_fillet, fillet], segments)
    h = h or 2 * np.pi * radius / sections
    if tri == "structured":
        prof = np.concatenate([pts[:1], refine_polyline(pts[1:-1], h), pts[-1:]])
        v, f = revolve(prof, sections)
    else:
        v, f = revolve_irregular(refine_polyline(pts, max(h, 1e-9)) if False else pts, h,
                                 rng if rng is not None else np.random.default_rng(0))
    return v, orient(v, f), _truths(arcs)


def stepped_disc(radius=1.5, land=1.5, bend_deg=45.0, r1=12.0, wall=8.0, h=0.3):
    """A revolved step: a cylindrical wall bends inward by `bend_deg` and back up into a
    narrower wall, both bends filleted at `radius` mm (convex, then concave), with `land`
    radii of straight slope between their tangent points; walls `wall` mm tall, sharp
    bottom and top rims, rows about h. Returns (v, f, arcs) as fillet_polyline."""
    a = np.radians(bend_deg)
    d = land * radius + 2.0 * radius * np.tan(0.5 * a)  # corner to corner along the slope
    x2, z2 = r1 - d * np.sin(a), wall + d * np.cos(a)
    corners = [(0.0, 0.0), (r1, 0.0), (r1, wall), (x2, z2), (x2, z2 + wall), (0.0, z2 + wall)]
    pts, arcs = sample_profile(corners, [0.0, radius, radius, 0.0], h, closed=False)
    v, f = revolve(pts, int(round(2.0 * np.pi * r1 / h)))
    return v, orient(v, f), arcs


def grooved_disc(lip_deg=45.0, width=0.2, radius=10.0, height=3.0, h=0.1):
    """A revolved disc with a sharp V-groove round its top, `width` mm across at the top and
    centred 3 mm in from the rim: each lip turns `lip_deg` down, the bottom twice that back
    up (concave), rows about h. Returns (v, f, (groove radius, bottom z))."""
    g = 0.5 * width
    d = g * np.tan(np.radians(lip_deg))
    rg = radius - 3.0
    corners = [(0.0, 0.0), (radius, 0.0), (radius, height), (rg + g, height),
               (rg, height - d), (rg - g, height), (0.0, height)]
    pts, _ = sample_profile(corners, [0.0] * len(corners), h, closed=False)
    v, f = revolve(pts, int(round(2.0 * np.pi * radius / h)))
    return v, orient(v, f), (rg, height - d)


def tucked_disc(up_deg=70.0, back_deg=40.0, leg=0.4, radius=10.0, height=3.0, h=0.5):
    """A revolved disc whose top rim is drawn as three creases with a fold tucked between:
    from the wall `leg` mm under the top the profile turns `up_deg` in, then `back_deg` back
    out, then the rest of the 90 degrees onto the top, over two equal chords; rows about h
    elsewhere. Returns (v, f, leg)."""
    d = np.radians([90.0 + up_deg, 90.0 + up_deg - back_deg])
    s = leg / (np.sin(d[0]) + np.sin(d[1]))
    p0 = np.array([radius, height - leg])
    p1 = p0 + s * np.array([np.cos(d[0]), np.sin(d[0])])
    p2 = p1 + s * np.array([np.cos(d[1]), np.sin(d[1])])
    corners = [(0.0, 0.0), (radius, 0.0), tuple(p0), tuple(p1), tuple(p2), (0.0, height)]
    pts, _ = sample_profile(corners, [0.0] * len(corners), h, closed=False)
    v, f = revolve(pts, int(round(2.0 * np.pi * radius / h)))
    return v, orient(v, f), leg


def ring(r_in=5.0, r_out=8.0, height=3.0, fillet=0.5, segments=4, sections=720,
         tri="structured", h=None, rng=None):
    """A revolved ring of rectangular section, its four circular edges filleted. structured:
    the flats are single rows (720 sections: 0.04 x 3 mm slivers) unless h is given;
    jittered: the same grid made irregular (revolve_jittered); irregular: Delaunay."""
    corners = [(r_in, 0.0), (r_out, 0.0), (r_out, height), (r_in, height)]
    pts, arcs = fillet_polyline(corners, [fillet] * 4, segments, closed=True)
    if tri == "structured":
        prof = refine_polyline(pts, h, closed=True) if h else pts
        v, f = revolve(prof, sections, closed=True)
    elif tri == "jittered":
        prof = refine_polyline(pts, h, closed=True) if h else pts
        v, f = revolve_jittered(prof, sections, rng if rng is not None else
                                np.random.default_rng(0), closed=True)
    else:
        h = h or 2 * np.pi * r_in / sections
        v, f = revolve_irregular(pts, h, rng if rng is not None else np.random.default_rng(0),
                                 closed=True)
    return v, orient(v, f), _truths(arcs)


def wavy_sweep(w=4.0, height=3.9, radii=(0.078, 0.078, 0.036, 0.036), rho0=16.1, eps=0.15,
               lobes=5, along=398, h=2.5):
    """A rounded-rectangle profile (w across, `height` up; corners bottom-in, bottom-out,
    top-out, top-in filleted at `radii` with one chord each, flats split into rows of at most
    h) swept along the closed wavy path rho = rho0 (1 + eps cos(lobes t)) in the xy plane at
    `along` sections of equal arc length: quads alternately split, long slivers across the
    path. Offset from the path, the walls bend much harder than the path does (the outer wall
    at a trough, the inner at a tip: to a radius of about 2 mm here, 45-60 degrees between
    inflections), soft bends whose crease direction is the walls' vertical, across the rims'.
    Returns (vertices, faces, truths): the four rims (point: on the rim at the first section;
    line: its points at every section)."""
    corners = [(-w / 2, -height / 2), (w / 2, -height / 2), (w / 2, height / 2),
               (-w / 2, height / 2)]
    pts, arcs = fillet_polyline(corners, list(radii), 1, closed=True)
    prof = refine_polyline(pts, h, closed=True)
    t = np.linspace(0.0, 2 * np.pi, 8193)
    r = rho0 * (1.0 + eps * np.cos(lobes * t))
    xy = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    cum = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))]
    tt = np.interp(np.linspace(0.0, cum[-1], along, endpoint=False), cum, t)
    r = rho0 * (1.0 + eps * np.cos(lobes * tt))
    dr = -rho0 * eps * lobes * np.sin(lobes * tt)
    c = np.stack([r * np.cos(tt), r * np.sin(tt)], 1)
    tan = np.stack([dr * np.cos(tt) - r * np.sin(tt), dr * np.sin(tt) + r * np.cos(tt)], 1)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    out = np.stack([tan[:, 1], -tan[:, 0]], 1)  # the path's outward normal
    m = len(prof)
    v = np.concatenate([np.c_[c + p * out, np.full(along, q)] for p, q in prof])
    i, j = np.meshgrid(np.arange(m), np.arange(along), indexing="ij")
    a, b = i * along + j, ((i + 1) % m) * along + j
    a2, b2 = i * along + (j + 1) % along, ((i + 1) % m) * along + (j + 1) % along
    flip = ((i + j) % 2).astype(bool)
    f1 = np.where(flip[..., None], np.stack([a, b, a2], -1), np.stack([a, b, b2], -1))
    f2 = np.where(flip[..., None], np.stack([b, b2, a2], -1), np.stack([a, b2, a2], -1))
    f = np.concatenate([f1.reshape(-1, 3), f2.reshape(-1, 3)])
    truths = []
    for rr, tn, mid in arcs:
        line = np.c_[c + mid[0] * out, np.full(along, mid[1])]
        truths.append(dict(radius=float(rr), turn_deg=float(np.degrees(tn)),
                           point=tuple(float(x) for x in line[0]), length=None, line=line))
    return v, orient(v, f), truths


def swept_fillet(radius=0.4, turn_deg=60.0, amp=3.0, wavelength=20.0, size=30.0, h=0.1,
                 rng=None, segments=None):
    """A height field: a raised plateau whose edge follows a sine curve y = amp sin(2 pi x /
    wavelength), dropping by a slope of turn_deg, with a convex fillet of `radius` at the top
    and a concave one at the bottom (both swept along the curve). The grid is axis-aligned
    (oblique to the crease almost everywhere); rng jitters it (irregular)."""
    from scipy.spatial import Delaunay, cKDTree

    t = np.radians(turn_deg)
    drop = 2.5 * radius + 1.0
    # profile z(d) of signed distance d to the curve (d < 0 on the plateau)
    corners = np.array([(-size, drop), (0.0, drop), (drop / np.tan(t), 0.0), (size, 0.0)])
    prof, arcs = fillet_polyline(corners, [radius, radius], 64)
    n = int(round(size / h))
    g = np.linspace(-size / 2, size / 2, n + 1)
    X, Y = np.meshgrid(g, g, indexing="ij")
    xy = np.stack([X.ravel(), Y.ravel()], 1)
    if rng is not None:
        xy = xy + rng.uniform(-0.35, 0.35, xy.shape) * h
        xy = np.clip(xy, -size / 2, size / 2)
    xs = np.linspace(-size, size, int(size * 2 / 0.002))
    curve = np.stack([xs, amp * np.sin(2 * np.pi * xs / wavelength)], 1)
    dist, j = cKDTree(curve).query(xy)
    side = np.sign(xy[:, 1] - amp * np.sin(2 * np.pi * xy[:, 0] / wavelength))
    d = dist * side
    z = np.interp(d, prof[:, 0], prof[:, 1])
    v = np.c_[xy, z]
    f = Delaunay(xy).simplices
    f = orient(v, f)
    # orient up
    tri = v[f]
    nz = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])[:, 2]
    if np.median(nz) < 0:
        f = f[:, ::-1]
    truths = []
    for r, tt, mid in arcs:
        truths.append(dict(radius=float(r), turn_deg=float(np.degrees(tt)),
                           offset=float(mid[0]), z=float(mid[1]), length=None))
    return v, f, truths


def blob(size=28.0, subdivisions=3, smooth_levels=2, seed=0, bumps=6):
    """A smooth organic form: a coarse random polyhedron (an icosphere with random radial
    bumps) Loop-subdivided `smooth_levels` times, scaled to `size` mm across. No edges."""
    import trimesh

    rng = np.random.default_rng(seed)
    s = trimesh.creation.icosphere(subdivisions=subdivisions)
    u = np.asarray(s.vertices, float)
    r = np.ones(len(u))
    for _ in range(bumps):
        c = rng.normal(size=3)
        c /= np.linalg.norm(c)
        r += rng.uniform(0.1, 0.5) * np.exp(-((1 - u @ c) / rng.uniform(0.05, 0.4)))
    v = u * r[:, None] * np.array([1.0, rng.uniform(0.5, 1.0), rng.uniform(0.4, 1.0)])
    f = np.asarray(s.faces, np.int64)
    for _ in range(smooth_levels):
        v, f = trimesh.remesh.subdivide_loop(v, f, iterations=1)
    v = np.asarray(v, float)
    v *= size / np.ptp(v, axis=0).max()
    return v, np.asarray(f, np.int64), []


def random_rotation(rng):
    from scipy.spatial.transform import Rotation

    return Rotation.random(random_state=int(rng.integers(2 ** 31))).as_matrix()


def add_noise(v, f, sigma, rng):
    """Displace every vertex along its normal by N(0, sigma)."""
    import trimesh

    n = trimesh.Trimesh(v, f, process=False).vertex_normals
    return v + n * rng.normal(0, sigma, len(v))[:, None]


def sliver_tube(radius, height, chord, rng):
    """An open cylinder wall (no rims, no edges) of slivers: rings 0.05-0.25 mm apart up its
    height, each cut into chords of about `chord` mm and turned half a chord from the last, so
    every face is a chord long and a ring gap wide (a decimated scan's wall, a CAD export's
    revolved surface at a coarse angle). Returns v, f and the outward normals."""
    n_around = max(8, int(round(2 * np.pi * radius / chord)))
    z = np.concatenate([[0.0], np.cumsum(rng.uniform(0.05, 0.25, int(height / 0.05)))])
    z = z[z <= height]
    k, i = np.arange(len(z))[:, None], np.arange(n_around)[None, :]
    phi = 2 * np.pi * (i + 0.5 * (k % 2)) / n_around
    n = np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], -1).reshape(-1, 3)
    v = np.c_[radius * n[:, :2], np.broadcast_to(z[:, None], phi.shape).ravel()]
    a = (k[:-1] * n_around + i).ravel()
    b = (k[:-1] * n_around + (i + 1) % n_around).ravel()
    c, d = a + n_around, b + n_around
    return v, np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)]), n


def cad_prism(rng, sides=None, subdivisions=0):
    """A straight prism over a random convex polygon, exported as a CAD tool does: caps fanned
    from one vertex (long slivers), each side one quad split on a diagonal; `subdivisions`
    splits every triangle into four that many times (finer, still flat: the same creases).
    The polygon's exterior angles are 40-110 degrees (every vertical edge a crease of its own,
    and no two rim edges within 35 degrees of each other). Returns v, f and its hard creases
    as segments (3 n, 2, 3): the sides' vertical edges and the two rims' edges."""
    import trimesh

    while True:
        n = int(sides or rng.integers(4, 9))
        ang = np.sort(rng.uniform(0.0, 2.0 * np.pi, n))
        ext = np.diff(np.r_[ang, ang[0] + 2.0 * np.pi])
        if ext.min() >= np.radians(40.0) and ext.max() <= np.radians(110.0):
            break
    radius = rng.uniform(4.0, 15.0)
    xy = np.c_[np.cos(ang), np.sin(ang)] * radius
    tri = np.array([[0, i, i + 1] for i in range(1, n - 1)])
    m = trimesh.creation.extrude_triangulation(xy, tri, rng.uniform(2.0, 8.0))
    v, f = np.asarray(m.vertices, float), np.asarray(m.faces, np.int64)
    z = v[:, 2].max()
    bottom = np.c_[xy, np.zeros(n)]
    top = np.c_[xy, np.full(n, z)]
    creases = np.concatenate([np.stack([bottom, top], 1),
                              np.stack([bottom, np.roll(bottom, -1, 0)], 1),
                              np.stack([top, np.roll(top, -1, 0)], 1)])
    for _ in range(subdivisions):
        v, f = trimesh.remesh.subdivide(v, f)
    return np.asarray(v, float), np.asarray(f, np.int64), creases


def cad_rounded_box(a, r, n):
    """A box whose every edge is filleted at r with n chords, as a CAD tool writes it: the
    convex hull of its eight corner patches (spherical octants of (n + 1)^2 points about the
    inner box's corners +-a), so each flat is two triangles and each fillet n long strips."""
    import trimesh

    t = 0.5 * np.pi * np.arange(n + 1) / n
    th, ph = (x.ravel() for x in np.meshgrid(t, t))
    d = np.c_[np.cos(th) * np.cos(ph), np.sin(th) * np.cos(ph), np.sin(ph)]
    pts = [np.asarray(a, float) * s + r * d * s
           for s in (np.array([sx, sy, sz]) for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1))]
    h = trimesh.convex.convex_hull(np.concatenate(pts))
    return np.asarray(h.vertices, float), np.asarray(h.faces, np.int64)


def chamfer_box(leg_mm, size=(20.0, 12.0, 6.0)):
    """A box with every edge chamfered at 45 degrees (leg leg_mm), its corners cut: the convex
    hull of the three inset points of each corner (44 triangles, as a CAD export)."""
    import trimesh

    hx, hy, hz = (s / 2.0 for s in size)
    pts = [[sx * (hx - d[0]), sy * (hy - d[1]), sz * (hz - d[2])]
           for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)
           for d in ((leg_mm, 0, 0), (0, leg_mm, 0), (0, 0, leg_mm))]
    h = trimesh.convex.convex_hull(np.array(pts))
    return np.asarray(h.vertices, float), np.asarray(h.faces, np.int64)
