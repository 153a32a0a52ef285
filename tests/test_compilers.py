"""Ibis's SQL compilers imported one at a time (engine/compilers.py): the engine's answers come
from DuckDB's compiler alone, and every other compiler still loads, the same, when asked.
Each case runs in a fresh process, since this one may have imported Ibis's package whole."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

CURATED = ROOT / "data" / "events.parquet"


def _run(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_engine_answers_with_duckdbs_compiler_and_dialect_alone():
    count, dialects, compilers = _run(
        "import sys\nfrom pathlib import Path\n"
        "from timeline.engine import open_engine\nfrom timeline.view import View\n"
        f"print(open_engine(Path({str(CURATED)!r})).match(View().with_filter('type', ('drone_attack',))).count)\n"
        "def loaded(prefix):\n"
        "    return ' '.join(sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix)))\n"
        "print(loaded('sqlglot.dialects.'))\nprint(loaded('ibis.backends.sql.compilers.'))"
    )
    assert int(count) == 9  # the bundled data's drone attacks, as the header says
    assert dialects.split() == ["dialect", "duckdb"]
    assert compilers.split() == ["_compat", "base", "duckdb"]


def test_any_other_compiler_gives_the_sql_it_gave_before():
    query = (
        "import ibis\nt = ibis.table({'a': 'int64', 'b': 'string'}, name='t')\n"
        "expr = t.filter(t.a > 1).group_by('b').agg(n=t.a.sum())\n"
        "for dialect in ('bigquery', 'postgres', 'pyspark', 'duckdb'):\n"
        "    print(repr(ibis.to_sql(expr, dialect=dialect)))\n"
        "try:\n    ibis.to_sql(expr, dialect='nosuch')\nexcept ValueError as error:\n    print(error)\n"
    )
    lean = _run(
        "from timeline.engine import compilers\ncompilers.lean()\n"
        "import ibis.backends.sql.compilers as sc\nprint(sc.PostgresCompiler.__name__, sc.duckdb.__name__)\n"
        + query
    )
    whole = _run(
        "import ibis.backends.sql.compilers as sc\nprint('PostgresCompiler', sc.duckdb.__name__)\n" + query
    )
    assert lean == whole
    assert lean[-1] == "Unknown dialect nosuch"
