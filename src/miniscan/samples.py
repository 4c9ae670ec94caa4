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
    and bottom carry the flat tone (the paint keeps 0.5 mm off the rim). Thick enough (4 mm) that a region of the top (16 r) never
    reaches the bottom."""
    v, f = plate(width, depth, thickness, spacing, noise_amp=0.0, noisy_half=False)
    xy = v[:, :2]
    y = np.full(len(v), 0.3)  # the flat tone, also on the sides and the bottom
    # the paint keeps 0.5 mm off the rim, so the tall side faces shade one tone
    top = (v[:, 2] > thickness / 2) & (np.abs(xy[:, 0]) < width / 2 - 0.5) \
        & (np.abs(xy[:, 1]) < depth / 2 - 0.5)
    left, front = xy[:, 0] < 0, xy[:, 1] < 0
    stripes = 0.3 * (1.0 + 0.025 * np.sin(2 * np.pi * xy[:, 0] / 0.3))
    y[top & ~left & front] = stripes[top & ~left & front]
    harsh = np.where(np.sin(2 * np.pi * xy[:, 0] / 1.6) >= 0, 0.97, 0.002)
    y[top & left & ~front] = harsh[top & left & ~front]
    mottle = 0.3 * (1.0 + 0.15 * smooth_noise(xy, 1.0, SEED + 7))
    y[top & ~left & ~front] = mottle[top & ~left & ~front]
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


# The showcase head's deepest pores, mm: four resin layers (0.03 mm) and three times the paint
# (0.04 mm), so that the pores clearly print and show and the sample carries its designed MS101
# (over-scaled skin). At 0.06 mm (until stop 62) the pores sat within their own measured
# uncertainty of the layer and the paint, and every verdict on them stayed open, rightly.
PORE_DEPTH_MM = 0.12


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
    # head: skin with pores 0.35 mm across, up to PORE_DEPTH_MM deep, 0.45 mm apart
    # (20 mm at 1:56: real pores are under 0.25 mm)
    hv, hf = icosphere(2.0, 6)
    n = hv / np.linalg.norm(hv, axis=1, keepdims=True)
    pores = _cell_noise(n * 2.0, 0.45, rng_seed, pit_radius=0.175)
    hv = hv - n * (PORE_DEPTH_MM * pores)[:, None]
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


# --- strokes and lettering (fine lines, MS6xx) ---

def _ellipse(cx, cy, rx, ry, n=16, a0=0.0, a1=2 * np.pi):
    a = np.linspace(a0, a1, n + 1)
    return [(cx + rx * np.cos(t), cy + ry * np.sin(t)) for t in a]


# A small stroke font: polylines in a cell 0.6 wide and 1 tall (cap height units).
STROKE_FONT: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0, 0), (0.3, 1), (0.6, 0)], [(0.12, 0.4), (0.48, 0.4)]],
    "E": [[(0.6, 1), (0, 1), (0, 0), (0.6, 0)], [(0, 0.5), (0.45, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(0.6, 0), (0.6, 1)], [(0, 0.5), (0.6, 0.5)]],
    "I": [[(0.3, 0), (0.3, 1)]],
    "L": [[(0, 1), (0, 0), (0.6, 0)]],
    "M": [[(0, 0), (0, 1), (0.3, 0.45), (0.6, 1), (0.6, 0)]],
    "N": [[(0, 0), (0, 1), (0.6, 0), (0.6, 1)]],
    "T": [[(0, 1), (0.6, 1)], [(0.3, 1), (0.3, 0)]],
    "V": [[(0, 1), (0.3, 0), (0.6, 1)]],
    "O": [_ellipse(0.3, 0.5, 0.3, 0.5)],
    "S": [_ellipse(0.3, 0.75, 0.28, 0.25, 10, 0.0, 1.5 * np.pi)
          + _ellipse(0.3, 0.25, 0.28, 0.25, 10, 0.5 * np.pi, -np.pi)[1:]],
    "B": [[(0, 0), (0, 1), (0.35, 1)] + _ellipse(0.35, 0.75, 0.22, 0.25, 8, 0.5 * np.pi, -0.5 * np.pi)[1:]
          + _ellipse(0.35, 0.25, 0.25, 0.25, 8, 0.5 * np.pi, -0.5 * np.pi)[1:] + [(0, 0)]],
}


def text_strokes(text: str, height: float, origin=(0.0, 0.0), advance: float = 0.9):
    """Line segments (k, 2, 2) of `text` in the stroke font, cap height `height` mm, letters
    `advance` cap heights apart, bottom-left at `origin`."""
    segs = []
    x0, y0 = origin
    for i, ch in enumerate(text.upper()):
        for line in STROKE_FONT.get(ch, []):
            pts = np.asarray(line, float) * height + [x0 + i * advance * height, y0]
            segs += [(pts[j], pts[j + 1]) for j in range(len(pts) - 1)]
    return np.asarray(segs, float).reshape(-1, 2, 2)


def segment_distance(xy: np.ndarray, segs: np.ndarray, chunk: int = 20000) -> np.ndarray:
    """Distance of every point to the nearest segment (vectorised over points and segments)."""
    out = np.full(len(xy), np.inf)
    a, b = segs[:, 0], segs[:, 1]
    ab = b - a
    ll = np.maximum((ab ** 2).sum(axis=1), 1e-300)
    for s in range(0, len(xy), chunk):  # bounded memory: chunks of points
        p = xy[s:s + chunk, None, :]
        t = np.clip(((p - a) * ab).sum(axis=2) / ll, 0.0, 1.0)
        d = np.linalg.norm(p - (a + t[..., None] * ab), axis=2)
        out[s:s + chunk] = d.min(axis=1)
    return out


def stroke_profile(d: np.ndarray, width: float, shape: str = "flat") -> np.ndarray:
    """Relief share (0..1) at distance d from a stroke's centre line; the full width at half
    depth is `width` for every shape: flat (steep walls, a ramp of width / 8), v, round."""
    if shape == "flat":
        ramp = width / 8.0
        return np.clip(0.5 - (d - width / 2.0) / ramp, 0.0, 1.0)
    if shape == "v":
        return np.clip(1.0 - d / width, 0.0, 1.0)
    if shape == "round":
        return np.where(d < width, 0.5 * (1.0 + np.cos(np.pi * d / width)), 0.0)
    raise ValueError(shape)


def _band_points(segs, reach, spacing, rng, jitter):
    """Points at `spacing` (jittered) within `reach` of the segments."""
    lo = segs.reshape(-1, 2).min(axis=0) - reach
    hi = segs.reshape(-1, 2).max(axis=0) + reach
    g = np.stack(np.meshgrid(np.arange(lo[0], hi[0], spacing), np.arange(lo[1], hi[1], spacing),
                             indexing="ij"), -1).reshape(-1, 2)
    g = g + rng.uniform(-jitter, jitter, g.shape) * spacing
    return g[segment_distance(g, segs) < reach]


def _relief_top(groups, coarse_xy: np.ndarray, inside, rng, jitter: float, thickness: float):
    """Top surface of a lettered slab: the coarse points plus points at width / 6 (jittered)
    in a band around every stroke (irregular triangles that resolve the walls), kept where
    `inside(xy)`; z = thickness + relief. Returns (points (n, 3), Delaunay triangles)."""
    from scipy.spatial import Delaunay

    pts = [coarse_xy]
    for segs, width, depth, shape in groups:
        band = width * (1.5 if shape != "flat" else 0.75)
        pts.append(_band_points(segs, band, width / 6.0, rng, jitter))
        if shape == "v":  # the apex line, so that the mesh holds the V's full depth
            for p, q in segs:
                k = max(2, int(np.ceil(np.linalg.norm(q - p) / (width / 6.0))) + 1)
                pts.append(p + np.linspace(0.0, 1.0, k)[:, None] * (q - p))
    xy = np.concatenate(pts)
    xy = np.unique(np.round(xy[inside(xy)], 9), axis=0)
    z = np.full(len(xy), thickness)
    for segs, width, depth, shape in groups:
        z += depth * stroke_profile(segment_distance(xy, segs), width, shape)
    return np.column_stack([xy, z]), Delaunay(xy).simplices


def lettered_plate(groups, size=(20.0, 10.0), thickness=1.5, coarse=0.5, jitter=0.3,
                   seed: int = SEED):
    """A closed plate whose top carries strokes: `groups` is a list of (segments, width, depth,
    shape) with depth > 0 embossed and < 0 engraved (stroke_profile gives the shapes). The top
    is z = thickness over [0, W] x [0, H], the bottom z = 0. Returns (vertices, faces)."""
    rng = np.random.default_rng(seed)
    W, Hh = size
    nx, ny = int(np.ceil(W / coarse)) + 1, int(np.ceil(Hh / coarse)) + 1
    gx, gy = np.meshgrid(np.linspace(0, W, nx), np.linspace(0, Hh, ny), indexing="ij")
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inner = (grid[:, 0] > 0) & (grid[:, 0] < W) & (grid[:, 1] > 0) & (grid[:, 1] < Hh)
    grid[inner] += rng.uniform(-jitter, jitter, (inner.sum(), 2)) * coarse

    def inside(xy):
        return (xy[:, 0] >= 0) & (xy[:, 0] <= W) & (xy[:, 1] >= 0) & (xy[:, 1] <= Hh)

    return _slab(*_relief_top(groups, grid, inside, rng, jitter, thickness))


def lettered_disc(groups, radius=12.5, thickness=3.0, coarse=0.6, jitter=0.3, seed: int = SEED):
    """A round base (centre at the origin) whose top carries strokes, like lettered_plate."""
    rng = np.random.default_rng(seed)
    g = np.arange(-radius, radius + coarse, coarse)
    grid = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    grid = grid + rng.uniform(-jitter, jitter, grid.shape) * coarse
    grid = grid[np.linalg.norm(grid, axis=1) < radius - 0.5 * coarse]
    n = max(12, int(np.ceil(2 * np.pi * radius / coarse)))
    a = np.arange(n) * 2 * np.pi / n
    ring = radius * np.column_stack([np.cos(a), np.sin(a)])

    def inside(xy):
        return np.linalg.norm(xy, axis=1) <= radius * (1 + 1e-9)

    return _slab(*_relief_top(groups, np.concatenate([grid, ring]), inside, rng, jitter, thickness))


def _slab(top: np.ndarray, tri: np.ndarray):
    """Close a height-field top over a convex domain (faces `tri`) with a flat bottom at
    z = 0 (a fan over the boundary: the fine triangles stay on top) and side walls."""
    a, b = top[tri[:, 1], :2] - top[tri[:, 0], :2], top[tri[:, 2], :2] - top[tri[:, 0], :2]
    ccw = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0] > 0
    tri = np.where(ccw[:, None], tri, tri[:, ::-1])
    n = len(top)
    e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    key = np.sort(e, axis=1)
    _, inv, cnt = np.unique(key[:, 0] * n + key[:, 1], return_inverse=True, return_counts=True)
    bnd = e[cnt[inv] == 1]  # boundary edges, as the top faces traverse them (counter-clockwise)
    ring, rinv = np.unique(bnd.ravel(), return_inverse=True)
    bottom = np.column_stack([top[ring, :2], np.zeros(len(ring))])
    centre = np.array([[*top[ring, :2].mean(axis=0), 0.0]])
    ba, bb = rinv.reshape(-1, 2).T + n  # bottom copies of each boundary edge's ends
    c = n + len(ring)
    sa, sb = bnd[:, 0], bnd[:, 1]
    faces = [tri, np.stack([np.full(len(bnd), c), bb, ba], 1),
             np.stack([sb, sa, ba], 1), np.stack([sb, ba, bb], 1)]
    return np.concatenate([top, bottom, centre]), np.concatenate(faces)


def wrap_cylinder(v: np.ndarray, radius: float, top: float) -> np.ndarray:
    """Bend a plate (x along the arc, y along the axis, z outward; its flat top at z = `top`)
    onto a cylinder about the result's z axis: the top becomes the outer face at `radius`,
    arc lengths along it are kept, relief stays radial."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    r = radius + (z - top)
    ang = x / radius
    return np.column_stack([r * np.sin(ang), -r * np.cos(ang), y])  # keeps the winding


