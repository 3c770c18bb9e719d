"""Benchmark: follow-up saves under load, on PostgreSQL, against two anchors.

    .venv/bin/python scripts/bench_save_load.py [--patients 20000] [--seconds 10]
        [--rounds 3] [--connections 16] [--keep]

Needs PostgreSQL (CLINIC_BENCH_ADMIN_URL, default the local server) and ``wrk``
(``apt-get install wrk``). It bulk-seeds a SYNTHETIC study of ``--patients`` into the
database ``bench_save`` (kept with --keep, reused when it holds that many), serves the
app with gunicorn as in production (2 workers x 4 threads, each built as ``wsgi.py``
builds it, ``warm_up`` included; ``--unfrozen`` undoes its ``gc.freeze``, and each worker's
full collections and their longest pause are printed at the end) and drives it with wrk at
16 connections, each request saving a different pending follow-up (VAS + ODI):

* ``save``: the nurse's form POST through the whole app (session login, role check,
  form parsing, validation, scoring, audited writes, reminders, one commit);
* ``anchor``: the same writes (the same rows: assessment, scores, ODI sections, audit
  events, reminder and self-report cancellations) as one hand-written SQL transaction,
  with no login, no form and no ORM;
* ``bare``: a bare Flask route returning "hello" under the same gunicorn.

Both routes are first run 2 s each, unmeasured (warm: statements prepared on every pooled
connection). The save and anchor runs alternate (A, B, A, B...) so that both see the
same noise of a shared machine; the ratio save/anchor is printed per round with its min and median.
Goal (issue 15): save >= 50 % of the anchor's throughput, p99 <= 50 ms. The two are
tied: with each connection waiting for its answer, a p99 of 50 ms at 16 connections
needs more than 320 saves a second, so the line "bound" prints what the anchor itself
reached beside it.

With ``--pace MS`` each route also runs paced, as people use it: each of the 16
connections pauses MS milliseconds after each answer before its next request (wrk's
``delay``), so the server is asked for less than it can do and the latency printed is
the save's own, with little queueing (alternated as above, one run each per round).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE = "bench_save"
ADMIN_URL = os.environ.get("CLINIC_BENCH_ADMIN_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PORT = 5071
NURSE = "nurse.north@demo.invalid"
SECRET = "bench-save-load"
ODI_ANSWERS = (1, 2, 3, 0, 1, 2, 3, 0, 1, 2)  # ten sections: raw 15, ODI 30 %
Pending = tuple[int, int, date]  # assessment id, version, the visit's day
WARM_UP_SAVES = 3000  # at most, for the 2 s of each route's warm-up (the anchor: ~700 a second)

WRK_SCRIPT = r"""
local queue = {}
local next_index = 1
local threads = {}
local counter = 0
function setup(thread)
  thread:set("slot", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local file, every, cookie = args[1], tonumber(args[2]), args[3]
  local i = 0
  for line in io.lines(file) do
    if i % every == slot then table.insert(queue, line) end
    i = i + 1
  end
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  if cookie ~= "" then wrk.headers["Cookie"] = cookie end
end
function request()
  local line = queue[next_index]
  next_index = next_index + 1
  if line == nil then return wrk.format("GET", "/bench/exhausted") end
  local path, body = line:match("^(%S+) (.*)$")
  return wrk.format("POST", path, nil, body)
end
local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and statuses[status] <= 2 then
    io.stderr:write(status, " ", body:sub(1, 300), "\n")
  end
end
"""


# --- the app gunicorn serves: clinic plus the two anchor routes ----------------------

def make_app() -> Any:
    """gunicorn --chdir scripts 'bench_save_load:make_app()': built as ``wsgi.py`` builds
    the app (``warm_up`` included: pandas and SciPy loaded, start-up objects frozen), with
    the collector's pauses recorded."""
    import gc

    from flask import Flask

    from clinic import create_app, warm_up

    app: Flask = create_app({"DATABASE_URL": os.environ["BENCH_SAVE_URL"],
                             "WTF_CSRF_ENABLED": False, "SECRET_KEY": SECRET})
    _add_anchor_routes(app)
    warm_up()
    if os.environ.get("BENCH_UNFROZEN"):
        gc.unfreeze()  # --unfrozen: as before warm_up froze them
    _record_collector_pauses(Path(os.environ["BENCH_GC_DIR"]))
    return app


def _record_collector_pauses(folder: Path) -> None:
    """Each worker writes, as it exits, its full collections and their longest pause."""
    import atexit
    import gc

    began, pauses = [0.0], []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        elif info["generation"] == 2:
            pauses.append(time.perf_counter() - began[0])

    gc.callbacks.append(timed)
    atexit.register(lambda: (folder / str(os.getpid())).write_text(
        f"{len(pauses)} {max(pauses, default=0.0) * 1000:.1f}"))


def collector_pauses(folder: Path) -> str:
    workers = [f.read_text().split() for f in folder.iterdir()]
    return ", ".join(f"{n} full collections, longest {ms} ms" for n, ms in workers)


def _add_anchor_routes(app: Any) -> None:
    from flask import request

    from clinic.auth.roles import public
    from clinic.db import get_engine

    @app.get("/bench/hello")
    @public
    def bench_hello() -> str:
        return "hello"

    @app.post("/bench/anchor/<int:assessment_id>")
    @public
    def bench_anchor(assessment_id: int) -> tuple[str, int]:
        form = request.form
        with get_engine(app).begin() as connection:
            done = anchor_save(connection.connection.driver_connection, assessment_id,
                               int(form["version"]), int(form["vas"]),
                               [int(form[f"odi.{k}"]) for k in _odi_codes()],
                               date.fromisoformat(form["visit_on"]))
        return ("saved", 302) if done else ("conflict", 409)


def _odi_codes() -> list[str]:
    from clinic.scoring.disability import ODI_SECTIONS

    return [s.code for s in ODI_SECTIONS]


def anchor_save(pg: Any, assessment_id: int, version: int, vas: int,
                odi: list[int], visit_on: date) -> bool:
    """The save's writes as hand-written SQL on the psycopg connection (the caller
    commits): the assessment completed and its version raised once, two scores, ten
    sections, the audit rows in one insert, the pending reminders cancelled."""
    now, today, mode = datetime.now(UTC), visit_on, "phone"
    user_id = int(os.environ["BENCH_NURSE_ID"])
    cursor = pg.cursor()
    cursor.execute(
        "UPDATE assessment SET version = version + 1, state = 'completed', "
        "completed_at = %s, visit_on = %s, completed_by_id = %s, mode = %s "
        "WHERE id = %s AND version = %s AND state = 'pending' RETURNING patient_id",
        (now, today, user_id, mode, assessment_id, version))
    if cursor.fetchone() is None:
        return False
    raw = sum(odi)
    cursor.execute(
        "INSERT INTO score (assessment_id, instrument, value, raw_sum, answered, mode, "
        "collected_by_id, collected_at) VALUES (%s, 'vas', %s, NULL, NULL, %s, %s, %s), "
        "(%s, 'odi', %s, %s, 10, %s, %s, %s) RETURNING id",
        (assessment_id, float(vas), mode, user_id, now,
         assessment_id, raw * 2.0, raw, mode, user_id, now))
    vas_id, odi_id = (row[0] for row in cursor.fetchall())
    values = ", ".join(["(%s, %s, %s)"] * len(odi))
    cursor.execute(f"INSERT INTO score_section (score_id, section, value) VALUES {values} "
                   "RETURNING id", [v for i, a in enumerate(odi) for v in (odi_id, i + 1, a)])
    section_ids = [row[0] for row in cursor.fetchall()]
    audit = [("assessment", assessment_id, "update", field, None, new, None, None)
             for field, new in (("state", "completed"), ("completed_at", now.isoformat()),
                                ("completed_by_id", str(user_id)), ("mode", mode),
                                ("visit_on", today.isoformat()))]
    audit += [("score", score_id, "create", None, None, json.dumps(
        {"answered": answered, "assessment_id": assessment_id, "collected_at": now.isoformat(),
         "collected_by_id": user_id, "id": score_id, "instrument": code, "mode": mode,
         "not_computable_reason": None, "raw_sum": raw_sum, "value": value},
        sort_keys=True), "assessment", assessment_id)
        for score_id, code, value, raw_sum, answered in (
            (vas_id, "vas", float(vas), None, None), (odi_id, "odi", raw * 2.0, raw, 10))]
    audit += [("score_section", section_id, "create", None, None, json.dumps(
        {"id": section_id, "score_id": odi_id, "section": i + 1, "value": a},
        sort_keys=True), "score", odi_id)
              for i, (section_id, a) in enumerate(zip(section_ids, odi, strict=True))]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(audit))
    cursor.execute(
        "INSERT INTO audit_event (occurred_at, user_id, entity, entity_id, action, field, "
        f"old_value, new_value, reason, parent_entity, parent_id) VALUES {rows}",
        [v for entity, eid, action, field, old, new, parent, pid in audit
         for v in (now, user_id, entity, eid, action, field, old, new, None, parent, pid)])
    cursor.execute("UPDATE reminder SET state = 'cancelled', note = 'follow-up completed' "
                   "WHERE assessment_id = %s AND state = 'pending'", (assessment_id,))
    cursor.execute("UPDATE self_report_message SET state = 'cancelled', "
                   "note = 'follow-up completed' WHERE assessment_id = %s "
                   "AND state = 'pending'", (assessment_id,))
    return True


