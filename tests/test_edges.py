"""Edges family: bevel radius measured on procedural boxes with known fillets, the window, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.analysis.creases import find_creases
from miniscan.checks import edges
from miniscan.conditions import resolve
from miniscan.model import from_arrays

from procedural_edges import rounded_box, rounded_box_sdf, sphere, subdivide, torus


def measure(v, f, detect=4.0):
    return find_creases(Analysis(from_arrays(v, f)), detect)


def run(v, f, cond):
    m = from_arrays(v, f)
    return edges.run(m, cond, Analysis(m))


def codes(res):
    return sorted({x.code for x in res.findings})


@pytest.mark.parametrize("r", [0.05, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("kind,h_over_r", [("grid", 1 / 8), ("grid", 1 / 2), ("radial", 1 / 2)])
def test_bevel_radius_measured(r, kind, h_over_r):
    v, f = rounded_box(r, r * h_over_r, kind=kind)
    c = measure(v, f)
    assert c.count == 12  # one chain per box edge; corners split them
    tol = max(0.15 * r, 0.02) if r <= 0.05 else 0.15 * r
    assert np.all(np.abs(c.radius_mm - r) <= tol), c.radius_mm
    assert not c.resolution_limited.any()
    assert np.allclose(np.degrees(c.turn_rad), 90.0, atol=10.0)


@pytest.mark.parametrize("profile", ["display", "tabletop"])
@pytest.mark.parametrize("r", [0.05, 0.2, 0.5, 1.0])
def test_default_profiles_find_every_chain_on_irregular_meshes(profile, r):
    """A user with a default profile (R_detect = 1.43 mm for display) gets all 12 chains of an
    irregular (scan-like) triangulation, each within 15% of the true radius."""
    v, f = rounded_box(r, r / 2, kind="radial")
    res = run(v, f, resolve(profile))
    chains = res.metrics["chains"]
    assert res.metrics["chains_total"] == 12
    rad = np.array([ch["radius_mm"] for ch in chains], float)
    tol = max(0.15 * r, 0.02) if r <= 0.05 else 0.15 * r
    assert np.all(np.abs(rad - r) <= tol), rad
    assert np.allclose([ch["turn_deg"] for ch in chains], 90.0, atol=10.0)


def test_hard_edge_is_resolution_limited():
    for h in (0.05, 0.2):
        v, f = rounded_box(0.0, h, a=1.0)
        c = measure(v, f)
        assert c.count == 12
        assert c.resolution_limited.all()
        assert np.all(c.radius_mm <= h * 1.01)
        res = run(v, f, resolve("display"))
        for ch in res.metrics["chains"]:
            assert ch["radius_mm"] is None and ch["resolution_limited"]
        # one finding per chain: a razor edge folds the print note in (no MS201 + MS203 pair)
        assert set(codes(res)) == {"MS201"}


def test_smooth_sphere_and_torus_have_no_chains():
    assert measure(*sphere(2.0, 5), detect=4.0).count == 0
    assert measure(*torus(5.0, 1.0), detect=4.0).count == 0


@pytest.fixture(scope="module")
def boxes():
    return {r: rounded_box(r, r / 4) for r in (0.05, 0.2, 0.5)}


def test_display_profile_window(boxes):
    disp = resolve("display")
    assert disp.bevel_min_mm == pytest.approx(0.2424, rel=1e-3)
    assert "MS201" in codes(run(*boxes[0.05], disp))
    assert "MS201" not in codes(run(*boxes[0.5], disp))
    # matte halves R_min (0.121 mm): the 0.2 mm edge stops being a razor edge, 0.05 stays one
    assert "MS201" in codes(run(*boxes[0.2], disp))
    matte = resolve("display", finish="matte")
    assert "MS201" not in codes(run(*boxes[0.2], matte))
    assert "MS201" in codes(run(*boxes[0.05], matte))
    # too soft for generic material at 1:56 (20 mm real / 56 = 0.357 mm)
    assert "MS202" in codes(run(*boxes[0.5], disp))
    # a gloss finish empties the window: said once
    gl = run(*boxes[0.5], resolve("display", finish="gloss"))
    assert sum(x.code == "MS204" for x in gl.findings) == 1


def test_monotone_in_distance_and_finish(boxes):
    v, f = boxes[0.2]
    razor = [("MS201" in codes(run(v, f, resolve("display", distance=f"{d}mm", finish=fin))))
             for fin in ("matte", "satin") for d in (100, 250, 600)]
    # razor findings can only appear as the distance grows or the finish gets glossier
    assert razor[0] <= razor[1] <= razor[2] and razor[3] <= razor[4] <= razor[5]
    assert razor[0] <= razor[3] and razor[1] <= razor[4] and razor[2] <= razor[5]


def test_one_finding_per_chain(boxes):
    res = run(*boxes[0.05], resolve("display"))
    ms201 = [x for x in res.findings if x.code == "MS201"]
    assert len(ms201) == 12
    assert len({x.location.region for x in ms201}) == 12
    assert res.metrics["chains_total"] == 12 and len(res.metrics["chains"]) == 12


def _summary(res):
    return codes(res), sorted(round(ch["radius_mm"] or 0.0, 3) for ch in res.metrics["chains"])


@settings(max_examples=4, deadline=None)
@given(k=st.sampled_from([0.1, 3.0, 25.4]))
def test_dimensional_invariance(k):
    v, f = rounded_box(0.2, 0.05)
    c0 = resolve("display")
    a = run(v, f, c0)
    # the real object stays the same: scaled(k) is a k-times larger model at 1:(N/k)
    b = run(v * k, f, c0.scaled(k))
    assert codes(a) == codes(b)
    ra = np.array(sorted(ch["radius_mm"] for ch in a.metrics["chains"]))
    rb = np.array(sorted(ch["radius_mm"] for ch in b.metrics["chains"])) / k
    assert np.allclose(ra, rb, rtol=1e-6)


@settings(max_examples=4, deadline=None)
@given(angles=st.tuples(*[st.floats(-np.pi, np.pi, allow_nan=False)] * 3),
       t=st.tuples(*[st.floats(-50, 50, allow_nan=False)] * 3))
def test_rigid_motion_invariance(angles, t):
    from scipy.spatial.transform import Rotation

    v, f = rounded_box(0.2, 0.05)
    rot = Rotation.from_euler("xyz", angles).as_matrix()
    c0 = resolve("display")
    a, b = run(v, f, c0), run(v @ rot.T + np.array(t), f, c0)
    assert codes(a) == codes(b)
    ra = np.array(sorted(ch["radius_mm"] for ch in a.metrics["chains"]))
    rb = np.array(sorted(ch["radius_mm"] for ch in b.metrics["chains"]))
    assert np.allclose(ra, rb, rtol=1e-5)


def test_subdivision_on_the_surface():
    """4x the faces of the same shape (new vertices on the true surface): radii move < 10%."""
    r, a = 0.5, np.full(3, 2.0)
    v, f = rounded_box(r, r / 2, a=a, kind="radial")
    v2, f2 = subdivide(v, f, 1)
    # push the new midpoints back onto the rounded box along their rays
    u = v2 / np.linalg.norm(v2, axis=1, keepdims=True)
    lo, hi = np.zeros(len(u)), np.full(len(u), 10.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        inside = rounded_box_sdf(u * mid[:, None], a, r) < 0
        lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid)
    v2 = u * (0.5 * (lo + hi))[:, None]
    c1, c2 = measure(v, f), measure(v2, f2)
    assert c1.count == c2.count == 12
    assert np.all(np.abs(np.sort(c2.radius_mm) / np.sort(c1.radius_mm) - 1) < 0.10)


def test_deterministic(boxes):
    import json

    a = run(*boxes[0.2], resolve("display"))
    b = run(*boxes[0.2], resolve("display"))
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def test_corpus_cad_plate_runs(corpus_dir):
    from miniscan.loading import load

    m = load(str(corpus_dir / "cad_counterX.3MF"), None)
    res = edges.run(m, resolve("tabletop"), Analysis(m))
    assert res.status == "ok"
    assert res.metrics["chains_total"] >= 1


# --- rounded forms and texture are not edges; real samples (issue: false positives) ---

def _tm(mesh):
    return np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int64)


@pytest.mark.parametrize("profile", ["tabletop", "display"])
@pytest.mark.parametrize("r", [0.3, 1.0, 3.0])
def test_capsule_and_cylinder_are_forms_not_edges(profile, r):
    """A limb (capsule) curves as much beside any band as in it: no chain at any radius. A
    capped cylinder has exactly its two 90-degree rims (2 pi r long), nothing along its side."""
    import trimesh

    cond = resolve(profile)
    cap = run(*_tm(trimesh.creation.capsule(height=8 * r, radius=r, count=[48, 48])), cond)
    assert cap.metrics["chains_total"] == 0, cap.metrics["chains"]
    cyl = trimesh.creation.cylinder(radius=r, height=8 * r, sections=64)
    v, f = trimesh.remesh.subdivide_to_size(cyl.vertices, cyl.faces,
                                            max_edge=3 * 2 * np.pi * r / 64)
    res = run(np.asarray(v, float), np.asarray(f, np.int64), cond)
    chains = res.metrics["chains"]
    assert len(chains) == 2, chains
    for ch in chains:
        assert ch["turn_deg"] == pytest.approx(90.0, abs=5.0)
        assert ch["length_mm"] == pytest.approx(2 * np.pi * r, rel=0.05)
        assert abs(ch["centroid_mm"][2]) == pytest.approx(4 * r, rel=0.05)  # at the caps
    assert "MS202" not in codes(res)


def test_faceted_rod_is_not_a_row_of_edges():
    """A 12-sided rod turns 30 degrees at every facet edge: its flanks turn as much as its
    edges, so it is a (faceted) round form, not 12 creases."""
    import trimesh

    for sections, r in ((12, 0.15), (8, 0.1)):  # 30 and 45 degree facet edges
        rod = trimesh.creation.cylinder(radius=r, height=20.0, sections=sections)
        for v, f in (_tm(rod), trimesh.remesh.subdivide_to_size(rod.vertices, rod.faces, 0.5)):
            res = run(np.asarray(v, float), np.asarray(f, np.int64), resolve("tabletop"))
            assert all(ch["turn_deg"] > 60 for ch in res.metrics["chains"])  # cap rims at most


@pytest.mark.parametrize("sections,r,turn", [(12, 3.0, 30.0), (6, 0.5, 60.0)])
def test_faceted_column_keeps_its_edges(sections, r, turn):
    """Facets wide enough to read as flats (1.55 mm, 0.5 mm at tabletop) are real edges: one
    chain per facet edge, the column's full 20 mm, on a one-row and a refined mesh."""
    import trimesh

    col = trimesh.creation.cylinder(radius=r, height=20.0, sections=sections)
    for v, f in (_tm(col), trimesh.remesh.subdivide_to_size(col.vertices, col.faces, 0.5)):
        res = run(np.asarray(v, float), np.asarray(f, np.int64), resolve("tabletop"))
        side = [ch for ch in res.metrics["chains"] if ch["turn_deg"] < turn + 5]
        assert len(side) == sections
        assert all(ch["length_mm"] == pytest.approx(20.0, rel=0.02) for ch in side)
        assert all(ch["turn_deg"] == pytest.approx(turn, abs=1.0) for ch in side)
        assert all(ch["resolution_limited"] for ch in side)


