"""One definition of a view: every filter and chart option of the dashboard, declared once.

A `Filter` carries its URL key (which is also its `timeline export` flag), its sidebar label,
how to read a value and what to say about a bad one, the predicate it compiles to, and the
words it adds to a generated chart title. URL parsing and writing, the sidebar's widget keys,
the export command's flags, titles and subtitles, the "without this filter" hints and the
README's parameter table are all derived from `FILTERS` and `OPTIONS` (Datasette's
`Filters` is the model). A new filter is one entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from typing import Any

import ibis
import ibis.expr.types as ir

from timeline.domain import taxonomy
from timeline.domain.schema import SEARCH_COLUMN, Col, IncidentCol
from timeline.domain.validation import ISO3
from timeline.formatting import country_name, day_range

Params = Mapping[str, Sequence[str]]
MAX_VALUES = 100
"""Values read from one repeated parameter; the rest are ignored with one warning."""
MAX_QUERY_LENGTH = 200
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")  # ASCII digits only: '²' passes str.isdigit, not int()
EVENT_KEY = "event"
MAX_SELECTED = 50
"""Events a link may select (`event=` repeated); a box over a busy chart can pick hundreds."""
STORY_KEY, STEP_KEY = "story", "step"
"""Page parameters of a story (`timeline.stories`): its name and the step shown (from 1)."""
STORY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Role(Enum):
    """Where a filter's words go in a generated title."""

    SUBJECT = "subject"  # 'Drone attacks' (replaces 'Conflict events')
    QUALIFIER = "qualifier"  # '... involving Ukraine'
    SPAN = "span"  # ', 1–30 Nov 2024'
    DETAIL = "detail"  # the subtitle: 'confidence: claimed'
    MODE = "mode"  # how the view counts: every export says it (`counting`), once


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


def _single(params: Params, key: str, warnings: Warnings) -> str | None:
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
        value = _single(params, key, warnings)
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
    """Events whose title, summary, place or actors contain every word (any case)."""

    def parse(self, params: Params, known: Known, warnings: Warnings) -> str | None:
        text = _single(params, self.name, warnings)
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
    """The lower-cased words a text search looks for."""
    return list(dict.fromkeys(text.lower().split()))


@dataclass(frozen=True)
class Minimum(Filter):
    """Events whose `column` is at least the value; a missing figure never passes."""

    column: Col = Col.COUNT

    def parse(self, params: Params, known: Known, warnings: Warnings) -> int | None:
        raw = _single(params, self.name, warnings)
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
"""How a view counts, in the words every export states (`counting`)."""
REPORTS_KEY = "reports"


@dataclass(frozen=True)
class Reports(Filter):
    """Incident mode: each incident once, as its highest-precedence report (`incidents`), or
    every report (`all`). The default is incidents whenever the dataset's stored incidents are
    up to date (`Known.values[name]` holds INCIDENTS), else every report."""

    choices: tuple[tuple[str, str], ...] = ((INCIDENTS, "Incidents"), (ALL_REPORTS, "Every report"))
    role: Role = Role.MODE

    def parse(self, params: Params, known: Known, warnings: Warnings) -> str | None:
        available = INCIDENTS in known.values.get(self.name, ())
        value = _single(params, self.name, warnings)
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


def _plural(label: str) -> str:
    if label.endswith("y") and not label.endswith("ay"):
        return label[:-1] + "ies"
    return label if label.endswith("s") else label + "s"


def subject(types: tuple[str, ...]) -> str:
    """'Drone attacks and missile strikes', or a group's name when all its types are chosen."""
    for group in taxonomy.GROUPS:
        members = taxonomy.types_in_group(group.key)
        if len(types) > 1 and set(types) == set(members):
            return group.label
    labels = [_plural(taxonomy.LABELS[t]) for t in types]
    labels = [labels[0]] + [label.lower() for label in labels[1:]]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _involving(codes: tuple[str, ...]) -> str:
    names = [country_name(c).rsplit(" (", 1)[0] for c in codes[:3]]
    text = " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
    return "involving " + text + (" and others" if len(codes) > 3 else "")


