"""Defects injected into the real meshes of ../shared/corpus, at known places and sizes.

Every corpus mesh with faces (point clouds and tiny files aside) is a host, loaded by miniscan's
own loader (so in millimetres) and, above MAX_HOST_FACES, decimated. A case picks a host (in
turn) and a place on it, and injects one defect:
- edges: a stud (a separate rounded box with every edge filleted at a known radius) half sunk
  into the surface along its normal;
- texture: a patch of ripples of known wavelength and amplitude, displacing the host's own
  vertices along their normals (the wavelength spans at least SCULPT_EDGES host edges);
- specular: a patch of band-limited noise of known normal variation, the same way;
- silhouette: a rod of known width standing out of the surface where the surface faces out;
- thickness: a fin (a separate thin plate) of known thickness standing out of the surface.
The viewing distance is chosen so that the relevant threshold lies near the defect's size,
snapped to a ladder of distances so that the clean host's findings (run once per host and
conditions) are shared by many cases. A finding the clean host already had is not a false
positive; the scorer is given the host's places. For patches the clean host is the refined
host (the same faces, undisplaced), so that only the displacement differs.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import expect, mesh, prims
from .cases import ALLOW, FAIL, PASS, Case, Truth
from .patches import NOISE_WAVES, _noise_waves
from .draws import CODES, RUN_FAMILIES, SUITE_SEED, logu
from .shapes import _edge_truth
from .solids import _rod

FAMILIES = ("edges", "texture", "specular", "silhouette", "thickness")
MAX_HOST_FACES = 50_000  # decimated above this (quadric, deterministic)
MIN_HOST_FACES = 1_000  # smaller files are not hosts (too coarse to inject into)
LADDER_STEPS = 2  # distances are 100 mm x 2^(k / LADDER_STEPS)
PATCH_REL = (0.02, 0.06)  # patch radius, as a share of the host's diagonal
PATCH_WAVES = (2.0, 3.0)  # patch radius in wavelengths
REFINE_EDGES = 8.0  # the patch zone is subdivided until its edges are at most lam / 8
REFINE_ZONE = 1.25  # ... out to this many patch radii (its T-junctions lie where nothing moves)
REFINE_PASSES = 8
MAX_CASE_FACES = 80_000  # refinement stops here (the case is skipped for another spot)
HOST_RELIEF = 0.25  # host relief above this share of the patch's RMS height: error not scored
FLAT_DEG = 35.0  # a patch only where the host's normals stay within this of their mean
TRIES = 40  # places tried before giving up on a host for this case
HOST_MATCH_EDGES = 4.0  # a place within this many host edges of a clean place is already there,
HOST_MATCH_REL = 0.03  # ... or within this share of the host's diagonal (a thin rim's region
HOST_MATCH_GLANCES = 2.0  # snaps its centroid anywhere along it), or of two glances (silhouette
# and texture places move with the whole model's raster and regions when anything is added)
OUTSIDE_HULL = 0.5  # an injected rod's tip stands this share of its length outside the hull,
# and at least this share of its length lies outside the host's outline in one of the
# silhouette views (a rod upright on a floor tile is outside the hull but, seen from 15 and
# 45 degrees up and from the top, in front of the tile: not a part of the outline)
OUTLINE_SAMPLES = 41  # points along a rod tested against the host's outline


def corpus_hosts(corpus: Path) -> list[Path]:
    from miniscan.loading import EXTENSIONS

    if not corpus or not Path(corpus).is_dir():
        return []
    return sorted(p for p in Path(corpus).iterdir()
                  if p.suffix.lower() in EXTENSIONS and p.suffix.lower() not in (".xyz", ".pts"))


@lru_cache(maxsize=16)
def load_host(path: str):
    """The host as a Model (mm), decimated above MAX_HOST_FACES; None when unusable."""
    from miniscan.loading import LoadError, load
    from miniscan.model import from_arrays

    try:
        m = load(path)
    except LoadError:
        return None
    if m.n_faces < MIN_HOST_FACES:
        return None
    v, f = m.vertices, m.faces
    if m.n_faces > MAX_HOST_FACES:
        import open3d as o3d

        tm = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.array(v)),
                                       o3d.utility.Vector3iVector(np.array(f, dtype=np.int32)))
        tm = tm.simplify_quadric_decimation(MAX_HOST_FACES)
        v, f = np.asarray(tm.vertices), np.asarray(tm.triangles).astype(np.int64)
    return from_arrays(v, f, name=Path(path).name)


@lru_cache(maxsize=16)
def _host_geometry(path: str):
    return _geometry(load_host(path))


def _geometry(m):
    """Vertex normals, face centroids, face normals, a KD-tree and the median edge length."""
    from scipy.spatial import cKDTree

    v, f = m.vertices, m.faces
    t = v[f]
    cr = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, f[:, k], cr)
    vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-300)
    fa = 0.5 * np.linalg.norm(cr, axis=1)
    fn = cr / np.maximum(2 * fa[:, None], 1e-300)
    return {"vn": vn, "fc": t.mean(axis=1), "fn": fn, "fa": fa, "tree": cKDTree(v),
            "h": float(np.median(mesh.edge_lengths(v, f))),
            "diag": float(np.linalg.norm(np.ptp(v, axis=0)))}


def _ladder(d_mm: float) -> float:
    k = round(LADDER_STEPS * math.log2(max(d_mm, 1.0) / 100.0))
    return 100.0 * 2.0 ** (k / LADDER_STEPS)


def _distance_for_resolvable(r_mm: float) -> float:
    from miniscan import vision

    return _ladder(r_mm / math.tan(vision.ARCMIN))


def _spot(rng, geo, radius: float, flat: bool, outward: bool, model):
    """A place on the host: (point, normal, local edge length), or None. flat: the normals
    within `radius` stay within FLAT_DEG of their mean; outward: a ray along the normal leaves
    the model (the spot shows in a silhouette)."""
    p_face = geo["fa"] / geo["fa"].sum()
    for _ in range(TRIES):  # a few dozen draws at most
        fi = int(rng.choice(len(p_face), p=p_face))
        p, n = geo["fc"][fi], geo["fn"][fi]
        idx = geo["tree"].query_ball_point(p, radius)
        if len(idx) < 12:
            continue
        vn = geo["vn"][idx]
        mean = vn.mean(axis=0)
        if np.linalg.norm(mean) < 1e-6:
            continue
        mean /= np.linalg.norm(mean)
        if flat and np.degrees(np.arccos(np.clip(vn @ mean, -1, 1))).max() > FLAT_DEG:
            continue
        if outward and _hits(geo, model, p + n * 1e-3 * geo["diag"], n):
            continue
        e = mesh.edge_lengths(model.vertices, model.faces[_faces_near(geo, p, radius)])
        return p, mean if flat else n, float(np.median(e)) if len(e) else geo["h"]
    return None


def _faces_near(geo, p, radius):
    return np.flatnonzero(np.linalg.norm(geo["fc"] - p, axis=1) <= radius)


def _hits(geo, model, origin, direction) -> bool:
    import open3d as o3d

    scene = geo.get("scene")
    if scene is None:
        scene = geo["scene"] = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor(model.vertices.astype(np.float32)),
                            o3d.core.Tensor(model.faces.astype(np.uint32)))
    ray = np.concatenate([origin, direction]).astype(np.float32)[None]
    return bool(np.isfinite(scene.cast_rays(o3d.core.Tensor(ray))["t_hit"].numpy()[0]))


def _outside_hull(geo, model, q) -> float:
    """How far q lies outside the host's convex hull (negative inside)."""
    from scipy.spatial import ConvexHull

    if "hull" not in geo:
        geo["hull"] = ConvexHull(model.vertices).equations
    eq = geo["hull"]
    return float((eq[:, :3] @ q + eq[:, 3]).max())


