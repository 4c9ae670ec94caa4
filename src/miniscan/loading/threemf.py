"""3MF checked before trimesh builds anything.

A 3MF is a zip. Steps: (1) list its members and refuse model parts larger than --max-faces
can need, or inflating like a zip bomb; thumbnails, textures and anything else are never
inflated; (2) read the model parts with reads bounded by their declared sizes and refuse
DTDs (3MF has none; they carry entity bombs); (3) count the faces the build instantiates
(items x object faces, through components) from the XML text itself, before any mesh is
built; (4) hand trimesh a small zip of just those parts.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib

from .errors import LoadError
from .limits import DEFLATE_RATIO_FLOOR_BYTES, MAX_DEFLATE_RATIO, Limits

_ROOT_MODEL = "3d/3dmodel.model"
_CORE_NS = rb"http://schemas\.microsoft\.com/3dmanufacturing/core/2015/02"
_PREFIX = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']" + _CORE_NS + rb"[\"']")
_TAG = {t: re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + t + rb"\b([^>]*)>")
        for t in (b"object", b"component", b"item")}
_ATTR = re.compile(rb"(?:^|\s)(?:[A-Za-z_][\w.-]*:)?(id|objectid|path)\s*=\s*[\"']([^\"']*)[\"']")
_SEPARATORS = (b" ", b"\t", b"\n", b"\r", b"/")


def read_3mf(name: str, fd: int, limits: Limits) -> tuple[bytes, int]:
    """(a zip of the model parts for trimesh, the faces the build instantiates)."""
    parts = _model_parts(name, fd, limits)
    faces, verts = _instanced(name, parts)
    limits.check_instanced(name, faces, verts, "build", "items x object faces")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for member, data in parts.items():
            z.writestr(member, data)
    return out.getvalue(), faces


def _model_parts(name: str, fd: int, limits: Limits) -> dict[str, bytes]:
    try:
        with os.fdopen(os.dup(fd), "rb") as fh, zipfile.ZipFile(fh) as z:
            infos = [i for i in z.infolist() if i.filename.lower().endswith(".model")]
            if not any(i.filename.lower().lstrip("/") == _ROOT_MODEL for i in infos):
                raise LoadError(name, "the 3MF holds no 3D/3dmodel.model part: not a 3MF, or "
                                      "corrupt")
            cap = limits.threemf_member_bytes()
            unpacked = sum(i.file_size for i in infos)
            if unpacked > cap:
                raise LoadError(name, f"its model parts unpack to {unpacked:,} bytes, more than "
                                      f"--max-faces {limits.max_faces:,} can need")
            for i in infos:
                ratio = i.file_size // max(i.compress_size, 1)
                if i.file_size > DEFLATE_RATIO_FLOOR_BYTES and ratio > MAX_DEFLATE_RATIO:
                    raise LoadError(name, f"part {i.filename[:60]} inflates {ratio:,}-fold: a zip "
                                          "bomb, not a mesh")
            return {i.filename: _read_member(name, z, i) for i in infos}
    except zipfile.BadZipFile:
        raise LoadError(name, "not a valid 3MF (zip) archive: corrupt or truncated") from None
    except (zlib.error, EOFError):
        raise LoadError(name, "a 3MF part does not inflate: corrupt or truncated") from None
    except (NotImplementedError, RuntimeError):
        raise LoadError(name, "a 3MF part is encrypted or uses a compression miniscan cannot "
                              "read") from None


def _read_member(name: str, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with z.open(info) as fh:
        data = fh.read(info.file_size + 1)  # zipfile stops at the declared size and checks CRC
    if len(data) != info.file_size:
        raise LoadError(name, f"3MF part {info.filename[:60]} is not the size its zip entry "
                              "declares: corrupt")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise LoadError(name, "the 3MF model holds a DTD; 3MF forbids them (they carry entity "
                              "expansion bombs): not read")
    return data


def _attrs(tag_body: bytes) -> dict[bytes, bytes]:
    return {k: v for k, v in _ATTR.findall(tag_body)}


def _count(data: bytes, prefixes, word: bytes, start: int, end: int) -> int:
    return sum(data.count(b"<" + p + word + s, start, end) for p in prefixes for s in _SEPARATORS)


def _objects(member: str, data: bytes) -> dict[tuple[str, bytes], tuple[int, int, list]]:
    """(member, id) -> (own triangles, own vertices, [(member, id) of its components])."""
    prefixes = [b""] + [p + b":" for p in set(_PREFIX.findall(data))]
    starts = [(m.start(), _attrs(m.group(1))) for m in _TAG[b"object"].finditer(data)]
    build = data.find(b"build", starts[-1][0]) if starts else -1
    out = {}
    for k, (at, attrs) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else (build if build > 0 else len(data))
        comps = []
        for m in _TAG[b"component"].finditer(data, at, end):
            a = _attrs(m.group(1))
            comps.append((_member(a.get(b"path"), member), a.get(b"objectid", b"")))
        out[(member, attrs.get(b"id", b""))] = (_count(data, prefixes, b"triangle", at, end),
                                                _count(data, prefixes, b"vertex", at, end), comps)
    return out


def _member(path: bytes | None, default: str) -> str:
    return default if not path else path.decode("utf-8", "replace").lstrip("/")


def _instanced(name: str, parts: dict[str, bytes]) -> tuple[int, int]:
    """Faces and vertices of the build: each item's object, through its components."""
    objects: dict = {}
    by_lower = {m.lower().lstrip("/"): m for m in parts}
    for member, data in parts.items():
        objects.update(_objects(member.lstrip("/"), data))
    root_name = by_lower[_ROOT_MODEL]
    root = parts[root_name]
    items = [_attrs(m.group(1)) for m in _TAG[b"item"].finditer(root)]
    totals = _totals(name, objects)
    faces = verts = 0
    for a in items:
        key = (_member(a.get(b"path"), root_name.lstrip("/")), a.get(b"objectid", b""))
        f, v = totals.get(key, (0, 0))
        faces, verts = faces + f, verts + v
    return faces, verts


def _totals(name: str, objects: dict) -> dict:
    """Faces and vertices of each object with its components, post-order without recursion;
    a component cycle is an error (it would instance forever)."""
    total: dict = {}
    on_path: set = set()
    for start in objects:
        stack = [start]
        while stack:
            key = stack[-1]
            if key in total:
                stack.pop()
                continue
            if key not in on_path:
                on_path.add(key)
                for c in objects.get(key, (0, 0, []))[2]:
                    if c in on_path:
                        raise LoadError(name, "a 3MF object contains itself through its "
                                              "components: corrupt")
                    if c not in total:
                        stack.append(c)
                continue
            stack.pop()
            own_f, own_v, comps = objects.get(key, (0, 0, []))
            total[key] = (own_f + sum(total.get(c, (0, 0))[0] for c in comps),
                          own_v + sum(total.get(c, (0, 0))[1] for c in comps))
            on_path.discard(key)
    return total
