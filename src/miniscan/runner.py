"""The one road: file -> Model -> Analysis -> checks -> Report (docs/api.md, docs/pictures.md).

Everything that loads, analyses, checks, caches or pools goes through here: `check`, `render`,
`report`, `check --render`, `info`, `scale` and the Python API. Batches have per-file settings
(from config), a content cache, worker processes (`jobs`, a per-file `timeout`: pool.py) whose
results come back in input order, and deterministic shards for CI matrices. Files checked in
this process run with native output kept off our stdout (safety.py).

Pictures need what the report and the cache do not keep (the model, its analysis and each
family's picture layers). A caller that draws passes a `keep` consumer: the runner then checks
its files in this process and hands each one over in memory (`ModelRun`) before letting go of
it. A file served from the cache is loaded again and only the families whose layers the
consumer needs (`keep.families`) are re-run; its findings stay the cached ones.

No printing here; progress is reported through a callback so the CLI decides how to show it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from ._version import __version__
from .checks import families as registered_families, runner as family_runner
from .conditions import ViewingConditions
from .findings import CheckResult, FileResult, MeshInfo, Report, merge_findings
from .loading import DEFAULT_MAX_FACES, EXTENSIONS, LoadError, load, text_name
from .model import Model
from .printsize import PrintSize, PrintSizeError, scale_for
from .rules import RULES, enabled

SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules", ".miniscan_cache"}

# The scale assumed while guessing a file's units when no scale is known (the tabletop
# profile's 1:56): units are guessed from what a model of that scale would measure.
GUESS_SCALE_N = 56.0

# Geometry work done in this process (tests assert a cached run does none).
STATS = {"models_checked": 0, "families_run": 0}


@dataclass(frozen=True)
class RunOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    units: str | None = None
    max_faces: int = DEFAULT_MAX_FACES
    up: str | None = None  # the files' up axis; None: y for glTF, z otherwise
    families: tuple[str, ...] | None = None  # None = every registered family
    severity: tuple[tuple[str, str], ...] = ()  # (code or prefix, severity): most specific wins
    print_size: PrintSize | None = None  # scale every model to this size (printsize.py)
    max_memory: int | None = None  # bytes a check may use (loading.limits); None: machine memory

    def __post_init__(self):
        # a family none of whose codes is enabled would be run only to have its findings
        # dropped: every caller (the CLI, the API, a sweep) gets the narrowed run
        if self.families is None and (self.select or self.ignore):
            object.__setattr__(self, "families", families_for(self.select, self.ignore))


@dataclass(frozen=True)
class FileJob:
    """One file with the settings it is checked with."""

    path: str
    conditions: ViewingConditions
    options: RunOptions
    echo: dict | None = None  # the file's conditions block, when it differs from the run's


@dataclass(frozen=True)
class ModelRun:
    """One checked file in memory: what pictures are drawn from. Never cached or pickled.

    `checks` are the reported results (rules applied) with the picture layers of the families
    that ran in this process; a family served from the cache and not re-run has no layers.
    """

    model: Model
    analysis: Any
    conditions: ViewingConditions
    checks: tuple[CheckResult, ...]


class Keep(Protocol):
    """A consumer of checked files in memory (e.g. the picture writer)."""

    # the families whose in-memory layers it draws; None = every family that runs
    families: tuple[str, ...] | None

    def __call__(self, result: FileResult, run: ModelRun) -> None: ...


# told the stage a file checked in this process has reached: "loading", then each family
Stage = Callable[[str], None]


# --------------------------------------------------------------------------- file lists


def collect_files(paths: Iterable[str | os.PathLike],
                  exclude: Callable[[str], bool] | None = None) -> list[str]:
    """Expand directories and globs into the mesh files under them, sorted; files are kept
    as given. `exclude(path)` drops walked files (files named explicitly are always kept).

    A path that does not exist (and is no glob) is kept so that it is reported as an error.
    """
    import glob as _glob

    out: list[str] = []
    for p in paths:
        s = str(p)
        if not os.path.exists(s) and any(ch in s for ch in "*?["):
            hits = sorted(_glob.glob(s, recursive=True))
            for h in hits:
                if os.path.isdir(h):
                    out += _walk(Path(h), exclude)
                elif Path(h).suffix.lower() in EXTENSIONS and not (exclude and exclude(h)):
                    out.append(h)
            continue
        p = Path(p)
        if p.is_dir():
            out += _walk(p, exclude)
        else:
            out.append(str(p))
    seen, unique = set(), []
    for f in out:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique


def _walk(p: Path, exclude) -> list[str]:
    found = []
    for root, dirs, files in os.walk(p):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found += [os.path.join(root, f) for f in files if Path(f).suffix.lower() in EXTENSIONS]
    if exclude:
        found = [f for f in found if not exclude(f)]
    return sorted(found)


def parse_shard(text: str) -> tuple[int, int]:
    """'2/3' -> (2, 3); ValueError for anything else."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like I/N (e.g. 2/3), not {text!r}") from None
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard {text}: need 1 <= I <= N")
    return i, n