def _outline_share(model, p, n, ln: float) -> float:
    """The largest share of the rod from p to p + n ln that lies outside the host's outline in
    one of the silhouette family's views (`view_set`: 8 azimuths at 15 and 45 degrees up, and
    the top; parallel projections, as the family draws them)."""
    from miniscan.analysis.silhouettes import view_set

    pts = p + np.outer(np.linspace(0.0, ln, OUTLINE_SAMPLES), n)
    tri = model.vertices[model.faces]
    best = 0.0
    for view in view_set():  # (17 views)
        d, up = np.asarray(view.direction), np.asarray(view.up)
        basis = np.stack([np.cross(d, up), up], axis=1)
        best = max(best, 1.0 - float(_in_projection(pts @ basis, tri @ basis).mean()))
    return best


def _in_projection(q, t):
    """(m,) whether each 2-D point q (m, 2) lies in any of the 2-D triangles t (k, 3, 2)."""
    lo, hi = t.min(axis=1), t.max(axis=1)
    box = ((q[:, None, :] >= lo[None]) & (q[:, None, :] <= hi[None])).all(axis=2)
    i, j = np.nonzero(box)
    a, b, c = t[j, 0], t[j, 1], t[j, 2]
    x = q[i]

    def side(u, v):
        du, dx = v - u, x - u
        return du[:, 0] * dx[:, 1] - du[:, 1] * dx[:, 0]

    s1, s2, s3 = side(a, b), side(b, c), side(c, a)
    inside = ((s1 >= 0) & (s2 >= 0) & (s3 >= 0)) | ((s1 <= 0) & (s2 <= 0) & (s3 <= 0))
    return np.bincount(i[inside], minlength=len(q)) > 0


