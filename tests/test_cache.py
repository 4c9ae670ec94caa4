"""Content cache: a second run over unchanged files does no geometry work; a changed file or a
changed condition invalidates; rule options reuse the cached geometry; output is identical."""

from __future__ import annotations

import json

import pytest
import trimesh

from miniscan import runner
from miniscan.cache import Cache, file_result_from_dict, result_key
from miniscan.conditions import resolve
from miniscan.output.json_report import to_json
from miniscan.runner import RunOptions, check_paths

HEALTH = RunOptions(units="mm", families=("health",))


@pytest.fixture()
def repo(tmp_path):
    box = trimesh.creation.box(extents=(10, 8, 6))
    d = tmp_path / "repo"
    d.mkdir()
    for i in range(3):
        (d / f"box{i}.stl").write_bytes(box.copy().apply_scale(1 + i / 10).export(file_type="stl"))
    open_box = trimesh.Trimesh(box.vertices, box.faces[1:], process=False)
    (d / "open.stl").write_bytes(open_box.export(file_type="stl"))
    return d


def run(repo, cache, cond=None, opts=HEALTH):
    before = runner.STATS["models_checked"]
    rep = check_paths([str(repo)], cond or resolve("tabletop"), opts, cache=cache)
    return rep, runner.STATS["models_checked"] - before


def test_second_run_does_no_geometry_work_and_is_identical(repo, tmp_path):
    cache = Cache(tmp_path / "c")
    first, work1 = run(repo, cache)
    assert work1 == 4 and cache.stats()["writes"] == 4
    second, work2 = run(repo, cache)
    assert work2 == 0 and cache.hits == 4
    assert to_json(first, with_timings=False) == to_json(second, with_timings=False)
    assert all(fr.timings.get("cached") == 1.0 for fr in second.files)
    assert (tmp_path / "c" / "CACHEDIR.TAG").exists()


def test_changed_file_invalidates_only_that_file(repo, tmp_path):
    cache = Cache(tmp_path / "c")
    run(repo, cache)
    two = trimesh.util.concatenate([trimesh.creation.box(), trimesh.creation.box().apply_translation((5, 0, 0))])
    (repo / "box1.stl").write_bytes(two.export(file_type="stl"))
    rep, work = run(repo, cache)
    assert work == 1
    codes = {fr.path.rsplit("/", 1)[1]: [f.code for f in fr.findings] for fr in rep.files}
    assert codes["box1.stl"] == ["MS904"]


def test_changed_option_invalidates(repo, tmp_path):
    cache = Cache(tmp_path / "c")
    run(repo, cache)
    _, work = run(repo, cache, resolve("tabletop", distance="30cm"))
    assert work == 4
    _, work = run(repo, cache, opts=RunOptions(units="cm", families=("health",)))
    assert work == 4
    _, work = run(repo, cache, opts=RunOptions(units="mm", families=("health", "scale")))
    assert work == 4


def test_rule_options_reuse_the_cache(repo, tmp_path):
    cache = Cache(tmp_path / "c")
    full, _ = run(repo, cache)
    assert any(f.code == "MS901" for fr in full.files for f in fr.findings)
    ignored, work = run(repo, cache, opts=RunOptions(units="mm", families=("health",),
                                                     ignore=("MS901",)))
    assert work == 0
    assert not any(f.code == "MS901" for fr in ignored.files for f in fr.findings)
    raised, work = run(repo, cache, opts=RunOptions(units="mm", families=("health",),
                                                    severity=(("MS901", "error"),)))
    assert work == 0 and raised.exit_code() == 1


def test_corrupt_entry_is_a_miss_and_gets_rewritten(repo, tmp_path):
    cache = Cache(tmp_path / "c")
    run(repo, cache)
    for p in (tmp_path / "c").rglob("*.json"):
        p.write_text("{not json")
    _, work = run(repo, cache)
    assert work == 4
    _, work = run(repo, cache)
    assert work == 0


def test_same_content_elsewhere_is_a_hit_with_its_own_path(repo, tmp_path):
    cache = Cache(tmp_path / "c")
    run(repo, cache)
    other = tmp_path / "copy"
    other.mkdir()
    (other / "renamed.stl").write_bytes((repo / "open.stl").read_bytes())
    rep, work = run(other, cache)
    assert work == 0 and rep.files[0].path == str(other / "renamed.stl")
    assert [f.code for f in rep.files[0].findings] == ["MS901"]


