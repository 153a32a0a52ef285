"""pandera's pandas API, imported without PySpark.

pandera imports `pyspark.pandas` and `pyspark.sql` when PySpark is installed (the `spark`
extra), for type annotations of Spark frames that this project never validates: 0.3-1.0 s
of every `timeline add` and of the dashboard's start. PySpark is hidden from pandera for the
length of its import only (an entry of `None` in `sys.modules` makes `import pyspark` raise
ImportError, which pandera catches); the Spark engine imports it normally afterwards.
"""

from __future__ import annotations

import sys
from types import ModuleType

_HIDDEN = ("pyspark",)


def _import_pandera() -> ModuleType:
    """`pandera.pandas`, with PySpark hidden unless something already imported it."""
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the documented import blocker
    try:
        import pandera.pandas
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return pandera.pandas


pdr = _import_pandera()
"""`pandera.pandas`: what validation.py checks the rules with."""
