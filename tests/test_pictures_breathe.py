"""Pictures that breathe: at most MAX_CALLOUTS discs, the worst first, never overlapping; the
thickness heat map with its colour bar in model and real mm and the printer's minimum marked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.conditions import resolve
from miniscan.findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location
from miniscan.model import from_arrays
from miniscan.render import callouts as co
from miniscan.render.layers import from_face_layer


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 800), st.floats(0, 600)), min_size=0, max_size=30),
       st.floats(10, 30))
def test_column_discs_never_overlap_and_keep_height_order(anchors, radius):
    gap = co.DISC_GAP_RADII * radius
    xs, ys = (radius * 1.5, 800 - radius * 1.5), (radius, 600 - radius)
    pos, ok = co.column_positions(anchors, xs, ys, gap)
    cap = int((ys[1] - ys[0]) // gap) + 1
    assert ok.sum() == min(len(anchors), 2 * cap)
    a = np.asarray(anchors, dtype=float).reshape(-1, 2)
    for x in xs:
        col = np.flatnonzero(ok & (pos[:, 0] == x))
        y = pos[col, 1]
        assert np.all((y >= ys[0] - 1e-9) & (y <= ys[1] + 1e-9))
        order = np.argsort(a[col, 1], kind="stable")
        assert np.all(np.diff(y[order]) >= gap - 1e-9)  # apart, and in the anchors' order
    placed = pos[ok]
    d = np.linalg.norm(placed[:, None] - placed[None], axis=2) + np.eye(len(placed)) * 1e9
    assert (d >= gap - 1e-9).all()


def test_pick_keeps_the_worst_and_lists_the_rest():
    import trimesh

    m = trimesh.creation.box((10, 10, 10))
    an = Analysis(from_arrays(m.vertices, m.faces))
    at = Location((0.0, 0.0, 5.0))
    numbered = [(i + 1, "edges", Finding("MS201", f"w{i}", location=at, count=1 + i % 3))
                for i in range(20)]
    numbered += [(21, "edges", Finding("MS203", "info", location=at)),
                 (22, "health", Finding("MS904", "whole model"))]
    numbered.insert(5, (99, "scale", Finding("MS501", "err", location=at, severity="error")))
    shown, rest = co.pick(numbered, an)
    assert len(shown) == co.MAX_CALLOUTS
    assert shown[0][0] == 99  # the error first
    # then one per rule: the MS201 with the most places, then the MS203 (an info, listed)
    assert shown[1][2].code == "MS201" and shown[1][2].count == 3
    assert [f.code for _, _, f in shown].count("MS501") == 1
    assert {n for n, _, _ in rest} >= {21, 22}  # an info and a whole-model finding are listed
    assert len(shown) + len(rest) == len(numbered)


@pytest.fixture(scope="module")
def crowded(gl_ok):
    """A figure with 30 findings spread over it (a crowded goblin)."""
    import trimesh

    body = trimesh.creation.capsule(16.0, 4.0, count=(24, 24))
    body.apply_translation((0, 0, 12.0))
    model = from_arrays(body.vertices, body.faces)
    an = Analysis(model)
    rng = np.random.default_rng(3)
    faces = rng.choice(model.n_faces, 30, replace=False)
    fs = tuple(Finding("MS201", f"place {i}",
                       location=Location(tuple(an.face_centroids[k]), faces=(int(k),)))
               for i, k in enumerate(faces))
    return model, an, (CheckResult("edges", findings=fs),)


def test_overview_has_at_most_twelve_discs_that_never_overlap(crowded):
    from miniscan.render.scene import Renderer
    from miniscan.render.sheets import overview

    model, an, results = crowded
    numbered = co.numbered_findings(results)
    with Renderer(model, 900, 900) as ren:
        img, cs, cam = overview(ren, resolve("tabletop"), results, an, numbered, 900)
    assert 0 < len(cs) <= co.MAX_CALLOUTS
    r = max(12.0, 900 / 80 * 0.85)
    p = np.array([c.label_px for c in cs])
    d = np.linalg.norm(p[:, None] - p[None], axis=2) + np.eye(len(p)) * 1e9
    assert (d >= 2 * r).all()
    # every disc stays inside the render area, left of the legend panel
    assert (p[:, 0] - r >= 0).all() and (p[:, 0] + r <= 900 * 0.68 + 1).all()


@dataclass(frozen=True)
class ThicknessDouble(FamilyLayers):
    """What the scale family's ThicknessLayers gives the pictures (a test double)."""

    face_thickness_mm: np.ndarray
    min_wall_mm: float

    def face_layers(self):
        return (FaceLayer("thickness", self.face_thickness_mm, unit="mm",
                          label="wall thickness", kind="value",
                          marks=((self.min_wall_mm, f"printer minimum {self.min_wall_mm:g} mm"),)),)


def test_thickness_heat_map_marks_the_printer_minimum_in_model_and_real_mm(gl_ok):
    import trimesh

    from miniscan.render import draw
    from miniscan.render.heatmap import heat_sheet
    from miniscan.render.scene import Renderer

    m = trimesh.creation.box((10, 4, 20)).subdivide().subdivide()
    model = from_arrays(m.vertices, m.faces)
    an = Analysis(model)
    t = 0.6 + 1.4 * (an.face_centroids[:, 2] / 20.0)  # 0.6 .. 2.0 mm: all above the minimum
    lay = from_face_layer("scale", ThicknessDouble(t, 0.4).face_layers()[0])
    assert lay.cmap == "RdYlBu" and lay.unit == "mm"
    lo, hi = lay.limits()
    assert lo < 0.4 < hi  # the minimum is on the bar although no face is that thin
    cond = resolve("tabletop")
    size = 1000
    with Renderer(model, size, size) as ren:
        img, _ = heat_sheet(ren, lay, ["front"], cond, size)
    arr = np.asarray(img.convert("RGB"))
    fs = draw.text_size(size)
    n_views, margin = 1, fs
    tile_w = (size - margin * (n_views + 1)) // n_views
    tile_h = int(tile_w * 0.85)
    y = int(fs * 4.2) + tile_h + fs + fs  # heat_sheet's colour bar row (marks make room)
    w = min(size // 2, 900)
    xx = margin + int(round((0.4 - lo) / (hi - lo) * (w - 1)))
    mid = y + max(12, fs) // 2
    assert np.abs(arr[mid, xx].astype(int) - draw.INK).max() < 40, "the mark line is drawn"
    assert np.abs(arr[mid, xx + 8].astype(int) - draw.INK).max() > 60  # the bar itself
