"""Specular noise (MS300-MS303): will highlights sparkle and jitter instead of gliding?

MS301 is geometric (analysis/normal_variation.py): band-pass normal variation per region,
judged on its interval (the facets as exported against the surface they stand for, over two
grid phases, and the error of reading this surface). MS302 ray-casts a light orbit
(analysis/orbit.py; no OpenGL) and judges
flicker and fragmentation over four readings (facets / smooth, two sampling phases). MS303
needs a finish map (conditions.part_finish). Method, intervals, thresholds: docs/specular.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import vision
from ..evidence import FAIL, PASS, UNDETERMINED, Evidence, verdict
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.specular import MS301, MS302, MS303

FAMILY = "specular"

MIN_REGION_PATCHES = 1.0  # a region must cover at least one 4r patch (pi (2r)^2); a body of
# fewer patch nodes (cells of (2 r)^2) than one patch holds is not failed: sparkle is a
# highlight breaking up over a patch the eye tells apart, and such a body's area is surface
# folded inside its cells (a rod or rim of radius about r, limit (f)), read alike on every
# grid (docs/specular.md, reading this surface)
# A region is read over its *body*: the connected nodes whose V lies no further below the
# region's level m than one node's own sampling spread, V >= (1 - 1 / sqrt(N_w)) m, where N_w
# is the count of independent deviations in one node's window (Gaussian of FWHM 4r: effective
# area 4 pi sigma^2, one deviation per patch node (2r)^2, the count sampling_share uses; 1 /
# sqrt(N) is its two-sigma share): N_w = 9.1, the body keeps V >= 0.67 m (m its RMS V). It
# reads the RMS deviation d over the body's own nodes (no window reaching past it). Read over the nodes
# above the limit instead, a region was the hot spots of its relief (a noise patch at 0.6 of
# the limit read 1.2-1.4x itself) or took in the margin where V falls to the limit (one at 3x
# the limit read 0.84x). Level and body are solved together, from the region's highest V, in
# at most BODY_PASSES fixed-point passes (they settle in two to four; a pass is vectorised).
BODY_PASSES = 8
# The seed nodes a body leaves out below its floor within this many rings of patch neighbours
# (a ring reaches one to two patch nodes, 2-4 r) are its margin, not another level: V is a
# window's RMS (FWHM 4 r) of a window's difference, so a body's relief reaches about two
# windows past its edge (with one ring, the noisy plate's fading edge became a region of its
# own, failing in one pose of the plate and not in another).
MARGIN_RINGS = 2
# MS302: a highlight blob smaller on average than this many resolvable pixels is a glint;
# several of them per frame (not one pin-point on a bead) make the highlight fragmented.
BLOB_PIXELS = 4.0
MIN_BLOBS_PER_FRAME = 2.0
CORE_PEAK = 230  # 0.9 of the peak: a glint's core, not a brush of the lobe's flank
# share of the highlight area that appears or vanishes (instead of gliding) per lamp step:
# a smooth glossy sphere 0.00, the noisy test plate under satin 0.10 and gloss 0.23
FLICKER_LIMIT = 0.05
STRONG_LOBE_RAD = 0.1  # gloss and metal: narrow lobes give strong highlights (MS303)
SPREAD_LIMIT = 0.5  # MS303 when more than half of the strong-highlight area is off-focus


# --- the family's picture data ---------------------------------------------------------------

@dataclass(frozen=True)
class OrbitStrip:
    frames: tuple  # uint8 (H, W) specular intensity per lamp position
    masks: tuple  # bool (H, W): highlight at >= half peak
    pixel_mm: float
    view: str
    coverage: np.ndarray = field(repr=False, default=None)  # bool (H, W) model footprint
    light_dirs: np.ndarray = field(repr=False, default=None)  # (steps, 3) towards the lamp


@dataclass(frozen=True)
class SpecularLayers(FamilyLayers):
    face_variation_deg: np.ndarray = field(repr=False)  # V per face (deg), NaN = no node
    face_limit_deg: np.ndarray = field(repr=False)  # phi / 2 of the face's finish (deg)
    orbit: OrbitStrip | None = None

    def face_layers(self) -> tuple[FaceLayer, ...]:
        ratio = self.face_variation_deg / self.face_limit_deg
        return (FaceLayer("specular-variation", self.face_variation_deg, "deg",
                          "normal variation the eye resolves (r to 4r)", "value",
                          note="sparkle where it exceeds half the finish's lobe"),
                FaceLayer("specular-ratio", ratio, "× limit",
                          "normal variation / what the finish hides", "value", clim=(0.0, 2.0),
                          note="above 1: highlights break into glitter"))


# --- MS301 -----------------------------------------------------------------------------------

def _deg(x) -> float:
    return float(np.degrees(x))


def _part_lobes(model, conditions) -> tuple[np.ndarray, list[str]]:
    """Lobe half-width of every part (per-part finishes), and the part finishes."""
    finishes = [conditions.finish_for(p) for p in model.part_names]
    return np.array([vision.FINISH_LOBE_RAD[f] for f in finishes]), finishes


def _components(nv, flagged: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of flagged nodes that are patch neighbours."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(flagged)
    ok = flagged[nv.pair_src] & flagged[nv.pair_dst]
    g = coo_matrix((np.ones(int(ok.sum())), (nv.pair_src[ok], nv.pair_dst[ok])), shape=(n, n))
    return connected_components(g, directed=False)


def sampling_share(nv, area_mm2: float) -> float:
    """Relative half-width (~2 sigma) of an RMS normal variation measured over this area: the
    band's variation is correlated over a patch node (2 r), so the area holds about
    (area + one patch) / (2 r)^2 independent deviations, and the RMS of n of them is uncertain
    by 1 / sqrt(n) at two sigma (a deviation's square is chi-square with two degrees of
    freedom, relative sigma 1; the root halves it)."""
    r = nv.band_mm[0]
    patch = math.pi * (2.0 * r) ** 2
    return 1.0 / math.sqrt(max((area_mm2 + patch) / (2.0 * r) ** 2, 1.0))


# MS301 claims this surface as meshed (what the eye sees, and the suite's truth), not the level
# of a random process it is one draw of: a body's interval is the first grid's smooth reading
# less, and the highest facet reading over the grid phases plus, the error of reading this
# surface's band angle -- the kernel's discretisation (where the footprint and patch voxels
# fall on the relief), measured per body from the first and shifted grids' readings cell by
# cell (normal_variation.phase_readings). READ_COVERAGE (two-sided) sets the Student-t factor
# on that estimate, with the body's effective count of cells as its degrees of freedom:
# 2.0-2.2 for bodies of 12-100 cells (docs/specular.md, "What MS301 claims").
READ_COVERAGE = 0.95
# A body the first grid passes even with SCREEN_SHARE / sqrt(cells) on its upper end is not
# read again (a second grid for every pass would cost a second kernel): 1 / sqrt(cells), 0.20
# at 25 cells, is 2-3x the reading error q measured on stationary relief (median 0.07-0.095 at
# 25 cells for slopes falling as 1/k and narrow bands, 0.11 for white, whose box leak reads
# high and so only narrows a pass's margin); a pass it gives is at most a missed finding.
SCREEN_SHARE = 1.0  # dimensionless: the former sampling share's count, a safe first bound


def screen_share(nv, area_mm2: float) -> float:
    """Relative allowance (2-3x the reading error q) on the first grid's reading of a body
    of this area, for passing it without a second grid: SCREEN_SHARE / sqrt(cells), a cell a
    patch node (2 r)^2."""
    r = nv.band_mm[0]
    return SCREEN_SHARE / math.sqrt(max(area_mm2 / (2.0 * r) ** 2, 1.0))


def reading_share(sigma_rel: float, dof: float) -> float:
    """Relative half-width at READ_COVERAGE of a body's reading of its own surface, from the
    per-cell estimate of its relative sigma (phase_readings) with `dof` degrees of freedom:
    Student's t quantile (at least one degree)."""
    from scipy.special import stdtrit

    return float(stdtrit(max(dof, 1.0), 0.5 + 0.5 * READ_COVERAGE)) * float(sigma_rel)