def lettered_base():
    """A 25 mm round base with lines at known widths and depths (docs/lines.md): engraved
    "MINI" (0.35 mm strokes, 0.25 mm deep: holds), a 0.05 mm hairline (lost in print), a
    0.2 mm rule 0.035 mm deep (print keeps it, paint fills it), hatching of 0.15 mm grooves
    0.1 mm apart (merges at 500 mm, not at 250 mm) and embossed "HI" (0.3 mm, 0.3 mm high)."""
    groups = [
        (text_strokes("MINI", 3.0, origin=(-5.4, 3.0)), 0.35, -0.25, "flat"),
        (np.array([[[-7.0, 0.8], [-2.0, 0.8]]]), 0.05, -0.1, "flat"),
        (np.array([[[1.0, 0.8], [6.0, 0.8]]]), 0.2, -0.035, "flat"),
        (np.array([[[-6.0 + 0.25 * k, -6.0], [-6.0 + 0.25 * k, -2.0]] for k in range(5)]),
         0.15, -0.1, "flat"),
        (text_strokes("HI", 2.5, origin=(1.5, -5.5)), 0.3, 0.3, "flat"),
    ]
    v, f = lettered_disc(groups, radius=12.5, thickness=3.0, coarse=0.8)
    return v, f, ["base"], [0]