def _tangent(n):
    r = mesh.frame_to(n)
    return r[:, 0], r[:, 1]


def _vertex_normals(v, f):
    t = v[f]
    cr = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, f[:, k], cr)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-300)


def _host_form(v, p, n, radius):
    """The host's form under a patch: a quadric height field z(x, y) fitted to its vertices
    within `radius` in the tangent frame at p. Returns (sel, residual, coef) -- the vertices
    used, their heights off the form, the quadric's six coefficients (None: too few vertices)."""
    t1, t2 = _tangent(n)
    d = v - p
    sel = (np.linalg.norm(d, axis=1) <= radius) & (np.abs(d @ n) < radius)
    if sel.sum() < 8:
        return sel, np.zeros(0), None
    x, y, z = d[sel] @ t1, d[sel] @ t2, d[sel] @ n
    A = np.column_stack([np.ones_like(x), x, y, x * x, x * y, y * y])
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    return sel, z - A @ coef, coef


def _host_relief(v, p, n, radius) -> float:
    """RMS height of the host's own relief under a patch: the heights of `v` off the host's
    form (`_host_form`). `v` is the refined host's vertices (`_refine`: the patch zone split to
    lam / REFINE_EDGES, nothing moved), the surface the case is given and prints. Its new
    vertices lie on the host's flat faces, so they sample the facets' relief between the host's
    own vertices, which on a coarse curved host all lie on the smooth form: a face of edge h on
    a form of radius R stands up to its sagitta h^2 / 8R off it (the giant boar's faces,
    h ~ 1 mm, carry 0.011-0.055 mm where its vertices show 0.0004-0.017 mm). Not limited to the
    patch's band: where the facets matter they are the patch's size (h / lam 0.8-1.7) and the
    clean host reads them at lam as their RMS; relief coarser than lam (terrains, scans) adds
    less to a reading at lam, so there this is an upper bound (docs/accuracy.md, Limits)."""
    _, res, coef = _host_form(v, p, n, radius)
    return 0.0 if coef is None else float(np.sqrt(np.mean(res ** 2)))


