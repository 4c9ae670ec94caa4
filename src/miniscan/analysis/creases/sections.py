"""Steps 3-6 for a batch of stations: walk the sections, read each profile's band, radius and
flanks, and walk again the stations whose band or flank reached past the first walk."""

from __future__ import annotations

import numpy as np

from .band import _band, _band_between, _band_levels, _band_ramp
from .common import AXIS_COS, FLANK_RATIO, _sym6
from .flanks import _reading
from .radius import _radius
from .stations import MAX_STATIONS, _Profile, _profile_arrays, _walk_sections


MAX_CROSSINGS_AGAIN = 192  # ... when a station is walked again (its band or flank was wider
# than the first walk saw): a fillet of 50+ rows on an irregular mesh (two crossings a row)
OBLIQUE_MIN_FACES = 3  # a band's own crease direction is read from this many of its faces or
# more (_oblique): two faces' normals give an axis whatever they are, and a face twisted across
# a one-row rim (an isotropic mesh's) puts it 20-40 degrees off the rim (edges:44017's 0.127 mm
# rims, read right by sections 25-40 degrees off it); over slice 44000's truth edges, two-face
# sections off by more than 35 degrees read as well as the others (13 % vs 12 % off by half)
REWALK_WIDTHS = 2.5  # a section walked again goes this many measured band widths each way
# (the band's far edge is at most one width away, and its flank is read one width further)


def _measure(analysis, st, eye, turn_min, read=None):
    """_measure_batch over the stations MAX_STATIONS at a time (the walk's arrays are per
    station and crossing: a huge scan's thousands of chains are walked in turn, never cut at
    fewer sections for being many)."""
    n = len(st["p"])
    if n <= MAX_STATIONS:
        return _measure_batch(analysis, st, eye, turn_min, read)
    parts = [_measure_batch(analysis, {k: v[i:i + MAX_STATIONS] for k, v in st.items()}, eye,
                            turn_min, read) for i in range(0, n, MAX_STATIONS)]
    out = {k: np.concatenate([q[k] for q in parts]) for k in parts[0] if k != "band_faces"}
    at = range(0, n, MAX_STATIONS)  # (each batch's first station)
    out["band_faces"] = (np.concatenate([q["band_faces"][0] + i for i, q in zip(at, parts)]),
                         np.concatenate([q["band_faces"][1] for q in parts]))
    return out


def _measure_batch(analysis, st, eye, turn_min, read=None):
    """Walk and read every station's section (`read`: _read_profiles, or _read_hard); where
    a band turned out wider than the walk could show with its flanks (a fillet of a few chords
    on a finer mesh), walk that station again, far enough to see them."""
    prof = _walk_and_read(analysis, st, eye, turn_min, read or _read_profiles)
    # an oblique section found its chain's band (it counts towards the chain's existence,
    # chains._keep), but its reading is no reading of it
    prof["oblique"] = _oblique(analysis, st["a"], prof["band_faces"]) & prof["ok"]
    prof["ok"] &= ~prof["oblique"]
    return prof


def _walk_and_read(analysis, st, eye, turn_min, read):
    """_measure_batch's walks and readings (the first walk, then the stations walked again)."""
    walk = _walk_sections(analysis, st["p"], st["a"], st["f"], st["reach"])
    prof = read(analysis, walk, st, eye, turn_min)
    unseen, form_walk = prof.pop("unseen"), prof.pop("form_walk")
    cut = prof.pop("cut")
    # a band that ran to the end of a walk its crossing budget stopped (walker side 1 is the
    # profile's left) is unseen too: a fillet of more chords than the budget
    S = len(st["p"])
    budget = walk.face[:, -1] >= 0
    unseen = unseen | (cut & np.stack([budget[S:], budget[:S]], axis=1)).any(axis=1)
    again = np.flatnonzero(unseen | (form_walk > 0))
    if len(again) == 0:
        return prof
    sub = {k: v[again] for k, v in st.items()}
    # as far as its flanks' form test reads them too (three radii beyond the band); a
    # station walked again for that alone saw its band and flanks: that far is enough
    need = np.fmax(REWALK_WIDTHS * prof["width"][again], form_walk[again]) + 2.0 * eye
    sub["reach"] = np.where(unseen[again], np.fmax(sub["reach"], need), need)
    walk = _walk_sections(analysis, sub["p"], sub["a"], sub["f"], sub["reach"],
                          MAX_CROSSINGS_AGAIN)
    redo = read(analysis, walk, sub, eye, turn_min)
    for k in ("unseen", "cut", "form_walk"):
        redo.pop(k)
    keep = ~np.isin(prof["band_faces"][0], again)
    for k, v in redo.items():
        if k != "band_faces":
            prof[k][again] = v
    prof["band_faces"] = (np.r_[prof["band_faces"][0][keep], again[redo["band_faces"][0]]],
                          np.r_[prof["band_faces"][1][keep], redo["band_faces"][1]])
    return prof


