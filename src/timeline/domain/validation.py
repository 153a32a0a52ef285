"""Turn loosely typed rows into the canonical frame, and check every schema rule.

The parts: `problems.py` (what a problem says, and how many are listed), `coercion.py`
(parsing values into the canonical dtypes) and this module (the rules, and `check`, which
runs all three); what they offer is named here too.

Two steps, both reporting `Problem`s (row, event_id, column, value, reason) instead of
raising on the first error, so a maintainer sees everything wrong with a batch at once:

- `coerce` parses text, JSON values or mistyped Parquet columns into the canonical dtypes;
- `validate` checks the rules (taxonomy, ranges, date order, precision spans, text lengths,
  control characters, ...) with pandera, whose failure cases we translate into one readable
  line each.

A batch of two million bad rows must not become two million `Problem`s: with a `limit`, at
most that many are made per rule, the last one counting the rest (`Problem.more`), and
`summarise` prints them that way. `split_valid` gives the dashboard a file's valid rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from timeline.domain import taxonomy
from timeline.domain.coercion import (
    INT64_MAX as INT64_MAX,  # the API of validation, named here too
    check_columns,
    coerce as coerce,
    coerce_frame,
    coercion_problems,
)
from timeline.domain.problems import (
    PROBLEMS_PER_RULE,
    Problem,
    ValidationFailed as ValidationFailed,
    count as count,
    problems_for,
    summarise as summarise,
)
from timeline.domain.rulebook import pdr
from timeline.domain.schema import FIELDS, Col, Kind, as_arrow

SLUG = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
URL = r"^https?://\S+$"
SUBDIVISION = r"[A-Z]{2}-[A-Z0-9]{1,3}"
"""An ISO 3166-2 region code: RU-KRS, UA-30."""
ISO3: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.countries)

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


def _is_iso3(flat: pa.Array) -> object:
    return pc.is_in(flat, value_set=pa.array(sorted(ISO3))).fill_null(False)


def _is_url(flat: pa.Array) -> object:
    return pc.match_substring_regex(flat, URL).fill_null(False)


def _is_nonblank(flat: pa.Array) -> object:
    return pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(flat)), 0).fill_null(False)


def _short_items(limit: int) -> object:
    return lambda flat: pc.less_equal(pc.utf8_length(flat), limit).fill_null(True)


def _no_control(flat: pa.Array) -> object:
    return pc.invert(pc.match_substring_regex(flat, CONTROL)).fill_null(True)


def _item_counts(s: pd.Series) -> np.ndarray:
    """How many items each list holds (a missing list: 0), in Arrow, not a Python call per row."""
    return np.asarray(pc.list_value_length(as_arrow(s)).fill_null(0))


def _few_items(s: pd.Series, limit: int) -> pd.Series:
    return pd.Series(_item_counts(s) <= limit, index=s.index)


def _no_control_text(s: pd.Series, pattern: str) -> pd.Series:
    return ~s.str.contains(pattern, regex=True).fillna(False).astype(bool)


def control_reason(col: Col) -> str:
    """Why a value with a control character is refused (tabs and line breaks: summary only)."""
    if col in MULTILINE:
        return "contains a control character; only tabs and line breaks are allowed here"
    return "contains a control character; this field is one line of text, without tabs or line breaks"


def _text_checks(col: Col, kind: Kind) -> list[pdr.Check]:
    """Length, item count and control-character checks, which every text field has."""
    limit = MAX_LENGTH[col]
    too_long = f"longer than {limit:,} characters"
    if kind is Kind.LIST:
        most = MAX_ITEMS[col]
        return [
            _check(lambda s: _list_elements_ok(s, _short_items(limit)), f"has an item {too_long}"),
            _check(lambda s: _few_items(s, most), f"has more than {most} items"),
            _check(lambda s: _list_elements_ok(s, _no_control), control_reason(col)),
        ]
    pattern = CONTROL_MULTILINE if col in MULTILINE else CONTROL
    return [
        pdr.Check.str_length(max_value=limit, error=too_long),
        _check(lambda s: _no_control_text(s, pattern), control_reason(col)),
    ]


def _span_ok(df: pd.DataFrame) -> pd.Series:
    span = (df[Col.DATE_END] - df[Col.DATE_START]).dt.days + 1
    limit = df[Col.DATE_PRECISION].map(taxonomy.MAX_SPAN_DAYS).astype("float64")
    return ~(limit.notna() & span.notna() & (span > limit))


def _units_present(df: pd.DataFrame) -> pd.Series:
    has_numbers = df[Col.COUNT].notna() | df[Col.INTERCEPTED].notna()
    return ~has_numbers | df[Col.COUNT_UNIT].notna()


def _initiator_for_strikes(df: pd.DataFrame) -> pd.Series:
    strike = df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
    named = pd.Series(_item_counts(df[Col.INITIATOR_COUNTRIES]) > 0, index=df.index)
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


# (name, column to report, reason, predicate over the frame: True where the row is fine)
_ROW_RULES = (
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


def _check(fn: object, error: str) -> pdr.Check:
    return pdr.Check(fn, error=error)


@cache
def rules_schema() -> pdr.DataFrameSchema:
    """The pandera schema for a canonical frame (dtypes are ensured by `coerce`)."""
    Check = pdr.Check
    nonblank = Check.str_length(min_value=1, error="must not be blank")
    checks: dict[Col, list[pdr.Check]] = {
        Col.EVENT_ID: [Check.str_matches(SLUG, error="not a slug: use lowercase letters, digits and '-'")],
        Col.DATE_PRECISION: [
            Check.isin(taxonomy.PRECISIONS, error=f"not one of {', '.join(taxonomy.PRECISIONS)}")
        ],
        Col.EVENT_TYPE: [Check.isin(taxonomy.EVENT_TYPE_KEYS, error="not a known event type")],
        Col.TITLE: [nonblank],
        Col.ACTORS: [_check(lambda s: _list_elements_ok(s, _is_nonblank), "contains a blank actor")],
        Col.COUNTRIES: [
            _check(lambda s: _list_elements_ok(s, _is_iso3), "contains a code that is not ISO 3166-1 alpha-3")
        ],
        Col.INITIATOR_COUNTRIES: [
            _check(lambda s: _list_elements_ok(s, _is_iso3), "contains a code that is not ISO 3166-1 alpha-3")
        ],
        Col.GEO_PRECISION: [
            Check.isin([1, 2, 3, 4], error="not 1 (exact place), 2 (near a place), 3 (region) or 4 (country)")
        ],
        Col.LATITUDE: [Check.in_range(-90, 90, error="latitude must be between -90 and 90")],
        Col.LONGITUDE: [Check.in_range(-180, 180, error="longitude must be between -180 and 180")],
        Col.COUNT: [Check.ge(0, error="must not be negative")],
        Col.INTERCEPTED: [Check.ge(0, error="must not be negative")],
        Col.COUNT_UNIT: [Check.isin(list(taxonomy.COUNT_UNITS), error="not a known count unit")],
        Col.CONFIDENCE: [
            Check.isin(taxonomy.CONFIDENCES, error=f"not one of {', '.join(taxonomy.CONFIDENCES)}")
        ],
        Col.SOURCE_OUTLET: [nonblank],
        Col.SOURCE_URL: [Check.str_matches(URL, error="not an http(s) URL")],
        Col.OTHER_SOURCES: [
            _check(lambda s: _list_elements_ok(s, _is_url), "contains an entry that is not an http(s) URL")
        ],
        Col.DATASET: [Check.str_matches(SLUG, error="not a slug")],
    }
    plausible = Check.in_range(
        pd.Timestamp(FIRST_DATE),
        pd.Timestamp(LAST_DATE),
        error=f"outside the plausible range {FIRST_DATE} to {LAST_DATE}",
    )
    for col in DATE_COLUMNS:
        checks.setdefault(col, []).append(plausible)
    for f in FIELDS:
        if f.col in MAX_LENGTH:
            checks.setdefault(f.col, []).extend(_text_checks(f.col, f.kind))
    columns = {
        str(f.col): pdr.Column(
            None, checks.get(f.col, []), nullable=not f.required, unique=f.col is Col.EVENT_ID
        )
        for f in FIELDS
    }
    rules = [pdr.Check(rule, name=name, error=reason) for name, _, reason, rule in _ROW_RULES]
    return pdr.DataFrameSchema(columns, checks=rules, strict=False, coerce=False)


_BUILTIN_REASONS = {
    "not_nullable": "is required but empty",
    "field_uniqueness": "duplicate event_id (appears more than once)",
}
_RULE_COLUMN_BY_REASON = {reason: str(col) for _, col, reason, _ in _ROW_RULES}
_CONTROL_REASONS = {
    control_reason(col): CONTROL_MULTILINE if col in MULTILINE else CONTROL for col in MAX_LENGTH
}
"""Problems whose value is shown around its first control character."""


def _failures(df: pd.DataFrame) -> pd.DataFrame:
    """Every rule violation of a canonical frame (index reset) as (reason, column, index)."""
    try:
        rules_schema().validate(df, lazy=True)
        return pd.DataFrame({"reason": [], "column": [], "index": []})
    except pdr.errors.SchemaErrors as err:
        cases = err.failure_cases
    cases = cases[cases["index"].notna()]
    # A frame-wide rule reports every column of a failing row; keep the one it is about.
    rule_column = cases["check"].map(_RULE_COLUMN_BY_REASON)
    cases = cases.assign(column=rule_column.fillna(cases["column"]), index=cases["index"].astype(int))
    cases = cases.drop_duplicates(["check", "index", "column"])
    reason = cases["check"].map(lambda c: _BUILTIN_REASONS.get(c, c))
    return pd.DataFrame({"reason": reason, "column": cases["column"], "index": cases["index"]})


def _rule_problems(
    failures: pd.DataFrame, shown: pd.DataFrame, limit: int | None, skip: dict[str, np.ndarray] | None = None
) -> list[Problem]:
    problems: list[Problem] = []
    for (reason, column), group in failures.groupby(["reason", "column"], sort=False):
        positions = np.sort(group["index"].to_numpy(dtype=np.int64))
        if skip and str(column) in skip:  # the value could not be parsed: reported as that
            positions = positions[~skip[str(column)][positions]]
        control = _CONTROL_REASONS.get(str(reason))
        problems += problems_for(shown, positions, str(column), str(reason), limit, control)
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return problems


def validate(df: pd.DataFrame, shown: pd.DataFrame | None = None, limit: int | None = None) -> list[Problem]:
    """Every rule violation in a canonical frame, in row order (with `limit`, at most that
    many per rule and column, the last counting the rest).

    `shown` is the frame whose values the messages quote (the maintainer's own text,
    before parsing); it defaults to `df`."""
    df = df.reset_index(drop=True)
    shown = df if shown is None else shown.reset_index(drop=True)
    return _rule_problems(_failures(df), shown, limit)


def _checked(
    raw: pd.DataFrame, limit: int | None, failures: Failures | None = None
) -> tuple[pd.DataFrame, list[Problem], np.ndarray | None]:
    """`check`, plus a mask of the rows with any problem (None when a column is missing);
    `failures` finds the rule violations (pandera's, `_failures`, unless given)."""
    problems = check_columns([str(c) for c in raw.columns], limit)
    if any(p.rule == "missing column" for p in problems):
        return raw, problems, None
    raw = raw.reset_index(drop=True)
    df, found = coerce_frame(raw)
    problems += coercion_problems(raw, found, limit)
    unparsed = {
        name: np.logical_or.reduce([m.to_numpy(dtype=bool) for _, m in bad])
        for name, bad in found.items()
        if bad
    }
    found_rules = (failures or _failures)(df)
    problems += _rule_problems(found_rules, raw, limit, skip=unparsed)
    bad_rows = np.zeros(len(df), dtype=bool)
    bad_rows[found_rules["index"].to_numpy(dtype=np.int64)] = True
    for mask in unparsed.values():
        bad_rows |= mask
    return df, problems, bad_rows


def check(raw: pd.DataFrame, limit: int | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Columns, coercion and rules in one call: what `timeline validate` and append use. With
    `limit`, at most that many problems per rule and column are made, the last one counting
    the rest (`Problem.more`): two million bad rows cost a few hundred objects."""
    df, problems, _ = _checked(raw, limit)
    return df, problems


Failures = Callable[[pd.DataFrame], pd.DataFrame]
"""What finds every rule violation of a canonical frame (index reset): rows of (reason,
column, index), as `_failures` makes them from pandera's failure cases."""

BUILTIN_REASONS = _BUILTIN_REASONS
"""How pandera's own checks (nulls, duplicates) are reported, by their name."""


def rule_column(reason: str) -> str:
    """The column a frame-wide rule's problem is reported under, by the rule's reason."""
    return _RULE_COLUMN_BY_REASON[reason]


def check_with(
    raw: pd.DataFrame, failures: Failures, limit: int | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """`check`, the rule violations found by `failures` instead of pandera (the same rules,
    evaluated column by column: `vectorised.failures`, what imports use)."""
    df, problems, _ = _checked(raw, limit, failures)
    return df, problems


def split_valid(
    df: pd.DataFrame, limit: int | None = PROBLEMS_PER_RULE
) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows of a frame (a loaded dataset) that pass every rule, and the problems of the
    others: what a reader such as the dashboard shows instead of trusting a file. Rows keep
    their index; both rows of a duplicated event_id are left out."""
    _, problems, bad_rows = _checked(df, limit)
    if bad_rows is None:
        return df.iloc[:0], problems
    return df[~bad_rows], problems


def stored_nan(table: pa.Table, limit: int | None = PROBLEMS_PER_RULE) -> tuple[np.ndarray, list[Problem]]:
    """Rows of a Parquet table holding NaN in a number column (a value, not a null: pandas
    would read it as missing, so only the file shows it), and problems naming them."""
    bad = np.zeros(table.num_rows, dtype=bool)
    problems: list[Problem] = []
    ids = table.column(str(Col.EVENT_ID)) if str(Col.EVENT_ID) in table.column_names else None
    for f in FIELDS:
        name = str(f.col)
        if f.kind is not Kind.FLOAT or name not in table.column_names:
            continue
        column = table.column(name)
        if not pa.types.is_floating(column.type):
            continue
        nan = np.asarray(pc.is_nan(column).fill_null(False), dtype=bool)
        if not nan.any():
            continue
        bad |= nan
        positions = np.flatnonzero(nan)
        shown = positions if limit is None else positions[:limit]
        for pos in shown:
            event_id = ids[int(pos)].as_py() if ids is not None else None
            problems.append(
                Problem(
                    "not a finite number (NaN)", row=int(pos) + 1, event_id=event_id, column=name, value="nan"
                )
            )
        if len(positions) > len(shown):
            problems[-1] = replace(problems[-1], more=len(positions) - len(shown))
    return bad, problems
