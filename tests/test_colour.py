"""Colour and contrast (MS7xx): colour space, the band-pass against known contrasts and
periods, the verdicts on procedural paint, the invariants (distance, rigid motion,
determinism) and colour read from files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniscan.analysis import Analysis
from miniscan.analysis import colour as col
from miniscan.checks import colour as cc
from miniscan.conditions import ViewingConditions
from miniscan.findings import round_floats
from miniscan.model import from_arrays
from miniscan.samples import grid_sheet, icosphere, smooth_noise

TABLE = ViewingConditions()  # 1:56 at 500 mm: r = 0.145 mm
R = TABLE.resolvable_mm


def plate(y_of_xy, size=12.0, h=0.06, jitter=0.0, seed=0):
    """A flat sheet (size x size mm, vertices h apart, optionally jittered: an irregular
    triangulation) whose vertex colours are the sRGB grey of luminance y_of_xy(xy)."""
    n = int(round(size / h)) + 1
    x, y = np.meshgrid(np.linspace(0, size, n), np.linspace(0, size, n), indexing="ij")
    xy = np.column_stack([x.ravel(), y.ravel()])
    if jitter:
        inner = ((xy > 0) & (xy < size)).all(axis=1)
        xy[inner] += np.random.default_rng(seed).uniform(-jitter, jitter, (int(inner.sum()), 2)) * h
    v = np.column_stack([xy, np.zeros(len(xy))])
    grey = col.linear_to_srgb(np.clip(y_of_xy(xy), 0.0, 1.0))
    return from_arrays(v, grid_sheet(n, n), vertex_rgb=np.repeat(grey[:, None], 3, axis=1))


def stripes(period, contrast, y0=0.2, square=False):
    def f(xy):
        s = np.sin(2 * np.pi * xy[:, 0] / period)
        return y0 * (1.0 + contrast * (np.sign(s) if square else s))
    return f


def run(model, c=TABLE):
    return cc.run(model, c, Analysis(model))


def codes(res):
    return sorted({f.code for f in res.findings})


# --- colour space ----------------------------------------------------------------------------

def test_colour_space_anchors():
    assert col.luminance(np.array([1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert col.luminance(np.array([0.0, 0.0, 0.0])) == pytest.approx(0.0)
    # sRGB 0.5 grey is 21.4 % luminance (IEC 61966-2-1), L* of 18 % grey is 49.5
    assert col.luminance(np.array([0.5, 0.5, 0.5])) == pytest.approx(0.2140, abs=1e-4)
    assert float(col.lightness(0.18)) == pytest.approx(49.5, abs=0.1)
    assert col.luminance(np.array([0.0, 1.0, 0.0])) == pytest.approx(0.7152)


@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=30))
def test_grey_levels_map_monotonically_into_unit_range(levels):
    g = np.sort(np.array(levels))
    y = col.luminance(np.repeat(g[:, None], 3, axis=1))
    assert ((y >= 0) & (y <= 1)).all()
    assert (np.diff(y) >= 0).all()
    assert (np.diff(col.lightness(y)) >= 0).all()
    assert np.allclose(col.linear_to_srgb(col.srgb_to_linear(g)), g, atol=1e-9)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1,
                max_size=20))
def test_luminance_of_any_colour_lies_in_unit_range(rgb):
    y = col.luminance(np.array(rgb))
    assert ((y >= -1e-12) & (y <= 1 + 1e-12)).all()


# --- the band-pass: known contrasts at known periods -----------------------------------------

@pytest.mark.parametrize("k", [0, 1, 2])
def test_a_sinusoid_at_a_band_peak_reads_its_contrast(k):
    period = float(col.band_periods_mm(R)[k])
    cf = col.colour_field(Analysis(plate(stripes(period, 0.2))), R)
    inner = cf.counted & (np.abs(cf.centroid[:, :2] - 6.0).max(axis=1) < 3.5)
    got = np.median(cf.band_contrast[inner], axis=0)
    assert got[k] == pytest.approx(0.2, rel=0.12)  # the band reads the stripe's contrast
    assert got[k] == got.max()  # and more than any other band


def test_detail_finer_than_the_eye_reads_less_than_at_its_band():
    fine = col.colour_field(Analysis(plate(stripes(0.7 * R, 0.2))), R)
    assert np.median(fine.band_contrast[fine.counted, 0]) < 0.2 * 0.6
    assert np.median(fine.fine_contrast[fine.counted]) > 0.1  # but the file holds it


# --- verdicts on procedural paint ------------------------------------------------------------

def test_low_contrast_fine_stripes_are_muddy_and_high_contrast_ones_read():
    muddy = run(plate(stripes(2 * R, 0.02)))
    assert "MS701" in codes(muddy)
    f = next(f for f in muddy.findings if f.code == "MS701")
    assert f.measured_range[1] < cc.READABLE_RESERVE and f.holds_mm[0] == TABLE.distance_mm
    clear = run(plate(stripes(2 * R, 0.3)))
    assert "MS701" not in codes(clear)
    assert clear.metrics["verdicts"]["MS701"]["pass"] > 0


def test_black_and_white_is_harsh_and_a_muted_palette_is_not():
    harsh = run(plate(stripes(2.0, 0.999, y0=0.5, square=True)))
    assert "MS702" in codes(harsh)
    muted = run(plate(stripes(2.0, 0.6, y0=0.3, square=True)))  # Y 0.12 vs 0.48: 0.6
    assert "MS702" not in codes(muted)


def test_a_flat_painted_hemisphere_is_flat_and_mottle_is_not():
    v, f = icosphere(8.0, 6)
    rgb = np.tile([0.6, 0.3, 0.2], (len(v), 1))
    north = v[:, 2] > 0  # the upper half mottled, the lower half one flat tone
    rgb[north] *= (1.0 + 0.2 * smooth_noise(v[north, :2], 1.0))[:, None]
    res = run(from_arrays(v, f, vertex_rgb=np.clip(rgb, 0, 1)))
    assert set(codes(res)) <= {"MS703", "MS700"}  # MS700: regions where the halves meet
    flat = next(f for f in res.findings if f.code == "MS703")
    assert flat.measured == 0.0 and flat.location.centroid_mm[2] < -2.0
    mottle = plate(lambda xy: 0.3 * (1 + 0.15 * smooth_noise(xy, 1.0)))
    assert "MS703" not in codes(run(mottle)) and "MS701" not in codes(run(mottle))


def test_a_file_without_colour_or_with_one_colour_everywhere_is_not_judged():
    v, f = icosphere(5.0, 3)
    res = run(from_arrays(v, f))
    assert res.status == "ok" and not res.findings
    assert res.metrics["rules_run"] is False and res.metrics["colour_source"] == "none"
    res = run(from_arrays(v, f, vertex_rgb=np.tile([0.5, 0.5, 0.5], (len(v), 1))))
    assert not res.findings and res.metrics["colour_source"] == "uniform"


def test_layers_carry_values_with_units():
    res = run(plate(stripes(4 * R, 0.1)))
    layers = {lay.name: lay for lay in res.layers.face_layers()}
    assert layers["colour-visibility"].unit == "× threshold"
    assert layers["colour-contrast"].unit == "Michelson"
    vals = layers["colour-visibility"].values
    assert len(vals) == res.layers.face_visibility.shape[0] and np.isfinite(vals).any()
    assert res.measurements and all(m.lo <= m.value <= m.hi for m in res.measurements)


# --- invariants ------------------------------------------------------------------------------

@settings(max_examples=5, deadline=None)
@given(contrast=st.floats(0.003, 0.05), period=st.floats(0.25, 1.2))
def test_muddy_at_300_mm_is_never_readable_at_600_mm(contrast, period):
    model = plate(stripes(period, contrast), size=10.0, h=0.07)
    near = run(model, ViewingConditions(distance_mm=300.0))
    far = run(model, ViewingConditions(distance_mm=600.0))
    if "MS701" in codes(near):
        assert far.metrics["verdicts"].get("MS701", {}).get("pass", 0) == 0
    if 2 * far_r() <= period <= col.band_periods_mm(near_r())[-1]:  # inside both ladders
        v_near = near.metrics["median_visibility"]
        v_far = far.metrics["median_visibility"]
        if v_near is not None and v_far is not None:
            assert v_far <= v_near * 1.1


def near_r():
    return ViewingConditions(distance_mm=300.0).resolvable_mm


def far_r():
    return ViewingConditions(distance_mm=600.0).resolvable_mm


def test_rigid_motion_keeps_the_verdicts():
    model = plate(stripes(2 * R, 0.02), size=10.0, h=0.07, jitter=0.3)
    a, b = np.radians(37.0), np.radians(-21.0)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rx @ rz, (13.0, -7.0, 2.5)
    moved = model.transformed(m)
    assert moved.vertex_rgb is model.vertex_rgb
    r0, r1 = run(model), run(moved)
    warn = lambda r: [c for c in codes(r) if c != "MS700"]  # noqa: E731 - MS700 counts borders
    assert warn(r0) == warn(r1)
    # the band that holds the stripes reads the same contrast (the octave crosstalk left after
    # unmixing moves by ~10 % with the orientation of the clustering grid: docs/colour.md)
    b0 = col.colour_field(Analysis(model), R)
    b1 = col.colour_field(Analysis(moved), R)
    m0 = np.median(b0.band_contrast[b0.counted], axis=0)
    m1 = np.median(b1.band_contrast[b1.counted], axis=0)
    assert m1[0] == pytest.approx(m0[0], rel=0.10) and m0[0] == m0.max()


def test_json_is_deterministic():
    model = plate(lambda xy: 0.3 * (1 + 0.1 * smooth_noise(xy, 0.6)), size=8.0, h=0.08)
    dumps = [json.dumps(round_floats(run(model).to_dict()), sort_keys=True) for _ in range(2)]
    assert dumps[0] == dumps[1]


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), amp=st.floats(0.0, 0.6))
def test_no_finding_straddles_its_threshold_on_random_paint(seed, amp):
    rng = np.random.default_rng(seed)
    wl = float(rng.uniform(0.2, 3.0))
    model = plate(lambda xy: 0.25 * (1 + amp * np.tanh(smooth_noise(xy, wl, seed))), size=8.0,
                  h=0.08, jitter=0.3, seed=seed)
    res = run(model)  # Finding() itself refuses a range that straddles (evidence rule)
    for f in res.findings:
        if f.measured_range is not None:
            lo, hi = f.measured_range
            assert hi < f.threshold or lo > f.threshold


def _nearest(ref_pos, pos):
    from scipy.spatial import cKDTree

    d, i = cKDTree(ref_pos).query(pos)
    assert d.max() < 1e-3
    return i


# --- colour from files -----------------------------------------------------------------------

def test_vertex_colours_are_read_from_ply_obj_and_glb(tmp_path):
    import trimesh

    from miniscan.loading import load

    m = trimesh.creation.icosphere(2, radius=10.0)
    c = (np.random.default_rng(1).random((len(m.vertices), 3)) * 255).astype(np.uint8)
    m.visual.vertex_colors = np.column_stack([c, np.full(len(c), 255, np.uint8)])
    m.export(tmp_path / "s.ply")
    lines = [f"v {p[0]} {p[1]} {p[2]} {q[0] / 255} {q[1] / 255} {q[2] / 255}"
             for p, q in zip(m.vertices, c)]
    lines += [f"f {a} {b} {d}" for a, b, d in m.faces + 1]
    (tmp_path / "s.obj").write_text("\n".join(lines) + "\n")
    for name in ("s.ply", "s.obj"):
        got = load(tmp_path / name, units="mm")
        assert got.vertex_rgb is not None, name
        # merged vertices keep their colour: compare by position
        assert np.allclose(got.vertex_rgb, c[_nearest(m.vertices, got.vertices)] / 255.0,
                           atol=1e-6), name
    # glTF COLOR_0 is linear light: the Model holds it sRGB-encoded
    m.export(tmp_path / "s.glb")
    got = load(tmp_path / "s.glb", units="mm")
    z_up = m.vertices @ np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]])  # (x, -z, y)
    ref = _nearest(z_up, got.vertices)
    assert np.allclose(got.vertex_rgb, col.linear_to_srgb(c[ref] / 255.0), atol=2e-3)
    plain = trimesh.creation.icosphere(2, radius=10.0)
    plain.export(tmp_path / "p.ply")
    assert load(tmp_path / "p.ply", units="mm").vertex_rgb is None


def test_a_finer_mesh_of_the_same_paint_reads_within_ten_percent():
    paint = stripes(4 * R, 0.05)
    coarse = run(plate(paint, size=10.0, h=0.07))
    fine = run(plate(paint, size=10.0, h=0.035, jitter=0.3))
    assert fine.metrics["median_visibility"] == pytest.approx(
        coarse.metrics["median_visibility"], rel=0.10)
    assert codes(fine) == codes(coarse)


def _textured_glb(path, n_vertices: int, texels: int, stripe_texels: int):
    """A 10 mm square (n x n vertices, UV 0-1) with a base-colour texture of texels x texels
    pixels: grey stripes along u, stripe_texels wide, black/white."""
    import trimesh
    from PIL import Image

    n = n_vertices
    x, y = np.meshgrid(np.linspace(0, 10, n), np.linspace(0, 10, n), indexing="ij")
    v = np.column_stack([x.ravel(), y.ravel(), np.zeros(n * n)]) / 1000.0  # glTF metres
    uv = np.column_stack([x.ravel(), y.ravel()]) / 10.0
    col_ = (np.arange(texels) // stripe_texels) % 2 * 255
    img = Image.fromarray(np.repeat(np.tile(col_, (texels, 1))[..., None], 3, 2).astype(np.uint8))
    mesh = trimesh.Trimesh(v, grid_sheet(n, n), process=False,
                           visual=trimesh.visual.TextureVisuals(uv=uv, image=img))
    mesh.export(path)


def test_a_glb_base_colour_texture_is_read_and_judged_only_when_sampled(tmp_path):
    from miniscan.loading import load

    # 101 vertices across 64 texels: under a texel between vertices; stripes 8 texels (1.25 mm)
    _textured_glb(tmp_path / "fine_mesh.glb", 101, 64, 8)
    m = load(tmp_path / "fine_mesh.glb", units="m", up="z")
    assert m.metadata["colour_source"] == "texture" and m.metadata["texels_per_edge"] <= 1.0
    assert m.vertex_rgb is not None and np.isfinite(m.vertex_rgb).all()
    assert "MS702" in codes(run(m))  # black and white stripes
    # 21 vertices across 1024 texels: the texture is finer than its lookup
    _textured_glb(tmp_path / "coarse_mesh.glb", 21, 1024, 8)
    m = load(tmp_path / "coarse_mesh.glb", units="m", up="z")
    res = run(m)
    assert codes(res) == ["MS700"] and "texels apart" in res.findings[0].message


def _write_textured_obj(folder, model, texture="t.png", mtl="p.mtl"):
    """`model` (a plate of n x n vertices, row-major by x then y) as OBJ + MTL + PNG: UVs on
    texel centres (texel (i, j) is vertex (i, j)), the vertex colours in the PNG; `i/t/n`
    corners. Returns the colours the texture holds (uint8-quantised), per vertex."""
    from PIL import Image

    v = np.asarray(model.vertices)
    n = int(round(np.sqrt(len(v))))
    rgb8 = np.round(np.asarray(model.vertex_rgb) * 255).astype(np.uint8)
    img = rgb8.reshape(n, n, 3).transpose(1, 0, 2)[::-1]  # row = (1 - v)(n - 1), col = u(n - 1)
    Image.fromarray(np.ascontiguousarray(img)).save(folder / texture)
    i, j = np.divmod(np.arange(n * n), n)
    uv = np.column_stack([i, j]) / (n - 1)
    f = np.asarray(model.faces) + 1
    corners = np.char.add(np.char.add(f.astype(str), "/"), np.char.add(f.astype(str), "/1"))
    text = ("mtllib " + mtl + "\nvn 0 0 1\n"
            + "".join(f"v {a!r} {b!r} {c!r}\n" for a, b, c in v.tolist())
            + "".join(f"vt {a!r} {b!r}\n" for a, b in uv.tolist())
            + "usemtl paint\n" + "".join("f " + " ".join(c) + "\n" for c in corners))
    (folder / "plate.obj").write_text(text)
    (folder / mtl).write_text(f"newmtl paint\nKd 0.8 0.8 0.8\nmap_Kd {texture}\n")
    return rgb8 / 255.0


@pytest.mark.parametrize("paint, expect, absent", [
    (stripes(2 * R, 0.02), "MS701", None),  # low contrast fine stripes: muddy
    (stripes(2 * R, 0.3), None, "MS701"),  # clear
    (stripes(2.0, 0.999, y0=0.5, square=True), "MS702", None),  # black and white: harsh
    (stripes(2.0, 0.6, y0=0.3, square=True), None, "MS702"),  # muted
])
def test_an_obj_mtl_texture_reads_as_the_same_paint_on_its_vertices(tmp_path, paint, expect,
                                                                     absent):
    from miniscan.loading import load

    painted = plate(paint, size=8.0)
    rgb = _write_textured_obj(tmp_path, painted)
    got = load(tmp_path / "plate.obj", units="mm")
    assert got.metadata["colour_source"] == "texture"
    assert got.metadata["texels_per_edge"] == pytest.approx(1.0, rel=0.01)  # texel per edge
    assert np.allclose(got.vertex_rgb, rgb[_nearest(painted.vertices, got.vertices)],
                       atol=1e-6)
    same = from_arrays(painted.vertices, painted.faces, vertex_rgb=rgb)  # the paint it holds
    textured, vertex = run(got), run(same)
    assert codes(textured) == codes(vertex)
    assert textured.metrics["median_visibility"] == pytest.approx(
        vertex.metrics["median_visibility"], rel=1e-6)
    assert expect is None or expect in codes(textured)
    assert absent is None or absent not in codes(textured)


def test_obj_kd_materials_colour_their_faces_and_shared_vertices_take_the_mean(tmp_path):
    from miniscan.loading import load

    # two quads side by side sharing the edge x = 1; a third in a material with no colour
    (tmp_path / "k.mtl").write_text("newmtl red\nKd 1 0 0\n\nnewmtl blue\n  Kd 0 0 1.0\n"
                                    "newmtl bare\nNs 10\n")
    (tmp_path / "k.obj").write_text(
        "mtllib k.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 1 0\n"
        "v 3 0 0\nv 3 1 0\nusemtl red\nf 1 2 3 4\nusemtl blue\nf 2 5 6 3\n"
        "usemtl bare\nf 5 7 8 6\n")
    m = load(tmp_path / "k.obj", units="mm")
    assert m.metadata["colour_source"] == "material" and m.metadata["texels_per_edge"] is None
    at = {tuple(np.round(p[:2]).astype(int)): c for p, c in zip(m.vertices, m.vertex_rgb)}
    assert np.allclose(at[(0, 0)], [1, 0, 0]) and np.allclose(at[(0, 1)], [1, 0, 0])
    # the mean over triangle corners: the fanned quads give it one red corner, two blue
    assert np.allclose(at[(1, 0)], [1 / 3, 0, 2 / 3])
    assert np.allclose(at[(2, 1)], [0, 0, 1])  # blue and bare: the bare corner brings none
    assert np.isnan(at[(3, 0)]).all()
    # a library without the material used, or without any colour: no colour at all
    (tmp_path / "k.mtl").write_text("newmtl other\nKd 1 0 0\nnewmtl bare\nNs 10\n")
    assert load(tmp_path / "k.obj", units="mm").vertex_rgb is None


def test_obj_vertex_colours_win_over_its_materials(tmp_path):
    from miniscan.loading import load

    (tmp_path / "k.mtl").write_text("newmtl red\nKd 1 0 0\n")
    (tmp_path / "k.obj").write_text("mtllib k.mtl\nusemtl red\nv 0 0 0 0 1 0\nv 1 0 0 0 1 0\n"
                                    "v 0 1 0 0 1 0\nf 1 2 3\n")
    m = load(tmp_path / "k.obj", units="mm")
    assert m.metadata["colour_source"] == "vertex" and np.allclose(m.vertex_rgb, [0, 1, 0])


def test_the_cache_key_of_an_obj_follows_its_materials_and_textures(tmp_path):
    import hashlib
    import os

    from miniscan.cache import file_digest

    _write_textured_obj(tmp_path, plate(stripes(2.0, 0.5), size=2.0, h=0.5))
    obj = tmp_path / "plate.obj"
    first = file_digest(obj)
    assert file_digest(obj) == first
    tex = tmp_path / "t.png"
    tex.write_bytes(tex.read_bytes() + b"\0")  # repainted: another size
    assert file_digest(obj) != first
    second = file_digest(obj)
    os.utime(tex, ns=(1, 1))  # same size, another time
    assert file_digest(obj) != second
    third = file_digest(obj)
    (tmp_path / "p.mtl").write_text("newmtl paint\nKd 1 0 0\n")
    assert file_digest(obj) != third
    plain = tmp_path / "plain.obj"
    plain.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert file_digest(plain) == hashlib.sha256(plain.read_bytes()).hexdigest()


def test_obj_uv_corners_of_every_form(tmp_path):
    from PIL import Image

    from miniscan.loading import load

    # 2 x 2 texels: v up, so (0, 0) is the bottom-left texel
    red, green, blue, white = [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]
    Image.fromarray(np.array([[red, green], [blue, white]], np.uint8)).save(tmp_path / "t.png")
    (tmp_path / "m.mtl").write_text("newmtl a\nmap_Kd -s 1 1 1 t.png\n")
    (tmp_path / "f.obj").write_text(
        "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
        "vn 0 0 1\nusemtl a\nf 1/-4 2/-3/1 3//1\nf 1/1 3/3 4/4\n")
    m = load(tmp_path / "f.obj", units="mm")
    at = {tuple(np.round(p[:2]).astype(int)): c * 255 for p, c in zip(m.vertices, m.vertex_rgb)}
    # relative indices, i/t/n, and a corner without a UV (vertex 3 keeps its other corner's)
    assert [at[k].tolist() for k in ((0, 0), (1, 0), (1, 1), (0, 1))] == \
        [blue, white, green, red]


@pytest.mark.corpus
def test_a_real_textured_mesh_reads_the_same_from_obj_mtl_as_from_glb(tmp_path, corpus_dir):
    """The Cesium Milk Truck's body (1,744 faces, a 2048 x 2048 texture) written by trimesh
    as GLB and as OBJ + MTL + PNG: the same colour at every vertex, the same texel spacing."""
    import trimesh

    from miniscan.loading import load

    body = trimesh.load(corpus_dir / "odd_CesiumMilkTruck.glb").geometry["Cesium_Milk_Truck"]
    body.export(tmp_path / "body.glb")
    text, files = trimesh.exchange.obj.export_obj(body, include_texture=True,
                                                  return_texture=True, mtl_name="body.mtl")
    (tmp_path / "body.obj").write_text(text)
    for k, data in files.items():
        (tmp_path / k).write_bytes(data)
    glb = load(tmp_path / "body.glb", units="m")
    obj = load(tmp_path / "body.obj", units="m", up="y")
    assert obj.metadata["colour_source"] == glb.metadata["colour_source"] == "texture"
    assert obj.metadata["texels_per_edge"] == pytest.approx(glb.metadata["texels_per_edge"])
    same = _nearest(glb.vertices, obj.vertices)
    assert np.isfinite(obj.vertex_rgb).all()
    assert np.array_equal(obj.vertex_rgb, glb.vertex_rgb[same])


# --- judged on the surface, not across a corner ----------------------------------------------

def block(seed: int, size: float, h: float, mottle: float, wavelength: float):
    """A block (size x 0.8 size x 0.6 size mm, faces subdivided to about h, randomly turned and
    shifted) whose top is one flat tone and whose four sides and bottom carry a mottle of
    relative RMS `mottle` at `wavelength`: two surfaces meeting at a 90-degree corner. Returns
    the model and the top's faces."""
    import trimesh

    rng = np.random.default_rng(seed)
    box = trimesh.creation.box(extents=(size, 0.8 * size, 0.6 * size))
    v, f = trimesh.remesh.subdivide_to_size(box.vertices, box.faces, h)
    top = v[:, 2] > 0.3 * size - 1e-9
    y0 = 0.3
    uv = np.column_stack([v[:, 0] + v[:, 1], v[:, 2]])  # a parameter along the sides
    y = np.where(top, y0, y0 * (1.0 + mottle * smooth_noise(uv, wavelength, seed)))
    grey = col.linear_to_srgb(np.clip(y, 0.0, 1.0))
    rot = trimesh.transformations.random_rotation_matrix(rng.random(3))
    rot[:3, 3] = rng.uniform(-20, 20, 3)
    model = from_arrays(v, f, vertex_rgb=np.repeat(grey[:, None], 3, axis=1))
    return model.transformed(rot), np.flatnonzero(top[f].all(axis=1))


