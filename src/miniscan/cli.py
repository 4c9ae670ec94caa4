"""The miniscan command line: a thin typer app over the runner, the config and the writers.

Options shared by several commands are declared once, in cli_options.py. Every command that
reads meshes goes through the runner (the one road: load, analyse, check, cache, pool); this
module only turns options into settings, calls the runner and hands the result to a writer.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from ._version import __version__
from .cli_options import (BATCH, CACHE, CONFIG, EYE, FAIL_ON, INPUT, PICTURES, SELECTION, SIZE,
                          SWEEP, UNITS, UP_AXES, VIEWING, FailOn, Scale, shared)

app = typer.Typer(
    name="miniscan",
    help="Will this small model still read as real at the size and distance it will be seen?\n\n"
         "Loads STL, OBJ, PLY, OFF, GLB/glTF, 3MF and point clouds (XYZ, PCD), converts every "
         "size into what the eye, the printer and the paint will do with it, and reports where "
         "the surface will look toy-like. Start with `miniscan check sample_meshes/`.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]})

DEFAULT_MAX_FACES = 20_000_000  # keep in step with loading.DEFAULT_MAX_FACES (not imported: heavy)
# Pooling pays only when enough files miss the cache: a worker's start-up (imports) costs a
# second or two, more than checking one small mesh.
POOL_MIN_DEFAULT = 4  # files, when --jobs is not given
POOL_MIN_EXPLICIT = 2  # files, when the user asked for --jobs N
PICTURE_SIZE_PX = (320, 8000)  # the range --size accepts


# --------------------------------------------------------------------------- plumbing


def _err(msg: str) -> None:
    from .safety import line_name  # one line whatever a file is called

    sys.stderr.write(f"miniscan: error: {line_name(msg)}\n")


def _note(msg: str) -> None:
    sys.stderr.write(f"miniscan: {msg}\n")


def _usage(msg: str) -> NoReturn:
    """A usage error: one line on stderr, exit 2."""
    _err(msg)
    raise typer.Exit(2)


def _choice(flag: str, value, allowed) -> None:
    if value is not None and value not in allowed:
        _usage(f"{flag} must be {', '.join(allowed[:-1])} or {allowed[-1]}, not {value!r}")


def _write(path: Path, text: str | bytes) -> None:
    from .files import atomic_write

    try:
        atomic_write(path, text)
    except OSError as e:
        _usage(f"{path}: cannot write: {e.strerror or e}")


def _display_path(p) -> str:
    rel = os.path.relpath(os.path.abspath(p))
    return (str(p) if rel.startswith("..") else rel).replace(os.sep, "/")


def _with_progress(work, total: int):
    """Run work(progress, stage) showing progress on a terminal and nothing when piped: a bar
    over several files, and the stage a file is in (loading, then each family), so that one
    long sculpt is not a silent minute."""
    if total < 1 or not sys.stderr.isatty():
        return work(None, None)
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn)

    columns = [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
    if total > 1:
        columns[2:2] = [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("checking", total=total)
        name = [""]

        def cb(path: str, i: int, n: int):
            name[0] = Path(path).name if path else ""
            bar.update(task, completed=i, description=f"checking {name[0]}" if path else "done")

        def stage(what: str):  # drawn at once: a handful of stages per file
            bar.update(task, description=f"checking {name[0]}: {what}", refresh=True)

        return work(cb, stage)


def _version(value: bool):
    if value:
        typer.echo(f"miniscan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False):
    pass


# --------------------------------------------------------------------------- settings


def _cli_layer(given: dict) -> dict:
    """The command line as a config layer (Resolver's `cli`): validated, None = not given."""
    from .conditions import FINISHES, MATERIALS, ConditionsError, parse_part_map
    from .rules import parse_codes

    _choice("--units", given.get("units"), UNITS)
    _choice("--up", given.get("up"), UP_AXES)
    if given.get("max_faces") is not None and given["max_faces"] <= 0:
        _usage("--max-faces must be positive")
    if given.get("max_memory") is not None:
        try:
            _memory(given["max_memory"])
        except ValueError as e:
            _usage(f"--max-memory: {e}")
    layer = {k: given.get(k) for k in ("profile", "scale", "distance", "acuity", "glance",
                                       "finish", "printer", "paint", "material", "front",
                                       "subject", "units", "up")}
    layer["max-faces"] = given.get("max_faces")
    layer["max-memory"] = given.get("max_memory")  # as written: the config layer parses it
    for k in ("height", "width", "length"):
        layer[k] = given.get(k)
    from .printsize import PrintSizeError, from_options

    try:  # two print sizes, or one that is not a length: a usage error before any work
        from_options(given.get("height"), given.get("width"), given.get("length"))
    except PrintSizeError as e:
        _usage(str(e))
    try:
        layer["select"] = parse_codes(given["select"]) if given.get("select") else None
        layer["ignore"] = parse_codes(given["ignore"]) if given.get("ignore") else None
        if given.get("part_material"):
            layer["part-material"] = dict(parse_part_map(given["part_material"], MATERIALS,
                                                         "material"))
        if given.get("part_finish"):
            layer["part-finish"] = dict(parse_part_map(given["part_finish"], FINISHES, "finish"))
    except (ValueError, ConditionsError) as e:
        _usage(str(e))
    return layer


def _memory(text: str | None) -> int | None:
    """--max-memory in bytes (validated by _cli_layer), None when not given."""
    from .loading.limits import parse_memory

    return None if text is None else parse_memory(text)


@dataclass
class _Plan:
    """A resolved invocation: the files, their per-file settings, cache, pool and shard."""

    files: list[str]
    resolver: object  # config.Resolver
    cache: object | None  # cache.Cache
    jobs: int = 1
    pool_min: int = POOL_MIN_DEFAULT
    shard: tuple[int, int] | None = None
    timeout: float | None = None  # seconds per file, each in a worker (pool.py); None: no limit

    @property
    def config(self):
        return self.resolver.base_config

    def options(self, fs):
        from .runner import RunOptions, families_for

        return RunOptions(select=fs.select, ignore=fs.ignore, units=fs.units, up=fs.up,
                          max_faces=fs.max_faces or DEFAULT_MAX_FACES,
                          families=families_for(fs.select, fs.ignore), severity=fs.severity,
                          print_size=fs.print_size, max_memory=fs.max_memory)

    def block(self, fs, cfg) -> dict:
        """The report's conditions block of these settings."""
        d = fs.to_dict()
        d["config_file"] = None if cfg.path is None else _display_path(cfg.path)
        return d

    def settings_for(self, path: str):
        from .config import ConfigError

        try:
            fs = self.resolver.for_file(path)
        except ConfigError as e:
            _usage(str(e))
        return fs.conditions, self.options(fs), self.block(fs, self.resolver.config_for(path))

    def run(self, progress=None, keep=None, stage=None):
        """The Report of every file (the runner: cache, pool, per-file settings)."""
        from .runner import check_paths

        base = self.resolver.base
        report = check_paths(self.files, base.conditions, self.options(base), progress,
                             jobs=self.jobs, cache=self.cache, pool_min=self.pool_min,
                             timeout=self.timeout, settings_for=self.settings_for, keep=keep,
                             stage=stage,
                             run_conditions=self.block(base, self.config))
        if self.shard:
            report.timings["shard"] = f"{self.shard[0]}/{self.shard[1]}"
        return report


def _plan(paths, given: dict) -> _Plan:
    """Validate the options, resolve the config and list the files: every usage error is
    found here, before any geometry work (exit 2)."""
    from .config import ConfigError, Resolver
    from .runner import collect_files, default_jobs, parse_shard, shard_files

    layer = _cli_layer(given)
    jobs = given.get("jobs")
    if jobs is not None and jobs < 0:
        _usage("--jobs must be 0 (one per core) or more")
    timeout = given.get("timeout") or 0
    if not 0 <= timeout < float("inf"):  # NaN fails both comparisons
        _usage("--timeout must be 0 (no limit) or a finite number of seconds")
    try:
        shard = parse_shard(given["shard"]) if given.get("shard") else None
        resolver = Resolver(layer, given.get("config"), given.get("isolated", False))
        base = resolver.base
        files = collect_files(paths, lambda f: resolver.config_for(f).excluded(f))
    except (ConfigError, ValueError) as e:
        _usage(str(e))
    if given.get("subject"):  # a typo in --subject is a usage error, not a silent skip
        from .checks.scale import SubjectError, get_subject

        try:
            get_subject(given["subject"], base.conditions.subjects_table())
        except SubjectError as e:
            _usage(str(e))
    if not files:
        _usage("no mesh files found in " + ", ".join(str(p) for p in paths))
    if shard:
        files = shard_files(files, *shard)
    cfg = resolver.base_config
    cache = None
    if "no_cache" in given and not given["no_cache"]:
        from .cache import DEFAULT_DIR, Cache

        cache = Cache(given.get("cache_dir") or cfg.cache_dir
                      or (cfg.root / DEFAULT_DIR if cfg.path else DEFAULT_DIR))
    n_jobs = (jobs if jobs is not None else cfg.jobs) or default_jobs()
    return _Plan(files, resolver, cache, n_jobs,
                 POOL_MIN_EXPLICIT if jobs is not None else POOL_MIN_DEFAULT, shard,
                 given.get("timeout") or None)


def _report_errors(report) -> None:
    for fr in report.files:
        if fr.status == "error":
            _err(f"{fr.path}: {fr.error}")


# --------------------------------------------------------------------------- check


FORMATS = ("text", "full", "concise", "json", "sarif", "junit", "github")  # output.FORMATS
_OUT = "Output"


@app.command()
@shared(VIEWING, INPUT, SIZE, SELECTION, CONFIG, CACHE, BATCH)
def check(
    paths: Annotated[list[Path], typer.Argument(
        help="Mesh files and/or directories (walked for mesh files).", show_default=False)],
    fail_on: FailOn = None,
    baseline: Annotated[Optional[Path], typer.Option(
        "--baseline", help="A stored JSON report: only findings not in it are reported and "
        "count toward the exit code. \\[default: none]", rich_help_panel="Config",
        show_default=False)] = None,
    write_baseline: Annotated[bool, typer.Option(
        "--write-baseline", help="Write this run's findings to the --baseline file and exit 0.",
        rich_help_panel="Config")] = False,
    fmt: Annotated[str, typer.Option(
        "--format", "--output-format", "-f", help="Report format: text (= full: each finding's "
        "line, then what was measured, the distances it holds at, the fix and every place), "
        "concise (one line per finding), json, sarif, junit or github (workflow annotations).",
        rich_help_panel=_OUT)] = "text",
    statistics: Annotated[bool, typer.Option(
        "--statistics", help="Print the number of findings (and places) per rule code instead "
        "of the findings; text or json.", rich_help_panel=_OUT)] = False,
    output_json: Annotated[Optional[Path], typer.Option(
        "--output-json", help="Also write the JSON report here. \\[default: none]",
        rich_help_panel=_OUT, show_default=False)] = None,
    output_sarif: Annotated[Optional[Path], typer.Option(
        "--output-sarif", help="Also write a SARIF 2.1.0 log here. \\[default: none]",
        rich_help_panel=_OUT, show_default=False)] = None,
    output_junit: Annotated[Optional[Path], typer.Option(
        "--output-junit", help="Also write JUnit XML here. \\[default: none]",
        rich_help_panel=_OUT, show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the report to this file (atomically). \\[default: stdout]",
        rich_help_panel=_OUT, show_default=False)] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Text format: only the summary table.", rich_help_panel=_OUT)] = False,
    render_dir: Annotated[Optional[Path], typer.Option(
        "--render", help="Also draw each file's pictures (see `miniscan render`) into this "
        "directory, while each file is in memory; files are then checked in this process "
        "(no pool). \\[default: no pictures]", rich_help_panel=_OUT, show_default=False)] = None,
    *, given: dict,
):
    """Check meshes against the viewing conditions and report findings.

    Settings come from the nearest miniscan.toml or pyproject.toml \\[tool.miniscan] above each
    file (see `miniscan init`); options given here override them. `miniscan rule CODE`
    explains a finding's rule.

    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error or
    an unreadable file (the other files are still checked).
    """
    _choice("--fail-on", fail_on, FAIL_ON)
    _choice("--format", fmt, FORMATS)
    if statistics and fmt not in ("text", "full", "concise", "json"):
        _usage(f"--statistics prints text or json, not {fmt}")
    if write_baseline and baseline is None:
        _usage("--write-baseline needs --baseline FILE to write to")
    plan = _plan(paths, given)
    known = _load_baseline(baseline) if baseline is not None and not write_baseline else None
    pictures, no_gl = _check_pictures(render_dir)
    report = _with_progress(lambda cb, st: plan.run(cb, keep=pictures, stage=st),
                            len(plan.files))
    _report_errors(report)
    report = _apply_baseline(report, baseline, write_baseline, known)
    fail = plan.resolver.fail_on(fail_on)
    _write_outputs(report, fmt, fail, output, quiet, plan.config.docs_url,
                   {"json": output_json, "sarif": output_sarif, "junit": output_junit},
                   statistics)
    if pictures is not None:
        for paths_written in pictures.made.values():
            for p in paths_written:
                _note(f"wrote {p}")
    if no_gl:
        _usage(f"cannot render pictures: {no_gl}")
    if write_baseline:
        raise typer.Exit(2 if report.errors else 0)
    raise typer.Exit(report.exit_code(fail))


def _check_pictures(render_dir):
    """(the picture writer for --render, or None; the reason GL does not work, or None).

    Without GL the report is still written; the command then exits 2 with the reason."""
    if render_dir is None:
        return None, None
    from .render import gl
    from .render.sheets import Pictures

    reason = gl.probe()
    return (None, reason) if reason else (Pictures(render_dir), None)


def _load_baseline(path: Path):
    from .baseline import BaselineError, load_baseline

    try:
        return load_baseline(path)
    except BaselineError as e:
        _usage(str(e))


def _apply_baseline(report, baseline, write_baseline: bool, known):
    if baseline is None:
        return report
    if write_baseline:
        from .output.json_report import to_json

        _write(baseline, to_json(report, with_timings=False))
        n = sum(len(fr.findings) for fr in report.files)
        _note(f"wrote baseline {baseline} with {n} finding(s)")
        return report
    from .baseline import apply_baseline

    report, n = apply_baseline(report, known)
    if n:
        _note(f"{n} finding(s) already in the baseline {baseline} are not reported")
    return report


def _write_outputs(report, fmt: str, fail_on: str, output, quiet: bool, docs_url,
                   extra: dict, statistics: bool = False) -> None:
    """The report in `fmt` to stdout (or --output), plus the --output-* copies. Text on a
    terminal is coloured; piped or written to a file it is plain and never wrapped."""
    from .output import TEXT_STYLE, format_report

    for kind, path in extra.items():
        if path:
            _write(path, format_report(report, kind, fail_on, docs_url=docs_url))
    if fmt not in TEXT_STYLE or output or statistics or not sys.stdout.isatty():
        text = format_report(report, fmt, fail_on, verbose=not quiet, docs_url=docs_url,
                             statistics=statistics)
        if output:
            _write(output, text)
        else:
            sys.stdout.write(text)
        return
    from .output.text import write_text

    write_text(report, sys.stdout, color=True, style=TEXT_STYLE[fmt], quiet=quiet)


# --------------------------------------------------------------------------- pictures


def _pictures(given: dict, out_dir: Path | None):
    """The picture writer for render/report, from the Pictures options (usage errors: 2)."""
    from .render.scene import VIEWS
    from .render.sheets import Pictures

    views = tuple(v.strip() for v in given["views"].split(",") if v.strip()) \
        if given.get("views") else None
    for v in views or ():
        if v not in VIEWS:
            _usage(f"unknown view {v!r}; choose from: {', '.join(VIEWS)}")
    lo, hi = PICTURE_SIZE_PX
    if not lo <= given["size"] <= hi:
        _usage(f"--size must be between {lo} and {hi} pixels, not {given['size']}")
    only = tuple(o.strip() for o in given["only"].split(",") if o.strip()) \
        if given.get("only") else None
    return Pictures(out_dir, given["size"], views, only)


def _require_gl() -> None:
    """Exit 2 with the probe's reason (what is missing, how to install it) when GL is broken."""
    from .render import gl

    reason = gl.probe()
    if reason:
        _usage(f"cannot render pictures: {reason}")


@dataclass
class _AndSweep:
    """A keep consumer that draws a file's pictures, then sweeps it on the same Analysis."""

    pictures: object
    plan: _Plan
    near: float
    far: float
    samples: int
    sweeps: dict

    @property
    def families(self):
        return self.pictures.families

    def __call__(self, result, run) -> None:
        self.pictures(result, run)
        sw = _sweep_file(self.plan, result.path, self.near, self.far, self.samples, run)
        if sw is not None:
            self.sweeps[result.path] = sw


def _draw(paths, given: dict, out_dir: Path | None, sweeping=None):
    """The shared body of `render` and `report`: check every file (the runner, one at a
    time, in this process) and draw it while it is in memory; with `sweeping` (near, far,
    samples) also sweep it. (report, pictures made, sweeps)."""
    plan = _plan(paths, given)
    pictures = _pictures(given, out_dir)
    _require_gl()
    keep, sweeps = pictures, {}
    if sweeping is not None:
        keep = _AndSweep(pictures, plan, *sweeping, sweeps)
    report = _with_progress(lambda cb, st: plan.run(cb, keep=keep, stage=st), len(plan.files))
    _report_errors(report)
    return report, pictures.made, sweeps


@app.command()
@shared(VIEWING, INPUT, SIZE, SELECTION, CONFIG, CACHE, PICTURES)
def render(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files and/or directories.",
                                                show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the PNGs (and the orbit GIF).",
                                      rich_help_panel="Pictures")] = Path("miniscan_pictures"),
    *, given: dict,
):
    """Draw the pictures: overview with numbered callouts, a heat map per family, seen from
    here, silhouette sheet and light-orbit strip (when those families ran).

    Exit codes: 0 pictures written, 2 usage error, unreadable file or no working OpenGL.
    """
    report, written, _ = _draw(paths, given, out)
    for ps in written.values():
        for p in ps:
            typer.echo(str(p))
    raise typer.Exit(2 if report.errors else 0)


