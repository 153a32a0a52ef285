"""A real `streamlit run` server and Debian's Chromium driven by Playwright.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. Where it is missing
the tests skip with a reason, except in CI (TIMELINE_REQUIRE_BROWSER=1), where they fail.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.browser import TRACKER

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TIMELINE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # one renderer process for all of a context's pages on 127.0.0.1 (whatever the port): with
    # `contexts`' pooled contexts a new page then finds Streamlit's bundle and plotly.js already
    # compiled in that process, about half of Chromium's CPU per page load (docs/performance.md)
    "--process-per-site",
]
KEEPER = "http://127.0.0.1:1/keeper"
"""A blank page on the tests' site, answered by Playwright (no server): each pooled context
keeps one open so that its renderer process, and what it compiled, outlives each test's page."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("TIMELINE_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def start_server(
    data: Path, log: Path, *, secrets: Path | None = None, port: int | None = None
) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on `data`, waited for until healthy. With `secrets`, it reads only
    that file (sign-in configured); `port` when the secrets name it in their redirect URI."""
    port = port or free_port()
    env = {**os.environ, "TIMELINE_DATA": str(data), "BROWSER_PATH": str(CHROMIUM)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.05)  # refused until it listens: a short poll, the deadline stays 60 s
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"streamlit did not start; log:\n{log.read_text()}")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    folder = tmp_path_factory.mktemp("e2e-data")
    data = folder / "events.parquet"
    data.write_bytes((ROOT / "data" / "events.parquet").read_bytes())
    proc, url = start_server(data, folder / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


class ContextPool:
    """`browser.new_context` for the tests: a context of the same options (but its viewport)
    that an earlier test closed, emptied, instead of a new one. A new context starts a new
    renderer process that downloads and compiles the page's scripts again (5-10 CPU s of
    Chromium per page load); a pooled one keeps its process alive with a `KEEPER` page, and
    sizes each new page to the viewport asked for. What a test could see of another is
    emptied when it closes its context: its pages are closed (each test gets new ones, so a
    new Streamlit session and sessionStorage), and its cookies, permissions and every
    origin's storage cleared; a context that still holds any is closed for good."""

    def __init__(self, new_context: Callable[..., Any]) -> None:
        self.new_context = new_context
        self.idle: dict[str, list[Any]] = {}

    def open(self, **options: Any) -> Any:
        viewport = options.pop("viewport", DEFAULT_VIEWPORT)
        key = repr(sorted(options.items()))
        if self.idle.get(key):
            context = self.idle[key].pop()
        else:
            context = self.new_context(viewport=viewport, **options)
            context.add_init_script(TRACKER)
            keeper = context.new_page()
            keeper.route(
                KEEPER, lambda route: route.fulfill(body="<!doctype html>", content_type="text/html")
            )
            keeper.goto(KEEPER)
            close, new_page = context.close, context.new_page
            context.close = functools.partial(self.release, context, keeper, key, close)
            context.new_page = functools.partial(self.new_page, context, new_page)
        context.viewport_asked = viewport
        return context

    @staticmethod
    def new_page(context: Any, new_page: Callable[[], Any]) -> Any:
        page = new_page()
        if page.viewport_size != context.viewport_asked:
            page.set_viewport_size(context.viewport_asked)
        return page

    def release(self, context: Any, keeper: Any, key: str, close: Callable[..., None], **_: Any) -> None:
        for page in context.pages:
            if page is not keeper:
                page.close()
        context.clear_cookies()
        context.clear_permissions()
        cdp = context.new_cdp_session(keeper)
        for origin in {o["origin"] for o in context.storage_state(indexed_db=True)["origins"]}:
            cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": STORAGE})
        cdp.detach()
        state = context.storage_state(indexed_db=True)
        if state["cookies"] or state["origins"] or context.pages != [keeper]:
            close()
            return
        self.idle.setdefault(key, []).append(context)


SCREENSHOTS = os.environ.get("TIMELINE_TEST_SCREENSHOTS", "") not in ("", "0")
"""Whether the tests save their screenshots of what passed (README, "Tests")."""


def artifact(target: Any, name: str, **options: Any) -> None:
    """A screenshot of `target` (a page or a locator) as test-artifacts/`name`.png, for a
    developer to look at, only when TIMELINE_TEST_SCREENSHOTS=1: no assertion reads it, and
    encoding a PNG of a page at every run was CPU for no one (docs/performance.md)."""
    if not SCREENSHOTS:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    target.screenshot(path=str(ARTIFACTS / f"{name}.png"), **options)


def screenshot_if_failed(page: Any, request: pytest.FixtureRequest) -> None:
    """A full-page screenshot as test-artifacts/<test>.png when the test's setup or body failed
    (`FAILED`), for a page fixture's teardown."""
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)


DEFAULT_VIEWPORT = {"width": 1280, "height": 720}
"""Playwright's, for a context asked for without one."""
STORAGE = "local_storage,indexeddb,cache_storage,service_workers,file_systems,websql"
"""What `Storage.clearDataForOrigin` empties of an origin (not the HTTP cache: that is the point)."""
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """Notes on the test whether its setup or body failed, for the `page` fixture's screenshot."""
    report = yield
    if report.when in ("setup", "call") and report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # Every page the tests open asks for reduced motion: Streamlit's CSS then skips its
        # entrance animations, transitions and smooth scrolling, about a sixth less of
        # Chromium's CPU per page load (docs/performance.md); what a page shows once drawn is
        # the same (screenshots pixel-identical).
        browser.new_context = functools.partial(
            ContextPool(browser.new_context).open, reduced_motion="reduce"
        )
        browser.new_page = functools.partial(_new_page, browser.new_page)
        yield browser
        browser.close()


def _new_page(new_page: Callable[..., Any], **options: Any) -> Any:
    """`browser.new_page` (a page in a context of its own) as the pooled contexts' pages are."""
    page = new_page(reduced_motion="reduce", **options)
    page.add_init_script(TRACKER)
    return page


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A new page, its errors in `page.errors`; a full-page screenshot in test-artifacts/ if
    the test failed (taking one after every test cost a few tenths of a CPU s each)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.errors = errors
    yield page
    screenshot_if_failed(page, request)
    context.close()
