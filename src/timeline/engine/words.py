"""A text search answered from the parts' word indexes (`storage.words`): the rows holding
every query word are found from a few postings per part, and the rollups of only those rows
(`engine.rollups`) are summed from each row's rollup groups, so the page's counts of a text
view at 10 M events read no row's text and no other column of the parts.

It answers only when the rollups can (DuckDB, a folder of parts, every part rolled up) and
every part has its index, and only a search whose every word is made of letters and digits
(`storage.words.indexable`); the view's other filters then run on the restricted rollups as
on the whole ones. A question the rollups cannot answer (the rows drawn one by one, the
table's newest rows, a filter on countries, actors or counts) scans only the parts holding
a row with every word (`narrowed`), with every filter's own test. Anything else scans, as
before. The answers are those of a scan of every part (`tests/test_engine_words.py`).

Each part's vocabulary words and own rollups are read once per process (kept per file, so
an append's new version reads its new part's only, within `KEPT_BYTES`: a compact's removed
parts are pushed out rather than held for good); per search, the matched words' postings and
the `rows` files of the parts holding them.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cachetools
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from timeline import view
from timeline.engine import spans
from timeline.engine.backends import Backend, Source
from timeline.storage import rollups as stored_rollups, words as stored
from timeline.view import View


def searched(v: View) -> tuple[str, tuple[str, ...]] | None:
    """The view's text filter's name and its words, when it has one the index can answer."""
    for f in v.active:
        if isinstance(f, view.TextWords):
            found = tuple(view.words(v.get(f.name)))
            if found and all(stored.indexable(w) for w in found):
                return f.name, found
            return None
    return None


@dataclass(frozen=True)
class Vocabulary:
    """A part's vocabulary file with its words read (a few thousand; kept per process), its
    postings left on disk: a search reads those of the words it matched."""

    path: str
    words: pa.Array
    ends: np.ndarray
    """Each row group's end, in entries."""
    rows: int
    """The part's rows it was made from."""

    def holding(self, wanted: tuple[str, ...]) -> np.ndarray | None:
        """The part's rows holding every word (a word's rows: those of every vocabulary entry
        containing it), ascending; None when no row can."""
        import pyarrow.parquet as pq

        matched = []
        for word in wanted:
            entries = np.flatnonzero(pc.match_substring(self.words, word).to_numpy(zero_copy_only=False))
            if not len(entries):
                return None
            matched.append(entries)
        groups = sorted(
            {int(g) for entries in matched for g in np.searchsorted(self.ends, entries, side="right")}
        )
        file = pq.ParquetFile(self.path)
        read = file.read_row_groups(groups, columns=["rows"], use_threads=False).column(0).combine_chunks()
        first = {g: (int(self.ends[g - 1]) if g else 0) for g in groups}
        at, position = {}, 0
        for g in groups:  # each entry's place among the rows read
            at[g] = position
            position += int(self.ends[g]) - first[g]
        keep = np.ones(self.rows, dtype=bool)
        for entries in matched:
            holding = np.zeros(self.rows, dtype=bool)
            for entry in entries.tolist():
                g = int(np.searchsorted(self.ends, entry, side="right"))
                holding[stored.rows_of(read[at[g] + entry - first[g]].values.to_numpy())] = True
            keep &= holding
        return np.flatnonzero(keep)


def vocabulary(path: Path | str, part_rows: int | None = None) -> Vocabulary:
    """A part's vocabulary, its words read once per process (`_vocabulary`); raises
    `Mismatch` when it was made from another number of rows than the part's `part_rows`."""
    found = _vocabulary(*_file_key(path))
    if part_rows is not None and found.rows != part_rows:
        raise Mismatch(str(path))
    return found


def _file_key(path: Path | str) -> tuple[str, int, int, int]:
    """A file's path, inode, modification time and size: what a file read once per process
    is kept under (a part's index is never rewritten in place, but a key that changes with
    the file costs one `stat`)."""
    st = os.stat(path)
    return str(path), st.st_ino, st.st_mtime_ns, st.st_size


KEPT_BYTES = 256 << 20
"""What the parts' own rollups read for text searches may hold in memory (70 MB at 10 M
events); the vocabularies get a sixteenth of it (70 KB at 10 M). Past it, the least recently
used files are read again when next needed."""


