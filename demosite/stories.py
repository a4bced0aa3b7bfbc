"""The hand-written articles of the demo site (the fixture stories tests assert on).

The two Asharq-style stories reuse the seed text copied into data/seed_articles.json (see
README.md for provenance); every other story is original prose about fictional places.
"""

from __future__ import annotations

import json
from pathlib import Path

from .content import Article, Caption, utc

_SEEDS = json.loads((Path(__file__).parent / "data" / "seed_articles.json").read_text(encoding="utf-8"))

# --- the two seed stories (Asharq Al-Awsat layout) ----------------------------------------

LUKASHENKO = Article(
    slug="belarus-leader-lukashenko-arrives-in-beijing-for-talks",
    path="/world/2023/02/28/belarus-leader-lukashenko-arrives-in-beijing-for-talks",
    style="asharq", section="world",
    title=_SEEDS[0]["title"],
    paragraphs=_SEEDS[0]["paragraphs"],
    captions=[Caption(_SEEDS[0]["caption"], _SEEDS[0]["credit"], "/media/2023/02/lukashenko-beijing.png",
                      alt="Alexander Lukashenko at Beijing airport")],
    authors=["Agence France-Presse"],
    published=utc(2023, 2, 28, 9, 40), modified=utc(2023, 2, 28, 10, 5),
    tags=["Belarus", "China", "Alexander Lukashenko", "Xi Jinping"],
    description="Belarusian President Alexander Lukashenko arrived in Beijing on Tuesday for a three-day "
                "state visit and talks with Chinese President Xi Jinping.",
    exact_text=True,
)

TALIBAN = Article(
    slug="russia-becomes-first-country-to-formally-recognize-talibans-latest-rule-in-afghanistan",
    path="/world/2025/07/03/russia-becomes-first-country-to-formally-recognize-talibans-latest-rule-in-afghanistan",
    style="asharq", section="world",
    title=_SEEDS[1]["title"],
    paragraphs=_SEEDS[1]["paragraphs"],
    captions=[Caption(_SEEDS[1]["caption"], _SEEDS[1]["credit"], "/media/2025/07/lavrov-muttaqi.png",
                      alt="Sergei Lavrov and Amir Khan Muttaqi in Moscow")],
    authors=["Associated Press"],
    published=utc(2025, 7, 3, 17, 55), modified=utc(2025, 7, 3, 18, 20),
    tags=["Russia", "Afghanistan", "Taliban", "Diplomacy"],
    description="Russia on Thursday became the first country to formally recognize the Taliban's government "
                "in Afghanistan.",
    exact_text=True,
)

# --- WordPress: harbor dredging (and its exact republication under a -2 slug) ---------------

_HARBOR_PARAGRAPHS = [
    "The Carrow Harbor Authority voted 6-1 on Tuesday to spend $42 million deepening the port's main shipping "
    "channel, a project officials say is needed to keep the city competitive as larger container vessels become "
    "the norm on coastal routes.",
    "The plan calls for dredging roughly 3.2 miles of the channel from its current depth of 38 feet to 45 feet, "
    "work that would begin next spring and take about two years to complete. About two-thirds of the cost will be "
    "covered by a federal grant awarded last fall, with the remainder coming from port revenue bonds.",
    "\u201cShips are not getting any smaller,\u201d board chair Leonard Osei said after the vote. \u201cIf we want "
    "the jobs that come with those ships, we have to be able to bring them in fully loaded.\u201d",
    "Port figures show that nearly a quarter of the vessels calling at Carrow last year had to wait for high tide "
    "or sail with lighter loads because of the channel's depth, adding costs that shipping lines have increasingly "
    "passed on to local importers.",
    "The lone vote against the plan came from board member Ruth Abernathy, who said she supported the project in "
    "principle but wanted a more detailed study of where the dredged sediment would be dumped. Environmental groups "
    "have warned that disposal sites near the mouth of the Tamsin River could harm oyster beds that support a small "
    "commercial fishery.",
    "Port staff said the sediment would be tested before disposal and that the authority had set aside $3 million "
    "for habitat restoration along the river's northern bank.",
    "Dockworkers who packed the meeting room applauded when the measure passed. Terrence Vail, president of the "
    "local longshore union, said the project would protect about 1,400 jobs tied directly to the port's container "
    "terminals.",
    "The authority must still obtain permits from state and federal regulators before work can begin. Officials "
    "said they expect a decision on those permits by the end of the year.",
]


