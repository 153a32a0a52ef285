"""`timeline export`: the dashboard's charts and data, headless, from the same filters as the URL.

    timeline export --type drone_attack --from 2024-11-01 --to 2024-11-30 \
        --chart timeline --chart counts --format png --format pdf --out briefing/

Every chart x format x size combination is written (data formats once); all images in one
call share one warm Kaleido server. Filter flags are checked exactly like URL parameters,
and a bad one stops the command before anything is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlparse

import typer

from timeline import briefing, export_data, export_images, exports, filters, store, urlstate
from timeline.clikit import fail
from timeline.filters import Catalog


def _view_params(view: str | None) -> dict[str, list[str]]:
    """A pasted dashboard link or query string -> its parameters."""
    if not view:
        return {}
    query = urlparse(view).query if "://" in view or view.startswith("?") else view
    return parse_qs(query.lstrip("?"), keep_blank_values=False)


def _choices(values: list[str], allowed: tuple[str, ...], flag: str) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        fail(f"{flag} {', '.join(bad)}: choose from {', '.join(allowed)}", code=2)
    return list(dict.fromkeys(values))


def export_command(
    out: Annotated[Path, typer.Option(help="Output file (one output) or folder (several).")],
    chart: Annotated[list[str] | None, typer.Option(help="timeline, counts or map; repeatable.")] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", help="png, svg, pdf, html, csv, xlsx or parquet; repeatable."),
    ] = None,
    size: Annotated[list[str] | None, typer.Option(help=f"{', '.join(briefing.SIZES)}; repeatable.")] = None,
    title: Annotated[
        str | None, typer.Option(help="Chart title (default: generated from the filters).")
    ] = None,
    subtitle: Annotated[str | None, typer.Option(help="Chart subtitle (default: generated).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    event_type: Annotated[list[str] | None, typer.Option("--type", help="Event type; repeatable.")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO alpha-3; repeatable.")] = None,
    actor: Annotated[list[str] | None, typer.Option(help="Actor; repeatable.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search text.")] = None,
    confidence: Annotated[
        list[str] | None, typer.Option(help="confirmed, reported, claimed; repeatable.")
    ] = None,
    min_count: Annotated[str | None, typer.Option("--min-count", help="Minimum count.")] = None,
    dataset: Annotated[list[str] | None, typer.Option(help="Dataset label; repeatable.")] = None,
    lanes: Annotated[str | None, typer.Option(help="Timeline lanes: type, country or actor.")] = None,
    per: Annotated[str | None, typer.Option(help="Counts per day or week.")] = None,
    strikes: Annotated[str | None, typer.Option(help="Counts of all, drones or missiles.")] = None,
    view: Annotated[
        str | None, typer.Option(help="A dashboard link (or its query) to take the filters from.")
    ] = None,
    data: Annotated[
        Path, typer.Option("--data", envvar=store.ENV_VAR, help="Dataset file.")
    ] = store.DEFAULT_PATH,
) -> None:
    """Export charts (PNG/SVG/PDF/HTML) and filtered data (CSV/XLSX/Parquet)."""
    charts = _choices(chart or ["timeline"], briefing.CHARTS, "--chart")
    formats = _choices(fmt or ["png"], exports.ALL_FORMATS, "--format")
    sizes = [briefing.SIZES[s] for s in _choices(size or ["slide-16x9"], tuple(briefing.SIZES), "--size")]

    params = _view_params(view)
    flags = {
        urlstate.P_FROM: [date_from] if date_from else [],
        urlstate.P_TO: [date_to] if date_to else [],
        urlstate.P_TYPE: event_type or [],
        urlstate.P_COUNTRY: country or [],
        urlstate.P_ACTOR: actor or [],
        urlstate.P_Q: [q] if q else [],
        urlstate.P_CONFIDENCE: confidence or [],
        urlstate.P_MIN_COUNT: [min_count] if min_count is not None else [],
        urlstate.P_DATASET: dataset or [],
        urlstate.P_LANES: [lanes] if lanes else [],
        urlstate.P_PER: [per] if per else [],
        urlstate.P_STRIKES: [strikes] if strikes else [],
    }
    params.update({k: v for k, v in flags.items() if v})

    try:
        catalog = Catalog.build(store.load(data))
    except store.DatasetError as err:
        fail(str(err))
    parsed, problems = urlstate.parse(params, catalog)
    if problems:
        fail([p.replace("; ignored", "") for p in problems] + ["nothing was written"], code=2)

    images = [f for f in formats if f in briefing.IMAGE_FORMATS]
    if images and export_images.find_chromium() is None:
        fail(
            f"{export_images.INSTALL_HINT} (or export --format html, csv, xlsx, parquet); nothing was written"
        )

    plan: list[tuple[str | None, str, briefing.Size | None]] = []
    for f in formats:
        if f in export_data.DATA_FORMATS:
            plan.append((None, f, None))
        elif f == "html":
            plan += [(c, f, None) for c in charts]
        else:
            plan += [(c, f, s) for c in charts for s in sizes]
    if len(plan) > 1 and out.suffix and not out.is_dir():
        fail(f"--out {out}: {len(plan)} files to write, so --out must be a folder", code=2)

    keep = filters.mask(catalog, parsed.filters)
    if not keep.any():
        fail("no events match these filters; nothing was written")
    texts = exports.default_texts(catalog, keep, parsed)
    texts = exports.Texts(
        title=title or texts.title, subtitle=subtitle or texts.subtitle, footer=texts.footer
    )

    for chart_name, f, s in plan:
        target = (
            out
            if len(plan) == 1 and out.suffix and not out.is_dir()
            else out / exports.file_name(chart_name, f, s)
        )
        started = time.perf_counter()
        if chart_name is None:
            payload = exports.data_file(f, catalog, keep, parsed)
        else:
            payload = exports.chart_file(chart_name, f, catalog, keep, parsed, s or sizes[0], texts)
        exports.write_bytes_atomic(target, payload)
        typer.echo(f"wrote {target} ({len(payload):,} bytes, {time.perf_counter() - started:.2f} s)")
