"""Edges family: bevel radius measured on generated shapes with known fillets (rings, round
bases, rounded boxes), the evidence rule on its intervals, forms that are not edges, invariants."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.analysis.creases import find_creases
from miniscan.checks import edges
from miniscan.conditions import resolve
from miniscan.model import from_arrays

import procedural_edges as P

EDGE_CODES = {"MS201", "MS202", "MS203"}


def measure(v, f, detect=4.0, eye=0.145):
    return find_creases(Analysis(from_arrays(v, f)), detect, 30.0, eye)


def run(v, f, cond):
    m = from_arrays(v, f)
    return edges.run(m, cond, Analysis(m))


def codes(res):
    return sorted({x.code for x in res.findings})


def match_rz(cr, v, f, truths):
    """Chain radii matched to revolved truths by the (r, z) of the chains' faces."""
    c = v[f].mean(axis=1)
    rz = np.c_[np.hypot(c[:, 0], c[:, 1]), c[:, 2]]
    out = []
    for t in truths:
        p = np.array([t["point"][0], t["point"][2]])
        best, bd = None, np.inf
        for i in range(cr.count):
            d = np.linalg.norm(np.median(rz[cr.face_chain == i], axis=0) - p)
            if d < bd:
                best, bd = i, d
        out.append(best if bd < max(3 * t["radius"], 0.5) else None)
    return out


@pytest.mark.parametrize("fillet", [0.05, 0.5])
def test_ring_fillets_found_and_measured(fillet):
    """The issue's ring: radii 5-8 mm, 3 mm tall, 720 sections (flats are 3 mm x 0.04 mm
    slivers), four circular edges filleted: four chains, radius within 15 %, 90 degrees."""
    v, f, truths = P.ring(fillet=fillet, sections=720)
    cr = measure(v, f)
    got = match_rz(cr, v, f, truths)
    assert None not in got and len(set(got)) == 4
    for i in got:
        assert cr.radius_mm[i] == pytest.approx(fillet, rel=0.15)
        assert cr.radius_lo_mm[i] <= fillet * 1.0 <= cr.radius_hi_mm[i] * 1.01
        assert np.degrees(cr.turn_rad[i]) == pytest.approx(90.0, abs=5.0)


def test_two_chord_fillets_on_an_irregular_ring_are_read_whole():
    """The issue's ring (radii 5-8 mm, 3 mm tall) with its four 0.5 mm fillets drawn in two
    chords each and triangulated irregularly (Delaunay, faces ~0.09 mm), at a random pose:
    every chain holding a rim's faces reads an interval holding 0.5 mm. A two-chord
    fillet's middle line turns exactly as much as its two tangent lines together, and where
    a section read it a hair over half the total the lines were not bridged: one rim split
    into a 0.5 mm chain and its 45-degree middle line read 0.072 mm [0, 0.144]."""
    rs = 2 * 7 + 360
    v, f, truths = P.ring(fillet=0.5, segments=2, sections=360, tri="irregular",
                          rng=np.random.default_rng(rs))
    rot = P.random_rotation(np.random.default_rng(rs + 1))
    cr = measure(v @ rot.T, f, detect=2.0)
    c = v[f].mean(axis=1)
    rz = np.c_[np.hypot(c[:, 0], c[:, 1]), c[:, 2]]
    fc = np.asarray(cr.face_chain)
    for t in truths:
        near = np.linalg.norm(rz - [t["point"][0], t["point"][2]], axis=1) < 0.6
        held = np.bincount(fc[near & (fc >= 0)], minlength=cr.count)
        assert held.any()
        for i in np.flatnonzero(held >= 3):
            assert cr.radius_lo_mm[i] <= 0.5 <= cr.radius_hi_mm[i], (i, cr.radius_mm[i])


@pytest.mark.parametrize("r,seed", [(0.3, 0), (0.3, 1), (1.0, 0), (1.0, 1)])
def test_a_two_chord_cad_box_on_a_finer_mesh_reads_its_fillets(r, seed):
    """A CAD rounded box (every edge filleted at r with two chords: cad_rounded_box) whose
    triangles are each split in four twice, at a random pose: every chain over a millimetre
    long reads an interval holding r. Each fillet turns at three facet lines (22.5, 45, 22.5
    degrees) with flats between; the middle line's share of the turn, exactly 0.5, read a
    hair over it, the lines were not bridged, and the box's fillets read as their middle
    lines: 0.07 (0-0.15) mm on 0.3 mm, 0.24 (0-0.47) mm on 1 mm (razor on fillets that
    pass)."""
    import trimesh

    rng = np.random.default_rng(100 * 2 + 10 * 2 + seed)
    a = rng.uniform(3.0, 8.0, 3)
    v, f = P.cad_rounded_box(a, r, 2)
    for _ in range(2):
        v, f = trimesh.remesh.subdivide(v, f)
    cr = measure(np.asarray(v) @ P.random_rotation(rng).T, np.asarray(f), detect=4.0 * r)
    long_ = np.asarray(cr.length_mm) > 1.0
    assert long_.sum() >= 12
    lo, hi = np.asarray(cr.radius_lo_mm)[long_], np.asarray(cr.radius_hi_mm)[long_]
    assert ((lo <= r) & (r <= hi)).all(), np.c_[lo, hi]


@pytest.mark.parametrize("width,radii,seed", [(2.2, (0.1, 0.4, 0.1, 0.4), 0),
                                               (2.2, (0.1, 0.4, 0.1, 0.4), 2),
                                               (1.6, (0.4, 0.1, 0.4, 0.1), 2),
                                               (1.6, (0.15, 0.3, 0.3, 0.15), 1)])
def test_fillets_of_unlike_radii_on_one_narrow_wall_are_chains_of_their_own(width, radii, seed):
    """A ring 1.6-2.2 mm wide and 2.1 mm tall, its four rims filleted at two radii (each wall
    between a soft and a sharp rim), triangulated irregularly (Delaunay, faces ~0.5 mm): no
    chain holds faces of two rims, and each rim's chain has an interval holding its radius.
    A 0.1 mm top rim's section read a band running 1.5 mm down the outer wall (its Delaunay
    facets fold a few degrees about its curve) to a crease face of the 0.4 mm bottom rim's
    chain, and chains._merge_across joined the two, read 0.09 mm: a razor verdict on the
    0.4 mm fillet. The first three cases fail without _in_turn."""
    corners = [(6.0, 0.0), (6.0 + width, 0.0), (6.0 + width, 2.1), (6.0, 2.1)]
    pts, arcs = P.fillet_polyline(corners, list(radii), 6, closed=True)
    v, f = P.revolve_irregular(pts, 0.5, np.random.default_rng(seed), closed=True)
    f = P.orient(v, f)
    cr = measure(v, f)
    c = v[f].mean(axis=1)
    rz = np.c_[np.hypot(c[:, 0], c[:, 1]), c[:, 2]]
    d = np.stack([np.linalg.norm(rz - [m[0], m[1]], axis=1) for _, _, m in arcs], 1)
    near = d.argmin(axis=1)
    on = d.min(axis=1) < 0.6 * np.asarray(radii)[near] + 0.05
    fc = np.asarray(cr.face_chain)
    held = np.zeros((cr.count, len(arcs)), int)
    np.add.at(held, (fc[on & (fc >= 0)], near[on & (fc >= 0)]), 1)
    assert ((held >= 3).sum(axis=1) <= 1).all(), held[(held >= 3).sum(axis=1) > 1]
    for k, (r, _, _) in enumerate(arcs):
        i = int(np.argmax(held[:, k]))
        assert held[i, k] > 0
        assert cr.radius_lo_mm[i] <= r <= cr.radius_hi_mm[i], (k, r, cr.radius_mm[i])


@pytest.mark.parametrize("seed", range(8))
def test_no_chain_lies_inside_another(seed):
    """Rings of 15-30 mm whose four rims (0.15-0.4 mm, 5-8 chords) are drawn by 40-90
    sections made irregular (every vertex moved around the axis by up to a quarter of a
    section: slivers 1.1-2.8 mm along the rim, a few hundredths across), at random rotations.
    Such slivers twist about the crease by the rim's curve (L^2 kappa / 8 w), and a face whose
    crease direction so parts from its neighbours' seeds a chain of its own amid the rim's:
    one or two faces walled in by the rim's chain, read from a fragment of the rim's turn
    (0.036 mm [0, 0.117] for a 0.245 mm rim, seed 6). Every face beside a chain's faces
    belonging to one other chain, it is that chain's (chains._enclosed): seeds 6 and 7 fail
    without it."""
    from miniscan.analysis.creases.common import _analysis_edge_faces

    rng = np.random.default_rng(700 + seed)
    r_in, w, height = rng.uniform(15, 30), rng.uniform(2, 5), rng.uniform(2, 6)
    fillet, seg = rng.uniform(0.15, 0.4), int(rng.integers(5, 9))
    v, f, _ = P.ring(r_in, r_in + w, height, fillet, segments=seg,
                     sections=int(rng.integers(40, 90)), tri="jittered", h=0.5, rng=rng)
    an = Analysis(from_arrays(v @ P.random_rotation(rng).T, f))
    fc = np.asarray(find_creases(an, 3.0, 30.0, 0.1).face_chain)
    fp = _analysis_edge_faces(an)[1]
    x, y = np.r_[fp[:, 0], fp[:, 1]], np.r_[fp[:, 1], fp[:, 0]]
    side = (fc[x] >= 0) & (fc[y] != fc[x])
    inside = [c for c in np.unique(fc[x][side])
              if len(set(fc[y][side & (fc[x] == c)].tolist()) - {-1}) == 1
              and -1 not in set(fc[y][side & (fc[x] == c)].tolist())]
    assert not inside, inside


def test_a_one_face_chain_on_a_twisted_rim_is_the_rims():
    """The truth grammar's edges:73030 (fresh slice 73000): a 54 mm base whose 0.289 mm
    bottom rim is drawn in 8 rows by 62 irregular sections, slivers 2.75 mm along it and
    0.06 mm across. One face amid the rim's chain seeded a chain of its own; its one section
    read 51 of the rim's 97 degrees as a lone crossing, 0.066 mm (0-0.164): a razor verdict
    (MS201) on a fillet that passes, the suite's one unsupported verdict over 900 fresh
    cases. No verdict of the case is unsupported."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:73030"))
    assert s.unsupported == 0 and s.range_violations == 0, s.notes
    assert s.found == s.defects, s.notes


@pytest.mark.xfail(strict=True, reason=(
    "since stop 80 a section whose walk saw nothing beyond its nominal band reads the body's "
    "noise (0 before): the 1654 mm chain over the whole noisy sweep, whose razor reading with "
    "noise 0 placed all four rims, no longer reads an edge, and the rims' own chains find two "
    "of the four (docs/edges.md, Known limits)"))
def test_pieces_of_noisy_rims_walled_in_by_noise_keep_their_readings():
    """The truth grammar's edges:33049: a sweep of 0.1 mm sliver rows under 0.015 mm of
    vertex noise, its rims sharp and 0.198 mm. The noise makes every face a seed, and one
    chain of 11 343 faces runs over the whole sweep, walling in 19 pieces of its rims (17 of
    its 53 sections read an edge). A walled-in chain joins only a crease's chain
    (chains._enclosed): joined into the noise, two rims were lost. All four are found."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:33049"))
    assert s.found == s.defects == 4, s.notes
    assert s.unsupported == 0, s.notes


def test_a_coarse_revolves_chords_do_not_cross_its_rows():
    """The truth grammar's edges:75017 (fresh slice 75000): a 10.6 mm ring revolved in 39
    sections, its 0.149 mm rims drawn in 3 rows of 0.078 mm. Each row is a chain of 1.7 mm
    chords; a chord meets the section's plane off its middle, so it reaches across the
    station's direction by |d1^2 - d0^2| / 2 rho (up to 0.07 mm, most of a row) without
    crossing a row. Counted as reaching across, it kept the whole row in each rim's interval:
    0.147 mm [0.098, 0.197], undetermined for a rim whose razor verdict (R_min about
    0.19 mm) the mesh shows. Measured against the crease's own curve (stations: the bend),
    the rows read along the crease: every rim is found, its interval holding its radius."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:75017"))
    assert s.found == s.defects == 6, s.notes
    assert not [n for n in s.notes if "misses true" in n], s.notes
    assert s.unsupported == 0, s.notes


@pytest.mark.parametrize("sections", [64, 128, 256, 600, 1024])
@pytest.mark.parametrize("segments", [2, 4, 8, 16])
def test_disc_rim_fillet_at_any_section_count(sections, segments):
    """A 25 mm round base with a 0.3 mm top-rim fillet, fan caps: the rim is found whatever
    the section count and the segments across it; its interval holds the true radius and is
    within 15 % where the fillet is resolved (>= 4 segments)."""
    v, f, truths = P.disc(fillet=0.3, segments=segments, sections=sections)
    cr = measure(v, f)
    i = match_rz(cr, v, f, truths[1:])[0]
    assert i is not None
    assert cr.radius_lo_mm[i] <= 0.3 <= cr.radius_hi_mm[i] * 1.01
    if segments >= 4:
        assert cr.radius_mm[i] == pytest.approx(0.3, rel=0.15)


@pytest.mark.parametrize("segments", [48, 64])
@pytest.mark.parametrize("reach", [2.0, 8.0])
def test_a_fillet_in_more_rows_than_a_walk_crosses_is_walked_again_and_read(segments, reach):
    """A 1 mm rim fillet in 48-64 chords, sought up to `reach` times its radius (R_detect),
    at a random pose: crossed about twice a row, its band has more crossings than a first
    walk takes (sections.MAX_CROSSINGS) and runs to the walk's end, so its sections are
    walked again. Its radius is read to 10 % with an interval that holds it (at stop 85's
    code it had no chain: the band, with no flank face beyond it, was rejected unwalked)."""
    v, f, truths = P.disc(height=5.0, fillet=1.0, segments=segments, sections=256)
    rot = P.random_rotation(np.random.default_rng(segments))
    cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), reach * 1.0, 30.0, 0.1)
    i = match_rz(cr, v, f, truths[1:])[0]
    assert i is not None
    assert cr.radius_lo_mm[i] <= 1.0 <= cr.radius_hi_mm[i]
    assert cr.radius_mm[i] == pytest.approx(1.0, rel=0.1)


@pytest.mark.parametrize("top,bottom", [(0.3, 0.0), (0.0, 0.5)])
@pytest.mark.parametrize("sections,seed", [(128, 1), (400, 2)])
def test_a_hard_rim_over_a_one_row_wall_beside_a_fillet_is_a_chain(top, bottom, sections, seed):
    """A 25 mm round base as a CAD revolve exports it: one rim filleted (8 chords), the other
    hard, the side wall between them one row of faces 2.7 mm tall, fan caps, at a random pose.
    The wall's faces turn with both rims and join the fillet's chain; before, that chain was
    taken to hold the hard rim's edges too, so the hard rim (a razor top rim over a rounded
    foot) had no chain at all. Now it is a chain of its own, read as a hard crease (R from 0)
    at its own height, and the fillet is measured as before."""
    v, f, truths = P.disc(fillet=top, bottom_fillet=bottom, segments=8, sections=sections,
                          h=10.0)
    rot = P.random_rotation(np.random.default_rng(seed))
    cr = measure(v @ rot.T, f)
    hard_z = 3.0 if top == 0.0 else 0.0
    z = cr.centroid_mm.reshape(-1, 3) @ rot  # back in the disc's own frame
    hard = np.flatnonzero(np.abs(z[:, 2] - hard_z) < 0.05)
    assert len(hard) == 1, z
    i = hard[0]
    assert cr.radius_lo_mm[i] == 0.0 and cr.resolution_limited[i]
    assert np.degrees(cr.turn_rad[i]) == pytest.approx(90.0, abs=2.0)
    fillet = top or bottom
    soft = np.flatnonzero(np.abs(cr.radius_mm - fillet) <= 0.15 * fillet)
    assert len(soft) == 1 and abs(z[soft[0], 2] - hard_z) > 2.0


@pytest.mark.parametrize("segments,seed", [(3, 1), (4, 2), (5, 3), (6, 4), (7, 5), (8, 6)])
def test_a_few_chord_rim_fillet_over_a_one_row_wall_is_found(segments, seed):
    """A 25 mm round base as a CAD revolve exports it (128 sections, fan caps, the side wall
    one row 2.7 mm tall), its 0.5 mm top rim fillet in 3-8 chords, its foot hard, at a random
    pose. The wall's faces, a chain of their own, read the foot with the flank running on
    over the wall into the fillet (a form, flank ratio 0.47), and one clipped corner in a
    fillet band joined them to the fillet's chain, whose median flank ratio then went over
    FLANK_RATIO: neither rim had a chain (here 4 and 7 chords; with the report's profile 5-7
    chords in every pose). Every chord count reads the fillet."""
    v, f, _ = P.disc(height=3.2, fillet=0.5, segments=segments, sections=128, h=10.0)
    rot = P.random_rotation(np.random.default_rng(seed))
    cr = measure(v @ rot.T, f)
    z = cr.centroid_mm.reshape(-1, 3) @ rot
    top = np.flatnonzero((z[:, 2] > 3.2 - 1.0) & (np.abs(cr.radius_mm - 0.5) <= 0.075))
    assert len(top) == 1, (z, cr.radius_mm)
    assert cr.radius_lo_mm[top[0]] <= 0.5 <= cr.radius_hi_mm[top[0]]


@pytest.mark.parametrize("r", [0.05, 0.2, 0.5])
def test_rounded_box_radius(r):
    v, f = P.rounded_box(r, r / 8)
    cr = measure(v, f)
    assert cr.count == 12
    assert np.all(np.abs(cr.radius_mm / r - 1) <= 0.15), cr.radius_mm
    assert np.all((cr.radius_lo_mm <= r * 1.001) & (r <= cr.radius_hi_mm * 1.001))


def test_hard_edge_interval_starts_at_zero():
    """A crease turning in one row of edges has radius in [0, ~row / turn]: resolution."""
    v, f = P.rounded_box(0.0, 0.05, a=1.0)
    cr = measure(v, f)
    assert cr.count == 12
    assert np.all(cr.radius_lo_mm == 0.0) and cr.resolution_limited.all()
    assert np.all(cr.radius_hi_mm <= 2 * 0.05 / (np.pi / 2) * 1.05)


def test_coarse_hard_edges_are_undetermined_not_razor():
    """Rows of 0.5 mm across an edge cannot tell a razor edge from a 0.24 mm bevel: no MS201,
    one MS200 that says the file draws them sharp and names the export that would decide it;
    counted apart as flat-flanked."""
    v, f = P.rounded_box(0.0, 0.5, a=4.0)
    res = run(v, f, resolve("display"))
    assert "MS201" not in codes(res)
    ms200 = [x for x in res.findings if x.code == "MS200"]
    assert len(ms200) == 1
    msg = ms200[0].message
    assert msg.startswith("12 creases") and "razor edges" in msg and "chord tolerance" in msg
    assert res.metrics["undetermined_flat_flanked"] == 12


@pytest.mark.parametrize("size,levels", [(28.0, 2), (1800.0, 1), (1800.0, 2)])
def test_smooth_blobs_have_no_edge_findings(size, levels):
    """Loop-subdivided organic forms at miniature and at life size (coarse faces): no razor,
    soft or below-print warnings at all."""
    for seed in (0, 1):
        v, f, _ = P.blob(size, smooth_levels=levels, seed=seed)
        res = run(v, f, resolve("tabletop"))
        assert not EDGE_CODES & set(codes(res)), [x.message for x in res.findings]


def _noisy_blob(seed, share):
    """A 28 mm blob (a stretched, lumpy level-5 icosphere, edges ~0.35-0.5 mm) under 3D
    vertex noise of `share` of its mean edge: a scan whose surface is rough, with no edge."""
    import trimesh

    s = trimesh.creation.icosphere(5)
    v = s.vertices.copy()
    v *= (1 + 0.15 * np.sin(3 * v[:, 0]) * np.cos(2 * v[:, 1]) + 0.1 * v[:, 2] ** 2)[:, None]
    v[:, 2] *= 1.8
    v *= 28.0 / np.ptp(v[:, 2])
    f = np.asarray(s.faces)
    e = np.linalg.norm(v[f[:, 1]] - v[f[:, 0]], axis=1).mean()
    return v + np.random.default_rng(seed).normal(0.0, share * e, v.shape), f


@pytest.mark.parametrize("seed", [2, 3, 5])
def test_a_noisy_scans_facets_are_judged_only_where_they_stand_above_its_noise(seed):
    """A blob under vertex noise of 14 % of an edge (a user's 28 mm scan under 50 um of noise
    read four razor MS201, "40 degree edge, 4.36 mm long"): its crossings turn by a spread
    sigma (read here over the whole surface), and a line of them turning 30-45 degrees is the
    surface, not an edge. Every chain judged razor or soft turns by at least NOISE_TURNS
    sigmas, less what the chain's own reading of sigma may be off by (four rows of turns
    about a short chain, n >= 60: 1.2 / sqrt(n) of itself, twice). Before, such lines were
    judged at 0.65-0.79 of 2.5 sigmas."""
    from miniscan.analysis.creases.common import NOISE_TURNS

    v, f = _noisy_blob(seed, 0.14)
    m = from_arrays(v, f)
    a = Analysis(m)
    adj = _face_pairs(f)
    n1, n2 = a.face_normals[adj[:, 0]], a.face_normals[adj[:, 1]]
    turn = np.arccos(np.clip(np.einsum("ij,ij->i", n1, n2), -1.0, 1.0))
    c = a.face_centroids
    signed = np.where(np.einsum("ij,ij->i", n1, c[adj[:, 1]] - c[adj[:, 0]]) <= 0, turn, -turn)
    sigma = 1.4826 * np.median(np.abs(signed - np.median(signed)))
    res = edges.run(m, resolve("display"), a)
    judged = [ch["turn_deg"] for ch in res.metrics["chains"] if ch["verdict"] in ("razor", "soft")]
    floor = NOISE_TURNS * sigma * (1.0 - 2.0 * 1.2 / np.sqrt(60.0))
    assert all(np.radians(t) >= floor for t in judged), (np.degrees(floor), judged)


def _face_pairs(f):
    """Face pairs across each interior edge of a closed triangle mesh."""
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    fid = np.tile(np.arange(len(f)), 3)
    key = e[:, 0].astype(np.int64) * (int(f.max()) + 1) + e[:, 1]
    o = np.argsort(key, kind="stable")
    k, fo = key[o], fid[o]
    same = np.flatnonzero(k[1:] == k[:-1])
    return np.c_[fo[same], fo[same + 1]]


def test_every_chains_place_lies_on_its_section():
    """The lettered sample base at display: a level reading's turns run either way, and
    where they nearly cancelled, the band's turn-weighted centre (a chain's place) lay
    1.5e15 mm away. Every chain's place lies within the model's bounds (a crease's band
    centre is on the surface, give or take a row)."""
    from conftest import SAMPLES
    from miniscan.runner import load_model

    m = load_model(SAMPLES / "lettered_base.ply")
    res = edges.run(m, resolve("display"), Analysis(m))
    lo, hi = m.vertices.min(axis=0), m.vertices.max(axis=0)
    pts = np.array([c["centroid_mm"] for c in res.metrics["chains"]])
    assert len(pts) and ((pts >= lo - 0.5) & (pts <= hi + 0.5)).all()


def test_the_truncated_normals_sigma_is_read_back():
    """_truncated_sigma inverts the median absolute value of a centred normal spread cut at
    +-cut: sigma from 0.05 to 1.5 cuts read back within 3 % (a million draws), and a spread
    as flat as a uniform's is wider than any."""
    from miniscan.analysis.creases.chains import _truncated_sigma

    rng = np.random.default_rng(0)
    for s in (0.05, 0.3, 0.6, 0.9, 1.5):
        x = rng.normal(0.0, s, 1_000_000)
        x = x[np.abs(x) < 1.0]
        assert _truncated_sigma(np.median(np.abs(x)), 1.0) == pytest.approx(s, rel=0.03)
    assert _truncated_sigma(0.5, 1.0) == np.inf