@dataclass(frozen=True)
class _Region:
    nodes: np.ndarray
    value: float  # RMS V (facets), rad
    lo: float
    hi: float
    limit: float  # area-weighted phi / 2 of its nodes, rad
    verdict: str
    why: str  # facets | phase | sampling (what keeps an undetermined region open)


def _region_nodes(nv, sel: np.ndarray, core: np.ndarray) -> np.ndarray:
    """The nodes a region is judged on: its nodes above the limit if it has any, else all."""
    return np.flatnonzero(sel & core) if (sel & core).any() else np.flatnonzero(sel)


def body_floor(nv) -> float:
    """Share of a region's level m below which a node is not part of its body: one minus the
    two-sigma sampling share of one node's window (BODY_PASSES comment)."""
    from ..analysis.normal_variation import FWHM_TO_SIGMA

    r = nv.band_mm[0]
    s4 = 4.0 * r * FWHM_TO_SIGMA
    return 1.0 - 1.0 / math.sqrt(4.0 * math.pi * s4 * s4 / (2.0 * r) ** 2)


def _reach(nv, csr, start: np.ndarray, inside, mark: np.ndarray, tag: int) -> np.ndarray:
    """Sorted node ids reached from `start` through patch neighbours for which `inside`
    (node ids -> bool) holds: a breadth-first sweep, one vectorised step per ring of
    neighbours, touching only the body and its rim (`csr`: the neighbour pairs grouped by
    node; `mark`: a per-node scratch array, `tag` unique to this sweep)."""
    from ..analysis.normal_variation import _gather

    order, starts = csr
    mark[start] = tag
    out, front = [start], start
    while len(front):  # rings of neighbours, not nodes
        nb = np.unique(nv.pair_dst[_gather(order, starts, front)])
        nb = nb[mark[nb] != tag]
        nb = nb[inside(nb)]
        mark[nb] = tag
        out.append(nb)
        front = nb
    return np.sort(np.concatenate(out))


