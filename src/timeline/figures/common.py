"""What every chart shares: the unvalidated figure builder, hover text, marker sizes and count
labels, the date axis.

Figures are written as plain plotly data (dicts and numpy arrays) and wrapped without
plotly's validation, which checks per-point arrays value by value and used to cost more than
the rest of a rerun; what they hold is bounded by the engine's results, never by the rows.
Dates travel as milliseconds since 1970, which plotly sends as compact binary arrays.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.formatting import format_count, format_dates

DAY_MS = 86_400_000
NEUTRAL = "#5b7083"
INTERCEPTED_COLOUR = "#6b7785"  # mid grey: reads on light and dark backgrounds
BORDER_COLOUR = "#9aa0a6"
UNCERTAIN_PATTERN = "/"
HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}"
    "<br><i>Source: %{customdata[4]}</i><extra>%{customdata[5]}</extra>"
)

Window = tuple[date | None, date | None]


def figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A figure from plain trace and layout dicts, without plotly's per-value validation."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def escape_text(text: object) -> str:
    """Plotly reads hover, tick and label text as a small HTML dialect; event text must stay text."""
    return escape(str(text), quote=False)


def ms(days: pd.Series | np.ndarray) -> np.ndarray:
    """Dates -> float milliseconds since 1970 (a date axis reads numbers as that)."""
    values = np.asarray(days, dtype="datetime64[ms]")
    return values.astype("int64").astype("float64")


HOVER_COLUMNS = (
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
)
"""What `hover_data` reads, in the order it reads them."""


def hover_data(df: pd.DataFrame) -> np.ndarray:
    """customdata columns: event_id, title, dates as reported, counts, source, type label.

    The columns are walked side by side as `itertuples` would (each Series yields the same
    values), without first copying them into a frame of their own: that copy and the tuples'
    frame were most of this function, which runs for the timeline and the map of every view."""
    rows = []
    for r in zip(*(df[c] for c in HOVER_COLUMNS), strict=True):
        text = None if pd.isna(r[5]) else str(r[5])
        rows.append(
            (
                r[0],
                escape_text(r[1]),
                escape_text(format_dates(r[2].date(), r[3].date(), r[4], text)),
                escape_text(format_count(r[6], r[7], r[8])) or "no count reported",
                escape_text(r[9]),
                escape_text(taxonomy.LABELS.get(r[10], r[10])),
            )
        )
    return np.array(rows, dtype=object).reshape(len(rows), 6)


def marker_sizes(df: pd.DataFrame, smallest: float = 8, largest: float = 30) -> np.ndarray:
    """Area grows with count, relative to the largest count of the same unit in view
    (188 drones and 11,000 troops are not on one scale)."""
    counts = df[Col.COUNT].to_numpy(dtype="float64", na_value=np.nan)
    ratio = share_of_peak(counts, unit_peaks(counts, df[Col.COUNT_UNIT]))
    return smallest + (largest - smallest) * np.sqrt(ratio)


def unit_peaks(counts: np.ndarray, units: pd.Series, among: np.ndarray | None = None) -> np.ndarray:
    """Each row's largest count among the rows (`among`, else all) of its unit; NaN where its
    unit is missing or none of them has a count. (A pandas grouped `transform("max")` did
    this with a dozen pandas and pyarrow calls per chart.)"""
    codes, uniques = pd.factorize(units, use_na_sentinel=True)
    usable = ~np.isnan(counts) if among is None else among & ~np.isnan(counts)
    best = np.full(len(uniques), -np.inf)
    grouped = usable & (codes >= 0)
    np.maximum.at(best, codes[grouped], counts[grouped])
    best[np.isneginf(best)] = np.nan
    return np.where(codes >= 0, best[codes] if len(best) else np.nan, np.nan)


def share_of_peak(counts: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """count / peak, from 0 to 1; 0 where either is missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = counts / peaks
    return np.clip(np.where(np.isnan(ratio), 0.0, ratio), 0, 1)


def is_point(df: pd.DataFrame) -> pd.Series:
    """Drawn as a point: known to the day and one day long."""
    return (df[Col.DATE_PRECISION] == "day") & (df[Col.DATE_START] == df[Col.DATE_END])


def base_layout(height: int) -> dict[str, Any]:
    """Legend along the bottom edge, clear of the range buttons (top left) and plotly's
    toolbar (top right)."""
    return {
        "height": height + 60,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 110},
        "legend": {
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
            "title": None,
        },
        "hovermode": "closest",
        "dragmode": "zoom",
    }


def date_axis(window: Window = (None, None), one_line: bool = False) -> dict[str, Any]:
    """A date x-axis; with a filtered date window, the axis shows exactly that window."""
    axis: dict[str, Any] = {
        "type": "date",
        "showgrid": True,
        # a date's label starts at its midnight tick and reads rightwards, so the first one
        # never runs under the range buttons at the left edge
        "ticklabelposition": "outside right",
        "tickformatstops": [
            {"dtickrange": [None, DAY_MS * 27], "value": "%-d %b %Y" if one_line else "%d %b\n%Y"},
            {"dtickrange": [DAY_MS * 27, DAY_MS * 360], "value": "%b %Y"},
            {"dtickrange": [DAY_MS * 360, None], "value": "%Y"},
        ],
        "rangeselector": {
            "buttons": [
                {"count": 7, "label": "1w", "step": "day", "stepmode": "backward"},
                {"count": 1, "label": "1m", "step": "month", "stepmode": "backward"},
                {"count": 3, "label": "3m", "step": "month", "stepmode": "backward"},
                {"step": "all", "label": "all"},
            ],
            # top left, over the lane labels: plotly's toolbar takes the top right corner, and
            # the dates may run along the top of the plot
            "x": -0.005,
            "xanchor": "right",
            "y": 1.0,
            "yanchor": "bottom",
        },
    }
    start, end = window
    if start is not None or end is not None:
        axis["range"] = [_axis_end(start, 0), _axis_end(end, 1)]
    return axis


def _axis_end(day: date | None, extra_days: int) -> str | None:
    return None if day is None else (pd.Timestamp(day) + pd.Timedelta(days=extra_days)).isoformat()
