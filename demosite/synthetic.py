"""Generated articles for throughput and dedupe benchmarks (`DemoSite(synthetic_articles=N)`).

Deterministic for a seed. Bodies are wire-style prose assembled from slot-filled sentence
templates (fictional names and places); pages carry the heavy chrome of real news sites
(mega menus, inline CSS, tracking scripts, a preloaded-state blob) so each is 50-150 KB.
About 5% of articles are exact or near copies of an earlier one (recorded as duplicate groups).
"""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta
from functools import lru_cache

from .content import SECTIONS, Article, Caption, slugify, utc
from .render import Renderer, esc, fill, iso, jsonld, paragraphs_html

DUPLICATE_RATE = 0.05
FIRST_NAMES = """Aaron Abigail Adrian Alice Amara Ana Andre Ben Bianca Caleb Carmen Chloe Colin Dalia Daniel Dev Diana
Eli Elena Emeka Erin Felix Fiona Gabriel Grace Hana Hugo Ines Isaac Jada Jonah Julia Kai Keira Lars Leah Luis Maya
Malik Mei Milo Nadia Nina Noah Omar Oscar Paula Quinn Rafael Rhea Rosa Samir Sofia Tariq Tessa Uma Victor Wren Yara
Zane""".split()
LAST_NAMES = """Abbott Achebe Alvarez Baker Bennett Brandt Carver Castillo Chen Cohen Dawson Delgado Donovan Ellis Farrow
Fischer Garner Gupta Hale Hargrove Ibarra Jensen Kamara Keller Kowalski Larsen Lindqvist Lopez Maddox Marsh Mendez
Moreau Nakamura Novak Okafor Ortiz Park Patel Quinlan Ramos Reyes Rossi Sandoval Schmidt Sorensen Tanaka Thornton
Underwood Vance Varga Walsh Whitaker Xu Yilmaz Zeller""".split()
TOWNS = """Ashford Bexley Brightwater Calder Carrow Dunmore Eastbridge Ellery Fairhaven Glenmoor Greystone Halden
Harlan Ironwood Kestrel Lakemont Larkspur Millbrook Northgate Oakhurst Pemberton Quarry Redcliff Rivermouth Saltmarsh
Stillwater Thornbury Tamsin Westfield Whitby Willowdale Yarrow""".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
ROLES = ["spokeswoman", "spokesman", "director", "chief executive", "deputy mayor", "chair", "senior analyst",
         "president", "treasurer", "program manager", "commissioner", "lead researcher", "superintendent"]
GROUPS = ["residents", "parents", "small-business owners", "commuters", "retirees", "teachers", "nurses",
          "farmers", "students", "landlords", "tenants", "volunteers", "shift workers"]
PHOTOGRAPHERS = ["Jamie Ortiz", "Nadia Beck", "Rico Vance", "Lena Fischer", "Tom Reyes", "Mark Ostrowski"]
AGENCIES = ["Associated Wire", "The Meridian Herald", "Northshore Photo Service"]

