"""The physics of seeing a small model: eye, printer and paint as low-pass filters.

Pure functions of plain numbers (math only, no numpy) so they can be checked by hand
calculation and imported without cost. Lengths are millimetres at model scale, angles
in the unit their name says.
"""

from __future__ import annotations

import math

ARCMIN = math.pi / (180.0 * 60.0)  # radians per arcminute

# Specular lobe half-width phi (radians) per finish, DESIGN.md section 1. A matte
# finish spreads a highlight wide, so it tolerates crisper edges and rougher surfaces.
FINISH_LOBE_RAD: dict[str, float] = {"matte": 0.6, "satin": 0.3, "gloss": 0.1, "metal": 0.05}


def resolvable_size(distance_mm: float, acuity_arcmin: float = 1.0) -> float:
    """Smallest detail the eye separates at this distance: r = D * tan(acuity)."""
    return distance_mm * math.tan(acuity_arcmin * ARCMIN)


def angular_size_arcmin(size_mm: float, distance_mm: float) -> float:
    """Angle a detail of this size subtends at the eye, in arcminutes."""
    return 2.0 * math.atan(size_mm / (2.0 * distance_mm)) / ARCMIN


def cycles_per_degree(period_mm: float, distance_mm: float) -> float:
    """Spatial frequency of a detail of period p at distance D: f = (pi/180) * D / p."""
    return (math.pi / 180.0) * distance_mm / period_mm


def real_size(model_mm: float, scale_n: float) -> float:
    """Real-world equivalent of a model length at scale 1:N."""
    return model_mm * scale_n


def lobe_from_exponent(n: float) -> float:
    """Half-width (rad) of a Blinn-Phong lobe of exponent n: phi = sqrt(2 ln 2 / n)."""
    return math.sqrt(2.0 * math.log(2.0) / n)


def csf_mannos_sakrison(f_cpd: float) -> float:
    """Normalised contrast sensitivity A(f) (Mannos & Sakrison 1974), peak ~1 near 8 cpd."""
    return 2.6 * (0.0192 + 0.114 * f_cpd) * math.exp(-((0.114 * f_cpd) ** 1.1))


CSF_PEAK_SENSITIVITY = 250.0  # 0.4 % threshold contrast at the peak frequency
CSF_PEAK_CPD = 7.89  # where A(f) peaks (A = 0.981 there)


def contrast_sensitivity(f_cpd: float, peak: float = CSF_PEAK_SENSITIVITY) -> float:
    """Absolute sensitivity S(f) = S_peak * A(f): a contrast c is visible when c * S >= 1.

    Below the peak frequency the curve is held flat (a low-pass CSF): the measured low-
    frequency fall-off applies to gratings filling the view, not to a bump on an object with
    edges, and keeping it would make a coarse relief *more* visible from farther away.
    With the plateau, visibility never increases with distance (DESIGN.md section 5).
    """
    return peak * csf_mannos_sakrison(max(f_cpd, CSF_PEAK_CPD))


def relief_contrast(amplitude_mm: float, period_mm: float) -> float:
    """Michelson contrast of a sinusoidal relief under a key light ~45 deg off the normal.

    Lambert shading of h = a sin(2 pi x / p) changes with the slope s = 2 pi a / p; for small
    slopes the contrast is about s, and it cannot exceed 1.
    """
    return min(1.0, 2.0 * math.pi * amplitude_mm / period_mm)


def relief_visibility(amplitude_mm: float, period_mm: float, distance_mm: float,
                      acuity_arcmin: float = 1.0) -> float:
    """Weighted contrast c * S(f) of a relief; >= 1 means visible at that distance.

    Detail finer than the eye's resolvable size is invisible whatever its contrast:
    the CSF alone falls off too gently for a 1-arcminute observer, so the acuity
    limit (half a period per resolvable size, the Nyquist rule) is applied as a hard cutoff.
    """
    if period_mm <= 0 or amplitude_mm <= 0:
        return 0.0
    if period_mm < 2.0 * resolvable_size(distance_mm, acuity_arcmin):
        return 0.0
    f = cycles_per_degree(period_mm, distance_mm)
    return relief_contrast(amplitude_mm, period_mm) * contrast_sensitivity(f)


def highlight_min_radius(resolvable_mm: float, lobe_rad: float) -> float:
    """Smallest bevel whose highlight band (about R * phi wide) the eye resolves: R_min = r / phi."""
    return resolvable_mm / lobe_rad


def print_lateral_cutoff(xy_mm: float) -> float:
    """Lateral detail under about two printer pixels (or one nozzle width) is lost."""
    return 2.0 * xy_mm


def pixels_for_eye(height_mm: float, distance_mm: float, acuity_arcmin: float = 1.0) -> float:
    """Number of resolvable 'pixels' across a model of this height at this distance."""
    return angular_size_arcmin(height_mm, distance_mm) / acuity_arcmin