# --- preparing the database -------------------------------------------------------------

def _database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def prepare(patients: int, keep: bool) -> str:
    from sqlalchemy import create_engine, func, select, text
    from sqlmodel import Session

    from clinic import create_app
    from clinic.db import get_engine, upgrade_to_head
    from clinic.demo.bulk import bulk_seed
    from clinic.models import Patient
    from clinic.queries.rules import run_rules

    url = _database_url(DATABASE)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": DATABASE}).first() is not None
    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False, "SECRET_KEY": SECRET})
    if exists and keep:
        with Session(get_engine(app)) as session:
            have = session.execute(select(func.count(Patient.id))).scalar_one()
        if have == patients:
            print(f"reusing {DATABASE}: {have} patients")
            return url
        get_engine(app).dispose()  # its pooled connection would block the DROP
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    upgrade_to_head(app)
    start = time.perf_counter()
    with Session(get_engine(app)) as session:
        bulk_seed(session, patients)
        session.commit()
        raised = run_rules(session)  # as the nightly job would: the saves find none
        session.commit()
    with get_engine(app).connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    print(f"seeded {patients} patients in {time.perf_counter() - start:.0f} s "
          f"({raised} automatic data queries raised)")
    return url


def pending_saves(url: str) -> tuple[int, list[Pending], list[Pending]]:
    """The nurse's id; (assessment id, version, visit day) of the pending VAS + ODI
    follow-ups at her site whose window has opened (for the app's saves, which check her
    site) and at the other sites (for the anchor, which checks nothing).

    The visit day is today, or the window's last day for a window already closed (a
    paper form entered afterwards): an ordinary save, inside its window, which raises no
    automatic data query (the VAS saved, 5, is less than 6 points from any other)."""
    from sqlalchemy import select
    from sqlmodel import Session

    from clinic import create_app
    from clinic.db import get_engine
    from clinic.followup.service import measures_at
    from clinic.models import Assessment, Patient, Site, User
    from clinic.web.filters import clinic_today

    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False, "SECRET_KEY": SECRET})
    with app.app_context():
        today = clinic_today()
    with Session(get_engine(app)) as session:
        north = session.scalars(select(Site.id).where(Site.code == "NORTH")).one()
        nurse = session.scalars(select(User.id).where(User.email == NURSE)).one()
        rows = session.execute(select(Assessment, Patient.site_id).join(Patient).where(
            Assessment.state == "pending").order_by(Assessment.id)).all()
        wanted: dict[int, bool] = {}
        mine, others = [], []
        for a, site in rows:
            if a.timepoint_id not in wanted:
                wanted[a.timepoint_id] = measures_at(session, a) == ["vas", "odi"]
            if not wanted[a.timepoint_id]:
                continue
            if site != north:
                others.append((a.id, a.version, min(today, a.window_close)))
            elif a.window_open <= today:
                mine.append((a.id, a.version, min(today, a.window_close)))
    return nurse, mine, others  # type: ignore[return-value]


