"""Held-out shapes: meshes the ground-truth grammar (bench/truth/) does not draw.

The grammar draws gridded, finely tessellated shapes. Real files are often coarse CAD exports
(a box of 12 triangles, cylinders with fan caps, convex hulls, revolves of a polygon), flat
designs with creases between 15 and 45 degrees, inside-out or duplicated shells, the same part
in other units or formats. Each test here states the physically right answer from first
principles and checks miniscan against it.

Tests marked xfail(strict=True) are defects measured today: each fails for the reason given
and will flag (XPASS -> failure) once fixed, so that the mark is removed in the same commit.
The plain tests are held-out properties that hold (DESIGN.md section 5: units, rigid motion,
resolution, and the same JSON whatever the file format).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

trimesh = pytest.importorskip("trimesh")

from miniscan.conditions import resolve  # noqa: E402
from miniscan.model import Model, from_arrays  # noqa: E402
from miniscan.runner import RunOptions, check_model  # noqa: E402
from miniscan.samples import rounded_prism  # noqa: E402

# Viewing numbers of the default profile used in the expectations below (tabletop: 500 mm,
# 1' acuity, 6' glance): what the eye resolves and what a glance keeps, in mm.
R_EYE_MM = 500.0 * np.tan(np.radians(1.0 / 60.0))  # 0.145 mm
GLANCE_MM = 500.0 * np.tan(np.radians(6.0 / 60.0))  # 0.873 mm
GLOSS_HALF_LOBE_RAD = 0.1 / 2.0  # MS301's limit under gloss: half the lobe half-width


# ---------------------------------------------------------------------------- helpers


def _run(mesh, families, profile="tabletop", **overrides):
    """Check a trimesh (or a Model) in memory with only the named families (health always
    runs)."""
    model = mesh if isinstance(mesh, Model) else \
        from_arrays(np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int64))
    fams = tuple(dict.fromkeys(("health",) + tuple(families)))
    return check_model(model, resolve(profile, **overrides), RunOptions(families=fams))


def _verdicts(fr, code):
    """(fail, pass, undetermined) of one rule code in a file result."""
    for c in fr.checks:
        v = (c.metrics or {}).get("verdicts") or {}
        if code in v:
            return v[code]["fail"], v[code]["pass"], v[code]["undetermined"]
    return 0, 0, 0

def _assert_creases_judged(fr, n):
    """At least n creases judged razor or undetermined, none passed: hard creases between flat
    faces are never silent."""
    fail, ok, und = _verdicts(fr, "MS201")
    assert ok == 0 and fail + und >= n



def _codes(fr):
    return {f.code: f.count for f in fr.findings}


def _summary(fr, prefix):
    """Every verdict count and finding count of one family's codes: what must not change."""
    out = {}
    for c in fr.checks:
        for code, v in ((c.metrics or {}).get("verdicts") or {}).items():
            if code.startswith(prefix):
                out[code] = (v["fail"], v["pass"], v["undetermined"])
    out.update({k + "#": n for k, n in _codes(fr).items() if k.startswith(prefix)})
    return out


def _radii(fr):
    return sorted(m.value for c in fr.checks for m in c.measurements
                  if m.kind == "bevel_radius_mm")


def _rotated(mesh, seed, shift_mm=0.0):
    m = mesh.copy()
    rng = np.random.default_rng(seed)
    m.apply_transform(trimesh.transformations.random_rotation_matrix(rng.random(3)))
    m.apply_translation(rng.normal(size=3) * shift_mm)
    return m


def _prism(xy, height):
    """A straight prism over a polygon given counter-clockwise, caps fanned from vertex 0
    (as many CAD exporters write a convex cap: long slivers)."""
    n = len(xy)
    tri = np.array([[0, i, i + 1] for i in range(1, n - 1)])
    return trimesh.creation.extrude_triangulation(np.asarray(xy, float), tri, height)


def _chamfer_box(leg_mm, size=(20.0, 12.0, 6.0)):
    """A box with every edge chamfered at 45 degrees (leg leg_mm) and its corners cut: the
    convex hull of the three inset points of each corner (44 triangles)."""
    hx, hy, hz = (s / 2.0 for s in size)
    pts = [[sx * (hx - d[0]), sy * (hy - d[1]), sz * (hz - d[2])]
           for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)
           for d in ((leg_mm, 0, 0), (0, leg_mm, 0), (0, 0, leg_mm))]
    return trimesh.convex.convex_hull(np.array(pts))


def _hull_rounded_box(radius, size=(20.0, 12.0, 6.0)):
    """A box with every edge filleted at `radius`: hull of eight icospheres (a CAD-like
    export: big sliver triangles on the flats, a fine fillet)."""
    ball = trimesh.creation.icosphere(subdivisions=3, radius=radius)
    h = np.array(size) / 2.0 - radius
    signs = np.array(list(np.ndindex(2, 2, 2))) * 2 - 1
    pts = [ball.vertices + h * s for s in signs]
    return trimesh.convex.convex_hull(np.vstack(pts))


def _roof(ridge_turn_deg, edge_mm=0.4):
    """A 20 x 12 mm block, 4 mm to the eaves, whose top is two planes meeting at a straight
    ridge that turns ridge_turn_deg; every face subdivided to edge_mm (no relief, no noise)."""
    half = np.radians(ridge_turn_deg) / 2.0
    yz = np.array([[-6, 0], [6, 0], [6, 4], [0, 4 + 6 * np.tan(half)], [-6, 4]], float)
    m = _prism(yz, 20.0)
    v = m.vertices[:, [2, 0, 1]] - [10.0, 0.0, 0.0]
    v, f = trimesh.remesh.subdivide_to_size(v, m.faces, edge_mm)
    return trimesh.Trimesh(v, f)


def _revolved_base(sections=128):
    """A 25 mm round base 3 mm tall whose top rim is a 45-degree bevel 0.8 mm wide (two 45°
    creases) and whose bottom rim is a hard 90° edge: a revolve of a 5-point profile."""
    prof = np.array([[0, 0], [12.5, 0], [12.5, 2.2], [11.7, 3.0], [0, 3.0]], float)
    return trimesh.creation.revolve(prof, sections=sections)


def _prism_block(max_edge=0.5, arc_edge=None):
    v, f = rounded_prism(radii=(0.0, 0.05, 0.2, 0.5), max_edge=max_edge, arc_edge=arc_edge)
    return trimesh.Trimesh(v, f, process=False)


# ------------------------------------------------ edges: hard creases of coarse CAD exports


@pytest.mark.parametrize("seed,size", [(1, (20.0, 12.0, 6.0)), (4, (3.0, 8.0, 1.5)),
                                       (7, (40.0, 40.0, 2.0))])
def test_box_of_twelve_triangles_accounts_for_its_edges(seed, size):
    # 12 hard 90-degree creases between flat faces: R = 0 < R_min, or at worst a crease the
    # file draws with no rows (undetermined). None may pass and none may be missing (before
    # the hard reading: no chain at all; the sections walked round the 4-face cross-section)
    fr = _run(_rotated(trimesh.creation.box(size), seed, 25.0), ["edges"])
    _assert_creases_judged(fr, 12)


def test_finely_tessellated_box_accounts_for_its_edges():
    # the same box subdivided to 0.5 mm: every edge is razor or undetermined (this holds)
    box = trimesh.creation.box((20.0, 12.0, 6.0))
    v, f = trimesh.remesh.subdivide_to_size(box.vertices, box.faces, 0.5)
    fr = _run(_rotated(trimesh.Trimesh(v, f), 1), ["edges"])
    fail, ok, und = _verdicts(fr, "MS201")
    assert ok == 0 and fail + und == 12 and fail >= 1


@pytest.mark.parametrize("sections,seed", [(16, 2), (24, 6), (64, 3), (256, 2)])
def test_cylinder_rims_are_judged(sections, seed):
    # two hard 90° rims, 50 mm long each: razor (R = 0) or undetermined, never silent (a
    # trimesh cylinder: fan caps, one row of side slivers; before: no chain at all)
    cyl = trimesh.creation.cylinder(radius=8.0, height=4.0, sections=sections)
    fr = _run(_rotated(cyl, seed, 25.0), ["edges"])
    _assert_creases_judged(fr, 2)


@pytest.mark.parametrize("sections,seed", [(128, None), (48, 5), (300, 8)])
def test_revolved_base_rims_are_judged(sections, seed):
    # a revolve of a 5-point profile: two 45° creases of its top bevel and a 90° bottom rim
    base = _revolved_base(sections)
    fr = _run(base if seed is None else _rotated(base, seed, 25.0), ["edges"])
    _assert_creases_judged(fr, 3)


@pytest.mark.parametrize("seed", [3, 9])
def test_star_prism_creases_are_judged(seed):
    # 40 triangles: 10 vertical creases of 72-144 degrees, 20 rim creases of 90
    a = np.arange(10) * np.pi / 5
    r = np.where(np.arange(10) % 2 == 0, 10.0, 4.0)
    star = trimesh.creation.extrude_triangulation(
        np.vstack([np.c_[r * np.cos(a), r * np.sin(a)], [[0.0, 0.0]]]),
        np.array([[i, (i + 1) % 10, 10] for i in range(10)]), 3.0)
    fr = _run(_rotated(star, seed), ["edges"])
    _assert_creases_judged(fr, 20)


@pytest.mark.parametrize("leg,shift", [(0.1, (10.0, -7.0, 3.0)), (0.1, (-150.0, 40.0, 8.0)),
                                       (0.3, (10.0, -7.0, 3.0))])
def test_chamfered_box_edges_do_not_depend_on_place(leg, shift):
    # 12 chamfers whose creases turn 45 degrees: a translation changes nothing physical (a
    # flank of one face read a slope from two rounding residues: 7 razor edges as drawn, 5
    # after a shift of (10, -7, 3) mm)
    box = _chamfer_box(leg)
    moved = box.copy()
    moved.apply_translation(shift)
    assert _summary(_run(moved, ["edges"]), "MS2") == _summary(_run(box, ["edges"]), "MS2")


