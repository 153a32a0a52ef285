"""The one-pass mapping (`importers.onepass`, `acled.map_chunk`): every row's fate as before.

`acled.map_chunk` was some sixty pandas column operations; it is now per-value lookups and
one DuckDB query. The rows it makes, and the rows it rejects and why, are compared with a
frozen expectation (`fixtures/import/acled_frozen_*.parquet`) that the earlier pandas mapping
wrote (commit b1baafe, `python tests/test_import_onepass.py --freeze` run on that tree) for
the same inputs: the messy ACLED fixture, and a sweep of hostile values (blank and
unicode-padded ids, impossible and out-of-range dates in every shape, codes and numbers as
spreadsheets and people write them, notes naming weapons in and out of ASCII, actors,
countries) under every date order a file can have, with and without the optional columns.
The every-row-fate tests of whole files (`test_import_realistic.py`) run the new mapping
through the pipeline.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from frozen import ORDERS, as_read, assert_rejects_as_frozen, assert_rows_as_frozen, labelled
from timeline.importers import acled
from timeline.importers.base import Options
from timeline.importers.fields import STRING

FIXTURES = Path(__file__).parent / "fixtures" / "import"
FROZEN_ROWS = FIXTURES / "acled_frozen_rows.parquet"
FROZEN_REJECTED = FIXTURES / "acled_frozen_rejected.parquet"

HOSTILE = {
    "event_id_cnty": ["", " ", "UKR\u00a01", "Молнія-1", "A/B c", "x" * 300, "\u212aUKR", "UKR\x1c"],
    "event_date": ["", "  ", "2023-02-30", "0023-01-01", "1677-09-21", "1677-09-22", "2262-04-11", "2262-04-12",
                   "16/03/2023", "3/16/2023", "16 Sept 2023", "May 16, 2023", "2023-01-01T10:00",
                   " 2023-01-01 ", "\u00a02023-01-01", "1e3", "13/13/2023", "2023-1-1", "16.03.2023"],
    "time_precision": ["1", "2", "3", "1.0", "4", "", "x", "2.5", " 3 ", "0", "-1", "1e0"],
    "sub_event_type": ["Air/drone strike", " air/drone STRIKE ", "Shelling/artillery/missile attack",
                       "Armed clash", "nonsense", "", "Agreement", "Peaceful protest"],
    "notes": ["", "Shahed drone", "MISSILE", "Iskander and drone", "Stra\u00dfe mi\u00dfile", "\u212ah-101 strike",
              "dr\u00f6ne", "\ufb01 drone Україна", "nothing", "a STORM SHADOW hit"],
    "inter1": ["1", "1.0", "8", "0", "", "state force", "Civilians", "9", "External/Other Forces", " 7 "],
    "inter2": ["", "0", "2", "x"],
    "latitude": ["50.45", "", "north", "1e1", "nan", "inf", "-0", "1_000", "0x10", "+5", ".5", "5."],
    "longitude": ["30.5", "", "east", "1,5"],
    "fatalities": ["0", "1.0", "", "2.5", "many", "1e2", "-3", "+4", " 5 ", "NaN"],
    "geo_precision": ["1", "2", "3", "4", "", "x", "1.0"],
    "actor1": ["", "Military Forces of Russia (2000-)",
               "Military Forces of Ukraine (2019-); Military Forces of Russia (2000-)", "Civilians (Ukraine)",
               " ; ;", "Unknown"],
    "assoc_actor_1": ["", "Civilians (Russia)", "A;A; B"],
    "actor2": ["", "Civilians (Ukraine)", "Government of North Korea (2011-)"],
    "iso": ["804", "", "643.0", "999", "abc"],
    "country": ["Ukraine", "", "Russia", "Narnia", "  Ukraine "],
    "location": ["Kyiv", "", "Kharkiv", " <b>x</b> "],
    "admin1": ["Kyiv", "", "Kharkiv Oblast", "-"],
    "source": ["", "Ukrinform", "a; b"],
    "event_type": ["", "Battles", "Explosions/Remote violence"],
}  # fmt: skip
"""Values a row may hold instead of the fixture's first row's (one in five cells)."""

OPTIONAL = ["assoc_actor_1", "assoc_actor_2", "iso", "admin1", "geo_precision"]


def _messy() -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / "acled_messy.csv", dtype=str, keep_default_na=False).astype(STRING)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _hostile(rows: int = 1500) -> pd.DataFrame:
    """`rows` rows of the messy fixture's first, each cell swapped for a hostile value with
    probability 1/5, then notes against sub-event types; its columns are slices of one Arrow
    table, as the CSV reader hands them."""
    rng = np.random.default_rng(20)
    first = _messy().iloc[0]
    frame = pd.DataFrame({c: [first[c]] * rows for c in first.index})
    for column, values in HOSTILE.items():
        pick = np.array(values, dtype=object)[rng.integers(0, len(values), rows)]
        frame[column] = np.where(rng.random(rows) < 0.8, frame[column].to_numpy(dtype=object), pick)
    # notes that casefold into a weapon's name ('mißile', the Kelvin sign's 'Kh-101', the long
    # s of 'ſhahed') under each sub-event type the notes decide, and one they do not
    subs = ["Air/drone strike", "Shelling/artillery/missile attack", "Armed clash"]
    notes = [
        "Stra\u00dfe mi\u00dfile",
        "\u212ah-101 strike",
        "\u017fhahed",
        "a drone\u2019s strike",
        "dr\u00f6ne",
    ]
    pairs = pd.DataFrame(
        [{**first.to_dict(), "sub_event_type": sub, "notes": note} for sub in subs for note in notes]
    )
    frame = pd.concat([frame, pairs], ignore_index=True)
    rows = len(frame)
    return as_read(frame)


def cases() -> dict[str, tuple[pd.DataFrame, Options]]:
    out = {f"messy-{name}": (_messy(), Options(date_order=order)) for name, order in ORDERS.items()}
    hostile = _hostile()
    for name, order in ORDERS.items():
        out[f"hostile-{name}"] = (hostile, Options(date_order=order))
        out[f"hostile-{name}-lean"] = (hostile.drop(columns=OPTIONAL), Options(date_order=order))
    return out


def mapped_tables() -> tuple[pa.Table, pa.Table, dict[str, str]]:
    """What `acled.map_chunk` makes of every case: rows, rejections, and the rows' dtypes."""
    rows, rejected, dtypes = [], [], {}
    for case, (frame, options) in cases().items():
        result = acled.map_chunk(frame, options)
        rows.append(labelled(case, result.rows, "rows"))
        rejected.append(labelled(case, result.rejected, "rejected"))
        dtypes = {c: str(t) for c, t in result.rows.dtypes.items()}
    return pa.concat_tables(rows, promote_options="permissive"), pa.concat_tables(rejected), dtypes


