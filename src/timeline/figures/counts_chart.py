"""Drones and missiles launched and intercepted per day or week."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from timeline import taxonomy
from timeline.figures.common import (
    INTERCEPTED_COLOUR,
    MAX_BARS,
    MAX_EVENTS,
    Window,
    base_layout,
    bin_start,
    date_axis,
)
from timeline.schema import Col

COUNT_CHOICES = {"all": taxonomy.STRIKE_UNITS, "drones": ("drones",), "missiles": ("missiles",)}
"""What the counts chart adds up: every strike, or only rows counted in drones or missiles
(a combined strike's total cannot be split, so it counts only under 'all')."""


STRIKE_COLUMNS = [
    Col.EVENT_TYPE,
    Col.DATE_START,
    Col.DATE_END,
    Col.DATE_PRECISION,
    Col.COUNT,
    Col.INTERCEPTED,
]


def _add_bars(fig: go.Figure, launched: pd.DataFrame, intercepted: pd.Series, middle: pd.Timedelta) -> None:
    for etype in taxonomy.EVENT_TYPES:
        part = launched[launched[Col.EVENT_TYPE] == etype.key]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["bin"] + middle,
                y=part[Col.COUNT].astype("int64"),
                name=etype.label,
                marker={"color": etype.colour},
                legendgroup=etype.key,
                hovertemplate=f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            )
        )
    if len(intercepted):
        fig.add_trace(
            go.Scatter(
                x=intercepted.index + middle,
                y=intercepted.astype("int64"),
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 9,
                    "color": INTERCEPTED_COLOUR,
                    "line": {"width": 1, "color": "#fff"},
                },
                name="Intercepted (as claimed)",
                hovertemplate="%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
            )
        )


def _add_stacked_areas(
    fig: go.Figure, launched: pd.DataFrame, intercepted: pd.Series, per: str, middle: pd.Timedelta
) -> None:
    """Too many bins for bars (which cost the browser a path each): stacked areas instead,
    with every empty bin a zero so the stack stays honest."""
    bins = pd.date_range(launched["bin"].min(), launched["bin"].max(), freq="D" if per == "day" else "7D")
    table = launched.pivot_table(
        index="bin", columns=Col.EVENT_TYPE, values=Col.COUNT, aggfunc="sum", observed=True
    )
    table = table.reindex(bins, fill_value=0).fillna(0)
    for etype in taxonomy.EVENT_TYPES:
        if etype.key not in table.columns:
            continue
        fig.add_trace(
            go.Scatter(
                x=bins + middle,
                y=table[etype.key].astype("int64"),
                mode="lines",
                stackgroup="launched",
                line={"width": 0.6, "color": etype.colour},
                fillcolor=etype.colour,
                name=etype.label,
                legendgroup=etype.key,
                hovertemplate=f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=bins + middle,
            y=intercepted.reindex(bins),
            mode="lines",
            line={"color": INTERCEPTED_COLOUR, "width": 1.2},
            name="Intercepted (as claimed)",
            hovertemplate="%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
        )
    )


def strike_rows(df: pd.DataFrame, per: str, what: str = "all") -> tuple[pd.DataFrame, int]:
    """Strikes whose launch count can honestly sit in one day (or week) bin, and how many
    were left out (monthly totals and other coarsely dated figures)."""
    wanted = (
        df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
        & df[Col.COUNT_UNIT].isin(COUNT_CHOICES[what])
        & df[Col.COUNT].notna()
    )
    strikes = df.loc[wanted, STRIKE_COLUMNS] if len(df) > MAX_EVENTS else df[wanted]
    fits = strikes[Col.DATE_PRECISION] == "day"
    if per == "week":
        same_week = bin_start(strikes[Col.DATE_START], "week") == bin_start(strikes[Col.DATE_END], "week")
        fits |= (strikes[Col.DATE_PRECISION] == "week") & same_week
    return strikes[fits], int((~fits).sum())


def counts_figure(
    df: pd.DataFrame, *, per: str = "day", what: str = "all", window: Window = (None, None)
) -> go.Figure:
    """Launched per day or week, stacked by event type, with intercepted as markers.
    An overnight attack counts on the day it began."""
    rows, _ = strike_rows(df, per, what)
    fig = go.Figure()
    if rows.empty:
        return fig
    rows = rows.assign(bin=bin_start(rows[Col.DATE_START], per))
    launched = rows.groupby(["bin", Col.EVENT_TYPE], observed=True)[Col.COUNT].sum().reset_index()
    intercepted = rows.groupby("bin")[Col.INTERCEPTED].sum(min_count=1)
    middle = pd.Timedelta(hours=12 if per == "day" else 84)
    if launched["bin"].nunique() > MAX_BARS:
        _add_stacked_areas(fig, launched, intercepted, per, middle)
    else:
        _add_bars(fig, launched, intercepted.dropna(), middle)
    totals = launched.groupby("bin")[Col.COUNT].sum()
    peak_bin = totals.idxmax()
    fig.add_annotation(
        x=peak_bin + middle,
        y=int(totals.max()),
        text=f"<b>{int(totals.max()):,}</b> launched",
        showarrow=True,
        arrowhead=0,
        ay=-28,
        font={"size": 12},
    )
    base_layout(fig, height=360)
    date_axis(fig, window)
    fig.update_layout(barmode="stack", bargap=0.15)
    noun = "drones and missiles" if what == "all" else what
    fig.update_yaxes(title=f"{noun} launched per {per}", rangemode="tozero")
    return fig
