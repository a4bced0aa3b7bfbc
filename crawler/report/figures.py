"""The run report's figures: a run's stats and its share of the output files -> the report
dict (and its JSON text), streamed and capped (see `crawler.report`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

FORMAT = 1
REPORT_NAME = "report"       # report.json, report.html
MAX_ARTICLES = 5000          # rows of the articles table (the counts cover every article)
MAX_CLUSTERS = 200           # duplicate clusters listed
MAX_CLUSTER_MEMBERS = 20     # duplicates listed per cluster
MAX_ERROR_REASONS = 50       # distinct error reasons listed
MAX_EXAMPLES = 5             # example URLs per error reason

# finish_reason -> manifest-style result
OK_REASONS = ("finished", "closespider_pagecount", "closespider_timeout", "closespider_itemcount",
              "closespider_errorcount", "closespider_pagecount_no_item")
INTERRUPTED_REASONS = ("shutdown", "cancelled")


# what a crawl counts of the records it archives: one response (or revisit) record each
ARCHIVED_STATS = ("warc/response_records", "warc/revisit_records", "warc/truncated_records")


def warc_totals(warcs) -> tuple[int, int | None]:
    """(captures, revisits) over the WARCs, each WARC (or its index) read once: captures are the
    responses and revisits they hold; revisits None if one of them could not be read whole."""
    counted = [warc_counts(warc) for warc in warcs]
    revisits = [found for _, found in counted]
    return sum(captures for captures, _ in counted), None if None in revisits else sum(revisits)


def warc_counts(warc) -> tuple[int, int | None]:
    """(captures, revisits) of one WARC: from the CDXJ index beside it (a revisit's line has
    mime `warc/revisit`), else from its records; revisits None when part of it could not be
    read (a revisit may be in what was skipped: unknown, not 0)."""
    from archives.names import cdxj_path_for
    from archives.reader import ArchiveError, WarcReader

    cdxj = cdxj_path_for(warc)
    if cdxj.is_file():
        captures = revisits = 0
        with open(cdxj, "rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                captures += 1
                revisits += _cdxj_mime(line) == "warc/revisit"
        return captures, revisits
    reader = WarcReader(warc)
    try:
        types = Counter(r.type for r in reader.records(payload=False))
    except ArchiveError:
        return 0, None
    return types["response"] + types["revisit"], None if reader.problems else types["revisit"]


def _cdxj_mime(line: bytes) -> str | None:
    try:
        return json.loads(line.split(b" ", 2)[2]).get("mime")
    except (IndexError, ValueError, AttributeError):
        return None


def archived_in_stats(stats: dict) -> int:
    """The response and revisit records a crawl's stats say it archived."""
    return sum(int(stats.get(key) or 0) for key in ARCHIVED_STATS)


def unfinished_processes(folders) -> list[str]:
    """The stats files (`stats-*.json`, one per distributed process, rewritten as it runs) of
    processes that never wrote their finish reason: killed."""
    found = []
    for path in (p for folder in folders for p in sorted(Path(folder).glob("stats-*.json"))):
        try:
            stats = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(stats, dict) and not stats.get("finish_reason"):
            found.append(str(path))
    return found


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
    statuses = _site_statuses(stats)
    kinds["redirect"] = sum(n for code, n in statuses.items()
                            if code.isdigit() and 300 <= int(code) < 400 and code != "304")
    kinds["not modified"] = statuses.get("304", 0)   # a job's conditional GET: a revisit record
    kinds["HTTP error"] = sum(n for code, n in statuses.items() if code.isdigit() and int(code) >= 400) \
        - made_up_404s(stats)
    return {k: int(v) for k, v in kinds.items() if v}


def _site_statuses(stats: dict) -> dict:
    """Responses by status, less the robots.txt answers: those are counted as robots.txt (a
    404 there means no rules, RFC 9309, not a page the site lacks)."""
    statuses = _prefixed(stats, "downloader/response_status_count/")
    for code, n in _prefixed(stats, "robotstxt/response_status_count/").items():
        if code in statuses:
            statuses[code] = max(0, statuses[code] - n)
    return statuses


def http_errors(stats: dict) -> dict:
    statuses = _site_statuses(stats)
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
            # dropped because robots.txt never answered (the host is down): no page of them was asked for
            "robots_unreachable": int(stats.get("robotstxt/unreachable_forbidden", 0)),
            # named by robots.txt or a sitemap index, on another site: not read (out of scope)
            "sitemaps_offsite": int(stats.get("news/sitemap_offsite", 0)),
            "http_errors": http_errors(stats),
            "network_failures": network_failures(stats),
            "failed_requests": int(stats.get("news/failed_requests", 0)),
            "extraction_errors": int(stats.get("extract/errors", 0)),
        },
        "warc": {"files": len(warc_list), "bytes": sum(w["bytes"] for w in warc_list),
                 "folders": sorted({str(Path(p).parent.resolve()) for p in warcs})},
        "replay": replay,
        "articles_per_day": articles["per_day"],
        "articles_per_section": articles["per_section"],
        "duplicate_clusters": dups["clusters"],
        "errors": errors.top(),
        "articles": articles["rows"],
        "articles_listed": len(articles["rows"]),
        "stats": {k: v for k, v in stats.items() if k != "replay/miss_examples"},
    }


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"


