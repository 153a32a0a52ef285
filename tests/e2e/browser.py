"""Helpers for driving the app in the browser."""

from __future__ import annotations


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Connected, script finished, and no rerun pending (Streamlit's own e2e tests wait the same way)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