def _form_normals(v, p, n, radius) -> np.ndarray:
    """(V, 3) the normal of the host's form (`_host_form`'s quadric) under every vertex, n
    where there is no form to fit. A patch is displaced along these, not along the vertices'
    own normals: on a rough host (stone, a scan's noise) those swing by up to FLAT_DEG from
    vertex to vertex, so a height h moves neighbours sideways by up to h sin(FLAT_DEG) in
    unrelated directions -- relief at the host's grain the truth does not describe (a 0.33 mm
    ripple on the rough-stone terrain read as 0.17 mm relief 0.01 mm deep, a 1.45 mm one as
    0.63 mm relief). A sculptor's brush displaces along the surface's form, not its grain."""
    _, _, coef = _host_form(v, p, n, radius)
    if coef is None:
        return np.broadcast_to(n, v.shape).copy()
    t1, t2 = _tangent(n)
    d = v - p
    x, y = d @ t1, d @ t2
    zx = coef[1] + 2 * coef[3] * x + coef[4] * y
    zy = coef[2] + coef[4] * x + 2 * coef[5] * y
    out = n[None] - zx[:, None] * t1[None] - zy[:, None] * t2[None]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _refine(model, p, n, radius, lam):
    """The host with its faces around the patch subdivided until their edges are at most
    lam / REFINE_EDGES (T-junctions at the rim of the refined zone, where nothing moves);
    None when that would take more than MAX_CASE_FACES."""
    from trimesh.remesh import subdivide

    v, f = model.vertices, model.faces
    for _ in range(REFINE_PASSES):  # each pass halves the edges of the zone
        c = v[f].mean(axis=1) - p
        sel = np.flatnonzero((np.linalg.norm(c, axis=1) <= REFINE_ZONE * radius)
                             & (np.abs(c @ n) < radius))
        if len(sel) == 0:
            return None
        if mesh.edge_lengths(v, f[sel]).max() <= lam / REFINE_EDGES:
            return v, f
        if len(f) + 3 * len(sel) > MAX_CASE_FACES:
            return None
        v, f = subdivide(v, f, face_index=sel)
    return None


def _displace_patch(v, f, p, n, radius, taper, height):
    """Vertices within `radius` of p moved along the host's form normals (`_form_normals`) by
    height(x, y) (x, y in the tangent plane at p), tapered to nothing over the outer `taper`."""
    t1, t2 = _tangent(n)
    d = v - p
    x, y = d @ t1, d @ t2
    rho = np.sqrt(x * x + y * y)
    near = (rho < radius) & (np.abs(d @ n) < radius)
    w = np.where(rho <= radius - taper, 1.0,
                 np.cos(0.5 * np.pi * np.clip((rho - radius + taper) / taper, 0, 1)) ** 2)
    out = v.copy()
    out[near] += _form_normals(v, p, n, radius)[near] * (height(x[near], y[near]) * w[near])[:, None]
    return out


def _core(v, p, n, radius):
    d = v - p
    sel = np.flatnonzero((np.linalg.norm(d, axis=1) <= radius) & (np.abs(d @ n) < radius))
    keep = sel[np.linspace(0, len(sel) - 1, min(len(sel), 64)).astype(int)] if len(sel) else sel
    return np.vstack([p[None], v[keep]])


def make_case(family: str, index: int, corpus: Path) -> Case | None:
    """Injected case `index` of a family, or None when the corpus has no usable host."""
    hosts = corpus_hosts(corpus)
    rng = np.random.default_rng([SUITE_SEED, 100 + FAMILIES.index(family), index])
    for k in range(len(hosts)):  # the case's host in turn; the next one if none fits
        host = hosts[(index + k) % len(hosts)]
        model = load_host(str(host))
        if model is None:
            continue
        geo = _host_geometry(str(host))
        built = INJECTORS[family](rng, model, geo)
        if built is not None:
            break
    else:
        return None
    v, f, kw, truths, params, refined = built
    glance = Case(family, 0, {}, v, f, kw, (), (), ()).resolved_conditions().glance_mm
    match = max(HOST_MATCH_EDGES * geo["h"], HOST_MATCH_REL * geo["diag"],
                HOST_MATCH_GLANCES * glance)
    clean, key = model, host.name
    if refined is not None:  # the clean host is the refined one: the same faces, undisplaced
        from miniscan.model import from_arrays

        clean, key = from_arrays(*refined, name=host.name), f"{host.name}+{family}:c{index}"
    return Case(family, index, {"source": "corpus", "host": host.name, **params, **kw}, v, f, kw,
                tuple(truths), RUN_FAMILIES[family], CODES[family], key, clean, match)


