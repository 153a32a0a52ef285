"""ACLED exports -> events (`timeline import --format acled`).

Why this shape: ACLED already dates, places and classifies each event; we keep its id
(`acled-<event_id_cnty>`), turn `time_precision` into an honest interval, take the type from
the taxonomy's ACLED table (`taxonomy.acled_event_type`, which reads the notes to tell drones
from aircraft and missiles from artillery), and write a short factual title and summary
from the fields. ACLED's own `notes` are not copied: titles and summaries are in our words,
and the ACLED id lets an analyst look the notes up.

How: one pass (`onepass`). The columns with few distinct values (dates, codes, numbers as
text, actor names, countries) are read once per distinct value by the shared parsers, and
one DuckDB query (`_QUERY`) builds the rest and the first reason a row is rejected for.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import sides, taxonomy
from timeline.domain.schema import Col, one_array
from timeline.domain.validation import MAX_TITLE_LENGTH
from timeline.importers import countries
from timeline.importers.base import PLACEHOLDERS, Format, Mapped, Options, mapped
from timeline.importers.fields import (
    STRING,
    DateOrder,
    actor_countries,
    event_dates,
    expected_dates,
    floats,
    numeric_parts,
    slug,
    string_lists,
    text,
    truncate,
    whole_numbers,
)
from timeline.importers.onepass import per_value, reasons, select, series, source_text, trimmed

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


def _event_types(sub: pa.Array, notes: pa.Array) -> dict[str, pa.Array]:
    """taxonomy.acled_event_type per row, its label, and whether the notes decided it: asked
    once per distinct sub-event type and each of the four drone/missile cases (the notes
    matter only through whether they name a drone or a missile)."""
    encoded = pc.dictionary_encode(sub)
    distinct = text(pd.Series(pd.arrays.ArrowStringArray(encoded.dictionary), dtype=STRING))
    types: list[str | None] = []
    by_notes: list[bool] = []
    for value in distinct:
        plain = None if pd.isna(value) else taxonomy.acled_event_type(value, "")
        for d, m in itertools.product((False, True), repeat=2):
            probe = " ".join(
                w for w, on in ((taxonomy.DRONE_WORDS[0], d), (taxonomy.MISSILE_WORDS[0], m)) if on
            )
            kind = None if plain is None else taxonomy.acled_event_type(value, probe)
            types.append(kind)
            by_notes.append(kind is not None and kind != plain)
    dependent = [i for i in range(len(distinct)) if len(set(types[4 * i : 4 * i + 4])) > 1]
    needed = pc.is_in(encoded.indices, value_set=pa.array(dependent, type=encoded.indices.type))
    drone, missile = _weapon_words(notes, needed)
    case = pc.add(
        pc.multiply(encoded.indices.cast(pa.int64()), 4),
        pc.add(pc.multiply(drone.cast(pa.int64()), 2), missile.cast(pa.int64())),
    )
    return {
        "sub_text": pa.array(distinct, from_pandas=True, type=pa.string()).take(encoded.indices),
        "type": pa.array(types, pa.string()).take(case),
        "label": pa.array([taxonomy.LABELS[k] if k else None for k in types], pa.string()).take(case),
        "by_notes": pa.array(by_notes, pa.bool_()).take(case),
    }


_WEAPON_WORDS = (taxonomy.DRONE_WORDS, taxonomy.MISSILE_WORDS)


def _any_of(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


def _weapon_words(notes: pa.Array, needed: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Whether each row's notes name a drone, and a missile, compared casefolded as the
    taxonomy does: ASCII notes by RE2 ignoring case (on ASCII text that is casefolding),
    others by Python's `casefold` (ACLED's notes often hold a curly apostrophe). Read only in
    the rows whose type the notes decide (`needed`): the others' answers are never used
    (False), and their notes, a third of an import's text, are not searched."""
    rows = pc.indices_nonzero(needed).to_numpy()
    few = notes.take(pa.array(rows)) if len(rows) < len(notes) else notes
    found = [
        np.asarray(pc.match_substring_regex(few, _any_of(words), ignore_case=True).fill_null(False))
        for words in _WEAPON_WORDS
    ]
    python = pc.invert(pc.string_is_ascii(few)).fill_null(False)
    if pc.any(python).as_py():
        others = pc.indices_nonzero(python).to_numpy()
        texts = [v.casefold() for v in few.take(pa.array(others)).to_pylist()]
        for words, values in zip(_WEAPON_WORDS, found, strict=True):
            pattern = re.compile(_any_of(words))
            values[others] = [pattern.search(t) is not None for t in texts]
    out = []
    for values in found:
        spread = np.zeros(len(notes), dtype=bool)
        spread[rows] = values
        out.append(pa.array(spread))
    return out[0], out[1]


