"""The shape grammar: one seeded case generator per family, every case with its truth.

`make_case(family, index)` draws everything from the seed (SUITE_SEED, family, index): viewing
conditions (profile, finish, material, printer), primitives and their sizes, triangulation
style (isotropic / irregular / sliver, aligned with the fillets or not), density (a face budget:
three levels), a random rigid motion and optional surface noise. Sizes are drawn around the
thresholds of the conditions (R_min, the print and paint cutoffs, the glance, the minimum wall)
so that every family sees fails, passes and near-threshold cases.

Families: edges (filleted boxes, revolved bases and rings, fillets swept along wavy paths, hard
edges, smooth distractors), texture (ripple patches), specular (band-limited noise patches),
silhouette (thin rods on a body, gaps of a fork), thickness (fins, cups, plates, flanges),
organic (smooth blobs and displaced spheres, at miniature and at life size: no edge, no sparkle,
no thin part anywhere), and the craft families of crafts.py: lines (engraved and embossed
strokes), colour (painted plates) and translucency (thin fins of organic materials).
"""

from __future__ import annotations

import math

import numpy as np

from . import draws, expect, mesh, prims
from .cases import ALLOW, PASS, Case, Truth
from .profiles import filleted

# the suite's constants live in draws.py; shapes is where the suite and tests find them
from .draws import (BUDGETS, CODES, FAMILIES, FAST_BUDGETS, MAX_FACES,  # noqa: F401
                    RUN_FAMILIES, SUITE_SEED)


def case_rng(family: str, index: int):
    return np.random.default_rng([draws.SUITE_SEED, draws.FAMILIES.index(family), index])


def make_case(family: str, index: int, fast: bool = False) -> Case:
    rng = case_rng(family, index)
    budget = int(rng.choice(draws.FAST_BUDGETS if fast else draws.BUDGETS))
    return generators()[family](family, index, rng, budget)



# --------------------------------------------------------------------------- edges


def _radius(rng, r_min: float) -> float:
    return 0.0 if rng.random() < draws.SHARP_SHARE else r_min * 2.0 ** rng.uniform(-3.5, 3.0)


def _edge_box(rng, budget, tri, r_min):
    R = _radius(rng, r_min)
    L = draws.logu(rng, max(3.0, 18 * R), max(30.0, 20 * R))
    ext = 0.5 * L * rng.uniform(0.35, 1.0, 3)
    ext[rng.integers(3)] = 0.5 * L
    a = ext - R
    h = draws.h_for(8 * (ext[0] * ext[1] + ext[1] * ext[2] + ext[0] * ext[2]), budget)
    radial = not tri["aligned"]
    part = prims.rounded_box(a, R, h, tri["style"], tri["n_across"] or
                             max(1, round(R * math.pi / 2 / h)), rng, radial=radial)
    return part, {"kind": "box", "R": R, "half": [float(x) for x in a], "h": h,
                  "radial": radial}


def _revolve_grid(rng, tri, rho: float, area: float, budget: int):
    """Sections around and profile spacing: square cells, or slivers either way."""
    h = draws.h_for(area, budget)
    if tri["style"] == "sliver":
        k = math.sqrt(rng.uniform(*mesh.SLIVER_ASPECT))
        if rng.random() < 0.5:  # many sections (a 720-step CAD revolve), coarse profile
            return max(8, round(2 * math.pi * rho * k / h)), h * k
        return max(8, round(2 * math.pi * rho / (h * k))), h / k
    return max(8, round(2 * math.pi * rho / h)), h


