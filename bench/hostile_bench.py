"""Hostile archives and hostile servers: outcome and peak RSS of the process tree, per input.

    python -m bench.hostile_bench                       # this checkout
    python -m bench.hostile_bench --before ../old-copy  # and an older checkout, case by case

Each case runs the real command (`scrapy warc-check`, `scrapy reextract`, a REPLAY_WARC
crawl, `archives.testing`, a live crawl of a raw local server) on inputs built by
tests/hostile.py, under an address-space limit (--mem-limit-mb) so that code without
bounds fails with MemoryError instead of taking the machine down. With --before, every
case runs on both checkouts back to back (a shared machine's speed drifts). Prints a
table and writes bench/results/hostile.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import (MIB, ZipBombMember, article_page, double_gzip, gzip_members,  # noqa: E402
                           head_bomb_member, http_response, record_member_inflating_to,
                           response_record, run_measured)
from tests.rawserver import RawServer, Route, _head  # noqa: E402

U = "http://news.example/news/2024/05/01/"


def ok(body: bytes, content_type="text/html; charset=utf-8", extra=()) -> list[bytes]:
    return [_head("HTTP/1.1 200 OK", [("Content-Type", content_type), *extra,
                                      ("Content-Length", str(len(body)))]), body]


def build_inputs(work: Path, bomb: int) -> dict[str, Path]:
    good = lambda name, n: response_record(U + name, http_response(article_page(name.title())), number=n)  # noqa: E731
    files = {}
    files["bad_length"] = work / "bad-length.warc.gz"
    files["bad_length"].write_bytes(b"".join([
        good("first", 1),
        response_record(U + "huge", http_response(b"x"), content_length=str(2**63 + 5), number=2),
        response_record(U + "negative", http_response(b"x"), content_length="-5", number=3),
        response_record(U + "no-date", http_response(b"x"), date="yesterday", number=4),
        good("last", 5)]))
    files["second"] = work / "second.warc.gz"
    files["second"].write_bytes(good("second-file", 6))
    files["bombs"] = work / "bombs.warc.gz"
    files["bombs"].write_bytes(b"".join([
        good("first", 1),
        record_member_inflating_to(U + "member-bomb", bomb, 2),
        response_record(U + "double-gzip", http_response(double_gzip(bomb), extra=[("Content-Encoding", "gzip, gzip")]),
                        number=3),
        head_bomb_member(U + "head-line-bomb", bomb // 4, 4),
        good("last", 5)]))
    files["wacz"] = work / "index-bomb.wacz"
    with zipfile.ZipFile(files["wacz"], "w") as package:
        package.writestr("archive/data.warc.gz", good("in-wacz", 1), compress_type=zipfile.ZIP_STORED)
        line = (f'news,example)/ 20240501100000 {{"url": "{U}x", "status": "200", "offset": "0", '
                f'"length": "100", "filename": "data.warc.gz"}}\n').encode()
        ZipBombMember.add(package, "indexes/index.cdxj", bomb, line)
    return files


def bomb_site(bomb: int) -> dict[str, Route]:
    A = "/news/2024/05/01/"
    r = {"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\nSitemap: /sitemap.xml.gz\n"
                                 + b"".join(b"Allow: /filler-%08d\n" % i for i in range(3_000_000)),
                                 "text/plain"))}
    bombs = [f"{A}bomb-{i}" for i in range(4)]
    r["/"] = Route(ok(("<html><body>" + "".join(f'<a href="{b}">{b}</a>' for b in bombs)
                       + f'<a href="{A}fine">fine</a></body></html>').encode()))
    payload = gzip_members(bomb, b" ")
    for path in bombs:
        r[path] = Route(ok(payload, extra=[("Content-Encoding", "gzip")]))
    r[f"{A}fine"] = Route(ok(article_page("Fine story")))
    r["/sitemap.xml.gz"] = Route(ok(gzip.compress(b"<urlset>") + gzip_members(bomb, f"<url><loc>{A}fine</loc></url>".encode()),
                                    "application/gzip"))
    return r


def robots_5xx_site() -> dict[str, Route]:
    head = _head("HTTP/1.1 503 Service Unavailable", [("Content-Length", "4")])
    return {"/robots.txt": Route([head, b"busy"]),
            "/": Route(ok(b'<html><body><a href="/private-page">p</a></body></html>')),
            "/private-page": Route(ok(article_page("Private page")))}


def limit(mb: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (mb * MIB, mb * MIB))
    return apply


def run_case(root: Path, cmd: list[str], mem_mb: int, timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    start = time.monotonic()
    proc, peak = run_measured(cmd, cwd=root, env=env, timeout=timeout, preexec_fn=limit(mem_mb))
    text = proc.stdout + proc.stderr
    return {"rc": proc.returncode, "peak_rss_mb": round(peak), "seconds": round(time.monotonic() - start, 1),
            "traceback": "Traceback" in text, "memory_error": "MemoryError" in text,
            "tail": text.strip().splitlines()[-1][:160] if text.strip() else ""}


def cases(files: dict[str, Path], out: Path, py: str) -> dict[str, callable]:
    crawl = [py, "-m", "scrapy", "crawl", "news", "-s", "LOG_LEVEL=WARNING", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "EXTRACT_WORKERS=2", "-s", "DOWNLOAD_TIMEOUT=5"]
    testing = ("from archives.testing import WarcResponses\n"
               "import sys\nw = WarcResponses(sys.argv[1])\nserved = 0\n"
               "for url in w.urls():\n"
               "    try:\n        w.response(url); served += 1\n"
               "    except Exception as exc:\n        print(url, type(exc).__name__)\n"
               "print('served', served, 'of', len(w.urls()))\n")
    return {
        "warc-check: Content-Length 2^63+5 / -5, bad date": lambda tag: [
            py, "-m", "scrapy", "warc-check", str(files["bad_length"]), str(files["second"])],
        "reextract: Content-Length 2^63+5 / -5, bad date": lambda tag: [
            py, "-m", "scrapy", "reextract", str(files["bad_length"]), str(files["second"]),
            "-O", str(out / f"{tag}-badlen.jsonl"), "-s", "EXTRACT_WORKERS=1"],
        "warc-check: 1 MB WARC of bombs": lambda tag: [py, "-m", "scrapy", "warc-check", str(files["bombs"])],
        "reextract: 1 MB WARC of bombs": lambda tag: [
            py, "-m", "scrapy", "reextract", str(files["bombs"]), "-O", str(out / f"{tag}-bombs.jsonl"),
            "-s", "EXTRACT_WORKERS=1"],
        "archives.testing: WARC of bombs": lambda tag: [py, "-c", testing, str(files["bombs"])],
        "REPLAY_WARC crawl: WARC of bombs": lambda tag: crawl + [
            "-a", f"urls={U}first,{U}member-bomb,{U}double-gzip,{U}head-line-bomb,{U}last",
            "-s", f"REPLAY_WARC={files['bombs']}", "-s", f"OUTPUT_DIR={out / tag / 'replay'}"],
        "REPLAY_WARC crawl: WACZ with index bomb": lambda tag: crawl + [
            "-a", f"urls={U}in-wacz", "-s", f"REPLAY_WARC={files['wacz']}", "-s", f"OUTPUT_DIR={out / tag / 'wacz'}"],
    }


def live_cases(py: str, out: Path, bomb: int):
    crawl = [py, "-m", "scrapy", "crawl", "news", "-s", "LOG_LEVEL=WARNING", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "EXTRACT_WORKERS=2", "-s", "DOWNLOAD_TIMEOUT=20"]
    return {
        "crawl: 4 gzip-bomb pages, sitemap bomb, 60 MB robots.txt": (bomb_site(bomb), lambda base, tag: crawl + [
            "-a", f"urls={base}/", "-s", f"OUTPUT_DIR={out / tag / 'bombsite'}"]),
        # (asked again twice, 2 s apart: the default 120 s makes this case 4 minutes long)
        "crawl: robots.txt answers 503": (robots_5xx_site(), lambda base, tag: crawl + [
            "-a", f"urls={base}/", "-s", f"OUTPUT_DIR={out / tag / 'robots503'}", "-s", "ROBOTSTXT_RETRY_AFTER=2"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="an older checkout to run every case on too")
    parser.add_argument("--bomb-mib", type=int, default=1024, help="what each bomb inflates to (MiB)")
    parser.add_argument("--mem-limit-mb", type=int, default=3000, help="address-space limit per process")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "hostile.json")
    args = parser.parse_args()
    roots = {"after": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    py = sys.executable
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = build_inputs(work, args.bomb_mib * MIB)
        for name, make in cases(files, work, py).items():
            if args.only not in name:
                continue
            for tag, root in roots.items():
                results.setdefault(name, {})[tag] = run_case(root, make(tag), args.mem_limit_mb, args.timeout)
                print(name, tag, results[name][tag], flush=True)
        for name, (routes, make) in live_cases(py, work, args.bomb_mib * MIB).items():
            if args.only not in name:
                continue
            for tag, root in roots.items():
                with RawServer(routes=dict(routes)) as server:
                    results.setdefault(name, {})[tag] = run_case(root, make(server.base_url, tag),
                                                                 args.mem_limit_mb, args.timeout)
                    results[name][tag]["requested"] = sorted({p for p, _ in server.requests})[:8]
                print(name, tag, results[name][tag], flush=True)
    print(f"\n{'case':58} " + " ".join(f"{t + ' rc/peak MB':>22}" for t in roots))
    for name, by_tag in results.items():
        cells = [f"{r['rc']:>3} {r['peak_rss_mb']:>6}{' MemErr' if r['memory_error'] else ' TB' if r['traceback'] else ''}"
                 for r in by_tag.values()]
        print(f"{name:58} " + " ".join(f"{c:>22}" for c in cells))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"bomb_mib": args.bomb_mib, "mem_limit_mb": args.mem_limit_mb,
                                       "results": results}, indent=1))


if __name__ == "__main__":
    main()
