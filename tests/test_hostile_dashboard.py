"""Hostile links and hostile dataset files in the dashboard (AppTest): every case renders a
page with a warning naming the problem, never an exception box, and leaves the dataset file
byte-identical. Event text stays text."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from timeline.domain.schema import ARROW_SCHEMA, Col
from timeline.storage import store

from conftest import CURATED, frame, make_row, run_app
from mdlinks import inline_tokens, links_in, markdown_of, shown_text


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning).replace("\\", "")


LINKS: list[tuple[str, dict, str]] = [
    ("superscript digit", {"min_count": "²"}, "min_count='²'"),
    ("arabic digit", {"min_count": "٣"}, "min_count='٣'"),
    ("huge count", {"min_count": "9" * 30}, "min_count="),
    ("exponent", {"min_count": "1e3"}, "min_count='1e3'"),
    ("negative", {"min_count": "-1"}, "min_count='-1'"),
    ("impossible date", {"from": "2024-02-30"}, "from='2024-02-30'"),
    ("date with time", {"to": "2024-11-01T00:00"}, "to='2024-11-01T00:00'"),
    ("reversed range", {"from": "2024-12-01", "to": "2024-11-01"}, "is after"),
    ("repeated from", {"from": ["2024-11-01", "2024-11-02"]}, "given 2 times"),
    ("unknown type", {"type": "<b>drone</b>"}, "type='<b>drone</b>'"),
    ("999 bad types", {"type": ["bogus"] * 998}, "(998 times)"),  # Streamlit drops > 1,000 parameters
    ("html country", {"country": "<B>XX</B>"}, "country='<B>XX</B>'"),
    ("markdown actor", {"actor": "[x](javascript:alert(1))"}, "actor='[x](javascript:alert(1))'"),
    ("unknown confidence", {"confidence": "certain"}, "confidence='certain'"),
    ("unknown dataset", {"dataset": "<script>"}, "dataset='<script>'"),
    ("bad lanes", {"lanes": "<img src=x onerror=alert(1)>"}, "lanes="),
    ("bad per", {"per": "hour"}, "per='hour'"),
    ("bad strikes", {"strikes": "all; drop table"}, "strikes="),
    ("unknown event", {"event": "../../etc/passwd"}, "event='../../etc/passwd'"),
    ("script event", {"event": "<script>alert(1)</script>"}, "event="),
    ("overlong search", {"q": "x" * 5000}, "q is longer than 200"),
    ("many values", {"country": ",".join(["UKR"] * 5) + "," + ",".join(f"A{i:02d}" for i in range(60))}, "is not an ISO"),
]  # fmt: skip


@pytest.fixture(scope="module")
def curated_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the curated file for every hostile link: each case checks it is unchanged
    after its page, and the cases share the engine's tables of it (a new file per case was
    a new dataset for the engine to load, 0.2 CPU s a case)."""
    data = tmp_path_factory.mktemp("hostile-links") / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    return data


@pytest.mark.parametrize(("case", "params", "named"), LINKS, ids=[c[0] for c in LINKS])
def test_hostile_links_warn_and_render(
    monkeypatch: pytest.MonkeyPatch, curated_copy: Path, case, params, named
):
    data = curated_copy
    at = run_app(
        monkeypatch,
        data,
        **({**params, "q": params.get("q", "Kyiv")} if case != "overlong search" else params),
    )
    assert named in warnings(at)
    assert any(" events** · data as of" in m.value for m in at.markdown)  # the page rendered
    assert data.read_bytes() == CURATED.read_bytes()


INERT: list[tuple[str, dict[str, str]]] = [
    ("script in search", {"q": "<script>alert(1)</script>"}),
    ("markdown in search", {"q": "[x](https://evil.example)"}),
    ("control character in search", {"q": "Kyiv\x00\x1b[31m"}),
    ("right-to-left override", {"q": "\u202eKyiv"}),
]


@pytest.mark.parametrize(("case", "params"), INERT, ids=[c[0] for c in INERT])
def test_hostile_text_in_a_link_is_shown_as_text(monkeypatch: pytest.MonkeyPatch, case, params):
    at = run_app(monkeypatch, CURATED, **params)
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)
    assert "](https://evil" not in " ".join(m.value for m in at.markdown)


def hostile_file(tmp_path: Path, **overrides: object) -> Path:
    """A dataset file written directly (not through `timeline append`): curated rows plus one
    row with `overrides`, whatever they are."""
    good = tmp_path / "good.parquet"
    store.append(good, frame(make_row(event_id="hostile-row")), create=True)
    table = pq.read_table(good)
    for name, value in overrides.items():
        column = table.schema.get_field_index(name)
        table = table.set_column(column, name, pa.array([value], ARROW_SCHEMA.field(name).type))
    curated = pq.read_table(CURATED)
    path = tmp_path / "events.parquet"
    pq.write_table(pa.concat_tables([curated, table.cast(curated.schema)]), path)
    return path


