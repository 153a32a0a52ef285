"""pandera without PySpark: a faster `timeline add` and dashboard start, the rules unchanged."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(script: str) -> str:
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow  # a fresh interpreter
def test_the_rules_load_without_pyspark_and_pyspark_still_imports_after():
    pytest.importorskip("pyspark")  # installed by the `spark` extra, as in the test environment
    out = _run(
        "import sys\n"
        "from timeline.domain import rulebook\n"
        "print('pyspark' in sys.modules)\n"
        "import pyspark.sql\n"
        "print(pyspark.sql.SparkSession.__name__)\n"
        "print(sum(1 for _ in rulebook.rules_schema().columns))"
    )
    loaded, session, columns = out.splitlines()[-3:]
    assert loaded == "False"  # the rules did not import PySpark
    assert session == "SparkSession"  # the Spark engine can still import it afterwards
    assert int(columns) > 10  # and the rules are all there


@pytest.mark.slow  # a fresh interpreter
def test_pyspark_already_imported_is_left_alone():
    pytest.importorskip("pyspark")
    out = _run(
        "import sys\nimport pyspark.sql\nmod = sys.modules['pyspark']\n"
        "from timeline.domain import rulebook\n"
        "print(sys.modules['pyspark'] is mod, rulebook.pdr.__name__)"
    )
    assert out.splitlines()[-1] == "True pandera.pandas"


def test_no_write_or_read_path_imports_pandera():
    """pandera is the rules' reference in the tests only: the editor's and the commands'
    writes (`service`), the dashboard's load check (`datasets.checked`) and `replay` check
    rows with `vectorised` (0.3 s less of every start)."""
    out = _run(
        "import sys\n"
        "from timeline import service\n"
        "from timeline.storage import datasets, replay\n"
        "from timeline.domain import validation, vectorised\n"
        "print('pandera' in sys.modules, validation.check is vectorised.check)"
    )
    assert out.splitlines()[-1] == "False True"
