"""Batches: shards cover every file exactly once, a process pool returns results in stable
order identical to a serial run, globs and config excludes pick the right files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from miniscan.cli import app
from miniscan.conditions import resolve
from miniscan.output.json_report import to_json
from miniscan.runner import RunOptions, check_paths, collect_files, parse_shard, shard_files

cli = CliRunner()


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    box = trimesh.creation.box(extents=(10, 8, 6))
    for i, rel in enumerate(("a/one.stl", "a/two.obj", "b/c/three.ply", "four.stl", "b/five.stl",
                             "archive/old.stl")):
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        m = box.copy().apply_scale(1 + i / 7)
        if i % 2:
            m = trimesh.Trimesh(m.vertices, m.faces[1:], process=False)  # MS901
        p.write_bytes(m.export(file_type=rel.rsplit(".", 1)[1]).encode()
                      if rel.endswith(".obj") else m.export(file_type=rel.rsplit(".", 1)[1]))
    (d / "a" / "readme.txt").write_text("skip me")
    return d


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=0, max_size=40), st.integers(1, 7))
def test_shards_cover_every_file_exactly_once(tmp_path_factory, sizes, n):
    d = tmp_path_factory.mktemp("shard")
    files = []
    for k, s in enumerate(sizes):
        p = d / f"m{k:03d}.stl"
        p.write_bytes(b"x" * s)
        files.append(str(p))
    shards = [shard_files(files, i, n) for i in range(1, n + 1)]
    flat = [f for s in shards for f in s]
    assert sorted(flat) == sorted(files) and len(flat) == len(files)
    for s in shards:  # each shard keeps the input order
        assert s == [f for f in files if f in set(s)]
    assert shards == [shard_files(files, i, n) for i in range(1, n + 1)]  # deterministic
    if sizes:  # balanced: no shard exceeds the ideal by more than the largest file
        loads = [sum(os.path.getsize(f) + 1 for f in s) for s in shards]
        assert max(loads) <= sum(loads) / n + max(sizes) + 1


def test_shards_1_2_3_of_3_on_a_tree(tree):
    files = collect_files([tree])
    got = [shard_files(files, i, 3) for i in (1, 2, 3)]
    assert sorted(f for s in got for f in s) == sorted(files) and all(got)


@pytest.mark.parametrize("bad", ["0/3", "4/3", "1/0", "x", "1/2/3", ""])
def test_bad_shard_spec(bad):
    with pytest.raises(ValueError):
        parse_shard(bad)


def test_collect_files_globs_and_exclude(tree):
    everything = collect_files([tree])
    assert len(everything) == 6 and everything == sorted(everything)
    stl = collect_files([str(tree / "**" / "*.stl")])
    assert sorted(os.path.basename(f) for f in stl) == ["five.stl", "four.stl", "old.stl", "one.stl"]
    no_archive = collect_files([tree], exclude=lambda f: "/archive/" in f)
    assert len(no_archive) == 5
    # a file named explicitly is kept even if the exclude would drop it
    assert collect_files([tree / "archive" / "old.stl"], exclude=lambda f: True)


def test_pool_matches_serial_in_stable_order(tree):
    cond = resolve("tabletop")
    opts = RunOptions(units="mm", families=("health",))
    heard = []
    serial = check_paths([tree], cond, opts, jobs=1, timeout=0,
                         progress=lambda p, i, n: heard.append((p, i, n)))
    seen = []
    pooled = check_paths([tree], cond, opts, jobs=2,
                         progress=lambda p, i, n: seen.append((p, i, n)))
    assert to_json(serial, with_timings=False) == to_json(pooled, with_timings=False)
    # every file is heard when it starts and when it ends, then once more at the end
    assert seen[-1] == heard[-1] == ("", 6, 6) and len(seen) == len(heard) == 2 * 6 + 1


def test_cli_shards_and_config_exclude(tree, monkeypatch):
    (tree / "miniscan.toml").write_text('exclude = ["archive/"]\nunits = "mm"\n')
    monkeypatch.chdir(tree)
    try:
        paths = []
        for i in (1, 2, 3):
            r = cli.invoke(app, ["check", ".", "--select", "MS9", "--no-cache", "--fail-on",
                                 "never", "--shard", f"{i}/3", "-f", "json"])
            assert r.exit_code == 0, r.output
            d = json.loads(r.stdout)
            assert d["timings"]["shard"] == f"{i}/3"
            paths += [f["path"] for f in d["files"]]
        assert sorted(paths) == ["a/one.stl", "a/two.obj", "b/c/three.ply", "b/five.stl",
                                 "four.stl"]
    finally:
        (tree / "miniscan.toml").unlink()


def test_cli_usage_errors(tree):
    for args in (["--shard", "5/3"], ["--jobs", "-1"], ["--format", "xml"]):
        r = cli.invoke(app, ["check", str(tree), "--no-cache", *args])
        assert r.exit_code == 2, args


def test_spawned_pool_runs_every_family_like_a_serial_run(tmp_path, gl_ok):
    """The workers are spawned processes that import everything afresh (open3d, VTK on EGL,
    the rasteriser): every family must run there exactly as in this process, and the report
    must be byte-identical to a serial run's, in input order."""
    from miniscan import runner
    from miniscan.checks import families

    body = trimesh.creation.box(extents=(6, 4, 20))
    spear = trimesh.creation.cylinder(0.15, 12, sections=10).apply_translation((4, 0, 12))
    (tmp_path / "b_figure.stl").write_bytes(
        trimesh.util.concatenate([body, spear]).export(file_type="stl"))
    ripples = trimesh.creation.icosphere(4, radius=5.0)
    z = ripples.vertices[:, 2]
    ripples.vertices += ripples.vertex_normals * (0.05 * np.sin(2 * np.pi * z / 1.0))[:, None]
    (tmp_path / "a_ripples.ply").write_bytes(ripples.export(file_type="ply"))
    cond = resolve("tabletop")
    opts = RunOptions(units="mm")
    serial = check_paths([tmp_path], cond, opts, jobs=1)
    before = runner.STATS["models_checked"]
    pooled = check_paths([tmp_path], cond, opts, jobs=2, pool_min=2)
    assert runner.STATS["models_checked"] == before, "the pool should have done the work"
    assert to_json(serial, with_timings=False) == to_json(pooled, with_timings=False)
    for fr in pooled.files:
        assert [c.family for c in fr.checks] == list(families())
        assert all(c.status == "ok" for c in fr.checks), [(c.family, c.reason) for c in fr.checks]
    assert [fr.path.rsplit("/", 1)[1] for fr in pooled.files] == ["a_ripples.ply", "b_figure.stl"]