def _edge_base(rng, budget, tri, r_min):
    """A round miniature base: sloped side, bevelled top rim, bottom rim often hard."""
    R_top = _radius(rng, r_min)
    R_bot = 0.0 if rng.random() < 0.4 else _radius(rng, r_min)
    # flanks of at least draws.FLANK_ROOM radii: the rims are edges, not a rounded form
    H = max(draws.logu(rng, 1.0, 8.0), draws.FLANK_ROOM * (R_top + R_bot))
    rho = max(draws.logu(rng, 5.0, 30.0), H / 0.3, draws.FLANK_ROOM * R_top + H * math.tan(math.radians(20)))
    slope = math.radians(rng.uniform(0.0, 20.0))
    prof = filleted([(0, 0), (rho, 0), (rho - H * math.tan(slope), H), (0, H)],
                    [0, R_bot, R_top, 0], closed=False)
    n_sec, hp = _revolve_grid(rng, tri, rho, 2 * math.pi * rho * (rho + H), budget)
    part = prims.revolve(prof, n_sec, hp, tri["style"], rng, tri["aligned"], tri["n_across"])
    return part, {"kind": "base", "rho": rho, "H": H, "slope_deg": math.degrees(slope),
                  "R_top": R_top, "R_bottom": R_bot, "sections": n_sec, "h": hp}


def _edge_ring(rng, budget, tri, r_min):
    # corners at one height share a radius: a loop's centroid (on the axis) cannot tell them apart
    bottom, top = _radius(rng, r_min), _radius(rng, r_min)
    room = draws.FLANK_ROOM * (bottom + top)
    w = max(draws.logu(rng, 1.0, 8.0), room)
    H = max(w * rng.uniform(0.4, 1.5), room)
    rho2 = max(draws.logu(rng, 4.0, 20.0), w / 0.5)
    radii = [bottom, bottom, top, top]
    prof = filleted([(rho2 - w, 0), (rho2, 0), (rho2, H), (rho2 - w, H)], radii, closed=True)
    n_sec, hp = _revolve_grid(rng, tri, rho2, 2 * math.pi * (rho2 - w / 2) * 2 * (w + H), budget)
    part = prims.revolve(prof, n_sec, hp, tri["style"], rng, tri["aligned"], tri["n_across"])
    return part, {"kind": "ring", "rho": rho2, "w": w, "H": H, "radii": radii,
                  "sections": n_sec, "h": hp}


def _path_ok(rho0, eps, lobes, half_w) -> bool:
    """The swept profile never folds: path curvature x half width < 0.5 everywhere."""
    t = np.linspace(0, 2 * np.pi, 2000)
    r = rho0 * (1 + eps * np.cos(lobes * t))
    d1 = -rho0 * eps * lobes * np.sin(lobes * t)
    d2 = -rho0 * eps * lobes ** 2 * np.cos(lobes * t)
    k = np.abs(r * r + 2 * d1 * d1 - r * d2) / (r * r + d1 * d1) ** 1.5
    return bool(k.max() * half_w < 0.5)


def _edge_sweep(rng, budget, tri, r_min):
    """A rounded-rectangle profile swept along a wavy closed path: fillets along curves."""
    bottom, top = _radius(rng, r_min), _radius(rng, r_min)
    room = draws.FLANK_ROOM * (bottom + top)
    w = max(draws.logu(rng, 1.0, 5.0), room)
    H = max(w * rng.uniform(0.4, 1.2), room)
    rho0 = max(draws.logu(rng, 6.0, 20.0), w / 0.25)
    eps, lobes = rng.uniform(0.05, 0.25), int(rng.integers(2, 7))
    while not _path_ok(rho0, eps, lobes, w / 2):
        eps *= 0.5
    radii = [bottom, bottom, top, top]
    prof = filleted([(-w / 2, -H / 2), (w / 2, -H / 2), (w / 2, H / 2), (-w / 2, H / 2)],
                    radii, closed=True)
    n_along, hp = _revolve_grid(rng, tri, rho0, 2 * math.pi * rho0 * 2 * (w + H), budget)
    part = prims.sweep(prof, rho0, eps, lobes, n_along, hp, tri["style"], rng, tri["aligned"],
                       tri["n_across"])
    return part, {"kind": "sweep", "rho0": rho0, "eps": eps, "lobes": lobes, "w": w, "H": H,
                  "radii": radii, "along": n_along, "h": hp}