def test_a_chain_reads_its_edge_from_the_sections_that_read_an_edge():
    """A chain's medians (chains._chain_medians) over eight sections of one chain: three read
    an edge (flank ratio under FLANK_RATIO), two of them 0.37-0.45 mm turning 88 degrees and
    one 0.011 mm turning 71, two read a form (flanks turning twice the band) over 0.03-0.06 mm,
    three nothing. Whether it is an
    edge is judged over the five good ones (the ratio's median), but its turn and radius are
    the three edge readings' (edges:7019's mixture: the two form sections' small bands had
    outvoted the fillet, a 0.055 mm razor edge); a chain with no edge reading reads all."""
    from miniscan.analysis.creases.chains import _chain_medians
    from miniscan.analysis.creases.common import FLANK_RATIO

    n = 8
    ok = np.array([1, 1, 0, 0, 1, 0, 1, 1], bool)
    ratio = np.array([0.0, 2.0, 4.2, 3.3, 2.0, 0.4, 0.13, 0.03])
    radius = np.array([0.011, 0.027, np.nan, 0.03, 0.055, np.nan, 0.446, 0.372])
    theta = np.radians([71.0, 36, 18, 24, 40, 46, 88, 89])
    z = np.zeros(n)
    prof = dict(ok=ok, ratio=ratio, radius=radius, theta=theta, elsewhere=np.zeros(n, bool),
                oblique=np.zeros(n, bool),
                noise_r=z, ramp=np.zeros(n, bool), r_lo=radius, r_hi=radius, res=z + 0.08,
                skew=z, share=z + 1.0, extent=z + np.inf, convex=np.ones(n, bool), turn_sd=z)
    md = _chain_medians({"ncomp": 1}, {"chain": np.zeros(n, int)}, prof)
    assert md["n_ok"][0] == 5 and md["n_all"][0] == 8
    assert md["radius"][0] == pytest.approx(0.372)  # (all five: 0.055)
    assert np.degrees(md["turn"][0]) == pytest.approx(88.0)  # (all five: 71)
    assert md["ratio"][0] <= FLANK_RATIO  # (0.0, 0.03, 0.13, 2, 2: the middle, 0.13)
    # no section read an edge: the chain reads all its good ones (its ratio then fails it)
    prof["ratio"] = np.where(ok, 1.0, 4.0)
    md = _chain_medians({"ncomp": 1}, {"chain": np.zeros(n, int)}, prof)
    assert md["radius"][0] == pytest.approx(0.055) and md["ratio"][0] > FLANK_RATIO


def test_sphere_and_torus_have_no_chains():
    assert measure(*P.sphere(2.0, 5)).count == 0
    assert measure(*P.torus(5.0, 1.0)).count == 0


@pytest.fixture(scope="module")
def boxes():
    return {r: P.rounded_box(r, r / 8) for r in (0.05, 0.5)}


def test_display_window(boxes):
    disp = resolve("display")
    assert "MS201" in codes(run(*boxes[0.05], disp))
    r05 = run(*boxes[0.5], disp)
    assert "MS201" not in codes(r05) and "MS202" in codes(r05)
    gl = run(*boxes[0.5], resolve("display", finish="gloss"))
    assert sum(x.code == "MS204" for x in gl.findings) == 1


def test_one_finding_per_chain_with_intervals_and_holds(boxes):
    res = run(*boxes[0.05], resolve("display"))
    ms201 = [x for x in res.findings if x.code == "MS201"]
    assert len(ms201) == 12 and len({x.location.region for x in ms201}) == 12
    assert not any(x.code == "MS203" for x in res.findings)  # folded into the razor finding
    for x in ms201:
        lo, hi = x.measured_range
        assert hi < x.threshold and x.holds_mm[0] > 0 and x.holds_mm[1] == np.inf
    assert len(res.measurements) >= 12
    assert res.metrics["verdicts"]["MS201"]["fail"] == 12


@settings(max_examples=6, deadline=None)
@given(r=st.sampled_from([0.05, 0.15, 0.3, 0.6]), rows=st.sampled_from([2, 4, 8]),
       seed=st.integers(0, 10_000), prof=st.sampled_from(["tabletop", "display"]))
def test_no_finding_straddles_its_threshold(r, rows, seed, prof):
    """The evidence rule on random rotated rounded boxes (Finding refuses a straddling range;
    here every finding of the family is checked explicitly)."""
    rng = np.random.default_rng(seed)
    v, f = P.rounded_box(r, r * np.pi / 2 / rows, a=2.0)
    v = v @ P.random_rotation(rng).T
    res = run(v, f, resolve(prof))
    for x in res.findings:
        if x.code in EDGE_CODES:
            lo, hi = x.measured_range
            assert (hi < x.threshold) if x.code != "MS202" else (lo > x.threshold)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_rigid_motion_invariance(seed):
    rng = np.random.default_rng(seed)
    v, f = P.rounded_box(0.2, 0.025, a=1.0)
    a = measure(v, f)
    b = measure(v @ P.random_rotation(rng).T + rng.uniform(-50, 50, 3), f)
    assert a.count == b.count
    assert np.allclose(np.sort(a.radius_mm), np.sort(b.radius_mm), rtol=1e-3)


@pytest.mark.parametrize("k", [0.1, 25.4])
def test_dimensional_invariance(k):
    v, f = P.rounded_box(0.2, 0.025, a=1.0)
    c0 = resolve("display")
    a, b = run(v, f, c0), run(v * k, f, c0.scaled(k))
    assert codes(a) == codes(b)
    ra = np.sort([ch["radius_mm"] for ch in a.metrics["chains"]])
    rb = np.sort([ch["radius_mm"] for ch in b.metrics["chains"]]) / k
    assert np.allclose(ra, rb, rtol=1e-6)


def test_subdivision_keeps_radii():
    """4x the faces of the same ring (sections doubled, rows across the fillet doubled):
    radii move < 10 %."""
    v1, f1, t = P.ring(fillet=0.4, segments=8, sections=360)
    v2, f2, _ = P.ring(fillet=0.4, segments=16, sections=720)
    c1, c2 = measure(v1, f1), measure(v2, f2)
    assert c1.count == c2.count == 4
    assert np.all(np.abs(np.sort(c2.radius_mm) / np.sort(c1.radius_mm) - 1) < 0.10)


def test_deterministic(boxes):
    a = run(*boxes[0.05], resolve("display"))
    b = run(*boxes[0.05], resolve("display"))
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def test_layers_carry_radius_and_verdict(boxes):
    res = run(*boxes[0.05], resolve("display"))
    names = {fl.name: fl for fl in res.layers.face_layers()}
    r = names["edges-radius"].values
    assert np.nanmedian(r) == pytest.approx(0.05, rel=0.15)
    assert set(res.layers.chain_verdict) == {"razor"}


def test_corpus_cad_plate_runs(corpus_dir):
    from miniscan.loading import load

    m = load(str(corpus_dir / "cad_counterX.3MF"), None)
    res = edges.run(m, resolve("tabletop"), Analysis(m))
    assert res.status == "ok"


@pytest.mark.parametrize("ring", [(5.0, 6.5, 1.2, 0.15, 200), (5.0, 6.5, 1.2, 0.15, 400),
                                  (6.0, 7.5, 1.5, 0.1, 300)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_chord_rims_of_a_small_section(ring, seed):
    """A small ring whose four rims are each drawn by one chord (eight 45-degree facet lines
    around a section of 1.5 mm, flats in rows of 0.4 mm), at random rotations: every line
    turns alike, so the station's own line must be read, not the first equal one in its
    window (which another rim's station then rejects): all four rims, intervals holding R."""
    r_in, r_out, height, fillet, sections = ring
    v, f, truths = P.ring(r_in, r_out, height, fillet, segments=1, sections=sections, h=0.4)
    rot = P.random_rotation(np.random.default_rng(seed))
    cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 2.3, 30.0, 0.1)
    got = match_rz(cr, v, f, truths)
    assert None not in got and len(set(got)) == 4
    for i, t in zip(got, truths):
        assert cr.radius_lo_mm[i] <= t["radius"] <= cr.radius_hi_mm[i] * 1.01


def test_place_lies_on_the_crease_not_on_a_grown_flank():
    """The issue's ring with two chords across each fillet and its flats single rows of
    3 mm slivers: a chain's listed faces (where its finding points) lie on the fillet, within
    two chords of its arc, not on a sliver of the flat grown onto the chain (1 mm away)."""
    v, f, truths = P.ring(fillet=0.1, segments=2, sections=720)
    cr = measure(v, f, detect=3.6, eye=0.1)
    got = match_rz(cr, v, f, truths)
    assert None not in got
    c = v[f].mean(axis=1)
    rz = np.c_[np.hypot(c[:, 0], c[:, 1]), c[:, 2]]
    for i, t in zip(got, truths):
        d = np.linalg.norm(rz[list(cr.first_faces[i])] - [t["point"][0], t["point"][2]], axis=1)
        assert d.max() <= 2 * t["radius"], d


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chains_never_join_two_bodies(seed):
    """Two rounded boxes end to end, 0.02 mm apart (under one row): their collinear edges
    are separate creases on separate bodies, never one chain (a stud set into a floor)."""
    v1, f1 = P.rounded_box(0.1, 0.1 / 4, a=np.array([3.0, 1.0, 1.0]))
    v = np.r_[v1, v1 + [6.22, 0.0, 0.0]] @ P.random_rotation(np.random.default_rng(seed)).T
    f = np.r_[f1, f1 + len(v1)]
    a = Analysis(from_arrays(v, f))
    cr = find_creases(a, 4.0, 30.0, 0.1)
    assert cr.count == 24
    for i in range(cr.count):
        assert len(np.unique(a.body_labels[cr.face_chain == i])) == 1


@pytest.mark.parametrize("kind", ["grid", "radial"])
@pytest.mark.parametrize("seed", [0, 1])
def test_fillets_far_softer_than_the_window_are_found_too_soft(kind, seed):
    """A box whose edges are filleted at 2 mm, at `display` (R_max 0.36 mm): the softer the
    fillet the more surely it is too soft, so all twelve are MS202 (with the search bounded
    at 4 x the window, 1.43 mm, none was sought: a softer edge was missed, not judged)."""
    v, f = P.rounded_box(2.0, 0.5, kind=kind)
    v = v @ P.random_rotation(np.random.default_rng(seed)).T
    res = run(v, f, resolve("display"))
    soft = [x for x in res.findings if x.code == "MS202"]
    assert len(soft) == 12
    assert all(x.measured_range[0] > x.threshold for x in soft)
    assert all(abs(x.measured / 2.0 - 1) <= 0.15 for x in soft)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_swept_walls_lobe_is_a_form_not_a_soft_edge(seed):
    """A rounded-rectangle profile swept along a 6-lobed path (the truth grammar's edges:139,
    coarse isotropic faces): the lobes of its walls curve as much beside any band as in it.
    Half of one lobe's sections read a form (flank ratio 0.54), half an edge (0.07): the
    median of an even count is the middle of its two middle values, a form, not a 5.4 mm
    'too soft' edge (the lower of the two called it an edge), at any rotation."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import shapes

    case = shapes.make_case("edges", 139, False)
    v = case.vertices @ P.random_rotation(np.random.default_rng(seed)).T
    res = run(v, case.faces, case.resolved_conditions())
    assert not [x.measured for x in res.findings if x.code == "MS202" and x.measured > 3.0]


def test_a_chains_sections_do_not_depend_on_noise_elsewhere():
    """An irregular (remeshed) rounded box measured alone and beside a noisy sphere whose
    noise seeds ten thousand crease specks: the box's twelve radii are the same (the station
    budget goes to the chains that turn most along their length, not shared out equally
    among every speck on the model)."""
    vb, fb = P.rounded_box(0.1, 0.025, a=np.array([1.5, 1.0, 1.0]), kind="radial")
    vs, fs = P.sphere(3.0, 5)
    vs = P.add_noise(vs, fs, 0.02, np.random.default_rng(0)) + [8.0, 0.0, 0.0]
    alone = measure(vb, fb, detect=2.0, eye=0.05)
    both = measure(np.r_[vb, vs], np.r_[fb, fs + len(vb)], detect=2.0, eye=0.05)
    on_box = [i for i in range(both.count) if (both.face_chain[:len(fb)] == i).any()]
    assert alone.count == len(on_box) == 12
    assert np.array_equal(np.sort(alone.radius_mm), np.sort(both.radius_mm[on_box]))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_walls_soft_bend_does_not_take_over_the_rim_at_its_foot(seed):
    """A rounded-rectangle profile swept along a 5-lobed path (the truth grammar's
    edges:3029): one-chord rims of 0.078 and 0.036 mm, walls of two 1.9 mm sliver rows that
    bend to R ~2 mm, 45 degrees, where the outer wall passes a trough. The bend's crease runs
    up the wall, across the rim at its foot; a section cut at the rim's hard edge for the
    bend's chain (the edge counted for it, its face coming first by place) read the rim, and
    the two creases were joined as one band read twice: one chain over the 0.078 mm rims with
    the bend's 45 degrees and R 2.26 mm [2.02, 2.49], 'too soft' on a rim that passes (at
    three of these four rotations; at two, one 0.036 mm razor rim had no chain of its own).
    Every chain must be on a rim, its interval holding that rim's radius, and every rim must
    have one, at any rotation."""
    v0, f, truths = P.wavy_sweep()
    rot = P.random_rotation(np.random.default_rng(seed)) if seed else np.eye(3)
    v = v0 @ rot.T
    res = run(v, f, resolve("display", finish="matte", material="stone"))
    lines = [(t["radius"], t["line"] @ rot.T) for t in truths]
    near = set()
    ms = [m for m in res.measurements if m.kind == "bevel_radius_mm"]
    assert ms
    for m in ms:
        d = [np.linalg.norm(ln - np.asarray(m.centroid_mm), axis=1).min() for _, ln in lines]
        k = int(np.argmin(d))
        assert d[k] < 0.5, (m.value, d)
        assert m.lo <= lines[k][0] <= m.hi, (m.value, m.lo, m.hi, lines[k][0])
        near.add(k)
    assert near == set(range(len(lines)))


@pytest.mark.parametrize("seed", [None, 0, 1])
def test_a_razor_is_placed_where_its_radius_was_read(seed):
    """The truth grammar's edges:111: a 1.4 x 0.8 mm profile swept along a 5-lobed path in 73
    long sliver sections, bottom rims filleted at 0.013 mm and top rims at 0.14 mm (two chords
    each), at `display` (R_min 0.24 mm), at random rotations. A chain runs from a bottom rim
    over the side to the top one and is measured on the bottom rim, so its razor finding must
    point there, not at the 0.14 mm fillet on its far side (which passes)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import shapes

    case = shapes.make_case("edges", 111, False)
    rot = np.eye(3) if seed is None else P.random_rotation(np.random.default_rng(seed))
    v = case.vertices @ rot.T
    res = run(v, case.faces, case.resolved_conditions())
    c = v[case.faces].mean(axis=1)
    lines = [(t.numbers["radius_mm"], t.points @ rot.T) for t in case.truths if t.kind == "edge"]
    razors = [x for x in res.findings if x.code == "MS201"]
    assert razors
    for x in razors:  # (one finding per chain: the runner merges them into places later)
        q = c[list(x.location.faces)]
        near = min(lines, key=lambda ln: np.linalg.norm(q[:, None] - ln[1][None], axis=2).min())
        assert near[0] < 0.05, near[0]


