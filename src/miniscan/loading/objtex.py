"""An OBJ's base colour from its materials: `mtllib`, `usemtl`, `vt` and the `f i/t` corners.

Read only when the OBJ names a material library (a file without `mtllib` costs one byte
comparison per line) and carries no vertex colours (those are the file's own paint and win).
Steps: the library names and the material of every face line (the last `usemtl` before it);
the UV index of every face corner (numpy over the face lines' bytes: `i/t/n` keeps `t`);
`mtl.read_materials`; each triangle corner's colour (its texture at its UV, or its `Kd`);
each vertex takes the mean colour of the corners that use it (where a UV seam gives one
vertex two texels, their mean: the rule `geometry.merged_colours` applies to merged seams).
Anything malformed here means no colour, never an error: colour is optional to the shape.
`references_state` tells the result cache what those colours depend on beside the OBJ.
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np

from . import mtl
from .errors import LoadError
from .files import check_reference, read_referenced_file
from .geometry import fan_triangles
from .text import Lines

_WS = np.frombuffer(b" \t\r\v\f\n", dtype=np.uint8)


def has_mtllib(lines: Lines) -> bool:
    return bool(_keyword(lines, b"mtllib").any())


def obj_colour(name: str, folder: str, lines: Lines, is_face: np.ndarray, per_face: np.ndarray,
               faces: np.ndarray, face_line: np.ndarray, nv: int, budget: int) -> dict | None:
    """{"rgb": (nv, 3) sRGB per vertex (NaN where none), "source", "texels_per_edge"} or
    None. `faces` are the fanned triangles (file vertex numbers), `face_line` the face line
    (index among face lines) each came from."""
    try:
        return _colour(name, folder, lines, is_face, per_face, faces, face_line, nv, budget)
    except Exception:  # noqa: BLE001 - a malformed material or texture is no colour, not a
        return None  # bad file: the shape reads whatever its materials hold


def _colour(name, folder, lines, is_face, per_face, faces, face_line, nv, budget):
    is_lib, is_use = _keyword(lines, b"mtllib"), _keyword(lines, b"usemtl")
    libs = library_names(_names(lines, is_lib, 6))
    materials = mtl.read_materials(name, folder, libs, budget)
    if not materials or not is_use.any():
        return None
    mat = _face_materials(lines, is_use, is_face, list(materials))[face_line]
    kd = np.full((len(materials) + 1, 3), np.nan, dtype=np.float32)  # last row: no material
    for k, m in enumerate(materials.values()):
        if m.kd is not None:
            kd[k] = m.kd
    corner = np.repeat(kd[mat][:, None, :], 3, axis=1)
    texels = _textures(lines, is_face, per_face, list(materials.values()), mat, corner)
    return _per_vertex(corner, faces, nv, texels)


def library_names(mtllib_values: list[str]) -> list[str]:
    """The files `mtllib` lines name: each line's whole value (a name with spaces, as Blender
    writes it) and, when it holds several words, each word (the format's list of files)."""
    out = [n for v in mtllib_values[:mtl.MAX_LIBRARIES]
           for n in ([v] + (v.split() if len(v.split()) > 1 else []))]
    return list(dict.fromkeys(out))[:mtl.MAX_LIBRARIES]


def _keyword(lines: Lines, word: bytes) -> np.ndarray:
    """Lines that start with `word` followed by a blank."""
    sel = (lines.first() == word[0]) & (lines.second() == word[1])
    if not sel.any():
        return sel
    at = lines.starts[sel][:, None] + np.arange(len(word) + 1)
    got = lines.arr[np.minimum(at, len(lines.arr) - 1)]
    want = np.frombuffer(word, dtype=np.uint8)
    sel[sel] = (got[:, :-1] == want).all(axis=1) & np.isin(got[:, -1], _WS)
    return sel


def _names(lines: Lines, sel: np.ndarray, skip: int) -> list[str]:
    text = lines.gather(sel, skip=skip).decode("utf-8", "replace")
    return [s.strip() for s in text.split("\n")[:int(sel.sum())]]


def _face_materials(lines, is_use, is_face, names: list[str]) -> np.ndarray:
    """Material (index into `names`; len(names) for none) of every face line."""
    used = np.array(_names(lines, is_use, 6), dtype=object)
    uniq, inv = np.unique(used, return_inverse=True)
    index = {n: k for k, n in enumerate(names)}
    of_line = np.append(np.array([index.get(u, len(names)) for u in uniq],
                                 dtype=np.int64)[inv], len(names))
    last_use = np.cumsum(is_use)[is_face] - 1  # -1: before any usemtl
    return of_line[last_use]  # index -1 is the appended "none"


def _textures(lines, is_face, per_face, materials, mat, corner) -> list[np.ndarray]:
    """Fill the textured corners of `corner` (m, 3, 3) in place; the edge lengths in texels
    of every textured triangle."""
    textured = [k for k, m in enumerate(materials) if m.image is not None]
    if not textured:
        return []
    uv = _uvs(lines)
    t = None if uv is None else _corner_uvs(lines, is_face, per_face, len(uv))
    if t is None:
        corner[np.isin(mat, textured)] = np.nan
        return []
    order = np.argsort(mat, kind="stable")
    bounds = np.searchsorted(mat[order], np.arange(len(materials) + 1))
    texels = []
    for k in textured:  # a handful of images, each over its own faces
        tri = order[bounds[k]:bounds[k + 1]]
        img = materials[k].image
        tk = t[tri]
        ok = tk >= 0
        rgb = np.full((len(tri), 3, 3), np.nan, dtype=np.float32)
        rgb[ok] = mtl.lookup(img, uv[tk[ok]])
        corner[tri] = rgb
        full = ok.all(axis=1)
        size = np.array([img.shape[1], img.shape[0]], dtype=np.float64)
        d = (uv[tk[full][:, [1, 2, 0]]] - uv[tk[full]]) * size
        texels.append(np.linalg.norm(d, axis=2).ravel())
    return texels


def _uvs(lines: Lines) -> np.ndarray | None:
    """(k, 2) of the `vt u [v [w]]` lines (v defaults to 0); None when one is not numbers."""
    is_vt = _uv_lines(lines)
    if not is_vt.any():
        return None
    flat, per = lines.numbers("", is_vt, "", skip=2)
    if (per < 1).any():
        return None
    first = np.concatenate(([0], np.cumsum(per)[:-1]))
    v = np.where(per >= 2, flat[np.minimum(first + 1, len(flat) - 1)], 0.0)
    return np.column_stack([flat[first], v])


def _corner_uvs(lines, is_face, per_face, n_uv) -> np.ndarray | None:
    """The fanned triangles' UV indices (m, 3), 0-based, -1 where a corner has none; None
    when the face lines do not parse the way their vertex numbers did."""
    b = np.frombuffer(lines.gather(is_face, skip=1), dtype=np.uint8)
    ws = np.isin(b, _WS)
    start = ~ws & np.concatenate(([True], ws[:-1]))
    tok = np.cumsum(start) - 1
    slash = b == ord("/")
    before = np.cumsum(slash) - slash  # slashes before each byte
    within = before - before[start][tok]  # slashes before it inside its token
    is_t = ~ws & ~slash & (within == 1)
    has_t = np.bincount(tok[is_t], minlength=int(start.sum())) > 0
    none = start & ~has_t[tok]
    out = b.copy()
    out[none] = ord("0")  # OBJ counts from 1: 0 marks a corner without a UV
    with warnings.catch_warnings():  # where fromstring stops early: the count says so below
        warnings.simplefilter("ignore")
        flat = np.fromstring(out[ws | is_t | none].tobytes(), dtype=np.int64, sep=" ")
    if len(flat) != int(per_face.sum()):
        return None
    uv_before = np.repeat(np.cumsum(_uv_lines(lines))[is_face], per_face)
    idx = np.where(flat > 0, flat - 1, np.where(flat < 0, uv_before + flat, -1))
    idx[(idx < 0) | (idx >= n_uv)] = -1
    return fan_triangles(idx, per_face)[0]


def _uv_lines(lines: Lines) -> np.ndarray:
    is_vt = (lines.first() == ord("v")) & (lines.second() == ord("t"))
    is_vt[is_vt] = np.isin(lines.arr[lines.starts[is_vt] + 2], _WS)
    return is_vt


def _per_vertex(corner: np.ndarray, faces: np.ndarray, nv: int, texels) -> dict | None:
    c = corner.reshape(-1, 3).astype(np.float64)
    ok = np.isfinite(c).all(axis=1)
    if not ok.any():
        return None
    idx = faces.ravel()[ok]
    n = np.bincount(idx, minlength=nv).astype(np.float64)
    rgb = np.stack([np.bincount(idx, weights=c[ok, j], minlength=nv) for j in range(3)], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rgb /= n[:, None]
    edges = np.concatenate(texels) if texels else np.empty(0)
    return {"rgb": rgb.astype(np.float32), "source": "texture" if len(edges) else "material",
            "texels_per_edge": float(np.median(edges)) if len(edges) else None}


_MTLLIB = re.compile(rb"(?:^|\r)[ \t]*mtllib[ \t]+([^\r\n]*)", re.M)


def references_state(path: str, fd: int, size: int) -> str:
    """What the colour of the OBJ at `path` depends on beside its own bytes: for each
    material library it names and each texture those name, the name with its size and
    modification time (or why it is not read), for the result cache's key. Reads the
    libraries (bounded, as the loader does); stats the textures, never opens them. Empty
    when the OBJ names no library."""
    import mmap

    if size == 0:
        return ""
    with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as mm:
        if mm.find(b"mtllib") < 0:
            return ""
        libs = []
        for m in _MTLLIB.finditer(mm):
            libs.append(m.group(1).decode("utf-8", "replace").strip())
            if len(libs) >= mtl.MAX_LIBRARIES:
                break
    folder = os.path.dirname(os.path.abspath(path))
    state = []
    for lib in library_names(libs):
        state.append(_file_state(path, folder, lib))
        try:
            data = read_referenced_file(path, folder, lib, mtl.MAX_LIBRARY_BYTES, "library")
        except LoadError:
            continue
        textures = [tex for _, tex in mtl.library_statements(data).values() if tex is not None]
        state += [_file_state(path, folder, tex) for tex in textures[:mtl.MAX_MATERIALS]]
    return "\n".join(state)


def _file_state(path: str, folder: str, uri: str) -> str:
    try:
        st = check_reference(path, folder, uri)
    except LoadError as e:
        return f"{uri}\0{e.reason}"
    return f"{uri}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"