def test_filleted_box_is_the_same_in_every_pose():
    # a hull-exported box filleted at 0.5 mm: radius read within 2 % and the same verdicts
    # (MS202: 0.5 mm > the 0.357 mm generic edge at 1:56) in any pose and place
    box = _hull_rounded_box(0.5)
    runs = [_run(m, ["edges"]) for m in (box, _rotated(box, 1, 40.0), _rotated(box, 5, 40.0))]
    assert all(_summary(fr, "MS2") == _summary(runs[0], "MS2") for fr in runs)
    fail, ok, und = _verdicts(runs[0], "MS202")
    assert (fail, und) == (12, 0)
    for fr in runs:
        r = np.array(_radii(fr))
        assert len(r) >= 12 and np.all(np.abs(r / 0.5 - 1.0) < 0.15)


def test_soft_fillets_of_a_hull_box_are_all_found():
    # 1.0 mm fillets, 2.8 x the 0.357 mm a generic edge has at 1:56: every one is too soft,
    # in every pose (before sections were placed along each chain by its geometry, 10, 9 and
    # 11 of the 12 were found as drawn and in two other poses; a coarser lattice, icosphere
    # subdivision 2, still finds 11)
    box = _hull_rounded_box(1.0)
    for mesh in (box, _rotated(box, 1, 40.0), _rotated(box, 5, 40.0)):
        assert _verdicts(_run(mesh, ["edges"]), "MS202")[0] == 12


def test_edges_hold_under_a_ten_percent_resolution_change():
    # DESIGN.md section 5: a resolution change must not move verdicts far from thresholds;
    # fillets 0.05 / 0.2 / 0.5 mm against R_min 0.24 mm and the 0.357 mm material bound
    runs = [_run(_prism_block(max_edge=e), ["edges"]) for e in (0.225, 0.25, 0.275)]
    assert all(_summary(fr, "MS2") == _summary(runs[0], "MS2") for fr in runs)
    for fr in runs:
        r = np.array(_radii(fr))
        for true in (0.05, 0.2, 0.5):
            assert np.min(np.abs(r / true - 1.0)) < 0.10


# ------------------------------------------ specular and texture on clean flat-faced designs


def test_hexagonal_prism_has_no_noisy_patch():
    # flat faces carry no normal variation at any scale; its creases (60° and 90°) are designs
    a = np.arange(6) * np.pi / 3
    fr = _run(_prism(np.c_[8.0 * np.cos(a), 8.0 * np.sin(a)], 5.0), ["specular"])
    fail, _, und = _verdicts(fr, "MS301")
    assert fail + und == 0 and not {"MS300", "MS301"} & set(_codes(fr))


def test_revolved_base_has_no_noisy_patch():
    fr = _run(_revolved_base(), ["specular"])
    fail, _, und = _verdicts(fr, "MS301")
    assert fail + und == 0 and not {"MS300", "MS301"} & set(_codes(fr))


@pytest.mark.parametrize("leg", [0.05, 0.1, 0.3])
def test_chamfered_box_corner_is_not_sparkle(leg):
    # three flat chamfers meeting at a corner are one designed shape: one glint, not glitter
    # (the 0.1 mm box as drawn had an MS301 at a corner, 30.9 deg (18.7-43.0), that a rotation
    # took away: the reading of a fold that narrow depends on where the voxel grid cuts it, and
    # the interval now takes in the grid's phase)
    box = _chamfer_box(leg)
    for seed in (0, 1, 2):
        fr = _run(_rotated(box, seed, 5.0) if seed else box, ["specular"])
        assert "MS301" not in _codes(fr)


def test_straight_ridge_is_not_sparkle():
    # two planes and their gables: the ridge's turn is the planes' (before: MS301 under gloss,
    # 'sparkle over 18 mm2: normals vary 4.5 deg', the ridge's turn read as noise)
    fr = _run(_roof(25.0), ["specular"], finish="gloss")
    assert "MS301" not in _codes(fr)


def test_straight_ridge_is_not_texture():
    # the same 25-degree roof got 12 texture verdicts, all left open by MS100 ('the relief spans
    # only a few edges of this mesh: export finer'): two planes carry no relief. Since windows
    # that reach the ridge are read from their point's finer scale (analysis.detail.spectra.
    # _crease_reach, stop 56) nothing is left open (a strict xfail until then)
    fr = _run(_roof(25.0), ["texture"])
    undecided = sum(_verdicts(fr, f"MS10{k}")[2] for k in range(1, 7))
    assert undecided == 0 and not any(c.startswith("MS1") for c in _codes(fr))


@pytest.mark.xfail(strict=True, reason="a smooth 0.3 mm rod (capsule, 32 sections: facets of "
                   "0.03 mm, far under the 0.145 mm the eye resolves) gets MS302 '11 % of the "
                   "highlight jumps, 10.9 glints a frame' under matte (its MS301 'sparkle over "
                   "0.33 mm2: normals vary 41 deg' is gone since the interval takes in the "
                   "grid's phase: 10 regions open): the rod's own round form read as noise")
def test_smooth_thin_rod_does_not_sparkle():
    # a spear's highlight is one continuous line that glides along it as the lamp moves: its
    # normals turn with the rod's form (radius 0.15 mm), not with relief on it
    rod = trimesh.creation.capsule(height=25.0, radius=0.15, count=[32, 32])
    codes = _codes(_run(_rotated(rod, 2), ["specular"]))
    assert "MS301" not in codes and "MS302" not in codes


@pytest.mark.xfail(strict=True, reason="the block of 0.05/0.2/0.5 mm fillets and its mirror "
                   "image differ in specular: MS301 verdicts (0 fail, 0 pass, 3 open) vs "
                   "(0, 0, 2) (before crease regions between planes were left unjudged: 4 "
                   "open vs 2; before the interval took in the grid's phase: (0, 2, 0) vs "
                   "(0, 1, 2)); neither has a finding, the open count follows the grid")
def test_mirror_image_has_the_same_specular_verdicts():
    block = _prism_block()
    mirror = block.copy()
    mirror.apply_transform(np.diag([-1.0, 1.0, 1.0, 1.0]))
    assert _summary(_run(block, ["specular"]), "MS3") == \
        _summary(_run(mirror, ["specular"]), "MS3")


def _ripple_uv_sphere(sections, radius=2.5, wavelength=1.0, amplitude=0.05):
    """A UV sphere (pole fans, slivers near the poles) with ring ripples of the given
    wavelength and semi-amplitude along the arc from the pole."""
    m = trimesh.creation.uv_sphere(radius=radius, count=[sections, sections // 2])
    v = np.asarray(m.vertices)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    s = radius * np.arccos(np.clip(n[:, 2], -1.0, 1.0))
    return trimesh.Trimesh(v + n * (amplitude * np.cos(2 * np.pi * s / wavelength))[:, None],
                           m.faces, process=False)


@pytest.mark.parametrize("sections, pose", [
    (136, 1), (112, 2), (136, 3), (160, 4), (160, 5), (112, 6), (136, 7)])
def test_printable_ripples_are_printable_on_a_finer_mesh(sections, pose):
    # resin: detail under 0.07 mm wide or 0.03 mm deep is lost; these ripples are 0.5 mm wide
    # (7x) and 0.1 mm deep (3x), beyond the 1.5x "at risk" margin: MS103 must pass, at any
    # section count that carries them (7-10 edges a wavelength) and any pose. (Until wave 7,
    # with 136 sections: 0 pass, 7 undetermined -- the poles' fans masked every window within
    # 2 sigma of them at every scale, and the wavelength interval read 0.02-33 mm. Until wave
    # 10 the 160-section sphere in pose 4 got 0 pass and 7 undetermined, the others 2-8 pass
    # and 1-5 open: the 1 mm wavelength lies near the ladder's top on a 5 mm sphere, and the
    # form rule, its lookup cut short there, masked the top scales wherever one of them bent;
    # with the lookup continued past the top, 17-26 pass and 3-10 open.)
    fr = _run(_rotated(_ripple_uv_sphere(sections), pose), ["texture"])
    fail, ok, und = _verdicts(fr, "MS103")
    assert fail == 0 and ok > und


@pytest.mark.parametrize("subdivisions, radius, visible", [(3, 10.0, True), (5, 10.0, False),
                                                           (5, 2.0, False)])
def test_sphere_faceting_reported_only_where_it_shows(subdivisions, radius, visible):
    # under gloss the highlight hides normal steps below half its lobe (0.05 rad). Icosphere
    # facets turn by about 1.1 x edge / radius: 0.087 rad at subdivision 3 (1.5 mm facets, ten
    # eye pixels wide): visible; 0.022 rad at subdivision 5: hidden at any radius
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    turn = float(np.max(sphere.face_adjacency_angles))
    assert (turn > GLOSS_HALF_LOBE_RAD) == visible
    fr = _run(_rotated(sphere, 4), ["specular"], finish="gloss")
    fail, _, und = _verdicts(fr, "MS301")
    assert (fail + und > 0) == visible


# ------------------------------------------------------------------------------ thickness


def _cup(wall_mm, sections, radius=5.0, height=8.0):
    """An open cup revolved from a U profile: side and floor walls wall_mm thick, the inner
    and outer polygons aligned (their facets parallel: the wall is wall_mm x cos(pi/n)...1)."""
    prof = np.array([[0, 0], [radius, 0], [radius, height], [radius - wall_mm, height],
                     [radius - wall_mm, wall_mm], [0, wall_mm]], float)
    return trimesh.creation.revolve(prof, sections=sections)


@pytest.mark.parametrize("wall, subdivisions, thin", [(0.3, 2, True), (0.3, 4, True),
                                                      (0.6, 3, False)])
def test_hollow_sphere_wall_is_measured(wall, subdivisions, thin):
    # an icosphere shell (outer 5 mm, inner 5 - wall, inner shell inverted): resin's minimum
    # wall is 0.4 mm. This holds at coarse and fine tessellations.
    outer = trimesh.creation.icosphere(subdivisions=subdivisions, radius=5.0)
    inner = trimesh.creation.icosphere(subdivisions=subdivisions, radius=5.0 - wall)
    inner.invert()
    fr = _run(_rotated(trimesh.util.concatenate([outer, inner]), 1), ["scale"])
    fail, ok, und = _verdicts(fr, "MS502")
    assert (fail, ok, und) == ((1, 0, 0) if thin else (0, 1, 0))


@pytest.mark.parametrize("wall, sections, thin", [(0.25, 14, True), (0.25, 16, True),
                                                  (0.25, 18, True), (0.25, 40, True),
                                                  (0.5, 16, False), (0.5, 24, False)])
def test_faceted_cup_wall_is_judged_at_any_section_count(wall, sections, thin):
    # the wall is wall x cos(pi/n)...wall everywhere whether the design is the polygon or the
    # circle through its vertices: its inner and outer facets are parallel and bend together.
    # Before, each facet's sagitta was added to the interval unsigned: 16 sections read
    # 0.0637-0.427 mm for a 0.25 mm wall (MS500), 0.5 mm walls 0.35-0.65. A thin cup's floor
    # and side wall meet at a right angle: two thin walls, each failing (docs/scale.md, walls
    # that run the same way); walls that pass group by thickness, one region
    fr = _run(_rotated(_cup(wall, sections), sections), ["scale"])
    assert _verdicts(fr, "MS502") == ((2, 0, 0) if thin else (0, 1, 0))


def _tube(wall_mm, sections, radius=3.0, height=10.0):
    """A closed tube (a hollow pipe, its ends capped by rings) revolved from a rectangle: a
    shell whose inner and outer walls are both faceted."""
    r = radius - wall_mm
    prof = np.array([[r, 0], [radius, 0], [radius, height], [r, height], [r, 0]], float)
    return trimesh.creation.revolve(prof, sections=sections)


@pytest.mark.parametrize("wall, sections, thin", [(0.25, 12, True), (0.25, 16, True),
                                                  (0.3, 24, True), (0.55, 16, False)])
def test_faceted_tube_wall_is_judged(wall, sections, thin):
    # a hollow pipe of 3 mm radius drawn with 12-24 flat sides: the same wall as a cup's, the
    # 0.25-0.3 mm walls fail resin's 0.4 mm minimum and a 0.55 mm wall passes
    fr = _run(_rotated(_tube(wall, sections), 2 + sections), ["scale"])
    assert _verdicts(fr, "MS502") == ((1, 0, 0) if thin else (0, 1, 0))
    ms = [m for c in fr.checks for m in c.measurements if m.kind == "thickness_mm"]
    # each interval meets the design's wall: the polygon's (wall x cos(pi / n) across its
    # flats) or the circle's; 12 sections turn 30 degrees a facet, the crease angle: designed
    assert ms and all(m.lo <= wall and m.hi >= wall * np.cos(np.pi / sections) for m in ms)


def _holed_plate(thickness, cell=1.0, n=(12, 8), holes=((3, 3), (3, 4), (8, 3), (8, 4), (5, 6))):
    """A 12 x 8 mm plate of two triangles per 1 mm cell, five cells left out as square holes
    (a grille, a perforated deck): extruded, so its holes' walls are single quads."""
    xs, ys = np.meshgrid(np.arange(n[0] + 1) * cell, np.arange(n[1] + 1) * cell, indexing="ij")
    v = np.c_[xs.ravel(), ys.ravel()]
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n[0]), np.arange(n[1]), indexing="ij"))
    keep = ~np.isin(i * 1000 + j, [a * 1000 + b for a, b in holes])
    i, j = i[keep], j[keep]
    k = i * (n[1] + 1) + j
    tri = np.vstack([np.c_[k, k + n[1] + 1, k + n[1] + 2], np.c_[k, k + n[1] + 2, k + 1]])
    return trimesh.creation.extrude_triangulation(v, tri, thickness)


