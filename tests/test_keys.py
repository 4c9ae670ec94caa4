"""analysis.keys: draws tied to places on the surface, not to indices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import keys


def _cloud(n=20_000, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3)) * [30.0, 20.0, 5.0]


def test_a_point_that_does_not_move_keeps_its_key():
    p = _cloud()
    q = p.copy()
    q[:50] += 0.3  # an edit inside the box: only the moved points are re-keyed
    same = keys.position_keys(p) == keys.position_keys(q)
    assert not same[:50].any() and same[50:].all()


@pytest.mark.parametrize("k", [0.25, 4.0])
def test_a_power_of_two_scaling_keeps_every_key(k):
    p = _cloud()
    assert np.array_equal(keys.position_keys(p), keys.position_keys(p * k))


@given(k=st.floats(1e-3, 1e3), shift=st.floats(-500.0, 500.0))
@settings(max_examples=20, deadline=None)
def test_any_scaling_or_shift_keeps_the_keys_up_to_rounding(k, shift):
    """Units (mm, m, inch) and moves: a key changes only where rounding crosses a cell's side
    (odds ~1e-11 a coordinate at CELLS = 2^16)."""
    p = _cloud(5_000)
    same = keys.position_keys(p) == keys.position_keys(p * k + shift)
    assert same.mean() >= 0.999


def test_distinct_vertices_have_distinct_keys():
    p = _cloud(200_000, 1)
    assert len(np.unique(keys.position_keys(p))) == len(p)


def test_a_faces_key_does_not_depend_on_how_its_corners_are_listed():
    vk = keys.position_keys(_cloud(100))
    f = np.array([[0, 1, 2], [3, 4, 5]])
    a, ca = keys.face_keys(vk, f)
    b, cb = keys.face_keys(vk, f[:, [1, 2, 0]])
    assert np.array_equal(a, b) and np.array_equal(ca, cb)


def test_uniform_draws_are_uniform_and_streams_independent():
    k = keys.position_keys(_cloud(100_000, 2))
    u, v = keys.uniform(k, 1), keys.uniform(k, 2)
    assert u.min() >= 0.0 and u.max() < 1.0
    # Kolmogorov-Smirnov against U(0, 1): 1.63 / sqrt(n) is its 1 % critical value
    d = np.abs(np.sort(u) - (np.arange(len(u)) + 0.5) / len(u)).max()
    assert d < 1.63 / math.sqrt(len(u))
    assert abs(np.corrcoef(u, v)[0, 1]) < 4.0 / math.sqrt(len(u))


def test_keyed_poisson_draws_are_poisson_one_and_follow_their_points():
    k = keys.position_keys(_cloud(50_000, 3))
    a = keys.Draws(k, 7).poisson(1.0, (16, len(k)))
    assert a.mean() == pytest.approx(1.0, abs=0.01) and a.var() == pytest.approx(1.0, abs=0.02)
    assert np.mean(a == 0) == pytest.approx(math.exp(-1.0), abs=0.005)
    # the same points in another order, with others among them, draw the same
    order = np.random.default_rng(4).permutation(len(k))[:30_000]
    extra = keys.position_keys(_cloud(1_000, 5))
    b = keys.Draws(np.concatenate([extra, k[order]]), 7).poisson(1.0, (16, 31_000))
    assert np.array_equal(b[:, 1_000:], a[:, order])
    # successive calls are fresh streams, as a generator's are
    d = keys.Draws(k, 7)
    first, second = d.poisson(1.0, (16, len(k))), d.poisson(1.0, (16, len(k)))
    assert np.array_equal(first, a) and abs(np.corrcoef(first.ravel(), second.ravel())[0, 1]) < 0.01
