"""What an analyst can filter by, and the vectorised masks that apply it.

`Catalog` is built once per dataset version: it holds the frame plus what every filter
change would otherwise recompute (the lower-cased search text, the country and actor
options). `mask` is then a handful of vectorised comparisons, fast on a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.schema import Col, as_arrow

CATEGORICAL = (Col.EVENT_TYPE, Col.DATE_PRECISION, Col.CONFIDENCE, Col.COUNT_UNIT, Col.DATASET)
PRESETS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
PRESET_LABELS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All"}
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Filters:
    """The filter state; empty tuples and None mean 'no restriction'."""

    start: date | None = None
    end: date | None = None
    types: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    text: str = ""
    confidence: tuple[str, ...] = ()
    min_count: int | None = None
    datasets: tuple[str, ...] = ()

    def active(self) -> list[str]:
        """Names of the filters that restrict anything."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, (), "")]


@dataclass(frozen=True)
class Catalog:
    """A loaded dataset plus the per-version precomputations the filters need."""

    events: pd.DataFrame
    haystack: pa.Array
    countries: tuple[str, ...]
    actors: tuple[str, ...]
    datasets: tuple[str, ...]
    type_counts: dict[str, int]
    first_day: date | None
    last_day: date | None
    as_of: date | None
    """The latest day the data is known to reach: the newest end of an event dated to the day,
    or the newest start of one dated only to a week, month or year (a 'December' event does
    not make the data current to 31 December)."""
    ids: pd.Index = field(repr=False)

    @classmethod
    def build(cls, events: pd.DataFrame) -> Catalog:
        # Few distinct values: categories make masks and group-bys on a million rows cheap.
        events = events.reset_index(drop=True).astype({str(c): "category" for c in CATEGORICAL})
        parts = [as_arrow(events[c]) for c in (Col.TITLE, Col.SUMMARY, Col.LOCATION)]
        parts.append(pc.binary_join(as_arrow(events[Col.ACTORS]), " "))
        parts = [pc.fill_null(part.cast(pa.large_string()), "") for part in parts]
        haystack = pc.utf8_lower(pc.binary_join_element_wise(*parts, pa.scalar(" ", pa.large_string())))
        return cls(
            events=events,
            haystack=haystack,
            countries=_by_frequency(events[Col.COUNTRIES]),
            actors=_by_frequency(events[Col.ACTORS]),
            datasets=tuple(sorted(events[Col.DATASET].dropna().unique())),
            type_counts={str(k): int(v) for k, v in events[Col.EVENT_TYPE].value_counts().items()},
            first_day=events[Col.DATE_START].min().date() if len(events) else None,
            last_day=events[Col.DATE_END].max().date() if len(events) else None,
            as_of=_as_of(events),
            ids=pd.Index(events[Col.EVENT_ID]),
        )


def _as_of(events: pd.DataFrame) -> date | None:
    if not len(events):
        return None
    known = events[Col.DATE_END].where(events[Col.DATE_PRECISION] == "day", events[Col.DATE_START])
    return known.max().date()


def _by_frequency(lists: pd.Series) -> tuple[str, ...]:
    flat = pc.list_flatten(as_arrow(lists))
    if len(flat) == 0:
        return ()
    counts = pc.value_counts(flat).to_pylist()
    counts.sort(key=lambda c: (-c["counts"], c["values"]))
    return tuple(c["values"] for c in counts)


def list_contains_any(lists: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    """Per row: does the list column share at least one value with `wanted`?"""
    arr = as_arrow(lists)
    flat = pc.list_flatten(arr)
    hit = np.zeros(len(lists), dtype=bool)
    if len(flat):
        matches = np.asarray(pc.is_in(flat, value_set=pa.array(wanted, pa.string())).fill_null(False))
        hit[np.asarray(pc.list_parent_indices(arr))[matches]] = True
    return hit


def mask(catalog: Catalog, f: Filters) -> np.ndarray:
    """Boolean mask of the events matching every active filter.

    Dates match by overlap: an event dated only to 'October' matches a filter on
    15-20 October, because it may have happened then (its bar shows how uncertain)."""
    df = catalog.events
    keep = np.ones(len(df), dtype=bool)
    if f.start is not None:
        keep &= (df[Col.DATE_END] >= pd.Timestamp(f.start)).to_numpy()
    if f.end is not None:
        keep &= (df[Col.DATE_START] <= pd.Timestamp(f.end)).to_numpy()
    for col, values in (
        (Col.EVENT_TYPE, f.types),
        (Col.CONFIDENCE, f.confidence),
        (Col.DATASET, f.datasets),
    ):
        if values:
            keep &= df[col].isin(values).to_numpy()
    if f.countries:
        keep &= list_contains_any(df[Col.COUNTRIES], f.countries)
    if f.actors:
        keep &= list_contains_any(df[Col.ACTORS], f.actors)
    if f.min_count is not None:
        keep &= (df[Col.COUNT] >= f.min_count).fillna(False).to_numpy(dtype=bool)
    words = f.text.lower().split()
    if words:
        # Search only the rows the other filters kept: text matching is the costly part.
        candidates = np.flatnonzero(keep)
        text = (
            catalog.haystack.take(pa.array(candidates)) if len(candidates) < len(keep) else catalog.haystack
        )
        hit = np.ones(len(candidates), dtype=bool)
        for word in words:
            hit &= np.asarray(pc.match_substring(text, word).fill_null(False))
        keep = np.zeros(len(keep), dtype=bool)
        keep[candidates[hit]] = True
    return keep


def apply(catalog: Catalog, f: Filters) -> pd.DataFrame:
    return catalog.events[mask(catalog, f)]


def relaxations(catalog: Catalog, f: Filters) -> list[tuple[str, int]]:
    """For an empty result: how many events each single filter, dropped, would bring back."""
    out = []
    for name in f.active():
        if name in ("start", "end"):
            relaxed = replace(f, start=None, end=None)
            name = "dates"
        else:
            relaxed = replace(f, **{name: type(getattr(f, name))() if name != "min_count" else None})
        n = int(mask(catalog, relaxed).sum())
        if n and (name, n) not in out:
            out.append((name, n))
    return sorted(out, key=lambda item: -item[1])


def preset_range(as_of: date | None, preset: str) -> tuple[date | None, date | None]:
    """The date range of a preset, counted back from the data's as-of date."""
    days = PRESETS[preset]
    if days is None or as_of is None:
        return None, None
    return as_of - timedelta(days=days - 1), as_of
