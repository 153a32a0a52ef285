"""Stories: a maintainer's narrative through the data, step by step (docs/stories.md).

A story is a TOML file under `data/stories/` (`$TIMELINE_STORIES` elsewhere): a title, an
author, and ordered steps, each a view given as the dashboard's URL parameters, a caption in
the maintainer's words, the events it highlights, optionally the chart a deck shows for it and
a map extent. `load` reads and checks a file and raises `StoryError` with one line per
problem, each naming the file, the step and the field; a view parameter the dashboard would
drop with a warning is an error here. `check` then asks the data: every highlighted event
must exist and be in its step's view, and every view must match some event.

The dashboard opens a story at `?story=<name>&step=<n>`; `timeline export --story <name>`
writes it as a deck (`timeline.export.decks`).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timeline import view
from timeline.domain.errors import UserError
from timeline.domain.schema import Col
from timeline.view import View

ENV_VAR = "TIMELINE_STORIES"
DEFAULT_DIR = Path("data/stories")
SUFFIX = ".toml"
CHARTS = ("timeline", "counts", "map")
MAX_STEPS = 40
LIMITS = {"title": 120, "author": 120, "summary": 600}
STEP_LIMITS = {"title": 100, "caption": 700}
MAX_HIGHLIGHT = 20
STORY_KEYS = {"title", "author", "summary", "steps"}
STEP_KEYS = {"title", "caption", "view", "highlight", "chart", "map_extent"}
PAGE_KEYS = {view.EVENT_KEY, view.STORY_KEY, view.STEP_KEY}
"""URL parameters a step's view may not set: it is the view, not a link to a card or story."""


class StoryError(UserError):
    """A story file that cannot be told: every problem, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Step:
    number: int
    """From 1, as in `?step=`."""
    title: str
    caption: str
    params: dict[str, list[str]]
    """The view as URL parameters, as written in the file."""
    view: View
    highlight: tuple[str, ...] = ()
    chart: str = "timeline"
    map_extent: tuple[float, float, float, float] | None = None
    """west, south, east, north in degrees."""


@dataclass(frozen=True)
class Story:
    name: str
    path: Path
    title: str
    author: str
    steps: tuple[Step, ...]
    summary: str = ""
    warnings: tuple[str, ...] = field(default=())

    def step(self, number: int) -> Step:
        """Step `number` (from 1), the last one for a number past the end."""
        return self.steps[min(max(number, 1), len(self.steps)) - 1]

    def link(self, number: int) -> dict[str, list[str]]:
        """The dashboard's URL parameters of a step: `story=<name>&step=<n>`."""
        return view.to_params(View(story=self.name, step=number))


def folder() -> Path:
    """$TIMELINE_STORIES, else `stories/` next to the dataset if there is one, else data/stories."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    from timeline.storage import store

    beside = store.default_path().parent / "stories"
    return beside if beside.is_dir() else DEFAULT_DIR


def names(where: Path | None = None) -> list[str]:
    """The stories in a folder, by name (file name without .toml)."""
    where = where or folder()
    if not where.is_dir():
        return []
    return sorted(p.stem for p in where.glob(f"*{SUFFIX}") if view.STORY_NAME.fullmatch(p.stem))


def exists(name: str, where: Path | None = None) -> bool:
    return bool(view.STORY_NAME.fullmatch(name)) and ((where or folder()) / f"{name}{SUFFIX}").is_file()


def path_of(name_or_path: str | Path, where: Path | None = None) -> Path:
    """A story's file from its name (`seed-article`) or a path to a .toml file."""
    text = str(name_or_path)
    if text.endswith(SUFFIX) or os.sep in text:
        return Path(text)
    if not view.STORY_NAME.fullmatch(text):
        raise StoryError([f"{text[:80]!r} is not a story name (a-z, 0-9, '-', '_')"])
    found = (where or folder()) / f"{text}{SUFFIX}"
    if not found.is_file():
        known = ", ".join(names(where)) or "none"
        raise StoryError([f"no story {text!r} in {where or folder()} (stories there: {known})"])
    return found


