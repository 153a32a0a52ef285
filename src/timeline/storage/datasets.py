"""One `Dataset` interface over both layouts: one Parquet file (`store`) or a folder of parts
(`parts`). Each layout is one class registered under its name, as pandera registers its
backends; `at(path)` picks the class once, by what is at the path, and the commands, the
service, the change log and the editor call its methods without asking which layout they
hold. Each layout keeps its own mechanics (the file's backup, the folder's manifest)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import ClassVar, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.domain.schema import ARROW_SCHEMA, Col, to_arrow
from timeline.domain.validation import summarise
from timeline.storage import parts, spill, store, tempfiles
from timeline.storage.rules import AppendResult, Checked, Spilled, UpsertResult

Journal = Callable[[pd.DataFrame], store.BeforeReplace]
"""Given an append's checked new rows under the lock: what runs before the new version
replaces the old (the change log's line)."""
ImportJournal = Callable[[UpsertResult, pa.Table | Spilled, pa.Table], store.BeforeReplace]
"""Given an import's plan, the rows it writes (or the file it wrote them to) and the rows they
replace, under the lock."""


class Dataset(Protocol):
    """What every layout offers. Writes (`append`, `upsert`, `replace`) are atomic: a reader
    sees the old version or the new one; `before_replace` hooks run with the new version
    fsynced and not yet in place (`digest` of it is what the change log records)."""

    layout: ClassVar[str]
    path: Path

    @property
    def target(self) -> Path:
        """The real path written (a symlink resolved once)."""
        ...

    def exists(self) -> bool: ...
    def check_readable(self) -> None: ...
    def check_writable(self, *, create: bool) -> None: ...
    def locked(self) -> AbstractContextManager[None]: ...
    def version(self) -> str: ...
    def digest(self) -> str | None: ...
    def files(self) -> list[Path]: ...
    def load(self) -> pd.DataFrame: ...
    def tables(self) -> Iterator[tuple[str, pa.Table]]: ...
    def scan(self, columns: list[str] | None = None, filter: pc.Expression | None = None) -> pa.Table: ...
    def foreign_ids(self, dataset: str) -> frozenset[str]: ...
    def append(
        self, raw: pd.DataFrame, *, dataset: str, create: bool, journal: Journal | None = None
    ) -> AppendResult: ...
    def upsert(
        self,
        rows: pd.DataFrame | Checked | Spilled,
        *,
        dataset: str,
        dry_run: bool = False,
        create: bool = True,
        journal: ImportJournal | None = None,
    ) -> UpsertResult: ...
    def working(self, ids: Iterable[str]) -> pa.Table: ...
    def replace(self, ids: Iterable[str], table: pa.Table, before_replace: store.BeforeReplace) -> None: ...
    def remove_abandoned(self) -> list[str]: ...
    def checked(self, folder: Path) -> tuple[Path, list[str]]: ...


LAYOUTS: dict[str, type[Dataset]] = {}
"""Each layout's class by its name (`file`, `parts`)."""


def register(layout: str) -> Callable[[type], type]:
    def add(cls: type) -> type:
        cls.layout = layout
        LAYOUTS[layout] = cls
        return cls

    return add


def layout_of(path: Path) -> str:
    """A folder is a partitioned dataset; anything else a single file (perhaps not there yet)."""
    return "parts" if path.is_dir() else "file"


def at(path: Path) -> Dataset:
    """The dataset at `path`, in its layout's class."""
    return LAYOUTS[layout_of(path)](path)


CHECKED_ROWS = 250_000
"""The dashboard checks every rule of a single file up to this size once per version (a
partitioned dataset is written only through the checked path, and too big to check per view)."""


class _AtPath:
    """What both layouts share: the path they were opened at, and where writes go."""

    layout: ClassVar[str]

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def target(self) -> Path:
        return store.dataset_target(self.path)


@register("file")
class FileDataset(_AtPath):
    """One Parquet file: rewritten whole, atomically, with `<name>.bak` kept (`store`)."""

    def exists(self) -> bool:
        return self.target.exists()

    def check_readable(self) -> None:
        store.check_readable(self.path)

    def check_writable(self, *, create: bool) -> None:
        store.check_writable(self.target, create=create)

    def locked(self) -> AbstractContextManager[None]:
        return store.locked(self.target)

    def version(self) -> str:
        mtime, size = store.file_version(self.path)
        return f"file:{mtime}:{size}"

    def digest(self) -> str | None:
        """SHA-256 of the file's bytes: the version the change log names."""
        return store.file_digest(self.target)

    def files(self) -> list[Path]:
        self.check_readable()
        return [self.path]

    def load(self) -> pd.DataFrame:
        return store.load(self.path)

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        yield self.path.name, store.read_table(self.path)

    def scan(self, columns: list[str] | None = None, filter: pc.Expression | None = None) -> pa.Table:
        """The file's rows (schema columns unless asked), filtered as they are read."""
        self.check_readable()
        try:
            return pq.read_table(self.target, columns=columns or ARROW_SCHEMA.names, filters=filter)
        except (pa.ArrowInvalid, OSError) as err:
            raise store.DatasetError(f"{self.path}: not a readable Parquet file ({err})") from err

    def foreign_ids(self, dataset: str) -> frozenset[str]:
        return store.foreign_ids(self.path, dataset)

    def append(
        self, raw: pd.DataFrame, *, dataset: str, create: bool, journal: Journal | None = None
    ) -> AppendResult:
        return store.append(self.path, raw, dataset=dataset, create=create, journal=journal)

    def upsert(
        self,
        rows: pd.DataFrame | Checked | Spilled,
        *,
        dataset: str,
        dry_run: bool = False,
        create: bool = True,
        journal: ImportJournal | None = None,
    ) -> UpsertResult:
        if isinstance(rows, Spilled) and rows.dataset == dataset and not dry_run:
            return spill.commit(self.path, rows, create=create, journal=journal)
        return store.upsert(self.path, rows, dataset=dataset, dry_run=dry_run, create=create, journal=journal)

    def working(self, ids: Iterable[str]) -> pa.Table:
        """The whole file: it is rewritten whole, and its rows keep their places."""
        del ids
        return store.read_schema_table(self.target).cast(ARROW_SCHEMA)

    def replace(self, ids: Iterable[str], table: pa.Table, before_replace: store.BeforeReplace) -> None:
        """The file becomes `table` (from `working`). Caller holds the lock."""
        del ids
        store.save_table(table, self.target, before_replace=before_replace)

    def remove_abandoned(self) -> list[str]:
        return tempfiles.remove_abandoned(self.target)

    def checked(self, folder: Path) -> tuple[Path, list[str]]:
        return _checked_file(self.path, folder)


@register("parts")
class PartsDataset(_AtPath):
    """A folder of parts with a manifest (`parts`): a change writes new parts and swaps them in
    with one rename of the manifest; nothing else is rewritten."""

    def exists(self) -> bool:
        return self.path.is_dir()

    def check_readable(self) -> None:
        parts.files(self.path)

    def check_writable(self, *, create: bool) -> None:
        del create  # a folder is created only by `parts.create` (`--create`, `timeline synth`)
        parts.check_writable(self.target)

    def locked(self) -> AbstractContextManager[None]:
        return store.locked(parts.manifest_path(self.target))

    def version(self) -> str:
        return parts.version(self.path)

    def digest(self) -> str | None:
        """SHA-256 of the manifest: it names every part, and is replaced by every change."""
        return store.file_digest(parts.manifest_path(self.target))

    def files(self) -> list[Path]:
        return parts.files(self.path)

    def load(self) -> pd.DataFrame:
        return parts.load(self.path)

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        for p in parts.files(self.path):
            yield str(p.relative_to(self.path)), pq.read_table(p)

    def scan(self, columns: list[str] | None = None, filter: pc.Expression | None = None) -> pa.Table:
        return parts.scan(self.path, columns, filter=filter)

    def foreign_ids(self, dataset: str) -> frozenset[str]:
        table = self.scan([str(Col.EVENT_ID), str(Col.DATASET)], filter=pc.field(str(Col.DATASET)) != dataset)
        return frozenset(table.column(str(Col.EVENT_ID)).to_pylist())

    def append(
        self, raw: pd.DataFrame, *, dataset: str, create: bool, journal: Journal | None = None
    ) -> AppendResult:
        del create  # the folder exists: it is what made this a partitioned dataset
        return parts.append(self.path, raw, dataset=dataset, journal=journal)

    def upsert(
        self,
        rows: pd.DataFrame | Checked | Spilled,
        *,
        dataset: str,
        dry_run: bool = False,
        create: bool = True,
        journal: ImportJournal | None = None,
    ) -> UpsertResult:
        del create
        return parts.upsert(self.path, rows, dataset=dataset, dry_run=dry_run, journal=journal)

    def working(self, ids: Iterable[str]) -> pa.Table:
        """Only the rows with these ids: the rest of the folder is not read."""
        return parts.rows_with(self.target, pa.array(list(ids), pa.string()))

    def replace(self, ids: Iterable[str], table: pa.Table, before_replace: store.BeforeReplace) -> None:
        """The rows with `ids` become `table`'s rows: the parts holding them are rewritten
        without them, `table` is added as new parts, one manifest commit. Caller holds the lock."""
        parts.replace_rows(self.target, pa.array(list(ids), pa.string()), table, before_replace)

    def remove_abandoned(self) -> list[str]:
        """A killed writer's temp manifest (its new parts are never named by a manifest, so
        never read)."""
        return tempfiles.remove_abandoned(parts.manifest_path(self.target))

    def checked(self, folder: Path) -> tuple[Path, list[str]]:
        """Itself: written only through the checked path, and too big to check per view."""
        del folder
        return self.path, []


def next_step(path: Path) -> str:
    """What to do about a dataset the app cannot open, by what is at `path` (the commands
    say it in their own words)."""
    if not path.exists():
        return (
            f"Set {store.ENV_VAR} to an existing dataset file or folder (unset, the app reads "
            f"{store.DEFAULT_PATH}), or start one there with: timeline append rows.csv --data {path} --create"
        )
    return f"Run: timeline validate {path}"


def load(path: Path) -> pd.DataFrame:
    """Every row as a frame (a partitioned dataset read part by part)."""
    return at(path).load()


def append(path: Path, raw: pd.DataFrame, *, dataset: str, create: bool) -> AppendResult:
    return at(path).append(raw, dataset=dataset, create=create)


def upsert(
    path: Path, rows: pd.DataFrame | Checked | Spilled, *, dataset: str, dry_run: bool = False
) -> UpsertResult:
    return at(path).upsert(rows, dataset=dataset, dry_run=dry_run)


def foreign_ids(path: Path, dataset: str) -> frozenset[str]:
    """Ids that belong to another dataset (an import must not take them over)."""
    return at(path).foreign_ids(dataset)


def tables(path: Path) -> Iterator[tuple[str, pa.Table]]:
    """(name, table as stored) of each file of the dataset, for checking them one by one: each
    read when asked for, so a folder is never in memory whole."""
    return at(path).tables()


def checked(path: Path, folder: Path) -> tuple[Path, list[str]]:
    """The file or folder to show for the dataset at `path`, and what it leaves out."""
    return at(path).checked(folder)


def _checked_file(path: Path, folder: Path) -> tuple[Path, list[str]]:
    """The file itself when every row passes every rule, else a copy of its valid rows in
    `folder`, with the problems of the others (summarised, at most 100 per rule). Raises
    DatasetError for a file that is not in the schema at all."""
    store.check_readable(path)
    try:
        rows = pq.read_metadata(path).num_rows
    except (pa.ArrowInvalid, OSError) as err:
        raise store.DatasetError(f"{path}: not a readable Parquet file ({err})") from err
    if rows > CHECKED_ROWS:
        return path, []
    valid, problems = store.load_valid(path)
    if not problems:
        return path, []
    copy = _valid_copy(path, folder)
    if not copy.exists():
        store.write_table_atomic(to_arrow(valid.reset_index(drop=True)), copy)
    return copy, summarise(problems)


def _valid_copy(path: Path, folder: Path) -> Path:
    """Where the valid rows of this version of `path` are kept in `folder`: named by digests
    (not `hash()`, which differs per process) of the file's path and of its version, so every
    server process finds the same copy; copies of the file's older versions are removed."""
    mtime, size = store.file_version(path)
    which = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    version = hashlib.sha256(f"{mtime}:{size}".encode()).hexdigest()[:16]
    copy = folder / f"valid-{which}-{version}.parquet"
    for old in folder.glob(f"valid-{which}-*.parquet"):
        if old != copy:
            old.unlink(missing_ok=True)
    return copy
