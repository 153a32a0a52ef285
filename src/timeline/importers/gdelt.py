"""GDELT 2.0 event exports -> events (`timeline import --format gdelt`).

GDELT files are tab-separated with no header row and 61 columns (`COLUMNS`, in the order
of the GDELT 2.0 event codebook). Everything is read as text, so CAMEO codes keep their
leading zeros ("010" is a statement, "10" would not be). The type comes from the
taxonomy's CAMEO table (`taxonomy.cameo_event_type`, longest prefix wins); a code with no
mapping is rejected. GDELT is huge and mostly noise for one conflict, so `--cameo-root` and
`--country` select rows before anything else; rows not selected are counted, not rejected.
"""

from __future__ import annotations

import csv

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.domain.validation import MAX_TITLE_LENGTH, URL
from timeline.importers import countries
from timeline.importers.base import Format, Mapped, Options, Reasons, mapped, quoted
from timeline.importers.fields import (
    STRING,
    clause,
    compact_dates,
    floats,
    join,
    slug,
    string_lists,
    text,
    truncate,
)

NAME = "gdelt"
COLUMNS = (
    "GLOBALEVENTID SQLDATE MonthYear Year FractionDate "
    "Actor1Code Actor1Name Actor1CountryCode Actor1KnownGroupCode Actor1EthnicCode Actor1Religion1Code "
    "Actor1Religion2Code Actor1Type1Code Actor1Type2Code Actor1Type3Code "
    "Actor2Code Actor2Name Actor2CountryCode Actor2KnownGroupCode Actor2EthnicCode Actor2Religion1Code "
    "Actor2Religion2Code Actor2Type1Code Actor2Type2Code Actor2Type3Code "
    "IsRootEvent EventCode EventBaseCode EventRootCode QuadClass GoldsteinScale NumMentions NumSources "
    "NumArticles AvgTone "
    "Actor1Geo_Type Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_ADM2Code "
    "Actor1Geo_Lat Actor1Geo_Long Actor1Geo_FeatureID "
    "Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_ADM2Code "
    "Actor2Geo_Lat Actor2Geo_Long Actor2Geo_FeatureID "
    "ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_ADM2Code "
    "ActionGeo_Lat ActionGeo_Long ActionGeo_FeatureID DATEADDED SOURCEURL"
).split()

OUTLET = "GDELT 2.0"
CONFIDENCE = "reported"
"""Machine-coded from news articles: at best what one outlet reported."""


def _codes(s: pd.Series, lookup: object) -> pd.Series:
    values = text(s)
    table = {v: lookup(v) for v in values.dropna().unique()}  # type: ignore[operator]
    return values.map(table).astype(STRING)


def selected(chunk: pd.DataFrame, options: Options) -> pd.Series:
    """Rows matching --cameo-root (any) and --country (actor or place, any)."""
    keep = pd.Series(True, index=chunk.index)
    if options.cameo_roots:
        roots = {r.zfill(2) for r in options.cameo_roots}
        keep &= text(chunk["EventRootCode"]).fillna("").str.zfill(2).isin(roots)
    if options.countries:
        wanted = set(options.countries)
        keep &= (
            _codes(chunk["Actor1CountryCode"], countries.from_cameo).isin(wanted).fillna(False)
            | _codes(chunk["Actor2CountryCode"], countries.from_cameo).isin(wanted).fillna(False)
            | _codes(chunk["ActionGeo_CountryCode"], countries.from_fips).isin(wanted).fillna(False)
        )
    return keep.astype(bool)


OUTSIDE = "with a CAMEO code outside the conflict taxonomy"
"""Why rows whose well-formed EventCode maps to no event type are skipped (docs/importing.md)."""

GEO_TYPES = {"1": 4, "2": 3, "3": 1, "4": 1, "5": 3}
"""GDELT's ActionGeo_Type (1 country, 2 US state, 3 US city, 4 world city, 5 world state) as
geo_precision."""


def _domains(urls: pd.Series) -> pd.Series:
    """The site of each address ('https://www.kyivpost.com/x' -> 'kyivpost.com'), missing where
    it is not an http(s) address: by pyarrow's regex kernel (pandas' `str.extract` made a
    Python string of every value, half of a GDELT chunk's mapping)."""
    found = pc.extract_regex(pa.array(urls.array), r"^https?://(?:www\.)?(?P<site>[^/:?#]+)")
    site = pc.if_else(pc.is_valid(found), pc.struct_field(found, "site"), pa.scalar(None, pa.string()))
    return pd.Series(pd.arrays.ArrowStringArray(site.cast(pa.large_string())), index=urls.index, dtype=STRING)


