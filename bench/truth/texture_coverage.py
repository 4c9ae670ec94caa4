"""How often the texture check's amplitude and depth intervals hold the truth (docs/texture.md
s.7.18, s.7.21).

    python bench/truth/texture_coverage.py                 # grammar cases texture:0-79
    python bench/truth/texture_coverage.py --offset 1000 --cases 50 --json rows.json

The sample: every judged first component (Components.valid[0]) whose region's centroid lies
within a truth ripple's match distance (Truth.distance), the nearest ripple if several; the
truth's amplitude a and depth 2a. Prints the share of those regions whose amplitude interval
holds a and whose depth interval holds 2a, with the shares whose truth lies above and below,
and the median width (hi / lo) of each. --json writes one row per region, for comparing two
checkouts region by region. Runs the miniscan of this checkout (src/ first on the path).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from truth import score, suite  # noqa: E402


def _rows(index: int):
    """One row per judged first component near a truth ripple of grammar case texture:index."""
    task = suite.parse_task(f"texture:{index}")
    case = suite.build(task)
    ripples = [] if case is None else [t for t in case.truths
                                       if t.kind == "ripple" and "amplitude_mm" in t.values]
    if not ripples:
        return []
    checks = score.run_checks(case.model(), case.resolved_conditions(), ("texture",))
    res = next((r for r in checks if r.family == "texture" and r.layers is not None), None)
    if res is None:
        return []
    comp, reg = res.layers.comp, res.layers.reg
    out = []
    for r in np.flatnonzero(comp.valid[0]):
        cen = reg.centroid[r]
        d = [float(t.distance(cen[None])[0]) for t in ripples]
        k = int(np.argmin(d))
        if d[k] > ripples[k].match_mm:
            continue
        a = ripples[k].values["amplitude_mm"]
        out.append({"case": index, "region": int(r), "a": a,
                    "amp": float(comp.amp[0, r]), "amp_lo": float(comp.amp_lo[0, r]),
                    "amp_hi": float(comp.amp_hi[0, r]), "depth": float(comp.depth[0, r]),
                    "depth_lo": float(comp.depth_lo[0, r]),
                    "depth_hi": float(comp.depth_hi[0, r])})
    return out


def _summary(rows) -> str:
    if not rows:
        return "no regions"
    a = np.array([r["a"] for r in rows])
    lines = [f"{len(rows)} judged first components within a ripple's match distance"]
    for name, key, truth in (("amplitude", "amp", a), ("depth", "depth", 2 * a)):
        lo = np.array([r[f"{key}_lo"] for r in rows])
        hi = np.array([r[f"{key}_hi"] for r in rows])
        above, below = truth > hi, truth < lo
        held = ~above & ~below
        lines.append(f"{name:9s} holds the truth {100 * held.mean():5.1f} % (above "
                     f"{100 * above.mean():4.1f} %, below {100 * below.mean():4.1f} %), "
                     f"median width hi/lo {np.median(hi / lo):.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--offset", type=int, default=0, help="first grammar case (default 0)")
    ap.add_argument("--cases", type=int, default=80, help="grammar cases (default 80)")
    ap.add_argument("--json", help="write one row per region to this file")
    args = ap.parse_args(argv)
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    rows = []
    for i in range(args.offset, args.offset + args.cases):
        rows += _rows(i)
    print(_summary(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
