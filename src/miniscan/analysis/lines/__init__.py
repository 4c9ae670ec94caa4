"""Fine lines and lettering: narrow grooves and ridges found as line features and measured across.

Steps of `find_lines` (docs/lines.md derives every formula):
1. `_point_set`: the surface as area-weighted points: every vertex (a third of its faces' area,
   their area-weighted normal) plus seeded samples inside faces larger than a source cell (a CSG
   plate's fan triangles have no vertex inside), aggregated into cells split by side.
2. `_fit_base`: at each window sigma of a short ladder, a Tukey-reweighted, Gaussian-windowed
   quadric around query cells: the base surface a line is cut into or raised from. Lines are
   outliers of that fit (they cover a narrow band of the window), so the reweighting leaves
   them out. The relief of a vertex is its height over the base of its nearest query cell.
3. `_candidates`: vertices whose relief exceeds the detection floor and the fit's own noise, by
   sign (ridge +1, groove -1), joined through their faces into regions. On the piecewise-linear
   mesh the footprint area A above half the region's depth and the length P of that contour are
   exact sums over faces; a band of width w and length L has A = w L and P ~ 2 L, so its width is
   2A/P and its length P/2 (exact for rings and long bands). Elongated regions no wider than
   the window are candidates.
4. `_profiles`: cross-sections. At stations along each candidate's contour, rays along the base
   normal sample the surface across the stroke; the relief over the station's base gives the
   stroke's depth (its peak), its full width at half depth, the gap to the next stroke beyond its
   edge, and whether the surface beside it returns to the base on both sides (a line) or not (a
   crease, a step, a fold: rejected).
5. `_summarise`: per line, the medians over its valid stations and their intervals: every
   station's width and depth carry the profile step, the facets' chordal error over the slope,
   and the base fit's standard error (docs/lines.md).

Everything here is in model millimetres; the ladder, the detection floor and the gap reach come
from the check (they depend on the viewing conditions), and the result is cached under them.

Modules (each imports only those listed before it): common (the tuned constants, the Base and
LineSet values), points (step 1), base (step 2), candidates (step 3), profiles (step 4),
summary (step 5), and this package's find_lines.
"""

from __future__ import annotations

import math

import numpy as np

from .base import _assign, _fit_base
from .candidates import _candidates
from .common import Base, DETECT_SNR, LineSet, QUERY_CELLS, SALT, SOURCE_CELLS, STATIONS_TOTAL
from .points import _point_set, _unit, aggregate
from .profiles import _measure, _pick_stations
from .summary import _resolve, _select, _station_counts, _summarise

__all__ = ["Base", "LineSet", "aggregate", "find_lines"]


def _inward(a) -> bool:
    """The mesh is wound inward as a whole (negative signed volume): front faces face -n."""
    return float(np.einsum("ij,ij->", a.corner(0), np.cross(a.corner(1), a.corner(2)))) < 0.0


def find_lines(a, sigmas: tuple[float, ...], floor_mm: float, reach_mm: float,
               widest_mm: float = math.inf) -> LineSet:
    """Every line (narrow groove or ridge) up to `widest_mm` wide on the model, measured over
    bases fitted at the windows `sigmas`, with relief of at least `floor_mm`, and its gap to the
    next stroke searched `reach_mm` past its edge (module docstring)."""
    m = a.model
    records: list[dict] = []
    n_cand = 0
    if m.n_faces and sigmas:
        inward = _inward(a)
        cell0 = sigmas[0] / SOURCE_CELLS
        pts, pa, pn, nv = _point_set(a, cell0, -1.0 if inward else 1.0)
        rng = a.rng(SALT + 2)
        cen0, _, cn0, inv0, rep = aggregate(pts, pa, pn, cell0, rng)
        n0 = _unit(cn0)
        src, sa, sn = pts[rep], np.bincount(inv0, weights=pa), _unit(pn[rep])
        budget = STATIONS_TOTAL // (2 * len(sigmas))
        bases = []
        for k, sigma in enumerate(sigmas):  # a few window scales
            if k:
                _, sa, _, _, rep = aggregate(src, sa, sn, sigma / SOURCE_CELLS, rng)
                src, sn = src[rep], sn[rep]
            q, _, qn, _, _ = aggregate(src, sa, sn * sa[:, None], sigma / QUERY_CELLS)
            bases.append(_fit_base(q, _unit(qn), src, sa, sn, sigma))
        # every window reads its lines; where two windows read the same line, the reading that
        # covers more of it wins (a wide window reads a whole letter over a flat base at once,
        # a fine one the line on a small curved form or in a rough surface)
        for base in bases:
            sigma = base.sigma
            vq = _assign(base, cen0, n0)[inv0[:nv]]
            h = base.height(vq, m.vertices)
            tau = np.maximum(floor_mm, DETECT_SNR * base.noise[vq])
            for sign in (1, -1):
                cand = _candidates(a, base, vq, h, tau, floor_mm, sign)
                comps = _select(cand, sigma, widest_mm)
                n_cand += len(comps)
                if len(comps) == 0:
                    continue
                st = _pick_stations(a, cand, comps, _station_counts(cand, comps, budget))
                s = _measure(a, base, cand, st, reach_mm, inward)
                records += _summarise(a, cand, s, comps, sigma, widest_mm)
        records = _resolve(records, m.n_faces)
    return _line_set(records, m.n_faces, n_cand, tuple(float(s) for s in sigmas), reach_mm)


def _line_set(records, n_faces, n_cand, sigmas, reach) -> LineSet:
    # a deterministic order: along x, then y, then z of the centroid
    records = sorted(records, key=lambda r: tuple(np.round(r["centroid"], 6)))
    face_line = np.full(n_faces, -1, dtype=np.int64)
    for i, r in enumerate(records):
        face_line[r["faces"]] = i

    def col(key):
        return np.array([r[key] for r in records], dtype=float)

    return LineSet(
        kind=np.array([r["kind"] for r in records], dtype=np.int64), sigma_mm=col("sigma"),
        width_mm=col("width"), width_lo=col("width_lo"), width_hi=col("width_hi"),
        depth_mm=col("depth"), depth_lo=col("depth_lo"), depth_hi=col("depth_hi"),
        gap_mm=col("gap"), gap_lo=col("gap_lo"), gap_hi=col("gap_hi"), reach_mm=col("reach"),
        length_mm=col("length"), area_mm2=col("area"),
        centroid_mm=np.array([r["centroid"] for r in records]).reshape(-1, 3),
        stations=col("stations").astype(np.int64), valid=col("valid").astype(np.int64),
        first_faces=tuple(tuple(int(f) for f in r["faces"][:5]) for r in records),
        face_line=face_line, candidates=n_cand, sigmas_mm=sigmas)
