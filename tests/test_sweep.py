"""The distance sweep: solved rows from holds_mm, sampled rows from re-checks at log-spaced
distances, where the model reads, the chart, the command; and the monotone invariant on the
real families (visibility never grows with distance)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from miniscan import runner as runner_mod
from miniscan.analysis import Analysis
from miniscan.cli import app
from miniscan.conditions import resolve
from miniscan.findings import CheckResult, Finding, Location
from miniscan.model import from_arrays
from miniscan.runner import RunOptions
from miniscan.sweep import SweepError, free_of, sample_distances, sweep_model, union

SOLVED_FROM_MM = 400.0  # the double's razor edge shows from here on (solved: holds_mm)
SAMPLED_FROM_MM = 300.0  # the double's invisible detail appears beyond this (no holds_mm)


def _doubles(calls: dict):
    """Two families: edges (fills holds_mm) and texture (does not), with known answers."""

    def edges(model, conditions, analysis):
        calls["edges"] = calls.get("edges", 0) + 1
        d = conditions.distance_mm
        fs = ()
        if d >= SOLVED_FROM_MM:
            fs = (Finding("MS201", "razor", location=Location(part="blade"),
                          holds_mm=(SOLVED_FROM_MM, math.inf)),)
        return CheckResult("edges", findings=fs)

    def texture(model, conditions, analysis):
        calls["texture"] = calls.get("texture", 0) + 1
        fs = (Finding("MS102", "invisible"),) if conditions.distance_mm > SAMPLED_FROM_MM else ()
        wall = (Finding("MS103", "lost in print"),)  # at every distance
        return CheckResult("texture", findings=fs + wall)

    return {"edges": edges, "texture": texture}


@pytest.fixture
def doubles(monkeypatch):
    calls: dict = {}
    fams = _doubles(calls)
    monkeypatch.setattr(runner_mod, "family_runner", lambda fam: fams[fam])
    return calls


def _tiny():
    import trimesh

    m = trimesh.creation.box((4.0, 4.0, 4.0))
    return from_arrays(m.vertices, m.faces)


def test_intervals():
    assert union([(3, 4), (1, 2), (2, 2.5)]) == ((1.0, 2.5), (3.0, 4.0))
    with pytest.raises(SweepError):
        sample_distances(500, 520)
    g = sample_distances(150, 2000, 7)
    assert g[0] == pytest.approx(150) and g[-1] == pytest.approx(2000) and g[3] == pytest.approx(math.sqrt(150 * 2000))


def test_solved_and_sampled_rows_and_where_it_reads(doubles):
    model = _tiny()
    sw = sweep_model(model, Analysis(model), resolve("tabletop"),
                     RunOptions(families=("edges", "texture")), 150.0, 2000.0)
    rows = {r.code: r for r in sw.rows}
    # solved: exactly the double's interval, clipped to the range; checked at the 3 anchors only
    assert rows["MS201"].method == "solved" and rows["MS201"].part == "blade"
    assert rows["MS201"].spans == ((SOLVED_FROM_MM, 2000.0),)
    assert doubles["edges"] == 3
    # sampled: found from the first sample beyond 300 mm; may hold from the sample before
    g = sw.samples_mm
    first = min(d for d in g if d > SAMPLED_FROM_MM)
    before = max(d for d in g if d < first)
    assert rows["MS102"].method == "sampled" and doubles["texture"] == len(g)
    assert rows["MS102"].spans == ((first, 2000.0),)
    assert rows["MS102"].may_hold == ((before, 2000.0),)
    assert rows["MS102"].present == tuple(d > SAMPLED_FROM_MM for d in g)
    # MS103 (a warning) holds everywhere: it never reads; apart from it, it reads until the
    # razor edge shows (MS102 is an info: it does not stop a model reading)
    assert sw.rows[0].severity == "info" and sw.constant == ("MS103",) and sw.reads == ()
    assert sw.reads_apart_from_constant == ((150.0, SOLVED_FROM_MM),)
    assert sw.sampled_families == ("texture",)


def test_free_of_is_the_complement_of_the_rows(doubles):
    model = _tiny()
    sw = sweep_model(model, Analysis(model), resolve("tabletop"),
                     RunOptions(families=("edges",)), 150.0, 2000.0)
    assert sw.reads == ((150.0, SOLVED_FROM_MM),)
    assert free_of([], 150.0, 2000.0) == ((150.0, 2000.0),)


def test_text_json_and_chart(doubles):
    from miniscan.output.sweep import to_json, to_text
    from miniscan.render.sweep_chart import sweep_chart

    model = _tiny()
    sw = sweep_model(model, Analysis(model), resolve("tabletop"),
                     RunOptions(families=("edges", "texture")), 150.0, 2000.0, path="goblin.stl")
    text = to_text([sw])
    assert "MS201 warning razor-edge" in text and "part 'blade': appears at 400 mm, to the far end [solved]" in text
    assert "whole model: appears between 231 mm and 356 mm, to the far end [sampled]" in text
    assert "reads: never between 150 mm and 2 m; MS103 holds over the whole range" in text
    assert "solved = " in text and "sampled = " in text
    doc = json.loads(to_json([sw]))["sweeps"][0]
    assert doc["rows"][0]["code"] == "MS102" or doc["rows"][0]["code"] == "MS103"
    assert {r["method"] for r in doc["rows"]} == {"solved", "sampled"}
    png = sweep_chart(sw, 900)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == sweep_chart(sw, 900)  # deterministic
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(png)).size[0] == 900


def test_sweep_command(doubles, tmp_path):
    import trimesh

    trimesh.creation.box((4.0, 4.0, 4.0)).export(tmp_path / "box.stl")
    r = CliRunner().invoke(app, ["sweep", str(tmp_path / "box.stl"), "--from", "15cm", "--to",
                                 "2m", "--out", str(tmp_path / "pics"), "-f", "json",
                                 "--isolated", "--units", "mm"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["sweeps"][0]["near_mm"] == 150.0 and doc["sweeps"][0]["far_mm"] == 2000.0
    assert (tmp_path / "pics" / "box.stl.sweep.png").is_file()
    bad = CliRunner().invoke(app, ["sweep", str(tmp_path / "box.stl"), "--from", "2m",
                                   "--to", "1m"])
    assert bad.exit_code == 2 and "--to" in bad.output


# --------------------------------------------------------------------------- the real families


def test_invisible_detail_stays_invisible_farther_away():
    """MS102 (invisible detail) on fine ripples: once found at some distance it is found at
    every farther one (visibility never grows with distance), and the same shared Analysis
    gives the findings a fresh one would."""
    from miniscan.runner import run_checks
    from miniscan.samples import ripple_sphere

    v, f = ripple_sphere(radius=5.0, wavelength=0.5, amplitude=0.08, subdivisions=6)
    model = from_arrays(v, f)
    an = Analysis(model)
    opts = RunOptions(families=("texture",), select=("MS102",))
    sw = sweep_model(model, an, resolve("tabletop"), opts, 100.0, 2000.0, samples=5)
    (row,) = [r for r in sw.rows if r.code == "MS102"] or [None]
    assert row is not None, "fine ripples should be invisible detail somewhere in the range"
    present = np.asarray(row.present if row.method == "sampled" else
                         [row.holds_at(d) for d in sw.samples_mm])
    first = int(np.argmax(present))
    assert present[first:].all(), present
    cond = resolve("tabletop", distance=float(sw.samples_mm[first]))
    fresh, _ = run_checks(model, cond, opts)
    shared, _ = run_checks(model, cond, opts, an)
    assert [x.to_dict() for x in fresh[0].findings] == [x.to_dict() for x in shared[0].findings]


def test_a_protrusion_lost_at_a_glance_stays_lost_farther_away(gl_ok):
    """MS401 on the spear figure: the spear that vanishes at a glance from some distance
    vanishes from every farther one."""
    from miniscan.samples import spear_figure

    v, f, _, _ = spear_figure(spear_d=0.3)
    model = from_arrays(v, f)
    opts = RunOptions(families=("silhouette",), select=("MS401",))
    sw = sweep_model(model, Analysis(model), resolve("tabletop"), opts, 150.0, 2000.0, samples=4)
    rows = [r for r in sw.rows if r.code == "MS401"]
    assert rows, "the 0.3 mm spear should be lost at a glance somewhere in the range"
    hits = np.any([[r.holds_at(d, sw.samples_mm) for d in sw.samples_mm] for r in rows], axis=0)
    first = int(np.argmax(hits))
    assert hits[first:].all(), hits


def test_a_solved_rule_stays_solved_when_its_family_is_sampled_for_another(monkeypatch):
    """The silhouette grid is sized to the eye, so far away it cannot draw a gap that filled in
    nearer: the check stops reporting it. The finding's own holds_mm says it stays filled; a
    sibling rule without holds_mm (MS403) must not turn the gap's row into a sampled one that
    'disappears'."""
    drawn_until = 900.0  # beyond this the double's grid no longer draws the gap

    def silhouette(model, conditions, analysis):
        d = conditions.distance_mm
        gap = (Finding("MS402", "gap fills in", location=Location(part="torso"),
                       holds_mm=(SOLVED_FROM_MM, math.inf)),) if SOLVED_FROM_MM <= d <= drawn_until else ()
        return CheckResult("silhouette", findings=gap + (Finding("MS403", "reads poorly"),))

    monkeypatch.setattr(runner_mod, "family_runner", lambda fam: silhouette)
    model = _tiny()
    sw = sweep_model(model, Analysis(model), resolve("tabletop"),
                     RunOptions(families=("silhouette",)), 150.0, 2000.0)
    rows = {r.code: r for r in sw.rows}
    assert sw.sampled_families == ("silhouette",) and rows["MS403"].method == "sampled"
    assert rows["MS402"].method == "solved"
    assert rows["MS402"].spans == ((SOLVED_FROM_MM, 2000.0),)
