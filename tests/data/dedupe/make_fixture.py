"""Builds articles.jsonl (the dedupe fixture) from stories.py: the originals plus their
duplicates as a crawler would meet them.

- url:   the same page under another URL that canonicalizes to it (tracking parameters,
         fragment, AMP twin naming its canonical, AMP cache, amp. host)
- exact: the same words under another URL ("-2" slug, syndication with other quotes,
         dashes and line breaks, a new headline on an unchanged body)
- near:  a republication in another site's template: new headline, one or two edited
         sentences, the other site's boilerplate lines (newsletter, related links, credits)

Run `python tests/data/dedupe/make_fixture.py` after editing; the test reads the JSONL only.
Each line: id, group (the story id), kind (null for an original), url (fetched),
declared_canonical (what the page's <link rel=canonical> says, or null), title, text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from stories import STORIES

HERE = Path(__file__).parent

# (story, fetched URL (may be relative to the story's own URL), declared canonical or None)
URL_VARIANTS = [
    ("A1", "?utm_source=facebook&utm_medium=social&utm_campaign=budget&fbclid=IwAR0x7Qz", "self"),
    ("A1", "/amp", "self"),
    ("B1", "?gclid=Cj0KCQjw#comments", "self"),
    ("B1", "https://www-gulfcoastnews-com.cdn.ampproject.org/c/s/www.gulfcoastnews.com/weather/hurricane-marisol-landfall", None),
    ("C1", "?mc_cid=4f2a9b&mc_eid=77d1c0e3aa", "self"),
    ("D1", "https://amp.pitchsidereport.com/football/ashford-united-sign-okafor", "self"),
    ("E1", "https://WWW.HighDesertJournal.com/news/cedar-ridge-fire-evacuations/?ref=homepage&utm_content=top", "self"),
    ("F1", "?outputType=amp&CMP=twt_gu", "self"),
    ("G1", "?utm_source=alerts#top", None),
]

def _retype(text: str) -> str:
    """Same words, other typography: straight quotes to curly, hyphen dateline to an em dash,
    paragraphs re-wrapped at 80 columns."""
    text = re.sub(r'"(\w)', "\u201c\\1", text)
    text = text.replace('"', "\u201d").replace("'", "\u2019")
    text = re.sub(r"^([A-Z][A-Z .]+) - ", "\\1 \u2014 ", text)
    out = []
    for para in text.split("\n\n"):
        line, lines = "", []
        for word in para.split():
            if len(line) + len(word) + 1 > 80:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
        out.append("\n".join(lines))
    return "\n\n".join(out)


# (story, fetched URL, title or None (the story's), text transform or None)
EXACT_VARIANTS = [
    ("A1", "https://www.rivertonledger.com/local/council-approves-budget-with-transit-cuts-2", None, None),
    ("B1", "https://www.coastalregister.com/news/2024/08/14/hurricane-marisol-landfall", None, _retype),
    ("C2", "https://www.metrodaily.com/business/inflation-april-rent", "Rent pushes inflation up again in April", None),
    ("D2", "https://www.matchdayonline.com/news/brennan-sacked-harcourt", "Brennan out at Harcourt after losing streak", None),
    ("E1", "https://www.valleysentinel.com/regional/wildfire-pine-hollow-evacuations", None, _retype),
    ("F2", "https://www.techwirepost.com/security/st-agnes-ransomware-2", None, None),
    ("G1", "https://www.northvalleytimes.com/weather/flood-warning-hollis-county-1", None, None),
    ("C3", "https://www.financepost.com/world/norland-rate-rise", "Norland raises interest rates in surprise move", _retype),
]

def near(story, url, title, edits, before=(), middle=(), after=(), drop_last=False):
    """A republication: `edits` are (old, new) sentence rewrites; `before`, `middle` (after the
    third paragraph) and `after` are the other template's boilerplate lines."""
    return dict(story=story, url=url, title=title, edits=edits, before=list(before),
                middle=list(middle), after=list(after), drop_last=drop_last)


