"""Any mesh file -> Model (millimetres, merged topology, named parts), or a clean LoadError.

The road a file takes: (1) `files` checks it is a regular file inside its folder and opens it
without blocking; (2) its size is held against what its format can need for --max-faces
(`limits`); (3) a per-format structural check (`prechecks`, `gltf`, `threemf`) compares the
counts the file declares with the bytes it holds and counts instanced faces, before anything
is allocated; (4) a parser reads the checked bytes from memory (`obj` and `points` here,
trimesh via `scene` for the rest; nothing it refers to is opened except a glTF's buffers
and an OBJ's material libraries and textures, read by `files`); (5) `geometry` applies
units, refuses coordinates no physical model has and merges seams. Native libraries run
with their output captured (`safety`); every failure is one LoadError with a reason a
person can act on; nothing here prints.
"""

from __future__ import annotations

import os

import numpy as np

from ..model import Model
from ..safety import quiet_native
from . import files, prechecks
from .errors import LoadError, explain, line_name, text_name
from .geometry import (UNIT_MM, check_area, check_bounds, check_cloud_span, declared_units,
                       guess_units, merge, merged_colours, units_of, y_up_to_z_up)
from .limits import DEFAULT_MAX_FACES, MAX_FILE_BYTES, Limits

MESH_EXTENSIONS = (".stl", ".obj", ".ply", ".off", ".glb", ".gltf", ".3mf")
CLOUD_EXTENSIONS = (".xyz", ".pcd")
EXTENSIONS = MESH_EXTENSIONS + CLOUD_EXTENSIONS
_TEXT_FORMATS = {".obj": "OBJ", ".off": "OFF", ".xyz": "XYZ"}
# bytes read to tell a format's variant (STL ascii/binary) before reading the whole file
_HEAD_BYTES = 4096

_merge = merge  # the seam merge, under its historical name (tests and benchmarks use it)

__all__ = ["load", "LoadError", "EXTENSIONS", "MESH_EXTENSIONS", "CLOUD_EXTENSIONS",
           "DEFAULT_MAX_FACES", "MAX_FILE_BYTES", "UNIT_MM", "guess_units", "text_name",
           "line_name"]


def load(path: str | os.PathLike, units: str | None = None, *, scale_n: float = 56.0,
         max_faces: int = DEFAULT_MAX_FACES, up: str | None = None,
         max_memory: int | None = None) -> Model:
    """Read a mesh or point-cloud file into a Model in millimetres, +Z up.

    units: 'mm', 'cm', 'm' or 'in' to state the file's units; None to use what the file
    declares (3MF, glTF) or guess from its size (noted as MS903).
    up: the file's up axis, 'z' or 'y'; None means 'y' for glTF (its specification) and
    'z' for everything else (the 3D-printing convention). Y-up files are turned to Z-up.
    max_memory: bytes the check may use; a file whose face count (read from its structure
    before it is parsed) would need more is refused. None: the memory this machine has
    available now; 0: no memory guard.
    """
    name = os.fspath(path)
    if up is not None and up not in ("z", "y"):
        raise LoadError(name, f"unknown up axis {up!r}; use z or y")
    if units is not None and units not in UNIT_MM:
        raise LoadError(name, f"unknown units {units!r}; use one of mm, cm, m, in")
    ext = os.path.splitext(name)[1].lower()
    if ext not in EXTENSIONS:
        raise LoadError(name, f"unknown file type {ext or '(no extension)'!r}; "
                              f"miniscan reads {', '.join(e[1:] for e in EXTENSIONS)}")
    limits = Limits(max(int(max_faces), 1), max_memory)
    fd, size = files.open_regular(name, name)
    try:
        with quiet_native():
            model = _read(name, fd, size, ext, units, scale_n, limits)
    except (LoadError, KeyboardInterrupt):
        raise
    except MemoryError:
        raise LoadError(name, "out of memory while reading: the file is larger than this "
                              "machine can check (lower --max-faces to refuse it sooner)") from None
    except RecursionError:
        raise LoadError(name, "file structure nested too deeply to read") from None
    except Exception as e:  # a parser fault on malformed input: say what, not the traceback
        raise LoadError(name, explain(ext[1:], e)) from None
    finally:
        os.close(fd)
    if (up or ("y" if ext in (".glb", ".gltf") else "z")) == "y":
        model = y_up_to_z_up(model)
    return model


