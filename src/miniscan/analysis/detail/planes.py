"""The size of the flat facet each face belongs to.

A faceted model (a low-poly CAD part, a CSG miniature) whose flat facets were split into
smaller triangles - by a remesher, a slicer's repair, or a refinement around some detail - is
still made of the same facets: the kinks between them lie a facet apart, not a triangle apart.
The texture family's faceting test reads the facet size, so it needs the plane's size, not the
triangle's. Faces join a plane across an edge where they fold by no more than the rounding of
the file's coordinates can make (the file is usually float32, whatever we hold it in), and
stay one plane only while every corner lies that close to it. A plane is a facet only among
facets: its size counts up to that of the planes around it across its kinks, so a flat sheet
between pits or beside a ripple (its neighbours the relief's small triangles) stays the size
of those triangles.
"""

from __future__ import annotations

import numpy as np

from .common import CREASE_DEG

# Two faces join one plane across an edge where they fold by no more than moving their corners
# by this many units of the precision the coordinates are stored at (of the model's largest
# coordinate) can tilt them (the sum of the two tilts, each the move over the face's height
# above the edge; rad): storing a vertex moves it by up to half a unit per axis, and four
# units covers that along any direction with room for the arithmetic that made the file. A
# smooth surface's faces fold by its curvature times their size, under this only where the
# surface is flat to within the file's own precision over a face.
PLANE_FOLD_ULPS = 4.0
FLOAT32_ULP = 2.0 ** -23  # float32's relative precision: most files' (STL, most PLY and glTF),
# and what a file's vertices scaled or refined in float64 still carry
# and never less than this (rad): the fold float64 normals leave between coplanar faces
PLANE_FOLD_MIN = 1e-6
WIDTH_CHORDS = 4.0  # a plane's size across its kinks: this many times its area over its
# longest chord, up to that chord (a triangle's area is half its chord times its height)


def plane_sizes(analysis, faces: np.ndarray, longest: np.ndarray) -> np.ndarray:
    """(len(faces),) the size of the facet each of `faces` is part of, mm. longest: their
    longest edges, the size of a face that shares no plane with a neighbour (the facet size
    before planes were read), and never more than what is returned. A plane of several faces
    measures its longest chord (`_chords`: a facet split into smaller triangles reads what it
    read whole), up to the geometric mean of its neighbours' sizes across its kinks (edges
    folding less than a crease, CREASE_DEG, weighted by length): a facet among facets. A plane
    with no such neighbour (a box's side, bounded by creases) keeps its triangles' size."""
    pl = _planes(analysis)
    if pl is None:
        return longest
    label, n, edge, pair, sep = pl
    count = np.bincount(label, minlength=n)
    several = count[label[faces]] > 1
    if not several.any():
        return longest
    size = analysis.edge_lengths[analysis.face_edges[_first_face(label, n)]].max(axis=1)
    chord = _chords(analysis, label, n, count)
    # across its kinks: a strip of a ruled surface meshed in aligned rows (a height field
    # waving along x, each row of triangles one exact plane 10 mm long and 0.1 mm wide) turns
    # every 0.1 mm, not every 10: read at its chord, the plank's 1 mm grain was faceting. A
    # plane is about its area over its chord wide, and WIDTH_CHORDS of that is its chord for
    # any triangle at least half as high as long
    with np.errstate(invalid="ignore", divide="ignore"):
        wide = WIDTH_CHORDS * np.bincount(label, weights=analysis.face_areas, minlength=n) / chord
    size = np.where(count > 1, np.fmin(chord, wide), size)
    la, lb = label[pair[:, 0]], label[pair[:, 1]]
    kink = (la != lb) & (sep < 1.0 - np.cos(np.radians(CREASE_DEG)))
    la, lb, ln = la[kink], lb[kink], analysis.edge_lengths[edge[kink]]
    logs = np.log(np.maximum(size, np.finfo(float).tiny))
    w = np.bincount(la, weights=ln, minlength=n) + np.bincount(lb, weights=ln, minlength=n)
    s = np.bincount(la, weights=ln * logs[lb], minlength=n) + \
        np.bincount(lb, weights=ln * logs[la], minlength=n)
    around = np.exp(np.divide(s, w, out=np.full(n, -np.inf), where=w > 0))  # 0: none
    facet = np.minimum(size, around)[label[faces]]
    return np.where(several, np.maximum(facet, longest), longest)


def _first_face(label: np.ndarray, n: int) -> np.ndarray:
    """(n,) a face of each plane."""
    out = np.empty(n, np.int64)
    out[label[::-1]] = np.arange(len(label))[::-1]
    return out


