"""Print size (--height/--width/--length, or in config): the model is scaled to the size it
will be printed before anything is measured, in one place (runner.to_print_size)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from typer.testing import CliRunner

from miniscan.cli import app
from miniscan.printsize import PrintSize, PrintSizeError, extent, from_options

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _figure(k: float = 1.0) -> trimesh.Trimesh:
    """A block 20 mm tall (x 8, y 5 wide) with a thin rod: razor edges and a thin part.
    Scaled by k (k a power of two keeps every coordinate exact)."""
    body = trimesh.creation.box((8.0, 5.0, 16.0)).subdivide().subdivide().subdivide()
    body.apply_translation((0.0, 0.0, 8.0))
    rod = trimesh.creation.cylinder(0.15, 8.0, sections=12)
    rod.apply_translation((3.0, 0.0, 16.0))  # rod top at z = 20
    m = trimesh.util.concatenate([body, rod])
    m.apply_scale(k)
    return m


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("size")
    _figure(1.0).export(d / "true.stl")
    _figure(0.5).export(d / "half.stl")  # the same figure exported in "other units"
    return d


def _findings(doc: dict) -> list[dict]:
    return [f for c in doc["files"][0]["checks"] for f in c["findings"]]


def test_parsing_and_one_size_at_a_time():
    assert from_options() is None
    assert from_options(height="32mm") == PrintSize("height", 32.0)
    assert from_options(width="3.2cm") == PrintSize("width", 32.0)
    assert from_options(length=25) == PrintSize("length", 25.0)
    with pytest.raises(PrintSizeError, match="one print size"):
        from_options(height="32mm", width="10mm")
    with pytest.raises(PrintSizeError, match="--height"):
        from_options(height="tall")


def test_axes_follow_the_front():
    v = np.array([[0.0, 0.0, 0.0], [2.0, 3.0, 5.0]])
    assert extent(v, "height") == 5.0
    assert extent(v, "width", "-y") == 2.0 and extent(v, "length", "-y") == 3.0
    assert extent(v, "width", "+x") == 3.0 and extent(v, "length", "+x") == 2.0


def test_a_model_in_other_units_checks_exactly_like_the_true_size(files):
    """Half-size file + --height 20mm gives the findings of the true-size file, place for
    place; the report echoes the factor and the requested size."""
    common = ("--isolated", "--no-cache", "--select", "MS2,MS5", "-f", "json")
    a = run("check", files / "true.stl", *common)
    b = run("check", files / "half.stl", "--height", "20mm", *common)
    assert a.exit_code in (0, 1) and b.exit_code in (0, 1), b.output
    da, db = json.loads(a.output), json.loads(b.output)
    assert _findings(da), "the figure should have findings to compare"
    assert _findings(da) == _findings(db)
    ps = db["files"][0]["mesh"]["print_size"]
    assert ps == {"axis": "height", "target_mm": 20.0, "before_mm": 10.0, "factor": 2.0}
    assert db["files"][0]["mesh"]["bbox_mm"][2] == pytest.approx(20.0)
    assert db["conditions"]["print_size"] == {"axis": "height", "mm": 20.0}
    assert da["files"][0]["mesh"]["print_size"] is None


def test_units_apply_first_and_the_units_guess_is_dropped(files):
    """--units cm then --height: same size (the print size fixes it), a smaller factor; and
    no MS903 'units guessed' without --units either, since the size no longer depends on it."""
    common = ("--isolated", "--no-cache", "--select", "MS9", "-f", "json")
    cm = json.loads(run("check", files / "half.stl", "--units", "cm", "--height", "20mm",
                        *common).output)
    guess = json.loads(run("check", files / "half.stl", "--height", "20mm", *common).output)
    plain = json.loads(run("check", files / "half.stl", *common).output)
    assert cm["files"][0]["mesh"]["print_size"]["factor"] == pytest.approx(0.2)
    assert cm["files"][0]["mesh"]["bbox_mm"][2] == pytest.approx(20.0)
    assert "MS903" in {f["code"] for f in _findings(plain)}
    assert "MS903" not in {f["code"] for f in _findings(guess)}


def test_usage_errors_exit_2_before_any_work(files):
    r = run("check", files / "half.stl", "--height", "20mm", "--length", "3cm")
    assert r.exit_code == 2 and "one print size" in r.output
    r = run("check", files / "half.stl", "--width", "wide")
    assert r.exit_code == 2 and "--width" in r.output


def test_config_print_size_and_the_command_line_replaces_it(files, tmp_path):
    import shutil

    shutil.copy(files / "half.stl", tmp_path / "half.stl")
    (tmp_path / "miniscan.toml").write_text('width = "16mm"\n')
    common = ("--no-cache", "--select", "MS9", "-f", "json")
    d = json.loads(run("check", tmp_path / "half.stl", *common).output)
    assert d["files"][0]["mesh"]["print_size"]["axis"] == "width"
    assert d["files"][0]["mesh"]["bbox_mm"][0] == pytest.approx(16.0)
    d = json.loads(run("check", tmp_path / "half.stl", "--height", "20mm", *common).output)
    assert d["files"][0]["mesh"]["print_size"]["axis"] == "height"  # not both
    (tmp_path / "miniscan.toml").write_text('width = "16mm"\nheight = "20mm"\n')
    r = run("check", tmp_path / "half.stl", *common)
    assert r.exit_code == 2 and "one print size" in r.output


def test_the_cache_keeps_sizes_apart(files, tmp_path):
    common = ("--isolated", "--cache-dir", tmp_path / "cache", "--select", "MS9", "-f", "json")
    a = json.loads(run("check", files / "half.stl", *common).output)
    b = json.loads(run("check", files / "half.stl", "--height", "20mm", *common).output)
    assert a["files"][0]["mesh"]["bbox_mm"][2] == pytest.approx(10.0)
    assert b["files"][0]["mesh"]["bbox_mm"][2] == pytest.approx(20.0)
    assert b["files"][0]["mesh"]["print_size"]["factor"] == 2.0  # echoed from the cache too
    c = json.loads(run("check", files / "half.stl", "--height", "20mm", *common).output)
    assert c["files"][0]["mesh"] == b["files"][0]["mesh"]


def test_help_teaches_the_print_size():
    r = run("check", "--help")
    for opt in ("--height", "--width", "--length"):
        assert opt in r.output
    assert "prints this tall" in r.output and "mm unless suffixed" in r.output
