"""`timeline import`: bring an ACLED, UCDP, GDELT, Air Force or mapped CSV file into a dataset.

A thin shell over `importers.pipeline.run` (read, map, validate) and `store.upsert` (write):
flags are checked before anything is read, the summary goes to stdout, progress and
problems to stderr, and a failed import leaves the dataset and the rejects file untouched.
The importers, pandas and the dataset modules are imported when the command runs, not when
the `timeline` command starts (`timeline --help` need not load them).
"""

from __future__ import annotations

import codecs
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from timeline.cli.kit import fail, fail_unwritten, report, warn

if TYPE_CHECKING:
    from timeline.importers import base, pipeline, rejects
    from timeline.storage import spill as spilling

CSV = "csv"
FORMAT_NAMES = ("acled", "ucdp", "gdelt", "missile-attacks", CSV)
"""The --format values (`formats()` holds all but csv; a test keeps them in step)."""
DATE_FORMATS = ("acled", "ucdp")
"""The formats whose dates --date-format reads (those with `Format.date_columns`)."""
DEFAULT_CHUNK_ROWS = 100_000
"""`base.DEFAULT_CHUNK_ROWS`, here so that the flag's default needs no pandas."""


def formats() -> dict[str, base.Format]:
    """The built-in formats by --format name."""
    return {name: format_named(name) for name in FORMAT_NAMES if name != CSV}


def format_named(name: str) -> base.Format:
    """The built-in format `name`, its module alone imported (an import needs one of them)."""
    import importlib

    return importlib.import_module(f"timeline.importers.{name.replace('-', '_')}").FORMAT


DUPLICATE_MODES = ("reject", "suffix")
PROGRESS_AFTER = 2.0
"""Seconds an import runs before its progress bar appears (shorter ones stay quiet)."""