_UTF8_BOM = b"\xef\xbb\xbf"
_BOM_FORMATS = (".obj", ".off", ".xyz", ".pcd")  # text read from its first byte (STL and PLY
#                                                  start with their magic word instead)


def _read(name, fd, size, ext, units, scale_n, limits: Limits) -> Model:
    if size == 0:
        raise LoadError(name, "file is empty")
    cap = limits.file_bytes(ext)
    if size > cap:
        raise LoadError(name, f"file is {size:,} bytes, more than a {ext[1:].upper()} file can "
                              f"need for --max-faces {limits.max_faces:,} (raise it to read "
                              "this file)")
    if ext in _TEXT_FORMATS:
        files.require_text(name, fd, size, _TEXT_FORMATS[ext])
    if ext in (".glb", ".gltf"):
        return _gltf(name, fd, size, ext, units, scale_n, limits)
    if ext == ".3mf":
        from .threemf import read_3mf

        data, _ = read_3mf(name, fd, limits)
        return _trimesh(name, data, "3mf", None, "3mf", units, scale_n, limits)
    if ext == ".stl":
        fmt = prechecks.stl(name, files.read_at(fd, 0, _HEAD_BYTES), size, limits)
        if fmt == "stl-ascii":
            files.require_text(name, fd, size, "ASCII STL")
    elif ext == ".ply":
        fmt = prechecks.ply_format(name, files.read_at(fd, 0, prechecks.HEADER_LIMIT))
        if fmt == "ply-ascii":
            files.require_text(name, fd, size, "ASCII PLY")
    data = files.read_bytes(name, fd, size, cap)
    if ext in _BOM_FORMATS and data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]  # Windows editors' UTF-8 mark, not the first line's text
    if ext == ".stl" and fmt == "stl-ascii":
        limits.check_memory(name, prechecks.stl_ascii_faces(data))
    if ext == ".obj":
        return _obj(name, data, units, scale_n, limits)
    if ext in (".xyz", ".pcd"):
        from . import points as pts

        if ext == ".xyz":
            cloud = pts.read_xyz(name, data, limits.max_points)
        else:
            cloud = pts.read_pcd(name, data, limits.max_points, name)
        return from_points(name, ext[1:], cloud, units, scale_n)
    if ext == ".ply":
        prechecks.ply(name, data, limits)
    elif ext == ".off":
        fmt = prechecks.off(name, data, limits)
    return _trimesh(name, data, ext[1:], None, fmt, units, scale_n, limits)


def _gltf(name, fd, size, ext, units, scale_n, limits) -> Model:
    import json

    from .gltf import read_gltf

    g = read_gltf(name, name, fd, size, ext == ".glb", limits)
    return _trimesh(name, json.dumps(g.tree).encode(), "gltf", g.buffers, ext[1:], units,
                    scale_n, limits)


def _trimesh(name, data, file_type, buffers, fmt, units, scale_n, limits) -> Model:
    from .scene import read_scene, scene_arrays

    scene = read_scene(name, data, file_type, buffers, materials=file_type == "gltf")
    # glTF stores COLOR_0 as linear light (glTF 2.0, 3.7.2.1); the Model holds sRGB
    vertices, faces, names, starts, cloud, colour = scene_arrays(
        name, scene, file_type in ("stl", "ply", "off"), linear_colours=file_type == "gltf")
    declared = declared_units(scene)
    if faces is None:
        if cloud is not None and len(cloud):
            if len(cloud) > limits.max_points:
                raise LoadError(name, f"holds {len(cloud):,} points, over the "
                                      f"{limits.max_points:,} --max-faces allows")
            return from_points(name, fmt.split("-")[0], cloud, units, scale_n, declared)
        raise LoadError(name, "file holds no triangles")
    return _mesh_model(name, fmt, vertices, faces, names, starts, units, declared, scale_n,
                       limits, colour)


