"""A dataset rebuilt from the change log: an earlier version of it plus the changes logged
since (`timeline rebuild`), as the writers made them. The log itself is `history`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.domain.schema import ARROW_SCHEMA, COLUMNS, Col, to_arrow
from timeline.domain.validation import coerce
from timeline.storage.history import EXTERNAL, VOID, Change, Values, file_digest, read, read_rows, rows_of


class ReplayError(Exception):
    """The log cannot take a dataset version forward (a change outside the log, a missing
    rows file)."""


def position(table: pa.Table, event_id: str) -> int | None:
    index = pc.index(table.column(str(Col.EVENT_ID)), pa.scalar(event_id, pa.string())).as_py()
    return None if index is None or index < 0 else int(index)


def table_of(values: Iterable[Values]) -> pa.Table:
    """Rows of JSON values as a table in the schema (values already checked when logged)."""
    frame, problems = coerce(pd.DataFrame(list(values), columns=list(COLUMNS), dtype=object))
    if problems:
        raise ReplayError("; ".join(str(p) for p in problems[:3]))
    return to_arrow(frame)


def without(table: pa.Table, ids: Iterable[str]) -> pa.Table:
    ids = list(ids)
    if not ids:
        return table
    gone = pc.is_in(table.column(str(Col.EVENT_ID)), value_set=pa.array(ids, pa.string()))
    return table.filter(pc.invert(gone))


def apply_one(table: pa.Table, event_id: str, before: Values | None, after: Values | None) -> pa.Table:
    """One event's change on a table: added at the end, removed, or its fields replaced in
    place (the row keeps its position)."""
    pos = position(table, event_id)
    if before is None:
        if pos is not None:
            raise ReplayError(f"{event_id}: added, but already in the dataset")
        return pa.concat_tables([table, table_of([after or {}])])
    if pos is None:
        raise ReplayError(f"{event_id}: changed or removed, but not in the dataset")
    if after is None:
        return pa.concat_tables([table.slice(0, pos), table.slice(pos + 1)])
    current = rows_of(table.slice(pos, 1))[0]
    row = table_of([current | after])
    return pa.concat_tables([table.slice(0, pos), row, table.slice(pos + 1)])


def apply(table: pa.Table, change: Change, dataset: Path) -> pa.Table:
    """A logged change on a table in the schema, as the writer made it."""
    if change.marker:
        if change.action == EXTERNAL:
            raise ReplayError(
                f"change {change.change_id}: the dataset was changed outside the log here; rebuild "
                "from a version written after it"
            )
        return table
    if change.event_id is not None:
        return apply_one(table, change.event_id, change.before, change.after)
    batch = change.batch or {}
    try:
        rows = read_rows(dataset, batch["rows"]) if batch.get("rows") else ARROW_SCHEMA.empty_table()
    except (OSError, pa.ArrowInvalid) as err:
        raise ReplayError(f"change {change.change_id}: its rows file cannot be read ({err})") from err
    removed = [*batch.get("removed", []), *rows.column(str(Col.EVENT_ID)).to_pylist()]
    return pa.concat_tables([without(table, removed), rows])


def replay(base: pa.Table, changes: Iterable[Change], dataset: Path) -> pa.Table:
    """`base` (a version of the dataset) with `changes` applied in order."""
    table = base.select(list(COLUMNS)).cast(ARROW_SCHEMA)
    for change in changes:
        table = apply(table, change, dataset)
    return table


def changes_since(dataset: Path, base_digest: str) -> list[Change]:
    """The effective changes after the dataset version whose SHA-256 is `base_digest`:
    after the last line that left the dataset in that version (or, for the version before
    the first logged change, all of them). Raises ReplayError if the log never had it."""
    log = read(dataset)
    gone = log.voided()
    start: int | None = None
    for i, change in enumerate(log.changes):
        if change.change_id in gone:
            continue
        if change.dataset_after == base_digest:
            start = i + 1
    if start is None:
        first = next((c for c in log.changes if c.change_id not in gone), None)
        if first is None or first.dataset_before != base_digest:
            raise ReplayError(
                "this version of the dataset is not in the log: give a version it recorded "
                "(the .bak of a logged write, or a copy taken after one)"
            )
        start = 0
    later = log.changes[start:]
    return [c for c in later if c.change_id not in gone and c.action != VOID]


def rebuild(dataset: Path, base: Path) -> tuple[pa.Table, list[Change]]:
    """The dataset rebuilt from an earlier version of it (`base`) and the log: the table and
    the changes applied."""
    digest = file_digest(base)
    if digest is None:
        raise ReplayError(f"{base}: no such file")
    changes = changes_since(dataset, digest)
    return replay(pq.read_table(base), changes, dataset), changes
