"""URL canonicalization: the one place that decides when two URLs name the same page.

Used by the spider (not to fetch variants twice), by extraction (canonical_url)
and by dedupe (the URL key). No Scrapy imports: worker processes use it too.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

# Query parameters that only say how a reader arrived, never which page it is.
DEFAULT_TRACKING_PARAMS = (
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "ref", "ref_src", "ref_url", "cmpid",
    "ocid", "ito", "smid", "sr_share", "spm", "at_medium", "at_campaign",
    "__twitter_impression", "amp", "outputType", "s_cid", "icid", "xtor",
)

_AMP_PATH = re.compile(r"/amp/?$|\.amp(?=\.html?$|$)|/amp(?=/)", re.IGNORECASE)


def _matcher(patterns):
    exact = {p.lower() for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1].lower() for p in patterns if p.endswith("*"))

    def is_tracking(name: str) -> bool:
        name = name.lower()
        return name in exact or (bool(prefixes) and name.startswith(prefixes))

    return is_tracking


_default_is_tracking = _matcher(DEFAULT_TRACKING_PARAMS)


def strip_tracking(url: str, tracking_params=None) -> str:
    is_tracking = _matcher(tracking_params) if tracking_params is not None else _default_is_tracking
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def fold_amp(url: str) -> str:
    """`/story/amp`, `/amp/story`, `story.amp.html` -> the non-AMP URL; a best guess used only
    when the AMP page itself names no canonical."""
    parts = urlsplit(url)
    path = _AMP_PATH.sub(lambda m: "/" if m.group(0).startswith("/amp/") and m.group(0) != "/amp/" else "", parts.path) or "/"
    netloc = parts.netloc[4:] if parts.netloc.lower().startswith("amp.") else parts.netloc
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def canonicalize_url(url: str, tracking_params=None, *, fold_amp_urls: bool = True) -> str:
    """The dedupe key of a URL: lowercase scheme/host, default port dropped, tracking
    parameters and fragment removed, query sorted, no trailing slash (except the root)."""
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


def same_site(url_a: str, url_b: str) -> bool:
    """Same registrable host, ignoring a leading `www.`/`amp.`/`m.` (ports must match)."""
    def host(url):
        netloc = urlsplit(url).netloc.lower()
        for prefix in ("www.", "amp.", "m."):
            if netloc.startswith(prefix):
                return netloc[len(prefix):]
        return netloc
    return host(url_a) == host(url_b)
