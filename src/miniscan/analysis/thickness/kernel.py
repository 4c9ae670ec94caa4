"""Wall thickness, steps 2-3: the inward cone of rays and the readings with their intervals."""

from __future__ import annotations

import math

import numpy as np

from .bodies import _overlaps
from .common import F32_ULPS, MIN_VALID, Thickness, WALL_FACING_DEG, _cone, sample_count
from .contacts import leaves, resting, through_contacts
from .sampling import _face_edge, _sample
from .surface import _context, smooth_offset


# --- the kernel ---------------------------------------------------------------------------------

def _cast(a, pts, fid, fn, face_vol, open_face):
    """Cast each sample's cone; returns directions, cos, t_hit, prim, hit, buried, ray count."""
    n = fn[fid]
    good = np.linalg.norm(n, axis=1) > 0.5  # degenerate faces have zero normals
    n = np.where(good[:, None], n, [[0.0, 0.0, 1.0]])
    dirs, cos = _cone(-n, _face_edge(a, fid))  # into the solid, the ring fixed to the face
    s, k = dirs.shape[:2]
    eps = 1e-5 * max(a.bbox_diag_mm, 1e-12)
    origins = pts[:, None, :] - eps * n[:, None, :]
    rays = np.concatenate([np.broadcast_to(origins, dirs.shape), dirs], axis=2).reshape(-1, 6)
    ans = a.raycasting_scene.cast_rays(a.ray_tensor(rays))
    t_hit = ans["t_hit"].numpy().astype(np.float64).reshape(s, k)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(s, k)
    hit = np.isfinite(t_hit)
    buried = np.zeros(s, dtype=bool)
    if a.n_bodies > 1:
        # Overlapping, un-unioned bodies: a ray must measure the union's wall, not stop where
        # it meets another body's surface; samples inside another body are not on the print.
        t_hit, prim, buried = _overlaps(a, rays, fid, t_hit, prim, hit, fn, face_vol,
                                        open_face, eps)
        hit = np.isfinite(t_hit)
    # a ray that leaves by a contact the print fuses runs on (a ray back on its own face is
    # no reading, whatever lies beyond it)
    out = hit & (prim != fid[:, None])
    out[out] = leaves(fn, prim[out], dirs[out])
    t_flat, p_flat = through_contacts(a, rays, t_hit, prim, fn, out)
    t_hit, prim = t_flat.reshape(s, k), p_flat.reshape(s, k)
    hit = np.isfinite(t_hit)
    buried |= resting(a, rays[::k], eps, fn)
    return -n, good, dirs, cos, t_hit + eps, np.where(hit, prim, 0), hit, buried, len(rays)


