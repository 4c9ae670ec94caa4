"""The evidence rule (DESIGN.md section 3): verdicts from intervals, and findings that obey it."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from miniscan.evidence import FAIL, PASS, UNDETERMINED, Evidence, interval_supports, verdict
from miniscan.findings import Finding
from miniscan.rules import RULES, rule

finite = st.floats(-1e6, 1e6, allow_nan=False)


def test_verdict_below_and_above():
    assert verdict(0.1, 0.2, 0.24, "below") == FAIL
    assert verdict(0.1, 0.3, 0.24, "below") == UNDETERMINED
    assert verdict(0.24, 0.3, 0.24, "below") == PASS  # touching the threshold passes
    assert verdict(0.3, 0.4, 0.24, "above") == FAIL
    assert verdict(0.2, 0.3, 0.24, "above") == UNDETERMINED
    assert verdict(0.1, 0.24, 0.24, "above") == PASS
    with pytest.raises(ValueError):
        verdict(0, 1, 0.5, "state")


@given(finite, finite, finite)
def test_verdict_is_decided_only_by_the_whole_interval(a, b, t):
    lo, hi = min(a, b), max(a, b)
    for cmp in ("below", "above"):
        v = verdict(lo, hi, t, cmp)
        inside = lo < t < hi or (cmp == "below" and lo < t <= hi) or (cmp == "above" and lo <= t < hi)
        if v == FAIL:
            assert (hi < t) if cmp == "below" else (lo > t)
        assert (v == UNDETERMINED) == inside
        # the point value alone would have decided; the interval may not
        assert verdict(lo, lo, t, cmp) != UNDETERMINED


def test_a_finding_whose_range_straddles_its_threshold_cannot_be_made():
    Finding("MS201", "razor", measured=0.1, measured_range=(0.05, 0.2), threshold=0.24)
    with pytest.raises(ValueError, match="evidence rule"):
        Finding("MS201", "razor?", measured=0.1, measured_range=(0.05, 0.3), threshold=0.24)
    with pytest.raises(ValueError, match="evidence rule"):
        Finding("MS202", "soft?", measured=0.5, measured_range=(0.3, 0.6), threshold=0.357)
    assert interval_supports(rule("MS901"), (0, 1), 0.5)  # a state rule has no interval


def test_severity_is_the_rules_until_overridden():
    f = Finding("MS203", "below print")
    assert f.severity == RULES["MS203"].severity == "info"


def test_evidence_counts_and_one_undetermined_info_per_family():
    ev = Evidence("edges")
    r = rule("MS201")
    assert ev.judge(r, 0.1, 0.2, 0.24) == FAIL
    for _ in range(3):
        assert ev.judge(r, 0.1, 0.5, 0.24) == UNDETERMINED
        ev.unsure("coarse", "faces of 17 mm are coarser than the 0.24 mm bevel that matters; "
                            "export at <= 0.08 mm edge length")
    assert ev.judge(r, 0.3, 0.5, 0.24) == PASS
    assert ev.metrics() == {"MS201": {FAIL: 1, PASS: 1, UNDETERMINED: 3}}
    (info,) = ev.findings("creases")
    assert info.code == "MS200" and info.severity == "info"
    assert info.message.startswith("3 creases cannot be judged: faces of 17 mm")
    assert Evidence("edges").findings() == ()


def test_every_family_has_an_undetermined_rule_and_every_rule_a_condition():
    fams = {r.family for r in RULES.values()} - {"health"}
    for fam in fams:
        assert f"MS{[r.code for r in RULES.values() if r.family == fam][0][2]}00" in RULES
    for r in RULES.values():
        assert r.condition and r.what and r.why and r.fix, r.code
        if r.compare != "state":
            assert r.unit, r.code