# --------------------------------------------------------------------------- injectors


def _profile(rng) -> str:
    return str(rng.choice(["tabletop", "display", "scale-model-1-35", "figure-1-6"]))


def _edges(rng, model, geo):
    from miniscan.conditions import resolve

    kw = {"profile": _profile(rng), "finish": str(rng.choice(["matte", "satin"]))}
    c = resolve(**kw)
    # outward: the stud stands where the surface faces the open, not on a face sunk inside
    # another body of an assembly (its edges would lie inside the print, seen by no one)
    spot = _spot(rng, geo, 0.02 * geo["diag"], False, True, model)
    if spot is None:
        return None
    p, n, _ = spot
    r_min = c.bevel_min_mm
    R = r_min * 2.0 ** rng.uniform(-3.5, 3.0)
    L = max(18 * R, logu(rng, 0.02, 0.08) * geo["diag"])
    a = 0.5 * L * rng.uniform(0.5, 1.0, 3) - R
    e = a + R
    h = math.sqrt(2 * 8 * (e[0] * e[1] + e[1] * e[2] + e[0] * e[2]) / rng.choice([3000, 10000]))
    style = str(rng.choice(mesh.STYLES))
    stud = prims.rounded_box(a, R, h, style, max(1, round(R * math.pi / 2 / h)), rng)
    rot = mesh.frame_to(n) @ mesh.rot_z(rng.uniform(0, np.pi))
    stud = stud.moved(rot, p + n * 0.2 * (a[2] + R))
    truth = _edge_truth(stud.features[0], c, "generic")
    v, f, _ = mesh.concat([(model.vertices, model.faces, geo["vn"]), (stud.v, stud.f, stud.n)])
    return v, f, kw, [truth], {"kind": "stud", "R": R, "L": L, "style": style}, None


def _patch(rng, model, geo):
    """A spot flat enough for a patch, refined for a wavelength: (p, n, radius, lam, relief,
    v, f) or None."""
    for _ in range(3):  # a few spots before giving up on this host
        radius = geo["diag"] * rng.uniform(*PATCH_REL)
        spot = _spot(rng, geo, radius, True, False, model)
        if spot is None:
            continue
        p, n, _ = spot
        lam = radius / rng.uniform(*PATCH_WAVES)
        refined = _refine(model, p, n, radius, lam)
        if refined is not None:  # the relief of the surface as given: the refined host's
            return p, n, radius, lam, _host_relief(refined[0], p, n, radius), *refined
    return None


def _unless_hidden(ex: dict, clean: bool, lifted: dict) -> dict:
    """Where the host's own relief dominates the patch, the patch is not a defect anyone can
    be required to find (its verdicts are allowed, not required). Nor is the surface there one
    anyone can be required to pass: the truth knows the patch, not the host's relief under it,
    and the two add. `lifted` is the verdicts of the patch with the host's relief added to it
    (`_lift`); a pass stays required only where that still passes."""
    if clean:
        return ex
    return {k: ALLOW if v == FAIL or (v == PASS and lifted.get(k) != PASS) else v
            for k, v in ex.items()}


def _lift(relief: float, patch_rms: float) -> float:
    """Factor by which the host's relief (RMS height `relief`) can raise a reading of the patch
    (RMS height `patch_rms`): uncorrelated reliefs add in quadrature, and taken at the patch's
    own scale the host's slopes scale as its heights."""
    return math.sqrt(1.0 + (relief / patch_rms) ** 2)


