"""Run the registered check families over files: file -> Model -> Analysis -> checks -> Report.

No printing here; progress is reported through a callback so the CLI decides how to show it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import __version__
from .checks import families as registered_families, runner as family_runner
from .conditions import ViewingConditions
from .findings import CheckResult, FileResult, MeshInfo, Report
from .loading import DEFAULT_MAX_FACES, EXTENSIONS, LoadError, load
from .model import Model
from .rules import enabled

SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules", ".miniscan_cache"}


@dataclass(frozen=True)
class RunOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    units: str | None = None
    max_faces: int = DEFAULT_MAX_FACES
    families: tuple[str, ...] | None = None  # None = every registered family


def collect_files(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Expand directories into the mesh files under them, sorted; files are kept as given.

    A path that does not exist is kept so that it is reported as an error in its turn.
    """
    out: list[str] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                found += [os.path.join(root, f) for f in files
                          if Path(f).suffix.lower() in EXTENSIONS]
            out += sorted(found)
        else:
            out.append(str(p))
    seen, unique = set(), []
    for f in out:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique


def mesh_info(model: Model, analysis) -> MeshInfo:
    return MeshInfo(
        format=model.format, faces=model.n_faces, vertices=model.n_vertices,
        bodies=analysis.n_bodies, units=model.units, units_guessed=model.units_guessed,
        bbox_mm=tuple(float(x) for x in model.extents), watertight=analysis.watertight,
        mean_edge_mm=analysis.mean_edge_mm, parts=model.part_names, source=model.source)


def run_checks(model: Model, conditions: ViewingConditions, options: RunOptions = RunOptions(),
               analysis=None) -> tuple[tuple[CheckResult, ...], dict[str, float]]:
    """Every selected family on one model; a family that crashes reports status 'error'."""
    from .analysis import Analysis

    analysis = analysis or Analysis(model)
    results, timings = [], {}
    for fam in options.families or registered_families():
        t0 = time.perf_counter()
        try:
            res = family_runner(fam)(model, conditions, analysis)
        except Exception as e:  # a bug in one family must not hide the others
            res = CheckResult(fam, "error", f"{type(e).__name__}: {e}")
        kept = tuple(f for f in res.findings if enabled(f.code, options.select, options.ignore))
        if kept != res.findings:
            res = CheckResult(res.family, res.status, res.reason, res.metrics, kept, res.artifacts)
        results.append(res)
        timings[fam] = time.perf_counter() - t0
    return tuple(results), timings


def check_model(model: Model, conditions: ViewingConditions,
                options: RunOptions = RunOptions()) -> FileResult:
    from .analysis import Analysis

    t0 = time.perf_counter()
    analysis = Analysis(model)
    checks, timings = run_checks(model, conditions, options, analysis)
    info = mesh_info(model, analysis)
    timings["total"] = time.perf_counter() - t0
    return FileResult(model.path, "ok", None, info, checks, timings=timings)


def check_file(path: str, conditions: ViewingConditions,
               options: RunOptions = RunOptions()) -> FileResult:
    t0 = time.perf_counter()
    try:
        model = load(path, options.units, scale_n=conditions.scale_n, max_faces=options.max_faces)
    except LoadError as e:
        return FileResult(str(path), "error", e.reason,
                          timings={"load": time.perf_counter() - t0})
    t_load = time.perf_counter() - t0
    fr = check_model(model, conditions, options)
    fr.timings["load"] = t_load
    fr.timings["total"] += t_load
    return fr


def check_paths(paths: Iterable[str], conditions: ViewingConditions,
                options: RunOptions = RunOptions(),
                progress: Callable[[str, int, int], None] | None = None) -> Report:
    t0 = time.perf_counter()
    files = collect_files(paths)
    results = []
    for i, f in enumerate(files):
        if progress:
            progress(f, i, len(files))
        results.append(check_file(f, conditions, options))
    if progress:
        progress("", len(files), len(files))
    timings = {"total": time.perf_counter() - t0,
               "files": {r.path: r.timings for r in results}}
    return Report(__version__, conditions.to_dict(), tuple(results), timings)
