"""The ground-truth suite (DESIGN.md section 8, docs/accuracy.md).

Seeded cases whose truth is known by construction (shapes.py: a shape grammar; inject.py:
defects injected into the real meshes of ../shared/corpus), run through miniscan's Python API
and scored per family (score.py): recall, precision, measurement error, unsupported verdicts.
One command prints the table: ``python bench/truth/run.py``.

Modules:
- mesh.py: triangulation helpers (parameter grids in three styles, welding, rotations);
- prims.py: primitives that carry their own truth (filleted boxes, revolved and swept profiles,
  blobs, rectilinear solids, rods);
- expect.py: the expected verdict of every truth item, from the same physics as miniscan;
- shapes.py: the grammar (one case generator per family);
- inject.py: defects injected into corpus meshes;
- score.py: run a case, match findings and measurements to the truth, compute the metrics.
"""
