"""The evidence rule's arithmetic (DESIGN.md section 3): a verdict from an interval.

Kept apart from `evidence` (the per-family collector) so that a Finding can check the rule on
construction without the two modules importing each other. Pure Python.
"""

from __future__ import annotations

import math

from .rules import Rule

FAIL, PASS, UNDETERMINED = "fail", "pass", "undetermined"


def verdict(lo: float, hi: float, threshold: float, compare: str) -> str:
    """'fail' when the whole interval [lo, hi] lies on the problem side of the threshold,
    'pass' when it lies wholly on the other side (touching the threshold passes), else
    'undetermined'. compare 'below': values under the threshold are the problem."""
    if not (lo <= hi) or math.isnan(threshold):
        return UNDETERMINED
    if compare == "below":
        return FAIL if hi < threshold else PASS if lo >= threshold else UNDETERMINED
    if compare == "above":
        return FAIL if lo > threshold else PASS if hi <= threshold else UNDETERMINED
    raise ValueError(f"verdict needs compare 'below' or 'above', not {compare!r}")


def interval_supports(rule: Rule, measured_range, threshold) -> bool:
    """True when a finding of `rule` with this range and threshold obeys the evidence rule."""
    if rule.compare == "state" or measured_range is None or threshold is None:
        return True
    lo, hi = measured_range
    return verdict(float(lo), float(hi), float(threshold), rule.compare) == FAIL
