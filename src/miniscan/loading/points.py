"""Point clouds: XYZ and PCD read with numpy (headers checked against the bytes present),
and the surface rebuilt by ball pivoting at a fixed, scale-free point spacing.

open3d's PCD reader trusts its header: a header cut short leaves fields uninitialised and it
reads garbage (or allocates gigabytes). Text and binary PCD are therefore parsed here; only
LZF-compressed PCD goes to open3d, after its header and block sizes are checked.
"""

from __future__ import annotations

import numpy as np

from .errors import LoadError
from .text import Lines, first_three

# The PCD header is a dozen short lines; more than this before DATA is not a PCD (bytes).
PCD_HEADER_LIMIT = 64 * 1024
_PCD_TYPES = {("F", 4): "<f4", ("F", 8): "<f8", ("I", 1): "i1", ("I", 2): "<i2",
              ("I", 4): "<i4", ("I", 8): "<i8", ("U", 1): "u1", ("U", 2): "<u2",
              ("U", 4): "<u4", ("U", 8): "<u8"}


def read_xyz(name: str, data: bytes, max_points: int) -> np.ndarray:
    """Rows of 'x y z [more columns]' (commas allowed); '#' and '//' lines are comments."""
    lines = Lines(data.replace(b",", b" "))
    first, second = lines.first(), lines.second()
    rows = (first != 10) & (first != ord("#")) & ~((first == ord("/")) & (second == ord("/")))
    n = int(np.count_nonzero(rows))
    if n > max_points:
        raise LoadError(name, f"holds {n:,} points, over the {max_points:,} --max-faces allows")
    if n == 0:
        raise LoadError(name, "point cloud holds no points")
    flat, per_line = lines.numbers(name, rows, "XYZ lines must hold only numbers")
    return first_three(name, flat, per_line, "some XYZ lines have fewer than three numbers")


def read_pcd(name: str, data: bytes, max_points: int, path: str) -> np.ndarray:
    header, body_at = _pcd_header(name, data)
    fields, sizes, types, counts, n, kind = _pcd_layout(name, header, max_points)
    for axis in "xyz":
        if axis not in fields:
            raise LoadError(name, f"PCD has no '{axis}' field: not a point cloud miniscan can read")
    body = data[body_at:]
    if kind == "ascii":
        return _pcd_ascii(name, body, fields, counts, n)
    dtype = np.dtype([(f"{f}_{k}", _PCD_TYPES[(t, s)], (c,)) for k, (f, s, t, c)
                      in enumerate(zip(fields, sizes, types, counts))])
    if kind == "binary":
        if len(body) < n * dtype.itemsize:
            raise LoadError(name, f"PCD declares {n:,} points ({n * dtype.itemsize:,} bytes) "
                                  f"but holds {len(body):,} bytes of data: truncated")
        rec = np.frombuffer(body, dtype=dtype, count=n)
        xyz = [rec[f"{a}_{fields.index(a)}"][:, 0] for a in "xyz"]
        return np.column_stack(xyz).astype(np.float64)
    return _pcd_compressed(name, body, n, dtype.itemsize, path)


def _pcd_header(name: str, data: bytes) -> tuple[dict[str, list[str]], int]:
    """The header's keyword -> values, and the offset where the data starts."""
    head = data[:PCD_HEADER_LIMIT]
    header: dict[str, list[str]] = {}
    at = 0
    while True:
        nl = head.find(b"\n", at)
        if nl < 0:
            raise LoadError(name, "PCD header has no complete DATA line: truncated or not a PCD")
        words = head[at:nl].decode("latin-1").split("#", 1)[0].split()
        at = nl + 1
        if words:
            header[words[0].upper()] = words[1:]
            if words[0].upper() == "DATA":
                return header, at


def _pcd_layout(name: str, h: dict[str, list[str]], max_points: int):
    fields = h.get("FIELDS") or h.get("COLUMNS") or []
    if not fields:
        raise LoadError(name, "PCD header has no FIELDS line: truncated or not a PCD")
    sizes, types = h.get("SIZE", []), [t.upper() for t in h.get("TYPE", [])]
    counts = h.get("COUNT", ["1"] * len(fields))
    if not len(fields) == len(sizes) == len(types) == len(counts):
        raise LoadError(name, "PCD header's FIELDS, SIZE, TYPE and COUNT lines disagree in "
                              "length: truncated or corrupt header")
    try:
        sizes, counts = [int(s) for s in sizes], [int(c) for c in counts]
        width, height = int(h.get("WIDTH", ["-1"])[0]), int(h.get("HEIGHT", ["1"])[0])
        n = int(h["POINTS"][0]) if h.get("POINTS") else width * height
    except (ValueError, IndexError):
        raise LoadError(name, "PCD header holds a count that is not a whole number") from None
    if any((t, s) not in _PCD_TYPES for t, s in zip(types, sizes)) or min(counts) < 1:
        raise LoadError(name, "PCD header declares a field type or size PCD does not have")
    if n < 0 or (width >= 0 and width * height != n):
        raise LoadError(name, f"PCD header says WIDTH x HEIGHT = {width} x {height} but "
                              f"POINTS {n}: corrupt header")
    if n > max_points:
        raise LoadError(name, f"declares {n:,} points, over the {max_points:,} --max-faces allows")
    kind = (h["DATA"] or ["?"])[0].lower()
    if kind not in ("ascii", "binary", "binary_compressed"):
        raise LoadError(name, f"PCD data kind {kind!r} is not ascii, binary or binary_compressed")
    return fields, sizes, types, counts, n, kind


