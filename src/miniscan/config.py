"""Project configuration: `[tool.miniscan]` in pyproject.toml, or a miniscan.toml.

Discovery walks up from each checked file's directory (like ruff): in every directory it looks
for `.miniscan.toml`, `miniscan.toml`, then `pyproject.toml` with a `[tool.miniscan]` table; the
first one found is that file's config. `--config FILE` replaces discovery for every file.

Precedence, lowest to highest, for every setting of one file:

    profile preset < top-level config < matching [[overrides]] (in file order) < command line

Rule selection layers like ruff's: a layer's `select` replaces the selection so far,
`extend-select` / `extend-ignore` add to it, `ignore` replaces the ignore list; the command
line's `--select` replaces, its `--ignore` extends. `per-file-ignores` globs add to ignore.
`severity` maps codes or prefixes to error/warning/info; the most specific prefix wins.

Plain Python only (tomllib, fnmatch-like globs): importing this costs nothing.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .conditions import FINISHES, MATERIALS, ConditionsError, ViewingConditions, resolve
from .rules import SEVERITIES, parse_codes

CONFIG_NAMES = (".miniscan.toml", "miniscan.toml", "pyproject.toml")
FAIL_ON = ("error", "warning", "info", "never")

# keys that feed conditions.resolve(); the value is the resolve() keyword
CONDITION_KEYS = {
    "profile": "profile", "scale": "scale", "distance": "distance", "acuity": "acuity",
    "glance": "glance", "finish": "finish", "printer": "printer", "paint": "paint",
    "material": "material", "front": "front", "subject": "subject",
}
MAP_KEYS = ("part-material", "part-finish")
RULE_KEYS = ("select", "ignore", "extend-select", "extend-ignore", "severity")
INPUT_KEYS = ("units", "max-faces", "max-memory", "up", "height", "width", "length")
SIZE_KEYS = ("height", "width", "length")  # the print size (printsize.py): one at a time
LAYER_KEYS = (*CONDITION_KEYS, *MAP_KEYS, *RULE_KEYS, *INPUT_KEYS)
TOP_ONLY_KEYS = ("fail-on", "per-file-ignores", "exclude", "cache-dir", "jobs", "overrides",
                 "materials", "subjects", "docs-url")
MATERIAL_PROPS = ("texture-mm", "edge-radius-mm", "thickness-mm")
UNITS = ("mm", "cm", "m", "in")


class ConfigError(ValueError):
    """A config file that cannot be used (a usage error: exit 2). str() names file and key."""


@dataclass(frozen=True)
class Override:
    files: tuple[str, ...]
    layer: dict


@dataclass(frozen=True)
class Config:
    """One config file, validated. `root` is the directory globs are relative to."""

    path: Path | None
    root: Path
    layer: dict = field(default_factory=dict)       # top-level layer keys
    overrides: tuple[Override, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: str | None = None
    cache_dir: str | None = None
    jobs: int | None = None
    materials: dict = field(default_factory=dict)  # {name: {texture_mm: [lo, hi], ...}}
    subjects: dict = field(default_factory=dict)   # {name: {measure, range_mm, ...}}
    docs_url: str | None = None  # where docs/rules/ is published: SARIF rules link CODE.md there

    def matching_overrides(self, path: str | os.PathLike) -> list[Override]:
        rel = self.relpath(path)
        return [o for o in self.overrides if any(glob_match(p, rel) for p in o.files)]

    def file_ignores(self, path: str | os.PathLike) -> tuple[str, ...]:
        rel = self.relpath(path)
        return tuple(c for pat, codes in self.per_file_ignores if glob_match(pat, rel)
                     for c in codes)

    def excluded(self, path: str | os.PathLike) -> bool:
        rel = self.relpath(path)
        return any(glob_match(p, rel) for p in self.exclude)

    def relpath(self, path: str | os.PathLike) -> str:
        """The file's path relative to the config's directory, with '/' separators."""
        p = Path(os.path.abspath(path))
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()


EMPTY = Config(None, Path(os.path.abspath(os.sep)))


# --------------------------------------------------------------------------- discovery


def find_config(start: str | os.PathLike, memo: dict | None = None) -> Path | None:
    """The nearest config file at or above `start` (a directory or a file), or None.

    memo: directory -> answer, shared by the lookups of one run (a Resolver) so a batch of
    thousands of files stats each directory once. Not process-wide: a config written after
    one run must be found by the next (the Python API runs many in one process)."""
    p = Path(os.path.abspath(start))
    if not p.is_dir():
        p = p.parent
    return _find_in(p, {} if memo is None else memo)


def _find_in(directory: Path, memo: dict) -> Path | None:
    if directory in memo:
        return memo[directory]
    found = None
    for name in CONFIG_NAMES:
        cand = directory / name
        if cand.is_file() and (name != "pyproject.toml" or _has_tool_table(cand)):
            found = cand
            break
    if found is None and directory.parent != directory:
        found = _find_in(directory.parent, memo)
    memo[directory] = found
    return found


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(_read_small_regular(pyproject))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "miniscan" in data["tool"]


CONFIG_MAX_BYTES = 1 << 20
"""Largest config file read (bytes): real ones are a few hundred bytes; the bound keeps a
config named at a device or a runaway file from filling memory."""


def _read_small_regular(path: Path) -> str:
    """The file's text, refusing anything but a regular file of bounded size: a FIFO or device
    named as the config would otherwise block the run forever."""
    import stat

    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(0, "not a regular file")
    if st.st_size > CONFIG_MAX_BYTES:
        raise OSError(0, f"larger than {CONFIG_MAX_BYTES // 1024} KB")
    with open(path, "rb") as f:
        return f.read(CONFIG_MAX_BYTES + 1).decode("utf-8")


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate one config file; ConfigError names the file and the bad key."""
    path = Path(path)
    try:
        text = _read_small_regular(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {getattr(e, 'strerror', None) or e}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    section = "[tool.miniscan]"
    if path.name == "pyproject.toml" or "tool" in data:
        table = data.get("tool", {}).get("miniscan") if isinstance(data.get("tool"), dict) else None
        if table is None:
            if path.name == "pyproject.toml":
                raise ConfigError(f"{path}: has no [tool.miniscan] table")
            table, section = data, "top level"
    else:
        table, section = data, "top level"
    return parse_config(table, path, section)


def parse_config(table: dict, path: Path | None = None, section: str = "[tool.miniscan]") -> Config:
    where = f"{path}: {section}" if path else section
    table = _normalise(table, where)
    _unknown(table, (*LAYER_KEYS, *TOP_ONLY_KEYS), where)
    mats = _materials(table.get("materials", {}), where)
    layer = _layer({k: v for k, v in table.items() if k in LAYER_KEYS}, where, mats)

    overrides = []
    raw_over = table.get("overrides", [])
    if not isinstance(raw_over, list):
        raise ConfigError(f"{where}: 'overrides' must be an array of tables ([[tool.miniscan.overrides]])")
    for i, o in enumerate(raw_over):
        w = f"{where} overrides[{i}]"
        if not isinstance(o, dict):
            raise ConfigError(f"{w}: must be a table")
        o = _normalise(o, w)
        _unknown(o, (*LAYER_KEYS, "files"), w)
        files = o.get("files")
        if isinstance(files, str):
            files = [files]
        if not files or not all(isinstance(f, str) and f for f in files):
            raise ConfigError(f"{w}: needs files = [\"glob\", ...]")
        overrides.append(Override(tuple(files), _layer({k: v for k, v in o.items() if k != "files"}, w,
                                                       mats)))

    pfi = []
    raw_pfi = table.get("per-file-ignores", {})
    if not isinstance(raw_pfi, dict):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
    for pat, codes in raw_pfi.items():
        pfi.append((pat, _codes(codes, f"{where} per-file-ignores[{pat!r}]")))

    exclude = table.get("exclude", [])
    if isinstance(exclude, str):
        exclude = [exclude]
    if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
        raise ConfigError(f"{where}: 'exclude' must be a list of globs")

    fail_on = table.get("fail-on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    cache_dir = table.get("cache-dir")
    if cache_dir is not None and not isinstance(cache_dir, str):
        raise ConfigError(f"{where}: cache-dir must be a path string")
    jobs = table.get("jobs")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0):
        raise ConfigError(f"{where}: jobs must be a whole number >= 0 (0 = one per core)")

    docs_url = table.get("docs-url")
    if docs_url is not None and (not isinstance(docs_url, str)
                                 or not docs_url.startswith(("https://", "http://"))):
        raise ConfigError(f"{where}: docs-url must be an absolute http(s) URL (the published "
                          f"docs/rules/ directory), not {docs_url!r}")

    root = Path(os.path.abspath(path)).parent if path else Path(os.getcwd())
    if cache_dir is not None and not os.path.isabs(cache_dir):
        cache_dir = str(root / cache_dir)
    return Config(path, root, layer, tuple(overrides), tuple(pfi), tuple(exclude), fail_on,
                  cache_dir, jobs, mats, _subjects(table.get("subjects", {}), where), docs_url)


def _materials(raw, where: str) -> dict:
    """[materials.NAME] texture-mm = [lo, hi] ...: real-world ranges, new or overriding."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'materials' must be a table of [materials.NAME] tables")
    out = {}
    for name, props in raw.items():
        w = f"{where} materials.{name}"
        props = _normalise(props, w)
        _unknown(props, MATERIAL_PROPS, w)
        clean = {}
        for k, v in props.items():
            if (not isinstance(v, list) or len(v) != 2
                    or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
                    or not 0 < v[0] <= v[1]):
                raise ConfigError(f"{w}: {k} must be [low, high] in real millimetres, low first")
            clean[k.replace("-", "_")] = [float(v[0]), float(v[1])]
        out[str(name).lower()] = clean
    return out


def _subjects(raw, where: str) -> dict:
    """[subjects.NAME] measure = "height", range-mm = [lo, hi], typical-mm, note."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'subjects' must be a table of [subjects.NAME] tables")
    from .checks.scale import SubjectError, _subject_from

    out = {}
    for name, props in raw.items():
        w = f"{where} subjects.{name}"
        props = _normalise(props, w)
        _unknown(props, ("measure", "range-mm", "typical-mm", "note"), w)
        entry = {k.replace("-", "_"): v for k, v in props.items()}
        if "range_mm" not in entry:
            raise ConfigError(f"{w}: needs range-mm = [low, high] in real millimetres")
        try:
            _subject_from(str(name).lower(), entry)
        except (SubjectError, TypeError, ValueError) as e:
            raise ConfigError(f"{w}: {e}") from None
        out[str(name).lower()] = entry
    return out


