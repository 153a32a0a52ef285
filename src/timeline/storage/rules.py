"""The rules of a change, whichever layout holds the dataset: what an append stamps and
refuses (an id already taken), what looks like a duplicate, and what an import adds, changes
and leaves alone. `store` (one file) and `parts` (a folder of parts) apply them; neither
reads or writes a file here."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import taxonomy
from timeline.domain.schema import COLUMNS, FIELDS, PANDAS_DTYPES, Col, Kind, from_arrow
from timeline.domain.validation import Problem, ValidationFailed, validate
from timeline.storage.diff import Diff, compare


@dataclass
class AppendResult:
    added: int
    total: int
    backup: Path | None = None
    warnings: list[str] = field(default_factory=list)


def with_append_defaults(
    raw: pd.DataFrame, now: datetime | None = None, dataset: str = taxonomy.DATASETS_CURATED
) -> tuple[pd.DataFrame, list[str]]:
    """Stamp `added_at` with the append time and fill a missing `dataset` column."""
    now = now or datetime.now(UTC)
    notes = []
    raw = raw.copy()
    if str(Col.ADDED_AT) in raw.columns and raw[str(Col.ADDED_AT)].notna().any():
        notes.append("added_at in the input was ignored: it is set to the time of this append")
    raw[str(Col.ADDED_AT)] = pd.Timestamp(now).tz_convert("UTC")
    if str(Col.DATASET) not in raw.columns:
        raw[str(Col.DATASET)] = dataset
    return raw, notes


def duplicate_id_problems(
    existing: pd.DataFrame, new: pd.DataFrame, limit: int | None = None
) -> list[Problem]:
    """Rows of `new` whose id is already in `existing` (at most `limit`, the last counting
    the rest). Looked up in Arrow: a Python set of a million ids took 1.8 s."""
    ids = new[Col.EVENT_ID]
    try:
        taken = member(ids, existing[Col.EVENT_ID])
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # rows not parsed (a column missing): any values
        is_text = ids.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        taken = is_text & ids.isin(existing[Col.EVENT_ID].astype(object)).to_numpy(dtype=bool)
    positions = np.flatnonzero(taken)
    shown = positions if limit is None else positions[:limit]
    problems = [
        Problem(
            "event_id already in the dataset",
            row=int(pos) + 1,
            event_id=str(ids.iloc[pos]),
            column=str(Col.EVENT_ID),
            value=str(ids.iloc[pos]),
        )
        for pos in shown
    ]
    if len(positions) > len(shown):
        problems[-1] = replace(problems[-1], more=len(positions) - len(shown))
    return problems


def likely_duplicates(existing: pd.DataFrame, new: pd.DataFrame, limit: int = 50) -> list[str]:
    """Rows of `new` that look like an existing or earlier new row: same type,
    overlapping dates and at least one shared actor. Warnings only; ids differ.

    Only existing rows whose dates overlap the new rows' span can match, so the others are
    left out first: one row appended to a million took 2.8 s here, nearly all of it spent
    on rows that could never match."""
    if len(existing) and len(new):
        first, last = new[Col.DATE_START].min(), new[Col.DATE_END].max()
        near = (existing[Col.DATE_END] >= first) & (existing[Col.DATE_START] <= last)
        existing = existing[near.fillna(False).to_numpy(dtype=bool)]
    pool = pd.concat([existing, new], ignore_index=True) if len(existing) else new.reset_index(drop=True)
    n_old = len(existing)
    order = np.argsort(pool[Col.DATE_START].to_numpy(), kind="stable")
    starts = pool[Col.DATE_START].to_numpy()[order]
    ends = pool[Col.DATE_END].to_numpy()[order]
    longest = (ends - starts).max() if len(order) else np.timedelta64(0, "ms")
    types = pool[Col.EVENT_TYPE].to_numpy(dtype=object)[order]
    actors = pool[Col.ACTORS].to_numpy(dtype=object)[order]
    ids = pool[Col.EVENT_ID].to_numpy(dtype=object)[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    warnings: list[str] = []
    for i in range(len(new)):
        me = rank[n_old + i]
        lo = np.searchsorted(starts, starts[me] - longest, side="left")
        hi = np.searchsorted(starts, ends[me], side="right")
        mine = set(actors[me] if actors[me] is not None else ())
        if not mine:
            continue
        for j in range(lo, hi):
            if j == me or order[j] >= n_old + i or types[j] != types[me] or ends[j] < starts[me]:
                continue
            shared = mine.intersection(actors[j] if actors[j] is not None else ())
            if shared:
                warnings.append(
                    f"{ids[me]} looks like {ids[j]}: same type {types[me]}, overlapping dates, "
                    f"shared actors {', '.join(sorted(shared))}"
                )
                break
        if len(warnings) >= limit:
            warnings.append(f"(stopped after {limit} likely duplicates)")
            break
    return warnings


@dataclass
class UpsertResult:
    """What an import did (or, with dry_run, would do) to the dataset file."""

    added: int
    changed: int
    unchanged: int
    total: int
    diff: Diff
    written: bool
    backup: Path | None = None
    notes: list[str] = field(default_factory=list)
    """Abandoned temp files removed (or left) beside the dataset."""


def frame_from_table(table: pa.Table) -> pd.DataFrame:
    """Like `schema.from_arrow`, with the same dtypes, but text columns stay in Arrow memory
    instead of passing through Python strings: millions of imported titles and summaries
    then cost their bytes, not an object each."""
    text_columns = [str(f.col) for f in FIELDS if f.kind is Kind.STRING and str(f.col) in table.column_names]
    df = from_arrow(table.drop_columns(text_columns))
    for name in text_columns:
        column = table.column(name)
        with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
            column = column.cast(pa.string())
        df[name] = pd.Series(pd.array(column, dtype=PANDAS_DTYPES[Kind.STRING]), index=df.index)
    return df[table.column_names]


_Column = pd.Series | pa.Array | pa.ChunkedArray


def _arrow(column: _Column) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow data `pc.equal` compares: a frame's Arrow-backed text is not copied,
    lists are joined into one string."""
    if isinstance(column, pd.Series):
        arrow_backed = isinstance(column.dtype, pd.ArrowDtype | pd.StringDtype)
        column = pa.array(column.array if arrow_backed else column, from_pandas=True)
    return pc.binary_join(column, "\x1f") if pa.types.is_list(column.type) else column


