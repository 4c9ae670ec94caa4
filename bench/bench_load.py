"""Loading and mesh-health speed: prints figures for 250k, 1M and 2M faces.

    .venv/bin/python bench/bench_load.py
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from miniscan.analysis import Analysis
from miniscan.checks import health
from miniscan.conditions import resolve
from miniscan.loading import load
from miniscan.samples import icosphere, write_ply, write_stl


def main() -> None:
    cond = resolve("tabletop")
    print(f"{'faces':>10} {'format':>6} {'load s':>8} {'health s':>9} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as d:
        for sub, label in ((7, "328k"), (8, "1.3M"), (9, "5.2M")):
            v, f = icosphere(15.0, sub)
            for ext, writer in (("stl", write_stl), ("ply", write_ply)):
                path = Path(d) / f"s{sub}.{ext}"
                writer(path, v, f)
                t = time.perf_counter()
                m = load(path, units="mm")
                t_load = time.perf_counter() - t
                t = time.perf_counter()
                health.run(m, cond, Analysis(m))
                t_health = time.perf_counter() - t
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{len(f):>10,} {ext:>6} {t_load:>8.2f} {t_health:>9.2f} {rss:>12.0f}")
            if sub == 8:
                break


if __name__ == "__main__":
    main()
