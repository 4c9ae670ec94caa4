"""The HTML report: one self-contained page (images embedded as data: URIs, no network).

Summary table, then per file: the pictures, the findings table (sortable by clicking a
header), the detail-budget table when the texture family produced one, each family's
metrics, and the conditions used. Plain HTML + CSS and a few lines of inline JS; works from
a file:// URL. Writers never compute geometry: pictures arrive already drawn.
"""

from __future__ import annotations

import base64
import html
import json
import math
from typing import Any, Iterable

from ..findings import Report
from ..rules import SEVERITIES

_CSS = """
:root{--ink:#19191e;--muted:#5f5f69;--line:#dcdce2;--error:#c81e28;--warning:#d97f00;--info:#286ec8}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--ink);margin:0 auto;max-width:1320px;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 8px;border-top:2px solid var(--line);padding-top:16px}
h3{font-size:17px;margin:20px 0 6px}.muted{color:var(--muted)}
table{border-collapse:collapse;margin:8px 0 16px;width:100%}th,td{border-bottom:1px solid var(--line);
padding:5px 8px;text-align:left;vertical-align:top}th{background:#f4f4f7;font-weight:600}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \\2195";color:var(--muted)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:13px}
.sev-error{background:var(--error)}.sev-warning{background:var(--warning)}.sev-info{background:var(--info)}
.n{display:inline-block;min-width:24px;height:24px;border-radius:12px;text-align:center;color:#fff;font-weight:700}
figure{margin:12px 0 22px}figure img{max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{color:var(--muted);font-size:14px}details{margin:6px 0}summary{cursor:pointer;font-weight:600}
code{font-size:13px}.status-error{color:var(--error);font-weight:600}
"""

_JS = """
(function(){
  function key(td){var v=td.getAttribute('data-sort');if(v===null)v=td.textContent.trim();
    var f=parseFloat(v);return isNaN(f)?v.toLowerCase():f;}
  document.querySelectorAll('table.sortable').forEach(function(t){
    t.querySelectorAll('th.sortable').forEach(function(th,i){
      th.addEventListener('click',function(){
        var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows),col=th.cellIndex;
        var asc=th.getAttribute('data-dir')!=='asc';th.setAttribute('data-dir',asc?'asc':'desc');
        rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
          if(x<y)return asc?-1:1;if(x>y)return asc?1:-1;return 0;});
        rows.forEach(function(r){tb.appendChild(r);});});});});
  function check(){var imgs=document.images,ok=true,n=0;
    for(var i=0;i<imgs.length;i++){if(!imgs[i].complete||imgs[i].naturalWidth===0)ok=false;else n++;}
    var m=document.getElementById('miniscan-status');
    m.setAttribute('data-images',String(imgs.length));m.setAttribute('data-decoded',String(n));
    m.setAttribute('data-ok',ok?'1':'0');}
  window.addEventListener('load',check);
})();
"""


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
    mime = {"png": "image/png", "gif": "image/gif", "jpg": "image/jpeg"}.get(ext, "image/png")
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


def findings_table(fr, numbered_from: int = 1) -> str:
    rows = []
    n = numbered_from - 1
    for c in fr.checks:
        for f in c.findings:
            n += 1
            loc = f.location.centroid_mm
            where = ", ".join(f"{x:.2f}" for x in loc) if loc else "whole model"
            col = {"error": "var(--error)", "warning": "var(--warning)", "info": "var(--info)"}[f.severity]
            rows.append(
                f'<tr><td class="num" data-sort="{n}"><span class="n" style="background:{col}">{n}</span></td>'
                f'<td data-sort="{SEVERITIES.index(f.severity)}"><span class="sev sev-{f.severity}">{f.severity}</span></td>'
                f"<td>{_e(f.code)}</td><td>{_e(f.name)}</td><td>{_e(f.message)}</td>"
                f'<td class="num" data-sort="{_e(f.measured) if f.measured is not None else ""}">{_num(f.measured)}'
                f"{' ' + _e(f.unit) if f.unit and f.measured is not None else ''}</td>"
                f'<td class="num">{_num(f.threshold)}</td><td>{_e(where)}</td><td>{_e(f.advice)}</td></tr>')
    if not rows:
        return '<p class="muted">No findings.</p>'
    head = ("<tr><th class=\"sortable num\">#</th><th class=\"sortable\">severity</th>"
            "<th class=\"sortable\">code</th><th class=\"sortable\">rule</th><th>message</th>"
            "<th class=\"sortable num\">measured</th><th class=\"num\">threshold</th>"
            "<th>location (mm)</th><th>advice</th></tr>")
    return f'<table class="sortable findings"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render_html(report: Report, pictures: dict[str, Iterable] | None = None,
                title: str = "miniscan report") -> str:
    """The whole page as a string. pictures: {file path: [render.sheets.Picture]}."""
    pictures = pictures or {}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
           '<div id="miniscan-status" hidden></div>',
           f"<h1>{_e(title)}</h1>",
           f'<p class="muted">miniscan {_e(report.tool_version)} · {len(report.files)} file(s) · '
           + ", ".join(f"{v} {k}" for k, v in report.counts().items()) + "</p>"]
    # summary
    out.append("<h2>Summary</h2>")
    out.append('<table class="sortable"><thead><tr><th class="sortable">file</th>'
               '<th class="sortable">status</th><th class="sortable num">faces</th>'
               '<th class="sortable num">errors</th><th class="sortable num">warnings</th>'
               '<th class="sortable num">info</th><th>worst</th></tr></thead><tbody>')
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
    # per file
    for i, fr in enumerate(report.files):
        out.append(f'<h2 id="file-{i}">{_e(fr.path)}</h2>')
        if fr.status != "ok":
            out.append(f'<p class="status-error">Could not be checked: {_e(fr.error)}</p>')
            continue
        m = fr.mesh
        if m:
            out.append(f'<p class="muted">{_e(m.format)} · {m.faces:,} faces · '
                       f'{" × ".join(f"{x:.2f}" for x in m.bbox_mm)} mm · units {_e(m.units)}'
                       f'{" (guessed)" if m.units_guessed else ""} · '
                       f'{"watertight" if m.watertight else "not watertight"} · {m.bodies} bodies</p>')
        fams = ", ".join(f"{c.family}: {c.status}" + (f" ({c.reason})" if c.reason else "")
                         for c in fr.checks)
        out.append(f'<p class="muted">Families: {_e(fams)}</p>')
        pics = list(pictures.get(fr.path, ()))
        if pics:
            out.append("<h3>Pictures</h3>")
            for p in pics:
                data = p.encoded()
                w = p.image.shape[1] if getattr(p, "image", None) is not None else ""
                h = p.image.shape[0] if getattr(p, "image", None) is not None else ""
                out.append(f'<figure><img src="{_data_uri(data, p.ext)}" alt="{_e(p.title)}"'
                           + (f' width="{w}" height="{h}"' if w else "") + ' loading="eager">'
                           f"<figcaption>{_e(p.title)}</figcaption></figure>")
        out.append("<h3>Findings</h3>")
        out.append(findings_table(fr))
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
    out.append("<h2>Conditions used</h2>")
    out.append(_kv_table(report.conditions))
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"
