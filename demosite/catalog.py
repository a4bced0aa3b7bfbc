"""The site's state: which articles exist, how they are reachable, and the ground truth.

`Catalog.expected()` is the single source of truth tests compare a crawl against; it is built
from the same objects the pages are rendered from.
"""

from __future__ import annotations

import copy
import threading
import zlib
from datetime import datetime, timedelta, timezone

from . import stories
from .content import SECTIONS, Article, Caption, slugify
from .render import iso

REDIRECT_START = "/archives/2024/06/whaling-museum.html"
REDIRECT_HOP = "/go/culture/restored-whaling-museum-reopens"
REMOVED_STORY = "/world/2023/01/15/ministers-meet-on-border-crossings"
REMOVED_REASON = "Story Removed"
SEED_VARIANTS = (  # how pages link the first seed story (all the same page)
    "?utm_source=homepage&utm_medium=referral&fbclid=IwAR2xDemoClickId",
    "/",
    "#comments",
)
AMP_SUFFIX = "/amp"

FAULTS = {
    "redirect_chain": {"start": REDIRECT_START,
                       "hops": [[REDIRECT_START, 301], [REDIRECT_HOP, 302]],
                       "final": stories.WHALING_MUSEUM.path},
    "not_found": REMOVED_STORY,
    "custom_reason": {"path": REMOVED_STORY, "status": 404, "reason": REMOVED_REASON},
    "once_503": stories.DROUGHT_CATTLE.path,
    "gzip": stories.FENWICK.path,
    "chunked": stories.RADWEGE.path,
    "cp1252": stories.BLUE_KETTLE.path,
}

STATIC_PAGES = {"/about/": "About The Meridian Herald", "/privacy/": "Privacy policy"}
FEEDS = ("/feeds/rss.xml", "/feeds/atom.xml")
FEED_SIZE = 50
SITEMAP_CHUNK = 1000
ARCHIVE_PAGE_SIZE = 10
# Styles whose markup declares the section in metadata (others only show it, or not at all).
SECTION_DECLARED = {"asharq", "wordpress", "arc", "drupal", "amp", "lightbox", "synthetic"}
DATE_ONLY = {"static", "cutline"}


def _paragraphs(body) -> list[str]:
    """A body given as a list of paragraphs or as text with blank lines between them."""
    return list(body) if isinstance(body, (list, tuple)) else [p.strip() for p in body.split("\n\n") if p.strip()]


def _by_recency(a: Article):
    return (-a.published.timestamp(), a.path)