def _grow(nv, csr, seed: np.ndarray, free: np.ndarray, lim: float, limit: np.ndarray,
          m: float, mark: np.ndarray, tags, top: int | None = None) -> tuple[np.ndarray, float]:
    """(body, level): the free nodes of the seed's finish (`limit` == lim) connected to the
    seed through nodes of V >= body_floor * m, m the body's level of V (its area-weighted RMS
    V: the floor is a scatter of V about its own level; compared with the RMS d, which a rim
    node's window does not dilute, the floor rose and shrank a patch on a noisy host to its
    hot spots, 1.2x), solved from the level given in at most BODY_PASSES passes. Grown from
    every seed node above the floor, or from the `top` node alone when given (one connected
    piece)."""
    V, a, f = nv.variation_rad, nv.areas, body_floor(nv)
    roots = seed if top is None else np.array([top])
    body = roots
    for _ in range(BODY_PASSES):  # a few passes, each vectorised
        floor = f * m

        def inside(n, floor=floor):
            return free[n] & (V[n] >= floor) & (limit[n] == lim)

        start = roots[inside(roots)]
        if not len(start):
            break
        grown = _reach(nv, csr, start, inside, mark, next(tags))
        if np.array_equal(grown, body):
            break
        body = grown
        m = float(np.sqrt(np.average(V[body] ** 2, weights=a[body])))
    return body, m


def _bodies(nv, seeds: list[np.ndarray], min_area: float, limit: np.ndarray) -> list[np.ndarray]:
    """The body of every region (patch-node ids; `seeds`: each region's nodes above the
    limit), strongest first, each read from its strongest relief down: grown from the level
    of its highest V, so that a patch of noise whose region above the limit reaches a host's
    own milder variation is read at the patch's level, not averaged into the host's; from the
    seed's RMS V when that strongest relief covers less than `min_area` (a spike). A body is
    one connected level (the pieces above its floor joined through its top's own: gathered
    from every piece at once, a body joined the boar's hottest fold, V 0.34, to a noise patch
    at 0.17 20 mm away, its level drifting down with each piece it took in). The seed nodes it
    leaves out below its floor within two patch-neighbour rings of it are its margin (where
    its relief fades to the limit: V is a window's RMS of a window's difference, so a body's
    relief reaches about two windows past its edge); the others -- above its floor yet not
    connected to it, or beyond that reach -- are another level of the region (a patch beside
    a hot fold, a milder patch beside a stronger one) and seed a body of their own, judged in
    its own right (they were dropped as margin, never judged). A body seeded past the reach
    keeps its pieces together and leaves the rest as margin (split again, a noisy sculpt's
    surface fell into hundreds of bodies: 47 % of the suite's verdicts open, 2-3x the time).
    Bodies do not overlap: a seed an earlier body took is that region. A body keeps to the
    finish of its seed (`limit` per node): a part of another finish is another highlight, and
    a glossy arm's region grown over a matte torso was judged against the torso's limit."""
    import heapq
    from itertools import count

    from ..analysis.normal_variation import _csr, _gather

    V, a, f = nv.variation_rad, nv.areas, body_floor(nv)
    free, reach = np.ones(len(a), bool), np.zeros(len(a), bool)
    csr = _csr(nv.pair_src, len(a))
    mark, tags = np.zeros(len(a), np.int64), count(1)
    out = []
    # one seed per finish of a region (a handful of finishes); strongest first: a milder
    # region grown first would take in a stronger one it reaches
    heap = [(-float(V[n].max()), int(n[0]), n, False) for s in seeds
            for x in np.unique(limit[s]) for n in [s[limit[s] == x]]]
    heapq.heapify(heap)
    while heap:  # one pass per body (the regions' levels), vectorised inside
        _, _, seed, beyond = heapq.heappop(heap)
        seed = seed[free[seed]]
        if not len(seed):  # an earlier body took it: the same region
            continue
        top, lim = int(seed[np.argmax(V[seed])]), limit[seed[0]]
        body, m = _grow(nv, csr, seed, free, lim, limit, float(V[top]), mark, tags)
        if a[body].sum() < min_area:
            body, m = _grow(nv, csr, seed, free, lim, limit,
                            float(np.sqrt(np.average(V[seed] ** 2, weights=a[seed]))), mark, tags)
        if not beyond:  # the pieces above its level joined through the top's own
            body, m = _grow(nv, csr, seed, free, lim, limit, m, mark, tags, top=top)
        free[body] = False
        out.append(body)
        if beyond:  # a milder level beyond a body's reach: what it leaves out is its margin
            continue
        near = body
        for _ in range(MARGIN_RINGS):  # two rings of neighbours
            near = np.unique(nv.pair_dst[_gather(*csr, near)])
        reach[near] = True
        left = free[seed]
        for rest, b in ((seed[left & (V[seed] >= f * m)], False),
                        (seed[left & (V[seed] < f * m) & ~reach[seed]], True)):
            if len(rest):  # another level of the same region
                heapq.heappush(heap, (-float(V[rest].max()), int(rest[0]), rest, b))
        reach[near] = False
    return out