@pytest.mark.parametrize("seed, size, h", [(0, 8.0, 0.07), (1, 12.0, 0.1), (2, 6.0, 0.05)])
def test_a_flat_top_reads_flat_up_to_its_mottled_sides(seed, size, h):
    """Every region of the block's flat top reads no colour variation at all, up to the
    corner where its mottled sides begin (random pose, size and face size), and no finding
    but MS703 (flat) lies on it. Before, 3-D cubes and kernels reaching over the corner gave
    the top's rim regions the sides' mottle: 'painted detail' on a flat top, which, diluted
    by the top's area, read as muddy (the suite's corner cases)."""
    model, top = block(seed, size, h, 0.15, 6.0 * R)
    cf = col.colour_field(Analysis(model), R)
    regs = np.unique(cf.face_region[top])
    regs = regs[regs >= 0]
    assert len(regs) >= 4
    assert (cf.fine_contrast[regs] == 0.0).all(), np.sort(cf.fine_contrast[regs])[-5:]
    res = run(model)
    on_top = set(top.tolist())
    assert all(f.code in ("MS703", "MS700") for f in res.findings
               if set(f.location.faces) & on_top), [f.message for f in res.findings]


def sliver_column(seed: int, h: float, period: float, contrast: float, height: float = 5.0):
    """A column (8 x 6 mm footprint, `height` tall, randomly turned) whose side walls are single
    slivers from the top rim to the bottom rim, rim vertices h apart, carrying vertical stripes
    (the same colour at the top and bottom of each rim column) of Michelson `contrast` and
    `period` along the rim; top and bottom one flat tone, fans from their centres. Returns
    the model and the side walls' faces."""
    import trimesh

    rng = np.random.default_rng(seed)
    W, D = 8.0, 6.0
    n_w, n_d = int(round(W / h)), int(round(D / h))
    ring = np.concatenate([  # the rim, counter-clockwise, vertices h apart
        np.column_stack([np.linspace(-W / 2, W / 2, n_w, endpoint=False), np.full(n_w, -D / 2)]),
        np.column_stack([np.full(n_d, W / 2), np.linspace(-D / 2, D / 2, n_d, endpoint=False)]),
        np.column_stack([np.linspace(W / 2, -W / 2, n_w, endpoint=False), np.full(n_w, D / 2)]),
        np.column_stack([np.full(n_d, -W / 2), np.linspace(D / 2, -D / 2, n_d, endpoint=False)])])
    n = len(ring)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])
    v = np.vstack([np.column_stack([ring, np.full(n, height)]), np.column_stack([ring, np.zeros(n)]),
                   [[0, 0, height], [0, 0, 0]]])
    i, j = np.arange(n), (np.arange(n) + 1) % n
    sides = np.vstack([np.column_stack([i, j + n, j]), np.column_stack([i, i + n, j + n])])
    caps = np.vstack([np.column_stack([i, j, np.full(n, 2 * n)]),
                      np.column_stack([j + n, i + n, np.full(n, 2 * n + 1)])])
    y = 0.3 * (1.0 + contrast * np.sin(2 * np.pi * np.concatenate([arc, arc, [0, 0]]) / period))
    y[-2:] = 0.3
    grey = col.linear_to_srgb(y)
    mesh = trimesh.Trimesh(v, np.vstack([sides, caps]), process=False)
    mesh.fix_normals()
    rot = trimesh.transformations.random_rotation_matrix(rng.random(3))
    model = from_arrays(mesh.vertices, mesh.faces, vertex_rgb=np.repeat(grey[:, None], 3, axis=1))
    return model.transformed(rot), np.arange(len(sides))