class Catalog:
    def __init__(self, synthetic_articles: int = 0, seed: int = 1):
        self.lock = threading.RLock()
        self.version = 0
        self.changed_at = datetime(2000, 1, 1, tzinfo=timezone.utc)   # last publish()/edit()
        self.articles: list[Article] = [copy.deepcopy(a) for a in stories.HAND_WRITTEN]
        self.amp = {stories.TRANSIT_APP.path}
        self.duplicate_groups = [
            {"kind": "url", "members": [stories.LUKASHENKO.path] + [stories.LUKASHENKO.path + v for v in SEED_VARIANTS]},
            {"kind": "url", "members": [stories.TRANSIT_APP.path, stories.TRANSIT_APP.path + AMP_SUFFIX]},
            {"kind": "exact", "members": [stories.HARBOR.path, stories.HARBOR_COPY.path]},
            {"kind": "near", "members": [stories.STORM.path, stories.STORM_REPUBLISHED.path]},
        ]
        if synthetic_articles:
            from .synthetic import generate
            generated, groups = generate(synthetic_articles, seed)
            self.articles.extend(generated)
            self.duplicate_groups.extend(groups)
        self._reindex()

    # --- indexes --------------------------------------------------------------------------

    def _reindex(self):
        self.by_path = {a.path: a for a in self.articles}
        self.by_slug = {a.slug: a for a in self.articles}
        linked = sorted((a for a in self.articles if a.linked), key=_by_recency)
        self.linked = linked
        self.hand_linked = [a for a in linked if not a.synthetic]
        self.by_section = {}
        self.by_tag = {}
        self.by_author = {}
        for a in linked:
            self.by_section.setdefault(a.section, []).append(a)
            for t in a.tags:
                self.by_tag.setdefault(slugify(t), (t, []))[1].append(a)
            for n in a.authors:
                self.by_author.setdefault(slugify(n), (n, []))[1].append(a)
        self.feed_articles = sorted((a for a in self.articles if a.in_feed and not a.disallowed),
                                    key=_by_recency)[:FEED_SIZE]
        self.sitemap_articles = sorted((a for a in self.articles if a.in_sitemap), key=_by_recency)
        self.last_modified = max([a.modified for a in self.articles] + [self.changed_at])
        self._linked_pos = {a.path: i for i, a in enumerate(linked)}
        self.version += 1

    def numeric_id(self, a: Article) -> int:
        return zlib.crc32(a.slug.encode()) % 900000 + 100000

    def has_amp(self, a: Article) -> bool:
        return a.path in self.amp

    def related(self, a: Article, n: int) -> list[Article]:
        """The next `n` linked stories after this one (same kind: hand-written or synthetic)."""
        pool = [x for x in (self.hand_linked if not a.synthetic else self.by_section.get(a.section, []))
                if x.path != a.path and not x.disallowed]
        if not pool:
            return []
        start = self._linked_pos.get(a.path, 0) % len(pool)
        return [pool[(start + i) % len(pool)] for i in range(min(n, len(pool)))]

    def resolve(self, path: str, query: dict) -> tuple[Article | None, bool]:
        """Request path -> (article, is_amp). Tracking parameters and a trailing slash are ignored."""
        if path == "/local/story.php" and "id" in query:
            return self.by_path.get(f"{path}?id={query['id'][0]}"), False
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if path.endswith(AMP_SUFFIX) and path[: -len(AMP_SUFFIX)] in self.amp:
            return self.by_path.get(path[: -len(AMP_SUFFIX)]), True
        return self.by_path.get(path), False

    def section_pages(self, section: str) -> int:
        size = SECTIONS[section][1]
        return max(1, -(-len(self.by_section.get(section, [])) // size))

    # --- mutations (incremental-crawl tests) ----------------------------------------------

    def _next_stamp(self) -> datetime:
        """Now, but always past every earlier change: HTTP dates have one-second resolution."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        return max(now, self.last_modified + timedelta(seconds=1))

    def publish(self, slug, *, title, body, section="world", authors=("Staff",), tags=(), captions=(),
                description="", published=None, style="wordpress", language="en") -> Article:
        with self.lock:
            if slug in self.by_slug:
                raise ValueError(f"slug already exists: {slug}")
            if section not in SECTIONS:
                raise ValueError(f"unknown section {section!r}; one of {', '.join(SECTIONS)}")
            self.changed_at = self._next_stamp()      # listings change even for a back-dated story
            stamp = published or self.changed_at
            article = Article(
                slug=slug, path=f"/{section}/{stamp:%Y/%m/%d}/{slug}", style=style, section=section,
                title=title, paragraphs=_paragraphs(body), authors=list(authors), published=stamp, tags=list(tags),
                captions=[c if isinstance(c, Caption) else Caption(**c) for c in captions],
                description=description, language=language,
            )
            self.articles.append(article)
            self._reindex()
            return article

    def edit(self, slug, *, body=None, title=None, description=None) -> Article:
        with self.lock:
            if slug not in self.by_slug:
                raise KeyError(f"no article with slug {slug!r}")
            article = self.by_slug[slug]
            if body is not None:
                article.paragraphs = _paragraphs(body)
            if title is not None:
                article.title = title
            if description is not None:
                article.description = description
            article.modified = self.changed_at = self._next_stamp()
            self._reindex()
            return article

    # --- ground truth ---------------------------------------------------------------------

    def expected_article(self, a: Article) -> dict:
        date = (lambda d: d.date().isoformat()) if a.style in DATE_ONLY else iso
        return {
            "title": a.title,
            "text": a.text,
            "exact_text": a.exact_text,
            "captions": [{"text": c.text, "credit": c.credit, "image_url": c.image} for c in a.captions],
            "authors": list(a.authors),
            "published": date(a.published),
            "modified": None if a.style in DATE_ONLY else iso(a.modified),
            "section": SECTIONS[a.section][0] if a.style in SECTION_DECLARED and a.section in SECTIONS else None,
            "tags": list(a.tags) if a.style not in {"static"} else [],
            "language": a.language,
            "top_image": a.top_image,
            "kind": a.style,
            "synthetic": a.synthetic,
            "reachable_via": a.reachable_via,
        }

    def listing_paths(self) -> list[str]:
        paths = ["/", "/blog/"]
        for section in SECTIONS:
            paths.append(f"/{section}/")
            paths += [f"/{section}/page/{n}/" for n in range(2, self.section_pages(section) + 1)]
        paths += [f"/tag/{t}/" for t in sorted(self.by_tag)]
        paths += [f"/author/{n}/" for n in sorted(self.by_author)]
        paths += [f"/archive?page={n}" for n in range(1, 4)]
        return paths

    def expected(self) -> dict:
        with self.lock:
            return {
                "site_name": "The Meridian Herald",
                "articles": {a.path: self.expected_article(a) for a in self.articles if not a.disallowed},
                "listings": self.listing_paths(),
                "listing_patterns": [r"^/archive\?page=\d+$", r"^/[a-z]+/page/\d+/$", r"^/tag/[^/]+/$",
                                     r"^/author/[^/]+/$"],
                "endless": {"path": "/archive", "param": "page"},
                "other_pages": list(STATIC_PAGES),
                "feeds": list(FEEDS),
                "sitemaps": ["/sitemap_index.xml", "/sitemap-news.xml", "/sitemap-pages.xml"]
                + [f"/sitemap-articles-{n}.xml" for n in range(1, self.synthetic_sitemaps() + 1)],
                "robots": "/robots.txt",
                "disallowed": [a.path for a in self.articles if a.disallowed],
                "duplicate_groups": copy.deepcopy(self.duplicate_groups),
                "unrelated_same_topic": [[stories.DROUGHT_CATTLE.path, stories.DROUGHT_RESERVOIR.path]],
                "amp": {p + AMP_SUFFIX: p for p in sorted(self.amp)},
                "faults": copy.deepcopy(FAULTS),
            }

    def synthetic_sitemaps(self) -> int:
        count = sum(1 for a in self.sitemap_articles if a.synthetic)
        return -(-count // SITEMAP_CHUNK)

