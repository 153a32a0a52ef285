"""Loosely typed rows (text, JSON values, mistyped Parquet columns) -> the canonical dtypes,
each value that cannot be parsed reported as a `Problem` and left null, so the rules
(`validation.py`) can still check the rest. Also the check of a file's columns."""

from __future__ import annotations

import difflib
from dataclasses import replace
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.arrowtext import of_series, trim_blank
from timeline.domain.dates import DAY_MS
from timeline.domain.problems import Problem, problems_at, short
from timeline.domain.schema import (
    COLUMNS,
    FIELDS,
    PANDAS_DTYPES,
    REQUIRED,
    STRING_LIST,
    Col,
    Kind,
    as_arrow,
)

INT64_MAX = 2**63 - 1


OPTIONAL_IN_INPUT = (Col.ADDED_AT, Col.DATASET, Col.OTHER_SOURCES, Col.INITIATOR_COUNTRIES)
"""Required columns a file of rows may leave out: set by the append path, or empty lists
(a strike still needs its initiator, by rule)."""


def check_columns(columns: list[str], limit: int | None = None) -> list[Problem]:
    """Missing required columns and unknown ones (with a did-you-mean; with `limit`, only the
    first `limit` unknown columns are listed, the last counting the rest)."""
    problems = []
    for col in REQUIRED:
        if str(col) not in columns and col not in OPTIONAL_IN_INPUT:
            problems.append(Problem(f"missing required column {col}", column=str(col), rule="missing column"))
    unknown = [name for name in columns if name not in COLUMNS]
    listed = unknown if limit is None else unknown[:limit]
    for name in listed:
        hint = difflib.get_close_matches(name, COLUMNS, n=1)
        extra = f" (did you mean {hint[0]}?)" if hint else ""
        problems.append(Problem(f"unknown column{extra}", column=short(name), rule="unknown column"))
    if len(unknown) > len(listed):
        problems[-1] = replace(problems[-1], more=len(unknown) - len(listed))
    return problems


def _blank_to_na(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.StringDtype):  # vectorised; the same as the loop below
        return s.mask(s.str.strip().eq("").fillna(False).astype(bool))
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return s.mask(s.map(lambda v: isinstance(v, str) and not v.strip()))
    return s


Bad = list[tuple[str, pd.Series]]
"""What a coercer found wrong: (reason, mask of the rows with that problem)."""


def _coerce_arrow_text(arr: pa.Array, index: pd.Index) -> tuple[pd.Series, Bad]:
    """`_blank_to_na` then `_coerce_string` on Arrow-backed text in one pass: trimmed by the
    kernel pandas' `str.strip` runs, blank -> missing (a mapped import chunk is all text of
    this dtype, and the two steps cost a pandas copy each); only the values that could be
    padded go through the kernel (`arrowtext.trim_blank`)."""
    out = trim_blank(arr)
    text = pd.Series(pd.arrays.ArrowStringArray(out, dtype=PANDAS_DTYPES[Kind.STRING]), index=index)
    return text, [("expected text", pd.Series(False, index=index))]


def _coerce_string(s: pd.Series) -> tuple[pd.Series, Bad]:
    bad = s.map(lambda v: isinstance(v, (list, dict, tuple))) if s.dtype == object else None
    out = s.where(bad.eq(False), None) if bad is not None else s
    out = out.astype(PANDAS_DTYPES[Kind.STRING]).str.strip()
    out = out.mask(out.eq(""))
    return out, [("expected text", bad if bad is not None else pd.Series(False, index=s.index))]


