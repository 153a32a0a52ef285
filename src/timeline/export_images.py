"""Charts as PNG, SVG and PDF (Kaleido driving the system's Chromium) and as standalone HTML.

One Kaleido server is started per process on the first image and kept warm, so every later
image costs a render, not a browser start. Nothing is downloaded: Kaleido uses the
plotly.js that ships with plotly, MathJax is off, and Chromium must already be installed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading
from html import escape
from pathlib import Path

import plotly.graph_objects as go

from timeline.briefing import Size

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
INSTALL_HINT = "Image export needs Chromium: on Debian or Ubuntu, `apt-get install chromium`."
RENDER_TIMEOUT_SECONDS = 60


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


_lock = threading.Lock()
_started = False


def _ensure_server() -> None:
    global _started
    with _lock:
        if _started:
            return
        chromium = find_chromium()
        if chromium is None:
            raise ExportUnavailable(INSTALL_HINT)
        import kaleido

        kaleido.start_sync_server(
            path=str(chromium), mathjax=False, timeout=RENDER_TIMEOUT_SECONDS, silence_warnings=True
        )
        atexit.register(_stop_server)
        _started = True


def _stop_server() -> None:
    """Close Chromium before the interpreter tears down the server's thread, which otherwise can print a traceback."""
    import kaleido

    kaleido.stop_sync_server(silence_warnings=True)


def render(fig: go.Figure, fmt: str, size: Size) -> bytes:
    """PNG (at the preset's pixel size), SVG or PDF bytes of a styled figure."""
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"not an image format: {fmt}")
    _ensure_server()
    import kaleido

    opts = {
        "format": fmt,
        "width": size.width,
        "height": size.height,
        "scale": size.scale if fmt == "png" else 1,
    }
    return kaleido.calc_fig_sync(fig, opts=opts)


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
