"""Speed at sculpt scale: miniscan against the cost of reading the file, side by side.

Builds sculpt-like meshes reproducibly (the corpus koala, scaled to a 28 mm mini, decimated to a
base, Loop-subdivided and displaced by fixed-seed relief; a procedural blob when the corpus is
absent) at 250k / 1M / 2M / 8M faces (20M with --huge), writes them as binary STL and, per
size, times two child processes measured the same way (wall clock; CPU time and peak RSS from
wait4 — on a shared machine the CPU time is the steadier figure):

- trimesh: ``trimesh.load(path, process=False)`` + ``merge_vertices()`` (the floor: reading);
- miniscan: ``python -m miniscan check PATH -f json --no-cache --isolated`` (all families),
  with the per-family seconds from the JSON report's timings.

It prints the ratios (miniscan / trimesh, wall and peak) and the slope of log(time) against
log(faces) from the smallest to the largest size next to the n log n reference slope.

    nice -n 10 .venv/bin/python bench/bench_scale.py                # 250k 1M 2M 8M
    nice -n 10 .venv/bin/python bench/bench_scale.py --sizes 250k,1M,2M --repeat 3
    nice -n 10 .venv/bin/python bench/bench_scale.py --huge          # adds 20M (see below)
    nice -n 10 .venv/bin/python bench/bench_scale.py --profile 2M    # where time and memory go
    nice -n 10 .venv/bin/python bench/bench_scale.py --shared 8M     # the shared Analysis parts

--keep DIR writes the meshes there and reuses them on the next run (building 8M takes about a
minute). --profile SIZE runs every family in one process under cProfile and prints, per family,
its wall time, its peak memory above the process's level before it (the kernel's high-water
mark, reset between families), the miniscan call stack at that peak, the source lines that took
the most time (sampled), and the functions with the most cumulative (miniscan code) and own
(any library) time.
A size whose expected peak (PEAK_GB_PER_MFACE) exceeds the memory available now is skipped
with a note, unless --force: at 20M faces that is about 30 GB with today's families.
Run it with `nice` on a shared machine; figures depend on the load, so say it with them.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from miniscan.loading.limits import MEMORY_BYTES_PER_FACE  # noqa: E402  (no heavy imports)
CORPUS_KOALA = ROOT.parent / "shared" / "corpus" / "sculpt_koala.obj"
SEED = 20261122
MINI_HEIGHT_MM = 28.0  # a 28 mm tabletop miniscale figure: the project's main use case
# Relief like a sculptor's skin/cloth pass: plane waves whose wavelengths span what every size
# here resolves (the 250k mesh has edges near 0.1 mm, so nothing shorter than ~4 edges), with a
# constant slope 2*pi*a/p ~ 0.12 rad so each band is equally visible.
RELIEF_WAVELENGTHS_MM = (0.5, 3.0)
RELIEF_SLOPE_RAD = 0.12
RELIEF_WAVES = 24
BASE_MAX_FACES = 100_000  # bases are decimated below this, then subdivided (x4 per pass)
# miniscan's peak per million faces (GiB), used to skip sizes that would exhaust a shared
# machine's memory: the memory guard's own figure (loading.limits), measured here
PEAK_GB_PER_MFACE = MEMORY_BYTES_PER_FACE * 1e6 / 1024**3
SIZES = {"250k": 250_000, "1M": 1_000_000, "2M": 2_000_000, "8M": 8_000_000,
         "20M": 20_000_000}


# --------------------------------------------------------------------------- the meshes


def _base_mesh() -> tuple[np.ndarray, np.ndarray, str]:
    """The koala scaled to a 28 mm mini, or a lumpy procedural figure when it is absent."""
    import trimesh

    if CORPUS_KOALA.exists():
        m = trimesh.load(CORPUS_KOALA, force="mesh", process=True)
        v, f, name = np.asarray(m.vertices), np.asarray(m.faces), "koala"
    else:
        from miniscan.samples import icosphere

        v, f = icosphere(1.0, 6)
        rng = np.random.default_rng(SEED)
        lobes = rng.normal(size=(6, 3))
        lobes /= np.linalg.norm(lobes, axis=1, keepdims=True)
        r = 1.0 + 0.35 * np.maximum(v @ lobes.T, 0) ** 4 @ np.ones(6)
        v = v * r[:, None] * np.array([0.6, 0.5, 1.0])
        name = "procedural blob"
    v = (v - v.min(axis=0)) * (MINI_HEIGHT_MM / np.ptp(v, axis=0).max())
    return v, f, name


def _relief(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Vertices moved along their normals by a fixed-seed sum of plane waves (mm)."""
    rng = np.random.default_rng(SEED + 1)
    lo, hi = RELIEF_WAVELENGTHS_MM
    d = np.zeros(len(v))
    for _ in range(RELIEF_WAVES):
        k = rng.normal(size=3)
        k /= np.linalg.norm(k)
        p = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        amp = RELIEF_SLOPE_RAD * p / (2 * math.pi) / math.sqrt(RELIEF_WAVES)
        d += amp * np.sin((2 * math.pi / p) * (v @ k) + rng.uniform(0, 2 * math.pi))
    return v + n * d[:, None]


