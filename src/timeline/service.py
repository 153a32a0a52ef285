"""Every change to a dataset, with its history: add, append, import, correct, retract,
restore and revert.

The `timeline` command, the importers and the web editor all write through here, so every
write takes the dataset's lock, is checked by the same rules (`validation.check`), is
written atomically (a `datasets.Dataset` of either layout) and gets its line in the change log
(`timeline.storage.history`) before the new version replaces the old one.

- A correction names the version of the event it was made on (`history.version`, a
  fingerprint of its values). If the event changed since, nothing is written and `Conflict`
  carries the event as it is now, the attempted changes and the changes since.
- A retracted event leaves the dataset file; its values stay in the log, from which
  `restore` brings it back under the same id. Identifiers never change.
- `revert` undoes one logged change by writing its opposite, checked like any other change.

Who may call these is not decided here: the command line writes as the OS user, the web
editor only through `timeline.ui.editor.writes`, which checks the signed-in identity first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import taxonomy
from timeline.domain.errors import UserError
from timeline.domain.schema import ARROW_SCHEMA, COLUMNS, Col, to_arrow
from timeline.domain.validation import Problem, ValidationFailed, check
from timeline.storage import datasets, history, replay, store
from timeline.storage.history import Change, Values, Who, reason_problems as reason_problems

FIXED = (str(Col.EVENT_ID), str(Col.ADDED_AT))
"""Fields a correction never changes: the id is stable, `added_at` is set by the append path."""


class Refused(UserError):
    """A change that cannot be made (an unknown event, an id change, nothing changed, a
    change already reverted); nothing was written."""


class Conflict(UserError):
    """The event changed since the editor opened it; nothing was written."""

    def __init__(self, event_id: str, current: Values | None, attempted: Values, since: list[Change]) -> None:
        self.event_id = event_id
        self.current = current
        self.attempted = attempted
        self.since = since
        last = since[-1] if since else None
        by = f" by {last.who_text} at {last.at}" if last else ""
        what = "was retracted" if current is None else "was changed"
        super().__init__(f"{event_id} {what}{by} after you opened it; nothing was written")


@dataclass
class Saved:
    """What a write did: the change as logged and anything the writer should read."""

    change: Change
    warnings: list[str] = field(default_factory=list)


# --- checks ---------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    problems = reason_problems(reason)
    if problems:
        raise ValidationFailed(problems)
    return (reason or "").strip()


def checked_row(values: Values) -> pa.Table:
    """One row of JSON values through every rule; ValidationFailed names each problem's
    column (the editor shows it beside the field)."""
    frame, problems = check(pd.DataFrame([values], dtype=object))
    if problems:
        raise ValidationFailed(problems)
    return to_arrow(frame)


def canonical(values: Values) -> Values:
    """Values as the dataset would store them (text trimmed, lists parsed, dates ISO)."""
    return history.rows_of(checked_row(values))[0]


def check_new(path: Path, values: Values) -> tuple[list[Problem], list[Values]]:
    """What adding this event (a row from `entry.row`) would meet, without writing: every
    rule's problems (and an id already taken), and similar events (warnings)."""
    raw, _ = store.with_append_defaults(pd.DataFrame([values], dtype=object))
    _, problems = check(raw)
    event_id = values.get(str(Col.EVENT_ID))
    if (
        isinstance(event_id, str)
        and datasets.at(path).exists()
        and current(path, event_id.strip()) is not None
    ):
        problems.append(Problem("event_id already in the dataset", column=str(Col.EVENT_ID), value=event_id))
    return problems, ([] if problems else similar(path, values))


def check_correction(base: Values, values: Values) -> tuple[Values, list[Problem]]:
    """The changes a corrected row (from `entry.row`) makes to the event as it was opened, or
    the problems that stop it (nothing is written here)."""
    merged = base | {k: v for k, v in values.items() if k in COLUMNS and k not in FIXED}
    frame, problems = check(pd.DataFrame([merged], dtype=object))
    if problems:
        return {}, problems
    new = history.rows_of(to_arrow(frame))[0]
    return {k: new[k] for k in COLUMNS if k not in FIXED and new[k] != base.get(k)}, []