def member(values: _Column, pool: _Column) -> np.ndarray:
    """Per value: is it in `pool`? (ids; Arrow's hash lookup, not a Python object per id)."""
    left, right = _arrow(values), _arrow(pool)
    if isinstance(right, pa.ChunkedArray):
        right = right.combine_chunks()
    return np.asarray(pc.is_in(left, value_set=right.cast(left.type)), dtype=bool)


def _same_rows(old: pa.Table, new: pd.DataFrame, size: int = 200_000) -> np.ndarray:
    """Per row of `new`: is there a row in `old` with its event_id (ids are unique in both)
    and the same value in every column but `added_at`? Done in Arrow, one column and one
    slice of rows at a time, so millions of rows are compared without unpacking them into
    Python objects or copying a whole column."""
    key = str(Col.EVENT_ID)
    ids = _arrow(new[key])
    position = pc.index_in(ids, value_set=old.column(key).combine_chunks().cast(ids.type))
    same = np.asarray(position.is_valid())
    if not same.any():
        return same
    at = np.where(same, np.asarray(position.fill_null(0)), 0)
    for name in COLUMNS:
        if name in (key, str(Col.ADDED_AT)):
            continue
        column, b_all = _arrow(old.column(name)), _arrow(new[name])
        for start in range(0, len(new), size):
            b = b_all.slice(start, size)
            a = column.take(pa.array(at[start : start + size])).cast(b.type)
            equal = pc.or_kleene(pc.equal(a, b), pc.and_(a.is_null(), b.is_null())).fill_null(False)
            same[start : start + size] &= np.asarray(equal)
    return same


def _validate_in_slices(df: pd.DataFrame, size: int = 200_000) -> list[Problem]:
    """`validate`, a slice at a time (bounded memory), plus the file-wide unique-id rule."""
    problems: list[Problem] = []
    for start in range(0, len(df), size):
        for p in validate(df.iloc[start : start + size]):
            if p.column != str(Col.EVENT_ID) or "duplicate" not in p.reason:  # checked file-wide below
                problems.append(replace(p, row=None if p.row is None else p.row + start))
    ids = df[str(Col.EVENT_ID)]
    problems += [
        Problem("duplicate event_id (appears more than once)", row=int(i) + 1,
                event_id=str(ids.iloc[i]), column=str(Col.EVENT_ID))
        for i in np.flatnonzero(ids.duplicated(keep=False).to_numpy())
    ]  # fmt: skip
    return problems