def shard_files(files: list[str], index: int, count: int) -> list[str]:
    """The files of shard `index` (1-based) of `count`: every file lands in exactly one shard.

    Longest-processing-time first: files sorted by size (largest first, then path) go one by
    one to the shard with the fewest bytes so far (ties to the lowest shard). Every runner of a
    CI matrix sees the same checkout, so every runner computes the same split. The shard keeps
    the input order of its files.
    """
    if count == 1:
        return list(files)
    import heapq

    def size(f: str) -> int:
        try:
            return os.stat(f).st_size
        except OSError:
            return 0

    order = sorted(range(len(files)), key=lambda k: (-size(files[k]), files[k]))
    heap = [(0, s) for s in range(count)]
    owner = [0] * len(files)
    for k in order:
        load_, s = heapq.heappop(heap)
        owner[k] = s
        heapq.heappush(heap, (load_ + size(files[k]) + 1, s))
    return [f for k, f in enumerate(files) if owner[k] == index - 1]


# --------------------------------------------------------------------------- one model


def load_model(path: str | os.PathLike, options: RunOptions = RunOptions(),
               scale_n: float = GUESS_SCALE_N, front: str = "-y") -> Model:
    """The one place files are read (raises LoadError). scale_n helps guess unknown units;
    with `options.print_size` the model comes back at its print size (`front` names the
    width and length axes)."""
    model = load(path, options.units, scale_n=scale_n, max_faces=options.max_faces,
                 up=options.up, max_memory=options.max_memory)
    try:
        return to_print_size(model, options.print_size, front)
    except PrintSizeError as e:
        raise LoadError(str(path), str(e)) from None


def to_print_size(model: Model, size: PrintSize | None, front: str = "-y") -> Model:
    """The model scaled uniformly (about its origin) to the size it will be printed: the one
    place this happens, after loading and before any Analysis. Idempotent: a model already
    at its print size is returned as it is. The units guess (MS903) is dropped: the print
    size fixes the size whatever the units were. `metadata["print_scale"]` echoes the factor.
    """
    if size is None or model.metadata.get("print_scale") is not None:
        return model
    sc = scale_for(model.vertices, size, front)
    m = model.transformed(scale=sc.factor)
    return replace(m, load_notes=tuple(n for n in m.load_notes if n[0] != "MS903"),
                   metadata={**m.metadata, "print_scale": sc})


def mesh_info(model: Model, analysis) -> MeshInfo:
    return MeshInfo(
        format=model.format, faces=model.n_faces, vertices=model.n_vertices,
        bodies=analysis.n_bodies, units=model.units, units_guessed=model.units_guessed,
        bbox_mm=tuple(float(x) for x in model.extents), watertight=analysis.watertight,
        mean_edge_mm=analysis.mean_edge_mm, parts=model.part_names, source=model.source,
        print_scale=model.metadata.get("print_scale"))


