"""Text trimmed and measured from its bytes (`arrowtext`) is stored exactly as Arrow's own
kernels would store it: every whitespace character, blanks and nulls, in slices of both
Arrow string layouts, mostly plain columns and mostly padded ones."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from timeline.domain.arrowtext import byte_sizes, duplicated, maybe_padded, trim_blank
from timeline.domain.schema import PANDAS_DTYPES, Kind

STRING = PANDAS_DTYPES[Kind.STRING]

SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace() or c < 0x21 or 0x7F <= c <= 0xA0] + [
    "\ufeff",
    "\u200b",
]
VALUES = (
    ["Kyiv", "a b", "Kharkiv Oblast", "Київ", "x", "", None, "\u00e9t\u00e9", "1753-01-01"]
    + [f"{s}Kyiv" for s in SPACES]
    + [f"Kyiv{s}" for s in SPACES]
    + [f"{s}{s}" for s in SPACES]
    + [s for s in SPACES]
)


def _kernel(arr: pa.Array) -> pa.Array:
    out = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, out.type), out)


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string()])
@pytest.mark.parametrize("plain_rows", [0, 10, 5_000])
def test_trimmed_text_is_what_the_kernel_makes_of_every_value(arrow_type, plain_rows):
    """A value padded with any whitespace (ASCII, no-break, ideographic, line separators) is
    trimmed, a blank one becomes missing, and everything else is kept byte for byte: the
    same array as trimming every value, whether few or most values need it."""
    values = VALUES + [f"Pokrovsk {i}" for i in range(plain_rows)]
    arr = pa.array(values, arrow_type)
    for start, stop in ((0, len(values)), (3, len(values) - 2), (len(VALUES), len(values))):
        part = arr.slice(start, stop - start)
        assert trim_blank(part).equals(_kernel(part))
        expected = np.array(
            [v is not None and (v.strip() != v or not v.strip()) for v in values[start:stop]], dtype=bool
        )
        assert not (expected & ~maybe_padded(part)).any()  # never misses a value trimming changes


def test_sizes_bound_the_length_in_characters():
    """A value's UTF-8 size is at least its length in characters and at most four times it,
    so a column whose values all fit the limit in bytes fits it in characters."""
    values = ["", "Kyiv", "Київ", "\U0001f600", "a" * 300]
    sizes = byte_sizes(pa.array(values, pa.large_string()).slice(1))
    lengths = np.array([len(v) for v in values[1:]])
    assert sizes.tolist() == [len(v.encode()) for v in values[1:]]
    assert (sizes >= lengths).all() and (sizes <= 4 * lengths).all()


@pytest.mark.parametrize("keep", ["first", False])
def test_repeated_ids_are_found_as_pandas_finds_them(keep):
    """An id repeated in a chunk (also a missing one, and ids differing only in case or by a
    padding space) is marked exactly where pandas marks it, in Arrow text and as objects."""
    ids = [
        "acled-1",
        "acled-2",
        "acled-1",
        None,
        "ACLED-1",
        "acled-1 ",
        None,
        "Київ",
        "Київ",
        "acled-2",
    ] * 3 + ["acled-9", "x"]
    text = pd.Series(ids, dtype=STRING)
    expected = text.astype(object).duplicated(keep=keep).to_numpy()
    assert expected.any() and not expected.all()
    assert (duplicated(text.iloc[2:], keep=keep) == text.iloc[2:].astype(object).duplicated(keep=keep)).all()
    assert (duplicated(text, keep=keep) == expected).all()
    assert (duplicated(text.astype(object), keep=keep) == expected).all()
