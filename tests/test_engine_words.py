"""engine/words.py: a text search answered from the parts' word indexes finds exactly the rows
the scan's `contains` finds (substrings, several words, any case, accents, Cyrillic), and the
page's answers of a text view are the scan's; a search the index cannot answer, a part
without its index, and a rewritten part are handled without a wrong row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from test_engine_rollups import answers, assert_same, read_from_files, scanned
from timeline import synth, view
from timeline.domain.schema import SEARCH_COLUMN, Col, from_arrow
from timeline.engine import words
from timeline.storage import parts, store, words as stored
from timeline.storage.store import read_schema_table

from conftest import CURATED, frame, make_row, parts_read

TEXTS = [
    ("Атака дронів на Київ", "Шахеди над КИЄВОМ уночі.", "Київ"),
    ("Café ÉLAN meeting in Zürich", "Überraschung: the café's talks (D.C.-style) ran late.", "Zürich"),
    ("ROCKET strike on Kharkiv", "Rockets, drones — and SHAHED-136s.", "Kharkiv"),
]
QUERIES = [
    "drone", "DRONE kyiv", "kyi", "ukr air", "synth", "of", "a", "g7", "drone drone",
    "київ", "КИЇВ", "дрон київ", "café", "ÉLAN zür", "überr", "shahed", "rocket kharkiv",
    "zzzz", "kyiv zzzz",
]  # fmt: skip
PAGE_QUERIES = ["DRONE kyiv", "kyi", "synth", "a", "КИЇВ", "ÉLAN zür", "rocket kharkiv", "kyiv zzzz"]
"""The searches whose every answer the page asks is compared with the scan's (each costs two
views met first)."""
NOT_INDEXED = ["d.c.", "136", "shahed-136s", "café's", "nothing-like-this"]
"""Words with other characters than letters and digits, or digits only: scanned."""


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The curated events, 2,000 synthetic ones and a few rows in Cyrillic, with accents and
    capitals, in a folder of parts."""
    root = tmp_path_factory.mktemp("words") / "events"
    table = pa.concat_tables([read_schema_table(CURATED), synth.generate(2000, seed=3, first_id=10**6)])
    parts.create_from(root, table)
    rows = [
        make_row(event_id=f"2024-11-2{i}-text-{i}", title=title, summary=summary, location=place,
                 date_start=f"2024-11-2{i}", date_end=f"2024-11-2{i}")
        for i, (title, summary, place) in enumerate(TEXTS, start=1)
    ]  # fmt: skip
    parts.append(root, frame(*rows))
    return root