def _harbor(slug, path):
    return Article(
        slug=slug, path=path, style="wordpress", section="business",
        title="Harbor Authority Approves $42 Million Plan to Deepen Carrow Shipping Channel",
        paragraphs=list(_HARBOR_PARAGRAPHS),
        captions=[Caption("A container ship is guided into the Port of Carrow by two tugboats on Monday.",
                          "Dana Whitfield/The Meridian Herald", "/media/2024/04/carrow-container-ship.png",
                          alt="Container ship and tugboats")],
        authors=["Dana Whitfield"],
        published=utc(2024, 4, 2, 21, 30), modified=utc(2024, 4, 2, 22, 15),
        tags=["Port of Carrow", "Shipping", "Infrastructure"],
        description="The board voted 6-1 to deepen the main channel so larger container ships can dock fully loaded.",
    )


HARBOR = _harbor("harbor-authority-approves-dredging-plan",
                 "/business/2024/04/02/harbor-authority-approves-dredging-plan")
HARBOR_COPY = _harbor("harbor-authority-approves-dredging-plan-2",
                      "/business/2024/04/02/harbor-authority-approves-dredging-plan-2")
HARBOR_COPY.in_feed = False

# --- Arc: grocery chain (served gzip-encoded) ----------------------------------------------

FENWICK = Article(
    slug="fenwick-markets-to-close-stores-cut-jobs",
    path="/business/2024/05/21/fenwick-markets-to-close-stores-cut-jobs",
    style="arc", section="business",
    title="Fenwick Markets to Close 11 Stores and Cut 300 Jobs as Shoppers Shift Online",
    paragraphs=[
        "Fenwick Markets, the regional grocery chain that has anchored neighborhood shopping strips across the "
        "northern counties for more than six decades, said Tuesday that it would close 11 of its 58 stores by the "
        "end of August and eliminate about 300 jobs.",
        "The company blamed a steady decline in foot traffic since 2020 and rising costs for rent and refrigeration. "
        "Online orders, which Fenwick began offering five years ago, now account for nearly a third of its sales, "
        "chief executive Marisol Grant said in a letter to employees.",
        "\u201cThis is not a decision we made lightly,\u201d Grant wrote. \u201cThe way our customers shop has "
        "changed, and our stores have to change with them.\u201d",
        "Most of the stores slated to close are smaller locations built in the 1970s and 1980s, several of them "
        "within a few miles of a larger Fenwick store. The company said it would offer affected workers positions at "
        "other stores or in its expanding delivery operation, and severance to those who decline.",
        "The United Food Workers local that represents about two-thirds of Fenwick employees said it had not been "
        "consulted before the announcement and would seek to bargain over the terms of the layoffs.",
        "Analysts said the closures reflect pressure across the grocery industry, where margins are thin and "
        "national chains have invested heavily in automated warehouses that can fill online orders more cheaply "
        "than staff picking items off store shelves.",
        "Residents in some of the affected neighborhoods worried that the closures would leave them without a "
        "grocery store within walking distance. \u201cI don't drive, and the bus to the next store takes 40 "
        "minutes,\u201d said Harold Kim, 74, who has shopped at the Elm Street location since it opened.",
        "Fenwick said it was in talks with local officials about leasing some of the vacated buildings to smaller "
        "independent grocers.",
    ],
    captions=[Caption("Shoppers leave the Fenwick Markets store on Elm Street, one of 11 locations the chain plans "
                      "to close by the end of August.", "Jamie Ortiz/The Meridian Herald",
                      "/media/2024/05/fenwick-elm-street.png", alt="Fenwick Markets storefront")],
    authors=["Priya Raman", "Owen Castillo"],
    published=utc(2024, 5, 21, 13, 0), modified=utc(2024, 5, 21, 16, 45),
    tags=["Retail", "Jobs", "Fenwick Markets"],
    description="The regional grocer blamed falling foot traffic and rising costs as online orders grow.",
)