def _readings(nv, nodes: np.ndarray, limit: np.ndarray) -> tuple[float, float, float, float]:
    """(V facets, V smooth, screening share s, limit) of a region: area-weighted over its
    nodes."""
    w = nv.areas[nodes]
    v = float(np.sqrt(np.average(nv.deviation_rad[nodes] ** 2, weights=w)))
    vs = float(np.sqrt(np.average(nv.smooth_deviation_rad[nodes] ** 2, weights=w)))
    return v, vs, screen_share(nv, float(w.sum())), float(np.average(limit[nodes], weights=w))


def phased_interval(v: float, vs: float, phased, tent=None) -> tuple[float, float, float]:
    """(lo, hi, q) of a body read at the other grid phases (`phased`: a row of
    normal_variation.phase_readings) and, where given (a body the box fails), with the tent
    footprint (`tent`: a row of normal_variation.tent_readings): [the first grid's smooth
    reading, or the tent's where lower, (1 - q), the highest facet reading over the grids and
    footprints (1 + q)], q the error of reading this surface (reading_share). The box and the
    tent are two
    discretisations of the eye's Gaussian footprint; relief finer than r leaks through the
    box's side lobes ~5x more than through the tent's (docs/specular.md limit (d)), so where
    they disagree the surface is not read closer than both."""
    q = reading_share(float(phased[2]), float(phased[3]))
    lo, hi = vs, max(v, float(phased[1]))
    if tent is not None:
        lo, hi = min(lo, float(tent[1])), max(hi, float(tent[0]))
    return lo * max(1.0 - q, 0.0), hi * (1.0 + q), q


def _failed_by_box(nodes, v, vs, thr, phased) -> bool:
    """Whether the box footprint's interval alone fails this body: only then is the tent read
    (a fail is a claim the box's leak can make and the tent's reading must share; a pass's
    upper end is the box's, whose low reading of relief at 2.5-3 r the shifted grid holds)."""
    lo, _, _ = phased_interval(v, vs, phased)
    return not _tiny(nodes) and lo >= thr


def _tiny(nodes) -> bool:
    """Fewer cells than one patch: no sparkle claim (a rod's or rim's fold)."""
    return len(nodes) < MIN_REGION_PATCHES * math.pi


def _judge_region(nodes, v, vs, s, thr, phased, ev, tent=None) -> _Region:
    """A body the first grid passes with the screening share s (`phased` None): [vs (1 - s),
    v (1 + s)]. Otherwise, read on the shifted grid too (`phased`: smooth low, facets high,
    the first grid's relative sigma and its effective cells; `tent`, the tent footprint's
    reading where it was taken): phased_interval (docs/specular.md: the lower end is the first
    grid's, whose low draws q measures, or the tent footprint's where that reads lower; the
    upper takes the other grid too, holding the kernel's low reading of relief at 2.5-3 r,
    which q does not)."""
    if phased is None:
        lo, hi = vs * (1.0 - s), v * (1.0 + s)
        return _Region(nodes, v, lo, hi, thr, ev.judge(MS301, lo, hi, thr), "sampling")
    lo, hi, q = phased_interval(v, vs, phased, tent)
    tiny = _tiny(nodes)
    if tiny:
        lo = min(lo, thr)
    vd = ev.judge(MS301, lo, hi, thr)
    # what keeps it open: the facets when the smooth surface they stand for passes, or when
    # the facets alone fail; the grid's phase when the first grid alone passes it; else the
    # body is too small (for a sparkle claim, or to read it closer to the limit)
    if not tiny and (verdict(vs * (1.0 - q), vs * (1.0 + q), thr, "above") == PASS
                     or verdict(v * (1.0 - q), v * (1.0 + q), thr, "above") == FAIL):
        return _Region(nodes, v, lo, hi, thr, vd, "facets")
    if not tiny and v * (1.0 + q) < thr:
        return _Region(nodes, v, lo, hi, thr, vd, "phase")
    return _Region(nodes, v, lo, hi, thr, vd, "sampling")


