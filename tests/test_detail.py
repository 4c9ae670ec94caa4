"""The detail-spectrum kernel (analysis/detail.py): transfer function, ladder, deconvolution."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis, detail
from miniscan.model import from_arrays


def test_transfer_is_a_high_pass():
    lam = np.geomspace(0.01, 100, 200)
    h = detail.transfer(lam, 1.0)
    assert h[0] == pytest.approx(1.0, abs=0.02)      # much finer than sigma: all residual
    assert h[-1] < 1e-3                              # much coarser: followed by the quadric
    assert np.all(np.diff(h[h > 0.01]) <= 2e-2)      # falls (within the quadrature's ripple)
    assert detail.transfer(detail.HALF, 1.0) == pytest.approx(0.5, abs=0.01)


def test_untruncated_theory_limit():
    # far below the truncation the gain matches the closed form (1 + u/2) e^(-u/2) times the box
    lam = 20.0
    u = (2 * np.pi / lam) ** 2
    closed = 1 - (1 + u / 2) * np.exp(-u / 2)
    # the 2-sigma cut and the voxel box make the real filter a little softer, not different
    assert detail.transfer(lam, 1.0) == pytest.approx(closed, abs=5e-3)


@settings(max_examples=10, deadline=None)
@given(edge=st.floats(1e-3, 1.0), ratio=st.floats(20, 5000))
def test_ladder_geometric_and_bounded(edge, ratio):
    sig, lams = detail.ladder(edge, edge * ratio)
    assert len(sig) == len(lams) + 2 <= detail.MAX_LEVELS
    assert np.allclose(sig[1:] / sig[:-1], detail.RATIO)
    assert lams[0] >= 2 * edge  # never finer than the mesh holds
    # scale-free: scaling every length scales the ladder
    sig2, lams2 = detail.ladder(edge * 8, edge * ratio * 8)
    assert np.allclose(lams2, 8 * lams)


def test_band_energies_recover_a_known_spectrum():
    sig, lams = detail.ladder(0.01, 10.0)
    guard = np.concatenate([[lams[0] / detail.RATIO ** 2], lams, [lams[-1] * detail.RATIO ** 2]])
    design = detail.transfer(guard[None, :], sig[:, None]) ** 2
    p = np.zeros(len(guard))
    p[4], p[9] = 2e-6, 5e-5  # two bands
    got = detail.band_energies(design, (design @ p)[None, :])[0]
    assert got == pytest.approx(p, abs=1e-3 * p.max())


@pytest.mark.xfail(strict=True, reason="known limitation: a ripple aligned with a regular grid "
                   "mesh is under-measured (~40 % of its rms); the ring ripples on spheres and the "
                   "egg-crate pores are measured within 5 %. See docs/texture.md, Limitations.")
def test_flat_plane_ripple_measured_like_the_theory():
    """A rippled flat sheet: the residual's rms at each scale follows a * H(lam, sigma)."""
    n, L, lam, a = 161, 8.0, 1.0, 0.05
    x, y = np.meshgrid(np.linspace(-L / 2, L / 2, n), np.linspace(-L / 2, L / 2, n), indexing="ij")
    v = np.column_stack([x.ravel(), y.ravel(), (a * np.cos(2 * np.pi * x / lam)).ravel()])
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="ij")
    p = (i * n + j).ravel()
    f = np.concatenate([np.stack([p, p + n, p + 1], 1), np.stack([p + 1, p + n, p + n + 1], 1)])
    an = Analysis(from_arrays(v, f))
    sp = detail.spectrum(an)
    inner = (np.abs(sp.points[:, 0]) < 2.0) & (np.abs(sp.points[:, 1]) < 2.0)
    rms = np.sqrt(np.nanmean(sp.residual[inner] ** 2, axis=0))
    assert np.all(np.diff(rms) > 0)  # more scale, more residual
    assert rms[-1] == pytest.approx(a / np.sqrt(2), rel=0.1)  # all of the ripple at the top
    E = sp.solve((rms ** 2)[None, :])[0]
    j = int(np.argmax(E))
    lam_hat = np.exp(np.sum(E[j - 1:j + 2] * np.log(sp.wavelengths_mm[j - 1:j + 2])) / E[j - 1:j + 2].sum())
    # an axis-aligned ripple on a regular grid is the worst case for the voxel point sets
    # (they sample it coherently): the wavelength is still found within 25 %
    assert lam_hat == pytest.approx(lam, rel=0.25)
    assert np.sqrt(2 * E.sum()) == pytest.approx(a, rel=0.25)