def inspect_file(path: str | os.PathLike, options: RunOptions = RunOptions(),
                 scale_n: float = GUESS_SCALE_N, front: str = "-y") -> tuple[Model, MeshInfo]:
    """Load one file and describe it, without running any check (`miniscan info`)."""
    from .analysis import Analysis

    model = load_model(path, options, scale_n, front)
    return model, mesh_info(model, Analysis(model))


def _families(options: RunOptions) -> tuple[str, ...]:
    return tuple(options.families) if options.families else registered_families()


def selected_families(options: RunOptions) -> tuple[str, ...]:
    """The families a run with these options checks, in report order."""
    return _families(options)


def apply_rules(checks: tuple[CheckResult, ...], options: RunOptions) -> tuple[CheckResult, ...]:
    """select/ignore and per-code severity on raw check results (cheap: runs after the cache).

    A severity override replaces the rule's default only for the codes it matches; a finding
    of a code it does not match keeps the severity its rule declares."""
    from .config import severity_for

    out = []
    for res in checks:
        kept = tuple(f for f in res.findings if enabled(f.code, options.select, options.ignore))
        if options.severity:
            kept = tuple(
                f if (s := severity_for(f.code, options.severity, RULES[f.code].severity)) == f.severity
                else replace(f, severity=s) for f in kept)
        if kept != res.findings:
            res = replace(res, findings=kept)
        out.append(res)
    return tuple(out)


def families_for(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[str, ...] | None:
    """Registered families that can emit an enabled code (health always runs); None = all."""
    if not select and not ignore:
        return None
    fams = []
    for fam in registered_families():
        codes = [c for c, r in RULES.items() if r.family == fam]
        if fam == "health" or not codes or any(enabled(c, select, ignore) for c in codes):
            fams.append(fam)
    return tuple(fams)


def _with_parts(findings, model: Model) -> tuple:
    """Name the part of every finding whose location has faces (files with several parts)."""
    if len(model.part_names) < 2:
        return tuple(findings)
    import bisect

    out = []
    for f in findings:
        loc = f.location
        if loc.part is None and loc.faces:
            i = bisect.bisect_right(model.part_starts, int(loc.faces[0])) - 1
            f = replace(f, location=replace(loc, part=model.part_names[max(i, 0)]))
        out.append(f)
    return tuple(out)


def _one_per_problem(res: CheckResult, model: Model) -> CheckResult:
    """Parts named, then neighbours of the same rule on the same part merged (with a count)."""
    merged = merge_findings(_with_parts(res.findings, model))
    return res if merged == res.findings else replace(res, findings=merged)


OVERLAP_FACES = 500_000
"""Faces from which the edges family runs in a second thread beside the others (count): its
numpy kernels (sorts, sparse products, gathers) release the GIL, so on a large sculpt a second
core does its 10 s while the rest run; on small parts the batch's processes already use every
core and a thread would only add switching."""


def _run_one(fam: str, model: Model, conditions: ViewingConditions, analysis
             ) -> tuple[CheckResult, float]:
    t0 = time.perf_counter()
    STATS["families_run"] += 1
    try:
        res = _one_per_problem(family_runner(fam)(model, conditions, analysis), model)
    except Exception as e:  # a bug in one family must not hide the others
        res = CheckResult(fam, "error", _family_failure(fam, e))
    return res, time.perf_counter() - t0


def _run_families(model: Model, conditions: ViewingConditions, families: tuple[str, ...],
                  analysis, views: bool = True, stage: Stage | None = None
                  ) -> tuple[tuple[CheckResult, ...], dict[str, float]]:
    """Each family once (parts named, one finding per problem), then every place's best view
    (analysis/views.py: one batched ray cast for all families' places). `stage(name)` is told
    as each step starts (the CLI's progress line). On a large model the edges family runs in a
    second thread (OVERLAP_FACES); results keep the families' order either way."""
    done: dict[str, tuple[CheckResult, float]] = {}
    aside = None
    if "edges" in families and len(families) > 1 and model.n_faces >= OVERLAP_FACES:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1)
        aside = pool.submit(_run_one, "edges", model, conditions, analysis)
    for fam in families:
        if aside is not None and fam == "edges":
            continue
        if stage:
            stage(fam)
        done[fam] = _run_one(fam, model, conditions, analysis)
    if aside is not None:
        if stage:
            stage("edges")
        done["edges"] = aside.result()
        pool.shutdown()
    results = [done[f][0] for f in families]
    timings = {f: done[f][1] for f in families}
    if views:
        t0 = time.perf_counter()
        results = _with_views(results, analysis, conditions.front)
        timings["views"] = time.perf_counter() - t0
    return tuple(results), timings