# --- Drupal wire story and its near-duplicate republication in the Arc template -------------

_STORM_PARAGRAPHS = [
    "A fast-moving coastal storm knocked out power to about 80,000 homes and businesses along the northern shore on "
    "Saturday, toppling trees onto roads and flooding low-lying streets as wind gusts topped 70 miles per hour.",
    "Utility crews from three neighboring states worked through the night to restore service, and by Sunday "
    "morning the number of customers without electricity had fallen to about 31,000, according to North Shore "
    "Power and Light.",
    "The storm came ashore near Port Ellery shortly after noon, bringing more than four inches of rain in less than "
    "six hours. Emergency officials closed a 12-mile stretch of Route 9 after several large oaks fell across the "
    "highway, trapping a car whose driver escaped without serious injury.",
    "\u201cWe had warning, but not a lot of it,\u201d said Carla Mendes, the county's emergency management director. "
    "\u201cThe forecast on Friday was for a strong system, and it strengthened faster than anyone expected.\u201d",
    "No deaths were reported. Two people were treated for carbon monoxide poisoning after running a generator "
    "inside their garage in the town of Bexley, fire officials said. Both were expected to recover.",
    "In Port Ellery, water from the harbor spilled over the sea wall during the afternoon high tide and filled "
    "the first floors of several shops on Front Street. Owners spent Sunday hauling soaked inventory to the curb.",
    "\u201cThis is the third time in four years,\u201d said Gina Alvarez, who runs a bookshop two blocks from the "
    "water. \u201cEvery time, the water comes a little higher.\u201d",
    "The county opened four emergency shelters on Saturday evening, and about 200 people spent the night in them. "
    "Officials said two shelters would remain open on Sunday for residents whose homes were still without heat.",
    "School districts in Port Ellery and Bexley said classes would be canceled on Monday because of damage to "
    "buildings and the number of roads still blocked by debris.",
    "North Shore Power and Light said it expected to restore power to most remaining customers by Monday night, "
    "but warned that some homes in heavily wooded areas could be without electricity until midweek. The utility "
    "urged residents to stay away from downed lines and to report them by phone rather than approach them.",
    "Forecasters said the storm was moving offshore on Sunday and that calmer, colder weather would follow for "
    "much of the week.",
]

STORM = Article(
    slug="coastal-storm-leaves-80000-without-power",
    path="/nation/2024/10/19/coastal-storm-leaves-80000-without-power",
    style="drupal", section="nation",
    title="Coastal Storm Leaves 80,000 Without Power as Crews Work Through the Night",
    paragraphs=_STORM_PARAGRAPHS,
    captions=[Caption("Utility workers repair a downed power line along Route 9 near Port Ellery on Saturday.",
                      "Mark Ostrowski/Associated Wire", "/media/2024/10/route-9-power-line.png",
                      alt="Utility workers on a bucket truck")],
    authors=["Hannah Greer"],
    published=utc(2024, 10, 19, 6, 45), modified=utc(2024, 10, 20, 8, 10),
    tags=["Weather", "Storms", "Port Ellery"],
    description="Wind gusts topped 70 mph as the storm toppled trees and flooded streets along the northern shore.",
)


def _edited_storm():
    """The same wire copy as republished by a partner desk: new headline, two sentences touched."""
    paragraphs = list(_STORM_PARAGRAPHS)
    paragraphs[0] = paragraphs[0].replace("about 80,000 homes and businesses along the northern shore on Saturday",
                                          "more than 80,000 homes and businesses along the northern shore late "
                                          "Saturday")
    paragraphs[8] = ("School districts in Port Ellery and Bexley canceled Monday classes, citing damage to "
                     "buildings and the number of roads still blocked by debris.")
    return paragraphs