@pytest.mark.parametrize("seed, h", [(0, 0.05), (1, 0.08), (2, 0.11)])
def test_a_wall_of_slivers_reads_the_stripes_it_carries(seed, h):
    """Side walls drawn as single slivers from rim to rim carry vertical stripes of contrast
    0.1 (a period of 6 r, 6-17 rim vertices a period): their regions read that contrast (the
    Michelson-equivalent fine contrast, C sinc^2(h / p) after linear interpolation) within 25 %.
    Before, a sliver's area was sampled at half its long edge, one point a face, so a wall
    read its own colour only at scattered points; or, with dense caps, all at its rims."""
    p, C = 6.0 * R, 0.1
    model, sides = sliver_column(seed, h, p, C)
    cf = col.colour_field(Analysis(model), R)
    regs = np.unique(cf.face_region[sides])
    regs = regs[(regs >= 0)]
    regs = regs[cf.counted[regs]]
    assert len(regs) >= 10
    want = C * (np.sin(np.pi * h / p) / (np.pi * h / p)) ** 2
    got = np.median(cf.fine_contrast[regs])
    assert got == pytest.approx(want, rel=0.25), (got, want)


# --- the MS701 interval: how many periods a reading rests on ----------------------------------

def _posed_sheet(paint, size, h, style, seed, source="vertex", folder=None):
    """A flat sheet (size x size mm) painted with `paint`, triangulated isotropic (a grid),
    irregular (the grid jittered by 0.35 h) or as slivers (4:1 faces, long edges 2 h), its
    colour as vertex colours or as an OBJ + MTL + PNG texture (a texel a vertex), at a random
    pose. Returns the model and the 4x4 pose (local -> model)."""
    from scipy.spatial.transform import Rotation

    from miniscan.loading import load

    if style == "sliver":
        nx, ny = int(round(size / (h / 2))) + 1, int(round(size / (2 * h))) + 1
        x, y = np.meshgrid(np.linspace(0, size, nx), np.linspace(0, size, ny), indexing="ij")
        xy = np.column_stack([x.ravel(), y.ravel()])
        grey = col.linear_to_srgb(np.clip(paint(xy), 0.0, 1.0))
        model = from_arrays(np.column_stack([xy, np.zeros(len(xy))]), grid_sheet(nx, ny),
                            vertex_rgb=np.repeat(grey[:, None], 3, axis=1))
    else:
        model = plate(paint, size=size, h=h, jitter=0.35 if style == "irregular" else 0.0,
                      seed=seed)
    if source == "texture":
        _write_textured_obj(folder, model)
        model = load(folder / "plate.obj", units="mm")
    rng = np.random.default_rng(seed)
    pose = np.eye(4)
    pose[:3, :3] = Rotation.random(random_state=seed).as_matrix()
    pose[:3, 3] = rng.uniform(-30, 30, 3)
    return model.transformed(pose), pose