def _normalise(table: dict, where: str) -> dict:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    return {str(k).replace("_", "-").lower(): v for k, v in table.items()}


def _unknown(table: dict, allowed: tuple[str, ...], where: str) -> None:
    for k in table:
        if k not in allowed:
            near = difflib.get_close_matches(k, allowed, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"{where}: unknown key {k!r}{hint}")


def _codes(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
        raise ConfigError(f"{where}: must be a list of rule codes or prefixes")
    try:
        return parse_codes(",".join(value))
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _layer(raw: dict, where: str, materials: dict | None = None) -> dict:
    """Validate one layer's keys; returns them with normalised values."""
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k in CONDITION_KEYS:
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                raise ConfigError(f"{where}: {k} must be a string or a number")
            out[k] = v
        elif k in MAP_KEYS:
            allowed, what = ((*MATERIALS, *(materials or {})), "material") \
                if k == "part-material" else (FINISHES, "finish")
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: {k} must be a table of part-glob = {what}")
            for part, val in v.items():
                if val not in allowed:
                    raise ConfigError(f"{where}: {k}: unknown {what} {val!r} for part {part!r}; "
                                      f"choose one of: {', '.join(allowed)}")
            out[k] = dict(v)
        elif k in ("select", "ignore", "extend-select", "extend-ignore"):
            out[k] = _codes(v, f"{where} {k}")
        elif k == "severity":
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: severity must be a table of CODE = \"error|warning|info\"")
            sev = {}
            for code, s in v.items():
                (c,) = _codes([code], f"{where} severity")
                if s not in SEVERITIES:
                    raise ConfigError(f"{where}: severity of {code} must be one of "
                                      f"{', '.join(SEVERITIES)}, not {s!r}")
                sev[c] = s
            out[k] = sev
        elif k == "units":
            if v not in UNITS:
                raise ConfigError(f"{where}: units must be one of {', '.join(UNITS)}, not {v!r}")
            out[k] = v
        elif k == "up":
            if v not in ("z", "y"):
                raise ConfigError(f"{where}: up must be \"z\" or \"y\", not {v!r}")
            out[k] = v
        elif k == "max-faces":
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ConfigError(f"{where}: max-faces must be a positive whole number")
            out[k] = v
        elif k == "max-memory":
            from .loading.limits import parse_memory

            try:
                out[k] = parse_memory(v)
            except ValueError:
                raise ConfigError(f"{where}: max-memory must be an amount such as \"16GB\" "
                                  "(0: no memory guard)") from None
        elif k in SIZE_KEYS:
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                raise ConfigError(f"{where}: {k} must be a length such as \"32mm\"")
            out[k] = v
    _print_size(out, where)
    # every layer must be valid on its own: a bad value is reported where it is written
    cond = _condition_kwargs(out)
    profile = cond.pop("profile", "tabletop")
    try:
        resolve(profile, materials_extra=materials or None, **cond)
    except ConditionsError as e:
        raise ConfigError(f"{where}: {e}") from None
    return out


