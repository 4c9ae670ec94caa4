"""The miniscan command line: a thin typer app over the runner, conditions and writers."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .conditions import FINISHES, MATERIALS, PRESETS, PRINTERS, ConditionsError, resolve

app = typer.Typer(
    name="miniscan",
    help="Will this small model still read as real at the size and distance it will be seen?\n\n"
         "Loads STL, OBJ, PLY, OFF, GLB/glTF, 3MF and point clouds (XYZ, PCD), converts every "
         "size into what the eye, the printer and the paint will do with it, and reports where "
         "the surface will look toy-like. Start with `miniscan check sample_meshes/`.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]})

# --- options shared by every command that needs viewing conditions ---
Profile = Annotated[str, typer.Option(
    "--profile", "-p", help=f"Viewing preset: {', '.join(PRESETS)} (see `miniscan profiles`).",
    rich_help_panel="Viewing conditions")]
Scale = Annotated[Optional[str], typer.Option(
    help="Model scale as 1:N, e.g. 1:56, 1:35, 1:6. \\[default: from profile]",
    rich_help_panel="Viewing conditions")]
Distance = Annotated[Optional[str], typer.Option(
    help="Eye-to-model distance; mm unless suffixed (500, 60cm, 0.5m, 20in). \\[default: from profile]",
    rich_help_panel="Viewing conditions")]
Acuity = Annotated[Optional[float], typer.Option(
    help="Finest resolvable detail in arcminutes (1.0 = 20/20 vision). \\[default: 1.0]",
    rich_help_panel="Viewing conditions")]
Glance = Annotated[Optional[float], typer.Option(
    help="Resolution of a quick look or squint, in arcminutes. \\[default: 6.0]",
    rich_help_panel="Viewing conditions")]
Finish = Annotated[Optional[str], typer.Option(
    help=f"Paint finish: {', '.join(FINISHES)} (specular lobe 0.6/0.3/0.1/0.05 rad). "
         "[default: from profile]", rich_help_panel="Viewing conditions")]
Printer = Annotated[Optional[str], typer.Option(
    help=f"Printer: {', '.join(PRINTERS)} (resin: 0.035 mm pixel, 0.03 mm layer; "
         "fdm: 0.4 mm nozzle, 0.1 mm layer). \\[default: resin]", rich_help_panel="Viewing conditions")]
Paint = Annotated[Optional[str], typer.Option(
    help="Primer + paint build-up; mm unless suffixed. \\[default: 0.04mm]",
    rich_help_panel="Viewing conditions")]
Material = Annotated[Optional[str], typer.Option(
    help=f"Surface material: {', '.join(MATERIALS)}. \\[default: generic]",
    rich_help_panel="Viewing conditions")]
Front = Annotated[Optional[str], typer.Option(
    help="Which way the model faces: -y, +y, -x or +x (names the silhouette views). \\[default: -y]",
    rich_help_panel="Viewing conditions")]
Subject = Annotated[Optional[str], typer.Option(
    help="What the model depicts, for the scale check: human, horse, door, ... "
         "(see docs/scale.md). \\[default: none]", rich_help_panel="Viewing conditions")]
PartMaterial = Annotated[Optional[str], typer.Option(
    help="Material per part name (globs allowed), e.g. 'cloak*=cloth,blade=metal'.",
    rich_help_panel="Viewing conditions")]
PartFinish = Annotated[Optional[str], typer.Option(
    help="Finish per part name (globs allowed), e.g. 'blade=gloss,eye*=gloss'.",
    rich_help_panel="Viewing conditions")]
Units = Annotated[Optional[str], typer.Option(
    help="Units of the file: mm, cm, m or in. \\[default: as declared by the file, else guessed "
         "from its size (reported as MS903)]", rich_help_panel="Input")]
Up = Annotated[Optional[str], typer.Option(
    help="Up axis of the file: z or y (Y-up files are turned Z-up). \\[default: y for glTF/GLB, "
         "z for everything else]", rich_help_panel="Input")]
MaxFaces = Annotated[int, typer.Option(
    help="Refuse files with more faces than this (a guard against runaway memory).",
    rich_help_panel="Input")]


def _err(msg: str) -> None:
    from .safety import line_name  # one line whatever a file is called

    sys.stderr.write(f"miniscan: error: {line_name(msg)}\n")


def _conditions(profile, scale, distance, acuity, glance, finish, printer, paint, material,
                front=None, subject=None, part_material=None, part_finish=None):
    try:
        return resolve(profile, scale=scale, distance=distance, acuity=acuity, glance=glance,
                       finish=finish, printer=printer, paint=paint, material=material,
                       front=front, subject=subject, part_material=part_material,
                       part_finish=part_finish)
    except ConditionsError as e:
        _err(str(e))
        raise typer.Exit(2) from None


def _version(value: bool):
    if value:
        typer.echo(f"miniscan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False):
    pass


CheckProfile = Annotated[Optional[str], typer.Option(
    "--profile", "-p", help=f"Viewing preset: {', '.join(PRESETS)} (see `miniscan profiles`). "
    "\\[default: config's profile, else tabletop]", rich_help_panel="Viewing conditions")]
CheckMaxFaces = Annotated[Optional[int], typer.Option(
    "--max-faces", help="Refuse files with more faces than this (a guard against runaway "
    "memory). \\[default: 20000000]", rich_help_panel="Input")]
FORMATS = ("text", "json", "sarif", "junit", "github")
# Seconds one file may take in `check` (s): minutes more than the largest mesh --max-faces
# admits needs on a slow CI runner, so only a hang or a pathological file reaches it.
DEFAULT_TIMEOUT = 600.0


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(
        help="Mesh files and/or directories (walked for mesh files).", show_default=False)],
    profile: CheckProfile = None, scale: Scale = None, distance: Distance = None,
    acuity: Acuity = None, glance: Glance = None, finish: Finish = None,
    printer: Printer = None, paint: Paint = None, material: Material = None,
    front: Front = None, subject: Subject = None, part_material: PartMaterial = None,
    part_finish: PartFinish = None,
    units: Units = None, up: Up = None, max_faces: CheckMaxFaces = None,
    select: Annotated[Optional[str], typer.Option(
        help="Only these rule codes or prefixes, comma separated (e.g. MS2,MS301); replaces "
             "the config's select.", rich_help_panel="Rules")] = None,
    ignore: Annotated[Optional[str], typer.Option(
        help="Skip these rule codes or prefixes (e.g. MS9); adds to the config's ignore.",
        rich_help_panel="Rules")] = None,
    fail_on: Annotated[Optional[str], typer.Option(
        help="Exit 1 when a finding is at or above this severity: error, warning, info, never. "
             "\\[default: config's fail-on, else error]", rich_help_panel="Rules")] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="Use this config file for every file instead of discovering "
        "miniscan.toml / pyproject.toml \\[tool.miniscan] upward from each file.",
        rich_help_panel="Config")] = None,
    isolated: Annotated[bool, typer.Option(
        "--isolated", help="Ignore all config files.", rich_help_panel="Config")] = False,
    baseline: Annotated[Optional[Path], typer.Option(
        "--baseline", help="A stored JSON report: only findings not in it are reported and "
        "count toward the exit code.", rich_help_panel="Config")] = None,
    write_baseline: Annotated[bool, typer.Option(
        "--write-baseline", help="Write this run's findings to the --baseline file and exit 0.",
        rich_help_panel="Config")] = False,
    jobs: Annotated[Optional[int], typer.Option(
        "--jobs", "-j", help="Worker processes (0 = one per core). \\[default: one per core]",
        rich_help_panel="Batch")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Neither read nor write the result cache.", rich_help_panel="Batch")] = False,
    cache_dir: Annotated[Optional[Path], typer.Option(
        "--cache-dir", help="Result cache directory. \\[default: .miniscan_cache beside the "
        "config file, else in the working directory]", rich_help_panel="Batch")] = None,
    shard: Annotated[Optional[str], typer.Option(
        "--shard", help="Check only shard I of N (e.g. 2/3) for a CI matrix; shards 1..N "
        "cover every file exactly once. Merge their reports with `miniscan merge`.",
        rich_help_panel="Batch")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Seconds one file may take; a file over it is reported as an error "
        "and the others keep their results (each file is checked in a worker process). "
        "0 = no limit, checked in this process. See docs/robustness.md.",
        rich_help_panel="Batch")] = DEFAULT_TIMEOUT,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="Report format: text, json, sarif, junit or github (workflow "
        "annotations).", rich_help_panel="Output")] = "text",
    output_json: Annotated[Optional[Path], typer.Option(
        "--output-json", help="Also write the JSON report here.", rich_help_panel="Output")] = None,
    output_sarif: Annotated[Optional[Path], typer.Option(
        "--output-sarif", help="Also write a SARIF 2.1.0 log here.", rich_help_panel="Output")] = None,
    output_junit: Annotated[Optional[Path], typer.Option(
        "--output-junit", help="Also write JUnit XML here.", rich_help_panel="Output")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the report to this file (atomically) instead of stdout.",
        rich_help_panel="Output")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Text format: only the summary table.",
        rich_help_panel="Output")] = False,
    render_dir: Annotated[Optional[Path], typer.Option(
        "--render", help="Also draw each file's pictures (see `miniscan render`) into this "
        "directory.", rich_help_panel="Output")] = None,
):
    """Check meshes against the viewing conditions and report findings.

    Settings come from the nearest miniscan.toml or pyproject.toml \\[tool.miniscan] above each
    file (see `miniscan init`); options given here override them.

    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error or
    an unreadable file (the other files are still checked).
    """
    run = _plan_check(paths, dict(
        profile=profile, scale=scale, distance=distance, acuity=acuity, glance=glance,
        finish=finish, printer=printer, paint=paint, material=material, front=front,
        subject=subject, units=units, up=up, select=select, ignore=ignore),
        part_material, part_finish, max_faces, fail_on, fmt, config, isolated, jobs, no_cache,
        cache_dir, shard, baseline, write_baseline)
    if timeout < 0:
        _err("--timeout must be 0 (no limit) or more seconds")
        raise typer.Exit(2)
    run.timeout = timeout or None
    report = _with_progress(run.execute, len(run.files))
    for fr in report.files:
        if fr.status == "error":
            _err(f"{fr.path}: {fr.error}")
    report = run.apply_baseline(report)
    for path, kind in ((output_json, "json"), (output_sarif, "sarif"), (output_junit, "junit")):
        if path:
            _write(path, _format(report, kind, run.fail_on))

    if fmt != "text":
        text = _format(report, fmt, run.fail_on)
        if output:
            _write(output, text)
        else:
            sys.stdout.write(text)
    else:
        from rich.console import Console

        from .output.text import render_text

        if output:
            from io import StringIO

            buf = StringIO()
            render_text(report, Console(file=buf, width=120, no_color=True), not quiet)
            _write(output, buf.getvalue())
        else:
            console = Console(width=None if sys.stdout.isatty() else 120)
            render_text(report, console, not quiet)
    if render_dir is not None:
        _render_check(report, run, render_dir)
    raise typer.Exit(run.exit_code(report))


class _CheckRun:
    """A resolved `check` invocation: files, per-file settings, cache, pool, baseline."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def execute(self, progress=None):
        from .config import ConfigError
        from .runner import check_paths

        try:
            report = check_paths(self.files, self.base.conditions, self.options(self.base),
                                 progress, jobs=self.jobs, cache=self.cache,
                                 pool_min=self.pool_min, timeout=self.timeout,
                                 settings_for=self.settings_for, run_conditions=self.block(
                                     self.base, self.resolver.base_config))
        except ConfigError as e:
            _err(str(e))
            raise typer.Exit(2) from None
        if self.shard:
            report.timings["shard"] = f"{self.shard[0]}/{self.shard[1]}"
        return report

    def options(self, fs):
        from .runner import RunOptions, families_for

        return RunOptions(select=fs.select, ignore=fs.ignore, units=fs.units, up=fs.up,
                          max_faces=fs.max_faces or 20_000_000,
                          families=families_for(fs.select, fs.ignore), severity=fs.severity)

    def block(self, fs, cfg) -> dict:
        d = fs.to_dict()
        d["config_file"] = None if cfg.path is None else _display_path(cfg.path)
        return d

    def settings_for(self, path: str):
        fs = self.resolver.for_file(path)
        return fs.conditions, self.options(fs), self.block(fs, self.resolver.config_for(path))

    def apply_baseline(self, report):
        if self.baseline is None:
            return report
        if self.write_baseline:
            from .output.json_report import to_json

            _write(self.baseline, to_json(report, with_timings=False))
            n = sum(len(fr.findings) for fr in report.files)
            _err_note(f"wrote baseline {self.baseline} with {n} finding(s)")
            return report
        from .baseline import apply_baseline

        report, n = apply_baseline(report, self.known)
        if n:
            _err_note(f"{n} finding(s) already in the baseline {self.baseline} are not reported")
        return report

    def exit_code(self, report) -> int:
        if self.write_baseline:
            return 2 if report.errors else 0
        return report.exit_code(self.fail_on)


