"""A level reading's radius under noise: the quarter points against the turn's moments
(docs/edges.md step 4b, flanks.MOMENT_NOISE_ROWS).

Run: .venv/bin/python bench/edges_level_radius.py [--draws 4000]
A circular fillet of n rows (3, 6, 10) turning 90 degrees between flat flanks, its tangent
crossings turning half a row's share; each face's level (the profile's normal angle) is moved
by Gaussian noise of `noise` x one row's turn, independently face by face, as a vertex's noise
tilts the faces around it. Per row count and noise: the radius read by the band's quarter
points (radius._quarter_points, signed, as a level reading is) and by its turn's moments over
the noise-free turn (radius._moment_radius; the flanks' turn is read over wider faces), each
over the true radius: median, 10th and 90th percentile. Seeded: the same table every run.
"""

from __future__ import annotations

import argparse

import numpy as np

from miniscan.analysis.creases.radius import _moment_radius, _quarter_points

THETA = np.pi / 2  # the fillet's turn (rad)
RADIUS = 0.283  # mm (edges:87045's fillet; the table is in units of it)
FLANK_CROSSINGS = 3  # flat crossings either side of the band


def _band(n: int, noise: float, draws: int, rng):
    """Positions, signed turns, band mask and cells of `draws` noisy n-row bands."""
    h = RADIUS * THETA / n
    m = n + 1 + 2 * FLANK_CROSSINGS
    x = (np.arange(m) - (m - 1) / 2) * h
    t = np.zeros(m)
    t[FLANK_CROSSINGS:FLANK_CROSSINGS + n + 1] = THETA / n
    t[FLANK_CROSSINGS] = t[FLANK_CROSSINGS + n] = THETA / (2 * n)
    lev = np.concatenate([np.zeros((draws, 1)), np.cumsum(np.broadcast_to(t, (draws, m)), 1)],
                         axis=1)
    lev = lev + rng.normal(0.0, noise * THETA / n, lev.shape)
    band = np.broadcast_to(t > 0, (draws, m)).copy()
    adb = np.where(band, np.diff(lev, axis=1), 0.0)
    cl = np.full((draws, m), h / 2)
    cr = cl.copy()
    cl[:, FLANK_CROSSINGS] = cr[:, FLANK_CROSSINGS + n] = 0.0  # (tangent cells: inwards only)
    return np.broadcast_to(x, (draws, m)), adb, band, cl, cr


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=4000)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(1)
    print("rows  noise/row  quarter points: median p10 p90   moments: median p10 p90")
    for n in (3, 6, 10):
        for noise in (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0):
            x, adb, band, cl, cr = _band(n, noise, args.draws, rng)
            theta = adb.sum(axis=1)
            (q1, q3), _ = _quarter_points(x, band, adb, theta, cl, cr, True)
            with np.errstate(invalid="ignore", divide="ignore"):
                rq = 2.0 * np.maximum(q3 - q1, 0.0) / theta / RADIUS
            rm = _moment_radius(x, adb, theta, cl, cr, 0.0)[0] * theta / THETA / RADIUS
            q = [np.nanpercentile(r, p) for r in (rq, rm) for p in (50, 10, 90)]
            print(f"{n:4d}  {noise:9.2f}  {q[0]:20.3f} {q[1]:4.2f} {q[2]:4.2f}"
                  f"   {q[3]:15.3f} {q[4]:4.2f} {q[5]:4.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
