"""Viewing conditions: presets, overrides, parsing."""

import pytest

from miniscan.conditions import PRESETS, ConditionsError, parse_length, parse_scale, resolve


def test_presets_of_design():
    for name in ("tabletop", "display", "scale-model-1-35", "figure-1-6", "railway-ho", "macro-photo"):
        assert name in PRESETS
    t = PRESETS["tabletop"]
    assert (t.scale_n, t.distance_mm, t.finish) == (56, 500, "matte")
    assert PRESETS["display"].distance_mm == 250
    assert PRESETS["display"].bevel_min_mm == pytest.approx(0.242, abs=0.002)
    assert PRESETS["scale-model-1-35"].scale_n == 35
    assert PRESETS["figure-1-6"].scale_n == 6
    assert PRESETS["railway-ho"].scale_n == 87
    assert PRESETS["macro-photo"].resolvable_mm == 0.02


def test_tabletop_derived_values():
    c = resolve("tabletop")
    assert c.resolvable_mm == pytest.approx(0.1454, abs=1e-4)
    assert c.glance_mm == pytest.approx(0.8727, abs=1e-3)
    assert c.real_mm(32) == 1792


@pytest.mark.parametrize("text,mm", [("500", 500), ("60cm", 600), ("0.5m", 500), ("20in", 508),
                                     ("12 mm", 12), (250, 250), ('2"', 50.8)])
def test_parse_length(text, mm):
    assert parse_length(text) == pytest.approx(mm)


@pytest.mark.parametrize("bad", ["", "abc", "-3", "5 furlongs", "0"])
def test_parse_length_rejects(bad):
    with pytest.raises(ConditionsError):
        parse_length(bad)


@pytest.mark.parametrize("text,n", [("1:56", 56), ("1/35", 35), ("87", 87), ("2:12", 6)])
def test_parse_scale(text, n):
    assert parse_scale(text) == n


def test_overrides_and_errors():
    c = resolve("display", scale="1:35", distance="40cm", finish="gloss", printer="fdm",
                paint="0.06mm", material="skin", front="+x", subject="Human",
                part_material="cloak*=cloth", part_finish="blade=metal")
    assert (c.scale_n, c.distance_mm, c.finish, c.printer.name, c.paint_mm, c.material) == \
        (35, 400, "gloss", "fdm", 0.06, "skin")
    assert c.subject == "human"
    assert c.material_for("cloak_back") == "cloth" and c.material_for("head") == "skin"
    assert c.finish_for("blade") == "metal" and c.finish_for("x") == "gloss"
    for kw in ({"finish": "shiny"}, {"printer": "laser"}, {"material": "cheese"},
               {"front": "up"}, {"acuity": -1}, {"part_material": "cloak"}):
        with pytest.raises(ConditionsError):
            resolve("tabletop", **kw)
    with pytest.raises(ConditionsError, match="unknown profile"):
        resolve("nope")


def test_scaled_multiplies_every_length():
    c = resolve("display")
    k = 2.5
    s = c.scaled(k)
    assert s.resolvable_mm == pytest.approx(c.resolvable_mm * k)
    assert s.paint_mm == pytest.approx(c.paint_mm * k)
    assert s.printer.layer_mm == pytest.approx(c.printer.layer_mm * k)
    assert s.bevel_min_mm == pytest.approx(c.bevel_min_mm * k)
    assert s.real_mm(10 * k) == pytest.approx(c.real_mm(10))  # same real subject
