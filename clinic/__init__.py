"""clinic: outcomes tracker for interventional pain clinics comparing image guidance.

The package root only defines the application factory, and imports Flask lazily
inside it, so that the pure core (``clinic.stats``, ``clinic.scoring``,
``clinic.scheduling.windows``, ``clinic.protocol``) can be imported without
Flask or the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application: config, extensions, blueprints, commands.

    On an out-of-date schema it refuses: under the ``flask`` command as a one-line
    error (no traceback), elsewhere (gunicorn, tests) as :class:`SchemaOutOfDate`.
    """
    import os

    from clinic.app import build_app
    from clinic.exceptions import SchemaOutOfDate

    try:
        return build_app(test_config)
    except SchemaOutOfDate as error:  # and DatabaseUnavailable
        if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
            import sys

            # not Flask's NoAppException: the flask command would go on to say "No such
            # command" after it, for a command that exists
            print(f"Error: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        raise


def warm_up() -> None:
    """Load what the first report, cohort view or sheet would otherwise load on demand
    (pandas, SciPy, statsmodels, ReportLab, openpyxl, pyarrow for the SQLite report):
    called by ``wsgi.py`` so that web workers pay it once at start, while
    ``flask --app clinic …`` commands never do.

    Then it moves every object alive after start-up (modules, classes, the schema, some
    275,000 objects once pandas and SciPy are in) out of the garbage collector's reach
    (``gc.freeze``): they live as long as the worker, and each full collection walked
    them all, stopping the worker's threads for 160-185 ms a few times a minute under
    load (measured with ``scripts/bench_save_load.py``; after the freeze a full
    collection takes under 10 ms). Objects made later are collected as before."""
    import gc

    import pyarrow.compute  # noqa: F401
    import pyarrow.ipc  # noqa: F401

    import clinic.cohort.analysis
    import clinic.cohort.query
    import clinic.reports.builder
    import clinic.reports.render.html
    import clinic.reports.render.pdf
    import clinic.reports.render.xlsx
    import clinic.sheets.call_list
    import clinic.sheets.followup_sheet  # noqa: F401

    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
