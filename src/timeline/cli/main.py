"""The maintainers' `timeline` command.

Each command is a thin shell over a library function; problems go to stderr one per
line, and any problem means a non-zero exit with the dataset left untouched. What escapes
a command is handled in one place, `cli.kit.Boundary`: one clear line for an expected
failure, a saved report for a bug (`--debug` shows tracebacks).

The library (pandas, the validator, the engine) is imported inside each command, and the
heaviest commands are registered with `lazy_command`: `timeline --help` loads none of it, and
`timeline add` only what it needs (docs/performance.md, "Command start-up"). The others are
registered with `command`, so typer builds only the command that runs.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from timeline.cli.kit import Boundary, DataOption, command, fail, fail_unwritten, lazy_command, report, warn
from timeline.domain import errors, taxonomy
from timeline.storage import paths

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from timeline.domain.validation import Problem

APP_SETTINGS = {
    "cls": Boundary,
    "help": "Maintain the conflict-timeline dataset: validate, add, append, diff, stats, synth.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    # Plain click help and usage errors: typer's Rich renderer imports Rich's markdown,
    # syntax and traceback modules, about 0.2 s of `timeline --help` (docs/performance.md).
    "rich_markup_mode": None,
}
app = typer.Typer(**APP_SETTINGS)

MAX_SYNTH_EVENTS = 50_000_000
"""A synthetic file is built in memory (about 200 bytes an event); a folder of parts is not."""
MAX_PARTS_EVENTS = 10_000_000_000


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar=errors.DEBUG_ENV,
            help=f"Show Python tracebacks instead of one-line errors (also {errors.DEBUG_ENV}=1).",
        ),
    ] = False,
) -> None:
    """Maintain the conflict-timeline dataset: validate, add, append, diff, stats, synth."""


PathArgument = Annotated[
    Path | None, typer.Argument(help="Dataset file (default data/events.parquet, or $TIMELINE_DATA).")
]


def _dataset_path(path: Path | None) -> Path:
    return path if path is not None else paths.default_path()


@command(app)
def validate(path: PathArgument = None) -> None:
    """Check a dataset (.parquet file or folder of parts) or a file of rows (.csv/.json/.jsonl)
    against every rule."""
    from timeline.domain import rowfiles
    from timeline.domain.validation import PROBLEMS_PER_RULE, check
    from timeline.storage import parts, store, tempfiles

    path = _dataset_path(path)
    try:
        if path.suffix.lower() == ".parquet" or path.is_dir():
            problems, rows = _validate_dataset(path)
            if not path.is_dir():
                warn(
                    [
                        f"stale temp file {t.describe()}"
                        for t in tempfiles.leftovers(store.dataset_target(path))
                    ]
                )
        else:
            raw = rowfiles.read_rows(path)
            raw, _ = store.with_append_defaults(raw)
            problems, rows = check(raw, PROBLEMS_PER_RULE)[1], len(raw)
    except (store.DatasetError, rowfiles.InputError, parts.PartsError) as err:
        fail(str(err))
    if problems:
        report(problems, f"{path} is not valid")
    typer.echo(f"{path}: {rows:,} rows, all valid")


def _validate_dataset(path: Path) -> tuple[list[Problem], int]:
    """Every rule, file by file (a folder's parts checked in chunks, `_chunks`, each part's
    problems its own, naming it), and ids unique across all of them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from timeline.domain.schema import DERIVED_COLUMNS, Col, from_arrow
    from timeline.domain.validation import PROBLEMS_PER_RULE, Problem, stored_nan
    from timeline.domain.vectorised import check_parts
    from timeline.storage import datasets, store

    problems: list[Problem] = []
    ids, rows = [], 0
    several = path.is_dir()
    tables = (
        (name, table.drop_columns([c for c in DERIVED_COLUMNS if c in table.column_names]))
        for name, table in datasets.tables(path)
    )
    for chunk in _chunks(tables):  # one chunk of parts in memory at a time, and the ids
        rules = check_parts(
            from_arrow(pa.concat_tables(t for _, t in chunk)),
            [t.num_rows for _, t in chunk],
            PROBLEMS_PER_RULE,
        )
        for (name, table), found_by_rules in zip(chunk, rules, strict=True):
            found = store.schema_problems(table) + stored_nan(table, PROBLEMS_PER_RULE)[1] + found_by_rules
            problems += [replace(p, reason=f"{p.reason} (in {name})") if several else p for p in found]
            if str(Col.EVENT_ID) in table.column_names:
                ids.append(table.column(str(Col.EVENT_ID)))
            rows += table.num_rows
    if several and ids:
        counts = pc.value_counts(pa.chunked_array([c for i in ids for c in i.chunks], pa.string()))
        repeated = counts.filter(pc.greater(counts.field("counts"), 1))
        problems += [
            Problem(f"duplicate event_id (appears in {c['counts']} rows of the dataset)", event_id=c["values"],
                    column=str(Col.EVENT_ID))
            for c in repeated.to_pylist()[:PROBLEMS_PER_RULE]
        ]  # fmt: skip
    return problems, rows


