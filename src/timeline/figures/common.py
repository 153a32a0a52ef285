"""What every chart shares: limits, the column-light view, hover text, marker sizes and
labels, the date axis and time bins."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pycountry

from timeline import taxonomy
from timeline.formatting import format_count, format_dates
from timeline.schema import Col

MAX_EVENTS = 3000
"""Above this many events in view, the timeline and map draw aggregates, not events."""
MAX_LANES = 30
MAX_BARS = 200
"""More bins than this in the counts chart draw as stacked areas, not bars."""
LABELLED_PER_UNIT = 5
"""The largest counts of each unit in view get a number label next to their mark."""
DAY_MS = 86_400_000
NEUTRAL = "#5b7083"
INTERCEPTED_COLOUR = "#6b7785"  # mid grey: reads on light and dark backgrounds
BORDER_COLOUR = "#9aa0a6"
UNCERTAIN_PATTERN = "/"
HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}"
    "<br><i>Source: %{customdata[4]}</i><extra>%{customdata[5]}</extra>"
)


AGGREGATE_COLUMNS = [
    Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.COUNTRIES,
    Col.ACTORS, Col.COUNT, Col.COUNT_UNIT, Col.INTERCEPTED, Col.LATITUDE, Col.LONGITUDE, Col.DATASET,
]  # fmt: skip
"""What the charts need when they aggregate (no titles, summaries or sources)."""


def in_view(events: pd.DataFrame, keep: np.ndarray, max_events: int = MAX_EVENTS) -> pd.DataFrame:
    """The matching events for the charts: every column when they will be drawn one by one,
    only `AGGREGATE_COLUMNS` when they will be counted (copying text columns is the slow part)."""
    if int(keep.sum()) <= max_events:
        return events[keep]
    if keep.all():
        return events[AGGREGATE_COLUMNS]  # no row copy at all
    return events.loc[keep, AGGREGATE_COLUMNS]


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", code) if country else code
    return f"{name} ({code})"


def hover_data(df: pd.DataFrame) -> np.ndarray:
    """customdata columns: event_id, title, dates as reported, counts, source, type label."""
    rows = []
    for r in df[
        [
            Col.EVENT_ID,
            Col.TITLE,
            Col.DATE_START,
            Col.DATE_END,
            Col.DATE_PRECISION,
            Col.DATE_TEXT,
            Col.COUNT,
            Col.COUNT_UNIT,
            Col.INTERCEPTED,
            Col.SOURCE_OUTLET,
            Col.EVENT_TYPE,
        ]
    ].itertuples(index=False):
        text = None if pd.isna(r[5]) else str(r[5])
        rows.append(
            (
                r[0],
                escape_text(str(r[1])),
                escape_text(format_dates(r[2].date(), r[3].date(), r[4], text)),
                escape_text(format_count(r[6], r[7], r[8])) or "no count reported",
                escape_text(str(r[9])),
                taxonomy.LABELS.get(r[10], r[10]),
            )
        )
    return np.array(rows, dtype=object).reshape(len(rows), 6)


def escape_text(text: str) -> str:
    """Plotly hover and axis text accept a few HTML tags; event text must stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def marker_sizes(df: pd.DataFrame, smallest: float = 8, largest: float = 30) -> np.ndarray:
    """Area grows with count, relative to the largest count of the same unit in view
    (188 drones and 11,000 troops are not on one scale)."""
    counts = df[Col.COUNT].astype("float64")
    peak = counts.groupby(df[Col.COUNT_UNIT]).transform("max")
    ratio = (counts / peak).fillna(0).clip(0, 1).to_numpy()
    return smallest + (largest - smallest) * np.sqrt(ratio)


def count_labels(df: pd.DataFrame) -> np.ndarray:
    """'188' next to the largest few counts of each unit (drones, troops, ...). Events are
    ranked once, so an event drawn in several lanes (country or actor lanes) carries its
    label in each of them."""
    labels = np.full(len(df), "", dtype=object)
    counted = df[df[Col.COUNT].notna()].drop_duplicates(Col.EVENT_ID)
    if len(counted):
        rank = counted.groupby(Col.COUNT_UNIT)[Col.COUNT].rank(method="first", ascending=False)
        top = counted[rank <= LABELLED_PER_UNIT]
        labelled = df[Col.EVENT_ID].isin(top[Col.EVENT_ID]).to_numpy() & df[Col.COUNT].notna().to_numpy()
        labels[labelled] = [f"{int(c):,}" for c in df.loc[labelled, Col.COUNT]]
    return labels


