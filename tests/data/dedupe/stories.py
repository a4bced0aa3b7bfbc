"""Hand-written fictional news stories for the dedupe fixture (places, people and firms are
invented). Six topics with four stories each share vocabulary on purpose; A3, B3 and E3 are
follow-ups that reuse a background paragraph of A1, B1 and E1 word for word; G1/G2 are
templated weather briefs that differ only in their details. None of these are duplicates of
each other. make_fixture.py builds the duplicate variants from them.
"""

STORIES = {}

STORIES["A1"] = dict(
    site="https://www.rivertonledger.com", slug="/local/council-approves-budget-with-transit-cuts",
    title="Riverton council approves $412 million budget with bus route cuts",
    text="""RIVERTON - The Riverton City Council voted 6-3 late Tuesday to approve a $412 million operating budget that trims four bus routes and delays the renovation of the Eastside branch library, closing a shortfall that officials had warned could reach $18 million.

The vote came after nearly five hours of public comment, much of it from riders of the routes that will be cut. Several speakers said the 14 and 22 lines are the only way they can reach jobs at the distribution centers along Harbor Road.

"We are asking people who have the least to absorb the most," said council member Dana Whitfield, who voted against the plan. "There were other choices on the table, and we did not take them."

Budget director Samuel Ortega told the council that sales tax receipts had fallen for three consecutive quarters while pension contributions rose by 9 percent. Without the cuts, he said, the city would have had to draw its reserve fund below the level required by its bond covenants.

The budget keeps police and fire staffing flat and adds $2.1 million for road repairs, a priority for Mayor Helen Brandt, who has 10 days to sign or veto the measure.

Riverton's transit agency said the route changes would take effect on March 3. Riders can find alternatives on the agency's website or by calling its customer line.""")

STORIES["A2"] = dict(
    site="https://www.valleysentinel.com", slug="/education/school-board-faces-shortfall",
    title="Millbrook school board weighs teacher layoffs as deficit grows",
    text="""MILLBROOK - The Millbrook Unified School District faces a $9.6 million deficit next year, and the board of education will consider laying off as many as 40 teachers when it meets on Thursday, district officials said.

The shortfall follows the end of federal pandemic relief money, which paid for tutoring programs and additional counselors at the district's 11 schools. Enrollment has also fallen by about 700 students since 2019, reducing state aid.

Superintendent Laura Kimani presented three options to the board in a workshop session Monday night. The first would close Hawthorne Elementary and merge its students into two nearby schools. The second would cut the tutoring program entirely. The third, which Kimani called a last resort, would raise class sizes in every grade.

"None of these are good options, and I want the community to understand that," Kimani said. "We are making decisions about real classrooms and real children."

The teachers' union has asked the board to spend part of its $14 million reserve instead. Union president Marcus Bell said the district's reserve is larger than the state requires and that using some of it for one year would buy time to find a long-term fix.

Board president Ellen Frost said the board would not vote on layoffs before hearing from parents. A public hearing is scheduled for April 9 in the high school auditorium.""")

STORIES["A3"] = dict(
    site="https://www.rivertonledger.com", slug="/local/mayor-vetoes-budget",
    title="Riverton mayor vetoes budget, citing library delay",
    text="""RIVERTON - Mayor Helen Brandt on Friday vetoed the $412 million budget passed by the City Council, saying she could not accept a plan that postpones the Eastside branch library renovation for a third year.

In a letter to council members, Brandt said she supported most of the spending plan, including the road repair money she had requested, but that the library delay broke a promise made to Eastside residents in 2021.

The vote came after nearly five hours of public comment, much of it from riders of the routes that will be cut. Several speakers said the 14 and 22 lines are the only way they can reach jobs at the distribution centers along Harbor Road.

The council needs seven votes to override the veto, one more than the plan received on Tuesday. Council president Rafael Duarte said he would schedule an override vote for next week but acknowledged that he did not yet have the votes.

"The mayor has put us in a difficult position," Duarte said. "If we do not pass a budget by June 30, the city runs on last year's numbers, and last year's numbers do not add up."

Brandt proposed paying for the library work by selling a vacant city lot on Mill Street, which she said could bring in $3 million. Budget director Samuel Ortega said that money would arrive too late to help this year's budget.""")

