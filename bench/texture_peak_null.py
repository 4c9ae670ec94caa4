"""How often the relief-spectrum peak reading (analysis/detail/peak.py) claims a peak where there
is no wave: sheets of Gaussian relief with a power-law spectrum, isotropic and along one
direction only (folds), and the clean corpus hosts (docs/texture.md sections 7.19-7.20).

    PYTHONPATH=src python bench/texture_peak_null.py            # Gaussian and fold sheets
    PYTHONPATH=src python bench/texture_peak_null.py --corpus   # and the corpus hosts

Prints, per sheet or host, the regions read and those whose peak is significant
(false-alarm probability under detail.FALSE_ALARM) against the ring of its |k| alone and
against the ring and its own ray, all regions and those judging a texture."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.interpolate import RegularGridInterpolator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from miniscan.analysis import Analysis, detail  # noqa: E402
from miniscan.checks import texture  # noqa: E402
from miniscan.conditions import resolve  # noqa: E402
from miniscan.model import from_arrays  # noqa: E402
from truth.mesh import plane_lattice  # noqa: E402

SIZE, EDGE, RMS = 12.0, 0.1, 0.02  # mm: a sheet 120 edges square, relief 0.02 mm rms
GRID = 512  # the relief's raster (5 samples an edge: the mesh interpolates it, not aliases it)


def gaussian_sheet(beta: float, style: str, seed: int):
    """A sheet whose heights are Gaussian relief with power ~ f^-beta (white phases) up to the
    mesh's Nyquist, at a random 3D rotation."""
    rng = np.random.default_rng(seed)
    xy, f = plane_lattice(style, SIZE, SIZE, EDGE, rng)
    fx = np.fft.fftfreq(GRID, d=SIZE / GRID)
    fr = np.hypot(*np.meshgrid(fx, fx, indexing="ij"))
    fr[0, 0] = np.inf
    amp = np.where(fr > 1 / (2 * EDGE), 0.0, fr ** (-beta / 2))
    z = np.fft.ifft2(amp * np.exp(2j * np.pi * rng.uniform(size=amp.shape))
                     * rng.rayleigh(size=amp.shape)).real
    g = np.linspace(0, SIZE, GRID)
    h = RegularGridInterpolator((g, g), z * RMS / z.std())(np.clip(xy, 0, SIZE))
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return np.column_stack([xy, h]) @ (q * np.sign(np.diag(r))).T, f


def fold_sheet(beta: float, style: str, seed: int):
    """A sheet whose heights are Gaussian relief along one direction only (power ~ f^-beta up
    to the mesh's Nyquist, white phases), constant along the other: folds or ridges, whose
    power lies on one ray through the origin; at a random 3D rotation."""
    rng = np.random.default_rng(seed)
    xy, f = plane_lattice(style, SIZE, SIZE, EDGE, rng)
    n = 2 * GRID  # over 1.5 sheets: the sheet's diagonal at any direction
    fr = np.fft.rfftfreq(n, d=1.5 * SIZE / n)
    amp = np.where((fr > 0) & (fr <= 1 / (2 * EDGE)), np.maximum(fr, 1e-12) ** (-beta / 2), 0.0)
    z = np.fft.irfft(amp * rng.rayleigh(size=amp.shape)
                     * np.exp(2j * np.pi * rng.uniform(size=amp.shape)), n)
    ang = rng.uniform(0, np.pi)
    u = (xy - SIZE / 2) @ np.array([np.cos(ang), np.sin(ang)])
    h = np.interp(u, np.linspace(-0.75 * SIZE, 0.75 * SIZE, n), z)
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return np.column_stack([xy, h * RMS / h.std()]) @ (q * np.sign(np.diag(r))).T, f


def claims(model, cond, lam_max=None) -> np.ndarray:
    """(regions read, claimed by the ring's test, claimed by the ring's and the ray's) and the
    same three for the regions judging a texture, then the ring's claims whose ray could be
    read (the rest hold no pair of ordinates either side of the peak's main lobe), for one
    model under cond, the band up to lam_max (mm; None: the texture band, two glances)."""
    an = Analysis(model)
    res = texture.run(model, cond, an)
    sp, reg, comp = res.layers.sp, res.layers.reg, res.layers.comp
    rr = np.arange(len(reg.count))
    top = 2.0 * cond.glance_mm if lam_max is None else lam_max
    pk = detail.peak_wavelengths(an, sp, reg, rr, np.full(len(rr), top))
    with np.errstate(invalid="ignore"):
        read, ring = np.isfinite(pk[3]), pk[3] < detail.FALSE_ALARM
        both = ring & (pk[4] < detail.FALSE_ALARM)
    j = comp.valid[0]
    return np.array([read.sum(), ring.sum(), both.sum(), (read & j).sum(), (ring & j).sum(),
                     (both & j).sum(), (ring & np.isfinite(pk[4])).sum()], int)


def _line(c) -> str:
    return (f"claimed ring {c[1]:3d}, ring and ray {c[2]:3d} / {c[0]:3d} regions; judged "
            f"{c[4]:2d}, {c[5]:2d} / {c[3]:2d}; the ray read on {c[6]} of the ring's claims")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", action="store_true", help="also the clean corpus hosts")
    ap.add_argument("--cases", type=int, default=50, help="corpus cases whose hosts to read")
    args = ap.parse_args(argv)
    cond = resolve("tabletop", printer="resin")
    tot = np.zeros(7, int)
    for beta in (2.0, 3.0, 4.0):
        for style in ("isotropic", "irregular", "sliver"):
            v, f = gaussian_sheet(beta, style, int(10 * beta) + len(style))
            c = claims(from_arrays(v, f), cond, np.inf)  # every wavelength a region holds
            tot += c
            print(f"gaussian beta {beta:g} {style:9s} {_line(c)}", flush=True)
    print(f"gaussian sheets: {_line(tot)} (nominal {detail.FALSE_ALARM:.0%})", flush=True)
    tot = np.zeros(7, int)
    for beta in (2.0, 3.0, 4.0):
        for style in ("isotropic", "irregular", "sliver"):
            v, f = fold_sheet(beta, style, int(10 * beta) + len(style))
            c = claims(from_arrays(v, f), cond, np.inf)
            tot += c
            print(f"folds beta {beta:g} {style:9s} {_line(c)}", flush=True)
    print(f"fold sheets: {_line(tot)} (nominal {detail.FALSE_ALARM:.0%})", flush=True)
    if args.corpus:
        from truth import suite

        corpus = str((ROOT.parent / "shared" / "corpus").resolve())
        tot = np.zeros(7, int)
        for i in range(args.cases):
            case = suite.build(suite.parse_task(f"texture:c{i}", False, corpus))
            if case is None or case.host_model is None:
                continue
            c = claims(case.host_model, case.resolved_conditions())
            tot += c
            print(f"c{i} {Path(str(case.host).split('+')[0]).name}: {_line(c)}", flush=True)
        print(f"corpus hosts: {_line(tot)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
