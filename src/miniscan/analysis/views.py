"""The view that shows each place best (issue 15): named like the silhouette family's views.

A finding's place is a few faces of the model (its `faces`, else the faces nearest its
centroid). From each view of the silhouette family's set (an orbit of eight azimuths at 15°
and 45° up, plus top; named front/left/... relative to `--front`), a face counts by how
squarely it faces the camera (cos of normal and view direction), and only when it is not
hidden behind other surface (a ray cast from it towards the camera: a parallel view, as the
silhouettes are drawn). The best view has the largest sum over the place's faces. A place that
no view sees (inside a cavity) gets no view rather than a wrong one.

One batched ray cast per model (open3d's RaycastingScene, `Analysis.raycasting_scene`) for
every place of every finding; no Python loop over faces or places.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..findings import CheckResult, Finding, Location

# Faces of one place that vote (its listed faces, evenly thinned): enough to see round a
# limb, few enough that a model with hundreds of places casts a few tens of thousands of rays.
FACES_PER_PLACE = 16
# A place without faces is its centroid's nearest faces: this many (a patch, not one face
# whose normal may be a facet's accident).
NEAREST_FACES = 3
# Faces closer than this to edge-on (cos of normal and view direction) do not vote: grazing
# faces are not "shown" by a view and their rays run along the surface into their neighbours.
FACING_MIN = 0.05
# The ray starts this far off the surface towards the camera: a thousandth of the model's
# diagonal plus half a mean edge (float32 ray casting and facets meeting at an angle).
RAY_OFFSET_DIAG = 1e-3
RAY_OFFSET_EDGES = 0.5
# Scores (sums of cosines) equal to this many decimals are ties: a symmetric place seen equally
# well from front-left and front-right is named by preference (_preference), the same way
# however the model is turned (rotating it leaves ~1e-15 of noise in every cosine).
SCORE_DECIMALS = 6


def _face_tree(analysis):
    from scipy.spatial import cKDTree

    return analysis.cached("views:face_centroid_tree", lambda a: cKDTree(a.face_centroids))


def _place_faces(loc: Location, analysis) -> np.ndarray:
    """The faces that stand for one place (may be empty: no faces and no centroid)."""
    n = analysis.model.n_faces
    ids = np.asarray([i for i in loc.faces if 0 <= i < n], dtype=np.int64)
    if len(ids) > FACES_PER_PLACE:
        ids = ids[np.linspace(0, len(ids) - 1, FACES_PER_PLACE).round().astype(np.int64)]
    c = loc.centroid_mm
    if c is not None and np.all(np.isfinite(c)):
        k = min(NEAREST_FACES if not len(ids) else 1, n)
        _, near = _face_tree(analysis).query(np.asarray(c, dtype=np.float64), k=k)
        ids = np.unique(np.concatenate([ids, np.atleast_1d(near).astype(np.int64)]))
    return ids


def best_views(locations, analysis, front: str = "-y") -> list[str | None]:
    """The best view's name for every location (None: no faces, or no view sees it)."""
    from .silhouettes import view_set

    locations = list(locations)
    if not locations or analysis.model.n_faces == 0:
        return [None] * len(locations)
    views = view_set(front)
    dirs = np.array([v.direction for v in views], dtype=np.float64)  # (V, 3)
    per = [_place_faces(loc, analysis) for loc in locations]
    owner = np.repeat(np.arange(len(per)), [len(p) for p in per])
    faces = np.concatenate(per) if per else np.zeros(0, dtype=np.int64)
    out: list[str | None] = [None] * len(locations)
    if not len(faces):
        return out
    facing = analysis.face_normals[faces] @ dirs.T  # (F, V)
    fi, vi = np.nonzero(facing > FACING_MIN)
    seen = _unoccluded(analysis.face_centroids[faces[fi]], dirs[vi], analysis)
    score = np.zeros((len(locations), len(views)))
    np.add.at(score, (owner[fi[seen]], vi[seen]), facing[fi[seen], vi[seen]])
    # equal scores are ties, broken by preference (nearest the front, then lower), not by
    # float noise
    score = np.round(score, SCORE_DECIMALS)
    tied = score == score.max(axis=1, keepdims=True)
    best = np.where(tied, _preference(views)[None, :], np.inf).argmin(axis=1)
    for i in np.nonzero(score[np.arange(len(locations)), best] > 0)[0]:
        out[int(i)] = views[int(best[i])].name
    return out


def _preference(views) -> np.ndarray:
    """Rank of each view among equals: nearest the model's front first (front, front-left,
    front-right, left, right, ... back), the lower elevation before the higher, top last."""
    az = np.array([min(v.azimuth_deg % 360.0, 360.0 - v.azimuth_deg % 360.0)
                   if v.elevation_deg < 90.0 else 360.0 for v in views])  # 17 views
    el = np.array([v.elevation_deg for v in views])
    side = np.array([0.0 if v.azimuth_deg % 360.0 <= 180.0 else 0.5 for v in views])
    return np.lexsort((side, el, az)).argsort().astype(np.float64)


def _unoccluded(points: np.ndarray, directions: np.ndarray, analysis) -> np.ndarray:
    """True where a ray from the point towards the (parallel) camera leaves the model."""
    if not len(points):
        return np.zeros(0, dtype=bool)
    eps = RAY_OFFSET_DIAG * max(analysis.bbox_diag_mm, 1e-9) + RAY_OFFSET_EDGES * analysis.mean_edge_mm
    rays = np.hstack([points + eps * directions, directions])
    hit = analysis.raycasting_scene.cast_rays(analysis.ray_tensor(rays))["t_hit"].numpy()
    return ~np.isfinite(hit)


def _viewless(f: Finding) -> list[Location]:
    locs = [f.location] + [p.location for p in f.places]
    return [loc for loc in locs if loc.view is None and (loc.faces or loc.centroid_mm is not None)]


def _key(loc: Location) -> tuple:
    """A hashable identity of a place (families may hand lists or arrays)."""
    c = loc.centroid_mm
    return (None if c is None else tuple(float(x) for x in c), tuple(int(i) for i in loc.faces))


def _filled(f: Finding, named: dict[tuple, str | None]) -> Finding:
    def fill(loc: Location) -> Location:
        v = named.get(_key(loc)) if loc.view is None else None
        return replace(loc, view=v) if v else loc

    places = tuple(replace(p, location=fill(p.location)) for p in f.places)
    return replace(f, location=fill(f.location), places=places)


def with_views(results, analysis, front: str = "-y") -> tuple[CheckResult, ...]:
    """The results with `location.view` filled, for findings and their places, wherever a
    family left it None (a family that names its own view, e.g. a silhouette, keeps it)."""
    results = tuple(results)
    todo = {_key(loc): loc for r in results for f in r.findings for loc in _viewless(f)}
    if not todo:
        return results
    named = dict(zip(todo, best_views(todo.values(), analysis, front)))
    return tuple(r if not any(_viewless(f) for f in r.findings)
                 else replace(r, findings=tuple(_filled(f, named) for f in r.findings))
                 for r in results)