STORM_REPUBLISHED = Article(
    slug="tens-of-thousands-without-power-after-coastal-storm",
    path="/nation/2024/10/19/tens-of-thousands-without-power-after-coastal-storm",
    style="arc", section="nation",
    title="Tens of Thousands in the Dark After Storm Batters Northern Shore",
    paragraphs=_edited_storm(),
    captions=[Caption("Utility workers repair a downed power line along Route 9 near Port Ellery on Saturday.",
                      "Mark Ostrowski/Associated Wire", "/media/2024/10/route-9-power-line.png",
                      alt="Utility workers on a bucket truck")],
    authors=["Hannah Greer"],
    published=utc(2024, 10, 19, 9, 10), modified=utc(2024, 10, 19, 9, 10),
    tags=["Weather", "Storms"],
    description="Crews from three states worked overnight after wind gusts topped 70 mph.",
    in_feed=False,
)

# --- AMP pair (Drupal page with rel=amphtml, AMP twin at .../amp) ---------------------------

TRANSIT_APP = Article(
    slug="transit-app-shows-bus-arrivals-in-real-time",
    path="/technology/2024/05/14/transit-app-shows-bus-arrivals-in-real-time",
    style="drupal", section="technology",
    title="Transit Agency\u2019s New App Shows Bus Arrivals in Real Time",
    paragraphs=[
        "Riders of the Carrow Regional Transit system can now see exactly where their bus is, after the agency "
        "released a smartphone app on Tuesday that tracks all 240 of its buses using GPS units installed last year.",
        "The app shows each bus as a moving dot on a map and estimates arrival times at every stop, updating every "
        "15 seconds. It also lets riders buy and store tickets, replacing the paper passes that the agency plans to "
        "phase out by next summer.",
        "\u201cThe number one complaint we get is, \u2018Where is my bus?\u2019\u201d said Denise Harlow, the "
        "agency's director of customer experience. \u201cNow people can answer that question themselves before they "
        "walk out the door.\u201d",
        "The project cost $2.1 million, most of it for the tracking hardware, and was paid for with a state grant "
        "for transit modernization. The software was built by a contractor that has developed similar systems for "
        "two other mid-sized cities.",
        "Early reviews were mixed. Several riders praised the map, while others said arrival estimates for routes "
        "that cross the Tamsin River bridge, where traffic often backs up, were off by as much as ten minutes.",
        "Harlow said the predictions would improve as the system collected more data about traffic patterns. The "
        "agency also plans to add real-time information to the electronic signs at its 30 busiest stops.",
    ],
    captions=[Caption("A rider checks the new Carrow Regional Transit app while waiting at the Harbor Street stop.",
                      "Nadia Beck/The Meridian Herald", "/media/2024/05/transit-app-rider.png",
                      alt="Rider with phone at bus stop")],
    authors=["Tobias Wren"],
    published=utc(2024, 5, 14, 15, 0), modified=utc(2024, 5, 14, 15, 40),
    tags=["Transit", "Apps", "Carrow"],
    description="All 240 buses now appear on a live map, with arrival estimates updated every 15 seconds.",
)

# --- static blog: plain markup, no JSON-LD, date only in the URL; reachable only by links ----

NIGHT_DESK = Article(
    slug="notes-from-the-night-desk",
    path="/blog/2024/03/09/notes-from-the-night-desk.html",
    style="static", section="blog",
    title="Notes From the Night Desk: What Happens After the Presses Stop",
    paragraphs=[
        "People sometimes ask what the night desk does once the last edition has gone to the printer. The honest "
        "answer is that we start worrying about the next one.",
        "Most nights the final pages close a little before midnight. After that, two editors and a reporter stay on "
        "until three, watching the police scanner, the wire services and our own inbox. If something happens in "
        "those hours, we put it online first and decide in the morning whether it belongs in print.",
        "The quiet hours are when mistakes get caught. A name spelled two different ways in the same story, a "
        "photo caption that describes the wrong person, a headline that promises more than the article delivers. "
        "We fix what we can and write a note for the day editors about anything we cannot.",
        "There is also a surprising amount of reading. Court filings, budget documents and meeting agendas arrive "
        "at all hours, and the night desk is often the first to notice that a routine-looking item on next week's "
        "council agenda is anything but routine.",
        "It is not glamorous work. But when readers wake up to a complete and accurate account of what happened "
        "while they slept, it is because someone was here to make sure of it.",
    ],
    authors=["Ada Lindqvist"],
    published=utc(2024, 3, 9),
    in_sitemap=False, in_feed=False, exact_text=True,
)

