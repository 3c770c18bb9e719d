#!/usr/bin/env bash
# First command of the README: install, create the SQLite database with the SYNTHETIC
# demo study, print the demo logins and serve the app on http://127.0.0.1:5000 (PORT=5055
# serves it on another port). Beside the web server it runs, as production does, the one
# reminder scheduler, and a local mail sink on 127.0.0.1:8025 (MAIL_PORT=...) that
# writes every e-mail the demo sends to instance/demo-mail.log instead of delivering it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements-demo.txt
export FLASK_APP=clinic
# The demo is served over plain HTTP on this machine only; in production, behind TLS,
# keep the default (the session cookie travels over HTTPS only).
export CLINIC_COOKIE_SECURE="${CLINIC_COOKIE_SECURE:-false}"
.venv/bin/flask --app clinic init-db
.venv/bin/flask --app clinic seed-demo --patients 200 --seed 1 --if-missing
PORT="${PORT:-5000}"
MAIL_PORT="${MAIL_PORT:-8025}"
export CLINIC_SMTP_HOST=127.0.0.1 CLINIC_SMTP_PORT="$MAIL_PORT"
# the links the e-mails carry (self-report forms) lead to this server, on its port
export CLINIC_PUBLIC_URL="${CLINIC_PUBLIC_URL:-http://127.0.0.1:$PORT}"
mkdir -p instance
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
.venv/bin/python -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT" -c aiosmtpd.handlers.Debugging \
  >> instance/demo-mail.log 2>&1 &
.venv/bin/flask --app clinic scheduler >> instance/demo-scheduler.log 2>&1 &
echo "Reminders: the scheduler runs (log: instance/demo-scheduler.log); the e-mails it"
echo "sends go to a local sink on port $MAIL_PORT and are written to instance/demo-mail.log"
echo "Serving on http://127.0.0.1:$PORT with gunicorn, as in production (Ctrl-C to stop)"
.venv/bin/gunicorn --workers 2 --threads 4 --bind "127.0.0.1:$PORT" \
  --access-logfile - wsgi:app
