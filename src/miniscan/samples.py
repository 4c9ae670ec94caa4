"""Procedural sample meshes with known answers (the README demo and the tests use them).

Every generator is deterministic (fixed seeds, no time, no platform-dependent order) and the
writers below emit byte-identical files on every run.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

SEED = 1729


# --- writers (own code: byte-for-byte reproducible, no timestamps in headers) ---

def write_ply(path: str | Path, vertices: np.ndarray, faces: np.ndarray,
              comment: str = "", rgb: np.ndarray | None = None) -> None:
    """Binary PLY; `rgb` (n, 3) sRGB in [0, 1] adds uchar red/green/blue vertex colours."""
    v = np.asarray(vertices, dtype="<f4")
    f = np.asarray(faces, dtype="<i4")
    colour = "" if rgb is None else "property uchar red\nproperty uchar green\nproperty uchar blue\n"
    header = ("ply\nformat binary_little_endian 1.0\n"
              + "".join(f"comment {line}\n" for line in comment.splitlines() if line)
              + f"element vertex {len(v)}\nproperty float x\nproperty float y\nproperty float z\n"
              + colour + f"element face {len(f)}\nproperty list uchar int vertex_indices\n"
              "end_header\n")
    if rgb is not None:
        vrec = np.empty(len(v), dtype=[("p", "<f4", (3,)), ("c", "u1", (3,))])
        vrec["p"] = v
        vrec["c"] = np.round(np.clip(np.asarray(rgb), 0.0, 1.0) * 255.0).astype(np.uint8)
        vbytes = vrec.tobytes()
    else:
        vbytes = v.tobytes()
    rec = np.empty(len(f), dtype=[("n", "u1"), ("i", "<i4", (3,))])
    rec["n"], rec["i"] = 3, f
    Path(path).write_bytes(header.encode("ascii") + vbytes + rec.tobytes())


def write_stl(path: str | Path, vertices: np.ndarray, faces: np.ndarray,
              header: str = "miniscan sample") -> None:
    tri = np.asarray(vertices, dtype=np.float64)[faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    ln = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.divide(n, ln, out=np.zeros_like(n), where=ln > 0)
    rec = np.zeros(len(faces), dtype=[("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["v"] = n, tri
    Path(path).write_bytes(header.encode("ascii")[:80].ljust(80, b" ")
                           + struct.pack("<I", len(faces)) + rec.tobytes())


def write_obj(path: str | Path, vertices: np.ndarray, faces: np.ndarray,
              names=("model",), starts=(0,)) -> None:
    """OBJ with one `o` object per part (face ranges starting at `starts`)."""
    lines = ["# miniscan sample"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in np.asarray(vertices)]
    bounds = list(starts) + [len(faces)]
    for k, name in enumerate(names):
        lines.append(f"o {name}")
        lines += [f"f {a} {b} {c}" for a, b, c in np.asarray(faces[bounds[k]:bounds[k + 1]]) + 1]
    Path(path).write_text("\n".join(lines) + "\n")


def write_glb(path: str | Path, vertices: np.ndarray, faces: np.ndarray,
              names=("model",), starts=(0,)) -> None:
    """A binary glTF with one named node per part. glTF lengths are metres (mm / 1000) and its
    up axis is +Y, so miniscan's Z-up millimetres are turned: (x, y, z) -> (x, z, -y) / 1000."""
    import json

    bounds = list(starts) + [len(faces)]
    blob, views, accessors, meshes, nodes = b"", [], [], [], []
    for k, name in enumerate(names):
        f = np.asarray(faces[bounds[k]:bounds[k + 1]])
        used, inv = np.unique(f, return_inverse=True)
        v = np.asarray(vertices)[used] / 1000.0
        pos = np.column_stack([v[:, 0], v[:, 2], -v[:, 1]]).astype("<f4")  # glTF is +Y up
        idx = inv.reshape(-1, 3).astype("<u4")
        for arr, target in ((pos, 34962), (idx, 34963)):
            data = arr.tobytes()
            views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data),
                          "target": target})
            blob += data + b"\0" * (-len(data) % 4)
        accessors.append({"bufferView": len(views) - 2, "componentType": 5126, "count": len(pos),
                          "type": "VEC3", "min": pos.min(0).tolist(), "max": pos.max(0).tolist()})
        accessors.append({"bufferView": len(views) - 1, "componentType": 5125,
                          "count": int(idx.size), "type": "SCALAR"})
        meshes.append({"name": name, "primitives": [{"attributes": {"POSITION": len(accessors) - 2},
                                                     "indices": len(accessors) - 1, "mode": 4}]})
        nodes.append({"name": name, "mesh": k})
    gltf = {"asset": {"version": "2.0", "generator": "miniscan samples"},
            "scene": 0, "scenes": [{"nodes": list(range(len(nodes)))}], "nodes": nodes,
            "meshes": meshes, "accessors": accessors, "bufferViews": views,
            "buffers": [{"byteLength": len(blob)}]}
    js = json.dumps(gltf, separators=(",", ":"), sort_keys=True).encode()
    js += b" " * (-len(js) % 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js + struct.pack("<II", len(blob), 0x004E4942) + blob
    Path(path).write_bytes(struct.pack("<III", 0x46546C67, 2, 12 + len(body)) + body)


# --- primitives ---

def grid_sheet(nu: int, nv: int) -> np.ndarray:
    """Faces of a (nu x nv) vertex grid, row-major, consistently wound."""
    i, j = np.meshgrid(np.arange(nu - 1), np.arange(nv - 1), indexing="ij")
    a = (i * nv + j).ravel()
    b, c, d = a + nv, a + nv + 1, a + 1
    return np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])