def _ms301_finding(model, conditions, nv, reg: _Region, face_part, finishes, total) -> Finding:
    r_eff = nv.band_mm[0]
    w = nv.areas[reg.nodes]
    cen = tuple(float(x) for x in np.average(nv.positions[reg.nodes], axis=0, weights=w))
    order = np.argsort(-nv.variation_rad[reg.nodes], kind="stable")
    faces = tuple(int(f) for f in dict.fromkeys(nv.faces[reg.nodes][order].tolist()))[:5]
    fin = finishes[int(np.bincount(face_part[nv.faces[reg.nodes]]).argmax())]
    carry = [f for f, phi in vision.FINISH_LOBE_RAD.items() if reg.hi <= 0.5 * phi]
    return Finding(
        MS301.code,
        f"highlights will sparkle over {w.sum():.3g} mm² ({100 * w.sum() / total:.2g}% of the "
        f"surface): normals vary {_deg(reg.value):.3g}° between {r_eff:.3g} and "
        f"{4 * r_eff:.3g} mm, more than the {fin} finish hides ({_deg(reg.limit):.3g}°)",
        measured=_deg(reg.value), measured_range=(_deg(reg.lo), _deg(reg.hi)),
        threshold=_deg(reg.limit), unit="deg", location=Location(cen, faces=faces),
        advice=("smooth this area at about the resolvable size (a light smooth or remesh pass "
                f"of ~{2 * r_eff:.2g} mm)" + (f", or give it a {carry[0]} finish" if carry else "")
                + "; scan noise and tool marks read as glitter under a lamp"))


def _settle_301(why: str, nv) -> str:
    r = nv.band_mm[0]
    if why == "phase":
        return ("the variation is within what shifting the measuring grid by part of a patch "
                "moves it; look at these places under a lamp, or at the orbit strip")
    if why == "facets":
        return (f"the surface's facets are wider than the {r:.2g} mm the eye resolves, so the "
                f"variation may be the export's, not the sculpt's; export at edges of "
                f"{r:.2g} mm or less")
    return ("the noisy patches are too small to measure their variation precisely against "
            "the finish's limit; look at them under a lamp, or at the orbit strip")


def _ms301(model, conditions, nv, node_lobe, face_part, finishes, ev):
    from ..analysis import normal_variation

    r_eff = nv.band_mm[0]
    area, total = nv.areas, float(nv.areas.sum()) or 1.0
    limit = 0.5 * node_lobe
    core = nv.variation_rad > limit
    cand = nv.variation_rad * (1.0 + sampling_share(nv, 0.0)) > limit
    ncomp, labels = _components(nv, cand)
    lab = np.where(cand, labels, -1)
    reg_area = np.bincount(lab[cand], weights=area[cand], minlength=ncomp)
    big = np.flatnonzero(reg_area >= MIN_REGION_PATCHES * math.pi * (2.0 * r_eff) ** 2)
    first_node = np.full(ncomp, len(lab))  # deterministic order: largest first, then node id
    np.minimum.at(first_node, lab[cand], np.flatnonzero(cand))
    big = big[np.lexsort((first_node[big], -reg_area[big]))]
    findings, measurements, failed, unsure = [], [], np.zeros(len(area), bool), np.zeros(len(area), bool)
    nodes = _bodies(nv, [_region_nodes(nv, lab == c, core) for c in big],
                    MIN_REGION_PATCHES * math.pi * (2.0 * r_eff) ** 2, limit)
    # a crease between planes larger than a patch is a designed form (the edges family's),
    # not noise: such a region is not judged (normal_variation.designed_form)
    form = normal_variation.designed_form(nv, nodes)
    nodes = [n for n, f in zip(nodes, form) if not f]
    read = [_readings(nv, n, limit) for n in nodes]
    # every body the first grid does not pass with the screening share is read at the other
    # grid phases too: its error of reading this surface is measured from the two grids, and a
    # sparkle verdict one arbitrary grid gives and another does not is open (a pass is left:
    # reading every pass costs a second kernel on a sculpt at display distance, and a pass
    # another grid would fail is at worst a missed finding); a body on smooth pieces between
    # creases (a CAD part's chamfers, a low-poly body's panels) is read piece by piece, on
    # both grids (_piecewise: the creases narrower than the voxels are form, not variation)
    decided = [k for k, (v, vs, s, thr) in enumerate(read) if v * (1.0 + s) >= thr]
    phased, piece = _piecewise(nv, nodes, decided, read)
    pieced = set(phased)
    plain = [k for k in decided if k not in phased]
    phased.update(zip(plain, normal_variation.phase_readings(nv, [nodes[k] for k in plain])))
    decided = [k for k in decided if read[k][0] * (1.0 + read[k][2]) >= read[k][3]]
    phased = {k: phased[k] for k in decided}
    tents = _tent_rows(nv, nodes, read, phased, pieced, piece)
    for k, n in enumerate(nodes):
        reg = _judge_region(n, *read[k], phased.get(k), ev, tents.get(k))
        cen = tuple(float(x) for x in np.average(nv.positions[reg.nodes], axis=0,
                                                 weights=area[reg.nodes]))
        # (its faces: one per node of the body, every cell it was read over; a body of a
        # scan's failing surface spans up to 100 mm, and where a region is cut into bodies
        # depends on where its strongest relief lies, so its centre says little of what it
        # covers: specular:c84012, docs/accuracy.md)
        measurements.append(Measurement("normal_variation_rad", reg.value, reg.lo, reg.hi, cen,
                                        code=MS301.code, verdict=reg.verdict,
                                        faces=tuple(np.unique(nv.faces[reg.nodes]).tolist())))
        if reg.verdict == UNDETERMINED:
            ev.unsure(f"301-{reg.why}", _settle_301(reg.why, nv))
            unsure[reg.nodes] = True
        elif reg.verdict == FAIL:
            failed[reg.nodes] = True
            findings.append(_ms301_finding(model, conditions, nv, reg, face_part, finishes, total))
    metrics = _ms301_metrics(nv, core, total, len(nodes))
    return findings, measurements, metrics, failed, unsure