def test_fillets_of_twisted_sliver_rows_along_a_curved_rim():
    """Rings of 6-12 mm inner radius whose four fillets (0.04-0.3 mm, 5-8 chords) are drawn
    by a CAD revolve's long cells (100-260 sections around: cells 0.15-0.8 mm long, rows a
    few hundredths across) made irregular (every vertex moved around the axis by up to a
    quarter of a section, random diagonals), half of them noisy, at random rotations. Along
    the curved rim such cells twist: their faces zig-zag about the crease by tens of degrees
    while the flanks stay exact, so the band is read from the levels. Nine in ten rims are
    found and every found rim's interval holds its radius (before: 31 of 40, two outside)."""
    found, total = 0, 0
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        r_in, w, height = rng.uniform(6, 12), rng.uniform(1.5, 3), rng.uniform(1, 3)
        fillet = float(np.exp(rng.uniform(np.log(0.04), np.log(0.3))))
        seg, sections = int(rng.integers(5, 9)), int(rng.integers(100, 260))
        v, f, truths = P.ring(r_in, r_in + w, height, fillet, segments=seg, sections=sections,
                              tri="jittered", h=0.5, rng=rng)
        if seed % 2:
            v = P.add_noise(v, f, 0.02 * fillet * np.pi / 2 / seg, rng)
        rot = P.random_rotation(rng)
        cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 3.0, 30.0, 0.07)
        for i, t in zip(match_rz(cr, v, f, truths), truths):
            total += 1
            if i is None:
                continue
            found += 1
            assert cr.radius_lo_mm[i] <= t["radius"] <= cr.radius_hi_mm[i], (seed, t)
            assert cr.radius_mm[i] == pytest.approx(t["radius"], rel=0.15)
            assert np.degrees(cr.turn_rad[i]) == pytest.approx(90.0, abs=10.0)
    assert found >= 0.9 * total, (found, total)


def test_one_row_rims_under_noise_are_razor_chains():
    """Rings of 6-14 mm whose four rims are each one row of a fine fillet (0.015-0.05 mm,
    one chord) between flank rows of 0.2-0.45 mm (an isotropic grid aligned with the rims),
    vertices displaced by noise of 4 % of the row, at random rotations. The noise tips some
    flank faces beside the rim into the chain; a section cut from such a face reads the rim a
    row away and is no evidence against the chain (before: 20 of 24 rims, one interval
    missing its radius). Every rim is found and its interval, [0, about 2h / turn], holds R."""
    found, total = 0, 0
    for seed in range(6):
        rng = np.random.default_rng(200 + seed)
        r_in, w, height = rng.uniform(6, 14), rng.uniform(1.5, 3), rng.uniform(1.5, 3)
        h = rng.uniform(0.2, 0.45)
        fillet = float(rng.uniform(0.015, 0.05))
        v, f, truths = P.ring(r_in, r_in + w, height, fillet, segments=1,
                              sections=int(2 * np.pi * r_in / h), h=h)
        v = P.add_noise(v, f, 0.04 * h, rng)
        rot = P.random_rotation(rng)
        cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 2.0, 30.0, 0.1)
        for i, t in zip(match_rz(cr, v, f, truths), truths):
            total += 1
            if i is not None:
                found += 1
                assert cr.radius_lo_mm[i] <= t["radius"] <= cr.radius_hi_mm[i], (seed, t)
    assert found == total, (found, total)


def test_sharp_rims_between_noisy_sliver_rows_are_razor_chains():
    """Rings of 8-14 mm whose four rims are sharp (R = 0) between flats of long sliver rows
    (0.06-0.1 mm across, 0.45-0.65 mm along the rim: a CAD revolve), vertices displaced by
    noise of 14 % of a row (each sliver tilts by ~12 degrees), at random rotations. A flank
    read over the eye's reach (0.175 mm) is three or four such slivers: their least-squares
    slope is noise of one standard error, 0.2-0.4 of the rim's turn, and the section read a
    form. The slope now counts only beyond two standard errors of the faces' scatter about
    their line (before: 22 of 24 rims). Every rim is found, its interval's upper end holds
    R = 0 and its lower end is within the noise of it (a hard edge whose vertices move by
    sigma is sharp only to within sigma)."""
    found, total = 0, 0
    for seed in range(6):
        rng = np.random.default_rng(500 + seed)
        r_in, w, height = rng.uniform(8, 14), rng.uniform(1.2, 2.0), rng.uniform(1.0, 2.0)
        h = rng.uniform(0.06, 0.1)
        rng.uniform(0.6, 0.8)  # (the draw of a fillet's share of the row: these rims are sharp)
        sections = int(2 * np.pi * r_in / rng.uniform(0.45, 0.65))
        v, f, truths = P.ring(r_in, r_in + w, height, 0.0, segments=1, sections=sections, h=h)
        sigma = 0.14 * h
        v = P.add_noise(v, f, sigma, rng)
        rot = P.random_rotation(rng)
        cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 2.0, 30.0, 0.175)
        for i, t in zip(match_rz(cr, v, f, truths), truths):
            total += 1
            if i is not None:
                found += 1
                assert cr.radius_lo_mm[i] <= t["radius"] + sigma, (seed, t)
                assert cr.radius_hi_mm[i] >= t["radius"], (seed, t)
    assert found == total, (found, total)


def test_a_chains_point_is_on_its_crease():
    """Rings of 5-12 mm whose rims are one or two chords across, their flats single rows of
    long slivers (150-700 sections: a CAD revolve), at random rotations: a finding's point is
    where its radius was read, on the crease (the band's turn-weighted centre lies on its
    chords, inside the arc: within R (1 - cos(turn / 2)) of the arc's middle, the depth of
    the chord between its tangent lines), not the centroid of a face beside it (a sliver of
    the one-row wall is as near the wall's other rim: before, up to 0.52 R off). Every rim
    is found (seed 1's four two-chord rims were one 212 mm chain through the one-row flats
    until a chain beside two rims joined neither, _bridges)."""
    for seed in range(6):
        rng = np.random.default_rng(300 + seed)
        r_in, w, height = rng.uniform(5, 12), rng.uniform(1, 2.5), rng.uniform(1, 2.5)
        fillet, seg = float(rng.uniform(0.03, 0.15)), int(rng.integers(1, 3))
        v, f, truths = P.ring(r_in, r_in + w, height, fillet, segments=seg,
                              sections=int(rng.integers(150, 700)))
        rot = P.random_rotation(rng)
        cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 2.5, 30.0, 0.1)
        depth = fillet * (1 - np.cos(np.radians(90.0) / 2))
        for i, t in zip(match_rz(cr, v, f, truths), truths):
            assert i is not None, (seed, t)
            c = cr.centroid_mm[i] @ rot  # back in the ring's frame
            off = np.linalg.norm([np.hypot(c[0], c[1]) - t["point"][0], c[2] - t["point"][2]])
            assert off <= depth + 0.02 * fillet, (seed, off / fillet)


def _relisted(v, f, rng):
    """The same surface with its vertices and faces listed in another order, and each
    triangle's corners cycled (same winding): what another exporter writes."""
    pv = rng.permutation(len(v))
    new_id = np.empty_like(pv)
    new_id[pv] = np.arange(len(pv))
    ff = new_id[f][rng.permutation(len(f))]
    return v[pv], np.roll(ff, int(rng.integers(0, 3)), axis=1)


@pytest.mark.parametrize("shape, seed", [("box", 0), ("box", 7), ("ring", 3), ("ring", 11)])
def test_listing_order_does_not_change_chains(shape, seed):
    # DESIGN.md section 5: the same surface is the same input. Stations, chain labels and
    # tie-breaks used to follow face and edge ids: every chain's radius and point moved, and
    # a filleted box or an irregular ring read differently in every listing
    rng = np.random.default_rng(seed)
    if shape == "box":  # fillets 0.3 mm on a box of regular grid rows, turned anyhow
        v, f = P.rounded_box(0.3, 0.1, a=np.array([1.5, 1.1, 0.7]))
        v = v @ P.random_rotation(rng).T
    else:  # an irregular (jittered Delaunay) ring, fillets 0.4 mm
        v, f, _ = P.ring(fillet=0.4, segments=4, tri="irregular", h=0.3, rng=rng)
    v, f = np.asarray(v, float), np.asarray(f, np.int64)
    a = measure(v, f)
    b = measure(*_relisted(v, f, np.random.default_rng(seed + 1)))
    assert a.count == b.count >= 4

    def chains(cr):
        o = np.lexsort(np.round(cr.centroid_mm, 6).T[::-1])
        return np.c_[cr.radius_mm, cr.radius_lo_mm, cr.radius_hi_mm, cr.turn_rad,
                     cr.length_mm, cr.centroid_mm][o]

    assert np.allclose(chains(a), chains(b), rtol=1e-7, atol=1e-9)
    ra, rb = run(v, f, resolve("tabletop")), run(*_relisted(v, f, np.random.default_rng(seed + 1)),
                                                   resolve("tabletop"))
    assert ra.metrics["verdicts"] == rb.metrics["verdicts"]


def _seg_dist(p, seg):
    """Distances (n_points, n_segments) from points to segments (k, 2, 3)."""
    a, b = seg[:, 0], seg[:, 1]
    ab = b - a
    t = np.clip(np.einsum("pkj,kj->pk", p[:, None] - a[None], ab) / np.einsum("kj,kj->k", ab, ab),
                0.0, 1.0)
    return np.linalg.norm(p[:, None] - (a[None] + t[..., None] * ab[None]), axis=2)