def _smooth_prim(rng, budget, size):
    """A sphere, capsule or torus: smooth everywhere (no edge)."""
    kind = str(rng.choice(["sphere", "capsule", "torus"]))
    s = size / 2
    tri = draws.triangulation(rng)
    if kind == "torus":
        prof = filleted([(-s / 3, -s / 3), (s / 3, -s / 3), (s / 3, s / 3), (-s / 3, s / 3)],
                        [s / 3] * 4, closed=True)
        n, hp = _revolve_grid(rng, tri, s, 4 * math.pi ** 2 * s * s / 3, budget)
        part = prims.sweep(prof, s, 0.0, 1, n, hp, tri["style"], rng, True, None)
    else:
        ln = s * rng.uniform(0.5, 1.5) if kind == "capsule" else 0.0
        r = s * 0.6 if kind == "capsule" else s
        prof = filleted([(0, -ln - r), (r, -ln - r), (r, ln + r), (0, ln + r)], [0, r, r, 0],
                        closed=False)
        n, hp = _revolve_grid(rng, tri, r, 4 * math.pi * r * (r + ln), budget)
        part = prims.revolve(prof, n, hp, tri["style"], rng, True, None)
    # the form's tightest curvature radius: the tube's, the capsule's, the sphere's
    form = s / 3 if kind == "torus" else r
    return prims.Part(part.v, part.f, part.n), {"kind": kind, "size": size,
                                                "form_radius_mm": form, **tri}


EDGE_KINDS = {"box": _edge_box, "base": _edge_base, "ring": _edge_ring, "sweep": _edge_sweep}


