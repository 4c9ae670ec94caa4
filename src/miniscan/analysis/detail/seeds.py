"""Regions: query points grouped around seeds laid by random sequential adsorption in the local
region size (`regions`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .common import (
    LOCAL_AREA_K, MIN_VALID_SHARE, REGION_POINTS, SEED_CANDIDATES, SEED_CHOICES, SEED_MIN_CANDIDATES, SEED_SPACING, SPLIT_Z, SUPPORT)
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


def _seeds(base: np.ndarray, n: np.ndarray, size: np.ndarray, body=None) -> np.ndarray:
    """Seeds by random sequential adsorption in the local size: the candidates (the first
    SEED_CANDIDATES of the query points, a uniform subsample), in their random order, each kept
    unless an earlier kept one on its side and body lies within SEED_SPACING x the smaller of
    their sizes. One seed per size^2 wherever the density is even, however the size varies;
    no two seed grids interleave (a quantised size ladder left regions of 16-124 points on an
    even mesh where neighbouring points fell on either side of a step)."""
    m = max(min(len(base), SEED_MIN_CANDIDATES), int(SEED_CANDIDATES * len(base)))
    pairs = _conflicts(base[:m], SEED_SPACING * size[:m])
    a, b = pairs[:, 0], pairs[:, 1]
    same = (n[a] * n[b]).sum(axis=1) > 0
    if body is not None:
        same &= body[a] == body[b]
    return np.flatnonzero(_first_independent(m, pairs[same]))


def _join(base, n, seeds, body):
    """(Q,) the seed each point joins: the nearest of SEED_CHOICES on its side and body."""
    from scipy.spatial import cKDTree

    k = int(min(SEED_CHOICES, len(seeds)))
    _, idx = cKDTree(base[seeds]).query(base, k=k, workers=_workers(len(base)))
    idx = idx.reshape(len(base), k)
    ok = (n[seeds[idx]] * n[:, None, :]).sum(axis=2) > 0
    if body is not None:
        ok &= body[seeds[idx]] == body[:, None]
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), 0)
    lab = idx[np.arange(len(base)), first]
    _, lab = np.unique(lab, return_inverse=True)  # drop seeds nobody joined
    return lab.ravel()


def _median_t(num: np.ndarray, se: np.ndarray, use: np.ndarray) -> np.ndarray:
    """The median over the scales in `use` of num / se (rows; +inf where se is 0 and num > 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, num / np.where(se > 0, se, 1.0), np.where(num > 0, np.inf, 0.0))
    t = np.where(use, t, np.nan)
    out = np.full(len(t), -np.inf)
    has = use.any(axis=1)
    if has.any():
        out[has] = np.nanmedian(t[has], axis=1)
    return out


