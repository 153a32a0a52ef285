"""The queries behind every chart, table and count, written once in Ibis."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from timeline import view
from timeline.domain import taxonomy
from timeline.domain.schema import ARROW_SCHEMA, KEY_SEPARATOR, KEYS_COLUMNS, SEARCH_COLUMN, SEARCHED, Col
from timeline.engine import rollups, spans, words
from timeline.engine.backends import HOLD_ROWS, Backend, Source, backend, open_source
from timeline.engine.incidents import attach as attach_incidents, versioned, with_incidents
from timeline.engine.results import (
    MAP_CELL_DEGREES,
    MapData,
    Match,
    StrikeSeries,
    Summary,
    TimelineData,
    as_days,
    bin_of,
    choose_bin,
    lists,
    summary_from_footers,
    to_day,
    to_schema,
)
from timeline.view import View

MAX_EVENTS = 3000
"""Above this many events in view, the timeline and map draw counts per bin, not events."""
MAX_LANES = 30
KEEP_ROWS = 500_000
"""A view of a large dataset that matches at most this many events has its matches kept in
memory after the first query, so its charts, table and map do not each scan the files."""
KEEP_FROM = 200_000
"""...when the dataset has at least this many rows (below, a scan costs less than a copy)."""
KEEP_HELD = 100_000
"""On a dataset held in memory of at most this many rows, a view's matches are copied once
(and every chart reads the copy); on a larger one, when a text search found them or when
there are at most `KEEP_HELD_VIEW`. A broader view without text is filtered again per
question, which in memory costs less than copying its rows."""
KEEP_HELD_VIEW = MAX_EVENTS
"""...of a held dataset above `KEEP_HELD` rows: a view drawn event by event. With each question
run from SQL compiled once per shape (`DuckDBBackend.shaped_sql`), filtering 1 M held rows
again per question cost 0.09-0.13 CPU s a view of 10,000-46,000 events against 0.15-0.19
copied first (the copy alone 0.08-0.1)."""
OTHER = "Other"
NONE_LANE = "(none)"
T = TypeVar("T")

EVENT_COLUMNS = [
    Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.DATE_TEXT,
    Col.TITLE, Col.KEY_LABEL, Col.ACTORS, Col.COUNTRIES, Col.INITIATOR_COUNTRIES, Col.LOCATION,
    Col.LATITUDE, Col.LONGITUDE, Col.GEO_PRECISION, Col.AREA_CODE, Col.COUNT,
    Col.COUNT_UNIT, Col.INTERCEPTED, Col.WEAPON, Col.CONFIDENCE, Col.SOURCE_OUTLET, Col.SOURCE_URL, Col.DATASET,
]  # fmt: skip
"""What drawing an event, its hover text or its table row needs (no summaries, no sources)."""
AGGREGATE_COLUMNS = [
    Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.ACTORS,
    Col.COUNTRIES, Col.INITIATOR_COUNTRIES, Col.LATITUDE, Col.LONGITUDE, Col.COUNT, Col.COUNT_UNIT, Col.INTERCEPTED,
    Col.CONFIDENCE, Col.SOURCE_OUTLET, Col.DATASET,
]  # fmt: skip
"""What counting a view needs: its many matches are kept without their text."""
HELD_KEPT_COLUMNS = list(dict.fromkeys([*EVENT_COLUMNS, *AGGREGATE_COLUMNS]))
"""What a view's matches keep on a dataset held in memory: what drawing and counting need (no
summaries, sources or search text; cards and exports read those from the held dataset)."""
COUNT_CHOICES = {
    "all": taxonomy.STRIKE_UNITS,
    "drones": ("drones",),
    "missiles": ("missiles",),
    "side": taxonomy.STRIKE_UNITS,
}
"""What the counts chart adds up: every strike, or only rows counted in drones or missiles
(a combined strike's total cannot be split, so it counts only under 'all' and 'side'). It
always keeps each launching side apart; 'side' colours the bars by side."""
UNKNOWN_SIDE = rollups.UNKNOWN_SIDE
"""The side of a strike that names none (a schema v1 file, or an import that could not say)."""


def _in_session(method: Callable[..., T]) -> Callable[..., T]:
    """Run a query method on one borrowed connection from start to end (see backends)."""

    @functools.wraps(method)
    def wrapper(self: Engine, *args: object, **kwargs: object) -> T:
        with self.backend.session():
            return method(self, *args, **kwargs)

    return wrapper


def _remembered(*reads: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Keep a view query's result per dataset version (see `Backend.remember`), keyed by the
    filters and by the chart options it `reads` alone: a change of `lanes` asks the timeline
    again and nothing else. A `Match` argument is left out of the key: it follows from the
    view."""

    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def wrapper(self: Engine, v: View, *args: object, **kwargs: object) -> T:
            extra = [a for a in args if not isinstance(a, Match)]
            extra += sorted((k, a) for k, a in kwargs.items() if not isinstance(a, Match))
            options = tuple((name, v.option(name)) for name in reads)
            key = (self.source.key, method.__name__, v.values, options, tuple(extra))
            return self.backend.remember(key, lambda: method(self, v, *args, **kwargs))

        return wrapper

    return decorate


class Engine:
    """The queries of one dataset version on one backend. Cheap to make: open one per
    rerun with `open_engine`; what is worth keeping (the summary) is cached per version."""

    def __init__(self, source: Source, runner: Backend):
        self.source = source
        self.backend = runner

    # --- tables ----------------------------------------------------------------------------

    def _base(self) -> ir.Table:
        """The whole dataset: DuckDB's in-memory copy of this version when it has at most
        `HOLD_ROWS` rows (made on first use, with the derived columns), else its files."""
        held = self.backend.held(self.source.key)
        if held is not None:
            return held
        if _file_rows(self.source, self.backend) <= HOLD_ROWS:
            held = self.backend.hold(self.source.key, self._scan())
            if held is not None:
                return held
        return self._scan()

    def table(self) -> ir.Table:
        """The whole dataset version as every view method reads it (derived and incident
        columns included), for a question no view method asks: a card's list of reports."""
        return self._base()

    def _dated(self, start: date | None, end: date | None, v: View | None = None) -> ir.Table:
        """`_base()`, read from only the parts whose dates can overlap [start, end] when the
        dataset is read from its files (`spans`: a date preset's questions open a month's
        part, not all 141 of 10 M events), and of those only the parts holding the words of
        `v`'s text search (`words.narrowed`: a rare word's rows are in a few)."""
        part = self._narrowed(start, end, v)
        return self._scan(part) if part is not None else self._base()

    def _narrowed(self, start: date | None, end: date | None, v: View | None = None) -> Source | None:
        """The parts whose dates can overlap [start, end] and that hold the words of `v`'s text
        search, when they are fewer than all and the dataset is read from its files; else
        None (read `_base()`)."""
        if not (start or end or v) or not self._reads_files():
            return None
        part = spans.within(self.backend, self.source, start, end)
        if v is not None:
            part = words.narrowed(self.backend, self.source, v, part) or part
        return part

    def _reads_files(self) -> bool:
        """Whether questions read the dataset's files: not held in memory, and too large to be."""
        return (
            self.backend.held(self.source.key) is None and _file_rows(self.source, self.backend) > HOLD_ROWS
        )

    def _scan(self, files: Source | None = None) -> ir.Table:
        """The dataset's files (or those of `files`, some of its parts), with the derived
        columns (computed when the files lack them)."""
        t = attach_incidents(self.backend.table(files or self.source), self.source)
        if self.source.derived:
            return t
        # Files without the stored derived columns (the curated file): the same values, computed.
        text = [t[c].join(" ") if c in (Col.ACTORS,) else t[c] for c in SEARCHED]
        search = ibis.literal(" ").join([part.fill_null("") for part in text]).lower()
        keys = {
            name: ibis.literal(KEY_SEPARATOR) + t[col].join(KEY_SEPARATOR).fill_null("") + KEY_SEPARATOR
            for col, name in KEYS_COLUMNS.items()
        }
        return t.mutate(**{SEARCH_COLUMN: search}, **keys)

    def _where(
        self, v: View, columns: Iterable[Col | str] = EVENT_COLUMNS, since: date | None = None
    ) -> ir.Table:
        """The matching rows, from a copy kept in memory when one holds these `columns`
        (see `_keep`), else from the files (only the parts that can hold a match of the
        view's dates, starting `since` if given: the caller filters on that)."""
        if v.values and {str(c) for c in columns} <= {str(c) for c in HELD_KEPT_COLUMNS}:
            kept = self.backend.kept((self.source.key, v.values, "all"))
            if kept is not None:
                return kept
            for kind, kept_columns in (("events", EVENT_COLUMNS), ("counts", AGGREGATE_COLUMNS)):
                if {str(c) for c in columns} <= {str(c) for c in kept_columns}:
                    kept = self.backend.kept((self.source.key, v.values, kind))
                    if kept is not None:
                        return kept
        start = max(filter(None, (v.span.start, since)), default=None)
        t = self._dated(start, v.span.end, v)
        tests = view.predicates(t, v)
        return t.filter(tests) if tests else t

    def _keep(self, v: View) -> None:
        """A view with filters keeps its matches in memory, so that its charts, table and map
        each read those instead of filtering again: on a dataset held in memory, all of them
        (one pass over the data per view); on a large one read from files, all
        `EVENT_COLUMNS` when the view holds at most `MAX_EVENTS`, the `AGGREGATE_COLUMNS` up
        to `KEEP_ROWS`, each try one scan that stops as soon as it has found too many."""
        if not v.values:
            return
        t = self._base()
        if self.backend.held(self.source.key) is not None:
            key = (self.source.key, v.values, "all")
            if self.backend.kept(key) is None:
                matched = t.filter(view.predicates(t, v)).select([str(c) for c in HELD_KEPT_COLUMNS])
                self.backend.keep(key, matched, None)
            return
        if self.summary.rows < KEEP_FROM:
            return
        t = self._dated(v.span.start, v.span.end, v)
        matched = t.filter(view.predicates(t, v))
        tries = [("events", EVENT_COLUMNS, MAX_EVENTS), ("counts", AGGREGATE_COLUMNS, KEEP_ROWS)]
        text = any(isinstance(f, view.TextWords) for f in v.active)
        if self.backend.keeps and not text:
            # Counted first, without copying, stopping after KEEP_ROWS + 1: a broad view's copy
            # was thrown away after 500,000 rows (0.83 CPU s at 10 M events for one type),
            # this costs what the first try did (0.1-0.13). Not for a text search, whose scan
            # of the text costs as much as a copy.
            n = int(self.run(matched.limit(KEEP_ROWS + 1).count().as_table()).iloc[0, 0])
            tries = [attempt for attempt in tries if n <= attempt[2]][:1]  # the first that fits
        for kind, columns, limit in tries:
            key = (self.source.key, v.values, kind)
            if self.backend.kept(key) is not None:
                return
            if self.backend.keep(key, matched.select([str(c) for c in columns]), limit) is not None:
                return

    def _rolled(
        self, v: View, kind: str, shape: tuple[object, ...], build: Callable[[ir.Table], ir.Table]
    ) -> pd.DataFrame | None:
        """`build` on the view's rows of rollup `kind` when the dataset's rollups answer the
        view exactly (`engine.rollups`), else None: the caller asks the data. A dataset held
        in memory reads them too when it has more than `KEEP_HELD` rows (its views are not all
        copied first): at 1 M events a question on the rollups' 100,000-130,000 rows cost
        0.01-0.017 CPU s against 0.024-0.035 on the held rows (docs/performance.md, held24)."""
        if not self._reads_files() and _file_rows(self.source, self.backend) <= KEEP_HELD:
            return None
        rows = _file_rows(self.source, self.backend)
        return rollups.ask(self.backend, self.source, rows, v, kind, shape, build)

    def run(self, expr: ir.Table) -> pd.DataFrame:
        self.backend.queries += 1
        return self.backend.frame(expr)

    def ask(
        self, t: ir.Table, shape: tuple[object, ...], build: Callable[[ir.Table], ir.Table]
    ) -> pd.DataFrame:
        """`build(t)`'s rows: on a view's kept copy, from SQL compiled once per `shape` (which
        must name everything `build` reads besides `t`), else built and run (`run`)."""
        found = self.backend.shaped(t, shape, build)
        if found is None:
            return self.run(build(t))
        self.backend.queries += 1
        return found  # type: ignore[return-value]

    # --- per dataset version ---------------------------------------------------------------

    @cached_property
    def summary(self) -> Summary:
        """Kept per dataset version, like every answer (`Backend.remember`)."""
        return self.backend.remember((self.source.key, "summary"), self._compute_summary)

    def _compute_summary(self) -> Summary:
        stored = summary_from_footers(self.source)
        if stored is not None:
            return stored
        with self.backend.session():
            t = self._base()
            day = t[Col.DATE_PRECISION] == "day"
            totals = t.aggregate(
                rows=t.count(),
                first=t[Col.DATE_START].min(),
                last=t[Col.DATE_END].max(),
                as_of=ibis.cases((day, t[Col.DATE_END]), else_=t[Col.DATE_START]).max(),
                span=(t[Col.DATE_END].epoch_days() - t[Col.DATE_START].epoch_days()).max(),
                located=t[Col.LATITUDE].notnull().sum(),
            ).to_pandas()
            chosen = dict.fromkeys(f.column for f in view.FILTERS if isinstance(f, view.AnyOf))
            counts = {str(col): self._frequencies(t, col) for col in chosen}
        row = totals.iloc[0]
        rows = int(row["rows"])
        return Summary(
            rows=rows,
            first_day=to_day(row["first"]) if rows else None,
            last_day=to_day(row["last"]) if rows else None,
            as_of=to_day(row["as_of"]) if rows else None,
            max_span_days=int(row["span"]) if rows and not pd.isna(row["span"]) else 0,
            located=int(row["located"]) if rows else 0,
            counts=counts,
        )

    def _frequencies(self, t: ir.Table, col: Col) -> dict[str, int]:
        """A column's values with their events, most frequent first (an event counts once per
        value of a list column). From SQL compiled once per column (`ask`): the summary and a
        view the rollups cannot answer ask it for three columns or more."""
        is_list = isinstance(t[col], ir.ArrayValue)

        def build(t: ir.Table) -> ir.Table:
            values = t.select(key=t[col].unnest() if is_list else t[col])  # lists never repeat an item
            return values.group_by("key").agg(n=values.count())

        return _ranked(self.ask(t, ("frequencies", str(col), is_list), build))

    def has_event(self, event_id: str) -> bool:
        """Whether the dataset holds this event (a link's `event=`, checked on every rerun of
        a page with a selection): kept per dataset version, and read from only the parts
        whose ids can enclose it (`spans.holding`)."""
        key = (self.source.key, "has_event", event_id)
        return self.backend.remember(key, lambda: self._holds(event_id))

    @_in_session
    def _holds(self, event_id: str) -> bool:
        t = self._holding([event_id])
        return bool(self.run(t.filter(t[Col.EVENT_ID] == event_id).count().as_table()).iloc[0, 0])

    def _holding(self, ids: list[str]) -> ir.Table:
        """`_base()`, read from only the parts whose ids can enclose one of `ids` when the
        dataset is read from its files."""
        part = spans.holding(self.backend, self.source, ids) if self._reads_files() else None
        return self._scan(part) if part is not None else self._base()

    def known(self) -> view.Known:
        return with_incidents(self.summary.known(self.has_event), self.source)

    # --- per view --------------------------------------------------------------------------

    @_remembered()
    @_in_session
    def match(self, v: View) -> Match:
        if not v.values:
            s = self.summary
            return Match(s.rows, s.first_day, s.last_day, s.located)
        rolled = self._rolled(v, "days", ("match",), rollups.match_totals)
        if rolled is not None:
            return _match_of(rolled.iloc[0])
        # Held, or to be held by the first question (a view opened from a link, before any other)
        held = self.backend.held(self.source.key) is not None or (
            self.backend.keeps and _file_rows(self.source, self.backend) <= HOLD_ROWS
        )
        text = any(isinstance(f, view.TextWords) for f in v.active)
        # A text search is the costly test: run it once, keep what it found. A held dataset of
        # at most `KEEP_HELD` rows is kept first too (no view of it can match more): the count
        # then reads the copy, from SQL compiled once (`ask`), not the predicates again.
        if not held or text or self.summary.rows <= KEEP_HELD:
            self._keep(v)
        t = self._where(v, [Col.DATE_START, Col.DATE_END, Col.LATITUDE])
        found = _match_of(self.ask(t, ("match",), _match_totals).iloc[0])
        if held and not text and found.count <= KEEP_HELD_VIEW and self.summary.rows > KEEP_HELD:
            self._keep(v)
        return found

    @_remembered()
    @_in_session
    def count(self, v: View) -> int:
        rolled = self._rolled(v, "days", ("count",), lambda t: t.aggregate(n=t[rollups.N].sum().fill_null(0)))
        if rolled is not None:
            return int(rolled.iloc[0, 0])
        t = self._where(v, [Col.EVENT_ID])
        # Named: `t.count()` is named after the table, each view's copy another name.
        return int(self.ask(t, ("count",), lambda t: t.aggregate(n=t.count())).iloc[0, 0])

    @_remembered()
    @_in_session
    def frequencies(self, v: View, column: Col) -> dict[str, int]:
        """A column's values with their matching events, most frequent first (the sidebar's
        '2 of 9': what matches beside what the data holds)."""
        if not v.values:
            return self.summary.counts.get(str(column), {})
        if str(column) in rollups.keys("days"):
            rolled = self._rolled(v, "days", ("frequencies", str(column)), rollups.frequencies(column))
            if rolled is not None:
                return _ranked(rolled)
        return self._frequencies(self._where(v, [column]), column)

    @_in_session
    def relaxations(self, v: View) -> list[tuple[str, int]]:
        """For an empty result: how many events each single filter, dropped, would bring back."""
        out = []
        for f in v.active:
            n = self.count(v.without(f.name))
            if n:
                out.append((f.label.lower(), n))
        return sorted(out, key=lambda item: -item[1])

    @_in_session
    def events(self, v: View, limit: int = MAX_EVENTS, columns: list[Col] | None = None) -> pd.DataFrame:
        """Up to `limit` matching events, oldest first (ties by id, the same on every engine)."""
        t = self._where(v, columns or EVENT_COLUMNS)
        wanted = [str(c) for c in columns or EVENT_COLUMNS]
        frame = self.ask(
            t,
            ("events", tuple(wanted), limit),
            lambda t: t.select(wanted).order_by([Col.DATE_START, Col.EVENT_ID]).limit(limit),
        )
        return lists(as_days(frame, (Col.DATE_START, Col.DATE_END, Col.SOURCE_PUBLISHED)))

    @_remembered()
    def drawn(self, v: View) -> pd.DataFrame:
        """Every matching event of a view drawn one by one (at most `MAX_EVENTS`), oldest
        first: read once per view and shared by the timeline, the map's points and the table,
        which would each ask the engine again for rows it already has."""
        return self.events(v)

    @_remembered()
    @_in_session
    def newest(self, v: View, limit: int = 1000) -> pd.DataFrame:
        """The `limit` newest matching events, newest first, for the table."""
        if self.match(v).count <= min(limit, MAX_EVENTS):  # all of them, already read
            frame = self.drawn(v).sort_values(
                [Col.DATE_START, Col.EVENT_ID], ascending=[False, True], kind="stable"
            )
            return frame.reset_index(drop=True)
        if self.backend.held(self.source.key) is not None:
            # In memory a top-N is one pass (0.005 CPU s at 1 M rows), where the two steps
            # below, made for files, cost two (0.03).
            wanted = [str(c) for c in EVENT_COLUMNS]
            frame = self.ask(
                self._where(v),
                ("newest", limit),
                lambda t: (
                    t.select(wanted)
                    .order_by([ibis.desc(Col.DATE_START), ibis.asc(Col.EVENT_ID)])
                    .limit(limit)
                ),
            )
            return lists(as_days(frame, (Col.DATE_START, Col.DATE_END)))
        # First the day of the `limit`-th newest event, from the start dates alone; then only
        # rows from that day on are read whole (the parts' date statistics skip the rest).
        days = self._rolled(v, "days", ("newest days", limit), rollups.newest_days(limit))
        if days is None:
            days = self.ask(
                self._where(v, [Col.DATE_START]),
                ("newest days", limit),
                lambda t: (
                    t.group_by(day=t[Col.DATE_START]).agg(n=t.count()).order_by(ibis.desc("day")).limit(limit)
                ),
            )
        if days.empty:
            return self.events(v, limit=0)
        reached = days["n"].cumsum() >= limit
        since = days["day"][reached].iloc[0] if reached.any() else days["day"].iloc[-1]
        t = self._where(v, since=to_day(since))
        expr = (
            t.filter(t[Col.DATE_START] >= to_day(since))
            .select([str(c) for c in EVENT_COLUMNS])
            .order_by([ibis.desc(Col.DATE_START), ibis.asc(Col.EVENT_ID)])
            .limit(limit)
        )
        return lists(as_days(self.run(expr), (Col.DATE_START, Col.DATE_END)))

    def by_ids(self, ids: list[str], near: View | None = None) -> pd.DataFrame:
        """Whole rows of these events (for cards), in the order asked; kept per dataset version
        like a view's answers, as the cards and the charts' highlight ask for the same rows.
        `near`: a view the events were picked from, whose dates say which parts to look in
        first (`spans`; an id is in one row of a dataset, so rows found there are all)."""
        if not ids:
            return pd.DataFrame(columns=ARROW_SCHEMA.names)
        key = (self.source.key, "by_ids", tuple(ids))
        return self.backend.remember(key, lambda: self._rows_of(list(ids), near))

    @_in_session
    def _rows_of(self, ids: list[str], near: View | None = None) -> pd.DataFrame:
        def rows(t: ir.Table) -> pd.DataFrame:
            return self.run(t.filter(t[Col.EVENT_ID].isin(list(ids))).select(ARROW_SCHEMA.names))

        frame = None
        part = self._narrowed(near.span.start, near.span.end) if near is not None else None
        if part is not None:
            frame = rows(self._scan(part))
            if set(frame[str(Col.EVENT_ID)]) != set(ids):
                frame = None  # some are outside the view's parts: look everywhere
        if frame is None:
            frame = rows(self._holding(ids))
        frame = lists(as_days(frame, (Col.DATE_START, Col.DATE_END, Col.SOURCE_PUBLISHED)))
        order = {i: n for n, i in enumerate(ids)}
        return frame.sort_values(Col.EVENT_ID, key=lambda s: s.map(order)).reset_index(drop=True)

    @_in_session
    def matching_ids(self, v: View, ids: list[str]) -> set[str]:
        """Which of these events the view shows (of a view drawn event by event, from the rows
        its charts drew: a card opened on a click asks the engine nothing more)."""
        if not ids:
            return set()
        if self.match(v).count <= MAX_EVENTS:
            return set(self.drawn(v)[Col.EVENT_ID]) & set(ids)
        t = self._where(v, [Col.EVENT_ID])
        found = self.run(t.filter(t[Col.EVENT_ID].isin(list(ids))).select(Col.EVENT_ID))
        return set(found[str(Col.EVENT_ID)])

    @_in_session
    def rows(self, v: View) -> pa.Table:
        """Every matching row in the schema, oldest first: what a data export writes."""
        t = self._where(v, ARROW_SCHEMA.names)
        expr = t.select(ARROW_SCHEMA.names).order_by([Col.DATE_START, Col.EVENT_ID])
        self.backend.queries += 1
        return to_schema(expr.to_pyarrow())

    @_in_session
    def value_counts(self, v: View, col: Col) -> dict[str, int]:
        """Matching events per value of a column (nulls left out)."""
        t = self._where(v, [col])
        t = t.filter(t[col].notnull())
        counts = self.run(t.group_by(key=t[col]).agg(n=t.count()))
        return {str(k): int(n) for k, n in zip(counts["key"], counts["n"], strict=True)}

    @_in_session
    def totals(self, v: View, by: Col, of: Col) -> dict[str, int]:
        """The sum of column `of` per value of column `by` (where both are given)."""
        t = self._where(v, [by, of])
        t = t.filter(t[by].notnull() & t[of].notnull())
        sums = self.run(t.group_by(key=t[by]).agg(n=t[of].sum()))
        return {str(k): int(n) for k, n in zip(sums["key"], sums["n"], strict=True)}

    @_remembered()
    @_in_session
    def outlets(self, v: View) -> pd.Series:
        """Matching events per source outlet, most first (for a footer's 'Sources: ...')."""
        counts = self._rolled(v, "outlets", ("outlets",), rollups.outlets)
        if counts is None:
            t = self._where(v, [Col.SOURCE_OUTLET])
            counts = self.ask(
                t, ("outlets",), lambda t: t.group_by(outlet=t[Col.SOURCE_OUTLET]).agg(n=t.count())
            )
        counts = counts.sort_values(["n", "outlet"], ascending=[False, True])
        return pd.Series(counts["n"].to_numpy(), index=counts["outlet"].to_numpy(), dtype="int64")

    # --- charts ----------------------------------------------------------------------------

    @_remembered("lanes")
    @_in_session
    def timeline(self, v: View, match: Match | None = None) -> TimelineData:
        """The events when there are at most `MAX_EVENTS`, else counts per lane and bin."""
        match = match or self.match(v)
        if match.count <= MAX_EVENTS:
            return TimelineData(match.count, events=self.drawn(v))
        freq = choose_bin(match.first, match.last) if match.first and match.last else "month"
        bins, lanes = self._lane_bins(v, freq)
        return TimelineData(match.count, bins=bins, lanes=lanes, freq=freq)

    def _lane_bins(self, v: View, freq: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
        if v.lanes == "type":
            frame = self._rolled(v, "days", ("type lanes", freq), rollups.type_lanes(freq))
            if frame is None:
                frame = self.ask(
                    self._where(v, [Col.EVENT_TYPE, Col.DATE_START]),
                    ("type lanes", freq),
                    lambda t: t.group_by(lane=t[Col.EVENT_TYPE], bin=bin_of(t[Col.DATE_START], freq)).agg(
                        n=t.count()
                    ),
                )
            present = set(frame["lane"])
            order = tuple(taxonomy.LABELS[k] for k in taxonomy.EVENT_TYPE_KEYS if k in present)
            frame["lane"] = frame["lane"].map(taxonomy.LABELS)
            return as_days(frame, ["bin"]), order
        t = self._where(v, [Col.EVENT_TYPE, Col.DATE_START, Col.COUNTRIES, Col.ACTORS])
        col = Col.COUNTRIES if v.lanes == "country" else Col.ACTORS
        frame = self.ask(t, ("listed lanes", str(col), freq), lambda t: _listed_lanes(t, col, freq))
        totals = (
            frame.groupby("lane")["n"].sum().reset_index().sort_values(["n", "lane"], ascending=[False, True])
        )
        order = [str(x) for x in totals["lane"]]
        if len(order) > MAX_LANES:
            # The rest in one 'Other' lane, where an event counts once however many it names.
            top = order[: MAX_LANES - 1]
            other = t.filter(t[col].filter(lambda x: ~x.isin(top)).length() > 0)
            rest = self.run(other.group_by(bin=bin_of(other[Col.DATE_START], freq)).agg(n=other.count()))
            frame = pd.concat([frame[frame["lane"].isin(top)], rest.assign(lane=OTHER)], ignore_index=True)
            order = [*top, OTHER]
        return as_days(frame, ["bin"]), tuple(order)

    @_remembered("per", "strikes")
    @_in_session
    def strikes(self, v: View) -> StrikeSeries:
        """Launched and intercepted per bin and type; an overnight attack counts on the day it
        began; figures dated only to a week or month are left out (and counted) rather than
        spread over days, except a week's figure when counting per week."""
        per, what = v.per, v.strikes
        frame = self._rolled(
            v, "days", ("strikes", per, what), lambda t: _strike_groups(t, per, what, rolled=True)
        )
        if frame is None:
            t = self._where(v, [Col.EVENT_TYPE, Col.COUNT_UNIT, Col.COUNT, Col.INTERCEPTED, Col.DATE_PRECISION,
                                Col.DATE_START, Col.DATE_END, Col.DATASET, Col.INITIATOR_COUNTRIES])  # fmt: skip
            frame = self.ask(t, ("strikes", per, what), lambda t: _strike_groups(t, per, what))
        frame = as_days(frame, ["bin"])
        kept = frame[frame["fits"].astype(bool)]
        left_out = int(frame.loc[~frame["fits"].astype(bool), "events"].sum())
        datasets = tuple(sorted(str(d) for d in kept["dataset"].unique()))
        sums = ["launched", "intercepted", "reported", "events"]  # one grouped sum, not four
        series = kept.groupby(["bin", "event_type", "side"], as_index=False)[sums].sum()
        series["launched"] = series["launched"].astype("int64")
        series["intercepted"] = series["intercepted"].where(series["reported"] > 0).astype("Int64")
        series = (
            series.drop(columns="reported").sort_values(["bin", "event_type", "side"]).reset_index(drop=True)
        )
        return StrikeSeries(series, per, what, int(series["events"].sum()), left_out, datasets)

    @_remembered()
    @_in_session
    def map(self, v: View, match: Match | None = None) -> MapData:
        match = match or self.match(v)
        if match.count <= MAX_EVENTS:  # the located ones of the events the timeline draws
            rows = self.drawn(v)
            located = rows[rows[Col.LATITUDE].notna() & rows[Col.LONGITUDE].notna()]
            return MapData(match.count, match.located, points=located.reset_index(drop=True))
        if match.located <= MAX_EVENTS:
            points = self.ask(self._where(v, EVENT_COLUMNS), ("map points",), _located_events)
            return MapData(
                match.count, match.located, points=lists(as_days(points, (Col.DATE_START, Col.DATE_END)))
            )
        size = MAP_CELL_DEGREES
        # The rollup first: the parts' own view (every footer of 10 M events read for its
        # schema, 0.3 s of the first chart) is made only for a view the rollups cannot answer.
        frame = self._rolled(v, "cells", ("cells",), rollups.cells)
        if frame is None:
            t = self._where(v, [Col.LATITUDE, Col.LONGITUDE, Col.EVENT_TYPE])
            frame = self.ask(t, ("map cells", size), lambda t: _map_cells(t, size))
        frame["x"] = (frame["x"].astype("float64") + 0.5) * size
        frame["y"] = (frame["y"].astype("float64") + 0.5) * size
        return MapData(match.count, match.located, cells=frame)


def _match_of(row: pd.Series) -> Match:
    """A `Match` from a row of `_match_totals` (or its rollup's, `rollups.match_totals`)."""
    n = int(row["n"])
    return Match(n, to_day(row["first"]), to_day(row["last"]), int(row["located"] or 0) if n else 0)


def _ranked(counts: pd.DataFrame) -> dict[str, int]:
    """A (key, n) frame as values by events, most frequent first, nulls left out."""
    counts = counts.dropna().sort_values(["n", "key"], ascending=[False, True])
    return {str(k): int(n) for k, n in zip(counts["key"], counts["n"], strict=True)}


def _match_totals(t: ir.Table) -> ir.Table:
    """A view's count, first and last day and located events, in one row."""
    return t.aggregate(
        n=t.count(),
        first=t[Col.DATE_START].min(),
        last=t[Col.DATE_END].max(),
        located=t[Col.LATITUDE].notnull().sum(),
    )


def _strike_groups(t: ir.Table, per: str, what: str, rolled: bool = False) -> ir.Table:
    """Strikes' launched and intercepted sums per (fits, bin, type, side, dataset): `fits`
    says whether a row's dates fit the bin (`Engine.strikes`). `rolled`: `t` is the `days`
    rollup, whose rows carry the side and the sums already."""
    counted = t[rollups.COUNTED] if rolled else t[Col.COUNT].notnull()
    t = t.filter(
        t[Col.EVENT_TYPE].isin(list(taxonomy.STRIKE_TYPES))
        & t[Col.COUNT_UNIT].isin(list(COUNT_CHOICES[what]))
        & counted
    )
    fits = t[Col.DATE_PRECISION] == "day"
    if per == "week":
        same_week = bin_of(t[Col.DATE_START], "week") == bin_of(t[Col.DATE_END], "week")
        fits |= (t[Col.DATE_PRECISION] == "week") & same_week
    if rolled:
        side = t[rollups.SIDE]
        sums = {
            "launched": t[rollups.LAUNCHED].sum(),
            "intercepted": t[rollups.INTERCEPTED].sum(),
            "reported": t[rollups.REPORTED].sum(),
            "events": t[rollups.N].sum(),
        }
    else:
        side = t[Col.INITIATOR_COUNTRIES].join("+").nullif("").fill_null(UNKNOWN_SIDE)
        sums = {
            "launched": t[Col.COUNT].sum(),
            "intercepted": t[Col.INTERCEPTED].sum(),
            "reported": t[Col.INTERCEPTED].count(),
            "events": t.count(),
        }
    keys = {"fits": fits, "bin": bin_of(t[Col.DATE_START], per), "event_type": t[Col.EVENT_TYPE]}
    return t.group_by(**keys, side=side, dataset=t[Col.DATASET]).agg(**sums)


def _located(t: ir.Table) -> ir.Table:
    return t.filter(t[Col.LATITUDE].notnull() & t[Col.LONGITUDE].notnull())


def _located_events(t: ir.Table) -> ir.Table:
    """The located matching events, drawn one by one, oldest first."""
    t = _located(t)
    return t.select([str(c) for c in EVENT_COLUMNS]).order_by([Col.DATE_START, Col.EVENT_ID])


def _map_cells(t: ir.Table, size: float) -> ir.Table:
    """Located events per map cell of `size` degrees and event type."""
    t = _located(t)
    return t.group_by(
        x=(t[Col.LONGITUDE] / size).floor(),
        y=(t[Col.LATITUDE] / size).floor(),
        event_type=t[Col.EVENT_TYPE],
    ).agg(n=t.count())


def _listed_lanes(t: ir.Table, col: Col, freq: str) -> ir.Table:
    """Events per (lane, bin) where each value of list column `col` is a lane, and events
    naming none are in `NONE_LANE`."""
    listed = t.filter(t[col].length() > 0)
    pairs = listed.select(bin=bin_of(listed[Col.DATE_START], freq), lane=listed[col].unnest())
    unlisted = t.filter(t[col].length() == 0)
    pairs = pairs.union(
        unlisted.select(bin=bin_of(unlisted[Col.DATE_START], freq), lane=ibis.literal(NONE_LANE))
    )
    return pairs.group_by(["lane", "bin"]).agg(n=pairs.count())


def _file_rows(source: Source, runner: Backend) -> int:
    """A dataset version's rows from its files' footers (no data read), once per version."""

    def count() -> int:
        from timeline.storage import parts

        return sum(parts.footer(p).rows for p in source.files)  # footers the summary read

    return runner.remember((source.key, "file_rows"), count)


def open_engine(path: Path, engine: str | None = None) -> Engine:
    """An engine on the dataset at `path` as it is now (its current version); what the backend
    kept for the versions before is dropped."""
    runner, source = backend(engine), versioned(open_source(path))
    runner.adopt(source)
    return Engine(source, runner)