@app.command()
@shared(VIEWING, INPUT, SIZE, SELECTION, CONFIG, CACHE, PICTURES, SWEEP)
def report(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files and/or directories.",
                                                show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.",
                                      rich_help_panel=_OUT)] = Path("report.html"),
    fail_on: FailOn = None,
    with_sweep: Annotated[bool, typer.Option(
        "--sweep", help="Also sweep each file from --from to --to (see `miniscan sweep`) and "
        "put its chart and rows in the report.", rich_help_panel="Distance sweep")] = False,
    *, given: dict,
):
    """Write one self-contained HTML report (pictures embedded, works offline): filter the
    findings by family, severity and part; click a numbered disc to see its finding.

    Exit codes: 0 written (and nothing at or above --fail-on), 1 findings at or above it,
    2 usage error, unreadable file or no working OpenGL.
    """
    _choice("--fail-on", fail_on, FAIL_ON)
    sweeping = _sweep_range(given) if with_sweep else None
    rep, pics, sweeps = _draw(paths, given, None, sweeping)
    from .output.html import render_html

    _write(out, render_html(rep, pics, sweeps=sweeps))
    if os.path.isfile(out):  # not /dev/null or a pipe: their modes are not the report's
        os.chmod(out, 0o644)  # a report is for sharing; atomic_write's temp file is private
    typer.echo(str(out))
    raise typer.Exit(rep.exit_code(fail_on or "never"))