def _date_values(order: DateOrder | None) -> Callable[[pd.Series], dict[str, pd.Series]]:
    """The day of each distinct date text (in the file's decided shape), whether it is
    unreadable, and whether it is all digits in a file that does not tell day-first from
    month-first."""

    def parse(values: pd.Series) -> dict[str, pd.Series]:
        day, bad = event_dates(values, order)
        ambiguous = bad & False
        if order is None or not (order.order or order.date_format):
            ambiguous = bad & numeric_parts(values)["a"].notna()
        return {"day": day, "date_bad": bad, "date_ambiguous": ambiguous}

    return parse


def _precision(values: pd.Series) -> dict[str, pd.Series]:
    level, bad = whole_numbers(values)
    precision = level.map(PRECISIONS).astype(STRING)
    return {"precision": precision, "precision_bad": bad | precision.isna()}


def _inter(values: pd.Series) -> dict[str, pd.Series]:
    label, bad = inter_labels(values)
    return {"label": label, "bad": bad}


def _float(values: pd.Series) -> dict[str, pd.Series]:
    number, bad = floats(values)
    return {"value": number, "bad": bad}


def _whole(values: pd.Series) -> dict[str, pd.Series]:
    number, bad = whole_numbers(values)
    return {"value": number, "bad": bad}


def _actor(launching: bool) -> Callable[[pd.Series], dict[str, pd.Series]]:
    """Each distinct actor cell's countries (`countries.of_actor`), and for actor 1 its side
    (sides.py): ACLED codes the side that acts as actor 1."""

    def look(values: pd.Series) -> dict[str, pd.Series]:
        out = {"countries": actor_countries(values, split=";")}
        if launching:
            out["side"] = sides.launching(text(values), NAME, split=";")
        return out

    return look


def _alpha3(read: Callable[[str], str | None]) -> Callable[[pd.Series], dict[str, pd.Series]]:
    def look(values: pd.Series) -> dict[str, pd.Series]:
        return {"alpha3": pd.Series([None if pd.isna(v) else read(v) for v in text(values)], dtype=STRING)}

    return look


_ACTORS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
_QUOTED = ("event_date", "time_precision", "sub_event_type", "inter1", "inter2", "latitude", "longitude",
           "fatalities")  # fmt: skip
_TEXT = ("event_id_cnty", "event_date", "event_type", "location", "admin1", "country", "source", *_ACTORS)


def _columns(chunk: pd.DataFrame, options: Options) -> dict[str, pa.Array]:
    """Every input of the query: the chunk's text (trimmed, blank -> null; as read, for the
    messages) and what the per-value lookups made of it."""
    raw = {name: source_text(chunk, name) for name in {*_QUOTED, *_TEXT, "notes", "geo_precision", "iso"}}
    cols = {f"{name}_raw": raw[name] for name in _QUOTED}
    cols.update({name: trimmed(raw[name]) for name in _TEXT})
    cols["slug"] = one_array(pa.array(slug(chunk["event_id_cnty"]).array)).cast(pa.string())
    cols.update(
        per_value(raw["event_date"], _date_values(options.date_order), (NAME, "date", options.date_order))
    )
    cols.update(per_value(raw["time_precision"], _precision, (NAME, "time_precision")))
    cols.update(_event_types(raw["sub_event_type"], raw["notes"]))
    for name, look in (("inter1", _inter), ("inter2", _inter), ("latitude", _float), ("longitude", _float),
                       ("fatalities", _whole), ("geo_precision", _whole)):  # fmt: skip
        cols.update({f"{name}_{k}": v for k, v in per_value(raw[name], look, (NAME, name)).items()})
    iso = per_value(raw["iso"], _alpha3(countries.from_numeric), (NAME, "iso"))["alpha3"]
    named = per_value(raw["country"], _alpha3(countries.from_name), (NAME, "country"))["alpha3"]
    cols["alpha3"] = pc.coalesce(iso, named)
    for name in _ACTORS:
        cols.update(
            {
                f"{name}_{k}": v
                for k, v in per_value(raw[name], _actor(name == "actor1"), (NAME, name)).items()
            }
        )
    return cols