def _pcd_ascii(name, body, fields, counts, n) -> np.ndarray:
    lines = Lines(body)
    rows = lines.first() != 10
    if int(np.count_nonzero(rows)) < n:
        raise LoadError(name, f"PCD declares {n:,} points but holds "
                              f"{int(np.count_nonzero(rows)):,} lines of data: truncated")
    rows &= np.cumsum(rows) <= n
    flat, per_line = lines.numbers(name, rows, "a PCD data line holds something that is not "
                                               "a number")
    width = sum(counts)
    if (per_line != width).any():
        raise LoadError(name, f"a PCD data line does not hold the {width} numbers its header "
                              "declares")
    table = flat.reshape(n, width)
    col = np.cumsum([0] + counts)
    return np.column_stack([table[:, col[fields.index(a)]] for a in "xyz"])


def _pcd_compressed(name, body, n, point_bytes, path) -> np.ndarray:
    if len(body) < 8:
        raise LoadError(name, "compressed PCD ends before its block sizes: truncated")
    packed, unpacked = (int(x) for x in np.frombuffer(body[:8], dtype="<u4"))
    if unpacked != n * point_bytes or packed > len(body) - 8:
        raise LoadError(name, f"compressed PCD block sizes ({packed:,} packed, {unpacked:,} "
                              f"unpacked) do not fit {n:,} points in {len(body) - 8:,} bytes: "
                              "truncated or corrupt")
    from ..o3d_import import prepare

    prepare()  # open3d without its plotly/dash front end
    import open3d as o3d

    pcd = o3d.io.read_point_cloud(path, format="pcd")
    pts = np.asarray(pcd.points, dtype=np.float64)
    if len(pts) != n:
        raise LoadError(name, "compressed PCD data does not decompress to the points its "
                              "header declares: corrupt")
    return pts


# ----------------------------------------------------------------------- surface rebuild

# Ball radii in multiples of the median point spacing (dimensionless): from just over the
# spacing (fills dense areas) to 12x (bridges holes a scanner leaves).
BALL_RADII = (1.5, 3.0, 6.0, 12.0)
# Points beyond this are thinned on a voxel grid first (points): ball pivoting is
# super-linear and a small model needs no more to show its surface.
MAX_PIVOT_POINTS = 300_000
# Voxels across the largest extent when thinning (dimensionless).
THIN_VOXELS = 700


def surface_from_points(name: str, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles through the points (ball pivoting). The cloud is rescaled to unit point
    spacing first, so the pivoting runs the same at any size (open3d's tolerances are
    absolute: a cloud micrometres across stalled it for minutes)."""
    from ..o3d_import import prepare

    prepare()  # open3d without its plotly/dash front end
    import open3d as o3d

    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    if len(pts) > MAX_PIVOT_POINTS:
        span = float(np.ptp(pts, axis=0).max())
        pcd = pcd.voxel_down_sample(span / THIN_VOXELS)
    dist = np.asarray(pcd.compute_nearest_neighbor_distance())
    spacing = float(np.median(dist)) if len(dist) else 0.0
    if not spacing > 0:
        raise LoadError(name, "points are all at the same place")
    unit = np.asarray(pcd.points) / spacing
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(unit))
    k = len(unit)
    try:
        pcd.estimate_normals(o3d.geometry.KDTreeSearchParamKNN(min(30, k - 1)))
        try:
            pcd.orient_normals_consistent_tangent_plane(min(10, k - 1))
        except RuntimeError:  # qhull refuses flat or cospherical clouds: one side will do
            pcd.orient_normals_to_align_with_direction()
        radii = o3d.utility.DoubleVector(list(BALL_RADII))
        mesh = o3d.geometry.TriangleMesh.create_from_point_cloud_ball_pivoting(pcd, radii)
    except RuntimeError:
        raise LoadError(name, "could not rebuild a surface from the points: they are too "
                              "degenerate (collinear or repeated) for ball pivoting") from None
    faces = np.asarray(mesh.triangles, dtype=np.int64)
    if len(faces) == 0:
        raise LoadError(name, "could not rebuild a surface from the points")
    return np.asarray(mesh.vertices, dtype=np.float64) * spacing, faces
