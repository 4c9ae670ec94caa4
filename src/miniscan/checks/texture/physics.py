"""The physics (DESIGN.md section 2): the four low-pass filters a component passes (the mesh, the
printer, the paint, the eye), the eye's contrast sensitivity, and the range of a visibility."""

from __future__ import annotations

import math

import numpy as np

from ... import vision
from .common import AT_RISK, STAGES


# --------------------------------------------------------------------------- the physics


def ramp(x):
    """Energy share passing a cutoff: 0 at or below it, 1 from AT_RISK times it, log-linear between."""
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(np.log(np.maximum(x, 1e-300)) / math.log(AT_RISK), 0.0, 1.0)


def _csf(f):
    return 2.6 * (0.0192 + 0.114 * f) * np.exp(-((0.114 * f) ** 1.1))


def eye_visibility(amp, lam, c) -> np.ndarray:
    """Weighted contrast c * S(f) of a relief of semi-amplitude amp and wavelength lam
    (vision.relief_visibility, vectorised). The acuity cut uses the conditions' resolvable
    size, so a camera profile (macro-photo, resolvable size given directly) is honoured."""
    amp, lam = np.broadcast_arrays(np.asarray(amp, float), np.asarray(lam, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        contrast = np.minimum(1.0, 2.0 * np.pi * amp / lam)
        f = (math.pi / 180.0) * c.distance_mm / lam
        s = vision.CSF_PEAK_SENSITIVITY * _csf(np.maximum(f, vision.CSF_PEAK_CPD))
    return np.where((lam >= 2.0 * c.resolvable_mm) & (amp > 0), contrast * s, 0.0)


def visibility_range(a_lo, a_hi, lam_lo, lam_hi, c, n: int = 9):
    """[min, max] of eye_visibility over the box a in [a_lo, a_hi], lam in [lam_lo, lam_hi]:
    it grows with a; in lam it is not monotone (contrast falls, the CSF rises), so n log-spaced
    wavelengths across the interval are evaluated at both amplitude ends."""
    t = np.linspace(0.0, 1.0, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(np.asarray(lam_hi) / lam_lo)[..., None]
        lam = np.asarray(lam_lo)[..., None] * np.exp(ratio * t)
    lo = eye_visibility(np.asarray(a_lo)[..., None], lam, c).min(axis=-1)
    hi = eye_visibility(np.asarray(a_hi)[..., None], lam, c).max(axis=-1)
    return lo, hi


def stage_factors(amp, lam, c, mean_edge_mm) -> dict[str, np.ndarray]:
    """Share of a band's energy each filter alone lets through (the budget; not verdicts).

    amp: semi-amplitude (mm), lam: wavelength (mm); a feature (bump or pore) is lam / 2 wide
    and 2 amp deep.
    """
    amp, lam = np.broadcast_arrays(np.asarray(amp, float), np.asarray(lam, float))
    width, depth = lam / 2.0, 2.0 * amp
    one = np.ones_like(lam)
    pr = c.printer
    lat = ramp(width / pr.lateral_cutoff_mm) if pr.lateral_cutoff_mm > 0 else one
    dep = ramp(depth / pr.layer_mm) if pr.layer_mm > 0 else one
    paint = (ramp(depth / c.paint_mm) * ramp(width / (2.0 * c.paint_mm))) if c.paint_mm > 0 else one
    mesh = ramp(lam / (2.0 * np.maximum(mean_edge_mm, 1e-300)))
    return {"mesh": mesh, "print": lat * dep, "paint": paint,
            "eye": ramp(eye_visibility(amp, lam, c))}


def cumulative(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out, acc = {}, 1.0
    for s in STAGES:
        acc = acc * f[s]
        out[s] = acc
    return out
