"""The check-side rasteriser: images of a mesh by ray casting, without OpenGL.

Silhouettes (MS4xx) and the light orbit (MS302) need what a renderer gives: which pixels the
model covers, which face each pixel sees, where and at which point of the face. Casting one
ray per sample against a bounding-volume hierarchy gives exactly that, deterministically and
on any machine: open3d's `RaycastingScene` (Embree's C++ BVH, float32). No VTK, no GL context,
no probe subprocess; checks and pictures can both use it.

Pixel convention (the same as the VTK renders it replaced): an image of W x H pixels of
`pixel_mm` is centred on the camera's `centre`; pixel (row, col) spans
``u in [(col - W/2) p, (col + 1 - W/2) p]`` along `right` and
``w in [(H/2 - row - 1) p, (H/2 - row) p]`` along `up`. A sample at sub-pixel position
(row + a, col + b), a, b in [0, 1), is one ray; a pixel's *coverage* is the share of its
k x k samples at ((i + 0.5) / k, (j + 0.5) / k) that hit, the rule a rasteriser applies to a
window k times larger without anti-aliasing.

Cost: a coverage image casts one ray per pixel centre inside the model's projected box, then
k^2 rays in the pixels where that first pass changes within one pixel (the outline); interior
and background are uniform. A mesh much finer than the cell it is wanted at is first
vertex-clustered (`for_analysis`), so the BVH of a 8M-face sculpt is built over the ~0.1-1M
faces that matter at the eye's resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .o3d_import import prepare as _prepare_open3d
from .stars import star_normals

_prepare_open3d()  # open3d without its plotly/dash front end (o3d_import)

# Samples per pixel side for coverage: 2 x 2, as the VTK renders did (a window twice the size
# without anti-aliasing); coverage comes in quarters.
SUBSAMPLES = 2
# Meshes with fewer faces than this are cast as they are: their BVH builds in ~0.1 s, about
# what clustering would cost, and their faces are not much finer than any working pixel.
CLUSTER_MIN_FACES = 250_000
# Rays per open3d call: bounds the temporaries (6 floats a ray in, ~20 bytes a ray out).
RAY_BLOCK = 1 << 20
# Smooth shading does not blend normals across creases sharper than this (deg): the feature
# angle the VTK renders used; a 30-40 deg facet of a coarse curve still reads smooth.
CREASE_DEG = 40.0


@dataclass(frozen=True)
class Camera:
    """A pinhole (eye_distance_mm set) or orthographic (None) camera over a W x H image."""

    centre: tuple[float, float, float]  # the point at the middle of the image, mm
    direction: tuple[float, float, float]  # unit, from the model towards the camera
    up: tuple[float, float, float]  # unit, image up, orthogonal to direction
    pixel_mm: float  # pixel size on the plane through `centre`
    width: int
    height: int
    eye_distance_mm: float | None = None  # None: parallel rays (orthographic)
    name: str = ""

    @property
    def right(self) -> np.ndarray:
        return np.cross(-np.asarray(self.direction), np.asarray(self.up))

    def plane_points(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Points on the plane through `centre` at sub-pixel positions (row, col are float:
        the centre of pixel (i, j) is (i + 0.5, j + 0.5))."""
        u = (np.asarray(cols, np.float64) - self.width / 2.0) * self.pixel_mm
        w = (self.height / 2.0 - np.asarray(rows, np.float64)) * self.pixel_mm
        return (np.asarray(self.centre) + u[:, None] * self.right[None, :]
                + w[:, None] * np.asarray(self.up)[None, :])

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of the pixels that 3D points fall in (orthographic cameras)."""
        rows, cols = self.image_coords(points)
        return np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)

    def image_coords(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) where 3D points land, in pixels from the frame's top-left corner
        (orthographic cameras): pixel (i, j) spans [i, i + 1) x [j, j + 1)."""
        rel = np.asarray(points, dtype=np.float64) - np.asarray(self.centre)
        u, w = rel @ self.right, rel @ np.asarray(self.up)
        return self.height / 2.0 - w / self.pixel_mm, u / self.pixel_mm + self.width / 2.0

    def to_dict(self) -> dict:
        """The fields of render.scene.Camera, for the pictures."""
        d = {"focal": tuple(map(float, self.centre)), "direction": tuple(self.direction),
             "up": tuple(self.up), "parallel_scale": self.height * self.pixel_mm / 2.0,
             "width": self.width, "height": self.height, "name": self.name,
             "pixel_mm": self.pixel_mm,
             "projection": "parallel" if self.eye_distance_mm is None else "perspective"}
        if self.eye_distance_mm is not None:
            d["position"] = tuple(map(float, np.asarray(self.centre)
                                      + self.eye_distance_mm * np.asarray(self.direction)))
        return d


