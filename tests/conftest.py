"""Shared fixtures: a valid row factory and small datasets written through the real store."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from timeline.domain.schema import Col
from timeline.domain.validation import Problem, check
from timeline.storage import store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CURATED = ROOT / "data" / "events.parquet"
APP = str(ROOT / "app.py")


SCHEDULED_TOGETHER = {
    "tests/test_parity.py": "spark",
    "tests/test_matching_spark.py": "spark",
    "tests/test_spark_connect.py": "spark",
    "tests/e2e/test_editor.py": "e2e: the editor's server",
    "tests/e2e/test_editor_incidents.py": "e2e: the editor's server",
}
"""Files that share an expensive start-up, run by one xdist worker one after the other: the
Spark files (one worker starts the JVM, once), and the browser files that serve the editor
with sign-in (its session fixture `editor_app` starts an identity provider and a server)."""


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist=loadfile`, but with the groups of `SCHEDULED_TOGETHER` each one unit, and the
    slow units (Spark, then the browser) handed out first so that no worker starts one of
    them while the other has finished (xdist orders units by their number of tests)."""
    from xdist.scheduler import LoadFileScheduling

    class Scheduler(LoadFileScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return SCHEDULED_TOGETHER.get(file, file)

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the first call comes once the whole queue is built
                self.ordered = True
                slow = sorted(
                    self.workqueue, key=lambda s: (s != "spark", not s.startswith(("e2e", "tests/e2e/")))
                )
                self.workqueue = type(self.workqueue)((s, self.workqueue[s]) for s in slow)
            super()._assign_work_unit(node)

    if config.getvalue("dist") != "loadfile":
        return None
    return Scheduler(config, log)


def require_chromium() -> None:
    """Skip (locally) or fail (CI, TIMELINE_REQUIRE_BROWSER=1) when Debian's Chromium is absent."""
    from timeline.export.images import find_chromium

    if find_chromium() is not None:
        return
    message = "Chromium not found: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("TIMELINE_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


SPARK_TEST_CONF = {
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}
"""Spark SQL settings for the tests' tiny data, where Spark's fixed costs are all there is:
adaptive execution re-plans every query in extra jobs (half of the jobs of a view's answers),
and whole-stage code generation compiles Java for each new query plan (more than the query
takes on a few thousand rows). The answers are the same; the product keeps both (on large
data they pay). Measured in docs/performance.md's CI section."""
SPARK_TEST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""The test JVM lives a few minutes: the quick JIT compiler alone and one GC thread cost about
half the JVM's CPU of the optimising compiler's warm-up, which a short run never pays back."""


def require_java() -> None:
    """Skip (locally) or fail (CI, TIMELINE_REQUIRE_SPARK=1) without a Java runtime for Spark."""
    import shutil

    if shutil.which("java"):
        return
    message = "no Java runtime for Spark: apt-get install default-jre-headless"
    if os.environ.get("TIMELINE_REQUIRE_SPARK"):
        pytest.fail(message)
    pytest.skip(message)


SPARK_CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a server a test starts (Streamlit, Spark Connect)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_spark():
    """The process's local Spark backend (`local[1]`: small data, one task thread schedules
    fastest), started with `SPARK_TEST_JVM` and set up with `SPARK_TEST_CONF`. Its JVM also
    serves Spark Connect on a free local port (Spark's own plugin; `spark_connect_url`), so
    that test_spark_connect.py does not start a second JVM (40 CPU s)."""
    from timeline.engine.backends import backend

    require_java()
    port = free_port()
    conf = {
        **SPARK_TEST_CONF,
        "spark.plugins": SPARK_CONNECT_PLUGIN,
        "spark.connect.grpc.binding.address": "127.0.0.1",  # Connect has no authentication
        "spark.connect.grpc.binding.port": port,
    }
    confs = " ".join(f"--conf {key}={value}" for key, value in conf.items())
    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS", f'--driver-java-options "{SPARK_TEST_JVM}" {confs} pyspark-shell'
    )
    spark = backend("spark", "local[1]")
    for key, value in SPARK_TEST_CONF.items():
        spark.session_.conf.set(key, value)
    return spark


def spark_connect_url() -> str | None:
    """The Spark Connect address `local_spark`'s JVM serves, None when it was started without
    the plugin (a `PYSPARK_SUBMIT_ARGS` of one's own)."""
    conf = local_spark().session_.sparkContext.getConf()
    if conf.get("spark.plugins") != SPARK_CONNECT_PLUGIN:
        return None
    return f"sc://127.0.0.1:{conf.get('spark.connect.grpc.binding.port')}"


def make_row(**overrides: object) -> dict[str, object]:
    """A valid event as a maintainer would write it in JSON (lists as lists)."""
    row: dict[str, object] = {
        Col.EVENT_ID: "2024-11-25-ru-drone-attack-test",
        Col.DATE_START: "2024-11-25",
        Col.DATE_END: "2024-11-26",
        Col.DATE_PRECISION: "day",
        Col.DATE_TEXT: "Monday night",
        Col.EVENT_TYPE: "drone_attack",
        Col.TITLE: "Test drone attack",
        Col.SUMMARY: "A test row.",
        Col.ACTORS: ["Russian Armed Forces", "Ukrainian Air Force"],
        Col.COUNTRIES: ["RUS", "UKR"],
        Col.INITIATOR_COUNTRIES: ["RUS"],
        Col.LOCATION: "Kyiv",
        Col.LATITUDE: 50.45,
        Col.LONGITUDE: 30.52,
        Col.COUNT: 188,
        Col.COUNT_UNIT: "drones",
        Col.INTERCEPTED: 76,
        Col.WEAPON: "Shahed-136/131",
        Col.CONFIDENCE: "confirmed",
        Col.SOURCE_OUTLET: "Test Outlet",
        Col.SOURCE_URL: "https://example.org/a",
        Col.SOURCE_PUBLISHED: "2024-11-27",
        Col.OTHER_SOURCES: ["https://example.org/b"],
    }
    row.update({Col(k): v for k, v in overrides.items()})
    return {str(k): v for k, v in row.items()}


AIR_FORCE_TALLY = "af-2024-11-25-1930-shahed-136-131-test"
"""The Air Force's tally of the 188-drone night, as the tallies' importer names its rows."""


def air_force_row(**overrides: object) -> dict[str, object]:
    """A report as the Air Force tallies import it: no coordinates, a whole-country target."""
    row = make_row(
        event_id=AIR_FORCE_TALLY,
        title="Air Force tally: Shahed-136/131, 188 launched, 76 destroyed",
        confidence="claimed",
        location="Ukraine",
        latitude=None,
        longitude=None,
        source_outlet="Ukrainian Air Force",
        source_url="https://t.me/kpszsu/1",
        other_sources=[],
    )
    row.update({str(k): v for k, v in overrides.items()})
    return row


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), dtype=object)


