"""Content cache: a file's check results keyed by what determines them.

key = sha256(file bytes) + resolved viewing conditions + units + max faces + up axis + the
      families run + the tool version + a fingerprint of miniscan's own source files (so
      editing a check in a development checkout never serves stale results) + the environment
      the result depends on (`environment`: the numeric libraries' versions, and whether
      off-screen GL works when a family that rasterises runs).

What is cached: a file's raw results (before rule selection and severity overrides), only when
every family ran (`ok`): a `not-run` or `error` family depends on the machine or on chance, so
such a result is recomputed every time. Rule selection, severities and baselines are applied
after the cache, so changing `--select` or `--ignore` re-uses cached geometry work. Picture
layers and measurements (in memory only) are not cached; docs/pictures.md says how pictures of
cached files are drawn.

Layout: `<cache dir>/v1/<key[:2]>/<key>.json`, written atomically; a CACHEDIR.TAG and a
`.gitignore` of `*` keep backup tools and git away. Also here: FileResult / Report from their
JSON dicts (the inverse of findings.*.to_dict), used by the cache, baselines and `merge`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from ._version import __version__
from .findings import CheckResult, FileResult, Finding, Location, MeshInfo, Place, Report
from .printsize import PrintScale

# 2: findings carry measured_range, count and places (schema 2); 3: environment in the key and
# no not-run results (a v2 cache may hold a silhouette `not-run` from a machine without GL)
FORMAT = 3
DEFAULT_DIR = ".miniscan_cache"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by miniscan.\n")


# --------------------------------------------------------------------------- (de)serialising


def location_from_dict(d: dict | None) -> Location:
    d = d or {}
    c = d.get("centroid_mm")
    return Location(None if c is None else tuple(float(x) for x in c), d.get("part"),
                    d.get("region"), tuple(int(x) for x in d.get("faces") or ()), d.get("view"))


def _range(r) -> tuple[float, float] | None:
    return None if r is None else (float(r[0]), float(r[1]))


def _holds(r) -> tuple[float, float] | None:
    """holds_mm from JSON, where a missing upper end (null: JSON has no infinity) is inf."""
    if r is None:
        return None
    return (0.0 if r[0] is None else float(r[0]), math.inf if r[1] is None else float(r[1]))


def place_from_dict(d: dict) -> Place:
    return Place(location_from_dict(d), d.get("measured"), _range(d.get("measured_range")))


def finding_from_dict(d: dict) -> Finding:
    places = tuple(place_from_dict(p) for p in d.get("places") or ())
    count = int(d.get("count", 1))
    return Finding(d["code"], d["message"], d.get("measured"), _range(d.get("measured_range")),
                   d.get("threshold"), d.get("unit"), location_from_dict(d.get("location")),
                   d.get("advice") or "", count, places if count > 1 else (),
                   _holds(d.get("holds_mm")), d.get("severity") or "")


def check_from_dict(d: dict) -> CheckResult:
    return CheckResult(d["family"], d.get("status", "ok"), d.get("reason"), d.get("metrics") or {},
                       tuple(finding_from_dict(f) for f in d.get("findings") or ()))


def mesh_from_dict(d: dict | None) -> MeshInfo | None:
    if d is None:
        return None
    return MeshInfo(d["format"], d["faces"], d["vertices"], d["bodies"], d["units"],
                    d["units_guessed"], tuple(d["bbox_mm"]), d["watertight"], d["mean_edge_mm"],
                    tuple(d.get("parts") or ()), d.get("source", "mesh"),
                    PrintScale.from_dict(d.get("print_size")))


def file_result_from_dict(d: dict, timings: dict | None = None) -> FileResult:
    return FileResult(d["path"], d["status"], d.get("error"), mesh_from_dict(d.get("mesh")),
                      tuple(check_from_dict(c) for c in d.get("checks") or ()),
                      d.get("conditions"), dict(timings or {}))


def report_from_dict(d: dict) -> Report:
    tool = d.get("tool") or {}
    files = tuple(file_result_from_dict(f) for f in d.get("files") or ())
    return Report(tool.get("version", "?"), d.get("conditions") or {}, files,
                  d.get("timings") or {})


def _jsonable(o: Any):
    """json.dumps default=: numpy scalars and arrays to plain Python."""
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


# --------------------------------------------------------------------------- keys


def file_digest(path: str | os.PathLike, chunk: int = 1 << 20) -> str | None:
    """sha256 of the file's bytes (an OBJ's with the names, sizes and modification times of the
    material libraries and textures it refers to); None when it is not a regular file inside
    its folder, is larger than any file miniscan reads, or cannot be read (then nothing is
    cached and the loader reports why). Reads no more than the size the file had when opened,
    so a FIFO, a device or a growing file cannot hang it.
    """
    from .loading.errors import LoadError
    from .loading.files import open_regular
    from .loading.limits import MAX_FILE_BYTES

    name = os.fspath(path)
    try:
        fd, size = open_regular(name, name)
    except LoadError:
        return None
    h = hashlib.sha256()
    try:
        if size > MAX_FILE_BYTES:
            return None
        left = size
        while left > 0:
            block = os.read(fd, min(chunk, left))
            if not block:
                break
            h.update(block)
            left -= len(block)
        if name.lower().endswith(".obj"):  # its colour reads the materials beside it
            from .loading.objtex import references_state

            h.update(references_state(name, fd, size).encode("utf-8", "surrogateescape"))
    except OSError:
        return None
    finally:
        os.close(fd)
    return h.hexdigest()


_CODE_FP: str | None = None


def code_fingerprint() -> str:
    """Hash of the contents of miniscan's own source and data files (~1 ms): editing a check
    in a development checkout invalidates the cache; touching a file does not."""
    global _CODE_FP
    if _CODE_FP is None:
        root = Path(__file__).resolve().parent
        h = hashlib.sha256(__version__.encode())
        for p in sorted(root.rglob("*")):
            if p.suffix in (".py", ".toml", ".json") and "__pycache__" not in p.parts:
                h.update(p.relative_to(root).as_posix().encode() + b"\0")
                h.update(hashlib.sha256(p.read_bytes()).digest())
        _CODE_FP = h.hexdigest()[:16]
    return _CODE_FP


# Libraries whose numerics a result depends on (a new version may move a measurement).
LIBRARIES = ("numpy", "scipy", "trimesh", "open3d-cpu", "vtk", "networkx", "finufft")


def library_versions() -> dict[str, str | None]:
    """Installed versions of LIBRARIES, from their metadata (no import: ~1 ms)."""
    from importlib import metadata

    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment(families: tuple[str, ...]) -> dict:
    """The facts outside the file and the options that these families' results depend on.

    No family needs OpenGL any more (silhouettes and the light orbit are ray cast), so the
    library versions are all; a family that grows such a dependency adds it here.
    """
    return {"libraries": library_versions()}


def result_key(digest: str, conditions: dict, families: tuple[str, ...], units: str | None,
               max_faces: int, up: str | None = None, env: dict | None = None,
               print_size=None) -> str:
    """The cache key of one file's raw (unfiltered) results; `env` from `environment`;
    `print_size` a printsize.PrintSize (the model is scaled before anything is measured)."""
    size = None if print_size is None else [print_size.axis, print_size.mm]
    blob = json.dumps({"format": FORMAT, "version": __version__, "code": code_fingerprint(),
                       "file": digest, "conditions": conditions, "families": list(families),
                       "units": units, "max_faces": max_faces, "up": up, "env": env,
                       "print_size": size},
                      sort_keys=True, default=_jsonable, allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def cacheable(result: FileResult) -> bool:
    """Only a result whose every family ran: `not-run` depends on the machine (no GL) and
    `error` may be transient; neither may be served to a later run."""
    return result.status == "ok" and all(c.status == "ok" for c in result.checks)


# --------------------------------------------------------------------------- the store


class Cache:
    """A directory of cached FileResults. Thread/process safe through atomic renames."""

    def __init__(self, directory: str | os.PathLike = DEFAULT_DIR):
        self.dir = Path(directory)
        self.hits = 0
        self.misses = 0
        self.writes = 0

    def _path(self, key: str) -> Path:
        return self.dir / f"v{FORMAT}" / key[:2] / f"{key}.json"

    def get(self, key: str, path: str) -> FileResult | None:
        """The cached result for `key`, relabelled with this run's `path`; None on a miss."""
        try:
            d = json.loads(self._path(key).read_text(encoding="utf-8"))
            fr = file_result_from_dict({**d["result"], "path": path})
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return fr

    def put(self, key: str, result: FileResult) -> None:
        """Store a raw result, unless it is not `cacheable`."""
        if not cacheable(result):
            return
        d = result.to_dict()
        d.pop("conditions", None)
        text = json.dumps({"key": key, "result": d}, default=_jsonable, allow_nan=True)
        try:
            self._ensure_dir()
            from .files import atomic_write

            p = self._path(key)
            p.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(p, text)
            self.writes += 1
        except OSError:
            pass  # a read-only checkout still gets its results, just not cached

    def _ensure_dir(self) -> None:
        if (self.dir / "CACHEDIR.TAG").exists():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "CACHEDIR.TAG").write_text(_TAG)
        (self.dir / ".gitignore").write_text("# created by miniscan\n*\n")

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "writes": self.writes}
