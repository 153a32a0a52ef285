"""Turn loosely typed rows into the canonical frame, and check every schema rule.

Two steps, both reporting `Problem`s (row, event_id, column, value, reason) instead of
raising on the first error, so a maintainer sees everything wrong with a batch at once:

- `coerce` parses text, JSON values or mistyped Parquet columns into the canonical dtypes;
- `validate` checks the rules (taxonomy, ranges, date order, precision spans, ...) with
  pandera, whose failure cases we translate into one readable line each.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pdr
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from timeline import taxonomy
from timeline.schema import COLUMNS, FIELDS, PANDAS_DTYPES, REQUIRED, Col, Kind, as_arrow

SLUG = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
URL = r"^https?://\S+$"
MAX_ID_LENGTH = 160
MAX_TITLE_LENGTH = 200
ISO3: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.countries)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value; `row` is 1-based within the checked batch."""

    reason: str
    row: int | None = None
    event_id: str | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.event_id:
            where.append(f"event_id {self.event_id}")
        if self.column:
            where.append(f"column {self.column}")
        head = ", ".join(where) or "file"
        value = f" = {self.value!r}" if self.value is not None else ""
        return f"{head}{value}: {self.reason}"


class ValidationFailed(Exception):
    """Raised by write paths; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _short(value: object, limit: int = 80) -> str:
    text = str(value) if not isinstance(value, np.ndarray) else str(value.tolist())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ids(df: pd.DataFrame) -> pd.Series:
    if str(Col.EVENT_ID) in df.columns:
        return df[str(Col.EVENT_ID)].astype("object")
    return pd.Series([None] * len(df), index=df.index, dtype="object")


def _problems_at(df: pd.DataFrame, mask: pd.Series | np.ndarray, column: str, reason: str) -> list[Problem]:
    """One problem per True in `mask` (positions are the frame's row order)."""
    return _problems_for(df, np.flatnonzero(np.asarray(mask, dtype=bool)), column, reason)


def _problems_for(df: pd.DataFrame, positions: np.ndarray, column: str, reason: str) -> list[Problem]:
    if not len(positions):
        return []
    ids = _ids(df).to_numpy()
    values = df[column].to_numpy(dtype=object) if column in df.columns else None
    out = []
    for pos in positions:
        event_id = ids[pos]
        out.append(
            Problem(
                reason=reason,
                row=int(pos) + 1,
                event_id=None if pd.isna(event_id) else str(event_id),
                column=column,
                value=None if values is None else _short(values[pos]),
            )
        )
    return out


# --- coercion ---------------------------------------------------------------------------


def check_columns(columns: list[str]) -> list[Problem]:
    """Missing required columns and unknown ones (with a did-you-mean)."""
    problems = []
    for col in REQUIRED:
        if str(col) not in columns and col not in (Col.ADDED_AT, Col.DATASET, Col.OTHER_SOURCES):
            problems.append(Problem(f"missing required column {col}", column=str(col)))
    for name in columns:
        if name not in COLUMNS:
            hint = difflib.get_close_matches(name, COLUMNS, n=1)
            extra = f" (did you mean {hint[0]}?)" if hint else ""
            problems.append(Problem(f"unknown column{extra}", column=name))
    return problems


def _blank_to_na(s: pd.Series) -> pd.Series:
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return s.mask(s.map(lambda v: isinstance(v, str) and not v.strip()))
    return s


def _coerce_string(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    bad = s.map(lambda v: isinstance(v, (list, dict, tuple))) if s.dtype == object else None
    out = s.where(bad.eq(False), None) if bad is not None else s
    out = out.astype(PANDAS_DTYPES[Kind.STRING]).str.strip()
    out = out.mask(out.eq(""))
    return out, (bad if bad is not None else pd.Series(False, index=s.index))


def _coerce_date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        naive = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        has_time = naive.notna() & naive.ne(naive.dt.normalize())
        return naive.where(~has_time).astype("datetime64[ms]"), has_time
    text = s.map(lambda v: v.isoformat()[:10] if hasattr(v, "isoformat") and not isinstance(v, str) else v)
    text = text.astype(PANDAS_DTYPES[Kind.STRING]).str.strip()
    shaped = text.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}").fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    bad = s.notna() & parsed.isna()
    return parsed.astype("datetime64[ms]"), bad


def _coerce_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64"), pd.Series(False, index=s.index)
    if s.dtype == bool:
        return s.astype("Int64").where(False), pd.Series(True, index=s.index)
    numbers = pd.to_numeric(s.astype("object"), errors="coerce")
    whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.floor(numbers))
    bad = s.notna() & ~whole
    return numbers.where(whole).astype("Int64"), bad


