"""2D annotation on rendered images with Pillow: text, colour bars, scale bars, tiling.

Fonts: DejaVu Sans when installed (Debian's fonts-dejavu-core), else Pillow's bundled
font, so the pictures are the same on every run of one machine. Text sizes scale with the
picture and never go below 14 px, so captions stay readable at 100% zoom.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
              "/usr/share/fonts/TTF")

INK = (25, 25, 30)
MUTED = (95, 95, 105)
SEVERITY_RGB = {"error": (200, 30, 40), "warning": (235, 140, 0), "info": (40, 110, 200)}


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in _FONT_DIRS:
        p = Path(d) / name
        if p.is_file():
            return ImageFont.truetype(str(p), int(size))
    return ImageFont.load_default(size=int(size))


def text_size(base: int) -> int:
    """Body text size for a picture whose long side is `base` px (>= 14 px)."""
    return max(14, int(round(base / 80)))


def measure(draw: ImageDraw.ImageDraw, text: str, f) -> tuple[int, int]:
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=f)
    return x1 - x0, y1 - y0


def canvas(width: int, height: int, color=(255, 255, 255)) -> Image.Image:
    return Image.new("RGB", (int(width), int(height)), color)


def nice_length(target: float) -> float:
    """The 1-2-5 length at or below target (scale bars)."""
    if target <= 0 or not math.isfinite(target):
        return 1.0
    e = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * e <= target:
            return m * e
    return e


def fmt_mm(mm: float) -> str:
    if mm >= 1000:
        return f"{mm / 1000:g} m"
    if mm >= 10:
        return f"{mm / 10:g} cm"
    return f"{mm:g} mm"


def fmt_value(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e5 else f"{x:.2e}"


def scale_bar(img: Image.Image, xy: tuple[int, int], mm_per_px: float, scale_n: float,
              max_px: int, fsize: int) -> None:
    """A bar of a round model length, labelled in model mm and real-world size at 1:N."""
    d = ImageDraw.Draw(img)
    length = nice_length(max_px * mm_per_px)
    px = int(round(length / mm_per_px))
    x, y = xy
    h = max(6, fsize // 3)
    half = px // 2
    d.rectangle([x, y, x + half, y + h], fill=INK)
    d.rectangle([x + half, y, x + px, y + h], outline=INK, width=2)
    f = font(fsize)
    d.text((x, y + h + 4), f"{length:g} mm model  =  {fmt_mm(length * scale_n)} real at 1:{scale_n:g}",
           fill=INK, font=f)


TICK_ZERO_SHARE = 1e-3


def colorbar(img: Image.Image, box: tuple[int, int, int, int], cmap: str,
             clim: tuple[float, float], label: str, fsize: int, ticks: int = 5,
             marks=(), real_scale: float | None = None) -> None:
    """Horizontal colour bar in box (x0, y0, x1, y1) with ticks and a unit label; `marks`
    [(value, text)] are drawn as a bold line across the bar with the text above it. With
    `real_scale` N (values are model mm) each tick also gives the real size at 1:N."""
    from matplotlib import colormaps

    x0, y0, x1, y1 = box
    w = max(2, x1 - x0)
    bar_h = max(12, fsize)
    lut = (colormaps[cmap](np.linspace(0, 1, w))[:, :3] * 255).round().astype(np.uint8)
    strip = np.repeat(lut[None, :, :], bar_h, axis=0)
    img.paste(Image.fromarray(strip), (x0, y0))
    d = ImageDraw.Draw(img)
    d.rectangle([x0, y0, x0 + w - 1, y0 + bar_h - 1], outline=INK, width=1)
    f = font(fsize)
    lo, hi = clim
    small = font(max(10, int(fsize * 0.8)))
    # fewer ticks on a short bar, so labels of ~6 characters never touch
    ticks = max(2, min(ticks, w // (6 * fsize) + 1))
    for i in range(ticks):
        t = i / (ticks - 1)
        xx = x0 + int(round(t * (w - 1)))
        d.line([xx, y0 + bar_h, xx, y0 + bar_h + 5], fill=INK, width=1)
        v = lo + t * (hi - lo)
        # a tick within a thousandth of the range of zero is zero (not 2.2e-07)
        s = fmt_value(0.0 if abs(v) < TICK_ZERO_SHARE * abs(hi - lo) else v)
        tw, _ = measure(d, s, f)
        d.text((min(max(x0, xx - tw // 2), x0 + w - tw), y0 + bar_h + 7), s, fill=INK, font=f)
        if real_scale:  # the same tick in real-world size, a smaller grey row below
            r = fmt_mm(float(f"{v * real_scale:.2g}")) if v > 0 else "0"
            rw_, _ = measure(d, r, small)
            d.text((min(max(x0, xx - rw_ // 2), x0 + w - rw_), y0 + 2 * bar_h + 10), r,
                   fill=MUTED, font=small)
    ly = y0 + 2 * bar_h + 14 + (int(fsize * 1.1) if real_scale else 0)
    if real_scale:
        label = f"{label}; grey row: real size at 1:{real_scale:g}"
    d.text((x0, ly), label, fill=INK, font=font(fsize, bold=True))
    for v, text in marks:
        if not (hi > lo and lo <= v <= hi):
            continue
        xx = x0 + int(round((v - lo) / (hi - lo) * (w - 1)))
        d.line([xx, y0 - 4, xx, y0 + bar_h + 4], fill=INK, width=3)
        tw, th = measure(d, text, small)
        d.text((min(max(x0, xx - tw // 2), x0 + w - tw), y0 - th - 8), text, fill=INK, font=small)


def swatches(img: Image.Image, xy: tuple[int, int], items, fsize: int, max_w: int) -> int:
    """Categorical legend: [(label, rgb 0..1)] laid out in rows; returns the height used."""
    d = ImageDraw.Draw(img)
    f = font(fsize)
    x, y = xy
    s = fsize
    for label, rgb in items:
        col = tuple(int(round(c * 255)) for c in rgb)
        tw, _ = measure(d, label, f)
        if x + s + 8 + tw > xy[0] + max_w and x > xy[0]:
            x, y = xy[0], y + s + 10
        d.rectangle([x, y + 2, x + s, y + 2 + s], fill=col, outline=INK)
        d.text((x + s + 6, y), label, fill=INK, font=f)
        x += s + 6 + tw + 24
    return y + s + 10 - xy[1]


def wrap(draw, text: str, f, max_w: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        t = f"{cur} {w}".strip()
        if cur and measure(draw, t, f)[0] > max_w:
            lines.append(cur)
            cur = w
        else:
            cur = t
    if cur:
        lines.append(cur)
    return lines


def title_bar(img: Image.Image, title: str, subtitle: str, fsize: int) -> None:
    """Title and one line of subtitle; a subtitle wider than the picture ends in '…'."""
    d = ImageDraw.Draw(img)
    d.text((fsize, fsize // 2), title, fill=INK, font=font(int(fsize * 1.3), bold=True))
    f = font(fsize)
    room = img.width - 2 * fsize
    if measure(d, subtitle, f)[0] > room:
        while subtitle and measure(d, subtitle + "…", f)[0] > room:
            subtitle = subtitle[:-1]
        subtitle = subtitle.rstrip(" ·,") + "…"
    d.text((fsize, fsize // 2 + int(fsize * 1.9)), subtitle, fill=MUTED, font=f)


def to_array(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"))


def png_bytes(img: Image.Image | np.ndarray) -> bytes:
    """PNG with no timestamps or metadata: identical pixels give identical bytes."""
    from io import BytesIO

    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    buf = BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()