@pytest.mark.parametrize("subdivisions", [0, 1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_hard_creases_of_coarse_cad_prisms_are_judged(seed, subdivisions):
    """Prisms over random convex polygons (4-8 sides, exterior angles 40-110 degrees, 4-15 mm,
    2-8 mm tall) as a CAD tool exports them (caps fanned from one vertex, one quad per side:
    12-16 triangles), and split into 4 and 16 times as many, at random poses and places:
    every hard crease (vertical edges and both rims) is razor or undetermined, none passes,
    each is accounted for by a judged chain placed on it or holding the faces along it, and
    every chain lies on a crease. Before the hard reading no chain at all was found on most
    of them (the sections walked round the whole solid)."""
    rng = np.random.default_rng(seed)
    v, f, creases = P.cad_prism(rng, subdivisions=subdivisions)
    rot, shift = P.random_rotation(rng), rng.normal(size=3) * 30.0
    v, creases = v @ rot.T + shift, creases @ rot.T + shift
    m = from_arrays(v, f)
    res = edges.run(m, resolve(("tabletop", "display")[seed % 2]), Analysis(m))
    fail, ok, und = (res.metrics["verdicts"]["MS201"][k] for k in ("fail", "pass", "undetermined"))
    assert ok == 0 and fail + und == res.metrics["chains_total"]
    assert res.metrics["verdicts"]["MS202"]["fail"] == 0  # a hard crease is never too soft
    tol = 1e-6 * float(np.ptp(v, axis=0).max())
    pts = np.array([c["centroid_mm"] for c in res.metrics["chains"]]).reshape(-1, 3)
    on = _seg_dist(pts, creases) < tol
    assert on.any(axis=1).all()  # every chain's point on a crease
    # faces along a crease: two of their corners on it
    corners = _seg_dist(v[f].reshape(-1, 3), creases).reshape(len(f), 3, -1) < tol
    along = corners.sum(axis=1) >= 2
    judged = res.layers.face_chain >= 0
    held = (along & judged[:, None]).any(axis=0)
    assert (on.any(axis=0) | held).all()



@pytest.mark.parametrize("along,rho0,eps,lobes", [(31, 12.0, 0.11, 6), (24, 16.0, 0.15, 5),
                                                  (40, 10.0, 0.08, 4)])
def test_a_polyline_sweeps_sharp_joints_are_never_too_soft(along, rho0, eps, lobes):
    """A sharp-rimmed profile swept along a wavy loop at few sections (24-40: every joint a
    hard crease of 10-40 degrees across the profile, rows 0.4 mm across and 2-3 mm along, long
    slivers), at display distance in metal, whose softest bevel is tiny: every crease of the
    file is sharp, so none is too soft. A crease read as one row has R in [0, 2h/turn]
    section by section: its lower end is 0 (taken as r - h/turn from medians over different
    sections, the first shape's joints read [0.08, 9.9] mm and said MS202 twice, edges:32045,
    and its sharp rims [0.003, ...])."""
    v, f, _ = P.wavy_sweep(w=2.7, height=3.1, radii=(0.0, 0.0, 0.0, 0.0), rho0=rho0, eps=eps,
                           lobes=lobes, along=along, h=0.4)
    res = run(v, f, resolve("display", material="metal", finish="satin"))
    assert res.metrics["chains_total"] > 0
    assert res.metrics["verdicts"]["MS202"]["fail"] == 0
    assert "MS202" not in codes(res)
    cr = measure(v, f)
    assert cr.resolution_limited.any()
    assert np.all(cr.radius_lo_mm[cr.resolution_limited] == 0.0)

def _verdict_summary(res):
    out = {k: (v["fail"], v["pass"], v["undetermined"])
           for k, v in res.metrics["verdicts"].items()}
    out["chains"] = res.metrics["chains_total"]
    out["radii"] = tuple(round(c["radius_mm"], 6) for c in res.metrics["chains"])
    return out


@pytest.mark.parametrize("leg", [0.05, 0.1, 0.3])
def test_a_shift_does_not_change_edge_verdicts(leg):
    """A pure translation changes nothing physical (DESIGN.md section 5). A flank read over a
    single face has no slope, but its least-squares slope was the quotient of two rounding
    residues (~1e-18 each), whose value depended on the coordinates' last bits: the 44-triangle
    chamfered box (0.1 mm legs) lost two of its razor chains when shifted by (10, -7, 3) mm.
    Chamfer boxes of three legs and sizes, shifted by up to a few hundred millimetres."""
    rng = np.random.default_rng(int(leg * 1000))
    size = tuple(rng.uniform(4.0, 25.0, 3))
    v, f = P.chamfer_box(leg, size)
    cond = resolve("tabletop")
    base = _verdict_summary(run(v, f, cond))
    for scale in (1.0, 10.0, 100.0):
        shifted = v + rng.normal(size=3) * scale
        assert _verdict_summary(run(shifted, f, cond)) == base


@pytest.mark.parametrize("tri", ["structured", "jittered", "irregular"])
@pytest.mark.parametrize("density", [0, 1, 2])
def test_each_rim_of_a_thin_wall_is_placed_on_its_own_crease(tri, density):
    """Rings whose walls are 0.3-2 mm thick and tall, their four rims sharp or razor fillets
    (one chord of 0.005-0.04 mm), their flats single rows of long slivers (structured), the
    same made irregular (jittered) or Delaunay rows about h apart (irregular), at three
    densities around and random rotations. Every chain's point and every face it lists lie
    nearer its own rim than any other: a chain holding fewer faces than a finding lists
    (a short curved piece of an irregular sharp rim) listed the next chain's faces, on the
    wall's other rim, and the finding seemed to be about that rim (the truth grammar's
    edges:16: a razor scored on the rim diagonally across its ring, and its own missed). A face
    of a wall one face high reaches both of its rims and may be listed by either."""
    rng = np.random.default_rng(500 + 10 * density + len(tri))
    placed = 0
    for _ in range(2):
        r_in = float(rng.uniform(4, 10))
        w, height = rng.uniform(0.3, 2.0, 2)
        fillet = float(rng.choice([0.0, rng.uniform(0.005, 0.04)]))
        sections = int([120, 360, 900][density] * rng.uniform(0.8, 1.25))
        h = [0.6, 0.25, 0.12][density] * float(rng.uniform(0.8, 1.25))
        v, f, truths = P.ring(r_in, r_in + w, height, fillet, segments=1, sections=sections,
                              tri=tri, h=None if tri == "structured" else h, rng=rng)
        rot = P.random_rotation(rng)
        cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 2.5, 30.0, 0.1)
        rims = np.array([[t["point"][0], t["point"][2]] for t in truths])

        def rim_of(p):  # nearest rim in the ring's (r, z) frame, and its distance margin
            q = p @ rot  # back in the ring's frame
            d = np.linalg.norm(np.c_[np.hypot(q[:, 0], q[:, 1]), q[:, 2]][:, None] - rims[None],
                               axis=2)
            return d.argmin(axis=1)

        c = (v @ rot.T)[f].mean(axis=1)
        rz = np.c_[np.hypot(v[:, 0], v[:, 1]), v[:, 2]]  # the ring's own frame
        placed += cr.count
        for i in range(cr.count):
            own = rim_of(cr.centroid_mm[i][None])[0]
            faces = np.asarray(list(cr.first_faces[i]))
            listed = rim_of(c[faces])
            # a face of a wall one face high spans both of its rims: it is the flank of each,
            # and listed by each; a face that does not reach its own rim at all is the next
            # chain's
            reach = np.linalg.norm(rz[f[faces]] - rims[own], axis=2).min(axis=1)
            touches = reach <= 2.0 * fillet + 1e-3
            assert np.all((listed == own) | touches), (tri, density, i, own, listed.tolist())
    assert placed > 0


def _phase_ring(rng, radius, rows, sections, tri="structured"):
    """A revolved ring of rectangular section, its four rims filleted at `radius`, the profile
    sampled every radius * 90 deg / rows of its length from a random phase (rows along the
    rims that do not sit on the fillets' tangent lines), `sections` around; irregular:
    Delaunay rows about as far apart. At a random pose and place."""
    h = radius * np.pi / 2 / rows
    r_in = float(rng.uniform(4, 9))
    w, height = rng.uniform(5.0, 8.0, 2) * radius
    corners = [(r_in, 0.0), (r_in + w, 0.0), (r_in + w, height), (r_in, height)]
    pts, _ = P.sample_profile(corners, [radius] * 4, h, rng.uniform(0, h))
    if tri == "structured":
        v, f = P.revolve(pts, sections, closed=True)
    else:
        v, f = P.revolve_irregular(pts, h, rng, closed=True)
    f = P.orient(v, f)
    return v @ P.random_rotation(rng).T + rng.uniform(-50, 50, 3), f


@pytest.mark.parametrize("seed", range(3))
def test_a_fillets_tangent_cells_are_part_of_its_band(seed):
    """Fillets of 0.3-1 mm drawn with 2.1-3 rows across, the rows at any phase to the
    tangent lines, 180 / 360 / 720 sections, random poses: where a tangent line falls inside
    a row, the crossing beside it turns 0 to 1/2 of a row's share (b^2 / (2 h^2)), and all of
    that turn is the bevel's; and where it falls tells the radius (_tangent_radius). Each rim
    reads 90 degrees, its radius within 8 % and its interval holding it. Before, such a
    crossing a row beyond the band was left out when it turned under a quarter of the band's
    typical crossing, or when it lay exactly one row out (rounding decided): rims read 71-88
    degrees and radii down to 0.51 of the truth."""
    rng = np.random.default_rng(9000 + seed)
    radius, rows = float(rng.uniform(0.3, 1.0)), float(rng.uniform(2.1, 3.0))
    v, f = _phase_ring(rng, radius, rows, (180, 360, 720)[seed % 3])
    cr = find_creases(Analysis(from_arrays(v, f)), 8 * radius, 30.0, 0.145)
    assert cr.count == 4
    assert np.all(np.abs(np.degrees(cr.turn_rad) - 90.0) <= 1.0), np.degrees(cr.turn_rad)
    assert np.all(np.abs(cr.radius_mm / radius - 1.0) <= 0.08), cr.radius_mm / radius
    assert np.all((cr.radius_lo_mm <= radius) & (radius <= cr.radius_hi_mm))


@pytest.mark.parametrize("seed", range(4))
def test_too_soft_fillets_drawn_along_their_rows_are_judged(seed):
    """Fillets 1.25-1.45 x R_max (`display`) drawn with 2-4 rows along the rims, at any
    phase, 180 / 360 / 720 sections, random poses: each is MS202 and its interval holds the
    truth. Rows along the crease make the section a polygon inscribed in the profile: under
    3 rows its radius is read from where its tangent lines are (the quarter points fall in
    the tangent cells there), beyond from its quarter points, and either is known to half a
    row (docs/edges.md); before, +-h/Theta left most of them undetermined. The same fillets
    on Delaunay rows (edges across the crease) keep the whole row, or a quarter where every
    good section was read from the faces' corners (_corner_radius), and every interval there
    holds the truth too."""
    c = resolve("display")
    r_max = edges.material_max_mm(c, c.material)
    rng = np.random.default_rng(9100 + seed)
    radius, rows = r_max * float(rng.uniform(1.25, 1.45)), float(rng.uniform(2.0, 4.0))
    v, f = _phase_ring(rng, radius, rows, (180, 360, 720)[seed % 3])
    m = from_arrays(v, f)
    a = Analysis(m)
    res = edges.run(m, c, a)
    soft = [x for x in res.findings if x.code == "MS202"]
    assert len(soft) == 4 and codes(res) == ["MS202"]  # one finding a chain (places: count)
    assert all(x.measured_range[0] > x.threshold for x in soft)
    held = [x for x in res.measurements if x.code == "MS202"]
    assert len(held) == 4 and all(x.lo <= radius <= x.hi for x in held)
    v, f = _phase_ring(rng, radius, rows, 0, tri="irregular")
    m = from_arrays(v, f)
    held = [x for x in edges.run(m, c, Analysis(m)).measurements if x.code == "MS202"]
    assert held and all(x.lo <= radius <= x.hi for x in held)



@pytest.mark.parametrize("seed", range(4))
def test_a_two_row_fillets_middle_vertex_fixes_its_radius(seed):
    """A section drawn along its rows is a polygon whose vertices lie on the surface; a circle
    tangent to both flanks through a vertex on the arc is unique, and the vertex where half the
    turn is reached is on the arc from one row across. So a fillet 1.2-1.3 x R_max (`display`)
    sampled with 2 rows across, at any phase, 180 / 360 / 720 sections, random poses, is read
    within 3 % (the inner rims 1.5 % low: the revolve's chords sag along them) and judged
    MS202 with an interval that holds it. Before, the tangent-line
    reading's half row (25 % of R at 2 rows) straddled R_max: undetermined."""
    c = resolve("display")
    r_max = edges.material_max_mm(c, c.material)
    rng = np.random.default_rng(9200 + seed)
    radius = r_max * float(rng.uniform(1.2, 1.3))
    v, f = _phase_ring(rng, radius, 2.0, (180, 360, 720)[seed % 3])
    m = from_arrays(v, f)
    res = edges.run(m, c, Analysis(m))
    soft = [x for x in res.findings if x.code == "MS202"]
    assert len(soft) == 4 and codes(res) == ["MS202"]  # one finding a chain (places: count)
    held = [x for x in res.measurements if x.code == "MS202"]
    assert len(held) == 4 and all(x.lo <= radius <= x.hi for x in held)
    assert all(abs(x.value / radius - 1.0) <= 0.03 for x in held), [x.value / radius for x in held]


@pytest.mark.parametrize("seed", range(3))
def test_a_two_row_fillet_on_rows_across_the_crease_is_read_from_its_corners(seed):
    """A ring (20-30 mm) whose four rims are fillets of 1.2-1.3 x R_max (`display`) sampled
    with two rows across, on rows running across the crease (every vertex jittered along the
    profile and around the axis by a quarter of its spacing, random diagonals: a remesher's
    rows; `procedural_edges.revolve_across`), at a random pose: a section's crossings are
    chord midpoints, off the surface, but the faces' corners lie on it, and a circle tangent
    to both flank planes through a corner on the arc is unique (_corner_radius). Each rim
    reads within 3 % and its interval holds it. Before, the quarter points on such rows read
    0.63-1.05 of the radius (the whole row kept)."""
    c = resolve("display")
    r_max = edges.material_max_mm(c, c.material)
    rng = np.random.default_rng(9300 + seed)
    radius = r_max * float(rng.uniform(1.2, 1.3))
    h = radius * np.pi / 2 / 2.0
    r_in = float(rng.uniform(20, 30))
    w, height = rng.uniform(5.0, 8.0, 2) * radius
    corners = [(r_in, 0.0), (r_in + w, 0.0), (r_in + w, height), (r_in, height)]
    v, f = P.revolve_across(corners, [radius] * 4, h, int(round(2 * np.pi * r_in / h)), rng)
    f = P.orient(v, f)
    v = v @ P.random_rotation(rng).T + rng.uniform(-50, 50, 3)
    cr = find_creases(Analysis(from_arrays(v, f)), 8 * radius, 30.0, 0.145)
    rims = np.argsort(-cr.length_mm)[:4]
    assert np.all(cr.length_mm[rims] >= np.pi * r_in), cr.length_mm[rims]
    assert np.all(np.abs(cr.radius_mm[rims] / radius - 1.0) <= 0.03), cr.radius_mm[rims] / radius
    assert np.all((cr.radius_lo_mm[rims] <= radius) & (radius <= cr.radius_hi_mm[rims]))


@pytest.mark.parametrize("seed", (0, 1, 4, 6))
def test_a_noisy_two_row_fillet_is_read_from_its_corners_within_their_scatter(seed):
    """A ring whose four rims are fillets of 1.25-1.4 x R_max (`display`) drawn with two rows
    across, 180 / 360 sections, every vertex moved along its normal by 1.5 % of a row (the
    crossings' noise reaches the 1 degree floor: no row reading is exact). The faces' corners
    still lie within the noise of the surface: read from them (_corner_radius), the radius
    is known to a quarter row plus what the corners' own scatter about the flank planes moves
    it by (dR/du + dR/dv, 3.4 at 90 degrees). Every interval holds the truth, and rims are
    judged MS202. Before, a noisy band kept the whole row (+-h/Theta, 50 % of R at two rows)
    and every rim was undetermined."""
    c = resolve("display")
    r_max = edges.material_max_mm(c, c.material)
    rng = np.random.default_rng(9400 + seed)
    radius = r_max * float(rng.uniform(1.25, 1.4))
    v, f = _phase_ring(rng, radius, 2.0, (180, 360, 720)[seed % 3])
    v = P.add_noise(v, f, 0.015 * radius * np.pi / 4, rng)
    m = from_arrays(v, f)
    res = edges.run(m, c, Analysis(m))
    assert {x.code for x in res.findings} <= {"MS200", "MS202"}, codes(res)
    assert sum(x.count for x in res.findings if x.code == "MS202") >= 1
    held = [x for x in res.measurements if x.code == "MS202"]
    assert held and all(x.lo <= radius <= x.hi for x in held)


@pytest.mark.parametrize("seed", (0, 1, 2))
def test_a_noisy_fillet_of_long_slivers_is_read_from_a_ramp_of_face_levels(seed):
    """The truth grammar's edges:2042 as a ring: 0.9 mm fillets of five 0.28 mm rows on 72
    sections (faces 2.3 mm along the rim), every vertex moved along its normal by 0.02 mm (7 %
    of a row), at `figure-1-6` (metal: too soft), turned at random. Each crossing turns by
    about 10 degrees of noise against the fillet's 9 a crossing: no crossing stands above the
    noise floor, so neither the crossing nor the level reading finds a band, and before, no
    rim kept a chain (fewer than half of its sections read). The faces' levels are the
    surface's plus noise that does not accumulate: a ramp fitted to them by least squares
    (_band_ramp) finds the band. At least two rims are judged MS202, and every interval holds
    0.9 mm."""
    rng = np.random.default_rng(seed)
    v, f, truths = P.ring(r_in=20.0, r_out=26.0, height=6.0, fillet=0.9, segments=5,
                          sections=72)
    v = P.add_noise(v, f, 0.02, rng) @ P.random_rotation(rng).T
    res = run(v, f, resolve("figure-1-6", finish="matte", material="metal"))
    held = [x for x in res.measurements if x.kind == "bevel_radius_mm" and x.code == "MS202"]
    assert sum(x.verdict == "fail" for x in held) >= 2, [(x.value, x.verdict) for x in held]
    assert all(x.lo <= 0.9 <= x.hi for x in held), [(x.value, x.lo, x.hi) for x in held]


def _sliver_walls(noise_rel):
    """Eight sliver walls (P.sliver_tube: radius 8-30 mm, 5 mm tall, chords 1.5-3.5 mm), each
    under vertex noise of noise_rel times its median edge (the truth grammar draws 0.02)."""
    for seed in range(8):
        rng = np.random.default_rng(seed)
        v, f, n = P.sliver_tube(rng.uniform(8, 30), 5.0, rng.uniform(1.5, 3.5), rng)
        h = np.median(np.linalg.norm(v[f[:, [1, 2, 0]]] - v[f], axis=2))
        yield seed, v + n * rng.normal(0.0, noise_rel * h, (len(v), 1)), f


def test_a_clean_sliver_wall_has_no_edge_finding():
    """The walls below without noise (the control for the test that follows: what makes the
    chains there is the noise). Their slivers fold by the chord's sagitta over their width; seven
    walls read no chain, and on one (seed 5, 0.085 mm rows) a 57-degree fold is a chain left
    undetermined (one MS200 info): no MS201-MS203."""
    cond = resolve("display")
    for seed, v, f in _sliver_walls(0.0):
        assert not EDGE_CODES & set(codes(run(v, f, cond))), seed


def test_noise_folds_on_a_sliver_wall_are_no_edges():
    """The same walls under the grammar's vertex noise (2 % of the median edge, 0.03-0.07 mm
    on slivers 0.05-0.25 mm wide: faces tilted by tens of degrees, neighbours folded past any
    crease's turn). Nothing there is an edge: no MS201 or MS202 on any of them (3 of the 8 had
    razor findings before creases.noise), and the chains their folds make are undetermined for
    the noise, said in MS200."""
    cond = resolve("display")
    found, said = {}, 0
    for seed, v, f in _sliver_walls(0.02):
        res = run(v, f, cond)
        found[seed] = sorted(x.code for x in res.findings if x.code in EDGE_CODES)
        said += any(x.code == "MS200" and "vertex noise" in x.message for x in res.findings)
    assert not any(found.values()), found
    assert said >= 3


def test_a_chain_the_ramp_keeps_is_judged_on_the_ramps_reading():
    """The truth grammar's edges:1085: a ring of 0.481 mm rims of five 0.095 mm rows under
    0.02 mm vertex noise (railway-ho, satin wood: R_min 0.388, R_max 0.115, too soft). Its
    rims' chains exist only through their ramp sections (_band_ramp), while most of their
    sections were read by crossings that noise lifted above the floor, ending early: 0.15 mm
    against the ramp's 0.45. Judged on the median of both, a rim read 0.158 mm [0.03, 0.29],
    a razor edge on a fillet that is too soft; judged on the ramp sections alone (_chains),
    no rim is called razor and one at least is found too soft, as the truth wants (without the
    ramp neither rim had a chain)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import shapes
    from truth.score import score
    from truth.suite import run_checks

    case = shapes.make_case("edges", 1085, False)
    s = score(case, run_checks(case.model(), case.resolved_conditions(), case.run_families))
    assert s.unsupported == 0, s.notes
    assert sum("missed MS202" in n for n in s.notes) <= 1, s.notes


def test_the_middle_vertex_reading_is_exact_at_any_phase():
    """_vertex_radius on polygons inscribed in a circular fillet between straight flanks:
    turns 30-150 degrees, 1.75-3 rows across, rows 25 % uneven, any phase; the flank vertex
    beside the band turning under the 1 degree floor (left out of the band) is read with it.
    Exact to rounding (the tangent-line reading errs by up to 0.3 h / Theta here)."""
    from miniscan.analysis.creases.radius import _vertex_radius

    rng = np.random.default_rng(7)
    for _ in range(500):
        T, R = np.radians(rng.uniform(30, 150)), 1.0
        h = R * T / rng.uniform(1.75, 3.0)
        s = -10 * h + rng.uniform(0, h) + np.r_[0, np.cumsum(h * rng.uniform(0.75, 1.25, 39))]
        th = np.clip(s / R, 0, T)
        x, y = np.where(s < 0, s, R * np.sin(th)), np.where(s < 0, 0, R - R * np.cos(th))
        e = s - R * T
        x = np.where(e > 0, R * np.sin(T) + e * np.cos(T), x)
        y = np.where(e > 0, R - R * np.cos(T) + e * np.sin(T), y)
        X = np.cumsum(np.hypot(np.diff(x), np.diff(y)))[:-1]
        D = np.diff(np.arctan2(np.diff(y), np.diff(x)))
        band = np.abs(D) > np.radians(1.0)
        r = _vertex_radius(X[None], D[None], band[None], np.radians([1.0]))[0]
        assert not np.isfinite(r) or abs(r - R) < 1e-9, (r, np.degrees(T))
        assert np.isfinite(r) or band.sum() < 3


def test_the_middle_vertex_reads_no_turn_past_a_one_row_flank():
    """A 0.3 mm, 90-degree fillet drawn with two chords whose flank is one row 2.4 mm long,
    ending at the next rim's tangent line (22.5 degrees): that crossing lies past a gap the
    band does not bridge and turns above the floor, so it is another crease's, and the flank
    is the chord to it. Read with the band, its turn made this rim 1.09 mm (the issue's ring
    at 0.3 mm, an MS202 on a rim within the material's bound)."""
    from miniscan.analysis.creases.radius import _vertex_radius

    R, row = 0.3, 2 * 0.3 * np.sin(np.pi / 8)
    X = np.array([-2.4, 0.0, row, 2 * row, 2 * row + 1.5])
    D = np.radians([22.5, 22.5, 45.0, 22.5, 0.0])
    band = np.array([False, True, True, True, False])
    r = _vertex_radius(X[None], D[None], band[None], np.radians([1.0]))[0]
    assert r == pytest.approx(R, rel=1e-9)


@pytest.mark.parametrize("fillet", [0.1, 0.3, 0.5])
@pytest.mark.parametrize("sections", [200, 720])
def test_two_chord_rims_beside_one_row_flats(fillet, sections):
    """The issue's ring with each fillet drawn with two chords: the flats and walls are one
    row, so a section from a rim's outer chord triangle reaches the next rim's tangent line
    one row away. Four chains, each within 15 % and its interval holding the radius (at 0.3
    mm two more chains read 1.09 mm from that far turn: a warning on rims within bounds)."""
    v, f, truths = P.ring(fillet=fillet, segments=2, sections=sections)
    cr = measure(v, f, detect=2.857)
    got = match_rz(cr, v, f, truths)
    assert None not in got and len(set(got)) == 4 and cr.count == 4, cr.radius_mm
    for i in got:
        assert cr.radius_mm[i] == pytest.approx(fillet, rel=0.15)
        assert cr.radius_lo_mm[i] <= fillet <= cr.radius_hi_mm[i]


@pytest.mark.parametrize("seed", range(4))
def test_a_cad_rounded_boxs_twelve_edges_are_found(seed):
    """A box of 2-20 mm, every edge filleted (0.05-0.6 mm) with three or four chords, written
    as a CAD tool writes it (each flat two triangles), at a random rotation: four rows about
    one fillet reach the corner patches and the others, whose chords turn 4-29.5 degrees, all
    convex, beside the flats' 0-degree diagonals. Read as a scatter that mixture was 58
    degrees of noise, and 8 of the 12 edges were dropped as no more than it; noise turns both
    ways, and nothing here turns against the ring's sense (a clean surface). All twelve, every
    interval holding the radius, their median within 15 % (seed 1's four edges along its
    4.3 mm side read 26 % low, inside their intervals: docs/edges.md, known limits)."""
    rng = np.random.default_rng(40 + seed)
    a = rng.uniform(1.0, 10.0, 3)
    r = float(np.exp(rng.uniform(np.log(0.05), np.log(min(0.6, a.min())))))
    v, f = P.cad_rounded_box(a, r, int(rng.integers(3, 5)))
    rot = P.random_rotation(rng)
    cr = measure(v @ rot.T, f, detect=2.857)
    assert cr.count == 12, (a, r, cr.radius_mm)
    assert np.all((cr.radius_lo_mm <= r) & (r <= cr.radius_hi_mm)), cr.radius_mm
    assert abs(np.median(cr.radius_mm) / r - 1) < 0.15, cr.radius_mm


@pytest.mark.parametrize("a, r, n, detect", [
    ((6.513, 1.141, 2.689), 0.653, 2, 2.0),
    ((1.855, 5.822, 9.259), 0.946, 2, 6.0),
])
@pytest.mark.parametrize("seed", range(3))
def test_a_cad_rounded_boxs_short_edges_are_found(a, r, n, detect, seed):
    """A CAD box's edges 2.3 and 3.7 mm long, filleted at 0.65 and 0.95 mm with two chords:
    each edge's chain holds its middle line, half its band's turn, and the rest is no chain's. On its own lines it read 1.5 mm against a band 1 mm wide and was dropped as a
    speck (8 of 12 found); as its band's principal it is as long as its band."""
    v, f = P.cad_rounded_box(np.array(a), r, n)
    cr = measure(v @ P.random_rotation(np.random.default_rng(seed)).T, f, detect=detect)
    assert cr.count == 12, cr.length_mm
    assert np.all((cr.radius_lo_mm <= r) & (r <= cr.radius_hi_mm)), cr.radius_mm
    assert abs(np.median(cr.radius_mm) / r - 1) < 0.15, cr.radius_mm


def test_rims_beside_a_one_row_wall_are_chains_of_their_own():
    """Rings 1-1.8 mm tall, 1.2-3 mm wide, rims of 0.05 mm to 0.3 of the section drawn with
    two chords, 200-720 sections: every wall and flat is one row. A wall's faces curve by
    their end turns (1/2.3 mm on a 0.9 mm wall) and link with the outer chord triangles of
    both rims beside it into one strip; a section across either rim sees that strip, and
    joined through it the two rims were one chain twice as long (4 of these 12 rings before).
    Each rim found is a chain of its own, no longer than 1.5 times its rim."""
    rng = np.random.default_rng(3)
    found = total = 0
    for _ in range(12):
        r_in, w, height = rng.uniform(3, 10), rng.uniform(1.2, 3), rng.uniform(1, 1.8)
        fillet = float(np.exp(rng.uniform(np.log(0.05), np.log(0.3 * min(w, height)))))
        sections, detect = int(rng.choice([200, 360, 720])), float(rng.choice([2.0, 2.857, 4.0]))
        v, f, truths = P.ring(r_in, r_in + w, height, fillet, segments=2, sections=sections)
        cr = measure(v, f, detect=detect)
        got = match_rz(cr, v, f, truths)
        hit = [i for i in got if i is not None]
        assert len(hit) == len(set(hit)) and cr.count == len(hit), (r_in, w, height, fillet)
        for i, t in zip(got, truths):
            total += 1
            if i is None:
                continue
            found += 1
            assert cr.length_mm[i] < 1.5 * 2 * np.pi * t["point"][0], (r_in, w, height, fillet)
            assert cr.radius_mm[i] == pytest.approx(fillet, rel=0.15)
    assert found >= 0.75 * total, (found, total)



def _wavy_column(wavelength, amplitude, sections, radius, seed, rows=400):
    """A turned column 4 wavelengths tall whose radius rolls sinusoidally along its height
    (a form, no edge on it), at a random pose."""
    import trimesh

    height = 4 * wavelength
    z = np.linspace(0.0, height, rows)
    r = radius + amplitude * np.sin(2 * np.pi * z / wavelength)
    m = trimesh.creation.revolve(np.r_[[[0.0, 0.0]], np.c_[r, z], [[0.0, height]]],
                                 sections=sections)
    rot = trimesh.transformations.random_rotation_matrix(np.random.default_rng(seed).random(3))
    return np.asarray(m.vertices) @ rot[:3, :3].T, np.asarray(m.faces)


@pytest.mark.parametrize("wavelength,amplitude,sections,radius,seed", [
    (5.0, 0.3, 384, 6.0, 1), (8.0, 0.5, 256, 8.0, 2), (6.3, 0.4, 512, 5.0, 3),
    (4.5, 0.25, 320, 7.0, 4), (7.0, 0.35, 448, 6.5, 6)])
def test_a_gentle_waves_crests_are_no_bevels(wavelength, amplitude, sections, radius, seed):
    """Crests and troughs of a gentle wave (slopes 19-22 degrees, wavelengths 4.5-8 mm,
    radii 5-8 mm, 256-512 sections, random poses) curve at 1 / (A k^2) over half a wavelength,
    then the surface turns back: beyond the inflection, within a band width of the crest
    band, it curves the other way, which a bevel's flanks never do. None is MS202. Before,
    the flank's straight-line fit over one band width read the V about the inflection as
    flat: three crests of the 5 mm and the 6.3 mm waves read as 35-45 degree bevels."""
    v, f = _wavy_column(wavelength, amplitude, sections, radius, seed)
    res = run(v, f, resolve("tabletop"))
    assert res.metrics["verdicts"].get("MS202", {}).get("fail", 0) == 0


# --- creases inside another body ------------------------------------------------------------

def _box(lo, hi, sub=0):
    import trimesh

    b = trimesh.creation.box(np.subtract(hi, lo))
    b.apply_translation(np.add(lo, hi) / 2.0)
    for _ in range(sub):
        b = b.subdivide()
    return np.asarray(b.vertices), np.asarray(b.faces)


def _join(*parts):
    v = np.vstack([p[0] for p in parts])
    off = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    return v, np.vstack([p[1] + o for p, o in zip(parts, off)])


# two blocks touching face to face under a slab resting on both (not unioned, as a CAD
# assembly is exported), and two small blocks sunk across where they touch
_SUNK = (((8.0, 4.0, 4.0), (12.0, 6.0, 6.0)), ((17.0, 3.0, 8.0), (19.0, 7.0, 12.0)))


def _touching_assembly(seed, scale, sub):
    parts = [_box(lo, hi, sub) for lo, hi in (((0, 0, 0), (10, 10, 10)),
                                              ((10, 0, 0), (20, 10, 10)),
                                              ((0, 0, 10), (20, 10, 14))) + _SUNK]
    v, f = _join(*parts)
    rot = P.random_rotation(np.random.default_rng(seed))
    return v * scale @ rot.T, f, rot


def _kept(v, f, scale):
    cr = find_creases(Analysis(from_arrays(v, f)), 4.0 * scale, 30.0, 0.145 * scale)
    return np.asarray(cr.centroid_mm, float).reshape(-1, 3)


@pytest.mark.parametrize("scale,sub", [(1.0, 0), (0.25, 1), (3.0, 2)])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_creases_sunk_where_parts_touch_are_buried_whatever_else_the_file_holds(seed, scale,
                                                                               sub):
    # the sunk blocks' 24 edges lie inside the assembly, many on the face where two parts
    # touch: none is judged; and a far block added to the file changes no other crease
    # (before: a ray-cast of the whole model listed the coincident faces' crossings once,
    # one part's or the other's by how its tree was split, so some sunk edges were judged
    # and a far block turned others)
    v, f, rot = _touching_assembly(seed, scale, sub)
    alone = _kept(v, f, scale)
    back = alone @ rot / scale
    on_sunk = [np.all((back > np.subtract(lo, 0.01)) & (back < np.add(hi, 0.01)), axis=1)
               for lo, hi in _SUNK]
    assert not np.any(on_sunk)
    fv, ff = _box((-300.0, -300.0, -300.0), (-290.0, -296.0, -293.0), sub)
    v2, f2 = _join((v, f), (fv * scale, ff))
    both = _kept(v2, f2, scale)
    both = both[np.linalg.norm(both, axis=1) < 100.0 * scale]
    assert len(both) == len(alone)
    np.testing.assert_allclose(np.sort(both, axis=0), np.sort(alone, axis=0), atol=1e-9)


def test_corpus_assembly_creases_buried_whatever_else_the_file_holds(corpus_dir):
    # the cycloidal drive (100 parts, pins in bores): a far block added to the file changes
    # which of its creases are buried nowhere
    from miniscan.loading import load

    m = load(str(corpus_dir / "cad_cycloidal.ply"), None)
    v, f = np.asarray(m.vertices), np.asarray(m.faces)
    lo, hi = v.min(axis=0), v.max(axis=0)
    size = float(np.linalg.norm(hi - lo))
    fv, ff = _box(hi + size, hi + 1.2 * size)

    def kept(v, f):
        cr = find_creases(Analysis(from_arrays(v, f)), 4.0, 30.0, 0.145)
        c = np.asarray(cr.centroid_mm, float).reshape(-1, 3)
        return np.sort(c[np.all(c <= hi + 0.5 * size, axis=1)], axis=0)

    alone = kept(v, f)
    both = kept(*_join((v, f), (fv, ff)))
    assert len(both) == len(alone)
    np.testing.assert_allclose(both, alone, atol=1e-9)


@pytest.mark.parametrize("h,coarser", [(0.5, True), (0.1, False)])
def test_the_coarse_info_says_the_rows_are_coarser_only_when_they_are(h, coarser):
    """MS200's reason for chains whose interval straddles R_min: faces coarser than the bevel
    that matters, or (rows already finer than it) the row of uncertainty at the band's ends.
    It said "faces of 0.1 mm ... are coarser than the 0.24 mm bevel" on an oval base."""
    from miniscan.checks.edges import _Chain, _settle
    from miniscan.findings import Location

    ch = _Chain(0, None, Location(), 0.2, 0.05, 0.35, h, 90.0, 10.0, 0.24, 0.36, True, 0.6,
                "matte", False)
    text = _settle([ch])
    assert ("coarser than the 0.24 mm bevel" in text) == coarser
    assert "0.08 mm edge length" in text


@pytest.mark.parametrize("r,lo,hi,said", [(0.021, 0.0, 0.043, "0.04\u20130.043 mm"),
                                         (0.014, 0.0, 0.029, "about 0.04 mm"),
                                         (0.08, 0.06, 0.1, None)])
def test_a_razor_finding_says_when_its_value_is_the_radius_after_print_and_paint(r, lo, hi,
                                                                               said):
    """MS201's measured value and range are the radius after print and paint, max(R, hold):
    a 0.021 mm bevel (0-0.043) under a 0.04 mm hold reported 0.04 [0.04, 0.043] in JSON while
    its message gave only the reading. The message now says what print and paint make of it
    whenever the reading is under the hold."""
    from miniscan.checks.edges import _Chain, _judge
    from miniscan.evidence import Evidence
    from miniscan.findings import Location

    ch = _Chain(0, None, Location(), r, lo, hi, 0.01, 90.0, 10.0, 0.24, 0.36, True, 0.6,
                "matte", False)
    verdict, found, _ = _judge(resolve("tabletop"), ch, 0.04, Evidence("edges"))
    assert verdict == "razor" and len(found) == 1
    f = found[0]
    assert f.measured == pytest.approx(max(r, 0.04))
    if said is None:
        assert "print and paint" not in f.message
    else:
        assert f"print and paint round it to {said}" in f.message


def test_a_fillets_noise_floor_is_not_set_by_its_neighbours_rows():
    """The truth grammar's edges:4008: a clean irregular sweep (4 lobes, 8 rows across each
    fillet) with 1.15 mm and 0.348 mm rims 6 mm apart. The station's noise was the median turn
    of the crossings beyond its nominal band, which on this narrow part are mostly the
    neighbouring fillets' rows (5-48 degrees each): it read 4-10 degrees, the floor 11-26
    degrees cut the 1.15 mm rim's band to its strongest one or two crossings at 5 of its 8
    stations, and its chain read 0.425 mm [0.069, 0.781], undetermined (MS202 missed). The noise
    read from the quietest quarter of the crossings' displacements (turn times the faces'
    width across the crease) keeps the other fillets' rows out of it: both 1.15 mm rims found
    and read within the truth's tolerance, nothing unsupported."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:4008"))
    assert not [n for n in s.notes if "radius_mm=1.15" in n], s.notes
    assert s.unsupported == 0, s.notes


def test_a_narrow_parts_other_fillets_are_no_noise():
    """The truth grammar's edges:68047: a clean irregular sweep 2 mm wide, four fillets of
    0.24-0.26 mm drawn with 8 rows each. A section across one fillet also crosses the two
    beside it, whose rows made 24 of its 26 crossings beyond the band: their quietest
    quarter read 4.2 degrees of noise on a clean mesh, the floor called every crossing of the
    station's own fillet under 10.5 degrees noise, and one fillet's only chain read 0.08 mm
    [0, 0.21] (its interval missing 0.264). Crossings within half a band width of a crease's
    worth of turn are set aside from the noise (band._other_creases): all four found, every
    interval holding its radius."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:68047"))
    assert s.found == s.defects == 4, s.notes
    assert not [n for n in s.notes if "misses true" in n], s.notes
    assert s.unsupported == 0, s.notes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fillets_of_a_narrow_irregular_ring_read_their_radius(seed):
    """A ring 2 mm wide and 2.1 mm tall, its four rims filleted at 0.26 mm (8 chords),
    triangulated irregularly (Delaunay, faces ~0.6 mm): each rim's chain reads its radius
    within 15 % and its interval holds it. A station's noise floor was read from crossings
    that were mostly the other rims' rows, and cut two rims' bands to their strongest
    crossings (0.187 and 0.214 mm on seed 2)."""
    v, f, truths = P.ring(r_in=6.0, r_out=8.0, height=2.1, fillet=0.26, segments=8,
                          tri="irregular", h=0.6, rng=np.random.default_rng(seed))
    cr = measure(v, f)
    for i in match_rz(cr, v, f, truths):
        assert i is not None
        assert cr.radius_mm[i] == pytest.approx(0.26, rel=0.15)
        assert cr.radius_lo_mm[i] <= 0.26 <= cr.radius_hi_mm[i]