def _piecewise(nv, nodes, decided, read) -> tuple[dict, np.ndarray | None]:
    """The bodies in `decided` whose points all lie on smooth pieces at least a patch large,
    more than one (normal_variation.on_pieces: a CAD part's chamfers and bevels, a low-poly
    body's panels), read piece by piece on both grids: their first-grid readings in `read`
    are replaced by the piece-wise ones, and the phase readings are returned per body."""
    from ..analysis import normal_variation

    ok, piece = normal_variation.on_pieces(nv, [nodes[k] for k in decided])
    ks = [k for k, o in zip(decided, ok) if o]
    if not ks:
        return {}, piece
    rows = normal_variation.phase_readings(nv, [nodes[k] for k in ks], piece)
    for k, row in zip(ks, rows):
        read[k] = (float(row[4]), float(row[5]), *read[k][2:])
    return dict(zip(ks, rows)), piece


def _tent_rows(nv, nodes, read, phased, pieced, piece) -> dict:
    """The tent footprint's readings (normal_variation.tent_readings) of the bodies the box's
    interval fails (_failed_by_box), piece by piece for the bodies in `pieced`, as their phase
    readings were: a clean model pays nothing for them."""
    from ..analysis import normal_variation

    want = [k for k in phased if _failed_by_box(nodes[k], read[k][0], read[k][1],
                                                read[k][3], phased[k])]
    out = {}
    for ks, pc in (([k for k in want if k in pieced], piece),
                   ([k for k in want if k not in pieced], None)):
        if ks:
            out.update(zip(ks, normal_variation.tent_readings(nv, [nodes[k] for k in ks], pc)))
    return out


def _ms301_metrics(nv, core, total, n_regions) -> dict:
    area = nv.areas
    per_finish = {f: float(area[nv.variation_rad > 0.5 * phi].sum()) / total
                  for f, phi in vision.FINISH_LOBE_RAD.items()}
    w = area / total
    order = np.argsort(nv.variation_rad, kind="stable")
    cum = np.cumsum(w[order])
    pct = {f"p{q}": _deg(nv.variation_rad[order][min(len(order) - 1,
                                                      int(np.searchsorted(cum, q / 100.0)))])
           for q in (50, 90, 99)} if len(order) else {}
    return {
        "band_mm": [nv.band_mm[0], nv.band_mm[1]], "band_coarsened": nv.coarsened,
        "nodes": int(len(area)),
        "noisy_area_share": float(area[core].sum()) / total,
        "noisy_area_mm2": float(area[core].sum()),
        "per_finish_noisy_share": per_finish,
        "variation_deg": pct,
        "faceted_share": nv.faceted_share,
        "toksvig_mean": float(np.average(nv.toksvig, weights=area)) if len(area) else 1.0,
        "regions": int(n_regions),
    }


# --- MS302 -----------------------------------------------------------------------------------

def _flicker(labels, grown) -> list[float]:
    """Share of the highlight that jumps instead of gliding, per consecutive pair of frames.

    The lamp moves half a lobe per step, so a smooth surface's highlight moves by less than
    its own size: every blob of the new frame touches last frame's highlight (allowing one
    pixel). A blob that touches nothing appeared out of nowhere (a glint switched on); one of
    the old frame that the new frame does not touch vanished. flicker = (appeared + vanished
    area) / (both frames' highlight area).
    """
    def lonely(lab, k, other_grown):
        if not k:
            return 0
        touch = np.zeros(k + 1, dtype=bool)
        touch[lab[other_grown & (lab > 0)]] = True
        sizes = np.bincount(lab.ravel(), minlength=k + 1)
        return int(sizes[1:][~touch[1:]].sum())

    out = []
    for i in range(len(labels)):
        (la, ka), (lb, kb) = labels[i - 1], labels[i]
        tot = int((la > 0).sum()) + int((lb > 0).sum())
        if tot:
            out.append((lonely(lb, kb, grown[i - 1]) + lonely(la, ka, grown[i])) / tot)
    return out


