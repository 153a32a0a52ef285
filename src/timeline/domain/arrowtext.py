"""Arrow text read as its UTF-8 bytes, for what a few bytes of each value decide.

Why: trimming and measuring a text column with Arrow's kernels reads (and trimming copies)
every byte of it, and an import's summaries are some 300 bytes a row; whether a value could
be padded, or is longer than a limit, is known from its first and last bytes and its size
(docs/performance.md, "Import"), so the kernels run on the few values that need them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.schema import one_array


def text_bytes(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """An Arrow text array as one plain string array, its value offsets (int64, relative to
    `data`) and the UTF-8 bytes they index, without copying the text: for checks that read
    bytes rather than values."""
    values = one_array(values)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        arr = values
    else:  # dictionary or view layouts: their text as a plain string array
        arr = values.cast(pa.large_string())
    n = len(arr)
    _, offsets_buffer, data_buffer = arr.buffers()
    if n == 0 or data_buffer is None:
        return arr, np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.uint8)
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)[arr.offset : arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return arr, offsets - offsets[0], data


def is_plain_text(values: object) -> bool:
    """Whether `values` is an Arrow string or large string array (what `text_bytes` reads
    without a cast)."""
    return isinstance(values, pa.Array) and (
        pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    )


def of_series(s: pd.Series) -> pa.Array | None:
    """The plain Arrow text behind a column of pandas' Arrow-backed string dtype (one array,
    not copied), else None: the columns the byte checks here can read."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return None
    values = one_array(pa.array(s.array))
    return values if is_plain_text(values) else None


def byte_sizes(values: pa.Array) -> np.ndarray:
    """Each value's size in UTF-8 bytes (a null: 0): at least its length in characters, at
    most four times it."""
    _, offsets, _ = text_bytes(values)
    return np.diff(offsets)


def maybe_padded(values: pa.Array) -> np.ndarray:
    """Per value: whether trimming whitespace could change it or leave it blank. A value that
    starts and ends with printable, non-space ASCII cannot: every whitespace character is
    ASCII at or below the space, or not ASCII at all. Nulls: False."""
    arr, offsets, data = text_bytes(values)
    if not len(data):
        return np.asarray(arr.is_valid(), dtype=bool) if arr.null_count else np.ones(len(arr), dtype=bool)
    sizes = np.diff(offsets)
    filled = sizes > 0
    first = data[np.minimum(offsets[:-1], len(data) - 1)]
    last = data[np.maximum(offsets[1:] - 1, 0)]
    plain = filled & (first > 0x20) & (first < 0x7F) & (last > 0x20) & (last < 0x7F)
    out = ~plain
    if arr.null_count:
        out &= np.asarray(arr.is_valid(), dtype=bool)
    return out


def _trim_blank(values: pa.Array) -> pa.Array:
    out = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, out.type), out)


def trim_blank(values: pa.Array) -> pa.Array:
    """Whitespace trimmed (the kernel pandas' `str.strip` runs), blank -> null; the kernel
    runs only on the values that could change (`maybe_padded`), the rest kept as they are."""
    if not is_plain_text(values):
        return _trim_blank(values)
    padded = maybe_padded(values)
    if not padded.any():
        return values
    if padded.mean() > 0.25:
        return _trim_blank(values)
    mask = pa.array(padded)
    return pc.replace_with_mask(values, mask, _trim_blank(values.filter(mask)))


def duplicated(s: pd.Series, keep: Literal["first", False] = "first") -> np.ndarray:
    """`Series.duplicated(keep)` (missing values equal to one another), by Arrow's hashing
    for a column of Arrow text: pandas hashes its values as Python objects (0.2-0.4 CPU s per
    million ids)."""
    values = of_series(s)
    if values is None:
        return np.asarray(s.duplicated(keep=keep), dtype=bool)
    codes = np.asarray(pc.dictionary_encode(values, null_encoding="encode").indices, dtype=np.int64)
    if keep is False:
        return np.bincount(codes)[codes] > 1
    first = np.zeros(len(codes), dtype=bool)
    first[np.unique(codes, return_index=True)[1]] = True
    return ~first
