"""The kinds of filter a view can hold (`view.FILTERS` declares the dashboard's, in order):
each reads its URL parameters (warning about a bad value, never raising), compiles to an
Ibis predicate, writes itself back to parameters, and says in words what it keeps for a
chart's title. Datasette's filter classes are the model; the sidebar widget of each kind is
in `ui/widgets.py`."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

import ibis
import ibis.expr.types as ir

from timeline.domain.schema import SEARCH_COLUMN, Col, IncidentCol
from timeline.formatting import day_range

Params = Mapping[str, Sequence[str]]


MAX_VALUES = 100
"""Values read from one repeated parameter; the rest are ignored with one warning."""


MAX_QUERY_LENGTH = 200


WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")  # ASCII digits only: '²' passes str.isdigit, not int()


class Role(Enum):
    """Where a filter's words go in a generated title."""

    SUBJECT = "subject"  # 'Drone attacks' (replaces 'Conflict events')
    QUALIFIER = "qualifier"  # '... involving Ukraine'
    SPAN = "span"  # ', 1–30 Nov 2024'
    DETAIL = "detail"  # the subtitle: 'confidence: claimed'
    MODE = "mode"  # how the view counts: every export says it (`view.counting`), once


class Warnings:
    """Warnings about a link or flags: each distinct message once, with how often it came."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, message: str) -> None:
        self.counts[message] = self.counts.get(message, 0) + 1

    def lines(self) -> list[str]:
        return [m if n == 1 else f"{m} ({n:,} times)" for m, n in self.counts.items()]


@dataclass(frozen=True)
class Known:
    """What the data allows, for filters whose values come from it (actors, datasets)."""

    values: Mapping[str, Collection[str]] = field(default_factory=dict)
    has_event: Callable[[str], bool] | None = None
    has_story: Callable[[str], bool] | None = None


def single(params: Params, key: str, warnings: Warnings) -> str | None:
    values = [v for v in params.get(key, ()) if v.strip()]
    if len(values) > 1:
        warnings.add(f"{key} given {len(values)} times; using the first ({values[0][:80]!r})")
    return values[0].strip() if values else None


@dataclass(frozen=True)
class Filter:
    """Base of every filter. `name` is the URL key and, as `--name`, the export flag."""

    name: str
    label: str
    help: str
    example: str
    role: Role = Role.DETAIL

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def repeatable(self) -> bool:
        return False

    def parse(self, params: Params, known: Known, warnings: Warnings) -> Any:
        raise NotImplementedError

    def to_params(self, value: Any) -> dict[str, list[str]]:
        return {self.name: [str(value)]}

    def predicate(self, t: ir.Table, value: Any) -> ir.BooleanValue:
        raise NotImplementedError

    def describe(self, value: Any) -> str:
        """Words for a title or subtitle."""
        return f"{self.label.lower()}: {value}"


@dataclass(frozen=True)
class DateSpan:
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class DateRange(Filter):
    """Events whose interval overlaps [from, to]: an event dated only to 'October' matches a
    filter on 15-20 October, because it may have happened then (its bar shows how uncertain)."""

    role: Role = Role.SPAN

    @property
    def keys(self) -> tuple[str, ...]:
        return ("from", "to")

    def _date(self, params: Params, key: str, warnings: Warnings) -> date | None:
        value = single(params, key, warnings)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            warnings.add(f"{key}={value[:80]!r} is not a date (YYYY-MM-DD); ignored")
            return None

    def parse(self, params: Params, known: Known, warnings: Warnings) -> DateSpan | None:
        start, end = self._date(params, "from", warnings), self._date(params, "to", warnings)
        if start and end and start > end:
            warnings.add(f"from={start} is after to={end}; both ignored")
            return None
        return DateSpan(start, end) if start or end else None

    def to_params(self, value: DateSpan) -> dict[str, list[str]]:
        out = {}
        if value.start:
            out["from"] = [value.start.isoformat()]
        if value.end:
            out["to"] = [value.end.isoformat()]
        return out

    def predicate(self, t: ir.Table, value: DateSpan) -> ir.BooleanValue:
        test = ibis.literal(True)
        if value.start is not None:
            test &= t[Col.DATE_END] >= value.start
        if value.end is not None:
            test &= t[Col.DATE_START] <= value.end
        return test

    def describe(self, value: DateSpan) -> str:
        return day_range(value.start, value.end) if value.start and value.end else ""


@dataclass(frozen=True)
class AnyOf(Filter):
    """Events whose `column` is one of the chosen values (or, for a list column such as
    countries, shares at least one with them)."""

    column: Col = Col.EVENT_TYPE
    choices: tuple[str, ...] | None = None
    """Allowed values in display order; None means the data's own (`Known.values[name]`)."""
    what: str = "a known value"
    normalise: Callable[[str], str] = str
    commas: bool = True
    """Accept 'a,b' as two values (not for free text such as actor names)."""
    list_column: bool = False
    words: Callable[[tuple[str, ...]], str] | None = None
    group_of: Callable[[str], str] | None = None
    """Shown as one set of choices per group (event types by group)."""

    @property
    def repeatable(self) -> bool:
        return True

    @property
    def ordered_choices(self) -> tuple[str, ...]:
        return self.choices or ()

    def parse(self, params: Params, known: Known, warnings: Warnings) -> tuple[str, ...] | None:
        allowed = self.choices if self.choices is not None else known.values.get(self.name)
        kept: list[str] = []
        raw_values = list(params.get(self.name, ()))
        for raw in raw_values:
            for value in (v.strip() for v in raw.split(",")) if self.commas else [raw.strip()]:
                if not value:
                    continue
                if len(kept) >= MAX_VALUES:
                    warnings.add(f"{self.name} given more than {MAX_VALUES} values; the rest are ignored")
                    break
                value = self.normalise(value)
                if allowed is not None and value not in allowed:
                    warnings.add(f"{self.name}={value[:80]!r} is not {self.what}; ignored")
                elif value not in kept:
                    kept.append(value)
        return tuple(kept) or None

    def to_params(self, value: tuple[str, ...]) -> dict[str, list[str]]:
        return {self.name: list(value)}

    def predicate(self, t: ir.Table, value: tuple[str, ...]) -> ir.BooleanValue:
        if self.list_column:
            wanted = ibis.literal(list(value), type="array<string>")
            return t[self.column].intersect(wanted).length() > 0
        return t[self.column].isin(list(value))

    def describe(self, value: tuple[str, ...]) -> str:
        if self.words is not None:
            return self.words(value)
        shown = ", ".join(value[:4]) + (" …" if len(value) > 4 else "")
        return f"{self.label.lower()}: {shown}"


