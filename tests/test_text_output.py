"""The text report a person acts on: linter lines with the place, full and concise styles,
--statistics, and plain unwrapped text when piped."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest
import trimesh

from miniscan.findings import CheckResult, FileResult, Finding, Location, MeshInfo, Place, Report
from miniscan.output import format_report
from miniscan.output.text import holds_text, place_text, statistics

LINTER = re.compile(r"^(?P<file>[^:]+): (?P<place>[^:]+): (?P<code>MS\d{3}) "
                    r"(?P<sev>error|warning|info) (?P<name>[a-z-]+): (?P<msg>.+)$")
LONG = ("a long message " * 20).strip()  # far wider than any terminal: must never be wrapped


def _report() -> Report:
    mi = MeshInfo("stl", 100, 60, 1, "mm", False, (10.0, 10.0, 30.0), True, 0.5,
                  parts=("body", "shield"))
    loc = Location((3.14, -7.36, 12.0), part="shield", faces=(1, 2), view="front")
    razor = Finding("MS201", "90° edge " + LONG, measured=0.05, measured_range=(0.02, 0.08),
                    threshold=0.24, unit="mm", location=loc, advice="Bevel to ≥ 0.24 mm.",
                    count=3, holds_mm=(380.0, math.inf),
                    places=(Place(loc, 0.05), Place(Location((1.0, 2.0, 3.0), "shield", view="left"), 0.1),
                            Place(Location((4.0, 5.0, 6.0), "shield", view="top"), 0.2)))
    whole = Finding("MS904", "2 separate bodies", measured=2.0, threshold=1.0, unit="bodies")
    view_only = Finding("MS403", "view back reads poorly", location=Location(view="back"))
    checks = (CheckResult("edges", findings=(razor,)),
              CheckResult("health", findings=(whole,)),
              CheckResult("silhouette", findings=(view_only,)),
              CheckResult("specular", "not-run", "no OpenGL"))
    return Report("0", {}, (FileResult("goblin.stl", "ok", None, mi, checks),
                            FileResult("bad.stl", "error", "file is empty")))


def test_place_names_part_centroid_and_view():
    assert place_text(Location((3.14, -7.36, 12.0), part="shield", view="front")) == \
        "part 'shield' at (3.1, -7.4, 12.0) mm, front"
    assert place_text(Location((1.0, 2.0, 3.0))) == "at (1.0, 2.0, 3.0) mm"
    assert place_text(Location(view="back")) == "back view"
    assert place_text(Location()) == "whole model"


def test_holds_in_words():
    assert holds_text(None) is None
    assert holds_text((380.0, math.inf)) == "holds from 380 mm on"
    assert holds_text((0.0, 1200.0)) == "holds up to 1.2 m"
    assert holds_text((150.0, 900.0)) == "holds from 150 mm to 900 mm"
    assert holds_text((0.0, None)) == "holds at every viewing distance"


def test_concise_is_one_linter_line_per_finding():
    text = format_report(_report(), "concise")
    lines = text.splitlines()
    finding_lines = [ln for ln in lines if LINTER.match(ln)]
    assert len(finding_lines) == 3
    assert "goblin.stl: specular not-run: no OpenGL" in lines[3:]  # after the linter lines
    m = LINTER.match(lines[0])
    assert m and m["place"] == "part 'shield' at (3.1, -7.4, 12.0) mm, front" and m["code"] == "MS201"
    assert m["msg"].endswith(LONG + " (×3 places)")
    assert "fix:" not in text and "places (worst first)" not in text
    assert lines[-1].startswith("2 file(s), 1 unreadable; findings: 0 error, 1 warning, 2 info")


def test_full_adds_measurement_distances_fix_and_every_place():
    text = format_report(_report(), "text")
    assert text == format_report(_report(), "full")
    assert "    measured 0.05 mm (0.02–0.08), threshold 0.24 mm" in text
    assert "    holds from 380 mm on" in text
    assert "    fix: Bevel to ≥ 0.24 mm." in text
    for p in ("1. part 'shield' at (3.1, -7.4, 12.0) mm, front: 0.05 mm",
              "2. part 'shield' at (1.0, 2.0, 3.0) mm, left: 0.1 mm",
              "3. part 'shield' at (4.0, 5.0, 6.0) mm, top: 0.2 mm"):
        assert p in text
    assert re.search(r"^goblin\.stl +ok \(specular not run\) +0 +1 +2$", text, re.M)
    assert re.search(r"^bad\.stl +unreadable$", text, re.M)
    # the findings come first, worst first: a linter's lines
    assert LINTER.match(text.splitlines()[0])["code"] == "MS201"


def test_statistics_count_findings_and_places_per_code():
    rows = statistics(_report())
    assert [(r["code"], r["findings"], r["places"]) for r in rows] == \
        [("MS201", 1, 3), ("MS403", 1, 1), ("MS904", 1, 1)]
    text = format_report(_report(), "text", statistics=True)
    assert text.splitlines()[0].split() == ["1", "3", "place(s)", "MS201", "warning", "razor-edge"]
    assert json.loads(format_report(_report(), "json", statistics=True)) == rows
    with pytest.raises(ValueError):
        format_report(_report(), "sarif", statistics=True)


@pytest.fixture(scope="module")
def mesh_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("text")
    box = trimesh.creation.box((10, 8, 6))
    trimesh.Trimesh(box.vertices, box.faces[1:], process=False).export(d / "open.stl")
    return d


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miniscan", "check", *map(str, args),
                           "--isolated", "--no-cache", "--select", "MS9"],
                          capture_output=True, text=True)


def test_piped_text_starts_with_linter_lines_and_is_plain(mesh_dir):
    p = _cli(mesh_dir, "--units", "mm")
    assert p.returncode == 0, p.stderr
    assert "\x1b[" not in p.stdout
    m = LINTER.match(p.stdout.splitlines()[0])
    assert m and m["file"].endswith("open.stl") and m["code"] == "MS901"
    c = _cli(mesh_dir, "--units", "mm", "--output-format", "concise")
    assert all(LINTER.match(ln) for ln in c.stdout.splitlines()[:-1])
    s = _cli(mesh_dir, "--units", "mm", "--statistics")
    assert "MS901" in s.stdout and "fix:" not in s.stdout
    bad = _cli(mesh_dir, "--statistics", "-f", "sarif")
    assert bad.returncode == 2 and "--statistics prints text or json" in bad.stderr
