"""The schema's rules, defined once, as data: per column, whether it may be empty, whether
its values are unique, and its checks; then the rules about a row as a whole.

Each check carries its own vectorised predicate (one column operation, nulls skipped), so
checking rows needs neither pandera nor a Python call per row (`vectorised.py` runs them for
`validation.check`). Each also says which pandera check it is (`kind`, `params`), so
`rulebook.py` builds the equivalent pandera schema from the same definitions: the
reference that `tests/test_vectorised.py` holds the checker to.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from timeline.domain import taxonomy
from timeline.domain.arrowtext import byte_sizes, of_series, text_bytes
from timeline.domain.schema import FIELDS, Col, Kind, as_arrow

Predicate = Callable[[pd.Series], Any]
"""Per value of a series without nulls: True where the value passes."""


@dataclass(frozen=True)
class Rule:
    """One check of a column's values (nulls are skipped, as pandera's `ignore_na`): `ok` is
    how it is computed, `kind` and `params` the pandera check it is (`pandera.Check.<kind>`,
    or a custom `Check(ok)` when `kind` is None)."""

    error: str
    ok: Predicate = field(compare=False)
    kind: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)


def matches(pattern: str, error: str) -> Rule:
    """Values starting with a match of `pattern` (anchor it), as `Check.str_matches`."""
    return Rule(error, lambda s: s.str.match(pattern, na=False), "str_matches", {"pattern": pattern})


def one_of(allowed: Sequence[Any], error: str) -> Rule:
    """Values among `allowed`, as `Check.isin`."""
    return Rule(error, lambda s: s.isin(allowed), "isin", {"allowed_values": allowed})


def at_least(least: Any, error: str) -> Rule:
    """Values >= `least`, as `Check.ge`."""
    return Rule(error, lambda s: s >= least, "ge", {"min_value": least})


def between(least: Any, most: Any, error: str) -> Rule:
    """Values in [least, most], as `Check.in_range`."""
    return Rule(
        error,
        lambda s: operator.le(least, s) & operator.ge(most, s),
        "in_range",
        {"min_value": least, "max_value": most},
    )


def length(error: str, least: int | None = None, most: int | None = None) -> Rule:
    """Text of `least` to `most` characters, as `Check.str_length`."""

    def ok(s: pd.Series) -> Any:
        sizes = _byte_sizes(s)
        if (
            sizes is not None
            and (least is None or least <= 1)
            and (most is None or sizes.max(initial=0) <= most)
        ):
            return pd.Series(sizes >= (least or 0), index=s.index)  # decided by the sizes alone
        n = s.str.len()
        if least is not None and most is not None:
            return (n <= most) & (n >= least)
        return n >= least if most is None else n <= most

    params = {k: v for k, v in (("min_value", least), ("max_value", most)) if v is not None}
    return Rule(error, ok, "str_length", params)


def _byte_sizes(s: pd.Series) -> np.ndarray | None:
    """The UTF-8 sizes of a column of Arrow text without nulls (None for any other column): a
    value of at most N bytes has at most N characters, and one of 0 bytes is blank."""
    values = of_series(s)
    return byte_sizes(values) if values is not None and not values.null_count else None


def custom(ok: Predicate, error: str) -> Rule:
    """A check of our own: `ok` is its vectorised predicate, and pandera runs the same one."""
    return Rule(error, ok)


class ColumnRules(NamedTuple):
    """What a column's values must be."""

    nullable: bool
    unique: bool
    rules: tuple[Rule, ...]


class RowRule(NamedTuple):
    """A rule about a row as a whole, reported under `column`; `ok` is True where it holds."""

    name: str
    column: Col
    error: str
    ok: Callable[[pd.DataFrame], Any]


SLUG = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
URL = r"^https?://\S+$"
SUBDIVISION = r"[A-Z]{2}-[A-Z0-9]{1,3}"
"""An ISO 3166-2 region code: RU-KRS, UA-30."""
ISO3: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.countries)