@dataclass(frozen=True)
class Hits:
    """What the rays of a batch hit: t (inf = miss), face (raster face id, -1 = miss),
    barycentric (u, v) on that face, and the rays (origin, unit direction) in model mm."""

    t: np.ndarray
    face: np.ndarray
    uv: np.ndarray
    origins: np.ndarray
    directions: np.ndarray

    @property
    def hit(self) -> np.ndarray:
        return self.face >= 0

    @property
    def points(self) -> np.ndarray:
        t = np.where(self.hit, self.t, 0.0)
        return self.origins + t[:, None] * self.directions


class Raster:
    """A BVH over one triangle mesh (built on first use) and the images checks need.

    Vertices are moved to their bounding box's centre before the float32 conversion, so a model
    far from the origin keeps its precision. `face_ids[k]` is the id, in the model the mesh
    came from, of raster face k (the identity unless the mesh was clustered).
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray,
                 face_ids: np.ndarray | None = None, cell_mm: float = 0.0,
                 vertex_map: np.ndarray | None = None):
        v = np.asarray(vertices, dtype=np.float64)
        lo, hi = (v.min(axis=0), v.max(axis=0)) if len(v) else (np.zeros(3), np.zeros(3))
        self.offset = 0.5 * (lo + hi)
        self.vertices = v
        self.faces = np.asarray(faces, dtype=np.int64)
        self.face_ids = np.arange(len(self.faces)) if face_ids is None else np.asarray(face_ids)
        self.radius = float(np.sqrt(((v - self.offset) ** 2).sum(axis=1).max())) if len(v) else 0.0
        self.cell_mm = float(cell_mm)  # 0: the model's own mesh
        # the raster vertex each model vertex became (None: the model's own vertices)
        self.vertex_map = vertex_map

    @property
    def n_faces(self) -> int:
        return int(len(self.faces))

    @cached_property
    def scene(self):
        import open3d as o3d

        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor((self.vertices - self.offset).astype(np.float32)),
                            o3d.core.Tensor(self.faces.astype(np.uint32)))
        return scene

    @cached_property
    def _cross(self) -> np.ndarray:
        v, f = self.vertices, self.faces
        return np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])

    @cached_property
    def face_areas(self) -> np.ndarray:
        return 0.5 * np.linalg.norm(self._cross, axis=1)

    @cached_property
    def face_normals(self) -> np.ndarray:
        n, ln = self._cross, 2.0 * self.face_areas[:, None]
        return np.divide(n, ln, out=np.zeros_like(n), where=ln > 0)

    # --- rays ----------------------------------------------------------------------------

    def rays(self, cam: Camera, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(origins, unit directions) in model mm of the rays through sub-pixel positions."""
        p = cam.plane_points(rows, cols)
        d = np.asarray(cam.direction, dtype=np.float64)
        if cam.eye_distance_mm is None:
            # start outside the model's bounding sphere, whatever the plane's offset
            back = 2.0 * (self.radius + float(np.linalg.norm(np.asarray(cam.centre) - self.offset))) + 1.0
            return p + back * d, np.broadcast_to(-d, p.shape)
        eye = np.asarray(cam.centre) + cam.eye_distance_mm * d
        dirs = p - eye
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        return np.broadcast_to(eye, p.shape), dirs

    def cast(self, origins: np.ndarray, directions: np.ndarray) -> Hits:
        """Closest hit of every ray (in blocks of RAY_BLOCK rays)."""
        import open3d as o3d

        n = len(origins)
        t = np.full(n, np.inf)
        face = np.full(n, -1, np.int64)
        uv = np.zeros((n, 2), np.float32)
        if n and self.n_faces:
            rel = np.asarray(origins, dtype=np.float64) - self.offset
            for s in range(0, n, RAY_BLOCK):
                e = min(n, s + RAY_BLOCK)
                r = np.hstack([rel[s:e], directions[s:e]]).astype(np.float32)
                ans = self.scene.cast_rays(o3d.core.Tensor(r))
                ts = ans["t_hit"].numpy()
                ok = np.isfinite(ts)
                t[s:e] = np.where(ok, ts, np.inf)
                face[s:e] = np.where(ok, ans["primitive_ids"].numpy().astype(np.int64), -1)
                uv[s:e] = ans["primitive_uvs"].numpy()
        return Hits(t, face, uv, np.asarray(origins, dtype=np.float64),
                    np.asarray(directions, dtype=np.float64))

    def blocked(self, origins: np.ndarray, directions: np.ndarray) -> np.ndarray:
        """Whether each ray hits the mesh at all (Embree's occlusion query: any hit, no
        closest-hit search and no hit record; the same answer as `cast(...).hit`, checked on
        12M silhouette rays, at about three quarters of the cost)."""
        import open3d as o3d

        n = len(origins)
        out = np.zeros(n, dtype=bool)
        if n and self.n_faces:
            rel = np.asarray(origins, dtype=np.float64) - self.offset
            for s in range(0, n, RAY_BLOCK):
                e = min(n, s + RAY_BLOCK)
                r = np.hstack([rel[s:e], directions[s:e]]).astype(np.float32)
                out[s:e] = self.scene.test_occlusions(o3d.core.Tensor(r)).numpy().astype(bool)
        return out

    def _ortho_rays32(self, cam: Camera, rows: np.ndarray, cols: np.ndarray,
                      grid: bool = False) -> np.ndarray:
        """(n, 6) float32 rays (origin relative to `offset`, direction) through sub-pixel
        positions of an orthographic camera: the very numbers `rays` then `blocked` make,
        with fewer float64 temporaries. With `grid`, rows (h,) and cols (w,) span a grid
        (row-major): a pixel's plane point is (centre + u right) + w up as before, the first
        sum made once per column."""
        right, up = cam.right, np.asarray(cam.up)
        centre = np.asarray(cam.centre)
        d = np.asarray(cam.direction, dtype=np.float64)
        back = 2.0 * (self.radius + float(np.linalg.norm(centre - self.offset))) + 1.0
        u = (np.asarray(cols, np.float64) - cam.width / 2.0) * cam.pixel_mm
        w = (cam.height / 2.0 - np.asarray(rows, np.float64)) * cam.pixel_mm
        if grid:
            across = centre + u[:, None] * right[None, :]  # (w, 3)
            p = (across[None, :, :] + (w[:, None] * up[None, :])[:, None, :]).reshape(-1, 3)
        else:
            p = centre + u[:, None] * right[None, :]
            p += w[:, None] * up[None, :]
        p += back * d
        p -= self.offset
        out = np.empty((len(p), 6), np.float32)
        out[:, :3] = p
        out[:, 3:] = -d
        return out

    def _blocked32(self, rays: np.ndarray) -> np.ndarray:
        """`blocked` for rays already in open3d's float32 layout (_ortho_rays32)."""
        import open3d as o3d

        out = np.zeros(len(rays), dtype=bool)
        if len(rays) and self.n_faces:
            for s in range(0, len(rays), RAY_BLOCK):
                e = min(len(rays), s + RAY_BLOCK)
                out[s:e] = self.scene.test_occlusions(o3d.core.Tensor(rays[s:e])).numpy()
        return out

    def cast_pixels(self, cam: Camera, rows: np.ndarray, cols: np.ndarray) -> Hits:
        """Hits of rays through sub-pixel positions (float rows / cols)."""
        o, d = self.rays(cam, rows, cols)
        return self.cast(o, d)

    def pixel_hits(self, cam: Camera, rows: np.ndarray, cols: np.ndarray):
        """Unprojection of whole pixels (integer rows / cols, through their centres):
        (points (k, 3) mm, model face ids (k,), hit mask (k,))."""
        h = self.cast_pixels(cam, np.asarray(rows) + 0.5, np.asarray(cols) + 0.5)
        fid = np.where(h.hit, self.face_ids[np.maximum(h.face, 0)], -1)
        return h.points, fid, h.hit

    # --- images --------------------------------------------------------------------------

    def _kept_vertices(self, keep_above) -> np.ndarray:
        """The vertices of every face that reaches above the level (a kept hit lies on such a
        face, and a face lies inside its vertices' box)."""
        key = ("kept", tuple(keep_above[0]), float(keep_above[1]))
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            h = self.vertices @ np.asarray(keep_above[0], dtype=np.float64)
            faces = self.faces[(h[self.faces] > keep_above[1]).any(axis=1)]
            memo[key] = self.vertices[np.unique(faces)]
        return memo[key]

    def footprint(self, cam: Camera, pad: int = 1, keep_above=None) -> tuple[slice, slice]:
        """Rows and columns of the image that the mesh's vertices project into (+ pad):
        every triangle lies inside its vertices' box, so no ray outside it can hit."""
        verts = self.vertices if keep_above is None else self._kept_vertices(keep_above)
        if not len(verts):
            return slice(0, 0), slice(0, 0)
        if cam.eye_distance_mm is None:
            rows, cols = cam.project(verts)
        else:  # a pinhole: central projection onto the plane through the centre
            d = np.asarray(cam.direction)
            eye = np.asarray(cam.centre) + cam.eye_distance_mm * d
            rel = verts - eye
            depth = np.maximum(-(rel @ d), 1e-9)
            s = cam.eye_distance_mm / depth
            u, w = (rel @ cam.right) * s, (rel @ np.asarray(cam.up)) * s
            cols = np.floor(u / cam.pixel_mm + cam.width / 2.0).astype(np.int64)
            rows = np.floor(cam.height / 2.0 - w / cam.pixel_mm).astype(np.int64)
        r0, r1 = max(int(rows.min()) - pad, 0), min(int(rows.max()) + pad + 1, cam.height)
        c0, c1 = max(int(cols.min()) - pad, 0), min(int(cols.max()) + pad + 1, cam.width)
        return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))

    def coverage(self, cam: Camera, k: int = SUBSAMPLES, keep_above=None,
                 box: tuple[slice, slice] | None = None) -> np.ndarray:
        """(H, W) float32 share of each pixel's k x k samples that hit the mesh.

        keep_above: optional (axis (3,), level); a ray whose first hit lies at or below the
        level along the axis counts as a miss (the base of a miniature left out of its
        silhouette: from above, nothing behind a base's top is any of the figure).
        box: only these rows and columns are cast (the rest stays 0): a finer look at a part.
        """
        out = np.zeros((cam.height, cam.width), np.float32)
        rs, cs = self.footprint(cam, keep_above=keep_above)
        if box is not None:
            rs = slice(max(rs.start, box[0].start), min(rs.stop, box[0].stop))
            cs = slice(max(cs.start, box[1].start), min(cs.stop, box[1].stop))
        h, w = rs.stop - rs.start, cs.stop - cs.start
        if h <= 0 or w <= 0:
            return out

        ortho = cam.eye_distance_mm is None

        def hit_of(rows, cols, grid=False):
            if keep_above is None and ortho:  # only whether each ray hits: the cheaper query
                return self._blocked32(self._ortho_rays32(cam, rows, cols, grid))
            if grid:
                rows, cols = (x.ravel() for x in np.meshgrid(rows, cols, indexing="ij"))
            if keep_above is None:
                return self.blocked(*self.rays(cam, rows, cols))
            h = self.cast_pixels(cam, rows, cols)
            axis, level = keep_above
            return h.hit & (h.points @ np.asarray(axis, dtype=np.float64) > level)

        centre = hit_of(np.arange(rs.start, rs.stop) + 0.5, np.arange(cs.start, cs.stop) + 0.5,
                        grid=True).reshape(h, w)
        sub = out[rs, cs]
        sub[centre] = 1.0
        # the outline: pixels whose 3x3 neighbourhood is not all hit or all missed
        band = grow8(centre) & ~shrink8(centre)
        br, bc = np.nonzero(band)
        if len(br):
            off = (np.arange(k) + 0.5) / k
            a, b = np.meshgrid(off, off, indexing="ij")
            rows = (br[:, None] + rs.start + a.ravel()[None, :]).ravel()
            cols = (bc[:, None] + cs.start + b.ravel()[None, :]).ravel()
            got = hit_of(rows, cols).reshape(len(br), k * k)
            sub[br, bc] = got.mean(axis=1, dtype=np.float32)
        return out

    def samples(self, cam: Camera, k: int, box: tuple[slice, slice] | None = None) -> Hits:
        """Every k x k sample of every pixel in `box` (default: the footprint), row-major
        over the (h k) x (w k) sample grid."""
        rs, cs = self.footprint(cam) if box is None else box
        n_r, n_c = (rs.stop - rs.start) * k, (cs.stop - cs.start) * k
        rr, cc = np.mgrid[0:n_r, 0:n_c]
        rows = rs.start + (rr.ravel() + 0.5) / k
        cols = cs.start + (cc.ravel() + 0.5) / k
        return self.cast_pixels(cam, rows, cols)