def test_noise_kinks_between_a_walls_slivers_are_no_razor_edge():
    """The truth grammar's edges:7019: a revolved ring whose wall is two rows of 1.34 mm slivers
    0.07-0.08 mm wide along it (361 sections), under vertex noise of 0.024 mm (a third of a
    sliver's width). Between neighbouring slivers the wall turns 26 degrees at the median and
    over 30 at 46 % of its edges: a vertical line of those kinks reads 71 degrees, 0.055 mm,
    a razor edge beside a 0.47 mm top fillet that passes. The surface's noise around it
    (_ring_noise) reads 15.7 degrees: its ring is mostly the top and bottom faces, wider and
    so turning less under the same vertex noise, and the wall's turns past 30 degrees are
    left out as creases of their own; the wall alone spreads by about 40 (its turns' median
    absolute deviation). The kinks' chain holds a few faces of the 0.038 mm foot, and its
    sections that read an edge read that foot; once the chain is no longer joined to the top
    fillet's (chains._on_line) it must be placed where one of those read it (chains._anchor),
    not at a 15-degree wall kink 0.47 mm up, nearest the fillet that passes."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:7019"))
    assert s.unsupported == 0, s.notes


@pytest.mark.parametrize("case", ["edges:42025", "edges:42068"])
def test_a_walls_two_rims_are_two_chains(case):
    """Fresh-slice cases whose rims were joined into one chain, one verdict placed on one rim:
    edges:42025, a 125 mm ring of 55 sections drawn in slivers 2.3 mm long (two chains of 249
    and 226 mm, each holding a top and a bottom rim, their places on the top rims only), and
    edges:42068, a sweep's 0.064 and 0.056 mm rims on a 0.95 mm wall (one 179 mm chain placed
    on the bottom rim). Two rim faces staggered along the rims pass the link's direction test;
    each lies beyond the other's extent across the crease (chains._on_line)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task(case))
    assert s.found == s.defects, s.notes
    assert s.unsupported == 0, s.notes