CHECKED_TOGETHER_ROWS = 100_000
"""Most rows of a folder's parts checked in one call (`check_parts`): a check has a fixed
cost of some 40 ms a call (pandas' per-operation overhead over 28 columns), so 91 small parts
checked one by one cost 3 s more than in one call; the bound keeps a chunk's memory small."""


def _chunks(tables: Iterable[tuple[str, pa.Table]]) -> Iterator[list[tuple[str, pa.Table]]]:
    """Consecutive parts with one schema (so they concatenate), up to
    `CHECKED_TOGETHER_ROWS` rows a chunk, each read when the one before is done."""
    chunk: list[tuple[str, pa.Table]] = []
    size = 0
    for name, table in tables:
        if chunk and (
            not chunk[0][1].schema.equals(table.schema) or size + table.num_rows > CHECKED_TOGETHER_ROWS
        ):
            yield chunk
            chunk, size = [], 0
        chunk.append((name, table))
        size += table.num_rows
    if chunk:
        yield chunk


CreateOption = Annotated[
    bool,
    typer.Option("--create", help="Start a new dataset file at --data if there is none (never implied)."),
]


def _check_target(path: Path, create: bool) -> None:
    """A missing dataset is only created on request: a mistyped --data must not start a new
    dataset beside the real one (the same rule as `import --into`)."""
    from timeline.storage import store

    target = store.dataset_target(path)
    if not create and not target.exists() and not target.is_symlink():
        fail(
            f"{path}: no such dataset file. To start a new dataset there, run the command again "
            "with --create; nothing was written"
        )


def _append(path: Path, raw: pd.DataFrame, dataset: str, create: bool, action: str = "append") -> None:
    from timeline import service  # every write is logged, as the OS user
    from timeline.domain.validation import ValidationFailed
    from timeline.storage import history, store

    try:  # either layout, logged in the change log beside it (docs/editing.md)
        result, _ = service.append_rows(
            path, raw, history.cli_user(), dataset=dataset, create=create, action=action
        )
    except ValidationFailed as err:
        report(err.problems, f"nothing was written to {path}")
    except store.DatasetError as err:
        fail_unwritten(err)
    warn(result.warnings)
    kept = f"; previous version kept as {result.backup}" if result.backup else ""
    typer.echo(f"appended {result.added:,} event(s) to {path} ({result.total:,} rows{kept})")


@command(app)
def append(
    file: Annotated[Path, typer.Argument(help="Rows to add: .csv (lists ';'-separated), .json or .jsonl.")],
    data: DataOption = paths.DEFAULT_PATH,
    dataset: Annotated[
        str, typer.Option(help="Origin label for rows without a dataset column.")
    ] = taxonomy.DATASETS_CURATED,
    create: CreateOption = False,
) -> None:
    """Validate a file of rows and append them all, or none, to the dataset."""
    from timeline.domain import rowfiles

    _check_target(data, create)
    try:
        raw = rowfiles.read_rows(file)
    except rowfiles.InputError as err:
        fail(f"{err}; nothing was written")
    _append(data, raw, dataset, create)


