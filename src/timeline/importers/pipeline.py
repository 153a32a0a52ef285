"""The import pipeline shared by every format: read in chunks, map, validate, collect.

A format module only knows how its columns become event fields (`Format.map`). This module
does the rest the same way for all of them, so every format behaves alike:

- the source is read in chunks (`reading`: every value as text, so "010" stays "010" and
  blanks stay blank), with progress on stderr, keeping memory bounded by the chunk plus the
  accepted rows;
- a row that cannot be mapped, repeats an earlier id, takes an id of another dataset, or
  breaks a schema rule (`validation.check`, exactly as for `timeline append`; `ids`) is
  rejected: it goes to the rejected-rows CSV (`rejects`: its original columns plus `row`
  and `reason`) and is counted in the summary by reason; the other rows are imported;
- the accepted rows come back as one canonical frame for `store.upsert` to write.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.arrowtext import text_bytes
from timeline.domain.schema import Col, empty_frame, to_arrow
from timeline.importers.base import DEFAULT_CHUNK_ROWS, Format, Options
from timeline.importers.dateorder import FileOrder
from timeline.importers.encodings import detect_encoding
from timeline.importers.fields import DateOrder
from timeline.importers.ids import SeenIds, accept_first_valid, fingerprints
from timeline.importers.onepass import source_text
from timeline.importers.reading import (
    HXL_SKIP,
    MALFORMED,
    Piece,
    Progress,
    check_source,
    chunks,
    is_hxl,
    read_ahead,
    short,
)
from timeline.importers.rejects import RejectsFile, reasons_frame
from timeline.storage import store


@dataclass
class Outcome:
    rows: pd.DataFrame
    """Every accepted row, canonical, ready for `store.upsert` (none when `run` wrote them
    to its `spill` as they came)."""
    count: int = 0
    """How many rows were accepted."""
    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """Rows left out on purpose, by why ('not selected'), never rejected."""
    rejected: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    """The first few rejections as 'row N: reason', for output when no file is written."""
    renamed: list[str] = field(default_factory=list)
    """Rows kept under a derived id (--on-duplicate-id suffix), as 'row N: old -> new (...)'."""

    dataset: str = ""
    """The dataset the rows were checked for (`checked`)."""

    @property
    def imported(self) -> int:
        return self.count

    @property
    def checked(self) -> store.Checked:
        """The accepted rows with the promise that every rule was checked, for `store.upsert`."""
        return store.Checked(self.rows, self.dataset)

    def summary(self) -> str:
        """'3,512 imported, 73 rejected: 60 unknown model, 13 bad date'."""
        line = f"{self.imported:,} imported, {sum(self.rejected.values()):,} rejected"
        if self.rejected:
            line += ": " + ", ".join(f"{n:,} {what}" for what, n in self.rejected.most_common())
        if self.skipped:
            line += (
                " ("
                + ", ".join(f"{n:,} row{'' if n == 1 else 's'} {why}" for why, n in self.skipped.items())
                + ")"
            )
        if self.renamed:
            line += f"; {len(self.renamed):,} kept under a derived id (--on-duplicate-id suffix)"
        return line


def _refuse(
    outcome: Outcome, rejects: RejectsFile, refused: list[pd.DataFrame], originals: pd.DataFrame
) -> None:
    """Count a chunk's rejections by category, keep the first examples, write the rows."""
    frames = [r for r in refused if len(r)]
    if not frames:
        return
    refused_all = pd.concat(frames).sort_index()
    outcome.rejected.update(refused_all["category"].tolist())
    for row, reason in refused_all["reason"].head(20 - len(outcome.examples)).items():
        outcome.examples.append(f"row {row}: {reason}")
    rejects.write(originals.loc[refused_all.index], refused_all["reason"])