def ear_plate(root, direction, length, width, thickness, coarse, seed):
    """An ear: a thin elliptic plate `thickness` thick, its root at `root`, pointing along
    `direction` (tilted up), its faces turned to the front (-y)."""
    rng = np.random.default_rng(seed)
    g = np.arange(-1.0, 1.0 + coarse, coarse)
    pts = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    pts = pts + rng.uniform(-0.3, 0.3, pts.shape) * coarse
    pts = pts[np.linalg.norm(pts, axis=1) < 1.0 - 0.5 * coarse]
    n = max(24, int(np.ceil(2 * np.pi / coarse)))
    a = np.arange(n) * 2 * np.pi / n
    xy = np.concatenate([pts, np.column_stack([np.cos(a), np.sin(a)])])
    from scipy.spatial import Delaunay

    top = np.column_stack([xy, np.full(len(xy), thickness)])
    v, f = _slab(top, Delaunay(xy).simplices)
    # ellipse of the given size, centred half a length out from the root; faces along y
    v = np.column_stack([(v[:, 0] + 1.0) * 0.5 * length, v[:, 1] * 0.5 * width,
                         v[:, 2] - 0.5 * thickness])
    d = np.asarray(direction, float)
    d /= np.linalg.norm(d)
    side = np.cross([0.0, 1.0, 0.0], d)
    side /= np.linalg.norm(side)
    normal = np.cross(d, side)
    return v @ np.stack([d, side, normal]) + root, f


