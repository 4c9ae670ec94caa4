"""MS501 scale agreement, base-slab detection, the subject table and kit consistency."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.checks import scale as sc
from miniscan.conditions import resolve
from miniscan.kit import fmt_n, measure_model, parse_subject_map, subject_for, summarise
from miniscan.runner import RunOptions, measure_kit
from miniscan.model import Model, from_arrays


def _human(height: float = 32.0, base: bool = False, base_t: float = 3.0) -> Model:
    """A blocky standing figure `height` mm tall (soles at z=0), optionally on a round base."""
    s = height / 32.0
    parts = []
    for x in (-1.6, 1.6):
        leg = trimesh.creation.box((2.6, 2.6, 15))
        leg.apply_translation([x, 0, 7.5])
        parts.append(leg)
    torso = trimesh.creation.box((8, 4, 10))
    torso.apply_translation([0, 0, 20])
    parts.append(torso)
    for x in (-5, 5):
        arm = trimesh.creation.box((2, 2, 10))
        arm.apply_translation([x, 0, 19])
        parts.append(arm)
    head = trimesh.creation.icosphere(3, radius=3.5)
    head.apply_translation([0, 0, 28.5])
    parts.append(head)
    fig = trimesh.util.concatenate(parts)
    fig.apply_scale(s)
    if base:
        slab = trimesh.creation.cylinder(radius=12.5, height=base_t, sections=64)
        slab.apply_translation([0, 0, -base_t / 2])
        fig = trimesh.util.concatenate([fig, slab])
    return from_arrays(fig.vertices, fig.faces)


def _ms501(model, cond):
    res = sc.run(model, cond, Analysis(model))
    return res, [f for f in res.findings if f.code == "MS501"]


def test_human_32mm_passes_at_1_56():
    res, f = _ms501(_human(), resolve("tabletop", subject="human"))
    assert f == []
    assert res.metrics["subject_model_mm"] == pytest.approx(32.0, abs=1e-9)
    assert res.metrics["implied_real_mm"] == pytest.approx(32 * 56)


def test_human_32mm_fails_at_1_35_with_a_range_containing_1_56():
    res, f = _ms501(_human(), resolve("tabletop", scale="1:35", subject="human"))
    assert len(f) == 1
    lo, hi = res.metrics["fitting_scale_n"]
    assert lo <= 56 <= hi
    assert (lo, hi) == pytest.approx((1500 / 32, 1950 / 32))
    assert f[0].measured == pytest.approx(32 * 35) and f[0].threshold == 1500
    assert "1:47-1:61" in f[0].message and "1.12 m" in f[0].message


def test_giant_reads_as_3_1_m():
    _, f = _ms501(_human(55.4), resolve("tabletop", subject="human"))
    assert len(f) == 1 and "3.10 m tall" in f[0].message


def test_base_slab_is_left_out():
    m = _human(32.0, base=True)
    a = Analysis(m)
    b = sc.detect_base(m, a)
    assert b.detected and b.height_mm == pytest.approx(3.0, abs=0.02)
    res, f = _ms501(m, resolve("tabletop", subject="human"))
    assert f == []  # 35 mm with the base would read 1.96 m: too tall
    assert res.metrics["base_detected"] and res.metrics["subject_model_mm"] == pytest.approx(32, abs=0.1)


@pytest.mark.parametrize("mesh", [
    trimesh.creation.box((6, 1, 10.7)),                     # a door slab
    trimesh.creation.cylinder(radius=5, height=20),        # a column
    trimesh.creation.cone(radius=8, height=30),            # a robe-like cone
    trimesh.creation.icosphere(3, radius=10),              # a ball
])
def test_no_false_base(mesh):
    m = from_arrays(mesh.vertices, mesh.faces)
    assert not sc.detect_base(m, Analysis(m)).detected


def test_human_without_base_has_no_base():
    m = _human()
    assert not sc.detect_base(m, Analysis(m)).detected


def test_door_60cm_at_1_56_is_flagged():
    door = trimesh.creation.box((6, 1, 600 / 56))
    m = from_arrays(door.vertices, door.faces)
    res, f = _ms501(m, resolve("tabletop", subject="door"))
    assert len(f) == 1 and "60.0 cm tall" in f[0].message
    lo, hi = res.metrics["fitting_scale_n"]
    assert lo == pytest.approx(1900 / (600 / 56)) and hi == pytest.approx(2500 / (600 / 56))


def test_horse_length_is_horizontal_and_rotation_free():
    body = trimesh.creation.box((40, 10, 20))  # 40 mm nose to rump: 2.24 m at 1:56
    m = from_arrays(body.vertices, body.faces)
    for ang in (0.0, 0.4, 1.1):
        r = trimesh.transformations.rotation_matrix(ang, [0, 0, 1])
        ss = sc.measure_subject(m.transformed(r), Analysis(m.transformed(r)), "length")
        assert ss.size_mm == pytest.approx(math.hypot(40, 10), rel=1e-9)
    assert _ms501(m, resolve("tabletop", subject="horse"))[1] == []


def test_gltf_height_is_measured_along_its_y_axis(tmp_path):
    # a box 30 tall along glTF's +Y: the loader turns it Z-up, the height is 30 mm
    box = trimesh.creation.box((0.002, 0.030, 0.005))
    path = tmp_path / "tall.glb"
    path.write_bytes(box.export(file_type="glb"))
    from miniscan.loading import load

    m = load(path)
    assert sc.measure_subject(m, Analysis(m), "height").size_mm == pytest.approx(30)


def test_unknown_subject():
    with pytest.raises(sc.SubjectError) as e:
        sc.get_subject("hobbitt")
    assert "human" in str(e.value) and "horse" in str(e.value)
    res = sc.run(_human(), resolve("tabletop", subject="hobbitt"), Analysis(_human()))
    f = [f for f in res.findings if f.code == "MS500"]
    assert len(f) == 1 and f[0].severity == "info" and "known subjects" in f[0].message
    assert res.metrics["subject_known"] is False


def test_no_subject_no_ms501():
    res, f = _ms501(_human(90), resolve("tabletop"))
    assert f == [] and res.metrics["subject"] is None


def test_subject_table_is_sane_and_extendable():
    table = sc.subjects()
    assert {"human", "horse", "door", "car"} <= set(table)
    for s in table.values():
        assert s.lo_mm <= s.typical_mm <= s.hi_mm and s.measure in sc.MEASURES
    extra = {"hobbit": {"measure": "height", "range_mm": [900, 1200]}}
    assert sc.get_subject("Hobbit", extra).typical_mm == pytest.approx(math.sqrt(900 * 1200))
    with pytest.raises(sc.SubjectError):
        sc.subjects({"bad": {"measure": "weight", "range_mm": [1, 2]}})


@settings(max_examples=8, deadline=None)
@given(st.floats(-math.pi, math.pi), st.tuples(*[st.floats(-100, 100)] * 3),
       st.sampled_from([32.0, 20.0, 45.0]), st.booleans())
def test_rigid_motion_about_up_keeps_ms501(angle, shift, height, base):
    m = _human(height, base=base)
    mat = trimesh.transformations.rotation_matrix(angle, [0, 0, 1])
    mat[:3, 3] = shift
    cond = resolve("tabletop", subject="human")
    r0, f0 = _ms501(m, cond)
    r1, f1 = _ms501(m.transformed(mat), cond)
    # (messages may differ in a rounded last digit: 1950 / 20 = 97.5 sits on a rounding edge)
    assert [f.code for f in f0] == [f.code for f in f1]
    assert [f.measured for f in f1] == pytest.approx([f.measured for f in f0], rel=1e-9)
    assert r1.metrics["implied_real_mm"] == pytest.approx(r0.metrics["implied_real_mm"], rel=1e-9)
    assert r1.metrics["fitting_scale_n"] == pytest.approx(r0.metrics["fitting_scale_n"], rel=1e-9)
    assert r1.metrics["base_detected"] == r0.metrics["base_detected"]


@settings(max_examples=8, deadline=None)
@given(st.floats(0.05, 20.0), st.sampled_from([25.0, 32.0, 40.0]), st.booleans())
def test_dimensional_invariance_ms501(k, height, base):
    """Mesh x k at scale 1:(N/k) is the same real figure: same verdict, same fitting range / k."""
    m = _human(height, base=base)
    cond = resolve("tabletop", subject="human")
    r0, f0 = _ms501(m, cond)
    r1, f1 = _ms501(m.transformed(None, k), replace(cond.scaled(k), scale_n=cond.scale_n / k))
    assert [f.code for f in f0] == [f.code for f in f1]
    assert r1.metrics["implied_real_mm"] == pytest.approx(r0.metrics["implied_real_mm"], rel=1e-9)
    assert np.allclose(r1.metrics["fitting_scale_n"], np.array(r0.metrics["fitting_scale_n"]) / k)


# --- kits -----------------------------------------------------------------------------------

def test_kit_consistent_and_outlier():
    entries = [measure_model(replace(_human(h), path=f"fig{i}.stl"), "human", 56.0)
               for i, h in enumerate((31.0, 32.0, 33.0, 31.5, 45.0))]
    rep = summarise(entries, 56.0)
    assert rep.outliers == ("fig4.stl",)
    assert not rep.consistent
    assert rep.median_n == pytest.approx(1750 / 32.0)
    assert rep.spread_ratio == pytest.approx(45.0 / 31.0)
    assert rep.common_fit_n is None  # 31 mm and 45 mm humans share no scale
    assert [e.fits_declared for e in rep.entries] == [True, True, True, True, False]
    ok = summarise(entries[:4], 56.0)
    assert ok.consistent and ok.outliers == ()
    lo, hi = ok.common_fit_n
    assert lo == pytest.approx(1500 / 31.0) and hi == pytest.approx(1950 / 33.0)
    assert ok.to_dict()["consistent"] is True


def test_kit_on_files(tmp_path):
    for name, h in (("knight.stl", 32.0), ("archer.stl", 31.0), ("giant_ogre.stl", 95.0)):
        m = _human(h, base=True)
        trimesh.Trimesh(m.vertices, m.faces).export(tmp_path / name)
    mapping = parse_subject_map("*ogre*=ogre, *=human")
    assert subject_for(str(tmp_path / "giant_ogre.stl"), mapping) == "ogre"
    rep = measure_kit([tmp_path], mapping, RunOptions(units="mm"))
    assert rep.errors == 0 and len(rep.entries) == 3
    by = {e.path.rsplit("/", 1)[-1]: e for e in rep.entries}
    assert all(e.base_detected for e in by.values())
    assert by["knight.stl"].size_mm == pytest.approx(32.0, abs=0.2)
    assert by["giant_ogre.stl"].outlier  # a 95 mm ogre is 5.3 m at the kit's ~1:56
    assert not by["knight.stl"].outlier and not by["archer.stl"].outlier
    assert fmt_n(rep.median_n) == "1:55"


def test_kit_unknown_subject_is_a_usage_error():
    with pytest.raises(sc.SubjectError):
        parse_subject_map("*=humann")


# --- the `miniscan scale` command ---------------------------------------------------------

def _cli(args):
    from typer.testing import CliRunner

    from miniscan.cli import app

    return CliRunner().invoke(app, args)


def test_cli_scale_exit_codes(tmp_path):
    for name, h in (("a.stl", 32.0), ("b.stl", 31.5)):
        m = _human(h, base=True)
        trimesh.Trimesh(m.vertices, m.faces).export(tmp_path / name)
    ok = _cli(["scale", str(tmp_path), "--subject", "human", "--units", "mm", "-f", "json"])
    assert ok.exit_code == 0, ok.output
    import json

    d = json.loads(ok.stdout)
    assert d["consistent"] and len(d["entries"]) == 2
    m = _human(60.0, base=True)
    trimesh.Trimesh(m.vertices, m.faces).export(tmp_path / "c.stl")
    bad = _cli(["scale", str(tmp_path), "--subject", "human", "--units", "mm"])
    assert bad.exit_code == 1 and "OUTLIER" in bad.stdout
    off = _cli(["scale", str(tmp_path / "a.stl"), "-s", "human", "--scale", "1:35", "--units", "mm"])
    assert off.exit_code == 1 and "not 1:35" in off.stdout
    unknown = _cli(["scale", str(tmp_path), "--subject", "hobbitt"])
    assert unknown.exit_code == 2 and "known subjects" in unknown.output and "human" in unknown.output
    assert _cli(["scale", str(tmp_path)]).exit_code == 2


# --- the evidence rule for MS501 -------------------------------------------------------------

def test_ms501_carries_the_size_interval_wholly_outside_the_range():
    res, f = _ms501(_human(32.0, base=True), resolve("tabletop", scale="1:35", subject="human"))
    assert len(f) == 1
    lo, hi = f[0].measured_range
    assert lo <= f[0].measured <= hi and hi < 1500  # wholly below the human range
    lo_mm, hi_mm = res.metrics["subject_model_range_mm"]
    assert lo_mm < 32.0 < hi_mm and hi_mm - lo_mm < 0.5  # one profile step of the base top
    [m] = [x for x in res.measurements if x.kind == "subject_size_mm"]
    assert m.verdict == "fail" and m.code == "MS501"
    assert res.metrics["verdicts"]["MS501"] == {"fail": 1, "pass": 0, "undetermined": 0}


def test_guessed_units_that_would_fit_leave_ms501_undetermined():
    # 3.2 units tall, read as mm (guessed): 0.18 m at 1:56 - but as cm it is a 1.79 m human
    small = _human(3.2)
    guessed = replace(small, units_guessed=True)
    res, f = _ms501(guessed, resolve("tabletop", subject="human"))
    assert f == []
    info = [x for x in res.findings if x.code == "MS500"]
    assert len(info) == 1 and "units were guessed" in info[0].message and "cm" in info[0].message
    assert res.metrics["verdicts"]["MS501"]["undetermined"] == 1
    # declared units: the same model is simply too small
    assert len(_ms501(small, resolve("tabletop", subject="human"))[1]) == 1
    # guessed, but no unit makes a 55 mm figure a 1.5-1.95 m human at 1:56: still MS501
    big = replace(_human(55.4), units_guessed=True)
    assert len(_ms501(big, resolve("tabletop", subject="human"))[1]) == 1


def test_a_size_on_the_edge_of_the_range_is_undetermined_not_flagged():
    # soles-to-crown 1950 / 56 = 34.82 mm on a base: the base top is known to one profile step,
    # so a figure within that step of the upper bound is not called too tall
    h = 1950.0 / 56.0 + 0.05
    res, f = _ms501(_human(h, base=True), resolve("tabletop", subject="human"))
    assert f == []
    assert res.metrics["verdicts"]["MS501"]["undetermined"] == 1


def test_a_file_in_metres_says_what_it_stands_for_until_the_print_size_is_given(tmp_path):
    # a 0.92 m blade in metres (guessed: 0.92 units) is checked as a 1:56 model of a 51.5 m
    # thing: MS907 says so, with both sizes; --height, --scale 1:1 or a file in mm settle it
    import trimesh

    from miniscan.conditions import resolve
    from miniscan.printsize import from_options
    from miniscan.runner import RunOptions, check_model, load_model

    blade = trimesh.creation.box((920.0, 40.0, 6.0))

    def life(per_mm, units=None, height=None, **cond):
        path = tmp_path / f"blade_{per_mm:g}_{units}.stl"
        trimesh.Trimesh(blade.vertices * per_mm, blade.faces).export(path)
        model = load_model(path, RunOptions(units=units, print_size=from_options(height)))
        fr = check_model(model, resolve("tabletop", **cond), RunOptions(families=("health",)))
        return [f for f in fr.findings if f.code == "MS907"]

    found = life(1e-3)
    assert len(found) == 1 and found[0].severity == "info"
    assert "0.92 m across" in found[0].message and "51.5 m" in found[0].message
    assert "(guessed)" in found[0].message and "(declared)" in life(1e-3, "m")[0].message
    assert "--height" in found[0].advice
    assert life(1e-3, height="32mm") == [] and life(1e-3, scale="1:1") == []
    assert life(0.1) == []  # 92 mm, in mm
    # a 92 mm figure in metres (as glTF always is) is nearer a 1:56 model (32 mm) than a
    # life-size thing (1.8 m): no note; a 0.31 m boot scan is nearer life size: a note
    assert life(1e-4, "m") == [] and len(life(1e-3 / 3.0)) == 1