# --------------------------------------------------------------------------- sweep

SWEEP_SAMPLES = (3, 25)  # the range --samples accepts


def _sweep_range(given: dict) -> tuple[float, float, int]:
    """(near mm, far mm, samples) from --from/--to/--samples; usage errors exit 2."""
    from .conditions import ConditionsError, parse_length
    from .sweep import SweepError, sample_distances

    lo, hi = SWEEP_SAMPLES
    if not lo <= given["samples"] <= hi:
        _usage(f"--samples must be between {lo} and {hi}, not {given['samples']}")
    try:
        near, far = parse_length(given["sweep_from"]), parse_length(given["sweep_to"])
        sample_distances(near, far, given["samples"])
    except (ConditionsError, SweepError) as e:
        _usage(str(e))
    return near, far, given["samples"]


def _sweep_progress(path: str):
    if not sys.stderr.isatty():
        return None
    name = Path(path).name
    return lambda msg: sys.stderr.write(f"\rminiscan: sweeping {name}: {msg}\x1b[K")


def _sweep_file(plan, path: str, near: float, far: float, samples: int, run=None):
    """One file's Sweep (None when it cannot be read): loaded by the runner, then checked at
    each distance on the same Analysis."""
    from .runner import open_file
    from .sweep import sweep_model

    cond, opts, _ = plan.settings_for(path)
    if run is None:
        run = open_file(path, cond, opts)
        if not hasattr(run, "analysis"):
            _err(f"{run.path}: {run.error}")
            return None
    sw = sweep_model(run.model, run.analysis, cond, opts, near, far, samples, path=path,
                     progress=_sweep_progress(path))
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    return sw


