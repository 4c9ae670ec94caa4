"""The committed sample meshes: reproducible, small, loadable, with their known shapes."""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

from miniscan import samples
from miniscan.loading import load

from conftest import SAMPLES


def test_regenerating_gives_identical_files(tmp_path):
    written = samples.write_samples(tmp_path)
    assert {p.name for p, _ in written} == set(samples.SAMPLES)
    for p, _ in written:
        committed = SAMPLES / p.name
        assert committed.exists(), f"{p.name} is not committed: run `miniscan samples sample_meshes`"
        assert filecmp.cmp(p, committed, shallow=False), f"{p.name} differs from its generator"
        assert p.stat().st_size < 3 * 1024 * 1024


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_samples_load_watertight_in_mm(name):
    m = load(SAMPLES / name)
    assert m.n_faces > 1000
    assert 5 < float(np.max(m.extents)) < 40  # all are small models in mm


def test_showcase_parts_named():
    m = load(SAMPLES / "showcase_mini.glb")
    for part in ("base", "head_skin", "cloak", "blade", "shield", "spear"):
        assert part in m.part_names
    assert np.max(m.extents) == pytest.approx(29.0, abs=0.5)


def test_bevel_block_geometry():
    v, f = samples.rounded_prism(radii=(0.0, 0.05, 0.2, 0.5))
    # a fillet of radius r cuts the corner: the farthest point on the corner's diagonal
    # lies r (sqrt 2 - 1) inside the sharp corner
    for (sx, sy), r in zip([(1, 1), (-1, 1), (-1, -1), (1, -1)], (0.0, 0.05, 0.2, 0.5)):
        proj = v[:, 0] * sx + v[:, 1] * sy
        assert proj.max() == pytest.approx((8 + 5) - r * (2 - np.sqrt(2)), abs=1e-6)
