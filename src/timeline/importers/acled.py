"""ACLED exports -> events (`timeline import --format acled`).

Why this shape: ACLED already dates, places and classifies each event; we keep its id
(`acled-<event_id_cnty>`), turn `time_precision` into an honest interval, take the type from
the taxonomy's ACLED table (`taxonomy.acled_event_type`, which reads the notes to tell drones
from aircraft and missiles from artillery), and write a short factual title and summary
from the fields. ACLED's own `notes` are not copied: titles and summaries are in our words,
and the ACLED id lets an analyst look the notes up.
"""

from __future__ import annotations

import itertools
import re

import pandas as pd

from timeline.domain import sides, taxonomy
from timeline.domain.schema import Col
from timeline.domain.validation import MAX_TITLE_LENGTH
from timeline.importers import countries
from timeline.importers.base import (
    PLACEHOLDERS,
    Format,
    Mapped,
    Options,
    Reasons,
    mapped,
    quoted,
    reject_dates,
)
from timeline.importers.fields import (
    STRING,
    DateOrder,
    actor_countries,
    clause,
    event_dates,
    floats,
    join,
    slug,
    string_lists,
    text,
    truncate,
    whole_numbers,
)

NAME = "acled"
COLUMNS = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 "
    "assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region country "
    "admin1 admin2 admin3 location latitude longitude geo_precision source source_scale notes fatalities "
    "tags timestamp"
).split()
REQUIRED = (
    "event_id_cnty event_date time_precision event_type sub_event_type actor1 inter1 actor2 inter2 "
    "country location latitude longitude source notes fatalities"
).split()

INTER_CODES = {
    "1": "State forces",
    "2": "Rebel groups",
    "3": "Political militias",
    "4": "Identity militias",
    "5": "Rioters",
    "6": "Protesters",
    "7": "Civilians",
    "8": "External/Other forces",
}
"""ACLED's numeric actor categories; newer exports spell them out instead."""
_INTER_TEXT = {label.casefold(): label for label in INTER_CODES.values()}
_INTER_TEXT.update({label.casefold().rstrip("s"): label for label in INTER_CODES.values()})
_INTER_TEXT.update({"external/other force": "External/Other forces", "rebel group": "Rebel groups"})

PRECISIONS = {1: "day", 2: "week", 3: "month"}
"""ACLED time_precision -> schema precision (2: the date is the middle of a week)."""

OUTLET = "ACLED"
CONFIDENCE = "reported"


