"""Print the visibility oracle's agreement table over a seeded sweep.

    PYTHONPATH=src nice python bench/oracle/run.py --cases 60 [--json out.json]

Each case: FLIP's verdict (95th percentile of the FLIP map over the detail's core, worst light,
against one JND) and miniscan's (MS102 for ripples, MS301 for specular noise). Columns: pred is
vision.relief_visibility (c*S, >= 1 visible) for a ripple and RMS normal tilt / (phi/2) for
noise; dL*
the tone shift of the detail's core; size/r the wavelength or correlation length in resolvable
sizes; says what miniscan tells the user (a finding issued or not).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oracle.cases import SEED, draw, miniscan_verdict, oracle_verdict, plate  # noqa: E402


def r_mm(d: float) -> float:
    """The resolvable size at distance d for the 1' eye the cases use."""
    return d * math.tan(math.radians(1 / 60))


def one(case) -> dict:
    p = plate(case)
    o, m = oracle_verdict(case, p), miniscan_verdict(case, p)
    return {"case": asdict(case), "name": case.name, "oracle": asdict(o),
            "miniscan": asdict(m)}


CLAIM = {"ripple": "MS102 issued = invisible", "noise": "MS301 issued = visible"}


def seen(r: dict) -> str:
    return "visible" if r["oracle"]["visible"] else "invisible"


def table(rows: list[dict]) -> str:
    out = []
    for kind in ("ripple", "noise"):
        sub = [r for r in rows if r["case"]["kind"] == kind]
        t = Counter(("visible" if r["oracle"]["visible"] else "invisible",
                     r["miniscan"]["verdict"]) for r in sub)
        out.append(f"{kind}: {len(sub)} cases (rows: FLIP oracle; columns: miniscan)")
        cols = ("visible", "invisible", "undetermined", "unjudged")
        out.append(f"  {'':10s}" + "".join(f"{c:>14s}" for c in cols))
        for o in ("visible", "invisible"):
            out.append(f"  {o:10s}" + "".join(f"{t[(o, c)]:14d}" for c in cols))
        dec = [r for r in sub if r["miniscan"]["verdict"] in ("visible", "invisible")]
        agree = sum(r["miniscan"]["verdict"] == seen(r) for r in dec)
        out.append(f"  agreement where miniscan decided: {agree}/{len(dec)}")
        told = sum(r["miniscan"]["says"] == seen(r) for r in sub)
        out.append(f"  agreement on what the user is told ({CLAIM[kind]}): {told}/{len(sub)}")
    return "\n".join(out)


def lines(rows: list[dict]) -> str:
    out = [f"{'case':42s} {'flip p95':>9s} {'mean':>7s} {'jnd':>6s} {'oracle':>9s} "
           f"{'miniscan':>12s} {'says':>9s} {'pred':>7s} {'dL*':>6s} {'size/r':>6s} counts"]
    for r in rows:
        o, m = r["oracle"], r["miniscan"]
        out.append(f"{r['name']:42s} {o['high']:9.4f} {o['mean']:7.4f} {o['threshold']:6.3f} "
                   f"{'visible' if o['visible'] else 'invisible':>9s} {m['verdict']:>12s} "
                   f"{m['says']:>9s} {m['predicted']:7.3g} {o['tone_dl']:6.2f} "
                   f"{r['case']['size_mm'] / r_mm(r['case']['distance_mm']):6.2f} {m['counts']}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=60)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    rows = [one(c) for c in draw(a.cases, a.seed)]
    print(lines(rows))
    print(table(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