def _with_views(results, analysis, front: str) -> list[CheckResult]:
    from .analysis.views import with_views

    try:
        return list(with_views(results, analysis, front))
    except Exception:  # noqa: BLE001 - naming views is a convenience: never lose the findings
        return list(results)


FAILURE_DETAIL_CHARS = 160
"""Longest piece of an exception's text quoted in a family's failure note (characters): enough
to recognise the bug in a report, short enough to stay one line."""


def _family_failure(family: str, e: Exception) -> str:
    """One line saying which family failed, that the others ran, and what to do; the
    exception's own text (often numpy's, meaningless to a model-maker) only as a quoted detail."""
    detail = " ".join(str(e).split())[:FAILURE_DETAIL_CHARS] or "no detail"
    return (f"the {family} check could not measure this mesh (internal error {type(e).__name__}: "
            f"{detail}); the other families ran. Please report it with the file.")


def run_checks(model: Model, conditions: ViewingConditions, options: RunOptions = RunOptions(),
               analysis=None, views: bool = True) -> tuple[tuple[CheckResult, ...], dict[str, float]]:
    """Every selected family on one model, rules applied, layers and measurements kept in
    memory; a family that crashes reports status 'error'. Pass the same `analysis` to check
    one model under other conditions (the distance sweep) without recomputing its geometry;
    views=False skips naming each place's best view."""
    from .analysis import Analysis

    if analysis is None:
        model = to_print_size(model, options.print_size, conditions.front)
        analysis = Analysis(model)
    results, timings = _run_families(model, conditions, _families(options), analysis, views)
    return apply_rules(results, options), timings


def _check_model_raw(model: Model, conditions: ViewingConditions, options: RunOptions,
                     analysis=None, stage: Stage | None = None) -> FileResult:
    from .analysis import Analysis

    STATS["models_checked"] += 1
    t0 = time.perf_counter()
    if analysis is None:
        model = to_print_size(model, options.print_size, conditions.front)
        analysis = Analysis(model)
    checks, timings = _run_families(model, conditions, _families(options), analysis,
                                    stage=stage)
    info = mesh_info(model, analysis)
    timings["total"] = time.perf_counter() - t0
    return FileResult(model.path, "ok", None, info, checks, timings=timings)


def _with_rules(fr: FileResult, options: RunOptions) -> FileResult:
    checks = apply_rules(fr.checks, options)
    return fr if checks == fr.checks else replace(fr, checks=checks)


def check_model(model: Model, conditions: ViewingConditions,
                options: RunOptions = RunOptions()) -> FileResult:
    """One model's result, rules applied; layers and measurements stay in memory."""
    return _with_rules(_check_model_raw(model, conditions, options), options)


def _load_timed(path: str, conditions: ViewingConditions, options: RunOptions,
                stage: Stage | None = None):
    """(Model, seconds) or (the error FileResult, seconds)."""
    t0 = time.perf_counter()
    if stage:
        stage("loading")
    try:
        model = load_model(path, options, conditions.scale_n, conditions.front)
    except LoadError as e:
        t = time.perf_counter() - t0
        return FileResult(str(path), "error", e.reason, timings={"load": t}), t
    return model, time.perf_counter() - t0