_QUERY = r"""
SELECT
    'acled-' || slug AS event_id,
    CAST(CASE precision WHEN 'week' THEN day - INTERVAL 3 DAY
         WHEN 'month' THEN date_trunc('month', day) ELSE day END AS TIMESTAMP) AS date_start,
    CAST(CASE precision WHEN 'week' THEN day + INTERVAL 3 DAY
         WHEN 'month' THEN last_day(day) ELSE day END AS TIMESTAMP) AS date_end,
    precision,
    concat(event_date, CASE precision
        WHEN 'week' THEN ' (ACLED: within a week around this date)'
        WHEN 'month' THEN ' (ACLED: sometime this month)' END) AS date_text,
    type,
    concat(label, CASE WHEN actor1 IS NOT NULL THEN concat(' by ', actor1) END, ' in ', place) AS title,
    concat(
        'ACLED codes this as ', sub_text,
        CASE WHEN event_type IS NOT NULL THEN concat(' (', event_type, ')') END,
        CASE WHEN actor1 IS NOT NULL THEN concat(' by ', actor1) END,
        CASE WHEN inter1_label IS NOT NULL THEN concat(' [', inter1_label, ']') END,
        CASE WHEN actor2 IS NOT NULL THEN concat(', involving ', actor2) END,
        CASE WHEN inter2_label IS NOT NULL THEN concat(' [', inter2_label, ']') END,
        ' in ', place, '. ',
        CASE WHEN fatalities_value IS NOT NULL THEN concat('Fatalities reported: ', fatalities_value, '. ')
             ELSE 'No fatality figure given. ' END,
        CASE WHEN by_notes THEN concat('Filed as ', lower(label), ' because ACLED''s notes name the weapon. ') END,
        CASE WHEN source IS NOT NULL THEN concat('ACLED''s sources: ', source, '. ') END,
        'ACLED event ', event_id_cnty, '.'
    ) AS summary,
    location,
    CASE WHEN geo_precision_value IN (1, 2, 3) AND latitude_value IS NOT NULL
         THEN geo_precision_value END AS geo_precision,
    CASE WHEN fatalities_value IS NOT NULL THEN 'fatalities' END AS count_unit,
    CASE
        WHEN event_id_cnty IS NULL THEN 'missing event_id_cnty'
        WHEN day IS NULL AND NOT date_bad THEN 'missing date'
        WHEN date_ambiguous THEN 'ambiguous date'
        WHEN date_bad THEN 'bad date'
        WHEN precision_bad THEN 'unknown time_precision'
        WHEN type IS NULL THEN 'unknown ACLED sub-event type'
        WHEN inter1_bad OR inter2_bad THEN 'unknown ACLED inter code'
        WHEN latitude_bad THEN 'latitude is not a number'
        WHEN longitude_bad THEN 'longitude is not a number'
        WHEN fatalities_bad THEN 'fatalities is not a whole number'
    END AS category,
    CASE
        WHEN event_id_cnty IS NULL THEN 'missing event_id_cnty'
        WHEN day IS NULL AND NOT date_bad THEN 'missing date: event_date is blank or says unknown'
        WHEN date_ambiguous THEN 'ambiguous date: event_date ''' || event_date_raw || ''' could be '
            || 'day-first or month-first and no date in this file tells which; '
            || 'give --date-format %d/%m/%Y or %m/%d/%Y'
        WHEN date_bad THEN 'bad date: event_date ''' || event_date_raw || ''' (' || $expected || ')'
        WHEN precision_bad THEN 'unknown time_precision: ''' || time_precision_raw
            || ''' (expected 1, 2 or 3)'
        WHEN type IS NULL THEN 'unknown ACLED sub-event type: ''' || sub_event_type_raw || ''''
        WHEN inter1_bad THEN 'unknown ACLED inter code: inter1 ''' || inter1_raw || ''''
        WHEN inter2_bad THEN 'unknown ACLED inter code: inter2 ''' || inter2_raw || ''''
        WHEN latitude_bad THEN 'latitude is not a number: ''' || latitude_raw || ''''
        WHEN longitude_bad THEN 'longitude is not a number: ''' || longitude_raw || ''''
        WHEN fatalities_bad THEN 'fatalities is not a whole number: ''' || fatalities_raw || ''''
    END AS reason
FROM (
    SELECT *, concat(location, CASE WHEN country IS NOT NULL THEN concat(', ', country) END) AS place
    FROM (
        SELECT * REPLACE (nullif(concat(location, CASE
            WHEN admin1 IS NOT NULL AND admin1 IS DISTINCT FROM location THEN concat(', ', admin1) END), '')
            AS location)
        FROM chunk
    )
)
"""
"""An ACLED row after the per-value lookups: its id, dates, title and summary in our words,
and the first reason it is rejected for (checked in this order: id, date, precision, type,
inter codes, coordinates, fatalities)."""


