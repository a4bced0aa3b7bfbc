"""URL canonicalization: the one place that decides when two URLs name the same page.

Used by the spider (not to fetch variants twice), by extraction (canonical_url)
and by dedupe (the URL key). No Scrapy imports: worker processes use it too.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize
from w3lib.url import safe_url_string

# Query parameters that only say how a reader arrived, never which page it is.
# A trailing `*` matches a prefix; names compare case-insensitively.
DEFAULT_TRACKING_PARAMS = (
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "ref", "ref_src", "ref_url", "cmpid",
    "ocid", "ito", "smid", "sr_share", "spm", "at_medium", "at_campaign",
    "__twitter_impression", "amp", "outputType", "s_cid", "icid", "xtor",
    # e-mail, ad and analytics platforms (HubSpot, Marketo, Matomo/Piwik, Webtrends, TikTok,
    # LinkedIn, comScore, Yahoo consent redirects, Guardian/FT campaign codes)
    "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsa_*", "mkt_tok", "pk_*", "mtm_*",
    "piwik_*", "wt.*", "ttclid", "li_fat_id", "ns_*", "s_kwcid", "rb_clickid", "vero_*",
    "oly_anon_id", "oly_enc_id", "guccounter", "guce_referrer", "guce_referrer_sig", "ncid",
    "cmp", "ftag", "soc_src", "soc_trk",
    # session ids of Java, PHP, ASP and ColdFusion servers: a new one per visit, so every
    # page linked again under another id (the path form `;jsessionid=...` is dropped too)
    "jsessionid", "phpsessid", "aspsessionid*", "cfid", "cftoken",
)
# Java servlets put the session in the path when cookies are off (as in this crawl): `/a;jsessionid=X?q`.
_PATH_SESSION = re.compile(r";jsessionid=[^/;?#]*", re.IGNORECASE)

# AMP twins by path: a leading `/amp/` segment, a trailing `/amp` segment, `story.amp[.html]`.
_AMP_PATH = re.compile(r"^/amp(?=/)|/amp/?$|\.amp(?=\.html?$|$)", re.IGNORECASE)
# Google's AMP caches wrap the publisher URL: /c/ (http) or /c/s/ (https) after the cache host.
_AMP_CACHE = re.compile(r"^/(?:c|v|i|amp)/(s/)?(?P<rest>[^/]+\..+)$", re.IGNORECASE)


@lru_cache(maxsize=32)
def _matcher(patterns: tuple):
    exact = {p.lower() for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1].lower() for p in patterns if p.endswith("*"))

    def is_tracking(name: str) -> bool:
        name = name.lower()
        return name in exact or (bool(prefixes) and name.startswith(prefixes))

    return is_tracking


def strip_tracking(url: str, tracking_params=None) -> str:
    """Drop tracking parameters (and a `;jsessionid=` path parameter) and the fragment; every
    other parameter keeps its raw bytes (decoding and re-encoding would merge URLs that differ in
    non-UTF-8 escapes)."""
    patterns = DEFAULT_TRACKING_PARAMS if tracking_params is None else tuple(tracking_params)
    is_tracking = _matcher(patterns)
    parts = urlsplit(url)
    query = "&".join(
        pair for pair in parts.query.split("&")
        if pair and not is_tracking(unquote_plus(pair.split("=", 1)[0]))
    )
    path = _PATH_SESSION.sub("", parts.path) if ";" in parts.path else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _unwrap_amp_cache(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.endswith(".cdn.ampproject.org") or (host in ("www.google.com", "google.com")
                                               and parts.path.lower().startswith("/amp/")):
        match = _AMP_CACHE.match(parts.path)
        if match:
            scheme = "https" if match.group(1) else "http"
            return f"{scheme}://{match.group('rest')}" + (f"?{parts.query}" if parts.query else "")
    return url


def fold_amp(url: str) -> str:
    """`/story/amp`, `/amp/story`, `story.amp.html`, `amp.host`, AMP-cache URLs -> the non-AMP
    URL; a best guess used only when the AMP page itself names no canonical."""
    parts = urlsplit(_unwrap_amp_cache(url))
    path = _AMP_PATH.sub("", parts.path) or "/"
    netloc = parts.netloc[4:] if parts.netloc.lower().startswith("amp.") else parts.netloc
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def canonicalize_url(url: str, tracking_params=None, *, fold_amp_urls: bool = True) -> str:
    """The dedupe key of a URL: lowercase scheme/host, default port dropped, tracking
    parameters and fragment removed, query sorted, no trailing slash (except the root).
    Idempotent: a canonical URL canonicalizes to itself."""
    params = None if tracking_params is None else tuple(tracking_params)
    return _canonicalize(url, params, fold_amp_urls)


@lru_cache(maxsize=8192)  # one URL is canonicalized for its request, its item and dedupe
def _canonicalize(url: str, tracking_params: tuple | None, fold_amp_urls: bool) -> str:
    url = strip_tracking(url.strip(), tracking_params)
    if fold_amp_urls:
        url = fold_amp(url)
    url = _w3lib_canonicalize(url, keep_fragments=False)
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    if parts.scheme == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    elif parts.scheme == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path or "/", parts.query, ""))


def join_url(base: str, href: str) -> str | None:
    """urljoin, or None for an href urlsplit refuses ("http://[::1"): one bad link in a page,
    feed or robots.txt is skipped, never the whole document."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


