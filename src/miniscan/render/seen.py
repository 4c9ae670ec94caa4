"""Seen from here: the model at its true angular size, blurred to the eye, beside a magnified
render (what the sculptor sees on screen).

One pixel of the eye image is one acuity angle at the viewing distance, i.e. the resolvable
size r = D·tan(acuity) in model mm. A model of height H therefore spans H / r pixels: 28 mm at
500 mm and 1′ is about 193 px, and twice as far is half as many. The render is supersampled
(4×4 per eye pixel, box-filtered down) and blurred with a Gaussian whose full width at half
maximum is one pixel (the acuity) — and, for the glance image, glance/acuity pixels.
Viewed on a 96 dpi screen from about 90 cm, one pixel subtends about 1′, so the small
images are literally what the eye gets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .scene import Camera, Renderer, fit_camera

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
MAX_EYE_PX = 2400  # beyond this the "true size" image is larger than any screen anyway


@dataclass(frozen=True)
class Seen:
    eye: np.ndarray  # HxWx3 uint8, 1 px = acuity angle
    glance: np.ndarray  # same size, blurred to the glance resolution
    mm_per_px: float  # model mm per eye pixel (= resolvable size, unless capped)
    model_px: tuple[float, float]  # projected model width, height in eye pixels
    capped: bool
    camera: Camera


def eye_camera(vertices, view: str, conditions, front: str | None = None,
               direction=None) -> tuple[Camera, float, bool]:
    r = float(conditions.resolvable_mm)
    probe = fit_camera(vertices, view, 100, 100, front or conditions.front, margin=1.0,
                       direction=direction)
    cam0 = probe
    u = (np.asarray(vertices) - np.asarray(cam0.focal)) @ cam0.right
    w = (np.asarray(vertices) - np.asarray(cam0.focal)) @ np.asarray(cam0.up)
    wmm, hmm = float(np.ptp(u)), float(np.ptp(w))
    mm_px = r
    capped = False
    if max(wmm, hmm) / mm_px > MAX_EYE_PX:
        mm_px = max(wmm, hmm) / MAX_EYE_PX
        capped = True
    pad = 6 + int(math.ceil(3 * conditions.glance_arcmin / conditions.acuity_arcmin))
    wpx = int(math.ceil(wmm / mm_px)) + 2 * pad
    hpx = int(math.ceil(hmm / mm_px)) + 2 * pad
    cam = Camera(cam0.focal, cam0.direction, cam0.up, mm_px * hpx / 2.0, wpx, hpx, view)
    return cam, mm_px, capped


def seen_from_here(renderer: Renderer, conditions, view: str = "three-quarter",
                   direction=None, supersample: int = 4) -> Seen:
    from scipy.ndimage import gaussian_filter

    v = renderer.frame
    cam, mm_px, capped = eye_camera(v, view, conditions, direction=direction)
    ss = max(1, min(supersample, 4096 // max(cam.width, cam.height, 1)))
    big = cam.scaled_to(cam.width * ss, cam.height * ss)
    img = renderer.render(big).astype(np.float64)
    h, w = cam.height, cam.width
    img = img[: h * ss, : w * ss].reshape(h, ss, w, ss, 3).mean(axis=(1, 3))
    ratio = conditions.glance_arcmin / conditions.acuity_arcmin
    s_eye = FWHM_TO_SIGMA * (conditions.resolvable_mm / mm_px)
    s_gl = FWHM_TO_SIGMA * ratio * (conditions.resolvable_mm / mm_px)
    eye = gaussian_filter(img, sigma=(s_eye, s_eye, 0), mode="nearest")
    gl = gaussian_filter(img, sigma=(s_gl, s_gl, 0), mode="nearest")
    rel = v - np.asarray(cam.focal)
    wpx = float(np.ptp(rel @ cam.right)) / mm_px
    hpx = float(np.ptp(rel @ np.asarray(cam.up))) / mm_px
    to8 = lambda a: np.clip(np.round(a), 0, 255).astype(np.uint8)  # noqa: E731
    return Seen(to8(eye), to8(gl), mm_px, (wpx, hpx), capped, cam)


def foreground_bbox(img: np.ndarray, background=(255, 255, 255), tol: int = 8):
    """(x0, y0, x1, y1) of the pixels that differ from the background, or None."""
    diff = np.abs(img.astype(np.int16) - np.asarray(background, dtype=np.int16)).max(axis=2)
    ys, xs = np.nonzero(diff > tol)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