TOPICS = {
    "business": {
        "orgs": ["Calder Steelworks", "Brightwater Foods", "Harlan Logistics", "Kestrel Airlines",
                 "Ironwood Bank", "Saltmarsh Energy", "Yarrow Textiles", "Northgate Pharmaceuticals"],
        "titles": ["{Org} to Add {num} Jobs at New {Town} Plant", "{Org} Reports {pct} Drop in Quarterly Profit",
                   "Workers at {Org} Vote to Authorize Strike", "{Org} Agrees to Buy Rival in {money} Deal",
                   "{Org} Raises Prices as Costs Climb"],
        "sentences": [
            "{Org} said its revenue rose to {money} in the three months ending in {month}, up from {money} a year earlier.",
            "Shares of {Org} fell {pct} in afternoon trading after the announcement.",
            "The company employs about {bignum} people, most of them in and around {Town}.",
            "Analysts at {org2} had expected a smaller decline and said the outlook for the rest of the year was uncertain.",
            "{Lead} told investors on a conference call that demand had picked up in recent weeks.",
            "The union representing {num} workers at the {Town} site said talks would resume on {weekday}.",
            "Under the agreement, {Org} would keep its headquarters in {Town} for at least {num2} years.",
            "The company has closed {num2} smaller facilities since {year} and moved the work to its largest plants.",
            "Suppliers in {Town} said they were waiting to see whether the new orders would last beyond the summer.",
            "The board approved a dividend of {cents} cents a share, payable next month.",
            "{Org} said higher prices for fuel and raw materials had cut its margins by about {pct}.",
            "Regulators must still approve the deal, a process the companies expect to finish by {month}.",
        ],
    },
    "nation": {
        "orgs": ["the state transportation department", "the county board of supervisors", "the regional water board",
                 "the state fire marshal's office", "the governor's office", "the state housing agency"],
        "titles": ["Lawmakers Pass {money} Plan to Repair Rural Bridges", "Wildfire Near {Town} Forces {num} to Evacuate",
                   "State Sues Landlords Over Unsafe Apartments in {Town}", "Flooding Closes Highways Across {Town} County",
                   "Audit Finds {money} in Unpaid Tolls"],
        "sentences": [
            "Officials from {Org} said the work would begin in {month} and take about {num2} months.",
            "The measure passed the state Senate {vote} after a debate that lasted much of the afternoon.",
            "About {bignum} {group} live in the affected area, according to census figures.",
            "{Lead} said the agency had received more than {num} complaints since {month}.",
            "Crews worked through the night on {weekday} to clear debris from roads near {Town}.",
            "The governor is expected to sign the bill before the end of the month, a spokesman said.",
            "Critics said the plan did not go far enough and would leave {group} in {Town} without help.",
            "A similar proposal failed in {year} after opposition from {group} and several county officials.",
            "Emergency shelters in {Town} and {Town2} took in about {num} people overnight.",
            "The report recommended that {Org} hire {num2} more inspectors and publish its findings online.",
            "No injuries were reported, but {num2} homes were damaged, fire officials said.",
            "Federal officials said they would review the state's request for disaster aid next week.",
        ],
    },
    "local": {
        "orgs": ["the city council", "the school board", "the planning commission", "the parks department",
                 "the public library", "the housing authority"],
        "titles": ["{Town} Council Approves New Budget After Long Debate", "School Board Weighs Later Start Times",
                   "Neighbors Fight Plan for Apartments on Former Mill Site", "{Town} Opens Renovated Community Pool",
                   "Library Extends Weekend Hours in {Town}"],
        "sentences": [
            "Members of {Org} voted {vote} on {weekday} night after more than {num2} hours of public comment.",
            "The budget of {money} includes raises for police officers and {num2} new positions in the parks department.",
            "{Lead}, who has lived on the street for {num2} years, said traffic was already a problem.",
            "The developer has proposed {num} apartments, {pct} of which would be rented below market rates.",
            "Parents at the meeting were divided, with some saying a later start would disrupt work schedules.",
            "The pool, built in {year}, had been closed for two summers while crews replaced its pumps and deck.",
            "Residents can comment on the plan online until {month} {day}.",
            "{Org} will hold a second hearing on the proposal at the {Town} community center.",
            "Property taxes for a typical home in {Town} would rise by about {cents} dollars a year.",
            "The library said weekend visits had grown by {pct} since it began lending laptops and hotspots.",
            "City staff said the change would cost about {money} a year, paid from the general fund.",
            "Several speakers urged {Org} to delay the vote until a traffic study was finished.",
        ],
    },
    "technology": {
        "orgs": ["Lakemont Labs", "Quarry Systems", "Pemberton Data", "Redcliff Robotics", "Willowdale Software",
                 "Oakhurst Networks"],
        "titles": ["{Org} Raises {money} to Expand Its Delivery Robots", "Data Breach at {Org} Exposes {bignum} Accounts",
                   "{Org} Unveils App to Help {Group} Find Child Care", "Outage at {Org} Leaves Customers Offline for Hours",
                   "{Town} Startup {Org} Hires {num} Engineers"],
        "sentences": [
            "{Org} said the funding round was led by {org2} and would be used to hire engineers and open an office in {Town}.",
            "The company said an unauthorized party had gained access to names, email addresses and phone numbers.",
            "Passwords and payment information were not affected, according to a notice sent to customers on {weekday}.",
            "{Lead}, the company's {role}, said the app had been tested with about {num} families over the past year.",
            "Security researchers said the attackers appeared to have used credentials stolen from a contractor.",
            "The outage began shortly after {num2} a.m. and lasted roughly {num2} hours, the company said.",
            "{Org} was founded in {year} by two former university researchers and now has {num} employees.",
            "Customers complained on social media that they could not reach support lines during the disruption.",
            "The software uses location data to match {group} with providers that have open spots nearby.",
            "State regulators said they were looking into whether {Org} had notified customers quickly enough.",
            "The company plans to release a version for tablets and desktop computers by {month}.",
            "Investors have poured money into similar services, though several competitors shut down last year.",
        ],
    },
    "science": {
        "orgs": ["the Northshore Ocean Institute", "Glenmoor University", "the Eastbridge Observatory",
                 "the state geological survey", "the Rivermouth Medical Center"],
        "titles": ["Study Finds {Group} Sleep Less in Hotter Summers", "Researchers Map Ancient River Beneath {Town}",
                   "Telescope at {Org} Spots Rare Comet", "Clinical Trial at {Org} Shows Promise for Asthma Drug",
                   "Scientists Count Record Number of Seabird Nests"],
        "sentences": [
            "The study, published on {weekday} in a peer-reviewed journal, followed {bignum} participants for {num2} years.",
            "Researchers at {Org} used ground-penetrating radar to trace the buried channel for about {num2} miles.",
            "{Lead}, a {role} at {Org}, said the findings should be confirmed with larger groups.",
            "The team counted {num} nests on the island this spring, up from {num} a decade ago.",
            "Participants who received the drug had {pct} fewer severe attacks than those given a placebo.",
            "The comet will be visible with binoculars in the northern sky through early {month}, astronomers said.",
            "Funding for the project came from a {money} federal grant awarded in {year}.",
            "Other scientists cautioned that the results could reflect differences in diet or income.",
            "The data will be made available to other researchers once the analysis is complete.",
            "Volunteers from {Town} helped collect samples along the shoreline over {num2} weekends.",
            "The researchers plan to repeat the survey next year using drones to reach steeper cliffs.",
            "Similar patterns have been reported in at least {num2} other countries, the authors noted.",
        ],
    },
    "culture": {
        "orgs": ["the Ellery Arts Festival", "the Whitby Symphony", "the Fairhaven Playhouse", "the Calder Museum of Art",
                 "the Greystone Film Society"],
        "titles": ["{Org} Marks {num2} Years With Free Concert", "Museum Show Brings Forgotten Painter Back Into View",
                   "Community Theater Stages Musical Written by {Town} Teens", "Film Festival in {Town} Draws Record Crowds",
                   "Historic Cinema Reopens After Restoration"],
        "sentences": [
            "The exhibition brings together {num} works, many of them borrowed from private collections.",
            "{Lead}, the {role} of {Org}, said ticket sales were the strongest since {year}.",
            "The musical follows a group of {group} who try to save a boarded-up movie theater.",
            "Organizers expect about {bignum} visitors over the festival's {num2} days.",
            "The building's original marquee, removed in {year}, was rebuilt using old photographs.",
            "Admission is free for children under 12, and tickets for adults cost {cents} dollars.",
            "Critics praised the staging, though some said the second act ran long.",
            "The orchestra will perform works by three composers who grew up in {Town}.",
            "Volunteers spent {num2} months painting sets and sewing costumes in a borrowed warehouse.",
            "The film society screened {num} movies this year, including {num2} made by local directors.",
            "A catalog of the exhibition, with essays by {Lead}, is available in the museum shop.",
            "The theater's owners raised {money} from donors and a state preservation grant.",
        ],
    },
    "sports": {
        "orgs": ["the Carrow Mariners", "the Rivermouth Rapids", "Glenmoor University", "the Ashford Athletic Club",
                 "the Northgate Foxes"],
        "titles": ["{Org} Rally Late to Win Season Opener", "City Weighs {money} Deal for New Stadium",
                   "{Town} Runner Sets State Record in the 1,500 Meters", "{Org} Fire Coach After Losing Streak",
                   "Youth League Adds Girls' Teams as Sign-Ups Soar"],
        "sentences": [
            "{Lead} scored twice in the final {num2} minutes to lift {Org} to a {score} victory.",
            "The crowd of {bignum} was the largest for a season opener since {year}.",
            "The proposed stadium would seat about {bignum} and include a public plaza and parking garage.",
            "Her time broke a state record that had stood for {num2} years.",
            "{Org} have lost {num2} straight games and sit last in the standings.",
            "Team officials said a search for a new coach would begin immediately.",
            "The league said sign-ups rose {pct} this spring, with most of the growth among girls under 12.",
            "Opponents of the stadium plan said the city should not take on debt for a private team.",
            "The next home game is scheduled for {weekday} at {num2} p.m.",
            "{Lead}, the team's {role}, praised the players for staying patient after falling behind early.",
            "The field will be resurfaced during the off-season at a cost of {money}.",
            "Scouts from several colleges attended the meet, according to coaches.",
        ],
    },
}
GENERIC = [
    "{Person}, a {role} for {org2}, said the decision was expected but still disappointing.",
    "\u201cWe have been asking for this for a long time,\u201d said {Person}, who lives in {Town2}.",
    "\u201cNobody wants to see this happen, but we have to be realistic about the numbers,\u201d {Lead} said.",
    "The {group} who spoke to the Herald were divided over what should happen next.",
    "A public meeting on the issue is scheduled for {weekday}, {month} {day}, at {num2} p.m.",
    "{Person} said she had followed the debate closely and planned to attend the next hearing.",
    "It was not immediately clear how the change would affect {group} in {Town2}.",
    "The figures have not been independently verified.",
    "Officials in {Town2} said they were watching the situation closely.",
    "\u201cThis has been building for years,\u201d said {Person}, a {role} in {Town2}.",
    "A spokesperson for {org2} declined to comment on {weekday}.",
    "{Lead} did not respond to a request for comment.",
    "The issue first drew attention in {year}, when {group} in {Town2} complained to state officials.",
    "Some {group} said they learned of the plan only from neighbors and social media.",
    "Others said they welcomed the news and hoped it would bring more visitors to {Town}.",
    "The decision can be appealed within {num2} days.",
    "A final report is due in {month}.",
    "{Person}, who has worked in {Town2} for {num2} years, said she had never seen anything like it.",
    "\u201cWe will keep pushing until we get answers,\u201d {Person} said.",
    "The Herald reviewed documents showing that the cost had grown by {pct} since the project was first proposed.",
    "About {num} people attended the meeting, many of them holding handmade signs.",
    "Last year, a similar effort in {Town2} cost {money} and took nearly {num2} years to finish.",
    "The change takes effect on {month} {day}.",
    "{Person}, an economist at Glenmoor University, said the effects would take time to show up in the data.",
    "Records obtained by the Herald show that {org2} raised similar concerns as early as {year}.",
    "The proposal drew {num} written comments, most of them from {group} in {Town} and {Town2}.",
    "\u201cI understand why people are frustrated,\u201d {Lead} said in an interview on {weekday}. \u201cI am too.\u201d",
    "Attendance at the {weekday} session was so high that organizers moved it to a larger room.",
    "{Person}, who runs a hardware store in {Town}, said business had slowed noticeably since spring.",
    "State figures show the number of {group} in the county has grown by {pct} over the past decade.",
    "The plan will be reviewed again in {month}, when updated cost estimates are expected.",
    "Neither side has said publicly what it would accept as a compromise.",
    "\u201cThe details matter, and we have not seen them yet,\u201d said {Person}, a {role} with {org2}.",
    "By {weekday} afternoon, a petition opposing the change had gathered more than {num} signatures.",
    "A similar dispute in {Town2} was settled out of court in {year}.",
    "{Lead} first raised the idea at a community forum in {month}.",
    "The {group} interviewed for this article asked that their full names not be used.",
    "Questions about the timeline remained unanswered at the end of the meeting.",
    "The agency said it would post updates on its website as more information became available.",
    "Budget documents show {money} has been set aside for the work over the next {num2} years.",
    "Turnout for the last election in {Town} was about {pct}, well below the state average.",
    "{Person}, a retired engineer, said he had written to officials three times without a reply.",
    "Several {group} said they planned to attend the next meeting to make their views known.",
    "The Herald will continue to follow the story as it develops.",
]
PREFIXES = ["Separately, ", "In {Town2}, ", "As of {weekday}, ", "Earlier, ", "By some estimates, ",
            "According to {org2}, ", "Meanwhile, "]


