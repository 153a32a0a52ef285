"""Where a view's queries run: DuckDB in this process (the default), or Apache Spark.

Both read the dataset's Parquet files where they are, never loading them into memory; the
same Ibis expressions run on either. `TIMELINE_ENGINE=spark` with `TIMELINE_SPARK` set to a
Spark Connect URL (`sc://host:15002`) or a master URL (`local[2]`, `spark://host:7077`)
selects Spark (docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

from timeline.domain.schema import ARROW_SCHEMA, DERIVED_COLUMNS
from timeline.engine import compilers
from timeline.storage import datasets, store

compilers.lean()  # before Ibis imports a backend: its compilers one at a time, not all twenty

ENGINE_VAR = "TIMELINE_ENGINE"
SPARK_VAR = "TIMELINE_SPARK"
THREADS_VAR = "TIMELINE_THREADS"
ENGINES = ("duckdb", "spark")
KEPT_VIEWS = 4
"""Views whose matching rows DuckDB keeps in memory, the most recently used (see
`queries.Engine._keep`)."""
KEPT_RESULTS = 64
"""Answers kept per backend (a dataset version's summary, a chart's bins, a table's rows): the
home view and a view met again are answered without a query until the data changes."""
HOLD_ROWS = 3_000_000
"""A dataset version of at most this many rows is held in DuckDB's own in-memory tables (about
0.5 GB per million synthetic rows), so a view filters memory instead of scanning Parquet."""
HELD_VERSIONS = 2
"""Dataset versions held at once: the current one, and the one before while a rerun ends."""
SMALL_TABLES = 12
"""Small tables of dataset versions held in memory at once (each version's rollups, see
`engine.rollups`), the most recently made."""
KEPT_FILTERS = 32
"""Filtered tables whose SQL is kept per backend (`DuckDBBackend._filtered_sql`): a view met
once asks several (its rows, each rollup's, a text search's own)."""
KEPT_SHAPES = 128
"""Compiled questions kept per backend, by shape (see `DuckDBBackend.shaped`)."""
STAND_IN = f"view_shape_{secrets.token_hex(6)}"
"""The table name a question on a view's kept copy is compiled against, once per shape; the
copy's own name (`kept_` and 12 hex digits) is put in its place at run time. Named at random,
as `STAND_IN_WHERE`, so that no text literal in the SQL can hold it."""
STAND_IN_WHERE = f"view_where_{secrets.token_hex(6)}"
"""The table a view's predicates are compiled on, once for every table they filter
(`DuckDBBackend._where_sql`); named at random, so that no text searched for can hold it."""
R = TypeVar("R")


class EngineError(Exception):
    """The engine cannot be set up or reach the dataset (a bad setting, not a bad view)."""


@dataclass(frozen=True)
class Source:
    """A dataset on disk as a query engine sees it: its files and its version."""

    path: Path
    files: tuple[Path, ...]
    version: str
    partitioned: bool
    derived: bool
    """Its files carry the derived columns (search text, list keys) written by `parts`."""

    @property
    def key(self) -> tuple[str, str]:
        """What caches are keyed by: two files may share a modification time and size."""
        return str(self.path), self.version


def open_source(path: Path) -> Source:
    """The dataset at `path`: one Parquet file, or a folder of parts (`datasets.at` decides)."""
    dataset = datasets.at(path)
    files = tuple(dataset.files())  # a pipe or device would block, a missing folder explains itself
    columns = _file_columns(files[0]) if files else []
    if store.is_v1(columns):
        raise store.v1_error(path)
    derived = bool(files) and set(DERIVED_COLUMNS) <= set(columns)
    return Source(path, files, dataset.version(), dataset.layout == "parts", derived)


def _file_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names
    except (OSError, ValueError) as err:
        raise store.DatasetError(f"{path}: not a readable Parquet file ({err})") from err


def threads() -> int:
    """Worker threads: $TIMELINE_THREADS, else the cores this process may run on."""
    value = os.environ.get(THREADS_VAR, "")
    if value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fresh(value: R) -> R:
    """A kept answer as a caller gets it, safe to change without changing what is kept: each
    frame or series a shallow copy (pandas' copy-on-write copies its columns when one is
    written, as a deep copy did up front; both share the Python lists in a column), each
    dataclass, dict, list and tuple a new one of fresh values, anything else a deep copy. A
    view's rows are read by the timeline, the map, the table and the cards' check: copying
    them whole for each was a few milliseconds of a filter change."""
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: fresh(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **fields)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}  # type: ignore[return-value]
    if type(value) in (list, tuple):
        return type(value)(fresh(v) for v in value)  # type: ignore[return-value]
    if value is None or isinstance(
        value, str | int | float | bool | bytes | pa.Array | pa.ChunkedArray | pa.Table
    ):
        return value  # Arrow's arrays and tables cannot be changed: shared, never copied
    return copy.deepcopy(value)


class Backend:
    """One query engine: gives an Ibis table for a dataset source and runs expressions on it."""

    name = "backend"
    keeps = False
    """Whether `keep` makes copies (Spark's returns None without a query)."""

    def __init__(self) -> None:
        self._results: OrderedDict[Hashable, object] = OrderedDict()
        self._results_lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._versions: dict[str, str] = {}
        """Each dataset path's current version: what is kept for an older one is dropped."""
        self.queries = 0
        """Statements run for views so far (what a test counts to show a change asks little)."""

    def remember(self, key: tuple[object, ...], compute: Callable[[], R]) -> R:
        """The answer under `key` (a dataset version's `Source.key` first, then what the
        question reads), computed once even when two sessions ask at once, and kept among the
        `KEPT_RESULTS` most recently used until its version is replaced (`adopt`); each caller
        gets its own copy. The one cache of answers: summaries, row counts and view queries."""
        found = self._found(key)
        if found is None:
            with self._results_lock:
                computing = self._computing.setdefault(key, threading.Lock())
            with computing:
                found = self._found(key)
                if found is None:
                    found = compute()
                    with self._results_lock:
                        self._results[key] = found
                        while len(self._results) > KEPT_RESULTS:
                            self._results.popitem(last=False)
            with self._results_lock:
                self._computing.pop(key, None)
        return fresh(found)  # type: ignore[return-value]

    def _found(self, key: Hashable) -> object | None:
        with self._results_lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
            return found

    def adopt(self, source: Source) -> None:
        """Make `source` its dataset's current version: the answers, tables and views kept for
        any other version of it are dropped (a long-running server meets a new version per
        edit). A rerun still on the old version makes what it asks for again (a view; never
        a held copy, see `current`), and the next new version drops that too."""
        path = str(source.path)
        with self._results_lock:
            old = self._versions.get(path)
            self._versions[path] = source.version
            if old is None or old == source.version:
                return
            for key in [k for k in self._results if _stale(k, source)]:
                del self._results[key]
        self._drop_versions(source)

    def current(self, key: tuple[str, str]) -> bool:
        """Whether the dataset version `key` is its path's current one (or the only one seen)."""
        with self._results_lock:
            return self._versions.get(key[0], key[1]) == key[1]

    def _drop_versions(self, current: Source) -> None:
        """Drop what this engine holds for other versions of `current`'s dataset (views, copies)."""

    def table(self, source: Source) -> ir.Table:
        raise NotImplementedError

    def frame(self, expr: ir.Table) -> object:
        """`expr`'s rows as a pandas frame (Ibis's conversion)."""
        return expr.to_pandas()

    def shaped(self, t: ir.Table, shape: Hashable, build: Callable[[ir.Table], ir.Table]) -> object | None:
        """`build(t)`'s rows as a frame when this engine can answer it without building and
        compiling the expression again (a question of a known `shape` on a view's kept copy),
        else None: the caller builds it and runs it (`frame`)."""
        return None

    def keep(self, key: object, expr: ir.Table, limit: int) -> int | None:
        """Keep `expr`'s rows in memory under `key` if there are at most `limit` of them, and
        say how many; None if there are more, or if this engine caches on its own terms
        (Spark)."""
        return None

    def kept(self, key: object) -> ir.Table | None:
        """The rows kept under `key`, if they still are."""
        return None

    def hold(self, key: tuple[str, str], expr: ir.Table) -> ir.Table | None:
        """Copy a whole dataset version (`expr`, read from its files) into this engine's own
        in-memory tables, once, and return it there; None where the engine does not (Spark)."""
        return None

    def held(self, key: tuple[str, str]) -> ir.Table | None:
        """The in-memory copy of a dataset version, if there is one."""
        return None

    def hold_small(self, key: tuple[str, str], expr: ir.Table) -> ir.Table | None:
        """`expr` (a few hundred thousand rows at most, of the dataset version `key`: its
        rollups) copied into memory once and returned from there; None where the engine
        does not (Spark)."""
        return None

    def hold_view_tables(
        self, key: tuple[str, str], make: Callable[[], dict[str, object]]
    ) -> dict[str, ir.Table] | None:
        """The Arrow tables `make` gives (a text search's rollups, `engine.words`) in memory
        under `key` (a dataset version's path and a version string of its own), made once
        and kept like a view's copy; None where the engine does not (Spark)."""
        return None

    def forget(self) -> None:
        """Drop every kept copy and result (benchmarks measure a view met for the first time)."""
        with self._results_lock:
            self._results.clear()

    def release(self) -> None:
        """Drop the held datasets as well (benchmarks measure a start)."""
        self.forget()

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        yield


class DuckDBBackend(Backend):
    """An in-process DuckDB database. A DuckDB connection must not be shared between
    threads, and Streamlit runs each browser session in its own thread, so every query
    borrows a cursor (a connection to the same database) from a pool, one at a time."""

    name = "duckdb"
    keeps = True

    def __init__(self) -> None:
        import duckdb

        super().__init__()
        # Parquet footers are parsed once, not on every query (DuckDB reloads a footer when
        # the file's modification time says it changed).
        self.db = duckdb.connect(config={"threads": threads()})
        self.db.execute("SET parquet_metadata_cache = true")
        self.lock = threading.Lock()
        self.views: dict[tuple[str, str], str] = {}
        self.idle: list[ibis.BaseBackend] = []
        self.local = threading.local()
        self.tables: dict[object, str] = {}
        self.bound: dict[tuple[int, str], ir.Table] = {}
        self.holding: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.small: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.view_tables: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self.hold_lock = threading.Lock()
        self.shapes: OrderedDict[Hashable, tuple[str, object]] = OrderedDict()
        self.filters: OrderedDict[ops.Node, str] = OrderedDict()
        """The SQL of the tables last filtered by a view (`_filtered_sql`)."""
        self.wheres: OrderedDict[tuple[ops.Node, ...], str] = OrderedDict()
        """The SQL of views' predicates on a stand-in (`_where_sql`)."""
        self.compiled = 0
        """Questions compiled for `shaped` so far (a test counts them: a shape met before, none)."""

    def _view(self, source: Source) -> str:
        with self.lock:
            name = self.views.get(source.key)
            if name is None:
                name = f"events_{secrets.token_hex(6)}"
                files = [str(p) for p in source.files]
                if files:
                    # By SQL: Ibis's `read_parquet(table_name=...)` makes a view of the one
                    # connection it runs on (a temporary one), which the pooled cursors of
                    # other sessions would not see.
                    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                    self.db.execute(
                        f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)"
                    )
                else:  # a folder with no parts yet: zero rows, every column typed
                    self.db.register(name, ARROW_SCHEMA.empty_table())
                self.views[source.key] = name
            return name

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold one cursor for a batch of queries from this thread."""
        if getattr(self.local, "backend", None) is not None:
            yield
            return
        with self.lock:
            backend = self.idle.pop() if self.idle else None
        if backend is None:
            backend = ibis.duckdb.from_connection(self.db.cursor())
        self.local.backend = backend
        try:
            yield
        finally:
            self.local.backend = None
            with self.lock:
                self.idle.append(backend)

    def table(self, source: Source) -> ir.Table:
        """The dataset's view as an Ibis table on this thread's cursor, made once per cursor:
        making it asks DuckDB for the view's schema, which reads every part's footer."""
        backend, name = self._current(), self._view(source)
        key = (id(backend), name)
        found = self.bound.get(key)
        if found is None:
            found = self.bound[key] = backend.table(name)
        return found

    def _current(self) -> ibis.BaseBackend:
        backend = getattr(self.local, "backend", None)
        if backend is None:
            raise EngineError("query outside engine.session()")
        return backend

    def frame(self, expr: ir.Table) -> object:
        """`expr`'s rows as Ibis's `to_pandas` gives them, fetched as Arrow on this thread's
        cursor and converted by `frames` (Ibis's own conversion is most of a small answer's
        time)."""
        from timeline.engine.frames import to_frame

        con = self._current()
        return to_frame(con.con.sql(con.compile(expr)).to_arrow_table(), expr.schema())

    def shaped(self, t: ir.Table, shape: Hashable, build: Callable[[ir.Table], ir.Table]) -> object | None:
        """A question run from SQL compiled once per shape (`shaped_sql`)."""
        found = self.shaped_sql(t, shape, build)
        if found is None:
            return None
        from timeline.engine.frames import to_frame

        sql, schema = found
        return to_frame(self._current().con.sql(sql).to_arrow_table(), schema)

    def shaped_sql(
        self, t: ir.Table, shape: Hashable, build: Callable[[ir.Table], ir.Table]
    ) -> tuple[str, object] | None:
        """The SQL of `build(t)` and its schema, compiled once per `shape` (what `build` reads
        besides the table: the caller names every option and literal it uses) and the table's
        schema, against a stand-in table (`STAND_IN`); each table then gets the same SQL with
        its own name put in (a view's kept copy, a held dataset or rollup, the files' view),
        any other (one filtered by a view's predicates, the files with derived columns) its
        own SQL as a subquery (compiled once per view, `_filtered_sql`). Building and compiling
        the Ibis expression (sqlglot) was about half of such a question's time on a kept copy,
        a quarter on a held 1 M-row dataset (0.03-0.045 CPU s a view), and most of the Python
        time of a question on a dataset read from its files, the same for every view. Never
        None on DuckDB."""
        op = t.op()
        if isinstance(op, ops.DatabaseTable):
            table, namespace = op.name, op.namespace
        else:  # filtered, or the files' view with columns derived: put in as a subquery
            table, namespace = None, ops.Namespace(catalog=None, database=None)

        def compile_shape() -> tuple[str, object]:
            con = self._current()
            stand_in = ops.DatabaseTable(
                STAND_IN, schema=op.schema, source=con, namespace=namespace
            ).to_expr()
            expr = build(stand_in)
            with self.lock:
                self.compiled += 1
            return con.compile(expr), expr.schema()

        sql, schema = self._kept_sql(self.shapes, (shape, t.schema(), namespace), KEPT_SHAPES, compile_shape)
        # Double quotes mark an identifier: a text literal in the SQL is in single quotes.
        put = f'"{table}"' if table is not None else f"({self._filtered_sql(t)})"
        return sql.replace(f'"{STAND_IN}"', put), schema

    def _filtered_sql(self, t: ir.Table) -> str:
        """A table filtered by a view's predicates (or the files' view with derived columns),
        as SQL: compiled once per table (a view's six or seven questions each put it in as a
        subquery, the rollups' and the files' own)."""
        op = t.op()
        return self._kept_sql(
            self.filters, op, KEPT_FILTERS, lambda: self._where_sql(op) or self._current().compile(t)
        )

    def _kept_sql(self, kept: OrderedDict[Any, R], key: Hashable, most: int, make: Callable[[], R]) -> R:
        """`kept[key]`, else `make()` (compiling, outside the lock) kept under it; the `most`
        most recently used are kept (the shapes', filters' and predicates' SQL)."""
        with self.lock:
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
                return found
        found = make()
        with self.lock:
            kept[key] = found
            while len(kept) > most:
                kept.popitem(last=False)
        return found

    def _where_sql(self, op: ops.Node) -> str | None:
        """A table filtered by predicates on its own columns, as SQL compiled once per view
        for every table it filters (the held rows and each rollup, which share the filters'
        columns): the predicates are compiled on a stand-in holding only the columns they
        read, and the table's name put in. None for any other filter (the caller compiles it
        whole)."""
        if not isinstance(op, ops.Filter) or not isinstance(op.parent, ops.DatabaseTable):
            return None
        parent = op.parent
        if any(r != parent for p in op.predicates for r in p.find(ops.Relation)):
            return None  # a subquery on another table
        read = {f.name: f.dtype for p in op.predicates for f in p.find(ops.Field)}
        if not read:
            return None
        con = self._current()
        stand_in = ops.DatabaseTable(
            STAND_IN_WHERE,
            schema=ibis.schema(read),
            source=con,
            namespace=ops.Namespace(catalog=None, database=None),
        )
        predicates = tuple(p.replace({parent: stand_in}) for p in op.predicates)
        found = self._kept_sql(
            self.wheres,
            predicates,
            KEPT_FILTERS,
            lambda: con.compile(ops.Filter(stand_in, predicates).to_expr()),
        )
        head = f'SELECT * FROM "{STAND_IN_WHERE}" '
        if not found.startswith(head):
            return None  # not a plain filter of every column: compiled whole
        return f'SELECT * FROM "{parent.name}" ' + found[len(head) :]

    def keep(self, key: object, expr: ir.Table, limit: int | None) -> int | None:
        """A table in the shared in-memory database (every cursor sees it), written in one
        scan that stops after `limit` + 1 rows (no limit: all of them); the few most recently
        used are kept.

        One statement (`CREATE TABLE ... AS`, which answers how many rows it wrote), where
        Ibis's `create_table` runs three (create, insert, read the schema back) and counting
        the copy a fourth: on a small view each is a few milliseconds of a filter change."""
        con = self._current()
        name = f"kept_{secrets.token_hex(6)}"
        query = con.compile(expr if limit is None else expr.limit(limit + 1))
        # Not a temporary table: one is seen by its own connection only, and the cursors of
        # other sessions read these copies too.
        rows = int(con.con.execute(f'CREATE TABLE "{name}" AS {query}').fetchone()[0])
        self.queries += 1
        if limit is not None and rows > limit:
            self._drop_tables([name])
            return None
        # The copy's schema is the query's: bound without asking DuckDB for it (`Backend.table`
        # builds the same node after a statement of its own).
        self.bound[(id(con), name)] = ops.DatabaseTable(
            name, schema=expr.schema(), source=con, namespace=ops.Namespace(catalog=None, database=None)
        ).to_expr()
        with self.lock:
            self.tables[key] = name
            dropped = [self.tables.pop(next(iter(self.tables))) for _ in range(len(self.tables) - KEPT_VIEWS)]
        self._drop_tables(dropped)
        return rows

    def hold(self, key: tuple[str, str], expr: ir.Table) -> ir.Table | None:
        if not self.current(key):
            return None  # a rerun that began before the data changed reads the files
        with self.hold_lock:  # one copy per version, even when two sessions ask at once
            if key not in self.holding:
                self.queries += 1
            self._in_memory(self.holding, key, "held", expr, HELD_VERSIONS)
        return self.held(key)

    def held(self, key: tuple[str, str]) -> ir.Table | None:
        with self.hold_lock:
            name = self.holding.get(key)
        return None if name is None else self._bind(name)

    def hold_small(self, key: tuple[str, str], expr: ir.Table) -> ir.Table | None:
        with self.hold_lock:  # one copy per key, even when two sessions ask at once
            name = self._in_memory(self.small, key, "small", expr, SMALL_TABLES)
        return self._bind(name)

    def _in_memory(
        self,
        kept: OrderedDict[tuple[str, str], str],
        key: tuple[str, str],
        prefix: str,
        expr: ir.Table,
        most: int,
    ) -> str:
        """Under `hold_lock`: the name of `key`'s table in DuckDB's memory, made from `expr` the
        first time; the oldest of `kept` beyond `most` dropped."""
        name = kept.get(key)
        if name is None:
            name = f"{prefix}_{secrets.token_hex(6)}"
            con = self._current()
            self.bound[(id(con), name)] = con.create_table(name, obj=expr)
            kept[key] = name
            self._drop_tables([kept.popitem(last=False)[1] for _ in range(len(kept) - most)])
        return name

    def hold_view_tables(
        self, key: tuple[str, str], make: Callable[[], dict[str, object]]
    ) -> dict[str, ir.Table] | None:
        with self.hold_lock:
            names = self.view_tables.get(key)
            if names is not None:
                self.view_tables.move_to_end(key)
        if names is None:
            made = make()  # outside the lock: it reads the rollups, held under it
            with self.hold_lock:  # kept once per key, even when two sessions made it at once
                names = self.view_tables.get(key)
                if names is None:
                    names = self.view_tables[key] = self._create(made)
                    while len(self.view_tables) > KEPT_VIEWS:
                        self._drop_tables(list(self.view_tables.popitem(last=False)[1].values()))
        return {kind: self._bind(name) for kind, name in names.items()}

    def _create(self, tables: dict[str, object]) -> dict[str, str]:
        """Arrow tables as tables of the shared in-memory database, by name."""
        con, names = self._current(), {}
        for kind, table in tables.items():
            names[kind] = name = f"view_{secrets.token_hex(6)}"
            # By SQL: Ibis's `create_table` from Arrow ends with a `DROP VIEW` it renders
            # without a name (see `_drop_tables`).
            con.con.register(f"{name}_arrow", table)
            try:
                con.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{name}_arrow"')
            finally:
                con.con.unregister(f"{name}_arrow")
        return names

    def forget(self) -> None:
        """Drop every kept view and result; the held dataset stays (it is the data, not an
        answer; `release` drops it too)."""
        super().forget()
        with self.hold_lock:
            names = [n for made in self.view_tables.values() for n in made.values()]
            self.view_tables.clear()
        self._drop_tables(names)
        with self.lock:
            names, self.tables = list(self.tables.values()), {}
        self._drop_tables(names)

    def release(self) -> None:
        """Drop the held datasets too (a benchmark measuring a start)."""
        self.forget()
        with self.hold_lock:
            names = [*self.holding.values(), *self.small.values()]
            self.holding.clear()
            self.small.clear()
        self._drop_tables(names)

    def _drop_versions(self, current: Source) -> None:
        with self.hold_lock:
            held = [self.holding.pop(k) for k in [k for k in self.holding if _stale((k,), current)]]
            held += [self.small.pop(k) for k in [k for k in self.small if _stale((k,), current)]]
            for k in [k for k in self.view_tables if _stale((k,), current)]:
                held += list(self.view_tables.pop(k).values())
        with self.lock:
            kept = [self.tables.pop(k) for k in [k for k in self.tables if _stale(k, current)]]
            views = [self.views.pop(k) for k in [k for k in self.views if _stale((k,), current)]]
        self._drop_tables([*kept, *held])
        self._unbind(views)
        with self.lock:
            for view in views:
                self.db.execute(f"DROP VIEW IF EXISTS {view}")
                with contextlib.suppress(Exception):  # a folder of no parts registered an empty table
                    self.db.unregister(view)

    def _drop_tables(self, names: list[str]) -> None:
        """Drop these in-memory tables (on the main connection: every cursor sees the drop)."""
        if not names:
            return
        self._unbind(names)
        with self.lock:
            for name in names:
                # By SQL: Ibis 12's `drop_table`/`drop_view` render no table name with the
                # sqlglot installed beside it ("DROP TABLE IF EXISTS", a syntax error).
                self.db.execute(f"DROP TABLE IF EXISTS {name}")

    def kept(self, key: object) -> ir.Table | None:
        with self.lock:
            name = self.tables.pop(key, None)
            if name is None:
                return None
            self.tables[key] = name  # most recently used last
        return self._bind(name)

    def _unbind(self, names: list[str]) -> None:
        """Forget the Ibis tables of dropped tables (a long-running server meets many views)."""
        for key in [k for k in list(self.bound) if k[1] in names]:
            self.bound.pop(key, None)

    def _bind(self, name: str) -> ir.Table:
        """An in-memory table on this thread's cursor, made once per cursor (asking for a
        table's schema is a statement of its own)."""
        backend = self._current()
        bound = self.bound.get((id(backend), name))
        if bound is None:
            bound = self.bound[(id(backend), name)] = backend.table(name)
        return bound


class SparkBackend(Backend):
    """Apache Spark through Ibis's PySpark backend: a Spark Connect server or a master."""

    name = "spark"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.session_ = spark_session(url)
        self.con = ibis.pyspark.connect(self.session_)
        self.lock = threading.Lock()
        self.views: dict[tuple[str, str], str] = {}
        self.bound: dict[str, ir.Table] = {}
        """Each temporary view's Ibis table: Ibis asks Spark for a table's schema each time one
        is made (an analysis and a few round trips), and a view made it ten to fourteen times."""

    def table(self, source: Source) -> ir.Table:
        with self.lock:
            name = self.views.get(source.key)
            if name is None:
                name = f"events_{secrets.token_hex(6)}"
                if source.files:
                    frame = self.session_.read.parquet(*[_uri(p, source.path) for p in source.files])
                else:
                    frame = self.session_.createDataFrame([], _spark_schema())
                frame.createOrReplaceTempView(name)
                self.views[source.key] = name
            found = self.bound.get(name)
        if found is None:
            found = self.con.table(name)
            with self.lock:
                self.bound[name] = found
        return found

    def _drop_versions(self, current: Source) -> None:
        with self.lock:
            names = [self.views.pop(k) for k in [k for k in self.views if _stale((k,), current)]]
            for name in names:
                self.bound.pop(name, None)
        for name in names:
            self.session_.catalog.dropTempView(name)


def _stale(key: object, current: Source) -> bool:
    """Whether a cache key (a tuple led by a `Source.key`) is of another version of `current`'s
    dataset."""
    if not isinstance(key, tuple) or not key or not isinstance(key[0], tuple) or len(key[0]) != 2:
        return False
    path, version = key[0]
    return path == str(current.path) and version != current.version


DATA_URI_VAR = "TIMELINE_SPARK_DATA_URI"


def _uri(path: Path, root: Path) -> str:
    """Where Spark finds a file: under $TIMELINE_SPARK_DATA_URI when the cluster sees the
    dataset folder under another name (s3a://bucket/events for /mnt/events), else the local
    path as a file URI (Hadoop paths take no %-escapes)."""
    remote = os.environ.get(DATA_URI_VAR, "").rstrip("/")
    if remote and root.is_dir():
        return f"{remote}/{path.relative_to(root).as_posix()}"
    return "file://" + str(path.resolve())


def _spark_schema() -> object:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(ARROW_SCHEMA)


_spark_lock = threading.Lock()


def spark_session(url: str) -> object:
    """One Spark session per process: Spark Connect for `sc://...`, else a master URL."""
    from pyspark.sql import SparkSession

    with _spark_lock:
        if url.startswith("sc://"):
            # Spark Connect's own builder: PySpark's general one refuses a Connect session in a
            # process that already runs a local one (a `timeline` command beside a local
            # session, the tests). The mark is the one that builder sets: PySpark's functions
            # then build Connect columns.
            from pyspark.sql.connect.session import SparkSession as ConnectSession

            os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
            return ConnectSession.builder.appName("conflict-timeline").remote(url).getOrCreate()
        builder = SparkSession.builder.appName("conflict-timeline")
        # A Python worker (a frame without Arrow, a UDF) runs this interpreter, with its
        # packages, not whatever `python3` the PATH finds first (PySpark reads only the variable).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        session = (
            builder.master(url)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(_local_cores(url) or 200))
            # rows come back to pandas as Arrow batches, not pickled one by one (Spark's
            # default; Spark Connect always does): a 100,000-row answer in a third less time
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return session


