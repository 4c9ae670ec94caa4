"""The command line's shared options, each declared once (help text with its unit and default).

Options come in groups — viewing conditions, input, rules, config, batch, pictures — and a
command takes whole groups with `@shared(VIEWING, INPUT, ...)`: the decorator adds the groups'
options to the command's signature (so `--help` lists them under their panel) and hands their
values to the command as one dict, `given`. Commands then declare only what is theirs.

Imports nothing heavy: `miniscan --help` must answer at once.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from .conditions import FINISHES, MATERIALS, PRESETS, PRINTERS

UNITS = ("mm", "cm", "m", "in")
UP_AXES = ("z", "y")
FAIL_ON = ("error", "warning", "info", "never")

# --------------------------------------------------------------------------- the options

_VC = "Viewing conditions"
Profile = Annotated[Optional[str], typer.Option(
    "--profile", "-p", help=f"Viewing preset: {', '.join(PRESETS)} (see `miniscan profiles`). "
    "\\[default: the config's profile, else tabletop]", rich_help_panel=_VC, show_default=False)]
Scale = Annotated[Optional[str], typer.Option(
    help="Model scale as 1:N, e.g. 1:56, 1:35, 1:6. \\[default: from the profile]",
    rich_help_panel=_VC, show_default=False)]
Distance = Annotated[Optional[str], typer.Option(
    help="Eye-to-model distance; mm unless suffixed (500, 60cm, 0.5m, 20in). "
    "\\[default: from the profile]", rich_help_panel=_VC, show_default=False)]
Acuity = Annotated[Optional[float], typer.Option(
    help="Finest resolvable detail, in arcminutes (1.0 = 20/20 vision). \\[default: 1.0]",
    rich_help_panel=_VC, show_default=False)]
Glance = Annotated[Optional[float], typer.Option(
    help="Resolution of a quick look or squint, in arcminutes. \\[default: 6.0]",
    rich_help_panel=_VC, show_default=False)]
Finish = Annotated[Optional[str], typer.Option(
    help=f"Paint finish: {', '.join(FINISHES)} (specular lobe half-width 0.6/0.3/0.1/0.05 rad). "
    "\\[default: from the profile]", rich_help_panel=_VC, show_default=False)]
Printer = Annotated[Optional[str], typer.Option(
    help=f"Printer: {', '.join(PRINTERS)} (resin: 0.035 mm pixel, 0.03 mm layer; "
    "fdm: 0.4 mm nozzle, 0.1 mm layer). \\[default: resin]", rich_help_panel=_VC,
    show_default=False)]
Paint = Annotated[Optional[str], typer.Option(
    help="Primer + paint build-up; mm unless suffixed. \\[default: 0.04mm]",
    rich_help_panel=_VC, show_default=False)]
Material = Annotated[Optional[str], typer.Option(
    help=f"Surface material: {', '.join(MATERIALS)}. \\[default: generic]",
    rich_help_panel=_VC, show_default=False)]
Front = Annotated[Optional[str], typer.Option(
    help="Which way the model faces: -y, +y, -x or +x (names the silhouette views). "
    "\\[default: -y]", rich_help_panel=_VC, show_default=False)]
Subject = Annotated[Optional[str], typer.Option(
    help="What the model depicts, for the scale check: human, horse, door, ... "
    "(see docs/scale.md). \\[default: none]", rich_help_panel=_VC, show_default=False)]
PartMaterial = Annotated[Optional[str], typer.Option(
    help="Material per part name (globs allowed), e.g. 'cloak*=cloth,blade=metal'. "
    "\\[default: none]", rich_help_panel=_VC, show_default=False)]
PartFinish = Annotated[Optional[str], typer.Option(
    help="Finish per part name (globs allowed), e.g. 'blade=gloss,eye*=gloss'. "
    "\\[default: none]", rich_help_panel=_VC, show_default=False)]

_IN = "Input"
Units = Annotated[Optional[str], typer.Option(
    help="Units of the file: mm, cm, m or in. \\[default: as declared by the file, else guessed "
    "from its size (reported as MS903)]", rich_help_panel=_IN, show_default=False)]
Up = Annotated[Optional[str], typer.Option(
    help="Up axis of the file: z or y (Y-up files are turned Z-up). \\[default: y for "
    "glTF/GLB, z for everything else]", rich_help_panel=_IN, show_default=False)]
MaxFaces = Annotated[Optional[int], typer.Option(
    "--max-faces", help="Refuse files with more faces than this (a guard against runaway "
    "memory). \\[default: 20000000]", rich_help_panel=_IN, show_default=False)]
MaxMemory = Annotated[Optional[str], typer.Option(
    "--max-memory", help="Refuse, before reading it, a file whose face count would need more "
    "memory than this to check (e.g. 16GB; 0 = no such guard; see docs/robustness.md). "
    "\\[default: this machine's memory, or its container's limit]", rich_help_panel=_IN,
    show_default=False)]

_SIZE = "Print size"
Height = Annotated[Optional[str], typer.Option(
    help="Scale each model so that it prints this tall (bottom to top), before anything is "
    "measured: for scans and sculpts in arbitrary units. mm unless suffixed (32, 32mm, 3.2cm, "
    "1.5in). One of --height/--width/--length. \\[default: the file's own size]",
    rich_help_panel=_SIZE, show_default=False)]
Width = Annotated[Optional[str], typer.Option(
    help="Scale each model so that it prints this wide (side to side, across --front); "
    "mm unless suffixed. \\[default: the file's own size]", rich_help_panel=_SIZE,
    show_default=False)]
Length = Annotated[Optional[str], typer.Option(
    help="Scale each model so that it prints this long (front to back, along --front); "
    "mm unless suffixed. \\[default: the file's own size]", rich_help_panel=_SIZE,
    show_default=False)]

_RU = "Rules"
Select = Annotated[Optional[str], typer.Option(
    help="Only these rule codes or prefixes, comma separated (e.g. MS2,MS301); replaces the "
    "config's select. \\[default: every rule]", rich_help_panel=_RU, show_default=False)]
Ignore = Annotated[Optional[str], typer.Option(
    help="Skip these rule codes or prefixes (e.g. MS9); adds to the config's ignore. "
    "\\[default: none]", rich_help_panel=_RU, show_default=False)]
FailOn = Annotated[Optional[str], typer.Option(
    help="Exit 1 when a finding is at or above this severity: error, warning, info, never. "
    "\\[default: the config's fail-on, else error (check); never (report, merge)]",
    rich_help_panel=_RU, show_default=False)]

_CF = "Config"
ConfigFile = Annotated[Optional[Path], typer.Option(
    "--config", help="Use this config file for every file instead of discovering "
    "miniscan.toml / pyproject.toml \\[tool.miniscan] upward from each file. "
    "\\[default: discovered]", rich_help_panel=_CF, show_default=False)]
Isolated = Annotated[bool, typer.Option(
    "--isolated", help="Ignore all config files.", rich_help_panel=_CF)]

_BA = "Batch"
Jobs = Annotated[Optional[int], typer.Option(
    "--jobs", "-j", help="Worker processes (0 = one per core); pictures are drawn in this "
    "process. \\[default: the config's jobs, else one per core]", rich_help_panel=_BA,
    show_default=False)]
NoCache = Annotated[bool, typer.Option(
    "--no-cache", help="Neither read nor write the result cache.", rich_help_panel=_BA)]
CacheDir = Annotated[Optional[Path], typer.Option(
    "--cache-dir", help="Result cache directory. \\[default: .miniscan_cache beside the "
    "config file, else in the working directory]", rich_help_panel=_BA, show_default=False)]
Shard = Annotated[Optional[str], typer.Option(
    "--shard", help="Check only shard I of N (e.g. 2/3) for a CI matrix; shards 1..N cover "
    "every file exactly once. Merge their reports with `miniscan merge`. \\[default: all files]",
    rich_help_panel=_BA, show_default=False)]

# Seconds one file may take in `check` (s): minutes more than the largest mesh --max-faces
# admits needs on a slow CI runner, so only a hang or a pathological file reaches it.
DEFAULT_TIMEOUT = 600.0
Timeout = Annotated[float, typer.Option(
    "--timeout", help="Seconds one file may take: a file over it is reported as an error and "
    "the others keep their results (each file is checked in a worker process; see "
    "docs/robustness.md). 0 = no limit, checked in this process.", rich_help_panel=_BA)]

_PI = "Pictures"
Views = Annotated[Optional[str], typer.Option(
    help="Heat-map views, comma separated: three-quarter, front, back, left, right, top, "
    "front-high, back-three-quarter. \\[default: three-quarter,back-three-quarter,top]",
    rich_help_panel=_PI, show_default=False)]
PicSize = Annotated[int, typer.Option(
    "--size", help="Picture width, in pixels (320-8000).", rich_help_panel=_PI)]
Only = Annotated[Optional[str], typer.Option(
    help="Only these pictures, comma separated: families (health, findings, edges, texture, "
    "...) and/or kinds (overview, heat, seen, silhouette, orbit). \\[default: all]",
    rich_help_panel=_PI, show_default=False)]


_SW = "Distance sweep"
SweepFrom = Annotated[str, typer.Option(
    "--from", help="Nearest viewing distance of the sweep; mm unless suffixed (150, 15cm).",
    rich_help_panel=_SW)]
SweepTo = Annotated[str, typer.Option(
    "--to", help="Farthest viewing distance of the sweep; mm unless suffixed (2000, 2m).",
    rich_help_panel=_SW)]
SweepSamples = Annotated[int, typer.Option(
    "--samples", help="Distances (log-spaced, ends included) at which a family whose findings "
    "carry no solved distance range (holds_mm) is re-checked; 3-25.", rich_help_panel=_SW)]

# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class Group:
    """Options that travel together: (parameter name, annotated type, default)."""

    name: str
    options: tuple[tuple[str, Any, Any], ...]


VIEWING = Group("viewing", (
    ("profile", Profile, None), ("scale", Scale, None), ("distance", Distance, None),
    ("acuity", Acuity, None), ("glance", Glance, None), ("finish", Finish, None),
    ("printer", Printer, None), ("paint", Paint, None), ("material", Material, None),
    ("front", Front, None), ("subject", Subject, None), ("part_material", PartMaterial, None),
    ("part_finish", PartFinish, None)))
# `info` describes a file at a distance: only the options that say what the eye resolves
EYE = Group("eye", (("profile", Profile, None), ("scale", Scale, None),
                    ("distance", Distance, None), ("acuity", Acuity, None)))
INPUT = Group("input", (("units", Units, None), ("up", Up, None), ("max_faces", MaxFaces, None),
                        ("max_memory", MaxMemory, None)))
SIZE = Group("size", (("height", Height, None), ("width", Width, None), ("length", Length, None)))
SELECTION = Group("selection", (("select", Select, None), ("ignore", Ignore, None)))
CONFIG = Group("config", (("config", ConfigFile, None), ("isolated", Isolated, False)))
CACHE = Group("cache", (("no_cache", NoCache, False), ("cache_dir", CacheDir, None)))
BATCH = Group("batch", (("jobs", Jobs, None), ("shard", Shard, None),
                        ("timeout", Timeout, DEFAULT_TIMEOUT)))
SWEEP = Group("sweep", (("sweep_from", SweepFrom, "150mm"), ("sweep_to", SweepTo, "2m"),
                       ("samples", SweepSamples, 7)))
PICTURES = Group("pictures", (("views", Views, None), ("size", PicSize, 1600),
                              ("only", Only, None)))


def shared(*groups: Group) -> Callable[[Callable], Callable]:
    """Add the groups' options to a command; it receives their values as `given` (a dict).

    `--help` lists the command's arguments, then the groups in the order given, then the
    command's own options.
    """

    def deco(fn: Callable) -> Callable:
        # typer passes every value by keyword, so all can be keyword-only (any order)
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
               for name, p in inspect.signature(fn, eval_str=True).parameters.items()
               if name != "given"]
        own.sort(key=lambda p: not _is_argument(p))  # stable: arguments first
        names = [name for g in groups for name, _, _ in g.options]
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                   annotation=ann)
                 for g in groups for name, ann, default in g.options]

        def command(**kw):
            given = {n: kw.pop(n) for n in names}
            return fn(**kw, given=given)

        command.__name__, command.__doc__, command.__module__ = fn.__name__, fn.__doc__, fn.__module__
        n_args = sum(_is_argument(p) for p in own)
        params = own[:n_args] + extra + own[n_args:]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return deco


def _is_argument(p: inspect.Parameter) -> bool:
    meta = getattr(p.annotation, "__metadata__", ())
    return any(isinstance(m, typer.models.ArgumentInfo) for m in meta)


ALL_GROUPS = (VIEWING, INPUT, SIZE, SELECTION, CONFIG, CACHE, BATCH, PICTURES, SWEEP)


def option_help() -> dict[str, str]:
    """'--flag' -> its help text, from the declarations above (for the rule pages)."""
    out: dict[str, str] = {}
    for g in ALL_GROUPS:
        for name, ann, _ in g.options:
            info = ann.__metadata__[0]
            flags = [d for d in (info.param_decls or ()) if d.startswith("--")]
            flag = flags[0] if flags else "--" + name.replace("_", "-")
            out.setdefault(flag, (info.help or "").replace("\\[", "["))
    return out
