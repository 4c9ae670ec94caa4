"""Picture layers: per-face values a family wants painted on the model, with unit and colours.

A family appears in the pictures by registering one small function here:

    @register("edges")
    def _edges(ctx: LayerContext) -> Layer | list[Layer] | None: ...

`ctx.result` is that family's CheckResult (None when the family did not run); return None
to draw nothing. No other picture code changes when a family is added.

Families that register nothing still get a layer when their CheckResult carries
`artifacts["face_values"]`: a per-face array, or a dict (or list of dicts) with keys
values (per face), title, unit, cmap, clim, categories ([(label, (r, g, b) 0..1)], values are
then category indices). This is the documented contract (docs/pictures.md); the family layers
below also try the key names the families are likely to use and fall back to painting the
regions of their findings, so every family shows up even before it exports values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from ..findings import CheckResult, Finding
from ..rules import RULES, SEVERITIES


@dataclass(frozen=True)
class Layer:
    family: str
    title: str
    values: np.ndarray  # per face; nan = no data (grey); category index when categories
    unit: str = ""
    cmap: str = "viridis"
    clim: tuple[float, float] | None = None
    categories: tuple[tuple[str, tuple[float, float, float]], ...] | None = None
    note: str = ""
    key: str = ""  # file-name part; defaults to the family

    @property
    def name(self) -> str:
        return self.key or self.family

    def limits(self) -> tuple[float, float]:
        if self.clim is not None:
            return (float(self.clim[0]), float(self.clim[1]))
        v = self.values[np.isfinite(self.values)]
        if v.size == 0:
            return (0.0, 1.0)
        lo, hi = (float(x) for x in np.percentile(v, [2.0, 98.0]))
        if hi <= lo:
            hi = lo + (abs(lo) * 0.1 or 1.0)
        return (lo, hi)

    def colors(self, index: np.ndarray | None = None) -> np.ndarray:
        """(n_faces, 3) uint8 RGB (or only for the faces in `index`); nan faces grey."""
        from .scene import NAN_COLOR

        vals = np.asarray(self.values, dtype=np.float64)
        if index is not None:
            vals = vals[index]
        finite = np.isfinite(vals)
        if self.categories is not None:
            pal = np.array([c for _, c in self.categories], dtype=np.float64)
            idx = np.where(finite, vals, 0).astype(np.int64).clip(0, len(pal) - 1)
            rgb = pal[idx]
        else:
            from matplotlib import colormaps

            lo, hi = self.limits()
            t = np.clip((np.where(finite, vals, lo) - lo) / (hi - lo), 0.0, 1.0)
            lut = colormaps[self.cmap](np.linspace(0.0, 1.0, 256))[:, :3]
            rgb = lut[np.round(t * 255).astype(np.int64)]
        rgb = np.where(finite[:, None], rgb, np.asarray(NAN_COLOR)[None, :])
        return (rgb * 255).round().astype(np.uint8)


@dataclass
class LayerContext:
    model: Any
    conditions: Any
    analysis: Any
    result: CheckResult | None
    results: tuple[CheckResult, ...] = ()
    numbered: list = field(default_factory=list)  # [(number, family, Finding)]

    @property
    def n_faces(self) -> int:
        return self.model.n_faces


LayerFn = Callable[[LayerContext], "Layer | list[Layer] | None"]
_REGISTRY: dict[str, LayerFn] = {}


def register(family: str) -> Callable[[LayerFn], LayerFn]:
    def deco(fn: LayerFn) -> LayerFn:
        _REGISTRY[family] = fn
        return fn

    return deco


def registered() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def layers_for(model, conditions, results: Iterable[CheckResult], analysis,
               only: Iterable[str] | None = None, numbered=None) -> list[Layer]:
    """Every layer the registered functions (and artifacts["face_values"]) produce, in order:
    health, findings, then the families in report order. A layer function that fails is
    skipped (a picture must never take the run down)."""
    results = tuple(results)
    by_family = {r.family: r for r in results}
    order = ["health", "findings"] + [r.family for r in results if r.family != "health"]
    order += list(_REGISTRY)
    order = list(dict.fromkeys(order))
    only = set(only) if only else None
    out: list[Layer] = []
    for fam in order:
        if only is not None and fam not in only:
            continue
        res = by_family.get(fam)
        ctx = LayerContext(model, conditions, analysis, res, results, list(numbered or []))
        fn = _REGISTRY.get(fam)
        got = None
        try:
            if fn is not None:
                got = fn(ctx)
            elif res is not None:
                got = artifact_layers(ctx, fam)
        except Exception:  # noqa: BLE001 - a broken layer must not stop the pictures
            got = None
        if got is None:
            continue
        for layer in (got if isinstance(got, list) else [got]):
            if layer is not None and len(layer.values) == model.n_faces:
                out.append(layer)
    return out


# ---------------------------------------------------------------- helpers for layer fns
def _as_face_array(x, n: int) -> np.ndarray | None:
    if x is None or isinstance(x, (str, bytes, dict)):
        return None
    try:
        a = np.asarray(x)
    except Exception:
        return None
    if a.ndim == 1 and len(a) == n and a.dtype.kind in "biuf":
        return a.astype(np.float64)
    return None


def artifact_layers(ctx: LayerContext, family: str, title: str | None = None,
                    unit: str = "", cmap: str = "viridis", names: Iterable[str] = ()) -> list[Layer] | None:
    """Layers from artifacts["face_values"] or from the first of `names` found in
    artifacts/metrics holding a per-face array (or a dict with 'values')."""
    res = ctx.result
    if res is None:
        return None
    n = ctx.n_faces
    out = []
    fv = res.artifacts.get("face_values") if res.artifacts else None
    specs = fv if isinstance(fv, list) else [fv] if fv is not None else []
    for i, spec in enumerate(specs):
        if isinstance(spec, dict):
            vals = _as_face_array(spec.get("values"), n)
            if vals is None:
                continue
            cats = spec.get("categories")
            out.append(Layer(family, spec.get("title") or title or f"{family} values", vals,
                             spec.get("unit", unit), spec.get("cmap", cmap),
                             tuple(spec["clim"]) if spec.get("clim") is not None else None,
                             tuple((str(l), tuple(c)) for l, c in cats) if cats else None,
                             spec.get("note", ""), key=f"{family}-{i}" if i else family))
        else:
            vals = _as_face_array(spec, n)
            if vals is not None:
                out.append(Layer(family, title or f"{family} values", vals, unit, cmap))
    if out:
        return out
    for src in (res.artifacts or {}, res.metrics or {}):
        for name in names:
            v = src.get(name)
            if isinstance(v, dict):
                v = v.get("values")
            vals = _as_face_array(v, n)
            if vals is not None:
                return [Layer(family, title or name.replace("_", " "), vals, unit, cmap)]
    return None


def face_tree(analysis):
    from scipy.spatial import cKDTree

    return analysis.cached("render:face_centroid_tree", lambda a: cKDTree(a.face_centroids))


def finding_point(f: Finding, analysis) -> np.ndarray | None:
    """Where a finding is, in model mm: its centroid, else the mean of its faces."""
    loc = f.location
    if loc.centroid_mm is not None and all(math.isfinite(x) for x in loc.centroid_mm):
        return np.asarray(loc.centroid_mm, dtype=np.float64)
    if loc.faces:
        ids = np.asarray([i for i in loc.faces if 0 <= i < analysis.model.n_faces], dtype=np.int64)
        if len(ids):
            return analysis.face_centroids[ids].mean(axis=0)
    return None


def finding_faces(f: Finding, analysis, radius: float | None = None) -> np.ndarray:
    """Faces that show a finding's region: its listed faces plus faces within `radius`
    (default 2.5% of the bounding-box diagonal) of its location."""
    n = analysis.model.n_faces
    ids = [i for i in f.location.faces if 0 <= i < n]
    p = finding_point(f, analysis)
    if p is not None:
        r = radius if radius is not None else max(0.025 * analysis.bbox_diag_mm,
                                                  2.0 * analysis.mean_edge_mm)
        tree = face_tree(analysis)
        ids += tree.query_ball_point(p, r)
        ids.append(int(tree.query(p)[1]))
    return np.unique(np.asarray(ids, dtype=np.int64))


def findings_layer(ctx: LayerContext, family: str, title: str,
                   codes: dict[str, tuple[str, tuple[float, float, float]]],
                   note: str = "") -> Layer | None:
    """Categorical layer painting each finding's region with its code's colour."""
    res = ctx.result
    if res is None or not res.findings:
        return None
    order = list(codes)
    vals = np.full(ctx.n_faces, np.nan)
    used = False
    # paint in code order so later (usually more severe) codes stay visible
    for f in sorted(res.findings, key=lambda f: order.index(f.code) if f.code in order else -1):
        if f.code not in codes:
            continue
        faces = finding_faces(f, ctx.analysis)
        if len(faces):
            vals[faces] = 1 + order.index(f.code)
            used = True
    if not used:
        return None
    cats = (("no finding", (0.85, 0.85, 0.85)),) + tuple(codes[c] for c in order)
    vals = np.where(np.isfinite(vals), vals, 0.0)
    return Layer(family, title, vals, categories=cats,
                 note=note or "regions around each finding's location")


def _code_colors(codes: Iterable[str], palette) -> dict:
    return {c: (f"{c} {RULES[c].name}", palette[i % len(palette)]) for i, c in enumerate(codes)}


_PAL = ((0.85, 0.15, 0.15), (0.95, 0.55, 0.05), (0.20, 0.45, 0.85), (0.55, 0.25, 0.70),
        (0.10, 0.60, 0.35), (0.60, 0.40, 0.20))


# ---------------------------------------------------------------- the layers
@register("health")
def _health(ctx: LayerContext) -> Layer | None:
    a = ctx.analysis
    n = ctx.n_faces
    vals = np.zeros(n)
    # integer edge keys shared with the health check (no trimesh, no row-wise unique)
    if hasattr(a, "face_edges") and hasattr(a, "edge_face_count"):
        per_face_edge = a.edge_face_count[a.face_edges]  # (m, 3)
    else:  # older Analysis
        f = ctx.model.faces
        e = np.sort(np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], 1).reshape(-1, 2), 1)
        _, inv, cnt = np.unique(e[:, 0] * np.int64(ctx.model.n_vertices) + e[:, 1],
                                return_inverse=True, return_counts=True)
        per_face_edge = cnt[inv.ravel()].reshape(-1, 3)
    small_body = np.zeros(n, dtype=bool)
    if a.n_bodies > 1:
        sizes = np.bincount(a.body_labels, weights=a.face_areas)
        small_body = sizes[a.body_labels] < 0.01 * sizes.max()
    vals[small_body] = 4
    vals[(per_face_edge == 1).any(axis=1)] = 1
    vals[(per_face_edge > 2).any(axis=1)] = 2
    vals[a.degenerate] = 3
    cats = (("sound", (0.80, 0.80, 0.78)), ("open edge (hole)", (0.85, 0.15, 0.15)),
            ("non-manifold edge", (0.55, 0.25, 0.70)), ("degenerate face", (0.95, 0.55, 0.05)),
            ("tiny separate body", (0.20, 0.45, 0.85)))
    present = set(np.unique(vals).astype(int).tolist())
    note = "faces touching a defect" if present - {0} else "no mesh defects found"
    return Layer("health", "mesh health", vals, categories=cats, note=note)


@register("findings")
def _findings(ctx: LayerContext) -> Layer | None:
    """Every located finding of every family, coloured by severity."""
    fs = [f for _, _, f in ctx.numbered] if ctx.numbered else \
        [f for r in ctx.results for f in r.findings]
    vals = np.zeros(ctx.n_faces)
    any_ = False
    for f in sorted(fs, key=lambda f: SEVERITIES.index(f.severity)):
        faces = finding_faces(f, ctx.analysis)
        if len(faces):
            vals[faces] = np.maximum(vals[faces], 1 + SEVERITIES.index(f.severity))
            any_ = True
    if not any_:
        return None
    cats = (("no finding", (0.85, 0.85, 0.85)), ("info", (0.16, 0.43, 0.78)),
            ("warning", (0.92, 0.55, 0.0)), ("error", (0.78, 0.12, 0.16)))
    return Layer("findings", "all findings by severity", vals, categories=cats,
                 note="regions around each finding, worst severity wins")


@register("texture")
def _texture(ctx: LayerContext):
    got = artifact_layers(ctx, "texture", "texture detail visibility", "× eye threshold",
                          "magma", ("visibility", "face_visibility", "detail_visibility"))
    if got:
        return got
    res = ctx.result
    arts = (res.artifacts or {}) if res is not None else {}
    reg, pts = arts.get("region_of_point"), arts.get("points")
    lam, vis = arts.get("region_wavelength_mm"), arts.get("region_visible_energy")
    if reg is not None and pts is not None and lam is not None and len(pts):
        # per face: the region of the nearest sample point (one kd-tree query per face)
        from scipy.spatial import cKDTree

        reg = np.asarray(reg, dtype=np.int64)
        _, near = cKDTree(np.asarray(pts)).query(ctx.analysis.face_centroids, workers=-1)
        fr = reg[near]
        ok = (fr >= 0) & (fr < len(lam))
        out = []
        real = np.full(ctx.n_faces, np.nan)
        real[ok] = np.asarray(lam, dtype=np.float64)[fr[ok]] * ctx.conditions.scale_n
        amp_r = arts.get("region_amplitude_mm")
        if amp_r is not None and len(amp_r) == len(lam):
            # a wavelength means nothing where there is no relief: grey out regions whose
            # rms relief is under a tenth of the paint layer (or of the eye's size, unpainted)
            floor = 0.1 * (ctx.conditions.paint_mm or ctx.conditions.resolvable_mm)
            flat = np.zeros(ctx.n_faces, dtype=bool)
            flat[ok] = np.asarray(amp_r, dtype=np.float64)[fr[ok]] < floor
            real[flat] = np.nan
        out.append(Layer("texture", "texture wavelength at full size", real, "mm real",
                         "viridis", key="texture-wavelength",
                         note=f"dominant detail wavelength × {ctx.conditions.scale_n:g}: "
                              "compare with the material's real texture (grey: no relief)"))
        if vis is not None and len(vis) == len(lam):
            amp = np.full(ctx.n_faces, np.nan)
            amp[ok] = np.sqrt(np.maximum(np.asarray(vis, dtype=np.float64)[fr[ok]], 0.0))
            out.append(Layer("texture", "visible texture (rms relief the eye resolves)", amp,
                             "mm", "magma", key="texture-visible",
                             note="relief energy that passes mesh, print, paint and eye"))
        return out
    return findings_layer(ctx, "texture", "texture findings",
                          _code_colors(("MS102", "MS103", "MS104", "MS101", "MS105",
                                        "MS106"), _PAL[::-1]))


_EDGE_CATS = (("no crease", (0.85, 0.85, 0.85)), ("razor (snaps)", (0.85, 0.15, 0.15)),
              ("ok", (0.15, 0.65, 0.30)), ("soft (toy-like)", (0.20, 0.45, 0.85)),
              ("below print", (0.95, 0.55, 0.05)))
_EDGE_NAMES = {"razor": 1, "ms201": 1, "ok": 2, "good": 2, "soft": 3, "ms202": 3,
               "below-print": 4, "below_print": 4, "ms203": 4}


@register("edges")
def _edges(ctx: LayerContext):
    res = ctx.result
    if res is None:
        return None
    n = ctx.n_faces
    got = artifact_layers(ctx, "edges")
    if got:
        return got
    arts = res.artifacts or {}
    # per-face verdict strings/ints
    for key in ("face_verdict", "face_verdicts", "verdicts"):
        v = arts.get(key)
        if v is not None and len(v) == n:
            a = np.asarray(v)
            if a.dtype.kind in "US O":
                vals = np.array([_EDGE_NAMES.get(str(s).lower(), 0) for s in np.unique(a)])
                u, inv = np.unique(a, return_inverse=True)
                return Layer("edges", "edge verdicts", vals[inv.ravel()].astype(float),
                             categories=_EDGE_CATS)
            return Layer("edges", "edge verdicts", a.astype(float), categories=_EDGE_CATS)
    # face_chain (per-face chain id) + metrics["chains"] [{"chain": id, "verdict": ...}]
    fc = arts.get("face_chain")
    chains_m = (res.metrics or {}).get("chains")
    if fc is not None and len(fc) == n and isinstance(chains_m, list):
        fc = np.asarray(fc, dtype=np.int64)
        lut = np.full(max(int(fc.max()) + 1, 1), 5.0)  # a crease whose verdict is not listed
        for ch in chains_m:
            cid = ch.get("chain") if isinstance(ch, dict) else None
            if isinstance(cid, int) and 0 <= cid < len(lut):
                lut[cid] = _EDGE_NAMES.get(str(ch.get("verdict", "ok")).lower(), 2)
        vals = np.where(fc >= 0, lut[np.clip(fc, 0, None)], 0.0)
        if (vals > 0).any():
            return Layer("edges", "edge verdicts", vals,
                         categories=_EDGE_CATS + (("crease (not listed)", (0.6, 0.75, 0.6)),),
                         note="each crease chain coloured by its bevel verdict")
    # chains: [{"faces": [...], "verdict": "razor"|"ok"|"soft", ...}]
    chains = arts.get("chains")
    if isinstance(chains, (list, tuple)) and chains and isinstance(chains[0], dict):
        vals = np.zeros(n)
        for ch in chains:
            faces = np.asarray(ch.get("faces", ()), dtype=np.int64)
            verdict = str(ch.get("verdict", ch.get("code", "ok"))).lower()
            faces = faces[(faces >= 0) & (faces < n)]
            vals[faces] = _EDGE_NAMES.get(verdict, 2)
        if (vals > 0).any():
            return Layer("edges", "edge verdicts", vals, categories=_EDGE_CATS)
    lay = findings_layer(ctx, "edges", "edge verdicts (finding regions)",
                         {"MS202": _EDGE_CATS[3], "MS203": _EDGE_CATS[4], "MS201": _EDGE_CATS[1]})
    return lay


@register("specular")
def _specular(ctx: LayerContext):
    got = artifact_layers(ctx, "specular", "specular noise (normal variation)", "rad", "inferno",
                          ("normal_variation", "face_variation", "face_noise", "noise"))
    return got or findings_layer(ctx, "specular", "specular findings",
                                 _code_colors(("MS303", "MS302", "MS301"), _PAL))


@register("silhouette")
def _silhouette(ctx: LayerContext):
    return artifact_layers(ctx, "silhouette") or findings_layer(
        ctx, "silhouette", "silhouette findings",
        {"MS401": ("MS401 protrusion lost", (0.85, 0.15, 0.15)),
         "MS402": ("MS402 gap closes", (0.95, 0.55, 0.05))})


@register("scale")
def _scale(ctx: LayerContext):
    got = artifact_layers(ctx, "scale", "wall thickness", "mm", "viridis",
                          ("thickness", "face_thickness", "thickness_mm", "face_thickness_mm"))
    return got or findings_layer(ctx, "scale", "scale findings",
                                 _code_colors(("MS501", "MS502"), _PAL))
