"""The distance sweep as text and JSON (sweep.Sweep; the chart is render/sweep_chart.py)."""

from __future__ import annotations

import json

from ..findings import round_floats
from .text import fmt_distance

METHOD_NOTE = {"solved": "solved = from the family's own physics (each finding's holds_mm)",
               "sampled": "sampled = the family re-checked at each sample; an edge lies "
                          "between two samples"}


def _span_text(lo: float, hi: float, sweep, row) -> str:
    """'appears at 380 mm, stays to 2 m' in the row's own terms."""
    near, far = sweep.near_mm, sweep.far_mm
    if lo <= near and hi >= far:
        return "at every distance"
    if row.method == "sampled":
        grid = sweep.samples_mm
        i, j = grid.index(lo), grid.index(hi)
        start = "from the near end" if i == 0 else \
            f"appears between {fmt_distance(grid[i - 1])} and {fmt_distance(lo)}"
        end = "to the far end" if j == len(grid) - 1 else \
            f"disappears between {fmt_distance(hi)} and {fmt_distance(grid[j + 1])}"
    else:
        start = "from the near end" if lo <= near else f"appears at {fmt_distance(lo)}"
        end = "to the far end" if hi >= far else f"disappears at {fmt_distance(hi)}"
    return f"{start}, {end}"


def _spans(spans) -> str:
    return ", ".join(f"{fmt_distance(a)}–{fmt_distance(b)}" for a, b in spans)


def reads_text(sweep) -> str:
    """Where the model reads: no warning left (and apart from the rows that never go)."""
    rng = f"between {fmt_distance(sweep.near_mm)} and {fmt_distance(sweep.far_mm)}"
    s = f"reads (no warning left): {_spans(sweep.reads)}" if sweep.reads else f"reads: never {rng}"
    if sweep.constant:
        verb = "holds" if len(sweep.constant) == 1 else "hold"
        s += f"; {', '.join(sweep.constant)} {verb} over the whole range"
        other = sweep.reads_apart_from_constant
        s += f"; apart from those it reads {_spans(other)}" if other else \
            "; apart from those it still never reads"
    return s


def sweep_lines(sweep) -> list[str]:
    grid = ", ".join(fmt_distance(d) for d in sweep.samples_mm)
    out = [f"{sweep.path}: distance sweep {fmt_distance(sweep.near_mm)} – "
           f"{fmt_distance(sweep.far_mm)} (profile distance {fmt_distance(sweep.profile_distance_mm)}; "
           f"samples {grid})"]
    if not sweep.rows:
        out.append("  no findings at any distance of the range")
    w = max([len(f"{r.code} {r.severity} {r.name}") for r in sweep.rows] + [0])
    for r in sweep.rows:
        head = f"{r.code} {r.severity} {r.name}".ljust(w)
        part = f"part '{r.part}'" if r.part else "whole model"
        where = "; ".join(_span_text(a, b, sweep, r) for a, b in r.spans) or "nowhere"
        places = f", up to {r.places} places" if r.places > 1 else ""
        out.append(f"  {head}  {part}: {where} [{r.method}{places}]")
    out.append(f"  {reads_text(sweep)}")
    for fam, reason in sweep.not_run:
        out.append(f"  {fam} not run: {reason}")
    methods = sorted({r.method for r in sweep.rows})
    out += [f"  {METHOD_NOTE[m]}" for m in methods]
    return out


def to_text(sweeps) -> str:
    return "\n".join("\n".join(sweep_lines(s)) for s in sweeps) + "\n"


def to_json(sweeps) -> str:
    doc = {"sweeps": [s.to_dict() for s in sweeps]}
    return json.dumps(round_floats(doc), indent=2, ensure_ascii=False) + "\n"
