"""Regions: query points grouped around seeds laid by random sequential adsorption in the local
region size (`regions`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .common import (
    LOCAL_AREA_K, REGION_POINTS, SEED_CANDIDATES, SEED_CHOICES, SEED_MIN_CANDIDATES, SEED_SPACING)
from .level import _workers
from .relief import Spectrum


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Regions:
    """Patches of about REGION_POINTS query points: the unit a verdict is made on."""

    label: np.ndarray     # (Q,) region of every query point
    centroid: np.ndarray  # (R, 3) mean position of its points, mm
    count: np.ndarray     # (R,) its query points
    size_mm: float        # the seeds' spacing where the points are spread by area alone
    area: np.ndarray | None = None  # (R,) the surface its points stand for, mm^2
    # (Q,) the surface per query point around each point, as the seeds read the density (the
    # median area weight of its LOCAL_AREA_K nearest points); None: even density
    local_area: np.ndarray | None = None

    @property
    def window(self) -> np.ndarray | None:
        """(R,) the surface each region's mean squares average over, mm^2: its area where its
        points are spread evenly, less where they crowd one part of it. A mean square weighs
        every query point alike, and a point stands for the local area per point around it,
        so the window's weight on the surface is 1 / (n a_i) on point i's share a_i of it, and
        its effective (participation) area 1 / integral(w^2) = n^2 / sum(1 / a_i): the area
        times the harmonic over the arithmetic mean of the a_i (at most the area; equal to it
        where the density is even). A region straddling the rim of a refined patch holds a few
        coarse points standing for most of its area and many fine ones its mean squares are
        read from; the equal-area diameter of its area over-states the window that reads its
        relief (texture:c105021: 5 of 74 points stood for 87 % of a region 1.66 mm across by
        its area, its other 69 within 0.4 x 0.75 mm, and a 1.12 mm reading there
        counted as texture no longer than its region). The density is the seeds' own (the
        median over nearest points), so a face-to-face scatter of the points' areas, which
        does not narrow the window, is left out (docs/texture.md, "A region's window")."""
        if self.area is None or self.local_area is None:
            return self.area
        R = len(self.count)
        a = self.local_area
        ok = np.isfinite(a) & (a > 0)
        n = np.bincount(self.label, ok, R)
        s = np.bincount(self.label, np.where(ok, a, 0.0), R)
        inv = np.bincount(self.label, np.where(ok, 1.0 / np.where(ok, a, 1.0), 0.0), R)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((s > 0) & (inv > 0), n * n / (s * inv), 1.0)
        return self.area * np.clip(ratio, 0.0, 1.0)


def _local_sizes(sp: Spectrum, base: np.ndarray, points: int) -> np.ndarray:
    """(Q,) the side of a region of `points` query points around each point: sqrt(points x the
    median area weight of its LOCAL_AREA_K nearest points), so regions are smaller where the
    points are denser (finer mesh)."""
    from scipy.spatial import cKDTree

    a = sp.point_area_mm2
    if a is None:
        return np.full(len(base), math.sqrt(points * sp.area_per_point_mm2))
    k = int(min(LOCAL_AREA_K, len(base)))
    idx = cKDTree(base).query(base, k=k, workers=_workers(len(base)))[1].reshape(len(base), k)
    return np.sqrt(points * np.median(a[idx], axis=1))


def _conflicts(base: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """(P, 2) pairs i < j of points closer than the smaller of their reaches, exactly, without
    querying every point at the largest reach: points are binned by reach in octaves, and each
    bin is paired only with itself and the bins of larger reach (sparser points), at its own
    bin's largest reach (the smaller reach bounds the distance), so no query grows with the
    spread of sizes."""
    from scipy.spatial import cKDTree

    # a zero reach (no surface around the point) conflicts with nothing; keep the octaves finite
    reach = np.maximum(reach, reach.max() * 1e-9)
    octave = np.floor(np.log2(reach / reach.min())).astype(np.int64)
    out = []
    for b in np.unique(octave):  # a handful of octaves, not points
        hi = np.flatnonzero(octave >= b)
        m = cKDTree(base[hi]).query_pairs(float(reach[octave == b].max()), output_type="ndarray")
        i, j = hi[m[:, 0]], hi[m[:, 1]]
        keep = np.minimum(octave[i], octave[j]) == b  # each pair once: at its finer octave
        i, j = i[keep], j[keep]
        keep = np.linalg.norm(base[i] - base[j], axis=1) < np.minimum(reach[i], reach[j])
        out.append(np.sort(np.stack([i, j], 1)[keep], axis=1))
    return np.concatenate(out)


def _first_independent(n: int, pairs: np.ndarray) -> np.ndarray:
    """(n,) the greedy maximal independent set in index order (index = priority: queries come in
    random order), computed in rounds (Luby / Blelloch): a point joins when no undecided
    neighbour precedes it, and its neighbours leave; the same set as taking the points one by
    one, in O(log n) vectorised rounds."""
    i, j = pairs[:, 0], pairs[:, 1]   # i < j: i precedes j
    state = np.zeros(n, np.int8)      # 0 undecided, 1 chosen, -1 excluded
    while (state == 0).any():
        und = state == 0
        blocked = np.zeros(n, bool)
        blocked[j[und[i] & und[j]]] = True
        new = und & ~blocked
        state[new] = 1
        hit = np.zeros(n, bool)
        hit[j[new[i]]] = True
        hit[i[new[j]]] = True
        state[hit & (state == 0)] = -1
    return state == 1


def star_groups(n: int, i: np.ndarray, j: np.ndarray, width: np.ndarray) -> np.ndarray:
    """(n,) the star each item joins (its centre's index), -1 for none, over the agreement
    pairs (i, j): centres are the greedy maximal independent set of the graph, narrowest
    `width` first, and every other item joins its narrowest agreeing centre, so every member
    agrees with its centre (no chain of agreements drifts across a patch's edge). Stars of
    one are none. (The texture and colour families' unions of agreeing regions.)"""
    if not len(i):
        return np.full(n, -1)
    order = np.argsort(width, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    centre = np.zeros(n, bool)
    centre[order] = _first_independent(n, np.sort(np.stack([rank[i], rank[j]], 1), axis=1))
    a, b = np.concatenate([i, j]), np.concatenate([j, i])
    join = ~centre[a] & centre[b]
    best = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(best, a[join], rank[b[join]])
    group = np.where(best < n, order[np.minimum(best, n - 1)], -1)
    group[centre] = np.arange(n)[centre]
    size = np.bincount(np.maximum(group, 0), weights=(group >= 0), minlength=n)
    return np.where((group >= 0) & (size[np.maximum(group, 0)] >= 2), group, -1)


def _seeds(base: np.ndarray, n: np.ndarray, size: np.ndarray, body=None, u=None,
           asked=None) -> np.ndarray:
    """Seeds by random sequential adsorption in the local size: the candidates (a uniform
    subsample of the query points: those whose key's draw u is under SEED_CANDIDATES, or under
    the share that makes SEED_MIN_CANDIDATES of the `asked` query count on a small set; the
    points come sorted by it, so they are a prefix), in that random order, each kept unless an
    earlier kept one on its side and body lies within SEED_SPACING x the smaller of their
    sizes. One seed per size^2 wherever the density is even, however the size varies; no two
    seed grids interleave (a quantised size ladder left regions of 16-124 points on an even
    mesh where neighbouring points fell on either side of a step). u: (Q,) each point's draw
    (`keys`; None: the first share of the points). A point is a candidate by its own draw, and
    the share by the count asked for (a function of the face count), not by the points drawn:
    by its rank among all the model's points an edit elsewhere that added or dropped a few
    points changed who may seed everywhere (docs/texture.md s.7.39)."""
    share = max(SEED_CANDIDATES, SEED_MIN_CANDIDATES / max(asked or len(base), 1))
    m = min(len(base), int(share * len(base))) if u is None else int(np.count_nonzero(u < share))
    pairs = _conflicts(base[:m], SEED_SPACING * size[:m])
    a, b = pairs[:, 0], pairs[:, 1]
    same = (n[a] * n[b]).sum(axis=1) > 0
    if body is not None:
        same &= body[a] == body[b]
    return np.flatnonzero(_first_independent(m, pairs[same]))


def regions(sp: Spectrum, points: int = None) -> Regions:
    """Regions of about `points` query points, seeded by random sequential adsorption in their
    local size (`_seeds`); every query point joins the nearest seed on its side of the surface
    and of its body. Distances are taken between base points (relief removed), so a crest and
    the trough beside it always share a region, however the seeds fall on the relief. (Where
    the local size steps, or at a rim, a region may be cut short: regions under REGION_FLOOR
    are not judged.)"""
    from scipy.spatial import cKDTree

    points = points or REGION_POINTS
    base, n = sp.base_points(), sp.normals
    from .. import keys

    u = None if sp.keys is None else keys.unit(sp.keys)
    size = _local_sizes(sp, base, points)
    seeds = _seeds(base, n, size, sp.body, u, sp.asked)
    k = int(min(SEED_CHOICES, len(seeds)))
    _, idx = cKDTree(base[seeds]).query(base, k=k, workers=_workers(len(base)))
    idx = idx.reshape(len(base), k)
    ok = (n[seeds[idx]] * n[:, None, :]).sum(axis=2) > 0
    if sp.body is not None:
        ok &= sp.body[seeds[idx]] == sp.body[:, None]
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), 0)
    lab = idx[np.arange(len(base)), first]
    _, lab = np.unique(lab, return_inverse=True)  # drop seeds nobody joined
    lab = lab.ravel()
    cnt = np.bincount(lab)
    cen = np.stack([np.bincount(lab, weights=sp.points[:, j]) for j in range(3)], 1) / cnt[:, None]
    pa = sp.point_area_mm2 if sp.point_area_mm2 is not None else \
        np.full(len(lab), sp.area_per_point_mm2)
    return Regions(lab, cen, cnt, math.sqrt(points * sp.area_per_point_mm2),
                   np.bincount(lab, weights=pa),
                   None if sp.point_area_mm2 is None else size * size / points)
