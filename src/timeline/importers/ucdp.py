"""UCDP Georeferenced Event Dataset (GED) CSV -> events (`timeline import --format ucdp`).

Why this shape: GED gives each event an interval (`date_start`..`date_end`) and says how
exactly it is known (`date_prec`), which maps straight onto our interval plus precision;
`best` is UCDP's best estimate of deaths, so it is the count (low and high go in the
summary). GED's three kinds of violence have no table in the taxonomy, so `VIOLENCE` below
is the mapping, documented in docs/importing.md.
"""

from __future__ import annotations

import pandas as pd

from timeline.domain import sides, taxonomy
from timeline.domain.schema import Col
from timeline.domain.validation import FIRST_DATE, MAX_TITLE_LENGTH
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

NAME = "ucdp"
COLUMNS = (
    "id relid year active_year code_status type_of_violence conflict_dset_id conflict_new_id conflict_name "
    "dyad_dset_id dyad_new_id dyad_name side_a_dset_id side_a_new_id side_a side_b_dset_id side_b_new_id side_b "
    "number_of_sources source_article source_office source_date source_headline source_original where_prec "
    "where_coordinates where_description adm_1 adm_2 latitude longitude geom_wkt priogrid_gid country country_id "
    "region event_clarity date_prec date_start date_end deaths_a deaths_b deaths_civilians deaths_unknown best "
    "high low gwnoa gwnob"
).split()
REQUIRED = (
    "id type_of_violence side_a side_b country latitude longitude date_prec date_start date_end best"
).split()

PRECISIONS = {1: "day", 2: "week", 3: "week", 4: "month", 5: "year"}
"""GED date_prec -> schema precision: 1 exact day; 2 a span of 2-6 days and 3 a week are
both 'week' (the interval given stays as it is); 4 a month; 5 a year."""

VIOLENCE = {
    1: ("armed_clash", "state-based armed conflict"),
    2: ("armed_clash", "non-state armed conflict"),
    3: ("violence_against_civilians", "one-sided violence against civilians"),
}
"""GED type_of_violence -> (taxonomy type, what UCDP calls it)."""

OUTLET = "UCDP GED"
CONFIDENCE = "reported"


WHERE_PREC = {"1": 1, "2": 2, "3": 2, "4": 3, "5": 3, "6": 4}
"""UCDP GED's where_prec (1 exact place ... 6 country, 7 international waters) as geo_precision."""


