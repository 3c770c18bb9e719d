"""WSGI entry point: ``gunicorn -w 4 -b 127.0.0.1:8000 wsgi:app``.

The app refuses to start on an out-of-date schema (run ``flask --app clinic init-db``).
Reminders run in their own single process (``flask --app clinic scheduler``), never in
the web workers.
"""

from clinic import create_app

app = create_app()
