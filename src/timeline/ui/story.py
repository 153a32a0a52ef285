"""A story in the dashboard (`?story=<name>&step=<n>`, docs/stories.md).

The step's caption stands beside the charts with previous and next buttons, a link to every
step and a way out ("Explore from here") that keeps the view. The sidebar's widgets are set to
the step's view, so the timeline, counts chart, map and table move to it; the step's events
stay bright on every chart while the others fade. Changing a filter by hand leaves the story
too, keeping what the reader chose. The deck downloads (pptx, pdf) are made when clicked.

A story is read and checked against the data once per file and dataset version; a story that
fails its checks shows its problems (file, step, field) instead of half a story. Captions and
event titles are shown as escaped HTML, never as markdown.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

import streamlit as st

from timeline import stories, view
from timeline.domain.schema import Col
from timeline.engine import Engine
from timeline.export import decks, images as export_images
from timeline.formatting import format_dates
from timeline.ui import state
from timeline.ui.safe import inert
from timeline.view import View

STORY, STEP = "story_name", "story_step"
APPLIED, BASELINE, CHECKED = "story_applied", "story_baseline", "story_checked"
PLOT_PX = 760
"""The timeline's plot width beside the caption on a desktop (charts take about 70% of the page)."""
PANEL_CSS = """<style>
.tl-story{line-height:1.45}
.tl-story .tl-kicker{font-size:.8rem;letter-spacing:.04em;text-transform:uppercase;opacity:.7;margin-bottom:.2rem}
.tl-story h3{font-size:1.35rem;margin:.1rem 0 .6rem 0;line-height:1.25}
.tl-story .tl-caption{font-size:1.02rem}
.tl-story .tl-events{margin:.7rem 0 0 0;padding:0;list-style:none;font-size:.9rem}
.tl-story .tl-events li{padding:.25rem 0 .25rem .6rem;border-left:3px solid rgba(128,128,128,.45);margin:.3rem 0}
.tl-story .tl-when{opacity:.75;font-size:.8rem}
.tl-steps{margin:.4rem 0 0 0;padding-left:1.4rem;font-size:.88rem;line-height:1.5}
.tl-steps a{text-decoration:none}
.tl-steps .tl-here{font-weight:700}
</style>"""
_cache_lock = threading.Lock()
_cache: dict[tuple[str, float, str], stories.Story | stories.StoryError] = {}


@dataclass(frozen=True)
class Active:
    """The story being told and the step shown."""

    story: stories.Story
    number: int

    @property
    def step(self) -> stories.Step:
        return self.story.step(self.number)

    @property
    def highlight(self) -> list[str]:
        return list(self.step.highlight)


def requested() -> bool:
    """The page was opened on a story link (for the sidebar to start closed)."""
    try:
        return view.STORY_KEY in st.query_params
    except Exception:  # no script context
        return False


def sidebar_state() -> str:
    return "collapsed" if requested() else "auto"


def _load(engine: Engine, name: str) -> stories.Story | stories.StoryError:
    """A story read and checked against this dataset version, once per file version."""
    try:
        path = stories.path_of(name)
        key = (str(path), path.stat().st_mtime, engine.source.version)
    except (stories.StoryError, OSError) as err:
        return err if isinstance(err, stories.StoryError) else stories.StoryError([str(err)])
    with _cache_lock:
        found = _cache.get(key)
    if found is None:
        try:
            found = stories.load_checked(path, engine)
        except stories.StoryError as err:
            found = err
        with _cache_lock:
            _cache[key] = found
    return found


def begin(engine: Engine) -> Active | None:
    """Before the widgets are drawn: the story of the link (first run) or of the session, its
    step's view put into the widgets when the step changed. A story that cannot be told shows
    its problems and the page goes on without it."""
    s = st.session_state
    if not s.get(CHECKED):
        s[CHECKED] = True
        params = {
            k: st.query_params.get_all(k) for k in (view.STORY_KEY, view.STEP_KEY) if k in st.query_params
        }
        parsed, _ = view.parse(params)  # bad values were already reported with the rest of the link
        if parsed.story:
            s[STORY], s[STEP] = parsed.story, parsed.step or 1
    name = s.get(STORY)
    if not name:
        return None
    found = _load(engine, name)
    if isinstance(found, stories.StoryError):
        _warn([f"{view.STORY_KEY}={name[:80]!r} cannot be shown: {p}" for p in found.problems])
        leave()
        return None
    wanted = int(s.get(STEP) or 1)
    number = min(max(wanted, 1), len(found.steps))
    s[STEP] = number
    if s.get(APPLIED) != (name, number):
        state.set_view(found.step(number).view, engine.summary)
        if s.get(APPLIED) is not None:  # a new step: the link's warnings were about the old one
            state.clear_warnings()
        s[APPLIED], s[BASELINE] = (name, number), None
    if wanted != number:
        _warn([f"{view.STEP_KEY}={wanted}: the story has {len(found.steps)} steps; step {number} is shown"])
    return Active(found, number)


def _warn(lines: list[str]) -> None:
    """Problems of a story link, shown with the link's other warnings above the charts."""
    st.session_state[state.WARNINGS] = [*(st.session_state.get(state.WARNINGS) or []), *lines]


def keep(active: Active | None, v: View) -> Active | None:
    """After the widgets: a view the reader changed by hand leaves the story (and keeps the view)."""
    if active is None:
        return None
    s = st.session_state
    seen = (v.values, v.options)
    if s.get(BASELINE) is None:
        s[BASELINE] = seen
    elif s[BASELINE] != seen:
        leave()
        return None
    return active


def go_to(number: int) -> None:
    st.session_state[STEP] = number


