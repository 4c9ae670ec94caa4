"""Edges on narrow irregular rings: how often each rim's chain reads its own radius.

Run: PYTHONPATH=src .venv/bin/python bench/edges_narrow_rings.py
(prints figures; not a unit test; about 15 s). Rings of rectangular section, 2.1 mm tall,
revolved about z and triangulated as a Delaunay mesh (tests/procedural_edges.revolve_irregular),
their four rims filleted:

- like rims: widths 1.6, 2.0 and 3.0 mm; 0.26 mm rims in 8 chords at faces of ~0.6 mm, or
  0.2 mm rims in 6 chords at ~0.5 mm; seeds 0-3 (96 rims). A rim counts when the chain whose
  faces lie nearest it reads within 15 % and its interval holds the radius.
- unlike rims: widths 1.6 and 2.2 mm; rims (0.1, 0.4, 0.1, 0.4), (0.4, 0.1, 0.4, 0.1) and
  (0.15, 0.3, 0.3, 0.15) mm (bottom-in, bottom-out, top-out, top-in) in 6 chords at ~0.5 mm;
  seeds 0-2 (72 rims). A rim counts when that chain's interval holds its radius.

The figures docs/edges.md and docs/accuracy.md quote for the station noise floor (step 4,
"The noise floor") and for joining chains across a band (`chains._in_turn`) come from here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import procedural_edges as P  # noqa: E402

from miniscan.analysis import Analysis  # noqa: E402
from miniscan.analysis.creases import find_creases  # noqa: E402
from miniscan.model import from_arrays  # noqa: E402

DETECT_MM, TURN_MIN_DEG, EYE_MM = 4.0, 30.0, 0.145  # as tests/test_edges.measure


def _nearest_chains(cr, v, f, arcs):
    """Per rim (arcs: radius, turn, profile midpoint), the chain whose faces' median (r, z)
    lies nearest its midpoint, within max(3 R, 0.5 mm); None where no chain does."""
    c = v[f].mean(axis=1)
    rz = np.c_[np.hypot(c[:, 0], c[:, 1]), c[:, 2]]
    fc = np.asarray(cr.face_chain)
    med = np.array([np.median(rz[fc == i], axis=0) for i in range(cr.count)]).reshape(-1, 2)
    out = []
    for r, _, mid in arcs:
        d = np.linalg.norm(med - np.asarray(mid, float)[None, :2], axis=1) if len(med) else []
        i = int(np.argmin(d)) if len(d) else -1
        out.append(i if i >= 0 and d[i] < max(3 * r, 0.5) else None)
    return out


def _ring(width, radii, segments, h, seed):
    corners = [(6.0, 0.0), (6.0 + width, 0.0), (6.0 + width, 2.1), (6.0, 2.1)]
    pts, arcs = P.fillet_polyline(corners, list(radii), segments, closed=True)
    v, f = P.revolve_irregular(pts, h, np.random.default_rng(seed), closed=True)
    f = P.orient(v, f)
    cr = find_creases(Analysis(from_arrays(v, f)), DETECT_MM, TURN_MIN_DEG, EYE_MM)
    return cr, _nearest_chains(cr, v, f, arcs), [r for r, _, _ in arcs]


def _holds(cr, i, r, within=None):
    if i is None or not cr.radius_lo_mm[i] <= r <= cr.radius_hi_mm[i]:
        return False
    return within is None or abs(cr.radius_mm[i] / r - 1.0) <= within


def like_rims() -> tuple[int, int]:
    good = total = 0
    for width in (1.6, 2.0, 3.0):
        for seed in range(4):
            for r, segments, h in ((0.26, 8, 0.6), (0.2, 6, 0.5)):
                cr, got, rs = _ring(width, (r,) * 4, segments, h, seed)
                ok = [_holds(cr, i, rr, 0.15) for i, rr in zip(got, rs)]
                good, total = good + sum(ok), total + len(ok)
    return good, total


def unlike_rims() -> tuple[int, int]:
    good = total = 0
    for width in (1.6, 2.2):
        for seed in range(3):
            for radii in ((0.1, 0.4, 0.1, 0.4), (0.4, 0.1, 0.4, 0.1), (0.15, 0.3, 0.3, 0.15)):
                cr, got, rs = _ring(width, radii, 6, 0.5, seed)
                ok = [_holds(cr, i, rr) for i, rr in zip(got, rs)]
                good, total = good + sum(ok), total + len(ok)
    return good, total


def main() -> None:
    t0 = time.perf_counter()
    g, n = like_rims()
    print(f"like rims:   {g}/{n} read within 15 % with their interval holding")
    g, n = unlike_rims()
    print(f"unlike rims: {g}/{n} with their interval holding")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
