"""Batch speed: a directory of N small meshes (the sample meshes, decimated, rotated, rescaled
and re-exported) checked by the real CLI with --jobs J, then re-checked from the cache.

    .venv/bin/python bench/bench_batch.py [--count 200] [--jobs 2] [--serial] [--keep DIR]

Prints: cold run wall time and files/s, cached re-run wall time (whole process, Python
start-up included), cache hit count, the three shards' file counts, and with --serial the
--jobs 1 cold time for the speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MINISCAN = [sys.executable, "-m", "miniscan"]


def make_meshes(out: Path, count: int) -> list[Path]:
    import open3d as o3d
    import trimesh

    from miniscan.loading import load

    rng = np.random.default_rng(20261122)
    from miniscan.loading import EXTENSIONS

    samples = sorted(p for p in (ROOT / "sample_meshes").iterdir() if p.suffix.lower() in EXTENSIONS)
    bases = []
    for p in samples:
        m = load(p, units="mm")
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.array(m.vertices, dtype=np.float64)),
                                         o3d.utility.Vector3iVector(np.array(m.faces, dtype=np.int32)))
        bases.append((p.stem, mesh))
    paths, memo = [], {}
    for i in range(count):
        stem, mesh = bases[i % len(bases)]
        target = int(rng.choice([2000, 4000, 8000]))
        if (stem, target) not in memo:
            memo[stem, target] = mesh.simplify_quadric_decimation(min(target, len(mesh.triangles)))
        small = memo[stem, target]
        v = np.asarray(small.vertices)
        f = np.asarray(small.triangles)
        rot = trimesh.transformations.random_rotation_matrix(rng.random(3))[:3, :3]
        v = (v - v.mean(0)) @ rot.T * rng.uniform(0.9, 1.1)
        ext = ("stl", "ply", "obj")[i % 3]
        p = out / f"batch_{i // 50}" / f"{stem}_{i:03d}.{ext}"
        p.parent.mkdir(parents=True, exist_ok=True)
        data = trimesh.Trimesh(v, f, process=False).export(file_type=ext)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        paths.append(p)
    return paths


def run(args: list[str], cwd: Path) -> tuple[float, dict, int]:
    # a frozen copy of the source: edits made to the checkout while the benchmark runs would
    # (rightly) invalidate the cache, whose key includes a hash of miniscan's own code
    t = time.perf_counter()
    r = subprocess.run(MINISCAN + args, cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "120", "PYTHONPATH": str(cwd / "src")})
    wall = time.perf_counter() - t
    if r.returncode not in (0, 1):
        sys.stderr.write(r.stderr)
    try:
        rep = json.loads(r.stdout)
    except ValueError:
        rep = {}
    return wall, rep, r.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--serial", action="store_true", help="also time a --jobs 1 cold run")
    ap.add_argument("--keep", type=Path, help="write the meshes here and keep them (a second "
                    "run with the same --keep and --count reuses them)")
    ap.add_argument("--select", help="only these rule codes (e.g. MS2,MS5,MS9 skips the "
                    "render-heavy families)")
    ns = ap.parse_args()

    work = ns.keep or Path(tempfile.mkdtemp(prefix="miniscan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "src", work / "src", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # as a pip install would: byte-compiled (this machine sets PYTHONDONTWRITEBYTECODE)
    import compileall

    compileall.compile_dir(work / "src", quiet=1)
    t = time.perf_counter()
    existing = sorted(p for p in (work / "repo").rglob("*.*")) if (work / "repo").is_dir() else []
    paths = existing if len(existing) == ns.count else make_meshes(work / "repo", ns.count)
    faces = []
    import trimesh

    for p in paths[:15]:
        faces.append(len(trimesh.load(p, force="mesh", process=False).faces))
    print(f"families: {ns.select or 'all'}; meshes: {len(paths)} in {work / 'repo'} (made in {time.perf_counter() - t:.1f} s, "
          f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB, ~{int(np.mean(faces))} faces each)")

    common = ["check", "repo", "--fail-on", "never", "-f", "json", "--units", "mm",
              "--cache-dir", str(work / "cache")] + (["--select", ns.select] if ns.select else [])
    wall, rep, rc = run(common + ["--jobs", str(ns.jobs)], work)
    n = len(rep.get("files", []))
    print(f"cold   --jobs {ns.jobs}: {wall:7.2f} s wall  {n / wall:6.2f} files/s  "
          f"(files {n}, findings {sum(rep['summary']['findings_by_severity'].values())})")
    wall2, rep2, _ = run(common + ["--jobs", str(ns.jobs)], work)
    hits = rep2.get("timings", {}).get("cache", {}).get("hits")
    same = {k: v for k, v in rep.items() if k != "timings"} == \
        {k: v for k, v in rep2.items() if k != "timings"}
    print(f"cached --jobs {ns.jobs}: {wall2:7.2f} s wall  (cache hits {hits}/{n}, "
          f"report identical: {same})")
    wall3, _, _ = run(common + ["--jobs", str(ns.jobs), "--format", "sarif"], work)
    print(f"cached, SARIF out : {wall3:7.2f} s wall")
    counts = []
    for i in (1, 2, 3):
        _, r, _ = run(common + ["--shard", f"{i}/3"], work)
        counts.append(len(r.get("files", [])))
    print(f"shards 1/3 2/3 3/3: {counts} files (sum {sum(counts)})")
    if ns.serial:
        w1, r1, _ = run(common + ["--no-cache", "--jobs", "1"], work)
        print(f"cold   --jobs 1: {w1:7.2f} s wall  {len(r1.get('files', [])) / w1:6.2f} files/s  "
              f"(speed-up with --jobs {ns.jobs}: {w1 / wall:.2f}x)")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not ns.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