def _interior_ms701(res, pose, size, region_mm):
    """MS701 measurements of the regions a whole region away from the sheet's border."""
    inv = np.linalg.inv(pose)
    out = []
    for m in res.measurements:
        if m.kind != "detail_visibility":
            continue
        local = inv[:3, :3] @ np.asarray(m.centroid_mm) + inv[:3, 3]
        if (local[:2] > region_mm).all() and (local[:2] < size - region_mm).all():
            out.append(m)
    return out


def _stripe_truth(period, contrast, h, c):
    """C S(f) of stripes as a renderer shows them (linear interpolation between vertices h
    apart: the fundamental times sinc^2(h / p)) and as the vertices hold them."""
    s = float(cc.sensitivity(np.array([period]), c.distance_mm)[0])
    return contrast * s * (np.sin(np.pi * h / period) / (np.pi * h / period)) ** 2, contrast * s


def assert_muddy_inside(res, pose, size, c, period, contrast, h):
    """Stripes under the reserve: MS701 found, at least 4 interior regions judged, three in
    four of them failing, and nine in ten intervals holding the truth."""
    assert "MS701" in codes(res)
    low, high = _stripe_truth(period, contrast, h, c)
    inner = _interior_ms701(res, pose, size, col.region_size_mm(c.resolvable_mm))
    assert len(inner) >= 4
    assert np.mean([m.verdict == "fail" for m in inner]) >= 0.75, \
        [(m.lo, m.value, m.hi) for m in inner]
    assert np.mean([m.lo <= high and m.hi >= low for m in inner]) >= 0.9, \
        [(m.lo, m.value, m.hi, low, high) for m in inner]


