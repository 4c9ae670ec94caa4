"""What every step of the texture check shares: the family's rules and codes, the tuned constants
(unit; why this value), the tri-state logic over arrays, and how numbers are written."""

from __future__ import annotations

import math

import numpy as np

from ...evidence import FAIL, PASS, UNDETERMINED
from ...rules.texture import RULES as _RULES


FAMILY = "texture"
RULE = {r.code: r for r in _RULES}
CODES = ("MS101", "MS102", "MS103", "MS104", "MS105", "MS106")

# --- constants (unit; why this value) ---
AT_RISK = 1.5            # DESIGN.md section 2: within 1.5x of a cutoff is at risk (budget ramps)
MIN_CONTRAST = 0.02      # shading contrast (slope 2 pi a / lam) below this is not "detail"
MIN_BAND_SHARE = 0.15    # a component must hold this share of its region's texture energy
SECOND_AMP = 0.7         # a second component counts with >= 0.7 x the first's amplitude (half
#                          its energy): on one pure ripple, what the power table's model error
#                          leaves after the first is fitted reads as up to ~1/3 of its energy
FACET_SPAN = 8.0         # faceting: relief at wavelengths up to this many facet sizes ...
FACET_DEPTH = 0.1        # ... not clearly deeper than the facets stand off their base form:
#                          a triangle of longest edge h on curvature kappa deviates from it by at
#                          most kappa rho^2 / 2, rho = its smallest enclosing circle's radius (h/2
#                          for right and obtuse triangles, h/sqrt(3) equilateral): h^2 kappa / 6;
#                          at most 0.1 h (a 45 deg facet's sagitta, the bound before curvature was
#                          measured). A flat base makes no facets, however faint the relief on it
SCULPT_EDGES = 4.0       # relief spanning fewer local edges than this is faceting, not sculpted
HARMONIC_SPAN = 2.0      # the scales from a component's plateau (sigma = PASS_S lam) up to this
#                          many times it (those that pass a wave twice as long) must be read
COARSER_KNOWN = 0.5      # ...on a majority of the region's points: where the relief coarser
#                          than the component bends like form there, a steep coarser wave's
#                          harmonics (lam/2, lam/3 ...) cannot be told from texture of their own
WINDOW_RESOLUTION = 1.0  # a region D across resolves frequencies to +-1 / D (cycles/mm): the first
#                          zero of a window's transform (1/D for a strip D long, 1.22/D for a disc
#                          of diameter D; regions are neither, so the strip's): relief within that
#                          of the reading is not told apart from it (docs/texture.md section 3)
SHADOW_RATIO = 2.0 / math.pi  # depth/width beyond which a 45 deg key light leaves the recess dark
CROWDING_ARCMIN = 3.0    # foveal crowding: details closer than ~3' merge (Levi 2008)
CLUTTER_CONTRAST = 0.1   # only clearly visible detail crowds (shading contrast)
STEEP_READING = False    # True: read the regions that judged a texture again with the steep
#                          relief's loss (measure.steep_spectra); measured, not kept: it takes
#                          the wavelength's p90 down but widens the amplitude's (docs/texture.md
#                          s.7.15); False: the linear gain alone
Z_SAMPLING = 2.0         # bootstrap spread -> interval: +-2 standard deviations (~95 %)
QUANTILE = 0.02          # depth: the 2-98 % spread of the relief (sparse pits count)
PEAK_MAX = 3.0           # ... at most 3x the sinusoid-equivalent depth (other bands)
MERGE_SIZES = 2.5        # flagged regions whose seeds are this many region sizes apart merge
CONC_SALT = 311          # the seed salt of the relief concentration's bootstrap (fixed: the JSON
#                          is deterministic)
KURT_SALT = 317          # the seed salt of the kurtosis' bootstrap (the depth's kappa; fixed too)
PLATEAU_READS = 9        # wavelengths, log-spaced, at whose plateau the amplitude's upper end is
#                          read across its wavelength's interval: as the visibility is read across
#                          it (s.3 of docs/texture.md), the plateau varying smoothly between them
HOLD_ITER = 48           # bisection steps for the distance range a finding holds over
STAGES = ("mesh", "print", "paint", "eye")
_P, _F, _U = 0, 1, 2     # tri-state verdicts in arrays: pass, fail (a problem), undetermined
_NAMES = {_P: PASS, _F: FAIL, _U: UNDETERMINED}


# --------------------------------------------------------------------------- tri-state logic


def tri(lo, hi, threshold, compare: str) -> np.ndarray:
    """evidence.verdict, vectorised: _F when [lo, hi] lies wholly on the problem side."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    if compare == "below":
        v = np.where(hi < threshold, _F, np.where(lo >= threshold, _P, _U))
    else:
        v = np.where(lo > threshold, _F, np.where(hi <= threshold, _P, _U))
    return np.where(lo <= hi, v, _U).astype(np.int8)


def t_and(a, b):
    """A problem only when both are (a gate and a condition): pass as soon as one passes."""
    return np.where((a == _F) & (b == _F), _F, np.where((a == _P) | (b == _P), _P, _U)).astype(np.int8)


def t_or(a, b):
    """A problem when either is (two ways to fail one rule)."""
    return np.where((a == _F) | (b == _F), _F, np.where((a == _P) & (b == _P), _P, _U)).astype(np.int8)


def t_not(a):
    return np.where(a == _F, _P, np.where(a == _P, _F, _U)).astype(np.int8)


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _percentiles(x: np.ndarray, w: np.ndarray) -> dict:
    ok = np.isfinite(x)
    if not ok.any():
        return {"p10": None, "p50": None, "p90": None}
    x, w = x[ok], w[ok]
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o]) / w.sum()
    return {f"p{p}": float(x[o][min(np.searchsorted(cw, p / 100.0), len(x) - 1)])
            for p in (10, 50, 90)}


def _gini(x: np.ndarray, w: np.ndarray) -> float:
    """Area-weighted Gini coefficient: 0 = the same everywhere, -> 1 = all in one place."""
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    cw = np.cumsum(w) / w.sum()
    cx = np.cumsum(x * w) / (x * w).sum()
    b = np.sum((cx + np.concatenate([[0.0], cx[:-1]])) * np.diff(np.concatenate([[0.0], cw])))
    return float(max(0.0, 1.0 - b))


def _span(lo: float, hi: float) -> str:
    """'lo–hi' with as many digits as it takes to tell them apart (up to 4 significant)."""
    for digits in (2, 3, 4):
        a, b = f"{lo:.{digits}g}", f"{hi:.{digits}g}"
        if a != b:
            break
    return f"{a}–{b}"


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if x >= 10:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.1f}"
    if x >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3f}"
