"""Synthetic events in the real schema, for tests and benchmarks (`timeline synth`).

Vectorised with numpy and written straight to Arrow, so a million rows take seconds.
Every row says `synthetic` in `source_outlet` and `dataset`; these files never belong
in `data/events.parquet`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import taxonomy
from timeline.domain.schema import ARROW_SCHEMA, STRING_LIST, Col
from timeline.storage import parts, store
from timeline.storage.store import write_table_atomic

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
    """1 to `most` distinct items per row, drawn by weight without replacement (the Gumbel
    top-k trick: the largest log-weight plus noise)."""
    lengths = rng.integers(1, most + 1, size=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    w = np.ones(len(pool)) if weights is None else weights
    keys = np.log(w / w.sum()) + rng.gumbel(size=(n, len(pool)))
    chosen = np.argsort(-keys, axis=1)[:, :most]
    picked = chosen[np.arange(most)[None, :] < lengths[:, None]]  # row by row, first `length` of each
    return pa.ListArray.from_arrays(pa.array(offsets), _take(pool, picked)).cast(STRING_LIST)


def _initiators(rng: np.random.Generator, strike: np.ndarray) -> pa.Array:
    """Who launched each strike (mostly Russia, a quarter Ukraine); other events name none."""
    n = len(strike)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(strike.astype(np.int32), out=offsets[1:])
    sides = _take(["RUS", "UKR"], (rng.random(int(strike.sum())) < 0.25).astype(np.int64))
    return pa.ListArray.from_arrays(pa.array(offsets), sides).cast(STRING_LIST)


def _take(pool: np.ndarray | list[str], codes: np.ndarray) -> pa.Array:
    """pool[codes] as an Arrow string array, without a Python object per value."""
    return pa.array(list(pool), pa.string()).take(pa.array(codes.astype(np.int64)))


def _start_days(rng: np.random.Generator, n: int, window: tuple[float, float]) -> np.ndarray:
    """Start days, denser towards the end like the real record: day = sqrt(u) x span, with u
    uniform over `window` (a slice of [0, 1), so that months can be generated one by one)."""
    days = int((LAST_DAY - FIRST_DAY).astype(int))
    u = window[0] + (window[1] - window[0]) * rng.random(n)
    return FIRST_DAY + np.minimum(np.sqrt(u) * days, days).astype("timedelta64[D]")


def _ids(first: int, n: int, width: int) -> pa.Array:
    numbers = pa.array(np.arange(first, first + n, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise("synth-", pc.utf8_lpad(numbers, width, "0"), "")


def _dates(
    rng: np.random.Generator, types: np.ndarray, window: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end days and precision codes: mostly single days, strikes often overnight,
    a few known only to the week, month or year (spanning it whole)."""
    n = len(types)
    start = _start_days(rng, n, window)
    precision_codes = rng.choice(4, size=n, p=[0.9, 0.06, 0.03, 0.01])
    precision = np.array(taxonomy.PRECISIONS)[precision_codes]
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
    return start, end, precision_codes


def _counts(
    rng: np.random.Generator, keys: np.ndarray, type_codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, pa.Array, np.ndarray, np.ndarray]:
    """Headline counts (log-normal around each unit's median) for the types that have a unit,
    with their units, and intercepted counts for strikes."""
    unit_of_type = [UNITS.get(k) for k in keys]
    median = np.array([MEDIAN_COUNT.get(u, 0) if u else 0 for u in unit_of_type], dtype=float)[type_codes]
    has_count = median > 0
    counts = np.where(has_count, np.round(median * rng.lognormal(0, 0.8, len(type_codes))), 0).astype(
        np.int64
    )
    strike = np.array([u in taxonomy.STRIKE_UNITS for u in unit_of_type])[type_codes]
    units = _take([u or "" for u in unit_of_type], type_codes)
    intercepted = rng.binomial(counts, 0.75)
    return counts, has_count, units, intercepted, strike


def _places(rng: np.random.Generator, n: int) -> tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]:
    """Which events have a place (six in ten), its name, and coordinates scattered around it."""
    located = rng.random(n) < 0.6
    place = rng.integers(0, len(PLACES), n)
    lat = np.array([p[1] for p in PLACES])[place] + rng.normal(0, 0.15, n)
    lon = np.array([p[2] for p in PLACES])[place] + rng.normal(0, 0.15, n)
    location = _take([p[0] for p in PLACES], place)
    return located, location, lat, lon


