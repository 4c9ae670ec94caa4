"""TEMPORARY: typed picture layers built from the old `CheckResult.artifacts` dicts.

The findings contract (schema 2) has every family return `CheckResult.layers`, a frozen
dataclass whose `face_layers()` gives FaceLayers and whose typed fields carry the silhouette
views and the light orbit. Until each family does, this adapter reads the keys the families
put into `artifacts` today and returns an object of the same shape, so render/ is written
against the contract only. Delete this module (and the one call in layers.family_layers)
once no family fills `artifacts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..findings import FaceLayer, FamilyLayers

# The legacy edge verdict names, as the contract spells them.
EDGE_VERDICTS = ("razor", "soft", "below-print", "ok", "undetermined")
_EDGE_ALIASES = {"too-soft": "soft", "below_print": "below-print"}
# A wavelength means nothing where there is no relief: faces whose rms relief is under this
# share of the paint layer (of the eye's resolvable size when unpainted) get no value.
FLAT_RELIEF_SHARE = 0.1


@dataclass(frozen=True)
class LabelLayer(FaceLayer):
    """A FaceLayer of kind "label" with its category names (values index them)."""

    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class View:
    """One silhouette view, with the fields of the contract's SilhouetteView."""

    name: str
    camera: Any = None
    origin: Any = None
    frame_shape: Any = None
    ref: Any = None
    fine: Any = None
    glance: Any = None
    lost: Any = None
    closed: Any = None
    score: float | None = None
    numbers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Orbit:
    """The light-orbit strip, with the fields of the contract's OrbitStrip."""

    frames: tuple
    masks: tuple = ()
    pixel_mm: float | None = None
    view: str | None = None
    coverage: Any = None
    light_dirs: Any = None


@dataclass(frozen=True)
class Legacy(FamilyLayers):
    faces: tuple[FaceLayer, ...] = ()
    views: tuple[View, ...] = ()
    hero_view: str | None = None
    worst_view: str | None = None
    base_excluded: bool = False
    orbit: Orbit | None = None

    def face_layers(self) -> tuple[FaceLayer, ...]:
        return self.faces


def from_artifacts(result, model, analysis, conditions) -> Legacy | None:
    """The typed layers of a family that still fills `artifacts` (None: nothing usable)."""
    fn = _FAMILIES.get(result.family)
    return fn(result, model, analysis, conditions) if fn else None


def _edges(result, model, analysis, conditions) -> Legacy | None:
    fc = result.artifacts.get("face_chain")
    if fc is None or len(fc) != model.n_faces:
        return None
    fc = np.asarray(fc, dtype=np.int64)
    n_chains = int(fc.max()) + 1 if len(fc) else 0
    # chains missing from the (capped) metrics list are creases without a listed verdict
    lut = np.full(max(n_chains, 1), float(EDGE_VERDICTS.index("undetermined")))
    radius = np.full(max(n_chains, 1), np.nan)
    for ch in (result.metrics or {}).get("chains") or ():
        cid = ch.get("chain")
        if isinstance(cid, int) and 0 <= cid < len(lut):
            v = _EDGE_ALIASES.get(str(ch.get("verdict")), str(ch.get("verdict")))
            lut[cid] = float(EDGE_VERDICTS.index(v)) if v in EDGE_VERDICTS else lut[cid]
            if ch.get("radius_mm") is not None:
                radius[cid] = float(ch["radius_mm"])
    on = fc >= 0
    verdict = np.where(on, lut[np.clip(fc, 0, None)], np.nan)
    face_r = np.where(on, radius[np.clip(fc, 0, None)], np.nan)
    faces = [LabelLayer("edges", verdict, "", "edge verdicts", "label",
                        note="each crease chain coloured by its bevel verdict",
                        categories=EDGE_VERDICTS)]
    if np.isfinite(face_r).any():
        faces.append(FaceLayer("edges-radius", face_r, "mm", "bevel radius", "value",
                               note="measured bevel radius of each crease chain"))
    return Legacy(tuple(faces))


def _texture(result, model, analysis, conditions) -> Legacy | None:
    arts = result.artifacts
    reg, pts = arts.get("region_of_point"), arts.get("points")
    lam, vis = arts.get("region_wavelength_mm"), arts.get("region_visible_energy")
    if reg is None or pts is None or lam is None or not len(pts):
        return None
    from scipy.spatial import cKDTree

    # per face: the region of the nearest sample point (one kd-tree query per face)
    reg = np.asarray(reg, dtype=np.int64)
    _, near = cKDTree(np.asarray(pts)).query(analysis.face_centroids, workers=-1)
    fr = reg[near]
    ok = (fr >= 0) & (fr < len(lam))
    real = np.full(model.n_faces, np.nan)
    real[ok] = np.asarray(lam, dtype=np.float64)[fr[ok]] * conditions.scale_n
    amp = arts.get("region_amplitude_mm")
    if amp is not None and len(amp) == len(lam):
        floor = FLAT_RELIEF_SHARE * (conditions.paint_mm or conditions.resolvable_mm)
        flat = np.zeros(model.n_faces, dtype=bool)
        flat[ok] = np.asarray(amp, dtype=np.float64)[fr[ok]] < floor
        real[flat] = np.nan
    faces = [FaceLayer("texture-wavelength", real, "mm real", "texture wavelength at full size",
                       note=f"dominant detail wavelength × {conditions.scale_n:g}: compare with "
                            "the material's real texture (grey: no relief)")]
    if vis is not None and len(vis) == len(lam):
        rms = np.full(model.n_faces, np.nan)
        rms[ok] = np.sqrt(np.maximum(np.asarray(vis, dtype=np.float64)[fr[ok]], 0.0))
        faces.append(FaceLayer("texture-visible", rms, "mm",
                               "visible texture (rms relief the eye resolves)",
                               note="relief energy that passes mesh, print, paint and eye"))
    return Legacy(tuple(faces))


def _specular(result, model, analysis, conditions) -> Legacy | None:
    arts = result.artifacts
    faces = ()
    fv = arts.get("face_variation")
    if fv is not None and len(fv) == model.n_faces:
        faces = (FaceLayer("specular", np.degrees(np.asarray(fv, dtype=np.float64)), "°",
                           "specular noise (normal variation)",
                           note="band-pass normal variation at the eye's scales"),)
    orbit = None
    if arts.get("orbit_frames"):
        orbit = Orbit(tuple(arts["orbit_frames"]), tuple(arts.get("orbit_masks") or ()),
                      arts.get("orbit_pixel_mm"), arts.get("orbit_view"),
                      arts.get("orbit_coverage"), arts.get("orbit_light_dirs"))
    return Legacy(faces, orbit=orbit)


def _silhouette(result, model, analysis, conditions) -> Legacy | None:
    arts = result.artifacts
    views = tuple(View(**{k: v.get(k) for k in View.__dataclass_fields__ if k in v})
                  for v in arts.get("views") or () if isinstance(v, dict) and "name" in v)
    if not views:
        return None
    return Legacy(views=views, hero_view=arts.get("hero_view"),
                  worst_view=arts.get("worst_view"))


_FAMILIES = {"edges": _edges, "texture": _texture, "specular": _specular,
             "silhouette": _silhouette}
