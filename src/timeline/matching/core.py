"""Matching reports of one incident across sources (MELTT's method, docs/matching.md).

The input is a plain table of *reports*: which source said it, its id there, a day interval,
a point, whether it is an episode (a multi-day event) and its categories on each taxonomy
level. Sources are integrated one at a time in precedence order: the next source's reports
are matched one-to-one against the incidents found so far (represented by their
highest-precedence report), events with events and episodes with episodes; an event that
an episode of the other side could cover is flagged for review, never merged.

Candidates come from a DuckDB equi-join on a space-time grid (cells at least the windows
wide, so every pair within the windows shares a cell and its neighbours), then exact
checks on days and great-circle kilometres: never a comparison of all pairs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

THREADS_VAR = "TIMELINE_THREADS"
"""Threads DuckDB may use for the joins (default: all cores), as for the query engine."""

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG); MELTT's own code uses 111.111 km a degree (6366.2 km)."""


class R(StrEnum):
    """Columns of the reports table the algorithm reads (taxonomy levels come on top)."""

    SOURCE = "source"
    REPORT = "report"
    START = "start"
    END = "end"
    LAT = "lat"
    LON = "lon"
    EPISODE = "episode"


class Place(StrEnum):
    """Optional columns for reports placed only by an area (a region, a country, no point)."""

    AREA = "area"
    """True: the report has no usable point; it is compared by country and region instead."""
    COUNTRY = "country"
    REGION = "region"


class Kind(StrEnum):
    EVENT = "event"
    EPISODE = "episode"


class Role(StrEnum):
    REPRESENTATIVE = "representative"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Dimension:
    """One taxonomy: its level columns from most specific to broadest, and its weight."""

    name: str
    levels: tuple[str, ...]
    weight: float = 1.0
    required: bool = True
    """False: a disagreement costs the full weight but does not rule the pair out (counts)."""
    unknown_agrees: bool = False
    """True: a missing value agrees with anything, at half the weight (an unknown side)."""


@dataclass(frozen=True)
class MatchSettings:
    """How close two reports must be to be one incident, and how the best match is chosen."""

    km: float = 10.0
    """Spatial window: great-circle distance in km."""
    days: float = 1.0
    """Temporal window in days."""
    time_rule: Literal["overlap", "endpoints"] = "overlap"
    """`overlap`: the two day intervals, each widened by the window, overlap (a week-precision
    report can match a day inside it). `endpoints`: starts and ends each within the window
    (MELTT's rule for event-to-event and episode-to-episode)."""
    selection: Literal["best", "reference"] = "best"
    """`best`: one-to-one by best score (most specific agreement), then nearest in time, then
    in space. `reference`: MELTT 0.4.3's order (docs/matching.md): each report of the
    incidents so far, in time order, takes the first free candidate, earlier ones latest
    first, then later ones earliest first, whatever their scores."""
    partial: int = 0
    """Taxonomies that may disagree entirely (each then counts as the broadest agreement)."""
    review_margin: float = 0.0
    """A match is flagged ambiguous when a runner-up scores within this of it."""
    earth_radius_km: float = EARTH_RADIUS_KM
    precedence: tuple[str, ...] = ()
    """Sources in the order they are integrated; the first one's report represents an
    incident. Sources not named follow in order of first appearance."""

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["precedence"] = list(self.precedence)
        return data


class MatchError(ValueError):
    """Input the algorithm cannot use (a clear message naming the row and field)."""


@dataclass
class MatchResult:
    """What the match found: one row per report, plus the summary MELTT prints."""

    reports: pd.DataFrame
    """Every input report with `incident`, `role`, `kind`, `score`, `km`, `days_apart`,
    `matched_to` and `review` (why a person should look at it; empty if no reason)."""
    sources: tuple[str, ...]
    settings: MatchSettings
    taxonomy: tuple[Dimension, ...]
    summary: dict[str, object] = field(default_factory=dict)


class Out(StrEnum):
    """Columns the match adds to each report."""

    INCIDENT = "incident"
    ROLE = "role"
    KIND = "kind"
    MATCHED_TO = "matched_to"
    SCORE = "score"
    KM = "km"
    DAYS_APART = "days_apart"
    REVIEW = "review"


def level_columns(taxonomy: Sequence[Dimension]) -> list[str]:
    return [level for dim in taxonomy for level in dim.levels]


