"""The demo site is the fixture every crawl test leans on: check that it serves what its
ground truth (`site.expected`) claims, byte for byte where the wire framing matters."""

from __future__ import annotations

import gzip
import html
import http.client
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from demosite import DemoSite

ROOT = Path(__file__).resolve().parents[1]
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "news": "http://www.google.com/schemas/sitemap-news/0.9",
      "atom": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def site(demo_site):
    """The session's shared demo site (conftest); tests that change it use `fresh_site`."""
    return demo_site


@pytest.fixture
def fresh_site():
    with DemoSite() as s:
        yield s


def raw_exchange(site, path, headers=(), method="GET"):
    """One request on a fresh socket; returns (status line, [(name, value)], raw body bytes)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{site.port}", "Connection: close", *headers, "", ""]
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    return status, [tuple(h.split(": ", 1)) for h in header_lines], body


def header(headers, name):
    values = [v for k, v in headers if k.lower() == name.lower()]
    return values[0] if values else None


def get(site, path, headers=None, method="GET"):
    """(status, headers dict, body) without following redirects."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def shingles(text, size=5):
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def jaccard(a, b):
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def site_path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def article_key(site, url):
    """Map a linked URL to an expected article path, ignoring tracking variants, like a crawler would."""
    expected = site.expected
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    if parts.path == "/local/story.php":
        path = f"{parts.path}?{parts.query}"
    if path in expected["amp"]:
        path = expected["amp"][path]
    return path


# --- robots, sitemaps, feeds ---------------------------------------------------------------

def test_robots_lists_sitemaps_and_disallows_private(site):
    status, headers, body = get(site, "/robots.txt")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert re.search(r"^User-agent: \*\nDisallow: /private/$", text, re.M)
    sitemaps = re.findall(r"^Sitemap: (\S+)$", text, re.M)
    assert site.url("/sitemap_index.xml") in sitemaps
    assert all(url.startswith(site.base_url) for url in sitemaps)
    assert all(p.startswith("/private/") for p in site.expected["disallowed"])


def test_sitemap_index_leads_to_news_and_plain_sitemaps(site):
    index = ET.fromstring(get(site, "/sitemap_index.xml")[2])
    children = [site_path(loc.text) for loc in index.findall("sm:sitemap/sm:loc", NS)]
    assert children == ["/sitemap-news.xml", "/sitemap-pages.xml"]
    news = ET.fromstring(get(site, "/sitemap-news.xml")[2])
    urls = news.findall("sm:url", NS)
    assert urls and all(u.find("news:news/news:publication_date", NS) is not None for u in urls)
    news_paths = {site_path(u.find("sm:loc", NS).text) for u in urls}
    pages = ET.fromstring(get(site, "/sitemap-pages.xml")[2])
    page_paths = {site_path(loc.text) for loc in pages.findall("sm:url/sm:loc", NS)}
    assert "/world/" in page_paths and not page_paths & set(site.expected["articles"])
    in_sitemap = {p for p, a in site.expected["articles"].items() if "sitemap" in a["reachable_via"]}
    assert news_paths - set(site.expected["disallowed"]) == in_sitemap


def test_rss_and_atom_are_linked_from_home_and_list_feed_articles(site):
    home = get(site, "/")[2].decode()
    assert re.search(r'<link rel="alternate" type="application/rss\+xml"[^>]*href="[^"]+/feeds/rss\.xml"', home)
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="[^"]+/feeds/atom\.xml"', home)
    in_feed = {p for p, a in site.expected["articles"].items() if "feed" in a["reachable_via"]}
    rss = ET.fromstring(get(site, "/feeds/rss.xml")[2])
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert {site_path(link.text) for link in rss.findall("channel/item/link")} == in_feed
    atom = ET.fromstring(get(site, "/feeds/atom.xml")[2])
    assert {site_path(link.get("href")) for link in atom.findall("atom:entry/atom:link", NS)} == in_feed


