"""The steep relief's loss (measured offline; an option of the gain, not read by default):
what the fit keeps of a sinusoid whose height is a large share of its own windows, against
the power table's linear gain (docs/texture.md s.7.15).

The power table is simulated with the wave's points left on the plane (`simulate_power`: the
intercept is linear in the heights), so it cannot depend on the relief's height. On a real
surface the points are displaced by the wave: the nested thinning's voxels (SPACING x sigma,
in 3D) cut the flanks of a ripple whose height 2a is a sizeable share of a voxel into several
representatives stacked along the normal, the neighbours, their weights and the frame are
taken in 3D, and the residual keeps less of the wave. `steep_sim.simulate_steep` runs the ladder's own
chain (`relief._ladder_levels`: thinning, neighbours, frame, fit) on sheets displaced by waves
of slope 2 pi a / lam and gives the mean square over the same chain's on the undisplaced
(linear) sheet; STEEP_LOSS tabulates it per slope and sigma / lam (to sigma / lam 2.26, where
it is back to 1), STEEP_SPREAD its spread over the simulated sheets, and `steep_loss`,
`steep_spread` read them. `Spectrum.power(..., steep=)` multiplies it into the thinned scales'
gain at each wavelength's own slope (`Spectrum.steep_slope`), and the texture check's
`measure.steep_spectra` reads a region with it; that reading is measured and not kept
(checks/texture/common.STEEP_READING, docs/texture.md s.7.15)."""

from __future__ import annotations

import math

import numpy as np


def _steep_rows() -> dict:
    """The simulated table (data/texture_steep.json)."""
    import json
    from importlib import resources

    with resources.files("miniscan.data").joinpath("texture_steep.json").open("rb") as fh:
        return json.load(fh)


# STEEP_LOSS[i, j]: the fit's power gain on a sheet displaced by a wave of slope STEEP_SLOPES[i]
# (2 pi a / lam) at sigma / lam = STEEP_S[j] on a sheet tilted STEEP_TILTS[t] from z (the
# power table's tilts), over the same chain's on the linear sheet: simulate_steep(STEEP_SLOPES,
# STEEP_S, tilt_deg=STEEP_TILTS[t]), rounded to 3 digits (geometric mean over four lattices,
# three directions, two seeds); STEEP_SPREAD[t, i, j] the standard deviation of its log over
# those sheets. Slope 0 is the linear gain itself (1, no spread).
_ROWS = _steep_rows()
STEEP_SLOPES = np.array(_ROWS["slopes"])
STEEP_S = np.array(_ROWS["s"])
STEEP_TILTS = np.array(_ROWS.get("tilts", [0.0]))
STEEP_LOSS = np.array(_ROWS["loss"]).reshape(len(STEEP_TILTS), len(STEEP_SLOPES), len(STEEP_S))
STEEP_SPREAD = np.array(_ROWS.get("spread", np.zeros(STEEP_LOSS.shape))).reshape(
    STEEP_LOSS.shape)
def _bilinear(table: np.ndarray, s, slope) -> np.ndarray:
    """table (slopes, s) read bilinearly in (log s, slope); s beyond the table keeps its end
    values, slopes beyond its last row keep the last row (no extrapolation of a measured loss)."""
    s, slope = np.broadcast_arrays(np.asarray(s, float), np.asarray(slope, float))
    ls = np.clip(np.log(np.where(s > 0, s, STEEP_S[0])), math.log(STEEP_S[0]),
                 math.log(STEEP_S[-1]))
    rows = np.stack([np.interp(ls, np.log(STEEP_S), table[i]) for i in range(len(STEEP_SLOPES))])
    x = np.clip(np.where(np.isfinite(slope), slope, 0.0), STEEP_SLOPES[0], STEEP_SLOPES[-1])
    i = np.clip(np.searchsorted(STEEP_SLOPES, x, side="right") - 1, 0, len(STEEP_SLOPES) - 2)
    t = (x - STEEP_SLOPES[i]) / (STEEP_SLOPES[i + 1] - STEEP_SLOPES[i])
    lo = np.take_along_axis(rows, i[None], 0)[0]
    hi = np.take_along_axis(rows, (i + 1)[None], 0)[0]
    return lo + t * (hi - lo)


def steep_loss(s, slope, tilt: int | None = 0) -> np.ndarray:
    """The loss factor (<= ~1) for scales at sigma / lam = s and a wave of slope 2 pi a / lam on
    a surface at the tabulated tilt index `tilt` (None: every tilt, a leading axis of
    len(STEEP_TILTS)): STEEP_LOSS read by `_bilinear` in its log."""
    if tilt is None:
        return np.stack([steep_loss(s, slope, t) for t in range(len(STEEP_TILTS))])
    return np.exp(_bilinear(np.log(STEEP_LOSS[tilt]), s, slope))


def steep_spread(s, slope, tilt: int | None = 0) -> np.ndarray:
    """The loss's own uncertainty, the standard deviation of its log over the simulated sheets
    (STEEP_SPREAD), read as `steep_loss` reads the loss."""
    if tilt is None:
        return np.stack([steep_spread(s, slope, t) for t in range(len(STEEP_TILTS))])
    return _bilinear(STEEP_SPREAD[tilt], s, slope)
