"""Procedural textured meshes shared by the texture and detail tests."""
from __future__ import annotations

import math

import numpy as np
from scipy.spatial import Delaunay


def rotation(rng):
    """A uniformly random 3D rotation (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def sliver_ripple(lam, slope, seed, waves=12):
    """A sheet `waves` wavelengths square meshed as the ground-truth suite's sliver patches:
    cells lam/4 along the wave and lam/12 across it (the wave within 0.2 rad of the long side),
    rippled at the given slope, at a random 3D rotation. Returns (v, f, inner)."""
    rng = np.random.default_rng(seed)
    L = waves * lam
    u, w = np.meshgrid(np.arange(0, L + 1e-9, lam / 4), np.arange(0, L + 1e-9, lam / 12),
                       indexing="ij")
    xy = np.stack([u.ravel(), w.ravel()], 1) - L / 2
    ang = rng.uniform(-0.2, 0.2)
    s = xy @ np.array([math.cos(ang), math.sin(ang)])
    amp = slope * lam / (2 * math.pi)
    v = np.column_stack([xy, amp * np.cos(2 * np.pi * s / lam + rng.uniform(0, 2 * np.pi))])
    R = rotation(rng)
    return v @ R.T, Delaunay(xy).simplices, lambda p: np.abs((p @ R)[:, :2]).max(axis=1) < L / 4