@pytest.mark.parametrize("seed, period_r, style, per_period, source, distance", [
    (0, 5.5, "isotropic", 8, "vertex", 500.0),
    (1, 6.5, "irregular", 12, "vertex", 400.0),
    (2, 7.5, "sliver", 10, "vertex", 300.0),
    (3, 4.6, "irregular", 7, "vertex", 600.0),
    (4, 7.2, "isotropic", 9, "texture", 500.0),
])
def test_muddy_stripes_whose_regions_hold_few_periods_are_found(tmp_path, seed, period_r, style,
                                                               per_period, source, distance):
    """Stripes 4.6-7.5 r a period at C S(f) = 1.9 (under the reserve 3, visible): a region
    (16 r) holds 4-12 of their periods. Before, the interval took a region's RMS as resting on
    A / p^2 independent samples (1 / sqrt(n): +-30-50 %) and the scalloping of the bands (up
    to 1 / 0.74), so it reached over the reserve and they stayed undetermined. A sinusoid's
    energy is the same in every block of the region (the spread between blocks says so), and
    the bands' ratios place it between their peaks: the interval is [0.85, 1.25] x the truth
    or so, and covers it (random poses; grid, jittered and sliver triangulations; vertex
    colours and a texture)."""
    c = ViewingConditions(distance_mm=distance)
    r = c.resolvable_mm
    p = period_r * r
    s = float(cc.sensitivity(np.array([p]), distance)[0])
    contrast = 1.9 / s
    size = 5 * col.region_size_mm(r)
    model, pose = _posed_sheet(stripes(p, contrast, y0=0.3), size, p / per_period, style, seed,
                               source, tmp_path)
    res = run(model, c)
    assert "MS701" in codes(res) and "MS703" not in codes(res)
    low, high = _stripe_truth(p, contrast, p / per_period, c)
    inner = _interior_ms701(res, pose, size, col.region_size_mm(r))
    assert len(inner) >= 4
    covered = [m.lo <= high and m.hi >= low for m in inner]
    assert np.mean(covered) >= 0.9, [(m.lo, m.value, m.hi) for m in inner]
    assert all(m.verdict != "pass" for m in inner)