def _oblique(analysis, a, band_faces) -> np.ndarray:
    """Per station: whether its section crossed its band's own crease more than AXIS_COS
    off square. The band's faces' normals turn about that crease: it is the direction they
    lie square to, the least eigenvector of their sum of n n^T (exact for a fillet's faces
    however the section cut them; a hard crease's two faces give their edge). A section cut
    obliquely reads the band 1 / cos wider and its turn foreshortened: over the truth suite's
    edges (slice 44000), sections of three faces or more cut more than 35 degrees off read a
    radius off by half or more in 66 % of cases (4 % of those within it), and a 0.61 mm box
    fillet on an isotropic mesh read 2.06 mm at a stretch of them, MS202 where the edge
    passes (edges:44043). Such a section found its chain's band, but reads none of it: it
    counts towards the chain's existence only (_measure_batch). Counted neither way, the
    sections near a sliver box's corner blends left its 0.124 mm razor fillet's chain under
    half good, undetermined (edges:49057). The direction is read from OBLIQUE_MIN_FACES band
    faces or more."""
    si, fi = band_faces
    S = len(a)
    t = _sym6(analysis.face_normals[fi], np.ones(len(fi)))
    xx, yy, zz, xy, xz, yz = (np.bincount(si, weights=t[:, k], minlength=S) for k in range(6))
    M = np.stack([xx, xy, xz, xy, yy, yz, xz, yz, zz], -1).reshape(S, 3, 3)
    w, v = np.linalg.eigh(M)
    square = np.abs(np.einsum("si,si->s", v[:, :, 0], a))
    held = np.bincount(si, minlength=S) >= OBLIQUE_MIN_FACES
    return held & (w[:, 1] > 0.0) & (square < AXIS_COS)


def _read_profiles(analysis, walk, st, eye, turn_min):
    """Per station: the band around it, its turn, radius, resolution, and how much the flanks
    turn within reach (steps 4-6 of the module docstring). A station the crossing-by-crossing
    reading rejects (no band, or flanks that turn) is read again from its levels
    (_band_levels): where that reading finds two quiet flanks it is kept instead; where it
    finds none either, from the least-squares ramp through the faces' levels (_band_ramp)."""
    p = _profile_arrays(analysis, walk, st)
    b = _band(p, st["band"], turn_min)
    mesh = (analysis.model.vertices, analysis.model.faces, analysis.face_normals)
    out = _radius(p, b, mesh)
    std = _reading(p, b, out, eye, turn_min)
    _read_tucked(p, std, st["band"], b["hgt"], (mesh, eye, turn_min))
    redo = np.flatnonzero(~(std["ok"] & (std["ratio"] <= FLANK_RATIO)))
    if len(redo) == 0:
        return std
    def levels(ps):
        # a reading from the levels grows from the strongest crossing over every crossing to a
        # quiet stretch: where the crossings found a band (a run turning one way at the band's
        # rate), the levels' band holds it. One that ends inside it has called the run's own
        # crossings a flat flank: on a subdivided blob's ridge, one 13-15 degree facet line of
        # a 52-degree run whose flanks turn (a form) read as a band between flat flanks
        bl = _band_levels(ps, st["band"][redo], b["hgt"][redo], turn_min)
        run = b["ok"][redo]
        bl["ok"] &= ~run | ((bl["j_lo"] <= b["j_lo"][redo]) & (bl["j_hi"] >= b["j_hi"][redo]))
        return bl

    bl, use = _read_again(p, std, redo, levels, (mesh, eye, turn_min))
    # neither found the band: read it as one ramp fitted to the faces' levels (_band_ramp)
    # (only where no crossing in the window stood above the level reading's noise floor: where
    # the faces' own scatter hid the band; elsewhere the readings above have judged it: not
    # where the crossings found a band whose flanks turn, a reading the chain weighs as it
    # is; nor where the section is to be walked again, its band or flank reaching past this
    # walk: the longer walk is read by every reading, the ramp standing in for none of them)
    rest = redo[~use & bl["hidden"] & ~std["unseen"][redo] & ~std["ok"][redo]]
    if len(rest):
        _read_again(p, std, rest, lambda ps: _band_ramp(ps, st["band"][rest], b["hgt"][rest]),
                    (mesh, eye, turn_min))
    return std


def _read_tucked(p, std, band_mm, hgt, ctx):
    """Where a station's band is a fold tucked inside a crease of the other sign
    (flanks._tucked_fold: std's "tucked", removed here), read the crease around it instead,
    from its levels (band._band_between), and keep that reading where it finds two quiet
    flanks. An irregular sweep drawing a 0.518 mm fillet with faces of 1.2 mm crossed it at
    +51, -63 and +89 degrees: the fold alone read razor, 0.15-0.27 (0.04-0.29) mm, right
    only by chance; dropped, the fillet lost its verdict (edges:105020)."""
    ends = std.pop("tucked")
    tk = np.flatnonzero(ends[:, 0] >= 0)
    if len(tk):
        _read_again(p, std, tk, lambda ps: _band_between(
            ps, ends[tk, 0], ends[tk, 1], band_mm[tk], hgt[tk], ctx[2]), ctx)


def _read_again(p, std, idx, band_of, ctx):
    """Read the stations idx again with another band reader (band_of: their profiles -> band)
    and keep its reading in std wherever it finds two quiet flanks (a band and its faces
    replace the earlier ones there); returns (that band, which stations it kept)."""
    mesh, eye, turn_min = ctx
    ps = _Profile(*(getattr(p, k)[idx] for k in _Profile.__dataclass_fields__))
    bb = band_of(ps)
    rr = _radius(ps, bb, mesh)
    lv = _reading(ps, bb, rr, eye, turn_min, rr["zigzag"])
    use = lv["ok"] & (lv["ratio"] <= FLANK_RATIO)
    at = idx[use]
    for k in std:
        if k not in ("band_faces", "unseen", "form_walk", "cut"):
            std[k][at] = lv[k][use]
    std["unseen"][idx] |= lv["unseen"]
    std["cut"][idx] |= lv["cut"]
    std["form_walk"][idx] = np.fmax(std["form_walk"][idx], lv["form_walk"])
    si, fi = std["band_faces"]
    keep = ~np.isin(si, at)
    ls, lf = lv["band_faces"]
    take = use[ls]
    std["band_faces"] = (np.r_[si[keep], idx[ls[take]]], np.r_[fi[keep], lf[take]])
    return bb, use
