"""A DuckDB answer as a pandas frame, the same frame Ibis's `to_pandas` gives, for less.

Ibis turns each column into pandas and then converts the frame twice by its schema; on a
view's small answers that is 15-20 ms a question, most of a filter change's engine time. Here
the common columns go straight from Arrow to the dtype Ibis ends with (text as pandas' string
dtype, dates as datetime64[s], whole numbers as int64, or float64 when some are missing, lists
as Python lists), and any other column takes Ibis's own conversion, one column at a time.
`tests/test_engine_frames.py` holds every column of every question to Ibis's frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.types as pat


def to_frame(table: pa.Table, schema: object) -> pd.DataFrame:
    """`table` (DuckDB's Arrow answer) as Ibis would give it for an expression of `schema`
    (its Ibis schema)."""
    columns = {
        name: _column(table.column(name), schema[name])  # type: ignore[index]
        for name in table.column_names
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def _column(col: pa.ChunkedArray, dtype: object) -> object:
    """One column: the fast way where its Arrow type says what Ibis makes of it, else Ibis's."""
    kind, nulls = col.type, col.null_count
    if (pat.is_string(kind) or pat.is_large_string(kind)) and dtype.is_string():  # type: ignore[attr-defined]
        return col.to_pandas()
    if pat.is_int64(kind) and dtype.is_int64():  # type: ignore[attr-defined]
        if not nulls:
            return col.to_numpy()
        if nulls == len(col):
            return np.array([None] * len(col), dtype=object)
        return col.to_numpy(zero_copy_only=False)  # float64 with NaN, as pandas reads ints and None
    if pat.is_float64(kind) and dtype.is_float64():  # type: ignore[attr-defined]
        return col.to_numpy(zero_copy_only=False)
    if pat.is_date32(kind) and dtype.is_date():  # type: ignore[attr-defined]
        return col.cast(pa.timestamp("s")).to_numpy(zero_copy_only=False)
    if pat.is_decimal(kind) and kind.scale == 0 and dtype.is_int64() and not nulls:  # type: ignore[attr-defined]
        return col.cast(pa.int64()).to_numpy()  # a sum of whole numbers: Ibis casts it to int64 too
    if pat.is_boolean(kind) and dtype.is_boolean() and not nulls:  # type: ignore[attr-defined]
        return col.to_numpy(zero_copy_only=False)
    if (pat.is_list(kind) or pat.is_large_list(kind)) and dtype.is_array():  # type: ignore[attr-defined]
        values = np.empty(len(col), dtype=object)
        values[:] = col.to_pylist()
        return values
    return _ibis_column(col, dtype)


def _ibis_column(col: pa.ChunkedArray, dtype: object) -> pd.Series:
    """One column as Ibis's DuckDB backend converts it (`execute`, then `__pandas_result__`)."""
    import ibis.expr.schema as sch
    from ibis.backends.duckdb.converter import DuckDBPandasData
    from ibis.formats.pandas import PandasData

    listed = pat.is_nested(col.type) or pat.is_dictionary(col.type) or col.null_count
    frame = pd.DataFrame({"c": col.to_pylist() if listed else col.to_pandas()})
    schema = sch.Schema({"c": dtype})
    return PandasData.convert_table(DuckDBPandasData.convert_table(frame, schema), schema)["c"]
