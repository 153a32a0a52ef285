"""A view's framing: the title, subtitle and footer around its chart on a slide, a page or
a deck, built here once for the chart exports (`downloads`) and the decks (`decks`).

The title comes from the filters (`view.title`), the subtitle is the finding in view
(`findings`), how the view counts (`view.counting`: incidents or every report) and the
filters the title does not name, the footer the sources in view and the data's as-of date
(`briefing.footer`). Whether a view is few events (read as rows) or many (counted in bins)
is the engine's decision (`Engine.timeline`); everything here follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from timeline import view
from timeline.domain.schema import Col
from timeline.engine import Engine, Match, TimelineData
from timeline.export import briefing, findings
from timeline.view import View


@dataclass(frozen=True)
class Texts:
    """The words around a chart, each editable by the briefer before export."""

    title: str
    subtitle: str
    footer: str


@dataclass(frozen=True)
class Seen:
    """What a view shows, from as few queries as the engine's answer allows: its timeline
    (rows when few, bins when many), its finding and its events per source outlet."""

    match: Match
    timeline: TimelineData
    finding: str
    outlets: pd.Series


def seen(engine: Engine, v: View, match: Match | None = None) -> Seen:
    """The view as the engine answers it: a view of few events is read once (its rows give
    the finding and the sources), a larger one asks the engine for each."""
    match = match or engine.match(v)
    data = engine.timeline(v, match)
    if data.events is None:
        return Seen(match, data, findings.for_view(engine, v, match, data), engine.outlets(v))
    return Seen(match, data, findings.for_view(engine, v, match, data), outlets_of(data.events))


def outlets_of(events: pd.DataFrame) -> pd.Series:
    """Events per source outlet, most first then by name: `Engine.outlets` of rows at hand."""
    counts = events.drop_duplicates(Col.EVENT_ID)[Col.SOURCE_OUTLET].value_counts()
    order = sorted(range(len(counts)), key=lambda i: (-counts.iloc[i], str(counts.index[i])))
    return counts.iloc[order].astype("int64")


def subtitle(v: View, finding: str, sources: int) -> str:
    """'188 drones on 25 Nov 2024 · incidents (each counted once) · confidence: confirmed'. How
    the view counts is said where it matters: the dataset has incidents, or several sources
    whose reports may repeat one another; one source's slide would only repeat 'every report'.
    Data files always say it."""
    matters = v.get(view.REPORTS_KEY) is not None or sources > 1
    return " · ".join([finding, *([view.counting(v)] if matters else []), *view.details(v)])


def texts(
    engine: Engine, v: View, shown: Seen, *, title: str | None = None, subtitle_text: str | None = None
) -> Texts:
    """The framing of `v`: a story step's or briefer's own title or subtitle where given."""
    summary = engine.summary
    return Texts(
        title=title or view.title(v, summary.first_day, summary.last_day),
        subtitle=subtitle_text
        if subtitle_text is not None
        else subtitle(v, shown.finding, len(summary.values(Col.DATASET))),
        footer=briefing.footer(shown.outlets, summary.as_of),
    )