ALL_ORGS = [o for spec in TOPICS.values() for o in spec["orgs"]]


def _money(r: random.Random) -> str:
    return f"${r.randint(2, 480)} million" if r.random() < 0.7 else f"${r.randint(2, 9)}.{r.randint(1, 9)} billion"


_SLOTS = {
    "Org": lambda w, r: w.org, "org2": lambda w, r: r.choice(ALL_ORGS),
    "Town": lambda w, r: w.town, "Town2": lambda w, r: w.town2, "Lead": lambda w, r: w.lead,
    "Person": lambda w, r: w.person(), "role": lambda w, r: r.choice(ROLES), "group": lambda w, r: w.group,
    "Group": lambda w, r: w.group.capitalize(),
    "num": lambda w, r: str(r.randint(12, 950)), "num2": lambda w, r: str(r.randint(2, 11)),
    "bignum": lambda w, r: f"{r.randint(1, 95) * 1000 + r.randint(0, 9) * 100:,}",
    "pct": lambda w, r: f"{r.randint(2, 48)} percent", "cents": lambda w, r: str(r.randint(8, 95)),
    "money": lambda w, r: _money(r),
    "weekday": lambda w, r: r.choice(WEEKDAYS), "month": lambda w, r: r.choice(MONTHS),
    "day": lambda w, r: str(r.randint(1, 28)), "year": lambda w, r: str(r.randint(1978, 2022)),
    "vote": lambda w, r: f"{r.randint(5, 30)} to {r.randint(0, 4)}",
    "score": lambda w, r: f"{r.randint(2, 5)}-{r.randint(0, 1)}",
}
_SLOT_RE = re.compile(r"\{(\w+)\}")


