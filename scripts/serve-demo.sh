#!/usr/bin/env bash
# First command of the README: install, create the SQLite database with the SYNTHETIC
# demo study, print the demo logins and serve the app on http://127.0.0.1:5000 (PORT=5055
# serves it on another port).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
export FLASK_APP=clinic
# The demo is served over plain HTTP on this machine only; in production, behind TLS,
# keep the default (the session cookie travels over HTTPS only).
export CLINIC_COOKIE_SECURE="${CLINIC_COOKIE_SECURE:-false}"
.venv/bin/flask --app clinic init-db
.venv/bin/flask --app clinic seed-demo --patients 200 --seed 1 --if-missing
PORT="${PORT:-5000}"
echo "Serving on http://127.0.0.1:$PORT with gunicorn, as in production (Ctrl-C to stop)"
exec .venv/bin/gunicorn --workers 2 --threads 4 --bind "127.0.0.1:$PORT" \
  --access-logfile - wsgi:app