@pytest.fixture
def folder(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return read_from_files(made, tmp_path, monkeypatch)


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The searches the word index answered, in order."""
    seen: list[str] = []
    real = words.restricted

    def spy(runner, source, v, kind):
        found = real(runner, source, v, kind)
        if found is not None:
            seen.append(kind)
        return found

    monkeypatch.setattr(words, "restricted", spy)
    return seen


@pytest.fixture
def narrowed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many parts each scan narrowed by the word index read."""
    return parts_read(monkeypatch, words, "narrowed")


def unindexed(monkeypatch: pytest.MonkeyPatch, root: Path, params: dict) -> dict[str, object]:
    """The same answers with neither the rollups nor the word index: every question scans
    every part its dates allow, with the text's own test (once per set of parts and view)."""
    return scanned(monkeypatch, root, params, index=False)


@pytest.mark.parametrize("query", QUERIES + NOT_INDEXED)
def test_the_index_finds_exactly_the_rows_the_scan_finds(made, query):
    """Part by part: the rows holding every word, from the index, against `contains` on the
    stored text (what the engine's predicate runs)."""
    wanted = tuple(view.words(query))
    for part in parts.read_manifest(made).parts:
        text = pq.read_table(made / part.path, columns=[SEARCH_COLUMN]).column(0)
        expected = pc.and_kleene(*[pc.match_substring(text, w) for w in wanted]) if len(wanted) > 1 else (
            pc.match_substring(text, wanted[0]))  # fmt: skip
        expected_rows = [i for i, hit in enumerate(expected.to_pylist()) if hit]
        if not all(stored.indexable(w) for w in wanted):
            continue  # the engine scans these (below)
        found = words.vocabulary(stored.path_of(made, part.path, "vocab")).holding(wanted)
        assert (found.tolist() if found is not None else []) == expected_rows, part.path


def test_some_searches_find_rows_in_every_script():
    """The fixture's searches are not all empty: Cyrillic, accents and capitals match."""
    table = pa.table({SEARCH_COLUMN: [t.lower() + " " + s.lower() for t, s, _ in TEXTS]})
    vocab = stored.vocabulary(table.column(SEARCH_COLUMN))
    listed = set(vocab.column("word").to_pylist())
    assert {"київ", "дронів", "café", "élan", "zürich", "shahed"} <= listed
    assert "136" not in listed  # numbers are left out, and scanned
    assert [stored.indexable(w) for w in ("київ", "élan", "g7", "d.c.", "136", "")] == [
        True, True, True, False, False, False,
    ]  # fmt: skip


@pytest.mark.parametrize("query", PAGE_QUERIES)
def test_a_text_views_answers_from_the_index_are_the_scans(folder, indexed, monkeypatch, query):
    ours = answers(folder, {"q": query})
    assert "days" in indexed
    assert_same(ours, unindexed(monkeypatch, folder, {"q": query}))


@pytest.mark.parametrize(
    "params",
    [
        {"q": "drone kyiv", "type": "drone_attack", "per": "week"},
        {"q": "synth", "from_": "2024-11-26", "to": "2024-12-31", "strikes": "side"},
        {"q": "air", "confidence": "claimed", "strikes": "missiles"},
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()),
)
def test_a_search_with_other_filters_is_answered_the_same(folder, indexed, monkeypatch, params):
    ours = answers(folder, params)
    assert indexed
    assert_same(ours, unindexed(monkeypatch, folder, params))


@pytest.mark.parametrize("query", NOT_INDEXED)
def test_a_search_the_index_cannot_answer_is_scanned(folder, indexed, monkeypatch, query):
    ours = answers(folder, {"q": query})
    assert indexed == []
    assert_same(ours, unindexed(monkeypatch, folder, {"q": query}))


def test_a_part_without_its_index_leaves_the_search_scanned(folder, indexed, monkeypatch):
    part = parts.read_manifest(folder).parts[0].path
    stored.path_of(folder, part, "vocab").unlink()
    params = {"q": "drone"}
    assert_same(answers(folder, params), unindexed(monkeypatch, folder, params))
    assert indexed == []
    assert stored.write_missing(folder) == 1
    assert_same(answers(folder, params), unindexed(monkeypatch, folder, params))
    assert indexed


def test_a_rewritten_part_is_searched_by_its_new_index(folder, indexed, monkeypatch):
    """A changed title: the new word is found, the old one no longer, and the replaced part's
    index is deleted with it."""
    row_id = "2024-11-21-text-1"
    assert answers(folder, {"q": "дронів"})["match"].count == 1
    changed = from_arrow(parts.rows_with(folder, pa.array([row_id])))
    changed[str(Col.TITLE)] = "Атака ракет на Одесу"
    assert parts.upsert(folder, changed, dataset="curated").changed == 1
    assert answers(folder, {"q": "дронів"})["match"].count == 0
    assert answers(folder, {"q": "ракет одес"})["match"].count == 1
    assert_same(answers(folder, {"q": "ракет"}), unindexed(monkeypatch, folder, {"q": "ракет"}))
    assert indexed
    listed = {p.path for p in parts.read_manifest(folder).parts}
    for name in stored.FILES:
        base = folder / stored.FOLDER / stored.FORMAT / name
        assert {p.relative_to(base).as_posix() for p in base.rglob("*.parquet")} == listed


def test_compact_and_append_keep_every_part_indexed(folder):
    parts.append(
        folder, frame(make_row(event_id="2024-12-01-late", date_start="2024-12-01", date_end="2024-12-01"))
    )
    with store.locked(parts.manifest_path(folder)):
        parts.compact(folder)
    assert stored.complete(folder, [p.path for p in parts.read_manifest(folder).parts])


def test_an_index_not_made_from_its_part_is_never_read(folder, indexed, monkeypatch):
    """One part's index copied over another's: the search scans, with the scan's answers."""
    listed = parts.read_manifest(folder).parts
    big, other = sorted(listed, key=lambda p: -p.rows)[:2]
    assert big.rows != other.rows
    for name in stored.FILES:
        shutil.copy(stored.path_of(folder, big.path, name), stored.path_of(folder, other.path, name))
    params = {"q": "drone"}
    assert_same(answers(folder, params), unindexed(monkeypatch, folder, params))
    assert indexed == []


def test_the_files_kept_for_searches_are_bounded_in_bytes_and_read_again_once_pushed_out(folder, indexed):
    """A long session's compacts leave the removed parts' rollups in the per-process cache:
    it is bounded by their bytes (`KEPT_BYTES`), not by a number of files, and a file pushed
    out is read again with the same answers."""
    kept = words._rollup.cache
    kept.clear()
    first = answers(folder, {"q": "drone kyiv"})
    assert "days" in indexed
    assert 0 < kept.currsize == sum(t.nbytes for t in kept.values()) <= kept.maxsize == words.KEPT_BYTES
    kept.clear()
    assert_same(answers(folder, {"q": "drone kyiv"}), first)
    assert kept.currsize > 0  # read again


@pytest.mark.parametrize("query", ["DRONE kyiv", "КИЇВ"])
def test_a_search_on_merged_rollups_reads_each_parts_own(folder, indexed, monkeypatch, query):
    """After `timeline compact` merges the rollups (one file per kind), a text view is still
    answered from the index, which maps rows to each part's own rollup, and equals the scan."""
    from timeline.storage import rollups

    assert rollups.merge(folder, [p.path for p in parts.read_manifest(folder).parts])
    assert all(
        len(files) == 1
        for files in rollups.files(folder, [p.path for p in parts.read_manifest(folder).parts]).values()
    )
    ours = answers(folder, {"q": query})
    assert "days" in indexed
    assert_same(ours, unindexed(monkeypatch, folder, {"q": query}))


@pytest.mark.parametrize(
    "params",
    [
        {"q": "kyiv", "country": "UKR"},
        {"q": "drone", "actor": "Ukrainian Air Force", "lanes": "actor"},
        {"q": "strike", "min_count": "50", "lanes": "country"},
        {"q": "kharkiv air", "country": ["UKR", "RUS"], "min_count": "1"},
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()),
)
def test_a_search_with_filters_the_rollups_lack_scans_only_the_parts_holding_its_words(
    folder, narrowed, monkeypatch, params
):
    """Country, actor and minimum count are not in the rollups: the view is scanned with every
    filter's own test, on the parts holding the words only; the rows, counts, lanes, map and
    table are those of a scan of every part."""
    ours = answers(folder, params)
    assert ours["match"].count > 0
    assert narrowed
    assert_same(ours, unindexed(monkeypatch, folder, params))


@pytest.mark.parametrize("query", ["дронів", "zürich", "ÉLAN café", "kyiv zzzz"])
def test_a_rare_word_draws_its_events_from_the_parts_holding_it(folder, narrowed, monkeypatch, query):
    """A word in a row or two (or none): its events are drawn one by one, the map's points and
    the table's rows read from the one part holding it, not from all of them."""
    ours = answers(folder, {"q": query})
    assert ours["timeline events"] is not None
    assert narrowed and max(narrowed) == min(narrowed) == 1
    assert len(parts.read_manifest(folder).parts) > 1
    expected = unindexed(monkeypatch, folder, {"q": query})
    assert_same(ours, expected)
    if query != "kyiv zzzz":
        assert len(ours["timeline events"]) >= 1 and len(ours["newest"]) >= 1


def test_the_newest_rows_of_a_common_word_are_the_scans(folder, narrowed, monkeypatch):
    """The table's newest rows of a search matching hundreds: read from the newest parts
    holding the words, the same rows in the same order as a scan of every part."""
    engine_params = {"q": "synth"}
    ours = answers(folder, engine_params)
    assert ours["match"].count > 40 and len(ours["newest"]) == 7
    assert_same(ours, unindexed(monkeypatch, folder, engine_params))
