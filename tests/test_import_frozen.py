"""The UCDP and GDELT mappings (`ucdp.map_chunk`, `gdelt.map_chunk`): every row's fate frozen,
so that moving them to one pass (`importers.onepass`, as ACLED's, `test_import_onepass.py`)
can be checked row by row.

The expectation (`fixtures/import/{ucdp,gdelt}_frozen_*.parquet`) was written by the
column-by-column mappings (commit 8811d1a, `python tests/test_import_frozen.py --freeze` run on that tree) for
the same inputs: each format's messy fixture, and a sweep of its rows with cells swapped for
hostile values (blanks and placeholders, impossible dates and dates in every shape, numbers as
people write them, text in and out of ASCII, values moved between columns), under each date
order a UCDP file can have and with GDELT's root-code and country selections.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from frozen import ORDERS, as_read, assert_rejects_as_frozen, assert_rows_as_frozen, labelled
from timeline.importers import gdelt, ucdp
from timeline.importers.base import Format, Options
from timeline.importers.fields import STRING

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SOURCES = {"ucdp": (ucdp.FORMAT, FIXTURES / "ucdp_ged_messy.csv"), "gdelt": (gdelt.FORMAT, FIXTURES / "gdelt_events_messy.tsv")}  # fmt: skip

HOSTILE = ["", " ", "NA", "-", "#N/A", "1753-01-01", "1753-01-01 00:00:00.000", "2023-02-30", "0023-01-01",
           "1677-09-21", "2262-04-12", "16/03/2023", "3/16/2023", "8/29/2014 12:00:00 AM", "16 March 2023",
           "20241125", "202413", "2024", "1e2", "-3", "+4", " 5 ", "1.0", "2.5", "nan", "inf", "0x10", "1_000",
           "99999999999999999999", "x" * 300, "\u00a0UKR", "Молнія-1", "Stra\u00dfe", "\u212a", "UKR", "RUS",
           "PRK", "190", "19", "195", "041", "https://example.org/a", "ftp://x", "Kyiv, Ukraine", "a;b; ;b"]  # fmt: skip
"""Values a cell may hold instead of its own (one in five cells), besides values of other rows."""

GDELT_OPTIONS = {
    "all": Options(),
    "roots": Options(cameo_roots=("19", "2")),
    "countries": Options(countries=("UKR",)),
}


def _messy(fmt: Format, path: Path) -> pd.DataFrame:
    """The fixture as the reader hands it: every value as text, rows numbered from 1."""
    options = {"dtype": str, "keep_default_na": False, "na_filter": False, **fmt.read_options}
    if fmt.read_options.get("quoting") == csv.QUOTE_NONE:
        options["quoting"] = csv.QUOTE_NONE
    frame = pd.read_csv(path, **options).astype(STRING)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _hostile(messy: pd.DataFrame, rows: int = 1500, seed: int = 20) -> pd.DataFrame:
    """`rows` rows drawn from the fixture, a fifth of the cells swapped for a hostile value
    or another row's value of any column; the columns slices of one Arrow table, as the CSV
    reader hands them."""
    rng = np.random.default_rng(seed)
    frame = messy.iloc[rng.integers(0, len(messy), rows)].reset_index(drop=True).astype(object)
    pool = np.array(HOSTILE + sorted(set(messy.to_numpy().ravel().tolist())), dtype=object)
    for column in frame.columns:
        swap = rng.random(rows) < 0.2
        frame.loc[swap, column] = pool[rng.integers(0, len(pool), int(swap.sum()))]
    return as_read(frame)


def cases(name: str) -> dict[str, tuple[pd.DataFrame, Options]]:
    fmt, path = SOURCES[name]
    messy = _messy(fmt, path)
    hostile = _hostile(messy)
    choices = {k: Options(date_order=o) for k, o in ORDERS.items()} if name == "ucdp" else GDELT_OPTIONS
    out = {}
    for label, options in choices.items():
        out[f"messy-{label}"] = (messy, options)
        out[f"hostile-{label}"] = (hostile, options)
    return out


def mapped_tables(name: str) -> tuple[pa.Table, pa.Table, dict[str, object]]:
    """What the format's mapping makes of every case: rows, rejections, and the rows' dtypes
    and the rows skipped on purpose per case."""
    fmt = SOURCES[name][0]
    rows, rejected, meta = [], [], {"skipped": {}}
    for case, (frame, options) in cases(name).items():
        result = fmt.map(frame, options)
        rows.append(labelled(case, result.rows, "rows"))
        rejected.append(labelled(case, result.rejected, "rejected"))
        meta["dtypes"] = {c: str(t) for c, t in result.rows.dtypes.items()}
        meta["skipped"][case] = [result.skipped, result.skipped_label, result.also_skipped]
    return pa.concat_tables(rows, promote_options="permissive"), pa.concat_tables(rejected), meta


def _paths(name: str) -> tuple[Path, Path]:
    return FIXTURES / f"{name}_frozen_rows.parquet", FIXTURES / f"{name}_frozen_rejected.parquet"


def freeze() -> None:
    """Write the expectation from the mappings on the path (run once, on the old tree)."""
    for name in SOURCES:
        rows, rejected, meta = mapped_tables(name)
        rows_path, rejected_path = _paths(name)
        pq.write_table(
            rows.replace_schema_metadata({b"meta": json.dumps(meta).encode()}), rows_path, compression="zstd"
        )
        pq.write_table(rejected.replace_schema_metadata({}), rejected_path, compression="zstd")


@pytest.fixture(scope="module", params=list(SOURCES))
def now(request) -> tuple[str, pa.Table, pa.Table, dict[str, object]]:
    return (request.param, *mapped_tables(request.param))


def test_every_mapped_row_and_every_skip_is_as_frozen(now):
    name, rows, _, meta = now
    frozen = pq.read_table(_paths(name)[0])
    assert meta == json.loads(frozen.schema.metadata[b"meta"])
    assert_rows_as_frozen(rows, frozen)


def test_every_rejected_row_and_its_reason_are_as_frozen(now):
    name, _, rejected, _ = now
    reasons = assert_rejects_as_frozen(rejected, pq.read_table(_paths(name)[1]), least=500)
    assert len(reasons) >= 4  # the sweep reaches several reasons


if __name__ == "__main__" and sys.argv[1:] == ["--freeze"]:
    freeze()