def generate(
    n: int, seed: int = 0, *, first_id: int = 0, id_width: int = 7, window: tuple[float, float] = (0.0, 1.0)
) -> pa.Table:
    """`n` plausible synthetic events as an Arrow table in the event schema. `first_id`,
    `id_width` and `window` let `write_parts` make a big dataset month by month."""
    rng = np.random.default_rng(seed)  # every draw below in a fixed order: a seed gives one table
    keys = np.array(list(TYPE_WEIGHTS))
    w = np.array(list(TYPE_WEIGHTS.values()), dtype=float)
    type_codes = rng.choice(len(keys), size=n, p=w / w.sum())
    types = keys[type_codes]
    start, end, precision_codes = _dates(rng, types, window)
    counts, has_count, units, intercepted, strike = _counts(rng, keys, type_codes)
    located, location, lat, lon = _places(rng, n)

    ids = _ids(first_id, n, id_width)
    labels = _take([taxonomy.LABELS[k] for k in keys], type_codes)
    titles = pc.binary_join_element_wise(labels, " (synthetic ", ids, ")", "")
    confidence = _take(taxonomy.CONFIDENCES, rng.choice(3, size=n, p=[0.6, 0.3, 0.1]))
    now = datetime.now(UTC)

    def masked(values: np.ndarray | pa.Array, keep: np.ndarray, type_: pa.DataType) -> pa.Array:
        if isinstance(values, pa.Array):
            return pc.if_else(pa.array(keep), values, pa.scalar(None, type_))
        return pa.array(values, type=type_, mask=~keep)

    columns = {
        Col.EVENT_ID: ids,
        Col.DATE_START: pa.array(start.astype("datetime64[D]")).cast(pa.date32()),
        Col.DATE_END: pa.array(end.astype("datetime64[D]")).cast(pa.date32()),
        Col.DATE_PRECISION: _take(taxonomy.PRECISIONS, precision_codes),
        Col.DATE_TEXT: pa.nulls(n, pa.string()),
        Col.EVENT_TYPE: _take(keys, type_codes),
        Col.TITLE: titles,
        Col.SUMMARY: pa.nulls(n, pa.string()),
        Col.KEY_LABEL: pa.nulls(n, pa.string()),
        Col.ACTORS: _lists(rng, ACTORS, n, None, 3),
        Col.COUNTRIES: _lists(rng, COUNTRIES, n, COUNTRY_WEIGHTS, 2),
        Col.INITIATOR_COUNTRIES: _initiators(rng, np.isin(types, list(taxonomy.STRIKE_TYPES))),
        Col.LOCATION: masked(location, located, pa.string()),
        Col.LATITUDE: masked(lat, located, pa.float64()),
        Col.LONGITUDE: masked(lon, located, pa.float64()),
        Col.GEO_PRECISION: masked(np.ones(n, dtype=np.int64), located, pa.int64()),
        Col.AREA_CODE: pa.nulls(n, pa.string()),
        Col.COUNT: masked(counts, has_count, pa.int64()),
        Col.COUNT_UNIT: masked(units, has_count, pa.string()),
        Col.INTERCEPTED: masked(intercepted, strike, pa.int64()),
        Col.WEAPON: pa.nulls(n, pa.string()),
        Col.CONFIDENCE: confidence,
        Col.SOURCE_OUTLET: _take([SOURCE_OUTLET], np.zeros(n, dtype=np.int64)),
        Col.SOURCE_URL: pa.nulls(n, pa.string()),
        Col.SOURCE_PUBLISHED: pa.nulls(n, pa.date32()),
        Col.OTHER_SOURCES: _empty_lists(n),
        Col.ADDED_AT: pa.array(
            np.full(n, np.datetime64(now.replace(tzinfo=None), "ms")), pa.timestamp("ms", tz="UTC")
        ),
        Col.DATASET: _take([taxonomy.DATASET_SYNTHETIC], np.zeros(n, dtype=np.int64)),
    }
    return pa.Table.from_arrays([columns[Col(name)] for name in ARROW_SCHEMA.names], schema=ARROW_SCHEMA)


def _empty_lists(n: int) -> pa.Array:
    return pa.ListArray.from_arrays(
        pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string())
    ).cast(STRING_LIST)


CHUNK_ROWS = 1_000_000
"""Events generated at once by `write_parts`: memory stays near one chunk's, whatever `n`."""


def write(n: int, path: Path, seed: int = 0) -> None:
    """One Parquet file of `n` events (held in memory while written; see `write_parts`)."""
    write_table_atomic(generate(n, seed, id_width=max(7, len(str(n - 1)))), path)


def write_parts(
    n: int, root: Path, seed: int = 0, *, chunk_rows: int = CHUNK_ROWS, say: Callable[[str], None] = print
) -> parts.Manifest:
    """A partitioned dataset of `n` events, written month by month in chunks of at most
    `chunk_rows`, so 100 million events need the memory of one chunk. Each month gets the
    share of events the distribution gives it (a multinomial draw: same seed, same data)."""
    manifest = parts.create(root)
    rng = np.random.default_rng(seed)
    months = np.arange(FIRST_DAY.astype("datetime64[M]"), LAST_DAY.astype("datetime64[M]") + 1)
    days = int((LAST_DAY - FIRST_DAY).astype(int))
    edges = [(max(m.astype("datetime64[D]"), FIRST_DAY) - FIRST_DAY).astype(int) / days for m in months]
    edges = np.clip(np.array([*edges, 1.0 + 1e-9]), 0, None) ** 2  # start = sqrt(u) x span
    shares = rng.multinomial(n, np.diff(edges) / np.diff(edges).sum())
    width = max(7, len(str(n - 1)))
    written, first_id = [], 0
    with store.locked(parts.manifest_path(root)):
        for i, (k, lo, hi) in enumerate(zip(shares, edges[:-1], edges[1:], strict=True)):
            for offset in range(0, int(k), chunk_rows):
                size = min(chunk_rows, int(k) - offset)
                table = generate(size, seed=seed * 1_000_003 + i * 1_009 + offset // chunk_rows,
                                 first_id=first_id, id_width=width, window=(lo, min(hi, 1.0)))  # fmt: skip
                written += parts.write_parts(root, table)
                first_id += size
            say(f"synth: {first_id:,} of {n:,} events written")
        manifest = parts.commit(root, add=written)
    return manifest
