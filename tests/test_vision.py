"""vision.py against hand calculations."""

import math

import pytest
from hypothesis import given, settings, strategies as st

from miniscan import vision


def test_resolvable_size_hand_values():
    # 300 mm * tan(1/60 deg) = 300 * 2.9089e-4 = 0.08727 mm
    assert vision.resolvable_size(300, 1.0) == pytest.approx(0.0872665, rel=1e-5)
    assert vision.resolvable_size(500, 1.0) == pytest.approx(0.145444, rel=1e-5)
    # the glance of DESIGN.md: 6' at 500 mm -> 0.87 mm; at 150 mm -> 0.26 mm
    assert vision.resolvable_size(500, 6.0) == pytest.approx(0.8727, rel=1e-3)
    assert vision.resolvable_size(150, 6.0) == pytest.approx(0.2618, rel=1e-3)


def test_cycles_per_degree():
    # a 0.1 mm period at 500 mm: (pi/180) * 500 / 0.1 = 87.27 cpd
    assert vision.cycles_per_degree(0.1, 500) == pytest.approx(87.266, rel=1e-4)
    # one period per resolvable pair is 30 cpd at 1' acuity (the Nyquist limit)
    r = vision.resolvable_size(500, 1.0)
    assert vision.cycles_per_degree(2 * r, 500) == pytest.approx(30.0, rel=1e-3)


def test_real_size_and_angular_size():
    assert vision.real_size(32.0, 56) == 1792.0
    assert vision.angular_size_arcmin(vision.resolvable_size(400, 1.0), 400) == pytest.approx(1.0, rel=1e-6)


def test_csf_peak_near_8_cpd():
    fs = [0.5 * k for k in range(1, 120)]
    peak = max(fs, key=vision.csf_mannos_sakrison)
    assert 6.0 <= peak <= 10.0
    assert vision.csf_mannos_sakrison(peak) == pytest.approx(1.0, abs=0.02)
    assert vision.contrast_sensitivity(peak) == pytest.approx(250, rel=0.03)


def test_lobe_from_exponent_matches_design_table():
    assert vision.lobe_from_exponent(5) == pytest.approx(0.53, abs=0.01)
    assert vision.lobe_from_exponent(25) == pytest.approx(0.24, abs=0.01)
    assert vision.lobe_from_exponent(200) == pytest.approx(0.083, abs=0.005)


def test_highlight_min_radius_display_profile():
    # display: satin (0.3 rad) at 250 mm -> r = 0.0727 mm -> R_min = 0.242 mm
    r = vision.resolvable_size(250, 1.0)
    assert vision.highlight_min_radius(r, 0.3) == pytest.approx(0.2424, rel=1e-3)


def test_pixels_for_eye():
    # 28 mm at 500 mm and 1' -> about 190 px
    assert vision.pixels_for_eye(28, 500) == pytest.approx(192.5, abs=1.0)


def test_relief_below_acuity_is_invisible():
    r = vision.resolvable_size(500)
    assert vision.relief_visibility(0.5, 1.9 * r, 500) == 0.0
    assert vision.relief_visibility(0.05, 1.0, 500) > 1.0


@settings(max_examples=60, deadline=None)
@given(a=st.floats(1e-4, 0.5), p=st.floats(0.01, 20), d=st.floats(50, 2000), k=st.floats(1.01, 4))
def test_visibility_monotone_in_distance(a, p, d, k):
    """Farther never makes a relief more visible (the low-pass CSF plateau guarantees it)."""
    near, far = vision.relief_visibility(a, p, d), vision.relief_visibility(a, p, d * k)
    assert far <= near * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(x=st.floats(0.001, 100), d=st.floats(10, 5000), k=st.floats(0.1, 10))
def test_dimensionless_under_scaling(x, d, k):
    """Angular quantities depend only on size/distance ratios (dimensional invariance)."""
    assert vision.angular_size_arcmin(x * k, d * k) == pytest.approx(
        vision.angular_size_arcmin(x, d), rel=1e-9)
    assert vision.cycles_per_degree(x * k, d * k) == pytest.approx(
        vision.cycles_per_degree(x, d), rel=1e-9)
    assert math.isclose(vision.resolvable_size(d * k) / vision.resolvable_size(d), k, rel_tol=1e-9)
