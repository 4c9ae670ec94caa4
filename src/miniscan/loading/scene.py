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


def read_scene(name: str, data: bytes, file_type: str, files: dict[str, bytes] | None = None):
    """The trimesh Scene of a checked file; parser failures become a LoadError in words."""
    import trimesh

    try:
        return trimesh.load_scene(io.BytesIO(data), file_type=file_type, process=False,
                                  resolver=_MemoryResolver(files), skip_materials=True)
    except LoadError:
        raise
    except Exception as e:  # trimesh raises many types for malformed input
        raise LoadError(name, explain(file_type, e)) from None


def scene_arrays(name: str, scene, single: bool = False):
    """(vertices, faces, part names, part starts, points, rgb) of every instance in the scene;
    `points` are the vertices of point-only geometry (PLY/glTF clouds), used when the scene
    holds no faces; `rgb` the sRGB vertex colours in [0, 1] (NaN rows for meshes without),
    None when no mesh has any. `single`: a one-mesh format (STL, PLY, OFF), whose part is
    named after the file."""
    import trimesh

    instances: dict[str, list[np.ndarray]] = {}
    order: list[str] = []
    for node in scene.graph.nodes_geometry:
        transform, geom = scene.graph[node]
        if geom not in instances:
            instances[geom] = []
            order.append(geom)
        instances[geom].append(np.asarray(transform, dtype=np.float64))
    vs, fs, names, starts, points, cols = [], [], [], [], [], []
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
            cols.append(np.tile(_vertex_rgb(g), (len(mats), 1)))
            fs.append(f + offset)
            offset += len(v)
            nf += len(f)
        elif len(getattr(g, "vertices", ())):
            points.append(_baked(np.asarray(g.vertices, dtype=np.float64), None, mats)[0])
    if not fs:
        return None, None, (), (), (np.concatenate(points) if points else None), None
    rgb = np.concatenate(cols)
    return (np.concatenate(vs), np.concatenate(fs), tuple(names), tuple(starts), None,
            rgb if np.isfinite(rgb).any() else None)


def _vertex_rgb(g) -> np.ndarray:
    """sRGB vertex colours of a trimesh geometry in [0, 1], NaN rows when it has none (a
    default-grey visual is no colour: trimesh invents it for every uncoloured mesh)."""
    n = len(g.vertices)
    vis = getattr(g, "visual", None)
    if vis is None or getattr(vis, "kind", None) != "vertex":
        return np.full((n, 3), np.nan, dtype=np.float32)
    c = np.asarray(vis.vertex_colors)
    if c.shape[0] != n or c.ndim != 2 or c.shape[1] < 3:
        return np.full((n, 3), np.nan, dtype=np.float32)
    return (c[:, :3].astype(np.float32) / 255.0)


def _baked(v: np.ndarray, f: np.ndarray | None, mats: np.ndarray):
    """Vertices and faces of every instance (k transforms) stacked; a mirroring transform
    reverses its faces' winding so normals stay outward (as trimesh does)."""
    k, n = len(mats), len(v)
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
