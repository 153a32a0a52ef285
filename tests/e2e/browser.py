"""Helpers for driving the app in the browser."""

from __future__ import annotations

import contextlib


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Connected, script finished, and no rerun pending (Streamlit's own e2e tests wait the same way)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def wait_for_rerun(page, timeout: float = 60_000) -> None:
    """After an interaction: wait for the rerun it triggers to start, then to finish.

    Without the first wait, a fast check can see the page from before the rerun."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # the rerun may be over before we look
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="running"]', timeout=5_000)
    wait_for_app(page, timeout)


CHARTS = ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])'
"""The page's charts: the timeline component (`tlChart`) and the `st.plotly_chart`s."""


def open_page(page, url: str, viewport: dict | None = None) -> None:
    """Open the dashboard at `url` (at `viewport`'s size if given) and wait until its charts
    are drawn: a point in the first chart, then the timeline's own drawing, which comes last."""
    if viewport is not None:
        page.set_viewport_size(viewport)
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(f"{CHARTS} .scatterlayer .point", timeout=30_000)
    page.wait_for_selector('[data-testid="tlChart"] .js-plotly-plot .main-svg', timeout=30_000)
