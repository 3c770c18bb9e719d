#!/usr/bin/env bash
# Succeeds when PostgreSQL answers on 127.0.0.1:5432; starts the local cluster if needed.
set -u
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
command -v pg_isready >/dev/null || exit 1
ready && exit 0
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
exit 1