def freeze() -> None:
    """Write the expectation from the mapping on the path (run once, on the old tree)."""
    rows, rejected, dtypes = mapped_tables()
    meta = {b"dtypes": json.dumps(dtypes).encode()}
    pq.write_table(rows.replace_schema_metadata(meta), FROZEN_ROWS, compression="zstd")
    pq.write_table(rejected.replace_schema_metadata({}), FROZEN_REJECTED, compression="zstd")


@pytest.fixture(scope="module")
def now() -> tuple[pa.Table, pa.Table, dict[str, str]]:
    return mapped_tables()


def test_every_mapped_row_is_as_the_pandas_mapping_made_it(now):
    rows, _, dtypes = now
    frozen = pq.read_table(FROZEN_ROWS)
    assert dtypes == json.loads(frozen.schema.metadata[b"dtypes"])
    assert_rows_as_frozen(rows, frozen)


def test_every_rejected_row_and_its_reason_are_as_before(now):
    _, rejected, _ = now
    reasons = assert_rejects_as_frozen(rejected, pq.read_table(FROZEN_REJECTED), least=1000)
    assert {"ambiguous date", "bad date", "missing date", "unknown ACLED inter code"} <= reasons


if __name__ == "__main__" and sys.argv[1:] == ["--freeze"]:
    freeze()
