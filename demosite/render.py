"""Turn content objects into the bytes a real news site would send.

One method per CMS style (`Article.style` names it), sharing the site chrome (masthead, cookie banner,
share buttons, ads, newsletter box, related stories) that extractors must learn to ignore.
The hand-written templates live in templates/; this module only fills them in.
"""

from __future__ import annotations

import html
import json
import string
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from .content import SECTIONS, SITE_NAME, Article, slugify

TEMPLATES = Path(__file__).parent / "templates"
RIYADH = timezone(timedelta(hours=3))
COPYRIGHT_YEAR = 2025


@lru_cache(maxsize=None)
def template(name: str) -> string.Template:
    return string.Template((TEMPLATES / name).read_text(encoding="utf-8"))


def fill(name: str, **values) -> str:
    return template(name).substitute(values)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def iso(dt: datetime, tz=timezone.utc) -> str:
    dt = dt.astimezone(tz)
    return dt.isoformat().replace("+00:00", "Z") if tz is timezone.utc else dt.isoformat()


def display_date(dt: datetime, with_time=True) -> str:
    text = f"{dt:%B} {dt.day}, {dt.year}"
    if with_time and (dt.hour or dt.minute):
        zone = "UTC" if not dt.utcoffset() else dt.tzname()
        text += f" {dt.hour % 12 or 12}:{dt.minute:02d} {'a.m.' if dt.hour < 12 else 'p.m.'} {zone}"
    return text