def event_markers(
    etype: taxonomy.EventType,
    x: np.ndarray,
    y: np.ndarray,
    sizes: np.ndarray,
    custom: np.ndarray,
    labels: np.ndarray | None = None,
) -> go.Scatter:
    """One event type's markers, in its colour, with the shared hover text; `labels`
    (counts) are written above the markers."""
    return go.Scatter(
        x=x,
        y=y,
        mode="markers+text" if labels is not None else "markers",
        marker={
            "color": etype.colour,
            "size": sizes,
            "line": {"width": 1, "color": "rgba(255,255,255,0.8)"},
            "opacity": 0.9,
        },
        text=labels,
        textposition="top center",
        textfont={"size": 11},
        customdata=custom,
        hovertemplate=HOVER,
        name=etype.label,
        legendgroup=etype.key,
    )


def is_point(df: pd.DataFrame) -> pd.Series:
    """Drawn as a point: known to the day and one day long."""
    return (df[Col.DATE_PRECISION] == "day") & (df[Col.DATE_START] == df[Col.DATE_END])


def base_layout(fig: go.Figure, height: int) -> None:
    """Legend along the bottom edge, so the zoom buttons at the top right never cover it."""
    fig.update_layout(
        height=height + 60,
        margin={"l": 10, "r": 10, "t": 40, "b": 110},
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0, "title": None},
        hovermode="closest",
        dragmode="zoom",
    )


Window = tuple[date | None, date | None]


def date_axis(fig: go.Figure, window: Window = (None, None)) -> None:
    """A date x-axis; with a filtered date window, the axis shows exactly that window."""
    start, end = window
    if start is not None or end is not None:
        fig.update_xaxes(range=[_axis_end(start, 0), _axis_end(end, 1)])
    fig.update_xaxes(
        type="date",
        showgrid=True,
        tickformatstops=[
            {"dtickrange": [None, DAY_MS * 27], "value": "%d %b\n%Y"},
            {"dtickrange": [DAY_MS * 27, DAY_MS * 360], "value": "%b %Y"},
            {"dtickrange": [DAY_MS * 360, None], "value": "%Y"},
        ],
        rangeselector={
            "buttons": [
                {"count": 7, "label": "1w", "step": "day", "stepmode": "backward"},
                {"count": 1, "label": "1m", "step": "month", "stepmode": "backward"},
                {"count": 3, "label": "3m", "step": "month", "stepmode": "backward"},
                {"step": "all", "label": "all"},
            ],
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
        },
    )


def _axis_end(day: date | None, extra_days: int) -> str | None:
    return None if day is None else (pd.Timestamp(day) + pd.Timedelta(days=extra_days)).isoformat()


def choose_bin(first: pd.Timestamp, last: pd.Timestamp, max_bins: int = 150) -> str:
    """Day, week or month bins, whichever keeps the number of bins under `max_bins`."""
    days = (last - first).days + 1
    if days <= max_bins:
        return "day"
    if days / 7 <= max_bins:
        return "week"
    return "month"


def bin_days(days: np.ndarray, freq: str) -> np.ndarray:
    """First day of each date's bin (ISO weeks start on Monday); numpy datetime64[D]."""
    days = days.astype("datetime64[D]")
    if freq == "day":
        return days
    if freq == "week":
        weekday = (days.view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        return days - weekday.astype("timedelta64[D]")
    return days.astype("datetime64[M]").astype("datetime64[D]")


def bin_start(dates: pd.Series, freq: str) -> pd.Series:
    return pd.Series(bin_days(dates.to_numpy("datetime64[D]"), freq), index=dates.index).astype(
        "datetime64[ms]"
    )


def bin_numbers(bins: np.ndarray, freq: str) -> tuple[np.ndarray, np.datetime64]:
    """Bin start days -> 0-based bin numbers, and the first bin's start."""
    first = bins.min()
    if freq == "month":
        months = bins.astype("datetime64[M]")
        return (months - months.min()).astype("int64"), first
    step = 7 if freq == "week" else 1
    return (bins - first).astype("int64") // step, first


def bin_dates(numbers: np.ndarray, first: np.datetime64, freq: str) -> np.ndarray:
    if freq == "month":
        return (first.astype("datetime64[M]") + numbers).astype("datetime64[D]")
    return first + numbers * (7 if freq == "week" else 1)