@cachetools.cached(
    cachetools.LRUCache(KEPT_BYTES // 16, getsizeof=lambda v: v.words.nbytes + v.ends.nbytes),
    lock=threading.Lock(),
)
def _vocabulary(path: str, inode: int, mtime_ns: int, size: int) -> Vocabulary:
    """Kept per file, not per dataset version: an append's new version keeps every other
    part's, and the engine's answers (`Backend.remember`, 64 of them) would soon push a
    version's out."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)  # not `read_table`: its dataset layer cost more than the read
    rows = int(json.loads(file.schema_arrow.metadata[stored.META_KEY.encode()])["rows"])
    words = file.read(columns=["word"], use_threads=False).column(0).combine_chunks()
    ends = np.cumsum([file.metadata.row_group(g).num_rows for g in range(file.num_row_groups)])
    return Vocabulary(path, words, ends, rows)


@cachetools.cached(cachetools.LRUCache(KEPT_BYTES, getsizeof=lambda t: t.nbytes), lock=threading.Lock())
def _rollup(path: str, inode: int, mtime_ns: int, size: int) -> pa.Table:
    """A part's own rollup file, read once per process (like `_vocabulary`)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read(use_threads=False)


def matches(runner: Backend, source: Source, wanted: tuple[str, ...]) -> dict[int, np.ndarray] | None:
    """The rows holding every word of `wanted`, by part (its place in `source.files`; parts
    holding none left out), found once per (version, words); None when the index cannot
    answer (DuckDB only, a folder of parts each with its index made from it)."""
    if runner.name != "duckdb" or not source.partitioned or not source.files:
        return None
    parts = _part_names(runner, source)
    if not runner.remember((source.key, "word index"), lambda: stored.complete(source.path, parts)):
        return None

    def find() -> dict[int, np.ndarray]:
        listed = _vocabularies(source, parts)
        found = {}
        for i, vocab in enumerate(listed):
            rows = vocab.holding(wanted)
            if rows is not None and len(rows):
                found[i] = rows
        return found

    try:
        return runner.remember((source.key, "word rows", wanted), find)
    except Mismatch:
        return None  # an index not made from its part: never answer from it


def narrowed(runner: Backend, source: Source, v: View, within: Source | None = None) -> Source | None:
    """The parts of `within` (else of the whole dataset) holding a row with every word of the
    view's text search, as a source of their own: the others hold no match, whatever the
    view's other filters, which still run on these (as does the text's own test). None when
    the index cannot say, or every part of `within` is kept."""
    found = searched(v)
    rows = matches(runner, source, found[1]) if found is not None else None
    if rows is None:
        return None
    holding = {source.files[i] for i in rows}
    base = within.files if within is not None else source.files
    kept = tuple(p for p in base if p in holding)
    if within is not None and len(kept) == len(base):
        return within
    return spans.subset(source, kept, len(source.files))


def restricted(runner: Backend, source: Source, v: View, kind: str) -> tuple[ir.Table, View] | None:
    """The rollup `kind` of the rows holding the view's words, and the view without its text
    filter (to be run on it); None when the index cannot answer (see the module)."""
    found = searched(v)
    if found is None:
        return None
    name, wanted = found
    rows = matches(runner, source, wanted)
    own = runner.remember((source.key, "own rollup files"), lambda: _own_files(source))
    if rows is None or not own:
        return None
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    key = (str(source.path), f"{source.version}#words-{digest}")

    def make() -> dict[str, pa.Table]:
        whole = runner.remember((source.key, "own rollups"), lambda: _read_whole(own))
        sizes = {k: tuple(_file_rows(f) for f in files) for k, files in own.items()}
        parts = _part_names(runner, source)
        return tables(source.path, parts, _part_rows(source), sizes, rows, whole)

    try:
        made = runner.hold_view_tables(key, make)
    except Mismatch:
        return None  # an index not made from these parts and rollups: never answer from it
    if made is None:
        return None
    return made[kind], v.without(name)


class Mismatch(Exception):
    """A part's index does not fit its part or its rollups (not made from them)."""


def _part_names(runner: Backend, source: Source) -> tuple[str, ...]:
    return runner.remember(
        (source.key, "part names"), lambda: tuple(p.relative_to(source.path).as_posix() for p in source.files)
    )


def _file_rows(path: Path | str) -> int:
    """A Parquet file's rows, from its footer parsed once per process (`parts.footer`)."""
    from timeline.storage import parts

    return parts.footer(Path(path)).rows


def _part_rows(source: Source) -> tuple[int, ...]:
    return tuple(_file_rows(f) for f in source.files)


def _vocabularies(source: Source, parts: tuple[str, ...]) -> tuple[Vocabulary, ...]:
    folder = stored.path_of(source.path, "", "")  # paths as strings: Path joins per part add up
    return tuple(
        vocabulary(f"{folder}/vocab/{part}", rows)
        for part, rows in zip(parts, _part_rows(source), strict=True)
    )


def _own_files(source: Source) -> dict[str, list[str]]:
    """Each part's own rollup files by kind ({} when a part lacks one): the index maps a part's
    rows to the groups of its own rollups, not of the merged ones `timeline compact` writes."""
    parts = [p.relative_to(source.path).as_posix() for p in source.files]
    own = {k: [str(stored_rollups.path_of(source.path, p, k)) for p in parts] for k in stored_rollups.KINDS}
    return own if all(Path(f).is_file() for files in own.values() for f in files) else {}


def _read_whole(own: dict[str, list[str]]) -> dict[str, pa.Table]:
    """Each rollup kind of every part, the parts' rows one after another (a few hundred
    thousand rows at 10 M events), in one chunk: a `take` across 54 chunks cost more."""
    return {
        kind: pa.concat_tables(
            [_rollup(*_file_key(f)) for f in files], promote_options="default"
        ).combine_chunks()
        for kind, files in own.items()
    }


def tables(
    root: Path,
    parts: tuple[str, ...],
    part_rows: tuple[int, ...],
    sizes: dict[str, tuple[int, ...]],
    found: dict[int, np.ndarray],
    whole: dict[str, pa.Table],
) -> dict[str, pa.Table]:
    """Each rollup kind of only the `found` rows (by part), all parts together: each row's
    group, found by its part's `rows` file, counted (and its measures summed) over `whole`,
    the rollup of every row. Raises `Mismatch` where an index does not fit its part (rows)
    or its rollups (groups)."""
    import pyarrow.parquet as pq

    starts = {kind: np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64) for kind, n in sizes.items()}
    at: dict[str, list[np.ndarray]] = {kind: [] for kind in sizes}
    measures: dict[str, list[np.ndarray]] = {
        c: [] for c in (stored.LOCATED, stored.COUNT, stored.INTERCEPTED)
    }
    valid: dict[str, list[np.ndarray]] = {c: [] for c in (stored.COUNT, stored.INTERCEPTED)}
    folder = stored.path_of(root, "", "")
    for i, rows in sorted(found.items()):
        file = pq.ParquetFile(f"{folder}/rows/{parts[i]}")
        if file.metadata.num_rows != part_rows[i]:
            raise Mismatch(parts[i])
        index = file.read(use_threads=False)
        picked = pa.array(rows)
        for kind in sizes:
            groups = index.column(kind).take(picked).to_numpy().astype(np.int64)
            if len(groups) and groups.max() >= sizes[kind][i]:
                raise Mismatch(parts[i])
            at[kind].append(np.where(groups >= 0, groups + starts[kind][i], -1))
        for column in measures:
            values = index.column(column).take(picked)
            measures[column].append(pc.fill_null(values, 0).to_numpy().astype(np.float64))
            if column in valid:
                valid[column].append(pc.is_valid(values).to_numpy().astype(np.float64))
    out = {}
    for kind in sizes:
        rolled = whole[kind]
        if rolled.num_rows != sum(sizes[kind]):
            raise Mismatch(kind)
        groups = np.concatenate(at[kind]) if at[kind] else np.zeros(0, np.int64)
        sums = {stored_rollups.N: (groups, None, None)}
        if kind == "days":
            joined = {c: np.concatenate(m) if m else np.zeros(0) for c, m in measures.items()}
            counted = {c: np.concatenate(m) if m else np.zeros(0) for c, m in valid.items()}
            sums[stored_rollups.LOCATED] = (groups, joined[stored.LOCATED], None)
            sums[stored_rollups.LAUNCHED] = (groups, joined[stored.COUNT], counted[stored.COUNT])
            sums[stored_rollups.INTERCEPTED] = (
                groups,
                joined[stored.INTERCEPTED],
                counted[stored.INTERCEPTED],
            )
            sums[stored_rollups.REPORTED] = (groups, counted[stored.INTERCEPTED], None)
        out[kind] = _restrict(rolled, sums)
    return out


def _restrict(
    rolled: pa.Table, sums: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]
) -> pa.Table:
    """The rows of `rolled` (a rollup of every row) that the matching rows fall in, with each
    measure summed over those rows only (null where none of them had a value, as pyarrow's
    sum gives): what `rollups.compute` would give for them."""
    size = rolled.num_rows
    groups = sums[stored_rollups.N][0]
    located = groups >= 0  # a row off the map is in no cell
    n = np.bincount(groups[located], minlength=size)
    present = np.flatnonzero(n)
    out = rolled.take(pa.array(present))
    for column, (_, weights, counted) in sums.items():
        at = out.schema.get_field_index(column)
        field = out.schema.field(at)
        if weights is None:
            values = n
        else:
            values = np.rint(np.bincount(groups[located], weights=weights[located], minlength=size)).astype(
                np.int64
            )
        mask = None
        if counted is not None:
            mask = np.bincount(groups[located], weights=counted[located], minlength=size)[present] == 0
        out = out.set_column(
            at, field, pa.array(values[present].astype(np.int64), mask=mask).cast(field.type)
        )
    return out
