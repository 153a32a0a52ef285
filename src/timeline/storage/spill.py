"""An import written while its source is read: into a new dataset file, or merged into one.

Why: holding every accepted row until one write at the end made the memory of an import grow
with the rows (about 600 bytes each, the generated summaries most of it: 4.4x a 1 M-row file
at the peak). Here each checked chunk goes to a `pyarrow.parquet.ParquetWriter` on a temp
file beside the target (`tempfiles.temp_file_beside`, so a killed import leaves a temp file
the next writer removes), and `commit` renames it into place with its change-log entry
(`tempfiles.replace_atomic`): the same atomic write, in two halves. Only the ids are kept.

An import into an existing file (`Spill(merge=True)`) is merged with it instead (`_merge`):
each row of both is reduced to a fingerprint (DuckDB's 64-bit hash of every column but
`added_at`; a collision, about 2^-64 a row, would leave a changed row as it was), only rows
with an id in both and different fingerprints are compared field by field as `store.upsert`
compares a frame, the new and changed rows go to a second spill (the rows the change log
keeps), and the new version is the file's kept rows followed by those, streamed a batch at a
time: neither the accepted rows nor the file are ever held whole (a re-import of 1 M rows
held both: about 7x the source's size; now 2.5x).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.domain.errors import hint
from timeline.domain.schema import ARROW_SCHEMA, Col, empty_frame
from timeline.domain.validation import ValidationFailed
from timeline.storage import store, tempfiles
from timeline.storage.diff import Diff
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
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def write(self, table: pa.Table) -> None:
        """Append checked rows (the dataset's schema, stamped) to the file, in a background
        thread while the caller maps the next chunk (Parquet's encoder releases the GIL); at
        most one write is in flight, so the rows are written in order. A full disk or an I/O
        error is `store.WriteFailed`, raised by the next `write`, `wait` or `close`, the dataset
        untouched (the caller discards)."""
        self.wait()
        if not table.num_rows:
            return
        ids = table.column(str(Col.EVENT_ID))
        # copied (combine_chunks copies even one chunk): a column taken as it is can share its
        # owner with every other column of the batch it came from (a DuckDB result: some 40 MB
        # a chunk of summaries and titles), all kept alive until the import ends
        self.ids.append(pa.chunked_array([ids.combine_chunks()]))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="timeline-spill")
        self._pending = self._pool.submit(self._written, table)

    def wait(self) -> None:
        """Until the rows given so far are written; `store.WriteFailed` if they could not be."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _written(self, table: pa.Table) -> None:
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

    def close(self) -> Spilled | None:
        """The written rows, the file complete and fsynced; None when no row was written."""
        self.wait()
        self._stop()
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

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def discard(self) -> None:
        """The import failed or wrote elsewhere: remove the temp file and folders made for it."""
        with contextlib.suppress(Exception):
            self.wait()  # its error was raised, or the import failed for another reason
        self._stop()
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
    writes for the same rows given as a frame. Rows are told apart by fingerprints (a hash of
    every column but `added_at`); only rows whose fingerprints differ are read and compared
    field by field (`plan_against`), and the file is streamed, never held whole."""
    key = str(Col.EVENT_ID)
    existing = _readable(target)
    old, new = _fingerprints(existing), _fingerprints(rows.tmp)
    at = pc.index_in(new.column("id"), value_set=old.column("id"))
    in_file = np.asarray(at.is_valid())
    same = in_file & np.asarray(pc.equal(old.column("fp").take(at), new.column("fp")).fill_null(False))
    other = in_file & np.asarray(pc.not_equal(old.column("ds").take(at), rows.dataset).fill_null(True))
    look = np.flatnonzero((in_file & ~same) | other)  # the rows to compare field by field
    before, changes = ARROW_SCHEMA.empty_table(), {}
    if len(look):
        ids = new.column("id").take(pa.array(look))
        before = _rows_with(existing, ids)
        try:
            changes = plan_against(
                before, frame_from_table(_rows_with(rows.tmp, ids)), rows.dataset, path
            ).diff.changed
        except ValidationFailed as err:  # row numbers are the spill's
            problems = [
                replace(p, row=None if p.row is None else int(look[p.row - 1]) + 1) for p in err.problems
            ]
            raise ValidationFailed(problems) from err
    changed, added = pa.array(list(changes), pa.string()), int((~in_file).sum())
    result = UpsertResult(
        added=added, changed=len(changed), unchanged=int(in_file.sum()) - len(changed), total=old.num_rows + added,
        diff=Diff(added=empty_frame(), removed=empty_frame(), changed=changes), written=False,
    )  # fmt: skip
    if not (result.added or result.changed):
        return result
    wanted = Spill(target, rows.dataset)
    try:
        offset, keep = 0, ~in_file | member(new.column("id"), changed)
        for batch in _batches(rows.tmp):
            wanted.write(batch.filter(pa.array(keep[offset : offset + batch.num_rows])))
            offset += batch.num_rows
        incoming = wanted.close()
        assert incoming is not None  # something was added or changed
        hook = (
            journal(result, incoming, before.filter(pa.array(member(before.column(key), changed))))
            if journal
            else None
        )
        kept = (b.filter(pa.array(~member(b.column(key), changed))) for b in _batches(existing))
        store.save_table(itertools.chain(kept, _batches(incoming.tmp)), target, before_replace=hook)
    finally:
        wanted.discard()
    result.written = True
    result.backup = store.backup_path(target)
    return result


Source = Path | pa.Table
"""Rows on disk (streamed) or, for a file stored in other types than the schema's, in memory."""


def _readable(target: Path) -> Source:
    """The file, to stream, when stored in the schema's types (as timeline writes it); else
    its table, read and checked by `store.read_schema_table` (which explains a file it
    cannot use: a v1 file, a missing column, text in a count column)."""
    schema = pq.read_schema(target)
    if not store.is_v1(schema.names) and all(
        f.name in schema.names and schema.field(f.name).type.equals(f.type) for f in ARROW_SCHEMA
    ):
        return target
    return store.read_schema_table(target).cast(ARROW_SCHEMA)


def _fingerprints(source: Source) -> pa.Table:
    """Per row, in order: its id (`id`), dataset (`ds`) and a hash of every column but
    `added_at` (`fp`), by DuckDB, which reads a file a row group at a time."""
    import duckdb  # here: `timeline add` and `validate` must not pay for its import

    columns = [c for c in ARROW_SCHEMA.names if c != str(Col.ADDED_AT)]
    con = duckdb.connect()
    try:
        if isinstance(source, Path):
            rows = con.read_parquet(str(source), file_row_number=True)
        else:
            numbered = source.select(columns).append_column(
                "file_row_number", pa.array(range(source.num_rows), pa.int64())
            )
            rows = con.from_arrow(numbered)
        fingerprint = "hash(" + ", ".join(f'"{c}"' for c in columns) + ")"
        return rows.query(
            "rows",
            f'SELECT "{Col.EVENT_ID}" AS id, "{Col.DATASET}" AS ds, {fingerprint} AS fp FROM rows '
            "ORDER BY file_row_number",
        ).to_arrow_table()
    finally:
        con.close()


def _rows_with(source: Source, ids: pa.Array) -> pa.Table:
    """The rows whose ids are among `ids`, in order."""
    found = [b.filter(pa.array(member(b.column(str(Col.EVENT_ID)), ids))) for b in _batches(source)]
    return pa.concat_tables([ARROW_SCHEMA.empty_table(), *found])


def _batches(source: Source) -> Iterator[pa.Table]:
    """The rows, in the schema, as tables of up to `MERGED_ROWS`."""
    if isinstance(source, pa.Table):
        yield from (source.slice(i, MERGED_ROWS) for i in range(0, source.num_rows, MERGED_ROWS))
        return
    for batch in pq.ParquetFile(source).iter_batches(MERGED_ROWS, columns=ARROW_SCHEMA.names):
        yield pa.Table.from_batches([batch]).select(ARROW_SCHEMA.names).cast(ARROW_SCHEMA)