def _print_size(layer: dict, where: str):
    """The layer's print size (PrintSize or None); two sizes in one layer are an error."""
    from .printsize import PrintSizeError, from_options

    try:
        return from_options(*(layer.get(k) for k in SIZE_KEYS))
    except PrintSizeError as e:
        raise ConfigError(f"{where}: {e}") from None


def _condition_kwargs(layer: dict) -> dict:
    kw = {CONDITION_KEYS[k]: v for k, v in layer.items() if k in CONDITION_KEYS}
    if "part-material" in layer:
        kw["part_material"] = tuple(layer["part-material"].items())
    if "part-finish" in layer:
        kw["part_finish"] = tuple(layer["part-finish"].items())
    for k in ("scale", "distance", "paint"):
        if isinstance(kw.get(k), (int, float)):
            kw[k] = float(kw[k])
    return kw


# --------------------------------------------------------------------------- globs


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern:
    """gitignore-flavoured glob: `**` spans directories, `*` and `?` stay inside one."""
    i, n, out = 0, len(pattern), []
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1:j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, relpath: str) -> bool:
    """Match a path relative to the config directory. A pattern without '/' matches the file
    name in any directory; a trailing '/' or a directory name matches everything under it."""
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if pattern.endswith("/"):
        pattern += "**"
    if "/" not in pattern:
        parts = relpath.split("/")
        return any(_glob_regex(pattern).match(p) for p in parts)
    rx = _glob_regex(pattern)
    if rx.match(relpath):
        return True
    # a directory pattern matches the files below it
    return bool(_glob_regex(pattern + "/**").match(relpath))


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class FileSettings:
    """Everything one file is checked with."""

    conditions: ViewingConditions
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    units: str | None = None
    max_faces: int | None = None
    up: str | None = None
    print_size: Any = None  # printsize.PrintSize
    max_memory: int | None = None  # bytes; None: the machine's available memory; 0: no guard

    def to_dict(self) -> dict:
        """The conditions block of the JSON report: conditions plus the rule selection."""
        d = self.conditions.to_dict()
        d["units"] = self.units
        d["up"] = self.up
        ps = self.print_size
        d["print_size"] = None if ps is None else {"axis": ps.axis, "mm": ps.mm}
        d["rules"] = {"select": list(self.select), "ignore": list(self.ignore),
                      "severity": dict(self.severity)}
        return d


