"""A word index of each part of a folder of parts, written beside it like its rollups, so that
a text search at 10 M events reads a few postings instead of every row's text (issue #17).

    events/_words/v1/vocab/year=2024/month=11/part-<id>.parquet   each word: the rows holding it
    events/_words/v1/rows/year=2024/month=11/part-<id>.parquet    each row: its rollup groups

A word is a maximal run of letters and digits (`\\pL\\pN`) of the part's stored search text
(`schema.search_text`, lower-cased when the part was written). A query word made of letters
and digits only is contained in a row's text exactly when it is contained in one of its
words, so the rows the index gives for it are exactly the rows the scan's `contains` keeps;
a query word with any other character is not answered here (the engine scans), nor one of
ASCII digits only: numbers (often one per row, an id's) are left out of the vocabulary,
which would otherwise be as large as the text.

The `rows` file maps each row to its group in each of the part's rollups (`rollups`) and
holds the measures those sum, so the rollups of only the rows a search keeps are a few
`bincount`s (`engine.words`). Like a rollup, the index belongs to one part file, whose name
is never reused, and is deleted with it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.schema import SEARCH_COLUMN, Col
from timeline.storage import rollups

FOLDER = "_words"
FORMAT = "v1"
FILES = ("vocab", "rows")
SEPARATORS = r"[^\pL\pN]+"
"""What splits the search text into words (RE2, as pyarrow runs it)."""
NUMBER = r"^[0-9]+$"
META_KEY = "timeline.words"
GROUP_POSTINGS = 32_768
"""Postings per row group of a vocabulary file (see `write`)."""
LOCATED, COUNT, INTERCEPTED = "_located", "_count", "_intercepted"
"""The `rows` file's measures: what the `days` rollup sums (`_launched` is the count)."""


def path_of(root: Path, part: str, name: str) -> Path:
    """Where file `name` ('vocab' or 'rows') of `part`'s index is kept."""
    return root / FOLDER / FORMAT / name / part


def indexable(word: str) -> bool:
    """Whether the index answers a query word exactly: letters and digits only, not digits
    only (numbers are not indexed), tested by the engine that split the text."""
    test = pa.array([word])
    return bool(word) and not (
        pc.match_substring_regex(test, SEPARATORS).to_pylist()[0]
        or pc.match_substring_regex(test, NUMBER).to_pylist()[0]
    )


def vocabulary(search: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Each distinct word of the texts (numbers left out) with the rows holding it, as gaps:
    the first row, then each row's distance from the one before (small numbers, which
    compress to about a byte each)."""
    if isinstance(search, pa.ChunkedArray):
        search = search.combine_chunks()
    split = pc.split_pattern_regex(search, SEPARATORS)
    flat, parents = pc.list_flatten(split), pc.list_parent_indices(split)
    encoded = pc.dictionary_encode(flat)
    # Numbers and empty strings tested once per distinct word, not once per occurrence.
    unwanted = pc.or_(pc.equal(encoded.dictionary, ""), pc.match_substring_regex(encoded.dictionary, NUMBER))
    wanted = np.flatnonzero(~unwanted.to_numpy(zero_copy_only=False))
    renumber = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    renumber[wanted] = np.arange(len(wanted))
    codes = renumber[encoded.indices.to_numpy()]
    rows = parents.to_numpy().astype(np.int64)[codes >= 0]
    codes = codes[codes >= 0]
    order = np.argsort(codes, kind="stable")  # rows stay ascending within a word
    codes, rows = codes[order], rows[order]
    if len(rows):  # a word twice in one row counts once
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (codes[1:] != codes[:-1]) | (rows[1:] != rows[:-1])
        codes, rows = codes[first], rows[first]
    words = encoded.dictionary.take(pa.array(wanted))
    offsets = np.zeros(len(words) + 1, dtype=np.int32)
    np.cumsum(np.bincount(codes, minlength=len(words)), out=offsets[1:])
    gaps = rows.copy()
    gaps[1:] -= rows[:-1]
    starts = offsets[:-1][offsets[:-1] < len(rows)]
    gaps[starts] = rows[starts]
    postings = pa.ListArray.from_arrays(pa.array(offsets), pa.array(gaps.astype(np.uint32)))
    return pa.table({"word": words.cast(pa.string()), "rows": postings})


def rows_of(gaps: np.ndarray) -> np.ndarray:
    """A word's rows from its gaps (`vocabulary`)."""
    return np.cumsum(gaps, dtype=np.int64)


