"""Counts kept by the database itself. Visit tallies: the number of follow-up visits
per study, site, arm, timepoint, state and window, so that counts by status (the status grid's
summary row, the home page, the worklist's call groups) read a few thousand rows
instead of every visit of the registry.

Rows are deltas (+1 / -1) appended by triggers on ``assessment``, ``patient`` and
``enrollment`` (clinic/migrations/tally_triggers.py), in the same transaction as the
change: a count is always the SUM of ``n`` over its rows, and no two writers ever
update the same row (no lock waits, no deadlocks between nurses saving at once).
``clinic.scheduling.tally.compact_tallies`` (the scheduler's nightly job) folds the
deltas into one row per key.

The derived status (due, overdue, missed …) depends on the day, so the window dates are
part of the key and the status is computed when read, by the same SQL rule as
``clinic.scheduling.status``.
"""

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class VisitTally(SQLModel, table=True):
    __tablename__ = "visit_tally"
    __table_args__ = (
        Index("ix_visit_tally_key", "study_id", "site_id", "arm_id", "timepoint_id"),
        Index("ix_visit_tally_open", "state", "window_close", "target_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # no foreign keys: a tally is derived data, written by triggers, read as a sum
    study_id: int
    site_id: int
    arm_id: int | None = None  # None: no group yet
    timepoint_id: int
    state: str  # copied from assessment.state (constrained there)
    window_open: date
    target_date: date
    window_close: date
    n: int


class EnrollmentTally(SQLModel, table=True):
    """Enrolled patients per study, site and arm, kept the same way (deltas appended by
    triggers on ``enrollment`` and ``patient``, clinic/migrations/enrollment_tally.py;
    folded by the same nightly job), for the home page's counts by arm and the patient
    list's total."""

    __tablename__ = "enrollment_tally"
    __table_args__ = (Index("ix_enrollment_tally_key", "study_id", "site_id", "arm_id"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int  # the patient's study and site, the enrollment's arm
    site_id: int
    arm_id: int | None = None  # None: no group yet
    n: int
