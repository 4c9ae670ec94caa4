"""Local wall thickness by ray casting inward along the normal (a narrow-cone shape diameter),
with the interval each reading carries, and the probe that tells a wall from surface relief.

Steps of `thickness` (docs/scale.md derives every formula):
1. `_sample`: a fixed, seeded set of area-weighted surface samples; separate small bodies get
   at least MIN_BODY_SAMPLES, each sample carrying the area it stands for.
2. `_cast`: from each sample a small cone of rays into the solid (the axial ray plus a ring at
   CONE_HALF_ANGLE_DEG), all in one call to open3d's RaycastingScene (C++ BVH). A ray that
   leaves the solid through a face whose outward normal agrees with the ray measured the wall;
   `t * cos(theta)` is the thickness of a locally parallel wall exactly, whatever theta.
   Overlapping, un-unioned bodies are crossed by `_union_walk` (the union's wall is printed).
3. `_readings`: the sample's thickness is the median of its valid rays; its interval runs
   from that median to the reading the smooth surface the facets' vertices sample would give
   (`smooth_offset`, signed: a wall whose sides bend together keeps its thickness), widened
   by the rays' median absolute deviation (robust: a ring ray that slips out of a nearby side
   face at a corner is an outlier, not an uncertainty of the wall; a tapered wall spreads all
   rays) and by float32 rounding.

A ray that leaves through a side face of a corner (turned more than WALL_FACING_DEG from facing
the sample) while another ray faced the wall measured the part's other dimension: it is set
aside (when no ray faced it, as when grazing a curved hole, they all count). A sample with
too few valid rays, or on a body that is an open sheet, has no number (NaN):
*unsure*. A sample most of whose rays first meet a surface from outside, inside a closed and
consistently wound body, sits on an *internal* surface (self-intersection, internal faces).

`support` (step 4, asked by the check for thin readings only) probes the material beside a thin
reading: relief on a thick body has thick material within a wall's width, a free-standing wall
has none. Everything here is in model millimetres and independent of the viewing conditions,
so `thickness` is computed once per model (`analysis.cached("thickness", thickness)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

# --- tuned constants (unit, and why this value) ----------------------------------------------
# Half-angle of the ray cone (degrees). Wide enough that the ring rays land on other facets than
# the axial ray (so a reading is not one facet's accident), narrow enough that on a wall of
# thickness T they stay within T*tan(12 deg) = 0.21 T of the axis: the wall is locally parallel.
CONE_HALF_ANGLE_DEG = 12.0
CONE_RING = 4  # rays on the ring, plus the axial ray: 5 readings per sample
MIN_VALID = 3  # valid rays needed of 5: a majority agrees on the far side
# A ray measured the wall when it leaves by a face within this angle of facing the sample (the
# wall's other side; a wedge's, a blade's or a fin tip's sides meet at less). Leaving by a face
# turned further away is leaving by a side of a corner: it measured the part's other dimension
# and is set aside, neither for nor against the reading.
WALL_FACING_DEG = 60.0
# Samples: one per 4 faces, clipped. 20 000 keeps a small part's thin region (area >= the
# printer's minimum wall squared) at several samples; 80 000 bounds the cost at any face count
# (0.4M rays) and still gives ~25 samples per mm^2 on a 28 mm figure.
MIN_SAMPLES, MAX_SAMPLES = 20_000, 80_000
FACES_PER_SAMPLE = 4
# A separate body (a sword, a spear, a kit's accessory) gets at least this many samples, however
# small its share of the area: 64 samples put ~3 on a minimum-wall square of a 7 mm^2 fin.
# The boost is weighed out again by each sample's area, so shares and areas stay true; at most
# BOOST_SHARE of the base count is spent on it.
MIN_BODY_SAMPLES = 64
BOOST_SHARE = 0.5
# A body whose boundary length exceeds this times sqrt(its area) is an open sheet (a terrain
# height field, a hemisphere): it has no inside to measure. A scan with a pin-hole stays
# measurable (its boundary is tiny next to sqrt(area)); only the rays through the hole fail.
OPEN_BODY_RATIO = 0.05
# Dihedral (radians) above which an edge is a crease of the shape, not a smooth surface sampled
# by flat facets: the chordal error term only counts edges below it (DESIGN.md: creases ~30 deg).
CREASE_RAD = math.radians(30.0)
# float32 ray kernels: a distance carries about this many units of 2^-24 relative rounding of
# the coordinates it was computed from (origin, hit, two facets).
F32_ULPS = 8.0
# Support probe: directions around the reading in the wall's plane, and how much thicker than
# the reading (and at least the probe's reach) the material beside it must be to hold it up.
# Six directions leave no bearing more than 30 deg from one of them (cos 30 = 0.87 of the reach).
SUPPORT_DIRECTIONS = 6
SUPPORT_THICK_RATIO = 2.0
# Refining around thin readings (`refine`): at most this many new samples in all (twice the
# smallest first pass: on a part of 80 000 faces or fewer the refinement costs at most twice the
# first readings; a 900 mm sword's two sharpened edges need about 33 000 at resin's 0.4 mm
# minimum wall), and faces up to this count get
# their longest edge measured at once (above it, only the faces near the seeds are).
REFINE_MAX_SAMPLES = 40_000
REFINE_EDGE_FACES = 2_000_000
SALT = 502
# A face of one body lying within TOUCH_MM outside another solid body sits on it (mm): a
# flagstone resting on a tile's slab, a part pushed onto a base, exported with its bottom a
# micron above the slab's top (float rounding at export: the corpus dungeon tile's stones lie
# 0-2 microns over their slab). No printer holds a gap that thin open (resin layers are 30
# microns, the finest SLA ~10): the union fuses there, so the face is not on the printed
# surface and its side of the stone is no free wall. Well above export rounding (~1e-8 of a
# model's size) and well under any printable gap.
TOUCH_MM = 0.005


@dataclass(frozen=True)
class Thickness:
    """Per-sample wall thickness (mm, NaN where unsure), its interval, and what it rests on."""

    points: np.ndarray  # (s, 3) sample positions, mm
    faces: np.ndarray  # (s,) face id of every sample
    inward: np.ndarray  # (s, 3) unit direction into the solid at the sample
    thickness_mm: np.ndarray  # (s,) median of the valid rays; NaN where unsure
    lo_mm: np.ndarray  # (s,) lower end of the reading's interval (NaN where unsure)
    hi_mm: np.ndarray  # (s,) upper end
    valid_rays: np.ndarray  # (s,) number of valid rays of the cone
    open_body: np.ndarray  # (s,) sample lies on a body that is an open sheet
    buried: np.ndarray  # (s,) sample lies inside another body: not on the printed surface
    internal: np.ndarray  # (s,) most rays first meet a surface from outside: an inner surface
    body: np.ndarray  # (s,) body label of the sample's face
    area_mm2: np.ndarray  # (s,) surface area each sample stands for (smaller on small bodies)
    spacing_mm: float  # typical distance between neighbouring samples (on the large bodies)
    sample_area_mm2: float  # surface area a sample stands for on the large bodies
    rays: int
    flipped: bool  # the mesh was wound inward as a whole and was read flipped

    @property
    def sure(self) -> np.ndarray:
        return np.isfinite(self.thickness_mm)

    @property
    def surface(self) -> np.ndarray:
        """Samples on the printed surface (the union of the bodies): not buried in another."""
        return ~self.buried

    def share(self, mask: np.ndarray) -> float:
        """Area share of the printed surface (not buried) covered by the masked samples."""
        s = self.surface
        total = float(self.area_mm2[s].sum())
        return float(self.area_mm2[s & mask].sum()) / total if total > 0 else 0.0

    @property
    def unsure_share(self) -> float:
        """Share of the printed surface that has no thickness."""
        return 1.0 - self.share(self.sure) if self.surface.any() else 1.0


def sample_count(n_faces: int) -> int:
    """Samples scale with the face count (resolution-independent density per face), clipped."""
    return int(min(MAX_SAMPLES, max(MIN_SAMPLES, n_faces // FACES_PER_SAMPLE)))


def _basis(axis: np.ndarray, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to each axis and to each other; the first along `ref`
    (made perpendicular to the axis) where given and not along the axis, so that the frame
    turns with the model instead of following the world's axes."""
    helper = np.where(np.abs(axis[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = np.cross(axis, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    if ref is not None:
        r = ref - np.einsum("ij,ij->i", ref, axis)[:, None] * axis
        ln = np.linalg.norm(r, axis=1, keepdims=True)
        ok = ln > 1e-6 * np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-300)
        t1 = np.where(ok, r / np.where(ok, ln, 1.0), t1)
    return t1, np.cross(axis, t1)


def _cone(axis: np.ndarray, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(s, k, 3) unit ray directions around each axis (the ring starting along `ref`:
    `_basis`) and (k,) cos(theta) of each."""
    t1, t2 = _basis(axis, ref)
    th = math.radians(CONE_HALF_ANGLE_DEG)
    phi = np.arange(CONE_RING) * (2 * math.pi / CONE_RING)
    ring = (math.cos(th) * axis[:, None, :]
            + math.sin(th) * (np.cos(phi)[None, :, None] * t1[:, None, :]
                              + np.sin(phi)[None, :, None] * t2[:, None, :]))
    dirs = np.concatenate([axis[:, None, :], ring], axis=1)
    cos = np.concatenate([[1.0], np.full(CONE_RING, math.cos(th))])
    return dirs, cos


def _open_bodies(a) -> np.ndarray:
    """Per-face flag: the face belongs to a body whose boundary is long for its area."""
    n = a.model.n_faces
    fe = a.face_edges
    single = a.edge_face_count[fe] == 1  # (m, 3): the face's edges that border a hole
    if not single.any():
        return np.zeros(n, dtype=bool)
    f_idx, k = np.nonzero(single)
    e = a.edges_unique[fe[f_idx, k]]
    v = a.model.vertices
    length = np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)
    labels = a.body_labels
    nb = int(labels.max()) + 1
    blen = np.bincount(labels[f_idx], weights=length, minlength=nb)
    barea = np.bincount(labels, weights=a.face_areas, minlength=nb)
    return (blen > OPEN_BODY_RATIO * np.sqrt(np.maximum(barea, 1e-300)))[labels]


def _boost(a, count: int) -> np.ndarray:
    """Per-face sampling weight factor: bodies that area-weighting would give fewer than
    MIN_BODY_SAMPLES samples are weighted up to that many (within BOOST_SHARE of the count)."""
    labels = a.body_labels
    barea = np.bincount(labels, weights=a.face_areas)
    expected = count * barea / max(barea.sum(), 1e-300)
    factor = np.maximum(1.0, MIN_BODY_SAMPLES / np.maximum(expected, 1e-300))
    extra = float(((factor - 1.0) * expected).sum())
    if extra > BOOST_SHARE * count:  # many tiny bodies: share the budget out evenly
        factor = 1.0 + (factor - 1.0) * (BOOST_SHARE * count / extra)
    return factor[labels]


# Per-face draws come from a hash of what the face is, not of where the file lists it or which
# way the model is turned: its sorted edge lengths and its centroid's distance from its body's
# area-weighted centroid, each rounded to HASH_QUANTUM of the body's size (sqrt of its area).
# The float noise of a rotation (~1e-16 relative) rounds the same except at a cell boundary
# (about 1e-7 of values); adding a part leaves the other bodies' draws as they were. Faces
# alike in both (a symmetric ring) draw alike.
HASH_QUANTUM = 1e-9
# Barycentric positions of a face's k-th sample: the R2 low-discrepancy sequence (Roberts
# 2018, powers of the plastic number) from the face's own offset: one face's samples spread
# evenly instead of clumping as independent draws do.
R2 = (0.7548776662466927, 0.5698402909980532)
# Faces alike in shape and distance (a revolve's ring, an icosphere's symmetric faces) share
# one hash; their draws are spread along the golden-ratio sequence in the order of their
# places (the only pose-dependent choice, and only among faces alike), so a ring gets its
# share of samples instead of all or none of its faces drawing one (a thin flange unsampled).
GOLDEN = 0.6180339887498949
# Their points start from offsets hashed with that rank too, not from one shared offset: a
# cylinder's alike side slivers would otherwise put every sample at the same few heights (a
# stride along one R2 sequence repeats every few faces).
_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(_MIX[1])
        h = (h ^ (h >> np.uint64(27))) * np.uint64(_MIX[2])
    return h ^ (h >> np.uint64(31))


@dataclass(frozen=True)
class _Shapes:
    """Per face: a pose- and order-free hash (`key`), and its corners in an order fixed by its
    shape (`faces`: the corner opposite its longest edge, then the far end of the longer of
    the other two edges; winding not kept)."""

    key: np.ndarray  # (F,) uint64
    faces: np.ndarray  # (F, 3)
    tie: np.ndarray  # (F,) rank among the faces of the same key, in the order of their places


def _shapes(a) -> _Shapes:
    """Cached once per model."""
    def build(a) -> _Shapes:
        v, f = a.model.vertices, a.model.faces
        p = [v[f[:, k]] for k in range(3)]
        edge = np.stack([np.linalg.norm(p[(k + 2) % 3] - p[(k + 1) % 3], axis=1)
                         for k in range(3)], axis=1)  # the edge opposite corner k
        area = a.face_areas
        cen = (p[0] + p[1] + p[2]) / 3.0
        lab = a.body_labels  # each body's own centroid: adding a part leaves the others' draws
        nb = int(lab.max()) + 1 if len(lab) else 1
        barea = np.maximum(np.bincount(lab, weights=area, minlength=nb), 1e-300)
        mid = np.stack([np.bincount(lab, weights=area * cen[:, j], minlength=nb)
                        for j in range(3)], axis=1) / barea[:, None]
        cols = np.c_[np.sort(edge, axis=1), np.linalg.norm(cen - mid[lab], axis=1)]
        words = np.round(cols / (HASH_QUANTUM * np.sqrt(barea[lab]))[:, None]).astype(np.int64)
        h = np.full(len(f), _MIX[0], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for w in words.view(np.uint64).T:  # four words a face
                h = _mix(h ^ (w + np.uint64(_MIX[0])))
        # corners: the one opposite the longest edge, then the far end of the longer edge
        # from it (not the winding's next: a mirror image reverses the winding)
        start = np.argmax(edge, axis=1)
        g = np.take_along_axis(f, (start[:, None] + np.arange(3)) % 3, axis=1)
        e = np.take_along_axis(edge, (start[:, None] + np.arange(3)) % 3, axis=1)
        swap = e[:, 1] > e[:, 2]  # the edge opposite corner 1 is the one from corner 0 to 2
        g[swap] = g[swap][:, [0, 2, 1]]
        return _Shapes(h, g, _tie_ranks(h, cen))

    return a.cached("thickness-shapes", build)


def _tie_ranks(h: np.ndarray, cen: np.ndarray) -> np.ndarray:
    """Each face's rank among the faces of its hash, ordered by centroid (x, then y, then z).

    Only faces whose hash is shared are sorted by centroid: on a sculpt almost every hash is
    its own, and a four-key sort of every face cost a second at 2M faces."""
    tie = np.zeros(len(h), dtype=np.int64)
    if len(h) < 2:
        return tie
    order = np.argsort(h, kind="stable")
    same = h[order][1:] == h[order][:-1]
    shared = np.sort(order[np.r_[same, False] | np.r_[False, same]])
    if len(shared) == 0:
        return tie
    sub = shared[np.lexsort((cen[shared, 2], cen[shared, 1], cen[shared, 0], h[shared]))]
    hs = h[sub]
    first = np.r_[True, hs[1:] != hs[:-1]]
    run = np.maximum.accumulate(np.where(first, np.arange(len(hs)), 0))
    tie[sub] = np.arange(len(hs)) - run
    return tie


def _uniform(key: np.ndarray, salt: int) -> np.ndarray:
    """A uniform draw in [0, 1) per hashed key and salt."""
    with np.errstate(over="ignore"):
        h = _mix(key ^ _mix(np.full(len(key), salt + 1, dtype=np.uint64) * np.uint64(_MIX[0])))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _face_edge(a, fid: np.ndarray) -> np.ndarray:
    """(n, 3) each listed face's median from the corner opposite its longest edge (`_shapes`):
    a direction on the face that turns (and mirrors) with the model, for the frames of the
    rays cast from it."""
    f = _shapes(a).faces[fid]
    v = a.model.vertices
    return 0.5 * (v[f[:, 1]] + v[f[:, 2]]) - v[f[:, 0]]


def _draw(a, expected: np.ndarray, faces: np.ndarray, salt: int):
    """Samples of the listed faces: floor(expected + u) each (u the face's own draw, spread
    along the golden-ratio sequence among faces alike: the count is right on average), placed
    along the R2 sequence from the face's own offset. Returns (points, face ids)."""
    sh = _shapes(a)
    u = np.mod(_uniform(sh.key[faces], salt) + sh.tie[faces] * GOLDEN, 1.0)
    n = np.floor(expected + u).astype(np.int64)
    fid = np.repeat(faces, n)
    k = np.arange(len(fid)) - np.repeat(np.cumsum(n) - n, n)  # the sample's number in its face
    with np.errstate(over="ignore"):  # alike faces: each its own offset (its rank mixed in)
        kf = _mix(sh.key[fid] ^ (sh.tie[fid].astype(np.uint64) * np.uint64(_MIX[0])))
    r = np.c_[_uniform(kf, salt + 1), _uniform(kf, salt + 2)] + k[:, None] * np.array(R2)
    r = np.mod(r, 1.0)
    flip = r.sum(axis=1) > 1
    r[flip] = 1 - r[flip]
    v, f = a.model.vertices, sh.faces[fid]
    p0 = v[f[:, 0]]
    return p0 + r[:, :1] * (v[f[:, 1]] - p0) + r[:, 1:] * (v[f[:, 2]] - p0), fid


def _sample(a, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area-weighted samples, small bodies boosted (`_boost`); returns points, faces and the
    area each sample stands for. Every face's draws are its own (`_draw`): the same surface
    listed in another order, turned or mirrored is sampled at the same places (the draws
    used to walk the faces in the file's order: the showcase shuffled read other pass
    counts)."""
    boost = _boost(a, count) if a.n_bodies > 1 else np.ones(a.model.n_faces)
    w = a.face_areas * boost
    expected = count * w / max(a.total_area, 1e-300)
    pts, fid = _draw(a, expected, np.arange(a.model.n_faces), SALT)
    return pts, fid, (a.total_area / count) / boost[fid]


def _edge_faces(a, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two faces of each listed unique edge (the same face twice on a boundary edge): a scatter
    of the face-edge map restricted to those edges, first and last writer, with no sort."""
    mark = np.zeros(len(a.edge_face_count), dtype=bool)
    mark[edges] = True
    flat = a.face_edges.ravel()
    sel = np.flatnonzero(mark[flat])
    e_sel, f_sel = flat[sel], sel // 3
    first = np.full(len(mark), -1, dtype=np.int64)
    last = np.full(len(mark), -1, dtype=np.int64)
    first[e_sel[::-1]] = f_sel[::-1]
    last[e_sel] = f_sel
    return first[edges], last[edges]


def face_sag(a, faces: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Unsigned chordal error (mm) of each listed face (the lines family's bound; the readings
    here use the signed `smooth_offset`): how far the smooth surface its vertices sample
    can lie from the flat facet. Two facets w wide meeting at a smooth dihedral theta sample an
    arc of radius w/theta, whose sagitta over a chord w is w^2/(8R) = w*theta/8. w is the
    facet's narrowest width, 2 * area / longest edge: a long sliver's length is a straight line
    the modeller drew (a CAD edge, a revolved profile's step), not an under-sampled curve, so a
    turn at its far end does not bend it. Creases (theta >= CREASE_RAD) are the shape's own
    edges, not under-sampling: they add 0."""
    fe = a.face_edges[faces]  # (q, 3)
    f1, f2 = _edge_faces(a, fe.ravel())
    f1, f2 = f1.reshape(fe.shape), f2.reshape(fe.shape)
    other = np.where(f1 == faces[:, None], f2, f1)
    cosd = np.einsum("qj,qkj->qk", fn[faces], fn[other])
    smooth = (cosd > math.cos(CREASE_RAD)) & (other != faces[:, None])
    ang = np.arccos(np.clip(np.where(smooth, cosd, 1.0).min(axis=1), -1.0, 1.0))
    width = 2.0 * a.face_areas[faces] / np.maximum(a.edge_lengths[fe].max(axis=1), 1e-300)
    return width * ang / 8.0


def _corner_normals(a, faces: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """(q, 3, 3) unit normal at each corner of the listed faces: the area-weighted mean of the
    (outward) normals of the faces around that vertex that turn less than CREASE_RAD from this
    face. That is the normal of the smooth surface the corner samples; faces across a crease
    belong to another surface (a cup's rim, a box's side) and are left out."""
    F = a.model.faces
    cv = F[faces].ravel()  # (3q,) the corners' vertices
    want = np.zeros(a.model.n_vertices, dtype=bool)
    want[cv] = True
    flat = F.ravel()
    slot = np.flatnonzero(want[flat])  # corners of every face that touches a wanted vertex
    vert, inc = flat[slot], slot // 3
    order = np.argsort(vert, kind="stable")
    vert, inc = vert[order], inc[order]
    count = np.bincount(vert, minlength=len(want))  # incident faces per vertex (CSR)
    deg = count[cv]
    start = (np.cumsum(count) - count)[cv]
    rep = np.repeat(np.arange(len(cv)), deg)  # corner of each (corner, incident face) pair
    g = inc[np.repeat(start - (np.cumsum(deg) - deg), deg) + np.arange(rep.size)]
    own = np.repeat(faces, 3)[rep]
    w = a.face_areas[g] * (np.einsum("ij,ij->i", fn[g], fn[own]) > math.cos(CREASE_RAD))
    acc = np.stack([np.bincount(rep, weights=w * fn[g, k], minlength=len(cv))
                    for k in range(3)], axis=1)
    norm = np.linalg.norm(acc, axis=1, keepdims=True)
    own_n = np.repeat(fn[faces], 3, axis=0)
    acc = np.where(norm > 0, acc / np.maximum(norm, 1e-300), own_n)
    return acc.reshape(len(faces), 3, 3)


def smooth_offset(a, faces: np.ndarray, points: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Signed distance (mm) from each point on its flat facet to the smooth surface the facet's
    vertices sample, along the facet's outward normal (+: the surface bulges outward there).

    A quadratic surface through the three corners departs from their plane, at barycentric
    coordinates b, by 1/2 sum_{i<j} b_i b_j (n_i - n_j).(v_i - v_j), with n the corners' unit
    normals (`_corner_normals`): (n_i - n_j).(v_i - v_j) = kappa_ij |v_i - v_j|^2 is the
    normal curvature along the edge times its length squared. On a circle of radius R drawn
    with vertices 2 alpha apart it gives R sin^2(alpha) / 2 at mid-chord, the sagitta
    R (1 - cos alpha) to within 2 % below the crease angle. Signed, it tells a wall whose
    two sides bend together (a cup's inner and outer facets: their offsets cancel, and the
    polygon's wall is the circle's to within T (1 - cos alpha)) from one whose sides both
    bulge (a rod, a blade's rounded edge: they add)."""
    if len(faces) == 0:
        return np.zeros(0)
    uf, inv = np.unique(faces, return_inverse=True)
    cn = _corner_normals(a, uf, fn)[inv]  # (m, 3, 3)
    tri = a.model.vertices[a.model.faces[faces]]  # (m, 3, 3)
    e1, e2, rel = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], points - tri[:, 0]
    d11, d12, d22 = (np.einsum("ij,ij->i", x, y) for x, y in ((e1, e1), (e1, e2), (e2, e2)))
    r1, r2 = np.einsum("ij,ij->i", rel, e1), np.einsum("ij,ij->i", rel, e2)
    den = np.maximum(d11 * d22 - d12 * d12, 1e-300)
    b1 = np.clip((d22 * r1 - d12 * r2) / den, 0.0, 1.0)
    b2 = np.clip((d11 * r2 - d12 * r1) / den, 0.0, 1.0)
    b = np.stack([np.clip(1.0 - b1 - b2, 0.0, 1.0), b1, b2], axis=1)
    out = np.zeros(len(faces))
    for i, j in ((0, 1), (1, 2), (0, 2)):  # the three edges
        kl2 = np.einsum("ij,ij->i", cn[:, i] - cn[:, j], tri[:, i] - tri[:, j])
        out += 0.5 * b[:, i] * b[:, j] * kl2
    return out


# --- overlapping bodies -------------------------------------------------------------------------

def _body_boxes(a, labels: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """(nb, 3) lower and upper corners of every body's bounding box, from its vertices."""
    f = a.model.faces
    v = a.model.vertices
    vb = np.full(a.model.n_vertices, -1, dtype=np.int64)
    vb[f.ravel()] = np.repeat(labels, 3)  # a face's vertices are all on its body
    used = np.flatnonzero(vb >= 0)
    order = used[np.argsort(vb[used], kind="stable")]
    starts = np.searchsorted(vb[order], np.arange(nb))
    lo = np.minimum.reduceat(v[order], starts, axis=0)
    hi = np.maximum.reduceat(v[order], starts, axis=0)
    return lo, hi


def _in_other_box(p: np.ndarray, own: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  container: np.ndarray, tol: float) -> np.ndarray:
    """Per point: inside the (tol-grown) box of a container body other than its own."""
    out = np.zeros(len(p), dtype=bool)
    for _, inside in _other_boxes(p, own, lo, hi, container, tol):
        out |= inside.any(axis=1)
    return out


def _other_boxes(p: np.ndarray, own: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 container: np.ndarray, tol: float):
    """Blocks (container bodies b, (points, len(b)) mask): each point inside the (tol-grown)
    box of each body of the block other than its own."""
    bodies = np.flatnonzero(container)
    if len(p) == 0 or len(bodies) == 0:
        return
    q = p.astype(np.float32)  # a box test needs no more; halves the temporaries
    lo32, hi32 = (lo - tol).astype(np.float32), (hi + tol).astype(np.float32)
    step = max(1, 4_000_000 // len(p))  # bounded (points x bodies) blocks
    for b0 in range(0, len(bodies), step):  # blocks of bodies, not points
        b = bodies[b0:b0 + step]
        inside = own[:, None] != b[None, :]
        for ax in range(3):  # one axis at a time, in place: no (points, bodies, 3) arrays
            inside &= q[:, None, ax] >= lo32[None, b, ax]
            inside &= q[:, None, ax] <= hi32[None, b, ax]
        yield b, inside


def _solids(a, labels: np.ndarray, nb: int, face_vol: np.ndarray, closed: np.ndarray):
    """Group bodies into solids for routing rays: a body wound inward (negative volume, a
    cavity such as the inside of a hollow shell) joins the smallest closed outward body whose
    box holds it. Returns (solid label per body, container flag per label, lo, hi boxes)."""
    vol = np.bincount(labels, weights=face_vol, minlength=nb)
    lo, hi = _body_boxes(a, labels, nb)
    owner = np.arange(nb)
    outward = (vol > 0) & closed
    cav, sol = np.flatnonzero(vol < 0), np.flatnonzero(outward)
    if len(cav) and len(sol):
        box_vol = np.prod(hi[sol] - lo[sol], axis=1)
        step = max(1, 2_000_000 // len(sol))
        for c0 in range(0, len(cav), step):
            c = cav[c0:c0 + step]
            holds = (np.all(lo[sol][None] <= lo[c][:, None], axis=2)
                     & np.all(hi[c][:, None] <= hi[sol][None], axis=2))
            pick = np.argmin(np.where(holds, box_vol[None], np.inf), axis=1)
            ok = holds[np.arange(len(c)), pick]
            owner[c[ok]] = sol[pick[ok]]
    return owner, outward, lo, hi


def _by_ray_then_distance(rid: np.ndarray, t32: np.ndarray) -> np.ndarray:
    """The order np.lexsort((t, rid)) gives (stable), from one sort of a 64-bit key: the ray id
    above the float32 distance's bits. A non-negative IEEE float's bits, read as an unsigned
    integer, order as its value does (+0.0 added turns a -0.0 into +0.0), so the key orders
    exactly as the pair; ties keep their order under the stable sort, as lexsort's do. The
    pair sort of a million crossings costs ~1.4 s, this one ~0.05 s (docs/scale.md, Speed)."""
    t32 = np.ascontiguousarray(t32, dtype=np.float32) + np.float32(0.0)
    if len(t32) and (not np.isfinite(t32).all() or t32.min() < 0):  # not a ray-cast distance
        return np.lexsort((t32, rid))
    key = (rid.astype(np.uint64) << np.uint64(32)) | t32.view(np.uint32).astype(np.uint64)
    return np.argsort(key, kind="stable")


def _union_walk(scene, rays: np.ndarray, fn: np.ndarray, counted: np.ndarray):
    """Walk every ray through *all* its crossings to where it leaves the union of the solids.

    Winding number along the ray: crossing a face against its outward normal enters a solid
    (+1), along it leaves one (-1); overlapping bodies simply stack and an inward-wound
    cavity shell subtracts. Far along the ray the winding is 0, so the winding at the start is
    minus the sum of all crossings. Crossings of faces not `counted` (open sheets) are ignored.
    Returns (t_exit, face_exit, w0): the first crossing where the winding drops to 0 (inf / -1
    if it never does) and the winding at the start (2 or more: the start is buried inside
    another body as well as its own).
    """
    import open3d as o3d

    m = len(rays)
    t_exit = np.full(m, np.inf)
    f_exit = np.full(m, -1, dtype=np.int64)
    w0 = np.zeros(m, dtype=np.int64)
    if m == 0:
        return t_exit, f_exit, w0
    li = scene.list_intersections(o3d.core.Tensor(rays.astype(np.float32)))
    rid = li["ray_ids"].numpy().astype(np.int64)
    prim = li["primitive_ids"].numpy().astype(np.int64)
    keep = counted[prim]
    rid, prim = rid[keep], prim[keep]
    if len(rid) == 0:
        return t_exit, f_exit, w0
    t32 = li["t_hit"].numpy()[keep]
    t = t32.astype(np.float64)
    o = _by_ray_then_distance(rid, t32)
    rid, prim, t = rid[o], prim[o], t[o]
    step = np.where(np.einsum("ij,ij->i", fn[prim], rays[rid, 3:]) > 0, -1, 1)
    w0 = -np.bincount(rid, weights=step, minlength=m).astype(np.int64)
    csum = np.cumsum(step)
    first = np.r_[True, rid[1:] != rid[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(rid)), 0))
    wind = csum - csum[start] + step[start] + w0[rid]  # winding just after each crossing
    out = np.flatnonzero(wind <= 0)
    if len(out):
        r_out, at = np.unique(rid[out], return_index=True)
        t_exit[r_out] = t[out[at]]
        f_exit[r_out] = prim[out[at]]
    return t_exit, f_exit, w0


def _overlaps(a, rays, fid, t_hit, prim, hit, fn, face_vol, open_face, eps):
    """Re-route the rays that overlapping bodies can affect (first hit on another solid, or a
    start or end point inside another solid's box) through `_union_walk`. Returns the new
    (t_hit, prim) and the per-sample `buried` flag (most rays start inside another body)."""
    s, k = t_hit.shape
    nb = a.n_bodies
    labels = a.body_labels
    closed = np.ones(nb, dtype=bool)
    if open_face.any():
        closed[np.unique(labels[open_face])] = False
    owner, container, lo, hi = _solids(a, labels, nb, face_vol, closed)
    solid = owner[labels]  # per face
    own = solid[fid]
    prim_safe = np.where(hit, prim, 0)
    end = rays[:, :3] + np.where(hit, t_hit, 0.0).reshape(-1, 1) * rays[:, 3:]
    walk = (np.repeat(_in_other_box(rays[::k, :3], own, lo, hi, container, 2 * eps), k)
            | (hit & (solid[prim_safe] != own[:, None])).ravel()
            | _in_other_box(end, np.repeat(own, k), lo, hi, container, 2 * eps))
    w = np.flatnonzero(walk)
    buried = np.zeros(s, dtype=bool)
    if len(w) == 0:
        return t_hit, prim, buried
    t_w, f_w, w0 = _union_walk(a.raycasting_scene, rays[w], fn, closed[labels])
    t_flat, p_flat = t_hit.ravel().copy(), prim.ravel().copy()
    t_flat[w], p_flat[w] = t_w, np.maximum(f_w, 0)
    inside = np.zeros(len(rays), dtype=bool)
    inside[w] = w0 >= 2
    buried = inside.reshape(-1, k).sum(axis=1) * 2 > k
    buried |= _touching(a, rays[::k], own, lo, hi, container, fn, closed[labels], eps)
    return t_flat.reshape(s, k), p_flat.reshape(s, k), buried


def _touching(a, axial, own, lo, hi, container, fn, counted, eps) -> np.ndarray:
    """Per sample (its axial ray, cast inward from eps under the surface): does the point
    TOUCH_MM outside its face lie inside another solid? Then the face rests on that solid
    (a contact a print fuses: TOUCH_MM)."""
    out = np.zeros(len(axial), dtype=bool)
    p = axial[:, :3] - (eps + TOUCH_MM) * axial[:, 3:]  # outside the own face, along n
    near = np.flatnonzero(_in_other_box(p, own, lo, hi, container, TOUCH_MM))
    if len(near) == 0:
        return out
    probe = np.c_[p[near], -axial[near, 3:]]  # outward: the winding at the start is all we ask
    _, _, w0 = _union_walk(a.raycasting_scene, probe, fn, counted)
    out[near] = w0 >= 1
    return out


# A crease's point is judged from BURIED_RAYS probes, TOUCH_MM out along rays on a cone of
# BURIED_TILT_DEG around its outward normal at even turns, and is inside another solid when
# most of them say so. One probe along the normal is not enough: an assembly's parts stand at
# the same heights and touch face to face, so that probe often lies on the face where two
# other parts touch (inside the union, on the surface of each: their windings read 0 or 1 by
# float rounding) or its ray runs in the plane of another part's face (finding one crossing
# of its edge, or none). A plane holding the normal holds at most one of three rays at
# 120 degree turns, so one such probe is outvoted; 30 degrees keeps the probes near the
# normal, out of the crease's own faces (15 degrees off them at a right-angled crease).
BURIED_RAYS = 3
BURIED_TILT_DEG = 30.0


def buried_points(a, points: np.ndarray, normals: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per surface point (its outward direction, the face it lies on): inside another closed
    solid of a model whose bodies are not unioned (a kitbash's part sunk into another, a
    scan's second shell)? The point lies inside another solid when, at most of BURIED_RAYS
    probes TOUCH_MM outside it, the winding of one other solid is >= 1 (its own
    solid's faces not counted: a point of a rounded crease may lie a hair inside its own
    solid), so the point is inside the printed union, not on its surface (as for a thickness
    sample resting on another body: _touching).

    Each solid is wound on its own, in a scene of its own geometry (`_solid_scene`): the
    ray-caster lists two crossings of one geometry at the same distance once, so where two
    parts touch (a pin in its bore: coincident faces) the whole model's scene keeps the
    entry of one or the exit of the other depending on how its tree was split, which changes
    when any body is added (the cycloidal drive's creases read buried on their own and not
    once a far block joined). So the verdict depends on the solids at the point alone."""
    out = np.zeros(len(points), dtype=bool)
    if a.n_bodies <= 1 or len(points) == 0:
        return out
    (face_vol, fn, open_face, _), _ = _context(a)
    labels, nb = a.body_labels, a.n_bodies
    closed = np.ones(nb, dtype=bool)
    if open_face.any():
        closed[np.unique(labels[open_face])] = False
    owner, container, lo, hi = _solids(a, labels, nb, face_vol, closed)
    own = owner[labels[faces]]
    near = np.flatnonzero(_in_other_box(points, own, lo, hi, container, 2 * TOUCH_MM))
    if len(near) == 0:
        return out
    p = points[near]
    scene, solid_of, fids = _solid_scene(a, p, own[near], owner, container, closed, lo, hi)
    votes = sum(_inside_other(scene, solid_of, fids, p + TOUCH_MM * d, d, own[near], fn)
                for d in _buried_dirs(normals[near]))
    out[near] = 2 * votes > BURIED_RAYS
    return out


def _solid_scene(a, p, own, owner, container, closed, lo, hi):
    """A ray-casting scene of the closed solids whose (2 TOUCH_MM-grown) boxes hold a point
    other than its own, one geometry per solid (its bodies: the outward one and the cavities
    it holds). Returns (scene, solid per geometry id, model face ids per geometry)."""
    import open3d as o3d

    labels = a.body_labels
    want = np.concatenate([b[inside.any(axis=0)] for b, inside in
                           _other_boxes(p, own, lo, hi, container, 2 * TOUCH_MM)])
    face_solid = np.where(closed[labels], owner[labels], -1)
    sel = np.flatnonzero(np.isin(face_solid, want))
    sel = sel[np.argsort(face_solid[sel], kind="stable")]
    groups = np.split(sel, np.flatnonzero(np.diff(face_solid[sel])) + 1)
    scene = o3d.t.geometry.RaycastingScene()
    v, f = a.model.vertices, a.model.faces
    for g in groups:  # one geometry per solid near a point (a handful to a few hundred)
        used, tri = np.unique(f[g], return_inverse=True)
        scene.add_triangles(o3d.core.Tensor(v[used].astype(np.float32)),
                            o3d.core.Tensor(tri.reshape(-1, 3).astype(np.uint32)))
    return scene, face_solid[[g[0] for g in groups]], groups


def _buried_dirs(normals: np.ndarray) -> list[np.ndarray]:
    """BURIED_RAYS unit directions per point on a cone of BURIED_TILT_DEG about its normal."""
    t1, t2 = _basis(normals)
    th = math.radians(BURIED_TILT_DEG)
    phis = np.arange(BURIED_RAYS) * (2 * math.pi / BURIED_RAYS)
    return [math.cos(th) * normals + math.sin(th) * (math.cos(f) * t1 + math.sin(f) * t2)
            for f in phis]


def _inside_other(scene, solid_of, fids, p, d, own, fn) -> np.ndarray:
    """Per point: along its ray d, is the winding of some solid other than `own` >= 1? Leaving
    a solid along the ray (its face's outward normal along it) means the point was inside. A
    crossing listed twice (a ray through the edge of two faces) counts once."""
    import open3d as o3d

    out = np.zeros(len(p), dtype=bool)
    if len(solid_of) == 0:
        return out
    li = scene.list_intersections(o3d.core.Tensor(np.c_[p, d].astype(np.float32)))
    rid = li["ray_ids"].numpy().astype(np.int64)
    geo = li["geometry_ids"].numpy().astype(np.int64)
    prim = li["primitive_ids"].numpy().astype(np.int64)
    solid = solid_of[geo]
    keep = solid != own[rid]
    if not keep.any():
        return out
    rid, geo, prim, solid = rid[keep], geo[keep], prim[keep], solid[keep]
    starts = np.cumsum([0] + [len(g) for g in fids])
    face = np.concatenate(fids)[starts[geo] + prim]
    step = np.where(np.einsum("ij,ij->i", fn[face], d[rid]) > 0, 1, -1)
    t = li["t_hit"].numpy()[keep]
    cross = np.unique(np.c_[rid, solid, step, t.view(np.int32)], axis=0)
    pair, inv = np.unique(cross[:, :2], axis=0, return_inverse=True)
    wind = np.bincount(inv.ravel(), weights=cross[:, 2], minlength=len(pair))
    out[pair[wind >= 1, 0]] = True
    return out


# --- the kernel ---------------------------------------------------------------------------------

def _orientation(a) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per-face signed volume terms, outward normals and whether the mesh was read flipped:
    a closed mesh wound inward as a whole has negative volume sum(v0 . (v1-v0) x (v2-v0)) / 6."""
    v0 = a.model.vertices[a.model.faces[:, 0]]
    face_vol = np.einsum("ij,ij->i", v0, a._cross) / 6.0
    flipped = float(face_vol.sum()) < 0
    return (-face_vol if flipped else face_vol), (-a.face_normals if flipped else a.face_normals), flipped


def _cast(a, pts, fid, fn, face_vol, open_face):
    """Cast each sample's cone; returns directions, cos, t_hit, prim, hit, buried, ray count."""
    import open3d as o3d

    n = fn[fid]
    good = np.linalg.norm(n, axis=1) > 0.5  # degenerate faces have zero normals
    n = np.where(good[:, None], n, [[0.0, 0.0, 1.0]])
    dirs, cos = _cone(-n, _face_edge(a, fid))  # into the solid, the ring fixed to the face
    s, k = dirs.shape[:2]
    eps = 1e-5 * max(a.bbox_diag_mm, 1e-12)
    origins = pts[:, None, :] - eps * n[:, None, :]
    rays = np.concatenate([np.broadcast_to(origins, dirs.shape), dirs], axis=2).reshape(-1, 6)
    ans = a.raycasting_scene.cast_rays(o3d.core.Tensor(rays.astype(np.float32)))
    t_hit = ans["t_hit"].numpy().astype(np.float64).reshape(s, k)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(s, k)
    hit = np.isfinite(t_hit)
    buried = np.zeros(s, dtype=bool)
    if a.n_bodies > 1:
        # Overlapping, un-unioned bodies: a ray must measure the union's wall, not stop where
        # it meets another body's surface; samples inside another body are not on the print.
        t_hit, prim, buried = _overlaps(a, rays, fid, t_hit, prim, hit, fn, face_vol,
                                        open_face, eps)
        hit = np.isfinite(t_hit)
    return -n, good, dirs, cos, t_hit + eps, np.where(hit, prim, 0), hit, buried, len(rays)


def _row_quantile(p: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of the first n[i] (sorted, finite) entries of each row, interpolated as
    numpy's default: np.nanpercentile without its per-row Python loop."""
    pos = q * (n - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, n - 1)
    r = np.arange(len(p))
    return p[r, i0] + (pos - i0) * (p[r, i1] - p[r, i0])


def _offsets(a, fid, points, dirs, t_hit, prim, valid, fn) -> np.ndarray:
    """(s,) change of each sample's reading if the smooth surface replaced the facets: the
    entry's outward offset plus the exit's, read on the first ray that measured the wall (the
    axial one when it did: the ring lands within 0.21 T of it, where a wall's offset is the
    same; one ray, not five, keeps the cost at the samples')."""
    k0 = np.argmax(valid, axis=1)
    r = np.arange(len(fid))
    exit_pts = points + t_hit[r, k0, None] * dirs[r, k0]
    both = smooth_offset(a, np.concatenate([fid, prim[r, k0]]),
                         np.concatenate([points, exit_pts]), fn)  # one pass over the corners
    return both[:len(fid)] + both[len(fid):]


def _readings(a, fid, points, fn, dirs, cos, t_hit, prim, hit, coord_mm):
    """Per sample: median reading, interval [lo, hi], valid ray count, internal flag, and
    whether the reading stands (enough rays measured the wall; rays that left by a side face
    of a corner are neither for nor against)."""
    s = len(fid)
    facing = np.einsum("skj,skj->sk", fn[prim], dirs[:, :1, :])  # exit normal vs the axis
    exiting = np.einsum("skj,skj->sk", fn[prim], dirs) > 0
    not_own = prim != fid[:, None]
    leaving = hit & exiting & not_own
    facing_ok = leaving & (facing >= math.cos(math.radians(WALL_FACING_DEG)))
    # rays leaving by a turned face are set aside when another ray faced the wall (a corner's
    # side); when none did (grazing a curved hole, a ligament between holes) they are the wall
    some = facing_ok.any(axis=1, keepdims=True)
    valid = np.where(some, facing_ok, leaving)
    entering = hit & ~exiting & not_own
    proj = np.where(valid, t_hit * cos[None, :], np.nan)
    nvalid = valid.sum(axis=1)
    med = np.full(s, np.nan)
    lo = np.full(s, np.nan)
    hi = np.full(s, np.nan)
    ok = (nvalid >= 1) & (leaving.sum(axis=1) >= MIN_VALID)
    if ok.any():
        p = np.sort(proj[ok], axis=1)  # NaN (invalid rays) sort last
        nv = nvalid[ok]
        med[ok] = _row_quantile(p, nv, 0.5)
        # resolution: the design may be the facets or the smooth surface their vertices sample
        # (`smooth_offset`, at the sample and at each ray's exit): the interval spans both
        med_s = med[ok] + _offsets(a, fid[ok], points[ok], dirs[ok], t_hit[ok], prim[ok],
                                   valid[ok], fn)
        rounding = F32_ULPS * 2.0 ** -24 * coord_mm
        mad = _row_quantile(np.sort(np.abs(p - med[ok][:, None]), axis=1), nv, 0.5)
        lo[ok] = np.maximum(np.minimum(med[ok], med_s) - mad - rounding, 0.0)
        hi[ok] = np.maximum(med[ok], med_s) + mad + rounding
    internal = entering.sum(axis=1) * 2 > dirs.shape[1]
    return med, lo, hi, nvalid, internal, ok


def _read(a, pts, fid, face_vol, fn, open_face, coord):
    """Readings of the samples (pts, fid): steps 2 and 3 for any set of surface points."""
    inward, good, dirs, cos, t_hit, prim, hit, buried, nrays = _cast(a, pts, fid, fn, face_vol,
                                                                     open_face)
    th, lo, hi, nvalid, internal, ok = _readings(a, fid, pts, fn, dirs, cos, t_hit, prim, hit,
                                                 coord)
    open_s = open_face[fid]
    sure = ok & good & ~open_s & ~buried
    th[~sure], lo[~sure], hi[~sure] = np.nan, np.nan, np.nan
    # an inner surface shows only where the rays can be trusted to start inside the solid
    internal &= ~sure & ~open_s & ~buried & bool(a.winding_consistent)
    return dict(points=pts, faces=fid, inward=inward, thickness_mm=th, lo_mm=lo, hi_mm=hi,
                valid_rays=nvalid, open_body=open_s, buried=buried, internal=internal,
                body=a.body_labels[fid]), nrays


def _context(a):
    """What every reading needs of the model: outward volumes and normals, open faces, the
    coordinate scale of float32 rounding; and whether the mesh was read flipped."""
    face_vol, fn, flipped = _orientation(a)
    open_face = _open_bodies(a) if not a.watertight else np.zeros(a.model.n_faces, dtype=bool)
    coord = float(np.abs(a.model.bounds).max()) + a.bbox_diag_mm
    return (face_vol, fn, open_face, coord), flipped


def thickness(analysis, count: int | None = None) -> Thickness:
    """Wall thickness at `count` seeded surface samples (default: sample_count(faces))."""
    a = analysis
    count = int(count or sample_count(a.model.n_faces))
    pts, fid, area = _sample(a, count)
    ctx, flipped = _context(a)
    cols, nrays = _read(a, pts, fid, *ctx)
    area_per = a.total_area / count
    return Thickness(**cols, area_mm2=area, spacing_mm=math.sqrt(area_per),
                     sample_area_mm2=area_per, rays=nrays, flipped=flipped)


# --- refining the sampling around thin readings --------------------------------------------------

def _zone(a, th: Thickness, seeds: np.ndarray, radius_mm: float, done: np.ndarray) -> np.ndarray:
    """Faces (not in `done`) that come within radius_mm of a seed sample: a face counts when its
    centroid lies within radius_mm plus half its longest edge of one, and it is no larger than
    the disc of that radius (only a small share of a larger face is near a seed, and sampling
    all of it would spend the budget away from the band) or a seed lies on it. Only faces
    inside the seeds' grown box are looked at."""
    from scipy.spatial import cKDTree

    p = th.points[seeds]
    fc = a.face_centroids
    half = 0.5 * a.edge_lengths[a.face_edges].max(axis=1) if len(fc) <= REFINE_EDGE_FACES else None
    grow = radius_mm + (float(half.max()) if half is not None else 0.0)
    inbox = np.all((fc >= p.min(axis=0) - grow) & (fc <= p.max(axis=0) + grow), axis=1) & ~done
    cand = np.flatnonzero(inbox & (a.face_areas <= math.pi * radius_mm ** 2))
    out = np.zeros(len(fc), dtype=bool)
    if len(cand):
        d, _ = cKDTree(p).query(fc[cand], k=1, distance_upper_bound=grow)
        reach = radius_mm + (half[cand] if half is not None
                             else 0.5 * a.edge_lengths[a.face_edges[cand]].max(axis=1))
        out[cand[d <= reach]] = True
    out[np.unique(th.faces[seeds])] = True
    return out & ~done


def refine(analysis, th: Thickness, seeds: np.ndarray, spacing_mm: float, radius_mm: float,
           done: np.ndarray | None = None, salt: int = 0,
           cap: int = REFINE_MAX_SAMPLES) -> tuple[Thickness, np.ndarray]:
    """More samples, `spacing_mm` apart, on the faces within `radius_mm` of the `seeds` (thin
    readings), read like the first ones. A band thinner than the sample spacing (a blade's
    sharpened edge, a ligament beside a hole) gets only scattered first samples, which link
    into regions by chance; at the finer spacing it is read as the connected band it is.

    Every sample on the refined faces of a body (old and new; the seeds' own faces and their
    neighbours apart, each sampled at one density) then stands for an equal share of their
    area, so areas and shares stay true. At most `cap` new samples, the seeds' own faces first: past
    it the spacing grows to fit. Returns the refined readings and the faces refined so far
    (`done` plus this zone): a next pass refines only around new seeds, on new faces."""
    a = analysis
    n_f = a.model.n_faces
    done = np.zeros(n_f, dtype=bool) if done is None else done
    if not seeds.any() or spacing_mm <= 0:
        return th, done
    zone = _zone(a, th, seeds, radius_mm, done)
    zf = np.flatnonzero(zone)
    want = a.face_areas[zf] / spacing_mm ** 2
    # the seeds' own faces (the band itself) first; their neighbours (where the band may go on
    # between seeds) with what the budget leaves
    own = np.zeros(n_f, dtype=bool)
    own[th.faces[seeds]] = True
    own = own[zf]
    first = min(1.0, cap / max(float(want[own].sum()), 1.0))
    rest = min(1.0, max(cap - first * float(want[own].sum()), 0.0)
               / max(float(want[~own].sum()), 1.0))
    pts, fid = _draw(a, want * np.where(own, first, rest), zf, SALT + 3 * (1 + salt))
    if len(fid) == 0:
        return th, done | zone
    ctx, _ = _context(a)
    cols, nrays = _read(a, pts, fid, *ctx)
    # a new sample is there to read a thin wall: one whose rays read nothing (at a knife
    # edge's apex) is dropped, and its share of the area goes to the others
    keep = np.isfinite(cols["thickness_mm"])
    cols = {k: x[keep] for k, x in cols.items()}
    fid = fid[keep]
    merged = {k: np.concatenate([getattr(th, k), cols[k]]) for k in cols}
    # the refined area of each body, the seeds' faces and their neighbours apart (each sampled
    # uniformly at its own density), shared equally by every sample on it, old and new (faces
    # smaller than a spacing squared mostly get none: a face's own share would lose them)
    faces = merged["faces"]
    on = zone[faces]
    own_f = np.zeros(n_f, dtype=np.int64)
    own_f[zf[own]] = 1
    group = 2 * a.body_labels + own_f  # per face
    ng = 2 * (int(a.body_labels.max()) + 1)
    zarea = np.bincount(group[zf], weights=a.face_areas[zf], minlength=ng)
    count = np.bincount(group[faces[on]], minlength=ng)
    area = np.concatenate([th.area_mm2, np.zeros(len(fid))])
    area[on] = (zarea / np.maximum(count, 1))[group[faces[on]]]
    return replace(th, **merged, area_mm2=area, rays=th.rays + nrays), done | zone


def support(analysis, th: Thickness, idx: np.ndarray, reach_mm: float) -> np.ndarray:
    """Per listed sample: how thick (mm) is the thickest material `reach_mm` beside the reading?

    From the middle of the reading's chord, step `reach_mm` in SUPPORT_DIRECTIONS directions u
    in the wall's plane and measure chords there: along the reading's direction n, and along
    the diagonals (n + u)/sqrt 2 and (n - u)/sqrt 2 (six rays; a chord counts when both its
    rays leave the solid). The chord along n and the longer diagonal both at least
    SUPPORT_THICK_RATIO times the reading (and at least `reach_mm`: `held`) mean a body, thick across
    the wall's direction and out of its plane: the thin reading is held by it within a wall's
    width (surface relief, a crease's lip, a fin's root), not a free-standing wall. Inside a
    free-standing wall (a plate, a fin's blade, a shell, a rod) the chords cross only the wall
    or start outside the solid; ribs on a thin wall are thick along n but narrow, so both
    diagonals leave them early. Returns, per sample, the largest over the directions of
    min(chord along n, longer diagonal): 0 where every probe starts outside the solid.
    """
    import open3d as o3d

    idx = np.asarray(idx, dtype=np.int64)
    out = np.zeros(len(idx))
    if len(idx) == 0 or reach_mm <= 0:
        return out
    a = analysis
    n = th.inward[idx]
    t = th.thickness_mm[idx]
    mid = th.points[idx] + n * (0.5 * t)[:, None]
    t1, t2 = _basis(n, _face_edge(a, th.faces[idx]))
    phi = np.arange(SUPPORT_DIRECTIONS) * (2 * math.pi / SUPPORT_DIRECTIONS)
    u = np.cos(phi)[None, :, None] * t1[:, None, :] + np.sin(phi)[None, :, None] * t2[:, None, :]
    x = mid[:, None, :] + reach_mm * u  # (q, d, 3)
    d1 = (n[:, None, :] + u) / math.sqrt(2.0)
    d2 = (n[:, None, :] - u) / math.sqrt(2.0)
    nn = np.broadcast_to(n[:, None, :], x.shape)
    d = np.stack([d1, -d1, d2, -d2, nn, -nn], axis=2)  # (q, d, 6, 3)
    rays = np.concatenate([np.broadcast_to(x[:, :, None, :], d.shape), d], axis=3).reshape(-1, 6)
    ans = a.raycasting_scene.cast_rays(o3d.core.Tensor(rays.astype(np.float32)))
    t_hit = ans["t_hit"].numpy().astype(np.float64).reshape(len(idx), SUPPORT_DIRECTIONS, 6)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(t_hit.shape)
    hit = np.isfinite(t_hit)
    fn = -a.face_normals if th.flipped else a.face_normals
    leaving = hit & (np.einsum("qdkj,qdkj->qdk", fn[np.where(hit, prim, 0)], d) > 0)
    chord = np.where(leaving[..., 0::2] & leaving[..., 1::2],
                     t_hit[..., 0::2] + t_hit[..., 1::2], 0.0)  # (q, d, 3): d1, d2, n
    body = np.minimum(chord[..., 2], np.maximum(chord[..., 0], chord[..., 1]))
    return body.max(axis=1)


def held(th: Thickness, idx: np.ndarray, body_mm: np.ndarray, reach_mm: float) -> np.ndarray:
    """Support decision: material beside the reading at least SUPPORT_THICK_RATIO times the
    reading and at least `reach_mm` thick (pass reach_mm=0 to ask only 'does it grow?')."""
    return body_mm >= np.maximum(SUPPORT_THICK_RATIO * th.thickness_mm[idx], reach_mm)


def regions(points: np.ndarray, mask: np.ndarray, link_mm: float,
            values: np.ndarray | None = None, ratio: float | None = None) -> np.ndarray:
    """Connected groups of masked samples (neighbours closer than link_mm; with `values` and
    `ratio`, also within that ratio of each other): label per sample, -1 where not masked.
    Labels are ordered by first appearance, so they are deterministic."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    idx = np.flatnonzero(mask)
    out = np.full(len(points), -1, dtype=np.int64)
    if len(idx) == 0:
        return out
    pairs = cKDTree(points[idx]).query_pairs(link_mm, output_type="ndarray")
    if values is not None and ratio is not None and len(pairs):
        v = values[idx]
        pairs = pairs[np.abs(np.log(v[pairs[:, 0]] / v[pairs[:, 1]])) <= math.log(ratio)]
    m = len(idx)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, lab = connected_components(g, directed=False)
    # renumber by first appearance
    _, first = np.unique(lab, return_index=True)
    order = np.argsort(np.argsort(first))
    out[idx] = order[lab]
    return out