# A site's menus repeat the same links on every page: written once (~30-70 us a non-ASCII link)
@lru_cache(maxsize=1 << 12)
def link_url(url: str, charset: str = "utf-8") -> str | None:
    """An absolute link of a page in `charset` as a browser requests it (WHATWG URL): host in
    IDNA, path in UTF-8, and the query in the page's own charset, percent-encoded. A windows-1251
    page's "/search?q=Москва" is asked as q=%CC%EE%F1%EA%E2%E0, which its server decodes; Scrapy
    would encode the query in UTF-8 (another URL). A character the charset lacks is sent as the
    browser does, its numeric reference "&#N;" percent-encoded. None for a URL that cannot be
    made one (a bad host)."""
    if url.isascii():
        return url
    charset = _query_charset(charset)
    parts = urlsplit(url)
    if not parts.query.isascii():
        query = "".join(char if _encodes(char, charset) else f"%26%23{ord(char)}%3B" for char in parts.query)
        url = urlunsplit(parts._replace(query=query))
    try:
        return safe_url_string(url, charset)
    except (UnicodeError, ValueError):
        return None


def _query_charset(charset: str) -> str:
    """WHATWG URL's "output encoding": a page in UTF-16 or UTF-32 (its BOM) has its queries in
    UTF-8, not in 2-4 bytes a character ("q%00=%00..."); and no byte-order mark (utf-8-sig)."""
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return "utf-8"
    return "utf-8" if name.startswith(("utf-16", "utf-32", "utf-8")) else charset


def _encodes(char: str, charset: str) -> bool:
    try:
        char.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def same_site(url_a: str, url_b: str) -> bool:
    """Same host, ignoring a leading `www.`/`amp.`/`m.` (other subdomains are other sites; ports
    must match)."""
    return site_key(url_a) == site_key(url_b)


_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=4096)
def site_key(url: str) -> str:
    """What same_site compares: the host in lower case and in its ASCII (IDNA) form, without a
    leading `www.`/`amp.`/`m.`, with its port unless it is the scheme's default. Browsers and
    Scrapy send `bücher.example` as `xn--bcher-kva.example` and `:80` of http is no port, so a
    start URL written either way is the site its links name the other way."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


class UrlCanonicalizer:
    """One crawl's URL rules: canonicalize_url and strip_tracking with the crawl's tracking
    parameters, read once from URL_TRACKING_PARAMS (the one reader of that setting).

    `tracking_params` stays plain data (None: DEFAULT_TRACKING_PARAMS; else a tuple) for
    what crosses to the extraction workers."""

    def __init__(self, tracking_params=None):
        self.tracking_params = None if tracking_params is None else tuple(tracking_params)

    @classmethod
    def from_settings(cls, settings) -> UrlCanonicalizer:
        """From a Scrapy Settings (anything with getlist): an empty list means the defaults."""
        return cls(settings.getlist("URL_TRACKING_PARAMS") or None)

    def canonicalize(self, url: str, *, fold_amp_urls: bool = True) -> str:
        return canonicalize_url(url, self.tracking_params, fold_amp_urls=fold_amp_urls)

    __call__ = canonicalize

    def strip_tracking(self, url: str) -> str:
        return strip_tracking(url, self.tracking_params)


_CRAWLER_ATTRIBUTE = "newsarchive_url_canonicalizer"


def url_canonicalizer(crawler) -> UrlCanonicalizer:
    """The crawl's one UrlCanonicalizer, built from its settings at the first call (the spider,
    the request fingerprinter, dedupe, the JOBDIR and incremental middlewares share it)."""
    canonicalizer = getattr(crawler, _CRAWLER_ATTRIBUTE, None)
    if canonicalizer is None:
        canonicalizer = UrlCanonicalizer.from_settings(crawler.settings)
        setattr(crawler, _CRAWLER_ATTRIBUTE, canonicalizer)
    return canonicalizer
