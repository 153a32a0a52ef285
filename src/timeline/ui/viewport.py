"""How wide the analyst's screen is, measured in the browser: a phone is told by its width, not
its user agent, and the timeline's labels are laid out for the plot's real width.

Streamlit tells the server nothing about the viewport (`st.context` has headers, cookies,
locale and theme, no width), and CSS media queries can hide a variant but cannot lay out
labels. So a small constant script (no data in it) measures the timeline's plot area once it is
drawn and keeps it in a cookie, which the server reads when the page connects. When the plot
is narrower than the layout assumed, or the phone guess was wrong, the page is loaded again
once (the view lives in the URL, so nothing is lost); a wider plot only spreads labels apart.
The same script makes a phone's first tap on a chart's point select it (plotly takes the
point from a hover, which a finger gives only after its first tap).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import streamlit as st

COOKIE = "tl_viewport"
PHONE_MAX_PX = 640
"""Viewports narrower than this are phones: one column, the list instead of the table."""
DESKTOP_PLOT_PX, PHONE_PLOT_PX = 480, 165
"""The plot widths assumed before the browser has measured: a 1440-pixel screen with the
sidebar open and the selection panel's column beside the charts (about 490 pixels), and a
360-pixel phone (a wider plot only spreads the labels further apart)."""
MIN_PLOT_PX = 120


@dataclass(frozen=True)
class Viewport:
    phone: bool
    plot_px: int
    """The timeline's plot area width, in CSS pixels, its labels are laid out for."""
    measured: bool


def parse_cookie(value: str | None) -> tuple[int, int] | None:
    """'390:197' (viewport width, plot width) -> (390, 197); None for anything else."""
    try:
        width, plot = (int(part) for part in str(value).split(":"))
    except (TypeError, ValueError):
        return None
    if not (200 <= width <= 10_000 and 0 < plot <= width):
        return None
    return width, plot


def guess_phone(agent: str) -> bool:
    """Before any measurement: a mobile browser's user agent."""
    return "Mobi" in agent or "Android" in agent


def current() -> Viewport:
    """The measured viewport (from the cookie), else a guess from the user agent."""
    found = parse_cookie((st.context.cookies or {}).get(COOKIE))
    if found is not None:
        width, plot = found
        return Viewport(width < PHONE_MAX_PX, max(MIN_PLOT_PX, plot), True)
    phone = guess_phone((st.context.headers or {}).get("user-agent", "") or "")
    return Viewport(phone, PHONE_PLOT_PX if phone else DESKTOP_PLOT_PX, False)


PROBE = """<script>
(() => {
  const planned = %(planned)s, phone = %(phone)s, limit = %(limit)s, cookie = "%(cookie)s";
  const started = Date.now();
  const look = () => {
    const charts = '[data-testid="tlChart"] .js-plotly-plot, [data-testid="stPlotlyChart"] .js-plotly-plot';
    const gd = window.parent.document.querySelector(charts) || document.querySelector(charts);
    if (!gd || !gd._fullLayout || !gd._fullLayout._size) {
      if (Date.now() - started < 30000) setTimeout(look, 250);
      return;
    }
    const width = Math.round(window.innerWidth), plot = Math.floor(gd._fullLayout._size.w);
    const wrong = plot < planned - 4 || (width < limit) !== phone;
    // A story's desktop layout (planned 0) has a plot width of its own: the cookie keeps the
    // dashboard's, which "Explore from here" lays out for.
    const story = planned === 0 && width >= limit;
    const found = document.cookie.split("; ").find((c) => c.startsWith(`${cookie}=`));
    const known = found ? Number(found.split(":")[1]) : NaN;
    const kept = story ? (known > 0 ? Math.min(known, width) : wrong ? plot : null) : plot;
    if (kept !== null) document.cookie = `${cookie}=${width}:${kept}; path=/; max-age=31536000; SameSite=Lax`;
    const key = "tl-viewport-reloads", tries = Number(sessionStorage.getItem(key) || 0);
    if (wrong && tries < 2) {
      sessionStorage.setItem(key, String(tries + 1));
      reloadWhenIdle();
    } else if (!wrong) {
      sessionStorage.removeItem(key);
    }
  };
  // Reloaded once the run that drew this chart has ended: a run can still be moving the view
  // into the address bar (Explore from here), and a reload asked for before that lands on
  // the old address.
  const reloadWhenIdle = () => {
    const app = window.parent.document.querySelector('[data-testid="stApp"]');
    if (app && app.getAttribute("data-test-script-state") === "running") setTimeout(reloadWhenIdle, 100);
    else window.location.reload();
  };
  setTimeout(look, 200);
  // A tap on a chart: plotly picks the point a click selects from the last hover, which a
  // touch screen has not had before the first tap; hover where the finger lands first.
  if (!window.tlTouchHover) {
    window.tlTouchHover = true;
    document.addEventListener("touchstart", (e) => {
      const t = e.touches && e.touches[0];
      const target = t && document.elementFromPoint(t.clientX, t.clientY);
      if (!target || !target.closest(".js-plotly-plot")) return;
      target.dispatchEvent(new MouseEvent("mousemove", {clientX: t.clientX, clientY: t.clientY, bubbles: true}));
    }, {capture: true, passive: true});
  }
})();
</script>"""


def probe(vp: Viewport, planned: int | None = None) -> None:
    """The measuring script: constant text and three numbers, never data. `planned`: the plot
    width the timeline was laid out for (0: do not compare, only tell a phone)."""
    st.html(
        PROBE % {"planned": escape(str(vp.plot_px if planned is None else planned)),
                 "phone": escape("true" if vp.phone else "false"), "limit": escape(str(PHONE_MAX_PX)),
                 "cookie": escape(COOKIE)},
        unsafe_allow_javascript=True,
    )  # fmt: skip
