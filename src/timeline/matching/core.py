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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from timeline.matching.candidates import candidates
from timeline.matching.model import (
    Dimension,
    Kind,
    MatchError,
    MatchResult,
    MatchSettings,
    Out,
    Place,
    R,
    Role,
    level_columns,
)

__all__ = [
    "Dimension", "Kind", "MatchError", "MatchResult", "MatchSettings", "Out", "Place", "R", "Role",
    "candidates", "codes", "greedy", "match", "scores", "select", "source_order",
]  # fmt: skip
"""The matching API: the algorithm here, its tables from `model`, its candidates from
`candidates`; a match by time slices is in `slices`."""


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
    present = [str(s) for s in pd.unique(reports[R.SOURCE].astype(str))]  # in order of appearance
    first = [s for s in precedence if s in present]
    return (*first, *[s for s in present if s not in first])


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
    picked = cand.iloc[np.sort(greedy(li, ri, order))].reset_index(drop=True)
    # best other score of each side, for the review flag
    sc = cand["score"].to_numpy()
    own = picked["score"].to_numpy()
    runner = np.minimum(
        _other(li, sc, picked["li"].to_numpy(), own), _other(ri, sc, picked["ri"].to_numpy(), own)
    )
    return picked, runner


GREEDY_ROUNDS = 64
"""Vectorised rounds of `greedy` before the rest is walked pair by pair (a long chain of
pairs each taking the next one's side would otherwise cost a round per pair)."""


def greedy(li: np.ndarray, ri: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Positions of the pairs a one-to-one pass over `order` keeps: a pair is kept when neither
    of its sides was taken by an earlier kept pair.

    Computed in rounds rather than pair by pair (a fifth of a large match's time was that
    loop): the remaining pairs that come first for both their sides are exactly the ones the
    pass keeps next, since no earlier remaining pair touches either side; a round keeps them
    all and removes every pair touching a side they took, which the pass would refuse."""
    order = np.asarray(order, dtype="int64")
    a, b = li[order], ri[order]
    taken_l = np.zeros(int(li.max()) + 1 if len(li) else 0, dtype=bool)
    taken_r = np.zeros(int(ri.max()) + 1 if len(ri) else 0, dtype=bool)
    alive = np.arange(len(order))
    kept: list[np.ndarray] = []
    for _ in range(GREEDY_ROUNDS):
        if not alive.size:
            break
        first_l = np.zeros(alive.size, dtype=bool)
        first_l[np.unique(a[alive], return_index=True)[1]] = True
        first_r = np.zeros(alive.size, dtype=bool)
        first_r[np.unique(b[alive], return_index=True)[1]] = True
        mutual = alive[first_l & first_r]
        kept.append(mutual)
        taken_l[a[mutual]] = True
        taken_r[b[mutual]] = True
        alive = alive[~(taken_l[a[alive]] | taken_r[b[alive]])]
    rest = []
    for pos in alive.tolist():  # what the rounds left: a chain, walked in order
        if not (taken_l[a[pos]] or taken_r[b[pos]]):
            taken_l[a[pos]] = taken_r[b[pos]] = True
            rest.append(pos)
    kept.append(np.array(rest, dtype="int64"))
    return order[np.concatenate(kept)]


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
    return MatchResult(out, sources, settings, taxonomy)
