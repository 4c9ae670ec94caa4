"""Solid cases: thin rods and gaps for the silhouette family, walls and fins for thickness.

Silhouette: a body with 1-3 rods of known width sticking out (any rotation), or a fork whose
prongs stand a known gap apart, open at the top (a notch) or closed by a bar (a window), turned
about the vertical by a multiple of 45 degrees so that one of the orbit's views looks straight
through the slot. Thickness: a block with a fin, a cup, a plate or a cylinder with a flange,
each wall of known thickness, with thick parts (that must pass) around it.
"""

from __future__ import annotations

import math

import numpy as np

from . import draws, expect, mesh, prims
from .cases import ALLOW, PASS, Truth
from .profiles import filleted

ROD_SECTIONS = 24  # a 24-gon rod is within 1 % of its width from every side
WIDTH_OCTAVES = 1.6  # widths and thicknesses are drawn within 2^(+-this) of the threshold


def _grid(a: np.ndarray, b: np.ndarray, c: np.ndarray, n: int = 6) -> np.ndarray:
    """n x n points on the parallelogram c + s a + t b, s, t in [0, 1]."""
    s = np.linspace(0, 1, n)
    S, T = np.meshgrid(s, s, indexing="ij")
    return c + S.reshape(-1, 1) * a + T.reshape(-1, 1) * b


def _rod(w: float, length: float, rng) -> prims.Part:
    prof = filleted([(0, 0), (w / 2, 0), (w / 2, length), (0, length)], [0, 0, 0, 0], False)
    return prims.revolve(prof, ROD_SECTIONS, min(w, length / 20), "isotropic", rng)


def _spikes(rng, c, budget):
    g, thr = c.glance_mm, expect.BAR_SURVIVES * c.glance_mm
    Rb = g * rng.uniform(5.0, 12.0)
    body = prims.star(lambda p: np.linalg.norm(p, axis=1) - Rb, 1.5 * Rb, budget // 2,
                      str(rng.choice(mesh.STYLES)), rng, 1e-4 * Rb)
    n = int(rng.integers(1, 4))
    axes = (mesh.random_rotation(rng) @ np.vstack([np.eye(3), -np.eye(3)]).T).T
    axes = axes[rng.choice(6, n, replace=False)]
    parts, truths, widths = [prims.Part(body.v, body.f, body.n)], [], []
    lengths = g * rng.uniform(2.5, 6.0, n)
    span = 2 * (Rb + lengths.max())
    for ax, ln in zip(axes, lengths):
        w = thr * 2.0 ** rng.uniform(-WIDTH_OCTAVES, WIDTH_OCTAVES)
        rod = _rod(w, ln + 0.5 * Rb, rng).moved(mesh.frame_to(ax), 0.5 * Rb * ax)
        parts.append(prims.Part(rod.v, rod.f, rod.n))
        pts = np.outer(np.linspace(Rb, Rb + ln, 12), ax)
        # rods near each other leave narrow wedges against the body: MS402 is not judged here
        ex = {**expect.protrusion(w, c, span), "MS402": ALLOW}
        truths.append(Truth("protrusion", pts, (Rb + ln / 2) * ax, ln / 2 + g, ex,
                            expect.width_due("protrusion_width_mm", w, ex), True,
                            {"width_mm": w, "length_mm": ln}))
        widths.append(w)
    sph = body.v[rng.choice(len(body.v), min(400, len(body.v)), replace=False)]
    truths.append(Truth("smooth", sph, np.zeros(3), 0.5 * g, {"MS401": PASS, "MS402": ALLOW}))
    return prims.combine(parts), truths, {"kind": "spikes", "body_mm": Rb, "widths": widths,
                                          "lengths": lengths.tolist()}, True