def _coerce_float(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    numbers = pd.to_numeric(s.astype("object"), errors="coerce").astype("float64")
    bad = s.notna() & ~np.isfinite(numbers.fillna(np.inf)) | (s.notna() & numbers.isna())
    return numbers.where(~bad), bad


def _coerce_list(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    dtype = PANDAS_DTYPES[Kind.LIST]
    if s.dtype == dtype:
        return s.fillna(pd.Series([[]] * len(s), index=s.index, dtype=dtype)), pd.Series(False, index=s.index)

    def parse(v: object) -> list[str] | None:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return []
        if isinstance(v, str):
            items = v.split(";")
        elif isinstance(v, (list, tuple, np.ndarray)):
            if any(isinstance(x, (list, dict, tuple)) for x in v):
                return None
            items = [str(x) for x in v if x is not None]
        else:
            return None
        return [x.strip() for x in items if x.strip()]

    parsed = s.map(parse)
    bad = parsed.isna()
    parsed = parsed.map(lambda v: v if isinstance(v, list) else [])
    return pd.Series(pd.array(list(parsed), dtype=dtype), index=s.index), bad


def _coerce_timestamp(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    parsed = pd.to_datetime(s, errors="coerce", utc=True, format="ISO8601")
    return parsed.astype("datetime64[ms, UTC]"), s.notna() & parsed.isna()


_COERCERS = {
    Kind.STRING: (_coerce_string, "expected text"),
    Kind.DATE: (_coerce_date, "not a date in YYYY-MM-DD form"),
    Kind.INT: (_coerce_int, "not a whole number"),
    Kind.FLOAT: (_coerce_float, "not a number"),
    Kind.LIST: (_coerce_list, "expected a list of text (';'-separated in CSV)"),
    Kind.TIMESTAMP: (_coerce_timestamp, "not an ISO 8601 timestamp"),
}


def coerce(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse every schema column of `raw` into its canonical dtype.

    Missing optional columns are filled with nulls (and empty lists); values that cannot
    be parsed become nulls and are reported, so `validate` can still check the rest.
    """
    raw = raw.reset_index(drop=True)
    problems: list[Problem] = []
    out: dict[str, pd.Series] = {}
    for f in FIELDS:
        name = str(f.col)
        if name not in raw.columns:
            empty = pd.Series([None] * len(raw), index=raw.index, dtype="object")
            out[name] = _COERCERS[f.kind][0](empty)[0]
            continue
        coercer, reason = _COERCERS[f.kind]
        series, bad = coercer(_blank_to_na(raw[name]))
        problems += _problems_at(raw, bad, name, reason)
        out[name] = series
    return pd.DataFrame(out, index=raw.index), problems


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


def _span_ok(df: pd.DataFrame) -> pd.Series:
    span = (df[Col.DATE_END] - df[Col.DATE_START]).dt.days + 1
    limit = df[Col.DATE_PRECISION].map(taxonomy.MAX_SPAN_DAYS).astype("float64")
    return ~(limit.notna() & span.notna() & (span > limit))


def _units_present(df: pd.DataFrame) -> pd.Series:
    has_numbers = df[Col.COUNT].notna() | df[Col.INTERCEPTED].notna()
    return ~has_numbers | df[Col.COUNT_UNIT].notna()


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
)


def _check(fn: object, error: str) -> pdr.Check:
    return pdr.Check(fn, error=error)


@cache
def rules_schema() -> pdr.DataFrameSchema:
    """The pandera schema for a canonical frame (dtypes are ensured by `coerce`)."""
    Check = pdr.Check
    nonblank = Check.str_length(min_value=1, error="must not be blank")
    checks: dict[Col, list[pdr.Check]] = {
        Col.EVENT_ID: [
            Check.str_matches(SLUG, error="not a slug: use lowercase letters, digits and '-'"),
            Check.str_length(max_value=MAX_ID_LENGTH, error=f"longer than {MAX_ID_LENGTH} characters"),
        ],
        Col.DATE_PRECISION: [
            Check.isin(taxonomy.PRECISIONS, error=f"not one of {', '.join(taxonomy.PRECISIONS)}")
        ],
        Col.EVENT_TYPE: [Check.isin(taxonomy.EVENT_TYPE_KEYS, error="not a known event type")],
        Col.TITLE: [
            nonblank,
            Check.str_length(max_value=MAX_TITLE_LENGTH, error=f"longer than {MAX_TITLE_LENGTH} characters"),
        ],
        Col.ACTORS: [_check(lambda s: _list_elements_ok(s, _is_nonblank), "contains a blank actor")],
        Col.COUNTRIES: [
            _check(lambda s: _list_elements_ok(s, _is_iso3), "contains a code that is not ISO 3166-1 alpha-3")
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


def validate(df: pd.DataFrame, shown: pd.DataFrame | None = None) -> list[Problem]:
    """Every rule violation in a canonical frame, in row order.

    `shown` is the frame whose values the messages quote (the maintainer's own text,
    before parsing); it defaults to `df`."""
    df = df.reset_index(drop=True)
    shown = df if shown is None else shown.reset_index(drop=True)
    try:
        rules_schema().validate(df, lazy=True)
        return []
    except pdr.errors.SchemaErrors as err:
        cases = err.failure_cases
    cases = cases[cases["index"].notna()]
    # A frame-wide rule reports every column of a failing row; keep the one it is about.
    rule_column = cases["check"].map(_RULE_COLUMN_BY_REASON)
    cases = cases.assign(column=rule_column.fillna(cases["column"]))
    cases = cases.drop_duplicates(["check", "index", "column"])
    problems: list[Problem] = []
    for (check_name, column), group in cases.groupby(["check", "column"], sort=False):
        reason = _BUILTIN_REASONS.get(check_name, check_name)
        positions = np.sort(group["index"].astype(int).to_numpy())
        problems += _problems_for(shown, positions, str(column), reason)
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return problems


def check(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Columns, coercion and rules in one call: what `timeline validate` and append use."""
    problems = check_columns([str(c) for c in raw.columns])
    if any(p.reason.startswith("missing required column") for p in problems):
        return raw, problems
    df, coercion = coerce(raw)
    problems += coercion
    failed = {(p.row, p.column) for p in coercion}
    problems += [p for p in validate(df, shown=raw) if (p.row, p.column) not in failed]
    return df, problems