def measure_frames(frames: np.ndarray, pixel_mm: float) -> dict:
    """Glints (fragments per cm² of highlight, per frame) and flicker of one frame stack."""
    from scipy import ndimage

    from ..analysis.orbit import HALF_PEAK
    from ..raster import grow8

    eight = np.ones((3, 3), dtype=bool)
    masks = frames >= HALF_PEAK
    ys, xs = np.nonzero(masks.any(axis=0))  # work inside the box every highlight falls in
    box = (slice(max(0, ys.min() - 2), ys.max() + 3), slice(max(0, xs.min() - 2), xs.max() + 3)) \
        if len(ys) else (slice(0, 1), slice(0, 1))
    blobs, areas, labels, grown = [], [], [], []
    for frame, mask in zip(frames, masks):
        f, mk = frame[box], mask[box]
        lab, n = ndimage.label(mk, structure=eight)
        labels.append((lab, n))
        grown.append(grow8(mk))  # ndimage.binary_dilation(mk, eight), faster
        keep = np.zeros(n + 1, dtype=bool)  # a glint counts when it reaches near the peak
        keep[lab[f >= CORE_PEAK]] = True
        keep[0] = False
        blobs.append(int(keep.sum()))
        areas.append(int(keep[lab].sum()))
    flick = _flicker(labels, grown)
    px2_cm2 = (pixel_mm ** 2) / 100.0
    hl_cm2 = sum(areas) * px2_cm2
    return {"fragments_per_cm2": sum(blobs) / hl_cm2 if hl_cm2 > 0 else 0.0,
            "blobs_per_frame_mean": float(np.mean(blobs)) if blobs else 0.0,
            "flicker": float(np.mean(flick)) if flick else 0.0,
            "per_frame_flicker": flick, "per_frame_blobs": blobs,
            "per_frame_highlight_px": areas}


def _orbit_verdict(m: dict, ranges: dict) -> str:
    """Jitter = flicker above its limit while the highlight is fragmented (small glints, at
    least two a frame): fail when every reading says so, pass when one condition is clear."""
    f_lo, f_hi = ranges["flicker"]
    g_lo, g_hi = ranges["fragments_per_cm2"]
    b_lo, b_hi = ranges["blobs_per_frame_mean"]
    lim = m["fragments_per_cm2_limit"]
    if f_lo > FLICKER_LIMIT and g_lo > lim and b_lo >= MIN_BLOBS_PER_FRAME:
        return FAIL
    if f_hi <= FLICKER_LIMIT or g_hi <= lim or b_hi < MIN_BLOBS_PER_FRAME:
        return PASS
    return UNDETERMINED


def _ms302(analysis, conditions, face_lobe, ev):
    from .. import raster
    from ..analysis import orbit

    rast = raster.for_analysis(analysis, raster.cell_for(conditions))
    o = orbit.light_orbit(rast, face_lobe, conditions.resolvable_mm, conditions.distance_mm,
                          conditions.front)
    readings = {k: measure_frames(v, o.pixel_mm) for k, v in o.variants.items()}
    m = dict(readings[("smooth", 0.0)])
    keys = ("fragments_per_cm2", "blobs_per_frame_mean", "flicker")
    ranges = {k: (min(x[k] for x in readings.values()), max(x[k] for x in readings.values()))
              for k in keys}
    m.update({"status": "ok", "frames": len(o.frames), "pixel_mm": o.pixel_mm, "view": o.view,
              "cone_deg": o.cone_deg, "image_px": [int(o.coverage.shape[1]), int(o.coverage.shape[0])],
              "model_px": o.model_pixels, "flicker_limit": FLICKER_LIMIT,
              "fragments_per_cm2_limit": 1.0 / (BLOB_PIXELS * (o.pixel_mm ** 2) / 100.0),
              "ranges": {k: list(v) for k, v in ranges.items()},
              "raster": {"faces": rast.n_faces, "cell_mm": rast.cell_mm}})
    m["fragmented"] = bool(m["fragments_per_cm2"] > m["fragments_per_cm2_limit"]
                           and m["blobs_per_frame_mean"] >= MIN_BLOBS_PER_FRAME)
    m["flickers"] = bool(m["flicker"] > FLICKER_LIMIT)
    v = _orbit_verdict(m, ranges)
    ev.count(MS302, v)
    facets = _orbit_verdict(m, {k: (min(readings[("smooth", p)][k] for p in (0.0, 0.5)),) * 2
                                for k in keys}) != FAIL
    if v == UNDETERMINED:
        ev.unsure("302-facets" if facets else "302-sampling", _settle_302(facets, conditions))
    meas = Measurement("flicker_share", m["flicker"], *ranges["flicker"], None, code=MS302.code,
                       verdict=v)
    findings = [_ms302_finding(m, ranges, o)] if v == FAIL else []
    return findings, m, o, meas


def _settle_302(facets: bool, c) -> str:
    if facets:
        return (f"the highlight jitters on the mesh's facets but glides on the smooth surface "
                f"they stand for; export at edges of {c.resolvable_mm:.2g} mm or less")
    return "the jitter measures are within what a half-pixel shift of the eye's grid moves them"