STORIES["A4"] = dict(
    site="https://www.countyherald.com", slug="/news/property-reassessment-notices",
    title="Homeowners in Clearwater County brace for higher assessments",
    text="""CLEARWATER COUNTY - More than 60,000 homeowners in Clearwater County will receive new property assessment notices this month, the first countywide reassessment in eight years, and many will see the assessed value of their homes rise by a third or more.

County assessor Joan Pettigrew said the median assessed value rose 34 percent, reflecting the rapid increase in home prices since the last reassessment. She stressed that a higher assessment does not automatically mean a higher tax bill, because the county and its towns are required to lower their tax rates when total values rise.

"The law is designed so that reassessment itself does not raise revenue," Pettigrew said. "What changes is how the existing tax burden is shared."

That sharing is what worries residents of older neighborhoods, where values have climbed faster than the county average. In the Linden Park area, some assessments nearly doubled.

Homeowners who believe their new value is wrong can file an appeal with the county board of review until May 15. The assessor's office will hold walk-in sessions at public libraries on Saturdays through April, and an online tool lets residents compare their assessment with recent sales nearby.

The new values will be used for tax bills mailed in December.""")

STORIES["B1"] = dict(
    site="https://www.gulfcoastnews.com", slug="/weather/hurricane-marisol-landfall",
    title="Hurricane Marisol makes landfall near Port Calloway as Category 3 storm",
    text="""PORT CALLOWAY - Hurricane Marisol came ashore just west of Port Calloway early Wednesday as a Category 3 storm with maximum sustained winds of 120 mph, tearing roofs from homes, flooding the historic downtown and knocking out power to more than 300,000 customers.

The storm made landfall at about 4:10 a.m., according to the National Hurricane Center, which warned that a storm surge of up to 12 feet was possible along the bays east of the center. By mid-morning, water had reached the second floor of some buildings on Front Street.

"This is a dangerous situation and it is not over," Governor Patricia Lowell said at a news conference in the state capital. "If you are in a safe place, stay there."

Marisol strengthened rapidly over unusually warm water in the final 24 hours before landfall, jumping from a Category 1 storm on Monday night. Forecasters had urged residents of low-lying areas to leave, and about 80,000 people were under mandatory evacuation orders.

Emergency officials said search and rescue teams would begin going door to door as soon as winds dropped below tropical storm force. There were no confirmed deaths as of noon, but officials said they had received dozens of calls from people trapped by rising water.

The storm was expected to weaken as it moves inland, but heavy rain could cause flash flooding as far as 200 miles from the coast through Thursday.""")

STORIES["B2"] = dict(
    site="https://www.northvalleytimes.com", slug="/news/sable-river-flooding",
    title="Sable River crests above flood stage, forcing hundreds from homes",
    text="""HOLLIS FERRY - The Sable River crested nearly 9 feet above flood stage on Sunday after four days of heavy rain, forcing hundreds of residents from their homes and closing the only bridge between Hollis Ferry and the county seat.

The National Weather Service said parts of the valley received more than 10 inches of rain since Wednesday, with the heaviest totals in the hills north of town. The river is expected to remain above flood stage until at least Tuesday.

Volunteer firefighters used boats to reach families on River Bend Road, where water covered the road to a depth of four feet. County emergency manager Tom Reyes said about 350 people had been evacuated and that a shelter at the middle school was housing 120 of them.

"We have been through floods before, but I have never seen the water come up this fast," said Linda Gorski, who has lived on River Bend Road for 31 years.

The state transportation department said the Route 9 bridge would stay closed until engineers could inspect it. Drivers were being directed to a detour that adds about 40 minutes to the trip.

No injuries were reported. The county has asked residents to avoid driving through flooded roads and to report downed power lines.""")

STORIES["B3"] = dict(
    site="https://www.gulfcoastnews.com", slug="/weather/marisol-recovery-power",
    title="Marisol death toll rises to 7 as crews work to restore power",
    text="""PORT CALLOWAY - The death toll from Hurricane Marisol rose to seven on Friday as search teams reached neighborhoods that had been cut off by floodwater, and utility officials said it could take two weeks to restore power to everyone who lost it.

Marisol strengthened rapidly over unusually warm water in the final 24 hours before landfall, jumping from a Category 1 storm on Monday night. Forecasters had urged residents of low-lying areas to leave, and about 80,000 people were under mandatory evacuation orders.

Four of the deaths occurred in Calloway County, where a man was killed by a falling tree and three people drowned in their homes. The others were reported in inland counties, where rivers rose after the storm dumped more than a foot of rain.

Gulf Power and Light said about 140,000 customers were still without electricity, down from a peak of more than 300,000. The company has brought in 6,000 line workers from 12 states, but said damage to transmission towers near the coast would slow repairs.

"We understand how hard this is, especially in this heat," company spokeswoman Renee Ashford said. "Crews will work around the clock until every customer is back."

The Federal Emergency Management Agency approved a disaster declaration for six counties on Thursday, making residents eligible for help with temporary housing and repairs. Officials urged people running generators to keep them outside and away from windows.""")

