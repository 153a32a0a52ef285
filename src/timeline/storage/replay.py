"""A dataset rebuilt from the change log: an earlier version of it plus the changes logged
since (`timeline rebuild`), as the writers made them. The log itself is `history`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.schema import ARROW_SCHEMA, COLUMNS, Col, to_arrow
from timeline.domain.validation import coerce
from timeline.storage import datasets
from timeline.storage.history import EXTERNAL, VOID, Change, Values, read, read_rows, rows_of


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


class _Replay:
    """The changes applied in order, with each event's new values kept as JSON until the end
    and then coerced in one call: `coerce` costs about 50 ms on any frame, so once per
    change made a long log's rebuild slow, once per rebuild does not. A pending event keeps
    a stand-in row (its old values, or only its id when added) where its row will go."""

    def __init__(self, base: pa.Table, dataset: Path) -> None:
        self.table = base.select(list(COLUMNS)).cast(ARROW_SCHEMA)
        self.dataset = dataset
        self.pending: dict[str, Values] = {}
        """event_id -> its values after the changes so far (not yet coerced)."""

    def apply_one(self, event_id: str, before: Values | None, after: Values | None) -> None:
        """One event's change: added at the end, removed, or its fields replaced in place
        (the row keeps its position)."""
        table = self.table
        pos = position(table, event_id)
        if before is None:
            if pos is not None:
                raise ReplayError(f"{event_id}: added, but already in the dataset")
            self._stand_in(table, None, dict.fromkeys(COLUMNS) | (after or {}))
            return
        if pos is None:
            raise ReplayError(f"{event_id}: changed or removed, but not in the dataset")
        current = self.pending.pop(event_id, None) or rows_of(table.slice(pos, 1))[0]
        if after is None:
            self.table = pa.concat_tables([table.slice(0, pos), table.slice(pos + 1)])
            return
        self._stand_in(table, pos, current | after)

    def _stand_in(self, table: pa.Table, pos: int | None, values: Values) -> None:
        """Where the event's row goes: its old row at `pos` (or a new last row, all nulls)
        under the id it has now; its values wait in `pending`."""
        event_id = values.get(str(Col.EVENT_ID))
        id_at = ARROW_SCHEMA.get_field_index(str(Col.EVENT_ID))
        ids = pa.array([event_id], pa.string())
        if pos is None:
            nulls = [pa.nulls(1, t) for t in ARROW_SCHEMA.types]
            row = pa.Table.from_arrays([*nulls[:id_at], ids, *nulls[id_at + 1 :]], schema=ARROW_SCHEMA)
            self.table = pa.concat_tables([table, row])
        else:
            row = table.slice(pos, 1).set_column(id_at, ARROW_SCHEMA.field(id_at), ids)
            self.table = pa.concat_tables([table.slice(0, pos), row, table.slice(pos + 1)])
        self.pending[event_id] = values

    def apply(self, change: Change) -> None:
        """A logged change, as the writer made it."""
        if change.marker:
            if change.action == EXTERNAL:
                raise ReplayError(
                    f"change {change.change_id}: the dataset was changed outside the log here; "
                    "rebuild from a version written after it"
                )
            return
        if change.event_id is not None:
            self.apply_one(change.event_id, change.before, change.after)
            return
        batch = change.batch or {}
        try:
            rows = read_rows(self.dataset, batch["rows"]) if batch.get("rows") else ARROW_SCHEMA.empty_table()
        except (OSError, pa.ArrowInvalid) as err:
            raise ReplayError(f"change {change.change_id}: its rows file cannot be read ({err})") from err
        removed = [*batch.get("removed", []), *rows.column(str(Col.EVENT_ID)).to_pylist()]
        for event_id in removed:
            self.pending.pop(event_id, None)
        self.table = pa.concat_tables([without(self.table, removed), rows])

    def result(self) -> pa.Table:
        """The table with every pending event's values coerced (all in one call) in place of
        its stand-in."""
        if not self.pending:
            return self.table
        frame, problems = coerce(
            pd.DataFrame(list(self.pending.values()), columns=list(COLUMNS), dtype=object)
        )
        if problems:  # the error a one-row coercion gives, for the first row with a problem
            first = min((p.row for p in problems if p.row is not None), default=1)
            table_of([list(self.pending.values())[first - 1]])
            raise ReplayError("; ".join(str(p) for p in problems[:3]))
        rows = to_arrow(frame)
        n = self.table.num_rows
        where = {event_id: n + i for i, event_id in enumerate(self.pending)}
        ids = self.table.column(str(Col.EVENT_ID)).to_pylist()
        take = [where.get(event_id, i) for i, event_id in enumerate(ids)]
        return pa.concat_tables([self.table, rows]).take(pa.array(take, pa.int64()))


def replay(base: pa.Table, changes: Iterable[Change], dataset: Path) -> pa.Table:
    """`base` (a version of the dataset) with `changes` applied in order."""
    state = _Replay(base, dataset)
    for change in changes:
        state.apply(change)
    return state.result()


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
    """The dataset rebuilt from an earlier version of it (`base`: a copy of the file, or of
    the folder of parts with its manifest) and the log: the table and the changes applied."""
    source = datasets.at(base)
    digest = source.digest()
    if digest is None:
        what = "no manifest in that folder" if source.layout == "parts" else "no such file"
        raise ReplayError(f"{base}: {what}")
    changes = changes_since(dataset, digest)
    return replay(source.scan(), changes, dataset), changes