def test_reachable_via_matches_what_the_site_links(site):
    """Walk every HTML link (no redirects followed): `reachable_via` must say exactly what is linked."""
    expected = site.expected
    seen, queue, linked, redirected = set(), ["/"], set(), set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        status, headers, body = get(site, path)
        if status in (301, 302):
            redirected.add(path)
            queue.append(site_path(urljoin(site.url(path), headers["location"])))
            continue
        if status != 200 or not headers.get("content-type", "").startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"]+)"', body.decode("utf-8", "replace")):
            url = urljoin(site.url(path), html.unescape(href))
            if not url.startswith(site.base_url):
                continue
            target = site_path(url.split("#")[0])
            key = article_key(site, url)
            if (key in expected["articles"] or key in expected["disallowed"]) and key != article_key(site, site.url(path)):
                linked.add(key)
            if target.startswith("/private/") or target.startswith("/archive?page=") and int(target.split("=")[1]) > 3:
                continue
            if target.startswith("/feeds/") or target.startswith("/media/"):
                continue
            queue.append(target)
    by_links = {p for p, a in expected["articles"].items() if "links" in a["reachable_via"]}
    by_redirect = {p for p, a in expected["articles"].items() if "redirect" in a["reachable_via"]}
    article_pages_seen = {article_key(site, site.url(p)) for p in seen} & set(expected["articles"])
    assert linked - set(expected["disallowed"]) == by_links
    assert set(expected["disallowed"]) <= linked
    assert by_redirect <= article_pages_seen and not by_redirect & by_links
    only_elsewhere = {p for p, a in expected["articles"].items() if "links" not in a["reachable_via"]
                      and "redirect" not in a["reachable_via"]}
    assert only_elsewhere and not only_elsewhere & article_pages_seen


# --- wire framing ---------------------------------------------------------------------------

def test_gzip_page_is_compressed_on_the_wire(site):
    path = site.expected["faults"]["gzip"]
    title = site.expected["articles"][path]["title"]
    status, headers, body = raw_exchange(site, path, ["Accept-Encoding: gzip, deflate"])
    assert status == "HTTP/1.1 200 OK"
    assert header(headers, "Content-Encoding") == "gzip"
    assert int(header(headers, "Content-Length")) == len(body)
    assert body[:2] == b"\x1f\x8b"
    assert html.escape(title).encode() in gzip.decompress(body)
    status, headers, plain = raw_exchange(site, path)
    assert header(headers, "Content-Encoding") is None and plain == gzip.decompress(body)


def test_chunked_page_has_hand_written_chunks(site):
    path = site.expected["faults"]["chunked"]
    status, headers, body = raw_exchange(site, path)
    assert status == "HTTP/1.1 200 OK"
    assert header(headers, "Transfer-Encoding") == "chunked" and header(headers, "Content-Length") is None
    assert body.endswith(b"\r\n0\r\n\r\n")
    sizes, payload, rest = [], b"", body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            break
        payload += rest[:size]
        assert rest[size:size + 2] == b"\r\n"
        rest = rest[size + 2:]
        sizes.append(size)
    assert len(sizes) > 3 and len(set(sizes)) > 1
    text = payload.decode("utf-8")
    assert html.escape(site.expected["articles"][path]["title"]) in text and text.rstrip().endswith("</html>")


def test_windows_1252_page(site):
    path = site.expected["faults"]["cp1252"]
    status, headers, body = raw_exchange(site, path)
    assert status == "HTTP/1.1 200 OK"
    assert header(headers, "Content-Type") == "text/html; charset=windows-1252"
    assert b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">' in body
    assert b"\x93" in body and b"\xe9" in body          # curly quote and e-acute in cp1252
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    expected = site.expected["articles"][path]
    text = html.unescape(body.decode("cp1252"))
    assert expected["title"] in text and all(p in text for p in expected["text"].split("\n\n"))


def test_once_503_then_200_per_server_and_path(fresh_site):
    path = fresh_site.expected["faults"]["once_503"]
    status, headers, _ = raw_exchange(fresh_site, path)
    assert status.startswith("HTTP/1.1 503") and header(headers, "Retry-After")
    assert raw_exchange(fresh_site, path)[0] == "HTTP/1.1 200 OK"
    assert raw_exchange(fresh_site, path)[0] == "HTTP/1.1 200 OK"
    with DemoSite() as other:
        assert raw_exchange(other, path)[0].startswith("HTTP/1.1 503")


