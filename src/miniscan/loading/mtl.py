"""OBJ materials: the base colour of each material, from the MTL libraries an OBJ names.

A material's colour is its `map_Kd` texture when it has one (the texture as it is: exporters
write a `Kd` of 0.8 grey beside a texture, which viewers do not multiply in), else its `Kd`
flat colour, taken as sRGB as written (MTL predates colour management; viewers show it as is).
Everything here is optional to the shape: a library or texture that is missing, outside the
OBJ's folder, not a regular file, over the byte budget, too many pixels or undecodable is
skipped; a material whose texture is skipped has no colour (its `Kd` is not the paint).

Steps: read each library (`files.read_referenced_file`: inside the folder, regular files
only, bounded); find `newmtl`, `Kd`, `map_Kd` by regular expression (C speed, one Python step
per match); read and decode each texture once (Pillow, its pixel count checked from the
header before any pixel is decoded).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import LoadError
from .files import read_referenced_file

# Material libraries read per OBJ: exporters write one; a few appear in merged scenes.
MAX_LIBRARIES = 16
# Bytes of one material library: a material is ~10 lines of ~30 characters, so 16 MB holds
# tens of thousands of materials; it bounds the Python work on a hostile library.
MAX_LIBRARY_BYTES = 16 * 1024**2
# Materials kept from the libraries: a scan has one, a kitbash a few hundred.
MAX_MATERIALS = 1024
# Pixels of one texture (width x height), checked from the image header before decoding:
# 8192 x 8192 is the largest texture exporters and scanners write (201 MB as RGB), and under
# Pillow's own decompression-bomb limit (179 M pixels).
MAX_TEXTURE_PIXELS = 8192 * 8192
# Pixels of all an OBJ's textures together: the byte budget bounds encoded bytes, but a flat
# 8K PNG is a few hundred KB and decodes to 201 MB, so the decoded pixels are bounded too:
# two 8K or eight 4K textures (403 MB as RGB); a scan has one, a kitbash a few.
MAX_TOTAL_TEXTURE_PIXELS = 2 * MAX_TEXTURE_PIXELS
# Image formats decoded: what OBJ exporters and scanners write for textures.
TEXTURE_FORMATS = ("PNG", "JPEG", "BMP", "TGA")

_STATEMENT = re.compile(rb"^[ \t]*(newmtl|Kd|map_Kd)[ \t]+([^\r\n]*)", re.M)


@dataclass(frozen=True, eq=False)
class Material:
    """A material's base colour: `image` (h, w, 3) uint8 sRGB, or `kd` (3,) sRGB in [0, 1],
    or neither (no colour)."""

    kd: np.ndarray | None = None
    image: np.ndarray | None = None


def read_materials(name: str, folder: str, libraries: list[str], budget: int) -> dict:
    """{material name: Material} from the libraries (first definition of a name wins);
    library and image bytes together stay within `budget` (bytes)."""
    found: dict[str, tuple[np.ndarray | None, str | None]] = {}
    for lib in libraries[:MAX_LIBRARIES]:
        try:
            data = read_referenced_file(name, folder, lib, min(budget, MAX_LIBRARY_BYTES),
                                        "material library")
        except LoadError:
            continue
        budget -= len(data)
        for mat, entry in library_statements(data).items():
            if len(found) < MAX_MATERIALS:
                found.setdefault(mat, entry)
    images: dict[str, np.ndarray | None] = {}
    out, pixels = {}, MAX_TOTAL_TEXTURE_PIXELS
    for mat, (kd, tex) in found.items():
        if tex is None:
            out[mat] = Material(kd=kd)
            continue
        if tex not in images:
            images[tex], used = _texture(name, folder, tex, budget, pixels)
            budget -= used
            pixels -= 0 if images[tex] is None else images[tex].shape[0] * images[tex].shape[1]
        out[mat] = Material(image=images[tex])
    return out


def library_statements(data: bytes) -> dict[str, tuple[np.ndarray | None, str | None]]:
    """{material: (Kd or None, map_Kd file name or None)} of one library."""
    out: dict[str, list] = {}
    current = None
    for m in _STATEMENT.finditer(data):
        key, value = m.group(1), m.group(2).decode("utf-8", "replace").strip()
        if key == b"newmtl":
            current = value
            out.setdefault(current, [None, None])
        elif current is not None and key == b"Kd":
            out[current][0] = _kd(value)
        elif current is not None:
            out[current][1] = _texture_name(value)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _kd(value: str) -> np.ndarray | None:
    """`Kd r [g b]` (g and b default to r); None when it is not three finite numbers."""
    try:
        c = [float(x) for x in value.split()[:3]]
    except ValueError:
        return None
    if len(c) == 1:
        c *= 3
    if len(c) != 3 or not np.isfinite(c).all():
        return None
    return np.clip(np.array(c, dtype=np.float32), 0.0, 1.0)


def _texture_name(value: str) -> str | None:
    """The file of `map_Kd [-options ...] file`: the whole value when no option is given
    (names may hold spaces), else its last word; Windows separators turned to '/'."""
    words = value.split()
    if not words:
        return None
    path = words[-1] if any(w.startswith("-") for w in words) else value
    return path.replace("\\", "/")


def _texture(name: str, folder: str, uri: str, budget: int,
             pixels: int) -> tuple[np.ndarray | None, int]:
    """(the decoded texture (h, w, 3) uint8 or None, bytes read)."""
    try:
        data = read_referenced_file(name, folder, uri, max(budget, 0), "texture")
    except LoadError:
        return None, 0
    return decode_texture(data, min(pixels, MAX_TEXTURE_PIXELS)), len(data)


def decode_texture(data: bytes, max_pixels: int = MAX_TEXTURE_PIXELS) -> np.ndarray | None:
    """RGB pixels of an encoded image, or None when it is not a readable image of at most
    `max_pixels` pixels (checked from its header, before decoding)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=TEXTURE_FORMATS) as im:
                w, h = im.size
                if w < 1 or h < 1 or w * h > max_pixels:
                    return None
                im.load()
                rgb = np.asarray(im.convert("RGB"))
    except Exception:  # noqa: BLE001 - truncated, corrupt, a bomb: no colour, not a bad file
        return None
    if rgb.shape != (h, w, 3) or rgb.dtype != np.uint8:
        return None
    return rgb


def lookup(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] of the nearest texel at each UV (n, 2), repeating outside 0-1 and v
    up (OBJ's convention), exactly as trimesh looks up glTF textures; NaN rows where a UV is
    not finite."""
    h, w = image.shape[:2]
    ok = np.isfinite(uv).all(axis=1)
    u, v = np.where(ok, uv[:, 0], 0.0), np.where(ok, uv[:, 1], 0.0)
    x = np.round((u * (w - 1)) % w).astype(np.int64) % w
    y = np.round(((1.0 - v) * (h - 1)) % h).astype(np.int64) % h
    out = image[y, x].astype(np.float32) / 255.0
    out[~ok] = np.nan
    return out