# --- reading --------------------------------------------------------------------------------


_position = replay.position


def current(path: Path, event_id: str) -> Values | None:
    """One event's values as the dataset holds them now (None when it is not there)."""
    table = datasets.at(path).scan(filter=pc.field(str(Col.EVENT_ID)) == event_id)
    if not table.num_rows:
        return None
    return history.rows_of(table.select(list(COLUMNS)).cast(ARROW_SCHEMA).slice(0, 1))[0]


def find(path: Path, words: str, limit: int = 200) -> list[tuple[str, str]]:
    """(event_id, label) of the events whose id or title holds every word (any case), newest
    first: how an editor picks the event to correct, in either layout."""
    names = [str(Col.EVENT_ID), str(Col.TITLE), str(Col.DATE_START)]
    table = datasets.at(path).scan(names)
    for word in words.lower().split():
        hay = pc.utf8_lower(pc.binary_join_element_wise(table.column(names[0]), table.column(names[1]), " "))
        table = table.filter(pc.match_substring(hay, word))
    table = table.sort_by([(names[2], "descending"), (names[0], "ascending")]).slice(0, limit)
    return [(r[names[0]], f"{r[names[2]]} · {r[names[1]]} · {r[names[0]]}") for r in table.to_pylist()]


def similar(path: Path, values: Values, limit: int = 5) -> list[Values]:
    """Events that may be this one again: same type, overlapping dates and a shared country
    (or no countries on either side). Warnings for the person adding it, never a rule."""
    dataset = datasets.at(path)
    if not dataset.exists():
        return []
    start, end = (
        values.get(str(Col.DATE_START)),
        values.get(str(Col.DATE_END)) or values.get(str(Col.DATE_START)),
    )
    kind = values.get(str(Col.EVENT_TYPE))
    if not (start and end and kind):
        return []
    names = [
        str(c) for c in (Col.EVENT_ID, Col.DATE_START, Col.DATE_END, Col.EVENT_TYPE, Col.COUNTRIES, Col.TITLE)
    ]
    table = dataset.scan(names)
    table = table.filter(
        pc.and_(
            pc.equal(table.column(str(Col.EVENT_TYPE)), kind),
            pc.and_(
                pc.less_equal(table.column(str(Col.DATE_START)), pa.scalar(pd.Timestamp(end).date())),
                pc.greater_equal(table.column(str(Col.DATE_END)), pa.scalar(pd.Timestamp(start).date())),
            ),
        )
    )
    mine = set(values.get(str(Col.COUNTRIES)) or [])
    found = []
    for row in table.to_pylist():
        if row[str(Col.EVENT_ID)] == values.get(str(Col.EVENT_ID)):
            continue
        theirs = set(row[str(Col.COUNTRIES)] or [])
        if mine and theirs and not mine & theirs:
            continue
        found.append({k: history.json_value(v) for k, v in row.items()})
        if len(found) >= limit:
            break
    return found


def retracted(path: Path) -> list[tuple[str, Change]]:
    """Events retracted (and not restored since): their ids and the change that removed them."""
    state: dict[str, Change] = {}
    for change in history.read(path).effective():
        for event_id in change.event_ids():
            state[event_id] = change
    gone = [(i, c) for i, c in state.items() if c.kind_for(i) == "removed"]
    if not gone:
        return []
    dataset, ids = datasets.at(path), pa.array([i for i, _ in gone], pa.string())
    there = (
        dataset.scan([str(Col.EVENT_ID)], filter=pc.field(str(Col.EVENT_ID)).isin(ids))
        if dataset.exists()
        else None
    )
    present = set(there.column(0).to_pylist()) if there is not None else set()
    return [(i, c) for i, c in gone if i not in present]


# --- the write path -------------------------------------------------------------------------