STORIES["B4"] = dict(
    site="https://www.metrodaily.com", slug="/weather/heat-advisory-extended",
    title="Heat advisory extended through weekend as temperatures near 105",
    text="""The National Weather Service extended a heat advisory for the metro area through Sunday evening, warning that afternoon temperatures could reach 105 degrees and that overnight lows would stay near 80, giving little relief.

It is the ninth consecutive day of the advisory, the longest stretch of extreme heat in the region since 2011. Forecasters said a high pressure system parked over the central part of the country would keep skies clear and winds light until at least Monday.

City officials opened 14 cooling centers at libraries and recreation centers and extended their hours to 10 p.m. Buses will carry riders to the centers for free.

Emergency room doctors said they had treated a growing number of patients for heat exhaustion, most of them older adults and outdoor workers. "People underestimate how quickly this can become dangerous," said Dr. Priya Anand of Metro General Hospital.

The regional power grid operator asked customers to set thermostats a few degrees higher between 4 p.m. and 8 p.m., when demand peaks. The operator said it had enough supply to meet demand but that an unexpected plant outage could force rolling blackouts.

Residents are urged to check on elderly neighbors, drink water often and never leave children or pets in parked cars.""")

STORIES["C1"] = dict(
    site="https://www.financepost.com", slug="/markets/central-bank-holds-rates",
    title="Central bank holds rates steady, signals cuts may come later this year",
    text="""The Federal Monetary Board left its benchmark interest rate unchanged at 5.25 percent on Wednesday for the fourth meeting in a row, but signaled that it expects to begin cutting rates later this year if inflation continues to ease.

In a statement, the board said inflation had made "further progress" toward its 2 percent target but remained "somewhat elevated." Updated projections showed that most officials expect two quarter-point cuts by December, one fewer than they forecast in March.

Board chair Victor Halvorsen told reporters that the labor market remained strong and that the board could afford to be patient. "We want to see more good data before we act," he said. "Cutting too early would risk undoing the progress we have made."

Stocks rose after the announcement, with the broad market index gaining 0.8 percent, while the yield on the two-year government bond fell to 4.6 percent.

Some economists said the board was moving too slowly. Maria Estevez, chief economist at Northgate Capital, said higher borrowing costs were already hurting small businesses and home buyers. "The risk now is that they wait too long," she said.

The board's next meeting is scheduled for late July.""")

STORIES["C2"] = dict(
    site="https://www.financepost.com", slug="/economy/consumer-prices-april",
    title="Consumer prices rise 0.3 percent in April as rent keeps climbing",
    text="""Consumer prices rose 0.3 percent in April, the Bureau of Economic Statistics said Tuesday, as rents and car insurance continued to climb even as gasoline and airline fares fell.

Over the past 12 months, the consumer price index rose 3.4 percent, down from 3.5 percent in March. The core index, which excludes food and energy, rose 3.6 percent from a year earlier, the smallest annual increase in three years.

Shelter costs, which make up about a third of the index, rose 0.4 percent for the month and accounted for most of the increase. Economists have been expecting housing inflation to slow for months, citing lower rents on new leases, but the official measure has been slow to reflect it.

"This is a modestly encouraging report, but it is not the breakthrough people were hoping for," said Daniel Cho, an economist at Lakeshore Bank. "Services inflation is still running hot."

Grocery prices were flat in April, and the price of eggs fell 7 percent after rising sharply earlier in the year. Motor vehicle insurance rose 1.8 percent and is up more than 22 percent from a year ago.

The report is one of the last major data releases before the Federal Monetary Board meets next month. Investors have trimmed their bets on an early rate cut.""")

