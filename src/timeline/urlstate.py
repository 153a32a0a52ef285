"""The shareable view: URL query parameters <-> filters and view settings.

The parameter names are a public interface (bookmarks and shared links depend on them):
`from`, `to`, `type`, `country`, `actor`, `q`, `confidence`, `min_count`, `lanes`, `event`,
plus `dataset`, `per` (day|week) and `strikes` (all|drones|missiles) for the counts chart. `parse` never raises: a bad value is dropped and named in a
warning, and the rest of the view still applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from timeline import taxonomy
from timeline.filters import MAX_QUERY_LENGTH, Catalog, Filters
from timeline.validation import ISO3

LANES = ("type", "country", "actor")
PER = ("day", "week")
STRIKES = ("all", "drones", "missiles")

P_FROM, P_TO, P_TYPE, P_COUNTRY, P_ACTOR = "from", "to", "type", "country", "actor"
P_Q, P_CONFIDENCE, P_MIN_COUNT, P_LANES, P_EVENT = "q", "confidence", "min_count", "lanes", "event"
P_DATASET, P_PER, P_STRIKES = "dataset", "per", "strikes"


@dataclass(frozen=True)
class View:
    filters: Filters = field(default_factory=Filters)
    lanes: str = "type"
    event: str | None = None
    per: str = "day"
    strikes: str = "all"


def _single(params: Mapping[str, Sequence[str]], name: str, warnings: list[str]) -> str | None:
    values = [v for v in params.get(name, ()) if v.strip()]
    if len(values) > 1:
        warnings.append(f"{name} given {len(values)} times; using the first ({values[0]!r})")
    return values[0].strip() if values else None


def _date(params: Mapping[str, Sequence[str]], name: str, warnings: list[str]) -> date | None:
    value = _single(params, name, warnings)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        warnings.append(f"{name}={value!r} is not a date (YYYY-MM-DD); ignored")
        return None


def _many(
    params: Mapping[str, Sequence[str]],
    name: str,
    normalise: Callable[[str], str],
    valid: Callable[[str], bool],
    what: str,
    warnings: list[str],
) -> tuple[str, ...]:
    kept: list[str] = []
    for raw in params.get(name, ()):
        for value in (v.strip() for v in raw.split(",")) if name != P_ACTOR else [raw.strip()]:
            if not value:
                continue
            value = normalise(value)
            if not valid(value):
                warnings.append(f"{name}={value!r} is not {what}; ignored")
            elif value not in kept:
                kept.append(value)
    return tuple(kept)


def parse(params: Mapping[str, Sequence[str]], catalog: Catalog | None = None) -> tuple[View, list[str]]:
    """URL parameters (each a list, as repeated keys give) -> (View, warnings)."""
    warnings: list[str] = []
    start, end = _date(params, P_FROM, warnings), _date(params, P_TO, warnings)
    if start and end and start > end:
        warnings.append(f"from={start} is after to={end}; both ignored")
        start = end = None

    actors_known = set(catalog.actors) if catalog else None
    types = _many(
        params, P_TYPE, str.lower, taxonomy.TYPES_BY_KEY.__contains__, "a known event type", warnings
    )
    countries = _many(params, P_COUNTRY, str.upper, ISO3.__contains__, "an ISO 3166 alpha-3 code", warnings)
    actors = _many(
        params,
        P_ACTOR,
        str,
        lambda a: actors_known is None or a in actors_known,
        "an actor in this dataset",
        warnings,
    )
    confidence = _many(
        params, P_CONFIDENCE, str.lower, taxonomy.CONFIDENCES.__contains__, "a confidence level", warnings
    )
    datasets_known = set(catalog.datasets) if catalog else None
    datasets = _many(
        params,
        P_DATASET,
        str.lower,
        lambda d: datasets_known is None or d in datasets_known,
        "a dataset in this file",
        warnings,
    )

    text = _single(params, P_Q, warnings) or ""
    if len(text) > MAX_QUERY_LENGTH:
        warnings.append(f"q is longer than {MAX_QUERY_LENGTH} characters; shortened")
        text = text[:MAX_QUERY_LENGTH]

    min_count = None
    raw_min = _single(params, P_MIN_COUNT, warnings)
    if raw_min is not None:
        if raw_min.isdigit():
            min_count = int(raw_min)
        else:
            warnings.append(f"min_count={raw_min!r} is not a whole number >= 0; ignored")

    lanes = _single(params, P_LANES, warnings) or "type"
    if lanes not in LANES:
        warnings.append(f"lanes={lanes!r} is not one of {', '.join(LANES)}; showing lanes by type")
        lanes = "type"
    per = _single(params, P_PER, warnings) or "day"
    if per not in PER:
        warnings.append(f"per={per!r} is not one of {', '.join(PER)}; counting per day")
        per = "day"

    strikes = _single(params, P_STRIKES, warnings) or "all"
    if strikes not in STRIKES:
        warnings.append(f"strikes={strikes!r} is not one of {', '.join(STRIKES)}; counting all strikes")
        strikes = "all"

    event = _single(params, P_EVENT, warnings)
    if event is not None and catalog is not None and event not in catalog.ids:
        warnings.append(f"event={event!r} is not in this dataset; ignored")
        event = None

    filters = Filters(
        start=start,
        end=end,
        types=types,
        countries=countries,
        actors=actors,
        text=text,
        confidence=confidence,
        min_count=min_count,
        datasets=datasets,
    )
    return View(filters=filters, lanes=lanes, event=event, per=per, strikes=strikes), warnings


def to_params(view: View) -> dict[str, list[str]]:
    """View -> URL parameters; defaults are left out so links stay short."""
    f = view.filters
    params: dict[str, list[str]] = {
        P_FROM: [f.start.isoformat()] if f.start else [],
        P_TO: [f.end.isoformat()] if f.end else [],
        P_TYPE: list(f.types),
        P_COUNTRY: list(f.countries),
        P_ACTOR: list(f.actors),
        P_Q: [f.text] if f.text else [],
        P_CONFIDENCE: list(f.confidence),
        P_MIN_COUNT: [str(f.min_count)] if f.min_count is not None else [],
        P_DATASET: list(f.datasets),
        P_LANES: [view.lanes] if view.lanes != "type" else [],
        P_PER: [view.per] if view.per != "day" else [],
        P_STRIKES: [view.strikes] if view.strikes != "all" else [],
        P_EVENT: [view.event] if view.event else [],
    }
    return {k: v for k, v in params.items() if v}