def _logger(target: Path, change: Change, digest: str | None) -> Callable[[Path], None]:
    """What a dataset's write calls with the fsynced new version: a batch's rows kept beside
    the log, then the log line, with the SHA-256 of the version before and of the new one."""

    def log(tmp: Path) -> None:
        batch = change.batch
        if batch is not None:
            rows, before = batch["_rows"], batch["_before"]
            batch = {k: v for k, v in batch.items() if not k.startswith("_")}
            batch["rows"] = (
                history.write_rows(target, f"{change.change_id}.parquet", rows) if rows.num_rows else None
            )
            if before.num_rows:
                batch["before_rows"] = history.write_rows(
                    target, f"{change.change_id}.before.parquet", before
                )
        fields = {"batch": batch, "dataset_before": digest, "dataset_after": history.file_digest(tmp)}
        history.record(target, Change(**{**change.__dict__, **fields}))

    return log


def _stamp(target: Path, who: Who, action: str, reason: str | None, **fields: Any) -> Change:
    return Change(
        change_id=history.new_change_id(target),
        at=history.now_text(),
        who=who.as_json(),
        action=action,
        reason=reason,
        **fields,
    )


Plan = Callable[[pa.Table, Path, str], tuple[pa.Table, dict[str, Any]]]
"""Given the rows a change is planned on (`Dataset.working`: at least those with its ids),
the dataset's real path and the new change's id: those rows as they become and the change's
fields (event_id, before, after; or batch), or an exception that refuses it."""


def _write(path: Path, who: Who, action: str, reason: str | None, ids: list[str], plan: Plan) -> Saved:
    """Under the lock: check the log against the dataset, read the rows of `ids`, `plan`
    their new version (raising what refuses it), then write it with its log line."""
    dataset = datasets.at(path)
    target = dataset.target
    dataset.check_writable(create=False)
    with dataset.locked():
        dataset.check_writable(create=False)
        notes = dataset.remove_abandoned()
        digest = history.prepare(target)
        change_id = history.new_change_id(target)
        table, fields = plan(dataset.working(ids), target, change_id)
        change = Change(
            change_id=change_id,
            at=history.now_text(),
            who=who.as_json(),
            action=action,
            reason=reason,
            **fields,
        )
        dataset.replace(ids, table, _logger(target, change, digest))
    return Saved(_logged(target, change), notes)


def _logged(target: Path, change: Change) -> Change:
    last = history.last_change(target)
    return last if last is not None and last.change_id == change.change_id else change


def _batch(rows: pa.Table | store.Spilled, before: pa.Table, changed: dict, removed: list[str]) -> dict:
    """A batch's summary for its log line; its rows (`_rows`, what it wrote, and `_before`,
    what those replaced) are kept beside the log by `_logger`."""
    ids = (rows.ids if isinstance(rows, store.Spilled) else rows.column(str(Col.EVENT_ID))).to_pylist()
    return {
        "added": [i for i in ids if i not in changed],
        "changed": changed,
        "removed": removed,
        "_rows": rows,
        "_before": before,
    }


def _field_changes(old: list[Values], new: list[Values]) -> dict[str, dict[str, list[Any]]]:
    by_id = {v[str(Col.EVENT_ID)]: v for v in old}
    out = {}
    for values in new:
        was = by_id.get(values[str(Col.EVENT_ID)])
        if was is None:
            continue
        out[values[str(Col.EVENT_ID)]] = {
            k: [was[k], values[k]] for k in COLUMNS if k != str(Col.ADDED_AT) and was[k] != values[k]
        }
    return out


def _append_journal(target: Path, who: Who, action: str, reason: str | None) -> Callable:
    def journal(new: pd.DataFrame) -> Callable[[Path], None]:
        digest = history.prepare(target)
        rows = to_arrow(new)
        if rows.num_rows == 1:
            values = history.rows_of(rows)[0]
            change = _stamp(target, who, action, reason, event_id=values[str(Col.EVENT_ID)], after=values)
        else:
            change = _stamp(target, who, action, reason)
            change = Change(
                **{
                    **change.__dict__,
                    "batch": _batch(rows, ARROW_SCHEMA.empty_table(), {}, []),
                }
            )
        journal.change = change
        return _logger(target, change, digest)

    journal.change = None
    return journal


