"""glTF 2.0 / GLB checked before trimesh builds anything.

Steps: (1) split a GLB into its JSON and BIN chunks by their declared lengths; (2) check the
JSON's structure: every accessor fits its buffer view, every view its buffer, no accessor
without data feeds a mesh, node references are valid and acyclic; (3) count the faces the
scene instantiates (nodes x mesh faces, through shared subtrees) against --max-faces;
(4) read only the buffer bytes accessors use, from the GLB, a data URI or a regular file
beside the glTF; (5) hand trimesh a pared-down tree (no images, materials, animations) and
those bytes in memory, so it never opens a file and never allocates more than was checked.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass, field

from .errors import LoadError
from .files import read_at, read_bytes, read_reference
from .limits import MAX_GLTF_JSON_BYTES, Limits

_GLB_MAGIC, _JSON_CHUNK, _BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
_COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_INDEX_TYPES = (5121, 5123, 5125)
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_TRIANGLES, _STRIP, _FAN = 4, 5, 6
# tree keys trimesh would read that carry nothing miniscan measures
_DROP_KEYS = ("images", "textures", "samplers", "materials", "animations", "skins", "cameras",
              "extensionsUsed", "extensionsRequired")
_DROP_NODE_KEYS = ("camera", "skin", "weights")
_TEXTURE_KEYS = ("images", "textures", "samplers", "materials")  # the base colour's


@dataclass
class Gltf:
    """A checked glTF: the tree trimesh may read and the bytes of each buffer it uses."""

    tree: dict
    buffers: dict[str, bytes] = field(default_factory=dict)
    faces: int = 0  # faces the scene instantiates


def read_gltf(name: str, path: str, fd: int, size: int, glb: bool, limits: Limits) -> Gltf:
    if glb:
        json_bytes, bin_at, bin_len = _glb_chunks(name, fd, size)
    else:
        json_bytes, bin_at, bin_len = read_bytes(name, fd, size, MAX_GLTF_JSON_BYTES), 0, None
    tree = _parse_json(name, json_bytes)
    need, faces = _check(name, tree, bin_len, limits)
    textures = _texture_need(name, tree, bin_len, need, limits)
    folder = os.path.dirname(os.path.abspath(path))
    buffers = {}
    for k, n in need.items():
        buf = tree["buffers"][k]
        if "uri" not in buf:
            data = read_at(fd, bin_at, n)
        elif buf["uri"].startswith("data:"):
            data = _data_uri(name, buf["uri"], n)
        else:
            data = read_reference(name, folder, buf["uri"], n, limits.gltf_bytes())
        if len(data) < n:
            raise LoadError(name, f"buffer {k} holds {len(data):,} bytes but its views need "
                                  f"{n:,}: truncated")
        buffers[f"buffer{k}.bin"] = data[:n]
    return Gltf(_pared(tree, need, textures), buffers, faces)


def _glb_chunks(name: str, fd: int, size: int) -> tuple[bytes, int, int | None]:
    """(JSON bytes, offset of the BIN data, its length or None) of a GLB, by its lengths."""
    head = read_at(fd, 0, 20)
    if len(head) < 20:
        raise LoadError(name, "GLB shorter than its 20-byte header: truncated")
    magic, version, length, json_len, json_type = struct.unpack("<5I", head)
    if magic != _GLB_MAGIC:
        raise LoadError(name, "not a GLB file (missing 'glTF' magic)")
    if version != 2:
        raise LoadError(name, f"GLB version {version}: miniscan reads glTF 2.0")
    if length > size:
        raise LoadError(name, f"GLB header declares {length:,} bytes but the file holds "
                              f"{size:,}: truncated")
    if json_type != _JSON_CHUNK or 20 + json_len > length:
        raise LoadError(name, "GLB's first chunk is not a JSON chunk that fits the file: corrupt")
    if json_len > MAX_GLTF_JSON_BYTES:
        raise LoadError(name, f"GLB's JSON chunk is {json_len:,} bytes: not a small model's scene")
    json_bytes = read_at(fd, 20, json_len)
    at = 20 + json_len + (-json_len % 4)
    if at + 8 > length:
        return json_bytes, 0, None
    bin_len, bin_type = struct.unpack("<2I", read_at(fd, at, 8))
    if bin_type != _BIN_CHUNK:
        return json_bytes, 0, None
    if at + 8 + bin_len > length:
        raise LoadError(name, f"GLB's binary chunk declares {bin_len:,} bytes but the file "
                              f"holds {length - at - 8:,} after it: truncated")
    return json_bytes, at + 8, bin_len


def _parse_json(name: str, data: bytes) -> dict:
    try:
        tree = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise LoadError(name, "the glTF's JSON is not valid JSON: corrupt or truncated") from None
    if not isinstance(tree, dict):
        raise LoadError(name, "the glTF's JSON is not an object: not a glTF file")
    version = str((_dict(name, tree.get("asset", {}), "asset")).get("version", "2.0"))
    if not version.split(".")[0] == "2":
        raise LoadError(name, f"glTF version {version}: miniscan reads glTF 2.0")
    return tree


# ---------------------------------------------------------------------- typed JSON access

def _dict(name, v, where) -> dict:
    if not isinstance(v, dict):
        raise LoadError(name, f"the glTF's {where} is not an object: corrupt")
    return v


def _list(name, tree_or_obj, key, where) -> list:
    v = tree_or_obj.get(key, [])
    if not isinstance(v, list):
        raise LoadError(name, f"the glTF's {where} is not a list: corrupt")
    return v


def _int(name, obj, key, where, default=None, lo=0, hi=None) -> int:
    v = obj.get(key, default)
    if v is None or isinstance(v, bool) or not isinstance(v, int) or v < lo or \
            (hi is not None and v >= hi):
        what = "is missing" if v is None else "is not a valid whole number" + (
            f" ({lo:,} to {hi - 1:,})" if hi is not None else "")
        raise LoadError(name, f"the glTF's {where}.{key} {what}: corrupt")
    return v


# ---------------------------------------------------------------------- structure

def _check(name: str, tree: dict, bin_len: int | None, limits: Limits):
    """Bytes needed from each buffer {index: n} and the faces the scene instantiates."""
    if "KHR_draco_mesh_compression" in (tree.get("extensionsRequired") or ()):
        raise LoadError(name, "uses Draco compression (KHR_draco_mesh_compression), which "
                              "miniscan cannot decode: export it without Draco")
    buffers = _buffers(name, tree, bin_len)
    views = _views(name, tree, buffers)
    accessors = _accessors(name, tree, views, limits)
    mesh_faces, mesh_verts = _meshes(name, tree, accessors)
    faces, verts = _instances(name, tree, mesh_faces, mesh_verts)
    limits.check_instanced(name, faces, verts, "scene", "nodes x mesh faces")
    need: dict[int, int] = {}
    for a in accessors:
        for v in a["views"]:
            b, end = views[v]
            need[b] = max(need.get(b, 0), end)
    if sum(need.values()) > limits.gltf_bytes():
        raise LoadError(name, f"its accessors use {sum(need.values()):,} bytes, more than "
                              f"--max-faces {limits.max_faces:,} can need")
    return need, faces


def _texture_need(name, tree, bin_len, need: dict[int, int], limits: Limits) -> bool:
    """Whether the base-colour textures are read: every image embedded (a buffer view or a
    data URI; a file beside the glTF is not read yet) and the bytes of their views within
    what --max-faces allows together with the geometry's. `need` grows by those views. A
    texture that cannot be read is never a reason to refuse a file whose shape reads."""
    images = tree.get("images")
    if not isinstance(images, list) or not images:
        return False
    views = _views(name, tree, _buffers(name, tree, bin_len))
    extra = dict(need)
    for img in images:
        v = img.get("bufferView") if isinstance(img, dict) else None
        if _index(v, len(views)):
            b, end = views[v]
            extra[b] = max(extra.get(b, 0), end)
        elif not (isinstance(img, dict) and str(img.get("uri", "")).startswith("data:")):
            return False
    if sum(extra.values()) > limits.gltf_bytes():
        return False
    need.update(extra)
    return True


def _index(v, n: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n


def _buffers(name, tree, bin_len) -> list[int]:
    out = []
    for k, b in enumerate(_list(name, tree, "buffers", "buffers")):
        b = _dict(name, b, f"buffers[{k}]")
        n = _int(name, b, "byteLength", f"buffers[{k}]")
        uri = b.get("uri")
        if uri is None:
            if k != 0 or bin_len is None:
                raise LoadError(name, f"buffer {k} has no URI and there is no GLB binary chunk "
                                      "for it: corrupt or truncated")
            if n > bin_len:
                raise LoadError(name, f"buffer {k} declares {n:,} bytes but the GLB binary "
                                      f"chunk holds {bin_len:,}: truncated")
        elif not isinstance(uri, str):
            raise LoadError(name, f"the glTF's buffers[{k}].uri is not text: corrupt")
        out.append(n)
    return out


def _views(name, tree, buffers) -> list[tuple[int, int]]:
    """(buffer, end offset) of every buffer view, each checked to lie inside its buffer."""
    out = []
    for k, v in enumerate(_list(name, tree, "bufferViews", "bufferViews")):
        where = f"bufferViews[{k}]"
        v = _dict(name, v, where)
        b = _int(name, v, "buffer", where, hi=len(buffers))
        end = _int(name, v, "byteOffset", where, 0) + _int(name, v, "byteLength", where)
        if "byteStride" in v:
            _int(name, v, "byteStride", where, lo=4, hi=253)
        if end > buffers[b]:
            raise LoadError(name, f"buffer view {k} ends at byte {end:,} of buffer {b}, which "
                                  f"declares {buffers[b]:,}: corrupt")
        out.append((b, end))
    return out


def _accessors(name, tree, views, limits) -> list[dict]:
    """Per accessor: its element count, type, whether it holds data, the views it reads."""
    raw_views = tree.get("bufferViews", [])
    out = []
    for k, a in enumerate(_list(name, tree, "accessors", "accessors")):
        where = f"accessors[{k}]"
        a = _dict(name, a, where)
        comp = a.get("componentType")
        kind = a.get("type")
        if comp not in _COMPONENT_BYTES or kind not in _WIDTH:
            raise LoadError(name, f"accessor {k} has an unknown component type or element "
                                  "type: corrupt")
        count = _int(name, a, "count", where)
        elem = _COMPONENT_BYTES[comp] * _WIDTH[kind]
        info = {"count": count, "type": kind, "comp": comp, "data": False, "views": []}
        if "bufferView" in a:
            v = _int(name, a, "bufferView", where, hi=len(views))
            stride = raw_views[v].get("byteStride") or elem
            last = stride * (count - 1) + elem if count else 0
            end = _int(name, a, "byteOffset", where, 0) + last
            length = views[v][1] - raw_views[v].get("byteOffset", 0)
            if end > length:
                raise LoadError(name, f"accessor {k} needs {end:,} bytes but its buffer view "
                                      f"holds {length:,}: truncated or corrupt")
            info.update(data=True, views=[v])
        elif count > limits.max_vertices:
            raise LoadError(name, f"accessor {k} declares {count:,} elements but holds no data, "
                                  f"more than --max-faces {limits.max_faces:,} allows")
        if "sparse" in a:
            info["views"] += _sparse(name, k, a["sparse"], count, elem, views, raw_views)
            info["data"] = True
        out.append(info)
    return out


def _sparse(name, k, sp, count, elem, views, raw_views) -> list[int]:
    where = f"accessors[{k}].sparse"
    sp = _dict(name, sp, where)
    n = _int(name, sp, "count", where, hi=count + 1)
    used = []
    for part, size in (("indices", None), ("values", elem)):
        p = _dict(name, sp.get(part), f"{where}.{part}")
        v = _int(name, p, "bufferView", f"{where}.{part}", hi=len(views))
        if size is None:
            comp = p.get("componentType")
            if comp not in _INDEX_TYPES:
                raise LoadError(name, f"accessor {k}'s sparse indices have an unknown type: "
                                      "corrupt")
            size = _COMPONENT_BYTES[comp]
        end = _int(name, p, "byteOffset", f"{where}.{part}", 0) + n * size
        if end > views[v][1] - raw_views[v].get("byteOffset", 0):
            raise LoadError(name, f"accessor {k}'s sparse {part} do not fit their buffer view: "
                                  "truncated or corrupt")
        used.append(v)
    return used


def _meshes(name, tree, accessors) -> tuple[list[int], list[int]]:
    """Faces and vertices of every mesh (all its primitives)."""
    faces, verts = [], []
    for m, mesh in enumerate(_list(name, tree, "meshes", "meshes")):
        mesh = _dict(name, mesh, f"meshes[{m}]")
        nf = nv = 0
        for p, prim in enumerate(_list(name, mesh, "primitives", f"meshes[{m}].primitives")):
            where = f"meshes[{m}].primitives[{p}]"
            prim = _dict(name, prim, where)
            if "KHR_draco_mesh_compression" in (prim.get("extensions") or {}):
                raise LoadError(name, "uses Draco compression (KHR_draco_mesh_compression), "
                                      "which miniscan cannot decode: export it without Draco")
            attrs = _dict(name, prim.get("attributes", {}), f"{where}.attributes")
            if "POSITION" not in attrs:
                continue
            pos = accessors[_int(name, attrs, "POSITION", f"{where}.attributes", hi=len(accessors))]
            if pos["type"] != "VEC3" or not pos["data"]:
                raise LoadError(name, f"mesh {m}'s vertex positions "
                                      + ("are not 3D vectors" if pos["type"] != "VEC3" else
                                         "hold no data (no buffer view, no sparse values)")
                                      + ": corrupt")
            n = pos["count"]
            if "indices" in prim:
                ind = accessors[_int(name, prim, "indices", where, hi=len(accessors))]
                if ind["type"] != "SCALAR" or ind["comp"] not in _INDEX_TYPES or not ind["data"]:
                    raise LoadError(name, f"mesh {m}'s triangle indices are not whole numbers "
                                          "with data: corrupt")
                n = ind["count"]
            mode = _int(name, prim, "mode", where, _TRIANGLES, hi=7)
            nf += n // 3 if mode == _TRIANGLES else max(n - 2, 0) if mode in (_STRIP, _FAN) else 0
            nv += pos["count"]
        faces.append(nf)
        verts.append(nv)
    return faces, verts


def _instances(name, tree, mesh_faces, mesh_verts) -> tuple[int, int]:
    """Faces and vertices the default scene instantiates: every node's mesh once per path
    from a root to it (shared subtrees count each time), computed once per node."""
    nodes = _list(name, tree, "nodes", "nodes")
    children = []
    for k, node in enumerate(nodes):
        node = _dict(name, node, f"nodes[{k}]")
        if "mesh" in node:
            _int(name, node, "mesh", f"nodes[{k}]", hi=len(mesh_faces))
        kids = _list(name, node, "children", f"nodes[{k}].children")
        if any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < len(nodes)
               for c in kids):
            raise LoadError(name, f"node {k} lists a child that does not exist: corrupt")
        children.append(kids)
    roots = _roots(name, tree, children)
    total = _subtree_totals(name, nodes, children, mesh_faces, mesh_verts)
    return sum(total[r][0] for r in roots), sum(total[r][1] for r in roots)


def _roots(name, tree, children) -> list[int]:
    scenes = _list(name, tree, "scenes", "scenes")
    if not scenes:
        child = {c for kids in children for c in kids}
        return [k for k in range(len(children)) if k not in child]
    s = _int(name, tree, "scene", "root", 0, hi=len(scenes))
    roots = _list(name, _dict(name, scenes[s], f"scenes[{s}]"), "nodes", f"scenes[{s}].nodes")
    if any(isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < len(children)
           for r in roots):
        raise LoadError(name, f"scene {s} lists a node that does not exist: corrupt")
    return roots


def _subtree_totals(name, nodes, children, mesh_faces, mesh_verts) -> list[tuple[int, int]]:
    """(faces, vertices) below and at each node, post-order without recursion; a cycle in
    the node graph is an error (it would instance forever)."""
    total: list[tuple[int, int] | None] = [None] * len(nodes)
    state = [0] * len(nodes)  # 0 new, 1 on the path, 2 done
    for start in range(len(nodes)):
        stack = [start]
        while stack:
            k = stack[-1]
            if state[k] == 0:
                state[k] = 1
                for c in children[k]:
                    if state[c] == 1:
                        raise LoadError(name, f"node {c} is its own ancestor: the node graph "
                                              "has a cycle (corrupt)")
                    if state[c] == 0:
                        stack.append(c)
                continue
            stack.pop()
            if state[k] == 2:
                continue
            m = nodes[k].get("mesh")
            f = mesh_faces[m] if m is not None else 0
            v = mesh_verts[m] if m is not None else 0
            for c in children[k]:
                f, v = f + total[c][0], v + total[c][1]
            total[k], state[k] = (f, v), 2
    return total


def _data_uri(name: str, uri: str, need: int) -> bytes:
    head, _, payload = uri.partition(",")
    if not head.endswith(";base64"):
        raise LoadError(name, "a buffer's data URI is not base64: miniscan reads base64 data URIs")
    try:
        data = base64.b64decode(payload, validate=False)
    except ValueError:
        raise LoadError(name, "a buffer's base64 data is corrupt") from None
    return data


def _pared(tree: dict, need: dict[int, int], textures: bool = False) -> dict:
    """The tree trimesh reads: buffers served from memory by index, views no accessor uses
    emptied, primitives reduced to positions and indices (and the base colour: COLOR_0, and
    with `textures` TEXCOORD_0 and the material), animations gone; images and materials
    gone unless `textures`."""
    keep = _TEXTURE_KEYS if textures else ()
    t = {k: v for k, v in tree.items() if k not in _DROP_KEYS or k in keep}
    t["buffers"] = [{"byteLength": need.get(k, 0), "uri": f"buffer{k}.bin"}
                    for k in range(len(tree.get("buffers", [])))]
    used = set()
    for a in tree.get("accessors", []):
        if "bufferView" in a:
            used.add(a["bufferView"])
        sp = a.get("sparse") or {}
        used |= {sp[p]["bufferView"] for p in ("indices", "values") if p in sp}
    if textures:
        used |= {img["bufferView"] for img in tree["images"] if "bufferView" in img}
    empty = {"byteOffset": 0, "byteLength": 0}
    t["bufferViews"] = [v if k in used else {"buffer": v["buffer"], **empty}
                        for k, v in enumerate(tree.get("bufferViews", []))]
    t["meshes"] = [{**m, "primitives": [
        {"attributes": _kept_attributes(tree, p["attributes"], textures),
         **{k: p[k] for k in ("indices", "mode") + (("material",) if textures else ())
            if k in p}}
        for p in m.get("primitives", []) if "POSITION" in p.get("attributes", {})]}
        for m in tree.get("meshes", [])]
    t["nodes"] = [{k: v for k, v in n.items() if k not in _DROP_NODE_KEYS}
                  for n in tree.get("nodes", [])]
    return t


def _kept_attributes(tree: dict, attrs: dict, textures: bool = False) -> dict:
    """POSITION, COLOR_0 when it is a colour per vertex (VEC3/VEC4, one per position) and,
    with `textures`, TEXCOORD_0 when it is a VEC2 per vertex; a malformed colour is
    dropped, never a reason to refuse a file whose shape reads."""
    out = {"POSITION": attrs["POSITION"]}
    acc = tree.get("accessors", [])
    pos = acc[attrs["POSITION"]]
    want = (("COLOR_0", ("VEC3", "VEC4")),) + ((("TEXCOORD_0", ("VEC2",)),) if textures else ())
    for key, types in want:
        k = attrs.get(key)
        if _index(k, len(acc)):
            a = acc[k]
            if (isinstance(a, dict) and a.get("type") in types
                    and a.get("count") == pos.get("count")
                    and a.get("componentType") in (5121, 5123, 5126)):
                out[key] = k
    return out