def _ms302_finding(m, ranges, o) -> Finding:
    return Finding(
        MS302.code,
        f"under one moving lamp {100 * m['flicker']:.2g}% of the highlight jumps from step to "
        f"step instead of gliding (limit {100 * FLICKER_LIMIT:.2g}%), broken into "
        f"{m['blobs_per_frame_mean']:.3g} glints per frame ({m['fragments_per_cm2']:.3g} per cm² "
        f"of highlight, limit {m['fragments_per_cm2_limit']:.3g})",
        measured=m["flicker"], measured_range=ranges["flicker"], threshold=FLICKER_LIMIT,
        unit="share", location=Location(view=o.view),
        advice="smooth the surface where MS301 points, or choose a less glossy finish; "
               "the orbit strip shows where the glints are")


# --- MS303 -----------------------------------------------------------------------------------

def _ms303(model, conditions, nv, node_lobe, failed, unsure, face_part, ev):
    if not conditions.part_finish:
        return [], {"status": "not-run", "reason": "no finish map (--part-finish) given"}
    from fnmatch import fnmatchcase

    focal_parts = [i for i, p in enumerate(model.part_names)
                   if any(fnmatchcase(p, pat) and vision.FINISH_LOBE_RAD[v] <= STRONG_LOBE_RAD
                          for pat, v in conditions.part_finish)]
    focal = np.isin(face_part[nv.faces], focal_parts)
    area = nv.areas

    def share(strong):
        s = float(area[strong].sum())
        return (float(area[strong & ~focal].sum()) / s if s > 0 else 0.0), s

    glossy = node_lobe <= STRONG_LOBE_RAD
    (s_fail, strong_a), (s_all, _) = share(glossy | failed), share(glossy | failed | unsure)
    lo, hi = min(s_fail, s_all), max(s_fail, s_all)
    m = {"status": "ok", "focal_parts": [model.part_names[i] for i in focal_parts],
         "strong_highlight_mm2": strong_a,
         "outside_focal_mm2": float(area[(glossy | failed) & ~focal].sum()),
         "outside_focal_share": s_fail, "outside_focal_range": [lo, hi], "limit": SPREAD_LIMIT}
    if strong_a <= 0 or ev.judge(MS303, lo, hi, SPREAD_LIMIT) != FAIL:
        return [], m
    sel = (glossy | failed) & ~focal
    cen = tuple(float(x) for x in np.average(nv.positions[sel], axis=0, weights=area[sel]))
    names = sorted({model.part_names[i] for i in np.unique(face_part[nv.faces[sel]]).tolist()})
    return [Finding(
        MS303.code,
        f"{100 * s_fail:.2g}% of the strong-highlight area ({m['outside_focal_mm2']:.3g} mm²) "
        f"lies outside the focal parts ({', '.join(m['focal_parts']) or 'none declared glossy'}), "
        f"on {', '.join(names[:4])}{' ...' if len(names) > 4 else ''}",
        measured=s_fail, measured_range=(lo, hi), threshold=SPREAD_LIMIT, unit="share",
        location=Location(cen, faces=tuple(int(f) for f in nv.faces[sel][:5])),
        advice="keep gloss for the focal points (eyes, blades, gems); give the rest a satin "
               "or matte finish, or smooth the glinting areas")], m


# --- the run ---------------------------------------------------------------------------------

def run(model, conditions, analysis) -> CheckResult:
    from ..analysis import normal_variation

    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "the model has no faces")
    ev = Evidence(FAMILY)
    nv = normal_variation.for_analysis(analysis, conditions.resolvable_mm)
    part_lobe, finishes = _part_lobes(model, conditions)
    face_part = model.face_part()
    node_lobe = part_lobe[face_part[nv.faces]]
    f301, m301, metrics, failed, unsure = _ms301(model, conditions, nv, node_lobe, face_part,
                                                 finishes, ev)
    f302, m302, o, meas302 = _ms302(analysis, conditions, part_lobe[face_part], ev)
    f303, m303 = _ms303(model, conditions, nv, node_lobe, failed, unsure, face_part, ev)
    metrics["orbit"] = m302
    metrics["fragments_per_cm2"] = m302["fragments_per_cm2"]
    metrics["flicker"] = m302["flicker"]
    metrics["gloss_spread"] = m303
    metrics["verdicts"] = ev.metrics()
    layers = _layers(model, nv, part_lobe[face_part], o)
    findings = tuple(f301 + f302 + f303) + ev.findings()
    return CheckResult(FAMILY, "ok", None, metrics, findings, layers=layers,
                       measurements=tuple(m301) + (meas302,))


def _layers(model, nv, face_lobe, o) -> SpecularLayers:
    fv = np.full(model.n_faces, np.nan)
    has = nv.face_node >= 0
    fv[has] = np.degrees(nv.variation_rad[nv.face_node[has]])
    strip = OrbitStrip(tuple(o.frames), tuple(o.masks), o.pixel_mm, o.view, o.coverage,
                       o.light_dirs)
    return SpecularLayers(fv, np.degrees(0.5 * face_lobe), strip)