# --- old newspaper CMS: table layout, "cutline" caption, served as windows-1252 -------------

BLUE_KETTLE = Article(
    slug="blue-kettle-cafe-marks-50-years",
    path="/local/story.php?id=1042",
    style="cutline", section="local",
    title="Blue Kettle Caf\u00e9 Marks 50 Years of Breakfast on Main Street",
    paragraphs=[
        "When Rosa Delgado\u2019s parents opened the Blue Kettle Caf\u00e9 in the spring of 1974, eggs cost 35 "
        "cents and the menu fit on a single chalkboard behind the counter.",
        "Fifty years later the chalkboard is still there \u2014 and so, most mornings, are many of the same "
        "customers. The caf\u00e9 will mark its anniversary Saturday with a pancake breakfast at 1974 prices, with "
        "proceeds going to the Millbrook volunteer fire company.",
        "\u201cSome of these people I\u2019ve known my whole life,\u201d said Delgado, 61, who took over the "
        "business from her mother in 1998. \u201cThey watched me do my homework in that back booth.\u201d",
        "The caf\u00e9 has survived two recessions, a kitchen fire in 1989 and the closing of the textile mill "
        "that once employed half the town. Delgado credits a simple formula: open at 5:30 every morning, keep "
        "prices fair and never take the corned beef hash off the menu.",
        "Regulars say the place is as much a meeting hall as a restaurant. Town business is debated at the long "
        "table by the window, and the bulletin board by the door carries notices for lost dogs, church suppers and "
        "firewood for sale.",
        "Delgado said she has no plans to retire. Her son, Mateo, now runs the grill on weekends. \u201cHe makes "
        "the hash better than I do,\u201d she said. \u201cDon\u2019t tell anyone.\u201d",
    ],
    captions=[Caption("Owner Rosa Delgado pours coffee for regulars at the Blue Kettle Caf\u00e9 on Thursday. The "
                      "Main Street diner opened in 1974.", "Tom Reyes/Staff", "/media/2024/04/blue-kettle.png",
                      alt="Rosa Delgado behind the counter")],
    authors=["Walt Pemberton"],
    published=utc(2024, 4, 12),
    tags=["Millbrook", "Small business", "Food"],
    description="Rosa Delgado's family diner celebrates its anniversary with a pancake breakfast at 1974 prices.",
    in_feed=False,
)

# --- lightbox + credit block; reachable only through the legacy redirect chain -----------------

WHALING_MUSEUM = Article(
    slug="restored-whaling-museum-reopens",
    path="/culture/2024/06/08/restored-whaling-museum-reopens",
    style="lightbox", section="culture",
    title="Restored Whaling Museum Reopens With Rare Ship Logbooks on Display",
    paragraphs=[
        "The Port Ellery Whaling Museum reopened on Saturday after a two-year, $9 million restoration that repaired "
        "its 1840s granite building and added a climate-controlled gallery for its collection of ship logbooks.",
        "The logbooks, more than 300 of them, record the daily life of whaling voyages that sometimes lasted four "
        "years. Many had been kept in the museum's basement, where curators said humidity had begun to damage the "
        "paper.",
        "\u201cThese are the voices of the people who actually sailed,\u201d said curator Elspeth Moreau. \u201cThey "
        "wrote down the weather, the work, the arguments, the boredom. You can't get closer to that world than "
        "this.\u201d",
        "About a dozen logbooks are now on display at a time, opened to pages chosen by the curators and rotated "
        "every few months to limit exposure to light. Visitors can browse digitized copies of the full collection "
        "on touch screens in the gallery.",
        "The restoration was paid for by a mix of state historic preservation grants and private donations, "
        "including $2 million from descendants of a local whaling captain whose own logbook is among those on view.",
        "More than 1,500 people attended the reopening, which included a parade of restored rowing boats in the "
        "harbor. The museum is open Tuesday through Sunday.",
    ],
    captions=[
        Caption("Curator Elspeth Moreau turns a page of an 1851 logbook in the museum's new gallery.",
                "Lena Fischer", "/media/2024/06/whaling-logbook.png", alt="Curator with logbook"),
        Caption("Restored rowing boats parade past the museum during Saturday's reopening.",
                "Lena Fischer", "/media/2024/06/whaling-boats.png", alt="Rowing boats in the harbor"),
    ],
    authors=["Celia Marsh"],
    published=utc(2024, 6, 8, 14, 0), modified=utc(2024, 6, 9, 9, 30),
    tags=["Museums", "History", "Port Ellery"],
    description="A two-year restoration added a climate-controlled gallery for the museum's 300 logbooks.",
    linked=False, in_sitemap=False, in_feed=False, via_redirect=True,
)

