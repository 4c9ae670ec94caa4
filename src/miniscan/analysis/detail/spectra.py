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
    filled: np.ndarray | None = None  # (Q, K) each point's squared residual, filled where its
    #                                   window reached a crease (_crease_reach); NaN: unmeasured
    steep: np.ndarray | None = None  # (R, K) the mean squares each wavelength's own slope is
    #                                  read from for the steep relief's loss (None: linear gain)

    @property
    def energy(self) -> np.ndarray:
        """(R, J) the reported bands (guards dropped)."""
        return self.full[:, 1:-1]


def _region_sums(lab, R, key, W, x):
    """Per region, the sum of x (Q,) over its points (R,) and over every bootstrap replicate's
    weights W (B, Q), for the rows of x (B, Q) when x is 2-D ((B, R))."""
    B = len(W)
    if x.ndim == 1:
        return (np.bincount(lab, weights=x, minlength=R),
                np.bincount(key, weights=(W * x[None, :]).ravel(),
                            minlength=R * B).reshape(B, R))
    return np.bincount(key, weights=(W * x).ravel(), minlength=R * B).reshape(B, R)


def _crease_reach(lab, R, valid, reach, r2, W):
    """(filled (Q, K), ms (R, K), boot (B, R, K)): every point's squared residual per scale, and
    in place of a window masked only because it reached one of the model's creases
    (`Spectrum.reach`) that point's own at the next finer scale times its region's ratio of
    the two scales' mean squares over the points measured at both -- ratio estimation
    (Cochran, *Sampling Techniques*, ch. 6), carried up the ladder while the window keeps
    reaching the crease (NaN where neither); and each region's mean squares over them, for
    the region and for every bootstrap replicate's weights W (B, Q), which take the same steps
    (their own ratios), so an unsteady ratio widens the interval.

    A coarse scale's windows reach a crease from more of a region's points than a finer
    scale's. Where the relief does not fill the region (a patch's rim, a region across relief
    and plain surface) the points left hold more or less of it than the region does, so each
    scale's mean square, read only where it was measured, describes a different surface and
    the fit across them reads a wavelength no one surface has (texture:20003 of the
    ground-truth suite: a ripple's corner region measured its coarsest scale on the third of
    its points inside the patch and read the wave at a third of its wavelength). Relief that
    fills the region reads the same either way. Windows masked for what the relief is (form,
    fans) are not filled: that would undo their mask."""
    Q, K = valid.shape
    B = len(W)
    key = (lab[None, :] + R * np.arange(B)[:, None]).ravel()
    filled = np.where(valid, r2, np.nan)
    ms, boot = np.full((R, K), np.nan), np.full((B, R, K), np.nan)
    prev_b = None  # the replicates' own filled values at the previous scale (None: no fill)
    for k in range(K):  # one vectorised pass per scale
        cur_b = None  # the replicates' values where they differ from `filled` (a fill here)
        fill = reach[:, k] & np.isfinite(filled[:, k - 1]) if k else np.zeros(Q, bool)
        if fill.any():
            both = valid[:, k] & valid[:, k - 1]
            sk, bk = _region_sums(lab, R, key, W, np.where(both, r2[:, k], 0.0))
            sj, bj = _region_sums(lab, R, key, W, np.where(both, r2[:, k - 1], 0.0))
            with np.errstate(divide="ignore", invalid="ignore"):
                rho, rho_b = np.where(sj > 0, sk / sj, np.nan), np.where(bj > 0, bk / bj, np.nan)
            before = filled[:, k - 1] if prev_b is None else prev_b
            cur_b = np.where(fill[None, :], before * rho_b[:, lab], filled[None, :, k])
            filled[:, k] = np.where(fill, filled[:, k - 1] * rho[lab], filled[:, k])
        have = np.isfinite(filled[:, k])
        num, num_b = _region_sums(lab, R, key, W, np.where(have, filled[:, k], 0.0))
        den, den_b = _region_sums(lab, R, key, W, have.astype(float))
        if cur_b is not None:
            hb = np.isfinite(cur_b)
            num_b = _region_sums(lab, R, key, W, np.where(hb, cur_b, 0.0))
            den_b = _region_sums(lab, R, key, W, hb.astype(float))
        ms[:, k] = num / np.maximum(den, 1)
        boot[:, :, k] = num_b / np.maximum(den_b, 1e-300)
        prev_b = cur_b
    return filled, ms, boot


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
    reach = sp.reach if sp.reach is not None else np.zeros_like(valid)
    filled, ms, boot = _crease_reach(lab, R, valid, reach, r2, W)
    ms = np.where(measured, ms, np.nan)
    boot = np.where(measured[None], boot, np.nan)
    with np.errstate(invalid="ignore"):
        noise = np.sqrt(finite_var(boot) + (model_error(sp)[None, :] * ms) ** 2)
    tilt = np.stack([np.bincount(lab, weights=sp.tilt[:, t], minlength=R)
                     for t in range(sp.tilt.shape[1])], 1) / reg.count[:, None]
    D = sp.designs(tilt)
    E, reps, misfit, brk = solve_rows(D, ms, boot, noise, bracket=True)
    return RegionSpectra(E, boot, reps[:BOOTSTRAP], brk, reps[BOOTSTRAP:], misfit, noise,
                         measured, ms, tilt, D, filled)
