"""Reading a source file in chunks of text rows, every value as written.

pandas' C parser reads the file; a row it cannot split (more fields than the header) sends
that chunk through the `csv` module, row by row, so the too-long rows are rejected with
their line number and the others read as usual. Row numbers count data rows (header and
blank lines not counted), the numbers every message and the rejects file use.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from timeline.domain.errors import InputError, Unreadable, unreadable
from timeline.importers.base import Format
from timeline.importers.encodings import Encoding
from timeline.importers.fields import STRING


@dataclass
class Piece:
    """One chunk of the source: `rows`, every value as text, indexed by the 1-based data row
    (header and blank lines not counted); and `malformed`, the rows with more fields than the
    header (their first fields under the header's names, same index), with `reasons`."""

    rows: pd.DataFrame
    malformed: pd.DataFrame | None = None
    reasons: pd.Series | None = None


T = TypeVar("T")

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


def chunks(
    fmt: Format, path: Path, chunk_rows: int, progress: Progress, encoding: Encoding
) -> Iterator[Piece]:
    """The source as chunks of string rows whose index is the 1-based data row number, each
    `chunk_rows` rows (the last fewer) unless it holds a row with too many fields.

    A plain UTF-8 CSV with a header is read by pyarrow's CSV reader, several times faster
    than pandas'; at anything it refuses (a row with too many or too few fields, a quote never
    closed, bytes that are not UTF-8) or a file with no rows, the file is read by pandas
    (`_pandas_chunks`) from the first chunk not yet given, so every row's fate and every
    message are pandas', whichever reader ran."""
    given = 0
    if _arrow_can_read(fmt, encoding):
        try:
            for piece, offset in _arrow_chunks(fmt, path, chunk_rows, encoding):
                given += 1
                progress(int(piece.rows.index[-1]), min(offset / max(path.stat().st_size, 1), 1.0))
                yield piece
            if given:
                return
        except (
            pa.ArrowInvalid,
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
            csv.Error,
        ):
            pass  # pandas reads it, and says what is wrong where it is
    skipping = [given]

    def told(rows: int, share: float) -> None:
        if not skipping[0]:
            progress(rows, share)

    for piece in _pandas_chunks(fmt, path, chunk_rows, told, encoding):
        if skipping[0]:  # given already, by pyarrow
            skipping[0] -= 1
            continue
        yield piece


def _options(fmt: Format, chunk_rows: int, encoding: Encoding) -> dict[str, Any]:
    """pandas.read_csv's options for this format: every value as text, as written."""
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
    return options


def _arrow_can_read(fmt: Format, encoding: Encoding) -> bool:
    """Whether the file is the shape pyarrow's reader is used for: UTF-8, with a header, split
    on one character (a mapping's `delimiter`), read in chunks (GDELT is headerless and
    unquoted, the Air Force tallies are read whole: pandas reads those)."""
    options = set(fmt.read_options)
    one_character = len(fmt.read_options.get("sep", ",")) == 1
    plain = options <= {"sep"} and one_character and fmt.fields is None and not fmt.whole_file
    return encoding.codec == "utf-8" and plain


ARROW_BLOCK = 1 << 22
"""Bytes pyarrow parses at a time (4 MiB: about 10,000 ACLED rows)."""


def _arrow_chunks(
    fmt: Format, path: Path, chunk_rows: int, encoding: Encoding
) -> Iterator[tuple[Piece, int]]:
    """pyarrow's streaming CSV reader, its batches cut into pieces of `chunk_rows` rows, with
    the byte offset read so far. Raises pyarrow.ArrowInvalid where pandas must take over;
    a header pandas would name differently (a repeated name) is handed over the same way."""
    options = _options(fmt, chunk_rows, encoding)
    names = _header(path, options)
    columns = [str(c).strip() for c in names]
    _check_columns(fmt, path, columns)
    with path.open("rb") as handle:
        reader = pcsv.open_csv(
            handle,
            read_options=pcsv.ReadOptions(block_size=ARROW_BLOCK, use_threads=False),
            parse_options=pcsv.ParseOptions(
                delimiter=options.get("sep", ","), newlines_in_values=True, ignore_empty_lines=True
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        if reader.schema.names != names or any(not pa.types.is_string(f.type) for f in reader.schema):
            raise pa.ArrowInvalid("the header is not the one pandas reads")
        waiting: list[pa.RecordBatch] = []
        held = read = 0
        for batch in reader:
            waiting.append(batch)
            held += batch.num_rows
            while held >= chunk_rows:
                table = pa.Table.from_batches(waiting)
                yield _piece(table.slice(0, chunk_rows), columns, read), handle.tell()
                read += chunk_rows
                rest = table.slice(chunk_rows)
                waiting, held = rest.to_batches(), rest.num_rows
        if held:
            yield _piece(pa.Table.from_batches(waiting, schema=reader.schema), columns, read), handle.tell()


def _piece(table: pa.Table, columns: list[str], read: int) -> Piece:
    """Arrow text columns as the pandas frame `_pandas_chunks` gives (same dtype), each column
    one array: the reader's 4 MiB blocks combined here, in the read-ahead thread, once, not
    by each step that reads a column whole on the mapping's thread."""
    table = table.combine_chunks()
    frame = pd.DataFrame(
        {name: pd.arrays.ArrowStringArray(table.column(i), dtype=STRING) for i, name in enumerate(columns)},
        index=pd.RangeIndex(read + 1, read + table.num_rows + 1),
    )
    return Piece(frame)


def _pandas_chunks(
    fmt: Format, path: Path, chunk_rows: int, progress: Progress, encoding: Encoding
) -> Iterator[Piece]:
    """`chunks` by pandas: every file, however it is formed.

    pandas' C parser reads the file, fast. A row with more fields than the header stops it
    (or, in a segment's first row, makes it drop the extra fields with a warning); the rows
    from the start of that chunk are then read again with the `csv` module, which splits each
    row on its own, so the too-long rows come back as `Piece.malformed` (rejected with their
    line number) and the others as usual; the C parser takes over again after that chunk.
    A row with too few fields is padded with blanks, by both parsers, as pandas always does.
    """
    options = _options(fmt, chunk_rows, encoding)
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
            extra = short(", ".join(repr(v) for v in record[width:]))
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


def short(text: str, limit: int = 80) -> str:
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


HXL_TAG = r"^#[A-Za-z][\w]*(?:\s*\+\s*[\w]+)*$"
"""A Humanitarian Exchange Language hashtag ('#event+id', '#date+start'), as the humanitarian
data exchange puts under the header of the files it republishes."""
HXL_SKIP = "HXL hashtag row (tags under the header, not an event)"


def is_hxl(piece: Piece) -> bool:
    """Whether data row 1 is a row of HXL hashtags: every filled cell a tag, at least one."""
    if 1 not in piece.rows.index:
        return False
    cells = [str(v).strip() for v in piece.rows.loc[1].tolist()]
    filled = [c for c in cells if c]
    return bool(filled) and all(re.match(HXL_TAG, c) for c in filled)


def read_ahead(read: Callable[[Progress], Iterator[T]], progress: Progress) -> Iterator[T]:
    """The pieces of `read(progress)`, the next one read (and whatever `read` makes of it) in
    a background thread while the caller maps the current one.

    Why: pyarrow parses the CSV with the GIL released, so reading overlaps the mapping on a
    second core instead of taking turns with it. Only one piece is read ahead (memory: one
    chunk more); pieces, their order and any error come as without the thread, and the
    progress reports are replayed on the caller's thread just before their piece, as `chunks`
    gives them."""
    told: list[tuple[int, float]] = []
    pieces = read(lambda rows, share: told.append((rows, share)))
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="timeline-read") as pool:
        ahead = pool.submit(next, pieces, done)
        try:
            while True:
                piece = ahead.result()  # an error of the reader is raised here, in order
                reports, told[:] = list(told), []
                if piece is done:
                    break
                ahead = pool.submit(next, pieces, done)
                for rows, share in reports:
                    progress(rows, share)
                yield piece
            for rows, share in reports:
                progress(rows, share)
        finally:
            ahead.cancel()
            with contextlib.suppress(Exception):
                ahead.result()  # the reader stopped before its file is closed
            pieces.close()