def _check_file_in_memory(path: str, conditions: ViewingConditions, options: RunOptions,
                          stage: Stage | None = None) -> tuple[FileResult, ModelRun | None]:
    """Raw result of one file, and the file in memory (None when it could not be read).
    `stage(name)` is told "loading", then each family as it starts."""
    from .analysis import Analysis

    model, t_load = _load_timed(path, conditions, options, stage)
    if isinstance(model, FileResult):
        return model, None
    analysis = Analysis(model)
    fr = _check_model_raw(model, conditions, options, analysis, stage)
    fr.timings["load"] = t_load
    fr.timings["total"] += t_load
    return fr, ModelRun(model, analysis, conditions, fr.checks)


def _check_file_raw(path: str, conditions: ViewingConditions, options: RunOptions,
                    stage: Stage | None = None) -> FileResult:
    return _check_file_in_memory(path, conditions, options, stage)[0]


def check_file(path: str, conditions: ViewingConditions,
               options: RunOptions = RunOptions()) -> FileResult:
    return _with_rules(_check_file_raw(path, conditions, options), options)


def open_file(path: str, conditions: ViewingConditions,
              options: RunOptions = RunOptions()) -> "ModelRun | FileResult":
    """One file loaded (at its print size) with its Analysis and no check run yet (the
    distance sweep checks it under several conditions itself); the error FileResult when
    it cannot be read."""
    from .analysis import Analysis

    model, _ = _load_timed(path, conditions, options)
    if isinstance(model, FileResult):
        return model
    return ModelRun(model, Analysis(model), conditions, ())


def _rerun_for_keep(job: FileJob, families: tuple[str, ...] | None) -> ModelRun | None:
    """A cached file in memory again: loaded, analysed, and only `families` (those whose
    layers the consumer draws) re-run. None when it can no longer be read."""
    from .analysis import Analysis

    model, _ = _load_timed(job.path, job.conditions, job.options)
    if isinstance(model, FileResult):
        return None
    analysis = Analysis(model)
    want = _families(job.options)
    if families is not None:
        want = tuple(f for f in want if f in families)
    checks, _ = _run_families(model, job.conditions, want, analysis)
    return ModelRun(model, analysis, job.conditions, checks)


def _with_layers(reported: tuple[CheckResult, ...], in_memory: tuple[CheckResult, ...]):
    """The reported results carrying the in-memory layers of the same families."""
    mem = {c.family: c for c in in_memory}
    return tuple(replace(c, layers=mem[c.family].layers, measurements=mem[c.family].measurements)
                 if c.family in mem else c
                 for c in reported)


def _without_memory(fr: FileResult) -> FileResult:
    """A batch keeps no picture layers: they would pin every model's arrays until the end."""
    if not any(c.layers is not None or c.measurements for c in fr.checks):
        return fr
    return replace(fr, checks=tuple(replace(c, layers=None, measurements=())
                                    for c in fr.checks))


def work_in_worker(job: FileJob, stage: Stage | None = None) -> FileResult:
    """Worker side of the pool: one file's raw results; layers and measurements stay in the
    worker. `stage(name)` is told as loading and each family start (the parent's progress
    line). Module level so that a spawned worker can unpickle it."""
    from .safety import quiet_native

    with quiet_native():
        return _without_memory(_check_file_raw(job.path, job.conditions, job.options, stage))


# --------------------------------------------------------------------------- batches