def _blank_placeholders(fmt: Format, chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk with the format's 'unknown' placeholders ('NA', '-', UCDP's 1753-01-01 in
    a date column) as blanks, so they read as missing values; `chunk` itself is unchanged
    (the rejects file keeps the values as read)."""
    if not fmt.placeholders and not fmt.placeholder_dates:
        return chunk
    out = chunk.copy(deep=False)
    words = sorted(fmt.placeholders - {""})
    values = pa.array(words, type=pa.string())
    for name in out.columns:
        arr = source_text(out, name)  # one array: `reading._piece` combined the reader's blocks
        dates = fmt.placeholder_dates if name in fmt.date_columns else None
        # only a padded value, or one spelled as a placeholder is (its size and first byte),
        # can be one: the others (years, codes, notes) are neither trimmed nor looked up
        rows = None if dates else np.flatnonzero(_could_be(arr, words))
        if rows is not None and not len(rows):
            continue
        few = rows is not None and len(rows) < len(arr) // 2
        arr = pc.utf8_trim_whitespace(arr.take(pa.array(rows)) if few else arr)
        mask = pc.is_in(arr, value_set=values)
        if dates:
            mask = pc.or_(mask, pc.match_substring_regex(arr, dates))
        hits = np.asarray(mask.fill_null(False), dtype=bool)
        if few:  # back to the chunk's rows
            found, hits = hits, np.zeros(len(out), dtype=bool)
            hits[rows[found]] = True
        if hits.any():
            out[name] = out[name].mask(hits, "")
    return out


def _could_be(values: pa.Array, words: list[str]) -> np.ndarray:
    """Per value: whether trimming it could leave one of `words` (none blank). A value that
    starts and ends with printable, non-space ASCII is as trimmed (`arrowtext.maybe_padded`),
    so it is one only if it has a word's size and first byte. Why: testing every short value
    (years, codes, counts) trimmed a dozen whole columns a chunk, a fifth of the read-ahead
    thread."""
    arr, offsets, data = text_bytes(values)
    sizes = np.diff(offsets)
    if not len(data):
        return np.zeros(len(arr), dtype=bool)
    filled = sizes > 0
    first = data[np.minimum(offsets[:-1], len(data) - 1)]
    last = data[np.maximum(offsets[1:] - 1, 0)]
    plain = (first > 0x20) & (first < 0x7F) & (last > 0x20) & (last < 0x7F)
    encoded = [w.encode() for w in words]
    spelled = (sizes <= max(len(w) for w in encoded)) & np.isin(first, [w[0] for w in encoded])
    out = filled & (~plain | spelled)
    if arr.null_count:
        out &= np.asarray(arr.is_valid(), dtype=bool)
    return out


def run(
    fmt: Format,
    path: Path,
    options: Options,
    *,
    foreign: frozenset[str] = frozenset(),
    rejects: RejectsFile | None = None,
    now: datetime | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    say: Callable[[str], None] = lambda _: None,
    progress: Progress = lambda _rows, _share: None,
    spill: Callable[[pa.Table], None] | None = None,
    return_memory: bool = False,
) -> Outcome:
    """Read, map and validate `path`; rejected rows go to `rejects`; notes on how the file was
    read (its encoding, its date order) go to `say`; the accepted rows of each chunk go to
    `spill` when given (`storage.spill`: a new dataset file written as it is read), else they
    are collected in `Outcome.rows`. With `return_memory`, glibc's free pages are given back
    after each chunk (`_return_freed_memory`: less memory, some CPU). Raises InputError when the file is not this format at
    all, or cannot be read without guessing."""
    now = now or datetime.now(UTC)
    rejects = rejects or RejectsFile(None)
    outcome = Outcome(rows=empty_frame(), dataset=fmt.name)
    tables: list[pa.Table] = []
    seen = SeenIds()
    check_source(fmt, path)
    encoding = detect_encoding(path, options.encoding)
    say(f"{path.name}: read as {encoding.name} ({encoding.how})")
    if options.date_format and options.date_order is None and fmt.date_columns:
        options = replace(options, date_order=DateOrder(date_format=options.date_format))
        say(f"{path.name}: {options.date_order.describe()}")
    dates = FileOrder(fmt, path, lambda: chunks(fmt, path, chunk_rows, lambda _r, _s: None, encoding))
    pieces = read_ahead(lambda told: _prepared(fmt, chunks(fmt, path, chunk_rows, told, encoding)), progress)
    with contextlib.closing(pieces):  # on an error, the reader's thread and file are closed
        for ready in pieces:
            piece, chunk, originals = ready.piece, ready.chunk, ready.originals
            refused: list[pd.DataFrame] = []
            if piece.malformed is not None and len(piece.malformed):
                refused.append(reasons_frame(piece.malformed.index, MALFORMED, piece.reasons))
            outcome.read += len(originals)
            if ready.hxl:
                outcome.skipped[HXL_SKIP] += 1
                say(
                    f"{path.name}: row 1 holds HXL hashtags ({short(', '.join(piece.rows.loc[1].head(3)))}...); skipped"
                )
            if len(chunk) and fmt.date_columns and not options.date_format:
                order = dates.see(chunk, options.date_order)
                if order is not None:
                    options = replace(options, date_order=order)
                    say(f"{path.name}: {order.describe()}; --date-format overrides")
            if len(chunk):
                _keep(
                    _accept(fmt, ready, options, foreign, now, seen, refused, outcome), outcome, spill, tables
                )
            _refuse(outcome, rejects, refused, originals)
            del piece, chunk, originals, ready, refused  # the chunk's frames freed (their pages returned)
            if return_memory:
                _return_freed_memory()
    if tables:
        outcome.rows = store.frame_from_table(pa.concat_tables(tables))
    return outcome


def _keep(
    accepted: pd.DataFrame, outcome: Outcome, spill: Callable[[pa.Table], None] | None, tables: list[pa.Table]
) -> None:
    """Count a chunk's accepted rows and hand them, as Arrow, to `spill` (or `tables`)."""
    if len(accepted):
        outcome.count += len(accepted)
        table = to_arrow(accepted.reset_index(drop=True))
        spill(table) if spill is not None else tables.append(table)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None (another C library)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _return_freed_memory() -> None:
    """Give the pages glibc holds free back to the system, once a chunk is done. Why: the
    chunk's pandas and numpy blocks are freed into glibc's arenas, which keep them, so the
    next chunk's peak came on top of them (a re-import reached 3x its file's size). Not for
    every import: the pages given back are taken again, about 50 ms of the mapping thread a
    100,000-row chunk (imp10, at load 25-30)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass
class _Ready:
    """A piece of the source with what is decided from it alone (`_prepared`)."""

    piece: Piece
    chunk: pd.DataFrame
    """The rows to map (an HXL tag row dropped), as read."""
    originals: pd.DataFrame
    """Every row of the piece as read, the malformed ones too: what the rejects file keeps."""
    hxl: bool = False
    blanked: pd.DataFrame | None = None
    """`chunk` with the format's placeholders blank (`_blank_placeholders`)."""
    prints: pd.Series | None = None
    """Each original row's fingerprint (`ids.fingerprints`)."""


