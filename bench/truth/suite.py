"""The suite: which cases to run, running them (optionally on a process pool), the per-family
summary, and the tables (plain text for the terminal, Markdown for docs/accuracy.md)."""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from miniscan.pool import THREAD_VARS

from . import inject, shapes
from .expect import TOL
from .score import CaseScore, clean_host_places, run_checks, score

INJECT_SHARE = 0.25  # share of a family's cases injected into corpus meshes (when present)
TARGETS = {"recall": 0.95, "precision": 0.95, "p90": 0.15, "coverage": 0.9, "unsupported": 0}
FAST_CASES = 6  # per family in the test suite's subset (54 small cases: about a minute)
# quantities with an error target (the issue: radius, wavelength, thickness; widths too)
TARGET_KINDS = ("bevel_radius_mm", "wavelength_mm", "thickness_mm", "protrusion_width_mm",
                "gap_width_mm", "stroke_width_mm", "rim_thickness_mm")


@dataclass(frozen=True)
class Task:
    family: str
    index: int
    source: str  # grammar | corpus
    fast: bool = False
    corpus: str | None = None

    @property
    def name(self) -> str:
        return f"{self.family}:{'c' if self.source == 'corpus' else ''}{self.index}"


def tasks(families, n: int, fast: bool = False, corpus: str | None = None,
          offset: int = 0) -> list[Task]:
    """n cases per family: a quarter injected into the corpus when it has hosts. Case i is
    drawn from its own seed, so `offset` starts a slice nobody has looked at (offset 1000: cases
    1000, 1001, ... of the same grammar and injector): the held-out check of a change."""
    hosts = bool(corpus) and bool(inject.corpus_hosts(Path(corpus)))
    out = []
    for fam in families:
        n_inj = round(n * INJECT_SHARE) if (hosts and fam in inject.FAMILIES) else 0
        out += [Task(fam, offset + i, "grammar", fast) for i in range(n - n_inj)]
        out += [Task(fam, offset + i, "corpus", fast, corpus) for i in range(n_inj)]
    return out