def jsonld(obj) -> str:
    data = json.dumps(obj, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{data}\n</script>'


def paragraphs_html(paragraphs, attrs="", indent="      ") -> list[str]:
    return [f"{indent}<p{attrs}>{esc(p)}</p>" for p in paragraphs]


def printed_caption(caption) -> str:
    """The caption as a print editor would run it: sentence, then the credit in brackets."""
    return f"{caption.text} ({caption.credit})" if caption.credit else caption.text


@lru_cache(maxsize=8)
def site_chrome(base: str) -> dict:
    """The parts of every page that depend on nothing but the site."""
    nav = "\n".join(f'      <li><a href="/{slug}/">{name}</a></li>' for slug, (name, _) in SECTIONS.items())
    return {
        "site_name": esc(SITE_NAME),
        "base": base,
        "year": str(COPYRIGHT_YEAR),
        "masthead": fill("partials/masthead.html", site_name=esc(SITE_NAME), nav_items=nav),
        "cookie_banner": fill("partials/cookie_banner.html"),
        "newsletter": fill("partials/newsletter.html"),
        "footer": fill("partials/footer.html", year=str(COPYRIGHT_YEAR), site_name=esc(SITE_NAME)),
        "ad_top": fill("partials/ad.html", slot="leaderboard"),
        "ad_mid": fill("partials/ad.html", slot="midpage"),
    }


class Renderer:
    """Renders one site state for one base URL (scheme://host:port, no trailing slash)."""

    def __init__(self, catalog, base: str):
        self.catalog = catalog
        self.base = base

    def abs(self, path: str) -> str:
        return self.base + path

    # --- chrome shared by every template ----------------------------------------------------

    def chrome(self, article: Article | None = None) -> dict:
        values = dict(site_chrome(self.base))
        if article is not None:
            canonical = self.abs(article.path)
            values["share"] = fill("partials/share.html", url=esc(canonical), url_q=quote(canonical, safe=""),
                                   title_q=quote(article.title, safe=""))
            values["related"] = self.related(article)
        return values

    def related(self, article: Article) -> str:
        items = []
        suffixes = ("#comments", "?utm_source=related&utm_medium=web", "")
        for other, suffix in zip(self.catalog.related(article, 3), suffixes):
            figure = ""
            if other.captions:
                cap = other.captions[0]
                figure = (f'<figure class="teaser-figure"><img src="{cap.image}" alt="{esc(cap.alt)}" width="320" '
                          f'height="180" loading="lazy"><figcaption class="teaser-caption">{esc(cap.text)}'
                          f'</figcaption></figure>')
            items.append(f'    <li class="related-item"><a href="{esc(other.path + suffix)}">{figure}'
                         f'<span class="teaser-title">{esc(other.title)}</span></a></li>')
        return fill("partials/related.html", items="\n".join(items))

    def article_values(self, a: Article, tz=timezone.utc) -> dict:
        section_name = SECTIONS.get(a.section, (a.section.title(), 0))[0]
        values = self.chrome(a)
        values.update(
            title=esc(a.title), description=esc(a.description_or_lead), canonical=esc(self.abs(a.path)),
            path=esc(a.path), lang=a.language, section=a.section, section_name=esc(section_name),
            published=iso(a.published, tz), modified=iso(a.modified, tz),
            published_display=display_date(a.published.astimezone(tz)),
            modified_display=display_date(a.modified.astimezone(tz)),
            byline=esc(" and ".join(a.authors)), author_slug=slugify(a.authors[0]) if a.authors else "staff",
            keywords=esc(", ".join(a.tags)),
            top_image=esc(self.abs(a.top_image)) if a.top_image else "",
            tag_links="\n".join(f'        <a href="/tag/{slugify(t)}/" rel="tag">{esc(t)}</a>' for t in a.tags),
            body="\n".join(paragraphs_html(a.paragraphs)),
        )
        return values

    def news_article_ld(self, a: Article, tz=timezone.utc, **extra) -> dict:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "description": a.description_or_lead,
            "datePublished": iso(a.published, tz),
            "dateModified": iso(a.modified, tz),
            "author": [{"@type": "Person", "name": n, "url": self.abs(f"/author/{slugify(n)}/")} for n in a.authors],
            "publisher": {"@type": "Organization", "name": SITE_NAME,
                          "logo": {"@type": "ImageObject", "url": self.abs("/static/img/logo.png")}},
            "mainEntityOfPage": {"@type": "WebPage", "@id": self.abs(a.path)},
            "articleSection": SECTIONS.get(a.section, (a.section.title(),))[0],
            "keywords": a.tags,
            "inLanguage": a.language,
        }
        if a.captions:
            ld["image"] = [{"@type": "ImageObject", "url": self.abs(c.image), "caption": c.text,
                            "creditText": c.credit} for c in a.captions]
        ld.update(extra)
        return ld

    # --- one function per CMS style ------------------------------------------------------

    def asharq(self, a: Article) -> str:
        v = self.article_values(a, tz=RIYADH)
        cap = a.captions[0]
        shown = esc(printed_caption(cap))
        v.update(
            jsonld=jsonld(self.news_article_ld(a, tz=RIYADH)),
            hero_image=cap.image, hero_alt=esc(cap.alt), hero_caption=shown,
            figures=(f'    <figure class="article-figure">\n      <img src="{cap.image}" alt="{esc(cap.alt)}" '
                     f'width="800" height="450">\n      <figcaption class="figure-caption">{shown}</figcaption>\n'
                     f'      <div class="photo-caption-mobile">{shown}</div>\n    </figure>'),
        )
        return fill("asharq.html", **v)

    def wordpress(self, a: Article) -> str:
        v = self.article_values(a)
        post_id = self.catalog.numeric_id(a)
        lang_region = "de-DE" if a.language == "de" else "en-US"
        label = "Foto: " if a.language == "de" else "Photo: "
        body = paragraphs_html(a.paragraphs)
        for n, cap in enumerate(a.captions):
            att = post_id * 10 + n
            credit = f" {label}{esc(cap.credit)}" if cap.credit else ""
            block = (f'<div id="attachment_{att}" style="width: 1034px" class="wp-caption aligncenter">'
                     f'<img aria-describedby="caption-attachment-{att}" decoding="async" class="size-large '
                     f'wp-image-{att}" src="{cap.image}" alt="{esc(cap.alt)}" width="1024" height="683">'
                     f'<p id="caption-attachment-{att}" class="wp-caption-text">{esc(cap.text)}{credit}</p></div>')
            body.insert(min(2 + 3 * n, len(body)), "      " + block)
        page = self.abs(a.path)
        graph = {"@context": "https://schema.org", "@graph": [
            {"@type": "Article", "@id": page + "#article", "isPartOf": {"@id": page},
             "author": [{"name": n, "@id": self.abs("/#/schema/person/" + slugify(n))} for n in a.authors],
             "headline": a.title, "datePublished": iso(a.published), "dateModified": iso(a.modified),
             "mainEntityOfPage": {"@id": page}, "publisher": {"@id": self.abs("/#organization")},
             "image": {"@id": page + "#primaryimage"}, "keywords": a.tags,
             "articleSection": [SECTIONS[a.section][0]], "inLanguage": lang_region},
            {"@type": "WebPage", "@id": page, "url": page, "name": f"{a.title} \u2013 {SITE_NAME}",
             "datePublished": iso(a.published), "dateModified": iso(a.modified)},
            {"@type": "ImageObject", "@id": page + "#primaryimage", "url": self.abs(a.top_image) if a.top_image
             else None, "caption": a.captions[0].text if a.captions else None},
            {"@type": "Organization", "@id": self.abs("/#organization"), "name": SITE_NAME, "url": self.abs("/")},
        ] + [{"@type": "Person", "@id": self.abs("/#/schema/person/" + slugify(n)), "name": n} for n in a.authors]}
        v.update(
            jsonld=jsonld(graph), post_id=str(post_id), body="\n".join(body),
            lang_region=lang_region, og_locale=lang_region.replace("-", "_"),
            tag_links=", ".join(f'<a href="/tag/{slugify(t)}/" rel="tag">{esc(t)}</a>' for t in a.tags),
        )
        return fill("wordpress.html", **v)

    def arc(self, a: Article) -> str:
        v = self.article_values(a)
        figures = []
        for cap in a.captions:
            credit = f' <span data-qa="credit" class="credit">({esc(cap.credit)})</span>' if cap.credit else ""
            figures.append(
                f'  <figure class="lead-art" data-qa="inline-image"><div class="image-wrapper"><img data-qa="image" '
                f'src="{cap.image}" srcset="{cap.image}?w=480 480w, {cap.image}?w=1440 1440w" alt="{esc(cap.alt)}" '
                f'width="1440" height="960"></div><figcaption data-qa="caption" class="caption">'
                f'<span data-qa="caption-text">{esc(cap.text)}</span>{credit}</figcaption></figure>')
        others = self.catalog.related(a, 1)
        fusion = {"_id": f"ARC{self.catalog.numeric_id(a):08d}", "type": "story", "canonical_url": a.path,
                  "headlines": {"basic": a.title}, "display_date": iso(a.published),
                  "credits": {"by": [{"name": n, "type": "author"} for n in a.authors]},
                  "taxonomy": {"primary_section": {"_id": "/" + a.section, "name": SECTIONS[a.section][0]},
                               "tags": [{"text": t} for t in a.tags]},
                  "content_elements": [{"type": "text", "content": p} for p in a.paragraphs]}
        v.update(
            jsonld=jsonld(self.news_article_ld(a)),
            figures="\n".join(figures),
            body="\n".join(paragraphs_html(a.paragraphs, ' data-el="text" class="font--body font-copy"', "    ")),
            byline_links=", ".join(f'<a data-qa="author-name" rel="author" href="/author/{slugify(n)}/">{esc(n)}</a>'
                                   for n in a.authors),
            interstitial_href=esc(others[0].path) if others else "/",
            interstitial_title=esc(others[0].title) if others else "Home",
            fusion_json=json.dumps(fusion, ensure_ascii=False).replace("</", "<\\/"),
        )
        return fill("arc.html", **v)

    def drupal(self, a: Article) -> str:
        v = self.article_values(a)
        figures = []
        for cap in a.captions:
            credit = f' <span class="image-credit">Photo: {esc(cap.credit)}</span>' if cap.credit else ""
            figures.append(
                '    <div class="field field--name-field-image field--type-image field--label-hidden field__item">'
                f'<figure role="group" class="caption caption-img"><img loading="lazy" src="{cap.image}" '
                f'width="960" height="640" alt="{esc(cap.alt)}" typeof="foaf:Image"><figcaption>'
                f'<span class="image-caption">{esc(cap.text)}</span>{credit}</figcaption></figure></div>')
        amphtml = ""
        if self.catalog.has_amp(a):
            amphtml = f'<link rel="amphtml" href="{esc(self.abs(a.path + "/amp"))}">'
        ld = self.news_article_ld(a)
        graph = {"@context": ld.pop("@context"), "@graph": [ld]}
        v.update(jsonld=jsonld(graph), figures="\n".join(figures), amphtml=amphtml,
                 node_id=str(self.catalog.numeric_id(a)),
                 tag_links="\n".join(f'        <div class="field__item"><a href="/tag/{slugify(t)}/" '
                                     f'hreflang="{a.language}">{esc(t)}</a></div>' for t in a.tags))
        return fill("drupal.html", **v)

    def amp(self, a: Article) -> str:
        v = self.article_values(a)
        figures = []
        for cap in a.captions:
            credit = f' <small class="credit">({esc(cap.credit)})</small>' if cap.credit else ""
            figures.append(f'  <figure class="amp-figure"><amp-img src="{cap.image}" width="1200" height="800" '
                           f'layout="responsive" alt="{esc(cap.alt)}"></amp-img><figcaption>{esc(cap.text)}{credit}'
                           f'</figcaption></figure>')
        v.update(jsonld=jsonld(self.news_article_ld(a)), figures="\n".join(figures),
                 body="\n".join(paragraphs_html(a.paragraphs, indent="    ")))
        return fill("amp.html", **v)

    def static(self, a: Article) -> str:
        v = self.article_values(a)
        v.update(body="\n".join(paragraphs_html(a.paragraphs, indent="")),
                 published_display=display_date(a.published, with_time=False))
        return fill("static.html", **v)

    def cutline(self, a: Article) -> str:
        v = self.article_values(a)
        figures = []
        for cap in a.captions:
            figures.append(
                '  <table class="photo" width="300" border="0" cellpadding="4" cellspacing="0" align="right">\n'
                f'  <tr><td><img src="{cap.image}" width="300" height="200" border="0" alt="{esc(cap.alt)}"></td></tr>\n'
                f'  <tr><td class="photocredit" align="right"><font size="1">{esc(cap.credit or "")}</font></td></tr>\n'
                f'  <tr><td class="cutline"><font size="2">{esc(cap.text)}</font></td></tr>\n  </table>')
        v.update(figures="\n".join(figures), published_date=a.published.date().isoformat(),
                 published_display=f"{a.published:%A}, " + display_date(a.published, with_time=False),
                 byline_upper=esc(" and ".join(a.authors).upper()), title_q=quote(a.title, safe=""),
                 body="\n".join(paragraphs_html(a.paragraphs, indent="  ")))
        return fill("cutline.html", **v)

    def lightbox(self, a: Article) -> str:
        v = self.article_values(a)
        body = paragraphs_html(a.paragraphs, indent="    ")
        hidden = []
        for n, cap in enumerate(a.captions):
            credit = f'<p class="media-credit">Photograph: {esc(cap.credit)}</p>' if cap.credit else ""
            block = (f'    <div class="media-block"><a class="lightbox-trigger" href="{cap.image}?size=full" '
                     f'data-lightbox="story" data-caption="{esc(printed_caption(cap))}"><img src="{cap.image}" '
                     f'alt="{esc(cap.alt)}" width="900" height="600"></a><div class="credit-block">'
                     f'<p class="media-caption">{esc(cap.text)}</p>{credit}</div></div>')
            body.insert(min(4 * n, len(body)), block)
            hidden.append(f'    <figure class="lightbox-item"><img data-src="{cap.image}?size=full" alt="">'
                          f'<figcaption>{esc(printed_caption(cap))}</figcaption></figure>')
        v.update(jsonld=jsonld(self.news_article_ld(a)), body="\n".join(body), lightbox_items="\n".join(hidden))
        return fill("lightbox.html", **v)

    def synthetic(self, a: Article) -> str:
        from .synthetic import render_synthetic  # heavy chrome lives with the generator
        return render_synthetic(self, a)

    def article(self, a: Article, amp: bool = False) -> str:
        if amp:
            return self.amp(a)
        return getattr(self, a.style)(a)

    # --- listings --------------------------------------------------------------------------

    def teaser(self, a: Article, href: str | None = None) -> str:
        href = href or a.path
        img = ""
        if a.top_image:
            img = (f'<a class="teaser-image" href="{esc(href)}"><img src="{a.top_image}" alt="" width="240" '
                   f'height="135" loading="lazy"></a>')
        by = esc(", ".join(a.authors))
        return (f'    <li class="story-item"><article class="teaser">{img}<h2 class="teaser-headline">'
                f'<a href="{esc(href)}">{esc(a.title)}</a></h2><p class="teaser-dek">{esc(a.description_or_lead)}'
                f'</p><p class="teaser-meta">By {by} &middot; <time datetime="{iso(a.published)}">'
                f'{display_date(a.published, with_time=False)}</time></p></article></li>')

    def listing(self, *, path, heading, items, intro="", extra="", pagination="", head_links="",
                body_class="", description="") -> str:
        v = self.chrome()
        ld = {"@context": "https://schema.org", "@type": "CollectionPage", "name": heading,
              "url": self.abs(path)}
        v.update(heading=esc(heading), canonical=esc(self.abs(path)), items="\n".join(items), intro=intro,
                 extra=extra, pagination=pagination, head_links=head_links, body_class=body_class,
                 meta_description=esc(description or f"The latest {heading} news from {SITE_NAME}."),
                 jsonld=jsonld(ld))
        return fill("listing.html", **v)

    def page(self, heading, content, robots="index, follow") -> str:
        v = self.chrome()
        v.update(heading=esc(heading), content=content, robots=robots)
        return fill("page.html", **v)

    # --- feeds and sitemaps ---------------------------------------------------------------

    def rss(self, articles) -> str:
        items = []
        for a in articles:
            cats = "".join(f"<category>{xml_escape(t)}</category>" for t in a.tags)
            items.append(
                f"  <item>\n    <title>{xml_escape(a.title)}</title>\n    <link>{xml_escape(self.abs(a.path))}</link>\n"
                f"    <guid isPermaLink=\"true\">{xml_escape(self.abs(a.path))}</guid>\n"
                f"    <pubDate>{a.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>\n"
                f"    <dc:creator>{xml_escape(', '.join(a.authors))}</dc:creator>\n    {cats}\n"
                f"    <description>{xml_escape(a.description_or_lead)}</description>\n  </item>")
        latest = max((a.modified for a in articles), default=None)
        build = latest.strftime("%a, %d %b %Y %H:%M:%S +0000") if latest else ""
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
                f"  <title>{xml_escape(SITE_NAME)}</title>\n  <link>{self.abs('/')}</link>\n"
                f'  <atom:link href="{self.abs("/feeds/rss.xml")}" rel="self" type="application/rss+xml"/>\n'
                f"  <description>News from {xml_escape(SITE_NAME)}</description>\n  <language>en-us</language>\n"
                f"  <lastBuildDate>{build}</lastBuildDate>\n" + "\n".join(items) + "\n</channel>\n</rss>\n")

    def atom(self, articles) -> str:
        entries = []
        for a in articles:
            authors = "".join(f"<author><name>{xml_escape(n)}</name></author>" for n in a.authors)
            entries.append(
                f"  <entry>\n    <title>{xml_escape(a.title)}</title>\n"
                f'    <link rel="alternate" type="text/html" href="{xml_escape(self.abs(a.path))}"/>\n'
                f"    <id>{xml_escape(self.abs(a.path))}</id>\n    <published>{iso(a.published)}</published>\n"
                f"    <updated>{iso(a.modified)}</updated>\n    {authors}\n"
                f"    <summary>{xml_escape(a.description_or_lead)}</summary>\n  </entry>")
        updated = iso(max((a.modified for a in articles), default=datetime(2024, 1, 1, tzinfo=timezone.utc)))
        return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
                f"  <title>{xml_escape(SITE_NAME)}</title>\n  <id>{self.abs('/')}</id>\n"
                f'  <link rel="self" href="{self.abs("/feeds/atom.xml")}"/>\n'
                f'  <link rel="alternate" href="{self.abs("/")}"/>\n  <updated>{updated}</updated>\n'
                + "\n".join(entries) + "\n</feed>\n")

    def sitemap_index(self, children) -> str:
        rows = "\n".join(f"  <sitemap>\n    <loc>{self.abs(p)}</loc>\n    <lastmod>{iso(m)}</lastmod>\n  </sitemap>"
                         for p, m in children)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "\n</sitemapindex>\n")

    def urlset(self, entries, news: bool = False) -> str:
        """entries: (path, lastmod datetime|None, Article|None)."""
        rows = []
        for path, lastmod, a in entries:
            row = f"  <url>\n    <loc>{xml_escape(self.abs(path))}</loc>\n"
            if lastmod:
                row += f"    <lastmod>{iso(lastmod)}</lastmod>\n"
            if news and a is not None:
                row += ("    <news:news>\n      <news:publication>\n"
                        f"        <news:name>{xml_escape(SITE_NAME)}</news:name>\n"
                        f"        <news:language>{a.language}</news:language>\n      </news:publication>\n"
                        f"      <news:publication_date>{iso(a.published)}</news:publication_date>\n"
                        f"      <news:title>{xml_escape(a.title)}</news:title>\n"
                        f"      <news:keywords>{xml_escape(', '.join(a.tags))}</news:keywords>\n    </news:news>\n")
            if a is not None and a.top_image and not news:
                row += f"    <image:image><image:loc>{xml_escape(self.abs(a.top_image))}</image:loc></image:image>\n"
            rows.append(row + "  </url>")
        ns = ('xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news
              else 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"')
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" {ns}>\n' + "\n".join(rows) + "\n</urlset>\n")
