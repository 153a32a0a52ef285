"""`timeline export`: the dashboard's charts and data, headless, from the same view as the URL.

    timeline export --type drone_attack --from 2024-11-01 --to 2024-11-30 \
        --chart timeline --chart counts --format png --format pdf --out briefing/
    timeline export --story seed-article --format pptx --format pdf --out briefing/

The view flags (`--from`, `--type`, `--lanes`, ...) are generated from the view registry, one
per URL parameter, and read exactly like URL parameters: a bad one stops the command before
anything is written. Every chart x format x size combination is written (data formats once);
all images in one call share one warm Kaleido browser. `--format pptx` writes the charts as a
PowerPoint deck, a slide each; `--story NAME` writes a story's deck (`timeline.export.decks`) as
pptx and/or pdf.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlparse

import typer

from timeline import stories, view
from timeline.cli.kit import DataOption, fail
from timeline.engine import EngineError, open_engine
from timeline.export import (
    briefing,
    data as export_data,
    decks,
    downloads as exports,
    images as export_images,
)
from timeline.storage import paths, store


def _view_params(link: str | None) -> dict[str, list[str]]:
    """A pasted dashboard link or query string -> its parameters."""
    if not link:
        return {}
    query = urlparse(link).query if "://" in link or link.startswith("?") else link
    return parse_qs(query.lstrip("?"), keep_blank_values=False)


def _choices(values: list[str], allowed: tuple[str, ...], flag: str) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        fail(f"{flag} {', '.join(bad)}: choose from {', '.join(allowed)}", code=2)
    return list(dict.fromkeys(values))


def flag(key: str) -> str:
    """The command-line flag of a URL parameter: `min_count` -> `--min-count`."""
    return "--" + key.replace("_", "-")


def view_flags() -> list[tuple[str, bool, str]]:
    """(URL key, repeatable, help) for every view parameter, in registry order."""
    out = []
    for f in view.FILTERS:
        for key in f.keys:
            out.append((key, f.repeatable, f"{f.label}: {f.help}."))
    for option in view.OPTIONS:
        out.append((option.name, False, f"{option.label}: {option.help}."))
    return out


FORMATS = (*exports.ALL_FORMATS, "pptx")


def run_export(
    out: Path,
    chart: list[str] | None,
    fmt: list[str] | None,
    size: list[str] | None,
    title: str | None,
    subtitle: str | None,
    link: str | None,
    data: Path,
    flags: dict[str, list[str]],
    story: str | None = None,
) -> None:
    if story is not None:
        return run_story_export(
            out, story, fmt, data, given=[k for k, v in flags.items() if v] + (["view"] if link else [])
        )
    charts = _choices(chart or ["timeline"], briefing.CHARTS, "--chart")
    formats = _choices(fmt or ["png"], FORMATS, "--format")
    sizes = [briefing.SIZES[s] for s in _choices(size or ["slide-16x9"], tuple(briefing.SIZES), "--size")]

    params = _view_params(link)
    params.update({k: v for k, v in flags.items() if v})
    try:
        engine = open_engine(data)
        parsed, problems = view.parse(params, engine.known())
    except (store.DatasetError, EngineError) as err:
        fail(str(err))
    if problems:
        fail([p.replace("; ignored", "") for p in problems] + ["nothing was written"], code=2)

    images = [f for f in formats if f in (*briefing.IMAGE_FORMATS, "pptx")]
    if images and export_images.find_chromium() is None:
        fail(
            f"{export_images.INSTALL_HINT} (or export --format html, csv, xlsx, parquet); nothing was written"
        )

    plan: list[tuple[str | None, str, briefing.Size | None]] = []
    for f in formats:
        if f == "pptx":
            plan.append(("deck", f, None))
        elif f in export_data.DATA_FORMATS:
            plan.append((None, f, None))
        elif f == "html":
            plan += [(c, f, None) for c in charts]
        else:
            plan += [(c, f, s) for c in charts for s in sizes]
    if len(plan) > 1 and out.suffix and not out.is_dir():
        fail(f"--out {out}: {len(plan)} files to write, so --out must be a folder", code=2)

    match = engine.match(parsed)
    if not match.count:
        fail("no events match these filters; nothing was written")
    texts = exports.default_texts(engine, parsed, match)
    texts = exports.Texts(
        title=title or texts.title, subtitle=subtitle or texts.subtitle, footer=texts.footer
    )

    for chart_name, f, s in plan:
        single = len(plan) == 1 and out.suffix and not out.is_dir()
        target = out if single else out / exports.file_name(chart_name, f, s)
        started = time.perf_counter()
        if chart_name is None:
            payload = exports.data_file(f, engine, parsed)
        elif chart_name == "deck":
            target = out if single else out / f"{'slide' if len(charts) == 1 else 'slides'}.pptx"
            deck = decks.view_deck(engine, parsed, charts, title=title, subtitle=subtitle)
            payload = decks.to_pptx(deck)
        else:
            payload = exports.chart_file(chart_name, f, engine, parsed, s or sizes[0], texts)
        store.write_bytes_atomic(target, payload)
        typer.echo(f"wrote {target} ({len(payload):,} bytes, {time.perf_counter() - started:.2f} s)")


def run_story_export(out: Path, name: str, fmt: list[str] | None, data: Path, given: list[str]) -> None:
    """A story's deck as pptx and/or pdf: one file each, named after the story in a folder."""
    if given:
        flags = ", ".join(flag(k) for k in given)
        fail(f"--story takes each step's view from the story; leave out {flags}", code=2)
    formats = _choices(fmt or ["pptx"], decks.FORMATS, "--format")
    if len(formats) > 1 and out.suffix and not out.is_dir():
        fail(f"--out {out}: {len(formats)} files to write, so --out must be a folder", code=2)
    if export_images.find_chromium() is None:
        fail(f"{export_images.INSTALL_HINT}; nothing was written")
    try:
        engine = open_engine(data)
        story = stories.load_checked(name, engine)
    except stories.StoryError as err:
        fail([*err.problems, "nothing was written"], code=2)
    except (store.DatasetError, EngineError) as err:
        fail(str(err))
    for f in formats:
        started = time.perf_counter()
        deck, payload = decks.story_file(engine, story, f)
        target = out if len(formats) == 1 and out.suffix and not out.is_dir() else out / deck.file_name(f)
        store.write_bytes_atomic(target, payload)
        pages = len(deck.slides) + 1
        typer.echo(
            f"wrote {target} ({pages} slides, {len(payload):,} bytes, {time.perf_counter() - started:.2f} s)"
        )