class _Writer:
    """Fills sentence templates for one article, keeping its main names consistent."""

    def __init__(self, rng: random.Random, topic: str):
        self.rng, self.topic = rng, topic
        spec = TOPICS[topic]
        self.org = rng.choice(spec["orgs"])
        self.town, self.town2 = rng.sample(TOWNS, 2)
        self.lead = self.person()
        self.group = rng.choice(GROUPS)
        self.deck: list[str] = []
        self.rounds = 0

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def slot(self, name: str) -> str:
        return _SLOTS[name](self, self.rng)

    def fill(self, template: str) -> str:
        text = _SLOT_RE.sub(lambda m: self.slot(m.group(1)), template)
        return text[0].upper() + text[1:]

    def title(self) -> str:
        return self.fill(self.rng.choice(TOPICS[self.topic]["titles"])).replace(" the ", " The ")

    def sentence(self) -> str:
        """Each template once per article; only a very long body reuses one, behind a prefix."""
        if not self.deck:
            topical = list(TOPICS[self.topic]["sentences"])
            self.rng.shuffle(topical)
            self.deck = topical[1:] + GENERIC
            self.rng.shuffle(self.deck)
            self.deck.append(topical[0])          # the lead is always on topic
            self.rounds += 1
        template = self.deck.pop()
        if self.rounds > 1:
            template = self.rng.choice(PREFIXES) + template[0].lower() + template[1:]
        return self.fill(template)

    def body(self, words: int) -> list[str]:
        paragraphs, count = [], 0
        while count < words:
            paragraph = " ".join(self.sentence() for _ in range(self.rng.choice((1, 2, 2, 3))))
            paragraphs.append(paragraph)
            count += len(paragraph.split())
        return paragraphs


