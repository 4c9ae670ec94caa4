"""Patch cases: a slab whose top face carries a square patch of relief of known wavelength and
amplitude (texture) or of band-limited noise of known normal variation (specular).

The slab's flat sides are graded: fine (a set number of edges per wavelength) over the patch,
coarser away from it, so a patch of sub-millimetre relief costs a few thousand faces. Densities
are edges per wavelength (three levels); the sliver style makes the patch cells three times
longer one way, the long side a quarter wavelength (the relief stays represented).
"""

from __future__ import annotations

import math

import numpy as np

from . import draws, expect, mesh, prims
from .cases import Truth

EDGES_PER_WAVE = {draws.BUDGETS[0]: 6.0, draws.BUDGETS[1]: 8.0, draws.BUDGETS[2]: 11.0,
                  draws.FAST_BUDGETS[0]: 6.0, draws.FAST_BUDGETS[1]: 8.0}
SLIVER_PATCH = 3.0  # sliver style on a patch: cells this many times longer one way...
SLIVER_EDGES = 4.0  # ... the long side still a quarter wavelength
NOISE_WAVES = 10  # plane waves summed into a noise patch (random directions and phases)
NOISE_SPREAD = 0.15  # their wavelengths lie within this share of the nominal one
PATCH_WAVES = 5.0  # a patch spans at least this many wavelengths
CORE_SAMPLES = 7  # truth points per side of the patch core


def _slab(rng, Lp: float, lam: float, epw: float, style: str) -> tuple[prims.Part, dict]:
    """A hard-edged slab, fine over the central Lp x Lp of its top (and bottom) face.

    Hard edges, not fillets: flat faces carry no relief and no normal variation at any
    tessellation, and both families leave designed creases alone, whereas a coarsely
    tessellated fillet is real faceting (it glints) and even a smooth one has curvature kinks
    that a band-pass filter answers to. So the patch is the only thing on the slab.
    """
    half = 0.5 * Lp * rng.uniform(1.6, 2.4)
    t = half * rng.uniform(0.15, 0.3)
    h_fine = lam / epw
    h_coarse = max(half / 6.0, 4.0 * h_fine)
    hx = hy = h_fine
    if style == "sliver":  # long side a quarter wave (the relief stays represented)
        hx, hy = (lam / SLIVER_EDGES, lam / SLIVER_EDGES / SLIVER_PATCH)[::rng.choice([1, -1])]
    m = 2.0 * max(hx, hy)
    fx = mesh.graded(-half, half, -Lp / 2 - m, Lp / 2 + m, hx, h_coarse)
    fy = mesh.graded(-half, half, -Lp / 2 - m, Lp / 2 + m, hy, h_coarse)
    part = prims.rounded_box([half, half, t], 0.0, h_coarse,
                             "irregular" if style == "irregular" else "isotropic", 1, rng,
                             flats=(fx, fy, None))
    return part, {"slab_half": half, "slab_t": t, "h_fine": h_fine,
                  "h_coarse": h_coarse}


def _window(x: np.ndarray, Lp: float, taper: float) -> np.ndarray:
    u, core = np.abs(x), Lp / 2 - taper
    ramp = np.cos(0.5 * np.pi * np.clip((u - core) / taper, 0.0, 1.0)) ** 2
    return np.where(u <= core, 1.0, ramp)


def _displace(part: prims.Part, Lp: float, taper: float, height) -> prims.Part:
    """Move the top face's vertices along their normal by height(x, y) inside the patch."""
    top = part.n[:, 2] > 1.0 - 1e-9
    x, y = part.v[top, 0], part.v[top, 1]
    d = height(x, y) * _window(x, Lp, taper) * _window(y, Lp, taper)
    v = part.v.copy()
    v[top] += part.n[top] * d[:, None]
    return prims.Part(v, part.f, part.n, part.features)


def _core_points(Lp: float, taper: float, z: float) -> np.ndarray:
    s = np.linspace(-(Lp / 2 - taper), Lp / 2 - taper, CORE_SAMPLES)
    X, Y = np.meshgrid(s, s, indexing="ij")
    return np.column_stack([X.ravel(), Y.ravel(), np.full(X.size, z)])


def _patch_size(lam_lo_floor: float, span: float, epw: float) -> float:
    """Smallest wavelength whose patch (at least `span` wide) stays under draws.MAX_FACES."""
    cells = math.sqrt(draws.MAX_FACES / 6.0)  # top and bottom share the fine grid; x2 triangles
    return max(lam_lo_floor, span * epw / cells)