STORIES["C3"] = dict(
    site="https://www.globalbusinessdesk.com", slug="/economy/norland-bank-raises-rates",
    title="Norland's central bank raises rates to 4.5%, surprising markets",
    text="""The Bank of Norland unexpectedly raised its main policy rate by a quarter point to 4.5 percent on Thursday, saying that a weak currency and rising wages threatened to push inflation higher.

Most economists surveyed before the decision had expected the bank to keep rates on hold. The Norland krone jumped 1.2 percent against the euro after the announcement, and shares of the country's largest lenders rose.

Governor Ingrid Solberg said inflation, at 4.1 percent, was too high and that the bank had to act before higher prices became entrenched. "A weak krone makes imported goods more expensive, and that feeds into everything households buy," she said.

The bank said its rate would probably stay at the new level for some time and that a further increase could not be ruled out. It lowered its forecast for economic growth this year to 0.9 percent from 1.3 percent.

The decision sets Norland apart from most other advanced economies, where central banks are debating when to begin cutting rates. Analysts at Fjordline Securities said the move showed the bank cared more about its credibility than about short-term growth.

Mortgage holders will feel the increase quickly, since most home loans in Norland carry floating rates.""")

STORIES["C4"] = dict(
    site="https://www.metrodaily.com", slug="/business/jobs-report-may",
    title="Employers add 272,000 jobs in May, beating forecasts",
    text="""Employers added 272,000 jobs in May, far more than economists had expected, the Labor Department said Friday, a sign that the economy remains resilient despite high interest rates.

The unemployment rate ticked up to 4 percent from 3.9 percent, the first time it has reached that level in more than two years, as more people started looking for work. Average hourly earnings rose 4.1 percent from a year earlier.

Health care, government and restaurants accounted for more than half of the gains. Manufacturing added 8,000 jobs, while retail employment was little changed.

"This is a labor market that is still growing at a healthy clip," said Alicia Romero, senior economist at Bayside Research. "It makes it harder for the Federal Monetary Board to justify cutting rates this summer."

Economists had forecast a gain of about 180,000 jobs. Revisions to the previous two months subtracted 15,000 jobs from earlier estimates.

Stock futures slipped after the report, and bond yields rose as investors pushed back their expectations for the first rate cut.""")

STORIES["D1"] = dict(
    site="https://www.pitchsidereport.com", slug="/football/ashford-united-sign-okafor",
    title="Ashford United sign striker Okafor in club-record deal",
    text="""Ashford United have signed striker Emeka Okafor from Porto Azul for a club-record fee of 48 million euros, the club announced on Monday, ending a pursuit that began last summer.

The 24-year-old Nigeria international has agreed a five-year contract and will wear the number 9 shirt. He scored 27 goals in all competitions last season and finished as the top scorer in the Portuguese league.

"This is a player we have followed for a long time," manager Thomas Lindqvist said. "He is quick, he is strong in the air, and he scores every kind of goal. He gives us something we did not have."

Okafor passed a medical at the club's training ground on Sunday. He said he chose Ashford over interest from two other clubs because of the manager's plans for him. "The coach told me exactly how I fit, and I believed him," he said.

Ashford finished fifth last season, missing out on Champions League qualification on goal difference, and scored fewer goals than any other team in the top seven.

The fee could rise to 55 million euros with add-ons. Ashford are also in talks with Lyon over defender Mathis Renaud.""")

STORIES["D2"] = dict(
    site="https://www.pitchsidereport.com", slug="/football/harcourt-sack-manager",
    title="Harcourt City sack manager Brennan after seven straight defeats",
    text="""Harcourt City have sacked manager Liam Brennan after a run of seven straight league defeats left the club one point above the relegation zone, the club said on Sunday.

Brennan, 51, was appointed in the summer on a three-year contract after guiding Westmoor Athletic to promotion. His final match in charge was Saturday's 3-0 home loss to Kingsbridge, when supporters chanted for his dismissal in the second half.

"The board would like to thank Liam for his hard work and dedication," chairman Philip Ashworth said in a statement. "However, results have not been good enough, and we believe a change is needed to give us the best chance of staying in the division."

First-team coach Oliver Grant will take charge of training until a permanent replacement is found. The club said it hoped to make an appointment before the January transfer window opens.

Brennan spent more than 60 million pounds on new players in the summer, but only two of them have started regularly. City have conceded 31 goals in 16 games, the second-worst defensive record in the league.

Former Harcourt captain Neil Simmons and ex-Wales manager Gareth Pugh are among the early favourites for the job.""")

