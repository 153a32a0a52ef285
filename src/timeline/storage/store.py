"""Reading and writing the dataset file safely (the rules of what an append or import may
change are `rules`; both layouts behind one interface are `datasets`).

Every write goes through `save`: a temp file in the same folder, fsync, atomic rename, all
under a file lock, with the previous version kept as `<name>.bak`. A crash or a second
writer therefore leaves either the old file or the new one, never a torn one, and
`append` re-reads the file inside the lock so concurrent appends lose nothing.

A symlinked dataset is written through: the link is resolved once and the lock, temp file,
backup and rename all happen beside the file it points at, so the link stays a link. A
dataset file without write permission is never replaced. docs/reliability.md says what
these promises are and how they are tested.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import pwd
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from timeline.domain import taxonomy
from timeline.domain.errors import Unreadable, UserError, describe_os_error, hint, unreadable
from timeline.domain.schema import (
    ARROW_SCHEMA,
    SCHEMA_VERSION,
    V1_ADDED,
    Col,
    empty_frame,
    from_arrow,
    to_arrow,
)
from timeline.domain.validation import (
    PROBLEMS_PER_RULE,
    Problem,
    ValidationFailed,
    check,
    split_valid,
    stored_nan,
)
from timeline.storage import locking, tempfiles
from timeline.storage.paths import (
    DEFAULT_PATH as DEFAULT_PATH,
    ENV_VAR as ENV_VAR,
    default_path as default_path,
)
from timeline.storage.rules import (  # the rules, named where callers have always found them
    AppendResult as AppendResult,
    Checked as Checked,
    Spilled as Spilled,
    UpsertResult as UpsertResult,
    duplicate_id_problems as duplicate_id_problems,
    frame_from_table as frame_from_table,
    likely_duplicates as likely_duplicates,
    member as member,
    plan_against as plan_against,
    stamped as stamped,
    with_append_defaults as with_append_defaults,
)
from timeline.storage.tempfiles import (
    BeforeReplace as BeforeReplace,  # the one atomic write, named here too
    fsync_dir as fsync_dir,
    temp_file_beside as temp_file_beside,
    write_atomic as write_atomic,
)


class DatasetError(UserError):
    """The dataset file is missing, unreadable, not in the event schema, or cannot be written."""


class WriteFailed(DatasetError):
    """Writing a new version failed (a full disk, an I/O error); the old file is untouched."""


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def dataset_target(path: Path) -> Path:
    """The file a write to `path` replaces: a symlink's target, resolved once, so the new
    version reaches the file the link points at and the link stays a link. Raises
    DatasetError for a link that leads back to itself."""
    _check_no_loop(path)
    return Path(os.path.realpath(path))


def _check_no_loop(path: Path) -> None:
    try:
        os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise DatasetError(f"{path}: {hint(err)}; nothing was read or written") from None


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of `path` when it is not a folder (so no file can be
    made at `path`), else None."""
    for folder in path.parents:
        if folder.exists():
            return None if folder.is_dir() else folder
    return None


def check_readable(path: Path) -> None:
    """Raise DatasetError unless `path` is an existing regular file we may read: a folder, a
    pipe or a device is refused (reading them would misread, block or never end)."""
    _check_no_loop(path)
    try:
        why = unreadable(path)
    except OSError as err:
        raise DatasetError(f"{path}: {describe_os_error(err).removeprefix(f'{path}: ')}") from None
    if why in (Unreadable.MISSING, Unreadable.UNDER_A_FILE):
        blocker = _file_in_the_way(path)
        extra = f" ({blocker} is a file, not a folder)" if blocker else ""
        raise DatasetError(f"{path}: no such dataset file{extra}")
    if why is not None:
        raise DatasetError(f"{path}: {_UNREADABLE[why]}")


_UNREADABLE = {
    Unreadable.FOLDER: "is a folder, not a dataset file (give the .parquet file in it)",
    Unreadable.SPECIAL: "not a regular file (a pipe or a device?), not a dataset file",
    Unreadable.DENIED: "permission denied; you may not read this dataset file",
}