def leave() -> None:
    """Free exploration from here: the widgets keep the view; the story is forgotten."""
    for key in (STORY, STEP, APPLIED, BASELINE):
        st.session_state.pop(key, None)


def url_view(active: Active | None, v: View) -> View:
    """What the address bar holds: the step's link in a story, else the view."""
    if active is None:
        return v
    return View(story=active.story.name, step=active.number, events=v.events)


def highlight(active: Active | None) -> list[str]:
    return active.highlight if active else []


def plot_px(active: Active | None, phone: bool, default: int) -> int:
    return default if active is None or phone else PLOT_PX


@contextlib.contextmanager
def layout(active: Active | None, engine: Engine, v: View, phone: bool = False) -> Iterator[None]:
    """The caption panel beside the charts; on a phone the caption and Previous/Next above
    the charts, the chart right under them, and the rest of the panel (cards, steps, decks)
    below the charts."""
    if active is None:
        yield
        return
    if phone:
        with st.container(key="story-panel"):
            _panel(active, engine, v, part="head")
        yield
        with st.container(key="story-panel-more"):
            _panel(active, engine, v, part="rest")
        return
    panel, charts = st.columns([1, 2.3], gap="large")
    with panel:
        _panel(active, engine, v)
    with charts:
        yield


def _link(story: stories.Story, number: int) -> str:
    return "?" + urlencode(story.link(number), doseq=True)


def _panel(active: Active, engine: Engine, v: View, part: str = "all") -> None:
    """The step's panel: `part` 'head' (caption and Previous/Next), 'rest' (cards, steps,
    decks) or 'all' (inside the story-panel container)."""
    if part == "rest":
        _panel_rest(active, engine)
        return
    story, step, number = active.story, active.step, active.number
    total = len(story.steps)
    st.html(PANEL_CSS)
    found = {r[Col.EVENT_ID]: r for _, r in engine.by_ids(active.highlight).iterrows()}
    events = [(i, found[e]) for i, e in enumerate(active.highlight, 1) if e in found]  # the story's order
    items = "".join(
        f'<li><div class="tl-when">{i:d} · {escape(format_dates(r[Col.DATE_START].date(), r[Col.DATE_END].date(), r[Col.DATE_PRECISION]))}'
        f"</div>{escape(str(r[Col.TITLE]))}</li>"
        for i, r in events
    )
    with contextlib.nullcontext() if part == "head" else st.container(key="story-panel"):
        st.html(
            f'<div class="tl-story"><div class="tl-kicker">{escape(story.title)} · step {number:d} of {total:d}</div>'
            f"<h3>{escape(step.title)}</h3>"
            f'<div class="tl-caption">{escape(step.caption)}</div>'
            + (f'<ul class="tl-events">{items}</ul>' if items else "")
            + "</div>"
        )
        back, ahead = st.columns(2)
        back.button(
            "Previous",
            key="story-previous",
            on_click=go_to,
            args=(number - 1,),
            disabled=number <= 1,
            icon=":material/arrow_back:",
            width="stretch",
        )
        ahead.button(
            "Next",
            key="story-next",
            on_click=go_to,
            args=(number + 1,),
            disabled=number >= total,
            icon=":material/arrow_forward:",
            width="stretch",
            type="primary",
        )
        if part == "all":
            _panel_rest(active, engine, events)


def _panel_rest(active: Active, engine: Engine, events: list | None = None) -> None:
    """Under Previous/Next: a button per event's card, leaving the story, the steps, the deck."""
    story, number = active.story, active.number
    if events is None:
        found = {r[Col.EVENT_ID]: r for _, r in engine.by_ids(active.highlight).iterrows()}
        events = [(i, found[e]) for i, e in enumerate(active.highlight, 1) if e in found]
    for column, (i, row) in zip(st.columns(max(1, len(events))), events, strict=False):
        column.button(
            f"Card {i:d}",
            key=f"story-card-{row[Col.EVENT_ID]}",
            on_click=state.open_card,
            args=(row[Col.EVENT_ID],),
            help=f"Open the card of event {i:d} above, with its sources",
            width="stretch",
        )
    st.button(
        "Explore from here",
        key="story-exit",
        on_click=leave,
        icon=":material/explore:",
        width="stretch",
        help="Leave the story and keep this view, with every filter in the sidebar.",
    )
    steps = "".join(
        f'<li class="{"tl-here" if n == number else ""}"><a href="{escape(_link(story, n), quote=True)}" '
        f'target="_self">{escape(s.title)}</a></li>'
        for n, s in enumerate(story.steps, 1)
    )
    st.html(f'<ol class="tl-steps">{steps}</ol>')
    _downloads(active, engine)


def _downloads(active: Active, engine: Engine) -> None:
    """The story's deck, made when a button is clicked."""
    chromium = export_images.find_chromium()
    story = active.story
    left, right = st.columns(2)
    for column, fmt, label in ((left, "pptx", "PowerPoint"), (right, "pdf", "PDF")):

        def make(fmt: str = fmt) -> bytes:
            return decks.story_file(engine, story, fmt)[1]

        column.download_button(
            label,
            data=make,
            file_name=f"{story.name}.{fmt}",
            mime=decks.MIME[fmt],
            on_click="ignore",
            disabled=chromium is None,
            key=f"story-deck-{fmt}",
            icon=":material/download:",
            width="stretch",
            help=export_images.INSTALL_HINT
            if chromium is None
            else f"The whole story as a {inert(label)} deck",
        )


def map_extent(active: Active | None) -> tuple[float, float, float, float] | None:
    return active.step.map_extent if active else None
