"""trimesh-read formats (STL, PLY, OFF, glTF/GLB, 3MF) -> vertices, faces and named parts.

trimesh parses from bytes already checked and held in memory, with a resolver that serves
only the buffers the checks read: it never opens a file. Instances are baked here rather than
by `Scene.dump()`: a mesh placed twice at exactly the same pose is kept once (a thousand
coincident copies of a sphere are one sphere to the eye, and cost the checks minutes and
gigabytes), and instances of one mesh are transformed together.
"""

from __future__ import annotations

import io
import os

import numpy as np

from .errors import LoadError, explain


class _MemoryResolver:
    """A trimesh resolver over bytes in memory; any other name is refused."""

    def __init__(self, files: dict[str, bytes] | None = None):
        self.files = files or {}

    def get(self, name: str) -> bytes:
        try:
            return self.files[name]
        except KeyError:
            raise OSError(f"{name}: not read") from None

    __getitem__ = get

    def namespaced(self, namespace: str) -> "_MemoryResolver":
        return self

    def write(self, name, data):  # trimesh's resolver protocol; never used for reading
        raise OSError("read only")


def read_scene(name: str, data: bytes, file_type: str, files: dict[str, bytes] | None = None,
               materials: bool = False):
    """The trimesh Scene of a checked file; parser failures become a LoadError in words.
    `materials`: read the base-colour textures too (glTF); if they fail to decode, the file is
    read again without them (a texture is never a reason to refuse a shape)."""
    import trimesh

    for skip in ((False, True) if materials else (True,)):
        try:
            return trimesh.load_scene(io.BytesIO(data), file_type=file_type, process=False,
                                      resolver=_MemoryResolver(files), skip_materials=skip)
        except LoadError:
            raise
        except Exception as e:  # trimesh raises many types for malformed input
            if not skip:
                continue
            raise LoadError(name, explain(file_type, e)) from None


