"""Pictures: projection, callouts, determinism, seen-from-here size, GL errors (the layers
themselves: tests/test_layers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniscan.analysis import Analysis
from miniscan.conditions import resolve
from miniscan.findings import CheckResult, Finding, Location
from miniscan.model import from_arrays
from miniscan.render import callouts as co
from miniscan.render import layers as L
from miniscan.render.scene import VIEWS, Camera, Renderer, fit_camera, render_mesh, vtk_project

ROOT = Path(__file__).resolve().parents[1]
SHOWCASE = ROOT / "sample_meshes" / "showcase_mini.glb"


def _figure():
    """A small 'figure': a 10 x 6 x 20 mm box body with a 0.4 mm spear above, 0.5 mm edges."""
    import trimesh

    body = trimesh.creation.box((10.0, 6.0, 20.0))
    spear = trimesh.creation.cylinder(0.2, 10.0, sections=12)
    spear.apply_translation((3.0, 0.0, 15.0))
    m = trimesh.util.concatenate([body, spear])
    return from_arrays(m.vertices, m.faces, name="figure.stl")


def _sphere(radius=10.0, subdiv=4, stretch=2.0):
    import trimesh

    m = trimesh.creation.icosphere(subdivisions=subdiv, radius=radius)
    v = m.vertices.copy()
    v[:, 2] *= stretch
    return from_arrays(v, m.faces, name="egg.stl")


@pytest.fixture(scope="module")
def figure():
    return _figure()


# ----------------------------------------------------------------- projection (no GL)
@settings(max_examples=25, deadline=None)
@given(view=st.sampled_from(sorted(VIEWS)), front=st.sampled_from(["-y", "+y", "-x", "+x"]),
       w=st.integers(64, 900), h=st.integers(64, 900))
def test_fit_camera_frames_every_vertex(view, front, w, h):
    m = _sphere(subdiv=2)
    cam = fit_camera(m.vertices, view, w, h, front)
    px = cam.project(m.vertices)
    assert px[:, 0].min() >= 0 and px[:, 0].max() <= w
    assert px[:, 1].min() >= 0 and px[:, 1].max() <= h
    # the frame is tight on one axis (margin 1.08): the model fills >= 85% of it
    fill = max(np.ptp(px[:, 0]) / w, np.ptp(px[:, 1]) / h)
    assert fill > 0.85


@settings(max_examples=20, deadline=None)
@given(k=st.floats(0.01, 100.0), seed=st.integers(0, 1000),
       view=st.sampled_from(sorted(VIEWS)))
def test_projection_is_dimensionless_and_rigid(k, seed, view):
    """Scaling the model by k (camera refitted) and translating it leaves pixels unchanged."""
    m = _sphere(subdiv=2)
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(5, 3)) * 5
    t = rng.normal(size=3) * 100
    a = fit_camera(m.vertices, view, 640, 480).project(pts)
    b = fit_camera(m.vertices * k + t, view, 640, 480).project(pts * k + t)
    np.testing.assert_allclose(a, b, atol=1e-6 * 640)


def test_render_mesh_clustering_keeps_face_map():
    m = _sphere(subdiv=6)  # 81,920 faces
    v, f, fmap = render_mesh(m, max_faces=20_000)
    assert fmap is not None and len(f) == len(fmap)
    assert len(f) < 40_000
    assert np.all(np.diff(fmap) > 0)  # surviving faces are original faces, in order
    # clustered vertices stay within a voxel of the surface they came from
    assert np.abs(np.linalg.norm(v / [1, 1, 2], axis=1) - 10).max() < 1.0


# ----------------------------------------------------------------- rendering (GL)
def test_projection_matches_vtk(gl_ok):
    m = _sphere(subdiv=2)
    rng = np.random.default_rng(1)
    pts = m.vertices[rng.choice(len(m.vertices), 8, replace=False)]
    with Renderer(m, 320, 240) as r:
        for view in ("three-quarter", "top", "left", "back-three-quarter"):
            cam = fit_camera(m.vertices, view, 320, 240)
            np.testing.assert_allclose(cam.project(pts), vtk_project(r, cam, pts), atol=1e-6)


def test_same_model_twice_gives_identical_png_bytes(gl_ok, figure):
    from miniscan.render.sheets import make_pictures

    res = (CheckResult("edges", "ok", None, {}, (
        Finding("MS201", "razor edge", location=Location((5.0, -3.0, 10.0))),)),)
    a = make_pictures(figure, resolve("tabletop"), res, size=640, only=["overview", "health", "seen"])
    b = make_pictures(_figure(), resolve("tabletop"), res, size=640,
                      only=["overview", "health", "seen"])
    assert [p.key for p in a] == [p.key for p in b] == ["overview", "heat-health", "seen"]
    for pa, pb in zip(a, b):
        assert pa.encoded() == pb.encoded(), pa.key


def test_seen_from_here_twice_as_far_is_half_the_size(gl_ok):
    from miniscan.render.seen import foreground_bbox, seen_from_here

    m = _sphere(radius=5.0, subdiv=3, stretch=2.8)  # 10 x 10 x 28 mm
    out = {}
    with Renderer(m, 400, 400) as r:
        for d in (250.0, 500.0, 1000.0):
            c = resolve("tabletop", distance=d)
            s = seen_from_here(r, c, "front")
            x0, y0, x1, y1 = foreground_bbox(s.eye)
            out[d] = (y1 - y0, x1 - x0, s.model_px)
            # the model spans H / r eye pixels, r = D tan(1')
            assert s.model_px[1] == pytest.approx(28.0 / c.resolvable_mm, rel=1e-6)
            assert y1 - y0 == pytest.approx(28.0 / c.resolvable_mm, abs=2.5)
    assert out[500.0][0] / out[250.0][0] == pytest.approx(0.5, abs=0.02)
    assert out[1000.0][0] / out[500.0][0] == pytest.approx(0.5, abs=0.03)
    assert out[1000.0][1] / out[500.0][1] == pytest.approx(0.5, abs=0.06)


def test_glance_image_is_blurrier_than_the_eye_image(gl_ok):
    from miniscan.render.seen import seen_from_here

    m = _figure()
    with Renderer(m, 300, 300) as r:
        s = seen_from_here(r, resolve("tabletop"), "front")
    grad = lambda a: (np.diff(a.astype(float), axis=1) ** 2).sum()  # edge energy  # noqa: E731
    assert s.eye.shape == s.glance.shape
    assert grad(s.glance) < 0.4 * grad(s.eye)


@pytest.fixture(scope="module")
def showcase_run():
    """The showcase miniature checked by every registered family, pictures in memory."""
    from miniscan.loading import load
    from miniscan.render.sheets import make_pictures
    from miniscan.runner import RunOptions, run_checks

    if not SHOWCASE.is_file():
        pytest.skip("sample_meshes/showcase_mini.glb is absent")
    model = load(SHOWCASE)
    cond = resolve("tabletop")
    a = Analysis(model)
    checks, _ = run_checks(model, cond, RunOptions(), a)
    pics = make_pictures(model, cond, checks, a, size=900, only=["overview", "findings"])
    return model, cond, a, checks, pics


def test_every_showcase_finding_has_a_projected_callout(gl_ok, showcase_run):
    """The worst MAX_CALLOUTS located findings get a disc on the overview, anchored at the
    projection of their place; every other finding is listed beside the picture."""
    model, cond, a, checks, pics = showcase_run
    numbered = co.numbered_findings(checks)
    # numbers follow the report's order of findings
    flat = [f for c in checks for f in c.findings]
    assert [f for _, _, f in numbered] == flat
    assert len(flat) >= 5, "the showcase should trigger several families"
    ov = next(p for p in pics if p.key == "overview")
    cam, calls = ov.meta["camera"], {c.number: c for c in ov.meta["callouts"]}
    shown, rest = co.pick(numbered, a)
    assert sorted(calls) == sorted(n for n, _, _ in shown)
    assert len(calls) == min(co.MAX_CALLOUTS, sum(L.finding_point(f, a) is not None for f in flat))
    located = [(n, f) for n, _, f in numbered if n in calls]
    assert located, "findings should carry locations"
    offsets = set()
    for n, f in located:
        c = calls[n]
        p = L.finding_point(f, a)
        offset = np.asarray(c.anchor_px) - cam.project(p)[0]
        assert 0 <= offset[0] < ov.image.shape[1] / 2 and 0 < offset[1] < ov.image.shape[0] / 2
        offsets.add(tuple(np.round(offset, 6)))
        assert np.allclose(c.point_mm, p)
    assert len(offsets) == 1  # one constant offset for all: the render area's origin
    # findings without a place are exactly those without centroid and faces
    unlocated = [n for n, _, f in numbered if L.finding_point(f, a) is None]
    for n in unlocated:
        f = flat[n - 1]
        assert f.location.centroid_mm is None and not f.location.faces
    assert set(unlocated) <= {n for n, _, _ in rest}


def test_callout_anchor_lands_on_the_model_in_the_render(gl_ok, figure):
    """The projected anchor of a visible surface point is a model (non-background) pixel."""
    from miniscan.render.sheets import overview

    a = Analysis(figure)
    fs = [Finding("MS201", "corner", location=Location((5.0, -3.0, 9.5))),
          Finding("MS202", "face", location=Location((0.0, -3.0, 0.0))),
          Finding("MS401", "spear", location=Location((3.0, 0.0, 18.0)))]
    res = (CheckResult("edges", "ok", None, {}, tuple(fs)),)
    with Renderer(figure, 800, 800) as r:
        img, calls, cam = overview(r, resolve("tabletop"), res, a, co.numbered_findings(res), 800,
                                   view="front")
    arr = np.asarray(img)
    assert len(calls) == 3
    for c in calls:
        assert not c.hidden
        x, y = (int(round(v)) for v in c.anchor_px)
        patch = arr[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
        assert (np.abs(patch.astype(int) - 255).max(axis=1) > 20).any()


def test_hidden_findings_are_marked(gl_ok):
    import trimesh

    box = trimesh.creation.box((10.0, 6.0, 20.0))
    v, f = trimesh.remesh.subdivide_to_size(box.vertices, box.faces, 1.0)
    figure = from_arrays(v, f)
    a = Analysis(figure)
    back = Finding("MS202", "back face", location=Location((0.0, 3.0, 0.0)))
    front = Finding("MS202", "front face", location=Location((0.0, -3.0, 0.0)))
    cam = fit_camera(figure.vertices, "front", 400, 400)
    calls = co.place([(1, "edges", back), (2, "edges", front)], cam, a)
    assert [c.hidden for c in calls] == [True, False]


# ----------------------------------------------------------------- CLI
def _run(args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "miniscan", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def figure_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("fig") / "figure.stl"
    m = _figure()
    import trimesh

    trimesh.Trimesh(m.vertices, m.faces).export(p)
    return p


def test_missing_gl_exits_2_with_the_reason(figure_file, tmp_path):
    """A broken GL stack (VTK told to use OSMesa, which is not installed: it would segfault)
    is caught by the subprocess probe: exit 2, a message naming what to install."""
    env = dict(os.environ, VTK_DEFAULT_OPENGL_WINDOW="vtkOSOpenGLRenderWindow")
    r = _run(["render", str(figure_file), "--out", str(tmp_path / "o"), "--only", "overview"], env)
    assert r.returncode == 2, r.stderr
    assert "cannot render pictures" in r.stderr and "apt-get install" in r.stderr
    assert not (tmp_path / "o").exists()
    env = dict(os.environ, MINISCAN_NO_GL="1")
    r = _run(["render", str(figure_file), "--out", str(tmp_path / "o")], env)
    assert r.returncode == 2 and "MINISCAN_NO_GL" in r.stderr


def test_render_cli_writes_pictures(gl_ok, figure_file, tmp_path):
    out = tmp_path / "pics"
    r = _run(["render", str(figure_file), "--out", str(out), "--size", "640", "--only",
              "overview,health,seen", "--views", "front,top"])
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["figure.stl.heat-health.png", "figure.stl.overview.png", "figure.stl.seen.png"]
    from PIL import Image

    assert Image.open(out / "figure.stl.overview.png").size[0] == 640
    bad = _run(["render", str(figure_file), "--out", str(out), "--views", "sideways"])
    assert bad.returncode == 2 and "unknown view" in bad.stderr


def test_check_render_option(gl_ok, figure_file, tmp_path):
    out = tmp_path / "pics"
    r = _run(["check", str(figure_file), "--render", str(out), "--select", "MS9", "--no-cache",
              "--isolated", "-q"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # two closed bodies: info findings only
    assert "0 error, 0 warning" in r.stdout
    names = sorted(p.name for p in out.iterdir())
    assert "figure.stl.overview.png" in names and "figure.stl.seen.png" in names


def test_check_render_runs_the_checks_once(gl_ok, figure_file, tmp_path, monkeypatch):
    """One road: `check --render` draws from the run that made the report (before, the
    families ran a second time for the pictures)."""
    from typer.testing import CliRunner

    from miniscan import runner
    from miniscan.cli import app

    monkeypatch.chdir(tmp_path)
    before = dict(runner.STATS)
    r = CliRunner().invoke(app, ["check", str(figure_file), "--render", str(tmp_path / "p"),
                                 "--select", "MS4,MS9", "--no-cache", "--isolated", "-q",
                                 "--fail-on", "never"])
    assert r.exit_code == 0, r.output
    assert runner.STATS["models_checked"] - before["models_checked"] == 1
    assert runner.STATS["families_run"] - before["families_run"] == 2  # health, silhouette
    assert (tmp_path / "p" / "figure.stl.silhouette.png").is_file()


def test_pictures_of_a_cached_file_rerun_only_the_families_they_draw(gl_ok, figure_file,
                                                                     tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from miniscan import runner
    from miniscan.cli import app

    monkeypatch.chdir(tmp_path)
    args = ["render", str(figure_file), "--isolated", "--size", "400", "--select", "MS2,MS4,MS9"]
    ran = lambda: runner.STATS["families_run"]  # noqa: E731
    n0 = ran()
    assert CliRunner().invoke(app, args + ["--out", "a", "--only", "health"]).exit_code == 0
    assert ran() - n0 == 3  # cold: health, edges, silhouette checked once
    n1 = ran()
    assert CliRunner().invoke(app, args + ["--out", "b", "--only", "health"]).exit_code == 0
    assert ran() == n1  # cached, and the health map needs no family's layers
    assert CliRunner().invoke(app, args + ["--out", "c", "--only", "silhouette"]).exit_code == 0
    assert ran() - n1 == 1  # only the silhouette family, for its contact sheet
    names = {p.name for p in (tmp_path / "c").iterdir()}
    assert {"figure.stl.overview.png", "figure.stl.silhouette.png"} <= names