def edges_case(family, index, rng, budget) -> Case:
    kw = draws.conditions(rng, material=str(rng.choice(["generic", "metal", "wood", "stone"])))
    c = draws.resolve(kw)
    n_parts = 1 if rng.random() < 0.6 else 2
    kinds = [str(k) for k in rng.choice(list(EDGE_KINDS), n_parts)]
    parts, params, smooth = [], {"parts": []}, []
    for kind in kinds:
        tri = draws.triangulation(rng)
        part, pp = draws.rebuild(lambda b: EDGE_KINDS[kind](rng, b, tri, c.bevel_min_mm),
                            budget // n_parts, draws.MAX_FACES // (n_parts + 1))
        parts.append(part)
        params["parts"].append({**pp, **tri})
    if rng.random() < 0.3:
        size = float(np.ptp(parts[0].v, axis=0).max()) * rng.uniform(0.3, 0.8)
        sp, pp = draws.rebuild(lambda b: _smooth_prim(rng, b, size), budget // 3,
                          draws.MAX_FACES // (n_parts + 1))
        parts.append(sp)
        smooth.append(len(parts) - 1)
        params["parts"].append(pp)
    parts = draws.place(parts, rng)
    truths = []
    for i, p in enumerate(parts):
        if i in smooth:
            h = float(np.median(mesh.edge_lengths(p.v, p.f)))
            on_crease = mesh.crease_vertices(p.v, p.f, expect.FACET_CREASE_RAD)
            facets = expect.facet_crease(c, params["parts"][i]["form_radius_mm"], kw["finish"])
            truths.extend(draws.smooth_truths(p, expect.no_edge(), rng, 3 * h, on_crease,
                                              facets))
            continue
        for ft in p.features:
            truths.append(_edge_truth(ft, c, kw["material"]))
    part = draws.noise(prims.combine(parts), rng, params)
    return draws.case(family, index, {**params, **kw}, part, kw, truths, rng)


def _edge_truth(ft, c, material) -> Truth:
    nb = ft.numbers
    R, turn, h = nb["radius_mm"], nb["turn_rad"], nb["h_across_mm"]
    ex = expect.edge(nb, c, material)
    resolved = R > 0 and R * turn >= expect.RESOLVED_SEGMENTS * h
    match = max(3 * R, 4 * h, 4 * nb.get("h_along_mm", h))
    return Truth("edge", ft.points, ft.centroid, match, ex,
                 {"bevel_radius_mm": R} if R > 0 else {}, resolved,
                 {k: float(v) for k, v in nb.items()}, fan=ft.fan)


# --------------------------------------------------------------------------- organic


def _blob_sdf(rng, size):
    """A smooth union of 2-5 balls that all contain the origin (star-shaped), blended over
    a third of their radius (blends curve as much as the lobes: forms, not edges)."""
    n = int(rng.integers(2, 6))
    r = size / 2 * rng.uniform(0.45, 0.7, n)
    d = rng.normal(size=(n, 3))
    c = d / np.linalg.norm(d, axis=1, keepdims=True) * (r * rng.uniform(0.2, 0.6, n))[:, None]
    k = 0.35 * float(r.mean())

    def sdf(p):
        e = np.linalg.norm(p[:, None, :] - c[None], axis=-1) - r[None]
        m = e.min(axis=1, keepdims=True)
        return m[:, 0] - k * np.log(np.exp(-(e - m) / k).sum(axis=1))

    return sdf, float((np.linalg.norm(c, axis=1) + r).max() * 1.6)


def _bumpy_sdf(rng, size):
    """A sphere displaced by a few smooth waves (wavelengths of a radian or more)."""
    R0 = size / 2
    m = 6
    w = rng.normal(size=(m, 3))
    w = w / np.linalg.norm(w, axis=1, keepdims=True) * rng.uniform(1.0, 4.0, (m, 1))
    amp = rng.uniform(0.2, 1.0, m)
    amp *= rng.uniform(0.08, 0.25) / amp.sum()
    ph = rng.uniform(0, 2 * np.pi, m)

    def sdf(p):
        ln = np.linalg.norm(p, axis=1)
        d = p / np.maximum(ln, 1e-300)[:, None]
        return ln - R0 * (1.0 + (amp * np.sin(d @ w.T + ph)).sum(axis=1))

    return sdf, R0 * 1.6


def organic_case(family, index, rng, budget) -> Case:
    kw = draws.conditions(rng)
    c = draws.resolve(kw)
    life = rng.random() < 0.4
    size = rng.uniform(1200.0, 1800.0) if life else draws.logu(rng, 12.0, 40.0)
    kind = str(rng.choice(["blob", "bumpy", "smooth-prim"], p=[0.4, 0.4, 0.2]))
    style = str(rng.choice(mesh.STYLES))
    if kind == "smooth-prim":
        part, pp = _smooth_prim(rng, budget, size)
    else:
        sdf, tmax = (_blob_sdf if kind == "blob" else _bumpy_sdf)(rng, size)
        part = prims.star(sdf, tmax, budget // 2, style, rng, 1e-4 * size)
        pp = {"kind": kind, "style": style}
    h = float(np.median(mesh.edge_lengths(part.v, part.f)))
    # negative space: between a blob's lobes, and a torus's hole seen obliquely is a slit
    holes = kind == "blob" or pp.get("kind") == "torus"
    ex = {**expect.no_edge(), "MS401": PASS, "MS402": ALLOW if holes else PASS,
          "MS502": PASS,
          # facets wider than half the resolvable size are real (if unintended) highlight breaks
          "MS301": PASS if h < 0.5 * c.resolvable_mm else ALLOW}
    truths = [draws.smooth_truth(part, ex, rng, 3 * h)]
    params = {**pp, "size_mm": size, "life_size": bool(life), "h": h, **kw}
    return draws.case(family, index, params, part, kw, truths, rng)


def generators() -> dict:
    from .crafts import colour_case, lines_case, translucency_case
    from .patches import specular_case, texture_case
    from .solids import silhouette_case, thickness_case

    return {"edges": edges_case, "texture": texture_case, "specular": specular_case,
            "silhouette": silhouette_case, "thickness": thickness_case,
            "organic": organic_case, "lines": lines_case, "colour": colour_case,
            "translucency": translucency_case}