def elf_ears():
    """A skin head (r = 2 mm) on a neck, with a 0.45 mm thin left ear (wants translucency)
    and a 1.2 mm thick right ear (does not), both 2.6 mm long, pointing out and up."""
    hv, hf = icosphere(2.0, 4)
    head = (hv + [0.0, 0.0, 6.0], hf)
    neck = _cylinder([0.0, 0.0, 0.0], [0.0, 0.0, 4.5], 0.9, 24)
    ear_l = ear_plate([-1.6, 0.0, 6.3], [-1.0, 0.0, 0.6], 2.6, 1.3, 0.45, 0.12, SEED + 11)
    ear_r = ear_plate([1.6, 0.0, 6.3], [1.0, 0.0, 0.6], 2.6, 1.3, 1.2, 0.12, SEED + 12)
    return combine([("neck", neck), ("head", head), ("ear_l", ear_l), ("ear_r", ear_r)])


# --- the committed set ---

SAMPLES = {
    "bevel_block.stl": "block 16 x 10 x 8 mm; vertical edges filleted r = 0, 0.05, 0.2, 0.5 mm "
                       "(corners +x+y, -x+y, -x-y, +x-y); top and bottom edges sharp",
    "ripple_sphere.ply": "sphere r = 5 mm with ring ripples, wavelength 1.0 mm, amplitude 0.05 mm",
    "noisy_plate.ply": "plate 12 x 6 x 1 mm; fine normal noise (0.3 mm wavelength, 4 um) on the +x half only",
    "spear_figure.obj": "32 mm figure: a 0.3 mm spear at its right, a 0.3 mm gap between left arm and body",
    "showcase_mini.glb": "28 mm miniature on a 25 mm base: pored skin head, 0.6 mm cloth cloak, "
                         "razor blade, noisy shield, thin spear",
    "lettered_base.ply": "25 mm round base: engraved MINI (0.35 mm strokes, 0.25 mm deep), a "
                         "0.05 mm hairline, a 0.2 mm rule 0.035 mm deep, hatching of 0.15 mm "
                         "grooves 0.1 mm apart, embossed HI (0.3 mm strokes, 0.3 mm high)",
    "elf_ears.obj": "skin head on a neck with a 0.45 mm thin left ear and a 1.2 mm right ear",
    "painted_plate.ply": "slab 20 x 14 x 4 mm with vertex colours: flat tone, fine 2.5 % "
                         "stripes (0.3 mm), black/white stripes (1.6 mm), 15 % mottle (the "
                         "control); sides and bottom in the flat tone",
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

[[overrides]]
files = ["elf_ears.obj"]
material = "skin"
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
    if name == "lettered_base.ply":
        return lettered_base()
    if name == "elf_ears.obj":
        return elf_ears()
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
