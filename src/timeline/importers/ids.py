"""One row per event id: the first valid row of an id is kept; a later one is a repeated
row (same source text) or a different event sharing the id (rejected, or renamed with
--on-duplicate-id suffix). Every row is checked by the rules of `validation`, as for `append`
(run by `vectorised.check`: the same problems, without pandera's bookkeeping)."""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.arrowtext import duplicated
from timeline.domain.schema import Col
from timeline.domain.vectorised import check
from timeline.importers.onepass import row_hashes
from timeline.importers.rejects import problem_reasons, reasons_frame
from timeline.storage import store


class SeenIds:
    """The ids of accepted rows, the rows they came from and a fingerprint of each row's
    source text, kept as sorted 64-bit hashes: 24 bytes an id instead of a Python dict entry.
    A false 'duplicate' would need two ids with the same 64-bit hash (about one chance in ten
    million for two million ids)."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.rows = np.empty(0, dtype=np.int64)
        self.prints = np.empty(0, dtype=np.uint64)

    @staticmethod
    def hash(ids: pd.Series) -> np.ndarray:
        """DuckDB's 64-bit hash of each id, from its Arrow text: pandas' hash of the ids as
        Python objects cost 0.9 CPU s per million rows (the hashes stay within one import).
        Computed once per pass of `accept_first_valid`, for both `first_rows` and `add`."""
        return row_hashes(ids.to_frame())

    def first_rows(self, hashes: np.ndarray, index: pd.Index) -> tuple[pd.Series, pd.Series]:
        """The accepted row of each id (by its `hash`; or missing) and that row's fingerprint.
        Searched in hash order: a binary search per id in random order missed the cache at
        every step (40 ms a 100,000-row chunk against a million ids; 10 ms sorted first)."""
        rows = np.full(len(index), np.nan)
        prints = np.zeros(len(index), dtype=np.uint64)
        if len(self.hashes) and len(index):
            order = np.argsort(hashes)
            keys = hashes[order]
            pos = np.minimum(np.searchsorted(self.hashes, keys), len(self.hashes) - 1)
            found = self.hashes[pos] == keys
            at, pos = order[found], pos[found]
            rows[at] = self.rows[pos]
            prints[at] = self.prints[pos]
        return pd.Series(rows, index=index), pd.Series(prints, index=index)
        order = np.argsort(hashes)
        keys = hashes[order]
        pos = np.minimum(np.searchsorted(self.hashes, keys), len(self.hashes) - 1)
        found = self.hashes[pos] == keys
        if found.any():
            at, pos = order[found], pos[found]
            values = np.full(len(index), np.nan)
            values[at] = self.rows[pos]
            out = pd.Series(values, index=index)
            kept = np.zeros(len(index), dtype=np.uint64)
            kept[at] = self.prints[pos]
            prints = pd.Series(kept, index=index)
        return out, prints

    def add(self, hashes: np.ndarray, rows: pd.Index, prints: np.ndarray) -> None:
        """Merge the new ids (their `hash`es) in, after any equal hash already kept: the new
        ones sorted, placed by one search, the kept ones around them (a mask, not `np.insert`,
        which sorts the places again for each of the three arrays)."""
        order = np.argsort(hashes, kind="stable")
        keys = hashes[order]
        at = np.searchsorted(self.hashes, keys, side="right") + np.arange(len(keys))
        new = np.zeros(len(self.hashes) + len(keys), dtype=bool)
        new[at] = True
        old = ~new
        added = (keys, rows.to_numpy(dtype=np.int64)[order], np.asarray(prints, dtype=np.uint64)[order])
        merged = []
        for kept, values in zip((self.hashes, self.rows, self.prints), added, strict=True):
            out = np.empty(len(new), dtype=kept.dtype)
            out[at] = values
            out[old] = kept
            merged.append(out)
        self.hashes, self.rows, self.prints = merged


def _kept_hashes(canonical: pd.Series, ids: pd.Series, hashes: np.ndarray) -> np.ndarray:
    """The `SeenIds.hash` of the accepted rows' ids: those of their mapped ids, unless the
    check changed an id (then hashed again, so exactly the accepted ids are kept)."""
    at = ids.index.get_indexer(canonical.index)
    mapped = pa.array(ids.iloc[at].astype(canonical.dtype).array)
    same = pc.equal(pa.array(canonical.array), mapped)
    if same.null_count == 0 and pc.all(same).as_py():
        return hashes[at]
    return SeenIds.hash(canonical)


def _repeated(ids: pd.Series, hashes: np.ndarray) -> np.ndarray:
    """`duplicated(ids, keep="first")`: none when no two of the ids' `SeenIds.hash`es are
    equal (sorting the hashes is a fifth of the cost of hashing the text again), else
    exactly, from the text."""
    ordered = np.sort(hashes)
    if not (ordered[1:] == ordered[:-1]).any():
        return np.zeros(len(ids), dtype=bool)
    return duplicated(ids, keep="first")


def fingerprints(originals: pd.DataFrame) -> pd.Series:
    """A 64-bit hash of each source row's text: equal for rows that repeat one another
    (compared within one import only, so any stable hash serves: DuckDB's, over all columns
    at once, a quarter of the time pandas' took)."""
    return pd.Series(row_hashes(originals), index=originals.index)


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


def accept_first_valid(
    rows: pd.DataFrame,
    now: datetime,
    dataset: str,
    refused: list[pd.DataFrame],
    seen: SeenIds,
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
        hashes = SeenIds.hash(rows[key])
        first, first_prints = seen.first_rows(hashes, rows.index)
        hit = first.notna()
        lead = ~hit & ~_repeated(rows[key], hashes)
        again = rows.iloc[0:0]
        if hit.any():
            ids = rows[key].astype("object")
            same = hit & (prints[rows.index].to_numpy() == first_prints.to_numpy())
            if same.any():
                refused.append(reasons_frame(rows.index[same], "repeated row",
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
                    refused.append(reasons_frame(rows.index[other], "duplicate event_id",
                                            "duplicate event_id: " + ids[other] + " is also row "
                                            + first[other].astype("int64").astype(str) + "'s, a different event"
                                            + why + "; --on-duplicate-id suffix keeps both"))  # fmt: skip
        if lead.any():
            raw, _ = store.with_append_defaults(rows if lead.all() else rows[lead], now, dataset=dataset)
            canonical, problems = check(raw.reset_index(drop=True))
            canonical.index = raw.index
            if problems:
                bad = problem_reasons(raw, problems)
                refused.append(bad)
                canonical = canonical[~canonical.index.isin(bad.index)]
            accepted.append(canonical)
            kept = _kept_hashes(canonical[key], rows[key], hashes)
            seen.add(kept, canonical.index, prints[canonical.index].to_numpy())
        rest = ~lead & ~hit
        rest_rows = rows[rest] if rest.any() else rows.iloc[0:0]
        rows = pd.concat([rest_rows, again]) if len(again) else rest_rows
    if not accepted:
        return rows
    return pd.concat(accepted).sort_index() if len(accepted) > 1 else accepted[0]