STORIES["D3"] = dict(
    site="https://www.matchdayonline.com", slug="/transfers/kingsbridge-complete-varga-signing",
    title="Kingsbridge complete signing of midfielder Varga from Sporting Lisbon",
    text="""Kingsbridge have completed the signing of Hungary midfielder Bence Varga from Sporting Lisbon for an initial fee of 31 million pounds, the club confirmed on Thursday.

The 22-year-old has signed a contract until 2029 with the option of a further year. He made 38 appearances for Sporting last season, providing nine assists, and was named in the Portuguese league's team of the season.

Kingsbridge manager Ana Ferreira, who coached Varga in Sporting's youth team, said she had wanted to work with him again. "Bence sees passes that other players do not see," Ferreira said. "He makes the players around him better."

Varga had been linked with several clubs in Germany and Italy. He said the chance to play in England and to be reunited with Ferreira made his decision easy.

Kingsbridge, who finished ninth last season, have now spent about 70 million pounds this summer after signing goalkeeper Tomas Halloran and winger Jadon Price. The club is expected to sell captain Mark Dwyer before the window closes.

Varga will join his new teammates on their pre-season tour of the United States next week.""")

STORIES["D4"] = dict(
    site="https://www.matchdayonline.com", slug="/reports/ashford-2-kingsbridge-1",
    title="Okafor scores twice as Ashford come from behind to beat Kingsbridge",
    text="""Emeka Okafor scored twice in the second half as Ashford United came from behind to beat Kingsbridge 2-1 on Saturday and move into fourth place.

Kingsbridge took the lead in the 23rd minute when Bence Varga curled a free kick over the wall and into the top corner, his first goal since his summer move from Sporting Lisbon.

Ashford struggled to create chances before half-time, and manager Thomas Lindqvist made two changes at the break, bringing on winger Callum Reid and switching to a back three.

The changes worked. Okafor headed in Reid's cross in the 58th minute and then ran onto a long ball from goalkeeper Sam Whitaker to score the winner with 12 minutes left, taking his total for the season to 11.

"We were not good enough in the first half, and I told the players that," Lindqvist said. "But the reaction was fantastic. The second half was the team I want to see every week."

Kingsbridge manager Ana Ferreira said her side had been undone by two moments of poor defending. "We controlled the game for an hour and then gave it away," she said.""")

STORIES["E1"] = dict(
    site="https://www.highdesertjournal.com", slug="/news/cedar-ridge-fire-evacuations",
    title="Cedar Ridge fire forces evacuation of 4,000 residents",
    text="""PINE HOLLOW - A fast-moving wildfire in the foothills above Pine Hollow forced the evacuation of about 4,000 residents on Monday as strong winds pushed flames toward subdivisions on the town's western edge.

The Cedar Ridge fire had burned about 6,200 acres by Monday evening and was 0 percent contained, according to the state forestry department. At least 12 homes were destroyed, and officials said the number was likely to rise.

The fire was first reported at about 1:30 p.m. near a trailhead on Cedar Ridge Road. Within three hours, gusts of up to 50 mph had carried embers more than a mile ahead of the main fire, igniting spot fires in dry grass along the highway.

"It was like the sky turned orange in a matter of minutes," said Rebecca Nolan, who fled her home in the Sage Meadows neighborhood with her two children and a dog. "We grabbed what we could and drove."

More than 500 firefighters were assigned to the blaze, supported by four air tankers and six helicopters. Evacuation centers opened at Pine Hollow High School and the county fairgrounds, which is also accepting livestock.

The cause of the fire is under investigation. Forecasters said winds would ease on Tuesday, but humidity would remain low.""")

STORIES["E2"] = dict(
    site="https://www.metrodaily.com", slug="/health/wildfire-smoke-air-quality",
    title="Wildfire smoke pushes air quality to unhealthy levels across region",
    text="""Smoke from wildfires burning hundreds of miles to the north drifted over the region on Thursday, turning the sky a hazy gray and pushing air quality into the unhealthy range in several cities.

The state environmental agency issued an air quality alert through Saturday and urged people with asthma, heart disease or lung conditions to stay indoors and limit physical activity. Readings of fine particle pollution in some neighborhoods were more than five times the federal health standard.

School districts moved recess and sports practices indoors, and the city's parks department canceled outdoor summer camp activities for the rest of the week.

"Even healthy people can feel the effects, with coughing, a scratchy throat or headaches," said Dr. Helen Matsuda, a lung specialist at University Hospital. "Keep windows closed and run an air purifier if you have one."

The smoke is coming from more than 100 fires burning in forests to the north, where an unusually dry spring has left vegetation parched. Forecasters said a shift in wind direction on Sunday should bring cleaner air.

Officials advised against relying on cloth masks, which do little to filter smoke particles. Well-fitted N95 respirators offer much better protection.""")

