"""How deep faceting can stand, and how large the facets are that a region's relief lies on:
what the faceting test (`measure._is_texture`) compares a component with."""

from __future__ import annotations

import numpy as np

from ...analysis import detail
from .common import FACET_DEPTH


def facet_sagitta(sp, reg, facet_r: np.ndarray) -> np.ndarray:
    """(R,) the deepest relief faceting can make in each region: facets of longest edge h on a
    base form of curvature kappa (the median over the region's points of the largest curvature
    any scale fitted there) stand off it by at most h^2 kappa / 6, and never more than
    FACET_DEPTH h (where no scale fitted the base form, that bound). A ripple's own curvature,
    seen by the scales finer than it, cannot make it faceting: at lam >= 4 facets this is about a
    fifth of its depth (pi^2 h^2 / 3 lam^2)."""
    kap = sp.curvature if sp.curvature is not None else np.full(len(reg.label), np.inf)
    kap = np.where(np.isfinite(kap), kap, np.inf)
    o = np.lexsort((kap, reg.label))
    start = np.concatenate([[0], np.cumsum(reg.count)[:-1]])
    med = kap[o][start + reg.count // 2]  # each region's median (its points sorted by value)
    return facet_r * np.minimum(med * facet_r / 6.0, FACET_DEPTH)


def split_facets(sp, reg, lam: np.ndarray, facet_r: np.ndarray,
                 sag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(facet size, sagitta), each (R,), of the facets a component of wavelength lam (R,) lies
    on: facet_r and sag, plus how much larger than its triangles each point's plane is
    (`Spectrum.plane`), weighted by the point's relief at the component's plateau scale
    (sigma >= PASS_S lam, where its wave is read whole). A faceted model whose facets were split
    into small triangles keeps its kinks a facet apart; the relief they make sits on those
    planes' points, so the region reads its facets' size where its relief is, and a flat
    plane beside a ripple (no relief on it) leaves the ripple's facets as they were. Unchanged
    where no plane holds several faces."""
    if sp.plane is None:
        return facet_r, sag
    extra = sp.plane - sp.point_facet_mm
    if not (extra > 0).any():
        return facet_r, sag
    R = len(reg.count)
    safe = np.where(np.isfinite(lam), lam, 0.0)
    k = np.minimum(np.searchsorted(sp.sigmas_mm, detail.PASS_S * safe), len(sp.sigmas_mm) - 1)
    r = sp.residual[np.arange(len(reg.label)), k[reg.label]]
    pa = sp.point_area_mm2 if sp.point_area_mm2 is not None else np.ones(len(r))
    e = np.where(np.isfinite(r), r * r, 0.0) * pa
    w = np.bincount(reg.label, weights=e, minlength=R)
    more = np.bincount(reg.label, weights=e * extra, minlength=R)
    add = np.divide(more, w, out=np.zeros(R), where=w > 0)
    facet = facet_r + add
    return facet, np.where(add > 0, facet_sagitta(sp, reg, facet), sag)
