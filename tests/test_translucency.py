"""Thin edges that want translucency (MS800-MS801): procedural ears, fins and leaves of known
rim thickness on a body, by material, scale and light; and what is not a rim."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from miniscan import samples
from miniscan.analysis import Analysis
from miniscan.checks import translucency as T
from miniscan.conditions import PRESETS, PRINTERS, freeze_table
from miniscan.model import Model
from miniscan.rules import RULES

TABLETOP = PRESETS["tabletop"]


def _model(parts) -> Model:
    v, f, names, starts = samples.combine(parts)
    return Model("<memory>", "memory", np.ascontiguousarray(v, float),
                 np.ascontiguousarray(f, np.int64), "mm", False, 1.0, tuple(names), tuple(starts))


def _head(thin=0.45, thick=1.2, seed=samples.SEED):
    """A head with a thin left ear and a thick right ear (samples.elf_ears at any thickness)."""
    hv, hf = samples.icosphere(2.0, 4)
    return _model([
        ("head", (hv + [0.0, 0.0, 6.0], hf)),
        ("ear_l", samples.ear_plate([-1.6, 0, 6.3], [-1.0, 0, 0.6], 2.6, 1.3, thin, 0.12, seed)),
        ("ear_r", samples.ear_plate([1.6, 0, 6.3], [1.0, 0, 0.6], 2.6, 1.3, thick, 0.12, seed + 1)),
    ])


def _run(model, conditions):
    return T.run(model, conditions, Analysis(model))


def _parts(res):
    # the runner names parts from faces; here the rims carry the part in the metrics
    return sorted({r["part"] for r in res.metrics["rims"] if r["verdict"] == "fail"})


def test_thin_skin_ear_wants_translucency_thick_one_does_not():
    res = _run(_head(), replace(TABLETOP, material="skin"))
    assert _parts(res) == ["ear_l"]
    (f,) = [x for x in res.findings if x.code == "MS801"]
    assert f.severity == "info"
    assert f.measured == pytest.approx(0.45, rel=0.05)
    assert f.threshold == pytest.approx(1.5 * 0.4)  # as thin as printing allows, at 1:56
    assert "translucent resin" in f.advice and "red" in f.advice
    rim = [m for m in res.measurements if m.kind == "rim_thickness_mm"]
    assert {round(m.value, 2) for m in rim} >= {0.45}


def test_at_one_to_six_the_real_thickness_decides():
    """At 1:6 real skin under 6 mm is 1 mm on the model: both ears glow without a printer."""
    fig = replace(PRESETS["figure-1-6"], material="skin", printer=PRINTERS["none"])
    assert _parts(_run(_head(thin=0.45, thick=0.8), fig)) == ["ear_l", "ear_r"]
    assert _parts(_run(_head(thin=0.45, thick=1.3), fig)) == ["ear_l"]


def test_no_organic_material_no_rims():
    res = _run(_head(), TABLETOP)  # generic: nothing says these are ears
    assert not res.findings and res.metrics["organic_parts"] == []
    metal = replace(TABLETOP, material="metal")
    assert not _run(_head(), metal).findings


def test_part_materials_pick_the_part():
    c = replace(TABLETOP, part_material=(("ear_r", "skin"),))
    assert _parts(_run(_head(thin=0.45, thick=0.45), c)) == ["ear_r"]


def test_config_material_adds_a_leaf():
    leaf = freeze_table({"leaf": {"translucent_mm": [0.1, 0.5]}})
    c = replace(TABLETOP, material="leaf", materials_extra=leaf)
    assert _parts(_run(_head(), c)) == ["ear_l"]


def test_a_rim_in_the_dark_is_not_lit():
    """An ear under a roof: no light from above reaches either face."""
    m = _head()
    roof = samples._box([0.0, 0.0, 9.5], [12.0, 12.0, 0.5])
    walls = [samples._box([x, 0.0, 6.0], [0.5, 12.0, 7.0]) for x in (-6.0, 6.0)]
    walls += [samples._box([0.0, y, 6.0], [12.0, 0.5, 7.0]) for y in (-6.0, 6.0)]
    v, f = m.vertices, m.faces
    parts = [("head_and_ears", (np.array(v), np.array(f))), ("roof", roof)]
    parts += [(f"wall{i}", w) for i, w in enumerate(walls)]
    boxed = _model(parts)
    skin = (("head_and_ears", "skin"),)
    res = _run(boxed, replace(TABLETOP, part_material=skin))
    assert not [x for x in res.findings if x.code == "MS801"]
    # the same ears without the box are lit
    open_air = _model([("head_and_ears", (np.array(v), np.array(f)))])
    assert [x for x in _run(open_air, replace(TABLETOP, part_material=skin)).findings
            if x.code == "MS801"]


def test_relief_on_a_thick_body_is_not_a_rim():
    """Fine ridges on a thick skin plate read thin between their faces but are held by the
    body: relief, not rims."""
    segs = np.array([[[1.0, 1.0 + 0.8 * k], [6.0, 1.0 + 0.8 * k]] for k in range(5)])
    v, f = samples.lettered_plate([(segs, 0.3, 0.3, "round")], size=(7, 5), thickness=3.0)
    res = _run(_model([("plate", (v, f))]), replace(TABLETOP, material="skin"))
    assert not [x for x in res.findings if x.code == "MS801"]


def test_layers_and_rules():
    res = _run(_head(), replace(TABLETOP, material="skin"))
    (layer,) = res.layers.face_layers()
    assert layer.name == "translucency" and layer.unit == "mm"
    vals = layer.values
    assert np.isfinite(vals).any() and np.nanmax(vals) == pytest.approx(0.45, rel=0.05)
    assert RULES["MS801"].severity == "info" and RULES["MS801"].compare == "below"
    assert RULES["MS800"].family == "translucency"


def test_deterministic():
    c = replace(TABLETOP, material="skin")
    assert _run(_head(), c).to_dict() == _run(_head(), c).to_dict()
