"""What the engine answers: plain, small results (a dataset's summary, a view's match,
the timeline's events or bins, the counts series, the map's points or cells), and the
conversions every engine's output goes through to become them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from timeline import view
from timeline.domain.schema import ARROW_SCHEMA, Col
from timeline.engine.backends import Source
from timeline.storage import parts, rollups

MAX_BINS = 150
MAP_CELL_DEGREES = rollups.MAP_CELL_DEGREES
"""The map's cell size, defined where the map's rollup counts its cells."""


@dataclass(frozen=True)
class Summary:
    """What a dataset version holds, for the sidebar, the header and link checking."""

    rows: int
    first_day: date | None
    last_day: date | None
    as_of: date | None
    """The latest day the data is known to reach: the newest end of an event dated to the day,
    or the newest start of one dated only to a week, month or year (a 'December' event does
    not make the data current to 31 December)."""
    max_span_days: int
    located: int
    counts: dict[str, dict[str, int]]
    """For each column a filter chooses from: its values and how many events have each, most
    frequent first (an event counts once per value of a list column)."""

    def values(self, col: str) -> tuple[str, ...]:
        return tuple(self.counts.get(str(col), {}))

    @property
    def type_counts(self) -> dict[str, int]:
        return self.counts.get(str(Col.EVENT_TYPE), {})

    @property
    def countries(self) -> tuple[str, ...]:
        return self.values(Col.COUNTRIES)

    @property
    def actors(self) -> tuple[str, ...]:
        return self.values(Col.ACTORS)

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(sorted(self.values(Col.DATASET)))

    def options(self, f: view.AnyOf) -> tuple[str, ...]:
        """A filter's choices as the sidebar offers them: what the data holds, most frequent
        first, in the registry's order for a fixed vocabulary."""
        present = self.counts.get(str(f.column), {})
        if f.choices is not None and not f.list_column:
            return tuple(c for c in f.choices if c in present)
        return tuple(present)

    def known(self, has_event: Callable[[str], bool] | None = None) -> view.Known:
        values = {
            f.name: frozenset(self.counts.get(str(f.column), {}))
            for f in view.FILTERS
            if isinstance(f, view.AnyOf) and f.choices is None
        }
        return view.Known(values, has_event)


@dataclass(frozen=True)
class Match:
    count: int
    first: date | None
    last: date | None
    located: int


@dataclass(frozen=True)
class TimelineData:
    """Either the events themselves (few) or counts per lane and time bin (many)."""

    count: int
    events: pd.DataFrame | None = None
    bins: pd.DataFrame | None = None
    """Columns lane, bin (first day), n; `lanes` gives the lanes in display order."""
    lanes: tuple[str, ...] = ()
    freq: str | None = None

    @property
    def aggregated(self) -> bool:
        return self.bins is not None


@dataclass(frozen=True)
class StrikeSeries:
    """Launched and intercepted per day or week and event type."""

    frame: pd.DataFrame
    """bin (first day), event_type, side (the launching countries, 'RUS' or 'UKR+GBR'),
    launched, intercepted (missing when none reported), events."""
    per: str
    what: str
    strikes: int
    left_out: int
    """Strikes with counts dated too coarsely to sit in one bin (monthly totals)."""
    datasets: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.frame.empty


@dataclass(frozen=True)
class MapData:
    total: int
    located: int
    points: pd.DataFrame | None = None
    cells: pd.DataFrame | None = None
    """Columns x, y (cell centre, degrees), event_type, n."""
    cell: float = MAP_CELL_DEGREES


def choose_bin(first: date, last: date, max_bins: int = MAX_BINS) -> str:
    """Day, week or month bins, whichever keeps the number of bins under `max_bins`."""
    days = (last - first).days + 1
    if days <= max_bins:
        return "day"
    if days / 7 <= max_bins:
        return "week"
    return "month"


def bin_of(column: ir.DateValue, freq: str) -> ir.DateValue:
    if freq == "day":
        return column
    return column.truncate("W" if freq == "week" else "M")


def to_day(value: object) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def as_days(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Dates as datetime64[ms] whatever the engine returned (date objects, seconds, ns)."""
    for name in columns:
        if name in frame.columns:
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ms]")
    return frame


def lists(frame: pd.DataFrame) -> pd.DataFrame:
    """List columns as Python lists (engines return arrays, lists or None)."""
    for col in (Col.ACTORS, Col.COUNTRIES, Col.INITIATOR_COUNTRIES, Col.OTHER_SOURCES):
        if str(col) in frame.columns:
            frame[str(col)] = [list(v) if v is not None else [] for v in frame[str(col)]]
    return frame


def summary_from_footers(source: Source) -> Summary | None:
    """The summary of a partitioned dataset from its parts' footer stats (`parts.table_stats`),
    or None when a part has none or a filter's column is not counted there."""
    if not source.partitioned or not source.files:
        return None
    wanted = {str(f.column) for f in view.FILTERS if isinstance(f, view.AnyOf)}
    stats = [parts.read_stats(p) for p in source.files]
    if any(s is None or not wanted <= set(s["counts"]) for s in stats):
        return None
    counts: dict[str, dict[str, int]] = {}
    for col in wanted:
        merged: dict[str, int] = {}
        for s in stats:
            for value, n in s["counts"][col].items():
                merged[value] = merged.get(value, 0) + n
        counts[col] = dict(sorted(merged.items(), key=lambda item: (-item[1], item[0])))
    days = [s for s in stats if s["rows"]]
    return Summary(
        rows=sum(s["rows"] for s in stats),
        first_day=min(date.fromisoformat(s["first"]) for s in days) if days else None,
        last_day=max(date.fromisoformat(s["last"]) for s in days) if days else None,
        as_of=max(date.fromisoformat(s["as_of"]) for s in days) if days else None,
        max_span_days=max((s["max_span_days"] for s in stats), default=0),
        located=sum(s["located"] for s in stats),
        counts=counts,
    )


def to_schema(table: pa.Table) -> pa.Table:
    """An engine's Arrow result in `ARROW_SCHEMA` (engines differ in timestamp units)."""
    return pa.Table.from_arrays(
        [table.column(f.name).cast(f.type) for f in ARROW_SCHEMA], schema=ARROW_SCHEMA
    )