def rejected_reasons(path: Path, key: str = "row") -> dict[str, str]:
    """A rejected-rows file as {row number (or the source's `key` column): reason}."""
    with path.open(encoding="utf-8") as fh:
        return {row[key]: row["reason"] for row in csv.DictReader(fh)}


def checked(*rows: dict[str, object]) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows as `timeline append` sees them: stamped with added_at and dataset, then checked."""
    raw, _ = store.with_append_defaults(frame(*rows))
    return check(raw)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A three-row dataset file written by `store.append`."""
    path = tmp_path / "events.parquet"
    store.append(
        path,
        frame(
            make_row(),
            make_row(
                event_id="2024-11-27-meeting-test",
                event_type="meeting",
                date_start="2024-11-27",
                date_end="2024-11-27",
                count=None,
                count_unit=None,
                intercepted=None,
                actors=["Yoon Suk Yeol"],
            ),
            make_row(
                event_id="2024-10-month-test",
                date_start="2024-10-01",
                date_end="2024-10-31",
                date_precision="month",
                date_text="last month",
                actors=["Ukrainian General Staff"],
            ),
        ),
    )
    return path


@pytest.fixture(scope="session")
def _synthetic_written(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int], Path]:
    """`synth.write_parts(n, seed=seed)`, written once per worker for each (n, seed) asked."""
    from timeline import synth

    written: dict[tuple[int, int], Path] = {}

    def write(n: int, seed: int) -> Path:
        if (n, seed) not in written:
            root = tmp_path_factory.mktemp(f"synth-{n}-{seed}") / "parts"
            synth.write_parts(n, root, seed=seed, say=lambda _: None)
            written[(n, seed)] = root
        return written[(n, seed)]

    return write