def _local_cores(url: str) -> int | None:
    """The task threads of a `local[N]` master (local[*]: this machine's), else None."""
    if not url.startswith("local"):
        return None
    inside = url.partition("[")[2].rstrip("]")
    return threads() if inside in ("", "*") else int(inside) if inside.isdigit() else None


_backends: dict[tuple[str, str], Backend] = {}
_backends_lock = threading.Lock()


def close_spark(url: str | None = None) -> None:
    """Stop this process's Spark sessions (or the one of `url`) and forget their backends."""
    with _backends_lock:
        for key in [k for k in _backends if k[0] == "spark" and url in (None, k[1])]:
            spark = _backends.pop(key)
            spark.session_.stop()
        connected = any(k[0] == "spark" and k[1].startswith("sc://") for k in _backends)
    # The process's Spark Connect mark (`spark_session`), never removed by PySpark: with it a
    # local session asked for afterwards would be refused.
    if not connected:
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


def backend(name: str | None = None, url: str | None = None) -> Backend:
    """The process's backend for `name` (default $TIMELINE_ENGINE, else duckdb)."""
    name = (name or os.environ.get(ENGINE_VAR) or "duckdb").strip().lower()
    if name not in ENGINES:
        raise EngineError(f"{ENGINE_VAR}={name!r}: choose {' or '.join(ENGINES)}")
    url = url or os.environ.get(SPARK_VAR) or "local[*]"
    key = (name, url if name == "spark" else "")
    with _backends_lock:
        found = _backends.get(key)
        if found is None:
            found = DuckDBBackend() if name == "duckdb" else SparkBackend(url)
            _backends[key] = found
        return found
