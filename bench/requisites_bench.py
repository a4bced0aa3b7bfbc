"""Page requisites on news pages nobody here wrote: does the crawl find what a browser loads?

    .venv/bin/python -m bench.requisites_bench [--corpus DIR] [--output FILE]

Issue 15's target: >= 99% of the requisites referenced by archived article pages are in the
WARC. The crawl fetches (and archives, robots.txt and size permitting) exactly the URLs
crawler.extract.requisites finds in a page, so what this measures is that list against an
oracle that is not our code: the requests headless Chromium makes for the same page.

For each of the corpus's fundus pages (30 article pages of 30 news sites, saved HTML with
their URL), Chromium opens the page at its own URL; the document is answered from the saved
file and every other request is recorded and aborted (nothing leaves the machine). Twice:
- scripts off: what the markup itself loads (images, srcset picks, stylesheets, icons,
  media, noscript fallbacks; a browser with scripts off fetches no script);
- scripts on: each request is split by its initiator as Chromium reports it (DevTools
  `Network.requestWillBeSent`): the parser's and preloads' (scripts included) are
  requisites; a script's (tag managers, beacons, lazy loaders) are counted apart, for
  reference: a script-made URL exists only when the script runs, and no crawler that does
  not run scripts can know it.
Found = the browser's URL is in our list (both normalized as Scrapy sends them, fragment
dropped). Stylesheets are aborted, so what they load (fonts, backgrounds) is not in the
oracle: tests/test_requisites.py covers that on a local site.
Writes bench/results/requisites.json. Never a test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "requisites.json"
# Chromium resource types that are page requisites; document (the page, iframes) is not.
KINDS = ("image", "stylesheet", "script", "font", "media")


def normalized(url: str) -> str:
    from w3lib.url import safe_url_string

    return safe_url_string(url.split("#", 1)[0])


def fundus_pages(corpus: Path) -> list[dict]:
    base = corpus / "news-pages" / "fundus"
    manifest = json.loads((base / "manifest.json").read_text())
    return [{"url": entry["url"], "publisher": entry["publisher"],
             "html": gzip.decompress((base / entry["html"]).read_bytes())} for entry in manifest]


def ours(page: dict) -> set[str]:
    from crawler.extract.html import parse_html
    from crawler.extract.requisites import page_requisites

    return {normalized(url) for url, _kind in page_requisites(parse_html(page["html"], None), page["url"])}


def browser_requests(browser, page: dict, scripts: bool) -> list[tuple[str, str, str]]:
    """(resource type, URL, initiator type) of every request Chromium makes for the page but
    the document."""
    seen: list[tuple[str, str]] = []
    initiators: dict[str, str] = {}
    context = browser.new_context(java_script_enabled=scripts, viewport={"width": 1280, "height": 900})

    def route(route):
        request = route.request
        if request.is_navigation_request() and request.frame == tab.main_frame and request.url == page["url"]:
            route.fulfill(status=200, body=page["html"], headers={"Content-Type": "text/html"})
        else:
            seen.append((request.resource_type, request.url))
            route.abort("blockedbyclient")

    context.route("**/*", route)
    tab = context.new_page()
    devtools = context.new_cdp_session(tab)
    devtools.on("Network.requestWillBeSent", lambda event: initiators.setdefault(
        event["request"]["url"], event["initiator"]["type"]))
    devtools.send("Network.enable")
    try:
        tab.goto(page["url"], wait_until="load", timeout=60_000)
        tab.wait_for_timeout(1500)       # late requests: lazy images near the fold, timers
    except Exception as exc:            # a page that never fires load still made its requests
        print(f"  {page['publisher']}: {type(exc).__name__}", flush=True)
    finally:
        context.close()
    return [(kind, url, initiators.get(url, "?")) for kind, url in seen]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=None,
                        help="the shared corpus (default: shared/corpus beside the repo or a parent)")
    parser.add_argument("--output", default=str(RESULTS), help="results JSON ('' = do not write)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.browser import LAUNCH_ARGS, chromium_path

    from bench.wcxb import default_corpus

    pages = fundus_pages(Path(args.corpus) if args.corpus else default_corpus())
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "pages": len(pages), "modes": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        for mode, scripts in (("markup", False), ("scripts", True)):
            total, found, other, by_script = Counter(), Counter(), Counter(), Counter()
            misses = []
            for page in pages:
                ours_set = ours(page)
                for kind, url, initiator in dict.fromkeys(browser_requests(browser, page, scripts)):
                    if kind not in KINDS:
                        other[kind] += 1        # xhr, fetch, ping, iframe documents, ...
                        continue
                    if initiator == "script":
                        by_script[kind] += 1
                        by_script["found"] += normalized(url) in ours_set
                        continue
                    total[kind] += 1
                    if normalized(url) in ours_set:
                        found[kind] += 1
                    else:
                        misses.append({"page": page["publisher"], "kind": kind, "url": url[:300]})
            all_total, all_found = sum(total.values()), sum(found.values())
            report["modes"][mode] = {
                "requisites": all_total, "found": all_found,
                "coverage": round(all_found / all_total, 4) if all_total else None,
                "by_kind": {kind: {"requests": total[kind], "found": found[kind]} for kind in KINDS if total[kind]},
                "not_requisites": dict(other), "script_made": dict(by_script), "misses": misses}
            print(f"{mode:8s} (scripts {'on' if scripts else 'off'}): {all_found}/{all_total} requisite requests "
                  f"found = {all_found / max(all_total, 1):.2%}; by kind: " + ", ".join(
                      f"{k} {found[k]}/{total[k]}" for k in KINDS if total[k])
                  + f"; not requisites: {dict(other)}; script-made (found among them): {dict(by_script)}",
                  flush=True)
            for miss in misses[:40]:
                print(f"   missed {miss['kind']:10s} {miss['page']:22s} {miss['url'][:150]}")
        browser.close()
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        history = json.loads(path.read_text()) if path.exists() else []
        history.append(report)
        path.write_text(json.dumps(history, indent=1) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
