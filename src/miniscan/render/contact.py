"""Pictures drawn from a family's own images rather than the lit model: the silhouette
contact sheet (SilhouetteLayers.views) and the light-orbit strip (SpecularLayers.orbit).

Both read the typed picture data of the findings contract; the fields used are the view's
name, fine/glance/lost/closed masks and score, and the orbit's frames.
"""

from __future__ import annotations

import math
from io import BytesIO

import numpy as np
from PIL import Image, ImageDraw

from . import draw

SHEET_COLUMNS = 4  # silhouette views per row
STRIP_COLUMNS = 8  # orbit frames per row
GIF_MAX_PX = 480  # the animated orbit's width: enough to see glints, small enough to embed
GIF_FRAME_MS = 120  # per frame: a slow turn of the lamp, as the test is done by hand
# Silhouette sheet colours (RGB): what survives a glance, what a glance adds, lost, closed.
INK_KEPT = (60, 60, 70)
INK_ADDED = (170, 170, 180)
INK_LOST = (215, 35, 35)
INK_CLOSED = (245, 150, 20)


def _mask(a) -> np.ndarray | None:
    if a is None:
        return None
    a = np.asarray(a)
    return a.astype(bool) if a.ndim == 2 else None


def _view_rgb(v) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(RGB tile, lost mask, closed mask) of one view, or None without a fine mask."""
    fine = _mask(v.fine)
    if fine is None:
        return None
    glance = _mask(v.glance)
    glance = fine if glance is None else glance
    lost = _mask(v.lost)
    lost = fine & ~glance if lost is None else lost
    closed = _mask(v.closed)
    closed = glance & ~fine if closed is None else closed
    rgb = np.full(fine.shape + (3,), 255, dtype=np.uint8)
    rgb[fine & glance] = INK_KEPT
    rgb[glance & ~fine & ~closed] = INK_ADDED
    rgb[lost] = INK_LOST
    rgb[closed] = INK_CLOSED
    return rgb, lost, closed


def _fit(rgb: np.ndarray, tw: int, th: int) -> np.ndarray:
    """Enlarge by a whole factor (pixels stay square and crisp), or shrink to fit."""
    h, w = rgb.shape[:2]
    k = max(1, min(tw // max(w, 1), th // max(h, 1)))
    pic = np.repeat(np.repeat(rgb, k, axis=0), k, axis=1)
    if pic.shape[0] > th or pic.shape[1] > tw:
        sc = min(th / h, tw / w)
        pic = np.asarray(Image.fromarray(rgb).resize((max(1, int(w * sc)), max(1, int(h * sc))),
                                                     Image.Resampling.NEAREST))
    return pic


def silhouette_sheet(layers, size: int = 1600) -> Image.Image | None:
    """Fine vs glance silhouettes per view: lost in red, closed gaps in orange, score below."""
    tiles = [(v, t) for v in getattr(layers, "views", ()) or () if (t := _view_rgb(v))]
    if not tiles:
        return None
    fs = draw.text_size(size)
    cols = min(SHEET_COLUMNS, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    tw = (size - fs * (cols + 1)) // cols
    th = tw
    head = int(fs * 4.2)
    cell_h = th + int(fs * 3.2)
    img = draw.canvas(size, head + rows * cell_h + fs * 3)
    hero = getattr(layers, "hero_view", None)
    base = " · base left out of the scores" if getattr(layers, "base_excluded", False) else ""
    draw.title_bar(img, "Silhouettes: fine vs at a glance",
                   "dark = survives a glance · red = protrusion lost · orange = gap closes"
                   + (f" · hero view: {hero}" if hero else "") + base, fs)
    d = ImageDraw.Draw(img)
    for i, (v, (rgb, lost, closed)) in enumerate(tiles):
        pic = _fit(rgb, tw, th)
        r_, c_ = divmod(i, cols)
        x, y = fs + c_ * (tw + fs), head + r_ * cell_h
        img.paste(Image.fromarray(pic), (x + (tw - pic.shape[1]) // 2, y + (th - pic.shape[0]) // 2))
        d.rectangle([x, y, x + tw - 1, y + th - 1], outline=(220, 220, 220))
        label = v.name + (f"   score {float(v.score):.0f}/100" if v.score is not None else "") \
            + ("   ★ hero" if v.name == hero else "")
        d.text((x, y + th + 6), label, fill=draw.INK, font=draw.font(fs, bold=v.name == hero))
        d.text((x, y + th + 6 + int(fs * 1.3)),
               f"lost {int(lost.sum())} px, closed {int(closed.sum())} px",
               fill=draw.MUTED, font=draw.font(int(fs * 0.85)))
    return img


def _gray_to_rgb(a) -> np.ndarray | None:
    a = np.asarray(a)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] < 3:
        return None
    if a.dtype != np.uint8:
        a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(a[:, :, :3])


ORBIT_NUMBERS = ("fragments_per_cm2", "flicker")  # metrics printed under the strip's title


def orbit_strip(orbit, metrics: dict | None = None,
                size: int = 1600) -> tuple[Image.Image | None, bytes | None]:
    """(strip of the light-orbit frames, animated GIF) from an OrbitStrip; (None, None)
    when there are no frames (no GL, or the orbit did not run)."""
    frames = [f for f in (_gray_to_rgb(f) for f in getattr(orbit, "frames", ()) or ())
              if f is not None]
    if not frames:
        return None, None
    fs = draw.text_size(size)
    n = len(frames)
    cols = min(n, STRIP_COLUMNS)
    rows = math.ceil(n / cols)
    tw = (size - fs * (cols + 1)) // cols
    h0, w0 = frames[0].shape[:2]
    th = max(1, int(tw * h0 / max(w0, 1)))
    head = int(fs * 4.2)
    img = draw.canvas(size, head + rows * (th + int(fs * 1.8)) + fs)
    sub = "specular-only frames as one light orbits the model (the 'rotate it under one lamp' test)"
    for k in ORBIT_NUMBERS:
        if isinstance((metrics or {}).get(k), (int, float)):
            sub += f" · {k.replace('_', ' ')} {metrics[k]:.3g}"
    draw.title_bar(img, "Light orbit", sub, fs)
    d = ImageDraw.Draw(img)
    gw = min(GIF_MAX_PX, w0 * 2)
    gif = []
    for i, f in enumerate(frames):
        r_, c_ = divmod(i, cols)
        x, y = fs + c_ * (tw + fs), head + r_ * (th + int(fs * 1.8))
        img.paste(Image.fromarray(f).resize((tw, th), Image.Resampling.NEAREST), (x, y))
        d.text((x, y + th + 4), f"{360 * i / n:.0f}°", fill=draw.MUTED, font=draw.font(int(fs * 0.85)))
        gif.append(Image.fromarray(f).resize((gw, gw * h0 // max(w0, 1)), Image.Resampling.NEAREST))
    buf = BytesIO()
    gif[0].save(buf, format="GIF", save_all=True, append_images=gif[1:], duration=GIF_FRAME_MS,
                loop=0, optimize=False)
    return img, buf.getvalue()
