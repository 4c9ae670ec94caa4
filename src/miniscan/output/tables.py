"""Tables for the describing commands: info, profiles, rules, scale (rich text or JSON rows).

Writers only: the numbers come from the runner, the conditions and the kit measurement.
"""

from __future__ import annotations

import sys

TABLE_WIDTH = 130  # columns when stdout is not a terminal


def console():
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else TABLE_WIDTH)


def human_mm(mm: float) -> str:
    return f"{mm / 1000:.2f} m" if mm >= 1000 else f"{mm / 10:.1f} cm" if mm >= 10 else f"{mm:.2f} mm"


# --------------------------------------------------------------------------- info


def info_row(path: str, mi, cond) -> dict:
    """One file's `info` JSON row: the mesh and what the eye makes of it."""
    d = mi.to_dict()
    ext = max(mi.bbox_mm)
    d.update({"path": path, "resolvable_mm": cond.resolvable_mm,
              "real_size_mm": [cond.real_mm(x) for x in mi.bbox_mm],
              "mean_edge_real_mm": cond.real_mm(mi.mean_edge_mm),
              "edge_vs_resolvable": mi.mean_edge_mm / cond.resolvable_mm,
              "eye_pixels_tall": ext / cond.resolvable_mm})
    return d


def print_info(path: str, mi, cond) -> None:
    from rich.table import Table

    t = Table(title=path, show_header=False, title_justify="left")
    t.add_column("", style="bold")
    t.add_column("")
    ext = max(mi.bbox_mm)
    bb = " × ".join(f"{x:.2f}" for x in mi.bbox_mm)
    real = " × ".join(human_mm(cond.real_mm(x)) for x in mi.bbox_mm)
    parts = f"  parts: {', '.join(mi.parts[:6])}" if len(mi.parts) > 1 else ""
    units = mi.units + (" (guessed: pass --units to be sure)" if mi.units_guessed
                        else " (declared)")
    ps = mi.print_scale
    if ps is not None:  # the print size fixes the size: the units only set the factor
        units = mi.units + (" (guessed)" if mi.units_guessed else " (declared)") + \
            f"; scaled ×{ps.factor:.4g} to a print {ps.target_mm:g} mm in {ps.axis}"
    rows = [
        ("format", mi.format + (" (point cloud, surface rebuilt)" if mi.source != "mesh" else "")),
        ("faces / vertices", f"{mi.faces:,} / {mi.vertices:,}"),
        ("bodies", f"{mi.bodies:,}{parts}"),
        ("units", units),
        ("bounding box", f"{bb} mm"),
        ("watertight", "yes" if mi.watertight else "no"),
        ("mean edge", f"{mi.mean_edge_mm:.4g} mm"),
        (f"at 1:{cond.scale_n:g} real size", real),
        (f"eye at {cond.distance_mm:g} mm resolves", f"{cond.resolvable_mm:.4g} mm "
         f"(≈ {ext / cond.resolvable_mm:.0f} resolvable px across the largest side)"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console().print(t)


# --------------------------------------------------------------------------- profiles


def profile_rows(presets: dict) -> list[dict]:
    return [{"profile": name, "scale": f"1:{c.scale_n:g}", "distance_mm": c.distance_mm,
             "acuity_arcmin": c.acuity_arcmin, "glance_arcmin": c.glance_arcmin,
             "finish": c.finish, "lobe_rad": c.lobe_rad, "printer": c.printer.name,
             "paint_mm": c.paint_mm, "resolvable_mm": round(c.resolvable_mm, 4),
             "glance_mm": round(c.glance_mm, 4), "bevel_min_mm": round(c.bevel_min_mm, 4),
             "description": c.description} for name, c in presets.items()]


def print_profiles(rows: list[dict]) -> None:
    from rich.table import Table

    t = Table(title="miniscan profiles  (lengths in mm at model scale)", title_justify="left")
    for col, j in (("profile", "left"), ("scale", "right"), ("distance", "right"),
                   ("acuity′", "right"), ("glance′", "right"), ("finish (φ rad)", "left"),
                   ("printer", "left"), ("paint", "right"), ("resolves", "right"),
                   ("glance", "right"), ("R_min", "right")):
        t.add_column(col, justify=j)
    for r in rows:
        t.add_row(r["profile"], r["scale"], f"{r['distance_mm']:g}", f"{r['acuity_arcmin']:g}",
                  f"{r['glance_arcmin']:g}", f"{r['finish']} ({r['lobe_rad']:g})", r["printer"],
                  f"{r['paint_mm']:g}", f"{r['resolvable_mm']:.4f}", f"{r['glance_mm']:.3f}",
                  f"{r['bevel_min_mm']:.3f}")
    con = console()
    con.print(t)
    con.print("resolves = distance·tan(acuity) (macro-photo: a camera's stated 0.02 mm); "
              "glance = the same at the glance angle; R_min = resolves / φ, the smallest "
              "bevel whose highlight the eye resolves.", highlight=False)


# --------------------------------------------------------------------------- rules


def print_rules(rules) -> None:
    from rich.table import Table

    t = Table(title="miniscan rules  (`miniscan rule CODE` explains one)", title_justify="left")
    for col in ("code", "name", "family", "severity", "what it means"):
        t.add_column(col)
    for r in rules:
        t.add_row(r.code, r.name, r.family, r.severity, r.summary)
    console().print(t)


# --------------------------------------------------------------------------- scale (kits)


def print_kit(rep, declared) -> None:
    from rich.table import Table

    from ..kit import fmt_n

    t = Table(title="implied scale per model (base slab left out)", title_justify="left")
    for col, j in (("file", "left"), ("subject", "left"), ("measured", "right"),
                   ("base", "right"), ("implied", "right"), ("fits", "right"), ("", "left")):
        t.add_column(col, justify=j)
    for e in rep.entries:
        if e.error or e.implied_n is None:
            t.add_row(e.path, e.subject or "-", "-", "-", "-", "-",
                      "unreadable" if e.error else "no subject")
            continue
        verdict = "OUTLIER" if e.outlier else "ok"
        if e.fits_declared is False:
            verdict += f", not {fmt_n(declared)}"
        t.add_row(e.path, e.subject, f"{e.size_mm:.3g} mm {e.measure}",
                  f"{e.base_height_mm:.3g} mm" if e.base_detected else "-",
                  fmt_n(e.implied_n), f"{fmt_n(e.fit_n[0])}-{fmt_n(e.fit_n[1])}", verdict)
    con = console()
    con.print(t)
    if rep.median_n is not None:
        common = (f"every model fits {fmt_n(rep.common_fit_n[0])}-{fmt_n(rep.common_fit_n[1])}"
                  if rep.common_fit_n else "no single scale fits every model")
        con.print(f"kit scale {fmt_n(rep.median_n)} (median); spread {fmt_n(rep.min_n)} to "
                  f"{fmt_n(rep.max_n)} ({100 * (rep.spread_ratio - 1):.0f}%); {common}; "
                  f"{len(rep.outliers)} outlier(s)", highlight=False)
    for note in rep.notes:
        con.print(note, highlight=False)