def fast_tasks(families, n: int) -> list[Task]:
    """The test suite's subset: n small grammar cases per family, at least half of them with a
    defect when the family has defects (so recall is judged), chosen from the first 4n seeds
    by their truth alone, before anything runs."""
    out = []
    for fam in families:
        cases = [(i, any(t.defect for t in shapes.make_case(fam, i, True).truths))
                 for i in range(4 * n)]
        want = [i for i, d in cases if d][:(n + 1) // 2]
        rest = [i for i, d in cases if i not in want][:n - len(want)]
        out += [Task(fam, i, "grammar", True) for i in sorted(want + rest)]
    return out


def parse_task(text: str, fast: bool = False, corpus: str | None = None) -> Task:
    """'edges:17' (grammar) or 'edges:c3' (corpus) -> Task."""
    fam, _, idx = text.partition(":")
    if fam not in shapes.FAMILIES or not idx:
        raise ValueError(f"a case is FAMILY:INDEX or FAMILY:cINDEX, not {text!r}")
    if idx.startswith("c"):
        return Task(fam, int(idx[1:]), "corpus", fast, corpus)
    return Task(fam, int(idx), "grammar", fast)


def build(task: Task):
    if task.source == "corpus":
        return inject.make_case(task.family, task.index, Path(task.corpus))
    return shapes.make_case(task.family, task.index, task.fast)


_CLEAN: dict = {}


def _clean_places(case):
    """The clean host's own places of the scored codes (run once per host and conditions)."""
    key = (case.host, tuple(sorted(case.conditions.items())), case.run_families)
    if key not in _CLEAN:
        checks = run_checks(case.host_model, case.resolved_conditions(), case.run_families)
        _CLEAN[key] = clean_host_places(checks, case.host_model, case.codes,
                                        case.resolved_conditions().distance_mm)
    return _CLEAN[key]


def evaluate_one(task: Task) -> CaseScore | None:
    t0 = time.perf_counter()
    case = build(task)
    if case is None:
        return None
    checks = run_checks(case.model(), case.resolved_conditions(), case.run_families)
    host = _clean_places(case) if case.host_model is not None else None
    s = score(case, checks, host)
    s.name = task.name
    s.seconds = time.perf_counter() - t0
    return s


def evaluate(todo: list[Task], jobs: int = 1, progress=None) -> list[CaseScore]:
    """Scores in the order of `todo` (cases without a usable host are left out)."""
    out = []
    if jobs <= 1:
        for i, t in enumerate(todo):
            out.append(evaluate_one(t))
            if progress:
                progress(i + 1, len(todo), t)
        return [s for s in out if s is not None]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    for v in THREAD_VARS:  # the processes are the parallelism
        os.environ[v] = "1"
    try:
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
            for i, s in enumerate(ex.map(evaluate_one, todo, chunksize=4)):
                out.append(s)
                if progress:
                    progress(i + 1, len(todo), todo[i])
    finally:
        for v, val in saved.items():
            if val is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = val
    return [s for s in out if s is not None]


# --------------------------------------------------------------------------- summary


def _share(a: int, b: int) -> float | None:
    return a / b if b else None


def summarise(scores: list[CaseScore]) -> dict:
    """Per family: cases, recall, precision, unsupported, undetermined share, FP per case,
    error quantiles per measured quantity, failures and time."""
    out = {}
    for fam in dict.fromkeys(s.family for s in scores):
        ss = [s for s in scores if s.family == fam]
        d = {k: sum(getattr(s, k) for s in ss) for k in
             ("defects", "found", "places", "true_places", "host_places", "unsupported",
              "range_violations", "unplaced")}
        v = {k: sum(s.verdicts.get(k, 0) for s in ss) for k in ("fail", "pass", "undetermined")}
        errs = {}
        for kind in sorted({k for s in ss for k in s.eligible}):
            e = np.array([x for s in ss for x in s.errors.get(kind, [])])
            n_el = sum(s.eligible.get(kind, 0) for s in ss)
            held = [s.held.get(kind, [0, 0, 0]) for s in ss]
            held = [h if len(h) == 3 else [h[0], h[0], h[1]] for h in held]  # (older runs)
            errs[kind] = {"n": int(len(e)), "eligible": int(n_el),
                          "median": float(np.median(e)) if len(e) else None,
                          "p90": float(np.percentile(e, 90)) if len(e) else None,
                          "held": int(sum(h[0] for h in held)),
                          "held_tol": int(sum(h[1] for h in held)),
                          "intervals": int(sum(h[2] for h in held))}
        false = d["places"] - d["true_places"] - d["host_places"]
        out[fam] = {"cases": len(ss), "corpus_cases": sum(":c" in s.name for s in ss),
                    **d, "false_places": false,
                    "recall": _share(d["found"], d["defects"]),
                    "precision": _share(d["true_places"] + d["host_places"], d["places"]),
                    "fp_per_case": false / len(ss),
                    "unsupported_total": d["unsupported"] + d["range_violations"],
                    "undetermined": _share(v["undetermined"], sum(v.values())),
                    "errors": errs, "failed": sum(bool(s.failed) for s in ss),
                    "sources": sorted({x for s in ss for x in s.sources}),
                    "seconds": float(sum(s.seconds for s in ss))}
        out[fam]["meets"] = meets(out[fam])
    return out


def meets(f: dict) -> dict:
    """Which targets a family's summary meets (None: nothing to judge). `coverage`: the share
    of truth items due a measurement (of a targeted quantity) that got one."""
    errs = {k: e for k, e in f["errors"].items() if k in TARGET_KINDS}
    p90 = [e["p90"] for e in errs.values() if e["n"]]
    due = sum(e["eligible"] for e in errs.values())
    got = sum(e["n"] for e in errs.values())
    return {"recall": None if f["recall"] is None else f["recall"] >= TARGETS["recall"],
            "precision": True if f["precision"] is None else f["precision"] >= TARGETS["precision"],
            "error": None if not p90 else max(p90) <= TARGETS["p90"],
            "coverage": None if not due else got / due >= TARGETS["coverage"],
            "unsupported": f["unsupported_total"] == 0}


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.0f} %" if x >= 0.1 or x == 0 else f"{100 * x:.1f} %"


