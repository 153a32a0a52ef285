"""Country names and codes from the datasets we import -> ISO 3166-1 alpha-3.

ACLED gives a numeric ISO code and a name, UCDP a name (with old names in brackets,
"Russia (Soviet Union)"), GDELT CAMEO actor codes (mostly alpha-3 already) and FIPS 10-4
place codes ("UP" is Ukraine, not "UA"). The schema wants alpha-3 everywhere, so each
lookup ends in pycountry; a value we cannot place is left out rather than guessed.

`countries` holds the parties' countries, so the actors count too: `of_actor` reads the
country from the few actor names that state it in a fixed form (ACLED's "Military Forces of
Russia (2000-)", "Civilians (Ukraine)"; UCDP's "Government of Ukraine") and from nothing else.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry

from timeline.domain.validation import ISO3

# Everyday names that pycountry's lookup does not know (it wants "Russian Federation").
_NAME_ALIASES = {
    "russia": "RUS",
    "iran": "IRN",
    "syria": "SYR",
    "north korea": "PRK",
    "south korea": "KOR",
    "korea, north": "PRK",
    "korea, south": "KOR",
    "dr congo": "COD",
    "democratic republic of congo": "COD",
    "democratic republic of the congo": "COD",
    "congo": "COG",
    "republic of congo": "COG",
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "laos": "LAO",
    "vietnam": "VNM",
    "moldova": "MDA",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "tanzania": "TZA",
    "turkey": "TUR",
    "czech republic": "CZE",
    "macedonia": "MKD",
    "bosnia-herzegovina": "BIH",
    "bosnia and herzegovina": "BIH",
    "palestine": "PSE",
    "taiwan": "TWN",
    "brunei": "BRN",
    "cape verde": "CPV",
    "swaziland": "SWZ",
    "eswatini": "SWZ",
    "kingdom of eswatini": "SWZ",
    "east timor": "TLS",
    "micronesia": "FSM",
    "vatican city": "VAT",
    "burma": "MMR",
    "the gambia": "GMB",
    "gambia": "GMB",
    "the bahamas": "BHS",
    "bahamas": "BHS",
    "united states": "USA",
    "united states of america": "USA",
    "united kingdom": "GBR",
}

# FIPS 10-4 (GDELT's ActionGeo/Actor*Geo country codes) -> ISO 3166-1 alpha-2, for every code
# that has an ISO equivalent. Codes such as Kosovo (KV) or the Spratly Islands have none.
_FIPS_TO_ISO2 = dict(
    pair.split(":")
    for pair in """
    AA:AW AC:AG AE:AE AF:AF AG:DZ AJ:AZ AL:AL AM:AM AN:AD AO:AO AQ:AS AR:AR AS:AU AU:AT AV:AI
    AY:AQ BA:BH BB:BB BC:BW BD:BM BE:BE BF:BS BG:BD BH:BZ BK:BA BL:BO BM:MM BN:BJ BO:BY BP:SB
    BR:BR BT:BT BU:BG BV:BV BX:BN BY:BI CA:CA CB:KH CD:TD CE:LK CF:CG CG:CD CH:CN CI:CL CJ:KY
    CK:CC CM:CM CN:KM CO:CO CQ:MP CS:CR CT:CF CU:CU CV:CV CW:CK CY:CY DA:DK DJ:DJ DO:DM DR:DO
    EC:EC EG:EG EI:IE EK:GQ EN:EE ER:ER ES:SV ET:ET EZ:CZ FG:GF FI:FI FJ:FJ FK:FK FM:FM FO:FO
    FP:PF FR:FR FS:TF GA:GM GB:GA GG:GE GH:GH GI:GI GJ:GD GK:GG GL:GL GM:DE GP:GP GQ:GU GR:GR
    GT:GT GV:GN GY:GY GZ:PS HA:HT HK:HK HM:HM HO:HN HR:HR HU:HU IC:IS ID:ID IM:IM IN:IN IO:IO
    IR:IR IS:IL IT:IT IV:CI IZ:IQ JA:JP JE:JE JM:JM JO:JO KE:KE KG:KG KN:KP KR:KI KS:KR KT:CX
    KU:KW KZ:KZ LA:LA LE:LB LG:LV LH:LT LI:LR LO:SK LS:LI LT:LS LU:LU LY:LY MA:MG MB:MQ MC:MO
    MD:MD MF:YT MG:MN MH:MS MI:MW MJ:ME MK:MK ML:ML MN:MC MO:MA MP:MU MR:MR MT:MT MU:OM MV:MV
    MX:MX MY:MY MZ:MZ NC:NC NE:NU NF:NF NG:NE NH:VU NI:NG NL:NL NN:SX NO:NO NP:NP NR:NR NS:SR
    NU:NI NZ:NZ OD:SS PA:PY PC:PN PE:PE PK:PK PL:PL PM:PA PO:PT PP:PG PS:PW PU:GW QA:QA RE:RE
    RI:RS RM:MH RN:MF RO:RO RP:PH RQ:PR RS:RU RW:RW SA:SA SB:PM SC:KN SE:SC SF:ZA SG:SN SH:SH
    SI:SI SL:SL SM:SM SN:SG SO:SO SP:ES ST:LC SU:SD SV:SJ SW:SE SX:GS SY:SY SZ:CH TB:BL TD:TT
    TH:TH TI:TJ TK:TC TL:TK TN:TO TO:TG TP:ST TS:TN TT:TL TU:TR TV:TV TW:TW TX:TM TZ:TZ UC:CW
    UG:UG UK:GB UP:UA US:US UV:BF UY:UY UZ:UZ VC:VC VE:VE VI:VG VM:VN VQ:VI VT:VA WA:NA WE:PS
    WF:WF WI:EH WS:WS WZ:SZ YM:YE ZA:ZM ZI:ZW
    """.split()
)


def _alpha3_of_alpha2(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    return country.alpha_3 if country else None


FIPS_TO_ISO3: dict[str, str] = {
    fips: iso3 for fips, iso2 in _FIPS_TO_ISO2.items() if (iso3 := _alpha3_of_alpha2(iso2))
}


@cache
def from_name(name: str) -> str | None:
    """'Ukraine', 'Russia (Soviet Union)', 'DR Congo (Zaire)' -> alpha-3, or None."""
    text = " ".join(name.split())
    if not text:
        return None
    candidates = [text, re.sub(r"\s*\(.*?\)\s*", " ", text).strip()]
    for candidate in candidates:
        if candidate.upper() in ISO3:
            return candidate.upper()
        alias = _NAME_ALIASES.get(candidate.casefold())
        if alias:
            return alias
        try:
            return pycountry.countries.lookup(candidate).alpha_3
        except LookupError:
            continue
    return None


@cache
def from_numeric(code: str) -> str | None:
    """ACLED's `iso` ('804', '4', '804.0') -> alpha-3, or None."""
    text = code.strip().removesuffix(".0")
    if not text.isdigit():
        return None
    country = pycountry.countries.get(numeric=text.zfill(3))
    return country.alpha_3 if country else None


