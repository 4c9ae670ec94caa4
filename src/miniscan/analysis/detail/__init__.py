"""The multiscale detail spectrum: how much surface relief a model carries at each wavelength.

Method (docs/texture.md derives every step and its constants):

1. Query points: `Q` random samples on the surface (every draw a hash of the place it is
   drawn at, `analysis.keys`: an edit elsewhere moves none), half by area and half by face
   count, each with the area it stands for: every square millimetre is sampled, and where the
   mesh is finer (where the modeller put the detail) the points, and so the regions, are denser;
   regions of ~REGION_POINTS are seeded by random sequential adsorption in the local size.
2. A ladder of scales sigma_k (geometric, ratio sqrt 2) from one median edge length to the scale
   whose band is ~1/10 of the model's diagonal.
3. At each scale the surface is summarised by a point set whose spacing grows with sigma: the
   vertices themselves while a window holds few of them, then one representative surface point
   per voxel of SPACING * sigma (nested: each scale thins the previous one; split between
   members facing away from each other and by body), carrying its voxel's area and normal.
   Representatives are points of the surface, not averages: nothing sinks inside a curve, no
   box smooths the relief.
   Around every query point a Gaussian-weighted (sigma_k) surface z = c0 + c1 x + c2 y + c3 x^2
   + c4 xy + c5 y^2 + c6 r^4 is fitted in the local tangent frame; the residual r_k = -c0 is the
   relief finer than sigma_k. The r^4 term absorbs the isotropic quartic part of a smooth base
   form (the only part of it that leaks into the intercept under a symmetric window): a small
   sphere's or a limb's curvature does not read as relief.
4. For a sinusoid of wavelength lam the residual keeps a share H_k(lam)^2 of its mean square:
   the power gain of this very fit on these very point sets, simulated once (`simulate_power`)
   per kind of scale (raw vertices, then nested representatives) and per tilt of the surface to
   the grid axes (the voxels' density on the surface depends on it), tabulated in POWER_TABLE.
   The residual's mean
   square at scale k is then sum_j H_k(lam_j)^2 p_j with p_j the mean-square relief of band j; a
   non-negative least-squares solve of that small system gives the spectrum of any group of
   query points (`region_spectra`, with bootstrap replicates for the measurement's interval),
   and `refine` fits a component's wavelength continuously.

Everything is relative to the model's own lengths (median edge, diagonal), so the method is
scale-invariant. Cost: O(N log N) for the point sets, O(Q * levels * K_NEIGHBOURS) for the fits.

Modules (each imports only those listed before it): common (the tuned constants), table (the
power table, step 4), fit (the local fit's basis, its simulated power gain, the ladder of
scales), steep (the steep relief's loss, measured offline, an option of the gain not read by
default; its simulation runs relief's chain, imported when run), points (step 3's point sets
and their thinning), level (one scale's fits), solve (the band energies' non-negative solve),
planes (the size of the flat facet each face is part of), relief (steps 1-3 over the whole
ladder: `compute`, `spectrum`), seeds (regions seeded by random sequential adsorption), spectra
(each region's spectrum and its bootstrap), components (a component's wavelength and amplitude,
its concentration, the ladder's resolution), peak (a region's wavelength read as its vertex
relief's periodogram peak, where one is significant).
"""

from __future__ import annotations

from .common import (
    BOOT_SALT, BOOTSTRAP, draws, equal_area_span, MAX_LEVELS, PASS_S, RATIO, REGION_FLOOR, REGION_POINTS, S_GRID,
    SIM_JITTER, SIM_LEVELS, poisson_weights, SUPPORT, TILTS_DEG)
from .components import (
    _clipped_plane, component, concentration, concentration_bound, ladder_resolution, peak_bands,
    plateau, plateau_scale, refine, window_table, WindowTable)
from .fit import (
    fit_basis, guard_bands, ladder, model_error, power_gain, simulate_power, tilt_weights,
    transfer)
from .level import fit_level, Level
from .points import Points, thin
from .relief import _crease_lines, _crease_points, _mask_form, compute, Spectrum, spectrum
from .seeds import Regions, regions
from .peak import carrier_envelopes, FALSE_ALARM, peak_noise_share, peak_wavelengths, vertex_relief
from .steep import steep_loss, steep_spread, STEEP_LOSS, STEEP_S, STEEP_SLOPES, STEEP_SPREAD, \
    STEEP_TILTS
from .steep_sim import simulate_steep
from .solve import band_energies, finite_var, solve_rows
from .spectra import region_spectra, RegionSpectra
from .table import HALF, POWER_TABLE, resolved_scales, row_spacing, ROWS_SIM, sim_rows

__all__ = ["band_energies", "BOOT_SALT", "BOOTSTRAP", "carrier_envelopes", "component", "compute",
           "concentration", "concentration_bound", "draws", "equal_area_span", "FALSE_ALARM", "finite_var",
           "fit_basis", "fit_level", "guard_bands", "HALF", "ladder", "ladder_resolution",
           "Level", "MAX_LEVELS", "model_error", "PASS_S", "peak_bands", "peak_noise_share", "peak_wavelengths",
           "plateau",
           "plateau_scale", "poisson_weights",
           "Points", "power_gain", "POWER_TABLE", "RATIO", "refine", "REGION_FLOOR",
           "REGION_POINTS", "region_spectra", "Regions", "regions", "RegionSpectra",
           "resolved_scales", "row_spacing", "ROWS_SIM", "S_GRID", "SIM_JITTER", "SIM_LEVELS",
           "sim_rows", "simulate_power", "solve_rows", "Spectrum", "spectrum", "SUPPORT", "thin",
           "tilt_weights", "TILTS_DEG", "transfer", "vertex_relief", "window_table", "WindowTable"]