def read_only(path: Path) -> bool:
    """Whether the file's mode forbids us to write it: no write permission for us, or no
    write bit at all (which root, who may write anything, still respects here)."""
    mode = path.stat().st_mode
    return not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _read_only_disk(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def check_writable(path: Path, *, create: bool = True) -> None:
    """Raise DatasetError unless a new version of the dataset can be written at `path` (a
    real path: see `dataset_target`): its folder exists or can be made, we may create files
    in it, and an existing file is a regular file whose mode allows us to write it. (Renaming
    over a file needs only the folder's permission; we respect the file's mode anyway.)"""
    blocker = _file_in_the_way(path)
    if blocker is not None:
        raise DatasetError(f"{path}: {blocker} is a file, not a folder; nothing was written")
    if path.is_dir():
        raise DatasetError(f"{path}: is a folder, not a dataset file; nothing was written")
    folder = next((f for f in (path.parent, *path.parent.parents) if f.exists()), None)
    if folder is not None and _read_only_disk(folder):
        raise DatasetError(f"{path}: {folder} is on a read-only file system; nothing was written")
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        raise DatasetError(
            f"{path}: cannot create files in {folder} (permission denied), and a new version is "
            "written beside the file before it replaces it; nothing was written"
        )
    if not path.exists():
        if not create:
            raise DatasetError(f"{path}: no such dataset file; nothing was written")
    elif not path.is_file():
        raise DatasetError(f"{path}: not a regular file (a pipe or a device?); nothing was written")
    elif read_only(path):
        st = path.stat()
        mode = stat.S_IMODE(st.st_mode)
        if st.st_uid != os.geteuid() and os.geteuid() != 0:
            raise DatasetError(
                f"{path}: you may not write this dataset file (mode {mode:04o}, owned by {_owner(st.st_uid)}), "
                "so it is not replaced; ask its owner. Nothing was written"
            )
        raise DatasetError(
            f"{path}: the dataset file is read-only (mode {mode:04o}), so it is not replaced; "
            f"if it should change, make it writable first (chmod u+w {path}). Nothing was written"
        )


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the dataset's writer lock (a sidecar `.lock` file beside the real file); raises
    locking.LockTimeout, naming the holder, after $TIMELINE_LOCK_TIMEOUT seconds (120)."""
    target = dataset_target(path)
    blocker = _file_in_the_way(target)
    if blocker is not None:
        raise DatasetError(f"{path}: {blocker} is a file, not a folder; nothing was written")
    target.parent.mkdir(parents=True, exist_ok=True)
    with locking.hold(lock_path(target), what=path):
        yield


def file_version(path: Path) -> tuple[int, int]:
    """(mtime in ns, size): changes whenever `save` replaces the file; used as a cache key."""
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def read_table(path: Path) -> pa.Table:
    """The raw Arrow table, with a clear error for a missing or non-Parquet file."""
    check_readable(path)
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise DatasetError(f"{path}: not a readable Parquet file ({err})") from err


def schema_problems(table: pa.Table) -> list[Problem]:
    """Columns missing from the file, or stored in a type that does not convert to the schema's
    (a `large_string` or a midnight timestamp converts; text in a count column does not)."""
    problems = []
    for expected in ARROW_SCHEMA:
        if expected.name not in table.column_names:
            problems.append(Problem("missing column", column=expected.name))
            continue
        column = table.column(expected.name)
        if column.type.equals(expected.type):
            continue
        if pa.types.is_boolean(column.type):  # casts to 0/1 (or 'true'), which is not what it says
            problems.append(
                Problem(f"stored as {column.type}, expected {expected.type}", column=expected.name)
            )
            continue
        try:
            column.cast(expected.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            problems.append(
                Problem(f"stored as {column.type}, expected {expected.type}", column=expected.name)
            )
    for name in table.column_names:
        if name not in ARROW_SCHEMA.names:
            problems.append(Problem("unknown column", column=name))
    return problems


def is_v1(columns: list[str]) -> bool:
    """A file of schema v1: every column but those v2 added."""
    missing = [name for name in ARROW_SCHEMA.names if name not in columns]
    return bool(missing) and set(missing) <= {str(c) for c in V1_ADDED}


def v1_error(path: Path) -> DatasetError:
    added = ", ".join(str(c) for c in V1_ADDED)
    return DatasetError(
        f"{path}: a dataset in schema v1, without {added}; upgrade it with `timeline migrate {path}` "
        "(docs/schema.md says what it fills in)"
    )


def read_schema_table(path: Path) -> pa.Table:
    """The file's table in schema column order; raises DatasetError if it is not in the schema
    (for a v1 file: saying to run `timeline migrate`)."""
    table = read_table(path)
    if is_v1(table.column_names):
        raise v1_error(path)
    problems = schema_problems(table)
    if problems:
        detail = "; ".join(str(p) for p in problems[:5])
        raise DatasetError(
            f"{path}: not in the event schema v{SCHEMA_VERSION} ({detail}); run `timeline validate {path}`"
        )
    return table.select(ARROW_SCHEMA.names)


def load(path: Path) -> pd.DataFrame:
    """The dataset as a canonical frame; raises DatasetError if it is not in the schema."""
    return from_arrow(read_schema_table(path))


def load_valid(path: Path, limit: int | None = PROBLEMS_PER_RULE) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows of the dataset that pass every rule, and the problems of the others (at most
    `limit` per rule, the last counting the rest): for readers such as the dashboard, which
    should show a hostile or damaged file's good rows and say what it left out, rather than
    trust every value. Raises DatasetError if the file is not in the schema at all.

    Costs a full validation: about 4.3 CPU s for a million rows where `load` takes 0.6-1
    (docs/performance.md); call it once per file version."""
    table = read_schema_table(path)
    nan_rows, problems = stored_nan(table, limit)
    df = from_arrow(table)
    valid, row_problems = split_valid(df, limit)
    if nan_rows.any():
        valid = valid[~nan_rows[valid.index.to_numpy()]]
    return valid, problems + row_problems


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes (None when there is no file)."""
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def write_table_atomic(
    table: pa.Table,
    path: Path,
    *,
    metadata: dict[str, str] | None = None,
    row_group_size: int | None = None,
    compression: str | dict[str, str] = "zstd",
) -> None:
    """Write any Arrow table atomically: temp file, fsync, rename (no lock, no backup). A new
    file gets the ordinary file mode, a replaced one keeps its mode (`temp_file_beside`)."""
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({k.encode(): v.encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(
        path, lambda fh: pq.write_table(table, fh, compression=compression, row_group_size=row_group_size)
    )


def write_bytes_atomic(path: Path, data: bytes, *, before_replace: BeforeReplace | None = None) -> None:
    """Any file (an export, a manifest) written the same way: a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda fh: fh.write(data), before_replace=before_replace)