@command(app)
def add(
    title: Annotated[str, typer.Option(help="Headline in your own words.")],
    event_type: Annotated[str, typer.Option("--type", help="Event type, e.g. drone_attack.")],
    outlet: Annotated[str, typer.Option(help="Source outlet.")],
    confidence: Annotated[str, typer.Option(help="confirmed, reported or claimed.")],
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (default: start).")] = None,
    precision: Annotated[str, typer.Option(help="day, week, month or year.")] = "day",
    when: Annotated[
        str | None,
        typer.Option(
            help="Reported phrase ('Monday night', 'last week'); sets the dates honestly from --as-of."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Date the phrase is relative to (default: --published).")
    ] = None,
    date_text: Annotated[str | None, typer.Option(help="Date phrase as reported (default: --when).")] = None,
    event_id: Annotated[str | None, typer.Option("--id", help="Slug (default: start date + title).")] = None,
    summary: Annotated[str | None, typer.Option()] = None,
    actor: Annotated[list[str] | None, typer.Option(help="Repeat for each actor.")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO alpha-3; repeat for each.")] = None,
    initiator: Annotated[
        list[str] | None, typer.Option(help="ISO alpha-3 of the side that acted (required for strikes).")
    ] = None,
    key_label: Annotated[
        str | None, typer.Option(help="Marks a key event: its short call-out label.")
    ] = None,
    location: Annotated[
        str | None, typer.Option(help="Place; placed by the gazetteer if no --lat/--lon.")
    ] = None,
    lat: Annotated[float | None, typer.Option()] = None,
    lon: Annotated[float | None, typer.Option()] = None,
    count: Annotated[int | None, typer.Option(help="Headline number (launched, troops, ...).")] = None,
    unit: Annotated[str | None, typer.Option(help="Count unit, e.g. drones.")] = None,
    intercepted: Annotated[int | None, typer.Option()] = None,
    weapon: Annotated[str | None, typer.Option()] = None,
    url: Annotated[str | None, typer.Option(help="Source URL.")] = None,
    published: Annotated[str | None, typer.Option(help="Source publication date, YYYY-MM-DD.")] = None,
    other_source: Annotated[list[str] | None, typer.Option(help="Further source URL; repeatable.")] = None,
    dataset: Annotated[str, typer.Option()] = taxonomy.DATASETS_CURATED,
    data: DataOption = paths.DEFAULT_PATH,
    create: CreateOption = False,
) -> None:
    """Append one event given as flags (validated like any other row). A named --location
    without --lat/--lon is placed by the offline gazetteer, at the precision it supports."""
    import pandas as pd

    from timeline.domain import entry

    _check_target(data, create)
    for flag, number in (("--lat", lat), ("--lon", lon)):
        if number is not None and not math.isfinite(number):
            fail(f"{flag} {number}: not a finite number; nothing was written", code=2)
    given = entry.Entry(
        title=title, event_type=event_type, outlet=outlet, confidence=confidence, start=start, end=end,
        precision=precision, when=when, as_of=as_of, date_text=date_text, event_id=event_id, summary=summary,
        key_label=key_label, actors=actor or [], countries=country or [], initiators=initiator or [],
        location=location, latitude=lat, longitude=lon, count=count, unit=unit, intercepted=intercepted,
        weapon=weapon, url=url, published=published, other_sources=other_source or [], dataset=dataset,
    )  # fmt: skip
    raw, notes, problems = entry.row(given)
    if problems:
        flags = {"as_of": "--as-of", "source_published": "--published", "date_text": "--when",
                 "date_start": "--start", "date_end": "--end", "latitude": "--lat", "longitude": "--lon"}  # fmt: skip
        fail([f"{flags.get(p.column, p.column)}{f' {p.value!r}' if p.value else ''}: {p.reason}" for p in problems]
             + ["nothing was written"])  # fmt: skip
    for note in notes:
        typer.echo(note, err=True)
    _append(data, pd.DataFrame([raw], dtype=object), dataset, create, "add")


def _load(path: Path) -> pd.DataFrame:
    from timeline.storage import datasets, store

    try:
        return datasets.load(path)
    except store.DatasetError as err:
        fail(str(err))


@command(app, "diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="Earlier dataset (.parquet).")],
    new: Annotated[Path, typer.Argument(help="Later dataset (.parquet).")],
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    ignore: Annotated[
        list[str] | None, typer.Option(help="Column to leave out of the comparison; repeatable.")
    ] = None,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when the datasets differ.")] = False,
) -> None:
    """Added, removed and changed rows (field by field) between two dataset versions."""
    from timeline.domain.schema import COLUMNS
    from timeline.storage import diff

    if output not in ("text", "json"):
        fail(f"--format {output!r}: choose text or json", code=2)
    unknown = [c for c in ignore or [] if c not in COLUMNS]
    if unknown:
        fail(f"--ignore {', '.join(unknown)}: not a column", code=2)
    result = diff.compare(_load(old), _load(new), ignore=tuple(ignore or ()))
    typer.echo(diff.format_text(result) if output == "text" else diff.format_json(result))
    if exit_code and not result.empty:
        raise typer.Exit(1)


@command(app, "stats")
def stats_command(path: PathArgument = None) -> None:
    """Rows, date range and counts per type, precision, confidence and dataset (a query: a
    folder of 100 million events is not loaded)."""
    from timeline import stats
    from timeline.engine import EngineError, open_engine
    from timeline.storage import store

    try:
        found = stats.compute(open_engine(_dataset_path(path)))
    except (store.DatasetError, EngineError) as err:
        fail(str(err))
    typer.echo(stats.format_text(found))


@command(app)
def dump(path: PathArgument = None) -> None:
    """The dataset as CSV sorted by event_id (a textconv for `git diff`, see README)."""
    from timeline.domain.schema import COLUMNS, Col
    from timeline.storage import diff

    df = _load(_dataset_path(path)).sort_values(str(Col.EVENT_ID))
    out = df.copy()
    for col in COLUMNS:
        out[col] = df[col].map(diff.display)
    out.to_csv(sys.stdout, index=False)


def _progress_line(line: str) -> None:
    """A progress line on stderr when it is a terminal; a log or a pipe gets only the result."""
    if sys.stderr.isatty():
        typer.echo(line, err=True)


@command(app, "synth")
def synth_command(
    events: Annotated[int, typer.Option(min=1, max=MAX_PARTS_EVENTS, help="How many events.")],
    out: Annotated[
        Path, typer.Option(help="A .parquet file, or a new folder for a partitioned dataset (any size).")
    ],
    seed: Annotated[int, typer.Option(min=0, help="Random seed (same seed, same data).")] = 0,
) -> None:
    """Write a synthetic dataset in the event schema, for tests and benchmarks: one file, or
    a folder of parts written month by month, so 100 million events need the memory of one."""
    from timeline import synth
    from timeline.storage import parts, store

    if out.suffix.lower() != ".parquet":
        try:
            manifest = synth.write_parts(events, out, seed=seed, say=_progress_line)
        except (parts.PartsError, OSError) as err:
            fail(f"--out {err}; nothing was written")
        typer.echo(f"wrote {manifest.rows:,} synthetic events to {out} ({len(manifest.parts)} parts)")
        return
    if events > MAX_SYNTH_EVENTS:
        fail(
            f"--events {events:,}: a single file holds at most {MAX_SYNTH_EVENTS:,}; give a folder as --out",
            code=2,
        )
    try:
        target = store.dataset_target(out)
        if target == store.dataset_target(store.DEFAULT_PATH):
            fail(f"refusing to write synthetic events to {out}: pick another --out")
        store.check_writable(target)
    except store.DatasetError as err:
        fail(f"--out {err}")
    try:
        synth.write(events, target, seed=seed)  # a symlink's target: the link stays a link
    except OSError as err:
        fail(f"--out {out}: could not write it: {errors.hint(err)}; nothing was written")
    typer.echo(f"wrote {events:,} synthetic events to {out}")


@command(app, "compact")
def compact_command(
    path: Annotated[Path, typer.Argument(help="A partitioned dataset folder.")],
) -> None:
    """Merge each month's small parts of a partitioned dataset (one atomic manifest change),
    and write the dashboard's rollups and word indexes of any part written before they existed."""
    from timeline.storage import parts, rollups, store, words

    try:
        with store.locked(parts.manifest_path(path)):
            before, after = parts.compact(path)
            rolled = rollups.write_missing(path)
            words.write_missing(path)
    except parts.PartsError as err:
        fail(str(err))
    done = f"; {rolled:,} part(s) rolled up for the dashboard" if rolled else ""
    typer.echo(f"{path}: {before:,} parts -> {after:,}{done}")


@command(app, "to-parts")
def to_parts(
    path: Annotated[Path, typer.Argument(help="A dataset file (.parquet).")],
    out: Annotated[Path, typer.Argument(help="A new folder for the partitioned dataset.")],
) -> None:
    """Copy a dataset file into a new folder of parts, whose appends write only the new rows
    (the file is left as it is; its change log stays with it)."""
    from timeline.storage import parts, store

    if path.is_dir() or not path.exists():
        fail(f"{path}: not a dataset file (a folder is partitioned already)")
    try:
        with store.locked(path):  # no writer changes the file while it is copied
            manifest = parts.create_from(out, store.read_schema_table(path))
    except (store.DatasetError, parts.PartsError) as err:
        fail(str(err))
    except OSError as err:
        fail(f"{out}: could not write it: {errors.hint(err)}")
    typer.echo(f"wrote {manifest.rows:,} events from {path} to {out} ({len(manifest.parts)} parts)")


@command(app, "migrate")
def migrate_command(
    path: PathArgument = None,
    decide: Annotated[
        Path | None,
        typer.Option(help="CSV of event_id,initiator_countries for strikes no rule decides."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")] = False,
) -> None:
    """Upgrade a schema v1 dataset to v2 by the rules in docs/schema.md; nothing is written
    while a strike's launching side is undecided."""
    from timeline.domain.validation import ValidationFailed
    from timeline.storage import migrate, store

    path = _dataset_path(path)
    try:
        decisions = migrate.read_decisions(decide) if decide else {}
        result = migrate.migrate(path, decisions, dry_run=dry_run)
    except ValidationFailed as err:
        report(err.problems, f"nothing was written to {path}")
    except store.DatasetError as err:
        fail(str(err))
    for rule, n in result.rules.items():
        typer.echo(f"{n:,} row(s): {rule}")
    if result.undecided:
        lines = [f"{i}: {title!r} (countries {', '.join(c) or 'none'})" for i, title, c in result.undecided]
        fail([*lines, f"{len(result.undecided)} strike(s) name no launching side that a rule can decide; "
              "give them in --decide FILE (event_id,initiator_countries); nothing was written"])  # fmt: skip
    typer.echo(
        f"{'dry run: would migrate' if dry_run else 'migrated'} {len(result.frame):,} rows of {path} to schema v2"
    )


@lazy_command(
    app,
    "import",
    help="Import an ACLED, UCDP GED, GDELT 2.0, Air Force tallies or mapped CSV file (docs/importing.md).",
)
def _import() -> Any:
    from timeline.cli.importing import import_command

    return import_command


from timeline.cli.history import register as register_history  # noqa: E402

register_history(app)  # history, revert, rebuild


@lazy_command(app, "export", help="Export charts (PNG/SVG/PDF/HTML) and filtered data (CSV/XLSX/Parquet).")
def _export() -> Any:
    """Built when it runs, so its flags are the view registry's as it stands then."""
    from timeline.cli.export import build_export_command

    return build_export_command()


from timeline.cli.story import validate_story  # noqa: E402

command(app, "validate-story")(validate_story)

from timeline.cli.match import incidents_command, match_command  # noqa: E402  (light: loads when run)

command(app, "match")(match_command)
command(app, "incidents")(incidents_command)


def build_app() -> typer.Typer:
    """The command as the view registry stands now (export's flags come from it)."""
    return app  # export is built when it runs (`lazy_command`), from the registry as it is then


def main() -> None:
    app()


if __name__ == "__main__":
    main()
