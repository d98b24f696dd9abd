"""A small gazetteer of well-known place names.

Used for one decision only: spaCy's small English model tags unfamiliar capitalised names after
'from' or 'at' as places ('Sarah from Acme' → Acme: GPE). In a coachee's notes such a name is far
more often an employer or a club than a town, so the NER layer re-types it as an organization unless
it is a place this list knows. Countries, continents, US states, Canadian provinces and large or
often-mentioned cities; lower-cased. Not meant to be complete: a miss costs one mistyped entity.
"""

from __future__ import annotations

_NAMES = """
afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain
bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria
burkina faso burundi cambodia cameroon canada chad chile china colombia comoros congo costa rica croatia
cuba cyprus czechia czech republic denmark djibouti dominica dominican republic ecuador egypt el salvador
england eritrea estonia eswatini ethiopia fiji finland france gabon gambia georgia germany ghana greece
grenada guatemala guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel
italy jamaica japan jordan kazakhstan kenya kiribati korea south korea north korea kosovo kuwait
kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi
malaysia maldives mali malta mauritania mauritius mexico micronesia moldova monaco mongolia montenegro
morocco mozambique myanmar namibia nauru nepal netherlands holland new zealand nicaragua niger nigeria
north macedonia norway oman pakistan palau palestine panama papua new guinea paraguay peru philippines
poland portugal qatar romania russia rwanda samoa san marino saudi arabia scotland senegal serbia
seychelles sierra leone singapore slovakia slovenia somalia south africa south sudan spain sri lanka sudan
suriname sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga trinidad tunisia turkey
turkmenistan tuvalu uganda ukraine united arab emirates uae united kingdom uk great britain britain
united states usa us america uruguay uzbekistan vanuatu vatican venezuela vietnam wales yemen zambia
zimbabwe
africa asia europe north america south america oceania antarctica middle east scandinavia
alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
missouri montana nebraska nevada new hampshire new jersey new mexico new york north carolina north dakota
ohio oklahoma oregon pennsylvania rhode island south carolina south dakota tennessee texas utah vermont
virginia washington west virginia wisconsin wyoming
ontario quebec british columbia alberta manitoba saskatchewan nova scotia
london paris berlin madrid rome milan barcelona lisbon porto amsterdam brussels vienna prague warsaw
budapest athens dublin edinburgh glasgow manchester liverpool birmingham bristol leeds oxford cambridge
copenhagen stockholm oslo helsinki zurich geneva munich hamburg frankfurt cologne lyon marseille nice
istanbul moscow kyiv kiev tokyo osaka kyoto seoul beijing shanghai hong kong shenzhen taipei bangkok hanoi
manila jakarta kuala lumpur delhi new delhi mumbai bangalore bengaluru chennai kolkata karachi lahore
dubai abu dhabi doha riyadh tel aviv jerusalem cairo lagos nairobi johannesburg cape town casablanca
sydney melbourne brisbane perth auckland wellington toronto montreal vancouver ottawa calgary
chicago boston seattle portland san francisco los angeles la san diego austin dallas houston miami atlanta
denver phoenix philadelphia detroit nashville new orleans las vegas brooklyn manhattan queens silicon valley
mexico city bogota lima santiago buenos aires sao paulo rio de janeiro rio havana
"""

_MULTI = {
    "burkina faso", "costa rica", "czech republic", "dominican republic", "el salvador", "south korea",
    "north korea", "new zealand", "north macedonia", "papua new guinea", "san marino", "saudi arabia",
    "sierra leone", "south africa", "south sudan", "sri lanka", "united arab emirates", "united kingdom",
    "great britain", "united states", "north america", "south america", "middle east", "new hampshire",
    "new jersey", "new mexico", "new york", "north carolina", "north dakota", "rhode island",
    "south carolina", "south dakota", "west virginia", "british columbia", "nova scotia", "hong kong",
    "new delhi", "kuala lumpur", "abu dhabi", "tel aviv", "cape town", "san francisco", "los angeles",
    "san diego", "new orleans", "las vegas", "silicon valley", "mexico city", "buenos aires", "sao paulo",
    "rio de janeiro",
}  # fmt: skip

PLACES: frozenset[str] = frozenset(_NAMES.split()) | frozenset(_MULTI)


def is_known_place(name: str) -> bool:
    text = " ".join(name.lower().replace("the ", "", 1).split())
    return text in PLACES
