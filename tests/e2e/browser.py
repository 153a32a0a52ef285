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
