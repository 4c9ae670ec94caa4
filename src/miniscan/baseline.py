"""Baselines: adopt miniscan on a repository with known findings, and fail only on new ones.

A baseline is a stored JSON report (`miniscan check --baseline B --write-baseline ...`). A
finding of the current run is *known* when the baseline holds a finding of the same file and
code whose location is within the tolerance; each baseline finding absorbs at most one current
finding (nearest first), so a second defect of the same kind in the same file is still new.

Location tolerance: centroids within max(TOL_MIN_MM, TOL_FRACTION x the mesh's bounding-box
diagonal) of each other; findings without a centroid match on their view (or on nothing else).
Paths are compared after normalisation ('./a/b.stl' == 'a/b.stl', '\\' == '/').
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace

from .findings import FileResult, Report

TOL_FRACTION = 0.02
TOL_MIN_MM = 0.25


class BaselineError(ValueError):
    pass


def norm_path(path: str) -> str:
    return os.path.normpath(str(path)).replace("\\", "/")


def load_baseline(path: str | os.PathLike) -> dict[str, list[dict]]:
    """file -> its baseline findings (each a finding dict as in the JSON report)."""
    try:
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline not found (create it with --write-baseline)") from None
    except (OSError, ValueError) as e:
        raise BaselineError(f"{path}: cannot read baseline: {e}") from None
    if not isinstance(d, dict) or not isinstance(d.get("files"), list):
        raise BaselineError(f"{path}: not a miniscan JSON report")
    out: dict[str, list[dict]] = {}
    for fr in d["files"]:
        fs = [f for c in fr.get("checks") or () for f in c.get("findings") or ()]
        out.setdefault(norm_path(fr["path"]), []).extend(fs)
    return out


def _tolerance(fr: FileResult) -> float:
    if fr.mesh is None:
        return TOL_MIN_MM
    diag = math.sqrt(sum(float(x) ** 2 for x in fr.mesh.bbox_mm))
    return max(TOL_MIN_MM, TOL_FRACTION * diag)


def _distance(f, b: dict) -> float:
    c, bc = f.location.centroid_mm, (b.get("location") or {}).get("centroid_mm")
    if c is None or bc is None:
        if c is None and bc is None:
            return 0.0 if f.location.view == (b.get("location") or {}).get("view") else math.inf
        return math.inf
    return math.dist(c, bc)


def apply_baseline(report: Report, baseline: dict[str, list[dict]]) -> tuple[Report, int]:
    """The report without the findings the baseline knows, and how many were dropped."""
    dropped = 0
    files = []
    for fr in report.files:
        known = baseline.get(norm_path(fr.path))
        if fr.status != "ok" or not known:
            files.append(fr)
            continue
        tol = _tolerance(fr)
        pool = {i: b for i, b in enumerate(known)}
        # all candidate pairs, nearest first: a greedy one-to-one matching
        cur = [(ci, k, f) for ci, c in enumerate(fr.checks) for k, f in enumerate(c.findings)]
        pairs = sorted((_distance(f, b), ci, k, i) for ci, k, f in cur for i, b in pool.items()
                       if b.get("code") == f.code)
        matched: set[tuple[int, int]] = set()
        for dist, ci, k, i in pairs:
            if dist > tol:
                break
            if i in pool and (ci, k) not in matched:
                del pool[i]
                matched.add((ci, k))
        if not matched:
            files.append(fr)
            continue
        checks = tuple(
            replace(c, findings=tuple(f for k, f in enumerate(c.findings) if (ci, k) not in matched))
            for ci, c in enumerate(fr.checks))
        dropped += len(matched)
        files.append(replace(fr, checks=checks))
    return replace(report, files=tuple(files)), dropped