NEAR_VARIANTS = [
    near("A1", "https://www.statewire.net/stories/riverton-budget-vote-bus-routes",
         "Riverton cuts four bus routes to close $18 million gap",
         [("The Riverton City Council voted 6-3 late Tuesday to approve",
           "Riverton's City Council on Tuesday night voted 6-3 to approve"),
          ("Several speakers said the 14 and 22 lines are the only way they can reach jobs",
           "Many speakers said the 14 and 22 lines were their only way to get to jobs")],
         after=["(Reporting by Nadia Brooks; Editing by Carl Weiss)"]),
    near("A1", "https://www.valleysentinel.com/region/riverton-budget-approved",
         "Riverton passes budget over objections from bus riders",
         [("closing a shortfall that officials had warned could reach $18 million",
           "closing a shortfall that city officials said could have reached $18 million")],
         before=["Sign up for The Sentinel's free morning newsletter."],
         after=["Related: What the Riverton budget means for your neighborhood",
                "Have a news tip? Email newsroom@valleysentinel.com."]),
    near("A2", "https://www.countyherald.com/education/millbrook-teacher-layoffs",
         "Millbrook schools could lay off 40 teachers",
         [("district officials said.", "according to district officials."),
          ("Union president Marcus Bell said the district's reserve is larger than the state requires",
           "Marcus Bell, the union's president, said the reserve is well above the state's requirement")],
         middle=["Advertisement"],
         after=["This story was produced in partnership with the Education Reporting Collaborative."]),
    near("B1", "https://www.metrodaily.com/national/hurricane-marisol-port-calloway",
         "Marisol slams Gulf Coast with 120 mph winds, floods downtown Port Calloway",
         [("knocking out power to more than 300,000 customers",
           "knocking out power to more than 350,000 homes and businesses"),
          ("There were no confirmed deaths as of noon", "No deaths had been confirmed by early afternoon")],
         middle=["Advertisement"],
         after=["Related: How to prepare your home before a hurricane",
                "Copyright 2024 Metro Daily. All rights reserved."]),
    near("B1", "https://www.statewire.net/stories/marisol-landfall-category-3",
         "Category 3 Hurricane Marisol hits near Port Calloway",
         [("PORT CALLOWAY - ", "PORT CALLOWAY (State Wire) - "),
          ("Governor Patricia Lowell said at a news conference in the state capital",
           "Gov. Patricia Lowell told reporters in the state capital")],
         after=["(Reporting by Luis Ortega; Editing by Carl Weiss)"]),
    near("B2", "https://www.statewire.net/stories/sable-river-flood-hollis-ferry",
         "Hundreds evacuated as Sable River floods Hollis Ferry",
         [("forcing hundreds of residents from their homes", "driving hundreds of people from their homes")],
         after=["(Reporting by Amy Tran; Editing by Paul Dunne)"]),
    near("B3", "https://www.metrodaily.com/national/marisol-death-toll-seven",
         "Seven dead after Marisol; 140,000 still without power",
         [("utility officials said it could take two weeks to restore power to everyone who lost it",
           "utility officials warned that some customers might not have power back for two weeks")],
         middle=["Advertisement"],
         after=["Related: Where to find help after Hurricane Marisol",
                "Copyright 2024 Metro Daily. All rights reserved."]),
    near("C1", "https://www.globalbusinessdesk.com/markets/fmb-rate-decision-june",
         "FMB keeps rates at 5.25%, pencils in two cuts",
         [("Stocks rose after the announcement, with the broad market index gaining 0.8 percent",
           "Stocks climbed after the decision, and the broad market index closed up 0.8 percent")],
         after=["(Writing by Henrik Dahl; Editing by Sarah Nunez)"]),
    near("C4", "https://www.financepost.com/economy/may-jobs-272000",
         "Hiring surges in May as employers add 272,000 jobs",
         [("a sign that the economy remains resilient despite high interest rates",
           "a sign that the economy is holding up despite high borrowing costs"),
          ("Economists had forecast a gain of about 180,000 jobs.",
           "Economists surveyed before the report had expected about 180,000 new jobs.")],
         before=["Get the Finance Post markets newsletter in your inbox every morning."]),
    near("D1", "https://www.matchdayonline.com/transfers/okafor-joins-ashford",
         "Okafor completes 48m-euro move to Ashford",
         [("\"This is a player we have followed for a long time,\" manager Thomas Lindqvist said.",
           "\"We have followed this player for a long time,\" said Ashford manager Thomas Lindqvist.")],
         after=["Follow all the latest transfer news on our live blog.",
                "Matchday Online is not responsible for the content of external sites."]),
    near("D3", "https://www.pitchsidereport.com/football/varga-kingsbridge-deal",
         "Varga reunites with Ferreira at Kingsbridge",
         [("the club confirmed on Thursday", "the club said on Thursday"),
          ("He said the chance to play in England and to be reunited with Ferreira made his decision easy.",
           "Varga said the chance to play in England and to work with Ferreira again made the decision an easy one.")],
         middle=["Advertisement"], after=["Related: Every summer transfer so far"]),
    near("E1", "https://www.metrodaily.com/national/cedar-ridge-fire-pine-hollow",
         "Wind-driven wildfire destroys homes near Pine Hollow",
         [("The Cedar Ridge fire had burned about 6,200 acres by Monday evening",
           "The Cedar Ridge fire had grown to about 6,500 acres by late Monday")],
         before=["This is a developing story and will be updated."],
         after=["Copyright 2024 Metro Daily. All rights reserved."]),
    near("E4", "https://www.highdesertjournal.com/news/highway-40-arson-arrest",
         "Deputies arrest suspect in Highway 40 brush fires",
         [("authorities said.", "the sheriff's office said.")],
         after=["Read more: How investigators trace the cause of a wildfire"]),
    near("F1", "https://www.financepost.com/retail/brightmart-breach-8-million",
         "Brightmart breach exposes data of 8 million shoppers",
         [("in one of the largest retail data breaches this year",
           "one of the biggest breaches to hit a retailer this year")],
         after=["Read more: How to protect yourself after a data breach"]),
    near("F3", "https://www.techwirepost.com/policy/chatterly-fine-children",
         "Chatterly hit with 310m-euro fine over teen privacy",
         [("The company said it disagreed with the size of the fine and was considering an appeal.",
           "Chatterly said it disagreed with the amount and was weighing an appeal.")],
         middle=["Advertisement"]),
    near("F4", "https://www.globalbusinessdesk.com/tech/silicore-quarter-ai",
         "Silicore beats forecasts on AI chip boom",
         [("Shares of chipmaker Silicore jumped 11 percent in after-hours trading on Wednesday",
           "Silicore shares rose 11 percent in extended trading on Wednesday")],
         after=["(Reporting by Priya Raman; Editing by Sarah Nunez)"], drop_last=True),
]