def _fork(rng, c, budget):
    g, thr = c.glance_mm, expect.BAR_SURVIVES * c.glance_mm
    gw = thr * 2.0 ** rng.uniform(-WIDTH_OCTAVES, WIDTH_OCTAVES)
    Wp, T, B, P = (g * rng.uniform(*r) for r in ((2, 4), (2, 5), (2, 4), (3, 7)))
    Wb = 2 * Wp + gw
    boxes = [((-Wb / 2, -T / 2, 0), (Wb / 2, T / 2, B)),
             ((-Wb / 2, -T / 2, B), (-gw / 2, T / 2, B + P)),
             ((gw / 2, -T / 2, B), (Wb / 2, T / 2, B + P))]
    window = rng.random() < 0.5
    if window:
        boxes.append(((-Wb / 2, -T / 2, B + P), (Wb / 2, T / 2, B + P + g * rng.uniform(1.5, 3))))
    H = max(b[1][2] for b in boxes)
    tri = draws.triangulation(rng)
    h = draws.h_for(2 * (Wb * H + T * H + Wb * T), budget)
    part = prims.rectilinear(boxes, h, tri["style"], rng)
    span = math.sqrt(Wb ** 2 + T ** 2 + H ** 2)
    slot = _grid(np.array([0, T, 0]), np.array([0, 0, P]), np.array([0, -T / 2, B]))
    ex = {**expect.gap(gw, c, span), "MS401": ALLOW}
    due = expect.width_due("gap_width_mm", gw, ex)
    # a window seen from above is a short hole, a narrower bar there than the slot: MS402 is
    # required to pass only where that bar clearly survives too (and a slot that clearly
    # survives is due no width: which view's width a finding reads is then not known)
    w_eq = expect.window_bar(gw, P, T, c) if window else gw
    if ex["MS402"] == PASS and expect.gap(w_eq, c, span)["MS402"] != PASS:
        ex["MS402"] = ALLOW
    truths = [Truth("gap", slot, np.array([0, 0, B + P / 2]), P / 2 + g, ex, due, True,
                    {"width_mm": gw, "height_mm": P, "window": bool(window),
                     "window_bar_mm": w_eq})]
    for s in (-1, 1):  # the prongs: thick, they must not vanish
        x = s * (gw / 2 + Wp / 2)
        pts = _grid(np.array([0, T, 0]), np.array([0, 0, P]), np.array([x, -T / 2, B]))
        ex = {**expect.protrusion(Wp, c, span), "MS402": ALLOW}
        truths.append(Truth("protrusion", pts, np.array([x, 0, B + P / 2]), 0.5 * Wp, ex,
                            expect.width_due("protrusion_width_mm", Wp, ex), True,
                            {"width_mm": Wp}))
    return part, truths, {"kind": "fork", "gap": gw, "prong": Wp, "depth": T, "base": B,
                          "height": P, "window": bool(window), **tri}, False


def silhouette_case(family, index, rng, budget):
    kw = draws.conditions(rng)
    c = draws.resolve(kw)
    part, truths, params, free = (_spikes if rng.random() < 0.6 else _fork)(rng, c, budget)
    return draws.case(family, index, {**params, **kw}, part, kw, truths, rng, free=free)


# --------------------------------------------------------------------------- thickness


def _wall_truth(kind, pts, centroid, t, c, reach, fan=False):
    """A wall of thickness t; a "solid" part's t is only its smallest dimension (it must pass,
    but what a ray measures there depends on where: no error is scored)."""
    return Truth(kind, pts, np.asarray(centroid, float), reach, expect.wall(t, c),
                 {"thickness_mm": t}, kind == "wall", {"thickness_mm": t}, fan=fan)


def _fin(rng, c, t, budget, tri):
    m = c.printer.min_wall_mm
    Bx, By, Bz = m * rng.uniform(4, 10, 3)
    F = m * rng.uniform(3, 8)
    boxes = [((0, 0, 0), (Bx, By, Bz)), ((Bx / 2 - t / 2, 0, Bz), (Bx / 2 + t / 2, By, Bz + F))]
    area = 2 * (Bx * By + By * Bz + Bx * Bz) + 2 * By * F
    part = prims.rectilinear(boxes, draws.h_for(area, budget), tri["style"], rng)
    fin = _grid(np.array([0, By, 0]), np.array([0, 0, F]), np.array([Bx / 2, 0, Bz]))
    block = _grid(np.array([Bx, 0, 0]), np.array([0, By, 0]), np.array([0, 0, Bz / 2]))
    return part, [_wall_truth("wall", fin, (Bx / 2, By / 2, Bz + F / 2), t, c, max(By, F) / 2 + m),
                  _wall_truth("solid", block, (Bx / 2, By / 2, Bz / 2), min(Bx, By, Bz), c,
                              min(Bx, By) / 2)], {"kind": "fin", "block": [Bx, By, Bz], "fin": F}