STORIES["E3"] = dict(
    site="https://www.highdesertjournal.com", slug="/news/cedar-ridge-fire-containment",
    title="Crews gain ground on Cedar Ridge fire as some evacuees return",
    text="""PINE HOLLOW - Firefighters made significant progress against the Cedar Ridge fire on Wednesday as calmer winds allowed air tankers to drop retardant along the fire's eastern flank, and officials lifted evacuation orders for about half of the residents who had been forced to leave.

The fire has burned 8,900 acres and was 35 percent contained by Wednesday evening, according to the state forestry department. Officials said 27 homes and 14 outbuildings were destroyed.

The fire was first reported at about 1:30 p.m. near a trailhead on Cedar Ridge Road. Within three hours, gusts of up to 50 mph had carried embers more than a mile ahead of the main fire, igniting spot fires in dry grass along the highway.

Residents of the Sage Meadows and Juniper Flats neighborhoods were allowed to return at noon, but roads west of Miller Lane remained closed. Sheriff Dale Hutchins asked returning residents to be patient at checkpoints and to watch for crews working along the roads.

"We are not out of the woods yet," incident commander Karen Ruiz said at an evening briefing. "Conditions can change quickly, and we will have firefighters on this line for weeks."

The county has set up a resource center at the library for residents whose homes were damaged or destroyed.""")

STORIES["E4"] = dict(
    site="https://www.valleysentinel.com", slug="/crime/arson-arrest-brush-fires",
    title="Man arrested in connection with string of brush fires",
    text="""MILLBROOK - Sheriff's deputies arrested a 34-year-old man on Tuesday in connection with a series of brush fires set along Highway 40 over the past two weeks, authorities said.

Kyle Danvers of Millbrook was booked into the county jail on six counts of arson of forest land and is being held on $250,000 bail. He is scheduled to appear in court on Friday.

Investigators said a witness saw a man in a gray pickup truck stop along the highway shortly before a fire broke out on Sunday afternoon. Deputies found the truck at Danvers's home, along with road flares of the type that fire investigators believe were used to start at least four of the fires.

None of the fires grew larger than 40 acres, and no homes were damaged, but one firefighter was treated for heat exhaustion after the largest fire last Thursday.

"People who set fires in these conditions put every one of us at risk," Sheriff Maria Delgado said. "We will not tolerate it."

It was not immediately clear whether Danvers had an attorney. Authorities asked anyone with information about the fires to call the sheriff's tip line.""")

STORIES["F1"] = dict(
    site="https://www.techwirepost.com", slug="/security/brightmart-data-breach",
    title="Brightmart says hackers stole data of 8 million customers",
    text="""Retail chain Brightmart said on Tuesday that hackers had stolen the names, email addresses and partial payment card numbers of about 8 million customers, in one of the largest retail data breaches this year.

The company said it discovered the intrusion on May 2, when its security team noticed unusual activity on a server used by its online loyalty program. An investigation found that the attackers had access to the system for about three weeks.

Brightmart said full card numbers and passwords were not affected, because they were stored in a separate, encrypted system. It is offering affected customers two years of free credit monitoring.

"We take the security of our customers' information extremely seriously, and we deeply regret that this happened," chief executive Alan Porter said in a statement.

Security researchers said the stolen data could still be used in phishing schemes. "Names and emails with a partial card number are exactly what scammers need to make a fake message look real," said Jenna Liu, a researcher at the firm Castlegate Security.

The company has notified law enforcement and regulators in the states where affected customers live. Shares of Brightmart fell 4 percent in afternoon trading.""")

STORIES["F2"] = dict(
    site="https://www.techwirepost.com", slug="/security/st-agnes-ransomware",
    title="Ransomware attack forces St. Agnes hospitals to divert ambulances",
    text="""A ransomware attack on St. Agnes Health System has forced three of its hospitals to divert ambulances and return to paper records, the health system said Wednesday, as staff worked through a second day without access to electronic charts.

The attack was discovered early Monday when employees found they could not log in to the system that stores patient records and schedules. St. Agnes shut down its network to stop the spread of the malicious software and called in outside cybersecurity experts.

Emergency rooms remained open for walk-in patients, but ambulances carrying patients with strokes, heart attacks and serious injuries were sent to other hospitals. Some scheduled surgeries were postponed.

"Our first priority is patient safety, and our teams are trained to provide care without electronic systems," St. Agnes chief operating officer Marcia Flynn said.

The health system did not say whether it had received a ransom demand or whether patient data had been stolen. The FBI said it was aware of the incident and was assisting.

Hospitals have become frequent targets of ransomware gangs, which know that health systems are under pressure to restore operations quickly. Experts said it could take weeks for St. Agnes to fully recover.""")