def _keep_backup(path: Path) -> None:
    """Point `<name>.bak` at the current file before it is replaced."""
    if not path.exists():
        return
    backup = backup_path(path)
    with contextlib.suppress(FileNotFoundError):
        if os.path.samefile(path, backup):
            return  # already a hard link to the current file (renaming onto it would do nothing)
    tmp = tempfiles.temp_path(backup)
    try:
        try:
            os.link(path, tmp)  # the old inode survives the rename below; no copy needed
        except OSError:
            shutil.copy2(path, tmp)
        os.replace(tmp, backup)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)  # left only if the rename failed


def save(
    df: pd.DataFrame, path: Path, *, backup: bool = True, before_replace: BeforeReplace | None = None
) -> None:
    """Replace the dataset with `df` (already validated). Caller holds `locked(path)`."""
    save_table(to_arrow(df), path, backup=backup, before_replace=before_replace)


def save_table(
    table: pa.Table | Iterable[pa.Table],
    path: Path,
    *,
    backup: bool = True,
    before_replace: BeforeReplace | None = None,
) -> None:
    """`save` for rows already in `ARROW_SCHEMA`, such as a file's table plus new rows (or
    tables of them one after another, so that they are never in memory together).

    The new version is written and fsynced first; only then is the backup link made and the
    file renamed over the dataset (a symlink's target, see `dataset_target`), and the folder
    fsynced. Any failure on the way (a full disk, an I/O error) removes the temp file, leaves
    the dataset and its backup as they were, and raises WriteFailed. `before_replace` runs
    between the fsync and the rename (a failure there also leaves the dataset unchanged)."""
    target = dataset_target(path)

    def ready(tmp: Path) -> None:
        if before_replace is not None:
            before_replace(tmp)
        if backup:
            _keep_backup(target)

    def write(fh: BinaryIO) -> None:
        if isinstance(table, pa.Table):
            return pq.write_table(table, fh, compression="zstd")
        with pq.ParquetWriter(fh, ARROW_SCHEMA, compression="zstd") as writer:
            for piece in table:
                writer.write_table(piece.cast(ARROW_SCHEMA))

    try:
        write_atomic(target, write, before_replace=ready)
    except OSError as err:
        raise WriteFailed(write_failure(path, err)) from err


