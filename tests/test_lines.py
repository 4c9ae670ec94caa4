"""Fine lines and lettering (MS600-MS604): known answers from procedural strokes and letters
(engraved and embossed, flat / V / round profiles, flat and curved bases, random rotations,
irregular triangulations at three densities), the verdicts of every filter, invariants, and the
corpus boar's base lettering."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from miniscan import samples
from miniscan.analysis import Analysis
from miniscan.checks import lines as C
from miniscan.conditions import PRESETS, PRINTERS
from miniscan.evidence import verdict
from miniscan.model import from_arrays
from miniscan.rules import RULES

TABLETOP = PRESETS["tabletop"]
DISPLAY = PRESETS["display"]
TOL = 0.10  # known answers within 10 % (issue 12's target is 15 % at p90)


def _rotate(v, seed):
    if seed is None:
        return v
    return v @ Rotation.random(random_state=seed).as_matrix().T + [3.0, -2.0, 5.0]


def _run(v, f, conditions=TABLETOP):
    a = Analysis(from_arrays(v, f))
    return C.run(a.model, conditions, a), a


def _lines(res):
    return res.metrics["lines"]


def _plate(groups, size=(8.0, 8.0), coarse=0.5, seed=samples.SEED):
    return samples.lettered_plate(groups, size=size, coarse=coarse, seed=seed)


def _check_known(lines, width, depth, count=None):
    if count is not None:
        assert len(lines) == count, [(x["width_mm"], x["length_mm"]) for x in lines]
    for ln in lines:
        assert ln["width_mm"] == pytest.approx(width, rel=TOL)
        assert ln["depth_mm"] == pytest.approx(depth, rel=TOL)
        lo, hi = ln["width_range_mm"]
        assert lo <= width * (1 + 0.02) and hi >= width * (1 - 0.02)  # the interval holds it
        lo, hi = ln["depth_range_mm"]
        assert lo <= depth * 1.02 and hi >= depth * 0.98


# --- known answers ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["flat", "v", "round"])
@pytest.mark.parametrize("depth", [0.08, -0.08])
def test_letters_read_at_their_width_and_depth(shape, depth):
    segs = samples.text_strokes("MI", 3.0, origin=(2, 3))
    v, f = _plate([(segs, 0.2, depth, shape)])
    res, _ = _run(_rotate(v, 3 if shape == "v" else None), f)
    lines = _lines(res)
    _check_known(lines, 0.2, 0.08, count=2)  # the M and the I, each one line
    assert {ln["kind"] for ln in lines} == {"ridge" if depth > 0 else "groove"}
    assert sum(ln["length_mm"] for ln in lines) == pytest.approx(9.4 + 3.0, rel=0.1)


def test_lettering_on_a_round_base_rim():
    """Text engraved on the side of a round base (r = 8 mm): the base curves under it."""
    segs = samples.text_strokes("HEN", 2.5, origin=(1.0, 1.5))
    v, f = _plate([(segs, 0.2, -0.08, "flat")], size=(9.0, 5.0))
    v = samples.wrap_cylinder(v, 8.0, 1.5)
    res, _ = _run(_rotate(v, 11), f)
    _check_known(_lines(res), 0.2, 0.08, count=3)


@pytest.mark.parametrize("seed", [4, 7, 9])
def test_random_rotations_read_the_same(seed):
    segs = samples.text_strokes("TV", 3.0, origin=(1.5, 2.5))
    v, f = _plate([(segs, 0.25, -0.1, "v")], size=(7.0, 7.0))
    base, _ = _run(v, f)
    turned, _ = _run(_rotate(v, seed), f)
    a, b = _lines(base), _lines(turned)
    assert len(a) == len(b) == 2
    for key in ("width_mm", "depth_mm"):
        assert sorted(x[key] for x in a) == pytest.approx(sorted(x[key] for x in b), rel=0.05)


@pytest.mark.parametrize("coarse,jitter", [(0.8, 0.0), (0.4, 0.3), (0.2, 0.45)])
def test_three_densities_and_irregular_triangles(coarse, jitter):
    segs = samples.text_strokes("LE", 3.0, origin=(1.5, 2.0))
    v, f = samples.lettered_plate([(segs, 0.3, 0.12, "round")], size=(7.0, 7.0), coarse=coarse,
                                  jitter=jitter)
    _check_known(_lines(_run(v, f)[0]), 0.3, 0.12, count=2)


def test_sliver_triangles_of_a_cad_plate():
    """CAD lettering: flat faces and long slivers (a fan over the plate), walls of two
    triangles: the mesh is exact, so the numbers are too."""
    segs = samples.text_strokes("H", 3.0, origin=(1.0, 1.0))
    v, f = samples.lettered_plate([(segs, 0.4, 0.3, "flat")], size=(5.0, 5.0), coarse=2.5,
                                  jitter=0.0)
    _check_known(_lines(_run(v, f)[0]), 0.4, 0.3, count=1)


# Wide shallow lettering on a coarse CAD plate (FDM, display): text, shape, width at half depth
# and depth (mm, < 0 engraved), the plate's mesh size, its jitter seed and the turn. Each was
# missed entirely before the frame took the flat mode (a generated sweep of 120 such plates:
# 13 missed or misread before, 3 after, the last two among them at the sweep's unrounded
# sizes: they sit at the edge, docs/lines.md).
WIDE_SHALLOW = [
    ("T", "v", 0.905, 0.0558, 2.90, 611486838, 115),
    ("T", "v", 1.298, -0.0579, 2.15, 138614924, 798),
    ("E", "round", 1.182, -0.0462, 2.70, 280248015, 744),
    ("E", "round", 1.055, 0.0557, 2.37, 820092067, 893),
    ("E", "flat", 1.597, -0.0822, 1.86, 758394391, 228),
    ("L", "round", 0.918, -0.0887, 2.48, 980814552, 453),
    ("E", "round", 1.144, -0.0866, 2.56, 441573310, 115),
    ("T", "v", 0.805, 0.0712, 2.84, 823666278, 760),
    ("T", "round", 1.557, 0.0495, 2.22, 518314460, 230),
    ("L", "v", 1.518, 0.0446, 1.93, 973380645, 752),
]


def _wide_plate(text, shape, width, depth, coarse, seed):
    origin = max(2.0, 6.0 * width)
    cap = 8.0 * width
    segs = samples.text_strokes(text, cap, origin=(origin, origin))
    size = (cap * len(text) * 0.8 + 2 * origin, cap + 2 * origin)
    return samples.lettered_plate([(segs, width, depth, shape)], size=size, coarse=coarse,
                                  seed=seed), segs


@pytest.mark.parametrize("text,shape,width,depth,coarse,seed,turn", WIDE_SHALLOW)
def test_wide_shallow_lettering_on_a_coarse_cad_plate(text, shape, width, depth, coarse, seed,
                                                      turn):
    """Strokes about a mm wide and under an FDM layer deep on a plate meshed at about 2 mm
    (the fast subset's lines:5): read at their width and depth, and lost in print."""
    (v, f), _ = _wide_plate(text, shape, width, depth, coarse, seed)
    res, _ = _run(_rotate(v, turn), f, replace(DISPLAY, printer=PRINTERS["fdm"]))
    lines = _lines(res)
    assert lines
    for ln in lines:
        assert ln["width_mm"] == pytest.approx(width, rel=0.15)
        assert ln["depth_mm"] == pytest.approx(abs(depth), rel=0.15)
    assert "MS601" in _codes(res)


@pytest.mark.parametrize("shape,depth", [
    ("v", -0.064), ("round", -0.064), ("round", 0.064),
    pytest.param("v", 0.064, marks=pytest.mark.xfail(
        strict=True, reason="an embossed V still bends the base at some windows: exact on 82 % "
                            "of the plate's vertices (main: 28 %); not traced further"))])
def test_a_shallow_strokes_walls_do_not_tilt_a_flat_plates_base(shape, depth, monkeypatch):
    """The base under a flat plate is the plate, to rounding, at the widest window, beside a
    stroke whose walls turn 3 deg (a V 1.2 mm wide, 0.064 mm deep): the walls lie inside the
    frame's 10 deg mode cone, and before the flat mode they tilted it by up to a degree and
    bent the base by 0.01-0.03 mm beside the stroke (a fifth to a half of its depth)."""
    from miniscan.analysis import lines as L

    (v, f), segs = _wide_plate("L", shape, 1.2, depth, 2.4, samples.SEED)
    seen = []
    spied = L._candidates

    def spy(a, base, vq, h, tau, floor, sign):
        seen.append((base.sigma, h.copy()))
        return spied(a, base, vq, h, tau, floor, sign)

    monkeypatch.setattr(L, "_candidates", spy)
    _run(_rotate(v, 3), f, replace(DISPLAY, printer=PRINTERS["fdm"]))
    # the top's own vertices, beside the stroke (past its foot) and off the rim (a rim vertex is
    # measured over the side wall it lies on as well)
    span = v[:, :2].max(axis=0)
    rim = np.minimum(v[:, :2], span - v[:, :2]).min(axis=1)
    plate = (v[:, 2] == 1.5) & (samples.segment_distance(v[:, :2], segs) > 1.2 + 0.3) & (rim > 1.0)
    widest = max(s for s, _ in seen)
    h = np.concatenate([h[plate] for s, h in seen if s == widest])
    assert np.abs(h).max() < 1e-4


@pytest.mark.parametrize("shape", ["v", "round"])
@pytest.mark.parametrize("depth", [0.02, -0.02])
def test_strokes_barely_deeper_than_the_floor_are_read(shape, depth):
    """Strokes 1.33 times deeper than the family's depth floor (0.015 mm: half resin's 0.03 mm
    layer), V or round, engraved or embossed, turned at random: their contour is drawn at the
    floor, near the crest, far narrower than at half depth; the cross-sections must still
    reach the far flank. Read at their width and depth, and lost in print (under a layer)."""
    segs = samples.text_strokes("HI", 3.0, origin=(1.5, 2.5))
    v, f = _plate([(segs, 0.2, depth, shape)], size=(7.0, 7.0))
    res, _ = _run(_rotate(v, 5), f)
    _check_known(_lines(res), 0.2, 0.02, count=2)
    assert _codes(res) == ["MS601", "MS601", "MS604"]  # each stroke lost in print


def test_spacing_between_strokes():
    """Hatching: grooves 0.15 mm wide on a 0.3 mm pitch leave 0.15 mm gaps."""
    segs = np.array([[[1.0 + 0.3 * k, 1.0], [1.0 + 0.3 * k, 5.0]] for k in range(5)])
    v, f = _plate([(segs, 0.15, -0.1, "flat")], size=(4.0, 6.0))
    lines = _lines(_run(v, f)[0])
    assert len(lines) == 5
    gaps = [ln["spacing_mm"] for ln in lines if ln["spacing_mm"] is not None]
    assert len(gaps) >= 4
    assert np.median(gaps) == pytest.approx(0.15, rel=TOL)


@pytest.mark.parametrize("shape", ["v", "round"])
def test_hatching_whose_gaps_are_as_wide_as_its_strokes(shape):
    """V and round grooves 0.15 mm wide at half depth, 0.165 mm apart (pitch 0.315 mm), turned
    at random: each meets its base half a width past its half-depth edge, so between two of
    them only ~0.015 mm is base. A flank that a neighbour bounds is read between the strokes'
    feet, not over the neighbour's wall (before: the V grooves read as 3 pieces over 7.7 of
    their 20 mm, the inner flanks at ~D/5). Within the issue's 15 % (V depth 3-5 % low since the
    far flank too is read between the feet, NEIGHBOUR_IN; 8-11 % before, over the next wall)."""
    segs = np.array([[[1.0 + 0.315 * k, 1.0], [1.0 + 0.315 * k, 5.0]] for k in range(5)])
    v, f = _plate([(segs, 0.15, -0.1, shape)], size=(4.0, 6.0))
    lines = _lines(_run(_rotate(v, 6), f)[0])
    assert len(lines) == 5
    for ln in lines:
        assert ln["length_mm"] == pytest.approx(4.0, rel=TOL)
        assert ln["width_mm"] == pytest.approx(0.15, rel=0.15)
        assert ln["depth_mm"] == pytest.approx(0.1, rel=0.15)
        lo, hi = ln["depth_range_mm"]
        assert lo <= 0.1 * 1.02 and hi >= 0.1 * 0.98  # the interval holds it



def test_v_hatching_whose_feet_touch_reads_its_far_flanks_between_the_feet():
    """V ridges 0.15 mm wide at half depth and 0.2 mm high, 0.15 mm apart: their feet touch, the
    relief between two of them is a sawtooth down to the plate (truth lines:7013). A station on
    one edge saw the neighbour beyond its near edge but not the one beyond its far edge (the
    profile ended a width past it, on that neighbour's lower wall): the far flank read ~D/4 over
    the base and the inner ridges failed the flank test (before: 2 lines of 5). The profile now
    runs on inside until a neighbour whose foot would fall in the far flank's window is seen
    (NEIGHBOUR_IN), and that flank too is read between the feet."""
    segs = np.array([[[1.0 + 0.3 * k, 1.0], [1.0 + 0.3 * k, 5.0]] for k in range(5)])
    v, f = _plate([(segs, 0.15, 0.2, "v")], size=(4.0, 6.0))
    lines = _lines(_run(_rotate(v, 6), f)[0])
    assert len(lines) == 5
    for ln in lines:
        assert ln["length_mm"] >= 4.0 * (1 - TOL)
        assert ln["width_mm"] == pytest.approx(0.15, rel=TOL)
        assert ln["depth_mm"] == pytest.approx(0.2, rel=0.15)  # the meshed cols stand ~D/10


def _deep_hatching(shape, w, d, g, n, margin, width, seed):
    """n engraved strokes 3 mm long, w wide at half depth, d deep and g apart, `margin` mm from
    the plate's edges (the plate `width` mm wide), faces of 2 w (at least 0.1 mm), turned."""
    segs = np.array([[[margin + (w + g) * k, margin], [margin + (w + g) * k, margin + 3.0]]
                     for k in range(n)])
    v, f = _plate([(segs, w, -d, shape)], size=(width, 3.0 + 2 * margin),
                  coarse=max(0.1, 2 * w), seed=seed)
    return _lines(_run(_rotate(v, 100 + seed), f)[0])


def _each_stroke_once(lines, n, w, d):
    assert len(lines) == n, [round(x["length_mm"], 2) for x in lines]
    for ln in lines:
        assert ln["length_mm"] == pytest.approx(3.0, rel=0.15)
        assert ln["width_mm"] == pytest.approx(w, rel=0.15)
        assert ln["depth_mm"] == pytest.approx(d, rel=0.15)


@pytest.mark.parametrize("shape,w,d,g,n,margin,width,seed", [
    ("v", 0.095, 0.376, 0.115, 3, 1.92, 4.64, 3), ("v", 0.073, 0.288, 0.139, 5, 1.59, 6.21, 2),
    ("flat", 0.122, 0.28, 0.141, 5, 1.67, 7.86, 6), ("flat", 0.118, 0.337, 0.191, 4, 1.95, 6.44, 10),
    ("round", 0.081, 0.297, 0.11, 4, 1.09, 4.49, 8)])
def test_deep_hatching_near_a_plate_edge_reads_every_stroke_once(shape, w, d, g, n, margin,
                                                                 width, seed):
    """Grooves 2.3-4 widths deep (the ground-truth grammar draws engraved hatching that deep:
    lines:10042, 10091, 10095, 1162) 1-2 mm from the plate's edges. At the widest window the 8
    nearest bases reach the side walls, and a wall of a groove, which no base of the plate faces
    like, was read over a side wall it faced like 2 mm away: 2 mm "deep", it joined the strokes
    into one region (before: 0-4 lines of 3-5, 2.3-9 mm long; the round case read right before
    too). Now over the base it lies nearer to."""
    _each_stroke_once(_deep_hatching(shape, w, d, g, n, margin, width, seed), n, w, d)


# --- verdicts -----------------------------------------------------------------------------

def _codes(res):
    return sorted(f.code for f in res.findings)


def test_hairline_is_lost_in_print():
    v, f = _plate([(np.array([[[1.0, 3.0], [6.0, 3.0]]]), 0.04, -0.1, "flat")], size=(7, 6))
    res, _ = _run(v, f)
    (ms601,) = [x for x in res.findings if x.code == "MS601"]
    assert ms601.threshold == pytest.approx(0.07) and ms601.measured_range[1] < 0.07
    # bold enough for print (0.07) and for the paint on both walls (2 x 0.04), never finer
    assert "at least 0.08 mm wide" in ms601.advice
    assert "MS604" in _codes(res)


def test_shallow_rule_is_filled_by_paint_not_lost_in_print():
    v, f = _plate([(np.array([[[1.0, 3.0], [6.0, 3.0]]]), 0.2, -0.035, "flat")], size=(7, 6))
    res, _ = _run(v, f)
    assert "MS601" not in _codes(res)
    (ms602,) = [x for x in res.findings if x.code == "MS602"]
    assert ms602.threshold == pytest.approx(TABLETOP.paint_mm)
    assert ms602.measured == pytest.approx(0.035, rel=TOL)


def test_tight_hatching_merges_far_away_not_close_up():
    segs = np.array([[[1.0 + 0.25 * k, 1.0], [1.0 + 0.25 * k, 5.0]] for k in range(5)])
    v, f = _plate([(segs, 0.15, -0.1, "flat")], size=(4.0, 6.0))
    far, _ = _run(v, f, TABLETOP)  # eye resolves 0.145 mm: 0.1 mm gaps close
    near, _ = _run(v, f, DISPLAY)  # 0.073 mm: they stay open
    ms603 = [x for x in far.findings if x.code == "MS603"]
    assert ms603 and ms603[0].holds_mm[0] < TABLETOP.distance_mm
    assert "MS603" not in _codes(near)


def test_bold_lettering_holds_and_is_listed():
    segs = samples.text_strokes("HI", 3.0, origin=(1, 1))
    v, f = _plate([(segs, 0.4, -0.25, "flat")], size=(6.0, 5.0))
    res, _ = _run(v, f)
    assert _codes(res) == ["MS604"]
    assert res.metrics["lines_by_verdict"]["ok"] == 2
    assert "2 lines read (2 engraved)" in res.findings[0].message


def test_no_filter_without_printer_or_paint():
    v, f = _plate([(np.array([[[1.0, 3.0], [6.0, 3.0]]]), 0.04, -0.1, "flat")], size=(7, 6))
    bare = replace(TABLETOP, printer=PRINTERS["none"], paint_mm=0.0)
    res, _ = _run(v, f, bare)
    assert not {"MS601", "MS602"} & set(_codes(res))


# --- what is not a line ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["sphere", "faceted", "box", "capsules"])
def test_forms_creases_and_facets_are_not_lines(shape):
    import trimesh

    if shape == "sphere":
        m = trimesh.creation.icosphere(subdivisions=5, radius=6.0)
    elif shape == "faceted":  # a CSG sphere: 15 deg creases between flat facets
        m = trimesh.creation.uv_sphere(radius=6.0, count=[24, 24])
    elif shape == "box":
        m = trimesh.creation.box(extents=[10, 8, 6])
        m = m.subdivide().subdivide().subdivide()
    else:  # two capsules joined: a concave junction
        a = trimesh.creation.capsule(height=8, radius=2, count=[24, 24])
        b = trimesh.creation.capsule(height=8, radius=2, count=[24, 24])
        b.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
        m = trimesh.util.concatenate([a, b])
    res, _ = _run(np.asarray(m.vertices), np.asarray(m.faces))
    assert res.metrics["lines_read"] == 0, _lines(res)
    assert not res.findings


def test_a_fin_is_not_an_embossed_line():
    """A thin wall standing on a plate (an ear, a blade) is a wall, not lettering."""
    v, f = _plate([(np.array([[[1.0, 3.0], [6.0, 3.0]]]), 0.3, 1.5, "flat")], size=(7, 6))
    assert _run(v, f)[0].metrics["lines_read"] == 0


# --- invariants and contract ------------------------------------------------------------------

def test_dimensional_invariance():
    segs = samples.text_strokes("IT", 3.0, origin=(1, 1.5))
    v, f = _plate([(segs, 0.25, -0.1, "flat")], size=(6.0, 6.0))
    k = 2.0
    a = _lines(_run(v, f)[0])
    b = _lines(_run(v * k, f, TABLETOP.scaled(k))[0])
    assert len(a) == len(b)
    assert sorted(x["width_mm"] * k for x in a) == pytest.approx(sorted(x["width_mm"] for x in b),
                                                                  rel=0.05)


def test_deterministic_and_typed_layers():
    segs = samples.text_strokes("L", 3.0, origin=(1, 1))
    v, f = _plate([(segs, 0.3, -0.1, "flat")], size=(5.0, 5.0))
    r1, _ = _run(v, f)
    r2, _ = _run(v, f)
    assert r1.to_dict() == r2.to_dict()
    layers = r1.layers.face_layers()
    assert [x.name for x in layers] == ["lines-width", "lines-verdict"]
    width = layers[0].values
    assert len(width) == len(f) and layers[0].unit == "mm"
    assert np.nanmax(width) == pytest.approx(0.3, rel=TOL)
    kinds = {m.kind for m in r1.measurements}
    assert {"stroke_width_mm", "stroke_depth_mm"} <= kinds


def test_rules_are_declared():
    for code in ("MS600", "MS601", "MS602", "MS603", "MS604"):
        assert RULES[code].family == "lines"
    assert RULES["MS601"].compare == "below" and RULES["MS604"].compare == "state"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(width=st.floats(0.03, 0.4), depth=st.floats(0.015, 0.3), engraved=st.booleans(),
       seed=st.integers(0, 1000))
def test_no_finding_straddles_its_threshold(width, depth, engraved, seed):
    """The evidence rule on random strokes: every MS60x warning's interval lies wholly on the
    wrong side of its threshold (Finding refuses anything else; this checks the family never
    tries), and the undetermined count matches the metrics."""
    segs = np.array([[[1.0, 1.0 + 0.9 * k], [5.0, 1.4 + 0.9 * k]] for k in range(3)])
    v, f = _plate([(segs, width, -depth if engraved else min(depth, 1.5 * width), "flat")],
                  size=(6.0, 4.5), coarse=0.5, seed=seed)
    res, _ = _run(_rotate(v, seed), f)
    for x in res.findings:
        rule = RULES[x.code]
        if rule.compare != "state":
            assert verdict(*x.measured_range, x.threshold, rule.compare) == "fail"
    unsure = res.metrics["lines_by_verdict"]["undetermined"]
    info = [x for x in res.findings if x.code == "MS600"]
    assert (unsure > 0) == bool(info)
    assert not info or info[0].measured == unsure


# --- the corpus ----------------------------------------------------------------------------

def test_boar_base_lettering_is_read(corpus_dir):
    """rpg.scad's giant boar carries " GB0" embossed 0.7 mm on its base (font size 5)."""
    from miniscan.loading import load

    m = load(corpus_dir / "mini_rpgscad_giant_boar_0.stl")
    a = Analysis(m)
    res = C.run(m, TABLETOP, a)
    lines = [ln for ln in _lines(res) if ln["centroid_mm"][2] < 1.0]  # on the base's top
    assert len(lines) == 3  # G, B, 0
    for ln in lines:
        assert ln["kind"] == "ridge" and ln["depth_mm"] == pytest.approx(0.7, rel=0.02)
        assert 0.45 < ln["width_mm"] < 0.75 and ln["verdict"] == "ok"
    xs = sorted(ln["centroid_mm"][0] for ln in lines)
    assert xs[0] < -13 and xs[-1] > -8  # left to right along the rim: G, B, 0


@pytest.mark.parametrize("noise", [0.003, 0.008])
def test_lines_in_a_noisy_scan_surface(noise):
    """Scan noise up to a fifteenth of the depth: the lines are still read, their intervals
    wider but still holding the truth."""
    segs = samples.text_strokes("LE", 3.0, origin=(1.5, 2.0))
    v, f = samples.lettered_plate([(segs, 0.3, -0.12, "round")], size=(7.0, 7.0), coarse=0.3)
    top = v[:, 2] > 1.0
    v[top, 2] += np.random.default_rng(1).normal(0.0, noise, top.sum())
    _check_known(_lines(_run(v, f)[0]), 0.3, 0.12, count=2)


@pytest.mark.parametrize("noise", [0.005, 0.02, 0.05])
def test_noise_alone_reads_no_lines(noise):
    v, f = samples.lettered_plate([], size=(7.0, 7.0), coarse=0.1)
    top = v[:, 2] > 1.0
    v[top, 2] += np.random.default_rng(2).normal(0.0, noise, top.sum())
    res, _ = _run(v, f)
    assert res.metrics["lines_read"] == 0 and not res.findings


@pytest.mark.xfail(strict=True, reason="noise chains of 2-3 vertices on sliver meshes read as "
                   "lines on 3 of 6 fresh seeds (9 of 48 seeds 20-31 over the four solids of the test above): "
                   "their median depth over a handful of stations clears the detection threshold "
                   "by chance (docs/lines.md, Limitations)")
def test_scan_noise_on_a_sliver_drum_reads_no_lines_on_fresh_seeds():
    """The test above passes on its four seeds; on six more of one of its solids it does not.
    Each false line is 0.4 mm long (one or two of its 0.3 mm edges), 0.02 mm deep and read as
    MS601 (shallower than a layer): a warning on pure noise."""
    import trimesh

    m = trimesh.creation.cylinder(radius=10.0, height=4.0, sections=96)
    v, f = trimesh.remesh.subdivide_to_size(m.vertices, m.faces, 0.4)
    sub = trimesh.Trimesh(v, f)
    read = []
    for seed in range(20, 26):
        shift = np.random.default_rng(seed).normal(scale=0.008, size=(len(v), 1))
        res, _ = _run(_rotate(np.asarray(sub.vertices + sub.vertex_normals * shift), seed), f)
        read.append(res.metrics["lines_read"])
    assert read == [0] * len(read), read


@pytest.mark.xfail(strict=True, reason="the widest window is bounded by the axis-aligned box's "
                   "diagonal, which grows by up to sqrt(3) as the model turns; bounded by an "
                   "invariant size the suite lost 3 shallow strokes that only a window as wide as "
                   "their plate reads (docs/lines.md, Limitations)")
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_the_window_ladder_does_not_turn_with_the_model(seed):
    """Rigid motion must not change what is read (DESIGN.md section 5); a small turned plate
    gets a window the upright one does not (2.6 mm on a 4 x 6 mm plate: lines:10042)."""
    segs = np.array([[[1.5, 1.5], [1.5, 4.5]]])
    v, f = _plate([(segs, 0.05, -0.1, "round")], size=(4.2, 6.25), coarse=0.3)
    lim = C.limits(TABLETOP)
    upright = C.ladder(Analysis(from_arrays(v, f)), lim)
    assert C.ladder(Analysis(from_arrays(_rotate(v, seed), f)), lim) == pytest.approx(upright)


def test_resolution_invariance():
    """Subdividing 4x keeps the shape (midpoints of flat facets): widths and depths move < 10 %."""
    import trimesh

    segs = samples.text_strokes("IT", 3.0, origin=(1, 1.5))
    v, f = _plate([(segs, 0.25, -0.1, "round")], size=(6.0, 6.0))
    fine = trimesh.Trimesh(v, f, process=False).subdivide()
    a = _lines(_run(v, f)[0])
    b = _lines(_run(np.asarray(fine.vertices), np.asarray(fine.faces))[0])
    assert len(a) == len(b) == 2
    for key in ("width_mm", "depth_mm"):
        assert sorted(x[key] for x in a) == pytest.approx(sorted(x[key] for x in b), rel=0.10)


def _sliver_plate(dx, dy, size=6.0, height=1.5):
    """A plate whose top is a grid of dx x dy cells cut in two: slivers when dx >> dy."""
    import trimesh

    nx, ny = int(round(size / dx)), int(round(size / dy))
    x, y = np.meshgrid(np.arange(nx + 1) * dx, np.arange(ny + 1) * dy, indexing="ij")
    i = (np.arange(nx)[:, None] * (ny + 1) + np.arange(ny)[None, :]).ravel()
    tri = np.r_[np.c_[i, i + ny + 1, i + 1], np.c_[i + 1, i + ny + 1, i + ny + 2]]
    m = trimesh.creation.extrude_triangulation(np.c_[x.ravel(), y.ravel()], tri, height)
    v = np.asarray(m.vertices).copy()
    return v, np.asarray(m.faces), np.flatnonzero(v[:, 2] > height - 1e-6)


@pytest.mark.parametrize("dx,dy,depth,seed", [(0.4, 0.04, 0.05, None), (0.3, 0.02, 0.1, 3),
                                              (0.2, 0.05, 0.05, 5), (0.5, 0.1, 0.2, 6)])
def test_a_lone_vertex_on_slivers_is_a_pit_not_a_line(dx, dy, depth, seed):
    """One vertex pushed in (or out) among slivers: its footprint is as long as the slivers
    (10-15 times its width), but the surface holds it at one sample: a pit or a bump, not a
    stroke (before: every one of the 25 read as a line). A row of such vertices is a line."""
    v, f, top = _sliver_plate(dx, dy)
    p = v[top, :2]
    on_mm = np.all(np.abs(p - np.round(p)) < [dx / 2, dy / 2], axis=1)
    pick = top[on_mm & (p.min(axis=1) > 0.5) & (p.max(axis=1) < 5.5)]
    pick = pick[np.unique(np.round(v[pick, :2]), axis=0, return_index=True)[1]]  # 25, 1 mm apart
    pits = v.copy()
    pits[pick, 2] += np.where(np.arange(len(pick)) % 2, depth, -depth)
    res, _ = _run(_rotate(pits, seed), f)
    assert len(pick) == 25 and res.metrics["lines_read"] == 0, _lines(res)
    row = top[(np.abs(p[:, 1] - 3.0) < dy / 2) & (p[:, 0] > 1.0) & (p[:, 0] < 5.0)]
    groove = v.copy()
    groove[row, 2] -= depth
    assert _run(_rotate(groove, seed), f)[0].metrics["lines_read"] == 1


@pytest.mark.parametrize("shape,sigma,seed", [("capsule", 0.01, 2), ("capsule", 0.006, 3),
                                              ("drum", 0.008, 7), ("cone", 0.008, 8)])
def test_scan_noise_on_sliver_meshes_reads_no_lines(shape, sigma, seed):
    """Plain solids subdivided to 0.4 mm (fan caps and poles become slivers) with a scan's
    normal noise: chains of 2-4 noisy vertices among slivers are as long as strokes, and one of
    them passes the detection threshold where the local noise happened to read low, but read
    along its stations the chain is 2-3 sigma deep: under the threshold (before: 9, 10, 17 and 6
    lines; with lone vertices dropped, 1-2 each)."""
    import trimesh

    if shape == "capsule":
        m = trimesh.creation.capsule(height=20.0 if sigma > 0.008 else 12.0,
                                     radius=4.0 if sigma > 0.008 else 3.0, count=[64, 64])
    elif shape == "drum":
        m = trimesh.creation.cylinder(radius=10.0, height=4.0, sections=96)
    else:
        m = trimesh.creation.cone(radius=8.0, height=12.0, sections=96)
    v, f = trimesh.remesh.subdivide_to_size(m.vertices, m.faces, 0.4)
    sub = trimesh.Trimesh(v, f)
    shift = np.random.default_rng(seed).normal(scale=sigma, size=(len(v), 1))
    res, _ = _run(_rotate(np.asarray(sub.vertices + sub.vertex_normals * shift), seed), f)
    assert res.metrics["lines_read"] == 0, _lines(res)
