"""The evidence rule (DESIGN.md section 3): a verdict needs the whole interval on one side.

A measurement has an interval, not just a value: the mesh's own resolution, the sampling and
the fit residual bound what it can tell. `verdict` compares that interval with a threshold;
`Evidence` counts a family's verdicts and turns the undecided ones into one info per file and
family that says what would settle them. Pure Python: no numpy needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Finding
# the verdict arithmetic lives in intervals.py; the families import it from here
from .intervals import FAIL, PASS, UNDETERMINED, interval_supports, verdict  # noqa: F401
from .rules import Rule, undetermined_rule


def printable_floor_mm(conditions) -> float:
    """The finest lateral size advice may ask for: what printer and paint can hold (mm)."""
    return max(conditions.printer.lateral_cutoff_mm, conditions.paint_mm)


@dataclass
class _Unsure:
    count: int = 0
    settle: str = ""


@dataclass
class Evidence:
    """Verdict counts of one family on one model, and the reasons verdicts stayed open."""

    family: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    unsure_by_reason: dict[str, _Unsure] = field(default_factory=dict)

    def judge(self, rule: Rule, lo: float, hi: float, threshold: float) -> str:
        v = verdict(lo, hi, threshold, rule.compare)
        self.count(rule, v)
        return v

    def count(self, rule: Rule, v: str, n: int = 1) -> None:
        c = self.counts.setdefault(rule.code, {FAIL: 0, PASS: 0, UNDETERMINED: 0})
        c[v] += n

    def unsure(self, reason: str, settle: str, n: int = 1) -> None:
        """Record n undecided verdicts for one reason; `settle` is the sentence (the same for
        every case of that reason) that says why and what would decide them."""
        u = self.unsure_by_reason.setdefault(reason, _Unsure())
        u.count += n
        u.settle = u.settle or settle

    @property
    def undetermined(self) -> int:
        return sum(c[UNDETERMINED] for c in self.counts.values())

    def metrics(self) -> dict:
        return {code: dict(c) for code, c in sorted(self.counts.items())}

    def findings(self, what: str = "verdicts", one: str | None = None):
        """The family's one info finding about undecided verdicts (empty tuple when none).
        `what` names the judged things in the plural, `one` in the singular (default: `what`
        without its final s)."""
        n = sum(u.count for u in self.unsure_by_reason.values())
        if n == 0:
            return ()
        rule = undetermined_rule(self.family)
        reasons = sorted(self.unsure_by_reason.items(), key=lambda kv: (-kv[1].count, kv[0]))
        if len(reasons) == 1:
            detail = reasons[0][1].settle
        else:
            detail = "; ".join(f"{u.count} because {u.settle}" for _, u in reasons)
        noun = what if n != 1 else (one or what.removesuffix("s"))
        msg = f"{n} {noun} cannot be judged: {detail}"
        return (Finding(rule.code, msg, measured=float(n), unit=what, advice=rule.fix),)