def build(faces: int, path: Path) -> str:
    """Write a sculpt-like binary STL of exactly `faces` triangles to `path`; returns its source."""
    import open3d as o3d
    import trimesh

    from miniscan.samples import write_stl

    v, f, name = _base_mesh()
    passes = 0
    while faces / 4 ** passes > min(BASE_MAX_FACES, len(f)):
        passes += 1
    om = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(v),
                                   o3d.utility.Vector3iVector(f.astype(np.int32)))
    base = om.simplify_quadric_decimation(int(round(faces / 4 ** passes)))
    v, f = np.asarray(base.vertices), np.asarray(base.triangles).astype(np.int64)
    if passes:
        v, f = trimesh.remesh.subdivide_loop(v, f, iterations=passes)
    normals = trimesh.Trimesh(v, f, process=False).vertex_normals
    write_stl(path, _relief(v, normals), f, header=f"bench_scale {name} {faces}")
    return f"{name}, {len(f):,} faces ({passes} Loop passes over a {len(f) // 4 ** passes:,}-face base)"


def ensure_meshes(sizes: list[str], out: Path) -> dict[str, Path]:
    """Build missing meshes, each in its own spawned process so their memory goes back."""
    paths = {}
    ctx = mp.get_context("spawn")
    for s in sizes:
        p = out / f"sculpt_{s}.stl"
        if not p.exists():
            t = time.perf_counter()
            with ctx.Pool(1) as pool:
                what = pool.apply(build, (SIZES[s], p))
            print(f"built {p.name}: {what} in {time.perf_counter() - t:.0f} s", flush=True)
        paths[s] = p
    return paths


# --------------------------------------------------------------------------- measuring


TRIMESH_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import trimesh
t1 = time.perf_counter()
m = trimesh.load(sys.argv[1], force="mesh", process=False)
m.merge_vertices()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load_merge": t2 - t1, "faces": len(m.faces)}))
"""


def child(cmd: list[str], out: Path) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS GB, return code) of one child process, output in `out`.

    CPU time (user + system) is the steadier figure on a shared machine: the wall clock also
    counts the time other people's processes held the cores."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "120"}
    with open(out, "wb") as fh:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL, env=env, cwd=out.parent)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024 ** 2, p.returncode  # ru_maxrss: KiB on Linux


def measure_trimesh(path: Path, work: Path) -> dict:
    out = work / "trimesh.json"
    wall, cpu, peak, rc = child([sys.executable, "-c", TRIMESH_CHILD, str(path)], out)
    inner = json.loads(out.read_text()) if rc == 0 else {}
    return {"wall": wall, "cpu": cpu, "peak": peak, "rc": rc, **inner}


def measure_miniscan(path: Path, work: Path, extra: list[str]) -> dict:
    out = work / "miniscan.json"
    cmd = [sys.executable, "-m", "miniscan", "check", str(path), "-f", "json", "--no-cache",
           "--isolated", "--fail-on", "never", "--units", "mm", *extra]
    wall, cpu, peak, rc = child(cmd, out)
    try:
        rep = json.loads(out.read_text())
        fr = rep["files"][0]
        timings = rep["timings"]["files"][fr["path"]]
        status = {c["family"]: c["status"] for c in fr.get("checks", [])}
    except (ValueError, KeyError, IndexError):
        timings, status = {}, {}
    return {"wall": wall, "cpu": cpu, "peak": peak, "rc": rc, "timings": timings,
            "status": status}


def _median(runs: list[dict], key: str) -> float:
    vals = [r[key] for r in runs if key in r]
    return statistics.median(vals) if vals else float("nan")


def slope(faces: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) against log(faces)."""
    if len(faces) < 2:
        return float("nan")
    return float(np.polyfit(np.log(faces), np.log(times), 1)[0])