def test_redirect_chain_and_custom_reason_404(site):
    faults = site.expected["faults"]
    path, codes = faults["redirect_chain"]["start"], []
    for _ in range(5):
        status, headers, _ = get(site, path)
        codes.append(status)
        if status not in (301, 302):
            break
        path = site_path(urljoin(site.url(path), headers["location"]))
    assert codes == [301, 302, 200] and path == faults["redirect_chain"]["final"]
    reason = faults["custom_reason"]
    assert raw_exchange(site, reason["path"])[0] == f"HTTP/1.1 {reason['status']} {reason['reason']}"
    assert get(site, "/no/such/page")[0] == 404


def test_keep_alive_serves_several_requests_on_one_connection(site):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        for path in ("/", "/robots.txt", site.expected["faults"]["chunked"], "/media/2024/04/blue-kettle.png"):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200 and body
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
    finally:
        conn.close()


def test_head_sends_headers_only(site):
    status, headers, body = raw_exchange(site, "/", method="HEAD")
    assert status == "HTTP/1.1 200 OK" and body == b"" and int(header(headers, "Content-Length")) > 1000


# --- listings -------------------------------------------------------------------------------

def test_archive_never_ends_and_repeats(site):
    first = get(site, "/archive?page=1")[2].decode()
    assert 'href="/archive?page=2"' in first
    far = get(site, "/archive?page=5000")[2].decode()
    assert 'href="/archive?page=5001"' in far and 'href="/archive?page=4999"' in far
    links = lambda page: re.findall(r'<h2 class="teaser-headline"><a href="([^"]+)"', page)
    pool = len(set(links(first) + links(get(site, "/archive?page=2")[2].decode())
                   + links(get(site, "/archive?page=3")[2].decode())))
    assert set(links(far)) <= {p for p in site.expected["articles"]}
    assert get(site, "/archive?page=0")[0] == 404 and get(site, "/archive?page=x")[0] == 400
    assert pool < 30   # a handful of stories, cycling


def test_section_pagination_and_listings_are_not_articles(site):
    expected = site.expected
    world = get(site, "/world/")[2].decode()
    assert 'href="/world/page/2/"' in world
    assert get(site, "/world/page/2/")[0] == 200 and get(site, "/world/page/99/")[0] == 404
    for path in expected["listings"]:
        assert get(site, path)[0] == 200, path
        assert path not in expected["articles"]
        assert path == "/" or re.fullmatch(r"/[a-z]+/", path) or any(
            re.match(p, path) for p in expected["listing_patterns"]), path


# --- content and ground truth ------------------------------------------------------------

def test_every_expected_article_is_served_with_its_text_and_captions(site):
    for path, article in site.expected["articles"].items():
        if path == site.expected["faults"]["once_503"]:
            get(site, path)
        status, headers, body = get(site, path, {"Accept-Encoding": "identity"})
        assert status == 200, path
        charset = headers["content-type"].split("charset=")[1]
        page = html.unescape(body.decode(charset))
        assert article["title"] in page
        for paragraph in article["text"].split("\n\n"):
            assert paragraph in page, (path, paragraph[:60])
        for caption in article["captions"]:
            assert caption["text"] in page and (caption["credit"] or "") in page and caption["image_url"] in page
        assert f'lang="{article["language"]}' in page or article["kind"] == "cutline"