def _chords(analysis, label: np.ndarray, n: int, count: np.ndarray) -> np.ndarray:
    """(n,) each plane of several faces' longest chord by a double sweep: the corner furthest
    from its area centroid, then the corner furthest from that one (exact for a split triangle,
    whose furthest corner from the centroid is the one opposite its shortest edge); 0 for the
    others."""
    f = np.flatnonzero(count[label] > 1)  # the faces of planes of several faces
    keep = np.unique(label[f])
    lab = np.searchsorted(keep, label[f])  # those planes, numbered 0..P-1
    P = len(keep)
    area = analysis.face_areas[f]
    corners = np.concatenate([analysis.corner(k)[f] for k in range(3)])  # (3F, 3)
    lab3 = np.tile(lab, 3)
    w = np.bincount(lab, weights=area, minlength=P)
    fc = analysis.face_centroids[f]
    with np.errstate(invalid="ignore", divide="ignore"):  # a plane of degenerate faces only
        cen = np.stack([np.bincount(lab, weights=area * fc[:, i], minlength=P)
                        for i in range(3)], axis=1) / w[:, None]
    reach = _finite(np.linalg.norm(corners - cen[lab3], axis=1))
    top = np.zeros(P)
    np.maximum.at(top, lab3, reach)
    at = np.flatnonzero(reach >= top[lab3])  # each plane's furthest corner(s): any one will do
    far = np.empty((P, 3))
    far[lab3[at]] = corners[at]
    chord = np.zeros(P)
    np.maximum.at(chord, lab3, _finite(np.linalg.norm(corners - far[lab3], axis=1)))
    out = np.zeros(n)
    out[keep] = chord
    return out


def _finite(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, 0.0)


def _planes(analysis):
    """(plane label of every face, number of planes, interior edges, their face pairs, 1 - the
    cosine of their folds), faces joined across interior edges that fold by under the coordinates'
    precision (PLANE_FOLD_ULPS) while every corner lies that close to the plane; None where no
    two faces join."""
    nf = analysis.model.n_faces
    edge, pair = analysis.edge_faces
    if not len(edge):
        return None
    nrm = analysis.face_normals
    # folds read as 1 - cos (no arccos over every edge; it resolves folds down to ~1.5e-8
    # rad, a hundredth of PLANE_FOLD_MIN)
    sep = 1.0 - (nrm[pair[:, 0]] * nrm[pair[:, 1]]).sum(axis=1)
    # rounding a corner by du tilts a face by du over its height above the opposite edge
    # (twice its area over that edge): a sliver tilts most
    height = 2.0 * analysis.face_areas[pair] / analysis.edge_lengths[edge][:, None]
    du = _rounding(analysis.model.vertices)
    with np.errstate(divide="ignore"):
        tol = np.maximum(du * (1.0 / height).sum(axis=1), PLANE_FOLD_MIN)
    ok = (height > 0).all(axis=1)  # a degenerate face has no plane
    join = (sep <= 0.5 * tol * tol) & ok  # fold <= tol, to second order
    if not join.any():
        return None
    label, n = _components(pair[join], nf)
    # faces join pairwise, and pairs that each fold under the rounding chain along a curved
    # surface where its curvature runs along the chain (a faint ripple's triangles joined
    # into strips along its crests, 0.4 mm "facets" of 0.02 mm triangles: texture:23004, 0.7
    # um deep; slivers across a facet's 0.3 deg kink join two facets): the faces off their
    # plane part from it (those of a second facet stay a plane of their own), and a plane still
    # bent after that is no plane
    off = _off_plane(analysis, label, n, du)
    if off.any():
        join &= off[pair[:, 0]] == off[pair[:, 1]]
        label, n = _components(pair[join], nf)
        off = _off_plane(analysis, label, n, du)
        if off.any():
            bent = np.zeros(n, bool)
            bent[label[off]] = True
            label, n = _components(pair[join & ~bent[label[pair[:, 0]]]], nf)
    return label, n, edge[ok], pair[ok], sep[ok]


def _rounding(v: np.ndarray) -> float:
    """How far storing the coordinates in float32 can have moved a vertex (PLANE_FOLD_ULPS
    units of the largest coordinate, mm). Float32's whatever we hold them in: a file's
    vertices scaled, placed or refined in float64 keep the rounding they were stored with (the
    ground-truth suite's hosts are scaled: 0.4 % of their coordinates are float32 values)."""
    return PLANE_FOLD_ULPS * FLOAT32_ULP * float(np.abs(v).max())


def _components(pairs: np.ndarray, nf: int) -> tuple[np.ndarray, int]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(nf, nf))
    n, label = connected_components(g, directed=False)
    return label, n


def _off_plane(analysis, label: np.ndarray, n: int, du: float) -> np.ndarray:
    """(m,) the faces of planes of several faces with a corner further than du from their
    plane (through its area centroid, along its area-weighted normal)."""
    count = np.bincount(label, minlength=n)
    f = np.flatnonzero(count[label] > 1)
    out = np.zeros(len(label), bool)
    if not len(f):
        return out
    lab = label[f]
    area = analysis.face_areas[f]
    nrm = np.stack([np.bincount(lab, weights=area * analysis.face_normals[f, i], minlength=n)
                    for i in range(3)], axis=1)
    cen = np.stack([np.bincount(lab, weights=area * analysis.face_centroids[f, i],
                                minlength=n) for i in range(3)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        nrm = nrm / np.linalg.norm(nrm, axis=1, keepdims=True)
        cen = cen / np.bincount(lab, weights=area, minlength=n)[:, None]
        dev = np.max([np.abs(((analysis.corner(k)[f] - cen[lab]) * nrm[lab]).sum(axis=1))
                      for k in range(3)], axis=0)
    out[f] = ~(dev <= du)
    return out
