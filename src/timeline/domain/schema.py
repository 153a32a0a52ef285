"""The event schema (v2): column names, Arrow types, and the in-memory pandas dtypes.

This is the one definition of the table. The loader, validator, CLI, importers, exports
and tests refer to columns through `Col`, never through string literals, and Parquet is
always written with `ARROW_SCHEMA` so files from different times concatenate cleanly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd
import pyarrow as pa

SCHEMA_VERSION = "2"
SCHEMA_VERSION_KEY = b"timeline.schema_version"


class Col(StrEnum):
    EVENT_ID = "event_id"
    DATE_START = "date_start"
    DATE_END = "date_end"
    DATE_PRECISION = "date_precision"
    DATE_TEXT = "date_text"
    EVENT_TYPE = "event_type"
    TITLE = "title"
    SUMMARY = "summary"
    KEY_LABEL = "key_label"
    ACTORS = "actors"
    COUNTRIES = "countries"
    INITIATOR_COUNTRIES = "initiator_countries"
    LOCATION = "location"
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    GEO_PRECISION = "geo_precision"
    AREA_CODE = "area_code"
    COUNT = "count"
    COUNT_UNIT = "count_unit"
    INTERCEPTED = "intercepted"
    WEAPON = "weapon"
    CONFIDENCE = "confidence"
    SOURCE_OUTLET = "source_outlet"
    SOURCE_URL = "source_url"
    SOURCE_PUBLISHED = "source_published"
    OTHER_SOURCES = "other_sources"
    ADDED_AT = "added_at"
    DATASET = "dataset"


class Kind(StrEnum):
    """Logical value kinds; each maps to one Arrow type and one pandas dtype."""

    STRING = "string"
    DATE = "date"
    INT = "int"
    FLOAT = "float"
    LIST = "list"
    TIMESTAMP = "timestamp"


STRING_LIST = pa.list_(pa.string())

ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.STRING: pa.string(),
    Kind.DATE: pa.date32(),
    Kind.INT: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.LIST: STRING_LIST,
    Kind.TIMESTAMP: pa.timestamp("ms", tz="UTC"),
}

PANDAS_DTYPES: dict[Kind, object] = {
    Kind.STRING: pd.StringDtype(na_value=float("nan")),
    Kind.DATE: "datetime64[ms]",
    Kind.INT: pd.Int64Dtype(),
    Kind.FLOAT: "float64",
    Kind.LIST: pd.ArrowDtype(STRING_LIST),
    Kind.TIMESTAMP: "datetime64[ms, UTC]",
}


@dataclass(frozen=True)
class Field:
    col: Col
    kind: Kind
    required: bool
    description: str


FIELDS: tuple[Field, ...] = (
    Field(
        Col.EVENT_ID, Kind.STRING, True, "Unique, stable, readable slug, e.g. 2024-11-25-ru-drone-attack-ua."
    ),
    Field(Col.DATE_START, Kind.DATE, True, "First day of the event (inclusive)."),
    Field(Col.DATE_END, Kind.DATE, True, "Last day (inclusive); an overnight attack spans two dates."),
    Field(
        Col.DATE_PRECISION,
        Kind.STRING,
        True,
        "How exactly the source dates the event: day, week, month or year.",
    ),
    Field(Col.DATE_TEXT, Kind.STRING, False, "The date phrase as reported ('Monday night', 'last month')."),
    Field(Col.EVENT_TYPE, Kind.STRING, True, "A key of the taxonomy (docs/schema.md)."),
    Field(Col.TITLE, Kind.STRING, True, "Short headline in our own words."),
    Field(Col.SUMMARY, Kind.STRING, False, "One to three sentences in our own words."),
    Field(
        Col.KEY_LABEL,
        Kind.STRING,
        False,
        "Marks a key event: the short label its call-out carries on the timeline and in exports.",
    ),
    Field(Col.ACTORS, Kind.LIST, True, "People and organisations involved (may be empty)."),
    Field(Col.COUNTRIES, Kind.LIST, True, "ISO 3166-1 alpha-3 codes of the parties (may be empty)."),
    Field(
        Col.INITIATOR_COUNTRIES,
        Kind.LIST,
        True,
        "ISO alpha-3 codes of the side that acted: who launched a strike (required for strikes).",
    ),
    Field(Col.LOCATION, Kind.STRING, False, "Place name, or a region when no city applies."),
    Field(Col.LATITUDE, Kind.FLOAT, False, "Decimal degrees; given together with longitude or not at all."),
    Field(Col.LONGITUDE, Kind.FLOAT, False, "Decimal degrees; given together with latitude or not at all."),
    Field(
        Col.GEO_PRECISION,
        Kind.INT,
        False,
        "How exactly the coordinates place it: 1 exact place, 2 near a place, 3 region, 4 country.",
    ),
    Field(
        Col.AREA_CODE,
        Kind.STRING,
        False,
        "The region (ISO 3166-2, e.g. RU-KRS) or country (ISO alpha-3) a precision 3 or 4 event covers.",
    ),
    Field(Col.COUNT, Kind.INT, False, "The headline number (launched, troops, people); missing is not zero."),
    Field(Col.COUNT_UNIT, Kind.STRING, False, "What count and intercepted count (taxonomy.COUNT_UNITS)."),
    Field(
        Col.INTERCEPTED,
        Kind.INT,
        False,
        "How many were shot down or intercepted, as claimed by the defender.",
    ),
    Field(Col.WEAPON, Kind.STRING, False, "Weapon types, ';'-separated."),
    Field(Col.CONFIDENCE, Kind.STRING, True, "confirmed, reported or claimed."),
    Field(Col.SOURCE_OUTLET, Kind.STRING, True, "The outlet or dataset the row comes from."),
    Field(Col.SOURCE_URL, Kind.STRING, False, "http(s) address of the source page."),
    Field(Col.SOURCE_PUBLISHED, Kind.DATE, False, "Publication date of the source."),
    Field(Col.OTHER_SOURCES, Kind.LIST, True, "Further corroborating URLs (may be empty)."),
    Field(Col.ADDED_AT, Kind.TIMESTAMP, True, "UTC time the row was appended; set by the append path."),
    Field(Col.DATASET, Kind.STRING, True, "Origin of the row: 'curated', an importer name, or 'synthetic'."),
)

FIELDS_BY_COL: dict[Col, Field] = {f.col: f for f in FIELDS}
COLUMNS: tuple[str, ...] = tuple(str(f.col) for f in FIELDS)
REQUIRED: tuple[Col, ...] = tuple(f.col for f in FIELDS if f.required)
LIST_COLUMNS: tuple[Col, ...] = tuple(f.col for f in FIELDS if f.kind is Kind.LIST)

ARROW_SCHEMA = pa.schema(
    [pa.field(str(f.col), ARROW_TYPES[f.kind], nullable=True) for f in FIELDS],
    metadata={SCHEMA_VERSION_KEY: SCHEMA_VERSION.encode()},
)


V1_ADDED: tuple[Col, ...] = (Col.KEY_LABEL, Col.INITIATOR_COUNTRIES, Col.GEO_PRECISION, Col.AREA_CODE)
"""The columns schema v2 added to v1; `timeline migrate` fills them (docs/schema.md)."""


def empty_frame() -> pd.DataFrame:
    """A zero-row frame with every column in its canonical dtype."""
    return pd.DataFrame({str(f.col): pd.Series([], dtype=PANDAS_DTYPES[f.kind]) for f in FIELDS})


def _pandas_type(arrow_type: pa.DataType) -> object | None:
    if arrow_type == pa.int64():
        return pd.Int64Dtype()
    if pa.types.is_list(arrow_type) and pa.types.is_string(arrow_type.value_type):
        return pd.ArrowDtype(STRING_LIST)
    return None


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """Arrow table -> frame in the canonical dtypes (zero-copy where it can).

    Parquet names list items `element` where Arrow says `item`; casting to `ARROW_SCHEMA`
    first keeps one list dtype everywhere."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if name in ARROW_SCHEMA.names:
            # An uncastable column (text in `count`) stays as stored; validation.coerce
            # then reports each value it cannot parse.
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = column.cast(ARROW_SCHEMA.field(name).type)
        columns[name] = column
    df = pa.table(columns).to_pandas(types_mapper=_pandas_type, date_as_object=False)
    for f in FIELDS:
        name = str(f.col)
        if name in df.columns and f.kind is Kind.STRING:
            df[name] = df[name].astype(PANDAS_DTYPES[Kind.STRING])
    return df