STORIES["F3"] = dict(
    site="https://www.globalbusinessdesk.com", slug="/tech/regulator-fines-social-app",
    title="Regulator fines Chatterly 310 million euros over children's data",
    text="""The European data protection regulator fined the social media app Chatterly 310 million euros on Friday, saying the company had failed to protect the personal data of children who used its service.

The regulator found that Chatterly made the accounts of users aged 13 to 17 public by default and allowed adults who were not connected to them to send direct messages. It also said the company had not explained its data practices in language children could understand.

Chatterly must bring its processing into line with the rules within three months. The company said it disagreed with the size of the fine and was considering an appeal.

"We made significant changes to protect teenagers long before this investigation began," a Chatterly spokesperson said. "Teen accounts have been private by default since 2021."

The fine is among the largest imposed under the bloc's data protection law. Privacy advocates welcomed the decision but said it came too late for many children. "These settings were in place for years," said Sofia Marchetti of the group Digital Rights Watch.

Chatterly, which has about 150 million monthly users in Europe, is also under investigation over how it transfers user data outside the bloc.""")

STORIES["F4"] = dict(
    site="https://www.financepost.com", slug="/tech/silicore-earnings",
    title="Silicore shares surge as AI chip demand lifts revenue",
    text="""Shares of chipmaker Silicore jumped 11 percent in after-hours trading on Wednesday after the company reported quarterly revenue well above Wall Street estimates, driven by demand for chips used in artificial intelligence data centers.

Revenue rose 64 percent from a year earlier to $9.8 billion, the company said, beating the $9.1 billion analysts had expected. Net income more than doubled to $2.7 billion.

Silicore's data center business, which makes processors and networking chips for large cloud providers, accounted for more than two thirds of sales. Chief executive Rohan Mehta said customers had placed orders well into next year.

"Demand continues to exceed our ability to supply," Mehta told analysts on a conference call. "We are adding capacity as fast as we responsibly can."

The company forecast revenue of about $10.5 billion for the current quarter, also ahead of expectations. It announced a $15 billion share buyback.

Some analysts cautioned that spending on AI infrastructure could slow if cloud providers struggle to earn a return on their investments. Silicore's shares have more than tripled over the past year.""")

STORIES["G1"] = dict(
    site="https://www.northvalleytimes.com", slug="/weather/flood-warning-hollis-county",
    title="Flood warning issued for Hollis County until Tuesday evening",
    text="""The National Weather Service has issued a flood warning for Hollis County until 7 p.m. Tuesday.

At 9 a.m. Monday, the Sable River at Hollis Ferry was 21.4 feet. Flood stage is 18 feet. The river is expected to rise to about 23 feet by Tuesday morning and then begin to fall.

At 22 feet, water covers River Bend Road and low-lying fields east of town. At 24 feet, water reaches homes on Mill Street.

Residents in flood-prone areas should move valuables to higher ground and be ready to leave if water rises. Do not drive through flooded roads. Turn around, don't drown.

The warning will be updated by 3 p.m. Monday.""")

STORIES["G2"] = dict(
    site="https://www.northvalleytimes.com", slug="/weather/flood-warning-marlow-county",
    title="Flood warning issued for Marlow County through Wednesday",
    text="""The National Weather Service has issued a flood warning for Marlow County until 1 p.m. Wednesday.

At 8 a.m. Monday, Cutter Creek near Marlow Springs was 12.8 feet. Flood stage is 11 feet. The creek is expected to crest near 14.5 feet late Tuesday and then slowly fall.

At 13 feet, water covers Quarry Lane and the campground at Marlow Springs Park. At 15 feet, water reaches the parking lot of the Marlow Springs post office.

Campers and residents near the creek should leave low areas now and be ready to move to higher ground. Do not drive through flooded roads. Turn around, don't drown.

The warning will be updated by 4 p.m. Monday.""")
