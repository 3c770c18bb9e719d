"""Reports built in the background, with their progress and their file.

A large registry's report takes longer than a web request should wait (about 45 s at
200,000 patients, where a worker's timeout is typically 30 s). The web starts a job
instead: a thread of the worker that received the request builds the report and
writes what it is doing; the browser shows a page that reloads itself until the file
is there, then offers it for download.

A job is two files in ``REPORT_JOBS_DIR`` (default: ``report_jobs`` in the instance
folder), shared by every web worker of the host, so that whichever worker answers the
progress page sees the job: ``<token>.json`` (its state, replaced atomically on each
change) and ``<token>.out`` (the report, written once, atomically). The token is random
(192 bits) and a job is shown only to the user who started it. The report files hold
what the downloads hold: de-identified tables and data set, no identity data.

One report is built at a time per worker process (the others wait in ``queued``): two
large reports at once would double the memory. A job whose worker died (restarted,
killed) is shown as interrupted. Jobs and files older than a day are removed by the
scheduler's daily job (:func:`remove_old_jobs`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

log = logging.getLogger("clinic.reports")

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
KEEP_SECONDS = 24 * 3600
ONE_AT_A_TIME = threading.Semaphore(1)
STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    token: str
    user_id: int
    study: str
    fmt: str
    query: str  # the report filters, as the report page's query string
    filters_text: str  # the same, in words
    state: str  # one of STATES
    step: str  # what the job is doing now, in words
    started_at: float  # seconds since the epoch
    updated_at: float
    pid: int  # the worker process building it
    finished_at: float | None = None
    file_name: str | None = None
    media_type: str | None = None
    error: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def interrupted(self) -> bool:
        """An open job whose worker process is gone (this host's process table)."""
        return self.is_open and not _alive(self.pid)

    @property
    def elapsed(self) -> float:
        return (self.finished_at or time.time()) - self.started_at


def jobs_dir(config: dict[str, Any], instance_path: str) -> Path:
    folder = Path(config.get("REPORT_JOBS_DIR") or Path(instance_path) / "report_jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_bytes(content)
    os.replace(partial, path)


def save(folder: Path, job: Job) -> Job:
    _write_atomically(folder / f"{job.token}.json", json.dumps(asdict(job)).encode())
    return job


def load(folder: Path, token: str, user_id: int) -> Job | None:
    """The job ``token`` if it exists and belongs to ``user_id``; None otherwise (a
    malformed token never reaches the file system)."""
    if not TOKEN.match(token):
        return None
    try:
        job = Job(**json.loads((folder / f"{token}.json").read_text()))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None
    return job if job.user_id == user_id else None


def output_path(folder: Path, job: Job) -> Path:
    return folder / f"{job.token}.out"


def new_job(folder: Path, *, user_id: int, study: str, fmt: str, filters: Any) -> Job:
    """A queued job for ``filters`` (a ReportFilters), saved."""
    from urllib.parse import urlencode

    now = time.time()
    words = "; ".join(f"{what}: {value}" for what, value in filters.describe())
    return save(folder, Job(token=secrets.token_urlsafe(24), user_id=user_id, study=study,
                            fmt=fmt, query=urlencode(filters.as_query()),
                            filters_text=words, state="queued",
                            step="waiting to start",
                            started_at=now, updated_at=now, pid=os.getpid()))


def start(app: Any, folder: Path, job: Job, filters: Any) -> threading.Thread:
    """Build ``job``'s report in a thread of this process."""
    thread = threading.Thread(target=run, args=(app, folder, job, filters),
                              name=f"report-{job.token[:8]}", daemon=True)
    thread.start()
    return thread


def run(app: Any, folder: Path, job: Job, filters: Any) -> Job:
    """Build and render the report, saving each step; the job's last state is returned."""
    from clinic.db import session_scope
    from clinic.exceptions import NotFound
    from clinic.reports.builder import build_report
    from clinic.reports.memory import give_back_memory
    from clinic.reports.render import download

    with ONE_AT_A_TIME:
        current = save(folder, replace(job, state="running", step="starting",
                                       updated_at=time.time()))

        def progress(message: str) -> None:
            nonlocal current
            current = save(folder, replace(current, step=message, updated_at=time.time()))

        try:
            with app.app_context(), session_scope() as session:
                report = build_report(session, job.study, filters,
                                      timezone=app.config["TIMEZONE"], progress=progress)
                progress(f"writing the {job.fmt.upper()} file")
                name, content, media_type = download(report, job.fmt)
                del report  # with its data: freed, then given back to the system
            _write_atomically(output_path(folder, job), content)
        except NotFound:
            return _failed(folder, current, f"There is no study {job.study}.")
        except Exception:  # the page says so; the log has the traceback
            log.exception("report job %s failed", job.token[:8])
            return _failed(folder, current, "The report could not be built. The error is "
                           "in the server log; try again, or tell the administrator.")
        finally:
            give_back_memory()
        now = time.time()
        return save(folder, replace(current, state="done", step="done", updated_at=now,
                                    finished_at=now, file_name=name, media_type=media_type))


def _failed(folder: Path, job: Job, message: str) -> Job:
    now = time.time()
    return save(folder, replace(job, state="failed", step="failed", error=message,
                                updated_at=now, finished_at=now))


def remove_old_jobs(folder: Path, now: float | None = None) -> int:
    """Delete jobs (state and file) last changed more than a day ago; returns how many."""
    limit = (now or time.time()) - KEEP_SECONDS
    for partial in folder.glob(".*"):  # left by a process killed while writing
        if partial.stat().st_mtime < limit:
            partial.unlink(missing_ok=True)
    removed = 0
    for state in folder.glob("*.json"):
        if state.stat().st_mtime >= limit:
            continue
        output = state.with_suffix(".out")
        output.unlink(missing_ok=True)
        state.unlink(missing_ok=True)
        removed += 1
    return removed
