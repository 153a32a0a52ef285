"""Vectorised parsers shared by the importers: text, whole numbers, dates, slugs, lists.

Each parser takes a column of source text (read with dtype=str, blanks as "") and returns
the parsed column plus a boolean mask of values it could not read, so the importer can
reject exactly those rows with a reason instead of guessing. Whole-column operations keep
a two-million-row file fast; nothing here loops over rows in Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.dates import MONTHS
from timeline.domain.schema import PANDAS_DTYPES, STRING_LIST, Kind, one_array
from timeline.importers import countries

STRING = PANDAS_DTYPES[Kind.STRING]
LIST = PANDAS_DTYPES[Kind.LIST]

# Ukrainian and Russian letters -> Latin, for readable ids from names like "Молнія".
_CYRILLIC = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэъё",
        "a b v h g d e ie zh z y i i i k l m n o p r s t u f kh ts ch sh shch _ iu ia y e _ e".split(),
        strict=True,
    )
)
_CYRILLIC = {k: ("" if v == "_" else v) for k, v in _CYRILLIC.items()}


def text(s: pd.Series) -> pd.Series:
    """Stripped text; blank -> missing."""
    out = s.astype(STRING).str.strip()
    return out.mask(out.eq(""))


def whole_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'188', '188.0' -> 188; blank -> missing (never 0); '1.5', 'many' and numbers too large
    for a 64-bit count ('99999999999999999999') -> bad."""
    t = text(s)
    numbers = pd.to_numeric(t.astype("object"), errors="coerce")
    whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.floor(numbers))
    whole &= numbers.astype("float64").abs() < 2.0**63  # Int64's range, compared without rounding ints
    bad = t.notna() & ~whole
    return numbers.where(whole).astype("Int64"), bad.fillna(False).astype(bool)


