"""The demo site's content model: what an article is, independent of how a CMS dresses it.

Every page, feed, sitemap and the ground truth (`DemoSite.expected`) are rendered from these
objects, so the markup and the expected output can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Caption:
    """One article photo. `text` and `credit` are what an extractor should return (the rule in
    README.md: caption sentence without the credit; credit without brackets or a "Photo:" label)."""

    text: str
    credit: str | None
    image: str                        # site path of the image
    alt: str = ""


@dataclass
class Article:
    slug: str                         # unique key for publish()/edit()
    path: str                         # canonical path (no trailing slash; may carry ?id=)
    style: str                        # which CMS template renders it: a Renderer method name
    section: str
    title: str
    paragraphs: list[str]
    authors: list[str]
    published: datetime
    modified: datetime | None = None
    captions: list[Caption] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    language: str = "en"
    linked: bool = True               # reachable through HTML links (home/sections/tags/authors/archive)
    in_sitemap: bool = True
    in_feed: bool = True
    via_redirect: bool = False        # reachable only through the legacy redirect chain
    exact_text: bool = False          # tests may assert the extracted body equals `text` exactly
    disallowed: bool = False          # under /private/ (robots.txt); never to be fetched
    synthetic: bool = False
    page_bytes: int = 0               # synthetic pages are padded with site chrome to about this size

    def __post_init__(self):
        if self.modified is None:
            self.modified = self.published

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def top_image(self) -> str | None:
        return self.captions[0].image if self.captions else None

    @property
    def reachable_via(self) -> list[str]:
        via = []
        if self.linked:
            via.append("links")
        if self.in_sitemap:
            via.append("sitemap")
        if self.in_feed:
            via.append("feed")
        if self.via_redirect:
            via.append("redirect")
        return via

    @property
    def description_or_lead(self) -> str:
        if self.description:
            return self.description
        lead = self.paragraphs[0] if self.paragraphs else ""
        return lead if len(lead) <= 200 else lead[:197].rsplit(" ", 1)[0] + "..."


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# Sections: slug -> (display name, listing page size). "world" pages by 2 so /world/page/2/
# exists even without synthetic articles.
SECTIONS = {
    "world": ("World", 2),
    "nation": ("Nation", 20),
    "business": ("Business", 20),
    "technology": ("Technology", 20),
    "science": ("Science", 20),
    "culture": ("Culture", 20),
    "local": ("Local", 20),
    "sports": ("Sports", 20),
}

SITE_NAME = "The Meridian Herald"
