"""The run report: what one crawl did, as `report.json`, a self-contained `report.html` and
the short table printed at the end.

Everything is computed from the crawl's stats and from the lines this run appended to the
output files (the offsets they had when the run started), so a report says what *this* run
did even when OUTPUT_DIR holds earlier runs, and the same function can report on any
folder of articles/duplicates/errors files (a merged distributed run, for one). Memory stays
bounded: files are streamed, and lists kept for the page (articles, clusters, error
examples) are capped. The HTML loads nothing at view time: its charts are inline SVG drawn
here, its style and its one script (table sorting and filtering) inline, and a
Content-Security-Policy forbids any fetch.

No Scrapy here: `crawler.runreport.RunReport` calls it from a crawl.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

FORMAT = 1
REPORT_NAME = "report"       # report.json, report.html
MAX_ARTICLES = 5000          # rows of the articles table (the counts cover every article)
MAX_CLUSTERS = 200           # duplicate clusters listed
MAX_CLUSTER_MEMBERS = 20     # duplicates listed per cluster
MAX_ERROR_REASONS = 50       # distinct error reasons listed
MAX_EXAMPLES = 5             # example URLs per error reason
MAX_CHART_BARS = 60          # bars of one chart (the most recent days / the largest sections)

# finish_reason -> manifest-style result
OK_REASONS = ("finished", "closespider_pagecount", "closespider_timeout", "closespider_itemcount",
              "closespider_errorcount", "closespider_pagecount_no_item")
INTERRUPTED_REASONS = ("shutdown", "cancelled")


def result_of(finish_reason: str | None) -> str:
    if finish_reason in OK_REASONS:
        return "ok"
    if finish_reason in INTERRUPTED_REASONS:
        return "interrupted"
    return "failed"


# --- reading the run's share of the output files ----------------------------------------

def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def iter_jsonl(path: Path, offset: int = 0):
    """Whole JSON objects from `offset` on; a partial or unparseable line is skipped."""
    try:
        f = open(path, "rb")
    except OSError:
        return
    with f:
        f.seek(offset)
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                yield obj


def _day(value) -> str:
    text = str(value or "")
    return text[:10] if len(text) >= 10 and text[4] == "-" and text[7] == "-" else "unknown"


def iter_sources(sources):
    """The JSON objects of several (path, offset) sources, one after the other."""
    for path, offset in sources:
        yield from iter_jsonl(path, offset)


def summarize_articles(sources) -> dict:
    per_day: Counter = Counter()
    per_section: Counter = Counter()
    rows, canonical, total = [], set(), 0
    for item in iter_sources(sources):
        total += 1
        per_day[_day(item.get("published"))] += 1
        per_section[str(item.get("section") or "(none)")] += 1
        canonical.add(item.get("canonical_url") or item.get("url"))
        if len(rows) < MAX_ARTICLES:
            rows.append({"url": item.get("url"), "title": item.get("title"),
                         "published": item.get("published"), "section": item.get("section"),
                         "authors": item.get("authors") or [],
                         "words": len(str(item.get("text") or "").split())})
    return {"count": total, "per_day": dict(sorted(per_day.items())),
            "per_section": dict(per_section.most_common()), "rows": rows, "canonical": canonical}


def summarize_duplicates(sources, this_run: set) -> dict:
    """Clusters keyed by the article kept; `earlier_runs` counts duplicates of articles this
    run did not write, i.e. ones archived by an earlier run into the same state."""
    kinds: Counter = Counter()
    clusters: dict[str, list] = defaultdict(list)
    earlier = 0
    for dup in iter_sources(sources):
        kinds[str(dup.get("kind"))] += 1
        original = dup.get("duplicate_of") or dup.get("canonical_url")
        if original not in this_run:
            earlier += 1
        members = clusters.get(original)
        if members is None and len(clusters) >= MAX_CLUSTERS:
            continue
        members = clusters[original]
        if len(members) < MAX_CLUSTER_MEMBERS:
            members.append({"url": dup.get("url"), "kind": dup.get("kind"),
                            "similarity": dup.get("similarity")})
    listed = sorted(clusters.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
    return {"by_kind": dict(kinds), "count": sum(kinds.values()), "earlier_runs": earlier,
            "clusters": [{"original": k, "in_this_run": k in this_run, "duplicates": v}
                         for k, v in listed]}


class ErrorExamples:
    """Reasons with their counts and a few example URLs; bounded however many errors come."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.examples: dict[str, list[str]] = {}

    def add(self, reason: str, url: str | None) -> None:
        if reason not in self.counts and len(self.counts) >= MAX_ERROR_REASONS * 4:
            reason = "other"
        self.counts[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if url and len(examples) < MAX_EXAMPLES and url not in examples:
            examples.append(url)

    def top(self) -> list[dict]:
        return [{"reason": reason, "count": count, "examples": self.examples.get(reason, [])}
                for reason, count in self.counts.most_common(MAX_ERROR_REASONS)]


def add_extraction_errors(errors: ErrorExamples, sources) -> None:
    for row in iter_sources(sources):
        error = str(row.get("error") or "?")
        errors.add("extraction failed: " + error.split("(")[0][:80], row.get("url"))


# --- figures from the stats ------------------------------------------------------------

def _prefixed(stats: dict, prefix: str) -> dict:
    found = {}
    for key, value in stats.items():
        if key.startswith(prefix) and "/" not in key[len(prefix):]:
            found[key[len(prefix):]] = value
    return found


def made_up_404s(stats: dict) -> int:
    """404s a replay answered itself for URLs not in the archive (REPLAY_MISS=404): neither
    pages of the archive nor errors of the site."""
    return int(stats.get("replay/miss_404", 0))


def page_kinds(stats: dict) -> dict:
    kinds = {"article": stats.get("news/articles", 0)}
    kinds.update({k: v for k, v in _prefixed(stats, "news/pages/").items()})
    kinds["sitemap"] = stats.get("news/sitemaps", 0)
    kinds["feed"] = stats.get("news/feeds", 0)
    kinds["robots.txt"] = stats.get("robotstxt/response_count", 0)
    kinds["not HTML"] = stats.get("news/skipped_not_html", 0)
    kinds["requisite"] = stats.get("requisites/fetched", 0)     # images, stylesheets... of pages (2xx)
    statuses = _prefixed(stats, "downloader/response_status_count/")
    kinds["redirect"] = sum(n for code, n in statuses.items() if code.isdigit() and 300 <= int(code) < 400)
    kinds["HTTP error"] = sum(n for code, n in statuses.items() if code.isdigit() and int(code) >= 400) \
        - made_up_404s(stats)
    return {k: int(v) for k, v in kinds.items() if v}


def http_errors(stats: dict) -> dict:
    statuses = _prefixed(stats, "downloader/response_status_count/")
    errors = {code: int(n) for code, n in sorted(statuses.items()) if code.isdigit() and int(code) >= 400}
    if "404" in errors:
        errors["404"] -= made_up_404s(stats)
    return {code: n for code, n in errors.items() if n > 0}


def network_failures(stats: dict) -> dict:
    failures = {}
    for name, count in _prefixed(stats, "downloader/exception_type_count/").items():
        name = name.rsplit(".", 1)[-1]
        if name != "IgnoreRequest":      # robots.txt and offsite refusals: not a network failure
            failures[name] = int(count)
    return failures


def replay_figures(stats: dict) -> dict | None:
    if "replay/captures" not in stats:
        return None
    statuses = {code: int(n) for code, n in _prefixed(stats, "replay/status/").items()}
    return {"captures": int(stats.get("replay/captures", 0)), "served": int(stats.get("replay/hit", 0)),
            "misses": int(stats.get("replay/miss", 0)),
            "non_200": {code: n for code, n in sorted(statuses.items()) if code != "200"},
            "miss_examples": list(stats.get("replay/miss_examples") or [])}


def written(sources) -> list[str]:
    """The files of `sources` that hold lines past their offset."""
    return [str(Path(path).resolve()) for path, offset in sources if file_size(Path(path)) > offset]


def build_report(*, stats: dict, output_dir: Path, run_id: str, sources: dict,
                 warcs: list[Path], errors: ErrorExamples | None = None, start_urls=(),
                 started: str | None = None, finished: str | None = None,
                 report_name: str = REPORT_NAME, stats_from: list[str] | None = None) -> dict:
    """The report of one run. `sources` maps articles/duplicates/errors to lists of
    (path, offset): the run's lines are those past each offset (the size the file had
    when the run started; 0 for a whole file). One crawl has one file of each; the
    processes of a distributed crawl one each."""
    output_dir = Path(output_dir)
    articles = summarize_articles(sources["articles"])
    dups = summarize_duplicates(sources["duplicates"], articles.pop("canonical"))
    errors = errors or ErrorExamples()
    add_extraction_errors(errors, sources["errors"])
    warc_list = [{"name": p.name, "bytes": file_size(p)} for p in warcs]
    replay = replay_figures(stats)
    reason = stats.get("finish_reason")
    elapsed = stats.get("elapsed_time_seconds")
    return {
        "format": FORMAT,
        "run_id": run_id,
        "start_urls": list(start_urls),
        "started": started,
        "finished": finished,
        "elapsed_seconds": round(float(elapsed), 1) if elapsed is not None else None,
        "finish_reason": reason,
        "result": result_of(reason),
        "replayed_from": stats.get("replay/paths") if replay else None,
        "output_dir": str(output_dir.resolve()),
        "report_files": [f"{report_name}.html", f"{report_name}.json"],
        "stats_from": stats_from,              # for a report over several runs' files: whose stats
        "files": {
            "articles": written(sources["articles"]),
            "duplicates": written(sources["duplicates"]),
            "errors": written(sources["errors"]),
            "warcs": warc_list,
        },
        "counts": {
            "pages": int(stats.get("downloader/response_count", 0)) - made_up_404s(stats),
            "pages_by_kind": page_kinds(stats),
            "articles": articles["count"],
            "duplicates": dups["by_kind"],
            "already_archived": dups["earlier_runs"],
            "revisits": int(stats.get("warc/revisit_records", 0)),
            "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
            "http_errors": http_errors(stats),
            "network_failures": network_failures(stats),
            "failed_requests": int(stats.get("news/failed_requests", 0)),
            "extraction_errors": int(stats.get("extract/errors", 0)),
        },
        "warc": {"files": len(warc_list), "bytes": sum(w["bytes"] for w in warc_list)},
        "replay": replay,
        "articles_per_day": articles["per_day"],
        "articles_per_section": articles["per_section"],
        "duplicate_clusters": dups["clusters"],
        "errors": errors.top(),
        "articles": articles["rows"],
        "articles_listed": len(articles["rows"]),
        "stats": {k: v for k, v in stats.items() if k != "replay/miss_examples"},
    }


def write_atomic(path: Path, text: str) -> Path:
    """Whole file or none: a temp file beside it, fsynced, renamed over it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"


# --- the summary table ---------------------------------------------------------------

def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def _pairs(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"


def summary_lines(report: dict) -> list[str]:
    """The table printed at the end of a crawl: truthful and short."""
    c, replay = report["counts"], report.get("replay")
    out = report["output_dir"]
    dup_total = sum(c["duplicates"].values())
    verb = "replayed from the archive (nothing archived again)" if replay else "fetched and archived"
    rows = [
        ("run id", report["run_id"]),
        ("result", f"{report['result']} ({report['finish_reason']}), {report['elapsed_seconds']} s"),
        ("pages", f"{c['pages']} {verb}: {_pairs(c['pages_by_kind'])}"),
        ("articles", f"{c['articles']} written"),
        ("duplicates", f"{dup_total} not written ({_pairs(c['duplicates'])})"),
    ]
    if c["already_archived"]:
        rows.append(("", f"{c['already_archived']} of them already archived by an earlier run into this state"))
    rows += [
        ("revisits", f"{c['revisits']} (same payload as an earlier record)"),
        ("robots.txt", f"{c['robots_forbidden']} URL(s) not fetched: disallowed"),
        ("HTTP errors", _pairs(c["http_errors"])),
        ("network", _pairs(c["network_failures"])),
        ("extraction", f"{c['extraction_errors']} page(s) failed"),
    ]
    if replay:
        rows.append(("replay", f"{replay['served']} response(s) served from {replay['captures']} captures; "
                               f"{replay['misses']} request(s) for URLs not in the archive; "
                               f"non-200 captures served: {_pairs(replay['non_200'])}"))
    w = report["warc"]
    rows.append(("WARC", f"{w['files']} file(s), {human_bytes(w['bytes'])} in {out}/"))
    files = report["files"]
    rows.append(("articles file", ", ".join(files["articles"]) or "none written by this run"))
    html_name, json_name = report.get("report_files") or (f"{REPORT_NAME}.html", f"{REPORT_NAME}.json")
    rows.append(("report", f"{out}/{html_name} (and {json_name})"))
    width = max(len(k) for k, _ in rows)
    lines = ["", "Run summary"] + [f"  {k:<{width}}  {v}" for k, v in rows]
    if not c["articles"] and dup_total and dup_total == c["already_archived"]:
        lines.append(f"  All {dup_total} articles found were already archived in {out}/ by an "
                     "earlier run (its dedupe state): nothing new to write.")
    return lines


# --- the HTML page -------------------------------------------------------------------

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
        ("Result", f"{report['result']} ({report['finish_reason']})"),
        ("Started / finished", f"{report['started']} / {report['finished']}"),
        ("Elapsed", f"{report['elapsed_seconds']} s"),
        ("Start URLs", ", ".join(report["start_urls"])),
        ("Pages", f"{c['pages']}: {_pairs(c['pages_by_kind'])}"),
        ("Articles", c["articles"]),
        ("Duplicates", _pairs(c["duplicates"]) + (f" ({c['already_archived']} already archived earlier)"
                                                   if c["already_archived"] else "")),
        ("Revisits", c["revisits"]),
        ("Robots.txt disallowed", c["robots_forbidden"]),
        ("HTTP errors", _pairs(c["http_errors"])),
        ("Network failures", _pairs(c["network_failures"])),
        ("Extraction errors", c["extraction_errors"]),
        ("WARC", f"{report['warc']['files']} file(s), {human_bytes(report['warc']['bytes'])}"),
        ("Output folder", report["output_dir"]),
    ]
    if report.get("replay"):
        r = report["replay"]
        figures.insert(5, ("Replayed", f"{r['served']} response(s) served from {r['captures']} captures; "
                                       f"{r['misses']} request(s) for URLs not in the archive; "
                                       f"non-200 captures served: {_pairs(r['non_200'])}"))
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
    articles = "".join(
        f"<tr><td>{_e(a['title'])}<div class=url>{_e(a['url'])}</div></td><td>{_e(a['published'])}</td>"
        f"<td>{_e(a['section'])}</td><td>{_e(', '.join(a['authors']))}</td><td class=num>{a['words']}</td></tr>"
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