class Resolver:
    """Turns (command-line settings, config files) into per-file FileSettings.

    cli: a layer dict with the LAYER_KEYS the user gave on the command line (None = not given).
    config_path: `--config FILE`; None means discover from each file; isolated ignores configs.
    """

    def __init__(self, cli: dict | None = None, config_path: str | os.PathLike | None = None,
                 isolated: bool = False, cwd: str | os.PathLike | None = None):
        self.cli = _layer({k: v for k, v in (cli or {}).items() if v is not None}, "command line")
        self.isolated = isolated
        self.fixed = None if isolated or config_path is None else load_config(config_path)
        self._configs: dict[Path, Config] = {}
        self._found: dict[Path, Path | None] = {}  # directory -> its nearest config file
        self._memo: dict[tuple, FileSettings] = {}
        self.cwd = Path(os.path.abspath(cwd or os.getcwd()))
        self.base_config = self.config_for(self.cwd / "_")

    def config_for(self, path: str | os.PathLike) -> Config:
        if self.isolated:
            return EMPTY
        if self.fixed is not None:
            return self.fixed
        found = find_config(path, self._found)
        if found is None:
            return EMPTY
        if found not in self._configs:
            self._configs[found] = load_config(found)
        return self._configs[found]

    @property
    def base(self) -> FileSettings:
        """The run's settings: the config found from the working directory plus the CLI."""
        return self._settings(self.base_config, (), ())

    def for_file(self, path: str | os.PathLike) -> FileSettings:
        cfg = self.config_for(path)
        return self._settings(cfg, tuple(cfg.matching_overrides(path)), cfg.file_ignores(path))

    def fail_on(self, cli_value: str | None = None) -> str:
        """--fail-on, else the run's config, else 'error'."""
        return cli_value or self.base_config.fail_on or "error"

    def _settings(self, cfg: Config, overrides: tuple[Override, ...],
                  extra_ignore: tuple[str, ...]) -> FileSettings:
        key = (id(cfg), tuple(id(o) for o in overrides), extra_ignore)
        if key in self._memo:
            return self._memo[key]
        layers = [cfg.layer, *(o.layer for o in overrides), self.cli]
        merged: dict[str, Any] = {}
        select: tuple[str, ...] = ()
        ignore: tuple[str, ...] = ()
        severity: dict[str, str] = {}
        maps: dict[str, list[tuple[str, str]]] = {k: [] for k in MAP_KEYS}
        for i, layer in enumerate(layers):
            is_cli = i == len(layers) - 1
            if any(k in layer for k in SIZE_KEYS):  # a later print size replaces an earlier one
                for k in SIZE_KEYS:
                    merged.pop(k, None)
            for k, v in layer.items():
                if k in CONDITION_KEYS or k in INPUT_KEYS:
                    merged[k] = v
            for k in MAP_KEYS:
                if k in layer:  # later layers' entries first: first match wins
                    later = list(layer[k].items())
                    maps[k] = later + [(p, v) for p, v in maps[k] if p not in layer[k]]
            if "select" in layer:
                select = layer["select"]
            select += layer.get("extend-select", ())
            if "ignore" in layer:
                ignore = ignore + layer["ignore"] if is_cli else layer["ignore"]
            ignore += layer.get("extend-ignore", ())
            severity.update(layer.get("severity", {}))
        ignore += extra_ignore
        for k in MAP_KEYS:
            if maps[k]:
                merged[k] = dict(maps[k])
        kw = _condition_kwargs(merged)
        profile = kw.pop("profile", "tabletop")
        try:
            cond = resolve(profile, materials_extra=cfg.materials or None,
                           subjects_extra=cfg.subjects or None, **kw)
        except ConditionsError as e:  # each layer was valid alone; say which file
            raise ConfigError(f"{cfg.path or 'command line'}: {e}") from None
        fs = FileSettings(cond, _dedupe(select), _dedupe(ignore), tuple(sorted(severity.items())),
                          merged.get("units"), merged.get("max-faces"), merged.get("up"),
                          _print_size(merged, str(cfg.path or "command line")),
                          merged.get("max-memory"))
        self._memo[key] = fs
        return fs


