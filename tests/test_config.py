"""Config: discovery, precedence (preset < config < overrides < CLI), per-glob overrides,
rule selection and severities, validation messages, `miniscan init`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import trimesh
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from miniscan.cli import app
from miniscan.config import (ConfigError, Resolver, find_config, glob_match, load_config,
                             severity_for, starter_config)

cli = CliRunner()


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


@pytest.fixture()
def repo(tmp_path):
    """repo/pyproject.toml with [tool.miniscan]; repo/terrain/miniscan.toml of its own;
    repo/lib/pyproject.toml WITHOUT a miniscan table (must be skipped)."""
    write(tmp_path / "pyproject.toml", """
[project]
name = "minis"

[tool.miniscan]
distance = "40cm"
finish = "satin"
ignore = ["MS903"]
fail-on = "warning"

[tool.miniscan.severity]
MS9 = "warning"
MS904 = "error"

[tool.miniscan.per-file-ignores]
"scans/**" = ["MS905"]

[[tool.miniscan.overrides]]
files = ["minis/heroes/**/*.stl"]
profile = "display"
material = "skin"
part-material = { "cloak*" = "cloth" }

[[tool.miniscan.overrides]]
files = ["minis/**/big_*.stl"]
scale = "1:35"
extend-ignore = ["MS904"]
""")
    write(tmp_path / "terrain" / "miniscan.toml", 'scale = "1:87"\nselect = ["MS9"]\n')
    write(tmp_path / "lib" / "pyproject.toml", '[project]\nname = "x"\n')
    return tmp_path


# --------------------------------------------------------------------------- discovery


def test_discovery_walks_up_and_nearest_wins(repo):
    assert find_config(repo / "minis" / "heroes" / "a.stl") == repo / "pyproject.toml"
    assert find_config(repo / "terrain" / "hill" / "h.stl") == repo / "terrain" / "miniscan.toml"
    # a pyproject without [tool.miniscan] is not a config: discovery goes on upward
    assert find_config(repo / "lib" / "m.stl") == repo / "pyproject.toml"


def test_miniscan_toml_beats_pyproject_in_the_same_directory(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.miniscan]\nscale = '1:35'\n")
    write(tmp_path / "miniscan.toml", "scale = '1:6'\n")
    assert find_config(tmp_path / "x.stl") == tmp_path / "miniscan.toml"


def test_no_config_anywhere(tmp_path):
    # tmp dirs live under /tmp: nothing above them configures miniscan
    r = Resolver({}, cwd=tmp_path)
    assert r.for_file(tmp_path / "a.stl").conditions.distance_mm == 500.0


# --------------------------------------------------------------------------- precedence


def test_precedence_preset_config_override_cli(repo):
    r = Resolver({}, cwd=repo)
    plain = r.for_file(repo / "minis" / "orc.stl")
    assert plain.conditions.profile == "tabletop"
    assert plain.conditions.distance_mm == 400.0          # config beats the preset's 500
    assert plain.conditions.finish == "satin"
    hero = r.for_file(repo / "minis" / "heroes" / "elf" / "elf.stl")
    assert hero.conditions.profile == "display"          # override's profile ...
    assert hero.conditions.distance_mm == 400.0          # ... under the config's fields
    assert hero.conditions.material == "skin"
    assert hero.conditions.material_for("cloak_left") == "cloth"
    big = r.for_file(repo / "minis" / "heroes" / "big_troll.stl")
    assert big.conditions.scale_n == 35.0 and big.conditions.material == "skin"  # both match
    assert "MS904" in big.ignore and "MS904" not in hero.ignore
    # the command line beats everything
    r2 = Resolver({"distance": "1m", "profile": "tabletop"}, cwd=repo)
    hero2 = r2.for_file(repo / "minis" / "heroes" / "elf" / "elf.stl")
    assert hero2.conditions.distance_mm == 1000.0 and hero2.conditions.profile == "tabletop"
    assert hero2.conditions.material == "skin"  # not given on the CLI: the override stands


def test_rules_layering(repo):
    r = Resolver({}, cwd=repo)
    fs = r.for_file(repo / "scans" / "boot.obj")
    assert fs.ignore == ("MS903", "MS905")                # config + per-file ignore
    assert dict(fs.severity) == {"MS9": "warning", "MS904": "error"}
    t = r.for_file(repo / "terrain" / "t.stl")             # its own config: no inheritance
    assert t.conditions.scale_n == 87.0 and t.select == ("MS9",) and t.ignore == ()
    # CLI --select replaces, --ignore adds
    r2 = Resolver({"select": ("MS2",), "ignore": ("MS901",)}, cwd=repo)
    fs2 = r2.for_file(repo / "scans" / "boot.obj")
    assert fs2.select == ("MS2",)
    assert fs2.ignore == ("MS903", "MS901", "MS905")


def test_severity_most_specific_prefix_wins():
    ov = (("MS9", "warning"), ("MS904", "error"), ("ALL", "info"))
    assert severity_for("MS904", ov, "info") == "error"
    assert severity_for("MS901", ov, "info") == "warning"
    assert severity_for("MS201", ov, "warning") == "info"
    assert severity_for("MS201", (), "warning") == "warning"


def test_explicit_config_and_isolated(repo, tmp_path_factory):
    other = write(tmp_path_factory.mktemp("elsewhere") / "ci.toml", "distance = '2m'\n")
    r = Resolver({}, config_path=other, cwd=repo)
    assert r.for_file(repo / "terrain" / "t.stl").conditions.distance_mm == 2000.0
    iso = Resolver({}, config_path=other, isolated=True, cwd=repo)
    assert iso.for_file(repo / "terrain" / "t.stl").conditions.distance_mm == 500.0


def test_fail_on_from_config_then_cli(repo):
    r = Resolver({}, cwd=repo)
    assert r.fail_on() == "warning" and r.fail_on("never") == "never"


# --------------------------------------------------------------------------- globs


@pytest.mark.parametrize("pattern,path,hit", [
    ("minis/**/*.stl", "minis/a.stl", True),
    ("minis/**/*.stl", "minis/x/y/a.stl", True),
    ("minis/**/*.stl", "other/minis/a.stl", False),
    ("minis/*.stl", "minis/x/a.stl", False),
    ("*.stl", "deep/down/a.stl", True),           # no slash: the name anywhere
    ("*.stl", "deep/down/a.obj", False),
    ("scans/", "scans/a/b.ply", True),            # a directory: everything below
    ("scans", "scans/b.ply", True),
    ("./terrain/*.obj", "terrain/t.obj", True),
    ("big_?.stl", "m/big_1.stl", True),
    ("big_[ab].stl", "m/big_c.stl", False),
])
def test_glob_match(pattern, path, hit):
    assert glob_match(pattern, path) is hit


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=4))
def test_doublestar_matches_any_depth(parts):
    path = "/".join(parts) + ".stl"
    assert glob_match("**/*.stl", path)
    assert glob_match("*.stl", path)
    assert not glob_match("**/*.obj", path)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("text,needle", [
    ("distnce = '40cm'", "did you mean 'distance'"),
    ("finish = 'shiny'", "unknown finish 'shiny'"),
    ("select = ['XX1']", "no rule code starts with 'XX1'"),
    ("fail-on = 'sometimes'", "fail-on must be"),
    ("[severity]\nMS901 = 'fatal'", "severity of MS901"),
    ("[[overrides]]\nprofile = 'display'", "needs files"),
    ("[[overrides]]\nfiles = ['a/*']\nscale = 'huge'", "overrides[0]"),
    ("part-material = { cloak = 'velvet' }", "unknown material 'velvet'"),
    ("scale = ", "not valid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path, text, needle):
    p = write(tmp_path / "miniscan.toml", text + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert needle in str(e.value) and str(p) in str(e.value)


def test_underscore_keys_accepted(tmp_path):
    p = write(tmp_path / "miniscan.toml", "fail_on = 'info'\nmax_faces = 10\n")
    c = load_config(p)
    assert c.fail_on == "info" and c.layer["max-faces"] == 10


# --------------------------------------------------------------------------- init + CLI


def test_starter_config_is_valid_toml_and_config():
    for pyproject in (False, True):
        data = tomllib.loads(starter_config(pyproject))
        table = data["tool"]["miniscan"] if pyproject else data
        assert table["profile"] == "tabletop"


def test_init_writes_and_refuses_to_overwrite(tmp_path):
    r = cli.invoke(app, ["init", str(tmp_path)])
    assert r.exit_code == 0
    assert load_config(tmp_path / "miniscan.toml").fail_on == "error"
    assert cli.invoke(app, ["init", str(tmp_path)]).exit_code == 2
    assert cli.invoke(app, ["init", str(tmp_path), "--force"]).exit_code == 0
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert cli.invoke(app, ["init", str(tmp_path), "--pyproject"]).exit_code == 0
    assert load_config(tmp_path / "pyproject.toml").fail_on == "error"
    assert tomllib.loads((tmp_path / "pyproject.toml").read_text())["project"]["name"] == "x"
    assert cli.invoke(app, ["init", str(tmp_path), "--pyproject"]).exit_code == 2


def test_check_applies_overrides_and_echoes_conditions(repo, monkeypatch):
    box = trimesh.creation.box(extents=(10, 8, 6))
    two = trimesh.util.concatenate([box, box.copy().apply_translation((30, 0, 0))])
    for rel in ("minis/orc.stl", "minis/heroes/elf.stl", "terrain/hill.stl"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(two.export(file_type="stl"))
    monkeypatch.chdir(repo)
    r = cli.invoke(app, ["check", ".", "--select", "MS9", "--format", "json", "--no-cache",
                         "--units", "mm", "-j", "1"])
    assert r.exit_code == 1, r.output  # MS904 raised to error by the config's severity table
    d = json.loads(r.stdout)
    assert d["conditions"]["distance_mm"] == 400.0
    assert d["conditions"]["config_file"] == "pyproject.toml"
    assert d["conditions"]["rules"]["severity"] == {"MS9": "warning", "MS904": "error"}
    files = {f["path"]: f for f in d["files"]}
    assert "conditions" not in files["minis/orc.stl"]          # same as the run's
    elf = files["minis/heroes/elf.stl"]["conditions"]
    assert elf["profile"] == "display" and elf["material"] == "skin"
    hill = files["terrain/hill.stl"]["conditions"]
    assert hill["scale_n"] == 87.0 and hill["config_file"] == "terrain/miniscan.toml"
    sev = {f["path"]: [x["severity"] for c in f["checks"] for x in c["findings"]]
           for f in d["files"]}
    assert sev["minis/orc.stl"] == ["error"]       # MS904 per the severity table
    assert sev["terrain/hill.stl"] == ["info"]     # terrain's config has no severity table
    # --isolated: the preset alone, so nothing reaches error
    r2 = cli.invoke(app, ["check", ".", "--select", "MS9", "--format", "json", "--no-cache",
                          "--units", "mm", "--isolated"])
    assert r2.exit_code == 0 and json.loads(r2.stdout)["conditions"]["distance_mm"] == 500.0


def test_bad_config_is_a_usage_error(tmp_path, monkeypatch):
    write(tmp_path / "miniscan.toml", "distnce = 3\n")
    (tmp_path / "a.stl").write_bytes(trimesh.creation.box().export(file_type="stl"))
    monkeypatch.chdir(tmp_path)
    r = cli.invoke(app, ["check", "a.stl", "--no-cache"])
    assert r.exit_code == 2 and "did you mean 'distance'" in r.stderr


def test_material_and_subject_tables_from_config(tmp_path):
    """[materials.X] and [subjects.Y] extend/override the packaged tables, per config."""
    from miniscan.config import ConfigError, Resolver

    (tmp_path / "miniscan.toml").write_text(
        'material = "chainmail"\nsubject = "hobbit"\n'
        '[materials.chainmail]\ntexture-mm = [1.0, 8.0]\nedge-radius-mm = [0.3, 2.0]\n'
        '[materials.skin]\ntexture-mm = [0.05, 0.5]\n'
        '[subjects.hobbit]\nmeasure = "height"\nrange-mm = [900, 1250]\n')
    fs = Resolver().for_file(tmp_path / "m.stl")
    c = fs.conditions
    assert c.material == "chainmail"
    assert c.material_props("chainmail")["edge_radius_mm"] == [0.3, 2.0]
    assert c.material_props("skin")["texture_mm"] == [0.05, 0.5]
    assert c.material_props("skin")["thickness_mm"] == [1.0, 100.0]  # packaged value kept
    from miniscan.checks.scale import get_subject

    assert get_subject("hobbit", c.subjects_table()).hi_mm == 1250
    assert fs.to_dict()["materials"]["chainmail"]["texture_mm"] == [1.0, 8.0]
    for bad in ('[materials.x]\ntexture-mm = [5, 1]\n', '[materials.x]\ncolour = [1, 2]\n',
                '[subjects.y]\nmeasure = "height"\n', '[subjects.y]\nrange-mm = [1, 2]\nmeasure = "weight"\n'):
        d = tmp_path / f"bad{abs(hash(bad))}"
        d.mkdir()
        (d / "miniscan.toml").write_text(bad)
        with pytest.raises(ConfigError):
            Resolver().for_file(d / "m.stl")


def test_config_material_changes_the_edge_window(tmp_path):
    """A softer real edge radius in config widens R_max: the check reads the config's table."""
    from miniscan.checks.edges import material_max_mm
    from miniscan.conditions import resolve

    c = resolve("tabletop", materials_extra={"generic": {"edge_radius_mm": [0.5, 56.0]}})
    assert material_max_mm(c, "generic") == pytest.approx(1.0)
    assert material_max_mm(resolve("tabletop"), "generic") == pytest.approx(20 / 56)