class ProgressBar:
    """Rows read, rows a second and the time left, on stderr when it is a terminal and the
    import has run for `PROGRESS_AFTER` seconds; nothing at all otherwise (logs, pipes)."""

    def __init__(self, label: str, terminal: bool | None = None):
        self.label = label
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.started = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, rows: int, share: float) -> None:
        if not self.terminal:
            return
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.fields[rows]:,} rows, {task.fields[speed]:,.0f} rows/s"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=1.0, rows=0, speed=0.0)
        speed = rows / max(time.monotonic() - self.started, 1e-9)
        self.bar.update(self.task, completed=share, rows=rows, speed=speed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _usage(message: str) -> None:
    fail(message, code=2)


def _check_flags(
    fmt: str,
    mapping: Path | None,
    into: Path | None,
    out: Path | None,
    options: base.Options,
) -> None:
    if fmt not in FORMAT_NAMES:
        _usage(f"--format {fmt!r}: choose one of {', '.join(FORMAT_NAMES)}")
    if into is not None and out is not None:
        _usage("give --into DATASET or --out PATH, not both")
    if into is None and out is None:
        _usage(
            "say where the rows go: --into DATASET (an existing dataset file) or --out PATH (a file of its own)"
        )
    if fmt == CSV and mapping is None:
        _usage("--format csv needs --mapping MAP.toml (see docs/importing.md)")
    if fmt != CSV and mapping is not None:
        _usage("--mapping is only for --format csv")
    if fmt != "gdelt" and (options.cameo_roots or options.countries):
        _usage("--cameo-root and --country select GDELT rows; they are only for --format gdelt")
    if fmt != "missile-attacks" and options.combine:
        _usage("--combine is only for --format missile-attacks")
    for root in options.cameo_roots:
        if not (root.isdigit() and 1 <= len(root) <= 2):
            _usage(f"--cameo-root {root!r}: a CAMEO root code is one or two digits (e.g. 19)")
    from timeline.importers import countries

    for code in options.countries:
        if code not in countries.ISO3:
            _usage(f"--country {code!r}: not an ISO 3166-1 alpha-3 code (e.g. UKR)")
    if options.date_format is not None:
        if fmt not in DATE_FORMATS:
            _usage(f"--date-format is for --format {' or '.join(DATE_FORMATS)}"
                   + ("; a csv mapping says date_format itself" if fmt == CSV else ""))  # fmt: skip
        from timeline.importers import mapped_csv

        why = mapped_csv.date_format_problem(options.date_format)
        if why:
            _usage("--" + why.replace("_", "-", 1))
    if options.encoding is not None:
        try:
            codecs.lookup(options.encoding)
        except LookupError:
            _usage(
                f"--encoding {options.encoding!r}: not a text encoding Python knows (e.g. utf-8, cp1252, utf-16)"
            )
    if options.on_duplicate_id not in DUPLICATE_MODES:
        _usage(f"--on-duplicate-id {options.on_duplicate_id!r}: choose {' or '.join(DUPLICATE_MODES)}")


def _resolve_format(fmt: str, mapping: Path | None) -> base.Format:
    if fmt != CSV:
        return format_named(fmt)
    from timeline.importers import mapped_csv

    assert mapping is not None
    try:
        return mapped_csv.format_for(mapped_csv.load_mapping(mapping))
    except mapped_csv.MappingError as err:  # a bad --mapping, like a bad flag: exit 2
        fail([*err.lines, f"{len(err.lines)} problem(s) in the mapping; nothing was written"], code=2)


def _unwritable(path: Path, *, access: bool = True) -> str | None:
    """Why a file cannot be written at `path` (missing folders are created), or None; with
    `access` false, only whether the path has the shape of a file path (for a dry run)."""
    if path.is_dir():
        return "is a folder, not a file"
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if access and not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create files in {folder}"
    return None


def _target(fmt: base.Format, into: Path | None, out: Path | None, dry_run: bool) -> Path:
    from timeline.storage import parts, store

    if into is not None:
        if into.is_dir() and not parts.manifest_path(into).exists():
            fail(
                f"--into {into}: is a folder, not a dataset file or a partitioned dataset; nothing was written"
            )
        if into.is_dir():
            return into  # a partitioned dataset: new parts, committed in one manifest rename
        if not into.exists():
            fail(f"{into}: no such dataset file (use --out to create a new one); nothing was written")
        target = into
    else:
        assert out is not None
        if out.is_dir():
            fail(
                f"--out {out}: is a folder; give a dataset file in it, e.g. {out / (fmt.name + '.parquet')}; "
                "nothing was written"
            )
        _check_out(fmt, out)
        target = out
    why = _unwritable(target, access=not dry_run)
    if why:
        fail(f"{target}: {why}; nothing was written")
    if not dry_run:  # a read-only dataset file, a link loop: said before the source is read
        try:
            store.check_writable(store.dataset_target(target))
        except store.DatasetError as err:
            fail_unwritten(err)
    return target


def _check_out(fmt: base.Format, out: Path) -> None:
    from timeline.storage import store

    if out.exists():
        try:
            found = store.datasets_in(out)
        except store.DatasetError as err:
            fail(f"{err}; refusing to overwrite it, nothing was written")
        others = {k: v for k, v in found.items() if k != fmt.name}
        if others:
            listed = ", ".join(f"{n:,} {k!r}" for k, v in others.items() for n in [v])
            fail(
                f"{out} holds rows of other datasets ({listed}); --out only updates an earlier "
                f"import of {fmt.name!r}. Use --into {out} to add to it. Nothing was written"
            )


def _rejects_path(rejects: Path | None, file: Path, target: Path, dry_run: bool) -> Path:
    """The rejected rows file, checked: a bad --rejects is a bad flag (exit 2), a default path
    that cannot be used is a target problem (exit 1)."""
    path = rejects or target.parent / f"{file.stem}.rejected.csv"
    what, code = (f"--rejects {path}", 2) if rejects else (f"{path} (the rejected rows; choose --rejects)", 1)
    if path.resolve() in (file.resolve(), target.resolve()):
        fail(f"{what}: would overwrite the input or the dataset; nothing was written", code=code)
    why = _unwritable(path, access=not dry_run)
    if why:
        fail(f"{what}: {why}; nothing was written", code=code)
    return path


def import_command(
    file: Annotated[Path, typer.Argument(help="The file to import.")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMAT_NAMES)}.")],
    mapping: Annotated[Path | None, typer.Option(help="TOML mapping for --format csv.")] = None,
    into: Annotated[
        Path | None, typer.Option(help="Existing dataset file to add the rows to (e.g. data/events.parquet).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Dataset file of its own for these rows (created, or updated).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where to write rejected rows (default: <FILE stem>.rejected.csv beside the dataset)."
        ),
    ] = None,
    cameo_root: Annotated[
        list[str] | None,
        typer.Option(help="GDELT: keep events with this CAMEO root code (e.g. 19); repeatable."),
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option(
            help="GDELT: keep events involving this ISO alpha-3 country (actor or place); repeatable."
        ),
    ] = None,
    combine: Annotated[
        bool, typer.Option("--combine", help="missile-attacks: one event per attack window, models merged.")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Any rejected row fails the import.")] = False,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read per chunk.")] = DEFAULT_CHUNK_ROWS,
    encoding: Annotated[
        str | None, typer.Option(help="The file's text encoding (default: detected), e.g. cp1252, utf-16.")
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(help="ACLED, UCDP: how dates other than YYYY-MM-DD are written, e.g. %d/%m/%Y."),
    ] = None,
    on_duplicate_id: Annotated[
        str,
        typer.Option(help="A different event sharing an earlier row's id: reject it, or suffix its id."),
    ] = "reject",
) -> None:
    """Import an ACLED, UCDP GED, GDELT 2.0, Air Force tallies or mapped CSV file (docs/importing.md)."""
    # Long mostly by its signature: typer declares each option there.
    # Long only by its option declarations above: the steps are the functions below.
    from timeline.importers import base, rejects as rejected_rows
    from timeline.storage import datasets, spill as spilling, store

    options = base.Options(
        cameo_roots=tuple(cameo_root or ()),
        countries=tuple(c.upper() for c in country or ()),
        combine=combine,
        date_format=date_format,
        encoding=encoding,
        on_duplicate_id=on_duplicate_id,
    )
    _check_flags(fmt, mapping, into, out, options)
    source = _resolve_format(fmt, mapping)
    # Everything that can be checked is checked before the file is read: the target, and where
    # the rejected rows will go (a bad path found after the dataset write would lose them).
    target = _target(source, into, out, dry_run)
    rejects_path = _rejects_path(rejects, file, target, dry_run)
    try:
        foreign = datasets.foreign_ids(target, source.name)
    except store.DatasetError as err:
        fail_unwritten(err)
    existed = target.exists()
    sink = rejected_rows.RejectsFile(None if dry_run else rejects_path)
    # The accepted rows are written as the source is read (`storage.spill`), not held whole: a
    # new file, or rows merged into an existing file. A folder of parts takes them as a frame.
    folder = datasets.layout_of(target) == "parts"
    spill = None if folder or dry_run else spilling.Spill(target, source.name, merge=existed)
    try:
        outcome = _read(source, file, options, foreign, sink, chunk_rows, spill)
        if spill is not None:
            spill.wait()  # the last chunk's write, which may fail, before the rejects are kept
        if strict and outcome.rejected:
            fail([*outcome.examples, "--strict: rows were rejected; nothing was written"])
        written = sink.commit()  # before the dataset: never an updated dataset without its rejects
        result = _write(target, outcome, source, file, dry_run, spill)
    except BaseException:
        sink.abandon()  # the previous rejects file, if any, is put back
        raise
    finally:
        if spill is not None:
            spill.discard()  # what a failed import wrote; nothing once the file is in place
    sink.finish()
    _say_written(result, outcome, target, written, existed, dry_run)


