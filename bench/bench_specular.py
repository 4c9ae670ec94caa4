"""Benchmark the rendered families (specular + silhouette) by size, and the specular kernel.

    .venv/bin/python bench/bench_specular.py                  # 250k / 2M / 8M, both families
    .venv/bin/python bench/bench_specular.py --sizes 2e6      # one size
    .venv/bin/python bench/bench_specular.py --corpus         # every corpus mesh, both profiles

Prints figures; not a unit test. Each size runs in a fresh process (its own peak memory): a
28 mm 'mini' (a lumpy ellipsoid, UV-sphere triangulation: slivers at the poles) with fine
scan-like noise, seen at 500 mm (tabletop) under satin. Wall and CPU seconds per family beside
trimesh's load + merge of the same mesh from a binary STL (the cost of reading the file), the
raster (clustered mesh) size, peak RSS. The machine is shared: CPU time is the comparable
figure (open3d's ray casting uses both cores, so its CPU can exceed its wall time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = (250_000, 2_000_000, 8_000_000)


def mini(faces: int):
    """A sculpt-like 28 mm part of about `faces` faces (deterministic)."""
    import trimesh

    from miniscan.model import from_arrays

    n = max(8, int(round(np.sqrt(faces / 4.0))))  # a UV sphere of n x n has ~4 n^2 faces
    m = trimesh.creation.uv_sphere(radius=1.0, count=[n, n])
    v = np.asarray(m.vertices) * [6.0, 5.0, 14.0]
    normal = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    lumps = 0.8 * np.sin(v[:, 0] * 1.3) * np.cos(v[:, 2] * 0.7)  # the sculpt's form
    rng = np.random.default_rng(7)
    noise = 0.01 * rng.standard_normal(len(v)) * (v[:, 0] > 0)  # scan noise on one side
    v = v + (lumps + noise)[:, None] * normal
    v[:, 2] += 14.0
    return from_arrays(v, np.asarray(m.faces))


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _trimesh_baseline(m) -> float:
    """Seconds for trimesh to load the mesh from a binary STL and merge its vertices: the cost
    of merely reading the file, the figure the families are measured against."""
    import tempfile

    import trimesh

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mini.stl"
        trimesh.Trimesh(m.vertices, m.faces, process=False).export(path)
        t = time.perf_counter()
        tm = trimesh.load(path, process=False)
        tm.merge_vertices()
        return time.perf_counter() - t


def one_size(faces: int, profile: str = "tabletop") -> dict:
    """Both families on one generated mesh, in this process."""
    from miniscan.analysis import Analysis
    from miniscan.checks import silhouette, specular
    from miniscan.conditions import resolve

    t = time.perf_counter()
    m = mini(faces)
    out = {"faces": m.n_faces, "build_s": time.perf_counter() - t, "rss_mesh_gb": _rss_gb()}
    c = resolve(profile, finish="satin")
    a = Analysis(m)
    t, cpu = time.perf_counter(), time.process_time()
    a.face_normals, a.face_areas, a.face_centroids  # noqa: B018  (shared by every family)
    out["shared_s"] = time.perf_counter() - t
    for fam in (specular, silhouette):
        t, cpu = time.perf_counter(), time.process_time()
        r = fam.run(m, c, a)
        out[fam.FAMILY] = {"wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - cpu,
                           "findings": [f.code for f in r.findings],
                           "raster_faces": (r.metrics.get("raster") or
                                            r.metrics.get("orbit", {}).get("raster", {})).get("faces")}
    out["rss_peak_gb"] = _rss_gb()
    out["trimesh_s"] = _trimesh_baseline(m)  # (after the peak: its copies are not ours)
    return out


def sizes(args):
    print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"{'faces':>10} {'trimesh load+merge s':>20} {'specular wall/cpu s':>20} "
          f"{'silhouette wall/cpu s':>22} {'both wall s':>11} {'raster faces':>12} "
          f"{'peak GB':>8}  findings")
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(int(float(n))), "--profile", args.profile]
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
        if r.returncode != 0:
            print(f"{int(float(n)):>10} failed: {r.stderr.strip().splitlines()[-1:]}")
            continue
        d = json.loads(r.stdout.strip().splitlines()[-1])
        sp, si = d["specular"], d["silhouette"]
        both = sp["wall_s"] + si["wall_s"]
        rows.append((d["faces"], both))
        print(f"{d['faces']:>10,} {d['trimesh_s']:>20.2f} {sp['wall_s']:>9.2f} / {sp['cpu_s']:<8.2f} "
              f"{si['wall_s']:>10.2f} / {si['cpu_s']:<9.2f} {both:>11.2f} "
              f"{si['raster_faces'] or 0:>12,} {d['rss_peak_gb']:>8.2f}  "
              f"{sorted(set(sp['findings'] + si['findings']))}")
    if len(rows) >= 2:
        (n0, t0), (n1, t1) = rows[0], rows[-1]
        print(f"slope of log(time) vs log(faces): {np.log(t1 / t0) / np.log(n1 / n0):.2f}")


def corpus(args):
    """Both families on every corpus mesh (and the samples), tabletop and display."""
    from miniscan.analysis import Analysis
    from miniscan.checks import silhouette, specular
    from miniscan.conditions import resolve
    from miniscan.loading import load

    files = sorted(p for p in (ROOT / "sample_meshes").iterdir()
                   if p.suffix in (".stl", ".ply", ".glb", ".obj"))
    cdir = ROOT.parent / "shared" / "corpus"
    if cdir.is_dir():
        files += sorted(p for p in cdir.iterdir() if p.suffix.lower() != ".md")
    print(f"{'file':32} {'prof':4} {'faces':>7} {'spec cpu':>8} {'sil cpu':>7}  findings")
    for p in files:
        for prof in ("tabletop", "display"):
            c = resolve(prof)
            try:
                m = load(str(p), None, scale_n=c.scale_n)
            except Exception as e:  # noqa: BLE001 - a benchmark reports and moves on
                print(f"{p.name[:32]:32} load error: {e}")
                break
            a = Analysis(m)
            res = {}
            for fam in (specular, silhouette):
                cpu = time.process_time()
                r = fam.run(m, c, a)
                res[fam.FAMILY] = (time.process_time() - cpu, r)
            codes = [f.code for r in (res["specular"][1], res["silhouette"][1]) for f in r.findings]
            summary = " ".join(f"{k}x{codes.count(k)}" for k in sorted(set(codes))) or "-"
            print(f"{p.name[:32]:32} {prof[:4]:4} {m.n_faces:>7,} {res['specular'][0]:>8.2f} "
                  f"{res['silhouette'][0]:>7.2f}  {summary}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=[str(s) for s in SIZES])
    ap.add_argument("--profile", default="tabletop")
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", action="store_true")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(int(args.one), args.profile)))
    elif args.corpus:
        corpus(args)
    else:
        sizes(args)


if __name__ == "__main__":
    main()
