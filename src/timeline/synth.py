"""Synthetic events in the real schema, for tests and benchmarks (`timeline synth`).

Vectorised with numpy and written straight to Arrow, so a million rows take seconds.
Every row says `synthetic` in `source_outlet` and `dataset`; these files never belong
in `data/events.parquet`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from timeline import taxonomy
from timeline.schema import ARROW_SCHEMA, STRING_LIST, Col
from timeline.store import write_table_atomic

SOURCE_OUTLET = "Synthetic data (timeline synth)"
FIRST_DAY = np.datetime64("2022-02-24")
LAST_DAY = np.datetime64("2026-06-30")

# Rough shape of a war's record: attacks dominate, diplomacy steady, a few long-dated items.
TYPE_WEIGHTS = {
    "drone_attack": 22, "missile_strike": 10, "combined_strike": 4, "shelling": 8, "armed_clash": 8,
    "air_strike": 3, "interception": 2, "statement": 12, "meeting": 8, "call": 4, "visit": 2,
    "agreement": 2, "press_conference": 3, "policy_decision": 3, "troop_deployment": 4,
    "intelligence_report": 3, "protest": 1, "violence_against_civilians": 1, "other": 2,
}  # fmt: skip
COUNTRIES = np.array(
    ["UKR", "RUS", "PRK", "KOR", "USA", "BLR", "POL", "GBR", "DEU", "FRA", "JPN", "CHN", "IRN", "TUR", "NLD"]
)
COUNTRY_WEIGHTS = np.array([30, 28, 8, 7, 8, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1], dtype=float)
ACTORS = np.array([
    "Russian Armed Forces", "Ukrainian Air Force", "Armed Forces of Ukraine", "Russian Ministry of Defence",
    "Volodymyr Zelensky", "Vladimir Putin", "Kim Jong Un", "Yoon Suk Yeol", "NATO", "European Union",
    "US Department of Defense", "US State Department", "UN Security Council", "Korean People's Army",
    "National Intelligence Service (ROK)", "Defence Intelligence of Ukraine", "G7", "Andrii Sybiha",
    "Sergey Lavrov", "Mark Rutte", "Rustem Umerov", "Antony Blinken", "Lloyd Austin", "Kyiv City Administration",
])  # fmt: skip
PLACES = [("Kyiv", 50.45, 30.52), ("Kharkiv", 49.99, 36.23), ("Odesa", 46.48, 30.72), ("Dnipro", 48.46, 35.05),
          ("Zaporizhzhia", 47.84, 35.14), ("Lviv", 49.84, 24.03), ("Sumy", 50.91, 34.80), ("Kursk", 51.73, 36.19),
          ("Belgorod", 50.60, 36.59), ("Moscow", 55.76, 37.62), ("Seoul", 37.57, 126.98), ("Pyongyang", 39.04, 125.76),
          ("Brussels", 50.85, 4.35), ("Washington, D.C.", 38.91, -77.04)]  # fmt: skip
UNITS = {"drone_attack": "drones", "missile_strike": "missiles", "combined_strike": "drones+missiles",
         "shelling": "projectiles", "troop_deployment": "troops", "armed_clash": "fatalities"}  # fmt: skip
MEDIAN_COUNT = {
    "drones": 40,
    "missiles": 6,
    "drones+missiles": 120,
    "projectiles": 30,
    "troops": 1500,
    "fatalities": 4,
}


def _lists(
    rng: np.random.Generator, pool: np.ndarray, n: int, weights: np.ndarray | None, most: int
) -> pa.Array:
    lengths = rng.integers(1, most + 1, size=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    p = None if weights is None else weights / weights.sum()
    values = pool[rng.choice(len(pool), size=int(offsets[-1]), p=p)]
    return pa.ListArray.from_arrays(pa.array(offsets), _strings(values)).cast(STRING_LIST)


def _strings(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(values.astype(object), type=pa.string(), mask=mask)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def generate(n: int, seed: int = 0) -> pa.Table:
    """`n` plausible synthetic events as an Arrow table in the event schema."""
    rng = np.random.default_rng(seed)
    keys = np.array(list(TYPE_WEIGHTS))
    w = np.array(list(TYPE_WEIGHTS.values()), dtype=float)
    types = keys[rng.choice(len(keys), size=n, p=w / w.sum())]

    days = int((LAST_DAY - FIRST_DAY).astype(int))
    # Intensity grows over time, like the real record (square root gives more late days).
    start = FIRST_DAY + (np.sqrt(rng.random(n)) * days).astype("timedelta64[D]")
    precision = np.array(taxonomy.PRECISIONS)[rng.choice(4, size=n, p=[0.9, 0.06, 0.03, 0.01])]
    end = start.copy()
    overnight = np.isin(types, ["drone_attack", "combined_strike", "missile_strike"]) & (rng.random(n) < 0.5)
    end[overnight] += np.timedelta64(1, "D")
    week = precision == "week"
    weekday = (start.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    start[week] -= weekday[week].astype("timedelta64[D]")
    end[week] = start[week] + np.timedelta64(6, "D")
    month = precision == "month"
    start[month] = start[month].astype("datetime64[M]").astype("datetime64[D]")
    end[month] = (start[month].astype("datetime64[M]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    year = precision == "year"
    start[year] = start[year].astype("datetime64[Y]").astype("datetime64[D]")
    end[year] = (start[year].astype("datetime64[Y]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")

    units = pd.Series(types).map(UNITS).to_numpy(dtype=object)
    median = pd.Series(units).map(MEDIAN_COUNT).fillna(0).to_numpy(dtype=float)
    has_count = median > 0
    counts = np.where(has_count, np.round(median * rng.lognormal(0, 0.8, n)), 0).astype(np.int64)
    strike = np.isin(units, list(taxonomy.STRIKE_UNITS))
    intercepted = rng.binomial(counts, 0.75)

    located = rng.random(n) < 0.6
    place = rng.integers(0, len(PLACES), n)
    lat = np.array([p[1] for p in PLACES])[place] + rng.normal(0, 0.15, n)
    lon = np.array([p[2] for p in PLACES])[place] + rng.normal(0, 0.15, n)
    location = np.array([p[0] for p in PLACES], dtype=object)[place]

    labels = pd.Series(types).map(taxonomy.LABELS).to_numpy(dtype=object)
    ids = np.char.add("synth-", np.char.zfill(np.arange(n).astype(str), 7))
    titles = labels + " (synthetic " + ids.astype(object) + ")"
    confidence = np.array(taxonomy.CONFIDENCES)[rng.choice(3, size=n, p=[0.6, 0.3, 0.1])]
    now = datetime.now(UTC)

    def masked(values: np.ndarray, keep: np.ndarray, type_: pa.DataType) -> pa.Array:
        return pa.array(values, type=type_, mask=~keep)

    columns = {
        Col.EVENT_ID: pa.array(ids, pa.string()),
        Col.DATE_START: pa.array(start.astype("datetime64[D]")).cast(pa.date32()),
        Col.DATE_END: pa.array(end.astype("datetime64[D]")).cast(pa.date32()),
        Col.DATE_PRECISION: pa.array(precision, pa.string()),
        Col.DATE_TEXT: pa.nulls(n, pa.string()),
        Col.EVENT_TYPE: pa.array(types, pa.string()),
        Col.TITLE: pa.array(titles, pa.string()),
        Col.SUMMARY: pa.nulls(n, pa.string()),
        Col.ACTORS: _lists(rng, ACTORS, n, None, 3),
        Col.COUNTRIES: _lists(rng, COUNTRIES, n, COUNTRY_WEIGHTS, 2),
        Col.LOCATION: masked(location, located, pa.string()),
        Col.LATITUDE: masked(lat, located, pa.float64()),
        Col.LONGITUDE: masked(lon, located, pa.float64()),
        Col.COUNT: masked(counts, has_count, pa.int64()),
        Col.COUNT_UNIT: masked(units, has_count, pa.string()),
        Col.INTERCEPTED: masked(intercepted, strike, pa.int64()),
        Col.WEAPON: pa.nulls(n, pa.string()),
        Col.CONFIDENCE: pa.array(confidence, pa.string()),
        Col.SOURCE_OUTLET: pa.array(np.full(n, SOURCE_OUTLET, dtype=object), pa.string()),
        Col.SOURCE_URL: pa.nulls(n, pa.string()),
        Col.SOURCE_PUBLISHED: pa.nulls(n, pa.date32()),
        Col.OTHER_SOURCES: _empty_lists(n),
        Col.ADDED_AT: pa.array(
            np.full(n, np.datetime64(now.replace(tzinfo=None), "ms")), pa.timestamp("ms", tz="UTC")
        ),
        Col.DATASET: pa.array(np.full(n, taxonomy.DATASET_SYNTHETIC, dtype=object), pa.string()),
    }
    return pa.Table.from_arrays([columns[Col(name)] for name in ARROW_SCHEMA.names], schema=ARROW_SCHEMA)


def _empty_lists(n: int) -> pa.Array:
    return pa.ListArray.from_arrays(
        pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string())
    ).cast(STRING_LIST)


def write(n: int, path: Path, seed: int = 0) -> None:
    write_table_atomic(generate(n, seed), path)