def _obj(name, data, units, scale_n, limits) -> Model:
    from .obj import parse_obj

    # an OBJ's material libraries and textures share the glTF byte budget for --max-faces
    vertices, faces, names, starts, colour = parse_obj(
        name, data, limits.max_faces, limits.max_vertices, limits.check_memory,
        os.path.dirname(os.path.abspath(name)), limits.gltf_bytes())
    if faces is None:
        return from_points(name, "obj", vertices, units, scale_n)
    return _mesh_model(name, "obj", vertices, faces, names, starts, units, None, scale_n, limits,
                       colour)


def _mesh_model(name, fmt, vertices, faces, names, starts, units, declared, scale_n,
                limits, colour=None) -> Model:
    """Checked arrays -> Model: counts, indices, finiteness, units, bounds, merged seams;
    `colour` None or {"rgb": (n, 3) sRGB in [0, 1] per vertex (NaN rows uncoloured),
    "source", "texels_per_edge"} (scene.scene_arrays), kept in the Model's metadata."""
    if len(faces) > limits.max_faces:
        raise LoadError(name, f"{len(faces):,} faces, over --max-faces {limits.max_faces:,}")
    limits.check_memory(name, len(faces))
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise LoadError(name, "faces are not triangles")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise LoadError(name, "a face refers to a vertex that does not exist")
    if not np.isfinite(vertices).all():
        raise LoadError(name, "vertex coordinates are not finite (NaN or infinity)")
    # vertices no face uses are no part of the surface: they must not set its size (a stray
    # point 3 m away made a 12 mm cube "3000 units" and its silhouette grid too coarse)
    # (a mask, not np.unique: no sort of 3m indices, and nothing to do for most files)
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.ravel()] = True
    if not used.all():
        faces = (np.cumsum(used) - 1)[faces]
        vertices = vertices[used]
        if colour is not None:
            colour = dict(colour, rgb=np.asarray(colour["rgb"])[used])
    unit, guessed, notes = units_of(name, vertices, units, declared, scale_n, fmt)
    k = UNIT_MM[unit]
    vertices = vertices * k
    check_bounds(name, vertices)
    merged_v, merged_f = merge(vertices, faces)
    check_area(name, merged_v, merged_f)
    rgb = merged_colours(None if colour is None else colour["rgb"], faces, merged_f,
                         len(merged_v))
    meta = {} if colour is None else {"colour_source": colour["source"],
                                      "texels_per_edge": colour["texels_per_edge"]}
    return Model(name, fmt, merged_v, merged_f, unit, guessed, k,
                 tuple(text_name(n) for n in names), tuple(starts), "mesh", notes,
                 metadata=meta, vertex_rgb=rgb)


def from_points(name, fmt, points, units, scale_n, declared=None) -> Model:
    """A point cloud -> Model whose surface is rebuilt by ball pivoting (noted as MS905)."""
    from .points import surface_from_points

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
    unit, guessed, notes = units_of(name, pts, units, declared, scale_n, "." + fmt)
    k = UNIT_MM[unit]
    check_bounds(name, pts * k, "point")
    check_cloud_span(name, pts * k)
    vertices, faces = surface_from_points(name, pts * k)
    vertices, faces = merge(vertices, faces)
    check_area(name, vertices, faces)
    notes = notes + (("MS905", f"point cloud of {len(points):,} points; surface rebuilt by "
                               f"ball pivoting into {len(faces):,} faces"),)
    return Model(name, f"{fmt}-points", vertices, faces, unit, guessed, k, ("points",), (0,),
                 "point-cloud", notes, tuple(float(x) * k for x in offset))
