"""Batch speed: a repository of N small parts (procedural, 5k-50k faces, every format) checked
by the real CLI with --jobs J and every family, against trimesh reading the same files in the
same run (the floor: ``trimesh.load(process=False)`` + ``merge_vertices()``, in one process).

    nice -n 10 .venv/bin/python bench/bench_batch.py [--count 200] [--jobs 2] [--serial]
        [--select MS2,MS5] [--keep DIR] [--ci]

The parts are built reproducibly (fixed seed) from miniscan's sample generators: bevelled
blocks (random fillet radii and edge length), plates with fine relief (random spacing),
figures (the spear figure at random proportions, subdivided once), ripple spheres; each at a
random rotation and scale, written as STL, PLY, OBJ or GLB in turn.

Prints: the parts (count, faces min/median/max, MB); trimesh's wall time for all of them and
per file; miniscan's cold wall time (whole process: start-up, worker spawn, every file), files
per second, the ratio to trimesh, and from the JSON timings each file's seconds inside its
worker (median, 90th percentile, max: the warm per-file cost) and the seconds per family.
--serial adds a --jobs 1 run; --ci adds the cache, SARIF and --shard runs (a cached re-run
must give an identical report).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MINISCAN = [sys.executable, "-m", "miniscan"]
SEED = 20261129
# the small-part class: at most this many faces per file, at least a few thousand
FACES_RANGE = (5_000, 50_000)
FORMATS = ("stl", "ply", "obj", "glb")
TRIMESH_CHILD = """
import sys, time, json
t0 = time.perf_counter()
import trimesh
t1 = time.perf_counter()
per = []
for p in sys.argv[1:]:
    t = time.perf_counter()
    m = trimesh.load(p, force="mesh", process=False)
    m.merge_vertices()
    per.append(time.perf_counter() - t)
print(json.dumps({"import": t1 - t0, "per": per}))
"""


def _part(kind: str, rng):
    """(vertices, faces) of one procedural part of this kind, random but seeded."""
    from miniscan import samples

    if kind == "block":
        radii = tuple(rng.choice([0.0, 0.05, 0.2, 0.5, 1.0], 4))
        return samples.rounded_prism(rng.uniform(8, 20), rng.uniform(6, 14), rng.uniform(4, 12),
                                     radii=radii, max_edge=rng.uniform(0.16, 0.45))
    if kind == "plate":
        return samples.plate(rng.uniform(8, 14), rng.uniform(4, 8), rng.uniform(0.6, 2.0),
                             spacing=rng.uniform(0.08, 0.2))
    if kind == "figure":
        import trimesh

        v, f, _, _ = samples.spear_figure(rng.uniform(0.2, 0.8), rng.uniform(0.2, 1.0),
                                          rng.uniform(24, 40))
        v, f = trimesh.remesh.subdivide(v, f)
        return v, f
    return samples.ripple_sphere(rng.uniform(3, 8), rng.uniform(0.5, 2.0), rng.uniform(0.02, 0.1),
                                 int(rng.choice([4, 5])))


def make_meshes(out: Path, count: int) -> list[Path]:
    """`count` parts in `out`, in folders of 50, every kind and format in turn."""
    import trimesh

    from miniscan import samples

    rng = np.random.default_rng(SEED)
    writers = {"stl": samples.write_stl, "ply": samples.write_ply, "obj": samples.write_obj,
               "glb": samples.write_glb}
    paths = []
    for i in range(count):
        kind = ("block", "plate", "figure", "sphere")[i % 4]
        for _ in range(20):  # draw again (still seeded) until the part is a small one
            v, f = _part(kind, rng)
            if FACES_RANGE[0] <= len(f) <= FACES_RANGE[1]:
                break
        else:
            raise SystemExit(f"no {kind} within {FACES_RANGE} faces in 20 draws")
        rot = trimesh.transformations.random_rotation_matrix(rng.random(3))[:3, :3]
        v = (np.asarray(v) - np.mean(v, axis=0)) @ rot.T * rng.uniform(0.8, 1.25)
        ext = FORMATS[(i // 4) % len(FORMATS)]
        p = out / f"batch_{i // 50}" / f"{kind}_{i:03d}.{ext}"
        p.parent.mkdir(parents=True, exist_ok=True)
        writers[ext](p, v, np.asarray(f))
        paths.append(p)
    return paths


def trimesh_floor(paths: list[Path]) -> tuple[float, list[float], float]:
    """(wall of one process reading every file, seconds per file, import seconds)."""
    c0 = _cpu()
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", TRIMESH_CHILD, *map(str, paths)],
                       capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    CPU["last"] = _cpu() - c0
    d = json.loads(r.stdout)
    return wall, d["per"], d["import"]


def _cpu() -> float:
    """CPU seconds of every finished child process and the descendants they waited for
    (miniscan's workers included): steadier than wall time on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


CPU = {"last": 0.0}  # CPU seconds of the last run()


def run(args: list[str], cwd: Path) -> tuple[float, dict, int]:
    c0 = _cpu()
    t = time.perf_counter()
    r = subprocess.run(MINISCAN + args, cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "120", "PYTHONPATH": str(cwd / "src")})
    wall = time.perf_counter() - t
    CPU["last"] = _cpu() - c0
    if r.returncode not in (0, 1):
        sys.stderr.write(r.stderr)
    try:
        rep = json.loads(r.stdout)
    except ValueError:
        rep = {}
    return wall, rep, r.returncode