class _Batch:
    """The bookkeeping of one run_jobs call: cache keys, results in input order, progress,
    and the hand-over of files in memory to a `keep` consumer."""

    def __init__(self, jobs_list: list[FileJob], cache, progress, keep: Keep | None,
                 stage: Stage | None = None):
        self.jobs, self.cache, self.progress, self.keep = jobs_list, cache, progress, keep
        self.stage = stage
        self.results: list[FileResult | None] = [None] * len(jobs_list)
        self.keys: list[str | None] = [None] * len(jobs_list)
        self.count = 0
        self._env: dict[tuple[str, ...], dict] = {}

    def _key(self, i: int) -> str | None:
        from .cache import environment, file_digest, result_key

        job = self.jobs[i]
        digest = file_digest(job.path)
        if digest is None:
            return None
        fams = _families(job.options)
        if fams not in self._env:
            self._env[fams] = environment(fams)
        o = job.options
        return result_key(digest, job.conditions.to_dict(), fams, o.units, o.max_faces, o.up,
                          self._env[fams], o.print_size)

    def serve_from_cache(self) -> list[tuple[int, FileJob]]:
        """Finish every job the cache answers; the others, to be checked."""
        todo = []
        for i, job in enumerate(self.jobs):
            if self.cache is not None:
                t0 = time.perf_counter()
                self.keys[i] = self._key(i)
                hit = self.cache.get(self.keys[i], job.path) if self.keys[i] else None
                if hit is not None:
                    hit.timings.update({"cached": 1.0, "total": time.perf_counter() - t0})
                    run = None
                    if self.keep is not None:
                        self.started(job)
                        run = _rerun_for_keep(job, self.keep.families)
                    self.finish(i, hit, fresh=False, run=run)
                    continue
            todo.append((i, job))
        return todo

    def started(self, job: FileJob) -> None:
        if self.progress:
            self.progress(job.path, self.count, len(self.jobs))

    def check_here(self, i: int, job: FileJob) -> None:
        """Check one job in this process (its layers go to `keep`, if any)."""
        from .safety import quiet_native

        self.started(job)
        with quiet_native():
            fr, run = _check_file_in_memory(job.path, job.conditions, job.options, self.stage)
        self.finish(i, fr, fresh=True, run=run)

    def finish(self, i: int, fr: FileResult, fresh: bool, run: ModelRun | None = None) -> None:
        job = self.jobs[i]
        if fresh and self.cache is not None and self.keys[i] is not None:
            self.cache.put(self.keys[i], fr)
        fr = _with_rules(fr, job.options)
        if self.keep is not None and run is not None and fr.status == "ok":
            from .safety import quiet_native

            t0 = time.perf_counter()
            with quiet_native():
                self.keep(fr, replace(run, checks=_with_layers(fr.checks, run.checks)))
            fr.timings["pictures"] = time.perf_counter() - t0
        fr = _without_memory(fr)
        if text_name(fr.path) != fr.path:  # a name that is not UTF-8: printable in reports
            fr = replace(fr, path=text_name(fr.path))
        if job.echo is not None:
            fr = replace(fr, conditions=job.echo)
        self.results[i] = fr
        self.count += 1
        if self.progress:
            self.progress(job.path, self.count, len(self.jobs))


def run_jobs(jobs_list: list[FileJob], jobs: int = 1, cache=None,
             progress: Callable[[str, int, int], None] | None = None,
             pool_min: int = 2, keep: Keep | None = None,
             timeout: float | None = None, stage: Stage | None = None) -> list[FileResult]:
    """Results, with rules applied, in the order of `jobs_list` whatever `jobs` is.

    Several worker processes start only when at least `pool_min` files miss the cache:
    starting a worker costs a second or two of imports, more than checking one small mesh.
    With a `timeout` (seconds per file) every file is checked in a worker, even with jobs=1,
    so a file over its budget or crashing a native library costs only itself (pool.py).
    With `keep` every file is checked in this process (its layers cannot leave a worker) and
    handed to `keep` in memory before the next one is loaded. `stage` hears the stages of each
    file (loading, then each family), from a single worker too.
    """
    batch = _Batch(jobs_list, cache, progress, keep, stage)
    todo = batch.serve_from_cache()
    workers = min(jobs, len(todo)) if jobs > 1 and len(todo) >= max(2, pool_min) else 1
    if keep is None and todo and (timeout or workers > 1):
        from . import pool

        if workers > 1:
            todo = _largest_first(todo)
        pool.run(todo, workers, timeout, lambda i, fr: batch.finish(i, fr, fresh=True),
                 work_in_worker, stage=batch.stage,
                 started=lambda i: batch.started(jobs_list[i]))
    else:
        for i, job in todo:
            batch.check_here(i, job)
    if progress:
        progress("", len(jobs_list), len(jobs_list))
    return batch.results  # type: ignore[return-value]