def write_failure(path: Path, err: OSError) -> str:
    return f"{path}: could not write the new version: {hint(err)}. The dataset is unchanged"


def append(
    path: Path,
    raw: pd.DataFrame,
    *,
    now: datetime | None = None,
    dataset: str = taxonomy.DATASETS_CURATED,
    warn_duplicates: bool = True,
    create: bool = True,
    limit: int | None = PROBLEMS_PER_RULE,
    journal: Callable[[pd.DataFrame], BeforeReplace] | None = None,
) -> AppendResult:
    """Validate `raw` rows and append them to the dataset, all or nothing.

    Raises ValidationFailed (file untouched) if any row breaks a rule or reuses an
    existing event_id, with at most `limit` problems per rule (the last counting the rest).
    A missing dataset file is created when `create` is true (the `timeline` command asks
    for `--create`); DatasetError when it cannot be written. Temp files that killed writers
    left beside it are removed, and said so in the warnings. `journal`, given the checked
    new rows under the lock, returns what `save` calls before the rename (the change log).
    """
    raw, notes = with_append_defaults(raw, now, dataset)
    target = dataset_target(path)
    check_writable(target, create=create)
    with locked(target):
        check_writable(target, create=create)  # again: it may have changed while we waited
        notes += tempfiles.remove_abandoned(target)
        had_file = target.exists()
        existing = load(target) if had_file else empty_frame()
        new, problems = check(raw, limit)
        if str(Col.EVENT_ID) in new.columns:
            problems += duplicate_id_problems(existing, new, limit)
        if problems:
            raise ValidationFailed(problems)
        warnings = notes + (likely_duplicates(existing, new) if warn_duplicates else [])
        combined = pd.concat([existing, new], ignore_index=True) if len(existing) else new
        save(combined, target, before_replace=journal(new) if journal else None)
    backup = backup_path(target) if had_file else None
    warnings += split_suggested(path, len(combined))
    return AppendResult(added=len(new), total=len(combined), backup=backup, warnings=warnings)


SPLIT_ROWS = 250_000
"""From this many rows a single file's append suggests a folder of parts: each append
rewrites the whole file (docs/reliability.md), about 2 s at a million rows on the standard
machine, where a folder's append writes only its new rows (docs/performance.md, "Appending
to one file")."""


def split_suggested(path: Path, rows: int) -> list[str]:
    """What to say after appending to a single file of `rows` rows: nothing below `SPLIT_ROWS`."""
    if rows < SPLIT_ROWS:
        return []
    folder = path.with_suffix("")
    return [
        f"{path} holds {rows:,} rows in one file, which every append rewrites whole; a folder of "
        f"parts appends only the new rows: `timeline to-parts {path} {folder}` copies it into one "
        f"(the file is left as it is), then give `--data {folder}`"
    ]


# --- imports: add or update the rows of one dataset ---------------------------------------


def _read_columns(path: Path, columns: list[str]) -> pa.Table:
    check_readable(path)
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError, KeyError) as err:
        raise DatasetError(f"{path}: not a dataset in the event schema v{SCHEMA_VERSION} ({err})") from err