@pytest.mark.parametrize("seed, period_r, style, distance", [
    (5, 2.4, "isotropic", 500.0), (6, 2.8, "irregular", 400.0), (7, 3.2, "sliver", 600.0)])
def test_the_interval_covers_fine_stripes_the_best_band_reads_high(seed, period_r, style,
                                                                  distance):
    """Stripes 2.4-3.2 r a period: the discrete cascade's band one octave coarser reads them
    up to 1.5x more than the analytic gain says, and the unmixed best band then weighs them
    with its higher sensitivity: V reads 1.3-1.8x the truth. Before, the interval's low end
    (V (1 - 1/sqrt(n)), a region holding ~40 periods) lay above the truth in most regions;
    the one-sinusoid fit through the cascade's measured reading brackets it."""
    c = ViewingConditions(distance_mm=distance)
    r = c.resolvable_mm
    p = period_r * r
    s = float(cc.sensitivity(np.array([p]), distance)[0])
    contrast = min(0.3, 2.0 / s)
    size = 5 * col.region_size_mm(r)
    h = p / 9
    model, pose = _posed_sheet(stripes(p, contrast, y0=0.3), size, h, style, seed)
    res = run(model, c)
    low, high = _stripe_truth(p, contrast, h, c)
    inner = _interior_ms701(res, pose, size, col.region_size_mm(r))
    assert len(inner) >= 4
    covered = [m.lo <= high and m.hi >= low for m in inner]
    assert np.mean(covered) >= 0.9, [(m.lo, m.value, m.hi, low) for m in inner]
    assert all(m.verdict != "pass" for m in inner)  # V 2 is under the reserve