@pytest.mark.parametrize("thickness, thin", [(0.25, True), (1.2, False)])
def test_plate_with_holes_is_judged_by_its_thickness(thickness, thin):
    # the holes' walls are as tall as the plate is thick and the ligaments between holes are
    # 1 mm wide: a 0.25 mm plate is thinner than resin holds, a 1.2 mm plate is not
    fr = _run(_rotated(_holed_plate(thickness), 5), ["scale"])
    fail, ok, und = _verdicts(fr, "MS502")
    assert ("MS502" in _codes(fr)) == thin and und == 0
    assert (fail >= 1) == thin and ok >= 1 - thin


@pytest.mark.parametrize("fin, thin", [(0.25, True), (0.6, False)])
def test_fin_on_a_twelve_triangle_block_is_judged(fin, thin):
    # a 10 x 10 x 4 mm block of 12 triangles with a 6 x 4 mm fin of 12 triangles pushed into
    # it (two bodies, un-unioned, as a quick assembly is): the fin is the only thin wall
    block = trimesh.creation.box((10.0, 10.0, 4.0))
    plate = trimesh.creation.box((fin, 6.0, 4.0))
    plate.apply_translation([0.0, 0.0, 3.0])
    fr = _run(_rotated(trimesh.util.concatenate([block, plate]), 6), ["scale"])
    assert _verdicts(fr, "MS502") == ((1, 0, 0) if thin else (0, 1, 0))


# ---------------------------------------------------------------------------------- lines


def _grooved_plate(width, depth, edge_mm=0.3, half_length=3.0, run=5.0, thickness=2.0):
    """A plate with one flat-bottomed groove across it (a CAD panel line): a profile extruded
    `run` mm, its caps cut into convex pieces, every face subdivided to edge_mm."""
    w, t = width / 2.0, thickness
    xz = np.array([[-half_length, 0], [-w, 0], [w, 0], [half_length, 0], [half_length, t],
                   [w, t], [w, t - depth], [-w, t - depth], [-w, t], [-half_length, t]])
    tri = np.array([[0, 1, 7], [0, 7, 8], [0, 8, 9], [1, 2, 6], [1, 6, 7], [2, 3, 4],
                    [2, 4, 5], [2, 5, 6]])
    m = trimesh.creation.extrude_triangulation(xz, tri, run)
    v = np.c_[m.vertices[:, 0], m.vertices[:, 2] - run / 2.0, m.vertices[:, 1]]
    v, f = trimesh.remesh.subdivide_to_size(v, m.faces, edge_mm)
    plate = trimesh.Trimesh(v, f)
    if plate.volume < 0:
        plate.invert()
    return plate


@pytest.mark.parametrize("depth", [0.1, 0.2])
def test_cad_panel_line_is_read(depth):
    # a 0.3 mm groove 0.1-0.2 mm deep: 4x the resin cutoff wide, 3-7x a layer deep, over the
    # paint: read, measured, and kept through print and paint (this holds)
    fr = _run(_rotated(_grooved_plate(0.3, depth), 1), ["lines"])
    assert _verdicts(fr, "MS601") == (0, 1, 0) and _verdicts(fr, "MS602") == (0, 1, 0)
    ms = {m.kind: m.value for c in fr.checks for m in c.measurements}
    assert abs(ms["stroke_width_mm"] / 0.3 - 1.0) < 0.15
    assert abs(ms["stroke_depth_mm"] / depth - 1.0) < 0.15


def _grooved_barrel(sections, width=0.3, depth=0.15, radius=4.0, height=8.0, step=0.1):
    """A 4 mm barrel with a flat-bottomed groove around its middle (a panel line on a curved
    hull): a revolve whose profile has a point every `step` mm and at the groove's corners."""
    z0, z1 = height / 2 - width / 2, height / 2 + width / 2
    below = [[radius, z] for z in np.r_[np.arange(0.0, z0, step), z0]]
    above = [[radius, z] for z in np.r_[z1, np.arange(z1 + step, height, step), height]]
    prof = [[0.0, 0.0]] + below + [[radius - depth, z0], [radius - depth, z1]] + above \
        + [[0.0, height]]
    return trimesh.creation.revolve(np.array(prof, float), sections=sections)


def _one_ring_read(fr, depth):
    assert _verdicts(fr, "MS601") == (0, 1, 0) and _verdicts(fr, "MS602") == (0, 1, 0)
    ms = {m.kind: m.value for c in fr.checks for m in c.measurements}
    assert abs(ms["stroke_width_mm"] / 0.3 - 1.0) < 0.15
    assert abs(ms["stroke_depth_mm"] / depth - 1.0) < 0.15


@pytest.mark.parametrize("sections, seed", [(128, 1), (384, 2)])
def test_panel_line_around_a_barrel_is_read(sections, seed):
    # a 0.3 mm groove 0.15 mm deep around a 4 mm barrel (the line curves with the surface):
    # one line, kept by print and paint, measured within 15 %
    _one_ring_read(_run(_rotated(_grooved_barrel(sections), seed), ["lines"]), 0.15)


def test_panel_line_around_a_barrel_is_one_line_at_256_sections():
    # A near tie: on OpenBLAS's AVX-512 (SkylakeX) kernels this pose reads the ring as 2 lines
    # (22.8 mm of line in all of its 25.1 mm, 0.29-0.295 mm wide: two pass verdicts for one
    # groove), on the Haswell kernels the tests pin (tests/conftest.py) as one, as 128, 192 and
    # 384 sections and 256 turned otherwise do on both. Which kernel rounds it decides it.
    _one_ring_read(_run(_rotated(_grooved_barrel(256), 1), ["lines"]), 0.15)


# ---------------------------------------------------- a sample turned a quarter about the vertical

SPEAR = Path(__file__).resolve().parents[1] / "sample_meshes" / "spear_figure.obj"


def _spear_turned(quarter_turns):
    import miniscan

    model = miniscan.load(str(SPEAR))
    c, s = np.round(np.cos(quarter_turns * np.pi / 2)), np.round(np.sin(quarter_turns * np.pi / 2))
    return model.transformed(np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))


@pytest.mark.xfail(strict=True, reason="the spear figure turned 90 degrees about the vertical "
                   "(exactly: the 8 orbit views map onto each other) changes its specular "
                   "verdicts: MS301 0 fail / 2 pass / 3 open as drawn, 0 / 1 / 4 turned (wave "
                   "9: 0 fail + 5 open vs 0 fail + 4 open; 14 vs 13 before the faceted spear's "
                   "crease regions were left unjudged; no finding in either since the "
                   "interval takes in the grid's phase; before 2 fail + 12 open vs 3 fail + 10 "
                   "open)")
def test_quarter_turn_keeps_specular_verdicts():
    ref, turned = (_run(_spear_turned(k), ["specular"]) for k in (0, 1))
    assert _summary(turned, "MS3") == _summary(ref, "MS3")


def test_quarter_turn_keeps_silhouette_verdicts():
    # a quarter turn about the vertical only relabels the orbit's views
    ref, turned = (_run(_spear_turned(k), ["silhouette"]) for k in (0, 1))
    assert _summary(turned, "MS4") == _summary(ref, "MS4")
    assert {"MS401", "MS402"} <= set(_codes(ref))


# ------------------------------------------ the same geometry with its faces in another order