ALLOWED: dict[Col, Sequence[Any]] = {
    Col.DATE_PRECISION: taxonomy.PRECISIONS,
    Col.EVENT_TYPE: taxonomy.EVENT_TYPE_KEYS,
    Col.GEO_PRECISION: [1, 2, 3, 4],
    Col.COUNT_UNIT: list(taxonomy.COUNT_UNITS),
    Col.CONFIDENCE: taxonomy.CONFIDENCES,
}
"""Columns whose values must be among a list (`one_of`)."""
PATTERNS: dict[Col, str] = {Col.EVENT_ID: SLUG, Col.DATASET: SLUG, Col.SOURCE_URL: URL}
"""Text columns whose values must match a pattern (`matches`)."""
NONBLANK: tuple[Col, ...] = (Col.TITLE, Col.SOURCE_OUTLET)
"""Text columns whose values must not be blank."""
COORDINATES: dict[Col, tuple[int, int]] = {Col.LATITUDE: (-90, 90), Col.LONGITUDE: (-180, 180)}
"""The range of each coordinate, in degrees."""

MAX_LENGTH: dict[Col, int] = {
    Col.EVENT_ID: 160,
    Col.DATE_PRECISION: 16,
    Col.DATE_TEXT: 100,
    Col.EVENT_TYPE: 64,
    Col.TITLE: 200,
    Col.SUMMARY: 5_000,
    Col.KEY_LABEL: 60,
    Col.ACTORS: 200,
    Col.COUNTRIES: 16,
    Col.INITIATOR_COUNTRIES: 16,
    Col.LOCATION: 300,
    Col.AREA_CODE: 8,
    Col.COUNT_UNIT: 32,
    Col.WEAPON: 200,
    Col.CONFIDENCE: 16,
    Col.SOURCE_OUTLET: 500,
    Col.SOURCE_URL: 2_000,
    Col.OTHER_SOURCES: 2_000,
    Col.DATASET: 64,
}
"""Most characters in a text value (for list columns: in each item). Generous for real text
and for the importers' notes; they keep a pasted page or a 10 MB blob out of the dataset."""
MAX_ITEMS: dict[Col, int] = {
    Col.ACTORS: 50,
    Col.COUNTRIES: 50,
    Col.INITIATOR_COUNTRIES: 20,
    Col.OTHER_SOURCES: 20,
}
"""Most items in a list column."""
MAX_ID_LENGTH = MAX_LENGTH[Col.EVENT_ID]
MAX_TITLE_LENGTH = MAX_LENGTH[Col.TITLE]

