"""The power table (step 4): the simulated power gain of the fit per tilt and kind of scale
(data/texture_power.json), how far a real mesh's gain may be from it, and how many rows of
vertices a scale's window must span for the table to describe it."""

from __future__ import annotations

import math

import numpy as np

from .common import S_GRID


# --------------------------------------------------------------------------- the power table


def _power_rows() -> list:
    """The simulated table (data/texture_power.json: [tilt][kind][sigma / lam])."""
    import json
    from importlib import resources

    with resources.files("miniscan.data").joinpath("texture_power.json").open("rb") as fh:
        return json.load(fh)["rows"]


# POWER_TABLE[t, k]: the power gain of a scale of kind k (0 = raw vertices, 1.. = nested thinnings;
# the last kind serves every coarser scale) on a surface tilted TILTS_DEG[t] from its dominant
# axis, at sigma / lam = S_GRID: simulate_power(300, 20261122 + t, TILTS_DEG[t]), rounded to 4
# digits. test_detail.py re-simulates it with another seed.
POWER_TABLE = np.array(_power_rows())
# MODEL_ERROR[k]: how far a mesh's real power gain may be from the table (relative): the 90th
# percentile, over sigma / lam in [0.2, 2] (the scales that decide a band), of the largest
# relative spread between meshes jittered by 0, 0.15 and 0.3 edges (regular to irregular);
# kinds from 2 on pooled (their points are alike). Raw vertices depend on the triangulation most.
MODEL_ERROR = np.array([0.859, 0.427, 0.108, 0.108, 0.108])
# ROWS_SIM: sigma_0 over the rows of vertices across the sparsest direction (a face's largest
# altitude, 2 area / shortest edge, area-weighted mean) on the lattice the table was simulated on
# (unit edge, jittered SIM_JITTER; `sim_rows(SIM_JITTER)`): its finest window, 2 sigma_0 in
# radius, spans ~2 rows either side. A scale whose window spans fewer rows on a mesh (a sliver
# lattice's long side, a coarse part of a graded mesh) fits its quadric through one or two rows
# of points and may leave residuals the table does not describe (texture:38 of the ground-truth
# suite, 3:1 slivers: 30-50x the table's mean square at sigma 1.4-2 short edges): such a scale
# is read only where its own numbers do not show it (`resolved_scales`, checks/texture/measure.py
# `_readable`). test_detail.py re-derives it with another seed.
ROWS_SIM = 0.973


def sim_rows(jitter: float, seed: int = 20261130, n: int = 40) -> float:
    """sigma_0 (the unit edge) over the area-weighted mean largest altitude of the faces of the
    simulated lattice (`simulate_power`'s: equilateral, unit edge, jittered by `jitter` edges,
    Delaunay-triangulated)."""
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(seed)
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    uv = np.stack([i + 0.5 * j, j * math.sqrt(3) / 2], -1).reshape(-1, 2).astype(float)
    uv = uv + rng.normal(0.0, jitter, uv.shape)
    p = uv[Delaunay(uv).simplices]
    keep = np.linalg.norm(p.mean(axis=1), axis=1) < 0.6 * n  # away from the hull's slivers
    p = p[keep]
    e = np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2)
    d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    area = 0.5 * np.abs(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])
    alt = 2.0 * area / e.min(axis=1)
    return float(area.sum() / (area * alt).sum())


def row_spacing(face_areas: np.ndarray, sp, label: np.ndarray, weight: np.ndarray,
                n: int) -> np.ndarray:
    """(n,) the rows of vertices across the sparsest direction of each group's faces: the
    weighted mean (`weight` per query point, `label` its group) of the largest altitude of the
    query points' faces, 2 area / shortest edge (0.87 of the edge on an even mesh; 3 h on a
    lattice of h x 3 h cells)."""
    alt = 2.0 * face_areas[sp.faces] / np.maximum(sp.point_edge_mm, 1e-300)
    wsum = np.bincount(label, weights=weight, minlength=n)
    return np.bincount(label, weights=weight * alt, minlength=n) / np.maximum(wsum, 1e-300)


def resolved_scales(sp, rows: np.ndarray) -> np.ndarray:
    """(R, K) whether each scale's window spans as many rows of vertices across the mesh's
    sparsest direction as the power table's finest scale did (sigma_k >= ROWS_SIM x rows)."""
    return sp.sigmas_mm[None, :] >= ROWS_SIM * np.asarray(rows, float)[:, None]


def _half() -> float:
    """Wavelength, in sigmas, that a coarse scale passes at half amplitude (H = 1/2), over the
    tilts' mean."""
    lp = np.log(POWER_TABLE[:, -1].mean(axis=0))
    i = int(np.argmax(lp >= math.log(0.25)))
    return 1.0 / math.exp(np.interp(math.log(0.25), lp[i - 1:i + 1], np.log(S_GRID[i - 1:i + 1])))


HALF = _half()