def story_url(story: dict) -> str:
    return story["site"] + story["slug"]


def _near_text(text: str, v: dict) -> str:
    for old, new in v["edits"]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    paragraphs = text.split("\n\n")
    if v["drop_last"]:
        paragraphs = paragraphs[:-1]
    return "\n\n".join([*v["before"], *paragraphs[:3], *v["middle"], *paragraphs[3:], *v["after"]])


def build() -> list[dict]:
    rows = []
    for sid, story in STORIES.items():
        rows.append(dict(id=sid, group=sid, kind=None, url=story_url(story),
                         declared_canonical=story_url(story), title=story["title"], text=story["text"]))
    for n, (sid, url, canonical) in enumerate(URL_VARIANTS, 1):
        story = STORIES[sid]
        base = story_url(story)
        fetched = url if url.startswith("http") else base + url
        rows.append(dict(id=f"{sid}-url{n}", group=sid, kind="url", url=fetched,
                         declared_canonical=base if canonical == "self" else canonical,
                         title=story["title"], text=story["text"]))
    for n, (sid, url, title, transform) in enumerate(EXACT_VARIANTS, 1):
        story = STORIES[sid]
        text = transform(story["text"]) if transform else story["text"]
        rows.append(dict(id=f"{sid}-exact{n}", group=sid, kind="exact", url=url, declared_canonical=url,
                         title=title or story["title"], text=text))
    for n, v in enumerate(NEAR_VARIANTS, 1):
        sid = v["story"]
        rows.append(dict(id=f"{sid}-near{n}", group=sid, kind="near", url=v["url"], declared_canonical=v["url"],
                         title=v["title"], text=_near_text(STORIES[sid]["text"], v)))
    return rows


if __name__ == "__main__":
    rows = build()
    with open(HERE / "articles.jsonl", "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} articles, {sum(r['kind'] is None for r in rows)} stories")