def floats(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'50.45' -> 50.45; blank -> missing; 'north' -> bad (range checks are the validator's)."""
    t = text(s)
    numbers = pd.to_numeric(t.astype("object"), errors="coerce").astype("float64")
    bad = t.notna() & ~np.isfinite(numbers.fillna(np.inf))
    return numbers.where(~bad), bad.fillna(False).astype(bool)


def _to_datetime(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    frame = pd.DataFrame({"year": year, "month": month, "day": day}).astype("float64")
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[ms]")


def _arrow(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow strings (missing as null), without a Python object per value."""
    return pa.array(s.astype(STRING).array) if len(s) else pa.array([], type=pa.string())


def _extract(s: pd.Series, pattern: str) -> pd.DataFrame:
    """The named groups of `pattern` (RE2, whole value) as numbers; missing where it does not
    match. pyarrow's regex engine: pandas' `str.extract` makes a Python string of every value."""
    found = pc.extract_regex(_arrow(s), pattern)
    valid = pc.is_valid(found)
    names = [f.name for f in found.type]
    out = {}
    for name in names:
        part = pc.if_else(valid, pc.struct_field(found, name), pa.scalar(None, pa.string()))
        out[name] = np.asarray(pc.cast(part, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    return pd.DataFrame(out, index=s.index)


def iso_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'2024-11-25' or '2024-11-25 19:30[:00[.000]]' -> the day; blank -> missing; else bad."""
    t = text(s)
    parts = _extract(
        t, r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
    )
    parsed = _to_datetime(parts["y"], parts["m"], parts["d"])
    return parsed, (t.notna() & parsed.isna()).astype(bool)


def compact_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """GDELT's '20241125' (or a 14-digit DATEADDED) -> the day."""
    t = text(s)
    parts = _extract(t, r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\d{6})?$")
    parsed = _to_datetime(parts["y"], parts["m"], parts["d"])
    return parsed, (t.notna() & parsed.isna()).astype(bool)


NUMERIC_DATE = (
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4})"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)?$"
)
"""All-digit dates as spreadsheets write them: '16/03/2023 00:00:00', '8/29/2014 12:00:00 AM',
'16.03.2023'. Whether the first number is the day or the month is decided per file
(`DateOrder`), never per row."""

DAY_FIRST, MONTH_FIRST = "day-first", "month-first"


@dataclass(frozen=True)
class DateOrder:
    """How a file writes all-digit dates: `order` (day-first or month-first) and the row and
    value that showed it, or a strptime `date_format` given with --date-format."""

    order: str | None = None
    evidence: str = ""
    date_format: str | None = None

    def describe(self) -> str:
        if self.date_format:
            return f"dates read with --date-format {self.date_format}"
        if self.order is None:
            return (f"no date tells whether all-digit dates ({self.evidence}) are day-first or "
                    "month-first: rows with one are rejected")  # fmt: skip
        return f"all-digit dates read {self.order} ({self.evidence})"


def expected_dates(order: DateOrder | None) -> str:
    """What dates a file may hold, for the message rejecting one that is not."""
    if order is not None and order.date_format:
        return f"expected YYYY-MM-DD or --date-format {order.date_format}"
    digits = ""
    if order is not None and order.order:
        digits = (
            ", or "
            + ("16/03/2023" if order.order == DAY_FIRST else "3/16/2023")
            + f" ({order.order} in this file)"
        )
    return f"expected YYYY-MM-DD, '16 May 2025'{digits}; --date-format reads other shapes"


def numeric_parts(s: pd.Series) -> pd.DataFrame:
    """The two leading numbers and the year of each all-digit date (missing elsewhere)."""
    return _extract(text(s), NUMERIC_DATE)


def _spelled(t: pd.Series) -> pd.Series:
    """'16 May 2025', '16-May-2025', '16 May, 2025', 'May 16, 2025' -> the day (else NaT)."""
    sub = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(_arrow(t)), r"[,./\-\s]+", " "))
    names = pa.array(list(MONTHS), type=pa.string())
    numbers = np.array([*MONTHS.values(), np.nan], dtype="float64")
    columns = {}
    for pattern in (r"^(?P<d>\d{1,2})(?:st|nd|rd|th)? (?P<m>[a-z]+) (?P<y>\d{4})$",
                    r"^(?P<m>[a-z]+) (?P<d>\d{1,2})(?:st|nd|rd|th)? (?P<y>\d{4})$"):  # fmt: skip
        found = pc.extract_regex(sub, pattern)
        valid = pc.is_valid(found)
        month = pc.index_in(
            pc.if_else(valid, pc.struct_field(found, "m"), pa.scalar(None, pa.string())), names
        )
        columns[pattern] = (
            numbers[np.asarray(month.fill_null(len(MONTHS)).to_numpy(zero_copy_only=False))],
            *(np.asarray(pc.cast(pc.if_else(valid, pc.struct_field(found, k), pa.scalar(None, pa.string())),
                                 pa.float64()).to_numpy(zero_copy_only=False), dtype="float64") for k in "dy"),
        )  # fmt: skip
    (m1, d1, y1), (m2, d2, y2) = columns.values()
    pick = ~np.isnan(y1)
    index = t.index
    return _to_datetime(
        pd.Series(np.where(pick, y1, y2), index=index),
        pd.Series(np.where(pick, m1, m2), index=index),
        pd.Series(np.where(pick, d1, d2), index=index),
    )


