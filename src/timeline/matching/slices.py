"""A match too big for memory, one time slice at a time, and the summary of its stored
slices counted by DuckDB (docs/matching.md, "Large datasets")."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd

from timeline.matching.candidates import connect, sql_list
from timeline.matching.core import match
from timeline.matching.model import Dimension, Kind, MatchSettings, Out, R, Role, ranks


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
    workers: int = 1,
) -> Iterator[pd.DataFrame]:
    """The match of a dataset too big for memory, one time slice at a time: each slice's
    reports are matched together with the reports of a margin either side (the temporal
    window plus the longest interval: every report that could be a candidate of one in the
    slice), and the slice keeps the result of the reports that start in it. `read(a, b)`
    gives the reports starting in [a, b). Settings must name every source in `precedence`,
    so each slice integrates them in the same order.

    With `workers` above one, that many slices are matched at once in threads (DuckDB and
    numpy release the GIL for most of a match), read one after another by this thread and
    yielded in order; memory is that of `workers` slices. Spark (`engine`) runs one at a time.

    A decision near a slice's edge can differ from the whole-dataset match (a report in the
    margin may be taken by another incident in the next slice); docs/matching.md gives the
    measured difference."""
    margin = math.ceil(settings.days) + max(0, int(max_span))

    def one(start: int, end: int, frame: pd.DataFrame) -> pd.DataFrame:
        result = match(frame, taxonomy, settings, engine)
        own = result.reports[(result.reports[R.START] >= start) & (result.reports[R.START] < end)]
        return own.reset_index(drop=True)

    if workers <= 1 or engine is not None:
        for start, end in slices(first, last, slice_days):
            frame = read(start - margin, end + margin)
            if not frame.empty:
                yield one(start, end, frame)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="match-slice") as pool:
        pending: deque[Future[pd.DataFrame]] = deque()
        for start, end in slices(first, last, slice_days):
            frame = read(start - margin, end + margin)
            if not frame.empty:
                pending.append(pool.submit(one, start, end, frame))
            while len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def summarise_files(
    files: Sequence[str], sources: Sequence[str], source_column: str = R.SOURCE
) -> dict[str, object]:
    """`summarise` over results written to Parquet (sliced matches), counted by DuckDB."""
    when = " ".join(f"WHEN '{s.replace(chr(39), chr(39) * 2)}' THEN {i}" for i, s in enumerate(sources))
    con = connect()
    try:
        con.execute(
            f"""CREATE VIEW r AS SELECT "{Out.INCIDENT}" AS i, "{Out.ROLE}" AS role, "{Out.KIND}" AS kind,
                "{Out.REVIEW}" AS review, CASE "{source_column}" {when} END AS rank FROM read_parquet({sql_list(files)})"""
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
        {"datasets": [sources[r] for r in ranks(int(mask))], "count": int(count)}
        for mask, count in sorted(
            per["mask"].value_counts().items(), key=lambda kv: (int(kv[0]).bit_count(), ranks(int(kv[0])))
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
