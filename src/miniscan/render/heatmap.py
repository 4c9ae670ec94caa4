"""Heat-map sheets: one layer painted on the lit model from 2-4 views, one shared zoom.

Every tile uses the same mm-per-pixel, so the single scale bar is true for all of them; the
colour bar is in the layer's physical unit (or a swatch legend for categorical layers). The
family's own findings carry their report numbers here too.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from . import callouts as co
from . import draw
from .layers import Layer
from .scene import Camera, Renderer, fit_camera


# Below this width (px) the legend and the scale bar do not fit on one line.
NARROW_PX = 900


def shared_cameras(vertices, views, tile_w: int, tile_h: int, front: str,
                   directions: dict | None = None) -> list[Camera]:
    cams = [fit_camera(vertices, v, tile_w, tile_h, front,
                       direction=(directions or {}).get(v)) for v in views]
    ps = max(c.parallel_scale for c in cams)
    return [Camera(c.focal, c.direction, c.up, ps, c.width, c.height, c.name) for c in cams]


def heat_sheet(renderer: Renderer, layer: Layer, views, conditions, size: int = 1600,
               numbered=(), analysis=None, directions: dict | None = None):
    """(PIL image, callouts) for one layer."""
    views = list(views)
    fs = draw.text_size(size)
    margin = fs
    n = max(1, len(views))
    tile_w = (size - margin * (n + 1)) // n
    tile_h = int(tile_w * (1.0 if n >= 3 else 0.85))
    head = int(fs * 4.2)
    # a length on the model also reads in real-world size at 1:N (wall 0.4 mm = 2.2 cm)
    real = conditions.scale_n if layer.unit == "mm" and layer.categories is None else None
    real_row = int(fs * 1.2) if real else 0
    foot = int(fs * 9.5) + real_row
    img = draw.canvas(size, head + tile_h + fs * 2 + foot)
    title = f"{layer.title}" + (f"  [{layer.unit}]" if layer.unit else "")
    sub = (f"{layer.family} · {conditions.profile}: 1:{conditions.scale_n:g} at "
           f"{conditions.distance_mm:g} mm" + (f" · {layer.note}" if layer.note else ""))
    draw.title_bar(img, title, sub, fs)
    cams = shared_cameras(renderer.frame, views, tile_w, tile_h, conditions.front, directions)
    renderer.set_layer(layer)
    d = ImageDraw.Draw(img)
    # the family's own findings, worst first (rings: a disc with no free spot is left out)
    fam_numbered = co.worst_first([t for t in numbered if t[1] == layer.family])
    fam_numbered = fam_numbered[:co.MAX_CALLOUTS]
    all_callouts = []
    radius = co.callout_radius(size, heat=True)
    for i, cam in enumerate(cams):
        x = margin + i * (tile_w + margin)
        y = head
        tile = renderer.render(cam)
        img.paste(Image.fromarray(tile), (x, y))
        d.rectangle([x, y, x + tile_w - 1, y + tile_h - 1], outline=(210, 210, 210))
        d.text((x + 8, y + 6), cam.name, fill=draw.MUTED, font=draw.font(fs))
        if fam_numbered and analysis is not None:
            cs = co.place(fam_numbered, cam, analysis, offset=(x, y), radius=radius)
            cs = [c for c in cs if not c.hidden]  # the overview lists the hidden ones
            co.draw_callouts(img, cs, radius, int(fs * 0.9))
            all_callouts += cs
    renderer.set_colors(None)
    y = head + tile_h + fs + (fs if layer.marks else 0)  # room for the marks' text
    x = margin
    if layer.categories is not None:
        present = set(np.unique(np.nan_to_num(layer.values, nan=-1)).astype(int).tolist())
        items = [(lab, c) for i, (lab, c) in enumerate(layer.categories) if i in present or i == 0]
        draw.swatches(img, (x, y), items, fs, size - 2 * margin)
    else:
        lo, hi = layer.limits()
        draw.colorbar(img, (x, y, x + min(size // 2, 900), y + fs), layer.cmap, (lo, hi),
                      f"{layer.title} ({layer.unit})" if layer.unit else layer.title, fs,
                      marks=layer.marks, real_scale=real)
    if size >= NARROW_PX:  # beside the legend
        draw.scale_bar(img, (size - margin - int(size * 0.33), y + fs // 2), cams[0].mm_per_px,
                       conditions.scale_n, int(size * 0.18), fs)
    else:  # a narrow sheet (one view): on its own line under the legend
        draw.scale_bar(img, (margin, y + int(fs * 4.8) + real_row), cams[0].mm_per_px,
                       conditions.scale_n, int(size * 0.25), fs)
    d.text((margin, img.height - int(fs * 1.8)),
           "grey = no data; numbers = this family's findings seen from that side (see the overview for all)",
           fill=draw.MUTED, font=draw.font(int(fs * 0.85)))
    return img, all_callouts
