"""The import pipeline shared by every format: read in chunks, map, validate, collect.

A format module only knows how its columns become event fields (`Format.map`). This module
does the rest the same way for all of them, so every format behaves alike:

- the source is read in chunks (`dtype=str`, so "010" stays "010" and blanks stay blank),
  with progress on stderr, keeping memory bounded by the chunk plus the accepted rows;
- a row that cannot be mapped, repeats an earlier id, takes an id of another dataset, or
  breaks a schema rule (`validation.check`, exactly as for `timeline append`) is rejected:
  it goes to the rejected-rows CSV (its original columns plus `row` and `reason`) and is
  counted in the summary by reason; the other rows are imported;
- the accepted rows come back as one canonical frame for `store.upsert` to write.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.errors import InputError, Unreadable, unreadable
from timeline.domain.schema import COLUMNS, FIELDS, PANDAS_DTYPES, Col, Kind, empty_frame, to_arrow
from timeline.domain.validation import Problem, check
from timeline.importers.fields import (
    DAY_FIRST,
    MONTH_FIRST,
    STRING,
    DateOrder,
    expected_dates,
    numeric_parts,
    string_lists,
)
from timeline.storage import store

DEFAULT_CHUNK_ROWS = 100_000

PLACEHOLDERS = frozenset({"", "NA", "N/A", "n/a", "#N/A", "-", "--", "NULL", "null"})
"""Values that mean 'unknown' in ACLED, UCDP and spreadsheet exports (R's NA, Excel's #N/A)."""


@dataclass
class Options:
    """Format-specific choices from the command line."""

    cameo_roots: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    combine: bool = False
    date_format: str | None = None
    """--date-format: how the file writes dates other than ISO (strptime codes)."""
    encoding: str | None = None
    """--encoding: the file's text encoding, instead of detecting it."""
    on_duplicate_id: str = "reject"
    """--on-duplicate-id: `reject` a different event sharing an id, or `suffix` it."""
    date_order: DateOrder | None = None
    """How this file writes all-digit dates, decided by `run` before mapping."""


@dataclass
class Mapped:
    """One chunk after mapping: event rows (schema columns, indexed by source row number),
    rejected rows (`category`, `reason`, same index), and rows left out on purpose."""

    rows: pd.DataFrame
    rejected: pd.DataFrame
    skipped: int = 0
    skipped_label: str = "not selected"
    also_skipped: dict[str, int] = field(default_factory=dict)
    """Further rows left out on purpose, by reason ('with a CAMEO code outside the taxonomy')."""


@dataclass(frozen=True)
class Format:
    name: str
    """The --format value; also the `dataset` label of the rows it imports."""
    title: str
    """What the file is, for messages ('an ACLED export')."""
    map: Callable[[pd.DataFrame, Options], Mapped]
    required: tuple[str, ...] = ()
    """Source columns the file must have."""
    read_options: dict[str, Any] = field(default_factory=dict)
    """Extra pandas.read_csv options (separator, header, column names)."""
    whole_file: bool = False
    """Map the file in one piece (ids that depend on other rows, merged windows)."""
    fields: int | None = None
    """For headerless files: how many separated fields every line has."""
    date_columns: tuple[str, ...] = ()
    """Source columns that may hold all-digit dates, whose day/month order is decided per file."""
    placeholders: frozenset[str] = frozenset()
    """Whole values this format writes for 'unknown' ('NA', '-'): read as blank."""
    placeholder_dates: str | None = None
    """A regex of date values that mean 'unknown' in `date_columns` (UCDP's 1753-01-01)."""


class Reasons:
    """Collects why rows of a chunk are rejected; the first reason per row wins."""

    def __init__(self, index: pd.Index):
        self.category = pd.Series(pd.NA, index=index, dtype=STRING)
        self.reason = pd.Series(pd.NA, index=index, dtype=STRING)

    def add(self, mask: pd.Series, category: str, detail: pd.Series | str | None = None) -> None:
        new = mask.fillna(False).astype(bool) & self.category.isna()
        if not new.any():
            return
        self.category[new] = category
        if detail is None:
            self.reason[new] = category
        elif isinstance(detail, str):
            self.reason[new] = f"{category}: {detail}"
        else:
            self.reason[new] = (category + ": " + detail.astype(STRING)[new].fillna("")).to_numpy()

    @property
    def rejected(self) -> pd.Series:
        return self.category.notna()

    def frame(self) -> pd.DataFrame:
        bad = self.rejected
        return pd.DataFrame({"category": self.category[bad], "reason": self.reason[bad]})


def quoted(s: pd.Series) -> pd.Series:
    """Values as they appear in messages: 'value'."""
    return "'" + s.astype(STRING).fillna("") + "'"


def mapped(
    rows: dict[Col, pd.Series | object],
    index: pd.Index,
    reasons: Reasons,
    skipped: int = 0,
    also_skipped: dict[str, int] | None = None,
) -> Mapped:
    """Assemble a format's columns (series or constants) into a `Mapped` chunk in schema order,
    dropping the rejected rows."""
    frame = pd.DataFrame(
        {str(col): (value if isinstance(value, pd.Series) else pd.Series([value] * len(index), index=index))
         for col, value in rows.items()},
        index=index,
    )  # fmt: skip
    for f in FIELDS:  # typed empties: the validator parses untyped ones value by value
        name = str(f.col)
        if name not in frame.columns and f.col not in (Col.ADDED_AT, Col.DATASET):
            frame[name] = _empty(f.kind, index)
    keep = ~reasons.rejected
    columns = [c for c in COLUMNS if c in frame.columns]
    kept = frame[columns] if keep.all() else frame.loc[keep, columns]  # a filter copies every column
    return Mapped(kept, reasons.frame(), skipped, also_skipped=also_skipped or {})


def _empty(kind: Kind, index: pd.Index) -> pd.Series:
    if kind is Kind.LIST:
        return string_lists(index, pd.Series("", index=index, dtype=STRING))
    if kind is Kind.STRING:
        return pd.Series(pd.NA, index=index, dtype=STRING)
    return pd.Series([None] * len(index), index=index).astype(PANDAS_DTYPES[kind])


# --- reading --------------------------------------------------------------------------------


@dataclass
class Piece:
    """One chunk of the source: `rows`, every value as text, indexed by the 1-based data row
    (header and blank lines not counted); and `malformed`, the rows with more fields than the
    header (their first fields under the header's names, same index), with `reasons`."""

    rows: pd.DataFrame
    malformed: pd.DataFrame | None = None
    reasons: pd.Series | None = None


MALFORMED = "too many fields"
"""The rejection category of a row with more fields than the header."""


class _Unreadable(Exception):
    """pandas' fast parser stopped at a row it cannot split into the header's fields."""


@dataclass
class _Position:
    """Where reading resumes: byte offset, its 1-based line number, data rows before it, and
    whether the header line is still ahead."""

    offset: int = 0
    line: int = 1
    row: int = 0
    header: bool = True


@dataclass(frozen=True)
class Encoding:
    """How the source's bytes are text: `codec` reads it after the byte-order mark `bom`
    (skipped); `how` says how it was chosen, for the message naming it."""

    codec: str
    bom: bytes = b""
    how: str = "detected"

    @property
    def name(self) -> str:
        label = {"utf-8": "UTF-8", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE",
                 "utf-32-le": "UTF-32LE", "utf-32-be": "UTF-32BE"}.get(self.codec, self.codec)  # fmt: skip
        return label


_BOMS = (  # longest first: a UTF-32LE mark begins with the UTF-16LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
SAMPLE_BYTES = 1 << 20
"""How much of a file without a byte-order mark the encoding is detected from."""


def detect_encoding(path: Path, override: str | None = None) -> Encoding:
    """The source's encoding: a byte-order mark decides; else UTF-8 when the first MiB is
    valid UTF-8; else charset-normalizer's best reading (cp1252, Excel's Western default,
    whenever it gives the same text as the code page found). `override` (--encoding) wins,
    a byte-order mark of that encoding still skipped."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    bom, bom_codec = next(((b, c) for b, c in _BOMS if sample.startswith(b)), (b"", None))
    if override:
        codec = codecs.lookup(override).name
        if codec in ("utf-16", "utf-32"):  # the mark, or else little-endian, gives the byte order
            codec = bom_codec if bom_codec and bom_codec.startswith(codec) else codec + "-le"
        return Encoding(codec, bom if bom_codec == codec else b"", "given with --encoding")
    if bom_codec:
        return Encoding(bom_codec, bom, "its byte-order mark says so")
    head = sample[:64]
    if len(head) >= 8:  # UTF-16 without a mark: ASCII text has every other byte 0
        if head[1::2].count(0) == len(head) // 2:
            return Encoding("utf-16-le", how="detected")
        if head[0::2].count(0) == len(head) // 2:
            return Encoding("utf-16-be", how="detected")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
        whole = len(sample) < SAMPLE_BYTES
        return Encoding("utf-8", how="all of it is valid UTF-8" if whole else "its first MiB is valid UTF-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for files that are not UTF-8

    best = from_bytes(sample).best()
    if best is None:
        raise InputError(f"{path}: cannot tell the text encoding; give it with --encoding (e.g. cp1252)")
    codec = "cp1252" if "cp1252" in best.could_be_from_charset else best.encoding
    return Encoding(codecs.lookup(codec).name, how="detected by charset-normalizer")


_UNREADABLE = {
    Unreadable.MISSING: "no such file",
    Unreadable.UNDER_A_FILE: "no such file (a part of the path is a file, not a folder)",
    Unreadable.FOLDER: "is a folder, expected {title}",
    Unreadable.SPECIAL: "not a regular file (a pipe or a device?), expected {title}",
    Unreadable.DENIED: "permission denied; you may not read this file",
}


def check_source(fmt: Format, path: Path) -> None:
    """Refuse at once a path that is not a non-empty regular file we may read (the one check,
    `errors.unreadable`, worded for an import)."""
    why = unreadable(path)
    if why is not None:
        raise InputError(f"{path}: {_UNREADABLE[why].format(title=fmt.title)}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")


Progress = Callable[[int, float], None]
"""Told the rows read so far and the share of the file's bytes they end at."""


def _chunks(
    fmt: Format, path: Path, chunk_rows: int, progress: Progress, encoding: Encoding
) -> Iterator[Piece]:
    """The source as chunks of string rows whose index is the 1-based data row number.

    pandas' C parser reads the file, fast. A row with more fields than the header stops it
    (or, in a segment's first row, makes it drop the extra fields with a warning); the rows
    from the start of that chunk are then read again with the `csv` module, which splits each
    row on its own, so the too-long rows come back as `Piece.malformed` (rejected with their
    line number) and the others as usual; the C parser takes over again after that chunk.
    A row with too few fields is padded with blanks, by both parsers, as pandas always does.
    """
    options: dict[str, Any] = {
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skipinitialspace": False,
        "index_col": False,  # never take a first column as the index when row 1 is too long
        "chunksize": None if fmt.whole_file else chunk_rows,
        "encoding": encoding,
    }
    options.update(fmt.read_options)
    if fmt.fields is not None:
        _check_fields(fmt, path, options.get("sep", ","), encoding)
    has_header = options.get("header", "infer") is not None
    read = 0  # data rows given so far
    try:
        names = _header(path, options) if has_header else list(options["names"])
        columns = [str(c).strip() for c in names]
        _check_columns(fmt, path, columns)
        size = max(path.stat().st_size, 1)
        here = _Position(header=has_header)
        while True:
            try:
                for chunk, offset in _fast(path, here, names, options):
                    chunk.columns = columns
                    chunk.index = pd.RangeIndex(read + 1, read + len(chunk) + 1)
                    read += len(chunk)
                    progress(read, min(offset / size, 1.0))
                    yield Piece(chunk)
                return
            except _Unreadable:
                pass
            piece, here, done = _careful(fmt, path, here, read - here.row, None if fmt.whole_file else chunk_rows,
                                         columns, options)  # fmt: skip
            read = here.row
            progress(read, min(here.offset / size, 1.0))
            yield piece
            if done:
                return
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: not {encoding.name} text ({encoding.how}): {err.reason} after data row {read:,}; "
            "give the file's encoding with --encoding (e.g. --encoding cp1252 for a file saved by Excel)"
        ) from err
    except (pd.errors.ParserError, csv.Error) as err:
        detail = str(err).strip().removeprefix("Error tokenizing data. C error: ")
        after = f" after data row {read:,}" if read else ""
        raise InputError(f"{path}: cannot be read as {fmt.title}{after} ({detail})") from err
    except pd.errors.EmptyDataError as err:
        raise InputError(f"{path}: file is empty") from err


def _open_at(path: Path, offset: int, encoding: Encoding) -> io.TextIOWrapper:
    binary = path.open("rb")
    binary.seek(offset or len(encoding.bom))
    return io.TextIOWrapper(binary, encoding=encoding.codec, newline="")


def _pandas(options: dict[str, Any]) -> dict[str, Any]:
    """The options pandas takes (the handle it reads is already decoded)."""
    return {k: v for k, v in options.items() if k != "encoding"}


def _header(path: Path, options: dict[str, Any]) -> list[str]:
    """The header's column names as pandas names them (a repeated name gets '.1')."""
    with _open_at(path, 0, options["encoding"]) as handle:
        head = pd.read_csv(handle, **{**_pandas(options), "chunksize": None, "nrows": 0})
    return [str(c) for c in head.columns]


def _fast(
    path: Path, here: _Position, names: list[str], options: dict[str, Any]
) -> Iterator[tuple[pd.DataFrame, int]]:
    """pandas' C parser from `here` to the end: chunks and the byte offset reached. Raises
    _Unreadable at a row with too many fields; other parser errors propagate."""
    if here.offset > 0 or not here.header:  # resuming after a careful chunk: no header here
        options = {**options, "header": None, "names": names}
    with _open_at(path, here.offset, options["encoding"]) as handle:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                reader = pd.read_csv(handle, **_pandas(options))
            pieces = iter([reader] if options["chunksize"] is None else reader)
            while True:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    chunk = next(pieces, None)
                if chunk is None:
                    return
                yield chunk, handle.buffer.tell()
        except pd.errors.ParserWarning as err:  # row 1 of the segment too long: pandas would cut it
            raise _Unreadable(str(err)) from err
        except pd.errors.ParserError as err:
            if re.search(r"Expected \d+ fields in line \d+, saw \d+", str(err)):
                raise _Unreadable(str(err)) from err
            quote = re.search(r"EOF inside string starting at row (\d+)", str(err))
            if quote:  # pandas counts from this segment's first line, the header (if any) being 0
                row = here.row + int(quote.group(1)) + (0 if here.offset == 0 and here.header else 1)
                raise InputError(
                    f"{path}: a quoted field opened in {_where(path, here, row, options)} is never closed "
                    "(the file ends inside it)"
                ) from err
            raise
        except pd.errors.EmptyDataError:
            if here.offset == 0:
                raise
            return  # resumed exactly at the end of the file


class _Records:
    """The data rows from `here`, split one at a time by the `csv` module the way pandas'
    parser splits them (blank lines skipped, the header line passed over): iterating gives
    (data row, line where the row starts, fields); `after` is the position past the last row
    given."""

    def __init__(self, path: Path, here: _Position, options: dict[str, Any]):
        self.path, self.here, self.options = path, here, options
        self.used = [0, 0]  # bytes and lines consumed from `here`
        self.row = here.row

    def __iter__(self) -> Iterator[tuple[int, int, list[str]]]:
        here, used = self.here, self.used
        limit_before = csv.field_size_limit()
        csv.field_size_limit(2**31 - 1)  # pandas has no limit on a field's length
        try:
            encoding: Encoding = self.options["encoding"]
            with self.path.open("rb") as binary:
                binary.seek(here.offset)
                if here.offset == 0:
                    binary.seek(len(encoding.bom))
                    used[0] = len(encoding.bom)
                text_io = io.TextIOWrapper(binary, encoding=encoding.codec, newline="")

                raw: list[str] = []  # the lines of the row being read

                def lines() -> Iterator[str]:
                    for line in text_io:
                        used[0] += len(line.encode(encoding.codec))
                        used[1] += 1
                        raw.append(line)
                        yield line

                quoting = self.options.get("quoting", csv.QUOTE_MINIMAL)
                reader = csv.reader(
                    lines(), delimiter=self.options.get("sep", ","), quoting=quoting, strict=False
                )
                header, start, line = here.header and here.offset == 0, 0, here.line
                last: list[str] = []
                for record in reader:
                    line, start = here.line + start, reader.line_num
                    last, raw = raw, []  # `lines` appends to the new list from here on
                    if not record or (len(record) == 1 and not record[0].strip()):
                        continue  # a blank line, skipped as pandas skips it
                    if header:
                        header = False
                        continue
                    self.row += 1
                    yield self.row, line, record
                # An unclosed quote swallows the rest of the file into one field, which the csv
                # module allows and pandas does not: a well-formed row has an even number of
                # quote characters (each quoted field opens and closes; quotes inside doubled).
                if quoting != csv.QUOTE_NONE and sum(part.count('"') for part in last) % 2:
                    raise InputError(
                        f"{self.path}: a quoted field opened in data row {self.row:,} (line {line:,}) is never "
                        "closed (the file ends inside it)"
                    )
        finally:
            csv.field_size_limit(limit_before)

    def after(self) -> _Position:
        return _Position(
            self.here.offset + self.used[0], self.here.line + self.used[1], self.row, header=False
        )


def _careful(
    fmt: Format,
    path: Path,
    here: _Position,
    skip: int,
    limit: int | None,
    columns: list[str],
    options: dict[str, Any],
) -> tuple[Piece, _Position, bool]:
    """Read `limit` rows (all, if None) after the first `skip` data rows from `here` with the
    `csv` module, one row at a time, as pandas would (short rows padded); rows with too many
    fields are returned apart. Returns the piece, the position after it, and whether the file
    ended."""
    width = len(columns)
    expected = f"the header {width}" if fmt.fields is None else f"expected {width}"
    good: list[list[str]] = []
    good_rows: list[int] = []
    bad: list[list[str]] = []
    bad_rows: list[int] = []
    reasons: list[str] = []
    records, done = _Records(path, here, options), True
    for row, line, record in records:
        if row <= here.row + skip:
            continue
        if len(record) > width:
            extra = _short(", ".join(repr(v) for v in record[width:]))
            bad.append(record[:width])
            bad_rows.append(row)
            reasons.append(f"{MALFORMED}: line {line} has {len(record)} fields, {expected} (extra: {extra})")
        else:
            good.append(record + [""] * (width - len(record)))
            good_rows.append(row)
        if limit is not None and len(good) + len(bad) >= limit:
            done = False
            break
    good_index, bad_index = pd.Index(good_rows, dtype="int64"), pd.Index(bad_rows, dtype="int64")
    rows = pd.DataFrame(good, columns=columns, index=good_index, dtype=object).astype(str)
    malformed = pd.DataFrame(bad, columns=columns, index=bad_index, dtype=object).astype(str)
    return Piece(rows, malformed, pd.Series(reasons, index=bad_index, dtype=str)), records.after(), done


def _where(path: Path, here: _Position, row: int, options: dict[str, Any]) -> str:
    """'data row 11 (line 12)': where a data row starts, for messages."""
    with contextlib.suppress(csv.Error, UnicodeDecodeError):
        for found, line, _ in _Records(path, here, options):
            if found == row:
                return f"data row {row:,} (line {line:,})"
    return f"data row {row:,}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_fields(fmt: Format, path: Path, sep: str, encoding: Encoding) -> None:
    with _open_at(path, 0, encoding) as fh:
        first = fh.readline().rstrip("\r\n")
    found = len(first.split(sep))
    if found != fmt.fields:
        raise InputError(f"{path}: not {fmt.title}: line 1 has {found} fields, expected {fmt.fields}")


def _check_columns(fmt: Format, path: Path, columns: list[str]) -> None:
    missing = [c for c in fmt.required if c not in columns]
    if missing:
        raise InputError(f"{path}: not {fmt.title}: missing column(s) {', '.join(missing)}")


# --- rejected rows --------------------------------------------------------------------------


class RejectsFile:
    """The rejected rows, streamed to a temp file beside the target while the source is read.

    `commit` puts the file in place (or removes a stale one when nothing was rejected) and is
    called before the dataset is written, so a dataset is never updated without its rejects;
    the file it replaced is kept aside until `finish`, so that `abandon` (the dataset write
    failed, or the import stopped) can put it back. Folders created for the file are removed
    again by `abandon` if they are still empty.
    """

    def __init__(self, target: Path | None):
        self.target = target
        self.tmp: Path | None = None
        self.previous: Path | None = None
        self.committed = False
        self.created: list[Path] = []
        self.count = 0

    def write(self, original: pd.DataFrame, reasons: pd.Series) -> None:
        self.count += len(original)
        if self.target is None or not len(original):
            return
        out = original.copy()
        row_col = "row" if "row" not in out.columns else "import_row"
        reason_col = "reason" if "reason" not in out.columns else "import_reason"
        out.insert(0, row_col, original.index)
        out[reason_col] = reasons.to_numpy()
        header = self.tmp is None
        if header:
            self._make_folder(self.target.parent)
            fd, self.tmp = store.temp_file_beside(self.target)
            os.close(fd)
        out.to_csv(self.tmp, mode="w" if header else "a", header=header, index=False)

    def _make_folder(self, folder: Path) -> None:
        missing = [f for f in (folder, *folder.parents) if not f.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        self.created = missing  # deepest first, the order to remove them in

    def commit(self) -> Path | None:
        """Put the rejects in place, or remove a stale file when nothing was rejected; returns
        the path written, if any."""
        if self.target is None:
            return None
        if self.target.exists():
            self.previous = self.target.with_name(f".{self.target.name}.{os.getpid()}.previous")
            if self.tmp is None:
                os.replace(self.target, self.previous)  # stale: nothing rejected this time
            else:
                try:
                    os.link(self.target, self.previous)  # the new file replaces it atomically below
                except OSError:
                    shutil.copy2(self.target, self.previous)
        if self.tmp is not None:
            os.replace(self.tmp, self.target)
            self.tmp = None
            self.committed = True
            return self.target
        return None

    def finish(self) -> None:
        """The import succeeded: drop the replaced file."""
        if self.previous is not None:
            with contextlib.suppress(FileNotFoundError):
                self.previous.unlink()
            self.previous = None

    def abandon(self) -> None:
        """The import failed: remove what this run wrote and put back what it replaced."""
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                self.tmp.unlink()
            self.tmp = None
        if self.target is not None and self.previous is not None:
            os.replace(self.previous, self.target)  # over this run's file, if it was committed
            self.previous = None
        elif self.target is not None and self.committed:
            with contextlib.suppress(FileNotFoundError):
                self.target.unlink()
        self.committed = False
        for folder in self.created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        self.created = []


# --- the pipeline -----------------------------------------------------------------------------


class _SeenIds:
    """The ids of accepted rows, the rows they came from and a fingerprint of each row's
    source text, kept as sorted 64-bit hashes: 24 bytes an id instead of a Python dict entry.
    A false 'duplicate' would need two ids with the same 64-bit hash (about one chance in ten
    million for two million ids)."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.rows = np.empty(0, dtype=np.int64)
        self.prints = np.empty(0, dtype=np.uint64)

    @staticmethod
    def _hash(ids: pd.Series) -> np.ndarray:
        return pd.util.hash_pandas_object(ids.astype("object"), index=False).to_numpy()

    def first_rows(self, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
        """The accepted row of each id (or missing) and that row's fingerprint."""
        out = pd.Series(np.nan, index=ids.index)
        prints = pd.Series(np.zeros(len(ids), dtype=np.uint64), index=ids.index)
        if not len(self.hashes) or not len(ids):
            return out, prints
        h = self._hash(ids)
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        hit = self.hashes[pos] == h
        out[hit] = self.rows[pos[hit]]
        prints[hit] = self.prints[pos[hit]]
        return out, prints

    def add(self, ids: pd.Series, rows: pd.Index, prints: np.ndarray) -> None:
        hashes = np.concatenate([self.hashes, self._hash(ids)])
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.rows = np.concatenate([self.rows, rows.to_numpy(dtype=np.int64)])[order]
        self.prints = np.concatenate([self.prints, prints])[order]


@dataclass
class Outcome:
    rows: pd.DataFrame
    """Every accepted row, canonical, ready for `store.upsert`."""
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
        return len(self.rows)

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


def _as_categories(raw: pd.DataFrame) -> pd.DataFrame:
    """Text columns as categories before `validation.check`. Speed only: the validator's
    per-value blank test is a Python loop over text columns, while categories take its
    vectorised path, which strips and blanks them just the same; every rule still runs."""
    out = raw.copy()
    for f in FIELDS:
        name = str(f.col)
        if f.kind is Kind.STRING and name in out.columns and pd.api.types.is_string_dtype(out[name].dtype):
            out[name] = out[name].astype("category")
    return out


def _describe(problem: Problem) -> str:
    """'column = 'value': reason', dates shown as days (importers pass them parsed)."""
    if problem.value is None or problem.value in ("NaT", "nan", "<NA>", "None"):  # a missing value
        return f"{problem.column}: {problem.reason}"
    value = problem.value.removesuffix(" 00:00:00")
    return f"{problem.column} = {value!r}: {problem.reason}"


def _problem_reasons(raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """validation.check problems -> one (category, reason) per source row."""
    by_row: dict[int, list[Problem]] = {}
    for p in problems:
        if p.row is None:
            raise InputError(f"importer produced an invalid table: {p}")
        by_row.setdefault(p.row, []).append(p)
    index = raw.index[[r - 1 for r in by_row]]
    categories = [ps[0].reason for ps in by_row.values()]
    reasons = ["; ".join(_describe(p) for p in ps) for ps in by_row.values()]
    return pd.DataFrame({"category": categories, "reason": reasons}, index=index)


def _reasons(index: pd.Index, category: str, reason: pd.Series | str) -> pd.DataFrame:
    text = reason.to_numpy() if isinstance(reason, pd.Series) else reason
    return pd.DataFrame({"category": category, "reason": text}, index=index)


def _fingerprints(originals: pd.DataFrame) -> pd.Series:
    """A 64-bit hash of each source row's text: equal for rows that repeat one another."""
    return pd.util.hash_pandas_object(originals, index=False)


def _differing(originals: pd.DataFrame, rows: pd.Series) -> list[str]:
    """' (differs from row N in a, b)' for each row (index) and the row N it shares an id with
    (value), naming the source columns when row N is in this chunk."""
    firsts = rows.astype("int64").to_numpy()
    here = np.isin(firsts, originals.index.to_numpy())
    columns = np.array([str(c) for c in originals.columns], dtype=object)
    mine = originals.loc[rows.index[here]].astype(object).to_numpy()
    theirs = originals.loc[firsts[here]].astype(object).to_numpy()
    listed = iter([list(columns[mine[i] != theirs[i]]) for i in range(len(mine))])
    out = []
    for first, known in zip(firsts, here, strict=True):
        if not known:
            out.append(f" (its fields differ from row {first:,})")
            continue
        names = next(listed)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        out.append(f" (differs from row {first:,} in {shown})")
    return out


def _derived_ids(ids: pd.Series, originals: pd.DataFrame) -> pd.Series:
    """`<id>-<6 hex>`: a stable id for a different event sharing `ids`, from its source text."""
    text_rows = originals.loc[ids.index].astype("object").fillna("").agg("\x1f".join, axis=1)
    digest = text_rows.map(lambda v: hashlib.sha1(v.encode("utf-8")).hexdigest()[:6])
    return ids + "-" + digest.astype(str)


def _accept_first_valid(
    rows: pd.DataFrame,
    now: datetime,
    dataset: str,
    refused: list[pd.DataFrame],
    seen: _SeenIds,
    originals: pd.DataFrame,
    prints: pd.Series,
    suffix: bool,
    renamed: list[str],
) -> pd.DataFrame:
    """Validate `rows` (`validation.check`, as `timeline append` does) keeping one row per id:
    the first valid one. A later row with the id of an accepted row (in this chunk or an
    earlier one) is a `repeated row` when its source text is the same, else a different event
    sharing the id: rejected as `duplicate event_id`, or with `suffix` given a derived id and
    checked again. An id whose row was rejected passes to its next row, so a duplicate never
    points at a rejected row. Returns the accepted canonical rows indexed by source row, in
    source order; rejections go to `refused`, renamings to `renamed`."""
    key = str(Col.EVENT_ID)
    accepted: list[pd.DataFrame] = []
    while len(rows):
        ids = rows[key].astype("object")
        first, first_prints = seen.first_rows(ids)
        hit = first.notna()
        lead = ~hit & ~ids.duplicated(keep="first")
        again = rows.iloc[0:0]
        if hit.any():
            same = hit & (prints[rows.index].to_numpy() == first_prints.to_numpy())
            if same.any():
                refused.append(_reasons(rows.index[same], "repeated row",
                                        "repeated row: repeats row " + first[same].astype("int64").astype(str)
                                        + " (" + ids[same] + ") exactly"))  # fmt: skip
            other = hit & ~same
            if other.any():
                why = pd.Series(_differing(originals, first[other]), index=rows.index[other], dtype=object)
                if suffix:
                    again = rows[other].copy()
                    new = _derived_ids(ids[other], originals)
                    again[key] = new.astype(again[key].dtype)
                    renamed.extend(f"row {r:,}: {old} -> {n}{w}" for r, old, n, w
                                   in zip(again.index, ids[other], new, why, strict=True))  # fmt: skip
                else:
                    refused.append(_reasons(rows.index[other], "duplicate event_id",
                                            "duplicate event_id: " + ids[other] + " is also row "
                                            + first[other].astype("int64").astype(str) + "'s, a different event"
                                            + why + "; --on-duplicate-id suffix keeps both"))  # fmt: skip
        if lead.any():
            raw, _ = store.with_append_defaults(rows if lead.all() else rows[lead], now, dataset=dataset)
            canonical, problems = check(_as_categories(raw).reset_index(drop=True))
            canonical.index = raw.index
            if problems:
                bad = _problem_reasons(raw, problems)
                refused.append(bad)
                canonical = canonical[~canonical.index.isin(bad.index)]
            accepted.append(canonical)
            seen.add(canonical[key], canonical.index, prints[canonical.index].to_numpy())
        rest = ~lead & ~hit
        rest_rows = rows[rest] if rest.any() else rows.iloc[0:0]
        rows = pd.concat([rest_rows, again]) if len(again) else rest_rows
    if not accepted:
        return rows
    return pd.concat(accepted).sort_index() if len(accepted) > 1 else accepted[0]


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


HXL_TAG = r"^#[A-Za-z][\w]*(?:\s*\+\s*[\w]+)*$"
"""A Humanitarian Exchange Language hashtag ('#event+id', '#date+start'), as the humanitarian
data exchange puts under the header of the files it republishes."""
HXL_SKIP = "HXL hashtag row (tags under the header, not an event)"


def _is_hxl(piece: Piece) -> bool:
    """Whether data row 1 is a row of HXL hashtags: every filled cell a tag, at least one."""
    if 1 not in piece.rows.index:
        return False
    cells = [str(v).strip() for v in piece.rows.loc[1].tolist()]
    filled = [c for c in cells if c]
    return bool(filled) and all(re.match(HXL_TAG, c) for c in filled)


def _blank_placeholders(fmt: Format, chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk with the format's 'unknown' placeholders ('NA', '-', UCDP's 1753-01-01 in
    a date column) as blanks, so they read as missing values; `chunk` itself is unchanged
    (the rejects file keeps the values as read)."""
    if not fmt.placeholders and not fmt.placeholder_dates:
        return chunk
    out = chunk.copy(deep=False)
    values = pa.array(sorted(fmt.placeholders - {""}), type=pa.string())
    for name in out.columns:
        arr = pc.utf8_trim_whitespace(pa.array(out[name].astype(STRING).array))
        mask = pc.is_in(arr, value_set=values)
        if fmt.placeholder_dates and name in fmt.date_columns:
            mask = pc.or_(mask, pc.match_substring_regex(arr, fmt.placeholder_dates))
        hits = np.asarray(mask.fill_null(False), dtype=bool)
        if hits.any():
            out[name] = out[name].mask(hits, "")
    return out


def _numeric_evidence(piece: Piece, columns: tuple[str, ...]) -> tuple[bool, dict[str, tuple[int, str, str]]]:
    """Whether the piece has all-digit dates, and the first row showing each order:
    {order: (row, column, value)}."""
    found: dict[str, tuple[int, str, str]] = {}
    any_numeric = False
    for name in columns:
        if name not in piece.rows.columns:
            continue
        parts = numeric_parts(piece.rows[name])
        numeric = parts["a"].notna()
        if not numeric.any():
            continue
        any_numeric = True
        for order, shows in ((DAY_FIRST, (parts["a"] > 12) & (parts["b"] <= 12)),
                             (MONTH_FIRST, (parts["b"] > 12) & (parts["a"] <= 12))):  # fmt: skip
            if shows.any() and order not in found:
                row = int(shows.idxmax())
                found[order] = (row, name, str(piece.rows.at[row, name]).strip())
    return any_numeric, found


def _first_numeric(chunk: pd.DataFrame, columns: tuple[str, ...]) -> tuple[int, str, str]:
    """The first all-digit date of the chunk: (row, column, value)."""
    for name in columns:
        if name in chunk.columns:
            numeric = numeric_parts(chunk[name])["a"].notna()
            if numeric.any():
                row = int(numeric.idxmax())
                return row, name, str(chunk.at[row, name]).strip()
    raise AssertionError("no all-digit date in the chunk")


def _mixed_dates(path: Path, found: dict[str, tuple[int, str, str]]) -> InputError:
    (r1, c1, v1), (r2, c2, v2) = found[DAY_FIRST], found[MONTH_FIRST]
    return InputError(
        f"{path}: the all-digit dates are written both day-first ({c1} {v1!r} at row {r1:,}) and "
        f"month-first ({c2} {v2!r} at row {r2:,}), as when a spreadsheet converted only some of them; "
        "nothing was imported. Fix the file, or give --date-format %d/%m/%Y (day first) or "
        "--date-format %m/%d/%Y (month first) to read every date one way (the dates that do not fit "
        "it are then rejected)"
    )


def _first_evidence(fmt: Format, pieces: Iterator[Piece]) -> dict[str, tuple[int, str, str]]:
    """The first row, in the rest of the file, that shows the order of its all-digit dates."""
    for piece in pieces:
        _, found = _numeric_evidence(piece, fmt.date_columns)
        if found:
            return dict([min(found.items(), key=lambda item: item[1][0])])
    return {}


def reject_dates(
    r: Reasons, original: pd.Series, name: str, day: pd.Series, bad: pd.Series, order: DateOrder | None
) -> None:
    """Reject rows whose date `name` is missing, ambiguous (all digits, in a file that does
    not tell day-first from month-first) or unreadable, each saying which."""
    r.add(day.isna() & ~bad, "missing date", f"{name} is blank or says unknown")
    if order is None or not (order.order or order.date_format):
        ambiguous = bad & numeric_parts(original)["a"].notna()
        r.add(ambiguous, "ambiguous date", f"{name} " + quoted(original)
              + " could be day-first or month-first and no date in this file tells which; "
              "give --date-format %d/%m/%Y or %m/%d/%Y")  # fmt: skip
    r.add(bad, "bad date", f"{name} " + quoted(original) + f" ({expected_dates(order)})")


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
) -> Outcome:
    """Read, map and validate `path`; rejected rows go to `rejects`; notes on how the file was
    read (its encoding, its date order) go to `say`. Raises InputError when the file is not
    this format at all, or cannot be read without guessing."""
    now = now or datetime.now(UTC)
    rejects = rejects or RejectsFile(None)
    outcome = Outcome(rows=empty_frame(), dataset=fmt.name)
    tables: list[pa.Table] = []
    seen = _SeenIds()
    key = str(Col.EVENT_ID)
    check_source(fmt, path)
    encoding = detect_encoding(path, options.encoding)
    say(f"{path.name}: read as {encoding.name} ({encoding.how})")
    if options.date_format and options.date_order is None and fmt.date_columns:
        options = replace(options, date_order=DateOrder(date_format=options.date_format))
        say(f"{path.name}: {options.date_order.describe()}")
    evidence: dict[str, tuple[int, str, str]] = {}  # the first row showing each date order
    for piece in _chunks(fmt, path, chunk_rows, progress, encoding):
        chunk, originals = piece.rows, piece.rows
        refused: list[pd.DataFrame] = []
        if piece.malformed is not None and len(piece.malformed):
            refused.append(_reasons(piece.malformed.index, MALFORMED, piece.reasons))
            originals = pd.concat([chunk, piece.malformed])
        outcome.read += len(originals)
        if _is_hxl(piece):
            chunk = chunk.drop(index=1)
            outcome.skipped[HXL_SKIP] += 1
            say(
                f"{path.name}: row 1 holds HXL hashtags ({_short(', '.join(piece.rows.loc[1].head(3)))}...); skipped"
            )
        if not len(chunk):
            _refuse(outcome, rejects, refused, originals)
            continue
        if fmt.date_columns and not options.date_format:
            # Day-first or month-first is decided for the whole file, by the first date that
            # shows it (a number above 12); a file showing both is refused (nothing is written
            # before the end, so a later chunk can still refuse it).
            numeric, found = _numeric_evidence(Piece(chunk), fmt.date_columns)
            for order_seen, where in found.items():
                evidence.setdefault(order_seen, where)
            if len(evidence) == 2:
                raise _mixed_dates(path, evidence)
            if numeric and options.date_order is None:
                if not evidence:  # only ambiguous dates so far: look ahead for one that tells
                    evidence = _first_evidence(
                        fmt, _chunks(fmt, path, chunk_rows, lambda _r, _s: None, encoding)
                    )
                first = min(evidence.items(), key=lambda item: item[1][0]) if evidence else None
                if first:
                    order = DateOrder(first[0], f"{first[1][1]} {first[1][2]!r} at row {first[1][0]:,}")
                else:
                    _, name, value = _first_numeric(chunk, fmt.date_columns)
                    order = DateOrder(None, f"{name} {value!r}")
                options = replace(options, date_order=order)
                say(f"{path.name}: {order.describe()}; --date-format overrides")
        result = fmt.map(_blank_placeholders(fmt, chunk), options)
        if result.skipped:
            outcome.skipped[result.skipped_label] += result.skipped
        outcome.skipped.update(result.also_skipped)
        rows = result.rows
        refused.append(result.rejected)

        ids = rows[key].astype("object")
        taken = ids.isin(foreign) if foreign else pd.Series(False, index=ids.index)
        if taken.any():
            refused.append(_reasons(rows.index[taken], "event_id of another dataset",
                                    "event_id of another dataset: " + ids[taken]
                                    + " is already in the target from another dataset"))  # fmt: skip
        prints = _fingerprints(originals)
        accepted = _accept_first_valid(rows[~taken] if taken.any() else rows, now, fmt.name, refused, seen, originals, prints,
                                       options.on_duplicate_id == "suffix", outcome.renamed)  # fmt: skip
        if len(accepted):
            tables.append(to_arrow(accepted.reset_index(drop=True)))

        _refuse(outcome, rejects, refused, originals)
    if tables:
        outcome.rows = store.frame_from_table(pa.concat_tables(tables))
    return outcome
