"""The HTML report's inline style sheet and script (output/html.py puts them in the page).

The script: sortable tables (click a header), the filter bar (family, severity, part: hides
findings rows, a family's heat maps, and the callout links of hidden rows), showing a row a
callout link points at even when filtered out, and the image-decoding marker the browser
test reads (`#miniscan-status`).
"""

CSS = """
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
.pic{position:relative;display:inline-block;max-width:100%}.pic img{display:block}
a.callout{position:absolute;border-radius:50%;transform:translate(-50%,-50%)}
a.callout:hover,a.callout:focus{outline:3px solid var(--ink);outline-offset:1px}
tr:target,tr.flash{background:#fff3c4}a.back{text-decoration:none;margin-left:4px}
.filters{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);
padding:8px 0;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:8px;align-items:center}
.filters legend{float:left;font-weight:600;margin-right:6px}.filters label{white-space:nowrap}
.places{margin:2px 0 0 0;padding-left:18px;font-size:13px;color:var(--muted)}
"""

JS = """
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
  var rows=function(){return Array.prototype.slice.call(document.querySelectorAll('tr.finding'));};
  function ticked(name){var s={};document.querySelectorAll('input[name="'+name+'"]').forEach(
    function(i){if(i.checked)s[i.value]=1;});return s;}
  function applyFilters(){
    var fam=ticked('family'),sev=ticked('severity'),sel=document.getElementById('filter-part');
    var part=sel?sel.value:'',shown=0,all=rows();
    all.forEach(function(r){var ok=fam[r.dataset.family]&&sev[r.dataset.severity]&&
      (part===''||r.dataset.part===part);r.hidden=!ok;if(ok)shown++;});
    document.querySelectorAll('figure[data-family]').forEach(function(f){
      f.hidden=!fam[f.dataset.family];});
    document.querySelectorAll('a.callout').forEach(function(a){
      var r=document.getElementById(a.getAttribute('href').slice(1));a.hidden=!!(r&&r.hidden);});
    var c=document.getElementById('filter-count');
    if(c)c.textContent=shown+' of '+all.length+' findings shown';}
  function reveal(){var id=location.hash.slice(1);if(!id)return;var r=document.getElementById(id);
    if(r&&r.hidden){r.hidden=false;}
    if(r&&r.classList.contains('finding')){r.classList.add('flash');
      setTimeout(function(){r.classList.remove('flash');},1600);}}
  document.querySelectorAll('.filters input,.filters select').forEach(function(i){
    i.addEventListener('change',applyFilters);});
  window.addEventListener('hashchange',reveal);
  applyFilters();
  function check(){var imgs=document.images,ok=true,n=0;
    for(var i=0;i<imgs.length;i++){if(!imgs[i].complete||imgs[i].naturalWidth===0)ok=false;else n++;}
    var m=document.getElementById('miniscan-status');
    m.setAttribute('data-images',String(imgs.length));m.setAttribute('data-decoded',String(n));
    m.setAttribute('data-ok',ok?'1':'0');}
  window.addEventListener('load',check);
})();
"""