@dataclass(frozen=True)
class TextWords(Filter):
    """Events whose title, summary, place or actors contain every word (any case).

    The rule (the query's `words`, each a substring of the engine's lower-cased search text,
    every one of them) is repeated in the browser by `ui/components/early_view.js`, which
    draws a search at Enter on a small dataset before the server's rerun; tests/test_early_view.py
    and tests/e2e/test_early_view.py hold the two to the same events."""

    def parse(self, params: Params, known: Known, warnings: Warnings) -> str | None:
        text = single(params, self.name, warnings)
        if text and len(text) > MAX_QUERY_LENGTH:
            warnings.add(f"{self.name} is longer than {MAX_QUERY_LENGTH} characters; shortened")
            text = text[:MAX_QUERY_LENGTH].strip()
        return text or None

    def predicate(self, t: ir.Table, value: str) -> ir.BooleanValue:
        test = ibis.literal(True)
        for word in words(value):
            test &= t[SEARCH_COLUMN].contains(word)
        return test

    def describe(self, value: str) -> str:
        return f'matching "{value}"'


def words(text: str) -> list[str]:
    """The lower-cased words a text search looks for (`early_view.js` splits alike, and leaves
    to the server a query JS might lower-case or split otherwise, e.g. 'İ', 'Σ', 'ẞ')."""
    return list(dict.fromkeys(text.lower().split()))


@dataclass(frozen=True)
class Minimum(Filter):
    """Events whose `column` is at least the value; a missing figure never passes."""

    column: Col = Col.COUNT

    def parse(self, params: Params, known: Known, warnings: Warnings) -> int | None:
        raw = single(params, self.name, warnings)
        if raw is None:
            return None
        if not WHOLE_NUMBER.fullmatch(raw):
            warnings.add(f"{self.name}={raw[:80]!r} is not a whole number >= 0; ignored")
            return None
        return int(raw)

    def predicate(self, t: ir.Table, value: int) -> ir.BooleanValue:
        return t[self.column] >= value

    def describe(self, value: int) -> str:
        return f"count ≥ {value:,}"


INCIDENTS, ALL_REPORTS = "incidents", "all"
COUNTING = {INCIDENTS: "incidents (each counted once)", ALL_REPORTS: "every report"}
"""How a view counts, in the words every export states (`view.counting`)."""


@dataclass(frozen=True)
class Reports(Filter):
    """Incident mode: each incident once, as its highest-precedence report (`incidents`), or
    every report (`all`). The default is incidents whenever the dataset's stored incidents are
    up to date (`Known.values[name]` holds INCIDENTS), else every report."""

    choices: tuple[tuple[str, str], ...] = ((INCIDENTS, "Incidents"), (ALL_REPORTS, "Every report"))
    role: Role = Role.MODE

    def parse(self, params: Params, known: Known, warnings: Warnings) -> str | None:
        available = INCIDENTS in known.values.get(self.name, ())
        value = single(params, self.name, warnings)
        if value is not None and value.lower() not in dict(self.choices):
            warnings.add(f"{self.name}={value[:80]!r} is not one of {', '.join(dict(self.choices))}; ignored")
            value = None
        value = value.lower() if value else None
        if value == INCIDENTS and not available:
            warnings.add(
                f"{self.name}={INCIDENTS}: this dataset has no up-to-date incidents (run `timeline match`); "
                "showing every report"
            )
            return None
        if not available:
            return None
        return value or INCIDENTS

    def predicate(self, t: ir.Table, value: str) -> ir.BooleanValue:
        return t[IncidentCol.PRIMARY] if value == INCIDENTS else ibis.literal(True)

    def describe(self, value: str) -> str:
        return COUNTING[value]


@dataclass(frozen=True)
class Sources(Minimum):
    """Incidents (or reports of incidents) reported by at least N sources (datasets)."""

    column: Col = IncidentCol.SOURCES  # type: ignore[assignment]

    def describe(self, value: int) -> str:
        return f"reported by at least {value:,} source{'s' if value != 1 else ''}"


@dataclass(frozen=True)
class OnlyBy(AnyOf):
    """Incidents that only these datasets reported (each alone: one source, one of these)."""

    def predicate(self, t: ir.Table, value: tuple[str, ...]) -> ir.BooleanValue:
        return t[IncidentCol.ONLY].isin(list(value))

    def describe(self, value: tuple[str, ...]) -> str:
        return "reported only by " + " or ".join(value[:4]) + (" …" if len(value) > 4 else "")