@pytest.fixture
def synthetic_parts(_synthetic_written, tmp_path: Path) -> Callable[[int, int], Path]:
    """A test's own copy of `n` synthetic events (`seed`) in a folder of parts, as
    `timeline synth --out` writes them: copying the parts, rollups and word indexes costs
    0.15 CPU s, writing 9,000 events 4.4 (docs/performance.md). A copy is a new path, so a new
    dataset to the engine's caches, and the test may change it."""

    def copy(n: int, seed: int) -> Path:
        root = tmp_path / f"synth-{n}-{seed}"
        shutil.copytree(_synthetic_written(n, seed), root)
        return root

    return copy


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once() -> Iterator[None]:
    """Each new `AppTest` scans every installed package's metadata for Streamlit components
    (0.1 CPU s and 0.4-0.7 s of waiting on threads per page test); the installed packages do
    not change during a run, so the scan is made once per worker and its answer reused."""
    from streamlit.components.v2 import manifest_scanner

    patch = pytest.MonkeyPatch()
    patch.setattr(
        manifest_scanner, "scan_component_manifests", cache(manifest_scanner.scan_component_manifests)
    )
    yield
    patch.undo()


def run_page(at, params: dict[str, str | list[str]]):
    """Run a Streamlit AppTest with these URL parameters; an exception box fails the test."""
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def editor_page() -> None:
    """The editor page alone, for `AppTest.from_function` (which runs this body as a script)."""
    from timeline.ui.editor.page import main

    main()


def run_app(monkeypatch: pytest.MonkeyPatch, data: Path = CURATED, **params: str | list[str]):
    """The dashboard (app.py) on `data`, opened with these URL parameters."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(store.ENV_VAR, str(data))
    return run_page(AppTest.from_file(APP, default_timeout=60), params)


def shown_charts(at) -> list[dict]:
    """The charts' figures as the browser draws them, in page order (the timeline, the counts
    chart, the map): each a custom component that gets its figure unfaded with the selection
    beside it and fades it in the page (`plotly_chart.as_drawn` is that fade in Python)."""
    import json

    from timeline.ui.components.plotly_chart import as_drawn

    sent = [json.loads(component.proto.json) for component in at.get("bidi_component")]
    shown = [as_drawn(data) for data in sent if "figure" in data]  # not the early cards (`early_cards`)
    return shown + [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def parts_read(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """How many parts each call of `module.name` (a narrowing that returns its files, or None)
    left to read: a spy for the tests that check a question read fewer parts."""
    seen: list[int] = []
    real = getattr(module, name)

    def spy(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)
        if found is not None:
            seen.append(len(found.files))
        return found

    monkeypatch.setattr(module, name, spy)
    return seen


def engine_on(path: Path):
    """The DuckDB engine on a dataset file or folder, as the dashboard opens it."""
    from timeline.engine import open_engine

    return open_engine(path, "duckdb")


def view_of(engine=None, **params: str | list[str]):
    """A view from URL parameters (`from_` for `from`), checked like a link; no warnings allowed."""
    from timeline import view

    query = {k.rstrip("_"): [v] if isinstance(v, str) else list(v) for k, v in params.items()}
    parsed, warnings = view.parse(query, engine.known() if engine is not None else None)
    assert warnings == [], warnings
    return parsed


@pytest.fixture(scope="session")
def curated_engine():
    return engine_on(CURATED)


def matched_night(tmp_path: Path) -> Path:
    """The curated file plus the Air Force's tally of the 188-drone night, matched by
    `timeline match` (one incident of two reports)."""
    import shutil

    from typer.testing import CliRunner

    from timeline.cli.main import app
    from timeline.storage import store

    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    store.append(path, frame(air_force_row()), dataset="missile-attacks", create=False)
    assert CliRunner().invoke(app, ["match", str(path)]).exit_code == 0
    return path


def curated_folder(root: Path) -> Path:
    """The curated events as a partitioned dataset (a folder of parts with its manifest), the
    layout `timeline synth --out FOLDER/` and `import --into FOLDER/` write."""
    from timeline.storage import parts

    parts.create_from(root, store.read_schema_table(CURATED))
    return root
