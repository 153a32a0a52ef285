"""An import into a new dataset file, written while its source is read.

Why: holding every accepted row until one write at the end made the memory of an import grow
with the rows (about 600 bytes each, the generated summaries most of it: 4.4x a 1 M-row file
at the peak). Here each checked chunk goes to a `pyarrow.parquet.ParquetWriter` on a temp
file beside the target (`tempfiles.temp_file_beside`, so a killed import leaves a temp file
the next writer removes), and `store.upsert` renames it into place with its change-log entry
(`tempfiles.replace_atomic`): the same atomic write, in two halves. Only the ids are kept.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from timeline.domain.errors import hint
from timeline.domain.schema import Col
from timeline.storage import store, tempfiles
from timeline.storage.rules import Spilled


class Spill:
    """The accepted rows of an import into a new dataset file, written chunk by chunk. The temp
    file is made at the first row (an import that accepts none creates nothing)."""

    def __init__(self, target: Path, dataset: str):
        self.target = store.dataset_target(target)
        self.dataset = dataset
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
        return Spilled(self.tmp, self.dataset, ids)

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