# --- shading normals ------------------------------------------------------------------------

def corner_normals(faces: np.ndarray, face_normals: np.ndarray, face_areas: np.ndarray,
                   crease_deg: float = CREASE_DEG, subset: np.ndarray | None = None) -> np.ndarray:
    """(k, 3, 3) smooth-shading normal at each corner of the faces in `subset` (default all):
    the area-weighted mean of the normals of the faces around that vertex that turn less than
    crease_deg from the face itself. A renderer's smooth shading with a feature angle: a curve
    drawn with facets reads smooth, a designed crease stays sharp (`stars.star_normals`: in
    time that does not grow with the square of a vertex's degree)."""
    faces = np.asarray(faces)
    sub = np.arange(len(faces)) if subset is None else np.asarray(subset, dtype=np.int64)
    return star_normals(faces, face_normals, face_areas, sub,
                        math.cos(math.radians(crease_deg)), strict=False)


def shading_normals(raster: "Raster", hits: Hits, smooth: bool) -> np.ndarray:
    """(n, 3) unit normal at every hit, turned towards the ray's origin (a surface is seen from
    the side the ray comes from, whatever the winding); zero for misses. smooth: interpolate
    the corner normals (corner_normals) with the hit's barycentric coordinates, as smooth
    shading does; else the face's own (flat) normal."""
    n = np.zeros((len(hits.face), 3))
    sel = np.flatnonzero(hits.hit)
    if not len(sel):
        return n
    f = hits.face[sel]
    if smooth:
        uniq, inv = np.unique(f, return_inverse=True)
        cn = corner_normals(raster.faces, raster.face_normals, raster.face_areas,
                            subset=uniq)[inv.ravel()]
        u, v = hits.uv[sel, :1].astype(np.float64), hits.uv[sel, 1:].astype(np.float64)
        m = (1.0 - u - v) * cn[:, 0] + u * cn[:, 1] + v * cn[:, 2]
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    else:
        m = raster.face_normals[f]
    facing = np.einsum("nj,nj->n", m, hits.directions[sel]) > 0
    m[facing] *= -1.0
    n[sel] = m
    return n


