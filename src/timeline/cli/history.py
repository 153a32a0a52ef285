"""`timeline history`, `timeline revert` and `timeline rebuild`: the change log from the
command line (`timeline.storage.history`, docs/editing.md). The library is imported when a command
runs, not when `timeline` starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from timeline.cli.kit import DataOption, command, fail, fail_unwritten, report, warn
from timeline.domain import errors
from timeline.storage import paths

if TYPE_CHECKING:
    import pyarrow as pa


def history_command(
    event_id: Annotated[str | None, typer.Argument(help="Only the changes of this event.")] = None,
    data: DataOption = paths.DEFAULT_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per change, as logged.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show the newest N changes.")] = 1_000,
) -> None:
    """Who changed what, when and why: every logged change, oldest first (or one event's)."""
    from timeline import service
    from timeline.storage import datasets, history, store

    try:  # a file, or a folder of parts: the log is beside either
        datasets.at(data).check_readable()
    except store.DatasetError as err:
        fail(str(err))
    log = history.read(data, event_id)
    where = history.log_path(data)
    warn([f"{where}: line {n} cannot be read (a write interrupted while it was logged); skipped"
          for n in log.damaged])  # fmt: skip
    changes = log.changes[-limit:]
    if as_json:
        for change in changes:
            typer.echo(json.dumps(change.as_json(), ensure_ascii=True))
        return
    if not changes:
        if event_id is None:
            typer.echo(f"{data}: no changes logged yet ({where} does not exist or is empty)")
            return
        known = service.current(data, event_id) is not None
        if not known:
            fail(f"{event_id}: no such event in {data}, and no logged change of it")
        typer.echo(f"{event_id}: no logged changes (it was in {data} before the log began)")
        return
    if len(log.changes) > len(changes):
        typer.echo(f"(the newest {len(changes):,} of {len(log.changes):,} changes; --limit shows more)")
    for change in changes:
        for line in history.describe_change(change, event_id):
            typer.echo(history.printable(line))


def revert_command(
    change_id: Annotated[str, typer.Argument(help="The change to undo (its id, or an unambiguous start).")],
    reason: Annotated[str, typer.Option(help="Why it is undone (required; logged).")],
    data: DataOption = paths.DEFAULT_PATH,
) -> None:
    """Undo one logged change by writing its opposite, checked like any other change."""
    from timeline import service
    from timeline.domain.validation import ValidationFailed
    from timeline.storage import history, store

    try:
        saved = service.revert(data, change_id, history.cli_user(), reason)
    except ValidationFailed as err:
        report(err.problems, f"nothing was written to {data}")
    except (service.Refused, service.Conflict, store.DatasetError) as err:
        fail_unwritten(err)
    warn(saved.warnings)
    for line in history.describe_change(saved.change):
        typer.echo(history.printable(line))
    typer.echo(f"reverted {saved.change.reverts} as change {saved.change.change_id}")


def rebuild_command(
    base: Annotated[
        Path,
        typer.Argument(help="An earlier version of the dataset (e.g. its .bak, or a copy of its folder)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Where to write the rebuilt dataset (never the dataset itself; a new folder for a folder)."
        ),
    ],
    data: DataOption = paths.DEFAULT_PATH,
) -> None:
    """Rebuild the dataset from an earlier version of it and the change log, into --out."""
    from timeline.domain.schema import from_arrow
    from timeline.storage import datasets, diff, replay, store

    target = store.dataset_target(data)
    if store.dataset_target(out) in (target, store.dataset_target(base)):
        fail(
            f"--out {out}: would overwrite the dataset or the version it starts from; nothing was written",
            code=2,
        )
    try:
        datasets.at(base).check_readable()
        table, changes = replay.rebuild(data, base)
    except replay.ReplayError as err:
        fail(f"{base}: {err}; nothing was written")
    except store.DatasetError as err:
        fail(str(err))
    _write_rebuilt(table, out, folder=datasets.layout_of(data) == "parts")
    typer.echo(f"wrote {out}: {base} with {len(changes):,} logged change(s), {table.num_rows:,} rows")
    if target.exists():
        found = diff.compare(from_arrow(datasets.at(data).scan()), from_arrow(table))
        same = "the same rows as" if found.empty else "rows that differ from"
        typer.echo(
            f"{out} holds {same} {data}"
            + ("" if found.empty else f" ({diff.format_text(found).splitlines()[0]})")
        )


def _write_rebuilt(table: pa.Table, out: Path, *, folder: bool) -> None:
    """The rebuilt rows in the dataset's own layout: a file, or a new folder of parts."""
    from timeline.storage import parts, store

    try:
        if folder:
            parts.create_from(out, table)
        else:
            store.check_writable(store.dataset_target(out))
            store.write_table_atomic(table, store.dataset_target(out))
    except (store.DatasetError, parts.PartsError) as err:
        fail_unwritten(err)
    except OSError as err:
        fail(f"{out}: could not write it: {errors.hint(err)}")


def register(app: typer.Typer) -> None:
    command(app, "history")(history_command)
    command(app, "revert")(revert_command)
    command(app, "rebuild")(rebuild_command)