def test_a_noise_fold_on_a_noisy_fillet_is_no_razor_edge():
    """The truth grammar's edges:35015 (a fresh slice nobody had tuned on): a revolved ring at
    52 sections, its 0.48 mm fillets rowed in 0.06 mm slivers 0.68 mm long, under 0.007 mm of
    vertex noise (faces tilt about 18 degrees about the crease). A 46-degree noise fold among
    them was read as a one-row band with flanks 0.15 mm wide whose slope noise hid the
    fillet's own 17 degrees across each: 0.087 (0-0.21) mm, a razor edge on a fillet that
    passes. Where the flanks cannot be shown to curve less than the turn over their span,
    the reading may be one arc of radius span / turn (flanks._form_allowed), and its interval
    reaches it."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:35015"))
    assert s.unsupported == 0, s.notes


@pytest.mark.parametrize("rows,rel", [(8, 0.01), (6, 0.02), (4, 0.02)])
def test_a_noisy_fillets_turn_is_the_angle_between_its_flanks(rows, rel):
    """A rounded box (R = 1 mm, its fillets drawn with 4-8 grid rows) under vertex noise of
    1-2 % of a row (0.2-0.8 % of R): each section reads the radius within its interval and
    without bias. The noise turns each quad's diagonal a little either way; those turning
    against the band were folded into it and those turning its way dropped as transparent, so
    the band read 84 of its 90 degrees and the radius 9 % high, its sections' intervals
    missing R in 54 of 197 (8 rows, 1 %): band._absorb_inner."""
    h = np.pi / 2 / rows
    v, f = P.rounded_box(1.0, h, a=np.full(3, 4.0))
    v = P.add_noise(v, f, rel * h, np.random.default_rng(0))
    st = measure(v, f, detect=2.86, eye=0.1).stretches
    ok = np.isfinite(st.radius)
    assert ok.sum() >= 48
    assert np.median(st.radius[ok]) == pytest.approx(1.0, abs=0.03)
    held = (st.lo[ok] <= 1.0) & (st.hi[ok] >= 1.0)
    assert held.mean() >= 0.95, (held.sum(), ok.sum())


def _length_errors(v, f, truths, rng):
    """Per true circular crease of a revolved model (at a random pose): the relative error of
    the length of the kept chain lying on it (in the profile's plane: radius about z, height)."""
    rot = P.random_rotation(rng)
    cr = measure(v @ rot.T, f)
    c = np.asarray(cr.centroid_mm, float).reshape(-1, 3) @ rot
    rz = np.c_[np.hypot(c[:, 0], c[:, 1]), c[:, 2]]
    out = []
    for t in truths:
        d = np.hypot(rz[:, 0] - t["point"][0], rz[:, 1] - t["point"][2])
        assert len(d) and d.min() < 0.5, (t, rz)
        out.append(cr.length_mm[int(np.argmin(d))] / t["length"] - 1.0)
    return np.array(out)


@pytest.mark.parametrize("segments", [2, 3, 4, 6, 12])
@pytest.mark.parametrize("sections", [48, 128, 720])
def test_chain_length_is_the_creases_whatever_the_chords_and_sections(segments, sections):
    # a chain's length is its crease's, however the seeds split the band's rows between
    # chains: a two-chord 0.5 mm rim of 48 sections read half its 77 mm (the chain holding
    # the middle line carried half the band's turn), whatever the pose
    rng = np.random.default_rng(1000 * segments + sections)
    v, f, truths = P.disc(radius=12.5, height=3.2, fillet=0.5, segments=segments,
                          sections=sections)
    err = _length_errors(v, f, truths, rng)
    # (the chords of a polygon of n sections are shorter than the circle by pi^2 / (6 n^2))
    assert np.all(np.abs(err) <= 0.05), err


@pytest.mark.parametrize("segments", [4, 6])
@pytest.mark.parametrize("sections", [48, 128, 720])
def test_chain_length_on_a_rings_four_rims(segments, sections):
    """A ring's four filleted rims at 4 and 6 chords: each chain's length within 5 % of its
    rim's. Its outer rims read their turn short (67.5 of 90 degrees at 4 chords) while the
    band's noise floor took the next rim's facet lines for noise, and their lengths read long
    by as much; with the floor from each crossing's own displacement they read 90."""
    rng = np.random.default_rng(1000 * segments + sections)
    v, f, truths = P.ring(r_in=6.0, r_out=9.0, height=3.0, fillet=0.5, segments=segments,
                          sections=sections)
    err = _length_errors(v, f, truths, rng)
    assert np.all(np.abs(err) <= 0.05), err


def _rounded_rect_prism(w, d, rf, k, height):
    """A w x d rectangle with corners rounded to rf (k chords each), extruded `height` along z
    (one row: each corner fillet is k long quads, the sides one each); fan caps."""
    xy = []
    for cx, cy, a0 in [(w / 2 - rf, d / 2 - rf, 0.0), (-w / 2 + rf, d / 2 - rf, 0.5 * np.pi),
                       (-w / 2 + rf, -d / 2 + rf, np.pi), (w / 2 - rf, -d / 2 + rf, 1.5 * np.pi)]:
        t = np.linspace(a0, a0 + 0.5 * np.pi, k + 1)
        xy.append(np.c_[cx + rf * np.cos(t), cy + rf * np.sin(t)])
    xy = np.concatenate(xy)
    n = len(xy)
    v = np.r_[np.c_[xy, np.zeros(n)], np.c_[xy, np.full(n, height)],
              [[0.0, 0.0, 0.0], [0.0, 0.0, height]]]
    i = np.arange(n)
    j = (i + 1) % n
    f = np.concatenate([np.c_[i, j, n + j], np.c_[i, n + j, n + i],
                        np.c_[np.full(n, 2 * n), j, i], np.c_[np.full(n, 2 * n + 1), n + i, n + j]])
    return v, P.orient(v, f)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_chain_length_of_an_extruded_corner_fillet_is_its_height(k, seed):
    # a rounded rectangle's vertical 0.5 mm corner fillets, 5 mm tall, one row of k long
    # quads each: the seeds split each fillet's lines between chains, and a 3-chord corner
    # read 1.67 mm long (the chain holding one line of three), at any pose
    rng = np.random.default_rng(seed)
    rf, height = 0.5, 5.0
    v, f = _rounded_rect_prism(20.0, 10.0, rf, k, height)
    rot = P.random_rotation(rng)
    cr = measure(v @ rot.T, f)
    c = np.asarray(cr.centroid_mm, float).reshape(-1, 3) @ rot
    off = rf * (1.0 - np.sqrt(0.5))  # the fillet's middle, inside the sharp corner
    found = 0
    for sx, sy in [(1, 1), (-1, 1), (-1, -1), (1, -1)]:
        corner = np.array([sx * (10.0 - off), sy * (5.0 - off)])
        d = np.linalg.norm(c[:, :2] - corner, axis=1)
        if len(d) and d.min() < rf and abs(cr.radius_mm[int(np.argmin(d))] - rf) < 0.5 * rf:
            found += 1
            assert abs(cr.length_mm[int(np.argmin(d))] / height - 1.0) <= 0.05, cr.length_mm
    # (whether each corner is found at all depends on the pose: not this test's matter)
    assert found >= 1


def test_a_chains_reading_does_not_depend_on_chains_elsewhere(corpus_dir):
    """The scanned boot (1,300+ seeded chains) and the same boot beside a copy of itself, far
    apart: every chain of the first boot is cut at its own STATIONS_PER_CHAIN stations and
    reads alike either way. A station budget shared by all chains (6,000 sections, 8 for the
    chains turning most along their length and 3 for the rest) cut a chain at 8 on the
    clean boot and at 3 once a stud set into its far side added 80 chains (edges:c19): its 3
    read it too soft where the clean boot's 8 did not, a false place 90 mm from the stud."""
    from miniscan.loading import load

    m = load(str(corpus_dir / "scan_boot.obj"), None)
    v, f = np.asarray(m.vertices, float), np.asarray(m.faces)
    one = find_creases(Analysis(from_arrays(v, f)), 4.5, 30.0, 0.12)
    shift = np.array([3.0 * float(np.ptp(v[:, 0])), 0.0, 0.0])
    two = find_creases(Analysis(from_arrays(np.r_[v, v + shift], np.r_[f, f + len(v)])), 4.5,
                       30.0, 0.12)
    mine = two.centroid_mm[:, 0] < v[:, 0].max() + 0.5 * shift[0]
    assert two.count > one.count >= 100
    key = lambda cr, m_: np.lexsort(np.round(cr.centroid_mm[m_], 6).T)  # noqa: E731
    a, b = key(one, slice(None)), key(two, mine)
    assert mine.sum() == one.count
    np.testing.assert_allclose(two.radius_mm[mine][b], one.radius_mm[a], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(two.radius_hi_mm[mine][b], one.radius_hi_mm[a], rtol=1e-9,
                               atol=1e-12)


def _stretched_chain(r, lo, hi, stretches, c):
    """A chain read r [lo, hi] by its median whose sections, read alone, give `stretches`
    ((x, r, lo, hi) each, a place on the x axis)."""
    from miniscan.findings import Location
    from miniscan.vision import FINISH_LOBE_RAD, highlight_min_radius

    lobe = FINISH_LOBE_RAD[c.finish]
    loc = Location((-10.0, 0.0, 0.0), region=0, faces=(0,))
    st = tuple((Location((float(x), 0.0, 0.0), region=0, faces=(k + 1,)), sr, slo, shi)
               for k, (x, sr, slo, shi) in enumerate(stretches))
    return edges._Chain(0, None, loc, r, lo, hi, 0.05, 90.0, 40.0,
                        highlight_min_radius(c.resolvable_mm, lobe),
                        edges.material_max_mm(c, c.material), True, lobe, c.finish, False, st)


def test_a_chains_stretches_are_judged_by_their_own_sections():
    """A chain that fails is placed at each stretch whose own section fails too (a sweep's
    four razor rims joined into one chain through one-row flats, the truth grammar's
    edges:5059, were one place on one rim); single sections do not turn a chain its median
    leaves undetermined into a finding (noise cuts a band short or runs it on: a 0.24 mm
    fillet read 0.057 mm, a 0.37 mm one 0.74 mm, at single sections), nor contradict a
    passing median."""
    from miniscan.evidence import Evidence

    c = resolve("display")  # R_min 0.242 mm, R_max 0.357 mm
    hold = edges.hold_radius_mm(c)
    st = [(0.0, 0.05, 0.0, 0.10), (10.0, 0.25, 0.15, 0.35), (20.0, 0.04, 0.0, 0.09),
          (30.0, 0.60, 0.45, 0.75)]
    ev = Evidence("edges")
    v, fs, ms = edges._judge(c, _stretched_chain(0.05, 0.0, 0.1, st, c), hold, ev)
    assert v == "razor" and len(fs) == 1 and fs[0].count == 3 and len(ms) == 1
    assert ev.metrics()["MS201"]["fail"] == 1
    assert [p.location.centroid_mm[0] for p in fs[0].places] == [-10.0, 0.0, 20.0]
    for p in fs[0].places:
        assert p.measured_range[1] < fs[0].threshold
    v, fs, _ = edges._judge(c, _stretched_chain(0.6, 0.5, 0.7, st, c), hold, Evidence("edges"))
    assert v == "soft" and [p.location.centroid_mm[0] for p in fs[0].places] == [-10.0, 30.0]
    for chain in ((0.3, 0.25, 0.45), (0.2, 0.1, 0.3)):
        v, fs, _ = edges._judge(c, _stretched_chain(*chain, st, c), hold, Evidence("edges"))
        assert v == "undetermined" and fs == []
    v, fs, _ = edges._judge(c, _stretched_chain(0.3, 0.28, 0.32, st, c), hold, Evidence("edges"))
    assert v == "ok" and fs == []


def test_an_undetermined_chains_stretch_of_several_readings_is_judged_as_a_chain():
    """A chain its median leaves undetermined (two rims joined, one sharp, one not) is placed
    where a stretch of its sections, read as a chain is (their median, its standard error over
    two or more independent readings, the row term), fails a rule: the truth grammar's
    edges:2002, a 0.066 mm rim whose two sections read 0.05 and 0.07 mm in a chain read 0.13
    [0.018, 0.243] against R_min 0.194. Sections whose bands share faces are one reading (rows
    of slivers 1.8 mm long read by stations 0.3 mm apart: edges:2048's 0.24 mm fillet read
    0.06-0.13 mm by three of them together), and one reading is no stretch."""
    from miniscan.evidence import Evidence

    c = resolve("display")  # R_min 0.242 mm
    hold = edges.hold_radius_mm(c)
    # four sections at x = 0..3 on the sharp rim, each too wide alone to decide (the chain's
    # scatter over both rims widens them), then two on a rim within the window
    st = [(float(x), 0.05 + 0.005 * x, 0.0, 0.3) for x in range(4)] + \
        [(float(x), 0.3, 0.1, 0.5) for x in (4, 5)]
    reads = tuple((0.03, 0.02, 0.03, r, r, k) for k, (_, r, _, _) in enumerate(st))
    ch = replace(_stretched_chain(0.2, 0.05, 0.7, st, c), reads=reads)
    v, fs, ms = edges._judge(c, ch, hold, Evidence("edges"))
    assert v == "undetermined" and len(ms) == 2 and [f.code for f in fs] == ["MS201"]
    assert fs[0].count == 1 and fs[0].location.centroid_mm[0] == 1.0  # the stretch's middle
    assert fs[0].measured_range[1] < fs[0].threshold
    # the same four sections crossing the same faces: one reading, no stretch
    same = tuple(x[:5] + (0 if k < 4 else k,) for k, x in enumerate(reads))
    _, fs, _ = edges._judge(c, replace(ch, reads=same), hold, Evidence("edges"))
    assert fs == []
    # a gap along the chain (stations 1 and 2 no good sections): no stretch of two readings
    _, fs, _ = edges._judge(c, replace(ch, along=(0, 3, 6, 9, 10, 11)), hold,
                            Evidence("edges"))
    assert fs == []


def test_a_stretch_is_placed_at_its_most_precise_section_not_on_the_rim_beside_it():
    """A chain joined over rims side by side ranks their stations along one line,
    interleaved; a section of a coarser rim whose wide interval holds its neighbours'
    readings joins their stretch. Placed at its middle section, a razor stretch fell on the
    coarser rim, a fillet that passes (the truth grammar's edges:104022). The place is the
    stretch's most precise section whose reading lies within the stretch's interval; where
    every section is alike, still its middle one."""
    from miniscan.evidence import Evidence

    c = resolve("display")  # R_min 0.242 mm
    hold = edges.hold_radius_mm(c)
    st = [(0.0, 0.05, 0.0, 0.30), (1.0, 0.06, 0.0, 0.28), (2.0, 0.12, 0.0, 0.90),
          (3.0, 0.05, 0.0, 0.26), (4.0, 0.06, 0.0, 0.29)]
    reads = tuple((0.03, 0.02, 0.03, r, r, k) for k, (_, r, _, _) in enumerate(st))
    ch = replace(_stretched_chain(0.2, 0.05, 0.7, st, c), reads=reads)
    v, fs, _ = edges._judge(c, ch, hold, Evidence("edges"))
    assert v == "undetermined" and [f.code for f in fs] == ["MS201"] and fs[0].count == 1
    assert fs[0].location.centroid_mm[0] == 3.0  # the narrowest interval, not x = 2
    assert fs[0].measured_range[1] < fs[0].threshold
    alike = [(x, 0.05 + 0.002 * x, 0.0, 0.3) for x, _, _, _ in st]
    same = replace(_stretched_chain(0.2, 0.05, 0.7, alike, c), reads=tuple(
        (0.03, 0.02, 0.03, r, r, k) for k, (_, r, _, _) in enumerate(alike)))
    _, fs, _ = edges._judge(c, same, hold, Evidence("edges"))
    assert fs[0].location.centroid_mm[0] == 2.0


@pytest.mark.parametrize("lip_deg", [35.0, 45.0, 60.0])
def test_a_sharp_v_grooves_bottom_stays_a_razor_edge(lip_deg):
    """A sharp V-groove's concave bottom, one crossing between two lips that turn back, together,
    as much as it turns, is a razor edge at display (a rule that read a lone crossing between
    creases turning against it as a fold tucked into a crease of the other sign took the
    bottoms of 45 and 60-degree grooves; docs/edges.md step 5, measured, not kept)."""
    v, f, (rg, zb) = P.grooved_disc(lip_deg)
    res = run(v, f, resolve("display"))
    razor = [x for x in res.findings if x.code == "MS201"]
    at = [p.location.centroid_mm for x in razor for p in (x.places or (x.place,))]
    bottom = [c for c in at if abs(np.hypot(c[0], c[1]) - rg) < 0.05 and abs(c[2] - zb) < 0.05]
    assert bottom, [np.round(c, 2).tolist() for c in at]


@pytest.mark.parametrize("case", ["edges:103020", "edges:98039", "edges:105055",
                                  "edges:108015"])
def test_no_razor_place_on_a_fillet_that_passes(case):
    """Fresh-slice cases that put razor places on fillets that pass. edges:103020 (slice
    103000): a ring of 54 sliver sections under 0.017 mm of vertex noise, whose crossings
    scatter about 12 degrees. Sections whose nominal band covered their whole walk read no
    crossing away from it, so their noise read 0; the noise split the 0.29 mm fillet, and
    three read 0.09-0.11 (0.01-0.23) mm, razor at display (band._station_noise: the body's
    noise stands in where the walk saw none). edges:98039 (slice 98000): an irregular sweep
    whose 0.6 mm fillet is about one of its 1 mm faces wide; a face tucked into it made
    crossings of +84, -64 and +48 degrees within 0.9 mm, and the -64-degree fold read as a
    concave razor edge, 0.19 (0-0.37) mm, at 1:35 (flanks._tucked_fold). edges:105055 (slice
    105000): an irregular revolve whose 2.05 mm fillets are one 2.96 mm chord each; the
    chord's faces fold -3 to -5 degrees between sections, the one-chord reading stopped at
    those folds, and a 48-degree facet line beside a 0.28 mm face read 0.33 (0.04-0.68) mm,
    razor at display (flanks._in_chord). edges:108015 (slice 108000): a square sweep under
    0.007 mm of noise whose 2.51 mm fillets are one 3.55 mm chord; stations on the wall
    beside a facet line were read from their levels with a noise floor of 0 (the nominal band,
    19.1 mm, covered the whole walk), grew a band over the wall's noise folds, and read the
    line 0.08-0.16 (0.04-0.51) mm: ten razor places at 1:35 (band._level_noise: the body's
    noise stands in there too)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task(case))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


def test_a_razor_rims_stretch_is_not_placed_on_the_fillet_beside_it():
    """The truth grammar's edges:104022 (fresh slice 104000): a 3.8 mm square profile swept
    round three lobes, two 0.206 mm rims and two 0.746 mm fillets in three rows, joined into
    one 581 mm chain; three razor places fell on the 0.746 mm fillet, which passes at 1:6
    (checks.edges._stretch_place)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:104022"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


def test_a_straight_razor_edge_is_one_place(boxes):
    """A straight razor edge is one problem: its sections all fail, one run, so its finding
    has one place, the chain's own (before, each of its failing sections was a place: a
    rounded block's razor edge said "x8 places")."""
    res = run(*boxes[0.05], resolve("display"))
    ms201 = [x for x in res.findings if x.code == "MS201"]
    assert len(ms201) == 12
    assert all(x.count == 1 and len(x.places) <= 1 for x in ms201), [x.count for x in ms201]


def test_a_run_of_failing_stretches_is_one_place_and_a_gap_along_the_chain_ends_it():
    """Consecutive failing stations along a chain are one run, placed once (at its middle,
    or at the chain's place when the run holds the chain's own section); a station between
    that is no good section (absent from the stretches: a one-row flat between two rims)
    ends a run as a passing one does."""
    from miniscan.evidence import Evidence

    c = resolve("display")  # R_min 0.242 mm
    hold = edges.hold_radius_mm(c)
    razor = [(float(x), 0.05, 0.0, 0.10) for x in range(6)]
    ch = _stretched_chain(0.05, 0.0, 0.1, razor, c)
    _, fs, _ = edges._judge(c, ch, hold, Evidence("edges"))
    assert fs[0].count == 2  # the chain's place and one run (its middle, x = 2)
    assert [p.location.centroid_mm[0] for p in fs[0].places] == [-10.0, 2.0]
    # the same sections with stations 3 and 4 missing between x = 2 and x = 3: two runs
    gap = replace(ch, along=(0, 1, 2, 5, 6, 7))
    _, fs, _ = edges._judge(c, gap, hold, Evidence("edges"))
    assert [p.location.centroid_mm[0] for p in fs[0].places] == [-10.0, 1.0, 4.0]
    # the chain's own section on the run: the run is its place, no other
    own = replace(ch, loc=ch.stretches[3][0])
    _, fs, _ = edges._judge(c, own, hold, Evidence("edges"))
    assert fs[0].count == 1 and fs[0].location.centroid_mm[0] == 3.0


def test_neighbours_reading_different_radii_are_two_runs():
    """A chain joined over two rims side by side (through a one-row flat) has its stations
    interleaved along its line: neighbours that do not each read within the other's interval
    are not one crease, and each rim's run is a place (the truth grammar's edges:2030: a
    0.09 mm and a 0.025 mm rim in one chain, the sharper one's place only)."""
    from miniscan.evidence import Evidence

    c = resolve("display")
    hold = edges.hold_radius_mm(c)
    st = [(float(x), *((0.08, 0.0, 0.16) if x % 2 else (0.023, 0.0, 0.046))) for x in range(4)]
    _, fs, _ = edges._judge(c, _stretched_chain(0.023, 0.0, 0.046, st, c), hold,
                            Evidence("edges"))
    assert [p.location.centroid_mm[0] for p in fs[0].places] == [-10.0, 0.0, 1.0, 2.0, 3.0]
    same = [(float(x), 0.05, 0.0, 0.1) for x in range(4)]
    _, fs, _ = edges._judge(c, _stretched_chain(0.05, 0.0, 0.1, same, c), hold,
                            Evidence("edges"))
    assert fs[0].count == 2


def test_a_loop_is_cut_for_its_places_over_each_pass_of_its_principal_line():
    """A chain whose crease passes over its principal line several times is cut for its
    places at eight stations a pass: a ring's rim is a loop, pi times its line; a sweep's four
    rims joined into one 515 mm chain through one-face flats (edges:2005) had three good
    sections of its eight, and two rims no place. Its verdict and reading stay its own
    eight's (the extra sections are read only for its stretches)."""
    rng = np.random.default_rng(7)
    v, f, truths = P.ring(r_in=6.0, r_out=9.0, height=3.0, fillet=0.5, segments=4, sections=180)
    rot = P.random_rotation(rng)
    cr = measure(v @ rot.T, f)
    sx = cr.stretches
    assert cr.count >= 4
    for i in range(4):
        k = np.flatnonzero(sx.chain == i)
        assert len(k) > 8, len(k)  # main: eight
        q = sx.centre[k] @ rot  # back in the ring's own frame (its axis is z)
        ang = np.sort(np.arctan2(q[:, 1], q[:, 0]))
        gaps = np.diff(np.r_[ang, ang[0] + 2 * np.pi])
        assert gaps.max() < np.pi / 2, gaps.max()  # read all round the ring
        assert abs(cr.radius_mm[i] - 0.5) < 0.05 * 0.5


def test_sections_cut_for_places_place_a_failing_chain_and_open_no_stretch():
    """The sections a chain is cut at over each pass of its principal line beyond its own 8
    (own rank -1) place a failing chain wherever they fail (a rim of a chain over four had no
    section among its 8: edges:2005), but are no stretch of an undetermined one (each more
    stretch is one more chance for noise: with them edges:2048's 0.24 mm fillet, undetermined,
    had a razor stretch of sections reading 0.06-0.13 mm)."""
    from miniscan.evidence import Evidence

    c = resolve("display")  # R_min 0.242 mm
    hold = edges.hold_radius_mm(c)
    # the chain's own two sections, far apart, then two more cut for its places at x = 20, 21
    st = [(0.0, 0.05, 0.0, 0.1), (10.0, 0.3, 0.1, 0.5), (20.0, 0.05, 0.0, 0.12),
          (21.0, 0.06, 0.0, 0.12)]
    reads = tuple((0.03, 0.01, 0.03, r, r, k) for k, (_, r, _, _) in enumerate(st))
    ch = replace(_stretched_chain(0.05, 0.0, 0.1, st, c), along=(0, 1, 2, 3), reads=reads,
                 own=(0, 1, -1, -1))
    v, fs, _ = edges._judge(c, ch, hold, Evidence("edges"))
    assert v == "razor" and fs[0].count == 3  # the chain's place and its two failing runs
    assert sorted(p.location.centroid_mm[0] for p in fs[0].places) == [-10.0, 0.0, 20.0]
    # undetermined: the two extra sections would be a razor stretch of two readings
    _, fs, _ = edges._judge(c, replace(ch, r=0.2, lo=0.05, hi=0.7), hold, Evidence("edges"))
    assert fs == []
    _, fs, _ = edges._judge(c, replace(ch, r=0.2, lo=0.05, hi=0.7, own=(0, 1, 2, 3)), hold,
                            Evidence("edges"))
    assert [f.code for f in fs] == ["MS201"] and fs[0].location.centroid_mm[0] == 20.0


def _one_row_ring(seed):
    """edges:6001's ring drawn again: radii 5.1-10.3 mm, 7.4 mm tall, 131 sections of the
    truth grammar's irregular triangulation (a grid whose vertices are jittered by a quarter
    of their cell, diagonals at random), each of its four 0.46 mm fillets one row across."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import prims
    from truth.profiles import filleted

    rho, w, height, r = 10.26, 5.13, 7.37, 0.46
    prof = filleted([(rho - w, 0), (rho, 0), (rho, height), (rho - w, height)], [r] * 4,
                    closed=True)
    part = prims.revolve(prof, 131, 0.49, "irregular", np.random.default_rng(seed), True, 1)
    return part.v, part.f


@pytest.mark.parametrize("seed", [1, 4])
def test_kinks_inside_a_one_row_fillet_are_its_facet_lines(seed):
    """A 90-degree fillet of 0.46 mm drawn with one irregular row is a 0.65 mm band the file
    cannot tell from a chamfer (undetermined). The row's triangles kink against one another
    by 37-63 degrees over 0.2-0.6 mm; read alone, each kink's finer faces (0.15 mm) made it a
    razor edge (these two draws: one and two MS201 fails on a fillet that passes). Each lies
    inside the band of the chain that read the whole fillet and turns a crease's worth less:
    one of its facet lines (find_creases._fold_facet_lines)."""
    v, f = _one_row_ring(seed)
    res = run(v, f, resolve("railway-ho", finish="satin", material="stone"))
    assert res.metrics["radius_window_mm"][0] < 0.46  # (the fillet passes: no razor edge)
    assert "MS201" not in codes(res), [x.message for x in res.findings]
    chains = res.metrics["chains"]
    assert chains and all(c["verdict"] == "undetermined" for c in chains)
    rims = [c for c in chains if c["turn_deg"] > 80.0]
    assert len(rims) == 4
    for c in rims:
        assert c["radius_range_mm"][0] <= 0.46 <= c["radius_range_mm"][1]


@pytest.mark.parametrize("sections", [24, 36])
@pytest.mark.parametrize("radius", [0.105, 0.2])
def test_a_coarse_revolves_rim_is_read_from_its_corners_beside_their_sag(sections, radius):
    """A round base (9.3 mm, 1.85 mm tall, its side sloped 15.8 degrees) whose bottom rim is a
    fillet two sliver rows across, turned in 24 or 36 sections (edges:5037: faces 1.6 mm
    along, 0.1 mm across). A corner a face along the rim from the section lies d^2 / (2 rho),
    0.03-0.06 mm, off the circle the section cuts: the corner reading must not take that
    for a corner off any arc (a chamfer's, radius._outside), so the rim keeps the corners'
    reading (the bend along the crease from the stations beside it), within 15 % of R,
    where without the sag it fell back to its row ([0.077, 0.129] for 0.105)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import prims
    from truth.profiles import filleted

    rho, height, slope = 9.3, 1.85, np.radians(15.8)
    prof = filleted([(0, 0), (rho, 0), (rho - height * np.tan(slope), height), (0, height)],
                    [0, radius, 0, 0], closed=False)
    part = prims.revolve(prof, sections, 1.36 * radius, "sliver", np.random.default_rng(0))
    res = run(part.v, part.f, resolve("display", finish="matte", material="wood"))
    rims = [c for c in res.metrics["chains"] if abs(c["turn_deg"] - 105.8) < 10.0]
    assert len(rims) == 1, res.metrics["chains"]
    lo, hi = rims[0]["radius_range_mm"]
    assert 0.85 * radius <= lo <= radius <= hi <= 1.15 * radius


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_chamfer_drawn_with_a_flat_vertex_reads_no_arc_through_it(seed):
    """A one-chord 0.46 mm fillet whose 0.65 mm chord is split at a vertex that does not
    turn (a remeshed chamfer; the ring's flats in rows of 0.49 mm, jittered along): its
    corners are the chord's ends and that flat vertex, none on an arc (a convex arc through
    three collinear points is that line). Read as the arc's middle (_corner_radius), the
    flat vertex gave 0.79 mm within +-0.1: a 'too soft' MS202 on stone at 1:87 (bound
    0.57) for a band whose chord circle is 0.46 mm, unsupported. The chord's ends lie on
    the flank planes short of that circle's tangent points, outside it by 0.065 mm: no
    corner reading (radius._outside), the band keeps its row."""
    v, f, _ = P.ring(r_in=10.0, r_out=15.0, height=7.0, fillet=0.46, segments=1,
                     tri="jittered", h=0.49, sections=131, rng=np.random.default_rng(seed))
    res = run(v, f, resolve("railway-ho", finish="satin", material="stone"))
    assert not set(codes(res)) & EDGE_CODES, [x.message for x in res.findings]
    chains = res.metrics["chains"]
    assert len(chains) == 4
    for c in chains:
        assert c["radius_range_mm"][0] <= 0.46 <= c["radius_range_mm"][1]


def _ramp_by_hand(u, lev, x, i, j):
    """The squared residual of the ramp with ends x[i] <= x[j] fitted to the face levels lev
    at u by least squares, from its design matrix: phi_L left of x[i], phi_R from x[j] on,
    the straight line between; None where a side holds no face."""
    a, b = x[i], x[j]
    t = np.where(u < a, 0.0, np.where(u >= b, 1.0, (u - a) / max(b - a, 1e-300)))
    if (u < a).sum() < 1 or (u >= b).sum() < 1:
        return None
    A = np.c_[1.0 - t, t]
    f, *_ = np.linalg.lstsq(A, lev, rcond=None)
    return float(((lev - A @ f) ** 2).sum()), f


@pytest.mark.parametrize("seed", range(4))
def test_the_ramp_fit_is_the_least_residual_ramp_over_every_pair_of_ends(seed):
    """band._ramp_fit against its definition, one station at a time: every pair of window
    crossings as the ramp's ends, each fitted by lstsq on its design matrix. Stations with
    few and many faces and crossings together (the fit takes them fullest window first), on
    the valid prefixes the band reader passes; the best pair, its levels and the width range
    of the pairs within RAMP_ENDS_CHI2 face variances of the best."""
    from miniscan.analysis.creases.band import RAMP_ENDS_CHI2, _ramp_fit

    rng = np.random.default_rng(seed)
    S, Cs, Cc = 12, 24, 9
    ns, nc = rng.integers(2, Cs + 1, S), rng.integers(1, Cc + 1, S)
    us = np.sort(rng.uniform(-1.0, 1.0, (S, Cs)), axis=1)
    lo, hi = np.sort(rng.uniform(-0.6, 0.6, (2, S)), axis=0)
    ramp = np.clip((us - lo[:, None]) / (hi - lo)[:, None], 0.0, 1.0)
    ls = ramp * rng.uniform(0.5, 1.5, (S, 1)) + rng.normal(0.0, 0.05, (S, Cs))
    ms = (np.arange(Cs)[None, :] < ns[:, None]).astype(float)
    us, ls = np.where(ms > 0, us, 0.0), np.where(ms > 0, ls, 0.0)
    xc = np.sort(rng.uniform(-0.9, 0.9, (S, Cc)), axis=1)
    mc = np.arange(Cc)[None, :] < nc[:, None]
    best, bi, bj, bL, bR, w_lo, w_hi = _ramp_fit(us, ls, ms, xc, mc)
    for s in range(S):
        u, lev, x = us[s, :ns[s]], ls[s, :ns[s]], xc[s, :nc[s]]
        fits = {(i, j): _ramp_by_hand(u, lev, x, i, j)
                for i in range(nc[s]) for j in range(i, nc[s])}
        fits = {k: v for k, v in fits.items() if v is not None}
        if not fits:
            assert not np.isfinite(best[s])
            continue
        (i0, j0), (ss0, f0) = min(fits.items(), key=lambda kv: kv[1][0])
        assert best[s] == pytest.approx(ss0, rel=1e-7, abs=1e-12)
        assert fits[(bi[s], bj[s])][0] <= ss0 + 1e-9  # (a tie may take either pair)
        assert (bL[s], bR[s]) == pytest.approx(tuple(fits[(bi[s], bj[s])][1]), abs=1e-7)
        var = ss0 / max(ns[s] - 4, 1)
        # (pairs at the cut within rounding of it may fall either side)
        near = [x[j] - x[i] for (i, j), (ss, _) in fits.items()
                if ss <= ss0 + RAMP_ENDS_CHI2 * var - 1e-9 or ss == ss0]
        maybe = [x[j] - x[i] for (i, j), (ss, _) in fits.items()
                 if ss <= ss0 + RAMP_ENDS_CHI2 * var + 1e-9]
        assert min(maybe) <= w_lo[s] <= min(near) and max(near) <= w_hi[s] <= max(maybe)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from(["random", "rank1", "rounded"]))
def test_the_closed_form_eigenpair_is_the_largest(seed, kind):
    """common.sym_eig_top against numpy's eigh: the largest and middle eigenvalues, and the
    largest's eigenvector up to sign where it stands apart from the middle one."""
    from miniscan.analysis.creases.common import _sym6, sym_eig_top

    rng = np.random.default_rng(seed)
    if kind == "rank1":  # a crease's tensor: one direction's turn, a little of others
        t = _sym6(rng.normal(size=(200, 3)), rng.uniform(0.1, 2.0, 200)) + \
            _sym6(rng.normal(size=(200, 3)), rng.uniform(0.0, 0.05, 200))
    else:
        t = rng.normal(size=(200, 6))
        t = np.round(t, 1) if kind == "rounded" else t
    e1, e2, v = sym_eig_top(t)
    m = np.stack([t[:, [0, 3, 4]], t[:, [3, 1, 5]], t[:, [4, 5, 2]]], 1)
    w, vec = np.linalg.eigh(m)
    scale = np.abs(w).max(axis=1) + 1e-12
    assert np.allclose(e1, w[:, 2], atol=1e-9 * scale.max())
    assert np.allclose(e2, w[:, 1], atol=1e-9 * scale.max())
    apart = (w[:, 2] - w[:, 1]) > 1e-3 * scale
    dots = np.abs(np.einsum("ki,ki->k", v, vec[:, :, 2]))
    assert np.allclose(dots[apart], 1.0, atol=1e-6)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)


@pytest.mark.parametrize("fillet", [0.3, 0.6])
def test_a_fillet_drawn_with_one_chord_is_no_razor_edge(fillet):
    """A round base whose top rim is filleted with one chord across (a revolve or CAD export
    of one segment) between rows of 0.07 mm: each end of the chord is a 45-degree crease, and
    read as a lone crossing with the finer face beside it as its row, R in [0, 0.09] mm, a
    razor edge on a fillet of 0.3-0.6 mm (the truth grammar's edges:39017). The two creases
    and the chord between them may be one fillet of c / (2 sin(90/2)): each crease's
    interval reaches it. The sharp bottom rim, rowed alike, stays a razor edge."""
    v, f, _ = P.disc(fillet=fillet, bottom_fillet=0.0, segments=1, sections=256, h=0.07)
    cr = measure(v, f)
    z = np.asarray(cr.centroid_mm, float).reshape(-1, 3)[:, 2]
    top, bottom = z > 1.5, z < 0.1
    assert top.sum() >= 1 and bottom.sum() == 1
    assert (cr.radius_hi_mm[top] >= 0.99 * fillet).all(), cr.radius_hi_mm[top]
    assert cr.radius_hi_mm[bottom][0] < 0.1


def test_a_one_chord_fillets_creases_get_no_unsupported_verdict():
    """The truth grammar's edges:39017 (a fresh slice): a ring whose 0.6 mm fillets are drawn
    as 0.94 mm chords between 0.07 mm sliver rows gave 20 razor places on them."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:39017"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


def test_a_fold_tucked_into_a_rim_is_read_with_the_rim_around_it():
    """A rim drawn as +70, -40 and +60 degree creases over two 0.33 mm chords: the -40 degree
    fold is a lone crossing between two creases turning back more than it turns, with flat
    flanks beyond them, so it is no concave edge of its own (flanks._tucked_fold) and the rim
    is read across all three (sections._read_tucked). Read alone it was a concave razor
    chain, 0.099 (0-0.197) mm. The rim's own rounding, tangent 0.4-0.48 mm from its corner,
    stays inside every interval the rim reads."""
    v, f, leg = P.tucked_disc(70.0, 40.0, 0.4)
    cr = measure(v, f)
    c = np.asarray(cr.centroid_mm, float).reshape(-1, 3)
    rim = np.hypot(c[:, 0], c[:, 1]) > 9.0
    assert rim.any()
    assert np.asarray(cr.convex)[rim].all(), np.asarray(cr.radius_hi_mm)[rim]
    assert (np.asarray(cr.radius_hi_mm)[rim] >= leg).all(), np.asarray(cr.radius_hi_mm)[rim]


def test_a_fold_tucked_into_a_fillet_is_read_with_the_fillet_around_it():
    """The truth grammar's edges:105020 (slice 105000): an irregular sweep whose 0.518 mm
    fillets are drawn with faces of 1.2 mm, crossed at +51, -63 and +89 degrees. The -63
    degree fold alone read razor, 0.15-0.27 (0.04-0.29) mm: the right verdict at 1:35 gloss
    from an interval that missed the fillet. Dropped as a tucked fold, one fillet lost its
    verdict (3 of 4 truths found, 2); read across the three creases (sections._read_tucked)
    it reads 0.53-0.59 (0.04-1.13) mm, razor, as the truth is. (The other fillet is missed
    at stop 80's code as well.)"""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:105020"))
    assert s.unsupported == 0, s.notes
    assert s.found >= 3, s.notes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_noisy_fillet_between_one_face_flanks_is_bounded_by_those_faces(seed):
    """A round base whose 0.1 mm top rim fillet is drawn in six rows of 0.026 mm between flanks
    of 0.5 mm faces, under 0.01 mm of vertex noise: the noise tilts each row by more than a
    quarter of the turn, so a rounded form may hide over the band, but each flank's level is
    read from the one face beside the band, which the noise tilts by 0.03 rad. A form turning
    between the two levels turns before those faces begin (flanks._form_half_span): the
    upper end is the band's own extent over the turn, not half a face beyond it on each side
    (0.23 mm before, against the 0.19 mm that matters at 1:35 under matte: the truth
    grammar's edges:111053). The rim's longest chain still holds the true radius."""
    rng = np.random.default_rng(seed)
    v, f, _ = P.disc(fillet=0.1, segments=6, sections=720, h=0.5)
    cr = measure(P.add_noise(v, f, 0.01, rng), f)
    z = np.asarray(cr.centroid_mm, float).reshape(-1, 3)[:, 2]
    top = np.flatnonzero(z > 2.5)
    assert len(top) >= 1
    k = top[np.argmax(np.asarray(cr.length_mm)[top])]
    assert cr.radius_lo_mm[k] <= 0.1 <= cr.radius_hi_mm[k], (cr.radius_lo_mm[k], cr.radius_hi_mm[k])
    assert cr.radius_hi_mm[k] < 0.15, cr.radius_hi_mm[k]


def test_a_walls_rims_are_not_read_as_the_ends_of_one_chord():
    """The truth grammar's edges:103009: a clean isotropic ring whose 2.6 mm wall runs between
    two rims. Its faces fold a few degrees either way across the wall, as a one-chord fillet's
    strip does on an irregular revolve (edges:105055), but the wall is drawn in rows: its
    edges reach a row across, not from rim to rim, so the one-chord reading stops at them
    (flanks._in_chord). Passing over every fold under a crease's worth widened the 0.147 mm
    rim's reading from (0-0.40) to (0-1.19) mm and lost it."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:103009"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


@pytest.mark.parametrize("case", ["edges:44031", "edges:44043", "edges:47068", "edges:95012",
                                  "edges:102066"])
def test_no_soft_edge_where_the_surface_only_bends(case):
    """Fresh-slice cases that read MS202 where no edge is. edges:44031: a 3.6 mm ring of stone
    swept along a six-lobed path, its crests bending 41 degrees at R 2.4 mm between troughs
    three times as wide; their flanks turn back 0.09-0.19 of the crest's turn within two band
    widths, under the slope's fifth, and 13 places read "rounder than the material allows"
    (flanks.TURN_BACK_RATIO). edges:44043: a 0.61 mm box fillet on an isotropic mesh, two rows
    across, some of its sections cut 50-65 degrees off the crease: a stretch of them read
    2.06 mm (sections._oblique). edges:47068: a sweep drawn in 24 sections round six lobes
    turns up to 73 degrees at a joint, and its 0.167 mm fillet's stations cut at the joint's
    edges read the joint, 3.37 mm over rows of 2.7 mm: six places on an undetermined chain
    (chains._stretches: rows wider than the chain's band plus two of its rows). edges:95012:
    an 8.7 x 9.4 mm profile swept along a five-lobed path, its outer wall bending 42 degrees
    at R 5.6 mm where it passes an inner lobe: turning back too little within two band widths to
    show, but within three radii, four places of "too soft" at 1:6 (flanks.FORM_FLANK_RADII).
    edges:102066: a four-lobed sweep's 4.6 mm wall bending 44 degrees at R 2.9 mm, three places
    of "too soft" at 1:35: its sections' first walk of 32 crossings ended 2-5 mm out, short of
    the three radii (8.7 mm) its flanks' form test reads (sections._walk_and_read)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task(case))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


@pytest.mark.parametrize("bend_deg", [35.0, 45.0, 60.0])
@pytest.mark.parametrize("land", [1.5, 5.0])
def test_a_step_is_two_soft_edges_only_where_its_slope_is_three_radii_long(bend_deg, land):
    """A revolved step (a wall bending in by 35-60 degrees and back up, both bends rounded
    at 1.5 mm, too soft at display where R_max is 0.36 mm): an edge needs flat flanks three
    radii wide (flanks.FORM_FLANK_RADII). With 5 radii of slope between the bends each is
    an edge, too soft; with 1.5 the step is one rounded form, an S, and neither bend is a
    soft edge (read to two band widths only, the 35-degree step's bends both read "too
    soft"; with rows of 0.3 mm, unrotated, one bend of the 45-degree step did too)."""
    v, f, _ = P.stepped_disc(1.5, land, bend_deg, h=0.35)
    v = v @ P.random_rotation(np.random.default_rng(int(bend_deg))).T
    res = run(v, f, resolve("display"))
    soft = [x for x in res.findings if x.code == "MS202"]
    if land >= 3.0:
        assert len(soft) == 2
        assert all(abs(x.measured / 1.5 - 1) <= 0.15 for x in soft), [x.measured for x in soft]
    else:
        assert not soft, [x.message for x in soft]


@given(st.floats(0.0, 89.0), st.floats(0.0, 360.0), st.floats(np.radians(20), np.radians(150)),
       st.integers(2, 12))
@settings(max_examples=60, deadline=None)
def test_a_section_is_oblique_where_its_cut_leaves_the_bands_crease(off_deg, spin, turn, rows):
    """A band's faces turn about its crease (here z, spun about it by `spin`): a section cut
    along direction a is oblique exactly where a lies more than 35 degrees (AXIS_COS) off z,
    whatever the band's turn and rows, where it holds three faces or more (OBLIQUE_MIN_FACES:
    two give an axis whatever they are); one face alone gives no direction."""
    from types import SimpleNamespace

    from miniscan.analysis.creases.common import AXIS_COS
    from miniscan.analysis.creases.sections import _oblique

    phi = np.radians(spin) + np.linspace(0.0, turn, rows)
    normals = np.column_stack([np.cos(phi), np.sin(phi), np.zeros(rows)])
    an = SimpleNamespace(face_normals=np.vstack([normals, [[1.0, 0.0, 0.0]]]))
    off = np.radians(off_deg)
    a = np.array([[np.sin(off) * np.cos(phi[0] + 0.3), np.sin(off) * np.sin(phi[0] + 0.3),
                   np.cos(off)]] * 2)
    band = (np.r_[np.zeros(rows, int), 1], np.r_[np.arange(rows), rows])
    got = _oblique(an, a, band)
    if abs(np.cos(off) - AXIS_COS) > 1e-9:
        assert got[0] == (np.cos(off) < AXIS_COS and rows >= 3)
    assert not got[1]

def test_an_oblique_section_finds_its_chains_band():
    """edges:49057 (a fresh slice): a small sliver box's 0.124 mm fillet, eight rows across, a
    razor edge at HO scale. Its sections near the corner blends are cut 35 degrees or more off
    the crease (sections._oblique): counted neither way, they left its chain under half good
    (22 of 46) and undetermined. They found its band: they count towards its existence, and
    its reading is its square sections'."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:49057"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects == 1, s.notes


def test_a_chain_place_lists_only_faces_of_the_band_it_read():
    """edges:55016 (a fresh slice): a sweep's square profile with a 0.665 mm fillet beside a
    0.018 mm rim, drawn in 2.3 mm slivers. The fillet's chain listed, among its five faces
    nearest its point, three of the rim's, 2.5 mm away: its place (a passing fillet's MS202)
    stood on the razor rim too, an unsupported verdict there. A place lists only faces as near
    its point as the band its section read there (chains._band_reach)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:55016"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects == 2, s.notes


def test_a_fillet_whose_faces_noise_tilts_a_quarter_turn_is_no_razor_edge():
    """edges:43019 (a fresh slice): a base's 0.149 mm top fillet in six rows of 0.018-0.032 mm
    slivers under 0.020 mm of vertex noise. The band's own faces tilt 0.66 rad by noise against
    a quarter of its 1.28 rad turn, so its quarter points lie anywhere in it: 286 sections read
    0.067 (0.043-0.090) mm, a razor edge on a fillet that passes. Such a section keeps the
    form's range (flanks._quarters_lost)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:43019"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


def _coarse_sweep_score(along, lobes, eps):
    """A 5.95 mm square profile with 0.364 and 1.123 mm fillets swept in `along` sliver
    sections round a `lobes`-lobed path (edges:83030's shape): its truth-suite score."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import draws, prims, shapes
    from truth.profiles import filleted
    from truth.score import run_checks, score

    rng = np.random.default_rng(0)
    w = 5.95
    prof = filleted([(-w / 2, -w / 2), (w / 2, -w / 2), (w / 2, w / 2), (-w / 2, w / 2)],
                    [0.364, 0.364, 1.123, 1.123], closed=True)
    part = prims.sweep(prof, 23.8, eps, lobes, along, 0.676, "sliver", rng, True, None)
    kw = {"profile": "tabletop", "finish": "satin", "material": "stone"}
    truths = [shapes._edge_truth(ft, draws.resolve(kw), "stone") for ft in part.features]
    case = draws.case("edges", 0, {}, part, kw, truths, rng, free=False)
    return score(case, run_checks(case.model(), case.resolved_conditions(), case.run_families))


@pytest.mark.parametrize("along", [15, 21, 24])
@pytest.mark.parametrize("lobes, eps", [(4, 0.18), (5, 0.11), (6, 0.08)])
def test_a_coarse_sweeps_folds_across_its_rims_are_not_the_rims_sections(along, lobes, eps):
    """A sweep drawn in a few sections folds between them, square to its rims. A fold edge
    in a rim's band is another crease: cut square to it, its section runs along the rim and
    reads the fold (one 5 mm row), and its band's fold faces joined the fold's chains to the
    rim's. At 21 sections round a four-lobed path the 1.12 mm rims then read 3.56 mm (error
    2.17), and at edges:83030 (below) 5.56 mm. Such a station joins a chain to its own only
    where its reading is its own chain's too (stations._across_its_face): every rim reads its
    radius within 15 %, and no verdict is unsupported."""
    s = _coarse_sweep_score(along, lobes, eps)
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes
    assert max(s.errors["bevel_radius_mm"]) < 0.15, s.notes


def test_a_fold_across_a_rim_is_read_by_its_own_chain_not_the_rims():
    """edges:83030 (a fresh slice): the sweep above at 21 sections round five lobes, beside a
    base and a sphere. Twelve of its 1.12 mm rim's 19 sections were fold edges, reading
    5.56 mm [2.32, 8.80]: an MS202 placed beside the 0.364 mm rim, which passes."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:83030"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes
    assert max(s.errors["bevel_radius_mm"]) < 0.15, s.notes


@pytest.mark.parametrize("deg, across", [(0.0, False), (40.0, False), (54.0, False),
                                         (56.0, True), (90.0, True)])
def test_a_hard_edge_runs_across_its_faces_crease_beyond_the_link_angle(deg, across):
    from miniscan.analysis.creases.common import AXIS_COS
    from miniscan.analysis.creases.stations import _across_its_face

    t = np.radians(deg)
    e = np.array([[np.cos(t), np.sin(t), 0.0]])
    sq = np.sqrt(1.0 - AXIS_COS ** 2)
    assert _across_its_face(e, np.array([[2.0, 0.0, 0.0]]), sq)[0] == across
    # a face with no crease direction is not judged
    assert not _across_its_face(e, np.zeros((1, 3)), sq)[0]


def test_a_clean_level_band_reads_its_radius_from_its_turns_moments_exactly():
    """An arc turns at an even rate over its width W = R Theta, whose variance is W^2 / 12:
    bands of 1-12 rows, each crossing's turn spread over its cell, read R exactly, and with
    no noise their standard error is 0."""
    from miniscan.analysis.creases.radius import _moment_radius

    theta, R = np.pi / 2, 0.283
    for n in (1, 3, 6, 12):
        h = R * theta / n
        X = (np.arange(n + 1) * h)[None, :]
        adb = np.full((1, n + 1), theta / n)
        adb[0, [0, -1]] *= 0.5  # (the tangent crossings turn half a row's share)
        cl = np.full((1, n + 1), h / 2)
        cr = cl.copy()
        cl[0, 0] = cr[0, -1] = 0.0  # (and spread it inwards only)
        r, sd = _moment_radius(X, adb, adb.sum(axis=1), cl, cr, 0.0)
        assert r[0] == pytest.approx(R, rel=1e-9)
        assert sd[0] == 0.0


def test_a_noisy_sweeps_fillet_is_read_by_its_turns_moments_not_a_noise_fold():
    """edges:87045 (a fresh slice): a sweep's 0.283 mm fillets in six rows of 0.074 mm under
    0.0155 mm of vertex noise. A chain on one of them read 12 of its 13 sections from their
    levels, whose quarter points collapsed onto noise folds, 0.03-0.24 mm: a razor verdict,
    0.138 mm [0.078, 0.198], five places on a fillet that passes. Read from their turns'
    moments over the flanks' turn, the fillets hold their radii."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:87045"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


def test_a_fold_along_a_two_row_fillets_twisted_rows_is_one_of_its_facet_lines():
    """edges:93010 (a fresh slice): an irregular sweep's 0.282 mm fillet drawn in two rows of
    0.22 mm. Where its rows twist, one diagonal folds 34 degrees the other way between the
    band's +90 and +18 degree crossings. The fillet's chain reads it, 0.280 mm [0.207, 0.353],
    but over 1.996 rows it is resolution-limited, and a line was held inside a bevel's band only
    for chains measured over two rows: the fold stood as a hard crease of its own, 0.094 mm
    [0, 0.19], MS201 on a fillet that passes. A chain under two rows now holds what lies within
    the band its radius's lower end makes certain."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:93010"))
    assert s.unsupported == 0, s.notes
    assert s.found == s.defects, s.notes


def _truth_case_checks(name):
    """A truth-suite case's model and its edges check (bench/truth builds it from its seed)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    case = suite.build(suite.parse_task(name))
    checks = suite.run_checks(case.model(), case.resolved_conditions(), ("edges",))
    return case, next(r for r in checks if r.family == "edges")


@pytest.mark.xfail(strict=True, reason=(
    "edges:95005, a known miss (docs/edges.md step 7, stop 77): the 74-degree top fillet's "
    "chain grew over a one-row wall and the hard 105-degree foot's faces, and is taken to read "
    "the foot, which gets no chain, verdict or 'cannot be judged'. Holding a hard edge only "
    "where it turns no more than the band finds the foot, but frees 115-165 degree folds of "
    "100:1 slivers on 0.085 and 0.124 mm fillets as lines read [0, 0.06] mm (edges:66085, "
    "94033): reverted"))
def test_a_hard_foot_turning_more_than_the_fillet_band_beside_it_is_a_crease_of_its_own():
    """edges:95005 (a fresh slice): a base 1.1 mm tall whose top fillet (0.231 mm, 74 degrees)
    is read in fine rows and whose foot is a hard 105-degree rim, one coarse wall row of
    0.58 mm below. The fillet's chain grew over the wall and the foot's faces, and the foot's
    edges lie within that band and a row of the chain's faces, so the chain is taken to read
    them. An edge turning more than a band's whole turn cannot lie inside it: the foot should
    be a chain of its own."""
    _, r = _truth_case_checks("edges:95005")
    turns = sorted(ch["turn_deg"] for ch in r.metrics["chains"])
    assert len(turns) == 2 and 100.0 < turns[-1] < 110.0 and 70.0 < turns[0] < 80.0, turns


def test_a_one_row_crease_inside_a_measured_band_is_its_facet_line_not_a_razor_edge():
    """edges:88016 (slice 88000): a sliver box's 0.238 mm fillets, each read over four rows.
    A chain 0.43 mm long where they meet at a corner read one 60-degree crossing of the
    corner's triangulation as a line, 0.053 mm [0, 0.122]: an interval that misses the
    fillet it lies in, 27 degrees short of the turn's margin that keeps a box's hard edges
    apart. A crease read as a line within the band a measured chain makes certain, turning
    no more than that band, is one of its facet lines without the 30-degree margin."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("edges:88016"))
    assert not [n for n in s.notes if "misses true" in n], s.notes
    assert s.unsupported == 0 and s.found == s.defects, s.notes


def test_a_razor_line_turning_more_than_the_band_beside_it_keeps_its_own_chain(corpus_dir):
    """The scanned dungeon floor (../shared/corpus) at tabletop: a 24 mm tile edge turning 95
    degrees at its one 0.16 mm row reads [0, 0.21] mm, a razor edge, beside a 271 mm chain
    that turns 65 degrees over a band measured over rows. A line inside a band folds into it
    only where it turns no more than the band: given room for the band's flanks and noise
    (x 1.2 and 2.5 sigmas), the razor edge was folded into the softer chain and lost."""
    from miniscan.conditions import resolve
    from miniscan.loading import load

    path = corpus_dir / "terrain_dungeon_stone.circle_cutout.2x2.floor.inch.3x3.stl"
    if not path.is_file():
        pytest.skip(f"{path.name} is not in the corpus")
    c = resolve("tabletop")
    m = load(path, scale_n=c.scale_n)
    res = edges.run(m, c, Analysis(m))
    near = [ch for ch in res.metrics["chains"]
            if np.linalg.norm(np.subtract(ch["centroid_mm"], (11.99, -29.09, 1.52))) < 0.5]
    assert any(ch["verdict"] == "razor" and ch["turn_deg"] > 90.0 for ch in near), near



def _middle_row_ring(rng, radius, rows, sections):
    """A revolved ring of rectangular section, its four rims filleted at `radius`, drawn with
    rows along the rims about radius * 90 deg / rows apart, one row of each rim inside the
    middle half of its arc (anywhere there, not at its middle): the rows at another phase to
    each rim's tangent lines. At a random pose and place."""
    h = radius * np.pi / 2 / rows
    r_in = float(rng.uniform(4, 9))
    w, height = rng.uniform(5.0, 8.0, 2) * radius
    corners = [(r_in, 0.0), (r_in + w, 0.0), (r_in + w, height), (r_in, height)]
    dense, arcs = P.fillet_polyline(corners, [radius] * 4, 256, closed=True)
    ring = np.concatenate([dense, dense[:1]])
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))]
    arc = radius * np.pi / 2
    # each arc's middle along the profile, moved up to 0.4 of the middle half's half width
    mid = np.sort([s[np.argmin(np.linalg.norm(ring[:-1] - np.asarray(a[2]), axis=1))]
                   for a in arcs]) + rng.uniform(-0.4, 0.4, 4) * arc / 4
    knots = np.r_[mid, mid[0] + s[-1]]
    t = np.concatenate([np.linspace(knots[i], knots[i + 1], max(2, int(round(
        (knots[i + 1] - knots[i]) / h))), endpoint=False) for i in range(4)]) % s[-1]
    t = np.sort(t)
    pts = np.stack([np.interp(t, s, ring[:, 0]), np.interp(t, s, ring[:, 1])], 1)
    v, f = P.revolve(pts, sections, closed=True)
    f = P.orient(v, f)
    return v @ P.random_rotation(rng).T + rng.uniform(-50, 50, 3), f


