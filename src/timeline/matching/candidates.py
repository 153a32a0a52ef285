"""Candidate pairs: reports of two sides within the spatial and temporal windows, found by a
DuckDB (or Spark) equi-join on a space-time grid, then exact checks on days and great-circle
kilometres; never a comparison of all pairs (docs/matching.md, "The algorithm")."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from timeline.matching.model import MatchSettings, Place, R

THREADS_VAR = "TIMELINE_THREADS"
"""Threads DuckDB may use for the joins (default: all cores), as for the query engine."""


def _grid(settings: MatchSettings, max_abs_lat: float) -> tuple[float, float, int]:
    """Cell sizes (degrees) at least the spatial window wide everywhere in the data, and the
    number of longitude cells (one when the data reach the poles)."""
    km_per_degree = settings.earth_radius_km * math.pi / 180
    dlat = settings.km / km_per_degree * 1.001
    widest = min(89.0, max_abs_lat + dlat)
    dlon = dlat / math.cos(math.radians(widest))
    n_lon = max(1, math.floor(360 / dlon)) if widest < 89.0 else 1
    return dlat, 360 / n_lon, n_lon


def _time_bounds(frame: pd.DataFrame, rule: str) -> tuple[np.ndarray, np.ndarray]:
    starts = frame[R.START].to_numpy(dtype="int64")
    ends = frame[R.END].to_numpy(dtype="int64")
    return (starts, starts) if rule == "endpoints" else (starts, ends)


def candidates(
    left: pd.DataFrame, right: pd.DataFrame, settings: MatchSettings, rule: str, engine: object = None
) -> pd.DataFrame:
    """Pairs (li, ri) of positions in `left` and `right` within both windows, with `km`.

    `rule` is `overlap` or `endpoints` (see MatchSettings.time_rule) or `covers` (the right
    event lies within the left episode widened by the window, for review flags). Reports
    placed only by an area (`Place.AREA`) pair with reports of the same country whose
    regions do not differ; their `km` is NaN."""
    if left.empty or right.empty:
        return _EMPTY.copy()
    if Place.AREA not in left.columns or Place.AREA not in right.columns:
        return _point_candidates(
            left, right, settings, rule, np.arange(len(left)), np.arange(len(right)), engine
        )
    l_area = left[Place.AREA].to_numpy(bool)
    r_area = right[Place.AREA].to_numpy(bool)
    lpos, rpos = np.flatnonzero(~l_area), np.flatnonzero(~r_area)
    points = _point_candidates(left.iloc[lpos], right.iloc[rpos], settings, rule, lpos, rpos, engine)
    areas = _area_candidates(left, right, settings, rule, engine)
    both = pd.concat([points, areas], ignore_index=True) if len(areas) else points
    return both.sort_values(["li", "ri"], kind="stable").reset_index(drop=True)


_EMPTY = pd.DataFrame({"li": [], "ri": [], "km": []}).astype({"li": "int64", "ri": "int64", "km": "float64"})


def _time_sql(rule: str, tw: float) -> str:
    if rule == "endpoints":
        return f"abs(r.s - l.s) <= {tw} AND abs(r.e - l.e) <= {tw}"
    if rule == "overlap":
        return f"r.s <= l.e + {tw} AND r.e >= l.s - {tw}"
    return f"r.s >= l.s - {tw} AND r.e <= l.e + {tw}"  # covers: the event inside the episode


def _area_candidates(
    left: pd.DataFrame, right: pd.DataFrame, settings: MatchSettings, rule: str, engine: object
) -> pd.DataFrame:
    """Pairs where either report is placed only by an area: same country, and the same
    region unless one of them names none; a hash join on country, then the time rule."""

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "i": np.arange(len(frame)),
                "s": frame[R.START].to_numpy("int64"),
                "e": frame[R.END].to_numpy("int64"),
                "area": frame[Place.AREA].to_numpy(bool),
                "c": frame[Place.COUNTRY].astype("string").to_numpy(dtype=object, na_value=None),
                "g": frame[Place.REGION].astype("string").to_numpy(dtype=object, na_value=None),
            }
        )

    schema = "i BIGINT, s BIGINT, e BIGINT, area BOOLEAN, c STRING, g STRING"
    found = run_sql(
        {"l": (table(left), schema), "r": (table(right), schema)},
        f"""SELECT l.i AS li, r.i AS ri, CAST(NULL AS DOUBLE) AS km FROM l JOIN r ON l.c = r.c
        WHERE (l.area OR r.area) AND (l.g IS NULL OR r.g IS NULL OR l.g = r.g)
          AND {_time_sql(rule, float(settings.days))} ORDER BY li, ri""",
        engine,
    )
    return found.astype({"li": "int64", "ri": "int64", "km": "float64"}) if len(found) else _EMPTY.copy()


def _point_candidates(
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: MatchSettings,
    rule: str,
    lpos: np.ndarray,
    rpos: np.ndarray,
    engine: object,
) -> pd.DataFrame:
    """Pairs of reports with points: the grid join, then exact days and kilometres."""
    if left.empty or right.empty:
        return _EMPTY.copy()
    tw = float(settings.days)
    max_lat = float(max(left[R.LAT].abs().max(), right[R.LAT].abs().max()))
    dlat, dlon, n_lon = _grid(settings, max_lat)
    width = max(1, math.ceil(2 * tw + 1))  # days per time bucket
    l_lo, l_hi = _time_bounds(left, "endpoints" if rule == "endpoints" else "overlap")
    r_lo, r_hi = _time_bounds(right, "endpoints" if rule == "endpoints" else "overlap")
    # Left rows sit in their own cell and every bucket their interval touches; right rows
    # reach out by the windows: the 3x3 cells around theirs and the buckets of their
    # interval widened by the window. A pair within the windows then shares a key.
    lk = _keys(left, np.arange(len(left)), l_lo, l_hi, 0.0, dlat, dlon, n_lon, width, spread=False)
    rk = _keys(right, np.arange(len(right)), r_lo, r_hi, tw, dlat, dlon, n_lon, width, spread=True)
    rad = settings.earth_radius_km

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "i": np.arange(len(frame)),
                "s": frame[R.START].to_numpy("int64"),
                "e": frame[R.END].to_numpy("int64"),
                "lat": frame[R.LAT].to_numpy("float64"),
                "lon": frame[R.LON].to_numpy("float64"),
            }
        )

    sql = f"""
        WITH pairs AS (
            SELECT DISTINCT lk.i AS li, rk.i AS ri
            FROM lk JOIN rk ON lk.la = rk.la AND lk.lo = rk.lo AND lk.t = rk.t
        ), near AS (
            SELECT p.li, p.ri,
                2 * {rad} * asin(least(1.0, sqrt(
                    pow(sin(radians(r.lat - l.lat) / 2), 2)
                    + cos(radians(l.lat)) * cos(radians(r.lat))
                      * pow(sin(radians(r.lon - l.lon) / 2), 2)))) AS km
            FROM pairs p JOIN lp l ON l.i = p.li JOIN rp r ON r.i = p.ri
            WHERE {_time_sql(rule, tw)}
        )
        SELECT li, ri, km FROM near WHERE km <= {float(settings.km)} ORDER BY li, ri
        """
    keys = "i BIGINT, la BIGINT, lo BIGINT, t BIGINT"
    points = "i BIGINT, s BIGINT, e BIGINT, lat DOUBLE, lon DOUBLE"
    found = run_sql(
        {"lk": (lk, keys), "rk": (rk, keys), "lp": (table(left), points), "rp": (table(right), points)},
        sql,
        engine,
    )
    if not len(found):
        return _EMPTY.copy()
    found = found.astype({"li": "int64", "ri": "int64", "km": "float64"})
    found["li"] = lpos[found["li"].to_numpy()]
    found["ri"] = rpos[found["ri"].to_numpy()]
    return found


def _keys(
    frame: pd.DataFrame,
    pos: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    tw: float,
    dlat: float,
    dlon: float,
    n_lon: int,
    width: int,
    *,
    spread: bool,
) -> pd.DataFrame:
    lat = frame[R.LAT].to_numpy("float64")
    lon = frame[R.LON].to_numpy("float64")
    la = np.floor((lat + 90) / dlat).astype("int64")
    lo_cell = np.floor((lon + 180) / dlon).astype("int64") % n_lon if n_lon > 1 else np.zeros_like(la)
    first = np.floor((lo - tw) / width).astype("int64")
    last = np.floor((hi + tw) / width).astype("int64")
    reps = last - first + 1
    idx = np.repeat(np.arange(len(pos)), reps)
    offsets = np.arange(len(idx)) - np.repeat(np.cumsum(reps) - reps, reps)
    t = first[idx] + offsets
    base = pd.DataFrame({"i": pos[idx], "la": la[idx], "lo": lo_cell[idx], "t": t})
    if not spread:
        return base
    lat_moves = (-1, 0, 1)
    lon_moves = (-1, 0, 1) if n_lon >= 3 else ((0,) if n_lon == 1 else (0, 1))
    frames = []
    for a in lat_moves:
        for b in lon_moves:
            moved = base.copy()
            moved["la"] = base["la"] + a
            moved["lo"] = (base["lo"] + b) % n_lon
            frames.append(moved)
    return pd.concat(frames, ignore_index=True)


def threads() -> int:
    """$TIMELINE_THREADS when it is a positive number, else the cores this process may use:
    DuckDB's threads per join, and the slices a sliced match runs at once."""
    value = os.environ.get(THREADS_VAR, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": threads()})


Tables = dict[str, tuple[pd.DataFrame, str]]
"""Name -> (frame, its schema as SQL column definitions), for `run_sql`."""


def run_sql(tables: Tables, sql: str, engine: object = None) -> pd.DataFrame:
    """Run one query over small frames on DuckDB (engine None) or on a Spark session: the
    same SQL, so the two engines give the same candidates (tests/test_matching_spark.py)."""
    if engine is None:
        con = connect()
        try:
            for name, (frame, _) in tables.items():
                con.register(name, frame)
            return con.execute(sql).df()
        finally:
            con.close()
    session = engine
    for name, (frame, schema) in tables.items():
        rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
        session.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)  # type: ignore[attr-defined]
    return session.sql(sql).toPandas()  # type: ignore[attr-defined]


def sql_list(values: Sequence[str]) -> str:
    """A list of SQL string literals (a view cannot take parameters), for file names."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"
