"""The ground-truth suite in one command (docs/accuracy.md).

    python bench/truth/run.py                      # 200 cases per family, the full table
    python bench/truth/run.py --family edges --cases 50 --jobs 2
    python bench/truth/run.py --fast               # the test suite's subset
    python bench/truth/run.py --case edges:17      # one case in detail (names from the table)
    python bench/truth/run.py --offset 1000        # a held-out slice: cases 1000-1199

Prints per family: cases, recall, precision, false findings per case, unsupported verdicts,
the undetermined share and the measurement error (median / p90) per measured quantity, then the
worst cases with what went wrong and how they were drawn. Runs the miniscan of this checkout
(src/ first on the path). On a shared machine, run it with `nice`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# this folder is a package (imported as `truth`), not a place for top-level modules
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from truth import shapes, suite  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", action="append", choices=shapes.FAMILIES,
                    help="only this family (repeatable); default: all")
    ap.add_argument("--cases", type=int, default=None,
                    help="cases per family (default 200, or 6 with --fast)")
    ap.add_argument("--offset", type=int, default=0,
                    help="first case index (default 0); e.g. 1000 runs a held-out slice of "
                         "cases nobody has tuned against")
    ap.add_argument("--fast", action="store_true",
                    help="the test suite's subset: small meshes, few cases, no corpus")
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS),
                    help="real meshes to inject defects into ('' for none)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--case", help="run one case (e.g. edges:17, edges:c3) and show it in detail")
    ap.add_argument("--worst", type=int, default=10, help="worst cases listed")
    ap.add_argument("--json", help="write the summary and every case's score to this file")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--load", help="re-print a run saved with --json instead of running")
    return ap.parse_args(argv)


def _one(args) -> int:
    import numpy as np

    task = suite.parse_task(args.case, args.fast, args.corpus or None)
    case = suite.build(task)
    if case is None:
        print(f"{args.case}: no usable corpus host")
        return 2
    print(f"{task.name}: {len(case.faces)} faces, conditions {case.conditions}")
    print(f"  drawn as {json.dumps(suite.jsonable(case.params))}")
    for t in case.truths:
        print(f"  truth {t.kind} at {np.round(t.centroid, 3).tolist()} values {t.values} "
              f"expect {t.expect} measurable {t.measurable}")
    s = suite.evaluate_one(task)
    print(f"  recall {s.found}/{s.defects}, places {s.places} (true {s.true_places}, host "
          f"{s.host_places}), unsupported {s.unsupported} + {s.range_violations} by range, "
          f"errors {s.errors}, verdicts {s.verdicts}, {s.seconds:.2f} s")
    for n in s.notes:
        print(f"  - {n}")
    if s.failed:
        print(f"  failed: {s.failed}")
    return 0


def main(argv=None) -> int:
    args = _args(argv)
    if args.case:
        return _one(args)
    families = args.family or list(shapes.FAMILIES)
    n = args.cases or (suite.FAST_CASES if args.fast else 200)
    todo = [] if args.load else (suite.fast_tasks(families, n) if args.fast
                                 else suite.tasks(families, n, False, args.corpus or None,
                                                  args.offset))
    t0 = time.perf_counter()

    def progress(i, total, task):
        if sys.stderr.isatty():
            print(f"\r{i}/{total} {task.name:<16}", end="", file=sys.stderr, flush=True)
        elif i % max(1, total // 20) == 0:  # a log: one line per 5 %
            print(f"{i}/{total} {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    scores = ([s for s in suite.load_scores(args.load) if s.family in families] if args.load
              else suite.evaluate(todo, args.jobs, progress))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    summary = suite.summarise(scores)
    print(suite.table(summary, args.markdown))
    print(f"\n{len(scores)} cases in {time.perf_counter() - t0:.0f} s "
          f"({args.jobs} process{'es' if args.jobs > 1 else ''}); targets: recall >= 95 %, "
          f"precision >= 95 %, p90 error <= 15 %, 0 unsupported")
    print(suite.targets(summary))
    print(suite.by_source(scores))
    if noise := suite.by_noise(scores):
        print(noise)
    print(suite.undetermined_by_code(scores))
    if kept := suite.held(summary):
        print(kept)
    for fam, f in summary.items():
        if f["failed"]:
            print(f"{fam}: {f['failed']} cases where a family did not run cleanly")
    print("\nworst cases (rerun one with --case NAME):")
    print(suite.worst(scores, args.worst))
    if args.json:
        Path(args.json).write_text(json.dumps(suite.jsonable({
            "summary": summary, "cases": [vars(s) for s in scores]}), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