def scene_arrays(name: str, scene, single: bool = False, linear_colours: bool = False):
    """(vertices, faces, part names, part starts, points, colour) of every instance in the scene;
    `points` are the vertices of point-only geometry (PLY/glTF clouds), used when the scene
    holds no faces; `colour` None when no mesh has any, else {"rgb": sRGB vertex colours in
    [0, 1] (NaN rows for meshes without), "source": "vertex" | "texture", "texels_per_edge":
    the textures' edge length in texels or None}. `single`: a one-mesh format (STL, PLY,
    OFF), whose part is named after the file. `linear_colours`: vertex colours are linear
    light (glTF COLOR_0) and are encoded to sRGB; texture colours are sRGB already."""
    import trimesh

    instances: dict[str, list[np.ndarray]] = {}
    order: list[str] = []
    for node in scene.graph.nodes_geometry:
        transform, geom = scene.graph[node]
        if geom not in instances:
            instances[geom] = []
            order.append(geom)
        instances[geom].append(np.asarray(transform, dtype=np.float64))
    vs, fs, names, starts, points, cols, texels = [], [], [], [], [], [], []
    offset = nf = 0
    for geom in order:
        g = scene.geometry[geom]
        mats = _distinct(instances[geom])
        if isinstance(g, trimesh.Trimesh) and len(g.faces):
            v, f = _baked(np.asarray(g.vertices, dtype=np.float64),
                          np.asarray(g.faces, dtype=np.int64), mats)
            names += [os.path.basename(name) if single else str(geom)] * len(mats)
            starts += list(range(nf, nf + len(f), len(f) // len(mats)))
            vs.append(v)
            rgb = _vertex_rgb(g, linear_colours)
            cols.append(None if rgb is None else np.tile(rgb, (len(mats), 1)))
            texels.append(_texels_per_edge(g))
            fs.append(f + offset)
            offset += len(v)
            nf += len(f)
        elif len(getattr(g, "vertices", ())):
            points.append(_baked(np.asarray(g.vertices, dtype=np.float64), None, mats)[0])
    if not fs:
        return None, None, (), (), (np.concatenate(points) if points else None), None
    colour = None
    # no mesh with colours (STL, most sculpts): no (n, 3) array of NaN rows to build and scan
    rgb = None if all(c is None for c in cols) else np.concatenate(
        [np.full((len(v), 3), np.nan, np.float32) if c is None else c for v, c in zip(vs, cols)])
    if rgb is not None and np.isfinite(rgb).any():
        tex = [t for t in texels if t is not None]
        colour = {"rgb": rgb, "source": "texture" if tex else "vertex",
                  "texels_per_edge": max(tex) if tex else None}
    one = len(vs) == 1  # a single mesh: its arrays as they are, not a concatenated copy
    return (vs[0] if one else np.concatenate(vs), fs[0] if one else np.concatenate(fs),
            tuple(names), tuple(starts), None, colour)


def _texels_per_edge(g) -> float | None:
    """Median length of a textured mesh's edges in texels of its base-colour image: above 2,
    the texture holds detail the vertices (where it is looked up) cannot sample."""
    vis = getattr(g, "visual", None)
    if getattr(vis, "kind", None) != "texture":
        return None
    try:
        img = vis.material.baseColorTexture
        uv = np.asarray(vis.uv, dtype=np.float64)
        size = np.array([img.width, img.height], dtype=np.float64)
    except Exception:  # noqa: BLE001 - no image, no UVs: nothing was looked up
        return None
    f = np.asarray(g.faces)
    d = (uv[f[:, [1, 2, 0]]] - uv[f]) * size
    return float(np.median(np.linalg.norm(d, axis=2)))


def _vertex_rgb(g, linear: bool = False) -> np.ndarray:
    """sRGB colours of a trimesh geometry's vertices in [0, 1]: its vertex colours, or its
    base-colour texture looked up at each vertex's UV; None when it has neither (a
    default-grey visual is no colour: trimesh invents it for every uncoloured mesh)."""
    from ..colourspace import linear_to_srgb

    n = len(g.vertices)
    none = None
    vis = getattr(g, "visual", None)
    kind = getattr(vis, "kind", None)
    try:
        if kind == "texture":
            c = np.asarray(vis.to_color().vertex_colors)
        elif kind == "vertex":
            c = np.asarray(vis.vertex_colors)
        else:
            return none
    except Exception:  # noqa: BLE001 - an unreadable texture is no colour, not a bad file
        return none
    if c.ndim != 2 or c.shape[0] != n or c.shape[1] < 3:
        return none
    rgb = c[:, :3].astype(np.float64) / 255.0
    if linear and kind == "vertex":
        rgb = linear_to_srgb(rgb)
    return rgb.astype(np.float32)


def _baked(v: np.ndarray, f: np.ndarray | None, mats: np.ndarray):
    """Vertices and faces of every instance (k transforms) stacked; a mirroring transform
    reverses its faces' winding so normals stay outward (as trimesh does)."""
    k, n = len(mats), len(v)
    if k == 1 and np.array_equal(mats[0], np.eye(4)) and not np.signbit(mats[0]).any():
        # one instance in place (every STL, PLY, OFF): the transform's result, v + 0.0 (a
        # -0.0 coordinate comes out +0.0, as the product with the identity gave), without
        # the (n, 3, 3) product
        return v + 0.0, (None if f is None else f.copy())
    out_v = (np.einsum("kij,nj->kni", mats[:, :3, :3], v) + mats[:, None, :3, 3]).reshape(-1, 3)
    if f is None:
        return out_v, None
    flip = np.linalg.det(mats[:, :3, :3]) < 0
    per = np.where(flip[:, None, None], f[None, :, ::-1], f[None])
    out_f = (per + (np.arange(k) * n)[:, None, None]).reshape(-1, 3)
    return out_v, out_f


def _distinct(mats: list[np.ndarray]) -> np.ndarray:
    """The instance transforms (k, 4, 4) with exact duplicates dropped, first kept."""
    stack = np.stack(mats)
    if len(mats) == 1:
        return stack
    _, first = np.unique(stack.reshape(len(mats), -1), axis=0, return_index=True)
    return stack[np.sort(first)]