# --- serving and loading ---------------------------------------------------------------

def serve(url: str, nurse_id: int, gc_dir: Path, unfrozen: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BENCH_SAVE_URL": url, "CLINIC_DATABASE_URL": url,
           "BENCH_NURSE_ID": str(nurse_id), "BENCH_GC_DIR": str(gc_dir)}
    if unfrozen:
        env["BENCH_UNFROZEN"] = "1"
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{PORT}", "--chdir", str(ROOT / "scripts"),
         "--log-level", "warning", "bench_save_load:make_app()"],
        env=env, start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/hello", timeout=1)
            return process
        except urllib.error.HTTPError as error:
            raise SystemExit(f"the bench route answered {error.code}") from error
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def login_cookie() -> str:
    """The nurse's session cookie, from the login's own response (it is marked Secure,
    so a cookie jar would not send it back over plain http)."""
    from clinic.demo.staff import DEMO_PASSWORD

    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    body = urllib.parse.urlencode({"email": NURSE, "password": DEMO_PASSWORD})
    connection.request("POST", "/login", body,
                       {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    cookie = response.getheader("Set-Cookie") or ""
    if response.status != 302 or not cookie.startswith("session="):
        raise SystemExit(f"the demo nurse could not log in ({response.status})")
    return cookie.split(";", 1)[0]


def _body(version: int, visit_on: date) -> str:
    form = {"mode": "phone", "vas": "5", "version": str(version),
            "visit_on": visit_on.isoformat()}
    form |= {f"odi.{code}": str(a) for code, a in zip(_odi_codes(), ODI_ANSWERS, strict=True)}
    return urllib.parse.urlencode(form)


# a paced run: wrk calls delay() before each request of a connection (milliseconds)
PACED = "\nlocal pause = tonumber(os.getenv('BENCH_PACE_MS'))\nfunction delay() return pause end\n"


def run_wrk(lines: list[str] | None, path: str, seconds: int, connections: int,
            cookie: str, workdir: Path, pace_ms: int = 0) -> dict[str, float]:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if lines is not None:
        (workdir / "queue.txt").write_text("\n".join(lines) + "\n")
        (workdir / "load.lua").write_text(WRK_SCRIPT + (PACED if pace_ms else ""))
        command += ["-s", str(workdir / "load.lua"), f"http://127.0.0.1:{PORT}", "--",
                    str(workdir / "queue.txt"), "2", cookie]
    else:
        command.append(f"http://127.0.0.1:{PORT}{path}")
    done = subprocess.run(command, capture_output=True, text=True, check=True,
                          env={**os.environ, "BENCH_PACE_MS": str(pace_ms)})
    return _parse_wrk(done.stdout + done.stderr)


def completed(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text(
            "SELECT count(*) FROM assessment WHERE state = 'completed'")).scalar_one()
    engine.dispose()
    return int(count)


def _check_saved(name: str, result: dict[str, float], saved: int, seconds: int,
                 connections: int) -> None:
    """Every answered request saved a follow-up (none was a redirect to the login). wrk's
    rate is per its own measured duration, and the requests in flight when it stops are
    saved but not counted: a few percent apart, where a redirect would be all of them."""
    answered = result["rate"] * seconds
    if abs(saved - answered) > 0.05 * answered + connections:
        raise SystemExit(f"{name}: {answered:.0f} requests answered but {saved} follow-ups "
                         "saved")


def _parse_wrk(output: str) -> dict[str, float]:
    def ms(text: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if bad or errors:
        raise SystemExit("wrk saw failed requests (a 404 of /bench/exhausted: the run used "
                         f"up its pending follow-ups; seed more patients):\n{output}")
    return {"rate": rate, "p50": p50, "p99": p99}


def _take(queue: list[Pending], n: int, path: str) -> list[str]:
    taken = [queue.pop() for _ in range(min(n, len(queue)))]
    return [f"{path.format(id=i)} {_body(v, day)}" for i, v, day in taken]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep and reuse the database")
    parser.add_argument("--pace", type=int, default=0, metavar="MS",
                        help="also run each route paced: MS ms between a connection's requests")
    parser.add_argument("--unfrozen", action="store_true",
                        help="undo warm_up's gc.freeze in the workers (to see what it changes)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    url = prepare(args.patients, args.keep)
    nurse_id, mine, others = pending_saves(url)
    queues = {"save": mine, "anchor": others}
    print(f"pending VAS + ODI follow-ups: {len(mine)} for the app, {len(others)} for the anchor")
    paced = _set_aside(queues, args) if args.pace else {}
    workdir = Path(tempfile.mkdtemp())
    (workdir / "gc").mkdir()
    server = serve(url, nurse_id, workdir / "gc", args.unfrozen)
    try:
        cookie = login_cookie()
        run_wrk(None, "/bench/hello", 2, args.connections, "", workdir)  # warm up
        for name, path in (("anchor", "/bench/anchor/{id}"), ("save", "/followup/{id}")):
            # and both routes, unmeasured: each connection of each worker's pool has its
            # statements prepared (psycopg prepares a statement on its fifth run), as in
            # a server that has been up for a while; without it the first round's save
            # ran some 10 % slower than the others
            run_wrk(_take(queues[name], WARM_UP_SAVES, path), "", 2, args.connections,
                    cookie, workdir)
        results: dict[str, list[dict[str, float]]] = {"bare": [], "anchor": [], "save": []}
        for _round in range(args.rounds):
            for name, path in (("anchor", "/bench/anchor/{id}"), ("save", "/followup/{id}")):
                lines = _take(queues[name], len(queues[name]) // (args.rounds - _round), path)
                before = completed(url)
                result = run_wrk(lines, "", args.seconds, args.connections, cookie, workdir)
                _check_saved(name, result, completed(url) - before, args.seconds,
                             args.connections)
                results[name].append(result)
            results["bare"].append(run_wrk(None, "/bench/hello", args.seconds,
                                           args.connections, "", workdir))
        _report(results, args)
        if args.pace:
            _report_paced(_run_paced(paced, args, cookie, workdir), args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"  collector, per worker{' (unfrozen)' if args.unfrozen else ''}: "
          f"{collector_pauses(workdir / 'gc')}")


def _set_aside(queues: dict[str, list[Pending]], args: Any) -> dict[str, list[list[Pending]]]:
    """The follow-ups of the paced runs, taken before the others: as many as the paced
    connections can ask for in a run (each at most one request per pause), and a fifth
    more."""
    most = int(args.connections * 1000 / args.pace * args.seconds * 1.2) + args.connections
    return {name: [[queue.pop() for _ in range(min(most, len(queue)))]
                   for _round in range(args.rounds)] for name, queue in queues.items()}


def _run_paced(paced: dict[str, list[list[Pending]]], args: Any, cookie: str,
               workdir: Path) -> dict[str, list[dict[str, float]]]:
    results: dict[str, list[dict[str, float]]] = {"anchor": [], "save": []}
    for round_ in range(args.rounds):
        for name, path in (("anchor", "/bench/anchor/{id}"), ("save", "/followup/{id}")):
            lines = _take(paced[name][round_], len(paced[name][round_]), path)
            results[name].append(run_wrk(lines, "", args.seconds, args.connections, cookie,
                                         workdir, pace_ms=args.pace))
    return results


def _report_paced(results: dict[str, list[dict[str, float]]], args: Any) -> None:
    print(f"\npaced: {args.connections} connections, each pausing {args.pace} ms between "
          "an answer and its next request")
    for name, runs in results.items():
        print(f"  {name:<7} req/s " + " ".join(f"{r['rate']:7.0f}" for r in runs)
              + "   p50 ms " + " ".join(f"{r['p50']:6.1f}" for r in runs)
              + "   p99 ms " + " ".join(f"{r['p99']:6.1f}" for r in runs))
    print(f"  save p99: median {statistics.median(r['p99'] for r in results['save']):.1f} ms,"
          f" max {max(r['p99'] for r in results['save']):.1f} ms (goal <= 50 ms)")


def _report(results: dict[str, list[dict[str, float]]], args: Any) -> None:
    print(f"\n{args.patients} patients, PostgreSQL, gunicorn 2 workers x 4 threads, "
          f"wrk {args.connections} connections, {args.seconds} s per run")
    for name, runs in results.items():
        rates = [r["rate"] for r in runs]
        p99s = [r["p99"] for r in runs]
        print(f"  {name:<7} req/s " + " ".join(f"{r:7.0f}" for r in rates)
              + f"   p50 ms {statistics.median(r['p50'] for r in runs):6.1f}"
              + "   p99 ms " + " ".join(f"{p:6.1f}" for p in p99s))
    pairs = list(zip(results["save"], results["anchor"], results["bare"], strict=False))
    vs_anchor = [s["rate"] / a["rate"] for s, a, _b in pairs]
    vs_bare = [s["rate"] / b["rate"] for s, _a, b in pairs]
    print(f"  save / anchor: min {min(vs_anchor):.0%}, median "
          f"{statistics.median(vs_anchor):.0%} (goal >= 50 %)")
    print(f"  save / bare:   min {min(vs_bare):.0%}, median {statistics.median(vs_bare):.0%}")
    print(f"  save p99: max {max(r['p99'] for r in results['save']):.1f} ms (goal <= 50 ms)")
    anchor = results["anchor"]
    print(f"  bound: each of the {args.connections} connections waits for its answer, so "
          "throughput = connections / mean latency (Little's law); a p99 <= 50 ms needs a "
          f"mean below 50 ms, that is more than {args.connections / 0.050:.0f} req/s. The "
          f"anchor ran at {min(r['rate'] for r in anchor):.0f}-"
          f"{max(r['rate'] for r in anchor):.0f} req/s, p99 "
          f"{min(r['p99'] for r in anchor):.1f}-{max(r['p99'] for r in anchor):.1f} ms")


if __name__ == "__main__":
    main()
