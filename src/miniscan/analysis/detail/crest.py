"""How much of a wave's crest a region's vertex heights are sure to hold (docs/texture.md
section 7.35).

The wave's envelope is bounded by the largest height within half a wavelength of a vertex
(`peak._envelope_peak`, section 7.21): a disc one period across holds the wave's crest and
trough. The vertices sample the wave, so the disc's largest height stands under the crest by
the share cos(2 pi d / lambda), d the distance along the wave from the extremum to the nearest
vertex. The wave's height depends only on the position along its wavevector, and its extrema
(crest and trough: the bound reads |height|) repeat every half wavelength, so d is read from the
disc's vertices' positions along the wave taken modulo half a wavelength: whatever the wave's
phase, an extremum lies within half the largest gap g between those folded positions of a
vertex of the disc, and the share is cos(pi g / lambda). This is exact for the worst phase, and
uses no statistic of the mesh but the disc's own vertices. On a sliver lattice it is far under
its longest edge wherever the wave is oblique to the long side (rows offset across the wave
fill each other's gaps); along the long side it is the long side. A disc cut by the region's
outline still spans half a wavelength along the wave unless the wave runs along a narrow
outline, where g grows and the share falls (to 0, no bound, at g = lambda / 2)."""

from __future__ import annotations

import math

import numpy as np

# The vertex pairs within half a wavelength are read at once: at most this many (32 MB of
# float64 per array). A region or union with more (a fine mesh, tens of vertices to the
# wavelength, whose shares are then all within a few per cent of 1) keeps the faces' edge's
# share, cos(pi edge / lambda) (section 7.21).
MAX_PAIRS = 1 << 22
# Each disc's positions are sorted in a row of a table as wide as the fullest disc, unless the
# table would hold more than this many cells per pair: 1.3-1.6 on the even meshes of a 30
# vertices-a-wavelength ripple (discs at a region's outline are cut short), far more where a
# crowded disc lies among sparse ones. At 2 the table takes no more memory than ordering all
# the pairs did (the order and two sorted copies).
PAD_SHARE = 2


def crest_share(X, u, lam, edge=0.0, centres=None):
    """(n,) the share of the wave's crest each vertex's half-wavelength disc is sure to hold:
    cos(pi g / lam), g the largest gap between the positions along the unit wave direction u of
    the vertices within lam / 2 of it (X (n, 2), mm), taken modulo lam / 2 (its extrema, crest
    and trough, repeat every half wavelength, so whatever their phase one lies within g / 2 of a
    vertex of the disc; 0 where g reaches lam / 2). Over MAX_PAIRS pairs, the faces' edge's
    share cos(pi edge / lam) for every vertex. With `centres` (distinct indices), only those
    vertices' shares, in that order (each disc's share is its own pairs' alone)."""
    from scipy.spatial import cKDTree

    n = len(X)
    centres = np.arange(n) if centres is None else np.asarray(centres, dtype=np.int64)
    half = 0.5 * lam
    if not len(centres):
        return np.zeros(0)
    if _pairs_above(X, half) > MAX_PAIRS:
        return np.full(len(centres), math.cos(math.pi * min(edge / lam, 0.5)))
    ij = cKDTree(X).query_pairs(half, output_type="ndarray")
    disc = np.full(n, -1)
    disc[centres] = np.arange(len(centres))  # (a centre's disc; -1: not read)
    fwd, back = disc[ij[:, 0]] >= 0, disc[ij[:, 1]] >= 0
    a = np.concatenate([ij[fwd, 0], ij[back, 1], centres])
    b = np.concatenate([ij[fwd, 1], ij[back, 0], centres])
    t = X @ np.asarray(u, float)
    f = np.mod(t[b] - t[a], half)  # each disc vertex's position along the wave, folded
    g = _largest_gaps(disc[a], f, len(centres), half)
    return np.cos(math.pi * np.minimum(g, half) / lam)


def _largest_gaps(a, f, n, half):
    """(n,) per disc a (0..n-1, each holding its own vertex at least) the largest gap between its
    positions f in [0, half), the gap across the fold included. Each disc's positions are
    sorted in a row of their own (a table as wide as the fullest disc: sorting short rows is
    faster than ordering all the pairs at once, which took 80 % of a 6 000-vertex region's
    wave bound as np.lexsort); where that table would hold more than PAD_SHARE times the
    pairs (a crowded disc among sparse ones), all pairs are ordered by disc and position."""
    cnt = np.bincount(a, minlength=n)
    width = int(cnt.max())
    if n * width > PAD_SHARE * len(a):
        return _largest_gaps_ordered(a, f, n, half)
    o = _by_disc(a, n)
    F = np.full((n, width), np.inf)
    F[a[o], np.arange(len(a)) - np.repeat(np.cumsum(cnt) - cnt, cnt)] = f[o]
    F.sort(axis=1)
    with np.errstate(invalid="ignore"):  # (inf - inf past each row's count)
        inner = np.where(np.arange(width - 1) < (cnt - 1)[:, None], np.diff(F, axis=1), 0.0)
    return np.maximum(inner.max(axis=1, initial=0.0), F[:, 0] + half - F[np.arange(n), cnt - 1])


def _largest_gaps_ordered(a, f, n, half):
    """`_largest_gaps` over all the pairs ordered by position, then stably by disc (a disc's
    equal positions leave equal gaps in any order)."""
    o = np.argsort(f)
    o = o[_by_disc(a[o], n)]
    a, f = a[o], f[o]
    same = a[1:] == a[:-1]
    first = np.flatnonzero(np.r_[True, ~same])
    last = np.r_[first[1:] - 1, len(a) - 1]
    g = np.maximum.reduceat(np.r_[np.where(same, np.diff(f), 0.0), 0.0], first)
    return np.maximum(g, f[first] + half - f[last])


def _by_disc(a, n):
    """The order that sorts the disc indices a (0..n-1) stably: a radix sort, linear, where
    they fit 16 bits."""
    return np.argsort(a.astype(np.uint16) if n <= 1 << 16 else a, kind="stable")


def _pairs_above(X, r):
    """An upper bound of the ordered pairs of the points X (n, 2) within r of each other, in time
    linear in the points: binned into cells r square, a point's partners lie in its cell's 3 x 3
    block. Cells past MAX_PAIRS count as too many."""
    from scipy.ndimage import convolve

    ij = np.floor((X - X.min(0)) / r).astype(np.int64)
    shape = ij.max(0) + 1
    if float(np.prod(shape.astype(float))) > MAX_PAIRS:
        return MAX_PAIRS + 1
    grid = np.zeros(tuple(shape))
    np.add.at(grid, (ij[:, 0], ij[:, 1]), 1.0)
    return float((grid * convolve(grid, np.ones((3, 3)), mode="constant")).sum())