def _shuffled(model, seed):
    """The same surface with its vertices and faces listed in another order (what another
    exporter or a mesh tool's save writes)."""
    rng = np.random.default_rng(seed)
    pv = rng.permutation(model.n_vertices)
    new_id = np.empty_like(pv)
    new_id[pv] = np.arange(len(pv))
    faces = new_id[model.faces][rng.permutation(model.n_faces)]
    return from_arrays(model.vertices[pv], faces)


_SHUFFLED_SPECULAR = pytest.mark.xfail(strict=True, reason=(
    "the spear figure with its faces and vertices listed in another order (seed 2) gets MS301 "
    "0 fail / 0 pass / 2 open instead of 0 / 2 / 4 (wave 9: 0 fail + 2, 5 and 6 open; 12, 14 "
    "and 13 before the spear's crease regions were left unjudged): the open count follows "
    "the file's listing order (large faces are sampled by draws in face order); the findings "
    "agree since the interval takes in the grid's phase (before: 5, 2 and 1 fail). With each "
    "triangle's corners cycled, same winding, the verdicts agree since wave 16 (before: 0 / 1 / 4 "
    "against the listing's 0 / 2 / 3, with the sampling share)"))


@pytest.mark.parametrize("reorder", [pytest.param("shuffled", marks=_SHUFFLED_SPECULAR),
                                     "cycled"])
def test_face_order_does_not_change_specular_verdicts(reorder):
    import miniscan

    model = miniscan.load(str(SPEAR))
    ref = _summary(_run(from_arrays(model.vertices, model.faces), ["specular"]), "MS3")
    same = _shuffled(model, 2) if reorder == "shuffled" else \
        from_arrays(model.vertices, model.faces[:, [1, 2, 0]])
    assert _summary(_run(same, ["specular"]), "MS3") == ref


@pytest.mark.parametrize("sample", ["elf_ears.obj", "lettered_base.ply"])
def test_face_order_does_not_change_edge_verdicts(sample):
    # elf_ears.obj listed in another order (seed 1) got 3 MS201 razor edges instead of 2:
    # sections were placed, and ties broken, by face and edge ids; now by place alone
    import miniscan

    model = miniscan.load(str(SPEAR.parent / sample))
    ref = _summary(_run(from_arrays(model.vertices, model.faces), ["edges"]), "MS2")
    for seed in (1, 2, 3):
        assert _summary(_run(_shuffled(model, seed), ["edges"]), "MS2") == ref
    cycled = from_arrays(model.vertices, model.faces[:, [1, 2, 0]])
    assert _summary(_run(cycled, ["edges"]), "MS2") == ref


def test_face_order_does_not_change_silhouette_or_thickness():
    # what holds: the ray-cast silhouettes and the thickness rays see only the surface
    import miniscan

    model = miniscan.load(str(SPEAR))
    fams = ["silhouette", "scale"]
    ref = _run(from_arrays(model.vertices, model.faces), fams)
    got = _run(_shuffled(model, 2), fams)
    for prefix in ("MS4", "MS5"):
        assert _summary(got, prefix) == _summary(ref, prefix)


def test_face_order_and_pose_do_not_change_thickness_verdicts_on_the_showcase():
    # the showcase's faces listed in another order (seed 3) gave MS502 (2 fail, 9 pass)
    # instead of (2, 6), mirrored 7 pass: the thickness samples were drawn face by face in the
    # file's order, and the walls between the minimum and 4 minimum walls that are measured
    # and passed split into regions by where the samples fell. Every face now draws its own
    # samples from what it is (analysis/thickness/ `_draw`): listing, corner order and pose
    # sample the same surface at the same places
    import miniscan

    model = miniscan.load(str(SPEAR.parent / "showcase_mini.glb"))
    v, f = model.vertices, model.faces
    ref = _summary(_run(from_arrays(v, f), ["scale"]), "MS5")
    for other in (_shuffled(model, 3), _shuffled(model, 5), from_arrays(v, f[:, [1, 2, 0]]),
                  from_arrays(v @ _turn_z(0.65).T + [12.5, -3.0, 4.0], f)):
        assert _summary(_run(other, ["scale"]), "MS5") == ref
    # a mirror image reads the same walls but for faces alike in shape and place (the
    # symmetric parts' rings), whose draws are shared out in the order of their places
    mirrored = _summary(_run(from_arrays(v * [-1.0, 1.0, 1.0], f[:, ::-1]), ["scale"]), "MS5")
    assert {k: n for k, n in mirrored.items() if k.endswith("#")} == \
        {k: n for k, n in ref.items() if k.endswith("#")}


def _turn_z(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


# ------------------------------------------------------------------- silhouette and health


def test_torus_hole_does_not_close_by_azimuth():
    # every through-hole narrows to nothing at a grazing view; a 14 mm hole (16 glances)
    # reads from the views where it is open, whichever 17 views happen to be sampled (before
    # gaps were judged where another view sees them open, a 0.3 or 1.1 rad turn gave MS402
    # 'gap 0.35 mm fills in')
    tor = trimesh.creation.torus(major_radius=10.0, minor_radius=3.0,
                                 major_sections=64, minor_sections=32)
    tor.apply_transform(trimesh.transformations.rotation_matrix(0.5, [1, 0, 0]))
    assert 14.0 > 16 * GLANCE_MM
    for turn in (0.0, 0.3, 0.7, 1.1):
        m = tor.copy()
        m.apply_transform(trimesh.transformations.rotation_matrix(turn, [0, 0, 1]))
        assert "MS402" not in _codes(_run(m, ["silhouette"]))


def _ball_with_rod(diameter, sections, length=8.0):
    """A 10 mm ball with a straight rod of `sections` flat sides standing out of it sideways."""
    ball = trimesh.creation.icosphere(subdivisions=4, radius=5.0)
    rod = trimesh.creation.cylinder(radius=diameter / 2.0, height=length, sections=sections)
    rod.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    rod.apply_translation([4.5 + length / 2.0, 0.0, 0.0])
    return trimesh.util.concatenate([ball, rod])


@pytest.mark.parametrize("diameter, sections, lost", [(0.3, 5, True), (0.8, 4, False)])
def test_faceted_rod_is_judged_against_the_glance(diameter, sections, lost):
    # a bar survives a glance (Gaussian of FWHM g) when it is at least 0.573 g wide: 0.5 mm at
    # 500 mm. A pentagonal 0.3 mm rod is lost; a square rod 0.57-0.8 mm across is kept (holds)
    fr = _run(_ball_with_rod(diameter, sections), ["silhouette"])
    assert (_verdicts(fr, "MS401")[0] > 0) == lost
    assert ("MS401" in _codes(fr)) == lost


SHOWCASE = SPEAR.parent / "showcase_mini.glb"


def test_figure_on_a_base_is_framed_the_same_in_any_place_and_face_order():
    # the figure's frame leaves out its base; the vertices of the base's top plane lie within
    # float rounding of the detected level, which a shift or another face order moves by an
    # ulp: before, that put the base's rim in the frame (256 -> 268 pixels) and changed the
    # verdicts (MS402 1 -> 3 gaps, MS403 12 -> 10 views) after a pure shift or face shuffle
    import miniscan

    model = miniscan.load(str(SHOWCASE))
    v, f = model.vertices, model.faces
    ref = _summary(_run(from_arrays(v, f), ["silhouette"]), "MS4")
    rng = np.random.default_rng(4)
    for other in (from_arrays(v + [37.5, -12.25, 8.0], f),
                  from_arrays(v, f[rng.permutation(len(f))]), from_arrays(v, f[:, [1, 2, 0]])):
        assert _summary(_run(other, ["silhouette"]), "MS4") == ref


def test_slim_rod_at_an_odd_pose_is_judged_against_the_glance():
    # a pentagonal 0.3 mm rod and a square 0.8 mm one on a ball, turned at random (no view
    # looks along an axis): lost (measured within 15 %) and kept
    for seed in (1, 7):
        fr = _run(_rotated(_ball_with_rod(0.3, 5), seed), ["silhouette"])
        assert _verdicts(fr, "MS401")[0] >= 1
        w = [m.value for c in fr.checks for m in c.measurements
             if m.kind == "protrusion_width_mm" and m.verdict == "fail"]
        assert w and all(abs(x / 0.3 - 1.0) < 0.15 for x in w)
        assert "MS401" not in _codes(_run(_rotated(_ball_with_rod(0.8, 4), seed), ["silhouette"]))


def test_duplicated_shell_is_reported():
    # a shell exported twice: every face of the copy repeats one of the first (MS902)
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=5.0)
    flipped = trimesh.Trimesh(sphere.vertices, sphere.faces[:, ::-1], process=False)
    for copy in (sphere.copy(), flipped):
        both = trimesh.util.concatenate([sphere, copy])
        both.merge_vertices()  # as every file is read: vertices at one position are one
        fr = _run(both, [])
        health = next(c for c in fr.checks if c.family == "health")
        assert health.metrics["duplicate_faces"] == len(sphere.faces)
        assert "MS902" in _codes(fr)
    fr = _run(sphere, [])
    assert next(c for c in fr.checks if c.family == "health").metrics["duplicate_faces"] == 0


# ------------------------------------------------------- the same file in other units and formats


def _file_summary(fr):
    out = []
    for c in fr.checks:
        out.append((c.family, sorted(((c.metrics or {}).get("verdicts") or {}).items())))
        out.extend((f.code, f.count, f.message) for f in c.findings)
    return out


def test_units_give_the_same_findings(tmp_path):
    import miniscan

    block = _prism_block()
    ref = None
    for units, per_mm in (("mm", 1.0), ("m", 1e-3), ("in", 1.0 / 25.4)):
        path = tmp_path / f"block_{units}.stl"
        trimesh.Trimesh(block.vertices * per_mm, block.faces, process=False).export(path)
        got = _file_summary(miniscan.check(str(path), units=units).files[0])
        ref = ref or got
        assert got == ref


def test_units_guess_names_the_centimetre_reading():
    # 1.6 x 1.0 x 0.8 units: a 1.6 m scan in metres or a 16 mm figure in centimetres; the
    # guess takes metres (the common export unit) and its note names the other reading
    from miniscan.loading.geometry import guess_units

    unit, why = guess_units(np.array([1.6, 1.0, 0.8]), 56.0)
    assert unit == "m" and "16 mm model drawn in centimetres" in why and "--units cm" in why
    for small in ((0.02, 0.015, 0.01), (0.307, 0.2, 0.1)):  # 0.2 mm or 3 mm in cm: metres
        unit, why = guess_units(np.array(small), 56.0)  # are nearer a miniature's size
        assert unit == "m" and "centimetres" not in why


