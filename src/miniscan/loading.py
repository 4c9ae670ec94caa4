"""Any mesh file -> Model (millimetres, merged topology, named parts), or a clean LoadError.

trimesh reads the formats; open3d turns point clouds into surfaces. Every failure becomes
one LoadError with a reason a person understands; nothing here prints.
"""

from __future__ import annotations

import logging
import os
import struct
import zipfile
from pathlib import Path

import numpy as np

from .model import Model

MESH_EXTENSIONS = (".stl", ".obj", ".ply", ".off", ".glb", ".gltf", ".3mf")
CLOUD_EXTENSIONS = (".xyz", ".pcd")
EXTENSIONS = MESH_EXTENSIONS + CLOUD_EXTENSIONS
DEFAULT_MAX_FACES = 20_000_000
MAX_FILE_BYTES = 4 * 1024**3
MAX_ZIP_UNPACKED = 4 * 1024**3

UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
_DECLARED = {"millimeter": "mm", "millimeters": "mm", "mm": "mm", "centimeter": "cm",
             "centimeters": "cm", "cm": "cm", "meter": "m", "meters": "m", "m": "m",
             "metre": "m", "metres": "m", "inch": "in", "inches": "in", "in": "in"}


class LoadError(Exception):
    """A file that cannot become a Model. str() is 'PATH: reason'."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = str(path), " ".join(str(reason).split())[:300]
        super().__init__(f"{self.path}: {self.reason}")


def load(path: str | os.PathLike, units: str | None = None, *, scale_n: float = 56.0,
         max_faces: int = DEFAULT_MAX_FACES, up: str | None = None) -> Model:
    """Read a mesh or point-cloud file into a Model in millimetres, +Z up.

    units: 'mm', 'cm', 'm' or 'in' to state the file's units; None to use what the file
    declares (3MF, glTF) or guess from its size (noted as MS903).
    up: the file's up axis, 'z' or 'y'; None means 'y' for glTF (its specification) and
    'z' for everything else (the 3D-printing convention). Y-up files are turned to Z-up.
    """
    p = Path(path)
    name = str(path)
    if up is not None and up not in ("z", "y"):
        raise LoadError(name, f"unknown up axis {up!r}; use z or y")
    if units is not None and units not in UNIT_MM:
        raise LoadError(name, f"unknown units {units!r}; use one of mm, cm, m, in")
    ext = p.suffix.lower()
    if ext not in EXTENSIONS:
        raise LoadError(name, f"unknown file type {ext or '(no extension)'!r}; "
                              f"miniscan reads {', '.join(e[1:] for e in EXTENSIONS)}")
    try:
        st = p.stat()
    except FileNotFoundError:
        raise LoadError(name, "no such file") from None
    except OSError as e:
        raise LoadError(name, f"cannot read: {e.strerror or e}") from None
    if not p.is_file():
        raise LoadError(name, "not a regular file")
    if not os.access(p, os.R_OK):
        raise LoadError(name, "permission denied")
    if st.st_size == 0:
        raise LoadError(name, "file is empty")
    if st.st_size > MAX_FILE_BYTES:
        raise LoadError(name, f"file is {st.st_size / 1024**3:.1f} GB, over the 4 GB limit")
    _precheck(p, ext, st.st_size, max_faces)

    logging.getLogger("trimesh").setLevel(logging.CRITICAL)
    try:
        if ext in CLOUD_EXTENSIONS:
            return _from_points(name, ext[1:], _read_points(p, ext), units, scale_n)
        model = _load_mesh(p, name, ext, units, scale_n, max_faces)
        if (up or ("y" if ext in (".glb", ".gltf") else "z")) == "y":
            model = _y_up_to_z_up(model)
        return model
    except LoadError:
        raise
    except MemoryError:
        raise LoadError(name, "out of memory while reading (file too large?)") from None
    except RecursionError:
        raise LoadError(name, "file structure nested too deeply") from None
    except Exception as e:  # trimesh raises many types for malformed input
        raise LoadError(name, _explain(e)) from None


def _explain(e: Exception) -> str:
    msg = str(e).strip() or type(e).__name__
    low = msg.lower()
    if any(w in low for w in ("unpack", "buffer", "truncat", "eof", "index", "reshape",
                              "size", "cannot be interpreted")):
        return f"file looks truncated or corrupt ({msg[:120]})"
    return f"cannot parse: {msg}"


def _precheck(p: Path, ext: str, size: int, max_faces: int) -> None:
    """Reject hostile counts and zip bombs before a parser allocates for them."""
    name = str(p)
    with open(p, "rb") as fh:
        head = fh.read(4096)
    if ext == ".stl" and not head.lstrip().lower().startswith(b"solid") or \
            (ext == ".stl" and size >= 84 and _binary_stl_consistent(head, size)):
        if size < 84:
            raise LoadError(name, "binary STL shorter than its 84-byte header: truncated")
        (n,) = struct.unpack("<I", head[80:84])
        if size < 84 + 50 * n:
            raise LoadError(name, f"binary STL declares {n:,} faces but holds "
                                  f"{(size - 84) // 50:,}: truncated or not an STL")
        if n > max_faces:
            raise LoadError(name, f"declares {n:,} faces, over --max-faces {max_faces:,}")
        if n == 0:
            raise LoadError(name, "STL holds no faces")
    elif ext in (".ply", ".off"):
        text = head.decode("latin-1", "replace")
        counts = []
        if ext == ".ply":
            if not text.startswith("ply"):
                raise LoadError(name, "not a PLY file (missing 'ply' magic)")
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "element" and parts[2].isdigit():
                    counts.append(int(parts[2]))
                if line.strip() == "end_header":
                    break
        else:
            tokens = [t for line in text.splitlines()[:4] for t in line.split("#")[0].split()]
            if tokens and tokens[0].upper().endswith("OFF"):
                counts = [int(t) for t in tokens[1:3] if t.isdigit()]
        if any(c > max(max_faces, 1) * 3 for c in counts):
            raise LoadError(name, f"declares {max(counts):,} elements, over --max-faces "
                                  f"{max_faces:,}")
    elif ext == ".3mf":
        try:
            with zipfile.ZipFile(p) as z:
                total = sum(i.file_size for i in z.infolist())
        except zipfile.BadZipFile:
            raise LoadError(name, "not a valid 3MF (zip) archive") from None
        if total > MAX_ZIP_UNPACKED:
            raise LoadError(name, f"3MF unpacks to {total / 1024**3:.1f} GB: refusing")


def _binary_stl_consistent(head: bytes, size: int) -> bool:
    """Some binary STLs start with 'solid' in their header; their size gives them away."""
    if len(head) < 84:
        return False
    (n,) = struct.unpack("<I", head[80:84])
    return size == 84 + 50 * n


def _load_mesh(p: Path, name: str, ext: str, units: str | None, scale_n: float,
               max_faces: int) -> Model:
    import trimesh

    kw = {"split_objects": True} if ext == ".obj" else {}  # keep OBJ `o` objects as parts
    scene = trimesh.load_scene(str(p), file_type=ext[1:], process=False, **kw)
    geoms = []
    clouds = []
    for g in scene.dump():
        if isinstance(g, trimesh.Trimesh) and len(g.faces):
            geoms.append(g)
        elif isinstance(g, trimesh.PointCloud) and len(g.vertices):
            clouds.append(np.asarray(g.vertices, dtype=np.float64))
        elif isinstance(g, trimesh.Trimesh) and len(g.vertices) and not len(g.faces):
            clouds.append(np.asarray(g.vertices, dtype=np.float64))
    if not geoms:
        if clouds:
            return _from_points(name, ext[1:], np.concatenate(clouds), units, scale_n,
                                declared=_declared_units(scene))
        raise LoadError(name, "file holds no triangles")
    total = sum(len(g.faces) for g in geoms)
    if total > max_faces:
        raise LoadError(name, f"{total:,} faces, over --max-faces {max_faces:,}")

    names, starts, vs, fs, offset = [], [], [], [], 0
    nf = 0
    for i, g in enumerate(geoms):
        nm = str(g.metadata.get("name") or g.metadata.get("node") or f"part{i}")
        names.append(nm)
        starts.append(nf)
        f = np.asarray(g.faces, dtype=np.int64)
        vs.append(np.asarray(g.vertices, dtype=np.float64))
        fs.append(f + offset)
        offset += len(g.vertices)
        nf += len(f)
    vertices = np.concatenate(vs)
    faces = np.concatenate(fs)
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise LoadError(name, "faces are not triangles")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise LoadError(name, "a face refers to a vertex that does not exist")
    if not np.isfinite(vertices).all():
        raise LoadError(name, "vertex coordinates are not finite (NaN or infinity)")

    unit, guessed, notes = _units(name, vertices, units, _declared_units(scene), scale_n, ext)
    k = UNIT_MM[unit]
    vertices, faces = _merge(vertices * k, faces)
    _check_area(name, vertices, faces)
    return Model(name, _format_name(p, ext), vertices, faces, unit, guessed, k,
                 tuple(names), tuple(starts), "mesh", notes)


def _y_up_to_z_up(model: Model) -> Model:
    """Rotate +90 degrees about X: (x, y, z) -> (x, -z, y). A Y-up file's front (+Z) then
    faces -Y, miniscan's default front."""
    v = model.vertices
    rotated = np.ascontiguousarray(np.column_stack([v[:, 0], -v[:, 2], v[:, 1]]))
    return Model(model.path, model.format, rotated, model.faces.copy(), model.units,
                 model.units_guessed, model.unit_scale, model.part_names, model.part_starts,
                 model.source, model.load_notes, model.origin_offset_mm,
                 {**model.metadata, "up": "y"})


