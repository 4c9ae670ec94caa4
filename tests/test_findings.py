"""One finding per problem: merge by rule and part, worst first, with every place kept."""

from __future__ import annotations

from dataclasses import replace

from miniscan.findings import Finding, Location, merge_findings


def _razor(x, radius, part=None):
    return Finding("MS201", f"edge at {x}", measured=radius, measured_range=(radius, radius),
                   threshold=0.24, unit="mm", location=Location((x, 0.0, 0.0), part))


def test_same_rule_same_part_merge_with_count_and_places():
    fs = [_razor(1, 0.1), _razor(2, 0.01), _razor(3, 0.2), _razor(4, 0.05, "shield")]
    out = merge_findings(fs)
    assert [(f.code, f.location.part, f.count) for f in out] == [("MS201", None, 3),
                                                                   ("MS201", "shield", 1)]
    body = out[0]
    assert body.measured == 0.01  # the worst is the representative
    assert [p.location.centroid_mm[0] for p in body.places] == [2, 1, 3]
    d = body.to_dict()
    assert d["count"] == 3 and len(d["places"]) == 3 and d["places"][0]["measured"] == 0.01


def test_merging_is_idempotent_and_keeps_singles_untouched():
    fs = [_razor(1, 0.1), _razor(2, 0.01), Finding("MS904", "2 bodies")]
    once = merge_findings(fs)
    assert merge_findings(once) == once
    assert once[1] is fs[2]
    assert once[1].to_dict()["places"][0]["centroid_mm"] is None


def test_above_rules_rank_the_largest_as_worst():
    soft = [Finding("MS202", "soft", measured=r, measured_range=(r, r), threshold=0.36, unit="mm")
            for r in (0.5, 2.0, 0.9)]
    assert merge_findings(soft)[0].measured == 2.0


def test_config_severity_override_keeps_split_codes_apart():
    """Issue 14 bug 2: an override for one prefix must not regrade another code's findings."""
    from miniscan.runner import RunOptions, apply_rules
    from miniscan.findings import CheckResult

    res = CheckResult("scale", "ok", None, {}, (
        Finding("MS500", "thickness unsure on 40% of the surface"),
        Finding("MS502", "wall 0.2 mm", measured=0.2, measured_range=(0.18, 0.22),
                threshold=0.4, unit="mm")))
    (out,) = apply_rules((res,), RunOptions(severity=(("MS9", "error"),)))
    assert [f.severity for f in out.findings] == ["info", "warning"]
    (out,) = apply_rules((res,), RunOptions(severity=(("MS502", "error"),)))
    assert [f.severity for f in out.findings] == ["info", "error"]
    assert replace(out.findings[1], severity="warning").severity == "warning"