def _coerce_date(s: pd.Series) -> tuple[pd.Series, Bad]:
    reason = "not a date in YYYY-MM-DD form"
    if s.dtype == PANDAS_DTYPES[Kind.DATE]:  # canonical already (a mapped import): a time of day
        values = s.to_numpy()  # is the one problem, found from the milliseconds, not pandas' normalize
        has_time = pd.Series(~np.isnat(values) & (values.view(np.int64) % DAY_MS != 0), index=s.index)
        return (s.where(~has_time) if has_time.any() else s), [(reason, has_time)]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        naive = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        has_time = naive.notna() & naive.ne(naive.dt.normalize())
        return naive.where(~has_time).astype("datetime64[ms]"), [(reason, has_time)]
    text = s
    if not isinstance(s.dtype, pd.StringDtype):  # JSON or Python values: dates may be objects
        text = s.map(
            lambda v: v.isoformat()[:10] if hasattr(v, "isoformat") and not isinstance(v, str) else v
        )
    text = text.astype(PANDAS_DTYPES[Kind.STRING]).str.strip()
    shaped = text.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}").fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    bad = s.notna() & parsed.isna()
    return parsed.astype("datetime64[ms]"), [(reason, bad)]


def _booleans(s: pd.Series) -> pd.Series:
    """Where a value is a boolean (JSON `true`), which is not a number here."""
    if s.dtype == object:
        return s.map(lambda v: isinstance(v, bool | np.bool_)).astype(bool)
    return pd.Series(pd.api.types.is_bool_dtype(s.dtype), index=s.index)


NOT_WHOLE = "not a whole number"


OUT_OF_RANGE = f"out of range: a count is at most {INT64_MAX:,}"


def _exact_int(value: object) -> int | None:
    """A whole number given as int, float or text, exactly (no float rounding); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _coerce_int(s: pd.Series) -> tuple[pd.Series, Bad]:
    """Whole numbers that fit the Arrow column (int64); text, booleans (JSON `true`), NaN,
    infinity, fractions and numbers of 2^63 or more are reported, never stored."""
    if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_unsigned_integer_dtype(s.dtype):
        return s.astype("Int64"), []
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(pd.NA, index=s.index, dtype="Int64"), [(NOT_WHOLE, s.notna())]
    values = s.astype("object")
    is_bool = _booleans(s)
    numbers = pd.to_numeric(values.where(~is_bool), errors="coerce")
    as_float = numbers.astype("float64").to_numpy()
    whole = np.isfinite(as_float) & (as_float == np.floor(as_float))
    out = np.zeros(len(s), dtype=np.int64)
    big = whole & (np.abs(as_float) >= 2.0**53)  # beyond float's exact integers: parse exactly
    small = whole & ~big
    out[small] = as_float[small].astype(np.int64)
    too_big = np.zeros(len(s), dtype=bool)
    for pos in np.flatnonzero(big):
        exact = _exact_int(values.iat[pos])
        if exact is None or not -INT64_MAX - 1 <= exact <= INT64_MAX:
            too_big[pos] = True
        else:
            out[pos] = exact
    ok = whole & ~too_big
    result = pd.Series(pd.arrays.IntegerArray(out, ~ok), index=s.index)
    return result, [
        (NOT_WHOLE, (s.notna() & ~whole) | is_bool),
        (OUT_OF_RANGE, pd.Series(too_big, index=s.index)),
    ]


def _coerce_float(s: pd.Series) -> tuple[pd.Series, Bad]:
    """Finite numbers; text, booleans, NaN and infinity are reported."""
    if s.dtype == np.float64 and not np.isinf(s.to_numpy()).any():  # finite or missing: as they are
        return s, [("not a finite number", pd.Series(False, index=s.index))]
    if pd.api.types.is_float_dtype(s.dtype):  # numbers already: no detour through objects
        numbers = s.astype("float64")
        bad = s.notna() & ~np.isfinite(numbers.fillna(np.inf))
        return numbers.where(~bad), [("not a finite number", bad)]
    values = s.astype("object")
    is_bool = _booleans(s)
    numbers = pd.to_numeric(values.where(~is_bool), errors="coerce").astype("float64")
    bad = (s.notna() & ~np.isfinite(numbers.fillna(np.inf))) | is_bool
    return numbers.where(~bad), [("not a finite number", bad)]


def _coerce_list(s: pd.Series) -> tuple[pd.Series, Bad]:
    dtype = PANDAS_DTYPES[Kind.LIST]
    reason = "expected a list of text (';'-separated in CSV)"
    if s.dtype == dtype:  # lists already: a missing one is an empty list, filled in Arrow
        if not s.isna().any():
            return s, []
        filled = pc.fill_null(as_arrow(s), pa.scalar([], type=STRING_LIST))
        return pd.Series(pd.array(filled, dtype=dtype), index=s.index), []
    if isinstance(s.dtype, pd.StringDtype):
        return _split_text_lists(s), []

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
    return pd.Series(pd.array(list(parsed), dtype=dtype), index=s.index), [(reason, bad)]


def _split_text_lists(s: pd.Series) -> pd.Series:
    """';'-separated text (CSV) -> lists of trimmed, non-blank items, vectorised in Arrow;
    the same as `_coerce_list`'s loop, for millions of rows."""
    arr = as_arrow(s).cast(pa.string())
    split = pc.split_pattern(arr.fill_null(""), ";")
    items = pc.utf8_trim_whitespace(pc.list_flatten(split))
    parents = np.asarray(pc.list_parent_indices(split))
    keep = np.asarray(pc.greater(pc.utf8_length(items), 0))
    counts = np.bincount(parents[keep], minlength=len(s))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), items.filter(pa.array(keep))).cast(STRING_LIST)
    return pd.Series(pd.array(lists, dtype=PANDAS_DTYPES[Kind.LIST]), index=s.index)