def _err_note(msg: str) -> None:
    sys.stderr.write(f"miniscan: {msg}\n")


def _display_path(p) -> str:
    rel = os.path.relpath(os.path.abspath(p))
    return (str(p) if rel.startswith("..") else rel).replace(os.sep, "/")


def _plan_check(paths, cli, part_material, part_finish, max_faces, fail_on, fmt, config,
                isolated, jobs, no_cache, cache_dir, shard, baseline, write_baseline) -> _CheckRun:
    """Validate the options, resolve the config and list the files: every usage error is
    found here, before any geometry work (exit 2)."""
    from .conditions import parse_part_map
    from .config import FAIL_ON, ConfigError, Resolver
    from .rules import parse_codes
    from .runner import collect_files, default_jobs, parse_shard, shard_files

    if fail_on is not None and fail_on not in FAIL_ON:
        _err(f"--fail-on must be error, warning, info or never, not {fail_on!r}")
        raise typer.Exit(2)
    if fmt not in FORMATS:
        _err(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        raise typer.Exit(2)
    if cli.get("up") is not None and cli["up"] not in ("z", "y"):
        _err(f"--up must be z or y, not {cli['up']!r}")
        raise typer.Exit(2)
    if cli["units"] is not None and cli["units"] not in ("mm", "cm", "m", "in"):
        _err(f"--units must be mm, cm, m or in, not {cli['units']!r}")
        raise typer.Exit(2)
    if write_baseline and baseline is None:
        _err("--write-baseline needs --baseline FILE to write to")
        raise typer.Exit(2)
    if jobs is not None and jobs < 0:
        _err("--jobs must be 0 (one per core) or more")
        raise typer.Exit(2)
    try:
        cli["select"] = parse_codes(cli["select"]) if cli["select"] else None
        cli["ignore"] = parse_codes(cli["ignore"]) if cli["ignore"] else None
        shard_t = parse_shard(shard) if shard else None
        if part_material:
            cli["part-material"] = dict(parse_part_map(part_material, MATERIALS, "material"))
        if part_finish:
            cli["part-finish"] = dict(parse_part_map(part_finish, FINISHES, "finish"))
    except (ValueError, ConditionsError) as e:
        _err(str(e))
        raise typer.Exit(2) from None
    if max_faces is not None:
        if max_faces <= 0:
            _err("--max-faces must be positive")
            raise typer.Exit(2)
        cli["max-faces"] = max_faces
    try:
        resolver = Resolver(cli, config, isolated)
        base = resolver.base
        files = collect_files(paths, lambda f: resolver.config_for(f).excluded(f))
    except ConfigError as e:
        _err(str(e))
        raise typer.Exit(2) from None
    if cli.get("subject"):  # a typo in --subject is a usage error, not a silent skip
        from .checks.scale import SubjectError, get_subject

        try:
            get_subject(cli["subject"], base.conditions.subjects_table())
        except SubjectError as e:
            _err(str(e))
            raise typer.Exit(2) from None
    if not files:
        _err("no mesh files found in " + ", ".join(str(p) for p in paths))
        raise typer.Exit(2)
    if shard_t:
        files = shard_files(files, *shard_t)
    known = None
    if baseline is not None and not write_baseline:
        from .baseline import BaselineError, load_baseline

        try:
            known = load_baseline(baseline)
        except BaselineError as e:
            _err(str(e))
            raise typer.Exit(2) from None
    cfg = resolver.base_config
    n_jobs = jobs if jobs is not None else cfg.jobs
    n_jobs = n_jobs or default_jobs()
    cache = None
    if not no_cache:
        from .cache import DEFAULT_DIR, Cache

        where = cache_dir or cfg.cache_dir or (cfg.root / DEFAULT_DIR if cfg.path else DEFAULT_DIR)
        cache = Cache(where)
    # an explicit --jobs N is honoured for 2+ files; the default pools only for 4+ files,
    # where the workers' start-up (imports) pays off
    return _CheckRun(files=files, resolver=resolver, base=base, jobs=n_jobs, cache=cache,
                     pool_min=2 if jobs is not None else 4,
                     shard=shard_t, baseline=baseline, write_baseline=write_baseline, known=known,
                     fail_on=resolver.fail_on(fail_on))


def _format(report, fmt: str, fail_on: str) -> str:
    if fmt == "json":
        from .output.json_report import to_json

        return to_json(report)
    if fmt == "sarif":
        from .output.sarif import to_sarif

        return to_sarif(report)
    if fmt == "junit":
        from .output.junit import to_junit

        return to_junit(report, fail_on)
    if fmt == "github":
        from .output.github import to_github

        return to_github(report)
    from io import StringIO

    from rich.console import Console

    from .output.text import render_text

    buf = StringIO()
    render_text(report, Console(file=buf, width=120, no_color=True), True)
    return buf.getvalue()


def _write(path: Path, text: str) -> None:
    from .output import atomic_write

    try:
        atomic_write(path, text)
    except OSError as e:
        _err(f"{path}: cannot write report: {e.strerror or e}")
        raise typer.Exit(2) from None


def _with_progress(work, total: int):
    """Run work(callback) with a progress bar on a terminal; silent when piped."""
    if total < 2 or not sys.stderr.isatty():
        return work(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("checking", total=total)

        def cb(path: str, i: int, n: int):
            bar.update(task, completed=i, description=f"checking {Path(path).name}" if path else "done")

        return work(cb)


@app.command()
def info(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files.", show_default=False)],
    profile: Profile = "tabletop", scale: Scale = None, distance: Distance = None,
    acuity: Acuity = None, units: Units = None, up: Up = None, max_faces: MaxFaces = 20_000_000,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
):
    """Describe mesh files: format, size in mm, units, topology, and what the eye resolves."""
    import json

    from .analysis import Analysis
    from .findings import round_floats
    from .loading import LoadError, load
    from .runner import collect_files, mesh_info

    cond = _conditions(profile, scale, distance, acuity, None, None, None, None, None)
    rc = 0
    out = []
    for f in collect_files(paths):
        try:
            m = load(f, units, scale_n=cond.scale_n, max_faces=max_faces, up=up)
        except LoadError as e:
            _err(str(e))
            rc = 2
            continue
        a = Analysis(m)
        mi = mesh_info(m, a)
        d = mi.to_dict()
        ext = max(mi.bbox_mm)
        d.update({"path": f, "resolvable_mm": cond.resolvable_mm,
                  "real_size_mm": [cond.real_mm(x) for x in mi.bbox_mm],
                  "mean_edge_real_mm": cond.real_mm(mi.mean_edge_mm),
                  "edge_vs_resolvable": mi.mean_edge_mm / cond.resolvable_mm,
                  "eye_pixels_tall": ext / cond.resolvable_mm})
        out.append(d)
        if fmt != "json":
            from rich.console import Console
            from rich.table import Table

            t = Table(title=f, show_header=False, title_justify="left")
            t.add_column("", style="bold")
            t.add_column("")
            bb = " × ".join(f"{x:.2f}" for x in mi.bbox_mm)
            real = " × ".join(_human_mm(cond.real_mm(x)) for x in mi.bbox_mm)
            rows = [
                ("format", mi.format + (" (point cloud, surface rebuilt)" if mi.source != "mesh" else "")),
                ("faces / vertices", f"{mi.faces:,} / {mi.vertices:,}"),
                ("bodies", f"{mi.bodies:,}" + (f"  parts: {', '.join(mi.parts[:6])}" if len(mi.parts) > 1 else "")),
                ("units", mi.units + (" (guessed: pass --units to be sure)" if mi.units_guessed else " (declared)" if m.unit_scale != 1 or not mi.units_guessed else "")),
                ("bounding box", f"{bb} mm"),
                ("watertight", "yes" if mi.watertight else "no"),
                ("mean edge", f"{mi.mean_edge_mm:.4g} mm"),
                (f"at 1:{cond.scale_n:g} real size", real),
                (f"eye at {cond.distance_mm:g} mm resolves", f"{cond.resolvable_mm:.4g} mm "
                 f"(≈ {ext / cond.resolvable_mm:.0f} resolvable px across the largest side)"),
            ]
            for k, v in rows:
                t.add_row(k, v)
            Console(width=None if sys.stdout.isatty() else 120).print(t)
    if fmt == "json":
        sys.stdout.write(json.dumps(round_floats(out), indent=2) + "\n")
    raise typer.Exit(rc)


def _human_mm(mm: float) -> str:
    return f"{mm / 1000:.2f} m" if mm >= 1000 else f"{mm / 10:.1f} cm" if mm >= 10 else f"{mm:.2f} mm"


@app.command()
def profiles(fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text"):
    """List the viewing presets with every number they set."""
    rows = []
    for name, c in PRESETS.items():
        rows.append({"profile": name, "scale": f"1:{c.scale_n:g}", "distance_mm": c.distance_mm,
                     "acuity_arcmin": c.acuity_arcmin, "glance_arcmin": c.glance_arcmin,
                     "finish": c.finish, "lobe_rad": c.lobe_rad, "printer": c.printer.name,
                     "paint_mm": c.paint_mm, "resolvable_mm": round(c.resolvable_mm, 4),
                     "glance_mm": round(c.glance_mm, 4), "bevel_min_mm": round(c.bevel_min_mm, 4),
                     "description": c.description})
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="miniscan profiles  (lengths in mm at model scale)", title_justify="left")
    for col, j in (("profile", "left"), ("scale", "right"), ("distance", "right"),
                   ("acuity′", "right"), ("glance′", "right"), ("finish (φ rad)", "left"),
                   ("printer", "left"), ("paint", "right"), ("resolves", "right"),
                   ("glance", "right"), ("R_min", "right")):
        t.add_column(col, justify=j)
    for r in rows:
        t.add_row(r["profile"], r["scale"], f"{r['distance_mm']:g}", f"{r['acuity_arcmin']:g}",
                  f"{r['glance_arcmin']:g}", f"{r['finish']} ({r['lobe_rad']:g})", r["printer"],
                  f"{r['paint_mm']:g}", f"{r['resolvable_mm']:.4f}", f"{r['glance_mm']:.3f}",
                  f"{r['bevel_min_mm']:.3f}")
    con = Console(width=None if sys.stdout.isatty() else 130)
    con.print(t)
    con.print("resolves = distance·tan(acuity) (macro-photo: a camera's stated 0.02 mm); "
              "glance = the same at the glance angle; R_min = resolves / φ, the smallest "
              "bevel whose highlight the eye resolves.", highlight=False)


@app.command()
def rules(fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text"):
    """List every rule code with its name, family and default severity."""
    from .rules import RULES

    if fmt == "json":
        import json
        from dataclasses import asdict

        sys.stdout.write(json.dumps([asdict(r) for r in RULES.values()], indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="miniscan rules", title_justify="left")
    for col in ("code", "name", "family", "severity", "what it means"):
        t.add_column(col)
    for r in RULES.values():
        t.add_row(r.code, r.name, r.family, r.severity, r.summary)
    Console(width=None if sys.stdout.isatty() else 130).print(t)


@app.command()
def samples(
    out: Annotated[Path, typer.Argument(help="Directory to write the sample meshes into.")] = Path("sample_meshes"),
):
    """Write the procedural sample meshes (known defects, known answers) into a directory."""
    from .samples import write_samples

    for path, desc in write_samples(out):
        typer.echo(f"{path}  {desc}")


@app.command("scale")
def scale_cmd(
    paths: Annotated[list[Path], typer.Argument(
        help="Mesh files and/or directories (a kit: walked for mesh files).", show_default=False)],
    subject: Annotated[Optional[str], typer.Option(
        "--subject", "-s", help="What the models depict: one subject for all (human) or one per "
        "file-name glob, first match wins ('*horse*=horse,*=human'). See docs/scale.md.",
        show_default=False)] = None,
    scale: Annotated[Optional[str], typer.Option(
        help="Declared scale (1:56): also say which models do not fit it.")] = None,
    units: Units = None, up: Up = None, max_faces: MaxFaces = 20_000_000,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
):
    """Is this kit consistent? The implied scale of every model, the spread, and the outliers.

    Each model is measured without its base slab along its subject's measure (height, length
    or largest extent); its implied scale is 1:N with N = typical real size / model size.
    Exit codes: 0 consistent, 1 an outlier or a model that does not fit --scale, 2 usage
    error or an unreadable file.
    """
    import json

    from .checks.scale import SubjectError, known_subjects
    from .conditions import parse_scale
    from .findings import round_floats
    from .kit import fmt_n, parse_subject_map, scan_kit

    from .config import ConfigError, Resolver

    try:  # subjects added in the config found from the working directory count too
        extra = Resolver().base.conditions.subjects_table() or None
    except ConfigError as e:
        _err(str(e))
        raise typer.Exit(2) from None
    if not subject:
        _err("--subject is required, e.g. --subject human or '*horse*=horse,*=human'; known "
             f"subjects: {', '.join(known_subjects(extra))}")
        raise typer.Exit(2)
    try:
        mapping = parse_subject_map(subject, extra)
        declared = parse_scale(scale) if scale is not None else None
    except (SubjectError, ConditionsError) as e:
        _err(str(e))
        raise typer.Exit(2) from None
    if units is not None and units not in ("mm", "cm", "m", "in"):
        _err(f"--units must be mm, cm, m or in, not {units!r}")
        raise typer.Exit(2)
    if fmt not in ("text", "json"):
        _err(f"--format must be text or json, not {fmt!r}")
        raise typer.Exit(2)
    rep = scan_kit(paths, mapping, units, declared, max_faces, extra=extra, up=up)
    if not rep.entries:
        _err("no mesh files found in " + ", ".join(str(p) for p in paths))
        raise typer.Exit(2)
    for e in rep.entries:
        if e.error:
            _err(f"{e.path}: {e.error}")
    if fmt == "json":
        sys.stdout.write(json.dumps(round_floats(rep.to_dict()), indent=2) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        t = Table(title="implied scale per model (base slab left out)", title_justify="left")
        for col, j in (("file", "left"), ("subject", "left"), ("measured", "right"),
                       ("base", "right"), ("implied", "right"), ("fits", "right"),
                       ("", "left")):
            t.add_column(col, justify=j)
        for e in rep.entries:
            if e.error or e.implied_n is None:
                t.add_row(e.path, e.subject or "-", "-", "-", "-", "-",
                          "unreadable" if e.error else "no subject")
                continue
            verdict = "OUTLIER" if e.outlier else "ok"
            if e.fits_declared is False:
                verdict += f", not {fmt_n(declared)}"
            t.add_row(e.path, e.subject, f"{e.size_mm:.3g} mm {e.measure}",
                      f"{e.base_height_mm:.3g} mm" if e.base_detected else "-",
                      fmt_n(e.implied_n), f"{fmt_n(e.fit_n[0])}-{fmt_n(e.fit_n[1])}", verdict)
        con = Console(width=None if sys.stdout.isatty() else 130)
        con.print(t)
        if rep.median_n is not None:
            common = (f"every model fits {fmt_n(rep.common_fit_n[0])}-{fmt_n(rep.common_fit_n[1])}"
                      if rep.common_fit_n else "no single scale fits every model")
            con.print(f"kit scale {fmt_n(rep.median_n)} (median); spread {fmt_n(rep.min_n)} to "
                      f"{fmt_n(rep.max_n)} ({100 * (rep.spread_ratio - 1):.0f}%); {common}; "
                      f"{len(rep.outliers)} outlier(s)", highlight=False)
        for note in rep.notes:
            con.print(note, highlight=False)
    raise typer.Exit(2 if rep.errors else 0 if rep.consistent else 1)


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
            _err(f"{target} already has a [tool.miniscan] table")
            raise typer.Exit(2)
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        sep = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
        _write(target, old + sep + starter_config(pyproject=True))
    else:
        target = directory / "miniscan.toml"
        if target.exists() and not force:
            _err(f"{target} exists; pass --force to overwrite it")
            raise typer.Exit(2)
        _write(target, starter_config())
    typer.echo(f"wrote {target}: edit it, then run `miniscan check {directory}`")


@app.command()
def merge(
    reports: Annotated[list[Path], typer.Argument(
        help="JSON reports or SARIF logs from `check` (e.g. one per CI shard).", show_default=False)],
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the merged report here instead of stdout.")] = None,
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="json, sarif, junit or github from JSON reports; sarif from SARIF "
        "logs. \\[default: the inputs' format]")] = None,
    fail_on: Annotated[str, typer.Option(
        help="Exit 1 when the merged report has a finding at or above this severity: "
             "error, warning, info, never.")] = "never",
):
    """Merge the reports of several `check --shard I/N` runs into one, in path order."""
    import json

    from .cache import report_from_dict
    from .findings import Report

    docs = []
    for p in reports:
        try:
            docs.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            _err(f"{p}: cannot read report: {getattr(e, 'strerror', None) or e}")
            raise typer.Exit(2) from None
    kinds = {"sarif" if isinstance(d, dict) and "runs" in d else
             "json" if isinstance(d, dict) and "files" in d else "?" for d in docs}
    if len(kinds) != 1 or "?" in kinds:
        _err("merge needs inputs of one kind: all miniscan JSON reports or all SARIF logs")
        raise typer.Exit(2)
    kind = kinds.pop()
    fmt = fmt or kind
    if fail_on not in ("error", "warning", "info", "never"):
        _err(f"--fail-on must be error, warning, info or never, not {fail_on!r}")
        raise typer.Exit(2)
    if kind == "sarif":
        if fmt != "sarif":
            _err("SARIF logs merge into SARIF only; merge the JSON reports for other formats")
            raise typer.Exit(2)
        from .output.sarif import merge_sarif

        try:
            merged = merge_sarif(docs)
        except (ValueError, KeyError) as e:
            _err(f"cannot merge: {e}")
            raise typer.Exit(2) from None
        text = json.dumps(merged, ensure_ascii=False, separators=(",", ":")) + "\n"
        levels = {r.get("level") for run in merged["runs"] for r in run.get("results", [])}
        rank = {"note": "info", "warning": "warning", "error": "error"}
        sevs = [rank[x] for x in levels if x in rank]
        rc = 0
        if fail_on != "never":
            from .rules import severity_rank

            rc = int(any(severity_rank(s) >= severity_rank(fail_on) for s in sevs))
    else:
        if fmt not in ("json", "sarif", "junit", "github"):
            _err(f"--format must be json, sarif, junit or github, not {fmt!r}")
            raise typer.Exit(2)
        parts = [report_from_dict(d) for d in docs]
        versions = {r.tool_version for r in parts}
        if len(versions) > 1:
            _err(f"reports come from different miniscan versions: {', '.join(sorted(versions))}")
            raise typer.Exit(2)
        strip = lambda c: {k: v for k, v in c.items() if k != "config_file"}  # noqa: E731
        if any(strip(r.conditions) != strip(parts[0].conditions) for r in parts[1:]):
            _err("reports were made with different viewing conditions or rules; not merging")
            raise typer.Exit(2)
        by_path = {}
        for r in parts:
            for fr in r.files:
                by_path[fr.path] = fr  # a file in two shards: the later report wins
        files = tuple(by_path[k] for k in sorted(by_path))
        timings = {"total": sum(float(r.timings.get("total", 0) or 0) for r in parts),
                   "merged_reports": len(parts)}
        report = Report(parts[0].tool_version, parts[0].conditions, files, timings)
        text = _format(report, fmt, fail_on if fail_on != "never" else "error")
        rc = 2 if report.errors else report.exit_code(fail_on)
    if output:
        _write(output, text)
    else:
        sys.stdout.write(text)
    raise typer.Exit(rc)


Views = Annotated[Optional[str], typer.Option(
    help="Heat-map views, comma separated: three-quarter, front, back, left, right, top, "
         "front-high, back-three-quarter. \\[default: three-quarter,back-three-quarter,top]",
    rich_help_panel="Pictures")]
PicSize = Annotated[int, typer.Option(
    help="Picture width in pixels.", rich_help_panel="Pictures")]
Only = Annotated[Optional[str], typer.Option(
    help="Only these pictures, comma separated: families (health, findings, edges, texture, ...) "
         "and/or kinds (overview, heat, seen, silhouette, orbit).", rich_help_panel="Pictures")]


def _picture_args(views, size, only):
    from .render.scene import VIEWS

    vs = tuple(v.strip() for v in views.split(",") if v.strip()) if views else None
    for v in vs or ():
        if v not in VIEWS:
            _err(f"unknown view {v!r}; choose from: {', '.join(VIEWS)}")
            raise typer.Exit(2)
    if size < 320 or size > 8000:
        _err(f"--size must be between 320 and 8000 pixels, not {size}")
        raise typer.Exit(2)
    on = tuple(o.strip() for o in only.split(",") if o.strip()) if only else None
    return vs, on


def _require_gl() -> None:
    """Exit 2 with the probe's reason (what is missing, how to install it) when GL is broken."""
    from .render import gl

    try:
        gl.require()
    except gl.GLUnavailable as e:
        _err(f"cannot render pictures: {e}")
        raise typer.Exit(2) from None


def _picture_settings(cli: dict, part_material, part_finish, max_faces):
    """Per-file settings for render/report, from the config files plus the command line,
    exactly as `check` resolves them: (run conditions, settings_for)."""
    from .conditions import parse_part_map
    from .config import ConfigError, Resolver
    from .runner import RunOptions

    try:
        if part_material:
            cli["part-material"] = dict(parse_part_map(part_material, MATERIALS, "material"))
        if part_finish:
            cli["part-finish"] = dict(parse_part_map(part_finish, FINISHES, "finish"))
        resolver = Resolver(cli)
        base = resolver.base.conditions
    except (ConfigError, ConditionsError, ValueError) as e:
        _err(str(e))
        raise typer.Exit(2) from None

    def settings_for(path):
        try:
            fs = resolver.for_file(path)
        except ConfigError as e:
            _err(str(e))
            raise typer.Exit(2) from None
        return fs.conditions, RunOptions(select=fs.select, ignore=fs.ignore, units=fs.units,
                                         up=fs.up, max_faces=max_faces or fs.max_faces or 20_000_000,
                                         severity=fs.severity)

    return base, settings_for


def _render_run(paths, cond, units, max_faces, views, size, only, out_dir=None, keep=False,
                up=None, settings_for=None):
    from .runner import RunOptions, collect_files

    if units is not None and units not in ("mm", "cm", "m", "in"):
        _err(f"--units must be mm, cm, m or in, not {units!r}")
        raise typer.Exit(2)
    if up is not None and up not in ("z", "y"):
        _err(f"--up must be z or y, not {up!r}")
        raise typer.Exit(2)
    files = collect_files(paths)
    if not files:
        _err("no mesh files found in " + ", ".join(str(p) for p in paths))
        raise typer.Exit(2)
    _require_gl()
    from .render.sheets import check_and_render

    opts = RunOptions(units=units, max_faces=max_faces, up=up)
    report, pics = _with_progress(lambda cb: check_and_render(
        files, cond, opts, out_dir, size=size, views=views, only=only, progress=cb, keep=keep,
        settings_for=settings_for),
        len(files))
    for fr in report.files:
        if fr.status == "error":
            _err(f"{fr.path}: {fr.error}")
    return report, pics


def _pictures(paths, views, size, only, part_material, part_finish, max_faces, *,
              out_dir=None, keep=False, **cli):
    """The shared body of `render` and `report`: settings from config + command line, then
    check and draw every file."""
    cond, settings_for = _picture_settings(cli, part_material, part_finish, max_faces)
    vs, on = _picture_args(views, size, only)
    return _render_run(paths, cond, cli["units"], max_faces, vs, size, on, out_dir=out_dir,
                       keep=keep, up=cli["up"], settings_for=settings_for)


@app.command()
def render(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files and/or directories.",
                                                show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Directory for the PNGs (and the orbit GIF).",
                                      rich_help_panel="Pictures")] = Path("miniscan_pictures"),
    views: Views = None, size: PicSize = 1600, only: Only = None,
    profile: CheckProfile = None, scale: Scale = None, distance: Distance = None,
    acuity: Acuity = None, glance: Glance = None, finish: Finish = None,
    printer: Printer = None, paint: Paint = None, material: Material = None,
    front: Front = None, subject: Subject = None, part_material: PartMaterial = None,
    part_finish: PartFinish = None, units: Units = None, up: Up = None, max_faces: MaxFaces = 20_000_000,
):
    """Draw the pictures: overview with numbered callouts, a heat map per family, seen from
    here, silhouette sheet and light-orbit strip (when those families ran).

    Exit codes: 0 pictures written, 2 usage error, unreadable file or no working OpenGL.
    """
    report, written = _pictures(paths, views, size, only, part_material, part_finish, max_faces,
                                out_dir=out, profile=profile, scale=scale, distance=distance,
                                acuity=acuity, glance=glance, finish=finish, printer=printer,
                                paint=paint, material=material, front=front, subject=subject,
                                units=units, up=up)
    for f, ps in written.items():
        for p in ps:
            typer.echo(str(p))
    raise typer.Exit(2 if report.errors else 0)


@app.command()
def report(
    paths: Annotated[list[Path], typer.Argument(help="Mesh files and/or directories.",
                                                show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.",
                                      rich_help_panel="Output")] = Path("report.html"),
    views: Views = None, size: PicSize = 1600, only: Only = None,
    profile: CheckProfile = None, scale: Scale = None, distance: Distance = None,
    acuity: Acuity = None, glance: Glance = None, finish: Finish = None,
    printer: Printer = None, paint: Paint = None, material: Material = None,
    front: Front = None, subject: Subject = None, part_material: PartMaterial = None,
    part_finish: PartFinish = None, units: Units = None, up: Up = None, max_faces: MaxFaces = 20_000_000,
    fail_on: Annotated[str, typer.Option(
        help="Exit 1 when a finding is at or above this severity: error, warning, info, never.",
        rich_help_panel="Rules")] = "never",
):
    """Write one self-contained HTML report (pictures embedded, works offline).

    Exit codes: 0 written (and nothing at or above --fail-on), 1 findings at or above
    --fail-on, 2 usage error, unreadable file or no working OpenGL.
    """
    if fail_on not in ("error", "warning", "info", "never"):
        _err(f"--fail-on must be error, warning, info or never, not {fail_on!r}")
        raise typer.Exit(2)
    rep, pics = _pictures(paths, views, size, only, part_material, part_finish, max_faces,
                          keep=True, profile=profile, scale=scale, distance=distance,
                          acuity=acuity, glance=glance, finish=finish, printer=printer,
                          paint=paint, material=material, front=front, subject=subject,
                          units=units, up=up)
    from .output.html import render_html

    _write(out, render_html(rep, pics))
    os.chmod(out, 0o644)  # a report is for sharing; atomic_write's temp file is private
    typer.echo(str(out))
    raise typer.Exit(rep.exit_code(fail_on))


def _render_check(report, run, out_dir: Path, size: int = 1600) -> None:
    """Pictures for `check --render DIR`: each readable file is loaded and its families run
    again in memory (pictures need the model and the artifacts, which the report and the cache
    do not keep); the findings drawn are the report's own, so the numbers match it."""
    _require_gl()
    from dataclasses import replace as _replace

    from .analysis import Analysis
    from .loading import LoadError, load
    from .render.sheets import make_pictures, safe_stem, write_pictures
    from .runner import run_checks

    for fr in report.files:
        if fr.status != "ok":
            continue
        cond, opts, _ = run.settings_for(fr.path)
        try:
            model = load(fr.path, opts.units, scale_n=cond.scale_n, max_faces=opts.max_faces,
                         up=opts.up)
        except LoadError as e:
            _err(str(e))
            continue
        a = Analysis(model)
        checks, _t = run_checks(model, cond, opts, a)
        kept = {c.family: c.findings for c in fr.checks}
        checks = tuple(_replace(c, findings=kept.get(c.family, ())) for c in checks
                       if c.family in kept)
        for p in write_pictures(make_pictures(model, cond, checks, a, size=size), out_dir,
                                safe_stem(fr.path)):
            _err_note(f"wrote {p}")


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
