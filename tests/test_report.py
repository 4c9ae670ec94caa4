"""The JSON contract: schema, determinism, select/ignore, exit codes."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import numpy as np
import pytest
import trimesh

import miniscan
from miniscan.conditions import resolve
from miniscan.findings import CheckResult, FileResult, Finding, Report
from miniscan.output.json_report import to_json
from miniscan.rules import FAMILIES, RULES, enabled, parse_codes
from miniscan.runner import RunOptions, check_paths


@pytest.fixture(scope="module")
def schema():
    with resources.files("miniscan.data").joinpath("report.schema.json").open() as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def mesh_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("meshes")
    # an open box (one face missing) and two separate bodies: health findings with locations
    box = trimesh.creation.box(extents=(10, 8, 6))
    open_box = trimesh.Trimesh(box.vertices, box.faces[1:], process=False)
    (d / "open_box.stl").write_bytes(open_box.export(file_type="stl"))
    two = trimesh.util.concatenate([box, box.copy().apply_translation([20, 0, 0])])
    (d / "two_bodies.ply").write_bytes(two.export(file_type="ply"))
    (d / "broken.stl").write_bytes(b"\0" * 80 + (5).to_bytes(4, "little"))
    return d


def _report(mesh_dir, **kw):
    return check_paths([str(mesh_dir)], resolve("tabletop"), RunOptions(units="mm", **kw))


def test_report_matches_schema(mesh_dir, schema):
    d = json.loads(to_json(_report(mesh_dir)))
    jsonschema.validate(d, schema)
    by = {f["path"].rsplit("/", 1)[1]: f for f in d["files"]}
    assert by["broken.stl"]["status"] == "error" and "truncated" in by["broken.stl"]["error"]
    codes = {x["code"] for c in by["open_box.stl"]["checks"] for x in c["findings"]}
    assert "MS901" in codes
    codes = {x["code"] for c in by["two_bodies.ply"]["checks"] for x in c["findings"]}
    assert "MS904" in codes
    assert d["summary"]["files"] == 3 and d["summary"]["errors"] == 1


def test_json_is_byte_identical_apart_from_timings(mesh_dir):
    a = to_json(_report(mesh_dir), with_timings=False)
    b = to_json(_report(mesh_dir), with_timings=False)
    assert a == b
    full = json.loads(to_json(_report(mesh_dir)))
    assert "timings" in full and json.loads(a).keys() == full.keys() - {"timings"}


def test_select_and_ignore(mesh_dir):
    only_9 = _report(mesh_dir, select=("MS901",))
    codes = {f.code for fr in only_9.files for f in fr.findings}
    assert codes == {"MS901"}
    none = _report(mesh_dir, ignore=("MS9",))
    assert not [f for fr in none.files for f in fr.findings if f.code.startswith("MS9")]


def test_rule_prefix_logic():
    assert enabled("MS201", (), ())
    assert not enabled("MS201", ("MS1",), ())
    assert enabled("MS201", ("MS2",), ("MS9",))
    assert not enabled("MS201", ("MS2",), ("MS201",))
    assert enabled("MS201", ("MS201",), ("MS2",))  # more specific select wins
    assert not enabled("MS201", ("MS2",), ("MS2",))  # a tie goes to ignore
    assert enabled("MS903", ("ALL",), ())
    assert parse_codes("ms2, MS301") == ("MS2", "MS301")
    with pytest.raises(ValueError):
        parse_codes("XX1")


def test_exit_codes_follow_fail_on():
    warn = Finding("MS901", "open", measured=1.0)
    info = Finding("MS903", "guessed")
    ok = FileResult("a", "ok", checks=(CheckResult("health", findings=(warn, info)),))
    r = Report("0", {}, (ok,))
    assert r.exit_code("error") == 0
    assert r.exit_code("warning") == 1
    assert r.exit_code("info") == 1
    assert r.exit_code("never") == 0
    bad = FileResult("b", "error", "broken")
    assert Report("0", {}, (ok, bad)).exit_code("never") == 2


def test_every_rule_has_a_family_and_severity():
    for code, rule in RULES.items():
        assert code == rule.code and rule.severity in ("info", "warning", "error")
        assert rule.family in FAMILIES


def test_python_api_on_model_and_path(mesh_dir):
    m = miniscan.load(mesh_dir / "open_box.stl", units="mm")
    r = miniscan.check(m, profile="display", finish="gloss")
    assert r.conditions["finish"] == "gloss"
    assert any(f.code == "MS901" for f in r.files[0].findings)
    r2 = miniscan.check(mesh_dir / "two_bodies.ply", units="mm", select="MS904")
    assert [f.code for f in r2.files[0].findings] == ["MS904"]


def test_python_api_runs_only_the_families_a_selection_needs(mesh_dir):
    # the API narrows the run as the CLI does: selecting health codes must not pay for the
    # eight realism families only to drop their findings
    r = miniscan.check(mesh_dir / "two_bodies.ply", units="mm", select="MS9")
    ran = set(r.files[0].timings) - {"load", "views", "total"}
    assert ran == {"health"}
    full = miniscan.check(mesh_dir / "two_bodies.ply", units="mm", select="MS9,MS2")
    assert {"health", "edges"} <= set(full.files[0].timings)


def test_health_degenerate_faces_reported_with_location():
    v = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10], [5, 0, 0]], float)
    f = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3], [0, 4, 1]])  # last is degenerate
    from miniscan.model import from_arrays

    r = miniscan.check(from_arrays(v, f), select="MS902")
    (fd,) = r.files[0].findings
    assert fd.measured == 1 and fd.location.faces == (4,)