def rounded_prism(width: float = 16.0, depth: float = 10.0, height: float = 8.0,
                  radii=(0.0, 0.05, 0.2, 0.5), max_edge: float = 0.25,
                  arc_edge: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A block whose four vertical edges are filleted with the given radii (0 = sharp 90°).

    Corners in order: (+x,+y), (-x,+y), (-x,-y), (+x,-y). The horizontal top and bottom
    edges are sharp. Arcs get segments no longer than min(max_edge, r * pi/2 / 8).
    """
    hw, hd = width / 2, depth / 2
    centers = [(hw, hd), (-hw, hd), (-hw, -hd), (hw, -hd)]
    starts = [0.0, 0.5 * np.pi, np.pi, 1.5 * np.pi]
    ring = []
    for (cx, cy), r, a0 in zip(centers, radii, starts):
        sx, sy = np.sign(cx), np.sign(cy)
        if r <= 0:
            ring.append(np.array([[cx, cy]]))
        else:
            seg = arc_edge if arc_edge else min(max_edge, r * np.pi / 2 / 8)
            n = max(2, int(np.ceil(r * np.pi / 2 / seg)))
            t = a0 + np.linspace(0, np.pi / 2, n + 1)
            ring.append(np.stack([cx - sx * r + r * np.cos(t), cy - sy * r + r * np.sin(t)], 1))
        # straight run to the next corner, subdivided to max_edge
    pts = []
    for k in range(4):
        arc, nxt = ring[k], ring[(k + 1) % 4]
        pts.append(arc)
        a, b = arc[-1], nxt[0]
        m = max(1, int(np.ceil(np.linalg.norm(b - a) / max_edge)))
        if m > 1:
            s = np.linspace(0, 1, m + 1)[1:-1, None]
            pts.append(a + s * (b - a))
    ring2 = np.concatenate(pts)
    n = len(ring2)
    rows = max(1, int(np.ceil(height / max_edge)))
    z = np.linspace(0, height, rows + 1)
    side = np.concatenate([np.column_stack([ring2, np.full(n, zz)]) for zz in z])
    i, j = np.meshgrid(np.arange(rows), np.arange(n), indexing="ij")
    a = (i * n + j).ravel()
    b = (i * n + (j + 1) % n).ravel()
    c, d = b + n, a + n
    faces = [np.stack([a, b, c], 1), np.stack([a, c, d], 1)]
    # caps: fans from the centre (the profile is convex)
    cb, ct = len(side), len(side) + 1
    verts = np.concatenate([side, [[0, 0, 0], [0, 0, height]]])
    jj = np.arange(n)
    faces.append(np.stack([np.full(n, cb), (jj + 1) % n, jj], 1))
    top = rows * n
    faces.append(np.stack([np.full(n, ct), top + jj, top + (jj + 1) % n], 1))
    return verts, np.concatenate(faces)


def icosphere(radius: float, subdivisions: int) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    m = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return np.asarray(m.vertices), np.asarray(m.faces)


def ripple_sphere(radius: float = 5.0, wavelength: float = 1.0, amplitude: float = 0.05,
                  subdivisions: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """A sphere with ring ripples h = a cos(2 pi s / wavelength), s the arc length from the pole."""
    v, f = icosphere(radius, subdivisions)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    s = radius * np.arccos(np.clip(n[:, 2], -1, 1))
    return v + n * (amplitude * np.cos(2 * np.pi * s / wavelength))[:, None], f


def smooth_noise(xy: np.ndarray, wavelength: float, seed: int = SEED, waves: int = 24) -> np.ndarray:
    """Band-limited noise (sum of random plane waves near one wavelength), RMS 1."""
    rng = np.random.default_rng(seed)
    ang = rng.uniform(0, np.pi, waves)
    lam = wavelength * rng.uniform(0.8, 1.25, waves)
    ph = rng.uniform(0, 2 * np.pi, waves)
    k = 2 * np.pi / lam
    d = np.stack([np.cos(ang), np.sin(ang)], 1) * k[:, None]
    return np.sqrt(2.0 / waves) * np.cos(xy @ d.T + ph).sum(axis=1)


def plate(width: float = 12.0, depth: float = 6.0, thickness: float = 1.0, spacing: float = 0.05,
          noise_amp: float = 0.004, noise_wavelength: float = 0.3,
          noisy_half: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A closed plate whose top carries fine normal noise on its +x half only (a smooth blend)."""
    nu, nv = int(round(width / spacing)) + 1, int(round(depth / spacing)) + 1
    x, y = np.meshgrid(np.linspace(-width / 2, width / 2, nu), np.linspace(-depth / 2, depth / 2, nv),
                       indexing="ij")
    xy = np.column_stack([x.ravel(), y.ravel()])
    w = np.clip((xy[:, 0] - 0.05 * width) / (0.05 * width), 0, 1) if noisy_half else np.ones(len(xy))
    # keep the rim flat so the plate's side walls stay straight
    rim = np.clip(np.minimum.reduce([width / 2 - np.abs(xy[:, 0]), depth / 2 - np.abs(xy[:, 1])])
                  / (4 * spacing), 0, 1)
    z = thickness + noise_amp * w * rim * smooth_noise(xy, noise_wavelength)
    top = np.column_stack([xy, z])
    bot = np.column_stack([xy, np.zeros(len(xy))])
    g = grid_sheet(nu, nv)
    faces = [g[:, [0, 2, 1]] + 0, g + len(top)]  # top faces up, bottom faces down
    faces = [g, g[:, [0, 2, 1]] + len(top)]
    # side walls along the boundary loop of the grid
    idx = np.arange(nu * nv).reshape(nu, nv)
    loop = np.concatenate([idx[:, 0], idx[-1, 1:], idx[-2::-1, -1], idx[0, -2:0:-1]])
    a, b = loop, np.roll(loop, -1)
    faces.append(np.stack([a, b + len(top), b], 1))
    faces.append(np.stack([a, a + len(top), b + len(top)], 1))
    v = np.concatenate([top, bot])
    f = np.concatenate(faces)
    return v, _orient_outward(v, f)


def _grey(y: np.ndarray) -> np.ndarray:
    """sRGB grey (n, 3) of relative luminance y (the inverse of the sRGB curve)."""
    y = np.clip(y, 0.0, 1.0)
    g = np.where(y <= 0.0031308, 12.92 * y, 1.055 * y ** (1 / 2.4) - 0.055)
    return np.repeat(g[:, None], 3, axis=1)


def painted_plate(width: float = 20.0, depth: float = 14.0, thickness: float = 4.0,
                  spacing: float = 0.1):
    """A flat slab painted in four quadrants of its top (vertex colours, luminance Y):
    -x-y one flat tone (Y 0.3); +x-y fine stripes, 0.3 mm a period at 2.5 % contrast (muddy
    at 500 mm, readable at 250 mm); -x+y pure black and white stripes 1.6 mm a period (harsh);
    +x+y mottled noise, 1 mm wavelength at 15 % RMS contrast (reads; the control). The sides
    and bottom carry the control mottle. Thick enough (4 mm) that a region of the top (16 r)
    never reaches the bottom."""
    v, f = plate(width, depth, thickness, spacing, noise_amp=0.0, noisy_half=False)
    xy = v[:, :2]
    mottle = 0.3 * (1.0 + 0.15 * smooth_noise(xy, 1.0, SEED + 7))
    y = mottle.copy()
    top = v[:, 2] > thickness / 2
    left, front = xy[:, 0] < 0, xy[:, 1] < 0
    y[top & left & front] = 0.3
    stripes = 0.3 * (1.0 + 0.025 * np.sin(2 * np.pi * xy[:, 0] / 0.3))
    y[top & ~left & front] = stripes[top & ~left & front]
    harsh = np.where(np.sin(2 * np.pi * xy[:, 0] / 1.6) >= 0, 0.97, 0.002)
    y[top & left & ~front] = harsh[top & left & ~front]
    return v, f, _grey(y)


def _orient_outward(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Flip all faces if the signed volume is negative (the construction fixes relative winding)."""
    t = v[f]
    vol = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum()
    return f if vol >= 0 else f[:, ::-1].copy()


def _capsule(p0, p1, radius: float, count=(16, 16)) -> tuple[np.ndarray, np.ndarray]:
    """A capsule between two points (trimesh's capsule, aligned along p0 -> p1)."""
    import trimesh

    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    axis = p1 - p0
    h = float(np.linalg.norm(axis))
    m = trimesh.creation.capsule(height=h, radius=radius, count=list(count))
    v = np.asarray(m.vertices) + [0, 0, h / 2]  # capsule spans z in [-h/2 - r, h/2 + r]
    v[:, 2] -= h / 2
    return _align(v, axis, (p0 + p1) / 2), np.asarray(m.faces)


def _align(v: np.ndarray, axis: np.ndarray, center: np.ndarray) -> np.ndarray:
    z = axis / np.linalg.norm(axis)
    ref = np.array([1.0, 0, 0]) if abs(z[0]) < 0.9 else np.array([0, 1.0, 0])
    x = np.cross(ref, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return v @ np.stack([x, y, z]) + center


def _cylinder(p0, p1, radius: float, sections: int = 24) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    h = float(np.linalg.norm(p1 - p0))
    m = trimesh.creation.cylinder(radius=radius, height=h, sections=sections)
    return _align(np.asarray(m.vertices), p1 - p0, (p0 + p1) / 2), np.asarray(m.faces)


def _box(center, size) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    m = trimesh.creation.box(extents=size)
    return np.asarray(m.vertices) + center, np.asarray(m.faces)


def combine(parts: list[tuple[str, tuple[np.ndarray, np.ndarray]]]):
    """Concatenate named parts -> (vertices, faces, names, starts)."""
    vs, fs, names, starts, off, nf = [], [], [], [], 0, 0
    for name, (v, f) in parts:
        vs.append(v)
        fs.append(f + off)
        names.append(name)
        starts.append(nf)
        off += len(v)
        nf += len(f)
    return np.concatenate(vs), np.concatenate(fs), names, starts


def spear_figure(spear_d: float = 0.3, gap: float = 0.3, height: float = 32.0):
    """A standing figure (human proportions, `height` mm) holding a thin spear out to its right,
    with its left arm hanging `gap` mm away from the torso."""
    s = height / 32.0
    torso_r = 2.6 * s
    arm_r = 1.0 * s
    parts = [
        ("legs", _capsule([-1.3 * s, 0, 2 * s], [-1.3 * s, 0, 14 * s], 1.4 * s)),
        ("leg_r", _capsule([1.3 * s, 0, 2 * s], [1.3 * s, 0, 14 * s], 1.4 * s)),
        ("torso", _capsule([0, 0, 15 * s], [0, 0, 23 * s], torso_r)),
        ("head", icosphere(2.2 * s, 3)),
        # left arm hangs straight down, its surface `gap` from the torso's side
        ("arm_l", _capsule([-(torso_r + gap + arm_r), 0, 14 * s],
                           [-(torso_r + gap + arm_r), 0, 23.5 * s], arm_r)),
        # right arm reaches out to hold the spear
        ("arm_r", _capsule([torso_r + 0.5 * s, 0, 23 * s], [8 * s, 0, 18 * s], arm_r)),
        ("spear", _cylinder([8 * s, 0, 2 * s], [8 * s, 0, 31 * s], spear_d / 2, 12)),
    ]
    v, f = parts[3][1]
    parts[3] = ("head", (v + [0, 0, 28 * s], f))
    return combine(parts)


def showcase_mini():
    """A 28 mm miniature built to trigger every family: a skin head with over-scaled pores,
    a thick cloth cloak, a razor-sharp blade, a shield with noisy (sparkly) face, a thin
    spear, a narrow arm gap, on a round base."""
    rng_seed = SEED
    parts = []
    # base: a 25 mm round slab, 3 mm tall, sharp rim
    parts.append(("base", _cylinder([0, 0, 0], [0, 0, 3.0], 12.5, 96)))
    z0 = 3.0
    parts += [
        ("leg_l", _capsule([-1.2, 0, z0 + 1.4], [-1.2, 0, z0 + 11.5], 1.3, (24, 24))),
        ("leg_r", _capsule([1.2, 0, z0 + 1.4], [1.2, 0, z0 + 11.5], 1.3, (24, 24))),
        ("torso", _capsule([0, 0, z0 + 12.5], [0, 0, z0 + 19.5], 2.5, (32, 32))),
        ("arm_l", _capsule([-3.35, 0, z0 + 12.0], [-3.35, 0, z0 + 20.0], 0.8, (20, 20))),
        ("arm_r", _capsule([2.8, -0.5, z0 + 19.5], [6.5, -2.5, z0 + 15.0], 0.8, (20, 20))),
    ]
    # head: skin with pores 0.35 mm across and 0.06 mm deep, 0.45 mm apart
    # (20 mm at 1:56: real pores are under 0.25 mm)
    hv, hf = icosphere(2.0, 6)
    n = hv / np.linalg.norm(hv, axis=1, keepdims=True)
    pores = _cell_noise(n * 2.0, 0.45, rng_seed, pit_radius=0.175)
    hv = hv - n * (0.06 * pores)[:, None]
    parts.append(("head_skin", (hv + [0, 0, z0 + 23.0], hf)))
    # cloak: a curved cloth sheet 0.6 mm thick behind the body (34 mm real at 1:56)
    parts.append(("cloak", _cloak(center=(0, 2.9, z0 + 10.5), radius=3.6, height=11.0,
                                  thickness=0.6, arc=np.pi * 0.9)))
    # blade: a thin wedge with a razor edge (radius 0) in the right hand
    parts.append(("blade", _blade(base=(6.5, -2.5, z0 + 15.0), length=9.0, width=1.4,
                                  spine=0.5)))
    # shield: a disc on the left arm whose face has fine noise (sparkle under gloss)
    parts.append(("shield", _noisy_disc(center=(-4.6, -0.8, z0 + 15.5), radius=3.2,
                                        thickness=0.8, noise_amp=0.012, noise_wl=0.25)))
    # spear: 0.3 mm shaft standing by the figure's left (lost at a glance at 500 mm)
    parts.append(("spear", _cylinder([-8.5, 0, z0], [-8.5, 0, z0 + 26.0], 0.15, 12)))
    return combine(parts)


def _cell_noise(p: np.ndarray, cell: float, seed: int, pit_radius: float | None = None) -> np.ndarray:
    """Pits: 1 at random points on a jittered grid of spacing `cell`, falling to 0 at pit_radius."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    lo, hi = p.min(axis=0) - cell, p.max(axis=0) + cell
    axes = [np.arange(a, b, cell) for a, b in zip(lo, hi)]
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    g = g + rng.uniform(-0.3, 0.3, g.shape) * cell
    d, _ = cKDTree(g).query(p)
    if pit_radius is None:
        return np.clip(1 - d / (cell / 3), 0, 1) ** 2
    # round-bottomed pits (a pore is a bowl, not a cone): full depth over their middle
    return np.clip(1 - (d / pit_radius) ** 2, 0, 1) ** 2


def _cloak(center, radius, height, thickness, arc, nu=72, nv=56):
    """A part-cylinder sheet with real thickness: outer and inner walls joined at the rims."""
    cx, cy, cz = center
    t = np.linspace(-arc / 2, arc / 2, nu) + np.pi / 2  # centred on +y (behind the figure)
    z = np.linspace(-height / 2, height / 2, nv)
    T, Z = np.meshgrid(t, z, indexing="ij")
    flare = 1 + 0.25 * (0.5 - (Z + height / 2) / height)  # wider at the hem
    walls = []
    for r in (radius + thickness / 2, radius - thickness / 2):
        rr = r * flare
        walls.append(np.column_stack([(cx + rr * np.cos(T)).ravel(), (cy - radius + rr * np.sin(T)).ravel(),
                                      (cz + Z).ravel()]))
    v = np.concatenate(walls)
    g = grid_sheet(nu, nv)
    n = nu * nv
    faces = [g, g[:, [0, 2, 1]] + n]
    idx = np.arange(n).reshape(nu, nv)
    loop = np.concatenate([idx[:, 0], idx[-1, 1:], idx[-2::-1, -1], idx[0, -2:0:-1]])
    a, b = loop, np.roll(loop, -1)
    faces += [np.stack([a, b + n, b], 1), np.stack([a, a + n, b + n], 1)]
    f = np.concatenate(faces)
    return v, _orient_outward(v, f)


def _blade(base, length, width, spine):
    """A straight blade along -x+z from `base`: diamond cross-section, razor-sharp edges."""
    bx, by, bz = base
    nl = 60
    s = np.linspace(0, 1, nl)
    taper = np.minimum(1.0, (1 - s) / 0.2)
    half_w = width / 2 * taper + 1e-3
    half_t = spine / 2 * taper + 1e-3
    # cross-section: 4 points (edge, spine, edge, spine)
    d = np.array([1.0, 0.5, 0.2])
    d /= np.linalg.norm(d)
    up = np.array([0.0, 0.0, 1.0])
    side = np.cross(d, up)
    side /= np.linalg.norm(side)
    up = np.cross(side, d)
    c = np.array(base) + s[:, None] * length * d
    ring = np.stack([c + half_w[:, None] * up, c + half_t[:, None] * side,
                     c - half_w[:, None] * up, c - half_t[:, None] * side], 1)
    v = ring.reshape(-1, 3)
    i, j = np.meshgrid(np.arange(nl - 1), np.arange(4), indexing="ij")
    a = (i * 4 + j).ravel()
    b = (i * 4 + (j + 1) % 4).ravel()
    faces = [np.stack([a, b, b + 4], 1), np.stack([a, b + 4, a + 4], 1),
             np.array([[0, 2, 1], [0, 3, 2]]), np.array([[0, 1, 2], [0, 2, 3]]) + (nl - 1) * 4]
    f = np.concatenate(faces)
    return v, _orient_outward(v, f)


def _noisy_disc(center, radius, thickness, noise_amp, noise_wl, rings=48, sectors=160):
    """A disc facing -y whose front face carries band-limited noise."""
    r = np.linspace(0, radius, rings + 1)[1:]
    a = np.linspace(0, 2 * np.pi, sectors, endpoint=False)
    R, A = np.meshgrid(r, a, indexing="ij")
    x, z = (R * np.cos(A)).ravel(), (R * np.sin(A)).ravel()
    fade = np.clip((radius - R.ravel()) / (0.1 * radius), 0, 1)
    bump = noise_amp * fade * smooth_noise(np.column_stack([x, z]), noise_wl, SEED + 7)
    cx, cy, cz = center
    front = np.column_stack([cx + x, cy - thickness / 2 - bump, cz + z])
    back = np.column_stack([cx + x, np.full(len(x), cy + thickness / 2), cz + z])
    v = np.concatenate([front, back, [[cx, cy - thickness / 2, cz], [cx, cy + thickness / 2, cz]]])
    n = len(x)
    fc, bc = 2 * n, 2 * n + 1
    faces = []
    for off, ctr, flip in ((0, fc, False), (n, bc, True)):
        i, j = np.meshgrid(np.arange(rings - 1), np.arange(sectors), indexing="ij")
        p = (i * sectors + j).ravel() + off
        q = (i * sectors + (j + 1) % sectors).ravel() + off
        quad = [np.stack([p, q, q + sectors], 1), np.stack([p, q + sectors, p + sectors], 1)]
        jj = np.arange(sectors)
        fan = np.stack([np.full(sectors, ctr), jj + off, (jj + 1) % sectors + off], 1)
        block = np.concatenate(quad + [fan])
        faces.append(block[:, ::-1] if flip else block)
    outer = (rings - 1) * sectors + np.arange(sectors)
    a_, b_ = outer, (outer - outer[0] + 1) % sectors + outer[0]
    faces += [np.stack([a_, b_ + n, b_], 1), np.stack([a_, a_ + n, b_ + n], 1)]
    f = np.concatenate(faces)
    return v, _consistent(v, f)


def _consistent(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Make winding consistent across the surface (trimesh's deterministic traversal), outward."""
    import trimesh

    m = trimesh.Trimesh(v, f, process=False)
    trimesh.repair.fix_winding(m)
    return _orient_outward(v, np.asarray(m.faces))


# --- the committed set ---

SAMPLES = {
    "bevel_block.stl": "block 16 x 10 x 8 mm; vertical edges filleted r = 0, 0.05, 0.2, 0.5 mm "
                       "(corners +x+y, -x+y, -x-y, +x-y); top and bottom edges sharp",
    "ripple_sphere.ply": "sphere r = 5 mm with ring ripples, wavelength 1.0 mm, amplitude 0.05 mm",
    "noisy_plate.ply": "plate 12 x 6 x 1 mm; fine normal noise (0.3 mm wavelength, 4 um) on the +x half only",
    "spear_figure.obj": "32 mm figure: a 0.3 mm spear at its right, a 0.3 mm gap between left arm and body",
    "showcase_mini.glb": "28 mm miniature on a 25 mm base: pored skin head, 0.6 mm cloth cloak, "
                         "razor blade, noisy shield, thin spear",
    "painted_plate.ply": "slab 20 x 14 x 4 mm with vertex colours: flat tone, fine 2.5 % stripes "
                         "(0.3 mm), black/white stripes (1.6 mm), 15 % mottle (the control)",
}


SAMPLE_CONFIG = """\
# miniscan config for the sample meshes (written by `miniscan samples`): what each part is
# made of and how it is finished, so every check family has something to say.

[[overrides]]
files = ["showcase_mini.glb"]
subject = "human"
part-material = { head_skin = "skin", cloak = "cloth", blade = "metal", shield = "metal" }
part-finish = { blade = "gloss" }

[[overrides]]
files = ["spear_figure.obj"]
subject = "human"
"""


def build(name: str):
    """(vertices, faces, part_names, part_starts) of one committed sample."""
    if name == "bevel_block.stl":
        v, f = rounded_prism()
        return v, f, ["block"], [0]
    if name == "ripple_sphere.ply":
        v, f = ripple_sphere()
        return v, f, ["sphere"], [0]
    if name == "noisy_plate.ply":
        v, f = plate()
        return v, f, ["plate"], [0]
    if name == "spear_figure.obj":
        return spear_figure()
    if name == "showcase_mini.glb":
        return showcase_mini()
    if name == "painted_plate.ply":
        v, f, _ = painted_plate()
        return v, f, ["plate"], [0]
    raise KeyError(name)


def colours(name: str) -> np.ndarray | None:
    """The sRGB vertex colours of a committed sample, None when it has none."""
    return painted_plate()[2] if name == "painted_plate.ply" else None


def write_samples(out: str | Path) -> list[tuple[Path, str]]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, desc in SAMPLES.items():
        v, f, names, starts = build(name)
        path = out / name
        if name.endswith(".stl"):
            write_stl(path, v, f)
        elif name.endswith(".obj"):
            write_obj(path, v, f, names, starts)
        elif name.endswith(".glb"):
            write_glb(path, v, f, names, starts)
        else:
            write_ply(path, v, f, comment=f"miniscan sample: {desc}\nparts: "
                      + " ".join(f"{n}@{s}" for n, s in zip(names, starts)), rgb=colours(name))
        written.append((path, desc))
    (out / "miniscan.toml").write_text(SAMPLE_CONFIG)
    (out / "README.md").write_text(
        "# Sample meshes\n\nGenerated by `miniscan samples sample_meshes/` "
        "(src/miniscan/samples.py); regenerating gives identical files. `miniscan.toml` "
        "says what the showcase's parts are made of.\n\n"
        + "".join(f"- `{n}`: {d}\n" for n, d in SAMPLES.items()))
    return written
