"""The picture set of one model: overview, heat maps, seen-from-here, silhouette sheet,
light-orbit strip. Pure in-memory (`make_pictures`) plus a writer (`write_pictures`).

Needs the Model and the CheckResults with their layers in memory (never serialised): pass a
`Pictures` consumer to runner.check_paths(keep=...), or call make_pictures on runner.run_checks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from . import callouts as co
from . import draw
from .layers import layers_for
from .scene import DEFAULT_HERO, DRAWN_FACES_MAX, HEAT_VIEWS, VIEWS, Renderer, fit_camera

KINDS = ("overview", "heat", "seen", "silhouette", "orbit")


@dataclass
class Picture:
    key: str  # file-name part: overview, heat-edges, seen, silhouette, orbit, orbit-gif
    title: str
    kind: str
    image: np.ndarray | None = None  # HxWx3 uint8
    data: bytes | None = None  # pre-encoded (the GIF)
    ext: str = "png"
    family: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return self.data if self.data is not None else draw.png_bytes(self.image)


def caption(conditions) -> str:
    c = conditions
    p = c.printer
    return (f"{c.profile}: scale 1:{c.scale_n:g}, seen from {c.distance_mm:g} mm; acuity "
            f"{c.acuity_arcmin:g}′ resolves {c.resolvable_mm:.3g} mm, glance {c.glance_arcmin:g}′ "
            f"{c.glance_mm:.3g} mm; {c.finish} finish (lobe {c.lobe_rad:g} rad, bevel ≥ "
            f"{c.bevel_min_mm:.3g} mm); printer {p.name}"
            + (f" ({p.xy_mm:g} mm pixel, {p.layer_mm:g} mm layer)" if p.name != "none" else "")
            + f"; paint {c.paint_mm:g} mm; material {c.material}")


# A hero view more than ~60 degrees up (|z| of its direction above cos 30 deg) looks down on a
# standing figure: a round base reads "well" from above, but the overview would be useless.
TOO_HIGH_Z = 0.87


def _direction(camera) -> np.ndarray | None:
    """A silhouette view's unit direction from its camera (a dict or an object)."""
    get = camera.get if isinstance(camera, dict) else (lambda k: getattr(camera, k, None))
    d = get("direction")
    if d is None and get("position") is not None and get("focal") is not None:
        d = np.asarray(get("position"), float) - np.asarray(get("focal"), float)
    if d is None or not np.linalg.norm(np.asarray(d, float)) > 0:
        return None
    d = np.asarray(d, float)
    return d / np.linalg.norm(d)


def hero_view(results, front: str) -> tuple[str, Any]:
    """(view name, direction or None): the silhouette family's hero view when it ran, from
    its typed layers (SilhouetteLayers.hero_view and .views). A hero looking down from too
    high (TOO_HIGH_Z) is replaced by the best-scoring lower view."""
    from .layers import family_layers

    for r in results:
        sil = family_layers(r) if r.family == "silhouette" and r.status == "ok" else None
        hero = getattr(sil, "hero_view", None)
        if not hero:
            continue
        views = getattr(sil, "views", ()) or ()
        dirs = {v.name: d for v in views if (d := _direction(v.camera)) is not None}
        d = dirs.get(hero)
        if d is not None and abs(d[2]) > TOO_HIGH_Z:
            low = [(float(v.score), v.name) for v in views
                   if v.name in dirs and abs(dirs[v.name][2]) <= TOO_HIGH_Z and v.score is not None]
            if low:
                hero = max(low)[1]
                d = dirs[hero]
        if d is not None:
            return str(hero), d
        if hero in VIEWS:
            return hero, None
    return DEFAULT_HERO, None


# The overview's side columns of callout discs, in disc radii (a disc and a margin).
COLUMN_RADII = 3.0


