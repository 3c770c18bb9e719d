#!/usr/bin/env bash
# Second command of the README (and what .ci/run calls): install the test
# dependencies and run the whole suite, lint included, on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements-dev.txt
scripts/ensure-system-deps.sh

PG_DEFAULT="postgresql+psycopg://postgres@127.0.0.1:5432/test"
if [ -z "${CLINIC_TEST_DATABASE_URL:-}" ]; then
  if scripts/ensure-postgres.sh; then
    export CLINIC_TEST_DATABASE_URL="$PG_DEFAULT"
  elif [ -n "${CI:-}" ]; then
    echo "CI needs PostgreSQL on 127.0.0.1:5432 and it could not be started" >&2
    exit 1
  else
    echo "PostgreSQL not reachable: testing on SQLite only" >&2
  fi
fi
echo "Engines: SQLite${CLINIC_TEST_DATABASE_URL:+ and PostgreSQL ($CLINIC_TEST_DATABASE_URL)}"

.venv/bin/ruff check .
.venv/bin/python scripts/audit-deps.py
set +e
# one pytest worker per core (pytest-xdist); PYTEST_WORKERS=0 runs in this process
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
