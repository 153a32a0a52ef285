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
import io
import os
import re
import shutil
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from timeline import store
from timeline.errors import UserError
from timeline.importers.fields import STRING, string_lists
from timeline.rowfiles import wide_encoding
from timeline.schema import COLUMNS, FIELDS, PANDAS_DTYPES, Col, Kind, empty_frame, to_arrow
from timeline.validation import Problem, check

DEFAULT_CHUNK_ROWS = 100_000


class InputError(UserError):
    """The source file cannot be read as this format at all (nothing is imported)."""


@dataclass
class Options:
    """Format-specific choices from the command line."""

    cameo_roots: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    combine: bool = False


@dataclass
class Mapped:
    """One chunk after mapping: event rows (schema columns, indexed by source row number),
    rejected rows (`category`, `reason`, same index), and rows left out on purpose."""

    rows: pd.DataFrame
    rejected: pd.DataFrame
    skipped: int = 0
    skipped_label: str = "not selected"


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
    rows: dict[Col, pd.Series | object], index: pd.Index, reasons: Reasons, skipped: int = 0
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
    return Mapped(frame.loc[keep, columns], reasons.frame(), skipped)


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


def _chunks(fmt: Format, path: Path, chunk_rows: int, say: Callable[[str], None]) -> Iterator[Piece]:
    """The source as chunks of string rows whose index is the 1-based data row number.

    pandas' C parser reads the file, fast. A row with more fields than the header stops it
    (or, in a segment's first row, makes it drop the extra fields with a warning); the rows
    from the start of that chunk are then read again with the `csv` module, which splits each
    row on its own, so the too-long rows come back as `Piece.malformed` (rejected with their
    line number) and the others as usual; the C parser takes over again after that chunk.
    A row with too few fields is padded with blanks, by both parsers, as pandas always does.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected {fmt.title}")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file (a pipe or a device?), expected {fmt.title}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    with path.open("rb") as fh:
        wide = wide_encoding(fh.read(64))
    if wide:
        raise InputError(f"{path}: {wide} text; save it as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet)")
    options: dict[str, Any] = {
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skipinitialspace": False,
        "index_col": False,  # never take a first column as the index when row 1 is too long
        "chunksize": None if fmt.whole_file else chunk_rows,
    }
    options.update(fmt.read_options)
    if fmt.fields is not None:
        _check_fields(fmt, path, options.get("sep", ","))
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
                    say(f"{fmt.name}: {read:,} rows read ({min(offset / size, 1.0):.0%})")
                    yield Piece(chunk)
                return
            except _Unreadable:
                pass
            piece, here, done = _careful(fmt, path, here, read - here.row, None if fmt.whole_file else chunk_rows,
                                         columns, options)  # fmt: skip
            read = here.row
            say(f"{fmt.name}: {read:,} rows read ({min(here.offset / size, 1.0):.0%})")
            yield piece
            if done:
                return
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except (pd.errors.ParserError, csv.Error) as err:
        detail = str(err).strip().removeprefix("Error tokenizing data. C error: ")
        after = f" after data row {read:,}" if read else ""
        raise InputError(f"{path}: cannot be read as {fmt.title}{after} ({detail})") from err
    except pd.errors.EmptyDataError as err:
        raise InputError(f"{path}: file is empty") from err


def _open_at(path: Path, offset: int) -> io.TextIOWrapper:
    binary = path.open("rb")
    binary.seek(offset)
    return io.TextIOWrapper(binary, encoding="utf-8-sig" if offset == 0 else "utf-8", newline="")


def _header(path: Path, options: dict[str, Any]) -> list[str]:
    """The header's column names as pandas names them (a repeated name gets '.1')."""
    with _open_at(path, 0) as handle:
        head = pd.read_csv(handle, **{**options, "chunksize": None, "nrows": 0})
    return [str(c) for c in head.columns]


def _fast(
    path: Path, here: _Position, names: list[str], options: dict[str, Any]
) -> Iterator[tuple[pd.DataFrame, int]]:
    """pandas' C parser from `here` to the end: chunks and the byte offset reached. Raises
    _Unreadable at a row with too many fields; other parser errors propagate."""
    if here.offset > 0 or not here.header:  # resuming after a careful chunk: no header here
        options = {**options, "header": None, "names": names}
    with _open_at(path, here.offset) as handle:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                reader = pd.read_csv(handle, **options)
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
            with self.path.open("rb") as binary:
                binary.seek(here.offset)
                if here.offset == 0 and binary.read(3) == codecs.BOM_UTF8:
                    used[0] = 3
                else:
                    binary.seek(here.offset)
                text_io = io.TextIOWrapper(binary, encoding="utf-8", newline="")

                raw: list[str] = []  # the lines of the row being read

                def lines() -> Iterator[str]:
                    for line in text_io:
                        used[0] += len(line.encode("utf-8"))
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