def _texture(rng, model, geo):
    from miniscan.conditions import resolve

    spot = _patch(rng, model, geo)
    if spot is None:
        return None
    p, n, radius, lam, relief, v, f = spot
    # the eye's cutoff (2 r) within a factor of 2 of the wavelength, either side
    d = _distance_for_resolvable(lam / (2.0 * 2.0 ** rng.uniform(-1, 1)))
    material = str(rng.choice(["generic", "skin", "cloth", "stone", "wood"]))
    kw = {"profile": "tabletop", "distance": d, "material": material,
          "printer": str(rng.choice(["resin", "none"]))}
    c = resolve(**kw)
    a = logu(rng, 0.03, 1.5) * lam / (2 * math.pi)
    ang, ph = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
    k = 2 * np.pi / lam
    refined = v
    v = _displace_patch(v, f, p, n, radius, lam,
                        lambda x, y: a * np.sin(k * (x * math.cos(ang) + y * math.sin(ang)) + ph))
    clean = relief <= HOST_RELIEF * a / math.sqrt(2)
    seen = expect.disc_extent(radius, lam)  # the taper is lam (_displace_patch above)
    lifted = expect.ripple(lam, a * _lift(relief, a / math.sqrt(2)), c, material, seen)
    truth = Truth("ripple", _core(v, p, n, radius - lam), p, radius + c.glance_mm,
                  _unless_hidden(expect.ripple(lam, a, c, material, seen), clean, lifted),
                  {"wavelength_mm": lam, "amplitude_mm": a},
                  clean, {"wavelength_mm": lam, "amplitude_mm": a, "patch_mm": 2 * radius,
                          "host_relief_mm": relief})
    return v, f, kw, [truth], {"kind": "ripple", "lam": lam, "amp": a, "host_relief": relief}, \
        (refined, f)


def _specular(rng, model, geo):
    from miniscan.conditions import resolve

    spot = _patch(rng, model, geo)
    if spot is None:
        return None
    p, n, radius, lam, relief, v, f = spot
    d = _distance_for_resolvable(lam / logu(rng, 2.5, 8.0))
    kw = {"profile": "display", "distance": d,
          "finish": str(rng.choice(["matte", "satin", "gloss", "metal"]))}
    c = resolve(**kw)
    r = c.resolvable_mm
    theta = min(0.6, 0.5 * c.lobe_rad * 2.0 ** rng.uniform(-2, 2))
    span = math.sqrt(math.pi) * (radius - lam)  # a square of the core disc's area
    height, theta_band, b = _noise_waves(rng, lam, theta, r, band=True, span=span)
    refined = v
    v = _displace_patch(v, f, p, n, radius, lam, height)
    theta_mesh = _patch_mesh_angle(refined, v, f, p, n, r, span, radius)
    patch_rms = b * math.sqrt(NOISE_WAVES / 2)
    clean = relief <= HOST_RELIEF * patch_rms
    lifted = expect.noise(max(theta_band, theta_mesh) * _lift(relief, patch_rms), c)
    truth = Truth("noise", _core(v, p, n, radius - lam), p, radius + 2 * r,
                  _unless_hidden(expect.noise(theta_band, c, theta_mesh=theta_mesh), clean,
                                 lifted),
                  {"normal_variation_rad": theta_band}, clean,
                  {"wavelength_mm": lam, "theta_band_rad": theta_band,
                   "theta_mesh_rad": theta_mesh, "half_lobe_rad": 0.5 * c.lobe_rad,
                   "host_relief_mm": relief})
    return v, f, kw, [truth], {"kind": "noise", "lam": lam, "theta_band": theta_band,
                               "theta_mesh": theta_mesh, "host_relief": relief}, (refined, f)


def _patch_mesh_angle(refined, v, f, p, n, r, span, r_patch) -> float:
    """The band variation the refined host's facets carry of the patch (expect.mesh_band_angle):
    the patch's heights (each vertex's move along the host's form normal) over the host's faces
    laid flat in the tangent plane at p. The host's own relief is not in it (`_unless_hidden`
    covers that)."""
    t1, t2 = _tangent(n)
    d = refined - p
    z = ((v - refined) * _form_normals(refined, p, n, r_patch)).sum(axis=1)
    moved = np.abs(z) > 0
    faces = f[moved[f].any(axis=1)]
    local = np.column_stack([d @ t1, d @ t2, z])
    return expect.mesh_band_angle(local, faces, r, span)