def event_dates(s: pd.Series, order: DateOrder | None = None) -> tuple[pd.Series, pd.Series]:
    """The day of each value, in any shape the exports of ACLED and UCDP come in: ISO
    ('2025-05-16', with or without a time), a spelled-out month ('16 May 2025', 'May 16, 2025')
    and, when the file's `order` is known, all-digit dates ('16/03/2023 00:00:00' day-first,
    '8/29/2014 12:00:00 AM' month-first). With `order.date_format` (--date-format) that format
    replaces the all-digit and spelled-out shapes. Returns the days and the values that could
    not be read (blank is missing, not bad)."""
    parsed, bad = iso_dates(s)
    t = text(s)
    if not bad.any():
        return parsed, bad
    parsed = parsed.copy()
    todo = bad
    if order is not None and order.date_format:
        fixed = pd.to_datetime(t[todo], format=order.date_format, errors="coerce")
        parsed[todo] = fixed.dt.normalize().astype("datetime64[ms]")
    else:
        if order is not None and order.order:  # all digits first: a spreadsheet's whole column
            parts = numeric_parts(t[todo])
            day, month = (parts["a"], parts["b"]) if order.order == DAY_FIRST else (parts["b"], parts["a"])
            parsed[todo] = _to_datetime(parts["year"], month, day)
            todo = todo & parsed.isna()
        if todo.any():
            parsed[todo] = _spelled(t[todo])
    return parsed, (t.notna() & parsed.isna()).astype(bool)


def slug(s: pd.Series) -> pd.Series:
    """Lowercase a-z0-9 words joined by '-' (Cyrillic transliterated): 'Shahed-136/131' ->
    'shahed-136-131', 'Молнія' -> 'molniia'."""
    values = _arrow(s)
    if len(values) and not values.null_count and pc.all(pc.match_substring_regex(values, _PLAIN)).as_py():
        # ids of ASCII letters and digits only, as ACLED writes every id ('UKR12345'), are
        # their slugs lowercased: one kernel, not the three regex passes below (12 ms a
        # 100,000-row chunk). utf8_lower, not ascii_lower: pyarrow 26's ascii_lower writes
        # invalid offsets for text whose first offset is not 0 (a slice of the reader's buffer)
        return pd.Series(pd.arrays.ArrowStringArray(pc.utf8_lower(values)), index=s.index, dtype=STRING)
    lowered = text(s).fillna("").str.lower()
    if lowered.str.contains(r"[а-яґєіїё]", regex=True).any():
        lowered = lowered.map(lambda v: "".join(_CYRILLIC.get(ch, ch) for ch in v)).astype(STRING)
    return lowered.str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")


_PLAIN = r"^[A-Za-z0-9]+$"
"""A value that is its own slug but for its case."""


def truncate(s: pd.Series, limit: int) -> pd.Series:
    """Cut text longer than `limit` characters, ending it with '…'."""
    too_long = s.str.len() > limit
    if not too_long.fillna(False).any():
        return s
    return s.where(~too_long.fillna(False), s.str.slice(0, limit - 1).str.rstrip() + "…")


def join(*parts: pd.Series | str) -> pd.Series:
    """Concatenate text columns and literals; a missing part counts as ''. One Arrow kernel
    for all the parts (pandas' `+` would make a new column per part)."""
    series = [p for p in parts if isinstance(p, pd.Series)]
    assert series, "join needs at least one column"
    index = series[0].index
    arrays = [
        pa.scalar(p, pa.large_string()) if isinstance(p, str)
        else pa.array((p if p.index.equals(index) else p.reindex(index)).astype(STRING).array).cast(pa.large_string())
        for p in parts
    ]  # fmt: skip
    joined = pc.binary_join_element_wise(
        *arrays, pa.scalar("", pa.large_string()), null_handling="replace", null_replacement=""
    )
    return pd.Series(pd.arrays.ArrowStringArray(joined, dtype=STRING), index=index)


def clause(condition: pd.Series, *parts: pd.Series | str) -> pd.Series:
    """`join(*parts)` where `condition` holds, '' elsewhere (optional sentence pieces)."""
    empty = pd.Series("", index=condition.index, dtype=STRING)
    joined = pa.array(join(empty, *parts).array)
    keep = pa.array(condition.fillna(False).astype(bool).to_numpy())
    chosen = pc.if_else(keep, joined, pa.scalar("", joined.type))
    return pd.Series(pd.arrays.ArrowStringArray(chosen, dtype=STRING), index=condition.index)