def _stats(xs: list[float]) -> str:
    xs = sorted(xs)
    return (f"median {statistics.median(xs):.2f} s, p90 {xs[int(0.9 * (len(xs) - 1))]:.2f} s, "
            f"max {xs[-1]:.2f} s")


def timed_check(common: list[str], jobs: int, work: Path, paths, floor: tuple[float, float]):
    wall, rep, rc = run(common + ["--no-cache", "--jobs", str(jobs)], work)
    cpu = CPU["last"]
    files = rep.get("timings", {}).get("files", {})
    bad = [f["path"] for f in rep.get("files", []) if f["status"] != "ok"]
    print(f"miniscan --jobs {jobs}: {wall:7.2f} s wall, {cpu:7.2f} s CPU, "
          f"{len(paths) / wall:5.2f} files/s, {wall / len(paths):.2f} s wall and "
          f"{cpu / len(paths):.2f} s CPU per file; {wall / floor[0]:.1f}x trimesh wall, "
          f"{cpu / floor[1]:.1f}x trimesh CPU  (exit {rc}, files {len(rep.get('files', []))}, "
          f"not ok {len(bad)})", flush=True)
    if files:
        inside = [t["total"] for t in files.values()]
        print(f"  inside a worker, per file: {_stats(inside)} (sum {sum(inside):.1f} s)")
        fams = {}
        for t in files.values():
            for k, v in t.items():
                if k != "total":
                    fams[k] = fams.get(k, 0.0) + v
        print("  per family, summed over files (s): " + "  ".join(
            f"{k} {v:.1f}" for k, v in sorted(fams.items(), key=lambda kv: -kv[1])))
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--serial", action="store_true", help="also time a --jobs 1 cold run")
    ap.add_argument("--ci", action="store_true", help="also the cache, SARIF and shard runs")
    ap.add_argument("--keep", type=Path, help="write the meshes here and keep them (a second "
                    "run with the same --keep and --count reuses them)")
    ap.add_argument("--select", help="only these rule codes (e.g. MS2,MS5,MS9 skips the "
                    "render-heavy families)")
    ns = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    work = ns.keep or Path(tempfile.mkdtemp(prefix="miniscan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # a frozen, byte-compiled copy of the source (as a pip install would be): edits made to
    # the checkout while the benchmark runs would (rightly) invalidate the cache
    shutil.copytree(ROOT / "src", work / "src", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    import compileall

    compileall.compile_dir(work / "src", quiet=1)
    t = time.perf_counter()
    existing = sorted(p for p in (work / "repo").rglob("*.*")) if (work / "repo").is_dir() else []
    paths = existing if len(existing) == ns.count else make_meshes(work / "repo", ns.count)
    made = time.perf_counter() - t
    from miniscan.loading import load

    faces = [load(p, units="mm").n_faces for p in paths[:: max(1, len(paths) // 40)]]
    print(f"parts: {len(paths)} in {work / 'repo'} (made in {made:.1f} s, "
          f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB; faces of a sample of "
          f"{len(faces)}: min {min(faces):,} median {int(np.median(faces)):,} max {max(faces):,})"
          f"; families: {ns.select or 'all'}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores", flush=True)

    floor, per, imp = trimesh_floor(paths)
    floor_cpu = CPU["last"]
    print(f"trimesh load+merge, one process: {floor:7.2f} s wall, {floor_cpu:.2f} s CPU "
          f"({imp:.2f} s import), per file {_stats(per)}", flush=True)
    common = ["check", "repo", "--fail-on", "never", "-f", "json",
              "--cache-dir", str(work / "cache")] + (["--select", ns.select] if ns.select else [])
    wall = timed_check(common, ns.jobs, work, paths, (floor, floor_cpu))
    if ns.serial:
        w1 = timed_check(common, 1, work, paths, (floor, floor_cpu))
        print(f"  speed-up with --jobs {ns.jobs}: {w1 / wall:.2f}x")
    if ns.ci:
        ci_runs(common, ns.jobs, work)
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not ns.keep:
        shutil.rmtree(work, ignore_errors=True)


def ci_runs(common: list[str], jobs: int, work: Path) -> None:
    """Cold run into the cache, cached re-run (identical report?), SARIF, shards."""
    wall, rep, _ = run(common + ["--jobs", str(jobs)], work)
    n = len(rep.get("files", []))
    print(f"cold   --jobs {jobs} (cache on): {wall:7.2f} s wall")
    wall2, rep2, _ = run(common + ["--jobs", str(jobs)], work)
    hits = rep2.get("timings", {}).get("cache", {}).get("hits")
    same = {k: v for k, v in rep.items() if k != "timings"} == \
        {k: v for k, v in rep2.items() if k != "timings"}
    print(f"cached --jobs {jobs}: {wall2:7.2f} s wall  (cache hits {hits}/{n}, "
          f"report identical: {same})")
    wall3, _, _ = run(common + ["--jobs", str(jobs), "--format", "sarif"], work)
    print(f"cached, SARIF out : {wall3:7.2f} s wall")
    counts = []
    for i in (1, 2, 3):
        _, r, _ = run(common + ["--shard", f"{i}/3"], work)
        counts.append(len(r.get("files", [])))
    print(f"shards 1/3 2/3 3/3: {counts} files (sum {sum(counts)})")


if __name__ == "__main__":
    main()