@app.command()
@shared(VIEWING, INPUT, SIZE, SELECTION, CONFIG, SWEEP)
def sweep(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files and/or directories.",
                                                show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.",
                                     rich_help_panel=_OUT)] = "text",
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Directory for the charts (NAME.sweep.png).",
        rich_help_panel=_OUT)] = Path("miniscan_pictures"),
    chart: Annotated[bool, typer.Option(
        "--chart/--no-chart", help="Draw the chart: findings against distance, one band per "
        "rule.", rich_help_panel=_OUT)] = True,
    *, given: dict,
):
    """At which viewing distances does each finding hold? Per rule and part: where it
    appears and disappears between --from and --to, where the model reads (no warning left),
    and a chart (docs/sweep.md).

    A row is solved from the family's own physics where its findings carry the distance range
    they hold over (holds_mm); otherwise that family alone is re-checked at --samples
    log-spaced distances (sampled), and the output says which.

    Exit codes: 0 swept, 2 usage error or an unreadable file.
    """
    _choice("--format", fmt, ("text", "json"))
    near, far, samples = _sweep_range(given)
    plan = _plan(paths, given)
    sweeps, rc = [], 0
    for f in plan.files:
        sw = _sweep_file(plan, f, near, far, samples)
        if sw is None:
            rc = 2
            continue
        sweeps.append(sw)
        if chart:
            from .render.sheets import safe_stem
            from .render.sweep_chart import sweep_chart

            path = out / f"{safe_stem(f)}.sweep.png"
            out.mkdir(parents=True, exist_ok=True)
            _write(path, sweep_chart(sw))
            os.chmod(path, 0o644)
            _note(f"wrote {path}")
    from .output.sweep import to_json, to_text

    sys.stdout.write(to_json(sweeps) if fmt == "json" else to_text(sweeps))
    raise typer.Exit(rc)


