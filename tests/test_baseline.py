"""Baselines: an unchanged repository passes; one new defect fails (exit 1) and is the only
finding reported; matching is per file and code, by location within a tolerance, one to one."""

from __future__ import annotations

import json

import pytest
import trimesh
from typer.testing import CliRunner

from miniscan.baseline import apply_baseline, load_baseline
from miniscan.cli import app
from miniscan.findings import CheckResult, FileResult, Finding, Location, MeshInfo, Report
from miniscan.output.json_report import to_json

cli = CliRunner()
INFO = MeshInfo("stl", 12, 8, 1, "mm", False, (30.0, 40.0, 0.0), True, 7.0)  # diagonal 50 mm


def rep(*findings, path="a.stl") -> Report:
    fr = FileResult(path, "ok", None, INFO, (CheckResult("edges", "ok", None, {}, tuple(findings)),))
    return Report("0.1.0", {}, (fr,))


def razor(x, y=0.0):
    return Finding("MS201", "razor", location=Location((x, y, 0.0)))


def baseline_of(report, tmp_path):
    p = tmp_path / "b.json"
    p.write_text(to_json(report))
    return load_baseline(p)


def test_unchanged_findings_are_all_known(tmp_path):
    r = rep(razor(1), razor(10), Finding("MS901", "open"))
    out, n = apply_baseline(r, baseline_of(r, tmp_path))
    assert n == 3 and out.files[0].findings == []


def test_location_tolerance_two_percent_of_diagonal(tmp_path):
    base = baseline_of(rep(razor(0)), tmp_path)
    _, n = apply_baseline(rep(razor(0.9)), base)      # within 1 mm (2% of 50 mm)
    assert n == 1
    out, n = apply_baseline(rep(razor(1.1)), base)    # beyond: a new defect
    assert n == 0 and len(out.files[0].findings) == 1


def test_matching_is_one_to_one_and_per_code_and_file(tmp_path):
    base = baseline_of(rep(razor(0)), tmp_path)
    out, n = apply_baseline(rep(razor(0), razor(0.1)), base)  # a second razor edge nearby
    assert n == 1 and len(out.files[0].findings) == 1
    out, n = apply_baseline(rep(Finding("MS202", "soft", location=Location((0.0, 0.0, 0.0)))), base)
    assert n == 0
    out, n = apply_baseline(rep(razor(0), path="b.stl"), base)
    assert n == 0
    _, n = apply_baseline(rep(razor(0), path="./a.stl"), base)  # same file, spelled differently
    assert n == 1


def test_nearest_pairs_first(tmp_path):
    base = baseline_of(rep(razor(0), razor(0.8)), tmp_path)
    out, n = apply_baseline(rep(razor(0.75), razor(1.7)), base)
    # greedy-by-distance: 0.75 takes 0.8, then 1.7 is 1.7 from 0 -> new
    assert n == 1 and [f.location.centroid_mm[0] for f in out.files[0].findings] == [1.7]


# --------------------------------------------------------------------------- end to end


@pytest.fixture()
def repo(tmp_path):
    box = trimesh.creation.box(extents=(10, 8, 6))
    d = tmp_path / "repo"
    d.mkdir()
    (d / "box.stl").write_bytes(box.export(file_type="stl"))
    open_box = trimesh.Trimesh(box.vertices, box.faces[1:], process=False)
    (d / "open.stl").write_bytes(open_box.export(file_type="stl"))  # a known MS901
    return d


def check(repo, *extra):
    return cli.invoke(app, ["check", str(repo), "--select", "MS9", "--units", "mm", "-j", "1",
                            "--fail-on", "info", "--no-cache", *map(str, extra)])


def test_baseline_end_to_end(repo, tmp_path):
    b = tmp_path / "baseline.json"
    assert check(repo).exit_code == 1                   # the known defect fails without it
    w = check(repo, "--baseline", b, "--write-baseline")
    assert w.exit_code == 0 and "wrote baseline" in w.stderr
    assert len(json.loads(b.read_text())["files"]) == 2
    same = check(repo, "--baseline", b, "--format", "json")
    assert same.exit_code == 0, same.output             # unchanged repo passes
    assert json.loads(same.stdout)["summary"]["findings_by_severity"] == \
        {"error": 0, "warning": 0, "info": 0}
    assert "already in the baseline" in same.stderr
    # one new defect: a second body in the clean box
    box = trimesh.creation.box(extents=(10, 8, 6))
    two = trimesh.util.concatenate([box, box.copy().apply_translation((30, 0, 0))])
    (repo / "box.stl").write_bytes(two.export(file_type="stl"))
    new = check(repo, "--baseline", b, "--format", "json")
    assert new.exit_code == 1
    found = [(f["path"].rsplit("/", 1)[1], x["code"]) for f in json.loads(new.stdout)["files"]
             for c in f["checks"] for x in c["findings"]]
    assert found == [("box.stl", "MS904")]


def test_missing_baseline_is_a_usage_error(repo, tmp_path):
    r = check(repo, "--baseline", tmp_path / "nope.json")
    assert r.exit_code == 2 and "--write-baseline" in r.stderr
    assert check(repo, "--write-baseline").exit_code == 2