def _dedupe(codes) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def severity_for(code: str, overrides: tuple[tuple[str, str], ...], default: str) -> str:
    """The most specific matching prefix's severity, else the rule's default."""
    best, best_len = default, -1
    for prefix, sev in overrides:
        plen = 0 if prefix == "ALL" else len(prefix)
        if (prefix == "ALL" or code.startswith(prefix)) and plen > best_len:
            best, best_len = sev, plen
    return best


STARTER = '''\
# miniscan configuration (docs/ci.md explains every key).
# miniscan finds this file by walking up from each checked mesh; `--config FILE` overrides
# discovery and command-line options override everything written here.
# Every key is optional: delete what you do not need.
{header}
# Viewing conditions (see `miniscan profiles`): a preset, then any field overridden.
profile = "tabletop"        # tabletop, display, scale-model-1-35, figure-1-6, railway-ho, macro-photo
# scale = "1:56"            # model : real
# distance = "50cm"         # eye to model; mm unless suffixed (cm, m, in)
# finish = "matte"          # matte, satin, gloss, metal
# printer = "resin"         # none, resin, fdm
# paint = "0.04mm"          # primer + paint build-up
# material = "generic"      # generic, skin, cloth, leather, metal, stone, wood, hair
# units = "mm"              # units of files that do not declare them (else guessed: MS903)
# up = "z"                  # the files' up axis: z (3D printing) or y (glTF, many OBJ exports)
# height = "32mm"           # print size: scale every model to this height (or width, length)

# Rules (see `miniscan rules`): ruff-style code prefixes.
# select = ["ALL"]
ignore = []                 # e.g. ["MS9"] to silence mesh-health notes
fail-on = "error"           # exit 1 at or above: error, warning, info, never
# exclude = ["archive/**", "*_backup.stl"]

# [{prefix}severity]           # per-code severity, most specific prefix wins
# MS901 = "error"
# MS2 = "info"

# [{prefix}per-file-ignores]   # glob (relative to this file) = codes
# "scans/**" = ["MS903", "MS905"]

# Per-glob overrides, applied in order to the files they match.
# [[{prefix}overrides]]
# files = ["minis/**/*.stl"]
# profile = "display"
# material = "skin"
# part-material = {{ "cloak*" = "cloth", "blade" = "metal" }}
# part-finish = {{ "blade" = "gloss" }}
#
# [[{prefix}overrides]]
# files = ["terrain/**"]
# scale = "1:87"
# distance = "40cm"
# extend-ignore = ["MS4"]
'''


def starter_config(pyproject: bool = False) -> str:
    """The commented config `miniscan init` writes (valid TOML; tested)."""
    if pyproject:
        return STARTER.format(header="\n[tool.miniscan]", prefix="tool.miniscan.")
    return STARTER.format(header="", prefix="")