def map_chunk(chunk: pd.DataFrame, options: Options) -> Mapped:
    idx = chunk.index
    cols = _columns(chunk, options)
    out = select(_QUERY, pa.table(cols), expected=expected_dates(options.date_order))

    def col(name: str, dtype: object = STRING) -> pd.Series:
        return series(out, name, idx, dtype)

    def looked_up(name: str, dtype: object = STRING) -> pd.Series:
        return series(pa.table({name: cols[name]}), name, idx, dtype)

    fatalities = looked_up("fatalities_value", pd.Int64Dtype())
    rows = {
        Col.EVENT_ID: col("event_id"),
        Col.DATE_START: col("date_start", "datetime64[ms]"),
        Col.DATE_END: col("date_end", "datetime64[ms]"),
        Col.DATE_PRECISION: col("precision"),
        Col.DATE_TEXT: col("date_text"),
        Col.EVENT_TYPE: col("type"),
        Col.TITLE: truncate(col("title"), MAX_TITLE_LENGTH),
        Col.SUMMARY: col("summary"),
        Col.ACTORS: string_lists(idx, *[looked_up(name) for name in _ACTORS], split=";"),
        Col.COUNTRIES: string_lists(  # the place's country, then those the actors' names state
            idx, looked_up("alpha3"), *[looked_up(f"{name}_countries") for name in _ACTORS], split=";"
        ),
        # ACLED codes the side that acts as actor 1, its side from the actor table (sides.py);
        # a strike whose side is unknown is rejected (a strike must say who launched it),
        # never given the place's country.
        Col.INITIATOR_COUNTRIES: string_lists(idx, looked_up("actor1_side"), split=";"),
        Col.LOCATION: col("location"),
        Col.LATITUDE: looked_up("latitude_value", "float64"),
        Col.LONGITUDE: looked_up("longitude_value", "float64"),
        Col.GEO_PRECISION: col("geo_precision", pd.Int64Dtype()),
        Col.COUNT: fatalities,
        Col.COUNT_UNIT: col("count_unit"),
        Col.CONFIDENCE: CONFIDENCE,
        Col.SOURCE_OUTLET: OUTLET,  # one outlet, however many sources it drew on (in the summary)
    }
    return mapped(rows, idx, reasons(out, idx))


FORMAT = Format(
    name=NAME,
    title="an ACLED export (CSV)",
    map=map_chunk,
    required=tuple(REQUIRED),
    date_columns=("event_date",),
    placeholders=PLACEHOLDERS,
)