def foreign_ids(path: Path, dataset: str) -> frozenset[str]:
    """Ids in the file that belong to another dataset (an import must not take them over); a
    row without a dataset is another's. Chosen in Arrow from the dataset column first: the
    ids are read only when some row is another's, and only those become Python strings (a
    re-import of 1 M rows read every id and made each a pandas object, some 100 MB of RSS
    held from before the import's first row)."""
    import pyarrow.compute as pc  # here: `timeline add` and `--help` do not load the kernels

    if not path.exists():
        return frozenset()
    origin = _read_columns(path, [str(Col.DATASET)]).column(0)
    if not (pa.types.is_string(origin.type) or pa.types.is_large_string(origin.type)):
        origin = origin.cast(pa.large_string())  # as written by another tool: compared as text
    other = pc.fill_null(pc.not_equal(origin, pa.scalar(dataset, origin.type)), True)
    if not pc.any(other).as_py():
        return frozenset()
    ids = _read_columns(path, [str(Col.EVENT_ID)]).column(0)
    return frozenset(ids.filter(other).drop_null().to_pylist())


def datasets_in(path: Path) -> dict[str, int]:
    """Rows per `dataset` value in a file (to check what `--out` would overwrite)."""
    counts = _read_columns(path, [str(Col.DATASET)]).column(0).to_pandas().value_counts(dropna=False)
    return {str(k): int(v) for k, v in counts.items()}


def upsert(
    path: Path,
    rows: pd.DataFrame | Checked,
    *,
    dataset: str,
    now: datetime | None = None,
    dry_run: bool = False,
    create: bool = True,
    journal: Callable[[UpsertResult, pa.Table, pa.Table], BeforeReplace] | None = None,
) -> UpsertResult:
    """Add or update one dataset's rows, keyed by event_id: what `timeline import` writes.

    `rows` is a canonical frame (the output of `validation.check`), checked again here so
    nothing invalid is ever written, or the importer's `Checked` rows, not checked twice (rows
    it wrote to a file as it read them go to `spill.commit`). New ids are added; an id already in the
    file for the same `dataset` is replaced when any field but `added_at` differs and left
    alone otherwise, so importing the same file twice changes nothing. An id that belongs
    to another dataset is refused (ValidationFailed, file untouched). Rows of the dataset
    that are not in `rows` stay: an import never deletes. Nothing is written when nothing
    changed; with `dry_run` (or no rows) nothing at all is created: no file, folder or lock.
    `journal`, given the plan, the rows to write and the rows they replace, under the lock,
    returns what `save_table` calls before the rename (the change log).
    """
    key = str(Col.EVENT_ID)
    new = stamped(rows, dataset, now)
    if dry_run or not len(new):
        # Nothing will be written, so no lock either: a dry run creates no folder, no lock file
        # and no dataset. Without the lock the read still sees one whole version of the file,
        # because `save` replaces it by an atomic rename.
        return _plan(path, new, dataset, create)[0]
    target = dataset_target(path)
    check_writable(target, create=create)
    with locked(target):
        check_writable(target, create=create)
        notes = tempfiles.remove_abandoned(target)
        had_file = target.exists()
        result, existing = _plan(target, new, dataset, create)
        result.notes = notes
        if not (result.added or result.changed):
            return result
        # The file's other rows are written back from Arrow as read, never through pandas.
        changed_ids = pa.array(list(result.diff.changed), type=pa.string())
        keep = ~member(existing.column(key), changed_ids)
        wanted = member(new[key], changed_ids) | ~member(new[key], existing.column(key))
        incoming = to_arrow(new if wanted.all() else new[wanted])
        kept = existing if keep.all() else existing.filter(pa.array(keep))
        hook = journal(result, incoming, existing.filter(pa.array(~keep))) if journal else None
        save_table(pa.concat_tables([kept, incoming]), target, backup=had_file, before_replace=hook)
    result.written = True
    result.backup = backup_path(target) if had_file else None
    return result


def _plan(path: Path, new: pd.DataFrame, dataset: str, create: bool) -> tuple[UpsertResult, pa.Table]:
    """What `upsert` would do with `new` (validated, stamped) against the file: the result
    (nothing written yet) and the file's table. Raises ValidationFailed for ids of another
    dataset, DatasetError for a missing file when `create` is false.

    The file stays the Arrow table it was read as, never a second frame beside `new`; only
    the rows that differ become a frame, for the field-by-field diff."""
    if path.exists():
        existing = read_schema_table(path)
    elif create:
        existing = ARROW_SCHEMA.empty_table()
    else:
        raise DatasetError(f"{path}: no such dataset file")
    return plan_against(existing, new, dataset, path), existing
