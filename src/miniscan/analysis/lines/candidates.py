"""Fine lines, step 3: candidate regions (relief over the base, by sign), their width and
length."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import Base, HYSTERESIS, NO_RELIEF
from .points import _unit


# --- 3. candidate regions -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Candidates:
    """Regions of one sign at one scale, with their contour at half depth."""

    sign: int
    face_comp: np.ndarray  # (F,) component of every face, -1 none
    depth: np.ndarray  # (C,) typical peak relief (p90 of the region's vertices)
    level: np.ndarray  # (C,) contour level (half the depth, at least the floor)
    area: np.ndarray  # (C,) footprint above the level, mm^2
    perimeter: np.ndarray  # (C,) plan length of the contour, mm
    seg_comp: np.ndarray  # (S,) component of every contour segment
    seg_mid: np.ndarray  # (S, 3) segment midpoints (on the surface)
    seg_len: np.ndarray  # (S,) plan length
    seg_out: np.ndarray  # (S, 3) unit direction across the stroke, pointing out of it
    seg_query: np.ndarray  # (S,) query cell of the segment's face
    seg_normal: np.ndarray  # (S, 3) base normal at the midpoint
    floor: np.ndarray  # (C,) detection floor of the region (mean over its vertices)
    span: np.ndarray  # (C,) extent of the vertices over the level along the region's long axis
    detect: np.ndarray  # (C,) detection threshold of the region (mean over its vertices)

    @property
    def width(self) -> np.ndarray:
        return 2.0 * self.area / np.maximum(self.perimeter, 1e-300)


def _components(faces: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Face labels (-1 none): faces joined through shared vertices that are inside."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    fin = np.flatnonzero(inside[faces].any(axis=1))
    out = np.full(len(faces), -1, dtype=np.int64)
    if len(fin) == 0:
        return out
    fv = faces[fin]
    rows = np.repeat(np.arange(len(fin)), 3)
    cols = fv.ravel()
    keep = inside[cols]
    uv, vinv = np.unique(cols[keep], return_inverse=True)
    m = len(fin) + len(uv)
    g = coo_matrix((np.ones(int(keep.sum()), np.int8), (rows[keep], len(fin) + vinv)), shape=(m, m))
    _, lab = connected_components(g, directed=False)
    lab = lab[:len(fin)]
    _, first = np.unique(lab, return_index=True)
    rank = np.argsort(np.argsort(first))
    out[fin] = rank[lab]
    return out


def _per_group_quantile(values, groups, n_groups, q):
    """q-quantile of `values` within every group 0..n-1 (NaN for empty groups)."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = starts + np.floor(q * np.maximum(counts - 1, 0)).astype(np.int64)
    out = np.full(n_groups, np.nan)
    has = counts > 0
    out[has] = values[order][pick[has]]
    return out


def _above_fraction(g: np.ndarray) -> np.ndarray:
    """Share of a triangle's area where a linear function with vertex values g (F, 3) is >= 0."""
    pos = g >= 0
    npos = pos.sum(axis=1)
    frac = np.where(npos == 3, 1.0, 0.0)
    for k in (1, 2):  # the lone vertex on its side cuts a corner triangle of share a^2/((a-b)(a-c))
        rows = np.flatnonzero(npos == k)
        if len(rows) == 0:
            continue
        gl = g[rows]
        lone = np.argmax(pos[rows] if k == 1 else ~pos[rows], axis=1)
        a = gl[np.arange(len(rows)), lone]
        b = gl[np.arange(len(rows)), (lone + 1) % 3]
        c = gl[np.arange(len(rows)), (lone + 2) % 3]
        corner = a * a / np.maximum((a - b) * (a - c), 1e-300)
        frac[rows] = corner if k == 1 else 1.0 - corner
    return np.clip(frac, 0.0, 1.0)


def _segments(tri: np.ndarray, g: np.ndarray):
    """Contour segment of the level g = 0 in every triangle that it crosses: (rows, p1, p2,
    inside point) with the inside point the vertex of largest g."""
    pos = g >= 0
    npos = pos.sum(axis=1)
    rows = np.flatnonzero((npos == 1) | (npos == 2))
    gi, ti, pi = g[rows], tri[rows], pos[rows]
    pts = []
    cross = []
    for e in range(3):
        a, b = e, (e + 1) % 3
        f = gi[:, a] / np.where(gi[:, a] != gi[:, b], gi[:, a] - gi[:, b], 1.0)
        pts.append(ti[:, a] + f[:, None] * (ti[:, b] - ti[:, a]))
        cross.append(pi[:, a] != pi[:, b])
    pts = np.stack(pts, axis=1)  # (S, 3 edges, 3)
    cross = np.stack(cross, axis=1)
    first = np.argmax(cross, axis=1)
    second = 2 - np.argmax(cross[:, ::-1], axis=1)
    r = np.arange(len(rows))
    inner = ti[r, np.argmax(gi, axis=1)]
    return rows, pts[r, first], pts[r, second], inner