@dataclass(frozen=True)
class Checked:
    """Rows that already passed every rule for `dataset`: `validation.check` on each, and one
    row per event_id across them. Only `importers.pipeline.run` makes these (it checks chunk by
    chunk as it reads), so `upsert` need not check the same rows twice; any other frame, or a
    `Checked` for another dataset, is checked in full. The write's `added_at` replaces the
    importer's (a stamp, which no rule looks at beyond its being there)."""

    rows: pd.DataFrame
    dataset: str


@dataclass
class Spilled:
    """Rows of one import, checked as `Checked` rows are and already written, chunk by chunk
    as they were accepted, to `tmp` (a fsynced temp file beside the target, `storage.spill`),
    so that no process holds them all: `spill.commit` renames the file into place, or merges
    it into the existing file. `ids` are its event ids, in file order."""

    tmp: Path
    dataset: str
    ids: pa.ChunkedArray
    merge: bool = False
    """Made for an existing file, to be merged with it (`spill.commit`), not to replace it."""

    @property
    def num_rows(self) -> int:
        return len(self.ids)


def stamped(rows: pd.DataFrame | Checked, dataset: str, now: datetime | None = None) -> pd.DataFrame:
    """An import's rows as they will be stored (its dataset label, the time of the write),
    checked against every rule unless they are `Checked` for this dataset; raises
    ValidationFailed."""
    checked = isinstance(rows, Checked) and rows.dataset == dataset
    frame = rows.rows if isinstance(rows, Checked) else rows
    stamp = pd.Timestamp(now or datetime.now(UTC)).tz_convert("UTC")
    new = frame.reset_index(drop=True)  # copy-on-write: the caller's frame is not changed
    new[str(Col.DATASET)] = pd.Series(dataset, index=new.index, dtype=new[str(Col.DATASET)].dtype)
    new[str(Col.ADDED_AT)] = pd.Series(stamp, index=new.index).astype(new[str(Col.ADDED_AT)].dtype)
    if not checked:
        problems = _validate_in_slices(new)
        if problems:
            raise ValidationFailed(problems)
    return new


def plan_against(existing: pa.Table, new: pd.DataFrame, dataset: str, path: Path) -> UpsertResult:
    """What adding `new` to the rows `existing` would add, change and leave alone (the rows of
    a file, or of a partitioned dataset the rows with the same ids)."""
    key = str(Col.EVENT_ID)
    in_file = member(existing.column(key), new[key])
    other = in_file & np.asarray(pc.not_equal(existing.column(str(Col.DATASET)), dataset).fill_null(True))
    if other.any():
        clash = existing.filter(pa.array(other))
        taken = dict(
            zip(clash.column(key).to_pylist(), clash.column(str(Col.DATASET)).to_pylist(), strict=True)
        )
        positions = np.flatnonzero(member(new[key], clash.column(key)))
        raise ValidationFailed(
            [
                Problem(
                    f"event_id already in {path} from dataset {taken[new[key].iloc[p]]!r}",
                    row=int(p) + 1,
                    event_id=str(new[key].iloc[p]),
                    column=key,
                    value=str(new[key].iloc[p]),
                )
                for p in positions
            ]
        )
    # Identical rows need no field-by-field diff: `compare` only sees new and changed rows.
    same = _same_rows(existing, new) if in_file.any() else np.zeros(len(new), dtype=bool)
    is_new = ~member(new[key], existing.column(key))
    differs = ~is_new & ~same  # in the file, and some field differs
    maybe_changed = new[differs]
    old_rows = frame_from_table(existing.filter(pa.array(member(existing.column(key), maybe_changed[key]))))
    found = compare(old_rows, maybe_changed, ignore=(str(Col.ADDED_AT),))
    found.changed = dict(sorted(found.changed.items()))  # listed by id, as a reviewer reads them
    found.added = new if is_new.all() else new[is_new]
    result = UpsertResult(
        added=len(found.added),
        changed=len(found.changed),
        unchanged=int(in_file.sum()) - len(found.changed),
        total=existing.num_rows + len(found.added),
        diff=found,
        written=False,
    )
    return result