def test_seed_pages_reproduce_the_asharq_layout(site):
    expected = site.expected
    seeds = [p for p, a in expected["articles"].items() if a["kind"] == "asharq"]
    credits = {expected["articles"][p]["captions"][0]["credit"] for p in seeds}
    assert credits == {"AFP", "Russian Foreign Ministry Press Service via AP, File"}
    for path in seeds:
        article = expected["articles"][path]
        assert article["exact_text"] and len(article["captions"]) == 1
        page = get(site, path)[2].decode()
        visible = html.unescape(re.sub(r"<[^>]+>", "\n", re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)))
        lines = [line.strip() for line in visible.split("\n") if line.strip()]
        caption = article["captions"][0]
        printed = f"{caption['text']} ({caption['credit']})"
        assert lines.count(article["title"]) == 2          # hero + article header
        assert lines.count(printed) == 4                   # hero, lightbox, figure, mobile copy
        assert "TT" in lines and "20" in lines
        body_start = lines.index(article["text"].split("\n\n")[0])
        assert lines[body_start:body_start + article["text"].count("\n\n") + 1] == article["text"].split("\n\n")


def test_duplicate_groups_hold_what_they_claim(site):
    expected = site.expected
    articles = expected["articles"]
    kinds = {g["kind"] for g in expected["duplicate_groups"]}
    assert kinds == {"url", "exact", "near"}
    for group in expected["duplicate_groups"]:
        first, *others = group["members"]
        if group["kind"] == "url":
            canonical_body = get(site, first)[2]
            canonical_link = re.search(rb'<link rel="canonical" href="([^"]+)"', canonical_body).group(1)
            for member in others:
                body = get(site, member.split("#")[0])[2]
                assert re.search(rb'<link rel="canonical" href="([^"]+)"', body).group(1) == canonical_link
                assert member not in articles
        elif group["kind"] == "exact":
            assert all(articles[m]["text"] == articles[first]["text"] for m in others)
        else:
            assert all(articles[m]["text"] != articles[first]["text"] for m in others)
            assert all(jaccard(articles[m]["text"], articles[first]["text"]) >= 0.85 for m in others)
            assert all(articles[m]["title"] != articles[first]["title"] for m in others)
    for a, b in expected["unrelated_same_topic"]:
        assert jaccard(articles[a]["text"], articles[b]["text"]) < 0.05
        assert set(articles[a]["tags"]) & set(articles[b]["tags"])


def test_url_variants_fold_under_the_project_canonicalizer(site):
    """Contract with crawler.urls: what the site calls one URL, canonicalize_url folds to one key."""
    from crawler.urls import canonicalize_url

    for group in site.expected["duplicate_groups"]:
        keys = {canonicalize_url(site.url(m)) for m in group["members"]}
        if group["kind"] == "url":
            assert keys == {canonicalize_url(site.url(group["members"][0]))}
        else:
            assert len(keys) == len(group["members"])


def test_amp_twin_points_back_to_canonical(site):
    for amp_path, canonical in site.expected["amp"].items():
        amp = get(site, amp_path)[2].decode()
        assert "<html ⚡" in amp and "<amp-img" in amp and f'<link rel="canonical" href="{site.url(canonical)}">' in amp
        assert f'<link rel="amphtml" href="{site.url(amp_path)}">' in get(site, canonical)[2].decode()


# --- HTTP caching and content changes (incremental crawls) ---------------------------------

def test_conditional_get_and_edits_change_validators(fresh_site):
    site = fresh_site
    path = next(p for p, a in site.expected["articles"].items() if a["kind"] == "wordpress")
    slug = path.rsplit("/", 1)[1]
    status, headers, body = get(site, path)
    etag, last_modified = headers["etag"], headers["last-modified"]
    assert status == 200 and etag.startswith('"')
    assert get(site, path, {"If-None-Match": etag})[:1] == (304,)
    status, headers304, body304 = get(site, path, {"If-Modified-Since": last_modified})
    assert status == 304 and body304 == b"" and headers304["etag"] == etag
    home_validators = get(site, "/")[1]

    site.edit(slug, body="A corrected first paragraph.\n\nAnd a second one.", title="Corrected headline")
    status, headers, body = get(site, path, {"If-None-Match": etag})
    assert status == 200 and headers["etag"] != etag and b"A corrected first paragraph." in body
    assert parsedate_to_datetime(headers["last-modified"]) > parsedate_to_datetime(last_modified)
    assert get(site, path, {"If-Modified-Since": last_modified})[0] == 200
    assert site.expected["articles"][path]["text"] == "A corrected first paragraph.\n\nAnd a second one."
    assert get(site, "/", {"If-None-Match": home_validators["etag"]})[0] == 200   # headline changed on home

    new_path = site.publish("council-adopts-harbor-budget", title="Council Adopts Harbor Budget",
                            body="The council adopted the harbor budget on Monday.\n\nThe vote was 7-0.",
                            section="business", authors=["Dana Whitfield"], tags=["Port of Carrow"])
    assert get(site, new_path)[0] == 200
    assert site.expected["articles"][new_path]["reachable_via"] == ["links", "sitemap", "feed"]
    assert site.url(new_path).encode() in get(site, "/feeds/rss.xml")[2]
    assert new_path.encode() in get(site, "/business/")[2]
    with pytest.raises(ValueError, match="slug already exists"):
        site.publish("council-adopts-harbor-budget", title="x", body="y")