def _dates(
    chunk: pd.DataFrame, r: Reasons, order: DateOrder | None
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """date_start, date_end, UCDP's date_prec (1-5) and the schema's precision for it."""
    start, bad_start = event_dates(chunk["date_start"], order)
    end, bad_end = event_dates(chunk["date_end"], order)
    for name, day, bad in (("date_start", start, bad_start), ("date_end", end, bad_end)):
        reject_dates(r, chunk[name], name, day, bad, order)
    level, bad_level = whole_numbers(chunk["date_prec"])
    precision = level.map(PRECISIONS).astype(STRING)
    r.add(
        bad_level | precision.isna(), "unknown date_prec", quoted(chunk["date_prec"]) + " (expected 1 to 5)"
    )
    return start, end, level, precision


def _violence(chunk: pd.DataFrame, r: Reasons) -> tuple[pd.Series, pd.Series, pd.Series]:
    """type_of_violence (1-3), the event type it maps to, and how the summary describes it."""
    violence, bad_violence = whole_numbers(chunk["type_of_violence"])
    kind = violence.map(VIOLENCE)
    r.add(
        bad_violence | kind.isna(),
        "unknown type_of_violence",
        quoted(chunk["type_of_violence"]) + " (expected 1, 2 or 3)",
    )
    # by the code's dict, not a Python call per row (0.9 CPU s per 100,000 rows)
    types = violence.map({code: k[0] for code, k in VIOLENCE.items()}).astype(STRING)
    described = violence.map({code: k[1] for code, k in VIOLENCE.items()}).astype(STRING)
    return violence, types, described


def map_chunk(chunk: pd.DataFrame, options: Options) -> Mapped:
    idx = chunk.index
    r = Reasons(idx)

    def col(name: str) -> pd.Series:
        return text(chunk[name]) if name in chunk.columns else pd.Series(pd.NA, index=idx, dtype=STRING)

    source_id = col("id").str.replace(r"\.0$", "", regex=True)
    r.add(source_id.isna(), "missing id")
    order = options.date_order
    start, end, level, precision = _dates(chunk, r, order)
    violence, types, described = _violence(chunk, r)

    lat, bad_lat = floats(chunk["latitude"])
    lon, bad_lon = floats(chunk["longitude"])
    r.add(bad_lat, "latitude is not a number", quoted(chunk["latitude"]))
    r.add(bad_lon, "longitude is not a number", quoted(chunk["longitude"]))
    best, bad_best = whole_numbers(chunk["best"])
    r.add(bad_best, "best is not a whole number", quoted(chunk["best"]))
    low, _ = whole_numbers(col("low").fillna(""))
    high, _ = whole_numbers(col("high").fillna(""))

    side_a, side_b = col("side_a"), col("side_b")
    country = col("country")
    alpha3 = country.map({v: countries.from_name(v) for v in country.dropna().unique()}).astype(STRING)
    place = col("where_coordinates").fillna(col("adm_1"))
    where = join(place, clause(place.notna() & country.notna(), ", "), country)
    office = col("source_office")
    # Optional: a source date that is not one readable day (two dates, UCDP's 1753-01-01 for
    # unknown, a year before the schema's first) is left missing; it never sinks the event.
    published, _ = event_dates(col("source_date").fillna(""), order)
    published = published.where(published >= pd.Timestamp(FIRST_DATE))

    labels = types.map(taxonomy.LABELS).astype(STRING)
    one_sided = violence.eq(3).fillna(False).astype(bool)
    title = join(
        labels, ": ", side_a, clause(side_b.notna(), " - ", side_b), clause(where.ne(""), " in ", where)
    )
    summary = join(
        "UCDP GED records ", described, clause(one_sided, " by ", side_a, clause(side_b.notna(), " against ", side_b)),
        clause(~one_sided & side_a.notna(), " between ", side_a), clause(~one_sided & side_b.notna(), " and ", side_b), clause(col("conflict_name").notna(), " (", col("conflict_name"), ")"),
        clause(where.ne(""), " at ", where), ". ",
        clause(best.notna(), "Best estimate ", best.astype(STRING), " deaths"),
        clause(best.notna() & low.notna() & high.notna(), " (low ", low.astype(STRING), ", high ", high.astype(STRING), ")"),
        clause(best.notna(), ". "), clause(office.notna(), "UCDP's sources: ", office, ". "),
        "UCDP event ", source_id, ".",
    )  # fmt: skip
    rows = {
        Col.EVENT_ID: "ucdp-" + slug(source_id),
        Col.DATE_START: start,
        Col.DATE_END: end,
        Col.DATE_PRECISION: precision,
        Col.DATE_TEXT: join(start.dt.strftime("%Y-%m-%d"), clause(end.ne(start), " to ", end.dt.strftime("%Y-%m-%d")),
                            " (UCDP date_prec ", level.astype(STRING), ")"),
        Col.EVENT_TYPE: types,
        Col.TITLE: truncate(title, MAX_TITLE_LENGTH),
        Col.SUMMARY: summary,
        Col.ACTORS: string_lists(idx, side_a, side_b),
        Col.COUNTRIES: string_lists(idx, alpha3, actor_countries(side_a), actor_countries(side_b), split=";"),
        # UCDP's dyads have no direction (side A is the government by convention): the side
        # that acted is known only for one-sided violence, where side A is the perpetrator.
        Col.INITIATOR_COUNTRIES: string_lists(idx, sides.launching(side_a, NAME).where(one_sided), split=";"),
        Col.LOCATION: place,
        Col.LATITUDE: lat,
        Col.LONGITUDE: lon,
        Col.GEO_PRECISION: col("where_prec").map(WHERE_PREC).astype("Int64").where(lat.notna()),
        Col.COUNT: best,
        Col.COUNT_UNIT: pd.Series("fatalities", index=idx, dtype=STRING).where(best.notna()),
        Col.CONFIDENCE: CONFIDENCE,
        Col.SOURCE_OUTLET: OUTLET,  # one outlet, however many sources it drew on (in the summary)
        Col.SOURCE_PUBLISHED: published,
    }  # fmt: skip
    return mapped(rows, idx, r)


PLACEHOLDER_DATES = r"^1753-01-01(?:[ T]00:00:00(?:\.0+)?)?$"
"""UCDP writes 1753-01-01 (SQL Server's first date) where a source's date is unknown."""

FORMAT = Format(
    name=NAME,
    title="a UCDP GED CSV",
    map=map_chunk,
    required=tuple(REQUIRED),
    date_columns=("date_start", "date_end", "source_date"),
    placeholders=PLACEHOLDERS,
    placeholder_dates=PLACEHOLDER_DATES,
)