def nlogn_slope(lo: int, hi: int) -> float:
    """The slope an n log n cost has between lo and hi faces (1 would be linear)."""
    return 1 + math.log(math.log(hi) / math.log(lo)) / math.log(hi / lo)


def available_gb() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable"):
                return int(line.split()[1]) / 1024 ** 2
    return float("inf")


def fits(size: str) -> bool:
    """Whether miniscan's expected peak at this size fits in the memory available now."""
    need, have = PEAK_GB_PER_MFACE * SIZES[size] / 1e6, available_gb()
    if need > have:
        print(f"{size}: skipped, needs about {need:.0f} GB and {have:.0f} GB are available "
              f"(--force runs it anyway)")
    return need <= have


def run_sizes(paths: dict[str, Path], repeat: int, work: Path, extra: list[str]) -> None:
    rows = []
    for s, p in paths.items():
        tm, ms = [], []
        for _ in range(repeat):  # interleaved, so a load spike hits both sides alike
            tm.append(measure_trimesh(p, work))
            ms.append(measure_miniscan(p, work, extra))
        fams = {k: statistics.median(r["timings"].get(k, float("nan")) for r in ms)
                for k in ms[0]["timings"]}
        row = {"size": s, "faces": tm[0].get("faces", SIZES[s]), "tm_wall": _median(tm, "wall"),
               "tm_inner": _median(tm, "load_merge"), "tm_peak": _median(tm, "peak"),
               "tm_cpu": _median(tm, "cpu"), "ms_cpu": _median(ms, "cpu"),
               "ms_wall": _median(ms, "wall"), "ms_peak": _median(ms, "peak"),
               "ms_total": fams.get("total", float("nan")), "fams": fams,
               "status": ms[-1]["status"], "rc": ms[-1]["rc"]}
        rows.append(row)
        _print_row(row)
    _print_summary(rows)


def _print_row(r: dict) -> None:
    print(f"\n== {r['size']} faces ({r['faces']:,})")
    print(f"  trimesh load+merge : {r['tm_inner']:7.2f} s inside, {r['tm_wall']:7.2f} s wall, "
          f"{r['tm_cpu']:7.2f} s CPU, peak {r['tm_peak']:5.2f} GB")
    print(f"  miniscan check     : {r['ms_total']:7.2f} s inside, {r['ms_wall']:7.2f} s wall, "
          f"{r['ms_cpu']:7.2f} s CPU, peak {r['ms_peak']:5.2f} GB  (exit {r['rc']})")
    print(f"  ratio              : {r['ms_wall'] / r['tm_wall']:5.2f}x wall, "
          f"{r['ms_total'] / r['tm_inner']:5.2f}x inside, {r['ms_cpu'] / r['tm_cpu']:5.2f}x CPU, "
          f"{r['ms_peak'] / r['tm_peak']:5.2f}x peak")
    fams = {k: v for k, v in r["fams"].items() if k != "total"}
    print("  per family (s)     : " + "  ".join(
        f"{k} {v:.2f}{'' if r['status'].get(k, 'ok') in ('ok', 'pass', 'fail') else '[' + r['status'].get(k, '?') + ']'}"
        for k, v in sorted(fams.items(), key=lambda kv: -kv[1])), flush=True)


def _print_summary(rows: list[dict]) -> None:
    if len(rows) < 2:
        return
    faces = [r["faces"] for r in rows]
    print(f"\n== slope of log(time) vs log(faces), {rows[0]['size']} .. {rows[-1]['size']} "
          f"(linear 1.00, n log n {nlogn_slope(faces[0], faces[-1]):.2f})")
    print(f"  trimesh load+merge {slope(faces, [r['tm_inner'] for r in rows]):5.2f}   "
          f"miniscan {slope(faces, [r['ms_total'] for r in rows]):5.2f} "
          f"(CPU {slope(faces, [r['ms_cpu'] for r in rows]):.2f})   "
          f"peak RSS: trimesh {slope(faces, [r['tm_peak'] for r in rows]):5.2f} "
          f"miniscan {slope(faces, [r['ms_peak'] for r in rows]):5.2f}")
    fams = [k for k in rows[0]["fams"] if k != "total"]
    print("  per family: " + "  ".join(
        f"{k} {slope(faces, [max(r['fams'].get(k, 1e-9), 1e-9) for r in rows]):.2f}"
        for k in fams))


