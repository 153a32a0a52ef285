"""The dashboard's engine through Spark Connect (`TIMELINE_SPARK=sc://...`), for real: a Spark
Connect server from the installed PySpark, on a free local port, answering the same views as
DuckDB over gRPC. The server is Spark's Connect plugin in the JVM of the local session the
other Spark tests use (`conftest.local_spark`), not a second JVM, unless that JVM was started
without it (then `spark-submit` starts one). Needs Java (see test_parity.py)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from test_parity import answers, assert_same
from timeline.engine import Engine, backend, open_source
from timeline.engine.backends import close_spark

from conftest import (
    CURATED,
    SPARK_TEST_CONF,
    SPARK_TEST_JVM,
    free_port,
    require_java,
    spark_connect_url,
    view_of,
)

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory):
    import pyspark  # here, not at the top: collecting it made every worker's pandera load PySpark's pandas too

    require_java()
    served = spark_connect_url()
    if served is not None:
        yield served
        close_spark(served)
        return
    home = Path(pyspark.__file__).parent
    port = free_port()
    log = tmp_path_factory.mktemp("spark-connect") / "server.log"
    command = [
        str(home / "bin" / "spark-submit"), "--master", "local[1]",
        "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=1", "--driver-java-options", SPARK_TEST_JVM,
        *[arg for key, value in SPARK_TEST_CONF.items() for arg in ("--conf", f"{key}={value}")],
        "spark-internal",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT,
                              env={**os.environ, "SPARK_HOME": str(home)})  # fmt: skip
    deadline = time.monotonic() + 120
    while "Spark Connect server started" not in log.read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"Spark Connect did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)  # the log is a small file: a short poll, the deadline stays 120 s
    yield f"sc://127.0.0.1:{port}"
    close_spark(f"sc://127.0.0.1:{port}")
    server.terminate()
    server.wait(timeout=60)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"type": "drone_attack", "from_": "2024-11-01", "to": "2024-11-30"},
        {"country": "KOR", "q": "yoon", "lanes": "actor"},
        {"type": "visit", "country": "UKR"},
    ],
)
def test_views_through_spark_connect_match_duckdb(connect_url: str, params):
    source = open_source(CURATED)
    remote = Engine(source, backend("spark", connect_url))
    local = Engine(source, backend("duckdb"))
    v = view_of(local, **params)
    assert_same(answers(local, v), answers(remote, v), str(params))
    assert type(remote.backend.session_).__module__.startswith("pyspark.sql.connect")