FILTERS: tuple[Filter, ...] = (
    DateRange(
        "dates",
        "Dates",
        "date range, YYYY-MM-DD (events overlapping it match)",
        "from=2024-11-01&to=2024-11-30",
    ),
    AnyOf(
        "type",
        "Event types",
        "event type, repeatable",
        "type=drone_attack&type=missile_strike",
        role=Role.SUBJECT,
        column=Col.EVENT_TYPE,
        choices=taxonomy.EVENT_TYPE_KEYS,
        what="a known event type",
        normalise=str.lower,
        words=subject,
        group_of=taxonomy.group_of,
    ),
    AnyOf(
        "country",
        "Countries",
        "ISO 3166 alpha-3, repeatable",
        "country=UKR",
        role=Role.QUALIFIER,
        column=Col.COUNTRIES,
        choices=tuple(sorted(ISO3)),
        what="an ISO 3166 alpha-3 code",
        normalise=str.upper,
        list_column=True,
        words=_involving,
    ),
    AnyOf(
        "actor",
        "Actors",
        "actor, repeatable",
        "actor=Ukrainian%20Air%20Force",
        column=Col.ACTORS,
        what="an actor in this dataset",
        commas=False,
        list_column=True,
    ),
    TextWords("q", "Search", "text search (all words must appear)", "q=Shahed"),
    AnyOf(
        "confidence",
        "Confidence",
        "`confirmed`, `reported`, `claimed`; repeatable",
        "confidence=confirmed",
        column=Col.CONFIDENCE,
        choices=taxonomy.CONFIDENCES,
        what="a confidence level",
        normalise=str.lower,
    ),
    Minimum("min_count", "Minimum count", "minimum headline count", "min_count=100"),
    AnyOf(
        "dataset",
        "Datasets",
        "origin label (`curated`, `acled`, ...), repeatable",
        "dataset=curated",
        column=Col.DATASET,
        what="a dataset in this file",
        normalise=str.lower,
    ),
    Reports(
        REPORTS_KEY,
        "Reports",
        "`incidents` (each incident once; the default when `timeline match` is up to date) or `all`",
        "reports=all",
    ),
    Sources("sources", "Reported by at least", "incidents reported by at least N sources", "sources=2"),
    OnlyBy(
        "only",
        "Reported only by",
        "incidents only this dataset reported, repeatable",
        "only=curated",
        column=Col.DATASET,
        what="a dataset in this file",
        normalise=str.lower,
    ),
)


@dataclass(frozen=True)
class Choice:
    """A chart option: one of a few values, with a default that links leave out."""

    name: str
    label: str
    choices: Mapping[str, str]
    """value -> label, in display order."""
    default: str
    help: str
    example: str

    def parse(self, params: Params, warnings: Warnings) -> str:
        value = _single(params, self.name, warnings)
        if value is None:
            return self.default
        if value not in self.choices:
            warnings.add(
                f"{self.name}={value[:80]!r} is not one of {', '.join(self.choices)}; using {self.default}"
            )
            return self.default
        return value


OPTIONS: tuple[Choice, ...] = (
    Choice(
        "lanes",
        "Lanes",
        {"type": "Type", "country": "Country", "actor": "Actor"},
        "type",
        "timeline lanes: `type`, `country` or `actor`",
        "lanes=country",
    ),
    Choice(
        "per",
        "Per",
        {"day": "Per day", "week": "Per week"},
        "day",
        "counts chart: `day` or `week`",
        "per=week",
    ),
    Choice(
        "strikes",
        "Count",
        {"all": "All strikes", "drones": "Drones", "missiles": "Missiles", "side": "By side"},
        "all",
        "counts chart: `all`, `drones`, `missiles`, or `side` (coloured by launching side)",
        "strikes=drones",
    ),
)


def filter_named(name: str) -> Filter:
    return next(f for f in FILTERS if f.name == name)


def option_named(name: str) -> Choice:
    return next(o for o in OPTIONS if o.name == name)