# --------------------------------------------------------------------------- profile


def _hwm_gb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024 ** 2
    return float("nan")


def _rss_gb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3


def _reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w") as fh:  # "5" resets the peak RSS (Linux >= 4.0)
        fh.write("5")


class PeakStack:
    """A thread that samples the main thread every few ms: its miniscan stack at the RSS peak,
    and the seconds spent on each miniscan source line (the innermost one on the stack).

    numpy holds the GIL through most of its kernels, so a sample lands when a long call
    returns; the wall time since the previous sample is charged to the line it finds, which
    is the line that made the call (or the one after it)."""

    INTERVAL_S = 0.005

    def __init__(self):
        import collections
        import threading

        self.main = threading.main_thread().ident
        self.stop = threading.Event()
        self.peak, self.stack = 0.0, []
        self.lines = collections.Counter()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import traceback

        last = time.perf_counter()
        while not self.stop.wait(self.INTERVAL_S):
            frame = sys._current_frames().get(self.main)
            now = time.perf_counter()
            ours = [fs for fs in traceback.extract_stack(frame)
                    if "miniscan" in fs.filename and "bench_" not in fs.filename] if frame else []
            if ours:
                self.lines[f"{Path(ours[-1].filename).name}:{ours[-1].lineno} "
                           f"{ours[-1].name}: {(ours[-1].line or '').strip()[:70]}"] += now - last
            last = now
            rss = _rss_gb()
            if rss > self.peak:
                self.peak = rss
                self.stack = [f"{Path(fs.filename).name}:{fs.lineno} {fs.name}" for fs in ours]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def profile_child(path: str, top: int) -> None:
    """Every family in this process under cProfile, with its peak memory and where it sits."""
    import cProfile
    import pstats

    from miniscan.analysis import Analysis
    from miniscan.checks import families, runner
    from miniscan.conditions import resolve
    from miniscan.loading import load

    cond = resolve("tabletop")
    t = time.perf_counter()
    _reset_hwm()
    base = _rss_gb()
    model = load(path, units="mm")
    print(f"load: {time.perf_counter() - t:.2f} s, peak +{_hwm_gb() - base:.2f} GB, "
          f"model {model.n_faces:,} faces", flush=True)
    analysis = Analysis(model)
    for fam in families():
        base = _rss_gb()
        _reset_hwm()
        prof = cProfile.Profile()
        t = time.perf_counter()
        with PeakStack() as ps:
            prof.enable()
            try:
                res = runner(fam)(model, cond, analysis)
                status = res.status
            except Exception as e:  # report it and go on, as the runner does
                status = f"error {type(e).__name__}: {e}"
            prof.disable()
        wall = time.perf_counter() - t
        print(f"\n-- {fam}: {wall:.2f} s, status {status}; peak {_hwm_gb():.2f} GB "
              f"(+{_hwm_gb() - base:.2f} over {base:.2f} GB before it); retained now "
              f"{_rss_gb():.2f} GB")
        if ps.stack:
            print("   at the peak: " + " > ".join(ps.stack[-6:]))
        print("   hot lines (sampled):    " + "\n                           ".join(
            f"{sec:7.2f} s  {line}" for line, sec in ps.lines.most_common(top)))
        _print_stats(pstats.Stats(prof), top)
        sys.stdout.flush()


def _print_stats(st, top: int) -> None:
    rows = [(fn, cc, nc, tt, ct) for fn, (cc, nc, tt, ct, _) in st.stats.items()]
    own = sorted(rows, key=lambda r: -r[3])[:top]
    ours = sorted((r for r in rows if "miniscan" in r[0][0] and "bench_" not in r[0][0]),
                  key=lambda r: -r[4])[:top]

    def name(fn):
        file, line, func = fn
        return f"{Path(file).name}:{line} {func}" if file != "~" else func

    print("   cumulative (miniscan):  " + "\n                           ".join(
        f"{ct:7.2f} s  {name(fn)} x{nc}" for fn, cc, nc, tt, ct in ours))
    print("   own time (any):         " + "\n                           ".join(
        f"{tt:7.2f} s  {name(fn)} x{nc}" for fn, cc, nc, tt, ct in own))


