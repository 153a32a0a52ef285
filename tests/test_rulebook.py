"""pandera without PySpark: a faster `timeline add` and dashboard start, the rules unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _run(script: str) -> str:
    """`script` in a fresh interpreter that finds `rulebook` (test code, beside this file)."""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=TESTS
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow  # a fresh interpreter
def test_the_rules_load_without_pyspark_and_pyspark_still_imports_after():
    pytest.importorskip("pyspark")  # installed by the `spark` extra, as in the test environment
    out = _run(
        "import sys\n"
        "import rulebook\n"
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
        "import rulebook\n"
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


def test_the_dashboard_install_does_not_need_pandera():
    """pandera is the tests' reference, so the package neither holds the reference nor
    lists pandera among what `pip install -e .` installs."""
    import tomllib
    from importlib.util import find_spec

    project = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("pandera")]
    assert [d for d in project["optional-dependencies"]["test"] if d.startswith("pandera")]
    assert find_spec("timeline.domain.rulebook") is None