def one_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The array behind a column: a chunked array's one chunk as it is (`combine_chunks`
    copies even a single chunk: a summary column is some 30 MB a chunk of an import), or
    its chunks combined."""
    if not isinstance(arr, pa.ChunkedArray):
        return arr
    return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()


def as_arrow(series: pd.Series) -> pa.Array:
    """The Arrow array behind a column (one chunk), for pyarrow.compute on list columns."""
    arr = (
        pa.array(series.array)
        if isinstance(series.dtype, pd.ArrowDtype)
        else pa.array(series, from_pandas=True)
    )
    return one_array(arr)


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """Canonical frame -> Arrow table in `ARROW_SCHEMA`, columns in schema order."""
    arrays = []
    for f in FIELDS:
        series = df[str(f.col)]
        if isinstance(series.dtype, pd.CategoricalDtype):  # the dashboard's catalog uses categories
            series = series.astype(PANDAS_DTYPES[f.kind])
        arrow_type = ARROW_TYPES[f.kind]
        if f.kind is Kind.DATE:
            arr = pa.array(series.to_numpy(dtype="datetime64[ms]"), type=pa.timestamp("ms")).cast(pa.date32())
        else:
            arr = pa.array(series, type=arrow_type, from_pandas=True)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


SEARCH_COLUMN = "search_text"
"""Derived storage columns of partitioned datasets (`parts.py`), not part of the schema: the
lower-cased text the search looks in, and each list column as one string of keys, computed
once when a part is written, so a query reads short strings instead of unpacking lists."""
SEARCHED: tuple[Col, ...] = (Col.TITLE, Col.SUMMARY, Col.LOCATION, Col.ACTORS)
KEY_SEPARATOR = "\x1f"
"""Between the items of a list-as-text column: a control character, which no value may hold."""
KEYS_COLUMNS: dict[Col, str] = {Col.COUNTRIES: "countries_keys", Col.ACTORS: "actors_keys"}
DERIVED_COLUMNS: tuple[str, ...] = (SEARCH_COLUMN, *KEYS_COLUMNS.values())


class IncidentCol(StrEnum):
    """Columns the engine attaches to each report from the stored incidents
    (`engine/incidents.py`, docs/matching.md): not part of the schema, never written."""

    INCIDENT = "incident_id"  # the representative report's event_id (its own when alone)
    REPORTS = "incident_reports"  # reports of the incident
    SOURCES = "incident_sources"  # distinct datasets among them
    PRIMARY = "incident_primary"  # this row represents its incident (counted in incident mode)
    ONLY = "incident_only"  # the one dataset of an incident reported by one source, else null
    COUNTS = "incident_counts"  # 'Air Force: 188; curated: 188' when several reports give counts


def search_text(table: pa.Table) -> pa.Array:
    """Lower-cased title, summary, place and actors, space-separated, one string per row."""
    import pyarrow.compute as pc

    parts = []
    for col in SEARCHED:
        column = table.column(str(col))
        if pa.types.is_list(column.type):
            column = pc.binary_join(column, " ")
        parts.append(pc.fill_null(column.cast(pa.large_string()), ""))
    joined = pc.binary_join_element_wise(*parts, pa.scalar(" ", pa.large_string()))
    return pc.utf8_lower(joined).cast(pa.string())


def list_keys(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """['UKR', 'RUS'] -> '\x1fUKR\x1fRUS\x1f': `contains('\x1fUKR\x1f')` tests membership."""
    import pyarrow.compute as pc

    joined = pc.fill_null(pc.binary_join(column, KEY_SEPARATOR), "")
    return pc.binary_join_element_wise(KEY_SEPARATOR, joined, KEY_SEPARATOR, "")


def derived_columns(table: pa.Table) -> dict[str, pa.Array]:
    """The derived storage columns of a table in the schema."""
    out = {SEARCH_COLUMN: search_text(table)}
    for col, name in KEYS_COLUMNS.items():
        out[name] = list_keys(table.column(str(col)))
    return out
