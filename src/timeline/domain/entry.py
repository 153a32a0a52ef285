"""One event as a person enters it (`timeline add`, the web editor's form) -> a row for the
append path, which checks it like every other row.

The two doors share this one step, so they share its rules: a reported phrase ("Monday
night", "last week") becomes the interval it means relative to the publication date; a named
place without coordinates is placed by the gazetteer, at the precision it supports; a
missing id is made from the start date and title.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from timeline.domain import dates, gazetteer, taxonomy
from timeline.domain.schema import Col
from timeline.domain.validation import Problem


@dataclass
class Entry:
    """The fields of a new event, as typed (text where a person types text)."""

    title: str
    event_type: str
    outlet: str
    confidence: str
    start: str | None = None
    end: str | None = None
    precision: str = "day"
    when: str | None = None
    as_of: str | None = None
    date_text: str | None = None
    event_id: str | None = None
    summary: str | None = None
    key_label: str | None = None
    actors: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    initiators: list[str] = field(default_factory=list)
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: int | None = None
    """With given coordinates: how exactly they place the event (default 1, an exact place);
    the web editor keeps a stored event's precision and area when its place is unchanged."""
    area_code: str | None = None
    count: int | None = None
    unit: str | None = None
    intercepted: int | None = None
    weapon: str | None = None
    url: str | None = None
    published: str | None = None
    other_sources: list[str] = field(default_factory=list)
    dataset: str = taxonomy.DATASETS_CURATED


def slugify(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def _iso(value: str | None, name: str, problems: list[Problem]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem("not a date in YYYY-MM-DD form", column=name, value=value))
        return None


def interval(entry: Entry) -> tuple[dates.DateRange | None, list[Problem]]:
    """The dates the entry means: `when` resolved against `as_of` (or the publication date),
    else `start`..`end` at `precision`."""
    problems: list[Problem] = []
    if entry.when:
        reference = _iso(entry.as_of, "as_of", problems) or _iso(
            entry.published, "source_published", problems
        )
        if reference is None:
            problems.append(Problem("a reported phrase needs the date it was published to resolve against",
                                    column="date_text", value=entry.when))  # fmt: skip
            return None, problems
        try:
            return dates.resolve_phrase(entry.when, reference), problems
        except ValueError as err:
            problems.append(Problem(str(err), column="date_text", value=entry.when))
            return None, problems
    start = _iso(entry.start, "date_start", problems)
    end = _iso(entry.end, "date_end", problems) or start
    if start is None:
        if not problems:
            problems.append(Problem("give a start date, or the date as reported and when it was published",
                                    column="date_start"))  # fmt: skip
        return None, problems
    return dates.DateRange(start, end, entry.precision, entry.date_text), problems


def place(entry: Entry) -> tuple[dict[Col, object], str | None]:
    """Coordinates, precision and area for the entry's place, and a note saying how they
    were found: given coordinates are an exact place; a place name is looked up."""
    given = entry.latitude is not None and entry.longitude is not None
    if given:
        return {
            Col.LATITUDE: entry.latitude,
            Col.LONGITUDE: entry.longitude,
            Col.GEO_PRECISION: entry.geo_precision or 1,
            Col.AREA_CODE: entry.area_code,
        }, None
    if not entry.location:
        return {}, None
    found = gazetteer.lookup(entry.location)
    if found is None:
        return {}, f"{entry.location!r} is not in the gazetteer: no coordinates (give --lat and --lon)"
    note = (
        f"placed {entry.location!r} at {found.latitude:.4f}, {found.longitude:.4f} "
        f"({gazetteer.GEO_PRECISIONS[found.precision]}{': ' + found.note if found.note else ''})"
    )
    return {
        Col.LATITUDE: found.latitude,
        Col.LONGITUDE: found.longitude,
        Col.GEO_PRECISION: found.precision,
        Col.AREA_CODE: found.area_code,
    }, note


COUNTRY_NOTES = ("countries ", "warning: no country")
"""How the notes of `countries` begin (the editor shows them beside its countries field)."""


def countries(entry: Entry, located: dict[Col, object]) -> tuple[list[str], str | None]:
    """The countries as given, else the launching side's and the place's (Kyiv -> UKR), and a
    note saying where they came from or that there are none (no country filter finds it)."""
    if any(c and c.strip() for c in entry.countries):
        return entry.countries, None
    found = [c.strip().upper() for c in entry.initiators if c and c.strip()]
    where = None
    lat, lon = located.get(Col.LATITUDE), located.get(Col.LONGITUDE)
    if isinstance(lat, float | int) and isinstance(lon, float | int):
        code = located.get(Col.AREA_CODE)
        where = gazetteer.country_code_of(float(lat), float(lon), str(code) if code else None)
    if where:
        found.append(where)
    found = list(dict.fromkeys(found))
    if not found:
        return [], ("warning: no country given and none follows from the place or the initiator: "
                    "a country filter (?country=) will not find this event; give its countries (--country)")  # fmt: skip
    sources = [s for s, used in (("the initiator", entry.initiators), (f"the place {entry.location or ''}".strip(),
                                                                        where)) if used]  # fmt: skip
    return (
        found,
        f"countries {', '.join(found)} (from {' and '.join(sources)}; give its countries (--country) to change them)",
    )


def row(entry: Entry) -> tuple[dict[str, object], list[str], list[Problem]]:
    """The entry as a raw row for the append path (which checks every rule), the notes a
    person should read (how the dates and the place were resolved), and problems found
    before any rule could be checked (an unreadable date)."""
    problems: list[Problem] = []
    for name, number in (("latitude", entry.latitude), ("longitude", entry.longitude)):
        if number is not None and not math.isfinite(number):
            problems.append(Problem("not a finite number", column=name, value=str(number)))
    when, found = interval(entry)
    problems += found
    located, note = place(entry)
    notes = [note] if note else []
    listed, note = countries(entry, located)
    notes += [note] if note else []
    if when is not None and entry.when:
        notes.insert(0, f"{entry.when!r} published {entry.as_of or entry.published} means "
                        f"{when.start}..{when.end} (precision {when.precision})")  # fmt: skip
    start = when.start.isoformat() if when else entry.start
    raw = {
        Col.EVENT_ID: entry.event_id or (f"{start}-{slugify(entry.title)}" if start else None),
        Col.DATE_START: start,
        Col.DATE_END: when.end.isoformat() if when else entry.end,
        Col.DATE_PRECISION: when.precision if when else entry.precision,
        Col.DATE_TEXT: entry.date_text or entry.when,
        Col.EVENT_TYPE: entry.event_type,
        Col.TITLE: entry.title,
        Col.SUMMARY: entry.summary,
        Col.KEY_LABEL: entry.key_label,
        Col.ACTORS: entry.actors,
        Col.COUNTRIES: listed,
        Col.INITIATOR_COUNTRIES: entry.initiators,
        Col.LOCATION: entry.location,
        Col.LATITUDE: None,
        Col.LONGITUDE: None,
        Col.GEO_PRECISION: None,
        Col.AREA_CODE: None,
        **located,
        Col.COUNT: entry.count,
        Col.COUNT_UNIT: entry.unit,
        Col.INTERCEPTED: entry.intercepted,
        Col.WEAPON: entry.weapon,
        Col.CONFIDENCE: entry.confidence,
        Col.SOURCE_OUTLET: entry.outlet,
        Col.SOURCE_URL: entry.url,
        Col.SOURCE_PUBLISHED: entry.published,
        Col.OTHER_SOURCES: entry.other_sources,
        Col.DATASET: entry.dataset,
    }
    return {str(k): v for k, v in raw.items()}, notes, problems