def _format_name(p: Path, ext: str) -> str:
    if ext == ".stl":
        with open(p, "rb") as fh:
            head = fh.read(84)
        size = p.stat().st_size
        binary = not head.lstrip().lower().startswith(b"solid") or _binary_stl_consistent(head, size)
        return "stl-binary" if binary else "stl-ascii"
    if ext == ".ply":
        with open(p, "rb") as fh:
            head = fh.read(200)
        return "ply-ascii" if b"format ascii" in head else "ply-binary"
    return ext[1:]


def _declared_units(scene) -> str | None:
    u = getattr(scene, "units", None)
    return _DECLARED.get(str(u).lower()) if u else None


def _merge(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join vertices at identical positions (OBJ/GLB split them along UV and normal seams)."""
    # Quantise on a grid of 1e-9 of the model's span (seams are bit-identical in practice,
    # and CAD exports keep distinct vertices tens of nm apart), hash each row to one int64
    # and unique that: a 1-D sort is ~10x faster than np.unique over rows.
    span = float(np.ptp(vertices, axis=0).max()) or 1.0
    q = np.round(vertices / (span * 1e-9)).astype(np.int64)
    keys = _row_hash(q)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(q[first[inverse]], q):  # a hash collision: fall back to exact rows
        _, first, inverse = np.unique(q, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    order = np.argsort(first)  # keep the file's vertex order: deterministic and familiar
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    new_vertices = vertices[first[order]]
    new_faces = remap[inverse][faces]
    return np.ascontiguousarray(new_vertices), np.ascontiguousarray(new_faces)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _row_hash(q: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of three int64 (collisions are checked by the caller)."""
    u = q.astype(np.uint64)
    with np.errstate(over="ignore"):
        h = _mix64(u[:, 0] + np.uint64(0x9E3779B97F4A7C15))
        h = _mix64(h ^ u[:, 1])
        h = _mix64(h ^ u[:, 2])
    return h


def _check_area(name: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    if not np.isfinite(area).all():
        raise LoadError(name, "coordinates too large to compute face areas")
    if area.sum() <= 0:
        raise LoadError(name, "every face has zero area: nothing to see")


def guess_units(extents: np.ndarray, scale_n: float = 56.0) -> tuple[str, str]:
    """Guess file units from the bounding box: returns (units, why).

    A subject at scale 1:N is typically a human (1.8 m) or a thing between a cup and a
    house; millimetres are kept when the model's size is plausible for that, otherwise
    round inch sizes mean inches and small sizes mean metres (scans and glTF).
    """
    size = float(np.max(extents))
    typical_mm = 1800.0 / scale_n
    lo, hi = max(3.0, typical_mm / 20), max(600.0, typical_mm * 20)
    if lo <= size <= hi:
        return "mm", f"{size:.3g} units is a plausible size in mm at 1:{scale_n:g}"
    eighths = extents[extents > 0] * 8.0
    round_in = len(eighths) and np.mean(np.abs(eighths - np.round(eighths)) < 0.02) >= 0.6
    if round_in and lo <= size * 25.4 <= hi:
        return "in", f"{size:.3g} units with round inch fractions reads as inches"
    if size < lo and lo <= size * 1000 <= 1000 * hi:
        return "m", f"{size:.3g} units is too small for mm; read as metres (a scan or glTF)"
    if size < lo and lo <= size * 10 <= hi:
        return "cm", f"{size:.3g} units read as centimetres"
    return "mm", f"{size:.3g} units kept as mm (no unit fits better)"


def _units(name, vertices, units, declared, scale_n, ext):
    if units is not None:
        return units, False, ()
    if declared is not None:
        return declared, False, ()
    ext_ = np.ptp(vertices, axis=0) if len(vertices) else np.zeros(3)
    if not np.isfinite(ext_).all():
        raise LoadError(name, "vertex coordinates are not finite (NaN or infinity)")
    unit, why = guess_units(ext_, scale_n)
    return unit, True, (("MS903", f"units not declared; guessed {unit}: {why}. "
                                  f"Pass --units to be sure."),)


def _read_points(p: Path, ext: str) -> np.ndarray:
    if ext == ".xyz":
        # open3d's xyz reader stops at 3 columns; 'x y z r g b' exports are common.
        with open(p, "r", encoding="latin-1") as fh:
            rows = [line.replace(",", " ").split()[:3] for line in fh
                    if line.strip() and not line.lstrip().startswith(("#", "//"))]
        try:
            pts = np.array([[float(v) for v in r] for r in rows if len(r) == 3])
        except ValueError:
            raise LoadError(str(p), "XYZ lines must start with three numbers") from None
        if len(pts) != len(rows):
            raise LoadError(str(p), "some XYZ lines have fewer than three numbers")
        return pts.reshape(-1, 3)
    import open3d as o3d

    pcd = o3d.io.read_point_cloud(str(p), format="pcd")
    return np.asarray(pcd.points, dtype=np.float64)


def _from_points(name, fmt, points, units, scale_n, declared=None) -> Model:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if len(points) == 0:
        raise LoadError(name, "point cloud holds no points")
    if not np.isfinite(points).all():
        raise LoadError(name, "point coordinates are not finite (NaN or infinity)")
    if len(points) < 10:
        raise LoadError(name, f"only {len(points)} points: too few to build a surface")
    # Georeferenced scans sit far from the origin; centre them before float32 kernels.
    offset = points.mean(axis=0)
    pts = points - offset
    unit, guessed, notes = _units(name, pts, units, declared, scale_n, "." + fmt)
    k = UNIT_MM[unit]
    vertices, faces = _surface_from_points(name, pts * k)
    vertices, faces = _merge(vertices, faces)
    _check_area(name, vertices, faces)
    notes = notes + (("MS905", f"point cloud of {len(points):,} points; surface rebuilt by "
                               f"ball pivoting into {len(faces):,} faces"),)
    return Model(name, f"{fmt}-points", vertices, faces, unit, guessed, k, ("points",), (0,),
                 "point-cloud", notes, tuple(float(x) * k for x in offset))


def _surface_from_points(name: str, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import open3d as o3d

    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    if len(pts) > 300_000:
        span = float(np.ptp(pts, axis=0).max())
        pcd = pcd.voxel_down_sample(span / 700.0)
    dist = np.asarray(pcd.compute_nearest_neighbor_distance())
    spacing = float(np.median(dist)) if len(dist) else 0.0
    if not spacing > 0:
        raise LoadError(name, "points are all at the same place")
    pcd.estimate_normals(o3d.geometry.KDTreeSearchParamKNN(min(30, len(pts) - 1)))
    pcd.orient_normals_consistent_tangent_plane(min(10, len(pts) - 1))
    radii = o3d.utility.DoubleVector([spacing * k for k in (1.5, 3.0, 6.0, 12.0)])
    mesh = o3d.geometry.TriangleMesh.create_from_point_cloud_ball_pivoting(pcd, radii)
    faces = np.asarray(mesh.triangles, dtype=np.int64)
    if len(faces) == 0:
        raise LoadError(name, "could not rebuild a surface from the points")
    return np.asarray(mesh.vertices, dtype=np.float64), faces
