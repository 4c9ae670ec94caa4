"""The HTML report in a real browser: headless Chromium loads it from file://, every image
decodes, nothing is logged to the console, and a 1280 px screenshot is taken."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-extensions", "--disable-sync", "--mute-audio"]


def _chromium(url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    prof = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={prof}", "--enable-logging=stderr",
                           "--v=0", "--virtual-time-budget=5000", *extra, url],
                          capture_output=True, text=True, timeout=120)


def console_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


def status(dom: str) -> dict:
    m = re.search(r'<div id="miniscan-status"([^>]*)>', dom)
    assert m, "status marker missing from the DOM"
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', m.group(1)))


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, gl_ok):
    import trimesh

    d = tmp_path_factory.mktemp("html")
    body = trimesh.creation.box((10.0, 6.0, 20.0))
    spear = trimesh.creation.cylinder(0.2, 10.0, sections=12)
    spear.apply_translation((3.0, 0.0, 15.0))
    trimesh.util.concatenate([body, spear]).export(d / "figure.stl")
    trimesh.creation.icosphere(3, 8.0).export(d / "ball.stl")
    out = d / "report.html"
    r = subprocess.run([sys.executable, "-m", "miniscan", "report", str(d), "--out", str(out),
                        "--size", "640", "--views", "front,top"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return out


def test_report_is_self_contained(report_file):
    text = report_file.read_text(encoding="utf-8")
    assert "<table" in text and "figure.stl" in text and "ball.stl" in text
    srcs = re.findall(r'<img[^>]+src="([^"]+)"', text)
    assert len(srcs) >= 6
    assert all(s.startswith("data:image/") for s in srcs)
    assert not re.search(r'(src|href)="(https?:)?//', text)  # no network, not even a font
    assert "<link" not in text
    # the findings table is sortable and numbered from 1 in each file section
    assert 'class="sortable findings"' in text
    assert "Conditions used" in text and "resolvable_mm" in text


def test_chromium_loads_it_without_console_errors(report_file, tmp_path):
    r = _chromium(report_file.as_uri(), tmp_path, "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    assert console_lines(r.stderr) == []
    st = status(r.stdout)
    assert st.get("ok") == "1", st
    assert int(st["images"]) >= 6 and st["decoded"] == st["images"]


def test_screenshot_at_1280(report_file, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    r = _chromium(report_file.as_uri(), tmp_path, f"--screenshot={shot}",
                  "--window-size=1280,2400", "--hide-scrollbars")
    assert r.returncode == 0 and shot.is_file(), r.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[1] == 1280
    ink = (np.abs(img.astype(int) - 255).max(axis=2) > 40).mean()
    assert 0.02 < ink < 0.9  # a page with text and pictures, not blank, not an error colour


def test_the_checker_catches_a_broken_page(tmp_path):
    """The detector can fail: a console error and an undecodable image are both caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><div id="miniscan-status" hidden></div>'
                   '<img src="data:image/png;base64,AAAA">'
                   "<script>window.addEventListener('load',function(){var i=document.images[0];"
                   "var m=document.getElementById('miniscan-status');"
                   "m.setAttribute('data-ok',i.naturalWidth>0?'1':'0');});nope();</script>"
                   "</body></html>", encoding="utf-8")
    r = _chromium(bad.as_uri(), tmp_path, "--dump-dom")
    assert any("nope is not defined" in ln for ln in console_lines(r.stderr))
    assert status(r.stdout).get("ok") == "0"


def test_unreadable_file_and_escaping_in_html():
    from miniscan.findings import CheckResult, FileResult, Finding, Location, MeshInfo, Report
    from miniscan.output.html import render_html

    mi = MeshInfo("stl", 12, 8, 1, "mm", False, (1.0, 2.0, 3.0), True, 1.0)
    f = Finding("MS201", "<script>alert(1)</script> edge", measured=0.1, threshold=0.2, unit="mm",
                location=Location((1.0, 2.0, 3.0)))
    rep = Report("0", {"profile": "tabletop"}, (
        FileResult("a.stl", "ok", None, mi, (CheckResult("edges", "ok", None,
                                                         {"chains": [{"a": 1}]}, (f,)),)),
        FileResult("missing.stl", "error", "no such file")))
    html = render_html(rep)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "Could not be checked: no such file" in html
    assert html.count('<span class="n"') == 1
