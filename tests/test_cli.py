"""The command line end to end: help, profiles, info, check, exit codes, piping."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import trimesh
from typer.testing import CliRunner

from miniscan.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def meshes(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    box = trimesh.creation.box(extents=(10, 8, 6))
    (d / "box.stl").write_bytes(box.export(file_type="stl"))
    open_box = trimesh.Trimesh(box.vertices, box.faces[1:], process=False)
    (d / "open.obj").write_text(open_box.export(file_type="obj"))
    (d / "notes.txt").write_text("not a mesh: directory walks skip it")
    return d


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_a_timeout_that_is_not_a_finite_number_is_a_usage_error(meshes):
    for bad in ("nan", "inf", "-1"):
        r = run("check", meshes / "box.stl", "--timeout", bad, "--no-cache")
        assert r.exit_code == 2, (bad, r.output)
        assert r.stderr.strip() == ("miniscan: error: --timeout must be 0 (no limit) or a "
                                    "finite number of seconds")


def test_help_teaches_every_option():
    r = run("check", "--help")
    assert r.exit_code == 0
    for opt in ("--profile", "--scale", "--distance", "--finish", "--printer", "--paint",
                "--units", "--select", "--ignore", "--fail-on", "--format", "--output"):
        assert opt in r.output
    assert "mm unless" in r.output  # units are taught


def test_help_and_profiles_are_instant():
    for args in (["--help"], ["profiles"]):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "miniscan", *args], capture_output=True, text=True)
        dt = time.perf_counter() - t
        assert p.returncode == 0, p.stderr
        assert dt < 3.0, f"{args} took {dt:.2f} s"
    code = ("import sys, miniscan.cli; "
            "print(any(m in sys.modules for m in ('open3d', 'pyvista', 'trimesh', 'vtk', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "False", "cli import must not load heavy libraries"


def test_profiles_table_and_json():
    r = run("profiles")
    assert r.exit_code == 0
    for name in ("tabletop", "display", "scale-model-1-35", "figure-1-6", "railway-ho", "macro-photo"):
        assert name in r.output
    assert "0.1454" in r.output  # tabletop resolves 0.1454 mm
    rows = json.loads(run("profiles", "--format", "json").output)
    assert {r["profile"]: r["resolvable_mm"] for r in rows}["display"] == pytest.approx(0.0727, abs=1e-4)


def test_info(meshes):
    r = run("info", meshes / "box.stl", "--units", "mm")
    assert r.exit_code == 0
    for word in ("stl-binary", "12 / 8", "10.00 × 8.00 × 6.00 mm", "watertight", "yes",
                 "0.1454 mm", "56.0 cm"):
        assert word in r.output, word
    d = json.loads(run("info", meshes / "box.stl", "--format", "json").output)[0]
    assert d["units_guessed"] is True and d["faces"] == 12


def test_check_exit_codes(meshes):
    assert run("check", meshes / "box.stl", "--units", "mm").exit_code == 0
    # the open box has a warning-level MS901
    assert run("check", meshes / "open.obj", "--units", "mm").exit_code == 0
    assert run("check", meshes / "open.obj", "--units", "mm", "--fail-on", "warning").exit_code == 1
    assert run("check", meshes / "open.obj", "--fail-on", "warning", "--ignore", "MS901").exit_code == 0


@pytest.mark.parametrize("args", [
    ["--profile", "nope"], ["--distance", "far"], ["--scale", "x"], ["--fail-on", "bad"],
    ["--format", "xml"], ["--select", "ZZ9"], ["--units", "furlong"], ["--finish", "shiny"]])
def test_usage_errors_exit_2(meshes, args):
    r = run("check", meshes / "box.stl", *args)
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_batch_with_a_broken_file(meshes, tmp_path):
    d = tmp_path / "batch"
    d.mkdir()
    (d / "good.stl").write_bytes((meshes / "box.stl").read_bytes())
    (d / "bad.stl").write_bytes(b"\0" * 90)
    out = tmp_path / "r.json"
    r = run("check", d, "--format", "json", "--output", out)
    assert r.exit_code == 2
    rep = json.loads(out.read_text())
    status = {f["path"].rsplit("/", 1)[1]: f["status"] for f in rep["files"]}
    assert status == {"bad.stl": "error", "good.stl": "ok"}
    assert f"miniscan: error: {d / 'bad.stl'}: " in r.stderr
    assert "Traceback" not in r.stderr + r.output
    assert not list(tmp_path.glob(".r.json.*"))  # atomic write left no temp file


def test_unreadable_single_file_is_one_line(tmp_path):
    p = tmp_path / "empty.stl"
    p.write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "miniscan", "check", str(p)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"miniscan: error: {p}: file is empty"


def test_piped_output_has_no_progress_or_escape_codes(meshes):
    proc = subprocess.run([sys.executable, "-m", "miniscan", "check", str(meshes), "--units", "mm"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout and "\x1b[" not in proc.stderr
    assert "open.obj: whole model: MS901" in proc.stdout
    assert "2 file(s)" in proc.stdout


def test_json_to_stdout_pipes(meshes):
    proc = subprocess.run([sys.executable, "-m", "miniscan", "check", str(meshes / "box.stl"),
                           "--format", "json", "--units", "mm"], capture_output=True, text=True)
    d = json.loads(proc.stdout)
    assert d["schema_version"] == 2 and d["files"][0]["status"] == "ok"


def test_no_mesh_files_found(tmp_path):
    r = run("check", tmp_path)
    assert r.exit_code == 2 and "no mesh files" in r.stderr


def test_up_option_turns_y_up_files(tmp_path):
    box = trimesh.creation.box(extents=(10, 30, 5))  # tallest along Y
    p = tmp_path / "yup.obj"
    p.write_text(box.export(file_type="obj"))
    z = json.loads(run("info", p, "--format", "json").output)[0]
    y = json.loads(run("info", p, "--format", "json", "--up", "y").output)[0]
    assert z["bbox_mm"] == [10, 30, 5] and y["bbox_mm"] == [10, 5, 30]
    d = json.loads(run("check", p, "--up", "y", "--select", "MS9", "--format", "json",
                       "--no-cache").output)
    assert d["conditions"]["up"] == "y"
    assert d["files"][0]["mesh"]["bbox_mm"] == [10, 5, 30]
    assert run("check", p, "--up", "x").exit_code == 2


def test_unknown_subject_is_a_usage_error(meshes):
    r = run("check", meshes / "box.stl", "--subject", "hobbitt")
    assert r.exit_code == 2
    assert "unknown subject 'hobbitt'" in r.stderr and "human" in r.stderr


def test_every_option_says_its_default():
    """--help teaches: every option of every command states its default (typer's own
    [default: ...] or one written into the help), flags apart."""
    import typer.main

    group = typer.main.get_command(app)
    missing = []
    for name, cmd in group.commands.items():
        for p in cmd.params:
            if not p.param_type_name == "option" or p.is_flag or p.name == "help":
                continue
            shown = p.show_default is not False and p.default is not None
            text = (p.help or "").replace("\\[", "[")
            if not shown and "[default:" not in text and "[required]" not in text:
                missing.append(f"{name} {p.opts[0]}")
    assert not missing, f"options without a stated default: {missing}"


def test_shared_options_are_declared_once():
    """The viewing, input and rule options of check, render and report are the same
    declarations (cli_options), with the same help."""
    import typer.main

    group = typer.main.get_command(app)
    helps = {}
    for name in ("check", "render", "report"):
        for p in group.commands[name].params:
            if p.param_type_name == "option":
                helps.setdefault(p.opts[0], set()).add(p.help)
    for opt in ("--profile", "--distance", "--finish", "--units", "--select", "--config",
                "--no-cache"):
        assert len(helps[opt]) == 1, opt
