"""Incident columns on every report: which incident it belongs to and whether it is the one
that represents it, from the incidents `timeline match` stored beside the dataset
(docs/matching.md). With them, incident mode is one filter predicate (`IncidentCol.PRIMARY`)
that every chart, count, map and export honours like any other filter.

Without a stored result, or when the dataset changed since it was computed (stale), every
report is its own incident: nothing is merged on an outdated match.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from timeline import view
from timeline.domain.schema import Col, IncidentCol
from timeline.engine.backends import Backend, Source
from timeline.formatting import count_label
from timeline.storage import store
from timeline.storage.paths import incidents_path

SOURCE_NAMES = {"missile-attacks": "Air Force"}
"""How a dataset label reads beside a count (the Air Force tallies' importer name is long)."""


def source_name(dataset: object) -> str:
    return SOURCE_NAMES.get(str(dataset), str(dataset))


@dataclass(frozen=True)
class Stored:
    """The state of the stored incidents for one dataset version."""

    exists: bool
    stale: bool
    frame: pd.DataFrame | None
    """One row per report: event_id and the `IncidentCol` columns (None unless fresh)."""

    @property
    def fresh(self) -> bool:
        return self.exists and not self.stale


_cache: dict[tuple[object, ...], Stored] = {}
_lock = threading.Lock()


def versioned(source: Source) -> Source:
    """The source whose version also names its stored incidents' file version: a new match or
    an editor's decision changes no event, yet every cached answer keyed by version must go."""
    target = incidents_path(source.path)
    if not target.exists():
        return source
    mtime, size = store.file_version(target)
    return replace(source, version=f"{source.version}|incidents:{mtime}:{size}")


def stored(source: Source) -> Stored:
    """The stored incidents of this dataset version, read once per version of either file."""
    target = incidents_path(source.path)
    stamp = store.file_version(target) if target.exists() else None
    key = (*source.key, stamp)
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = _read(source, target) if stamp is not None else Stored(False, True, None)
        with _lock:
            _cache.clear()  # one dataset per process in practice; old versions are never asked again
            _cache[key] = found
    return found


def _read(source: Source, target: Path) -> Stored:
    from timeline.matching import project

    if project.status(source.path).stale:
        return Stored(True, True, None)
    return Stored(True, False, incident_columns(source, project.load_incidents(source.path)))


def incident_columns(source: Source, incidents: pd.DataFrame) -> pd.DataFrame:
    """The reports of incidents with several reports: their incident, how many reports and
    sources it has, whether this report represents it, its sole source, and each report's
    count by source. Every other report is its own incident, which `attach` fills in without a
    row here: the table DuckDB joins to every query (or to the held copy) holds only the
    matched reports, not one row per report."""
    from timeline.matching.core import Out

    ids = incidents[[str(Col.EVENT_ID), str(Out.INCIDENT)]].astype(str)
    sizes = ids.groupby(str(Out.INCIDENT))[str(Col.EVENT_ID)].transform("size").to_numpy()
    shared = ids[sizes > 1].rename(columns={str(Out.INCIDENT): str(IncidentCol.INCIDENT)})
    cols = [Col.EVENT_ID, Col.DATASET, Col.COUNT, Col.COUNT_UNIT, Col.WEAPON]
    listed = ", ".join(f'e."{c}"' for c in cols)
    con = duckdb.connect()
    try:
        con.register("shared", shared)
        rows = con.execute(
            f'SELECT {listed}, s."{IncidentCol.INCIDENT}" FROM read_parquet(?, union_by_name=true) e '
            f'JOIN shared s ON e."{Col.EVENT_ID}" = s."{Col.EVENT_ID}"',
            [[str(p) for p in source.files]],
        ).df()
    finally:
        con.close()
    group = rows.groupby(IncidentCol.INCIDENT)
    rows[IncidentCol.REPORTS] = group[Col.EVENT_ID].transform("size").astype("int64")
    rows[IncidentCol.SOURCES] = group[Col.DATASET].transform("nunique").astype("int64")
    rows[IncidentCol.PRIMARY] = rows[IncidentCol.INCIDENT] == rows[Col.EVENT_ID]
    rows[IncidentCol.ONLY] = rows[Col.DATASET].where(rows[IncidentCol.SOURCES] == 1).astype("string")
    labels = {}  # the representative's count first, then the others' (by dataset)
    for incident, members in rows.groupby(IncidentCol.INCIDENT):
        if members[Col.COUNT].notna().any():
            labels[incident] = "; ".join(
                f"{source_name(m[Col.DATASET])}: {count_label(m[Col.COUNT], m[Col.COUNT_UNIT], m[Col.WEAPON]) or '-'}"
                for m in members.sort_values(
                    [IncidentCol.PRIMARY, Col.DATASET], ascending=[False, True]
                ).to_dict("records")
            )
    rows[IncidentCol.COUNTS] = rows[IncidentCol.INCIDENT].map(labels).astype("string")
    return rows[[str(Col.EVENT_ID), *map(str, IncidentCol)]]


JOIN_KEY = "_incident_event"
KEPT_TABLES = 2
"""Incident column tables kept in DuckDB: the current match's, and the one before while a
rerun that began on it ends; older ones are dropped when a new match is first read."""


@dataclass
class _SideTables:
    """The incident columns as DuckDB tables of the process's shared in-memory database, by
    the frame they were made from (most recent last), and their Ibis tables per cursor."""

    names: list[tuple[pd.DataFrame, str]] = field(default_factory=list)
    bound: dict[tuple[int, str], ir.Table] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_tables = _SideTables()


def _side(t: ir.Table, frame: pd.DataFrame) -> ir.Table:
    """The incident columns as a table on `t`'s backend. On DuckDB a real table in the shared
    in-memory database, made once per stored match (the engine runs some queries as SQL text
    on a cursor, where an Ibis memtable would be unknown); elsewhere (Spark) a memtable."""
    runner = ibis.get_backend(t)
    if getattr(runner, "name", "") != "duckdb":
        return ibis.memtable(_arrow(frame))
    with _tables.lock:
        name = next((n for f, n in _tables.names if f is frame), None)
        if name is None:
            name = f"incident_columns_{secrets.token_hex(6)}"
            runner.con.register("incident_columns_arrow", _arrow(frame))
            runner.con.execute(f"CREATE TABLE {name} AS SELECT * FROM incident_columns_arrow")
            runner.con.unregister("incident_columns_arrow")
            _tables.names.append((frame, name))
            while len(_tables.names) > KEPT_TABLES:
                _, old = _tables.names.pop(0)
                runner.con.execute(f"DROP TABLE IF EXISTS {old}")
                for key in [k for k in _tables.bound if k[1] == old]:
                    del _tables.bound[key]
        bound = _tables.bound.get((id(runner), name))
        if bound is None:
            bound = _tables.bound[(id(runner), name)] = runner.table(name)
    return bound


SIDE_SCHEMA = pa.schema(
    [(JOIN_KEY, pa.string()), (IncidentCol.INCIDENT, pa.string()), (IncidentCol.REPORTS, pa.int64()),
     (IncidentCol.SOURCES, pa.int64()), (IncidentCol.PRIMARY, pa.bool_()), (IncidentCol.ONLY, pa.string()),
     (IncidentCol.COUNTS, pa.string())]
)  # fmt: skip
"""The incident columns as DuckDB joins them, typed even when no incident has two reports."""


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """The incident columns as Arrow, the join key renamed so it cannot clash with the events'."""
    renamed = frame.rename(columns={str(Col.EVENT_ID): JOIN_KEY})
    return pa.Table.from_pandas(renamed, schema=SIDE_SCHEMA, preserve_index=False)


def attach(t: ir.Table, source: Source) -> ir.Table:
    """The dataset's table with the `IncidentCol` columns: from the stored incidents when
    they are fresh, else each report its own incident (a left join keeps every report)."""
    found = stored(source)
    if found.frame is None:
        return t.mutate(
            **{
                IncidentCol.INCIDENT: t[Col.EVENT_ID],
                IncidentCol.REPORTS: ibis.literal(1, "int64"),
                IncidentCol.SOURCES: ibis.literal(1, "int64"),
                IncidentCol.PRIMARY: ibis.literal(True),
                IncidentCol.ONLY: t[Col.DATASET],
                IncidentCol.COUNTS: ibis.null("string"),
            }
        )
    side = _side(t, found.frame)
    joined = t.left_join(side, t[Col.EVENT_ID] == side[JOIN_KEY]).drop(JOIN_KEY)
    alone = joined[IncidentCol.REPORTS].isnull()  # no row in the side table: its own incident
    return joined.mutate(
        **{
            IncidentCol.INCIDENT: joined[IncidentCol.INCIDENT].fill_null(joined[Col.EVENT_ID]),
            IncidentCol.REPORTS: joined[IncidentCol.REPORTS].fill_null(1),
            IncidentCol.SOURCES: joined[IncidentCol.SOURCES].fill_null(1),
            IncidentCol.PRIMARY: joined[IncidentCol.PRIMARY].fill_null(True),
            IncidentCol.ONLY: ibis.cases((alone, joined[Col.DATASET]), else_=joined[IncidentCol.ONLY]),
        }
    )


def with_incidents(known: view.Known, source: Source) -> view.Known:
    """What a view may ask of this dataset, plus whether incident mode is available."""
    values = dict(known.values)
    if stored(source).fresh:
        values.update(
            {f.name: frozenset({view.INCIDENTS}) for f in view.FILTERS if isinstance(f, view.Reports)}
        )
    return replace(known, values=values)


class _HasTable(Protocol):
    """What `reports_of` needs of an `Engine` (which imports this module)."""

    backend: Backend
    source: Source

    def table(self) -> ir.Table: ...


def reports_of(engine: _HasTable, event_id: str) -> pd.DataFrame:
    """Every report of this event's incident (the card's list), the representative first;
    kept per dataset version (which names its incidents' version) like a view's answers, as
    an open card is drawn again with every new selection."""
    key = (engine.source.key, "reports_of", event_id)
    return engine.backend.remember(key, lambda: _reports_of(engine, event_id))


def _reports_of(engine: _HasTable, event_id: str) -> pd.DataFrame:
    with engine.backend.session():
        t = engine.table()
        mine = t.filter(t[Col.EVENT_ID] == event_id).select(IncidentCol.INCIDENT)
        wanted = [Col.EVENT_ID, Col.DATASET, Col.SOURCE_OUTLET, Col.SOURCE_URL, Col.COUNT, Col.COUNT_UNIT,
                  Col.INTERCEPTED, Col.WEAPON, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.DATE_TEXT,
                  Col.LOCATION, Col.CONFIDENCE, IncidentCol.PRIMARY, IncidentCol.COUNTS]  # fmt: skip
        expr = t.filter(t[IncidentCol.INCIDENT].isin(mine[IncidentCol.INCIDENT])).select(
            [str(c) for c in wanted]
        )
        frame = expr.to_pandas()
    return frame.sort_values(
        [str(IncidentCol.PRIMARY), str(Col.DATASET)], ascending=[False, True]
    ).reset_index(drop=True)