DATASETS: list[tuple[str, dict[str, object], str]] = [
    ("unknown event type", {"event_type": "<b>war</b>"}, "not a known event type"),
    ("date in year 9999", {"date_start": __import__("datetime").date(9999, 12, 31),
                           "date_end": __import__("datetime").date(9999, 12, 31)}, "outside the plausible range"),
    ("NaN coordinates", {"latitude": math.nan, "longitude": math.nan}, "NaN"),
    ("NUL in a title", {"title": "Drones\x00 over Kyiv"}, "control character"),
    ("javascript link", {"source_url": "javascript:alert(1)"}, "not an http(s) URL"),
    ("data: link among sources", {"other_sources": ["data:text/html,<script>alert(1)</script>"]}, "not an http(s) URL"),
    ("markdown dataset label", {"dataset": "[pwn-dataset](https://evil.example/ds)"}, "not a slug"),
    ("a 100 kB summary", {"summary": "x" * 100_000}, "longer than"),
    ("a strike without a side", {"initiator_countries": []}, "launched it"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "overrides", "named"), DATASETS, ids=[c[0] for c in DATASETS])
def test_a_hostile_file_shows_its_good_rows_and_names_the_bad(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case, overrides, named
):
    path = hostile_file(tmp_path, **overrides)
    before = path.read_bytes()
    at = run_app(monkeypatch, path, event="hostile-row")
    assert "break the rules and are not shown" in warnings(at) and named in warnings(at)
    counter = next(m.value for m in at.markdown if " events** · data as of" in m.value)
    rows = pq.read_metadata(CURATED).num_rows
    assert counter.startswith(f"**{rows} of {rows} events**")  # the curated rows, not the bad one
    assert path.read_bytes() == before


def test_a_duplicate_id_opened_by_its_link_is_no_exception(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    curated = pq.read_table(CURATED)
    path = tmp_path / "events.parquet"
    pq.write_table(pa.concat_tables([curated, curated.slice(0, 1)]), path)
    duplicated = curated.column(str(Col.EVENT_ID))[0].as_py()
    at = run_app(monkeypatch, path, event=duplicated)
    assert "duplicate event_id" in warnings(at)


# --- the app's own messages never make a link of data or URL text (issue #22) ----------------

EVIL_DATASET = "[pwn-dataset](https://evil.example/ds)"
EVIL_ACTOR = '<a href="https://evil.example/phish">Ministry</a>'
EVIL_OUTLET = "[phish-outlet](https://evil.example/outlet) **bold** :red[red]"


def test_a_link_in_a_rejected_value_is_shown_as_text_in_the_rules_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    at = run_app(monkeypatch, hostile_file(tmp_path, dataset=EVIL_DATASET))
    (warning,) = [w.value for w in at.warning if "break the rules" in w.value]
    assert EVIL_DATASET in shown_text(warning)
    assert links_in(warning) == []
    assert [t for t in markdown_of(at) if links_in(t)] == []


def test_a_link_in_a_url_parameter_is_shown_as_text_in_the_ignored_warning(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, actor=EVIL_ACTOR)
    (warning,) = [w.value for w in at.warning if "Part of the link was ignored" in w.value]
    assert EVIL_ACTOR in shown_text(warning)
    assert links_in(warning) == []
    assert [t for t in markdown_of(at) if links_in(t)] == []


def test_an_outlet_with_markdown_is_literal_in_the_export_footer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    data = tmp_path / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    store.append(data, frame(make_row(event_id="hostile-outlet", title="Phishing outlet test",
                                      source_outlet=EVIL_OUTLET)))  # fmt: skip
    at = run_app(monkeypatch, data, q="Phishing")
    (footer,) = [c.value for c in at.caption if c.value.startswith("Footer:")]
    assert f"Sources: {EVIL_OUTLET}" in shown_text(footer)
    assert links_in(footer) == []
    assert "strong_open" not in inline_tokens(footer) and ":red[" not in footer  # neither bold nor red
    assert [t for t in markdown_of(at) if links_in(t)] == []


def test_a_missing_dataset_file_is_a_one_line_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    missing = tmp_path / "nowhere" / "events.parquet"
    at = run_app(monkeypatch, missing)  # run_app fails on an exception box
    (error,) = [e.value for e in at.error]
    text = shown_text(error)
    assert f"{missing}: no such dataset file" in text
    assert f"Set {store.ENV_VAR}" in text and f"--data {missing} --create" in text
    assert "\n" not in error and "Traceback" not in error
    assert not missing.exists() and not missing.parent.exists()  # nothing was created


def test_an_unreadable_dataset_file_says_how_to_find_out_more(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    bad = tmp_path / "events.parquet"
    bad.write_bytes(b"PAR1 not parquet")
    at = run_app(monkeypatch, bad)
    (error,) = [shown_text(e.value) for e in at.error]
    assert f"{bad}: not a readable Parquet file" in error and error.endswith(f"Run: timeline validate {bad}")
    assert bad.read_bytes() == b"PAR1 not parquet"