def _ring_rims(seed, fewest_rows):
    """A `_middle_row_ring` of seed `seed` whose rims are filleted at 0.7 x R_min (`tabletop`)
    and drawn with fewest_rows-1.7 rows: the rims' radius and the edges family's result."""
    c = resolve("tabletop")
    rng = np.random.default_rng(9700 + seed)
    radius, rows = 0.7 * c.bevel_min_mm, float(rng.uniform(fewest_rows, 1.7))
    v, f = _middle_row_ring(rng, radius, rows, (180, 360, 720)[seed % 3])
    m = from_arrays(v, f)
    return radius, edges.run(m, c, Analysis(m))


_SHARED_FLANK = pytest.mark.xfail(strict=True, reason=(
    "two of the four rims lie two rows from their neighbours across a narrow flat: in half "
    "their sections the flank vertex between them turns nearer the neighbour than this band, "
    "so those sections are not read from their corners (radius._band_ends), the chain keeps "
    "the whole row and reads undetermined (0.07-0.29 mm on 0.17 mm): sound, not razor"))


def _seeds(n, known):
    """range(n) as pytest params, the seeds in `known` ({seed: mark}) carrying their mark."""
    return [pytest.param(s, marks=known[s]) if s in known else s for s in range(n)]


@pytest.mark.parametrize("seed", _seeds(12, {9: _SHARED_FLANK}))
def test_a_razor_fillet_under_two_rows_read_from_its_corners_keeps_a_quarter_row(seed):
    """A ring's four rims filleted at 0.7 x R_min (`tabletop`), drawn with 1.45-1.7 rows
    across, a row inside each arc's middle half (180 / 360 / 720 sections, random poses): a
    clean band's corners lie on the surface, and a circle tangent to both flank planes through
    a corner in the arc's middle half is unique (_corner_radius), however few rows the band
    has. Each rim is razor (MS201) with an interval that holds its radius, and the file has no
    other finding. Before, a chain read under ROW_ALIGNED_MIN_ROWS rows kept the whole row
    even where every good section was read from a corner, R (1 + 1 / rows), 1.1-1.2 x R_min,
    undetermined (edges:40031, a base's 0.30 mm rim drawn with 1.6 rows of an isotropic
    revolve, [0.12, 0.49] against 0.485)."""
    radius, res = _ring_rims(seed, 1.45)
    razor = [x for x in res.measurements if x.code == "MS201"]
    # (seed 7 joins its rims in pairs: two chains, each read as one rim; not this test's matter)
    assert len(razor) >= 2 and codes(res) == ["MS201"], [(x.value, x.lo, x.hi) for x in razor]
    assert all(x.lo <= radius <= x.hi for x in razor), [(x.lo, x.hi) for x in razor]
    assert all(x.verdict == "fail" for x in razor), [(x.lo, x.hi, x.verdict) for x in razor]


