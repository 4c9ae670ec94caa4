"""The distance-sweep chart: findings against viewing distance, one band per rule.

Top: how many warnings (and errors) hold at each distance. Below: one band per rule group
(rule and part) where it holds, coloured by severity; a sampled row's uncertain ends (between
two samples) are hatched. Green background: the model reads (no warning left). The profile's
distance is a dashed line. Line art: saved as PNG, deterministic (Agg, no metadata).
"""

from __future__ import annotations

from io import BytesIO

import numpy as np

from . import draw

BAND_H = 0.62  # band height, in rows
ROW_INCH = 0.32  # figure height per band
CURVE_POINTS = 400  # distances the count curve is evaluated at (log-spaced)
DPI = 100
READS_RGB = (0.86, 0.95, 0.86)


def _rgb(sev: str) -> tuple[float, float, float]:
    return tuple(c / 255 for c in draw.SEVERITY_RGB.get(sev, draw.INK))


def _fmt(x, _pos=None) -> str:
    return f"{x / 1000:g} m" if x >= 1000 else f"{x:g} mm"


def sweep_chart(sweep, width_px: int = 1200) -> bytes:
    """The chart as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    from ..sweep import count_at

    rows = list(sweep.rows)
    n = max(1, len(rows))
    w_in = width_px / DPI
    fig, (top, bands) = plt.subplots(
        2, 1, figsize=(w_in, 2.4 + ROW_INCH * n + 0.9), dpi=DPI, sharex=True,
        gridspec_kw={"height_ratios": [2.2, ROW_INCH * n + 0.3]})
    near, far = sweep.near_mm, sweep.far_mm
    xs = np.geomspace(near, far, CURVE_POINTS)
    for ax in (top, bands):
        for lo, hi in sweep.reads:
            ax.axvspan(lo, hi, color=READS_RGB, zorder=0, lw=0)
        ax.axvline(sweep.profile_distance_mm, color="0.35", ls="--", lw=1, zorder=1)
    top.step(xs, [count_at(sweep, x) for x in xs], where="mid", color=_rgb("warning"), lw=2,
             label="warnings and errors")
    top.step(xs, [count_at(sweep, x, ("info",)) for x in xs], where="mid", color=_rgb("info"),
             lw=1.5, label="info")
    top.set_ylabel("findings")
    top.set_ylim(bottom=0)
    top.legend(loc="upper left", fontsize=8, frameon=False)
    top.set_title(f"{sweep.path}: findings against viewing distance", fontsize=10, loc="left")
    top.text(1.0, 1.02, "green: reads (no warning left) · dashed: the profile's distance",
             transform=top.transAxes, ha="right", va="bottom", fontsize=8, color="0.35")
    _bands(bands, rows, sweep.samples_mm)
    bands.set_xscale("log")
    bands.set_xlim(near, far)
    bands.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    bands.xaxis.set_major_formatter(FuncFormatter(_fmt))
    bands.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    bands.set_xlabel("viewing distance")
    fig.tight_layout()
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _bands(ax, rows, samples) -> None:
    """One band per row: solid where it holds, hatched where it may (between samples), a dot
    at each sample where a sampled row was found."""
    labels = []
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        col = _rgb(r.severity)
        for lo, hi in r.may_hold:  # where it may hold: hatched, under the known spans
            ax.broken_barh([(lo, hi - lo)], (y - BAND_H / 2, BAND_H), facecolors="none",
                           edgecolors=col, hatch="///", lw=0.6)
        for lo, hi in r.spans:
            ax.broken_barh([(lo, max(hi - lo, lo * 1e-3))], (y - BAND_H / 2, BAND_H),
                           facecolors=col, edgecolors=col)
        hits = [d for d, p in zip(samples, r.present) if p]
        if hits:
            ax.plot(hits, [y] * len(hits), "o", color=col, ms=5, mec="white", mew=0.8)
        part = f" ({r.part})" if r.part else ""
        labels.append((y, f"{r.code} {r.name}{part} · {r.method}"))
    if labels:
        ax.set_yticks([y for y, _ in labels], [t for _, t in labels], fontsize=8)
    else:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no findings at any distance of the range", ha="center",
                va="center", transform=ax.transAxes)
    ax.set_ylim(-0.8, max(len(rows), 1) - 0.2)
