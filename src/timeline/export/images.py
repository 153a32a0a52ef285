"""Charts as PNG, SVG and PDF (Kaleido driving the system's Chromium) and as standalone HTML.

One Kaleido browser per process, started on the first image and kept warm, with `TABS` tabs
on its own event-loop thread (`KaleidoPool`): every later image costs a render, not a browser
start, any thread may ask for one (two dashboard sessions at once each get their own image:
Kaleido's `calc_fig_sync` from two threads could hand one the other's), and `render_many`
renders a deck's figures in one `asyncio.gather`. Kaleido reloads a tab's page after every
image; here a tab draws `RENDERS_PER_PAGE` images on one page (and after a failed one) before
that reload, which then runs in the background (`_warm_kaleido_class`, the one override of a
private Kaleido method), so an image returns as soon as it is drawn and a deck's images do
not wait for reloads (docs/performance.md).
Otherwise only Kaleido's public API is used (`Kaleido`, `open`, `calc_fig`, `close`);
`print_pdf` prints an HTML page in a spare tab of the same browser (choreographer's
`create_tab` and the DevTools `Page.printToPDF`).

Nothing is downloaded: Kaleido uses the plotly.js that ships with plotly, MathJax is off,
and Chromium must already be installed.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import functools
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from timeline.export.briefing import Size

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
INSTALL_HINT = "Image export needs Chromium: on Debian or Ubuntu, `apt-get install chromium`."
RENDER_TIMEOUT_SECONDS = 60
TABS = 2
"""Kaleido tabs: measured best on the project's 2-core machine; more add memory, not speed."""
IMAGE_FORMATS = ("png", "svg", "pdf")
RENDERS_PER_PAGE = 20
"""Images a tab draws on one page before Kaleido's reload. plotly.js draws each image in a
new element and removes it after, so an image on a used page is byte for byte the one on a
fresh page (`tests/test_export_images.py`); reloading after every image (Kaleido's way) made
a deck's eight images wait for reloads, 1.9 s against 0.8 s (docs/performance.md). The
reload still comes every so often, to bound what a long-lived page may gather."""


class ExportUnavailable(RuntimeError):
    """No Chromium to render images with (HTML and data exports still work)."""


def find_chromium() -> Path | None:
    """$TIMELINE_CHROMIUM, $BROWSER_PATH, Debian's /usr/bin/chromium, or one on PATH."""
    for candidate in (
        os.environ.get("TIMELINE_CHROMIUM"),
        os.environ.get("BROWSER_PATH"),
        *CHROMIUM_CANDIDATES,
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


@functools.cache
def _warm_kaleido_class() -> type:
    """Kaleido whose tabs draw several images per page, and reload without the caller waiting.

    Kaleido 1.5 reloads a tab after every render (`Kaleido._return_kaleido_tab`) so that no
    state leaks between figures, and `calc_fig` returns only once that reload is done: about
    0.35 s of every warm image, and renders asked for at once (a deck) queue behind reloads.
    Here a tab goes straight back to the queue until it has drawn `RENDERS_PER_PAGE` images
    or its render failed (Kaleido calls this method from a `finally`, so the render's error
    is the exception being handled); then it reloads in the background and rejoins the queue
    when its page is fresh. This overrides one private method of Kaleido;
    `tests/test_export_images.py` checks it still exists and is called so.
    """
    import kaleido

    class WarmKaleido(kaleido.Kaleido):  # type: ignore[misc]
        _reloads: set[asyncio.Task[None]]
        _drawn: dict[Any, int]

        async def _return_kaleido_tab(self, tab: Any) -> None:
            if not hasattr(self, "_reloads"):
                self._reloads, self._drawn = set(), {}
            failed = sys.exc_info()[1] is not None
            drawn = self._drawn.get(tab, 0) + 1
            if not failed and drawn < RENDERS_PER_PAGE:
                self._drawn[tab] = drawn
                await self.tabs_ready.put(tab)
                return
            self._drawn[tab] = 0
            task = asyncio.get_running_loop().create_task(self._reload_and_return(tab))
            self._reloads.add(task)
            task.add_done_callback(self._reloads.discard)

        async def _reload_and_return(self, tab: Any) -> None:
            try:
                await tab.reload()
            except Exception:
                # queued all the same: its next render then fails with the browser's error
                # (and the pool restarts) instead of waiting forever for this tab
                pass
            finally:
                await self.tabs_ready.put(tab)

        async def close(self) -> None:
            for task in list(getattr(self, "_reloads", ())):
                task.cancel()
            await super().close()

    return WarmKaleido


class KaleidoPool:
    """One Kaleido browser with `tabs` tabs, driven from its own event loop thread. Thread-safe:
    each call submits a coroutine to that loop and waits for its own result."""

    def __init__(self, chromium: Path, tabs: int = TABS) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        self._printer: Any = None
        self._print_lock: asyncio.Lock | None = None
        try:
            self._kaleido = self._call(self._open(chromium, tabs))
        except BaseException:
            self._stop_loop()
            raise

    async def _open(self, chromium: Path, tabs: int) -> Any:
        k = _warm_kaleido_class()(path=str(chromium), n=tabs, mathjax=False, timeout=RENDER_TIMEOUT_SECONDS)
        await k.open()
        return k

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def render(self, fig: go.Figure | dict, opts: dict[str, Any]) -> bytes:
        return self._call(self._kaleido.calc_fig(fig, opts=opts))

    def render_many(self, jobs: Sequence[tuple[go.Figure | dict, dict[str, Any]]]) -> list[bytes]:
        """[(figure, opts), ...] -> their images in the same order; the first error is raised."""

        async def run() -> list[bytes]:
            return await asyncio.gather(*(self._kaleido.calc_fig(f, opts=o) for f, o in jobs))

        return self._call(run()) if jobs else []

    def submit(self, fig: go.Figure | dict, opts: dict[str, Any]) -> Future[bytes]:
        """Start one image and return at once; the future's result is the image."""
        return asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(fig, opts=opts), self._loop)

    def print_pdf(self, url: str) -> bytes:
        """The page at `url` printed to PDF (its CSS @page sets the paper) in a spare tab."""
        return self._call(self._print(url))

    async def _print(self, url: str) -> bytes:
        if self._print_lock is None:
            self._print_lock = asyncio.Lock()
        async with self._print_lock:
            if self._printer is None:
                self._printer = await self._kaleido.create_tab("", window=True)
                await self._printer.send_command("Page.enable")
            tab = self._printer
            loaded = tab.subscribe_once("Page.loadEventFired")
            while loaded.done():  # a load event from before this navigation
                loaded = tab.subscribe_once("Page.loadEventFired")
            answer = await tab.send_command("Page.navigate", params={"url": url})
            if "error" in answer:
                raise RuntimeError(f"Chromium could not open the deck page: {answer['error']}")
            await asyncio.wait_for(loaded, RENDER_TIMEOUT_SECONDS)
            answer = await tab.send_command(
                "Page.printToPDF", params={"printBackground": True, "preferCSSPageSize": True}
            )
            if "error" in answer:
                raise RuntimeError(f"Chromium could not print the deck: {answer['error']}")
            return base64.b64decode(answer["result"]["data"])

    def close(self) -> None:
        if not self._loop.is_running():
            return
        try:
            self._call(asyncio.wait_for(self._kaleido.close(), 20))
        except Exception:  # closing a browser that already died
            pass
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