# --- building one for a model ---------------------------------------------------------------

def cluster(vertices: np.ndarray, faces: np.ndarray, cell_mm: float):
    """Vertex clustering on a grid of `cell_mm`: one vertex per occupied cell (the mean of its
    vertices), faces whose corners fall in three distinct cells survive.

    Returns (vertices, faces, face_ids, vertex_map): face_ids[k] is the original face that
    raster face k was, vertex_map[i] the vertex that original vertex i became. A vertex moves by at most a cell diagonal (typically a third of a cell), so an outline
    moves by less than one cell and a normal averaged over a cell survives.
    """
    v = np.asarray(vertices, dtype=np.float64)
    ijk = np.floor((v - v.min(axis=0)) / cell_mm).astype(np.int64)
    dims = ijk.max(axis=0) + 1
    key = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
    _, inv = np.unique(key, return_inverse=True)
    inv = inv.ravel()
    n = int(inv.max()) + 1
    cnt = np.bincount(inv, minlength=n).astype(np.float64)
    cv = np.stack([np.bincount(inv, weights=v[:, j], minlength=n) for j in range(3)], 1)
    cv /= cnt[:, None]
    cf = inv[np.asarray(faces)]
    ok = (cf[:, 0] != cf[:, 1]) & (cf[:, 1] != cf[:, 2]) & (cf[:, 0] != cf[:, 2])
    kept = np.flatnonzero(ok)
    return cv, cf[kept], kept, inv