def _ring_pts(rho: float, z0: float, z1: float) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    z = np.linspace(z0, z1, 4)
    A, Z = np.meshgrid(a, z, indexing="ij")
    return np.column_stack([rho * np.cos(A.ravel()), rho * np.sin(A.ravel()), Z.ravel()])


def _revolved(rng, corners, budget, tri, rho):
    prof = filleted(corners, [0] * len(corners), False)
    area = 2 * math.pi * rho * prof.length
    h = draws.h_for(area, budget)
    n = max(16, round(2 * math.pi * rho / h))
    return prims.revolve(prof, n, h, tri["style"], rng, True, None)


def _cup(rng, c, t, budget, tri):
    m = c.printer.min_wall_mm
    rho = m * rng.uniform(6, 15)
    H, b = rho * rng.uniform(0.6, 1.5), max(3 * m, 0.25 * rho)
    part = _revolved(rng, [(0, 0), (rho, 0), (rho, H), (rho - t, H), (rho - t, b), (0, b)],
                     budget, tri, rho)
    wall = _ring_pts(rho - t / 2, b, H)
    floor = _grid(np.array([rho, 0, 0]), np.array([0, rho, 0]),
                  np.array([-rho / 2, -rho / 2, b / 2]))
    return part, [_wall_truth("wall", wall, (0, 0, (b + H) / 2), t, c, (H - b) / 2 + m, fan=True),
                  _wall_truth("solid", floor, (0, 0, b / 2), b, c, rho / 2)], \
        {"kind": "cup", "rho": rho, "H": H, "floor": b}


def _plate(rng, c, t, budget, tri):
    m = c.printer.min_wall_mm
    Lx, Ly = m * rng.uniform(4, 12, 2)
    part = prims.rounded_box([Lx, Ly, t / 2], 0.0, draws.h_for(8 * Lx * Ly, budget),
                             tri["style"], 1, rng)
    pts = _grid(np.array([2 * Lx, 0, 0]), np.array([0, 2 * Ly, 0]), np.array([-Lx, -Ly, 0]))
    return part, [_wall_truth("wall", pts, (0, 0, 0), t, c, max(Lx, Ly) + m)], \
        {"kind": "plate", "L": [2 * Lx, 2 * Ly]}


def _flange(rng, c, t, budget, tri):
    m = c.printer.min_wall_mm
    rc = m * rng.uniform(3, 8)
    Hc, F = rc * rng.uniform(1.0, 2.5), m * rng.uniform(3, 8)
    z1 = Hc * rng.uniform(0.3, 0.6)
    part = _revolved(rng, [(0, 0), (rc, 0), (rc, z1), (rc + F, z1), (rc + F, z1 + t), (rc, z1 + t),
                           (rc, Hc), (0, Hc)], budget, tri, rc + F)
    ring = _ring_pts(rc + F / 2, z1 + t / 2, z1 + t / 2)
    core = np.outer(np.linspace(0, Hc, 8), [0, 0, 1.0])
    return part, [_wall_truth("wall", ring, (0, 0, z1 + t / 2), t, c, F / 2 + m, fan=True),
                  _wall_truth("solid", core, (0, 0, Hc / 2), 2 * rc, c, rc)], \
        {"kind": "flange", "rc": rc, "Hc": Hc, "F": F}


WALLS = {"fin": _fin, "cup": _cup, "plate": _plate, "flange": _flange}


def thickness_case(family, index, rng, budget):
    kw = draws.conditions(rng, printer=str(rng.choice(["resin", "fdm"])))
    c = draws.resolve(kw)
    t = c.printer.min_wall_mm * 2.0 ** rng.uniform(-WIDTH_OCTAVES, WIDTH_OCTAVES)
    kind = str(rng.choice(list(WALLS)))
    tri = draws.triangulation(rng)
    part, truths, params = WALLS[kind](rng, c, t, budget, tri)
    return draws.case(family, index, {**params, "t": t, **tri, **kw}, part, kw, truths, rng)