def append_rows(
    path: Path,
    raw: pd.DataFrame,
    who: Who,
    *,
    dataset: str = taxonomy.DATASETS_CURATED,
    create: bool = True,
    action: str = history.APPEND,
    reason: str | None = None,
) -> tuple[store.AppendResult, Change | None]:
    """An append (all rows or none, every rule), logged: one event is one change with its
    values, more are one batch change with the rows kept beside the log."""
    journal = _append_journal(store.dataset_target(path), who, action, reason)
    result = datasets.at(path).append(raw, dataset=dataset, create=create, journal=journal)
    change = journal.change
    return result, None if change is None else _logged(store.dataset_target(path), change)


def add(path: Path, values: Values, who: Who, *, reason: str | None = None, create: bool = False) -> Saved:
    """One new event (a row from `entry.row`), logged as an `add`. ValidationFailed names
    the column of every problem; nothing is written then."""
    result, change = append_rows(
        path, pd.DataFrame([values], dtype=object), who, action=history.ADD, reason=reason, create=create,
        dataset=str(values.get(str(Col.DATASET)) or taxonomy.DATASETS_CURATED),
    )  # fmt: skip
    assert change is not None
    return Saved(_logged(store.dataset_target(path), change), result.warnings)


def import_rows(
    path: Path,
    rows: pd.DataFrame | store.Checked | store.Spilled,
    who: Who,
    *,
    dataset: str,
    dry_run: bool = False,
    create: bool = True,
) -> store.UpsertResult:
    """An upsert (what `timeline import` writes), logged as one batch change: the ids
    added, the fields changed (before and after) and the rows kept beside the log."""
    target = store.dataset_target(path)

    def journal(
        result: store.UpsertResult, incoming: pa.Table | store.Spilled, replaced: pa.Table
    ) -> Callable[[Path], None]:
        digest = history.prepare(target)
        changed = {
            event_id: {c.column: [c.old, c.new] for c in changes}
            for event_id, changes in result.diff.changed.items()
        }
        change = _stamp(target, who, history.IMPORT, None)
        batch = _batch(incoming, replaced, changed, [])
        return _logger(target, Change(**{**change.__dict__, "batch": batch}), digest)

    return datasets.at(path).upsert(rows, dataset=dataset, dry_run=dry_run, create=create, journal=journal)


def correct(
    path: Path, event_id: str, expected_version: str, changes: Values, who: Who, reason: str | None
) -> Saved:
    """Change some fields of one event, if it is still the version the editor opened
    (Conflict otherwise). The whole corrected row is checked by every rule."""
    why = _reason(reason)
    for name in changes:
        if name not in COLUMNS:
            raise Refused(f"{name!r} is not a field of an event; nothing was written")
    if str(Col.EVENT_ID) in changes and changes[str(Col.EVENT_ID)] != event_id:
        raise Refused(f"{event_id}: an event's id never changes; nothing was written")
    if str(Col.ADDED_AT) in changes:
        raise Refused("added_at is set when an event is added and is not corrected; nothing was written")

    def plan(table: pa.Table, target: Path, change_id: str) -> tuple[pa.Table, dict[str, Any]]:
        pos = _position(table, event_id)
        now = history.rows_of(table.slice(pos, 1))[0] if pos is not None else None
        if now is None or history.version(now) != expected_version:
            raise Conflict(event_id, now, changes, history.read(target, event_id).changes[-5:])
        new_row = checked_row(now | changes)
        new = history.rows_of(new_row)[0]
        diff = [k for k in COLUMNS if k not in FIXED and now[k] != new[k]]
        if not diff:
            raise Refused(f"{event_id}: these values are what the event already holds; nothing was written")
        table = pa.concat_tables([table.slice(0, pos), new_row, table.slice(pos + 1)])
        return table, {
            "event_id": event_id,
            "before": {k: now[k] for k in diff},
            "after": {k: new[k] for k in diff},
        }

    return _write(path, who, history.CORRECT, why, [event_id], plan)