def texture_case(family, index, rng, budget):
    material = str(rng.choice(["generic", "skin", "cloth", "leather", "metal", "stone", "wood"]))
    printer = str(rng.choice(["resin", "resin", "fdm", "none"]))
    kw = draws.conditions(rng, material=material, printer=printer)
    c = draws.resolve(kw)
    epw = EDGES_PER_WAVE[budget]
    span = 1.5 * c.glance_mm  # a patch at least this wide (texture regions need a glance)
    lam_hi = 1.6 * c.glance_mm
    lam = draws.logu(rng, _patch_size(0.04, span, epw), lam_hi)
    a = draws.logu(rng, 0.03, 2.0) * lam / (2 * math.pi)  # shading contrast 2 pi a / lam
    Lp = max(PATCH_WAVES * lam, span)
    style = str(rng.choice(mesh.STYLES))
    part, pp = _slab(rng, Lp, lam, epw, style)
    angle, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
    k = 2 * np.pi / lam * np.array([math.cos(angle), math.sin(angle)])
    part = _displace(part, Lp, lam, lambda x, y: a * np.sin(k[0] * x + k[1] * y + phase))
    seen = expect.square_extent(Lp, lam, angle)  # the taper is lam (_displace above)
    truth = Truth("ripple", _core_points(Lp, lam, pp["slab_t"]), np.array([0, 0, pp["slab_t"]]),
                  Lp / 2 + c.glance_mm, expect.ripple(lam, a, c, material, seen),
                  {"wavelength_mm": lam, "amplitude_mm": a}, True,
                  {"wavelength_mm": lam, "amplitude_mm": a, "patch_mm": Lp})
    params = {"kind": "ripple", "lam": lam, "amp": a, "Lp": Lp, "style": style,
              "edges_per_wave": epw, **pp, **kw}
    return draws.case(family, index, params, part, kw, (truth,), rng)


def _noise_waves(rng, lam: float, theta: float, r: float, band: bool, span: float):
    """NOISE_WAVES plane waves near lam whose band-pass (band=True) or full RMS slope is theta;
    returns the height function, the band-pass RMS normal variation (rad) over a span x span
    square (expect.band_angle: the angle between the unit normals averaged by the eye and by
    the patch) and the waves' amplitude."""
    lams = lam * rng.uniform(1 - NOISE_SPREAD, 1 + NOISE_SPREAD, NOISE_WAVES)
    ang = rng.uniform(0, np.pi, NOISE_WAVES)
    ph = rng.uniform(0, 2 * np.pi, NOISE_WAVES)
    T = np.array([expect.band_transfer(x, r) for x in lams])
    slope = 2 * np.pi / lams
    unit = math.sqrt(float(((slope * (T if band else 1.0)) ** 2).sum() / 2.0))
    b = theta / unit
    kx, ky = slope * np.cos(ang), slope * np.sin(ang)

    def height(x, y):
        return b * np.sin(np.outer(x, kx) + np.outer(y, ky) + ph).sum(axis=1)

    return height, expect.band_angle(np.full(NOISE_WAVES, b), kx, ky, ph, r, span), b


def specular_case(family, index, rng, budget):
    kw = draws.conditions(rng, finishes=("matte", "satin", "gloss", "metal"),
                     weights=(0.3, 0.3, 0.25, 0.15))
    c = draws.resolve(kw)
    r, half_lobe = c.resolvable_mm, 0.5 * c.lobe_rad
    sub = rng.random() < 0.2  # sub-resolution roughness: only widens the lobe (a control)
    epw = EDGES_PER_WAVE[budget] if not sub else 4.0
    lam = r * (rng.uniform(0.4, 0.5) if sub else draws.logu(rng, 2.5, 8.0))
    Lp = max(PATCH_WAVES * lam, 10 * r)
    theta = rng.uniform(0.1, 0.6) if sub else min(0.6, half_lobe * 2.0 ** rng.uniform(-2, 2))
    height, theta_band, b = _noise_waves(rng, lam, theta, r, band=not sub, span=Lp - 2 * lam)
    # sub-resolution noise needs every face it can get: no slivers there
    style = str(rng.choice(mesh.STYLES[:2] if sub else mesh.STYLES))
    part, pp = _slab(rng, Lp, lam, epw, style)
    part = _displace(part, Lp, lam, height)
    # what the facets carry of the drawn band variation (a sliver patch 0.84-0.94 of it)
    theta_mesh = expect.mesh_band_angle(part.v, part.f, r, Lp - 2 * lam)
    truth = Truth("noise", _core_points(Lp, lam, pp["slab_t"]), np.array([0, 0, pp["slab_t"]]),
                  Lp / 2 + 2 * r, expect.noise(theta_band, c, theta_mesh=theta_mesh),
                  {"normal_variation_rad": theta_band}, not sub,
                  {"wavelength_mm": lam, "wave_amplitude_mm": b, "theta_band_rad": theta_band,
                   "theta_mesh_rad": theta_mesh, "half_lobe_rad": half_lobe, "patch_mm": Lp})
    params = {"kind": "noise", "lam": lam, "sub_resolution": bool(sub), "theta_band": theta_band,
              "theta_mesh": theta_mesh, "Lp": Lp, "style": style, "edges_per_wave": epw,
              **pp, **kw}
    return draws.case(family, index, params, part, kw, (truth,), rng)
