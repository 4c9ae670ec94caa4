"""Benchmark the colour family by size, beside reading the file.

    .venv/bin/python bench/bench_colour.py                    # 250k and 1M faces
    .venv/bin/python bench/bench_colour.py --sizes 4e6        # one size

Prints figures; not a unit test. Each size runs in a fresh process (its own peak memory). The
mesh is the colour family's worst case for MS701: a flat sheet, vertex-coloured with stripes
3.6 r a period (between the 2 r and 4 r bands' peaks) at C S(f) = 2.9, 3 % under the contrast
reserve, at 500 mm, so every region stays open and is read again at its spectrum's peak
(checks/colour_peak.py). Per size: the baseline (trimesh's load of the binary PLY plus
merge_vertices, measured in the same process), miniscan's load, the colour field
(analysis/colour.py), the family's rules without the peak reading and with it, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = (250_000, 1_000_000)
PERIOD_R = 3.6  # stripes between the 2 r and 4 r bands (docs/colour.md, the intervals, item 6)
VISIBILITY = 2.9  # C S(f), 3 % under the reserve of 3: every region open


def sheet(faces: int, path: Path) -> None:
    """A square sheet of about `faces` faces, painted with the stripes, written as binary PLY."""
    import trimesh

    from miniscan.checks import colour as cc
    from miniscan.colourspace import linear_to_srgb
    from miniscan.conditions import ViewingConditions

    c = ViewingConditions(distance_mm=500.0)
    p = PERIOD_R * c.resolvable_mm
    s = float(cc.sensitivity(np.array([p]), 500.0)[0])
    n = max(4, int(round(np.sqrt(faces / 2.0))))  # an n x n grid of squares, two faces each
    size = n * p / 6.0  # six vertices a period
    x, y = np.meshgrid(np.linspace(0, size, n + 1), np.linspace(0, size, n + 1), indexing="ij")
    v = np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)])
    k = np.arange(n * (n + 1)).reshape(n, n + 1)[:, :n].ravel()
    f = np.concatenate([np.column_stack([k, k + n + 1, k + 1]),
                        np.column_stack([k + 1, k + n + 1, k + n + 2])])
    lum = 0.3 * (1.0 + VISIBILITY / s * np.sin(2 * np.pi * v[:, 0] / p))
    grey = (np.clip(linear_to_srgb(lum), 0, 1) * 255).round().astype(np.uint8)
    rgba = np.column_stack([grey, grey, grey, np.full(len(grey), 255, np.uint8)])
    trimesh.Trimesh(v, f, vertex_colors=rgba, process=False).export(path)


def one_size(path: Path) -> dict:
    import trimesh

    from miniscan.analysis import Analysis
    from miniscan.analysis import colour as col
    from miniscan.checks import colour as cc
    from miniscan.checks import colour_peak as cp
    from miniscan.conditions import ViewingConditions
    from miniscan.loading import load

    out = {}
    t = time.perf_counter()
    tm = trimesh.load(path, process=False)
    tm.merge_vertices()
    out["baseline_s"] = time.perf_counter() - t
    t = time.perf_counter()
    model = load(path)
    out["load_s"] = time.perf_counter() - t
    out["faces"] = model.n_faces
    c = ViewingConditions(distance_mm=500.0)
    a = Analysis(model)
    t = time.perf_counter()
    cf = col.for_analysis(a, c.resolvable_mm)
    out["field_s"] = time.perf_counter() - t
    out["regions"] = int(cf.counted.sum())
    peak = cp.narrow_by_peaks
    cp.narrow_by_peaks = lambda a_, cf_, best, lo, hi, *_: (best, lo, hi)
    t = time.perf_counter()
    cc.run(model, c, a)
    out["rules_s"] = time.perf_counter() - t
    cp.narrow_by_peaks = peak
    t = time.perf_counter()
    res = cc.run(model, c, a)
    out["rules_peak_s"] = time.perf_counter() - t
    out["open"] = sum(m.verdict == "undetermined" for m in res.measurements
                      if m.kind == "detail_visibility")
    out["rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                    help="face counts, comma separated (e.g. 250000,1e6)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(one_size(Path(args.child))))
        return 0
    print(f"{'faces':>9} {'baseline':>9} {'load':>7} {'field':>7} {'rules':>7} {'+peak':>7} "
          f"{'regions':>8} {'open':>5} {'RSS GB':>7}")
    for faces in (int(float(x)) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sheet.ply"
            sheet(faces, path)
            got = subprocess.run([sys.executable, __file__, "--child", str(path)],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
            r = json.loads(got.stdout.strip().splitlines()[-1])
        print(f"{r['faces']:>9} {r['baseline_s']:>8.2f}s {r['load_s']:>6.2f}s "
              f"{r['field_s']:>6.2f}s {r['rules_s']:>6.2f}s {r['rules_peak_s']:>6.2f}s "
              f"{r['regions']:>8} {r['open']:>5} {r['rss_gb']:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