# --- German-language story (served with Transfer-Encoding: chunked) ---------------------------

RADWEGE = Article(
    slug="stadtrat-beschliesst-ausbau-des-radwegenetzes",
    path="/world/2024/09/17/stadtrat-beschliesst-ausbau-des-radwegenetzes",
    style="wordpress", section="world", language="de",
    title="Stadtrat beschlie\u00dft Ausbau des Radwegenetzes bis 2028",
    paragraphs=[
        "Der Stadtrat von Lindenfeld hat am Dienstagabend mit breiter Mehrheit beschlossen, das Radwegenetz der "
        "Stadt bis 2028 um rund 45 Kilometer zu erweitern. F\u00fcr das Vorhaben sind insgesamt 18 Millionen Euro "
        "vorgesehen.",
        "Kern des Plans sind durchgehende, baulich getrennte Radwege entlang der vier gro\u00dfen Ausfallstra\u00dfen "
        "sowie eine neue Fahrradbr\u00fccke \u00fcber die Bahngleise im Norden der Stadt. Dort m\u00fcssen Radfahrer "
        "bislang einen Umweg von fast zwei Kilometern in Kauf nehmen.",
        "\u201eWer heute mit dem Rad zur Arbeit f\u00e4hrt, braucht Mut\u201c, sagte Oberb\u00fcrgermeisterin "
        "Katrin Vogel in der Sitzung. \u201eDas wollen wir \u00e4ndern.\u201c",
        "Kritik kam vor allem aus dem Einzelhandel. Der Gewerbeverein bef\u00fcrchtet, dass durch den Umbau der "
        "Hauptstra\u00dfe etwa 120 Parkpl\u00e4tze wegfallen. Die Stadtverwaltung verwies auf ein neues Parkhaus am "
        "Bahnhof, das im kommenden Jahr er\u00f6ffnet werden soll.",
        "Die ersten Bauarbeiten sollen im Fr\u00fchjahr beginnen. Etwa die H\u00e4lfte der Kosten will die Stadt "
        "\u00fcber F\u00f6rderprogramme des Landes finanzieren.",
    ],
    captions=[Caption("Radfahrer auf der Hauptstra\u00dfe in Lindenfeld, wo ein getrennter Radweg entstehen soll.",
                      "Jonas Albrecht", "/media/2024/09/lindenfeld-radweg.png", alt="Radfahrer auf der Hauptstra\u00dfe")],
    authors=["Miriam Keller"],
    published=utc(2024, 9, 17, 7, 30), modified=utc(2024, 9, 17, 9, 0),
    tags=["Verkehr", "Radverkehr", "Lindenfeld"],
    description="Bis 2028 sollen rund 45 Kilometer neue Radwege entstehen; der Einzelhandel bef\u00fcrchtet "
                "den Verlust von Parkpl\u00e4tzen.",
)

# --- two unrelated stories on the same topic (drought): must NOT be merged -------------------

