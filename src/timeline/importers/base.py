"""What a format module fills in: its `Format` (name, columns, how to map a chunk), the
`Options` from the command line, and the helpers every `map` uses to return a `Mapped`
chunk (`Reasons` for rejections, `mapped` to assemble the schema's columns, `reject_dates`).
The pipeline that runs a format is `pipeline.run`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from timeline.domain.schema import COLUMNS, FIELDS, PANDAS_DTYPES, STRING_LIST, Col, Kind
from timeline.importers.fields import (
    LIST,
    STRING,
    DateOrder,
    expected_dates,
    numeric_parts,
)

DEFAULT_CHUNK_ROWS = 100_000

PLACEHOLDERS = frozenset({"", "NA", "N/A", "n/a", "#N/A", "-", "--", "NULL", "null"})
"""Values that mean 'unknown' in ACLED, UCDP and spreadsheet exports (R's NA, Excel's #N/A)."""


@dataclass
class Options:
    """Format-specific choices from the command line."""

    cameo_roots: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    combine: bool = False
    date_format: str | None = None
    """--date-format: how the file writes dates other than ISO (strptime codes)."""
    encoding: str | None = None
    """--encoding: the file's text encoding, instead of detecting it."""
    on_duplicate_id: str = "reject"
    """--on-duplicate-id: `reject` a different event sharing an id, or `suffix` it."""
    date_order: DateOrder | None = None
    """How this file writes all-digit dates, decided by `run` before mapping."""


@dataclass
class Mapped:
    """One chunk after mapping: event rows (schema columns, indexed by source row number),
    rejected rows (`category`, `reason`, same index), and rows left out on purpose."""

    rows: pd.DataFrame
    rejected: pd.DataFrame
    skipped: int = 0
    skipped_label: str = "not selected"
    also_skipped: dict[str, int] = field(default_factory=dict)
    """Further rows left out on purpose, by reason ('with a CAMEO code outside the taxonomy')."""


@dataclass(frozen=True)
class Format:
    name: str
    """The --format value; also the `dataset` label of the rows it imports."""
    title: str
    """What the file is, for messages ('an ACLED export')."""
    map: Callable[[pd.DataFrame, Options], Mapped]
    required: tuple[str, ...] = ()
    """Source columns the file must have."""
    read_options: dict[str, Any] = field(default_factory=dict)
    """Extra pandas.read_csv options (separator, header, column names)."""
    whole_file: bool = False
    """Map the file in one piece (ids that depend on other rows, merged windows)."""
    fields: int | None = None
    """For headerless files: how many separated fields every line has."""
    date_columns: tuple[str, ...] = ()
    """Source columns that may hold all-digit dates, whose day/month order is decided per file."""
    placeholders: frozenset[str] = frozenset()
    """Whole values this format writes for 'unknown' ('NA', '-'): read as blank."""
    placeholder_dates: str | None = None
    """A regex of date values that mean 'unknown' in `date_columns` (UCDP's 1753-01-01)."""


class Reasons:
    """Collects why rows of a chunk are rejected; the first reason per row wins."""

    def __init__(self, index: pd.Index):
        self.category = pd.Series(pd.NA, index=index, dtype=STRING)
        self.reason = pd.Series(pd.NA, index=index, dtype=STRING)

    def add(self, mask: pd.Series, category: str, detail: pd.Series | str | None = None) -> None:
        new = mask.fillna(False).astype(bool) & self.category.isna()
        if not new.any():
            return
        self.category[new] = category
        if detail is None:
            self.reason[new] = category
        elif isinstance(detail, str):
            self.reason[new] = f"{category}: {detail}"
        else:
            self.reason[new] = (category + ": " + detail.astype(STRING)[new].fillna("")).to_numpy()

    @property
    def rejected(self) -> pd.Series:
        return self.category.notna()

    def frame(self) -> pd.DataFrame:
        bad = self.rejected
        return pd.DataFrame({"category": self.category[bad], "reason": self.reason[bad]})


def quoted(s: pd.Series) -> pd.Series:
    """Values as they appear in messages: 'value'."""
    return "'" + s.astype(STRING).fillna("") + "'"


def mapped(
    rows: dict[Col, pd.Series | object],
    index: pd.Index,
    reasons: Reasons,
    skipped: int = 0,
    also_skipped: dict[str, int] | None = None,
) -> Mapped:
    """Assemble a format's columns (series or constants) into a `Mapped` chunk in schema order,
    dropping the rejected rows."""
    frame = pd.DataFrame(
        {str(col): (value if isinstance(value, pd.Series) else _constant(value, index))
         for col, value in rows.items()},
        index=index,
    )  # fmt: skip
    for f in FIELDS:  # typed empties: the validator parses untyped ones value by value
        name = str(f.col)
        if name not in frame.columns and f.col not in (Col.ADDED_AT, Col.DATASET):
            frame[name] = _empty(f.kind, index)
    keep = ~reasons.rejected
    columns = [c for c in COLUMNS if c in frame.columns]
    kept = frame[columns] if keep.all() else frame.loc[keep, columns]  # a filter copies every column
    return Mapped(kept, reasons.frame(), skipped, also_skipped=also_skipped or {})


def _constant(value: object, index: pd.Index) -> pd.Series:
    """One value on every row; text as the schema's text dtype straight away (a Python list
    of the value per row cost 12 ms per 100,000 rows and column)."""
    if isinstance(value, str):
        return pd.Series(value, index=index, dtype=STRING)
    return pd.Series([value] * len(index), index=index)


def _empty(kind: Kind, index: pd.Index) -> pd.Series:
    """A column of missing values (empty lists) of `kind`'s dtype, built as arrays: no Python
    object per row."""
    n = len(index)
    if kind is Kind.LIST:
        lists = pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string()))
        return pd.Series(pd.arrays.ArrowExtensionArray(lists.cast(STRING_LIST)), index=index, dtype=LIST)
    if kind is Kind.STRING:
        return pd.Series(
            pd.arrays.ArrowStringArray(pa.nulls(n, pa.large_string()), dtype=STRING), index=index
        )
    if kind is Kind.INT:
        return pd.Series(
            pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)), index=index
        )
    if kind is Kind.FLOAT:
        return pd.Series(np.full(n, np.nan), index=index)
    if kind is Kind.DATE:
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ms]"), index=index)
    return pd.Series([None] * n, index=index).astype(PANDAS_DTYPES[kind])


def reject_dates(
    r: Reasons, original: pd.Series, name: str, day: pd.Series, bad: pd.Series, order: DateOrder | None
) -> None:
    """Reject rows whose date `name` is missing, ambiguous (all digits, in a file that does
    not tell day-first from month-first) or unreadable, each saying which."""
    r.add(day.isna() & ~bad, "missing date", f"{name} is blank or says unknown")
    if order is None or not (order.order or order.date_format):
        ambiguous = bad & numeric_parts(original)["a"].notna()
        r.add(ambiguous, "ambiguous date", f"{name} " + quoted(original)
              + " could be day-first or month-first and no date in this file tells which; "
              "give --date-format %d/%m/%Y or %m/%d/%Y")  # fmt: skip
    r.add(bad, "bad date", f"{name} " + quoted(original) + f" ({expected_dates(order)})")
