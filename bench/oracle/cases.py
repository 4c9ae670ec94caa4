"""Seeded oracle cases and the two verdicts on each: FLIP's and miniscan's."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from miniscan.conditions import resolve
from miniscan.vision import relief_visibility

from . import oracle as o

DISTANCES_MM = (250.0, 500.0, 800.0)  # display, tabletop, across a large table
FINISHES = ("satin", "gloss", "metal")  # finishes whose lobe the noise can break up
SEED = 12


@dataclass(frozen=True)
class Case:
    """kind "ripple": size_mm = wavelength, height_mm = semi-amplitude (finish matte);
    kind "noise": size_mm = correlation length, height_mm = RMS slope in rad."""
    kind: str
    size_mm: float
    height_mm: float
    distance_mm: float
    finish: str = "matte"
    seed: int = 0

    @property
    def name(self) -> str:
        unit = "rad" if self.kind == "noise" else "mm"
        return (f"{self.kind} {self.size_mm:.3g}mm x {self.height_mm:.3g}{unit} "
                f"@{self.distance_mm:.0f} {self.finish}")


def conditions(case: Case):
    """The oracle renders the sculpt itself: no printer, no paint, default 1' eye."""
    return resolve("tabletop", distance=case.distance_mm, printer="none", paint="none",
                   finish=case.finish)


def draw(n: int, seed: int = SEED) -> list[Case]:
    """n cases alternating ripple / noise, spanning clearly visible to clearly invisible:
    ripple periods 1-40 arcmin and slope contrasts 1e-4-0.3 (miniscan's threshold is 0.4 %
    at its CSF peak); noise correlation 0.3-6 resolvable sizes and RMS slopes 0.1-20 deg."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        d = float(rng.choice(DISTANCES_MM))
        r = d * math.tan(math.radians(1 / 60))
        if i % 2 == 0:
            lam = r * float(np.exp(rng.uniform(math.log(1.0), math.log(40.0))))
            contrast = float(np.exp(rng.uniform(math.log(1e-4), math.log(0.3))))
            out.append(Case("ripple", lam, contrast * lam / (2 * math.pi), d, seed=i))
        else:
            corr = r * float(np.exp(rng.uniform(math.log(0.3), math.log(6.0))))
            slope = math.radians(float(np.exp(rng.uniform(math.log(0.1), math.log(20.0)))))
            out.append(Case("noise", corr, slope, d, str(rng.choice(FINISHES)), seed=i))
    return out


def plate(case: Case) -> o.Plate:
    if case.kind == "ripple":
        return o.ripple_plate(case.size_mm, case.height_mm)
    return o.noise_plate(case.size_mm, case.height_mm, case.seed)


def lights(case: Case, lobe: float | None) -> list[np.ndarray]:
    """Ripple: the key light 45 deg up at three azimuths. Noise: lights that put the flat
    plate's half vector 0, lobe/2 and lobe off the normal, i.e. the plate in its highlight."""
    if case.kind == "ripple":
        return [o.direction(o.KEY_ELEVATION_DEG, a) for a in o.KEY_AZIMUTHS_DEG]
    return [o.direction(90.0 - math.degrees(2 * t), 0.0) for t in (0.0, lobe / 2, lobe)]


@dataclass(frozen=True)
class OracleReading:
    mean: float  # mean FLIP over the detail's core, worst light
    high: float  # PERCENTILE of FLIP over the core, worst light
    threshold: float  # FLIP of one JND at the plate's grey
    visible: bool
    tone_dl: float  # Delta L* of the core's mean radiance, detail vs flat (worst light): a
    # detail too fine to resolve can still shift the patch's tone (a deep micro-ripple darkens)


def oracle_verdict(case: Case, p: o.Plate | None = None) -> OracleReading:
    p = plate(case) if p is None else p
    c = conditions(case)
    lobe = None if case.kind == "ripple" else c.lobe_rad
    size = 2 * float(np.abs(p.v[:, 0]).max())
    eye = o.eye_grid(case.distance_mm, c.acuity_arcmin, size)
    n_det, n_flat = o.sample_normals(p.v, p.f, eye), o.sample_normals(p.flat, p.f, eye)
    ax = (np.arange(eye.n) + 0.5 - eye.n / 2) * eye.pixel_mm
    core = np.hypot(*np.meshgrid(ax, ax)) <= max(p.core_mm, eye.pixel_mm)
    best = (0.0, 0.0, 1.0, 0.0)
    for light in lights(case, lobe):
        ref, test = o.shade(n_flat, light, lobe), o.shade(n_det, light, lobe)
        err = o.flip_map(ref, test, eye.ppd)[core]
        thr = o.flip_jnd(float(ref[eye.n // 2, eye.n // 2, 0]), eye.ppd)
        hi = float(np.percentile(err, o.PERCENTILE))
        tone = o.lstar(float(test[core, 0].mean())) - o.lstar(float(ref[core, 0].mean()))
        if hi / thr > best[1] / best[2]:
            best = (float(err.mean()), hi, thr, tone)
    return OracleReading(*best[:3], best[1] > best[2], best[3])


@dataclass(frozen=True)
class MiniscanReading:
    verdict: str  # "visible" | "invisible" | "undetermined" | "unjudged" (no region judged)
    counts: dict
    predicted: float  # ripple: vision.relief_visibility of the true relief (>= 1 visible);
    # noise: the RMS normal tilt (sqrt 2 x the per-axis slope) over the finish's phi/2
    # (MS301's threshold; MS301 reads only the tilt's r ... 4r band of it)
    says: str  # what the user is told: ripple "invisible" iff an MS102 finding is issued
    # (silence is no claim of invisibility); noise "visible" iff MS301 is issued


RULE = {"ripple": ("texture", "MS102"), "noise": ("specular", "MS301")}


def miniscan_verdict(case: Case, p: o.Plate | None = None) -> MiniscanReading:
    """The real pipeline (one Analysis, the family's check) on the detailed plate. MS102 fail
    = invisible, pass = visible; MS301 fail = sparkle visible, pass = not. The case's verdict
    is the decided regions' majority (ties and all-open: undetermined)."""
    from miniscan.analysis import Analysis
    from miniscan.checks import specular, texture
    from miniscan.model import from_arrays

    p = plate(case) if p is None else p
    family, code = RULE[case.kind]
    m = from_arrays(p.v, p.f)
    check = texture if family == "texture" else specular
    res = check.run(m, conditions(case), Analysis(m))
    counts = dict(res.metrics.get("verdicts", {}).get(code, {}))
    fail, ok = counts.get("fail", 0), counts.get("pass", 0)
    seen_if_fail = case.kind == "noise"
    if not any(counts.values()):
        v = "unjudged"
    elif fail == ok:
        v = "undetermined"
    else:
        v = "visible" if (fail > ok) == seen_if_fail else "invisible"
    if case.kind == "ripple":
        pred = relief_visibility(case.height_mm, case.size_mm, case.distance_mm)
        says = "invisible" if fail else "visible"
    else:
        pred = math.sqrt(2.0) * case.height_mm / (conditions(case).lobe_rad / 2)
        says = "visible" if fail else "invisible"
    return MiniscanReading(v, counts, pred, says)
