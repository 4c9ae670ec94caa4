"""How often the relief-spectrum peak reading (analysis/detail/peak.py) claims a peak where there
is no wave: sheets of Gaussian relief with a power-law spectrum, and the clean corpus hosts
(docs/texture.md section 7.19).

    PYTHONPATH=src python bench/texture_peak_null.py            # Gaussian sheets
    PYTHONPATH=src python bench/texture_peak_null.py --corpus   # and the corpus hosts

Prints, per sheet or host, the regions read and those whose peak is significant
(false-alarm probability under detail.FALSE_ALARM), all regions and those judging a texture."""

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


def claims(model, cond, lam_max=None) -> tuple[int, int, int, int]:
    """(regions read, claimed, judged regions read, claimed) for one model under cond, the
    band up to lam_max (mm; None: the texture band, two glances)."""
    an = Analysis(model)
    res = texture.run(model, cond, an)
    sp, reg, comp = res.layers.sp, res.layers.reg, res.layers.comp
    rr = np.arange(len(reg.count))
    top = 2.0 * cond.glance_mm if lam_max is None else lam_max
    fap = detail.peak_wavelengths(an, sp, reg, rr, np.full(len(rr), top))[3]
    read, hit, judged = np.isfinite(fap), fap < detail.FALSE_ALARM, comp.valid[0]
    return int(read.sum()), int(hit.sum()), int((read & judged).sum()), int((hit & judged).sum())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", action="store_true", help="also the clean corpus hosts")
    ap.add_argument("--cases", type=int, default=50, help="corpus cases whose hosts to read")
    args = ap.parse_args(argv)
    cond = resolve("tabletop", printer="resin")
    tot = np.zeros(4, int)
    for beta in (2.0, 3.0, 4.0):
        for style in ("isotropic", "irregular", "sliver"):
            v, f = gaussian_sheet(beta, style, int(10 * beta) + len(style))
            c = claims(from_arrays(v, f), cond, np.inf)  # every wavelength a region holds
            tot += c
            print(f"gaussian beta {beta:g} {style:9s} claimed {c[1]:3d} / {c[0]:3d} regions, "
                  f"{c[3]:2d} / {c[2]:2d} judged", flush=True)
    print(f"gaussian sheets: claimed {tot[1]} / {tot[0]} regions, {tot[3]} / {tot[2]} judged "
          f"(nominal {detail.FALSE_ALARM:.0%})")
    if args.corpus:
        from truth import suite

        corpus = str((ROOT.parent / "shared" / "corpus").resolve())
        for i in range(args.cases):
            case = suite.build(suite.parse_task(f"texture:c{i}", False, corpus))
            if case is None or case.host_model is None:
                continue
            c = claims(case.host_model, case.resolved_conditions())
            print(f"c{i} {Path(str(case.host).split('+')[0]).name}: claimed {c[1]} / {c[0]} "
                  f"regions, {c[3]} / {c[2]} judged", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
