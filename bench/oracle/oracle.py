"""An independent visibility oracle (DESIGN.md section 8): render a plate with and without a
known detail at the eye's pixels per degree and ask FLIP (Andersson et al. 2020, the
`flip-evaluator` package) whether the two pictures differ visibly; then ask miniscan the same
question (MS102 for a ripple, MS301 for specular noise) on the same mesh.

The renderer is a small float ray caster for height fields seen straight down (orthographic):
each sample finds its triangle in the plate's plan view and shades with the barycentric blend of
the mesh's vertex normals (Phong interpolation, what an OpenGL viewer does). It renders in float
on purpose: an 8-bit framebuffer steps by 1/255 (0.4-0.8 % Weber contrast at mid grey), as coarse
as the contrast threshold being tested, so near-threshold ripples would be quantised away.
The eye's pixel is the foveal cone spacing, half the acuity angle (0.5 arcmin for a 1' observer:
Curcio et al. 1990; a 1' gap is a 30 cpd grating, the cone mosaic's Nyquist limit is ~60 cpd), so
the image is sampled at EYE_PX_PER_ACUITY pixels per acuity angle. Sampling at one pixel per
acuity angle instead (60 ppd) aliases 30-60 cpd ripples into visible moire: a ripple of period
1.2' and slope contrast 1 then reads FLIP 0.41 although no eye resolves it. Samples are
box-averaged to eye pixels (SUPERSAMPLE per axis: the cone integrates light over its aperture);
FLIP then applies its own CSF at those pixels per degree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import Delaunay

EYE_PX_PER_ACUITY = 2  # foveal cones ~0.5' apart (see above): 120 ppd for a 1' observer
SUPERSAMPLE = 3  # samples per eye pixel per axis: the finest swept ripple (1') gets 6
MAX_EYE_PX = 160  # image side in eye pixels (80' at 1'): renders stay <= 480^2 samples
MIN_EYE_PX = 96  # FLIP's filters span several arcmin; keep a margin of flat plane
AMBIENT = 0.05  # linear fill light, so shadowed sides are not pure black
ALBEDO = 0.8  # diffuse reflectance of a light-grey primer
KEY_ELEVATION_DEG = 45.0  # the key light of vision.relief_contrast: ~45 deg off the normal
KEY_AZIMUTHS_DEG = (0.0, 45.0, 90.0)  # across, diagonal to, and along the ripple's crests
SPEC_KD, SPEC_KS = 0.3, 0.6  # glossy paint: a weak diffuse base under a strong lobe
# The visibility threshold. A difference is called visible when the 95th percentile of the
# FLIP map over the detail's core exceeds the FLIP value of one just-noticeable colour
# difference between two uniform fields at the plate's grey: Delta E*ab = 2.3 (Mahy, Van Eycken
# & Oosterlinck 1994, "Evaluation of uniform color spaces developed after the adoption of CIELAB
# and CIELUV", Color Res. Appl. 19(2); Sharma 2003, Digital Color Imaging Handbook). FLIP maps
# colour differences through its own CSF and HyAB distance, so the JND is carried into FLIP's
# units by FLIP itself (flip_jnd), not chosen here.
JND_DELTA_E = 2.3
PERCENTILE = 95.0  # a detail is seen where it is strongest, not on average over its patch


@dataclass(frozen=True)
class Plate:
    """An open height-field sheet in the xy plane (normal +z), its flat twin and the detail's
    core radius (mm) around the origin."""
    v: np.ndarray
    f: np.ndarray
    flat: np.ndarray
    core_mm: float


def lattice(size_mm: float, h_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic (equilateral) points about h apart over a size x size square centred on 0."""
    ny = int(size_mm / (h_mm * math.sqrt(3) / 2)) + 2
    nx = int(size_mm / h_mm) + 2
    j, i = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    xy = np.stack([(i + 0.5 * (j % 2)) * h_mm, j * h_mm * math.sqrt(3) / 2], -1).reshape(-1, 2)
    xy = xy[(xy[:, 0] <= size_mm) & (xy[:, 1] <= size_mm)] - size_mm / 2
    return xy, Delaunay(xy).simplices


def taper(r: np.ndarray, core: float, width: float) -> np.ndarray:
    """1 inside the core, a raised-cosine fall to 0 over `width`, 0 beyond."""
    t = np.clip((r - core) / width, 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * t))


def ripple_plate(lam: float, amp: float, per_wave: int = 6, core_waves: float = 3.0,
                 half_waves: float = 6.0) -> Plate:
    """h = amp cos(2 pi x / lam) over a disc of core_waves wavelengths radius, tapered over one
    wavelength, on a plate 2 * half_waves wavelengths square."""
    xy, f = lattice(2 * half_waves * lam, lam / per_wave)
    r = np.hypot(xy[:, 0], xy[:, 1])
    h = amp * np.cos(2 * np.pi * xy[:, 0] / lam) * taper(r, core_waves * lam, lam)
    flat = np.column_stack([xy, np.zeros(len(xy))])
    return Plate(np.column_stack([xy, h]), f, flat, core_waves * lam)


def noise_field(xy: np.ndarray, corr_mm: float, slope_rad: float, seed: int) -> np.ndarray:
    """Isotropic Gaussian random relief of correlation length corr_mm whose RMS slope (per
    axis) is slope_rad: a sum of 256 random plane waves (vectorised over points)."""
    rng = np.random.default_rng(seed)
    k = rng.normal(size=(256, 2)) / corr_mm  # Gaussian spectrum, e^-(k corr)^2/2
    ph = rng.uniform(0, 2 * np.pi, 256)
    h = np.cos(xy @ k.T + ph).sum(axis=1)
    rms_slope = math.sqrt(0.5 * np.mean(np.sum(k ** 2, axis=1)) * 256 / 2)
    return h * slope_rad / rms_slope