def retract(path: Path, event_id: str, expected_version: str, who: Who, reason: str | None) -> Saved:
    """Take an event off the dataset (and the dashboard). Its values stay in the log, from
    which `restore` brings it back."""
    why = _reason(reason)

    def plan(table: pa.Table, target: Path, change_id: str) -> tuple[pa.Table, dict[str, Any]]:
        pos = _position(table, event_id)
        now = history.rows_of(table.slice(pos, 1))[0] if pos is not None else None
        if now is None or history.version(now) != expected_version:
            raise Conflict(event_id, now, {}, history.read(target, event_id).changes[-5:])
        table = pa.concat_tables([table.slice(0, pos), table.slice(pos + 1)])
        return table, {"event_id": event_id, "before": now, "after": None}

    return _write(path, who, history.RETRACT, why, [event_id], plan)


def _add_back(table: pa.Table, values: Values) -> tuple[pa.Table, Values]:
    """A row that left the dataset, back at its end under its own id (checked again)."""
    event_id = values[str(Col.EVENT_ID)]
    if _position(table, event_id) is not None:
        raise Refused(f"{event_id} is in the dataset; nothing was written")
    row = checked_row(values)
    return pa.concat_tables([table, row]), history.rows_of(row)[0]


def restore(path: Path, event_id: str, who: Who, reason: str | None) -> Saved:
    """Bring a retracted event back, with the values it had when it was retracted."""
    why = _reason(reason)

    def plan(table: pa.Table, target: Path, change_id: str) -> tuple[pa.Table, dict[str, Any]]:
        removal = next(
            (
                c
                for c in reversed(history.read(target, event_id).changes)
                if c.kind_for(event_id) == "removed"
            ),
            None,
        )
        if removal is None or removal.before is None:
            raise Refused(
                f"{event_id}: the log holds no retraction of this event to restore; nothing was written"
            )
        table, values = _add_back(table, removal.before)
        return table, {"event_id": event_id, "before": None, "after": values}

    return _write(path, who, history.RESTORE, why, [event_id], plan)


def _later(target: Path, change: Change, event_id: str) -> str:
    later = [c for c in history.read(target, event_id).changes if c.change_id > change.change_id]
    if not later:
        return ""
    last = later[-1]
    return f" (changed since by {last.change_id}, {last.who_text}, {last.action})"


def revert(path: Path, change_id: str, who: Who, reason: str | None) -> Saved:
    """Undo one logged change by writing its opposite, checked like any other change. Refused
    when the fields it changed have changed again since (revert the later change first)."""
    why = _reason(reason)
    target = datasets.at(path).target
    log = history.read(target)
    try:
        change = log.find(change_id)
    except KeyError as err:
        raise Refused(f"{err.args[0]}; nothing was written") from None
    if change.marker:
        raise Refused(
            f"{change.change_id} records the state of the log ({change.action}), not a change of events"
        )
    if change.change_id in log.voided():
        raise Refused(f"{change.change_id} was never applied to the dataset (voided); nothing to revert")
    undone = next((c for c in log.effective() if c.reverts == change.change_id), None)
    if undone is not None:
        raise Refused(f"{change.change_id} was already reverted by {undone.change_id}; nothing was written")
    if change.action in history.INCIDENT_ACTIONS:  # a decision on incidents changed no event
        from timeline.matching import decisions

        return Saved(decisions.revert(path, change, who, why))

    def plan(table: pa.Table, target: Path, change_id: str) -> tuple[pa.Table, dict[str, Any]]:
        if change.event_id is not None:
            return _revert_one(table, target, change)
        return _revert_batch(table, target, change, change_id)

    ids = [change.event_id] if change.event_id is not None else _batch_ids(target, change)
    return _write(path, who, history.REVERT, why, ids, plan)


