"""Incident mode on the page: the one-line notice when stored incidents are stale (the
sidebar's switch between incidents and every report is in `widgets.py`), the header's count, and a card's list
of the reports of its incident (docs/matching.md, "In the dashboard")."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from timeline import view
from timeline.cards import reports_html
from timeline.engine import Engine, incidents as inc
from timeline.ui.safe import inert
from timeline.ui.widgets import FRESH
from timeline.view import View


def notice(engine: Engine, path: Path) -> None:
    """Say in one line when the stored incidents no longer match the data, and how to redo them."""
    stored = inc.stored(engine.source)
    st.session_state[FRESH] = stored.fresh
    if stored.exists and stored.stale:
        st.info(
            f"The stored incidents are out of date (the data changed since); every report is shown. "
            f"Refresh them with `timeline match {inert(path)}`.",
            icon=":material/sync_problem:",
        )


def header_count(engine: Engine, v: View, n: int) -> str:
    """'12 incidents (14 reports) of 97 reports' in incident mode, else 'n of N events'."""
    total = engine.summary.rows
    if v.get(view.REPORTS_KEY) != view.INCIDENTS:
        return f"{n:,} of {total:,} events"
    reports = engine.count(v.with_filter(view.REPORTS_KEY, view.ALL_REPORTS))
    return f"{n:,} incident{'s' if n != 1 else ''} ({reports:,} reports) of {total:,} reports"


def counts_note(v: View, datasets: tuple[str, ...]) -> str:
    """What the counts chart adds up when several datasets are in view."""
    if v.get(view.REPORTS_KEY) == view.INCIDENTS:
        return (
            f" Reports from {len(datasets)} datasets ({', '.join(datasets)}) of one incident are counted once, "
            "by its most trusted source's figure (switch Reports to 'Every report' to see each)."
        )
    return (
        f" Counts from {len(datasets)} datasets ({', '.join(datasets)}) are added together, "
        "and the same attack may be in more than one: pick one under Datasets to compare them."
    )


def card_reports(engine: Engine, event_id: str) -> None:
    """The reports of this event's incident, with their sources and differences."""
    text = reports_html(inc.reports_of(engine, event_id), inc.source_name)
    if text:
        st.html(text)
