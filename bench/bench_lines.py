"""Time the fine-lines family (MS6xx) and the translucency family (MS8xx) at several sizes.

    python bench/bench_lines.py [--faces 250000 2000000 8000000] [--family lines]
    python bench/bench_lines.py --family translucency --material skin

Meshes: a sculpt-like icosphere (28 mm across) with band-limited relief and engraved rings,
subdivided to about the requested face count. Prints wall and CPU seconds of the family's
check (its analysis included, the mesh's shared kernels - edges, ray scene - warmed first).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def mesh(faces: int):
    import numpy as np
    import trimesh

    sub = max(1, int(round(np.log(faces / 20) / np.log(4))))
    m = trimesh.creation.icosphere(subdivisions=sub, radius=14.0)
    v = np.asarray(m.vertices)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    rng = np.random.default_rng(7)
    k = rng.normal(size=(24, 3))
    relief = 0.02 * np.sin(v @ k.T * 1.5).sum(axis=1) / np.sqrt(24)
    # engraved rings 0.15 mm wide and 0.08 mm deep every 2 mm of height
    d = np.abs(((v[:, 2] + 1.0) % 2.0) - 1.0)
    relief -= 0.08 * np.clip(1.0 - d / 0.15, 0.0, 1.0)
    return v + n * relief[:, None], np.asarray(m.faces)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, nargs="+", default=[250_000, 2_000_000])
    ap.add_argument("--family", default="lines")
    ap.add_argument("--material", default="skin")
    args = ap.parse_args()
    from miniscan.analysis import Analysis
    from miniscan.checks import runner
    from miniscan.conditions import PRESETS
    from dataclasses import replace
    from miniscan.model import from_arrays

    cond = replace(PRESETS["tabletop"], material=args.material)
    for n in args.faces:
        v, f = mesh(n)
        a = Analysis(from_arrays(v, f))
        # shared kernels, warmed as in a full run (the scale family casts first: the BVH build)
        _ = a.face_edges, a.vertex_normals, a.edge_lengths
        import numpy as np
        import open3d as o3d

        a.raycasting_scene.cast_rays(o3d.core.Tensor(np.array([[0, 0, 100, 0, 0, -1]], np.float32)))
        if args.family == "translucency":  # the thickness readings are the scale family's
            from miniscan.analysis.thickness import thickness

            a.cached("thickness", thickness)
        t, c = time.perf_counter(), time.process_time()
        res = runner(args.family)(a.model, cond, a)
        print(f"{args.family}: {len(f):>9,d} faces  wall {time.perf_counter() - t:6.2f} s  "
              f"cpu {time.process_time() - c:6.2f} s  findings {len(res.findings)}  "
              f"{ {k: v for k, v in res.metrics.items() if k in ('lines_read', 'candidates')} }")


if __name__ == "__main__":
    main()