def plain_points(sp: Spectrum, base: np.ndarray, lab: np.ndarray):
    """((Q,), (Q,)): the query points whose own relief energy lies below their region's level by
    more than its sampling scatter, in regions where those points, as a group, are quieter than
    the rest beyond both groups' sampling scatter: the plain surface of a region that straddles
    a texture's edge (docs/texture.md s.2); and the points of the regions so split.

    A point's energy at scale k is the mean square of the residual over the query points within
    that scale's window (SUPPORT sigma_k, at least its LOCAL_AREA_K nearest, at most
    REGION_POINTS): the window spans the wavelengths the residual at k holds, so the mean holds
    every phase of a wave (over a fixed 16 points, a sheet evenly rippled had 13-16 of its 35
    regions split at the wave's nodes). The residual is correlated over its window, so the
    window is one sample of the relief: the energy's scatter is its points' r^2 scatter, not
    that over sqrt(n) (with sqrt(n), even relief was split at chance dips: 4-6 of 35 regions).
    It lies below the region's level (the region's mean square at k) when the gap exceeds
    SPLIT_Z of that scatter, in the median over the region's measured
    scales (no scale is chosen: a straddle shows at every scale the plain points' windows do not
    reach the texture). The region is split only when the quiet points' own mean square, as a
    group, lies below the rest's by SPLIT_Z of the two groups' standard errors at the median
    scale: on even relief a local mean dips by chance, a group of independent points much
    less."""
    from scipy.spatial import cKDTree

    res = sp.residual
    Q, K = res.shape
    R = int(lab.max()) + 1
    valid = np.isfinite(res)
    r2 = np.where(valid, res, 0.0) ** 2
    nvalid = np.stack([np.bincount(lab, weights=valid[:, k], minlength=R) for k in range(K)], 1)
    cnt = np.bincount(lab, minlength=R)
    measured = nvalid >= np.maximum(4, MIN_VALID_SHARE * cnt[:, None])   # as region_spectra
    level = np.stack([np.bincount(lab, weights=r2[:, k], minlength=R) for k in range(K)], 1) \
        / np.maximum(nvalid, 1)
    k_nb = int(min(REGION_POINTS, Q))
    dist, idx = cKDTree(base).query(base, k=k_nb, workers=_workers(Q))
    dist, idx = dist.reshape(Q, k_nb), idx.reshape(Q, k_nb)
    inwin = dist[:, :, None] <= SUPPORT * sp.sigmas_mm[None, None, :]   # (Q, k, K)
    inwin[:, :LOCAL_AREA_K, :] = True
    vn = valid[idx] & inwin
    nn = vn.sum(axis=1)
    e = (r2[idx] * vn).sum(axis=1) / np.maximum(nn, 1)
    var = ((r2[idx] - e[:, None, :]) ** 2 * vn).sum(axis=1) / np.maximum(nn - 1, 1)
    se = np.sqrt(var)  # the window's points are one correlated sample of the relief
    use = measured[lab] & (nn >= 2) & valid
    quiet = _median_t(level[lab] - e, se, use) > SPLIT_Z

    def group(m):  # the group test: quiet points against the rest of their region, per scale
        w = (valid & m[:, None]).astype(float)
        n_ = np.stack([np.bincount(lab, weights=w[:, k], minlength=R) for k in range(K)], 1)
        s1 = np.stack([np.bincount(lab, weights=w[:, k] * r2[:, k], minlength=R)
                       for k in range(K)], 1)
        s2 = np.stack([np.bincount(lab, weights=w[:, k] * r2[:, k] ** 2, minlength=R)
                       for k in range(K)], 1)
        mu = s1 / np.maximum(n_, 1)
        v = np.maximum(s2 / np.maximum(n_, 1) - mu ** 2, 0.0) * n_ / np.maximum(n_ - 1, 1)
        return mu, v / np.maximum(n_, 1), n_
    mq, vq, nq = group(quiet)
    mr, vr, nr = group(~quiet)
    ok = measured & (nq >= 2) & (nr >= 2)
    split = _median_t(mr - mq, np.sqrt(vq + vr), ok) > SPLIT_Z
    return quiet & split[lab], split[lab]


def _reseed(base, n, size, body, kept):
    """Seeds again under a finer partition `body`: the `kept` seeds first (the first pass's
    seeds on the texture's side: a region not split keeps its seed, and so its points), then the candidates of `_seeds` in their random
    order, each kept unless an earlier kept one of its side and body lies within SEED_SPACING x
    the smaller of their sizes: the adsorption fills the plain side, and the texture's side
    where a split region's seed fell on the plain side."""
    m = max(min(len(base), SEED_MIN_CANDIDATES), int(SEED_CANDIDATES * len(base)))
    cand = np.arange(m)
    order = np.concatenate([kept, cand[~np.isin(cand, kept)]])
    pairs = _conflicts(base[order], SEED_SPACING * size[order])
    a, b = order[pairs[:, 0]], order[pairs[:, 1]]
    same = ((n[a] * n[b]).sum(axis=1) > 0) & (body[a] == body[b])
    return order[_first_independent(len(order), pairs[same])]


def regions(sp: Spectrum, points: int = None) -> Regions:
    """Regions of about `points` query points, seeded by random sequential adsorption in their
    local size (`_seeds`); every query point joins the nearest seed on its side of the surface
    and of its body. Distances are taken between base points (relief removed), so a crest and
    the trough beside it always share a region, however the seeds fall on the relief. (Where
    the local size steps, or at a rim, a region may be cut short: regions under REGION_FLOOR
    are not judged.) Then the plain points of regions that straddle a texture's edge
    (`plain_points`) are set apart like another body, and the regions are seeded again: a
    region holds either the texture or the plain surface beside it, each of ~`points`."""
    points = points or REGION_POINTS
    base, n = sp.base_points(), sp.normals
    size = _local_sizes(sp, base, points)
    seeds = _seeds(base, n, size, sp.body)
    lab = _join(base, n, seeds, sp.body)
    plain, split = plain_points(sp, base, lab)
    if plain.any():
        body = plain.astype(np.int64) if sp.body is None else \
            np.asarray(sp.body, np.int64) * 2 + plain
        seeds = _reseed(base, n, size, body, seeds[~plain[seeds]])
        lab = _join(base, n, seeds, body)
    cnt = np.bincount(lab)
    cen = np.stack([np.bincount(lab, weights=sp.points[:, j]) for j in range(3)], 1) / cnt[:, None]
    pa = sp.point_area_mm2 if sp.point_area_mm2 is not None else \
        np.full(len(lab), sp.area_per_point_mm2)
    return Regions(lab, cen, cnt, math.sqrt(points * sp.area_per_point_mm2),
                   np.bincount(lab, weights=pa))
