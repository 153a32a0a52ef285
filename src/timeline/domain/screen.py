"""Which rows of a canonical frame could break a rule, found in Arrow and numpy at once.

Why: the rule check (`vectorised.failures`) runs each rule as a pandas column operation and
builds its failure positions with pandas' bookkeeping, some 80 operations of fixed cost per
call, about two CPU seconds per million imported rows (docs/performance.md, "Import"). Most
imported rows break no rule. This screen reads the same values as Arrow arrays and numpy
views (no copies of text) and marks every row that *could* fail: a row it passes breaks no
rule, so the rules themselves run only on the marked rows, and their problems, messages and
order stay theirs. It may mark more than the rules find (a row with an area code is always
marked, for one); it must never mark fewer: `tests/test_screen.py` holds it to the rules on
hostile rows that break every one, and `test_the_screen_was_checked_against_this_ruleset`
fails on any change to `ruleset.py` until this screen has been checked against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import taxonomy
from timeline.domain.arrowtext import byte_sizes, duplicated, of_series
from timeline.domain.ruleset import (
    ALLOWED,
    COORDINATES,
    DATE_COLUMNS,
    FIRST_DATE,
    LAST_DATE,
    MAX_ITEMS,
    MAX_LENGTH,
    MULTILINE,
    NONBLANK,
    PATTERNS,
    control_rows,
    is_iso3,
    is_nonblank,
    is_url,
    item_counts,
    max_span_days,
)
from timeline.domain.schema import FIELDS, PANDAS_DTYPES, Col, Kind, as_arrow

_DAY_MS = 86_400_000


def _match_pattern(pattern: str) -> str:
    """The pattern as pandas' `str.match` hands it to Arrow's regex kernel (`^(...)`)."""
    return f"^({pattern[1:] if pattern.startswith('^') else pattern})"


def _text(df: pd.DataFrame) -> dict[Col, pa.Array] | None:
    """Every text column as its Arrow array (None when one is not Arrow-backed text)."""
    out = {}
    for f in FIELDS:
        if f.kind is Kind.STRING:
            arr = of_series(df[str(f.col)]) if str(f.col) in df.columns else None
            if arr is None:
                return None
            out[f.col] = arr
    return out


def _typed(df: pd.DataFrame) -> bool:
    """Whether every column has the canonical dtype `coercion.coerce_frame` gives."""
    return all(
        str(f.col) in df.columns and df[str(f.col)].dtype == PANDAS_DTYPES[f.kind]
        for f in FIELDS
        if f.kind is not Kind.STRING
    )


def _nulls(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.is_null(), dtype=bool) if arr.null_count else np.zeros(len(arr), dtype=bool)


def _not_true(mask: pa.Array) -> np.ndarray:
    """Arrow booleans -> numpy, a null (a value the kernel could not decide) as False."""
    return np.asarray(mask.fill_null(False), dtype=bool) if mask.null_count else np.asarray(mask, dtype=bool)


def _matching(arr: pa.Array, pattern: str, per_value: bool) -> np.ndarray:
    """Per row: whether the value matches `pattern` (Arrow's regex kernel, as pandas' `str.match`
    runs it for `ruleset.matches`); with `per_value`, the pattern runs once per distinct value
    (a dataset label is one value on every row), not once per row."""
    if not per_value:
        return _not_true(pc.match_substring_regex(arr, pattern))
    encoded = pc.dictionary_encode(arr)
    ok = _not_true(pc.match_substring_regex(encoded.dictionary, pattern))
    return (
        ok[np.asarray(encoded.indices.fill_null(0), dtype=np.int64)] if len(ok) else np.zeros(len(arr), bool)
    )


def _text_rows(col: Col, arr: pa.Array) -> np.ndarray:
    """Rows whose text could break the column's rules: too many bytes for its length limit
    (bytes bound characters from above), a control character, a value outside its list or
    pattern, or blank where it must not be."""
    if arr.null_count == len(arr):  # a column the format leaves empty
        return np.zeros(len(arr), dtype=bool)
    bad = byte_sizes(arr) > MAX_LENGTH[col] if col in MAX_LENGTH else np.zeros(len(arr), dtype=bool)
    present = ~_nulls(arr)
    if col in MAX_LENGTH:
        bad |= control_rows(arr, multiline=col in MULTILINE)
    if col in ALLOWED:
        bad |= present & ~_not_true(pc.is_in(arr, value_set=pa.array(ALLOWED[col], pa.string())))
    if col in PATTERNS:
        bad |= present & ~_matching(arr, _match_pattern(PATTERNS[col]), per_value=col is not Col.EVENT_ID)
    if col in NONBLANK:
        bad |= present & (byte_sizes(arr) == 0)
    return bad


def _list_rows(col: Col, arr: pa.Array) -> np.ndarray:
    """Rows whose list could break the column's rules: too many items, an item too long or
    with a control character, a blank actor, a code not ISO alpha-3, a source not a URL."""
    bad = item_counts(arr) > MAX_ITEMS[col] if col in MAX_ITEMS else np.zeros(len(arr), dtype=bool)
    flat = pc.list_flatten(arr)
    if not len(flat):
        return bad
    item_bad = control_rows(flat, multiline=False)
    if col in MAX_LENGTH:
        item_bad |= byte_sizes(flat) > MAX_LENGTH[col]
    if col is Col.ACTORS:
        item_bad |= ~_not_true(is_nonblank(flat))
    if col in (Col.COUNTRIES, Col.INITIATOR_COUNTRIES):
        item_bad |= ~_not_true(is_iso3(flat))
    if col is Col.OTHER_SOURCES:
        item_bad |= ~_not_true(is_url(flat))
    item_bad |= _nulls(flat)
    if item_bad.any():
        parents = np.asarray(pc.list_parent_indices(arr))
        bad[parents[item_bad]] = True
    return bad


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column's values as float64 and its missing mask (no copy of Int64's data
    beyond the cast)."""
    missing = np.asarray(s.isna(), dtype=bool)
    if isinstance(s.dtype, pd.Int64Dtype):
        return s.array._data.astype(np.float64), missing
    return s.to_numpy(dtype=np.float64, na_value=np.nan), missing


