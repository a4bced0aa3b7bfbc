"""The run report as one HTML page that needs nothing but the file: inline SVG charts, CSS
and script, a Content-Security-Policy that forbids any fetch.
"""

from __future__ import annotations

import html

from crawler.report.text import human_bytes, pairs

MAX_CHART_BARS = 60          # bars of one chart (the most recent days / the largest sections)


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def bar_chart(title: str, counts: dict, *, chart_id: str, keep: str = "last") -> str:
    """Horizontal bar chart as inline SVG, one bar per key (at most MAX_CHART_BARS)."""
    items = list(counts.items())
    if len(items) > MAX_CHART_BARS:
        items = items[-MAX_CHART_BARS:] if keep == "last" else items[:MAX_CHART_BARS]
    if not items:
        return f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}</figcaption><p>none</p></figure>'
    top = max(v for _, v in items) or 1
    bar_h, gap, label_w, plot_w = 18, 4, 190, 420
    height = len(items) * (bar_h + gap) + gap
    parts = [f'<svg class="bars" role="img" aria-label="{_e(title)}" width="{label_w + plot_w + 60}" '
             f'height="{height}" viewBox="0 0 {label_w + plot_w + 60} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(1, round(plot_w * value / top))
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{_e(str(label)[:32])}</text>'
                     f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}"><title>{_e(label)}: {value}</title></rect>'
                     f'<text x="{label_w + w + 4}" y="{y + bar_h - 5}">{value}</text>')
    parts.append("</svg>")
    return f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}</figcaption>{"".join(parts)}</figure>'


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer}.num{text-align:right}
.bar{fill:#3b73b9}.chart svg text{font-size:12px;fill:#222}.charts{display:flex;flex-wrap:wrap;gap:2em}
.figures td:first-child{font-weight:600;width:12em}.url{word-break:break-all;font-size:12px;color:#555}
input{margin:.5em 0;padding:3px;width:20em}#articles td:nth-child(2){white-space:nowrap}
"""

SCRIPT = """
(function(){
  var table=document.getElementById('articles');if(!table)return;
  var body=table.tBodies[0];
  document.getElementById('filter').addEventListener('input',function(e){
    var q=e.target.value.toLowerCase();
    Array.prototype.forEach.call(body.rows,function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){
      var rows=Array.prototype.slice.call(body.rows),num=th.classList.contains('num');
      var dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir===1?'asc':'desc';
      rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;
        return dir*(num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y));});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  document.body.dataset.ready='1';
})();
"""


def render_html(report: dict) -> str:
    c = report["counts"]
    figures = [
        ("Run id", report["run_id"]),
        ("Result", f"{report['result']} ({report['finish_reason']})"
                   + ("; a process was killed before its end" if report.get("killed") else "")),
        ("Started / finished", f"{report['started']} / {report['finished']}"),
        ("Elapsed", f"{report['elapsed_seconds']} s"),
        ("Start URLs", ", ".join(report["start_urls"])),
        ("Pages", f"{c['pages']}: {pairs(c['pages_by_kind'])}"
                  + (f" ({report['incomplete']['unreported_pages']} counted from the WARCs alone)"
                     if (report.get("incomplete") or {}).get("unreported_pages") else "")),
        ("Articles", c["articles"]),
        ("Duplicates", pairs(c["duplicates"]) + (f" ({c['already_archived']} already archived earlier)"
                                                   if c["already_archived"] else "")),
        ("Revisits", "unknown (a WARC could not be read whole)" if c["revisits"] is None else c["revisits"]),
        ("Robots.txt disallowed", c["robots_forbidden"]),
        ("Not fetched, robots.txt unreachable", c.get("robots_unreachable", 0)),
        ("Sitemaps on another site, not read", c.get("sitemaps_offsite", 0)),
        ("HTTP errors", pairs(c["http_errors"])),
        ("Network failures", pairs(c["network_failures"])),
        ("Extraction errors", c["extraction_errors"]),
        ("WARC", f"{report['warc']['files']} file(s), {human_bytes(report['warc']['bytes'])}"),
        ("Output folder", report["output_dir"]),
    ]
    if report.get("replay"):
        r = report["replay"]
        figures.insert(5, ("Replayed", f"{r['served']} response(s) served from {r['captures']} captures; "
                                       f"{r['misses']} request(s) for URLs not in the archive; "
                                       f"non-200 captures served: {pairs(r['non_200'])}"))
    fig_rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in figures)
    clusters = "".join(
        f"<li><span class=url>{_e(cl['original'])}</span>{'' if cl['in_this_run'] else ' (archived by an earlier run)'}<ul>"
        + "".join(f"<li>{_e(d['kind'])}{'' if d.get('similarity') is None else ' ' + _e(d['similarity'])}: "
                  f"<span class=url>{_e(d['url'])}</span></li>" for d in cl["duplicates"])
        + "</ul></li>" for cl in report["duplicate_clusters"]) or "<li>none</li>"
    errors = "".join(
        f"<tr><td>{_e(e['reason'])}</td><td class=num>{e['count']}</td><td>"
        + "<br>".join(f"<span class=url>{_e(u)}</span>" for u in e["examples"]) + "</td></tr>"
        for e in report["errors"]) or '<tr><td colspan=3>none</td></tr>'
    # <bdi>: a title, section or name in Arabic or Hebrew is laid out right to left on its own,
    # not in the left-to-right order of the page around it ("iPhone 16 يصل" read backwards)
    articles = "".join(
        f"<tr><td><bdi>{_e(a['title'])}</bdi><div class=url>{_e(a['url'])}</div></td><td>{_e(a['published'])}</td>"
        f"<td><bdi>{_e(a['section'])}</bdi></td><td><bdi>{_e(', '.join(a['authors']))}</bdi></td>"
        f"<td class=num>{a['words']}</td></tr>"
        for a in report["articles"])
    more = (f"<p>The first {report['articles_listed']} of {c['articles']} articles are listed.</p>"
            if report["articles_listed"] < c["articles"] else "")
    charts = (bar_chart("Articles per published day", report["articles_per_day"], chart_id="chart-days")
              + bar_chart("Articles per section", report["articles_per_section"], chart_id="chart-sections",
                          keep="first"))
    csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>Crawl report {_e(report['run_id'])}</title>
<link rel="icon" href="data:,">
<style>{CSS}</style></head>
<body>
<h1>Crawl report: run {_e(report['run_id'])}</h1>
<table class="figures">{fig_rows}</table>
<h2>Articles</h2>
<div class="charts">{charts}</div>
<h2>Duplicate clusters</h2>
<ul id="clusters">{clusters}</ul>
<h2>Errors</h2>
<table id="errors"><thead><tr><th>reason</th><th class=num>count</th><th>examples</th></tr></thead><tbody>{errors}</tbody></table>
<h2>Archived articles ({c['articles']})</h2>
{more}<input id="filter" type="search" placeholder="filter the table" aria-label="filter the table">
<table id="articles"><thead><tr><th>title</th><th>published</th><th>section</th><th>authors</th><th class=num>words</th></tr></thead>
<tbody>{articles}</tbody></table>
<script>{SCRIPT}</script>
</body></html>
"""