def test_backdated_publish_still_moves_listing_validators(fresh_site):
    from datetime import datetime, timezone

    site = fresh_site
    before = get(site, "/")[1]
    path = site.publish("archive-find", title="Archive Find", body="An old story, filed late.",
                        published=datetime(2020, 5, 1, 8, 0, tzinfo=timezone.utc))
    assert path == "/world/2020/05/01/archive-find"
    status, after, body = get(site, "/", {"If-Modified-Since": before["last-modified"]})
    assert status == 200 and after["etag"] != before["etag"]
    assert parsedate_to_datetime(after["last-modified"]) > parsedate_to_datetime(before["last-modified"])
    with pytest.raises(KeyError, match="no article with slug"):
        site.edit("no-such-story", title="x")


# --- process-level API ----------------------------------------------------------------------

def test_request_log_and_url_helper(fresh_site):
    site = fresh_site
    assert site.url("/world/") == site.url("world/") == site.base_url + "world/"
    site.clear_log()
    get(site, "/about/?utm_source=x", {"User-Agent": "demosite-test"})
    log = site.request_log
    assert [(m, p) for m, p, _ in log] == [("GET", "/about/?utm_source=x")]
    assert log[0][2]["User-Agent"] == "demosite-test"
    site.clear_log()
    assert site.request_log == []


def test_synthetic_articles_are_deterministic_sized_and_listed():
    with DemoSite(synthetic_articles=60, seed=3) as site:
        expected = site.expected
        synthetic = {p: a for p, a in expected["articles"].items() if a["synthetic"]}
        assert len(synthetic) == 60
        assert DemoSite(synthetic_articles=60, seed=3).expected["articles"].keys() == expected["articles"].keys()
        assert DemoSite(synthetic_articles=60, seed=4).expected["articles"].keys() != expected["articles"].keys()
        words = [len(a["text"].split()) for a in synthetic.values()]
        assert min(words) >= 400 and max(words) <= 1300
        sample = sorted(synthetic)[:12]
        for path in sample:
            body = get(site, path)[2]
            assert 50_000 <= len(body) <= 160_000
            assert html.escape(synthetic[path]["text"].split("\n\n")[0]).encode() in body
        listed = ET.fromstring(get(site, "/sitemap-articles-1.xml")[2])
        assert {site_path(loc.text) for loc in listed.findall("sm:url/sm:loc", NS)} == set(synthetic)
        sections = {p.split("/")[1] for p in synthetic}
        in_sections = set()
        for section in sections:
            page = get(site, f"/{section}/")[2].decode()
            in_sections |= set(re.findall(r'<h2 class="teaser-headline"><a href="([^"]+)"', page))
        assert set(synthetic) <= in_sections


def test_command_line_prints_url_first_and_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "demosite", "--port", "0", "--expected", str(tmp_path / "e.json")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        port = int(urlsplit(url).port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/robots.txt")
        assert b"Sitemap:" in conn.getresponse().read()
        conn.close()
        assert '"articles"' in (tmp_path / "e.json").read_text()   # written before the URL is printed
    finally:
        proc.terminate()
        proc.wait(timeout=10)