def _largest_first(todo: list[tuple[int, FileJob]]) -> list[tuple[int, FileJob]]:
    """The pool's files, largest first (ties in input order): the longest-processing-time
    rule, so no worker is left with a big file while the others have finished. Results keep
    their input order whatever order the workers take the files in."""
    def size(item: tuple[int, FileJob]) -> int:
        try:
            return os.stat(item[1].path).st_size
        except OSError:  # reported as unreadable when its turn comes
            return 0

    return sorted(todo, key=lambda item: (-size(item), item[0]))


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def check_paths(paths: Iterable[str], conditions: ViewingConditions,
                options: RunOptions = RunOptions(),
                progress: Callable[[str, int, int], None] | None = None, *,
                jobs: int = 1, cache=None, shard: tuple[int, int] | None = None,
                settings_for: Callable[[str], tuple[ViewingConditions, RunOptions, dict]] | None = None,
                exclude: Callable[[str], bool] | None = None,
                run_conditions: dict | None = None, pool_min: int = 2,
                keep: Keep | None = None, timeout: float | None = None,
                stage: Stage | None = None) -> Report:
    """Check every mesh under `paths`.

    settings_for(path) -> (conditions, options, conditions block) gives a file its own settings
    (config overrides); a file whose block differs from the run's echoes it in the report.
    run_conditions: the report's top-level conditions block (default: conditions.to_dict()).
    keep: a consumer of each checked file in memory (pictures); see the module docstring.
    timeout: seconds per file, each file in a worker process (None: no limit; not with keep).
    """
    t0 = time.perf_counter()
    files = collect_files(paths, exclude)
    if shard is not None:
        files = shard_files(files, *shard)
    run_block = run_conditions if run_conditions is not None else conditions.to_dict()
    plan = []
    for f in files:
        if settings_for is None:
            plan.append(FileJob(f, conditions, options))
            continue
        c, o, block = settings_for(f)
        plan.append(FileJob(f, c, o, None if block == run_block else block))
    results = run_jobs(plan, jobs, cache, progress, pool_min, keep, timeout, stage)
    timings = {"total": time.perf_counter() - t0,
               "files": {r.path: r.timings for r in results}}
    if cache is not None:
        timings["cache"] = cache.stats()
    if shard is not None:
        timings["shard"] = f"{shard[0]}/{shard[1]}"
    return Report(__version__, run_block, tuple(results), timings)


def measure_kit(paths, mapping: tuple[tuple[str, str], ...], options: RunOptions = RunOptions(),
                declared_n: float | None = None, extra: dict | None = None):
    """Every model of a kit (directories walked) loaded here, as every other file is, and
    measured by kit.measure_model; files no subject glob matches are listed unmeasured."""
    from .kit import KitEntry, measure_model, subject_for, summarise

    entries = []
    for f in collect_files(paths):
        subj = subject_for(f, mapping)
        if subj is None:
            entries.append(KitEntry(f, None))
            continue
        try:
            model = load_model(f, options, declared_n or GUESS_SCALE_N)
        except LoadError as e:
            entries.append(KitEntry(f, subj, error=e.reason))
            continue
        entries.append(measure_model(model, subj, declared_n, extra))
    return summarise(entries, declared_n)