def _export(
    out: Annotated[Path, typer.Option(help="Output file (one output) or folder (several).")],
    chart: Annotated[list[str] | None, typer.Option(help="timeline, counts or map; repeatable.")] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="png, svg, pdf, html, csv, xlsx, parquet or pptx (the charts as slides); repeatable. "
            "With --story: pptx (default) or pdf.",
        ),
    ] = None,
    size: Annotated[list[str] | None, typer.Option(help=f"{', '.join(briefing.SIZES)}; repeatable.")] = None,
    title: Annotated[
        str | None, typer.Option(help="Chart title (default: generated from the filters).")
    ] = None,
    subtitle: Annotated[str | None, typer.Option(help="Chart subtitle (default: generated).")] = None,
    link: Annotated[
        str | None, typer.Option("--view", help="A dashboard link (or its query) to take the view from.")
    ] = None,
    data: DataOption = paths.DEFAULT_PATH,
    story: Annotated[
        str | None,
        typer.Option(
            "--story", help="A story (data/stories/NAME.toml): write its deck (--format pptx, pdf)."
        ),
    ] = None,
    **flags: Any,
) -> None:
    """Export charts (PNG/SVG/PDF/HTML) and filtered data (CSV/XLSX/Parquet)."""
    as_lists = {
        key: (value if isinstance(value, list) else [value]) if value else [] for key, value in flags.items()
    }
    run_export(out, chart, fmt, size, title, subtitle, link, data, as_lists, story=story)


PREFIX = "view__"


def build_export_command() -> Any:
    """`_export` with one option per view parameter added to its signature, for typer."""
    base = inspect.signature(_export, eval_str=True)
    fixed = [p for p in base.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    generated = []
    for key, repeatable, help_text in view_flags():
        kind = list[str] | None if repeatable else str | None
        annotation = Annotated[kind, typer.Option(flag(key), help=help_text)]
        # `from` is a Python keyword: parameters get a prefix, flags keep the URL's name.
        generated.append(
            inspect.Parameter(
                PREFIX + key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
        )

    def export_command(**kwargs: Any) -> None:
        flags = {k.removeprefix(PREFIX): v for k, v in kwargs.items() if k.startswith(PREFIX)}
        _export(**{k: v for k, v in kwargs.items() if not k.startswith(PREFIX)}, **flags)

    export_command.__doc__ = _export.__doc__
    export_command.__signature__ = base.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fixed] + generated
    )
    export_command.__annotations__ = {p.name: p.annotation for p in [*fixed, *generated]}
    return export_command
