"""The run report's summary table: the short text a crawl (and `scrapy report`) prints."""

from __future__ import annotations

from pathlib import Path

from crawler.report.figures import REPORT_NAME


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def pairs(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"


def summary_lines(report: dict) -> list[str]:
    """The table printed at the end of a crawl: truthful and short."""
    c, replay = report["counts"], report.get("replay")
    out = report["output_dir"]
    dup_total = sum(c["duplicates"].values())
    verb = "replayed from the archive (nothing archived again)" if replay else "fetched and archived"
    incomplete = report.get("incomplete")
    result = f"{report['result']} ({report['finish_reason']}), {report['elapsed_seconds']} s"
    if report["result"] == "unknown":
        result = "unknown (no crawl report among these folders)"
    elif report.get("killed") and not report.get("stats_from"):
        result = f"{report['result']} (no crawl report: a process was killed before its end)"
    elif report.get("killed"):   # the reports found say how their processes ended; another one died
        result = (f"{report['result']} (the reports say {report['finish_reason']}; a process was killed "
                  f"before its end), {report['elapsed_seconds']} s")
    rows = [
        ("run id", report["run_id"]),
        ("result", result),
        ("pages", f"{c['pages']} {verb}: {pairs(c['pages_by_kind'])}"),
    ]
    if incomplete and incomplete["unreported_pages"]:
        rows.append(("", f"{incomplete['unreported_pages']} of them counted from the WARCs alone (in no "
                         "crawl report, so not by kind)"))
    if incomplete and incomplete["unfinished_stats"]:
        rows.append(("", f"{len(incomplete['unfinished_stats'])} process(es) never wrote their end: "
                         + ", ".join(incomplete["unfinished_stats"])))
    rows += [
        ("articles", f"{c['articles']} written"),
        ("duplicates", f"{dup_total} not written ({pairs(c['duplicates'])})"),
    ]
    stats = report.get("stats") or {}
    shared = stats.get("dedupe/backend") == "redis"
    if c["already_archived"]:
        rows.append(("", f"{c['already_archived']} of them already archived "
                         + ("by an earlier run or another process (shared dedupe state)" if shared
                            else "by an earlier run into this state")))
    rows += [
        ("revisits", f"{c['revisits']} (same payload as an earlier record)" if c["revisits"] is not None
                     else "unknown (a WARC could not be read whole)"),
        ("robots.txt", f"{c['robots_forbidden']} URL(s) not fetched: disallowed"
                       + (f"; {c['robots_unreachable']} not fetched: robots.txt unreachable"
                          if c.get("robots_unreachable") else "")),
    ]
    if c.get("sitemaps_offsite"):
        rows.append(("sitemaps", f"{c['sitemaps_offsite']} on another site not read (named by robots.txt or a "
                                 "sitemap index; the log names them; NEWS_FOLLOW_EXTERNAL)"))
    rows += [
        ("HTTP errors", pairs(c["http_errors"])),
        ("network", pairs(c["network_failures"])),
        ("extraction", f"{c['extraction_errors']} page(s) failed"),
    ]
    if replay:
        rows.append(("replay", f"{replay['served']} response(s) served from {replay['captures']} captures; "
                               f"{replay['misses']} request(s) for URLs not in the archive; "
                               f"non-200 captures served: {pairs(replay['non_200'])}"))
    w = report["warc"]
    where = ", ".join(f"{folder}/" for folder in w.get("folders") or [out])   # a report's inputs, not its own folder
    rows.append(("WARC", f"{w['files']} file(s), {human_bytes(w['bytes'])} in {where}"))
    files = report["files"]
    rows.append(("articles file", ", ".join(files["articles"]) or "none written by this run"))
    html_name, json_name = report.get("report_files") or (f"{REPORT_NAME}.html", f"{REPORT_NAME}.json")
    rows.append(("report", f"{out}/{html_name} (and {json_name})"))
    width = max(len(k) for k, _ in rows)
    lines = ["", "Run summary"] + [f"  {k:<{width}}  {v}" for k, v in rows]
    if not c["articles"] and dup_total and dup_total == c["already_archived"]:
        state = stats.get("dedupe/state")
        if shared:   # archived wherever the processes sharing the state write, not in `out`
            where = f"by an earlier run or another process (shared dedupe state at {state})"
        elif state and Path(state).resolve().parent != Path(out).resolve():   # DEDUPE_STATE_DIR
            where = f"by an earlier run (dedupe state {state})"
        else:
            where = f"in {out}/ by an earlier run (its dedupe state)"
        lines.append(f"  All {dup_total} articles found were already archived {where}: nothing new to write.")
    return lines