# --- boolean image morphology ------------------------------------------------------------------
# Exact equivalents of the scipy.ndimage calls the image checks make, by shifted slices of the
# whole image: for the small structures used here (3 x 3, a disc of radius <= 4) this is
# several times faster than ndimage's general per-pixel loop, and the result is the same bits.


def grow8(mask: np.ndarray) -> np.ndarray:
    """ndi.binary_dilation(mask, np.ones((3, 3))): every pixel with a set 8-neighbour."""
    m = np.asarray(mask, dtype=bool)
    rows = m.copy()
    rows[1:] |= m[:-1]
    rows[:-1] |= m[1:]
    out = rows.copy()
    out[:, 1:] |= rows[:, :-1]
    out[:, :-1] |= rows[:, 1:]
    return out


def shrink8(mask: np.ndarray) -> np.ndarray:
    """ndi.binary_erosion(mask, np.ones((3, 3)), border_value=0): pixels whose 8-neighbours
    are all set (none on the image's border)."""
    return ~grow8(~_padded_false(mask))[1:-1, 1:-1]


def shrink4(mask: np.ndarray) -> np.ndarray:
    """ndi.binary_erosion(mask, border_value=0) (the cross): pixels whose 4-neighbours are
    all set (none on the image's border)."""
    m = np.asarray(mask, dtype=bool)
    out = m.copy()
    out[1:] &= m[:-1]
    out[:-1] &= m[1:]
    out[:, 1:] &= m[:, :-1]
    out[:, :-1] &= m[:, 1:]
    if out.size:
        out[0], out[-1], out[:, 0], out[:, -1] = False, False, False, False
    return out