def test_formats_give_the_same_findings(tmp_path):
    # the same geometry re-exported by another writer: STL, OBJ, PLY and glTF (Y up)
    import miniscan

    block = _prism_block()
    paths = []
    for ext in ("stl", "obj", "ply"):
        paths.append(tmp_path / f"block.{ext}")
        block.export(paths[-1])
    y_up = block.copy()
    y_up.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    paths.append(tmp_path / "block.glb")
    y_up.export(paths[-1])
    got = [_file_summary(miniscan.check(str(p), units="mm").files[0]) for p in paths]
    assert all(g == got[0] for g in got)



def test_closed_shell_wound_inconsistently_is_one_finding():
    # every edge is shared by two faces: the surface is closed (no MS901); its winding is
    # what is wrong, and that is MS906's one condition
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=5.0)
    f = sphere.faces.copy()
    f[::3] = f[::3, ::-1]
    fr = _run(trimesh.Trimesh(sphere.vertices, f, process=False), [])
    codes = _codes(fr)
    assert "MS906" in codes and "MS901" not in codes
    box = trimesh.creation.box((4.0, 4.0, 4.0))
    fr = _run(trimesh.Trimesh(box.vertices, box.faces[1:], process=False), [])
    assert "MS901" in _codes(fr)  # an open edge still is MS901


# ------------------------------------------ wave 9 held-out shapes: figures, kits and a tile
# A figure on a base holding a sword and a spear (ten un-unioned bodies, as a kitbash is
# exported), a corpus tile whose flagstones rest on its slab, and the boxes a kit's sword is
# made of: checked as a user would, every family's verdicts read against the physics.


def _figure_with_sword():
    """A 36 mm figure on a 25 mm round base: capsule legs, torso and arms, an icosphere head, a
    0.45 x 2 x 16 mm blade with a 0.8 x 5 x 0.8 mm crossguard (12-triangle boxes) and a
    0.3 mm spear of 12 sides through the other hand."""
    tf = trimesh.transformations

    def at(mesh, xyz, turn_y=0.0):
        if turn_y:
            mesh.apply_transform(tf.rotation_matrix(turn_y, [0, 1, 0]))
        mesh.apply_translation(xyz)
        return mesh

    cap = trimesh.creation.capsule
    parts = [at(trimesh.creation.cylinder(radius=12.5, height=3.0, sections=96), [0, 0, 1.5]),
             at(cap(height=10, radius=1.6, count=[24, 24]), [2.0, 0, 9.5]),
             at(cap(height=10, radius=1.6, count=[24, 24]), [-2.0, 0, 9.5]),
             at(cap(height=7, radius=3.2, count=[32, 32]), [0, 0, 19]),
             at(trimesh.creation.icosphere(3, radius=2.6), [0, 0, 28]),
             at(cap(height=8, radius=1.1, count=[20, 20]), [6, 0, 21], 1.2),
             at(trimesh.creation.box((0.45, 2.0, 16.0)), [10.5, 0, 28]),
             at(trimesh.creation.box((0.8, 5.0, 0.8)), [10.5, 0, 20]),
             at(trimesh.creation.cylinder(radius=0.15, height=20, sections=12), [-7, 0, 16]),
             at(cap(height=6, radius=1.0, count=[16, 16]), [-4.8, 0, 20], -1.0)]
    m = trimesh.util.concatenate(parts)
    return from_arrays(np.asarray(m.vertices, float), np.asarray(m.faces, np.int64))


def test_figure_with_sword_walls_in_any_listing_and_pose():
    # the 0.3 mm spear is thinner than resin's 0.4 mm minimum wall (read across its flats,
    # 0.29 mm), the 0.45 mm blade is not; the same verdicts whatever the listing or the turn
    fig = _figure_with_sword()
    ref = _run(fig, ["scale"])
    fails = [m for c in ref.checks for m in c.measurements
             if m.kind == "thickness_mm" and m.verdict == "fail"]
    assert fails and all(abs(m.value / 0.295 - 1.0) < 0.05 and m.centroid_mm[0] < -6.5
                         for m in fails)
    passes = [m.value for c in ref.checks for m in c.measurements
              if m.kind == "thickness_mm" and m.verdict == "pass"]
    assert any(abs(w / 0.45 - 1.0) < 0.05 for w in passes)  # the blade, measured
    v, f = fig.vertices, fig.faces
    for other in (_shuffled(fig, 4), from_arrays(v, f[:, [2, 0, 1]]),
                  from_arrays(v @ _turn_z(2.0).T + [40.0, -7.5, 3.0], f)):
        assert _summary(_run(other, ["scale"]), "MS5") == _summary(ref, "MS5")


TILE = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / \
    "terrain_dungeon_stone.circle_cutout.2x2.floor.inch.3x3.stl"


@pytest.mark.parametrize("seed", [1, 3])
def test_stones_resting_on_a_tile_are_not_thin_walls_in_any_listing(seed):
    # the tile's flagstones are separate shells whose bottoms lie 0-2 microns above (or into)
    # the slab's top; near a stone's tapered edge the stone alone is 0.2-0.4 mm thick. A print
    # fuses such a contact: no free wall. Before, the file as listed read none, but listed in
    # other orders (seeds 1, 3, 4) it read 'wall 0.227 mm', 'wall 0.177 mm' and 'wall 0.264
    # mm' (MS502) on stones' bottoms: the samples landing on the micron gap decided
    import miniscan

    if not TILE.exists():
        pytest.skip("corpus absent")
    model = miniscan.load(str(TILE))
    fr = _run(_shuffled(model, seed), ["scale"])
    assert not {"MS502", "MS500"} & set(_codes(fr))


# the figure with each triangle's corners cycled (a, b, c) -> (b, c, a) read 1 engraved line,
# 0.80 mm wide and 2.09 mm deep, at the crevice where the un-unioned head meets the torso (as
# listed and cycled the other way, none): the crevice's base windows hold a few points each,
# and a quadric through ~8 of them read their noise at half of what it is; with the fit's
# degrees of freedom given back, no order reads it
def test_figure_lines_do_not_follow_corner_order(tmp_path):
    import miniscan

    fig = _figure_with_sword()
    path = tmp_path / "figure.stl"  # as a user's file: float32 corners, seams merged on load
    trimesh.Trimesh(fig.vertices, fig.faces, process=False).export(path)
    fig = miniscan.load(str(path))
    v, f = fig.vertices, fig.faces
    ref = _summary(_run(fig, ["lines"]), "MS6")
    for order in ([1, 2, 0], [2, 0, 1]):
        assert _summary(_run(from_arrays(v, f[:, order]), ["lines"]), "MS6") == ref


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("size", [(0.8, 5.0, 0.8), (0.45, 2.0, 16.0), (0.6, 0.6, 9.0)])
def test_small_sword_boxes_account_for_their_edges(size, seed):
    # R = 0 < R_min = 0.24 mm: razor, or a crease the file draws with no rows (undetermined);
    # a bar 0.45-0.8 mm thick is 3-5 eye pixels across at 500 mm: its edges are seen (the
    # crossguard's sides were read crossing-to-cell, half their width, and went unjudged)
    fr = _run(_rotated(trimesh.creation.box(size), seed, 25.0), ["edges"])
    _assert_creases_judged(fr, 12)


@pytest.mark.parametrize("seed", [3, 11])
def test_a_spear_thinner_than_three_eye_sizes_has_no_razor_tips(seed):
    # a 0.3 mm square shaft is 2 eye sizes across at 500 mm: its ends are a thin part's tip
    fr = _run(_rotated(trimesh.creation.box((0.3, 0.3, 16.0)), seed, 25.0), ["edges"])
    fail, ok, und = _verdicts(fr, "MS201")
    assert fail == 0


def test_wyrmling_thin_patch_is_found():
    # the wyrmling's patch of 0.31-0.40 mm wall, about 0.5 mm2 near (-11.6, 3.3, 0.2) mm, holds
    # no first sample under 0.4 mm (20 000 samples 0.60 mm apart); the nearest, 0.41 mm away,
    # reads 0.434 mm in [0.398, 0.466]: a reading whose interval reaches under the minimum
    # wall is refined around, as one under it is (before: only readings under it were, and
    # the patch was found or not by where the samples fell)
    import miniscan

    path = TILE.parent / "mini_rpgscad_wyrmling.stl"
    if not path.exists():
        pytest.skip("corpus absent")
    fr = _run(miniscan.load(str(path)), ["scale"])
    assert "MS502" in _codes(fr)


# ------------------------------------------ wave 10 audit: shapes a user sends (owned families)


def _relief(xy, wavelength, sigma, seed):
    """Smooth isotropic random relief of standard deviation sigma (a sum of 24 plane waves)."""
    rng = np.random.default_rng(seed)
    k = rng.normal(size=(24, 2))
    k /= np.linalg.norm(k, axis=1, keepdims=True)
    phase = rng.uniform(0.0, 2.0 * np.pi, 24)
    return sigma * np.sqrt(2.0 / 24) * np.cos(2 * np.pi * (xy @ k.T) / wavelength + phase).sum(1)


def _figure_on_base(base_mm, relief_sigma, wavelength=0.6, square=False, seed=0, edge=0.4):
    """A 28 mm turned figure (legs, torso, head; no limbs) standing on a 3 mm base whose top
    carries random relief (grit, stones, a scan's noise) of standard deviation relief_sigma;
    the two bodies are not unioned, as a scan's figure and its base often are not."""
    z = np.array([0, 2, 12, 13, 20, 21.5, 22.5, 25, 27.5, 28.0])
    r = np.array([3.0, 3.2, 3.6, 4.2, 4.5, 2.0, 1.3, 2.8, 2.2, 0.0])
    zz = np.linspace(0, 28, 140)
    fig = trimesh.creation.revolve(np.r_[[[0, 3.0]], np.c_[np.interp(zz, z, r), zz + 3.0]],
                                   sections=96)
    base = trimesh.creation.box((base_mm, base_mm, 3.0)) if square else \
        trimesh.creation.cylinder(radius=base_mm / 2, height=3.0, sections=128)
    v, f = trimesh.remesh.subdivide_to_size(base.vertices + [0, 0, 1.5], base.faces, edge)
    # the relief fades out over the 2 mm inside a flat 0.5 mm rim (no cliff at its border)
    inset = base_mm / 2 - (np.max(np.abs(v[:, :2]), 1) if square else np.hypot(v[:, 0], v[:, 1]))
    top = v[:, 2] > 2.99
    fade = np.clip((inset[top] - 0.5) / 2.0, 0.0, 1.0)
    v[top, 2] += fade * _relief(v[top, :2], wavelength, relief_sigma, seed)
    return trimesh.util.concatenate([trimesh.Trimesh(v, f), fig])