def table(summary: dict, markdown: bool = False) -> str:
    head = ["family", "cases", "recall", "precision", "false/case", "unsupported",
            "undetermined", "error (median / p90, measured of due)"]
    rows = []
    for fam, f in summary.items():
        errs = "; ".join(f"{k.removesuffix('_mm').removesuffix('_rad')} {_pct(e['median'])} / "
                         f"{_pct(e['p90'])} ({e['n']}/{e['eligible']})"
                         for k, e in f["errors"].items()) or "—"
        cases = f"{f['cases']}" + (f" ({f['corpus_cases']} corpus)" if f["corpus_cases"] else "")
        rec = f"{_pct(f['recall'])} ({f['found']}/{f['defects']})"
        prec = f"{_pct(f['precision'])} ({f['true_places'] + f['host_places']}/{f['places']})"
        uns = f"{f['unsupported_total']}" + (f" ({f['range_violations']} by range)"
                                             if f["range_violations"] else "")
        rows.append([fam, cases, rec, prec, f"{f['fp_per_case']:.2f}", uns,
                     _pct(f["undetermined"]), errs])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))] +
                     [fmt.format(*r) for r in rows])


def by_source(scores: list[CaseScore]) -> str:
    """Recall and precision of the grammar's cases and of the corpus injections apart (a
    corpus host with hundreds of its own chains would otherwise outweigh the grammar)."""
    lines = ["by source: recall, precision (grammar | corpus injections)"]
    for fam in dict.fromkeys(s.family for s in scores):
        parts = []
        for corpus in (False, True):
            ss = [s for s in scores if s.family == fam and (":c" in s.name) == corpus]
            if not ss:
                parts.append("—")
                continue
            d, f = sum(s.defects for s in ss), sum(s.found for s in ss)
            p, t = sum(s.places for s in ss), sum(s.true_places + s.host_places for s in ss)
            parts.append(f"{_pct(_share(f, d))} ({f}/{d}), {_pct(_share(t, p))} ({t}/{p})")
        lines.append(f"  {fam:<11} " + "  |  ".join(parts))
    return "\n".join(lines)


def by_noise(scores: list[CaseScore]) -> str:
    """Recall of the grammar's clean cases and of those drawn with vertex noise apart, per
    family that has both: noise is drawn in a quarter of the cases (draws.NOISE_SHARE), and
    a weakness it alone brings is diluted threefold in the family's row. "" when no family
    has both."""
    lines = ["by noise: recall (clean | vertex noise), grammar cases"]
    for fam in dict.fromkeys(s.family for s in scores):
        ss = [s for s in scores if s.family == fam and ":c" not in s.name]
        groups = [[s for s in ss if not (s.params or {}).get("noise_mm")],
                  [s for s in ss if (s.params or {}).get("noise_mm")]]
        if not all(sum(s.defects for s in g) for g in groups):
            continue
        parts = []
        for g in groups:
            d, f = sum(s.defects for s in g), sum(s.found for s in g)
            parts.append(f"{_pct(_share(f, d))} ({f}/{d})")
        lines.append(f"  {fam:<11} " + "  |  ".join(parts))
    return "\n".join(lines) if len(lines) > 1 else ""