def load(name_or_path: str | Path, known: view.Known | None = None, where: Path | None = None) -> Story:
    """Read and check a story file; `known` (the engine's) also checks actor and dataset
    values. Raises `StoryError` naming the file, step and field of every problem."""
    path = path_of(name_or_path, where)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise StoryError([f"{path}: not valid TOML: {err}"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise StoryError([f"{path}: cannot be read: {err}"]) from None
    return parse(raw, path, known)


def parse(raw: Mapping[str, Any], path: Path, known: view.Known | None = None) -> Story:
    problems: list[str] = []
    here = str(path)

    def problem(where: str, message: str) -> None:
        problems.append(f"{here}: {where}: {message}")

    for key in sorted(set(raw) - STORY_KEYS):
        problem(key, f"unknown field (a story has {', '.join(sorted(STORY_KEYS))})")
    texts = {}
    for key, most in LIMITS.items():
        texts[key] = _text(raw.get(key), key, most, required=key != "summary", problem=problem)
    steps_raw = raw.get("steps")
    steps: list[Step] = []
    if not isinstance(steps_raw, list) or not steps_raw:
        problem("steps", "a story needs at least one [[steps]] table")
        steps_raw = []
    elif len(steps_raw) > MAX_STEPS:
        problem("steps", f"{len(steps_raw)} steps; at most {MAX_STEPS}")
        steps_raw = steps_raw[:MAX_STEPS]
    for number, item in enumerate(steps_raw, 1):
        step = _step(
            number, item, known, lambda field, message, n=number: problem(f"step {n}: {field}", message)
        )
        if step is not None:
            steps.append(step)
    if problems:
        raise StoryError(problems)
    return Story(
        name=path.stem,
        path=path,
        title=texts["title"] or "",
        author=texts["author"] or "",
        summary=texts["summary"] or "",
        steps=tuple(steps),
    )


def _text(value: Any, key: str, most: int, *, required: bool, problem: Any) -> str | None:
    if value is None:
        if required:
            problem(key, "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        problem(key, "must be a non-empty string")
        return None
    text = " ".join(value.split())
    if len(text) > most:
        problem(key, f"{len(text)} characters; at most {most}")
    return text


def _step(number: int, item: Any, known: view.Known | None, problem: Any) -> Step | None:
    if not isinstance(item, dict):
        problem("step", "must be a table ([[steps]])")
        return None
    found: list[str] = []

    def note(field_name: str, message: str) -> None:
        found.append(message)
        problem(field_name, message)

    for key in sorted(set(item) - STEP_KEYS):
        note(key, f"unknown field (a step has {', '.join(sorted(STEP_KEYS))})")
    title = _text(item.get("title"), "title", STEP_LIMITS["title"], required=True, problem=note)
    caption = _text(item.get("caption"), "caption", STEP_LIMITS["caption"], required=True, problem=note)
    params, parsed = _view(item.get("view"), known, note)
    highlight = _highlight(item.get("highlight", []), note)
    chart = item.get("chart", "timeline")
    if chart not in CHARTS:
        note("chart", f"{str(chart)[:40]!r} is not one of {', '.join(CHARTS)}")
    extent = _extent(item.get("map_extent"), note)
    if found or parsed is None:
        return None
    return Step(number, title or "", caption or "", params, parsed, highlight, chart, extent)


def _view(value: Any, known: view.Known | None, note: Any) -> tuple[dict[str, list[str]], View | None]:
    """A step's view table -> URL parameters and the parsed view; any warning is an error."""
    if value is None:
        note("view", 'missing (a table of URL parameters, e.g. view = { type = "drone_attack" })')
        return {}, None
    if not isinstance(value, dict):
        note("view", "must be a table of URL parameters")
        return {}, None
    allowed = [k for k in view.url_keys() if k not in PAGE_KEYS]
    params: dict[str, list[str]] = {}
    ok = True
    for key, raw in value.items():
        if key not in allowed:
            note(f"view.{key}", f"not a view parameter (use {', '.join(allowed)})")
            ok = False
            continue
        values = raw if isinstance(raw, list) else [raw]
        if not values or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
            note(f"view.{key}", "must be a string, a whole number or a list of them")
            ok = False
            continue
        params[key] = [str(v) for v in values]
    parsed, warnings = view.parse(params, known)
    for warning in warnings:
        key = warning.split("=", 1)[0].split(" ", 1)[0]
        note(f"view.{key}", warning.replace("; ignored", "").replace("; both ignored", ""))
        ok = False
    return params, parsed if ok else None


def _highlight(value: Any, note: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        note("highlight", "must be a list of event_ids")
        return ()
    if len(value) > MAX_HIGHLIGHT:
        note("highlight", f"{len(value)} events; at most {MAX_HIGHLIGHT}")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _extent(value: Any, note: Any) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    numbers = value if isinstance(value, list) else []
    if len(numbers) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        note("map_extent", "must be [west, south, east, north] in degrees")
        return None
    west, south, east, north = (float(v) for v in numbers)
    if not all(math.isfinite(v) for v in numbers):
        note("map_extent", "must be finite numbers")
        return None
    if not (-180 <= west < east <= 180):
        note("map_extent", f"west {west:g} and east {east:g} must satisfy -180 <= west < east <= 180")
        return None
    if not (-90 <= south < north <= 90):
        note("map_extent", f"south {south:g} and north {north:g} must satisfy -90 <= south < north <= 90")
        return None
    return west, south, east, north


def check(story: Story, engine: Any) -> list[str]:
    """What the data says about a story: each highlighted event exists and is in its step's
    view, and each view matches some event. One line per problem, naming the step."""
    problems = []
    for step in story.steps:
        where = f"{story.path}: step {step.number}"
        if not engine.match(step.view).count:
            problems.append(f"{where}: view: no events match {_query(step.params)}")
        if not step.highlight:
            continue
        present = set(engine.by_ids(list(step.highlight))[Col.EVENT_ID])
        in_view = engine.matching_ids(step.view, list(step.highlight))
        for event_id in step.highlight:
            if event_id not in present:
                problems.append(f"{where}: highlight: {event_id!r} is not in the dataset")
            elif event_id not in in_view:
                problems.append(
                    f"{where}: highlight: {event_id!r} is not in the step's view ({_query(step.params)})"
                )
    return problems


def _query(params: Mapping[str, list[str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(params, doseq=True)


def load_checked(name_or_path: str | Path, engine: Any, where: Path | None = None) -> Story:
    """`load` with the engine's known values, then `check`: a story ready to show."""
    story = load(name_or_path, engine.known(), where)
    problems = check(story, engine)
    if problems:
        raise StoryError(problems)
    return story