def inter_labels(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'1' / '1.0' / 'State forces' / 'state force' -> 'State forces'; '' or '0' -> missing."""
    t = text(s).fillna("")
    code = t.str.replace(r"\.0$", "", regex=True)
    label = code.map(INTER_CODES).fillna(t.str.casefold().map(_INTER_TEXT)).astype(STRING)
    none = code.isin(["", "0"])
    return label.mask(none), (~none & label.isna())


def event_types(sub: pd.Series, notes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """taxonomy.acled_event_type per row, and whether the notes decided it (asked once per
    sub-event type, and once per drone/missile mention for types the notes decide)."""
    out = pd.Series(pd.NA, index=sub.index, dtype=STRING)
    by_notes = pd.Series(False, index=sub.index)
    for value in sub.dropna().unique():
        rows = sub.eq(value).fillna(False)
        plain = taxonomy.acled_event_type(value, "")
        if plain is None:
            continue
        if plain == taxonomy.acled_event_type(value, "drone missile"):
            out[rows] = plain
            continue
        # The notes matter only through whether they name a drone or a missile: ask the
        # taxonomy once for each of the four cases rather than once per row.
        lowered = notes[rows].fillna("").str.casefold()
        drone = lowered.str.contains(_any_of(taxonomy.DRONE_WORDS)).to_numpy(dtype=bool)
        missile = lowered.str.contains(_any_of(taxonomy.MISSILE_WORDS)).to_numpy(dtype=bool)
        for d, m in itertools.product((False, True), repeat=2):
            probe = " ".join(
                w for w, on in ((taxonomy.DRONE_WORDS[0], d), (taxonomy.MISSILE_WORDS[0], m)) if on
            )
            out[lowered.index[(drone == d) & (missile == m)]] = taxonomy.acled_event_type(value, probe)
        by_notes[rows] = out[rows].ne(plain)
    return out, by_notes


def _any_of(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


def _dates(
    chunk: pd.DataFrame, r: Reasons, order: DateOrder | None
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    day, bad = event_dates(chunk["event_date"], order)
    reject_dates(r, chunk["event_date"], "event_date", day, bad, order)
    level, bad_level = whole_numbers(chunk["time_precision"])
    precision = level.map(PRECISIONS).astype(STRING)
    r.add(bad_level | precision.isna(), "unknown time_precision",
          quoted(chunk["time_precision"]) + " (expected 1, 2 or 3)")  # fmt: skip
    start, end = day.copy(), day.copy()
    week = precision.eq("week").fillna(False)
    start[week] = day[week] - pd.Timedelta(days=3)
    end[week] = day[week] + pd.Timedelta(days=3)
    month = precision.eq("month").fillna(False)
    start[month] = day[month].dt.to_period("M").dt.start_time.astype("datetime64[ms]")
    end[month] = day[month].dt.to_period("M").dt.end_time.dt.normalize().astype("datetime64[ms]")
    original = text(chunk["event_date"])
    date_text = join(
        original,
        clause(week, " (ACLED: within a week around this date)"),
        clause(month, " (ACLED: sometime this month)"),
    )
    return start, end, precision, date_text


def map_chunk(chunk: pd.DataFrame, options: Options) -> Mapped:
    idx = chunk.index
    r = Reasons(idx)

    source_id = text(chunk["event_id_cnty"])
    r.add(source_id.isna(), "missing event_id_cnty")
    start, end, precision, date_text = _dates(chunk, r, options.date_order)

    sub = text(chunk["sub_event_type"])
    notes = text(chunk["notes"])
    types, by_notes = event_types(sub, notes)
    r.add(types.isna(), "unknown ACLED sub-event type", quoted(chunk["sub_event_type"]))
    labels = types.map(taxonomy.LABELS).astype(STRING)

    inter1, bad1 = inter_labels(chunk["inter1"])
    inter2, bad2 = inter_labels(chunk["inter2"])
    r.add(bad1, "unknown ACLED inter code", "inter1 " + quoted(chunk["inter1"]))
    r.add(bad2, "unknown ACLED inter code", "inter2 " + quoted(chunk["inter2"]))

    lat, lon, geo_precision = _coordinates(chunk, r)
    fatalities, bad_count = whole_numbers(chunk["fatalities"])
    r.add(bad_count, "fatalities is not a whole number", quoted(chunk["fatalities"]))

    actor1, actor2 = text(chunk["actor1"]), text(chunk["actor2"])
    assoc1 = text(chunk.get("assoc_actor_1", pd.Series("", index=idx)))
    assoc2 = text(chunk.get("assoc_actor_2", pd.Series("", index=idx)))
    alpha3, location, where = _place(chunk)
    source = text(chunk["source"])

    title = join(labels, clause(actor1.notna(), " by ", actor1), " in ", where)
    summary = join(
        "ACLED codes this as ", sub, clause(text(chunk["event_type"]).notna(), " (", text(chunk["event_type"]), ")"),
        clause(actor1.notna(), " by ", actor1), clause(inter1.notna(), " [", inter1, "]"),
        clause(actor2.notna(), ", involving ", actor2), clause(inter2.notna(), " [", inter2, "]"),
        " in ", where, ". ",
        clause(fatalities.notna(), "Fatalities reported: ", fatalities.astype(STRING), ". "),
        clause(fatalities.isna(), "No fatality figure given. "),
        clause(by_notes, "Filed as ", labels.str.lower(), " because ACLED's notes name the weapon. "),
        clause(source.notna(), "ACLED's sources: ", source, ". "),
        "ACLED event ", source_id, ".",
    )  # fmt: skip
    rows = {
        Col.EVENT_ID: "acled-" + slug(source_id),
        Col.DATE_START: start,
        Col.DATE_END: end,
        Col.DATE_PRECISION: precision,
        Col.DATE_TEXT: date_text,
        Col.EVENT_TYPE: types,
        Col.TITLE: truncate(title, MAX_TITLE_LENGTH),
        Col.SUMMARY: summary,
        Col.ACTORS: string_lists(idx, actor1, assoc1, actor2, assoc2, split=";"),
        Col.COUNTRIES: string_lists(  # the place's country, then those the actors' names state
            idx, alpha3, *[actor_countries(a, split=";") for a in (actor1, assoc1, actor2, assoc2)], split=";"
        ),
        # ACLED codes the side that acts as actor 1, its side from the actor table (sides.py);
        # a strike whose side is unknown is rejected (a strike must say who launched it),
        # never given the place's country.
        Col.INITIATOR_COUNTRIES: string_lists(idx, sides.launching(actor1, NAME, split=";"), split=";"),
        Col.LOCATION: location,
        Col.LATITUDE: lat,
        Col.LONGITUDE: lon,
        Col.GEO_PRECISION: geo_precision,
        Col.COUNT: fatalities,
        Col.COUNT_UNIT: pd.Series("fatalities", index=idx, dtype=STRING).where(fatalities.notna()),
        Col.CONFIDENCE: CONFIDENCE,
        Col.SOURCE_OUTLET: OUTLET,  # one outlet, however many sources it drew on (in the summary)
    }
    return mapped(rows, idx, r)


def _coordinates(chunk: pd.DataFrame, r: Reasons) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Latitude, longitude and geo_precision (ACLED's 1-3 is this schema's: exact place, near
    it, region); a coordinate that is not a number rejects its row."""
    lat, bad_lat = floats(chunk["latitude"])
    lon, bad_lon = floats(chunk["longitude"])
    r.add(bad_lat, "latitude is not a number", quoted(chunk["latitude"]))
    r.add(bad_lon, "longitude is not a number", quoted(chunk["longitude"]))
    geo_precision, _ = whole_numbers(chunk.get("geo_precision", pd.Series("", index=chunk.index)))
    return lat, lon, geo_precision.where(geo_precision.isin([1, 2, 3]) & lat.notna())


def _place(chunk: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The place's country (alpha-3, from the numeric iso code or the name), its location
    ('Kupiansk, Kharkiv') and where, for sentences ('Kupiansk, Kharkiv, Ukraine')."""
    idx = chunk.index
    country = text(chunk["country"])
    iso = text(chunk.get("iso", pd.Series("", index=idx)))
    alpha3 = iso.map({v: countries.from_numeric(v) for v in iso.dropna().unique()}).astype(STRING)
    alpha3 = alpha3.fillna(
        country.map({v: countries.from_name(v) for v in country.dropna().unique()}).astype(STRING)
    )
    place = text(chunk["location"])
    admin1 = text(chunk.get("admin1", pd.Series("", index=idx)))
    location = join(place, clause(admin1.notna() & admin1.ne(place), ", ", admin1))
    location = location.mask(location.eq(""))
    return alpha3, location, join(location, clause(country.notna(), ", ", country))


FORMAT = Format(
    name=NAME,
    title="an ACLED export (CSV)",
    map=map_chunk,
    required=tuple(REQUIRED),
    date_columns=("event_date",),
    placeholders=PLACEHOLDERS,
)
