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


def crest_share(X, u, lam, edge=0.0):
    """(n,) the share of the wave's crest each vertex's half-wavelength disc is sure to hold:
    cos(pi g / lam), g the largest gap between the positions along the unit wave direction u of
    the vertices within lam / 2 of it (X (n, 2), mm), taken modulo lam / 2 (its extrema, crest
    and trough, repeat every half wavelength, so whatever their phase one lies within g / 2 of a
    vertex of the disc; 0 where g reaches lam / 2). Over MAX_PAIRS pairs, the faces' edge's
    share cos(pi edge / lam) for every vertex."""
    from scipy.spatial import cKDTree

    n = len(X)
    half = 0.5 * lam
    if _pairs_above(X, half) > MAX_PAIRS:
        return np.full(n, math.cos(math.pi * min(edge / lam, 0.5)))
    ij = cKDTree(X).query_pairs(half, output_type="ndarray")
    a = np.concatenate([ij[:, 0], ij[:, 1], np.arange(n)])
    b = np.concatenate([ij[:, 1], ij[:, 0], np.arange(n)])
    t = X @ np.asarray(u, float)
    f = np.mod(t[b] - t[a], half)  # each disc vertex's position along the wave, folded
    o = np.lexsort((f, a))
    a, f = a[o], f[o]
    g = np.zeros(n)
    same = a[1:] == a[:-1]
    np.maximum.at(g, a[1:][same], (f[1:] - f[:-1])[same])
    first, last = np.r_[True, ~same], np.r_[~same, True]
    np.maximum.at(g, a[first], f[first] + half - f[last])  # the gap across the fold
    return np.cos(math.pi * np.minimum(g, half) / lam)


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