# --------------------------------------------------------------------------- merge


@app.command()
def merge(
    reports: Annotated[list[Path], typer.Argument(
        help="JSON reports or SARIF logs from `check` (e.g. one per CI shard).", show_default=False)],
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the merged report here. \\[default: stdout]",
        show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="json, sarif, junit or github from JSON reports; sarif from SARIF "
        "logs. \\[default: the inputs' format]", show_default=False)] = None,
    fail_on: FailOn = None,
):
    """Merge the reports of several `check --shard I/N` runs into one, in path order."""
    import json

    from .merge import MergeError, merge_docs

    _choice("--fail-on", fail_on, FAIL_ON)
    docs = []
    for p in reports:
        try:
            docs.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            _usage(f"{p}: cannot read report: {getattr(e, 'strerror', None) or e}")
    from .config import ConfigError, Resolver

    try:  # docs-url from the config found from the working directory
        text, rc = merge_docs(docs, fmt, fail_on or "never", Resolver().base_config.docs_url)
    except (MergeError, ConfigError) as e:
        _usage(str(e))
    if output:
        _write(output, text)
    else:
        sys.stdout.write(text)
    raise typer.Exit(rc)


# --------------------------------------------------------------------------- describing


@app.command()
@shared(EYE, INPUT, SIZE, CONFIG)
def info(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    *, given: dict,
):
    """Describe mesh files: format, size in mm, units, topology, and what the eye resolves."""
    import json

    from .findings import round_floats
    from .loading import LoadError
    from .output.tables import info_row, print_info
    from .runner import inspect_file

    _choice("--format", fmt, ("text", "json"))
    plan = _plan(paths, given)
    rc, rows = 0, []
    for f in plan.files:
        cond, opts, _ = plan.settings_for(f)
        try:
            _, mi = inspect_file(f, opts, cond.scale_n, cond.front)
        except LoadError as e:
            _err(str(e))
            rc = 2
            continue
        rows.append(info_row(f, mi, cond))
        if fmt == "text":
            print_info(f, mi, cond)
    if fmt == "json":
        sys.stdout.write(json.dumps(round_floats(rows), indent=2) + "\n")
    raise typer.Exit(rc)


