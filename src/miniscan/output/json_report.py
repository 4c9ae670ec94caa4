"""The JSON report (schema in docs/report-format.md): the contract CI users rely on."""

from __future__ import annotations

import json

from ..findings import Report, round_floats


def to_json(report: Report, with_timings: bool = True) -> str:
    """Byte-identical for the same input and options, apart from the 'timings' block."""
    d = report.to_dict(with_timings=False)
    d = round_floats(d)
    if with_timings:
        d["timings"] = round_floats(report.timings, 4)
    return json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
