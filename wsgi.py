"""WSGI entry point: ``gunicorn -w 4 -b 127.0.0.1:8000 wsgi:app``.

The app refuses to start on an out-of-date schema (run ``flask --app clinic init-db``).
Reminders run in their own single process (``flask --app clinic scheduler``), never in
the web workers.

The app module itself loads pandas, SciPy and ReportLab only when a page needs them (so
that ``flask --app clinic --help`` starts in well under a second); ``warm_up`` loads them
here, once per worker, so that no user waits for the first report, and then freezes the
objects start-up made (``gc.freeze``): the collector no longer walks them, which stopped
the worker's threads for 160-220 ms at each full collection under load.
"""

from clinic import create_app, warm_up

app = create_app()
warm_up()