@pytest.mark.parametrize("seed, style", [(8, "irregular"), (9, "sliver")])
def test_faint_coarse_stripes_are_painted_detail_not_a_flat_tone(seed, style):
    """Stripes 7.6 r a period at 0.46 % (C S(f) ~ 1.1: visible, muddy): a region's lowpass
    holds a quarter of such a coarse stripe, so its fine contrast reads ~0.35 %, under the
    flat bar 0.4 %, while the coarsest band reads it whole. Before, the regions were called
    flat (MS703, 'nothing the eye can see') and never judged for MS701; the detail contrast
    (the fine contrast or the best band's, whichever is more) makes them painted and muddy."""
    c = ViewingConditions(distance_mm=600.0)
    r = c.resolvable_mm
    p = 7.6 * r
    size = 5 * col.region_size_mm(r)
    model, pose = _posed_sheet(stripes(p, 0.0046, y0=0.3), size, p / 10, style, seed)
    res = run(model, c)
    assert "MS701" in codes(res) and "MS703" not in codes(res)


@pytest.mark.parametrize("seed, period_r, style", [(10, 5.0, "sliver"), (11, 7.0, "irregular"),
                                                   (12, 2.6, "isotropic")])
def test_readable_stripes_are_never_called_muddy(seed, period_r, style):
    """C S(f) = 5 (clearly over the reserve 3): no MS701 at any pose or triangulation."""
    c = ViewingConditions(distance_mm=500.0)
    r = c.resolvable_mm
    p = period_r * r
    s = float(cc.sensitivity(np.array([p]), 500.0)[0])
    size = 5 * col.region_size_mm(r)
    model, _ = _posed_sheet(stripes(p, min(0.5, 5.0 / s), y0=0.3), size, p / 9, style, seed)
    res = run(model, c)
    assert "MS701" not in codes(res)