def overview(renderer: Renderer, conditions, results, analysis, numbered, size: int = 1600,
             title: str = "", view: str = DEFAULT_HERO, direction=None):
    """(PIL image, callouts, camera): lit hero view with at most co.MAX_CALLOUTS numbered
    discs (the worst findings) in a column each side with leader lines, the legend of those
    beside it and every other finding listed under them, a scale bar and the conditions."""
    fs = draw.text_size(size)
    panel_w = int(size * 0.32)
    rw = size - panel_w
    rh = int(size * 0.62)
    head = int(fs * 4.2)
    foot = int(fs * 7.5)
    img = draw.canvas(size, head + rh + foot)
    sev = {}
    for _, _, f in numbered:
        sev[f.severity] = sev.get(f.severity, 0) + 1
    counts = ", ".join(f"{sev[s]} {s}" for s in ("error", "warning", "info") if s in sev) or "no findings"
    shown, rest = co.pick(numbered, analysis)
    marked = f"the worst {len(shown)} marked" if rest and shown else ""
    draw.title_bar(img, title or Path(renderer.model.path).name,
                   f"overview from the {view} view · {len(numbered)} findings ({counts})"
                   + (f" · {marked}" if marked else "") + _base_note(results), fs)
    radius = co.callout_radius(size)
    col_w = int(COLUMN_RADII * radius)
    cam = fit_camera(renderer.frame, view, rw - 2 * col_w, rh, conditions.front, margin=1.15,
                     direction=direction)
    renderer.set_colors(None)
    img.paste(Image.fromarray(renderer.render(cam)), (col_w, head))
    cs = co.place(shown, cam, analysis, offset=(col_w, head), radius=radius,
                  frame=(0, head, rw, head + rh), columns=(col_w / 2.0, rw - col_w / 2.0))
    co.draw_callouts(img, cs, radius, fs)
    d = ImageDraw.Draw(img)
    d.line([rw, head, rw, head + rh], fill=(220, 220, 220), width=1)
    _legend(d, fs, (rw + fs // 2, head, panel_w, head + rh - int(fs * 2.2)), cs, rest)
    _severity_key(d, fs, rw + fs // 2, head + rh - int(fs * 1.4))
    y = head + rh + fs // 2
    draw.scale_bar(img, (fs, y), cam.mm_per_px, conditions.scale_n, int(rw * 0.3), fs)
    cap = caption(conditions)
    for j, ln in enumerate(draw.wrap(d, cap, draw.font(fs), size - 2 * fs)[:3]):
        d.text((fs, y + int(fs * 2.6) + j * int(fs * 1.3)), ln, fill=draw.MUTED, font=draw.font(fs))
    return img, cs, cam


def _base_note(results) -> str:
    """' · base left out of the silhouette scores' when the silhouette family did so."""
    from .layers import family_layers

    for r in results:
        if r.family == "silhouette" and getattr(family_layers(r), "base_excluded", False):
            return " · base left out of the silhouette scores"
    return ""


def _disc(d, x: float, cy: float, r: float, n: int, col, filled: bool, fs: int) -> None:
    if filled:
        d.ellipse([x, cy - r, x + 2 * r, cy + r], fill=col)
        ink = (255, 255, 255)
    else:
        d.ellipse([x, cy - r, x + 2 * r, cy + r], fill=(255, 255, 255), outline=col, width=2)
        ink = col
    d.text((x + r, cy), str(n), fill=ink, font=draw.font(int(fs * 0.7), True), anchor="mm")


def _legend(d, fs: int, box, callouts, rest) -> None:
    """The marked findings (number, rule, message), then every other one on a line of its
    own (number, code, rule, places, part), then how many did not fit."""
    x, y, w, maxy = box
    d.text((x, y), "Findings", fill=draw.INK, font=draw.font(int(fs * 1.1), bold=True))
    y += int(fs * 1.8)
    small = draw.font(int(fs * 0.85))
    line_h = int(fs * 1.05)
    for c in sorted(callouts, key=lambda c: c.number):
        f = c.finding
        behind = " (behind, in this view)" if c.hidden else ""
        lines = draw.wrap(d, f"{f.code} {f.name}{behind}: {f.message}", small, w - int(fs * 2.6))
        if y + line_h * min(2, len(lines)) > maxy:
            break
        _disc(d, x, y + fs * 0.6, fs * 0.6, c.number,
              draw.SEVERITY_RGB.get(f.severity, draw.INK), not c.hidden, fs)
        for j, ln in enumerate(lines[:2]):
            d.text((x + int(fs * 1.6), y + j * line_h), ln + ("…" if j == 1 and len(lines) > 2 else ""),
                   fill=draw.INK, font=small)
        y += line_h * min(2, len(lines)) + fs // 3
    if not rest:
        return
    y += fs // 3
    d.text((x, y), "Not marked (see the report):", fill=draw.MUTED, font=small)
    y += line_h
    for i, (n, _, f) in enumerate(rest):
        if y + 2 * line_h > maxy and i < len(rest) - 1:
            d.text((x, y), f"… and {len(rest) - i} more", fill=draw.MUTED, font=small)
            return
        where = f" ({f.location.part})" if f.location.part else \
            (" (whole model)" if f.location.centroid_mm is None and not f.location.faces else "")
        many = f" ×{f.count}" if f.count > 1 else ""
        text = f"{n}  {f.code} {f.name}{many}{where}"
        while text and draw.measure(d, text, small)[0] > w - fs:
            text = text[:-2] + "…"
        d.text((x, y), text, fill=draw.SEVERITY_RGB.get(f.severity, draw.INK), font=small)
        y += line_h


def _severity_key(d, fs: int, x: int, y: int) -> None:
    small = draw.font(int(fs * 0.85))
    for s in ("error", "warning", "info"):
        d.ellipse([x, y, x + fs, y + fs], fill=draw.SEVERITY_RGB[s])
        d.text((x + fs + 6, y - 2), s, fill=draw.INK, font=small)
        x += fs + 6 + draw.measure(d, s, small)[0] + fs


def seen_panel(renderer: Renderer, conditions, size: int = 1600, view: str = DEFAULT_HERO,
               direction=None):
    """(PIL image, Seen): true-size eye and glance images, then all three at one size."""
    from .seen import seen_from_here

    s = seen_from_here(renderer, conditions, view, direction=direction)
    fs = draw.text_size(size)
    head = int(fs * 4.2)
    eh, ew = s.eye.shape[:2]
    true_row = max(eh + fs * 3, fs * 5)
    n = 3
    tile_w = (size - fs * (n + 1)) // n
    tile_h = tile_w
    img = draw.canvas(size, head + true_row + tile_h + fs * 5)
    d = ImageDraw.Draw(img)
    draw.title_bar(img, "Seen from here",
                   f"{conditions.distance_mm:g} mm away at 1:{conditions.scale_n:g}: the model spans "
                   f"{s.model_px[0]:.0f} wide × {s.model_px[1]:.0f} tall resolvable pixels "
                   f"(1 px = {conditions.acuity_arcmin:g}′ = {s.mm_per_px:.3g} mm)"
                   + (" — capped, model too large to show at true size" if s.capped else ""), fs)
    y = head
    x = fs
    for label, arr in (("eye, true size", s.eye), (f"glance ({conditions.glance_arcmin:g}′), true size", s.glance)):
        if x + arr.shape[1] < size:
            img.paste(Image.fromarray(arr), (x, y + int(fs * 1.5)))
        d.text((x, y), label, fill=draw.MUTED, font=draw.font(int(fs * 0.85)))
        x += max(arr.shape[1], draw.measure(d, label, draw.font(int(fs * 0.85)))[0]) + fs * 2
    d.text((x, y + int(fs * 1.5)), "1 px = one acuity angle: at 100% zoom on a 96 dpi screen\n"
           "viewed from ~90 cm this is what the eye receives.", fill=draw.MUTED,
           font=draw.font(int(fs * 0.85)))
    y = head + true_row
    cam = fit_camera(renderer.frame, view, tile_w, tile_h, conditions.front, margin=1.1,
                     direction=direction)
    renderer.set_colors(None)
    mag = renderer.render(cam)
    tiles = [("on your screen (magnified)", mag)]
    # enlarge the eye images to the magnified render's zoom so the three compare 1:1
    k = s.mm_per_px / cam.mm_per_px
    for label, arr in (("what the eye resolves, enlarged", s.eye),
                       ("at a glance, enlarged", s.glance)):
        w, h = max(1, int(round(arr.shape[1] * k))), max(1, int(round(arr.shape[0] * k)))
        big = np.asarray(Image.fromarray(arr).resize((w, h), Image.Resampling.NEAREST))
        oy, ox = max(0, (h - tile_h) // 2), max(0, (w - tile_w) // 2)
        tiles.append((f"{label} ×{k:.3g}", big[oy:oy + tile_h, ox:ox + tile_w]))
    for i, (label, arr) in enumerate(tiles):
        tx = fs + i * (tile_w + fs)
        ox = tx + (tile_w - arr.shape[1]) // 2
        oy = y + int(fs * 1.5) + (tile_h - arr.shape[0]) // 2
        img.paste(Image.fromarray(arr), (ox, oy))
        d.text((tx, y), label, fill=draw.INK, font=draw.font(int(fs * 0.9), bold=True))
    d.text((fs, img.height - int(fs * 2.5)),
           f"Detail that vanishes between the first and second tile is wasted at {conditions.distance_mm:g} mm; "
           "what survives the third is what reads at a glance.", fill=draw.MUTED, font=draw.font(int(fs * 0.85)))
    return img, s


def make_pictures(model, conditions, results, analysis=None, *, size: int = 1600,
                  views=None, only=None, max_faces: int = DRAWN_FACES_MAX) -> list[Picture]:
    """Every picture of one model, in memory. `only`: a set of families and/or kinds
    (overview, heat, seen, silhouette, orbit) to restrict to."""
    from ..analysis import Analysis

    analysis = analysis or Analysis(model)
    results = tuple(results)
    only = {o.strip() for o in only} if only else None
    want = lambda kind, fam=None: (only is None or kind in only or (fam is not None and fam in only))  # noqa: E731
    views = list(views) if views else list(HEAT_VIEWS)
    for v in views:
        if v not in VIEWS:
            raise ValueError(f"unknown view {v!r}; choose from: {', '.join(VIEWS)}")
    numbered = co.numbered_findings(results)
    hero, hero_dir = hero_view(results, conditions.front)
    pics: list[Picture] = []
    with Renderer(model, size, size, max_faces=max_faces) as ren:
        if want("overview") or only is not None and any(r.family in only for r in results):
            img, cs, cam = overview(ren, conditions, results, analysis, numbered, size,
                                    view=hero, direction=hero_dir)
            pics.append(Picture("overview", f"Overview ({hero} view)", "overview",
                                draw.to_array(img), meta={"callouts": cs, "camera": cam,
                                                          "view": hero,
                                                          "callout_radius": co.callout_radius(size)}))
        fams_only = None if only is None or "heat" in only else only
        for layer in layers_for(model, conditions, results, analysis,
                                only=fams_only, numbered=numbered):
            if not want("heat", layer.family):
                continue
            img, cs = heat_sheet_cached(ren, layer, views, conditions, size, numbered, analysis)
            pics.append(Picture(f"heat-{layer.name}", f"Heat map: {layer.title}", "heat",
                                draw.to_array(img), family=layer.family,
                                meta={"callouts": cs, "unit": layer.unit,
                                      "callout_radius": co.callout_radius(size, heat=True)}))
        if want("seen"):
            img, s = seen_panel(ren, conditions, size, view=hero, direction=hero_dir)
            pics.append(Picture("seen", "Seen from here", "seen", draw.to_array(img),
                                meta={"seen": s}))
    pics += _contact_pictures(model, conditions, results, analysis, size, want)
    return pics


def _contact_pictures(model, conditions, results, analysis, size: int, want) -> list[Picture]:
    """The silhouette contact sheet and the light-orbit strip, from the families' layers."""
    from .contact import orbit_strip, silhouette_sheet
    from .layers import family_layers

    pics = []
    for r in results:
        if r.family not in ("silhouette", "specular"):
            continue
        typed = family_layers(r, model, analysis, conditions)
        if r.family == "silhouette" and want("silhouette", "silhouette"):
            img = silhouette_sheet(typed, size)
            if img is not None:
                pics.append(Picture("silhouette", "Silhouette sheet", "silhouette",
                                    draw.to_array(img), family="silhouette"))
        if r.family == "specular" and want("orbit", "specular"):
            img, gif = orbit_strip(getattr(typed, "orbit", None), r.metrics, size)
            if img is not None:
                pics.append(Picture("orbit", "Light orbit strip", "orbit", draw.to_array(img),
                                    family="specular"))
                pics.append(Picture("orbit-anim", "Light orbit (animated)", "orbit", data=gif,
                                    ext="gif", family="specular"))
    return pics


def heat_sheet_cached(ren, layer, views, conditions, size, numbered, analysis):
    from .heatmap import heat_sheet

    return heat_sheet(ren, layer, views, conditions, size, numbered, analysis)


def safe_stem(path: str) -> str:
    stem = Path(str(path)).name or "model"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)


def write_pictures(pictures: list[Picture], out_dir, stem: str) -> list[Path]:
    from ..files import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in pictures:
        path = out / f"{stem}.{p.key}.{p.ext}"
        atomic_write(path, p.encoded())
        os.chmod(path, 0o644)  # atomic_write's temp file is private; pictures are not
        paths.append(path)
    return paths


# The families whose in-memory layers each kind of picture draws (the findings themselves come
# from the report). None: every family's (a heat map per family).
KIND_FAMILIES: dict[str, tuple[str, ...] | None] = {
    "overview": ("silhouette",),  # the hero view and its camera
    "seen": ("silhouette",),
    "silhouette": ("silhouette",),  # the contact sheet
    "orbit": ("specular",),  # the light-orbit frames
    "heat": None,
}
NO_LAYERS = ("health", "findings")  # drawn from the analysis and the report alone


def families_needed(only) -> tuple[str, ...] | None:
    """The families a picture set `only` needs re-run in memory; None = all of them."""
    if not only:
        return None
    out: set[str] = set()
    for o in only:
        if o in KIND_FAMILIES:
            if KIND_FAMILIES[o] is None:
                return None
            out.update(KIND_FAMILIES[o])
        elif o not in NO_LAYERS:
            out.add(o)  # a family's heat map
    if out - set(KIND_FAMILIES):  # a family's pictures come with the overview's callouts
        out.update(KIND_FAMILIES["overview"])
    return tuple(sorted(out))


@dataclass
class Pictures:
    """Draws every checked file's pictures: a `keep` consumer of runner.check_paths.

    With `out_dir` the pictures are written as PNG/GIF files and `made[path]` lists them;
    without it they stay in memory (`made[path]` lists Picture objects, for the HTML report).
    """

    out_dir: Path | None = None
    size: int = 1600
    views: tuple[str, ...] | None = None
    only: tuple[str, ...] | None = None
    made: dict[str, list] = field(default_factory=dict)

    @property
    def families(self) -> tuple[str, ...] | None:
        return families_needed(self.only)

    def __call__(self, result, run) -> None:
        pics = make_pictures(run.model, run.conditions, run.checks, run.analysis,
                             size=self.size, views=self.views, only=self.only)
        self.made[result.path] = (pics if self.out_dir is None
                                  else write_pictures(pics, self.out_dir, safe_stem(result.path)))