def _batch_rows(target: Path, change: Change) -> tuple[pa.Table, pa.Table]:
    """The rows a batch change wrote and the rows they replaced, as kept beside the log."""
    batch = change.batch or {}
    empty = ARROW_SCHEMA.empty_table()
    wrote = history.read_rows(target, batch["rows"]) if batch.get("rows") else empty
    replaced = history.read_rows(target, batch["before_rows"]) if batch.get("before_rows") else empty
    return wrote, replaced


def _batch_ids(target: Path, change: Change) -> list[str]:
    wrote, replaced = _batch_rows(target, change)
    return list(dict.fromkeys(pa.concat_tables([wrote, replaced]).column(str(Col.EVENT_ID)).to_pylist()))


def _revert_one(table: pa.Table, target: Path, change: Change) -> tuple[pa.Table, dict[str, Any]]:
    event_id = change.event_id
    assert event_id is not None
    pos = _position(table, event_id)
    now = history.rows_of(table.slice(pos, 1))[0] if pos is not None else None
    base = {"event_id": event_id, "reverts": change.change_id}
    if change.after is None:  # it removed the event: add it back
        table, values = _add_back(table, change.before or {})
        return table, base | {"before": None, "after": values}
    if now is None:
        raise Refused(
            f"{event_id} is not in the dataset{_later(target, change, event_id)}; nothing was written"
        )
    if change.before is None:  # it added the event: remove it
        if now != change.after:
            raise Refused(f"{event_id} has changed since {change.change_id}{_later(target, change, event_id)}; "
                          "revert the later change first, or retract the event; nothing was written")  # fmt: skip
        return pa.concat_tables([table.slice(0, pos), table.slice(pos + 1)]), base | {
            "before": now,
            "after": None,
        }
    moved = [k for k, v in change.after.items() if now.get(k) != v]
    if moved:
        raise Refused(f"{event_id}: {', '.join(moved)} changed since {change.change_id}"
                      f"{_later(target, change, event_id)}; revert the later change first; nothing was written")  # fmt: skip
    new_row = checked_row(now | change.before)
    new = history.rows_of(new_row)[0]
    diff = [k for k in COLUMNS if k not in FIXED and now[k] != new[k]]
    table = pa.concat_tables([table.slice(0, pos), new_row, table.slice(pos + 1)])
    return table, base | {"before": {k: now[k] for k in diff}, "after": {k: new[k] for k in diff}}


def _revert_batch(
    table: pa.Table, target: Path, change: Change, change_id: str
) -> tuple[pa.Table, dict[str, Any]]:
    """The opposite of a batch: the rows it wrote leave, the rows it replaced come back."""
    wrote, replaced = _batch_rows(target, change)
    wrote_ids = wrote.column(str(Col.EVENT_ID)).to_pylist()
    present = table.filter(
        pc.is_in(table.column(str(Col.EVENT_ID)), value_set=pa.array(wrote_ids, pa.string()))
    )
    now = {v[str(Col.EVENT_ID)]: v for v in history.rows_of(present)}
    moved = [v[str(Col.EVENT_ID)] for v in history.rows_of(wrote) if now.get(v[str(Col.EVENT_ID)]) != v]
    if moved:
        raise Refused(
            f"{len(moved):,} of the {len(wrote_ids):,} events {change.change_id} wrote changed since "
            f"(e.g. {', '.join(moved[:3])}); revert the later changes first; nothing was written"
        )
    if replaced.num_rows:
        frame, problems = check(pd.DataFrame(history.rows_of(replaced), dtype=object))
        if problems:
            raise ValidationFailed(problems)
        replaced = to_arrow(frame)
    back = set(replaced.column(str(Col.EVENT_ID)).to_pylist())
    removed = [i for i in wrote_ids if i not in back]
    changed = _field_changes(list(now.values()), history.rows_of(replaced))
    summary = _batch(replaced, present, changed, removed)
    return pa.concat_tables([replay.without(table, wrote_ids), replaced]), {
        "reverts": change.change_id,
        "batch": summary,
    }