def _hero_score(fr):
    return max(float(v.score) for c in fr.checks if c.family == "silhouette"
               for v in c.layers.views if not v.name.startswith("top"))


@pytest.mark.parametrize("base_mm,sigma,wl,square,seed", [
    (25.0, 0.12, 0.6, False, 1), (32.0, 0.2, 1.0, True, 2), (20.0, 0.08, 0.4, False, 3)])
def test_rough_base_is_left_out_of_the_silhouettes(base_mm, sigma, wl, square, seed):
    # the base's relief (peaks up to ~3 sigma, under a glance) is the stand's: the figure
    # must read as it does on a flat base (before: the peaks above the base's mean level were
    # kept, specked the footprint, and every view scored 0-2/100: MS403 x17 and MS404)
    rough = _run(_figure_on_base(base_mm, sigma, wl, square, seed), ["silhouette"])
    flat = _run(_figure_on_base(base_mm, 0.0, wl, square, seed), ["silhouette"])
    assert not {"MS403", "MS404"} & set(_codes(rough))
    assert abs(_hero_score(rough) - _hero_score(flat)) <= 10.0


def _turret(lines, sections=720, radius=11.0, height=6.0):
    """A tank turret: a 720-section revolve (a cylinder 6 mm tall under a 4 mm dome) with
    vertical panel lines cut into its curved side, each (angle_rad, depth_mm), 0.3 mm wide,
    walls as steep as the sections allow; the rim and the dome stay plain."""
    dome = 4.0 * np.sin(np.linspace(0, np.pi / 2, 30))[1:]
    zz = np.r_[np.linspace(0.0, height, 40), height + dome]
    rr = np.r_[np.full(40, radius), radius * np.cos(np.linspace(0, np.pi / 2, 30))[1:]]
    rr[-1] = 0.0
    tur = trimesh.creation.revolve(np.r_[[[0.0, 0.0]], np.c_[rr, zz]], sections=sections)
    v = tur.vertices.copy()
    th, rad = np.arctan2(v[:, 1], v[:, 0]), np.hypot(v[:, 0], v[:, 1])
    side = (v[:, 2] > 0.5) & (v[:, 2] < height - 0.5)
    for angle, depth in lines:
        cut = side & (np.abs(np.angle(np.exp(1j * (th - angle)))) * radius < 0.15)
        v[cut, :2] *= ((rad[cut] - depth) / rad[cut])[:, None]
    return trimesh.Trimesh(v, tur.faces)


@pytest.mark.parametrize("seed", [None, 4])
def test_panel_lines_on_a_curved_turret_are_read(seed):
    # four 0.3 mm panel lines on a curved turret side: two 0.15 mm deep (hold through print,
    # paint and the eye), two 0.02 mm deep (under the 0.03 mm layer: MS601, lost in print)
    tur = _turret([(0.3, 0.15), (1.9, 0.15), (3.5, 0.02), (5.0, 0.02)])
    fr = _run(tur if seed is None else _rotated(tur, seed, 20.0), ["lines"])
    widths = [m for c in fr.checks for m in c.measurements if m.kind == "stroke_width_mm"]
    depths = sorted(m.value for c in fr.checks for m in c.measurements
                    if m.kind == "stroke_depth_mm")
    assert len(widths) == 4 and all(m.lo <= 0.3 <= m.hi for m in widths)
    assert np.allclose(depths, [0.02, 0.02, 0.15, 0.15], rtol=0.15)
    assert _codes(fr).get("MS601") == 2 and "MS602" not in _codes(fr)


def test_sculpt_with_pinholes_and_a_flap_is_not_watertight():
    # a 24 mm blob with six pinholes (two faces each) and eight faces hung on existing edges
    # (three faces on an edge): one MS901 naming both, and no other family is thrown by them
    s = trimesh.creation.icosphere(subdivisions=4, radius=12.0)
    v = s.vertices * (1 + 0.08 * np.sin(s.vertices[:, [0]] / 12 * 2 * np.pi))
    c = trimesh.Trimesh(v, s.faces).triangles_center
    rng = np.random.default_rng(5)
    drop = np.zeros(len(s.faces), bool)
    for p in rng.normal(size=(6, 3)):
        drop[np.argsort(np.linalg.norm(c - 12 * p / np.linalg.norm(p), axis=1))[:2]] = True
    f = s.faces[~drop]
    a, b = f[::400, 0][:8], f[::400, 1][:8]
    flap = np.c_[a, b, len(v) + np.arange(8)]
    fr = _run(from_arrays(np.vstack([v, 1.06 * (v[a] + v[b]) / 2]), np.vstack([f, flap])),
              ["edges", "silhouette", "scale", "lines"])
    ms901 = [x for x in fr.findings if x.code == "MS901"]
    assert len(ms901) == 1 and "non-manifold" in ms901[0].message and "open" in ms901[0].message
    assert not {"MS201", "MS202", "MS401", "MS402", "MS403", "MS404", "MS601", "MS602"} \
        & set(_codes(fr))


def _scan_noise(mesh, sigma, seed, edge=0.4):
    """The shape subdivided to `edge` mm and every vertex moved along its normal by Gaussian
    noise of `sigma` mm (a structured-light scan's noise is 0.005-0.02 mm)."""
    v, f = trimesh.remesh.subdivide_to_size(mesh.vertices, mesh.faces, edge)
    m = trimesh.Trimesh(v, f)
    rng = np.random.default_rng(seed)
    shift = rng.normal(scale=sigma, size=(len(v), 1))
    return trimesh.Trimesh(m.vertices + m.vertex_normals * shift, f)


@pytest.mark.parametrize("shape,sigma", [
    pytest.param("drum", 0.008, marks=pytest.mark.xfail(strict=True, reason=(
        "lines: a scanned plain drum (25 x 3 mm, subdivided to 0.4 mm: its fan caps become "
        "slivers about 0.02-0.1 x 0.4 mm) with 0.008 mm noise reads 1 line (was 23): a chain of "
        "3 vertices on its side, 0.75 mm along, 0.11 mm wide, 0.021 mm deep (2.6 sigma), MS602. "
        "Where it lies the base windows' MAD reads the noise at 0.0034 mm, under half of it, "
        "even with the quadric's 6 degrees of freedom given back; pooling the noise over 7 "
        "windows removes it but cost 2 true lines of 342 (the suite's hatching and letters "
        "contaminate neighbouring windows)"))),
    ("capsule", 0.01)])
def test_scan_noise_is_not_read_as_lines(shape, sigma):
    # lone vertices among slivers (footprints as long as the slivers), chains read under the
    # detection threshold, and windows of a few points that read the noise low made a noisy
    # drum read 23 lines and a capsule 10
    base = trimesh.creation.cylinder(radius=12.5, height=3.0, sections=128) if shape == "drum" \
        else trimesh.creation.capsule(height=20.0, radius=4.0, count=[64, 64])
    fr = _run(_scan_noise(base, sigma, 1), ["lines"])
    assert not {"MS601", "MS602", "MS603"} & set(_codes(fr))


def _wavy_column(wavelength, amplitude, sections, rows=400, radius=6.0, height=25.2):
    """A turned column whose radius rolls sinusoidally along its height: a form, no edge."""
    z = np.linspace(0.0, height, rows)
    r = radius + amplitude * np.sin(2 * np.pi * z / wavelength)
    return trimesh.creation.revolve(np.r_[[[0.0, 0.0]], np.c_[r, z], [[0.0, height]]],
                                    sections=sections)


@pytest.mark.parametrize("wavelength,amplitude,sections,seed", [(6.3, 0.4, 256, None),
                                                                (4.0, 0.2, 512, 5)])
def test_a_gentle_wave_is_not_an_edge(wavelength, amplitude, sections, seed):
    # a wave's crest bands turn back beyond their inflection within a band width or two: no
    # bevel (a straight-line flank fit over one band width read them as 34-41 degree MS202)
    col = _wavy_column(wavelength, amplitude, sections)
    fr = _run(col if seed is None else _rotated(col, seed), ["edges"])
    assert _verdicts(fr, "MS202")[0] == 0


@pytest.mark.parametrize("extents,scale_n,unit", [
    ((42.0, 30.0, 42.0), 1.0, "mm"),   # a CAD bracket drawn in whole mm, at life size
    ((25.0, 25.0, 25.0), 1.0, "mm"),   # a die
    ((30.0, 30.0, 62.0), 1.0, "mm"),   # a turned chess pawn
    ((6.0, 4.0, 30.0), 6.0, "mm"),     # a 1:6 figure's pistol
    ((0.5, 0.4, 1.8), 1.0, "m"),       # a body scan in metres, shown at life size
    ((0.5, 0.4, 1.8), 56.0, "m"),      # ... and as a miniature
    ((1.0, 1.0, 2.0), 56.0, "in"),     # round inch fractions at 1:56 (a 51 mm model)
])
def test_a_small_part_at_life_size_is_read_in_millimetres(tmp_path, extents, scale_n, unit):
    # the plausible band's low end was the typical subject / 20: 90 mm at 1:1, so every real
    # object smaller than a cup drawn in round numbers read as inches
    import miniscan

    path = tmp_path / "part.stl"
    trimesh.creation.box(extents).export(path)
    assert miniscan.load(str(path), scale_n=scale_n).units == unit


# ------------------------------------------ wave 11 audit: shapes a user sends (owned families)
# A knurled grip, a gear cut from a CAD extrusion, a hollow print with its drain hole, a
# terrain tile with engraved cracks, an elf's ear in a glTF, an OBJ of quads and n-gons, and
# thin flaps drawn in rows: every family a user would run, read against the physics.


def _subdivided(mesh, times):
    """The same shape with every triangle split into four, `times` times (no vertex moves)."""
    for _ in range(times):
        mesh = mesh.subdivide()
    return mesh


