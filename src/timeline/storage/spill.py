"""An import written while its source is read: into a new dataset file, or merged into one.

Why: holding every accepted row until one write at the end made the memory of an import grow
with the rows (about 600 bytes each, the generated summaries most of it: 4.4x a 1 M-row file
at the peak). Here each checked chunk goes to a `pyarrow.parquet.ParquetWriter` on a temp
file beside the target (`tempfiles.temp_file_beside`, so a killed import leaves a temp file
the next writer removes), and `store.upsert` renames it into place with its change-log entry
(`tempfiles.replace_atomic`): the same atomic write, in two halves. Only the ids are kept.

An import into an existing file (`merge`) is read back from its spill a batch at a time: each
batch is planned against the file as `store.upsert` plans a frame, its new and changed rows go
to a second spill (the rows the change log keeps), and the new version is written as the
file's kept rows followed by those, batch by batch: the accepted rows are never all in memory
(a re-import of 1 M rows held them as a frame beside the file: about 7x the source's size).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from timeline.domain.errors import hint
from timeline.domain.schema import ARROW_SCHEMA, Col, empty_frame
from timeline.domain.validation import ValidationFailed
from timeline.storage import store, tempfiles
from timeline.storage.diff import Change, Diff
from timeline.storage.rules import Spilled, UpsertResult, frame_from_table, member, plan_against

MERGED_ROWS = 100_000
"""Rows of a spill planned against the file at a time, in `merge`."""


class Spill:
    """The accepted rows of an import, written chunk by chunk: a new dataset file, or (`merge`)
    rows to merge into the existing file (`commit`). The temp file is made at the first row
    (an import that accepts none creates nothing)."""

    def __init__(self, target: Path, dataset: str, *, merge: bool = False):
        self.target = store.dataset_target(target)
        self.dataset = dataset
        self.merge = merge
        self.tmp: Path | None = None
        self.fh: BinaryIO | None = None
        self.writer: pq.ParquetWriter | None = None
        self.ids: list[pa.ChunkedArray] = []
        self.created: list[Path] = []

    def write(self, table: pa.Table) -> None:
        """Append checked rows (the dataset's schema, stamped) to the file; a full disk or an
        I/O error is `store.WriteFailed`, the dataset untouched (the caller discards)."""
        if not table.num_rows:
            return
        try:
            self._write(table)
        except OSError as err:
            raise self._failed(err) from err

    def _failed(self, err: OSError) -> store.WriteFailed:
        return store.WriteFailed(
            f"{self.target}: could not write the new version: {hint(err)}. Nothing was written"
        )

    def _write(self, table: pa.Table) -> None:
        if self.writer is None:
            folder = self.target.parent
            self.created = [f for f in (folder, *folder.parents) if not f.exists()]
            folder.mkdir(parents=True, exist_ok=True)
            fd, self.tmp = tempfiles.temp_file_beside(self.target)
            self.fh = os.fdopen(fd, "wb")
            self.writer = pq.ParquetWriter(self.fh, table.schema, compression="zstd")
        self.writer.write_table(table.cast(self.writer.schema))
        self.ids.append(table.column(str(Col.EVENT_ID)))

    def close(self) -> Spilled | None:
        """The written rows, the file complete and fsynced; None when no row was written."""
        if self.writer is None or self.fh is None or self.tmp is None:
            return None
        try:
            self.writer.close()
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
        except OSError as err:
            raise self._failed(err) from err
        ids = pa.chunked_array([c for ids in self.ids for c in ids.chunks], type=pa.string())
        return Spilled(self.tmp, self.dataset, ids, merge=self.merge)

    def discard(self) -> None:
        """The import failed or wrote elsewhere: remove the temp file and folders made for it."""
        if self.fh is not None and not self.fh.closed:
            with contextlib.suppress(Exception):
                if self.writer is not None:
                    self.writer.close()
            self.fh.close()
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                self.tmp.unlink()
        for folder in self.created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty


def commit(
    path: Path,
    rows: Spilled,
    *,
    create: bool = True,
    journal: Callable[[UpsertResult, pa.Table | Spilled, pa.Table], store.BeforeReplace] | None = None,
) -> UpsertResult:
    """`store.upsert` of spilled rows, under the dataset's lock: a new file is the spill renamed
    into place; an existing one is merged with it when the spill was made for it (`Spill`'s
    `merge`), else refused (another writer created it meanwhile). `rows.tmp` never outlives
    this call."""
    target = store.dataset_target(path)
    try:
        store.check_writable(target, create=create)
        with store.locked(target):
            store.check_writable(target, create=create)
            notes = tempfiles.remove_abandoned(target, keep=rows.tmp)
            if target.exists() and not rows.merge:
                raise store.DatasetError(
                    f"{path}: another writer created this file while the import read its source; "
                    "import again (--into adds to it); nothing was written"
                )
            result = (
                _merge(target, path, rows, journal)
                if target.exists()
                else _rename(target, path, rows, journal)
            )
            result.notes = notes
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(rows.tmp)
    return result


def _rename(target: Path, path: Path, rows: Spilled, journal: Callable | None) -> UpsertResult:
    """A new dataset file: every row is added; the spill is renamed into place with its
    change-log entry, as `store.save_table` does."""
    total = rows.num_rows
    # The added rows are in the file, not repeated as a frame here: only a dry run (which
    # never spills) lists them.
    diff = Diff(added=empty_frame(), removed=empty_frame())
    result = UpsertResult(added=total, changed=0, unchanged=0, total=total, diff=diff, written=True)
    hook = journal(result, rows, ARROW_SCHEMA.empty_table()) if journal else None
    try:
        tempfiles.replace_atomic(rows.tmp, target, before_replace=hook)
    except OSError as err:
        raise store.WriteFailed(store.write_failure(path, err)) from err
    return result


def _merge(target: Path, path: Path, rows: Spilled, journal: Callable | None) -> UpsertResult:
    """The existing file merged with the spill (module docstring): what `store.upsert`
    writes for the same rows given as a frame."""
    wanted = Spill(target, rows.dataset)
    try:
        existing = store.read_schema_table(target)
        result = _plan(existing, rows, path, wanted)
        if not (result.added or result.changed):
            return result
        incoming = wanted.close()
        assert incoming is not None  # something was added or changed
        replaced = member(
            existing.column(str(Col.EVENT_ID)), pa.array(list(result.diff.changed), pa.string())
        )
        hook = journal(result, incoming, existing.filter(pa.array(replaced))) if journal else None
        kept = existing.filter(pa.array(~replaced)) if replaced.any() else existing
        store.save_table(_batches(kept, incoming.tmp), target, before_replace=hook)
    finally:
        wanted.discard()
    result.written = True
    result.backup = store.backup_path(target)
    return result


def _plan(existing: pa.Table, rows: Spilled, path: Path, wanted: Spill) -> UpsertResult:
    """Plan the spill against the file a batch at a time (`plan_against`), writing each
    batch's new and changed rows to `wanted`; one result for the whole spill."""
    key = str(Col.EVENT_ID)
    added, unchanged, offset = 0, 0, 0
    changed: dict[str, list[Change]] = {}
    for batch in pq.ParquetFile(rows.tmp).iter_batches(batch_size=MERGED_ROWS):
        new = frame_from_table(pa.Table.from_batches([batch]))
        try:
            planned = plan_against(existing, new, rows.dataset, path)
        except ValidationFailed as err:  # row numbers are the spill's, not the batch's
            problems = [replace(p, row=None if p.row is None else p.row + offset) for p in err.problems]
            raise ValidationFailed(problems) from err
        added, unchanged = added + planned.added, unchanged + planned.unchanged
        changed.update(planned.diff.changed)
        ids = pa.array(list(planned.diff.changed), pa.string())
        keep = member(new[key], ids) | ~member(new[key], existing.column(key))
        wanted.write(pa.Table.from_batches([batch]).filter(pa.array(keep)))
        offset += batch.num_rows
    diff = Diff(added=empty_frame(), removed=empty_frame(), changed=dict(sorted(changed.items())))
    return UpsertResult(
        added=added, changed=len(changed), unchanged=unchanged,
        total=existing.num_rows + added, diff=diff, written=False,
    )  # fmt: skip


def _batches(kept: pa.Table, written: Path) -> Iterator[pa.Table]:
    """The new version: the file's kept rows, then the new and changed rows as written."""
    yield kept
    for batch in pq.ParquetFile(written).iter_batches(batch_size=MERGED_ROWS):
        yield pa.Table.from_batches([batch])
