"""The frozen-output tests of the mappings (`test_import_onepass.py`, `test_import_frozen.py`):
their cases' shared shapes (date orders, text as the CSV reader hands it over) and the
comparison with the output frozen from an earlier tree: every column of every row, every
rejection with its reason, and on a difference the first few, to read."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from timeline.importers.fields import STRING, DateOrder

ORDERS = {
    "undecided": None,
    "day-first": DateOrder(order="day-first", evidence="row 1"),
    "month-first": DateOrder(order="month-first", evidence="row 1"),
    "date-format": DateOrder(date_format="%d.%m.%Y"),
    "ambiguous": DateOrder(evidence="'05/06/2025'"),
}
"""Each way a file's date order can be decided, for the mappings that read dates."""


def assert_rows_as_frozen(rows: pa.Table, frozen: pa.Table) -> None:
    """The same rows, column by column (each cast to the frozen type), in the same order."""
    assert rows.num_rows == frozen.num_rows > 1000
    for name in frozen.column_names:
        got, want = rows.column(name).cast(frozen.schema.field(name).type), frozen.column(name)
        assert got.equals(want), (name, [(r, g, w) for r, g, w in zip(rows.column("row").to_pylist(),
                                  got.to_pylist(), want.to_pylist(), strict=True) if g != w][:3])  # fmt: skip


def assert_rejects_as_frozen(rejected: pa.Table, frozen: pa.Table, least: int) -> set[str]:
    """The same rejected rows with the same reasons, in order (at least `least` of them);
    returns the kinds of reason (the text before the first colon)."""
    want, got = frozen.to_pylist(), rejected.to_pylist()
    assert len(want) > least
    assert [r for r, w in zip(got, want, strict=False) if r != w][:3] == []
    assert len(got) == len(want)
    return {r["reason"].split(":")[0] for r in want}


def as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`'s text as the CSV reader hands a chunk over: Arrow strings, each column a slice
    of one larger table (offsets not at zero, which some Arrow kernels get wrong), rows from 1."""
    table = pa.Table.from_pandas(pd.concat([frame.head(7), frame]), preserve_index=False).slice(7)
    sliced = pd.DataFrame({c: pd.arrays.ArrowStringArray(table.column(c)) for c in table.column_names})
    sliced.index = pd.RangeIndex(1, len(frame) + 1)
    return sliced.astype(STRING)


def labelled(case: str, frame: pd.DataFrame, kind: str) -> pa.Table:
    """A mapping's rows or rejections as a table, each row with its case, kind and row number."""
    data = frame.reset_index(names="row")
    data.insert(0, "case", case)
    data.insert(1, "kind", kind)
    return pa.Table.from_pandas(data, preserve_index=False)