def _row_quantile(p: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of the first n[i] (sorted, finite) entries of each row, interpolated as
    numpy's default: np.nanpercentile without its per-row Python loop."""
    pos = q * (n - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, n - 1)
    r = np.arange(len(p))
    return p[r, i0] + (pos - i0) * (p[r, i1] - p[r, i0])


def _offsets(a, fid, points, dirs, t_hit, prim, valid, fn) -> np.ndarray:
    """(s,) change of each sample's reading if the smooth surface replaced the facets: the
    entry's outward offset plus the exit's, read on the first ray that measured the wall (the
    axial one when it did: the ring lands within 0.21 T of it, where a wall's offset is the
    same; one ray, not five, keeps the cost at the samples')."""
    k0 = np.argmax(valid, axis=1)
    r = np.arange(len(fid))
    exit_pts = points + t_hit[r, k0, None] * dirs[r, k0]
    both = smooth_offset(a, np.concatenate([fid, prim[r, k0]]),
                         np.concatenate([points, exit_pts]), fn)  # one pass over the corners
    return both[:len(fid)] + both[len(fid):]


def _readings(a, fid, points, fn, dirs, cos, t_hit, prim, hit, coord_mm):
    """Per sample: median reading, interval [lo, hi], valid ray count, internal flag, and
    whether the reading stands (enough rays measured the wall; rays that left by a side face
    of a corner are neither for nor against)."""
    s = len(fid)
    facing = np.einsum("skj,skj->sk", fn[prim], dirs[:, :1, :])  # exit normal vs the axis
    exiting = np.einsum("skj,skj->sk", fn[prim], dirs) > 0
    not_own = prim != fid[:, None]
    leaving = hit & exiting & not_own
    facing_ok = leaving & (facing >= math.cos(math.radians(WALL_FACING_DEG)))
    # rays leaving by a turned face are set aside when another ray faced the wall (a corner's
    # side); when none did (grazing a curved hole, a ligament between holes) they are the wall
    some = facing_ok.any(axis=1, keepdims=True)
    valid = np.where(some, facing_ok, leaving)
    entering = hit & ~exiting & not_own
    proj = np.where(valid, t_hit * cos[None, :], np.nan)
    nvalid = valid.sum(axis=1)
    med = np.full(s, np.nan)
    lo = np.full(s, np.nan)
    hi = np.full(s, np.nan)
    ok = (nvalid >= 1) & (leaving.sum(axis=1) >= MIN_VALID)
    if ok.any():
        p = np.sort(proj[ok], axis=1)  # NaN (invalid rays) sort last
        nv = nvalid[ok]
        med[ok] = _row_quantile(p, nv, 0.5)
        # resolution: the design may be the facets or the smooth surface their vertices sample
        # (`smooth_offset`, at the sample and at each ray's exit): the interval spans both
        med_s = med[ok] + _offsets(a, fid[ok], points[ok], dirs[ok], t_hit[ok], prim[ok],
                                   valid[ok], fn)
        rounding = F32_ULPS * 2.0 ** -24 * coord_mm
        mad = _row_quantile(np.sort(np.abs(p - med[ok][:, None]), axis=1), nv, 0.5)
        lo[ok] = np.maximum(np.minimum(med[ok], med_s) - mad - rounding, 0.0)
        hi[ok] = np.maximum(med[ok], med_s) + mad + rounding
    internal = entering.sum(axis=1) * 2 > dirs.shape[1]
    return med, lo, hi, nvalid, internal, ok


def _read(a, pts, fid, face_vol, fn, open_face, coord):
    """Readings of the samples (pts, fid): steps 2 and 3 for any set of surface points."""
    inward, good, dirs, cos, t_hit, prim, hit, buried, nrays = _cast(a, pts, fid, fn, face_vol,
                                                                     open_face)
    th, lo, hi, nvalid, internal, ok = _readings(a, fid, pts, fn, dirs, cos, t_hit, prim, hit,
                                                 coord)
    open_s = open_face[fid]
    sure = ok & good & ~open_s & ~buried
    th[~sure], lo[~sure], hi[~sure] = np.nan, np.nan, np.nan
    # an inner surface shows only where the rays can be trusted to start inside the solid
    internal &= ~sure & ~open_s & ~buried & bool(a.winding_consistent)
    return dict(points=pts, faces=fid, inward=inward, thickness_mm=th, lo_mm=lo, hi_mm=hi,
                valid_rays=nvalid, open_body=open_s, buried=buried, internal=internal,
                body=a.body_labels[fid]), nrays


def thickness(analysis, count: int | None = None) -> Thickness:
    """Wall thickness at `count` seeded surface samples (default: sample_count(faces))."""
    a = analysis
    count = int(count or sample_count(a.model.n_faces))
    pts, fid, area = _sample(a, count)
    ctx, flipped = _context(a)
    cols, nrays = _read(a, pts, fid, *ctx)
    area_per = a.total_area / count
    return Thickness(**cols, area_mm2=area, spacing_mm=math.sqrt(area_per),
                     sample_area_mm2=area_per, rays=nrays, flipped=flipped)
