"""Region spectra (step 4): each region's spectrum and its bootstrap replicates, the measurement's
interval (`region_spectra`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import BOOTSTRAP, MIN_VALID_SHARE
from .fit import model_error
from .solve import finite_var, solve_rows
from .relief import Spectrum
from .seeds import Regions


@dataclass(frozen=True)
class RegionSpectra:
    """Each region's spectrum, and its mean squares under the measurement's own uncertainty."""

    full: np.ndarray        # (R, J + 2) mean-square relief per band incl. the two guards, mm^2
    boot: np.ndarray        # (BOOTSTRAP, R, K) Poisson-bootstrap resamples of the mean squares
    boot_full: np.ndarray   # (BOOTSTRAP, R, J + 2) their spectra (on the main active bands)
    bracket: np.ndarray     # (2, R, K) the mean squares moved by -/+ the band model's misfit
    bracket_full: np.ndarray  # (2, R, J + 2) their spectra
    misfit: np.ndarray      # (R,) relative misfit of the band model (0 = explains every scale)
    noise: np.ndarray       # (R, K) each mean square's expected error: bootstrap + model error
    measured: np.ndarray    # (R, K) the scales measured in each region
    mean_square: np.ndarray  # (R, K) the residual's mean square per scale, mm^2 (NaN: unmeasured)
    tilt: np.ndarray        # (R, T) the region's mix of tabulated tilts
    designs: np.ndarray     # (R, K, J + 2) its bands' power gains
    steep: np.ndarray | None = None  # (R, K) the mean squares each wavelength's own slope is
    #                                  read from for the steep relief's loss (None: linear gain)

    @property
    def energy(self) -> np.ndarray:
        """(R, J) the reported bands (guards dropped)."""
        return self.full[:, 1:-1]


def region_spectra(sp: Spectrum, reg: Regions, rng: np.random.Generator) -> RegionSpectra:
    """Band energies per region, with bootstrap replicates and misfit brackets.

    A scale is measured in a region when at least MIN_VALID_SHARE of its points (and 4) are
    crease-free there. Bootstrap: each query point is drawn Poisson(1) times per replicate (the
    points are independent uniform samples of the region, so this is the sampling spread of the
    region's mean squares). Their expected error adds the power table's model error.
    """
    lab, R = reg.label, len(reg.count)
    res = sp.residual
    K = res.shape[1]
    valid = np.isfinite(res)
    r2 = np.where(valid, res, 0.0) ** 2
    nvalid = np.stack([np.bincount(lab, weights=valid[:, k], minlength=R) for k in range(K)], 1)
    measured = nvalid >= np.maximum(4, MIN_VALID_SHARE * reg.count[:, None])
    W = rng.poisson(1.0, size=(BOOTSTRAP, len(lab))).astype(float)
    key = (lab[None, :] + R * np.arange(BOOTSTRAP)[:, None]).ravel()
    ms = np.full((R, K), np.nan)
    boot = np.full((BOOTSTRAP, R, K), np.nan)
    for k in range(K):  # one vectorised pass per scale
        vk = valid[:, k]
        ms[:, k] = np.bincount(lab, weights=r2[:, k], minlength=R) / np.maximum(nvalid[:, k], 1)
        wk = (W * vk[None, :]).ravel()
        num = np.bincount(key, weights=wk * np.tile(r2[:, k], BOOTSTRAP), minlength=R * BOOTSTRAP)
        den = np.bincount(key, weights=wk, minlength=R * BOOTSTRAP)
        boot[:, :, k] = (num / np.maximum(den, 1e-300)).reshape(BOOTSTRAP, R)
    ms = np.where(measured, ms, np.nan)
    boot = np.where(measured[None], boot, np.nan)
    with np.errstate(invalid="ignore"):
        noise = np.sqrt(finite_var(boot) + (model_error(sp)[None, :] * ms) ** 2)
    tilt = np.stack([np.bincount(lab, weights=sp.tilt[:, t], minlength=R)
                     for t in range(sp.tilt.shape[1])], 1) / reg.count[:, None]
    D = sp.designs(tilt)
    E, reps, misfit, brk = solve_rows(D, ms, boot, noise, bracket=True)
    return RegionSpectra(E, boot, reps[:BOOTSTRAP], brk, reps[BOOTSTRAP:], misfit, noise,
                         measured, ms, tilt, D)