def generate(n: int, seed: int = 1) -> tuple[list[Article], list[dict]]:
    rng = random.Random(seed)
    topics = list(TOPICS)
    articles: list[Article] = []
    groups: list[dict] = []
    originals: list[Article] = []
    start = utc(2024, 1, 1)
    for i in range(n):
        published = start + timedelta(minutes=rng.randint(0, 366 * 24 * 60 - 1))
        if originals and i >= 10 and rng.random() < DUPLICATE_RATE:
            source = rng.choice(originals)
            kind = "exact" if rng.random() < 0.5 else "near"
            copy = _copy_of(source, kind, i, rng)
            articles.append(copy)
            groups.append({"kind": kind, "members": [source.path, copy.path]})
            continue
        topic = topics[i % len(topics)]
        w = _Writer(rng, topic)
        title = w.title()
        slug = f"{slugify(title)[:70].rstrip('-')}-{i + 1}"
        section = topic
        captions = [Caption(w.fill("{Lead} speaks with reporters in {Town} on {weekday}."),
                            f"{rng.choice(PHOTOGRAPHERS)}/{rng.choice(AGENCIES)}",
                            f"/media/{published:%Y/%m}/{slug}-1.png", alt=w.lead)]
        if rng.random() < 0.5:
            captions.append(Caption(w.fill("{Group} gather outside a meeting in {Town2} earlier this year."),
                                    f"{rng.choice(PHOTOGRAPHERS)}/{rng.choice(AGENCIES)}",
                                    f"/media/{published:%Y/%m}/{slug}-2.png"))
        article = Article(
            slug=slug, path=f"/{section}/{published:%Y/%m/%d}/{slug}", style="synthetic", section=section,
            title=title, paragraphs=w.body(rng.randint(400, 1200)), captions=captions,
            authors=[w.person()] + ([w.person()] if rng.random() < 0.2 else []),
            published=published, modified=published + timedelta(minutes=rng.randint(0, 600)),
            tags=[w.town, SECTIONS[section][0]], in_feed=False, synthetic=True,
            page_bytes=rng.randint(50_000, 150_000),
        )
        articles.append(article)
        originals.append(article)
    return articles, groups


