"""Texture scale and the detail budget (MS100-MS106).

"If this were life-size, how big would this texture be, and will anyone see it from here?"
The detail spectrum (analysis/detail/) gives, per surface region, how much relief the model
carries in each wavelength band, and the same spectrum under the measurement's own uncertainty.
Each region's texture components (wavelength, amplitude, depth, each with its interval) pass
four low-pass filters (DESIGN.md section 2): the mesh, the printer, the paint and the eye. A
finding is issued only where the whole interval lies on the wrong side of a rule's threshold
(the evidence rule); the undecided ones are counted and said once (MS100).
docs/texture.md has the formulas and the reasoning behind every threshold.

Modules (each imports only those listed before it): common (the rules, the tuned constants, the
tri-state logic, how numbers are written), physics (the four filters and the eye), facets (the
faceting's sagitta), measure (each region's components and their intervals), union (readings
over agreeing regions, fading margins), remnant (the upper ends of a reading its region cannot
bound, docs/texture.md s.7.40), verdicts (each rule's tri-state verdict), findings (flagged
regions, their words and ranges), budget (the measurements, the budget's metrics, the picture
layers), and this package's run.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ...analysis import detail
from ...evidence import Evidence
from ...findings import CheckResult
from .budget import _budget, _measurements, TextureLayers
from .common import (
    _F, _fmt, _NAMES, _P, _U, CODES, CONC_SALT, FAMILY, RULE, SHADOW_RATIO, STAGES,
    STEEP_READING,
    t_and, t_not, t_or, tri)
from .facets import facet_sagitta
from .findings import _Context, _findings
from .measure import (amplitude_floor, Components, envelope_upper, measure, peak_amplitude,
                      peak_cells, plateau_upper, steep_spectra)
from .remnant import open_upper_ends, split_upper_ends
from .physics import cumulative, eye_visibility, ramp, stage_factors, visibility_range
from .union import carrier_envelope, fading_margins, union_peak, union_reading
from .verdicts import judge, REASONS, Verdicts

__all__ = ["CODES", "Components", "cumulative", "eye_visibility", "facet_sagitta", "FAMILY",
           "judge", "measure", "ramp", "REASONS", "RULE", "run", "stage_factors", "STAGES",
           "t_and", "t_not", "t_or", "TextureLayers", "tri", "Verdicts", "visibility_range"]


# --------------------------------------------------------------------------- the check


def run(model, conditions, analysis) -> CheckResult:
    c = conditions
    if model.n_faces == 0 or analysis.total_area <= 0:
        return CheckResult(FAMILY, "not-run", "the model has no surface to measure")
    sp = detail.spectrum(analysis)
    reg = analysis.cached("detail_regions", lambda a: detail.regions(sp))
    rs = analysis.cached("detail_region_spectra",
                         lambda a: detail.region_spectra(sp, reg, detail.draws(sp, detail.BOOT_SALT)))
    R = len(reg.count)
    # the region's mesh and facet sizes per unit of its surface (points are denser where faces
    # are smaller, so a plain mean over them would under-state the facets its relief comes from)
    pa = sp.point_area_mm2 if sp.point_area_mm2 is not None else np.ones(len(reg.label))
    wsum = np.bincount(reg.label, weights=pa, minlength=R)
    with np.errstate(invalid="ignore", divide="ignore"):  # a region of degenerate faces only
        # has no surface: NaN sizes, and no texture is judged there (Components.valid)
        edge_r = np.bincount(reg.label, weights=pa * sp.point_edge_mm, minlength=R) / wsum
        facet_r = np.bincount(reg.label, weights=pa * sp.point_facet_mm, minlength=R) / wsum
    sagitta = facet_sagitta(sp, reg, facet_r)
    rows = detail.row_spacing(analysis.face_areas, sp, reg.label, pa, R)
    reg_part = _majority(reg.label, model.face_part()[sp.faces], R, len(model.part_names))
    mat = np.array([c.material_for(name) for name in model.part_names])
    reg_mat = mat[reg_part]
    hi_real = np.array([_texture_hi(c, m) for m in mat])[reg_part]  # NaN: no band (generic)
    texture_band = sp.wavelengths_mm <= 2.0 * c.glance_mm  # narrower than a glance footprint
    # regions without texture carry NaN and zero widths: they are masked (Components.valid),
    # so the arithmetic on them may overflow or divide by zero without consequence
    with np.errstate(all="ignore"):
        resolution = analysis.cached("detail_resolution",
                                     lambda a: detail.ladder_resolution(sp, rs))
        crng = detail.draws(sp, CONC_SALT)
        comp, terms = measure(sp, reg, rs, c, texture_band, edge_r, facet_r, resolution, sagitta,
                              crng, rows, terms=True)
        if STEEP_READING and comp.valid[0].any():
            # read again with the steep relief's loss at each candidate's own slope, on the
            # regions that judged a texture (docs/texture.md s.7.15)
            rs = steep_spectra(rs, comp.valid[0])
            crng = detail.draws(sp, CONC_SALT)
            comp, terms = measure(sp, reg, rs, c, texture_band, edge_r, facet_r, resolution,
                                  sagitta, crng, rows, terms=True)
        # the first component's wavelength read again over touching regions that agree
        comp, wspan = union_reading(sp, reg, comp, terms, (c, texture_band, edge_r, facet_r,
                                                           resolution, crng, rows, facet_sagitta),
                                    window=True, envelope=(analysis, 2.0 * c.glance_mm))
        # a wave's value read at its relief spectrum's peak, inside the fit's interval (s.7.19)
        read, env, floor, wave = peak_cells(analysis, sp, reg, comp, 2.0 * c.glance_mm)
        # and over each union of agreeing regions, whose wider window narrows the cell (s.7.20)
        read, lam_u = union_peak(analysis, sp, reg, read, terms, 2.0 * c.glance_mm, carrier=True)
        # where it did, the envelope is demodulated at the union's finer reading (s.7.32)
        env = carrier_envelope(analysis, sp, reg, env, lam_u, wave)
        # the amplitude's upper end read at the plateau of every wavelength its interval (now
        # the union's, where one narrowed it) allows, up to the span of the window that read it;
        # the depth's, and the mean squares' bound on it, across the peak's cell (s.7.24)
        comp = plateau_upper(sp, rs, comp, terms, comp.lam_hi[0], wspan,
                             cell=(read.lam_lo[0], read.lam_hi[0]))
        # the amplitude is the plateau of the wavelength reported, not of the fit's (s.7.44)
        comp = peak_amplitude(sp, rs, comp, read.lam[0], terms)
        comp = replace(comp, lam=read.lam, lam_lo=read.lam_lo, lam_hi=read.lam_hi)
        # the upper ends cover the largest amplitude the peak's wave reaches (s.7.21)
        comp = envelope_upper(comp, env, terms.kap_hi)
        # and the lower ends the sinusoid the peak fits, less the other relief's share there
        comp = amplitude_floor(comp, floor)
        # a margin where a deeper wave fades is judged with the wave, not on its fade alone,
        # the neighbours compared on their final intervals (the floor above sharpens the
        # deeper one's lower end: s.7.41)
        comp = fading_margins(sp, reg, comp, terms)
        # a region that cannot resolve the relief coarser than its reading does not bound it
        # (s.7.40); the verdicts that opens are said as such, the others by their own reason
        own = judge(comp, c, hi_real[None, :], c.scale_n)
        comp = open_upper_ends(sp, rs, comp, terms)
        # and one read beside a stronger coarser reading it is not told from, to that (s.7.45)
        comp = split_upper_ends(comp)
        verdicts = judge(comp, c, hi_real[None, :], c.scale_n)
        opened = {code: (verdicts[code].state == _U) & (own[code].state != _U) for code in CODES}
    ev = _evidence(verdicts, comp, c, edge_r, opened)
    ctx = _Context(sp, reg, comp, c, reg_part, reg_mat, hi_real, model.part_names)
    findings = [f for code in CODES for f in _findings(code, verdicts[code], ctx)]
    findings += list(ev.findings("texture verdicts"))
    metrics = _budget(sp, reg, rs, c, texture_band, edge_r, comp)
    metrics["verdicts"] = ev.metrics()
    res_l, res_a = analysis.cached("detail_resolution", lambda a: detail.ladder_resolution(sp, rs))
    metrics["resolution"] = {"wavelength_log": [float(x) for x in res_l],
                             "amplitude_log": [float(x) for x in res_a]}
    layers = TextureLayers(sp, reg, comp, verdicts, c, model.n_faces, model)
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings), layers=layers,
                       measurements=_measurements(ctx, verdicts))


def _majority(label: np.ndarray, part: np.ndarray, nreg: int, nparts: int) -> np.ndarray:
    if nparts == 1:
        return np.zeros(nreg, int)
    cnt = np.bincount(label * nparts + part, minlength=nreg * nparts).reshape(nreg, nparts)
    return np.argmax(cnt, axis=1)


def _texture_hi(conditions, material: str) -> float:
    band = conditions.material_props(material).get("texture_mm")
    return float(band[1]) if band else math.nan


def _settle(reason: str, c) -> str:
    """Why verdicts of one reason stayed open and what would settle them (read after
    "N because ...")."""
    pr, p = c.printer, c.paint_mm
    return {
        "print": f"the relief is within its own uncertainty of what the {pr.name} printer holds "
                 f"({_fmt(pr.lateral_cutoff_mm)} mm wide, {_fmt(pr.layer_mm)} mm deep): at risk, "
                 f"a test print decides",
        "paint": f"the recesses are within their uncertainty of what {_fmt(p)} mm of primer and "
                 f"paint fill: at risk, thin the paint or deepen them",
        "eye": f"the relief is within its uncertainty of the eye's threshold at "
               f"{_fmt(c.distance_mm)} mm",
        "material": "the material is 'generic', which has no real texture size: name it "
                    "(--material or --part-material skin, cloth, leather, metal, stone, wood, "
                    "hair)",
        "size": "its real size is within its uncertainty of the material's largest texture",
        "shadow": f"its depth:width is within its uncertainty of {SHADOW_RATIO:.2f}",
        "clutter": "its details per glance are within their uncertainty of what the eye "
                   "separates",
        "mesh": "the relief spans only a few edges of this mesh: export finer (edges under an "
                "eighth of its wavelength) to decide",
        "coarse": "their regions cannot resolve the relief coarser than what they read (a "
                  "small or strongly curved part, edges within reach, or a stronger coarser "
                  "reading not told from it), which may be the same texture: judge it on a "
                  "larger, flatter stretch of it",
    }[reason]


def _evidence(verdicts: dict, comp: Components, c, edge_r, opened: dict) -> Evidence:
    """Count every valid component's verdicts per rule; say why the open ones stayed open."""
    ev = Evidence(FAMILY)
    near_mesh = comp.band <= 2  # the component's bands reach the ladder's finest (aliased) ones
    for code in CODES:
        v = verdicts[code]
        for state, name in _NAMES.items():
            n = int(((v.state == state) & comp.valid).sum())
            if n:
                ev.count(RULE[code], name, n)
        und = (v.state == _U) & comp.valid
        # a verdict the remnant's upper ends opened (remnant.py) is said for that, not for
        # the threshold it would have been decided against
        coarse = und & opened[code]
        if coarse.any():
            ev.unsure("coarse", _settle("coarse", c), int(coarse.sum()))
        und &= ~coarse
        for i, key in enumerate(REASONS):
            sel = und & (v.reason == i)
            mesh = sel & near_mesh & (key not in ("material",))
            for k, m in (("mesh", mesh), (key, sel & ~mesh)):
                if m.any():
                    ev.unsure(k, _settle(k, c), int(m.sum()))
    return ev
