"""One pass over a chunk: per-value lookups spread by Arrow, then one DuckDB query.

Why this shape: a format's mapping used to be some sixty pandas and Arrow column operations,
each a full pass over the chunk. Here the columns with few distinct values (codes, dates,
numbers as text, actor names) are mapped once per distinct value by the same parsers as
before (`fields`, `countries`, `sides`, the taxonomy), so every value keeps its fate, and the
results are spread back to the rows by dictionary index (`per_value`); the rest (generated
sentences, date intervals, the first reason a row is rejected for) is one SELECT that DuckDB
runs over the chunk as an Arrow table (`select`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.arrowtext import trim_blank
from timeline.domain.schema import one_array
from timeline.importers.base import Reasons
from timeline.importers.fields import STRING

if TYPE_CHECKING:
    import duckdb


def source_text(chunk: pd.DataFrame, name: str) -> pa.Array:
    """A source column as Arrow text, '' for a missing column or value (read the same: the
    parsers treat blank and missing alike)."""
    if name not in chunk.columns:
        return pa.array([""] * len(chunk), type=pa.string())
    arr = pa.array(chunk[name].astype(STRING).array)
    arr = one_array(arr)
    # string or large_string, as read: a cast would copy it
    return pc.fill_null(arr, "") if arr.null_count else arr


def trimmed(values: pa.Array) -> pa.Array:
    """`fields.text` in Arrow: whitespace trimmed (the kernel pandas' `str.strip` uses), blank
    -> null (`arrowtext.trim_blank`: the kernel only where a value could be padded)."""
    return trim_blank(values)


MEMO_VALUES = 50_000
"""Most distinct values remembered per lookup (`per_value`'s `key`): a column with more (a
coordinate of every row) is looked up chunk by chunk, as without a memo."""
_MEMO: dict[Hashable, tuple[pa.Array, dict[str, pa.Array]]] = {}


def _looked_up(
    distinct: pa.Array, compute: Callable[[pd.Series], Mapping[str, pd.Series]]
) -> dict[str, pa.Array]:
    """`compute` over distinct values, its result columns as Arrow arrays in their order."""
    text = pd.Series(pd.arrays.ArrowStringArray(distinct), dtype=STRING)
    return {
        name: pa.array(column.reset_index(drop=True), from_pandas=True)
        for name, column in compute(text).items()
    }


def _remembered(
    key: Hashable, distinct: pa.Array, compute: Callable[[pd.Series], Mapping[str, pd.Series]]
) -> tuple[dict[str, pa.Array], pa.Array] | None:
    """The memo of `key`'s results, holding every value of `distinct` (looking up and adding
    the values it lacks), and where each value of `distinct` is in it; None when it cannot
    (full, or a result of another type). The memo's values are searched once a call: each
    search hashes all of them again (up to `MEMO_VALUES`)."""
    known = _MEMO.get(key)
    if known is None:
        if len(distinct) > MEMO_VALUES:
            return None
        _MEMO[key] = known = (distinct, _looked_up(distinct, compute))
        return known[1], pa.array(np.arange(len(distinct), dtype=np.int32))
    values, results = known
    if distinct.type != values.type:
        distinct = distinct.cast(values.type)
    found = pc.index_in(distinct, value_set=values)
    if not found.null_count:
        return results, found
    lacking = pc.is_null(found)
    new = distinct.filter(lacking)
    if len(values) + len(new) > MEMO_VALUES:
        return None
    more = _looked_up(new, compute)
    if more.keys() != results.keys() or any(more[k].type != results[k].type for k in results):
        return None
    results = {k: pa.concat_arrays([results[k], more[k]]) for k in results}
    _MEMO[key] = (pa.concat_arrays([values, new]), results)
    where = np.asarray(found.fill_null(0), dtype=np.int32).copy()
    where[np.asarray(lacking)] = np.arange(len(values), len(values) + len(new), dtype=np.int32)
    return results, pa.array(where)


def per_value(
    values: pa.Array, compute: Callable[[pd.Series], Mapping[str, pd.Series]], key: Hashable = None
) -> dict[str, pa.Array]:
    """`compute` (pandas parsers over a column) run on the distinct values only, its result
    columns spread back to every row by dictionary index. With a `key` (what, besides the
    value, decides the result: the column's lookup, the file's date order), the results are
    remembered across chunks and only values not seen before are looked up: a million-row
    file holds the same few thousand dates and actors in every chunk."""
    encoded = pc.dictionary_encode(values)
    known = None if key is None else _remembered(key, encoded.dictionary, compute)
    if known is None:
        return {
            name: arr.take(encoded.indices) for name, arr in _looked_up(encoded.dictionary, compute).items()
        }
    results, where = known
    rows = where.take(encoded.indices)
    return {name: arr.take(rows) for name, arr in results.items()}


@functools.cache
def _connection() -> duckdb.DuckDBPyConnection:
    import duckdb  # here: `timeline --help` and the commands that map nothing never load it

    # text comes back as Arrow large_string, the type pandas' text columns hold (`series`):
    # with DuckDB's default (string) each text column of a result was copied once more
    return duckdb.connect(":memory:", config={"arrow_large_buffer_size": True})


def select(sql: str, table: pa.Table, **params: object) -> pa.Table:
    """Run `sql` over `table` (named `chunk` in the query; `$name` for each of `params`) in
    DuckDB, which keeps the rows in order; the result as Arrow."""
    con = _connection().cursor()
    try:
        con.register("chunk", table)
        return con.sql(sql, params=params).to_arrow_table()
    finally:
        con.close()


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """DuckDB's 64-bit hash of each row's values (all columns, as text; the columns are
    renamed, so no name from a file reaches the query)."""
    if not len(frame.columns):
        return np.zeros(len(frame), dtype=np.uint64)
    columns = {f"c{i}": pa.array(frame[c].astype(STRING).array) for i, c in enumerate(frame.columns)}
    sql = "SELECT hash(" + ", ".join(columns) + ") AS h FROM chunk"
    return select(sql, pa.table(columns)).column("h").to_numpy()


def series(table: pa.Table, name: str, index: pd.Index, dtype: object = STRING) -> pd.Series:
    """A result column as a pandas column of the schema's dtype, on the chunk's index."""
    column = table.column(name)
    if dtype == STRING:
        arr = pd.arrays.ArrowStringArray(column.cast(pa.large_string()), dtype=STRING)
        return pd.Series(arr, index=index)
    if dtype == "datetime64[ms]":
        column = column.cast(pa.timestamp("ms"))
    mapper = {pa.int64(): dtype}.get if dtype == pd.Int64Dtype() else None  # not through float64
    values = column.to_pandas(types_mapper=mapper).array  # values only: never realigned by index
    return pd.Series(values, index=index).astype(dtype)


def reasons(table: pa.Table, index: pd.Index) -> Reasons:
    """The `category` and `reason` columns of a result as a chunk's `Reasons`."""
    r = Reasons(index)
    r.category = series(table, "category", index)
    r.reason = series(table, "reason", index)
    return r