@pytest.mark.parametrize("size", [(0.3, 6.0, 3.0), (0.3, 0.3, 12.0), (0.4, 4.0, 6.0)])
@pytest.mark.parametrize("times, seed", [(2, 2), (3, 7)])
def test_a_thin_flap_drawn_in_rows_has_no_razor_tips(size, times, seed):
    # a flap or shaft 0.3-0.4 mm thick is 2-2.75 eye sizes across at 500 mm: its rim is a
    # thin part's tip (THIN_EYES), as its 12 triangles already read; subdivided, the same
    # shape read every rim as two razor edges (8-12 MS201): the tip rule lived only in the
    # hard-crease reading, and a crease drawn in rows is read as a band (DESIGN section 5:
    # subdividing never changes a verdict)
    fr = _run(_rotated(_subdivided(trimesh.creation.box(size), times), seed), ["edges"])
    assert _verdicts(fr, "MS201")[0] == 0


@pytest.mark.parametrize("times, seed", [(2, 2), (3, 7)])
def test_a_flap_the_eye_sees_as_a_face_keeps_its_razor_edges(times, seed):
    # 0.6 mm is over THIN_EYES (3 x 0.145 mm) wide: its rims are two hard edges, R = 0 < R_min
    fr = _run(_rotated(_subdivided(trimesh.creation.box((0.6, 6.0, 3.0)), times), seed),
              ["edges"])
    assert _verdicts(fr, "MS201")[0] >= 8


def _knurled(phase, periods=50, per=8, depth=0.15, radius=4.0, height=4.0, rows=40):
    """A straight-knurled grip: `periods` V ridges round a 4 mm radius (0.5 mm pitch, 0.15 mm
    deep: every ridge and groove turns 62-66 degrees), `per` vertex columns a pitch, the
    ridge lines `phase` of a column off the vertex columns; fan caps."""
    n = periods * per
    th = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    tri = np.abs(((th * periods / (2 * np.pi) + phase / per) % 1.0) - 0.5) * 2.0
    ring = np.c_[(radius - depth * (1.0 - tri))[:, None] * np.c_[np.cos(th), np.sin(th)]]
    v = np.c_[np.tile(ring, (rows, 1)), np.repeat(np.linspace(0.0, height, rows), n)]
    i, j = np.arange(rows - 1)[:, None] * n, np.arange(n)[None, :]
    a, b, c, d = (i + j).ravel(), (i + (j + 1) % n).ravel(), \
        (i + n + (j + 1) % n).ravel(), (i + n + j).ravel()
    jj, jn, top = np.arange(n), (np.arange(n) + 1) % n, (rows - 1) * n
    f = np.r_[np.c_[a, b, c], np.c_[a, c, d], np.c_[np.full(n, len(v)), jn, jj],
              np.c_[np.full(n, len(v) + 1), top + jj, top + jn]]
    m = trimesh.Trimesh(np.r_[v, [[0, 0, 0], [0, 0, height]]], f)
    m.fix_normals()
    return m


@pytest.mark.parametrize("phase", [
    0.0,
    pytest.param(0.25, marks=pytest.mark.xfail(strict=True, reason=(
        "edges: ridges a quarter column off the vertex columns are drawn as two facet lines "
        "(48 + 15 degrees, 0.063 mm apart): the band is read soft and takes in the round's "
        "1.1-degree facet lines as tails (0.21 mm wide), its flank is read one band width "
        "out, past the 0.22 mm flat into the next groove, and turns 0.94 of the band (> "
        "FLANK_RATIO 0.2): all 100 ridges and grooves are lost, none judged. Ending every "
        "band's flank at the next crease (its leading line included) finds all 100, but "
        "alone it cost the suite 55 unsupported verdicts (flanks stopped at the 30-47 degree "
        "kinks of noisy sliver fans read flat); with a hard reading's rules for such a flank "
        "(narrower than the eye: no flank) and the crease's turn summed over an eye's width, "
        "1 unsupported (edges:104) and 1 lost edge (edges:84) remained: reverted"))),
    pytest.param(0.5, marks=pytest.mark.xfail(strict=True, reason=(
        "edges: ridges half a column off are two 31-degree facet lines one face apart, read "
        "as two chains in places (150 chains for 100 edges; every one razor)")))])
def test_knurled_grip_has_one_razor_edge_per_ridge_and_groove(phase):
    # R ~ 0.06 mm < R_min = 0.24 mm at 500 mm matte: each of the 50 ridges and 50 grooves is
    # one razor edge, wherever the ridge lines fall between the vertex columns
    fr = _run(_knurled(phase), ["edges"])
    side = [m for c in fr.checks for m in c.measurements
            if m.kind == "bevel_radius_mm" and 0.5 < m.centroid_mm[2] < 3.5]
    assert len(side) == 100 and all(m.verdict == "fail" for m in side)


@pytest.mark.parametrize("rows", [3, 10])
def test_a_knurl_of_long_faces_keeps_a_razor_edge_per_ridge_and_groove(rows):
    """Faces 0.4-2 mm tall: sections are walked past the grooves beside each ridge. A ridge
    is then a lone crossing between two creases that turn back more than it turns, as a fold
    tucked inside a crease of the other sign is; beyond them the pattern repeats, where a
    tucked fold has flanks (flanks._tucked_fold). Read as tucked folds, every ridge and groove
    was lost."""
    fr = _run(_knurled(0.0, rows=rows), ["edges"])
    side = [m for c in fr.checks for m in c.measurements
            if m.kind == "bevel_radius_mm" and 0.5 < m.centroid_mm[2] < 3.5]
    assert len(side) == 100 and all(m.verdict == "fail" for m in side)


def _gear(rows, fillet, teeth=16, r_root=8.0, r_tip=9.5, thick=4.0, seg=4):
    """A spur gear extruded 4 mm from a tooth outline whose every corner is rounded by an
    exact `fillet` arc of `seg` chords; `rows` rows of faces up its side (1: as a CAD
    extrusion is exported, side faces 4 mm long and 0.02-0.1 mm wide), fan caps."""
    w = 2 * np.pi / teeth
    k = np.repeat(np.arange(teeth), 5)
    f_ = np.tile([0.0, 0.2, 0.35, 0.65, 0.8], teeth)
    r_ = np.tile([r_root, r_root, r_tip, r_tip, r_root], teeth)
    p = np.c_[r_ * np.cos((k + f_) * w), r_ * np.sin((k + f_) * w)]
    p = np.roll(p, -1, axis=0)
    prev, nxt = np.roll(p, 1, axis=0), np.roll(p, -1, axis=0)
    u = (prev - p) / np.linalg.norm(prev - p, axis=1)[:, None]
    t = (nxt - p) / np.linalg.norm(nxt - p, axis=1)[:, None]
    half = 0.5 * np.arccos(np.clip((u * t).sum(1), -1, 1))
    bis = (u + t) / np.linalg.norm(u + t, axis=1)[:, None]
    c = p + bis * (fillet / np.sin(half))[:, None]
    a0, a1 = p + u * (fillet / np.tan(half))[:, None], p + t * (fillet / np.tan(half))[:, None]
    s0 = np.arctan2(a0[:, 1] - c[:, 1], a0[:, 0] - c[:, 0])
    sweep = np.angle(np.exp(1j * (np.arctan2(a1[:, 1] - c[:, 1], a1[:, 0] - c[:, 0]) - s0)))
    ang = s0[:, None] + np.linspace(0, 1, seg + 1)[None, :] * sweep[:, None]
    outline = (c[:, None, :] + fillet * np.stack([np.cos(ang), np.sin(ang)], -1)).reshape(-1, 2)
    n, zs = len(outline), np.linspace(0.0, thick, rows + 1)
    v = np.r_[np.c_[np.tile(outline, (rows + 1, 1)), np.repeat(zs, n)],
              [[0, 0, 0], [0, 0, thick]]]
    j, jn = np.arange(n), (np.arange(n) + 1) % n
    o = (np.arange(rows) * n)[:, None]
    side = np.r_[np.c_[(o + j).ravel(), (o + jn).ravel(), (o + jn + n).ravel()],
                 np.c_[(o + j).ravel(), (o + jn + n).ravel(), (o + j + n).ravel()]]
    top = rows * n
    f = np.r_[side, np.c_[np.full(n, len(v) - 2), jn, j],
              np.c_[np.full(n, len(v) - 1), top + j, top + jn]]
    m = trimesh.Trimesh(v, f)
    m.fix_normals()
    return m


@pytest.mark.parametrize("rows", [
    40, pytest.param(1, marks=pytest.mark.xfail(strict=True, reason=(
        "edges: the same gear with one row of side faces (a CAD extrusion's export: slivers "
        "4 mm long, 0.02 mm wide) reads only its two cap rims: every side face touches a rim "
        "(a hard edge across the fillets), so the fillets' faces link across that edge only "
        "(chains of 1-2 faces) and their sections run up the side from rim to rim, reading "
        "180 degrees or more: no section is good, the 64 tooth fillets are never judged. "
        "Letting a face link along its fillet where a softer edge from rim to rim turns more "
        "(turn x length) than its rim edge, and cutting no station along a rim that crosses "
        "its chain, judges all 64 (intervals cover 0.05 mm, also rotated, 12 teeth of 6 "
        "chords), but the one-row sides of the cycloidal drive then chain the same way, its "
        "rims lose the side faces they were read with (tabletop: 44 -> 25 razor edges) and "
        "the suite gains 2 false places: reverted")))])
def test_gear_tooth_fillets_are_judged_in_any_export(rows):
    # 0.05 mm fillets (4 chords) at 1:35 from 400 mm: R < R_min = 0.116 / 0.6 = 0.19 mm, and
    # above the 0.04 mm paint: 16 teeth x 4 corners razor
    fr = _run(_gear(rows, 0.05), ["edges"], "scale-model-1-35")
    assert _verdicts(fr, "MS201")[0] >= 64


def _hollow_ball(wall, radius=12.0, hole=1.5, arc=60, sections=96):
    """A ball printed hollow: a `wall` mm shell of outer radius 12 mm with a drain hole of
    1.5 mm radius at its bottom, one closed surface of revolution (outside, the hole's
    wall, inside)."""
    inner_r = radius - wall
    # from the top pole down the outside, across the hole's wall, up the inside to its pole
    t_out = np.linspace(np.pi / 2, -np.pi / 2 + np.arcsin(hole / radius), arc)
    t_in = np.linspace(-np.pi / 2 + np.arcsin(hole / inner_r), np.pi / 2, arc)
    prof = np.r_[np.c_[radius * np.cos(t_out), radius * np.sin(t_out)],
                 np.c_[inner_r * np.cos(t_in), inner_r * np.sin(t_in)]]
    prof[0, 0] = prof[-1, 0] = 0.0  # both poles on the axis
    m = trimesh.creation.revolve(prof, sections=sections)
    m.merge_vertices()
    m.fix_normals()
    return m