def _read(
    source: base.Format,
    file: Path,
    options: base.Options,
    foreign: frozenset[str],
    sink: rejects.RejectsFile,
    chunk_rows: int,
    spill: spilling.Spill | None = None,
) -> pipeline.Outcome:
    """Read, map and check the file (progress on stderr); print the summary and renamed rows."""
    from timeline.domain.errors import InputError
    from timeline.importers import pipeline

    bar = ProgressBar(f"{source.name}: {file.name}")
    try:
        outcome = pipeline.run(
            source, file, options, foreign=foreign, rejects=sink, chunk_rows=chunk_rows,
            say=lambda line: typer.echo(line, err=True), progress=bar,
            spill=None if spill is None else spill.write,
            return_memory=spill is not None and spill.merge,  # a re-import holds the most: at 3x its file
        )  # fmt: skip
    except InputError as err:
        fail_unwritten(err)
    finally:
        bar.close()
    typer.echo(outcome.summary())
    if outcome.renamed:
        shown = outcome.renamed[:100]
        more = len(outcome.renamed) - len(shown)
        for line in ["kept under a derived id (--on-duplicate-id suffix):", *shown,
                     *([f"... and {more:,} more"] if more else [])]:  # fmt: skip
            typer.echo(f"  {line}" if line in shown else line, err=True)
    return outcome


def _write(
    target: Path,
    outcome: pipeline.Outcome,
    source: base.Format,
    file: Path,
    dry_run: bool,
    spill: spilling.Spill | None = None,
) -> Any:
    """Upsert the accepted rows into the target, logged as one change whichever the layout
    (for a new file, the rows `spill` wrote, renamed into place)."""
    from timeline import service
    from timeline.domain.validation import ValidationFailed
    from timeline.storage import history, store

    try:
        who = history.import_user(f"{source.name} {file.name}")  # one batch change (storage.history)
        spilled = spill.close() if spill is not None else None
        rows = spilled if spilled is not None else outcome.checked
        return service.import_rows(target, rows, who, dataset=source.name, dry_run=dry_run)
    except ValidationFailed as err:
        report(err.problems, f"nothing was written to {target}")
    except store.DatasetError as err:
        fail_unwritten(err)


def _say_written(
    result: Any, outcome: pipeline.Outcome, target: Path, written: Path | None, existed: bool, dry_run: bool
) -> None:
    """What the import did to the dataset, or, for --dry-run, would do."""
    from timeline.storage import diff

    warn(result.notes)
    if dry_run:
        if outcome.examples:
            warn(outcome.examples)
        typer.echo(diff.format_text(result.diff))
        typer.echo(f"dry run: nothing was written to {target}")
        return
    if written is not None:
        typer.echo(f"rejected rows: {written}")
    if not existed and not result.written:
        typer.echo(f"{target}: no rows to import; the file was not created")
        return
    kept = f"; previous version kept as {result.backup}" if result.backup else ""
    state = "" if result.written else "; unchanged, not rewritten"
    typer.echo(
        f"{target}: {result.added:,} added, {result.changed:,} changed, {result.unchanged:,} unchanged "
        f"({result.total:,} row{'' if result.total == 1 else 's'}{kept}{state})"
    )