def string_lists(index: pd.Index, *parts: pd.Series, split: str | None = None) -> pd.Series:
    """One list column from several text columns: items in column order, each column
    optionally holding several items separated by `split`; blanks and repeats dropped.
    All in Arrow and numpy: no Python string per item."""
    sep = "\x1f"
    # built once per distinct combination of the parts' values, then spread to the rows: a
    # chunk's actor and country cells repeat a few combinations (a third of the ACLED mapping's
    # time before); the combinations are told apart by the parts' dictionary codes, so only
    # one row of each is joined into text
    parts = tuple(
        p if p.index.equals(parts[0].index) else p.reindex(parts[0].index) for p in parts
    )  # as `join`
    rows, inverse = _combinations([pa.array(p.astype(STRING).array) for p in parts])
    joined = join(*[piece for part in parts for piece in (sep, part.iloc[rows])][1:])
    arr = one_array(pa.array(joined.array).cast(pa.string()))
    array = _lists(arr, sep, split).take(inverse)
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=index, dtype=LIST)


def _combinations(arrays: list[pa.Array | pa.ChunkedArray]) -> tuple[np.ndarray, pa.Array]:
    """The first row of each distinct combination of the arrays' values (equal-length, missing
    a value of its own), and each row's combination (an index into those first rows)."""
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    size = 1
    for arr in arrays:
        encoded = pc.dictionary_encode(one_array(arr))
        width = len(encoded.dictionary) + 1  # the last code: missing
        size *= width
        if size >= 2**62:  # never in a real file: each row its own combination
            return np.arange(len(key)), pa.array(np.arange(len(key)))
        codes = np.asarray(encoded.indices.fill_null(width - 1), dtype=np.int64)
        key = key * width + codes
    combined = pc.dictionary_encode(pa.array(key))
    inverse = np.asarray(combined.indices, dtype=np.int64)
    first = np.empty(len(combined.dictionary), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write of each is its first row
    return first, combined.indices


def _lists(arr: pa.Array, sep: str, split: str | None) -> pa.Array:
    """`string_lists` of each value of `arr` (its parts joined by `sep`)."""
    if split:
        arr = pc.replace_substring(arr, split, sep)
    lists = pc.split_pattern(arr, sep)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parents = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    keep = np.asarray(pc.greater(pc.utf8_length(flat), 0).fill_null(False))
    items = flat.filter(pa.array(keep))
    rows = parents[keep]
    # a repeat is the same item again in the same row: keep each (row, item) pair's first
    codes = np.asarray(pc.dictionary_encode(items).indices, dtype=np.int64)
    pair = rows * (int(codes.max(initial=0)) + 1) + codes
    _, first = np.unique(pair, return_index=True)
    chosen = np.sort(first)
    counts = np.bincount(rows[chosen], minlength=len(arr))
    offsets = np.zeros(len(arr) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    values = items.take(pa.array(chosen))
    return pa.ListArray.from_arrays(pa.array(offsets), values).cast(STRING_LIST)


def short_digest(*parts: pd.Series) -> pd.Series:
    """Six hex characters from the parts' text: a stable tie-breaker for ids."""
    joined = join(*[piece for part in parts for piece in ("|", part)][1:])
    return joined.map(lambda v: hashlib.sha1(v.encode("utf-8")).hexdigest()[:6]).astype(STRING)


def actor_countries(s: pd.Series, split: str | None = None) -> pd.Series:
    """Alpha-3 codes of the countries that actor names state (`countries.of_actor`),
    `split`-separated when a cell names several actors; missing where none does."""
    values = text(s)
    table: dict[str, str] = {}
    for value in values.dropna().unique():
        parts = value.split(split) if split else [value]
        codes = dict.fromkeys(c for part in parts if (c := countries.of_actor(part.strip())))
        table[value] = ";".join(codes)
    found = values.map(table).astype(STRING)
    return found.mask(found.eq(""))
