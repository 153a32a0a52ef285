"""Helpers for driving the app in the browser."""

from __future__ import annotations

import contextlib

TRACKER = """(() => {
  if (window.__tlRuns) return;
  const runs = window.__tlRuns = {sends: 0, finished: 0, finishedAtSend: 0, settled: {sends: 0}};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (String(this.url).includes('_stcore/stream')) {
      runs.sends += 1;
      runs.finishedAtSend = runs.finished;
    }
    return send.call(this, data);
  };
  new MutationObserver((records) => {
    for (const r of records) {  // a fast run can go from 'rerunRequested' to 'notRunning' at once
      const now = r.target.getAttribute('data-test-script-state');
      if (now === 'notRunning' && r.oldValue !== 'notRunning') runs.finished += 1;
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})();"""
"""Added to every page the tests open (conftest): counts the page's messages to the server
and the script runs that ended, so that `wait_for_rerun` waits for the run an interaction
asked for, however fast it was, and not at all when nothing was sent."""

SETTLE_MS = 100
"""`wait_for_app`'s pause between two looks at an idle app (Streamlit's own e2e helpers use 100 ms)."""


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Connected, script finished, and no rerun pending (Streamlit's own e2e tests wait the same way)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.evaluate("() => { if (window.__tlRuns) window.__tlRuns.settled.sends = window.__tlRuns.sends; }")


SENT = "() => !window.__tlRuns || window.__tlRuns.sends > window.__tlRuns.settled.sends"
RAN = """() => !window.__tlRuns || window.__tlRuns.finished > window.__tlRuns.finishedAtSend
  || !!document.querySelector('[data-testid="stApp"][data-test-script-state="running"]')"""


def wait_for_rerun(page, timeout: float = 60_000) -> None:
    """After an interaction: wait for the rerun it asked for to end (a run that ends after the
    page's last message to the server, counted by `TRACKER`, or is running), then for the app
    to be idle.

    Without it, a fast check can see the page from before the rerun. A run that ended before
    this looks still counts; an interaction the page answered alone (nothing sent since the
    last `wait_for_app`) waits for no run."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if page.evaluate("() => !window.__tlRuns || window.__tlRuns.sends === 0"):  # messages unseen
        with contextlib.suppress(PlaywrightTimeout):  # (a page not from conftest): the run's start
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="running"]', timeout=5_000)
        wait_for_app(page, timeout)
        return
    try:  # the message may leave a moment after the click (a component's value, a text box's commit)
        page.wait_for_function(SENT, timeout=5_000)
    except PlaywrightTimeout:
        wait_for_app(page, timeout)
        return
    with contextlib.suppress(PlaywrightTimeout):  # a message that asks for no run: as before, 5 s
        page.wait_for_function(RAN, timeout=5_000)
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
