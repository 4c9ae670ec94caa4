"""MS701 read again over touching regions that read the same detail alike
(checks/colour_union.py): what pooling settles, what it must not."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import colour as col
from miniscan.checks import colour as cc
from miniscan.checks.colour_union import star_unions
from miniscan.conditions import ViewingConditions

from test_colour import _posed_sheet, assert_muddy_inside, codes, run, stripes

RESERVE = cc.READABLE_RESERVE


def _sheet(period_r, cs, style, seed, distance=500.0, paint=None):
    c = ViewingConditions(distance_mm=distance)
    r = c.resolvable_mm
    p = period_r * r
    s = float(cc.sensitivity(np.array([p]), distance)[0])
    size = 5 * col.region_size_mm(r)
    h = p / 9
    model, pose = _posed_sheet(paint(p, s) if paint else stripes(p, cs / s, y0=0.3), size, h,
                               style, seed)
    return c, p, s, h, size, model, pose


@pytest.mark.parametrize("seed, period_r, style", [
    (20, 7.6, "isotropic"), (21, 7.9, "irregular"), (22, 7.3, "sliver")])
def test_faint_coarse_stripes_each_region_leaves_open_are_found_over_their_union(
        seed, period_r, style):
    """Stripes near the coarsest band's period (a region holds two of them) at C S(f) = 2.45,
    1.22 x under the reserve (colour:15011's kind). A region's four blocks of that band pooled
    with the random-paint bound at one degree of freedom know its energy to ~+-30 %: every
    region alone straddled the reserve. Touching regions read them alike; over their union the
    blocks agree and the interval ends under the reserve, while the shared terms (where
    between the bands the detail lies, what the cascade reads) still cover the truth."""
    c, p, s, h, size, model, pose = _sheet(period_r, 2.45, style, seed)
    assert_muddy_inside(run(model, c), pose, size, c, p, 2.45 / s, h)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), period_r=st.floats(5.0, 9.0),
       cs=st.floats(RESERVE * 1.15, RESERVE * 2.0),
       style=st.sampled_from(["isotropic", "irregular", "sliver"]))
def test_stripes_over_the_reserve_are_never_muddy(seed, period_r, cs, style):
    """The union only narrows where its members agree; stripes the eye reads (C S(f) 1.15-2 x
    the reserve) get no MS701 at any pose, period or triangulation."""
    c, *_, model, _ = _sheet(period_r, cs, style, seed)
    assert "MS701" not in codes(run(model, c))


def test_a_union_does_not_pool_muddy_stripes_with_readable_ones():
    """Half the sheet muddy (C S 2.0), half readable (C S 5.0): regions of the two halves read
    different detail, so no union spans both; only the muddy half fails."""
    def paint(p, s):
        def f(xy):
            half = xy[:, 1] < xy[:, 1].max() / 2
            cs = np.where(half, 2.0, 5.0)
            return 0.3 * (1.0 + cs / s * np.sin(2 * np.pi * xy[:, 0] / p))
        return f

    c, p, s, h, size, model, pose = _sheet(7.0, None, "isotropic", 23, paint=paint)
    res = run(model, c)
    inv = np.linalg.inv(pose)
    region = col.region_size_mm(c.resolvable_mm)
    fails = {"muddy": 0, "readable": 0}
    for m in res.measurements:
        if m.kind != "detail_visibility" or m.verdict != "fail":
            continue
        y = (inv[:3, :3] @ np.asarray(m.centroid_mm) + inv[:3, 3])[1]
        if y < size / 2 - region:
            fails["muddy"] += 1
        elif y > size / 2 + region:
            fails["readable"] += 1
    assert fails["muddy"] >= 4 and fails["readable"] == 0, fails


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60))
def test_every_member_of_a_union_agrees_with_its_centre(seed, n):
    """Stars, not chains: each member touches its centre, lies on its surface, reads within
    its interval (and the centre within the member's), and the centre's interval is no wider
    than the member's."""
    rng = np.random.default_rng(seed)
    cf = SimpleNamespace(cell=rng.integers(0, 4, (n, 3)), surface=rng.integers(0, 2, n))
    lo = rng.uniform(0.5, 3.0, n)
    hi = lo * np.exp(rng.uniform(0.05, 1.0, n))
    value = np.sqrt(lo * hi)  # the geometric middle
    judged = rng.random(n) < 0.9
    g = star_unions(cf, value, lo, hi, judged)
    for m in np.flatnonzero(g >= 0):
        k = g[m]
        assert judged[m] and judged[k]
        assert np.abs(cf.cell[m] - cf.cell[k]).max() <= 1
        assert cf.surface[m] == cf.surface[k]
        assert lo[k] <= value[m] <= hi[k] and lo[m] <= value[k] <= hi[m]
        assert np.log(hi[k] / lo[k]) <= np.log(hi[m] / lo[m]) + 1e-12
    sizes = np.bincount(g[g >= 0])
    assert (sizes[sizes > 0] >= 2).all()


def test_touching_regions_that_read_alike_form_one_union_and_a_corner_splits_it():
    """Three cubes in a row reading alike are one union (the narrowest its centre); a fourth
    beside them on another surface (across a corner) and a fifth reading outside their
    intervals join none."""
    cf = SimpleNamespace(cell=np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [1, 1, 0], [1, 0, 1]]),
                         surface=np.array([0, 0, 0, 1, 0]))
    value = np.array([2.0, 2.1, 1.9, 2.0, 4.0])
    lo, hi = value / np.array([1.3, 1.2, 1.4, 1.2, 1.1]), value * np.array([1.3, 1.2, 1.4, 1.2, 1.1])
    g = star_unions(cf, value, lo, hi, np.ones(5, bool))
    assert g.tolist() == [1, 1, 1, -1, -1]