def _silhouette(rng, model, geo):
    from miniscan import vision
    from miniscan.conditions import resolve

    glance = geo["diag"] * rng.uniform(0.01, 0.04)
    d = _ladder(glance / math.tan(6.0 * vision.ARCMIN))
    kw = {"profile": "tabletop", "distance": d}
    c = resolve(**kw)
    g = c.glance_mm
    for _ in range(10):  # the rod must stand out of the outline, not in front of the body
        spot = _spot(rng, geo, 0.02 * geo["diag"], False, True, model)
        if spot is None:
            return None
        p, n, _ = spot
        ln = g * rng.uniform(2.5, 6.0)
        if _outside_hull(geo, model, p + n * ln) >= OUTSIDE_HULL * ln and \
                _outline_share(model, p, n, ln) >= OUTSIDE_HULL:
            break
    else:
        return None
    w = expect.BAR_SURVIVES * g * 2.0 ** rng.uniform(-1.6, 1.6)
    sunk = 0.3 * ln
    rod = _rod(w, ln + sunk, rng).moved(mesh.frame_to(n), p - n * sunk)
    pts = p + np.outer(np.linspace(0, ln, 12), n)
    ex = {**expect.protrusion(w, c, geo["diag"]), "MS402": ALLOW}
    truth = Truth("protrusion", pts, p + n * ln / 2, ln / 2 + g, ex,
                  expect.width_due("protrusion_width_mm", w, ex), True,
                  {"width_mm": w, "length_mm": ln})
    v, f, _ = mesh.concat([(model.vertices, model.faces, geo["vn"]), (rod.v, rod.f, rod.n)])
    return v, f, kw, [truth], {"kind": "rod", "w": w, "length": ln}, None


def _thickness(rng, model, geo):
    from miniscan.conditions import resolve

    kw = {"profile": _profile(rng), "printer": str(rng.choice(["resin", "fdm"]))}
    c = resolve(**kw)
    m = c.printer.min_wall_mm
    # on the printed surface, open along its normal: a fin planted on a face inside another
    # body of an assembly (cad_cycloidal's 100 overlapping bodies) stands in a 1.2 mm gap
    # between two of them, held on both sides, no free-standing wall (thickness:c14002)
    spot = _spot(rng, geo, 0.02 * geo["diag"], False, True, model)
    if spot is None:
        return None
    p, n, _ = spot
    t = m * 2.0 ** rng.uniform(-1.6, 1.6)
    Lf, Hf = m * rng.uniform(4, 10), m * rng.uniform(3, 8)
    sunk = 0.3 * Hf
    fin = prims.rectilinear([((-t / 2, -Lf / 2, -sunk), (t / 2, Lf / 2, Hf))], min(t, Lf / 12),
                            str(rng.choice(mesh.STYLES)), rng)
    rot = mesh.frame_to(n) @ mesh.rot_z(rng.uniform(0, np.pi))
    fin = fin.moved(rot, p)
    s = np.linspace(0, 1, 6)
    S, T = np.meshgrid(s, s, indexing="ij")
    local = np.column_stack([np.zeros(S.size), (S.ravel() - 0.5) * Lf, T.ravel() * Hf])
    truth = Truth("wall", local @ rot.T + p, p + n * Hf / 2, max(Lf, Hf) / 2 + m,
                  expect.wall(t, c), {"thickness_mm": t}, True, {"thickness_mm": t})
    v, f, _ = mesh.concat([(model.vertices, model.faces, geo["vn"]), (fin.v, fin.f, fin.n)])
    return v, f, kw, [truth], {"kind": "fin", "t": t, "Lf": Lf, "Hf": Hf}, None


INJECTORS = {"edges": _edges, "texture": _texture, "specular": _specular,
             "silhouette": _silhouette, "thickness": _thickness}
