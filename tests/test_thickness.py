"""Wall thickness by inward ray cones (analysis/thickness.py) and MS502 (checks/scale.py).

Procedural meshes with known walls: plates, a hollow sphere, a thin fin beside a block, open
and inverted meshes. Invariants: rigid motion and dimensional scaling (DESIGN.md section 5).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.analysis.thickness import regions, thickness
from miniscan.checks import scale as scale_check
from miniscan.conditions import resolve
from miniscan.model import Model, from_arrays


def _model(mesh: trimesh.Trimesh) -> Model:
    return from_arrays(mesh.vertices, mesh.faces)


def _plate(t: float, size: float = 20.0) -> Model:
    return _model(trimesh.creation.box((size, size, t)))


def _face_samples(th, a, axis=2):
    """Samples on the big faces of a plate (normal along `axis`)."""
    return np.abs(a.face_normals[th.faces][:, axis]) > 0.99


@pytest.mark.parametrize("t", [0.2, 0.5, 1.0, 3.0])
def test_plate_thickness_within_10_percent(t):
    a = Analysis(_plate(t))
    th = thickness(a)
    on_faces = _face_samples(th, a)
    assert on_faces.mean() > 0.5
    med = float(np.median(th.thickness_mm[on_faces]))
    assert abs(med - t) <= 0.10 * t
    # and the whole-model median (rims included) stays within 10% too
    assert abs(float(np.nanmedian(th.thickness_mm)) - t) <= 0.10 * t
    assert th.unsure_share == 0.0


def _hollow_sphere(r_out: float, wall: float, sub: int = 4) -> Model:
    outer = trimesh.creation.icosphere(sub, radius=r_out)
    inner = trimesh.creation.icosphere(sub, radius=r_out - wall)
    inner.invert()
    return _model(trimesh.util.concatenate([outer, inner]))


@pytest.mark.parametrize("wall", [0.3, 1.0, 2.5])
def test_hollow_sphere_wall_within_10_percent(wall):
    th = thickness(Analysis(_hollow_sphere(10.0, wall)))
    med = float(np.nanmedian(th.thickness_mm))
    assert abs(med - wall) <= 0.10 * wall
    assert th.unsure_share < 0.01


def test_inverted_mesh_is_read_flipped():
    box = trimesh.creation.box((20, 20, 1.0))
    box.invert()
    th = thickness(Analysis(_model(box)))
    assert th.flipped
    assert abs(float(np.nanmedian(th.thickness_mm)) - 1.0) < 0.1


def test_open_sheet_is_unsure_and_reported():
    h = trimesh.creation.icosphere(4, radius=10.0)
    h.update_faces(h.triangles_center[:, 2] > 0)
    h.remove_unreferenced_vertices()
    m = _model(h)
    a = Analysis(m)
    th = thickness(a)
    assert th.unsure_share == 1.0  # a hemisphere sheet has no inside: no number at all
    res = scale_check.run(m, resolve("tabletop"), a)
    assert res.status == "ok"
    assert res.metrics["median_thickness_mm"] is None
    unsure = [f for f in res.findings if f.code == "MS500"]
    assert len(unsure) == 1 and "unsure" in unsure[0].message
    assert not [f for f in res.findings if f.code == "MS502"]


def test_box_with_a_missing_face_is_unsure_not_thin():
    box = trimesh.creation.box((20, 20, 0.2))
    box.update_faces(np.arange(len(box.faces)) != 0)
    m = _model(box)
    res = scale_check.run(m, resolve("tabletop"), Analysis(m))
    codes = [(f.code, f.severity) for f in res.findings]
    assert ("MS500", "info") in codes
    assert res.metrics["thin_area_share"] == 0.0


def _block_and_fin(fin_t: float = 0.2) -> tuple[Model, trimesh.Trimesh]:
    block = trimesh.creation.box((10, 10, 10))
    fin = trimesh.creation.box((fin_t, 8, 6))
    fin.apply_translation([8.0, 0, 0])  # beside the block, not touching
    return _model(trimesh.util.concatenate([block, fin])), fin


def test_thin_fin_is_one_region_at_the_fin():
    m, fin = _block_and_fin(0.2)
    res = scale_check.run(m, resolve("tabletop"), Analysis(m))
    thin = [f for f in res.findings if f.code == "MS502"]
    assert len(thin) == 1
    f = thin[0]
    assert abs(f.measured - 0.2) < 0.02 and f.threshold == 0.4 and f.unit == "mm"
    lo, hi = fin.bounds
    c = np.array(f.location.centroid_mm)
    assert np.all(c >= lo - 1e-6) and np.all(c <= hi + 1e-6)
    assert f.location.faces
    # the fin is its share of the area, the block is not thin
    fin_share = fin.area / (fin.area + 600.0)
    assert abs(res.metrics["thin_area_share"] - fin_share) < 0.03


def test_fdm_thicker_minimum_flags_a_wall_resin_holds():
    m, _ = _block_and_fin(0.6)
    a = Analysis(m)
    assert not [f for f in scale_check.run(m, resolve("tabletop", printer="resin"), a).findings
                if f.code == "MS502"]
    fdm = [f for f in scale_check.run(m, resolve("tabletop", printer="fdm"), a).findings
           if f.code == "MS502"]
    assert len(fdm) == 1 and fdm[0].threshold == 0.8
    # printer "none" has no minimum wall: nothing is too thin
    assert not [f for f in scale_check.run(m, resolve("tabletop", printer="none"), a).findings
                if f.code == "MS502"]


def _cloak_and_body(cloak_t: float) -> Model:
    body = trimesh.creation.box((6, 6, 20))
    cloak = trimesh.creation.box((10, cloak_t, 16))
    cloak.apply_translation([0, 5.0, 0])
    m = trimesh.util.concatenate([body, cloak])
    return Model("<cloak>", "memory", np.asarray(m.vertices), np.asarray(m.faces), "mm", False, 1.0,
                 ("body", "cloak"), (0, len(body.faces)))


def test_cloth_cloak_over_thick_and_the_print_conflict():
    m = _cloak_and_body(0.6)
    cond = resolve("tabletop", part_material="cloak=cloth")
    res = scale_check.run(m, cond, Analysis(m))
    over = [f for f in res.findings if f.code == "MS503" and "cloth" in f.message]
    assert len(over) == 1
    f = over[0]
    assert abs(f.measured - 0.6) <= 0.06
    assert abs(f.measured * 56 - 33.6) <= 3.4  # "0.6 mm at 1:56 is 34 mm real"
    assert "conflict" in f.message and f.threshold == 0.4  # cloth 5 mm is 0.09 mm: aim at the wall
    assert "cloak" in f.message
    mt = {d["part"]: d for d in res.metrics["material_thickness"]}
    assert mt["cloak"]["conflict"] and "body" not in mt  # generic body: no range


def test_cloak_at_the_printers_minimum_is_not_over_thick():
    m = _cloak_and_body(0.42)
    res = scale_check.run(m, resolve("tabletop", part_material="cloak=cloth"), Analysis(m))
    assert not [f for f in res.findings if f.code in ("MS502", "MS503")]


def test_over_thick_without_conflict_at_large_scale():
    # at 1:6 a 5 mm cloth is 0.83 mm: printable, so a 2 mm cloak is plainly over-thick
    m = _cloak_and_body(2.0)
    res = scale_check.run(m, resolve("figure-1-6", part_material="cloak=cloth"), Analysis(m))
    over = [f for f in res.findings if f.code == "MS503"]
    assert len(over) == 1 and "conflict" not in over[0].message
    assert over[0].threshold == pytest.approx(5.0 / 6)


def test_metrics_histogram_and_determinism():
    m = _hollow_sphere(10.0, 1.0, 3)
    r1 = scale_check.run(m, resolve("tabletop"), Analysis(m))
    r2 = scale_check.run(m, resolve("tabletop"), Analysis(m))
    assert r1.to_dict() == r2.to_dict()
    h = r1.metrics["thickness_histogram"]
    assert len(h["edges_mm"]) == len(h["area_share"]) + 1
    assert h["edges_real_mm"] == [e * 56 for e in h["edges_mm"]]
    assert abs(sum(h["area_share"]) - 1.0) < 1e-9
    assert abs(r1.metrics["median_thickness_real_mm"] - 56.0) < 5.6


def test_regions_labels_are_deterministic_and_separate():
    pts = np.array([[0, 0, 0], [0.1, 0, 0], [5, 0, 0], [5.1, 0, 0], [9, 9, 9]], float)
    lab = regions(pts, np.array([True, True, True, True, False]), 0.5)
    assert lab.tolist() == [0, 0, 1, 1, -1]


def _rotation(angles) -> np.ndarray:
    return trimesh.transformations.euler_matrix(*angles)


@settings(max_examples=6, deadline=None)
@given(st.tuples(*[st.floats(-math.pi, math.pi)] * 3),
       st.tuples(*[st.floats(-50, 50)] * 3))
def test_rigid_motion_invariance(angles, shift):
    m, _ = _block_and_fin(0.25)
    mat = _rotation(angles)
    mat[:3, 3] = shift
    cond = resolve("tabletop")
    r0 = scale_check.run(m, cond, Analysis(m))
    r1 = scale_check.run(m.transformed(mat), cond, Analysis(m.transformed(mat)))
    assert [f.code for f in r0.findings] == [f.code for f in r1.findings]
    for f0, f1 in zip(r0.findings, r1.findings):
        assert f1.measured == pytest.approx(f0.measured, rel=1e-3)
    assert r1.metrics["median_thickness_mm"] == pytest.approx(r0.metrics["median_thickness_mm"],
                                                              rel=1e-3)


@settings(max_examples=6, deadline=None)
@given(st.floats(0.05, 20.0))
def test_dimensional_invariance(k):
    """Mesh x k, every length of the conditions x k and the real world fixed (N / k)."""
    m = _cloak_and_body(0.25)
    cond = resolve("tabletop", part_material="cloak=cloth")
    from dataclasses import replace

    cond_k = replace(cond.scaled(k), scale_n=cond.scale_n / k)
    r0 = scale_check.run(m, cond, Analysis(m))
    mk = m.transformed(None, k)
    r1 = scale_check.run(mk, cond_k, Analysis(mk))
    assert [f.code for f in r0.findings] == [f.code for f in r1.findings]
    assert len(r0.findings) >= 1
    for f0, f1 in zip(r0.findings, r1.findings):
        assert f1.measured == pytest.approx(f0.measured * k, rel=1e-3)
        assert f1.threshold == pytest.approx(f0.threshold * k, rel=1e-9)
    assert r1.metrics["median_thickness_real_mm"] == pytest.approx(
        r0.metrics["median_thickness_real_mm"], rel=1e-3)
    assert r1.metrics["thin_area_share"] == pytest.approx(r0.metrics["thin_area_share"], abs=1e-9)


# --- overlapping, un-unioned bodies (sculpt kits): the union's wall, buried samples skipped ---

def _parts(*meshes: trimesh.Trimesh, names: tuple[str, ...]) -> Model:
    m = trimesh.util.concatenate(list(meshes))
    starts = tuple(int(x) for x in np.cumsum([0] + [len(p.faces) for p in meshes[:-1]]))
    return Model("<parts>", "memory", np.asarray(m.vertices), np.asarray(m.faces), "mm", False,
                 1.0, names, starts)


def test_overlapping_cubes_measure_the_union_and_report_nothing():
    a_box = trimesh.creation.box((10, 10, 10))
    b_box = trimesh.creation.box((10, 10, 10))
    b_box.apply_translation([7.0, 2.5, 1.5])  # 3 mm overlap along x, no coplanar faces
    m = _parts(a_box, b_box, names=("a", "b"))
    a = Analysis(m)
    assert a.n_bodies == 2
    res = scale_check.run(m, resolve("tabletop"), a)
    assert not [f for f in res.findings if f.code == "MS502"]
    th = a.cached("thickness", thickness)
    # A's -x face: the ray leaves A inside B and goes on to B's far face, 17 mm away
    on_left = (a.face_normals[th.faces][:, 0] < -0.99) & (th.faces < len(a_box.faces))
    assert abs(float(np.nanmedian(th.thickness_mm[on_left])) - 17.0) < 0.5
    # the faces inside the other cube are not on the print: buried, not unsure
    assert th.buried.any() and th.unsure_share == 0.0
    assert not np.any(th.buried & th.sure)
    lo, hi = b_box.bounds
    inside_b = np.all((th.points > lo + 0.05) & (th.points < hi - 0.05), axis=1)
    assert inside_b.any() and np.all(th.buried[inside_b])
    single = thickness(Analysis(_model(trimesh.creation.box((10, 10, 10)))))
    assert np.nanmin(th.thickness_mm) >= 0.9 * np.nanmin(single.thickness_mm)


def _rod_in_block() -> tuple[Model, trimesh.Trimesh, trimesh.Trimesh]:
    block = trimesh.creation.box((3, 3, 3))
    rod = trimesh.creation.cylinder(radius=0.15, height=6.0, sections=32)
    rod.apply_translation([0.2, -0.3, 2.0])  # from z = -1 (inside the block) to z = 5
    return _parts(block, rod, names=("block", "rod")), block, rod


def test_rod_stuck_into_a_block_reports_only_the_rod_outside_it():
    m, block, rod = _rod_in_block()
    a = Analysis(m)
    res = scale_check.run(m, resolve("tabletop"), a)
    thin = [f for f in res.findings if f.code == "MS502"]
    assert len(thin) == 1
    f = thin[0]
    assert abs(f.measured - 0.3) <= 0.03
    assert "thinnest 0.2" in f.message  # nothing near 0
    nb = len(block.faces)
    assert all(i >= nb for i in f.location.faces)  # on the rod
    assert f.location.centroid_mm[2] > 1.5  # on its part outside the block
    th = a.cached("thickness", thickness)
    assert np.nanmin(th.thickness_mm) > 0.2
    # the rod inside the block and the block's top inside the rod are buried
    on_rod = th.faces >= nb
    deep = on_rod & (th.points[:, 2] < 1.4)
    assert deep.any() and np.all(th.buried[deep])
    assert not np.any(th.buried & on_rod & (th.points[:, 2] > 1.6))
    # the thin share is the rod's exposed side over the printed surface
    exposed = 2 * math.pi * 0.15 * 3.5 + math.pi * 0.15 ** 2
    printed = 54.0 - math.pi * 0.15 ** 2 + exposed
    assert abs(res.metrics["thin_area_share"] - exposed / printed) < 0.01


def test_rod_in_block_rigid_motion():
    m, _, _ = _rod_in_block()
    mat = _rotation((0.7, -1.1, 2.3))
    mat[:3, 3] = (12.0, -40.0, 7.5)
    cond = resolve("tabletop")
    r0 = scale_check.run(m, cond, Analysis(m))
    r1 = scale_check.run(m.transformed(mat), cond, Analysis(m.transformed(mat)))
    assert [f.code for f in r0.findings] == [f.code for f in r1.findings]
    # the cone's ring turns with the frame, and on a round rod its chords differ by up to
    # 1 - cos^2(12 deg) = 4%: the median moves by well under 1%
    for f0, f1 in zip(r0.findings, r1.findings):
        assert f1.measured == pytest.approx(f0.measured, rel=1e-2)
    assert r1.metrics["thin_area_share"] == pytest.approx(r0.metrics["thin_area_share"], abs=3e-3)


def test_spear_figure_sample_is_thin_only_on_its_spear():
    from conftest import SAMPLES
    from miniscan.loading import load

    m = load(SAMPLES / "spear_figure.obj")
    a = Analysis(m)
    res = scale_check.run(m, resolve("tabletop"), a)
    ms502 = [f for f in res.findings if f.code == "MS502"]
    assert ms502
    spear = m.part_names.index("spear")
    lo = m.part_starts[spear]
    hi = m.part_starts[spear + 1] if spear + 1 < len(m.part_starts) else m.n_faces
    for f in ms502:
        assert f.severity == "warning" and abs(f.measured - 0.3) <= 0.03
        assert all(lo <= i < hi for i in f.location.faces)
    th = a.cached("thickness", thickness)
    assert np.nanmin(th.thickness_mm) > 0.25  # the hand around the spear reads no sliver
