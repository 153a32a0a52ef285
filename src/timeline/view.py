"""One definition of a view: every filter and chart option of the dashboard, declared once.

A `Filter` carries its URL key (which is also its `timeline export` flag), its sidebar label,
how to read a value and what to say about a bad one, the predicate it compiles to, and the
words it adds to a generated chart title. URL parsing and writing, the sidebar's widget keys,
the export command's flags, titles and subtitles, the "without this filter" hints and the
README's parameter table are all derived from `FILTERS` and `OPTIONS` (Datasette's
`Filters` is the model). A new filter is one entry here; a new kind of filter is a class in
`filters.py` (where `DateRange`, `AnyOf`, ... live, named here too) and its widget in
`ui/widgets.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import ibis.expr.types as ir

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.domain.validation import ISO3
from timeline.filters import (
    ALL_REPORTS as ALL_REPORTS,  # the kinds' names, as view's API had them
    COUNTING as COUNTING,
    INCIDENTS as INCIDENTS,
    MAX_QUERY_LENGTH as MAX_QUERY_LENGTH,
    MAX_VALUES as MAX_VALUES,
    WHOLE_NUMBER,
    AnyOf,
    DateRange,
    DateSpan,
    Filter,
    Known,
    Minimum,
    OnlyBy,
    Params,
    Reports,
    Role,
    Sources,
    TextWords,
    Warnings,
    single,
    words as words,
)
from timeline.formatting import country_name, day_range

EVENT_KEY = "event"
MAX_SELECTED = 50
"""Events a link may select (`event=` repeated); a box over a busy chart can pick hundreds."""
STORY_KEY, STEP_KEY = "story", "step"
"""Page parameters of a story (`timeline.stories`): its name and the step shown (from 1)."""
STORY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


REPORTS_KEY = "reports"


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
        value = single(params, self.name, warnings)
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
    story = single(params, STORY_KEY, warnings)
    raw_step = single(params, STEP_KEY, warnings)
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
