"""The HTML report: one self-contained page (images embedded as data: URIs, no network).

Filters (family, severity, part) over every findings table, then a summary table, then per
file: the pictures (a callout disc is a link to its finding's row, and each row links back),
the findings table (sortable by clicking a header; a merged finding lists its places), the
distance sweep when one was run, the detail-budget table when the texture family produced
one, each family's metrics, and the conditions used. Plain HTML + CSS and a little inline JS;
works from a file:// URL. Writers never compute geometry: pictures arrive already drawn.

Size: shaded renders (overview, heat maps, seen from here) are embedded as lossy WebP no
wider than the page, line art (silhouette sheet, orbit strip, sweep chart) as PNG, so one
miniature's report stays well under 2 MB.
"""

from __future__ import annotations

import base64
import html
import json
import math
from typing import Any, Iterable

from ..findings import Report
from ..rules import SEVERITIES
from .html_assets import CSS as _CSS, JS as _JS


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _num(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        if not math.isfinite(x):
            return "–"
        return f"{x:.4g}"
    return _e(x)


def _data_uri(data: bytes, ext: str) -> str:
    mime = {"png": "image/png", "gif": "image/gif", "jpg": "image/jpeg",
            "webp": "image/webp"}.get(ext, "image/png")
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


# Characters of a nested metric (a list or table) shown in the page; the JSON report has all.
METRIC_TEXT_MAX = 300


def _kv_table(d: dict) -> str:
    rows = []
    for k, v in d.items():
        if isinstance(v, (dict, list)):
            v = json.dumps(v, default=str)
            v = v if len(v) < METRIC_TEXT_MAX else v[:METRIC_TEXT_MAX] + "…"
            rows.append(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>")
        else:
            rows.append(f"<tr><th>{_e(k)}</th><td>{_num(v)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _rows_table(rows: list[dict]) -> str:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f'<th class="sortable">{_e(c)}</th>' for c in cols)
    body = "".join("<tr>" + "".join(
        f"<td>{_num(r.get(c)) if not isinstance(r.get(c), (dict, list)) else _e(json.dumps(r.get(c), default=str))}</td>"
        for c in cols) + "</tr>" for r in rows)
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _flat(row: dict, scale_n: float | None) -> dict:
    out = {}
    for k, v in row.items():
        if isinstance(v, dict):
            out.update({f"{k}: {kk}": vv for kk, vv in v.items()})
        else:
            out[k] = v
        if k == "wavelength_mm" and scale_n and isinstance(v, (int, float)):
            out["wavelength real (mm)"] = v * scale_n
    return out


def budget_table(metrics: dict, scale_n: float | None = None) -> str | None:
    """The texture family's detail budget, whatever shape it has (rows or a dict of rows);
    nested survival shares become one column per stage."""
    for key in ("detail_budget", "budget", "bands"):
        b = metrics.get(key)
        if isinstance(b, list) and b and all(isinstance(r, dict) for r in b):
            return _rows_table([_flat(r, scale_n) for r in b])
        if isinstance(b, dict) and b:
            if all(isinstance(v, dict) for v in b.values()):
                return _rows_table([{"band": k, **v} for k, v in b.items()])
            return _kv_table(b)
    return None


# --------------------------------------------------------------------------- images

SHADED_KINDS = ("overview", "heat", "seen", "orbit")  # renders: lossy WebP is fine and small
WEB_MAX_PX = 1320  # the page's width (CSS max-width): wider pixels are never shown
WEBP_QUALITY = 82  # text in the pictures stays crisp at 100 % zoom; ~5x smaller than PNG
# Line art (silhouette sheet, sweep chart) has a few flat colours plus anti-aliased text: an
# adaptive palette of this many colours is indistinguishable and a third of the RGB PNG.
LINE_ART_COLOURS = 64


def web_image(p) -> tuple[bytes, str, int | None, int | None]:
    """(bytes, extension, width, height) of a picture for the page: renders as WebP (the
    animated orbit too; JPEG/GIF where Pillow has no WebP), line art as palette PNG, none
    wider than the page."""
    from PIL import features

    webp = features.check("webp")
    if getattr(p, "image", None) is None:
        if p.ext == "gif" and webp:
            return _animated_webp(p.encoded()), "webp", None, None
        return p.encoded(), p.ext, None, None
    from io import BytesIO

    from PIL import Image

    img = Image.fromarray(p.image)
    if img.width > WEB_MAX_PX:
        img = img.resize((WEB_MAX_PX, round(img.height * WEB_MAX_PX / img.width)),
                         Image.Resampling.LANCZOS)
    buf = BytesIO()
    if p.kind in SHADED_KINDS:
        if webp:
            img.save(buf, format="WEBP", quality=WEBP_QUALITY, method=4)
        else:  # pragma: no cover - Pillow built without WebP
            img.save(buf, format="JPEG", quality=WEBP_QUALITY, optimize=True)
        ext = "webp" if webp else "jpg"
    else:
        img.quantize(LINE_ART_COLOURS, dither=Image.Dither.NONE).save(buf, format="PNG",
                                                                      optimize=True)
        ext = "png"
    return buf.getvalue(), ext, img.width, img.height


def _animated_webp(gif: bytes) -> bytes:
    """An animated GIF re-encoded as animated WebP (same frames and timing, far smaller)."""
    from io import BytesIO

    from PIL import Image, ImageSequence

    src = Image.open(BytesIO(gif))
    frames = [f.convert("RGB") for f in ImageSequence.Iterator(src)]
    buf = BytesIO()
    frames[0].save(buf, format="WEBP", save_all=True, append_images=frames[1:],
                   duration=src.info.get("duration", 100), loop=0, quality=WEBP_QUALITY,
                   method=4)
    return buf.getvalue()


def _callout_links(p, i: int, w0: int, h0: int) -> str:
    """Transparent links over a picture's numbered discs, to their findings' rows."""
    r = float(p.meta.get("callout_radius") or 0.0)
    out = []
    for c in p.meta.get("callouts") or ():
        x, y = c.label_px
        out.append(f'<a class="callout" href="#f{i}-{c.number}" '
                   f'title="finding {c.number}: {_e(c.finding.code)} {_e(c.finding.name)}" '
                   f'style="left:{100 * x / w0:.3f}%;top:{100 * y / h0:.3f}%;'
                   f'width:{200 * r / w0:.3f}%;height:{200 * r / h0:.3f}%"></a>')
    return "".join(out)


def figure(p, i: int) -> str:
    """One picture: its image, links over its callouts, a caption; heat maps carry their
    family (the family filter hides them)."""
    data, ext, w, h = web_image(p)
    src = getattr(p, "image", None)
    links = _callout_links(p, i, src.shape[1], src.shape[0]) if src is not None else ""
    fam = f' data-family="{_e(p.family)}"' if p.kind == "heat" and p.family else ""
    size = f' width="{w}" height="{h}"' if w else ""
    return (f'<figure id="pic-{i}-{_e(p.key)}"{fam}><div class="pic">'
            f'<img src="{_data_uri(data, ext)}" alt="{_e(p.title)}"{size} loading="eager">'
            f"{links}</div><figcaption>{_e(p.title)}"
            + (" · click a number to see its finding" if links else "")
            + "</figcaption></figure>")


# --------------------------------------------------------------------------- findings


def _place(loc) -> str:
    from .text import place_text

    return place_text(loc)


def _places_list(f) -> str:
    if f.count <= 1 or not f.places:
        return ""
    unit = f" {f.unit}" if f.unit else ""
    items = "".join(f"<li>{_e(_place(p.location))}"
                    + (f": {_num(p.measured)}{_e(unit)}" if p.measured is not None else "")
                    + "</li>" for p in f.places)
    return (f"<details><summary>{f.count} places</summary>"
            f'<ol class="places">{items}</ol></details>')


def _row(f, fam: str, i: int, n: int, back: str) -> str:
    from .text import holds_text

    col = {"error": "var(--error)", "warning": "var(--warning)", "info": "var(--info)"}[f.severity]
    holds = holds_text(f.holds_mm)
    return (
        f'<tr class="finding" id="f{i}-{n}" data-family="{_e(fam)}" data-severity="{f.severity}" '
        f'data-part="{_e(f.location.part or "")}">'
        f'<td class="num" data-sort="{n}"><span class="n" style="background:{col}">{n}</span>'
        f'<a class="back" href="{back}" title="back to the picture">↩</a></td>'
        f'<td data-sort="{SEVERITIES.index(f.severity)}"><span class="sev sev-{f.severity}">{f.severity}</span></td>'
        f"<td>{_e(f.code)}</td><td>{_e(f.name)}</td><td>{_e(f.message)}"
        + (f'<br><span class="muted">{_e(holds)}</span>' if holds else "") + "</td>"
        f'<td class="num" data-sort="{_e(f.measured) if f.measured is not None else ""}">{_num(f.measured)}'
        f"{' ' + _e(f.unit) if f.unit and f.measured is not None else ''}</td>"
        f'<td class="num">{_num(f.threshold)}</td>'
        f"<td>{_e(_place(f.location))}{_places_list(f)}</td><td>{_e(f.advice)}</td></tr>")


def findings_table(fr, file_index: int = 0, back: str | None = None) -> str:
    """The file's findings, numbered as on the pictures; each row links back to `back`."""
    rows = []
    n = 0
    back = back or f"#file-{file_index}"
    for c in fr.checks:
        for f in c.findings:
            n += 1
            rows.append(_row(f, c.family, file_index, n, back))
    if not rows:
        return '<p class="muted">No findings.</p>'
    head = ("<tr><th class=\"sortable num\">#</th><th class=\"sortable\">severity</th>"
            "<th class=\"sortable\">code</th><th class=\"sortable\">rule</th><th>message</th>"
            "<th class=\"sortable num\">measured</th><th class=\"num\">threshold</th>"
            "<th>where (model mm, best view)</th><th>advice</th></tr>")
    return f'<table class="sortable findings"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def filters(report: Report) -> str:
    """The filter bar: families, severities and parts present in the report."""
    fams = list(dict.fromkeys(c.family for fr in report.files for c in fr.checks if c.findings))
    parts = sorted({f.location.part for fr in report.files for f in fr.findings if f.location.part})
    if not fams:
        return ""
    box = lambda name, v: (f'<label><input type="checkbox" name="{name}" value="{_e(v)}" '  # noqa: E731
                           f'checked> {_e(v)}</label>')
    out = ['<form class="filters" onsubmit="return false">',
           "<fieldset><legend>Family</legend>" + "".join(box("family", f) for f in fams) + "</fieldset>",
           "<fieldset><legend>Severity</legend>"
           + "".join(box("severity", s) for s in reversed(SEVERITIES)) + "</fieldset>"]
    if parts:
        opts = "".join(f'<option value="{_e(p)}">{_e(p)}</option>' for p in parts)
        out.append('<fieldset><legend>Part</legend><select id="filter-part">'
                   f'<option value="">all parts</option>{opts}</select></fieldset>')
    out.append('<span id="filter-count" class="muted"></span></form>')
    return "".join(out)


# --------------------------------------------------------------------------- sweep


def sweep_section(sw, i: int) -> str:
    """The distance sweep of one file: its chart and its rows."""
    from ..render.sweep_chart import sweep_chart
    from .sweep import reads_text, sweep_lines

    png = sweep_chart(sw)
    lines = sweep_lines(sw)[1:]
    return (f'<h3 id="sweep-{i}">Distance sweep</h3>'
            f'<p class="muted">{_e(reads_text(sw))}</p>'
            f'<figure id="pic-{i}-sweep"><img src="{_data_uri(png, "png")}" '
            f'alt="findings against viewing distance"><figcaption>Findings against viewing '
            f"distance, one band per rule and part (hatched: may hold, between two samples)"
            f"</figcaption></figure><details><summary>rows</summary><pre>"
            + _e("\n".join(ln.strip() for ln in lines)) + "</pre></details>")


# --------------------------------------------------------------------------- the page


def _summary(report: Report) -> list[str]:
    out = ["<h2>Summary</h2>",
           '<table class="sortable"><thead><tr><th class="sortable">file</th>'
           '<th class="sortable">status</th><th class="sortable num">faces</th>'
           '<th class="sortable num">errors</th><th class="sortable num">warnings</th>'
           '<th class="sortable num">info</th><th>worst</th></tr></thead><tbody>']
    for i, fr in enumerate(report.files):
        cnt = {s: 0 for s in SEVERITIES}
        for f in fr.findings:
            cnt[f.severity] += 1
        w = fr.worst()
        worst = f"{w.code} {w.name}" if w else ("–" if fr.status == "ok" else _e(fr.error))
        out.append(f'<tr><td><a href="#file-{i}">{_e(fr.path)}</a></td>'
                   f'<td class="{"status-error" if fr.status != "ok" else ""}">{_e(fr.status)}</td>'
                   f'<td class="num">{fr.mesh.faces if fr.mesh else ""}</td>'
                   f'<td class="num">{cnt["error"]}</td><td class="num">{cnt["warning"]}</td>'
                   f'<td class="num">{cnt["info"]}</td><td>{_e(worst)}</td></tr>')
    out.append("</tbody></table>")
    return out


def _mesh_line(m) -> str:
    ps = m.print_scale
    scaled = "" if ps is None else \
        f" · scaled ×{ps.factor:.4g} to a print {ps.target_mm:g} mm in {ps.axis}"
    return (f'<p class="muted">{_e(m.format)} · {m.faces:,} faces · '
            f'{" × ".join(f"{x:.2f}" for x in m.bbox_mm)} mm · units {_e(m.units)}'
            f'{" (guessed)" if m.units_guessed else ""}{_e(scaled)} · '
            f'{"watertight" if m.watertight else "not watertight"} · {m.bodies} bodies</p>')


def _file_section(report: Report, i: int, fr, pics, sweep) -> list[str]:
    out = [f'<h2 id="file-{i}">{_e(fr.path)}</h2>']
    if fr.status != "ok":
        return out + [f'<p class="status-error">Could not be checked: {_e(fr.error)}</p>']
    if fr.mesh:
        out.append(_mesh_line(fr.mesh))
    fams = ", ".join(f"{c.family}: {c.status}" + (f" ({c.reason})" if c.reason else "")
                     for c in fr.checks)
    out.append(f'<p class="muted">Families: {_e(fams)}</p>')
    back = None
    if pics:
        out.append("<h3>Pictures</h3>")
        out += [figure(p, i) for p in pics]
        if any(p.key == "overview" for p in pics):
            back = f"#pic-{i}-overview"
    out.append("<h3>Findings</h3>")
    out.append(findings_table(fr, i, back))
    if sweep is not None:
        out.append(sweep_section(sweep, i))
    for c in fr.checks:
        bt = budget_table(c.metrics or {}, (fr.conditions or report.conditions).get("scale_n")) \
            if c.family == "texture" else None
        if bt:
            out.append("<h3>Detail budget</h3><p class=\"muted\">Share of each band of sculpted "
                       "detail that survives each stage (mesh, print, paint, eye).</p>" + bt)
    out.append("<h3>Measurements</h3>")
    for c in fr.checks:
        if c.metrics:
            out.append(f"<details><summary>{_e(c.family)}</summary>{_kv_table(c.metrics)}</details>")
    if fr.conditions:
        out.append("<h3>Conditions for this file</h3>" + _kv_table(fr.conditions))
    return out


def render_html(report: Report, pictures: dict[str, Iterable] | None = None,
                title: str = "miniscan report", sweeps: dict | None = None) -> str:
    """The whole page as a string. pictures: {file path: [render.sheets.Picture]};
    sweeps: {file path: sweep.Sweep}."""
    pictures, sweeps = pictures or {}, sweeps or {}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
           '<div id="miniscan-status" hidden></div>',
           f"<h1>{_e(title)}</h1>",
           f'<p class="muted">miniscan {_e(report.tool_version)} · {len(report.files)} file(s) · '
           + ", ".join(f"{v} {k}" for k, v in report.counts().items()) + "</p>",
           filters(report)]
    out += _summary(report)
    for i, fr in enumerate(report.files):
        out += _file_section(report, i, fr, list(pictures.get(fr.path, ())), sweeps.get(fr.path))
    out.append("<h2>Conditions used</h2>")
    out.append(_kv_table(report.conditions))
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"