def _coerce_timestamp(s: pd.Series) -> tuple[pd.Series, Bad]:
    if s.dtype == PANDAS_DTYPES[Kind.TIMESTAMP]:  # stamped by the append path: nothing to parse
        return s, [("not an ISO 8601 timestamp", pd.Series(False, index=s.index))]
    parsed = pd.to_datetime(s, errors="coerce", utc=True, format="ISO8601")
    return parsed.astype("datetime64[ms, UTC]"), [("not an ISO 8601 timestamp", s.notna() & parsed.isna())]


_COERCERS = {
    Kind.STRING: _coerce_string,
    Kind.DATE: _coerce_date,
    Kind.INT: _coerce_int,
    Kind.FLOAT: _coerce_float,
    Kind.LIST: _coerce_list,
    Kind.TIMESTAMP: _coerce_timestamp,
}


def coerce_frame(raw: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Bad]]:
    """`raw` (index reset) in canonical dtypes, and per column what could not be parsed."""
    out: dict[str, pd.Series] = {}
    found: dict[str, Bad] = {}
    for f in FIELDS:
        name = str(f.col)
        if name not in raw.columns:
            empty = pd.Series([None] * len(raw), index=raw.index, dtype="object")
            out[name] = _COERCERS[f.kind](empty)[0]
            continue
        text = of_series(raw[name]) if f.kind is Kind.STRING else None
        if text is not None:
            out[name], bad = _coerce_arrow_text(text, raw.index)
        else:
            out[name], bad = _COERCERS[f.kind](_blank_to_na(raw[name]))
        found[name] = [(reason, mask) for reason, mask in bad if mask.any()]
    return pd.DataFrame(out, index=raw.index), found


def coerce(raw: pd.DataFrame, limit: int | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse every schema column of `raw` into its canonical dtype.

    Missing optional columns are filled with nulls (and empty lists); values that cannot
    be parsed become nulls and are reported (at most `limit` per column and reason), so
    `validate` can still check the rest.
    """
    raw = raw.reset_index(drop=True)
    df, found = coerce_frame(raw)
    return df, coercion_problems(raw, found, limit)


def coercion_problems(raw: pd.DataFrame, found: dict[str, Bad], limit: int | None) -> list[Problem]:
    return [
        p
        for name, bad in found.items()
        for reason, mask in bad
        for p in problems_at(raw, mask, name, reason, limit)
    ]