def check_reports(reports: pd.DataFrame, taxonomy: Sequence[Dimension]) -> None:
    """Every row needs its source, id, days and point; else a message naming row and field."""
    for col in [*R, *level_columns(taxonomy)]:
        if str(col) not in reports.columns:
            raise MatchError(f"the reports have no column {col!r}")
    placed = ~reports[Place.AREA].to_numpy(bool) if Place.AREA in reports.columns else True
    for col in (R.SOURCE, R.REPORT, R.START, R.END, R.LAT, R.LON):
        missing = reports[str(col)].isna().to_numpy().copy()
        if col in (R.LAT, R.LON):
            missing &= placed
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise MatchError(f"row {row + 1}: {col} is missing ({int(missing.sum())} rows)")
    bad = (reports[R.END] < reports[R.START]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise MatchError(f"row {row + 1}: {R.END} is before {R.START} ({int(bad.sum())} rows)")
    lat_bad = ~reports[R.LAT].between(-90, 90).to_numpy() & placed
    lon_bad = ~reports[R.LON].between(-180, 180).to_numpy() & placed
    for col, bad in ((R.LAT, lat_bad), (R.LON, lon_bad)):
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise MatchError(f"row {row + 1}: {col} {reports[str(col)].iloc[row]} is out of range")
    if reports.duplicated([str(R.SOURCE), str(R.REPORT)]).any():
        dup = reports[reports.duplicated([str(R.SOURCE), str(R.REPORT)])].iloc[0]
        raise MatchError(f"report {dup[R.REPORT]!r} of source {dup[R.SOURCE]!r} appears twice")


def source_order(reports: pd.DataFrame, precedence: Sequence[str]) -> tuple[str, ...]:
    present = list(dict.fromkeys(reports[R.SOURCE].astype(str)))
    first = [s for s in precedence if s in present]
    return (*first, *[s for s in present if s not in first])


# --- candidates --------------------------------------------------------------------------


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


# --- scores -------------------------------------------------------------------------------


def codes(reports: pd.DataFrame, taxonomy: Sequence[Dimension]) -> dict[str, np.ndarray]:
    """Each level column as integer codes shared by all sources (-1 where missing)."""
    out = {}
    for col in level_columns(taxonomy):
        values = reports[col].astype("string").str.strip()
        out[col] = pd.factorize(values, use_na_sentinel=True)[0].astype("int64")
    return out


def scores(
    l_codes: dict[str, np.ndarray],
    r_codes: dict[str, np.ndarray],
    li: np.ndarray,
    ri: np.ndarray,
    taxonomy: Sequence[Dimension],
    partial: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Score of each candidate (0 = agreement at every taxonomy's most specific level, 1 =
    only at the broadest) and whether it agrees on enough taxonomies to be a match.

    A taxonomy contributes the position of its most specific agreeing level divided by its
    number of levels minus one, times its weight; the sum is divided by the number of
    taxonomies (MELTT's smart match)."""
    if not taxonomy:
        return np.zeros(len(li)), np.ones(len(li), dtype=bool)
    total = np.zeros(len(li))
    agreed = np.zeros(len(li), dtype="int64")
    for dim in taxonomy:
        found = np.full(len(li), -1, dtype="int64")
        unknown = np.zeros(len(li), dtype=bool)
        for depth, col in enumerate(dim.levels):
            a, b = l_codes[col][li], r_codes[col][ri]
            same = (a == b) & (a >= 0) & (found < 0)
            found[same] = depth
            if dim.unknown_agrees:
                unknown |= (found < 0) & ((a < 0) | (b < 0))
        hit = found >= 0
        part = np.where(hit, dim.weight * found / max(1, len(dim.levels) - 1), dim.weight)
        part = np.where(~hit & unknown, dim.weight / 2, part)
        if dim.required:
            total += np.where(hit | unknown, part, 0.0)
            agreed += hit | unknown
        else:
            total += part
            agreed += 1
    k = len(taxonomy)
    ok = agreed >= k - partial
    missing = k - agreed
    score = np.where(agreed == k, total / k, (total + missing) / k)
    return score, ok


# --- one-to-one selection ----------------------------------------------------------------


def select(
    cand: pd.DataFrame,
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: MatchSettings,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One-to-one matches among scored candidates, and for each the best runner-up score
    (of either side's other candidates; NaN if none)."""
    if cand.empty:
        return cand.assign(runner_up=[]), np.array([])
    li = cand["li"].to_numpy()
    ri = cand["ri"].to_numpy()
    l_start = left[R.START].to_numpy("int64")[li]
    r_start = right[R.START].to_numpy("int64")[ri]
    if settings.selection == "reference":
        before = r_start < l_start
        # earlier candidates latest first, then later ones earliest first (positions are the
        # time order of each side)
        group = np.where(before, 0, 1)
        key = np.where(before, -ri, ri)
        order = np.lexsort((key, group, li))
    else:
        days = np.abs(r_start - l_start) + np.abs(
            right[R.END].to_numpy("int64")[ri] - left[R.END].to_numpy("int64")[li]
        )
        order = np.lexsort((ri, li, cand["km"].to_numpy(), days, cand["score"].to_numpy()))
    used_l: set[int] = set()
    used_r: set[int] = set()
    chosen = []
    for pos in order:
        a, b = int(li[pos]), int(ri[pos])
        if a in used_l or b in used_r:
            continue
        used_l.add(a)
        used_r.add(b)
        chosen.append(pos)
    picked = cand.iloc[np.sort(np.array(chosen, dtype="int64"))].reset_index(drop=True)
    # best other score of each side, for the review flag
    sc = cand["score"].to_numpy()
    own = picked["score"].to_numpy()
    runner = np.minimum(
        _other(li, sc, picked["li"].to_numpy(), own), _other(ri, sc, picked["ri"].to_numpy(), own)
    )
    return picked, runner


def _other(keys: np.ndarray, sc: np.ndarray, chosen: np.ndarray, own: np.ndarray) -> np.ndarray:
    """The best score among each chosen report's other candidates: its second best if its
    best equals the chosen pair's score (ties count as runners-up); inf if it has none."""
    order = np.lexsort((sc, keys))
    k, v = keys[order], sc[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    second = np.zeros(len(k), dtype=bool)
    second[1:] = first[:-1] & ~first[1:]
    best = pd.Series(v[first], index=k[first])
    runner_up = pd.Series(v[second], index=k[second])
    b = best.reindex(chosen).to_numpy()
    r = runner_up.reindex(chosen).fillna(np.inf).to_numpy()
    return np.where(b == own, r, b)


# --- integration --------------------------------------------------------------------------


def match(
    reports: pd.DataFrame, taxonomy: Sequence[Dimension], settings: MatchSettings, engine: object = None
) -> MatchResult:
    """Integrate the sources in precedence order; every report ends up in one incident.
    `engine`: None for DuckDB in this process, or a Spark session (`run_sql`)."""
    check_reports(reports, taxonomy)
    taxonomy = tuple(taxonomy)
    sources = source_order(reports, settings.precedence)
    rank = {s: i for i, s in enumerate(sources)}
    work = reports.reset_index(drop=True).copy()
    work["_row"] = np.arange(len(work))
    work["_rank"] = work[R.SOURCE].astype(str).map(rank).astype("int64")
    work[R.START] = work[R.START].astype("int64")
    work[R.END] = work[R.END].astype("int64")
    work[R.EPISODE] = work[R.EPISODE].astype(bool)
    all_codes = codes(work, taxonomy)
    starts = work[R.START].to_numpy("int64")
    n = len(work)
    incident = np.arange(n)  # row of the representative
    score = np.full(n, np.nan)
    km = np.full(n, np.nan)
    days_apart = np.full(n, np.nan)
    review = np.full(n, "", dtype=object)
    # incidents so far: rows of their representatives, in time order, then source, then row
    survivors = _ordered(work[work["_rank"] == 0])
    for step in range(1, len(sources)):
        new = _ordered(work[work["_rank"] == step], by_source=False)
        matched: list[int] = []
        for episode in (False, True):
            left = survivors[survivors[R.EPISODE] == episode]
            right = new[new[R.EPISODE] == episode]
            cand = candidates(
                left, right, settings, settings.time_rule if not episode else "endpoints", engine
            )
            if cand.empty:
                continue
            lrows = left["_row"].to_numpy()[cand["li"].to_numpy()]
            rrows = right["_row"].to_numpy()[cand["ri"].to_numpy()]
            sc, ok = scores(all_codes, all_codes, lrows, rrows, taxonomy, settings.partial)
            cand = cand.assign(score=sc)[ok].reset_index(drop=True)
            picked, runner = select(cand, left, right, settings)
            if picked.empty:
                continue
            a = left["_row"].to_numpy()[picked["li"].to_numpy()]
            b = right["_row"].to_numpy()[picked["ri"].to_numpy()]
            incident[b] = incident[a]
            score[b] = picked["score"].to_numpy()
            km[b] = picked["km"].to_numpy()
            days_apart[b] = np.abs(starts[b] - starts[a])
            close = runner <= picked["score"].to_numpy() + settings.review_margin
            for row, second in zip(b[close], runner[close], strict=True):
                review[row] = _join(review[row], f"ambiguous: a runner-up scores {second:.3g}")
            matched.extend(b.tolist())
        kept = new[~new["_row"].isin(matched)]
        _flag_episodes(survivors, kept, work, all_codes, taxonomy, settings, review, engine)
        survivors = _ordered(pd.concat([survivors, kept]))
    return _result(work, sources, settings, taxonomy, incident, score, km, days_apart, review)


def _ordered(frame: pd.DataFrame, *, by_source: bool = True) -> pd.DataFrame:
    keys = [str(R.START), "_rank", "_row"] if by_source else [str(R.START), "_row"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _flag_episodes(
    old: pd.DataFrame,
    new: pd.DataFrame,
    work: pd.DataFrame,
    all_codes: dict[str, np.ndarray],
    taxonomy: tuple[Dimension, ...],
    settings: MatchSettings,
    review: np.ndarray,
    engine: object,
) -> None:
    """Events an episode of the other side could cover (within the windows, agreeing on the
    taxonomies) are flagged for a person: an episode and an event are different units, so
    they are never merged automatically."""
    for episodes, events in ((old, new), (new, old)):
        eps = episodes[episodes[R.EPISODE]]
        evs = events[~events[R.EPISODE]]
        cand = candidates(eps, evs, settings, "covers", engine)
        if cand.empty:
            continue
        erows = eps["_row"].to_numpy()[cand["li"].to_numpy()]
        vrows = evs["_row"].to_numpy()[cand["ri"].to_numpy()]
        _, ok = scores(all_codes, all_codes, erows, vrows, taxonomy, settings.partial)
        for e, v in zip(erows[ok], vrows[ok], strict=True):
            label = f"{work[R.SOURCE].iloc[e]}:{work[R.REPORT].iloc[e]}"
            if "episode" not in str(review[v]):
                review[v] = _join(review[v], f"episode {label} may cover this event")


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _result(
    work: pd.DataFrame,
    sources: tuple[str, ...],
    settings: MatchSettings,
    taxonomy: tuple[Dimension, ...],
    incident: np.ndarray,
    score: np.ndarray,
    km: np.ndarray,
    days_apart: np.ndarray,
    review: np.ndarray,
) -> MatchResult:
    out = work.drop(columns=["_row", "_rank"]).copy()
    labels = (out[R.SOURCE].astype(str) + ":" + out[R.REPORT].astype(str)).to_numpy()
    rows = np.arange(len(out))
    out[Out.INCIDENT] = labels[incident]
    out[Out.ROLE] = np.where(incident == rows, str(Role.REPRESENTATIVE), str(Role.DUPLICATE))
    out[Out.KIND] = np.where(out[R.EPISODE], str(Kind.EPISODE), str(Kind.EVENT))
    out[Out.MATCHED_TO] = np.where(incident == rows, "", labels[incident])
    out[Out.SCORE] = score
    out[Out.KM] = km
    out[Out.DAYS_APART] = days_apart
    out[Out.REVIEW] = review.astype(str)
    result = MatchResult(out, sources, settings, taxonomy)
    result.summary = summarise(out, sources)
    return result


def summarise(out: pd.DataFrame, sources: Sequence[str]) -> dict[str, object]:
    """MELTT's summary: observations, unique after deduplication, matches (incidents with more
    than one report) by kind, duplicates removed, and which sources each incident draws on."""
    order = {s: i for i, s in enumerate(sources)}
    bits = pd.DataFrame(
        {
            "i": out[Out.INCIDENT].to_numpy(),
            "b": np.left_shift(1, out[R.SOURCE].astype(str).map(order).to_numpy()),
        }
    )
    members = bits.groupby("i", sort=False)["b"].agg(["size", "sum"])
    distinct = bits.drop_duplicates().groupby("i", sort=False)["b"].sum()
    kinds = out[out[Out.ROLE] == Role.REPRESENTATIVE].set_index(Out.INCIDENT)[Out.KIND]
    multi = members.index[members["size"].to_numpy() > 1]
    overlap = []
    for mask, count in sorted(
        distinct.value_counts().items(), key=lambda kv: (kv[0].bit_count(), _ranks(kv[0]))
    ):
        overlap.append({"datasets": [sources[r] for r in _ranks(int(mask))], "count": int(count)})
    flagged = int(out[Out.REVIEW].str.contains("episode ", regex=False).sum())
    ambiguous = int(out[Out.REVIEW].str.contains("ambiguous", regex=False).sum())
    return {
        "observations": len(out),
        "unique": len(members),
        "matches": len(multi),
        "event_matches": int((kinds.loc[multi] == Kind.EVENT).sum()),
        "episode_matches": int((kinds.loc[multi] == Kind.EPISODE).sum()),
        "duplicates": int(len(out) - len(members)),
        "overlap": overlap,
        "flagged_for_review": flagged,
        "ambiguous": ambiguous,
    }


def _ranks(mask: int) -> list[int]:
    return [r for r in range(mask.bit_length()) if mask >> r & 1]


def _connect() -> duckdb.DuckDBPyConnection:
    threads = os.environ.get(THREADS_VAR, "").strip()
    return duckdb.connect(config={"threads": int(threads)} if threads.isdigit() and int(threads) > 0 else {})


Tables = dict[str, tuple[pd.DataFrame, str]]
"""Name -> (frame, its schema as SQL column definitions), for `run_sql`."""


def run_sql(tables: Tables, sql: str, engine: object = None) -> pd.DataFrame:
    """Run one query over small frames on DuckDB (engine None) or on a Spark session: the
    same SQL, so the two engines give the same candidates (tests/test_matching_spark.py)."""
    if engine is None:
        con = _connect()
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


# --- time slices --------------------------------------------------------------------------


def slices(first: int, last: int, slice_days: int) -> list[tuple[int, int]]:
    """[start, end) day ranges of `slice_days` covering first..last."""
    return [(t, min(t + slice_days, last + 1)) for t in range(first, last + 1, slice_days)]


def match_in_slices(
    read: Callable[[int, int], pd.DataFrame],
    first: int,
    last: int,
    max_span: int,
    taxonomy: Sequence[Dimension],
    settings: MatchSettings,
    slice_days: int,
    engine: object = None,
) -> Iterator[pd.DataFrame]:
    """The match of a dataset too big for memory, one time slice at a time: each slice's
    reports are matched together with the reports of a margin either side (the temporal
    window plus the longest interval: every report that could be a candidate of one in the
    slice), and the slice keeps the result of the reports that start in it. `read(a, b)`
    gives the reports starting in [a, b). Settings must name every source in `precedence`,
    so each slice integrates them in the same order.

    A decision near a slice's edge can differ from the whole-dataset match (a report in the
    margin may be taken by another incident in the next slice); docs/matching.md gives the
    measured difference."""
    margin = math.ceil(settings.days) + max(0, int(max_span))
    for start, end in slices(first, last, slice_days):
        frame = read(start - margin, end + margin)
        if frame.empty:
            continue
        result = match(frame, taxonomy, settings, engine)
        own = result.reports[(result.reports[R.START] >= start) & (result.reports[R.START] < end)]
        yield own.reset_index(drop=True)


def summarise_files(
    files: Sequence[str], sources: Sequence[str], source_column: str = R.SOURCE
) -> dict[str, object]:
    """`summarise` over results written to Parquet (sliced matches), counted by DuckDB."""
    ranks = " ".join(f"WHEN '{s.replace(chr(39), chr(39) * 2)}' THEN {i}" for i, s in enumerate(sources))
    con = _connect()
    try:
        con.execute(
            f"""CREATE VIEW r AS SELECT "{Out.INCIDENT}" AS i, "{Out.ROLE}" AS role, "{Out.KIND}" AS kind,
                "{Out.REVIEW}" AS review, CASE "{source_column}" {ranks} END AS rank FROM read_parquet({sql_list(files)})"""
        )
        per = con.execute(
            f"""SELECT i, count(*) AS n, bit_or(1::BIGINT << rank) AS mask,
                      any_value(kind) FILTER (WHERE role = '{Role.REPRESENTATIVE}') AS kind
               FROM r GROUP BY i"""
        ).df()
        total, flagged, ambiguous = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE review LIKE '%episode %'),
                      count(*) FILTER (WHERE review LIKE '%ambiguous%') FROM r"""
        ).fetchone()
    finally:
        con.close()
    multi = per[per["n"] > 1]
    overlap = [
        {"datasets": [sources[r] for r in _ranks(int(mask))], "count": int(count)}
        for mask, count in sorted(
            per["mask"].value_counts().items(), key=lambda kv: (int(kv[0]).bit_count(), _ranks(int(kv[0])))
        )
    ]
    return {
        "observations": int(total),
        "unique": len(per),
        "matches": len(multi),
        "event_matches": int((multi["kind"] == Kind.EVENT).sum()),
        "episode_matches": int((multi["kind"] == Kind.EPISODE).sum()),
        "duplicates": int(total - len(per)),
        "overlap": overlap,
        "flagged_for_review": int(flagged),
        "ambiguous": int(ambiguous),
    }


def sql_list(values: Sequence[str]) -> str:
    """A list of SQL string literals (a view cannot take parameters), for file names."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"
