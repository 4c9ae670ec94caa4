"""Colour space: encoded sRGB -> linear light -> relative luminance Y and CIE L*.

Pure numpy functions (IEC 61966-2-1:1999 for sRGB, ITU-R BT.709 luminance weights, CIE 15:2004
for L*). The loader uses them to hold every colour sRGB-encoded (glTF stores linear light); the
colour family (analysis/colour.py) reads luminance from them.
"""

from __future__ import annotations

import numpy as np

SRGB_KNEE = 0.04045  # encoded value where the sRGB curve turns from linear to the 2.4 power
SRGB_SLOPE = 12.92  # the linear segment's slope
SRGB_GAMMA = 2.4
SRGB_OFFSET = 0.055
# relative luminance of linear sRGB (ITU-R BT.709 primaries, D65 white): Y of white = 1
LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])
CIE_EPSILON = 216.0 / 24389.0  # CIE L*: below this Y the cube root turns linear
CIE_KAPPA = 24389.0 / 27.0


def srgb_to_linear(c) -> np.ndarray:
    """Encoded sRGB in [0, 1] -> linear light (IEC 61966-2-1)."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= SRGB_KNEE, c / SRGB_SLOPE,
                    ((c + SRGB_OFFSET) / (1.0 + SRGB_OFFSET)) ** SRGB_GAMMA)


def linear_to_srgb(c) -> np.ndarray:
    """Linear light in [0, 1] -> encoded sRGB (the inverse of srgb_to_linear)."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= SRGB_KNEE / SRGB_SLOPE, c * SRGB_SLOPE,
                    (1.0 + SRGB_OFFSET) * c ** (1.0 / SRGB_GAMMA) - SRGB_OFFSET)


def luminance(rgb) -> np.ndarray:
    """Relative luminance Y in [0, 1] of encoded sRGB colours (..., 3)."""
    return srgb_to_linear(rgb) @ LUMA_WEIGHTS


def lightness(y) -> np.ndarray:
    """CIE 1976 L* (0-100) of relative luminance Y (white = 1)."""
    y = np.clip(np.asarray(y, dtype=np.float64), 0.0, None)
    return np.where(y > CIE_EPSILON, 116.0 * np.cbrt(y) - 16.0, CIE_KAPPA * y)


def michelson(y_hi, y_lo) -> np.ndarray:
    """(Y_max - Y_min) / (Y_max + Y_min); 0 where both are black."""
    y_hi, y_lo = np.asarray(y_hi, dtype=np.float64), np.asarray(y_lo, dtype=np.float64)
    s = y_hi + y_lo
    return np.divide(y_hi - y_lo, s, out=np.zeros(np.broadcast(y_hi, s).shape), where=s > 0)