def test_key_depends_on_every_input():
    c = resolve("tabletop").to_dict()
    k = result_key("abc", c, ("health",), None, 10)
    assert k != result_key("abd", c, ("health",), None, 10)
    assert k != result_key("abc", {**c, "finish": "gloss"}, ("health",), None, 10)
    assert k != result_key("abc", c, ("health", "edges"), None, 10)
    assert k != result_key("abc", c, ("health",), "mm", 10)
    assert k != result_key("abc", c, ("health",), None, 11)
    assert k == result_key("abc", dict(reversed(list(c.items()))), ("health",), None, 10)


def test_round_trip_of_a_result(repo):
    rep, _ = run(repo, None)
    for fr in rep.files:
        back = file_result_from_dict(json.loads(json.dumps(fr.to_dict())))
        assert back.to_dict() == fr.to_dict()


def test_cli_second_run_is_cached(repo, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from miniscan.cli import app

    monkeypatch.chdir(tmp_path)
    args = ["check", str(repo), "--select", "MS9", "--units", "mm", "-j", "1", "-f", "json"]
    a = CliRunner().invoke(app, args)
    before = runner.STATS["models_checked"]
    b = CliRunner().invoke(app, args)
    assert runner.STATS["models_checked"] == before
    assert json.loads(b.stdout)["timings"]["cache"]["hits"] == 4
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    da.pop("timings"), db.pop("timings")
    assert da == db and (tmp_path / ".miniscan_cache" / "CACHEDIR.TAG").exists()
    CliRunner().invoke(app, args + ["--no-cache"])
    assert runner.STATS["models_checked"] == before + 4


# ----------------------------------------------------------------- the environment (issue 14)


def test_a_result_made_without_gl_is_not_served_when_gl_works(tmp_path, monkeypatch):
    """Bug: `check` with MINISCAN_NO_GL=1 (or on a runner without GL) cached the silhouette
    family's `not-run` (and the specular family's skipped light orbit); the same check with GL
    and the same cache dir then served them, so MS401-MS403 went missing until --no-cache.
    Fixed at the root: both families ray-cast (raster.py), so without GL they run and give the
    very result they give with it; whatever is cached holds on any machine."""
    from miniscan.render import gl

    p = tmp_path / "figure.stl"
    body = trimesh.creation.box(extents=(6, 4, 20))
    spear = trimesh.creation.box(extents=(0.3, 0.3, 12)).apply_translation((4, 0, 12))
    p.write_bytes(trimesh.util.concatenate([body, spear]).export(file_type="stl"))
    opts = RunOptions(units="mm", families=("silhouette", "specular"))

    def run():
        gl.probe.cache_clear()
        fr = check_paths([str(p)], resolve("tabletop"), opts, cache=None).files[0]
        c = {r.family: r for r in fr.checks}
        return c, (c["silhouette"].status, c["specular"].metrics["orbit"]["status"])

    try:
        monkeypatch.setenv("MINISCAN_NO_GL", "1")
        without, st = run()
        assert st == ("ok", "ok")
        assert any(f.code == "MS401" for f in without["silhouette"].findings)
        monkeypatch.delenv("MINISCAN_NO_GL")
        with_gl, st = run()
        assert st == ("ok", "ok")
        for fam in ("silhouette", "specular"):
            assert without[fam].to_dict() == with_gl[fam].to_dict()
    finally:
        gl.probe.cache_clear()


def test_only_results_whose_every_family_ran_are_cached():
    from miniscan.cache import cacheable
    from miniscan.findings import CheckResult, FileResult

    ok = FileResult("a.stl", "ok", checks=(CheckResult("health"), CheckResult("edges")))
    assert cacheable(ok)
    for status in ("not-run", "error"):
        bad = FileResult("a.stl", "ok", checks=(CheckResult("health"), CheckResult("edges", status)))
        assert not cacheable(bad)
    assert not cacheable(FileResult("a.stl", "error", "file is empty"))


def test_key_depends_on_the_environment():
    from miniscan.cache import environment

    c = resolve("tabletop").to_dict()
    env = {"libraries": {"numpy": "2.0"}, "gl": True}
    k = result_key("abc", c, ("silhouette",), None, 10, None, env)
    assert k != result_key("abc", c, ("silhouette",), None, 10, None, {**env, "gl": False})
    assert k != result_key("abc", c, ("silhouette",), None, 10, None,
                           {**env, "libraries": {"numpy": "2.1"}})
    # GL is a fact only for the families that rasterise; libraries always are
    assert "gl" not in environment(("health", "edges"))
    assert set(environment(("health",))["libraries"]) >= {"numpy", "scipy", "trimesh"}
