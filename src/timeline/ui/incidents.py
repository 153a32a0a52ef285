"""Incident mode on the page: the one-line notice when stored incidents are stale, the
sidebar switch between incidents and every report, the header's count, and a card's list
of the reports of its incident (docs/matching.md, "In the dashboard")."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from timeline import view
from timeline.cards import reports_html
from timeline.engine import Engine
from timeline.engine import incidents as inc
from timeline.ui import state
from timeline.ui.safe import inert
from timeline.view import View

FRESH = "incidents_fresh"
"""Session key: the dataset's stored incidents are up to date (the switch is offered)."""


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


def switch(f: view.Reports) -> None:
    """Incidents or every report: offered only when there are up-to-date incidents."""
    if not st.session_state.get(FRESH):
        return
    if st.session_state.get(state.key(f.name)) is None:  # reset, a story step, or deselected
        st.session_state[state.key(f.name)] = view.INCIDENTS  # the default while incidents are fresh
    labels = dict(f.choices)
    st.sidebar.segmented_control(
        f.label,
        options=list(labels),
        format_func=lambda value: inert(labels[value]),
        key=state.key(f.name),
        on_change=state.clear_warnings,
        help="Incidents: each counted once, as its most trusted source's report. Every report: one per source.",
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