@dataclass(frozen=True)
class View:
    """What the analyst looks at: the active filters' values (in registry order) and the
    chart options. Hashable, so it can key a cache."""

    values: tuple[tuple[str, Any], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    events: tuple[str, ...] = ()
    """The selected events (their cards open; every chart highlights them)."""
    story: str | None = None
    step: int | None = None
    """A story being told (its file name under data/stories/) and its step, from 1."""

    @classmethod
    def of(cls, event: str | None = None, **settings: Any) -> View:
        """View.of(type=("drone_attack",), dates=DateSpan(...), lanes="country")."""
        view = cls(events=(event,) if event else ())
        for name, value in settings.items():
            if any(o.name == name for o in OPTIONS):
                view = view.with_option(name, value)
            else:
                view = view.with_filter(name, value)
        return view

    @property
    def event(self) -> str | None:
        """The first selected event (a view opened on one card)."""
        return self.events[0] if self.events else None

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.values).get(name, default)

    def option(self, name: str) -> str:
        return dict(self.options).get(name, option_named(name).default)

    def with_filter(self, name: str, value: Any) -> View:
        """This view with filter `name` set to `value` (None or empty removes it)."""
        current = dict(self.values)
        current.pop(name, None)
        if value not in (None, (), "", DateSpan()):
            current[name] = value
        order = [f.name for f in FILTERS]
        values = tuple(sorted(current.items(), key=lambda item: order.index(item[0])))
        return replace(self, values=values)

    def with_option(self, name: str, value: str) -> View:
        option = option_named(name)
        current = {k: v for k, v in self.options if k != name}
        if value != option.default:
            current[name] = value
        order = [o.name for o in OPTIONS]
        return replace(self, options=tuple(sorted(current.items(), key=lambda i: order.index(i[0]))))

    def without(self, name: str) -> View:
        return self.with_filter(name, None)

    @property
    def active(self) -> list[Filter]:
        return [filter_named(name) for name, _ in self.values]

    @property
    def span(self) -> DateSpan:
        return self.get("dates") or DateSpan()

    @property
    def lanes(self) -> str:
        return self.option("lanes")

    @property
    def per(self) -> str:
        return self.option("per")

    @property
    def strikes(self) -> str:
        return self.option("strikes")

    def filters_only(self) -> View:
        """The same filters, default options, no card: what decides which events match."""
        return View(values=self.values)

    def without_story(self) -> View:
        return replace(self, story=None, step=None)


def predicates(t: ir.Table, view: View) -> list[ir.BooleanValue]:
    return [f.predicate(t, value) for f, (_, value) in zip(view.active, view.values, strict=True)]


# --- URL ------------------------------------------------------------------------------------


def parse(params: Params, known: Known | None = None) -> tuple[View, list[str]]:
    """URL parameters (each a list, as repeated keys give) -> (View, warnings). Never raises:
    a bad value is dropped and named in a warning, and the rest of the view still applies."""
    known = known or Known()
    warnings = Warnings()
    view = View()
    for f in FILTERS:
        view = view.with_filter(f.name, f.parse(params, known, warnings))
    for option in OPTIONS:
        view = view.with_option(option.name, option.parse(params, warnings))
    events = _events(params, known, warnings)
    story, step = _story(params, known, warnings)
    return replace(view, events=events, story=story, step=step), warnings.lines()


def _events(params: Params, known: Known, warnings: Warnings) -> tuple[str, ...]:
    """The `event` parameter, repeated for a selection of several: each one checked, at most
    `MAX_SELECTED` kept."""
    wanted = list(dict.fromkeys(v.strip() for v in params.get(EVENT_KEY, ()) if v.strip()))
    if len(wanted) > MAX_SELECTED:
        warnings.add(f"{EVENT_KEY} given {len(wanted)} times; the first {MAX_SELECTED} are kept")
        wanted = wanted[:MAX_SELECTED]
    events = []
    for event in wanted:
        if known.has_event is not None and not known.has_event(event):
            warnings.add(f"{EVENT_KEY}={event[:80]!r} is not in this dataset; ignored")
        else:
            events.append(event)
    return tuple(events)