@pytest.mark.parametrize("wall, thin", [(0.8, False), (0.3, True)])
def test_a_hollow_print_with_a_drain_hole_is_judged_by_its_wall(wall, thin):
    # the shell is the wall (the 0.4 mm resin minimum): 0.8 mm holds, 0.3 mm does not; the
    # cavity is no body of its own and the hole's rims are no thin wall
    fr = _run(_rotated(_hollow_ball(wall), 3), ["scale"])
    walls = [m for c in fr.checks for m in c.measurements if m.kind == "thickness_mm"]
    assert any(m.lo <= wall <= m.hi for m in walls)
    assert ("MS502" in _codes(fr)) == thin
    if thin:
        assert next(f for f in fr.findings if f.code == "MS502").count == 1


def _cracked_tile(cracks, size=16.0, edge=0.1, width=0.5, depth=0.25, length=7.0):
    """A 16 mm terrain tile on a 0.1 mm grid with gently rolling ground and engraved cracks
    (x, y, angle in degrees), each a V `width` wide and `depth` deep, `length` long, its
    ends tapering over 0.5 mm."""
    n = int(round(size / edge))
    x = np.linspace(0.0, size, n + 1)
    X, Y = np.meshgrid(x, x)
    Z = 3.0 + 0.2 * np.sin(X / 5.0) * np.cos(Y / 6.0)
    for cx, cy, angle in cracks:
        d = np.radians(angle)
        along = (X - cx) * np.cos(d) + (Y - cy) * np.sin(d)
        across = -(X - cx) * np.sin(d) + (Y - cy) * np.cos(d)
        Z -= depth * np.clip(1 - np.abs(across) / (width / 2), 0, 1) * \
            np.clip((length / 2 - np.abs(along)) / 0.5, 0, 1)
    top = np.c_[X.ravel(), Y.ravel(), Z.ravel()]
    i, j = np.arange(n)[:, None] * (n + 1), np.arange(n)[None, :]
    a = (i + j).ravel()
    grid = np.r_[np.c_[a, a + 1, a + n + 2], np.c_[a, a + n + 2, a + n + 1]]
    ring = np.r_[np.arange(n), np.arange(n) * (n + 1) + n, n * (n + 1) + np.arange(n, 0, -1),
                 np.arange(n, 0, -1) * (n + 1)]
    nxt, k = np.roll(ring, -1), len(top)
    f = np.r_[grid, grid[:, ::-1] + k, np.c_[ring, ring + k, nxt + k], np.c_[ring, nxt + k, nxt]]
    m = trimesh.Trimesh(np.r_[top, top * [1, 1, 0]], f)
    m.fix_normals()
    return m


def test_cracks_engraved_in_a_terrain_tile_are_read_as_lines():
    # three cracks at 10, 75 and 140 degrees to the grid: 0.25 mm wide at half depth (a V
    # 0.5 mm across), 0.2-0.25 mm deep as the grid samples the V's floor: all hold through
    # print (0.035 mm pixel, 0.03 mm layer), paint (0.04 mm) and the eye (0.145 mm)
    fr = _run(_cracked_tile([(5, 8, 10.0), (11, 5, 75.0), (10, 11, 140.0)]), ["lines"],
              material="stone")
    widths = [m for c in fr.checks for m in c.measurements if m.kind == "stroke_width_mm"]
    depths = [m.value for c in fr.checks for m in c.measurements
              if m.kind == "stroke_depth_mm"]
    assert len(widths) == 3 and all(abs(m.value - 0.25) < 0.05 for m in widths)
    assert all(0.18 < d < 0.26 for d in depths)
    assert not {"MS601", "MS602", "MS603"} & set(_codes(fr))


def test_obj_quads_ngons_and_negative_indices_read_as_one_closed_prism(tmp_path):
    # a hexagonal prism 10 mm tall: six quads, a hexagon cap by positive indices and one by
    # negative (relative) ones: 6 x 2 + 2 x 4 triangles, closed and consistently wound
    import miniscan

    a = np.radians(60.0 * np.arange(6))
    lines = [f"v {5 * np.cos(t):.6f} {5 * np.sin(t):.6f} {z}" for z in (0.0, 10.0) for t in a]
    lines += ["f -7 -8 -9 -10 -11 -12", "f 7 8 9 10 11 12"]
    lines += [f"f {k + 1} {(k + 1) % 6 + 1} {(k + 1) % 6 + 7} {k + 7}" for k in range(6)]
    path = tmp_path / "prism.obj"
    path.write_text("\n".join(lines) + "\n")
    model = miniscan.load(str(path), units="mm")
    assert model.n_faces == 20
    fr = _run(model, ["scale"])
    health = next(c for c in fr.checks if c.family == "health")
    assert health.metrics["boundary_edges"] == 0 and health.metrics["winding_consistent"]
    assert not {"MS901", "MS902", "MS906"} & set(_codes(fr))


def test_a_glb_elf_ear_is_a_thin_skin_rim_and_a_thin_wall(tmp_path):
    # a 0.3 mm ear flap (6 x 3 mm, a translucent material) on a 10 mm head, in metres as
    # glTF declares, Y up: under the 0.4 mm resin wall (MS502), under the skin's translucency
    # limit (MS801, on the part 'ear'), and 2.1' across at 500 mm, under the 0.573 x 6'
    # glance (MS401); its rims are a thin part's tip (no MS201 on the ear)
    import miniscan
    from trimesh.visual.material import PBRMaterial

    head = trimesh.creation.icosphere(subdivisions=4, radius=5.0)
    ear = trimesh.creation.box((0.3, 6.0, 3.0))
    ear = trimesh.Trimesh(ear.vertices + [0.0, 7.5, 0.0], ear.faces).subdivide().subdivide()
    for m, alpha in ((head, 255), (ear, 128)):
        m.vertices = m.vertices * 0.001
        m.visual = trimesh.visual.TextureVisuals(material=PBRMaterial(
            baseColorFactor=[230, 180, 160, alpha], alphaMode="BLEND" if alpha < 255 else None))
    path = tmp_path / "elf.glb"
    trimesh.Scene({"head": head, "ear": ear}).export(str(path))
    model = miniscan.load(str(path))
    assert model.units == "m"
    fr = _run(model, ["scale", "translucency", "silhouette", "edges"], material="skin")
    codes = _codes(fr)
    assert {"MS502", "MS801", "MS401"} <= set(codes)
    assert next(f for f in fr.findings if f.code == "MS801").location.part == "ear"
    assert "MS201" not in codes


def _rod_in_block(seed):
    """A 3 mm rod, 10 mm long, pushed 3 mm into an 8 mm block and not unioned (as a kitbash
    is exported), turned at random; returns the mesh and the map back to the block's frame."""
    rod = trimesh.creation.cylinder(radius=1.5, height=10.0, sections=64)
    rod.apply_translation([0.0, 0.0, 6.0])  # from z = 1 (inside the block) to z = 11
    both = trimesh.util.concatenate([trimesh.creation.box((8.0, 8.0, 8.0)), rod])
    turn = trimesh.transformations.random_rotation_matrix(np.random.default_rng(seed).random(3))
    both.apply_transform(turn)
    return both, np.linalg.inv(turn)


@pytest.mark.parametrize("seed", [1, 4])
def test_edges_inside_another_body_are_not_judged(seed):
    # the rod's inner rim lies inside the block: inside the print, in no one's sight (before:
    # judged as a 90-degree crease like the outer one); its outer rim and the block's 12
    # edges are still judged
    mesh, back = _rod_in_block(seed)
    fr = _run(mesh, ["edges"])
    pts = np.array([m.centroid_mm for c in fr.checks for m in c.measurements
                    if m.code == "MS201"]) @ back[:3, :3].T + back[:3, 3]
    assert not np.all(np.abs(pts) < 3.9, axis=1).any()
    assert (pts[:, 2] > 10.5).sum() == 1 and sum(_verdicts(fr, "MS201")) == 13


def test_a_filleted_block_sunk_into_a_slab_keeps_the_edges_that_are_seen():
    # a block with filleted vertical edges (R 0, 0.05, 0.2, 0.5 mm), its lower 3 mm sunk into
    # a slab (not unioned): its bottom rim is inside the slab, its vertical edges and top rim
    # are seen and read as on the block alone (a rounded crease's point lies a hair inside
    # its own body: only the other bodies count)
    v, f = rounded_prism(radii=(0.0, 0.05, 0.2, 0.5))
    block = trimesh.Trimesh(v - [0.0, 0.0, 3.0], f)
    slab = trimesh.creation.box((30.0, 30.0, 4.0))
    slab.apply_translation([0.0, 0.0, -2.0])

    def seen(mesh):
        fr = _run(mesh, ["edges"])
        return sorted((round(m.value, 3), m.verdict) for c in fr.checks for m in c.measurements
                      if m.code == "MS201" and max(abs(m.centroid_mm[0]), abs(m.centroid_mm[1]))
                      < 14.0 and m.centroid_mm[2] > -0.1), fr

    alone, _ = seen(block)
    sunk, fr = seen(trimesh.util.concatenate([slab, block]))
    assert sunk == alone
    assert not [m for c in fr.checks for m in c.measurements
                if m.code == "MS201" and m.centroid_mm[2] < -0.1
                and max(abs(m.centroid_mm[0]), abs(m.centroid_mm[1])) < 14.0]


def test_a_closed_shell_wound_inside_out_is_noted_and_read_as_itself():
    # every face reversed: closed and consistent (no MS901, no MS906), but inside out; the
    # note is MS908's and the measurements are the box's own
    box = trimesh.creation.box((4.0, 4.0, 4.0))
    inside_out = trimesh.Trimesh(box.vertices, box.faces[:, ::-1], process=False)
    bad, good = _run(inside_out, ["edges"]), _run(box, ["edges"])
    assert "MS908" in _codes(bad) and not {"MS901", "MS906"} & set(_codes(bad))
    assert "MS908" not in _codes(good)
    assert _summary(bad, "MS2") == _summary(good, "MS2")