def undetermined_by_code(scores: list[CaseScore]) -> str:
    """Per family, each rule code's share of undetermined verdicts and its count: which rule
    a rise in the family's undetermined share comes from."""
    lines = ["undetermined by code: share (undetermined / verdicts)"]
    for fam in dict.fromkeys(s.family for s in scores):
        tot: dict[str, dict] = {}
        for s in scores:
            if s.family == fam:
                for code, v in s.by_code.items():
                    t = tot.setdefault(code, {})
                    for k, n in v.items():
                        t[k] = t.get(k, 0) + n
        parts = [f"{code} {_pct(_share(t.get('undetermined', 0), sum(t.values())))} "
                 f"({t.get('undetermined', 0)}/{sum(t.values())})"
                 for code, t in sorted(tot.items()) if sum(t.values())]
        if parts:
            lines.append(f"  {fam:<11} " + ", ".join(parts))
    return "\n".join(lines)


def held(summary: dict) -> str:
    """Per family and measured quantity, the share of the measurements' intervals (those a
    truth's value was read from) that hold the truth, and that hold it within expect.TOL. An
    interval that misses its truth is a calibration fault whether or not a threshold lies
    between them; one that misses it by more than TOL gives an unsupported verdict wherever a
    threshold falls between them. "" when no family measured an interval."""
    lines = ["intervals holding the truth (of the measurements each truth was read from): "
             f"exactly, and within {round(100 * (TOL - 1))} %"]
    for fam, f in summary.items():
        parts = [f"{k.removesuffix('_mm').removesuffix('_rad')} {_pct(e['held'] / e['intervals'])}, "
                 f"{_pct(e.get('held_tol', e['held']) / e['intervals'])} ({e['intervals']})"
                 for k, e in f["errors"].items() if e.get("intervals")]
        if parts:
            lines.append(f"  {fam:<11} " + "; ".join(parts))
    return "\n".join(lines) if len(lines) > 1 else ""


def targets(summary: dict) -> str:
    """One line per family: which targets it meets (yes / no / - when nothing to judge)."""
    names = ("recall", "precision", "error", "coverage", "unsupported")
    mark = {True: "yes", False: "NO", None: "-"}
    lines = ["targets met: " + ", ".join(names)]
    for fam, f in summary.items():
        lines.append(f"  {fam:<11} " + "  ".join(f"{k} {mark[f['meets'][k]]}" for k in names))
    return "\n".join(lines)


def worst(scores: list[CaseScore], n: int = 10) -> str:
    """The n worst cases: name (to reproduce), what went wrong, how the case was drawn."""
    lines = []
    for s in sorted(scores, key=lambda s: (-s.badness, s.name))[:n]:
        if s.badness <= 0:
            break
        keys = ("kind", "profile", "finish", "material", "printer", "distance", "style",
                "faces", "host")
        brief = {k: s.params[k] for k in keys if k in s.params}
        part_keys = ("kind", "R", "R_top", "radii", "style", "aligned", "n_across", "radial")
        if "parts" in s.params:
            brief["parts"] = [{k: (round(v, 4) if isinstance(v, float) else v)
                               for k, v in p.items() if k in part_keys} for p in s.params["parts"]]
        lines.append(f"{s.name}  badness {s.badness:.1f}  {brief}")
        if s.failed:
            lines.append(f"    failed: {s.failed}")
        notes = list(Counter(s.notes).items())  # the same note on many places: once, counted
        lines += [f"    {note}" + (f"  (x{k})" if k > 1 else "") for note, k in notes[:4]]
        if len(notes) > 4:
            lines.append(f"    ... and {len(notes) - 4} more")
    return "\n".join(lines)


def load_scores(path) -> list[CaseScore]:
    """The case scores of a run saved with --json (to re-print or re-summarise it)."""
    import json

    out = []
    for c in json.loads(Path(path).read_text())["cases"]:
        c = dict(c, sources=set(c.get("sources", ())), by_code=c.get("by_code", {}))
        out.append(CaseScore(**c))
    return out


def jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    return obj