@pytest.mark.parametrize("profile", ["tabletop", "display"])
def test_ripple_sphere_has_no_chains(profile):
    """Ring ripples (1 mm wavelength, 0.05 mm) are texture: each crest's flanks are the next
    troughs, curving as much as the crest."""
    from miniscan.samples import ripple_sphere

    res = run(*ripple_sphere(), resolve(profile))
    assert res.metrics["chains_total"] == 0, res.metrics["chains"][:3]


@pytest.fixture(scope="module")
def bevel_block():
    from conftest import SAMPLES
    from miniscan.loading import load

    m = load(str(SAMPLES / "bevel_block.stl"), None)
    return m, edges.run(m, resolve("tabletop"), Analysis(m))


def test_bevel_block_sample_verdicts(bevel_block):
    """16 x 10 x 8 mm block, vertical fillets r = 0, 0.05, 0.2, 0.5 mm at (+x,+y), (-x,+y),
    (-x,-y), (+x,-y), sharp rims; fan-triangulated caps (long thin triangles)."""
    _, res = bevel_block
    chains = res.metrics["chains"]
    by_code = {}
    for x in res.findings:
        by_code.setdefault(x.location.region, set()).add(x.code)
    vert = {}
    rims = {0.0: [], 8.0: []}
    for ch in chains:
        cx, cy, cz = ch["centroid_mm"]
        if 3.0 < cz < 5.0:
            vert[(np.sign(cx), np.sign(cy))] = ch
        else:
            rims[min(rims, key=lambda z: abs(z - cz))].append(ch)
    assert len(vert) == 4 and len(chains) == 4 + sum(len(x) for x in rims.values())
    # verticals: 8 mm long, 90 degrees
    for ch in vert.values():
        assert ch["length_mm"] == pytest.approx(8.0, rel=0.1)
        assert ch["turn_deg"] == pytest.approx(90.0, abs=5.0)
    sharp, r005, r02, r05 = (vert[k] for k in ((1, 1), (-1, 1), (-1, -1), (1, -1)))
    assert sharp["resolution_limited"] and sharp["resolution_mm"] <= 0.3
    assert by_code[sharp["chain"]] == {"MS201"}  # one finding per chain: no MS203 pair
    assert "MS201" in by_code[r005["chain"]] and "MS202" not in by_code[r005["chain"]]
    assert r005["radius_mm"] == pytest.approx(0.05, abs=0.02)
    assert by_code[r02["chain"]] == {"MS201"}  # 0.2 < R_min 0.242
    assert r02["radius_mm"] == pytest.approx(0.2, rel=0.15)
    assert by_code[r05["chain"]] == {"MS202"}  # 0.5 > R_max 0.357
    assert r05["radius_mm"] == pytest.approx(0.5, rel=0.15)
    # rims: 90 degree hard edges, 52 mm of perimeter at each level, resolution from the
    # 0.25 mm wall rows, not from the 2.6 mm-long fan triangles of the caps
    for z, rs in rims.items():
        assert rs, z
        assert sum(ch["length_mm"] for ch in rs) == pytest.approx(52.0, rel=0.05)
        for ch in rs:
            assert ch["turn_deg"] == pytest.approx(90.0, abs=5.0)
            assert ch["resolution_limited"] and ch["resolution_mm"] < 0.5
            assert by_code[ch["chain"]] == {"MS201"}
    assert max(ch["length_mm"] for ch in chains) <= 52.0 * 1.05  # no chain outruns its crease


def test_figure_samples_have_no_soft_limbs():
    """The spear figure is capsules and a 12-sided 0.3 mm spear: no edges at all. The showcase
    mini's limbs are no MS202, and no chain is longer than its longest crease (the 78.5 mm
    base rim)."""
    from conftest import SAMPLES
    from miniscan.loading import load

    m = load(str(SAMPLES / "spear_figure.obj"), None)
    assert edges.run(m, resolve("tabletop"), Analysis(m)).metrics["chains_total"] == 0
    m = load(str(SAMPLES / "showcase_mini.glb"), None)
    res = edges.run(m, resolve("tabletop"), Analysis(m))
    assert "MS202" not in codes(res)
    lengths = [ch["length_mm"] for ch in res.metrics["chains"]]
    assert max(lengths) <= 2 * np.pi * 12.5 * 1.03
    assert sum(lg == pytest.approx(2 * np.pi * 12.5, rel=0.03) for lg in lengths) == 2