DROUGHT_CATTLE = Article(
    slug="drought-forces-ranchers-to-sell-cattle-early",
    path="/nation/2024/08/06/drought-forces-ranchers-to-sell-cattle-early",
    style="arc", section="nation",
    title="Drought Forces Ranchers to Sell Cattle Early as Pastures Dry Up",
    paragraphs=[
        "Livestock auctions across the western plains have been running late into the evening this summer as "
        "ranchers, short on grass and hay, sell animals months ahead of schedule.",
        "At the sale barn in Harlan Creek, more than 4,000 head changed hands last Thursday, nearly double the "
        "usual number for early August. Many were young calves that would normally have grazed until October.",
        "\u201cYou sell them now or you buy feed you can't afford,\u201d said Del Haskins, who runs about 300 cows "
        "with his two brothers. He sold a third of his herd last month. \u201cEither way it hurts.\u201d",
        "Rainfall in the region has been less than half of normal since April, and the state agriculture department "
        "estimates that the first cutting of hay was down about 40 percent. Prices for the hay that is available "
        "have climbed to record levels.",
        "Economists say the early sales could push beef prices higher next year, because ranchers who shrink their "
        "herds now will have fewer calves to sell later. Rebuilding a herd can take several years.",
        "Some younger ranchers, carrying loans on land and equipment, said they were unsure they could hold on. The "
        "state extension service has scheduled a series of meetings on drought assistance programs and financial "
        "planning.",
    ],
    captions=[Caption("Cattle wait in pens before an auction at the Harlan Creek sale barn on Thursday.",
                      "Rico Vance/The Meridian Herald", "/media/2024/08/harlan-creek-auction.png",
                      alt="Cattle in pens")],
    authors=["Sam Okafor"],
    published=utc(2024, 8, 6, 12, 0), modified=utc(2024, 8, 6, 12, 0),
    tags=["Drought", "Agriculture"],
    description="Short on grass and hay, ranchers are selling calves months ahead of schedule.",
    in_feed=False,
)

DROUGHT_RESERVOIR = Article(
    slug="reservoir-levels-fall-to-record-low",
    path="/local/2024/08/09/reservoir-levels-fall-to-record-low",
    style="drupal", section="local",
    title="Reservoir Falls to Record Low, Prompting New Limits on Lawn Watering",
    paragraphs=[
        "The Stillwater Reservoir, which supplies drinking water to about 260,000 people in Carrow and its suburbs, "
        "has dropped to 38 percent of capacity, the lowest level since it was filled in 1961.",
        "The regional water board voted Friday to limit lawn and garden watering to two evenings a week starting "
        "Monday, and to ban washing cars at home. Violators will receive a warning, then fines starting at $100.",
        "\u201cWe are not in an emergency yet, and we want to keep it that way,\u201d said board president Alma "
        "Reyes. \u201cEvery gallon that goes on a lawn in August is a gallon we don't have in October.\u201d",
        "Engineers said the exposed shoreline has revealed the foundations of a farming village that was flooded "
        "when the reservoir was built, drawing sightseers to the water's edge. Officials have asked visitors to stay "
        "off the mudflats, which can be deeper than they look.",
        "The board is also speeding up repairs to leaking water mains, which account for an estimated 12 percent of "
        "the system's losses, and will offer rebates of up to $200 for residents who replace lawns with "
        "drought-tolerant plants.",
    ],
    captions=[Caption("Cracked mud lines the exposed shore of the Stillwater Reservoir on Friday.",
                      "Nadia Beck/The Meridian Herald", "/media/2024/08/stillwater-reservoir.png",
                      alt="Dry reservoir shoreline")],
    authors=["Jun Takahashi"],
    published=utc(2024, 8, 9, 16, 20), modified=utc(2024, 8, 9, 18, 0),
    tags=["Drought", "Water", "Carrow"],
    description="The water board limited lawn watering to two evenings a week and banned washing cars at home.",
)

# --- discovery-path probes: one story only in the sitemap, one only in the feeds ---------------