def test_scale_command_knows_config_subjects(tmp_path, monkeypatch):
    import trimesh
    from typer.testing import CliRunner

    (tmp_path / "miniscan.toml").write_text('[subjects.hobbit]\nmeasure = "height"\n'
                                            'range-mm = [900, 1250]\n')
    box = trimesh.creation.box(extents=(8, 6, 20))
    (tmp_path / "h.stl").write_bytes(box.export(file_type="stl"))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["scale", ".", "--subject", "hobbit", "--units", "mm"])
    assert r.exit_code == 0, r.output
    assert "hobbit" in r.output
    assert CliRunner().invoke(app, ["scale", ".", "--subject", "hobbitt"]).exit_code == 2


def test_a_severity_entry_changes_only_the_codes_it_matches(tmp_path, monkeypatch):
    """Bug: any `severity` entry in config re-graded every finding from its rule's default, so
    an info the check graded on purpose (thickness unsure) became a warning. Through config,
    end to end: MS9 = "error" raises MS901 and leaves MS500 (scale undetermined) an info."""
    sphere = trimesh.creation.icosphere(3, radius=10)
    dome = trimesh.Trimesh(sphere.vertices, sphere.faces[sphere.triangles_center[:, 2] > 0])
    (tmp_path / "dome.stl").write_bytes(dome.export(file_type="stl"))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.miniscan]\nunits = "mm"\n\n[tool.miniscan.severity]\nMS9 = "error"\n')
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["check", "dome.stl", "--select", "MS5,MS9", "--format", "json",
                                 "--no-cache", "--fail-on", "never"])
    assert r.exit_code == 0, r.output
    sev = {f["code"]: f["severity"] for c in json.loads(r.stdout)["files"][0]["checks"]
           for f in c["findings"]}
    assert sev["MS901"] == "error"
    assert sev["MS500"] == "info"


def test_a_config_written_after_a_run_is_found_by_the_next(tmp_path):
    """Config discovery is remembered per run, not per process (the Python API and the
    tests run many checks in one process)."""
    assert Resolver(cwd=tmp_path).base_config.path is None
    (tmp_path / "miniscan.toml").write_text('profile = "display"\n')
    assert Resolver(cwd=tmp_path).base_config.path == tmp_path / "miniscan.toml"


def test_a_config_that_is_not_a_regular_file_is_refused_not_read(tmp_path):
    """A FIFO named as the config would block the whole run on open(); it is refused at once
    (a FIFO beside the meshes named miniscan.toml is skipped by discovery the same way)."""
    import os

    fifo = tmp_path / "miniscan.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(fifo)
    assert find_config(tmp_path) != fifo


def test_an_oversized_config_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("# pad\n" * 400_000)
    with pytest.raises(ConfigError, match="larger than"):
        load_config(big)