def _check_fields(fmt: Format, path: Path, sep: str) -> None:
    with path.open("rb") as fh:
        first = fh.readline().decode("utf-8", errors="replace").rstrip("\r\n")
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
    """The ids of earlier chunks and the rows they came from, kept as sorted 64-bit hashes:
    16 bytes an id instead of a Python dict entry. A false 'duplicate' would need two ids
    with the same 64-bit hash (about one chance in ten million for two million ids)."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.rows = np.empty(0, dtype=np.int64)

    @staticmethod
    def _hash(ids: pd.Series) -> np.ndarray:
        return pd.util.hash_pandas_object(ids.astype("object"), index=False).to_numpy()

    def first_rows(self, ids: pd.Series) -> pd.Series:
        """The earlier row of each id, or missing."""
        out = pd.Series(np.nan, index=ids.index)
        if not len(self.hashes) or not len(ids):
            return out
        h = self._hash(ids)
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        hit = self.hashes[pos] == h
        out[hit] = self.rows[pos[hit]]
        return out

    def add(self, ids: pd.Series, rows: pd.Index) -> None:
        hashes = np.concatenate([self.hashes, self._hash(ids)])
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.rows = np.concatenate([self.rows, rows.to_numpy(dtype=np.int64)])[order]


@dataclass
class Outcome:
    rows: pd.DataFrame
    """Every accepted row, canonical, ready for `store.upsert`."""
    read: int = 0
    skipped: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    """The first few rejections as 'row N: reason', for output when no file is written."""
    skipped_label: str = "not selected"

    @property
    def imported(self) -> int:
        return len(self.rows)

    def summary(self) -> str:
        """'3,512 imported, 73 rejected: 60 unknown model, 13 bad date'."""
        line = f"{self.imported:,} imported, {sum(self.rejected.values()):,} rejected"
        if self.rejected:
            line += ": " + ", ".join(f"{n:,} {what}" for what, n in self.rejected.most_common())
        if self.skipped:
            line += f" ({self.skipped:,} rows {self.skipped_label})"
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
    if problem.value is None:
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


def _duplicates(ids: pd.Series, first: pd.Series) -> pd.DataFrame:
    """'duplicate event_id: X (first at row N)', N being the accepted row with that id."""
    return _reasons(ids.index, "duplicate event_id",
                    "duplicate event_id: " + ids + " (first at row " + first.astype("int64").astype(str) + ")")  # fmt: skip


def _accept_first_valid(
    rows: pd.DataFrame, now: datetime, dataset: str, refused: list[pd.DataFrame]
) -> pd.DataFrame:
    """Validate `rows` (`validation.check`, as `timeline append` does) keeping one row per id:
    the first valid one. The first row of each id is checked; later rows with an id whose
    row was accepted are duplicates of that row; an id whose row was rejected passes to its
    next row, so a duplicate never points at a rejected row. Returns the accepted canonical
    rows indexed by source row, in source order; rejections go to `refused`."""
    key = str(Col.EVENT_ID)
    accepted: list[pd.DataFrame] = []
    while len(rows):
        ids = rows[key].astype("object")
        lead = ~ids.duplicated(keep="first")
        raw, _ = store.with_append_defaults(rows[lead], now, dataset=dataset)
        canonical, problems = check(_as_categories(raw).reset_index(drop=True))
        canonical.index = raw.index
        if problems:
            bad = _problem_reasons(raw, problems)
            refused.append(bad)
            canonical = canonical[~canonical.index.isin(bad.index)]
        accepted.append(canonical)
        rest = rows[~lead]
        first = (
            rest[key].astype("object").map(pd.Series(canonical.index, index=canonical[key].astype("object")))
        )
        if first.notna().any():
            refused.append(_duplicates(rest[key].astype("object")[first.notna()], first.dropna()))
        rows = rest[first.isna()]
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
) -> Outcome:
    """Read, map and validate `path`; rejected rows go to `rejects`. Raises InputError when
    the file is not this format at all."""
    now = now or datetime.now(UTC)
    rejects = rejects or RejectsFile(None)
    outcome = Outcome(rows=empty_frame())
    tables: list[pa.Table] = []
    seen = _SeenIds()
    key = str(Col.EVENT_ID)
    for piece in _chunks(fmt, path, chunk_rows, say):
        chunk, originals = piece.rows, piece.rows
        refused: list[pd.DataFrame] = []
        if piece.malformed is not None and len(piece.malformed):
            refused.append(_reasons(piece.malformed.index, MALFORMED, piece.reasons))
            originals = pd.concat([chunk, piece.malformed])
        outcome.read += len(originals)
        if not len(chunk):
            _refuse(outcome, rejects, refused, originals)
            continue
        result = fmt.map(chunk, options)
        outcome.skipped += result.skipped
        outcome.skipped_label = result.skipped_label
        rows = result.rows
        refused.append(result.rejected)

        ids = rows[key].astype("object")
        taken = ids.isin(foreign)
        if taken.any():
            refused.append(_reasons(rows.index[taken], "event_id of another dataset",
                                    "event_id of another dataset: " + ids[taken]
                                    + " is already in the target from another dataset"))  # fmt: skip
        earlier = seen.first_rows(ids).where(~taken)  # accepted in an earlier chunk
        if earlier.notna().any():
            refused.append(_duplicates(ids[earlier.notna()], earlier.dropna()))
        accepted = _accept_first_valid(rows[~taken & earlier.isna()], now, fmt.name, refused)
        if len(accepted):
            seen.add(accepted[key], accepted.index)
            tables.append(to_arrow(accepted.reset_index(drop=True)))

        _refuse(outcome, rejects, refused, originals)
    if tables:
        outcome.rows = store.frame_from_table(pa.concat_tables(tables))
    return outcome