SHARED = ("face_normals", "face_areas", "face_centroids", "_edge_keys", "edges_unique",
          "edge_lengths", "degenerate", "winding_consistent", "watertight", "edge_faces",
          "vertex_normals", "body_labels", "kdtree", "centroid_tree", "raycasting_scene",
          "samples_1M", "resample_r/2", "resample_2r")


def shared_child(path: str) -> None:
    """Time and peak memory of each shared Analysis quantity, in dependency order."""
    from miniscan.analysis import Analysis
    from miniscan.conditions import resolve
    from miniscan.loading import load

    r = resolve("tabletop").resolvable_mm
    model = load(path, units="mm")
    a = Analysis(model)
    jobs = {"samples_1M": lambda: a.sample_surface(1_000_000),
            "resample_r/2": lambda: a.resampled(0.5 * r),
            "resample_2r": lambda: a.resampled(2.0 * r)}
    print(f"{model.n_faces:,} faces, {model.n_vertices:,} vertices; RSS {_rss_gb():.2f} GB")
    print(f"{'quantity':>20} {'s':>7} {'CPU s':>7} {'peak +GB':>9} {'kept GB':>8}")
    for name in SHARED:
        base = _rss_gb()
        _reset_hwm()
        t, c = time.perf_counter(), time.process_time()
        try:
            out = jobs[name]() if name in jobs else getattr(a, name)
        except AttributeError:
            print(f"{name:>20}       -  (not in this tree)")
            continue
        note = f"  {out.n_faces:,} faces" if hasattr(out, "face_map") else ""
        print(f"{name:>20} {time.perf_counter() - t:7.2f} {time.process_time() - c:7.2f} "
              f"{_hwm_gb() - base:9.2f} "
              f"{_rss_gb() - base:8.2f}{note}", flush=True)


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="250k,1M,2M,8M", help="comma list of " + ",".join(SIZES))
    ap.add_argument("--huge", action="store_true", help="also 20M faces (needs ~20 GB free)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; medians are shown")
    ap.add_argument("--keep", type=Path, help="build the meshes here and reuse them")
    ap.add_argument("--force", action="store_true", help="run sizes that may not fit in memory")
    ap.add_argument("--profile", metavar="SIZE", help="profile every family at this size")
    ap.add_argument("--top", type=int, default=8, help="functions listed per family (--profile)")
    ap.add_argument("--check-args", default="", help="extra `miniscan check` arguments, e.g. "
                    "'--select MS2'")
    ap.add_argument("--shared", metavar="SIZE", help="time each shared Analysis quantity "
                    "(normals, edge topology, trees, resampling) at this size")
    ap.add_argument("--_profile-child", dest="profile_child", help=argparse.SUPPRESS)
    ap.add_argument("--_shared-child", dest="shared_child", help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns.profile_child:
        return profile_child(ns.profile_child, ns.top)
    if ns.shared_child:
        return shared_child(ns.shared_child)

    sizes = [s.strip() for s in ns.sizes.split(",") if s.strip()]
    if ns.huge and "20M" not in sizes:
        sizes.append("20M")
    if ns.profile or ns.shared:
        sizes = [ns.profile or ns.shared]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        ap.error(f"unknown size(s) {unknown}; use {', '.join(SIZES)}")
    sizes = [s for s in sizes if ns.force or fits(s)]
    tmp = None if ns.keep else tempfile.TemporaryDirectory(prefix="miniscan-scale-")
    work = ns.keep or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["PYTHONPATH"] = str(ROOT / "src")  # the spawned mesh builders import miniscan
    try:
        paths = ensure_meshes(sizes, work)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        if ns.profile:
            subprocess.run([sys.executable, __file__, "--_profile-child", str(paths[ns.profile]),
                            "--top", str(ns.top)], check=False)
        elif ns.shared:
            subprocess.run([sys.executable, __file__, "--_shared-child", str(paths[ns.shared])],
                           check=False)
        else:
            run_sizes(paths, ns.repeat, work, ns.check_args.split())
        print(f"\nload average now {os.getloadavg()[0]:.1f}")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