MULTILINE: frozenset[Col] = frozenset({Col.SUMMARY})
"""Text that may hold tabs and line breaks; every other text value is one line."""
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
CONTROL_MULTILINE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Control characters (C0, DEL, C1) are refused anywhere in a value: NUL and friends break
other tools, and C1 characters are almost always text decoded with the wrong encoding."""
LINE_BREAKS = b"\t\n\r"
"""The C0 characters `CONTROL_MULTILINE` allows (tabs and line breaks)."""

FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)
"""The plausible range of `date_start`, `date_end` and `source_published`: a year 1 or 9999
is a typo or a placeholder, and would make the dashboard say 'data as of 31 Dec 9999'."""
DATE_COLUMNS = (Col.DATE_START, Col.DATE_END, Col.SOURCE_PUBLISHED)


# --- rules ---------------------------------------------------------------------------------


def _list_elements_ok(s: pd.Series, ok: object) -> pd.Series:
    """Per row: every element of the list passes the vectorised predicate `ok`."""
    arr = as_arrow(s)
    flat = pc.list_flatten(arr)
    if len(flat) == 0:
        return pd.Series(True, index=s.index)
    element_ok = np.asarray(ok(flat), dtype=bool)
    parents = np.asarray(pc.list_parent_indices(arr))
    bad_rows = np.zeros(len(s), dtype=bool)
    bad_rows[parents[~element_ok]] = True
    return pd.Series(~bad_rows, index=s.index)


def is_iso3(flat: pa.Array) -> pa.BooleanArray:
    """Per item: an ISO 3166-1 alpha-3 code (a null: False)."""
    return pc.is_in(flat, value_set=pa.array(sorted(ISO3))).fill_null(False)


def is_url(flat: pa.Array) -> pa.BooleanArray:
    """Per item: an http(s) URL (a null: False)."""
    return pc.match_substring_regex(flat, URL).fill_null(False)


def is_nonblank(flat: pa.Array) -> pa.BooleanArray:
    """Per item: text with more than white space (a null: False)."""
    return pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(flat)), 0).fill_null(False)


def _short_items(limit: int) -> object:
    return lambda flat: pc.less_equal(pc.utf8_length(flat), limit).fill_null(True)


def _no_control(flat: pa.Array) -> object:
    return ~control_rows(flat, multiline=False)


def item_counts(lists: pa.Array) -> np.ndarray:
    """How many items each list holds (a missing list: 0), in Arrow, not a Python call per row."""
    return np.asarray(pc.list_value_length(lists).fill_null(0))


def _few_items(s: pd.Series, limit: int) -> pd.Series:
    return pd.Series(item_counts(as_arrow(s)) <= limit, index=s.index)


def control_rows(values: pa.Array | pa.ChunkedArray, multiline: bool) -> np.ndarray:
    """Per value of an Arrow text array: whether it holds a character `CONTROL` (or, with
    `multiline`, `CONTROL_MULTILINE`) matches; a null: False.

    Read from the UTF-8 bytes in a few numpy passes instead of a regex per value (a third
    of the rules' time on an import): in UTF-8 a C0 character or DEL is a byte below 0x80,
    which no other character contains, and a C1 character (U+0080..U+009F) is the pair
    0xC2 0x80..0x9F, 0xC2 being only ever a lead byte."""
    arr, offsets, data = text_bytes(values)
    n = len(arr)
    if not len(data):
        return np.zeros(n, dtype=bool)
    at = _unusual_bytes(data)
    byte = data[at]
    follow = np.where(at + 1 < len(data), data[np.minimum(at + 1, len(data) - 1)], 0)
    c0 = byte < 0x20
    if multiline:
        c0 &= np.isin(byte, np.frombuffer(LINE_BREAKS, dtype=np.uint8), invert=True)
    at = at[c0 | (byte == 0x7F) | ((byte == 0xC2) & (follow >= 0x80) & (follow <= 0x9F))]
    out = np.zeros(n, dtype=bool)
    if len(at):
        out[np.searchsorted(offsets, at, side="right") - 1] = True
    if arr.null_count:
        out &= np.asarray(arr.is_valid())
    return out


_BLOCK = 1 << 18
"""Bytes scanned at a time by `_unusual_bytes`: its temporaries stay in the cache and are
never fresh pages (a summary column is some 30 MB a chunk)."""


def _unusual_bytes(data: np.ndarray) -> np.ndarray:
    """Positions of the bytes outside 0x20..0x7E (printable ASCII), in one pass of wrapping
    subtraction, block by block; `control_rows` then looks at those few closely."""
    shifted = np.empty(min(len(data), _BLOCK), dtype=np.uint8)
    unusual = np.empty(len(shifted), dtype=bool)
    found = []
    for start in range(0, len(data), _BLOCK):
        block = data[start : start + _BLOCK]
        n = len(block)
        np.subtract(block, np.uint8(0x20), out=shifted[:n])
        np.greater_equal(shifted[:n], np.uint8(0x5F), out=unusual[:n])
        if unusual[:n].any():
            found.append(np.flatnonzero(unusual[:n]) + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _no_control_text(s: pd.Series, multiline: bool) -> pd.Series:
    try:
        values = as_arrow(s)
    except (pa.ArrowException, TypeError, ValueError):  # values Arrow cannot hold as one type
        values = None
    if values is None or not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        pattern = CONTROL_MULTILINE if multiline else CONTROL  # not text (pandera's reference): as re
        return ~s.str.contains(pattern, regex=True).fillna(False).astype(bool)
    return pd.Series(~control_rows(values, multiline), index=s.index)


def control_reason(col: Col) -> str:
    """Why a value with a control character is refused (tabs and line breaks: summary only)."""
    if col in MULTILINE:
        return "contains a control character; only tabs and line breaks are allowed here"
    return "contains a control character; this field is one line of text, without tabs or line breaks"


def _text_checks(col: Col, kind: Kind) -> list[Rule]:
    """Length, item count and control-character checks, which every text field has."""
    limit = MAX_LENGTH[col]
    too_long = f"longer than {limit:,} characters"
    if kind is Kind.LIST:
        most = MAX_ITEMS[col]
        return [
            custom(lambda s: _list_elements_ok(s, _short_items(limit)), f"has an item {too_long}"),
            custom(lambda s: _few_items(s, most), f"has more than {most} items"),
            custom(lambda s: _list_elements_ok(s, _no_control), control_reason(col)),
        ]
    multiline = col in MULTILINE
    return [
        length(too_long, most=limit),
        custom(lambda s: _no_control_text(s, multiline), control_reason(col)),
    ]


def max_span_days(precisions: pa.Array) -> pa.Array:
    """Per precision (Arrow text): the most days its interval may cover, as float64
    (`taxonomy.MAX_SPAN_DAYS`); null for `day`, any other value and a null."""
    spans = taxonomy.MAX_SPAN_DAYS
    at = pc.index_in(precisions, value_set=pa.array(list(spans), pa.string()))
    return pa.array(list(spans.values()), pa.float64()).take(at)


def _span_ok(df: pd.DataFrame) -> pd.Series:
    span = (df[Col.DATE_END] - df[Col.DATE_START]).dt.days + 1
    precision = df[Col.DATE_PRECISION]
    if isinstance(precision.dtype, pd.StringDtype):  # looked up in Arrow, not per value
        days = max_span_days(as_arrow(precision))
        limit = pd.Series(days.to_numpy(zero_copy_only=False), index=df.index)
    else:
        limit = precision.map(taxonomy.MAX_SPAN_DAYS).astype("float64")
    return ~(limit.notna() & span.notna() & (span > limit))


def _units_present(df: pd.DataFrame) -> pd.Series:
    has_numbers = df[Col.COUNT].notna() | df[Col.INTERCEPTED].notna()
    return ~has_numbers | df[Col.COUNT_UNIT].notna()


def _initiator_for_strikes(df: pd.DataFrame) -> pd.Series:
    strike = df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
    named = pd.Series(item_counts(as_arrow(df[Col.INITIATOR_COUNTRIES])) > 0, index=df.index)
    return ~strike | named


def _area_matches_precision(df: pd.DataFrame) -> pd.Series:
    """An area, when given, is a region (ISO 3166-2) for precision 3, a country (alpha-3) for
    4, either for 1 and 2 (the place's region or country); it needs a precision."""
    precision, area = df[Col.GEO_PRECISION], df[Col.AREA_CODE]
    region = area.str.fullmatch(SUBDIVISION).fillna(False).astype(bool)
    country = area.isin(sorted(ISO3))
    ok = area.isna().to_numpy(copy=True)
    ok |= (precision.isin([1, 2]).fillna(False).astype(bool) & (region | country)).to_numpy()
    ok |= ((precision == 3).fillna(False).astype(bool) & region).to_numpy()
    ok |= ((precision == 4).fillna(False).astype(bool) & country).to_numpy()
    return pd.Series(ok, index=df.index)


def _intercepted_le_count(df: pd.DataFrame) -> pd.Series:
    both = df[Col.COUNT].notna() & df[Col.INTERCEPTED].notna()
    return (~both | (df[Col.INTERCEPTED].fillna(0) <= df[Col.COUNT].fillna(0))).astype(bool)


ROW_RULES: tuple[RowRule, ...] = tuple(
    RowRule(*rule)
    for rule in (
        (
            "date_order",
            Col.DATE_END,
            "date_end is before date_start",
            lambda d: ~(d[Col.DATE_END] < d[Col.DATE_START]).fillna(False),
        ),
        (
            "precision_span",
            Col.DATE_PRECISION,
            "interval is longer than this precision allows (week <= 7 days, month <= 31, year <= 366)",
            _span_ok,
        ),
        (
            "coordinates_pair",
            Col.LATITUDE,
            "latitude and longitude must be given together or not at all",
            lambda d: d[Col.LATITUDE].isna() == d[Col.LONGITUDE].isna(),
        ),
        (
            "count_unit_present",
            Col.COUNT_UNIT,
            "count_unit is required when count or intercepted is given",
            _units_present,
        ),
        (
            "intercepted_le_count",
            Col.INTERCEPTED,
            "intercepted is larger than count",
            _intercepted_le_count,
        ),
        (
            "intercepted_needs_count",
            Col.COUNT,
            "count is missing but intercepted is given: a share of an unknown total says nothing "
            "(state it in the summary)",
            lambda d: ~(d[Col.INTERCEPTED].notna() & d[Col.COUNT].isna()),
        ),
        (
            "initiator_for_strikes",
            Col.INITIATOR_COUNTRIES,
            "a strike must name the side that launched it (initiator_countries)",
            _initiator_for_strikes,
        ),
        (
            "area_matches_precision",
            Col.AREA_CODE,
            "area_code must be an ISO 3166-2 region for geo_precision 3, an alpha-3 country for 4, "
            "and comes with a geo_precision",
            _area_matches_precision,
        ),
        (
            "precision_needs_coordinates",
            Col.GEO_PRECISION,
            "geo_precision is given without coordinates",
            lambda d: ~(d[Col.GEO_PRECISION].notna() & d[Col.LATITUDE].isna()),
        ),
    )
)
"""The rules about a row as a whole, each reported under one column."""


@cache
def column_rules() -> dict[Col, ColumnRules]:
    """Every column's rules (a canonical frame: dtypes are ensured by `coerce`)."""
    iso3 = custom(lambda s: _list_elements_ok(s, is_iso3), "contains a code that is not ISO 3166-1 alpha-3")
    checks: dict[Col, list[Rule]] = {
        Col.EVENT_ID: [matches(PATTERNS[Col.EVENT_ID], "not a slug: use lowercase letters, digits and '-'")],
        Col.DATE_PRECISION: [
            one_of(ALLOWED[Col.DATE_PRECISION], f"not one of {', '.join(ALLOWED[Col.DATE_PRECISION])}")
        ],
        Col.EVENT_TYPE: [one_of(ALLOWED[Col.EVENT_TYPE], "not a known event type")],
        Col.ACTORS: [custom(lambda s: _list_elements_ok(s, is_nonblank), "contains a blank actor")],
        Col.COUNTRIES: [iso3],
        Col.INITIATOR_COUNTRIES: [iso3],
        Col.GEO_PRECISION: [
            one_of(
                ALLOWED[Col.GEO_PRECISION], "not 1 (exact place), 2 (near a place), 3 (region) or 4 (country)"
            )
        ],
        **{
            col: [between(lo, hi, f"{col} must be between {lo} and {hi}")]
            for col, (lo, hi) in COORDINATES.items()
        },
        Col.COUNT: [at_least(0, "must not be negative")],
        Col.INTERCEPTED: [at_least(0, "must not be negative")],
        Col.COUNT_UNIT: [one_of(ALLOWED[Col.COUNT_UNIT], "not a known count unit")],
        Col.CONFIDENCE: [one_of(ALLOWED[Col.CONFIDENCE], f"not one of {', '.join(ALLOWED[Col.CONFIDENCE])}")],
        Col.SOURCE_URL: [matches(PATTERNS[Col.SOURCE_URL], "not an http(s) URL")],
        Col.OTHER_SOURCES: [
            custom(lambda s: _list_elements_ok(s, is_url), "contains an entry that is not an http(s) URL")
        ],
        Col.DATASET: [matches(PATTERNS[Col.DATASET], "not a slug")],
        **{col: [length("must not be blank", least=1)] for col in NONBLANK},
    }
    plausible = between(
        pd.Timestamp(FIRST_DATE),
        pd.Timestamp(LAST_DATE),
        f"outside the plausible range {FIRST_DATE} to {LAST_DATE}",
    )
    for col in DATE_COLUMNS:
        checks.setdefault(col, []).append(plausible)
    for f in FIELDS:
        if f.col in MAX_LENGTH:
            checks.setdefault(f.col, []).extend(_text_checks(f.col, f.kind))
    return {
        f.col: ColumnRules(not f.required, f.col is Col.EVENT_ID, tuple(checks.get(f.col, [])))
        for f in FIELDS
    }