@pytest.mark.parametrize("seed", range(16))
def test_a_rims_corner_reading_keeps_to_its_own_flank_planes(seed):
    """The same rings at 1.3-1.7 rows, the flats between the rims' tangent lines 2.5-6.5 rows
    wide: every rim's interval holds its radius, and none passes. Before, where the
    neighbouring rim's flank vertex lay within 2.5 rows of a band's end (GAP_ROWS), the corner
    reading took it for the band's tangent cell and a face of that rim's arc for its flank
    plane, and the rim read 0.27-0.31 mm with a quarter row, an interval that missed its
    0.17 mm (a pass verdict on a razor rim, seeds 9 and 15; seed 12 missed it undetermined).
    A flank vertex that turns nearer the next crease than this band is either's: such a
    section is not read from its corners (radius._band_ends)."""
    radius, res = _ring_rims(seed, 1.3)
    rims = [x for x in res.measurements if x.code == "MS201"]
    assert len(rims) >= 2, [(x.value, x.lo, x.hi) for x in rims]
    assert all(x.lo <= radius <= x.hi for x in rims), [(x.value, x.lo, x.hi) for x in rims]
    assert all(x.verdict != "pass" for x in rims), [(x.lo, x.hi, x.verdict) for x in rims]


def _jittered_base(seed):
    """A round base (8-30 mm, sides 0-20 degrees off vertical) whose top rim is filleted at
    0.025-0.06 mm in two rows, revolved in sections 0.6-1.4 mm along the rim, every free
    vertex moved by up to a quarter of its cell either way (the suite's irregular style,
    bench/truth/prims.py): the rim's radius and the edges family's result at `railway-ho`."""
    import math
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import prims
    from truth.profiles import filleted

    rng = np.random.default_rng(5100 + seed)
    radius, rho = float(rng.uniform(0.025, 0.06)), float(rng.uniform(8, 30))
    height, slope = float(rng.uniform(1.5, 3)), math.radians(rng.uniform(0, 20))
    step = float(rng.uniform(0.6, 1.4))
    prof = filleted([(0, 0), (rho, 0), (rho - height * math.tan(slope), height), (0, height)],
                    [0, 0, radius, 0], closed=False)
    part = prims.revolve(prof, max(8, round(2 * math.pi * rho / step)), step, "irregular", rng,
                         True, 2)
    m = from_arrays(np.asarray(part.v), np.asarray(part.f))
    return radius, edges.run(m, resolve("railway-ho"), Analysis(m))


_TWISTED_ROWS = pytest.mark.xfail(strict=True, reason=(
    "the jitter twists each row's two slivers against each other, so the diagonal between "
    "them turns, either way: a rim section turning 45.6, -26.9, 27.8 and 28.5 degrees is split "
    "at the turn back and its first crossing read alone, 0.005 mm (0-0.011) on 0.042 mm, with "
    "a row term of the crossings' spacing, not the rows' (docs/edges.md, 'A crossing's sag "
    "along a curving crease'; not fixed)"))


@pytest.mark.parametrize("seed", _seeds(8, {4: _TWISTED_ROWS}))
def test_a_jittered_rims_row_reading_carries_its_crossings_sag(seed):
    """Every interval of the jittered bases' rims holds its truth (the fillet's radius on the
    top rim, 0 on the sharp bottom one). A row or corner reading is exact on points on the
    surface, but along a crease curving at rho the section's crossings lie on edges that are
    chords of it, l^2 t (1 - t) / (2 rho) inside it (t where the edge, l long, is cut), and
    where a jittered grid's crossings cut their edges at different places they move against
    each other: seed 1's 0.034 mm rim read
    0.040 (0.036-0.045) with a quarter row before that spread was carried (radius._sag_error).
    Seed 4 is a strict xfail for another fault of the same meshes (_TWISTED_ROWS)."""
    radius, res = _jittered_base(seed)
    rims = [x for x in res.measurements if x.code in ("MS201", "MS202")]
    assert rims
    wrong = [(x.value, x.lo, x.hi) for x in rims
             if not (x.lo <= radius <= x.hi or x.lo <= 0.0 <= x.hi)]
    assert not wrong, (radius, wrong)


_FINE_TWIST = pytest.mark.xfail(strict=True, reason=(
    "the twist of a jittered grid's slivers along the ring (L^2 kappa / (8 w): 3.5-4.6 "
    "degrees on these 0.23 mm slivers) outruns a fine fillet's turn per row (1.9-1.4 degrees "
    "at 48-64 chords): the crossings and the levels both end the band inside the fillet, whose flanks "
    "then turn (a form); a ramp read wherever both readings failed finds most of the rims, "
    "but made a CAD part and a rough terrain tile 'too soft' (docs/edges.md, stop 86; not "
    "fixed)"))


@pytest.mark.parametrize("segments,seed", [pytest.param(48, 0, marks=_FINE_TWIST),
                                           pytest.param(64, 1, marks=_FINE_TWIST)])
def test_a_jittered_rings_fine_fillets_are_found(segments, seed):
    """A ring (radii 5-8 mm, 3 mm tall, 180 sections) whose four 0.5 mm fillets are drawn in
    48 or 64 chords on a jittered grid, at a random pose: every rim is a chain whose interval
    holds 0.5 mm. The structured grid's rims are (test_ring_fillets_found_and_measured)."""
    v, f, truths = P.ring(fillet=0.5, segments=segments, sections=180, tri="jittered", h=0.3,
                          rng=np.random.default_rng(seed))
    rot = P.random_rotation(np.random.default_rng(seed))
    cr = find_creases(Analysis(from_arrays(v @ rot.T, f)), 4.0, 30.0, 0.1)
    idx = match_rz(cr, v, f, truths)
    assert all(i is not None and cr.radius_lo_mm[i] <= 0.5 <= cr.radius_hi_mm[i] for i in idx)
