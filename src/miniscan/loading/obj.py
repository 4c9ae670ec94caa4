"""Wavefront OBJ without trimesh: vectorised, linear in the file, strict about indices.

Reads `v` positions (with their `r g b` vertex colours when every vertex line has them: the
common extension MeshLab, ZBrush and scanners write), `f` faces (`i`, `i/t`, `i//n`, `i/t/n`;
negative = relative; polygons fanned into triangles) and `o` objects (the parts). Without
vertex colours, the base colour of the materials a `mtllib` line names is read by `objtex`
(`Kd`, `map_Kd` at the `vt` of each corner; only through `files`, inside the file's folder);
normals and the rest are ignored.

Steps: classify lines by keyword (numpy over line starts); parse the numbers of each class
at C speed; resolve, check and fan the face indices with index arithmetic; group faces by
part. One pass whatever the number of objects (trimesh copies the vertex table once per
object: 200,000 one-face objects took it 251 s).
"""

from __future__ import annotations

import numpy as np

from .errors import LoadError
from .geometry import fan_triangles
from .objtex import has_mtllib, obj_colour
from .text import Lines, first_three

_OTHER, _V, _F, _O = 0, 1, 2, 3
_SEPARATORS = np.frombuffer(b" \t\v\f\n", dtype=np.uint8)


def parse_obj(name: str, data: bytes, max_faces: int, max_vertices: int, check_memory=None,
              folder: str | None = None, texture_bytes: int = 0):
    """(vertices (n,3), faces (m,3) or None when the file holds only points, part names,
    part starts, colour or None: {"rgb": (n,3) sRGB in [0, 1] per vertex (NaN rows
    uncoloured), "source": vertex | texture | material, "texels_per_edge"}).
    check_memory(name, faces), when given, may refuse the face count: called with the face
    lines (each at least one triangle) before any number is parsed. `folder`: where the
    material libraries and textures are looked for (None: not read); `texture_bytes`: the
    most their files may hold together."""
    lines = Lines(data)
    cls = _classify(lines)
    if check_memory is not None:
        check_memory(name, int(np.count_nonzero(cls == _F)))
    nv = int(np.count_nonzero(cls == _V))
    if nv == 0:
        raise LoadError(name, "file holds no triangles (no vertex lines)")
    if nv > max_vertices:
        raise LoadError(name, f"holds {nv:,} vertices, more than a mesh within --max-faces "
                              f"{max_faces:,} can use")
    flat, per_line = lines.numbers(name, cls == _V, "a vertex line holds something that is not a "
                                                        "number", skip=1)
    vertices = first_three(name, flat, per_line, "a vertex line needs three coordinates")
    rgb = _colours(flat, per_line)
    if not (cls == _F).any():
        return vertices, None, (), (), None
    idx, per_face = lines.numbers(name, cls == _F, "a face line holds something that is not a "
                                 "vertex number", integer=True, skip=1)
    if (per_face < 3).any():
        line = int(np.flatnonzero(cls == _F)[np.argmax(per_face < 3)]) + 1
        raise LoadError(name, f"line {line:,}: a face needs at least three vertices")
    n_tri = int((per_face - 2).sum())
    if n_tri > max_faces:
        raise LoadError(name, f"{n_tri:,} faces, over --max-faces {max_faces:,}")
    v_before = np.cumsum(cls == _V)[cls == _F]  # vertices defined before each face line
    idx = _resolve(name, idx, np.repeat(v_before, per_face), nv)
    faces, face_line = fan_triangles(idx, per_face)
    names, line_part = _objects(lines, cls, name)
    colour = None if rgb is None else {"rgb": rgb, "source": "vertex", "texels_per_edge": None}
    if rgb is None and folder is not None and has_mtllib(lines):
        colour = obj_colour(name, folder, lines, cls == _F, per_face, faces, face_line, nv,
                            texture_bytes)
    return _by_part(vertices, faces, line_part[cls == _F][face_line], names, colour)


def _colours(flat: np.ndarray, per_line: np.ndarray) -> np.ndarray | None:
    """`v x y z r g b`: the colour of every vertex when every vertex line has exactly six
    numbers (0-1 floats, or 0-255 when any exceeds 1); None otherwise (a `v x y z w` line is
    a weight, not a colour)."""
    if not len(per_line) or not (per_line == 6).all():
        return None
    rgb = flat.reshape(-1, 6)[:, 3:]
    if not np.isfinite(rgb).all() or rgb.min() < 0:
        return None
    return (rgb / 255.0 if rgb.max() > 1.0 else rgb).clip(0.0, 1.0).astype(np.float32)


def _classify(lines: Lines) -> np.ndarray:
    a, sep = lines.first(), np.isin(lines.second(), _SEPARATORS)
    cls = np.full(len(lines), _OTHER, dtype=np.int8)
    cls[(a == ord("v")) & sep] = _V
    cls[(a == ord("f")) & sep] = _F
    cls[(a == ord("o")) & sep] = _O
    return cls


def _resolve(name: str, idx: np.ndarray, v_before: np.ndarray, nv: int) -> np.ndarray:
    """1-based and negative (relative) OBJ indices -> 0-based, every one checked."""
    if (idx == 0).any():
        raise LoadError(name, "a face refers to vertex 0, but OBJ counts vertices from 1: "
                              "the file is corrupt or was written with 0-based indices")
    out = np.where(idx > 0, idx - 1, v_before + idx)
    bad = (out < 0) | (out >= nv)
    if bad.any():
        raise LoadError(name, f"a face refers to vertex {int(idx[bad][0]):,}, but the file "
                              f"defines {nv:,} vertices")
    return out


def _objects(lines: Lines, cls: np.ndarray, name: str) -> tuple[list[str], np.ndarray]:
    """Part names (the file's own name for faces before the first `o`, then one per `o`
    line) and the part of every line."""
    is_o = cls == _O
    text = lines.gather(is_o, skip=1).decode("utf-8", "replace") if is_o.any() else ""
    stem = name.replace("\\", "/").rsplit("/", 1)[-1]
    names = [stem] + [n.strip() or "object" for n in text.split("\n")[:int(is_o.sum())]]
    return names, np.cumsum(is_o)


def _by_part(vertices, faces, face_part, names, colour=None):
    """Faces grouped by part name: parts in reverse order of first appearance, each part's
    vertices in file order, unreferenced vertices dropped (what trimesh's OBJ reader gave,
    so reports do not change); part starts ascending."""
    uniq, name_id = np.unique(np.asarray(names, dtype=object), return_inverse=True)
    pid = name_id[face_part]
    never = np.iinfo(np.int64).max
    first_seen = np.full(len(uniq), never)
    np.minimum.at(first_seen, pid, np.arange(len(pid)))
    used = np.flatnonzero(first_seen < never)
    used = used[np.argsort(-first_seen[used], kind="stable")]
    rank = np.zeros(len(uniq), dtype=np.int64)
    rank[used] = np.arange(len(used))
    prank = rank[pid]
    order = np.argsort(prank, kind="stable")
    faces, prank = faces[order], prank[order]
    nv = len(vertices)
    ukeys, inverse = np.unique(prank[:, None] * nv + faces, return_inverse=True)
    starts = np.searchsorted(prank, np.arange(len(used)))
    if colour is not None:
        colour = {**colour, "rgb": colour["rgb"][ukeys % nv]}
    return (vertices[ukeys % nv], inverse.reshape(-1, 3), tuple(str(uniq[u]) for u in used),
            tuple(int(s) for s in starts), colour)