def test_a_crashing_family_is_one_plain_line_and_the_others_still_run(monkeypatch):
    """A bug in one family reports which family, that the rest ran, and what to do — not numpy's
    bare text — and never hides the other families' results."""
    import miniscan.runner as runner
    from miniscan.model import from_arrays
    from miniscan.runner import run_checks

    real = runner.family_runner

    def broken(fam):
        if fam != "scale":
            return real(fam)

        def boom(model, conditions, analysis):
            raise ValueError("repeats may not contain\nnegative values")
        return boom

    monkeypatch.setattr(runner, "family_runner", broken)
    box = trimesh.creation.box((20.0, 10.0, 5.0))
    results, _ = run_checks(from_arrays(box.vertices, box.faces), resolve("tabletop"),
                            RunOptions(units="mm", families=("health", "scale")), views=False)
    by = {r.family: r for r in results}
    assert by["health"].status == "ok"
    err = by["scale"]
    assert err.status == "error" and "\n" not in err.reason
    assert err.reason.startswith("the scale check could not measure this mesh")
    assert "other families ran" in err.reason and "negative values" in err.reason


def test_edges_beside_the_other_families_gives_the_serial_report(tmp_path, monkeypatch, gl_ok):
    """A large model runs the edges family in a second thread (runner.OVERLAP_FACES): the
    report must be byte-identical to the one-thread run, families in their usual order, and a
    crash in the threaded family is still its one-line failure."""
    from miniscan import runner
    from miniscan.checks import families

    body = trimesh.creation.box(extents=(6, 4, 20))
    spear = trimesh.creation.cylinder(0.15, 12, sections=10).apply_translation((4, 0, 12))
    ripples = trimesh.creation.icosphere(4, radius=5.0).apply_translation((20, 0, 0))
    z = ripples.vertices[:, 2]
    ripples.vertices += ripples.vertex_normals * (0.05 * np.sin(2 * np.pi * z / 1.0))[:, None]
    (tmp_path / "figure.stl").write_bytes(
        trimesh.util.concatenate([body, spear, ripples]).export(file_type="stl"))
    cond, opts = resolve("tabletop"), RunOptions(units="mm")
    monkeypatch.setattr(runner, "OVERLAP_FACES", 10 ** 12)
    serial = check_paths([tmp_path], cond, opts, jobs=1)
    monkeypatch.setattr(runner, "OVERLAP_FACES", 0)
    overlapped = check_paths([tmp_path], cond, opts, jobs=1)
    assert to_json(serial, with_timings=False) == to_json(overlapped, with_timings=False)
    assert [c.family for c in overlapped.files[0].checks] == list(families())
    assert all(c.status == "ok" for c in overlapped.files[0].checks)

    real = runner.family_runner
    threads = []

    def broken(fam):
        if fam != "edges":
            return real(fam)

        def boom(model, conditions, analysis):
            import threading

            threads.append(threading.current_thread() is threading.main_thread())
            raise ValueError("boom")
        return boom

    monkeypatch.setattr(runner, "family_runner", broken)
    crashed = check_paths([tmp_path], cond, opts, jobs=1).files[0].checks
    by = {c.family: c for c in crashed}
    assert by["edges"].status == "error" and "\n" not in by["edges"].reason
    assert all(c.status == "ok" for f, c in by.items() if f != "edges")
    assert threads == [False]  # it did run beside the others


def test_test_workers_pin_native_threads_as_the_pool_does():
    """Two test workers on two cores each running OpenMP/BLAS pools oversubscribe them, and
    OpenMP's spin-waiting then turned a 0.85 s oracle render into minutes (tests/conftest.py)."""
    from miniscan.pool import THREAD_VARS

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("only test workers are pinned (scripts/test.sh runs one per core)")
    assert all(os.environ.get(v) for v in THREAD_VARS), {v: os.environ.get(v) for v in THREAD_VARS}