def _story(params: Params, known: Known, warnings: Warnings) -> tuple[str | None, int | None]:
    """The `story` and `step` page parameters: a story's name and a step number from 1."""
    story = _single(params, STORY_KEY, warnings)
    raw_step = _single(params, STEP_KEY, warnings)
    if story is not None and not STORY_NAME.fullmatch(story):
        warnings.add(f"{STORY_KEY}={story[:80]!r} is not a story name (a-z, 0-9, '-', '_'); ignored")
        story = None
    elif story is not None and known.has_story is not None and not known.has_story(story):
        warnings.add(f"{STORY_KEY}={story[:80]!r} is not a story in data/stories; ignored")
        story = None
    step = None
    if raw_step is not None:
        if not WHOLE_NUMBER.fullmatch(raw_step) or int(raw_step) < 1:
            warnings.add(f"{STEP_KEY}={raw_step[:80]!r} is not a step number (1, 2, ...); ignored")
        elif story is None:
            warnings.add(f"{STEP_KEY}={raw_step[:80]!r} without a story; ignored")
        else:
            step = int(raw_step)
    if story is not None and step is None:
        step = 1
    return story, step


def to_params(view: View) -> dict[str, list[str]]:
    """View -> URL parameters in registry order; defaults left out so links stay short."""
    params: dict[str, list[str]] = {}
    for f, (_, value) in zip(view.active, view.values, strict=True):
        params.update(f.to_params(value))
    for name, value in view.options:
        params[name] = [value]
    if view.events:
        params[EVENT_KEY] = list(view.events)
    if view.story:
        params[STORY_KEY] = [view.story]
        params[STEP_KEY] = [str(view.step or 1)]
    return params


def url_keys() -> list[str]:
    """Every URL parameter a view uses, in order."""
    return [k for f in FILTERS for k in f.keys] + [o.name for o in OPTIONS] + [EVENT_KEY, STORY_KEY, STEP_KEY]


# --- words ----------------------------------------------------------------------------------


def title(view: View, first: date | None, last: date | None) -> str:
    """E.g. 'Drone attacks and missile strikes involving Ukraine, 1–30 Nov 2024'."""
    head, qualifiers, span = "Conflict events", [], ""
    for f, (_, value) in zip(view.active, view.values, strict=True):
        if f.role is Role.SUBJECT:
            head = f.describe(value)
        elif f.role is Role.QUALIFIER:
            qualifiers.append(f.describe(value))
    dates = view.span
    span = day_range(dates.start or first, dates.end or last)
    text = " ".join([head, *qualifiers])
    return f"{text}, {span}" if span else text


def counting(view: View) -> str:
    """'incidents (each counted once)' or 'every report': what the view's numbers count. A
    dataset without up-to-date incidents counts every report (the `reports` filter is off)."""
    return COUNTING[view.get(REPORTS_KEY) or ALL_REPORTS]


def details(view: View) -> list[str]:
    """The subtitle's words for the filters a title does not name: 'confidence: claimed'."""
    return [
        f.describe(value)
        for f, (_, value) in zip(view.active, view.values, strict=True)
        if f.role is Role.DETAIL
    ]


def docs_table() -> str:
    """The README's table of URL parameters, generated from the registry."""
    rows = ["| parameter | meaning | example |", "|---|---|---|"]
    for f in FILTERS:
        keys = ", ".join(f"`{k}`" for k in f.keys)
        rows.append(f"| {keys} | {f.help} | `{f.example}` |")
    for option in OPTIONS:
        rows.append(f"| `{option.name}` | {option.help} | `{option.example}` |")
    rows.append(
        f"| `{EVENT_KEY}` | an event_id whose card opens, repeatable (a selection) | "
        "`event=2024-11-25-ru-drone-attack-ua` |"
    )
    rows.append(f"| `{STORY_KEY}` | a story under `data/stories/` (docs/stories.md) | `story=seed-article` |")
    rows.append(
        f"| `{STEP_KEY}` | the story's step, from 1 (the view comes from the step) | `story=seed-article&step=3` |"
    )
    return "\n".join(rows)
