"""Wall thickness: contacts the print fuses. A ray that leaves the solid and is back inside it
within TOUCH_MM has crossed two faces that touch (an assembly's part resting in another's
pocket, a flagstone a micron above its slab, two shells of one body meeting face to face); no
printer keeps that gap open, so the wall runs on to where the ray leaves for good."""

from __future__ import annotations

import numpy as np

from .common import TOUCH_MM

# Contacts crossed along one ray at most. Each costs one more cast of the rays still running;
# an assembly's stack (a housing, the bearing in its pocket, the shaft in the bearing) is
# three or four parts deep along any one ray.
CONTACT_ROUNDS = 4


def through_contacts(a, rays: np.ndarray, t_hit: np.ndarray, prim: np.ndarray,
                     fn: np.ndarray, leaving: np.ndarray):
    """Per ray (flat (n, 6) rays, their first exits): the distance and face where it leaves the
    solid past every contact. A ray `leaving` by its hit is cast again from TOUCH_MM past its
    exit: when that cast's first face is one it leaves by (outward normal along the ray), the
    point was inside the solid again (in a consistently wound solid the first face met from
    inside is left, from outside entered), and the ray's exit moves there. The contact's own
    two faces lie behind that point, so it does not matter which of them the ray-caster lists
    when they coincide. Up to CONTACT_ROUNDS rounds, each over the rays that moved. Returns
    new (t_hit, prim), flat."""
    t = np.asarray(t_hit, dtype=np.float64).ravel().copy()
    p = np.asarray(prim, dtype=np.int64).ravel().copy()
    d = rays[:, 3:]
    todo = np.flatnonzero(np.asarray(leaving).ravel() & np.isfinite(t))
    for _ in range(CONTACT_ROUNDS):
        if len(todo) == 0:
            break
        start = rays[todo, :3] + (t[todo] + TOUCH_MM)[:, None] * d[todo]
        ans = a.raycasting_scene.cast_rays(a.ray_tensor(np.c_[start, d[todo]]))
        t2 = ans["t_hit"].numpy().astype(np.float64)
        p2 = ans["primitive_ids"].numpy().astype(np.int64)
        on = np.isfinite(t2)
        on[on] = leaves(fn, p2[on], d[todo[on]])
        todo, t2, p2 = todo[on], t2[on], p2[on]
        t[todo] += TOUCH_MM + t2
        p[todo] = p2
    return t, p


def leaves(fn: np.ndarray, faces: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Does a ray along d cross each face outward (along its outward normal)?"""
    return np.einsum("ij,ij->i", fn[faces], d) > 0


def resting(a, axial: np.ndarray, reach: float, fn: np.ndarray) -> np.ndarray:
    """Per sample (its axial ray, cast inward from `reach` under the surface): does its face
    rest on the solid, the point TOUCH_MM outside it lying inside again (cast outward from
    there, the first face met is one the ray leaves by)? Then the face is a contact the print
    fuses, not printed surface: two shells of one body meeting face to face as much as a part
    resting on another (`bodies._touching` winds through overlapping bodies for the latter)."""
    out_dir = -axial[:, 3:]
    start = axial[:, :3] + (reach + TOUCH_MM) * out_dir
    ans = a.raycasting_scene.cast_rays(a.ray_tensor(np.c_[start, out_dir]))
    t = ans["t_hit"].numpy()
    on = np.isfinite(t)
    on[on] = leaves(fn, ans["primitive_ids"].numpy().astype(np.int64)[on], out_dir[on])
    return on