SHARKS = Article(
    slug="researchers-tag-sharks-off-ellery-point",
    path="/science/2024/07/22/researchers-tag-sharks-off-ellery-point",
    style="wordpress", section="science",
    title="Researchers Tag Sharks Off Ellery Point to Track Warming Waters",
    paragraphs=[
        "Marine biologists from the Northshore Ocean Institute spent last week tagging blue sharks off Ellery Point, "
        "part of a three-year study of how warming water is changing where the animals feed and breed.",
        "The team fitted 14 sharks with satellite tags that record depth and water temperature and report the "
        "animals' positions whenever they surface. The data will be posted publicly so that fishermen and students "
        "can follow the sharks' movements.",
        "\u201cWe know the water here is warmer than it was 30 years ago,\u201d said lead researcher Imogen Hale. "
        "\u201cWhat we don't know is what that means for the animals that live in it.\u201d",
        "Blue sharks are rarely dangerous to people and spend most of their lives far offshore. Hale said the study "
        "could help fishery managers reduce the number caught accidentally by boats targeting swordfish and tuna.",
    ],
    captions=[Caption("A researcher attaches a satellite tag to a blue shark off Ellery Point.",
                      "Northshore Ocean Institute", "/media/2024/07/blue-shark-tag.png", alt="Tagging a shark")],
    authors=["Celia Marsh"],
    published=utc(2024, 7, 22, 10, 0),
    tags=["Oceans", "Climate"],
    description="Fourteen blue sharks now carry satellite tags that report water temperature and depth.",
    linked=False, in_feed=False,
)

LIBRARY_HOTSPOTS = Article(
    slug="library-begins-lending-wifi-hotspots",
    path="/technology/2024/11/04/library-begins-lending-wifi-hotspots",
    style="arc", section="technology",
    title="Carrow Library Begins Lending Wi-Fi Hotspots to Residents",
    paragraphs=[
        "The Carrow Public Library began lending portable Wi-Fi hotspots on Monday, letting card holders take home "
        "internet access the same way they check out books.",
        "The library bought 150 of the devices with a federal digital equity grant. Each can be borrowed for three "
        "weeks and comes with unlimited data. By midafternoon on the first day, all of them had been checked out "
        "and more than 200 people had joined a waiting list.",
        "Library director Fiona Caldwell said a survey last year found that about one in eight households in the "
        "city had no home internet service, a figure that rose to nearly one in four in some neighborhoods.",
        "\u201cPeople need the internet to apply for jobs, see a doctor, do homework,\u201d Caldwell said. \u201cA "
        "library card should not stop at the front door.\u201d",
    ],
    captions=[Caption("A librarian checks out a Wi-Fi hotspot at the Carrow Public Library's main branch.",
                      "Jamie Ortiz/The Meridian Herald", "/media/2024/11/library-hotspot.png",
                      alt="Librarian with hotspot device")],
    authors=["Tobias Wren"],
    published=utc(2024, 11, 4, 11, 0),
    tags=["Libraries", "Internet access"],
    description="All 150 devices were checked out on the first day, with 200 people on a waiting list.",
    linked=False, in_sitemap=False,
)

# --- behind robots.txt: linked from pages, listed in the sitemap, never to be fetched ---------

EMBARGOED = Article(
    slug="draft-quarterly-earnings-preview",
    path="/private/2024/06/03/draft-quarterly-earnings-preview",
    style="drupal", section="business",
    title="DRAFT: Port Revenue Expected to Rise in Second Quarter",
    paragraphs=[
        "EMBARGOED DRAFT. Revenue at the Port of Carrow is expected to rise about 6 percent in the second quarter, "
        "according to preliminary figures shared with board members.",
        "The figures are not final and may change before the authority publishes its quarterly report.",
    ],
    authors=["Dana Whitfield"],
    published=utc(2024, 6, 3, 12, 0),
    in_feed=False, disallowed=True,
)

HAND_WRITTEN = [
    LUKASHENKO, TALIBAN, HARBOR, HARBOR_COPY, FENWICK, STORM, STORM_REPUBLISHED, TRANSIT_APP, NIGHT_DESK,
    BLUE_KETTLE, WHALING_MUSEUM, RADWEGE, DROUGHT_CATTLE, DROUGHT_RESERVOIR, SHARKS, LIBRARY_HOTSPOTS, EMBARGOED,
]