def map_chunk(chunk: pd.DataFrame, options: Options) -> Mapped:
    keep = selected(chunk, options)
    skipped = int((~keep).sum())
    # Most of a daily file is cooperation, protest or rhetoric with no conflict type: left out
    # by design and counted, not rejected (a malformed or blank code is still rejected).
    code = text(chunk["EventCode"])
    outside = (
        keep
        & code.str.fullmatch(r"\d{2,4}").fillna(False).astype(bool)
        & _codes(chunk["EventCode"], taxonomy.cameo_event_type).isna()
    )
    chunk = chunk[keep & ~outside]
    idx = chunk.index
    r = Reasons(idx)

    source_id = text(chunk["GLOBALEVENTID"])
    r.add(source_id.isna(), "missing GLOBALEVENTID")
    day, bad_day = compact_dates(chunk["SQLDATE"])
    r.add(bad_day | day.isna(), "bad date", "SQLDATE " + quoted(chunk["SQLDATE"]) + " (expected YYYYMMDD)")
    code = text(chunk["EventCode"])
    types = _codes(chunk["EventCode"], taxonomy.cameo_event_type)
    r.add(types.isna(), "bad CAMEO code", quoted(chunk["EventCode"]) + " (expected 2 to 4 digits)")
    lat, bad_lat = floats(chunk["ActionGeo_Lat"])
    lon, bad_lon = floats(chunk["ActionGeo_Long"])
    r.add(bad_lat, "latitude is not a number", quoted(chunk["ActionGeo_Lat"]))
    r.add(bad_lon, "longitude is not a number", quoted(chunk["ActionGeo_Long"]))

    actor1 = text(chunk["Actor1Name"]).str.title()
    actor2 = text(chunk["Actor2Name"]).str.title()
    place = text(chunk["ActionGeo_FullName"])
    url_text = text(chunk["SOURCEURL"])
    is_url = url_text.str.match(URL).fillna(False).astype(bool)
    domain = _domains(url_text)
    published, _ = compact_dates(chunk["DATEADDED"])

    labels = types.map(taxonomy.LABELS).astype(STRING)
    names = join(actor1, clause(actor1.notna() & actor2.notna(), ", "), actor2)
    title = join(labels, clause(names.ne(""), ": ", names), clause(place.notna(), " (", place, ")"))
    summary = join(
        "GDELT machine-coded event, CAMEO code ", code,
        clause(actor1.notna(), "; actor 1: ", actor1), clause(actor2.notna(), "; actor 2: ", actor2),
        clause(place.notna(), "; place: ", place), ". ",
        clause(text(chunk["NumSources"]).notna(), text(chunk["NumSources"]), " source(s), "),
        clause(text(chunk["NumArticles"]).notna(), text(chunk["NumArticles"]), " article(s); "),
        clause(text(chunk["GoldsteinScale"]).notna(), "Goldstein scale ", text(chunk["GoldsteinScale"]), ", "),
        clause(text(chunk["AvgTone"]).notna(), "average tone ", text(chunk["AvgTone"]).str.slice(0, 6), ". "),
        clause(url_text.notna(), "Source: ", domain.where(is_url, url_text), ". "),
        "GDELT event ", source_id, ".",
    )  # fmt: skip
    rows = {
        Col.EVENT_ID: "gdelt-" + slug(source_id),
        Col.DATE_START: day,
        Col.DATE_END: day,
        Col.DATE_PRECISION: "day",
        Col.EVENT_TYPE: types,
        Col.TITLE: truncate(title, MAX_TITLE_LENGTH),
        Col.SUMMARY: summary,
        Col.ACTORS: string_lists(idx, actor1, actor2),
        Col.COUNTRIES: string_lists(
            idx,
            _codes(chunk["Actor1CountryCode"], countries.from_cameo),
            _codes(chunk["Actor2CountryCode"], countries.from_cameo),
            _codes(chunk["ActionGeo_CountryCode"], countries.from_fips),
        ),
        Col.INITIATOR_COUNTRIES: string_lists(idx, _codes(chunk["Actor1CountryCode"], countries.from_cameo)),
        Col.LOCATION: place,
        Col.LATITUDE: lat,
        Col.LONGITUDE: lon,
        Col.GEO_PRECISION: text(chunk["ActionGeo_Type"]).map(GEO_TYPES).astype("Int64").where(lat.notna()),
        Col.CONFIDENCE: CONFIDENCE,
        Col.SOURCE_OUTLET: OUTLET,  # one outlet; the article's site is in the summary and source_url
        Col.SOURCE_URL: url_text.where(is_url),
        Col.SOURCE_PUBLISHED: published,
    }
    also = {OUTSIDE: int(outside.sum())} if outside.any() else {}
    return mapped(rows, idx, r, skipped=skipped, also_skipped=also)


FORMAT = Format(
    name=NAME,
    title="a GDELT 2.0 events file (tab-separated, 61 columns, no header)",
    map=map_chunk,
    read_options={"sep": "\t", "header": None, "names": COLUMNS, "quoting": csv.QUOTE_NONE},
    fields=len(COLUMNS),
)