# --- reports over whole folders (`scrapy report`) --------------------------------------

KINDS = ("articles", "duplicates", "errors")


def folder_sources(folders: list[Path]) -> dict[str, list[tuple[Path, int]]]:
    """Every articles*/duplicates*/errors* file of the folders, read from their start."""
    return {kind: [(p, 0) for folder in folders for p in sorted(folder.glob(f"{kind}*.jsonl"))]
            for kind in KINDS}


def summed_stats(reports: list[Path], run_ids: set | None = None) -> tuple[dict, list[str]]:
    """Numbers added up over the reports' stats; the worst finish reason kept. The run ids the
    reports name are added to `run_ids` when given."""
    totals: dict = {}
    used, reasons = [], []
    for path in reports:
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            stats = report.get("stats") or {}
        except (OSError, ValueError, AttributeError):
            continue
        used.append(str(path))
        if run_ids is not None:
            run_ids.add(report.get("run_id"))
        reasons.append(stats.get("finish_reason"))
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                # processes run side by side: their longest run and largest memory, not a sum
                combine = max if key in ("elapsed_time_seconds", "memusage/max", "memusage/startup") else sum
                totals[key] = combine((totals.get(key, 0), value))
    if reasons:
        order = {"ok": 0, "interrupted": 1, "failed": 2}
        totals["finish_reason"] = max(reasons, key=lambda r: order[result_of(r)])
    return totals, used


def folders_report(folders: list[Path], out: Path, run_id: str | None = None) -> dict | None:
    """The report over every run in `folders` (None if they hold no crawl output): articles,
    duplicates and errors from every line of their files, WARC totals from every WARC, stats
    summed over the per-run report*.json found (not the one about to be replaced in `out`,
    unless it is the only folder)."""
    from archives.wacz import run_warcs, warcinfo_fields

    sources = folder_sources(folders)
    warcs = [w for folder in folders for w in run_warcs(folder)]
    if not warcs and not any(sources.values()):
        return None
    mine = {out.resolve() / "report.json"}
    reports = [p for folder in folders for p in sorted(folder.glob("report*.json"))
               if p.resolve() not in mine or len(folders) == 1]
    reported: set = set()
    stats, used = summed_stats(reports, reported)
    warc_runs = {w: warcinfo_fields(w).get("run-id") for w in warcs}
    run_ids = sorted(set(warc_runs.values()) - {None})
    run_id = run_id or (run_ids[0] if len(run_ids) == 1 else ",".join(run_ids) or out.resolve().name)
    report = build_report(stats=stats, output_dir=out, run_id=run_id, sources=sources, warcs=warcs,
                          stats_from=used)
    report["run_ids"] = run_ids
    # Pages only the WARCs know: those of a process killed before its report (kill -9, a machine
    # lost), of an earlier attempt of a resumed run, of a run whose report.json a later crawl into
    # the folder replaced: the run's captures past what its reports count, and every capture of
    # a run without one. Which process died is told by its stats file (`stats-*.json`, kept by
    # distributed processes or with JOB_STATS_FILE) without a finish reason: not by the counts,
    # which an attempt resumed to its end leaves short too.
    counted = {w: warc_counts(w) for w in warcs}    # one read of each WARC (or of its index)
    unreported = (max(0, sum(counted[w][0] for w, r in warc_runs.items() if r in reported)
                      - archived_in_stats(stats))
                  + sum(counted[w][0] for w, r in warc_runs.items() if r not in reported))
    # Revisits: a crawl's stats count the ones it wrote, so over another tool's WARCs (or a run
    # whose report is gone) they said 0 whatever the WARCs held. Counted in the WARCs themselves
    # (their CDXJ index when there is one); unknown (None) if a WARC could not be read whole and
    # the reports do not cover every capture.
    revisits = [counted[w][1] for w in warcs]
    if warcs and None not in revisits:
        report["counts"]["revisits"] = sum(revisits)
    elif not warcs:
        pass                                        # no WARC here: what the reports say
    elif unreported or not used:
        report["counts"]["revisits"] = None
    unfinished = unfinished_processes(folders)
    report["counts"]["pages"] += unreported
    report["incomplete"] = ({"unreported_pages": unreported, "unfinished_stats": unfinished}
                            if unreported or unfinished else None)
    report["killed"] = bool(unfinished)
    if not used:   # no crawl's report among them: killed, or third-party WARCs (not known)
        report["result"] = "interrupted" if unfinished else "unknown"
    elif unfinished and report["result"] == "ok":   # the others ended well; one died
        report["result"] = "interrupted"
    return report