_lock = threading.Lock()
_pool: KaleidoPool | None = None


def pool() -> KaleidoPool:
    """The process's Kaleido browser, started on first use."""
    global _pool
    with _lock:
        if _pool is None:
            chromium = find_chromium()
            if chromium is None:
                raise ExportUnavailable(INSTALL_HINT)
            _pool = KaleidoPool(chromium)
            atexit.register(_close_pool)
        return _pool


def _close_pool() -> None:
    """Close Chromium before the interpreter tears down the loop's thread."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None


def _restart_after(error: BaseException) -> None:
    """A browser that closed or crashed is started afresh on the next image."""
    from choreographer.errors import BrowserClosedError, BrowserFailedError

    if isinstance(error, (BrowserClosedError, BrowserFailedError, ConnectionError)):
        _close_pool()


def options(fmt: str, size: Size) -> dict[str, Any]:
    """Kaleido's options for an image at a size preset (PNG at its scale, SVG and PDF at 1)."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"not an image format: {fmt}")
    scale = size.scale if fmt == "png" else 1
    return {"format": fmt, "width": size.width, "height": size.height, "scale": scale}


def render(fig: go.Figure, fmt: str, size: Size) -> bytes:
    """PNG (at the preset's pixel size), SVG or PDF bytes of a styled figure."""
    return render_many([(fig, fmt, size)])[0]


def render_many(jobs: Sequence[tuple[go.Figure, str, Size]]) -> list[bytes]:
    """Several images at once, in order: (figure, format, size) each. They are rendered
    concurrently on the pool's tabs, so a deck costs about half the sum of its images."""
    opts = [(fig, options(fmt, size)) for fig, fmt, size in jobs]
    try:
        return pool().render_many(opts)
    except Exception as error:
        _restart_after(error)
        raise


def submit(fig: go.Figure, fmt: str, size: Size) -> Future[bytes]:
    """Start one image and return at once, so the caller can build the next figure while
    Chromium draws this one; collect the images with `results`."""
    job = options(fmt, size)
    try:
        return pool().submit(fig, job)
    except Exception as error:
        _restart_after(error)
        raise


def results(pending: Sequence[Future[bytes]]) -> list[bytes]:
    """The images of `submit` calls, in order; the first error is raised."""
    try:
        return [future.result() for future in pending]
    except Exception as error:
        _restart_after(error)
        raise


def print_pdf(html: str) -> bytes:
    """An HTML document printed to one PDF by the same Chromium (for decks, `timeline.export.decks`)."""
    with tempfile.TemporaryDirectory(prefix="timeline-print-") as folder:
        page = Path(folder) / "deck.html"
        page.write_text(html, encoding="utf-8")
        try:
            return pool().print_pdf(page.as_uri())
        except Exception as error:
            _restart_after(error)
            raise


def to_html(fig: go.Figure, title: str) -> bytes:
    """A standalone interactive page with plotly.js embedded: opens offline."""
    html = fig.to_html(
        include_plotlyjs=True,
        full_html=True,
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
        default_height="100vh",
    )
    return html.replace("<head>", f"<head><title>{escape(title)}</title>", 1).encode("utf-8")