def _prepared(fmt: Format, pieces: Iterator[Piece]) -> Iterator[_Ready]:
    """Each piece with its placeholders blanked and its rows fingerprinted: work that needs no
    earlier chunk, so `read_ahead` does it in its thread, beside the mapping of the chunk
    before (on the mapping's thread it was about a fifth of an ACLED import's CPU time)."""
    try:
        for piece in pieces:
            chunk = originals = piece.rows
            if piece.malformed is not None and len(piece.malformed):
                originals = pd.concat([chunk, piece.malformed])
            hxl = is_hxl(piece)
            if hxl:
                chunk = chunk.drop(index=1)
            ready = _Ready(piece, chunk, originals, hxl)
            if len(chunk):
                ready.blanked = _blank_placeholders(fmt, chunk)
                ready.prints = fingerprints(originals)
            yield ready
    finally:
        if isinstance(pieces, Generator):
            pieces.close()  # the reader's file, at once


def _accept(
    fmt: Format,
    ready: _Ready,
    options: Options,
    foreign: frozenset[str],
    now: datetime,
    seen: SeenIds,
    refused: list[pd.DataFrame],
    outcome: Outcome,
) -> pd.DataFrame:
    """Map a chunk and keep its valid rows, one per id and none of another dataset's ids;
    rejections go to `refused`, rows left out on purpose to `outcome.skipped`."""
    assert ready.blanked is not None and ready.prints is not None  # a chunk with rows
    originals = ready.originals
    result = fmt.map(ready.blanked, options)
    if result.skipped:
        outcome.skipped[result.skipped_label] += result.skipped
    outcome.skipped.update(result.also_skipped)
    rows = result.rows
    refused.append(result.rejected)
    ids = rows[str(Col.EVENT_ID)].astype("object")
    taken = ids.isin(foreign) if foreign else pd.Series(False, index=ids.index)
    if taken.any():
        refused.append(reasons_frame(rows.index[taken], "event_id of another dataset",
                                     "event_id of another dataset: " + ids[taken]
                                     + " is already in the target from another dataset"))  # fmt: skip
    return accept_first_valid(rows[~taken] if taken.any() else rows, now, fmt.name, refused, seen, originals,
                              ready.prints, options.on_duplicate_id == "suffix", outcome.renamed)  # fmt: skip