def _candidates(a, base: Base, vq: np.ndarray, h: np.ndarray, tau: np.ndarray,
                floor: float, sign: int) -> _Candidates:
    """Regions of relief sign * h over the detection threshold tau, grown through vertices
    over half of it (hysteresis: a groove whose depth dips near the threshold stays one
    region), and their half-depth contours (docs/lines.md)."""
    faces = a.model.faces
    s_h = np.nan_to_num(sign * h, nan=-NO_RELIEF)
    inside = s_h >= np.maximum(floor, HYSTERESIS * tau)
    fc = _components(faces, inside)
    n = int(fc.max()) + 1 if len(fc) else 0
    if n:  # keep the regions that reach the full threshold somewhere
        fsel = np.flatnonzero(fc >= 0)
        strong = (s_h >= tau)[faces[fsel]].any(axis=1)
        keep = np.bincount(fc[fsel], weights=strong.astype(float), minlength=n) > 0
        rank = np.cumsum(keep) - 1
        fc = np.where(fc >= 0, np.where(keep[np.maximum(fc, 0)], rank[np.maximum(fc, 0)], -1), -1)
        n = int(keep.sum())
        kept = np.zeros(len(h), dtype=bool)
        kept[faces[fc >= 0].ravel()] = True
        inside &= kept
    vin = np.flatnonzero(inside)
    vcomp = np.full(len(h), -1, dtype=np.int64)
    fsel = np.flatnonzero(fc >= 0)
    fv = faces[fsel]
    vcomp[fv.ravel()] = np.repeat(fc[fsel], 3)  # faces of one vertex share its component
    vin = vin[vcomp[vin] >= 0]
    depth = _per_group_quantile(s_h[vin], vcomp[vin], n, 0.9)
    weak = np.maximum(floor, HYSTERESIS * tau)
    tau_c = np.bincount(vcomp[vin], weights=weak[vin], minlength=n) / np.maximum(
        np.bincount(vcomp[vin], minlength=n), 1)
    level = np.maximum(0.5 * depth, tau_c)
    detect = np.bincount(vcomp[vin], weights=tau[vin], minlength=n) / np.maximum(
        np.bincount(vcomp[vin], minlength=n), 1)
    comp = fc[fsel]
    g = s_h[fv] - level[comp][:, None]
    tri = a.model.vertices[fv]
    centre = tri.mean(axis=1)
    qf = vq[fv[:, 0]]
    nb = base.normal(qf, centre)
    proj = np.abs(np.einsum("ij,ij->i", a.face_normals[fsel], nb))
    area = np.bincount(comp, weights=a.face_areas[fsel] * proj * _above_fraction(g), minlength=n)
    rows, p1, p2, inner = _segments(tri, g)
    d = p2 - p1
    nr = nb[rows]
    d_plan = d - np.einsum("ij,ij->i", d, nr)[:, None] * nr
    seg_len = np.linalg.norm(d_plan, axis=1)
    mid = 0.5 * (p1 + p2)
    out = _unit(np.cross(nr, d_plan))
    flip = np.einsum("ij,ij->i", out, inner - mid) > 0
    out[flip] *= -1.0
    sc = comp[rows]
    per = np.bincount(sc, weights=seg_len, minlength=n)
    held = vin[s_h[vin] >= level[vcomp[vin]]]
    span = _span(a.model.vertices[held], vcomp[held], n)
    return _Candidates(sign, fc, depth, level, area, per, sc, mid, seg_len, out, qf[rows], nr,
                       tau_c, span, detect)


def _span(p: np.ndarray, g: np.ndarray, n: int) -> np.ndarray:
    """Extent (mm) of the points of every group 0..n-1 along the group's principal axis (0 for
    a group of one point): how far the surface's own samples carry a region, whatever the
    shape of the facets between them."""
    cnt = np.maximum(np.bincount(g, minlength=n), 1)
    mean = np.stack([np.bincount(g, weights=p[:, j], minlength=n) for j in range(3)], 1) / cnt[:, None]
    d = p - mean[g]
    C = np.zeros((n, 3, 3))
    for i in range(3):  # the 3 x 3 covariance entries (a handful of passes, not a point loop)
        for j in range(i, 3):
            C[:, i, j] = C[:, j, i] = np.bincount(g, weights=d[:, i] * d[:, j], minlength=n)
    axis = np.linalg.eigh(C)[1][:, :, 2]
    x = np.einsum("ij,ij->i", d, axis[g])
    hi = np.full(n, -np.inf)
    lo = np.full(n, np.inf)
    np.maximum.at(hi, g, x)
    np.minimum.at(lo, g, x)
    return np.where(np.isfinite(hi), hi - lo, 0.0)
