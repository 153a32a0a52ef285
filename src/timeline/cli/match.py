"""`timeline match`: count each incident once across sources (docs/matching.md).

Only typer and the standard library are imported here; the algorithm (DuckDB, pandas) is
imported when the command runs, so the `timeline` command starts as fast as before.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from timeline.cli.kit import fail


class Format(StrEnum):
    PROJECT = "project"
    MELTT = "meltt"


class Selection(StrEnum):
    BEST = "best"
    REFERENCE = "reference"


def match_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="The dataset (default data/events.parquet or $TIMELINE_DATA); with --format meltt, "
            "the reference's CSV files, one per source, in precedence order.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Format,
        typer.Option("--format", help="project: a dataset in this schema; meltt: the R package's CSV shape."),
    ] = Format.PROJECT,
    taxonomy: Annotated[
        list[str] | None,
        typer.Option(
            "--taxonomy", help="NAME=TABLE.csv, repeatable (--format meltt): the taxonomy of column NAME."
        ),
    ] = None,
    km: Annotated[
        float | None, typer.Option("--km", help="Spatial window, great-circle km (project default 10).")
    ] = None,
    days: Annotated[
        float | None, typer.Option("--days", help="Temporal window in days (project default 1).")
    ] = None,
    selection: Annotated[
        Selection,
        typer.Option(
            "--selection", help="best: best score wins; reference: MELTT 0.4.3's order (docs/matching.md)."
        ),
    ] = Selection.BEST,
    precedence: Annotated[
        list[str] | None,
        typer.Option("--precedence", help="Dataset labels in precedence order, repeatable (project format)."),
    ] = None,
    review_margin: Annotated[
        float, typer.Option("--review-margin", help="Flag a match whose runner-up scores within this.")
    ] = 0.0,
    summary_json: Annotated[bool, typer.Option("--summary-json", help="Print the summary as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write every report with its incident here (.csv or .parquet)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Project format: match and report, but store nothing.")
    ] = False,
    slice_days: Annotated[
        int | None,
        typer.Option(
            "--slice-days",
            help="Project format: match by time slices of this many days (a dataset too big for memory).",
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            envvar="TIMELINE_ENGINE",
            help="duckdb (default) or spark ($TIMELINE_SPARK, docs/scaling.md).",
        ),
    ] = None,
) -> None:
    """Match events across sources: each incident counted once, every decision stored."""
    # Long only by its signature: typer declares each of its 13 arguments and options there; the body is short.
    # Long only by its option declarations (typer reads them from the signature); the work
    # is in the helpers below.
    from timeline.matching import core
    from timeline.storage import store

    _check_flags(
        km, days, review_margin, slice_days, sliced_with=fmt is Format.MELTT or dry_run or out is not None
    )
    paths = list(paths or [])
    session = _engine(engine)
    target = None
    try:
        if fmt is Format.MELTT:
            result = _meltt(paths, taxonomy or [], km, days, selection, review_margin, session)
        else:
            result, summary, target = _project(
                paths, taxonomy, km, days, selection, review_margin, precedence, slice_days, dry_run, session
            )
    except core.MatchError as err:
        fail(str(err))
    except store.DatasetError as err:
        fail(str(err))
    if result is not None:
        summary = result.summary
        if out is not None:
            _write_out(result.reports, out)
    if summary_json:
        typer.echo(json.dumps(summary, indent=1))
    else:
        for line in describe(summary):
            typer.echo(line)
    if target is not None:
        typer.echo(f"incidents written to {target}", err=summary_json)


def _check_flags(
    km: float | None, days: float | None, review_margin: float, slice_days: int | None, *, sliced_with: bool
) -> None:
    """Refuse a bad window, margin or slice size (exit 2) before anything is read."""
    if km is not None and not km > 0:
        fail(f"--km must be a positive number of kilometres, not {km}", 2)
    if days is not None and not days >= 0:
        fail(f"--days must be zero or a positive number of days, not {days}", 2)
    if review_margin < 0:
        fail(f"--review-margin must not be negative, not {review_margin}", 2)
    if slice_days is not None:
        if slice_days < 1:
            fail(f"--slice-days must be at least 1, not {slice_days}", 2)
        if sliced_with:
            fail(
                "--slice-days stores the incidents of a dataset: not with --format meltt, --dry-run or --out",
                2,
            )


def _project(
    paths: list[Path], taxonomy: list[str] | None, km: float | None, days: float | None, selection: str,
    review_margin: float, precedence: list[str] | None, slice_days: int | None, dry_run: bool, session: object,
) -> tuple[object | None, dict[str, object], Path | None]:  # fmt: skip
    """Match a dataset in this schema with the defaults the flags leave, and store the result
    (unless a dry run): (the result, or None when matched by slices; its summary; the file)."""
    from dataclasses import replace

    from timeline.matching import project
    from timeline.storage import store

    if taxonomy:
        fail("--taxonomy applies to --format meltt; a dataset's taxonomy is taxonomy.py's", 2)
    if len(paths) > 1:
        fail(f"give one dataset, not {len(paths)} (several sources are `dataset` labels within it)", 2)
    path = paths[0] if paths else store.default_path()
    settings = replace(
        project.DEFAULTS,
        km=km if km is not None else project.DEFAULTS.km,
        days=days if days is not None else project.DEFAULTS.days,
        selection=str(selection),
        review_margin=review_margin,
        precedence=tuple(precedence) if precedence else project.DEFAULTS.precedence,
    )
    version = project.dataset_version(path)
    if slice_days is not None:
        summary, target = project.run_sliced(path, settings, slice_days, version, session)
        return None, summary, target
    result = project.run(path, settings, session)
    return result, {}, None if dry_run else project.save(path, result, version)


def _engine(name: str | None) -> object:
    """None for DuckDB in this process, or the Spark session the query engine uses."""
    choice = (name or "duckdb").strip().lower()
    if choice == "duckdb":
        return None
    if choice != "spark":
        fail(f"--engine {name!r}: choose duckdb or spark", 2)
    from timeline.engine.backends import EngineError, backend

    try:
        return backend("spark").session_  # type: ignore[attr-defined]
    except EngineError as err:
        fail(str(err))


def _meltt(
    paths: list[Path],
    taxonomy: list[str],
    km: float | None,
    days: float | None,
    selection: str,
    margin: float,
    session: object = None,
) -> object:
    from timeline.matching import core, meltt_format

    if len(paths) < 2:
        fail("--format meltt needs at least two dataset CSV files", 2)
    if not taxonomy:
        fail("--format meltt needs at least one --taxonomy NAME=TABLE.csv", 2)
    if km is None or days is None:
        fail("--format meltt needs both windows: --km and --days (the reference has no defaults)", 2)
    tables = []
    for item in taxonomy:
        name, sep, table = item.partition("=")
        if not sep or not name.strip() or not table.strip():
            fail(f"--taxonomy {item!r}: expected NAME=TABLE.csv", 2)
        tables.append(meltt_format.read_taxonomy(name.strip(), Path(table.strip())))
    reports, dims = meltt_format.read_datasets(paths, tables)
    settings = core.MatchSettings(
        km=km,
        days=days,
        time_rule="endpoints",
        selection=selection,
        review_margin=margin,  # type: ignore[arg-type]
    )
    return core.match(reports, dims, settings, session)


def _write_out(frame: object, out: Path) -> None:
    from timeline.storage import store

    suffix = out.suffix.lower()
    if suffix == ".csv":
        store.write_bytes_atomic(out, frame.to_csv(index=False).encode("utf-8"))  # type: ignore[attr-defined]
    elif suffix == ".parquet":
        import pyarrow as pa

        store.write_table_atomic(pa.Table.from_pandas(frame, preserve_index=False), out)  # type: ignore[arg-type]
    else:
        fail(f"--out {out}: give a .csv or .parquet file", 2)


def describe(summary: dict[str, object]) -> list[str]:
    """The summary as a person reads it (the reference's wording where it has one)."""
    lines = [
        f"reports: {summary['observations']:,}",
        f"incidents (unique after deduplication): {summary['unique']:,}",
        f"matches: {summary['matches']:,} ({summary['event_matches']:,} event-to-event, "
        f"{summary['episode_matches']:,} episode-to-episode)",
        f"duplicates removed: {summary['duplicates']:,}",
        "overlap:",
    ]
    for row in summary["overlap"]:  # type: ignore[attr-defined]
        lines.append(f"  {' + '.join(row['datasets'])}: {row['count']:,}")
    if summary["flagged_for_review"]:
        lines.append(
            f"{summary['flagged_for_review']:,} event(s) an episode of another source may cover: review them"
        )
    if summary["ambiguous"]:
        lines.append(f"{summary['ambiguous']:,} match(es) with a runner-up as good: review them")
    return lines


class Decision(StrEnum):
    SHOW = "show"
    CONFIRM = "confirm"
    SPLIT = "split"
    MERGE = "merge"


def incidents_command(
    action: Annotated[
        Decision, typer.Argument(help="show the incidents of these events (all when none named), or decide.")
    ],
    event_ids: Annotated[
        list[str] | None, typer.Argument(help="Events (event_id).", show_default=False)
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required for a decision).")] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Dataset (default data/events.parquet, or $TIMELINE_DATA)."),
    ] = None,
) -> None:
    """Show matched incidents, or confirm, split or merge them with a reason (logged in the
    change log; `timeline history` shows it, `timeline revert` undoes it)."""
    from timeline.domain.schema import Col
    from timeline.matching import decisions, project
    from timeline.matching.core import Out
    from timeline.storage import history, store

    path = data if data is not None else store.default_path()
    ids = list(event_ids or [])
    if action is Decision.SHOW:
        st = project.status(path)
        if not st.exists:
            fail(f"{path}: no incidents yet; run `timeline match` first")
        if st.stale:
            typer.echo(
                f"warning: {st.path} is stale: {path} changed since the match; run `timeline match`", err=True
            )
        frame = project.load_incidents(path)
        eid, inc, role = str(Col.EVENT_ID), str(Out.INCIDENT), str(Out.ROLE)
        if ids:
            unknown = sorted(set(ids) - set(frame[eid]))
            if unknown:
                fail(f"no such event in the incidents: {', '.join(unknown)}")
            frame = frame[frame[inc].isin(set(frame.loc[frame[eid].isin(ids), inc]))]
        else:
            sizes = frame[inc].value_counts()
            frame = frame[frame[inc].map(sizes) > 1]
        for incident, group in frame.sort_values([inc, role], ascending=[True, False]).groupby(inc):
            typer.echo(history.printable(f"{incident}  ({len(group)} reports)"))
            for row in group.to_dict("records"):
                note = f"  review: {row[Out.REVIEW]}" if row[Out.REVIEW] else ""
                decided = f"  decided in {row[decisions.DECISION]}" if row[decisions.DECISION] else ""
                line = f"    {row[Col.DATASET]}: {row[eid]} ({row[role]}){note}{decided}"
                typer.echo(history.printable(line))
        return
    if not ids:
        fail(f"{action}: name the events (event_id) it is about", 2)
    if action is Decision.MERGE and len(ids) < 2:
        fail("merge: name events of at least two incidents", 2)
    action_name = {
        Decision.CONFIRM: decisions.CONFIRM,
        Decision.SPLIT: decisions.SPLIT,
        Decision.MERGE: decisions.MERGE,
    }
    change = decisions.decide(path, history.cli_user(), action_name[action], ids, reason)
    typer.echo(
        f"{change.change_id}: {action} {', '.join(ids)} logged; incidents updated in {project.incidents_path(path)}"
    )