def _copy_of(source: Article, kind: str, i: int, rng: random.Random) -> Article:
    paragraphs = list(source.paragraphs)
    title = source.title
    if kind == "near":
        w = _Writer(rng, source.section)
        k = rng.randrange(len(paragraphs))
        sentences = re.split(r"(?<=[.\u201d])\s+(?=[A-Z\u201c])", paragraphs[k])
        sentences[rng.randrange(len(sentences))] = w.sentence()
        paragraphs[k] = " ".join(sentences)
        title = f"{source.title}, Officials Say" if rng.random() < 0.5 else f"Update: {source.title}"
    slug = f"{source.slug}-r{i + 1}"
    copy = Article(
        slug=slug, path=f"/{source.section}/{source.published:%Y/%m/%d}/{slug}", style="synthetic",
        section=source.section, title=title, paragraphs=paragraphs, captions=list(source.captions),
        authors=list(source.authors), published=source.published + timedelta(hours=rng.randint(1, 30)),
        tags=list(source.tags), in_feed=False, synthetic=True, page_bytes=source.page_bytes,
    )
    return copy


# --- page rendering: heavy chrome like a real news site ------------------------------------

SUBSECTIONS = """Politics Economy Markets Health Education Environment Courts Crime Transportation Housing Weather
Obituaries Opinion Letters Editorials Food Travel Books Music Film Television Theater Style Real-Estate Autos
Puzzles Podcasts Video Photography Investigations Data Climate Energy Agriculture""".split()