def noise_plate(corr: float, slope: float, seed: int, per_corr: int = 4,
                core_corr: float = 6.0, half_corr: float = 10.0) -> Plate:
    """Specular noise (correlation length corr mm, RMS slope `slope` rad) over a disc of
    core_corr correlation lengths, tapered over two, on a plate 2 * half_corr lengths square."""
    xy, f = lattice(2 * half_corr * corr, corr / per_corr)
    r = np.hypot(xy[:, 0], xy[:, 1])
    h = noise_field(xy, corr, slope, seed) * taper(r, core_corr * corr, 2 * corr)
    flat = np.column_stack([xy, np.zeros(len(xy))])
    return Plate(np.column_stack([xy, h]), f, flat, core_corr * corr)


def vertex_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (np.add.at over the face corners)."""
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    vn = np.zeros_like(v)
    for c in range(3):
        np.add.at(vn, f[:, c], fn)
    return vn / np.linalg.norm(vn, axis=1, keepdims=True)


@dataclass(frozen=True)
class Eye:
    """The image grid: n eye pixels of pixel_mm on the plate, pixels per degree ppd."""
    n: int
    pixel_mm: float
    ppd: float


def eye_grid(distance_mm: float, acuity_arcmin: float, plate_mm: float) -> Eye:
    """EYE_PX_PER_ACUITY pixels per acuity angle; enough pixels to hold the plate, within the
    limits (a larger plate is cropped to its middle, where the detail's core is)."""
    pixel = distance_mm * math.tan(math.radians(acuity_arcmin / 60.0)) / EYE_PX_PER_ACUITY
    n = int(np.clip(math.ceil(plate_mm / pixel), MIN_EYE_PX, MAX_EYE_PX))
    return Eye(n, pixel, 60.0 * EYE_PX_PER_ACUITY / acuity_arcmin)


def sample_normals(v: np.ndarray, f: np.ndarray, eye: Eye) -> np.ndarray:
    """Interpolated normals at SUPERSAMPLE^2 samples per eye pixel, (n*s, n*s, 3); samples
    off the plate see the flat plane it lies in."""
    m = eye.n * SUPERSAMPLE
    c = (np.arange(m) + 0.5 - m / 2) * eye.pixel_mm / SUPERSAMPLE
    X, Y = np.meshgrid(c, c)
    p = np.column_stack([X.ravel(), Y.ravel()])
    tri = Delaunay(v[:, :2]) if f is None else _plan(v, f)
    s = tri.find_simplex(p)
    ok = s >= 0
    T = tri.transform[s[ok]]
    b2 = np.einsum("nij,nj->ni", T[:, :2], p[ok] - T[:, 2])
    bary = np.column_stack([b2, 1 - b2.sum(axis=1)])
    vn = vertex_normals(v, tri.simplices)
    n = np.tile([0.0, 0.0, 1.0], (len(p), 1))
    n[ok] = np.einsum("ni,nij->nj", bary, vn[tri.simplices[s[ok]]])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return n.reshape(m, m, 3)


def _plan(v, f):
    """The plate's plan-view triangulation (its faces are the Delaunay triangles of its plan)."""
    return Delaunay(v[:, :2])


def direction(elev_deg: float, azim_deg: float) -> np.ndarray:
    e, a = math.radians(elev_deg), math.radians(azim_deg)
    return np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])


def shade(n: np.ndarray, light: np.ndarray, lobe_rad: float | None) -> np.ndarray:
    """Linear radiance per sample, box-averaged to eye pixels and returned as (n, n, 3).
    lobe_rad None: Lambert (matte primer); else Blinn-Phong of half-width lobe_rad seen from +z."""
    ndl = np.clip(n @ light, 0.0, None)
    if lobe_rad is None:
        out = AMBIENT + ALBEDO * ndl
    else:
        hv = light + np.array([0.0, 0.0, 1.0])
        hv /= np.linalg.norm(hv)
        expo = 2.0 * math.log(2.0) / lobe_rad ** 2  # inverse of vision.lobe_from_exponent
        out = AMBIENT + SPEC_KD * ndl + SPEC_KS * np.clip(n @ hv, 0.0, None) ** expo
    s = SUPERSAMPLE
    m = out.shape[0] // s
    px = out.reshape(m, s, m, s).mean(axis=(1, 3))
    return np.repeat(np.clip(px, 0.0, 1.0)[..., None], 3, axis=2)


def flip_map(ref: np.ndarray, test: np.ndarray, ppd: float) -> np.ndarray:
    """FLIP's per-pixel error map (LDR, linear-light inputs) at ppd pixels per degree."""
    import flip_evaluator as flip

    err, _, _ = flip.evaluate(ref.astype(np.float32), test.astype(np.float32), "LDR",
                              inputsRGB=False, applyMagma=False, computeMeanError=False,
                              parameters={"ppd": float(ppd)})
    return np.asarray(err, float).reshape(ref.shape[:2])


def lstar(y: float) -> float:
    return 116.0 * (y ** (1 / 3) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116) - 16.0


def from_lstar(L: float) -> float:
    t = (L + 16.0) / 116.0
    return t ** 3 if t ** 3 > 216 / 24389 else L * 27 / 24389


def flip_jnd(grey: float, ppd: float, n: int = 32) -> float:
    """FLIP's value for one JND (Delta L* = JND_DELTA_E) between two uniform grey fields."""
    a = np.full((n, n, 3), grey)
    b = np.full((n, n, 3), from_lstar(min(100.0, lstar(grey) + JND_DELTA_E)))
    return float(np.median(flip_map(a, b, ppd)))