def groups(keys: dict[str, pa.Array | pa.ChunkedArray], names: Iterable[str], rolled: pa.Table) -> np.ndarray:
    """Each row's row in `rolled` (a rollup grouped by `names`), -1 where it has none: the key
    values of both coded together, column by column, nulls as a value of their own."""
    n = len(next(iter(keys.values())))
    combined = np.zeros(rolled.num_rows + n, dtype=np.int64)
    span = 1
    for name in names:
        mine = keys[name]
        mine = mine.combine_chunks() if isinstance(mine, pa.ChunkedArray) else mine
        theirs = rolled.column(name).combine_chunks()
        both = pa.concat_arrays([theirs, mine.cast(theirs.type)])
        encoded = pc.dictionary_encode(both, null_encoding="encode")
        codes = encoded.indices.to_numpy().astype(np.int64)
        size = len(encoded.dictionary)
        if span * size >= 2**62:  # renumber densely before the codes could overflow
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
            span = int(combined.max()) + 1 if len(combined) else 1
        combined = combined * size + codes
        span *= size
    theirs, mine = combined[: rolled.num_rows], combined[rolled.num_rows :]
    if not rolled.num_rows:
        return np.full(n, -1, dtype=np.int64)
    order = np.argsort(theirs, kind="stable")
    at = order[np.minimum(np.searchsorted(theirs[order], mine), rolled.num_rows - 1)]
    return np.where(theirs[at] == mine, at, -1)


def compute(table: pa.Table, rolled: dict[str, pa.Table]) -> tuple[pa.Table, pa.Table]:
    """A part's vocabulary and its `rows` table, from its rows (with the derived search
    text) and its rollups."""
    vocab = vocabulary(table.column(SEARCH_COLUMN))
    keys, located = rollups.row_keys(table)
    located_mask = located.to_numpy(zero_copy_only=False) if table.num_rows else np.zeros(0, bool)
    columns: dict[str, pa.Array] = {}
    for name, kind in rollups.KINDS.items():
        found = groups(keys, [str(k) for k in kind.keys], rolled[name])
        if kind.located_only:
            found = np.where(located_mask, found, -1)
        if (found[located_mask if kind.located_only else slice(None)] < 0).any():
            raise ValueError(f"a row without its group in the part's {name} rollup")
        columns[name] = pa.array(found.astype(np.int32))
    columns[LOCATED] = pc.cast(pc.is_valid(table.column(str(Col.LATITUDE))), pa.int8())
    columns[COUNT] = table.column(str(Col.COUNT)).combine_chunks()
    columns[INTERCEPTED] = table.column(str(Col.INTERCEPTED)).combine_chunks()
    return vocab, pa.table(columns)


def write(root: Path, part: str, table: pa.Table, rolled: dict[str, pa.Table]) -> None:
    """Write the index of the part `part` (its rows `table` with the derived columns, its
    rollups `rolled`), each file atomically, before the part is committed. The vocabulary
    is cut into row groups of about `GROUP_POSTINGS` rows each (a frequent word alone in
    one), so that a search reads the postings of the words it matched, not all of them."""
    import pyarrow.parquet as pq

    from timeline.storage import store

    vocab, rows = compute(table, rolled)
    meta = {META_KEY: json.dumps({"rows": table.num_rows})}
    vocab = vocab.replace_schema_metadata({k.encode(): v.encode() for k, v in meta.items()})
    ends = np.cumsum(np.diff(vocab.column("rows").combine_chunks().offsets.to_numpy()))
    cuts, before = [0], 0
    for i, total in enumerate(ends.tolist(), start=1):
        if total - before >= GROUP_POSTINGS:
            cuts.append(i)
            before = total
    if cuts[-1] != vocab.num_rows or vocab.num_rows == 0:
        cuts.append(vocab.num_rows)

    def vocab_file(fh: object) -> None:
        with pq.ParquetWriter(fh, vocab.schema, compression="zstd") as writer:
            for start, end in itertools.pairwise(cuts):
                writer.write_table(vocab.slice(start, end - start), row_group_size=max(end - start, 1))

    path = path_of(root, part, "vocab")
    path.parent.mkdir(parents=True, exist_ok=True)
    store.write_atomic(path, vocab_file)
    store.write_table_atomic(rows, path_of(root, part, "rows"), metadata=meta, compression="zstd")


def remove(root: Path, part: str) -> None:
    """Delete a part's index (after the part left the manifest)."""
    for name in FILES:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path_of(root, part, name))


def complete(root: Path, parts: Iterable[str]) -> bool:
    """Whether every one of these parts has its index."""
    parts = list(parts)
    return bool(parts) and all(path_of(root, p, name).is_file() for p in parts for name in FILES)


def write_missing(root: Path) -> int:
    """Write the index of every part of `root` that lacks one and has its rollups (run after
    `rollups.write_missing`); returns how many parts were indexed. One part at a time."""
    import pyarrow.parquet as pq

    from timeline.storage import parts

    manifest = parts.read_manifest(root)
    done = 0
    for part in manifest.parts if manifest else ():
        found = rollups.files(root, [part.path])
        if complete(root, [part.path]) or found is None:
            continue
        table = parts.with_derived(pq.read_table(root / part.path))
        rolled = {name: pq.read_table(paths[0]) for name, paths in found.items()}
        write(root, part.path, table, rolled)
        done += 1
    return done
