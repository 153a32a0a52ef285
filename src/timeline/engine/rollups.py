"""A view's counts from the rollups written beside a folder of parts (`storage.rollups`),
when they can answer it exactly: on DuckDB, the dataset read from its files (above
`HOLD_ROWS`) or held in memory with more than `queries.KEEP_HELD` rows (1 M events: a
question on the rollups cost half of one on the held rows), every part of this version
has its rollups, and each of the view's filters is on columns a rollup keeps (dates, type,
confidence, dataset; every report, not incidents). A
filter's own predicate is built on the rollup table, so a filter on any other column cannot
be built there and the view falls back to scanning the parts: there is no list of filters to
keep in step. Answers are the same frames the scans give (`tests/test_engine_rollups.py`).

At 10 M events, one type's match, timeline squares, strike series, map cells and sources
read 160,000 rows of rollup instead of 10 M of parts (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from timeline import view
from timeline.domain.schema import Col
from timeline.engine import words
from timeline.engine.backends import Backend, Source
from timeline.engine.results import bin_of
from timeline.storage import rollups as stored
from timeline.storage.rollups import (
    COUNTED,
    INTERCEPTED,
    LAUNCHED,
    LOCATED,
    REPORTED,
    SIDE,
    UNKNOWN_SIDE,
    N,
    X,
    Y,
)
from timeline.view import View

__all__ = [
    "COUNTED",
    "INTERCEPTED",
    "LAUNCHED",
    "LOCATED",
    "REPORTED",
    "SIDE",
    "UNKNOWN_SIDE",
    "N",
    "X",
    "Y",
    "ask",
    "cells",
    "frequencies",
    "keys",
    "match_totals",
    "newest_days",
    "outlets",
    "type_lanes",
]  # fmt: skip


def keys(kind: str) -> set[str]:
    """The columns rollup `kind` groups by."""
    return {str(k) for k in stored.KINDS[kind].keys}


def tables(runner: Backend, source: Source, file_rows: int) -> dict[str, list[str]] | None:
    """The rollup files of this dataset version by kind, when they can answer: DuckDB, a
    folder of parts, every part rolled up, and the rollups' rows adding up to the parts'
    `file_rows` (checked once per version: a rollup answers only for the rows it was made
    from). Else None. The caller asks only for a dataset it reads from its files."""
    if runner.name != "duckdb" or not source.partitioned:
        return None
    found = runner.remember((source.key, "rollup files"), lambda: _checked(runner, source, file_rows))
    return found or None


def _checked(runner: Backend, source: Source, file_rows: int) -> dict[str, list[str]]:
    parts = [p.relative_to(source.path).as_posix() for p in source.files]
    found = stored.files(source.path, parts)
    if found is None:
        return {}
    by_kind = {kind: [str(p) for p in paths] for kind, paths in found.items()}
    for kind in (k for k in by_kind if not stored.KINDS[k].located_only):  # those count every row
        t = _table(runner, source, by_kind, kind)
        total = runner.frame(t.aggregate(n=t[N].sum()))
        if int(total.iloc[0, 0] or 0) != file_rows:
            return {}  # not made from these rows: never answer from it
    return by_kind


def _table(runner: Backend, source: Source, files: dict[str, list[str]], kind: str) -> ir.Table:
    """The rollup `kind` of this version, copied from its files into the backend's memory
    once (a few hundred thousand rows at 10 M events: a question on it is milliseconds, where
    reading its 141 files again was 50-200 ms). Dropped with the version: same path, a
    version string of its own."""
    rolled = Source(source.path, tuple(Path(f) for f in files[kind]), f"{source.version}#{kind}", True, True)
    held = runner.hold_small(rolled.key, runner.table(rolled))
    return held if held is not None else runner.table(rolled)


def where(runner: Backend, source: Source, file_rows: int, v: View, kind: str) -> ir.Table | None:
    """The rows of rollup `kind` that the view's filters keep, or None when the rollups
    cannot answer the view (see the module's docstring)."""
    files = tables(runner, source, file_rows)
    if files is None:
        return None
    searched = words.restricted(runner, source, v, kind)  # a text search's rows alone
    t, v = searched if searched is not None else (_table(runner, source, files, kind), v)
    try:
        tests = view.predicates(t, v)
    except (ibis.common.exceptions.IbisTypeError, AttributeError):
        return None  # a filter on a column this rollup does not keep
    return t.filter(tests) if tests else t


def ask(
    runner: Backend,
    source: Source,
    file_rows: int,
    v: View,
    kind: str,
    shape: tuple[object, ...],
    build: Callable[[ir.Table], ir.Table],
) -> pd.DataFrame | None:
    """`build` run on the view's rows of rollup `kind`, or None when the rollups cannot answer.
    Run from SQL compiled once per `shape` (which names everything `build` reads besides the
    table; `Backend.shaped`): building and compiling each question again was about half of
    its time on the small rollups of 1 M events."""
    t = where(runner, source, file_rows, v, kind)
    if t is None:
        return None
    runner.queries += 1
    found = runner.shaped(t, ("rollup", kind, *shape), build)
    return found if found is not None else runner.frame(build(t))  # type: ignore[return-value]


def match_totals(t: ir.Table) -> ir.Table:
    """`queries._match_totals` from the `days` rollup: rows, first and last day, located rows."""
    return t.aggregate(
        n=t[N].sum().fill_null(0),
        first=t[Col.DATE_START].min(),
        last=t[Col.DATE_END].max(),
        located=t[LOCATED].sum(),
    )


def frequencies(column: Col) -> Callable[[ir.Table], ir.Table]:
    """Rows per value of `column` (a column the rollup keeps)."""
    return lambda t: t.group_by(key=t[column]).agg(n=t[N].sum())


def type_lanes(freq: str) -> Callable[[ir.Table], ir.Table]:
    """The timeline's squares per type lane and bin."""
    return lambda t: t.group_by(lane=t[Col.EVENT_TYPE], bin=bin_of(t[Col.DATE_START], freq)).agg(n=t[N].sum())


def cells(t: ir.Table) -> ir.Table:
    """Located rows per map cell and type (`queries._map_cells`)."""
    return t.group_by(x=t[X], y=t[Y], event_type=t[Col.EVENT_TYPE]).agg(n=t[N].sum())


def newest_days(limit: int) -> Callable[[ir.Table], ir.Table]:
    """Rows per start day, the newest `limit` days."""
    return lambda t: (
        t.group_by(day=t[Col.DATE_START]).agg(n=t[N].sum()).order_by(ibis.desc("day")).limit(limit)
    )


def outlets(t: ir.Table) -> ir.Table:
    return t.group_by(outlet=t[Col.SOURCE_OUTLET]).agg(n=t[N].sum())