@app.command()
def profiles(fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text"):
    """List the viewing presets with every number they set."""
    from .conditions import PRESETS
    from .output.tables import print_profiles, profile_rows

    rows = profile_rows(PRESETS)
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    print_profiles(rows)


@app.command()
def rules(fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text"):
    """List every rule code with its name, family and default severity."""
    from .rules import RULES

    if fmt == "json":
        import json
        from dataclasses import asdict

        sys.stdout.write(json.dumps([asdict(r) for r in RULES.values()], indent=2) + "\n")
        return
    from .output.tables import print_rules

    print_rules(RULES.values())


@app.command()
def rule(
    code: Annotated[Optional[str], typer.Argument(
        help="A rule code, e.g. MS201 (see `miniscan rules`).", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every rule.")] = False,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="text (rendered markdown on a terminal), markdown or json.")] = "text",
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Write CODE.md per rule and a README.md index into this directory "
        "(how docs/rules/ is made: `miniscan rule --all --format markdown --out docs/rules`). "
        "\\[default: print]", show_default=False)] = None,
    pictures: Annotated[bool, typer.Option(
        "--pictures", help="With --out: also draw each rule's example picture (img/CODE.png) "
        "from the sample that shows it (needs OpenGL; about a minute).")] = False,
):
    """Explain a rule: what it measures, its condition and default severity, why it matters
    at small scale, an example from the samples, how to fix it and the options that tune it."""
    from .rule_docs import load_examples, page, write_docs
    from .rules import RULES

    _choice("--format", fmt, ("text", "markdown", "json"))
    if out is not None:
        if not all_ or fmt != "markdown":
            _usage("--out writes every page: use it with --all --format markdown")
        if pictures:
            _require_gl()
            for p in _rule_pictures(out / "img", load_examples()):
                typer.echo(str(p))
        for p in write_docs(out):
            typer.echo(str(p))
        return
    if pictures:
        _usage("--pictures needs --out DIR")
    if all_ == (code is not None):
        _usage("give one rule code, or --all")
    codes = list(RULES) if all_ else [code.strip().upper()]
    for c in codes:
        if c not in RULES:
            _usage(f"unknown rule code {c}; see `miniscan rules`")
    examples = load_examples()
    if fmt == "json":
        import json
        from dataclasses import asdict

        docs = [dict(asdict(RULES[c]), example_from_samples=examples.get(c)) for c in codes]
        sys.stdout.write(json.dumps(docs if all_ else docs[0], indent=2) + "\n")
        return
    text = "\n".join(page(RULES[c], examples.get(c)) for c in codes)
    if fmt == "markdown" or not sys.stdout.isatty():
        sys.stdout.write(text)
        return
    from rich.markdown import Markdown

    from .output.tables import console

    console().print(Markdown(text))


def _rule_pictures(img_dir: Path, examples: dict) -> list[Path]:
    """img/CODE.png for every rule with an example: each (sample, profile) is written afresh
    (`miniscan samples`, with its config) and checked once by the runner, drawing as it goes."""
    import tempfile

    from .render.rule_pictures import RulePictures
    from .samples import write_samples

    groups: dict[tuple[str, str], list[str]] = {}
    for code, ex in examples.items():
        groups.setdefault((ex["sample"], ex["profile"]), []).append(code)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        write_samples(tmp)
        for (sample, profile), codes in sorted(groups.items()):
            keep = RulePictures(img_dir, tuple(codes))
            _plan([Path(tmp) / sample], {"profile": profile}).run(keep=keep)
            written += keep.written
    return written


@app.command()
def samples(
    out: Annotated[Path, typer.Argument(help="Directory to write the sample meshes into.")] = Path("sample_meshes"),
):
    """Write the procedural sample meshes (known defects, known answers) into a directory."""
    from .samples import write_samples

    for path, desc in write_samples(out):
        typer.echo(f"{path}  {desc}")


@app.command("scale")
@shared(INPUT)
def scale_cmd(
    paths: Annotated[list[Path], typer.Argument(
        help="Mesh files and/or directories (a kit: walked for mesh files).", show_default=False)],
    subject: Annotated[Optional[str], typer.Option(
        "--subject", "-s", help="What the models depict: one subject for all (human) or one per "
        "file-name glob, first match wins ('*horse*=horse,*=human'). See docs/scale.md. "
        "\\[required]", show_default=False)] = None,
    scale: Scale = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    *, given: dict,
):
    """Is this kit consistent? The implied scale of every model, the spread, and the outliers.

    Each model is measured without its base slab along its subject's measure (height, length
    or largest extent); its implied scale is 1:N with N = typical real size / model size.
    --scale also says which models do not fit the declared scale. Exit codes: 0 consistent,
    1 an outlier or a model that does not fit --scale, 2 usage error or an unreadable file.
    """
    import json

    from .checks.scale import SubjectError, known_subjects
    from .conditions import ConditionsError, parse_scale
    from .config import ConfigError, Resolver
    from .findings import round_floats
    from .kit import parse_subject_map

    _choice("--format", fmt, ("text", "json"))
    _cli_layer(given)  # validates --units, --up, --max-faces
    try:  # subjects added in the config found from the working directory count too
        extra = Resolver().base.conditions.subjects_table() or None
    except ConfigError as e:
        _usage(str(e))
    if not subject:
        _usage("--subject is required, e.g. --subject human or '*horse*=horse,*=human'; known "
               f"subjects: {', '.join(known_subjects(extra))}")
    try:
        mapping = parse_subject_map(subject, extra)
        declared = parse_scale(scale) if scale is not None else None
    except (SubjectError, ConditionsError) as e:
        _usage(str(e))
    rep = _measure_kit(paths, mapping, declared, extra, given)
    if not rep.entries:
        _usage("no mesh files found in " + ", ".join(str(p) for p in paths))
    for e in rep.entries:
        if e.error:
            _err(f"{e.path}: {e.error}")
    if fmt == "json":
        sys.stdout.write(json.dumps(round_floats(rep.to_dict()), indent=2) + "\n")
    else:
        from .output.tables import print_kit

        print_kit(rep, declared)
    raise typer.Exit(2 if rep.errors else 0 if rep.consistent else 1)


def _measure_kit(paths, mapping, declared, extra, given):
    from .runner import RunOptions, measure_kit

    opts = RunOptions(units=given["units"], up=given["up"],
                      max_faces=given["max_faces"] or DEFAULT_MAX_FACES,
                      max_memory=_memory(given.get("max_memory")))
    return measure_kit(paths, mapping, opts, declared, extra)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(
        help="Where to write the config.", show_default=True)] = Path("."),
    pyproject: Annotated[bool, typer.Option(
        "--pyproject", help="Append a \\[tool.miniscan] table to pyproject.toml instead of "
        "writing miniscan.toml.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing miniscan.toml.")] = False,
):
    """Write a commented starter config (miniscan.toml) that `check` finds automatically."""
    from .config import _has_tool_table, starter_config

    directory.mkdir(parents=True, exist_ok=True)
    if pyproject:
        target = directory / "pyproject.toml"
        if target.exists() and _has_tool_table(target):
            _usage(f"{target} already has a [tool.miniscan] table")
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        sep = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
        _write(target, old + sep + starter_config(pyproject=True))
    else:
        target = directory / "miniscan.toml"
        if target.exists() and not force:
            _usage(f"{target} exists; pass --force to overwrite it")
        _write(target, starter_config())
    typer.echo(f"wrote {target}: edit it, then run `miniscan check {directory}`")


def main() -> None:
    # VTK must pick EGL before it loads: its OSMesa fallback segfaults without libOSMesa.
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from .safety import silence_warnings_globally

    silence_warnings_globally()
    try:
        app(prog_name="miniscan", standalone_mode=True)
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except Exception as e:  # a bug must still end in one line and exit 2, not a traceback
        if os.environ.get("MINISCAN_DEBUG"):
            raise
        _err(f"internal error: {type(e).__name__}: {e} (set MINISCAN_DEBUG=1 for a traceback)")
        sys.exit(2)