@lru_cache(maxsize=1)
def _static_chrome() -> dict:
    rng = random.Random(7)
    css = "\n".join(
        f".c-{i:03d}{{margin:{rng.randint(0, 32)}px {rng.randint(0, 32)}px;padding:{rng.randint(0, 24)}px;"
        f"font-size:{rng.randint(11, 28)}px;line-height:{rng.randint(110, 180) / 100};color:#{rng.randint(0, 0xFFFFFF):06x};"
        f"display:{rng.choice(['block', 'flex', 'grid', 'inline-block'])}}}" for i in range(100))
    mega = "\n".join(
        f'  <div class="mega-col"><a class="mega-head" href="/{s}/">{name}</a><ul>'
        + "".join(f'<li><a href="/{s}/#{sub.lower()}">{sub.replace("-", " ")}</a></li>' for sub in SUBSECTIONS)
        + "</ul></div>" for s, (name, _) in SECTIONS.items())
    footer = "\n".join(
        f'  <ul class="footer-col"><li class="footer-head">{name}</li>'
        + "".join(f'<li><a href="/{s}/#{sub.lower()}-more">{sub.replace("-", " ")}</a></li>' for sub in SUBSECTIONS[:20])
        + "</ul>" for s, (name, _) in SECTIONS.items())
    head = ("window.googletag=window.googletag||{cmd:[]};googletag.cmd.push(function(){"
            + "".join(f"googletag.defineSlot('/0000/herald/{s}/{k}',[[300,250],[728,90]],'ad-{s}-{k}')"
                      ".addService(googletag.pubads());" for s in SECTIONS for k in ("top", "mid", "rail"))
            + "googletag.enableServices();});\n"
            "!function(e,t,n){var a=t.createElement(n);a.async=1;a.src='https://www.googletagmanager.com/gtm.js?id=GTM-DEMO';"
            "var m=t.getElementsByTagName(n)[0];m.parentNode.insertBefore(a,m)}(window,document,'script');")
    tail = ("(function(){var d=document,s=d.createElement('script');s.src='/assets/js/app.bundle.js?v=8f3a1c';"
            "s.defer=true;d.body.appendChild(s);})();\n"
            + "".join(f"window.__experiments=window.__experiments||{{}};window.__experiments['exp_{i}']="
                      f"{rng.choice(['true', 'false'])};\n" for i in range(60)))
    return {"critical_css": css, "mega_menu": mega, "footer_sitemap": footer, "head_scripts": head,
            "tail_scripts": tail}


def render_synthetic(renderer: Renderer, a: Article) -> str:
    cat = renderer.catalog
    v = renderer.article_values(a)
    v.update(_static_chrome())
    figures = []
    for cap in a.captions:
        figures.append(f'  <figure class="story__figure"><img src="{cap.image}" alt="{esc(cap.alt)}" width="1200" '
                       f'height="800" loading="lazy"><figcaption><span class="story__caption">{esc(cap.text)}</span> '
                       f'<span class="story__credit">{esc(cap.credit or "")}</span></figcaption></figure>')
    body = paragraphs_html(a.paragraphs, ' class="story__para"', "    ")
    if len(figures) > 1:
        body.insert(min(3, len(body)), figures.pop())
    section_pool = cat.by_section.get(a.section, [])
    most_read = "".join(f'<li><a href="{esc(x.path)}">{esc(x.title)}</a></li>' for x in cat.related(a, 8)[3:])
    v.update(
        jsonld=jsonld(renderer.news_article_ld(a)), figures="\n".join(figures), body="\n".join(body),
        story_id=str(cat.numeric_id(a)),
        byline_links=", ".join(f'<a rel="author" href="/author/{slugify(n)}/">{esc(n)}</a>' for n in a.authors),
        tag_links="".join(f'<li><a href="/tag/{slugify(t)}/">{esc(t)}</a></li>' for t in a.tags),
        ticker=" &bull; ".join(esc(x.title) for x in cat.hand_linked[:4]),
        most_read=f'<section class="most-read"><h3>Most read</h3><ol>{most_read}</ol></section>',
        state="{}",
    )
    page = fill("synthetic.html", **v)
    return page.replace('type="application/json">{}</script>',
                        f'type="application/json">{_state(a, section_pool, len(page))}</script>', 1)


def _state(a: Article, pool: list[Article], size_so_far: int) -> str:
    """The preloaded-state blob (recommendations, config) that pads the page to `a.page_bytes`."""
    rng = random.Random(a.slug)
    head = json.dumps({"page": {"id": a.slug, "type": "article", "section": a.section, "published": iso(a.published)},
                       "config": {"paywall": {"meter": 5, "enabled": True}, "ads": {"lazy": True, "refresh": 30}}})
    budget = a.page_bytes - size_so_far - len(head) - 30
    entries, used = [], 0
    while pool and used < budget:
        x = pool[rng.randrange(len(pool))]
        entry = json.dumps({"id": f"{rng.getrandbits(64):016x}", "headline": x.title, "url": x.path,
                            "image": {"url": x.top_image, "width": 640, "height": 360},
                            "score": round(rng.random(), 4), "blurb": x.paragraphs[0][:160]}, ensure_ascii=False)
        entries.append(entry)
        used += len(entry) + 1
    return (head[:-1] + ', "recommendations": [' + ",".join(entries) + "]}").replace("</", "<\\/")
