"""What worker isolation (pool.py) costs: a worker's start-up, a file's round trip, the size
and pickling time of the sample meshes' results, and the sample meshes checked by the CLI
in this process (--timeout 0) and in one worker (the default).

    .venv/bin/python bench/bench_isolation.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def trivial_round_trips() -> None:
    from pool_work import misbehave

    from miniscan import pool
    from miniscan.conditions import resolve
    from miniscan.runner import FileJob, RunOptions

    cond, opts = resolve("tabletop"), RunOptions()
    for n in (1, 50):
        todo = [(i, FileJob(f"/none/f{i}.stl", cond, opts)) for i in range(n)]
        t = time.perf_counter()
        pool.run(todo, 1, 600, lambda i, fr: None, work=misbehave)
        print(f"{n:3d} trivial files through one worker (start-up included): "
              f"{time.perf_counter() - t:.3f} s")


def result_sizes(samples: list[Path]) -> None:
    from miniscan.conditions import resolve
    from miniscan.runner import FileJob, RunOptions, work_in_worker

    for s in samples:
        fr = work_in_worker(FileJob(str(s), resolve("tabletop"), RunOptions()))
        t = time.perf_counter()
        for _ in range(20):
            blob = pickle.dumps(fr)
            pickle.loads(blob)
        print(f"{s.name}: result {len(blob):,} bytes, pickle + unpickle "
              f"{(time.perf_counter() - t) / 20 * 1000:.2f} ms")


def cli_runs(samples: list[Path], repeat: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeat):
            for mode in (["--timeout", "0"], []):
                out = Path(d) / "r.json"
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "miniscan", "check", *map(str, samples),
                                "--no-cache", "-j", "1", "-f", "json", "-o", str(out), *mode],
                               env=env, capture_output=True, check=False)
                wall = time.perf_counter() - t
                files = json.loads(out.read_text())["timings"]["files"]
                work = sum(v.get("total", 0) for v in files.values())
                print(f"{'in this process' if mode else 'one worker     '}: {wall:.1f} s wall, "
                      f"{work:.1f} s checking, {len(files)} files")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from miniscan.loading import EXTENSIONS

    samples = sorted(p for p in (ROOT / "sample_meshes").iterdir() if p.suffix in EXTENSIONS)
    trivial_round_trips()
    result_sizes(samples)
    cli_runs(samples, args.repeat)


if __name__ == "__main__":
    main()