def _days(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A date column as milliseconds since the epoch and its missing mask."""
    values = s.to_numpy()
    return values.view(np.int64), np.isnat(values)


def suspects(df: pd.DataFrame) -> np.ndarray | None:
    """Per row of a canonical frame (as `coercion.coerce_frame` gives it): whether it could
    break any rule of `ruleset.py`; None when a column is not in the canonical dtype (then
    only the rules themselves can tell)."""
    if not _typed(df):
        return None
    text = _text(df)
    if text is None:
        return None
    n = len(df)
    bad = np.zeros(n, dtype=bool)
    for f in FIELDS:
        if f.required and f.kind is not Kind.LIST:
            bad |= np.asarray(df[str(f.col)].isna(), dtype=bool)
    bad |= duplicated(df[str(Col.EVENT_ID)], keep=False)
    for col, arr in text.items():
        bad |= _text_rows(col, arr)
    for f in FIELDS:
        if f.kind is Kind.LIST:
            arr = as_arrow(df[str(f.col)])
            bad |= _nulls(arr) | _list_rows(f.col, arr)
    first = pd.Timestamp(FIRST_DATE).as_unit("ms").value
    last = pd.Timestamp(LAST_DATE).as_unit("ms").value
    dates = {col: _days(df[str(col)]) for col in DATE_COLUMNS}
    for values, missing in dates.values():
        bad |= ~missing & ((values < first) | (values > last))
    (start, no_start), (end, no_end) = dates[Col.DATE_START], dates[Col.DATE_END]
    both = ~no_start & ~no_end
    bad |= both & (end < start)
    span = (end - start) // _DAY_MS + 1
    bad |= both & (span > np.asarray(max_span_days(text[Col.DATE_PRECISION]).fill_null(np.inf)))
    coordinates = {col: _numbers(df[str(col)]) for col in COORDINATES}
    no_lat = coordinates[Col.LATITUDE][1]
    bad |= no_lat != coordinates[Col.LONGITUDE][1]
    for col, (least, most) in COORDINATES.items():
        values, missing = coordinates[col]
        bad |= ~missing & ~((values >= least) & (values <= most))
    count, no_count = _numbers(df[str(Col.COUNT)])
    intercepted, no_intercepted = _numbers(df[str(Col.INTERCEPTED)])
    bad |= ~no_count & ~(count >= 0)
    bad |= ~no_intercepted & ~(intercepted >= 0)
    bad |= ~no_intercepted & (no_count | ~(intercepted <= count))
    bad |= (~no_count | ~no_intercepted) & _nulls(text[Col.COUNT_UNIT])
    geo, no_geo = _numbers(df[str(Col.GEO_PRECISION)])
    bad |= ~no_geo & (~np.isin(geo, ALLOWED[Col.GEO_PRECISION]) | no_lat)
    bad |= ~_nulls(text[Col.AREA_CODE])  # its rule reads the precision: left to the rules
    strike = _not_true(pc.is_in(text[Col.EVENT_TYPE], value_set=pa.array(list(taxonomy.STRIKE_TYPES))))
    initiators = item_counts(as_arrow(df[str(Col.INITIATOR_COUNTRIES)]))
    bad |= strike & (initiators == 0)
    return bad
