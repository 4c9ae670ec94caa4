"""What else the check returns: its measurements, the detail budget's metrics and the picture
layers (TextureLayers)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ...analysis import detail
from ...evidence import FAIL, PASS, UNDETERMINED
from ...findings import FaceLayer, FamilyLayers, Measurement
from .common import _F, _gini, _num, _percentiles, _U, CODES, CROWDING_ARCMIN, STAGES
from .physics import cumulative, eye_visibility, stage_factors
from .measure import Components, detail_bands
from .findings import _Context


# --------------------------------------------------------------------------- what else it returns


def _measurements(ctx: _Context, verdicts: dict) -> tuple[Measurement, ...]:
    """Every judged component's wavelength, amplitude and depth with its interval, tagged with
    the first rule it failed (else the first it could not decide, else none: it passed)."""
    comp, reg = ctx.comp, ctx.reg
    states = np.stack([verdicts[code].state for code in CODES])  # (codes, C, R)
    fail, und = states == _F, states == _U
    first_f, first_u = np.argmax(fail, axis=0), np.argmax(und, axis=0)
    multi = len(ctx.part_names) > 1
    out = []
    for ci, r in zip(*np.nonzero(comp.valid)):  # judged components (hundreds), not faces
        if fail[:, ci, r].any():
            code, v = CODES[first_f[ci, r]], FAIL
        elif und[:, ci, r].any():
            code, v = CODES[first_u[ci, r]], UNDETERMINED
        else:
            code, v = None, PASS
        cen = tuple(float(x) for x in reg.centroid[r])
        part = ctx.part_names[ctx.reg_part[r]] if multi else None
        for kind, x, lo, hi in (("wavelength_mm", comp.lam, comp.lam_lo, comp.lam_hi),
                                ("amplitude_mm", comp.amp, comp.amp_lo, comp.amp_hi),
                                ("depth_mm", comp.depth, comp.depth_lo, comp.depth_hi)):
            out.append(Measurement(kind, float(x[ci, r]), float(lo[ci, r]), float(hi[ci, r]),
                                   cen, part, code, v))
    return tuple(out)


def _budget(sp, reg, rs, c, texture_band, edge_r, comp) -> dict:
    """The detail budget (DESIGN.md section 2): per band, the share of relief that survives
    mesh, print, paint and eye (cumulative), and the summary shares. The dominant wavelength
    and amplitude are the area-weighted medians of the regions' main texture components (the
    band estimate when no region has texture)."""
    lams = sp.wavelengths_mm
    J = len(lams)
    E = rs.energy
    area = reg.area
    total = float(area.sum())
    amp = np.sqrt(2.0 * E)
    cum = cumulative(stage_factors(amp, lams[None, :], c, edge_r[:, None]))
    Ew = E * area[:, None]
    band_tot = Ew.sum(axis=0)
    surv = {s: np.divide((Ew * cum[s]).sum(axis=0), band_tot, out=np.zeros(J), where=band_tot > 0)
            for s in STAGES}
    mean_E = band_tot / total
    glob_lam, glob_amp = detail.component(mean_E, lams, int(np.argmax(mean_E)))
    reg_lam = np.where(comp.valid[0], comp.lam[0], np.nan)
    reg_amp = np.where(comp.valid[0], comp.amp[0], np.nan)
    if comp.valid[0].any():
        glob_lam = _percentiles(reg_lam, area)["p50"]
        glob_amp = _percentiles(reg_amp, area)["p50"]
    has = E.sum(axis=1) > 0
    area_share = np.bincount(np.argmax(E, axis=1)[has], weights=area[has], minlength=J) / total
    base = float((Ew * cum["mesh"]).sum())

    def share_of(s):
        return float((Ew * cum[s]).sum() / base) if base > 0 else 0.0

    lost, prev = {}, 1.0
    for s in STAGES[1:]:
        cur = share_of(s)
        lost[s], prev = max(prev - cur, 0.0), cur
    tex_E = np.where(texture_band[None, :] & detail_bands(lams, E), E, 0.0)
    visible = share_of("eye")
    return {
        "bands": [{"wavelength_mm": float(lams[j]), "amplitude_mm": float(math.sqrt(2 * mean_E[j])),
                   "area_share": float(area_share[j]),
                   "survives": {s: float(surv[s][j]) for s in STAGES}} for j in range(J)],
        "dominant_wavelength_mm": _num(glob_lam), "dominant_amplitude_mm": _num(glob_amp),
        "rms_detail_mm": float(math.sqrt(mean_E.sum())),
        "visible_detail_share": visible, "wasted_detail_share": 1.0 - visible if base > 0 else 0.0,
        "lost_share": lost,
        "below_mesh_share": 1.0 - base / float(Ew.sum()) if Ew.sum() > 0 else 0.0,
        "focal_concentration": _gini((tex_E * cum["eye"]).sum(axis=1), area),
        "details_per_glance_capacity": (c.glance_arcmin / CROWDING_ARCMIN) ** 2,
        "region_size_mm": reg.size_mm, "regions": int(len(reg.count)),
        "region_dominant_wavelength_mm": _percentiles(reg_lam, area),
        "region_amplitude_mm": _percentiles(reg_amp, area),
        "query_points": int(len(sp.points)), "mean_edge_mm": sp.median_edge_mm,
        "cutoffs_mm": {"mesh_wavelength": 2.0 * sp.median_edge_mm,
                       "print_width": c.printer.lateral_cutoff_mm,
                       "print_depth": c.printer.layer_mm, "paint_depth": c.paint_mm,
                       "eye_wavelength": 2.0 * c.resolvable_mm,
                       "texture_max_wavelength": 2.0 * c.glance_mm},
    }


@dataclass(frozen=True, eq=False)
class TextureLayers(FamilyLayers):
    """Per-face measured values for the pictures (computed on first use: each face takes the
    region of the nearest query point)."""

    sp: object
    reg: object
    comp: Components
    verdicts: dict
    conditions: object
    n_faces: int
    model: object

    @cached_property
    def _face_region(self) -> np.ndarray:
        from scipy.spatial import cKDTree

        tree = cKDTree(self.sp.points)
        v, f = self.model.vertices, self.model.faces
        out = np.empty(len(f), np.int64)
        step = 1 << 20
        for i in range(0, len(f), step):  # blocks of a million faces bound the temporaries
            out[i:i + step] = tree.query(v[f[i:i + step]].mean(axis=1), workers=-1)[1]
        return self.reg.label[out]

    def _per_face(self, per_region: np.ndarray) -> np.ndarray:
        return np.asarray(per_region, float)[self._face_region]

    @cached_property
    def face_wavelength_mm(self) -> np.ndarray:
        return self._per_face(np.where(self.comp.valid[0], self.comp.lam[0], np.nan))

    @cached_property
    def face_amplitude_mm(self) -> np.ndarray:
        return self._per_face(np.where(self.comp.valid[0], self.comp.amp[0], np.nan))

    @cached_property
    def face_depth_mm(self) -> np.ndarray:
        return self._per_face(np.where(self.comp.valid[0], self.comp.depth[0], np.nan))

    @cached_property
    def face_visibility(self) -> np.ndarray:
        c, comp = self.conditions, self.comp
        vis = eye_visibility(comp.depth[0] / 2.0, comp.lam[0], c)
        return self._per_face(np.where(comp.valid[0], vis, np.nan))

    @cached_property
    def face_code(self) -> np.ndarray:
        """The first texture code a face's region fails ("" none)."""
        codes = np.full(len(self.reg.count), "", dtype=object)
        for code in reversed(CODES):
            v = self.verdicts[code]
            bad = ((v.state == _F) & self.comp.valid).any(axis=0)
            codes[bad] = code
        return codes[self._face_region]

    def face_layers(self) -> tuple[FaceLayer, ...]:
        N = self.conditions.scale_n
        code_idx = np.array([CODES.index(x) + 1 if x else np.nan for x in CODES + ("",)])
        lookup = {x: code_idx[i] for i, x in enumerate(CODES + ("",))}
        return (FaceLayer("texture-wavelength", self.face_wavelength_mm * N, "mm real",
                          "texture wavelength at full size", note="dominant texture wavelength "
                          f"x {N:g}: compare with the material's real texture (grey: no texture)"),
                FaceLayer("texture-depth", self.face_depth_mm, "mm", "texture depth"),
                FaceLayer("texture-visible", self.face_visibility, "x eye threshold",
                          "texture visibility", note="weighted contrast c x S(f); 1 = just visible"),
                FaceLayer("texture-codes", np.array([lookup[x] for x in self.face_code], float),
                          "", "texture finding", kind="label"))