# grow_by applies a structure row by row as runs above this many offsets: a disc of radius
# 2.5 px (21 offsets) 0.24 -> 0.19 ms, radius 4 (49) 0.50 -> 0.29 ms on a 250 x 200 mask;
# a radius-1 cross (5) was faster offset by offset.
RUN_OFFSETS = 13


def grow_by(mask: np.ndarray, structure: np.ndarray) -> np.ndarray:
    """ndi.binary_dilation(mask, structure) for a small symmetric structure (odd sides,
    centred): the union of the mask shifted by every offset the structure holds. A row of
    the structure that is one centred run (every row of a disc) is applied as a horizontal
    run (_row_run: a few doubling ORs) shifted by the row's offset, so a disc of radius 4
    costs about 15 whole-image ORs instead of 49; other rows, and structures of at most
    RUN_OFFSETS offsets (where the padding costs more than it saves), offset by offset."""
    m = np.asarray(mask, dtype=bool)
    out = np.zeros_like(m)
    h, w = m.shape
    cy, cx = structure.shape[0] // 2, structure.shape[1] // 2
    runs: dict[int, np.ndarray] = {}
    many = int(np.count_nonzero(structure)) > RUN_OFFSETS
    for row in range(structure.shape[0]):
        dy = row - cy
        if abs(dy) >= h:
            continue
        dxs = np.flatnonzero(structure[row]) - cx
        if many and len(dxs) and dxs[0] == -dxs[-1] and len(dxs) == dxs[-1] - dxs[0] + 1:
            half = int(dxs[-1])
            if half not in runs:
                runs[half] = _row_run(m, half)
            src = runs[half]
            out[max(dy, 0):h + min(dy, 0)] |= src[max(-dy, 0):h + min(-dy, 0)]
            continue
        for dx in dxs:  # an irregular row: one shifted copy per offset
            dx = int(dx)
            if abs(dx) >= w:
                continue
            out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] |= \
                m[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def _row_run(m: np.ndarray, half: int) -> np.ndarray:
    """Every pixel with a set pixel within `half` columns on its row (the union of the
    mask shifted by -half..half columns): windows of 1, 2, 4 ... columns by doubling on the
    zero-padded rows, then two overlapping windows of the run's length."""
    if half == 0:
        return m
    size, w = 2 * half + 1, m.shape[1]
    p = np.pad(m, ((0, 0), (half, half)))
    width = 1  # p[:, x] holds the OR of `width` padded columns from x
    while 2 * width <= size:
        p = p[:, :-width] | p[:, width:]
        width *= 2
    return p[:, :w] | p[:, size - width:size - width + w]


def _padded_false(mask: np.ndarray) -> np.ndarray:
    return np.pad(np.asarray(mask, dtype=bool), 1, constant_values=False)


def cell_for(conditions) -> float:
    """The clustering cell for the eye at these conditions: half a resolvable size, the
    Nyquist sampling of what the eye resolves (the light orbit's pixel is one resolvable
    size; a silhouette's working pixel is about one)."""
    return 0.5 * conditions.resolvable_mm


def for_analysis(analysis, cell_mm: float) -> Raster:
    """The model's raster at this cell (memoised per model and cell): its own mesh when it is
    small or not finer than the cell, else the mesh clustered to the cell."""
    m = analysis.model

    def make(a):
        n = m.n_faces
        mean_area = a.total_area / max(n, 1)
        if n < CLUSTER_MIN_FACES or mean_area >= cell_mm * cell_mm:
            r = Raster(m.vertices, m.faces)
            r.__dict__.update(face_normals=a.face_normals, face_areas=a.face_areas)  # shared
            return r
        v, f, ids, vmap = cluster(m.vertices, m.faces, cell_mm)
        return Raster(v, f, ids, cell_mm=cell_mm, vertex_map=vmap)

    return analysis.cached(f"raster:{cell_mm!r}", make)
