"""pyarrow is installed (the SQLite report reads through ADBC), yet pandas keeps the
app's inferred texts in Python strings, as the report was built and measured with."""

import subprocess
import sys

import clinic.stats

CHECK = """
import importlib.util, sys
assert importlib.util.find_spec("pyarrow") is not None, "pyarrow is a requirement"
import {module}
import pandas as pd
assert type(pd.Series(["a", "b"]).array).__name__ == "StringArray", type(pd.Series(["a"]).array)
"""


def _runs(module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHECK.format(module=module)],
                          capture_output=True, text=True, check=False,
                          cwd=str(clinic.stats.__file__).rsplit("/clinic/", 1)[0])


def test_every_module_that_reads_data_into_pandas_sets_python_strings() -> None:
    for module in ("clinic.stats", "clinic.reports.data", "clinic.cohort.query",
                   "clinic.cohort.analysis"):
        result = _runs(module)
        assert result.returncode == 0, (module, result.stderr[-500:])


def test_pandas_alone_would_store_them_in_arrow() -> None:
    """The check above can fail: without the setting, pandas picks Arrow storage."""
    assert _runs("json").returncode != 0