def _striped_cylinder(radius, height, h, period, contrast, seed):
    """An open cylinder (grid of about h, randomly turned) painted with rings of `period`
    along its axis: a curved surface whose stripes' period on the surface is exact."""
    from scipy.spatial.transform import Rotation

    nt, nz = int(round(2 * math.pi * radius / h)), int(round(height / h)) + 1
    t, z = np.meshgrid(np.arange(nt) * 2 * math.pi / nt, np.linspace(0, height, nz),
                       indexing="ij")
    v = np.column_stack([radius * np.cos(t.ravel()), radius * np.sin(t.ravel()), z.ravel()])
    idx = np.arange(nt * nz).reshape(nt, nz)
    i, j = np.meshgrid(np.arange(nt), np.arange(nz - 1), indexing="ij")
    a, b = idx[i, j].ravel(), idx[(i + 1) % nt, j].ravel()
    c, d = idx[(i + 1) % nt, j + 1].ravel(), idx[i, j + 1].ravel()
    f = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    grey = col.linear_to_srgb(0.3 * (1.0 + contrast * np.sin(2 * np.pi * v[:, 2] / period)))
    pose = np.eye(4)
    pose[:3, :3] = Rotation.random(random_state=seed).as_matrix()
    return from_arrays(v, f, vertex_rgb=np.repeat(grey[:, None], 3, axis=1)).transformed(pose)


@pytest.mark.parametrize("seed, period_r, radius, distance", [(13, 6.0, 4.0, 500.0),
                                                              (14, 7.5, 2.5, 500.0)])
def test_muddy_rings_on_a_curved_surface_are_found_and_their_interval_covers_them(
        seed, period_r, radius, distance):
    """Rings 6-7.5 r a period at C S(f) = 1.9 round a cylinder 17-28 r in radius (a curved
    surface: the blocks and regions are 3-D cubes the surface cuts obliquely): MS701, no
    region passed, and the intervals cover the truth (before: undetermined)."""
    c = ViewingConditions(distance_mm=distance)
    r = c.resolvable_mm
    p = period_r * r
    s = float(cc.sensitivity(np.array([p]), distance)[0])
    model = _striped_cylinder(radius, 5 * col.region_size_mm(r), p / 9, p, 1.9 / s, seed)
    res = run(model, c)
    assert "MS701" in codes(res)
    ms = [m for m in res.measurements if m.kind == "detail_visibility"]
    low, high = _stripe_truth(p, 1.9 / s, p / 9, c)
    assert np.mean([m.lo <= high and m.hi >= low for m in ms]) >= 0.95
    assert all(m.verdict != "pass" for m in ms)


def test_a_finding_on_walls_of_sliver_faces_lists_the_faces_it_was_read_on():
    """colour:82093 of the ground-truth suite: a plate with a flat-toned top and mottled side
    walls drawn as faces as tall as the plate. Two regions of the side walls failed MS701
    (their mottle at 1.1x its threshold); no face's centroid lay in them, so the finding listed
    no face, and its centre, averaged over two walls meeting at a corner, lay inside the
    plate, nearer the flat top, where it was scored as an MS701 on the top (which passes).
    Every finding now lists faces of the walls it was read on, near its centre."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    task = suite.parse_task("colour:82093")
    assert suite.evaluate_one(task).unsupported == 0
    case = suite.build(task)
    model = case.model()
    a = Analysis(model)
    res = cc.run(model, case.resolved_conditions(), a)
    size = col.for_analysis(a, case.resolved_conditions().resolvable_mm).region_mm
    fc = a.face_centroids
    found = [f for f in res.findings if f.code in ("MS701", "MS702", "MS703")]
    assert any(f.code == "MS701" for f in found)
    for f in found:
        assert len(f.location.faces), f.message
    top = a.face_normals[[f for x in found if x.code == "MS703" for f in x.location.faces]]
    assert len(top) and (top @ top[0] > 0.99).all()  # the flat top's faces
    for f in (x for x in found if x.code == "MS701"):
        faces = np.asarray(f.location.faces)
        # on the side walls, within reach of its regions (the centre lies between two walls)
        assert (np.abs(a.face_normals[faces] @ top[0]) < 0.05).all()
        d = np.linalg.norm(fc[faces] - np.asarray(f.location.centroid_mm), axis=1)
        assert (d <= 2.0 * size).all(), (d, size)