def from_fips(code: str) -> str | None:
    """GDELT FIPS 10-4 place code ('UP') -> alpha-3 ('UKR'), or None."""
    return FIPS_TO_ISO3.get(code.strip().upper())


def from_cameo(code: str) -> str | None:
    """GDELT CAMEO actor country code: alpha-3 for states ('RUS'); regions ('EUR') -> None."""
    text = code.strip().upper()
    return text if text in ISO3 else None


ACTOR_PATTERNS = (
    # ACLED state actors: "<Military Forces|Police Forces|Government> of <country> (<years>)",
    # sometimes followed by a unit ("... (2000-) Air Force")
    re.compile(
        r"^(?:Military Forces|Police Forces|Government) of (?P<country>[^()]+?) \(\d{4}-(?:\d{4})?\)(?: .*)?$"
    ),
    # ACLED groups named with their country in brackets
    re.compile(r"^(?:Civilians|Protesters|Rioters|Unidentified Armed Group) \((?P<country>[^()]+)\)$"),
    # UCDP state sides: "Government of <country>", an old name in brackets
    re.compile(r"^Government of (?P<country>[^()]+(?: \([^()]+\))?)$"),
)
"""Actor names that state a country, and nothing looser: an actor matching none (a person,
an armed group, 'Civilians' alone) adds no country."""


@cache
def of_actor(name: str) -> str | None:
    """'Military Forces of Russia (2000-)', 'Civilians (Ukraine)', 'Government of Russia
    (Soviet Union)' -> alpha-3 of the country the name states; None for any other name, or a
    country we cannot place."""
    text = " ".join(name.split())
    for pattern in ACTOR_PATTERNS:
        match = pattern.match(text)
        if match:
            country = match.group("country").strip().removeprefix("the ")
            # a name, not a code: "(AU)" in a bracket is not read as Australia
            return from_name(country) if len(re.sub(r"\s*\(.*?\)", "", country)) > 3 else None
    return None
